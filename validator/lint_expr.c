/*
 * lint_expr.c: the expression languages inside a definition. JSONPath
 * paths and reference paths (compiled with sd_jsonpath), payload templates
 * (".$" fields, duplicate names once ".$" is stripped, NO_DOLLAR),
 * intrinsic functions (syntax by sd_intrinsic, then the argument count and
 * the literal arguments per function, from the spec's Appendix B), JSONata
 * strings (the "{% %}" delimiters and a cheap token-level syntax check; a
 * full JSONata parser is a later issue) and Resource ARNs.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"
#include "sd_jsonata.h"
#include "sd_intrinsic.h"
#include "sd_jsonpath.h"

/* ------------------------------------------------------------ JSONPath */

int
lint_looks_like_path(const char *s)
{
	if (s[0] != '$')
		return 0;
	if (s[1] == '$')
		s++;
	return s[1] == '\0' || s[1] == '.' || s[1] == '[';
}

/* "$name...": a variable root. */
static int
var_root(const char *s)
{
	unsigned char c = (unsigned char)s[1];

	return s[0] == '$' && (c >= 0x80 || c == '_' || isalpha(c));
}

void
lint_path(struct lint *l, const char *field, const char *s, int kind)
{
	struct sd_error e = SD_ERROR_INIT;
	struct sd_jsonpath *p = NULL;
	int r;

	if (kind == P_REF_OR_FN && sd_intrinsic_is_call(s)) {
		lint_intrinsic(l, field, s);
		return;
	}
	if (kind == P_RESULT && s[0] == '$' && s[1] == '$') {
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' may not "
		    "start with '$$': a state cannot write into the Context "
		    "Object", field);
		return;
	}
	if (kind == P_RESULT && var_root(s)) {
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' may not "
		    "reference a variable (use Assign to set variables): %s",
		    field, s);
		return;
	}
	if (!l->o->check_paths)
		return;
	if (s[0] != '$') {
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' must be "
		    "a %s starting with '$'%s: %s", field, kind == P_PATH ?
		    "JSONPath" : "reference path", kind == P_REF_OR_FN ?
		    " or an intrinsic function" : "", s);
		return;
	}
	r = sd_jsonpath_compile(s, &p, &e);
	if (r == SD_ERR_NOMEM)
		l->nomem = 1;
	else if (r != 0)
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' must be "
		    "a valid JSONPath: %s", field, e.message != NULL ? e.message :
		    s);
	else if (kind != P_PATH && !sd_jsonpath_is_definite(p))
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' must be "
		    "a reference path, which selects one node (no wildcard, "
		    "slice, union, filter or '..'): %s", field, s);
	sd_jsonpath_free(p);
	sd_error_clear(&e);
}

/* ------------------------------------------------------------ intrinsics */

enum {
	A_STR = 1,
	A_INT,
	A_REAL,
	A_NULL,
	A_TRUE,
	A_FALSE,
	A_PATH,
	A_CALL,
};

#define MAX_ARGS	8	/* kept per call; more are only counted */

struct iarg {
	int		 kind;
	const char	*p;		/* A_STR: text between the quotes */
	size_t		 len;
	double		 num;		/* A_INT, A_REAL */
};

struct scan {
	struct lint	*l;
	const char	*field;
	const char	*s;
	size_t		 len;
	size_t		 pos;
};

static const char *
arg_kind_name(int k)
{
	switch (k) {
	case A_STR:	return "a string";
	case A_INT:	return "an integer";
	case A_REAL:	return "a number";
	case A_NULL:	return "null";
	case A_TRUE:
	case A_FALSE:	return "a boolean";
	case A_PATH:	return "a path";
	default:	return "a function call";
	}
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_space(struct scan *sc)
{
	while (sc->pos < sc->len && is_space(sc->s[sc->pos]))
		sc->pos++;
}

static int
name_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_';
}

/* Count the "{}" of a States.Format template; -1 for a stray brace. */
static int
format_slots(const char *p, size_t len)
{
	size_t i;
	int n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] == '{') {
			if (i + 1 < len && p[i + 1] == '}') {
				n++;
				i++;
				continue;
			}
			return -1;
		}
		if (p[i] == '}')
			return -1;
	}
	return n;
}

/* The literal at arg must be an integer (it may be a path or a call). */
static int
lit_not_int(const struct iarg *a)
{
	return a->kind != A_INT && a->kind != A_PATH && a->kind != A_CALL &&
	    !(a->kind == A_REAL && a->num == floor(a->num));
}

static int
lit_not_string(const struct iarg *a)
{
	return a->kind != A_STR && a->kind != A_PATH && a->kind != A_CALL;
}

static int
is_lit(const struct iarg *a)
{
	return a->kind != A_PATH && a->kind != A_CALL;
}

