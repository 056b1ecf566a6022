/*
 * test_sigv4: the SigV4 signer.
 *
 * 1. AWS's test suite (aws-c-auth tests/aws-signing-test-suite/v4, in
 *    $SHARED/sigv4-testsuite/v4, SHARED defaulting to ../shared from the
 *    repository root): every case in the header and the query form; the
 *    canonical request, the string to sign, the signature and the signed
 *    request must match the suite's files byte for byte. A missing suite
 *    is a failure, not a skip.
 * 2. One test per rule: URI encoding (double / S3 single), path
 *    normalisation, canonical query, canonical headers, payload hash,
 *    Host, session token, presigning, the key cache, verify, parameter and
 *    credential checks, the raw request parser's refusals, and AWS's S3
 *    documentation examples (S3 rules are not in the suite).
 */
#include <dirent.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_sigv4.h"

#define SUITE_CASES	38	/* cases in the suite as copied */

#define AKID		"AKIDEXAMPLE"
#define SECRET		"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define T_SUITE		INT64_C(1440938160)	/* 2015-08-30T12:36:00Z */
#define EMPTY_HASH	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static struct sd_sigv4_signer *S;
static char suite_dir[PATH_MAX];
static const char *suite_tried[4];	/* where find_suite looked */
static int suite_passed, suite_ran;

/* ------------------------------------------------------------ helpers */

static char *
slurp(const char *dir, const char *file, size_t *len)
{
	struct sd_error err = SD_ERROR_INIT;
	char path[PATH_MAX];
	char *buf = NULL;
	int n;

	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= sizeof(path))
		fail_msg("path too long: %s/%s", dir, file);
	if (sd_read_file(path, 64 * 1024 * 1024, &buf, len, &err) != 0)
		fail_msg("%s: %s", path, sd_error_text(&err));
	sd_error_clear(&err);
	return buf;
}

/* Fail with both texts when a != b (byte for byte). */
static void
assert_bytes(const char *what, const char *got, size_t glen,
    const char *want, size_t wlen)
{
	size_t i;

	if (got != NULL && glen == wlen && memcmp(got, want, wlen) == 0)
		return;
	for (i = 0; got != NULL && i < glen && i < wlen; i++)
		if (got[i] != want[i])
			break;
	fail_msg("%s differs at byte %zu\n--- got (%zu bytes)\n%.*s\n"
	    "--- want (%zu bytes)\n%.*s\n---", what, i, glen,
	    (int)(got != NULL ? glen : 0), got != NULL ? got : "", wlen,
	    (int)wlen, want);
}

static void
assert_str(const char *what, const char *got, const char *want)
{
	assert_bytes(what, got, got != NULL ? strlen(got) : 0, want,
	    strlen(want));
}

static struct sd_sigv4_credentials
creds(const char *token)
{
	struct sd_sigv4_credentials c;

	c.access_key_id = AKID;
	c.secret = SECRET;
	c.secret_len = strlen(SECRET);
	c.session_token = token;
	return c;
}

static struct sd_sigv4_params
params(void)
{
	struct sd_sigv4_params p;

	sd_sigv4_params_init(&p);
	p.region = "us-east-1";
	p.service = "service";
	p.time = T_SUITE;
	return p;
}

static struct sd_sigv4_request *
parse_ok(const char *raw)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_request *req = NULL;

	if (sd_sigv4_request_parse(raw, strlen(raw), &req, &err) != 0)
		fail_msg("parse of \"%s\": %s", raw, sd_error_text(&err));
	sd_error_clear(&err);
	return req;
}

/* Parse raw and sign it; returns the sign result code. */
static int
sign_raw(const char *raw, const struct sd_sigv4_params *p,
    const struct sd_sigv4_credentials *c, struct sd_sigv4_result *res,
    struct sd_error *err)
{
	struct sd_sigv4_request *req = parse_ok(raw);
	int r;

	r = sd_sigv4_sign(S, req, c, p, res, err);
	sd_sigv4_request_free(req);
	return r;
}

/* Line n (0-based) of the canonical request, in buf. */
static const char *
creq_line(const struct sd_sigv4_result *res, int n, char *buf, size_t len)
{
	const char *s = res->canonical_request, *e;

	while (n-- > 0) {
		if ((s = strchr(s, '\n')) == NULL)
			fail_msg("canonical request has too few lines");
		s++;
	}
	e = strchr(s, '\n');
	if (e == NULL)
		e = s + strlen(s);
	if ((size_t)(e - s) >= len)
		fail_msg("canonical request line too long");
	memcpy(buf, s, (size_t)(e - s));
	buf[e - s] = '\0';
	return buf;
}

/* The canonical URI of raw's path under p. */
static void
assert_uri(const char *path, int normalize, int dbl, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_result res;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	char raw[1024], line[1024];

	p.normalize_path = normalize;
	p.double_encode = dbl;
	(void)snprintf(raw, sizeof(raw), "GET %s HTTP/1.1\nHost:h\n", path);
	if (sign_raw(raw, &p, &c, &res, &err) != 0)
		fail_msg("%s: %s", path, sd_error_text(&err));
	if (strcmp(creq_line(&res, 1, line, sizeof(line)), want) != 0)
		fail_msg("path \"%s\" (normalize %d, double %d): canonical "
		    "\"%s\", want \"%s\"", path, normalize, dbl, line, want);
	sd_error_clear(&err);
}

static void
assert_query(const char *query, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_result res;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	char raw[2048], line[2048];

	(void)snprintf(raw, sizeof(raw), "GET /?%s HTTP/1.1\nHost:h\n", query);
	if (sign_raw(raw, &p, &c, &res, &err) != 0)
		fail_msg("%s: %s", query, sd_error_text(&err));
	if (strcmp(creq_line(&res, 2, line, sizeof(line)), want) != 0)
		fail_msg("query \"%s\": canonical \"%s\", want \"%s\"", query,
		    line, want);
	sd_error_clear(&err);
}

static void
assert_sign_fails(const char *raw, const struct sd_sigv4_params *p,
    const struct sd_sigv4_credentials *c, int code, const char *sub)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_result res;
	int r;

	r = sign_raw(raw, p, c, &res, &err);
	if (r != code)
		fail_msg("signing \"%s\": got %d, want %d (%s)", raw, r, code,
		    sd_error_text(&err));
	if (sub != NULL && strstr(sd_error_text(&err), sub) == NULL)
		fail_msg("signing \"%s\": message \"%s\" lacks \"%s\"", raw,
		    sd_error_text(&err), sub);
	sd_error_clear(&err);
}

