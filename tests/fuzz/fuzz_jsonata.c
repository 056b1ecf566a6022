/*
 * fuzz_jsonata: the JSONata evaluator on hostile expressions. The first
 * line of the input is the expression, the rest the JSON input (not JSON:
 * undefined). Compiled and evaluated with small limits (200 ms, depth 100,
 * 16 MiB of values), AWS's functions on, a fixed random seed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_jsonata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_jn_opts opts = SD_JN_OPTS_INIT;
	struct sd_jn_error err;
	struct sd_jn_expr *e;
	const uint8_t *nl;
	json_t *input = NULL, *out = NULL;
	json_error_t je;
	uint64_t rng = 42;
	size_t elen;
	char *src, buf[640];

	nl = memchr(data, '\n', size);
	elen = nl != NULL ? (size_t)(nl - data) : size;
	if ((src = malloc(elen + 1)) == NULL)
		return 0;
	memcpy(src, data, elen);
	src[elen] = '\0';
	if (nl != NULL)
		input = json_loadb((const char *)nl + 1, size - elen - 1,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	opts.time_limit_ms = 200;
	opts.max_depth = 100;
	opts.max_bytes = 16 * 1024 * 1024;
	opts.aws_functions = 1;
	opts.rng = &rng;
	opts.now_ms = 1700000000000LL;
	memset(&err, 0, sizeof(err));
	if ((e = sd_jn_compile(src, &err)) != NULL) {
		if (sd_jn_eval(e, input, NULL, &opts, &out, &err) != 0)
			(void)sd_jn_error_text(&err, buf, sizeof(buf));
		json_decref(out);
		sd_jn_free(e);
	} else
		(void)sd_jn_error_text(&err, buf, sizeof(buf));
	json_decref(input);
	free(src);
	return 0;
}
