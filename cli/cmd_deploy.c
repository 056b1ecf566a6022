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
#include "sd_run.h"
#include "step.h"

void
cli_deploy_on_step(void *arg, const char *state, const char *phase,
    const char *detail)
{
	struct cli_aws *a = arg;
	FILE *fp = cli_aws_progress(a);

	cli_audit("deploy.step", phase, a->audit_rid, json_pack("{s:s, s:s}",
	    "step", state, "detail", detail != NULL ? detail : ""));

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

static void
report_recovery(void *arg, const struct sd_recover_outcome *o)
{
	struct cli_aws *a = arg;
	FILE *fp = cli_aws_progress(a);

	if (strcmp(o->outcome, "Busy") == 0 && !a->show_busy)
		return;
	fprintf(fp, "recover %s: %s%s%s%s\n", o->release_id[0] != '\0' ?
	    o->release_id : "?", o->outcome, o->detail[0] != '\0' ? " (" : "",
	    o->detail, o->detail[0] != '\0' ? ")" : "");
	fflush(fp);
	cli_aws_report_add(a, "recovered", json_pack("{s:s,s:s,s:s}",
	    "release_id", o->release_id, "outcome", o->outcome, "detail",
	    o->detail));
}

static void
run_opts(struct cli_aws *a, struct sd_run_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->aws = a->aws;
	o->policy = a->policy;
	o->journal_dir = a->journal_dir;
	o->on_step = cli_deploy_on_step;
	o->on_recover = report_recovery;
	o->arg = a;
	o->crash_at = cli_deploy_crash_at();
}

int
cli_recover_all(struct cli_aws *a, const char *skip, int show_busy,
    int *failed, struct sd_error *err)
{
	struct sd_run_opts o;
	int r;

	run_opts(a, &o);
	a->show_busy = show_busy;
	r = sd_run_recover_all(&o, skip, failed, err);
	a->show_busy = 0;
	return r;
}

int
cli_deploy_run(struct cli_aws *a, json_t *release, const char *buf,
    size_t len, const char *zip)
{
	struct sd_run_result res;
	struct sd_run_opts o;
	const char *rid;
	int rc;

	run_opts(a, &o);
	rid = json_string_value(json_object_get(release, "release_id"));
	a->audit_rid = rid;
	cli_audit("deploy.started", "ok", rid, NULL);
	rc = sd_deploy_run(&o, release, buf, len, zip, &res);
	cli_audit("deploy.finished", res.status, rid, json_pack("{s:s?, s:s?}",
	    "error", res.error[0] != '\0' ? res.error : NULL, "cause",
	    res.cause));
	if (rc == 2) {
		fprintf(stderr, "stepdeploy deploy: %s\n", res.error);
		return EXIT_USAGE;
	}
	if (res.journal_error[0] != '\0')
		fprintf(stderr, "stepdeploy deploy: %s\n", res.journal_error);
	if (rc == 0) {
		fprintf(cli_aws_progress(a), "deploy %s: Deployed\n", rid);
		if (res.lock_left != NULL) {
			fprintf(stderr, "stepdeploy deploy: warning: the "
			    "release is deployed but its lock could not be "
			    "released (%s): it stays until its lease ends, or "
			    "`stepdeploy unlock --force`\n", res.lock_left);
			cli_aws_report_set(a, "lock_left", json_string(
			    res.lock_left));
		}
		cli_aws_report_set(a, "status", json_string("Deployed"));
		cli_aws_report_set(a, "lambda_version", json_string(
		    res.version));
	} else {
		if (res.flow[0] != '\0') {
			fprintf(cli_aws_progress(a), "deploy %s: %s\n", rid,
			    res.flow);
			fprintf(stderr, "stepdeploy deploy: %s%s%s\n", res.error,
			    res.cause != NULL ? ": " : "", res.cause != NULL ?
			    res.cause : "");
		} else
			fprintf(stderr, "stepdeploy deploy: %s\n", res.error);
		cli_aws_report_set(a, "status", json_string(res.status));
		cli_aws_report_set(a, "error", json_string(res.error));
		if (res.cause != NULL)
			cli_aws_report_set(a, "cause", json_string(res.cause));
	}
	cli_aws_report_set(a, "release_id", json_string(rid));
	cli_aws_report_set(a, "journal", json_string(res.journal));
	fflush(stdout);
	sd_run_result_clear(&res);
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