static void
assert_parse_fails(const char *raw, size_t len, int code, const char *sub)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_request *req = NULL;
	int r;

	r = sd_sigv4_request_parse(raw, len, &req, &err);
	if (r != code)
		fail_msg("parse of \"%.60s\": got %d, want %d (%s)", raw, r,
		    code, sd_error_text(&err));
	assert_null(req);
	if (sub != NULL && strstr(sd_error_text(&err), sub) == NULL)
		fail_msg("parse of \"%.60s\": message \"%s\" lacks \"%s\"", raw,
		    sd_error_text(&err), sub);
	sd_error_clear(&err);
}

/* ------------------------------------------------------------ the suite */

struct suite_case {
	char	name[256];
	int	query;
	char	tname[300];
};

static void
test_suite_present(void **state)
{
	(void)state;
	if (suite_dir[0] == '\0')
		fail_msg("the SigV4 test suite was not found: looked in %s, %s, "
		    "%s and %s; set SHARED to the shared/ folder",
		    suite_tried[0] != NULL ? suite_tried[0] : "-",
		    suite_tried[1] != NULL ? suite_tried[1] : "-",
		    suite_tried[2] != NULL ? suite_tried[2] : "-",
		    suite_tried[3] != NULL ? suite_tried[3] : "-");
}

static void
test_suite_case(void **state)
{
	struct suite_case *sc = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_request *req = NULL;
	struct sd_sigv4_context *ctx = NULL;
	struct sd_sigv4_result res;
	const char *form = sc->query ? "query" : "header";
	char dir[PATH_MAX], file[64];
	char *raw, *cjson, *want, *text;
	size_t rawlen, clen, wlen, tlen;
	int n;

	suite_ran++;
	n = snprintf(dir, sizeof(dir), "%s/%s", suite_dir, sc->name);
	assert_true(n > 0 && (size_t)n < sizeof(dir));
	raw = slurp(dir, "request.txt", &rawlen);
	cjson = slurp(dir, "context.json", &clen);
	if (sd_sigv4_request_parse(raw, rawlen, &req, &err) != 0)
		fail_msg("%s: request.txt: %s", sc->name, sd_error_text(&err));
	if (sd_sigv4_context_parse(cjson, clen, &ctx, &err) != 0)
		fail_msg("%s: context.json: %s", sc->name, sd_error_text(&err));
	ctx->params.query = sc->query;
	if (sd_sigv4_sign(S, req, &ctx->creds, &ctx->params, &res, &err) != 0)
		fail_msg("%s (%s): %s", sc->name, form, sd_error_text(&err));

	(void)snprintf(file, sizeof(file), "%s-canonical-request.txt", form);
	want = slurp(dir, file, &wlen);
	assert_bytes(file, res.canonical_request, res.canonical_request_len,
	    want, wlen);
	free(want);

	(void)snprintf(file, sizeof(file), "%s-string-to-sign.txt", form);
	want = slurp(dir, file, &wlen);
	assert_bytes(file, res.string_to_sign, res.string_to_sign_len, want,
	    wlen);
	free(want);

	(void)snprintf(file, sizeof(file), "%s-signature.txt", form);
	want = slurp(dir, file, &wlen);
	while (wlen > 0 && (want[wlen - 1] == '\n' || want[wlen - 1] == '\r'))
		wlen--;
	assert_bytes(file, res.signature, strlen(res.signature), want, wlen);
	want[wlen] = '\0';
	assert_int_equal(sd_sigv4_verify(want, res.signature), 0);
	free(want);

	(void)snprintf(file, sizeof(file), "%s-signed-request.txt", form);
	want = slurp(dir, file, &wlen);
	text = sd_sigv4_request_format(req, &res, &tlen);
	assert_non_null(text);
	assert_bytes(file, text, tlen, want, wlen);
	free(text);
	free(want);

	free(raw);
	free(cjson);
	sd_sigv4_context_free(ctx);
	sd_sigv4_request_free(req);
	sd_error_clear(&err);
	suite_passed++;
}

/* ------------------------------------------------------------ rules */

static void
test_uri_encoding(void **state)
{
	(void)state;
	/* Every service but S3: the path as sent is encoded once more. */
	assert_uri("/a b/%3A:c", 1, 1, "/a%20b/%253A%3Ac");
	assert_uri("/-._~AZaz09", 1, 1, "/-._~AZaz09");
	assert_uri("/!$&'()*+,;=@", 1, 1,
	    "/%21%24%26%27%28%29%2A%2B%2C%3B%3D%40");
	assert_uri("/\xe1\x88\xb4", 1, 1, "/%E1%88%B4");
	assert_uri("/%zz", 1, 1, "/%25zz");
	assert_uri("/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A0"
	    "%3Afunction%3Af/code", 1, 1, "/2015-03-31/functions/arn%253Aaws"
	    "%253Alambda%253Aus-east-1%253A0%253Afunction%253Af/code");
	/* S3: decoded, then encoded exactly once. */
	assert_uri("/a b/%3A:c", 0, 0, "/a%20b/%3A%3Ac");
	assert_uri("/test%24file.text", 0, 0, "/test%24file.text");
	assert_uri("/test$file.text", 0, 0, "/test%24file.text");
	assert_uri("/k%2a%7E", 0, 0, "/k%2A~");
	assert_uri("/a%2Fb", 0, 0, "/a/b");
	assert_uri("/\xe1\x88\xb4", 0, 0, "/%E1%88%B4");
}

static void
test_uri_bad_escape_s3(void **state)
{
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);

	(void)state;
	p.normalize_path = 0;
	p.double_encode = 0;
	assert_sign_fails("GET /a%zz HTTP/1.1\nHost:h\n", &p, &c,
	    SD_ERR_INVALID, "percent-encoding");
	assert_sign_fails("GET /a% HTTP/1.1\nHost:h\n", &p, &c,
	    SD_ERR_INVALID, "percent-encoding");
	assert_sign_fails("GET /a%4 HTTP/1.1\nHost:h\n", &p, &c,
	    SD_ERR_INVALID, "percent-encoding");
}

