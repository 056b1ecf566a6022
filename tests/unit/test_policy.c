/*
 * test_policy: the strict policy loader (exact codes and JSON-pointer
 * locations for each rule) and the policy queries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_policy.h"

#define EXAMPLE	"policy/policy.example.json"
#define P	"/projects/acme~1hello"

/* A fixed user database, so tests do not depend on /etc/passwd. */
static int
fake_users(void *arg, const char *name, uid_t *uid)
{
	static const struct {
		const char	*name;
		uid_t		 uid;
	} db[] = {
		{ "ci", 1001 },
		{ "stepdeploy-validator", 2001 },
		{ "stepdeploy-uploader", 2002 },
		{ "stepdeploy-signer", 2003 },
	};
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(db) / sizeof(db[0]); i++)
		if (strcmp(db[i].name, name) == 0) {
			*uid = db[i].uid;
			return 0;
		}
	return SD_ERR_NOTFOUND;
}

static const struct sd_policy_opts opts = { 0, fake_users, NULL };

static const char base_text[] =
    "{\"version\": 1,"
    " \"sockets\": {\"submit\": [\"ci\"], \"sign\": [2002]},"
    " \"projects\": {\"acme/hello\": {"
    "  \"submitters\": [\"ci\"],"
    "  \"configs\": [\"production\", \"staging\"],"
    "  \"accounts\": [\"000000000000\"],"
    "  \"regions\": [\"us-east-1\"],"
    "  \"bucket\": \"acme-stepdeploy\","
    "  \"lambda_arns\": ["
    "   \"arn:aws:lambda:us-east-1:000000000000:function:acme-hello\"],"
    "  \"state_machine_arns\": ["
    "   \"arn:aws:states:us-east-1:000000000000:stateMachine:acme-*\"]"
    " }}}";

static json_t *
base(void)
{
	json_error_t je;
	json_t *v;

	if ((v = json_loads(base_text, JSON_REJECT_DUPLICATES, &je)) == NULL)
		fail_msg("base policy: %s", je.text);
	return v;
}

/*
 * Set (value != NULL; stolen) or delete (value == NULL) the member at the
 * JSON pointer ptr of root. "/-" style appends are not needed here.
 */
static void
edit(json_t *root, const char *ptr, json_t *value)
{
	char buf[512], *seg, *next, *r, *w;
	json_t *cur = root, *parent = NULL;

	assert_true(strlen(ptr) < sizeof(buf));
	memcpy(buf, ptr, strlen(ptr) + 1);
	assert_true(buf[0] == '/');
	seg = buf + 1;
	for (;;) {
		next = strchr(seg, '/');
		if (next != NULL)
			*next = '\0';
		for (r = w = seg; *r != '\0'; r++, w++) {
			if (r[0] == '~' && r[1] == '1') {
				*w = '/';
				r++;
			} else if (r[0] == '~' && r[1] == '0') {
				*w = '~';
				r++;
			} else
				*w = *r;
		}
		*w = '\0';
		if (next == NULL)
			break;
		parent = cur;
		cur = json_is_array(parent) ?
		    json_array_get(parent, strtoul(seg, NULL, 10)) :
		    json_object_get(parent, seg);
		if (cur == NULL)
			fail_msg("edit: no %s in the document", ptr);
		seg = next + 1;
	}
	if (json_is_array(cur)) {
		size_t i = strtoul(seg, NULL, 10);

		if (value == NULL)
			assert_int_equal(json_array_remove(cur, i), 0);
		else if (i == json_array_size(cur))
			assert_int_equal(json_array_append_new(cur, value), 0);
		else
			assert_int_equal(json_array_set_new(cur, i, value), 0);
	} else if (value == NULL)
		assert_int_equal(json_object_del(cur, seg), 0);
	else
		assert_int_equal(json_object_set_new(cur, seg, value), 0);
}

static int
load_json(const json_t *root, struct sd_policy **pol, struct sd_error *err)
{
	char *text;
	int r;

	assert_non_null(text = json_dumps(root, 0));
	r = sd_policy_load_buf(text, strlen(text), &opts, pol, err);
	free(text);
	return r;
}

static struct sd_policy *
load_ok(json_t *root)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;

	if (load_json(root, &pol, &err) != 0)
		fail_msg("policy did not load: %s", sd_error_text(&err));
	sd_error_clear(&err);
	json_decref(root);
	assert_non_null(pol);
	return pol;
}

/* Load root (consumed) and expect exactly code, location and message;
 * msg starting with '*' matches a substring. */
static void
expect_fail(json_t *root, int code, const char *loc, const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	int r;

	r = load_json(root, &pol, &err);
	json_decref(root);
	assert_null(pol);
	if (r != code)
		fail_msg("got %d (%s), want %d", r, sd_error_text(&err), code);
	assert_int_equal(err.code, code);
	if (loc == NULL)
		assert_null(err.location);
	else {
		assert_non_null(err.location);
		assert_string_equal(err.location, loc);
	}
	assert_non_null(err.message);
	if (msg[0] == '*') {
		if (strstr(err.message, msg + 1) == NULL)
			fail_msg("message \"%s\" lacks \"%s\"", err.message,
			    msg + 1);
	} else
		assert_string_equal(err.message, msg);
	sd_error_clear(&err);
}

static void
expect_text_fail(const char *text, int code, const char *loc, const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;

	assert_int_equal(sd_policy_load_buf(text, strlen(text), &opts, &pol,
	    &err), code);
	assert_null(pol);
	if (loc == NULL)
		assert_null(err.location);
	else
		assert_string_equal(err.location, loc);
	if (strstr(err.message, msg) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, msg);
	sd_error_clear(&err);
}

/* ------------------------------------------------------------ tests */

