/*
 * run_conformance: run every conformance case (a definition, an input and
 * the result recorded from AWS) through libstep and compare status, output
 * (as JSON values), error and cause (exactly).
 *
 *   run_conformance [--known-failures FILE] [--verbose] [--only NAME] DIR...
 *
 * A case listed in the known-failures file (one "NAME  reason" a line, #
 * comments) may fail; one that is listed but passes is reported so the list
 * shrinks. Prints "conformance: N passed, N failed, N skipped" (skipped: the
 * listed known failures) and exits 1 on any unlisted failure.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_json.h"
#include "step.h"

struct known {
	char	**names;
	size_t	  n;
	unsigned char *seen;
};

static int
load_known(const char *path, struct known *k)
{
	FILE *fp;
	char line[4096];

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *p = line, *e;
		char **nn;

		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		e = p;
		while (*e != '\0' && *e != ' ' && *e != '\t' && *e != '\n')
			e++;
		if ((nn = reallocarray(k->names, k->n + 1, sizeof(*nn))) == NULL) {
			fclose(fp);
			return -1;
		}
		k->names = nn;
		if ((k->names[k->n] = strndup(p, (size_t)(e - p))) == NULL) {
			fclose(fp);
			return -1;
		}
		k->n++;
	}
	fclose(fp);
	if ((k->seen = calloc(k->n + 1, 1)) == NULL)
		return -1;
	return 0;
}

static ssize_t
known_index(const struct known *k, const char *name)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->names[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Run one case; returns 1 passed, 0 failed (why is set, new). */
static int
run_case(json_t *c, char **why)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;
	struct step_result *res = NULL;
	struct step_exec_opts eo;
	json_t *exp = json_object_get(c, "expected"), *got = NULL;
	const char *est = json_string_value(json_object_get(exp, "status"));
	const char *eerr = json_string_value(json_object_get(exp, "error"));
	const char *ecause = json_string_value(json_object_get(exp, "cause"));
	char *gs = NULL, *es = NULL;
	int ok = 0;

	*why = NULL;
	memset(&eo, 0, sizeof(eo));
	eo.max_transitions = 100000;
	if (step_machine_from_json(json_object_get(c, "definition"), NULL, &m,
	    &err) != 0) {
		*why = sd_asprintf("definition rejected: %s", sd_error_text(&err));
		goto out;
	}
	if (step_execute(m, json_object_get(c, "input"), &eo, &res, &err) != 0) {
		*why = sd_asprintf("engine error: %s", sd_error_text(&err));
		goto out;
	}
	if (est == NULL || strcmp(est, step_status_name(step_result_status(res)))
	    != 0) {
		got = step_result_json(res, 0, 0);
		gs = sd_json_dumps(got, 0);
		*why = sd_asprintf("status: expected %s, got %s", est,
		    gs != NULL ? gs : "?");
		goto out;
	}
	if (step_result_status(res) == STEP_SUCCEEDED) {
		if (!sd_json_equal(json_object_get(exp, "output"),
		    step_result_output(res))) {
			gs = sd_json_dumps(step_result_output(res), 0);
			es = sd_json_dumps(json_object_get(exp, "output"), 0);
			*why = sd_asprintf("output: expected %s\n      got      %s",
			    es != NULL ? es : "?", gs != NULL ? gs : "?");
			goto out;
		}
	} else {
		if (!str_eq(eerr, step_result_error(res))) {
			*why = sd_asprintf("error: expected %s, got %s",
			    eerr ? eerr : "(none)", step_result_error(res) ?
			    step_result_error(res) : "(none)");
			goto out;
		}
		if (!str_eq(ecause, step_result_cause(res))) {
			*why = sd_asprintf("cause: expected %s\n      got      %s",
			    ecause ? ecause : "(none)", step_result_cause(res) ?
			    step_result_cause(res) : "(none)");
			goto out;
		}
	}
	ok = 1;
 out:
	free(gs);
	free(es);
	json_decref(got);
	sd_error_clear(&err);
	step_result_free(res);
	step_machine_free(m);
	return ok;
}

int
main(int argc, char **argv)
{
	struct known known = { NULL, 0, NULL };
	const char *only = NULL;
	int verbose = 0, i, status = 0;
	size_t passed = 0, failed = 0, xfail = 0, xpass = 0, files = 0;
	char **names = NULL;
	size_t nnames = 0, j;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--known-failures") == 0 && i + 1 < argc) {
			if (load_known(argv[++i], &known) != 0)
				return 2;
		} else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--verbose") == 0 || strcmp(argv[i], "-v") == 0)
			verbose = 1;
		else if (argv[i][0] == '-') {
			fprintf(stderr, "usage: run_conformance [--known-failures FILE] "
			    "[--verbose] [--only NAME] DIR...\n");
			return 2;
		} else {
			DIR *d = opendir(argv[i]);
			struct dirent *de;

			if (d == NULL) {
				perror(argv[i]);
				return 2;
			}
			while ((de = readdir(d)) != NULL) {
				size_t l = strlen(de->d_name);
				char **nn;

				if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
					continue;
				if ((nn = reallocarray(names, nnames + 1,
				    sizeof(*nn))) == NULL)
					return 2;
				names = nn;
				if ((names[nnames++] = sd_asprintf("%s/%s", argv[i],
				    de->d_name)) == NULL)
					return 2;
			}
			closedir(d);
		}
	}
	if (nnames == 0) {
		fprintf(stderr, "run_conformance: no cases found\n");
		return 2;
	}
	qsort(names, nnames, sizeof(*names), cmp_str);
	for (j = 0; j < nnames; j++) {
		struct sd_error err = SD_ERROR_INIT;
		json_t *c = sd_json_load_file(names[j], 0, &err);
		const char *name;
		char *why = NULL;
		ssize_t k;
		int ok;

		if (c == NULL) {
			fprintf(stderr, "FAIL %s: %s\n", names[j], sd_error_text(&err));
			sd_error_clear(&err);
			failed++;
			continue;
		}
		name = json_string_value(json_object_get(c, "name"));
		if (name == NULL)
			name = names[j];
		if (only != NULL && strstr(name, only) == NULL) {
			json_decref(c);
			continue;
		}
		files++;
		ok = run_case(c, &why);
		k = known_index(&known, name);
		if (k >= 0)
			known.seen[k] = 1;
		if (ok && k < 0) {
			passed++;
			if (verbose)
				printf("ok   %s\n", name);
		} else if (ok) {
			passed++;
			xpass++;
			printf("XPASS %s: listed in known-failures but passes; remove "
			    "it from the list\n", name);
		} else if (k >= 0) {
			xfail++;
			if (verbose)
				printf("xfail %s\n      %s\n", name, why ? why : "");
		} else {
			failed++;
			printf("FAIL %s\n      %s\n", name, why ? why : "");
		}
		free(why);
		json_decref(c);
	}
	for (j = 0; j < known.n; j++)
		if (!known.seen[j] && only == NULL)
			printf("note: known failure %s is not in the corpus\n",
			    known.names[j]);
	printf("conformance: %zu cases, %zu known failures listed, %zu listed "
	    "ones now passing\n", files, xfail, xpass);
	printf("conformance: %zu passed, %zu failed, %zu skipped\n", passed,
	    failed + xpass, xfail);
	if (failed > 0 || xpass > 0)
		status = 1;
	for (j = 0; j < nnames; j++)
		free(names[j]);
	free(names);
	for (j = 0; j < known.n; j++)
		free(known.names[j]);
	free(known.names);
	free(known.seen);
	return status;
}