/* Check one call's arguments against the spec's Appendix B. */
static void
check_call(struct scan *sc, const char *fn, size_t fnl, struct iarg *a,
    size_t n)
{
	static const struct {
		const char	*name;
		int		 min;
		int		 max;	/* -1: any */
	} fns[] = {
		{ "States.Format", 1, -1 }, { "States.StringToJson", 1, 1 },
		{ "States.JsonToString", 1, 1 }, { "States.Array", 0, -1 },
		{ "States.ArrayPartition", 2, 2 },
		{ "States.ArrayContains", 2, 2 }, { "States.ArrayRange", 3, 3 },
		{ "States.ArrayGetItem", 2, 2 }, { "States.ArrayLength", 1, 1 },
		{ "States.ArrayUnique", 1, 1 }, { "States.Base64Encode", 1, 1 },
		{ "States.Base64Decode", 1, 1 }, { "States.Hash", 2, 2 },
		{ "States.JsonMerge", 3, 3 }, { "States.MathRandom", 2, 3 },
		{ "States.MathAdd", 2, 2 }, { "States.StringSplit", 2, 2 },
		{ "States.UUID", 0, 0 },
	};
	static const char *const algs[] = { "MD5", "SHA-1", "SHA-256",
	    "SHA-384", "SHA-512", NULL };
	struct lint *l = sc->l;
	const char *f = sc->field;
	char name[32];
	size_t i, k, m = n < MAX_ARGS ? n : MAX_ARGS;
	int slots;

	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++)
		if (strlen(fns[i].name) == fnl &&
		    memcmp(fns[i].name, fn, fnl) == 0)
			break;
	if (i == sizeof(fns) / sizeof(fns[0]))
		return;		/* sd_intrinsic_compile reported it */
	if (snprintf(name, sizeof(name), "%s", fns[i].name) < 0)
		return;
	if ((int)n < fns[i].min || (fns[i].max >= 0 && (int)n > fns[i].max)) {
		if (fns[i].max < 0)
			lint_err(l, C_SCHEMA, f, "%s takes at least %d "
			    "argument%s, got %zu", name, fns[i].min,
			    fns[i].min == 1 ? "" : "s", n);
		else if (fns[i].min == fns[i].max)
			lint_err(l, C_SCHEMA, f, "%s takes %d argument%s, got %zu",
			    name, fns[i].min, fns[i].min == 1 ? "" : "s", n);
		else
			lint_err(l, C_SCHEMA, f, "%s takes %d to %d arguments, "
			    "got %zu", name, fns[i].min, fns[i].max, n);
		return;
	}
#define BAD(idx, what) lint_err(l, C_SCHEMA, f, "%s: argument %zu must be " \
	    what ", not %s", name, (size_t)(idx) + 1, arg_kind_name(a[idx].kind))
#define BADVAL(idx, what) lint_err(l, C_SCHEMA, f, "%s: argument %zu must " \
	    "be " what " (got %g)", name, (size_t)(idx) + 1, a[idx].num)
	switch (i) {
	case 0:		/* Format */
		if (lit_not_string(&a[0])) {
			BAD(0, "a string");
			break;
		}
		if (a[0].kind != A_STR)
			break;
		if ((slots = format_slots(a[0].p, a[0].len)) < 0)
			lint_err(l, C_SCHEMA, f, "%s: the template has a '{' or "
			    "'}' that is not part of '{}' (escape it as \\\\{ "
			    "or \\\\})", name);
		else if ((size_t)slots != n - 1)
			lint_err(l, C_SCHEMA, f, "%s: the template has %d '{}' "
			    "but %zu argument%s follow%s", name, slots, n - 1,
			    n - 1 == 1 ? "" : "s", n - 1 == 1 ? "s" : "");
		break;
	case 1:		/* StringToJson */
	case 10:	/* Base64Encode */
	case 11:	/* Base64Decode */
		if (lit_not_string(&a[0]))
			BAD(0, "a string");
		break;
	case 2:		/* JsonToString */
		if (a[0].kind != A_PATH)
			BAD(0, "a path");
		break;
	case 4:		/* ArrayPartition */
		if (is_lit(&a[0]))
			BAD(0, "an array (a path or a function call)");
		if (lit_not_int(&a[1]))
			BAD(1, "a positive integer");
		else if (is_lit(&a[1]) && a[1].num <= 0)
			BADVAL(1, "a positive integer");
		break;
	case 5:		/* ArrayContains */
	case 8:		/* ArrayLength */
	case 9:		/* ArrayUnique */
		if (is_lit(&a[0]))
			BAD(0, "an array (a path or a function call)");
		break;
	case 6:		/* ArrayRange */
		for (k = 0; k < 3; k++)
			if (lit_not_int(&a[k]))
				BAD(k, "an integer");
		if (is_lit(&a[2]) && !lit_not_int(&a[2]) && a[2].num == 0)
			lint_err(l, C_SCHEMA, f, "%s: the step (argument 3) may "
			    "not be 0", name);
		else if (is_lit(&a[0]) && is_lit(&a[1]) && is_lit(&a[2]) &&
		    !lit_not_int(&a[0]) && !lit_not_int(&a[1]) &&
		    !lit_not_int(&a[2]) && (a[1].num - a[0].num) / a[2].num >=
		    1000)
			lint_err(l, C_SCHEMA, f, "%s: the range has more than "
			    "1000 elements", name);
		break;
	case 7:		/* ArrayGetItem */
		if (is_lit(&a[0]))
			BAD(0, "an array (a path or a function call)");
		if (lit_not_int(&a[1]))
			BAD(1, "a non-negative integer");
		else if (is_lit(&a[1]) && a[1].num < 0)
			BADVAL(1, "a non-negative integer");
		break;
	case 12:	/* Hash */
		if (a[1].kind == A_STR) {
			for (k = 0; algs[k] != NULL; k++)
				if (strlen(algs[k]) == a[1].len &&
				    memcmp(algs[k], a[1].p, a[1].len) == 0)
					break;
			if (algs[k] == NULL)
				lint_err(l, C_SCHEMA, f, "%s: the algorithm must "
				    "be one of MD5, SHA-1, SHA-256, SHA-384, "
				    "SHA-512", name);
		} else if (is_lit(&a[1]))
			BAD(1, "a string");
		break;
	case 13:	/* JsonMerge */
		for (k = 0; k < 2; k++)
			if (is_lit(&a[k]))
				BAD(k, "an object (a path or a function call)");
		if (a[2].kind == A_TRUE)
			lint_err(l, C_SCHEMA, f, "%s: Step Functions supports "
			    "only a shallow merge (argument 3 must be false)",
			    name);
		else if (is_lit(&a[2]) && a[2].kind != A_FALSE)
			BAD(2, "a boolean");
		break;
	case 14:	/* MathRandom */
	case 15:	/* MathAdd */
		for (k = 0; k < m; k++)
			if (lit_not_int(&a[k]))
				BAD(k, "an integer");
		break;
	case 16:	/* StringSplit */
		for (k = 0; k < 2; k++)
			if (lit_not_string(&a[k]))
				BAD(k, "a string");
		break;
	default:
		break;
	}
