/*
 * daemon.c: stepdeploy-uploader's service (see sd_uploader.h): the
 * queue, the scheduler and its workers, and deploy.sock's messages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sd_buf.h"
#include "sd_audit.h"
#include "sd_check.h"
#include "sd_daemon.h"
#include "sd_journal.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_log.h"
#include "sd_msg.h"
#include "sd_run.h"
#include "sd_serve.h"
#include "sd_uploader.h"

#define ROLE_VALIDATOR	0x1
#define ROLE_SUBMITTER	0x2
#define NAME_MAX_LEN	160
#define DIR_LEN		4000	/* the state directory's subdirectories */
#define PATH_LEN	4400
#define RELEASE_MAX	((size_t)16 << 20)
#define STATUS_MAX	((size_t)1 << 20)
#define DETAIL_MAX	2000
#define STATUS_LIST_MAX	100
#define MAX_PARALLEL	64

struct worker {
	pid_t	pid;
	char	key[200];	/* project/config */
	char	run[NAME_MAX_LEN];
	char	entry[NAME_MAX_LEN];
};

struct uploader {
	const struct sd_uploader_opts	*o;
	struct sd_serve			*serve;
	char				 queue[DIR_LEN];
	char				 runs[DIR_LEN];
	char				 journals[DIR_LEN];
	struct worker			 w[MAX_PARALLEL];
	unsigned			 nw, maxw;
};

/* ------------------------------------------------------------ files */

static int
valid_name(const char *s)
{
	size_t n = 0;

	if (s == NULL || s[0] == '.' || s[0] == '\0')
		return 0;
	for (; *s != '\0'; s++, n++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' ||
		    *s == '-') || n >= NAME_MAX_LEN - 1)
			return 0;
	return 1;
}

static int
valid_hex64(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' &&
		    s[i] <= 'f')))
			return 0;
	return 1;
}

static json_t *
read_json(const char *path, size_t max, struct sd_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *v;

	if (sd_read_file(path, max, &buf, &len, err) != 0)
		return NULL;
	v = sd_json_loadb(buf, len, JSON_REJECT_DUPLICATES, path, err);
	free(buf);
	return v;
}

