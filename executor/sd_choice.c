/*
 * sd_choice: Choice state rules (JSONPath query language).
 *
 * A rule is compiled once into a small tree: And/Or/Not nodes over
 * comparison leaves. A leaf holds its compiled Variable path and either
 * its literal operand, already converted (a number, a string with its
 * length, a boolean, a timestamp as seconds + nanoseconds, a StringMatches
 * pattern split at its wildcards), or the compiled path of a ...Path
 * operand. Evaluation allocates nothing besides what resolve returns.
 *
 * Semantics follow AWS Step Functions as recorded in the conformance
 * corpus: when the selected value (or a ...Path operand's value) is not of
 * the operator's type the comparison is false, never an error; numbers
 * compare by value (1 == 1.0); strings compare as Java does (UTF-16 code
 * units); Is* operators compare the test with their boolean operand
 * ("IsString": false matches every non-string); a path that selects
 * nothing is a States.Runtime error except under IsPresent.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_choice.h"
#include "sd_json.h"
#include "sd_time.h"

/* Deepest And/Or/Not nesting accepted (the top rule is depth 0). */
#define MAX_DEPTH	64

enum kind {
	K_AND = 1,
	K_OR,
	K_NOT,
	K_CMP,
};

/* What an operator compares. */
enum optype {
	T_STRING = 1,
	T_NUMBER,
	T_BOOLEAN,
	T_TIMESTAMP,
	T_MATCHES,
	T_IS,
};

/* Relation (for T_STRING, T_NUMBER, T_BOOLEAN, T_TIMESTAMP). */
enum rel {
	R_EQ = 1,
	R_LT,
	R_GT,
	R_LE,
	R_GE,
};

/* Type test (for T_IS). */
enum istest {
	IS_NULL = 1,
	IS_PRESENT,
	IS_NUMERIC,
	IS_STRING,
	IS_BOOLEAN,
	IS_TIMESTAMP,
};

struct opdef {
	const char	*name;
	unsigned char	 type;		/* enum optype */
	unsigned char	 rel;		/* enum rel or enum istest */
	unsigned char	 path;		/* the operand is a Path */
};

static const struct opdef ops[] = {
	{ "StringEquals",			T_STRING, R_EQ, 0 },
	{ "StringEqualsPath",			T_STRING, R_EQ, 1 },
	{ "StringLessThan",			T_STRING, R_LT, 0 },
	{ "StringLessThanPath",			T_STRING, R_LT, 1 },
	{ "StringGreaterThan",			T_STRING, R_GT, 0 },
	{ "StringGreaterThanPath",		T_STRING, R_GT, 1 },
	{ "StringLessThanEquals",		T_STRING, R_LE, 0 },
	{ "StringLessThanEqualsPath",		T_STRING, R_LE, 1 },
	{ "StringGreaterThanEquals",		T_STRING, R_GE, 0 },
	{ "StringGreaterThanEqualsPath",	T_STRING, R_GE, 1 },
	{ "StringMatches",			T_MATCHES, R_EQ, 0 },
	{ "NumericEquals",			T_NUMBER, R_EQ, 0 },
	{ "NumericEqualsPath",			T_NUMBER, R_EQ, 1 },
	{ "NumericLessThan",			T_NUMBER, R_LT, 0 },
	{ "NumericLessThanPath",		T_NUMBER, R_LT, 1 },
	{ "NumericGreaterThan",			T_NUMBER, R_GT, 0 },
	{ "NumericGreaterThanPath",		T_NUMBER, R_GT, 1 },
	{ "NumericLessThanEquals",		T_NUMBER, R_LE, 0 },
	{ "NumericLessThanEqualsPath",		T_NUMBER, R_LE, 1 },
	{ "NumericGreaterThanEquals",		T_NUMBER, R_GE, 0 },
	{ "NumericGreaterThanEqualsPath",	T_NUMBER, R_GE, 1 },
	{ "BooleanEquals",			T_BOOLEAN, R_EQ, 0 },
	{ "BooleanEqualsPath",			T_BOOLEAN, R_EQ, 1 },
	{ "TimestampEquals",			T_TIMESTAMP, R_EQ, 0 },
	{ "TimestampEqualsPath",		T_TIMESTAMP, R_EQ, 1 },
	{ "TimestampLessThan",			T_TIMESTAMP, R_LT, 0 },
	{ "TimestampLessThanPath",		T_TIMESTAMP, R_LT, 1 },
	{ "TimestampGreaterThan",		T_TIMESTAMP, R_GT, 0 },
	{ "TimestampGreaterThanPath",		T_TIMESTAMP, R_GT, 1 },
	{ "TimestampLessThanEquals",		T_TIMESTAMP, R_LE, 0 },
	{ "TimestampLessThanEqualsPath",	T_TIMESTAMP, R_LE, 1 },
	{ "TimestampGreaterThanEquals",		T_TIMESTAMP, R_GE, 0 },
	{ "TimestampGreaterThanEqualsPath",	T_TIMESTAMP, R_GE, 1 },
	{ "IsNull",				T_IS, IS_NULL, 0 },
	{ "IsPresent",				T_IS, IS_PRESENT, 0 },
	{ "IsNumeric",				T_IS, IS_NUMERIC, 0 },
	{ "IsString",				T_IS, IS_STRING, 0 },
	{ "IsBoolean",				T_IS, IS_BOOLEAN, 0 },
	{ "IsTimestamp",			T_IS, IS_TIMESTAMP, 0 },
};