#undef BAD
#undef BADVAL
}

/* Scan one call at sc->pos (already compiled, so well-formed). */
static int
scan_call(struct scan *sc, int depth)
{
	struct iarg a[MAX_ARGS];
	const char *fn, *s = sc->s;
	size_t fnl, n = 0, start, d;
	char q, buf[64], *end;
	struct iarg cur;

	if (depth > 16)
		return -1;
	skip_space(sc);
	fn = s + sc->pos;
	while (sc->pos < sc->len && name_char(s[sc->pos]))
		sc->pos++;
	fnl = (size_t)(s + sc->pos - fn);
	if (sc->pos >= sc->len || s[sc->pos] != '(')
		return -1;
	sc->pos++;
	skip_space(sc);
	if (sc->pos < sc->len && s[sc->pos] == ')') {
		sc->pos++;
		check_call(sc, fn, fnl, a, 0);
		return 0;
	}
	for (;;) {
		skip_space(sc);
		if (sc->pos >= sc->len)
			return -1;
		memset(&cur, 0, sizeof(cur));
		start = sc->pos;
		if (s[start] == '\'') {
			cur.kind = A_STR;
			for (sc->pos++; sc->pos < sc->len && s[sc->pos] != '\'';
			    sc->pos++)
				if (s[sc->pos] == '\\')
					sc->pos++;
			if (sc->pos >= sc->len)
				return -1;
			cur.p = s + start + 1;
			cur.len = sc->pos - start - 1;
			sc->pos++;
		} else if (s[start] == '$') {
			cur.kind = A_PATH;
			for (d = 0, q = 0; sc->pos < sc->len; sc->pos++) {
				char c = s[sc->pos];

				if (q != 0) {
					if (c == '\\')
						sc->pos++;
					else if (c == q)
						q = 0;
				} else if (c == '\'' || c == '"')
					q = c;
				else if (c == '[' || c == '(')
					d++;
				else if (c == ']' || c == ')') {
					if (d == 0)
						break;
					d--;
				} else if (c == ',' && d == 0)
					break;
			}
		} else if (s[start] == '-' || isdigit((unsigned char)s[start])) {
			while (sc->pos < sc->len && (isalnum((unsigned char)
			    s[sc->pos]) || s[sc->pos] == '.' || s[sc->pos] == '-' ||
			    s[sc->pos] == '+'))
				sc->pos++;
			if (sc->pos - start >= sizeof(buf))
				return -1;
			memcpy(buf, s + start, sc->pos - start);
			buf[sc->pos - start] = '\0';
			cur.num = strtod(buf, &end);
			cur.kind = strpbrk(buf, ".eE") != NULL ? A_REAL : A_INT;
		} else if (strncmp(s + start, "true", 4) == 0 &&
		    !name_char(s[start + 4])) {
			cur.kind = A_TRUE;
			sc->pos += 4;
		} else if (strncmp(s + start, "false", 5) == 0 &&
		    !name_char(s[start + 5])) {
			cur.kind = A_FALSE;
			sc->pos += 5;
		} else if (strncmp(s + start, "null", 4) == 0 &&
		    !name_char(s[start + 4])) {
			cur.kind = A_NULL;
			sc->pos += 4;
		} else {
			cur.kind = A_CALL;
			if (scan_call(sc, depth + 1) != 0)
				return -1;
		}
		if (n < MAX_ARGS)
			a[n] = cur;
		n++;
		skip_space(sc);
		if (sc->pos >= sc->len)
			return -1;
		if (s[sc->pos] == ')') {
			sc->pos++;
			break;
		}
		if (s[sc->pos] != ',')
			return -1;
		sc->pos++;
	}
	check_call(sc, fn, fnl, a, n);
	return 0;
}

