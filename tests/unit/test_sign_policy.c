/*
 * test_sign_policy: the signer's request validator and policy decision:
 * every allowed action (project and resource), every refusal with its
 * exact reason, the validator's field checks, and the signing parameters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sd_json.h"
#include "sd_policy.h"
#include "sd_sign_policy.h"

#define NOW		1764072000	/* 2025-11-25T12:00:00Z */
#define EMPTY		"e3b0c44298fc1c149afbf4c8996fb924" \
			"27ae41e4649b934ca495991b7852b855"
#define HASH		"\"payload_sha256\":\"" EMPTY "\""
#define ZHASH		"\"payload_sha256\":" \
			"\"9f86d081884c7d659a2feaa0c55ad015" \
			"a3bf4f1b2b0b822cd15d6c15b0f00a08\""
#define S3		"s3.us-east-1.amazonaws.com"
#define LAMBDA		"lambda.us-east-1.amazonaws.com"
#define STATES		"states.us-east-1.amazonaws.com"
#define LFN		"arn:aws:lambda:us-east-1:000000000000:function:" \
			"acme-hello"
#define LFN_ENC		"arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3A" \
			"function%3Aacme-hello"
#define SM		"arn:aws:states:us-east-1:000000000000:stateMachine:" \
			"acme-hello"
#define JSON10		"[\"Content-Type\",\"application/x-amz-json-1.0\"]"
#define KEY		"acme/hello/production/r-1"

static const char policy_text[] =
    "{\"version\": 1, \"sockets\": {\"sign\": [1000]}, \"projects\": {"
    " \"acme/hello\": {\"submitters\": [], \"configs\": [\"production\","
    "  \"staging\"], \"accounts\": [\"000000000000\"], \"regions\":"
    "  [\"us-east-1\"], \"bucket\": \"acme-stepdeploy\", \"lambda_arns\": ["
    "  \"" LFN "\"], \"state_machine_arns\": [\"" SM "\"]},"
    " \"other/thing\": {\"submitters\": [], \"configs\": [\"prod\"],"
    "  \"accounts\": [\"111111111111\"], \"regions\": [\"eu-west-1\","
    "  \"us-east-1\"], \"bucket\": \"other.bucket\", \"lambda_arns\": ["
    "  \"arn:aws:lambda:eu-west-1:111111111111:function:other-*\"],"
    "  \"state_machine_arns\": ["
    "  \"arn:aws:states:eu-west-1:111111111111:stateMachine:other\"]},"
    " \"odd/lists\": {\"submitters\": [], \"configs\": [\"prod\"],"
    "  \"accounts\": [\"333333333333\"], \"regions\": [\"us-west-2\"],"
    "  \"bucket\": \"odd-bucket\", \"lambda_arns\": ["
    "  \"arn:aws:lambda:us-east-1:222222222222:function:odd\","
    "  \"arn:aws:lambda:us-east-1:333333333333:function:odd\"],"
    "  \"state_machine_arns\": ["
    "  \"arn:aws:states:us-east-1:333333333333:stateMachine:odd\"]}"
    "}}";

static const char endpoint_policy_text[] =
    "{\"version\": 1, \"endpoints\": {\"s3\": \"http://localhost:4566\","
    " \"lambda\": \"http://127.0.0.1:4567\", \"states\":"
    " \"http://127.0.0.1:4568\"}, \"projects\": {"
    " \"acme/hello\": {\"submitters\": [], \"configs\": [\"production\"],"
    "  \"accounts\": [\"000000000000\"], \"regions\": [\"us-east-1\"],"
    "  \"bucket\": \"acme-stepdeploy\", \"lambda_arns\": [\"" LFN "\"],"
    "  \"state_machine_arns\": [\"" SM "\"]}}}";

static struct sd_policy *pol, *epol;

/* body() strings, freed by teardown. */
static char *bodies[256];
static size_t nbodies;

static int
setup(void **state)
{
	struct sd_error err = SD_ERROR_INIT;

	(void)state;
	if (sd_policy_load_buf(policy_text, strlen(policy_text), NULL, &pol,
	    &err) != 0 ||
	    sd_policy_load_buf(endpoint_policy_text,
	    strlen(endpoint_policy_text), NULL, &epol, &err) != 0) {
		fprintf(stderr, "policy: %s\n", sd_error_text(&err));
		sd_error_clear(&err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	sd_policy_free(pol);
	sd_policy_free(epol);
	while (nbodies > 0)
		free(bodies[--nbodies]);
	return 0;
}

/* A request: method, host, path, headers (JSON), payload member, extra. */
static char *
mk(const char *method, const char *host, const char *path,
    const char *headers, const char *payload, const char *extra)
{
	return sd_asprintf("{\"method\":\"%s\",\"host\":\"%s\",\"path\":\"%s\","
	    "\"headers\":%s,%s,\"region\":\"us-east-1\"%s}", method, host, path,
	    headers, payload, extra != NULL ? extra : "");
}

/* "body":"<base64 of s>" (kept until teardown) */
static char *
body(const char *s)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = calloc(1, n / 3 * 4 + 16);
	char *r;

	assert_non_null(out);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = ((unsigned char)s[i] << 16) |
		    ((unsigned char)s[i + 1] << 8) | (unsigned char)s[i + 2];

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned char)s[i] << 16;

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		unsigned v = ((unsigned char)s[i] << 16) |
		    ((unsigned char)s[i + 1] << 8);

		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = '=';
	}
	r = sd_asprintf("\"body\":\"%s\"", out);
	free(out);
	assert_non_null(r);
	assert_true(nbodies < sizeof(bodies) / sizeof(bodies[0]));
	bodies[nbodies++] = r;
	return r;
}

/* Parse and decide; text is freed. err keeps the reason. */
static int
decide(const struct sd_policy *p, char *text, struct sd_sign_decision *d,
    struct sd_error *err)
{
	struct sd_sign_req *r = NULL;
	json_t *v;
	int rc;

	assert_non_null(text);
	memset(d, 0, sizeof(*d));
	v = sd_json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, "req",
	    err);
	free(text);
	if (v == NULL)
		return SD_ERR_PARSE;
	rc = sd_sign_req_parse(v, NOW, &r, err);
	json_decref(v);
	if (rc == 0)
		rc = sd_sign_policy_check(p, r, d, err);
	sd_sign_req_free(r);
	return rc;
}

