/*
 * stepdeploy exec DEFINITION [--input JSON|@FILE] [--mocks FILE]
 *     [--handler STATE=COMMAND]... [--history] [--path] [--real-time]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_handler.h"
#include "sd_json.h"
#include "step.h"

static void
exec_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy exec DEFINITION [--input JSON|@FILE] [--mocks FILE]\n"
	    "                       [--handler STATE=COMMAND]... [--history] [--path]\n"
	    "                       [--real-time] [--name NAME] [--pretty]\n"
	    "\n"
	    "Runs the state machine in DEFINITION (a file, - for stdin) on the input\n"
	    "(default {}) and prints {\"status\", \"output\"} or {\"status\", \"error\",\n"
	    "\"cause\"} as JSON. Task states are answered by --handler commands (the\n"
	    "input JSON on stdin, the result JSON on stdout; STATE may also be a\n"
	    "Resource ARN, or '*' for every Task) or by --mocks. Time is virtual\n"
	    "unless --real-time. Exit 0 SUCCEEDED, 1 FAILED or TIMED_OUT, 2 bad usage.\n");
}

int
cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "mocks", required_argument, NULL, 'm' },
		{ "handler", required_argument, NULL, 'H' },
		{ "history", no_argument, NULL, 'y' },
		{ "path", no_argument, NULL, 'p' },
		{ "real-time", no_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *def = NULL, *input = NULL, *mocks = NULL, *out = NULL;
	char **handlers = NULL;
	const char *mocks_path = NULL;
	size_t nhandlers = 0, i;
	int c, with_path = 0, with_history = 0, pretty = 0, rc = EXIT_USAGE;

	memset(&eo, 0, sizeof(eo));
	eo.record_path = 1;
	eo.max_transitions = 10000000;
	optind = 1;
	opterr = 0;
	if ((handlers = calloc((size_t)argc, sizeof(*handlers))) == NULL)
		return cli_usage_error("exec", "out of memory");
	while ((c = getopt_long(argc, argv, "i:m:H:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			json_decref(input);
			if ((input = cli_json_arg(optarg, "--input", &err)) == NULL) {
				rc = cli_usage_error("exec", "--input: %s",
				    sd_error_text(&err));
				goto out;
			}
			break;
		case 'm':
			mocks_path = optarg;
			break;
		case 'H':
			if (strchr(optarg, '=') == NULL || optarg[0] == '=') {
				rc = cli_usage_error("exec", "--handler wants STATE=COMMAND, "
				    "got \"%s\"", optarg);
				goto out;
			}
			handlers[nhandlers++] = optarg;
			break;
		case 'y':
			with_history = 1;
			break;
		case 'p':
			with_path = 1;
			break;
		case 'r':
			eo.real_time = 1;
			break;
		case 'n':
			eo.execution_name = optarg;
			break;
		case 'P':
			pretty = 1;
			break;
		case 'h':
			exec_usage(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("exec", "unknown or incomplete option "
			    "\"%s\" (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 1) {
		exec_usage(stderr);
		rc = cli_usage_error("exec", optind >= argc ? "no DEFINITION given" :
		    "unexpected argument \"%s\"", argv[optind + (optind < argc)]);
		goto out;
	}
	eo.record_history = with_history;
	if ((def = sd_json_load_file(argv[optind], JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		rc = cli_usage_error("exec", "%s", sd_error_text(&err));
		goto out;
	}
	if (step_machine_from_json(def, NULL, &m, &err) != 0) {
		rc = cli_usage_error("exec", "%s: invalid definition: %s",
		    argv[optind], sd_error_text(&err));
		goto out;
	}
	if (mocks_path != NULL) {
		if ((mocks = sd_json_load_file(mocks_path, JSON_REJECT_DUPLICATES,
		    &err)) == NULL) {
			rc = cli_usage_error("exec", "--mocks: %s", sd_error_text(&err));
			goto out;
		}
		if (step_machine_set_mocks(m, mocks, &err) != 0) {
			rc = cli_usage_error("exec", "--mocks %s: %s", mocks_path,
			    sd_error_text(&err));
			goto out;
		}
	}
	for (i = 0; i < nhandlers; i++) {
		char *eq = strchr(handlers[i], '=');

		*eq = '\0';
		if (step_machine_register(m, strcmp(handlers[i], "*") == 0 ? NULL :
		    handlers[i], cmd_handler, eq + 1) != 0) {
			rc = cli_usage_error("exec", "out of memory");
			goto out;
		}
	}
	if (input == NULL && (input = json_object()) == NULL) {
		rc = cli_usage_error("exec", "out of memory");
		goto out;
	}
	if (step_execute(m, input, &eo, &res, &err) != 0) {
		fprintf(stderr, "stepdeploy exec: %s\n", sd_error_text(&err));
		rc = 3;
		goto out;
	}
	if ((out = step_result_json(res, with_path, with_history)) == NULL ||
	    cli_print_json(out, pretty) != 0) {
		fprintf(stderr, "stepdeploy exec: cannot print the result\n");
		rc = 3;
		goto out;
	}
	rc = step_result_status(res) == STEP_SUCCEEDED ? 0 : 1;
 out:
	sd_error_clear(&err);
	json_decref(out);
	json_decref(def);
	json_decref(input);
	json_decref(mocks);
	step_result_free(res);
	step_machine_free(m);
	free(handlers);
	return rc;
}
