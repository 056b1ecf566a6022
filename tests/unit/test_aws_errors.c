/*
 * test_aws_errors: the uploader's AWS client without a network: AWS error
 * bodies (S3 XML, Lambda / Step Functions JSON and x-amzn-ErrorType),
 * classification and retry decisions, backoff math, endpoint and URL
 * rules, client options, and the lock's object bodies.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <curl/curl.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_lock.h"

static struct sd_aws_status
parse(enum sd_policy_service svc, long status, const char *hdr,
    const char *body)
{
	struct sd_aws_status st;

	memset(&st, 0, sizeof(st));
	sd_aws_parse_error(svc, status, hdr, body, body != NULL ?
	    strlen(body) : 0, &st);
	return st;
}

/* ------------------------------------------------------------ S3 XML */

static void
test_s3_error_xml(void **state)
{
	struct sd_aws_status st;

	(void)state;
	st = parse(SD_POLICY_SVC_S3, 412, NULL,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
	    "PreconditionFailed</Code><Message>At least one of the "
	    "pre-conditions you specified did not hold</Message><Condition>"
	    "If-None-Match</Condition><RequestId>ABC123</RequestId><HostId>x"
	    "</HostId></Error>");
	assert_string_equal(st.code, "PreconditionFailed");
	assert_string_equal(st.message, "At least one of the pre-conditions "
	    "you specified did not hold");
	assert_string_equal(st.request_id, "ABC123");
	assert_int_equal(st.kind, SD_AWS_PRECONDITION);
	assert_int_equal(st.http_status, 412);

	st = parse(SD_POLICY_SVC_S3, 503, NULL, "<Error><Code>SlowDown</Code>"
	    "<Message>Please reduce your request rate.</Message></Error>");
	assert_string_equal(st.code, "SlowDown");
	assert_int_equal(st.kind, SD_AWS_THROTTLED);

	st = parse(SD_POLICY_SVC_S3, 404, NULL, "<Error><Code>NoSuchKey</Code>"
	    "<Message>The specified key does not exist.</Message></Error>");
	assert_int_equal(st.kind, SD_AWS_NOT_FOUND);

	st = parse(SD_POLICY_SVC_S3, 403, NULL, "<Error><Code>"
	    "SignatureDoesNotMatch</Code><Message>The request signature we "
	    "calculated does not match</Message><StringToSign>AWS4-HMAC-SHA256"
	    "\n...</StringToSign></Error>");
	assert_string_equal(st.code, "SignatureDoesNotMatch");
	assert_int_equal(st.kind, SD_AWS_DENIED);

	/* S3 answers 400 RequestTimeout for a stalled upload: retried. */
	st = parse(SD_POLICY_SVC_S3, 400, NULL, "<Error><Code>RequestTimeout"
	    "</Code><Message>Your socket connection ...</Message></Error>");
	assert_int_equal(st.kind, SD_AWS_SERVER);
}

static void
test_s3_error_no_body(void **state)
{
	struct sd_aws_status st;

	(void)state;
	/* HEAD errors carry no body: the code comes from the status. */
	st = parse(SD_POLICY_SVC_S3, 404, NULL, NULL);
	assert_string_equal(st.code, "NotFound");
	assert_int_equal(st.kind, SD_AWS_NOT_FOUND);
	st = parse(SD_POLICY_SVC_S3, 412, NULL, "");
	assert_string_equal(st.code, "PreconditionFailed");
	assert_int_equal(st.kind, SD_AWS_PRECONDITION);
	st = parse(SD_POLICY_SVC_S3, 418, NULL, NULL);
	assert_string_equal(st.code, "HTTP418");
	assert_int_equal(st.kind, SD_AWS_CLIENT);
	/* A proxy's HTML page: its first line is the message. */
	st = parse(SD_POLICY_SVC_S3, 502, NULL, "<html>Bad gateway\r\nmore");
	assert_string_equal(st.code, "BadGateway");
	assert_string_equal(st.message, "<html>Bad gateway");
	assert_int_equal(st.kind, SD_AWS_SERVER);
	/* An unterminated tag is no code. */
	st = parse(SD_POLICY_SVC_S3, 500, NULL, "<Error><Code>InternalErr");
	assert_string_equal(st.code, "InternalError");
}

