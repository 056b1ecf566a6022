/*
 * run_jsonata: the JSONata test suite (jsonata-js's, as JSON) through
 * sd_jsonata.
 *
 *   jsonata-suite [--known-failures FILE] [--group NAME] [--case SUBSTR]
 *       [--verbose] [--jobs N] [--timeout SECONDS] SUITE_DIR
 *   jsonata-suite --batch [--timeout SECONDS]
 *
 * SUITE_DIR holds groups/GROUP/NAME.json (a file holds one case object or an
 * array of cases) and datasets/NAME.json; a directory without groups/ is
 * one group of its own NAME.json files (tests/jsonata/regress). A case is
 * named GROUP/caseNNN, or GROUP/caseNNN#I for the I-th case of an array.
 *
 * Each case runs in a forked child under an alarm, so a crash or a hang
 * is a failure (the signal named) and the run goes on. A case listed in
 * the known-failures file ("GROUP/caseNNN[#I]  reason" a line, # comments)
 * may fail; a listed case that passes fails the run, so the list shrinks.
 *
 * --batch reads JSON lines {"expr", "input", "bindings", "timelimit",
 * "depth"} on stdin (no "input": undefined) and writes one line each:
 * {"result": V}, {"undefined": true}, {"code", "position", "token",
 * "message"}, or {"crash": "SIGNAL"}.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_jsonata.h"

#define OUT_MAX		(256 * 1024)	/* a child's report kept (bytes) */
#define LINE_MAX_LEN	(16 * 1024 * 1024)
#define JOBS_MAX	64

struct tcase {
	char	*name;		/* GROUP/caseNNN[#I] */
	char	*group;
	char	*dir;		/* the group's directory (expr-file) */
	json_t	*c;		/* borrowed from files[] */
};

struct known {
	char		**names;
	size_t		  n;
	unsigned char	 *seen;
};

struct slot {
	pid_t	 pid;
	int	 fd;
	size_t	 idx;
	char	*buf;
	size_t	 len;
};

static const char *suite_dir;
static int verbose;
static unsigned timeout_s = 20;

static void
usage(void)
{
	fprintf(stderr, "usage: jsonata-suite [--known-failures FILE] "
	    "[--group NAME] [--case SUBSTR] [--verbose] [--jobs N]\n"
	    "                     [--timeout SECONDS] SUITE_DIR\n"
	    "       jsonata-suite --batch [--timeout SECONDS] "
	    "< lines of {\"expr\", \"input\", \"bindings\"}\n");
}

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
		if ((nn = reallocarray(k->names, k->n + 1, sizeof(*nn))) == NULL)
			goto fail;
		k->names = nn;
		if ((k->names[k->n] = strndup(p, (size_t)(e - p))) == NULL)
			goto fail;
		k->n++;
	}
	if (fclose(fp) != 0)
		return -1;
	if ((k->seen = calloc(k->n + 1, 1)) == NULL)
		return -1;
	return 0;
 fail:
	(void)fclose(fp);
	return -1;
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

/* Sorted names in dir matching: dirs (want_dir) or *.json files. */
static int
list_dir(const char *dir, int want_dir, char ***out, size_t *nout)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL, **nn;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *path;
		int isdir;

		if (de->d_name[0] == '.')
			continue;
		if ((path = sd_asprintf("%s/%s", dir, de->d_name)) == NULL)
			goto fail;
		{
			DIR *sub = opendir(path);

			isdir = sub != NULL;
			if (sub != NULL)
				(void)closedir(sub);
		}
		free(path);
		if (want_dir != isdir)
			continue;
		if (!want_dir && (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0))
			continue;
		if ((nn = reallocarray(names, n + 1, sizeof(*nn))) == NULL)
			goto fail;
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto fail;
		n++;
	}
	(void)closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	*nout = n;
	return 0;
 fail:
	(void)closedir(d);
	while (n > 0)
		free(names[--n]);
	free(names);
	return -1;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