void
lint_intrinsic(struct lint *l, const char *field, const char *s)
{
	struct sd_error e = SD_ERROR_INIT;
	struct sd_intrinsic *fn = NULL;
	struct scan sc;
	int r;

	if (!l->o->check_paths)
		return;
	r = sd_intrinsic_compile(s, &fn, &e);
	sd_intrinsic_free(fn);
	if (r == SD_ERR_NOMEM)
		l->nomem = 1;
	else if (r != 0)
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' is not "
		    "a valid intrinsic function call: %s", field != NULL ? field :
		    "", e.message != NULL ? e.message : s);
	else {
		sc.l = l;
		sc.field = field;
		sc.s = s;
		sc.len = strlen(s);
		sc.pos = 0;
		(void)scan_call(&sc, 0);
	}
	sd_error_clear(&e);
}

/* ------------------------------------------------------------ templates */

static int
ends_with_dollar(const char *k, size_t len)
{
	return len >= 2 && k[len - 2] == '.' && k[len - 1] == '$';
}

/* The value of a ".$" field: a path or an intrinsic function. */
static void
dynamic_value(struct lint *l, const char *k, json_t *v)
{
	const char *s;

	if (!json_is_string(v)) {
		lint_err(l, C_SCHEMA, k, "The value for the field '%s' must be a "
		    "STRING (a JSONPath or an intrinsic function), not %s", k,
		    lint_type(v));
		return;
	}
	s = json_string_value(v);
	if (s[0] == '$')
		lint_path(l, k, s, P_PATH);
	else if (sd_intrinsic_is_call(s))
		lint_intrinsic(l, k, s);
	else if (l->o->check_paths)
		lint_err(l, C_SCHEMA, k, "The value for the field '%s' must be a "
		    "JSONPath (starting with '$') or an intrinsic function call: "
		    "%s", k, s);
}

/* Small objects compare their names pairwise; larger ones use a set. */
#define TMPL_SMALL	16

static void
template_value(struct lint *l, json_t *v, int depth)
{
	struct strset seen;
	const char *k, *s, *names[TMPL_SMALL];
	size_t lens[TMPL_SMALL], n = 0, i, old, len;
	json_t *c;
	int r, big;

	if (depth > LINT_TMPL_DEPTH) {
		lint_err(l, C_DEEP, NULL, "The payload template is nested more "
		    "than %d levels deep", LINT_TMPL_DEPTH);
		return;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			if (!json_is_object(c) && !json_is_array(c))
				continue;
			old = loc_push_idx(l, i);
			template_value(l, c, depth + 1);
			loc_pop(l, old);
		}
		return;
	}
	if (!json_is_object(v))
		return;
	big = json_object_size(v) > TMPL_SMALL;
	strset_init(&seen, 1);
	json_object_foreach(v, k, c) {
		len = strlen(k);
		if (ends_with_dollar(k, len)) {
			dynamic_value(l, k, c);
			len -= 2;
		} else if (json_is_string(c)) {
			s = json_string_value(c);
			if (lint_looks_like_path(s) || sd_intrinsic_is_call(s))
				lint_warn(l, C_NO_DOLLAR, k, "The value of the field "
				    "'%s' looks like %s, but the field name does "
				    "not end with '.$', so it is used as a plain "
				    "string", k, s[0] == '$' ? "a path" :
				    "an intrinsic function");
		} else if (json_is_object(c) || json_is_array(c)) {
			old = loc_push(l, k);
			template_value(l, c, depth + 1);
			loc_pop(l, old);
		}
		if (big)
			r = strset_add(&seen, k, len, 0, NULL);
		else {
			for (i = 0, r = 1; i < n && r == 1; i++)
				if (lens[i] == len && memcmp(names[i], k, len) == 0)
					r = 0;
			if (r == 1 && n < TMPL_SMALL) {
				names[n] = k;
				lens[n++] = len;
			}
		}
		if (r < 0)
			l->nomem = 1;
		else if (r == 0)
			lint_err(l, C_SCHEMA, k, "The field '%.*s' appears twice "
			    "once '.$' is removed from the field names",
			    (int)len, k);
	}
	strset_free(&seen);
}

void
lint_template(struct lint *l, const char *field, json_t *v)
{
	size_t old = l->loclen;

	if (field != NULL)
		loc_push(l, field);
	template_value(l, v, 0);
	loc_pop(l, old);
}

/* ------------------------------------------------------------ JSONata */

int
lint_is_jsonata_like(const char *s)
{
	size_t len = strlen(s);

	return (len >= 2 && s[0] == '{' && s[1] == '%') ||
	    (len >= 2 && s[len - 2] == '%' && s[len - 1] == '}');
}

enum { TK_NONE = 0, TK_OPERAND, TK_OP, TK_OPEN, TK_SEP };
enum { PK_OTHER = 0, PK_PARAMS, PK_ORDER };	/* kinds of bracket */

static int
ident_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static int
ident_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static int
word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

/*
 * The cheap JSONata check of e[0..len): balanced brackets, terminated
 * strings, names, comments and regular expressions, no operator at either
 * end or before a closing bracket, no two operands in a row, and the Step
 * Functions rules: no "$$", no "$" or unqualified field name leading the
 * expression, no $eval, $states fields that exist and are available.
 * Returns 0, or -1 with why filled.
 */
