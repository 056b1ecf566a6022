/*
 * sd_intrinsic: the JSONPath intrinsic functions of the Amazon States
 * Language, with the behaviour and error texts of AWS Step Functions.
 *
 * An expression is parsed once into a small tree (literals are built into
 * json_t values, paths are compiled with sd_jsonpath_compile); evaluation
 * walks the tree and never parses text again, except to build an error
 * message or to read a States.Format template.
 *
 * What AWS does, as observed (and kept here):
 *  - Every evaluation failure is States.Runtime, never IntrinsicFailure:
 *    "The function '<expression as written>' had the following error:
 *    <detail>". Bad arguments (type, count, range) give the detail
 *    "Invalid arguments in States.<Name>"; a path that selects nothing
 *    gives "The JsonPath argument for the field '<path>' could not be
 *    found in the input '<state input>'" ($$ paths are shown with one $).
 *  - The argument count is checked when the function runs, not when the
 *    definition is read.
 *  - MathAdd rounds half up (Java Math.round) and works on 32-bit ints;
 *    ArrayRange, ArrayPartition, ArrayGetItem and MathRandom truncate.
 *  - StringSplit splits on any character of the delimiter string and
 *    drops empty tokens (java.util.StringTokenizer).
 *  - ArrayContains compares the values' Java text (so "true" matches
 *    true, and object key order matters); ArrayUnique keeps the order of a
 *    java.util.HashSet.
 *  - Format renders strings raw, numbers as Java prints them, objects as
 *    {k=v, k2=v2} and arrays as [a, b].
 *  - Base64Decode is lenient (characters outside the alphabet are
 *    skipped, decoding stops at '='); invalid UTF-8 becomes U+FFFD.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_intrinsic.h"

#define SD_INTR_EXPR_MAX	((size_t)64 * 1024)	/* expression text */
#define SD_INTR_DEPTH_MAX	10	/* AWS: up to 10 nested functions */
#define SD_INTR_STR_MAX		((size_t)16 * 1024 * 1024) /* built strings */
#define SD_INTR_RANGE_MAX	1000	/* ArrayRange items (AWS) */
#define SD_INTR_CHARS_MAX	10000	/* Base64 and Hash input (AWS) */
#define SD_INTR_RENDER_DEPTH	4096	/* nesting when rendering values */
#define SD_INTR_STACK_ARGS	4	/* arguments kept on the stack */

enum node_kind {
	N_LIT = 0,	/* a literal: string, number, true, false, null */
	N_PATH,		/* a path, resolved through env->resolve */
	N_CALL,		/* a nested function call */
};

enum fn_id {
	F_FORMAT = 0,
	F_STRINGTOJSON,
	F_JSONTOSTRING,
	F_ARRAY,
	F_ARRAYPARTITION,
	F_ARRAYCONTAINS,
	F_ARRAYRANGE,
	F_ARRAYGETITEM,
	F_ARRAYLENGTH,
	F_ARRAYUNIQUE,
	F_BASE64ENCODE,
	F_BASE64DECODE,
	F_HASH,
	F_JSONMERGE,
	F_MATHRANDOM,
	F_MATHADD,
	F_STRINGSPLIT,
	F_UUID,
	F_COUNT
};

struct node {
	enum node_kind		 kind;
	json_t			*lit;	/* N_LIT */
	size_t			 off;	/* N_LIT string: raw text in in->text */
	size_t			 len;	/* N_PATH: the path as written */
	struct sd_jsonpath	*path;	/* N_PATH */
	enum fn_id		 fn;	/* N_CALL */
	struct node		*args;	/* N_CALL */
	size_t			 nargs;
};

struct sd_intrinsic {
	char		*text;	/* the expression as written */
	size_t		 len;
	struct node	 root;
};

struct call {
	const struct sd_intrinsic	*in;
	const struct node		*n;
	const struct sd_intrinsic_env	*env;
	json_t				**argv;
	size_t				 argc;
	struct sd_error			*err;
};

typedef int (*fn_impl)(struct call *, json_t **);

struct fn_def {
	const char	*name;
	size_t		 min;
	size_t		 max;	/* SIZE_MAX: any number */
	fn_impl		 impl;
};

static int	fn_format(struct call *, json_t **);
static int	fn_string_to_json(struct call *, json_t **);
static int	fn_json_to_string(struct call *, json_t **);
static int	fn_array(struct call *, json_t **);
static int	fn_array_partition(struct call *, json_t **);
static int	fn_array_contains(struct call *, json_t **);
static int	fn_array_range(struct call *, json_t **);
static int	fn_array_get_item(struct call *, json_t **);
static int	fn_array_length(struct call *, json_t **);
static int	fn_array_unique(struct call *, json_t **);
static int	fn_base64_encode(struct call *, json_t **);
static int	fn_base64_decode(struct call *, json_t **);
static int	fn_hash(struct call *, json_t **);
static int	fn_json_merge(struct call *, json_t **);
static int	fn_math_random(struct call *, json_t **);
static int	fn_math_add(struct call *, json_t **);
static int	fn_string_split(struct call *, json_t **);
static int	fn_uuid(struct call *, json_t **);

static const struct fn_def fns[F_COUNT] = {
	[F_FORMAT] =		{ "States.Format", 1, SIZE_MAX, fn_format },
	[F_STRINGTOJSON] =	{ "States.StringToJson", 1, 1, fn_string_to_json },
	[F_JSONTOSTRING] =	{ "States.JsonToString", 1, 1, fn_json_to_string },
	[F_ARRAY] =		{ "States.Array", 0, SIZE_MAX, fn_array },
	[F_ARRAYPARTITION] =	{ "States.ArrayPartition", 2, 2,
				    fn_array_partition },
	[F_ARRAYCONTAINS] =	{ "States.ArrayContains", 2, 2,
				    fn_array_contains },
	[F_ARRAYRANGE] =	{ "States.ArrayRange", 3, 3, fn_array_range },
	[F_ARRAYGETITEM] =	{ "States.ArrayGetItem", 2, 2,
				    fn_array_get_item },
	[F_ARRAYLENGTH] =	{ "States.ArrayLength", 1, 1, fn_array_length },
	[F_ARRAYUNIQUE] =	{ "States.ArrayUnique", 1, 1, fn_array_unique },
	[F_BASE64ENCODE] =	{ "States.Base64Encode", 1, 1, fn_base64_encode },
	[F_BASE64DECODE] =	{ "States.Base64Decode", 1, 1, fn_base64_decode },
	[F_HASH] =		{ "States.Hash", 2, 2, fn_hash },
	[F_JSONMERGE] =		{ "States.JsonMerge", 3, 3, fn_json_merge },
	[F_MATHRANDOM] =	{ "States.MathRandom", 2, 3, fn_math_random },
	[F_MATHADD] =		{ "States.MathAdd", 2, 2, fn_math_add },
	[F_STRINGSPLIT] =	{ "States.StringSplit", 2, 2, fn_string_split },
	[F_UUID] =		{ "States.UUID", 0, 0, fn_uuid },
};

