/*
 * sign_policy.c: the SIGN_REQUEST validator and the signer's policy
 * decision (see sd_sign_policy.h). Everything here treats the request as
 * hostile: fields are checked for type, size and characters before use,
 * and every refusal names its reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "sd_json.h"
#include "sd_sign_policy.h"

#define LOC		"policy"
#define SAFE_MAX	120		/* request text quoted in a message */
#define EMPTY_SHA256	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define QUALIFIER_MAX	128
#define MAX_SEGMENTS	8

struct sd_sign_req {
	json_t			*root;		/* holds every string below */
	const char		*method;
	const char		*host;
	const char		*path;
	size_t			 path_len;
	const char		*query;		/* "" when none */
	size_t			 query_len;
	struct sd_sigv4_header	 headers[SD_SIGN_MAX_HEADERS];
	size_t			 nheaders;
	const char		*payload_sha256;	/* NULL: body */
	unsigned char		*body;			/* new; NULL: hash */
	size_t			 body_len;
	int			 has_body;
	const char		*region;
	int64_t			 time;
};

static const char *const action_names[SD_SIGN_ACTION_COUNT] = {
	"s3:GetObject",
	"s3:HeadObject",
	"s3:PutObject",
	"s3:DeleteObject",
	"lambda:GetFunction",
	"lambda:GetFunctionConfiguration",
	"lambda:UpdateFunctionCode",
	"lambda:PublishVersion",
	"lambda:ListTags",
	"states:DescribeStateMachine",
	"states:UpdateStateMachine",
	"states:ListTagsForResource",
};

const char *
sd_sign_action_name(enum sd_sign_action a)
{
	if ((int)a < 0 || a >= SD_SIGN_ACTION_COUNT)
		return "unknown";
	return action_names[a];
}

/* ------------------------------------------------------------ helpers */

/*
 * Copy n bytes of s into buf for a message: printable ASCII kept, other
 * bytes as '?', cut with "..." past SAFE_MAX.
 */
static const char *
safe(char *buf, size_t len, const char *s, size_t n)
{
	size_t i, o = 0, lim = len - 1;

	if (n > SAFE_MAX && lim > SAFE_MAX)
		lim = SAFE_MAX;
	for (i = 0; i < n && o < lim; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[o] = '\0';
	if (i < n && o >= 3) {
		buf[o - 3] = '.';
		buf[o - 2] = '.';
		buf[o - 1] = '.';
	}
	return buf;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into out (NUL-terminated). Every decoded
 * byte must be printable ASCII other than space. -1 on a bad escape, a
 * refused byte or overflow.
 */
static int
pct_decode(const char *s, size_t n, char *out, size_t outlen, size_t *olen)
{
	size_t i, o = 0;
	int hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			if ((hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x21 || c > 0x7e || o + 1 >= outlen)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (olen != NULL)
		*olen = o;
	return 0;
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

static int
tchar(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) !=
	    NULL);
}

/* A byte of a path or query as sent (percent escapes checked apart). */
static int
target_char(int c, int query)
{
	if (c < 0x21 || c > 0x7e)
		return 0;
	if (strchr("#\"<>\\^`{|}", c) != NULL)
		return 0;
	return query || c != '?';
}

static int
check_escapes(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '%' && (i + 2 >= n ||
		    hexval((unsigned char)s[i + 1]) < 0 ||
		    hexval((unsigned char)s[i + 2]) < 0))
			return -1;
	return 0;
}

static const struct sd_sigv4_header *
find_header(const struct sd_sign_req *r, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i].name_len == n &&
		    strncasecmp(r->headers[i].name, name, n) == 0)
			return &r->headers[i];
	return NULL;
}

/* The header's value without surrounding blanks. */
static void
trimmed(const struct sd_sigv4_header *h, const char **v, size_t *n)
{
	const char *b = h->value, *e = h->value + h->value_len;

	while (b < e && (*b == ' ' || *b == '\t'))
		b++;
	while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*v = b;
	*n = (size_t)(e - b);
}

