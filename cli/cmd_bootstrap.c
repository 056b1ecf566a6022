/*
 * stepdeploy bootstrap --release FILE --zip FILE --policy FILE
 *     --signer SOCKET [--ca-bundle FILE]
 *
 * Update an existing Lambda's code and state machine's definition
 * directly, after the deploy's checks: uploader/sd_bootstrap.h does it,
 * this file parses the arguments and prints each step. Exit 0 done, 1
 * refused or failed (saying what was changed by then), 2 bad usage/input.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_aws.h"
#include "sd_bootstrap.h"
#include "sd_err.h"
#include "sd_plan.h"

static void
on_step(void *arg, const char *name)
{
	(void)arg;
	printf("==> %s\n", name);
	fflush(stdout);
}

static void
on_detail(void *arg, const char *text)
{
	(void)arg;
	printf("    %s\n", text);
	fflush(stdout);
}

int
cmd_bootstrap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "stepdeploy bootstrap --release FILE --zip "
	    "FILE " CLI_AWS_USAGE;
	const char *release_path = NULL, *zip_path = NULL;
	struct cli_aws a;
	struct sd_plan_release rel;
	struct sd_bootstrap b;
	struct sd_error err = SD_ERROR_INIT;
	size_t i;
	int c, rc = 1, r;

	cli_aws_init(&a);
	memset(&rel, 0, sizeof(rel));
	memset(&b, 0, sizeof(b));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip_path = optarg; break;
		case 'h':
			printf("usage: %s\n"
			    "Update an existing Lambda function's code and "
			    "state machine's definition\ndirectly (no lock, no "
			    "S3 record, no rollback), after the deploy's "
			    "checks.\nBootstrap never creates resources. The "
			    "zip is sent inline (at most %zu bytes).\n", usage,
			    SD_AWS_INLINE_ZIP_MAX);
			return 0;
		case '?':
			return cli_usage_error("bootstrap", "unknown option or "
			    "missing value: %s (usage: %s)", optind > 1 &&
			    optind <= argc ? argv[optind - 1] : "?", usage);
		default:
			if (cli_aws_option(&a, c, optarg))
				break;
			return cli_usage_error("bootstrap", "usage: %s", usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("bootstrap", "unexpected argument "
		    "\"%s\"", argv[optind]);
	if (release_path == NULL || zip_path == NULL || a.policy_path == NULL ||
	    a.signer_path == NULL)
		return cli_usage_error("bootstrap", "--release, --zip, --policy "
		    "and --signer are required");

	if (cli_aws_load_policy(&a, &err) != 0 ||
	    sd_plan_release_load(a.policy, release_path, zip_path, &rel,
	    &err) != 0) {
		rc = cli_usage_error("bootstrap", "%s", sd_error_text(&err));
		goto out;
	}
	b.policy = a.policy;
	b.rel = &rel;
	b.zip_path = zip_path;
	b.on_step = on_step;
	b.on_detail = on_detail;
	if ((r = sd_bootstrap_validate(&b, &err)) == 0) {
		/* Nothing is changed before CheckResources has passed. */
		if ((r = cli_aws_open(&a, rel.region, &err)) != 0)
			goto fail;
		b.aws = a.aws;
		r = sd_bootstrap_apply(&b, &err);
	}
	if (r == 0) {
		printf("bootstrap %s: done (Lambda version %s)\n",
		    rel.release_id, b.version);
		rc = 0;
		goto out;
	}
	if (json_array_size(b.refusals) > 0) {
		for (i = 0; i < json_array_size(b.refusals); i++)
			fprintf(stderr, "stepdeploy bootstrap: %s\n",
			    json_string_value(json_array_get(b.refusals, i)));
		goto out;
	}
 fail:
	fprintf(stderr, "stepdeploy bootstrap: %s\n", sd_error_text(&err));
	if (b.code_changed)
		fprintf(stderr, "stepdeploy bootstrap: the Lambda's code was "
		    "changed; the state machine's definition may not be the "
		    "release's (bootstrap does not roll back)\n");
	rc = 1;
 out:
	fflush(stdout);
	sd_bootstrap_clear(&b);
	sd_plan_release_clear(&rel);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}
