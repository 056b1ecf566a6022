/*
 * fuzz_service: what the service's daemons take from their peers — the
 * frames on submit.sock, exec.sock and deploy.sock, each payload parsed
 * as the receiver does (one JSON object, duplicate keys refused) and
 * checked by that type's own parser: SUBMIT (validator), EXEC_REQUEST
 * (executor), DEPLOY, STATUS and HALT (uploader).
 */
#include <stddef.h>
#include <stdint.h>

#include "sd_executor.h"
#include "sd_json.h"
#include "sd_msg.h"
#include "sd_uploader.h"
#include "sd_validator.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(uint8_t type, json_t *v)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_submit_req sq;
	struct sd_deploy_req dq;
	const char *a, *b;
	size_t al, bl;

	switch (type) {
	case SD_MSG_SUBMIT:
		(void)sd_validator_parse_submit(v, &sq, &err);
		break;
	case SD_MSG_EXEC_REQUEST:
		(void)sd_executor_parse_request(v, &a, &al, &b, &bl, &err);
		break;
	case SD_MSG_DEPLOY:
		(void)sd_uploader_parse_deploy(v, &dq, &err);
		break;
	case SD_MSG_STATUS:
		(void)sd_uploader_parse_release_id(v, 0, &a, &err);
		break;
	case SD_MSG_HALT:
		(void)sd_uploader_parse_release_id(v, 1, &a, &err);
		break;
	default:
		break;
	}
	sd_error_clear(&err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	const unsigned char *pl;
	uint8_t type;
	size_t plen, used;
	json_t *v;

	while (size > 0 && sd_msg_parse(data, size, 0, &type, &pl, &plen,
	    &used, &err) == 0) {
		if (type != SD_MSG_CHUNK) {
			v = sd_json_loadb((const char *)pl, plen,
			    JSON_REJECT_DUPLICATES, "payload", &err);
			if (json_is_object(v))
				check(type, v);
			json_decref(v);
		}
		sd_error_clear(&err);
		data += used;
		size -= used;
	}
	sd_error_clear(&err);
	return 0;
}
