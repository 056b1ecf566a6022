/*
 * stepdeploy-executor: runs a release's tests for the validator, with
 * mocks only, each run in a bounded worker (see sd_executor.h). This file
 * parses argv, sets up, drops privileges, sandboxes and runs the loop.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_daemon.h"
#include "sd_executor.h"
#include "sd_log.h"

static const char *prog = "stepdeploy-executor";

static void
usage(FILE *f)
{
	fprintf(f, "usage: %s " SD_DAEMON_USAGE "\n"
	    "       [--memory-mb N] [--cpu-seconds N] [--wall-seconds N]\n\n"
	    "Runs the tests of releases the validator sends on exec.sock\n"
	    "(default " SD_EXECUTOR_DEFAULT_SOCKET "), mocks only.\n\n"
	    SD_DAEMON_HELP
	    "  --memory-mb N     a test run's address space (default 1024)\n"
	    "  --cpu-seconds N   a test run's CPU time (default 60)\n"
	    "  --wall-seconds N  a test run's wall time (default 60)\n", prog);
}

static int
number(const char *opt, const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || *v == 0 || *v > max) {
		fprintf(stderr, "%s: %s: a number from 1 to %lu\n", prog, opt,
		    max);
		return -1;
	}
	return 0;
}

static int
run(void *arg, struct sd_daemon *d, struct sd_error *err)
{
	return sd_executor_run(d->lfd, d->pol, arg, err);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		SD_DAEMON_LONGOPTS,
		{ "memory-mb", required_argument, NULL, 'm' },
		{ "cpu-seconds", required_argument, NULL, 'c' },
		{ "wall-seconds", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct sd_executor_limits lim;
	struct sd_daemon d;
	unsigned long v;
	int ch, r;

	sd_executor_limits_default(&lim);
	sd_daemon_init(&d, prog, SD_EXECUTOR_DEFAULT_SOCKET, NULL);
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (number("--memory-mb", optarg, 1UL << 20, &v) != 0)
				return 2;
			lim.memory_bytes = (uint64_t)v << 20;
			break;
		case 'c':
			if (number("--cpu-seconds", optarg, 86400, &v) != 0)
				return 2;
			lim.cpu_seconds = (unsigned)v;
			break;
		case 'w':
			if (number("--wall-seconds", optarg, 86400, &v) != 0)
				return 2;
			lim.wall_ms = (unsigned)v * 1000;
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
	return sd_daemon_serve(&d, argc, argv, 0666, sd_executor_sandbox, run,
	    &lim);
}
