/*
 * fuzz_lint: the definition lint (sd_lint) on arbitrary bytes: parse, lint,
 * the report as JSON, with the checks on or off depending on the input's
 * length. Every finding must have a code, a message, and a location unless
 * it is a JSON syntax error; anything else aborts. Everything is freed.
 * Seeds: tests/data/lint/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "sd_lint.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lint_report *rep = NULL;
	const struct sd_lint_finding *f;
	struct sd_lint_opts o;
	size_t i, errors = 0;
	json_t *j;

	sd_lint_opts_default(&o);
	o.check_arn = size % 2 == 0;
	o.check_paths = size % 3 != 0;
	if (sd_lint((const char *)data, size, &o, &rep, &err) != 0) {
		sd_error_clear(&err);
		return 0;
	}
	for (i = 0; i < sd_lint_count(rep); i++) {
		f = sd_lint_get(rep, i);
		if (f->code == NULL || f->message == NULL ||
		    (f->location == NULL &&
		    strcmp(f->code, "INVALID_JSON_DESCRIPTION") != 0))
			abort();
		if (f->severity == SD_LINT_ERROR)
			errors++;
	}
	if (errors > sd_lint_errors(rep))
		abort();
	if ((j = sd_lint_report_json(rep)) != NULL) {
		if (strcmp(json_string_value(json_object_get(j, "result")),
		    sd_lint_errors(rep) > 0 ? "FAIL" : "OK") != 0)
			abort();
		json_decref(j);
	}
	sd_lint_report_free(rep);
	return 0;
}
