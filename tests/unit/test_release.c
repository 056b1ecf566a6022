/*
 * test_release: release.json checks (exact code and location for each
 * rule), the findings report and the canonical form with its SHA-256.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_json.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_time.h"

#define EXAMPLE	"policy/policy.example.json"
#define NS	INT64_C(1000000000)
#define SHA	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

static int
fake_users(void *arg, const char *name, uid_t *uid)
{
	(void)arg;
	if (strcmp(name, "ci") == 0) {
		*uid = 1001;
		return 0;
	}
	if (strncmp(name, "stepdeploy-", 11) == 0) {
		*uid = 2000;
		return 0;
	}
	return SD_ERR_NOTFOUND;
}

static const struct sd_policy_opts opts = { 0, fake_users, NULL };

static const char release_text[] =
    "{\"release_id\": \"r-2026-11-25-001\","
    " \"project_name\": \"acme/hello\","
    " \"config_name\": \"production\","
    " \"aws_account_id\": \"000000000000\","
    " \"aws_region\": \"us-east-1\","
    " \"lambda_name\": \"acme-hello\","
    " \"step_fn_name\": \"acme-hello\","
    " \"created_at\": \"2026-11-25T12:00:00Z\","
    " \"lambda_sha256\": \"" SHA "\","
    " \"runtime\": \"provided.al2023\","
    " \"metadata\": {\"commit\": \"0badc0de\", \"ci\": {\"run\": 42}},"
    " \"state_machine\": {\"StartAt\": \"Hello\", \"States\": {\"Hello\": "
    "{\"Type\": \"Pass\", \"End\": true}}}}";

/* created_at + 60 s */
static int64_t
now_default(void)
{
	int64_t ns;

	assert_int_equal(sd_time_parse("2026-11-25T12:01:00Z", &ns), 0);
	return ns;
}

static json_t *
release(void)
{
	json_error_t je;
	json_t *v;

	if ((v = json_loads(release_text, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL)
		fail_msg("base release: %s", je.text);
	return v;
}

static struct sd_policy *
example(void)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;

	if (sd_policy_load_opts(EXAMPLE, &opts, &pol, &err) != 0)
		fail_msg("%s: %s", EXAMPLE, sd_error_text(&err));
	return pol;
}

/* A policy for acme/hello with a global "limits" object (JSON text) and
 * a state machine pattern. */
static struct sd_policy *
policy_with(const char *limits, const char *sm_pattern)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	char text[2048];
	int n;

	n = snprintf(text, sizeof(text),
	    "{\"version\": 1, \"limits\": %s, \"projects\": {\"acme/hello\": {"
	    "\"submitters\": [\"ci\", 1002], \"configs\": [\"production\"],"
	    "\"accounts\": [\"000000000000\"], \"regions\": [\"us-east-1\"],"
	    "\"bucket\": \"acme-stepdeploy\", \"lambda_arns\": ["
	    "\"arn:aws:lambda:us-east-1:000000000000:function:acme-hello\"],"
	    "\"state_machine_arns\": [\"%s\"]}}}", limits, sm_pattern);
	assert_true(n > 0 && (size_t)n < sizeof(text));
	if (sd_policy_load_buf(text, (size_t)n, &opts, &pol, &err) != 0)
		fail_msg("policy: %s", sd_error_text(&err));
	return pol;
}

static struct sd_release_report *
check(const json_t *rel, const struct sd_policy *pol, int64_t now,
    const uid_t *submitter)
{
	struct sd_release_report *rep;

	assert_non_null(rep = sd_release_report_new());
	assert_int_equal(sd_release_check(rel, pol, now, submitter, rep), 0);
	return rep;
}

static void
dump_report(const struct sd_release_report *rep)
{
	size_t i;

	for (i = 0; i < sd_release_report_count(rep); i++) {
		const struct sd_finding *f = sd_release_report_get(rep, i);

		print_message("  %s %s \"%s\": %s\n", f->severity ==
		    SD_SEVERITY_ERROR ? "error" : "warning", f->code,
		    f->location, f->message);
	}
}

/* Exactly one finding, an error: code, location, message (NULL: any;
 * '*' first: a substring). Frees rep. */
static void
expect_only(struct sd_release_report *rep, const char *code,
    const char *loc, const char *msg)
{
	const struct sd_finding *f;

	if (sd_release_report_count(rep) != 1 ||
	    sd_release_report_errors(rep) != 1) {
		dump_report(rep);
		fail_msg("want exactly one error %s at \"%s\"", code, loc);
	}
	f = sd_release_report_get(rep, 0);
	assert_int_equal(f->severity, SD_SEVERITY_ERROR);
	assert_string_equal(f->code, code);
	assert_string_equal(f->location, loc);
	if (msg != NULL && msg[0] == '*') {
		if (strstr(f->message, msg + 1) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", f->message,
			    msg + 1);
	} else if (msg != NULL)
		assert_string_equal(f->message, msg);
	sd_release_report_free(rep);
}

/* Check rel (consumed) against pol at the default now. */
static void
expect_one(json_t *rel, const struct sd_policy *pol, const char *code,
    const char *loc, const char *msg)
{
	struct sd_release_report *rep = check(rel, pol, now_default(), NULL);

	json_decref(rel);
	expect_only(rep, code, loc, msg);
}