static void
test_example_loads(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	const struct sd_policy_project *p;
	const struct sd_policy_limits *g, *l;
	json_t *tags;
	char url[128];

	(void)state;
	if (sd_policy_load_opts(EXAMPLE, &opts, &pol, &err) != 0)
		fail_msg("%s: %s", EXAMPLE, sd_error_text(&err));
	assert_int_equal(sd_policy_version(pol), 1);
	assert_string_equal(sd_policy_credentials_file(pol),
	    "/etc/stepdeploy/credentials");
	assert_int_equal(sd_policy_lock_lease_seconds(pol), 900);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SUBMIT,
	    1001, NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_EXEC,
	    2001, NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_DEPLOY,
	    2001, NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SIGN,
	    2002, NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SIGN,
	    1001, &err), SD_ERR_INVALID);
	assert_string_equal(err.message, "uid 1001 may not connect to "
	    "sign.sock");
	sd_error_clear(&err);

	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_S3,
	    "us-east-1", url, sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:4566");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_STATES,
	    "us-east-1", url, sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:4568");

	assert_int_equal(sd_policy_project_count(pol), 1);
	assert_non_null(p = sd_policy_project(pol, "acme/hello"));
	assert_ptr_equal(p, sd_policy_project_at(pol, 0));
	assert_null(sd_policy_project_at(pol, 1));
	assert_null(sd_policy_project(pol, "acme/other"));
	assert_string_equal(sd_policy_project_name(p), "acme/hello");
	assert_string_equal(sd_policy_project_bucket(p), "acme-stepdeploy");
	assert_true(sd_policy_project_has_config(p, "production"));
	assert_false(sd_policy_project_has_config(p, "staging"));
	assert_true(sd_policy_project_has_account(p, "000000000000"));
	assert_true(sd_policy_project_has_region(p, "us-east-1"));
	assert_false(sd_policy_project_has_region(p, "us-west-2"));
	assert_true(sd_policy_project_has_submitter(p, 1001));
	assert_false(sd_policy_project_has_submitter(p, 2001));

	assert_int_equal(sd_policy_project_tags(p, "production", &tags), 0);
	assert_int_equal(json_object_size(tags), 3);
	assert_string_equal(json_string_value(json_object_get(tags,
	    "ProjectName")), "acme/hello");
	assert_string_equal(json_string_value(json_object_get(tags,
	    "ConfigName")), "production");
	assert_string_equal(json_string_value(json_object_get(tags,
	    "DeployWith")), "stepdeploy");
	json_decref(tags);

	g = sd_policy_limits(pol, NULL);
	l = sd_policy_limits(pol, p);
	assert_int_equal(g->zip_max_bytes, 52428800);
	assert_int_equal(l->zip_max_bytes, 10485760);
	assert_int_equal(l->zip_unzipped_max_bytes, 262144000);
	assert_int_equal(l->release_max_age_seconds, 86400);

	assert_int_equal(sd_policy_may_submit(pol, 1001, "acme/hello",
	    "production", NULL), 0);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_LAMBDA,
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello",
	    NULL), 0);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE,
	    "arn:aws:states:us-east-1:000000000000:stateMachine:acme-hello",
	    NULL), 0);
	sd_policy_free(pol);
}

static void
test_example_unknown_users(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	struct sd_policy_opts keep = { SD_POLICY_KEEP_UNKNOWN_USERS, NULL,
	    NULL };
	struct sd_policy_opts strict = { 0, fake_users, NULL };
	char text[] = "{\"version\":1,\"sockets\":{\"exec\":[\"nosuchuser\"]},"
	    "\"projects\":{}}";

	(void)state;
	/* The real user database has no "nosuchuser". */
	assert_int_equal(sd_policy_load_buf(text, strlen(text), NULL, &pol,
	    &err), SD_ERR_NOTFOUND);
	assert_string_equal(err.location, "/sockets/exec/0");
	assert_string_equal(err.message, "no such user \"nosuchuser\"");
	sd_error_clear(&err);
	assert_int_equal(sd_policy_load_buf(text, strlen(text), &strict, &pol,
	    &err), SD_ERR_NOTFOUND);
	sd_error_clear(&err);
	/* Kept, but it admits nobody. */
	assert_int_equal(sd_policy_load_buf(text, strlen(text), &keep, &pol,
	    &err), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_EXEC, 0,
	    NULL), SD_ERR_INVALID);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_EXEC,
	    (uid_t)-1, NULL), SD_ERR_INVALID);
	sd_policy_free(pol);
}

static void
test_getpwnam(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	char text[] = "{\"version\":1,\"sockets\":{\"sign\":[\"root\", 7]},"
	    "\"projects\":{}}";

	(void)state;
	/* root is uid 0 on every system; NULL options use getpwnam_r. */
	if (sd_policy_load_buf(text, strlen(text), NULL, &pol, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SIGN, 0,
	    NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SIGN, 7,
	    NULL), 0);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SUBMIT, 0,
	    NULL), SD_ERR_INVALID);
	sd_policy_free(pol);
}

static void
test_aws_settings(void **state)
{
	struct sd_policy *pol;
	const struct sd_policy_aws *a;
	json_t *r;

	(void)state;
	pol = load_ok(base());
	a = sd_policy_aws(pol);
	assert_int_equal(a->attempts, 0);	/* the client's defaults */
	assert_int_equal(a->request_timeout_ms, 0);
	sd_policy_free(pol);

	r = base();
	edit(r, "/aws", json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i}",
	    "connect_timeout_ms", 100, "request_timeout_ms", 200, "attempts",
	    3, "backoff_base_ms", 1, "backoff_max_ms", 5, "poll_interval_ms",
	    10, "poll_timeout_ms", 1000));
	pol = load_ok(r);
	a = sd_policy_aws(pol);
	assert_int_equal(a->connect_timeout_ms, 100);
	assert_int_equal(a->request_timeout_ms, 200);
	assert_int_equal(a->attempts, 3);
	assert_int_equal(a->backoff_base_ms, 1);
	assert_int_equal(a->backoff_max_ms, 5);
	assert_int_equal(a->poll_interval_ms, 10);
	assert_int_equal(a->poll_timeout_ms, 1000);
	sd_policy_free(pol);

	r = base();
	edit(r, "/aws", json_pack("{s:i}", "attempts", 0));
	expect_fail(r, SD_ERR_OVERFLOW, "/aws/attempts",
	    "must be between 1 and 100");
	r = base();
	edit(r, "/aws", json_pack("{s:s}", "poll_timeout_ms", "1"));
	expect_fail(r, SD_ERR_TYPE, "/aws/poll_timeout_ms",
	    "expected an integer");
	r = base();
	edit(r, "/aws", json_pack("{s:i}", "retries", 1));
	expect_fail(r, SD_ERR_INVALID, "/aws/retries", "unknown field");
}

