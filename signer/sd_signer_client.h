/*
 * sd_signer_client: the uploader's side of sign.sock.
 *
 *	int fd;
 *	json_t *hdrs;
 *	if (sd_signer_connect("/run/stepdeploy/sign.sock", &fd, &err) != 0 ||
 *	    sd_signer_sign(fd, &req, "us-east-1", &hdrs, &err) != 0)
 *		... err says why (a refusal carries the signer's reason);
 *	... append each [name, value] of hdrs to the HTTP request ...
 *	json_decref(hdrs);
 *	sd_signer_close(fd);
 *
 * One connection serves any number of requests, one at a time. What the
 * signer accepts is described in sd_sign_policy.h; in short: the request
 * exactly as it will be sent (method, host, path and query as on the
 * wire, every header that will be sent and must be signed), with either
 * the body or its SHA-256. Set req->payload_hash to send only the hash
 * (an S3 PutObject of a large zip); leave it NULL to send the body itself
 * (required for Step Functions calls and Lambda UpdateFunctionCode, whose
 * bodies the signer reads). Lambda paths must name the function by its
 * full ARN.
 */
#ifndef SD_SIGNER_CLIENT_H
#define SD_SIGNER_CLIENT_H

#include <stdint.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_sigv4.h"

/*
 * Connect to the signer's socket. *fd is new (sd_signer_close); -1 on
 * failure (SD_ERR_INVALID for a path too long, SD_ERR_IO).
 */
int	 sd_signer_connect(const char *path, int *fd, struct sd_error *err);
/* close(2), checked; -1 is ignored. */
int	 sd_signer_close(int fd);

/*
 * Ask the signer to sign req for region. On success *headers_out is a new
 * JSON array of [name, value] string pairs: the headers to add to the
 * request (X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256,
 * Authorization; each only when it applies). The reply is checked before
 * it is returned. When the signer refuses, err carries its message and
 * the code it gave (SD_ERR_INVALID when that is not one of ours); a
 * connection error is SD_ERR_IO (reconnect to go on). time 0 means the
 * signer's clock; else seconds since the epoch, within 300 s of it.
 */
int	 sd_signer_sign(int fd, const struct sd_sigv4_request *req,
	    const char *region, int64_t time, json_t **headers_out,
	    struct sd_error *err);

/*
 * The request payload sd_signer_sign sends (for tests and tools):
 * *out is new.
 */
int	 sd_signer_request_json(const struct sd_sigv4_request *req,
	    const char *region, int64_t time, json_t **out,
	    struct sd_error *err);

#endif /* SD_SIGNER_CLIENT_H */