static void
expect_clean(json_t *rel, const struct sd_policy *pol, int64_t now)
{
	struct sd_release_report *rep = check(rel, pol, now, NULL);

	json_decref(rel);
	if (sd_release_report_count(rep) != 0) {
		dump_report(rep);
		fail_msg("want no findings");
	}
	sd_release_report_free(rep);
}

static void
set(json_t *rel, const char *key, json_t *v)
{
	if (v == NULL)
		assert_int_equal(json_object_del(rel, key), 0);
	else
		assert_int_equal(json_object_set_new(rel, key, v), 0);
}

/* ------------------------------------------------------------ tests */

static void
test_valid(void **state)
{
	struct sd_policy *pol = example();
	struct sd_release_report *rep;
	json_t *rel = release(), *js;
	char *text;
	uid_t ci = 1001;

	(void)state;
	rep = check(rel, pol, now_default(), &ci);
	assert_int_equal(sd_release_report_count(rep), 0);
	assert_int_equal(sd_release_report_errors(rep), 0);
	assert_int_equal(sd_release_report_warnings(rep), 0);
	assert_non_null(js = sd_release_report_json(rep));
	assert_non_null(text = sd_json_dumps(js, SD_JSON_SORT_KEYS));
	assert_string_equal(text,
	    "{\"errors\":0,\"findings\":[],\"ok\":true,\"warnings\":0}");
	free(text);
	json_decref(js);
	sd_release_report_free(rep);
	json_decref(rel);

	/* The optional fields may all be left out: one warning. */
	rel = release();
	set(rel, "lambda_sha256", NULL);
	set(rel, "runtime", NULL);
	set(rel, "metadata", NULL);
	rep = check(rel, pol, now_default(), NULL);
	assert_int_equal(sd_release_report_count(rep), 1);
	assert_int_equal(sd_release_report_errors(rep), 0);
	assert_int_equal(sd_release_report_warnings(rep), 1);
	assert_string_equal(sd_release_report_get(rep, 0)->code,
	    SD_RELEASE_NO_SHA256);
	assert_string_equal(sd_release_report_get(rep, 0)->location,
	    "/lambda_sha256");
	assert_non_null(js = sd_release_report_json(rep));
	assert_true(json_is_true(json_object_get(js, "ok")));
	json_decref(js);
	sd_release_report_free(rep);
	json_decref(rel);
	sd_policy_free(pol);
}

static void
test_missing(void **state)
{
	static const char *const req[] = { "release_id", "project_name",
	    "config_name", "aws_account_id", "aws_region", "lambda_name",
	    "step_fn_name", "created_at", "state_machine" };
	struct sd_policy *pol = example();
	char loc[64];
	json_t *rel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		rel = release();
		set(rel, req[i], NULL);
		assert_true(snprintf(loc, sizeof(loc), "/%s", req[i]) > 0);
		expect_one(rel, pol, SD_RELEASE_MISSING_FIELD, loc,
		    "required field is missing");
	}
	sd_policy_free(pol);
}

static void
test_unknown(void **state)
{
	struct sd_policy *pol = example();
	json_t *rel;

	(void)state;
	rel = release();
	set(rel, "extra", json_true());
	expect_one(rel, pol, SD_RELEASE_UNKNOWN_FIELD, "/extra",
	    "unknown field");
	rel = release();
	set(rel, "a/b~c", json_null());
	expect_one(rel, pol, SD_RELEASE_UNKNOWN_FIELD, "/a~1b~0c",
	    "unknown field");
	/* Names are case-sensitive: both an unknown and a missing field. */
	rel = release();
	set(rel, "Release_id", json_string("r1"));
	set(rel, "release_id", NULL);
	{
		struct sd_release_report *rep = check(rel, pol, now_default(),
		    NULL);

		assert_int_equal(sd_release_report_errors(rep), 2);
		assert_string_equal(sd_release_report_get(rep, 0)->location,
		    "/Release_id");
		assert_string_equal(sd_release_report_get(rep, 0)->code,
		    SD_RELEASE_UNKNOWN_FIELD);
		assert_string_equal(sd_release_report_get(rep, 1)->location,
		    "/release_id");
		assert_string_equal(sd_release_report_get(rep, 1)->code,
		    SD_RELEASE_MISSING_FIELD);
		sd_release_report_free(rep);
	}
	json_decref(rel);
	sd_policy_free(pol);
}

static void
test_types(void **state)
{
	static const char *const strs[] = { "release_id", "project_name",
	    "config_name", "aws_account_id", "aws_region", "lambda_name",
	    "step_fn_name", "created_at", "lambda_sha256", "runtime" };
	struct sd_policy *pol = example();
	char loc[64];
	json_t *rel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		rel = release();
		set(rel, strs[i], json_integer(5));
		assert_true(snprintf(loc, sizeof(loc), "/%s", strs[i]) > 0);
		expect_one(rel, pol, SD_RELEASE_BAD_TYPE, loc,
		    "expected a string");
	}
	rel = release();
	set(rel, "metadata", json_string("x"));
	expect_one(rel, pol, SD_RELEASE_BAD_TYPE, "/metadata",
	    "expected an object");
	rel = release();
	set(rel, "metadata", json_null());
	expect_one(rel, pol, SD_RELEASE_BAD_TYPE, "/metadata",
	    "expected an object");
	rel = release();
	set(rel, "state_machine", json_string("{\"StartAt\": \"x\"}"));
	expect_one(rel, pol, SD_RELEASE_BAD_TYPE, "/state_machine",
	    "expected an object");
	/* A NUL hidden in a string built by hand (the parser refuses it). */
	rel = release();
	set(rel, "release_id", json_stringn("r1\0../x", 7));
	expect_one(rel, pol, SD_RELEASE_BAD_ID, "/release_id",
	    "contains a NUL character");
	sd_policy_free(pol);
}

