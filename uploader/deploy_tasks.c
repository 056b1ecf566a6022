/*
 * deploy_tasks.c: the Task handlers of the deploy flow (sd_deploy.h).
 * Each handler journals an "intent" entry before its AWS calls and a
 * "done" (or "failed") entry after them, and fails its Task with the
 * error "Deploy.STATE" and the one-line reason as the cause.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_audit.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_journal.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_time.h"
#include "step.h"

static void
note(struct sd_deploy_ctx *c, const char *state, const char *phase,
    const char *detail)
{
	if (c->on_step != NULL)
		c->on_step(c->on_step_arg, state, phase, detail);
}

/* Journal one entry (steals data). A journal failure fails the step. */
static int
jr(struct sd_deploy_ctx *c, const char *state, enum sd_journal_phase ph,
    json_t *data, struct sd_error *err)
{
	int r = 0;

	if (c->journal != NULL)
		r = sd_journal_append(c->journal, state, ph, data, 0, err);
	json_decref(data);
	return r;
}

/* Fail the Task: journal "failed", report, fill failure. */
static int
fail(struct sd_deploy_ctx *c, const char *state,
    struct step_task_failure *failure, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
fail(struct sd_deploy_ctx *c, const char *state,
    struct step_task_failure *failure, const char *fmt, ...)
{
	char cause[2048], name[128];
	struct sd_error jerr = SD_ERROR_INIT;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(cause, sizeof(cause), fmt, ap);
	va_end(ap);
	(void)jr(c, state, SD_JOURNAL_FAILED, json_pack("{s:s}", "error",
	    cause), &jerr);
	sd_error_clear(&jerr);
	note(c, state, "failed", cause);
	(void)snprintf(name, sizeof(name), "Deploy.%s", state);
	failure->error = strdup(name);
	failure->cause = strdup(cause);
	return -1;
}

/*
 * The crash tests' hook (SD_TESTING builds only): a real SIGKILL at
 * "STATE:intent" (its intent on disk, no AWS call made) or at
 * "STATE:applied" (its AWS calls made, its outcome not yet journaled).
 */
static void
crash_point(const struct sd_deploy_ctx *c, const char *state,
    const char *point)
{
#ifdef SD_TESTING
	size_t n = strlen(state);

	if (c->crash_at != NULL && strncmp(c->crash_at, state, n) == 0 &&
	    c->crash_at[n] == ':' && strcmp(c->crash_at + n + 1, point) == 0) {
		fflush(NULL);
		(void)raise(SIGKILL);
	}
#else
	(void)c;
	(void)state;
	(void)point;
#endif
}

/* The steps that never stop for a halt: they end a deploy. */
static int
haltable(const char *state)
{
	return strncmp(state, "ReleaseLock", 11) != 0 &&
	    strcmp(state, "Rollback") != 0;
}

static int
intent(struct sd_deploy_ctx *c, const char *state, json_t *data,
    struct step_task_failure *failure)
{
	struct sd_error err = SD_ERROR_INIT;
	char why[1024];
	ssize_t n;
	FILE *f;

	note(c, state, "intent", NULL);
	if (c->halt_path != NULL && haltable(state) &&
	    (f = fopen(c->halt_path, "r")) != NULL) {
		n = (ssize_t)fread(why, 1, sizeof(why) - 1, f);
		(void)fclose(f);
		why[n > 0 ? n : 0] = '\0';
		why[strcspn(why, "\n")] = '\0';
		json_decref(data);
		fail(c, state, failure, "halted%s%s", why[0] != '\0' ?
		    ": " : "", why);
		free(failure->error);
		failure->error = strdup("Deploy.Halted");
		return -1;
	}
	if (jr(c, state, SD_JOURNAL_INTENT, data, &err) != 0) {
		fail(c, state, failure, "journal: %s", sd_error_text(&err));
		sd_error_clear(&err);
		return -1;
	}
	crash_point(c, state, "intent");
	return 0;
}

/* Journal "done" with data (a copy goes to *output). */
static int
done(struct sd_deploy_ctx *c, const char *state, json_t *data,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_error err = SD_ERROR_INIT;

	crash_point(c, state, "applied");
	if (data == NULL)
		data = json_object();
	*output = json_deep_copy(data);
	if (jr(c, state, SD_JOURNAL_DONE, data, &err) != 0) {
		json_decref(*output);
		*output = NULL;
		fail(c, state, failure, "journal: %s", sd_error_text(&err));
		sd_error_clear(&err);
		return -1;
	}
	note(c, state, "done", NULL);
	return 0;
}

static const char *
rstr(const json_t *release, const char *key)
{
	const char *s = json_string_value(json_object_get(release, key));

	return s != NULL ? s : "";
}

/* 1 when the definition text def is the same JSON as want. */
static int
same_definition(const char *def, const json_t *want)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *got;
	int eq;

	if (def == NULL)
		return 0;
	got = sd_json_loadb(def, strlen(def), 0, "definition", &err);
	sd_error_clear(&err);
	if (got == NULL)
		return 0;
	eq = sd_json_equal(got, want);
	json_decref(got);
	return eq;
}

