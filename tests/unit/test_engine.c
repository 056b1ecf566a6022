/*
 * test_engine: libstep end to end through its public API — every state
 * type, input/output processing, Retry/Catch, the virtual clock, the
 * context object, mocks, handlers, history and definition errors.
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
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (v == NULL)
		fail_msg("bad JSON in test: %s: %s", je.text, text);
	return v;
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

static struct step_result *
run_m(struct step_machine *m, const char *input, int history)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *in = J(input);

	memset(&eo, 0, sizeof(eo));
	eo.record_path = 1;
	eo.record_history = history;
	eo.start_time_ns = 1700000000LL * 1000000000LL;
	eo.max_transitions = 100000;
	if (step_execute(m, in, &eo, &res, &err) != 0)
		fail_msg("engine error: %s", sd_error_text(&err));
	json_decref(in);
	return res;
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

/* Run def on input and check status and output (or error and cause). */
static void
check(const char *def, const char *input, const char *status,
    const char *output_or_error, const char *cause)
{
	struct step_machine *m = build(def);
	struct step_result *res = run_m(m, input, 0);

	if (strcmp(step_status_name(step_result_status(res)), status) != 0) {
		json_t *j = step_result_json(res, 1, 0);
		char *s = sd_json_dumps(j, 0);

		fail_msg("status: expected %s, got %s", status, s);
	}
	if (strcmp(status, "SUCCEEDED") == 0)
		assert_json(step_result_output(res), output_or_error);
	else {
		if (output_or_error == NULL)
			assert_null(step_result_error(res));
		else
			assert_string_equal(step_result_error(res), output_or_error);
		if (cause == NULL)
			assert_null(step_result_cause(res));
		else
			assert_string_equal(step_result_cause(res), cause);
	}
	step_result_free(res);
	step_machine_free(m);
}

static void
check_def_error(const char *def, const char *location, const char *msgpart)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;

	assert_int_not_equal(step_machine_new(def, strlen(def), NULL, &m, &err), 0);
	assert_null(m);
	if (location != NULL) {
		assert_non_null(err.location);
		assert_string_equal(err.location, location);
	}
	if (msgpart != NULL && strstr(err.message, msgpart) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err.message, msgpart);
	sd_error_clear(&err);
}

/* ------------------------------------------------------------ Pass, I/O */

static void
test_pass_result_and_paths(void **state)
{
	(void)state;
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Result\":{\"x\":1},\"End\":true}}}", "{\"a\":1}", "SUCCEEDED",
	    "{\"x\":1}", NULL);
	/* ResultPath creates intermediate objects. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Result\":6,\"ResultPath\":\"$.master.result.sum\",\"End\":true}}}",
	    "{\"master\":{\"detail\":[1,2,3]}}", "SUCCEEDED",
	    "{\"master\":{\"detail\":[1,2,3],\"result\":{\"sum\":6}}}", NULL);
	/* ResultPath overwrites. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Result\":6,\"ResultPath\":\"$.master.detail\",\"End\":true}}}",
	    "{\"master\":{\"detail\":[1,2,3]}}", "SUCCEEDED",
	    "{\"master\":{\"detail\":6}}", NULL);
	/* InputPath then OutputPath. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"InputPath\":\"$.numbers\",\"ResultPath\":\"$.copy\","
	    "\"OutputPath\":\"$.copy.val1\",\"End\":true}}}",
	    "{\"numbers\":{\"val1\":3,\"val2\":4}}", "SUCCEEDED", "3", NULL);
	/* null paths. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"InputPath\":null,\"End\":true}}}", "{\"a\":1}", "SUCCEEDED", "{}",
	    NULL);
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Result\":5,\"ResultPath\":null,\"End\":true}}}", "{\"a\":1}",
	    "SUCCEEDED", "{\"a\":1}", NULL);
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"OutputPath\":null,\"End\":true}}}", "{\"a\":1}", "SUCCEEDED", "{}",
	    NULL);
	/* Any JSON value as input and output. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"End\":true}}}", "[1,\"two\",null]", "SUCCEEDED", "[1,\"two\",null]",
	    NULL);
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"End\":true}}}", "\"text\"", "SUCCEEDED", "\"text\"", NULL);
	/* An indefinite InputPath gathers matches into an array. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"InputPath\":\"$.a[0,1]\",\"End\":true}}}", "{\"a\":[1,2,3]}",
	    "SUCCEEDED", "[1,2]", NULL);
}

static void
test_parameters(void **state)
{
	(void)state;
	/* The spec's Payload Template example. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"flagged\":true,\"parts\":{\"first.$\":\"$.vals[0]\","
	    "\"last3.$\":\"$.vals[-3:]\"}},\"End\":true}}}",
	    "{\"flagged\":7,\"vals\":[0,10,20,30,40,50]}", "SUCCEEDED",
	    "{\"flagged\":true,\"parts\":{\"first\":0,\"last3\":[30,40,50]}}", NULL);
	/* Objects inside arrays are templates too; .$ in Result is literal. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"list\":[{\"v.$\":\"$.a\"},2]},\"Next\":\"Q\"},"
	    "\"Q\":{\"Type\":\"Pass\",\"Result\":{\"k.$\":\"$.a\"},"
	    "\"ResultPath\":\"$.r\",\"End\":true}}}", "{\"a\":\"x\"}", "SUCCEEDED",
	    "{\"list\":[{\"v\":\"x\"},2],\"r\":{\"k.$\":\"$.a\"}}", NULL);
	/* A path that finds nothing: States.Runtime with AWS's cause. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"v.$\":\"$.missing\"},\"End\":true}}}", "{\"a\":1}",
	    "FAILED", "States.Runtime",
	    "An error occurred while executing the state 'P' (entered at the "
	    "event id #2). The JSONPath '$.missing' specified for the field "
	    "'v.$' could not be found in the input '{\"a\":1}'");
	/* Intrinsic MathAdd. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"i.$\":\"States.MathAdd($.i, 1)\"},\"End\":true}}}",
	    "{\"i\":41}", "SUCCEEDED", "{\"i\":42}", NULL);
}

static void
test_context_object(void **state)
{
	(void)state;
	check("{\"StartAt\":\"First\",\"States\":{\"First\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"name.$\":\"$$.State.Name\",\"in.$\":"
	    "\"$$.Execution.Input.a\",\"retry.$\":\"$$.State.RetryCount\","
	    "\"sm.$\":\"$$.StateMachine.Name\",\"t.$\":\"$$.Execution.StartTime\"},"
	    "\"End\":true}}}", "{\"a\":7}", "SUCCEEDED",
	    "{\"name\":\"First\",\"in\":7,\"retry\":0,\"sm\":\"StateMachine\","
	    "\"t\":\"2023-11-14T22:13:20.000Z\"}", NULL);
	/* Virtual clock: a Wait of 90 s moves the next state's EnteredTime. */
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"Seconds\":90,\"Next\":\"P\"},\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"t.$\":\"$$.State.EnteredTime\"},\"End\":true}}}",
	    "{}", "SUCCEEDED", "{\"t\":\"2023-11-14T22:14:50.000Z\"}", NULL);
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"Timestamp\":\"2023-11-15T00:00:00Z\",\"Next\":\"P\"},\"P\":{\"Type\":"
	    "\"Pass\",\"Parameters\":{\"t.$\":\"$$.State.EnteredTime\"},"
	    "\"End\":true}}}", "{}", "SUCCEEDED",
	    "{\"t\":\"2023-11-15T00:00:00.000Z\"}", NULL);
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"SecondsPath\":\"$.s\",\"Next\":\"P\"},\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"t.$\":\"$$.State.EnteredTime\"},\"End\":true}}}",
	    "{\"s\":10}", "SUCCEEDED", "{\"t\":\"2023-11-14T22:13:30.000Z\"}", NULL);
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"TimestampPath\":\"$.ts\",\"Next\":\"P\"},\"P\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"t.$\":\"$$.State.EnteredTime\"},\"End\":true}}}",
	    "{\"ts\":\"2023-11-14T23:13:20+01:00\"}", "SUCCEEDED",
	    "{\"t\":\"2023-11-14T22:13:20.000Z\"}", NULL);
}

