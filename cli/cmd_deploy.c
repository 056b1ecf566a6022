/*
 * stepdeploy deploy --release FILE --zip FILE --policy FILE --signer SOCKET
 *     [--ca-bundle FILE] [--journal-dir DIR]
 *
 * Run the deploy flow (uploader/sd_deploy.h) in the foreground through
 * libstep, printing each step as it happens and the final state. First
 * it recovers any release of the journal directory whose deploy stopped
 * part way (completes or rolls it back). Exit 0 when Deployed, 1 with
 * the error that stopped it, 2 for bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_journal.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "step.h"

void
cli_deploy_on_step(void *arg, const char *state, const char *phase,
    const char *detail)
{
	struct cli_aws *a = arg;
	FILE *fp = cli_aws_progress(a);

	if (strcmp(phase, "intent") == 0)
		fprintf(fp, "==> %s\n", state);
	else if (detail != NULL)
		fprintf(fp, "    %s %s: %s\n", state, phase, detail);
	else
		fprintf(fp, "    %s %s\n", state, phase);
	fflush(fp);
	if (strcmp(phase, "intent") != 0)
		cli_aws_report_add(a, "steps", json_pack("{s:s,s:s,s:s?}",
		    "state", state, "phase", phase, "detail", detail));
}

const char *
cli_deploy_crash_at(void)
{
#ifdef SD_TESTING
	return getenv("STEPDEPLOY_TEST_CRASH");
#else
	return NULL;
#endif
}

struct recovery_report {
	struct cli_aws	*a;
	int		 failed;
	int		 show_busy;
};

static void
report_recovery(void *arg, const struct sd_recover_outcome *o)
{
	struct recovery_report *rr = arg;
	FILE *fp = cli_aws_progress(rr->a);

	if (strcmp(o->outcome, "Busy") == 0 && !rr->show_busy)
		return;
	fprintf(fp, "recover %s: %s%s%s%s\n", o->release_id[0] != '\0' ?
	    o->release_id : "?", o->outcome, o->detail[0] != '\0' ? " (" : "",
	    o->detail, o->detail[0] != '\0' ? ")" : "");
	fflush(fp);
	cli_aws_report_add(rr->a, "recovered", json_pack("{s:s,s:s,s:s}",
	    "release_id", o->release_id, "outcome", o->outcome, "detail",
	    o->detail));
	if (strcmp(o->outcome, "Failed") == 0)
		rr->failed++;
}

int
cli_recover_all(struct cli_aws *a, const char *skip, int show_busy,
    int *failed, struct sd_error *err)
{
	struct recovery_report rr = { a, 0, show_busy };
	struct sd_recover_opts ro;
	int r;

	memset(&ro, 0, sizeof(ro));
	ro.aws = a->aws;
	ro.policy = a->policy;
	ro.journal_dir = a->journal_dir;
	ro.skip_release = skip;
	ro.on_step = cli_deploy_on_step;
	ro.on_step_arg = a;
	ro.crash_at = cli_deploy_crash_at();
	r = sd_deploy_recover_dir(&ro, report_recovery, &rr, err);
	*failed += rr.failed;
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
	char to[4200];
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

int
cli_deploy_run(struct cli_aws *a, json_t *release, const char *buf,
    size_t len, const char *zip)
{
	struct sd_error err = SD_ERROR_INIT, e2 = SD_ERROR_INIT;
	struct sd_journal *journal = NULL;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct sd_deploy_ctx ctx;
	json_t *input = NULL;
	char jpath[4096], hpath[4096];
	const char *rid, *e, *cause, *lock_left;
	int rc = 1, failed = 0;

	memset(&ctx, 0, sizeof(ctx));
	rid = json_string_value(json_object_get(release, "release_id"));
	if (rid == NULL || !sd_lock_valid_release_id(rid)) {
		fprintf(stderr, "stepdeploy deploy: the release needs a valid "
		    "release_id\n");
		return EXIT_USAGE;
	}
	if ((size_t)snprintf(jpath, sizeof(jpath), "%s/%s.journal",
	    a->journal_dir, rid) >= sizeof(jpath) ||
	    (size_t)snprintf(hpath, sizeof(hpath), "%s/%s.halt",
	    a->journal_dir, rid) >= sizeof(hpath)) {
		fprintf(stderr, "stepdeploy deploy: --journal-dir is too "
		    "long\n");
		return EXIT_USAGE;
	}
	/* Releases an earlier uploader left in flight come first (this
	 * one's too: then the release's S3 claim refuses it below). */
	if (cli_recover_all(a, NULL, 0, &failed, &err) != 0) {
		fprintf(stderr, "stepdeploy deploy: recovery: %s\n",
		    sd_error_text(&err));
		sd_error_clear(&err);
	}
	/* One journal per attempt: an earlier, ended one is set aside. */
	if (set_aside(jpath, rid, &err) != 0)
		goto fail;
	if (sd_journal_create(jpath, &journal, &err) != 0) {
		if (err.code == SD_ERR_INVALID) {
			sd_error_clear(&err);
			sd_error_set(&err, SD_ERR_INVALID, NULL, "another "
			    "process is deploying release %s (%s was just "
			    "created)", rid, jpath);
		}
		goto fail;
	}
	if (step_machine_new(sd_deploy_definition(),
	    strlen(sd_deploy_definition()), NULL, &m, &err) != 0)
		goto fail;

	ctx.aws = a->aws;
	ctx.policy = a->policy;
	ctx.release = release;
	ctx.release_buf = buf;
	ctx.release_len = len;
	ctx.zip_path = zip;
	ctx.journal = journal;
	ctx.work_dir = a->journal_dir;
	ctx.on_step = cli_deploy_on_step;
	ctx.on_step_arg = a;
	ctx.halt_path = hpath;
	ctx.crash_at = cli_deploy_crash_at();
	if (sd_deploy_register(m, &ctx) != 0) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	input = json_pack("{s:s}", "releaseId", rid);
	if (input == NULL || step_execute(m, input, NULL, &res, &err) != 0)
		goto fail;
	e = step_result_error(res);
	cause = step_result_cause(res);
	if (step_result_status(res) == STEP_SUCCEEDED) {
		if (sd_deploy_journal_end(journal, "Deployed", NULL, NULL,
		    &e2) != 0)
			fprintf(stderr, "stepdeploy deploy: %s\n",
			    sd_error_text(&e2));
		fprintf(cli_aws_progress(a), "deploy %s: Deployed\n", rid);
		lock_left = json_string_value(json_object_get(json_object_get(
		    step_result_output(res), "ReleaseLockError"), "Cause"));
		if (path_has(res, "DeployedLockLeft")) {
			fprintf(stderr, "stepdeploy deploy: warning: the "
			    "release is deployed but its lock could not be "
			    "released (%s): it stays until its lease ends, or "
			    "`stepdeploy unlock --force`\n",
			    lock_left != NULL ? lock_left : "?");
			cli_aws_report_set(a, "lock_left", json_string(
			    lock_left != NULL ? lock_left : "?"));
		}
		cli_aws_report_set(a, "status", json_string("Deployed"));
		cli_aws_report_set(a, "lambda_version", json_string(
		    ctx.version));
		rc = 0;
	} else {
		/* A failed rollback keeps the journal open (and the lock
		 * held): the next start, or `stepdeploy recover`, retries. */
		if ((e == NULL || strcmp(e, "Deploy.RollbackFailed") != 0) &&
		    sd_deploy_journal_end(journal, path_has(res, "Rollback") ?
		    "RolledBack" : "Failed", e, cause, &e2) != 0)
			fprintf(stderr, "stepdeploy deploy: %s\n",
			    sd_error_text(&e2));
		fprintf(cli_aws_progress(a), "deploy %s: %s\n", rid,
		    step_status_name(step_result_status(res)));
		fprintf(stderr, "stepdeploy deploy: %s%s%s\n",
		    e != NULL ? e : "failed", cause != NULL ? ": " : "",
		    cause != NULL ? cause : "");
		cli_aws_report_set(a, "status", json_string(
		    e != NULL && strcmp(e, "Deploy.RollbackFailed") == 0 ?
		    "RollbackFailed" : path_has(res, "Rollback") ?
		    "RolledBack" : "Failed"));
		cli_aws_report_set(a, "error", json_string(e != NULL ? e :
		    "failed"));
		if (cause != NULL)
			cli_aws_report_set(a, "cause", json_string(cause));
		rc = 1;
	}
	(void)unlink(hpath);	/* a halt request is for this run only */
	goto out;