/* A number as JSON holds it: an integer, or a double. */
struct num {
	int		 is_int;
	json_int_t	 i;
	double		 d;
};

/*
 * A StringMatches pattern: the unescaped literal text cut at each
 * unescaped '*' into nseg segments (nseg - 1 wildcards).
 */
struct pattern {
	char		*lit;		/* unescaped literal bytes */
	size_t		*off;		/* nseg + 1 offsets into lit */
	size_t		 nseg;
	int		 bad;		/* open escape: a runtime error */
};

struct sd_choice_rule {
	enum kind		 kind;
	const struct opdef	*op;		/* K_CMP */
	struct sd_jsonpath	*var;		/* K_CMP: Variable */
	struct sd_jsonpath	*opath;		/* K_CMP, op->path: operand */
	union {
		struct {
			char	*s;
			size_t	 len;
		} str;				/* T_STRING */
		struct num	 num;		/* T_NUMBER */
		int		 b;		/* T_BOOLEAN, T_IS */
		struct {
			int64_t	 sec;
			int32_t	 nsec;
		} ts;				/* T_TIMESTAMP */
		struct pattern	 pat;		/* T_MATCHES */
	} u;
	struct sd_choice_rule	**sub;		/* And, Or: nsub; Not: 1 */
	size_t			 nsub;
	char			*next;		/* top rules */
	json_t			*assign;	/* top rules, may be NULL */
	json_t			*output;	/* top rules, may be NULL */
};

/* ------------------------------------------------------------ helpers */

static int
nomem(struct sd_error *err, const char *loc)
{
	return sd_error_set(err, SD_ERR_NOMEM, loc, "out of memory");
}

/* Set err at "loc/field" (or loc when field is NULL). */
static int
fail_at(struct sd_error *err, int code, const char *loc, const char *field,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail_at(struct sd_error *err, int code, const char *loc, const char *field,
    const char *fmt, ...)
{
	va_list ap;
	char *l = NULL;

	if (field != NULL && (l = sd_asprintf("%s/%s", loc, field)) == NULL)
		return nomem(err, loc);
	va_start(ap, fmt);
	sd_error_setv(err, code, l != NULL ? l : loc, fmt, ap);
	va_end(ap);
	free(l);
	return code;
}

static const struct opdef *
find_op(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, name) == 0)
			return &ops[i];
	return NULL;
}

static void
num_from_json(const json_t *v, struct num *n)
{
	if (json_is_integer(v)) {
		n->is_int = 1;
		n->i = json_integer_value(v);
		n->d = 0;
	} else {
		n->is_int = 0;
		n->i = 0;
		n->d = json_real_value(v);
	}
}

/* Exact comparison of an integer with a finite double: -1, 0 or 1. */
static int
cmp_int_real(json_int_t i, double d)
{
	double t, f;
	long long ti;

	if (d >= 9223372036854775808.0)
		return -1;
	if (d < -9223372036854775808.0)
		return 1;
	t = trunc(d);
	ti = (long long)t;
	if ((long long)i != ti)
		return (long long)i < ti ? -1 : 1;
	f = d - t;
	return f > 0 ? -1 : f < 0 ? 1 : 0;
}