is_surrogate_escape(const char *p, int high)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	if (p[0] != '\\' || p[1] != 'u' || (p[2] != 'd' && p[2] != 'D'))
		return 0;
	if (high ? strchr("89abAB", p[3]) == NULL : strchr("cdefCDEF", p[3])
	    == NULL)
		return 0;
	return p[3] != '\0' && p[4] != '\0' && strchr(hex, p[4]) != NULL &&
	    p[5] != '\0' && strchr(hex, p[5]) != NULL;
}

/*
 * jansson refuses a lone surrogate escape ("\uD800"), which the suite
 * uses inside expressions: escape its backslash, so the expression holds
 * JSONata's own \uD800 escape (the same string once the tokenizer reads
 * it). New text, or NULL.
 */
static char *
escape_lone_surrogates(const char *in, size_t len)
{
	char *out;
	size_t i, o = 0;

	if (len > (SIZE_MAX - 1) / 2 || (out = malloc(len * 2 + 1)) == NULL)
		return NULL;
	for (i = 0; i < len; i++) {
		if (in[i] == '\\' && i + 1 < len && in[i + 1] != 'u') {
			out[o++] = in[i++];
			out[o++] = in[i];
			continue;
		}
		if (is_surrogate_escape(in + i, 1) &&
		    !is_surrogate_escape(in + i + 6, 0))
			out[o++] = '\\';
		else if (is_surrogate_escape(in + i, 1)) {
			memcpy(out + o, in + i, 12);
			o += 12;
			i += 11;
			continue;
		} else if (is_surrogate_escape(in + i, 0))
			out[o++] = '\\';
		out[o++] = in[i];
	}
	out[o] = '\0';
	return out;
}

/*
 * Load JSON, retrying with big integers read as reals, then with lone
 * surrogate escapes kept as text. New or NULL.
 */
static json_t *
load_json_file(const char *path, char **why)
{
	struct sd_error err = SD_ERROR_INIT;
	char *buf = NULL, *esc;
	size_t len;
	json_t *v;

	if ((v = sd_json_load_file(path, 0, &err)) == NULL) {
		sd_error_clear(&err);
		v = sd_json_load_file(path, JSON_DECODE_INT_AS_REAL, &err);
	}
	if (v == NULL && sd_read_file(path, LINE_MAX_LEN, &buf, &len, NULL)
	    == 0 && (esc = escape_lone_surrogates(buf, len)) != NULL) {
		v = sd_json_loadb(esc, strlen(esc), 0, path, NULL);
		free(esc);
	}
	free(buf);
	if (v == NULL && why != NULL)
		*why = sd_asprintf("%s", sd_error_text(&err));
	sd_error_clear(&err);
	return v;
}

/* ---------------------------------------------------------------- one case */

static char *
dump(const json_t *v)
{
	char *s;

	if (v == NULL)
		return strdup("undefined");
	if ((s = sd_json_dumps(v, 0)) == NULL)
		return strdup("?");
	return s;
}

/* Arrays equal as multisets (the case's "unordered"). */
static int
equal_unordered(const json_t *exp, const json_t *got)
{
	size_t n, i, j;
	unsigned char *used;
	int ok = 1;

	if (!json_is_array(exp) || !json_is_array(got))
		return sd_json_equal(exp, got);
	n = json_array_size(exp);
	if (n != json_array_size(got))
		return 0;
	if ((used = calloc(n + 1, 1)) == NULL)
		return 0;
	for (i = 0; i < n && ok; i++) {
		for (j = 0; j < n; j++)
			if (!used[j] && sd_json_equal(json_array_get(exp, i),
			    json_array_get(got, j)))
				break;
		if (j == n)
			ok = 0;
		else
			used[j] = 1;
	}
	free(used);
	return ok;
}

static char *
read_expr_file(const char *dir, const char *name)
{
	struct sd_error err = SD_ERROR_INIT;
	char *path, *buf = NULL;
	size_t len;

	if (strchr(name, '/') != NULL)
		return NULL;
	if ((path = sd_asprintf("%s/%s", dir, name)) == NULL)
		return NULL;
	if (sd_read_file(path, LINE_MAX_LEN, &buf, &len, &err) != 0)
		buf = NULL;
	sd_error_clear(&err);
	free(path);
	return buf;
}

/*
 * Evaluate a case's expression (in the child). Returns 0 with *out (new or
 * NULL) or -1 with err; *expr_out the expression text (new).
 */
