/*
 * lambda.c: the AWS Lambda custom runtime of libstep, over libcurl.
 *
 * One binary serves every Task state of its machine as one Lambda
 * function: it long-polls the Runtime API (2018-06-01) for the next
 * invocation, hands the event to step_dispatch and posts the handler's
 * output to .../response or its failure to .../error.
 *
 *	GET  http://HOST/2018-06-01/runtime/invocation/next
 *	POST http://HOST/2018-06-01/runtime/invocation/ID/response
 *	POST http://HOST/2018-06-01/runtime/invocation/ID/error
 *	POST http://HOST/2018-06-01/runtime/init/error
 *
 * The Runtime API is plain HTTP on a local address, so the only protocol
 * allowed is "http", no proxy is ever used, redirects are not followed,
 * and everything it answers is treated as hostile: header lines, header
 * blocks and bodies are capped, and the request id, which goes into URLs,
 * must be a short safe token (sd_lambda_parse_next).
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lambda.h"
#include "step.h"

#define RUNTIME_PATH		"/2018-06-01/runtime"
#define MAX_API_LEN		255
#define MAX_URL_LEN		512
#define CONNECT_TIMEOUT_MS	5000L
#define POST_TIMEOUT_MS		60000L
#define RETRY_DELAY_MS		50L
#define RETRY_DELAY_MAX_MS	1000L
#define EXCERPT_LEN		200

#define H_REQUEST_ID	"Lambda-Runtime-Aws-Request-Id"
#define H_DEADLINE	"Lambda-Runtime-Deadline-Ms"
#define H_FUNCTION_ARN	"Lambda-Runtime-Invoked-Function-Arn"
#define H_TRACE_ID	"Lambda-Runtime-Trace-Id"
#define H_ERROR_TYPE	"Lambda-Runtime-Function-Error-Type"
#define TRACE_ENV	"_X_AMZN_TRACE_ID"

/* ------------------------------------------------------------ parsing */

static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

int
sd_lambda_token_ok(const char *s, size_t len)
{
	size_t i, dots = 0;
	unsigned char c;

	if (s == NULL || len == 0 || len > SD_LAMBDA_MAX_REQUEST_ID)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '.')
			dots++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	/* "." and ".." are dot segments: a URL would lose them. */
	return dots != len;
}

void
sd_lambda_invocation_free(struct sd_lambda_invocation *inv)
{
	if (inv == NULL)
		return;
	free(inv->function_arn);
	free(inv->trace_id);
	json_decref(inv->event);
	free(inv->event_error);
	memset(inv, 0, sizeof(*inv));
	inv->deadline_ms = -1;
}

static int
name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static int
printable(const char *v, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			return 0;
	return 1;
}

static int
set_string(char **dst, const char *name, const char *v, size_t len,
    struct sd_error *err)
{
	if (*dst != NULL)
		return sd_error_set(err, SD_ERR_INVALID, name, "header sent twice");
	if (len == 0 || len > SD_LAMBDA_MAX_VALUE || !printable(v, len))
		return sd_error_set(err, SD_ERR_INVALID, name, "the value is empty, "
		    "longer than %d bytes or not printable ASCII",
		    SD_LAMBDA_MAX_VALUE);
	if ((*dst = strndup(v, len)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, name, "out of memory");
	return 0;
}

static int
set_deadline(struct sd_lambda_invocation *inv, int *seen, const char *v,
    size_t len, struct sd_error *err)
{
	char num[32];
	char *end = NULL;
	long long n;
	size_t i;

	if (*seen)
		return sd_error_set(err, SD_ERR_INVALID, H_DEADLINE,
		    "header sent twice");
	*seen = 1;
	if (len == 0 || len > 18)
		return sd_error_set(err, SD_ERR_PARSE, H_DEADLINE,
		    "expected 1 to 18 digits");
	for (i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return sd_error_set(err, SD_ERR_PARSE, H_DEADLINE,
			    "expected 1 to 18 digits");
	memcpy(num, v, len);
	num[len] = '\0';
	errno = 0;
	n = strtoll(num, &end, 10);
	if (errno != 0 || end != num + len || n < 0)
		return sd_error_set(err, SD_ERR_PARSE, H_DEADLINE,
		    "number out of range");
	inv->deadline_ms = (int64_t)n;
	return 0;
}

/* One "Name: value" line (without its line end). */
static int
header_line(struct sd_lambda_invocation *inv, int *seen_deadline,
    const char *p, size_t len, struct sd_error *err)
{
	const char *colon, *v;
	size_t nlen, vlen, i;

	if ((colon = memchr(p, ':', len)) == NULL)
		return sd_error_set(err, SD_ERR_PARSE, "headers",
		    "a header line without ':'");
	nlen = (size_t)(colon - p);
	if (nlen == 0)
		return sd_error_set(err, SD_ERR_PARSE, "headers",
		    "a header line with an empty name");
	/* Also refuses folded lines and blanks before the colon. */
	for (i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)p[i]))
			return sd_error_set(err, SD_ERR_PARSE, "headers",
			    "a header name with a byte that is not a token "
			    "character");
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (i = 0; i < vlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return sd_error_set(err, SD_ERR_PARSE, "headers",
			    "a header value with a control character");
	}

