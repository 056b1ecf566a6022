/*
 * test_mockconfig: step_mockconfig_to_mocks() — AWS Step Functions
 * Local's MockConfigFile turned into libstep mocks: ranges, Return and
 * Throw, the choice of state machine and test case, every malformed file
 * named at its location, the size limit, and the result run by the engine.
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

/* Convert config (text) and compare the mocks with expected. */
static void
converts(const char *config, const char *sm, const char *tc,
    const char *expected)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *c = J(config), *mocks = NULL;

	if (step_mockconfig_to_mocks(c, sm, tc, &mocks, &err) != 0)
		fail_msg("rejected: %s\n  config: %s", sd_error_text(&err), config);
	assert_json(mocks, expected);
	json_decref(mocks);
	json_decref(c);
	sd_error_clear(&err);
}

/* Convert config and expect code with text (location: message) holding want. */
static void
rejects(const char *config, const char *sm, const char *tc, int code,
    const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *c = J(config), *mocks = NULL;
	const char *text;
	int r;

	r = step_mockconfig_to_mocks(c, sm, tc, &mocks, &err);
	text = sd_error_text(&err);
	if (r != code)
		fail_msg("returned %d (%s), want %d\n  config: %s", r, text, code,
		    config);
	assert_null(mocks);
	if (strstr(text, want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", text, want);
	json_decref(c);
	sd_error_clear(&err);
}

/* A config with one machine "SM", one test case "T": {"S": "R"}, and R. */
static char *
one(const char *responses)
{
	char *s;

	if ((s = sd_asprintf("{\"StateMachines\":{\"SM\":{\"TestCases\":"
	    "{\"T\":{\"S\":\"R\"}}}},\"MockedResponses\":{\"R\":%s}}",
	    responses)) == NULL)
		fail_msg("out of memory");
	return s;
}

static void
one_converts(const char *responses, const char *expected)
{
	char *c = one(responses);

	converts(c, NULL, "T", expected);
	free(c);
}

static void
one_rejects(const char *responses, const char *want)
{
	char *c = one(responses);

	rejects(c, NULL, "T", SD_ERR_INVALID, want);
	free(c);
}

/* The example of AWS's documentation (MockConfigFile.json). */
static const char aws_example[] =
    "{\"StateMachines\":{\"LambdaSQSIntegration\":{\"TestCases\":{"
    "\"HappyPath\":{\"LambdaState\":\"MockedLambdaSuccess\","
    "\"SQSState\":\"MockedSQSSuccess\"},"
    "\"RetryPath\":{\"LambdaState\":\"MockedLambdaRetry\","
    "\"SQSState\":\"MockedSQSSuccess\"},"
    "\"HybridPath\":{\"LambdaState\":\"MockedLambdaSuccess\"}}}},"
    "\"MockedResponses\":{"
    "\"MockedLambdaSuccess\":{\"0\":{\"Return\":{\"StatusCode\":200,"
    "\"Payload\":{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}},"
    "\"LambdaMockedResourceNotReady\":{\"0\":{\"Throw\":{"
    "\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}}},"
    "\"MockedSQSSuccess\":{\"0\":{\"Return\":{\"MD5OfMessageBody\":\"3bcb\","
    "\"MessageId\":\"3bcb-8b51\"}}},"
    "\"MockedLambdaRetry\":{"
    "\"0\":{\"Throw\":{\"Error\":\"Lambda.ResourceNotReadyException\","
    "\"Cause\":\"Lambda resource is not ready.\"}},"
    "\"1-2\":{\"Throw\":{\"Error\":\"Lambda.TimeoutException\","
    "\"Cause\":\"Lambda timed out.\"}},"
    "\"3\":{\"Return\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,"
    "\"body\":\"Hello from Lambda!\"}}}}}}";

/* ------------------------------------------------------------ tests */

static void
test_aws_example(void **state)
{
	(void)state;
	converts(aws_example, NULL, "HappyPath",
	    "{\"LambdaState\":[{\"result\":{\"StatusCode\":200,\"Payload\":"
	    "{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}],"
	    "\"SQSState\":[{\"result\":{\"MD5OfMessageBody\":\"3bcb\","
	    "\"MessageId\":\"3bcb-8b51\"}}]}");
	converts(aws_example, "LambdaSQSIntegration", "RetryPath",
	    "{\"LambdaState\":["
	    "{\"error\":\"Lambda.ResourceNotReadyException\","
	    "\"cause\":\"Lambda resource is not ready.\"},"
	    "{\"error\":\"Lambda.TimeoutException\",\"cause\":\"Lambda timed out.\"},"
	    "{\"error\":\"Lambda.TimeoutException\",\"cause\":\"Lambda timed out.\"},"
	    "{\"result\":{\"StatusCode\":200,\"Payload\":{\"StatusCode\":200,"
	    "\"body\":\"Hello from Lambda!\"}}}],"
	    "\"SQSState\":[{\"result\":{\"MD5OfMessageBody\":\"3bcb\","
	    "\"MessageId\":\"3bcb-8b51\"}}]}");
	converts(aws_example, NULL, "HybridPath",
	    "{\"LambdaState\":[{\"result\":{\"StatusCode\":200,\"Payload\":"
	    "{\"StatusCode\":200,\"body\":\"Hello from Lambda!\"}}}]}");
}

static void
test_ranges(void **state)
{
	(void)state;
	/* Keys in any order; ranges expanded; a one-wide range "2-2". */
	one_converts("{\"3\":{\"Return\":3},\"0-1\":{\"Return\":0},"
	    "\"2-2\":{\"Return\":2}}",
	    "{\"S\":[{\"result\":0},{\"result\":0},{\"result\":2},{\"result\":3}]}");
	/* Leading zeros are read as decimal. */
	one_converts("{\"00\":{\"Return\":1},\"01-03\":{\"Return\":2}}",
	    "{\"S\":[{\"result\":1},{\"result\":2},{\"result\":2},{\"result\":2}]}");
	/* Return keeps any JSON value as it is, null and false too. */
	one_converts("{\"0\":{\"Return\":null},\"1\":{\"Return\":false},"
	    "\"2\":{\"Return\":[1,{\"a\":\"b\"}]},\"3\":{\"Return\":\"s\"}}",
	    "{\"S\":[{\"result\":null},{\"result\":false},"
	    "{\"result\":[1,{\"a\":\"b\"}]},{\"result\":\"s\"}]}");
	/* Throw without a Cause. */
	one_converts("{\"0\":{\"Throw\":{\"Error\":\"E\"}}}",
	    "{\"S\":[{\"error\":\"E\"}]}");
	/* An empty test case gives empty mocks. */
	converts("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":{}}}},"
	    "\"MockedResponses\":{}}", NULL, "T", "{}");
	/* Two states sharing a response each get their own list. */
	converts("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":"
	    "{\"A\":\"R\",\"B\":\"R\"}}}},\"MockedResponses\":{\"R\":"
	    "{\"0-1\":{\"Return\":1}}}}", NULL, "T",
	    "{\"A\":[{\"result\":1},{\"result\":1}],"
	    "\"B\":[{\"result\":1},{\"result\":1}]}");
}

