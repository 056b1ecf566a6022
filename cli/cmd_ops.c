/*
 * The operator's commands on a project's config in S3 (uploader/sd_lock.h):
 *
 * stepdeploy freeze PROJECT CONFIG --reason TEXT [--region REGION] <aws>
 *	Create the freeze marker {by, reason, at}: every deploy of the config
 *	is refused (its Lock step names who froze it, when and why) until
 *	unfreeze. Freezing a frozen config fails, naming who froze it.
 * stepdeploy unfreeze PROJECT CONFIG [--region REGION] <aws>
 *	Remove the freeze marker (saying what it said); a config that is not
 *	frozen is left as it is.
 * stepdeploy unlock PROJECT CONFIG --force --reason TEXT [--region REGION]
 *     <aws>
 *	Remove a stuck deploy lock: read it, delete it with If-Match on the
 *	ETag read (a lock that changes meanwhile is not removed), then record
 *	who did it and why in PROJECT/CONFIG/audit/unlock-TIME-RANDOM.json
 *	(created with If-None-Match).
 *
 * What they do is uploader/sd_ops.h's; this file parses the arguments
 * and says what was found and done.
 * <aws> is CLI_AWS_USAGE (cli_aws.h). The bucket is the project's (the
 * policy's), the region --region or the project's first. "by" is
 * USER@HOST (cli_aws_who). Exit 0 done, 1 refused or failed, 2 bad usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_err.h"
#include "sd_lock.h"
#include "sd_ops.h"
#include "sd_policy.h"

#define OPT_REASON	'r'
#define OPT_REGION	'g'
#define OPT_FORCE	'f'
#define OPT_HELP	'h'

#define WHO_MAX		SD_LOCK_BY_MAX

/* What the three commands take. */
struct ops {
	const char	*cmd;
	const char	*project;
	const char	*config;
	const char	*reason;
	const char	*region;
	const char	*bucket;	/* the policy's, after ops_open */
	int		 force;
	struct cli_aws	 a;
};