static void
test_release_id(void **state)
{
	static const char *const bad[] = { "", "r 1", "r/1", "r:1", "r*",
	    "caf\xc3\xa9", "r\n" };
	struct sd_policy *pol = example();
	char id[80];
	json_t *rel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rel = release();
		set(rel, "release_id", json_string(bad[i]));
		expect_one(rel, pol, SD_RELEASE_BAD_ID, "/release_id",
		    "must be 1-64 characters of [A-Za-z0-9._-]");
	}
	memset(id, 'r', 65);
	id[65] = '\0';
	rel = release();
	set(rel, "release_id", json_string(id));
	expect_one(rel, pol, SD_RELEASE_BAD_ID, "/release_id", NULL);
	id[64] = '\0';
	rel = release();
	set(rel, "release_id", json_string(id));
	expect_clean(rel, pol, now_default());
	rel = release();
	set(rel, "release_id", json_string(".."));
	expect_one(rel, pol, SD_RELEASE_BAD_ID, "/release_id",
	    "must not be \".\" or \"..\"");
	rel = release();
	set(rel, "release_id", json_string("."));
	expect_one(rel, pol, SD_RELEASE_BAD_ID, "/release_id", NULL);
	rel = release();
	set(rel, "release_id", json_string("..."));
	expect_clean(rel, pol, now_default());
	rel = release();
	set(rel, "release_id", json_string("A.b_c-9"));
	expect_clean(rel, pol, now_default());
	sd_policy_free(pol);
}

static void
test_syntax(void **state)
{
	static const struct {
		const char	*field;
		const char	*value;
		const char	*code;
	} bad[] = {
		{ "project_name", "acme", SD_RELEASE_BAD_PROJECT },
		{ "project_name", "acme/hello/x", SD_RELEASE_BAD_PROJECT },
		{ "project_name", "acme/..", SD_RELEASE_BAD_PROJECT },
		{ "config_name", "", SD_RELEASE_BAD_CONFIG },
		{ "config_name", "prod/x", SD_RELEASE_BAD_CONFIG },
		{ "aws_account_id", "00000000000", SD_RELEASE_BAD_ACCOUNT },
		{ "aws_account_id", "0000000000000", SD_RELEASE_BAD_ACCOUNT },
		{ "aws_account_id", "00000000000x", SD_RELEASE_BAD_ACCOUNT },
		{ "aws_region", "us_east_1", SD_RELEASE_BAD_REGION },
		{ "aws_region", "US-EAST-1", SD_RELEASE_BAD_REGION },
		{ "aws_region", "", SD_RELEASE_BAD_REGION },
		{ "lambda_name", "acme.hello", SD_RELEASE_BAD_LAMBDA_NAME },
		{ "lambda_name", "acme:hello", SD_RELEASE_BAD_LAMBDA_NAME },
		{ "lambda_name", "", SD_RELEASE_BAD_LAMBDA_NAME },
		{ "step_fn_name", "acme hello", SD_RELEASE_BAD_STEP_FN_NAME },
		{ "step_fn_name", "acme*", SD_RELEASE_BAD_STEP_FN_NAME },
		{ "step_fn_name", "acme[1]", SD_RELEASE_BAD_STEP_FN_NAME },
		{ "step_fn_name", "a/b", SD_RELEASE_BAD_STEP_FN_NAME },
		{ "step_fn_name", "", SD_RELEASE_BAD_STEP_FN_NAME },
		{ "created_at", "2026-11-25 12:00:00Z", SD_RELEASE_BAD_TIME },
		{ "created_at", "2026-11-25T12:00:00", SD_RELEASE_BAD_TIME },
		{ "created_at", "2026-02-30T12:00:00Z", SD_RELEASE_BAD_TIME },
		{ "created_at", "yesterday", SD_RELEASE_BAD_TIME },
		{ "lambda_sha256", SHA "0", SD_RELEASE_BAD_SHA256 },
		{ "lambda_sha256", "0123456789ABCDEF0123456789abcdef"
		    "0123456789abcdef0123456789abcdef", SD_RELEASE_BAD_SHA256 },
		{ "lambda_sha256", "", SD_RELEASE_BAD_SHA256 },
		{ "runtime", "", SD_RELEASE_BAD_RUNTIME },
		{ "runtime", "Provided", SD_RELEASE_BAD_RUNTIME },
		{ "runtime", "provided al2", SD_RELEASE_BAD_RUNTIME },
		{ "runtime", "1provided", SD_RELEASE_BAD_RUNTIME },
	};
	struct sd_policy *pol = example();
	char loc[64], name[100];
	json_t *rel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rel = release();
		set(rel, bad[i].field, json_string(bad[i].value));
		assert_true(snprintf(loc, sizeof(loc), "/%s",
		    bad[i].field) > 0);
		expect_one(rel, pol, bad[i].code, loc, NULL);
	}
	memset(name, 'a', 81);
	name[81] = '\0';
	rel = release();
	set(rel, "step_fn_name", json_string(name));
	expect_one(rel, pol, SD_RELEASE_BAD_STEP_FN_NAME, "/step_fn_name",
	    "must be 1-80 characters of [A-Za-z0-9] and !'()+-.=@_ (no "
	    "whitespace, brackets, wildcards or other special characters)");
	name[65] = '\0';
	rel = release();
	set(rel, "lambda_name", json_string(name));
	expect_one(rel, pol, SD_RELEASE_BAD_LAMBDA_NAME, "/lambda_name",
	    "must be 1-64 characters of [A-Za-z0-9_-]");
	rel = release();
	set(rel, "aws_account_id", json_string("12345678901"));
	expect_one(rel, pol, SD_RELEASE_BAD_ACCOUNT, "/aws_account_id",
	    "must be 12 digits");
	rel = release();
	set(rel, "created_at", json_string("now"));
	expect_one(rel, pol, SD_RELEASE_BAD_TIME, "/created_at",
	    "not an RFC 3339 timestamp (like 2026-11-25T12:00:00Z)");
	rel = release();
	set(rel, "lambda_sha256", json_string("x"));
	expect_one(rel, pol, SD_RELEASE_BAD_SHA256, "/lambda_sha256",
	    "must be 64 lowercase hex digits");
	/* Other runtimes are fine. */
	rel = release();
	set(rel, "runtime", json_string("nodejs20.x"));
	expect_clean(rel, pol, now_default());
	rel = release();
	set(rel, "runtime", json_string("python3.12"));
	expect_clean(rel, pol, now_default());
	sd_policy_free(pol);
}

