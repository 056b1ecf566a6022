/*
 * fuzz_zip: the Lambda zip inspector on arbitrary bytes, inspected from
 * memory (libzip over zip_source_buffer_create) with the default limits
 * and require_bootstrap set; the report is also turned into JSON, which
 * must always work (shown names are valid UTF-8). Everything is freed.
 * Seeds: tests/data/zip/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "sd_err.h"
#include "sd_zip.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_zip_limits lim;
	struct sd_zip_report *rep = NULL;
	size_t i, errors = 0;
	json_t *j;
	int r;

	sd_zip_limits_default(&lim);
	lim.require_bootstrap = 1;
	r = sd_zip_inspect_buf(data, size, &lim, &rep, &err);
	if (r != 0) {
		/* Only running out of memory may stop an inspection. */
		if (r != SD_ERR_NOMEM || rep != NULL)
			abort();
		sd_error_clear(&err);
		return 0;
	}
	if (rep == NULL || strlen(rep->sha256_hex) != 64 ||
	    strlen(rep->code_sha256_b64) != 44)
		abort();
	for (i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].severity, "ERROR") == 0)
			errors++;
	if (errors > rep->errors || (errors == 0) != (rep->errors == 0))
		abort();
	if ((j = sd_zip_report_json(rep)) == NULL)
		abort();
	json_decref(j);
	sd_zip_report_free(rep);
	sd_error_clear(&err);
	return 0;
}
