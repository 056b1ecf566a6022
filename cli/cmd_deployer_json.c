/*
 * stepdeploy deployer-json [--compact]
 *
 * Prints the deployer's own state machine definition (uploader/
 * sd_deploy.h), the flow `stepdeploy deploy` runs, so it can be read,
 * validated (`stepdeploy validate <(stepdeploy deployer-json)`) or run
 * with mocks (`stepdeploy exec`).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sd_deploy.h"

static void
deployer_json_usage(FILE *fp)
{
	fprintf(fp,
	    "usage: stepdeploy deployer-json\n"
	    "\n"
	    "Prints the deployer's own state machine definition (JSON) on stdout.\n"
	    "Exit 0, or 2 for bad usage.\n");
}

int
cmd_deployer_json(int argc, char **argv)
{
	const char *def = sd_deploy_definition();

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		deployer_json_usage(stdout);
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