static void
test_defaults(void **state)
{
	struct sd_policy *pol = load_ok(base());
	const struct sd_policy_project *p;
	const struct sd_policy_limits *l;
	json_t *tags;
	char url[128];

	(void)state;
	assert_string_equal(sd_policy_credentials_file(pol),
	    SD_POLICY_DEFAULT_CREDENTIALS);
	assert_int_equal(sd_policy_lock_lease_seconds(pol), 900);
	l = sd_policy_limits(pol, NULL);
	assert_memory_equal(l, &sd_policy_default_limits, sizeof(*l));
	assert_non_null(p = sd_policy_project(pol, "acme/hello"));
	assert_memory_equal(sd_policy_limits(pol, p), l, sizeof(*l));
	assert_int_equal(l->zip_max_bytes, 52428800);
	assert_int_equal(l->zip_unzipped_max_bytes, 262144000);
	assert_int_equal(l->zip_max_entries, 10000);
	assert_int_equal(l->zip_max_ratio, 100);
	assert_int_equal(l->release_max_bytes, 2097152);
	assert_int_equal(l->definition_max_bytes, 1048576);
	assert_int_equal(l->definition_max_states, 10000);
	assert_int_equal(l->metadata_max_bytes, 16384);
	assert_int_equal(l->tests_max_bytes, 8388608);
	assert_int_equal(l->tests_max_count, 1000);
	assert_int_equal(l->tests_min_count, 1);
	assert_int_equal(l->release_max_age_seconds, 86400);
	assert_int_equal(l->release_future_skew_seconds, 300);
	/* No policy at all: the built-in defaults. */
	assert_ptr_equal(sd_policy_limits(NULL, NULL),
	    &sd_policy_default_limits);

	/* AWS's endpoints by region. */
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_S3,
	    "eu-west-1", url, sizeof(url)), 0);
	assert_string_equal(url, "https://s3.eu-west-1.amazonaws.com");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_LAMBDA,
	    "us-east-1", url, sizeof(url)), 0);
	assert_string_equal(url, "https://lambda.us-east-1.amazonaws.com");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_STATES,
	    "cn-north-1", url, sizeof(url)), 0);
	assert_string_equal(url, "https://states.cn-north-1.amazonaws.com.cn");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_STATES,
	    "nowhere", url, sizeof(url)), SD_ERR_INVALID);
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_STATES,
	    "us-east-1", url, 10), SD_ERR_OVERFLOW);
	assert_string_equal(url, "");

	/* Sockets not named admit nobody; a uid written as a number. */
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_EXEC,
	    2001, NULL), SD_ERR_INVALID);
	assert_int_equal(sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SIGN,
	    2002, NULL), 0);

	/* Default required tags. */
	assert_int_equal(sd_policy_project_tags(p, "staging", &tags), 0);
	assert_int_equal(json_object_size(tags), 3);
	assert_string_equal(json_string_value(json_object_get(tags,
	    "ConfigName")), "staging");
	assert_string_equal(json_string_value(json_object_get(tags,
	    "DeployWith")), "stepdeploy");
	json_decref(tags);
	assert_int_equal(sd_policy_project_tags(p, "bad config", &tags),
	    SD_ERR_INVALID);
	assert_null(tags);
	sd_policy_free(pol);
}

static void
test_not_json(void **state)
{
	(void)state;
	expect_text_fail("", SD_ERR_PARSE, NULL, "policy is not valid JSON");
	expect_text_fail("{\"version\": 1,", SD_ERR_PARSE, NULL,
	    "policy is not valid JSON (line 1, column 14)");
	expect_text_fail("{\"version\": 1, \"version\": 1, \"projects\": {}}",
	    SD_ERR_PARSE, NULL, "duplicate object key");
	expect_text_fail("{\"version\": 1, \"projects\": {\"a/b\": "
	    "{\"bucket\": \"x\\u0000\"}}}", SD_ERR_PARSE, NULL, "\\u0000");
	expect_text_fail("{\"version\": 1, \"projects\": {\"a\\u0000/b\": {}}}",
	    SD_ERR_PARSE, NULL, "\\u0000");
	expect_text_fail("[1]", SD_ERR_TYPE, "", "expected an object");
	expect_text_fail("1", SD_ERR_TYPE, "", "expected an object");
	expect_text_fail("{\"version\": 1, \"projects\": {}} x", SD_ERR_PARSE,
	    NULL, "end of file expected");
}

static void
test_unknown_fields(void **state)
{
	json_t *r;

	(void)state;
	r = base();
	edit(r, "/bogus", json_true());
	expect_fail(r, SD_ERR_INVALID, "/bogus", "unknown field");
	r = base();
	edit(r, "/sockets/ssh", json_array());
	expect_fail(r, SD_ERR_INVALID, "/sockets/ssh", "unknown field");
	r = base();
	edit(r, "/endpoints", json_pack("{s:s}", "ec2", "https://x.y"));
	expect_fail(r, SD_ERR_INVALID, "/endpoints/ec2", "unknown field");
	r = base();
	edit(r, "/lock", json_pack("{s:i}", "ttl", 5));
	expect_fail(r, SD_ERR_INVALID, "/lock/ttl", "unknown field");
	r = base();
	edit(r, "/limits", json_pack("{s:i}", "zip_max", 5));
	expect_fail(r, SD_ERR_INVALID, "/limits/zip_max", "unknown field");
	r = base();
	edit(r, P "/bucket_name", json_string("x"));
	expect_fail(r, SD_ERR_INVALID, P "/bucket_name", "unknown field");
	r = base();
	edit(r, P "/limits", json_pack("{s:i}", "a/b~c", 5));
	expect_fail(r, SD_ERR_INVALID, P "/limits/a~1b~0c", "unknown field");
}

static void
test_version(void **state)
{
	json_t *r;

	(void)state;
	r = base();
	edit(r, "/version", NULL);
	expect_fail(r, SD_ERR_INVALID, "/version",
	    "required field is missing");
	r = base();
	edit(r, "/version", json_string("1"));
	expect_fail(r, SD_ERR_TYPE, "/version", "expected an integer");
	r = base();
	edit(r, "/version", json_real(1.0));
	expect_fail(r, SD_ERR_TYPE, "/version", "expected an integer");
	r = base();
	edit(r, "/version", json_integer(2));
	expect_fail(r, SD_ERR_INVALID, "/version",
	    "unsupported policy version 2 (this build reads 1)");
	r = base();
	edit(r, "/projects", NULL);
	expect_fail(r, SD_ERR_INVALID, "/projects",
	    "required field is missing");
	r = base();
	edit(r, "/projects", json_array());
	expect_fail(r, SD_ERR_TYPE, "/projects", "expected an object");
	/* No projects at all is a valid (if useless) policy. */
	r = base();
	edit(r, "/projects", json_object());
	sd_policy_free(load_ok(r));
}