static void
test_bad_ranges(void **state)
{
	(void)state;
	one_rejects("{\"1\":{\"Return\":1}}",
	    "/MockedResponses/R/1: invocation numbers start at 0");
	one_rejects("{\"0\":{\"Return\":1},\"2\":{\"Return\":2}}",
	    "/MockedResponses/R/2: invocation numbers must be contiguous: "
	    "nothing answers invocation 1");
	one_rejects("{\"0\":{\"Return\":1},\"3-4\":{\"Return\":2}}",
	    "/MockedResponses/R/3-4: invocation numbers must be contiguous");
	one_rejects("{\"0-2\":{\"Return\":1},\"1\":{\"Return\":2}}",
	    "/MockedResponses/R/1: overlaps \"0-2\"");
	one_rejects("{\"0\":{\"Return\":1},\"1-2\":{\"Return\":2},"
	    "\"2-3\":{\"Return\":3}}", "/MockedResponses/R/2-3: overlaps");
	one_rejects("{\"0\":{\"Return\":1},\"2-1\":{\"Return\":2}}",
	    "/MockedResponses/R/2-1: not an invocation number or range");
	one_rejects("{\"-1\":{\"Return\":1}}", "/MockedResponses/R/-1: not an");
	one_rejects("{\"x\":{\"Return\":1}}", "/MockedResponses/R/x: not an");
	one_rejects("{\"\":{\"Return\":1}}", "/MockedResponses/R/: not an");
	one_rejects("{\" 0\":{\"Return\":1}}", "/MockedResponses/R/ 0: not an");
	one_rejects("{\"0-\":{\"Return\":1}}", "/MockedResponses/R/0-: not an");
	one_rejects("{\"0-1-2\":{\"Return\":1}}", "/MockedResponses/R/0-1-2: not");
	one_rejects("{\"+0\":{\"Return\":1}}", "/MockedResponses/R/+0: not an");
	one_rejects("{\"1.0\":{\"Return\":1}}", "/MockedResponses/R/1.0: not an");
	one_rejects("{\"0\":{\"Return\":1},\"1-999999999999999999999\":"
	    "{\"Return\":1}}", "/MockedResponses/R/1-999999999999999999999: not");
	one_rejects("{}", "/MockedResponses/R: no responses");
	one_rejects("[]", "/MockedResponses/R: must be an object keyed by "
	    "invocation number");
}