static int
evaluate(const char *expr, json_t *input, json_t *bindings, json_t *limits,
    json_t **out, struct sd_jn_error *err)
{
	struct sd_jn_opts opts = SD_JN_OPTS_INIT;
	struct sd_jn_expr *e;
	json_t *v;
	int r;

	*out = NULL;
	if ((v = json_object_get(limits, "timelimit")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < UINT_MAX)
		opts.time_limit_ms = (unsigned)json_integer_value(v);
	if ((v = json_object_get(limits, "depth")) != NULL &&
	    json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < UINT_MAX)
		opts.max_depth = (unsigned)json_integer_value(v);
	if ((e = sd_jn_compile(expr, err)) == NULL)
		return -1;
	if (bindings != NULL && !json_is_object(bindings))
		bindings = NULL;
	r = sd_jn_eval(e, input, bindings, &opts, out, err);
	sd_jn_free(e);
	return r;
}

/* Run one case; prints why it failed on stdout; returns 1 passed. */
static int
run_case(const struct tcase *t)
{
	struct sd_jn_error err;
	json_t *c = t->c, *input = NULL, *got = NULL, *exp, *ds, *jerr;
	const char *expr, *ecode = NULL, *etoken = NULL;
	char *exprbuf = NULL, *why = NULL, *gs = NULL, *es = NULL, *path;
	char ebuf[768];
	int ok = 0, r, unordered;

	memset(&err, 0, sizeof(err));
	expr = json_string_value(json_object_get(c, "expr"));
	if (expr == NULL && json_is_string(json_object_get(c, "expr-file"))) {
		exprbuf = read_expr_file(t->dir,
		    json_string_value(json_object_get(c, "expr-file")));
		expr = exprbuf;
	}
	if (expr == NULL) {
		printf("the case has no expression\n");
		goto out;
	}
	if (json_object_get(c, "data") != NULL)
		input = json_incref(json_object_get(c, "data"));
	else if (json_is_string(ds = json_object_get(c, "dataset"))) {
		if ((path = sd_asprintf("%s/datasets/%s.json", suite_dir,
		    json_string_value(ds))) == NULL)
			goto out;
		input = load_json_file(path, &why);
		free(path);
		if (input == NULL) {
			printf("dataset %s: %s\n", json_string_value(ds),
			    why != NULL ? why : "?");
			goto out;
		}
	}
	jerr = json_object_get(c, "error");
	ecode = json_string_value(json_object_get(c, "code"));
	if (ecode == NULL)
		ecode = json_string_value(json_object_get(jerr, "code"));
	etoken = json_string_value(json_object_get(c, "token"));
	if (etoken == NULL)
		etoken = json_string_value(json_object_get(jerr, "token"));
	unordered = json_is_true(json_object_get(c, "unordered"));
	exp = json_object_get(c, "result");

	r = evaluate(expr, input, json_object_get(c, "bindings"), c, &got, &err);
	if (r == 0)
		gs = dump(got);
	else
		gs = sd_asprintf("error %s", sd_jn_error_text(&err, ebuf,
		    sizeof(ebuf)));
	if (ecode != NULL) {
		es = sd_asprintf("error %s%s%s%s", ecode, etoken ? " (token \"" :
		    "", etoken ? etoken : "", etoken ? "\")" : "");
		if (r == 0)
			why = sd_asprintf("expected error %s, got a result", ecode);
		else if (strcmp(err.code, ecode) != 0)
			why = sd_asprintf("expected error %s, got %s", ecode,
			    err.code);
		else if (etoken != NULL && strcmp(err.token, etoken) != 0)
			why = sd_asprintf("error %s: expected token \"%s\", got "
			    "\"%s\"", ecode, etoken, err.token);
		else
			ok = 1;
	} else if (exp != NULL) {
		es = dump(exp);
		if (r != 0)
			why = sd_asprintf("expected a result, got error %s",
			    err.code);
		else if (got == NULL)
			why = sd_asprintf("expected a result, got undefined");
		else if (!(unordered ? equal_unordered(exp, got) :
		    sd_json_equal(exp, got)))
			why = sd_asprintf("wrong result%s", unordered ?
			    " (unordered)" : "");
		else
			ok = 1;
	} else if (json_is_true(json_object_get(c, "undefinedResult"))) {
		es = strdup("undefined");
		if (r != 0)
			why = sd_asprintf("expected undefined, got error %s",
			    err.code);
		else if (got != NULL)
			why = sd_asprintf("expected undefined, got a result");
		else
			ok = 1;
	} else {
		why = sd_asprintf("the case expects nothing (no result, "
		    "undefinedResult or code)");
	}
	if (!ok) {
		printf("%s\n", why != NULL ? why : "failed");
		if (verbose) {
			printf("      expression: %s\n", expr);
			printf("      expected:   %s\n", es != NULL ? es : "?");
			printf("      got:        %s\n", gs != NULL ? gs : "?");
		}
	}
 out:
	free(why);
	free(gs);
	free(es);
	free(exprbuf);
	json_decref(got);
	json_decref(input);
	return ok;
}

/* ---------------------------------------------------------------- children */

static void
describe_status(int st, char *buf, size_t len)
{
	int r;

	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);

		if (sig == SIGALRM)
			r = snprintf(buf, len, "timeout: killed after %u s "
			    "(SIGALRM)", timeout_s);
		else
			r = snprintf(buf, len, "crashed: signal %d (%s)", sig,
			    strsignal(sig));
	} else if (WIFEXITED(st))
		r = snprintf(buf, len, "child exited with status %d (a "
		    "sanitizer or leak report?)", WEXITSTATUS(st));
	else
		r = snprintf(buf, len, "child status %#x", st);
	if (r < 0 || (size_t)r >= len)
		buf[len - 1] = '\0';
}

