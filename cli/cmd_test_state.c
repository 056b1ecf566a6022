/*
 * stepdeploy test-state DEFINITION STATE --input JSON|@FILE
 *     [--mock-result JSON|@FILE | --mock-error E [--mock-cause C]]
 *     [--retry-count N] [--context JSON|@FILE] [--variables JSON|@FILE]
 *     [--inspection-level INFO|DEBUG|TRACE]
 *     [--pretty]
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* AWS's largest MaxAttempts, so the largest useful retry count. */
#define TS_MAX_RETRY_COUNT	99999999LL

static void
test_state_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy test-state DEFINITION STATE --input JSON|@FILE\n"
	    "           [--mock-result JSON|@FILE | --mock-error ERROR [--mock-cause CAUSE]]\n"
	    "           [--retry-count N] [--context JSON|@FILE]\n"
	    "           [--variables JSON|@FILE] [--inspection-level INFO|DEBUG|TRACE]\n"
	    "           [--pretty]\n"
	    "\n"
	    "Runs the one state named STATE (at the top level of the machine in\n"
	    "DEFINITION, a file or - for stdin) on the input, like AWS's TestState,\n"
	    "and prints {\"status\", \"output\", \"nextState\", \"error\", \"cause\",\n"
	    "\"inspectionData\": {\"input\", \"afterInputPath\", \"afterParameters\",\n"
	    "\"result\", \"afterResultSelector\", \"afterResultPath\", \"variables\"; for a\n"
	    "JSONata state \"input\", \"afterArguments\", \"result\", \"variables\"}}\n"
	    "as JSON. A Task\n"
	    "is answered by --mock-result or fails with --mock-error; --retry-count\n"
	    "says which retry this attempt is; --context (an object) is merged over\n"
	    "the context object $$; --variables (an object) are the variables in\n"
	    "scope, and inspectionData.variables shows them after the state.\n"
	    "--inspection-level INFO leaves inspectionData out, as AWS's INFO does;\n"
	    "DEBUG (the default here; AWS's is INFO) and TRACE (AWS adds HTTP detail\n"
	    "for HTTP Tasks only) show it.\n"
	    "Time is virtual.\n"
	    "Exit 0 SUCCEEDED or CAUGHT_ERROR, 1 FAILED or RETRIABLE, 2 bad usage.\n");
}

/* New string: the names of the top-level states, shortened. */
static char *
state_names(struct step_machine *m)
{
	struct sd_buf b;
	json_t *states, *v;
	const char *k;
	size_t n = 0;

	states = json_object_get(step_machine_definition(m), "States");
	/* Appends are checked once, by sd_buf_steal (the failure is sticky). */
	sd_buf_init(&b, 0);
	json_object_foreach(states, k, v) {
		(void)v;
		if (b.len > 200) {
			(void)sd_buf_puts(&b, ", ...");
			break;
		}
		(void)sd_buf_printf(&b, "%s\"%.64s%s\"", n++ > 0 ? ", " : "",
		    k, strlen(k) > 64 ? "..." : "");
	}
	return sd_buf_steal(&b);
}