static int
jsonata_check(const char *e, size_t len, int allow, char *why, size_t wn,
    char *warn, size_t warnn)
{
	char stack[LINT_TMPL_DEPTH], c;
	unsigned char kind[LINT_TMPL_DEPTH];	/* PK_* of each open bracket */
	size_t sp = 0, i = 0, j, k, n;
	int expect = 1, last = TK_NONE, tokens = 0, r;
	int was_var = 0, need_var = 0, after_fn = 0, sig = 0;
	char last_op = 0;	/* the last operator's first character */
	const char *w;

#define FAIL(...) do {							\
	r = snprintf(why, wn, __VA_ARGS__);				\
	(void)r;							\
	return -1;							\
} while (0)
#define OPERAND(what) do {						\
	if (!expect)							\
		FAIL("%s at offset %zu follows an operand without an "	\
		    "operator", what, i);				\
	if (need_var)							\
		FAIL("'@' or '#' must be followed by a variable ($name), "	\
		    "not %s (offset %zu)", what, i);			\
	expect = 0;							\
	last = TK_OPERAND;						\
	was_var = 0;							\
	after_fn = 0;							\
	tokens++;							\
} while (0)

	while (i < len) {
		c = e[i];
		if (is_space(c)) {
			i++;
			continue;
		}
		if (sig) {
			/* function($x)<n-:n>{...}: skip the signature */
			sig = 0;
			if (c == '<') {
				for (j = i, n = 0; j < len; j++) {
					if (e[j] == '<')
						n++;
					else if (e[j] == '>' && --n == 0)
						break;
				}
				if (j >= len)
					FAIL("unterminated function signature at "
					    "offset %zu", i);
				i = j + 1;
				continue;
			}
		}
		if (c == '/' && i + 1 < len && e[i + 1] == '*') {
			for (j = i + 2; j + 1 < len; j++)
				if (e[j] == '*' && e[j + 1] == '/')
					break;
			if (j + 1 >= len)
				FAIL("unterminated comment at offset %zu", i);
			i = j + 2;
			continue;
		}
		if (c == '"' || c == '\'' || c == '`') {
			for (j = i + 1; j < len && e[j] != c; j++)
				if (e[j] == '\\' && c != '`')
					j++;
			if (j >= len)
				FAIL("unterminated %s at offset %zu", c == '`' ?
				    "name" : "string", i);
			OPERAND(c == '`' ? "a name" : "a string");
			i = j + 1;
			continue;
		}
		if (c == '/' && expect) {	/* a regular expression */
			for (j = i + 1; j < len && e[j] != '/'; j++)
				if (e[j] == '\\')
					j++;
			if (j >= len)
				FAIL("unterminated regular expression at offset "
				    "%zu", i);
			for (j++; j < len && isalpha((unsigned char)e[j]); j++)
				;
			OPERAND("a regular expression");
			i = j;
			continue;
		}
		if (c == '(' || c == '[' || c == '{') {
			if (sp == sizeof(stack))
				FAIL("brackets nested too deeply");
			if (need_var)
				FAIL("'@' or '#' must be followed by a variable "
				    "($name) (offset %zu)", i);
			kind[sp] = c != '(' ? PK_OTHER : after_fn ? PK_PARAMS :
			    last == TK_OP && last_op == '^' ? PK_ORDER : PK_OTHER;
			stack[sp++] = c;
			expect = 1;
			last = TK_OPEN;
			was_var = after_fn = 0;
			tokens++;
			i++;
			continue;
		}
		if (c == ')' || c == ']' || c == '}') {
			char want = c == ')' ? '(' : c == ']' ? '[' : '{';

			if (sp == 0)
				FAIL("'%c' at offset %zu has no opening '%c'", c, i,
				    want);
			if (stack[--sp] != want)
				FAIL("'%c' at offset %zu does not close '%c'", c, i,
				    stack[sp]);
			if (last == TK_OP)
				FAIL("'%c' at offset %zu follows an operator", c,
				    i);
			sig = c == ')' && kind[sp] == PK_PARAMS;
			expect = 0;
			last = TK_OPERAND;
			was_var = 0;
			i++;
			continue;
		}
		if (c == '$') {
			if (i + 1 < len && e[i + 1] == '$')
				FAIL("'$$' is not allowed: Step Functions gives "
				    "JSONata no input document (use "
				    "$states.input)");
			for (j = i + 1; j < len && ident_char((unsigned char)
			    e[j]); j++)
				;
			w = e + i + 1;
			n = j - i - 1;
			if (n == 0 && tokens == 0)
				FAIL("the expression may not start with '$': Step "
				    "Functions gives JSONata no input document "
				    "(use $states.input)");
			for (k = j; k < len && is_space(e[k]); k++)
				;
			if (word_is(w, n, "eval") && k < len && e[k] == '(')
				FAIL("$eval is not allowed in Step Functions (use "
				    "$parse)");
			if (word_is(w, n, "states") && j < len && e[j] == '.') {
				for (k = j + 1; k < len && ident_char(
				    (unsigned char)e[k]); k++)
					;
				w = e + j + 1;
				n = k - j - 1;
				if (word_is(w, n, "result") &&
				    !(allow & JA_RESULT))
					FAIL("$states.result is only available "
					    "in the Output and Assign of a Task, "
					    "Map or Parallel state");
				if (word_is(w, n, "errorOutput") &&
				    !(allow & JA_ERROR_OUTPUT))
					FAIL("$states.errorOutput is only "
					    "available in a Catcher's Output and "
					    "Assign");
				if (n > 0 && !word_is(w, n, "input") &&
				    !word_is(w, n, "result") &&
				    !word_is(w, n, "errorOutput") &&
				    !word_is(w, n, "context") && warn[0] == '\0')
					(void)snprintf(warn, warnn, "$states has no "
					    "field '%.*s' (only input, result, "
					    "errorOutput and context): it is always "
					    "undefined", (int)n, w);
			}
			need_var = 0;
			OPERAND("a variable");
			was_var = n > 0;
			i = j;
			continue;
		}
		if (isdigit((unsigned char)c)) {
			for (j = i; j < len && isdigit((unsigned char)e[j]); j++)
				;
			if (j + 1 < len && e[j] == '.' &&
			    isdigit((unsigned char)e[j + 1]))
				for (j++; j < len && isdigit((unsigned char)e[j]);
				    j++)
					;
			if (j < len && (e[j] == 'e' || e[j] == 'E')) {
				k = j + 1;
				if (k < len && (e[k] == '+' || e[k] == '-'))
					k++;
				if (k < len && isdigit((unsigned char)e[k]))
					for (j = k; j < len &&
					    isdigit((unsigned char)e[j]); j++)
						;
			}
			OPERAND("a number");
			i = j;
			continue;
		}
		if (ident_start((unsigned char)c)) {
			for (j = i; j < len && ident_char((unsigned char)e[j]);
			    j++)
				;
			w = e + i;
			n = j - i;
			if (!expect && (word_is(w, n, "and") || word_is(w, n, "or") ||
			    word_is(w, n, "in"))) {
				expect = 1;
				last = TK_OP;
				tokens++;
				i = j;
				continue;
			}
			if (tokens == 0 && !word_is(w, n, "true") &&
			    !word_is(w, n, "false") && !word_is(w, n, "null") &&
			    !word_is(w, n, "function") &&
			    !word_is(w, n, "\xce\xbb"))
				FAIL("the expression may not start with the field "
				    "name '%.*s': Step Functions gives JSONata no "
				    "input document (use $states.input.%.*s)",
				    (int)n, w, (int)n, w);
			OPERAND("a name");
			after_fn = word_is(w, n, "function") ||
			    word_is(w, n, "\xce\xbb");
			i = j;
			continue;
		}
		/* Operators. */
		if (need_var)
			FAIL("'@' or '#' must be followed by a variable ($name) "
			    "(offset %zu)", i);
		if (expect && (c == '*' || c == '%' || c == '?')) {
			/* wildcard, descendants, parent, placeholder */
			if (c == '*' && i + 1 < len && e[i + 1] == '*')
				i++;
			OPERAND("a wildcard");
			i++;
			continue;
		}
		if (c == '-' && expect) {	/* unary minus */
			last = TK_OP;
			tokens++;
			i++;
			continue;
		}
		if (c == '|') {			/* transform delimiters */
			expect = 1;
			last = TK_SEP;
			tokens++;
			i++;
			continue;
		}
		if (c == ';') {
			if (tokens == 0)
				FAIL("the expression may not start with ';'");
			expect = 1;
			last = TK_SEP;
			tokens++;
			i++;
			continue;
		}
		if (strchr(".+-*/%&=<>!~:?,^#@", c) == NULL)
			FAIL("unexpected character '%c' at offset %zu", c, i);
		if (tokens == 0)
			FAIL("the expression may not start with '%c'", c);
		if (expect && (c == '<' || c == '>') && sp > 0 &&
		    kind[sp - 1] == PK_ORDER) {
			/* ^(>Price, <Name): a sort direction */
			last = TK_OP;
			last_op = c;
			i++;
			continue;
		}
		if (expect && (last == TK_OP || last == TK_OPEN))
			FAIL("'%c' at offset %zu is not preceded by an operand", c,
			    i);
		if (c == ':' && i + 1 < len && e[i + 1] == '=' && !was_var)
			FAIL("the left side of ':=' must be a variable ($name) "
			    "(offset %zu)", i);
		if (c == '@' || c == '#')
			need_var = 1;
		/* two-character operators */
		if (i + 1 < len && ((c == ':' && e[i + 1] == '=') ||
		    (c == '!' && e[i + 1] == '=') || (c == '<' && e[i + 1] == '=') ||
		    (c == '>' && e[i + 1] == '=') || (c == '~' && e[i + 1] == '>') ||
		    (c == '.' && e[i + 1] == '.') || (c == '?' && e[i + 1] == ':') ||
		    (c == '?' && e[i + 1] == '?')))
			i++;
		else if (c == '~' || (c == '!' && !(i + 1 < len &&
		    e[i + 1] == '=')))
			FAIL("unexpected '%c' at offset %zu", c, i);
		expect = 1;
		last = TK_OP;
		last_op = c;
		was_var = after_fn = 0;
		tokens++;
		i++;
	}
	if (need_var)
		FAIL("'@' or '#' must be followed by a variable ($name)");
	if (sp > 0)
		FAIL("'%c' is never closed", stack[sp - 1]);
	if (tokens == 0)
		FAIL("the expression is empty");
	if (last == TK_OP)
		FAIL("the expression ends with an operator");