/* Fork a child running case i with its stdout and stderr into a pipe. */
static int
spawn(const struct tcase *cases, size_t i, struct slot *s)
{
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		return -1;
	if (fflush(stdout) != 0 || fflush(stderr) != 0) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return -1;
	}
	if (pid == 0) {
		int ok;

		(void)close(p[0]);
		if (dup2(p[1], STDOUT_FILENO) == -1 ||
		    dup2(p[1], STDERR_FILENO) == -1)
			_exit(3);
		(void)close(p[1]);
		setvbuf(stdout, NULL, _IOLBF, 0);
		(void)alarm(timeout_s);
		ok = run_case(&cases[i]);
		if (fflush(stdout) != 0)
			_exit(3);
		exit(ok ? 0 : 1);
	}
	(void)close(p[1]);
	s->pid = pid;
	s->fd = p[0];
	s->idx = i;
	s->buf = NULL;
	s->len = 0;
	return 0;
}

/* Read what is there; returns 1 at EOF. */
static int
drain(struct slot *s)
{
	char tmp[8192];
	ssize_t n;

	n = read(s->fd, tmp, sizeof(tmp));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	if (s->len < OUT_MAX) {
		size_t take = (size_t)n;
		char *nb;

		if (take > OUT_MAX - s->len)
			take = OUT_MAX - s->len;
		if ((nb = realloc(s->buf, s->len + take + 1)) == NULL)
			return 0;
		s->buf = nb;
		memcpy(s->buf + s->len, tmp, take);
		s->len += take;
		s->buf[s->len] = '\0';
	}
	return 0;
}

struct tally {
	size_t	 passed, failed, xfail, xpass, ran;
};

static void
finish(const struct tcase *cases, struct slot *s, struct known *known,
    struct tally *ty)
{
	const struct tcase *t = &cases[s->idx];
	char st_text[160];
	int st = 0, ok;
	ssize_t k;
	const char *out = s->buf != NULL ? s->buf : "";
	size_t ol = strlen(out);

	if (!verbose && ol > 4096)
		ol = 4096;	/* the head of a sanitizer report */

