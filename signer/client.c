/*
 * client.c: the uploader's side of sign.sock (see sd_signer_client.h).
 * The signer is more trusted than the uploader, but its replies are still
 * checked for shape before they are used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "sd_msg.h"
#include "sd_sign_policy.h"
#include "sd_signer_client.h"

#define RESPONSE_MAX	((size_t)64 * 1024)
#define RESPONSE_HEADERS_MAX	8

int
sd_signer_connect(const char *path, int *fd, struct sd_error *err)
{
	struct sockaddr_un sa;
	int s, n;

	*fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (path == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "no signer socket");
	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (n <= 0 || (size_t)n >= sizeof(sa.sun_path))
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "a socket path must be 1-%zu bytes",
		    sizeof(sa.sun_path) - 1);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "socket: %s",
		    strerror(errno));
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		n = errno;
		(void)close(s);
		return sd_error_set(err, SD_ERR_IO, path, "connect: %s",
		    strerror(n));
	}
	*fd = s;
	return 0;
}

int
sd_signer_close(int fd)
{
	if (fd == -1)
		return 0;
	return close(fd) == -1 ? SD_ERR_IO : 0;
}

int
sd_signer_request_json(const struct sd_sigv4_request *req,
    const char *region, int64_t time, json_t **out, struct sd_error *err)
{
	json_t *o = NULL, *hdrs = NULL, *pair;
	char *b64 = NULL;
	size_t i, blen;
	int r = SD_ERR_NOMEM;

	*out = NULL;
	if (req == NULL || req->method == NULL || req->host == NULL ||
	    region == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "a request needs a method, a host and a region");
	if (req->payload_hash == NULL && req->body_len > SD_SIGN_BODY_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "a body of more "
		    "than %zu bytes must be sent as its SHA-256",
		    SD_SIGN_BODY_MAX);
	if ((o = json_object()) == NULL || (hdrs = json_array()) == NULL)
		goto out;
	if (json_object_set_new(o, "method", json_stringn(req->method,
	    req->method_len)) != 0 ||
	    json_object_set_new(o, "host", json_stringn(req->host,
	    req->host_len)) != 0 ||
	    json_object_set_new(o, "path", req->path_len > 0 ?
	    json_stringn(req->path, req->path_len) : json_string("/")) != 0 ||
	    json_object_set_new(o, "region", json_string(region)) != 0)
		goto out;
	if (req->query != NULL && req->query_len > 0 &&
	    json_object_set_new(o, "query", json_stringn(req->query,
	    req->query_len)) != 0)
		goto out;
	for (i = 0; i < req->nheaders; i++) {
		pair = json_pack("[s#s#]", req->headers[i].name,
		    (int)req->headers[i].name_len, req->headers[i].value,
		    (int)req->headers[i].value_len);
		if (pair == NULL || json_array_append_new(hdrs, pair) != 0)
			goto out;
	}
	if (json_object_set(o, "headers", hdrs) != 0)
		goto out;
	if (req->payload_hash != NULL) {
		if (json_object_set_new(o, "payload_sha256",
		    json_string(req->payload_hash)) != 0)
			goto out;
	} else {
		blen = sodium_base64_ENCODED_LEN(req->body_len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = malloc(blen)) == NULL)
			goto out;
		if (sodium_bin2base64(b64, blen, req->body, req->body_len,
		    sodium_base64_VARIANT_ORIGINAL) == NULL ||
		    json_object_set_new(o, "body", json_string(b64)) != 0)
			goto out;
	}
	if (time != 0 && json_object_set_new(o, "time",
	    json_integer((json_int_t)time)) != 0)
		goto out;
	*out = o;
	o = NULL;
	r = 0;
 out:
	if (r != 0)
		(void)sd_error_set(err, r, NULL, "out of memory (or a string "
		    "that is not UTF-8)");
	free(b64);
	json_decref(hdrs);
	json_decref(o);
	return r;
}

/* The reply must be {"headers": [[name, value], ...]} and nothing else. */
static int
check_response(json_t *o, struct sd_error *err)
{
	json_t *h, *pair;
	size_t i;

	if (json_object_size(o) != 1 ||
	    !json_is_array(h = json_object_get(o, "headers")) ||
	    json_array_size(h) == 0 ||
	    json_array_size(h) > RESPONSE_HEADERS_MAX)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "the signer's reply is not {\"headers\": [...]}");
	for (i = 0; i < json_array_size(h); i++) {
		pair = json_array_get(h, i);
		if (!json_is_array(pair) || json_array_size(pair) != 2 ||
		    !json_is_string(json_array_get(pair, 0)) ||
		    !json_is_string(json_array_get(pair, 1)))
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "the signer's reply holds a header that is not "
			    "[name, value]");
	}
	return 0;
}

int
sd_signer_sign(int fd, const struct sd_sigv4_request *req,
    const char *region, int64_t time, json_t **headers_out,
    struct sd_error *err)
{
	json_t *o = NULL, *reply = NULL, *m, *c;
	uint8_t type;
	int r, code;

	*headers_out = NULL;
	if ((r = sd_signer_request_json(req, region, time, &o, err)) != 0)
		return r;
	if ((r = sd_msg_write_json(fd, SD_MSG_SIGN_REQUEST, o, err)) != 0 ||
	    (r = sd_msg_read_json(fd, RESPONSE_MAX, &type, &reply,
	    err)) != 0) {
		(void)sd_error_prefix(err, "signer: ");
		if (r != SD_ERR_NOMEM)
			r = SD_ERR_IO;
		goto out;
	}
	if (type == SD_MSG_ERROR) {
		m = json_object_get(reply, "message");
		c = json_object_get(reply, "code");
		code = json_is_integer(c) && json_integer_value(c) < 0 &&
		    json_integer_value(c) >= SD_ERR_USAGE ?
		    (int)json_integer_value(c) : SD_ERR_INVALID;
		r = sd_error_set(err, code, "signer", "%s", json_is_string(m) ?
		    json_string_value(m) : "refused (no reason given)");
		goto out;
	}
	if (type != SD_MSG_SIGN_RESPONSE) {
		r = sd_error_set(err, SD_ERR_IO, "signer", "unexpected reply "
		    "type %s", sd_msg_type_name(type));
		goto out;
	}
	if ((r = check_response(reply, err)) != 0)
		goto out;
	*headers_out = json_incref(json_object_get(reply, "headers"));
	r = 0;
 out:
	json_decref(o);
	json_decref(reply);
	return r;
}