static void
test_path_normalize(void **state)
{
	(void)state;
	assert_uri("/", 1, 1, "/");
	assert_uri("//", 1, 1, "/");
	assert_uri("/./", 1, 1, "/");
	assert_uri("/.", 1, 1, "/");
	assert_uri("/..", 1, 1, "/");
	assert_uri("/a/./b", 1, 1, "/a/b");
	assert_uri("/a/../b", 1, 1, "/b");
	assert_uri("/../a", 1, 1, "/a");
	assert_uri("/a/b/../../..", 1, 1, "/");
	assert_uri("/a//b//", 1, 1, "/a/b/");
	assert_uri("/a/.", 1, 1, "/a");
	assert_uri("/a/b/..", 1, 1, "/a");
	assert_uri("/a/b/../", 1, 1, "/a/");
	assert_uri("/a/.../b", 1, 1, "/a/.../b");
	assert_uri("/a/..b/.c", 1, 1, "/a/..b/.c");
	assert_uri("//example//", 1, 1, "/example/");
	/* Not normalised (S3): as sent. */
	assert_uri("//a/./b/../", 0, 1, "//a/./b/../");
	assert_uri("//a/./b/../", 0, 0, "//a/./b/../");
}

static void
test_query_canonical(void **state)
{
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	char raw[8192];
	size_t i, n;

	(void)state;
	/* Sorted by name then value; no '=' and empty values give "n=". */
	assert_query("b=2&a=1&a=0&c&d=&&e=x+y&f=%7e%41",
	    "a=0&a=1&b=2&c=&d=&e=x%2By&f=~A");
	assert_query("Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
	    "%E1%88%B4=Value1&Param=Value2&Param-3=Value3");
	assert_query("Param2=value2&Param1=value1",
	    "Param1=value1&Param2=value2");
	assert_query("b=1&B=1&a=1", "B=1&a=1&b=1");
	assert_query("\xe1\x88\xb4=bar", "%E1%88%B4=bar");
	assert_query("=v&x=1", "=v&x=1");
	assert_query("k=a%2Fb/c%3d", "k=a%2Fb%2Fc%3D");
	assert_query("prefix=acme%2Fhello%2F&list-type=2",
	    "list-type=2&prefix=acme%2Fhello%2F");
	assert_query("k=%e1%88%b4", "k=%E1%88%B4");
	assert_query("a=1=2", "a=1%3D2");
	assert_query("&&&", "");
	assert_query("lifecycle", "lifecycle=");

	assert_sign_fails("GET /?a=%G1 HTTP/1.1\nHost:h\n", &p, &c,
	    SD_ERR_INVALID, "percent-encoding");
	assert_sign_fails("GET /?a=% HTTP/1.1\nHost:h\n", &p, &c,
	    SD_ERR_INVALID, "percent-encoding");

	/* At most SD_SIGV4_MAX_QUERY_PARAMS pairs. */
	n = (size_t)snprintf(raw, sizeof(raw), "GET /?");
	for (i = 0; i <= SD_SIGV4_MAX_QUERY_PARAMS; i++)
		n += (size_t)snprintf(raw + n, sizeof(raw) - n, "%sp%zu",
		    i > 0 ? "&" : "", i);
	(void)snprintf(raw + n, sizeof(raw) - n, " HTTP/1.1\nHost:h\n");
	assert_sign_fails(raw, &p, &c, SD_ERR_LIMIT, "query parameters");

	/* The query form refuses a request already carrying X-Amz-*. */
	p.query = 1;
	assert_sign_fails("GET /?X-Amz-Signature=00 HTTP/1.1\nHost:h\n", &p,
	    &c, SD_ERR_INVALID, "presigning");
	assert_sign_fails("GET /?X-Amz-Date=1 HTTP/1.1\nHost:h\n", &p,
	    &c, SD_ERR_INVALID, "presigning");
}

static void
test_header_canonical(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_result res;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	const char *want;

	(void)state;
	/*
	 * Lower-cased and sorted (Host after A-First), values trimmed and
	 * white space collapsed (a folded line too), repeated headers joined
	 * in request order (an empty one included), User-Agent, Connection
	 * and X-Amzn-Trace-Id left out.
	 */
	want = "GET\n/\n\n"
	    "a-first:x\n"
	    "host:example.amazonaws.com\n"
	    "my-header:v1,a b c,,v3 v4\n"
	    "x-amz-date:20150830T123600Z\n"
	    "zed:\"a b\"\n"
	    "\na-first;host;my-header;x-amz-date;zed\n" EMPTY_HASH;
	assert_int_equal(sign_raw("GET / HTTP/1.1\n"
	    "Host:example.amazonaws.com\n"
	    "ZED:  \"a   b\"  \n"
	    "My-Header:v1\n"
	    "User-Agent:curl/8\n"
	    "my-header:  a\tb   c \n"
	    "MY-HEADER:\n"
	    "My-Header:v3\n"
	    "\tv4\n"
	    "A-First:x\n"
	    "Connection:close\n"
	    "X-Amzn-Trace-Id:Root=1\n", &p, &c, &res, &err), 0);
	assert_str("canonical request", res.canonical_request, want);
	assert_str("signed headers", res.signed_headers,
	    "a-first;host;my-header;x-amz-date;zed");
	sd_error_clear(&err);
}

static void
test_header_refusals(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_request req;
	struct sd_sigv4_result res;
	struct sd_sigv4_header h[SD_SIGV4_MAX_HEADERS + 1];
	size_t i;

	(void)state;
	assert_sign_fails("GET / HTTP/1.1\nHost:h\nAuthorization:x\n", &p, &c,
	    SD_ERR_INVALID, "Authorization");
	assert_sign_fails("GET / HTTP/1.1\nHost:h\nx-amz-date:x\n", &p, &c,
	    SD_ERR_INVALID, "x-amz-date");
	assert_sign_fails("GET / HTTP/1.1\nHost:h\nX-Amz-Security-Token:x\n",
	    &p, &c, SD_ERR_INVALID, "X-Amz-Security-Token");

	/* Requests built by hand are checked as hard as parsed ones. */
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.method_len = 3;
	req.path = "/";
	req.path_len = 1;
	req.host = "h";
	req.host_len = 1;
	req.headers = h;
	req.nheaders = 1;
	h[0].name = "Bad Name";
	h[0].name_len = 8;
	h[0].value = "v";
	h[0].value_len = 1;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	h[0].name = "Good";
	h[0].name_len = 4;
	h[0].value = "a\0b";
	h[0].value_len = 3;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	h[0].value = "a\r\nX-Injected: 1";
	h[0].value_len = strlen(h[0].value);
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	h[0].value = "a\rb";
	h[0].value_len = 3;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	{
		static char big[SD_SIGV4_MAX_LINE + 1];

		memset(big, 'v', sizeof(big));
		h[0].value = big;
		h[0].value_len = sizeof(big);
		assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
		    SD_ERR_LIMIT);
	}
	h[0].value = "a\r\n b";	/* a fold is fine */
	h[0].value_len = strlen(h[0].value);
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err), 0);
	assert_non_null(strstr(res.canonical_request, "\ngood:a b\n"));

	for (i = 0; i <= SD_SIGV4_MAX_HEADERS; i++) {
		h[i].name = "X-A";
		h[i].name_len = 3;
		h[i].value = "v";
		h[i].value_len = 1;
	}
	req.nheaders = SD_SIGV4_MAX_HEADERS + 1;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_LIMIT);
	req.nheaders = SD_SIGV4_MAX_HEADERS;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err), 0);
	sd_error_clear(&err);
}