static void
test_s3_error_hostile(void **state)
{
	struct sd_aws_status st;
	char *big;
	size_t n = 3 * SD_AWS_ERROR_BODY_MAX;

	(void)state;
	/* Control bytes and non-ASCII never reach a message. */
	st = parse(SD_POLICY_SVC_S3, 400, NULL, "<Error><Code>Bad\x01<x>Code"
	    "</Code><Message>line1\nline2\x1b[31m\xc3\xa9</Message></Error>");
	assert_string_equal(st.code, "BadxCode");
	assert_string_equal(st.message, "line1?line2?[31m??");
	/* A long message is cut; a body over the cap is not read past it. */
	big = malloc(n + 64);
	assert_non_null(big);
	memcpy(big, "<Error><Code>X</Code><Message>", 30);
	memset(big + 30, 'm', n - 30);
	memcpy(big + n, "</Message></Error>", 19);
	st = parse(SD_POLICY_SVC_S3, 400, NULL, big);
	assert_string_equal(st.code, "X");
	assert_string_equal(st.message, "");	/* closing tag past the cap */
	memcpy(big + 30 + 2000, "</Message>", 10);
	st = parse(SD_POLICY_SVC_S3, 400, NULL, big);
	assert_int_equal(strlen(st.message), SD_AWS_MESSAGE_MAX - 1);
	free(big);
}

