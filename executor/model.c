/*
 * model.c: parse an ASL definition into the immutable machine model,
 * checking its structure. Every problem names its location in AWS's form,
 * e.g. "/States/Check/Choices[0]/Next".
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_model.h"
#include "sd_time.h"

#define MAX_STATE_NAME	80
#define MAX_DEPTH	64
#define MAX_VAR_NAME	80

struct build {
	const char	*lambda_arn;
	struct sd_error	*err;
	int		 depth;
	int		 top_jsonata;	/* the machine's QueryLanguage is JSONata */
	int		 jsonata;	/* the state being parsed is JSONata */
	json_t		*labels;	/* the Map Labels seen: label -> true */
};

static int parse_machine(struct build *, json_t *, const char *loc,
    struct sd_machine *parent, int top, struct sd_machine **out);

static char *
locf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
locf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* Set err at "base/field" and return SD_ERR_INVALID. */
static int
fail_at(struct build *b, const char *base, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
fail_at(struct build *b, const char *base, const char *field, const char *fmt, ...)
{
	va_list ap;
	char *loc;

	loc = field != NULL ? locf("%s/%s", base, field) : locf("%s", base);
	va_start(ap, fmt);
	sd_error_setv(b->err, SD_ERR_INVALID, loc != NULL ? loc : base, fmt, ap);
	va_end(ap);
	free(loc);
	return SD_ERR_INVALID;
}

const char *
sd_state_type_name(enum sd_state_type t)
{
	switch (t) {
	case SD_ST_PASS:	return "Pass";
	case SD_ST_TASK:	return "Task";
	case SD_ST_CHOICE:	return "Choice";
	case SD_ST_WAIT:	return "Wait";
	case SD_ST_SUCCEED:	return "Succeed";
	case SD_ST_FAIL:	return "Fail";
	case SD_ST_PARALLEL:	return "Parallel";
	case SD_ST_MAP:		return "Map";
	}
	return "Unknown";
}

/* ------------------------------------------------------------ templates */

void
sd_tmpl_free(struct sd_tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	json_decref(t->literal);
	sd_jsonpath_free(t->path);
	sd_intrinsic_free(t->fn);
	sd_jn_free(t->jn);
	free(t->expr);
	free(t->field);
	for (i = 0; i < t->n; i++) {
		if (t->keys != NULL)
			free(t->keys[i]);
		sd_tmpl_free(t->vals[i]);
	}
	free(t->keys);
	free(t->vals);
	free(t);
}

/* Characters (code points) in the first n bytes of the UTF-8 text s. */
static size_t
utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			c++;
	return c;
}

/* Does v hold any key ending in ".$" (at any depth)? */
static int
has_dynamic(json_t *v, int depth)
{
	const char *k;
	json_t *c;
	size_t i, kl;

	if (depth > MAX_DEPTH)
		return 1;
	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			kl = strlen(k);
			if (kl >= 2 && strcmp(k + kl - 2, ".$") == 0)
				return 1;
			if (has_dynamic(c, depth + 1))
				return 1;
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if (has_dynamic(c, depth + 1))
				return 1;
	}
	return 0;
}

/* Compile an expression string: a path ("$..." / "$$...") or an intrinsic. */
static int
compile_expr(struct build *b, const char *loc, const char *field,
    const char *expr, int allow_intrinsic, struct sd_tmpl *t)
{
	struct sd_error e = SD_ERROR_INIT;
	int r;

	if ((t->expr = strdup(expr)) == NULL || (field != NULL &&
	    (t->field = strdup(field)) == NULL))
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (expr[0] == '$') {
		t->kind = SD_T_PATH;
		if ((r = sd_jsonpath_compile(expr, &t->path, &e)) != 0) {
			sd_error_set(b->err, SD_ERR_INVALID, loc,
			    "the value \"%s\" is not a valid JSONPath: %s", expr,
			    e.message != NULL ? e.message : sd_strerror(r));
			sd_error_clear(&e);
			return SD_ERR_INVALID;
		}
		return 0;
	}
	if (allow_intrinsic && sd_intrinsic_is_call(expr)) {
		t->kind = SD_T_INTRINSIC;
		if ((r = sd_intrinsic_compile(expr, &t->fn, &e)) != 0) {
			sd_error_set(b->err, SD_ERR_INVALID, loc,
			    "the value \"%s\" is not a valid intrinsic function: %s",
			    expr, e.message != NULL ? e.message : sd_strerror(r));
			sd_error_clear(&e);
			return SD_ERR_INVALID;
		}
		return 0;
	}
	return sd_error_set(b->err, SD_ERR_INVALID, loc,
	    "the value \"%s\" must be a JSONPath (starting with '$') or an "
	    "intrinsic function", expr);
}

static int
compile_tmpl(struct build *b, json_t *v, const char *loc, int depth,
    struct sd_tmpl **out)
{
	struct sd_tmpl *t = NULL;
	const char *k;
	json_t *c;
	char *cloc = NULL;
	size_t i, n, kl;
	int r = SD_ERR_NOMEM;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return sd_error_set(b->err, SD_ERR_LIMIT, loc, "nested too deeply: "
		    "at most %d levels of objects and arrays above an "
		    "expression", MAX_DEPTH + 1);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (!has_dynamic(v, 0)) {
		t->kind = SD_T_LITERAL;
		t->literal = json_incref(v);
		*out = t;
		return 0;
	}
	if (json_is_array(v)) {
		n = json_array_size(v);
		t->kind = SD_T_ARRAY;
		if ((t->vals = calloc(n ? n : 1, sizeof(*t->vals))) == NULL)
			goto nomem;
		json_array_foreach(v, i, c) {
			if ((cloc = locf("%s[%zu]", loc, i)) == NULL)
				goto nomem;
			t->n = i + 1;
			if ((r = compile_tmpl(b, c, cloc, depth + 1, &t->vals[i])) != 0)
				goto fail;
			free(cloc);
			cloc = NULL;
		}
		*out = t;
		return 0;
	}
	/* object */
	n = json_object_size(v);
	t->kind = SD_T_OBJECT;
	if ((t->vals = calloc(n ? n : 1, sizeof(*t->vals))) == NULL ||
	    (t->keys = calloc(n ? n : 1, sizeof(*t->keys))) == NULL)
		goto nomem;
	i = 0;
	json_object_foreach(v, k, c) {
		size_t j;

		if ((cloc = locf("%s/%s", loc, k)) == NULL)
			goto nomem;
		kl = strlen(k);
		t->n = i + 1;
		if (kl >= 2 && strcmp(k + kl - 2, ".$") == 0) {
			if ((t->keys[i] = strndup(k, kl - 2)) == NULL)
				goto nomem;
			if (!json_is_string(c)) {
				r = sd_error_set(b->err, SD_ERR_INVALID, cloc,
				    "the value of a field ending in \".$\" must be a "
				    "string (a JSONPath or an intrinsic function)");
				goto fail;
			}
			if ((t->vals[i] = calloc(1, sizeof(**t->vals))) == NULL)
				goto nomem;
			if ((r = compile_expr(b, cloc, k, json_string_value(c), 1,
			    t->vals[i])) != 0)
				goto fail;
		} else {
			if ((t->keys[i] = strdup(k)) == NULL)
				goto nomem;
			if ((r = compile_tmpl(b, c, cloc, depth + 1, &t->vals[i])) != 0)
				goto fail;
		}
		for (j = 0; j < i; j++) {
			if (strcmp(t->keys[j], t->keys[i]) == 0) {
				r = sd_error_set(b->err, SD_ERR_INVALID, cloc,
				    "the field \"%s\" appears twice once \".$\" is "
				    "removed", t->keys[i]);
				goto fail;
			}
		}
		free(cloc);
		cloc = NULL;
		i++;
	}
	*out = t;
	return 0;
 nomem:
	r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
 fail:
	free(cloc);
	sd_tmpl_free(t);
	return r;
}

/* ------------------------------------------------------------ JSONata */

/* Is s meant as a JSONata expression (it opens with "{%" or closes with "%}")? */
static int
is_jsonata_like(const char *s)
{
	size_t len = strlen(s);

	return len >= 2 && ((s[0] == '{' && s[1] == '%') ||
	    (s[len - 2] == '%' && s[len - 1] == '}'));
}

/* Does v hold a JSONata-like string (at any depth)? */
static int
has_jsonata(json_t *v, int depth)
{
	const char *k;
	json_t *c;
	size_t i;

	if (depth > MAX_DEPTH)
		return 1;
	if (json_is_string(v))
		return is_jsonata_like(json_string_value(v));
	if (json_is_object(v)) {
		json_object_foreach(v, k, c)
			if (has_jsonata(c, depth + 1))
				return 1;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if (has_jsonata(c, depth + 1))
				return 1;
	}
	return 0;
}

/*
 * Compile the JSONata string s (is_jsonata_like) into t. Step Functions
 * takes exactly "{% <expression> %}": one space after "{%" and before "%}",
 * the expression on one line.
 */