static void
test_payload_hash(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_request *req;
	struct sd_sigv4_result res;
	const char *body_hash =
	    "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e";
	char line[256];

	(void)state;
	assert_int_equal(sign_raw("POST / HTTP/1.1\nHost:h\n\nParam1=value1",
	    &p, &c, &res, &err), 0);
	assert_str("payload hash", res.payload_hash, body_hash);
	assert_int_equal(res.nadd, 2);	/* X-Amz-Date, Authorization */

	/* sign_body: x-amz-content-sha256 added, signed and sent. */
	p.sign_body = 1;
	assert_int_equal(sign_raw("POST / HTTP/1.1\nHost:h\n\nParam1=value1",
	    &p, &c, &res, &err), 0);
	assert_str("signed headers", res.signed_headers,
	    "host;x-amz-content-sha256;x-amz-date");
	assert_int_equal(res.nadd, 3);
	assert_string_equal(res.add[1].name, "x-amz-content-sha256");
	assert_string_equal(res.add[1].value, body_hash);

	/* Already there and right: signed, not added twice. */
	assert_int_equal(sign_raw("POST / HTTP/1.1\nHost:h\n"
	    "X-Amz-Content-Sha256: 9095672bbd1f56dfc5b65f3e153adc8731a4a654"
	    "192329106275f4c7b24d0b6e\n\nParam1=value1", &p, &c, &res, &err),
	    0);
	assert_int_equal(res.nadd, 2);
	/* There and wrong: refused. */
	assert_sign_fails("POST / HTTP/1.1\nHost:h\nx-amz-content-sha256:"
	    EMPTY_HASH "\n\nParam1=value1", &p, &c, SD_ERR_INVALID,
	    "x-amz-content-sha256");

	/* UNSIGNED-PAYLOAD. */
	p.sign_body = 0;
	p.unsigned_payload = 1;
	assert_int_equal(sign_raw("PUT /k HTTP/1.1\nHost:h\n\nbody", &p, &c,
	    &res, &err), 0);
	assert_str("last line", creq_line(&res, 8, line, sizeof(line)),
	    "UNSIGNED-PAYLOAD");
	assert_string_equal(res.add[1].value, "UNSIGNED-PAYLOAD");
	p.query = 1;
	assert_int_equal(sign_raw("GET /k HTTP/1.1\nHost:h\n", &p, &c, &res,
	    &err), 0);
	assert_non_null(strstr(res.canonical_request, "\nUNSIGNED-PAYLOAD"));
	assert_int_equal(res.nadd, 0);
	p.query = 0;
	p.unsigned_payload = 0;

	/* A given hash must match the body when the body is there too. */
	req = parse_ok("POST / HTTP/1.1\nHost:h\n\nParam1=value1");
	req->payload_hash = body_hash;
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err), 0);
	req->payload_hash = EMPTY_HASH;
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "does not match"));
	req->payload_hash = "9095672BBD1F56DFC5B65F3E153ADC8731A4A654192329106"
	    "275F4C7B24D0B6E";
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	req->payload_hash = "abc";
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	/* Without the body the hash is taken as given. */
	req->payload_hash = EMPTY_HASH;
	req->body = NULL;
	req->body_len = 0;
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err), 0);
	assert_string_equal(res.payload_hash, EMPTY_HASH);
	req->body_len = 5;
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	sd_sigv4_request_free(req);
	sd_error_clear(&err);
}

static void
test_content_length(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_result res;

	(void)state;
	assert_int_equal(sign_raw("POST / HTTP/1.1\nHost:h\nContent-Length: 4"
	    "\n\nbody", &p, &c, &res, &err), 0);
	assert_sign_fails("POST / HTTP/1.1\nHost:h\nContent-Length:5\n\nbody",
	    &p, &c, SD_ERR_INVALID, "Content-Length");
	assert_sign_fails("POST / HTTP/1.1\nHost:h\nContent-Length:4x\n\nbody",
	    &p, &c, SD_ERR_INVALID, "Content-Length");
	assert_sign_fails("POST / HTTP/1.1\nHost:h\nContent-Length:\n\nbody",
	    &p, &c, SD_ERR_INVALID, "Content-Length");
	/* UNSIGNED-PAYLOAD without the body: nothing to compare with. */
	p.unsigned_payload = 1;
	assert_int_equal(sign_raw("PUT / HTTP/1.1\nHost:h\nContent-Length:"
	    "99999\n", &p, &c, &res, &err), SD_ERR_INVALID);
	sd_error_clear(&err);
}

