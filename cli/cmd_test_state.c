/*
 * stepdeploy test-state DEFINITION STATE --input JSON|@FILE
 *     [--mock-result JSON|@FILE | --mock-error E [--mock-cause C]]
 *     [--mock-validation STRICT|PRESENT|NONE]
 *     [--state-configuration JSON|@FILE] [--retry-count N]
 *     [--context JSON|@FILE] [--variables JSON|@FILE]
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

/* AWS's integers in stateConfiguration: 0 to the largest int32. */
#define TS_MAX_COUNT		2147483647LL
/* AWS: errorCausedByState is a state name, 1 to 80 characters. */
#define TS_MAX_STATE_NAME	80
/* AWS: mapItemReaderData holds at most 256 KiB. */
#define TS_MAX_READER_DATA	262144

static void
test_state_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy test-state DEFINITION STATE --input JSON|@FILE\n"
	    "           [--mock-result JSON|@FILE | --mock-error ERROR [--mock-cause CAUSE]]\n"
	    "           [--mock-validation STRICT|PRESENT|NONE]\n"
	    "           [--state-configuration JSON|@FILE] [--retry-count N]\n"
	    "           [--context JSON|@FILE] [--variables JSON|@FILE]\n"
	    "           [--inspection-level INFO|DEBUG|TRACE] [--pretty]\n"
	    "\n"
	    "Runs the one state named STATE (at the top level of the machine in\n"
	    "DEFINITION, a file or - for stdin) on the input, like AWS's TestState,\n"
	    "and prints {\"status\", \"output\", \"nextState\", \"error\", \"cause\",\n"
	    "\"inspectionData\"} as JSON. inspectionData has \"input\", \"afterInputPath\",\n"
	    "\"afterParameters\", \"result\", \"afterResultSelector\", \"afterResultPath\",\n"
	    "\"variables\" (a JSONata state: \"input\", \"afterArguments\", \"result\",\n"
	    "\"variables\"), \"errorDetails\" {\"retryIndex\", \"retryBackoffIntervalSeconds\",\n"
	    "\"catchIndex\"} when a Retry or Catch took the error, and for a Map\n"
	    "\"afterItemsPath\", \"afterItemSelector\", \"afterItemBatcher\",\n"
	    "\"maxConcurrency\", \"toleratedFailureCount\", \"toleratedFailurePercentage\".\n"
	    "\n"
	    "A Task is answered by --mock-result or fails with --mock-error (else\n"
	    "by the machine's mocks and handlers). A Map or Parallel state needs\n"
	    "one of them: the mock stands for its iterations or branches (a Map's\n"
	    "mocked result is an array, a Parallel's an array of one result per\n"
	    "branch; a Map with a ResultWriter takes only a mocked error).\n"
	    "Pass, Wait, Choice, Succeed and Fail take no mock.\n"
	    "--mock-validation checks a Task's mocked result against the service's\n"
	    "API output, as AWS's fieldValidationMode: STRICT (the default, as\n"
	    "AWS's) wants the required fields and the right types, PRESENT only\n"
	    "the types of the fields given, NONE nothing. The shapes known are\n"
	    "lambda:invoke, sqs:sendMessage, sns:publish and states:startExecution\n"
	    "(also .sync and .sync:2: DescribeExecution's output)\n"
	    "(a Lambda function, an activity or .waitForTaskToken take any JSON);\n"
	    "for another resource STRICT and PRESENT are refused, naming it.\n"
	    "--state-configuration is AWS's stateConfiguration object:\n"
	    "  retrierRetryCount N        the retries already made by the Retry\n"
	    "                             that takes the error: RETRIABLE with its\n"
	    "                             backoff, or, used up, on to Catch\n"
	    "  errorCausedByState NAME    the state inside the Map or Parallel that\n"
	    "                             the --mock-error comes from\n"
	    "  mapIterationFailureCount N the Map's failed iterations, checked\n"
	    "                             against its ToleratedFailureCount and\n"
	    "                             ToleratedFailurePercentage\n"
	    "  mapItemReaderData TEXT     what the Map's ItemReader would read (a\n"
	    "                             JSON or JSONL object's text, or the JSON\n"
	    "                             array of an S3 listing)\n"
	    "--retry-count N is short for {\"retrierRetryCount\": N}.\n"
	    "--context (an object) is merged over the context object $$;\n"
	    "--variables (an object) are the variables in scope, and\n"
	    "inspectionData.variables shows them after the state.\n"
	    "--inspection-level INFO leaves inspectionData out, as AWS's INFO does;\n"
	    "DEBUG (the default here; AWS's is INFO) and TRACE (AWS adds HTTP detail\n"
	    "for HTTP Tasks only) show it.\n"
	    "Time is virtual.\n"
	    "Exit 0 SUCCEEDED or CAUGHT_ERROR, 1 FAILED or RETRIABLE, 2 bad usage\n"
	    "(including options that do not fit the state, in AWS's words).\n");
}

/*
 * A whole number from 0 to TS_MAX_COUNT in stateConfiguration.K; 0 or
 * prints the usage error and returns EXIT_USAGE.
 */
static int
config_count(json_t *v, const char *k, int64_t *out)
{
	long long ll;

	if (!json_is_integer(v))
		return cli_usage_error("test-state", "--state-configuration: %s "
		    "wants a whole number from 0 to %lld, not %s", k,
		    TS_MAX_COUNT, json_is_number(v) ? "a fraction" :
		    sd_json_type_name(v));
	ll = (long long)json_integer_value(v);
	if (ll < 0 || ll > TS_MAX_COUNT)
		return cli_usage_error("test-state", "--state-configuration: %s "
		    "wants a whole number from 0 to %lld, not %lld", k,
		    TS_MAX_COUNT, ll);
	*out = (int64_t)ll;
	return 0;
}