#undef OPERAND
#undef FAIL
	return 0;
}

void
lint_jsonata_expr(struct lint *l, const char *field, const char *s,
    int allow)
{
	char why[256], warn[256];
	size_t len = strlen(s);

	struct sd_jn_expr *x;
	struct sd_jn_error je;
	char *inner;

	/* Exactly "{% <expression> %}", on one line (as the executor). */
	if (len < 7 || strncmp(s, "{% ", 3) != 0 ||
	    strcmp(s + len - 3, " %}") != 0 || strcspn(s, "\n\r") != len) {
		lint_err(l, C_SCHEMA, field, "A JSONata expression must be "
		    "written \"{%% <expression> %%}\", with one space inside "
		    "each delimiter and on one line: %s", s);
		return;
	}
	warn[0] = '\0';
	if (jsonata_check(s + 2, len - 4, allow, why, sizeof(why), warn,
	    sizeof(warn)) != 0) {
		lint_err(l, C_SCHEMA, field, "Invalid JSONata expression: %s",
		    why);
		return;
	}
	/* The full parser: what the executor will compile. */
	if ((inner = strndup(s + 3, len - 6)) == NULL) {
		lint_err(l, C_SCHEMA, field, "out of memory");
		return;
	}
	x = sd_jn_compile(inner, &je);
	free(inner);
	if (x == NULL) {
		lint_err(l, C_SCHEMA, field, "Invalid JSONata expression: %s",
		    sd_jn_error_text(&je, why, sizeof(why)));
		return;
	}
	sd_jn_free(x);
	if (warn[0] != '\0')
		lint_warn(l, C_STATES_FIELD, field, "JSONata expression: %s",
		    warn);
}