/* path, replaced atomically by obj (fsynced when sync). */
static int
write_json(const char *path, json_t *obj, int sync, struct sd_error *err)
{
	char tmp[PATH_LEN + 32], *s = NULL;
	int fd = -1, r = 0;

	if ((s = sd_json_dumps(obj, SD_JSON_SORT_KEYS)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	(void)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, tmp, "open: %s",
		    strerror(errno));
		goto out;
	}
	if ((r = sd_write_all(fd, s, strlen(s), err)) != 0)
		goto out;
	if (sync && fsync(fd) == -1) {
		r = sd_error_set(err, SD_ERR_IO, tmp, "fsync: %s",
		    strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		r = sd_error_set(err, SD_ERR_IO, tmp, "close: %s",
		    strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		r = sd_error_set(err, SD_ERR_IO, path, "rename: %s",
		    strerror(errno));
 out:
	if (fd != -1)
		(void)close(fd);
	if (r != 0)
		(void)unlink(tmp);
	free(s);
	return r;
}

/* Copy src to dst (new, O_EXCL), at most max bytes, hashing it. */
static int
copy_hash(const char *src, const char *dst, uint64_t max, char hex[65],
    struct sd_error *err)
{
	static const char x[] = "0123456789abcdef";
	unsigned char buf[65536], d[32];
	unsigned int dl = 0, i;
	EVP_MD_CTX *md = NULL;
	uint64_t total = 0;
	int in = -1, out = -1, r = 0;
	ssize_t n;

	if ((in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return sd_error_set(err, SD_ERR_NOTFOUND, src, "open: %s",
		    strerror(errno));
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, dst, "open: %s",
		    strerror(errno));
		goto done;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto done;
	}
	for (;;) {
		if ((n = read(in, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			r = sd_error_set(err, SD_ERR_IO, src, "read: %s",
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			r = sd_error_set(err, SD_ERR_LIMIT, src, "over %llu "
			    "bytes", (unsigned long long)max);
			goto done;
		}
		if (EVP_DigestUpdate(md, buf, (size_t)n) != 1) {
			r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "sha256");
			goto done;
		}
		if ((r = sd_write_all(out, buf, (size_t)n, err)) != 0)
			goto done;
	}
	if (EVP_DigestFinal_ex(md, d, &dl) != 1 || dl != 32) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "sha256");
		goto done;
	}
	for (i = 0; i < 32; i++) {
		hex[2 * i] = x[d[i] >> 4];
		hex[2 * i + 1] = x[d[i] & 15];
	}
	hex[64] = '\0';
	/* (synced by the caller, with the run's other files) */
 done:
	EVP_MD_CTX_free(md);
	if (in != -1)
		(void)close(in);
	if (out != -1 && close(out) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, dst, "close: %s",
		    strerror(errno));
	return r;
}

/* What on_deploy copies from the spool into a run. */
static const char *const run_copies[] = { "release.json", "lambda.zip",
    NULL };

static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
run_path(struct uploader *u, const char *run, const char *file, char *buf,
    size_t len)
{
	(void)snprintf(buf, len, "%s/%s%s%s", u->runs, run, file != NULL ?
	    "/" : "", file != NULL ? file : "");
}

static json_t *
status_read(struct uploader *u, const char *run)
{
	struct sd_error err = SD_ERROR_INIT;
	char path[PATH_LEN];
	json_t *st;

	run_path(u, run, "status.json", path, sizeof(path));
	st = read_json(path, STATUS_MAX, &err);
	sd_error_clear(&err);
	return st;
}

/* Update run's status.json with the members of upd (stolen). */
static void
status_update(struct uploader *u, const char *run, json_t *upd, int sync)
{
	struct sd_error err = SD_ERROR_INIT;
	char path[PATH_LEN];
	json_t *st;

	if (upd == NULL)
		return;
	if ((st = status_read(u, run)) == NULL)
		st = json_object();
	if (st != NULL && json_object_update(st, upd) == 0) {
		run_path(u, run, "status.json", path, sizeof(path));
		if (write_json(path, st, sync, &err) != 0)
			sd_warn("%s: %s", run, sd_error_text(&err));
	}
	json_decref(st);
	json_decref(upd);
	sd_error_clear(&err);
}

/* The queue's entries, oldest first (new array of names), or NULL. */
static json_t *
queue_list(struct uploader *u)
{
	struct dirent **names = NULL;
	json_t *list = json_array();
	int i, n;

	if (list == NULL || (n = scandir(u->queue, &names, NULL,
	    alphasort)) < 0) {
		json_decref(list);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		size_t l = strlen(names[i]->d_name);

		if (names[i]->d_name[0] != '.' && l > 5 &&
		    strcmp(names[i]->d_name + l - 5, ".json") == 0)
			(void)json_array_append_new(list,
			    json_string(names[i]->d_name));
		free(names[i]);
	}
	free(names);
	return list;
}

static json_t *
queue_entry(struct uploader *u, const char *name)
{
	struct sd_error err = SD_ERROR_INIT;
	char path[PATH_LEN];
	json_t *e;

	(void)snprintf(path, sizeof(path), "%s/%s", u->queue, name);
	e = read_json(path, 65536, &err);
	sd_error_clear(&err);
	return e;
}

static void
queue_remove(struct uploader *u, const char *name)
{
	char path[PATH_LEN];

	(void)snprintf(path, sizeof(path), "%s/%s", u->queue, name);
	if (unlink(path) == -1 && errno != ENOENT)
		sd_warn("%s: %s", path, strerror(errno));
}

/* ------------------------------------------------------------ the worker */

struct wctx {
	struct uploader	*u;
	const char	*run;
	const char	*rid;		/* the release's id */
	int		 progress_fd;
};

/* The words the submitter sees for a step of the flow. */
static const char *
step_word(const char *state, const char *phase)
{
	static const struct { const char *state, *word; } words[] = {
		{ "Validate", "checked again" },
		{ "Lock", "locked" },
		{ "ValidateResources", "resources checked" },
		{ "Upload", "uploaded" },
		{ "Snapshot", "snapshot taken" },
		{ "UpdateLambda", "Lambda updated" },
		{ "PublishVersion", "version published" },
		{ "UpdateStateMachine", "state machine updated" },
		{ "Verify", "verified" },
		{ "Record", "recorded" },
		{ "ReleaseLock", "lock released" },
		{ "Rollback", "rolled back" },
	};
	size_t i;

	if (strcmp(phase, "done") != 0)
		return NULL;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i].state, state) == 0)
			return words[i].word;
	return NULL;
}

static void
worker_step(void *arg, const char *state, const char *phase,
    const char *detail)
{
	struct wctx *w = arg;
	const char *word = step_word(state, phase);
	json_t *line;
	char *s;
	size_t n;

	line = json_pack("{s:s, s:s, s:s, s:s%, s:I}", "step", word != NULL ?
	    word : state, "state", state, "phase", phase, "detail",
	    detail != NULL ? detail : "", detail != NULL ? (strlen(detail) >
	    DETAIL_MAX ? (size_t)DETAIL_MAX : strlen(detail)) : (size_t)0,
	    "t", (json_int_t)now_ms());
	if (line == NULL || (s = sd_json_dumps(line, 0)) == NULL) {
		json_decref(line);
		return;
	}
	n = strlen(s);
	s[n] = '\n';
	if (write(w->progress_fd, s, n + 1) != (ssize_t)(n + 1))
		sd_warn("%s: progress: %s", w->run, strerror(errno));
	free(s);
	json_decref(line);
	if (strcmp(phase, "intent") == 0)
		status_update(w->u, w->run, json_pack("{s:s}", "step", state),
		    0);
	/* Every step of the flow, its intent before its AWS calls and its
	 * outcome after (synced: an AWS write may have happened). */
	(void)sd_audit("deploy.step", phase, SD_AUDIT_NO_UID, w->rid,
	    json_pack("{s:s, s:s%}", "step", state, "detail", detail != NULL ?
	    detail : "", detail != NULL ? (strlen(detail) > DETAIL_MAX ?
	    (size_t)DETAIL_MAX : strlen(detail)) : (size_t)0),
	    strcmp(phase, "intent") != 0);
}