static void
test_xml_text(void **state)
{
	char out[64];
	const char *x = "<A><Code>a&lt;b&gt;&amp;&quot;&apos;&#65;&#x42;&#xe9;"
	    "&bogus;&#;</Code></A>";

	(void)state;
	assert_int_equal(sd_aws_xml_text(x, strlen(x), "Code", out,
	    sizeof(out)), 1);
	assert_string_equal(out, "a<b>&\"'AB\xc3\xa9&bogus;&#;");
	assert_int_equal(sd_aws_xml_text(x, strlen(x), "Message", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "");
	/* Cut to the buffer, always terminated. */
	assert_int_equal(sd_aws_xml_text("<T>abcdefgh</T>", 15, "T", out, 4),
	    1);
	assert_string_equal(out, "abc");
	/* len bounds the search: the closing tag is beyond it. */
	assert_int_equal(sd_aws_xml_text("<T>abc</T>", 8, "T", out,
	    sizeof(out)), 0);
	/* The first element wins; nested tags are text. */
	assert_int_equal(sd_aws_xml_text("<T><b>1</b></T><T>2</T>", 23, "T",
	    out, sizeof(out)), 1);
	assert_string_equal(out, "<b>1</b>");
	assert_int_equal(sd_aws_xml_text(NULL, 0, "T", out, sizeof(out)), 0);
}

/* ------------------------------------------------------------ JSON */

static void
test_json_errors(void **state)
{
	struct sd_aws_status st;

	(void)state;
	/* Step Functions: the Coral namespace is dropped. */
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "{\"__type\":"
	    "\"com.amazon.coral.availability#ThrottlingException\","
	    "\"message\":\"Rate exceeded\"}");
	assert_string_equal(st.code, "ThrottlingException");
	assert_string_equal(st.message, "Rate exceeded");
	assert_int_equal(st.kind, SD_AWS_THROTTLED);
	st = parse(SD_POLICY_SVC_STATES, 400, "StateMachineDoesNotExist",
	    "{\"__type\":\"com.amazonaws.swf.service.v2.model#"
	    "StateMachineDoesNotExist\",\"message\":\"State Machine Does Not "
	    "Exist: 'arn:x'\"}");
	assert_string_equal(st.code, "StateMachineDoesNotExist");
	assert_int_equal(st.kind, SD_AWS_NOT_FOUND);
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "{\"__type\":"
	    "\"com.amazonaws.swf.service.v2.model#ConflictException\"}");
	assert_int_equal(st.kind, SD_AWS_CONFLICT);
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "{\"__type\":"
	    "\"com.amazonaws.swf.service.v2.model#InvalidDefinition\","
	    "\"message\":\"Invalid State Machine Definition\"}");
	assert_string_equal(st.code, "InvalidDefinition");
	assert_int_equal(st.kind, SD_AWS_CLIENT);

	/* Lambda: the code is in the header (with a URL after ':'). */
	st = parse(SD_POLICY_SVC_LAMBDA, 404, "ResourceNotFoundException:"
	    "http://internal.amazon.com/coral/com.amazonaws.awslambda.v20150331/",
	    "{\"Type\":\"User\",\"Message\":\"Function not found: arn:x\"}");
	assert_string_equal(st.code, "ResourceNotFoundException");
	assert_string_equal(st.message, "Function not found: arn:x");
	assert_int_equal(st.kind, SD_AWS_NOT_FOUND);
	st = parse(SD_POLICY_SVC_LAMBDA, 429, "TooManyRequestsException",
	    "{\"Type\":\"User\",\"Message\":\"Rate exceeded\",\"Reason\":"
	    "\"CallerRateLimitExceeded\"}");
	assert_int_equal(st.kind, SD_AWS_THROTTLED);
	st = parse(SD_POLICY_SVC_LAMBDA, 412, "PreconditionFailedException",
	    "{\"Type\":\"User\",\"Message\":\"The Revision Id provided does "
	    "not match\"}");
	assert_int_equal(st.kind, SD_AWS_PRECONDITION);
	st = parse(SD_POLICY_SVC_LAMBDA, 409, "ResourceConflictException",
	    "{\"Type\":\"User\",\"message\":\"An update is in progress\"}");
	assert_int_equal(st.kind, SD_AWS_CONFLICT);
	assert_string_equal(st.message, "An update is in progress");
	/* Without the header: "code", then "Type" as a last resort. */
	st = parse(SD_POLICY_SVC_LAMBDA, 400, NULL,
	    "{\"code\":\"InvalidParameterValueException\",\"message\":\"m\"}");
	assert_string_equal(st.code, "InvalidParameterValueException");
	st = parse(SD_POLICY_SVC_LAMBDA, 500, NULL,
	    "{\"Type\":\"Service\",\"Message\":\"boom\"}");
	assert_string_equal(st.code, "Service");
	assert_int_equal(st.kind, SD_AWS_SERVER);
	/* Authentication errors (unprefixed __type). */
	st = parse(SD_POLICY_SVC_LAMBDA, 403, NULL, "{\"__type\":"
	    "\"InvalidSignatureException\",\"message\":\"The request "
	    "signature we calculated does not match\"}");
	assert_int_equal(st.kind, SD_AWS_DENIED);
	st = parse(SD_POLICY_SVC_STATES, 403, "UnrecognizedClientException",
	    "{}");
	assert_int_equal(st.kind, SD_AWS_DENIED);
	assert_string_equal(st.message, "");
}

static void
test_json_errors_broken(void **state)
{
	struct sd_aws_status st;

	(void)state;
	st = parse(SD_POLICY_SVC_LAMBDA, 502, NULL, "<html>gateway</html>");
	assert_string_equal(st.code, "BadGateway");
	assert_string_equal(st.message, "<html>gateway</html>");
	assert_int_equal(st.kind, SD_AWS_SERVER);
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "[\"__type\"]");
	assert_string_equal(st.code, "BadRequest");
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "{\"__type\":42}");
	assert_string_equal(st.code, "BadRequest");
	/* Duplicate keys: not trusted. */
	st = parse(SD_POLICY_SVC_STATES, 400, NULL, "{\"__type\":\"A\","
	    "\"__type\":\"B\"}");
	assert_string_equal(st.code, "BadRequest");
	/* Odd characters in a code are dropped; '#' and ':' rules. */
	st = parse(SD_POLICY_SVC_STATES, 400, " ns#Code Name:x#y ", "{}");
	assert_string_equal(st.code, "CodeName");
	st = parse(SD_POLICY_SVC_LAMBDA, 400, "", "{\"__type\":\"a#b#c\"}");
	assert_string_equal(st.code, "bc");
}