static void
test_bad_responses(void **state)
{
	(void)state;
	one_rejects("{\"0\":{}}", "/MockedResponses/R/0: a response needs "
	    "exactly one of \"Return\" and \"Throw\"");
	one_rejects("{\"0\":{\"Return\":1,\"Throw\":{\"Error\":\"E\"}}}",
	    "/MockedResponses/R/0: a response needs exactly one");
	one_rejects("{\"0\":{\"return\":1}}",
	    "/MockedResponses/R/0/return: unknown field");
	one_rejects("{\"0\":5}", "/MockedResponses/R/0: a response must be an "
	    "object");
	one_rejects("{\"0\":{\"Throw\":\"E\"}}", "/MockedResponses/R/0/Throw: "
	    "must be an object");
	one_rejects("{\"0\":{\"Throw\":{}}}", "/MockedResponses/R/0/Throw: "
	    "\"Error\" is missing");
	one_rejects("{\"0\":{\"Throw\":{\"Cause\":\"c\"}}}",
	    "/MockedResponses/R/0/Throw: \"Error\" is missing");
	one_rejects("{\"0\":{\"Throw\":{\"Error\":5}}}",
	    "/MockedResponses/R/0/Throw: \"Error\" must be a string, not number");
	one_rejects("{\"0\":{\"Throw\":{\"Error\":\"E\",\"Cause\":null}}}",
	    "/MockedResponses/R/0/Throw: \"Cause\" must be a string");
	one_rejects("{\"0\":{\"Throw\":{\"Error\":\"E\",\"Code\":1}}}",
	    "/MockedResponses/R/0/Throw: unknown field \"Code\"");
	/* A response no test case uses is checked all the same. */
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":{}}}},"
	    "\"MockedResponses\":{\"Unused\":{\"1\":{\"Return\":1}}}}", NULL,
	    "T", SD_ERR_INVALID, "/MockedResponses/Unused/1: invocation numbers "
	    "start at 0");
}