static void
allow_in(const struct sd_policy *p, char *text, enum sd_sign_action action,
    const char *project, const char *resource)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sign_decision d;
	int rc = decide(p, text, &d, &err);

	if (rc != 0)
		fail_msg("refused: %s", sd_error_text(&err));
	assert_int_equal(d.action, action);
	assert_string_equal(d.project, project);
	assert_string_equal(d.resource, resource);
	sd_error_clear(&err);
}

static void
allow(char *text, enum sd_sign_action action, const char *project,
    const char *resource)
{
	allow_in(pol, text, action, project, resource);
}

/* Refused with exactly "LOCATION: MESSAGE". */
static void
refuse_in(const struct sd_policy *p, char *text, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sign_decision d;
	int rc = decide(p, text, &d, &err);

	if (rc == 0)
		fail_msg("allowed (%s %s), want: %s",
		    sd_sign_action_name(d.action), d.resource, want);
	assert_string_equal(sd_error_text(&err), want);
	assert_string_equal(d.project, "");
	sd_error_clear(&err);
}

static void
refuse(char *text, const char *want)
{
	refuse_in(pol, text, want);
}

/* ------------------------------------------------------------ S3 */

static void
test_s3_allowed(void **state)
{
	(void)state;
	allow(mk("PUT", S3, "/acme-stepdeploy/" KEY "/lambda.zip",
	    "[[\"Content-Type\",\"application/zip\"],"
	    "[\"If-None-Match\",\"*\"]]",
	    ZHASH, NULL), SD_SIGN_S3_PUT_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/" KEY "/lambda.zip");
	allow(mk("PUT", S3, "/acme-stepdeploy/acme/hello/staging/lock", "[]",
	    body("{\"release\":\"r-1\"}"), NULL), SD_SIGN_S3_PUT_OBJECT,
	    "acme/hello", "s3://acme-stepdeploy/acme/hello/staging/lock");
	allow(mk("GET", S3, "/acme-stepdeploy/" KEY "/release.json", "[]",
	    HASH, NULL), SD_SIGN_S3_GET_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/" KEY "/release.json");
	allow(mk("HEAD", S3, "/acme-stepdeploy/" KEY "/x", "[]", HASH, NULL),
	    SD_SIGN_S3_HEAD_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/" KEY "/x");
	allow(mk("DELETE", S3, "/acme-stepdeploy/acme/hello/production/lock",
	    "[[\"If-Match\",\"\\\"e\\\"\"]]", HASH, NULL),
	    SD_SIGN_S3_DELETE_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/acme/hello/production/lock");
	/* Virtual-hosted style; a bucket with dots. */
	allow(mk("GET", "acme-stepdeploy." S3, "/" KEY "/release.json", "[]",
	    HASH, NULL), SD_SIGN_S3_GET_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/" KEY "/release.json");
	allow(mk("PUT", "other.bucket." S3, "/other/thing/prod/r/x", "[]",
	    ZHASH, NULL), SD_SIGN_S3_PUT_OBJECT, "other/thing",
	    "s3://other.bucket/other/thing/prod/r/x");
	/* Percent-encoded keys are decoded before the check. */
	allow(mk("GET", S3, "/acme-stepdeploy/acme%2Fhello/production/r%2D1",
	    "[]", HASH, NULL), SD_SIGN_S3_GET_OBJECT, "acme/hello",
	    "s3://acme-stepdeploy/acme/hello/production/r-1");
	/* The policy's endpoint, path style and virtual-hosted. */
	allow_in(epol, mk("PUT", "localhost:4566",
	    "/acme-stepdeploy/" KEY "/x", "[]", ZHASH, NULL),
	    SD_SIGN_S3_PUT_OBJECT, "acme/hello", "s3://acme-stepdeploy/" KEY
	    "/x");
	allow_in(epol, mk("PUT", "acme-stepdeploy.localhost:4566",
	    "/" KEY "/x", "[]", ZHASH, NULL), SD_SIGN_S3_PUT_OBJECT,
	    "acme/hello", "s3://acme-stepdeploy/" KEY "/x");
}

static void
test_s3_refused(void **state)
{
	(void)state;
	refuse(mk("POST", S3, "/acme-stepdeploy/" KEY "/x", "[]", ZHASH, NULL),
	    "policy: S3: method POST is not allowed (GET, HEAD, PUT or DELETE "
	    "of an object)");
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/x", "[]", HASH,
	    ",\"query\":\"acl\""),
	    "policy: S3: a query string is not allowed (object requests "
	    "only)");
	refuse(mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"x-amz-acl\",\"public-read\"]]", ZHASH, NULL),
	    "policy: S3: header x-amz-acl is not allowed");
	refuse(mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"X-Amz-Grant-Read\",\"id=1\"]]", ZHASH, NULL),
	    "policy: S3: header X-Amz-Grant-Read is not allowed");
	refuse(mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"x-amz-copy-source\",\"/secrets/key\"]]", ZHASH, NULL),
	    "policy: S3: header x-amz-copy-source is not allowed");
	refuse(mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"x-amz-object-lock-mode\",\"COMPLIANCE\"]]", ZHASH, NULL),
	    "policy: S3: header x-amz-object-lock-mode is not allowed");
	refuse(mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"X-Amz-Target\",\"x\"]]", ZHASH, NULL),
	    "policy: S3: header X-Amz-Target is not allowed");
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/x", "[]", ZHASH, NULL),
	    "policy: S3: a GET request carries no body");
	refuse(mk("DELETE", S3, "/acme-stepdeploy/" KEY "/x", "[]",
	    body("x"), NULL), "policy: S3: a DELETE request carries no body");
	refuse(mk("GET", S3, "/acme-stepdeploy", "[]", HASH, NULL),
	    "policy: S3: only object requests are allowed (the path names no "
	    "object key)");
	refuse(mk("GET", S3, "/acme-stepdeploy/", "[]", HASH, NULL),
	    "policy: S3: only object requests are allowed (the path names no "
	    "object key)");
	refuse(mk("GET", "acme-stepdeploy." S3, "/", "[]", HASH, NULL),
	    "policy: S3: only object requests are allowed (the path names no "
	    "object key)");
	refuse(mk("GET", S3, "/Bad_Bucket/x", "[]", HASH, NULL),
	    "policy: S3: the path does not start with a bucket name "
	    "(path-style /BUCKET/KEY)");
