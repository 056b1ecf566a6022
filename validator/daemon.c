/*
 * daemon.c: stepdeploy-validator's service (see sd_validator.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sd_buf.h"
#include "sd_audit.h"
#include "sd_check.h"
#include "sd_daemon.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_msg.h"
#include "sd_release.h"
#include "sd_serve.h"
#include "sd_sock.h"
#include "sd_validator.h"

#define ROLE_SUBMITTER	0x1
#define SPOOL_NAME_MAX	160

struct validator {
	const struct sd_validator_opts	*o;
	char				 spool[4096];
};

/* One submission, as the connection's child handles it. */
struct sub {
	struct validator	*v;
	struct sd_msg_conn	*c;
	json_t			*result;	/* SUBMIT_RESULT */
	json_t			*findings;
	json_t			*release;	/* parsed, or NULL */
	const char		*rid;
	char			 tmpdir[4200];
	char			 zip_path[4300];
	char			 release_sha[65];
	char			 zip_sha[65];
	/* the spool entry's files, written while the executor runs the
	 * tests (spool_write): what it needs, and how that went */
	const char		*rel, *tests;
	size_t			 rlen, tlen;
	int			 written;	/* 0 not yet, 1 done, -1 failed */
	struct sd_error		 spool_err;
};

static void
hex(const unsigned char *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[32];
	unsigned int dl = 0;

	if (EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL) != 1 || dl != 32)
		return -1;
	hex(d, 32, out);
	return 0;
}

static int
progress(struct sub *s, const char *step, const char *detail)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	(void)sd_audit(strcmp(step, "received") == 0 ? "submit.received" :
	    strncmp(step, "tests", 5) == 0 ? "submit.tests" :
	    strcmp(step, "queued") == 0 ? "submit.handed_over" :
	    "submit.checked", strcmp(step, "tests failed") == 0 ? "failed" :
	    "ok", (int64_t)s->c->uid, s->rid, json_pack("{s:s, s:s, s:s, "
	    "s:s}", "step", step, "detail", detail != NULL ? detail : "",
	    "release_sha256", s->release_sha, "zip_sha256", s->zip_sha),
	    strcmp(step, "received") == 0);
	if ((r = sd_msg_write_progress(s->c->fd, step, detail, &err)) != 0)
		sd_debug("progress to uid %lu: %s", (unsigned long)s->c->uid,
		    sd_error_text(&err));
	sd_error_clear(&err);
	return r;
}

/* dir/name with content, not yet synced (spool() syncs them all). */
static int
put_file(const char *dir, const char *name, const char *p, size_t n,
    struct sd_error *err)
{
	char path[4400];
	int fd, r;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "spool %s: %s", name,
		    strerror(errno));
	r = sd_write_all(fd, p, n, err);
	if (close(fd) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "close %s: %s", name,
		    strerror(errno));
	return r;
}

/* The files of a spool entry. */
static const char *const spool_names[] = { "lambda.zip", "release.json",
    "tests.json", "manifest.json", NULL };

static int
fsync_dir(const char *dir, struct sd_error *err)
{
	int fd, r = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return sd_error_set(err, SD_ERR_IO, dir, "open: %s",
		    strerror(errno));
	if (fsync(fd) == -1)
		r = sd_error_set(err, SD_ERR_IO, dir, "fsync: %s",
		    strerror(errno));
	if (close(fd) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, dir, "close: %s",
		    strerror(errno));
	return r;
}

static void
remove_tmp(struct sub *s)
{
	static const char *const names[] = { "release.json", "lambda.zip",
	    "tests.json", "manifest.json", NULL };
	char path[4400];
	size_t i;

	if (s->tmpdir[0] == '\0')
		return;
	for (i = 0; names[i] != NULL; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", s->tmpdir, names[i]);
		(void)unlink(path);
	}
	if (rmdir(s->tmpdir) == -1 && errno != ENOENT)
		sd_warn("rmdir %s: %s", s->tmpdir, strerror(errno));
	s->tmpdir[0] = '\0';
}

/*
 * Receive the zip's CHUNK frames (want bytes in all) into the temporary
 * directory's lambda.zip, hashing as they come.
 */