static int
compile_jsonata_string(struct build *b, const char *loc, const char *field,
    const char *s, struct sd_tmpl *t)
{
	struct sd_jn_error je;
	size_t len = strlen(s);
	char buf[600];

	if (len < 7 || strncmp(s, "{% ", 3) != 0 ||
	    strcmp(s + len - 3, " %}") != 0 ||
	    strcspn(s, "\n\r") != len)
		return sd_error_set(b->err, SD_ERR_INVALID, loc, "a JSONata "
		    "expression must be written \"{%% <expression> %%}\", with "
		    "one space inside each delimiter and on one line: \"%s\"", s);
	t->kind = SD_T_JSONATA;
	if ((t->expr = strndup(s + 3, len - 6)) == NULL ||
	    (t->field = strdup(field)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if ((t->jn = sd_jn_compile(t->expr, &je)) == NULL) {
		if (strcmp(je.code, "X0001") == 0)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc,
			    "out of memory");
		return sd_error_set(b->err, SD_ERR_INVALID, loc, "the JSONata "
		    "expression '%s' is not valid: %s", t->expr,
		    sd_jn_error_text(&je, buf, sizeof(buf)));
	}
	return 0;
}

/*
 * Compile a JSONata field's value: "{% %}" strings at any depth are
 * expressions, everything else is literal (keys ending in ".$" included).
 * field names the value in causes, as AWS does: "Output", "Output/key",
 * "Output/list[0]".
 */
static int
compile_jtmpl(struct build *b, json_t *v, const char *loc, const char *field,
    int depth, struct sd_tmpl **out)
{
	struct sd_tmpl *t = NULL;
	const char *k;
	json_t *c;
	char *cloc = NULL, *cfield = NULL;
	size_t i, n;
	int r = SD_ERR_NOMEM;

	*out = NULL;
	if (depth > MAX_DEPTH)
		return sd_error_set(b->err, SD_ERR_LIMIT, loc, "nested too deeply: "
		    "at most %d levels of objects and arrays above an "
		    "expression", MAX_DEPTH + 1);
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (!has_jsonata(v, 0)) {
		t->kind = SD_T_LITERAL;
		t->literal = json_incref(v);
		*out = t;
		return 0;
	}
	if (json_is_string(v)) {
		if ((r = compile_jsonata_string(b, loc, field,
		    json_string_value(v), t)) != 0)
			goto fail;
		*out = t;
		return 0;
	}
	n = json_is_array(v) ? json_array_size(v) : json_object_size(v);
	t->kind = json_is_array(v) ? SD_T_ARRAY : SD_T_OBJECT;
	if ((t->vals = calloc(n ? n : 1, sizeof(*t->vals))) == NULL ||
	    (t->kind == SD_T_OBJECT &&
	    (t->keys = calloc(n ? n : 1, sizeof(*t->keys))) == NULL))
		goto nomem;
	i = 0;
	if (t->kind == SD_T_ARRAY) {
		json_array_foreach(v, i, c) {
			if ((cloc = locf("%s[%zu]", loc, i)) == NULL ||
			    (cfield = locf("%s[%zu]", field, i)) == NULL)
				goto nomem;
			t->n = i + 1;
			if ((r = compile_jtmpl(b, c, cloc, cfield, depth + 1,
			    &t->vals[i])) != 0)
				goto fail;
			free(cloc);
			free(cfield);
			cloc = cfield = NULL;
		}
	} else {
		json_object_foreach(v, k, c) {
			if ((cloc = locf("%s/%s", loc, k)) == NULL ||
			    (cfield = locf("%s/%s", field, k)) == NULL)
				goto nomem;
			t->n = i + 1;
			if ((t->keys[i] = strdup(k)) == NULL)
				goto nomem;
			if ((r = compile_jtmpl(b, c, cloc, cfield, depth + 1,
			    &t->vals[i])) != 0)
				goto fail;
			free(cloc);
			free(cfield);
			cloc = cfield = NULL;
			i++;
		}
	}
	*out = t;
	return 0;
 nomem:
	r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
 fail:
	free(cloc);
	free(cfield);
	sd_tmpl_free(t);
	return r;
}

/* A JSONata field of obj (NULL *out when absent). */
static int
parse_jfield(struct build *b, json_t *obj, const char *loc, const char *field,
    struct sd_tmpl **out)
{
	json_t *v = json_object_get(obj, field);
	char *l;
	int r;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((l = locf("%s/%s", loc, field)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	r = compile_jtmpl(b, v, l, field, 0, out);
	free(l);
	return r;
}

/*
 * A field that is a number (or a timestamp string) in JSONPath and may be
 * a "{% %}" expression in JSONata. When it is an expression, *expr is set
 * and 1 is returned; 0: parse it as usual; < 0: error.
 */
static int
jsonata_scalar(struct build *b, json_t *obj, const char *loc,
    const char *field, struct sd_tmpl **expr)
{
	json_t *v = json_object_get(obj, field);
	int r;

	*expr = NULL;
	if (!b->jsonata || !json_is_string(v) ||
	    !is_jsonata_like(json_string_value(v)))
		return 0;
	if ((r = parse_jfield(b, obj, loc, field, expr)) != 0)
		return r < 0 ? r : -r;
	return 1;
}

/* ------------------------------------------------------------ field helpers */

static int
get_string(struct build *b, json_t *obj, const char *loc, const char *field,
    int required, const char **out)
{
	json_t *v = json_object_get(obj, field);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return fail_at(b, loc, NULL,
			    "missing required field \"%s\"", field);
		return 0;
	}
	if (!json_is_string(v))
		return fail_at(b, loc, field, "expected a string, got %s",
		    sd_json_type_name(v));
	*out = json_string_value(v);
	return 0;
}

static int
dup_string(struct build *b, json_t *obj, const char *loc, const char *field,
    int required, char **out)
{
	const char *s;
	int r;

	*out = NULL;
	if ((r = get_string(b, obj, loc, field, required, &s)) != 0)
		return r;
	if (s != NULL && (*out = strdup(s)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	return 0;
}

/* A non-negative (or positive) integer field. */
static int
get_int(struct build *b, json_t *obj, const char *loc, const char *field,
    int64_t min, int64_t max, int *present, int64_t *out)
{
	json_t *v = json_object_get(obj, field);
	long long ll;

	if (present != NULL)
		*present = v != NULL;
	if (v == NULL)
		return 0;
	if (!sd_json_is_integral(v, &ll))
		return fail_at(b, loc, field, "expected an integer, got %s",
		    json_is_number(v) ? "a fraction" : sd_json_type_name(v));
	if (ll < min || ll > max)
		return fail_at(b, loc, field,
		    "%lld is out of range (%lld to %lld)", ll, (long long)min,
		    (long long)max);
	*out = ll;
	return 0;
}

static int
compile_path(struct build *b, const char *loc, const char *field,
    const char *text, int reference, struct sd_jsonpath **out)
{
	struct sd_error e = SD_ERROR_INIT;
	char *l = NULL;
	int r;

	*out = NULL;
	if ((r = sd_jsonpath_compile(text, out, &e)) != 0) {
		r = fail_at(b, loc, field, "the value \"%s\" is not a valid JSONPath: %s",
		    text, e.message != NULL ? e.message : sd_strerror(r));
		sd_error_clear(&e);
		return r;
	}
	if (reference && !sd_jsonpath_is_definite(*out)) {
		sd_jsonpath_free(*out);
		*out = NULL;
		return fail_at(b, loc, field,
		    "the value \"%s\" must be a reference path (one node only)",
		    text);
	}
	free(l);
	return 0;
}

static int
get_path(struct build *b, json_t *obj, const char *loc, const char *field,
    int reference, int allow_null, struct sd_pathfield *pf)
{
	json_t *v = json_object_get(obj, field);

	memset(pf, 0, sizeof(*pf));
	if (v == NULL)
		return 0;
	pf->present = 1;
	if (json_is_null(v)) {
		if (!allow_null)
			return fail_at(b, loc, field, "may not be null");
		pf->is_null = 1;
		return 0;
	}
	if (!json_is_string(v))
		return fail_at(b, loc, field, "expected a string, got %s",
		    sd_json_type_name(v));
	if ((pf->text = strdup(json_string_value(v))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	return compile_path(b, loc, field, pf->text, reference, &pf->path);
}

static int
get_single_path(struct build *b, json_t *obj, const char *loc,
    const char *field, struct sd_jsonpath **out, char **text)
{
	const char *s;
	int r;

	*out = NULL;
	if ((r = get_string(b, obj, loc, field, 0, &s)) != 0 || s == NULL)
		return r;
	if (text != NULL && (*text = strdup(s)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	return compile_path(b, loc, field, s, 1, out);
}

static void
pathfield_free(struct sd_pathfield *pf)
{
	sd_jsonpath_free(pf->path);
	free(pf->text);
}

static int
check_fields(struct build *b, json_t *obj, const char *loc,
    const char *const *allowed, const char *what)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] == NULL) {
			return fail_at(b, loc, k, "field \"%s\" is not allowed in %s",
			    k, what);
		}
	}
	return 0;
}

/* Fields only the JSONPath query language has, and only JSONata has. */
static const char *const jsonpath_only[] = { "InputPath", "OutputPath",
    "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
    "MaxConcurrencyPath", "ToleratedFailureCountPath",
    "ToleratedFailurePercentagePath", "TimeoutSecondsPath",
    "HeartbeatSecondsPath", "SecondsPath", "TimestampPath", "ErrorPath",
    "CausePath", NULL };
static const char *const jsonata_only[] = { "Arguments", "Output", "Items",
    "Condition", NULL };

/* Refuse the fields obj may not have in its query language. */
static int
check_language(struct build *b, json_t *obj, const char *loc)
{
	const char *const *f;

	for (f = b->jsonata ? jsonpath_only : jsonata_only; *f != NULL; f++) {
		if (json_object_get(obj, *f) == NULL)
			continue;
		if (b->jsonata)
			return fail_at(b, loc, *f, "The field '%s' is not "
			    "supported when the query language is JSONata",
			    *f);
		return fail_at(b, loc, *f, "The field '%s' is only supported "
		    "when the query language is JSONata (set \"QueryLanguage\": "
		    "\"JSONata\")", *f);
	}
	return 0;
}

/*
 * QueryLanguage of a state (or, with top, of the machine): sets
 * b->jsonata. A state inherits the machine's language; a JSONata machine's
 * states cannot switch back to JSONPath.
 */
static int
parse_language(struct build *b, json_t *obj, const char *loc, int top)
{
	json_t *v = json_object_get(obj, "QueryLanguage");
	const char *s;

	b->jsonata = b->top_jsonata;
	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return fail_at(b, loc, "QueryLanguage", "expected a string, got "
		    "%s", sd_json_type_name(v));
	s = json_string_value(v);
	if (strcmp(s, "JSONata") == 0)
		b->jsonata = 1;
	else if (strcmp(s, "JSONPath") == 0) {
		if (!top && b->top_jsonata)
			return fail_at(b, loc, "QueryLanguage", "a state of a "
			    "machine whose QueryLanguage is JSONata cannot use "
			    "JSONPath");
		b->jsonata = 0;
	} else
		return fail_at(b, loc, "QueryLanguage", "expected \"JSONPath\" "
		    "or \"JSONata\", got \"%s\"", s);
	if (top)
		b->top_jsonata = b->jsonata;
	return 0;
}

static int
parse_error_list(struct build *b, json_t *obj, const char *loc, int last,
    char ***out, size_t *nout)
{
	json_t *v = json_object_get(obj, "ErrorEquals"), *e;
	size_t i, n;

	*out = NULL;
	*nout = 0;
	if (v == NULL)
		return fail_at(b, loc, NULL, "missing required field \"ErrorEquals\"");
	if (!json_is_array(v) || (n = json_array_size(v)) == 0)
		return fail_at(b, loc, "ErrorEquals",
		    "expected a non-empty array of error names");
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	json_array_foreach(v, i, e) {
		char *l;

		if (!json_is_string(e)) {
			if ((l = locf("%s/ErrorEquals[%zu]", loc, i)) != NULL) {
				sd_error_set(b->err, SD_ERR_INVALID, l,
				    "expected a string, got %s", sd_json_type_name(e));
				free(l);
			}
			return SD_ERR_INVALID;
		}
		if (strcmp(json_string_value(e), "States.ALL") == 0 &&
		    (n != 1 || !last)) {
			if ((l = locf("%s/ErrorEquals[%zu]", loc, i)) != NULL) {
				sd_error_set(b->err, SD_ERR_INVALID, l,
				    "\"States.ALL\" must appear alone and in the last "
				    "element");
				free(l);
			}
			return SD_ERR_INVALID;
		}
		if (((*out)[i] = strdup(json_string_value(e))) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		*nout = i + 1;
	}
	return 0;
}

static void
free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * Assign (a state's, a Choice Rule's or a Catcher's): an object whose
 * top-level keys name variables; compiled as a Payload Template. *out is
 * NULL when obj has no Assign.
 */
static int
parse_assign(struct build *b, json_t *obj, const char *loc,
    struct sd_tmpl **out)
{
	json_t *v = json_object_get(obj, "Assign"), *c;
	const char *k;
	char *l = NULL;
	size_t kl;
	int r;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!json_is_object(v))
		return fail_at(b, loc, "Assign", "expected an object");
	json_object_foreach(v, k, c) {
		kl = strlen(k);
		if (kl >= 2 && strcmp(k + kl - 2, ".$") == 0)
			kl -= 2;
		if (kl == 0 || utf8_chars(k, kl) > MAX_VAR_NAME)
			return fail_at(b, loc, "Assign", "variable names must be 1 "
			    "to %d characters", MAX_VAR_NAME);
		if (kl == 6 && strncmp(k, "states", 6) == 0)
			return fail_at(b, loc, "Assign", "the variable name "
			    "'states' is reserved");
	}
	if ((l = locf("%s/Assign", loc)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	r = b->jsonata ? compile_jtmpl(b, v, l, "Assign", 0, out) :
	    compile_tmpl(b, v, l, 0, out);
	free(l);
	return r;
}

static int
parse_retry(struct build *b, json_t *st, const char *sloc, struct sd_state *s)
{
	static const char *const allowed[] = { "ErrorEquals", "IntervalSeconds",
	    "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy",
	    "Comment", NULL };
	json_t *arr = json_object_get(st, "Retry"), *r, *v;
	char *loc = NULL;
	size_t i, n;
	int rc = 0;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return fail_at(b, sloc, "Retry", "expected an array of retriers");
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	if ((s->retry = calloc(n, sizeof(*s->retry))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
	json_array_foreach(arr, i, r) {
		struct sd_retrier *rt = &s->retry[i];
		int64_t iv = 1;
		const char *js;

		s->nretry = i + 1;
		rt->interval_s = 1;
		rt->max_attempts = 3;
		rt->backoff = 2.0;
		if ((loc = locf("%s/Retry[%zu]", sloc, i)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
		if (!json_is_object(r)) {
			rc = fail_at(b, loc, NULL, "expected an object");
			goto out;
		}
		if ((rc = check_fields(b, r, loc, allowed, "a Retrier")) != 0 ||
		    (rc = parse_error_list(b, r, loc, i == n - 1, &rt->errors,
		    &rt->nerrors)) != 0 ||
		    (rc = get_int(b, r, loc, "IntervalSeconds", 1, 99999999, NULL,
		    &iv)) != 0 ||
		    (rc = get_int(b, r, loc, "MaxAttempts", 0, 99999999, NULL,
		    &rt->max_attempts)) != 0 ||
		    (rc = get_int(b, r, loc, "MaxDelaySeconds", 1, 31622400, NULL,
		    &rt->max_delay_s)) != 0)
			goto out;
		rt->interval_s = (double)iv;
		if ((v = json_object_get(r, "BackoffRate")) != NULL) {
			if (!json_is_number(v) || sd_json_number(v) < 1.0) {
				rc = fail_at(b, loc, "BackoffRate",
				    "expected a number greater than or equal to 1.0");
				goto out;
			}
			rt->backoff = sd_json_number(v);
		}
		if ((rc = get_string(b, r, loc, "JitterStrategy", 0, &js)) != 0)
			goto out;
		if (js != NULL) {
			if (strcmp(js, "FULL") == 0)
				rt->jitter_full = 1;
			else if (strcmp(js, "NONE") != 0) {
				rc = fail_at(b, loc, "JitterStrategy",
				    "expected \"FULL\" or \"NONE\", got \"%s\"", js);
				goto out;
			}
		}
		free(loc);
		loc = NULL;
	}
 out:
	free(loc);
	return rc;
}

static int
parse_catch(struct build *b, json_t *st, const char *sloc, struct sd_state *s)
{
	static const char *const allowed[] = { "ErrorEquals", "Next",
	    "ResultPath", "Comment", "Assign", "Output", NULL };
	json_t *arr = json_object_get(st, "Catch"), *c;
	char *loc = NULL;
	size_t i, n;
	int rc = 0;

	if (arr == NULL)
		return 0;
	if (!json_is_array(arr))
		return fail_at(b, sloc, "Catch", "expected an array of catchers");
	n = json_array_size(arr);
	if (n == 0)
		return 0;
	if ((s->catch = calloc(n, sizeof(*s->catch))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
	json_array_foreach(arr, i, c) {
		struct sd_catcher *ct = &s->catch[i];

		s->ncatch = i + 1;
		if ((loc = locf("%s/Catch[%zu]", sloc, i)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
		if (!json_is_object(c)) {
			rc = fail_at(b, loc, NULL, "expected an object");
			goto out;
		}
		if ((rc = check_fields(b, c, loc, allowed, "a Catcher")) != 0 ||
		    (rc = check_language(b, c, loc)) != 0 ||
		    (b->jsonata && (rc = parse_jfield(b, c, loc, "Output",
		    &ct->output)) != 0) ||
		    (rc = parse_error_list(b, c, loc, i == n - 1, &ct->errors,
		    &ct->nerrors)) != 0 ||
		    (rc = dup_string(b, c, loc, "Next", 1, &ct->next_name)) != 0 ||
		    (rc = get_path(b, c, loc, "ResultPath", 1, 1,
		    &ct->result_path)) != 0 ||
		    (rc = parse_assign(b, c, loc, &ct->assign)) != 0)
			goto out;
		if (ct->result_path.path != NULL &&
		    sd_jsonpath_root(ct->result_path.path) != SD_JP_ROOT_INPUT) {
			rc = fail_at(b, loc, "ResultPath", "must start with \"$\" "
			    "and refer to the state input");
			goto out;
		}
		free(loc);
		loc = NULL;
	}
 out:
	free(loc);
	return rc;
}

/* ------------------------------------------------------------ states */

static const char *const pass_fields[] = { "Type", "Comment", "Next", "End",
    "InputPath", "OutputPath", "ResultPath", "Parameters", "Result", "Assign",
    "QueryLanguage", "Output", NULL };
static const char *const task_fields[] = { "Type", "Comment", "Next", "End",
    "InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector",
    "Resource", "TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds",
    "HeartbeatSecondsPath", "Retry", "Catch", "Credentials", "Assign",
    "QueryLanguage", "Arguments", "Output", NULL };
static const char *const choice_fields[] = { "Type", "Comment", "InputPath",
    "OutputPath", "Choices", "Default", "Assign", "QueryLanguage", "Output",
    NULL };
static const char *const wait_fields[] = { "Type", "Comment", "Next", "End",
    "InputPath", "OutputPath", "Seconds", "SecondsPath", "Timestamp",
    "TimestampPath", "Assign", "QueryLanguage", "Output", NULL };
static const char *const succeed_fields[] = { "Type", "Comment", "InputPath",
    "OutputPath", "QueryLanguage", "Output", NULL };
static const char *const fail_fields[] = { "Type", "Comment", "Error", "Cause",
    "ErrorPath", "CausePath", "QueryLanguage", NULL };
static const char *const parallel_fields[] = { "Type", "Comment", "Next",
    "End", "InputPath", "OutputPath", "ResultPath", "Parameters",
    "ResultSelector", "Branches", "Retry", "Catch", "Assign",
    "QueryLanguage", "Arguments", "Output", NULL };
static const char *const map_fields[] = { "Type", "Comment", "Next", "End",
    "InputPath", "OutputPath", "ResultPath", "Parameters", "ItemSelector",
    "ResultSelector", "ItemsPath", "Iterator", "ItemProcessor",
    "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
    "ToleratedFailureCountPath", "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath", "Retry", "Catch", "Label",
    "ItemReader", "ItemBatcher", "ResultWriter", "Assign",
    "QueryLanguage", "Items", "Output", NULL };

static int
parse_payload(struct build *b, json_t *st, const char *loc, const char *field,
    struct sd_tmpl **out)
{
	json_t *v = json_object_get(st, field);
	char *l;
	int r;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((l = locf("%s/%s", loc, field)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	r = compile_tmpl(b, v, l, 0, out);
	free(l);
	return r;
}

static int
parse_fail_field(struct build *b, json_t *st, const char *loc,
    const char *field, const char *pathfield, char **lit, struct sd_tmpl **path)
{
	const char *s;
	char *l;
	int r;

	if ((r = jsonata_scalar(b, st, loc, field, path)) != 0)
		return r < 0 ? r : 0;
	if ((r = dup_string(b, st, loc, field, 0, lit)) != 0 ||
	    (r = get_string(b, st, loc, pathfield, 0, &s)) != 0)
		return r;
	if (s == NULL)
		return 0;
	if (*lit != NULL)
		return fail_at(b, loc, pathfield, "\"%s\" and \"%s\" are mutually "
		    "exclusive", field, pathfield);
	if ((*path = calloc(1, sizeof(**path))) == NULL ||
	    (l = locf("%s/%s", loc, pathfield)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	r = compile_expr(b, l, pathfield, s, 1, *path);
	free(l);
	return r;
}

static int
parse_wait(struct build *b, json_t *st, const char *loc, struct sd_state *s)
{
	static const char *const f[] = { "Seconds", "SecondsPath", "Timestamp",
	    "TimestampPath" };
	const char *ts;
	int i, found = 0, r;

	for (i = 0; i < 4; i++) {
		if (json_object_get(st, f[i]) == NULL)
			continue;
		if (found)
			return fail_at(b, loc, f[i], "a Wait state needs exactly one "
			    "of Seconds, SecondsPath, Timestamp, TimestampPath");
		found = i + 1;
	}
	if (!found)
		return fail_at(b, loc, NULL, "a Wait state needs one of Seconds, "
		    "SecondsPath, Timestamp, TimestampPath");
	s->wait_kind = found;
	if ((found == 1 || found == 3) && (r = jsonata_scalar(b, st, loc,
	    f[found - 1], &s->wait_expr)) != 0)
		return r < 0 ? r : 0;
	switch (found) {
	case 1:
		return get_int(b, st, loc, "Seconds", 0, 99999999, NULL,
		    &s->wait_seconds);
	case 2:
		return get_single_path(b, st, loc, "SecondsPath", &s->wait_path,
		    &s->wait_path_text);
	case 3:
		if ((r = get_string(b, st, loc, "Timestamp", 1, &ts)) != 0)
			return r;
		if (sd_time_parse(ts, &s->wait_ts_ns) != 0)
			return fail_at(b, loc, "Timestamp", "\"%s\" is not an RFC 3339 "
			    "timestamp (like 2016-03-14T01:59:00Z)", ts);
		return 0;
	default:
		return get_single_path(b, st, loc, "TimestampPath", &s->wait_path,
		    &s->wait_path_text);
	}
}

/* The Choices of a JSONata Choice state: Condition, Next, Output, Assign. */
static int
parse_choice_jsonata(struct build *b, json_t *st, json_t *arr, const char *loc,
    struct sd_state *s)
{
	static const char *const allowed[] = { "Condition", "Next", "Output",
	    "Assign", "Comment", NULL };
	size_t i, n = json_array_size(arr);
	struct sd_tmpl *t;
	char *l = NULL;
	json_t *c;
	int r = 0;

	if ((s->choice_cond = calloc(n, sizeof(*s->choice_cond))) == NULL ||
	    (s->choice_output = calloc(n, sizeof(*s->choice_output))) == NULL ||
	    (s->choice_next_name = calloc(n, sizeof(*s->choice_next_name))) ==
	    NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	json_array_foreach(arr, i, c) {
		s->nchoices = i + 1;
		if ((l = locf("%s/Choices[%zu]", loc, i)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		if (!json_is_object(c))
			r = fail_at(b, l, NULL, "expected an object");
		else if ((r = check_fields(b, c, l, allowed,
		    "a JSONata Choice Rule")) == 0 &&
		    json_object_get(c, "Condition") == NULL)
			r = fail_at(b, l, NULL, "missing required field "
			    "\"Condition\"");
		if (r == 0 && (r = parse_jfield(b, c, l, "Condition",
		    &s->choice_cond[i])) == 0) {
			t = s->choice_cond[i];
			if (t->kind != SD_T_JSONATA && !(t->kind == SD_T_LITERAL &&
			    json_is_boolean(t->literal)))
				r = fail_at(b, l, "Condition", "expected a boolean "
				    "or a JSONata expression");
		}
		if (r == 0)
			r = dup_string(b, c, l, "Next", 1, &s->choice_next_name[i]);
		if (r == 0)
			r = parse_jfield(b, c, l, "Output", &s->choice_output[i]);
		if (r == 0)
			r = parse_assign(b, c, l, &s->choice_assign[i]);
		free(l);
		if (r != 0)
			return r;
	}
	if ((r = dup_string(b, st, loc, "Default", 0, &s->default_name)) != 0)
		return r;
	s->has_default = s->default_name != NULL;
	return 0;
}

static int
parse_choice(struct build *b, json_t *st, const char *loc, struct sd_state *s)
{
	json_t *arr = json_object_get(st, "Choices"), *c;
	char *l = NULL;
	size_t i, n;
	int r;

	if (arr == NULL)
		return fail_at(b, loc, NULL, "missing required field \"Choices\"");
	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0)
		return fail_at(b, loc, "Choices", "expected a non-empty array");
	if ((s->choices = calloc(n, sizeof(*s->choices))) == NULL ||
	    (s->choice_next = calloc(n, sizeof(*s->choice_next))) == NULL ||
	    (s->choice_assign = calloc(n, sizeof(*s->choice_assign))) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (s->jsonata)
		return parse_choice_jsonata(b, st, arr, loc, s);
	json_array_foreach(arr, i, c) {
		if ((l = locf("%s/Choices[%zu]", loc, i)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		if (!json_is_object(c)) {
			r = fail_at(b, l, NULL, "expected an object");
			free(l);
			return r;
		}
		r = sd_choice_compile(c, 1, l, &s->choices[i], b->err);
		if (r == 0)
			s->nchoices = i + 1;
		if (r == 0 && sd_choice_output(s->choices[i]) != NULL)
			r = fail_at(b, l, "Output", "\"Output\" is a JSONata "
			    "field; a JSONPath Choice Rule cannot have it");
		if (r == 0)
			r = parse_assign(b, c, l, &s->choice_assign[i]);
		free(l);
		if (r != 0)
			return r;
	}
	if ((r = dup_string(b, st, loc, "Default", 0, &s->default_name)) != 0)
		return r;
	s->has_default = s->default_name != NULL;
	return 0;
}

/*
 * A Map's ItemReader: S3 getObject (JSON, JSONL, CSV, an S3 inventory
 * MANIFEST) or listObjectsV2.
 */
static int
parse_reader(struct build *b, json_t *st, const char *sloc,
    struct sd_state *s)
{
	static const char *const allowed[] = { "Resource", "ReaderConfig",
	    "Parameters", "Arguments", NULL };
	static const char *const rc_allowed[] = { "InputType",
	    "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems",
	    "MaxItemsPath", NULL };
	static const struct { const char *name; char c; } delims[] = {
		{ "COMMA", ',' }, { "PIPE", '|' }, { "SEMICOLON", ';' },
		{ "SPACE", ' ' }, { "TAB", '\t' } };
	json_t *ir = json_object_get(st, "ItemReader"), *rc, *h, *e;
	const char *res, *it = NULL, *hl = NULL, *dl = NULL;
	char *loc, *rloc = NULL;
	size_t i, n;
	int r;

	if (ir == NULL)
		return 0;
	if ((loc = locf("%s/ItemReader", sloc)) == NULL ||
	    (s->reader = calloc(1, sizeof(*s->reader))) == NULL) {
		free(loc);
		return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
	}
	s->reader->csv_delim = ',';
	if (!json_is_object(ir)) {
		r = fail_at(b, loc, NULL, "expected an object");
		goto out;
	}
	if ((r = check_fields(b, ir, loc, allowed, "an ItemReader")) != 0 ||
	    (r = get_string(b, ir, loc, "Resource", 1, &res)) != 0)
		goto out;
	n = strlen(res);
	if (strncmp(res, "arn:", 4) == 0 && n > 15 &&
	    strcmp(res + n - 15, ":::s3:getObject") == 0)
		s->reader->kind = SD_IR_GET_OBJECT;
	else if (strncmp(res, "arn:", 4) == 0 && n > 19 &&
	    strcmp(res + n - 19, ":::s3:listObjectsV2") == 0)
		s->reader->kind = SD_IR_LIST_OBJECTS;
	else {
		r = fail_at(b, loc, "Resource", "\"%s\": the local engine reads "
		    "items with arn:aws:states:::s3:getObject or "
		    "arn:aws:states:::s3:listObjectsV2", res);
		goto out;
	}
	if (json_object_get(ir, b->jsonata ? "Parameters" : "Arguments")) {
		r = fail_at(b, loc, b->jsonata ? "Parameters" : "Arguments",
		    "The field is not supported when the query language is %s",
		    b->jsonata ? "JSONata" : "JSONPath");
		goto out;
	}
	if (json_object_get(ir, b->jsonata ? "Arguments" : "Parameters") ==
	    NULL) {
		r = fail_at(b, loc, NULL, "missing required field \"%s\" "
		    "(Bucket and Key or Prefix)", b->jsonata ? "Arguments" :
		    "Parameters");
		goto out;
	}
	if ((r = b->jsonata ? parse_jfield(b, ir, loc, "Arguments",
	    &s->reader_params) : parse_payload(b, ir, loc, "Parameters",
	    &s->reader_params)) != 0)
		goto out;
	rc = json_object_get(ir, "ReaderConfig");
	if (rc == NULL && s->reader->kind == SD_IR_GET_OBJECT) {
		r = fail_at(b, loc, NULL, "s3:getObject needs \"ReaderConfig\" "
		    "with its InputType");
		goto out;
	}
	if (rc == NULL) {
		r = 0;
		goto out;
	}
	if ((rloc = locf("%s/ReaderConfig", loc)) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		goto out;
	}
	if (!json_is_object(rc)) {
		r = fail_at(b, rloc, NULL, "expected an object");
		goto out;
	}
	if ((r = check_fields(b, rc, rloc, rc_allowed, "a ReaderConfig")) != 0 ||
	    (r = get_string(b, rc, rloc, "InputType", 0, &it)) != 0 ||
	    (r = get_string(b, rc, rloc, "CSVHeaderLocation", 0, &hl)) != 0 ||
	    (r = get_string(b, rc, rloc, "CSVDelimiter", 0, &dl)) != 0)
		goto out;
	if (s->reader->kind == SD_IR_LIST_OBJECTS && it != NULL) {
		r = fail_at(b, rloc, "InputType", "s3:listObjectsV2 takes no "
		    "InputType");
		goto out;
	}
	if (s->reader->kind == SD_IR_GET_OBJECT) {
		if (it == NULL) {
			r = fail_at(b, rloc, NULL, "missing required field "
			    "\"InputType\"");
			goto out;
		}
		if (strcmp(it, "JSON") == 0)
			s->reader->input = SD_IR_JSON;
		else if (strcmp(it, "JSONL") == 0)
			s->reader->input = SD_IR_JSONL;
		else if (strcmp(it, "CSV") == 0)
			s->reader->input = SD_IR_CSV;
		else if (strcmp(it, "MANIFEST") == 0)
			s->reader->input = SD_IR_MANIFEST;
		else if (strcmp(it, "PARQUET") == 0) {
			r = fail_at(b, rloc, "InputType", "\"PARQUET\" is not "
			    "read by the local engine (JSON, JSONL, CSV or "
			    "MANIFEST)");
			goto out;
		} else {
			r = fail_at(b, rloc, "InputType", "\"%s\" is not an "
			    "InputType (JSON, JSONL, CSV, MANIFEST or PARQUET)",
			    it);
			goto out;
		}
	}
	if (s->reader->input != SD_IR_CSV && (hl != NULL || dl != NULL ||
	    json_object_get(rc, "CSVHeaders") != NULL)) {
		r = fail_at(b, rloc, hl != NULL ? "CSVHeaderLocation" : dl !=
		    NULL ? "CSVDelimiter" : "CSVHeaders", "only for InputType "
		    "CSV");
		goto out;
	}
	if (hl != NULL && strcmp(hl, "GIVEN") == 0)
		s->reader->csv_given = 1;
	else if (hl != NULL && strcmp(hl, "FIRST_ROW") != 0) {
		r = fail_at(b, rloc, "CSVHeaderLocation", "expected \"FIRST_ROW\" "
		    "or \"GIVEN\", got \"%s\"", hl);
		goto out;
	}
	h = json_object_get(rc, "CSVHeaders");
	if (s->reader->csv_given != (h != NULL)) {
		r = fail_at(b, rloc, "CSVHeaders", "CSVHeaders goes with "
		    "CSVHeaderLocation GIVEN, and only with it");
		goto out;
	}
	if (h != NULL) {
		if (!json_is_array(h) || json_array_size(h) == 0) {
			r = fail_at(b, rloc, "CSVHeaders", "expected a non-empty "
			    "array of strings");
			goto out;
		}
		json_array_foreach(h, i, e) {
			if (!json_is_string(e)) {
				r = fail_at(b, rloc, "CSVHeaders", "expected a "
				    "non-empty array of strings");
				goto out;
			}
		}
		s->reader->csv_headers = json_incref(h);
	}
	if (dl != NULL) {
		for (i = 0; i < sizeof(delims) / sizeof(delims[0]); i++)
			if (strcmp(dl, delims[i].name) == 0)
				break;
		if (i == sizeof(delims) / sizeof(delims[0])) {
			r = fail_at(b, rloc, "CSVDelimiter", "expected COMMA, PIPE, "
			    "SEMICOLON, SPACE or TAB, got \"%s\"", dl);
			goto out;
		}
		s->reader->csv_delim = delims[i].c;
	}
	if ((r = jsonata_scalar(b, rc, rloc, "MaxItems",
	    &s->reader_max_expr)) < 0)
		goto out;
	r = 0;
	if ((s->reader_max_expr == NULL && (r = get_int(b, rc, rloc,
	    "MaxItems", 0, 100000000, NULL, &s->reader_max)) != 0) ||
	    (r = get_single_path(b, rc, rloc, "MaxItemsPath",
	    &s->reader_max_path, &s->reader_max_path_text)) != 0)
		goto out;
	if (json_object_get(rc, "MaxItems") != NULL && s->reader_max_path)
		r = fail_at(b, rloc, "MaxItemsPath", "\"MaxItems\" and "
		    "\"MaxItemsPath\" are mutually exclusive");
 out:
	free(rloc);
	free(loc);
	return r;
}

/* A Map's ItemBatcher: at least one of the limits, and BatchInput. */
static int
parse_batcher(struct build *b, json_t *st, const char *sloc,
    struct sd_state *s)
{
	static const char *const allowed[] = { "MaxItemsPerBatch",
	    "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
	    "MaxInputBytesPerBatchPath", "BatchInput", NULL };
	json_t *ib = json_object_get(st, "ItemBatcher");
	char *loc;
	int r;

	if (ib == NULL)
		return 0;
	if ((loc = locf("%s/ItemBatcher", sloc)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
	s->has_batcher = 1;
	if (!json_is_object(ib)) {
		r = fail_at(b, loc, NULL, "expected an object");
		goto out;
	}
	if ((r = check_fields(b, ib, loc, allowed, "an ItemBatcher")) != 0)
		goto out;
	if (b->jsonata && (json_object_get(ib, "MaxItemsPerBatchPath") != NULL ||
	    json_object_get(ib, "MaxInputBytesPerBatchPath") != NULL)) {
		r = fail_at(b, loc, json_object_get(ib, "MaxItemsPerBatchPath") ?
		    "MaxItemsPerBatchPath" : "MaxInputBytesPerBatchPath",
		    "The field is not supported when the query language is "
		    "JSONata");
		goto out;
	}
	if ((r = jsonata_scalar(b, ib, loc, "MaxItemsPerBatch",
	    &s->batch_max_items_expr)) < 0 ||
	    (r = jsonata_scalar(b, ib, loc, "MaxInputBytesPerBatch",
	    &s->batch_max_bytes_expr)) < 0)
		goto out;
	r = 0;
	if ((s->batch_max_items_expr == NULL && (r = get_int(b, ib, loc,
	    "MaxItemsPerBatch", 1, INT64_MAX, NULL, &s->batch_max_items)) != 0) ||
	    (s->batch_max_bytes_expr == NULL && (r = get_int(b, ib, loc,
	    "MaxInputBytesPerBatch", 1, 256 * 1024, NULL,
	    &s->batch_max_bytes)) != 0) ||
	    (r = get_single_path(b, ib, loc, "MaxItemsPerBatchPath",
	    &s->batch_max_items_path, &s->batch_max_items_path_text)) != 0 ||
	    (r = get_single_path(b, ib, loc, "MaxInputBytesPerBatchPath",
	    &s->batch_max_bytes_path, &s->batch_max_bytes_path_text)) != 0)
		goto out;
	if ((json_object_get(ib, "MaxItemsPerBatch") != NULL &&
	    s->batch_max_items_path != NULL) ||
	    (json_object_get(ib, "MaxInputBytesPerBatch") != NULL &&
	    s->batch_max_bytes_path != NULL)) {
		r = fail_at(b, loc, NULL, "a limit and its Path form are "
		    "mutually exclusive");
		goto out;
	}
	if (json_object_get(ib, "MaxItemsPerBatch") == NULL &&
	    json_object_get(ib, "MaxItemsPerBatchPath") == NULL &&
	    json_object_get(ib, "MaxInputBytesPerBatch") == NULL &&
	    json_object_get(ib, "MaxInputBytesPerBatchPath") == NULL) {
		r = fail_at(b, loc, NULL, "an ItemBatcher needs at least one of "
		    "MaxItemsPerBatch, MaxItemsPerBatchPath, "
		    "MaxInputBytesPerBatch, MaxInputBytesPerBatchPath");
		goto out;
	}
	if (json_object_get(ib, "BatchInput") != NULL) {
		if (!json_is_object(json_object_get(ib, "BatchInput")))
			r = fail_at(b, loc, "BatchInput", "expected an object");
		else if (b->jsonata)
			r = parse_jfield(b, ib, loc, "BatchInput", &s->batch_input);
		else
			r = parse_payload(b, ib, loc, "BatchInput", &s->batch_input);
	}
 out:
	free(loc);
	return r;
}

/*
 * A Map's ResultWriter, as AWS takes it: WriterConfig alone (the formatted
 * results are the state's result), Resource with Parameters (Arguments in
 * JSONata) to write them to S3, or all three.
 */
static int
parse_writer(struct build *b, json_t *st, const char *sloc,
    struct sd_state *s)
{
	static const char *const allowed[] = { "Resource", "Parameters",
	    "Arguments", "WriterConfig", NULL };
	static const char *const wc_allowed[] = { "OutputType",
	    "Transformation", NULL };
	json_t *rw = json_object_get(st, "ResultWriter"), *wc, *p;
	const char *res = NULL, *ot = NULL, *tf = NULL, *pf, *k;
	char *loc, *wloc = NULL, *ploc = NULL;
	json_t *v;
	size_t n;
	int r, bucket = 0;

	if (rw == NULL)
		return 0;
	if ((loc = locf("%s/ResultWriter", sloc)) == NULL ||
	    (s->writer = calloc(1, sizeof(*s->writer))) == NULL) {
		free(loc);
		return sd_error_set(b->err, SD_ERR_NOMEM, sloc, "out of memory");
	}
	pf = b->jsonata ? "Arguments" : "Parameters";
	if (!json_is_object(rw)) {
		r = fail_at(b, loc, NULL, "expected an object");
		goto out;
	}
	if (!s->distributed) {
		r = fail_at(b, sloc, "ResultWriter", "a ResultWriter is only for "
		    "a Distributed Map (ItemProcessor ProcessorConfig Mode "
		    "\"DISTRIBUTED\")");
		goto out;
	}
	if ((r = check_fields(b, rw, loc, allowed, "a ResultWriter")) != 0 ||
	    (r = get_string(b, rw, loc, "Resource", 0, &res)) != 0)
		goto out;
	if (json_object_get(rw, b->jsonata ? "Parameters" : "Arguments")) {
		r = fail_at(b, loc, b->jsonata ? "Parameters" : "Arguments",
		    "The field is not supported when the query language is %s",
		    b->jsonata ? "JSONata" : "JSONPath");
		goto out;
	}
	p = json_object_get(rw, pf);
	wc = json_object_get(rw, "WriterConfig");
	if (res == NULL && p == NULL && wc == NULL) {
		r = fail_at(b, loc, NULL, "The ResultWriter cannot be empty: give "
		    "WriterConfig, or Resource and %s, or all three", pf);
		goto out;
	}
	if (res == NULL && p != NULL) {
		r = fail_at(b, loc, pf, "\"%s\" goes with \"Resource\", which is "
		    "missing", pf);
		goto out;
	}
	if (res != NULL && p == NULL) {
		r = fail_at(b, loc, NULL, "missing required field \"%s\" (Bucket "
		    "and Prefix)", pf);
		goto out;
	}
	if (res != NULL) {
		n = strlen(res);
		if (strncmp(res, "arn:", 4) != 0 || n <= 15 ||
		    strcmp(res + n - 15, ":::s3:putObject") != 0) {
			r = fail_at(b, loc, "Resource", "\"%s\": a ResultWriter "
			    "writes with arn:aws:states:::s3:putObject", res);
			goto out;
		}
		s->writer->to_s3 = 1;
		if ((ploc = locf("%s/%s", loc, pf)) == NULL) {
			r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
			goto out;
		}
		if (!json_is_object(p) && !(b->jsonata && json_is_string(p))) {
			r = fail_at(b, ploc, NULL, b->jsonata ? "expected an object "
			    "or a JSONata expression" : "expected an object");
			goto out;
		}
		if (json_is_object(p)) {
			json_object_foreach(p, k, v) {
				if (strcmp(k, "Bucket") == 0 || (!b->jsonata &&
				    strcmp(k, "Bucket.$") == 0))
					bucket = 1;
				else if (strcmp(k, "Prefix") != 0 && (b->jsonata ||
				    strcmp(k, "Prefix.$") != 0)) {
					r = fail_at(b, ploc, k, "a ResultWriter "
					    "takes Bucket and Prefix only");
					goto out;
				}
			}
			if (!bucket) {
				r = fail_at(b, ploc, NULL, "missing required field "
				    "\"Bucket\"");
				goto out;
			}
		}
		if ((r = b->jsonata ? parse_jfield(b, rw, loc, "Arguments",
		    &s->writer_params) : parse_payload(b, rw, loc, "Parameters",
		    &s->writer_params)) != 0)
			goto out;
	}
	if (wc == NULL) {
		r = 0;
		goto out;
	}
	if ((wloc = locf("%s/WriterConfig", loc)) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		goto out;
	}
	if (!json_is_object(wc)) {
		r = fail_at(b, wloc, NULL, "expected an object");
		goto out;
	}
	if ((r = check_fields(b, wc, wloc, wc_allowed, "a WriterConfig")) != 0 ||
	    (r = get_string(b, wc, wloc, "OutputType", 0, &ot)) != 0 ||
	    (r = get_string(b, wc, wloc, "Transformation", 0, &tf)) != 0)
		goto out;
	if (ot != NULL && strcmp(ot, "JSONL") == 0)
		s->writer->jsonl = 1;
	else if (ot != NULL && strcmp(ot, "JSON") != 0) {
		r = fail_at(b, wloc, "OutputType", "expected \"JSON\" or "
		    "\"JSONL\", got \"%s\"", ot);
		goto out;
	}
	if (tf == NULL || strcmp(tf, "NONE") == 0)
		s->writer->transform = SD_RW_NONE;
	else if (strcmp(tf, "COMPACT") == 0)
		s->writer->transform = SD_RW_COMPACT;
	else if (strcmp(tf, "FLATTEN") == 0)
		s->writer->transform = SD_RW_FLATTEN;
	else {
		r = fail_at(b, wloc, "Transformation", "expected \"NONE\", "
		    "\"COMPACT\" or \"FLATTEN\", got \"%s\"", tf);
		goto out;
	}
	if (s->writer->jsonl && !s->writer->to_s3)
		r = fail_at(b, wloc, "OutputType", "JSONL formats the files "
		    "written to S3; without Resource the results are the "
		    "state's JSON result (use \"JSON\")");
 out:
	free(ploc);
	free(wloc);
	free(loc);
	return r;
}

/*
 * A Map's Label, as AWS takes it: 1 to 40 characters, none of them white
 * space, brackets, wildcards, control characters or " # % \ ^ | ~ ` $ & ,
 * ; : /, and unique in the definition. It names the Map Run.
 */
static int
parse_label(struct build *b, json_t *st, const char *loc, struct sd_state *s)
{
	const char *l;
	size_t i, len, chars = 0;
	unsigned char c;
	int r;

	if ((r = get_string(b, st, loc, "Label", 0, &l)) != 0 || l == NULL)
		return r;
	len = strlen(l);
	for (i = 0; i < len; i++)
		if (((unsigned char)l[i] & 0xc0) != 0x80)
			chars++;
	if (len == 0 || chars > 40)
		return fail_at(b, loc, "Label", "a Label has 1 to 40 characters");
	for (i = 0; i < len; i++) {
		c = (unsigned char)l[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>{}[]?*\"#%\\^|~`$&,;:/",
		    c) != NULL || (c == 0xc2 && i + 1 < len &&
		    (unsigned char)l[i + 1] >= 0x80 &&
		    (unsigned char)l[i + 1] <= 0xa0))
			return fail_at(b, loc, "Label", "a Label may not contain "
			    "white space, brackets, wildcards, control characters "
			    "or any of \" # %% \\ ^ | ~ ` $ & , ; : /");
	}
	if (b->labels == NULL && (b->labels = json_object()) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (json_object_get(b->labels, l) != NULL)
		return fail_at(b, loc, "Label", "duplicate Label \"%s\" (a Label "
		    "names one Map state)", l);
	if (json_object_set_new(b->labels, l, json_true()) != 0 ||
	    (s->label = strdup(l)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	return 0;
}

static int
parse_map(struct build *b, json_t *st, const char *loc, struct sd_state *s)
{
	json_t *proc, *v;
	char *l = NULL;
	int r, have;

	proc = json_object_get(st, "ItemProcessor");
	if (proc != NULL && json_object_get(st, "Iterator") != NULL)
		return fail_at(b, loc, "Iterator", "\"Iterator\" and "
		    "\"ItemProcessor\" are mutually exclusive");
	if (proc == NULL)
		proc = json_object_get(st, "Iterator");
	if (proc == NULL)
		return fail_at(b, loc, NULL, "missing required field "
		    "\"ItemProcessor\"");
	v = json_is_object(proc) ? json_object_get(proc, "ProcessorConfig") :
	    NULL;
	v = json_is_object(v) ? json_object_get(v, "Mode") : NULL;
	s->distributed = json_is_string(v) &&
	    strcmp(json_string_value(v), "DISTRIBUTED") == 0;
	if ((r = parse_batcher(b, st, loc, s)) != 0 ||
	    (r = parse_reader(b, st, loc, s)) != 0 ||
	    (r = parse_writer(b, st, loc, s)) != 0 ||
	    (r = parse_label(b, st, loc, s)) != 0)
		return r;
	if (json_object_get(st, "ItemSelector") != NULL &&
	    json_object_get(st, "Parameters") != NULL)
		return fail_at(b, loc, "ItemSelector", "\"ItemSelector\" and "
		    "\"Parameters\" are mutually exclusive");
	if ((l = locf("%s/%s", loc, json_object_get(st, "ItemProcessor") != NULL ?
	    "ItemProcessor" : "Iterator")) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
	if (!json_is_object(proc))
		r = fail_at(b, l, NULL, "expected an object");
	else
		r = parse_machine(b, proc, l, NULL, 0, &s->iterator);
	free(l);
	if (r != 0)
		return r;
	if (s->jsonata) {
		if ((r = parse_jfield(b, st, loc, "Items", &s->items)) != 0 ||
		    (r = parse_jfield(b, st, loc, "ItemSelector",
		    &s->item_selector)) != 0 ||
		    (r = jsonata_scalar(b, st, loc, "MaxConcurrency",
		    &s->maxc_expr)) < 0 ||
		    (r = jsonata_scalar(b, st, loc, "ToleratedFailureCount",
		    &s->tolc_expr)) < 0 ||
		    (r = jsonata_scalar(b, st, loc,
		    "ToleratedFailurePercentage", &s->tolp_expr)) < 0)
			return r;
		if (s->items != NULL && s->items->kind == SD_T_LITERAL &&
		    !json_is_array(s->items->literal))
			return fail_at(b, loc, "Items", "expected an array or a "
			    "JSONata expression");
	} else if ((r = get_path(b, st, loc, "ItemsPath", 1, 0,
	    &s->items_path)) != 0 ||
	    (r = parse_payload(b, st, loc, json_object_get(st, "ItemSelector") ?
	    "ItemSelector" : "Parameters", &s->item_selector)) != 0)
		return r;
	if ((s->maxc_expr == NULL && (r = get_int(b, st, loc, "MaxConcurrency",
	    0, 99999999, NULL, &s->max_concurrency)) != 0) ||
	    (r = get_single_path(b, st, loc, "MaxConcurrencyPath",
	    &s->max_concurrency_path, &s->max_concurrency_path_text)) != 0 ||
	    (s->tolc_expr == NULL && (r = get_int(b, st, loc,
	    "ToleratedFailureCount", 0, INT64_MAX, &s->has_tol_count,
	    &s->tol_count)) != 0) ||
	    (r = get_single_path(b, st, loc, "ToleratedFailureCountPath",
	    &s->tol_count_path, &s->tol_count_path_text)) != 0 ||
	    (r = get_single_path(b, st, loc, "ToleratedFailurePercentagePath",
	    &s->tol_pct_path, &s->tol_pct_path_text)) != 0)
		return r;
	if (json_object_get(st, "MaxConcurrency") != NULL &&
	    s->max_concurrency_path != NULL)
		return fail_at(b, loc, "MaxConcurrencyPath", "\"MaxConcurrency\" "
		    "and \"MaxConcurrencyPath\" are mutually exclusive");
	if (s->has_tol_count && s->tol_count_path != NULL)
		return fail_at(b, loc, "ToleratedFailureCountPath",
		    "\"ToleratedFailureCount\" and \"ToleratedFailureCountPath\" "
		    "are mutually exclusive");
	v = json_object_get(st, "ToleratedFailurePercentage");
	have = v != NULL && s->tolp_expr == NULL;
	if (have) {
		if (!json_is_number(v) || sd_json_number(v) < 0 ||
		    sd_json_number(v) > 100)
			return fail_at(b, loc, "ToleratedFailurePercentage",
			    "expected a number from 0 to 100");
		s->has_tol_pct = 1;
		s->tol_pct = sd_json_number(v);
		if (s->tol_pct_path != NULL)
			return fail_at(b, loc, "ToleratedFailurePercentagePath",
			    "\"ToleratedFailurePercentage\" and "
			    "\"ToleratedFailurePercentagePath\" are mutually exclusive");
	}
	return 0;
}

static int
parse_task(struct build *b, json_t *st, const char *loc, struct sd_state *s,
    int taskfn)
{
	int r;

	if (taskfn) {
		json_t *p;

		if (b->lambda_arn == NULL)
			return fail_at(b, loc, "Type", "a TaskFn state needs the "
			    "machine's Lambda ARN");
		if (json_object_get(st, "Resource") != NULL ||
		    json_object_get(st, "Parameters") != NULL)
			return fail_at(b, loc, json_object_get(st, "Resource") ?
			    "Resource" : "Parameters", "a TaskFn state sets its own "
			    "Resource and Parameters");
		if ((s->resource = strdup(b->lambda_arn)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		p = json_pack("{s:s, s:s}", "Task", s->name, "Input.$", "$");
		if (p == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		r = compile_tmpl(b, p, loc, 0, &s->parameters);
		json_decref(p);
		if (r != 0)
			return r;
		s->is_taskfn = 1;
	} else {
		if ((r = dup_string(b, st, loc, "Resource", 1, &s->resource)) != 0)
			return r;
		if ((r = parse_payload(b, st, loc, "Parameters", &s->parameters)) != 0)
			return r;
	}
	if ((r = jsonata_scalar(b, st, loc, "TimeoutSeconds",
	    &s->timeout_expr)) < 0 ||
	    (r = jsonata_scalar(b, st, loc, "HeartbeatSeconds",
	    &s->heartbeat_expr)) < 0)
		return r;
	if ((s->timeout_expr == NULL && (r = get_int(b, st, loc,
	    "TimeoutSeconds", 1, 99999999, NULL, &s->timeout_s)) != 0) ||
	    (r = get_single_path(b, st, loc, "TimeoutSecondsPath",
	    &s->timeout_path, NULL)) != 0 ||
	    (s->heartbeat_expr == NULL && (r = get_int(b, st, loc,
	    "HeartbeatSeconds", 1, 99999999, NULL, &s->heartbeat_s)) != 0) ||
	    (r = get_single_path(b, st, loc, "HeartbeatSecondsPath",
	    &s->heartbeat_path, NULL)) != 0)
		return r;
	if (s->timeout_s != 0 && s->timeout_path != NULL)
		return fail_at(b, loc, "TimeoutSecondsPath", "\"TimeoutSeconds\" and "
		    "\"TimeoutSecondsPath\" are mutually exclusive");
	if (s->heartbeat_s != 0 && s->heartbeat_path != NULL)
		return fail_at(b, loc, "HeartbeatSecondsPath", "\"HeartbeatSeconds\" "
		    "and \"HeartbeatSecondsPath\" are mutually exclusive");
	if (s->heartbeat_s != 0 && s->timeout_s != 0 &&
	    s->heartbeat_s >= s->timeout_s)
		return fail_at(b, loc, "HeartbeatSeconds", "must be smaller than "
		    "TimeoutSeconds");
	return 0;
}

static int
parse_state(struct build *b, const char *name, json_t *st, const char *mloc,
    struct sd_state *s)
{
	const char *type;
	const char *const *allowed;
	char *loc = NULL;
	json_t *v;
	int r, taskfn = 0, terminal_ok;

	if ((loc = locf("%s/%s", mloc, name)) == NULL)
		return sd_error_set(b->err, SD_ERR_NOMEM, mloc, "out of memory");
	if ((s->name = strdup(name)) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		goto out;
	}
	if (!json_is_object(st)) {
		r = fail_at(b, loc, NULL, "a state must be an object");
		goto out;
	}
	if (strlen(name) == 0 ||
	    utf8_chars(name, strlen(name)) > MAX_STATE_NAME) {
		r = fail_at(b, loc, NULL, "state names must be 1 to %d characters",
		    MAX_STATE_NAME);
		goto out;
	}
	if ((r = get_string(b, st, loc, "Type", 1, &type)) != 0)
		goto out;
	if (strcmp(type, "Pass") == 0) {
		s->type = SD_ST_PASS;
		allowed = pass_fields;
	} else if (strcmp(type, "Task") == 0) {
		s->type = SD_ST_TASK;
		allowed = task_fields;
	} else if (strcmp(type, "TaskFn") == 0) {
		s->type = SD_ST_TASK;
		allowed = task_fields;
		taskfn = 1;
	} else if (strcmp(type, "Choice") == 0) {
		s->type = SD_ST_CHOICE;
		allowed = choice_fields;
	} else if (strcmp(type, "Wait") == 0) {
		s->type = SD_ST_WAIT;
		allowed = wait_fields;
	} else if (strcmp(type, "Succeed") == 0) {
		s->type = SD_ST_SUCCEED;
		allowed = succeed_fields;
	} else if (strcmp(type, "Fail") == 0) {
		s->type = SD_ST_FAIL;
		allowed = fail_fields;
	} else if (strcmp(type, "Parallel") == 0) {
		s->type = SD_ST_PARALLEL;
		allowed = parallel_fields;
	} else if (strcmp(type, "Map") == 0) {
		s->type = SD_ST_MAP;
		allowed = map_fields;
	} else {
		r = fail_at(b, loc, "Type", "unknown state type \"%s\"", type);
		goto out;
	}
	if ((r = check_fields(b, st, loc, allowed, type)) != 0 ||
	    (r = parse_language(b, st, loc, 0)) != 0 ||
	    (r = check_language(b, st, loc)) != 0)
		goto out;
	s->jsonata = b->jsonata;

	/* Transitions. */
	terminal_ok = s->type != SD_ST_CHOICE && s->type != SD_ST_SUCCEED &&
	    s->type != SD_ST_FAIL;
	if (terminal_ok) {
		if ((v = json_object_get(st, "End")) != NULL) {
			if (!json_is_boolean(v)) {
				r = fail_at(b, loc, "End", "expected a boolean");
				goto out;
			}
			s->end = json_is_true(v);
		}
		if ((r = dup_string(b, st, loc, "Next", 0, &s->next_name)) != 0)
			goto out;
		if (s->end && s->next_name != NULL) {
			r = fail_at(b, loc, "Next", "\"Next\" and \"End\": true are "
			    "mutually exclusive");
			goto out;
		}
		if (!s->end && s->next_name == NULL) {
			r = fail_at(b, loc, NULL, "a non-terminal state needs \"Next\" "
			    "(or \"End\": true)");
			goto out;
		}
	} else if (s->type != SD_ST_CHOICE)
		s->end = 1;

	/* Input and output processing. */
	if (s->type != SD_ST_FAIL) {
		if ((r = get_path(b, st, loc, "InputPath", 0, 1, &s->input_path)) != 0 ||
		    (r = get_path(b, st, loc, "OutputPath", 0, 1, &s->output_path)) != 0)
			goto out;
	}
	if (s->type == SD_ST_PASS || s->type == SD_ST_TASK ||
	    s->type == SD_ST_PARALLEL || s->type == SD_ST_MAP) {
		if ((r = get_path(b, st, loc, "ResultPath", 1, 1,
		    &s->result_path)) != 0)
			goto out;
		if (s->result_path.path != NULL &&
		    sd_jsonpath_root(s->result_path.path) != SD_JP_ROOT_INPUT) {
			r = fail_at(b, loc, "ResultPath", "must start with \"$\" and "
			    "refer to the state input");
			goto out;
		}
	}
	if (s->type == SD_ST_PASS || s->type == SD_ST_PARALLEL) {
		if ((r = parse_payload(b, st, loc, "Parameters", &s->parameters)) != 0)
			goto out;
	}
	if (s->type != SD_ST_SUCCEED && s->type != SD_ST_FAIL &&
	    (r = parse_assign(b, st, loc, &s->assign)) != 0)
		goto out;
	if (s->jsonata) {
		if (s->type != SD_ST_FAIL &&
		    (r = parse_jfield(b, st, loc, "Output", &s->output)) != 0)
			goto out;
		if ((s->type == SD_ST_TASK || s->type == SD_ST_PARALLEL) &&
		    (r = parse_jfield(b, st, loc, "Arguments",
		    &s->arguments)) != 0)
			goto out;
	}
	if (s->type == SD_ST_TASK || s->type == SD_ST_PARALLEL ||
	    s->type == SD_ST_MAP) {
		if ((r = parse_payload(b, st, loc, "ResultSelector",
		    &s->result_selector)) != 0 ||
		    (r = parse_retry(b, st, loc, s)) != 0 ||
		    (r = parse_catch(b, st, loc, s)) != 0)
			goto out;
	}

	switch (s->type) {
	case SD_ST_PASS:
		if ((v = json_object_get(st, "Result")) != NULL)
			s->result = json_incref(v);
		break;
	case SD_ST_TASK:
		r = parse_task(b, st, loc, s, taskfn);
		break;
	case SD_ST_CHOICE:
		r = parse_choice(b, st, loc, s);
		break;
	case SD_ST_WAIT:
		r = parse_wait(b, st, loc, s);
		break;
	case SD_ST_FAIL:
		if ((r = parse_fail_field(b, st, loc, "Error", "ErrorPath",
		    &s->error, &s->error_path)) == 0)
			r = parse_fail_field(b, st, loc, "Cause", "CausePath",
			    &s->cause, &s->cause_path);
		break;
	case SD_ST_PARALLEL: {
		json_t *br = json_object_get(st, "Branches"), *bv;
		size_t i, n;

		if (br == NULL) {
			r = fail_at(b, loc, NULL, "missing required field \"Branches\"");
			break;
		}
		if (!json_is_array(br) || (n = json_array_size(br)) == 0) {
			r = fail_at(b, loc, "Branches", "expected a non-empty array");
			break;
		}
		if ((s->branches = calloc(n, sizeof(*s->branches))) == NULL) {
			r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
			break;
		}
		json_array_foreach(br, i, bv) {
			char *bl = locf("%s/Branches[%zu]", loc, i);

			if (bl == NULL) {
				r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
				break;
			}
			if (!json_is_object(bv))
				r = fail_at(b, bl, NULL, "expected an object");
			else
				r = parse_machine(b, bv, bl, NULL, 0, &s->branches[i]);
			free(bl);
			if (r != 0)
				break;
			s->nbranches = i + 1;
		}
		break;
	}
	case SD_ST_MAP:
		r = parse_map(b, st, loc, s);
		break;
	case SD_ST_SUCCEED:
		break;
	}
 out:
	free(loc);
	return r;
}

static void
state_free(struct sd_state *s)
{
	size_t i;

	free(s->name);
	free(s->next_name);
	pathfield_free(&s->input_path);
	pathfield_free(&s->output_path);
	pathfield_free(&s->result_path);
	sd_tmpl_free(s->parameters);
	sd_tmpl_free(s->result_selector);
	sd_tmpl_free(s->assign);
	sd_tmpl_free(s->arguments);
	sd_tmpl_free(s->output);
	sd_tmpl_free(s->items);
	sd_tmpl_free(s->timeout_expr);
	sd_tmpl_free(s->heartbeat_expr);
	sd_tmpl_free(s->wait_expr);
	sd_tmpl_free(s->maxc_expr);
	sd_tmpl_free(s->tolc_expr);
	sd_tmpl_free(s->tolp_expr);
	json_decref(s->result);
	free(s->resource);
	sd_jsonpath_free(s->timeout_path);
	sd_jsonpath_free(s->heartbeat_path);
	for (i = 0; i < s->nretry; i++)
		free_strv(s->retry[i].errors, s->retry[i].nerrors);
	free(s->retry);
	for (i = 0; i < s->ncatch; i++) {
		free_strv(s->catch[i].errors, s->catch[i].nerrors);
		free(s->catch[i].next_name);
		pathfield_free(&s->catch[i].result_path);
		sd_tmpl_free(s->catch[i].assign);
		sd_tmpl_free(s->catch[i].output);
	}
	free(s->catch);
	for (i = 0; i < s->nchoices; i++) {
		sd_choice_free(s->choices[i]);
		if (s->choice_assign != NULL)
			sd_tmpl_free(s->choice_assign[i]);
		if (s->choice_cond != NULL)
			sd_tmpl_free(s->choice_cond[i]);
		if (s->choice_output != NULL)
			sd_tmpl_free(s->choice_output[i]);
		if (s->choice_next_name != NULL)
			free(s->choice_next_name[i]);
	}
	free(s->choices);
	free(s->choice_assign);
	free(s->choice_cond);
	free(s->choice_output);
	free(s->choice_next_name);
	free(s->choice_next);
	free(s->default_name);
	sd_jsonpath_free(s->wait_path);
	free(s->wait_path_text);
	free(s->error);
	free(s->cause);
	sd_tmpl_free(s->error_path);
	sd_tmpl_free(s->cause_path);
	for (i = 0; i < s->nbranches; i++)
		sd_model_free(s->branches[i]);
	free(s->branches);
	sd_model_free(s->iterator);
	pathfield_free(&s->items_path);
	sd_tmpl_free(s->item_selector);
	sd_jsonpath_free(s->max_concurrency_path);
	free(s->max_concurrency_path_text);
	sd_jsonpath_free(s->tol_count_path);
	free(s->tol_count_path_text);
	sd_jsonpath_free(s->tol_pct_path);
	free(s->tol_pct_path_text);
	sd_jsonpath_free(s->batch_max_items_path);
	free(s->batch_max_items_path_text);
	sd_tmpl_free(s->batch_max_items_expr);
	sd_jsonpath_free(s->batch_max_bytes_path);
	free(s->batch_max_bytes_path_text);
	sd_tmpl_free(s->batch_max_bytes_expr);
	sd_tmpl_free(s->batch_input);
	if (s->reader != NULL)
		json_decref(s->reader->csv_headers);
	free(s->reader);
	sd_tmpl_free(s->reader_params);
	sd_jsonpath_free(s->reader_max_path);
	free(s->reader_max_path_text);
	sd_tmpl_free(s->reader_max_expr);
	free(s->writer);
	sd_tmpl_free(s->writer_params);
	free(s->label);
}

struct sd_machine *
sd_model_ref(struct sd_machine *m)
{
	m->extra_refs++;
	return m;
}

void
sd_model_free(struct sd_machine *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->extra_refs > 0) {
		m->extra_refs--;
		return;
	}
	for (i = 0; i < m->nstates; i++)
		state_free(&m->states[i]);
	free(m->states);
	free(m);
}

/* Resolve a state name to its index, or fail at loc/field. */
static int
resolve(struct build *b, json_t *index, const char *name, const char *loc,
    const char *field, size_t *out)
{
	json_t *v = json_object_get(index, name);

	if (v == NULL)
		return fail_at(b, loc, field, "no state named \"%s\"", name);
	*out = (size_t)json_integer_value(v);
	return 0;
}

static int
link_states(struct build *b, struct sd_machine *m, json_t *index,
    const char *mloc)
{
	char *loc = NULL, *f = NULL;
	size_t i, j;
	int r = 0;

	for (i = 0; i < m->nstates && r == 0; i++) {
		struct sd_state *s = &m->states[i];

		if ((loc = locf("%s/%s", mloc, s->name)) == NULL)
			return sd_error_set(b->err, SD_ERR_NOMEM, mloc, "out of memory");
		if (s->next_name != NULL)
			r = resolve(b, index, s->next_name, loc, "Next", &s->next);
		for (j = 0; j < s->ncatch && r == 0; j++) {
			if ((f = locf("Catch[%zu]/Next", j)) == NULL) {
				r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
				break;
			}
			r = resolve(b, index, s->catch[j].next_name, loc, f,
			    &s->catch[j].next);
			free(f);
		}
		for (j = 0; j < s->nchoices && r == 0; j++) {
			if ((f = locf("Choices[%zu]/Next", j)) == NULL) {
				r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
				break;
			}
			r = resolve(b, index, s->choices[j] != NULL ?
			    sd_choice_next(s->choices[j]) : s->choice_next_name[j],
			    loc, f, &s->choice_next[j]);
			free(f);
		}
		if (r == 0 && s->has_default)
			r = resolve(b, index, s->default_name, loc, "Default",
			    &s->default_next);
		free(loc);
		loc = NULL;
	}
	return r;
}

/* Every state must be reachable from StartAt (AWS refuses unreachable ones). */
static int
check_reachable(struct build *b, struct sd_machine *m, const char *mloc)
{
	unsigned char *seen = NULL;
	size_t *stack = NULL, sp = 0, i, j;
	int r = 0;

	if ((seen = calloc(m->nstates, 1)) == NULL ||
	    (stack = calloc(m->nstates, sizeof(*stack))) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, mloc, "out of memory");
		goto out;
	}
#define PUSH(x) do { if (!seen[(x)]) { seen[(x)] = 1; stack[sp++] = (x); } } while (0)
	PUSH(m->start);
	while (sp > 0) {
		struct sd_state *s = &m->states[stack[--sp]];

		if (s->next_name != NULL)
			PUSH(s->next);
		for (j = 0; j < s->ncatch; j++)
			PUSH(s->catch[j].next);
		for (j = 0; j < s->nchoices; j++)
			PUSH(s->choice_next[j]);
		if (s->has_default)
			PUSH(s->default_next);
	}
#undef PUSH
	for (i = 0; i < m->nstates; i++) {
		if (!seen[i]) {
			r = fail_at(b, mloc, m->states[i].name,
			    "state \"%s\" is not reachable from StartAt",
			    m->states[i].name);
			break;
		}
	}
 out:
	free(seen);
	free(stack);
	return r;
}

static int
parse_machine(struct build *b, json_t *def, const char *loc,
    struct sd_machine *parent, int top, struct sd_machine **out)
{
	static const char *const top_fields[] = { "Comment", "StartAt", "States",
	    "Version", "TimeoutSeconds", "QueryLanguage", NULL };
	static const char *const sub_fields[] = { "Comment", "StartAt", "States",
	    "ProcessorConfig", NULL };
	struct sd_machine *m = NULL;
	json_t *states, *st, *index = NULL, *v;
	const char *name, *start;
	char *sloc = NULL;
	size_t i, n;
	int r, saved_lang = b->jsonata;

	*out = NULL;
	if (++b->depth > MAX_DEPTH) {
		r = sd_error_set(b->err, SD_ERR_LIMIT, loc, "nested too deeply: "
		    "at most %d levels of Parallel branches and Map item "
		    "processors", MAX_DEPTH - 1);
		goto out;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		goto out;
	}
	m->parent = parent;
	if ((r = check_fields(b, def, loc[0] ? loc : "",
	    top ? top_fields : sub_fields, top ? "a state machine" :
	    "a branch or item processor")) != 0)
		goto out;
	if (top && (r = parse_language(b, def, loc, 1)) != 0)
		goto out;
	if (top) {
		const char *ver;

		if ((r = get_int(b, def, loc, "TimeoutSeconds", 1, 99999999, NULL,
		    &m->timeout_s)) != 0 ||
		    (r = get_string(b, def, loc, "Version", 0, &ver)) != 0)
			goto out;
		if (ver != NULL && strcmp(ver, "1.0") != 0) {
			r = fail_at(b, loc, "Version", "unsupported version \"%s\" "
			    "(only \"1.0\")", ver);
			goto out;
		}
	} else if ((v = json_object_get(def, "ProcessorConfig")) != NULL) {
		const char *mode = NULL;
		char *pl = locf("%s/ProcessorConfig", loc);

		if (pl == NULL) {
			r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
			goto out;
		}
		if (!json_is_object(v))
			r = fail_at(b, pl, NULL, "expected an object");
		else if ((r = get_string(b, v, pl, "Mode", 0, &mode)) == 0 &&
		    mode != NULL && strcmp(mode, "INLINE") != 0 &&
		    strcmp(mode, "DISTRIBUTED") != 0)
			r = fail_at(b, pl, "Mode", "expected \"INLINE\" or "
			    "\"DISTRIBUTED\", got \"%s\"", mode);
		free(pl);
		if (r != 0)
			goto out;
	}
	if ((r = get_string(b, def, loc, "StartAt", 1, &start)) != 0)
		goto out;
	states = json_object_get(def, "States");
	if (states == NULL) {
		r = fail_at(b, loc, NULL, "missing required field \"States\"");
		goto out;
	}
	if (!json_is_object(states) || (n = json_object_size(states)) == 0) {
		r = fail_at(b, loc, "States", "expected a non-empty object");
		goto out;
	}
	if ((sloc = locf("%s/States", loc)) == NULL ||
	    (m->states = calloc(n, sizeof(*m->states))) == NULL ||
	    (index = json_object()) == NULL) {
		r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
		goto out;
	}
	i = 0;
	json_object_foreach(states, name, st) {
		m->nstates = i + 1;
		m->states[i].index = i;
		if ((r = parse_state(b, name, st, sloc, &m->states[i])) != 0)
			goto out;
		if (json_object_set_new(index, name, json_integer((json_int_t)i)) != 0) {
			r = sd_error_set(b->err, SD_ERR_NOMEM, loc, "out of memory");
			goto out;
		}
		i++;
	}
	if ((v = json_object_get(index, start)) == NULL) {
		r = fail_at(b, loc, "StartAt", "no state named \"%s\"", start);
		goto out;
	}
	m->start = (size_t)json_integer_value(v);
	if ((r = link_states(b, m, index, sloc)) != 0 ||
	    (r = check_reachable(b, m, sloc)) != 0)
		goto out;
	*out = m;
	m = NULL;
	r = 0;
 out:
	b->depth--;
	b->jsonata = saved_lang;
	free(sloc);
	json_decref(index);
	sd_model_free(m);
	return r;
}

int
sd_model_build(json_t *def, const char *lambda_arn, struct sd_machine **out,
    struct sd_error *err)
{
	struct build b;
	int r;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.lambda_arn = lambda_arn;
	b.err = err;
	b.depth = 0;
	if (!json_is_object(def))
		return sd_error_set(err, SD_ERR_INVALID, "", "a state machine "
		    "definition must be a JSON object, got %s",
		    sd_json_type_name(def));
	r = parse_machine(&b, def, "", NULL, 1, out);
	json_decref(b.labels);
	return r;
}