static void
jsonata_value(struct lint *l, json_t *v, int allow, int depth)
{
	const char *k;
	json_t *c;
	size_t i, old;

	if (depth > LINT_TMPL_DEPTH) {
		lint_err(l, C_DEEP, NULL, "The value is nested more than %d "
		    "levels deep", LINT_TMPL_DEPTH);
		return;
	}
	if (json_is_string(v)) {
		if (lint_is_jsonata_like(json_string_value(v)))
			lint_jsonata_expr(l, NULL, json_string_value(v), allow);
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			if (!json_is_string(c) && !json_is_object(c) &&
			    !json_is_array(c))
				continue;
			old = loc_push(l, k);
			jsonata_value(l, c, allow, depth + 1);
			loc_pop(l, old);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			if (!json_is_string(c) && !json_is_object(c) &&
			    !json_is_array(c))
				continue;
			old = loc_push_idx(l, i);
			jsonata_value(l, c, allow, depth + 1);
			loc_pop(l, old);
		}
	}
}

void
lint_jsonata_value(struct lint *l, const char *field, json_t *v, int allow)
{
	size_t old = l->loclen;

	if (field != NULL)
		loc_push(l, field);
	jsonata_value(l, v, allow, 0);
	loc_pop(l, old);
}

/* ------------------------------------------------------------ ARNs */

static int
all_of(const char *p, size_t n, const char *set, int alnum)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!(alnum && isalnum((unsigned char)p[i])) &&
		    strchr(set, p[i]) == NULL)
			return 0;
	return 1;
}

/* A Step Functions service integration: service:action[.sync[:2]|...]. */
static const char *
integration_problem(const char *r)
{
	const char *parts[4], *p, *dot;
	size_t lens[4], n = 0, i, al;

	for (p = r; n < 4; n++) {
		parts[n] = p;
		if ((dot = strchr(p, ':')) == NULL) {
			lens[n] = strlen(p);
			n++;
			break;
		}
		lens[n] = (size_t)(dot - p);
		p = dot + 1;
	}
	if (n < 2 || (dot = strchr(p, ':')) != NULL)
		return "a service integration is "
		    "arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|"
		    ".waitForTaskToken]";
	i = 0;
	if (lens[0] == 7 && memcmp(parts[0], "aws-sdk", 7) == 0) {
		if (n < 3)
			return "an AWS SDK integration is "
			    "arn:aws:states:::aws-sdk:SERVICE:ACTION";
		i = 1;
	}
	if (lens[i] == 0 || !all_of(parts[i], lens[i], "-", 1))
		return "the service name is not valid";
	i++;
	if (i >= n)
		return "the action is missing";
	/* the action, with its integration pattern */
	p = parts[i];
	al = lens[i];
	for (dot = p; dot < p + al && *dot != '.'; dot++)
		;
	if (dot == p || !all_of(p, (size_t)(dot - p), "_-", 1))
		return "the action name is not valid";
	if (dot < p + al) {
		size_t sl = (size_t)(p + al - dot);

		if (!(sl == 5 && memcmp(dot, ".sync", 5) == 0) &&
		    !(sl == 17 && memcmp(dot, ".waitForTaskToken", 17) == 0))
			return "the integration pattern must be .sync, .sync:2 or "
			    ".waitForTaskToken";
		if (i + 1 < n) {
			if (!(sl == 5 && lens[i + 1] == 1 &&
			    parts[i + 1][0] == '2'))
				return "only .sync may carry a version (.sync:2)";
			i++;
		}
	}
	if (i + 1 != n)
		return "unexpected text after the action";
	return NULL;
}