static int
receive_zip(struct sub *s, uint64_t want, struct sd_error *err)
{
	unsigned char *p = NULL, d[32];
	unsigned int dl = 0;
	EVP_MD_CTX *md = NULL;
	uint64_t got = 0;
	uint8_t type;
	size_t n;
	int fd = -1, r;

	(void)snprintf(s->zip_path, sizeof(s->zip_path), "%s/lambda.zip",
	    s->tmpdir);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((fd = open(s->zip_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "spool lambda.zip: %s",
		    strerror(errno));
		goto out;
	}
	while (got < want) {
		if ((r = sd_msg_read(s->c->fd, SD_MSG_CHUNK_MAX, &type, &p, &n,
		    err)) != 0)
			goto out;
		if (type != SD_MSG_CHUNK || n == 0) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL, "expected "
			    "the zip's CHUNK frames, got %s%s",
			    sd_msg_type_name(type), n == 0 ? " (empty)" : "");
			goto out;
		}
		if (n > want - got) {
			r = sd_error_set(err, SD_ERR_LIMIT, NULL, "the zip is "
			    "larger than the %llu bytes announced",
			    (unsigned long long)want);
			goto out;
		}
		if (EVP_DigestUpdate(md, p, n) != 1) {
			r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "sha256");
			goto out;
		}
		if ((r = sd_write_all(fd, p, n, err)) != 0)
			goto out;
		got += n;
		free(p);
		p = NULL;
	}
	if (EVP_DigestFinal_ex(md, d, &dl) != 1 || dl != 32) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "sha256");
		goto out;
	}
	hex(d, 32, s->zip_sha);
	/* (synced with the rest of the spool entry, by spool()) */
	r = 0;
 out:
	if (fd != -1 && close(fd) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "close: %s",
		    strerror(errno));
	EVP_MD_CTX_free(md);
	free(p);
	return r;
}

static void
set_status(struct sub *s, const char *status)
{
	(void)json_object_set_new(s->result, "status", json_string(status));
}

/* Refuse with one finding of our own (plus the ones found so far). */
static void
refuse(struct sub *s, const char *code, const char *loc, const char *msg)
{
	(void)sd_check_diag(s->findings, "ERROR", code, msg, loc);
	set_status(s, "Refused");
}

static int	spool_write(struct sub *, struct sd_error *);

/* Run the tests on the executor; 0 when they all passed. */
static int
run_tests(struct sub *s, const char *tests, size_t tlen)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *req = NULL, *rep = NULL, *t;
	char *def = NULL, *msg = NULL, loc[64], detail[96];
	size_t i;
	int fd = -1, r = -1;
	long long passed, failed;

	if ((def = sd_json_dumps(json_object_get(s->release, "state_machine"),
	    SD_JSON_SORT_KEYS)) == NULL ||
	    (req = json_pack("{s:s, s:s%}", "definition", def, "tests", tests,
	    tlen)) == NULL) {
		refuse(s, "SERVICE_ERROR", NULL, "out of memory");
		goto out;
	}
	if (sd_sock_connect(s->v->o->exec_socket, s->v->o->exec_timeout_ms > 0 ?
	    s->v->o->exec_timeout_ms : 120000, &fd, &err) != 0 ||
	    sd_msg_write_json(fd, SD_MSG_EXEC_REQUEST, req, &err) != 0) {
		msg = sd_asprintf("the executor cannot be reached: %s",
		    sd_error_text(&err));
		refuse(s, "SERVICE_ERROR", NULL, msg);
		goto out;
	}
	/* The spool entry written and synced while the tests run. */
	(void)spool_write(s, &s->spool_err);
	if (sd_msg_expect_json(fd, SD_MSG_EXEC_RESULT, &rep, &err) != 0) {
		refuse(s, "TESTS_NOT_RUN", "tests.json:/", sd_error_text(&err));
		goto out;
	}
	passed = (long long)json_integer_value(json_object_get(rep, "passed"));
	failed = (long long)json_integer_value(json_object_get(rep, "failed"));
	(void)json_object_set_new(s->result, "tests", json_pack("{s:I, s:I}",
	    "passed", (json_int_t)passed, "failed", (json_int_t)failed));
	json_array_foreach(json_object_get(rep, "tests"), i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		json_t *d;
		size_t k;

		if (json_is_true(json_object_get(t, "passed")))
			continue;
		(void)snprintf(loc, sizeof(loc), "tests.json:/%zu", i);
		free(msg);
		msg = sd_asprintf("test \"%s\" failed", name != NULL ? name :
		    "?");
		json_array_foreach(json_object_get(t, "diffs"), k, d) {
			char *exp = sd_json_dumps(json_object_get(d, "expected"),
			    SD_JSON_SORT_KEYS);
			char *got = json_object_get(d, "got") != NULL ?
			    sd_json_dumps(json_object_get(d, "got"),
			    SD_JSON_SORT_KEYS) : NULL;
			char *m2 = sd_asprintf("%s; %s: expected %.200s, got "
			    "%.200s", msg != NULL ? msg : "", json_string_value(
			    json_object_get(d, "field")), exp != NULL ? exp : "?",
			    got != NULL ? got : "nothing");

			free(exp);
			free(got);
			free(msg);
			msg = m2;
		}
		(void)sd_check_diag(s->findings, "ERROR", "TEST_FAILED", msg,
		    loc);
	}
	(void)snprintf(detail, sizeof(detail), "%lld passed, %lld failed",
	    passed, failed);
	if (failed > 0) {
		set_status(s, "Refused");
		(void)progress(s, "tests failed", detail);
		goto out;
	}
	(void)progress(s, "tests passed", detail);
	r = 0;
 out:
	if (fd != -1)
		(void)close(fd);
	free(def);
	free(msg);
	json_decref(req);
	json_decref(rep);
	sd_error_clear(&err);
	return r;
}

