/*
 * run.c: one deploy from start to end (see sd_run.h), shared by
 * `stepdeploy deploy` and the uploader daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_buf.h"
#include "sd_journal.h"
#include "sd_lock.h"
#include "sd_run.h"
#include "step.h"

int
sd_run_open_aws(const struct sd_policy *pol, const char *signer_path,
    const char *ca_bundle, const char *region, struct sd_aws_signer **signer,
    struct sd_aws **aws, struct sd_error *err)
{
	const struct sd_policy_aws *pa;
	struct sd_aws_config cfg;
	int r;

	*signer = NULL;
	*aws = NULL;
	if (signer_path == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "no signer socket");
	if (region == NULL || !sd_policy_valid_region(region))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "no valid AWS region");
	if ((r = sd_aws_signer_socket(signer_path, signer, err)) != 0)
		return r;
	sd_aws_config_init(&cfg);
	pa = sd_policy_aws(pol);
	if (pa->connect_timeout_ms > 0)
		cfg.connect_timeout_ms = (long)pa->connect_timeout_ms;
	if (pa->request_timeout_ms > 0)
		cfg.request_timeout_ms = (long)pa->request_timeout_ms;
	if (pa->attempts > 0)
		cfg.retry.max_attempts = (unsigned)pa->attempts;
	if (pa->backoff_base_ms > 0)
		cfg.retry.base_ms = (uint32_t)pa->backoff_base_ms;
	if (pa->backoff_max_ms > 0)
		cfg.retry.max_ms = (uint32_t)pa->backoff_max_ms;
	if (pa->poll_interval_ms > 0)
		cfg.poll_interval_ms = (long)pa->poll_interval_ms;
	if (pa->poll_timeout_ms > 0)
		cfg.poll_timeout_ms = (long)pa->poll_timeout_ms;
	cfg.region = region;
	cfg.policy = pol;
	cfg.ca_file = ca_bundle;
	cfg.sign = sd_aws_signer_sign;
	cfg.sign_ctx = *signer;
	if ((r = sd_aws_new(&cfg, aws, err)) != 0) {
		sd_aws_signer_free(*signer);
		*signer = NULL;
	}
	return r;
}

struct recovery_count {
	const struct sd_run_opts	*o;
	int				 failed;
};

static void
count_recovery(void *arg, const struct sd_recover_outcome *out)
{
	struct recovery_count *rc = arg;

	if (rc->o->on_recover != NULL)
		rc->o->on_recover(rc->o->arg, out);
	if (strcmp(out->outcome, "Failed") == 0)
		rc->failed++;
}

int
sd_run_recover_all(const struct sd_run_opts *o, const char *skip, int *failed,
    struct sd_error *err)
{
	struct recovery_count rc = { o, 0 };
	struct sd_recover_opts ro;
	int r;

	memset(&ro, 0, sizeof(ro));
	ro.aws = o->aws;
	ro.policy = o->policy;
	ro.journal_dir = o->journal_dir;
	ro.skip_release = skip;
	ro.on_step = o->on_step;
	ro.on_step_arg = o->arg;
	ro.crash_at = o->crash_at;
	r = sd_deploy_recover_dir(&ro, count_recovery, &rc, err);
	*failed += rc.failed;
	return r;
}

/* 1 when the execution entered state. */
static int
path_has(const struct step_result *res, const char *state)
{
	json_t *v;
	size_t i;

	json_array_foreach(step_result_path(res), i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v),
		    state) == 0)
			return 1;
	}
	return 0;
}

/*
 * An earlier attempt's journal at path: when it has ended, rename it to
 * the first free path.N; when it is in flight (its recovery failed, or a
 * live deploy holds it), refuse.
 */
