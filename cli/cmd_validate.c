/*
 * stepdeploy validate DEFINITION [--zip FILE] [--release FILE] [--json]
 *     [--pretty] [--no-arn-check] [--no-path-check]
 *
 * Lints a state machine definition (validator/sd_lint.h) and, when given,
 * inspects a Lambda zip (sd_zip.h) and checks a release.json
 * (sd_release.h), and reports every finding together: one line each
 * ("error /States/A/Next: Missing 'Next' target: B"), or with --json AWS's
 * ValidateStateMachineDefinition shape {"result": "OK"|"FAIL",
 * "diagnostics": [{"severity", "code", "message", "location"}]}.
 * Exit 0 without errors (warnings allowed), 1 with an error (malformed
 * JSON included), 2 for bad usage or a file that cannot be read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sd_check.h"
#include "sd_json.h"
#include "sd_lint.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_time.h"
#include "sd_zip.h"

/* Read at most this much of a definition; the lint refuses over 1 MiB. */
#define VALIDATE_READ_MAX	((size_t)64 * 1024 * 1024)

static void
validate_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy validate DEFINITION [--zip FILE] [--release FILE]\n"
	    "                           [--json] [--pretty] [--no-arn-check]\n"
	    "                           [--no-path-check] [--policy FILE]\n"
	    "\n"
	    "Checks the state machine definition in DEFINITION (a file, - for\n"
	    "stdin) against the Amazon States Language and what AWS Step\n"
	    "Functions accepts, and reports every finding, one a line:\n"
	    "  error /States/A/Next: Missing 'Next' target: B\n"
	    "--zip also inspects a Lambda deployment zip, --release checks a\n"
	    "release.json (and that the zip is the one it names); --policy\n"
	    "applies the policy's project rules and limits.\n--json prints {\"result\": \"OK\"|\"FAIL\",\n"
	    "\"diagnostics\": [{\"severity\", \"code\", \"message\", \"location\"}]}\n"
	    "as AWS's ValidateStateMachineDefinition does. --no-arn-check skips\n"
	    "the Resource ARN checks, --no-path-check the JSONPath and intrinsic\n"
	    "function syntax checks.\n"
	    "Exit 0 no error (warnings allowed), 1 an error, 2 bad usage or a\n"
	    "file that cannot be read.\n");
}

static int
add_diag(json_t *diags, const char *sev, const char *code, const char *msg,
    const char *loc)
{
	return sd_check_diag(diags, sev, code, msg, loc) == 0 ? 0 : -1;
}

/* The last component of a path. */
static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : path;
}

/* The definition's findings into diags; 2 when it cannot be read. */
static int
lint_file(const char *path, const struct sd_lint_opts *o, json_t *diags)
{
	struct sd_error err = SD_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;
	int r, rc = EXIT_USAGE;

	if ((r = sd_read_file(path, VALIDATE_READ_MAX, &buf, &len, &err)) != 0) {
		if (r == SD_ERR_LIMIT) {
			/* Readable, just too large: a finding, not a failure. */
			if (add_diag(diags, "ERROR", "DEFINITION_TOO_LARGE",
			    "The definition is larger than the limit of 1048576 "
			    "bytes", "/") != 0)
				goto nomem;
			rc = 0;
			goto out;
		}
		fprintf(stderr, "stepdeploy validate: %s\n", sd_error_text(&err));
		goto out;
	}
	if (sd_check_definition(buf, len, o, diags, &err) != 0)
		goto nomem;
	rc = 0;
	goto out;
 nomem:
	fprintf(stderr, "stepdeploy validate: out of memory\n");
 out:
	free(buf);
	sd_error_clear(&err);
	return rc;
}

/* The zip's findings (locations "ZIPNAME:ENTRY" already); 2 unreadable. */
static int
zip_file(const char *path, json_t *diags, json_t *release,
    const struct sd_policy *pol)
{
	struct sd_error err = SD_ERROR_INIT;
	int rc = 0;

	if (sd_check_zip(path, release, pol, diags, NULL, &err) != 0) {
		fprintf(stderr, "stepdeploy validate: %s\n", sd_error_text(&err));
		rc = EXIT_USAGE;
	}
	sd_error_clear(&err);
	return rc;
}

