/*
 * step-bench: time executions of one state machine through libstep.
 *
 *	step-bench [-n RUNS] [-u] [-o OUTPUT.json] DEF.json INPUT.json
 *
 * Builds the machine once, runs one untimed warm-up execution, then times
 * RUNS executions (default 10) with CLOCK_MONOTONIC. Prints one JSON line:
 * {"executions_per_sec", "transitions_per_sec", "transitions_per_execution",
 * "peak_rss_kib"}. Exits 1 if an execution does not succeed, 2 on bad usage.
 * Executions run with the default options (opts NULL: virtual clock, no
 * history, AWS's 256 KiB payload limit); -u lifts the payload limit
 * (max_payload SIZE_MAX), for inputs bigger than AWS would accept; -o
 * writes the warm-up execution's output to OUTPUT.json (to check it).
 * Uses the public step.h API only; Task states are not bound, so the
 * definitions measured should have none.
 */
#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_json.h"
#include "step.h"

#define BENCH_DEFAULT_RUNS	10
#define BENCH_MAX_RUNS		100000000LL
#define BENCH_MAX_FILE		((size_t)64 * 1024 * 1024)

static void
usage(void)
{
	fprintf(stderr, "usage: step-bench [-n RUNS] [-u] [-o OUTPUT.json] DEF.json "
	    "INPUT.json\n");
	exit(2);
}

static double
now_sec(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("step-bench: clock_gettime");
		exit(1);
	}
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One execution: 0 and *transitions when it SUCCEEDED, else -1 with a
 * message on stderr.
 */
static int
run_once(struct step_machine *m, json_t *input,
    const struct step_exec_opts *opts, uint64_t *transitions,
    const char *out_path)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_result *res = NULL;
	const char *e, *c;
	int r = -1;

	if (step_execute(m, input, opts, &res, &err) != 0) {
		fprintf(stderr, "step-bench: execute: %s\n", sd_error_text(&err));
		goto out;
	}
	if (step_result_status(res) != STEP_SUCCEEDED) {
		e = step_result_error(res);
		c = step_result_cause(res);
		fprintf(stderr, "step-bench: execution %s: %s: %s\n",
		    step_status_name(step_result_status(res)),
		    e != NULL ? e : "-", c != NULL ? c : "-");
		goto out;
	}
	*transitions = step_result_transitions(res);
	if (out_path != NULL && json_dump_file(step_result_output(res), out_path,
	    JSON_COMPACT | JSON_ENCODE_ANY) != 0) {
		fprintf(stderr, "step-bench: cannot write %s\n", out_path);
		goto out;
	}
	r = 0;
 out:
	step_result_free(res);
	sd_error_clear(&err);
	return r;
}

int
main(int argc, char **argv)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_exec_opts unlimited, *opts = NULL;
	struct step_machine *m = NULL;
	struct rusage ru;
	json_t *input = NULL;
	char *def = NULL, *end = NULL;
	const char *out_path = NULL;
	size_t deflen = 0;
	long long runs = BENCH_DEFAULT_RUNS, i;
	uint64_t warm = 0, t = 0, total = 0;
	double t0, sec;
	int ch, status = 1;

	/*
	 * As the stepdeploy command does (cli/main.c): freed memory stays
	 * with the process for the next execution instead of going back to
	 * the kernel and being faulted in again.
	 */
	if (mallopt(M_TRIM_THRESHOLD, 256 << 20) != 1) {
		fprintf(stderr, "step-bench: mallopt failed\n");
		return 1;
	}
	memset(&unlimited, 0, sizeof(unlimited));
	unlimited.record_path = 1;
	unlimited.max_payload = SIZE_MAX;
	while ((ch = getopt(argc, argv, "n:o:u")) != -1) {
		switch (ch) {
		case 'n':
			errno = 0;
			runs = strtoll(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    runs < 1 || runs > BENCH_MAX_RUNS) {
				fprintf(stderr, "step-bench: -n: a number from "
				    "1 to %lld\n", BENCH_MAX_RUNS);
				exit(2);
			}
			break;
		case 'u':
			opts = &unlimited;
			break;
		case 'o':
			out_path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2)
		usage();

	if (sd_read_file(argv[0], BENCH_MAX_FILE, &def, &deflen, &err) != 0 ||
	    (input = sd_json_load_file(argv[1], 0, &err)) == NULL) {
		fprintf(stderr, "step-bench: %s\n", sd_error_text(&err));
		status = 2;
		goto out;
	}
	if (step_machine_new(def, deflen, NULL, &m, &err) != 0) {
		fprintf(stderr, "step-bench: %s: %s\n", argv[0],
		    sd_error_text(&err));
		status = 2;
		goto out;
	}

	if (run_once(m, input, opts, &warm, out_path) != 0)
		goto out;
	t0 = now_sec();
	for (i = 0; i < runs; i++) {
		if (run_once(m, input, opts, &t, NULL) != 0)
			goto out;
		total += t;
	}
	sec = now_sec() - t0;
	if (sec <= 0)
		sec = 1e-9;
	if (getrusage(RUSAGE_SELF, &ru) != 0) {
		perror("step-bench: getrusage");
		goto out;
	}
	if (printf("{\"executions_per_sec\":%.2f,\"transitions_per_sec\":%.0f,"
	    "\"transitions_per_execution\":%" PRIu64 ",\"peak_rss_kib\":%ld}\n",
	    (double)runs / sec, (double)total / sec, warm, ru.ru_maxrss) < 0 ||
	    fflush(stdout) != 0) {
		perror("step-bench: stdout");
		goto out;
	}
	status = 0;
 out:
	step_machine_free(m);
	json_decref(input);
	free(def);
	sd_error_clear(&err);
	return status;
}