static int
num_cmp(const struct num *a, const struct num *b)
{
	if (a->is_int && b->is_int)
		return a->i < b->i ? -1 : a->i > b->i;
	if (a->is_int)
		return cmp_int_real(a->i, b->d);
	if (b->is_int)
		return -cmp_int_real(b->i, a->d);
	return a->d < b->d ? -1 : a->d > b->d;
}

/*
 * Decode the UTF-8 sequence at s[0..len); returns its length, or 0 when
 * it is not well formed.
 */
static size_t
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (len == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

/*
 * Compare two UTF-8 strings as Java's String.compareTo does, by UTF-16
 * code unit. That is byte order except between a supplementary character
 * (surrogate pair, 0xD800-0xDBFF first) and U+E000-U+FFFF.
 */
static int
str_cmp(const char *as, size_t alen, const char *bs, size_t blen)
{
	const unsigned char *a = (const unsigned char *)as;
	const unsigned char *b = (const unsigned char *)bs;
	size_t i, p, n = alen < blen ? alen : blen;
	uint32_t ca, cb;

	for (i = 0; i < n && a[i] == b[i]; i++)
		;
	if (i == n)
		return alen < blen ? -1 : alen > blen;
	/* Both differ inside the code point that starts at p. */
	for (p = i; p > 0 && (a[p] & 0xc0) == 0x80; p--)
		;
	if (utf8_decode(a + p, alen - p, &ca) != 0 &&
	    utf8_decode(b + p, blen - p, &cb) != 0) {
		if (ca >= 0xe000 && ca <= 0xffff && cb >= 0x10000)
			return 1;
		if (cb >= 0xe000 && cb <= 0xffff && ca >= 0x10000)
			return -1;
	}
	return a[i] < b[i] ? -1 : 1;
}

static int
rel_holds(int rel, int c)
{
	switch (rel) {
	case R_EQ:	return c == 0;
	case R_LT:	return c < 0;
	case R_GT:	return c > 0;
	case R_LE:	return c <= 0;
	case R_GE:	return c >= 0;
	default:	return 0;
	}
}

/* ------------------------------------------------------------ StringMatches */

/*
 * Split a StringMatches value at its unescaped '*'. "\*" is a literal
 * '*', "\\" a literal '\'. Any other backslash (an "open escape") makes
 * the pattern bad, which the spec makes a runtime error.
 */
static int
pattern_compile(const char *s, size_t len, struct pattern *p)
{
	size_t i, n = 1, nseg = 0, o = 0;

	memset(p, 0, sizeof(*p));
	if (len > SIZE_MAX - 2)
		return SD_ERR_OVERFLOW;
	for (i = 0; i < len; i++) {
		if (s[i] == '*')
			n++;
		else if (s[i] == '\\')
			i++;
	}
	if ((p->lit = malloc(len + 1)) == NULL ||
	    (p->off = calloc(n + 1, sizeof(*p->off))) == NULL)
		return SD_ERR_NOMEM;
	p->off[0] = 0;
	for (i = 0; i < len; i++) {
		if (s[i] == '\\') {
			if (i + 1 < len &&
			    (s[i + 1] == '*' || s[i + 1] == '\\'))
				p->lit[o++] = s[++i];
			else {
				p->bad = 1;
				p->lit[o++] = s[i];
			}
		} else if (s[i] == '*') {
			p->off[++nseg] = o;
		} else
			p->lit[o++] = s[i];
	}
	p->off[++nseg] = o;
	p->nseg = nseg;
	p->lit[o] = '\0';
	return 0;
}

static void
pattern_free(struct pattern *p)
{
	free(p->lit);
	free(p->off);
}

/*
 * Glob with '*' only: the first segment anchors the start, the last the
 * end, and each middle segment matches leftmost in between (greedy
 * leftmost is optimal when '*' is the only wildcard). Linear in practice,
 * never exponential.
 */
static int
pattern_match(const struct pattern *p, const char *s, size_t len)
{
	const char *seg, *hit;
	size_t k, slen, pos, end;

	seg = p->lit;
	slen = p->off[1] - p->off[0];
	if (p->nseg == 1)
		return slen == len && memcmp(seg, s, len) == 0;
	/* Prefix and suffix. */
	if (slen > len || memcmp(seg, s, slen) != 0)
		return 0;
	pos = slen;
	seg = p->lit + p->off[p->nseg - 1];
	slen = p->off[p->nseg] - p->off[p->nseg - 1];
	if (slen > len - pos || memcmp(seg, s + len - slen, slen) != 0)
		return 0;
	end = len - slen;
	for (k = 1; k + 1 < p->nseg; k++) {
		seg = p->lit + p->off[k];
		slen = p->off[k + 1] - p->off[k];
		if (slen == 0)
			continue;
		if (slen > end - pos ||
		    (hit = memmem(s + pos, end - pos, seg, slen)) == NULL)
			return 0;
		pos = (size_t)(hit - s) + slen;
	}
	return 1;
}

/* ------------------------------------------------------------ compile */

void
sd_choice_free(struct sd_choice_rule *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nsub; i++)
		sd_choice_free(r->sub[i]);
	free(r->sub);
	if (r->kind == K_CMP) {
		if (r->op->type == T_STRING)
			free(r->u.str.s);
		else if (r->op->type == T_MATCHES)
			pattern_free(&r->u.pat);
	}
	sd_jsonpath_free(r->var);
	sd_jsonpath_free(r->opath);
	free(r->next);
	json_decref(r->assign);
	json_decref(r->output);
	free(r);
}