static void
test_types(void **state)
{
	json_t *r;

	(void)state;
	r = base();
	edit(r, P "/configs/0", json_integer(5));
	expect_fail(r, SD_ERR_TYPE, P "/configs/0", "expected a string");
	r = base();
	edit(r, P "/configs", json_string("production"));
	expect_fail(r, SD_ERR_TYPE, P "/configs", "expected an array");
	r = base();
	edit(r, P "/bucket", json_array());
	expect_fail(r, SD_ERR_TYPE, P "/bucket", "expected a string");
	r = base();
	edit(r, P, json_array());
	expect_fail(r, SD_ERR_TYPE, P, "expected an object");
	r = base();
	edit(r, P "/accounts/0", json_integer(0));
	expect_fail(r, SD_ERR_TYPE, P "/accounts/0", "expected a string");
	r = base();
	edit(r, P "/regions/1", json_null());
	expect_fail(r, SD_ERR_TYPE, P "/regions/1", "expected a string");
	r = base();
	edit(r, P "/lambda_arns/0", json_false());
	expect_fail(r, SD_ERR_TYPE, P "/lambda_arns/0", "expected a string");
	r = base();
	edit(r, P "/tags", json_pack("{s:i}", "ProjectName", 1));
	expect_fail(r, SD_ERR_TYPE, P "/tags/ProjectName", "expected a string");
	r = base();
	edit(r, P "/tags", json_array());
	expect_fail(r, SD_ERR_TYPE, P "/tags", "expected an object");
	r = base();
	edit(r, "/sockets/submit/0", json_true());
	expect_fail(r, SD_ERR_TYPE, "/sockets/submit/0",
	    "expected a user name or a uid");
	r = base();
	edit(r, "/sockets/submit", json_string("ci"));
	expect_fail(r, SD_ERR_TYPE, "/sockets/submit", "expected an array");
	r = base();
	edit(r, "/sockets", json_array());
	expect_fail(r, SD_ERR_TYPE, "/sockets", "expected an object");
	r = base();
	edit(r, "/credentials_file", json_integer(1));
	expect_fail(r, SD_ERR_TYPE, "/credentials_file", "expected a string");
	r = base();
	edit(r, "/endpoints", json_pack("{s:i}", "s3", 4566));
	expect_fail(r, SD_ERR_TYPE, "/endpoints/s3", "expected a string");
	r = base();
	edit(r, "/lock", json_pack("{s:s}", "lease_seconds", "900"));
	expect_fail(r, SD_ERR_TYPE, "/lock/lease_seconds",
	    "expected an integer");
	r = base();
	edit(r, "/limits", json_pack("{s:f}", "zip_max_bytes", 1.5));
	expect_fail(r, SD_ERR_TYPE, "/limits/zip_max_bytes",
	    "expected an integer");
	r = base();
	edit(r, "/limits", json_integer(1));
	expect_fail(r, SD_ERR_TYPE, "/limits", "expected an object");
}

static void
test_required_project_fields(void **state)
{
	static const char *const req[] = { "submitters", "configs",
	    "accounts", "regions", "bucket", "lambda_arns",
	    "state_machine_arns" };
	char ptr[128];
	json_t *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(req) / sizeof(req[0]); i++) {
		assert_true(snprintf(ptr, sizeof(ptr), P "/%s", req[i]) > 0);
		r = base();
		edit(r, ptr, NULL);
		expect_fail(r, SD_ERR_INVALID, ptr,
		    "required field is missing");
	}
	/* Optional ones: tags and limits. */
	r = base();
	edit(r, P "/tags", json_object());
	sd_policy_free(load_ok(r));
	/* Empty lists: submitters may be, the others may not. */
	r = base();
	edit(r, P "/submitters", json_array());
	sd_policy_free(load_ok(r));
	r = base();
	edit(r, P "/configs", json_array());
	expect_fail(r, SD_ERR_INVALID, P "/configs", "must not be empty");
	r = base();
	edit(r, P "/lambda_arns", json_array());
	expect_fail(r, SD_ERR_INVALID, P "/lambda_arns", "must not be empty");
}

static void
test_value_syntax(void **state)
{
	json_t *r;

	(void)state;
	r = base();
	edit(r, P "/configs/1", json_string("prod uction"));
	expect_fail(r, SD_ERR_INVALID, P "/configs/1",
	    "not a valid config name ([A-Za-z0-9][A-Za-z0-9._-]{0,63})");
	r = base();
	edit(r, P "/configs/1", json_string("production"));
	expect_fail(r, SD_ERR_INVALID, P "/configs/1",
	    "duplicate of " P "/configs/0");
	r = base();
	edit(r, P "/accounts/0", json_string("00000000000"));
	expect_fail(r, SD_ERR_INVALID, P "/accounts/0",
	    "not a valid AWS account id (12 digits)");
	r = base();
	edit(r, P "/accounts/0", json_string("00000000000a"));
	expect_fail(r, SD_ERR_INVALID, P "/accounts/0",
	    "not a valid AWS account id (12 digits)");
	r = base();
	edit(r, P "/regions/0", json_string("US-EAST-1"));
	expect_fail(r, SD_ERR_INVALID, P "/regions/0",
	    "not a valid AWS region (like us-east-1)");
	r = base();
	edit(r, P "/bucket", json_string("Acme"));
	expect_fail(r, SD_ERR_INVALID, P "/bucket", "*not a valid S3 bucket");
	r = base();
	edit(r, P "/bucket", json_string("192.168.1.1"));
	expect_fail(r, SD_ERR_INVALID, P "/bucket", "*not a valid S3 bucket");
	r = base();
	edit(r, "/credentials_file", json_string("credentials"));
	expect_fail(r, SD_ERR_INVALID, "/credentials_file",
	    "expected an absolute path");
	r = base();
	edit(r, "/credentials_file", json_string("/etc/stepdeploy/aws"));
	{
		struct sd_policy *pol = load_ok(r);

		assert_string_equal(sd_policy_credentials_file(pol),
		    "/etc/stepdeploy/aws");
		sd_policy_free(pol);
	}
}