#define BADKEY	"policy: S3: the object key must be 1-1024 of " \
	"[A-Za-z0-9._/-] (percent-encoded or not) without empty, \".\" or " \
	"\"..\" segments"
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/../../../x", "[]", HASH,
	    NULL), BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/./x", "[]", HASH, NULL),
	    BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "//x", "[]", HASH, NULL),
	    BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/%2E%2E/x", "[]", HASH,
	    NULL), BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/a%20b", "[]", HASH,
	    NULL), BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/a%00b", "[]", HASH,
	    NULL), BADKEY);
	refuse(mk("GET", S3, "/acme-stepdeploy/" KEY "/a+b", "[]", HASH, NULL),
	    BADKEY);
	refuse(mk("PUT", S3, "/evil-bucket/" KEY "/x", "[]", ZHASH, NULL),
	    "policy: S3: bucket evil-bucket is not the bucket of any project");
	refuse(mk("PUT", S3, "/acme-stepdeploy/acme/hello/test/x", "[]",
	    ZHASH, NULL), "policy: S3: key acme/hello/test/x is not under "
	    "PROJECT/CONFIG/ of a project that uses bucket acme-stepdeploy");
	refuse(mk("PUT", S3, "/acme-stepdeploy/acme/hello/production", "[]",
	    ZHASH, NULL), "policy: S3: key acme/hello/production is not under "
	    "PROJECT/CONFIG/ of a project that uses bucket acme-stepdeploy");
	refuse(mk("PUT", S3, "/acme-stepdeploy/other/thing/prod/x", "[]",
	    ZHASH, NULL), "policy: S3: key other/thing/prod/x is not under "
	    "PROJECT/CONFIG/ of a project that uses bucket acme-stepdeploy");
	refuse(mk("PUT", S3, "/acme-stepdeploy/acme/hellox/production/x", "[]",
	    ZHASH, NULL), "policy: S3: key acme/hellox/production/x is not "
	    "under PROJECT/CONFIG/ of a project that uses bucket "
	    "acme-stepdeploy");
	refuse(sd_asprintf("{\"method\":\"GET\",\"host\":\"s3.us-west-2."
	    "amazonaws.com\",\"path\":\"/odd-bucket/odd/lists/prod/x\","
	    "\"headers\":[]," HASH ",\"region\":\"us-east-1\"}"),
	    "policy: host s3.us-west-2.amazonaws.com is not an S3, Lambda or "
	    "Step Functions endpoint for region us-east-1");
	refuse(mk("GET", S3, "/odd-bucket/odd/lists/prod/x", "[]", HASH, NULL),
	    "policy: S3: region us-east-1 is not one of project odd/lists's "
	    "regions");
	/* The global endpoint and other services are not ours. */
	refuse(mk("GET", "s3.amazonaws.com", "/acme-stepdeploy/" KEY "/x",
	    "[]", HASH, NULL), "policy: host s3.amazonaws.com is not an S3, "
	    "Lambda or Step Functions endpoint for region us-east-1");
	refuse(mk("GET", "acme-stepdeploy.s3.amazonaws.com", "/" KEY "/x",
	    "[]", HASH, NULL), "policy: host acme-stepdeploy.s3.amazonaws.com "
	    "is not an S3, Lambda or Step Functions endpoint for region "
	    "us-east-1");
	refuse(mk("GET", "sts.amazonaws.com", "/", "[]", HASH, NULL),
	    "policy: host sts.amazonaws.com is not an S3, Lambda or Step "
	    "Functions endpoint for region us-east-1");
	/* With endpoints configured, AWS's own hosts are not the endpoint. */
	refuse_in(epol, mk("PUT", S3, "/acme-stepdeploy/" KEY "/x", "[]",
	    ZHASH, NULL), "policy: host " S3 " is not an S3, Lambda or Step "
	    "Functions endpoint for region us-east-1");
	refuse_in(epol, mk("PUT", "localhost:4567",
	    "/acme-stepdeploy/" KEY "/x", "[]", ZHASH, NULL),
	    "policy: host localhost:4567 is not an S3, Lambda or Step "
	    "Functions endpoint for region us-east-1");
}

/* ------------------------------------------------------------ Lambda */

static void
test_lambda_allowed(void **state)
{
	(void)state;
	allow(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]", HASH,
	    NULL), SD_SIGN_LAMBDA_GET_FUNCTION, "acme/hello", LFN);
	allow(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN, "[]", HASH,
	    ",\"query\":\"Qualifier=%24LATEST\""),
	    SD_SIGN_LAMBDA_GET_FUNCTION, "acme/hello", LFN);
	allow(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC
	    "/configuration", "[]", HASH, ",\"query\":\"Qualifier=prod\""),
	    SD_SIGN_LAMBDA_GET_FUNCTION_CONFIGURATION, "acme/hello", LFN);
	allow(mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/code",
	    "[[\"Content-Type\",\"application/json\"]]",
	    body("{\"S3Bucket\":\"acme-stepdeploy\",\"S3Key\":\"" KEY
	    "/lambda.zip\",\"S3ObjectVersion\":\"v1\",\"Publish\":true,"
	    "\"DryRun\":false,\"RevisionId\":\"r\"}"), NULL),
	    SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE, "acme/hello", LFN);
	allow(mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/code",
	    "[]", body("{\"ZipFile\":\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"}"),
	    NULL), SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE, "acme/hello", LFN);
	allow(mk("POST", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/versions",
	    "[]", body("{\"CodeSha256\":\"x\"}"), NULL),
	    SD_SIGN_LAMBDA_PUBLISH_VERSION, "acme/hello", LFN);
	allow(mk("POST", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/versions",
	    "[]", ZHASH, NULL), SD_SIGN_LAMBDA_PUBLISH_VERSION, "acme/hello",
	    LFN);
	allow(mk("GET", LAMBDA, "/2017-03-31/tags/" LFN_ENC, "[]", HASH, NULL),
	    SD_SIGN_LAMBDA_LIST_TAGS, "acme/hello", LFN);
	/* A pattern with '*', in another region: the other project. */
	allow(sd_asprintf("{\"method\":\"GET\",\"host\":\"lambda.eu-west-1."
	    "amazonaws.com\",\"path\":\"/2015-03-31/functions/arn:aws:lambda:"
	    "eu-west-1:111111111111:function:other-blue\",\"headers\":[],"
	    HASH ",\"region\":\"eu-west-1\"}"), SD_SIGN_LAMBDA_GET_FUNCTION,
	    "other/thing", "arn:aws:lambda:eu-west-1:111111111111:function:"
	    "other-blue");
	allow_in(epol, mk("GET", "127.0.0.1:4567", "/2015-03-31/functions/"
	    LFN_ENC, "[]", HASH, NULL), SD_SIGN_LAMBDA_GET_FUNCTION,
	    "acme/hello", LFN);
}