static void
test_wait_errors(void **state)
{
	(void)state;
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"SecondsPath\":\"$.s\",\"End\":true}}}", "{\"s\":-1}", "FAILED",
	    "States.Runtime", "An error occurred while executing the state 'W' "
	    "(entered at the event id #2). The SecondsPath parameter references a "
	    "negative value: $.s == -1");
	check("{\"StartAt\":\"W\",\"States\":{\"W\":{\"Type\":\"Wait\","
	    "\"SecondsPath\":\"$.s\",\"End\":true}}}", "{\"s\":1.5}", "FAILED",
	    "States.Runtime", "An error occurred while executing the state 'W' "
	    "(entered at the event id #2). The SecondsPath parameter cannot be "
	    "parsed as a long value: $.s == 1.5");
}

static void
test_timeout(void **state)
{
	(void)state;
	check("{\"StartAt\":\"W\",\"TimeoutSeconds\":5,\"States\":{\"W\":{"
	    "\"Type\":\"Wait\",\"Seconds\":10,\"End\":true}}}", "{}", "TIMED_OUT",
	    "States.Timeout", NULL);
	check("{\"StartAt\":\"W\",\"TimeoutSeconds\":15,\"States\":{\"W\":{"
	    "\"Type\":\"Wait\",\"Seconds\":10,\"End\":true}}}", "{}", "SUCCEEDED",
	    "{}", NULL);
}

/* ------------------------------------------------------------ Choice */

static const char *choice_def =
    "{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\",\"Choices\":["
    "{\"And\":[{\"Variable\":\"$.n\",\"NumericGreaterThanEquals\":10},"
    "{\"Not\":{\"Variable\":\"$.s\",\"StringEquals\":\"no\"}}],\"Next\":\"Big\"},"
    "{\"Or\":[{\"Variable\":\"$.n\",\"NumericLessThan\":0},"
    "{\"Variable\":\"$.s\",\"StringMatches\":\"neg*\"}],\"Next\":\"Neg\"}],"
    "\"Default\":\"Other\"},"
    "\"Big\":{\"Type\":\"Pass\",\"Result\":\"big\",\"End\":true},"
    "\"Neg\":{\"Type\":\"Pass\",\"Result\":\"neg\",\"End\":true},"
    "\"Other\":{\"Type\":\"Pass\",\"Result\":\"other\",\"End\":true}}}";

static void
test_choice(void **state)
{
	(void)state;
	check(choice_def, "{\"n\":10,\"s\":\"yes\"}", "SUCCEEDED", "\"big\"", NULL);
	check(choice_def, "{\"n\":10,\"s\":\"no\"}", "SUCCEEDED", "\"other\"", NULL);
	check(choice_def, "{\"n\":-1,\"s\":\"x\"}", "SUCCEEDED", "\"neg\"", NULL);
	check(choice_def, "{\"n\":5,\"s\":\"negative\"}", "SUCCEEDED", "\"neg\"",
	    NULL);
	check(choice_def, "{\"n\":5,\"s\":\"pos\"}", "SUCCEEDED", "\"other\"", NULL);
	check("{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
	    "\"Choices\":[{\"Variable\":\"$.n\",\"NumericEquals\":1,\"Next\":"
	    "\"D\"}]},\"D\":{\"Type\":\"Succeed\"}}}", "{\"n\":2}", "FAILED",
	    "States.NoChoiceMatched", "No Matches!");
	/* The path taken. */
	{
		struct step_machine *m = build(choice_def);
		struct step_result *res = run_m(m, "{\"n\":99,\"s\":\"a\"}", 0);

		assert_json(step_result_path(res), "[\"C\",\"Big\"]");
		assert_int_equal(step_result_transitions(res), 2);
		step_result_free(res);
		step_machine_free(m);
	}
}

