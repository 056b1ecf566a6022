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
int	cmd_jsonata(int argc, char **argv);
int	cmd_dot(int argc, char **argv);
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
int	cmd_audit(int argc, char **argv);

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
/*
 * A state machine definition from the file path (- for stdin), at most
 * STEP_MAX_DEFINITION bytes as AWS allows, duplicate keys refused. New.
 */
json_t	*cli_load_definition(const char *path, struct sd_error *err);
/*
 * 0 when input (borrowed) is within STEP_MAX_PAYLOAD bytes as compact
 * JSON, as StartExecution and TestState take it; else EXIT_USAGE after
 * "stepdeploy CMD: --input is N bytes, more than the limit ...".
 */
int	cli_check_input(const char *cmd, const json_t *input);
/* Print v as one line of JSON on stdout. */
int	cli_print_json(json_t *v, int pretty);

#endif /* CLI_H */