const char *
sd_choice_next(const struct sd_choice_rule *r)
{
	return r != NULL ? r->next : NULL;
}

json_t *
sd_choice_assign(const struct sd_choice_rule *r)
{
	return r != NULL ? r->assign : NULL;
}

json_t *
sd_choice_output(const struct sd_choice_rule *r)
{
	return r != NULL ? r->output : NULL;
}

/* Compile the path in rule[field] (a string) into *out. */
static int
compile_path(json_t *v, const char *loc, const char *field,
    struct sd_jsonpath **out, struct sd_error *err)
{
	struct sd_error e = SD_ERROR_INIT;
	int r;

	if (!json_is_string(v))
		return fail_at(err, SD_ERR_INVALID, loc, field,
		    "expected a string");
	if ((r = sd_jsonpath_compile(json_string_value(v), out, &e)) != 0) {
		if (r == SD_ERR_NOMEM)
			r = nomem(err, loc);
		else
			r = fail_at(err, SD_ERR_INVALID, loc, field,
			    "the value \"%s\" is not a valid JSONPath: %s",
			    json_string_value(v), e.message != NULL ?
			    e.message : sd_strerror(r));
		sd_error_clear(&e);
		*out = NULL;
		return r;
	}
	return 0;
}

static int compile_rule(json_t *, int, int, const char *,
    struct sd_choice_rule **, struct sd_error *);

/* The operand of a comparison, checked against the operator's type. */
static int
compile_operand(struct sd_choice_rule *c, json_t *v, const char *loc,
    struct sd_error *err)
{
	const struct opdef *op = c->op;
	const char *s;
	size_t len;

	if (op->path)
		return compile_path(v, loc, op->name, &c->opath, err);
	switch (op->type) {
	case T_STRING:
		if (!json_is_string(v))
			break;
		if ((len = json_string_length(v)) == SIZE_MAX ||
		    (c->u.str.s = malloc(len + 1)) == NULL)
			return nomem(err, loc);
		memcpy(c->u.str.s, json_string_value(v), len + 1);
		c->u.str.len = len;
		return 0;
	case T_MATCHES:
		if (!json_is_string(v))
			break;
		if (pattern_compile(json_string_value(v), json_string_length(v),
		    &c->u.pat) != 0)
			return nomem(err, loc);
		return 0;
	case T_NUMBER:
		if (!json_is_number(v))
			return fail_at(err, SD_ERR_INVALID, loc, op->name,
			    "expected a number");
		num_from_json(v, &c->u.num);
		return 0;
	case T_BOOLEAN:
	case T_IS:
		if (!json_is_boolean(v))
			return fail_at(err, SD_ERR_INVALID, loc, op->name,
			    "expected a boolean");
		c->u.b = json_is_true(v);
		return 0;
	case T_TIMESTAMP:
		if (!json_is_string(v))
			break;
		s = json_string_value(v);
		if (sd_time_parse_ts(s, json_string_length(v), &c->u.ts.sec,
		    &c->u.ts.nsec) != 0)
			return fail_at(err, SD_ERR_INVALID, loc, op->name,
			    "the value \"%s\" is not an RFC 3339 timestamp "
			    "(like 2016-03-14T01:59:00Z)", s);
		return 0;
	default:
		return sd_error_set(err, SD_ERR_INTERNAL, loc, "bad operator");
	}
	return fail_at(err, SD_ERR_INVALID, loc, op->name, "expected a string");
}