/* ------------------------------------------------------------ Fail, Succeed */

static void
test_fail_succeed(void **state)
{
	(void)state;
	check("{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
	    "\"Error\":\"MyError\",\"Cause\":\"it broke\"}}}", "{}", "FAILED",
	    "MyError", "it broke");
	check("{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\"}}}", "{}",
	    "FAILED", NULL, NULL);
	check("{\"StartAt\":\"F\",\"States\":{\"F\":{\"Type\":\"Fail\","
	    "\"ErrorPath\":\"$.e\",\"CausePath\":\"$.c\"}}}",
	    "{\"e\":\"E1\",\"c\":\"C1\"}", "FAILED", "E1", "C1");
	check("{\"StartAt\":\"S\",\"States\":{\"S\":{\"Type\":\"Succeed\","
	    "\"InputPath\":\"$.a\",\"OutputPath\":\"$.b\"}}}",
	    "{\"a\":{\"b\":[1]}}", "SUCCEEDED", "[1]", NULL);
}

/* ------------------------------------------------------------ Task */

struct counter {
	int	calls;
	int	fail_first;	/* fail this many calls */
	const char *error;
	json_t	*seen_retry;	/* RetryCount seen on each call */
};

static int
flaky(void *user, const struct step_task_call *call, json_t **out,
    struct step_task_failure *f)
{
	struct counter *c = user;
	json_t *rc = json_object_get(json_object_get(call->context, "State"),
	    "RetryCount");

	if (c->seen_retry != NULL)
		json_array_append(c->seen_retry, rc);
	if (c->calls++ < c->fail_first) {
		f->error = strdup(c->error);
		f->cause = strdup("flaky failure");
		return -1;
	}
	*out = json_pack("{s:i, s:O}", "calls", c->calls, "in", call->input);
	return 0;
}

static struct step_result *
run_with_handler(const char *def, const char *input, struct counter *c)
{
	struct step_machine *m = build(def);
	struct step_result *res;

	assert_int_equal(step_machine_register(m, "T", flaky, c), 0);
	res = run_m(m, input, 1);
	step_machine_free(m);
	return res;
}

static void
test_task_retry(void **state)
{
	struct counter c = { 0, 2, "Boom", NULL };
	struct step_result *res;
	const char *def = "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:aws:states:::x\",\"Retry\":[{\"ErrorEquals\":"
	    "[\"Boom\"],\"MaxAttempts\":2,\"IntervalSeconds\":1}],\"End\":true}}}";

	(void)state;
	c.seen_retry = json_array();
	res = run_with_handler(def, "{\"k\":1}", &c);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"calls\":3,\"in\":{\"k\":1}}");
	assert_json(c.seen_retry, "[0,1,2]");
	step_result_free(res);
	json_decref(c.seen_retry);

	/* One failure too many: the error stands. */
	memset(&c, 0, sizeof(c));
	c.fail_first = 3;
	c.error = "Boom";
	res = run_with_handler(def, "{}", &c);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "Boom");
	assert_string_equal(step_result_cause(res), "flaky failure");
	assert_int_equal(c.calls, 3);
	step_result_free(res);

	/* MaxAttempts 0 never retries; other errors are not retried. */
	memset(&c, 0, sizeof(c));
	c.fail_first = 1;
	c.error = "Boom";
	res = run_with_handler("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":"
	    "\"Task\",\"Resource\":\"r\",\"Retry\":[{\"ErrorEquals\":[\"Boom\"],"
	    "\"MaxAttempts\":0},{\"ErrorEquals\":[\"States.ALL\"]}],\"End\":true}}}",
	    "{}", &c);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_int_equal(c.calls, 1);
	step_result_free(res);
}

static void
test_retry_timing(void **state)
{
	/* Intervals 10 then 20 s (BackoffRate 2): 30 s of retries in all. */
#define RETRY_TMPL "{\"StartAt\":\"T\",\"TimeoutSeconds\":%d,\"States\":" \
	    "{\"T\":{\"Type\":\"Task\",\"Resource\":\"r\",\"Retry\":[{" \
	    "\"ErrorEquals\":[\"States.ALL\"],\"IntervalSeconds\":10," \
	    "\"BackoffRate\":2,\"MaxAttempts\":2%s}],\"End\":true}}}"
	char def[512];
	struct counter c;
	struct step_result *res;

	(void)state;
	snprintf(def, sizeof(def), RETRY_TMPL, 29, "");
	memset(&c, 0, sizeof(c));
	c.fail_first = 2;
	c.error = "E";
	res = run_with_handler(def, "{}", &c);
	assert_int_equal(step_result_status(res), STEP_TIMED_OUT);
	step_result_free(res);

	snprintf(def, sizeof(def), RETRY_TMPL, 31, "");
	memset(&c, 0, sizeof(c));
	c.fail_first = 2;
	c.error = "E";
	res = run_with_handler(def, "{}", &c);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	step_result_free(res);

	/* MaxDelaySeconds 12 caps the second interval: 22 s in all. */
	snprintf(def, sizeof(def), RETRY_TMPL, 23, ",\"MaxDelaySeconds\":12");
	memset(&c, 0, sizeof(c));
	c.fail_first = 2;
	c.error = "E";
	res = run_with_handler(def, "{}", &c);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	step_result_free(res);
}

