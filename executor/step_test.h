/*
 * step_test.h — cmocka helpers for testing a state machine with libstep,
 * so a test reads like a coinbase/step Go test:
 *
 *	#include <stdarg.h>
 *	#include <stddef.h>
 *	#include <setjmp.h>
 *	#include <stdint.h>
 *	#include <cmocka.h>
 *	#include "step_test.h"
 *
 *	res = step_test_run(m, "{\"Greeting\":\"\"}");
 *	assert_step_succeeded(res);
 *	assert_step_output(res, "{\"Greeting\":\"Hello World\"}");
 *	assert_step_path(res, "[\"Hello\"]");
 *	step_result_free(res);
 *
 * Include cmocka.h (and what it needs) first.
 */
#ifndef STEP_TEST_H
#define STEP_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_json.h"
#include "step.h"

/*
 * Compare got with the JSON text expected (numbers by value, keys in any
 * order). Returns 1 when equal; else 0 and *why (new) says how they differ.
 */
int	 step_json_matches(json_t *got, const char *expected, char **why);

/* Run m on the JSON text input (virtual clock, path and history kept). */
struct step_result *step_test_run(struct step_machine *m, const char *input);

#define STEP_ASSERT_JSON_(got, expected) do {				\
	char *why_ = NULL;						\
	if (!step_json_matches((got), (expected), &why_)) {		\
		print_error("%s\n", why_ != NULL ? why_ : "out of memory"); \
		free(why_);						\
		fail();							\
	}								\
} while (0)

#define assert_step_status(res, status) \
	assert_string_equal(step_status_name(step_result_status(res)), (status))
#define assert_step_succeeded(res)	assert_step_status((res), "SUCCEEDED")
#define assert_step_failed(res)		assert_step_status((res), "FAILED")
#define assert_step_output(res, expected) \
	STEP_ASSERT_JSON_(step_result_output(res), (expected))
#define assert_step_path(res, expected) \
	STEP_ASSERT_JSON_(step_result_path(res), (expected))
#define assert_step_error(res, error) do {				\
	assert_non_null(step_result_error(res));			\
	assert_string_equal(step_result_error(res), (error));		\
} while (0)

#endif /* STEP_TEST_H */