static int
compile_bool(struct sd_choice_rule *c, json_t *v, const char *field,
    int depth, const char *loc, struct sd_error *err)
{
	char *l = NULL;
	json_t *e;
	size_t i, n;
	int r;

	if (c->kind == K_NOT) {
		if (!json_is_object(v))
			return fail_at(err, SD_ERR_INVALID, loc, field,
			    "expected an object");
		if ((c->sub = calloc(1, sizeof(*c->sub))) == NULL ||
		    (l = sd_asprintf("%s/Not", loc)) == NULL)
			return nomem(err, loc);
		r = compile_rule(v, 0, depth + 1, l, &c->sub[0], err);
		free(l);
		if (r == 0)
			c->nsub = 1;
		return r;
	}
	if (!json_is_array(v) || (n = json_array_size(v)) == 0)
		return fail_at(err, SD_ERR_INVALID, loc, field,
		    "expected a non-empty array");
	if ((c->sub = calloc(n, sizeof(*c->sub))) == NULL)
		return nomem(err, loc);
	json_array_foreach(v, i, e) {
		if ((l = sd_asprintf("%s/%s[%zu]", loc, field, i)) == NULL)
			return nomem(err, loc);
		r = compile_rule(e, 0, depth + 1, l, &c->sub[i], err);
		free(l);
		if (r != 0)
			return r;
		c->nsub = i + 1;
	}
	return 0;
}

static int
compile_rule(json_t *rule, int top, int depth, const char *loc,
    struct sd_choice_rule **out, struct sd_error *err)
{
	struct sd_choice_rule *c = NULL;
	const struct opdef *op = NULL;
	const char *k, *opkey = NULL;
	json_t *v, *opval = NULL, *var = NULL, *next = NULL;
	int r = SD_ERR_INTERNAL, nbool = 0;

	*out = NULL;
	if (!json_is_object(rule))
		return fail_at(err, SD_ERR_INVALID, loc, NULL,
		    "expected an object");
	if (depth > MAX_DEPTH)
		return fail_at(err, SD_ERR_LIMIT, loc, NULL,
		    "Choice Rules nested deeper than %d levels", MAX_DEPTH);
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return nomem(err, loc);

	/* Classify every field; the first offending one is reported. */
	json_object_foreach(rule, k, v) {
		const struct opdef *o = NULL;
		int isbool = 0;

		if (strcmp(k, "And") == 0 || strcmp(k, "Or") == 0 ||
		    strcmp(k, "Not") == 0)
			isbool = 1;
		else
			o = find_op(k);
		if (isbool || o != NULL) {
			if (opkey != NULL) {
				r = fail_at(err, SD_ERR_INVALID, loc, k,
				    "a Choice Rule takes exactly one "
				    "comparison operator or And, Or, Not "
				    "(found \"%s\" and \"%s\")", opkey, k);
				goto out;
			}
			opkey = k;
			opval = v;
			op = o;
			nbool = isbool;
		} else if (strcmp(k, "Variable") == 0) {
			var = v;
		} else if (strcmp(k, "Comment") == 0) {
			if (!json_is_string(v)) {
				r = fail_at(err, SD_ERR_INVALID, loc, k,
				    "expected a string");
				goto out;
			}
		} else if (strcmp(k, "Next") == 0 || strcmp(k, "Assign") == 0 ||
		    strcmp(k, "Output") == 0) {
			if (!top) {
				r = fail_at(err, SD_ERR_INVALID, loc, k,
				    "field \"%s\" is not allowed in a nested "
				    "Choice Rule", k);
				goto out;
			}
			if (k[0] == 'N')
				next = v;
			else if (k[0] == 'A') {
				if (!json_is_object(v)) {
					r = fail_at(err, SD_ERR_INVALID, loc, k,
					    "expected an object");
					goto out;
				}
				c->assign = json_incref(v);
			} else
				c->output = json_incref(v);
		} else {
			r = fail_at(err, SD_ERR_INVALID, loc, k,
			    "field \"%s\" is not allowed in a Choice Rule", k);
			goto out;
		}
	}

