/*
 * stepdeploy plan --release FILE --zip FILE [--json] --policy FILE
 *     --signer SOCKET [--ca-bundle FILE]
 *
 * What a deploy of the release would do, without changing anything: only
 * reads are sent (S3 GET/HEAD, Lambda GetFunctionConfiguration and
 * ListTags, Step Functions DescribeStateMachine and ListTagsForResource),
 * in the order the deploy flow would meet them:
 *	Validate	the release check, the zip's SHA-256 vs lambda_sha256,
 *			the policy's ARNs
 *	Lock		the freeze marker, the lock (free, held, expired), the
 *			release id (was PROJECT/CONFIG/RELEASE_ID/release.json
 *			written before?)
 *	ValidateResources  the resources exist and carry the required tags
 *	the changes	the function's CodeSha256 now -> the zip's, and a
 *			unified line diff of the definition now vs the
 *			release's as it would be deployed (sd_deploy_qualify:
 *			the Lambda named by the version the deploy publishes,
 *			shown as "<next version>"), both pretty-printed with
 *			sorted keys
 * Exit 0 when a deploy would proceed, 1 when it would be refused (every
 * reason is listed) or AWS could not be read, 2 for bad usage or input.
 *
 * The plan itself is made by uploader/sd_plan.h (sd_plan_make); this
 * file parses the arguments and prints it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_err.h"
#include "sd_plan.h"

/* ------------------------------------------------------------ output */

static const char *
jstr(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? s : dflt;
}

static void
print_text(const json_t *j)
{
	const json_t *chk, *zip, *fr, *lk, *lj, *sj, *tg, *v;
	const char *state;
	size_t i;

	printf("plan for release %s of %s %s (%s, account %s)\n",
	    jstr(j, "release_id", "?"), jstr(j, "project", "?"),
	    jstr(j, "config", "?"), jstr(j, "region", "?"),
	    jstr(j, "account", "?"));
	chk = json_object_get(j, "release_check");
	printf("  release check   %s, %lld error(s), %lld warning(s)\n",
	    json_is_true(json_object_get(chk, "ok")) ? "ok" : "REFUSED",
	    (long long)json_integer_value(json_object_get(chk, "errors")),
	    (long long)json_integer_value(json_object_get(chk, "warnings")));
	zip = json_object_get(j, "zip");
	printf("  zip             %s: %lld bytes, SHA-256 %s (%s)\n",
	    jstr(zip, "path", "?"),
	    (long long)json_integer_value(json_object_get(zip, "size")),
	    jstr(zip, "sha256", "?"),
	    json_object_get(zip, "lambda_sha256") == NULL ||
	    json_is_null(json_object_get(zip, "lambda_sha256")) ?
	    "the release has no lambda_sha256" :
	    json_is_true(json_object_get(zip, "matches")) ?
	    "matches the release's lambda_sha256" :
	    "DOES NOT match the release's lambda_sha256");
	if (json_object_get(j, "aws") != NULL) {
		printf("  AWS             %s\n", jstr(j, "aws", ""));
		goto verdict;
	}
	fr = json_object_get(j, "freeze");
	if (json_is_true(json_object_get(fr, "frozen")))
		printf("  freeze          FROZEN by %s since %s: %s\n",
		    jstr(fr, "by", "?"), jstr(fr, "at", "?"),
		    jstr(fr, "reason", "(unreadable marker)"));
	else if (json_object_get(fr, "error") != NULL)
		printf("  freeze          unknown: %s\n", jstr(fr, "error", ""));
	else
		printf("  freeze          not frozen\n");
	lk = json_object_get(j, "lock");
	state = jstr(lk, "state", "?");
	if (strcmp(state, "held") == 0 || strcmp(state, "expired") == 0)
		printf("  lock            %s: by %s for release %s until %s%s\n",
		    strcmp(state, "held") == 0 ? "HELD" : "expired",
		    jstr(lk, "holder", "?"), jstr(lk, "release_id", "?"),
		    jstr(lk, "expires_at", "?"), strcmp(state, "expired") ==
		    0 ? " (a deploy takes it over)" : "");
	else
		printf("  lock            %s\n", state);
	v = json_object_get(j, "release_id_used");
	printf("  release id      %s\n", json_is_true(v) ? "USED BEFORE" :
	    json_is_false(v) ? "not used before" : "unknown");
	lj = json_object_get(j, "lambda");
	if (lj != NULL) {
		printf("  Lambda          %s\n", jstr(lj, "arn", "?"));
		v = json_object_get(lj, "code_sha256");
		if (v != NULL)
			printf("    CodeSha256    %s -> %s%s\n",
			    jstr(v, "current", "?"), jstr(v, "new", "?"),
			    json_is_true(json_object_get(lj, "changes")) ? "" :
			    " (unchanged)");
		else if (json_is_false(json_object_get(lj, "exists")))
			printf("    DOES NOT EXIST\n");
	}
	sj = json_object_get(j, "state_machine");
	if (sj != NULL) {
		printf("  state machine   %s\n", jstr(sj, "arn", "?"));
		if (json_is_false(json_object_get(sj, "exists")))
			printf("    DOES NOT EXIST\n");
		else if (json_is_false(json_object_get(sj, "changes")))
			printf("    definition    unchanged\n");
		else if (json_is_true(json_object_get(sj, "changes"))) {
			if (json_object_get(sj, "lines_added") != NULL)
				printf("    definition    changes: +%lld -%lld "
				    "lines\n", (long long)json_integer_value(
				    json_object_get(sj, "lines_added")),
				    (long long)json_integer_value(
				    json_object_get(sj, "lines_removed")));
			else
				printf("    definition    %s\n", jstr(sj,
				    "diff_note", "changes"));
		}
	}
	tg = json_object_get(j, "tags");
	if (tg != NULL)
		printf("  tags            %s\n", json_is_true(json_object_get(tg,
		    "ok")) ? "ok" : json_object_get(tg, "error") != NULL ?
		    "unknown" : "WRONG");
	v = sj != NULL ? json_object_get(sj, "diff") : NULL;
	if (json_is_string(v))
		printf("\n%s", json_string_value(v));
 verdict:
	v = json_object_get(j, "refusals");
	if (json_array_size(v) == 0)
		printf("\nplan: a deploy of %s would proceed\n",
		    jstr(j, "release_id", "?"));
	else {
		printf("\nplan: a deploy of %s would be refused:\n",
		    jstr(j, "release_id", "?"));
		for (i = 0; i < json_array_size(v); i++)
			printf("  - %s\n", json_string_value(json_array_get(v,
			    i)));
	}
}

