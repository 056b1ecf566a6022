/*
 * recover.c: finish or roll back a release whose deploy stopped before
 * its end - the uploader was killed, the host went down (sd_deploy.h,
 * "Recovery"). Like the deploy, the recovery is an ASL state machine run
 * by libstep; its Tasks are the deploy's own handlers, plus "Recover",
 * which rebuilds the deploy's state from the journal and decides.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_journal.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "step.h"

#define TASK(name, next, catch_next, catch_path) \
	"\"" name "\":{\"Type\":\"Task\",\"Resource\":\"" \
	SD_DEPLOY_RESOURCE "\",\"ResultPath\":\"$." name "\",\"Next\":\"" \
	next "\",\"Catch\":[{\"ErrorEquals\":[\"States.ALL\"],\"ResultPath\":" \
	"\"$." catch_path "\",\"Next\":\"" catch_next "\"}]}"
#define OUTCOME(name) \
	"\"" name "\":{\"Type\":\"Pass\",\"Result\":\"" name "\"," \
	"\"ResultPath\":\"$.Outcome\",\"End\":true}"

static const char recover_definition[] =
	"{\"Comment\":\"stepdeploy: recover a release whose deploy stopped "
	"part way (the journal says where). Complete it when everything was "
	"applied and verifies, else restore the snapshot.\","
	"\"StartAt\":\"Recover\",\"States\":{"
	"\"Recover\":{\"Type\":\"Task\",\"Resource\":\"" SD_DEPLOY_RESOURCE
	"\",\"ResultPath\":\"$.Recover\",\"Next\":\"Decide\"},"
	"\"Decide\":{\"Type\":\"Choice\",\"Choices\":["
	"{\"Variable\":\"$.Recover.action\",\"StringEquals\":\"complete\","
	"\"Next\":\"Verify\"},"
	"{\"Variable\":\"$.Recover.action\",\"StringEquals\":\"finish\","
	"\"Next\":\"ReleaseLock\"},"
	"{\"Variable\":\"$.Recover.action\",\"StringEquals\":\"rollback\","
	"\"Next\":\"Rollback\"},"
	"{\"Variable\":\"$.Recover.action\",\"StringEquals\":\"release\","
	"\"Next\":\"ReleaseLockOnError\"},"
	"{\"Variable\":\"$.Recover.action\",\"StringEquals\":\"done\","
	"\"Next\":\"Completed\"}],"
	"\"Default\":\"Nothing\"},"
	TASK("Verify", "Record", "Rollback", "Error") ","
	TASK("Record", "ReleaseLock", "Rollback", "Error") ","
	TASK("ReleaseLock", "Completed", "Completed", "ReleaseLockError") ","
	TASK("Rollback", "ReleaseLockAfterRollback", "RollbackFailed",
	    "RollbackError") ","
	TASK("ReleaseLockAfterRollback", "RolledBack", "RolledBack",
	    "ReleaseLockError") ","
	TASK("ReleaseLockOnError", "Released", "Released",
	    "ReleaseLockError") ","
	OUTCOME("Completed") "," OUTCOME("RolledBack") ","
	OUTCOME("Released") "," OUTCOME("Nothing") ","
	"\"RollbackFailed\":{\"Type\":\"Fail\",\"Error\":"
	"\"Deploy.RollbackFailed\",\"CausePath\":\"$.RollbackError.Cause\"}"
	"}}";

const char *
sd_deploy_recovery_definition(void)
{
	return recover_definition;
}

struct recovery {
	struct sd_deploy_ctx		*c;
	const struct sd_journal_state	*st;
};

static const char *
sget(const json_t *obj, const char *step, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, step),
	    key));
}

static int
task_fail(struct step_task_failure *failure, const char *error,
    const char *cause)
{
	failure->error = strdup(error);
	failure->cause = strdup(cause);
	return -1;
}

/* Journal a Recover entry (steals data). */
static int
journal(struct sd_deploy_ctx *c, enum sd_journal_phase phase, json_t *data,
    struct sd_error *err)
{
	int r = 0;

	if (data == NULL)
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	else if (c->journal != NULL)
		r = sd_journal_append(c->journal, "Recover", phase, data, 0,
		    err);
	json_decref(data);
	return r;
}

/*
 * The Recover Task: is the lock still this release's? Then pick what is
 * left to do from how far the journal got.
 */