/* ------------------------------------------------------------ decisions */

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(sd_aws_classify(0, NULL), SD_AWS_TRANSPORT);
	assert_int_equal(sd_aws_classify(200, NULL), SD_AWS_OK);
	assert_int_equal(sd_aws_classify(204, "NoSuchKey"), SD_AWS_OK);
	assert_int_equal(sd_aws_classify(400, "ThrottlingException"),
	    SD_AWS_THROTTLED);
	assert_int_equal(sd_aws_classify(429, "Whatever"), SD_AWS_THROTTLED);
	assert_int_equal(sd_aws_classify(503, "SlowDown"), SD_AWS_THROTTLED);
	assert_int_equal(sd_aws_classify(409, "ConditionalRequestConflict"),
	    SD_AWS_THROTTLED);
	assert_int_equal(sd_aws_classify(500, "InternalError"),
	    SD_AWS_SERVER);
	assert_int_equal(sd_aws_classify(503, "ServiceUnavailable"),
	    SD_AWS_SERVER);
	assert_int_equal(sd_aws_classify(504, NULL), SD_AWS_SERVER);
	assert_int_equal(sd_aws_classify(501, "NotImplemented"),
	    SD_AWS_CLIENT);
	assert_int_equal(sd_aws_classify(404, NULL), SD_AWS_NOT_FOUND);
	assert_int_equal(sd_aws_classify(400, "StateMachineDoesNotExist"),
	    SD_AWS_NOT_FOUND);
	assert_int_equal(sd_aws_classify(412, NULL), SD_AWS_PRECONDITION);
	assert_int_equal(sd_aws_classify(409, NULL), SD_AWS_CONFLICT);
	assert_int_equal(sd_aws_classify(403, NULL), SD_AWS_DENIED);
	assert_int_equal(sd_aws_classify(400,
	    "AuthorizationHeaderMalformed"), SD_AWS_DENIED);
	assert_int_equal(sd_aws_classify(400, "RequestTimeTooSkewed"),
	    SD_AWS_DENIED);
	assert_int_equal(sd_aws_classify(400, "ValidationException"),
	    SD_AWS_CLIENT);
	assert_int_equal(sd_aws_classify(301, "PermanentRedirect"),
	    SD_AWS_CLIENT);
	assert_int_equal(sd_aws_kind_errcode(SD_AWS_NOT_FOUND),
	    SD_ERR_NOTFOUND);
	assert_int_equal(sd_aws_kind_errcode(SD_AWS_THROTTLED), SD_ERR_IO);
	assert_int_equal(sd_aws_kind_errcode(SD_AWS_PRECONDITION),
	    SD_ERR_INVALID);
	assert_string_equal(sd_aws_kind_name(SD_AWS_PRECONDITION),
	    "precondition failed");
}