static void
test_project_keys(void **state)
{
	json_t *r, *proj;

	(void)state;
	r = base();
	proj = json_deep_copy(json_object_get(json_object_get(r, "projects"),
	    "acme/hello"));
	edit(r, "/projects/acme", proj);
	expect_fail(r, SD_ERR_INVALID, "/projects/acme",
	    "*not a valid project name (OWNER/NAME");
	r = base();
	proj = json_deep_copy(json_object_get(json_object_get(r, "projects"),
	    "acme/hello"));
	edit(r, "/projects/a~1b~1c", proj);
	expect_fail(r, SD_ERR_INVALID, "/projects/a~1b~1c",
	    "*not a valid project name");
	r = base();
	proj = json_deep_copy(json_object_get(json_object_get(r, "projects"),
	    "acme/hello"));
	edit(r, "/projects/-acme~1x", proj);
	expect_fail(r, SD_ERR_INVALID, "/projects/-acme~1x",
	    "*not a valid project name");
	/* Two projects: both load, found by name. */
	r = base();
	proj = json_deep_copy(json_object_get(json_object_get(r, "projects"),
	    "acme/hello"));
	edit(r, "/projects/acme~1bye", proj);
	{
		struct sd_policy *pol = load_ok(r);

		assert_int_equal(sd_policy_project_count(pol), 2);
		assert_string_equal(sd_policy_project_name(
		    sd_policy_project_at(pol, 0)), "acme/bye");
		assert_non_null(sd_policy_project(pol, "acme/hello"));
		assert_non_null(sd_policy_project(pol, "acme/bye"));
		assert_null(sd_policy_project(pol, "acme/hello2"));
		sd_policy_free(pol);
	}
}

static void
test_arn_patterns(void **state)
{
	static const struct {
		const char	*arn;
		const char	*msg;
	} bad[] = {
		{ "*", "does not start with \"arn:\"" },
		{ "arn:aws:lambda:*", "region is missing or malformed" },
		{ "arn:aws:lambda:us-east-1:*", "account is missing or "
		    "malformed" },
		{ "arn:aws:lambda:us-east-1:000000000000:*",
		    "resource type is not function" },
		{ "arn:aws:states:us-east-1:000000000000:function:x",
		    "service is not lambda" },
		{ "arn:aws:lambda:us-east-1:000000000000:function:a*b",
		    "name is not valid ('*' may only end the pattern)" },
		{ "arn:aws:lambda:us-east-1:000000000000:function:a*b*",
		    "'*' may only end the pattern, after name characters" },
		{ "arn:aws:lambda:us-east-1:000000000000:function:x:prod",
		    "name is not valid ('*' may only end the pattern)" },
		{ "arn:aws:lambda:us-east-1:000000000000:function:",
		    "name is not valid ('*' may only end the pattern)" },
		{ "arn:aws-cn:lambda:us-east-1:000000000000:function:x",
		    "partition does not match the region" },
		{ "arn:aws:lambda:cn-north-1:000000000000:function:x",
		    "partition does not match the region" },
		{ "arn:gcp:lambda:us-east-1:000000000000:function:x",
		    "partition is not aws, aws-cn or aws-us-gov" },
		{ "arn:aws:lambda:us-east-1:00000000000:function:x",
		    "account is missing or malformed" },
	};
	char msg[256];
	json_t *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = base();
		edit(r, P "/lambda_arns/0", json_string(bad[i].arn));
		assert_true(snprintf(msg, sizeof(msg), "not a valid Lambda "
		    "function ARN pattern: %s", bad[i].msg) > 0);
		expect_fail(r, SD_ERR_INVALID, P "/lambda_arns/0", msg);
	}
	r = base();
	edit(r, P "/state_machine_arns/0",
	    json_string("arn:aws:states:us-east-1:000000000000:function:x"));
	expect_fail(r, SD_ERR_INVALID, P "/state_machine_arns/0",
	    "not a valid state machine ARN pattern: resource type is not "
	    "stateMachine");
	r = base();
	edit(r, P "/state_machine_arns/1",
	    json_string("arn:aws:states:us-east-1:000000000000:stateMachine:"
	    "a b"));
	expect_fail(r, SD_ERR_INVALID, P "/state_machine_arns/1",
	    "*name is not valid");
	/* Valid: all functions of one account and region; GovCloud. */
	r = base();
	edit(r, P "/lambda_arns/1",
	    json_string("arn:aws:lambda:us-east-1:000000000000:function:*"));
	edit(r, P "/lambda_arns/2",
	    json_string("arn:aws-us-gov:lambda:us-gov-west-1:000000000000:"
	    "function:x"));
	sd_policy_free(load_ok(r));
}

static void
test_arn_allowed(void **state)
{
	struct sd_error why = SD_ERROR_INIT;
	struct sd_policy *pol = load_ok(base());
	const char *sm = "arn:aws:states:us-east-1:000000000000:stateMachine:";
	char arn[256];

	(void)state;
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_LAMBDA,
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello",
	    &why), 0);
	/* Exact pattern: no prefix match. */
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_LAMBDA,
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello2",
	    &why), SD_ERR_INVALID);
	assert_string_equal(why.message, "project acme/hello may not change "
	    "Lambda function arn:aws:lambda:us-east-1:000000000000:function:"
	    "acme-hello2");
	sd_error_clear(&why);
	/* The kind matters: a function ARN is not a state machine one. */
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE,
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello",
	    NULL), SD_ERR_INVALID);
	/* Trailing '*': a prefix. */
	assert_true(snprintf(arn, sizeof(arn), "%sacme-", sm) > 0);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE, arn, NULL), 0);
	assert_true(snprintf(arn, sizeof(arn), "%sacme-anything", sm) > 0);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE, arn, NULL), 0);
	assert_true(snprintf(arn, sizeof(arn), "%sacme", sm) > 0);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE, arn, NULL), SD_ERR_INVALID);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/hello",
	    SD_POLICY_ARN_STATE_MACHINE,
	    "arn:aws:states:us-east-1:000000000001:stateMachine:acme-x",
	    NULL), SD_ERR_INVALID);
	assert_int_equal(sd_policy_arn_allowed(pol, "acme/nope",
	    SD_POLICY_ARN_LAMBDA, "arn:x", &why), SD_ERR_NOTFOUND);
	assert_string_equal(why.message, "no project \"acme/nope\" in the "
	    "policy");
	sd_error_clear(&why);
	sd_policy_free(pol);
}

