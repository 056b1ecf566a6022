/*
 * signer-client-test: drives stepdeploy-signer for tests/cli/test_signer.sh.
 *
 *   signer-client-test [--uid UID] SOCKET COMMAND ARGS...
 *
 *   request FILE	send FILE's bytes as one SIGN_REQUEST payload and print
 *			the reply: "SIGN_RESPONSE {...}" (exit 0) or
 *			"ERROR {...}" (exit 1)
 *   sign FILE [POLICY CREDS]
 *			read the request FILE (the SIGN_REQUEST shape), send
 *			it through sd_signer_sign (the client library) and
 *			print the headers (exit 0) or the refusal (exit 1);
 *			with POLICY and CREDS, recompute the signature with
 *			the SigV4 library and the same rules and compare
 *			(exit 4 when it differs)
 *   raw HEX		send these bytes, print the reply (or "closed"), then
 *			"closed" if the signer closes the connection (exit 0)
 *   partial		send half a frame and exit (a vanished client)
 *   repeat N FILE	send FILE N times back to back on one connection,
 *			then read N replies; print how many were signed
 *
 * --uid UID: drop to that uid and gid (setgroups, setresgid, setresuid)
 * before connecting (needs root). Exit 3 on connection errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sd_creds.h"
#include "sd_json.h"
#include "sd_msg.h"
#include "sd_policy.h"
#include "sd_sign_policy.h"
#include "sd_signer_client.h"
#include "sd_sigv4.h"

#define READ_MAX	((size_t)8 << 20)

static int
usage(void)
{
	fprintf(stderr, "usage: signer-client-test [--uid UID] SOCKET "
	    "request FILE | sign FILE [POLICY CREDS] | raw HEX | partial | "
	    "repeat N FILE\n");
	return 2;
}

static int
die_err(const char *what, struct sd_error *e)
{
	fprintf(stderr, "signer-client-test: %s: %s\n", what,
	    sd_error_text(e));
	sd_error_clear(e);
	return 3;
}

static int
read_file(const char *path, char **out, size_t *len)
{
	struct sd_error e = SD_ERROR_INIT;

	if (sd_read_file(path, READ_MAX, out, len, &e) != 0) {
		fprintf(stderr, "signer-client-test: %s\n", sd_error_text(&e));
		sd_error_clear(&e);
		return -1;
	}
	return 0;
}

static void
print_reply(uint8_t type, const unsigned char *p, size_t n)
{
	printf("%s %.*s\n", type == SD_MSG_SIGN_RESPONSE ? "SIGN_RESPONSE" :
	    sd_msg_type_name(type) != NULL ? sd_msg_type_name(type) : "?",
	    (int)n, (const char *)p);
}

/* 1 when the peer closes within ms milliseconds. */
static int
closed_within(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return read(fd, &c, 1) <= 0;
}

static int
cmd_request(int fd, const char *file)
{
	struct sd_error e = SD_ERROR_INIT;
	unsigned char *p = NULL;
	char *text = NULL;
	size_t len, n;
	uint8_t type;
	int r;

	if (read_file(file, &text, &len) != 0)
		return 2;
	/*
	 * A refused peer is answered and closed at once, maybe before this
	 * write: read the answer even when the write fails.
	 */
	if (sd_msg_write(fd, SD_MSG_SIGN_REQUEST, text, len, &e) != 0)
		sd_error_clear(&e);
	if (sd_msg_read(fd, READ_MAX, &type, &p, &n, &e) != 0) {
		free(text);
		return die_err("request", &e);
	}
	print_reply(type, p, n);
	r = type == SD_MSG_SIGN_RESPONSE ? 0 : 1;
	free(text);
	free(p);
	return r;
}

/* The request file, as parts for the client library. */
struct parts {
	json_t			*root;
	struct sd_sigv4_request	 req;
	struct sd_sigv4_header	 h[SD_SIGN_MAX_HEADERS];
	unsigned char		*body;
	const char		*region;
	int64_t			 time;
};

