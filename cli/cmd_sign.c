/*
 * stepdeploy sign --request FILE --context FILE [--query] [--explain]
 *     [--json]
 *
 * Signs one HTTP request with AWS Signature Version 4, the way the signer
 * daemon does, and shows the result: the request in the test suite's
 * request.txt form, the signing context in its context.json form.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "cli.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_sigv4.h"

#define CONTEXT_MAX	(64 * 1024)
#define REQUEST_MAX	((size_t)SD_SIGV4_MAX_BODY + 1024 * 1024)

static void
sign_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy sign --request FILE --context FILE [--query]\n"
	    "                       [--explain] [--json]\n"
	    "\n"
	    "Signs the HTTP request in FILE (request line, headers, a blank line,\n"
	    "the body: the AWS SigV4 test suite's request.txt form) with AWS\n"
	    "Signature Version 4 and prints the signed request. The context file\n"
	    "is JSON: {\"credentials\": {\"access_key_id\", \"secret_access_key\",\n"
	    "\"token\"?}, \"region\", \"service\", \"timestamp\"? (RFC 3339, default\n"
	    "now), \"expiration_in_seconds\"?, \"normalize\"?, \"sign_body\"?,\n"
	    "\"omit_session_token\"?, \"double_uri_encode\"?, \"unsigned_payload\"?}\n"
	    "(normalize and double_uri_encode default to false for service s3,\n"
	    "else true). FILE may be - for stdin (one of the two).\n"
	    "\n"
	    "  --query    presign: print the URL with the X-Amz-* parameters\n"
	    "  --explain  also print the canonical request and the string to sign\n"
	    "  --json     print one JSON object: signature, signed_headers,\n"
	    "             authorization and headers (or url and query), request,\n"
	    "             and with --explain canonical_request, string_to_sign\n"
	    "Exit 0 signed, 2 bad usage or input.\n");
}

/* Read a small file into buf (no reallocation, so nothing left unwiped). */
static int
read_context(const char *path, char *buf, size_t cap, size_t *len,
    struct sd_error *err)
{
	ssize_t n;
	size_t off = 0;
	int fd;

	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot open %s: %s",
		    path, strerror(errno));
	for (;;) {
		if (off == cap) {
			if (fd != STDIN_FILENO)
				(void)close(fd);
			return sd_error_set(err, SD_ERR_LIMIT, NULL,
			    "%s is larger than %zu bytes", path, cap);
		}
		n = read(fd, buf + off, cap - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;

			if (fd != STDIN_FILENO)
				(void)close(fd);
			return sd_error_set(err, SD_ERR_IO, NULL,
			    "cannot read %s: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	if (fd != STDIN_FILENO && close(fd) != 0)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot close %s: %s",
		    path, strerror(errno));
	*len = off;
	return 0;
}

static int
put_str(json_t *o, const char *key, const char *s, size_t n)
{
	json_t *v;

	if (s == NULL)
		return 0;
	if ((v = json_stringn(s, n)) == NULL)
		return 0;	/* not UTF-8 (a binary body): left out */
	return json_object_set_new(o, key, v) == 0 ? 0 : -1;
}

static int
print_json(const struct sd_sigv4_request *req,
    const struct sd_sigv4_result *res, const char *text, size_t tlen,
    const char *url, int explain)
{
	json_t *o = NULL, *hs = NULL, *h;
	size_t i;
	int r = -1;

	if ((o = json_object()) == NULL)
		goto out;
	if (put_str(o, "signature", res->signature,
	    strlen(res->signature)) != 0 ||
	    put_str(o, "signed_headers", res->signed_headers,
	    strlen(res->signed_headers)) != 0 ||
	    put_str(o, "credential_scope", res->credential_scope,
	    strlen(res->credential_scope)) != 0 ||
	    put_str(o, "amz_date", res->amz_date, 16) != 0 ||
	    put_str(o, "payload_hash", res->payload_hash,
	    strlen(res->payload_hash)) != 0)
		goto out;
	if (res->query != NULL) {
		if (put_str(o, "url", url, strlen(url)) != 0 ||
		    put_str(o, "query", res->query, res->query_len) != 0)
			goto out;
	} else {
		if (put_str(o, "authorization", res->authorization,
		    strlen(res->authorization)) != 0 ||
		    (hs = json_array()) == NULL)
			goto out;
		for (i = 0; i < res->nadd; i++) {
			h = json_pack("{s:s%,s:s%}", "name", res->add[i].name,
			    res->add[i].name_len, "value", res->add[i].value,
			    res->add[i].value_len);
			if (h == NULL || json_array_append_new(hs, h) != 0)
				goto out;
		}
		if (json_object_set_new(o, "headers", hs) != 0) {
			hs = NULL;
			goto out;
		}
		hs = NULL;
	}
	if (put_str(o, "request", text, tlen) != 0)
		goto out;
	if (explain && (put_str(o, "canonical_request", res->canonical_request,
	    res->canonical_request_len) != 0 ||
	    put_str(o, "string_to_sign", res->string_to_sign,
	    res->string_to_sign_len) != 0))
		goto out;
	(void)req;
	r = cli_print_json(o, 0);
 out:
	json_decref(hs);
	json_decref(o);
	return r;
}

int
cmd_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "request", required_argument, NULL, 'r' },
		{ "context", required_argument, NULL, 'c' },
		{ "query", no_argument, NULL, 'q' },
		{ "explain", no_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sigv4_signer *signer = NULL;
	struct sd_sigv4_request *req = NULL;
	struct sd_sigv4_context *ctx = NULL;
	struct sd_sigv4_result res;
	const char *req_path = NULL, *ctx_path = NULL;
	char *raw = NULL, *cbuf = NULL, *text = NULL, *url = NULL;
	size_t rawlen = 0, clen = 0, tlen = 0;
	int c, query = 0, explain = 0, as_json = 0, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "r:c:qejh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			req_path = optarg;
			break;
		case 'c':
			ctx_path = optarg;
			break;
		case 'q':
			query = 1;
			break;
		case 'e':
			explain = 1;
			break;
		case 'j':
			as_json = 1;
			break;
		case 'h':
			sign_usage(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("sign", "unknown or incomplete "
			    "option \"%s\" (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc) {
		rc = cli_usage_error("sign", "unexpected argument \"%s\"",
		    argv[optind]);
		goto out;
	}
	if (req_path == NULL || ctx_path == NULL) {
		rc = cli_usage_error("sign", "--request FILE and --context FILE "
		    "are required (see --help)");
		goto out;
	}
	if (strcmp(req_path, "-") == 0 && strcmp(ctx_path, "-") == 0) {
		rc = cli_usage_error("sign", "--request and --context cannot "
		    "both be stdin");
		goto out;
	}

	if ((cbuf = malloc(CONTEXT_MAX)) == NULL) {
		rc = cli_usage_error("sign", "out of memory");
		goto out;
	}
	if (read_context(ctx_path, cbuf, CONTEXT_MAX, &clen, &err) != 0 ||
	    sd_sigv4_context_parse(cbuf, clen, &ctx, &err) != 0) {
		rc = cli_usage_error("sign", "context %s: %s", ctx_path,
		    sd_error_text(&err));
		goto out;
	}
	if (sd_read_file(req_path, REQUEST_MAX, &raw, &rawlen, &err) != 0 ||
	    sd_sigv4_request_parse(raw, rawlen, &req, &err) != 0) {
		rc = cli_usage_error("sign", "request %s: %s", req_path,
		    sd_error_text(&err));
		goto out;
	}
	ctx->params.query = query;
	if ((signer = sd_sigv4_signer_new()) == NULL) {
		rc = cli_usage_error("sign", "cannot set up the signer "
		    "(OpenSSL SHA-256/HMAC)");
		goto out;
	}
	if (sd_sigv4_sign(signer, req, &ctx->creds, &ctx->params, &res,
	    &err) != 0) {
		rc = cli_usage_error("sign", "%s: %s", req_path,
		    sd_error_text(&err));
		goto out;
	}
	if ((text = sd_sigv4_request_format(req, &res, &tlen)) == NULL ||
	    (query && (url = sd_sigv4_presigned_url(req, &res)) == NULL)) {
		rc = cli_usage_error("sign", "out of memory");
		goto out;
	}

	rc = 1;
	if (as_json) {
		if (print_json(req, &res, text, tlen, url, explain) != 0)
			goto out;
	} else {
		if (explain && printf("--- canonical request\n%.*s\n"
		    "--- string to sign\n%.*s\n--- %s\n",
		    (int)res.canonical_request_len, res.canonical_request,
		    (int)res.string_to_sign_len, res.string_to_sign,
		    query ? "presigned URL" : "signed request") < 0)
			goto out;
		if (query) {
			if (printf("%s\n", url) < 0)
				goto out;
		} else if (fwrite(text, 1, tlen, stdout) != tlen)
			goto out;
		if (fflush(stdout) != 0)
			goto out;
	}
	rc = 0;
 out:
	if (rc == 1)
		fprintf(stderr, "stepdeploy sign: cannot write the output\n");
	if (cbuf != NULL) {
		OPENSSL_cleanse(cbuf, CONTEXT_MAX);
		free(cbuf);
	}
	free(raw);
	free(text);
	free(url);
	sd_sigv4_request_free(req);
	sd_sigv4_context_free(ctx);
	sd_sigv4_signer_free(signer);
	sd_error_clear(&err);
	return rc;
}
