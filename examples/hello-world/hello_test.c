/*
 * The hello-world example's own test, in the shape of coinbase/step's:
 * run the machine with its real handler, assert on output and path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "hello.h"
#include "step_test.h"

static void
test_hello_world(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = hello_machine(&err);
	struct step_result *res;

	(void)state;
	assert_non_null(m);
	res = step_test_run(m, "{\"Greeting\":\"\"}");
	assert_non_null(res);
	assert_step_succeeded(res);
	assert_step_output(res, "{\"Greeting\":\"Hello World\"}");
	assert_step_path(res, "[\"Hello\"]");
	step_result_free(res);
	/* A greeting that is there already stays. */
	res = step_test_run(m, "{\"Greeting\":\"Hi\"}");
	assert_step_output(res, "{\"Greeting\":\"Hi\"}");
	step_result_free(res);
	/* Bad input fails the Task with the handler's error. */
	res = step_test_run(m, "{\"Greeting\":5}");
	assert_step_failed(res);
	assert_step_error(res, "InvalidInput");
	step_result_free(res);
	step_machine_free(m);
}

static void
test_hello_json(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = hello_machine(&err);
	json_t *aws;
	char *why = NULL;

	(void)state;
	aws = step_machine_aws_json(m);
	if (!step_json_matches(aws, "{\"Comment\":\"Hello World\",\"StartAt\":"
	    "\"Hello\",\"States\":{\"Hello\":{\"Type\":\"Task\",\"Comment\":"
	    "\"Deploy Step Function\",\"End\":true,\"Resource\":\""
	    HELLO_LAMBDA_ARN "\",\"Parameters\":{\"Task\":\"Hello\","
	    "\"Input.$\":\"$\"}}}}", &why))
		fail_msg("%s", why);
	json_decref(aws);
	step_machine_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_world),
		cmocka_unit_test(test_hello_json),
	};

	return cmocka_run_group_tests_name("hello-world", tests, NULL, NULL);
}