/*
 * Read AWS's stateConfiguration object into to: each field checked for
 * its type and range. 0, or the usage error printed and EXIT_USAGE.
 */
static int
state_configuration(json_t *cfg, struct step_test_state_opts *to,
    int *has_retry)
{
	const char *k, *s;
	json_t *v;
	size_t n;
	int rc;

	if (!json_is_object(cfg))
		return cli_usage_error("test-state", "--state-configuration must be "
		    "a JSON object, not %s", sd_json_type_name(cfg));
	json_object_foreach(cfg, k, v) {
		if (strcmp(k, "retrierRetryCount") == 0) {
			if ((rc = config_count(v, k, &to->retry_count)) != 0)
				return rc;
			*has_retry = 1;
		} else if (strcmp(k, "mapIterationFailureCount") == 0) {
			if ((rc = config_count(v, k, &to->map_failure_count)) != 0)
				return rc;
			to->has_map_failure_count = 1;
		} else if (strcmp(k, "errorCausedByState") == 0) {
			s = json_string_value(v);
			n = s != NULL ? strlen(s) : 0;
			if (s == NULL || n < 1 || n > TS_MAX_STATE_NAME)
				return cli_usage_error("test-state",
				    "--state-configuration: errorCausedByState wants a "
				    "state name of 1 to %d characters, not %s",
				    TS_MAX_STATE_NAME, s == NULL ?
				    sd_json_type_name(v) : n < 1 ? "\"\"" :
				    "a longer one");
			to->error_caused_by_state = s;
		} else if (strcmp(k, "mapItemReaderData") == 0) {
			s = json_string_value(v);
			if (s == NULL || strlen(s) > TS_MAX_READER_DATA)
				return cli_usage_error("test-state",
				    "--state-configuration: mapItemReaderData wants "
				    "the text the ItemReader would read, as a string of "
				    "at most %d bytes, not %s", TS_MAX_READER_DATA,
				    s == NULL ? sd_json_type_name(v) : "a longer one");
			to->map_item_reader_data = s;
		} else
			return cli_usage_error("test-state", "--state-configuration: "
			    "unknown field \"%.64s\" (the fields are "
			    "retrierRetryCount, errorCausedByState, "
			    "mapIterationFailureCount and mapItemReaderData)", k);
	}
	return 0;
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
		{ "state-configuration", required_argument, NULL, 'S' },
		{ "mock-validation", required_argument, NULL, 'M' },
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
	json_t *def = NULL, *input = NULL, *out = NULL, *cfg = NULL;
	const char *status, *state, *validation = NULL;
	char *end, *names = NULL;
	long long n;
	int c, pretty = 0, rc = EXIT_USAGE, info = 0, has_retry = 0, short_retry = 0;

	memset(&to, 0, sizeof(to));
	to.mock_validation = STEP_MOCK_VALIDATION_STRICT;	/* AWS's default */
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
			    n > TS_MAX_COUNT) {
				rc = cli_usage_error("test-state", "--retry-count "
				    "wants a whole number from 0 to %lld, got \"%s\"",
				    TS_MAX_COUNT, optarg);
				goto out;
			}
			to.retry_count = (int64_t)n;
			short_retry = 1;
			break;
		case 'S':
			json_decref(cfg);
			if ((cfg = cli_json_arg(optarg, "--state-configuration",
			    &err)) == NULL) {
				rc = cli_usage_error("test-state",
				    "--state-configuration: %s", sd_error_text(&err));
				goto out;
			}
			break;
		case 'M':
			if (strcmp(optarg, "STRICT") == 0)
				to.mock_validation = STEP_MOCK_VALIDATION_STRICT;
			else if (strcmp(optarg, "PRESENT") == 0)
				to.mock_validation = STEP_MOCK_VALIDATION_PRESENT;
			else if (strcmp(optarg, "NONE") == 0)
				to.mock_validation = STEP_MOCK_VALIDATION_NONE;
			else {
				rc = cli_usage_error("test-state", "--mock-validation: "
				    "want STRICT, PRESENT or NONE, got \"%s\"", optarg);
				goto out;
			}
			validation = optarg;
			break;
		case 'c':
			json_decref(to.context);
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
	if (cli_check_input("test-state", input) != 0)
		goto out;
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
	if (validation != NULL && to.mock_result == NULL &&
	    to.mock_error == NULL) {
		rc = cli_usage_error("test-state", "--mock-validation %s checks a "
		    "mocked result: it needs --mock-result (or --mock-error)",
		    validation);
		goto out;
	}
	if (cfg != NULL) {
		int64_t shorthand = to.retry_count;

		if ((rc = state_configuration(cfg, &to, &has_retry)) != 0)
			goto out;
		if (has_retry && short_retry && to.retry_count != shorthand) {
			rc = cli_usage_error("test-state", "--retry-count %lld and "
			    "--state-configuration's retrierRetryCount %lld "
			    "disagree (--retry-count is short for it: give one)",
			    (long long)shorthand, (long long)to.retry_count);
			goto out;
		}
		rc = EXIT_USAGE;
	}
	if ((def = cli_load_definition(argv[optind], &err)) == NULL) {
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
		if (err.code == SD_ERR_INVALID) {
			rc = cli_usage_error("test-state", "%s: %s", state,
			    sd_error_text(&err));
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
	json_decref(cfg);
	json_decref(to.mock_result);
	json_decref(to.context);
	json_decref(to.variables);
	step_machine_free(m);
	return rc;
}
