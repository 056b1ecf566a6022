/*
 * cli.h: the subcommands of the stepdeploy command.
 * Each returns the process exit status: 0 success, 1 a failed result,
 * 2 bad usage or bad input.
 */
#ifndef CLI_H
#define CLI_H

#include <jansson.h>

#include "sd_err.h"

#define EXIT_USAGE	2

int	cmd_exec(int argc, char **argv);
int	cmd_test(int argc, char **argv);
int	cmd_test_state(int argc, char **argv);
int	cmd_sign(int argc, char **argv);
int	cmd_validate(int argc, char **argv);
int	cmd_deployer_json(int argc, char **argv);
int	cmd_deploy(int argc, char **argv);

/* Print "stepdeploy CMD: message" on stderr; returns EXIT_USAGE. */
int	cli_usage_error(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* A JSON argument: literal JSON text, or @FILE (- for stdin). New. */
json_t	*cli_json_arg(const char *arg, const char *what, struct sd_error *err);
/* Print v as one line of JSON on stdout. */
int	cli_print_json(json_t *v, int pretty);

#endif /* CLI_H */