	(void)close(s->fd);
	while (waitpid(s->pid, &st, 0) == -1 && errno == EINTR)
		;
	ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
	st_text[0] = '\0';
	if (!(WIFEXITED(st) && WEXITSTATUS(st) <= 1))
		describe_status(st, st_text, sizeof(st_text));
	ty->ran++;
	k = known_index(known, t->name);
	if (k >= 0)
		known->seen[k] = 1;
	if (ok && k < 0) {
		ty->passed++;
		if (verbose)
			printf("ok    %s\n", t->name);
	} else if (ok) {
		ty->passed++;
		ty->xpass++;
		printf("XPASS %s: listed in known-failures but passes; remove "
		    "it from the list\n", t->name);
	} else {
		if (k >= 0)
			ty->xfail++;
		else
			ty->failed++;
		if (k < 0 || verbose) {
			printf("%s %s: %s%s", k >= 0 ? "xfail" : "FAIL ",
			    t->name, st_text, st_text[0] != '\0' ? "\n" : "");
			if (st_text[0] != '\0' && ol > 0)
				printf("      ");
			if (ol > 0)
				printf("%.*s%s", (int)ol, out, out[ol - 1] ==
				    '\n' ? "" : "\n");
			else if (st_text[0] == '\0')
				printf("\n");
		}
	}
	free(s->buf);
	s->buf = NULL;
	s->pid = -1;
	s->fd = -1;
}

static int
run_all(const struct tcase *cases, size_t n, unsigned jobs,
    struct known *known, struct tally *ty)
{
	struct slot slots[JOBS_MAX];
	struct pollfd pfd[JOBS_MAX];
	size_t next = 0, active = 0, i;

