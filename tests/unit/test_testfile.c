/*
 * test_testfile: step_run_tests() — a release's tests.json run against a
 * machine: passes and failures, each expected field, the diffs with their
 * JSON paths, per-test mocks, handlers, and every malformed file named at
 * its location.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* ------------------------------------------------------------ helpers */

static json_t *
J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &je);

	if (v == NULL)
		fail_msg("bad JSON in test: %s: %s", je.text, text);
	return v;
}

static void
assert_json(json_t *got, const char *expected)
{
	json_t *e = J(expected);
	char *g = sd_json_dumps(got, 0);

	if (!sd_json_equal(got, e))
		fail_msg("expected %s\n got      %s", expected, g ? g : "(null)");
	free(g);
	json_decref(e);
}

static struct step_machine *
build(const char *def)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;

	if (step_machine_new(def, strlen(def), NULL, &m, &err) != 0)
		fail_msg("definition rejected: %s", sd_error_text(&err));
	sd_error_clear(&err);
	return m;
}

/* Pass then a Task (by name "Work") then Fail or Succeed by $.ok. */
static const char machine[] =
    "{\"StartAt\":\"Prep\",\"States\":{"
    "\"Prep\":{\"Type\":\"Pass\",\"Result\":{\"n\":1},\"ResultPath\":\"$.prep\","
    "\"Next\":\"Work\"},"
    "\"Work\":{\"Type\":\"Task\",\"Resource\":\"arn:aws:states:::sqs:sendMessage\","
    "\"ResultPath\":\"$.work\",\"Next\":\"Check\"},"
    "\"Check\":{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$.work.ok\","
    "\"BooleanEquals\":true,\"Next\":\"Done\"}],\"Default\":\"Bad\"},"
    "\"Done\":{\"Type\":\"Succeed\"},"
    "\"Bad\":{\"Type\":\"Fail\",\"Error\":\"NotOk\",\"Cause\":\"work said no\"}}}";

/* Run tests (text) on machine and return the report (new). */
static json_t *
run(struct step_machine *m, const char *tests)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *t = J(tests), *report = NULL;

	if (step_run_tests(m, t, &report, &err) != 0)
		fail_msg("tests rejected: %s\n  tests: %s", sd_error_text(&err),
		    tests);
	json_decref(t);
	sd_error_clear(&err);
	return report;
}

