/*
 * aws_driver: one uploader AWS operation per invocation, for
 * tests/uploader/test_aws.sh. Prints one JSON object on stdout:
 *	{"ok": true, ...what the operation returned}
 *	{"ok": false, "error": "...", "kind": "...", "status": N,
 *	 "code": "...", "attempts": N, "maybe_applied": B, ...}
 * and exits 0 (ok), 1 (the operation failed) or 2 (usage).
 *
 *   aws-driver [options] OP ARGS...
 *	--region R		(us-east-1)
 *	--s3 URL --lambda URL --states URL	explicit endpoints
 *	--policy FILE		endpoints from the policy instead
 *	--signer SOCKET		sign through stepdeploy-signer (production)
 *	--test-credentials FILE	TEST ONLY: sign in-process (see below)
 *	--connect-timeout-ms N --timeout-ms N --attempts N --backoff-ms N
 *	--backoff-max-ms N --poll-ms N --wait-ms N --max-response N
 *	--ca-file F --now T (lock clock, seconds) --lease S --holder H
 *	--log-level L --trace
 *
 * THE IN-PROCESS SIGNER HERE IS FOR TESTS ONLY. It reads an AWS
 * credentials file and signs with sd_sigv4 in the uploader's own
 * process, which is exactly what the design forbids in production (only
 * the signer daemon may hold credentials). It lives in this test driver
 * and is never compiled into the library or any shipped program; the
 * uploader itself only has the sd_aws_signer_sign callback over
 * sign.sock.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sd_aws.h"
#include "sd_creds.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_log.h"
#include "sd_policy.h"
#include "sd_sigv4.h"

static const char *prog = "aws-driver";

/* ------------------------------------------------------- TEST-ONLY signer */

struct test_signer {
	struct sd_sigv4_signer	*s;
	struct sd_creds		*creds;
	struct sd_aws		*client;	/* to map a host to its service */
};

