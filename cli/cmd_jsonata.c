/*
 * stepdeploy jsonata EXPR [--input JSON|@FILE] [--bindings JSON|@FILE]
 *     [--time-limit-ms N] [--max-depth N] [--aws [--seed N]]
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_json.h"
#include "sd_jsonata.h"

static void
jsonata_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy jsonata EXPR [--input JSON|@FILE] "
	    "[--bindings JSON|@FILE]\n"
	    "                          [--time-limit-ms N] [--max-depth N]\n"
	    "                          [--aws [--seed N]]\n"
	    "\n"
	    "Evaluates the JSONata expression EXPR on the input (none: undefined)\n"
	    "and prints the result as one line of JSON; nothing when the result is\n"
	    "undefined. --bindings is an object whose keys are variables ($key).\n"
	    "--time-limit-ms (default 10000) and --max-depth (default 500) bound\n"
	    "the evaluation (U1001 when over). --aws evaluates as AWS Step\n"
	    "Functions does: its functions $partition, $range, $hash, $random,\n"
	    "$uuid and $parse, and no $eval; --seed makes $random() and $uuid()\n"
	    "repeat from run to run. On an error, stderr reads\n"
	    "\"CODE: message (position N, token \"x\")\".\n"
	    "Exit 0 a result or undefined, 1 an error, 2 bad usage.\n");
}

static int
parse_uint(const char *s, unsigned *out)
{
	char *e;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0 || *e != '\0' || v == 0 || v > UINT_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void
print_error(const struct sd_jn_error *e)
{
	fprintf(stderr, "%s: %s", e->code[0] != '\0' ? e->code : "X0000",
	    e->message);
	if (e->position >= 0 && e->token[0] != '\0')
		fprintf(stderr, " (position %ld, token \"%s\")", e->position,
		    e->token);
	else if (e->position >= 0)
		fprintf(stderr, " (position %ld)", e->position);
	else if (e->token[0] != '\0')
		fprintf(stderr, " (token \"%s\")", e->token);
	fputc('\n', stderr);
}

int
cmd_jsonata(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "bindings", required_argument, NULL, 'b' },
		{ "time-limit-ms", required_argument, NULL, 't' },
		{ "max-depth", required_argument, NULL, 'd' },
		{ "aws", no_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jn_error jerr;
	struct sd_jn_opts jo = SD_JN_OPTS_INIT;
	struct sd_jn_expr *expr = NULL;
	json_t *input = NULL, *bindings = NULL, *out = NULL;
	const char *src;
	uint64_t rng = 0;
	unsigned seed = 0;
	int c, rc = EXIT_USAGE, have_seed = 0;

	memset(&jerr, 0, sizeof(jerr));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			json_decref(input);
			if ((input = cli_json_arg(optarg, "--input", &err)) == NULL) {
				rc = cli_usage_error("jsonata", "--input: %s",
				    sd_error_text(&err));
				goto out;
			}
			break;
		case 'b':
			json_decref(bindings);
			if ((bindings = cli_json_arg(optarg, "--bindings", &err))
			    == NULL) {
				rc = cli_usage_error("jsonata", "--bindings: %s",
				    sd_error_text(&err));
				goto out;
			}
			if (!json_is_object(bindings)) {
				rc = cli_usage_error("jsonata", "--bindings: want "
				    "a JSON object (variable names to values)");
				goto out;
			}
			break;
		case 't':
			if (parse_uint(optarg, &jo.time_limit_ms) != 0) {
				rc = cli_usage_error("jsonata", "--time-limit-ms: "
				    "want a number of milliseconds from 1 to %u, "
				    "got \"%s\"", UINT_MAX, optarg);
				goto out;
			}
			break;
		case 'd':
			if (parse_uint(optarg, &jo.max_depth) != 0) {
				rc = cli_usage_error("jsonata", "--max-depth: want "
				    "a number from 1 to %u, got \"%s\"", UINT_MAX,
				    optarg);
				goto out;
			}
			break;
		case 'a':
			jo.aws_functions = 1;
			break;
		case 's':
			if (parse_uint(optarg, &seed) != 0) {
				rc = cli_usage_error("jsonata", "--seed: want a "
				    "number from 1 to %u, got \"%s\"", UINT_MAX,
				    optarg);
				goto out;
			}
			have_seed = 1;
			break;
		case 'h':
			jsonata_usage(stdout);
			rc = 0;
			goto out;
		default:
			if (optopt != 0)
				rc = cli_usage_error("jsonata", "--%s needs a value",
				    optopt == 'i' ? "input" : optopt == 'b' ?
				    "bindings" : optopt == 't' ? "time-limit-ms" :
				    optopt == 's' ? "seed" : "max-depth");
			else
				rc = cli_usage_error("jsonata", "unknown option "
				    "\"%s\"", argv[optind - 1]);
			jsonata_usage(stderr);
			goto out;
		}
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error("jsonata", optind == argc ? "no expression" :
		    "one expression only (quote it)");
		jsonata_usage(stderr);
		goto out;
	}
	if (have_seed && !jo.aws_functions) {
		rc = cli_usage_error("jsonata", "--seed goes with --aws");
		goto out;
	}
	if (have_seed) {
		rng = seed;
		jo.rng = &rng;
	}
	src = argv[optind];
	if ((expr = sd_jn_compile(src, &jerr)) == NULL ||
	    sd_jn_eval(expr, input, bindings, &jo, &out, &jerr) != 0) {
		print_error(&jerr);
		rc = 1;
		goto out;
	}
	rc = 0;
	if (out != NULL && cli_print_json(out, 0) != 0) {
		fprintf(stderr, "stepdeploy jsonata: cannot write the result\n");
		rc = 1;
	}
 out:
	json_decref(out);
	json_decref(input);
	json_decref(bindings);
	sd_jn_free(expr);
	sd_error_clear(&err);
	return rc;
}