static int
set_aside(const char *path, const char *rid, struct sd_error *err)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	char to[4300];
	int r, n;

	r = sd_journal_open_idle(path, &j, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	if (r == SD_ERR_INVALID) {
		sd_error_clear(err);
		return sd_error_set(err, SD_ERR_INVALID, NULL, "another "
		    "process is deploying release %s (it holds %s)", rid,
		    path);
	}
	if (r != 0)
		return r;
	if ((r = sd_journal_replay(path, &st, err)) != 0)
		goto out;
	if (st.entries > 0 && json_object_get(st.dones,
	    SD_DEPLOY_END_STEP) == NULL) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "an earlier "
		    "attempt at this release is still in flight (%s): "
		    "`stepdeploy recover` must end it first", path);
		goto out;
	}
	for (n = 1; n < 10000; n++) {
		(void)snprintf(to, sizeof(to), "%s.%d", path, n);
		if (access(to, F_OK) != 0)
			break;
	}
	if (rename(path, to) != 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot rename %s: %s",
		    path, strerror(errno));
out:
	sd_journal_state_clear(&st);
	sd_journal_free(j);
	return r;
}

static void
set_str(char *dst, size_t len, const char *s)
{
	(void)snprintf(dst, len, "%s", s != NULL ? s : "");
}

void
sd_run_result_clear(struct sd_run_result *res)
{
	free(res->cause);
	free(res->lock_left);
	res->cause = res->lock_left = NULL;
}

int
sd_deploy_run(const struct sd_run_opts *o, json_t *release, const char *buf,
    size_t len, const char *zip, struct sd_run_result *res)
{
	struct sd_error err = SD_ERROR_INIT, e2 = SD_ERROR_INIT;
	struct sd_journal *journal = NULL;
	struct step_machine *m = NULL;
	struct step_result *sr = NULL;
	struct sd_deploy_ctx ctx;
	json_t *input = NULL;
	char hpath[4200];
	const char *rid, *e, *cause, *lock_left;
	int rc = 1;

	memset(res, 0, sizeof(*res));
	memset(&ctx, 0, sizeof(ctx));
	set_str(res->status, sizeof(res->status), "Failed");
	rid = json_string_value(json_object_get(release, "release_id"));
	if (rid == NULL || !sd_lock_valid_release_id(rid)) {
		set_str(res->error, sizeof(res->error), "the release needs a "
		    "valid release_id");
		return 2;
	}
	if ((size_t)snprintf(res->journal, sizeof(res->journal),
	    "%s/%s.journal", o->journal_dir, rid) >= sizeof(res->journal) ||
	    (size_t)snprintf(hpath, sizeof(hpath), "%s/%s.halt",
	    o->journal_dir, rid) >= sizeof(hpath)) {
		set_str(res->error, sizeof(res->error), "the journal "
		    "directory's path is too long");
		return 2;
	}
	/* Releases an earlier uploader left in flight come first (this
	 * one's too: then the release's S3 claim refuses it below). */
	if (sd_run_recover_all(o, NULL, &res->recovery_failed, &err) != 0) {
		if (o->on_recover != NULL) {
			struct sd_recover_outcome ro;

			memset(&ro, 0, sizeof(ro));
			set_str(ro.outcome, sizeof(ro.outcome), "Failed");
			set_str(ro.detail, sizeof(ro.detail), sd_error_text(&err));
			o->on_recover(o->arg, &ro);
		}
		sd_error_clear(&err);
	}
	/* One journal per attempt: an earlier, ended one is set aside. */
	if (set_aside(res->journal, rid, &err) != 0)
		goto fail;
	if (sd_journal_create(res->journal, &journal, &err) != 0) {
		if (err.code == SD_ERR_INVALID) {
			sd_error_clear(&err);
			sd_error_set(&err, SD_ERR_INVALID, NULL, "another "
			    "process is deploying release %s (%s was just "
			    "created)", rid, res->journal);
		}
		goto fail;
	}
	if (step_machine_new(sd_deploy_definition(),
	    strlen(sd_deploy_definition()), NULL, &m, &err) != 0)
		goto fail;

	ctx.aws = o->aws;
	ctx.policy = o->policy;
	ctx.release = release;
	ctx.release_buf = buf;
	ctx.release_len = len;
	ctx.zip_path = zip;
	ctx.journal = journal;
	ctx.work_dir = o->journal_dir;
	ctx.on_step = o->on_step;
	ctx.on_step_arg = o->arg;
	ctx.halt_path = hpath;
	ctx.crash_at = o->crash_at;
	if (sd_deploy_register(m, &ctx) != 0) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	input = json_pack("{s:s}", "releaseId", rid);
	if (input == NULL || step_execute(m, input, NULL, &sr, &err) != 0)
		goto fail;
	e = step_result_error(sr);
	cause = step_result_cause(sr);
	set_str(res->flow, sizeof(res->flow), step_status_name(
	    step_result_status(sr)));
	if (step_result_status(sr) == STEP_SUCCEEDED) {
		if (sd_deploy_journal_end(journal, "Deployed", NULL, NULL,
		    &e2) != 0)
			set_str(res->journal_error, sizeof(res->journal_error),
			    sd_error_text(&e2));
		set_str(res->status, sizeof(res->status), "Deployed");
		set_str(res->version, sizeof(res->version), ctx.version);
		lock_left = json_string_value(json_object_get(json_object_get(
		    step_result_output(sr), "ReleaseLockError"), "Cause"));
		if (path_has(sr, "DeployedLockLeft"))
			res->lock_left = strdup(lock_left != NULL ? lock_left :
			    "?");
		rc = 0;
	} else {
		/* A failed rollback keeps the journal open (and the lock
		 * held): the next start, or `stepdeploy recover`, retries. */
		if ((e == NULL || strcmp(e, "Deploy.RollbackFailed") != 0) &&
		    sd_deploy_journal_end(journal, path_has(sr, "Rollback") ?
		    "RolledBack" : "Failed", e, cause, &e2) != 0)
			set_str(res->journal_error, sizeof(res->journal_error),
			    sd_error_text(&e2));
		set_str(res->status, sizeof(res->status),
		    e != NULL && strcmp(e, "Deploy.RollbackFailed") == 0 ?
		    "RollbackFailed" : path_has(sr, "Rollback") ?
		    "RolledBack" : "Failed");
		set_str(res->error, sizeof(res->error), e != NULL ? e :
		    "failed");
		if (cause != NULL)
			res->cause = strdup(cause);
		rc = 1;
	}
	(void)unlink(hpath);	/* a halt request is for this run only */
	goto out;
fail:
	set_str(res->status, sizeof(res->status), "Failed");
	set_str(res->error, sizeof(res->error), sd_error_text(&err));
	rc = 1;
out:
	sd_error_clear(&e2);
	sd_deploy_ctx_clear(&ctx);
	step_result_free(sr);
	step_machine_free(m);
	json_decref(input);
	sd_journal_free(journal);
	sd_error_clear(&err);
	return rc;
}

