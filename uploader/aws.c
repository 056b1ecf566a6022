/*
 * aws.c: the uploader's HTTP core over libcurl (see sd_aws.h): the
 * client, endpoint rules, signing, retries with backoff, AWS error
 * parsing, and the signer-socket signing callback. The operations are in
 * aws_s3.c, aws_lambda.c and aws_sfn.c.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "aws_int.h"
#include "sd_buf.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_signer_client.h"

#define DEFAULT_USER_AGENT	"stepdeploy-uploader"
#define EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define RESPONSE_MAX_LIMIT	((size_t)1 << 30)
#define RETRY_AFTER_MAX_S	3600
#define HEADER_LINE_MAX		8192

struct sd_aws {
	CURL			*h;
	char			 region[40];
	struct sd_aws_endpoint	 ep[SD_POLICY_SVC_COUNT];
	char			*ca_file;
	char			*user_agent;
	long			 connect_timeout_ms;
	long			 request_timeout_ms;
	long			 poll_interval_ms;
	long			 poll_timeout_ms;
	struct sd_aws_retry	 retry;
	size_t			 response_max;
	sd_aws_sign_fn		 sign;
	void			*sign_ctx;
	void			(*on_call)(void *, const struct sd_aws_call *);
	void			*on_call_arg;
	int			 allow_http_loopback;
	char			 errbuf[CURL_ERROR_SIZE];
};

struct sd_aws_signer {
	char	*path;
	int	 fd;
};

/* ------------------------------------------------------------ small helpers */

static const char *const svc_titles[SD_POLICY_SVC_COUNT] = {
	"S3", "Lambda", "Step Functions"
};

const char *
sd_aws_service_title(enum sd_policy_service svc)
{
	if ((int)svc < 0 || svc >= SD_POLICY_SVC_COUNT)
		return "AWS";
	return svc_titles[svc];
}

const char *
sd_aws_kind_name(enum sd_aws_kind k)
{
	switch (k) {
	case SD_AWS_OK:			return "ok";
	case SD_AWS_TRANSPORT:		return "no answer";
	case SD_AWS_THROTTLED:		return "throttled";
	case SD_AWS_SERVER:		return "server error";
	case SD_AWS_NOT_FOUND:		return "not found";
	case SD_AWS_PRECONDITION:	return "precondition failed";
	case SD_AWS_CONFLICT:		return "conflict";
	case SD_AWS_DENIED:		return "denied";
	case SD_AWS_CLIENT:		return "refused";
	case SD_AWS_SIGNER:		return "not signed";
	case SD_AWS_LOCAL:		return "local error";
	}
	return "?";
}

int
sd_aws_kind_errcode(enum sd_aws_kind k)
{
	switch (k) {
	case SD_AWS_OK:
		return 0;
	case SD_AWS_NOT_FOUND:
		return SD_ERR_NOTFOUND;
	case SD_AWS_TRANSPORT:
	case SD_AWS_THROTTLED:
	case SD_AWS_SERVER:
		return SD_ERR_IO;
	case SD_AWS_PRECONDITION:
	case SD_AWS_CONFLICT:
	case SD_AWS_DENIED:
	case SD_AWS_CLIENT:
	case SD_AWS_SIGNER:
		return SD_ERR_INVALID;
	case SD_AWS_LOCAL:
		return SD_ERR_INTERNAL;
	}
	return SD_ERR_INTERNAL;
}

/* Copy n bytes of untrusted text into dst (cut, NUL-terminated), every
 * byte outside printable ASCII replaced with '?'. */
