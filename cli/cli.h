/*
 * cli.h: the subcommands of the stepdeploy command.
 * Each returns the process exit status: 0 success, 1 a failed result,
 * 2 bad usage or bad input.
 */
#ifndef CLI_H
#define CLI_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_policy.h"

#define EXIT_USAGE	2

int	cmd_exec(int argc, char **argv);
int	cmd_test(int argc, char **argv);
int	cmd_test_state(int argc, char **argv);
int	cmd_sign(int argc, char **argv);
int	cmd_validate(int argc, char **argv);
int	cmd_deployer_json(int argc, char **argv);
int	cmd_deploy(int argc, char **argv);
int	cmd_plan(int argc, char **argv);
int	cmd_bootstrap(int argc, char **argv);
int	cmd_freeze(int argc, char **argv);
int	cmd_unfreeze(int argc, char **argv);
int	cmd_unlock(int argc, char **argv);
int	cmd_recover(int argc, char **argv);
int	cmd_halt(int argc, char **argv);
int	cmd_rollback(int argc, char **argv);
int	cmd_submit(int argc, char **argv);
int	cmd_status(int argc, char **argv);

/* One request to a service socket; *reply (new) is the answer of type
 * want. 0, or the exit status (1 refused, 3 unreachable) after a line
 * on stderr. */
int	cli_service_call(const char *cmd, const char *sock, uint8_t type,
	    json_t *req, uint8_t want, json_t **reply);

/* Print "stepdeploy CMD: message" on stderr; returns EXIT_USAGE. */
int	cli_usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A JSON argument: literal JSON text, or @FILE (- for stdin). New. */
json_t	*cli_json_arg(const char *arg, const char *what, struct sd_error *err);
/* Print v as one line of JSON on stdout. */
int	cli_print_json(json_t *v, int pretty);

/* ---- shared by the uploader commands (cmd_ops.c, cmd_plan.c) */

/* sec (since the epoch) as UTC into buf: "2026-11-25T12:00:00Z"
 * (CLI_RFC3339) or "20261125T120000Z" (CLI_UTC_COMPACT); "@SEC" when it
 * cannot be formatted (cmd_ops.c). */
#define CLI_RFC3339	0
#define CLI_UTC_COMPACT	1
void	cli_fmt_utc(int64_t sec, int style, char *buf, size_t len);

struct cli_aws;

/*
 * A release checked as the deploy flow's Validate step checks it
 * (cmd_plan.c; plan and bootstrap): release.json read and parsed
 * (sd_release_parse), checked against the policy now (sd_release_check),
 * the zip hashed and compared with lambda_sha256, the resource ARNs built
 * (sd_policy_build_arn) and matched against the project's
 * (sd_policy_arn_allowed). What the deploy would refuse is collected in
 * refusals, not returned as an error.
 */
struct cli_release {
	char		*buf;		/* release.json as read: new */
	size_t		 len;
	json_t		*doc;		/* parsed: new */
	json_t		*check;		/* sd_release_report_json: new */
	json_t		*refusals;	/* new array of strings; [] passes */
	/* in doc ("" when absent or not a string) */
	const char	*release_id, *project, *config, *region, *account;
	const char	*bucket;	/* the policy's; NULL: not in it */
	int		 arns_ok;	/* lambda_arn and sm_arn were built */
	char		 lambda_arn[SD_POLICY_ARN_MAX];
	char		 sm_arn[SD_POLICY_ARN_MAX];
	char		 zip_hex[65];	/* the zip's SHA-256 */
	char		 zip_b64[SD_AWS_SHA256_B64_MAX];
	uint64_t	 zip_size;
};

/*
 * Load the policy (cli_aws_load_policy), read release_path and hash
 * zip_path into rel (zeroed first). 0 when the release could be read,
 * whatever the checks found (rel->refusals); otherwise the error (bad
 * input: the policy, the files, a release that is not a JSON object).
 * cli_release_clear frees rel either way.
 */
int	cli_release_load(struct cli_aws *a, const char *release_path,
	    const char *zip_path, struct cli_release *rel,
	    struct sd_error *err);
void	cli_release_clear(struct cli_release *rel);
/*
 * 1 when rel names resources AWS can be asked about: ARNs built, the
 * project in the policy, a valid config.
 */
int	cli_release_addressable(const struct cli_release *rel);
/*
 * The tags check of the deploy's ValidateResources step: the tags the
 * policy requires of rel's project and config on the Lambda function and
 * the state machine (ListTags, ListTagsForResource). Each mismatch is a
 * string appended to problems. 0, or the error of a failed read.
 */
int	cli_check_tags(struct cli_aws *a, const struct cli_release *rel,
	    json_t *problems, struct sd_error *err);

#endif /* CLI_H */