	if (name_is(p, nlen, H_REQUEST_ID)) {
		if (inv->request_id[0] != '\0')
			return sd_error_set(err, SD_ERR_INVALID, H_REQUEST_ID,
			    "header sent twice");
		if (!sd_lambda_token_ok(v, vlen))
			return sd_error_set(err, SD_ERR_INVALID, H_REQUEST_ID,
			    "refused: not 1 to %d of [A-Za-z0-9._-] (or only "
			    "dots)", SD_LAMBDA_MAX_REQUEST_ID);
		memcpy(inv->request_id, v, vlen);
		inv->request_id[vlen] = '\0';
	} else if (name_is(p, nlen, H_DEADLINE))
		return set_deadline(inv, seen_deadline, v, vlen, err);
	else if (name_is(p, nlen, H_FUNCTION_ARN))
		return set_string(&inv->function_arn, H_FUNCTION_ARN, v, vlen, err);
	else if (name_is(p, nlen, H_TRACE_ID))
		return set_string(&inv->trace_id, H_TRACE_ID, v, vlen, err);
	return 0;
}

int
sd_lambda_parse_next(long status, const char *headers, size_t hlen,
    const char *body, size_t blen, struct sd_lambda_invocation *out,
    struct sd_error *err)
{
	struct sd_lambda_invocation inv;
	struct sd_error jerr = SD_ERROR_INIT;
	const char *p, *end, *eol, *next;
	size_t len;
	int seen_deadline = 0, r = SD_ERR_INTERNAL;

	memset(&inv, 0, sizeof(inv));
	inv.deadline_ms = -1;
	memset(out, 0, sizeof(*out));
	out->deadline_ms = -1;

	if (status != 200) {
		r = sd_error_set(err, status >= 500 ? SD_ERR_IO : SD_ERR_INVALID,
		    "/runtime/invocation/next", "HTTP status %ld", status);
		goto out;
	}
	if ((headers == NULL && hlen != 0) || (body == NULL && blen != 0)) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "NULL buffer");
		goto out;
	}
	if (hlen > SD_LAMBDA_MAX_HEADERS) {
		r = sd_error_set(err, SD_ERR_LIMIT, "headers", "more than %d bytes",
		    SD_LAMBDA_MAX_HEADERS);
		goto out;
	}
	if (blen > SD_LAMBDA_MAX_BODY) {
		r = sd_error_set(err, SD_ERR_LIMIT, "event", "more than %zu bytes",
		    SD_LAMBDA_MAX_BODY);
		goto out;
	}

	for (p = headers, end = headers + hlen; p < end; p = next) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			len = (size_t)(eol - p);
			next = eol + 1;
		} else {
			len = (size_t)(end - p);
			next = end;
		}
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len > SD_LAMBDA_MAX_HEADER_LINE) {
			r = sd_error_set(err, SD_ERR_LIMIT, "headers", "a line "
			    "longer than %d bytes", SD_LAMBDA_MAX_HEADER_LINE);
			goto out;
		}
		if (len == 0)
			continue;
		if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
			/* A status line starts a new block: only the last counts. */
			sd_lambda_invocation_free(&inv);
			seen_deadline = 0;
			continue;
		}
		if ((r = header_line(&inv, &seen_deadline, p, len, err)) != 0)
			goto out;
	}
	if (inv.request_id[0] == '\0') {
		r = sd_error_set(err, SD_ERR_INVALID, H_REQUEST_ID,
		    "required header missing");
		goto out;
	}

	inv.event = sd_json_loadb(body != NULL ? body : "", blen,
	    JSON_REJECT_DUPLICATES, "the event", &jerr);
	if (inv.event == NULL) {
		if (jerr.code == SD_ERR_NOMEM ||
		    (inv.event_error = strdup(sd_error_text(&jerr))) == NULL) {
			r = sd_error_set(err, SD_ERR_NOMEM, "event", "out of memory");
			goto out;
		}
	}
	*out = inv;
	memset(&inv, 0, sizeof(inv));
	r = 0;
 out:
	sd_lambda_invocation_free(&inv);
	sd_error_clear(&jerr);
	return r;
}