static void
test_host(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_request req;
	struct sd_sigv4_result res;
	struct sd_sigv4_header h[2];

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.method_len = 3;
	req.path = "";
	req.host = "example.amazonaws.com";
	req.host_len = strlen(req.host);
	/* No Host header: host is signed all the same. */
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err), 0);
	assert_string_equal(res.signature,
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	/* A Host header that disagrees. */
	h[0].name = "Host";
	h[0].name_len = 4;
	h[0].value = " other.example ";
	h[0].value_len = strlen(h[0].value);
	req.headers = h;
	req.nheaders = 1;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	h[0].value = " example.amazonaws.com";
	h[0].value_len = strlen(h[0].value);
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err), 0);
	h[1] = h[0];
	req.nheaders = 2;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	req.nheaders = 0;
	req.host = NULL;
	req.host_len = 0;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	req.host = "bad host";
	req.host_len = 8;
	assert_int_equal(sd_sigv4_sign(S, &req, &c, &p, &res, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
}

static void
test_session_token(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds("tok/en+=");
	struct sd_sigv4_result res;

	(void)state;
	assert_int_equal(sign_raw("GET / HTTP/1.1\nHost:h\n", &p, &c, &res,
	    &err), 0);
	assert_string_equal(res.signed_headers,
	    "host;x-amz-date;x-amz-security-token");
	assert_int_equal(res.nadd, 3);
	assert_string_equal(res.add[0].name, "X-Amz-Security-Token");
	assert_string_equal(res.add[0].value, "tok/en+=");
	assert_non_null(strstr(res.canonical_request,
	    "\nx-amz-security-token:tok/en+=\n"));

	p.omit_session_token = 1;
	assert_int_equal(sign_raw("GET / HTTP/1.1\nHost:h\n", &p, &c, &res,
	    &err), 0);
	assert_string_equal(res.signed_headers, "host;x-amz-date");
	assert_int_equal(res.nadd, 3);
	assert_string_equal(res.add[0].name, "X-Amz-Security-Token");

	p.query = 1;
	assert_int_equal(sign_raw("GET / HTTP/1.1\nHost:h\n", &p, &c, &res,
	    &err), 0);
	assert_null(strstr(res.canonical_request, "Security-Token"));
	assert_non_null(strstr(res.query,
	    "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-Signature="));
	p.omit_session_token = 0;
	assert_int_equal(sign_raw("GET / HTTP/1.1\nHost:h\n", &p, &c, &res,
	    &err), 0);
	assert_non_null(strstr(res.canonical_request,
	    "&X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host\n"));
	sd_error_clear(&err);
}

static void
test_presigned(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_request *req;
	struct sd_sigv4_result res;
	const char *prefix = "https://example.amazonaws.com/a%20b?x=1&"
	    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE"
	    "%2F20150830%2Fus-east-1%2Fservice%2Faws4_request&X-Amz-Date="
	    "20150830T123600Z&X-Amz-SignedHeaders=host&X-Amz-Expires=86400"
	    "&X-Amz-Signature=";
	char *url;

	(void)state;
	p.query = 1;
	p.expires = 86400;
	req = parse_ok("GET /a%20b?x=1 HTTP/1.1\nHost:example.amazonaws.com\n");
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err), 0);
	assert_null(res.authorization);
	url = sd_sigv4_presigned_url(req, &res);
	assert_non_null(url);
	assert_true(strncmp(url, prefix, strlen(prefix)) == 0);
	assert_int_equal(strlen(url), strlen(prefix) + SD_SIGV4_HASH_HEX);
	assert_string_equal(url + strlen(prefix), res.signature);
	free(url);
	p.query = 0;
	assert_int_equal(sd_sigv4_sign(S, req, &c, &p, &res, &err), 0);
	assert_null(sd_sigv4_presigned_url(req, &res));
	sd_sigv4_request_free(req);
	sd_error_clear(&err);
}

static void
sig_of(struct sd_sigv4_signer *s, const char *secret, const char *region,
    int64_t t, char *out)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_request *req;
	struct sd_sigv4_result res;

	p.region = region;
	p.time = t;
	c.secret = secret;
	c.secret_len = strlen(secret);
	req = parse_ok("GET / HTTP/1.1\nHost:example.amazonaws.com\n");
	if (sd_sigv4_sign(s, req, &c, &p, &res, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	memcpy(out, res.signature, SD_SIGV4_HASH_HEX + 1);
	sd_sigv4_request_free(req);
	sd_error_clear(&err);
}

static void
test_key_cache(void **state)
{
	static const char *secrets[] = { SECRET, "other-secret", SECRET "x" };
	static const char *regions[] = { "us-east-1", "eu-west-1" };
	static const int64_t times[] = { T_SUITE, T_SUITE + 86400, T_SUITE + 5 };
	char got[SD_SIGV4_HASH_HEX + 1], want[SD_SIGV4_HASH_HEX + 1];
	char first[SD_SIGV4_HASH_HEX + 1];
	struct sd_sigv4_signer *fresh;
	size_t i, j, k, round;

	(void)state;
	sig_of(S, SECRET, "us-east-1", T_SUITE, first);
	assert_string_equal(first,
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
	/* 12 combinations through 4 slots, twice: evictions and hits. */
	for (round = 0; round < 2; round++)
		for (i = 0; i < 3; i++)
			for (j = 0; j < 2; j++)
				for (k = 0; k < 3; k++) {
					fresh = sd_sigv4_signer_new();
					assert_non_null(fresh);
					sig_of(fresh, secrets[i], regions[j],
					    times[k], want);
					sd_sigv4_signer_free(fresh);
					sig_of(S, secrets[i], regions[j],
					    times[k], got);
					assert_string_equal(got, want);
					if (i + j + k != 0)
						assert_string_not_equal(got,
						    first);
				}
}

static void
test_key_cache_hits(void **state)
{
	struct sd_sigv4_signer *s = sd_sigv4_signer_new();
	char sig[SD_SIGV4_HASH_HEX + 1];
	uint64_t hits = 9, misses = 9;
	int i;

	(void)state;
	assert_non_null(s);
	sd_sigv4_signer_stats(s, &hits, &misses);
	assert_true(hits == 0 && misses == 0);
	for (i = 0; i < 3; i++)
		sig_of(s, SECRET, "us-east-1", T_SUITE + i, sig);
	sd_sigv4_signer_stats(s, &hits, &misses);
	assert_true(hits == 2 && misses == 1);
	sig_of(s, SECRET, "us-east-1", T_SUITE + 86400, sig);	/* next day */
	sig_of(s, "another", "us-east-1", T_SUITE, sig);		/* secret */
	sig_of(s, SECRET, "eu-west-1", T_SUITE, sig);		/* region */
	sig_of(s, SECRET, "us-east-1", T_SUITE, sig);		/* still cached */
	sd_sigv4_signer_stats(s, &hits, &misses);
	assert_true(hits == 3 && misses == 4);
	sig_of(s, "a-fifth", "us-east-1", T_SUITE, sig);	/* evicts the oldest */
	sig_of(s, SECRET, "us-east-1", T_SUITE, sig);
	sd_sigv4_signer_stats(s, &hits, &misses);
	assert_true(hits == 3 && misses == 6);
	sd_sigv4_signer_free(s);
}

static void
test_verify(void **state)
{
	const char *a =
	    "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
	char b[65], c65[66];

	(void)state;
	assert_int_equal(sd_sigv4_verify(a, a), 0);
	memcpy(b, a, 65);
	assert_int_equal(sd_sigv4_verify(a, b), 0);
	b[63] = '0';
	assert_int_equal(sd_sigv4_verify(a, b), SD_ERR_INVALID);
	b[63] = '1';
	b[0] = '6';
	assert_int_equal(sd_sigv4_verify(a, b), SD_ERR_INVALID);
	b[0] = '5';
	b[1] = 'F';
	assert_int_equal(sd_sigv4_verify(a, b), SD_ERR_INVALID);
	assert_int_equal(sd_sigv4_verify(a, "5fa0"), SD_ERR_INVALID);
	assert_int_equal(sd_sigv4_verify("", ""), SD_ERR_INVALID);
	assert_int_equal(sd_sigv4_verify(NULL, a), SD_ERR_INVALID);
	assert_int_equal(sd_sigv4_verify(a, NULL), SD_ERR_INVALID);
	/* 65 characters: a prefix match is not a match. */
	memcpy(c65, a, 64);
	c65[64] = '0';
	c65[65] = '\0';
	assert_int_equal(sd_sigv4_verify(a, c65), SD_ERR_INVALID);
	assert_int_equal(sd_sigv4_verify(c65, a), SD_ERR_INVALID);
}

static void
test_params_checked(void **state)
{
	struct sd_sigv4_params p;
	struct sd_sigv4_credentials c = creds(NULL);
	const char *raw = "GET / HTTP/1.1\nHost:h\n";
	char longtok[SD_SIGV4_MAX_TOKEN + 2];

	(void)state;
	p = params();
	p.region = "";
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "region");
	p.region = "us east";
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "region");
	p.region = "us/east";
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "region");
	p = params();
	p.service = NULL;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "service");
	p = params();
	p.time = -1;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "time");
	p.time = INT64_C(253402300800);
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "time");
	p = params();
	p.query = 1;
	p.expires = 0;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "expiry");
	p.expires = SD_SIGV4_MAX_EXPIRES + 1;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "expiry");
	p.expires = SD_SIGV4_MAX_EXPIRES;
	assert_sign_fails(raw, &p, &c, 0, NULL);

	p = params();
	c.access_key_id = "";
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "access key");
	c.access_key_id = "AKID/../x";
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "access key");
	c = creds(NULL);
	c.secret_len = 0;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "secret");
	c.secret_len = SD_SIGV4_MAX_SECRET + 1;
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "secret");
	c = creds("has space");
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "session token");
	c = creds("");
	assert_sign_fails(raw, &p, &c, SD_ERR_INVALID, "session token");
	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	c = creds(longtok);
	assert_sign_fails(raw, &p, &c, SD_ERR_LIMIT, "session token");
}