/* release.json's findings, located "NAME:/field"; 2 unreadable. */
static int
release_file(const char *path, json_t *diags, json_t **parsed,
    const struct sd_policy *pol)
{
	struct sd_error err = SD_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;
	int rc = EXIT_USAGE;

	if (sd_read_file(path, VALIDATE_READ_MAX, &buf, &len, &err) != 0 ||
	    sd_check_release(buf, len, base_name(path), pol, NULL, diags,
	    parsed, &err) != 0)
		fprintf(stderr, "stepdeploy validate: %s\n", sd_error_text(&err));
	else
		rc = 0;
	free(buf);
	sd_error_clear(&err);
	return rc;
}

/* One line per finding: "error LOCATION: MESSAGE". */
static int
print_lines(json_t *diags)
{
	const char *sev, *loc, *msg;
	json_t *d;
	size_t i;

	json_array_foreach(diags, i, d) {
		sev = json_string_value(json_object_get(d, "severity"));
		loc = json_string_value(json_object_get(d, "location"));
		msg = json_string_value(json_object_get(d, "message"));
		if (printf("%s%s%s: %s\n", sev != NULL &&
		    strcmp(sev, "WARNING") == 0 ? "warning" : "error",
		    loc != NULL ? " " : "", loc != NULL ? loc : "",
		    msg != NULL ? msg : "") < 0)
			return -1;
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int
cmd_validate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "zip", required_argument, NULL, 'z' },
		{ "release", required_argument, NULL, 'r' },
		{ "policy", required_argument, NULL, 'L' },
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "no-arn-check", no_argument, NULL, 'A' },
		{ "no-path-check", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_lint_opts o;
	const char *zip = NULL, *release = NULL, *sev;
	json_t *out = NULL, *diags = NULL, *rel = NULL, *d;
	struct sd_policy *pol = NULL;
	struct sd_policy_opts popts = { SD_POLICY_KEEP_UNKNOWN_USERS, NULL, NULL };
	struct sd_error perr = SD_ERROR_INIT;
	size_t i;
	int c, as_json = 0, pretty = 0, failed = 0, rc = EXIT_USAGE;

	sd_lint_opts_default(&o);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'z':
			zip = optarg;
			break;
		case 'r':
			release = optarg;
			break;
		case 'L':
			/* A lint tool may run off the service host: user
			 * names it cannot resolve match nobody. */
			if (pol != NULL || sd_policy_load_opts(optarg, &popts,
			    &pol, &perr) != 0) {
				rc = cli_usage_error("validate", "--policy %s: %s",
				    optarg, pol != NULL ? "given twice" :
				    sd_error_text(&perr));
				goto out;
			}
			break;
		case 'j':
			as_json = 1;
			break;
		case 'p':
			as_json = pretty = 1;
			break;
		case 'A':
			o.check_arn = 0;
			break;
		case 'P':
			o.check_paths = 0;
			break;
		case 'h':
			validate_usage(stdout);
			rc = 0;
			goto out;
		default:
			if (optopt != 0)
				rc = cli_usage_error("validate", "option -%c "
				    "needs an argument or is unknown (see --help)",
				    optopt);
			else
				rc = cli_usage_error("validate", "unknown option "
				    "%s (see --help)", argv[optind - 1]);
			goto out;
		}
	}
	if (argc - optind != 1) {
		rc = cli_usage_error("validate", argc - optind == 0 ?
		    "missing DEFINITION (see --help)" :
		    "one DEFINITION only (see --help)");
		goto out;
	}
	if ((diags = json_array()) == NULL) {
		fprintf(stderr, "stepdeploy validate: out of memory\n");
		goto out;
	}
	if (lint_file(argv[optind], &o, diags) != 0 ||
	    (release != NULL && release_file(release, diags, &rel, pol) != 0) ||
	    (zip != NULL && zip_file(zip, diags, rel, pol) != 0))
		goto out;
	json_array_foreach(diags, i, d) {
		sev = json_string_value(json_object_get(d, "severity"));
		if (sev == NULL || strcmp(sev, "WARNING") != 0)
			failed = 1;
	}
	if (as_json) {
		if ((out = json_pack("{s:s, s:O}", "result", failed ? "FAIL" :
		    "OK", "diagnostics", diags)) == NULL ||
		    cli_print_json(out, pretty) != 0) {
			fprintf(stderr, "stepdeploy validate: cannot write the "
			    "result\n");
			goto out;
		}
	} else if (print_lines(diags) != 0) {
		fprintf(stderr, "stepdeploy validate: cannot write the result\n");
		goto out;
	}
	rc = failed ? 1 : 0;
 out:
	sd_policy_free(pol);
	sd_error_clear(&perr);
	json_decref(rel);
	json_decref(out);
	json_decref(diags);
	return rc;
}
