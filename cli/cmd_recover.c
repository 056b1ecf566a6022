/*
 * The operator's commands for releases in flight:
 *
 *	stepdeploy recover [--journal-dir DIR] --policy FILE --signer SOCKET
 *	    Complete or roll back every release of DIR whose deploy stopped
 *	    part way (the uploader was killed or the host went down).
 *	stepdeploy halt RELEASE [--reason TEXT] [--journal-dir DIR]
 *	    Stop a running deploy at its next step; it then rolls back.
 *	stepdeploy rollback PROJECT CONFIG [--to RELEASE] --policy FILE
 *	    --signer SOCKET [--journal-dir DIR]
 *	    Redeploy the release deployed before the current one (or RELEASE),
 *	    under a new release id, through the whole deploy flow.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_aws.h"
#include "sd_err.h"
#include "sd_lock.h"
#include "sd_msg.h"
#include "sd_rollback.h"
#include "sd_run.h"
#include "sd_uploader.h"

/* ------------------------------------------------------------ recover */

/* --abandon: sd_run_abandon, after the arguments' checks. */
static int
abandon(const char *dir, const char *rid, const char *reason)
{
	struct sd_error err = SD_ERROR_INIT;
	char who[512], cause[1600];
	int r;

	if (!sd_lock_valid_release_id(rid))
		return cli_usage_error("recover", "\"%s\" is not a release id",
		    rid);
	if (reason == NULL || reason[0] == '\0' ||
	    strchr(reason, '\n') != NULL || strlen(reason) > 1000)
		return cli_usage_error("recover", "--abandon needs --reason: "
		    "one line, at most 1000 bytes");
	cli_aws_who(who, sizeof(who));
	r = sd_run_abandon(dir, rid, who, reason, cause, sizeof(cause), &err);
	if (r == SD_ERR_USAGE)
		r = cli_usage_error("recover", "%s", sd_error_text(&err));
	else if (r != 0) {
		fprintf(stderr, "stepdeploy recover: %s\n",
		    sd_error_text(&err));
		r = 1;
	} else
		printf("recover %s: Abandoned (%s)\n", rid, cause);
	sd_error_clear(&err);
	return r;
}

int
cmd_recover(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "abandon", required_argument, NULL, 'a' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'J' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_aws a;
	struct sd_error err = SD_ERROR_INIT;
	const char *abandon_rid = NULL, *reason = NULL;
	json_t *regions = NULL, *v;
	size_t i;
	int c, rc = 0, failed = 0;

	cli_aws_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': abandon_rid = optarg; break;
		case 'r': reason = optarg; break;
		case 'J': a.json = 1; break;
		case 'h':
			printf("usage: stepdeploy recover [--json] "
			    CLI_AWS_USAGE "\n"
			    "       stepdeploy recover --abandon RELEASE "
			    "--reason TEXT [--journal-dir DIR]\n"
			    "Complete or roll back every release of the "
			    "journal directory whose deploy stopped part "
			    "way.\nWith --abandon, end the journal of a release "
			    "recovery must leave alone (its lock was taken\n"
			    "over): nothing in AWS is touched.\n");
			return 0;
		default:
			if (!cli_aws_option(&a, c, optarg))
				return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("recover", "unexpected argument %s",
		    argv[optind]);
	if (abandon_rid != NULL)
		return abandon(a.journal_dir, abandon_rid, reason);
	if (reason != NULL)
		return cli_usage_error("recover", "--reason goes with "
		    "--abandon");
	if (a.policy_path == NULL || a.signer_path == NULL)
		return cli_usage_error("recover", "--policy and --signer are "
		    "required");
	if (cli_aws_load_policy(&a, &err) != 0 ||
	    (regions = sd_run_journal_regions(a.journal_dir, &err)) == NULL) {
		fprintf(stderr, "stepdeploy recover: %s\n",
		    sd_error_text(&err));
		rc = EXIT_USAGE;
		goto out;
	}
	if (json_array_size(regions) == 0)
		fprintf(cli_aws_progress(&a), "recover: no release in flight "
		    "in %s\n", a.journal_dir);
	cli_aws_report_set(&a, "recovered", json_array());
	json_array_foreach(regions, i, v) {
		sd_aws_free(a.aws);
		a.aws = NULL;
		sd_aws_signer_free(a.signer);
		a.signer = NULL;
		if (cli_aws_open(&a, json_string_value(v), &err) != 0 ||
		    cli_recover_all(&a, NULL, 1, &failed, &err) != 0) {
			fprintf(stderr, "stepdeploy recover: %s\n",
			    sd_error_text(&err));
			sd_error_clear(&err);
			rc = 1;
		}
	}
	if (failed > 0)
		rc = 1;
	cli_aws_report_print(&a);
out:
	json_decref(regions);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}

/* ------------------------------------------------------------ halt */