static int
load_parts(const char *file, struct parts *pp)
{
	struct sd_error e = SD_ERROR_INIT;
	json_t *v, *hs, *b;
	size_t i, n;
	const char *end;

	memset(pp, 0, sizeof(*pp));
	if ((pp->root = sd_json_load_file(file, JSON_REJECT_DUPLICATES,
	    &e)) == NULL)
		return die_err(file, &e);
	v = pp->root;
#define S(k)	json_string_value(json_object_get(v, k))
#define L(k)	json_string_length(json_object_get(v, k))
	pp->req.method = S("method");
	pp->req.method_len = L("method");
	pp->req.host = S("host");
	pp->req.host_len = L("host");
	pp->req.path = S("path");
	pp->req.path_len = L("path");
	pp->req.query = S("query");
	pp->req.query_len = pp->req.query != NULL ? L("query") : 0;
	pp->req.payload_hash = S("payload_sha256");
	pp->region = S("region");
	if (json_is_integer(json_object_get(v, "time")))
		pp->time = json_integer_value(json_object_get(v, "time"));
	hs = json_object_get(v, "headers");
	for (i = 0; i < json_array_size(hs) && i < SD_SIGN_MAX_HEADERS; i++) {
		json_t *pair = json_array_get(hs, i);

		pp->h[i].name = json_string_value(json_array_get(pair, 0));
		pp->h[i].name_len = json_string_length(json_array_get(pair, 0));
		pp->h[i].value = json_string_value(json_array_get(pair, 1));
		pp->h[i].value_len = json_string_length(json_array_get(pair,
		    1));
	}
	pp->req.headers = pp->h;
	pp->req.nheaders = i;
	if ((b = json_object_get(v, "body")) != NULL) {
		n = json_string_length(b);
		if ((pp->body = malloc(n / 4 * 3 + 3)) == NULL ||
		    sodium_base642bin(pp->body, n / 4 * 3 + 3,
		    json_string_value(b), n, NULL, &pp->req.body_len, &end,
		    sodium_base64_VARIANT_ORIGINAL) != 0) {
			fprintf(stderr, "signer-client-test: bad body\n");
			return 2;
		}
		pp->req.body = pp->body;
	}
#undef S
#undef L
	if (pp->req.method == NULL || pp->req.host == NULL ||
	    pp->region == NULL) {
		fprintf(stderr, "signer-client-test: %s: not a request\n",
		    file);
		return 2;
	}
	return 0;
}

static const char *
header_value(json_t *hdrs, const char *name)
{
	size_t i;

	for (i = 0; i < json_array_size(hdrs); i++) {
		json_t *pair = json_array_get(hdrs, i);

		if (strcasecmp(json_string_value(json_array_get(pair, 0)),
		    name) == 0)
			return json_string_value(json_array_get(pair, 1));
	}
	return NULL;
}

/* "20150830T123600Z" -> seconds since the epoch. */
static int
amz_date(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || (end = strptime(s, "%Y%m%dT%H%M%SZ", &tm)) == NULL ||
	    *end != '\0')
		return -1;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* Recompute what the signer should have signed; 0 when it matches. */