static void
worker_recovered(void *arg, const struct sd_recover_outcome *o)
{
	struct wctx *w = arg;

	sd_info("%s: recovered %s: %s %s", w->run, o->release_id, o->outcome,
	    o->detail);
}

/* The last line of run's progress.log: its followers stop there. */
static void
mark_end(struct uploader *u, const char *run)
{
	static const char line[] = "{\"end\": true}\n";
	char path[PATH_LEN];
	int fd;

	run_path(u, run, "progress.log", path, sizeof(path));
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640)) == -1 || write(fd, line, sizeof(line) - 1) !=
	    (ssize_t)(sizeof(line) - 1))
		sd_warn("%s: %s", path, strerror(errno));
	if (fd != -1)
		(void)close(fd);
}

static void
worker_result(struct uploader *u, const char *run, const char *rid,
    const char *status, const char *error, const char *cause,
    const char *version)
{
	(void)sd_audit("deploy.finished", status, SD_AUDIT_NO_UID, rid,
	    json_pack("{s:s, s:s?, s:s?, s:s?}", "run", run, "error",
	    error != NULL && error[0] != '\0' ? error : NULL, "cause", cause,
	    "lambda_version", version != NULL && version[0] != '\0' ?
	    version : NULL), 1);
	status_update(u, run, json_pack("{s:s, s:I, s:{s:s, s:s?, s:s?, "
	    "s:s?}}", "state", "done", "ended_at", (json_int_t)now_ms(),
	    "result", "status", status, "error", error != NULL &&
	    error[0] != '\0' ? error : NULL, "cause", cause,
	    "lambda_version", version != NULL && version[0] != '\0' ?
	    version : NULL), 1);
	mark_end(u, run);
}

/* The worker process: deploy run, then exit. */
static void
worker_main(struct uploader *u, const char *run, const char *entry)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_aws_signer *signer = NULL;
	struct sd_aws *aws = NULL;
	struct sd_run_result res;
	struct sd_run_opts ro;
	struct wctx w;
	json_t *rel = NULL;
	char path[PATH_LEN], zip[PATH_LEN], *buf = NULL;
	size_t len = 0;
	int rc;

	sd_serve_child_init(u->serve);
	w.u = u;
	w.run = run;
	w.rid = NULL;
	run_path(u, run, "progress.log", path, sizeof(path));
	w.progress_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640);
	status_update(u, run, json_pack("{s:s, s:I, s:I}", "state", "running",
	    "started_at", (json_int_t)now_ms(), "pid", (json_int_t)getpid()),
	    1);
	run_path(u, run, "release.json", path, sizeof(path));
	run_path(u, run, "lambda.zip", zip, sizeof(zip));
	if (w.progress_fd == -1 ||
	    sd_read_file(path, RELEASE_MAX, &buf, &len, &err) != 0 ||
	    (rel = sd_json_loadb(buf, len, JSON_REJECT_DUPLICATES,
	    "release.json", &err)) == NULL ||
	    (w.rid = json_string_value(json_object_get(rel, "release_id")),
	    sd_audit("deploy.started", "ok", SD_AUDIT_NO_UID, w.rid,
	    json_pack("{s:s}", "run", run), 1), 0) ||
	    sd_run_open_aws(u->o->pol, u->o->signer_socket, u->o->ca_bundle,
	    json_string_value(json_object_get(rel, "aws_region")), &signer,
	    &aws, &err) != 0) {
		worker_result(u, run, w.rid, "Failed", "Service.Unavailable",
		    sd_error_text(&err), NULL);
		goto out;
	}
	memset(&ro, 0, sizeof(ro));
	ro.aws = aws;
	ro.policy = u->o->pol;
	ro.journal_dir = u->journals;
	ro.on_step = worker_step;
	ro.on_recover = worker_recovered;
	ro.arg = &w;
#ifdef SD_TESTING
	ro.crash_at = getenv("STEPDEPLOY_TEST_CRASH");
#endif
	rc = sd_deploy_run(&ro, rel, buf, len, zip, &res);
	sd_info("%s: %s%s%s", run, res.status, rc != 0 ? ": " : "",
	    rc != 0 ? res.error : "");
	worker_result(u, run, w.rid, res.status, res.error, res.cause,
	    res.version);
	sd_run_result_clear(&res);
 out:
	queue_remove(u, entry);
	sd_aws_free(aws);
	sd_aws_signer_free(signer);
	json_decref(rel);
	free(buf);
	sd_error_clear(&err);
	_exit(0);
}

/* ------------------------------------------------------------ scheduler */

static int
key_busy(struct uploader *u, const char *key)
{
	unsigned i;

	for (i = 0; i < u->nw; i++)
		if (strcmp(u->w[i].key, key) == 0)
			return 1;
	return 0;
}