static void
sanitize(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, o = 0;

	if (len == 0)
		return;
	for (i = 0; i < n && o + 1 < len; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[o++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[o] = '\0';
}

/* An error code keeps [A-Za-z0-9._-] only. */
static void
copy_code(char *dst, size_t len, const char *src, size_t n)
{
	size_t i, o = 0;

	if (len == 0)
		return;
	for (i = 0; i < n && o + 1 < len; i++)
		if (isalnum((unsigned char)src[i]) || src[i] == '.' ||
		    src[i] == '_' || src[i] == '-')
			dst[o++] = src[i];
	dst[o] = '\0';
}

/* Smithy's rule: up to the first ':', after the first '#'. */
static void
set_code(struct sd_aws_status *st, const char *s, size_t n)
{
	const char *p;

	if ((p = memchr(s, ':', n)) != NULL)
		n = (size_t)(p - s);
	if ((p = memchr(s, '#', n)) != NULL) {
		n -= (size_t)(p + 1 - s);
		s = p + 1;
	}
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	copy_code(st->code, sizeof(st->code), s, n);
}

static void
set_status_code(struct sd_aws_status *st, long status)
{
	const char *c;

	switch (status) {
	case 301:	c = "PermanentRedirect"; break;
	case 304:	c = "NotModified"; break;
	case 400:	c = "BadRequest"; break;
	case 401:	c = "Unauthorized"; break;
	case 403:	c = "Forbidden"; break;
	case 404:	c = "NotFound"; break;
	case 405:	c = "MethodNotAllowed"; break;
	case 409:	c = "Conflict"; break;
	case 412:	c = "PreconditionFailed"; break;
	case 416:	c = "InvalidRange"; break;
	case 429:	c = "TooManyRequests"; break;
	case 500:	c = "InternalError"; break;
	case 502:	c = "BadGateway"; break;
	case 503:	c = "ServiceUnavailable"; break;
	case 504:	c = "GatewayTimeout"; break;
	default:	c = NULL; break;
	}
	if (c != NULL)
		(void)snprintf(st->code, sizeof(st->code), "%s", c);
	else
		(void)snprintf(st->code, sizeof(st->code), "HTTP%ld", status);
}

/* ------------------------------------------------------------ XML */

/* Append the UTF-8 form of cp to out at *o. */
static void
put_utf8(char *out, size_t outlen, size_t *o, unsigned long cp)
{
	unsigned char b[4];
	size_t n, i;

	if (cp == 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = '?';
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (*o + n >= outlen)
		return;
	for (i = 0; i < n; i++)
		out[(*o)++] = (char)b[i];
}

/* Decode one entity at s (s[0] == '&', n bytes left): bytes consumed, or
 * 0 when it is not one we know. */
static size_t
xml_entity(const char *s, size_t n, char *out, size_t outlen, size_t *o)
{
	static const struct { const char *name; char ch; } named[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' },
		{ "quot", '"' }, { "apos", '\'' },
	};
	const char *semi;
	size_t k, nl;
	unsigned long cp = 0;
	int hex;

	if ((semi = memchr(s, ';', n < 12 ? n : 12)) == NULL)
		return 0;
	nl = (size_t)(semi - s - 1);
	for (k = 0; k < sizeof(named) / sizeof(named[0]); k++)
		if (nl == strlen(named[k].name) &&
		    memcmp(s + 1, named[k].name, nl) == 0) {
			put_utf8(out, outlen, o, (unsigned char)named[k].ch);
			return nl + 2;
		}
	if (nl < 2 || s[1] != '#')
		return 0;
	hex = s[2] == 'x' || s[2] == 'X';
	if (hex && nl < 3)
		return 0;
	for (k = hex ? 3 : 2; k <= nl; k++) {
		int d;

		if (isdigit((unsigned char)s[k]))
			d = s[k] - '0';
		else if (hex && isxdigit((unsigned char)s[k]))
			d = tolower((unsigned char)s[k]) - 'a' + 10;
		else
			return 0;
		cp = cp * (hex ? 16 : 10) + (unsigned long)d;
		if (cp > 0x10ffff)
			return 0;
	}
	put_utf8(out, outlen, o, cp);
	return nl + 2;
}

int
sd_aws_xml_text(const char *xml, size_t len, const char *tag, char *out,
    size_t outlen)
{
	char open[72], close[72];
	const char *s, *e;
	size_t i, o = 0, k, tl;

	if (outlen > 0)
		out[0] = '\0';
	if (xml == NULL || tag == NULL || outlen == 0)
		return 0;
	tl = strlen(tag);
	if (tl == 0 || tl > 64)
		return 0;
	(void)snprintf(open, sizeof(open), "<%s>", tag);
	(void)snprintf(close, sizeof(close), "</%s>", tag);
	if ((s = memmem(xml, len, open, tl + 2)) == NULL)
		return 0;
	s += tl + 2;
	if ((e = memmem(s, len - (size_t)(s - xml), close, tl + 3)) == NULL)
		return 0;
	for (i = 0; s + i < e && o + 1 < outlen; i++) {
		if (s[i] == '&' &&
		    (k = xml_entity(s + i, (size_t)(e - s - i), out, outlen,
		    &o)) > 0) {
			i += k - 1;
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return 1;
}

/* ------------------------------------------------------------ errors */

void
sd_aws_parse_error(enum sd_policy_service svc, long http_status,
    const char *error_type, const char *body, size_t len,
    struct sd_aws_status *st)
{
	char text[SD_AWS_MESSAGE_MAX];
	json_t *o = NULL, *v;
	size_t n;
	int shaped = 0;
	static const char *const code_keys[] = { "__type", "code", "Code",
	    "Type", NULL };
	static const char *const msg_keys[] = { "message", "Message",
	    "errorMessage", NULL };
	int i;

	st->code[0] = '\0';
	st->message[0] = '\0';
	st->http_status = http_status;
	if (body == NULL)
		len = 0;
	if (len > SD_AWS_ERROR_BODY_MAX)
		len = SD_AWS_ERROR_BODY_MAX;
	if (svc == SD_POLICY_SVC_S3) {
		shaped = len > 0 && memmem(body, len, "<Error>", 7) != NULL;
		if (sd_aws_xml_text(body, len, "Code", text, sizeof(text)))
			set_code(st, text, strlen(text));
		if (sd_aws_xml_text(body, len, "Message", text, sizeof(text)))
			sanitize(st->message, sizeof(st->message), text,
			    strlen(text));
		if (st->request_id[0] == '\0' &&
		    sd_aws_xml_text(body, len, "RequestId", text, sizeof(text)))
			sanitize(st->request_id, sizeof(st->request_id), text,
			    strlen(text));
	} else {
		if (error_type != NULL && error_type[0] != '\0')
			set_code(st, error_type, strlen(error_type));
		if (len > 0)
			o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
		if (json_is_object(o)) {
			shaped = 1;
			for (i = 0; st->code[0] == '\0' && code_keys[i] != NULL;
			    i++)
				if (json_is_string(v = json_object_get(o,
				    code_keys[i])))
					set_code(st, json_string_value(v),
					    json_string_length(v));
			for (i = 0; msg_keys[i] != NULL; i++)
				if (json_is_string(v = json_object_get(o,
				    msg_keys[i]))) {
					sanitize(st->message,
					    sizeof(st->message),
					    json_string_value(v),
					    json_string_length(v));
					break;
				}
		}
		json_decref(o);
	}
	if (st->code[0] == '\0')
		set_status_code(st, http_status);
	if (st->message[0] == '\0' && len > 0 && !shaped) {
		/* Not AWS's shape (a proxy's page?): its first line. */
		for (n = 0; n < len && n < 200 && body[n] != '\r' &&
		    body[n] != '\n'; n++)
			;
		sanitize(st->message, sizeof(st->message), body, n);
	}
	st->kind = sd_aws_classify(http_status, st->code);
}

static int
in_list(const char *code, const char *const *list)
{
	size_t i;

	if (code == NULL)
		return 0;
	for (i = 0; list[i] != NULL; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

/* Refused for rate or a concurrent conditional write: not applied. */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "RequestThrottled", "SlowDown",
	"PriorRequestNotComplete", "EC2ThrottledException",
	"ConditionalRequestConflict", NULL
};
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError",
	"InternalFailure", "ServiceUnavailable", "ServiceException",
	"InternalServerError", NULL
};
static const char *const denied_codes[] = {
	"AccessDenied", "AccessDeniedException", "SignatureDoesNotMatch",
	"InvalidSignatureException", "InvalidAccessKeyId",
	"UnrecognizedClientException", "ExpiredToken",
	"ExpiredTokenException", "InvalidToken", "RequestTimeTooSkewed",
	"MissingAuthenticationTokenException",
	"IncompleteSignatureException", "AuthorizationHeaderMalformed",
	"InvalidClientTokenId", "RequestExpired", "AuthFailure",
	"KMSAccessDeniedException", NULL
};
static const char *const notfound_codes[] = {
	"NoSuchKey", "NoSuchBucket", "NotFound", "NoSuchVersion",
	"ResourceNotFoundException", "ResourceNotFound",
	"StateMachineDoesNotExist", NULL
};
static const char *const precondition_codes[] = {
	"PreconditionFailed", "PreconditionFailedException", NULL
};
static const char *const conflict_codes[] = {
	"ConflictException", "ResourceConflictException",
	"OperationAbortedException", NULL
};

enum sd_aws_kind
sd_aws_classify(long status, const char *code)
{
	if (status <= 0)
		return SD_AWS_TRANSPORT;
	if (status >= 200 && status < 300)
		return SD_AWS_OK;
	if (in_list(code, throttle_codes) || status == 429)
		return SD_AWS_THROTTLED;
	if (in_list(code, denied_codes))
		return SD_AWS_DENIED;
	if (in_list(code, notfound_codes))
		return SD_AWS_NOT_FOUND;
	if (in_list(code, precondition_codes))
		return SD_AWS_PRECONDITION;
	if (in_list(code, conflict_codes))
		return SD_AWS_CONFLICT;
	if (in_list(code, transient_codes))
		return SD_AWS_SERVER;
	if (status == 501 || status == 505)
		return SD_AWS_CLIENT;	/* not implemented: won't change */
	if (status >= 500)
		return SD_AWS_SERVER;
	if (status == 404)
		return SD_AWS_NOT_FOUND;
	if (status == 412)
		return SD_AWS_PRECONDITION;
	if (status == 409)
		return SD_AWS_CONFLICT;
	if (status == 401 || status == 403)
		return SD_AWS_DENIED;
	return SD_AWS_CLIENT;
}

/* Transport errors worth another try. */
static int
curl_transient(int cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Failures before the request could have left. */
static int
curl_before_send(int cc)
{
	return cc == CURLE_COULDNT_RESOLVE_PROXY ||
	    cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_SSL_CONNECT_ERROR;
}

int
sd_aws_maybe_applied(enum sd_aws_kind k, int curl_code, int sent)
{
	if (k == SD_AWS_SERVER)
		return 1;
	if (k == SD_AWS_TRANSPORT)
		return sent && !curl_before_send(curl_code);
	return 0;
}

int
sd_aws_retryable(enum sd_aws_kind k, int curl_code, int sent,
    enum sd_aws_idem idem)
{
	switch (k) {
	case SD_AWS_THROTTLED:
		return 1;
	case SD_AWS_SERVER:
		return idem != SD_AWS_UNSAFE;
	case SD_AWS_TRANSPORT:
		if (!curl_transient(curl_code))
			return 0;
		if (idem != SD_AWS_UNSAFE)
			return 1;
		return !sd_aws_maybe_applied(k, curl_code, sent);
	default:
		return 0;
	}
}

uint32_t
sd_aws_backoff_ms(const struct sd_aws_retry *r, unsigned n, uint32_t rnd,
    uint32_t retry_after_ms)
{
	uint64_t c;
	uint32_t d, ra;
	unsigned i;

	if (r == NULL)
		return 0;
	c = r->base_ms;
	for (i = 1; i < n && c < r->max_ms; i++)
		c *= 2;
	if (c > r->max_ms)
		c = r->max_ms;
	d = (uint32_t)(c / 2 + rnd % (c / 2 + 1));
	ra = retry_after_ms < r->max_ms ? retry_after_ms : r->max_ms;
	return d > ra ? d : ra;
}

/* ------------------------------------------------------------ endpoints */

int
sd_aws_host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char inner[64];
	size_t n;

	if (host == NULL)
		return 0;
	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (host[0] == '[') {
		n = strlen(host);
		if (n < 3 || host[n - 1] != ']' || n - 2 >= sizeof(inner))
			return 0;
		memcpy(inner, host + 1, n - 2);
		inner[n - 2] = '\0';
		return inet_pton(AF_INET6, inner, &a6) == 1 &&
		    memcmp(&a6, &in6addr_loopback, sizeof(a6)) == 0;
	}
	if (inet_pton(AF_INET, host, &a4) != 1)
		return 0;
	return (ntohl(a4.s_addr) >> 24) == 127;
}

/* The parts of url that we look at; each new (curl_free). */
struct url_parts {
	char	*scheme, *host, *port, *path, *query, *frag, *user, *pass;
};

static void
url_parts_free(struct url_parts *p)
{
	curl_free(p->scheme);
	curl_free(p->host);
	curl_free(p->port);
	curl_free(p->path);
	curl_free(p->query);
	curl_free(p->frag);
	curl_free(p->user);
	curl_free(p->pass);
	memset(p, 0, sizeof(*p));
}

/*
 * Parse url with libcurl's own parser (so what we check is what curl
 * will connect to). 0, or SD_ERR_INVALID.
 */
static int
url_split(const char *url, struct url_parts *p, struct sd_error *err)
{
	CURLU *u = NULL;
	CURLUcode uc;
	size_t i;
	int r = SD_ERR_INVALID;

	memset(p, 0, sizeof(*p));
	if (url == NULL || url[0] == '\0')
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no URL");
	if (strlen(url) >= SD_AWS_URL_MAX)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "a URL longer than %d bytes", SD_AWS_URL_MAX - 1);
	for (i = 0; url[i] != '\0'; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "URL byte %zu is a space, control or non-ASCII "
			    "character", i);
	if ((u = curl_url()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((uc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "\"%s\" is not a "
		    "URL: %s", url, curl_url_strerror(uc));
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
	    p->host[0] == '\0') {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "\"%s\": no scheme "
		    "or host", url);
		goto out;
	}
	if ((uc = curl_url_get(u, CURLUPART_PORT, &p->port, 0)) != CURLUE_OK &&
	    uc != CURLUE_NO_PORT)
		goto bad;
	if ((uc = curl_url_get(u, CURLUPART_PATH, &p->path, 0)) != CURLUE_OK)
		goto bad;
	if ((uc = curl_url_get(u, CURLUPART_QUERY, &p->query, 0)) !=
	    CURLUE_OK && uc != CURLUE_NO_QUERY)
		goto bad;
	if ((uc = curl_url_get(u, CURLUPART_FRAGMENT, &p->frag, 0)) !=
	    CURLUE_OK && uc != CURLUE_NO_FRAGMENT)
		goto bad;
	if ((uc = curl_url_get(u, CURLUPART_USER, &p->user, 0)) != CURLUE_OK &&
	    uc != CURLUE_NO_USER)
		goto bad;
	if ((uc = curl_url_get(u, CURLUPART_PASSWORD, &p->pass, 0)) !=
	    CURLUE_OK && uc != CURLUE_NO_PASSWORD)
		goto bad;
	if (p->user != NULL || p->pass != NULL) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "\"%s\": a URL "
		    "with user information is not allowed", url);
		goto out;
	}
	for (i = 0; p->host[i] != '\0'; i++)
		p->host[i] = (char)tolower((unsigned char)p->host[i]);
	r = 0;
	goto out;
 bad:
	r = sd_error_set(err, SD_ERR_INVALID, NULL, "\"%s\": %s", url,
	    curl_url_strerror(uc));
 out:
	curl_url_cleanup(u);
	if (r != 0)
		url_parts_free(p);
	return r;
}

/* Host characters we accept: DNS names, dotted IPv4, bracketed IPv6. */
static int
host_ok(const char *h)
{
	size_t i, n = strlen(h);

	if (n == 0 || n >= SD_AWS_HOST_MAX - 8)
		return 0;
	if (h[0] == '[') {
		if (h[n - 1] != ']')
			return 0;
		for (i = 1; i + 1 < n; i++)
			if (!isxdigit((unsigned char)h[i]) && h[i] != ':' &&
			    h[i] != '.')
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-')
			return 0;
	return 1;
}

int
sd_aws_endpoint_parse(const char *url, struct sd_aws_endpoint *out,
    struct sd_error *err)
{
	struct url_parts p;
	const char *defport;
	int r, n, https;

	memset(out, 0, sizeof(*out));
	if ((r = url_split(url, &p, err)) != 0)
		return r;
	r = SD_ERR_INVALID;
	https = strcmp(p.scheme, "https") == 0;
	if (!https && strcmp(p.scheme, "http") != 0) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": the scheme "
		    "must be https", url);
		goto out;
	}
	if ((p.path != NULL && strcmp(p.path, "/") != 0 && p.path[0] != '\0') ||
	    p.query != NULL || p.frag != NULL) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": only "
		    "scheme://host[:port] (no path, query or fragment)", url);
		goto out;
	}
	if (!host_ok(p.host)) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": not a host "
		    "name or IP address", url);
		goto out;
	}
	out->https = https;
	out->loopback = sd_aws_host_is_loopback(p.host);
	if (!https && !out->loopback) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": plain http "
		    "is allowed only to a loopback host (127.0.0.0/8, [::1], "
		    "localhost); anything else must be https", url);
		goto out;
	}
	defport = https ? "443" : "80";
	if (p.port != NULL && strcmp(p.port, defport) != 0)
		n = snprintf(out->host, sizeof(out->host), "%s:%s", p.host,
		    p.port);
	else
		n = snprintf(out->host, sizeof(out->host), "%s", p.host);
	if (n < 0 || (size_t)n >= sizeof(out->host)) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": host too "
		    "long", url);
		goto out;
	}
	n = snprintf(out->base, sizeof(out->base), "%s://%s", p.scheme,
	    out->host);
	if (n < 0 || (size_t)n >= sizeof(out->base)) {
		(void)sd_error_set(err, r, NULL, "endpoint \"%s\": too long",
		    url);
		goto out;
	}
	r = 0;
 out:
	url_parts_free(&p);
	if (r != 0)
		memset(out, 0, sizeof(*out));
	return r;
}