/* The spool entry's files in tmpdir, each synced, and tmpdir itself. */
static int
spool_write(struct sub *s, struct sd_error *err)
{
	json_t *man = NULL;
	char *mt = NULL;
	int r;

	if ((man = json_pack("{s:s, s:s, s:s, s:I, s:I}", "release_id", s->rid,
	    "release_sha256", s->release_sha, "zip_sha256", s->zip_sha,
	    "submitter", (json_int_t)s->c->uid, "submitted_at",
	    (json_int_t)time(NULL))) == NULL ||
	    (mt = sd_json_dumps(man, SD_JSON_SORT_KEYS)) == NULL)
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	else if ((r = put_file(s->tmpdir, "release.json", s->rel, s->rlen,
	    err)) == 0 && (s->tests == NULL || (r = put_file(s->tmpdir,
	    "tests.json", s->tests, s->tlen, err)) == 0) &&
	    (r = put_file(s->tmpdir, "manifest.json", mt, strlen(mt),
	    err)) == 0 && (r = sd_sync_files(s->tmpdir, spool_names, 1,
	    err)) == 0)
		r = fsync_dir(s->tmpdir, err);
	free(mt);
	json_decref(man);
	s->written = r == 0 ? 1 : -1;
	return r;
}

/* Into the spool: tmpdir becomes spool/NAME, atomically. */
static int
spool(struct sub *s, char *name, size_t namelen, struct sd_error *err)
{
	char final[4400];
	int r, n;

	n = snprintf(name, namelen, "%s-%lld-%ld", s->rid, (long long)time(NULL),
	    (long)getpid());
	if (n <= 0 || (size_t)n >= namelen)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "spool name");
	if (s->written == 0 && (r = spool_write(s, err)) != 0)
		return r;
	if (s->written < 0)
		return sd_error_set(err, s->spool_err.code != 0 ?
		    s->spool_err.code : SD_ERR_IO, NULL, "%s",
		    sd_error_text(&s->spool_err));
	(void)snprintf(final, sizeof(final), "%s/%s", s->v->spool, name);
	if (rename(s->tmpdir, final) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "spool rename: %s",
		    strerror(errno));
	s->tmpdir[0] = '\0';
	return fsync_dir(s->v->spool, err);
}

