/*
 * stepdeploy-validator: takes releases from CI on submit.sock, checks
 * them, has the executor run their tests and hands the ones that pass to
 * the uploader (see sd_validator.h). This file parses argv, sets up,
 * drops privileges, sandboxes and runs the loop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_daemon.h"
#include "sd_log.h"
#include "sd_validator.h"

static const char *prog = "stepdeploy-validator";

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s " SD_DAEMON_USAGE "\n"
	    "       [--exec-socket PATH] [--deploy-socket PATH]\n\n"
	    "Takes releases on submit.sock (default "
	    SD_VALIDATOR_DEFAULT_SOCKET "),\nchecks them, runs their tests "
	    "on the executor, spools the ones that pass\nunder STATE-DIR/spool "
	    "(default " SD_VALIDATOR_DEFAULT_STATE ") and hands\nthem to the "
	    "uploader.\n\n" SD_DAEMON_HELP
	    "  --exec-socket P   the executor (default " SD_EXEC_DEFAULT_SOCKET
	    ")\n"
	    "  --deploy-socket P the uploader (default "
	    SD_DEPLOY_DEFAULT_SOCKET ")\n", prog);
}

static int
run(void *arg, struct sd_daemon *d, struct sd_error *err)
{
	struct sd_validator_opts *o = arg;

	o->pol = d->pol;
	o->lfd = d->lfd;
	o->state_dir = d->state_dir;
	return sd_validator_run(o, err);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		SD_DAEMON_LONGOPTS,
		{ "exec-socket", required_argument, NULL, 'e' },
		{ "deploy-socket", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_validator_opts o;
	struct sd_daemon d;
	int ch, r;

	memset(&o, 0, sizeof(o));
	o.exec_socket = SD_EXEC_DEFAULT_SOCKET;
	o.deploy_socket = SD_DEPLOY_DEFAULT_SOCKET;
	sd_daemon_init(&d, prog, SD_VALIDATOR_DEFAULT_SOCKET,
	    SD_VALIDATOR_DEFAULT_STATE);
	d.audit_process = "validator";
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e': o.exec_socket = optarg; break;
		case 'd': o.deploy_socket = optarg; break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			if ((r = sd_daemon_option(&d, ch, optarg)) == 1)
				break;
			if (r == 0)
				usage(stderr);
			return 2;
		}
	}
	return sd_daemon_serve(&d, argc, argv, 0666, sd_validator_sandbox, run,
	    &o);
}