int
sd_aws_url_allowed(const char *url, int allow_http_loopback,
    struct sd_error *err)
{
	struct url_parts p;
	int r;

	if ((r = url_split(url, &p, err)) != 0)
		return r;
	r = 0;
	if (!host_ok(p.host))
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "URL host \"%s\" "
		    "is not a host name or IP address", p.host);
	else if (strcmp(p.scheme, "https") == 0)
		r = 0;
	else if (strcmp(p.scheme, "http") != 0)
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "URL scheme %s: "
		    "only https", p.scheme);
	else if (!sd_aws_host_is_loopback(p.host))
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "a plain http URL "
		    "to %s: only https (http to loopback hosts in tests)",
		    p.host);
	else if (!allow_http_loopback)
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "a plain http URL "
		    "to %s, but this client has no http loopback endpoint",
		    p.host);
	url_parts_free(&p);
	return r;
}

/* ------------------------------------------------------------ client */

void
sd_aws_config_init(struct sd_aws_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_timeout_ms = 10000;
	cfg->request_timeout_ms = 120000;
	cfg->retry.max_attempts = 5;
	cfg->retry.base_ms = 200;
	cfg->retry.max_ms = 20000;
	cfg->poll_interval_ms = 1000;
	cfg->poll_timeout_ms = 300000;
	cfg->response_max = SD_AWS_RESPONSE_MAX_DEFAULT;
}