int
cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		{ "json", no_argument, NULL, 'j' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "stepdeploy plan --release FILE --zip FILE "
	    "[--json] " CLI_AWS_USAGE;
	const char *release_path = NULL, *zip = NULL;
	struct cli_aws a;
	struct sd_plan_release rel;
	struct sd_error err = SD_ERROR_INIT;
	json_t *plan = NULL, *refusals;
	int c, rc = 1, as_json = 0;

	cli_aws_init(&a);
	memset(&rel, 0, sizeof(rel));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip = optarg; break;
		case 'j': as_json = 1; break;
		case 'h':
			printf("usage: %s\n"
			    "Show what a deploy of the release would change, "
			    "without changing anything\n(reads only). Exit 0 "
			    "when a deploy would proceed, 1 when it would be\n"
			    "refused (every reason listed).\n", usage);
			return 0;
		case '?':
			return cli_usage_error("plan", "unknown option or "
			    "missing value: %s (usage: %s)", optind > 1 &&
			    optind <= argc ? argv[optind - 1] : "?", usage);
		default:
			if (cli_aws_option(&a, c, optarg))
				break;
			return cli_usage_error("plan", "usage: %s", usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("plan", "unexpected argument \"%s\"",
		    argv[optind]);
	if (release_path == NULL || zip == NULL || a.policy_path == NULL ||
	    a.signer_path == NULL)
		return cli_usage_error("plan", "--release, --zip, --policy and "
		    "--signer are required");

	if (cli_aws_load_policy(&a, &err) != 0 ||
	    sd_plan_release_load(a.policy, release_path, zip, &rel,
	    &err) != 0) {
		rc = cli_usage_error("plan", "%s", sd_error_text(&err));
		goto out;
	}
	if (sd_plan_release_addressable(&rel) &&
	    cli_aws_open(&a, rel.region, &err) != 0)
		goto fail;
	if (sd_plan_make(a.aws, a.policy, &rel, zip, &plan, &err) != 0)
		goto fail;
	refusals = json_object_get(plan, "refusals");
	if (as_json) {
		if (cli_print_json(plan, 0) != 0) {
			sd_error_set(&err, SD_ERR_IO, NULL, "cannot write the "
			    "plan");
			goto fail;
		}
	} else
		print_text(plan);
	if (json_array_size(refusals) == 0)
		rc = 0;
	else {
		fprintf(stderr, "stepdeploy plan: a deploy of %s would be "
		    "refused: %s%s\n", rel.release_id,
		    json_string_value(json_array_get(refusals, 0)),
		    json_array_size(refusals) > 1 ? " (and more, listed "
		    "above)" : "");
		rc = 1;
	}
	goto out;
 fail:
	fprintf(stderr, "stepdeploy plan: %s\n", sd_error_text(&err));
	rc = 1;
 out:
	fflush(stdout);
	json_decref(plan);
	sd_plan_release_clear(&rel);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}