static int
header_is(const struct sd_sigv4_header *h, const char *want)
{
	const char *v;
	size_t n;

	trimmed(h, &v, &n);
	return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

/* ------------------------------------------------------------ parse */

static const char *const fields[] = {
	"method", "host", "path", "query", "headers", "payload_sha256",
	"body", "region", "service", "time", NULL
};

static const char *const methods[] = {
	"GET", "HEAD", "PUT", "POST", "DELETE", NULL
};

/* The signer adds these itself. */
static const char *const reserved_headers[] = {
	"authorization", "x-amz-date", "x-amz-security-token",
	"x-amz-content-sha256", NULL
};

static int
get_string(json_t *obj, const char *key, int required, size_t max,
    const char **out, size_t *len, struct sd_error *err)
{
	json_t *v = json_object_get(obj, key);
	char loc[32];

	*out = NULL;
	if (len != NULL)
		*len = 0;
	(void)snprintf(loc, sizeof(loc), "/%s", key);
	if (v == NULL) {
		if (required)
			return sd_error_set(err, SD_ERR_INVALID, loc,
			    "missing");
		return 0;
	}
	if (!json_is_string(v))
		return sd_error_set(err, SD_ERR_TYPE, loc,
		    "expected a string, not %s", sd_json_type_name(v));
	if (json_string_length(v) > max)
		return sd_error_set(err, SD_ERR_LIMIT, loc,
		    "longer than %zu bytes", max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return sd_error_set(err, SD_ERR_INVALID, loc,
		    "holds a NUL character");
	*out = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	return 0;
}

static int
parse_target(const char *s, size_t n, int query, const char *loc,
    struct sd_error *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!target_char((unsigned char)s[i], query))
			return sd_error_set(err, SD_ERR_INVALID, loc,
			    "byte %zu is not allowed (printable ASCII without "
			    "space, #, quotes, <>, \\, ^, `, {|}%s)", i,
			    query ? "" : " or ?");
	if (check_escapes(s, n) != 0)
		return sd_error_set(err, SD_ERR_INVALID, loc,
		    "a %% not followed by two hex digits");
	return 0;
}

static int
parse_headers(struct sd_sign_req *r, json_t *arr, struct sd_error *err)
{
	char loc[48], sn[SAFE_MAX + 4];
	const char *name, *value;
	size_t i, j, k, nl, vl;
	json_t *pair, *jn, *jv;

	if (arr == NULL)
		return sd_error_set(err, SD_ERR_INVALID, "/headers", "missing");
	if (!json_is_array(arr))
		return sd_error_set(err, SD_ERR_TYPE, "/headers",
		    "expected an array of [name, value] pairs, not %s",
		    sd_json_type_name(arr));
	if (json_array_size(arr) > SD_SIGN_MAX_HEADERS)
		return sd_error_set(err, SD_ERR_LIMIT, "/headers",
		    "more than %d headers", SD_SIGN_MAX_HEADERS);
	for (i = 0; i < json_array_size(arr); i++) {
		(void)snprintf(loc, sizeof(loc), "/headers/%zu", i);
		pair = json_array_get(arr, i);
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(jn = json_array_get(pair, 0)) ||
		    !json_is_string(jv = json_array_get(pair, 1)))
			return sd_error_set(err, SD_ERR_TYPE, loc,
			    "expected [name, value], two strings");
		name = json_string_value(jn);
		nl = json_string_length(jn);
		value = json_string_value(jv);
		vl = json_string_length(jv);
		if (nl == 0 || nl > SD_SIGV4_MAX_NAME)
			return sd_error_set(err, SD_ERR_INVALID, loc,
			    "a header name must be 1-%d bytes",
			    SD_SIGV4_MAX_NAME);
		for (j = 0; j < nl; j++)
			if (!tchar((unsigned char)name[j]))
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "header name \"%s\" is not an HTTP token",
				    safe(sn, sizeof(sn), name, nl));
		if (vl > SD_SIGV4_MAX_LINE)
			return sd_error_set(err, SD_ERR_LIMIT, loc,
			    "header %s: value longer than %d bytes",
			    safe(sn, sizeof(sn), name, nl), SD_SIGV4_MAX_LINE);
		for (j = 0; j < vl; j++) {
			unsigned char c = (unsigned char)value[j];

			if ((c < 0x20 && c != '\t') || c > 0x7e)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "header %s: value byte %zu is not "
				    "printable ASCII",
				    safe(sn, sizeof(sn), name, nl), j);
		}
		for (k = 0; reserved_headers[k] != NULL; k++)
			if (nl == strlen(reserved_headers[k]) &&
			    strncasecmp(name, reserved_headers[k], nl) == 0)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "header %s is added by the signer",
				    safe(sn, sizeof(sn), name, nl));
		for (k = 0; k < r->nheaders; k++)
			if (r->headers[k].name_len == nl &&
			    strncasecmp(r->headers[k].name, name, nl) == 0)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "header %s is given twice",
				    safe(sn, sizeof(sn), name, nl));
		r->headers[r->nheaders].name = name;
		r->headers[r->nheaders].name_len = nl;
		r->headers[r->nheaders].value = value;
		r->headers[r->nheaders].value_len = vl;
		r->nheaders++;
	}
	return 0;
}