int
cmd_halt(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "journal-dir", required_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sd_run_halt h;
	const char *sock = NULL;
	int journal_given = 0;
	struct sd_error err = SD_ERROR_INIT;
	const char *dir = ".", *reason = "", *rid;
	char who[512], line[2048];
	int c, r, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': reason = optarg; break;
		case 'j': dir = optarg; journal_given = 1; break;
		case 's': sock = optarg; break;
		case 'h':
			printf("usage: stepdeploy halt RELEASE [--socket PATH]\n"
			    "       stepdeploy halt RELEASE [--reason TEXT] "
			    "[--journal-dir DIR]\nStop a queued or running "
			    "deploy at its next step; it then rolls back.\n"
			    "The first form asks the service (the uploader's "
			    "socket, default %s; used\nwhen it is there and no "
			    "--journal-dir is given); the second stops a\n"
			    "`stepdeploy deploy` running in the foreground.\n",
			    SD_UPLOADER_DEFAULT_SOCKET);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("halt", "name one RELEASE");
	rid = argv[optind];
	if (!sd_lock_valid_release_id(rid))
		return cli_usage_error("halt", "\"%s\" is not a release id",
		    rid);
	if (strchr(reason, '\n') != NULL || strlen(reason) > 1000)
		return cli_usage_error("halt", "--reason: one line, at most "
		    "1000 bytes");
	if (sock != NULL && journal_given)
		return cli_usage_error("halt", "--socket (the service) or "
		    "--journal-dir (a foreground deploy), not both");
	if (sock == NULL && !journal_given &&
	    access(SD_UPLOADER_DEFAULT_SOCKET, F_OK) == 0)
		sock = SD_UPLOADER_DEFAULT_SOCKET;
	if (sock != NULL) {
		json_t *req = json_pack("{s:s}", "release_id", rid), *reply;

		rc = cli_service_call("halt", sock, SD_MSG_HALT, req,
		    SD_MSG_OK, &reply);
		json_decref(req);
		if (rc == 0)
			printf("halt %s: requested; the service stops the "
			    "deploy at its next step and rolls back what it "
			    "changed\n", rid);
		json_decref(reply);
		return rc;
	}
	cli_aws_who(who, sizeof(who));
	(void)snprintf(line, sizeof(line), "by %s%s%s\n", who,
	    reason[0] != '\0' ? ": " : "", reason);
	r = sd_run_halt(dir, rid, line, &h, &err);
	if (r == SD_ERR_USAGE)
		rc = cli_usage_error("halt", "%s", sd_error_text(&err));
	else if (r != 0)
		fprintf(stderr, "stepdeploy halt: %s\n", sd_error_text(&err));
	else if (h.ended)
		fprintf(stderr, "stepdeploy halt: release %s has ended (%s)\n",
		    rid, h.status);
	else if (h.idle)
		fprintf(stderr, "stepdeploy halt: release %s is in flight but "
		    "no deploy is running it: `stepdeploy recover` completes "
		    "or rolls it back\n", rid);
	else if (h.existed) {
		printf("halt %s: already requested\n", rid);
		rc = 0;
	} else {
		printf("halt %s: requested %s; the deploy stops at its next "
		    "step (now %s) and rolls back what it changed\n", rid,
		    line, h.at);
		rc = 0;
	}
	sd_error_clear(&err);
	return rc;
}

/* ------------------------------------------------------------ rollback */

int
cmd_rollback(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'J' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_aws a;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_rollback rb;
	const char *to = NULL;
	FILE *fp;
	int c, rc = 1;

	memset(&rb, 0, sizeof(rb));
	cli_aws_init(&a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't': to = optarg; break;
		case 'J': a.json = 1; break;
		case 'h':
			printf("usage: stepdeploy rollback PROJECT CONFIG "
			    "[--to RELEASE] [--json] " CLI_AWS_USAGE "\nRedeploy the "
			    "release deployed before the current one (or "
			    "RELEASE) under a new release id.\n");
			return 0;
		default:
			if (cli_aws_option(&a, c, optarg))
				break;
			return EXIT_USAGE;
		}
	}
	if (optind + 2 != argc || a.policy_path == NULL ||
	    a.signer_path == NULL)
		return cli_usage_error("rollback", "usage: stepdeploy rollback "
		    "PROJECT CONFIG --policy FILE --signer SOCKET");
	if (cli_aws_load_policy(&a, &err) != 0 ||
	    sd_rollback_init(a.policy, argv[optind], argv[optind + 1], &rb,
	    &err) != 0)
		goto usage;
	if (cli_aws_open(&a, rb.region, &err) != 0 ||
	    sd_rollback_target(a.aws, to, &rb, &err) != 0)
		goto fail;
	fp = cli_aws_progress(&a);
	fprintf(fp, "rollback %s %s: from %s to %s\n", rb.project, rb.config,
	    rb.from != NULL ? rb.from : "?", rb.to);
	cli_aws_report_set(&a, "rollback_from", json_string(rb.from != NULL ?
	    rb.from : "?"));
	cli_aws_report_set(&a, "rollback_to", json_string(rb.to));
	if (sd_rollback_fetch(a.aws, a.policy, a.journal_dir, &rb, &err) != 0)
		goto fail;
	fprintf(fp, "rollback: deploying %s's code and definition as release "
	    "%s\n", rb.to, rb.new_id);
	fflush(fp);
	rc = cli_deploy_run(&a, rb.release, rb.buf, strlen(rb.buf),
	    rb.zip_path);
	cli_aws_report_print(&a);
	goto out;
usage:
	fprintf(stderr, "stepdeploy rollback: %s\n", sd_error_text(&err));
	rc = EXIT_USAGE;
	goto out;
fail:
	fprintf(stderr, "stepdeploy rollback: %s\n", sd_error_text(&err));
	cli_aws_report_set(&a, "status", json_string("Failed"));
	cli_aws_report_set(&a, "error", json_string(sd_error_text(&err)));
	cli_aws_report_print(&a);
	rc = 1;
out:
	sd_rollback_clear(&rb);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}