/* TEST ONLY: sign like the signer daemon would, without its policy. */
static int
test_sign(void *ctx, const struct sd_sigv4_request *req, const char *region,
    json_t **headers, struct sd_error *err)
{
	struct test_signer *ts = ctx;
	struct sd_sigv4_params params;
	struct sd_sigv4_credentials cr;
	struct sd_sigv4_result res;
	struct sd_aws_endpoint ep;
	const char *service = NULL;
	json_t *arr = NULL;
	size_t i;
	int svc, r;

	*headers = NULL;
	for (svc = 0; svc < SD_POLICY_SVC_COUNT && service == NULL; svc++) {
		if (sd_aws_endpoint_parse(sd_aws_endpoint(ts->client, svc), &ep,
		    NULL) == 0 && strlen(ep.host) == req->host_len &&
		    memcmp(ep.host, req->host, req->host_len) == 0)
			service = sd_policy_service_name(svc);
	}
	if (service == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "test signer: "
		    "host %.*s is no endpoint", (int)req->host_len, req->host);
	sd_sigv4_params_init(&params);
	params.region = region;
	params.service = service;
	params.time = (int64_t)time(NULL);
	if (strcmp(service, "s3") == 0) {
		params.normalize_path = 0;
		params.double_encode = 0;
		params.sign_body = 1;
	}
	if ((r = sd_creds_unlock(ts->creds, &cr)) != 0)
		return sd_error_set(err, r, NULL, "test signer: credentials");
	r = sd_sigv4_sign(ts->s, req, &cr, &params, &res, err);
	sd_creds_lock(ts->creds);
	if (r != 0)
		return r;
	if ((arr = json_array()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	for (i = 0; i < res.nadd; i++)
		if (json_array_append_new(arr, json_pack("[s#s#]",
		    res.add[i].name, (int)res.add[i].name_len,
		    res.add[i].value, (int)res.add[i].value_len)) != 0) {
			json_decref(arr);
			return sd_error_set(err, SD_ERR_NOMEM, NULL,
			    "out of memory");
		}
	*headers = arr;
	return 0;
}

static int
test_signer_open(struct test_signer *ts, const char *path, const char *profile,
    struct sd_error *err)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(ts, 0, sizeof(*ts));
	if ((r = sd_read_file(path, SD_CREDS_FILE_MAX, &text, &len, err)) != 0)
		return r;
	r = sd_creds_parse(text, len, profile, &ts->creds, err);
	sodium_memzero(text, len);
	free(text);
	if (r != 0)
		return r;
	if ((ts->s = sd_sigv4_signer_new()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

static void
test_signer_close(struct test_signer *ts)
{
	sd_sigv4_signer_free(ts->s);
	sd_creds_free(ts->creds);
}

/* ------------------------------------------------------------ output */

static json_t *result;		/* what is printed */
static int trace;

static void
put(const char *k, json_t *v)
{
	if (v == NULL || json_object_set_new(result, k, v) != 0) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(2);
	}
}

static void
put_str(const char *k, const char *v)
{
	put(k, json_string(v != NULL ? v : ""));
}

static void
put_int(const char *k, long long v)
{
	put(k, json_integer(v));
}

static void
put_status(const struct sd_aws_status *st)
{
	put_str("kind", sd_aws_kind_name(st->kind));
	put_int("status", st->http_status);
	put_str("code", st->code);
	put_str("aws_message", st->message);
	put_int("attempts", st->attempts);
	put("maybe_applied", json_boolean(st->maybe_applied));
	put_int("curl_code", st->curl_code);
}

static int
finish(int r, struct sd_error *err)
{
	char *s;

	put("ok", json_boolean(r == 0));
	if (r != 0) {
		put_str("error", sd_error_text(err));
		put_int("rc", r);
	}
	if ((s = sd_json_dumps(result, SD_JSON_SORT_KEYS)) == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 2;
	}
	printf("%s\n", s);
	free(s);
	return r == 0 ? 0 : 1;
}

static void
on_call(void *arg, const struct sd_aws_call *c)
{
	(void)arg;
	if (!trace)
		return;
	if (!c->done)
		fprintf(stderr, "TRACE %s %s %s try %u\n",
		    sd_aws_service_title(c->service), c->op, c->resource,
		    c->attempt);
	else
		fprintf(stderr, "TRACE %s %s %s try %u: %s %ld %s (%ld ms)\n",
		    sd_aws_service_title(c->service), c->op, c->resource,
		    c->attempt, sd_aws_kind_name(c->status->kind),
		    c->status->http_status, c->status->code, c->elapsed_ms);
}

/* ------------------------------------------------------------ operations */

static int
usage(void)
{
	fprintf(stderr,
	    "usage: %s [options] OP ARGS...\n"
	    "  s3-put BUCKET KEY (--body TEXT | --file F --sha256 HEX)\n"
	    "         [--if-none-match] [--if-match ETAG] [--content-type T]\n"
	    "  s3-get BUCKET KEY [--if-match ETAG] [--max N]\n"
	    "  s3-head BUCKET KEY | s3-delete BUCKET KEY [--if-match ETAG]\n"
	    "  lambda-get ARN [--qualifier Q] [--download FILE] |\n"
	    "  lambda-config ARN | lambda-wait ARN | lambda-tags ARN\n"
	    "  lambda-update-code ARN (--zip F | --s3 BUCKET KEY)\n"
	    "         [--revision-id R] [--publish] [--dry-run]\n"
	    "  lambda-publish ARN [--revision-id R] [--code-sha256 S]"
	    " [--description D]\n"
	    "  download URL FILE [--max N] [--sha256-b64 S]\n"
	    "  sfn-describe ARN | sfn-tags ARN\n"
	    "  sfn-update ARN --definition FILE [--publish]"
	    " [--version-description D]\n"
	    "  sfn-publish ARN [--revision-id R] [--description D]\n"
	    "  lock-acquire BUCKET PROJECT CONFIG RELEASE\n"
	    "  lock-release|lock-renew BUCKET PROJECT CONFIG RELEASE --etag E\n"
	    "  lock-read BUCKET PROJECT CONFIG\n"
	    "  freeze BUCKET PROJECT CONFIG --by WHO [--reason WHY]\n"
	    "  unfreeze|freeze-read BUCKET PROJECT CONFIG\n"
	    "  claim-release BUCKET PROJECT CONFIG RELEASE --file F\n", prog);
	return 2;
}

struct opts {
	const char	*body, *file, *sha256, *if_match, *content_type;
	const char	*qualifier, *download, *zip, *s3_bucket, *s3_key;
	const char	*revision_id, *code_sha256, *description, *definition;
	const char	*version_description, *etag, *by, *reason, *holder;
	const char	*sha256_b64;
	int		 if_none_match, publish, dry_run;
	long long	 max, now, lease;
};

static int64_t
fixed_now(void *arg)
{
	return *(const long long *)arg;
}

static void
put_fn(const struct sd_aws_lambda_function *f)
{
	put_str("function_arn", f->function_arn);
	put_str("code_sha256", f->code_sha256);
	put_int("code_size", f->code_size);
	put_str("revision_id", f->revision_id);
	put_str("state", f->state);
	put_str("last_update_status", f->last_update_status);
	put_str("version", f->version);
	if (f->code_location != NULL)
		put("has_code_location", json_true());
	if (f->tags != NULL)
		put("tags", json_incref(f->tags));
}

static void
put_sm(const struct sd_aws_state_machine *m)
{
	put_str("arn", m->arn);
	put_str("name", m->name);
	put_str("sm_status", m->status);
	put_str("revision_id", m->revision_id);
	put_str("version_arn", m->version_arn);
	if (m->definition != NULL)
		put_str("definition", m->definition);
}

static void
put_lock_info(const char *k, const struct sd_lock_info *i)
{
	put(k, json_pack("{s:s, s:s, s:I, s:I, s:s}", "release_id",
	    i->release_id, "holder", i->holder, "acquired_at",
	    (json_int_t)i->acquired_at, "expires_at", (json_int_t)i->expires_at,
	    "etag", i->etag));
}

static void
put_freeze(const char *k, const struct sd_lock_freeze *f)
{
	put(k, json_pack("{s:s, s:s, s:I}", "by", f->by, "reason", f->reason,
	    "at", (json_int_t)f->at));
}

static int
run(struct sd_aws *c, const char *op, int argc, char **argv,
    const struct opts *o, struct sd_error *err)
{
	struct sd_aws_status st;
	struct sd_aws_s3_object obj;
	struct sd_aws_lambda_function fn;
	struct sd_aws_state_machine sm;
	struct sd_lock_opts lo;
	struct sd_lock *lock = NULL;
	struct sd_lock_refusal why;
	struct sd_lock_info info;
	struct sd_lock_freeze fz;
	char etag[SD_AWS_ETAG_MAX], b64[SD_AWS_SHA256_B64_MAX];
	char *text = NULL;
	size_t len = 0;
	json_t *tags = NULL;
	uint64_t size = 0;
	long long now = o->now;
	int r;

	memset(&st, 0, sizeof(st));
	memset(&lo, 0, sizeof(lo));
	memset(&obj, 0, sizeof(obj));
	memset(&fn, 0, sizeof(fn));
	memset(&sm, 0, sizeof(sm));
#define NEED(n) do { if (argc != (n)) return usage(); } while (0)
	if (strcmp(op, "s3-put") == 0) {
		struct sd_aws_s3_put p;

		NEED(2);
		memset(&p, 0, sizeof(p));
		p.bucket = argv[0];
		p.key = argv[1];
		if (o->file != NULL) {
			p.file = o->file;
			p.sha256_hex = o->sha256;
		} else {
			p.body = o->body != NULL ? o->body : "";
			p.body_len = strlen(p.body);
		}
		p.if_none_match = o->if_none_match;
		p.if_match = o->if_match;
		p.content_type = o->content_type;
		r = sd_aws_s3_put_object(c, &p, etag, &st, err);
		if (r == 0)
			put_str("etag", etag);
		put_status(&st);
	} else if (strcmp(op, "s3-get") == 0 || strcmp(op, "s3-head") == 0) {
		NEED(2);
		if (op[3] == 'g')
			r = sd_aws_s3_get_object(c, argv[0], argv[1],
			    o->if_match, (size_t)o->max, &obj, &st, err);
		else
			r = sd_aws_s3_head_object(c, argv[0], argv[1], &obj,
			    &st, err);
		if (r == 0) {
			put_str("etag", obj.etag);
			put_int("size", obj.size);
			if (obj.body != NULL)
				put("body", json_stringn(obj.body, obj.len));
		}
		put_status(&st);
		sd_aws_s3_object_clear(&obj);
	} else if (strcmp(op, "s3-delete") == 0) {
		NEED(2);
		r = sd_aws_s3_delete_object(c, argv[0], argv[1], o->if_match,
		    &st, err);
		put_status(&st);
	} else if (strcmp(op, "lambda-get") == 0 ||
	    strcmp(op, "lambda-config") == 0) {
		NEED(1);
		if (op[7] == 'g')
			r = sd_aws_lambda_get_function(c, argv[0], o->qualifier,
			    &fn, &st, err);
		else
			r = sd_aws_lambda_get_configuration(c, argv[0],
			    o->qualifier, &fn, &st, err);
		if (r == 0)
			put_fn(&fn);
		put_status(&st);
		if (r == 0 && o->download != NULL) {
			if (fn.code_location == NULL) {
				r = sd_error_set(err, SD_ERR_INVALID, NULL,
				    "no Code.Location");
			} else {
				r = sd_aws_download(c, fn.code_location,
				    o->download, o->max > 0 ? (uint64_t)o->max :
				    (uint64_t)50 << 20, fn.code_sha256, b64,
				    &size, &st, err);
				if (r == 0) {
					put_str("downloaded_sha256", b64);
					put_int("downloaded_size",
					    (long long)size);
				}
			}
		}
		sd_aws_lambda_function_clear(&fn);
	} else if (strcmp(op, "lambda-update-code") == 0) {
		struct sd_aws_lambda_code code;

		NEED(1);
		memset(&code, 0, sizeof(code));
		if (o->zip != NULL) {
			if ((r = sd_read_file(o->zip, (size_t)64 << 20, &text,
			    &len, err)) != 0)
				return r;
			code.zip = text;
			code.zip_len = len;
		}
		code.s3_bucket = o->s3_bucket;
		code.s3_key = o->s3_key;
		code.revision_id = o->revision_id;
		code.publish = o->publish;
		code.dry_run = o->dry_run;
		r = sd_aws_lambda_update_code(c, argv[0], &code, &fn, &st, err);
		if (r == 0)
			put_fn(&fn);
		put_status(&st);
		sd_aws_lambda_function_clear(&fn);
	} else if (strcmp(op, "lambda-wait") == 0) {
		NEED(1);
		r = sd_aws_lambda_wait_updated(c, argv[0], &fn, &st, err);
		if (r == 0)
			put_fn(&fn);
		put_status(&st);
		sd_aws_lambda_function_clear(&fn);
	} else if (strcmp(op, "lambda-publish") == 0) {
		NEED(1);
		r = sd_aws_lambda_publish_version(c, argv[0], o->revision_id,
		    o->code_sha256, o->description, &fn, &st, err);
		if (r == 0)
			put_fn(&fn);
		put_status(&st);
		sd_aws_lambda_function_clear(&fn);
	} else if (strcmp(op, "lambda-tags") == 0 ||
	    strcmp(op, "sfn-tags") == 0) {
		NEED(1);
		if (op[0] == 'l')
			r = sd_aws_lambda_list_tags(c, argv[0], &tags, &st,
			    err);
		else
			r = sd_aws_sfn_list_tags(c, argv[0], &tags, &st, err);
		if (r == 0)
			put("tags", tags);
		put_status(&st);
	} else if (strcmp(op, "download") == 0) {
		NEED(2);
		r = sd_aws_download(c, argv[0], argv[1], o->max > 0 ?
		    (uint64_t)o->max : (uint64_t)50 << 20, o->sha256_b64, b64,
		    &size, &st, err);
		if (r == 0) {
			put_str("sha256", b64);
			put_int("size", (long long)size);
		}
		put_status(&st);
	} else if (strcmp(op, "sfn-describe") == 0) {
		NEED(1);
		r = sd_aws_sfn_describe(c, argv[0], &sm, &st, err);
		if (r == 0)
			put_sm(&sm);
		put_status(&st);
		sd_aws_state_machine_clear(&sm);
	} else if (strcmp(op, "sfn-update") == 0) {
		struct sd_aws_sfn_update u;

		NEED(1);
		if (o->definition == NULL)
			return usage();
		if ((r = sd_read_file(o->definition, (size_t)4 << 20, &text,
		    &len, err)) != 0)
			return r;
		memset(&u, 0, sizeof(u));
		u.definition = text;
		u.publish = o->publish;
		u.version_description = o->version_description;
		r = sd_aws_sfn_update(c, argv[0], &u, &sm, &st, err);
		if (r == 0)
			put_sm(&sm);
		put_status(&st);
		sd_aws_state_machine_clear(&sm);
	} else if (strcmp(op, "sfn-publish") == 0) {
		NEED(1);
		r = sd_aws_sfn_publish_version(c, argv[0], o->revision_id,
		    o->description, &sm, &st, err);
		if (r == 0)
			put_sm(&sm);
		put_status(&st);
		sd_aws_state_machine_clear(&sm);
	} else if (strcmp(op, "lock-acquire") == 0 ||
	    strcmp(op, "lock-release") == 0 ||
	    strcmp(op, "lock-renew") == 0) {
		NEED(4);
		lo.bucket = argv[0];
		lo.project = argv[1];
		lo.config = argv[2];
		lo.release_id = argv[3];
		lo.holder = o->holder;
		lo.lease_seconds = o->lease;
		if (now != 0) {
			lo.now = fixed_now;
			lo.now_arg = &now;
		}
		if (strcmp(op, "lock-acquire") == 0) {
			r = sd_lock_acquire(c, &lo, &lock, &why, err);
			if (r == 0) {
				put_str("etag", sd_lock_etag(lock));
				put_str("key", sd_lock_key(lock));
				put_int("expires_at", sd_lock_expires_at(lock));
				if (sd_lock_took_over(lock, &info))
					put_lock_info("took_over", &info);
			} else {
				if (why.frozen)
					put_freeze("frozen", &why.freeze);
				if (why.held)
					put_lock_info("held", &why.lock);
			}
		} else {
			if (o->etag == NULL)
				return usage();
			if ((r = sd_lock_resume(&lo, o->etag, &lock, err)) ==
			    0) {
				if (strcmp(op, "lock-release") == 0)
					r = sd_lock_release(c, lock, err);
				else if ((r = sd_lock_renew(c, lock, err)) ==
				    0) {
					put_str("etag", sd_lock_etag(lock));
					put_int("expires_at",
					    sd_lock_expires_at(lock));
				}
			}
		}
		sd_lock_free(lock);
	} else if (strcmp(op, "lock-read") == 0) {
		NEED(3);
		r = sd_lock_read(c, argv[0], argv[1], argv[2], &info, err);
		if (r == 0)
			put_lock_info("lock", &info);
	} else if (strcmp(op, "freeze") == 0) {
		NEED(3);
		r = sd_lock_freeze(c, argv[0], argv[1], argv[2], o->by,
		    o->reason, now != 0 ? now : (long long)time(NULL), &fz,
		    err);
		if (r != 0 && fz.by[0] != '\0')
			put_freeze("frozen", &fz);
	} else if (strcmp(op, "unfreeze") == 0) {
		NEED(3);
		r = sd_lock_unfreeze(c, argv[0], argv[1], argv[2], err);
	} else if (strcmp(op, "freeze-read") == 0) {
		NEED(3);
		r = sd_lock_read_freeze(c, argv[0], argv[1], argv[2], &fz, err);
		if (r == 0)
			put_freeze("frozen", &fz);
	} else if (strcmp(op, "claim-release") == 0) {
		NEED(4);
		if (o->file == NULL)
			return usage();
		if ((r = sd_read_file(o->file, SD_LOCK_RELEASE_JSON_MAX, &text,
		    &len, err)) != 0)
			return r;
		r = sd_lock_claim_release(c, argv[0], argv[1], argv[2],
		    argv[3], text, len, etag, err);
		if (r == 0)
			put_str("etag", etag);
	} else
		return usage();
#undef NEED
	free(text);
	return r;
}

/* ------------------------------------------------------------ main */

static long long
num(const char *s, const char *what)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0) {
		fprintf(stderr, "%s: %s: not a number: %s\n", prog, what, s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	enum {
		O_REGION = 256, O_S3, O_LAMBDA, O_STATES, O_POLICY, O_SIGNER,
		O_CREDS, O_PROFILE, O_CTO, O_TO, O_ATT, O_BO, O_BOMAX, O_POLL,
		O_WAIT, O_MAXRESP, O_CA, O_NOW, O_LEASE, O_HOLDER, O_LOG,
		O_TRACE, O_BODY, O_FILE, O_SHA, O_INM, O_IM, O_CT, O_MAX, O_Q,
		O_DL, O_ZIP, O_S3SRC, O_REV, O_PUB, O_DRY, O_CSHA, O_DESC,
		O_DEF, O_VDESC, O_ETAG, O_BY, O_REASON, O_SHAB64
	};
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, O_REGION },
		{ "s3", required_argument, NULL, O_S3 },
		{ "lambda", required_argument, NULL, O_LAMBDA },
		{ "states", required_argument, NULL, O_STATES },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "signer", required_argument, NULL, O_SIGNER },
		{ "test-credentials", required_argument, NULL, O_CREDS },
		{ "profile", required_argument, NULL, O_PROFILE },
		{ "connect-timeout-ms", required_argument, NULL, O_CTO },
		{ "timeout-ms", required_argument, NULL, O_TO },
		{ "attempts", required_argument, NULL, O_ATT },
		{ "backoff-ms", required_argument, NULL, O_BO },
		{ "backoff-max-ms", required_argument, NULL, O_BOMAX },
		{ "poll-ms", required_argument, NULL, O_POLL },
		{ "wait-ms", required_argument, NULL, O_WAIT },
		{ "max-response", required_argument, NULL, O_MAXRESP },
		{ "ca-file", required_argument, NULL, O_CA },
		{ "now", required_argument, NULL, O_NOW },
		{ "lease", required_argument, NULL, O_LEASE },
		{ "holder", required_argument, NULL, O_HOLDER },
		{ "log-level", required_argument, NULL, O_LOG },
		{ "trace", no_argument, NULL, O_TRACE },
		{ "body", required_argument, NULL, O_BODY },
		{ "file", required_argument, NULL, O_FILE },
		{ "sha256", required_argument, NULL, O_SHA },
		{ "if-none-match", no_argument, NULL, O_INM },
		{ "if-match", required_argument, NULL, O_IM },
		{ "content-type", required_argument, NULL, O_CT },
		{ "max", required_argument, NULL, O_MAX },
		{ "qualifier", required_argument, NULL, O_Q },
		{ "download", required_argument, NULL, O_DL },
		{ "zip", required_argument, NULL, O_ZIP },
		{ "s3-code", required_argument, NULL, O_S3SRC },
		{ "revision-id", required_argument, NULL, O_REV },
		{ "publish", no_argument, NULL, O_PUB },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ "code-sha256", required_argument, NULL, O_CSHA },
		{ "description", required_argument, NULL, O_DESC },
		{ "definition", required_argument, NULL, O_DEF },
		{ "version-description", required_argument, NULL, O_VDESC },
		{ "etag", required_argument, NULL, O_ETAG },
		{ "by", required_argument, NULL, O_BY },
		{ "reason", required_argument, NULL, O_REASON },
		{ "sha256-b64", required_argument, NULL, O_SHAB64 },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_aws_config cfg;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	struct sd_policy_opts popts;
	struct sd_aws_signer *sock = NULL;
	struct test_signer ts;
	struct sd_aws *c = NULL;
	struct opts o;
	const char *policy = NULL, *signer = NULL, *creds = NULL;
	const char *profile = NULL;
	char *slash;
	int ch, r, level = SD_LOG_WARN, have_ts = 0;

	memset(&o, 0, sizeof(o));
	memset(&ts, 0, sizeof(ts));
	o.lease = 900;
	sd_aws_config_init(&cfg);
	cfg.region = "us-east-1";
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case O_REGION: cfg.region = optarg; break;
		case O_S3: cfg.endpoint[SD_POLICY_SVC_S3] = optarg; break;
		case O_LAMBDA: cfg.endpoint[SD_POLICY_SVC_LAMBDA] = optarg;
			break;
		case O_STATES: cfg.endpoint[SD_POLICY_SVC_STATES] = optarg;
			break;
		case O_POLICY: policy = optarg; break;
		case O_SIGNER: signer = optarg; break;
		case O_CREDS: creds = optarg; break;
		case O_PROFILE: profile = optarg; break;
		case O_CTO: cfg.connect_timeout_ms = num(optarg, "timeout");
			break;
		case O_TO: cfg.request_timeout_ms = num(optarg, "timeout");
			break;
		case O_ATT: cfg.retry.max_attempts = (unsigned)num(optarg,
			    "attempts"); break;
		case O_BO: cfg.retry.base_ms = (uint32_t)num(optarg,
			    "backoff"); break;
		case O_BOMAX: cfg.retry.max_ms = (uint32_t)num(optarg,
			    "backoff"); break;
		case O_POLL: cfg.poll_interval_ms = num(optarg, "poll"); break;
		case O_WAIT: cfg.poll_timeout_ms = num(optarg, "wait"); break;
		case O_MAXRESP: cfg.response_max = (size_t)num(optarg, "max");
			break;
		case O_CA: cfg.ca_file = optarg; break;
		case O_NOW: o.now = num(optarg, "now"); break;
		case O_LEASE: o.lease = num(optarg, "lease"); break;
		case O_HOLDER: o.holder = optarg; break;
		case O_LOG:
			if ((level = sd_log_level_parse(optarg)) < 0)
				return usage();
			break;
		case O_TRACE: trace = 1; break;
		case O_BODY: o.body = optarg; break;
		case O_FILE: o.file = optarg; break;
		case O_SHA: o.sha256 = optarg; break;
		case O_INM: o.if_none_match = 1; break;
		case O_IM: o.if_match = optarg; break;
		case O_CT: o.content_type = optarg; break;
		case O_MAX: o.max = num(optarg, "max"); break;
		case O_Q: o.qualifier = optarg; break;
		case O_DL: o.download = optarg; break;
		case O_ZIP: o.zip = optarg; break;
		case O_S3SRC:
			/* BUCKET/KEY */
			if ((slash = strchr(optarg, '/')) == NULL)
				return usage();
			*slash = '\0';
			o.s3_bucket = optarg;
			o.s3_key = slash + 1;
			break;
		case O_REV: o.revision_id = optarg; break;
		case O_PUB: o.publish = 1; break;
		case O_DRY: o.dry_run = 1; break;
		case O_CSHA: o.code_sha256 = optarg; break;
		case O_DESC: o.description = optarg; break;
		case O_DEF: o.definition = optarg; break;
		case O_VDESC: o.version_description = optarg; break;
		case O_ETAG: o.etag = optarg; break;
		case O_BY: o.by = optarg; break;
		case O_REASON: o.reason = optarg; break;
		case O_SHAB64: o.sha256_b64 = optarg; break;
		default: return usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || (signer == NULL) == (creds == NULL)) {
		fprintf(stderr, "%s: give an operation and one of --signer, "
		    "--test-credentials\n", prog);
		return usage();
	}
	sd_log_init(prog, level, 0);
	/* The signer's socket may close under us: errors, not signals. */
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || sodium_init() < 0) {
		fprintf(stderr, "%s: cannot start\n", prog);
		return 2;
	}
	if ((result = json_object()) == NULL)
		return 2;
	if (policy != NULL) {
		memset(&popts, 0, sizeof(popts));
		popts.flags = SD_POLICY_KEEP_UNKNOWN_USERS;
		if ((r = sd_policy_load_opts(policy, &popts, &pol, &err)) != 0)
			goto done;
		cfg.policy = pol;
	}
	if (signer != NULL) {
		if ((r = sd_aws_signer_socket(signer, &sock, &err)) != 0)
			goto done;
		cfg.sign = sd_aws_signer_sign;
		cfg.sign_ctx = sock;
	} else {
		have_ts = 1;
		if ((r = test_signer_open(&ts, creds, profile, &err)) != 0)
			goto done;
		cfg.sign = test_sign;
		cfg.sign_ctx = &ts;
	}
	cfg.on_call = on_call;
	if ((r = sd_aws_new(&cfg, &c, &err)) != 0)
		goto done;
	ts.client = c;
	r = run(c, argv[0], argc - 1, argv + 1, &o, &err);
 done:
	if (r != 2)	/* 2: usage, already said */
		r = finish(r, &err);
	sd_aws_free(c);
	sd_aws_signer_free(sock);
	if (have_ts)
		test_signer_close(&ts);
	sd_policy_free(pol);
	sd_error_clear(&err);
	json_decref(result);
	return r;
}