static void
tick(void *arg)
{
	struct uploader *u = arg;
	json_t *list, *e, *v;
	const char *name, *run, *key;
	size_t i;
	pid_t pid;

	if (sd_serve_stopping() || (list = queue_list(u)) == NULL)
		return;
	json_array_foreach(list, i, v) {
		if (u->nw >= u->maxw)
			break;
		name = json_string_value(v);
		if ((e = queue_entry(u, name)) == NULL)
			continue;
		run = json_string_value(json_object_get(e, "run"));
		key = json_string_value(json_object_get(e, "key"));
		if (run == NULL || key == NULL || !valid_name(run)) {
			sd_warn("queue entry %s is malformed: removed", name);
			queue_remove(u, name);
		} else if (!key_busy(u, key)) {
			struct worker *w = &u->w[u->nw];

			(void)snprintf(w->key, sizeof(w->key), "%s", key);
			(void)snprintf(w->run, sizeof(w->run), "%s", run);
			(void)snprintf(w->entry, sizeof(w->entry), "%s", name);
			if ((pid = fork()) == -1)
				sd_error("fork: %s", strerror(errno));
			else if (pid == 0)
				worker_main(u, w->run, w->entry);
			else {
				w->pid = pid;
				u->nw++;
				sd_info("%s: deploying (%s)", run, key);
			}
		}
		json_decref(e);
	}
	json_decref(list);
}

static void
reaped(void *arg, pid_t pid, int st)
{
	struct uploader *u = arg;
	unsigned i;

	for (i = 0; i < u->nw; i++) {
		if (u->w[i].pid != pid)
			continue;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			char cause[128];

			(void)snprintf(cause, sizeof(cause), "the deploy's "
			    "worker died (%s %d); the next deploy recovers its "
			    "journal", WIFSIGNALED(st) ? "signal" : "exit",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			sd_error("%s: %s", u->w[i].run, cause);
			worker_result(u, u->w[i].run, NULL, "Failed",
			    "Service.WorkerDied", cause, NULL);
			queue_remove(u, u->w[i].entry);
		}
		u->w[i] = u->w[--u->nw];
		return;
	}
}

/* ------------------------------------------------------------ messages */

/* Send the lines of progress.log from *off on; 0, 1 at its end marker
 * (not sent), or -1 when the peer has gone. */
static int
relay(struct sd_msg_conn *c, const char *path, off_t *off)
{
	struct sd_error err = SD_ERROR_INIT;
	char buf[16384], *p, *nl;
	ssize_t n;
	json_t *line;
	int fd, r = 0;

	struct stat sb;

	if (stat(path, &sb) == -1 || sb.st_size <= *off)
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while (r == 0 && (n = pread(fd, buf, sizeof(buf) - 1, *off)) > 0) {
		buf[n] = '\0';
		for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			*nl = '\0';
			line = sd_json_loadb(p, (size_t)(nl - p), 0, "progress",
			    &err);
			sd_error_clear(&err);
			if (json_is_true(json_object_get(line, "end"))) {
				json_decref(line);
				r = 1;
				break;
			}
			if (line != NULL && sd_msg_write_json(c->fd,
			    SD_MSG_PROGRESS, line, &err) != 0)
				r = -1;
			json_decref(line);
			sd_error_clear(&err);
		}
		if (p == buf)
			break;		/* a line longer than buf: stop */
		*off += p - buf;
		if (r != 0)
			break;
	}
	(void)close(fd);
	return r;
}

static int
follow(struct uploader *u, struct sd_msg_conn *c, const char *run,
    struct sd_error *err)
{
	char path[PATH_LEN];
	const char *state;
	json_t *st = NULL, *res;
	off_t off = 0;
	unsigned n;
	int r;

	run_path(u, run, "progress.log", path, sizeof(path));
	for (n = 0;; n++) {
		if ((r = relay(c, path, &off)) < 0) {
			sd_info("%s: the validator left; the deploy goes on",
			    run);
			return 1;
		}
		if (r == 1)
			break;
		/* The end marker is the worker's last word; the status is
		 * read now and then in case a worker died without it. */
		if (n % 1000 == 999) {
			json_decref(st);
			st = status_read(u, run);
			state = json_string_value(json_object_get(st, "state"));
			if (state != NULL && strcmp(state, "done") == 0)
				break;
		}
		sleep_ms(1);
	}
	json_decref(st);
	st = status_read(u, run);
	res = json_deep_copy(json_object_get(st, "result"));
	if (res == NULL)
		res = json_pack("{s:s}", "status", "Failed");
	(void)json_object_set(res, "release_id", json_object_get(st,
	    "release_id"));
	r = sd_msg_write_json(c->fd, SD_MSG_DEPLOY_RESULT, res, err);
	json_decref(res);
	json_decref(st);
	return r == 0 ? 1 : r;
}

static void
remove_run(struct uploader *u, const char *run)
{
	static const char *const files[] = { "release.json", "lambda.zip",
	    "status.json", "progress.log", NULL };
	char path[PATH_LEN];
	size_t i;

	for (i = 0; files[i] != NULL; i++) {
		run_path(u, run, files[i], path, sizeof(path));
		(void)unlink(path);
	}
	run_path(u, run, NULL, path, sizeof(path));
	(void)rmdir(path);
}

static int
refuse(struct sd_msg_conn *c, const char *rid, const char *what,
    struct sd_error *err)
{
	sd_warn("uid %lu: release %s refused: %s", (unsigned long)c->uid,
	    rid != NULL ? rid : "?", what);
	(void)sd_audit("deploy.refused", "refused", (int64_t)c->uid, rid,
	    json_pack("{s:s}", "why", what), 1);
	if (sd_msg_write_error(c->fd, SD_ERR_INVALID, what, err) != 0)
		return err->code;
	return 1;
}

