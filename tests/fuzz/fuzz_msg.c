/*
 * fuzz_msg: parse every frame in arbitrary bytes, and each payload as the
 * receivers do (one JSON object, duplicate keys refused).
 */
#include <stddef.h>
#include <stdint.h>

#include "sd_json.h"
#include "sd_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	const unsigned char *pl;
	uint8_t type;
	size_t plen, used;
	json_t *v;

	while (size > 0 && sd_msg_parse(data, size, 4096, &type, &pl, &plen,
	    &used, &err) == 0) {
		v = sd_json_loadb((const char *)pl, plen, JSON_REJECT_DUPLICATES,
		    "payload", &err);
		json_decref(v);
		sd_error_clear(&err);
		data += used;
		size -= used;
	}
	sd_error_clear(&err);
	return 0;
}