static int
verify(const char *file, const char *policy, const char *creds_file,
    json_t *hdrs)
{
	struct sd_error e = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	struct sd_policy_opts po = { SD_POLICY_KEEP_UNKNOWN_USERS, NULL, NULL };
	struct sd_sign_req *req = NULL;
	struct sd_sign_decision d;
	struct sd_sigv4_request sreq;
	struct sd_sigv4_params params;
	struct sd_sigv4_result res;
	struct sd_sigv4_credentials cr;
	struct sd_sigv4_signer *sig = NULL;
	struct sd_creds *creds = NULL;
	json_t *payload = NULL;
	char *text = NULL;
	const char *got_auth, *got_tok;
	size_t len;
	int64_t t;
	int r = 4, unlocked = 0;

	got_auth = header_value(hdrs, "Authorization");
	got_tok = header_value(hdrs, "X-Amz-Security-Token");
	if (amz_date(header_value(hdrs, "X-Amz-Date"), &t) != 0) {
		fprintf(stderr, "verify: no X-Amz-Date in the reply\n");
		goto out;
	}
	if (sd_policy_load_opts(policy, &po, &pol, &e) != 0 ||
	    (payload = sd_json_load_file(file, JSON_REJECT_DUPLICATES,
	    &e)) == NULL ||
	    sd_sign_req_parse(payload, t, &req, &e) != 0 ||
	    sd_sign_policy_check(pol, req, &d, &e) != 0) {
		fprintf(stderr, "verify: %s\n", sd_error_text(&e));
		goto out;
	}
	if (read_file(creds_file, &text, &len) != 0 ||
	    sd_creds_parse(text, len, NULL, &creds, &e) != 0 ||
	    sd_creds_unlock(creds, &cr) != 0 ||
	    (sig = sd_sigv4_signer_new()) == NULL) {
		fprintf(stderr, "verify: credentials: %s\n",
		    sd_error_text(&e));
		goto out;
	}
	unlocked = 1;
	sd_sign_req_sigv4(req, &d, &sreq, &params);
	params.time = t;
	if (sd_sigv4_sign(sig, &sreq, &cr, &params, &res, &e) != 0) {
		fprintf(stderr, "verify: %s\n", sd_error_text(&e));
		goto out;
	}
	if (got_auth == NULL || strcmp(got_auth, res.authorization) != 0) {
		fprintf(stderr, "verify: Authorization differs:\n got  %s\n "
		    "want %s\n", got_auth != NULL ? got_auth : "(none)",
		    res.authorization);
		goto out;
	}
	if ((got_tok == NULL) != (cr.session_token == NULL) ||
	    (got_tok != NULL && strcmp(got_tok, cr.session_token) != 0)) {
		fprintf(stderr, "verify: X-Amz-Security-Token differs\n");
		goto out;
	}
	printf("verified %s\n", res.signature);
	r = 0;
 out:
	if (unlocked)
		sd_creds_lock(creds);
	sd_creds_free(creds);
	sd_sigv4_signer_free(sig);
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	sd_sign_req_free(req);
	json_decref(payload);
	sd_policy_free(pol);
	sd_error_clear(&e);
	return r;
}

static int
cmd_sign(int fd, const char *file, const char *policy, const char *creds)
{
	struct sd_error e = SD_ERROR_INIT;
	struct parts pp;
	json_t *hdrs = NULL;
	char *s;
	int r;

	if ((r = load_parts(file, &pp)) != 0)
		goto out;
	if ((r = sd_signer_sign(fd, &pp.req, pp.region, pp.time, &hdrs,
	    &e)) != 0) {
		printf("REFUSED %d %s\n", r, sd_error_text(&e));
		r = r == SD_ERR_IO ? 3 : 1;
		goto out;
	}
	if ((s = sd_json_dumps(hdrs, 0)) != NULL) {
		printf("HEADERS %s\n", s);
		free(s);
	}
	r = policy != NULL ? verify(file, policy, creds, hdrs) : 0;
 out:
	json_decref(hdrs);
	json_decref(pp.root);
	free(pp.body);
	sd_error_clear(&e);
	return r;
}

