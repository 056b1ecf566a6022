/* libFuzzer: compile the input as an intrinsic expression, evaluate it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_intrinsic.h"

static const char doc_text[] = "{\"a\":1,\"b\":[1,2,\"x\",null],\"s\":\"a,b\","
    "\"o\":{\"k\":true,\"n\":1.5},\"t\":\"{} and {}\",\"j\":\"[1,{}]\"}";
static const char ctx_text[] = "{\"Execution\":{\"Input\":{\"a\":1},"
    "\"Name\":\"n\"},\"Map\":{\"Item\":{\"Value\":\"v\"}}}";

static int
resolve(void *ctx, const struct sd_jsonpath *p, json_t **out,
    struct sd_error *err)
{
	json_t **docs = ctx, *doc = docs[sd_jsonpath_root(p) % 3];
	int r;

	*out = NULL;
	if (sd_jsonpath_root(p) == SD_JP_ROOT_VARIABLE &&
	    (doc = json_object_get(doc, sd_jsonpath_var_name(p))) == NULL)
		return 0;
	r = sd_jsonpath_eval(p, doc, out, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_intrinsic *in = NULL;
	struct sd_intrinsic_env env;
	json_t *docs[3], *out = NULL;
	uint64_t rng = 1;
	char *expr;

	if ((expr = malloc(size + 1)) == NULL)
		return 0;
	memcpy(expr, data, size);
	expr[size] = '\0';
	docs[0] = json_loads(doc_text, 0, NULL);
	docs[1] = json_loads(ctx_text, 0, NULL);
	docs[2] = json_pack("{s:O}", "v", docs[0]);	/* $v */
	env.resolve = resolve;
	env.ctx = docs;
	env.rng = &rng;
	if (sd_intrinsic_compile(expr, &in, &err) == 0)
		(void)sd_intrinsic_eval(in, &env, &out, &err);
	json_decref(out);
	sd_intrinsic_free(in);
	sd_error_clear(&err);
	json_decref(docs[0]);
	json_decref(docs[1]);
	json_decref(docs[2]);
	free(expr);
	return 0;
}