int
sd_aws_new(const struct sd_aws_config *cfg, struct sd_aws **out,
    struct sd_error *err)
{
	struct sd_aws *c = NULL;
	char url[SD_AWS_URL_MAX];
	int i, r = SD_ERR_INVALID;

	*out = NULL;
	if (cfg == NULL || cfg->sign == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "an AWS client needs a signing callback");
	if (cfg->region == NULL || !sd_policy_valid_region(cfg->region))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "region \"%s\" is not a region name",
		    cfg->region != NULL ? cfg->region : "");
	if (cfg->connect_timeout_ms <= 0 || cfg->request_timeout_ms <= 0 ||
	    cfg->poll_interval_ms <= 0 || cfg->poll_timeout_ms <= 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "timeouts must be positive");
	if (cfg->retry.max_attempts < 1 || cfg->retry.max_attempts > 100 ||
	    cfg->retry.max_ms < cfg->retry.base_ms ||
	    cfg->retry.max_ms > 3600000)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "retry: 1-100 "
		    "tries, a backoff cap at least the base and at most 1 h");
	if (cfg->response_max == 0 || cfg->response_max > RESPONSE_MAX_LIMIT)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "response_max must be 1 byte - 1 GiB");
	if (sodium_init() < 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "libsodium would not start");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	(void)snprintf(c->region, sizeof(c->region), "%s", cfg->region);
	for (i = 0; i < SD_POLICY_SVC_COUNT; i++) {
		if (cfg->endpoint[i] != NULL) {
			if (snprintf(url, sizeof(url), "%s", cfg->endpoint[i]) >=
			    (int)sizeof(url)) {
				r = sd_error_set(err, SD_ERR_INVALID, NULL,
				    "the %s endpoint is too long",
				    sd_aws_service_title(i));
				goto out;
			}
		} else if ((r = sd_policy_endpoint(cfg->policy, i, c->region,
		    url, sizeof(url))) != 0) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL,
			    "no %s endpoint for region %s",
			    sd_aws_service_title(i), c->region);
			goto out;
		}
		if ((r = sd_aws_endpoint_parse(url, &c->ep[i], err)) != 0) {
			(void)sd_error_prefix(err, "%s: ",
			    sd_aws_service_title(i));
			goto out;
		}
		if (!c->ep[i].https)
			c->allow_http_loopback = 1;
	}
	r = SD_ERR_NOMEM;
	if ((cfg->ca_file != NULL && (c->ca_file = strdup(cfg->ca_file)) ==
	    NULL) || (c->user_agent = strdup(cfg->user_agent != NULL ?
	    cfg->user_agent : DEFAULT_USER_AGENT)) == NULL) {
		(void)sd_error_set(err, r, NULL, "out of memory");
		goto out;
	}
	c->connect_timeout_ms = cfg->connect_timeout_ms;
	c->request_timeout_ms = cfg->request_timeout_ms;
	c->poll_interval_ms = cfg->poll_interval_ms;
	c->poll_timeout_ms = cfg->poll_timeout_ms;
	c->retry = cfg->retry;
	c->response_max = cfg->response_max;
	c->sign = cfg->sign;
	c->sign_ctx = cfg->sign_ctx;
	c->on_call = cfg->on_call;
	c->on_call_arg = cfg->on_call_arg;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "libcurl would not start");
		goto out;
	}
	if ((c->h = curl_easy_init()) == NULL) {
		curl_global_cleanup();
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "libcurl would not start");
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	if (c != NULL) {
		free(c->ca_file);
		free(c->user_agent);
		free(c);
	}
	return r;
}

void
sd_aws_free(struct sd_aws *c)
{
	if (c == NULL)
		return;
	if (c->h != NULL) {
		curl_easy_cleanup(c->h);
		curl_global_cleanup();
	}
	free(c->ca_file);
	free(c->user_agent);
	free(c);
}

const char *
sd_aws_region(const struct sd_aws *c)
{
	return c->region;
}

const char *
sd_aws_endpoint(const struct sd_aws *c, enum sd_policy_service svc)
{
	if ((int)svc < 0 || svc >= SD_POLICY_SVC_COUNT)
		return NULL;
	return c->ep[svc].base;
}

int
aws_allow_http_loopback(const struct sd_aws *c)
{
	return c->allow_http_loopback;
}

long
aws_poll_interval_ms(const struct sd_aws *c)
{
	return c->poll_interval_ms;
}

long
aws_poll_timeout_ms(const struct sd_aws *c)
{
	return c->poll_timeout_ms;
}

size_t
aws_response_max(const struct sd_aws *c)
{
	return c->response_max;
}

/* ------------------------------------------------------------ internals */

