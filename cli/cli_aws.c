/*
 * cli_aws.c: the policy, signer and AWS client of the uploader commands
 * (cli_aws.h).
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_aws.h"
#include "sd_audit.h"
#include "sd_daemon.h"
#include "sd_run.h"

void
cli_aws_init(struct cli_aws *a)
{
	memset(a, 0, sizeof(*a));
	a->journal_dir = ".";
}

int
cli_aws_option(struct cli_aws *a, int c, const char *arg)
{
	switch (c) {
	case 0x100: a->policy_path = arg; return 1;
	case 0x101: a->signer_path = arg; return 1;
	case 0x102: a->ca_bundle = arg; return 1;
	case 0x103: a->journal_dir = arg; return 1;
	case 0x104: a->audit_log = arg; return 1;
	default: return 0;
	}
}

int
cli_aws_load_policy(struct cli_aws *a, struct sd_error *err)
{
	if (a->policy != NULL)
		return 0;
	if (a->policy_path == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "--policy FILE is required");
	return sd_policy_load(a->policy_path, &a->policy, err);
}

int
cli_aws_open(struct cli_aws *a, const char *region, struct sd_error *err)
{
	int r;

	if ((r = cli_aws_load_policy(a, err)) != 0)
		return r;
	if (a->signer_path == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "--signer SOCKET is required");
	/* The journals' directory: made when missing (0700), refused in one
	 * line when it cannot be or is writable by others. */
	if ((r = sd_daemon_mkdir(a->journal_dir, 0700, (uid_t)-1, (gid_t)-1,
	    err)) != 0) {
		sd_error_prefix(err, "--journal-dir: ");
		return r;
	}
	/* The operator's audit log: break-glass work is recorded too. */
	if (a->audit_log != NULL && !sd_audit_is_open()) {
		char pk[65];

		if ((r = sd_audit_open(a->audit_log, "operator", 1, pk,
		    err)) != 0) {
			sd_error_prefix(err, "--audit-log: ");
			return r;
		}
		if (pk[0] != '\0')
			fprintf(stderr, "stepdeploy: made the audit log %s; its "
			    "first epoch's public key is %s: keep it off this "
			    "host\n", a->audit_log, pk);
	}
	return sd_run_open_aws(a->policy, a->signer_path, a->ca_bundle, region,
	    &a->signer, &a->aws, err);
}

void
cli_audit(const char *event, const char *outcome, const char *release,
    json_t *detail)
{
	char who[256];

	if (!sd_audit_is_open()) {
		json_decref(detail);
		return;
	}
	cli_aws_who(who, sizeof(who));
	if (detail == NULL)
		detail = json_object();
	(void)json_object_set_new(detail, "who", json_string(who));
	(void)sd_audit(event, outcome, (int64_t)getuid(), release, detail, 1);
}

FILE *
cli_aws_progress(const struct cli_aws *a)
{
	return a->json ? stderr : stdout;
}

static json_t *
report(struct cli_aws *a)
{
	if (a->report == NULL)
		a->report = json_object();
	return a->report;
}

void
cli_aws_report_add(struct cli_aws *a, const char *key, json_t *v)
{
	json_t *r, *arr;

	if (!a->json || (r = report(a)) == NULL) {
		json_decref(v);
		return;
	}
	if ((arr = json_object_get(r, key)) == NULL) {
		arr = json_array();
		if (json_object_set_new(r, key, arr) != 0)
			arr = NULL;
	}
	(void)json_array_append_new(arr, v);
}

void
cli_aws_report_set(struct cli_aws *a, const char *key, json_t *v)
{
	json_t *r;

	if (!a->json || (r = report(a)) == NULL) {
		json_decref(v);
		return;
	}
	(void)json_object_set_new(r, key, v);
}

void
cli_aws_report_print(struct cli_aws *a)
{
	char *s;

	if (!a->json || report(a) == NULL)
		return;
	if ((s = json_dumps(a->report, JSON_COMPACT)) != NULL) {
		(void)printf("%s\n", s);
		free(s);
	}
	(void)fflush(stdout);
}

void
cli_aws_close(struct cli_aws *a)
{
	json_decref(a->report);
	a->report = NULL;
	sd_aws_free(a->aws);
	a->aws = NULL;
	sd_aws_signer_free(a->signer);
	a->signer = NULL;
	sd_policy_free(a->policy);
	a->policy = NULL;
}

void
cli_aws_who(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(getuid());
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		(void)snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	if (pw != NULL && pw->pw_name != NULL)
		(void)snprintf(buf, len, "%s@%s", pw->pw_name, host);
	else
		(void)snprintf(buf, len, "uid%lu@%s", (unsigned long)getuid(),
		    host);
}