static void
test_lambda_refused(void **state)
{
#define NOT_ACTION(m, p) "policy: Lambda: " m " " p " is not an action the " \
	"deployer may use (GetFunction, GetFunctionConfiguration, " \
	"UpdateFunctionCode, PublishVersion, ListTags)"
	(void)state;
	refuse(mk("DELETE", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]",
	    HASH, NULL), NOT_ACTION("DELETE", "/2015-03-31/functions/"
	    LFN_ENC));
	refuse(mk("POST", LAMBDA, "/2015-03-31/functions/" LFN_ENC
	    "/invocations", "[]", body("{}"), NULL), NOT_ACTION("POST",
	    "/2015-03-31/functions/" LFN_ENC "/invocations"));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/versions",
	    "[]", HASH, NULL), NOT_ACTION("GET", "/2015-03-31/functions/"
	    LFN_ENC "/versions"));
	refuse(mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC
	    "/configuration", "[]", body("{}"), NULL), NOT_ACTION("PUT",
	    "/2015-03-31/functions/" LFN_ENC "/configuration"));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions", "[]", HASH, NULL),
	    NOT_ACTION("GET", "/2015-03-31/functions"));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/", "[]", HASH, NULL),
	    NOT_ACTION("GET", "/2015-03-31/functions/"));
	refuse(mk("GET", LAMBDA, "/2015-03-31//functions/" LFN_ENC, "[]",
	    HASH, NULL), NOT_ACTION("GET", "/2015-03-31//functions/"
	    LFN_ENC));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/x/../" LFN_ENC, "[]",
	    HASH, NULL), NOT_ACTION("GET", "/2015-03-31/functions/x/../"
	    LFN_ENC));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/", "[]",
	    HASH, NULL), NOT_ACTION("GET", "/2015-03-31/functions/" LFN_ENC
	    "/"));
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/a%2Fb", "[]", HASH,
	    NULL), NOT_ACTION("GET", "/2015-03-31/functions/a%2Fb"));
	refuse(mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/code",
	    "[[\"X-Amz-Target\",\"x\"]]", body("{}"), NULL),
	    "policy: Lambda: header X-Amz-Target is not allowed");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/acme-hello", "[]",
	    HASH, NULL), "policy: Lambda: name the function by its full ARN, "
	    "not \"acme-hello\" (the signer must know its account and "
	    "region)");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN ":prod", "[]",
	    HASH, NULL), "policy: Lambda: \"" LFN ":prod\" is not an "
	    "unqualified function ARN");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws-cn:lambda:"
	    "us-east-1:000000000000:function:acme-hello", "[]", HASH, NULL),
	    "policy: Lambda: \"arn:aws-cn:lambda:us-east-1:000000000000:"
	    "function:acme-hello\" is not an unqualified function ARN");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:states:"
	    "us-east-1:000000000000:function:acme-hello", "[]", HASH, NULL),
	    "policy: Lambda: \"arn:aws:states:us-east-1:000000000000:"
	    "function:acme-hello\" is not an unqualified function ARN");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:00000000000:function:acme-hello", "[]", HASH, NULL),
	    "policy: Lambda: \"arn:aws:lambda:us-east-1:00000000000:"
	    "function:acme-hello\" is not an unqualified function ARN");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "eu-west-1:111111111111:function:other-x", "[]", HASH, NULL),
	    "policy: Lambda: the function's region eu-west-1 is not the "
	    "request's region us-east-1");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:000000000000:function:evil", "[]", HASH, NULL),
	    "policy: Lambda: no project may change function arn:aws:lambda:"
	    "us-east-1:000000000000:function:evil");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:000000000000:function:acme-hello2", "[]", HASH, NULL),
	    "policy: Lambda: no project may change function arn:aws:lambda:"
	    "us-east-1:000000000000:function:acme-hello2");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:222222222222:function:odd", "[]", HASH, NULL),
	    "policy: Lambda: account 222222222222 is not one of project "
	    "odd/lists's accounts");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:333333333333:function:odd", "[]", HASH, NULL),
	    "policy: Lambda: region us-east-1 is not one of project "
	    "odd/lists's regions");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]", HASH,
	    ",\"query\":\"Qualifier=a%20b\""),
	    "policy: Lambda: the only query allowed is "
	    "Qualifier=VERSION_OR_ALIAS");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]", HASH,
	    ",\"query\":\"Qualifier=1&x=2\""),
	    "policy: Lambda: the only query allowed is "
	    "Qualifier=VERSION_OR_ALIAS");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]", HASH,
	    ",\"query\":\"Qualifier=\""),
	    "policy: Lambda: the only query allowed is "
	    "Qualifier=VERSION_OR_ALIAS");
	refuse(mk("GET", LAMBDA, "/2017-03-31/tags/" LFN_ENC, "[]", HASH,
	    ",\"query\":\"Qualifier=1\""),
	    "policy: Lambda: ListTags takes no query string");
	refuse(mk("POST", LAMBDA, "/2015-03-31/functions/" LFN_ENC
	    "/versions", "[]", ZHASH, ",\"query\":\"x=1\""),
	    "policy: Lambda: PublishVersion takes no query string");
	refuse(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]",
	    ZHASH, NULL), "policy: Lambda: a GET request carries no body");
}

