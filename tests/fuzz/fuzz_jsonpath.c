/*
 * libFuzzer target for sd_jsonpath: compile the input as a path, evaluate
 * it against a small fixed document, print its normalised form, assign
 * through it when definite, and free everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_jsonpath.h"

static const char DOC[] = "{\"a\":{\"b\":[1,2.5,\"x\",null,true],\"c\":{\"d\":"
    "[{\"e\":1},{\"e\":\"f\",\"g\":[[]]}]}},\"it's\":{},\"n\":null,\"s\":\"t\","
    "\"arr\":[0,1,2,3,4,5],\"o\":{\"a\":{\"a\":{\"a\":[{\"a\":0}]}}}}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *doc;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp = NULL;
	json_t *out = NULL;
	char *expr = NULL;

	if (doc == NULL && (doc = json_loads(DOC, 0, NULL)) == NULL)
		abort();
	if ((expr = calloc(1, size + 1)) == NULL)
		return 0;
	memcpy(expr, data, size);
	if (sd_jsonpath_compile(expr, &jp, &err) == 0) {
		(void)sd_jsonpath_eval(jp, doc, &out, &err);
		json_decref(out);
		out = NULL;
		free(sd_jsonpath_normalized(jp));
		(void)sd_jsonpath_assign(jp, doc, doc, &out, &err);
		json_decref(out);
	}
	sd_jsonpath_free(jp);
	sd_error_clear(&err);
	free(expr);
	return 0;
}
