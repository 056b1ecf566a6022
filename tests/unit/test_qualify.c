/*
 * test_qualify: sd_deploy_qualify, the definition deployed names the
 * release's Lambda by its published version (no mixed window).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "sd_deploy.h"

#define FN	"arn:aws:lambda:us-east-1:123456789012:function:acme-hello"

/* Qualify the definition text in with "7"; compare with want. */
static void
check(const char *in, const char *want, size_t want_count)
{
	json_error_t je;
	json_t *def = json_loads(in, 0, &je), *exp = json_loads(want, 0, &je);
	json_t *got;
	size_t n = 99;
	char *s;

	assert_non_null(def);
	assert_non_null(exp);
	got = sd_deploy_qualify(def, FN, "7", &n);
	assert_non_null(got);
	if (!json_equal(got, exp)) {
		s = json_dumps(got, JSON_SORT_KEYS);
		fail_msg("got %s", s);
	}
	assert_int_equal(n, want_count);
	json_decref(def);
	json_decref(exp);
	json_decref(got);
}

static void
test_task_resource(void **state)
{
	(void)state;
	check("{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
	    "\"Resource\":\"" FN "\",\"End\":true}}}",
	    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Task\","
	    "\"Resource\":\"" FN ":7\",\"End\":true}}}", 1);
	/* $LATEST, an older version and an alias are all re-pointed. */
	check("{\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    ":$LATEST\"},\"B\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    ":3\"},\"C\":{\"Type\":\"Task\",\"Resource\":\"" FN ":live\"}}}",
	    "{\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    ":7\"},\"B\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    ":7\"},\"C\":{\"Type\":\"Task\",\"Resource\":\"" FN ":7\"}}}", 3);
}

static void
test_other_functions_untouched(void **state)
{
	const char *d =
	    "{\"States\":{"
	    "\"A\":{\"Type\":\"Task\",\"Resource\":\"" FN "-two\"},"
	    "\"B\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:lambda:us-east-1:999999999999:function:acme-hello\"},"
	    "\"C\":{\"Type\":\"Task\",\"Resource\":\"" FN ":1:2\"},"
	    "\"D\":{\"Type\":\"Pass\",\"Resource\":\"" FN "\"},"
	    "\"E\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke\",\"Parameters\":"
	    "{\"FunctionName.$\":\"$.fn\"}},"
	    "\"F\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::sqs:sendMessage\",\"Parameters\":"
	    "{\"FunctionName\":\"acme-hello\"}}}}";

	(void)state;
	check(d, d, 0);
}

static void
test_lambda_invoke(void **state)
{
	(void)state;
	check("{\"States\":{"
	    "\"A\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke\",\"Parameters\":"
	    "{\"FunctionName\":\"acme-hello\",\"Payload.$\":\"$\"}},"
	    "\"B\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
	    "\"Parameters\":{\"FunctionName\":"
	    "\"123456789012:function:acme-hello:$LATEST\"}},"
	    "\"C\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke\",\"Arguments\":"
	    "{\"FunctionName\":\"" FN "\"}}}}",
	    "{\"States\":{"
	    "\"A\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke\",\"Parameters\":"
	    "{\"FunctionName\":\"" FN ":7\",\"Payload.$\":\"$\"}},"
	    "\"B\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke.waitForTaskToken\","
	    "\"Parameters\":{\"FunctionName\":\"" FN ":7\"}},"
	    "\"C\":{\"Type\":\"Task\",\"Resource\":"
	    "\"arn:aws:states:::lambda:invoke\",\"Arguments\":"
	    "{\"FunctionName\":\"" FN ":7\"}}}}", 3);
}

static void
test_nested(void **state)
{
	(void)state;
	check("{\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
	    "{\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"" FN "\"}}},"
	    "{\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":"
	    "{\"States\":{\"B\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    "\"}}}}}}]},\"I\":{\"Type\":\"Map\",\"Iterator\":{\"States\":"
	    "{\"C\":{\"Type\":\"Task\",\"Resource\":\"" FN "\"}}}}}}",
	    "{\"States\":{\"P\":{\"Type\":\"Parallel\",\"Branches\":["
	    "{\"States\":{\"A\":{\"Type\":\"Task\",\"Resource\":\"" FN ":7\"}}},"
	    "{\"States\":{\"M\":{\"Type\":\"Map\",\"ItemProcessor\":"
	    "{\"States\":{\"B\":{\"Type\":\"Task\",\"Resource\":\"" FN
	    ":7\"}}}}}}]},\"I\":{\"Type\":\"Map\",\"Iterator\":{\"States\":"
	    "{\"C\":{\"Type\":\"Task\",\"Resource\":\"" FN ":7\"}}}}}}", 3);
}

static void
test_bad_arguments(void **state)
{
	json_t *d = json_object();

	(void)state;
	assert_null(sd_deploy_qualify(d, FN ":3", "7", NULL));
	assert_null(sd_deploy_qualify(d,
	    "arn:aws:states:us-east-1:1:stateMachine:x", "7", NULL));
	assert_null(sd_deploy_qualify(d, FN, "", NULL));
	assert_null(sd_deploy_qualify(d, FN, "a:b", NULL));
	assert_null(sd_deploy_qualify(NULL, FN, "7", NULL));
	json_decref(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_task_resource),
		cmocka_unit_test(test_other_functions_untouched),
		cmocka_unit_test(test_lambda_invoke),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
