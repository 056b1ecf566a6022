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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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
#include "sd_msg.h"
#include "sd_run.h"
#include "sd_uploader.h"
#include "sd_time.h"

/* ------------------------------------------------------------ recover */

/*
 * End the journal of a release that recovery must leave alone (its lock
 * was taken over, or removed by hand): an operator has checked the
 * Lambda and state machine. Touches nothing in AWS.
 */
static int
abandon(const char *dir, const char *rid, const char *reason)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	struct sd_error err = SD_ERROR_INIT;
	char path[4096], who[512], cause[1600];
	int rc = 1;

	if (!sd_lock_valid_release_id(rid))
		return cli_usage_error("recover", "\"%s\" is not a release id",
		    rid);
	if (reason == NULL || reason[0] == '\0' ||
	    strchr(reason, '\n') != NULL || strlen(reason) > 1000)
		return cli_usage_error("recover", "--abandon needs --reason: "
		    "one line, at most 1000 bytes");
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.journal", dir, rid) >=
	    sizeof(path))
		return cli_usage_error("recover", "--journal-dir is too long");
	if (sd_journal_open_idle(path, &j, &err) != 0 ||
	    sd_journal_replay(path, &st, &err) != 0)
		goto out;
	if (json_object_get(st.dones, SD_DEPLOY_END_STEP) != NULL) {
		sd_error_set(&err, SD_ERR_INVALID, NULL, "release %s has "
		    "ended already", rid);
		goto out;
	}
	cli_aws_who(who, sizeof(who));
	(void)snprintf(cause, sizeof(cause), "abandoned by %s: %s (it was "
	    "at %s)", who, reason, st.in_flight != NULL ? st.in_flight :
	    st.last_done != NULL ? st.last_done : "its start");
	if (sd_deploy_journal_end(j, "Abandoned", "Deploy.Abandoned", cause,
	    &err) != 0)
		goto out;
	printf("recover %s: Abandoned (%s)\n", rid, cause);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "stepdeploy recover: %s\n",
		    sd_error_text(&err));
	sd_journal_state_clear(&st);
	sd_journal_free(j);
	sd_error_clear(&err);
	return rc;
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
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	const char *sock = NULL;
	int journal_given = 0;
	struct sd_journal *j = NULL;
	struct sd_error err = SD_ERROR_INIT;
	const char *dir = ".", *reason = "", *rid;
	char jpath[4096], hpath[4096], who[512], line[2048];
	int c, fd, r, rc = 1;
	size_t n;

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
	if ((size_t)snprintf(jpath, sizeof(jpath), "%s/%s.journal", dir,
	    rid) >= sizeof(jpath) || (size_t)snprintf(hpath, sizeof(hpath),
	    "%s/%s.halt", dir, rid) >= sizeof(hpath))
		return cli_usage_error("halt", "--journal-dir is too long");
	if (sd_journal_replay(jpath, &st, &err) != 0) {
		fprintf(stderr, "stepdeploy halt: %s\n", sd_error_text(&err));
		goto out;
	}
	if (json_object_get(st.dones, SD_DEPLOY_END_STEP) != NULL) {
		fprintf(stderr, "stepdeploy halt: release %s has ended (%s)\n",
		    rid, json_string_value(json_object_get(json_object_get(
		    st.dones, SD_DEPLOY_END_STEP), "status")));
		goto out;
	}
	r = sd_journal_open_idle(jpath, &j, &err);
	sd_journal_free(j);
	if (r == 0) {
		fprintf(stderr, "stepdeploy halt: release %s is in flight but "
		    "no deploy is running it: `stepdeploy recover` completes "
		    "or rolls it back\n", rid);
		goto out;
	}
	sd_error_clear(&err);
	cli_aws_who(who, sizeof(who));
	n = (size_t)snprintf(line, sizeof(line), "by %s%s%s\n", who,
	    reason[0] != '\0' ? ": " : "", reason);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	fd = open(hpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 && errno == EEXIST) {
		printf("halt %s: already requested\n", rid);
		rc = 0;
		goto out;
	}
	if (fd == -1 || write(fd, line, n) != (ssize_t)n || fsync(fd) != 0) {
		fprintf(stderr, "stepdeploy halt: %s: %s\n", hpath,
		    strerror(errno));
		if (fd != -1)
			(void)close(fd);
		goto out;
	}
	(void)close(fd);
	printf("halt %s: requested %s; the deploy stops at its next step "
	    "(now %s) and rolls back what it changed\n", rid, line,
	    st.in_flight != NULL ? st.in_flight : st.last_done != NULL ?
	    st.last_done : "starting");
	rc = 0;
out:
	sd_journal_state_clear(&st);
	sd_error_clear(&err);
	return rc;
}

/* ------------------------------------------------------------ rollback */