static void
test_task_catch(void **state)
{
	struct counter c = { 0, 1, "Custom", NULL };
	struct step_result *res;

	(void)state;
	res = run_with_handler("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":"
	    "\"Task\",\"Resource\":\"r\",\"Catch\":[{\"ErrorEquals\":[\"Other\"],"
	    "\"Next\":\"No\"},{\"ErrorEquals\":[\"States.TaskFailed\"],"
	    "\"ResultPath\":\"$.err\",\"Next\":\"Yes\"}],\"End\":true},"
	    "\"No\":{\"Type\":\"Fail\"},\"Yes\":{\"Type\":\"Pass\",\"End\":true}}}",
	    "{\"orig\":1}", &c);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"orig\":1,\"err\":{\"Error\":"
	    "\"Custom\",\"Cause\":\"flaky failure\"}}");
	assert_json(step_result_path(res), "[\"T\",\"Yes\"]");
	step_result_free(res);
}

static void
test_task_history(void **state)
{
	struct counter c = { 0, 0, "x", NULL };
	struct step_result *res;
	json_t *h, *ev;
	size_t i;
	const char *want[] = { "ExecutionStarted", "TaskStateEntered",
	    "LambdaFunctionScheduled", "LambdaFunctionStarted",
	    "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded" };

	(void)state;
	res = run_with_handler("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":"
	    "\"Task\",\"Resource\":\"arn:aws:lambda:us-east-1:000000000000:"
	    "function:f\",\"End\":true}}}", "{}", &c);
	h = step_result_history(res);
	assert_int_equal(json_array_size(h), 7);
	json_array_foreach(h, i, ev) {
		assert_string_equal(json_string_value(json_object_get(ev, "type")),
		    want[i]);
		assert_int_equal(json_integer_value(json_object_get(ev, "id")),
		    (json_int_t)i + 1);
	}
	step_result_free(res);
}

static void
test_mocks(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m;
	struct step_result *res;
	json_t *mocks;
	const char *def = "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:r1\",\"ResultPath\":\"$.a\",\"Next\":\"B\"},"
	    "\"B\":{\"Type\":\"Task\",\"Resource\":\"arn:r2\",\"ResultPath\":\"$.b\","
	    "\"Retry\":[{\"ErrorEquals\":[\"Flaky\"],\"IntervalSeconds\":1}],"
	    "\"Next\":\"C\"},\"C\":{\"Type\":\"Task\",\"Resource\":\"arn:r2\","
	    "\"ResultPath\":\"$.c\",\"End\":true}}}";

	(void)state;
	m = build(def);
	mocks = J("{\"A\":{\"result\":1},\"arn:r2\":[{\"error\":\"Flaky\","
	    "\"cause\":\"x\"},{\"result\":2},{\"result\":3}]}");
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"a\":1,\"b\":2,\"c\":3}");
	step_result_free(res);
	/* The list starts over for each execution. */
	res = run_m(m, "{}", 0);
	assert_json(step_result_output(res), "{\"a\":1,\"b\":2,\"c\":3}");
	step_result_free(res);
	json_decref(mocks);
	/* Used up: the execution fails naming the key. */
	mocks = J("{\"A\":{\"result\":1},\"arn:r2\":[{\"result\":2}]}");
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "States.Runtime");
	assert_non_null(strstr(step_result_cause(res), "'arn:r2' are used up"));
	step_result_free(res);
	json_decref(mocks);
	/* A malformed mock is refused with its location. */
	mocks = J("{\"A\":[{\"result\":1},{\"oops\":2}]}");
	assert_int_not_equal(step_machine_set_mocks(m, mocks, &err), 0);
	assert_string_equal(err.location, "/A[1]");
	sd_error_clear(&err);
	json_decref(mocks);
	step_machine_free(m);
	/* No mock at all. */
	check("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:r\",\"End\":true}}}", "{}", "FAILED",
	    "States.Runtime", "An error occurred while executing the state 'A' "
	    "(entered at the event id #2). No mock or handler answers the Task "
	    "state 'A' (resource 'arn:r')");
}

static void
test_task_timeout(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m;
	struct step_result *res;
	json_t *mocks;

	(void)state;
	m = build("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:r\",\"TimeoutSeconds\":5,\"Catch\":[{"
	    "\"ErrorEquals\":[\"States.TaskFailed\"],\"Next\":\"Bad\"},{"
	    "\"ErrorEquals\":[\"States.Timeout\"],\"Next\":\"Slow\"}],\"End\":true},"
	    "\"Bad\":{\"Type\":\"Fail\"},\"Slow\":{\"Type\":\"Pass\",\"End\":true}}}");
	mocks = J("{\"A\":{\"result\":1,\"delaySeconds\":6}}");
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"Error\":\"States.Timeout\"}");
	assert_json(step_result_path(res), "[\"A\",\"Slow\"]");
	step_result_free(res);
	json_decref(mocks);
	mocks = J("{\"A\":{\"result\":1,\"delaySeconds\":4}}");
	assert_int_equal(step_machine_set_mocks(m, mocks, &err), 0);
	res = run_m(m, "{}", 0);
	assert_json(step_result_output(res), "1");
	step_result_free(res);
	json_decref(mocks);
	step_machine_free(m);
}