void
aws_sleep_ms(long ms)
{
	struct timespec ts, rem;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

int64_t
aws_mono_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sd_aws_status *
aws_status(struct sd_aws_status *st, struct sd_aws_status *scratch)
{
	if (st == NULL)
		st = scratch;
	memset(st, 0, sizeof(*st));
	st->kind = SD_AWS_OK;
	return st;
}

int
aws_fail(struct sd_aws_status *st, struct sd_error *err, int code,
    enum sd_policy_service svc, const char *op, const char *resource,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (st != NULL) {
		st->kind = SD_AWS_LOCAL;
		st->code[0] = '\0';
	}
	va_start(ap, fmt);
	msg = sd_vasprintf(fmt, ap);
	va_end(ap);
	(void)sd_error_set(err, code, NULL, "%s %s %s: %s",
	    sd_aws_service_title(svc), op, resource != NULL ? resource : "",
	    msg != NULL ? msg : "out of memory");
	if (st != NULL && msg != NULL)
		sanitize(st->message, sizeof(st->message), msg, strlen(msg));
	free(msg);
	return code;
}

int
aws_pct_encode(const char *s, int keep_slash, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	unsigned char ch;

	for (; *s != '\0'; s++) {
		ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~' || (keep_slash && ch == '/')) {
			if (o + 1 >= len)
				return SD_ERR_OVERFLOW;
			out[o++] = (char)ch;
		} else {
			if (o + 3 >= len)
				return SD_ERR_OVERFLOW;
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	if (o >= len)
		return SD_ERR_OVERFLOW;
	out[o] = '\0';
	return 0;
}

int
aws_json_body(const struct aws_resp *rs, json_t **out,
    struct sd_aws_status *st, struct sd_error *err,
    enum sd_policy_service svc, const char *op, const char *resource)
{
	json_error_t je;

	*out = json_loadb(rs->body.data != NULL ? rs->body.data : "",
	    rs->body.len, JSON_REJECT_DUPLICATES, &je);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return aws_fail(st, err, SD_ERR_PARSE, svc, op, resource,
		    "the answer (HTTP %ld) is not a JSON object: %s",
		    rs->status, je.text);
	}
	return 0;
}

void
aws_json_str(const json_t *o, const char *key, char *buf, size_t len)
{
	json_t *v = json_object_get(o, key);

	if (len == 0)
		return;
	buf[0] = '\0';
	if (json_is_string(v))
		sanitize(buf, len, json_string_value(v), json_string_length(v));
}

char *
aws_json_text(const json_t *o)
{
	return json_dumps(o, JSON_COMPACT);
}

int
aws_arn_ok(const char *arn, const char *kind)
{
	char want[48];
	size_t i, n;

	if (arn == NULL || strncmp(arn, "arn:", 4) != 0)
		return 0;
	n = strlen(arn);
	if (n >= SD_POLICY_ARN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)arn[i] <= 0x20 ||
		    (unsigned char)arn[i] >= 0x7f)
			return 0;
	(void)snprintf(want, sizeof(want), ":%s:", kind);
	return strstr(arn, want) != NULL;
}

void
aws_req_init(struct aws_req *rq, enum sd_policy_service svc, const char *op,
    const char *resource, const char *method)
{
	memset(rq, 0, sizeof(*rq));
	rq->svc = svc;
	rq->op = op;
	rq->resource = resource;
	rq->method = method;
	rq->path = "/";
	rq->body_fd = -1;
	rq->out_fd = -1;
	rq->idem = SD_AWS_IDEMPOTENT;
}

int
aws_req_header(struct aws_req *rq, const char *name, const char *value)
{
	if (rq->nhdrs >= AWS_REQ_HEADERS)
		return SD_ERR_LIMIT;
	rq->hdrs[rq->nhdrs].name = name;
	rq->hdrs[rq->nhdrs].name_len = strlen(name);
	rq->hdrs[rq->nhdrs].value = value;
	rq->hdrs[rq->nhdrs].value_len = strlen(value);
	rq->nhdrs++;
	return 0;
}

void
aws_resp_init(struct aws_resp *rs)
{
	memset(rs, 0, sizeof(*rs));
	sd_buf_init(&rs->body, RESPONSE_MAX_LIMIT);
	rs->content_length = -1;
}

void
aws_resp_release(struct aws_resp *rs)
{
	sd_buf_release(&rs->body);
}

/* ------------------------------------------------------------ one try */

struct xfer {
	const struct aws_req	*rq;
	struct aws_resp		*rs;
	size_t			 cap;		/* for a 2xx body */
	uint64_t		 rd_off;
	int			 too_big;
	int			 io_errno;	/* reading the body file */
	int			 wr_errno;	/* writing out_fd */
	crypto_hash_sha256_state hs;
};

static void
header_value(const char *v, size_t n, char *dst, size_t len)
{
	while (n > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	sanitize(dst, len, v, n);
}

static size_t
on_header(char *line, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	struct aws_resp *rs = x->rs;
	size_t n = size * nitems, nl;
	const char *colon;
	char tmp[64];
	long v;
	char *end;

	if (n > HEADER_LINE_MAX)
		return n;	/* ignored: none of ours is that long */
	if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue): start over. */
		const char *sp = memchr(line, ' ', n);

		rs->status = 0;
		if (sp != NULL && (size_t)(sp - line) + 4 <= n &&
		    isdigit((unsigned char)sp[1]) &&
		    isdigit((unsigned char)sp[2]) &&
		    isdigit((unsigned char)sp[3]))
			rs->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 +
			    (sp[3] - '0');
		rs->etag[0] = rs->request_id[0] = rs->error_type[0] = '\0';
		rs->last_modified[0] = '\0';
		rs->content_length = -1;
		rs->retry_after_ms = 0;
		return n;
	}
	if ((colon = memchr(line, ':', n)) == NULL)
		return n;
	nl = (size_t)(colon - line);
	colon++;
#define IS(h)	(nl == strlen(h) && strncasecmp(line, h, nl) == 0)
	if (IS("etag"))
		header_value(colon, n - nl - 1, rs->etag, sizeof(rs->etag));
	else if (IS("x-amz-request-id") || IS("x-amzn-requestid"))
		header_value(colon, n - nl - 1, rs->request_id,
		    sizeof(rs->request_id));
	else if (IS("x-amzn-errortype"))
		header_value(colon, n - nl - 1, rs->error_type,
		    sizeof(rs->error_type));
	else if (IS("last-modified"))
		header_value(colon, n - nl - 1, rs->last_modified,
		    sizeof(rs->last_modified));
	else if (IS("content-length") || IS("retry-after")) {
		header_value(colon, n - nl - 1, tmp, sizeof(tmp));
		errno = 0;
		v = strtol(tmp, &end, 10);
		if (errno == 0 && end != tmp && *end == '\0' && v >= 0) {
			if (IS("content-length"))
				rs->content_length = v;
			else
				rs->retry_after_ms = (uint32_t)(v >
				    RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : v) *
				    1000;
		}
	}
