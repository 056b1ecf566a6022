/*
 * stepdeploy exec DEFINITION [--input JSON|@FILE] [--mocks FILE |
 *     --mock-config FILE --test-case NAME [--state-machine NAME]]
 *     [--handler STATE=COMMAND]... [--history] [--path] [--trace]
 *     [--real-time] [--s3-dir DIR]
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
	    "usage: stepdeploy exec DEFINITION [--input JSON|@FILE]\n"
	    "                       [--mocks FILE | --mock-config FILE --test-case NAME\n"
	    "                        [--state-machine NAME]]\n"
	    "                       [--handler STATE=COMMAND]... [--history] [--path]\n"
	    "                       [--trace] [--real-time] [--name NAME] [--pretty]\n"
	    "                       [--s3-dir DIR]\n"
	    "\n"
	    "Runs the state machine in DEFINITION (a file, - for stdin) on the input\n"
	    "(default {}) and prints {\"status\", \"output\"} or {\"status\", \"error\",\n"
	    "\"cause\"} as JSON. Task states are answered by --handler commands (the\n"
	    "input JSON on stdin, the result JSON on stdout; STATE may also be a\n"
	    "Resource ARN, or '*' for every Task; a callback Task's command may send\n"
	    "SendTaskSuccess/Failure/Heartbeat calls as JSON lines to the file\n"
	    "$STEPDEPLOY_CALLBACKS, its token in $STEPDEPLOY_TASK_TOKEN) or by\n"
	    "--mocks, or by the test case NAME of a Step Functions Local mock file\n"
	    "(--mock-config; --state-machine picks its state machine when it has\n"
	    "several). Callbacks Step Functions would refuse are listed in\n"
	    "\"refusedCallbacks\". --path adds the states entered, --history the\n"
	    "event history, --trace each state's input and output processing. Time\n"
	    "is virtual unless --real-time. A Map's ItemReader reads, and its\n"
	    "ResultWriter writes, s3://BUCKET/KEY as DIR/BUCKET/KEY (--s3-dir). As\n"
	    "on AWS, an execution fails with States.Runtime at 25,000 history\n"
	    "events (README.md, \"Limits\").\n"
	    "Exit 0 SUCCEEDED, 1 FAILED or TIMED_OUT, 2 bad usage.\n");
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
		{ "trace", no_argument, NULL, 't' },
		{ "mock-config", required_argument, NULL, 'M' },
		{ "test-case", required_argument, NULL, 'T' },
		{ "state-machine", required_argument, NULL, 'S' },
		{ "real-time", no_argument, NULL, 'r' },
		{ "s3-dir", required_argument, NULL, 'D' },
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
	json_t *mock_config = NULL;
	const char *mocks_path = NULL, *mock_config_path = NULL;
	const char *test_case = NULL, *state_machine = NULL;
	size_t nhandlers = 0, i;
	int c, with_path = 0, with_history = 0, with_trace = 0, pretty = 0;
	int rc = EXIT_USAGE;

	memset(&eo, 0, sizeof(eo));
	eo.record_path = 1;
	eo.max_transitions = 10000000;
	eo.max_history_events = STEP_MAX_HISTORY_EVENTS;
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
		case 't':
			with_trace = 1;
			break;
		case 'M':
			mock_config_path = optarg;
			break;
		case 'T':
			test_case = optarg;
			break;
		case 'S':
			state_machine = optarg;
			break;
		case 'r':
			eo.real_time = 1;
			break;
		case 'D':
			eo.s3_dir = optarg;
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
	if (mocks_path != NULL && mock_config_path != NULL) {
		rc = cli_usage_error("exec", "--mocks and --mock-config cannot be "
		    "used together");
		goto out;
	}
	if (mock_config_path != NULL && test_case == NULL) {
		rc = cli_usage_error("exec", "--mock-config needs --test-case NAME");
		goto out;
	}
	if (mock_config_path == NULL && (test_case != NULL ||
	    state_machine != NULL)) {
		rc = cli_usage_error("exec", "%s needs --mock-config FILE",
		    test_case != NULL ? "--test-case" : "--state-machine");
		goto out;
	}
	eo.record_history = with_history;
	eo.record_trace = with_trace;
	if ((def = cli_load_definition(argv[optind], &err)) == NULL) {
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
	if (mock_config_path != NULL) {
		if ((mock_config = sd_json_load_file(mock_config_path,
		    JSON_REJECT_DUPLICATES, &err)) == NULL) {
			rc = cli_usage_error("exec", "--mock-config: %s",
			    sd_error_text(&err));
			goto out;
		}
		if (step_mockconfig_to_mocks(mock_config, state_machine,
		    test_case, &mocks, &err) != 0) {
			/* Several state machines and none named. */
			int pick = state_machine == NULL &&
			    err.code == SD_ERR_NOTFOUND && err.location != NULL &&
			    strcmp(err.location, "/StateMachines") == 0;

			rc = cli_usage_error("exec", "--mock-config %s: %s%s",
			    mock_config_path, sd_error_text(&err),
			    pick ? " with --state-machine" : "");
			goto out;
		}
		if (step_machine_set_mocks(m, mocks, &err) != 0) {
			rc = cli_usage_error("exec", "--mock-config %s: %s",
			    mock_config_path, sd_error_text(&err));
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
	if (cli_check_input("exec", input) != 0)
		goto out;
	if (step_execute(m, input, &eo, &res, &err) != 0) {
		fprintf(stderr, "stepdeploy exec: %s\n", sd_error_text(&err));
		rc = 3;
		goto out;
	}
	if ((out = step_result_json(res, with_path, with_history)) == NULL ||
	    (with_trace && json_object_set(out, "trace",
	    step_result_trace(res)) != 0) ||
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
	json_decref(mock_config);
	step_result_free(res);
	step_machine_free(m);
	free(handlers);
	return rc;
}
