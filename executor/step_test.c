/*
 * step_test.c: the test helpers declared in step_test.h.
 */
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "step_test.h"

int
step_json_matches(json_t *got, const char *expected, char **why)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *e;
	char *g = NULL;
	int eq;

	*why = NULL;
	if ((e = sd_json_loadb(expected, strlen(expected), 0,
	    "the expected value", &err)) == NULL) {
		*why = sd_asprintf("%s", sd_error_text(&err));
		sd_error_clear(&err);
		return 0;
	}
	eq = got != NULL && sd_json_equal(got, e);
	if (!eq) {
		g = got != NULL ? sd_json_dumps(got, 0) : NULL;
		*why = sd_asprintf("JSON differs\n  expected: %s\n  got:      %s",
		    expected, g != NULL ? g : "(nothing)");
	}
	free(g);
	json_decref(e);
	return eq;
}

struct step_result *
step_test_run(struct step_machine *m, const char *input)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *in;

	if ((in = sd_json_loadb(input, strlen(input), 0, "the input",
	    &err)) == NULL) {
		sd_error_clear(&err);
		return NULL;
	}
	memset(&eo, 0, sizeof(eo));
	eo.record_path = 1;
	eo.record_history = 1;
	eo.max_transitions = 10000000;
	if (step_execute(m, in, &eo, &res, &err) != 0)
		res = NULL;
	sd_error_clear(&err);
	json_decref(in);
	return res;
}