int
sd_uploader_parse_deploy(const json_t *msg, struct sd_deploy_req *q,
    struct sd_error *err)
{
	json_int_t submitter = -1;
	json_error_t je;
	int wait = 1;

	memset(q, 0, sizeof(*q));
	if (json_unpack_ex((json_t *)msg, &je, JSON_STRICT, "{s:s, s:s, s:s, "
	    "s:s, s:I, s?b}", "spool", &q->spool, "release_id", &q->release_id,
	    "release_sha256", &q->release_sha256, "zip_sha256",
	    &q->zip_sha256, "submitter", &submitter, "wait", &wait) != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "DEPLOY: %s",
		    je.text);
	if (!valid_name(q->spool) || !sd_lock_valid_release_id(q->release_id) ||
	    !valid_hex64(q->release_sha256) || !valid_hex64(q->zip_sha256) ||
	    submitter < 0 || submitter > (json_int_t)UINT32_MAX - 1)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "DEPLOY: a "
		    "malformed field");
	q->submitter = (uid_t)submitter;
	q->wait = wait;
	return 0;
}

int
sd_uploader_parse_release_id(const json_t *msg, int required,
    const char **rid, struct sd_error *err)
{
	json_error_t je;

	*rid = NULL;
	if (json_unpack_ex((json_t *)msg, &je, JSON_STRICT, required ?
	    "{s:s}" : "{s?s}", "release_id", rid) != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s", je.text);
	if ((required || *rid != NULL) && !sd_lock_valid_release_id(*rid))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "not a release "
		    "id");
	return 0;
}

static int
on_deploy(struct sd_msg_conn *c, json_t *msg, struct sd_error *err)
{
	struct uploader *u = c->arg;
	const char *spool, *rid, *rsha, *zsha, *project, *config;
	char src[PATH_LEN], dst[PATH_LEN], got[65], key[200], entry[64];
	char what[600], *buf = NULL;
	struct sd_deploy_req q;
	json_t *rel = NULL, *diags = NULL, *e = NULL, *list = NULL, *v;
	size_t len = 0, i, ahead = 0;
	uid_t sub;
	int wait, r = SD_ERR_NOMEM, made = 0;

	if ((r = sd_uploader_parse_deploy(msg, &q, err)) != 0)
		return r;
	r = SD_ERR_NOMEM;
	spool = q.spool;
	rid = q.release_id;
	rsha = q.release_sha256;
	zsha = q.zip_sha256;
	sub = q.submitter;
	wait = q.wait;
	/* Our own copy, hashed as it is made: what was validated, or
	 * nothing. */
	run_path(u, spool, NULL, dst, sizeof(dst));
	if (mkdir(dst, 0750) == -1) {
		(void)snprintf(what, sizeof(what), "spooled release %s: %s",
		    spool, errno == EEXIST ? "taken already" : strerror(errno));
		return refuse(c, rid, what, err);
	}
	made = 1;
	(void)snprintf(src, sizeof(src), "%s/%s/release.json", u->o->spool_dir,
	    spool);
	run_path(u, spool, "release.json", dst, sizeof(dst));
	if (copy_hash(src, dst, RELEASE_MAX, got, err) != 0) {
		(void)snprintf(what, sizeof(what), "the spooled release: %s",
		    sd_error_text(err));
		sd_error_clear(err);
		r = refuse(c, rid, what, err);
		goto out;
	}
	if (strcmp(got, rsha) != 0) {
		(void)snprintf(what, sizeof(what), "the spooled release.json "
		    "changed after validation (SHA-256 %s, validated %s)", got,
		    rsha);
		r = refuse(c, rid, what, err);
		goto out;
	}
	(void)snprintf(src, sizeof(src), "%s/%s/lambda.zip", u->o->spool_dir,
	    spool);
	run_path(u, spool, "lambda.zip", dst, sizeof(dst));
	if (copy_hash(src, dst, (uint64_t)1 << 40, got, err) != 0) {
		(void)snprintf(what, sizeof(what), "the spooled zip: %s",
		    sd_error_text(err));
		sd_error_clear(err);
		r = refuse(c, rid, what, err);
		goto out;
	}
	if (strcmp(got, zsha) != 0) {
		(void)snprintf(what, sizeof(what), "the spooled lambda.zip "
		    "changed after validation (SHA-256 %s, validated %s)", got,
		    zsha);
		r = refuse(c, rid, what, err);
		goto out;
	}
	/* The policy, again, with the submitter's uid. */
	run_path(u, spool, "release.json", dst, sizeof(dst));
	if ((diags = json_array()) == NULL ||
	    sd_read_file(dst, RELEASE_MAX, &buf, &len, err) != 0 ||
	    sd_check_release(buf, len, "release.json", u->o->pol, &sub, diags,
	    &rel, err) != 0) {
		r = err->code != 0 ? err->code : SD_ERR_NOMEM;
		goto out;
	}
	json_array_foreach(diags, i, v) {
		if (strcmp(json_string_value(json_object_get(v, "severity")),
		    "WARNING") == 0)
			continue;
		(void)snprintf(what, sizeof(what), "%s: %s", json_string_value(
		    json_object_get(v, "location")), json_string_value(
		    json_object_get(v, "message")));
		r = refuse(c, rid, what, err);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(rel, "release_id")),
	    rid) != 0) {
		r = refuse(c, rid, "the release's id is not the one named",
		    err);
		goto out;
	}
	project = json_string_value(json_object_get(rel, "project_name"));
	config = json_string_value(json_object_get(rel, "config_name"));
	(void)snprintf(key, sizeof(key), "%s/%s", project, config);
	/* The copies durable (one commit for both) before they are queued. */
	run_path(u, spool, NULL, dst, sizeof(dst));
	if ((r = sd_sync_files(dst, run_copies, 0, err)) != 0)
		goto out;
	/* Queued: the entry's name orders the queue. */
	status_update(u, spool, json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, "
	    "s:I}", "release_id", rid, "run", spool, "project", project,
	    "config", config, "state", "queued", "queued_at",
	    (json_int_t)now_ms(), "submitter", (json_int_t)sub), 1);
	if ((list = queue_list(u)) != NULL)
		json_array_foreach(list, i, v) {
			json_t *qe = queue_entry(u, json_string_value(v));

			if (qe != NULL && json_is_string(json_object_get(qe,
			    "key")) && strcmp(json_string_value(
			    json_object_get(qe, "key")), key) == 0)
				ahead++;
			json_decref(qe);
		}
	(void)snprintf(entry, sizeof(entry), "%s/%020lld-%06ld.json",
	    "", (long long)now_ms() * 1000, (long)getpid() % 1000000);
	(void)snprintf(dst, sizeof(dst), "%s%s", u->queue, entry);
	if ((e = json_pack("{s:s, s:s, s:s}", "run", spool, "key", key,
	    "release_id", rid)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = write_json(dst, e, 1, err)) != 0)
		goto out;
	made = 0;
	(void)kill(getppid(), SIGUSR1);
	if (ahead == 0)
		(void)snprintf(what, sizeof(what), "next for %s", key);
	else
		(void)snprintf(what, sizeof(what), "behind %zu for %s", ahead,
		    key);
	(void)sd_audit("deploy.queued", "ok", (int64_t)sub, rid, json_pack(
	    "{s:s, s:s, s:s, s:s, s:I}", "run", spool, "key", key,
	    "release_sha256", rsha, "zip_sha256", zsha, "ahead",
	    (json_int_t)ahead), 1);
	sd_info("uid %lu: release %s (%s) queued, %s", (unsigned long)c->uid,
	    rid, spool, what);
	if (sd_msg_write_progress(c->fd, "queued", what, err) != 0) {
		r = 1;		/* the deploy goes on */
		goto out;
	}
	if (!wait) {
		json_decref(e);
		e = json_pack("{s:s, s:s, s:I}", "release_id", rid, "status",
		    "Queued", "position", (json_int_t)ahead);
		r = sd_msg_write_json(c->fd, SD_MSG_DEPLOY_RESULT, e, err);
		r = r == 0 ? 1 : r;
		goto out;
	}
	r = follow(u, c, spool, err);
 out:
	if (made)
		remove_run(u, spool);
	json_decref(list);
	json_decref(e);
	json_decref(rel);
	json_decref(diags);
	free(buf);
	return r;
}

