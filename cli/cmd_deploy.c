/*
 * stepdeploy deploy --release FILE --zip FILE --policy FILE --signer SOCKET
 *     [--ca-bundle FILE] [--journal-dir DIR]
 *
 * Run the deploy flow (uploader/sd_deploy.h) in the foreground through
 * libstep, printing each step as it happens and the final state. Exit 0
 * when Deployed, 1 with the error that stopped it, 2 for bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void
on_step(void *arg, const char *state, const char *phase, const char *detail)
{
	(void)arg;
	if (strcmp(phase, "intent") == 0)
		printf("==> %s\n", state);
	else if (detail != NULL)
		printf("    %s %s: %s\n", state, phase, detail);
	else
		printf("    %s %s\n", state, phase);
	fflush(stdout);
}

int
cmd_deploy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *release_path = NULL, *zip = NULL;
	struct cli_aws a;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal *journal = NULL;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct sd_deploy_ctx ctx;
	json_t *release = NULL, *input = NULL;
	char *buf = NULL, jpath[4096];
	const char *region, *rid;
	size_t len = 0;
	int c, rc = 1;

	cli_aws_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip = optarg; break;
		case 'h':
			printf("usage: stepdeploy deploy --release FILE --zip "
			    "FILE " CLI_AWS_USAGE "\n");
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
	memset(&ctx, 0, sizeof(ctx));

	if (cli_aws_load_policy(&a, &err) != 0 ||
	    sd_read_file(release_path, (size_t)16 << 20, &buf, &len,
	    &err) != 0 ||
	    sd_release_parse(buf, len, a.policy, &release, &err) != 0) {
		fprintf(stderr, "stepdeploy deploy: %s\n", sd_error_text(&err));
		rc = EXIT_USAGE;
		goto out;
	}
	region = json_string_value(json_object_get(release, "aws_region"));
	rid = json_string_value(json_object_get(release, "release_id"));
	if (region == NULL || rid == NULL || !sd_lock_valid_release_id(rid)) {
		fprintf(stderr, "stepdeploy deploy: the release needs "
		    "aws_region and a valid release_id\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (cli_aws_open(&a, region, &err) != 0)
		goto fail;
	(void)snprintf(jpath, sizeof(jpath), "%s/%s.journal", a.journal_dir,
	    rid);
	if (sd_journal_open(jpath, &journal, &err) != 0)
		goto fail;
	if (step_machine_new(sd_deploy_definition(),
	    strlen(sd_deploy_definition()), NULL, &m, &err) != 0)
		goto fail;

	ctx.aws = a.aws;
	ctx.policy = a.policy;
	ctx.release = release;
	ctx.release_buf = buf;
	ctx.release_len = len;
	ctx.zip_path = zip;
	ctx.journal = journal;
	ctx.work_dir = a.journal_dir;
	ctx.on_step = on_step;
	if (sd_deploy_register(m, &ctx) != 0) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	input = json_pack("{s:s}", "releaseId", rid);
	if (input == NULL || step_execute(m, input, NULL, &res, &err) != 0)
		goto fail;
	if (step_result_status(res) == STEP_SUCCEEDED) {
		printf("deploy %s: Deployed\n", rid);
		rc = 0;
	} else {
		printf("deploy %s: %s\n", rid,
		    step_status_name(step_result_status(res)));
		fprintf(stderr, "stepdeploy deploy: %s%s%s\n",
		    step_result_error(res) != NULL ? step_result_error(res) :
		    "failed", step_result_cause(res) != NULL ? ": " : "",
		    step_result_cause(res) != NULL ? step_result_cause(res) :
		    "");
		rc = 1;
	}
	goto out;
fail:
	fprintf(stderr, "stepdeploy deploy: %s\n", sd_error_text(&err));
	rc = 1;
out:
	fflush(stdout);
	sd_deploy_ctx_clear(&ctx);
	step_result_free(res);
	step_machine_free(m);
	json_decref(input);
	json_decref(release);
	sd_journal_free(journal);
	cli_aws_close(&a);
	free(buf);
	sd_error_clear(&err);
	return rc;
}
