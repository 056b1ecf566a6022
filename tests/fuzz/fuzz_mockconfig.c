/*
 * fuzz_mockconfig: parse arbitrary bytes as a Step Functions Local mock
 * file and convert it for its state machines and test cases (and for no
 * named state machine); whatever converts must be accepted by
 * step_machine_set_mocks. The same bytes are also tried as a mocks object
 * itself (step_machine_set_mocks: responses, callbacks in the shape of
 * SendTaskSuccess/Failure/Heartbeat, submitted, workerName). Frees
 * everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sd_json.h"
#include "step.h"

#define TRIES	4	/* state machines and test cases tried per input */

static const char def[] = "{\"StartAt\":\"A\",\"States\":{\"A\":"
    "{\"Type\":\"Pass\",\"End\":true}}}";

static void
convert(struct step_machine *m, json_t *cfg, const char *sm, const char *tc)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *mocks = NULL;

	if (step_mockconfig_to_mocks(cfg, sm, tc, &mocks, &err) == 0 &&
	    m != NULL && step_machine_set_mocks(m, mocks, &err) != 0)
		abort();	/* the converter made mocks the engine refuses */
	(void)sd_error_text(&err);
	sd_error_clear(&err);
	json_decref(mocks);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	json_t *cfg, *cases;
	const char *sk, *ck;
	json_t *sv, *cv;
	int ns = 0, nc;

	cfg = sd_json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    "fuzz", &err);
	sd_error_clear(&err);
	if (cfg == NULL)
		return 0;
	(void)step_machine_new(def, sizeof(def) - 1, NULL, &m, &err);
	sd_error_clear(&err);
	if (m != NULL)
		(void)step_machine_set_mocks(m, cfg, &err);
	(void)sd_error_text(&err);
	sd_error_clear(&err);
	convert(m, cfg, NULL, "T");
	json_object_foreach(json_object_get(cfg, "StateMachines"), sk, sv) {
		if (ns++ >= TRIES)
			break;
		convert(m, cfg, sk, "missing");
		nc = 0;
		cases = json_object_get(sv, "TestCases");
		json_object_foreach(cases, ck, cv) {
			if (nc++ >= TRIES)
				break;
			convert(m, cfg, sk, ck);
			convert(m, cfg, NULL, ck);
		}
	}
	step_machine_free(m);
	json_decref(cfg);
	return 0;
}