static void
test_time_window(void **state)
{
	struct sd_policy *pol = example();
	int64_t created, now;
	json_t *rel;

	(void)state;
	/* The example allows 86400 s of age and 300 s of skew. */
	assert_int_equal(sd_time_parse("2026-11-25T12:00:00.5Z", &created), 0);

	now = created + 86400 * NS;		/* exactly the max age */
	rel = release();
	set(rel, "created_at", json_string("2026-11-25T12:00:00.5Z"));
	expect_clean(rel, pol, now);
	rel = release();
	set(rel, "created_at", json_string("2026-11-25T12:00:00.5Z"));
	{
		struct sd_release_report *rep = check(rel, pol, now + 1, NULL);

		expect_only(rep, SD_RELEASE_TOO_OLD, "/created_at",
		    "created 86400 seconds ago; the policy allows at most "
		    "86400");
	}
	json_decref(rel);
	rel = release();
	{
		struct sd_release_report *rep = check(rel, pol,
		    now_default() + 10 * 86400 * NS, NULL);

		expect_only(rep, SD_RELEASE_TOO_OLD, "/created_at",
		    "created 864060 seconds ago; the policy allows at most "
		    "86400");
	}
	json_decref(rel);

	now = created - 300 * NS;		/* exactly the max skew */
	rel = release();
	set(rel, "created_at", json_string("2026-11-25T12:00:00.5Z"));
	expect_clean(rel, pol, now);
	rel = release();
	set(rel, "created_at", json_string("2026-11-25T12:00:00.5Z"));
	{
		struct sd_release_report *rep = check(rel, pol, now - 1, NULL);

		expect_only(rep, SD_RELEASE_IN_FUTURE, "/created_at",
		    "created 300 seconds in the future; the policy allows at "
		    "most 300 of clock skew");
	}
	json_decref(rel);
	/* Far future, past what nanoseconds since 1970 can hold. */
	rel = release();
	set(rel, "created_at", json_string("9999-12-31T23:59:59Z"));
	expect_one(rel, pol, SD_RELEASE_IN_FUTURE, "/created_at", NULL);
	rel = release();
	set(rel, "created_at", json_string("0001-01-01T00:00:00Z"));
	expect_one(rel, pol, SD_RELEASE_TOO_OLD, "/created_at", NULL);
	/* Offsets count: 13:00+01:00 is 12:00Z. */
	rel = release();
	set(rel, "created_at", json_string("2026-11-25T13:00:00+01:00"));
	expect_clean(rel, pol, now_default());
	/* Before the epoch, now included. */
	rel = release();
	set(rel, "created_at", json_string("1969-12-31T23:59:59.5Z"));
	expect_clean(rel, pol, -1);
	sd_policy_free(pol);
}