	for (i = 0; i < jobs; i++) {
		slots[i].pid = -1;
		slots[i].fd = -1;
		slots[i].buf = NULL;
	}
	while (next < n || active > 0) {
		for (i = 0; i < jobs && next < n; i++) {
			if (slots[i].pid != -1)
				continue;
			if (spawn(cases, next, &slots[i]) != 0) {
				perror("jsonata-suite: fork");
				return -1;
			}
			next++;
			active++;
		}
		for (i = 0; i < jobs; i++) {
			pfd[i].fd = slots[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, jobs, -1) == -1) {
			if (errno == EINTR)
				continue;
			perror("jsonata-suite: poll");
			return -1;
		}
		for (i = 0; i < jobs; i++) {
			if (slots[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if (drain(&slots[i])) {
				finish(cases, &slots[i], known, ty);
				active--;
			}
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- batch */

/* Child side of --batch: evaluate one request, print one line. */
static void
batch_one(json_t *req)
{
	struct sd_jn_error err;
	const char *expr = json_string_value(json_object_get(req, "expr"));
	json_t *got = NULL, *line;
	char *s;

	memset(&err, 0, sizeof(err));
	if (expr == NULL)
		line = json_pack("{s:s}", "code", "X0000");
	else if (evaluate(expr, json_object_get(req, "input"),
	    json_object_get(req, "bindings"), req, &got, &err) != 0)
		line = json_pack("{s:s,s:I,s:s,s:s}", "code", err.code,
		    "position", (json_int_t)err.position, "token", err.token,
		    "message", err.message);
	else if (got == NULL)
		line = json_pack("{s:b}", "undefined", 1);
	else
		line = json_pack("{s:O}", "result", got);
	json_decref(got);
	if (line == NULL || (s = sd_json_dumps(line, 0)) == NULL) {
		printf("{\"code\":\"X0001\"}\n");
	} else {
		printf("%s\n", s);
		free(s);
	}
	json_decref(line);
}

static int
batch(void)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) != -1) {
		json_error_t je;
		json_t *req;
		struct slot s;
		int p[2];
		pid_t pid;

		if (len == 0 || line[0] == '\n')
			continue;
		if ((req = json_loadb(line, (size_t)len, JSON_DECODE_ANY, &je))
		    == NULL && (req = json_loadb(line, (size_t)len,
		    JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je)) == NULL) {
			printf("{\"code\":\"X0002\",\"message\":\"bad request "
			    "line\"}\n");
			continue;
		}
		if (pipe(p) != 0 || fflush(stdout) != 0) {
			json_decref(req);
			break;
		}
		if ((pid = fork()) == -1) {
			json_decref(req);
			break;
		}
		if (pid == 0) {
			(void)close(p[0]);
			if (dup2(p[1], STDOUT_FILENO) == -1)
				_exit(3);
			(void)close(p[1]);
			(void)alarm(timeout_s);
			batch_one(req);
			if (fflush(stdout) != 0)
				_exit(3);
			_exit(0);
		}
		(void)close(p[1]);
		json_decref(req);
		s.pid = pid;
		s.fd = p[0];
		s.buf = NULL;
		s.len = 0;
		while (!drain(&s))
			;
		(void)close(s.fd);
		{
			int st = 0;

			while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
				;
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
			    s.len > 0 && s.buf[s.len - 1] == '\n')
				fputs(s.buf, stdout);
			else {
				char why[160];

				describe_status(st, why, sizeof(why));
				if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
					printf("{\"crash\":\"timeout\"}\n");
				else if (WIFSIGNALED(st))
					printf("{\"crash\":\"%s\"}\n",
					    sigabbrev_np(WTERMSIG(st)) != NULL ?
					    sigabbrev_np(WTERMSIG(st)) : "signal");
				else
					printf("{\"crash\":\"exit %d\"}\n",
					    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			}
		}
		free(s.buf);
		if (fflush(stdout) != 0)
			break;
	}
	free(line);
	return 0;
}

/* ---------------------------------------------------------------- main */

static int
add_file(const char *dir, const char *group, const char *file,
    json_t **files, size_t *nfiles, struct tcase **cases, size_t *ncases)
{
	char *path, *why = NULL, base[256];
	json_t *v;
	size_t i, n, l;
	struct tcase *nc;

	if ((path = sd_asprintf("%s/%s", dir, file)) == NULL)
		return -1;
	v = load_json_file(path, &why);
	if (v == NULL) {
		fprintf(stderr, "jsonata-suite: %s: %s\n", path, why ? why : "?");
		free(why);
		free(path);
		return -1;
	}
	free(path);
	files[(*nfiles)++] = v;
	l = strlen(file) - 5;
	if (l >= sizeof(base))
		l = sizeof(base) - 1;
	memcpy(base, file, l);
	base[l] = '\0';
	n = json_is_array(v) ? json_array_size(v) : 1;
	if ((nc = reallocarray(*cases, *ncases + n, sizeof(*nc))) == NULL)
		return -1;
	*cases = nc;
	for (i = 0; i < n; i++) {
		struct tcase *t = &nc[*ncases];

		t->c = json_is_array(v) ? json_array_get(v, i) : v;
		if (json_is_array(v))
			t->name = sd_asprintf("%s/%s#%zu", group, base, i);
		else
			t->name = sd_asprintf("%s/%s", group, base);
		t->group = strdup(group);
		t->dir = strdup(dir);
		if (t->name == NULL || t->group == NULL || t->dir == NULL)
			return -1;
		(*ncases)++;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct known known = { NULL, 0, NULL };
	struct tally ty = { 0, 0, 0, 0, 0 };
	const char *only_group = NULL, *only_case = NULL;
	char *groups_dir = NULL, **gnames = NULL;
	json_t **files = NULL;
	struct tcase *cases = NULL, *sel = NULL;
	size_t ngroups = 0, nfiles = 0, ncases = 0, nsel = 0, maxfiles = 0;
	size_t i, j;
	unsigned jobs = 1;
	int do_batch = 0, status = 2, single = 0;

	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < (size_t)argc;

		if (strcmp(a, "--known-failures") == 0 && more) {
			if (load_known(argv[++i], &known) != 0)
				return 2;
		} else if (strcmp(a, "--group") == 0 && more)
			only_group = argv[++i];
		else if (strcmp(a, "--case") == 0 && more)
			only_case = argv[++i];
		else if ((strcmp(a, "--jobs") == 0 || strcmp(a, "-j") == 0) &&
		    more) {
			char *e;
			long v = strtol(argv[++i], &e, 10);

			if (*e != '\0' || v < 1 || v > JOBS_MAX) {
				fprintf(stderr, "jsonata-suite: --jobs: 1 to %d\n",
				    JOBS_MAX);
				return 2;
			}
			jobs = (unsigned)v;
		} else if (strcmp(a, "--timeout") == 0 && more) {
			char *e;
			long v = strtol(argv[++i], &e, 10);

			if (*e != '\0' || v < 1 || v > 3600) {
				fprintf(stderr, "jsonata-suite: --timeout: 1 to "
				    "3600 seconds\n");
				return 2;
			}
			timeout_s = (unsigned)v;
		} else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
			verbose = 1;
		else if (strcmp(a, "--batch") == 0)
			do_batch = 1;
		else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return 0;
		} else if (a[0] == '-' || suite_dir != NULL) {
			usage();
			return 2;
		} else
			suite_dir = a;
	}
	if (do_batch)
		return batch();
	if (suite_dir == NULL) {
		usage();
		return 2;
	}
	if ((groups_dir = sd_asprintf("%s/groups", suite_dir)) == NULL)
		goto out;
	if (list_dir(groups_dir, 1, &gnames, &ngroups) != 0) {
		/* No groups/: the directory is one group of its own files. */
		char *b;
		size_t l;

		free(groups_dir);
		groups_dir = NULL;
		single = 1;
		ngroups = 1;
		if ((gnames = calloc(1, sizeof(*gnames))) == NULL ||
		    (gnames[0] = strdup(suite_dir)) == NULL)
			goto out;
		while ((l = strlen(gnames[0])) > 1 && gnames[0][l - 1] == '/')
			gnames[0][l - 1] = '\0';
		if ((b = strrchr(gnames[0], '/')) != NULL && b[1] != '\0')
			memmove(gnames[0], b + 1, strlen(b + 1) + 1);
	}
	for (i = 0; i < ngroups; i++) {
		char *gdir, **fnames = NULL;
		size_t nf = 0;
		json_t **nfs;

		if (only_group != NULL && strcmp(gnames[i], only_group) != 0)
			continue;
		if (single)
			gdir = strdup(suite_dir);
		else
			gdir = sd_asprintf("%s/%s", groups_dir, gnames[i]);
		if (gdir == NULL || list_dir(gdir, 0, &fnames, &nf) != 0) {
			fprintf(stderr, "jsonata-suite: cannot read %s\n",
			    gdir != NULL ? gdir : gnames[i]);
			free(gdir);
			goto out;
		}
		if (nf > 0) {
			if ((nfs = reallocarray(files, maxfiles + nf,
			    sizeof(*nfs))) == NULL)
				goto out;
			files = nfs;
			maxfiles += nf;
		}
		for (j = 0; j < nf; j++)
			if (add_file(gdir, gnames[i], fnames[j], files, &nfiles,
			    &cases, &ncases) != 0) {
				free_names(fnames, nf);
				free(gdir);
				goto out;
			}
		free_names(fnames, nf);
		free(gdir);
	}
	if ((sel = calloc(ncases + 1, sizeof(*sel))) == NULL)
		goto out;
	for (i = 0; i < ncases; i++)
		if (only_case == NULL || strstr(cases[i].name, only_case) != NULL)
			sel[nsel++] = cases[i];
	if (nsel == 0) {
		fprintf(stderr, "jsonata-suite: no cases found in %s\n",
		    suite_dir);
		goto out;
	}
	if (run_all(sel, nsel, jobs, &known, &ty) != 0)
		goto out;
	if (only_group == NULL && only_case == NULL)
		for (j = 0; j < known.n; j++)
			if (!known.seen[j])
				printf("note: known failure %s is not in the "
				    "suite\n", known.names[j]);
	printf("jsonata suite: %zu passed, %zu failed, %zu known failures "
	    "(of %zu)\n", ty.passed - ty.xpass, ty.failed + ty.xpass, ty.xfail,
	    ty.ran);
	if (ty.xpass > 0)
		printf("jsonata suite: %zu listed known failures now pass "
		    "(counted as failed): remove them from the list\n", ty.xpass);
	status = ty.failed > 0 || ty.xpass > 0 ? 1 : 0;
 out:
	for (i = 0; i < ncases; i++) {
		free(cases[i].name);
		free(cases[i].group);
		free(cases[i].dir);
	}
	free(cases);
	free(sel);
	for (i = 0; i < nfiles; i++)
		json_decref(files[i]);
	free(files);
	free_names(gnames, ngroups);
	free(groups_dir);
	for (j = 0; j < known.n; j++)
		free(known.names[j]);
	free(known.names);
	free(known.seen);
	return status;
}