static void
test_may_submit(void **state)
{
	struct sd_error why = SD_ERROR_INIT;
	struct sd_policy *pol = load_ok(base());

	(void)state;
	assert_int_equal(sd_policy_may_submit(pol, 1001, "acme/hello",
	    "staging", &why), 0);
	assert_int_equal(sd_policy_may_submit(pol, 1002, "acme/hello",
	    "staging", &why), SD_ERR_INVALID);
	assert_string_equal(why.message, "uid 1002 may not submit releases "
	    "of acme/hello");
	assert_null(why.location);
	sd_error_clear(&why);
	assert_int_equal(sd_policy_may_submit(pol, 1001, "acme/hello",
	    "dev", &why), SD_ERR_INVALID);
	assert_string_equal(why.message, "config \"dev\" is not allowed for "
	    "project acme/hello");
	sd_error_clear(&why);
	assert_int_equal(sd_policy_may_submit(pol, 1001, "acme/x\n",
	    "staging", &why), SD_ERR_NOTFOUND);
	/* Hostile names are made printable in messages. */
	assert_string_equal(why.message, "no project \"acme/x?\" in the "
	    "policy");
	sd_error_clear(&why);
	assert_int_equal(sd_policy_may_submit(pol, 1001, NULL, NULL, &why),
	    SD_ERR_NOTFOUND);
	sd_error_clear(&why);
	sd_policy_free(pol);
}

static void
test_users(void **state)
{
	json_t *r;

	(void)state;
	r = base();
	edit(r, "/sockets/submit/1", json_string("mallory"));
	expect_fail(r, SD_ERR_NOTFOUND, "/sockets/submit/1",
	    "no such user \"mallory\"");
	r = base();
	edit(r, P "/submitters/0", json_string("-ci"));
	expect_fail(r, SD_ERR_INVALID, P "/submitters/0",
	    "*not a valid user name");
	r = base();
	edit(r, P "/submitters/0", json_string(""));
	expect_fail(r, SD_ERR_INVALID, P "/submitters/0",
	    "*not a valid user name");
	r = base();
	edit(r, P "/submitters/0", json_integer(-1));
	expect_fail(r, SD_ERR_OVERFLOW, P "/submitters/0",
	    "must be between 0 and 4294967294");
	r = base();
	edit(r, P "/submitters/0", json_integer(4294967295LL));
	expect_fail(r, SD_ERR_OVERFLOW, P "/submitters/0",
	    "must be between 0 and 4294967294");
	r = base();
	edit(r, P "/submitters/0", json_integer(4294967294LL));
	sd_policy_free(load_ok(r));
}

static void
test_limits(void **state)
{
	struct sd_policy *pol;
	const struct sd_policy_project *p;
	json_t *r;

	(void)state;
	r = base();
	edit(r, "/limits", json_pack("{s:i}", "zip_max_bytes", 0));
	expect_fail(r, SD_ERR_OVERFLOW, "/limits/zip_max_bytes",
	    "must be between 1 and 1099511627776");
	r = base();
	edit(r, "/limits", json_pack("{s:i}", "release_future_skew_seconds",
	    -1));
	expect_fail(r, SD_ERR_OVERFLOW, "/limits/release_future_skew_seconds",
	    "must be between 0 and 86400");
	r = base();
	edit(r, P "/limits", json_pack("{s:i}", "zip_max_ratio", 100001));
	expect_fail(r, SD_ERR_OVERFLOW, P "/limits/zip_max_ratio",
	    "must be between 1 and 100000");
	r = base();
	edit(r, "/lock", json_pack("{s:i}", "lease_seconds", 5));
	expect_fail(r, SD_ERR_OVERFLOW, "/lock/lease_seconds",
	    "must be between 10 and 86400");

	/*
	 * Global limits apply to projects whatever the order in the file
	 * ("limits" after "projects" here); a project's own win.
	 */
	r = base();
	edit(r, P "/limits", json_pack("{s:i}", "tests_max_count", 7));
	edit(r, "/limits", json_pack("{s:i, s:i}", "tests_max_count", 50,
	    "metadata_max_bytes", 99));
	edit(r, "/lock", json_pack("{s:i}", "lease_seconds", 60));
	pol = load_ok(r);
	p = sd_policy_project(pol, "acme/hello");
	assert_int_equal(sd_policy_limits(pol, NULL)->tests_max_count, 50);
	assert_int_equal(sd_policy_limits(pol, p)->tests_max_count, 7);
	assert_int_equal(sd_policy_limits(pol, p)->metadata_max_bytes, 99);
	assert_int_equal(sd_policy_limits(pol, p)->zip_max_entries, 10000);
	assert_int_equal(sd_policy_lock_lease_seconds(pol), 60);
	sd_policy_free(pol);
}