json_t *
sd_lambda_context(const struct sd_lambda_invocation *inv)
{
	json_t *ctx = NULL;

	if ((ctx = json_object()) == NULL)
		return NULL;
	if (json_object_set_new(ctx, "AwsRequestId",
	    json_string(inv->request_id)) != 0)
		goto fail;
	if (inv->deadline_ms >= 0 && json_object_set_new(ctx, "DeadlineMs",
	    json_integer((json_int_t)inv->deadline_ms)) != 0)
		goto fail;
	if (inv->function_arn != NULL && json_object_set_new(ctx,
	    "InvokedFunctionArn", json_string(inv->function_arn)) != 0)
		goto fail;
	return ctx;
 fail:
	json_decref(ctx);
	return NULL;
}

/* A JSON string of s; bytes of s that are not UTF-8 become '?'. */
static json_t *
lossy_string(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if ((v = json_string(s)) != NULL)
		return v;
	if ((c = strdup(s)) == NULL)
		return NULL;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] >= 0x80)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

int
sd_lambda_error_payload(const char *type, const char *msg, char **body,
    char *hdr, size_t hdrlen)
{
	json_t *o = NULL;
	size_t i, n;
	int r = SD_ERR_NOMEM;

	*body = NULL;
	if (hdr == NULL || hdrlen < 2)
		return SD_ERR_INTERNAL;
	if (type == NULL || *type == '\0')
		type = "States.TaskFailed";
	if (msg == NULL)
		msg = "";

	n = strlen(type);
	if (n > SD_LAMBDA_MAX_ERROR_TYPE)
		n = SD_LAMBDA_MAX_ERROR_TYPE;
	if (n > hdrlen - 1)
		n = hdrlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)type[i];

		hdr[i] = c >= 0x20 && c <= 0x7e ? (char)c : '_';
	}
	hdr[n] = '\0';

	if ((o = json_object()) == NULL ||
	    json_object_set_new(o, "errorType", lossy_string(type)) != 0 ||
	    json_object_set_new(o, "errorMessage", lossy_string(msg)) != 0)
		goto out;
	if ((*body = sd_json_dumps(o, 0)) == NULL)
		goto out;
	r = 0;
 out:
	json_decref(o);
	return r;
}

/* ------------------------------------------------------------ transport */

struct rt {
	CURL		*curl;
	char		 errbuf[CURL_ERROR_SIZE];
	char		 base[MAX_API_LEN + 64];	/* http://HOST/2018-06-01/runtime */
	struct sd_buf	 hdrs;
	struct sd_buf	 body;
	int		 hdrs_too_big;
	int		 body_too_big;
	long		 post_timeout_ms;
	int		 curl_inited;
};