static void
test_retryable(void **state)
{
	(void)state;
	/* Throttling: never applied, always retried. */
	assert_true(sd_aws_retryable(SD_AWS_THROTTLED, 0, 1, SD_AWS_UNSAFE));
	assert_false(sd_aws_maybe_applied(SD_AWS_THROTTLED, 0, 1));
	/* 5xx: maybe applied; not for unsafe calls. */
	assert_true(sd_aws_retryable(SD_AWS_SERVER, 0, 1, SD_AWS_IDEMPOTENT));
	assert_true(sd_aws_retryable(SD_AWS_SERVER, 0, 1,
	    SD_AWS_CONDITIONAL));
	assert_false(sd_aws_retryable(SD_AWS_SERVER, 0, 1, SD_AWS_UNSAFE));
	assert_true(sd_aws_maybe_applied(SD_AWS_SERVER, 0, 1));
	/* Transport: transient errors retried; a connection never made is
	 * safe even for unsafe calls. */
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT, CURLE_RECV_ERROR, 1,
	    SD_AWS_IDEMPOTENT));
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT, CURLE_PARTIAL_FILE, 1,
	    SD_AWS_CONDITIONAL));
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT, CURLE_GOT_NOTHING, 1,
	    SD_AWS_IDEMPOTENT));
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT,
	    CURLE_OPERATION_TIMEDOUT, 1, SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_TRANSPORT, CURLE_RECV_ERROR, 1,
	    SD_AWS_UNSAFE));
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT, CURLE_COULDNT_CONNECT,
	    1, SD_AWS_UNSAFE));
	assert_true(sd_aws_retryable(SD_AWS_TRANSPORT,
	    CURLE_OPERATION_TIMEDOUT, 0, SD_AWS_UNSAFE));
	assert_true(sd_aws_maybe_applied(SD_AWS_TRANSPORT, CURLE_RECV_ERROR,
	    1));
	assert_false(sd_aws_maybe_applied(SD_AWS_TRANSPORT, CURLE_RECV_ERROR,
	    0));
	assert_false(sd_aws_maybe_applied(SD_AWS_TRANSPORT,
	    CURLE_COULDNT_CONNECT, 1));
	/* TLS verification and the like: ours to fix. */
	assert_false(sd_aws_retryable(SD_AWS_TRANSPORT,
	    CURLE_PEER_FAILED_VERIFICATION, 1, SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_TRANSPORT,
	    CURLE_UNSUPPORTED_PROTOCOL, 0, SD_AWS_IDEMPOTENT));
	/* Answers that won't change. */
	assert_false(sd_aws_retryable(SD_AWS_DENIED, 0, 1, SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_PRECONDITION, 0, 1,
	    SD_AWS_CONDITIONAL));
	assert_false(sd_aws_retryable(SD_AWS_NOT_FOUND, 0, 1,
	    SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_CONFLICT, 0, 1,
	    SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_CLIENT, 0, 1, SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_SIGNER, 0, 0, SD_AWS_IDEMPOTENT));
	assert_false(sd_aws_retryable(SD_AWS_LOCAL, 0, 0, SD_AWS_IDEMPOTENT));
}

static void
test_backoff(void **state)
{
	struct sd_aws_retry r = { 10, 100, 1000 };
	struct sd_aws_retry zero = { 3, 0, 0 };
	unsigned n;
	uint32_t d;

	(void)state;
	/* Lowest and highest jitter at each step: [c/2, c]. */
	assert_int_equal(sd_aws_backoff_ms(&r, 1, 0, 0), 50);
	assert_int_equal(sd_aws_backoff_ms(&r, 1, UINT32_MAX, 0), 50 +
	    UINT32_MAX % 51);
	assert_int_equal(sd_aws_backoff_ms(&r, 1, 50, 0), 100);
	assert_int_equal(sd_aws_backoff_ms(&r, 2, 0, 0), 100);
	assert_int_equal(sd_aws_backoff_ms(&r, 2, 100, 0), 200);
	assert_int_equal(sd_aws_backoff_ms(&r, 3, 200, 0), 400);
	assert_int_equal(sd_aws_backoff_ms(&r, 4, 400, 0), 800);
	/* Capped from there on, even for absurd retry numbers. */
	assert_int_equal(sd_aws_backoff_ms(&r, 5, 500, 0), 1000);
	assert_int_equal(sd_aws_backoff_ms(&r, 5, 0, 0), 500);
	assert_int_equal(sd_aws_backoff_ms(&r, 1000000, 500, 0), 1000);
	for (n = 1; n < 100; n++) {
		d = sd_aws_backoff_ms(&r, n, (uint32_t)n * 2654435761u, 0);
		assert_true(d >= 50 && d <= 1000);
	}
	/* Retry-After is honoured, up to the cap. */
	assert_int_equal(sd_aws_backoff_ms(&r, 1, 0, 700), 700);
	assert_int_equal(sd_aws_backoff_ms(&r, 1, 0, 5000), 1000);
	assert_int_equal(sd_aws_backoff_ms(&r, 4, 400, 10), 800);
	assert_int_equal(sd_aws_backoff_ms(&zero, 3, 12345, 1000), 0);
	assert_int_equal(sd_aws_backoff_ms(NULL, 1, 0, 0), 0);
}