static int
t_recover(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct recovery *rc = user;
	struct sd_deploy_ctx *c = rc->c;
	const struct sd_journal_state *st = rc->st;
	struct sd_lock_info info;
	struct sd_lock_opts o;
	struct sd_error err = SD_ERROR_INIT;
	const char *action, *at;
	char why[1024];
	int owned = 0, r;

	(void)call;
	at = st->in_flight != NULL ? st->in_flight : st->last_done != NULL ?
	    st->last_done : "-";
	if (journal(c, SD_JOURNAL_INTENT, json_pack("{s:s}", "interruptedAt",
	    at), &err) != 0) {
		(void)snprintf(why, sizeof(why), "journal: %s",
		    sd_error_text(&err));
		sd_error_clear(&err);
		return task_fail(failure, "Deploy.Recover", why);
	}
	if (c->on_step != NULL)
		c->on_step(c->on_step_arg, "Recover", "intent", NULL);

	/* The lock: ours when it names this release and our holder. */
	memset(&info, 0, sizeof(info));
	r = sd_lock_read(c->aws, c->bucket, c->project, c->config, &info,
	    &err);
	if (r != 0 && r != SD_ERR_NOTFOUND) {
		(void)snprintf(why, sizeof(why), "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return task_fail(failure, "Deploy.Recover", why);
	}
	sd_error_clear(&err);
	if (r == 0 && strcmp(info.release_id, c->release_id) == 0 &&
	    strcmp(info.holder, c->holder) == 0) {
		memset(&o, 0, sizeof(o));
		o.bucket = c->bucket;
		o.project = c->project;
		o.config = c->config;
		o.release_id = c->release_id;
		o.holder = c->holder;
		o.lease_seconds = sd_policy_lock_lease_seconds(c->policy);
		if (sd_lock_resume(&o, info.etag, &c->lock, &err) != 0) {
			(void)snprintf(why, sizeof(why), "%s",
			    sd_error_text(&err));
			sd_error_clear(&err);
			return task_fail(failure, "Deploy.Recover", why);
		}
		owned = 1;
	}

	if (json_object_get(st->dones, "Record") != NULL)
		action = owned ? "finish" : "done";
	else if (!st->has_snapshot)
		action = owned ? "release" : "nothing";
	else if (!owned) {
		if (r == 0)
			(void)snprintf(why, sizeof(why), "the lock of %s/%s is "
			    "now held by %s for release %s, not by this "
			    "release: the Lambda and state machine are left "
			    "alone; check them, then end this journal "
			    "(stepdeploy recover --abandon %s --reason ...)",
			    c->project, c->config, info.holder,
			    info.release_id, c->release_id);
		else
			(void)snprintf(why, sizeof(why), "the lock of %s/%s is "
			    "gone (removed by hand?): the Lambda and state "
			    "machine are left alone; check them, then end "
			    "this journal (stepdeploy recover --abandon %s "
			    "--reason ...)", c->project, c->config,
			    c->release_id);
		return task_fail(failure, "Deploy.LockLost", why);
	} else if (json_object_get(st->intents, "Rollback") != NULL ||
	    st->last_failed != NULL || c->version[0] == '\0')
		action = "rollback";
	else
		action = "complete";
	if (journal(c, SD_JOURNAL_DONE, json_pack("{s:s,s:s,s:b}", "action",
	    action, "interruptedAt", at, "lockHeld", owned), &err) != 0) {
		(void)snprintf(why, sizeof(why), "journal: %s",
		    sd_error_text(&err));
		sd_error_clear(&err);
		return task_fail(failure, "Deploy.Recover", why);
	}
	if (c->on_step != NULL) {
		(void)snprintf(why, sizeof(why), "interrupted at %s: %s", at,
		    action);
		c->on_step(c->on_step_arg, "Recover", "done", why);
	}
	*output = json_pack("{s:s,s:s,s:b}", "action", action,
	    "interruptedAt", at, "lockHeld", owned);
	return *output != NULL ? 0 : task_fail(failure, "Deploy.Recover",
	    "out of memory");
}

int
sd_deploy_journal_end(struct sd_journal *j, const char *status,
    const char *error, const char *cause, struct sd_error *err)
{
	json_t *d = json_pack("{s:s,s:s?,s:s?}", "status", status, "error",
	    error, "cause", cause);
	int r;

	if (d == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = sd_journal_append(j, SD_DEPLOY_END_STEP, SD_JOURNAL_DONE, d, 0,
	    err);
	json_decref(d);
	return r;
}

/* Load the snapshot the journal kept into c. */
static int
load_snapshot(struct sd_deploy_ctx *c, const struct sd_journal_state *st,
    struct sd_error *err)
{
	const char *smrev;

	if (!st->has_snapshot)
		return 0;
	(void)snprintf(c->prev_sha256, sizeof(c->prev_sha256), "%s",
	    st->snapshot.code_sha256);
	(void)snprintf(c->prev_revision, sizeof(c->prev_revision), "%s",
	    st->snapshot.revision_id);
	smrev = json_string_value(json_object_get(st->snapshot_data,
	    "smRevisionId"));
	(void)snprintf(c->prev_sm_revision, sizeof(c->prev_sm_revision), "%s",
	    smrev != NULL ? smrev : "");
	if ((size_t)snprintf(c->prev_zip_key, sizeof(c->prev_zip_key), "%s",
	    st->snapshot.zip_key) >= sizeof(c->prev_zip_key))
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "S3 key too long");
	free(c->prev_definition);
	if ((c->prev_definition = strdup(st->snapshot.definition)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	c->have_snapshot = 1;
	return 0;
}

int
sd_deploy_recover_one(const struct sd_recover_opts *opts, const char *path,
    struct sd_recover_outcome *out, struct sd_error *err)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct sd_deploy_ctx ctx;
	struct recovery rc;
	json_t *release, *input = NULL;
	const char *s, *outcome;
	int r;

	memset(out, 0, sizeof(*out));
	memset(&ctx, 0, sizeof(ctx));
	(void)snprintf(out->outcome, sizeof(out->outcome), "Skipped");
	r = sd_journal_open_idle(path, &j, err);
	if (r == SD_ERR_INVALID) {
		(void)snprintf(out->outcome, sizeof(out->outcome), "Busy");
		(void)snprintf(out->detail, sizeof(out->detail), "%s",
		    sd_error_text(err));
		sd_error_clear(err);
		return 0;
	}
	if (r != 0)
		return r;
	if ((r = sd_journal_replay(path, &st, err)) != 0)
		goto out;
	release = json_object_get(json_object_get(st.intents, "Validate"),
	    "release");
	s = json_string_value(json_object_get(release, "release_id"));
	(void)snprintf(out->release_id, sizeof(out->release_id), "%s",
	    s != NULL ? s : "");
	if (st.entries == 0 || json_object_get(st.dones,
	    SD_DEPLOY_END_STEP) != NULL || (opts->skip_release != NULL &&
	    s != NULL && strcmp(s, opts->skip_release) == 0)) {
		r = 0;
		goto out;
	}
	if (json_is_object(release) && opts->aws != NULL &&
	    (s = json_string_value(json_object_get(release, "aws_region"))) !=
	    NULL && strcmp(s, sd_aws_region(opts->aws)) != 0) {
		/* Another region's client recovers it. */
		r = 0;
		goto out;
	}
	s = out->release_id[0] != '\0' ? out->release_id : NULL;
	if (!json_is_object(release) || s == NULL) {
		/* Nothing was done beyond the first intent. */
		r = sd_deploy_journal_end(j, "Failed", "Deploy.Interrupted",
		    "the deploy stopped before it began", err);
		(void)snprintf(out->outcome, sizeof(out->outcome), "Nothing");
		goto out;
	}

	ctx.aws = opts->aws;
	ctx.policy = opts->policy;
	ctx.release = release;
	ctx.journal = j;
	ctx.work_dir = opts->journal_dir;
	ctx.on_step = opts->on_step;
	ctx.on_step_arg = opts->on_step_arg;
	ctx.crash_at = opts->crash_at;
	ctx.zip_path = sget(st.intents, "Validate", "zip");
	if ((r = sd_deploy_derive(&ctx, err)) != 0 ||
	    (r = load_snapshot(&ctx, &st, err)) != 0)
		goto out;
	if ((s = sget(st.intents, "Lock", "holder")) != NULL)
		(void)snprintf(ctx.holder, sizeof(ctx.holder), "%s", s);
	if ((s = sget(st.dones, "Validate", "zipSha256B64")) != NULL)
		(void)snprintf(ctx.zip_sha256_b64, sizeof(ctx.zip_sha256_b64),
		    "%s", s);
	if ((s = sget(st.dones, "Validate", "zipSha256")) != NULL)
		(void)snprintf(ctx.zip_sha256_hex, sizeof(ctx.zip_sha256_hex),
		    "%s", s);
	if ((s = sget(st.dones, "PublishVersion", "Version")) != NULL)
		(void)snprintf(ctx.version, sizeof(ctx.version), "%s", s);

	rc.c = &ctx;
	rc.st = &st;
	if ((r = step_machine_new(recover_definition,
	    strlen(recover_definition), NULL, &m, err)) != 0)
		goto out;
	if (sd_deploy_register(m, &ctx) != 0 ||
	    step_machine_register(m, "Recover", t_recover, &rc) != 0) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	input = json_pack("{s:s}", "releaseId", out->release_id);
	if (input == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = step_execute(m, input, NULL, &res, err)) != 0)
		goto out;
	if (step_result_status(res) != STEP_SUCCEEDED) {
		/* The journal stays open: the next recovery tries again. */
		(void)snprintf(out->outcome, sizeof(out->outcome), "Failed");
		(void)snprintf(out->detail, sizeof(out->detail), "%s: %s",
		    step_result_error(res) != NULL ? step_result_error(res) :
		    "failed", step_result_cause(res) != NULL ?
		    step_result_cause(res) : "");
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "release %s: %s",
		    out->release_id, out->detail);
		goto out;
	}
	outcome = json_string_value(json_object_get(step_result_output(res),
	    "Outcome"));
	if (outcome == NULL)
		outcome = "Nothing";
	(void)snprintf(out->outcome, sizeof(out->outcome), "%s", outcome);
	s = sget(step_result_output(res), "Recover", "interruptedAt");
	(void)snprintf(out->detail, sizeof(out->detail), "interrupted at %s",
	    s != NULL ? s : "-");
	r = sd_deploy_journal_end(j, strcmp(outcome, "Completed") == 0 ?
	    "Deployed" : strcmp(outcome, "RolledBack") == 0 ? "RolledBack" :
	    "Failed", strcmp(outcome, "Completed") == 0 ? NULL :
	    "Deploy.Interrupted", out->detail, err);
out:
	step_result_free(res);
	step_machine_free(m);
	json_decref(input);
	sd_deploy_ctx_clear(&ctx);
	sd_journal_state_clear(&st);
	sd_journal_free(j);
	return r;
}

