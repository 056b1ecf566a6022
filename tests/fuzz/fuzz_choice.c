/*
 * fuzz_choice: a Choice Rule from arbitrary bytes. The input is parsed as
 * JSON, compiled as a top-level rule at "/States/S/Choices[0]" and, when
 * it compiles, evaluated against a fixed document. Everything is freed.
 * Seeds: tests/data/choice/.
 */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_choice.h"

static json_t *doc, *ctxdoc, *vars;

static int
resolve(void *ctx, const struct sd_jsonpath *p, json_t **out,
    struct sd_error *err)
{
	json_t *d = ctx;
	int r;

	if (sd_jsonpath_root(p) == SD_JP_ROOT_CONTEXT)
		d = ctxdoc;
	else if (sd_jsonpath_root(p) == SD_JP_ROOT_VARIABLE &&
	    (d = json_object_get(vars, sd_jsonpath_var_name(p))) == NULL) {
		*out = NULL;
		return 0;
	}
	r = sd_jsonpath_eval(p, d, out, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		*out = NULL;
		return 0;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *rule = NULL;
	json_t *j;
	int m;

	if (doc == NULL) {
		doc = json_loads("{\"a\":{\"b\":1,\"c\":\"x*y\"},\"n\":2.5,"
		    "\"s\":\"foo23.log\",\"t\":\"2016-03-14T01:59:00Z\","
		    "\"u\":\"2016-03-14T01:59:00.5+01:00\",\"b\":true,"
		    "\"z\":null,\"l\":[1,\"2\",{\"k\":3}],\"o\":{},\"e\":\"\"}",
		    0, NULL);
		ctxdoc = json_loads("{\"Execution\":{\"Input\":{\"v\":0}}}", 0,
		    NULL);
		vars = json_loads("{\"x\":\"2016-03-14T01:59:00Z\",\"y\":3}", 0,
		    NULL);
		if (doc == NULL || ctxdoc == NULL || vars == NULL)
			return 0;
	}
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY |
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
	if (j == NULL)
		return 0;
	if (sd_choice_compile(j, 1, "/States/S/Choices[0]", &rule, &err) == 0) {
		(void)sd_choice_next(rule);
		(void)sd_choice_eval(rule, resolve, doc, &m, &err);
	}
	sd_choice_free(rule);
	sd_error_clear(&err);
	json_decref(j);
	return 0;
}