int
sd_deploy_derive(struct sd_deploy_ctx *c, struct sd_error *err)
{
	const struct sd_policy_project *proj;

	c->project = rstr(c->release, "project_name");
	c->config = rstr(c->release, "config_name");
	c->release_id = rstr(c->release, "release_id");
	if ((proj = sd_policy_project(c->policy, c->project)) == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "project %s is "
		    "not in the policy", c->project);
	c->bucket = sd_policy_project_bucket(proj);
	if (sd_policy_build_arn(SD_POLICY_ARN_LAMBDA,
	    rstr(c->release, "aws_region"), rstr(c->release, "aws_account_id"),
	    rstr(c->release, "lambda_name"), c->lambda_arn,
	    sizeof(c->lambda_arn)) != 0 ||
	    sd_policy_build_arn(SD_POLICY_ARN_STATE_MACHINE,
	    rstr(c->release, "aws_region"), rstr(c->release, "aws_account_id"),
	    rstr(c->release, "step_fn_name"), c->sm_arn,
	    sizeof(c->sm_arn)) != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "cannot build "
		    "the resource ARNs");
	free(c->definition);
	c->definition = sd_json_dumps(json_object_get(c->release,
	    "state_machine"), SD_JSON_SORT_KEYS);
	if (c->definition == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((size_t)snprintf(c->zip_key, sizeof(c->zip_key),
	    "%s/%s/%s/lambda.zip", c->project, c->config, c->release_id) >=
	    sizeof(c->zip_key) ||
	    (size_t)snprintf(c->prev_zip_key, sizeof(c->prev_zip_key),
	    "%s/%s/%s/previous.zip", c->project, c->config, c->release_id) >=
	    sizeof(c->prev_zip_key))
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "S3 key too long");
	return 0;
}

