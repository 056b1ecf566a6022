/*
 * lint-bench: how fast the definition lint runs, from text (JSON parse and
 * lint, as `stepdeploy validate` does), beside the JSON parse alone.
 *
 *	lint-bench [-n N] FILE...
 *
 * For each FILE it prints one JSON line in the shape of the peer's
 * `validate.js --bench` (../shared/peers/validate.js), plus the state
 * count and the time per state:
 *
 *	{"file", "bytes", "states", "result", "iterations", "seconds",
 *	 "definitions_per_sec", "parse_only_per_sec", "us_per_definition",
 *	 "us_per_state"}
 *
 * "result" is "valid", or "invalid: CODE: message" (the first ERROR).
 * Without -n, each file runs for about half a second (at least 10 times).
 * Exit 0, or 2 for bad usage or a file that cannot be read.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sd_json.h"
#include "sd_lint.h"

#define BENCH_MAX_FILE	((size_t)64 * 1024 * 1024)
#define BENCH_TARGET_S	0.5
#define BENCH_MAX_N	10000000L

static double
now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* States in a definition, nested ones included. */
static size_t
count_states(json_t *def, int depth)
{
	json_t *states, *st, *b, *p;
	const char *k;
	size_t n = 0, i;

	if (depth > 64 || !json_is_object(def) ||
	    !json_is_object(states = json_object_get(def, "States")))
		return 0;
	json_object_foreach(states, k, st) {
		n++;
		json_array_foreach(json_object_get(st, "Branches"), i, b)
			n += count_states(b, depth + 1);
		if ((p = json_object_get(st, "ItemProcessor")) != NULL ||
		    (p = json_object_get(st, "Iterator")) != NULL)
			n += count_states(p, depth + 1);
	}
	return n;
}

/* One lint from text; 1 valid, 0 invalid, -1 failure. */
static int
lint_once(const char *buf, size_t len, char *first, size_t flen)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lint_report *rep = NULL;
	const struct sd_lint_finding *f;
	size_t i;
	int valid;

	if (sd_lint(buf, len, NULL, &rep, &err) != 0) {
		sd_error_clear(&err);
		return -1;
	}
	valid = sd_lint_errors(rep) == 0;
	if (first != NULL) {
		(void)snprintf(first, flen, "valid");
		for (i = 0; i < sd_lint_count(rep); i++) {
			f = sd_lint_get(rep, i);
			if (f->severity == SD_LINT_ERROR) {
				(void)snprintf(first, flen, "invalid: %s: %s",
				    f->code, f->message);
				break;
			}
		}
	}
	sd_lint_report_free(rep);
	return valid;
}

static double
round1(double d)
{
	return round(d * 10) / 10;
}

static int
bench_file(const char *path, long n_opt)
{
	struct sd_error err = SD_ERROR_INIT;
	char *buf = NULL, *line = NULL, first[512];
	json_t *def, *out = NULL;
	double t0, t1, sec, psec;
	size_t len = 0, states;
	long n, i;
	int rc = 2;

	if (sd_read_file(path, BENCH_MAX_FILE, &buf, &len, &err) != 0) {
		fprintf(stderr, "lint-bench: %s\n", sd_error_text(&err));
		goto out;
	}
	def = json_loadb(buf, len, JSON_DECODE_ANY, NULL);
	states = count_states(def, 0);
	json_decref(def);

	/* Warm up, and pick N when not given. */
	t0 = now_s();
	if (lint_once(buf, len, first, sizeof(first)) < 0)
		goto nomem;
	t1 = now_s();
	n = n_opt;
	if (n <= 0) {
		n = t1 > t0 ? (long)(BENCH_TARGET_S / (t1 - t0)) : BENCH_MAX_N;
		if (n < 10)
			n = 10;
		if (n > BENCH_MAX_N)
			n = BENCH_MAX_N;
	}

	t0 = now_s();
	for (i = 0; i < n; i++)
		json_decref(json_loadb(buf, len, JSON_DECODE_ANY, NULL));
	psec = now_s() - t0;

	t0 = now_s();
	for (i = 0; i < n; i++)
		if (lint_once(buf, len, NULL, 0) < 0)
			goto nomem;
	sec = now_s() - t0;
	if (sec <= 0)
		sec = 1e-9;
	if (psec <= 0)
		psec = 1e-9;

	if ((out = json_pack("{s:s, s:I, s:I, s:s, s:I, s:f, s:f, s:f, s:f, "
	    "s:f}", "file", path, "bytes", (json_int_t)len, "states",
	    (json_int_t)states, "result", first, "iterations", (json_int_t)n,
	    "seconds", round(sec * 1e4) / 1e4, "definitions_per_sec",
	    round1((double)n / sec), "parse_only_per_sec",
	    round1((double)n / psec), "us_per_definition",
	    round1(sec / (double)n * 1e6), "us_per_state", states > 0 ?
	    round(sec / (double)n * 1e6 / (double)states * 1000) / 1000 :
	    0.0)) == NULL || (line = sd_json_dumps(out, 0)) == NULL)
		goto nomem;
	if (puts(line) == EOF || fflush(stdout) != 0) {
		fprintf(stderr, "lint-bench: cannot write\n");
		goto out;
	}
	rc = 0;
	goto out;
 nomem:
	fprintf(stderr, "lint-bench: out of memory\n");
 out:
	free(line);
	json_decref(out);
	free(buf);
	sd_error_clear(&err);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: lint-bench [-n N] FILE...\n");
}

int
main(int argc, char **argv)
{
	char *end;
	long n = 0;
	int c, i, rc = 0;

	while ((c = getopt(argc, argv, "n:h")) != -1) {
		switch (c) {
		case 'n':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || n < 1 || n > BENCH_MAX_N) {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	for (i = optind; i < argc; i++)
		if (bench_file(argv[i], n) != 0)
			rc = 2;
	return rc;
}