/* host:port, or [v6]:port: nothing that could change the URL's shape. */
static int
api_ok(const char *api)
{
	size_t i, n = strlen(api);

	if (n == 0 || n > MAX_API_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)api[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		    c == '_' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

static size_t
header_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct rt *rt = arg;
	size_t len;

	if (size != 0 && nitems > SIZE_MAX / size) {
		rt->hdrs_too_big = 1;
		return 0;
	}
	len = size * nitems;
	/* One line at a time, with its CRLF. */
	if (len > SD_LAMBDA_MAX_HEADER_LINE + 2 ||
	    sd_buf_append(&rt->hdrs, p, len) != 0) {
		rt->hdrs_too_big = 1;
		return 0;
	}
	return len;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rt *rt = arg;
	size_t len;

	if (size != 0 && nmemb > SIZE_MAX / size) {
		rt->body_too_big = 1;
		return 0;
	}
	len = size * nmemb;
	if (sd_buf_append(&rt->body, p, len) != 0) {
		rt->body_too_big = 1;
		return 0;
	}
	return len;
}

static int
curl_fail(struct rt *rt, CURLcode cc, const char *what, struct sd_error *err)
{
	return sd_error_set(err, SD_ERR_INTERNAL, what, "curl_easy_setopt: %s",
	    rt->errbuf[0] != '\0' ? rt->errbuf : curl_easy_strerror(cc));
}

static void
rt_free(struct rt *rt)
{
	if (rt->curl != NULL)
		curl_easy_cleanup(rt->curl);
	rt->curl = NULL;
	if (rt->curl_inited)
		curl_global_cleanup();
	rt->curl_inited = 0;
	sd_buf_release(&rt->hdrs);
	sd_buf_release(&rt->body);
}

static int
rt_init(struct rt *rt, const char *api, long connect_ms, long post_ms,
    struct sd_error *err)
{
	CURLcode cc;
	int n;

	memset(rt, 0, sizeof(*rt));
	sd_buf_init(&rt->hdrs, SD_LAMBDA_MAX_HEADERS);
	sd_buf_init(&rt->body, SD_LAMBDA_MAX_BODY);
	rt->post_timeout_ms = post_ms > 0 ? post_ms : POST_TIMEOUT_MS;
	if (connect_ms <= 0)
		connect_ms = CONNECT_TIMEOUT_MS;

	if (!api_ok(api))
		return sd_error_set(err, SD_ERR_INVALID, "AWS_LAMBDA_RUNTIME_API",
		    "not a host:port address");
	n = snprintf(rt->base, sizeof(rt->base), "http://%s" RUNTIME_PATH, api);
	if (n < 0 || (size_t)n >= sizeof(rt->base))
		return sd_error_set(err, SD_ERR_OVERFLOW, "AWS_LAMBDA_RUNTIME_API",
		    "address too long");

	if ((cc = curl_global_init(CURL_GLOBAL_DEFAULT)) != CURLE_OK)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "curl_global_init: %s", curl_easy_strerror(cc));
	rt->curl_inited = 1;
	if ((rt->curl = curl_easy_init()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL,
		    "curl_easy_init failed");

	if ((cc = curl_easy_setopt(rt->curl, CURLOPT_ERRORBUFFER,
	    rt->errbuf)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_PROTOCOLS_STR,
	    "http")) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_REDIR_PROTOCOLS_STR,
	    "http")) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_FOLLOWLOCATION,
	    0L)) != CURLE_OK ||
	    /* A local address: never through $http_proxy. */
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_PROXY, "")) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_NOSIGNAL, 1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_HTTP_VERSION,
	    (long)CURL_HTTP_VERSION_1_1)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    connect_ms)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_TCP_KEEPALIVE,
	    1L)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)SD_LAMBDA_MAX_BODY)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_HEADERFUNCTION,
	    header_cb)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_HEADERDATA, rt)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_WRITEFUNCTION,
	    write_cb)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_WRITEDATA, rt)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_USERAGENT,
	    "libstep-lambda/1")) != CURLE_OK)
		return curl_fail(rt, cc, "curl", err);
	return 0;
}

/* Printable ASCII excerpt of the last response body, for messages. */
static void
body_excerpt(const struct rt *rt, char *out, size_t outlen)
{
	size_t i, n = rt->body.len;

	if (n > outlen - 1)
		n = outlen - 1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)rt->body.data[i];

		out[i] = c >= 0x20 && c <= 0x7e ? (char)c : '?';
	}
	out[n] = '\0';
}

/*
 * GET url (body NULL; a long poll with no total timeout) or POST body to
 * it as JSON, with the error type header when errtype is not NULL. The
 * response is left in rt->hdrs and rt->body, its status in *status.
 */