/* May c see (or halt) the run whose status is st? */
static int
may_see(struct uploader *u, struct sd_msg_conn *c, json_t *st)
{
	const struct sd_policy_project *p;

	if (c->roles & ROLE_VALIDATOR)
		return 1;
	p = sd_policy_project(u->o->pol, json_string_value(json_object_get(st,
	    "project")));
	return p != NULL && sd_policy_project_has_submitter(p, c->uid);
}

/* The statuses c may see, oldest first; only rid's when not NULL. */
static json_t *
statuses(struct uploader *u, struct sd_msg_conn *c, const char *rid)
{
	struct dirent **names = NULL;
	json_t *list = json_array(), *st;
	int i, n;

	if (list == NULL || (n = scandir(u->runs, &names, NULL,
	    alphasort)) < 0) {
		json_decref(list);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.' &&
		    (st = status_read(u, names[i]->d_name)) != NULL) {
			if ((rid == NULL || (json_is_string(json_object_get(st,
			    "release_id")) && strcmp(json_string_value(
			    json_object_get(st, "release_id")), rid) == 0)) &&
			    may_see(u, c, st))
				(void)json_array_append(list, st);
			json_decref(st);
		}
		free(names[i]);
	}
	free(names);
	return list;
}

static int
by_queued(const void *a, const void *b)
{
	json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a,
	    "queued_at"));
	json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b,
	    "queued_at"));

	return x < y ? -1 : x > y;
}