static void
test_lambda_code(void **state)
{
#define CODE(b)	mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/code", \
	"[]", body(b), NULL)
	(void)state;
	refuse(mk("PUT", LAMBDA, "/2015-03-31/functions/" LFN_ENC "/code",
	    "[]", ZHASH, NULL), "policy: Lambda: UpdateFunctionCode must send "
	    "its body, not its hash (the signer checks where the code comes "
	    "from)");
	refuse(CODE("not json"), "policy: Lambda: the UpdateFunctionCode body "
	    "is not a JSON object");
	refuse(CODE("[]"), "policy: Lambda: the UpdateFunctionCode body is "
	    "not a JSON object");
	refuse(CODE("{\"ZipFile\":\"a\",\"ZipFile\":\"b\"}"), "policy: "
	    "Lambda: the UpdateFunctionCode body is not a JSON object");
	refuse(CODE("{\"ImageUri\":\"x\"}"), "policy: Lambda: "
	    "UpdateFunctionCode field ImageUri is not allowed");
	refuse(CODE("{\"Architectures\":[\"arm64\"],\"ZipFile\":\"\"}"),
	    "policy: Lambda: UpdateFunctionCode field Architectures is not "
	    "allowed");
	refuse(CODE("{\"S3Bucket\":1,\"S3Key\":\"k\"}"), "policy: Lambda: "
	    "UpdateFunctionCode field S3Bucket must be a string");
	refuse(CODE("{\"ZipFile\":\"\",\"Publish\":\"yes\"}"), "policy: "
	    "Lambda: UpdateFunctionCode field Publish must be true or false");
	refuse(CODE("{}"), "policy: Lambda: UpdateFunctionCode needs either "
	    "ZipFile, or S3Bucket and S3Key");
	refuse(CODE("{\"S3Bucket\":\"acme-stepdeploy\"}"), "policy: Lambda: "
	    "UpdateFunctionCode needs either ZipFile, or S3Bucket and S3Key");
	refuse(CODE("{\"ZipFile\":\"\",\"S3Key\":\"k\"}"), "policy: Lambda: "
	    "UpdateFunctionCode needs either ZipFile, or S3Bucket and S3Key");
	refuse(CODE("{\"ZipFile\":\"\",\"S3ObjectVersion\":\"1\"}"),
	    "policy: Lambda: UpdateFunctionCode needs either ZipFile, or "
	    "S3Bucket and S3Key");
	refuse(CODE("{\"S3Bucket\":\"evil\",\"S3Key\":\"" KEY "/l.zip\"}"),
	    "policy: Lambda: UpdateFunctionCode must take the code from "
	    "project acme/hello's bucket acme-stepdeploy, not evil");
	refuse(CODE("{\"S3Bucket\":\"acme-stepdeploy\",\"S3Key\":"
	    "\"other/thing/prod/l.zip\"}"), "policy: Lambda: "
	    "UpdateFunctionCode: the code's key other/thing/prod/l.zip is not "
	    "under acme/hello/CONFIG/");
	refuse(CODE("{\"S3Bucket\":\"acme-stepdeploy\",\"S3Key\":\"" KEY
	    "/../x\"}"), "policy: Lambda: UpdateFunctionCode: S3Key must be "
	    "1-1024 of [A-Za-z0-9._/-] without empty, \".\" or \"..\" "
	    "segments");
	/* The function is checked before the code. */
	refuse(mk("PUT", LAMBDA, "/2015-03-31/functions/arn:aws:lambda:"
	    "us-east-1:000000000000:function:evil/code", "[]",
	    body("{\"ZipFile\":\"\"}"), NULL), "policy: Lambda: no project may "
	    "change function arn:aws:lambda:us-east-1:000000000000:"
	    "function:evil");
}

/* ------------------------------------------------------------ states */

static char *
sf(const char *target, const char *b)
{
	char *h = sd_asprintf("[" JSON10 ",[\"X-Amz-Target\","
	    "\"AWSStepFunctions.%s\"]]", target);
	char *r = mk("POST", STATES, "/", h, b, NULL);

	free(h);
	return r;
}

static char *
sfb(const char *target, const char *json)
{
	return sf(target, body(json));
}

static void
test_states_allowed(void **state)
{
	(void)state;
	allow(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM "\"}"),
	    SD_SIGN_STATES_DESCRIBE_STATE_MACHINE, "acme/hello", SM);
	allow(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"includedData\":\"ALL_DATA\"}"),
	    SD_SIGN_STATES_DESCRIBE_STATE_MACHINE, "acme/hello", SM);
	allow(sfb("UpdateStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"definition\":\"{}\",\"publish\":true,\"versionDescription\":"
	    "\"r-1\"}"), SD_SIGN_STATES_UPDATE_STATE_MACHINE, "acme/hello", SM);
	allow(sfb("ListTagsForResource", "{\"resourceArn\":\"" SM "\"}"),
	    SD_SIGN_STATES_LIST_TAGS_FOR_RESOURCE, "acme/hello", SM);
	/* Escapes in keys and values are JSON's, read as AWS reads them. */
	allow(sfb("DescribeStateMachine", "{\"\\u0073tateMachineArn\":"
	    "\"arn:aws:states:us-east-1:000000000000:stateMachine:"
	    "acme\\u002dhello\"}"),
	    SD_SIGN_STATES_DESCRIBE_STATE_MACHINE, "acme/hello", SM);
	/* Header names and the target are matched without case / blanks. */
	{
		char *b = body("{\"stateMachineArn\":\"" SM "\"}");

		allow(mk("POST", STATES, "/", "[[\"content-type\","
		    "\" application/x-amz-json-1.0 \"],[\"x-amz-target\","
		    "\"AWSStepFunctions.DescribeStateMachine\"]]", b, NULL),
		    SD_SIGN_STATES_DESCRIBE_STATE_MACHINE, "acme/hello", SM);
	}
	{
		char *b = body("{\"stateMachineArn\":\"" SM "\"}");
		char *h = sd_asprintf("[" JSON10 ",[\"X-Amz-Target\","
		    "\"AWSStepFunctions.DescribeStateMachine\"]]");

		allow_in(epol, mk("POST", "127.0.0.1:4568", "/", h, b, NULL),
		    SD_SIGN_STATES_DESCRIBE_STATE_MACHINE, "acme/hello", SM);
		free(h);
	}
}