static int
rt_request(struct rt *rt, const char *url, const char *body, size_t blen,
    const char *errtype, long *status, struct sd_error *err)
{
	struct curl_slist *hl = NULL, *t;
	char eh[sizeof(H_ERROR_TYPE) + SD_LAMBDA_MAX_ERROR_TYPE + 4];
	CURLcode cc;
	int n, r = SD_ERR_INTERNAL;

	*status = 0;
	sd_buf_reset(&rt->hdrs);
	sd_buf_reset(&rt->body);
	rt->hdrs_too_big = rt->body_too_big = 0;
	rt->errbuf[0] = '\0';

	if (body != NULL) {
		if ((t = curl_slist_append(hl,
		    "Content-Type: application/json")) == NULL)
			goto nomem;
		hl = t;
		/* No "Expect: 100-continue" round trip on large bodies. */
		if ((t = curl_slist_append(hl, "Expect:")) == NULL)
			goto nomem;
		hl = t;
		if (errtype != NULL) {
			n = snprintf(eh, sizeof(eh), H_ERROR_TYPE ": %s", errtype);
			if (n < 0 || (size_t)n >= sizeof(eh)) {
				r = sd_error_set(err, SD_ERR_OVERFLOW, H_ERROR_TYPE,
				    "too long");
				goto out;
			}
			if ((t = curl_slist_append(hl, eh)) == NULL)
				goto nomem;
			hl = t;
		}
	}

	if ((cc = curl_easy_setopt(rt->curl, CURLOPT_URL, url)) != CURLE_OK ||
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, hl)) != CURLE_OK) {
		r = curl_fail(rt, cc, url, err);
		goto out;
	}
	if (body != NULL) {
		if ((cc = curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen)) != CURLE_OK ||
		    (cc = curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS,
		    body)) != CURLE_OK ||
		    (cc = curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS,
		    rt->post_timeout_ms)) != CURLE_OK) {
			r = curl_fail(rt, cc, url, err);
			goto out;
		}
	} else {
		if ((cc = curl_easy_setopt(rt->curl, CURLOPT_HTTPGET,
		    1L)) != CURLE_OK ||
		    (cc = curl_easy_setopt(rt->curl, CURLOPT_TIMEOUT_MS,
		    0L)) != CURLE_OK) {
			r = curl_fail(rt, cc, url, err);
			goto out;
		}
	}

	cc = curl_easy_perform(rt->curl);
	if (rt->hdrs_too_big) {
		r = sd_error_set(err, SD_ERR_LIMIT, url, "response header line "
		    "over %d bytes or headers over %d bytes",
		    SD_LAMBDA_MAX_HEADER_LINE, SD_LAMBDA_MAX_HEADERS);
		goto out;
	}
	if (rt->body_too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		r = sd_error_set(err, SD_ERR_LIMIT, url, "response body over "
		    "%zu bytes", SD_LAMBDA_MAX_BODY);
		goto out;
	}
	if (cc != CURLE_OK) {
		r = sd_error_set(err, SD_ERR_IO, url, "%s",
		    rt->errbuf[0] != '\0' ? rt->errbuf : curl_easy_strerror(cc));
		goto out;
	}
	if ((cc = curl_easy_getinfo(rt->curl, CURLINFO_RESPONSE_CODE,
	    status)) != CURLE_OK) {
		r = sd_error_set(err, SD_ERR_INTERNAL, url, "curl_easy_getinfo: %s",
		    curl_easy_strerror(cc));
		goto out;
	}
	r = 0;
	goto out;
 nomem:
	r = sd_error_set(err, SD_ERR_NOMEM, url, "out of memory");
 out:
	/* The handle must keep no pointer to what the caller frees. */
	if (hl != NULL &&
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_HTTPHEADER, NULL)) != CURLE_OK &&
	    r == 0)
		r = curl_fail(rt, cc, url, err);
	if (body != NULL &&
	    (cc = curl_easy_setopt(rt->curl, CURLOPT_POSTFIELDS, NULL)) != CURLE_OK &&
	    r == 0)
		r = curl_fail(rt, cc, url, err);
	curl_slist_free_all(hl);
	return r;
}

/* POST a body and expect 2xx (Lambda answers 202 Accepted). */
static int
rt_post(struct rt *rt, const char *path, const char *body, const char *errtype,
    struct sd_error *err)
{
	char url[MAX_URL_LEN], ex[EXCERPT_LEN];
	long status = 0;
	int n, r;