static void
test_bad_structure(void **state)
{
	(void)state;
	rejects("[]", NULL, "T", SD_ERR_INVALID, "/: a mock configuration must "
	    "be an object");
	rejects("{\"MockedResponses\":{}}", NULL, "T", SD_ERR_INVALID,
	    "\"StateMachines\" is missing");
	rejects("{\"StateMachines\":{}}", NULL, "T", SD_ERR_INVALID,
	    "\"MockedResponses\" is missing");
	rejects("{\"StateMachines\":{},\"MockedResponses\":{},\"Extra\":1}",
	    NULL, "T", SD_ERR_INVALID, "/Extra: unknown field");
	rejects("{\"StateMachines\":[],\"MockedResponses\":{}}", NULL, "T",
	    SD_ERR_INVALID, "/StateMachines: must be an object");
	rejects("{\"StateMachines\":{},\"MockedResponses\":[]}", NULL, "T",
	    SD_ERR_INVALID, "/MockedResponses: must be an object");
	rejects("{\"StateMachines\":{\"SM\":1},\"MockedResponses\":{}}", NULL,
	    "T", SD_ERR_INVALID, "/StateMachines/SM: must be an object");
	rejects("{\"StateMachines\":{\"SM\":{}},\"MockedResponses\":{}}", NULL,
	    "T", SD_ERR_INVALID, "/StateMachines/SM: \"TestCases\" is missing");
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":{},\"Definition\":1}},"
	    "\"MockedResponses\":{}}", NULL, "T", SD_ERR_INVALID,
	    "/StateMachines/SM/Definition: unknown field");
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":[]}},"
	    "\"MockedResponses\":{}}", NULL, "T", SD_ERR_INVALID,
	    "/StateMachines/SM/TestCases: must be an object");
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":\"R\"}}},"
	    "\"MockedResponses\":{}}", NULL, "T", SD_ERR_INVALID,
	    "/StateMachines/SM/TestCases/T: must be an object");
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":{\"S\":1}}}},"
	    "\"MockedResponses\":{}}", NULL, "T", SD_ERR_INVALID,
	    "/StateMachines/SM/TestCases/T: \"S\" must name a mocked response");
	rejects("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":"
	    "{\"S\":\"Nope\"}}}},\"MockedResponses\":{}}", NULL, "T",
	    SD_ERR_INVALID, "/StateMachines/SM/TestCases/T: state \"S\": no "
	    "mocked response named \"Nope\"");
}

static void
test_choosing(void **state)
{
	static const char two[] =
	    "{\"StateMachines\":{"
	    "\"A\":{\"TestCases\":{\"T\":{\"S\":\"R1\"}}},"
	    "\"B\":{\"TestCases\":{\"T\":{\"S\":\"R2\"},\"U\":{}}}},"
	    "\"MockedResponses\":{\"R1\":{\"0\":{\"Return\":1}},"
	    "\"R2\":{\"0\":{\"Return\":2}}}}";

	(void)state;
	converts(two, "A", "T", "{\"S\":[{\"result\":1}]}");
	converts(two, "B", "T", "{\"S\":[{\"result\":2}]}");
	converts(two, "B", "U", "{}");
	rejects(two, NULL, "T", SD_ERR_NOTFOUND, "/StateMachines: several "
	    "state machines (\"A\", \"B\"): name the one to use");
	rejects(two, "C", "T", SD_ERR_NOTFOUND, "/StateMachines: no state "
	    "machine named \"C\" (the file has \"A\", \"B\")");
	rejects(two, "A", "U", SD_ERR_NOTFOUND, "/StateMachines/A/TestCases: no "
	    "test case named \"U\" (the file has \"T\")");
	rejects("{\"StateMachines\":{},\"MockedResponses\":{}}", NULL, "T",
	    SD_ERR_INVALID, "/StateMachines: the file describes no state machine");
	rejects("{\"StateMachines\":{\"A\":{\"TestCases\":{}}},"
	    "\"MockedResponses\":{}}", NULL, "T", SD_ERR_NOTFOUND,
	    "no test case named \"T\" (the file has none)");
	rejects(two, "A", NULL, SD_ERR_INVALID, "no test case given");
}