static void
test_secret_never_in_messages(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_context *ctx = NULL;
	static const char *bad[] = {
		"{\"credentials\":{\"access_key_id\":\"A\",\"secret_access_key\""
		    ":\"TOPSECRETVALUE\"},\"region\":\"r\",\"service\":\"s\","
		    "\"bogus\":1}",
		"{\"credentials\":{\"access_key_id\":\"A\",\"secret_access_key\""
		    ":\"TOPSECRETVALUE",
		"{\"credentials\":{\"access_key_id\":\"A\",\"secret_access_key\""
		    ":TOPSECRETVALUE}}",
		"{\"credentials\":{\"access_key_id\":\"A\",\"secret_access_key\""
		    ":\"TOPSECRETVALUE\"},\"region\":1,\"service\":\"s\"}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sd_sigv4_context_parse(bad[i], strlen(bad[i]), &ctx,
		    &err) == 0)
			fail_msg("context %zu was accepted", i);
		if (strstr(sd_error_text(&err), "TOPSECRET") != NULL)
			fail_msg("message shows the secret: %s",
			    sd_error_text(&err));
		sd_error_clear(&err);
	}
}

static void
test_context(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_context *ctx = NULL;
	const char *s3 = "{\"credentials\":{\"access_key_id\":\"A\","
	    "\"secret_access_key\":\"S\",\"token\":\"T\"},\"region\":\"r\","
	    "\"service\":\"s3\",\"timestamp\":\"2015-08-30T12:36:00.5Z\","
	    "\"unsigned_payload\":true}";
	const char *dup = "{\"credentials\":{\"access_key_id\":\"A\","
	    "\"secret_access_key\":\"S\"},\"region\":\"r\",\"region\":\"q\","
	    "\"service\":\"s\"}";

	(void)state;
	assert_int_equal(sd_sigv4_context_parse(s3, strlen(s3), &ctx, &err), 0);
	assert_int_equal(ctx->params.normalize_path, 0);
	assert_int_equal(ctx->params.double_encode, 0);
	assert_int_equal(ctx->params.unsigned_payload, 1);
	assert_int_equal(ctx->params.time, T_SUITE);
	assert_string_equal(ctx->creds.session_token, "T");
	assert_int_equal(ctx->creds.secret_len, 1);
	sd_sigv4_context_free(ctx);
	assert_int_not_equal(sd_sigv4_context_parse(dup, strlen(dup), &ctx,
	    &err), 0);
	sd_error_clear(&err);
}