/*
 * Callbacks from a C handler (step_send_task_*), as AWS's SendTaskSuccess,
 * SendTaskFailure and SendTaskHeartbeat APIs take them
 * (docs.aws.amazon.com/step-functions/latest/apireference/
 * API_SendTaskSuccess.html and its Errors).
 */
struct cb_plan {
	int	mode;		/* 0 beat+success, 1 bad token, 2 result too */
	int	rr_rc;		/* what a callback from a non-callback call gave */
};

static int
cb_handler(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct cb_plan *p = user;
	json_t *sub = J("{\"MessageId\":\"m-1\"}");

	(void)failure;
	if (call->task_token == NULL) {
		p->rr_rc = step_send_task_heartbeat(call, NULL, 1);
		json_decref(sub);
		*output = json_integer(7);
		return 0;
	}
	assert_int_equal(step_task_submitted(call, sub), 0);
	assert_int_equal(step_task_submitted(call, sub), SD_ERR_INVALID);
	json_decref(sub);
	assert_int_equal(step_send_task_heartbeat(call, NULL, 5), 0);
	if (p->mode == 1)
		assert_int_equal(step_send_task_success(call, "not-a-token",
		    "1", 6), 0);
	/* Not before the previous call. */
	assert_int_equal(step_send_task_success(call, NULL, "1", 4),
	    SD_ERR_INVALID);
	assert_int_equal(step_send_task_success(call, call->task_token,
	    "{\"ok\":true}", 8), 0);
	if (p->mode == 2)
		*output = json_integer(1);
	return 0;
}

static void
test_callbacks(void **state)
{
	struct cb_plan p = { 0, 0 };
	struct step_machine *m;
	struct step_result *res;
	json_t *h, *ev, *types;
	size_t i;

	(void)state;
	m = build("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:aws:states:::sqs:sendMessage.waitForTaskToken\","
	    "\"HeartbeatSeconds\":6,\"Next\":\"R\"},\"R\":{\"Type\":\"Task\","
	    "\"Resource\":\"arn:aws:states:::sqs:sendMessage\",\"ResultPath\":"
	    "null,\"End\":true}}}");
	assert_int_equal(step_machine_register(m, NULL, cb_handler, &p), 0);
	res = run_m(m, "{}", 1);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_output(res), "{\"ok\":true}");
	assert_json(step_result_refused_callbacks(res), "[]");
	assert_int_equal(p.rr_rc, SD_ERR_INVALID);
	h = step_result_history(res);
	types = json_array();
	json_array_foreach(h, i, ev)
		json_array_append(types, json_object_get(ev, "type"));
	assert_json(types, "[\"ExecutionStarted\",\"TaskStateEntered\","
	    "\"TaskScheduled\",\"TaskStarted\",\"TaskSubmitted\",\"TaskSucceeded\","
	    "\"TaskStateExited\",\"TaskStateEntered\",\"TaskScheduled\","
	    "\"TaskStarted\",\"TaskSucceeded\",\"TaskStateExited\","
	    "\"ExecutionSucceeded\"]");
	json_decref(types);
	assert_json(json_object_get(json_array_get(h, 4),
	    "taskSubmittedEventDetails"), "{\"resourceType\":\"sqs\",\"resource\":"
	    "\"sendMessage.waitForTaskToken\",\"output\":\"{\\\"MessageId\\\":"
	    "\\\"m-1\\\"}\",\"outputDetails\":{\"truncated\":false}}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(h,
	    5), "timestamp")), "2023-11-14T22:13:28.000Z");
	step_result_free(res);

	p.mode = 1;
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_json(step_result_refused_callbacks(res), "[{\"state\":\"T\","
	    "\"afterSeconds\":6.0,\"call\":\"SendTaskSuccess\",\"error\":"
	    "\"InvalidToken\",\"cause\":\"The provided token is not valid.\"}]");
	step_result_free(res);

	p.mode = 2;
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "States.Runtime");
	step_result_free(res);
	step_machine_free(m);
}

/* ------------------------------------------------------------ Parallel, Map */

static void
test_parallel(void **state)
{
	(void)state;
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
	    "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"InputPath\":\"$.x\",\"End\":true}}},{\"StartAt\":\"B\",\"States\":"
	    "{\"B\":{\"Type\":\"Pass\",\"Result\":\"b\",\"End\":true}}}],"
	    "\"ResultSelector\":{\"first.$\":\"$[0]\",\"all.$\":\"$\"},"
	    "\"ResultPath\":\"$.r\",\"End\":true}}}", "{\"x\":1}", "SUCCEEDED",
	    "{\"x\":1,\"r\":{\"first\":1,\"all\":[1,\"b\"]}}", NULL);
	/* A failing branch fails the state with its error; Catch sees it. */
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
	    "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"End\":true}}},{\"StartAt\":\"B\",\"States\":{\"B\":{\"Type\":\"Fail\","
	    "\"Error\":\"BranchErr\",\"Cause\":\"c\"}}}],\"Catch\":[{\"ErrorEquals\":"
	    "[\"BranchErr\"],\"Next\":\"H\"}],\"End\":true},\"H\":{\"Type\":"
	    "\"Pass\",\"End\":true}}}", "{}", "SUCCEEDED",
	    "{\"Error\":\"BranchErr\",\"Cause\":\"c\"}", NULL);
	/* Branches run in the same virtual time: 10 s + 20 s take 20 s. */
	check("{\"StartAt\":\"P\",\"TimeoutSeconds\":25,\"States\":{\"P\":{\"Type\":"
	    "\"Parallel\",\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{"
	    "\"Type\":\"Wait\",\"Seconds\":10,\"End\":true}}},{\"StartAt\":\"B\","
	    "\"States\":{\"B\":{\"Type\":\"Wait\",\"Seconds\":20,\"End\":true}}}],"
	    "\"End\":true}}}", "{}", "SUCCEEDED", "[{},{}]", NULL);
}

