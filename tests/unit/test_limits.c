/*
 * test_limits: the limits README.md's "Limits" table lists that are easier
 * to reach here than through a command: each message type's frame limit
 * (the request size of every daemon socket), JSON nesting, the definition
 * size through step_machine_new and the history limit at any value.
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
#include "sd_msg.h"
#include "step.h"

static void
header(unsigned char h[SD_MSG_HDR_LEN], size_t plen, int type)
{
	uint32_t len = (uint32_t)plen + 1;

	h[0] = (unsigned char)(len >> 24);
	h[1] = (unsigned char)(len >> 16);
	h[2] = (unsigned char)(len >> 8);
	h[3] = (unsigned char)len;
	h[4] = (unsigned char)type;
}

/*
 * Every type: a header declaring the type's maximum is only waiting for
 * its payload; one byte more is refused from the header alone, naming the
 * type and its limit, before any payload is read or allocated.
 */
static void
test_frame_limits(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	const unsigned char *payload;
	unsigned char h[SD_MSG_HDR_LEN];
	size_t plen, consumed, max;
	char want[160];
	uint8_t type;
	int t, ntypes = 0;

	(void)state;
	for (t = 0; t < 256; t++) {
		if (sd_msg_type_name(t) == NULL) {
			assert_int_equal(sd_msg_type_max(t), 0);
			continue;
		}
		ntypes++;
		max = sd_msg_type_max(t);
		assert_true(max > 0 && max <= SD_MSG_MAX_ABSOLUTE);
		header(h, max, t);
		assert_int_equal(sd_msg_parse(h, sizeof(h), SD_MSG_MAX_ABSOLUTE,
		    &type, &payload, &plen, &consumed, &err), SD_ERR_PARSE);
		assert_int_equal(consumed, 0);
		sd_error_clear(&err);

		header(h, max + 1, t);
		assert_int_equal(sd_msg_parse(h, sizeof(h), SD_MSG_MAX_ABSOLUTE,
		    &type, &payload, &plen, &consumed, &err), SD_ERR_LIMIT);
		assert_true(snprintf(want, sizeof(want), "a %s frame of %zu "
		    "bytes is over its limit of %zu", sd_msg_type_name(t),
		    max + 2, max) > 0);
		assert_string_equal(err.message, want);
		sd_error_clear(&err);
	}
	assert_int_equal(ntypes, 15);

	/* The reader's own cap comes first, and never passes 64 MiB. */
	header(h, SD_MSG_MAX_ABSOLUTE + 1, SD_MSG_SUBMIT);
	assert_int_equal(sd_msg_parse(h, sizeof(h), (size_t)1 << 40, &type,
	    &payload, &plen, &consumed, &err), SD_ERR_LIMIT);
	assert_string_equal(err.message, "a frame of 67108866 bytes is over "
	    "the limit of 67108864");
	sd_error_clear(&err);
}

static char *
nested(size_t n)
{
	char *s = malloc(2 * n + 1);
	size_t i;

	assert_non_null(s);
	for (i = 0; i < n; i++) {
		s[i] = '[';
		s[2 * n - 1 - i] = ']';
	}
	s[2 * n] = '\0';
	return s;
}

static void
test_json_depth(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	char *ok = nested(SD_JSON_MAX_DEPTH), *over = nested(SD_JSON_MAX_DEPTH + 1);
	json_t *v;

	(void)state;
	assert_int_equal(SD_JSON_MAX_DEPTH, 2048);
	v = sd_json_loadb(ok, strlen(ok), 0, "doc", &err);
	assert_non_null(v);
	json_decref(v);
	assert_null(sd_json_loadb(over, strlen(over), 0, "doc", &err));
	assert_int_equal(err.code, SD_ERR_PARSE);
	assert_string_equal(err.message, "doc is not valid JSON (line 1, column "
	    "2049): nested deeper than the limit of 2048 levels of arrays and "
	    "objects");
	sd_error_clear(&err);
	free(ok);
	free(over);
}

static void
test_definition_size(void **state)
{
	static const char pass[] =
	    "{\"StartAt\":\"A\",\"States\":{\"A\":{\"Type\":\"Pass\",\"End\":true}}}";
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	char *text = malloc(STEP_MAX_DEFINITION + 1);

	(void)state;
	assert_non_null(text);
	memset(text, ' ', STEP_MAX_DEFINITION + 1);
	memcpy(text, pass, sizeof(pass) - 1);
	assert_int_equal(step_machine_new(text, STEP_MAX_DEFINITION, NULL, &m,
	    &err), 0);
	step_machine_free(m);
	m = NULL;
	assert_int_equal(step_machine_new(text, STEP_MAX_DEFINITION + 1, NULL,
	    &m, &err), SD_ERR_LIMIT);
	assert_null(m);
	assert_string_equal(err.location, "");
	assert_string_equal(err.message, "the definition is 1048577 bytes, more "
	    "than the limit of 1048576 bytes on a state machine definition");
	sd_error_clear(&err);
	free(text);
}

/* A chain of n Pass states: 2n + 2 events. */
static struct step_result *
run_chain(int n, uint64_t max_history)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *def, *states, *in;
	char name[16], next[16];
	int i;

	def = json_pack("{s:s, s:{}}", "StartAt", "S0", "States");
	assert_non_null(def);
	states = json_object_get(def, "States");
	for (i = 0; i < n; i++) {
		assert_true(snprintf(name, sizeof(name), "S%d", i) > 0);
		assert_true(snprintf(next, sizeof(next), "S%d", i + 1) > 0);
		assert_int_equal(json_object_set_new(states, name, i + 1 < n ?
		    json_pack("{s:s, s:s}", "Type", "Pass", "Next", next) :
		    json_pack("{s:s, s:b}", "Type", "Pass", "End", 1)), 0);
	}
	assert_int_equal(step_machine_from_json(def, NULL, &m, &err), 0);
	memset(&eo, 0, sizeof(eo));
	eo.record_history = 1;
	eo.max_history_events = max_history;
	in = json_object();
	assert_int_equal(step_execute(m, in, &eo, &res, &err), 0);
	json_decref(in);
	json_decref(def);
	step_machine_free(m);
	return res;
}

static void
test_history_limit(void **state)
{
	struct step_result *res;
	json_t *h, *last;

	(void)state;
	/* 10 events, the 10th ExecutionSucceeded: within a limit of 10. */
	res = run_chain(4, 10);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_int_equal(json_array_size(step_result_history(res)), 10);
	step_result_free(res);

	/* 12 events: the 10th is ExecutionFailed. */
	res = run_chain(5, 10);
	assert_int_equal(step_result_status(res), STEP_FAILED);
	assert_string_equal(step_result_error(res), "States.Runtime");
	assert_string_equal(step_result_cause(res), "The execution reached the "
	    "maximum number of history events (10).");
	h = step_result_history(res);
	assert_int_equal(json_array_size(h), 10);
	last = json_array_get(h, 9);
	assert_int_equal(json_integer_value(json_object_get(last, "id")), 10);
	assert_string_equal(json_string_value(json_object_get(last, "type")),
	    "ExecutionFailed");
	step_result_free(res);

	/* 0: no limit (the library's default). */
	res = run_chain(5, 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_int_equal(json_array_size(step_result_history(res)), 12);
	step_result_free(res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frame_limits),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_definition_size),
		cmocka_unit_test(test_history_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
