/*
 * stepdeploy-uploader: applies the releases the validator hands over on
 * deploy.sock, one per project/config at a time, through the signer (see
 * sd_uploader.h). This file parses argv, sets up, drops privileges,
 * sandboxes and runs the loop.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "sd_daemon.h"
#include "sd_log.h"
#include "sd_uploader.h"

static const char *prog = "stepdeploy-uploader";

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s " SD_DAEMON_USAGE "\n"
	    "       [--spool DIR] [--signer PATH] [--ca-bundle FILE] "
	    "[--parallel N]\n\n"
	    "Deploys the releases the validator hands over on deploy.sock\n"
	    "(default " SD_UPLOADER_DEFAULT_SOCKET "); its queue, copies and "
	    "journals\nlive in STATE-DIR (default " SD_UPLOADER_DEFAULT_STATE
	    ").\n\n" SD_DAEMON_HELP
	    "  --spool DIR       the validator's spool (default "
	    SD_UPLOADER_DEFAULT_SPOOL ")\n"
	    "  --signer PATH     the signer's socket (default "
	    SD_UPLOADER_DEFAULT_SIGNER ")\n"
	    "  --ca-bundle FILE  PEM CAs for HTTPS (default: the system's)\n"
	    "  --parallel N      deploys of different configs at once "
	    "(default 4)\n", prog);
}

static int
run(void *arg, struct sd_daemon *d, struct sd_error *err)
{
	struct sd_uploader_opts *o = arg;

	o->pol = d->pol;
	o->lfd = d->lfd;
	o->state_dir = d->state_dir;
	return sd_uploader_run(o, err);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		SD_DAEMON_LONGOPTS,
		{ "spool", required_argument, NULL, 's' },
		{ "signer", required_argument, NULL, 'S' },
		{ "ca-bundle", required_argument, NULL, 'c' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_uploader_opts o;
	struct sd_daemon d;
	char *end;
	long n;
	int ch, r;

	memset(&o, 0, sizeof(o));
	o.spool_dir = SD_UPLOADER_DEFAULT_SPOOL;
	o.signer_socket = SD_UPLOADER_DEFAULT_SIGNER;
	sd_daemon_init(&d, prog, SD_UPLOADER_DEFAULT_SOCKET,
	    SD_UPLOADER_DEFAULT_STATE);
	d.audit_process = "uploader";
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': o.spool_dir = optarg; break;
		case 'S': o.signer_socket = optarg; break;
		case 'c': o.ca_bundle = optarg; break;
		case 'p':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    n < 1 || n > 64) {
				fprintf(stderr, "%s: --parallel: 1 to 64\n",
				    prog);
				return 2;
			}
			o.max_parallel = (unsigned)n;
			break;
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
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "%s: curl_global_init failed\n", prog);
		return 1;
	}
	r = sd_daemon_serve(&d, argc, argv, 0666, sd_uploader_sandbox, run, &o);
	curl_global_cleanup();
	return r;
}