/* Run tests that must be refused: code, text containing want. */
static void
refused(const char *tests, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = build(machine);
	json_t *t = J(tests), *report = NULL;
	const char *text;
	int r;

	r = step_run_tests(m, t, &report, &err);
	text = sd_error_text(&err);
	if (r != SD_ERR_INVALID)
		fail_msg("returned %d (%s), want SD_ERR_INVALID\n  tests: %s", r,
		    text, tests);
	assert_null(report);
	if (strstr(text, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", text, want);
	json_decref(t);
	sd_error_clear(&err);
	step_machine_free(m);
}

/* The diffs of test i of report. */
static json_t *
diffs(json_t *report, size_t i)
{
	return json_object_get(json_array_get(json_object_get(report, "tests"),
	    i), "diffs");
}

/* ------------------------------------------------------------ tests */

static void
test_all_pass(void **state)
{
	struct step_machine *m = build(machine);
	json_t *r;

	(void)state;
	r = run(m, "["
	    "{\"name\":\"happy\",\"input\":{\"k\":1},"
	    " \"mocks\":{\"Work\":[{\"result\":{\"ok\":true}}]},"
	    " \"expected\":{\"status\":\"SUCCEEDED\","
	    "  \"output\":{\"k\":1,\"prep\":{\"n\":1},\"work\":{\"ok\":true}},"
	    "  \"path\":[\"Prep\",\"Work\",\"Check\",\"Done\"],"
	    "  \"error\":null,\"cause\":null}},"
	    "{\"name\":\"sad\",\"mocks\":{\"Work\":{\"result\":{\"ok\":false}}},"
	    " \"expected\":{\"status\":\"FAILED\",\"error\":\"NotOk\","
	    "  \"cause\":\"work said no\",\"path\":[\"Prep\",\"Work\",\"Check\",\"Bad\"]}},"
	    "{\"name\":\"task error\",\"mocks\":{\"Work\":{\"error\":\"Boom\"}},"
	    " \"expected\":{\"status\":\"FAILED\",\"error\":\"Boom\",\"cause\":null}},"
	    "{\"name\":\"nothing checked\",\"mocks\":{\"Work\":{\"error\":\"X\"}}},"
	    "{\"name\":\"empty expected\",\"expected\":{}}"
	    "]");
	assert_json(json_object_get(r, "passed"), "5");
	assert_json(json_object_get(r, "failed"), "0");
	assert_json(diffs(r, 0), "[]");
	assert_json(json_object_get(json_array_get(json_object_get(r, "tests"),
	    0), "result"), "{\"status\":\"SUCCEEDED\",\"output\":{\"k\":1,"
	    "\"prep\":{\"n\":1},\"work\":{\"ok\":true}},"
	    "\"path\":[\"Prep\",\"Work\",\"Check\",\"Done\"]}");
	assert_json(json_object_get(json_array_get(json_object_get(r, "tests"),
	    1), "name"), "\"sad\"");
	json_decref(r);
	step_machine_free(m);
}

static void
test_failures(void **state)
{
	struct step_machine *m = build(machine);
	json_t *r;

	(void)state;
	r = run(m, "["
	    /* 0: wrong status, and output expected from a failed run */
	    "{\"name\":\"a\",\"mocks\":{\"Work\":{\"result\":{\"ok\":false}}},"
	    " \"expected\":{\"status\":\"SUCCEEDED\",\"output\":{\"x\":1}}},"
	    /* 1: output differs in members */
	    "{\"name\":\"b\",\"input\":{\"k\":1,\"list\":[1,2,3]},"
	    " \"mocks\":{\"Work\":{\"result\":{\"ok\":true,\"extra\":{\"d\":1}}}},"
	    " \"expected\":{\"output\":{\"k\":2,\"list\":[1,2],\"prep\":{\"n\":1},"
	    "  \"work\":{\"ok\":true,\"extra\":{\"d\":2}},\"gone\":null,"
	    "  \"odd key\":1}}},"
	    /* 2: error, cause, path */
	    "{\"name\":\"c\",\"mocks\":{\"Work\":{\"error\":\"Boom\",\"cause\":\"c\"}},"
	    " \"expected\":{\"error\":\"Other\",\"cause\":null,"
	    "  \"path\":[\"Prep\",\"Work\",\"Check\"]}},"
	    /* 3: expects an error, the run has none */
	    "{\"name\":\"d\",\"mocks\":{\"Work\":{\"result\":{\"ok\":true}}},"
	    " \"expected\":{\"error\":\"E\",\"output\":null}},"
	    /* 4: passes */
	    "{\"name\":\"e\",\"mocks\":{\"Work\":{\"result\":{\"ok\":true}}},"
	    " \"expected\":{\"status\":\"SUCCEEDED\"}}"
	    "]");
	assert_json(json_object_get(r, "passed"), "1");
	assert_json(json_object_get(r, "failed"), "4");
	assert_json(json_object_get(json_array_get(json_object_get(r, "tests"),
	    0), "passed"), "false");
	assert_json(diffs(r, 0), "["
	    "{\"field\":\"status\",\"expected\":\"SUCCEEDED\",\"got\":\"FAILED\"},"
	    "{\"field\":\"output\",\"expected\":{\"x\":1}}]");
	assert_json(diffs(r, 1), "[{\"field\":\"output\","
	    "\"expected\":{\"k\":2,\"list\":[1,2],\"prep\":{\"n\":1},"
	    "\"work\":{\"ok\":true,\"extra\":{\"d\":2}},\"gone\":null,\"odd key\":1},"
	    "\"got\":{\"k\":1,\"list\":[1,2,3],\"prep\":{\"n\":1},"
	    "\"work\":{\"ok\":true,\"extra\":{\"d\":1}}},"
	    "\"paths\":[\"$.k\",\"$.list[2]\",\"$.work.extra.d\",\"$.gone\","
	    "\"$['odd key']\"]}]");
	assert_json(diffs(r, 2), "["
	    "{\"field\":\"error\",\"expected\":\"Other\",\"got\":\"Boom\"},"
	    "{\"field\":\"cause\",\"expected\":null,\"got\":\"c\"},"
	    "{\"field\":\"path\",\"expected\":[\"Prep\",\"Work\",\"Check\"],"
	    "\"got\":[\"Prep\",\"Work\"],\"paths\":[\"$[2]\"]}]");
	assert_json(diffs(r, 3), "["
	    "{\"field\":\"output\",\"expected\":null,"
	    "\"got\":{\"prep\":{\"n\":1},\"work\":{\"ok\":true}}},"
	    "{\"field\":\"error\",\"expected\":\"E\"}]");
	assert_json(diffs(r, 4), "[]");
	json_decref(r);
	step_machine_free(m);
}

/* Numbers compare by value and key order does not matter. */
static void
test_equality(void **state)
{
	struct step_machine *m = build("{\"StartAt\":\"P\",\"States\":{\"P\":"
	    "{\"Type\":\"Pass\",\"End\":true}}}");
	json_t *r;

	(void)state;
	r = run(m, "[{\"name\":\"n\",\"input\":{\"a\":1,\"b\":{\"c\":2.0,\"d\":[0.5]}},"
	    "\"expected\":{\"output\":{\"b\":{\"d\":[0.5],\"c\":2},\"a\":1.0}}},"
	    "{\"name\":\"scalar\",\"input\":\"s\",\"expected\":{\"output\":\"s\"}},"
	    "{\"name\":\"null input\",\"input\":null,\"expected\":{\"output\":null}},"
	    "{\"name\":\"default input\",\"expected\":{\"output\":{}}},"
	    "{\"name\":\"types\",\"input\":{\"a\":1},\"expected\":{\"output\":[1]}}]");
	assert_json(json_object_get(r, "passed"), "4");
	/* An object against an array: no member paths. */
	assert_json(diffs(r, 4), "[{\"field\":\"output\",\"expected\":[1],"
	    "\"got\":{\"a\":1}}]");
	json_decref(r);
	step_machine_free(m);
}

/* Many differing members: STEP_TESTS_MAX_PATHS, then a count. */
static void
test_many_paths(void **state)
{
	struct step_machine *m = build("{\"StartAt\":\"P\",\"States\":{\"P\":"
	    "{\"Type\":\"Pass\",\"End\":true}}}");
	struct sd_buf b;
	json_t *r, *d;
	char *tests;
	int i;

	(void)state;
	sd_buf_init(&b, 0);
	sd_buf_puts(&b, "[{\"name\":\"many\",\"input\":[");
	for (i = 0; i < STEP_TESTS_MAX_PATHS + 7; i++)
		sd_buf_printf(&b, "%s%d", i > 0 ? "," : "", i);
	sd_buf_puts(&b, "],\"expected\":{\"output\":[");
	for (i = 0; i < STEP_TESTS_MAX_PATHS + 7; i++)
		sd_buf_printf(&b, "%s%d", i > 0 ? "," : "", -i - 1);
	sd_buf_puts(&b, "]}}]");
	tests = sd_buf_steal(&b);
	assert_non_null(tests);
	r = run(m, tests);
	d = json_array_get(diffs(r, 0), 0);
	assert_int_equal(json_array_size(json_object_get(d, "paths")),
	    STEP_TESTS_MAX_PATHS);
	assert_json(json_object_get(d, "morePaths"), "7");
	assert_json(json_array_get(json_object_get(d, "paths"), 0), "\"$[0]\"");
	json_decref(r);
	free(tests);
	step_machine_free(m);
}

/* Each test has its own mocks: the list starts over, and none leak. */
static void
test_fresh_mocks(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = build(machine);
	struct step_result *res = NULL;
	json_t *r, *in = J("{}");

	(void)state;
	r = run(m, "["
	    "{\"name\":\"1\",\"mocks\":{\"Work\":[{\"result\":{\"ok\":true}}]},"
	    " \"expected\":{\"status\":\"SUCCEEDED\"}},"
	    "{\"name\":\"2\",\"mocks\":{\"Work\":[{\"result\":{\"ok\":true}}]},"
	    " \"expected\":{\"status\":\"SUCCEEDED\"}},"
	    "{\"name\":\"3 no mocks\",\"expected\":{\"status\":\"FAILED\","
	    "  \"error\":\"States.Runtime\"}}]");
	assert_json(json_object_get(r, "passed"), "3");
	json_decref(r);
	/* After the run the machine has no mocks left. */
	assert_int_equal(step_execute(m, in, NULL, &res, &err), 0);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "States.Runtime");
	step_result_free(res);
	json_decref(in);
	step_machine_free(m);
}

static int
work_handler(void *user, const struct step_task_call *call, json_t **out,
    struct step_task_failure *f)
{
	(void)user;
	(void)call;
	(void)f;
	*out = json_pack("{s:b, s:s}", "ok", 1, "by", "handler");
	return *out == NULL ? -1 : 0;
}

/* Handlers registered on the machine answer ahead of the mocks. */
static void
test_handlers(void **state)
{
	struct step_machine *m = build(machine);
	json_t *r;

	(void)state;
	assert_int_equal(step_machine_register(m, "Work", work_handler, NULL), 0);
	r = run(m, "[{\"name\":\"h\",\"mocks\":{\"Work\":{\"result\":{\"ok\":false}}},"
	    "\"expected\":{\"status\":\"SUCCEEDED\",\"output\":{\"prep\":{\"n\":1},"
	    "\"work\":{\"ok\":true,\"by\":\"handler\"}}}}]");
	assert_json(json_object_get(r, "passed"), "1");
	json_decref(r);
	step_machine_free(m);
}

static void
test_empty(void **state)
{
	struct step_machine *m = build(machine);
	json_t *r;

	(void)state;
	r = run(m, "[]");
	assert_json(r, "{\"passed\":0,\"failed\":0,\"tests\":[]}");
	json_decref(r);
	step_machine_free(m);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("{}", "/: tests must be a list");
	refused("[1]", "/0: a test must be an object");
	refused("[{\"name\":\"a\"},{\"name\":\"b\",\"inptu\":{}}]",
	    "/1/inptu: unknown field");
	refused("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"c\","
	    "\"expected\":{\"outptu\":{}}}]", "/2/expected/outptu: unknown field");
	refused("[{\"input\":{}}]", "/0: \"name\" is missing");
	refused("[{\"name\":5}]", "/0/name: must be a non-empty string");
	refused("[{\"name\":\"\"}]", "/0/name: must be a non-empty string");
	refused("[{\"name\":\"a\"},{\"name\":\"a\"}]",
	    "/1/name: a test named \"a\" comes earlier (test 0)");
	refused("[{\"name\":\"a\",\"expected\":[]}]",
	    "/0/expected: must be an object");
	refused("[{\"name\":\"a\",\"expected\":{\"status\":\"OK\"}}]",
	    "/0/expected/status: must be one of SUCCEEDED");
	refused("[{\"name\":\"a\",\"expected\":{\"status\":\"RUNNING\"}}]",
	    "/0/expected/status: must be one of");
	refused("[{\"name\":\"a\",\"expected\":{\"status\":1}}]",
	    "/0/expected/status: must be one of");
	refused("[{\"name\":\"a\",\"expected\":{\"error\":1}}]",
	    "/0/expected/error: must be a string, or null");
	refused("[{\"name\":\"a\",\"expected\":{\"cause\":{}}}]",
	    "/0/expected/cause: must be a string, or null");
	refused("[{\"name\":\"a\",\"expected\":{\"path\":\"Prep\"}}]",
	    "/0/expected/path: must be a list of state names");
	refused("[{\"name\":\"a\",\"expected\":{\"path\":[\"Prep\",1]}}]",
	    "/0/expected/path: item 1 must be a state name");
	refused("[{\"name\":\"a\",\"mocks\":[]}]", "/0/mocks: mocks must be an "
	    "object");
	refused("[{\"name\":\"a\"},{\"name\":\"b\",\"mocks\":{\"Work\":[{\"result\":1},"
	    "{\"bogus\":1}]}}]", "/1/mocks/Work[1]: a mock response needs");
	/* Nothing ran: a bad last test stops the whole file. */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_pass),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_equality),
		cmocka_unit_test(test_many_paths),
		cmocka_unit_test(test_fresh_mocks),
		cmocka_unit_test(test_handlers),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