#undef IS
	return n;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct aws_resp *rs = x->rs;
	size_t n = size * nmemb, done = 0;
	ssize_t w;
	int ok = rs->status >= 200 && rs->status < 300;

	if (ok && x->rq->out_fd >= 0) {
		if (rs->written + n > x->rq->out_max) {
			x->too_big = 1;
			return 0;
		}
		while (done < n) {
			w = write(x->rq->out_fd, data + done, n - done);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				x->wr_errno = w < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)w;
		}
		(void)crypto_hash_sha256_update(&x->hs,
		    (const unsigned char *)data, n);
		rs->written += n;
		return n;
	}
	if (!ok) {
		/* Error bodies: keep the start, drop the rest. */
		if (rs->body.len < SD_AWS_ERROR_BODY_MAX)
			(void)sd_buf_append(&rs->body, data,
			    n < SD_AWS_ERROR_BODY_MAX - rs->body.len ? n :
			    SD_AWS_ERROR_BODY_MAX - rs->body.len);
		return n;
	}
	if (rs->body.len + n > x->cap) {
		x->too_big = 1;
		return 0;
	}
	if (sd_buf_append(&rs->body, data, n) != 0) {
		x->too_big = 1;
		return 0;
	}
	return n;
}

static size_t
on_read(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	const struct aws_req *rq = x->rq;
	size_t n = size * nitems;
	uint64_t total = rq->body_fd >= 0 ? rq->body_fd_len : rq->body_len;
	ssize_t got;

	if (x->rd_off >= total)
		return 0;
	if (n > total - x->rd_off)
		n = (size_t)(total - x->rd_off);
	if (rq->body_fd < 0) {
		memcpy(buf, (const char *)rq->body + x->rd_off, n);
		x->rd_off += n;
		return n;
	}
	do
		got = pread(rq->body_fd, buf, n, (off_t)x->rd_off);
	while (got < 0 && errno == EINTR);
	if (got <= 0) {
		x->io_errno = got < 0 ? errno : EIO;	/* file shrank */
		return CURL_READFUNC_ABORT;
	}
	x->rd_off += (uint64_t)got;
	return (size_t)got;
}

static int
on_seek(void *arg, curl_off_t off, int origin)
{
	struct xfer *x = arg;

	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	x->rd_off = (uint64_t)off;
	return CURL_SEEKFUNC_OK;
}

/* Append "Name: value" to *list; header parts are checked first. */
static int
add_header(struct curl_slist **list, const char *name, size_t nl,
    const char *value, size_t vl)
{
	struct curl_slist *n;
	char *line;
	size_t i;

	if (nl == 0)
		return SD_ERR_INVALID;
	for (i = 0; i < nl; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return SD_ERR_INVALID;
	for (i = 0; i < vl; i++)
		if ((unsigned char)value[i] < 0x20 && value[i] != '\t')
			return SD_ERR_INVALID;
	if ((line = sd_asprintf("%.*s: %.*s", (int)nl, name, (int)vl,
	    value)) == NULL)
		return SD_ERR_NOMEM;
	n = curl_slist_append(*list, line);
	free(line);
	if (n == NULL)
		return SD_ERR_NOMEM;
	*list = n;
	return 0;
}

#define SETOPT(o, v) do {						\
	if ((cc = curl_easy_setopt(h, (o), (v))) != CURLE_OK)		\
		goto setopt_failed;					\
} while (0)

/*
 * One try. Fills st (kind, http_status, code, message, request_id,
 * curl_code) and *sent; returns 0 when the try got a 2xx, else the
 * SD_ERR_* (with err filled only for SD_AWS_SIGNER and SD_AWS_LOCAL,
 * whose text aws_do keeps).
 */
static int
attempt(struct sd_aws *c, const struct aws_req *rq, const char *hash,
    struct aws_resp *rs, struct sd_aws_status *st, int *sent,
    struct sd_error *err)
{
	const struct sd_aws_endpoint *ep = &c->ep[rq->svc];
	struct curl_slist *hl = NULL;
	struct sd_sigv4_request sr;
	struct sd_error serr = SD_ERROR_INIT;
	struct xfer x;
	json_t *signed_hdrs = NULL, *pair;
	CURL *h = c->h;
	CURLcode cc = CURLE_OK;
	long reqsize = 0;
	char *url = NULL;
	/* scheme://host[:port] of the request (a transport failure names it;
	 * never the path or query: a Code.Location's carries its token). */
	char where[SD_AWS_URL_MAX] = "";
	size_t i;
	long code = 0;
	int r = SD_ERR_INTERNAL, http, loopback;

	*sent = 0;
	memset(&x, 0, sizeof(x));
	x.rq = rq;
	x.rs = rs;
	x.cap = rq->max_response != 0 ? rq->max_response : c->response_max;
	(void)crypto_hash_sha256_init(&x.hs);
	sd_buf_reset(&rs->body);
	rs->status = 0;
	rs->etag[0] = rs->request_id[0] = rs->error_type[0] = '\0';
	rs->last_modified[0] = '\0';
	rs->content_length = -1;
	rs->retry_after_ms = 0;
	rs->written = 0;
	st->kind = SD_AWS_OK;
	st->http_status = 0;
	st->code[0] = st->message[0] = st->request_id[0] = '\0';
	st->curl_code = 0;

