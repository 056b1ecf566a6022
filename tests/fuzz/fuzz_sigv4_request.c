/*
 * fuzz_sigv4_request: parse arbitrary bytes as a raw HTTP request (the
 * SigV4 suite's request.txt form); when it parses, sign it in the header
 * and the query form under options taken from the input's length (path
 * encoding, normalisation, body signing, UNSIGNED-PAYLOAD, a session token
 * signed or not), format the signed request and the presigned URL, and
 * check the signature verifies against itself. Frees everything but the
 * one signer, which lives for the run (as in the daemon).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_err.h"
#include "sd_sigv4.h"

static struct sd_sigv4_signer *signer;

static void
sign_one(const struct sd_sigv4_request *req, unsigned flags, int query)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_credentials c;
	struct sd_sigv4_params p;
	struct sd_sigv4_result res;
	char *text, *url;

	c.access_key_id = "AKIDEXAMPLE";
	c.secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	c.secret_len = strlen(c.secret);
	c.session_token = (flags & 0x20) ? "tok/en+==" : NULL;
	sd_sigv4_params_init(&p);
	p.region = "us-east-1";
	p.service = (flags & 0x02) ? "s3" : "service";
	p.time = 1440938160 + (int64_t)(flags & 0x80) * 86400;
	p.normalize_path = (flags & 0x01) != 0;
	p.double_encode = (flags & 0x02) == 0;
	p.sign_body = (flags & 0x04) != 0;
	p.unsigned_payload = (flags & 0x08) != 0;
	p.omit_session_token = (flags & 0x10) != 0;
	p.query = query;
	if (sd_sigv4_sign(signer, req, &c, &p, &res, &err) == 0) {
		if (sd_sigv4_verify(res.signature, res.signature) != 0 ||
		    strlen(res.signature) != SD_SIGV4_HASH_HEX ||
		    strlen(res.canonical_request) != res.canonical_request_len)
			abort();
		text = sd_sigv4_request_format(req, &res, NULL);
		url = sd_sigv4_presigned_url(req, &res);
		if (text == NULL || (query && url == NULL))
			abort();
		free(text);
		free(url);
	}
	(void)sd_error_text(&err);
	sd_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_request *req = NULL;
	unsigned flags = (unsigned)(size * 2654435761u >> 8);

	if (signer == NULL && (signer = sd_sigv4_signer_new()) == NULL)
		abort();
	if (sd_sigv4_request_parse((const char *)data, size, &req, &err) == 0) {
		sign_one(req, flags, 0);
		sign_one(req, flags, 1);
		sign_one(req, flags ^ 0xff, 0);
	}
	(void)sd_error_text(&err);
	sd_error_clear(&err);
	sd_sigv4_request_free(req);
	return 0;
}
