/*
 * cli_aws.h: what every uploader command (deploy, bootstrap, plan,
 * rollback, recover, halt, freeze, unfreeze, unlock) opens the same way:
 * the policy, the signer's socket and an AWS client signed through it.
 *
 * Options every such command takes (cli_aws_option):
 *	--policy FILE	 the policy (required)
 *	--signer SOCKET	 the signer's sign.sock (required)
 *	--ca-bundle FILE PEM CAs for HTTPS (default: the system's); libcurl
 *			 honours https_proxy / no_proxy from the environment
 *			 (loopback endpoints never go through a proxy)
 *	--journal-dir DIR where per-release journals live (default ".")
 */
#ifndef CLI_AWS_H
#define CLI_AWS_H

#include <getopt.h>
#include <stdio.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_policy.h"

struct cli_aws {
	const char		*policy_path;
	const char		*signer_path;
	const char		*ca_bundle;
	const char		*journal_dir;	/* "." unless set */
	const char		*audit_log;	/* the operator's, or NULL */
	const char		*audit_rid;	/* the release being deployed */
	struct sd_policy	*policy;	/* after cli_aws_open */
	struct sd_aws_signer	*signer;
	struct sd_aws		*aws;
	/* --json (deploy, rollback, recover): the progress lines go to
	 * stderr and one JSON object, built up in report, to stdout */
	int			 json;
	json_t			*report;
	int			 show_busy;	/* cli_recover_all's */
};

/* The long options above, with values 0x100.. (append to a command's). */
#define CLI_AWS_LONGOPTS \
	{ "policy", required_argument, NULL, 0x100 }, \
	{ "signer", required_argument, NULL, 0x101 }, \
	{ "ca-bundle", required_argument, NULL, 0x102 }, \
	{ "journal-dir", required_argument, NULL, 0x103 }, \
	{ "audit-log", required_argument, NULL, 0x104 }
#define CLI_AWS_USAGE \
	"--policy FILE --signer SOCKET [--ca-bundle FILE] [--journal-dir DIR]\n" \
	"       [--audit-log FILE]"

/* Zero a and set the defaults. */
void	cli_aws_init(struct cli_aws *a);
/* 1 when getopt's c was one of ours (then optarg is stored). */
int	cli_aws_option(struct cli_aws *a, int c, const char *optarg);
/* Load the policy only (for commands that check a release first). */
int	cli_aws_load_policy(struct cli_aws *a, struct sd_error *err);
/* Load the policy (if not yet) and connect the client for region. */
int	cli_aws_open(struct cli_aws *a, const char *region,
	    struct sd_error *err);
/* Free what cli_aws_open made (and the report). */
void	cli_aws_close(struct cli_aws *a);
/* Where progress lines go: stderr with --json, else stdout. */
FILE	*cli_aws_progress(const struct cli_aws *a);
/* With --json: append v (stolen) to the report's array key. */
void	cli_aws_report_add(struct cli_aws *a, const char *key, json_t *v);
/* With --json: set the report's key to v (stolen). */
void	cli_aws_report_set(struct cli_aws *a, const char *key, json_t *v);
/* With --json: print the report on stdout (one line). */
void	cli_aws_report_print(struct cli_aws *a);
/* "USER@HOST" of the caller (for freeze/unlock records) into buf. */
void	cli_aws_who(char *buf, size_t len);
/* An event in the operator's audit log (--audit-log), when one is open:
 * the caller's uid and who (user@host); detail stolen, may be NULL. */
void	cli_audit(const char *event, const char *outcome, const char *release,
	    json_t *detail);

/* ---- the deploy, shared by deploy, rollback and recover (cmd_deploy.c) */

/* Prints each step of the flow ("==> State", "    State done"); arg is
 * the struct cli_aws. */
void	cli_deploy_on_step(void *arg, const char *state, const char *phase,
	    const char *detail);
/* SD_TESTING builds: $STEPDEPLOY_TEST_CRASH (see sd_deploy_ctx). */
const char *cli_deploy_crash_at(void);
/* Recover the in-flight releases of a->journal_dir but skip (NULL:
 * none); prints one line each (those a live deploy holds only when
 * show_busy); adds those left in flight to *failed. */
int	cli_recover_all(struct cli_aws *a, const char *skip, int show_busy,
	    int *failed, struct sd_error *err);
/* Deploy release (buf/len as submitted) with zip through a (opened):
 * the exit status (0 Deployed, 1 failed, 2 bad input). */
int	cli_deploy_run(struct cli_aws *a, json_t *release, const char *buf,
	    size_t len, const char *zip);

#endif /* CLI_AWS_H */