	if (rq->url != NULL) {
		struct url_parts p;

		if ((r = url_split(rq->url, &p, err)) != 0)
			goto local;
		http = strcmp(p.scheme, "http") == 0;
		loopback = sd_aws_host_is_loopback(p.host);
		(void)snprintf(where, sizeof(where), "%s://%s%s%s", p.scheme,
		    p.host, p.port != NULL ? ":" : "",
		    p.port != NULL ? p.port : "");
		url_parts_free(&p);
		if ((url = strdup(rq->url)) == NULL)
			goto nomem;
	} else {
		http = !ep->https;
		loopback = ep->loopback;
		(void)snprintf(where, sizeof(where), "%s", ep->base);
		url = sd_asprintf("%s%s%s%s", ep->base, rq->path,
		    rq->query != NULL ? "?" : "",
		    rq->query != NULL ? rq->query : "");
		if (url == NULL)
			goto nomem;
		/* Sign exactly what will be sent. */
		memset(&sr, 0, sizeof(sr));
		sr.method = rq->method;
		sr.method_len = strlen(rq->method);
		sr.host = ep->host;
		sr.host_len = strlen(ep->host);
		sr.path = rq->path;
		sr.path_len = strlen(rq->path);
		sr.query = rq->query;
		sr.query_len = rq->query != NULL ? strlen(rq->query) : 0;
		sr.headers = rq->hdrs;
		sr.nheaders = rq->nhdrs;
		if (hash != NULL)
			sr.payload_hash = hash;
		else {
			sr.body = rq->body;
			sr.body_len = rq->body_len;
		}
		if ((r = c->sign(c->sign_ctx, &sr, c->region, &signed_hdrs,
		    &serr)) != 0) {
			st->kind = SD_AWS_SIGNER;
			sanitize(st->message, sizeof(st->message),
			    sd_error_text(&serr), strlen(sd_error_text(&serr)));
			(void)sd_error_set(err, r, NULL, "%s %s %s: not signed: "
			    "%s", sd_aws_service_title(rq->svc), rq->op,
			    rq->resource, sd_error_text(&serr));
			goto out;
		}
		if (!json_is_array(signed_hdrs) ||
		    json_array_size(signed_hdrs) == 0) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL, "the "
			    "signing callback gave no headers");
			goto local;
		}
		if ((r = add_header(&hl, "Host", 4, ep->host,
		    strlen(ep->host))) != 0)
			goto bad_header;
		for (i = 0; i < rq->nhdrs; i++)
			if ((r = add_header(&hl, rq->hdrs[i].name,
			    rq->hdrs[i].name_len, rq->hdrs[i].value,
			    rq->hdrs[i].value_len)) != 0)
				goto bad_header;
		json_array_foreach(signed_hdrs, i, pair) {
			json_t *k = json_array_get(pair, 0);
			json_t *v = json_array_get(pair, 1);

			if (!json_is_string(k) || !json_is_string(v)) {
				r = SD_ERR_INVALID;
				goto bad_header;
			}
			if ((r = add_header(&hl, json_string_value(k),
			    json_string_length(k), json_string_value(v),
			    json_string_length(v))) != 0)
				goto bad_header;
		}
	}
	/* No 100-continue dance for small bodies; curl's default for a file. */
	if (rq->body_fd < 0) {
		struct curl_slist *n = curl_slist_append(hl, "Expect:");

		if (n == NULL)
			goto nomem;
		hl = n;
	}

	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	SETOPT(CURLOPT_URL, url);
	SETOPT(CURLOPT_PROTOCOLS_STR, http ? "http" : "https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_ERRORBUFFER, c->errbuf);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SETOPT(CURLOPT_TIMEOUT_MS, c->request_timeout_ms);
	SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* A CA bundle replaces the system's trust (as aws-cli's
	 * --ca-bundle): not added to libcurl's default CA directory. */
	if (c->ca_file != NULL) {
		SETOPT(CURLOPT_CAINFO, c->ca_file);
		SETOPT(CURLOPT_CAPATH, (char *)NULL);
	}
	/* A loopback host is never reached through a proxy. */
	if (loopback)
		SETOPT(CURLOPT_PROXY, "");
	/*
	 * libcurl silently sends a request again when a reused connection
	 * dies before any byte of the answer - even a PUT, which the server
	 * may have applied. For a conditional or unsafe call that would hide
	 * a try that maybe applied (and so turn our own success into a 412
	 * we cannot explain): such calls get a connection of their own, on
	 * which curl never retries.
	 */
	if (rq->idem != SD_AWS_IDEMPOTENT)
		SETOPT(CURLOPT_FRESH_CONNECT, 1L);
	SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
	SETOPT(CURLOPT_USERAGENT, c->user_agent);
	SETOPT(CURLOPT_HTTPHEADER, hl);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, &x);
	SETOPT(CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(CURLOPT_WRITEDATA, &x);
	if (rq->out_fd >= 0)
		SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rq->out_max);
	if (strcmp(rq->method, "GET") == 0)
		SETOPT(CURLOPT_HTTPGET, 1L);
	else if (strcmp(rq->method, "HEAD") == 0)
		SETOPT(CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "DELETE") == 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, "DELETE");
	else {
		curl_off_t len = (curl_off_t)(rq->body_fd >= 0 ?
		    rq->body_fd_len : rq->body_len);

		SETOPT(CURLOPT_READFUNCTION, on_read);
		SETOPT(CURLOPT_READDATA, &x);
		SETOPT(CURLOPT_SEEKFUNCTION, on_seek);
		SETOPT(CURLOPT_SEEKDATA, &x);
		if (strcmp(rq->method, "PUT") == 0) {
			SETOPT(CURLOPT_UPLOAD, 1L);
			SETOPT(CURLOPT_INFILESIZE_LARGE, len);
		} else {
			SETOPT(CURLOPT_POST, 1L);
			SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, len);
		}
	}

	cc = curl_easy_perform(h);
	st->curl_code = (int)cc;
	if (curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &reqsize) != CURLE_OK)
		reqsize = 1;	/* unknown: assume it left */
	*sent = reqsize > 0 || cc == CURLE_OK;
	if (cc == CURLE_OK && curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE,
	    &code) == CURLE_OK && code > 0)
		rs->status = code;
	if (x.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		st->http_status = rs->status;
		r = sd_error_set(err, SD_ERR_LIMIT, NULL, "%s %s %s: the answer "
		    "is larger than %llu bytes", sd_aws_service_title(rq->svc),
		    rq->op, rq->resource, (unsigned long long)(rq->out_fd >= 0 ?
		    rq->out_max : x.cap));
		st->kind = SD_AWS_LOCAL;
		goto out;
	}
	if (x.io_errno != 0 || x.wr_errno != 0) {
		st->http_status = rs->status;
		r = sd_error_set(err, SD_ERR_IO, NULL, "%s %s %s: %s: %s",
		    sd_aws_service_title(rq->svc), rq->op, rq->resource,
		    x.io_errno != 0 ? "reading the body" : "writing the answer",
		    strerror(x.io_errno != 0 ? x.io_errno : x.wr_errno));
		st->kind = SD_AWS_LOCAL;
		goto out;
	}
	if (cc != CURLE_OK) {
		st->kind = SD_AWS_TRANSPORT;
		st->http_status = rs->status;
		(void)snprintf(st->message, sizeof(st->message), "%.300s: "
		    "%.600s (curl error %d)", where, c->errbuf[0] != '\0' ?
		    c->errbuf : curl_easy_strerror(cc), (int)cc);
		r = SD_ERR_IO;
		goto out;
	}
	(void)snprintf(st->request_id, sizeof(st->request_id), "%s",
	    rs->request_id);
	st->http_status = rs->status;
	if (rs->status >= 200 && rs->status < 300) {
		if (rq->out_fd >= 0)
			(void)crypto_hash_sha256_final(&x.hs, rs->sha256);
		st->kind = SD_AWS_OK;
		r = 0;
		goto out;
	}
	sd_aws_parse_error(rq->svc, rs->status, rs->error_type,
	    rs->body.data, rs->body.len, st);
	r = sd_aws_kind_errcode(st->kind);
	goto out;

 setopt_failed:
	r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "%s %s %s: "
	    "curl_easy_setopt: %s", sd_aws_service_title(rq->svc), rq->op,
	    rq->resource, curl_easy_strerror(cc));
	goto local;
 bad_header:
	if (r != SD_ERR_NOMEM) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s %s: a "
		    "header name or value is not allowed",
		    sd_aws_service_title(rq->svc), rq->op, rq->resource);
		goto local;
	}
 nomem:
	r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 local:
	st->kind = SD_AWS_LOCAL;
	sanitize(st->message, sizeof(st->message), sd_error_text(err),
	    strlen(sd_error_text(err)));
 out:
	/* Leave no pointer to our stack or header list in the handle (its
	 * connections stay cached). */
	curl_easy_reset(h);
	curl_slist_free_all(hl);
	json_decref(signed_hdrs);
	sd_error_clear(&serr);
	free(url);
	return r;
}
#undef SETOPT

static void
report(struct sd_aws *c, const struct aws_req *rq, unsigned n, int done,
    const struct sd_aws_status *st, long elapsed)
{
	struct sd_aws_call call;

	if (c->on_call == NULL)
		return;
	memset(&call, 0, sizeof(call));
	call.service = rq->svc;
	call.op = rq->op;
	call.resource = rq->resource;
	call.attempt = n;
	call.done = done;
	call.status = done ? st : NULL;
	call.elapsed_ms = elapsed;
	c->on_call(c->on_call_arg, &call);
}