	n = snprintf(url, sizeof(url), "%s%s", rt->base, path);
	if (n < 0 || (size_t)n >= sizeof(url))
		return sd_error_set(err, SD_ERR_OVERFLOW, path, "URL too long");
	if ((r = rt_request(rt, url, body, strlen(body), errtype, &status,
	    err)) != 0)
		return r;
	if (status < 200 || status > 299) {
		body_excerpt(rt, ex, sizeof(ex));
		return sd_error_set(err, SD_ERR_IO, url, "HTTP status %ld: %s",
		    status, ex);
	}
	return 0;
}

static int
rt_post_error(struct rt *rt, const char *path, const char *type,
    const char *msg, struct sd_error *err)
{
	char hdr[SD_LAMBDA_MAX_ERROR_TYPE + 1];
	char *body = NULL;
	int r;

	if ((r = sd_lambda_error_payload(type, msg, &body, hdr,
	    sizeof(hdr))) != 0)
		return sd_error_set(err, r, path, "cannot build the error body");
	r = rt_post(rt, path, body, hdr, err);
	free(body);
	return r;
}

static void
retry_sleep(unsigned int attempt)
{
	struct timespec ts, rem;
	long ms = RETRY_DELAY_MS;

	while (attempt-- > 0 && ms < RETRY_DELAY_MAX_MS)
		ms *= 2;
	if (ms > RETRY_DELAY_MAX_MS)
		ms = RETRY_DELAY_MAX_MS;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
		ts = rem;
}

/* ------------------------------------------------------------ the loop */

/* GET /next, retrying network errors and 5xx up to max_retries times. */
static int
next_invocation(struct rt *rt, unsigned int max_retries,
    struct sd_lambda_invocation *inv, struct sd_error *err)
{
	char url[MAX_URL_LEN], ex[EXCERPT_LEN];
	long status = 0;
	unsigned int attempt;
	int n, r = SD_ERR_INTERNAL;

	n = snprintf(url, sizeof(url), "%s/invocation/next", rt->base);
	if (n < 0 || (size_t)n >= sizeof(url))
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "URL too long");
	for (attempt = 0;; attempt++) {
		r = rt_request(rt, url, NULL, 0, NULL, &status, err);
		if (r == 0 && status >= 500) {
			body_excerpt(rt, ex, sizeof(ex));
			r = sd_error_set(err, SD_ERR_IO, url, "HTTP status %ld: %s",
			    status, ex);
		} else if (r == 0)
			break;
		if (r != SD_ERR_IO || attempt >= max_retries)
			return r;
		retry_sleep(attempt);
	}
	sd_error_clear(err);
	return sd_lambda_parse_next(status, rt->hdrs.data, rt->hdrs.len,
	    rt->body.data, rt->body.len, inv, err);
}

static int
serve_one(struct rt *rt, struct step_machine *m, unsigned int max_retries,
    struct sd_error *err)
{
	struct sd_lambda_invocation inv;
	struct step_task_failure failure = { NULL, NULL };
	char path[64 + SD_LAMBDA_MAX_REQUEST_ID];
	json_t *ctx = NULL, *output = NULL;
	char *text = NULL;
	size_t len;
	int n, r = SD_ERR_INTERNAL;

	memset(&inv, 0, sizeof(inv));
	if ((r = next_invocation(rt, max_retries, &inv, err)) != 0)
		goto out;

	/* As AWS's runtimes do, for the X-Ray SDK. */
	if ((inv.trace_id != NULL ? setenv(TRACE_ENV, inv.trace_id, 1) :
	    unsetenv(TRACE_ENV)) != 0) {
		r = sd_error_set(err, SD_ERR_NOMEM, TRACE_ENV, "setenv: %s",
		    strerror(errno));
		goto out;
	}

