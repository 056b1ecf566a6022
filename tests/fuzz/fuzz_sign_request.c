/*
 * fuzz_sign_request: the signer's SIGN_REQUEST validator and policy
 * decision. Arbitrary bytes as the payload: JSON (duplicates refused) ->
 * sd_sign_req_parse -> sd_sign_policy_check against a fixed policy (AWS
 * hosts, and a second one with loopback endpoints) -> the SigV4 parts.
 * Seeds: tests/data/sign_request/.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_json.h"
#include "sd_policy.h"
#include "sd_sign_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1764072000

static const char policy_text[] =
    "{\"version\":1,\"projects\":{\"acme/hello\":{\"submitters\":[],"
    "\"configs\":[\"production\"],\"accounts\":[\"000000000000\"],"
    "\"regions\":[\"us-east-1\"],\"bucket\":\"acme-stepdeploy\","
    "\"lambda_arns\":[\"arn:aws:lambda:us-east-1:000000000000:function:"
    "acme-*\"],\"state_machine_arns\":[\"arn:aws:states:us-east-1:"
    "000000000000:stateMachine:acme-hello\"]},\"other/thing\":{"
    "\"submitters\":[],\"configs\":[\"prod\"],\"accounts\":["
    "\"111111111111\"],\"regions\":[\"eu-west-1\"],\"bucket\":"
    "\"other.bucket\",\"lambda_arns\":[\"arn:aws:lambda:eu-west-1:"
    "111111111111:function:other\"],\"state_machine_arns\":[\"arn:aws:"
    "states:eu-west-1:111111111111:stateMachine:*\"]}}}";

static const char endpoint_text[] =
    "{\"version\":1,\"endpoints\":{\"s3\":\"http://localhost:4566\","
    "\"lambda\":\"http://127.0.0.1:4567\",\"states\":\"http://[::1]:4568\"},"
    "\"projects\":{\"acme/hello\":{\"submitters\":[],\"configs\":["
    "\"production\"],\"accounts\":[\"000000000000\"],\"regions\":["
    "\"us-east-1\"],\"bucket\":\"acme-stepdeploy\",\"lambda_arns\":["
    "\"arn:aws:lambda:us-east-1:000000000000:function:acme-hello\"],"
    "\"state_machine_arns\":[\"arn:aws:states:us-east-1:000000000000:"
    "stateMachine:acme-hello\"]}}}";

static struct sd_policy *pols[2];

static void
load(void)
{
	struct sd_error err = SD_ERROR_INIT;

	if (pols[0] != NULL)
		return;
	if (sd_policy_load_buf(policy_text, strlen(policy_text), NULL,
	    &pols[0], &err) != 0 ||
	    sd_policy_load_buf(endpoint_text, strlen(endpoint_text), NULL,
	    &pols[1], &err) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sign_req *req = NULL;
	struct sd_sign_decision d;
	struct sd_sigv4_request sr;
	struct sd_sigv4_params sp;
	json_t *v;
	int i;

	load();
	v = sd_json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    "payload", &err);
	sd_error_clear(&err);
	if (v == NULL)
		return 0;
	if (sd_sign_req_parse(v, NOW, &req, &err) == 0) {
		for (i = 0; i < 2; i++) {
			if (sd_sign_policy_check(pols[i], req, &d, &err) == 0) {
				sd_sign_req_sigv4(req, &d, &sr, &sp);
				if (sd_sign_action_name(d.action) == NULL ||
				    d.project[0] == '\0' ||
				    d.resource[0] == '\0')
					abort();
			}
			sd_error_clear(&err);
		}
	}
	sd_error_clear(&err);
	sd_sign_req_free(req);
	json_decref(v);
	return 0;
}