/* ------------------------------------------------------------ endpoints */

static void
ep_ok(const char *url, const char *base, const char *host, int https,
    int loopback)
{
	struct sd_aws_endpoint ep;
	struct sd_error err = SD_ERROR_INIT;

	if (sd_aws_endpoint_parse(url, &ep, &err) != 0)
		fail_msg("%s: %s", url, sd_error_text(&err));
	assert_string_equal(ep.base, base);
	assert_string_equal(ep.host, host);
	assert_int_equal(ep.https, https);
	assert_int_equal(ep.loopback, loopback);
	sd_error_clear(&err);
}

static void
ep_bad(const char *url, const char *why)
{
	struct sd_aws_endpoint ep;
	struct sd_error err = SD_ERROR_INIT;

	if (sd_aws_endpoint_parse(url, &ep, &err) != SD_ERR_INVALID)
		fail_msg("%s: accepted", url);
	if (strstr(sd_error_text(&err), why) == NULL)
		fail_msg("%s: \"%s\" lacks \"%s\"", url, sd_error_text(&err),
		    why);
	assert_string_equal(ep.base, "");
	sd_error_clear(&err);
}

static void
test_endpoints(void **state)
{
	(void)state;
	ep_ok("https://s3.us-east-1.amazonaws.com",
	    "https://s3.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com",
	    1, 0);
	ep_ok("https://Lambda.US-EAST-1.amazonaws.com:443/",
	    "https://lambda.us-east-1.amazonaws.com",
	    "lambda.us-east-1.amazonaws.com", 1, 0);
	ep_ok("https://vpce.example:8443", "https://vpce.example:8443",
	    "vpce.example:8443", 1, 0);
	ep_ok("http://127.0.0.1:4566", "http://127.0.0.1:4566",
	    "127.0.0.1:4566", 0, 1);
	ep_ok("http://127.9.8.7:1/", "http://127.9.8.7:1", "127.9.8.7:1", 0, 1);
	ep_ok("http://[::1]:4567", "http://[::1]:4567", "[::1]:4567", 0, 1);
	ep_ok("http://localhost:80", "http://localhost", "localhost", 0, 1);
	ep_ok("https://127.0.0.1", "https://127.0.0.1", "127.0.0.1", 1, 1);

	ep_bad("http://s3.us-east-1.amazonaws.com", "plain http is allowed "
	    "only to a loopback host");
	ep_bad("http://10.0.0.1:4566", "only to a loopback host");
	ep_bad("http://128.0.0.1", "only to a loopback host");
	ep_bad("http://127.0.0.1.evil.example", "only to a loopback host");
	ep_bad("http://[::2]:1", "only to a loopback host");
	ep_bad("http://[::ffff:127.0.0.1]:1", "only to a loopback host");
	ep_bad("ftp://127.0.0.1", "the scheme must be https");
	ep_bad("https://s3.amazonaws.com/bucket", "no path");
	ep_bad("https://s3.amazonaws.com?x=1", "no path, query");
	ep_bad("https://s3.amazonaws.com#f", "no path, query or fragment");
	ep_bad("https://user:pw@s3.amazonaws.com", "user information");
	ep_bad("http://user@127.0.0.1", "user information");
	ep_bad("https://s3 .amazonaws.com", "space");
	ep_bad("s3.amazonaws.com", "not a URL");
	ep_bad("", "no URL");
	ep_bad(NULL, "no URL");
}