static void
test_endpoints(void **state)
{
	static const struct {
		const char	*url;
		const char	*msg;
	} bad[] = {
		{ "http://example.com", "plain http is allowed only for a "
		    "loopback host (127.0.0.1, [::1], localhost)" },
		{ "http://127.0.0.1.example.com", "plain http is allowed only "
		    "for a loopback host (127.0.0.1, [::1], localhost)" },
		{ "ftp://127.0.0.1", "must start with https:// (or http:// "
		    "for a loopback host)" },
		{ "https://", "host is missing" },
		{ "https://s3.example.com/bucket", "only scheme://host[:port] "
		    "(no path, query, user or fragment)" },
		{ "https://user@s3.example.com", "only scheme://host[:port] "
		    "(no path, query, user or fragment)" },
		{ "https://s3.example.com:0", "port is not 1-65535" },
		{ "https://s3.example.com:65536", "port is not 1-65535" },
		{ "https://s3.example.com:", "port is not 1-65535" },
		{ "https://-s3.example.com", "host must start and end with a "
		    "letter or digit" },
		{ "https://[zz]", "malformed IPv6 address" },
	};
	enum sd_policy_service svc;
	struct sd_policy *pol;
	char url[128];
	json_t *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = base();
		edit(r, "/endpoints", json_pack("{s:s}", "lambda", bad[i].url));
		expect_fail(r, SD_ERR_INVALID, "/endpoints/lambda", bad[i].msg);
	}
	/* One host:port per service: the signer tells them apart by it. */
	r = base();
	edit(r, "/endpoints", json_pack("{s:s, s:s}", "s3",
	    "http://127.0.0.1:4566", "states", "http://127.0.0.1:4566/"));
	expect_fail(r, SD_ERR_INVALID, "/endpoints/states", "same host and "
	    "port as s3; the signer tells services apart by host");

	r = base();
	edit(r, "/endpoints", json_pack("{s:s, s:s, s:s}",
	    "s3", "http://127.0.0.1:4566/",
	    "lambda", "https://Lambda.Example.com:443",
	    "states", "http://[::1]:8080"));
	pol = load_ok(r);
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_S3, NULL, url,
	    sizeof(url)), 0);
	assert_string_equal(url, "http://127.0.0.1:4566");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_LAMBDA, NULL,
	    url, sizeof(url)), 0);
	assert_string_equal(url, "https://lambda.example.com");
	assert_int_equal(sd_policy_endpoint(pol, SD_POLICY_SVC_STATES, NULL,
	    url, sizeof(url)), 0);
	assert_string_equal(url, "http://[::1]:8080");

	assert_int_equal(sd_policy_host_service(pol, "127.0.0.1:4566",
	    "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_S3);
	assert_int_equal(sd_policy_host_service(pol, "LAMBDA.example.com",
	    "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_LAMBDA);
	assert_int_equal(sd_policy_host_service(pol, "lambda.example.com:443",
	    "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_LAMBDA);
	assert_int_equal(sd_policy_host_service(pol, "[::1]:8080",
	    "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_STATES);
	assert_int_equal(sd_policy_host_service(pol, "127.0.0.1:4567",
	    "us-east-1", &svc), SD_ERR_NOTFOUND);
	assert_int_equal(sd_policy_host_service(pol, "127.0.0.1",
	    "us-east-1", &svc), SD_ERR_NOTFOUND);
	/* Configured services no longer answer to AWS's names. */
	assert_int_equal(sd_policy_host_service(pol,
	    "lambda.us-east-1.amazonaws.com", "us-east-1", &svc),
	    SD_ERR_NOTFOUND);
	sd_policy_free(pol);

	pol = load_ok(base());
	assert_int_equal(sd_policy_host_service(pol,
	    "states.us-east-1.amazonaws.com", "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_STATES);
	assert_int_equal(sd_policy_host_service(pol,
	    "s3.us-east-1.amazonaws.com:443", "us-east-1", &svc), 0);
	assert_int_equal(svc, SD_POLICY_SVC_S3);
	assert_int_equal(sd_policy_host_service(pol,
	    "s3.us-east-1.amazonaws.com:80", "us-east-1", &svc),
	    SD_ERR_NOTFOUND);
	assert_int_equal(sd_policy_host_service(pol,
	    "s3.us-west-2.amazonaws.com", "us-east-1", &svc), SD_ERR_NOTFOUND);
	assert_int_equal(sd_policy_host_service(pol,
	    "s3.us-east-1.amazonaws.com.evil.com", "us-east-1", &svc),
	    SD_ERR_NOTFOUND);
	assert_int_equal(sd_policy_host_service(pol, "", "us-east-1", &svc),
	    SD_ERR_NOTFOUND);
	sd_policy_free(pol);
}

static void
test_tags(void **state)
{
	const struct sd_policy_project *p;
	struct sd_policy *pol;
	json_t *r, *tags;

	(void)state;
	r = base();
	edit(r, P "/tags", json_pack("{s:s}", "Owner", "${user}"));
	expect_fail(r, SD_ERR_INVALID, P "/tags/Owner", "unknown placeholder "
	    "(only ${project} and ${config})");
	r = base();
	edit(r, P "/tags", json_pack("{s:s}", "aws:cloudformation", "x"));
	expect_fail(r, SD_ERR_INVALID, P "/tags/aws:cloudformation",
	    "tag keys starting with \"aws:\" are reserved");
	r = base();
	edit(r, P "/tags", json_pack("{s:s}", "", "x"));
	expect_fail(r, SD_ERR_INVALID, P "/tags/", "a tag key is 1-128 bytes");
	r = base();
	edit(r, P "/tags", json_pack("{s:s}", "Team", "a\tb"));
	expect_fail(r, SD_ERR_INVALID, P "/tags/Team", "*characters other than");

	r = base();
	edit(r, P "/tags", json_pack("{s:s, s:s}", "ProjectName",
	    "${project}", "Stack", "${project}-${config} x"));
	pol = load_ok(r);
	p = sd_policy_project(pol, "acme/hello");
	assert_int_equal(sd_policy_project_tags(p, "staging", &tags), 0);
	assert_int_equal(json_object_size(tags), 2);
	assert_string_equal(json_string_value(json_object_get(tags, "Stack")),
	    "acme/hello-staging x");
	json_decref(tags);
	sd_policy_free(pol);
}

static void
test_names(void **state)
{
	char long_name[100];

	(void)state;
	assert_true(sd_policy_valid_project_name("acme/hello"));
	assert_true(sd_policy_valid_project_name("A.b_c-d/0x"));
	assert_false(sd_policy_valid_project_name("acme"));
	assert_false(sd_policy_valid_project_name("acme/"));
	assert_false(sd_policy_valid_project_name("/hello"));
	assert_false(sd_policy_valid_project_name("acme/../x"));
	assert_false(sd_policy_valid_project_name("acme/.."));
	assert_false(sd_policy_valid_project_name("acme/hel lo"));
	assert_false(sd_policy_valid_project_name(NULL));

	assert_true(sd_policy_valid_config_name("production"));
	assert_false(sd_policy_valid_config_name(".production"));
	assert_false(sd_policy_valid_config_name(""));

	assert_true(sd_policy_valid_region("us-east-1"));
	assert_true(sd_policy_valid_region("us-gov-west-1"));
	assert_true(sd_policy_valid_region("ap-southeast-2"));
	assert_true(sd_policy_valid_region("us-isob-east-1"));
	assert_true(sd_policy_valid_region("eu-central-12"));
	assert_false(sd_policy_valid_region("us-east"));
	assert_false(sd_policy_valid_region("us-east-0"));
	assert_false(sd_policy_valid_region("us-east-123"));
	assert_false(sd_policy_valid_region("use-east-1"));
	assert_false(sd_policy_valid_region("us-1"));
	assert_false(sd_policy_valid_region("us-east-1 "));
	assert_false(sd_policy_valid_region("us-a-b-c-d-1"));

	assert_true(sd_policy_valid_account("000000000000"));
	assert_false(sd_policy_valid_account("0000000000000"));

	memset(long_name, 'a', 64);
	long_name[64] = '\0';
	assert_true(sd_policy_valid_lambda_name(long_name));
	long_name[64] = 'a';
	long_name[65] = '\0';
	assert_false(sd_policy_valid_lambda_name(long_name));
	assert_false(sd_policy_valid_lambda_name("acme.hello"));
	assert_false(sd_policy_valid_lambda_name(""));

	memset(long_name, 'a', 80);
	long_name[80] = '\0';
	assert_true(sd_policy_valid_state_machine_name(long_name));
	long_name[80] = 'a';
	long_name[81] = '\0';
	assert_false(sd_policy_valid_state_machine_name(long_name));
	assert_true(sd_policy_valid_state_machine_name("a!'()+-.=@_Z9"));
	assert_false(sd_policy_valid_state_machine_name("a b"));
	assert_false(sd_policy_valid_state_machine_name("a*"));
	assert_false(sd_policy_valid_state_machine_name("a:b"));
	assert_false(sd_policy_valid_state_machine_name("a{b}"));
	assert_false(sd_policy_valid_state_machine_name("caf\xc3\xa9"));

	assert_true(sd_policy_valid_bucket("acme-stepdeploy"));
	assert_true(sd_policy_valid_bucket("a.b.c"));
	assert_false(sd_policy_valid_bucket("ab"));
	assert_false(sd_policy_valid_bucket("a..b"));
	assert_false(sd_policy_valid_bucket("-ab"));
	assert_false(sd_policy_valid_bucket("ab."));
	assert_false(sd_policy_valid_bucket("10.0.0.1"));
}

static void
test_build_arn(void **state)
{
	char arn[SD_POLICY_ARN_MAX];

	(void)state;
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_LAMBDA, "us-east-1",
	    "000000000000", "acme-hello", arn, sizeof(arn)), 0);
	assert_string_equal(arn,
	    "arn:aws:lambda:us-east-1:000000000000:function:acme-hello");
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_STATE_MACHINE,
	    "us-east-1", "000000000000", "acme-hello", arn, sizeof(arn)), 0);
	assert_string_equal(arn,
	    "arn:aws:states:us-east-1:000000000000:stateMachine:acme-hello");
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_LAMBDA,
	    "cn-north-1", "000000000000", "f", arn, sizeof(arn)), 0);
	assert_string_equal(arn,
	    "arn:aws-cn:lambda:cn-north-1:000000000000:function:f");
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_STATE_MACHINE,
	    "us-gov-west-1", "000000000000", "m", arn, sizeof(arn)), 0);
	assert_string_equal(arn,
	    "arn:aws-us-gov:states:us-gov-west-1:000000000000:stateMachine:m");
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_LAMBDA,
	    "us-east-1", "000000000000", "a.b", arn, sizeof(arn)),
	    SD_ERR_INVALID);
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_LAMBDA,
	    "us-east-1", "0", "ab", arn, sizeof(arn)), SD_ERR_INVALID);
	assert_int_equal(sd_policy_build_arn(SD_POLICY_ARN_LAMBDA,
	    "us-east-1", "000000000000", "ab", arn, 20), SD_ERR_OVERFLOW);
	assert_string_equal(arn, "");
}