/* Hand the spooled release to the uploader and relay its progress. */
static void
hand_over(struct sub *s, const char *name, int wait)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *req = NULL, *m = NULL;
	const char *k;
	json_t *v;
	uint8_t type;
	int fd = -1;

	if ((req = json_pack("{s:s, s:s, s:s, s:s, s:I, s:b}", "spool", name,
	    "release_id", s->rid, "release_sha256", s->release_sha,
	    "zip_sha256", s->zip_sha, "submitter", (json_int_t)s->c->uid,
	    "wait", wait)) == NULL) {
		set_status(s, "Failed");
		goto out;
	}
	if (sd_sock_connect(s->v->o->deploy_socket, 0, &fd, &err) != 0 ||
	    sd_msg_write_json(fd, SD_MSG_DEPLOY, req, &err) != 0) {
		set_status(s, "Failed");
		(void)json_object_set_new(s->result, "error", json_string(
		    "Service.UploaderUnreachable"));
		(void)json_object_set_new(s->result, "cause", json_string(
		    sd_error_text(&err)));
		goto out;
	}
	for (;;) {
		json_decref(m);
		m = NULL;
		if (sd_msg_read_json(fd, 0, &type, &m, &err) != 0) {
			set_status(s, "Failed");
			(void)json_object_set_new(s->result, "error",
			    json_string("Service.UploaderLost"));
			(void)json_object_set_new(s->result, "cause",
			    json_string(sd_error_text(&err)));
			break;
		}
		if (type == SD_MSG_PROGRESS) {
			/* relayed as it is (the uploader is trusted) */
			if (sd_msg_write_json(s->c->fd, SD_MSG_PROGRESS, m,
			    &err) != 0) {
				sd_info("%s: the submitter left; the deploy "
				    "goes on", s->rid);
				sd_error_clear(&err);
			}
			continue;
		}
		if (type == SD_MSG_DEPLOY_RESULT) {
			json_object_foreach(m, k, v)
				(void)json_object_set(s->result, k, v);
			break;
		}
		set_status(s, "Failed");
		(void)json_object_set_new(s->result, "error", json_string(
		    "Service.UploaderRefused"));
		(void)json_object_set(s->result, "cause", json_object_get(m,
		    "message"));
		break;
	}
 out:
	if (fd != -1)
		(void)close(fd);
	json_decref(m);
	json_decref(req);
	sd_error_clear(&err);
}

int
sd_validator_parse_submit(const json_t *msg, struct sd_submit_req *q,
    struct sd_error *err)
{
	json_int_t zip_bytes = -1;
	json_error_t je;
	int wait = 1;

	memset(q, 0, sizeof(*q));
	if (json_unpack_ex((json_t *)msg, &je, JSON_STRICT,
	    "{s:s%, s?s%, s:I, s?b}", "release", &q->release, &q->release_len,
	    "tests", &q->tests, &q->tests_len, "zip_bytes", &zip_bytes, "wait",
	    &wait) != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "SUBMIT: %s",
		    je.text);
	q->zip_bytes = (int64_t)zip_bytes;
	q->wait = wait;
	return 0;
}