static void
test_map(void **state)
{
	(void)state;
	check("{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
	    "\"ItemsPath\":\"$.items\",\"ItemSelector\":{\"i.$\":"
	    "\"$$.Map.Item.Index\",\"v.$\":\"$$.Map.Item.Value\",\"k.$\":\"$.k\"},"
	    "\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":"
	    "\"Pass\",\"End\":true}}},\"ResultPath\":\"$.out\",\"End\":true}}}",
	    "{\"k\":\"K\",\"items\":[\"a\",\"b\"]}", "SUCCEEDED",
	    "{\"k\":\"K\",\"items\":[\"a\",\"b\"],\"out\":[{\"i\":0,\"v\":\"a\","
	    "\"k\":\"K\"},{\"i\":1,\"v\":\"b\",\"k\":\"K\"}]}", NULL);
	/* Legacy Iterator + Parameters. */
	check("{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
	    "\"Parameters\":{\"x.$\":\"$$.Map.Item.Value\"},\"Iterator\":{"
	    "\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"OutputPath\":\"$.x\",\"End\":true}}},\"End\":true}}}", "[3,4]",
	    "SUCCEEDED", "[3,4]", NULL);
	/* Not an array. */
	check("{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":\"Map\","
	    "\"ItemsPath\":\"$.x\",\"ItemProcessor\":{\"StartAt\":\"P\",\"States\":"
	    "{\"P\":{\"Type\":\"Pass\",\"End\":true}}},\"End\":true}}}", "{\"x\":1}",
	    "FAILED", "States.Runtime", "An error occurred while executing the "
	    "state 'M' (entered at the event id #2). Map state input must be an "
	    "array but was: 1");
	/* Failure tolerance. */
	{
#define MAP_TMPL "{\"StartAt\":\"M\",\"States\":{\"M\":{\"Type\":" \
		    "\"Map\",%s\"ItemProcessor\":{\"StartAt\":\"C\",\"States\":{\"C\":" \
		    "{\"Type\":\"Choice\",\"Choices\":[{\"Variable\":\"$\"," \
		    "\"NumericLessThan\":0,\"Next\":\"F\"}],\"Default\":\"P\"},\"F\":" \
		    "{\"Type\":\"Fail\",\"Error\":\"Neg\"},\"P\":{\"Type\":\"Pass\"," \
		    "\"End\":true}}},\"End\":true}}}"
		char def[1024];

		snprintf(def, sizeof(def), MAP_TMPL, "");
		check(def, "[1,-1,2]", "FAILED", "Neg", NULL);
		snprintf(def, sizeof(def), MAP_TMPL, "\"ToleratedFailureCount\":1,");
		check(def, "[1,-1,2]", "SUCCEEDED", "[1,{\"Error\":\"Neg\"},2]", NULL);
		check(def, "[1,-1,-2]", "FAILED",
		    "States.ExceedToleratedFailureThreshold",
		    "The specified tolerance threshold was exceeded");
		snprintf(def, sizeof(def), MAP_TMPL,
		    "\"ToleratedFailurePercentage\":50,");
		check(def, "[1,-1,-2,3]", "SUCCEEDED",
		    "[1,{\"Error\":\"Neg\"},{\"Error\":\"Neg\"},3]", NULL);
		check(def, "[-1,-1,-2,3]", "FAILED",
		    "States.ExceedToleratedFailureThreshold",
		    "The specified tolerance threshold was exceeded");
	}
	/* MaxConcurrency 1 serialises virtual time: 3 × 10 s. */
	check("{\"StartAt\":\"M\",\"TimeoutSeconds\":25,\"States\":{\"M\":{"
	    "\"Type\":\"Map\",\"MaxConcurrency\":1,\"ItemProcessor\":{\"StartAt\":"
	    "\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":10,\"End\":"
	    "true}}},\"End\":true}}}", "[1,2,3]", "TIMED_OUT", "States.Timeout",
	    NULL);
	check("{\"StartAt\":\"M\",\"TimeoutSeconds\":25,\"States\":{\"M\":{"
	    "\"Type\":\"Map\",\"MaxConcurrency\":3,\"ItemProcessor\":{\"StartAt\":"
	    "\"W\",\"States\":{\"W\":{\"Type\":\"Wait\",\"Seconds\":10,\"End\":"
	    "true}}},\"End\":true}}}", "[1,2,3]", "SUCCEEDED", "[1,2,3]", NULL);
}

/* ------------------------------------------------------------ errors */

