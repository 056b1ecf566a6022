/*
 * stepdeploy test DEFINITION TESTS.json [--json] [--pretty]
 *
 * Runs a release's tests file through step_run_tests() and prints its
 * report: a PASS/FAIL line per test with the differences under it, then
 * "N passed, N failed"; or, with --json, the report itself.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* Longest value shown in a difference (the rest is elided). */
#define SHOW_MAX	400

static void
test_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy test DEFINITION TESTS.json [--json] [--pretty]\n"
	    "\n"
	    "Runs the state machine in DEFINITION (a file, - for stdin) once per\n"
	    "test in TESTS.json, a list of {\"name\", \"input\", \"mocks\", \"expected\":\n"
	    "{\"status\", \"output\", \"error\", \"cause\", \"path\"}} (an expected field\n"
	    "left out is not checked), on the virtual clock with each test's mocks.\n"
	    "Prints PASS or FAIL and the name of each test, what differs under a\n"
	    "failed one, then \"N passed, N failed\"; --json prints the report as JSON\n"
	    "instead. Exit 0 all passed, 1 some failed, 2 bad usage or bad files.\n");
}

/*
 * Print s with control characters escaped (a name cannot fake a line),
 * at most max bytes of it then "...".
 */
static void
put_safe(const char *s, size_t max)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)s; *p != '\0'; p++, n++) {
		if (n >= max && (*p & 0xc0) != 0x80) {
			fputs("...", stdout);
			break;
		}
		if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
}

/* Print v as compact JSON, cut at SHOW_MAX bytes (on a UTF-8 boundary). */
static int
show(json_t *v)
{
	char *s;
	size_t len, cut;

	if (v == NULL) {
		fputs("(none)", stdout);
		return 0;
	}
	if ((s = sd_json_dumps(v, 0)) == NULL)
		return -1;
	len = strlen(s);
	if (len <= SHOW_MAX) {
		fputs(s, stdout);
	} else {
		cut = SHOW_MAX;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		printf("%.*s... (%zu bytes)", (int)cut, s, len);
	}
	free(s);
	return 0;
}

static int
print_diff(json_t *d)
{
	const char *field = json_string_value(json_object_get(d, "field"));
	json_t *paths = json_object_get(d, "paths"), *p;
	size_t i;
	int indent;

	indent = printf("    %s: ", field != NULL ? field : "?");
	if (indent < 0)
		return -1;
	fputs("expected ", stdout);
	if (show(json_object_get(d, "expected")) != 0)
		return -1;
	printf("\n%*sgot      ", indent, "");
	if (show(json_object_get(d, "got")) != 0)
		return -1;
	putchar('\n');
	if (json_array_size(paths) > 0) {
		printf("%*sdiffer at ", indent, "");
		json_array_foreach(paths, i, p) {
			printf("%s", i > 0 ? ", " : "");
			put_safe(json_string_value(p) != NULL ?
			    json_string_value(p) : "?", SHOW_MAX);
		}
		if (json_integer_value(json_object_get(d, "morePaths")) > 0)
			printf(" and %lld more", (long long)json_integer_value(
			    json_object_get(d, "morePaths")));
		putchar('\n');
	}
	return 0;
}

/* The PASS/FAIL lines and the closing count. */
static int
print_report(json_t *report)
{
	json_t *tests = json_object_get(report, "tests"), *t, *d, *res;
	const char *name, *error, *cause;
	size_t i, j;
	int passed, error_shown;

	json_array_foreach(tests, i, t) {
		name = json_string_value(json_object_get(t, "name"));
		passed = json_is_true(json_object_get(t, "passed"));
		fputs(passed ? "PASS " : "FAIL ", stdout);
		put_safe(name != NULL ? name : "?", SIZE_MAX);
		putchar('\n');
		if (passed)
			continue;
		error_shown = 0;
		json_array_foreach(json_object_get(t, "diffs"), j, d) {
			const char *f = json_string_value(json_object_get(d,
			    "field"));

			if (f != NULL && (strcmp(f, "error") == 0 ||
			    strcmp(f, "cause") == 0))
				error_shown = 1;
			if (print_diff(d) != 0)
				return -1;
		}
		/* A run that failed unexpectedly: say how, once. */
		res = json_object_get(t, "result");
		error = json_string_value(json_object_get(res, "error"));
		cause = json_string_value(json_object_get(res, "cause"));
		if (!error_shown && (error != NULL || cause != NULL)) {
			printf("    (the run %s with ", json_string_value(
			    json_object_get(res, "status")) != NULL ?
			    json_string_value(json_object_get(res, "status")) :
			    "ended");
			put_safe(error != NULL ? error : "no error", SHOW_MAX);
			if (cause != NULL) {
				fputs(": ", stdout);
				put_safe(cause, SHOW_MAX);
			}
			puts(")");
		}
	}
	printf("%lld passed, %lld failed\n",
	    (long long)json_integer_value(json_object_get(report, "passed")),
	    (long long)json_integer_value(json_object_get(report, "failed")));
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : -1;
}

int
cmd_test(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	json_t *def = NULL, *tests = NULL, *report = NULL;
	int c, as_json = 0, pretty = 0, rc = EXIT_USAGE;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			as_json = 1;
			break;
		case 'P':
			pretty = 1;
			break;
		case 'h':
			test_usage(stdout);
			rc = 0;
			goto out;
		default:
			rc = cli_usage_error("test", "unknown or incomplete option "
			    "\"%s\" (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (optind != argc - 2) {
		test_usage(stderr);
		rc = cli_usage_error("test", optind >= argc ?
		    "no DEFINITION given" : optind == argc - 1 ?
		    "no TESTS.json given" : "unexpected argument \"%s\"",
		    argv[optind + 2 < argc ? optind + 2 : optind]);
		goto out;
	}
	if (strcmp(argv[optind], "-") == 0 && strcmp(argv[optind + 1], "-") == 0) {
		rc = cli_usage_error("test", "DEFINITION and TESTS.json cannot "
		    "both be read from stdin");
		goto out;
	}
	if ((def = cli_load_definition(argv[optind], &err)) == NULL) {
		rc = cli_usage_error("test", "%s", sd_error_text(&err));
		goto out;
	}
	if (step_machine_from_json(def, NULL, &m, &err) != 0) {
		rc = cli_usage_error("test", "%s: invalid definition: %s",
		    argv[optind], sd_error_text(&err));
		goto out;
	}
	if ((tests = sd_json_load_file(argv[optind + 1], JSON_REJECT_DUPLICATES,
	    &err)) == NULL) {
		rc = cli_usage_error("test", "%s", sd_error_text(&err));
		goto out;
	}
	if (step_run_tests(m, tests, &report, &err) != 0) {
		if (err.code == SD_ERR_INVALID) {
			rc = cli_usage_error("test", "%s: %s", argv[optind + 1],
			    sd_error_text(&err));
			goto out;
		}
		fprintf(stderr, "stepdeploy test: %s\n", sd_error_text(&err));
		rc = 3;
		goto out;
	}
	if ((as_json ? cli_print_json(report, pretty) :
	    print_report(report)) != 0) {
		fprintf(stderr, "stepdeploy test: cannot print the report\n");
		rc = 3;
		goto out;
	}
	rc = json_integer_value(json_object_get(report, "failed")) == 0 ? 0 : 1;
 out:
	sd_error_clear(&err);
	json_decref(report);
	json_decref(tests);
	json_decref(def);
	step_machine_free(m);
	return rc;
}