int
aws_do(struct sd_aws *c, const struct aws_req *rq, struct aws_resp *rs,
    struct sd_aws_status *st, struct sd_error *err)
{
	unsigned char digest[crypto_hash_sha256_BYTES];
	char hashbuf[SD_SIGV4_HASH_HEX + 1], tries[48] = "";
	const char *hash = NULL;
	const char *title = sd_aws_service_title(rq->svc);
	unsigned n;
	uint32_t delay;
	int64_t t0;
	int r = SD_ERR_INTERNAL, sent = 0;

	st->attempts = 0;
	st->maybe_applied = 0;
	/* What the signer gets: the body, or its SHA-256. */
	if (rq->url == NULL) {
		if (rq->payload_hash != NULL)
			hash = rq->payload_hash;
		else if (rq->body_fd >= 0)
			return aws_fail(st, err, SD_ERR_INVALID, rq->svc,
			    rq->op, rq->resource, "a file body needs its "
			    "SHA-256");
		else if (rq->body_len == 0)
			hash = EMPTY_SHA256;
		else if (rq->hash_only) {
			(void)crypto_hash_sha256(digest, rq->body,
			    rq->body_len);
			(void)sodium_bin2hex(hashbuf, sizeof(hashbuf), digest,
			    sizeof(digest));
			hash = hashbuf;
		}
	}
	for (n = 1;; n++) {
		report(c, rq, n, 0, st, 0);
		t0 = aws_mono_ms();
		if (n > 1 && rq->out_fd >= 0 &&
		    (ftruncate(rq->out_fd, 0) != 0 ||
		    lseek(rq->out_fd, 0, SEEK_SET) != 0)) {
			r = aws_fail(st, err, SD_ERR_IO, rq->svc, rq->op,
			    rq->resource, "rewinding the output: %s",
			    strerror(errno));
			break;
		}
		r = attempt(c, rq, hash, rs, st, &sent, err);
		st->attempts = st->kind == SD_AWS_SIGNER ||
		    (st->kind == SD_AWS_LOCAL && !sent) ? n - 1 : n;
		/* A read has nothing to apply. */
		if (sd_aws_maybe_applied(st->kind, st->curl_code, sent) &&
		    strcmp(rq->method, "GET") != 0 &&
		    strcmp(rq->method, "HEAD") != 0)
			st->maybe_applied = 1;
		report(c, rq, n, 1, st, (long)(aws_mono_ms() - t0));
		if (st->kind == SD_AWS_OK)
			return 0;
		if (st->kind == SD_AWS_SIGNER || st->kind == SD_AWS_LOCAL)
			return r;	/* err says it all */
		if (!sd_aws_retryable(st->kind, st->curl_code, sent,
		    rq->idem) || n >= c->retry.max_attempts)
			break;
		delay = sd_aws_backoff_ms(&c->retry, n, randombytes_random(),
		    rs->retry_after_ms);
		if (st->kind == SD_AWS_TRANSPORT)
			sd_warn("%s %s %s: %s; try %u of %u in %u ms", title,
			    rq->op, rq->resource, st->message, n + 1,
			    c->retry.max_attempts, delay);
		else
			sd_warn("%s %s %s: HTTP %ld %s; try %u of %u in %u ms",
			    title, rq->op, rq->resource, st->http_status,
			    st->code, n + 1, c->retry.max_attempts, delay);
		aws_sleep_ms((long)delay);
	}
	if (st->kind == SD_AWS_LOCAL)
		return r;
	if (st->attempts > 1)
		(void)snprintf(tries, sizeof(tries), " (after %u tries)",
		    st->attempts);
	if (st->kind == SD_AWS_TRANSPORT)
		(void)sd_error_set(err, SD_ERR_IO, NULL, "%s %s %s: no answer: "
		    "%s%s", title, rq->op, rq->resource, st->message, tries);
	else
		(void)sd_error_set(err, sd_aws_kind_errcode(st->kind), NULL,
		    "%s %s %s: HTTP %ld %s%s%s%s", title, rq->op, rq->resource,
		    st->http_status, st->code, st->message[0] != '\0' ? ": " :
		    "", st->message, tries);
	return sd_aws_kind_errcode(st->kind);
}

/* ------------------------------------------------------------ file hash */

int
sd_aws_sha256_file(const char *path, char hex[65],
    char b64[SD_AWS_SHA256_B64_MAX], uint64_t *size, struct sd_error *err)
{
	crypto_hash_sha256_state hs;
	unsigned char d[crypto_hash_sha256_BYTES];
	char buf[65536];
	uint64_t total = 0;
	ssize_t n;
	int fd, r = SD_ERR_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sd_error_set(err, SD_ERR_IO, path, "open: %s",
		    strerror(errno));
	(void)crypto_hash_sha256_init(&hs);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)sd_error_set(err, SD_ERR_IO, path, "read: %s",
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		(void)crypto_hash_sha256_update(&hs, (unsigned char *)buf,
		    (unsigned long long)n);
		total += (uint64_t)n;
	}
	(void)crypto_hash_sha256_final(&hs, d);
	if (hex != NULL)
		(void)sodium_bin2hex(hex, 65, d, sizeof(d));
	if (b64 != NULL)
		(void)sodium_bin2base64(b64, SD_AWS_SHA256_B64_MAX, d,
		    sizeof(d), sodium_base64_VARIANT_ORIGINAL);
	if (size != NULL)
		*size = total;
	r = 0;
 out:
	if (close(fd) != 0 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, path, "close: %s",
		    strerror(errno));
	return r;
}

/* ------------------------------------------------------------ sign.sock */

int
sd_aws_signer_socket(const char *path, struct sd_aws_signer **out,
    struct sd_error *err)
{
	struct sd_aws_signer *s;
	int r;

	*out = NULL;
	if (path == NULL || path[0] == '\0')
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "no signer socket");
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	s->fd = -1;
	if ((r = sd_signer_connect(path, &s->fd, err)) != 0) {
		sd_aws_signer_free(s);
		return r;
	}
	*out = s;
	return 0;
}

int
sd_aws_signer_sign(void *ctx, const struct sd_sigv4_request *req,
    const char *region, json_t **headers, struct sd_error *err)
{
	struct sd_aws_signer *s = ctx;
	int r, tries;

	*headers = NULL;
	if (s == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no signer");
	for (tries = 0; tries < 2; tries++) {
		if (s->fd == -1 && (r = sd_signer_connect(s->path, &s->fd,
		    err)) != 0)
			return r;
		r = sd_signer_sign(s->fd, req, region, 0, headers, err);
		if (r != SD_ERR_IO)
			return r;
		/* The connection is gone (idle timeout, restart): once more
		 * on a new one. */
		(void)sd_signer_close(s->fd);
		s->fd = -1;
	}
	return r;
}

void
sd_aws_signer_free(struct sd_aws_signer *s)
{
	if (s == NULL)
		return;
	(void)sd_signer_close(s->fd);
	free(s->path);
	free(s);
}
