/*
 * sign-bench: signatures per second of sd_sigv4, in one process, on the
 * request of ../shared/peers/sign-bench.js (@smithy/signature-v4): a Lambda
 * UpdateFunctionCode PUT with a small JSON body, header form, the body
 * hashed on every signature and sent as x-amz-content-sha256 (smithy's
 * default applyChecksum). One signer, so the signing key is derived once
 * and cached, as in the signer daemon.
 *
 *   build/sign-bench [-n N]      (default 200000, after 1000 untimed)
 *
 * Prints one JSON line: signatures, seconds, signatures_per_sec,
 * us_per_signature, and the signature (to check against the peer's).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sd_err.h"
#include "sd_sigv4.h"

#define WARMUP	1000

static const char body[] = "{\"S3Bucket\":\"deploy-bucket\",\"S3Key\":"
    "\"acme/hello/production/r-1/lambda.zip\",\"RevisionId\":\"abc\"}";

static double
now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
usage(void)
{
	fprintf(stderr, "usage: sign-bench [-n N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct sd_sigv4_header headers[] = {
		{ "host", 4, "lambda.us-east-1.amazonaws.com", 30 },
		{ "content-type", 12, "application/json", 16 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_signer *s;
	struct sd_sigv4_request req;
	struct sd_sigv4_credentials creds;
	struct sd_sigv4_params p;
	struct sd_sigv4_result res;
	long long n = 200000, i;
	double t0, secs;
	char *end;
	int c;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		switch (c) {
		case 'n':
			n = strtoll(optarg, &end, 10);
			if (end == optarg || *end != '\0' || n < 1 ||
			    n > 1000000000LL)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(&req, 0, sizeof(req));
	req.method = "PUT";
	req.method_len = 3;
	req.host = "lambda.us-east-1.amazonaws.com";
	req.host_len = strlen(req.host);
	req.path = "/2015-03-31/functions/acme-hello/code";
	req.path_len = strlen(req.path);
	req.headers = headers;
	req.nheaders = sizeof(headers) / sizeof(headers[0]);
	req.body = body;
	req.body_len = sizeof(body) - 1;
	creds.access_key_id = "AKIDEXAMPLE";
	creds.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	creds.secret_len = strlen(creds.secret);
	creds.session_token = NULL;
	sd_sigv4_params_init(&p);
	p.region = "us-east-1";
	p.service = "lambda";
	p.time = INT64_C(1795608000);	/* 2026-11-25T12:00:00Z */
	p.sign_body = 1;

	if ((s = sd_sigv4_signer_new()) == NULL) {
		fprintf(stderr, "sign-bench: cannot set up the signer\n");
		return 1;
	}
	for (i = 0; i < WARMUP; i++)
		if (sd_sigv4_sign(s, &req, &creds, &p, &res, &err) != 0) {
			fprintf(stderr, "sign-bench: %s\n", sd_error_text(&err));
			sd_error_clear(&err);
			sd_sigv4_signer_free(s);
			return 1;
		}
	t0 = now();
	for (i = 0; i < n; i++)
		if (sd_sigv4_sign(s, &req, &creds, &p, &res, NULL) != 0) {
			fprintf(stderr, "sign-bench: signing failed\n");
			sd_sigv4_signer_free(s);
			return 1;
		}
	secs = now() - t0;
	if (secs <= 0)
		secs = 1e-9;
	printf("{\"signer\":\"stepdeploy sd_sigv4\",\"signatures\":%lld,"
	    "\"seconds\":%.3f,\"signatures_per_sec\":%.0f,"
	    "\"us_per_signature\":%.3f,\"signature\":\"%s\"}\n", n, secs,
	    (double)n / secs, secs * 1e6 / (double)n, res.signature);
	sd_sigv4_signer_free(s);
	return 0;
}