static int
parse_payload(struct sd_sign_req *r, struct sd_error *err)
{
	const char *h, *b, *end;
	size_t hl, bl, i, max;
	int rc;

	max = sodium_base64_ENCODED_LEN(SD_SIGN_BODY_MAX,
	    sodium_base64_VARIANT_ORIGINAL);
	if ((rc = get_string(r->root, "payload_sha256", 0, 64, &h, &hl,
	    err)) != 0 ||
	    (rc = get_string(r->root, "body", 0, max, &b, &bl, err)) != 0)
		return rc;
	if ((h == NULL) == (b == NULL))
		return sd_error_set(err, SD_ERR_INVALID, "/payload_sha256",
		    "give exactly one of payload_sha256 and body");
	if (h != NULL) {
		for (i = 0; i < hl; i++)
			if (hexval((unsigned char)h[i]) < 0 ||
			    (h[i] >= 'A' && h[i] <= 'F'))
				break;
		if (hl != 64 || i != hl)
			return sd_error_set(err, SD_ERR_INVALID,
			    "/payload_sha256",
			    "must be 64 lower-case hex digits (the SHA-256 "
			    "of the body; unsigned payloads are not signed)");
		r->payload_sha256 = h;
		return 0;
	}
	r->has_body = 1;
	if (bl == 0)
		return 0;
	if ((r->body = malloc(bl / 4 * 3 + 3)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if (sodium_base642bin(r->body, bl / 4 * 3 + 3, b, bl, NULL,
	    &r->body_len, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != b + bl)
		return sd_error_set(err, SD_ERR_INVALID, "/body",
		    "not base64 (RFC 4648, with padding)");
	if (r->body_len > SD_SIGN_BODY_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, "/body",
		    "the body is larger than %zu bytes", SD_SIGN_BODY_MAX);
	return 0;
}

void
sd_sign_req_free(struct sd_sign_req *r)
{
	if (r == NULL)
		return;
	json_decref(r->root);
	free(r->body);
	free(r);
}

int
sd_sign_req_parse(json_t *payload, int64_t now, struct sd_sign_req **out,
    struct sd_error *err)
{
	struct sd_sign_req *r = NULL;
	const char *key, *svc;
	char loc[SAFE_MAX + 8], sk[SAFE_MAX + 4];
	json_t *v;
	size_t i, n;
	int rc = SD_ERR_INTERNAL;
	json_int_t t;

	*out = NULL;
	if (!json_is_object(payload))
		return sd_error_set(err, SD_ERR_TYPE, NULL,
		    "a sign request must be a JSON object");
	json_object_foreach(payload, key, v) {
		for (i = 0; fields[i] != NULL; i++)
			if (strcmp(key, fields[i]) == 0)
				break;
		if (fields[i] == NULL) {
			(void)snprintf(loc, sizeof(loc), "/%s",
			    safe(sk, sizeof(sk), key, strlen(key)));
			return sd_error_set(err, SD_ERR_INVALID, loc,
			    "unknown field");
		}
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r->root = json_incref(payload);

	if ((rc = get_string(r->root, "method", 1, 8, &r->method, NULL,
	    err)) != 0)
		goto out;
	for (i = 0; methods[i] != NULL; i++)
		if (strcmp(r->method, methods[i]) == 0)
			break;
	if (methods[i] == NULL) {
		rc = sd_error_set(err, SD_ERR_INVALID, "/method",
		    "must be GET, HEAD, PUT, POST or DELETE");
		goto out;
	}

	if ((rc = get_string(r->root, "host", 1, SD_SIGN_HOST_MAX, &r->host,
	    &n, err)) != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!((r->host[i] >= 'a' && r->host[i] <= 'z') ||
		    (r->host[i] >= '0' && r->host[i] <= '9') ||
		    strchr(".-:[]", r->host[i]) != NULL))
			break;
	if (n == 0 || i != n) {
		rc = sd_error_set(err, SD_ERR_INVALID, "/host",
		    "must be a lower-case host name or address, with an "
		    "optional :port");
		goto out;
	}

	if ((rc = get_string(r->root, "path", 1, SD_SIGV4_MAX_TARGET,
	    &r->path, &r->path_len, err)) != 0)
		goto out;
	if (r->path_len == 0 || r->path[0] != '/') {
		rc = sd_error_set(err, SD_ERR_INVALID, "/path",
		    "must start with /");
		goto out;
	}
	if ((rc = parse_target(r->path, r->path_len, 0, "/path", err)) != 0)
		goto out;
	if ((rc = get_string(r->root, "query", 0, SD_SIGV4_MAX_TARGET,
	    &r->query, &r->query_len, err)) != 0)
		goto out;
	if (r->query == NULL)
		r->query = "";
	if ((rc = parse_target(r->query, r->query_len, 1, "/query",
	    err)) != 0)
		goto out;

	if ((rc = parse_headers(r, json_object_get(r->root, "headers"),
	    err)) != 0)
		goto out;
	{
		const struct sd_sigv4_header *h = find_header(r, "host");
		const char *hv;
		size_t hn;

		if (h != NULL) {
			trimmed(h, &hv, &hn);
			if (hn != strlen(r->host) ||
			    strncasecmp(hv, r->host, hn) != 0) {
				rc = sd_error_set(err, SD_ERR_INVALID,
				    "/headers", "the Host header does not "
				    "match host");
				goto out;
			}
		}
	}
	if ((rc = parse_payload(r, err)) != 0)
		goto out;

	if ((rc = get_string(r->root, "region", 1, 32, &r->region, NULL,
	    err)) != 0)
		goto out;
	if (!sd_policy_valid_region(r->region)) {
		rc = sd_error_set(err, SD_ERR_INVALID, "/region",
		    "not a region name (like us-east-1)");
		goto out;
	}
	if ((rc = get_string(r->root, "service", 0, 32, &svc, NULL,
	    err)) != 0)
		goto out;

	r->time = now;
	if ((v = json_object_get(r->root, "time")) != NULL) {
		if (!json_is_integer(v)) {
			rc = sd_error_set(err, SD_ERR_TYPE, "/time",
			    "expected an integer (seconds since the epoch)");
			goto out;
		}
		t = json_integer_value(v);
		if (t < now - SD_SIGN_TIME_SKEW ||
		    t > now + SD_SIGN_TIME_SKEW) {
			rc = sd_error_set(err, SD_ERR_INVALID, "/time",
			    "more than %d seconds away from the signer's clock",
			    SD_SIGN_TIME_SKEW);
			goto out;
		}
		r->time = (int64_t)t;
	}
	*out = r;
	r = NULL;
	rc = 0;
 out:
	sd_sign_req_free(r);
	return rc;
}

const char *
sd_sign_req_method(const struct sd_sign_req *r)
{
	return r->method;
}

const char *
sd_sign_req_host(const struct sd_sign_req *r)
{
	return r->host;
}

const char *
sd_sign_req_region(const struct sd_sign_req *r)
{
	return r->region;
}

/* ------------------------------------------------------------ policy */

static int
refuse(struct sd_error *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
refuse(struct sd_error *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)sd_error_setv(why, SD_ERR_INVALID, LOC, fmt, ap);
	va_end(ap);
	return SD_ERR_INVALID;
}

static int
no_body(const struct sd_sign_req *r)
{
	if (r->has_body)
		return r->body_len == 0;
	return strcmp(r->payload_sha256, EMPTY_SHA256) == 0;
}

/*
 * An S3 object key of ours: 1-SD_SIGN_KEY_MAX of [A-Za-z0-9._/-], no
 * empty, "." or ".." segment.
 */
static int
valid_key(const char *k)
{
	const char *seg = k, *p;
	size_t n = strlen(k);

	if (n == 0 || n > SD_SIGN_KEY_MAX)
		return 0;
	for (p = k;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg || (p - seg == 1 && seg[0] == '.') ||
			    (p - seg == 2 && seg[0] == '.' && seg[1] == '.'))
				return 0;
			if (*p == '\0')
				return 1;
			seg = p + 1;
		} else if (!is_alnum((unsigned char)*p) &&
		    strchr("._-", *p) == NULL)
			return 0;
	}
}

/* 1 when key is PROJECT/CONFIG/REST of project p (REST non-empty). */
static int
key_in_project(const struct sd_policy_project *p, const char *key)
{
	const char *name = sd_policy_project_name(p), *c, *slash;
	char config[80];
	size_t n = strlen(name);

	if (strncmp(key, name, n) != 0 || key[n] != '/')
		return 0;
	c = key + n + 1;
	if ((slash = strchr(c, '/')) == NULL || slash == c ||
	    (size_t)(slash - c) >= sizeof(config) || slash[1] == '\0')
		return 0;
	memcpy(config, c, (size_t)(slash - c));
	config[slash - c] = '\0';
	return sd_policy_project_has_config(p, config);
}

/*
 * S3 virtual-hosted style: host is BUCKET.S3HOST[:port], S3HOST one the
 * policy resolves to S3 in region. 0 and bucket filled, or -1.
 */
static int
virtual_host_bucket(const struct sd_policy *pol, const char *host,
    const char *region, char *bucket, size_t blen)
{
	char suffix[SD_SIGN_HOST_MAX + 1];
	const char *colon, *dot, *hend;
	enum sd_policy_service svc;
	int n;

	if (host[0] == '[')
		return -1;
	colon = strchr(host, ':');
	hend = colon != NULL ? colon : host + strlen(host);
	for (dot = memchr(host, '.', (size_t)(hend - host)); dot != NULL;
	    dot = memchr(dot + 1, '.', (size_t)(hend - dot - 1))) {
		n = snprintf(suffix, sizeof(suffix), "%s", dot + 1);
		if (n < 0 || (size_t)n >= sizeof(suffix))
			return -1;
		if (sd_policy_host_service(pol, suffix, region, &svc) != 0 ||
		    svc != SD_POLICY_SVC_S3)
			continue;
		if ((size_t)(dot - host) >= blen)
			return -1;
		memcpy(bucket, host, (size_t)(dot - host));
		bucket[dot - host] = '\0';
		return sd_policy_valid_bucket(bucket) ? 0 : -1;
	}
	return -1;
}

static int
check_s3(const struct sd_policy *pol, const struct sd_sign_req *r,
    const char *vbucket, struct sd_sign_decision *d, struct sd_error *why)
{
	static const char *const banned_prefix[] = {
		"x-amz-grant-", "x-amz-copy-source", "x-amz-object-lock-",
		NULL
	};
	static const char *const banned[] = {
		"x-amz-acl", "x-amz-bypass-governance-retention",
		"x-amz-website-redirect-location", "x-amz-target", NULL
	};
	const struct sd_policy_project *p, *pfx = NULL;
	char bucket[64], key[SD_SIGN_KEY_MAX + 1], s1[SAFE_MAX + 4];
	const char *rest, *slash;
	size_t i, k, n;
	int any_bucket = 0;

	if (strcmp(r->method, "GET") == 0)
		d->action = SD_SIGN_S3_GET_OBJECT;
	else if (strcmp(r->method, "HEAD") == 0)
		d->action = SD_SIGN_S3_HEAD_OBJECT;
	else if (strcmp(r->method, "PUT") == 0)
		d->action = SD_SIGN_S3_PUT_OBJECT;
	else if (strcmp(r->method, "DELETE") == 0)
		d->action = SD_SIGN_S3_DELETE_OBJECT;
	else
		return refuse(why, "S3: method %s is not allowed (GET, HEAD, "
		    "PUT or DELETE of an object)", r->method);
	if (r->query_len > 0)
		return refuse(why, "S3: a query string is not allowed (object "
		    "requests only)");
	for (i = 0; i < r->nheaders; i++) {
		const struct sd_sigv4_header *h = &r->headers[i];
		int hit = 0;

		for (k = 0; banned_prefix[k] != NULL; k++) {
			n = strlen(banned_prefix[k]);
			if (h->name_len >= n &&
			    strncasecmp(h->name, banned_prefix[k], n) == 0)
				hit = 1;
		}
		for (k = 0; banned[k] != NULL; k++)
			if (h->name_len == strlen(banned[k]) &&
			    strncasecmp(h->name, banned[k], h->name_len) == 0)
				hit = 1;
		if (hit)
			return refuse(why, "S3: header %s is not allowed",
			    safe(s1, sizeof(s1), h->name, h->name_len));
	}
	if (d->action != SD_SIGN_S3_PUT_OBJECT && !no_body(r))
		return refuse(why, "S3: a %s request carries no body",
		    r->method);

	rest = r->path + 1;
	if (vbucket != NULL) {
		if (snprintf(bucket, sizeof(bucket), "%s", vbucket) >=
		    (int)sizeof(bucket))
			return refuse(why, "S3: not a bucket name");
	} else {
		if ((slash = strchr(rest, '/')) == NULL)
			slash = rest + strlen(rest);
		if (pct_decode(rest, (size_t)(slash - rest), bucket,
		    sizeof(bucket), NULL) != 0 ||
		    !sd_policy_valid_bucket(bucket))
			return refuse(why, "S3: the path does not start with a "
			    "bucket name (path-style /BUCKET/KEY)");
		rest = *slash == '/' ? slash + 1 : slash;
	}
	if (*rest == '\0')
		return refuse(why, "S3: only object requests are allowed (the "
		    "path names no object key)");
	if (pct_decode(rest, strlen(rest), key, sizeof(key), NULL) != 0 ||
	    !valid_key(key))
		return refuse(why, "S3: the object key must be 1-%d of "
		    "[A-Za-z0-9._/-] (percent-encoded or not) without empty, "
		    "\".\" or \"..\" segments", SD_SIGN_KEY_MAX);

	for (i = 0; (p = sd_policy_project_at(pol, i)) != NULL; i++) {
		if (strcmp(sd_policy_project_bucket(p), bucket) != 0)
			continue;
		any_bucket = 1;
		if (!key_in_project(p, key))
			continue;
		if (pfx == NULL)
			pfx = p;
		if (!sd_policy_project_has_region(p, r->region))
			continue;
		(void)snprintf(d->project, sizeof(d->project), "%s",
		    sd_policy_project_name(p));
		(void)snprintf(d->resource, sizeof(d->resource),
		    "s3://%s/%s", bucket, key);
		return 0;
	}
	if (!any_bucket)
		return refuse(why, "S3: bucket %s is not the bucket of any "
		    "project", bucket);
	if (pfx == NULL)
		return refuse(why, "S3: key %s is not under PROJECT/CONFIG/ of "
		    "a project that uses bucket %s",
		    safe(s1, sizeof(s1), key, strlen(key)), bucket);
	return refuse(why, "S3: region %s is not one of project %s's regions",
	    r->region, sd_policy_project_name(pfx));
}

/*
 * arn must be the canonical ARN of a function / state machine (as
 * sd_policy_build_arn writes it): partition of its region, 12-digit
 * account, an unqualified valid name. Fills region and account.
 */
static int
parse_arn(enum sd_policy_arn_kind kind, const char *arn, char *region,
    size_t rlen, char *account, size_t alen)
{
	char canon[SD_POLICY_ARN_MAX], name[SD_POLICY_ARN_MAX];
	const char *f[7], *p = arn;
	size_t i, n;

	if (strlen(arn) >= SD_POLICY_ARN_MAX)
		return -1;
	for (i = 0; i < 7; i++) {
		f[i] = p;
		if (i < 6) {
			if ((p = strchr(p, ':')) == NULL)
				return -1;
			p++;
		}
	}
	if (strchr(f[6], ':') != NULL)
		return -1;
	n = (size_t)(f[4] - f[3] - 1);
	if (n == 0 || n >= rlen)
		return -1;
	memcpy(region, f[3], n);
	region[n] = '\0';
	n = (size_t)(f[5] - f[4] - 1);
	if (n == 0 || n >= alen)
		return -1;
	memcpy(account, f[4], n);
	account[n] = '\0';
	(void)snprintf(name, sizeof(name), "%s", f[6]);
	if (sd_policy_build_arn(kind, region, account, name, canon,
	    sizeof(canon)) != 0)
		return -1;
	return strcmp(canon, arn) == 0 ? 0 : -1;
}

typedef int (*extra_check)(const struct sd_policy_project *, void *arg,
    struct sd_error *why);

/* Which project may change arn; d->project and d->resource on success. */
static int
match_arn(const struct sd_policy *pol, const struct sd_sign_req *r,
    enum sd_policy_arn_kind kind, const char *arn, const char *svcname,
    extra_check extra, void *arg, struct sd_sign_decision *d,
    struct sd_error *why)
{
	const struct sd_policy_project *p, *first = NULL;
	char region[40], account[16], sa[SAFE_MAX + 4];
	const char *what = kind == SD_POLICY_ARN_LAMBDA ? "function" :
	    "state machine";
	size_t i;
	int bad_account = 0, rc;

	if (parse_arn(kind, arn, region, sizeof(region), account,
	    sizeof(account)) != 0)
		return refuse(why, "%s: \"%s\" is not an unqualified %s ARN",
		    svcname, safe(sa, sizeof(sa), arn, strlen(arn)), what);
	if (strcmp(region, r->region) != 0)
		return refuse(why, "%s: the %s's region %s is not the "
		    "request's region %s", svcname, what, region, r->region);
	for (i = 0; (p = sd_policy_project_at(pol, i)) != NULL; i++) {
		if (sd_policy_arn_allowed(pol, sd_policy_project_name(p), kind,
		    arn, NULL) != 0)
			continue;
		if (!sd_policy_project_has_account(p, account)) {
			if (first == NULL) {
				first = p;
				bad_account = 1;
			}
			continue;
		}
		if (!sd_policy_project_has_region(p, region)) {
			if (first == NULL) {
				first = p;
				bad_account = 0;
			}
			continue;
		}
		if (extra != NULL && (rc = extra(p, arg, why)) != 0) {
			/* The first project's reason is the one reported. */
			if (first == NULL)
				return rc;
			continue;
		}
		(void)snprintf(d->project, sizeof(d->project), "%s",
		    sd_policy_project_name(p));
		(void)snprintf(d->resource, sizeof(d->resource), "%s", arn);
		return 0;
	}
	if (first == NULL)
		return refuse(why, "%s: no project may change %s %s", svcname,
		    what, arn);
	if (bad_account)
		return refuse(why, "%s: account %s is not one of project %s's "
		    "accounts", svcname, account,
		    sd_policy_project_name(first));
	return refuse(why, "%s: region %s is not one of project %s's regions",
	    svcname, region, sd_policy_project_name(first));
}

/* ---- Lambda */

struct code_source {
	const char	*bucket;	/* S3Bucket, or NULL for ZipFile */
	const char	*key;
};

static int
code_in_project(const struct sd_policy_project *p, void *arg,
    struct sd_error *why)
{
	const struct code_source *cs = arg;
	char s1[SAFE_MAX + 4];

	if (cs->bucket == NULL)
		return 0;
	if (strcmp(cs->bucket, sd_policy_project_bucket(p)) != 0)
		return refuse(why, "Lambda: UpdateFunctionCode must take the "
		    "code from project %s's bucket %s, not %s",
		    sd_policy_project_name(p), sd_policy_project_bucket(p),
		    safe(s1, sizeof(s1), cs->bucket, strlen(cs->bucket)));
	if (!key_in_project(p, cs->key))
		return refuse(why, "Lambda: UpdateFunctionCode: the code's key "
		    "%s is not under %s/CONFIG/",
		    safe(s1, sizeof(s1), cs->key, strlen(cs->key)),
		    sd_policy_project_name(p));
	return 0;
}

/* The UpdateFunctionCode body: fields and the code's source. */
static int
parse_code_body(const struct sd_sign_req *r, json_t **root,
    struct code_source *cs, struct sd_error *why)
{
	static const char *const str_fields[] = {
		"ZipFile", "S3Bucket", "S3Key", "S3ObjectVersion",
		"RevisionId", NULL
	};
	static const char *const bool_fields[] = { "Publish", "DryRun", NULL };
	char s1[SAFE_MAX + 4];
	const char *k;
	json_t *v, *zip, *b, *key;
	size_t i;

	*root = NULL;
	cs->bucket = cs->key = NULL;
	if (!r->has_body)
		return refuse(why, "Lambda: UpdateFunctionCode must send its "
		    "body, not its hash (the signer checks where the code "
		    "comes from)");
	if ((*root = json_loadb((const char *)r->body, r->body_len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(*root))
		return refuse(why, "Lambda: the UpdateFunctionCode body is not "
		    "a JSON object");
	json_object_foreach(*root, k, v) {
		for (i = 0; str_fields[i] != NULL; i++)
			if (strcmp(k, str_fields[i]) == 0)
				break;
		if (str_fields[i] != NULL) {
			if (!json_is_string(v) ||
			    strlen(json_string_value(v)) !=
			    json_string_length(v))
				return refuse(why, "Lambda: UpdateFunctionCode "
				    "field %s must be a string", k);
			continue;
		}
		for (i = 0; bool_fields[i] != NULL; i++)
			if (strcmp(k, bool_fields[i]) == 0)
				break;
		if (bool_fields[i] != NULL) {
			if (!json_is_boolean(v))
				return refuse(why, "Lambda: UpdateFunctionCode "
				    "field %s must be true or false", k);
			continue;
		}
		return refuse(why, "Lambda: UpdateFunctionCode field %s is not "
		    "allowed", safe(s1, sizeof(s1), k, strlen(k)));
	}
	zip = json_object_get(*root, "ZipFile");
	b = json_object_get(*root, "S3Bucket");
	key = json_object_get(*root, "S3Key");
	if ((zip != NULL) == (b != NULL || key != NULL) ||
	    (zip == NULL && (b == NULL || key == NULL)) ||
	    (zip != NULL && json_object_get(*root, "S3ObjectVersion") != NULL))
		return refuse(why, "Lambda: UpdateFunctionCode needs either "
		    "ZipFile, or S3Bucket and S3Key");
	if (b != NULL) {
		cs->bucket = json_string_value(b);
		cs->key = json_string_value(key);
		if (!valid_key(cs->key))
			return refuse(why, "Lambda: UpdateFunctionCode: S3Key "
			    "must be 1-%d of [A-Za-z0-9._/-] without empty, "
			    "\".\" or \"..\" segments", SD_SIGN_KEY_MAX);
	}
	return 0;
}

static int
check_qualifier(const struct sd_sign_req *r, struct sd_error *why)
{
	char v[QUALIFIER_MAX + 1];
	size_t i, n;

	if (r->query_len == 0)
		return 0;
	if (r->query_len < 11 || strncmp(r->query, "Qualifier=", 10) != 0 ||
	    pct_decode(r->query + 10, r->query_len - 10, v, sizeof(v),
	    &n) != 0)
		return refuse(why, "Lambda: the only query allowed is "
		    "Qualifier=VERSION_OR_ALIAS");
	for (i = 0; i < n; i++)
		if (!is_alnum((unsigned char)v[i]) && strchr("$_-", v[i]) ==
		    NULL)
			return refuse(why, "Lambda: the only query allowed is "
			    "Qualifier=VERSION_OR_ALIAS");
	return 0;
}

static int
check_lambda(const struct sd_policy *pol, const struct sd_sign_req *r,
    struct sd_sign_decision *d, struct sd_error *why)
{
	char seg[MAX_SEGMENTS][SD_POLICY_ARN_MAX], sp[SAFE_MAX + 4];
	const char *p, *e, *end = r->path + r->path_len;
	struct code_source cs = { NULL, NULL };
	json_t *body = NULL;
	size_t n = 0;
	int rc, get;

	if (find_header(r, "x-amz-target") != NULL)
		return refuse(why, "Lambda: header X-Amz-Target is not "
		    "allowed");
	/* Split "/a/b/c" into decoded segments; none may be empty. */
	for (p = r->path + 1; p <= end; p = e + 1) {
		if ((e = memchr(p, '/', (size_t)(end - p))) == NULL)
			e = end;
		if (n == MAX_SEGMENTS || e == p ||
		    pct_decode(p, (size_t)(e - p), seg[n], sizeof(seg[n]),
		    NULL) != 0 || strcmp(seg[n], ".") == 0 ||
		    strcmp(seg[n], "..") == 0 || strchr(seg[n], '/') != NULL) {
			n = 0;
			break;
		}
		n++;
	}
	get = strcmp(r->method, "GET") == 0;
	if (n == 3 && strcmp(seg[0], "2015-03-31") == 0 &&
	    strcmp(seg[1], "functions") == 0 && get)
		d->action = SD_SIGN_LAMBDA_GET_FUNCTION;
	else if (n == 4 && strcmp(seg[0], "2015-03-31") == 0 &&
	    strcmp(seg[1], "functions") == 0 &&
	    strcmp(seg[3], "configuration") == 0 && get)
		d->action = SD_SIGN_LAMBDA_GET_FUNCTION_CONFIGURATION;
	else if (n == 4 && strcmp(seg[0], "2015-03-31") == 0 &&
	    strcmp(seg[1], "functions") == 0 &&
	    strcmp(seg[3], "code") == 0 && strcmp(r->method, "PUT") == 0)
		d->action = SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE;
	else if (n == 4 && strcmp(seg[0], "2015-03-31") == 0 &&
	    strcmp(seg[1], "functions") == 0 &&
	    strcmp(seg[3], "versions") == 0 && strcmp(r->method, "POST") == 0)
		d->action = SD_SIGN_LAMBDA_PUBLISH_VERSION;
	else if (n == 3 && strcmp(seg[0], "2017-03-31") == 0 &&
	    strcmp(seg[1], "tags") == 0 && get)
		d->action = SD_SIGN_LAMBDA_LIST_TAGS;
	else
		return refuse(why, "Lambda: %s %s is not an action the "
		    "deployer may use (GetFunction, GetFunctionConfiguration, "
		    "UpdateFunctionCode, PublishVersion, ListTags)", r->method,
		    safe(sp, sizeof(sp), r->path, r->path_len));

	if (d->action == SD_SIGN_LAMBDA_GET_FUNCTION ||
	    d->action == SD_SIGN_LAMBDA_GET_FUNCTION_CONFIGURATION) {
		if ((rc = check_qualifier(r, why)) != 0)
			return rc;
	} else if (r->query_len > 0)
		return refuse(why, "Lambda: %s takes no query string",
		    sd_sign_action_name(d->action) + 7);
	if (get && !no_body(r))
		return refuse(why, "Lambda: a GET request carries no body");
	if (strncmp(seg[2], "arn:", 4) != 0)
		return refuse(why, "Lambda: name the function by its full ARN, "
		    "not \"%s\" (the signer must know its account and region)",
		    safe(sp, sizeof(sp), seg[2], strlen(seg[2])));
	if (d->action == SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE &&
	    (rc = parse_code_body(r, &body, &cs, why)) != 0) {
		json_decref(body);
		return rc;
	}
	rc = match_arn(pol, r, SD_POLICY_ARN_LAMBDA, seg[2], "Lambda",
	    d->action == SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE ?
	    code_in_project : NULL, &cs, d, why);
	json_decref(body);
	return rc;
}

/* ---- Step Functions */

#define TARGET_PREFIX	"AWSStepFunctions."

static int
check_states(const struct sd_policy *pol, const struct sd_sign_req *r,
    struct sd_sign_decision *d, struct sd_error *why)
{
	static const char *const describe[] = {
		"stateMachineArn", "includedData", NULL
	};
	static const char *const update[] = {
		"stateMachineArn", "definition", "publish",
		"versionDescription", NULL
	};
	static const char *const tags[] = { "resourceArn", NULL };
	const struct sd_sigv4_header *h;
	const char *const *allowed, *t, *k, *arn_field, *act;
	char st[SAFE_MAX + 4], sa[SD_POLICY_ARN_MAX + 4];
	json_t *body = NULL, *v, *arn;
	size_t tn, i;
	int rc = SD_ERR_INVALID;

	if (strcmp(r->method, "POST") != 0 || r->path_len != 1 ||
	    r->query_len != 0)
		return refuse(why, "Step Functions: only POST / without a "
		    "query is allowed (the JSON 1.0 protocol)");
	if ((h = find_header(r, "content-type")) == NULL ||
	    !header_is(h, "application/x-amz-json-1.0"))
		return refuse(why, "Step Functions: Content-Type must be "
		    "application/x-amz-json-1.0");
	if ((h = find_header(r, "x-amz-target")) == NULL)
		return refuse(why, "Step Functions: the X-Amz-Target header is "
		    "missing");
	trimmed(h, &t, &tn);
	act = tn > strlen(TARGET_PREFIX) &&
	    strncmp(t, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0 ?
	    t + strlen(TARGET_PREFIX) : NULL;
	tn -= act != NULL ? strlen(TARGET_PREFIX) : 0;
#define IS(s)	(act != NULL && tn == strlen(s) && strncmp(act, s, tn) == 0)
	if (IS("DescribeStateMachine")) {
		d->action = SD_SIGN_STATES_DESCRIBE_STATE_MACHINE;
		allowed = describe;
		arn_field = "stateMachineArn";
	} else if (IS("UpdateStateMachine")) {
		d->action = SD_SIGN_STATES_UPDATE_STATE_MACHINE;
		allowed = update;
		arn_field = "stateMachineArn";
	} else if (IS("ListTagsForResource")) {
		d->action = SD_SIGN_STATES_LIST_TAGS_FOR_RESOURCE;
		allowed = tags;
		arn_field = "resourceArn";
	} else {
		trimmed(h, &t, &tn);
		return refuse(why, "Step Functions: action %s is not allowed "
		    "(DescribeStateMachine, UpdateStateMachine, "
		    "ListTagsForResource)", safe(st, sizeof(st), t, tn));
	}
#undef IS
	act = sd_sign_action_name(d->action) + 7;
	if (!r->has_body)
		return refuse(why, "Step Functions: send the body, not its "
		    "hash: the signer reads the state machine ARN from it");
	if ((body = json_loadb((const char *)r->body, r->body_len,
	    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(body)) {
		rc = refuse(why, "Step Functions: the %s body is not a JSON "
		    "object", act);
		goto out;
	}
	json_object_foreach(body, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(k, allowed[i]) == 0)
				break;
		if (allowed[i] == NULL) {
			rc = refuse(why, "Step Functions: %s field %s is not "
			    "allowed", act, safe(st, sizeof(st), k, strlen(k)));
			goto out;
		}
		if (strcmp(k, "publish") == 0 ? !json_is_boolean(v) :
		    !json_is_string(v)) {
			rc = refuse(why, "Step Functions: %s field %s must be "
			    "%s", act, k, strcmp(k, "publish") == 0 ?
			    "true or false" : "a string");
			goto out;
		}
	}
	if ((arn = json_object_get(body, arn_field)) == NULL) {
		rc = refuse(why, "Step Functions: %s needs %s", act, arn_field);
		goto out;
	}
	if (strlen(json_string_value(arn)) != json_string_length(arn)) {
		rc = refuse(why, "Step Functions: \"%s\" is not an unqualified "
		    "state machine ARN", safe(sa, sizeof(sa),
		    json_string_value(arn), json_string_length(arn)));
		goto out;
	}
	rc = match_arn(pol, r, SD_POLICY_ARN_STATE_MACHINE,
	    json_string_value(arn), "Step Functions", NULL, NULL, d, why);
 out:
	json_decref(body);
	return rc;
}

int
sd_sign_policy_check(const struct sd_policy *pol,
    const struct sd_sign_req *r, struct sd_sign_decision *d,
    struct sd_error *why)
{
	char vbucket[64];
	int rc;

	memset(d, 0, sizeof(*d));
	if (pol == NULL || r == NULL)
		return refuse(why, "no policy");
	if (sd_policy_host_service(pol, r->host, r->region, &d->service) == 0)
		vbucket[0] = '\0';
	else if (virtual_host_bucket(pol, r->host, r->region, vbucket,
	    sizeof(vbucket)) == 0)
		d->service = SD_POLICY_SVC_S3;
	else
		return refuse(why, "host %s is not an S3, Lambda or Step "
		    "Functions endpoint for region %s", r->host, r->region);
	switch (d->service) {
	case SD_POLICY_SVC_S3:
		rc = check_s3(pol, r, vbucket[0] != '\0' ? vbucket : NULL, d,
		    why);
		break;
	case SD_POLICY_SVC_LAMBDA:
		rc = check_lambda(pol, r, d, why);
		break;
	case SD_POLICY_SVC_STATES:
		rc = check_states(pol, r, d, why);
		break;
	default:
		rc = refuse(why, "unknown service");
		break;
	}
	if (rc != 0) {
		d->project[0] = '\0';
		d->resource[0] = '\0';
	}
	return rc;
}

void
sd_sign_req_sigv4(const struct sd_sign_req *r,
    const struct sd_sign_decision *d, struct sd_sigv4_request *out,
    struct sd_sigv4_params *params)
{
	memset(out, 0, sizeof(*out));
	out->method = r->method;
	out->method_len = strlen(r->method);
	out->host = r->host;
	out->host_len = strlen(r->host);
	out->path = r->path;
	out->path_len = r->path_len;
	out->query = r->query;
	out->query_len = r->query_len;
	out->headers = r->headers;
	out->nheaders = r->nheaders;
	if (r->has_body) {
		out->body = r->body;
		out->body_len = r->body_len;
	} else
		out->payload_hash = r->payload_sha256;

	sd_sigv4_params_init(params);
	params->region = r->region;
	params->service = sd_policy_service_name(d->service);
	params->time = r->time;
	if (d->service == SD_POLICY_SVC_S3) {
		params->normalize_path = 0;
		params->double_encode = 0;
		params->sign_body = 1;
	}
}