/* The regions of the in-flight journals of dir, as a JSON array. */
json_t *
sd_run_journal_regions(const char *dir, struct sd_error *err)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_error e1 = SD_ERROR_INIT;
	struct dirent **names = NULL;
	json_t *regions = json_array(), *v;
	const char *region;
	char path[4096];
	size_t len, k;
	int i, n, seen;

	if (regions == NULL)
		return NULL;
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		sd_error_set(err, SD_ERR_IO, NULL, "cannot list %s: %s", dir,
		    strerror(errno));
		json_decref(regions);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		len = strlen(names[i]->d_name);
		if (len > 8 && strcmp(names[i]->d_name + len - 8,
		    ".journal") == 0 && (size_t)snprintf(path, sizeof(path),
		    "%s/%s", dir, names[i]->d_name) < sizeof(path) &&
		    sd_journal_replay(path, &st, &e1) == 0 &&
		    json_object_get(st.dones, SD_DEPLOY_END_STEP) == NULL) {
			region = json_string_value(json_object_get(
			    json_object_get(json_object_get(st.intents,
			    "Validate"), "release"), "aws_region"));
			seen = region == NULL;
			json_array_foreach(regions, k, v)
				seen |= region != NULL &&
				    strcmp(json_string_value(v), region) == 0;
			if (!seen)
				(void)json_array_append_new(regions,
				    json_string(region));
		}
		sd_error_clear(&e1);
		sd_journal_state_clear(&st);
		free(names[i]);
	}
	free(names);
	return regions;
}