/* 1 when s is 1..max-1 bytes of printable ASCII. */
static int
printable(const char *s, size_t max)
{
	size_t i, n = strlen(s);

	if (n == 0 || n >= max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Parse argv into o. -1 to go on; otherwise the exit status (0 after
 * --help, EXIT_USAGE).
 */
static int
ops_parse(int argc, char **argv, struct ops *o, const char *usage,
    const char *help, int reason_required, int force_required)
{
	static const struct option longopts[] = {
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "force", no_argument, NULL, OPT_FORCE },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_aws_init(&o->a);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_REASON: o->reason = optarg; break;
		case OPT_REGION: o->region = optarg; break;
		case OPT_FORCE:
			if (!force_required)
				return cli_usage_error(o->cmd, "--force is not "
				    "an option of %s", o->cmd);
			o->force = 1;
			break;
		case OPT_HELP:
			printf("usage: %s\n%s", usage, help);
			return 0;
		case '?':
			return cli_usage_error(o->cmd, "unknown option or "
			    "missing value: %s (usage: %s)", optind > 1 &&
			    optind <= argc ? argv[optind - 1] : "?", usage);
		default:
			if (cli_aws_option(&o->a, c, optarg))
				break;
			return cli_usage_error(o->cmd, "usage: %s", usage);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error(o->cmd, "PROJECT and CONFIG are "
		    "required (usage: %s)", usage);
	o->project = argv[optind];
	o->config = argv[optind + 1];
	if (!sd_policy_valid_project_name(o->project))
		return cli_usage_error(o->cmd, "\"%s\" is not a project name "
		    "(OWNER/NAME)", o->project);
	if (!sd_policy_valid_config_name(o->config))
		return cli_usage_error(o->cmd, "\"%s\" is not a config name",
		    o->config);
	if (force_required && !o->force)
		return cli_usage_error(o->cmd, "--force is required: the lock "
		    "may belong to a deploy that is still running");
	if (reason_required && o->reason == NULL)
		return cli_usage_error(o->cmd, "--reason TEXT is required");
	if (o->reason != NULL && !printable(o->reason, SD_LOCK_REASON_MAX))
		return cli_usage_error(o->cmd, "--reason must be 1-%d bytes "
		    "of printable ASCII", SD_LOCK_REASON_MAX - 1);
	if (o->a.policy_path == NULL || o->a.signer_path == NULL)
		return cli_usage_error(o->cmd, "--policy and --signer are "
		    "required");
	return -1;
}

/*
 * The policy, the project's bucket and region, and the AWS client.
 * -1 to go on, else the exit status (message printed).
 */
static int
ops_open(struct ops *o)
{
	struct sd_error err = SD_ERROR_INIT;
	int rc;

	if (cli_aws_load_policy(&o->a, &err) != 0 ||
	    sd_ops_scope(o->a.policy, o->a.policy_path, o->project, o->config,
	    &o->region, &o->bucket, &err) != 0) {
		rc = cli_usage_error(o->cmd, "%s", sd_error_text(&err));
		goto out;
	}
	if (cli_aws_open(&o->a, o->region, &err) != 0) {
		fprintf(stderr, "stepdeploy %s: %s\n", o->cmd,
		    sd_error_text(&err));
		rc = 1;
		goto out;
	}
	rc = -1;
 out:
	sd_error_clear(&err);
	return rc;
}

static int
failed(struct ops *o, struct sd_error *err)
{
	fprintf(stderr, "stepdeploy %s: %s\n", o->cmd, sd_error_text(err));
	return 1;
}

/* ------------------------------------------------------------ freeze */

int
cmd_freeze(int argc, char **argv)
{
	static const char usage[] = "stepdeploy freeze PROJECT CONFIG --reason "
	    "TEXT [--region REGION] " CLI_AWS_USAGE;
	static const char help[] =
	    "Freeze a config: every deploy of PROJECT CONFIG is refused, naming\n"
	    "who froze it, when and why, until `stepdeploy unfreeze`. A deploy\n"
	    "already past its Lock step is not stopped. The marker is\n"
	    "s3://BUCKET/PROJECT/CONFIG/freeze (the project's bucket and, unless\n"
	    "--region, its first region, from the policy).\n";
	struct ops o;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lock_info li;
	char who[WHO_MAX], at[40], until[40];
	int64_t now;
	int rc, held = 0;

	memset(&o, 0, sizeof(o));
	o.cmd = "freeze";
	if ((rc = ops_parse(argc, argv, &o, usage, help, 1, 0)) >= 0)
		goto out;
	if ((rc = ops_open(&o)) >= 0)
		goto out;
	cli_aws_who(who, sizeof(who));
	now = (int64_t)time(NULL);
	if (sd_ops_freeze(o.a.aws, o.bucket, o.project, o.config, who,
	    o.reason, now, &held, &li, &err) != 0) {
		rc = failed(&o, &err);
		goto out;
	}
	cli_audit("freeze", "ok", NULL, json_pack("{s:s, s:s, s:s}", "project",
	    o.project, "config", o.config, "reason", o.reason));
	sd_lock_fmt_utc(now, SD_LOCK_RFC3339, at, sizeof(at));
	printf("froze %s %s: by %s at %s: %s\n", o.project, o.config, who,
	    at, o.reason);
	printf("deploys of %s %s are refused until `stepdeploy unfreeze %s "
	    "%s`\n", o.project, o.config, o.project, o.config);
	if (held) {
		sd_lock_fmt_utc(li.expires_at, SD_LOCK_RFC3339, until,
		    sizeof(until));
		printf("note: a deploy of release %s (%s) holds the lock until "
		    "%s; the freeze does not stop it\n", li.release_id,
		    li.holder, until);
	}
	rc = 0;
 out:
	fflush(stdout);
	sd_error_clear(&err);
	cli_aws_close(&o.a);
	return rc;
}

/* ------------------------------------------------------------ unfreeze */

int
cmd_unfreeze(int argc, char **argv)
{
	static const char usage[] = "stepdeploy unfreeze PROJECT CONFIG "
	    "[--region REGION] " CLI_AWS_USAGE;
	static const char help[] =
	    "Remove the freeze marker of PROJECT CONFIG, so it can be deployed\n"
	    "again, and say who had frozen it and why. A config that is not\n"
	    "frozen is left as it is (exit 0).\n";
	struct ops o;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_ops_unfreeze res;
	char at[40];
	int rc, r;

	memset(&o, 0, sizeof(o));
	o.cmd = "unfreeze";
	if ((rc = ops_parse(argc, argv, &o, usage, help, 0, 0)) >= 0)
		goto out;
	if ((rc = ops_open(&o)) >= 0)
		goto out;
	r = sd_ops_unfreeze(o.a.aws, o.bucket, o.project, o.config, &res,
	    &err);
	if (res.unreadable)
		fprintf(stderr, "stepdeploy unfreeze: warning: %s\n",
		    res.warning);
	if (r != 0) {
		rc = failed(&o, &err);
		goto out;
	}
	cli_audit("unfreeze", res.frozen ? "ok" : "not frozen", NULL,
	    json_pack("{s:s, s:s}", "project", o.project, "config", o.config));
	if (!res.frozen)
		printf("%s %s is not frozen\n", o.project, o.config);
	else if (res.unreadable)
		printf("unfroze %s %s (its freeze marker was unreadable)\n",
		    o.project, o.config);
	else {
		sd_lock_fmt_utc(res.was.at, SD_LOCK_RFC3339, at, sizeof(at));
		printf("unfroze %s %s (frozen by %s since %s: %s)\n", o.project,
		    o.config, res.was.by, at, res.was.reason[0] != '\0' ?
		    res.was.reason : "no reason given");
	}
	rc = 0;
 out:
	fflush(stdout);
	sd_error_clear(&err);
	cli_aws_close(&o.a);
	return rc;
}

/* ------------------------------------------------------------ unlock */

int
cmd_unlock(int argc, char **argv)
{
	static const char usage[] = "stepdeploy unlock PROJECT CONFIG --force "
	    "--reason TEXT [--region REGION] " CLI_AWS_USAGE;
	static const char help[] =
	    "Remove the deploy lock of PROJECT CONFIG left by a deploy that\n"
	    "will not finish (crashed, killed). The lock is read, then deleted\n"
	    "only if it is still the one read (If-Match on its ETag); the\n"
	    "removal is recorded, with who did it and why, in\n"
	    "s3://BUCKET/PROJECT/CONFIG/audit/unlock-TIME-RANDOM.json.\n"
	    "A lock that has not expired may belong to a deploy still running:\n"
	    "a deploy that was interrupted may have to be resumed or rolled\n"
	    "back from its journal. Exit 1 when there is no lock.\n";
	struct ops o;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_ops_unlock u;
	const struct sd_lock_info *li = &u.li;
	char who[WHO_MAX], acq[40], exp[40];
	int64_t now;
	int rc, r;

	memset(&o, 0, sizeof(o));
	memset(&u, 0, sizeof(u));
	o.cmd = "unlock";
	if ((rc = ops_parse(argc, argv, &o, usage, help, 1, 1)) >= 0)
		goto out;
	if ((rc = ops_open(&o)) >= 0)
		goto out;

	/* What is there. */
	r = sd_ops_unlock_read(o.a.aws, o.bucket, o.project, o.config, &u,
	    &err);
	if (u.lock_key[0] == '\0') {
		rc = cli_usage_error(o.cmd, "S3 key too long");
		goto out;
	}
	if (r == SD_ERR_NOTFOUND && u.readable) {
		fprintf(stderr, "stepdeploy unlock: %s %s is not locked "
		    "(s3://%s/%s does not exist); nothing to remove\n",
		    o.project, o.config, o.bucket, u.lock_key);
		rc = 1;
		goto out;
	}
	if (!u.readable)
		fprintf(stderr, "stepdeploy unlock: warning: %s\n", u.warning);
	if (r != 0) {
		rc = failed(&o, &err);
		goto out;
	}
	now = (int64_t)time(NULL);
	if (u.readable) {
		sd_lock_fmt_utc(li->acquired_at, SD_LOCK_RFC3339, acq,
		    sizeof(acq));
		sd_lock_fmt_utc(li->expires_at, SD_LOCK_RFC3339, exp,
		    sizeof(exp));
		printf("lock of %s %s: release %s, holder %s, acquired %s, "
		    "expires %s (%s)\n", o.project, o.config, li->release_id,
		    li->holder, acq, exp, li->expires_at <= now ? "expired" :
		    "not expired");
		if (li->expires_at > now)
			fprintf(stderr, "stepdeploy unlock: warning: the lock "
			    "has not expired: a deploy of release %s may still "
			    "be running; removing it as --force says\n",
			    li->release_id);
	} else
		printf("lock of %s %s: unreadable object, ETag %s\n",
		    o.project, o.config, li->etag);

	/* Remove exactly what was read. */
	r = sd_ops_unlock_remove(o.a.aws, o.bucket, &u, &err);
	if (r != 0 && u.changed) {
		fprintf(stderr, "stepdeploy unlock: the lock changed since it "
		    "was read (taken over or renewed); nothing was removed: "
		    "%s\n", sd_error_text(&err));
		rc = 1;
		goto out;
	} else if (r != 0 && u.vanished) {
		fprintf(stderr, "stepdeploy unlock: the lock vanished since it "
		    "was read (released by its holder?); nothing was "
		    "removed\n");
		rc = 1;
		goto out;
	} else if (r != 0) {
		rc = failed(&o, &err);
		goto out;
	}
	cli_audit("unlock", "ok", li->release_id[0] != '\0' ? li->release_id :
	    NULL, json_pack("{s:s, s:s, s:s, s:s, s:s}", "project", o.project,
	    "config", o.config, "reason", o.reason, "holder", li->holder,
	    "lock", u.lock_key));
	printf("removed s3://%s/%s (ETag %s)\n", o.bucket, u.lock_key,
	    li->etag);

	/* Record it. */
	cli_aws_who(who, sizeof(who));
	now = (int64_t)time(NULL);
	if (sd_ops_unlock_record(o.a.aws, o.bucket, o.project, o.config, who,
	    o.reason, now, &u, &err) != 0) {
		if (u.record == NULL)
			fprintf(stderr, "stepdeploy unlock: the lock was "
			    "removed but its audit record could not be made: "
			    "%s\n", sd_error_text(&err));
		else
			fprintf(stderr, "stepdeploy unlock: the lock was "
			    "removed but its audit record s3://%s/%s could not "
			    "be written: %s\nstepdeploy unlock: the record: "
			    "%s\n", o.bucket, u.audit_key, sd_error_text(&err),
			    u.record);
		rc = 1;
		goto out;
	}
	printf("recorded s3://%s/%s: unlocked by %s at %s: %s\n", o.bucket,
	    u.audit_key, who, u.at, o.reason);
	rc = 0;
 out:
	fflush(stdout);
	sd_ops_unlock_clear(&u);
	sd_error_clear(&err);
	cli_aws_close(&o.a);
	return rc;
}