static void
test_pointer(void **state)
{
	char buf[16], big[512];

	(void)state;
	sd_policy_pointer(big, sizeof(big), "/projects", "acme/hello");
	assert_string_equal(big, "/projects/acme~1hello");
	sd_policy_pointer(big, sizeof(big), "", "~/x");
	assert_string_equal(big, "/~0~1x");
	sd_policy_pointer(big, sizeof(big), NULL, "");
	assert_string_equal(big, "/");
	/* Cut with "..." to fit; never in the middle of an escape. */
	sd_policy_pointer(buf, sizeof(buf), "/abc", "defghijklmnop");
	assert_string_equal(buf, "/abc/defghij...");
	sd_policy_pointer(buf, sizeof(buf), "/abc", "defghi/");
	assert_string_equal(buf, "/abc/defghi...");
	/* ... nor in a UTF-8 sequence (\xc3\xa9 is one character). */
	sd_policy_pointer(buf, sizeof(buf), "/abc", "defghi\xc3\xa9z");
	assert_string_equal(buf, "/abc/defghi...");
}

static void
test_files(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	char path[] = "/tmp/test_policy_XXXXXX";
	char *big;
	size_t n = SD_POLICY_FILE_MAX + 1;
	int fd;

	(void)state;
	assert_int_equal(sd_policy_load("/nonexistent/policy.json", &pol,
	    &err), SD_ERR_IO);
	assert_null(pol);
	assert_non_null(strstr(err.message, "cannot open "
	    "/nonexistent/policy.json"));
	sd_error_clear(&err);

	/* One byte over the cap, all whitespace: "too large", not parsed. */
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(big = malloc(n));
	memset(big, ' ', n);
	assert_true(write(fd, big, n) == (ssize_t)n);
	assert_int_equal(close(fd), 0);
	assert_int_equal(sd_policy_load_opts(path, &opts, &pol, &err),
	    SD_ERR_LIMIT);
	assert_string_equal(err.message, "policy is larger than 1048576 bytes");
	sd_error_clear(&err);
	assert_int_equal(unlink(path), 0);
	free(big);
	sd_policy_free(NULL);
}

/* A lot of the document is lists: their caps hold. */
static void
test_list_caps(void **state)
{
	json_t *r, *list;
	size_t i;

	(void)state;
	r = base();
	assert_non_null(list = json_array());
	for (i = 0; i <= SD_POLICY_LIST_MAX; i++)
		assert_int_equal(json_array_append_new(list,
		    json_integer((json_int_t)i)), 0);
	edit(r, P "/submitters", list);
	expect_fail(r, SD_ERR_LIMIT, P "/submitters", "more than 1024 entries");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_example_unknown_users),
		cmocka_unit_test(test_getpwnam),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_required_project_fields),
		cmocka_unit_test(test_value_syntax),
		cmocka_unit_test(test_project_keys),
		cmocka_unit_test(test_arn_patterns),
		cmocka_unit_test(test_arn_allowed),
		cmocka_unit_test(test_may_submit),
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_endpoints),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_build_arn),
		cmocka_unit_test(test_aws_settings),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_list_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