static int
on_status(struct sd_msg_conn *c, json_t *msg, struct sd_error *err)
{
	struct uploader *u = c->arg;
	const char *rid = NULL;
	json_t *list, *out, *sorted, **items = NULL;
	size_t i, n, from;
	int r;

	if ((r = sd_uploader_parse_release_id(msg, 0, &rid, err)) != 0) {
		sd_error_prefix(err, "STATUS: ");
		return r;
	}
	if ((list = statuses(u, c, rid)) == NULL)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot read the "
		    "state directory");
	n = json_array_size(list);
	sorted = json_array();
	if (n > 0 && (items = calloc(n, sizeof(*items))) != NULL) {
		for (i = 0; i < n; i++)
			items[i] = json_array_get(list, i);
		qsort(items, n, sizeof(*items), by_queued);
		from = n > STATUS_LIST_MAX ? n - STATUS_LIST_MAX : 0;
		for (i = from; i < n; i++)
			(void)json_array_append(sorted, items[i]);
	}
	free(items);
	out = json_pack("{s:o}", "releases", sorted);
	r = sd_msg_write_json(c->fd, SD_MSG_STATUS_RESULT, out, err);
	json_decref(out);
	json_decref(list);
	return r == 0 ? 1 : r;
}

static int
on_halt(struct sd_msg_conn *c, json_t *msg, struct sd_error *err)
{
	struct uploader *u = c->arg;
	const char *rid = NULL, *state;
	json_t *list, *st, *out;
	size_t i;
	int r, existed, live = 0;

	if ((r = sd_uploader_parse_release_id(msg, 1, &rid, err)) != 0) {
		sd_error_prefix(err, "HALT: ");
		return r;
	}
	if ((list = statuses(u, c, rid)) == NULL)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot read the "
		    "state directory");
	json_array_foreach(list, i, st) {
		state = json_string_value(json_object_get(st, "state"));
		if (state != NULL && strcmp(state, "done") != 0)
			live = 1;
	}
	json_decref(list);
	if (!live) {
		r = sd_msg_write_error(c->fd, SD_ERR_NOTFOUND, "no queued or "
		    "running release of that id that you may halt", err);
		return r == 0 ? 1 : r;
	}
	/* The flow checks this file at each step (sd_deploy_ctx); one
	 * asked already is asked. */
	if ((r = sd_run_halt_request(u->journals, rid, "", &existed,
	    err)) != 0)
		return r;
	sd_info("uid %lu: halt of %s requested", (unsigned long)c->uid, rid);
	(void)sd_audit("halt", "requested", (int64_t)c->uid, rid, NULL, 1);
	out = json_pack("{s:s, s:s}", "release_id", rid, "halt", "requested");
	r = sd_msg_write_json(c->fd, SD_MSG_OK, out, err);
	json_decref(out);
	return r == 0 ? 1 : r;
}

static const struct sd_msg_route routes[] = {
	{ SD_MSG_DEPLOY, ROLE_VALIDATOR, SD_MSG_ROUTE_ONCE, on_deploy },
	{ SD_MSG_STATUS, ROLE_VALIDATOR | ROLE_SUBMITTER, SD_MSG_ROUTE_ONCE,
	    on_status },
	{ SD_MSG_HALT, ROLE_VALIDATOR | ROLE_SUBMITTER, SD_MSG_ROUTE_ONCE,
	    on_halt },
};

static int
conn(void *arg, struct sd_msg_conn *c)
{
	(void)arg;
	return sd_serve_dispatch_loop("deploy.sock", routes,
	    sizeof(routes) / sizeof(routes[0]), c);
}

static unsigned
roles(void *arg, uid_t uid, char *why, size_t len)
{
	struct uploader *u = arg;
	const struct sd_policy *pol = u->o->pol;
	unsigned r = 0;
	size_t i;

	if (sd_policy_peer_allowed(pol, SD_POLICY_SOCK_DEPLOY, uid, NULL) == 0)
		r |= ROLE_VALIDATOR;
	for (i = 0; i < sd_policy_project_count(pol); i++)
		if (sd_policy_project_has_submitter(sd_policy_project_at(pol,
		    i), uid))
			r |= ROLE_SUBMITTER;
	if (r == 0)
		(void)snprintf(why, len, "uid %lu may not connect to "
		    "deploy.sock (neither the validator nor a submitter)",
		    (unsigned long)uid);
	return r;
}

/* ------------------------------------------------------------ start */

struct outcomes {
	json_t	*by_rid;
};

static void
collect(void *arg, const struct sd_recover_outcome *o)
{
	struct outcomes *oc = arg;

	sd_info("recover %s: %s%s%s", o->release_id, o->outcome,
	    o->detail[0] != '\0' ? ": " : "", o->detail);
	(void)sd_audit("recovery", o->outcome, SD_AUDIT_NO_UID,
	    o->release_id[0] != '\0' ? o->release_id : NULL, json_pack(
	    "{s:s}", "detail", o->detail), 1);
	if (o->release_id[0] != '\0')
		(void)json_object_set_new(oc->by_rid, o->release_id,
		    json_pack("{s:s, s:s}", "outcome", o->outcome, "detail",
		    o->detail));
}

static void
no_step(void *arg, const char *state, const char *phase, const char *detail)
{
	(void)arg;
	sd_debug("recovery: %s %s %s", state, phase, detail != NULL ? detail :
	    "");
}

/*
 * Before any work: recover every in-flight journal, then end the runs an
 * earlier uploader left "running" with what their journal says.
 */