static void
test_urls(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	const char *presigned = "https://awslambda-us-east-1-tasks.s3.us-east-1"
	    ".amazonaws.com/snapshots/000000000000/acme-hello-abc?versionId=x&"
	    "X-Amz-Security-Token=T&X-Amz-Signature=abc";
	const char *standin = "http://127.0.0.1:4567/_standin/code/acme-hello/"
	    "ab.zip?expires=1&token=t";

	(void)state;
	assert_int_equal(sd_aws_url_allowed(presigned, 0, &err), 0);
	assert_int_equal(sd_aws_url_allowed(standin, 1, &err), 0);
	assert_int_equal(sd_aws_url_allowed(standin, 0, &err), SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "no http loopback "
	    "endpoint"));
	assert_int_equal(sd_aws_url_allowed("http://example.com/x", 1, &err),
	    SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "only https"));
	assert_int_equal(sd_aws_url_allowed("file:///etc/passwd", 1, &err),
	    SD_ERR_INVALID);
	assert_int_equal(sd_aws_url_allowed("https://u:p@h.example/x", 1,
	    &err), SD_ERR_INVALID);
	sd_error_clear(&err);

	assert_true(sd_aws_host_is_loopback("127.0.0.1"));
	assert_true(sd_aws_host_is_loopback("127.255.255.254"));
	assert_true(sd_aws_host_is_loopback("[::1]"));
	assert_true(sd_aws_host_is_loopback("[0:0:0:0:0:0:0:1]"));
	assert_true(sd_aws_host_is_loopback("LOCALHOST"));
	assert_false(sd_aws_host_is_loopback("126.0.0.1"));
	assert_false(sd_aws_host_is_loopback("127.0.0"));
	assert_false(sd_aws_host_is_loopback("::1"));
	assert_false(sd_aws_host_is_loopback("localhost.example"));
	assert_false(sd_aws_host_is_loopback(NULL));
}

static int
no_sign(void *ctx, const struct sd_sigv4_request *req, const char *region,
    json_t **headers, struct sd_error *err)
{
	(void)ctx;
	(void)req;
	(void)region;
	*headers = NULL;
	return sd_error_set(err, SD_ERR_INVALID, NULL, "no");
}

static void
test_client_options(void **state)
{
	struct sd_aws_config cfg;
	struct sd_aws *c = NULL;
	struct sd_error err = SD_ERROR_INIT;

	(void)state;
	sd_aws_config_init(&cfg);
	cfg.region = "us-east-1";
	assert_int_equal(sd_aws_new(&cfg, &c, &err), SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "signing callback"));
	cfg.sign = no_sign;
	cfg.region = "us-east-1; rm -rf /";
	assert_int_equal(sd_aws_new(&cfg, &c, &err), SD_ERR_INVALID);
	cfg.region = "us-east-1";
	cfg.retry.max_attempts = 0;
	assert_int_equal(sd_aws_new(&cfg, &c, &err), SD_ERR_INVALID);
	cfg.retry.max_attempts = 3;
	cfg.endpoint[SD_POLICY_SVC_LAMBDA] = "http://lambda.example.com";
	assert_int_equal(sd_aws_new(&cfg, &c, &err), SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "Lambda: endpoint"));
	assert_null(c);

	/* AWS's endpoints by default; explicit ones win. */
	cfg.endpoint[SD_POLICY_SVC_LAMBDA] = "http://127.0.0.1:4567/";
	cfg.region = "cn-north-1";
	assert_int_equal(sd_aws_new(&cfg, &c, &err), 0);
	assert_string_equal(sd_aws_endpoint(c, SD_POLICY_SVC_S3),
	    "https://s3.cn-north-1.amazonaws.com.cn");
	assert_string_equal(sd_aws_endpoint(c, SD_POLICY_SVC_LAMBDA),
	    "http://127.0.0.1:4567");
	assert_string_equal(sd_aws_endpoint(c, SD_POLICY_SVC_STATES),
	    "https://states.cn-north-1.amazonaws.com.cn");
	assert_string_equal(sd_aws_region(c), "cn-north-1");
	sd_aws_free(c);
	sd_aws_free(NULL);
	sd_error_clear(&err);
}