static void
test_runtime_errors(void **state)
{
	char *big;
	size_t n = 300 * 1024, len;

	(void)state;
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"OutputPath\":\"$.nope\",\"End\":true}}}", "{\"a\":0}", "FAILED",
	    "States.Runtime", "An error occurred while executing the state 'P' "
	    "(entered at the event id #2). Invalid path '$.nope' : No results for "
	    "path: $['nope']");
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"Result\":1,\"ResultPath\":\"$.x\",\"End\":true}}}", "\"foo\"",
	    "FAILED", "States.ResultPathMatchFailure", "An error occurred while "
	    "executing the state 'P' (entered at the event id #2). Unable to apply "
	    "ResultPath '$.x' to input '\"foo\"'");
	/* A result over 256 KiB. */
	{
		const char *pre = "{\"StartAt\":\"P\",\"States\":{\"P\":{"
		    "\"Type\":\"Pass\",\"Result\":\"";
		const char *post = "\",\"End\":true}}}";

		len = strlen(pre) + n + strlen(post) + 1;
		big = calloc(1, len);
		assert_non_null(big);
		memcpy(big, pre, strlen(pre));
		memset(big + strlen(pre), 'x', n);
		memcpy(big + strlen(pre) + n, post, strlen(post) + 1);
	}
	/* AWS: the bare sentence, without "An error occurred while ...". */
	check(big, "{}", "FAILED", "States.DataLimitExceeded",
	    "The state/task 'P' returned a result with a size "
	    "exceeding the maximum number of bytes service limit.");
	free(big);
	/*
	 * The size is the serialised one: 20,000 integers of 13 digits are
	 * 280,001 bytes, over the limit (a fixed 8 bytes a number would have
	 * missed it), and 18,000 of them (252,001 bytes) are within it.
	 */
	{
		size_t i, cnt[2] = { 20000, 18000 }, k;

		for (k = 0; k < 2; k++) {
			len = cnt[k] * 14 + 2;
			big = calloc(1, len + 1);
			assert_non_null(big);
			big[0] = '[';
			for (i = 0; i < cnt[k]; i++)
				memcpy(big + 1 + i * 14, i + 1 < cnt[k] ?
				    "1000000000000," : "1000000000000]", 14);
			if (k == 0)
				check("{\"StartAt\":\"P\",\"States\":{\"P\":{"
				    "\"Type\":\"Pass\",\"End\":true}}}", big, "FAILED",
				    "States.DataLimitExceeded", "The state/task 'P' "
				    "returned a result with a size exceeding the maximum "
				    "number of bytes service limit.");
			else
				check("{\"StartAt\":\"P\",\"States\":{\"P\":{"
				    "\"Type\":\"Pass\",\"End\":true}}}", big,
				    "SUCCEEDED", big, NULL);
			free(big);
		}
	}
	/* States.ALL does not catch States.Runtime. */
	check("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
	    "\"Resource\":\"r\",\"InputPath\":\"$.nope\",\"Catch\":[{\"ErrorEquals\":"
	    "[\"States.ALL\"],\"Next\":\"H\"}],\"End\":true},\"H\":{\"Type\":"
	    "\"Succeed\"}}}", "{}", "FAILED", "States.Runtime",
	    "An error occurred while executing the state 'T' (entered at the event "
	    "id #2). Invalid path '$.nope' : No results for path: $['nope']");
}

static void
test_definition_errors(void **state)
{
	(void)state;
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"Next\":\"Nope\"}}}", "/States/A/Next", "no state named \"Nope\"");
	check_def_error("{\"StartAt\":\"Z\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"End\":true}}}", "/StartAt", "no state named \"Z\"");
	check_def_error("{\"StartAt\":\"C\",\"States\":{\"C\":{\"Type\":\"Choice\","
	    "\"Choices\":[{\"Variable\":\"$.a\",\"NumericEquals\":1,\"Next\":"
	    "\"Nope\"}]}}}", "/States/C/Choices[0]/Next", "no state named");
	check_def_error("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
	    "\"Resource\":\"r\",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],"
	    "\"Next\":\"X\"}],\"End\":true}}}", "/States/T/Catch[0]/Next",
	    "no state named \"X\"");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"End\":true,\"Bogus\":1}}}", "/States/A/Bogus", "not allowed");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"End\":true},\"B\":{\"Type\":\"Pass\",\"End\":true}}}", "/States/B",
	    "not reachable");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\"}}}",
	    "/States/A", "needs \"Next\"");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Nope\","
	    "\"End\":true}}}", "/States/A/Type", "unknown state type");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"Parameters\":{\"x.$\":\"$.a[\"},\"End\":true}}}",
	    "/States/A/Parameters/x.$", "not a valid JSONPath");
	check_def_error("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"ResultPath\":\"$.a[*]\",\"End\":true}}}", "/States/A/ResultPath",
	    "reference path");
	check_def_error("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Parallel\","
	    "\"Branches\":[{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\","
	    "\"Next\":\"Out\"}}}],\"End\":true},\"Out\":{\"Type\":\"Succeed\"}}}",
	    "/States/P/Branches[0]/States/A/Next", "no state named \"Out\"");
	check_def_error("{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":\"Task\","
	    "\"Resource\":\"r\",\"Retry\":[{\"ErrorEquals\":[\"States.ALL\"]},"
	    "{\"ErrorEquals\":[\"E\"]}],\"End\":true}}}",
	    "/States/T/Retry[0]/ErrorEquals[0]", "States.ALL");
	check_def_error("[1]", "", "must be a JSON object");
	check_def_error("{\"StartAt\":", NULL, "not valid JSON");
}