static int
cmd_raw(int fd, const char *hex)
{
	struct sd_error e = SD_ERROR_INIT;
	unsigned char buf[4096], *p = NULL;
	size_t n = 0, len;
	uint8_t type;

	if (sodium_hex2bin(buf, sizeof(buf), hex, strlen(hex), NULL, &n,
	    NULL) != 0) {
		fprintf(stderr, "signer-client-test: bad hex\n");
		return 2;
	}
	if (write(fd, buf, n) != (ssize_t)n) {
		perror("write");
		return 3;
	}
	if (sd_msg_read(fd, READ_MAX, &type, &p, &len, &e) != 0) {
		printf("closed (%s)\n", sd_error_text(&e));
		sd_error_clear(&e);
		return 0;
	}
	print_reply(type, p, len);
	free(p);
	if (closed_within(fd, 2000))
		printf("closed\n");
	return 0;
}

static int
cmd_partial(int fd)
{
	/* Announces 1000 bytes of SIGN_REQUEST, sends 10. */
	static const unsigned char half[] = {
		0, 0, 0x03, 0xe9, SD_MSG_SIGN_REQUEST,
		'{', '"', 'm', 'e', 't', 'h', 'o', 'd', '"', ':'
	};

	if (write(fd, half, sizeof(half)) != (ssize_t)sizeof(half)) {
		perror("write");
		return 3;
	}
	return 0;
}

static int
cmd_repeat(int fd, const char *count, const char *file)
{
	struct sd_error e = SD_ERROR_INIT;
	unsigned char *p = NULL;
	char *text = NULL, *end;
	size_t len, n;
	long i, want;
	int ok = 0;
	uint8_t type;

	want = strtol(count, &end, 10);
	if (*end != '\0' || want < 1 || want > 1000)
		return usage();
	if (read_file(file, &text, &len) != 0)
		return 2;
	for (i = 0; i < want; i++)
		if (sd_msg_write(fd, SD_MSG_SIGN_REQUEST, text, len, &e) != 0) {
			free(text);
			return die_err("write", &e);
		}
	free(text);
	for (i = 0; i < want; i++) {
		if (sd_msg_read(fd, READ_MAX, &type, &p, &n, &e) != 0)
			return die_err("read", &e);
		ok += type == SD_MSG_SIGN_RESPONSE;
		free(p);
	}
	printf("signed %d of %ld\n", ok, want);
	return ok == want ? 0 : 1;
}

static int
drop_to(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	uid_t u;
	gid_t g;

	if (*end != '\0' || v < 1 || v > 65535)
		return -1;
	u = (uid_t)v;
	g = (gid_t)v;
	if (setgroups(1, &g) == -1 || setresgid(g, g, g) == -1 ||
	    setresuid(u, u, u) == -1) {
		perror("signer-client-test: dropping to --uid");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct sd_error e = SD_ERROR_INIT;
	int fd = -1, r, i = 1;

	if (sodium_init() < 0)
		return 3;
	if (argc > 2 && strcmp(argv[1], "--uid") == 0) {
		if (drop_to(argv[2]) != 0)
			return 3;
		i = 3;
	}
	if (argc - i < 2)
		return usage();
	if (sd_signer_connect(argv[i], &fd, &e) != 0)
		return die_err("connect", &e);
	if (strcmp(argv[i + 1], "request") == 0 && argc - i == 3)
		r = cmd_request(fd, argv[i + 2]);
	else if (strcmp(argv[i + 1], "sign") == 0 && argc - i == 3)
		r = cmd_sign(fd, argv[i + 2], NULL, NULL);
	else if (strcmp(argv[i + 1], "sign") == 0 && argc - i == 5)
		r = cmd_sign(fd, argv[i + 2], argv[i + 3], argv[i + 4]);
	else if (strcmp(argv[i + 1], "raw") == 0 && argc - i == 3)
		r = cmd_raw(fd, argv[i + 2]);
	else if (strcmp(argv[i + 1], "partial") == 0 && argc - i == 2)
		r = cmd_partial(fd);
	else if (strcmp(argv[i + 1], "repeat") == 0 && argc - i == 4)
		r = cmd_repeat(fd, argv[i + 2], argv[i + 3]);
	else
		r = usage();
	if (sd_signer_close(fd) != 0 && r == 0)
		r = 3;
	return r;
}