	if (inv.event == NULL) {
		n = snprintf(path, sizeof(path), "/invocation/%s/error",
		    inv.request_id);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			r = sd_error_set(err, SD_ERR_OVERFLOW, NULL, "path too long");
			goto out;
		}
		r = rt_post_error(rt, path, "InvalidEventPayload",
		    inv.event_error, err);
		goto out;
	}

	if ((ctx = sd_lambda_context(&inv)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (step_dispatch(m, inv.event, ctx, &output, &failure) == 0) {
		if ((text = sd_json_dumps(output, 0)) == NULL) {
			r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		if ((len = strlen(text)) <= SD_LAMBDA_MAX_PAYLOAD) {
			n = snprintf(path, sizeof(path), "/invocation/%s/response",
			    inv.request_id);
			if (n < 0 || (size_t)n >= sizeof(path)) {
				r = sd_error_set(err, SD_ERR_OVERFLOW, NULL,
				    "path too long");
				goto out;
			}
			r = rt_post(rt, path, text, NULL, err);
			goto out;
		}
		free(failure.error);
		free(failure.cause);
		failure.error = strdup("Function.ResponseSizeTooLarge");
		failure.cause = sd_asprintf("the response is %zu bytes, over "
		    "Lambda's limit of %zu", len, SD_LAMBDA_MAX_PAYLOAD);
		if (failure.error == NULL || failure.cause == NULL) {
			r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	n = snprintf(path, sizeof(path), "/invocation/%s/error", inv.request_id);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		r = sd_error_set(err, SD_ERR_OVERFLOW, NULL, "path too long");
		goto out;
	}
	r = rt_post_error(rt, path, failure.error, failure.cause, err);
 out:
	free(text);
	free(failure.error);
	free(failure.cause);
	json_decref(output);
	json_decref(ctx);
	sd_lambda_invocation_free(&inv);
	return r;
}

int
step_lambda_run(struct step_machine *m, const struct step_lambda_opts *o,
    struct sd_error *err)
{
	struct step_lambda_opts def;
	struct rt rt;
	const char *api;
	uint64_t count;
	int r = SD_ERR_INTERNAL;

	memset(&def, 0, sizeof(def));
	if (o == NULL)
		o = &def;
	memset(&rt, 0, sizeof(rt));
	sd_buf_init(&rt.hdrs, SD_LAMBDA_MAX_HEADERS);
	sd_buf_init(&rt.body, SD_LAMBDA_MAX_BODY);

	api = o->runtime_api != NULL ? o->runtime_api :
	    getenv("AWS_LAMBDA_RUNTIME_API");
	if (api == NULL || *api == '\0') {
		r = sd_error_set(err, SD_ERR_INVALID, "AWS_LAMBDA_RUNTIME_API",
		    "not set: not running in AWS Lambda?");
		goto out;
	}
	if ((r = rt_init(&rt, api, o->connect_timeout_ms, o->post_timeout_ms,
	    err)) != 0)
		goto init_failed;
	if (m == NULL) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "no state machine");
		goto init_failed;
	}

	for (count = 0; o->max_invocations == 0 || count < o->max_invocations;
	    count++) {
		if ((r = serve_one(&rt, m, o->max_retries, err)) != 0)
			goto out;
	}
	r = 0;
	goto out;
 init_failed:
	/* Best effort: Lambda then reports the message as Runtime.InitError. */
	if (api_ok(api)) {
		rt_free(&rt);
		(void)step_lambda_init_error(api, "Runtime.InitError",
		    err != NULL ? sd_error_text(err) : sd_strerror(r), NULL);
	}
 out:
	rt_free(&rt);
	return r;
}

int
step_lambda_init_error(const char *runtime_api, const char *type,
    const char *msg, struct sd_error *err)
{
	struct rt rt;
	int r = SD_ERR_INTERNAL;

	memset(&rt, 0, sizeof(rt));
	sd_buf_init(&rt.hdrs, SD_LAMBDA_MAX_HEADERS);
	sd_buf_init(&rt.body, SD_LAMBDA_MAX_BODY);
	if (runtime_api == NULL)
		runtime_api = getenv("AWS_LAMBDA_RUNTIME_API");
	if (runtime_api == NULL || *runtime_api == '\0') {
		r = sd_error_set(err, SD_ERR_INVALID, "AWS_LAMBDA_RUNTIME_API",
		    "not set: not running in AWS Lambda?");
		goto out;
	}
	if ((r = rt_init(&rt, runtime_api, 0, 0, err)) != 0)
		goto out;
	if (type == NULL || *type == '\0')
		type = "Runtime.InitError";
	r = rt_post_error(&rt, "/init/error", type, msg, err);
 out:
	rt_free(&rt);
	return r;
}