static void
test_signer_refusal_not_sent(void **state)
{
	struct sd_aws_config cfg;
	struct sd_aws *c = NULL;
	struct sd_aws_status st;
	struct sd_aws_s3_object o;
	struct sd_error err = SD_ERROR_INIT;
	json_t *tags = NULL;

	(void)state;
	sd_aws_config_init(&cfg);
	cfg.region = "us-east-1";
	cfg.sign = no_sign;
	/* Port 9 on loopback: nothing is sent anyway, the signer said no. */
	cfg.endpoint[SD_POLICY_SVC_S3] = "http://127.0.0.1:9";
	assert_int_equal(sd_aws_new(&cfg, &c, &err), 0);
	assert_int_equal(sd_aws_s3_get_object(c, "acme-stepdeploy", "a/b/c",
	    NULL, 0, &o, &st, &err), SD_ERR_INVALID);
	assert_int_equal(st.kind, SD_AWS_SIGNER);
	assert_int_equal(st.attempts, 0);
	assert_string_equal(sd_error_text(&err), "S3 GetObject "
	    "s3://acme-stepdeploy/a/b/c: not signed: no");
	/* Bad arguments never reach the signer either. */
	assert_int_equal(sd_aws_s3_get_object(c, "Bad_Bucket", "k", NULL, 0,
	    &o, &st, &err), SD_ERR_INVALID);
	assert_int_equal(st.kind, SD_AWS_LOCAL);
	assert_non_null(strstr(sd_error_text(&err), "not a bucket name"));
	assert_int_equal(sd_aws_lambda_list_tags(c, "acme-hello", &tags, &st,
	    &err), SD_ERR_INVALID);
	assert_null(tags);
	assert_non_null(strstr(sd_error_text(&err), "full ARN"));
	sd_aws_free(c);
	sd_error_clear(&err);
}

/* ------------------------------------------------------------ lock bodies */

static void
test_lock_bodies(void **state)
{
	struct sd_lock_info info;
	struct sd_error err = SD_ERROR_INIT;
	char *b, holder[SD_LOCK_HOLDER_MAX];

	(void)state;
	b = sd_lock_body("r-1", "host:1:ab", 1764072000, 1764072900);
	assert_non_null(b);
	assert_string_equal(b, "{\"release_id\":\"r-1\",\"holder\":"
	    "\"host:1:ab\",\"acquired_at\":\"2025-11-25T12:00:00Z\","
	    "\"expires_at\":\"2025-11-25T12:15:00Z\"}");
	assert_int_equal(sd_lock_parse(b, strlen(b), &info, &err), 0);
	assert_string_equal(info.release_id, "r-1");
	assert_string_equal(info.holder, "host:1:ab");
	assert_int_equal(info.acquired_at, 1764072000);
	assert_int_equal(info.expires_at, 1764072900);
	free(b);
	assert_int_equal(sd_lock_parse("{\"release_id\":\"r-1\"}", 19, &info,
	    &err), SD_ERR_PARSE);
	assert_int_equal(sd_lock_parse("{\"release_id\":\"../x\",\"holder\":"
	    "\"h\",\"acquired_at\":\"2025-11-25T12:00:00Z\",\"expires_at\":"
	    "\"2025-11-25T12:00:00Z\"}", 104, &info, &err), SD_ERR_PARSE);
	assert_int_equal(sd_lock_parse("nope", 4, &info, &err), SD_ERR_PARSE);

	assert_true(sd_lock_valid_release_id("r-2026-11-25-001"));
	assert_true(sd_lock_valid_release_id("A.b_c-9"));
	assert_false(sd_lock_valid_release_id(""));
	assert_false(sd_lock_valid_release_id(".."));
	assert_false(sd_lock_valid_release_id("a/b"));
	assert_false(sd_lock_valid_release_id(
	    "01234567890123456789012345678901234567890123456789012345678901234"));
	assert_int_equal(sd_lock_default_holder(holder, sizeof(holder)), 0);
	assert_non_null(strchr(holder, ':'));
	assert_int_equal(sd_lock_default_holder(holder, 4), SD_ERR_OVERFLOW);
	sd_error_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_error_xml),
		cmocka_unit_test(test_s3_error_no_body),
		cmocka_unit_test(test_s3_error_hostile),
		cmocka_unit_test(test_xml_text),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_json_errors_broken),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_retryable),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_client_options),
		cmocka_unit_test(test_signer_refusal_not_sent),
		cmocka_unit_test(test_lock_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