fail:
	fprintf(stderr, "stepdeploy deploy: %s\n", sd_error_text(&err));
	cli_aws_report_set(a, "status", json_string("Failed"));
	cli_aws_report_set(a, "error", json_string(sd_error_text(&err)));
	rc = 1;
out:
	cli_aws_report_set(a, "release_id", json_string(rid));
	cli_aws_report_set(a, "journal", json_string(jpath));
	fflush(stdout);
	sd_error_clear(&e2);
	sd_deploy_ctx_clear(&ctx);
	step_result_free(res);
	step_machine_free(m);
	json_decref(input);
	sd_journal_free(journal);
	sd_error_clear(&err);
	return rc;
}

int
cmd_deploy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		{ "json", no_argument, NULL, 'J' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *release_path = NULL, *zip = NULL;
	struct cli_aws a;
	struct sd_error err = SD_ERROR_INIT;
	json_t *release = NULL;
	char *buf = NULL;
	const char *region;
	size_t len = 0;
	int c, rc = 1;

	cli_aws_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip = optarg; break;
		case 'J': a.json = 1; break;
		case 'h':
			printf("usage: stepdeploy deploy --release FILE --zip "
			    "FILE [--json] " CLI_AWS_USAGE "\n"
			    "With --json the steps go to stderr and one JSON "
			    "object to stdout:\n{\"release_id\", \"status\": "
			    "Deployed|RolledBack|Failed|RollbackFailed, "
			    "\"error\", \"cause\",\n \"steps\": [{\"state\", "
			    "\"phase\", \"detail\"}], \"recovered\": [...], "
			    "\"journal\"}.\n");
			return 0;
		default:
			if (cli_aws_option(&a, c, optarg))
				break;
			return EXIT_USAGE;
		}
	}
	if (optind != argc || release_path == NULL || zip == NULL ||
	    a.policy_path == NULL || a.signer_path == NULL)
		return cli_usage_error("deploy", "--release, --zip, --policy "
		    "and --signer are required");

	if (cli_aws_load_policy(&a, &err) != 0 ||
	    sd_read_file(release_path, (size_t)16 << 20, &buf, &len,
	    &err) != 0 ||
	    sd_release_parse(buf, len, a.policy, &release, &err) != 0) {
		fprintf(stderr, "stepdeploy deploy: %s\n", sd_error_text(&err));
		rc = EXIT_USAGE;
		goto out;
	}
	region = json_string_value(json_object_get(release, "aws_region"));
	if (cli_aws_open(&a, region, &err) != 0) {
		fprintf(stderr, "stepdeploy deploy: %s\n", sd_error_text(&err));
		cli_aws_report_set(&a, "status", json_string("Failed"));
		cli_aws_report_set(&a, "error", json_string(
		    sd_error_text(&err)));
		rc = 1;
	} else
		rc = cli_deploy_run(&a, release, buf, len, zip);
	cli_aws_report_print(&a);
out:
	json_decref(release);
	cli_aws_close(&a);
	free(buf);
	sd_error_clear(&err);
	return rc;
}