	if (top) {
		if (next == NULL) {
			r = fail_at(err, SD_ERR_INVALID, loc, NULL,
			    "missing required field \"Next\"");
			goto out;
		}
		if (!json_is_string(next)) {
			r = fail_at(err, SD_ERR_INVALID, loc, "Next",
			    "expected a string");
			goto out;
		}
		if ((c->next = strdup(json_string_value(next))) == NULL) {
			r = nomem(err, loc);
			goto out;
		}
	}
	if (opkey == NULL) {
		r = fail_at(err, SD_ERR_INVALID, loc, NULL, var != NULL ?
		    "missing comparison operator" :
		    "a Choice Rule needs \"Variable\" and a comparison "
		    "operator, or one of \"And\", \"Or\", \"Not\"");
		goto out;
	}

	if (nbool) {
		if (var != NULL) {
			r = fail_at(err, SD_ERR_INVALID, loc, "Variable",
			    "field \"Variable\" is not allowed with \"%s\"",
			    opkey);
			goto out;
		}
		c->kind = opkey[0] == 'A' ? K_AND : opkey[0] == 'O' ? K_OR :
		    K_NOT;
		if ((r = compile_bool(c, opval, opkey, depth, loc, err)) != 0)
			goto out;
	} else {
		c->kind = K_CMP;
		c->op = op;
		if (var == NULL) {
			r = fail_at(err, SD_ERR_INVALID, loc, NULL,
			    "missing required field \"Variable\"");
			goto out;
		}
		r = compile_path(var, loc, "Variable", &c->var, err);
		if (r == 0)
			r = compile_operand(c, opval, loc, err);
		if (r != 0)
			goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
 out:
	sd_choice_free(c);
	return r;
}

int
sd_choice_compile(json_t *rule, int top, const char *location,
    struct sd_choice_rule **out, struct sd_error *err)
{
	if (out == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, location,
		    "no output");
	*out = NULL;
	if (location == NULL)
		location = "";
	return compile_rule(rule, top != 0, 0, location, out, err);
}

/* ------------------------------------------------------------ evaluate */

/*
 * Resolve p; *out is NULL when it selects nothing. A resolver that
 * reports SD_ERR_NOTFOUND instead of a NULL value is read the same way.
 */
static int
resolve_path(const struct sd_jsonpath *p, sd_jsonpath_resolve_fn resolve,
    void *ctx, json_t **out, struct sd_error *err)
{
	int r;

	*out = NULL;
	r = resolve(ctx, p, out, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		*out = NULL;
		return 0;
	}
	if (r != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

static int
invalid_path(const struct sd_jsonpath *p, struct sd_error *err)
{
	return sd_error_set(err, SD_ERR_RUNTIME, NULL, "Invalid path '%s': "
	    "The choice state's condition path references an invalid value.",
	    sd_jsonpath_text(p));
}

/*
 * Compare the Variable's value v with the operand (the literal, or o for a
 * ...Path operator): 1 or 0, or a negative SD_ERR_* with err set.
 */
static int
compare(const struct sd_choice_rule *c, const json_t *v, const json_t *o,
    struct sd_error *err)
{
	const struct opdef *op = c->op;
	struct num a, b;
	int64_t as, bs;
	int32_t an, bn;

	switch (op->type) {
	case T_IS:
		switch (op->rel) {
		case IS_NULL:
			return json_is_null(v) == c->u.b;
		case IS_PRESENT:
			return c->u.b;
		case IS_NUMERIC:
			return json_is_number(v) == c->u.b;
		case IS_STRING:
			return json_is_string(v) == c->u.b;
		case IS_BOOLEAN:
			return json_is_boolean(v) == c->u.b;
		case IS_TIMESTAMP:
			return (json_is_string(v) &&
			    sd_time_parse_ts(json_string_value(v),
			    json_string_length(v), NULL, NULL) == 0) == c->u.b;
		}
		return 0;
	case T_STRING:
		if (!json_is_string(v))
			return 0;
		if (o == NULL)
			return rel_holds(op->rel, str_cmp(json_string_value(v),
			    json_string_length(v), c->u.str.s, c->u.str.len));
		if (!json_is_string(o))
			return 0;
		return rel_holds(op->rel, str_cmp(json_string_value(v),
		    json_string_length(v), json_string_value(o),
		    json_string_length(o)));
	case T_MATCHES:
		if (!json_is_string(v))
			return 0;
		if (c->u.pat.bad)
			return sd_error_set(err, SD_ERR_RUNTIME, NULL,
			    "Invalid StringMatches pattern: an open escape "
			    "character '\\' must be followed by '*' or "
			    "'\\'");
		return pattern_match(&c->u.pat, json_string_value(v),
		    json_string_length(v));
	case T_NUMBER:
		if (!json_is_number(v))
			return 0;
		num_from_json(v, &a);
		if (o == NULL)
			return rel_holds(op->rel, num_cmp(&a, &c->u.num));
		if (!json_is_number(o))
			return 0;
		num_from_json(o, &b);
		return rel_holds(op->rel, num_cmp(&a, &b));
	case T_BOOLEAN:
		if (!json_is_boolean(v))
			return 0;
		if (o == NULL)
			return json_is_true(v) == c->u.b;
		if (!json_is_boolean(o))
			return 0;
		return json_is_true(v) == json_is_true(o);
	case T_TIMESTAMP:
		if (!json_is_string(v) || sd_time_parse_ts(json_string_value(v),
		    json_string_length(v), &as, &an) != 0)
			return 0;
		if (o == NULL) {
			bs = c->u.ts.sec;
			bn = c->u.ts.nsec;
		} else if (!json_is_string(o) ||
		    sd_time_parse_ts(json_string_value(o),
		    json_string_length(o), &bs, &bn) != 0)
			return 0;
		return rel_holds(op->rel, as != bs ? (as < bs ? -1 : 1) :
		    an != bn ? (an < bn ? -1 : 1) : 0);
	}
	return sd_error_set(err, SD_ERR_INTERNAL, NULL, "bad Choice operator");
}

static int
eval_cmp(const struct sd_choice_rule *c, sd_jsonpath_resolve_fn resolve,
    void *ctx, int *matched, struct sd_error *err)
{
	json_t *v = NULL, *o = NULL;
	int r, m;

	if ((r = resolve_path(c->var, resolve, ctx, &v, err)) != 0)
		goto out;
	if (v == NULL) {
		if (c->op->type == T_IS && c->op->rel == IS_PRESENT) {
			*matched = !c->u.b;
			r = 0;
		} else
			r = invalid_path(c->var, err);
		goto out;
	}
	if (c->opath != NULL) {
		if ((r = resolve_path(c->opath, resolve, ctx, &o, err)) != 0)
			goto out;
		if (o == NULL) {
			r = invalid_path(c->opath, err);
			goto out;
		}
	}
	if ((m = compare(c, v, o, err)) < 0) {
		r = m;
		goto out;
	}
	*matched = m;
	r = 0;
 out:
	json_decref(v);
	json_decref(o);
	return r;
}

static int
eval_rule(const struct sd_choice_rule *c, sd_jsonpath_resolve_fn resolve,
    void *ctx, int *matched, struct sd_error *err)
{
	size_t i;
	int r, m = 0;

	switch (c->kind) {
	case K_CMP:
		return eval_cmp(c, resolve, ctx, matched, err);
	case K_NOT:
		if ((r = eval_rule(c->sub[0], resolve, ctx, &m, err)) != 0)
			return r;
		*matched = !m;
		return 0;
	case K_AND:
	case K_OR:
		/* And stops at the first false, Or at the first true. */
		for (i = 0; i < c->nsub; i++) {
			r = eval_rule(c->sub[i], resolve, ctx, &m, err);
			if (r != 0)
				return r;
			if (m != (c->kind == K_AND))
				break;
		}
		*matched = m;
		return 0;
	}
	return sd_error_set(err, SD_ERR_INTERNAL, NULL, "bad Choice Rule");
}

int
sd_choice_eval(const struct sd_choice_rule *c, sd_jsonpath_resolve_fn resolve,
    void *ctx, int *matched, struct sd_error *err)
{
	int m = 0, r;

	if (c == NULL || resolve == NULL || matched == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "sd_choice_eval: bad arguments");
	*matched = 0;
	if ((r = eval_rule(c, resolve, ctx, &m, err)) != 0)
		return r;
	*matched = m;
	return 0;
}
