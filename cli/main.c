/*
 * stepdeploy: build, test and deploy AWS Step Functions.
 * main.c only picks the subcommand.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_json.h"
#include "step.h"

static const struct {
	const char	*name;
	int		(*fn)(int, char **);
	const char	*help;
} commands[] = {
	{ "exec", cmd_exec, "run a state machine definition locally" },
	{ "test-state", cmd_test_state, "run one state, with per-step data" },
	{ "test", cmd_test, "run a release's tests file" },
	{ "sign", cmd_sign, "show how a request is signed (AWS SigV4)" },
	{ "validate", cmd_validate, "lint a definition (and a zip, a release)" },
	{ "jsonata", cmd_jsonata, "evaluate a JSONata expression on an input" },
	{ "dot", cmd_dot, "draw a definition as a Graphviz DOT graph" },
	{ "deployer-json", cmd_deployer_json,
	    "print the deployer's own state machine" },
	{ "submit", cmd_submit, "hand a release to the deployment service" },
	{ "status", cmd_status, "where the service's releases are" },
	{ "deploy", cmd_deploy, "deploy a release in the foreground "
	    "(break-glass)" },
	{ "plan", cmd_plan, "show what a deploy would change (reads only)" },
	{ "bootstrap", cmd_bootstrap,
	    "update existing resources directly (no lock, no record)" },
	{ "freeze", cmd_freeze, "stop deploys of a config (with a reason)" },
	{ "unfreeze", cmd_unfreeze, "allow deploys of a frozen config again" },
	{ "unlock", cmd_unlock, "remove a stuck deploy lock (recorded)" },
	{ "rollback", cmd_rollback, "redeploy the release before the current one" },
	{ "recover", cmd_recover, "finish or roll back interrupted deploys" },
	{ "halt", cmd_halt, "stop a running deploy; it rolls back" },
	{ "audit", cmd_audit, "make, show and verify the service's audit logs" },
};

static void
usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: stepdeploy COMMAND [ARGS...]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(fp, "\nRun 'stepdeploy COMMAND --help' for a command's options.\n");
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stepdeploy %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

json_t *
cli_json_arg(const char *arg, const char *what, struct sd_error *err)
{
	if (arg[0] == '@')
		return sd_json_load_file(arg + 1, 0, err);
	return sd_json_loadb(arg, strlen(arg), 0, what, err);
}

json_t *
cli_load_definition(const char *path, struct sd_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *v;
	int r;

	if ((r = sd_read_file(path, STEP_MAX_DEFINITION, &buf, &len, err)) != 0) {
		if (r == SD_ERR_LIMIT)
			sd_error_set(err, SD_ERR_LIMIT, NULL, "%s is larger than "
			    "%zu bytes, the limit on a state machine definition",
			    path, STEP_MAX_DEFINITION);
		return NULL;
	}
	v = sd_json_loadb(buf, len, JSON_REJECT_DUPLICATES, path, err);
	free(buf);
	return v;
}

int
cli_check_input(const char *cmd, const json_t *input)
{
	char *text = sd_json_dumps(input, 0);
	size_t len = text != NULL ? strlen(text) : 0;

	free(text);
	if (text == NULL)
		return cli_usage_error(cmd, "out of memory");
	if (len > STEP_MAX_PAYLOAD)
		return cli_usage_error(cmd, "--input is %zu bytes, more than the "
		    "limit of %d bytes (256 KiB) on an input", len,
		    STEP_MAX_PAYLOAD);
	return 0;
}

int
cli_print_json(json_t *v, int pretty)
{
	char *s = sd_json_dumps(v, pretty ? SD_JSON_PRETTY : 0);

	if (s == NULL)
		return -1;
	if (puts(s) == EOF) {
		free(s);
		return -1;
	}
	free(s);
	return fflush(stdout) == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	size_t i;

	/*
	 * One command may run many executions (stepdeploy test): keep freed
	 * memory for the next one rather than trimming the heap after each
	 * and faulting the pages in again. A hint only: failure is harmless.
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 256 << 20);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "stepdeploy: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