static const char *
lambda_problem(const char *r)
{
	const char *q;
	size_t nl;

	if (strncmp(r, "function:", 9) != 0)
		return NULL;	/* layers, event source mappings, ... */
	r += 9;
	q = strchr(r, ':');
	nl = q != NULL ? (size_t)(q - r) : strlen(r);
	if (nl == 0 || nl > 64 || !all_of(r, nl, "-_", 1))
		return "the function name must be 1 to 64 letters, digits, '-' "
		    "or '_'";
	if (q == NULL)
		return NULL;
	q++;
	if (strcmp(q, "$LATEST") == 0)
		return NULL;
	if (*q == '\0' || strlen(q) > 128 || !all_of(q, strlen(q), "-_", 1))
		return "the function qualifier must be $LATEST, a version or an "
		    "alias of letters, digits, '-' or '_'";
	return NULL;
}

/* Why s is not an ARN of the right shape, or NULL. */
static const char *
arn_problem(const char *s)
{
	const char *f[6], *p, *c;
	size_t len[6], i;

	for (p = s, i = 0; i < 5; i++) {
		if ((c = strchr(p, ':')) == NULL)
			return "an ARN is arn:PARTITION:SERVICE:REGION:ACCOUNT:"
			    "RESOURCE";
		f[i] = p;
		len[i] = (size_t)(c - p);
		p = c + 1;
	}
	f[5] = p;
	len[5] = strlen(p);
	if (len[0] != 3 || memcmp(f[0], "arn", 3) != 0)
		return "an ARN starts with 'arn:'";
	if (!(len[1] == 3 && memcmp(f[1], "aws", 3) == 0) &&
	    !(len[1] > 4 && memcmp(f[1], "aws-", 4) == 0 &&
	    all_of(f[1], len[1], "-abcdefghijklmnopqrstuvwxyz", 0)))
		return "the partition must be aws, aws-cn, aws-us-gov, ...";
	if (len[2] == 0 || !all_of(f[2], len[2], "-abcdefghijklmnopqrstuvwxyz"
	    "0123456789", 0))
		return "the service name is not valid";
	if (!all_of(f[3], len[3], "-abcdefghijklmnopqrstuvwxyz0123456789", 0))
		return "the region is not valid";
	if (!all_of(f[4], len[4], "0123456789", 0))
		return "the account must be digits";
	if (len[5] == 0)
		return "the resource part is empty";
	for (i = 0; i < len[5]; i++)
		if ((unsigned char)f[5][i] <= 0x20 || f[5][i] == 0x7f)
			return "the resource part contains white space or "
			    "control characters";
	if (f[5][len[5] - 1] == ':' || f[5][len[5] - 1] == '/')
		return "the resource part may not end with ':' or '/'";
	if (f[5][0] == ':' || f[5][0] == '/' || f[5][0] == '*')
		return "the resource part may not start with ':', '/' or '*'";
	if (len[2] == 6 && memcmp(f[2], "states", 6) == 0 && len[3] == 0 &&
	    len[4] == 0)
		return integration_problem(f[5]);
	if (len[2] == 6 && memcmp(f[2], "lambda", 6) == 0)
		return lambda_problem(f[5]);
	return NULL;
}

/* A "${...}" substitution: 1 when every "${" closes, -1 when one does not,
 * 0 when there is none. */
static int
substitution(const char *s)
{
	const char *p, *q;
	int found = 0;

	for (p = s; (p = strstr(p, "${")) != NULL; p = q + 1) {
		if ((q = strchr(p + 2, '}')) == NULL || q == p + 2)
			return -1;
		found = 1;
	}
	return found;
}

void
lint_resource(struct lint *l, const char *field, json_t *v)
{
	const char *s, *why, *k;
	json_t *c;
	int sub;

	if (json_is_object(v) && json_object_size(v) == 1) {
		json_object_foreach(v, k, c) {
			if (strcmp(k, "Ref") == 0 || strncmp(k, "Fn::", 4) == 0) {
				lint_warn(l, C_SUBST, field, "The value for the "
				    "field '%s' is a CloudFormation intrinsic "
				    "function (%s); it is checked only once "
				    "resolved", field, k);
				return;
			}
		}
	}
	if (!json_is_string(v)) {
		lint_err(l, C_SCHEMA, field, "The value for the field '%s' must be "
		    "a STRING, not %s", field, lint_type(v));
		return;
	}
	s = json_string_value(v);
	if ((sub = substitution(s)) > 0) {
		lint_warn(l, C_SUBST, field, "The value for the field '%s' holds "
		    "a ${...} template substitution (SAM DefinitionSubstitutions "
		    "or Fn::Sub); it is checked only once resolved: %s", field, s);
		return;
	}
	if (!l->o->check_arn)
		return;
	if (sub < 0) {
		lint_err(l, C_RESOURCE, field, "The value for the field '%s' is "
		    "not a valid ARN: '${' without a closing '}' is not a "
		    "substitution either: %s", field, s);
		return;
	}
	if ((why = arn_problem(s)) != NULL)
		lint_err(l, C_RESOURCE, field, "The value for the field '%s' is "
		    "not a valid ARN: %s: %s", field, why, s);
}