int
sd_run_abandon(const char *dir, const char *rid, const char *by,
    const char *reason, char *cause, size_t len, struct sd_error *err)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	char path[4096];
	int r;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s.journal", dir, rid) >=
	    sizeof(path))
		return sd_error_set(err, SD_ERR_USAGE, NULL, "--journal-dir is "
		    "too long");
	if ((r = sd_journal_open_idle(path, &j, err)) != 0 ||
	    (r = sd_journal_replay(path, &st, err)) != 0)
		goto out;
	if (json_object_get(st.dones, SD_DEPLOY_END_STEP) != NULL) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "release %s has "
		    "ended already", rid);
		goto out;
	}
	(void)snprintf(cause, len, "abandoned by %s: %s (it was at %s)", by,
	    reason, st.in_flight != NULL ? st.in_flight : st.last_done !=
	    NULL ? st.last_done : "its start");
	r = sd_deploy_journal_end(j, "Abandoned", "Deploy.Abandoned", cause,
	    err);
 out:
	sd_journal_state_clear(&st);
	sd_journal_free(j);
	return r;
}

int
sd_run_halt_request(const char *dir, const char *rid, const char *note,
    int *existed, struct sd_error *err)
{
	char path[4096];
	size_t n = strlen(note);
	int fd;

	*existed = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.halt", dir, rid) >=
	    sizeof(path))
		return sd_error_set(err, SD_ERR_USAGE, NULL, "--journal-dir is "
		    "too long");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 && errno == EEXIST) {
		*existed = 1;
		return 0;
	}
	if (fd == -1 || write(fd, note, n) != (ssize_t)n || fsync(fd) != 0) {
		(void)sd_error_set(err, SD_ERR_IO, NULL, "%s: %s", path,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		return SD_ERR_IO;
	}
	if (close(fd) != 0)
		return sd_error_set(err, SD_ERR_IO, NULL, "%s: %s", path,
		    strerror(errno));
	return 0;
}

int
sd_run_halt(const char *dir, const char *rid, const char *note,
    struct sd_run_halt *h, struct sd_error *err)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	struct sd_error e2 = SD_ERROR_INIT;
	const char *status;
	char jpath[4096], hpath[4096];
	int r;

	memset(h, 0, sizeof(*h));
	if ((size_t)snprintf(jpath, sizeof(jpath), "%s/%s.journal", dir,
	    rid) >= sizeof(jpath) || (size_t)snprintf(hpath, sizeof(hpath),
	    "%s/%s.halt", dir, rid) >= sizeof(hpath))
		return sd_error_set(err, SD_ERR_USAGE, NULL, "--journal-dir is "
		    "too long");
	if ((r = sd_journal_replay(jpath, &st, err)) != 0)
		goto out;
	if (json_object_get(st.dones, SD_DEPLOY_END_STEP) != NULL) {
		h->ended = 1;
		status = json_string_value(json_object_get(json_object_get(
		    st.dones, SD_DEPLOY_END_STEP), "status"));
		(void)snprintf(h->status, sizeof(h->status), "%s",
		    status != NULL ? status : "(null)");
		goto out;
	}
	/* A journal no live deploy holds is the recovery's, not a halt's. */
	r = sd_journal_open_idle(jpath, &j, &e2);
	sd_journal_free(j);
	sd_error_clear(&e2);
	if (r == 0) {
		h->idle = 1;
		goto out;
	}
	(void)snprintf(h->at, sizeof(h->at), "%s", st.in_flight != NULL ?
	    st.in_flight : st.last_done != NULL ? st.last_done : "starting");
	r = sd_run_halt_request(dir, rid, note, &h->existed, err);
 out:
	sd_journal_state_clear(&st);
	return r;
}