static int
on_submit(struct sd_msg_conn *c, json_t *msg, struct sd_error *err)
{
	struct sub s;
	const struct sd_policy_limits *lim;
	const struct sd_policy *pol;
	struct sd_submit_req q;
	const char *rel, *tests;
	size_t rlen, tlen;
	int64_t zip_bytes;
	json_t *tj = NULL;
	char name[SPOOL_NAME_MAX], detail[256];
	int wait, r = 0;
	uid_t uid = c->uid;

	memset(&s, 0, sizeof(s));
	s.v = c->arg;
	s.c = c;
	pol = s.v->o->pol;
	if ((r = sd_validator_parse_submit(msg, &q, err)) != 0)
		return r;
	rel = q.release;
	rlen = q.release_len;
	tests = q.tests;
	tlen = q.tests_len;
	zip_bytes = q.zip_bytes;
	wait = q.wait;
	if ((s.result = json_object()) == NULL ||
	    (s.findings = json_array()) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	/* release.json first: it names the project whose limits apply. */
	if (sd_check_release(rel, rlen, "release.json", pol, &uid, s.findings,
	    &s.release, err) != 0) {
		r = err->code;
		goto out;
	}
	s.rid = json_string_value(json_object_get(s.release, "release_id"));
	lim = sd_policy_limits(pol, sd_policy_project(pol, json_string_value(
	    json_object_get(s.release, "project_name"))));
	if (zip_bytes <= 0 || (uint64_t)zip_bytes > lim->zip_max_bytes) {
		(void)snprintf(detail, sizeof(detail), "the zip's %lld bytes "
		    "are not within 1 - %llu (zip_max_bytes)",
		    (long long)zip_bytes, (unsigned long long)lim->zip_max_bytes);
		refuse(&s, "ZIP_TOO_LARGE", "lambda.zip", detail);
		r = 1;		/* answered below, without reading the zip */
		goto verdict;
	}
	if (tests != NULL && tlen > lim->tests_max_bytes) {
		(void)snprintf(detail, sizeof(detail), "tests.json is %zu "
		    "bytes, over tests_max_bytes (%llu)", tlen,
		    (unsigned long long)lim->tests_max_bytes);
		refuse(&s, "TESTS_TOO_LARGE", "tests.json:/", detail);
		r = 1;
		goto verdict;
	}
	(void)snprintf(s.tmpdir, sizeof(s.tmpdir), "%s/.in-%ld", s.v->spool,
	    (long)getpid());
	if (mkdir(s.tmpdir, 0750) == -1) {
		s.tmpdir[0] = '\0';
		r = sd_error_set(err, SD_ERR_IO, NULL, "spool: %s",
		    strerror(errno));
		goto out;
	}
	if ((r = receive_zip(&s, (uint64_t)zip_bytes, err)) != 0)
		goto out;
	if (sha256_hex(rel, rlen, s.release_sha) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "sha256");
		goto out;
	}
	(void)snprintf(detail, sizeof(detail), "release %s, zip %lld bytes, "
	    "%s", s.rid != NULL ? s.rid : "?", (long long)zip_bytes,
	    tests != NULL ? "tests" : "no tests");
	(void)progress(&s, "received", detail);

	/* The checks of `stepdeploy validate --release --zip --policy`. */
	if (s.release != NULL) {
		char *def = sd_json_dumps(json_object_get(s.release,
		    "state_machine"), SD_JSON_SORT_KEYS);
		struct sd_lint_opts lo;

		sd_lint_opts_default(&lo);
		if (def == NULL || sd_check_definition(def, strlen(def), &lo,
		    s.findings, err) != 0) {
			free(def);
			r = err->code != 0 ? err->code : SD_ERR_NOMEM;
			goto out;
		}
		free(def);
	}
	if (sd_check_zip(s.zip_path, s.release, pol, s.findings, NULL,
	    err) != 0) {
		refuse(&s, "ZIP_UNREADABLE", "lambda.zip", sd_error_text(err));
		sd_error_clear(err);
	}
	if (tests != NULL) {
		if ((tj = sd_json_loadb(tests, tlen, JSON_REJECT_DUPLICATES,
		    "tests.json", err)) == NULL) {
			refuse(&s, "TESTS_NOT_JSON", "tests.json:/",
			    sd_error_text(err));
			sd_error_clear(err);
		} else if (!json_is_array(tj))
			refuse(&s, "TESTS_NOT_LIST", "tests.json:/",
			    "tests.json must be a list of tests");
	}
	if (tj != NULL && json_is_array(tj) &&
	    json_array_size(tj) > lim->tests_max_count) {
		(void)snprintf(detail, sizeof(detail), "%zu tests, over "
		    "tests_max_count (%llu)", json_array_size(tj),
		    (unsigned long long)lim->tests_max_count);
		refuse(&s, "TOO_MANY_TESTS", "tests.json:/", detail);
	}
	if ((tj == NULL ? 0 : json_array_size(tj)) < lim->tests_min_count) {
		(void)snprintf(detail, sizeof(detail), "the policy wants at "
		    "least %llu test(s) (tests_min_count); this release has "
		    "%zu", (unsigned long long)lim->tests_min_count,
		    tj == NULL ? (size_t)0 : json_array_size(tj));
		refuse(&s, "TESTS_REQUIRED", "tests.json:/", detail);
	}
	if (sd_check_errors(s.findings) > 0) {
		set_status(&s, "Refused");
		goto verdict;
	}
	(void)snprintf(detail, sizeof(detail), "%zu warning(s)",
	    json_array_size(s.findings));
	(void)progress(&s, "validated", detail);

	s.rel = rel;
	s.rlen = rlen;
	s.tests = tests;
	s.tlen = tlen;
	if (tj != NULL && json_array_size(tj) > 0 &&
	    run_tests(&s, tests, tlen) != 0)
		goto verdict;
	if (tj == NULL || json_array_size(tj) == 0)
		(void)progress(&s, "tests", "none (the policy allows it)");

	if ((r = spool(&s, name, sizeof(name), err)) != 0)
		goto out;
	(void)json_object_set_new(s.result, "spool", json_string(name));
	sd_info("uid %lu: release %s validated, spooled as %s",
	    (unsigned long)c->uid, s.rid, name);
	hand_over(&s, name, wait);
 verdict:
	if (json_object_get(s.result, "status") == NULL)
		set_status(&s, "Failed");
	(void)json_object_set_new(s.result, "release_id", s.rid != NULL ?
	    json_string(s.rid) : json_null());
	(void)json_object_set(s.result, "findings", s.findings);
	{
		json_t *f = json_array(), *e;
		size_t k;

		json_array_foreach(s.findings, k, e)
			if (k < 20)
				(void)json_array_append(f, e);
		(void)sd_audit("submit.verdict", json_string_value(
		    json_object_get(s.result, "status")), (int64_t)c->uid,
		    s.rid, json_pack("{s:s, s:s, s:o, s:I}", "release_sha256",
		    s.release_sha, "zip_sha256", s.zip_sha, "findings", f,
		    "findings_total", (json_int_t)json_array_size(s.findings)),
		    1);
	}
	if (sd_msg_write_json(c->fd, SD_MSG_SUBMIT_RESULT, s.result,
	    err) != 0)
		sd_info("the submitter of %s left before the verdict",
		    s.rid != NULL ? s.rid : "?");
	sd_info("uid %lu: release %s: %s", (unsigned long)c->uid,
	    s.rid != NULL ? s.rid : "?", json_string_value(json_object_get(
	    s.result, "status")));
	r = 1;
 out:
	remove_tmp(&s);
	sd_error_clear(&s.spool_err);
	json_decref(tj);
	json_decref(s.release);
	json_decref(s.findings);
	json_decref(s.result);
	return r;
}