int
cmd_test_state(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "mock-result", required_argument, NULL, 'R' },
		{ "mock-error", required_argument, NULL, 'E' },
		{ "mock-cause", required_argument, NULL, 'C' },
		{ "retry-count", required_argument, NULL, 'n' },
		{ "context", required_argument, NULL, 'c' },
		{ "variables", required_argument, NULL, 'V' },
		{ "inspection-level", required_argument, NULL, 'L' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct step_test_state_opts to;
	struct step_machine *m = NULL;
	json_t *def = NULL, *input = NULL, *out = NULL;
	const char *status, *state;
	char *end, *names = NULL;
	long long n;
	int c, pretty = 0, rc = EXIT_USAGE, info = 0;

	memset(&to, 0, sizeof(to));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "i:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			json_decref(input);
			if ((input = cli_json_arg(optarg, "--input", &err)) == NULL) {
				rc = cli_usage_error("test-state", "--input: %s",
				    sd_error_text(&err));
				goto out;
			}
			break;
		case 'R':
			json_decref(to.mock_result);
			if ((to.mock_result = cli_json_arg(optarg, "--mock-result",
			    &err)) == NULL) {
				rc = cli_usage_error("test-state", "--mock-result: %s",
				    sd_error_text(&err));
				goto out;
			}
			break;
		case 'E':
			to.mock_error = optarg;
			break;
		case 'C':
			to.mock_cause = optarg;
			break;
		case 'n':
			errno = 0;
			n = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || n < 0 ||
			    n > TS_MAX_RETRY_COUNT) {
				rc = cli_usage_error("test-state", "--retry-count "
				    "wants a whole number from 0 to %lld, got \"%s\"",
				    TS_MAX_RETRY_COUNT, optarg);
				goto out;
			}
			to.retry_count = (int64_t)n;
			break;
		case 'c':
			json_decref(to.context);
	json_decref(to.variables);
			if ((to.context = cli_json_arg(optarg, "--context",
			    &err)) == NULL) {
				rc = cli_usage_error("test-state", "--context: %s",
				    sd_error_text(&err));
				goto out;
			}
			if (!json_is_object(to.context)) {
				rc = cli_usage_error("test-state", "--context must be "
				    "a JSON object, not %s",
				    sd_json_type_name(to.context));
				goto out;
			}
			break;
		case 'L':
			if (strcmp(optarg, "INFO") == 0)
				info = 1;
			else if (strcmp(optarg, "DEBUG") == 0 ||
			    strcmp(optarg, "TRACE") == 0)
				info = 0;
			else {
				rc = cli_usage_error("test-state", "--inspection-level: "
				    "want INFO, DEBUG or TRACE, got \"%s\"", optarg);
				goto out;
			}
			break;
		case 'V':
			json_decref(to.variables);
			if ((to.variables = cli_json_arg(optarg, "--variables",
			    &err)) == NULL) {
				rc = cli_usage_error("test-state", "--variables: %s",
				    sd_error_text(&err));
				goto out;
			}
			if (!json_is_object(to.variables)) {
				rc = cli_usage_error("test-state", "--variables must "
				    "be a JSON object, not %s",
				    sd_json_type_name(to.variables));
				goto out;
			}
			break;
		case 'P':
			pretty = 1;
			break;
		case 'h':
			test_state_usage(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("test-state", "unknown or incomplete "
			    "option \"%s\" (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 2) {
		test_state_usage(stderr);
		rc = cli_usage_error("test-state", optind >= argc ?
		    "no DEFINITION given" : optind == argc - 1 ?
		    "no STATE given" : "unexpected argument \"%s\"",
		    argv[optind + 2 < argc ? optind + 2 : optind]);
		goto out;
	}
	state = argv[optind + 1];
	if (input == NULL) {
		rc = cli_usage_error("test-state", "no --input given (the state's "
		    "input, e.g. --input '{}')");
		goto out;
	}
	if (to.mock_result != NULL && to.mock_error != NULL) {
		rc = cli_usage_error("test-state", "--mock-result and --mock-error "
		    "cannot be used together");
		goto out;
	}
	if (to.mock_cause != NULL && to.mock_error == NULL) {
		rc = cli_usage_error("test-state", "--mock-cause needs "
		    "--mock-error");
		goto out;
	}
	if ((def = sd_json_load_file(argv[optind], JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		rc = cli_usage_error("test-state", "%s", sd_error_text(&err));
		goto out;
	}
	if (step_machine_from_json(def, NULL, &m, &err) != 0) {
		rc = cli_usage_error("test-state", "%s: invalid definition: %s",
		    argv[optind], sd_error_text(&err));
		goto out;
	}
	if (step_test_state(m, state, input, &to, &out, &err) != 0) {
		if (err.code == SD_ERR_NOTFOUND) {
			names = state_names(m);
			rc = cli_usage_error("test-state", "%s: no state named \"%s\" "
			    "at the top level (states: %s)", argv[optind], state,
			    names != NULL ? names : "?");
			goto out;
		}
		fprintf(stderr, "stepdeploy test-state: %s\n",
		    sd_error_text(&err));
		rc = 3;
		goto out;
	}
	if (info && json_object_del(out, "inspectionData") != 0 &&
	    json_object_get(out, "inspectionData") != NULL) {
		rc = 3;
		goto out;
	}
	if (cli_print_json(out, pretty) != 0) {
		fprintf(stderr, "stepdeploy test-state: cannot print the result\n");
		rc = 3;
		goto out;
	}
	status = json_string_value(json_object_get(out, "status"));
	rc = status != NULL && (strcmp(status, "SUCCEEDED") == 0 ||
	    strcmp(status, "CAUGHT_ERROR") == 0) ? 0 : 1;
 out:
	sd_error_clear(&err);
	free(names);
	json_decref(out);
	json_decref(def);
	json_decref(input);
	json_decref(to.mock_result);
	json_decref(to.context);
	json_decref(to.variables);
	step_machine_free(m);
	return rc;
}