static void
test_states_refused(void **state)
{
	char *b = body("{\"stateMachineArn\":\"" SM "\"}");
	char *h;

	(void)state;
#define ONLY_POST "policy: Step Functions: only POST / without a query is " \
	"allowed (the JSON 1.0 protocol)"
	refuse(mk("GET", STATES, "/", "[" JSON10 "]", HASH, NULL), ONLY_POST);
	refuse(mk("POST", STATES, "/x", "[" JSON10 "]", b, NULL), ONLY_POST);
	refuse(mk("POST", STATES, "/", "[" JSON10 "]", b,
	    ",\"query\":\"Action=x\""), ONLY_POST);
	refuse(mk("POST", STATES, "/", "[[\"X-Amz-Target\","
	    "\"AWSStepFunctions.DescribeStateMachine\"]]", b, NULL),
	    "policy: Step Functions: Content-Type must be "
	    "application/x-amz-json-1.0");
	refuse(mk("POST", STATES, "/", "[[\"Content-Type\","
	    "\"application/x-amz-cbor-1.1\"],[\"X-Amz-Target\","
	    "\"AWSStepFunctions.DescribeStateMachine\"]]", b, NULL),
	    "policy: Step Functions: Content-Type must be "
	    "application/x-amz-json-1.0");
	refuse(mk("POST", STATES, "/", "[" JSON10 "]", b, NULL),
	    "policy: Step Functions: the X-Amz-Target header is missing");
	refuse(sf("DeleteStateMachine", b), "policy: Step Functions: action "
	    "AWSStepFunctions.DeleteStateMachine is not allowed "
	    "(DescribeStateMachine, UpdateStateMachine, ListTagsForResource)");
	refuse(sf("StartExecution", b), "policy: Step Functions: action "
	    "AWSStepFunctions.StartExecution is not allowed "
	    "(DescribeStateMachine, UpdateStateMachine, ListTagsForResource)");
	h = sd_asprintf("[" JSON10 ",[\"X-Amz-Target\","
	    "\"DescribeStateMachine\"]]");
	refuse(mk("POST", STATES, "/", h, b, NULL), "policy: Step Functions: "
	    "action DescribeStateMachine is not allowed "
	    "(DescribeStateMachine, UpdateStateMachine, ListTagsForResource)");
	free(h);
	h = sd_asprintf("[" JSON10 ",[\"X-Amz-Target\","
	    "\"AWSStepFunctions.describestatemachine\"]]");
	refuse(mk("POST", STATES, "/", h, b, NULL), "policy: Step Functions: "
	    "action AWSStepFunctions.describestatemachine is not allowed "
	    "(DescribeStateMachine, UpdateStateMachine, ListTagsForResource)");
	free(h);
	refuse(sf("DescribeStateMachine", HASH), "policy: Step Functions: "
	    "send the body, not its hash: the signer reads the state machine "
	    "ARN from it");
	refuse(sfb("DescribeStateMachine", "nope"), "policy: Step Functions: "
	    "the DescribeStateMachine body is not a JSON object");
	refuse(sfb("DescribeStateMachine", "[\"" SM "\"]"), "policy: Step "
	    "Functions: the DescribeStateMachine body is not a JSON object");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"stateMachineArn\":\"x\"}"), "policy: Step Functions: the "
	    "DescribeStateMachine body is not a JSON object");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM "\"} "
	    "{}"), "policy: Step Functions: the DescribeStateMachine body is "
	    "not a JSON object");
	refuse(sfb("UpdateStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"roleArn\":\"arn:aws:iam::000000000000:role/admin\"}"),
	    "policy: Step Functions: UpdateStateMachine field roleArn is not "
	    "allowed");
	refuse(sfb("UpdateStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"loggingConfiguration\":{}}"), "policy: Step Functions: "
	    "UpdateStateMachine field loggingConfiguration is not allowed");
	refuse(sfb("DescribeStateMachine", "{\"StateMachineArn\":\"" SM
	    "\"}"), "policy: Step Functions: DescribeStateMachine field "
	    "StateMachineArn is not allowed");
	refuse(sfb("ListTagsForResource", "{\"stateMachineArn\":\"" SM "\"}"),
	    "policy: Step Functions: ListTagsForResource field "
	    "stateMachineArn is not allowed");
	refuse(sfb("DescribeStateMachine", "{}"), "policy: Step Functions: "
	    "DescribeStateMachine needs stateMachineArn");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":1}"),
	    "policy: Step Functions: DescribeStateMachine field "
	    "stateMachineArn must be a string");
	refuse(sfb("UpdateStateMachine", "{\"stateMachineArn\":\"" SM "\","
	    "\"publish\":\"true\"}"), "policy: Step Functions: "
	    "UpdateStateMachine field publish must be true or false");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM
	    ":1\"}"), "policy: Step Functions: \"" SM ":1\" is not an "
	    "unqualified state machine ARN");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" LFN
	    "\"}"), "policy: Step Functions: \"" LFN "\" is not an unqualified "
	    "state machine ARN");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"a\\u0001b"
	    "\"}"), "policy: Step Functions: \"a?b\" is not an unqualified "
	    "state machine ARN");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"arn:aws:"
	    "states:us-east-1:000000000000:stateMachine:evil\"}"),
	    "policy: Step Functions: no project may change state machine "
	    "arn:aws:states:us-east-1:000000000000:stateMachine:evil");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"arn:aws:"
	    "states:eu-west-1:111111111111:stateMachine:other\"}"),
	    "policy: Step Functions: the state machine's region eu-west-1 is "
	    "not the request's region us-east-1");
	refuse(sfb("DescribeStateMachine", "{\"stateMachineArn\":\"arn:aws:"
	    "states:us-east-1:333333333333:stateMachine:odd\"}"),
	    "policy: Step Functions: region us-east-1 is not one of project "
	    "odd/lists's regions");
}

/* ------------------------------------------------------------ validator */