static const struct sd_msg_route routes[] = {
	{ SD_MSG_SUBMIT, ROLE_SUBMITTER, SD_MSG_ROUTE_ONCE, on_submit },
};

static int
conn(void *arg, struct sd_msg_conn *c)
{
	(void)arg;
	return sd_serve_dispatch_loop("submit.sock", routes,
	    sizeof(routes) / sizeof(routes[0]), c);
}

/* A uid on the submit socket's list, or a submitter of some project. */
static unsigned
roles(void *arg, uid_t uid, char *why, size_t len)
{
	struct validator *v = arg;
	const struct sd_policy *pol = v->o->pol;
	size_t i;

	if (sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SUBMIT, uid,
	    NULL) == 0)
		return ROLE_SUBMITTER;
	for (i = 0; i < sd_policy_project_count(pol); i++)
		if (sd_policy_project_has_submitter(sd_policy_project_at(pol,
		    i), uid))
			return ROLE_SUBMITTER;
	(void)snprintf(why, len, "uid %lu is not a submitter of any project "
	    "(the policy's submitters) and may not connect to submit.sock",
	    (unsigned long)uid);
	return 0;
}

int
sd_validator_run(const struct sd_validator_opts *o, struct sd_error *err)
{
	struct validator v;
	struct sd_serve s;
	int r, n;

	memset(&v, 0, sizeof(v));
	v.o = o;
	n = snprintf(v.spool, sizeof(v.spool), "%s/spool", o->state_dir);
	if (n <= 0 || (size_t)n >= sizeof(v.spool))
		return sd_error_set(err, SD_ERR_INVALID, o->state_dir,
		    "too long");
	if ((r = sd_daemon_mkdir(v.spool, 0750, (uid_t)-1, (gid_t)-1,
	    err)) != 0)
		return r;
	memset(&s, 0, sizeof(s));
	s.prog = "stepdeploy-validator";
	s.sock_name = "submit.sock";
	s.lfd = o->lfd;
	s.max_children = 8;
	s.io_timeout_ms = 60000;
	s.arg = &v;
	s.roles_fn = roles;
	s.conn_fn = conn;
	return sd_serve_run(&s, err);
}