static void
test_date(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p = params();
	struct sd_sigv4_credentials c = creds(NULL);
	struct sd_sigv4_result res;
	static const struct {
		int64_t		 t;
		const char	*d;
	} tab[] = {
		{ 0, "19700101T000000Z" },
		{ INT64_C(951782400), "20000229T000000Z" },
		{ INT64_C(1709251199), "20240229T235959Z" },
		{ INT64_C(253402300799), "99991231T235959Z" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		p.time = tab[i].t;
		assert_int_equal(sign_raw("GET / HTTP/1.1\nHost:h\n", &p, &c,
		    &res, &err), 0);
		assert_string_equal(res.amz_date, tab[i].d);
		assert_memory_equal(res.credential_scope, tab[i].d, 8);
	}
	sd_error_clear(&err);
}

static void
test_parse(void **state)
{
	struct sd_sigv4_request *req;

	(void)state;
	req = parse_ok("PUT /a%20b?x=1&y HTTP/1.1\r\nHost: h.example \r\n"
	    "X-Fold: a\r\n  b\r\n\r\nBODY\r\n");
	assert_int_equal(req->method_len, 3);
	assert_memory_equal(req->path, "/a%20b", req->path_len);
	assert_int_equal(req->path_len, 6);
	assert_memory_equal(req->query, "x=1&y", 5);
	assert_int_equal(req->query_len, 5);
	assert_memory_equal(req->host, "h.example", 9);
	assert_int_equal(req->host_len, 9);
	assert_int_equal(req->nheaders, 2);
	assert_int_equal(req->headers[1].value_len, strlen(" a\r\n  b"));
	assert_memory_equal(req->headers[1].value, " a\r\n  b", 7);
	assert_int_equal(req->body_len, 6);
	assert_memory_equal(req->body, "BODY\r\n", 6);
	sd_sigv4_request_free(req);

	/* Target with spaces runs to the last space; "/?" is an empty query. */
	req = parse_ok("GET /a b/? HTTP/1.1\nHost:h");
	assert_int_equal(req->path_len, 5);
	assert_non_null(req->query);
	assert_int_equal(req->query_len, 0);
	assert_int_equal(req->body_len, 0);
	sd_sigv4_request_free(req);
	sd_sigv4_request_free(NULL);
}

static void
test_parse_refusals(void **state)
{
	struct sd_buf b;
	size_t i;
	char *big;

	(void)state;
	assert_parse_fails("", 0, SD_ERR_PARSE, "empty");
	assert_parse_fails("\n", 1, SD_ERR_PARSE, "empty request line");
	assert_parse_fails("GET /\n", 6, SD_ERR_PARSE, "METHOD TARGET");
	assert_parse_fails("GET / HTTP/1.0\nHost:h\n", 22, SD_ERR_PARSE,
	    "HTTP/1.1");
	assert_parse_fails("GET x HTTP/1.1\nHost:h\n", 22, SD_ERR_PARSE,
	    "'/'");
	assert_parse_fails("GET http://h/ HTTP/1.1\nHost:h\n", 30,
	    SD_ERR_PARSE, "'/'");
	assert_parse_fails("GET /#f HTTP/1.1\nHost:h\n", 24, SD_ERR_PARSE,
	    "fragment");
	assert_parse_fails("G(T / HTTP/1.1\nHost:h\n", 22, SD_ERR_PARSE,
	    "token");
	assert_parse_fails("GET / HTTP/1.1\n", 15, SD_ERR_PARSE, "no Host");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nhost:h\n", 29,
	    SD_ERR_PARSE, "more than one Host");
	assert_parse_fails("GET / HTTP/1.1\nHost: \n", 22, SD_ERR_PARSE,
	    "empty Host");
	assert_parse_fails("GET / HTTP/1.1\nHost:a b\n", 24, SD_ERR_PARSE,
	    "more than one host");
	assert_parse_fails("GET / HTTP/1.1\n cont\nHost:h\n", 28, SD_ERR_PARSE,
	    "continuation");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nBad Name:v\n", 33,
	    SD_ERR_PARSE, "token");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nName :v\n", 30,
	    SD_ERR_PARSE, "token");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\n:v\n", 25, SD_ERR_PARSE,
	    "name");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nNoColon\n", 30,
	    SD_ERR_PARSE, "':'");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nX:a\0b\n", 28,
	    SD_ERR_PARSE, "control");
	assert_parse_fails("GET / HTTP/1.1\nHost:h\nX:a\rb\n", 28,
	    SD_ERR_PARSE, "control");
	assert_parse_fails("GET /\x01 HTTP/1.1\nHost:h\n", 24, SD_ERR_PARSE,
	    "control");

	/* Too many headers, a header too long, a body too big. */
	sd_buf_init(&b, 0);
	(void)sd_buf_puts(&b, "GET / HTTP/1.1\nHost:h\n");
	for (i = 0; i < SD_SIGV4_MAX_HEADERS; i++)
		(void)sd_buf_printf(&b, "X-%zu:v\n", i);
	assert_parse_fails(b.data, b.len, SD_ERR_LIMIT, "headers");
	sd_buf_reset(&b);
	(void)sd_buf_puts(&b, "GET / HTTP/1.1\nHost:h\nX:");
	for (i = 0; i < SD_SIGV4_MAX_LINE; i++)
		(void)sd_buf_putc(&b, 'v');
	(void)sd_buf_putc(&b, '\n');
	assert_parse_fails(b.data, b.len, SD_ERR_LIMIT, "longer");
	sd_buf_reset(&b);
	(void)sd_buf_puts(&b, "GET / HTTP/1.1\nHost:h\nX:v\n");
	for (i = 0; i < SD_SIGV4_MAX_LINE / 4; i++)
		(void)sd_buf_puts(&b, "  fold\n");
	assert_parse_fails(b.data, b.len, SD_ERR_LIMIT, "longer");
	sd_buf_reset(&b);
	(void)sd_buf_puts(&b, "GET /");
	for (i = 0; i < SD_SIGV4_MAX_TARGET; i++)
		(void)sd_buf_putc(&b, 'p');
	(void)sd_buf_puts(&b, " HTTP/1.1\nHost:h\n");
	assert_parse_fails(b.data, b.len, SD_ERR_LIMIT, "longer");
	sd_buf_release(&b);

	big = calloc(1, (size_t)SD_SIGV4_MAX_BODY + 64);
	assert_non_null(big);
	memcpy(big, "PUT / HTTP/1.1\nHost:h\n\n", 23);
	assert_parse_fails(big, (size_t)SD_SIGV4_MAX_BODY + 24, SD_ERR_LIMIT,
	    "body");
	free(big);
}

/*
 * AWS's S3 documentation examples ("Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk" and "Query
 * String Authentication"): the suite has no S3 case.
 */