static void
test_validation(void **state)
{
	char big[64 * 40 + 64], *p;
	int i;

	(void)state;
	refuse(sd_asprintf("[]"), "a sign request must be a JSON object");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"extra\":1"),
	    "/extra: unknown field");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"\\u0001\":1"),
	    "/?: unknown field");
	refuse(sd_asprintf("{\"host\":\"" S3 "\",\"path\":\"/\",\"headers\":[],"
	    HASH ",\"region\":\"us-east-1\"}"), "/method: missing");
	refuse(sd_asprintf("{\"method\":1,\"host\":\"" S3 "\",\"path\":\"/\","
	    "\"headers\":[]," HASH ",\"region\":\"us-east-1\"}"),
	    "/method: expected a string, not number");
	refuse(mk("get", S3, "/a/b", "[]", HASH, NULL),
	    "/method: must be GET, HEAD, PUT, POST or DELETE");
	refuse(mk("PATCH", S3, "/a/b", "[]", HASH, NULL),
	    "/method: must be GET, HEAD, PUT, POST or DELETE");
	refuse(mk("GET", "S3.us-east-1.amazonaws.com", "/a/b", "[]", HASH,
	    NULL), "/host: must be a lower-case host name or address, with an "
	    "optional :port");
	refuse(mk("GET", "a b", "/a/b", "[]", HASH, NULL), "/host: must be a "
	    "lower-case host name or address, with an optional :port");
	refuse(mk("GET", "", "/a/b", "[]", HASH, NULL), "/host: must be a "
	    "lower-case host name or address, with an optional :port");
	refuse(mk("GET", S3, "a/b", "[]", HASH, NULL),
	    "/path: must start with /");
	refuse(mk("GET", S3, "", "[]", HASH, NULL), "/path: must start with /");
	refuse(mk("GET", S3, "/a b", "[]", HASH, NULL), "/path: byte 2 is not "
	    "allowed (printable ASCII without space, #, quotes, <>, \\, ^, `, "
	    "{|} or ?)");
	refuse(mk("GET", S3, "/a?b", "[]", HASH, NULL), "/path: byte 2 is not "
	    "allowed (printable ASCII without space, #, quotes, <>, \\, ^, `, "
	    "{|} or ?)");
	refuse(mk("GET", S3, "/a\\u00e9", "[]", HASH, NULL), "/path: byte 2 "
	    "is not allowed (printable ASCII without space, #, quotes, <>, \\, "
	    "^, `, {|} or ?)");
	refuse(mk("GET", S3, "/a%zz", "[]", HASH, NULL),
	    "/path: a % not followed by two hex digits");
	refuse(mk("GET", S3, "/a%2", "[]", HASH, NULL),
	    "/path: a % not followed by two hex digits");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"query\":\"a#b\""),
	    "/query: byte 1 is not allowed (printable ASCII without space, #, "
	    "quotes, <>, \\, ^, `, {|})");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"query\":7"),
	    "/query: expected a string, not number");
	refuse(mk("GET", S3, "/a/b", "{}", HASH, NULL),
	    "/headers: expected an array of [name, value] pairs, not object");
	refuse(sd_asprintf("{\"method\":\"GET\",\"host\":\"" S3 "\",\"path\":"
	    "\"/\"," HASH ",\"region\":\"us-east-1\"}"), "/headers: missing");
	refuse(mk("GET", S3, "/a/b", "[[\"a\"]]", HASH, NULL),
	    "/headers/0: expected [name, value], two strings");
	refuse(mk("GET", S3, "/a/b", "[[\"a\",1]]", HASH, NULL),
	    "/headers/0: expected [name, value], two strings");
	refuse(mk("GET", S3, "/a/b", "[[\"a\",\"b\",\"c\"]]", HASH, NULL),
	    "/headers/0: expected [name, value], two strings");
	refuse(mk("GET", S3, "/a/b", "[[\"\",\"b\"]]", HASH, NULL),
	    "/headers/0: a header name must be 1-256 bytes");
	refuse(mk("GET", S3, "/a/b", "[[\"a\",\"b\"],[\"a b\",\"c\"]]", HASH,
	    NULL), "/headers/1: header name \"a b\" is not an HTTP token");
	refuse(mk("GET", S3, "/a/b", "[[\"a:\",\"c\"]]", HASH, NULL),
	    "/headers/0: header name \"a:\" is not an HTTP token");
	refuse(mk("GET", S3, "/a/b", "[[\"X\",\"a\\nb\"]]", HASH, NULL),
	    "/headers/0: header X: value byte 1 is not printable ASCII");
	refuse(mk("GET", S3, "/a/b", "[[\"X\",\"a\\u00e9\"]]", HASH, NULL),
	    "/headers/0: header X: value byte 1 is not printable ASCII");
	refuse(mk("GET", S3, "/a/b", "[[\"authorization\",\"x\"]]", HASH,
	    NULL), "/headers/0: header authorization is added by the signer");
	refuse(mk("GET", S3, "/a/b", "[[\"X-Amz-Date\",\"x\"]]", HASH, NULL),
	    "/headers/0: header X-Amz-Date is added by the signer");
	refuse(mk("GET", S3, "/a/b", "[[\"X-Amz-Security-Token\",\"x\"]]",
	    HASH, NULL), "/headers/0: header X-Amz-Security-Token is added by "
	    "the signer");
	refuse(mk("GET", S3, "/a/b", "[[\"X-Amz-Content-SHA256\",\"x\"]]",
	    HASH, NULL), "/headers/0: header X-Amz-Content-SHA256 is added by "
	    "the signer");
	refuse(mk("GET", S3, "/a/b", "[[\"If-Match\",\"a\"],[\"if-match\","
	    "\"b\"]]", HASH, NULL), "/headers/1: header if-match is given "
	    "twice");
	refuse(mk("GET", S3, "/a/b", "[[\"Host\",\"evil.example\"]]", HASH,
	    NULL), "/headers: the Host header does not match host");
	p = big;
	*p++ = '[';
	for (i = 0; i < SD_SIGN_MAX_HEADERS + 1; i++)
		p += snprintf(p, 40, "%s[\"h%d\",\"v\"]", i > 0 ? "," : "", i);
	*p++ = ']';
	*p = '\0';
	refuse(mk("GET", S3, "/a/b", big, HASH, NULL),
	    "/headers: more than 32 headers");
	refuse(mk("GET", S3, "/a/b", "[]", HASH ",\"body\":\"\"", NULL),
	    "/payload_sha256: give exactly one of payload_sha256 and body");
	refuse(mk("GET", S3, "/a/b", "[]", "\"query\":\"\"", NULL),
	    "/payload_sha256: give exactly one of payload_sha256 and body");
	refuse(mk("GET", S3, "/a/b", "[]", "\"payload_sha256\":"
	    "\"UNSIGNED-PAYLOAD\"", NULL), "/payload_sha256: must be 64 "
	    "lower-case hex digits (the SHA-256 of the body; unsigned payloads "
	    "are not signed)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"payload_sha256\":"
	    "\"E3B0C44298FC1C149AFBF4C8996FB924"
	    "27AE41E4649B934CA495991B7852B855\"",
	    NULL), "/payload_sha256: must be 64 lower-case hex digits (the "
	    "SHA-256 of the body; unsigned payloads are not signed)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"payload_sha256\":\"e3b0\"",
	    NULL), "/payload_sha256: must be 64 lower-case hex digits (the "
	    "SHA-256 of the body; unsigned payloads are not signed)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"body\":\"e30\"", NULL),
	    "/body: not base64 (RFC 4648, with padding)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"body\":\"e3=0\"", NULL),
	    "/body: not base64 (RFC 4648, with padding)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"body\":\"e30=\\n\"", NULL),
	    "/body: not base64 (RFC 4648, with padding)");
	refuse(mk("GET", S3, "/a/b", "[]", "\"body\":7", NULL),
	    "/body: expected a string, not number");
	refuse(sd_asprintf("{\"method\":\"GET\",\"host\":\"" S3 "\",\"path\":"
	    "\"/\",\"headers\":[]," HASH ",\"region\":\"US-EAST-1\"}"),
	    "/region: not a region name (like us-east-1)");
	refuse(sd_asprintf("{\"method\":\"GET\",\"host\":\"" S3 "\",\"path\":"
	    "\"/\",\"headers\":[]," HASH "}"), "/region: missing");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"service\":1"),
	    "/service: expected a string, not number");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"time\":\"now\""),
	    "/time: expected an integer (seconds since the epoch)");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"time\":1764072301"),
	    "/time: more than 300 seconds away from the signer's clock");
	refuse(mk("GET", S3, "/a/b", "[]", HASH, ",\"time\":1764071699"),
	    "/time: more than 300 seconds away from the signer's clock");
	/* service is ignored: the host decides. */
	allow(mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]", HASH,
	    ",\"service\":\"s3\",\"time\":1764072300"),
	    SD_SIGN_LAMBDA_GET_FUNCTION, "acme/hello", LFN);
}

