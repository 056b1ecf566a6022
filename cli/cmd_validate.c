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

/* Append one diagnostic {severity, code, message[, location]}. */
static int
add_diag(json_t *diags, const char *sev, const char *code, const char *msg,
    const char *loc)
{
	json_t *d;

	if ((d = json_pack("{s:s, s:s, s:s}", "severity", sev, "code", code,
	    "message", msg != NULL ? msg : "")) == NULL)
		return -1;
	if (loc != NULL && json_object_set_new(d, "location",
	    json_string(loc)) != 0) {
		json_decref(d);
		return -1;
	}
	return json_array_append_new(diags, d);
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
	struct sd_lint_report *rep = NULL;
	json_t *j = NULL, *d;
	char *buf = NULL;
	size_t len = 0, i;
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
	if (sd_lint(buf, len, o, &rep, &err) != 0 ||
	    (j = sd_lint_report_json(rep)) == NULL)
		goto nomem;
	json_array_foreach(json_object_get(j, "diagnostics"), i, d)
		if (json_array_append(diags, d) != 0)
			goto nomem;
	rc = 0;
	goto out;
 nomem:
	fprintf(stderr, "stepdeploy validate: out of memory\n");
 out:
	json_decref(j);
	sd_lint_report_free(rep);
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
	struct sd_zip_report *rep = NULL;
	struct sd_zip_limits lim;
	const char *runtime, *want;
	json_t *j = NULL, *d;
	char *msg = NULL;
	size_t i;
	int rc = EXIT_USAGE;

	/* What the release says of its zip: a provided.* runtime needs an
	 * executable bootstrap, and lambda_sha256 must be this zip's. */
	sd_zip_limits_default(&lim);
	if (pol != NULL) {
		const struct sd_policy_limits *pl = sd_policy_limits(pol,
		    sd_policy_project(pol, json_string_value(json_object_get(
		    release, "project_name"))));

		lim.max_zipped = pl->zip_max_bytes;
		lim.max_unzipped = pl->zip_unzipped_max_bytes;
		lim.max_entries = pl->zip_max_entries;
		lim.max_ratio = pl->zip_max_ratio;
	}
	runtime = json_string_value(json_object_get(release, "runtime"));
	want = json_string_value(json_object_get(release, "lambda_sha256"));
	if (runtime != NULL && strncmp(runtime, "provided", 8) == 0)
		lim.require_bootstrap = 1;
	if (sd_zip_inspect_file(path, &lim, &rep, &err) != 0) {
		fprintf(stderr, "stepdeploy validate: %s\n", sd_error_text(&err));
		goto out;
	}
	if ((j = sd_zip_report_json(rep)) == NULL) {
		fprintf(stderr, "stepdeploy validate: out of memory\n");
		goto out;
	}
	json_array_foreach(json_object_get(j, "diagnostics"), i, d) {
		if (json_array_append(diags, d) != 0) {
			fprintf(stderr, "stepdeploy validate: out of memory\n");
			goto out;
		}
	}
	if (want != NULL && strcmp(want, rep->sha256_hex) != 0) {
		msg = sd_asprintf("the release's lambda_sha256 %s is not the "
		    "zip's SHA-256 %s", want, rep->sha256_hex);
		if (msg == NULL || add_diag(diags, "ERROR",
		    "RELEASE_ZIP_SHA256_MISMATCH", msg, "release.json:"
		    "/lambda_sha256") != 0) {
			fprintf(stderr, "stepdeploy validate: out of memory\n");
			goto out;
		}
	}
	rc = 0;
 out:
	free(msg);
	json_decref(j);
	sd_zip_report_free(rep);
	sd_error_clear(&err);
	return rc;
}

/* release.json's findings, located "NAME:/field"; 2 unreadable. */
static int
release_file(const char *path, json_t *diags, json_t **parsed,
    const struct sd_policy *pol)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_release_report *rep = NULL;
	const struct sd_finding *f;
	char *buf = NULL, *loc = NULL;
	size_t len = 0, i;
	int rc = EXIT_USAGE, r;

	if (sd_read_file(path, VALIDATE_READ_MAX, &buf, &len, &err) != 0) {
		fprintf(stderr, "stepdeploy validate: %s\n", sd_error_text(&err));
		goto out;
	}
	if ((rep = sd_release_report_new()) == NULL ||
	    sd_release_check_buf(buf, len, pol, sd_time_now(), NULL, rep,
	    NULL) != 0)
		goto nomem;
	/* Kept for the zip's checks; a release that does not parse has a
	 * finding already. */
	*parsed = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	for (i = 0; i < sd_release_report_count(rep); i++) {
		f = sd_release_report_get(rep, i);
		loc = sd_asprintf("%s:%s", base_name(path), f->location != NULL &&
		    f->location[0] != '\0' ? f->location : "/");
		if (loc == NULL)
			goto nomem;
		r = add_diag(diags, f->severity == SD_SEVERITY_ERROR ? "ERROR" :
		    "WARNING", f->code, f->message, loc);
		free(loc);
		if (r != 0)
			goto nomem;
	}
	rc = 0;
	goto out;
 nomem:
	fprintf(stderr, "stepdeploy validate: out of memory\n");
 out:
	sd_release_report_free(rep);
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
