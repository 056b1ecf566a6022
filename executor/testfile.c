/*
 * testfile.c: a release's tests (tests.json) run against a machine.
 *
 *	[{"name": "happy", "input": {...}, "mocks": {...},
 *	  "expected": {"status": "SUCCEEDED", "output": {...}, "path": [...]}}]
 *
 * The file is checked whole before anything runs; then each test runs with
 * its own mocks and a report says, per test, which expected fields did
 * not match, with both values and the JSON paths of the members that
 * differ. Printing the report is the caller's business.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* A loop in a test cannot run for ever. */
#define TF_MAX_TRANSITIONS	1000000
/* Longest JSON path reported; deeper paths stop at their parent. */
#define TF_MAX_PATH		4096

static const char *const test_fields[] = {
	"name", "input", "mocks", "expected", NULL
};
static const char *const expected_fields[] = {
	"status", "output", "error", "cause", "path", NULL
};
static const char *const statuses[] = {
	"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", NULL
};

static int
in_list(const char *const *list, const char *s)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* Fill err at "/i", "/i/field" or "/i/field/sub"; returns code. */
static int
fail_at(struct sd_error *err, int code, size_t i, const char *field,
    const char *sub, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int
fail_at(struct sd_error *err, int code, size_t i, const char *field,
    const char *sub, const char *fmt, ...)
{
	char *loc;
	va_list ap;
	int r;

	loc = sd_asprintf("/%zu%s%s%s%s", i, field != NULL ? "/" : "",
	    field != NULL ? field : "", sub != NULL ? "/" : "",
	    sub != NULL ? sub : "");
	va_start(ap, fmt);
	r = sd_error_setv(err, code, loc, fmt, ap);
	va_end(ap);
	free(loc);
	return r;
}

/* Move the location of err (from step_machine_set_mocks) under /i/mocks. */
static int
relocate_mocks_error(struct sd_error *err, size_t i)
{
	struct sd_error e = SD_ERROR_INIT;
	const char *sub = err->location;
	char *loc;
	int code = err->code;

	if (sub == NULL || strcmp(sub, "/") == 0)
		sub = "";
	if ((loc = sd_asprintf("/%zu/mocks%s", i, sub)) == NULL)
		return code;
	sd_error_set(&e, code, loc, "%s", err->message != NULL ?
	    err->message : sd_strerror(code));
	free(loc);
	sd_error_move(err, &e);
	return code;
}

static int
check_expected(size_t i, json_t *exp, struct sd_error *err)
{
	const char *k, *s;
	json_t *v, *e;
	size_t j;

	if (!json_is_object(exp))
		return fail_at(err, SD_ERR_INVALID, i, "expected", NULL, "must be "
		    "an object {\"status\", \"output\", \"error\", \"cause\", "
		    "\"path\"}, not %s", sd_json_type_name(exp));
	json_object_foreach(exp, k, v) {
		if (!in_list(expected_fields, k))
			return fail_at(err, SD_ERR_INVALID, i, "expected", k,
			    "unknown field (expected status, output, error, "
			    "cause, path)");
		if (strcmp(k, "status") == 0) {
			s = json_string_value(v);
			if (s == NULL || !in_list(statuses, s))
				return fail_at(err, SD_ERR_INVALID, i, "expected",
				    k, "must be one of SUCCEEDED, FAILED, "
				    "TIMED_OUT, ABORTED");
		} else if (strcmp(k, "error") == 0 || strcmp(k, "cause") == 0) {
			if (!json_is_string(v) && !json_is_null(v))
				return fail_at(err, SD_ERR_INVALID, i, "expected",
				    k, "must be a string, or null for none, not "
				    "%s", sd_json_type_name(v));
		} else if (strcmp(k, "path") == 0) {
			if (!json_is_array(v))
				return fail_at(err, SD_ERR_INVALID, i, "expected",
				    k, "must be a list of state names, not %s",
				    sd_json_type_name(v));
			json_array_foreach(v, j, e) {
				if (!json_is_string(e))
					return fail_at(err, SD_ERR_INVALID, i,
					    "expected", k, "item %zu must be a "
					    "state name (a string), not %s", j,
					    sd_json_type_name(e));
			}
		}
	}
	return 0;
}

/* Check the whole file; names go into seen (an object) to catch twins. */
static int
check_tests(struct step_machine *m, json_t *tests, struct sd_error *err)
{
	json_t *t, *v, *seen = NULL;
	const char *k, *name;
	size_t i;
	int r = SD_ERR_NOMEM;

	if (!json_is_array(tests))
		return sd_error_set(err, SD_ERR_INVALID, "/", "tests must be a "
		    "list of {\"name\", \"input\", \"mocks\", \"expected\"}, not "
		    "%s", sd_json_type_name(tests));
	if ((seen = json_object()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	json_array_foreach(tests, i, t) {
		if (!json_is_object(t)) {
			r = fail_at(err, SD_ERR_INVALID, i, NULL, NULL, "a test "
			    "must be an object {\"name\", \"input\", \"mocks\", "
			    "\"expected\"}, not %s", sd_json_type_name(t));
			goto out;
		}
		json_object_foreach(t, k, v) {
			if (!in_list(test_fields, k)) {
				r = fail_at(err, SD_ERR_INVALID, i, k, NULL,
				    "unknown field (expected name, input, "
				    "mocks, expected)");
				goto out;
			}
		}
		if ((v = json_object_get(t, "name")) == NULL) {
			r = fail_at(err, SD_ERR_INVALID, i, NULL, NULL,
			    "\"name\" is missing");
			goto out;
		}
		if ((name = json_string_value(v)) == NULL || name[0] == '\0') {
			r = fail_at(err, SD_ERR_INVALID, i, "name", NULL, "must be "
			    "a non-empty string");
			goto out;
		}
		if (json_object_get(seen, name) != NULL) {
			r = fail_at(err, SD_ERR_INVALID, i, "name", NULL, "a test "
			    "named \"%s\" comes earlier (test %lld)", name,
			    (long long)json_integer_value(json_object_get(seen,
			    name)));
			goto out;
		}
		if (json_object_set_new(seen, name, json_integer((json_int_t)i))
		    != 0) {
			r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
		if ((v = json_object_get(t, "expected")) != NULL &&
		    (r = check_expected(i, v, err)) != 0)
			goto out;
		if ((v = json_object_get(t, "mocks")) != NULL &&
		    (r = step_machine_set_mocks(m, v, err)) != 0) {
			r = relocate_mocks_error(err, i);
			goto out;
		}
	}
	r = 0;
 out:
	json_decref(seen);
	return r;
}

/* ------------------------------------------------------------ diffs */

struct paths {
	json_t	*list;		/* strings */
	size_t	 more;		/* paths left out past STEP_TESTS_MAX_PATHS */
};

static int
is_ident(const char *k)
{
	size_t i;

	if (k[0] == '\0' || (k[0] >= '0' && k[0] <= '9'))
		return 0;
	for (i = 0; k[i] != '\0'; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= 'A' && k[i] <= 'Z') ||
		    (k[i] >= '0' && k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

static int
add_path(struct paths *p, struct sd_buf *b)
{
	const char *last;
	size_t n = json_array_size(p->list);

	if (b->failed)
		return SD_ERR_NOMEM;
	/* A parent named for several members too deep to name: once. */
	if (n > 0 && (last = json_string_value(json_array_get(p->list,
	    n - 1))) != NULL && strcmp(last, b->data) == 0)
		return 0;
	if (n >= STEP_TESTS_MAX_PATHS) {
		p->more++;
		return 0;
	}
	return json_array_append_new(p->list, json_stringn(b->data, b->len)) ==
	    0 ? 0 : SD_ERR_NOMEM;
}

/* Append ".key" or "['key']" to b. */
static int
path_key(struct sd_buf *b, const char *k)
{
	size_t i;

	if (is_ident(k))
		return sd_buf_printf(b, ".%s", k);
	(void)sd_buf_puts(b, "['");
	for (i = 0; k[i] != '\0'; i++) {
		if (k[i] == '\'' || k[i] == '\\')
			(void)sd_buf_putc(b, '\\');
		(void)sd_buf_putc(b, k[i]);
	}
	return sd_buf_puts(b, "']");
}

static int diff_at(json_t *, json_t *, struct sd_buf *, struct paths *);

/* A member of the path b: compare, then put b back as it was. */
static int
diff_member(json_t *e, json_t *g, struct sd_buf *b, size_t len,
    struct paths *p)
{
	int r;

	if (b->failed) {
		/* Too deep to name: report the parent. */
		b->failed = 0;
		b->len = len;
		b->data[len] = '\0';
		return add_path(p, b);
	}
	if (e == NULL || g == NULL)
		r = add_path(p, b);
	else
		r = diff_at(e, g, b, p);
	b->len = len;
	b->data[len] = '\0';
	return r;
}

/* Add to p the paths under b where e and g differ (they are not equal). */
static int
diff_at(json_t *e, json_t *g, struct sd_buf *b, struct paths *p)
{
	const char *k;
	json_t *v;
	size_t len = b->len, i, n;
	int r;

	if (json_is_object(e) && json_is_object(g)) {
		json_object_foreach(e, k, v) {
			json_t *w = json_object_get(g, k);

			if (w != NULL && sd_json_equal(v, w))
				continue;
			(void)path_key(b, k);
			if ((r = diff_member(v, w, b, len, p)) != 0)
				return r;
		}
		json_object_foreach(g, k, v) {
			if (json_object_get(e, k) != NULL)
				continue;
			(void)path_key(b, k);
			if ((r = diff_member(NULL, v, b, len, p)) != 0)
				return r;
		}
		return 0;
	}
	if (json_is_array(e) && json_is_array(g)) {
		n = json_array_size(e) > json_array_size(g) ?
		    json_array_size(e) : json_array_size(g);
		for (i = 0; i < n; i++) {
			json_t *x = json_array_get(e, i), *y = json_array_get(g, i);

			if (x != NULL && y != NULL && sd_json_equal(x, y))
				continue;
			(void)sd_buf_printf(b, "[%zu]", i);
			if ((r = diff_member(x, y, b, len, p)) != 0)
				return r;
		}
		return 0;
	}
	return add_path(p, b);
}

/*
 * Compare expected field name (exp) with what the run gave (got, NULL when
 * the run has none) and append a diff to diffs when they differ. With
 * null_is_none an expected null matches a missing got.
 */
static int
compare(json_t *diffs, const char *field, json_t *exp, json_t *got,
    int null_is_none)
{
	struct sd_buf b;
	struct paths p = { NULL, 0 };
	json_t *d = NULL;
	int r = SD_ERR_NOMEM;

	if (got == NULL ? null_is_none && json_is_null(exp) :
	    sd_json_equal(exp, got))
		return 0;
	sd_buf_init(&b, TF_MAX_PATH);
	if ((d = json_pack("{s:s, s:O}", "field", field, "expected", exp)) ==
	    NULL || (got != NULL && json_object_set(d, "got", got) != 0))
		goto out;
	if (got != NULL && ((json_is_object(exp) && json_is_object(got)) ||
	    (json_is_array(exp) && json_is_array(got)))) {
		if ((p.list = json_array()) == NULL || sd_buf_putc(&b, '$') != 0 ||
		    diff_at(exp, got, &b, &p) != 0 ||
		    json_object_set(d, "paths", p.list) != 0 ||
		    (p.more > 0 && json_object_set_new(d, "morePaths",
		    json_integer((json_int_t)p.more)) != 0))
			goto out;
	}
	if (json_array_append(diffs, d) != 0)
		goto out;
	r = 0;
 out:
	sd_buf_release(&b);
	json_decref(p.list);
	json_decref(d);
	return r;
}

static json_t *
string_or_null(const char *s)
{
	return s != NULL ? json_string(s) : NULL;
}

/* Compare the run with the expected fields; *diffs new. */
static int
check_result(struct step_result *res, json_t *exp, json_t **diffs)
{
	json_t *d, *status = NULL, *error = NULL, *cause = NULL, *v;
	int r = SD_ERR_NOMEM;

	*diffs = NULL;
	if ((d = json_array()) == NULL)
		return SD_ERR_NOMEM;
	if (exp == NULL)
		goto done;
	if ((status = json_string(step_status_name(step_result_status(res)))) ==
	    NULL)
		goto out;
	if (step_result_error(res) != NULL &&
	    (error = string_or_null(step_result_error(res))) == NULL)
		goto out;
	if (step_result_cause(res) != NULL &&
	    (cause = string_or_null(step_result_cause(res))) == NULL)
		goto out;
	if (((v = json_object_get(exp, "status")) != NULL &&
	    compare(d, "status", v, status, 0) != 0) ||
	    ((v = json_object_get(exp, "output")) != NULL &&
	    compare(d, "output", v, step_result_status(res) == STEP_SUCCEEDED ?
	    step_result_output(res) : NULL, 0) != 0) ||
	    ((v = json_object_get(exp, "error")) != NULL &&
	    compare(d, "error", v, error, 1) != 0) ||
	    ((v = json_object_get(exp, "cause")) != NULL &&
	    compare(d, "cause", v, cause, 1) != 0) ||
	    ((v = json_object_get(exp, "path")) != NULL &&
	    compare(d, "path", v, step_result_path(res), 0) != 0))
		goto out;
 done:
	*diffs = d;
	d = NULL;
	r = 0;
 out:
	json_decref(d);
	json_decref(status);
	json_decref(error);
	json_decref(cause);
	return r;
}

/* ------------------------------------------------------------ running */

static int
run_one(struct step_machine *m, json_t *t, json_t **entry,
    struct sd_error *err)
{
	struct step_exec_opts eo;
	struct step_result *res = NULL;
	json_t *input, *own = NULL, *diffs = NULL, *result = NULL, *e = NULL;
	int r;

	*entry = NULL;
	if ((r = step_machine_set_mocks(m, json_object_get(t, "mocks"),
	    err)) != 0)
		return r;
	if ((input = json_object_get(t, "input")) == NULL &&
	    (input = own = json_object()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	memset(&eo, 0, sizeof(eo));
	eo.record_path = 1;
	eo.max_transitions = TF_MAX_TRANSITIONS;
	eo.max_history_events = STEP_MAX_HISTORY_EVENTS;
	if ((r = step_execute(m, input, &eo, &res, err)) != 0)
		goto out;
	r = SD_ERR_NOMEM;
	if (check_result(res, json_object_get(t, "expected"), &diffs) != 0 ||
	    (result = step_result_json(res, 1, 0)) == NULL ||
	    (e = json_pack("{s:O, s:b, s:O, s:O}", "name",
	    json_object_get(t, "name"), "passed", json_array_size(diffs) == 0,
	    "result", result, "diffs", diffs)) == NULL) {
		sd_error_set(err, r, NULL, "out of memory");
		goto out;
	}
	*entry = e;
	e = NULL;
	r = 0;
 out:
	json_decref(own);
	json_decref(diffs);
	json_decref(result);
	json_decref(e);
	step_result_free(res);
	return r;
}

int
step_run_tests(struct step_machine *m, json_t *tests, json_t **report,
    struct sd_error *err)
{
	json_t *list = NULL, *entry = NULL, *t, *out = NULL;
	size_t i, passed = 0;
	int r;

	*report = NULL;
	if ((r = check_tests(m, tests, err)) != 0)
		goto out;
	if ((list = json_array()) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	json_array_foreach(tests, i, t) {
		if ((r = run_one(m, t, &entry, err)) != 0) {
			sd_error_prefix(err, "test %zu: ", i);
			goto out;
		}
		if (json_is_true(json_object_get(entry, "passed")))
			passed++;
		if (json_array_append_new(list, entry) != 0) {
			r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
			goto out;
		}
	}
	if ((out = json_pack("{s:I, s:I, s:O}", "passed", (json_int_t)passed,
	    "failed", (json_int_t)(json_array_size(tests) - passed),
	    "tests", list)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	*report = out;
	r = 0;
 out:
	/* The last test's mocks must not outlive the run. */
	(void)step_machine_set_mocks(m, NULL, NULL);
	json_decref(list);
	return r;
}
