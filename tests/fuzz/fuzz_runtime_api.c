/*
 * fuzz_runtime_api: a Lambda Runtime API /next response from arbitrary
 * bytes. The input is split at its first blank line ("\r\n\r\n") into the
 * raw header block and the body (no blank line: all headers, no body) and
 * parsed by sd_lambda_parse_next; when it parses, the context object and
 * an error payload built from what was read are made too. Everything is
 * freed. Seeds: tests/data/runtime_api/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "sd_lambda.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lambda_invocation inv;
	const char *p = (const char *)data, *sep;
	char hdr[SD_LAMBDA_MAX_ERROR_TYPE + 1];
	char *body = NULL;
	size_t hlen = size, blen = 0;
	json_t *ctx;

	sep = size >= 4 ? memmem(p, size, "\r\n\r\n", 4) : NULL;
	if (sep != NULL) {
		hlen = (size_t)(sep - p) + 4;
		blen = size - hlen;
	}
	if (sd_lambda_parse_next(200, p, hlen, p + hlen, blen, &inv, &err) == 0) {
		if ((ctx = sd_lambda_context(&inv)) != NULL)
			json_decref(ctx);
		if (sd_lambda_error_payload(inv.trace_id, inv.event_error, &body,
		    hdr, sizeof(hdr)) == 0)
			free(body);
	}
	sd_lambda_invocation_free(&inv);
	sd_error_clear(&err);
	return 0;
}