static void
test_sizes(void **state)
{
	struct sd_policy *pol;
	json_t *rel, *meta;
	char *text, limits[256];
	size_t mlen, dlen, rlen;

	(void)state;
	rel = release();
	/* The limits count canonical bytes. */
	assert_non_null(text = sd_json_dumps(json_object_get(rel, "metadata"),
	    SD_JSON_SORT_KEYS));
	mlen = strlen(text);
	assert_string_equal(text, "{\"ci\":{\"run\":42},\"commit\":\"0badc0de\"}");
	free(text);
	assert_non_null(text = sd_json_dumps(json_object_get(rel,
	    "state_machine"), SD_JSON_SORT_KEYS));
	dlen = strlen(text);
	free(text);
	assert_non_null(text = sd_json_dumps(rel, SD_JSON_SORT_KEYS));
	rlen = strlen(text);
	free(text);

	/* Exactly at each limit: clean. */
	assert_true(snprintf(limits, sizeof(limits), "{\"metadata_max_bytes\":"
	    " %zu, \"definition_max_bytes\": %zu, \"release_max_bytes\": %zu}",
	    mlen, dlen, rlen) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_clean(json_deep_copy(rel), pol, now_default());
	sd_policy_free(pol);

	/* One byte less each. */
	assert_true(snprintf(limits, sizeof(limits), "{\"metadata_max_bytes\":"
	    " %zu}", mlen - 1) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_one(json_deep_copy(rel), pol, SD_RELEASE_METADATA_TOO_LARGE,
	    "/metadata", "larger than 36 bytes (canonical JSON)");
	sd_policy_free(pol);
	assert_true(snprintf(limits, sizeof(limits),
	    "{\"definition_max_bytes\": %zu}", dlen - 1) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_one(json_deep_copy(rel), pol, SD_RELEASE_DEFINITION_TOO_LARGE,
	    "/state_machine", NULL);
	sd_policy_free(pol);
	assert_true(snprintf(limits, sizeof(limits),
	    "{\"release_max_bytes\": %zu}", rlen - 1) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_one(json_deep_copy(rel), pol, SD_RELEASE_TOO_LARGE, "", NULL);
	sd_policy_free(pol);

	/* Escapes, reals, unicode, empty containers: still exact. */
	meta = json_pack("{s:s, s:f, s:f, s:[], s:{}, s:b, s:n, s:I}",
	    "q\"\\\n\x01", "caf\xc3\xa9\t", "r", 0.1, "big", 1e300, "a",
	    "o", "t", 1, "z", "i", (json_int_t)-1234567890123LL);
	assert_non_null(meta);
	assert_non_null(text = sd_json_dumps(meta, SD_JSON_SORT_KEYS));
	mlen = strlen(text);
	free(text);
	set(rel, "metadata", meta);
	assert_true(snprintf(limits, sizeof(limits), "{\"metadata_max_bytes\":"
	    " %zu}", mlen) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_clean(json_deep_copy(rel), pol, now_default());
	sd_policy_free(pol);
	assert_true(snprintf(limits, sizeof(limits), "{\"metadata_max_bytes\":"
	    " %zu}", mlen - 1) > 0);
	pol = policy_with(limits, "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	expect_one(json_deep_copy(rel), pol, SD_RELEASE_METADATA_TOO_LARGE,
	    "/metadata", NULL);
	sd_policy_free(pol);
	json_decref(rel);
}

static void
test_states(void **state)
{
	struct sd_policy *pol;
	json_t *rel, *sm;

	(void)state;
	/* 1 Parallel + 2 in its branches + 1 Map + 2 in its processor
	 * + 1 in an old-style Iterator Map = 8 ... counted below. */
	sm = json_loads("{\"StartAt\": \"P\", \"States\": {"
	    "\"P\": {\"Type\": \"Parallel\", \"Next\": \"M\", \"Branches\": ["
	    "  {\"StartAt\": \"A\", \"States\": {\"A\": {\"Type\": \"Pass\","
	    "   \"End\": true}}},"
	    "  {\"StartAt\": \"B\", \"States\": {\"B\": {\"Type\": \"Pass\","
	    "   \"End\": true}}}]},"
	    "\"M\": {\"Type\": \"Map\", \"Next\": \"I\", \"ItemProcessor\": {"
	    "  \"StartAt\": \"C\", \"States\": {\"C\": {\"Type\": \"Pass\","
	    "   \"Next\": \"D\"}, \"D\": {\"Type\": \"Pass\", \"End\": true}}}},"
	    "\"I\": {\"Type\": \"Map\", \"End\": true, \"Iterator\": {"
	    "  \"StartAt\": \"E\", \"States\": {\"E\": {\"Type\": \"Pass\","
	    "   \"End\": true}}}}}}", 0, NULL);
	assert_non_null(sm);
	rel = release();
	set(rel, "state_machine", sm);
	pol = policy_with("{\"definition_max_states\": 8}",
	    "arn:aws:states:us-east-1:000000000000:stateMachine:acme-*");
	expect_clean(json_deep_copy(rel), pol, now_default());
	sd_policy_free(pol);
	pol = policy_with("{\"definition_max_states\": 7}",
	    "arn:aws:states:us-east-1:000000000000:stateMachine:acme-*");
	expect_one(json_deep_copy(rel), pol, SD_RELEASE_TOO_MANY_STATES,
	    "/state_machine", "8 states, more than the 7 allowed");
	sd_policy_free(pol);
	json_decref(rel);
}

static void
test_policy_rules(void **state)
{
	struct sd_policy *pol = example();
	struct sd_release_report *rep;
	json_t *rel;
	uid_t uid;

	(void)state;
	rel = release();
	set(rel, "project_name", json_string("acme/other"));
	expect_one(rel, pol, SD_POLICY_PROJECT_NOT_ALLOWED, "/project_name",
	    "no project acme/other in the policy");
	rel = release();
	set(rel, "config_name", json_string("staging"));
	expect_one(rel, pol, SD_POLICY_CONFIG_NOT_ALLOWED, "/config_name",
	    "config staging is not allowed for project acme/hello");
	rel = release();
	set(rel, "aws_region", json_string("us-west-2"));
	/* The ARNs move with the region: those are refused too. */
	rep = check(rel, pol, now_default(), NULL);
	assert_int_equal(sd_release_report_errors(rep), 3);
	assert_string_equal(sd_release_report_get(rep, 0)->code,
	    SD_POLICY_REGION_NOT_ALLOWED);
	assert_string_equal(sd_release_report_get(rep, 0)->location,
	    "/aws_region");
	assert_string_equal(sd_release_report_get(rep, 1)->code,
	    SD_POLICY_LAMBDA_NOT_ALLOWED);
	assert_string_equal(sd_release_report_get(rep, 2)->code,
	    SD_POLICY_STATE_MACHINE_NOT_ALLOWED);
	sd_release_report_free(rep);
	json_decref(rel);
	rel = release();
	set(rel, "aws_account_id", json_string("111111111111"));
	rep = check(rel, pol, now_default(), NULL);
	assert_int_equal(sd_release_report_errors(rep), 3);
	assert_string_equal(sd_release_report_get(rep, 0)->code,
	    SD_POLICY_ACCOUNT_NOT_ALLOWED);
	assert_string_equal(sd_release_report_get(rep, 0)->location,
	    "/aws_account_id");
	assert_string_equal(sd_release_report_get(rep, 0)->message,
	    "account 111111111111 is not allowed for project acme/hello");
	sd_release_report_free(rep);
	json_decref(rel);
	rel = release();
	set(rel, "lambda_name", json_string("acme-hello2"));
	expect_one(rel, pol, SD_POLICY_LAMBDA_NOT_ALLOWED, "/lambda_name",
	    "project acme/hello may not change Lambda function "
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello2");
	rel = release();
	set(rel, "step_fn_name", json_string("other"));
	expect_one(rel, pol, SD_POLICY_STATE_MACHINE_NOT_ALLOWED,
	    "/step_fn_name", "project acme/hello may not change state machine "
	    "arn:aws:states:us-east-1:000000000000:stateMachine:other");

	/* The submitter. */
	rel = release();
	uid = 1001;
	rep = check(rel, pol, now_default(), &uid);
	assert_int_equal(sd_release_report_count(rep), 0);
	sd_release_report_free(rep);
	uid = 0;
	rep = check(rel, pol, now_default(), &uid);
	expect_only(rep, SD_POLICY_SUBMITTER_NOT_ALLOWED, "/project_name",
	    "uid 0 may not submit releases of acme/hello");
	json_decref(rel);
	sd_policy_free(pol);

	/* A trailing-'*' pattern admits the prefix. */
	pol = policy_with("{}", "arn:aws:states:us-east-1:000000000000:"
	    "stateMachine:acme-*");
	rel = release();
	set(rel, "step_fn_name", json_string("acme-hello-blue"));
	expect_clean(rel, pol, now_default());
	rel = release();
	set(rel, "step_fn_name", json_string("acme"));
	expect_one(rel, pol, SD_POLICY_STATE_MACHINE_NOT_ALLOWED,
	    "/step_fn_name", NULL);
	sd_policy_free(pol);
}

static void
test_no_policy(void **state)
{
	struct sd_release_report *rep;
	json_t *rel;

	(void)state;
	/* Syntax and default limits only: any project passes. */
	rel = release();
	set(rel, "project_name", json_string("other/thing"));
	expect_clean(rel, NULL, now_default());
	rel = release();
	set(rel, "project_name", json_string("other"));
	expect_one(rel, NULL, SD_RELEASE_BAD_PROJECT, "/project_name", NULL);
	/* Default max age: one day. */
	rel = release();
	rep = check(rel, NULL, now_default() + 86400 * NS, NULL);
	expect_only(rep, SD_RELEASE_TOO_OLD, "/created_at", NULL);
	json_decref(rel);
}

static void
test_many_findings(void **state)
{
	struct sd_policy *pol = example();
	struct sd_release_report *rep;
	json_t *rel, *js;
	char *text;

	(void)state;
	rel = release();
	set(rel, "release_id", json_string("bad id"));
	set(rel, "config_name", json_string("staging"));
	set(rel, "lambda_sha256", NULL);
	set(rel, "x", json_integer(1));
	rep = check(rel, pol, now_default(), NULL);
	assert_int_equal(sd_release_report_errors(rep), 3);
	assert_int_equal(sd_release_report_warnings(rep), 1);
	assert_non_null(sd_release_report_find(rep, SD_RELEASE_NO_SHA256));
	assert_null(sd_release_report_find(rep, SD_RELEASE_TOO_OLD));
	assert_non_null(js = sd_release_report_json(rep));
	assert_non_null(text = sd_json_dumps(js, SD_JSON_SORT_KEYS));
	assert_string_equal(text, "{\"errors\":3,\"findings\":["
	    "{\"code\":\"RELEASE_UNKNOWN_FIELD\",\"location\":\"/x\","
	    "\"message\":\"unknown field\",\"severity\":\"error\"},"
	    "{\"code\":\"RELEASE_BAD_ID\",\"location\":\"/release_id\","
	    "\"message\":\"must be 1-64 characters of [A-Za-z0-9._-]\","
	    "\"severity\":\"error\"},"
	    "{\"code\":\"RELEASE_NO_SHA256\",\"location\":\"/lambda_sha256\","
	    "\"message\":\"no lambda_sha256: the zip is not pinned to what CI "
	    "built\",\"severity\":\"warning\"},"
	    "{\"code\":\"POLICY_CONFIG_NOT_ALLOWED\","
	    "\"location\":\"/config_name\",\"message\":\"config staging is not "
	    "allowed for project acme/hello\",\"severity\":\"error\"}],"
	    "\"ok\":false,\"warnings\":1}");
	free(text);
	json_decref(js);
	sd_release_report_free(rep);
	json_decref(rel);
	sd_policy_free(pol);
}

static void
test_report_cap(void **state)
{
	struct sd_release_report *rep;
	json_t *rel, *js;
	char key[32];
	int i;

	(void)state;
	rel = release();
	for (i = 0; i < 300; i++) {
		assert_true(snprintf(key, sizeof(key), "x%d", i) > 0);
		set(rel, key, json_null());
	}
	rep = check(rel, NULL, now_default(), NULL);
	assert_int_equal(sd_release_report_count(rep), SD_RELEASE_FINDINGS_MAX);
	assert_int_equal(sd_release_report_errors(rep), 300);
	assert_non_null(js = sd_release_report_json(rep));
	assert_true(json_is_true(json_object_get(js, "truncated")));
	assert_int_equal(json_integer_value(json_object_get(js, "errors")), 300);
	assert_int_equal(json_array_size(json_object_get(js, "findings")),
	    SD_RELEASE_FINDINGS_MAX);
	json_decref(js);
	sd_release_report_free(rep);
	json_decref(rel);

	/* Findings are printable UTF-8 whatever a caller passes. */
	assert_non_null(rep = sd_release_report_new());
	assert_int_equal(sd_release_report_add(rep, SD_SEVERITY_WARNING,
	    "X", "/a\xff\xc3\xa9\x01", "m\xc3\x28\n"), 0);
	assert_string_equal(sd_release_report_get(rep, 0)->location,
	    "/a?\xc3\xa9?");
	assert_string_equal(sd_release_report_get(rep, 0)->message, "m?(?");
	assert_non_null(js = sd_release_report_json(rep));
	json_decref(js);
	sd_release_report_free(rep);
	sd_release_report_free(NULL);
}

static void
test_check_buf(void **state)
{
	static const struct {
		const char	*text;
		const char	*code;
		const char	*msg;
	} cases[] = {
		{ "", SD_RELEASE_NOT_JSON, "release.json is not valid JSON" },
		{ "{\"release_id\": \"a\", \"release_id\": \"b\"}",
		    SD_RELEASE_NOT_JSON, "duplicate object key" },
		{ "{\"release_id\": \"a\\u0000b\"}", SD_RELEASE_NOT_JSON,
		    "\\u0000" },
		{ "{\"a\": \"\xff\xfe\"}", SD_RELEASE_NOT_JSON,
		    "unable to decode byte" },
		{ "[]", SD_RELEASE_NOT_OBJECT,
		    "release.json must be a JSON object" },
		{ "\"release\"", SD_RELEASE_NOT_OBJECT, "must be a JSON object" },
	};
	struct sd_policy *pol = policy_with("{\"release_max_bytes\": 64}",
	    "arn:aws:states:us-east-1:000000000000:stateMachine:acme-*");
	struct sd_release_report *rep;
	json_t *rel = (json_t *)1, *js;
	char big[65];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(rep = sd_release_report_new());
		assert_int_equal(sd_release_check_buf(cases[i].text,
		    strlen(cases[i].text), pol, now_default(), NULL, rep,
		    &rel), 0);
		assert_null(rel);
		assert_int_equal(sd_release_report_count(rep), 1);
		assert_string_equal(sd_release_report_get(rep, 0)->code,
		    cases[i].code);
		assert_string_equal(sd_release_report_get(rep, 0)->location,
		    "");
		if (strstr(sd_release_report_get(rep, 0)->message,
		    cases[i].msg) == NULL)
			fail_msg("\"%s\" lacks \"%s\"",
			    sd_release_report_get(rep, 0)->message,
			    cases[i].msg);
		/* Always serialisable, whatever bytes the input held. */
		assert_non_null(js = sd_release_report_json(rep));
		json_decref(js);
		sd_release_report_free(rep);
	}
	/* 65 bytes with a 64-byte cap: not even parsed. */
	memset(big, ' ', sizeof(big));
	assert_non_null(rep = sd_release_report_new());
	assert_int_equal(sd_release_check_buf(big, sizeof(big), pol,
	    now_default(), NULL, rep, NULL), 0);
	expect_only(rep, SD_RELEASE_TOO_LARGE, "",
	    "release.json is 65 bytes, more than the 64 allowed");
	sd_policy_free(pol);

	/* The whole text, parsed and checked; the document handed back. */
	pol = example();
	assert_non_null(rep = sd_release_report_new());
	assert_int_equal(sd_release_check_buf(release_text,
	    strlen(release_text), pol, now_default(), NULL, rep, &rel), 0);
	assert_int_equal(sd_release_report_count(rep), 0);
	assert_non_null(rel);
	assert_string_equal(json_string_value(json_object_get(rel,
	    "release_id")), "r-2026-11-25-001");
	json_decref(rel);
	sd_release_report_free(rep);
	sd_policy_free(pol);
}

static void
test_parse(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *rel = NULL;

	(void)state;
	assert_int_equal(sd_release_parse("{\"a\": 1,}", 9, NULL, &rel, &err),
	    SD_ERR_PARSE);
	assert_null(rel);
	assert_string_equal(err.location, "");
	assert_non_null(strstr(err.message, "(line 1, column 9)"));
	sd_error_clear(&err);
	assert_int_equal(sd_release_parse("1", 1, NULL, &rel, &err),
	    SD_ERR_TYPE);
	sd_error_clear(&err);
	assert_int_equal(sd_release_parse(release_text, strlen(release_text),
	    NULL, &rel, &err), 0);
	assert_true(json_is_object(rel));
	json_decref(rel);
}

static void
canon(const char *text, char **out, unsigned char sha[32])
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *rel = NULL;
	size_t len = 0;

	if (sd_release_parse(text, strlen(text), NULL, &rel, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	assert_int_equal(sd_release_canonical(rel, out, &len, sha, &err), 0);
	assert_int_equal(len, strlen(*out));
	json_decref(rel);
}

static void
test_canonical(void **state)
{
	unsigned char a[32], b[32];
	char *ta = NULL, *tb = NULL, hex[65];
	struct sd_error err = SD_ERROR_INIT;
	json_t *rel, *copy;
	int i;

	(void)state;
	/* A known answer: sha256 of {"a":1,"b":[1.5,"é"]} (python hashlib). */
	canon("{ \"b\" : [ 1.50e0 , \"\\u00e9\" ] ,\n\t\"a\" : 1.0 }", &ta, a);
	assert_string_equal(ta, "{\"a\":1,\"b\":[1.5,\"\xc3\xa9\"]}");
	sd_release_sha256_hex(a, hex);
	assert_string_equal(hex, "2bb202b35963ad9e57f87e5828e072cc"
	    "53f4720ecd10a7d625f850411a31c4c6");
	free(ta);

	/* Key order and whitespace in the input do not change the hash. */
	canon(release_text, &ta, a);
	rel = release();
	assert_non_null(copy = json_object());
	{
		/* The same members inserted in reverse order, nested too. */
		const char *keys[32];
		const char *k;
		json_t *v;
		size_t n = 0;

		json_object_foreach(rel, k, v)
			keys[n++] = k;
		while (n-- > 0)
			assert_int_equal(json_object_set(copy, keys[n],
			    json_object_get(rel, keys[n])), 0);
	}
	assert_non_null(tb = json_dumps(copy, JSON_INDENT(7)));
	assert_non_null(strchr(tb, '\n'));
	json_decref(copy);
	{
		char *t2 = NULL;

		canon(tb, &t2, b);
		assert_string_equal(ta, t2);
		assert_memory_equal(a, b, 32);
		free(t2);
	}
	free(tb);
	tb = NULL;

	/* A changed value does. */
	set(rel, "config_name", json_string("productioN"));
	assert_int_equal(sd_release_canonical(rel, &tb, NULL, b, &err), 0);
	assert_memory_not_equal(a, b, 32);
	free(tb);
	tb = NULL;
	/* So does a change deep in the state machine. */
	set(rel, "config_name", json_string("production"));
	assert_int_equal(sd_release_canonical(rel, NULL, NULL, b, &err), 0);
	assert_memory_equal(a, b, 32);
	assert_int_equal(json_object_set_new(json_object_get(json_object_get(
	    json_object_get(rel, "state_machine"), "States"), "Hello"),
	    "Comment", json_string("x")), 0);
	assert_int_equal(sd_release_canonical(rel, NULL, NULL, b, &err), 0);
	assert_memory_not_equal(a, b, 32);
	free(ta);
	ta = NULL;
	json_decref(rel);

	/* 1 and 1.0 are one number; 1 and 2 are not. */
	canon("{\"n\": 1}", &ta, a);
	canon("{\"n\": 1.0}", &tb, b);
	assert_string_equal(ta, tb);
	assert_memory_equal(a, b, 32);
	free(tb);
	canon("{\"n\": 2}", &tb, b);
	assert_memory_not_equal(a, b, 32);
	free(tb);
	free(ta);
	ta = NULL;

	/* Only objects; text and len are optional. */
	for (i = 0; i < 2; i++) {
		json_t *v = i == 0 ? json_array() : json_string("x");

		assert_int_equal(sd_release_canonical(v, &ta, NULL, a, &err),
		    SD_ERR_TYPE);
		assert_null(ta);
		sd_error_clear(&err);
		json_decref(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_release_id),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_time_window),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_policy_rules),
		cmocka_unit_test(test_no_policy),
		cmocka_unit_test(test_many_findings),
		cmocka_unit_test(test_report_cap),
		cmocka_unit_test(test_check_buf),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