static int
recover_at_start(struct uploader *u, struct sd_error *err)
{
	struct sd_journal_state js = SD_JOURNAL_STATE_INIT;
	struct outcomes oc;
	struct sd_run_opts ro;
	json_t *regions = NULL, *list = NULL, *v, *e, *st, *end;
	const char *run, *state, *rid, *status;
	char jpath[PATH_LEN];
	size_t i;
	int failed = 0, r = 0;

	if ((oc.by_rid = json_object()) == NULL ||
	    (regions = sd_run_journal_regions(u->journals, err)) == NULL) {
		json_decref(oc.by_rid);
		return err->code != 0 ? err->code : SD_ERR_NOMEM;
	}
	json_array_foreach(regions, i, v) {
		struct sd_aws_signer *sg = NULL;
		struct sd_aws *aws = NULL;

		if ((r = sd_run_open_aws(u->o->pol, u->o->signer_socket,
		    u->o->ca_bundle, json_string_value(v), &sg, &aws,
		    err)) == 0) {
			memset(&ro, 0, sizeof(ro));
			ro.aws = aws;
			ro.policy = u->o->pol;
			ro.journal_dir = u->journals;
			ro.on_step = no_step;
			ro.on_recover = collect;
			ro.arg = &oc;
			r = sd_run_recover_all(&ro, NULL, &failed, err);
		}
		sd_aws_free(aws);
		sd_aws_signer_free(sg);
		if (r != 0)
			goto out;
	}
	if (failed > 0)
		sd_warn("%d release(s) are still in flight after recovery "
		    "(see above); the next deploy tries again", failed);
	if ((list = queue_list(u)) == NULL)
		goto out;
	json_array_foreach(list, i, v) {
		if ((e = queue_entry(u, json_string_value(v))) == NULL)
			continue;
		run = json_string_value(json_object_get(e, "run"));
		st = run != NULL && valid_name(run) ? status_read(u, run) : NULL;
		state = json_string_value(json_object_get(st, "state"));
		if (run != NULL && state != NULL && strcmp(state, "queued") != 0) {
			/* It was running when the uploader stopped. */
			rid = json_string_value(json_object_get(st,
			    "release_id"));
			(void)snprintf(jpath, sizeof(jpath), "%s/%s.journal",
			    u->journals, rid != NULL ? rid : "?");
			end = NULL;
			if (rid != NULL && sd_journal_replay(jpath, &js,
			    err) == 0)
				end = json_object_get(js.dones,
				    SD_DEPLOY_END_STEP);
			sd_error_clear(err);
			status = json_string_value(json_object_get(end,
			    "status"));
			worker_result(u, run, rid, status != NULL ? status :
			    "Failed", status != NULL ? json_string_value(
			    json_object_get(end, "error")) :
			    "Service.Interrupted", status != NULL ?
			    json_string_value(json_object_get(end, "cause")) :
			    "the uploader stopped during the deploy; its "
			    "journal is still in flight", NULL);
			sd_info("%s: interrupted by a restart, ended %s", run,
			    status != NULL ? status : "in flight");
			sd_journal_state_clear(&js);
			queue_remove(u, json_string_value(v));
		}
		json_decref(st);
		json_decref(e);
	}
 out:
	json_decref(list);
	json_decref(regions);
	json_decref(oc.by_rid);
	return r;
}

int
sd_uploader_run(const struct sd_uploader_opts *o, struct sd_error *err)
{
	struct uploader u;
	struct sd_serve s;
	int r;

	memset(&u, 0, sizeof(u));
	u.o = o;
	if (strlen(o->state_dir) > DIR_LEN - 16)
		return sd_error_set(err, SD_ERR_INVALID, o->state_dir,
		    "the state directory's path is too long");
	u.maxw = o->max_parallel > 0 ? o->max_parallel : 4;
	if (u.maxw > MAX_PARALLEL)
		u.maxw = MAX_PARALLEL;
	(void)snprintf(u.queue, sizeof(u.queue), "%s/queue", o->state_dir);
	(void)snprintf(u.runs, sizeof(u.runs), "%s/runs", o->state_dir);
	(void)snprintf(u.journals, sizeof(u.journals), "%s/journals",
	    o->state_dir);
	if ((r = sd_daemon_mkdir(u.queue, 0750, (uid_t)-1, (gid_t)-1,
	    err)) != 0 || (r = sd_daemon_mkdir(u.runs, 0750, (uid_t)-1,
	    (gid_t)-1, err)) != 0 || (r = sd_daemon_mkdir(u.journals, 0700,
	    (uid_t)-1, (gid_t)-1, err)) != 0)
		return r;
	if ((r = recover_at_start(&u, err)) != 0) {
		sd_error_prefix(err, "recovery at start: ");
		return r;
	}
	memset(&s, 0, sizeof(s));
	s.prog = "stepdeploy-uploader";
	s.sock_name = "deploy.sock";
	s.lfd = o->lfd;
	s.max_children = 32;
	s.io_timeout_ms = 60000;
	s.tick_ms = 1000;
	s.arg = &u;
	s.roles_fn = roles;
	s.conn_fn = conn;
	s.tick_fn = tick;
	s.reap_fn = reaped;
	u.serve = &s;
	return sd_serve_run(&s, err);
}