static void
test_number_format(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(sd_json_fmt_real(0.1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.1");
	assert_int_equal(sd_json_fmt_real(3.0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "3");
	assert_int_equal(sd_json_fmt_real(1.0 / 3.0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0.3333333333333333");
	assert_int_equal(sd_json_fmt_real(1e300, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1e+300");
	check("{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\","
	    "\"End\":true}}}", "{\"a\":0.1,\"b\":2.50}", "SUCCEEDED",
	    "{\"a\":0.1,\"b\":2.5}", NULL);
}

static void
test_trace(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = build("{\"StartAt\":\"P\",\"States\":{\"P\":"
	    "{\"Type\":\"Pass\",\"InputPath\":\"$.a\",\"Parameters\":{\"v.$\":"
	    "\"$.b\"},\"ResultPath\":\"$.r\",\"OutputPath\":\"$.r\",\"Next\":"
	    "\"S\"},\"S\":{\"Type\":\"Succeed\"}}}");
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *in = J("{\"a\":{\"b\":1}}");

	(void)state;
	memset(&eo, 0, sizeof(eo));
	eo.record_trace = 1;
	assert_int_equal(step_execute(m, in, &eo, &res, &err), 0);
	assert_json(step_result_trace(res), "[{\"state\":\"P\",\"type\":"
	    "\"Pass\",\"input\":{\"a\":{\"b\":1}},\"afterInputPath\":{\"b\":1},"
	    "\"afterParameters\":{\"v\":1},\"result\":{\"v\":1},"
	    "\"afterResultSelector\":{\"v\":1},\"afterResultPath\":{\"a\":{\"b\":1},"
	    "\"r\":{\"v\":1}},\"output\":{\"v\":1},\"next\":\"S\","
	    "\"retryCount\":0},{\"state\":\"S\",\"type\":\"Succeed\",\"input\":"
	    "{\"v\":1},\"afterInputPath\":{\"v\":1},\"output\":{\"v\":1},"
	    "\"retryCount\":0}]");
	step_result_free(res);
	json_decref(in);
	step_machine_free(m);
}

static void
test_test_state(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_test_state_opts ts;
	struct step_machine *m = build("{\"StartAt\":\"T\",\"States\":{\"T\":"
	    "{\"Type\":\"Task\",\"Resource\":\"r\",\"ResultSelector\":{\"x.$\":"
	    "\"$.v\"},\"ResultPath\":\"$.out\",\"Retry\":[{\"ErrorEquals\":"
	    "[\"Flaky\"],\"MaxAttempts\":2}],\"Catch\":[{\"ErrorEquals\":"
	    "[\"States.ALL\"],\"Next\":\"H\"}],\"Next\":\"D\"},\"D\":{\"Type\":"
	    "\"Succeed\"},\"H\":{\"Type\":\"Fail\"}}}");
	json_t *in = J("{\"k\":1}"), *res = J("{\"v\":5}"), *out = NULL;

	(void)state;
	memset(&ts, 0, sizeof(ts));
	ts.mock_result = res;
	assert_int_equal(step_test_state(m, "T", in, &ts, &out, &err), 0);
	assert_json(out, "{\"status\":\"SUCCEEDED\",\"inspectionData\":{"
	    "\"input\":{\"k\":1},\"afterInputPath\":{\"k\":1},"
	    "\"afterParameters\":{\"k\":1},\"result\":{\"v\":5},"
	    "\"afterResultSelector\":{\"x\":5},\"afterResultPath\":{\"k\":1,"
	    "\"out\":{\"x\":5}}},\"output\":{\"k\":1,\"out\":{\"x\":5}},"
	    "\"nextState\":\"D\"}");
	json_decref(out);
	memset(&ts, 0, sizeof(ts));
	ts.mock_error = "Flaky";
	ts.mock_cause = "try again";
	assert_int_equal(step_test_state(m, "T", in, &ts, &out, &err), 0);
	assert_json(json_object_get(out, "status"), "\"RETRIABLE\"");
	assert_json(json_object_get(out, "error"), "\"Flaky\"");
	json_decref(out);
	ts.retry_count = 2;
	assert_int_equal(step_test_state(m, "T", in, &ts, &out, &err), 0);
	assert_json(json_object_get(out, "status"), "\"CAUGHT_ERROR\"");
	assert_json(json_object_get(out, "nextState"), "\"H\"");
	assert_json(json_object_get(out, "output"), "{\"Error\":\"Flaky\","
	    "\"Cause\":\"try again\"}");
	json_decref(out);
	assert_int_equal(step_test_state(m, "Nope", in, &ts, &out, &err),
	    SD_ERR_NOTFOUND);
	sd_error_clear(&err);
	json_decref(in);
	json_decref(res);
	step_machine_free(m);
}

static void
test_lambda_invoke(void **state)
{
	struct counter c = { 0, 0, "E", NULL };
	struct step_machine *m;
	struct step_result *res;
	const char *def = "{\"StartAt\":\"T\",\"States\":{\"T\":{\"Type\":"
	    "\"Task\",\"Resource\":\"arn:aws:states:::lambda:invoke\","
	    "\"Parameters\":{\"Payload.$\":\"$\"},\"ResultSelector\":{"
	    "\"p.$\":\"$.Payload\",\"s.$\":\"$.StatusCode\"},\"End\":true}}}";

	(void)state;
	m = build(def);
	assert_int_equal(step_machine_register(m, "T", flaky, &c), 0);
	res = run_m(m, "{\"k\":1}", 0);
	assert_json(step_result_output(res), "{\"p\":{\"calls\":1,\"in\":"
	    "{\"Payload\":{\"k\":1}}},\"s\":200}");
	step_result_free(res);
	c.calls = 0;
	c.fail_first = 1;
	c.error = "Custom";
	res = run_m(m, "{}", 0);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "Custom");
	assert_string_equal(step_result_cause(res), "{\"errorMessage\":"
	    "\"flaky failure\",\"errorType\":\"Custom\",\"trace\":[]}");
	step_result_free(res);
	step_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pass_result_and_paths),
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_context_object),
		cmocka_unit_test(test_wait_errors),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_choice),
		cmocka_unit_test(test_fail_succeed),
		cmocka_unit_test(test_task_retry),
		cmocka_unit_test(test_retry_timing),
		cmocka_unit_test(test_task_catch),
		cmocka_unit_test(test_task_history),
		cmocka_unit_test(test_mocks),
		cmocka_unit_test(test_task_timeout),
		cmocka_unit_test(test_callbacks),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_runtime_errors),
		cmocka_unit_test(test_definition_errors),
		cmocka_unit_test(test_number_format),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_test_state),
		cmocka_unit_test(test_lambda_invoke),
	};

	return cmocka_run_group_tests_name("engine", tests, NULL, NULL);
}