/* ------------------------------------------------------------ parsing */

struct parser {
	const char	*s;
	size_t		 len;
	size_t		 pos;
	struct sd_error	*err;
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int
is_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void
skip_space(struct parser *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++;
}

static int
parse_error(struct parser *p, const char *what)
{
	return sd_error_set(p->err, SD_ERR_PARSE, NULL,
	    "%s at offset %zu of '%s'", what, p->pos, p->s);
}

static void
node_clear(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	json_decref(n->lit);
	n->lit = NULL;
	sd_jsonpath_free(n->path);
	n->path = NULL;
	for (i = 0; i < n->nargs; i++)
		node_clear(&n->args[i]);
	free(n->args);
	n->args = NULL;
	n->nargs = 0;
}

static int parse_call(struct parser *, struct node *, int);

/* 'text' with \' \{ \} \\ escapes; any other backslash is an error. */
static int
parse_string(struct parser *p, struct node *n)
{
	struct sd_buf b;
	size_t i;
	int r = SD_ERR_PARSE;

	sd_buf_init(&b, SD_INTR_EXPR_MAX);
	n->kind = N_LIT;
	n->off = p->pos + 1;
	for (i = p->pos + 1; i < p->len && p->s[i] != '\''; i++) {
		char c = p->s[i];

		if (c == '\\') {
			if (i + 1 >= p->len || (p->s[i + 1] != '\'' &&
			    p->s[i + 1] != '{' && p->s[i + 1] != '}' &&
			    p->s[i + 1] != '\\')) {
				p->pos = i;
				r = parse_error(p, "invalid escape sequence in a "
				    "string literal");
				goto out;
			}
			c = p->s[++i];
		}
		if ((r = sd_buf_putc(&b, c)) != 0)
			goto out;
	}
	if (i >= p->len) {
		r = parse_error(p, "unterminated string literal");
		goto out;
	}
	n->len = i - n->off;
	if ((n->lit = json_stringn(b.data != NULL ? b.data : "", b.len)) ==
	    NULL) {
		r = parse_error(p, "string literal is not valid UTF-8");
		goto out;
	}
	p->pos = i + 1;
	r = 0;
 out:
	sd_buf_release(&b);
	return r;
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
parse_number(struct parser *p, struct node *n)
{
	size_t i = p->pos, start = p->pos;
	int real = 0;
	char buf[400], *end = NULL;

	if (i < p->len && p->s[i] == '-')
		i++;
	if (i >= p->len || !is_digit(p->s[i]))
		return parse_error(p, "invalid number");
	if (p->s[i] == '0')
		i++;
	else
		while (i < p->len && is_digit(p->s[i]))
			i++;
	if (i < p->len && p->s[i] == '.') {
		real = 1;
		if (++i >= p->len || !is_digit(p->s[i]))
			return parse_error(p, "invalid number");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
		real = 1;
		i++;
		if (i < p->len && (p->s[i] == '+' || p->s[i] == '-'))
			i++;
		if (i >= p->len || !is_digit(p->s[i]))
			return parse_error(p, "invalid number");
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	if (i < p->len && !is_space(p->s[i]) && p->s[i] != ',' &&
	    p->s[i] != ')')
		return parse_error(p, "invalid number");
	if (i - start >= sizeof(buf))
		return parse_error(p, "number literal too long");
	memcpy(buf, p->s + start, i - start);
	buf[i - start] = '\0';
	n->kind = N_LIT;
	if (!real) {
		long long v;

		errno = 0;
		v = strtoll(buf, &end, 10);
		if (errno == 0 && end != NULL && *end == '\0') {
			if ((n->lit = json_integer(v)) == NULL)
				return SD_ERR_NOMEM;
			p->pos = i;
			return 0;
		}
		/* too big for 64 bits: keep it as a double */
	}
	{
		double d;

		errno = 0;
		d = strtod(buf, &end);
		if (end == NULL || *end != '\0' || !isfinite(d))
			return parse_error(p, "number out of range");
		if ((n->lit = json_real(d)) == NULL)
			return SD_ERR_NOMEM;
	}
	p->pos = i;
	return 0;
}

/*
 * A path runs to the first ',' or ')' outside brackets, parentheses and
 * quotes; trailing white space is not part of it.
 */
static int
parse_path(struct parser *p, struct node *n)
{
	size_t i = p->pos, end, depth = 0;
	char quote = 0, *text = NULL;
	struct sd_error perr = SD_ERROR_INIT;
	int r;

	for (; i < p->len; i++) {
		char c = p->s[i];

		if (quote != 0) {
			if (c == '\\' && i + 1 < p->len)
				i++;
			else if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '\'' || c == '"')
			quote = c;
		else if (c == '[' || c == '(')
			depth++;
		else if (c == ']' || c == ')') {
			if (depth == 0)
				break;
			depth--;
		} else if (c == ',' && depth == 0)
			break;
	}
	end = i;
	while (end > p->pos && is_space(p->s[end - 1]))
		end--;
	n->kind = N_PATH;
	n->off = p->pos;
	n->len = end - p->pos;
	if ((text = strndup(p->s + p->pos, n->len)) == NULL)
		return SD_ERR_NOMEM;
	r = sd_jsonpath_compile(text, &n->path, &perr);
	if (r != 0) {
		if (r == SD_ERR_NOMEM)
			sd_error_set(p->err, r, NULL, "out of memory");
		else
			sd_error_set(p->err, SD_ERR_PARSE, NULL,
			    "invalid path '%s' at offset %zu of '%s': %s", text,
			    p->pos, p->s, perr.message != NULL ? perr.message :
			    sd_strerror(r));
		r = r == SD_ERR_NOMEM ? r : SD_ERR_PARSE;
		goto out;
	}
	p->pos = i;
	r = 0;
 out:
	sd_error_clear(&perr);
	free(text);
	return r;
}

static int
keyword(struct parser *p, const char *kw)
{
	size_t l = strlen(kw);

	return p->len - p->pos >= l && memcmp(p->s + p->pos, kw, l) == 0 &&
	    (p->pos + l == p->len || !is_name_char(p->s[p->pos + l]));
}

static int
parse_arg(struct parser *p, struct node *n, int depth)
{
	char c;

	skip_space(p);
	if (p->pos >= p->len)
		return parse_error(p, "missing argument");
	c = p->s[p->pos];
	if (c == '\'')
		return parse_string(p, n);
	if (c == '$')
		return parse_path(p, n);
	if (c == '-' || is_digit(c))
		return parse_number(p, n);
	if (keyword(p, "true") || keyword(p, "false") || keyword(p, "null")) {
		n->kind = N_LIT;
		if (c == 't')
			n->lit = json_true();
		else if (c == 'f')
			n->lit = json_false();
		else
			n->lit = json_null();
		p->pos += c == 'f' ? 5 : 4;
		return 0;
	}
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
		return parse_call(p, n, depth + 1);
	return parse_error(p, "invalid argument");
}

static int
parse_call(struct parser *p, struct node *n, int depth)
{
	size_t start = p->pos, nl, cap = 0;
	struct node *na;
	int i, r;

	if (depth > SD_INTR_DEPTH_MAX)
		return parse_error(p, "intrinsic functions nested more than 10 "
		    "deep");
	while (p->pos < p->len && is_name_char(p->s[p->pos]))
		p->pos++;
	nl = p->pos - start;
	if (nl == 0)
		return parse_error(p, "expected a function name");
	for (i = 0; i < F_COUNT; i++)
		if (strlen(fns[i].name) == nl &&
		    memcmp(fns[i].name, p->s + start, nl) == 0)
			break;
	if (i == F_COUNT) {
		p->pos = start;
		return sd_error_set(p->err, SD_ERR_PARSE, NULL,
		    "unknown intrinsic function '%.*s' at offset %zu of '%s'",
		    (int)nl, p->s + start, start, p->s);
	}
	n->kind = N_CALL;
	n->fn = (enum fn_id)i;
	if (p->pos >= p->len || p->s[p->pos] != '(')
		return parse_error(p, "expected '(' after the function name");
	p->pos++;
	skip_space(p);
	if (p->pos < p->len && p->s[p->pos] == ')') {
		p->pos++;
		return 0;
	}
	for (;;) {
		if (n->nargs == cap) {
			size_t ncap = cap == 0 ? 4 : cap * 2;

			if (ncap < cap || (na = reallocarray(n->args, ncap,
			    sizeof(*na))) == NULL)
				return SD_ERR_NOMEM;
			memset(na + cap, 0, (ncap - cap) * sizeof(*na));
			n->args = na;
			cap = ncap;
		}
		if ((r = parse_arg(p, &n->args[n->nargs], depth)) != 0) {
			n->nargs++;	/* so node_clear frees what was built */
			return r;
		}
		n->nargs++;
		skip_space(p);
		if (p->pos >= p->len)
			return parse_error(p, "expected ',' or ')'");
		if (p->s[p->pos] == ')') {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return parse_error(p, "expected ',' or ')'");
		p->pos++;
	}
}

int
sd_intrinsic_is_call(const char *s)
{
	size_t i = 0;

	if (s == NULL)
		return 0;
	while (is_space(s[i]))
		i++;
	if (strncmp(s + i, "States.", 7) != 0)
		return 0;
	for (i += 7; is_name_char(s[i]); i++)
		;
	return s[i] == '(';
}

int
sd_intrinsic_compile(const char *expr, struct sd_intrinsic **out,
    struct sd_error *err)
{
	struct sd_intrinsic *in = NULL;
	struct parser p;
	size_t len;
	int r = SD_ERR_INTERNAL;

	if (out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no output");
	*out = NULL;
	if (expr == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no expression");
	len = strnlen(expr, SD_INTR_EXPR_MAX + 1);
	if (len > SD_INTR_EXPR_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "intrinsic function expression longer than %zu bytes",
		    SD_INTR_EXPR_MAX);
	if ((in = calloc(1, sizeof(*in))) == NULL ||
	    (in->text = strndup(expr, len)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	in->len = len;
	p.s = in->text;
	p.len = len;
	p.pos = 0;
	p.err = err;
	skip_space(&p);
	if ((r = parse_call(&p, &in->root, 1)) != 0)
		goto out;
	skip_space(&p);
	if (p.pos != p.len) {
		r = parse_error(&p, "unexpected text after the function call");
		goto out;
	}
	*out = in;
	in = NULL;
	r = 0;
 out:
	if (r == SD_ERR_NOMEM && err != NULL && err->message == NULL)
		sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	sd_intrinsic_free(in);
	return r;
}

void
sd_intrinsic_free(struct sd_intrinsic *in)
{
	if (in == NULL)
		return;
	node_clear(&in->root);
	free(in->text);
	free(in);
}

/* ------------------------------------------------------------ errors */

static int
fail_detail(struct call *c, const char *detail)
{
	return sd_error_set(c->err, SD_ERR_RUNTIME, NULL,
	    "The function '%s' had the following error: Invalid arguments in "
	    "%s%s", c->in->text, fns[c->n->fn].name, detail);
}

static int
fail_args(struct call *c)
{
	return fail_detail(c, "");
}

static int
fail_limit(struct call *c, const char *what)
{
	return sd_error_set(c->err, SD_ERR_LIMIT, NULL,
	    "The function '%s' had the following error: %s in %s",
	    c->in->text, what, fns[c->n->fn].name);
}

/* A path argument that selects nothing (AWS: States.Runtime). */
static int
fail_missing(const struct sd_intrinsic *in, const struct node *n,
    const struct sd_intrinsic_env *env, struct sd_error *err)
{
	struct sd_jsonpath *root = NULL;
	struct sd_error e2 = SD_ERROR_INIT;
	json_t *doc = NULL;
	char *shown = NULL;
	const char *p = in->text + n->off;
	size_t plen = n->len;
	int r;

	/* AWS names a $$ path against the input: "$$.a" -> "$.a". */
	if (plen >= 2 && p[0] == '$' && p[1] == '$') {
		p++;
		plen--;
	}
	if (sd_jsonpath_compile("$", &root, &e2) == 0 &&
	    env->resolve(env->ctx, root, &doc, &e2) == 0 && doc != NULL)
		shown = sd_json_dumps(doc, 0);
	r = sd_error_set(err, SD_ERR_RUNTIME, NULL,
	    "The function '%s' had the following error: The JsonPath argument "
	    "for the field '%.*s' could not be found in the input '%s'",
	    in->text, (int)plen, p, shown != NULL ? shown : "");
	free(shown);
	json_decref(doc);
	sd_jsonpath_free(root);
	sd_error_clear(&e2);
	return r;
}

/* ------------------------------------------------------------ evaluation */

static int
eval_node(const struct sd_intrinsic *in, const struct node *n,
    const struct sd_intrinsic_env *env, json_t **out, struct sd_error *err)
{
	json_t *stackv[SD_INTR_STACK_ARGS], **argv = stackv;
	struct call c;
	size_t i, done = 0;
	int r;

	*out = NULL;
	switch (n->kind) {
	case N_LIT:
		*out = json_incref(n->lit);
		return 0;
	case N_PATH:
		if ((r = env->resolve(env->ctx, n->path, out, err)) != 0) {
			json_decref(*out);
			*out = NULL;
			if (err != NULL && err->message == NULL)
				sd_error_set(err, r, NULL, "%s", sd_strerror(r));
			return r;
		}
		if (*out == NULL)
			return fail_missing(in, n, env, err);
		return 0;
	case N_CALL:
		break;
	}
	c.in = in;
	c.n = n;
	c.env = env;
	c.err = err;
	c.argc = n->nargs;
	if (n->nargs < fns[n->fn].min || n->nargs > fns[n->fn].max) {
		c.argv = NULL;
		return fail_args(&c);
	}
	if (n->nargs > SD_INTR_STACK_ARGS &&
	    (argv = calloc(n->nargs, sizeof(*argv))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	for (i = 0; i < n->nargs; i++) {
		if ((r = eval_node(in, &n->args[i], env, &argv[i], err)) != 0)
			goto out;
		done++;
	}
	c.argv = argv;
	r = fns[n->fn].impl(&c, out);
	if (r == SD_ERR_NOMEM && err != NULL && err->message == NULL)
		sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 out:
	for (i = 0; i < done; i++)
		json_decref(argv[i]);
	if (argv != stackv)
		free(argv);
	return r;
}

int
sd_intrinsic_eval(const struct sd_intrinsic *in,
    const struct sd_intrinsic_env *env, json_t **out, struct sd_error *err)
{
	int r;

	if (out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no output");
	*out = NULL;
	if (in == NULL || env == NULL || env->resolve == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "intrinsic evaluation without an expression or resolver");
	r = eval_node(in, &in->root, env, out, err);
	if (r != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

/* ------------------------------------------------------------ numbers */

/*
 * Truncate a JSON number toward zero into *v (Java's (long) cast), for
 * values that fit comfortably; 0 when v is not such a number.
 */
static int
num_trunc(const json_t *j, long long *v)
{
	double d;

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 1;
	}
	if (!json_is_real(j))
		return 0;
	d = trunc(json_real_value(j));
	if (!(d >= -9007199254740992.0 && d <= 9007199254740992.0))
		return 0;
	*v = (long long)d;
	return 1;
}

/* Java Math.round: nearest, ties toward positive infinity. */
static int
num_round(const json_t *j, long long *v)
{
	double d, f;

	if (json_is_integer(j)) {
		*v = json_integer_value(j);
		return 1;
	}
	if (!json_is_real(j))
		return 0;
	d = json_real_value(j);
	f = floor(d);
	if (d - f >= 0.5)
		f += 1.0;
	if (!(f >= -9007199254740992.0 && f <= 9007199254740992.0))
		return 0;
	*v = (long long)f;
	return 1;
}

/* Java's Double.toString. */
static int
java_double(struct sd_buf *b, double d)
{
	char tmp[64], dig[32];
	int prec, exp10 = 0, nd = 0, i, n;
	const char *p;

	if (d == 0.0)
		return sd_buf_puts(b, signbit(d) ? "-0.0" : "0.0");
	if (!isfinite(d))
		return sd_buf_puts(b, isnan(d) ? "NaN" : (d < 0 ?
		    "-Infinity" : "Infinity"));
	for (prec = 1; prec <= 17; prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (n < 0 || (size_t)n >= sizeof(tmp))
			return SD_ERR_INTERNAL;
		if (strtod(tmp, NULL) == d)
			break;
	}
	/* tmp: [-]D[.DDD]e[+-]XX */
	p = tmp;
	if (*p == '-') {
		if (sd_buf_putc(b, '-') != 0)
			return SD_ERR_NOMEM;
		p++;
	}
	for (; *p != 'e' && *p != '\0'; p++)
		if (*p != '.' && nd < (int)sizeof(dig) - 1)
			dig[nd++] = *p;
	if (*p == 'e')
		exp10 = (int)strtol(p + 1, NULL, 10);
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = '\0';
	if (fabs(d) >= 1e-3 && fabs(d) < 1e7) {
		if (exp10 >= 0) {
			for (i = 0; i <= exp10; i++)
				if (sd_buf_putc(b, i < nd ? dig[i] : '0') != 0)
					return SD_ERR_NOMEM;
			if (sd_buf_putc(b, '.') != 0)
				return SD_ERR_NOMEM;
			if (nd <= exp10 + 1)
				return sd_buf_putc(b, '0');
			return sd_buf_puts(b, dig + exp10 + 1);
		}
		if (sd_buf_puts(b, "0.") != 0)
			return SD_ERR_NOMEM;
		for (i = 0; i < -exp10 - 1; i++)
			if (sd_buf_putc(b, '0') != 0)
				return SD_ERR_NOMEM;
		return sd_buf_puts(b, dig);
	}
	return sd_buf_printf(b, "%c.%sE%d", dig[0], nd > 1 ? dig + 1 : "0",
	    exp10);
}

/*
 * The text Java gives a value read from JSON (String.valueOf): strings
 * raw, {k=v, k2=v2} for objects, [a, b] for arrays.
 */
static int
render(struct sd_buf *b, const json_t *v, int depth)
{
	size_t i, n;
	void *it;
	int r;

	if (depth > SD_INTR_RENDER_DEPTH)
		return SD_ERR_LIMIT;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return sd_buf_append(b, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return sd_buf_printf(b, "%lld",
		    (long long)json_integer_value(v));
	case JSON_REAL:
		return java_double(b, json_real_value(v));
	case JSON_TRUE:
		return sd_buf_puts(b, "true");
	case JSON_FALSE:
		return sd_buf_puts(b, "false");
	case JSON_NULL:
		return sd_buf_puts(b, "null");
	case JSON_ARRAY:
		if ((r = sd_buf_putc(b, '[')) != 0)
			return r;
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i > 0 && (r = sd_buf_append(b, ", ", 2)) != 0)
				return r;
			if ((r = render(b, json_array_get(v, i), depth + 1)) != 0)
				return r;
		}
		return sd_buf_putc(b, ']');
	case JSON_OBJECT:
		if ((r = sd_buf_putc(b, '{')) != 0)
			return r;
		for (it = json_object_iter((json_t *)v), i = 0; it != NULL;
		    it = json_object_iter_next((json_t *)v, it), i++) {
			if (i > 0 && (r = sd_buf_append(b, ", ", 2)) != 0)
				return r;
			if ((r = sd_buf_append(b, json_object_iter_key(it),
			    json_object_iter_key_len(it))) != 0 ||
			    (r = sd_buf_putc(b, '=')) != 0 ||
			    (r = render(b, json_object_iter_value(it),
			    depth + 1)) != 0)
				return r;
		}
		return sd_buf_putc(b, '}');
	}
	return SD_ERR_INTERNAL;
}

/* Report a failed sd_buf-building step. */
static int
fail_build(struct call *c, int r)
{
	if (r == SD_ERR_NOMEM)
		return sd_error_set(c->err, r, NULL, "out of memory");
	return fail_limit(c, "result too large");
}

/* New JSON string from a buffer (which is released). */
static int
buf_to_string(struct call *c, struct sd_buf *b, json_t **out)
{
	int r = 0;

	if (b->failed)
		r = fail_build(c, SD_ERR_OVERFLOW);
	else if ((*out = json_stringn(b->data != NULL ? b->data : "",
	    b->len)) == NULL)
		r = sd_error_set(c->err, SD_ERR_NOMEM, NULL, "out of memory");
	sd_buf_release(b);
	return r;
}

/* Number of code points in a UTF-8 string. */
static size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Decode the code point at s[*i] (valid UTF-8, as jansson guarantees) and
 * advance *i.
 */
static uint32_t
utf8_next(const char *s, size_t len, size_t *i)
{
	unsigned char c = (unsigned char)s[*i];
	uint32_t cp;
	size_t n, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		cp = c & 0x1f;
		n = 1;
	} else if ((c & 0xf0) == 0xe0) {
		cp = c & 0x0f;
		n = 2;
	} else {
		cp = c & 0x07;
		n = 3;
	}
	(*i)++;
	for (k = 0; k < n && *i < len; k++, (*i)++)
		cp = (cp << 6) | ((unsigned char)s[*i] & 0x3f);
	return cp;
}

/* ------------------------------------------------------------ functions */

/*
 * Walk a Format template: count placeholders (out == NULL) or render.
 * Literal templates are read as written, so \{ \} \' \\ are plain text.
 * Returns 0, SD_ERR_PARSE for a brace with no partner, or a buf error.
 */
static int
format_walk(const char *t, size_t len, int escapes, struct call *c,
    size_t *count, struct sd_buf *out)
{
	size_t i, k = 0;
	int r;

	for (i = 0; i < len; i++) {
		char ch = t[i];

		if (escapes && ch == '\\' && i + 1 < len) {
			ch = t[++i];
		} else if (ch == '{') {
			if (i + 1 >= len || t[i + 1] != '}')
				return SD_ERR_PARSE;
			i++;
			if (out != NULL) {
				if (k + 1 >= c->argc)
					return SD_ERR_INTERNAL;
				if ((r = render(out, c->argv[++k], 0)) != 0)
					return r;
			} else
				k++;
			continue;
		} else if (ch == '}')
			return SD_ERR_INVALID;
		if (out != NULL && (r = sd_buf_putc(out, ch)) != 0)
			return r;
	}
	*count = k;
	return 0;
}

static int
fn_format(struct call *c, json_t **out)
{
	struct sd_buf b;
	const struct node *t = &c->n->args[0];
	const char *tmpl;
	size_t tlen, count = 0;
	int escapes = 0, r;

	if (!json_is_string(c->argv[0]))
		return fail_args(c);
	if (t->kind == N_LIT) {
		tmpl = c->in->text + t->off;
		tlen = t->len;
		escapes = 1;
	} else {
		tmpl = json_string_value(c->argv[0]);
		tlen = json_string_length(c->argv[0]);
	}
	r = format_walk(tmpl, tlen, escapes, c, &count, NULL);
	if (r == SD_ERR_PARSE)
		return sd_error_set(c->err, SD_ERR_RUNTIME, NULL,
		    "The function '%s' had the following error: Invalid template "
		    "in States.Format: matching '}' not found for '{'.",
		    c->in->text);
	if (r == SD_ERR_INVALID)
		return sd_error_set(c->err, SD_ERR_RUNTIME, NULL,
		    "The function '%s' had the following error: Invalid template "
		    "in States.Format: matching '{' not found for '}'.",
		    c->in->text);
	if (r != 0)
		return fail_build(c, r);
	if (count != c->argc - 1)
		return fail_detail(c, ": number of arguments do not match the "
		    "occurrences of {}.");
	sd_buf_init(&b, SD_INTR_STR_MAX);
	if ((r = format_walk(tmpl, tlen, escapes, c, &count, &b)) != 0) {
		sd_buf_release(&b);
		return fail_build(c, r);
	}
	return buf_to_string(c, &b, out);
}

static int
fn_string_to_json(struct call *c, json_t **out)
{
	json_error_t je;
	const char *s;
	size_t len, i;

	if (!json_is_string(c->argv[0]))
		return fail_args(c);
	s = json_string_value(c->argv[0]);
	len = json_string_length(c->argv[0]);
	for (i = 0; i < len && is_space(s[i]); i++)
		;
	if (i == len) {		/* empty or blank: no value, as AWS */
		*out = json_null();
		return 0;
	}
	/* Like Jackson's readTree: the first value; text after it is ignored. */
	*out = json_loadb(s, len, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK |
	    JSON_ALLOW_NUL, &je);
	if (*out == NULL)
		return fail_args(c);
	/* ...but a number must be followed by space ("1x" is an error) */
	if (json_is_number(*out) && je.position >= 0 &&
	    (size_t)je.position < len && !is_space(s[je.position])) {
		json_decref(*out);
		*out = NULL;
		return fail_args(c);
	}
	return 0;
}

static int
fn_json_to_string(struct call *c, json_t **out)
{
	struct sd_buf b;
	int r;

	sd_buf_init(&b, SD_INTR_STR_MAX);
	if ((r = sd_json_dump_buf(c->argv[0], &b, 0)) != 0) {
		/* sd_json reports a full buffer as NOMEM: call it too large */
		sd_buf_release(&b);
		return fail_build(c, SD_ERR_OVERFLOW);
	}
	return buf_to_string(c, &b, out);
}

static int
fn_array(struct call *c, json_t **out)
{
	json_t *a;
	size_t i;

	if ((a = json_array()) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < c->argc; i++)
		if (json_array_append(a, c->argv[i]) != 0) {
			json_decref(a);
			return SD_ERR_NOMEM;
		}
	*out = a;
	return 0;
}

static int
fn_array_partition(struct call *c, json_t **out)
{
	json_t *a = c->argv[0], *res = NULL, *chunk = NULL;
	long long size;
	size_t i, n;

	if (!json_is_array(a) || !num_trunc(c->argv[1], &size) || size < 1)
		return fail_args(c);
	n = json_array_size(a);
	if ((res = json_array()) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		if (chunk == NULL && (chunk = json_array()) == NULL)
			goto nomem;
		if (json_array_append(chunk, json_array_get(a, i)) != 0)
			goto nomem;
		if (json_array_size(chunk) == (unsigned long long)size ||
		    i + 1 == n) {
			if (json_array_append_new(res, chunk) != 0) {
				chunk = NULL;
				goto nomem;
			}
			chunk = NULL;
		}
	}
	*out = res;
	return 0;
 nomem:
	json_decref(chunk);
	json_decref(res);
	return SD_ERR_NOMEM;
}

static int
fn_array_contains(struct call *c, json_t **out)
{
	struct sd_buf want, have;
	json_t *a = c->argv[0];
	size_t i, n;
	int found = 0, r;

	if (!json_is_array(a))
		return fail_args(c);
	sd_buf_init(&want, SD_INTR_STR_MAX);
	sd_buf_init(&have, SD_INTR_STR_MAX);
	if ((r = render(&want, c->argv[1], 0)) != 0)
		goto out;
	n = json_array_size(a);
	for (i = 0; i < n && !found; i++) {
		sd_buf_reset(&have);
		if ((r = render(&have, json_array_get(a, i), 0)) != 0)
			goto out;
		found = have.len == want.len && (want.len == 0 ||
		    memcmp(have.data, want.data, want.len) == 0);
	}
	*out = json_boolean(found);
	r = 0;
 out:
	sd_buf_release(&want);
	sd_buf_release(&have);
	return r == 0 ? 0 : fail_build(c, r);
}

static int
fn_array_range(struct call *c, json_t **out)
{
	long long start, end, step, v;
	unsigned long long span, count = 0, k;
	json_t *res;

	if (!num_trunc(c->argv[0], &start) || !num_trunc(c->argv[1], &end) ||
	    !num_trunc(c->argv[2], &step) || step == 0)
		return fail_args(c);
	/* |values| <= 2^53 here, so the differences cannot overflow. */
	if (step > 0 && start <= end) {
		span = (unsigned long long)(end - start);
		count = span / (unsigned long long)step + 1;
	} else if (step < 0 && start >= end) {
		span = (unsigned long long)(start - end);
		count = span / (unsigned long long)(-step) + 1;
	}
	if (count > SD_INTR_RANGE_MAX)
		return fail_args(c);
	if ((res = json_array()) == NULL)
		return SD_ERR_NOMEM;
	for (k = 0, v = start; k < count; k++, v += step)
		if (json_array_append_new(res, json_integer(v)) != 0) {
			json_decref(res);
			return SD_ERR_NOMEM;
		}
	*out = res;
	return 0;
}

static int
fn_array_get_item(struct call *c, json_t **out)
{
	json_t *a = c->argv[0];
	long long idx;

	if (!json_is_array(a) || !num_trunc(c->argv[1], &idx))
		return fail_args(c);
	if (json_array_size(a) == 0) {	/* AWS answers null here */
		*out = json_null();
		return 0;
	}
	if (idx < 0 || (unsigned long long)idx >= json_array_size(a))
		return fail_args(c);
	*out = json_incref(json_array_get(a, (size_t)idx));
	return 0;
}

static int
fn_array_length(struct call *c, json_t **out)
{
	if (!json_is_array(c->argv[0]))
		return fail_args(c);
	if ((*out = json_integer((json_int_t)json_array_size(c->argv[0]))) ==
	    NULL)
		return SD_ERR_NOMEM;
	return 0;
}

/* ---- ArrayUnique: java.util.HashSet over the values Jackson reads. */

static uint32_t
jhash_string(const char *s, size_t len)
{
	uint32_t h = 0, cp;
	size_t i = 0;

	while (i < len) {
		cp = utf8_next(s, len, &i);
		if (cp >= 0x10000) {	/* UTF-16 surrogate pair */
			cp -= 0x10000;
			h = 31 * h + (0xd800 + (cp >> 10));
			h = 31 * h + (0xdc00 + (cp & 0x3ff));
		} else
			h = 31 * h + cp;
	}
	return h;
}

static uint32_t
jhash(const json_t *v, int depth)
{
	uint64_t bits;
	uint32_t h;
	long long iv;
	double d;
	size_t i, n;
	void *it;

	if (depth > SD_INTR_RENDER_DEPTH)
		return 0;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return 0;
	case JSON_TRUE:
		return 1231;
	case JSON_FALSE:
		return 1237;
	case JSON_INTEGER:
		iv = json_integer_value(v);
		if (iv >= INT32_MIN && iv <= INT32_MAX)
			return (uint32_t)iv;	/* Integer */
		bits = (uint64_t)iv;		/* Long */
		return (uint32_t)(bits ^ (bits >> 32));
	case JSON_REAL:
		d = json_real_value(v);
		memcpy(&bits, &d, sizeof(bits));
		return (uint32_t)(bits ^ (bits >> 32));
	case JSON_STRING:
		return jhash_string(json_string_value(v),
		    json_string_length(v));
	case JSON_ARRAY:
		h = 1;
		n = json_array_size(v);
		for (i = 0; i < n; i++)
			h = 31 * h + jhash(json_array_get(v, i), depth + 1);
		return h;
	case JSON_OBJECT:
		h = 0;
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it))
			h += jhash_string(json_object_iter_key(it),
			    json_object_iter_key_len(it)) ^
			    jhash(json_object_iter_value(it), depth + 1);
		return h;
	}
	return 0;
}

/* Java equals() on those values: Integer 1 is not Double 1.0. */
static int
jequal(const json_t *a, const json_t *b, int depth)
{
	size_t i, n;
	void *it;
	json_t *o;
	double x, y;

	if (a == b)
		return 1;
	if (json_typeof(a) != json_typeof(b) || depth > SD_INTR_RENDER_DEPTH)
		return 0;
	switch (json_typeof(a)) {
	case JSON_INTEGER:
		return json_integer_value(a) == json_integer_value(b);
	case JSON_REAL:
		x = json_real_value(a);
		y = json_real_value(b);
		return memcmp(&x, &y, sizeof(x)) == 0;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		n = json_array_size(a);
		if (n != json_array_size(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!jequal(json_array_get(a, i), json_array_get(b, i),
			    depth + 1))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (it = json_object_iter((json_t *)a); it != NULL;
		    it = json_object_iter_next((json_t *)a, it)) {
			o = json_object_getn(b, json_object_iter_key(it),
			    json_object_iter_key_len(it));
			if (o == NULL || !jequal(json_object_iter_value(it), o,
			    depth + 1))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static int
fn_array_unique(struct call *c, json_t **out)
{
	json_t *a = c->argv[0], *res = NULL;
	uint32_t *hash = NULL, *next = NULL, *head = NULL, *tail = NULL;
	size_t n, i, j, cap, want, b;
	int r = SD_ERR_NOMEM;

	if (!json_is_array(a))
		return fail_args(c);
	n = json_array_size(a);
	if (n >= UINT32_MAX / 2)
		return fail_limit(c, "array too large");
	/* new HashSet<>(list): capacity max(n / .75f + 1, 16), power of 2 */
	want = (size_t)((float)n / 0.75f) + 1;
	if (want < 16)
		want = 16;
	for (cap = 16; cap < want && cap < ((size_t)1 << 30); cap <<= 1)
		;
	if ((hash = calloc(n + 1, sizeof(*hash))) == NULL ||
	    (next = calloc(n + 1, sizeof(*next))) == NULL ||
	    (head = calloc(cap, sizeof(*head))) == NULL ||
	    (tail = calloc(cap, sizeof(*tail))) == NULL ||
	    (res = json_array()) == NULL)
		goto out;
	/* Chains of 1-based element indexes, in insertion order. */
	for (i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);
		uint32_t h = jhash(v, 0);

		h ^= h >> 16;		/* HashMap.hash() */
		hash[i] = h;
		b = h & (cap - 1);
		for (j = head[b]; j != 0; j = next[j - 1])
			if (hash[j - 1] == h &&
			    jequal(json_array_get(a, j - 1), v, 0))
				break;
		if (j != 0)
			continue;
		if (tail[b] == 0)
			head[b] = (uint32_t)(i + 1);
		else
			next[tail[b] - 1] = (uint32_t)(i + 1);
		tail[b] = (uint32_t)(i + 1);
	}
	for (b = 0; b < cap; b++)
		for (j = head[b]; j != 0; j = next[j - 1])
			if (json_array_append(res, json_array_get(a, j - 1)) != 0)
				goto out;
	*out = res;
	res = NULL;
	r = 0;
 out:
	json_decref(res);
	free(hash);
	free(next);
	free(head);
	free(tail);
	return r;
}

/* ---- Base64 */

static int
fn_base64_encode(struct call *c, json_t **out)
{
	const char *s;
	size_t len, olen;
	unsigned char *o = NULL;
	int n;

	if (!json_is_string(c->argv[0]))
		return fail_args(c);
	s = json_string_value(c->argv[0]);
	len = json_string_length(c->argv[0]);
	if (utf8_chars(s, len) > SD_INTR_CHARS_MAX)
		return fail_args(c);
	/* len <= 4 * SD_INTR_CHARS_MAX: no overflow below */
	olen = (len + 2) / 3 * 4 + 1;
	if ((o = malloc(olen)) == NULL)
		return SD_ERR_NOMEM;
	n = EVP_EncodeBlock(o, (const unsigned char *)s, (int)len);
	if (n < 0 || (size_t)n >= olen) {
		free(o);
		return sd_error_set(c->err, SD_ERR_INTERNAL, NULL,
		    "base64 encoding failed");
	}
	*out = json_stringn((const char *)o, (size_t)n);
	free(o);
	return *out == NULL ? SD_ERR_NOMEM : 0;
}

static int
b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

/*
 * Append bytes as UTF-8, replacing each maximal invalid subpart with
 * U+FFFD (as Java's decoder does).
 */
static int
utf8_sanitize(struct sd_buf *b, const unsigned char *s, size_t len)
{
	static const char repl[] = "\xef\xbf\xbd";
	size_t i = 0, n, k;
	unsigned char c, lo, hi;
	int r;

	while (i < len) {
		c = s[i];
		if (c < 0x80) {
			if ((r = sd_buf_putc(b, (char)c)) != 0)
				return r;
			i++;
			continue;
		}
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else {
			if ((r = sd_buf_append(b, repl, 3)) != 0)
				return r;
			i++;
			continue;
		}
		for (k = 1; k <= n; k++) {
			if (i + k >= len || s[i + k] < lo || s[i + k] > hi)
				break;
			lo = 0x80;
			hi = 0xbf;
		}
		if (k <= n) {		/* truncated or bad continuation */
			if ((r = sd_buf_append(b, repl, 3)) != 0)
				return r;
			i += k;
			continue;
		}
		if ((r = sd_buf_append(b, s + i, n + 1)) != 0)
			return r;
		i += n + 1;
	}
	return 0;
}

static int
fn_base64_decode(struct call *c, json_t **out)
{
	struct sd_buf b;
	const unsigned char *s;
	unsigned char *o = NULL;
	size_t len, i, n = 0;
	uint32_t acc = 0;
	int v, cnt = 0, r;

	if (!json_is_string(c->argv[0]))
		return fail_args(c);
	s = (const unsigned char *)json_string_value(c->argv[0]);
	len = json_string_length(c->argv[0]);
	if (utf8_chars((const char *)s, len) > SD_INTR_CHARS_MAX)
		return fail_args(c);
	if ((o = malloc(len / 4 * 3 + 3)) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < len && s[i] != '='; i++) {
		if ((v = b64_value(s[i])) < 0)
			continue;	/* lenient: skip what is not base64 */
		acc = (acc << 6) | (uint32_t)v;
		if (++cnt == 4) {
			o[n++] = (unsigned char)(acc >> 16);
			o[n++] = (unsigned char)(acc >> 8);
			o[n++] = (unsigned char)acc;
			acc = 0;
			cnt = 0;
		}
	}
	if (cnt == 2)
		o[n++] = (unsigned char)(acc >> 4);
	else if (cnt == 3) {
		o[n++] = (unsigned char)(acc >> 10);
		o[n++] = (unsigned char)(acc >> 2);
	}
	sd_buf_init(&b, SD_INTR_STR_MAX);
	r = utf8_sanitize(&b, o, n);
	free(o);
	if (r != 0) {
		sd_buf_release(&b);
		return fail_build(c, r);
	}
	return buf_to_string(c, &b, out);
}

/* ---- Hash */

static int
fn_hash(struct call *c, json_t **out)
{
	static const struct {
		const char	*name;
		const EVP_MD	*(*md)(void);
	} algs[] = {
		{ "MD5", EVP_md5 },
		{ "SHA-1", EVP_sha1 },
		{ "SHA-256", EVP_sha256 },
		{ "SHA-384", EVP_sha384 },
		{ "SHA-512", EVP_sha512 },
	};
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	char txt[EVP_MAX_MD_SIZE * 2 + 1];
	struct sd_buf b;
	const char *alg, *data;
	size_t i, len;
	unsigned int mdlen = 0;
	int r;

	if (!json_is_string(c->argv[1]))
		return fail_args(c);
	alg = json_string_value(c->argv[1]);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (json_string_length(c->argv[1]) == strlen(algs[i].name) &&
		    strcmp(alg, algs[i].name) == 0)
			break;
	if (i == sizeof(algs) / sizeof(algs[0]))
		return fail_args(c);
	/* AWS hashes a non-string by its text. */
	sd_buf_init(&b, SD_INTR_STR_MAX);
	if ((r = render(&b, c->argv[0], 0)) != 0) {
		sd_buf_release(&b);
		return fail_build(c, r);
	}
	data = b.data != NULL ? b.data : "";
	len = b.len;
	if (utf8_chars(data, len) > SD_INTR_CHARS_MAX) {
		sd_buf_release(&b);
		return fail_args(c);
	}
	r = EVP_Digest(data, len, md, &mdlen, algs[i].md(), NULL);
	sd_buf_release(&b);
	if (r != 1 || mdlen > EVP_MAX_MD_SIZE)
		return sd_error_set(c->err, SD_ERR_INTERNAL, NULL,
		    "digest %s failed", algs[i].name);
	for (i = 0; i < mdlen; i++) {
		txt[2 * i] = hex[md[i] >> 4];
		txt[2 * i + 1] = hex[md[i] & 0xf];
	}
	txt[2 * mdlen] = '\0';
	if ((*out = json_string(txt)) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

/* ---- JsonMerge */

/* Jackson's asBoolean(): true, "true", or a non-zero integer. */
static int
as_boolean(const json_t *v)
{
	const char *s;
	size_t len, i = 0;

	if (json_is_true(v))
		return 1;
	if (json_is_integer(v))
		return json_integer_value(v) != 0;
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	len = json_string_length(v);
	while (i < len && is_space(s[i]))
		i++;
	while (len > i && is_space(s[len - 1]))
		len--;
	return len - i == 4 && memcmp(s + i, "true", 4) == 0;
}

static int
fn_json_merge(struct call *c, json_t **out)
{
	json_t *res;

	if (!json_is_object(c->argv[0]) || !json_is_object(c->argv[1]) ||
	    as_boolean(c->argv[2]))	/* AWS merges shallowly only */
		return fail_args(c);
	if ((res = json_copy(c->argv[0])) == NULL)
		return SD_ERR_NOMEM;
	if (json_object_update(res, c->argv[1]) != 0) {
		json_decref(res);
		return SD_ERR_NOMEM;
	}
	*out = res;
	return 0;
}

/* ---- random numbers */

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
random_bytes(const struct sd_intrinsic_env *env, unsigned char *p, size_t n)
{
	uint64_t v;
	size_t k;

	if (env->rng == NULL)
		return RAND_bytes(p, (int)n) == 1 ? 0 : SD_ERR_INTERNAL;
	while (n > 0) {
		v = splitmix64(env->rng);
		k = n < sizeof(v) ? n : sizeof(v);
		memcpy(p, &v, k);
		p += k;
		n -= k;
	}
	return 0;
}

/* java.util.Random, so a seed gives what AWS's JVM would give. */
struct jrandom {
	uint64_t	seed;
};

static int32_t
jrandom_next(struct jrandom *jr, int bits)
{
	jr->seed = (jr->seed * 0x5deece66dULL + 0xbULL) &
	    ((1ULL << 48) - 1);
	return (int32_t)(uint32_t)(jr->seed >> (48 - bits));
}

static int32_t
jrandom_next_int(struct jrandom *jr, int32_t bound)
{
	int32_t r = jrandom_next(jr, 31), m = bound - 1, u;

	if ((bound & m) == 0)
		return (int32_t)(((int64_t)bound * (int64_t)r) >> 31);
	for (u = r; (int32_t)((uint32_t)u - (uint32_t)(r = u % bound) +
	    (uint32_t)m) < 0; u = jrandom_next(jr, 31))
		;
	return r;
}

static int
fn_math_random(struct call *c, json_t **out)
{
	long long start, end, seed, bound, v;
	uint64_t x, lim;
	struct jrandom jr;
	int r;

	if (!num_trunc(c->argv[0], &start) || !num_trunc(c->argv[1], &end) ||
	    start < INT32_MIN || end > INT32_MAX || start >= end)
		return fail_args(c);
	bound = end - start;
	if (bound > INT32_MAX)
		return fail_args(c);
	if (c->argc == 3) {
		if (!num_trunc(c->argv[2], &seed))
			return fail_args(c);
		jr.seed = ((uint64_t)seed ^ 0x5deece66dULL) &
		    ((1ULL << 48) - 1);
		v = start + jrandom_next_int(&jr, (int32_t)bound);
	} else {
		/* unbiased: reject the top partial block */
		lim = UINT64_MAX - UINT64_MAX % (uint64_t)bound;
		do {
			if ((r = random_bytes(c->env, (unsigned char *)&x,
			    sizeof(x))) != 0)
				return sd_error_set(c->err, r, NULL,
				    "no random numbers available");
		} while (x >= lim);
		v = start + (long long)(x % (uint64_t)bound);
	}
	if ((*out = json_integer(v)) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

static int
fn_uuid(struct call *c, json_t **out)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char u[16];
	char txt[37];
	size_t i, k = 0;
	int r;

	if ((r = random_bytes(c->env, u, sizeof(u))) != 0)
		return sd_error_set(c->err, r, NULL,
		    "no random numbers available");
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);	/* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	for (i = 0; i < sizeof(u); i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			txt[k++] = '-';
		txt[k++] = hex[u[i] >> 4];
		txt[k++] = hex[u[i] & 0xf];
	}
	txt[k] = '\0';
	if ((*out = json_string(txt)) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

/* ---- MathAdd */

static int
fn_math_add(struct call *c, json_t **out)
{
	long long a, b, s;

	if (!num_round(c->argv[0], &a) || !num_round(c->argv[1], &b) ||
	    a < INT32_MIN || a > INT32_MAX || b < INT32_MIN || b > INT32_MAX)
		return fail_args(c);
	s = a + b;		/* both fit in 32 bits: no overflow */
	if (s < INT32_MIN || s > INT32_MAX)
		return fail_args(c);
	if ((*out = json_integer(s)) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

/* ---- StringSplit */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
fn_string_split(struct call *c, json_t **out)
{
	const char *s, *d;
	size_t slen, dlen, nd = 0, i, tok, prev;
	uint32_t *set = NULL, cp;
	json_t *res = NULL;
	int r = SD_ERR_NOMEM;

	if (!json_is_string(c->argv[0]) || !json_is_string(c->argv[1]))
		return fail_args(c);
	s = json_string_value(c->argv[0]);
	slen = json_string_length(c->argv[0]);
	d = json_string_value(c->argv[1]);
	dlen = json_string_length(c->argv[1]);
	/* The delimiters: a set of code points, as StringTokenizer. */
	if ((set = calloc(dlen + 1, sizeof(*set))) == NULL)
		goto out;
	for (i = 0; i < dlen; )
		set[nd++] = utf8_next(d, dlen, &i);
	qsort(set, nd, sizeof(*set), cmp_u32);
	if ((res = json_array()) == NULL)
		goto out;
	for (i = 0, tok = 0; i < slen; ) {
		prev = i;
		cp = utf8_next(s, slen, &i);
		if (nd == 0 || bsearch(&cp, set, nd, sizeof(*set),
		    cmp_u32) == NULL)
			continue;
		if (prev > tok && json_array_append_new(res,
		    json_stringn(s + tok, prev - tok)) != 0)
			goto out;
		tok = i;
	}
	if (slen > tok && json_array_append_new(res,
	    json_stringn(s + tok, slen - tok)) != 0)
		goto out;
	*out = res;
	res = NULL;
	r = 0;
 out:
	json_decref(res);
	free(set);
	return r;
}