/* GET bucket/key into *out (new). */
static int
get_object(struct cli_aws *a, const char *bucket, const char *key,
    size_t max, struct sd_aws_s3_object *o, struct sd_error *err)
{
	memset(o, 0, sizeof(*o));
	return sd_aws_s3_get_object(a->aws, bucket, key, NULL, max, o, NULL,
	    err);
}

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
	struct sd_aws_s3_object hist, rel, zip;
	const struct sd_policy_project *proj;
	const char *project, *config, *to = NULL, *bucket, *region, *cur;
	json_t *h = NULL, *target = NULL, *release = NULL, *e;
	char key[1024], zpath[4096], newid[SD_LOCK_RELEASE_MAX], stamp[20];
	char *buf = NULL, hex[65], now[64];
	size_t i;
	int c, fd, rc = 1;
	time_t t;
	struct tm tm;

	memset(&hist, 0, sizeof(hist));
	memset(&rel, 0, sizeof(rel));
	memset(&zip, 0, sizeof(zip));
	zpath[0] = '\0';
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
	project = argv[optind];
	config = argv[optind + 1];
	if (cli_aws_load_policy(&a, &err) != 0)
		goto usage;
	if ((proj = sd_policy_project(a.policy, project)) == NULL ||
	    !sd_policy_project_has_config(proj, config)) {
		sd_error_set(&err, SD_ERR_INVALID, NULL, "%s %s is not a "
		    "project and config of the policy", project, config);
		goto usage;
	}
	bucket = sd_policy_project_bucket(proj);
	region = sd_policy_project_region(proj, 0);
	if (cli_aws_open(&a, region, &err) != 0 ||
	    sd_deploy_history_key(project, config, key, sizeof(key)) != 0)
		goto fail;
	if (get_object(&a, bucket, key, (size_t)1 << 20, &hist, &err) != 0) {
		if (err.code == SD_ERR_NOTFOUND) {
			sd_error_clear(&err);
			sd_error_set(&err, SD_ERR_NOTFOUND, NULL, "%s %s has no "
			    "deploy history (%s): nothing to roll back to",
			    project, config, key);
		}
		goto fail;
	}
	if ((h = sd_json_loadb(hist.body, hist.len, 0, key, &err)) == NULL)
		goto fail;
	cur = json_string_value(json_object_get(h, "release_id"));
	json_array_foreach(json_object_get(h, "history"), i, e) {
		const char *id = json_string_value(json_object_get(e,
		    "release_id"));

		if (id == NULL || (cur != NULL && strcmp(id, cur) == 0))
			continue;
		if (to == NULL || strcmp(id, to) == 0) {
			target = e;
			break;
		}
	}
	if (target == NULL) {
		sd_error_set(&err, SD_ERR_NOTFOUND, NULL, to != NULL ?
		    "release %s is not in the deploy history of %s %s" :
		    "%s%s %s has no release before %s", to != NULL ? to : "",
		    project, config, cur != NULL ? cur : "the current one");
		goto fail;
	}
	to = json_string_value(json_object_get(target, "release_id"));
	fprintf(cli_aws_progress(&a), "rollback %s %s: from %s to %s\n",
	    project, config, cur != NULL ? cur : "?", to);
	cli_aws_report_set(&a, "rollback_from", json_string(cur != NULL ?
	    cur : "?"));
	cli_aws_report_set(&a, "rollback_to", json_string(to));

	/* The target's release and zip, as it was deployed. */
	(void)snprintf(key, sizeof(key), "%s/%s/%s/release.json", project,
	    config, to);
	if (get_object(&a, bucket, key, SD_LOCK_RELEASE_JSON_MAX, &rel,
	    &err) != 0 || (release = sd_json_loadb(rel.body, rel.len, 0, key,
	    &err)) == NULL)
		goto fail;
	(void)snprintf(key, sizeof(key), "%s/%s/%s/lambda.zip", project,
	    config, to);
	if ((size_t)snprintf(zpath, sizeof(zpath), "%s/rollback-%s.zip",
	    a.journal_dir, to) >= sizeof(zpath)) {
		sd_error_set(&err, SD_ERR_LIMIT, NULL, "--journal-dir is too "
		    "long");
		goto fail;
	}
	if (get_object(&a, bucket, key, (size_t)256 << 20, &zip, &err) != 0)
		goto fail;
	fd = open(zpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1 || write(fd, zip.body, zip.len) != (ssize_t)zip.len ||
	    close(fd) != 0) {
		sd_error_set(&err, SD_ERR_IO, NULL, "%s: %s", zpath,
		    strerror(errno));
		goto fail;
	}
	if (sd_aws_sha256_file(zpath, hex, NULL, NULL, &err) != 0)
		goto fail;

	/* A new release id: a release id is never deployed twice. */
	t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0 ||
	    sd_time_format(sd_time_now(), now, sizeof(now)) != 0) {
		sd_error_set(&err, SD_ERR_INTERNAL, NULL, "no clock");
		goto fail;
	}
	(void)snprintf(newid, sizeof(newid), "%.38s.rollback-%.16s", to,
	    stamp);
	if (json_object_set_new(release, "release_id", json_string(newid)) ||
	    json_object_set_new(release, "created_at", json_string(now)) ||
	    json_object_set_new(release, "lambda_sha256", json_string(hex))) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	if ((buf = sd_json_dumps(release, SD_JSON_SORT_KEYS)) == NULL) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	json_decref(release);
	release = NULL;
	if (sd_release_parse(buf, strlen(buf), a.policy, &release,
	    &err) != 0)
		goto fail;
	fprintf(cli_aws_progress(&a), "rollback: deploying %s's code and "
	    "definition as release %s\n", to, newid);
	fflush(cli_aws_progress(&a));
	rc = cli_deploy_run(&a, release, buf, strlen(buf), zpath);
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
	if (zpath[0] != '\0')
		(void)unlink(zpath);
	free(buf);
	json_decref(h);
	json_decref(release);
	sd_aws_s3_object_clear(&hist);
	sd_aws_s3_object_clear(&rel);
	sd_aws_s3_object_clear(&zip);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}
