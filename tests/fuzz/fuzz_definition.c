/*
 * fuzz_definition: parse arbitrary bytes as a state machine definition;
 * when it builds, run it once on a small input (virtual clock, all Tasks
 * answered by a fallback handler) and free everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "step.h"

static int
echo(void *user, const struct step_task_call *call, json_t **out,
    struct step_task_failure *f)
{
	(void)user;
	(void)f;
	*out = json_incref(call->input);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *in;

	if (step_machine_new((const char *)data, size, NULL, &m, &err) != 0) {
		(void)sd_error_text(&err);
		sd_error_clear(&err);
		return 0;
	}
	memset(&eo, 0, sizeof(eo));
	eo.record_history = 1;
	eo.record_path = 1;
	eo.max_transitions = 2000;
	in = json_pack("{s:i, s:[i,i], s:{s:s}}", "a", 1, "b", 2, 3, "c", "d", "e");
	if (in != NULL && step_machine_register(m, NULL, echo, NULL) == 0 &&
	    step_execute(m, in, &eo, &res, &err) == 0)
		step_result_free(res);
	sd_error_clear(&err);
	json_decref(in);
	step_machine_free(m);
	return 0;
}
