/*
 * sigv4_context.c: the test suite's context.json (signing parameters and
 * credentials) for `stepdeploy sign` and the tests. Strict: unknown keys,
 * wrong types and embedded NULs are refused. The secret is copied once,
 * into a buffer wiped on free, and jansson's copy of it is wiped at once.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "sd_err.h"
#include "sd_sigv4.h"
#include "sd_time.h"

struct ctx_priv {
	char	*region;
	char	*service;
	char	*akid;
	char	*token;
	char	*secret;
	size_t	 secret_len;
};

static void
wipe_json_string(json_t *v)
{
	if (json_is_string(v))
		OPENSSL_cleanse((char *)json_string_value(v),
		    json_string_length(v));
}

static int
dup_str(json_t *v, const char *what, char **out, struct sd_error *err)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL)
		return sd_error_set(err, SD_ERR_TYPE, what, "not a string");
	if (strlen(s) != n)
		return sd_error_set(err, SD_ERR_INVALID, what,
		    "holds a NUL character");
	if ((*out = strdup(s)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, what, "out of memory");
	return 0;
}

static int
opt_bool(json_t *v, const char *what, int dflt, int *out,
    struct sd_error *err)
{
	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!json_is_boolean(v))
		return sd_error_set(err, SD_ERR_TYPE, what,
		    "must be true or false");
	*out = json_is_true(v);
	return 0;
}

void
sd_sigv4_context_free(struct sd_sigv4_context *c)
{
	struct ctx_priv *p;

	if (c == NULL)
		return;
	if ((p = c->priv) != NULL) {
		if (p->secret != NULL) {
			OPENSSL_cleanse(p->secret, p->secret_len);
			free(p->secret);
		}
		if (p->token != NULL) {
			OPENSSL_cleanse(p->token, strlen(p->token));
			free(p->token);
		}
		free(p->region);
		free(p->service);
		free(p->akid);
		free(p);
	}
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

int
sd_sigv4_context_parse(const char *json, size_t len,
    struct sd_sigv4_context **out, struct sd_error *err)
{
	struct sd_sigv4_context *c = NULL;
	struct ctx_priv *p = NULL;
	json_t *root = NULL, *akid = NULL, *secret = NULL, *token = NULL;
	json_t *region = NULL, *service = NULL, *ts = NULL, *exp = NULL;
	json_t *norm = NULL, *sign_body = NULL, *omit = NULL, *dbl = NULL;
	json_t *unsigned_payload = NULL;
	json_error_t jerr;
	int64_t sec;
	int r = SD_ERR_INTERNAL, s3;

	*out = NULL;
	/*
	 * jansson's messages quote the text near the error, which may be
	 * the secret: report the position only.
	 */
	if ((root = json_loadb(json, len, JSON_REJECT_DUPLICATES,
	    &jerr)) == NULL) {
		r = sd_error_set(err, SD_ERR_PARSE, "context",
		    "not valid JSON (line %d, column %d)", jerr.line,
		    jerr.column);
		goto out;
	}
	if (json_unpack_ex(root, &jerr, JSON_STRICT,
	    "{s:{s:o, s:o, s?:o}, s:o, s:o, s?:o, s?:o, s?:o, s?:o, s?:o, "
	    "s?:o, s?:o}",
	    "credentials", "access_key_id", &akid, "secret_access_key", &secret,
	    "token", &token, "region", &region, "service", &service,
	    "timestamp", &ts, "expiration_in_seconds", &exp,
	    "normalize", &norm, "sign_body", &sign_body,
	    "omit_session_token", &omit, "double_uri_encode", &dbl,
	    "unsigned_payload", &unsigned_payload) != 0) {
		/* Never echo a value: the text may come from the secret. */
		r = sd_error_set(err, SD_ERR_INVALID, "context",
		    "%s", jerr.text[0] != '\0' ? jerr.text :
		    "not a signing context");
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	c->priv = p;
	sd_sigv4_params_init(&c->params);

	if (!json_is_string(secret)) {
		r = sd_error_set(err, SD_ERR_TYPE,
		    "credentials.secret_access_key", "not a string");
		goto out;
	}
	p->secret_len = json_string_length(secret);
	if (p->secret_len == 0 || p->secret_len > SD_SIGV4_MAX_SECRET ||
	    strlen(json_string_value(secret)) != p->secret_len) {
		r = sd_error_set(err, SD_ERR_INVALID,
		    "credentials.secret_access_key",
		    "must be 1-%d bytes without NUL", SD_SIGV4_MAX_SECRET);
		goto out;
	}
	if ((p->secret = malloc(p->secret_len + 1)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	memcpy(p->secret, json_string_value(secret), p->secret_len + 1);

	if ((r = dup_str(akid, "credentials.access_key_id", &p->akid,
	    err)) != 0 ||
	    (token != NULL && (r = dup_str(token, "credentials.token",
	    &p->token, err)) != 0) ||
	    (r = dup_str(region, "region", &p->region, err)) != 0 ||
	    (r = dup_str(service, "service", &p->service, err)) != 0)
		goto out;
	s3 = strcmp(p->service, "s3") == 0;
	if ((r = opt_bool(norm, "normalize", !s3, &c->params.normalize_path,
	    err)) != 0 ||
	    (r = opt_bool(dbl, "double_uri_encode", !s3,
	    &c->params.double_encode, err)) != 0 ||
	    (r = opt_bool(sign_body, "sign_body", 0, &c->params.sign_body,
	    err)) != 0 ||
	    (r = opt_bool(omit, "omit_session_token", 0,
	    &c->params.omit_session_token, err)) != 0 ||
	    (r = opt_bool(unsigned_payload, "unsigned_payload", 0,
	    &c->params.unsigned_payload, err)) != 0)
		goto out;
	if (exp != NULL) {
		if (!json_is_integer(exp) || json_integer_value(exp) < 1 ||
		    json_integer_value(exp) > SD_SIGV4_MAX_EXPIRES) {
			r = sd_error_set(err, SD_ERR_INVALID,
			    "expiration_in_seconds",
			    "must be an integer 1-%d", SD_SIGV4_MAX_EXPIRES);
			goto out;
		}
		c->params.expires = json_integer_value(exp);
	}
	if (ts != NULL) {
		if (!json_is_string(ts) || sd_time_parse_ts(json_string_value(ts),
		    json_string_length(ts), &sec, NULL) != 0 || sec < 0) {
			r = sd_error_set(err, SD_ERR_INVALID, "timestamp",
			    "must be an RFC 3339 time after 1970, e.g. "
			    "\"2015-08-30T12:36:00Z\"");
			goto out;
		}
		c->params.time = sec;
	} else
		c->params.time = (int64_t)time(NULL);

	c->params.region = p->region;
	c->params.service = p->service;
	c->creds.access_key_id = p->akid;
	c->creds.secret = p->secret;
	c->creds.secret_len = p->secret_len;
	c->creds.session_token = p->token;
	*out = c;
	c = NULL;
	r = 0;
 out:
	wipe_json_string(secret);
	wipe_json_string(token);
	json_decref(root);
	sd_sigv4_context_free(c);
	return r;
}