int
sd_deploy_recover_dir(const struct sd_recover_opts *opts,
    void (*report)(void *arg, const struct sd_recover_outcome *),
    void *arg, struct sd_error *err)
{
	struct sd_recover_outcome o;
	struct sd_error e1 = SD_ERROR_INIT;
	struct dirent **names = NULL;
	char path[4096];
	size_t len;
	int i, n, r, first = 0;

	n = scandir(opts->journal_dir, &names, NULL, alphasort);
	if (n < 0)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot list %s",
		    opts->journal_dir);
	for (i = 0; i < n; i++) {
		len = strlen(names[i]->d_name);
		if (len <= 8 || strcmp(names[i]->d_name + len - 8,
		    ".journal") != 0 || (size_t)snprintf(path, sizeof(path),
		    "%s/%s", opts->journal_dir, names[i]->d_name) >=
		    sizeof(path))
			continue;
		r = sd_deploy_recover_one(opts, path, &o, &e1);
		if (r != 0 && o.outcome[0] == '\0')
			(void)snprintf(o.outcome, sizeof(o.outcome), "Failed");
		if (r != 0 && strcmp(o.outcome, "Failed") == 0 &&
		    o.detail[0] == '\0')
			(void)snprintf(o.detail, sizeof(o.detail), "%s",
			    sd_error_text(&e1));
		if (report != NULL && strcmp(o.outcome, "Skipped") != 0)
			report(arg, &o);
		if (r != 0 && first == 0) {
			first = r;
			sd_error_set(err, r, NULL, "%s: %s", names[i]->d_name,
			    sd_error_text(&e1));
		}
		sd_error_clear(&e1);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return first;
}
