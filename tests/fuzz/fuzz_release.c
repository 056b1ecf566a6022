/*
 * fuzz_release: check arbitrary bytes as release.json against a fixed
 * policy (and against none), serialise the report, take the canonical
 * form of what parsed, then free everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_policy.h"
#include "sd_release.h"

static const char policy_text[] =
    "{\"version\": 1, \"limits\": {\"metadata_max_bytes\": 64,"
    " \"definition_max_states\": 4}, \"projects\": {\"acme/hello\": {"
    "\"submitters\": [7], \"configs\": [\"production\"],"
    "\"accounts\": [\"000000000000\"], \"regions\": [\"us-east-1\"],"
    "\"bucket\": \"acme-stepdeploy\", \"lambda_arns\": ["
    "\"arn:aws:lambda:us-east-1:000000000000:function:acme-*\"],"
    "\"state_machine_arns\": ["
    "\"arn:aws:states:us-east-1:000000000000:stateMachine:acme-hello\"]}}}";

static struct sd_policy *pol;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* 2026-11-25T12:01:00Z */
	const int64_t now = INT64_C(1795608060) * INT64_C(1000000000);
	struct sd_error err = SD_ERROR_INIT;
	struct sd_release_report *rep = NULL;
	unsigned char sha[32];
	char *text = NULL, hex[65];
	json_t *rel = NULL, *js;
	uid_t uid = 7;
	int i;

	if (pol == NULL && sd_policy_load_buf(policy_text,
	    sizeof(policy_text) - 1, NULL, &pol, &err) != 0)
		abort();
	for (i = 0; i < 2; i++) {
		if ((rep = sd_release_report_new()) == NULL)
			return 0;
		if (sd_release_check_buf((const char *)data, size,
		    i == 0 ? pol : NULL, now, i == 0 ? &uid : NULL, rep,
		    &rel) == 0) {
			/* Findings always serialise (printable UTF-8). */
			if ((js = sd_release_report_json(rep)) == NULL)
				abort();
			json_decref(js);
		}
		if (rel != NULL && sd_release_canonical(rel, &text, NULL, sha,
		    &err) == 0)
			sd_release_sha256_hex(sha, hex);
		sd_error_clear(&err);
		free(text);
		text = NULL;
		json_decref(rel);
		rel = NULL;
		sd_release_report_free(rep);
	}
	return 0;
}