static void
test_limit(void **state)
{
	char buf[256];

	(void)state;
	/* Exactly the limit is fine, one more is not. */
	snprintf(buf, sizeof(buf), "{\"0-%d\":{\"Return\":1}}",
	    STEP_MOCKCONFIG_MAX_RESPONSES - 1);
	{
		char *c = one(buf);
		struct sd_error err = SD_ERROR_INIT;
		json_t *cfg = J(c), *mocks = NULL;

		assert_int_equal(step_mockconfig_to_mocks(cfg, NULL, "T", &mocks,
		    &err), 0);
		assert_int_equal(json_array_size(json_object_get(mocks, "S")),
		    STEP_MOCKCONFIG_MAX_RESPONSES);
		json_decref(mocks);
		json_decref(cfg);
		free(c);
	}
	snprintf(buf, sizeof(buf), "{\"0-%d\":{\"Return\":1}}",
	    STEP_MOCKCONFIG_MAX_RESPONSES);
	{
		char *c = one(buf);

		rejects(c, NULL, "T", SD_ERR_LIMIT, "/MockedResponses/R: too many "
		    "invocations");
		free(c);
	}
	/* The limit counts every state of the test case together. */
	snprintf(buf, sizeof(buf), "{\"StateMachines\":{\"SM\":{\"TestCases\":"
	    "{\"T\":{\"A\":\"R\",\"B\":\"R\"}}}},\"MockedResponses\":{\"R\":"
	    "{\"0-%d\":{\"Return\":1}}}}", STEP_MOCKCONFIG_MAX_RESPONSES / 2);
	rejects(buf, NULL, "T", SD_ERR_LIMIT, "too many invocations");
	/* Large numbers in an unused response are only checked. */
	converts("{\"StateMachines\":{\"SM\":{\"TestCases\":{\"T\":{}}}},"
	    "\"MockedResponses\":{\"Big\":{\"0-99999999\":{\"Return\":1}}}}",
	    NULL, "T", "{}");
}

/* The mocks are independent of the config they came from. */
static void
test_ownership(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *cfg, *mocks = NULL;
	char *c = one("{\"0\":{\"Return\":{\"a\":1}}}");

	(void)state;
	cfg = J(c);
	assert_int_equal(step_mockconfig_to_mocks(cfg, NULL, "T", &mocks, &err),
	    0);
	json_decref(cfg);
	assert_json(mocks, "{\"S\":[{\"result\":{\"a\":1}}]}");
	json_decref(mocks);
	free(c);
}

/* The converted mocks drive the engine: retries then a result. */
static void
test_engine(void **state)
{
	static const char def[] =
	    "{\"StartAt\":\"Work\",\"States\":{\"Work\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:aws:states:::sqs:sendMessage\","
	    "\"Retry\":[{\"ErrorEquals\":[\"Flaky\"],\"MaxAttempts\":3,"
	    "\"IntervalSeconds\":1}],"
	    "\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"Next\":\"Caught\"}],"
	    "\"End\":true},\"Caught\":{\"Type\":\"Pass\",\"End\":true}}}";
	static const char cfg_text[] =
	    "{\"StateMachines\":{\"M\":{\"TestCases\":{"
	    "\"Retried\":{\"Work\":\"Flaky2ThenOk\"},"
	    "\"Broken\":{\"Work\":\"Fatal\"}}}},"
	    "\"MockedResponses\":{"
	    "\"Flaky2ThenOk\":{\"0-1\":{\"Throw\":{\"Error\":\"Flaky\","
	    "\"Cause\":\"try again\"}},\"2\":{\"Return\":{\"MessageId\":\"m-1\"}}},"
	    "\"Fatal\":{\"0\":{\"Throw\":{\"Error\":\"Fatal\",\"Cause\":\"no\"}}}}}";
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	json_t *cfg = J(cfg_text), *mocks = NULL, *in = J("{}");

	(void)state;
	assert_int_equal(step_machine_new(def, strlen(def), NULL, &m, &err), 0);

	assert_int_equal(step_mockconfig_to_mocks(cfg, NULL, "Retried", &mocks,
	    &err), 0);
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	assert_int_equal(step_execute(m, in, NULL, &res, &err), 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"MessageId\":\"m-1\"}");
	assert_json(step_result_path(res), "[\"Work\"]");
	step_result_free(res);
	json_decref(mocks);

	assert_int_equal(step_mockconfig_to_mocks(cfg, NULL, "Broken", &mocks,
	    &err), 0);
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	assert_int_equal(step_execute(m, in, NULL, &res, &err), 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"Error\":\"Fatal\",\"Cause\":\"no\"}");
	assert_json(step_result_path(res), "[\"Work\",\"Caught\"]");
	step_result_free(res);
	json_decref(mocks);

	json_decref(in);
	json_decref(cfg);
	step_machine_free(m);
	sd_error_clear(&err);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_example),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_bad_ranges),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_choosing),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_engine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