int
sd_deploy_make_deployed(struct sd_deploy_ctx *c, struct sd_error *err)
{
	json_t *q;

	if (c->version[0] == '\0')
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no published "
		    "version to name");
	q = sd_deploy_qualify(json_object_get(c->release, "state_machine"),
	    c->lambda_arn, c->version, NULL);
	if (q == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "cannot qualify "
		    "the definition with version %s", c->version);
	free(c->deployed_definition);
	c->deployed_definition = sd_json_dumps(q, SD_JSON_SORT_KEYS);
	json_decref(q);
	if (c->deployed_definition == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

/* ------------------------------------------------------------ Validate */

static int
t_validate(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_release_report *rep;
	const struct sd_finding *f = NULL;
	struct sd_error err = SD_ERROR_INIT;
	const char *want;
	size_t i;
	int r;

	if (intent(c, S, json_pack("{s:O,s:s}", "release", c->release, "zip",
	    c->zip_path), failure) != 0)
		return -1;
	if ((rep = sd_release_report_new()) == NULL)
		return fail(c, S, failure, "out of memory");
	if (sd_release_check(c->release, c->policy, sd_time_now(), NULL,
	    rep) != 0) {
		sd_release_report_free(rep);
		return fail(c, S, failure, "the release check did not run");
	}
	if (sd_release_report_errors(rep) > 0) {
		for (i = 0; i < sd_release_report_count(rep); i++) {
			f = sd_release_report_get(rep, i);
			if (f->severity == SD_SEVERITY_ERROR)
				break;
		}
		if (f == NULL)
			r = fail(c, S, failure, "release refused");
		else
			r = fail(c, S, failure, "release refused: %s at %s: "
			    "%s", f->code, f->location[0] != '\0' ?
			    f->location : "/", f->message);
		sd_release_report_free(rep);
		return r;
	}
	sd_release_report_free(rep);

	if (sd_aws_sha256_file(c->zip_path, c->zip_sha256_hex,
	    c->zip_sha256_b64, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	want = json_string_value(json_object_get(c->release, "lambda_sha256"));
	if (want != NULL && strcmp(want, c->zip_sha256_hex) != 0)
		return fail(c, S, failure, "the zip's SHA-256 %s is not the "
		    "release's lambda_sha256 %s", c->zip_sha256_hex, want);

	if (sd_deploy_derive(c, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	return done(c, S, json_pack("{s:s,s:s,s:s,s:s,s:s}", "releaseId",
	    c->release_id, "lambdaArn", c->lambda_arn, "stateMachineArn",
	    c->sm_arn, "zipSha256", c->zip_sha256_hex, "zipSha256B64",
	    c->zip_sha256_b64), output, failure);
}

/* ------------------------------------------------------------ Lock */

static int
t_lock(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_lock_opts o;
	struct sd_error err = SD_ERROR_INIT, e2 = SD_ERROR_INIT;
	int r;

	if (c->holder[0] == '\0' &&
	    sd_lock_default_holder(c->holder, sizeof(c->holder)) != 0)
		return fail(c, S, failure, "cannot name the lock's holder");
	if (intent(c, S, json_pack("{s:s,s:s}", "releaseId", c->release_id,
	    "holder", c->holder), failure) != 0)
		return -1;
	memset(&o, 0, sizeof(o));
	o.bucket = c->bucket;
	o.project = c->project;
	o.config = c->config;
	o.release_id = c->release_id;
	o.holder = c->holder;
	o.lease_seconds = sd_policy_lock_lease_seconds(c->policy);
	if (sd_lock_acquire(c->aws, &o, &c->lock, NULL, &err) != 0) {
		c->lock = NULL;
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	if (sd_lock_claim_release(c->aws, c->bucket, c->project, c->config,
	    c->release_id, c->release_buf, c->release_len, NULL, &err) != 0) {
		/* A failure here holds no lock. */
		(void)sd_lock_release(c->aws, c->lock, &e2);
		sd_error_clear(&e2);
		sd_lock_free(c->lock);
		c->lock = NULL;
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	return done(c, S, json_pack("{s:s,s:s}", "key", sd_lock_key(c->lock),
	    "etag", sd_lock_etag(c->lock)), output, failure);
}

/* ------------------------------------------------------------ ValidateResources */

static int
check_tags(struct sd_deploy_ctx *c, const char *what, const char *arn,
    json_t *want, json_t *have, char *why, size_t len)
{
	const char *k;
	json_t *v;

	json_object_foreach(want, k, v) {
		if (!json_equal(json_object_get(have, k), v)) {
			(void)snprintf(why, len, "%s %s: tag %s must be \"%s\"",
			    what, arn, k, json_string_value(v) != NULL ?
			    json_string_value(v) : "?");
			return -1;
		}
	}
	(void)c;
	return 0;
}

static int
t_validate_resources(void *user, const struct step_task_call *call,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_error err = SD_ERROR_INIT;
	json_t *want = NULL, *lt = NULL, *st = NULL;
	char why[1024];
	int r = 0;

	if (intent(c, S, json_pack("{s:s,s:s}", "lambdaArn", c->lambda_arn,
	    "stateMachineArn", c->sm_arn), failure) != 0)
		return -1;
	if (sd_policy_arn_allowed(c->policy, c->project, SD_POLICY_ARN_LAMBDA,
	    c->lambda_arn, &err) != 0 ||
	    sd_policy_arn_allowed(c->policy, c->project,
	    SD_POLICY_ARN_STATE_MACHINE, c->sm_arn, &err) != 0 ||
	    sd_policy_project_tags(sd_policy_project(c->policy, c->project),
	    c->config, &want) != 0 ||
	    sd_aws_lambda_list_tags(c->aws, c->lambda_arn, &lt, NULL,
	    &err) != 0 ||
	    sd_aws_sfn_list_tags(c->aws, c->sm_arn, &st, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", err.code != 0 ?
		    sd_error_text(&err) : "cannot read the project's tags");
		goto out;
	}
	if (check_tags(c, "Lambda function", c->lambda_arn, want, lt, why,
	    sizeof(why)) != 0 ||
	    check_tags(c, "state machine", c->sm_arn, want, st, why,
	    sizeof(why)) != 0) {
		r = fail(c, S, failure, "%s", why);
		goto out;
	}
	r = done(c, S, json_pack("{s:O}", "tags", want), output, failure);
out:
	sd_error_clear(&err);
	json_decref(want);
	json_decref(lt);
	json_decref(st);
	return r;
}

/* ------------------------------------------------------------ Upload */

static int
t_upload(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_s3_put put;
	struct sd_error err = SD_ERROR_INIT;
	char etag[SD_AWS_ETAG_MAX];
	int r;

	if (intent(c, S, json_pack("{s:s,s:s}", "bucket", c->bucket, "key",
	    c->zip_key), failure) != 0)
		return -1;
	/* release.json was put (If-None-Match) by the Lock step's claim:
	 * the release's prefix is this deploy's alone, so a plain PUT
	 * (idempotent, safely retried after a try that may have been
	 * applied) is enough here and for previous.zip. */
	memset(&put, 0, sizeof(put));
	put.bucket = c->bucket;
	put.key = c->zip_key;
	put.file = c->zip_path;
	put.sha256_hex = c->zip_sha256_hex;
	put.content_type = "application/zip";
	if (sd_aws_s3_put_object(c->aws, &put, etag, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	return done(c, S, json_pack("{s:s,s:s}", "key", c->zip_key, "etag",
	    etag), output, failure);
}

/* ------------------------------------------------------------ Snapshot */

static int
t_snapshot(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_lambda_function fn;
	struct sd_aws_state_machine sm;
	struct sd_aws_s3_put put;
	struct sd_error err = SD_ERROR_INIT;
	char path[4096], hex[65];
	int r;

	memset(&fn, 0, sizeof(fn));
	memset(&sm, 0, sizeof(sm));
	if (intent(c, S, NULL, failure) != 0)
		return -1;
	if (sd_aws_lambda_get_function(c->aws, c->lambda_arn, NULL, &fn, NULL,
	    &err) != 0 ||
	    sd_aws_sfn_describe(c->aws, c->sm_arn, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (fn.code_location == NULL || sm.definition == NULL) {
		r = fail(c, S, failure, "GetFunction gave no code location or "
		    "DescribeStateMachine no definition");
		goto out;
	}
	/* Keep the code now deployed, for a rollback: download it (checked
	 * against its CodeSha256) and put it under the release's prefix. */
	(void)snprintf(path, sizeof(path), "%s/%s.previous.zip",
	    c->work_dir != NULL ? c->work_dir : ".", c->release_id);
	(void)unlink(path);
	if (sd_aws_download(c->aws, fn.code_location, path,
	    (uint64_t)256 << 20, fn.code_sha256, NULL, NULL, NULL,
	    &err) != 0 ||
	    sd_aws_sha256_file(path, hex, NULL, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	memset(&put, 0, sizeof(put));
	put.bucket = c->bucket;
	put.key = c->prev_zip_key;
	put.file = path;
	put.sha256_hex = hex;
	put.content_type = "application/zip";
	if (sd_aws_s3_put_object(c->aws, &put, NULL, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	(void)snprintf(c->prev_sha256, sizeof(c->prev_sha256), "%s",
	    fn.code_sha256);
	(void)snprintf(c->prev_revision, sizeof(c->prev_revision), "%s",
	    fn.revision_id);
	free(c->prev_definition);
	c->prev_definition = strdup(sm.definition);
	if (c->prev_definition == NULL) {
		r = fail(c, S, failure, "out of memory");
		goto out;
	}
	(void)snprintf(c->prev_sm_revision, sizeof(c->prev_sm_revision), "%s",
	    sm.revision_id);
	c->have_snapshot = 1;
	r = done(c, S, json_pack("{s:s,s:s,s:s,s:s,s:s}", "CodeSha256",
	    fn.code_sha256, "RevisionId", fn.revision_id, "definition",
	    sm.definition, "zipKey", c->prev_zip_key, "smRevisionId",
	    sm.revision_id), output, failure);
out:
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	return r;
}

/*
 * Before a change: renew the lease (PUT If-Match on our ETag). A holder
 * that stalled past its lease and lost the lock to another deployer
 * stops here instead of changing anything.
 */
static int
keep_lock(struct sd_deploy_ctx *c, const char *S,
    struct step_task_failure *failure)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (c->lock == NULL)
		return fail(c, S, failure, "the lock is not held");
	if (sd_lock_renew(c->aws, c->lock, &err) != 0) {
		r = fail(c, S, failure, "the lock could not be renewed: %s",
		    sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	return 0;
}

/* ------------------------------------------------------------ UpdateLambda */

/*
 * UpdateFunctionCode carries the snapshot's RevisionId. When a try that
 * may have been applied (a 5xx, a dropped connection) is retried and the
 * retry is refused for that RevisionId, the first try may be what changed
 * it: the function then has the release's code. 1 when it has (the
 * update is ours), 0 when it has not (a real conflict: err keeps it).
 */
static int
applied_already(struct sd_deploy_ctx *c, struct sd_error *err)
{
	struct sd_aws_lambda_function fn;
	struct sd_error e2 = SD_ERROR_INIT;
	int ours;

	memset(&fn, 0, sizeof(fn));
	if (sd_aws_lambda_get_configuration(c->aws, c->lambda_arn, NULL, &fn,
	    NULL, &e2) != 0) {
		sd_error_clear(&e2);
		return 0;
	}
	ours = strcmp(fn.code_sha256, c->zip_sha256_b64) == 0;
	sd_aws_lambda_function_clear(&fn);
	if (ours)
		sd_error_clear(err);
	return ours;
}

static int
t_update_lambda(void *user, const struct step_task_call *call,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_lambda_code code;
	struct sd_aws_lambda_function fn;
	struct sd_aws_status st;
	struct sd_error err = SD_ERROR_INIT;
	int r;

	memset(&fn, 0, sizeof(fn));
	if (intent(c, S, json_pack("{s:s,s:s}", "zipKey", c->zip_key,
	    "RevisionId", c->prev_revision), failure) != 0)
		return -1;
	if (keep_lock(c, S, failure) != 0)
		return -1;
	memset(&code, 0, sizeof(code));
	code.s3_bucket = c->bucket;
	code.s3_key = c->zip_key;
	code.revision_id = c->prev_revision;
	memset(&st, 0, sizeof(st));
	if (sd_aws_lambda_update_code(c->aws, c->lambda_arn, &code, NULL,
	    &st, &err) != 0 && !(st.kind == SD_AWS_PRECONDITION &&
	    st.maybe_applied && applied_already(c, &err))) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	sd_error_clear(&err);
	if (sd_aws_lambda_wait_updated(c->aws, c->lambda_arn, &fn, NULL,
	    &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	r = done(c, S, json_pack("{s:s,s:s}", "CodeSha256", fn.code_sha256,
	    "RevisionId", fn.revision_id), output, failure);
out:
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	return r;
}

/* ------------------------------------------------------------ PublishVersion */

static int
t_publish_version(void *user, const struct step_task_call *call,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_lambda_function fn;
	struct sd_error err = SD_ERROR_INIT;
	char desc[128];
	int r;

	memset(&fn, 0, sizeof(fn));
	if (intent(c, S, json_pack("{s:s}", "CodeSha256", c->zip_sha256_b64),
	    failure) != 0)
		return -1;
	(void)snprintf(desc, sizeof(desc), "release %s", c->release_id);
	if (sd_aws_lambda_publish_version(c->aws, c->lambda_arn, NULL,
	    c->zip_sha256_b64, desc, &fn, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	(void)snprintf(c->version, sizeof(c->version), "%s", fn.version);
	r = done(c, S, json_pack("{s:s}", "Version", fn.version), output,
	    failure);
out:
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	return r;
}

/* ------------------------------------------------------------ UpdateStateMachine */

static int
t_update_state_machine(void *user, const struct step_task_call *call,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_sfn_update up;
	struct sd_aws_state_machine sm;
	struct sd_error err = SD_ERROR_INIT;
	char desc[128];
	int r;

	memset(&sm, 0, sizeof(sm));
	if (sd_deploy_make_deployed(c, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		sd_error_clear(&err);
		return r;
	}
	if (intent(c, S, json_pack("{s:s,s:s}", "stateMachineArn", c->sm_arn,
	    "version", c->version), failure) != 0)
		return -1;
	if (keep_lock(c, S, failure) != 0)
		return -1;
	/* Guard: the state machine is still what the snapshot saw, so a
	 * stale holder never overwrites a newer deploy. */
	if (sd_aws_sfn_describe(c->aws, c->sm_arn, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (strcmp(sm.revision_id, c->prev_sm_revision) != 0 ||
	    sm.definition == NULL || c->prev_definition == NULL ||
	    strcmp(sm.definition, c->prev_definition) != 0) {
		r = fail(c, S, failure, "the state machine changed since the "
		    "snapshot (revision %s, was %s): not overwriting it",
		    sm.revision_id[0] != '\0' ? sm.revision_id : "-",
		    c->prev_sm_revision[0] != '\0' ? c->prev_sm_revision : "-");
		goto out;
	}
	sd_aws_state_machine_clear(&sm);
	(void)snprintf(desc, sizeof(desc), "release %s", c->release_id);
	memset(&up, 0, sizeof(up));
	up.definition = c->deployed_definition;
	up.publish = 1;
	up.version_description = desc;
	if (sd_aws_sfn_update(c->aws, c->sm_arn, &up, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	r = done(c, S, json_pack("{s:s,s:s}", "revisionId", sm.revision_id,
	    "versionArn", sm.version_arn), output, failure);
out:
	sd_error_clear(&err);
	sd_aws_state_machine_clear(&sm);
	return r;
}

/* ------------------------------------------------------------ Verify */

static int
t_verify(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_lambda_function fn;
	struct sd_aws_state_machine sm;
	struct sd_error err = SD_ERROR_INIT;
	json_t *qd = NULL;
	int r;

	memset(&fn, 0, sizeof(fn));
	memset(&sm, 0, sizeof(sm));
	if (intent(c, S, NULL, failure) != 0)
		return -1;
	if (c->deployed_definition == NULL &&
	    sd_deploy_make_deployed(c, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	qd = sd_json_loadb(c->deployed_definition,
	    strlen(c->deployed_definition), 0, "definition", &err);
	if (qd == NULL) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (sd_aws_lambda_get_configuration(c->aws, c->lambda_arn, c->version,
	    &fn, NULL, &err) != 0 ||
	    sd_aws_sfn_describe(c->aws, c->sm_arn, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (strcmp(fn.code_sha256, c->zip_sha256_b64) != 0) {
		r = fail(c, S, failure, "version %s of the function has "
		    "CodeSha256 %s, not the release's %s", c->version,
		    fn.code_sha256, c->zip_sha256_b64);
		goto out;
	}
	if (!same_definition(sm.definition, qd)) {
		r = fail(c, S, failure, "the state machine's definition read "
		    "back is not the release's (naming version %s)",
		    c->version);
		goto out;
	}
	r = done(c, S, json_pack("{s:s,s:s,s:b}", "CodeSha256",
	    fn.code_sha256, "Version", c->version, "definition", 1), output,
	    failure);
out:
	json_decref(qd);
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	return r;
}

/* ------------------------------------------------------------ Record */

/* PUT a JSON value (plain PUT: under the lock, the last write wins). */
static int
put_json(struct sd_deploy_ctx *c, const char *key, json_t *v,
    struct sd_error *err)
{
	struct sd_aws_s3_put put;
	char *body;
	int r;

	if ((body = sd_json_dumps(v, SD_JSON_SORT_KEYS)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	memset(&put, 0, sizeof(put));
	put.bucket = c->bucket;
	put.key = key;
	put.body = body;
	put.body_len = strlen(body);
	put.content_type = "application/json";
	r = sd_aws_s3_put_object(c->aws, &put, NULL, NULL, err);
	free(body);
	return r;
}

int
sd_deploy_history_key(const char *project, const char *config, char *buf,
    size_t len)
{
	return (size_t)snprintf(buf, len, "%s/%s/deployed.json", project,
	    config) >= len ? -1 : 0;
}

/*
 * Record the deployed release: RELEASE_ID/result.json, and
 * PROJECT/CONFIG/deployed.json (the current release and, newest first,
 * the ones before it: what `stepdeploy rollback` goes back to).
 */
static int
t_record(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_s3_object o;
	struct sd_error err = SD_ERROR_INIT;
	json_t *prev = NULL, *hist = NULL, *res = NULL, *cur = NULL, *e;
	char key[1024], hkey[1024], at[64];
	size_t i;
	int r;

	memset(&o, 0, sizeof(o));
	if (intent(c, S, NULL, failure) != 0 || keep_lock(c, S, failure) != 0)
		return -1;
	if ((size_t)snprintf(key, sizeof(key), "%s/%s/%s/result.json",
	    c->project, c->config, c->release_id) >= sizeof(key) ||
	    sd_deploy_history_key(c->project, c->config, hkey,
	    sizeof(hkey)) != 0)
		return fail(c, S, failure, "S3 key too long");
	if (sd_time_format(sd_time_now(), at, sizeof(at)) != 0)
		(void)snprintf(at, sizeof(at), "-");
	r = sd_aws_s3_get_object(c->aws, c->bucket, hkey, NULL,
	    (size_t)1 << 20, &o, NULL, &err);
	if (r == 0) {
		prev = sd_json_loadb(o.body, o.len, 0, hkey, &err);
		if (prev == NULL) {
			r = fail(c, S, failure, "%s", sd_error_text(&err));
			goto out;
		}
	} else if (r != SD_ERR_NOTFOUND) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	sd_error_clear(&err);
	/* The history: this release, then up to 49 before it. */
	if ((hist = json_array()) == NULL ||
	    json_array_append_new(hist, json_pack("{s:s,s:s,s:s,s:s}",
	    "release_id", c->release_id, "lambda_version", c->version,
	    "code_sha256", c->zip_sha256_b64, "deployed_at", at)) != 0) {
		r = fail(c, S, failure, "out of memory");
		goto out;
	}
	json_array_foreach(json_object_get(prev, "history"), i, e) {
		if (json_array_size(hist) >= 50)
			break;
		if (json_is_object(e) && json_array_append(hist, e) != 0) {
			r = fail(c, S, failure, "out of memory");
			goto out;
		}
	}
	res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?}", "release_id",
	    c->release_id, "status", "Deployed", "lambda_version", c->version,
	    "code_sha256", c->zip_sha256_b64, "state_machine_arn", c->sm_arn,
	    "deployed_at", at, "previous_release_id",
	    json_string_value(json_object_get(prev, "release_id")));
	/* The service's audit log head, anchored outside the host: a log
	 * cut short or rewritten after this deploy no longer matches. */
	if (res != NULL && sd_audit_is_open()) {
		char hh[65];
		int64_t hs;

		if (sd_audit_head(&hs, hh) == 0)
			(void)json_object_set_new(res, "audit_head", json_pack(
			    "{s:s, s:I, s:s}", "process", sd_audit_process(),
			    "seq", (json_int_t)hs, "hash", hh));
	}
	cur = json_pack("{s:s,s:O}", "release_id", c->release_id, "history",
	    hist);
	if (res == NULL || cur == NULL) {
		r = fail(c, S, failure, "out of memory");
		goto out;
	}
	if (put_json(c, key, res, &err) != 0 ||
	    put_json(c, hkey, cur, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	r = done(c, S, json_pack("{s:s,s:s}", "result", key, "history", hkey),
	    output, failure);
out:
	sd_error_clear(&err);
	sd_aws_s3_object_clear(&o);
	json_decref(prev);
	json_decref(hist);
	json_decref(res);
	json_decref(cur);
	return r;
}

/* ------------------------------------------------------------ ReleaseLock */

static int
t_release_lock(void *user, const struct step_task_call *call,
    json_t **output, struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (intent(c, S, NULL, failure) != 0)
		return -1;
	if (c->lock != NULL) {
		r = sd_lock_release(c->aws, c->lock, &err);
		sd_lock_free(c->lock);
		c->lock = NULL;
		if (r != 0) {
			r = fail(c, S, failure, "%s", sd_error_text(&err));
			sd_error_clear(&err);
			return r;
		}
	}
	return done(c, S, json_pack("{s:b}", "released", 1), output, failure);
}

/* ------------------------------------------------------------ Rollback */

static int
t_rollback(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	struct sd_deploy_ctx *c = user;
	const char *S = call->state;
	struct sd_aws_lambda_function fn;
	struct sd_aws_state_machine sm;
	struct sd_aws_lambda_code code;
	struct sd_aws_sfn_update up;
	struct sd_error err = SD_ERROR_INIT;
	json_t *prev = NULL;
	int r, code_restored = 0, def_restored = 0;

	memset(&fn, 0, sizeof(fn));
	memset(&sm, 0, sizeof(sm));
	if (intent(c, S, json_pack("{s:O*}", "error",
	    json_object_get(call->input, "Error")), failure) != 0)
		return -1;
	if (!c->have_snapshot)
		return fail(c, S, failure, "no snapshot to restore");
	/* A holder that lost its lock (it stalled past its lease and another
	 * deployer took over) must not restore its snapshot over the new
	 * holder's deploy: that deploy's own snapshot has this one's
	 * changes, and the live definition still names the old version. */
	if (c->lock == NULL)
		return fail(c, S, failure, "the lock is not held: not rolling "
		    "back");
	if (sd_lock_renew(c->aws, c->lock, &err) != 0) {
		r = fail(c, S, failure, "the lock could not be renewed (%s): "
		    "not rolling back over what another deployer may be "
		    "doing", sd_error_text(&err));
		goto out;
	}
	prev = sd_json_loadb(c->prev_definition, strlen(c->prev_definition),
	    0, "snapshot definition", &err);
	if (prev == NULL) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	/* The code: let an update in flight end, then restore it unless it
	 * is unchanged. */
	if (sd_aws_lambda_wait_updated(c->aws, c->lambda_arn, &fn, NULL,
	    &err) != 0 && err.code != SD_ERR_INVALID) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	if (sd_aws_lambda_get_configuration(c->aws, c->lambda_arn, NULL, &fn,
	    NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (strcmp(fn.code_sha256, c->prev_sha256) != 0) {
		memset(&code, 0, sizeof(code));
		code.s3_bucket = c->bucket;
		code.s3_key = c->prev_zip_key;
		sd_aws_lambda_function_clear(&fn);
		if (sd_aws_lambda_update_code(c->aws, c->lambda_arn, &code,
		    NULL, NULL, &err) != 0 ||
		    sd_aws_lambda_wait_updated(c->aws, c->lambda_arn, &fn,
		    NULL, &err) != 0) {
			r = fail(c, S, failure, "%s", sd_error_text(&err));
			goto out;
		}
		code_restored = 1;
	}
	/* The definition. */
	if (sd_aws_sfn_describe(c->aws, c->sm_arn, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (!same_definition(sm.definition, prev)) {
		memset(&up, 0, sizeof(up));
		up.definition = c->prev_definition;
		sd_aws_state_machine_clear(&sm);
		if (sd_aws_sfn_update(c->aws, c->sm_arn, &up, NULL, NULL,
		    &err) != 0) {
			r = fail(c, S, failure, "%s", sd_error_text(&err));
			goto out;
		}
		def_restored = 1;
	}
	/* Verify. */
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	if (sd_aws_lambda_get_configuration(c->aws, c->lambda_arn, NULL, &fn,
	    NULL, &err) != 0 ||
	    sd_aws_sfn_describe(c->aws, c->sm_arn, &sm, NULL, &err) != 0) {
		r = fail(c, S, failure, "%s", sd_error_text(&err));
		goto out;
	}
	if (strcmp(fn.code_sha256, c->prev_sha256) != 0 ||
	    !same_definition(sm.definition, prev)) {
		r = fail(c, S, failure, "after the rollback the function or "
		    "state machine is still not the snapshot's");
		goto out;
	}
	r = done(c, S, json_pack("{s:b,s:b,s:s}", "codeRestored",
	    code_restored, "definitionRestored", def_restored, "CodeSha256",
	    fn.code_sha256), output, failure);
out:
	sd_error_clear(&err);
	json_decref(prev);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	return r;
}

/* ------------------------------------------------------------ registration */

int
sd_deploy_register(struct step_machine *m, struct sd_deploy_ctx *ctx)
{
	static const struct {
		const char	*state;
		step_handler_fn	 fn;
	} h[] = {
		{ "Validate", t_validate },
		{ "Lock", t_lock },
		{ "ValidateResources", t_validate_resources },
		{ "Upload", t_upload },
		{ "Snapshot", t_snapshot },
		{ "UpdateLambda", t_update_lambda },
		{ "PublishVersion", t_publish_version },
		{ "UpdateStateMachine", t_update_state_machine },
		{ "Verify", t_verify },
		{ "Record", t_record },
		{ "ReleaseLock", t_release_lock },
		{ "ReleaseLockOnError", t_release_lock },
		{ "ReleaseLockAfterRollback", t_release_lock },
		{ "Rollback", t_rollback },
	};
	size_t i;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		if (step_machine_register(m, h[i].state, h[i].fn, ctx) != 0)
			return SD_ERR_NOMEM;
	return 0;
}

void
sd_deploy_ctx_clear(struct sd_deploy_ctx *ctx)
{
	if (ctx == NULL)
		return;
	free(ctx->definition);
	ctx->definition = NULL;
	free(ctx->prev_definition);
	ctx->prev_definition = NULL;
	free(ctx->deployed_definition);
	ctx->deployed_definition = NULL;
	sd_lock_free(ctx->lock);
	ctx->lock = NULL;
}
