/*
 * stepdeploy deployer-json [--recovery]
 *
 * Prints the deployer's own state machine definition (uploader/
 * sd_deploy.h), the flow `stepdeploy deploy` runs - or, with --recovery,
 * the one `stepdeploy recover` runs - so it can be read, validated
 * (`stepdeploy validate <(stepdeploy deployer-json)`) or run with mocks
 * (`stepdeploy exec`).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "sd_deploy.h"

static void
deployer_json_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy deployer-json [--recovery]\n"
	    "\n"
	    "Prints the deployer's own state machine definition (JSON) on stdout;\n"
	    "with --recovery, the one that completes or rolls back a release whose\n"
	    "deploy was interrupted. Exit 0, or 2 for bad usage.\n");
}

int
cmd_deployer_json(int argc, char **argv)
{
	const char *def = sd_deploy_definition();
	char *pretty = NULL;
	json_t *v;
	int rc;

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		deployer_json_usage(stdout);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--recovery") == 0) {
		/* Kept compact in the source: printed with indentation. */
		v = json_loads(sd_deploy_recovery_definition(),
		    JSON_REJECT_DUPLICATES, NULL);
		if (v != NULL)
			pretty = json_dumps(v, JSON_INDENT(2) |
			    JSON_PRESERVE_ORDER);
		json_decref(v);
		rc = pretty == NULL || fputs(pretty, stdout) == EOF ||
		    fputc('\n', stdout) == EOF || fflush(stdout) != 0;
		free(pretty);
		if (rc != 0) {
			fprintf(stderr, "stepdeploy deployer-json: cannot "
			    "write the definition\n");
			return 1;
		}
		return 0;
	}
	if (argc > 1) {
		deployer_json_usage(stderr);
		return cli_usage_error("deployer-json", "unexpected argument "
		    "\"%s\"", argv[1]);
	}
	if (fputs(def, stdout) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "stepdeploy deployer-json: cannot write the "
		    "definition\n");
		return 1;
	}
	return 0;
}