static void
s3_case(const char *raw, int query, int64_t expires, const char *want_sig,
    const char *want_creq)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_params p;
	struct sd_sigv4_credentials c;
	struct sd_sigv4_result res;

	sd_sigv4_params_init(&p);
	p.region = "us-east-1";
	p.service = "s3";
	p.time = INT64_C(1369353600);	/* 2013-05-24T00:00:00Z */
	p.normalize_path = 0;
	p.double_encode = 0;
	p.query = query;
	if (query) {
		p.unsigned_payload = 1;
		p.expires = expires;
	} else
		p.sign_body = 1;
	c.access_key_id = "AKIAIOSFODNN7EXAMPLE";
	c.secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
	c.secret_len = strlen(c.secret);
	c.session_token = NULL;
	if (sign_raw(raw, &p, &c, &res, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	if (want_creq != NULL)
		assert_str("canonical request", res.canonical_request,
		    want_creq);
	assert_string_equal(res.signature, want_sig);
	sd_error_clear(&err);
}

static void
test_s3_examples(void **state)
{
	(void)state;
	s3_case("GET /test.txt HTTP/1.1\n"
	    "Host: examplebucket.s3.amazonaws.com\n"
	    "Range: bytes=0-9\n", 0, 0,
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
	    "range:bytes=0-9\nx-amz-content-sha256:" EMPTY_HASH "\n"
	    "x-amz-date:20130524T000000Z\n\n"
	    "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_HASH);
	s3_case("PUT /test%24file.text HTTP/1.1\n"
	    "Host: examplebucket.s3.amazonaws.com\n"
	    "Date: Fri, 24 May 2013 00:00:00 GMT\n"
	    "x-amz-storage-class: REDUCED_REDUNDANCY\n"
	    "\nWelcome to Amazon S3.", 0, 0,
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	    NULL);
	s3_case("GET /?lifecycle HTTP/1.1\n"
	    "Host: examplebucket.s3.amazonaws.com\n", 0, 0,
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
	    NULL);
	s3_case("GET /?max-keys=2&prefix=J HTTP/1.1\n"
	    "Host: examplebucket.s3.amazonaws.com\n", 0, 0,
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
	    NULL);
	s3_case("GET /test.txt HTTP/1.1\n"
	    "Host: examplebucket.s3.amazonaws.com\n", 1, 86400,
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
	    NULL);
}

/* ------------------------------------------------------------ main */

static int
group_setup(void **state)
{
	(void)state;
	S = sd_sigv4_signer_new();
	return S == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	sd_sigv4_signer_free(S);
	S = NULL;
	if (suite_dir[0] != '\0')
		printf("[ SIGV4    ] AWS suite (%s): %d/%d signatures, "
		    "canonical requests and strings to sign matched\n",
		    suite_dir, suite_passed, suite_ran);
	return 0;
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * $SHARED, ../shared from the working directory, from this source file,
 * or from the binary (build/asan/test_sigv4 under the repository root).
 */
static void
find_suite(void)
{
	static char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX], d[PATH_MAX];
	const char *env = getenv("SHARED");
	const char *src = __FILE__, *slash;
	char exe[PATH_MAX];
	ssize_t el;
	int n;

	if (env != NULL && env[0] != '\0') {
		/* Set: the only place looked at, so a wrong SHARED fails. */
		(void)snprintf(a, sizeof(a), "%s/sigv4-testsuite/v4", env);
		suite_tried[0] = a;
		if (is_dir(a) && realpath(a, suite_dir) == NULL)
			suite_dir[0] = '\0';
		return;
	}
	(void)snprintf(b, sizeof(b), "../shared/sigv4-testsuite/v4");
	suite_tried[1] = b;
	/* __FILE__ is tests/unit/test_sigv4.c under the repository root. */
	if ((slash = strstr(src, "tests/unit/test_sigv4.c")) != NULL) {
		n = (int)(slash - src);
		(void)snprintf(c, sizeof(c), "%.*s../shared/sigv4-testsuite/v4",
		    n, src);
		if (n == 0)
			c[0] = '\0';
		suite_tried[2] = c[0] != '\0' ? c : NULL;
	}
	if ((el = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[el] = '\0';
		for (n = 0; n < 3; n++)
			if ((slash = strrchr(exe, '/')) != NULL)
				exe[slash - exe] = '\0';
		(void)snprintf(d, sizeof(d), "%.*s/../shared/sigv4-testsuite/v4",
		    (int)(sizeof(d) - 40), exe);
		suite_tried[3] = d;
	}
	for (n = 0; n < 4; n++)
		if (suite_tried[n] != NULL && is_dir(suite_tried[n])) {
			if (realpath(suite_tried[n], suite_dir) == NULL)
				suite_dir[0] = '\0';
			return;
		}
}

static int
case_filter(const struct dirent *d)
{
	char p[PATH_MAX];
	struct stat st;
	int n;

	if (d->d_name[0] == '.')
		return 0;
	n = snprintf(p, sizeof(p), "%s/%s/request.txt", suite_dir, d->d_name);
	return n > 0 && (size_t)n < sizeof(p) && stat(p, &st) == 0;
}

static void
test_suite_complete(void **state)
{
	int *count = *state;

	if (*count < SUITE_CASES)
		fail_msg("the suite in %s has %d cases, want %d", suite_dir,
		    *count, SUITE_CASES);
}

int
main(void)
{
	static const struct CMUnitTest rules[] = {
		cmocka_unit_test(test_uri_encoding),
		cmocka_unit_test(test_uri_bad_escape_s3),
		cmocka_unit_test(test_path_normalize),
		cmocka_unit_test(test_query_canonical),
		cmocka_unit_test(test_header_canonical),
		cmocka_unit_test(test_header_refusals),
		cmocka_unit_test(test_payload_hash),
		cmocka_unit_test(test_content_length),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_session_token),
		cmocka_unit_test(test_presigned),
		cmocka_unit_test(test_key_cache),
		cmocka_unit_test(test_key_cache_hits),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_params_checked),
		cmocka_unit_test(test_secret_never_in_messages),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_s3_examples),
	};
	struct dirent **names = NULL;
	struct CMUnitTest *tests;
	struct suite_case *cases = NULL;
	size_t nrules = sizeof(rules) / sizeof(rules[0]), nt = 0, i;
	int ncases = 0, k, rc;

	find_suite();
	if (suite_dir[0] != '\0' &&
	    (ncases = scandir(suite_dir, &names, case_filter, alphasort)) < 0)
		ncases = 0;
	tests = calloc(nrules + 2 + 2 * (size_t)ncases, sizeof(*tests));
	if (ncases > 0)
		cases = calloc(2 * (size_t)ncases, sizeof(*cases));
	if (tests == NULL || (ncases > 0 && cases == NULL)) {
		fprintf(stderr, "test_sigv4: out of memory\n");
		return 1;
	}
	for (i = 0; i < nrules; i++)
		tests[nt++] = rules[i];
	tests[nt].name = "suite_present";
	tests[nt++].test_func = test_suite_present;
	if (suite_dir[0] != '\0') {
		tests[nt].name = "suite_complete";
		tests[nt].test_func = test_suite_complete;
		tests[nt++].initial_state = &ncases;
	}
	for (k = 0; k < 2 * ncases; k++) {
		struct suite_case *sc = &cases[k];

		(void)snprintf(sc->name, sizeof(sc->name), "%s",
		    names[k / 2]->d_name);
		sc->query = k % 2;
		(void)snprintf(sc->tname, sizeof(sc->tname), "suite/%s/%s",
		    sc->query ? "query" : "header", sc->name);
		tests[nt].name = sc->tname;
		tests[nt].test_func = test_suite_case;
		tests[nt++].initial_state = sc;
	}
	for (k = 0; k < ncases; k++)
		free(names[k]);
	free(names);
	rc = _cmocka_run_group_tests("sigv4", tests, nt, group_setup,
	    group_teardown);
	free(tests);
	free(cases);
	return rc;
}