/* ------------------------------------------------------------ sigv4 parts */

static void
parts(const struct sd_policy *p, char *text, struct sd_sigv4_request *sr,
    struct sd_sigv4_params *sp, struct sd_sign_req **out)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sign_decision d;
	json_t *v = sd_json_loadb(text, strlen(text), 0, "req", &err);

	free(text);
	assert_non_null(v);
	assert_int_equal(sd_sign_req_parse(v, NOW, out, &err), 0);
	json_decref(v);
	assert_int_equal(sd_sign_policy_check(p, *out, &d, &err), 0);
	sd_sign_req_sigv4(*out, &d, sr, sp);
	sd_error_clear(&err);
}

static void
test_sigv4_params(void **state)
{
	struct sd_sigv4_request sr;
	struct sd_sigv4_params sp;
	struct sd_sign_req *r = NULL;

	(void)state;
	parts(pol, mk("PUT", S3, "/acme-stepdeploy/" KEY "/x",
	    "[[\"If-None-Match\",\"*\"]]", ZHASH, ",\"time\":1764072100"), &sr,
	    &sp, &r);
	assert_string_equal(sp.service, "s3");
	assert_string_equal(sp.region, "us-east-1");
	assert_int_equal(sp.time, 1764072100);
	assert_int_equal(sp.normalize_path, 0);
	assert_int_equal(sp.double_encode, 0);
	assert_int_equal(sp.sign_body, 1);
	assert_int_equal(sp.unsigned_payload, 0);
	assert_int_equal(sp.query, 0);
	assert_string_equal(sr.method, "PUT");
	assert_int_equal(sr.nheaders, 1);
	assert_null(sr.body);
	assert_non_null(sr.payload_hash);
	assert_memory_equal(sr.path, "/acme-stepdeploy/" KEY "/x", sr.path_len);
	sd_sign_req_free(r);

	parts(pol, sfb("DescribeStateMachine", "{\"stateMachineArn\":\"" SM
	    "\"}"), &sr, &sp, &r);
	assert_string_equal(sp.service, "states");
	assert_int_equal(sp.time, NOW);
	assert_int_equal(sp.normalize_path, 1);
	assert_int_equal(sp.double_encode, 1);
	assert_int_equal(sp.sign_body, 0);
	assert_null(sr.payload_hash);
	assert_int_equal(sr.body_len, strlen("{\"stateMachineArn\":\"" SM
	    "\"}"));
	assert_memory_equal(sr.body, "{\"stateMachineArn\":\"", 20);
	assert_int_equal(sr.nheaders, 2);
	sd_sign_req_free(r);

	parts(pol, mk("GET", LAMBDA, "/2015-03-31/functions/" LFN_ENC, "[]",
	    HASH, ",\"query\":\"Qualifier=1\""), &sr, &sp, &r);
	assert_string_equal(sp.service, "lambda");
	assert_memory_equal(sr.query, "Qualifier=1", sr.query_len);
	sd_sign_req_free(r);
}

static void
test_action_names(void **state)
{
	(void)state;
	assert_string_equal(sd_sign_action_name(SD_SIGN_S3_PUT_OBJECT),
	    "s3:PutObject");
	assert_string_equal(sd_sign_action_name(
	    SD_SIGN_STATES_LIST_TAGS_FOR_RESOURCE),
	    "states:ListTagsForResource");
	assert_string_equal(sd_sign_action_name(SD_SIGN_ACTION_COUNT),
	    "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_s3_allowed),
		cmocka_unit_test(test_s3_refused),
		cmocka_unit_test(test_lambda_allowed),
		cmocka_unit_test(test_lambda_refused),
		cmocka_unit_test(test_lambda_code),
		cmocka_unit_test(test_states_allowed),
		cmocka_unit_test(test_states_refused),
		cmocka_unit_test(test_validation),
		cmocka_unit_test(test_sigv4_params),
		cmocka_unit_test(test_action_names),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
