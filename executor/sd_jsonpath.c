/*
 * sd_jsonpath: JSONPath with the semantics of Jayway JsonPath, which AWS
 * Step Functions uses (see sd_jsonpath.h).
 *
 * A path compiles into an array of segments (Jayway's "tokens"). Evaluation
 * walks them the way Jayway does, including its rules on when a missing
 * property or a wrong type is an error and when it is silently skipped:
 * an error only while every earlier segment is definite ("upstream
 * definite"), a skip once the path has fanned out. A definite path made of
 * names and single indexes takes a fast path that does not allocate.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_jsonpath.h"

#define JP_MAX_EXPR		4096	/* bytes of path text */
#define JP_MAX_NEST		64	/* filters, parentheses, negations */
#define JP_MAX_EVAL_DEPTH	4096	/* recursion while evaluating */
#define JP_MAX_RESULTS		((size_t)1 << 20)
#define JP_MAX_STEPS		((size_t)1 << 24)	/* nodes visited per eval */
#define JP_MAX_MSG		((size_t)1 << 20)
#define JP_MAX_NUMBER		64	/* bytes of a number literal */

enum seg_kind {
	SEG_NAME = 0,		/* ['a'] or .a */
	SEG_NAMES,		/* ['a','b'] */
	SEG_INDEX,		/* [0], [-1] */
	SEG_INDEXES,		/* [0,2] */
	SEG_SLICE,		/* [a:b:c] */
	SEG_WILDCARD,		/* [*] or .* */
	SEG_SCAN,		/* ..  (applies to the next segment) */
	SEG_FILTER,		/* [?(...)] */
};

struct fnode;

struct seg {
	unsigned char	 kind;
	unsigned char	 delim;		/* quote Jayway prints around names */
	unsigned char	 leaf;		/* last segment */
	unsigned char	 updef;		/* every earlier segment is definite */
	unsigned char	 has_from;
	unsigned char	 has_to;
	unsigned char	 has_step;
	size_t		 n;		/* name length, or size of a union */
	union {
		struct {
			char		*s;
		} name;
		long long	 idx;
		struct {
			char		**s;
			size_t		 *len;
		} names;
		long long	*idxs;
		struct {
			long long	 from, to, step;
		} slice;
		struct fnode	*filter;
	} u;
};

struct seglist {
	struct seg	*v;
	size_t		 n;
	int		 definite;	/* Jayway: every segment definite */
	int		 simple;	/* only single names and indexes */
};

enum { OPD_LIT = 0, OPD_CUR, OPD_ROOT };

struct operand {
	int		 kind;
	json_t		*lit;		/* OPD_LIT */
	struct seglist	 path;		/* OPD_CUR ("@...") / OPD_ROOT ("$...") */
};

enum { FN_OR = 0, FN_AND, FN_NOT, FN_EXISTS, FN_CMP };
enum { OP_EQ = 0, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

struct fnode {
	int		 kind;
	int		 op;		/* FN_CMP */
	struct fnode	**kids;		/* FN_OR, FN_AND */
	size_t		 nkids;
	struct fnode	*kid;		/* FN_NOT */
	struct operand	 a, b;		/* FN_EXISTS: a; FN_CMP: a op b */
};

struct sd_jsonpath {
	char			*text;
	enum sd_jsonpath_root	 root;
	char			*var;
	struct seglist		 path;
};

/* ------------------------------------------------------------ freeing */

static void fnode_free(struct fnode *);

static void
seglist_release(struct seglist *sl)
{
	size_t i, j;
	struct seg *sg;

	if (sl == NULL || sl->v == NULL)
		return;
	for (i = 0; i < sl->n; i++) {
		sg = &sl->v[i];
		switch (sg->kind) {
		case SEG_NAME:
			free(sg->u.name.s);
			break;
		case SEG_NAMES:
			for (j = 0; j < sg->n; j++)
				free(sg->u.names.s[j]);
			free(sg->u.names.s);
			free(sg->u.names.len);
			break;
		case SEG_INDEXES:
			free(sg->u.idxs);
			break;
		case SEG_FILTER:
			fnode_free(sg->u.filter);
			break;
		default:
			break;
		}
	}
	free(sl->v);
	sl->v = NULL;
	sl->n = 0;
}

static void
operand_release(struct operand *o)
{
	json_decref(o->lit);
	o->lit = NULL;
	seglist_release(&o->path);
}

static void
fnode_free(struct fnode *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nkids; i++)
		fnode_free(f->kids[i]);
	free(f->kids);
	fnode_free(f->kid);
	operand_release(&f->a);
	operand_release(&f->b);
	free(f);
}

void
sd_jsonpath_free(struct sd_jsonpath *jp)
{
	if (jp == NULL)
		return;
	seglist_release(&jp->path);
	free(jp->text);
	free(jp->var);
	free(jp);
}

/* ------------------------------------------------------------ printing */

/* Jayway's fragment for one name: \ and ' escaped, whatever the quote. */
static int
put_name(struct sd_buf *b, const char *s, size_t len, char delim)
{
	size_t i;

	if (sd_buf_putc(b, delim) != 0)
		return SD_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if ((s[i] == '\\' || s[i] == '\'') && sd_buf_putc(b, '\\') != 0)
			return SD_ERR_NOMEM;
		if (sd_buf_putc(b, s[i]) != 0)
			return SD_ERR_NOMEM;
	}
	return sd_buf_putc(b, delim) != 0 ? SD_ERR_NOMEM : 0;
}

static int
put_fragment(struct sd_buf *b, const struct seg *sg)
{
	size_t i;
	int r = 0;

	switch (sg->kind) {
	case SEG_NAME:
		if (sd_buf_putc(b, '[') != 0 ||
		    put_name(b, sg->u.name.s, sg->n, (char)sg->delim) != 0 ||
		    sd_buf_putc(b, ']') != 0)
			r = SD_ERR_NOMEM;
		break;
	case SEG_NAMES:
		if (sd_buf_putc(b, '[') != 0)
			return SD_ERR_NOMEM;
		for (i = 0; i < sg->n; i++) {
			if ((i > 0 && sd_buf_putc(b, ',') != 0) ||
			    put_name(b, sg->u.names.s[i], sg->u.names.len[i],
			    (char)sg->delim) != 0)
				return SD_ERR_NOMEM;
		}
		r = sd_buf_putc(b, ']');
		break;
	case SEG_INDEX:
		r = sd_buf_printf(b, "[%lld]", sg->u.idx);
		break;
	case SEG_INDEXES:
		if (sd_buf_putc(b, '[') != 0)
			return SD_ERR_NOMEM;
		for (i = 0; i < sg->n; i++)
			if (sd_buf_printf(b, i > 0 ? ",%lld" : "%lld",
			    sg->u.idxs[i]) != 0)
				return SD_ERR_NOMEM;
		r = sd_buf_putc(b, ']');
		break;
	case SEG_SLICE:
		if (sd_buf_putc(b, '[') != 0 ||
		    (sg->has_from &&
		    sd_buf_printf(b, "%lld", sg->u.slice.from) != 0) ||
		    sd_buf_putc(b, ':') != 0 ||
		    (sg->has_to && sd_buf_printf(b, "%lld", sg->u.slice.to) != 0))
			return SD_ERR_NOMEM;
		if (sg->has_step &&
		    sd_buf_printf(b, ":%lld", sg->u.slice.step) != 0)
			return SD_ERR_NOMEM;
		r = sd_buf_putc(b, ']');
		break;
	case SEG_WILDCARD:
		r = sd_buf_puts(b, "[*]");
		break;
	case SEG_SCAN:
		r = sd_buf_puts(b, "..");
		break;
	case SEG_FILTER:
		r = sd_buf_puts(b, "[?]");
		break;
	default:
		r = SD_ERR_INTERNAL;
		break;
	}
	return r != 0 ? SD_ERR_NOMEM : 0;
}

static int
put_segs(struct sd_buf *b, const struct seglist *sl, size_t from)
{
	size_t i;

	for (i = from; i < sl->n; i++)
		if (put_fragment(b, &sl->v[i]) != 0)
			return SD_ERR_NOMEM;
	return 0;
}

char *
sd_jsonpath_normalized(const struct sd_jsonpath *jp)
{
	struct sd_buf b;

	if (jp == NULL)
		return NULL;
	sd_buf_init(&b, JP_MAX_MSG);
	if (sd_buf_putc(&b, '$') != 0 || put_segs(&b, &jp->path, 0) != 0) {
		sd_buf_release(&b);
		return NULL;
	}
	return sd_buf_steal(&b);
}

/* ------------------------------------------------------------ accessors */

const char *
sd_jsonpath_text(const struct sd_jsonpath *jp)
{
	return jp != NULL ? jp->text : NULL;
}

enum sd_jsonpath_root
sd_jsonpath_root(const struct sd_jsonpath *jp)
{
	return jp != NULL ? jp->root : SD_JP_ROOT_INPUT;
}

const char *
sd_jsonpath_var_name(const struct sd_jsonpath *jp)
{
	if (jp == NULL || jp->root != SD_JP_ROOT_VARIABLE)
		return NULL;
	return jp->var;
}

int
sd_jsonpath_is_definite(const struct sd_jsonpath *jp)
{
	return jp != NULL && jp->path.simple;
}

int
sd_jsonpath_is_root(const struct sd_jsonpath *jp)
{
	return jp != NULL && jp->path.n == 0;
}

/* ------------------------------------------------------------ parser */

struct parser {
	const char	*s;		/* whole expression */
	size_t		 end;		/* end of the trimmed expression */
	size_t		 pos;
	int		 nest;
	struct sd_error	*err;
};

static int
perr(struct parser *p, size_t pos, const char *what)
{
	return sd_error_set(p->err, SD_ERR_PARSE, NULL,
	    "invalid JSONPath \"%s\": %s at position %zu", p->s, what, pos);
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Characters that end a path operand inside a filter expression. */
static int
is_filter_term(int c)
{
	return is_ws(c) || c == '<' || c == '>' || c == '=' || c == '!' ||
	    c == '~' || c == ')' || c == '&' || c == '|' || c == ',' ||
	    c == ']';
}

static int
peek(const struct parser *p)
{
	return p->pos < p->end ? (unsigned char)p->s[p->pos] : -1;
}

static int
peek_at(const struct parser *p, size_t off)
{
	if (off > p->end - p->pos || p->pos + off >= p->end)
		return -1;
	return (unsigned char)p->s[p->pos + off];
}

static void
skip_ws(struct parser *p)
{
	while (p->pos < p->end && is_ws((unsigned char)p->s[p->pos]))
		p->pos++;
}

static int
nest_enter(struct parser *p)
{
	if (++p->nest > JP_MAX_NEST)
		return sd_error_set(p->err, SD_ERR_LIMIT, NULL,
		    "invalid JSONPath \"%s\": nested deeper than %d at "
		    "position %zu", p->s, JP_MAX_NEST, p->pos);
	return 0;
}

static int
utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (n > len - i - 1)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += n + 1;
	}
	return 1;
}

/*
 * A quoted string at p->pos (' or "): a backslash escapes the enclosing
 * quote and is otherwise kept, as AWS reads names. Leaves p->pos after the
 * closing quote and the name's bytes in b.
 */
static int
parse_quoted(struct parser *p, struct sd_buf *b)
{
	size_t open = p->pos;
	int q = peek(p), c;

	p->pos++;
	for (;;) {
		if ((c = peek(p)) < 0)
			return perr(p, open, "unterminated string");
		p->pos++;
		if (c == q)
			break;
		if (c != '\\') {
			if (sd_buf_putc(b, (char)c) != 0)
				return SD_ERR_NOMEM;
			continue;
		}
		/*
		 * AWS keeps a backslash as it is unless it escapes the quote
		 * that encloses the name: $['a\\"b'] names the key a\\"b.
		 */
		if (peek(p) == q) {
			p->pos++;
			c = q;
		}
		if (sd_buf_putc(b, (char)c) != 0)
			return SD_ERR_NOMEM;
	}
	return b->failed ? SD_ERR_NOMEM : 0;
}

static char *
buf_take(struct sd_buf *b, size_t *len)
{
	*len = b->len;
	return sd_buf_steal(b);
}

static struct seg *
seg_push(struct seglist *sl, size_t *cap)
{
	struct seg *nv;
	size_t ncap;

	if (sl->n == *cap) {
		ncap = *cap == 0 ? 4 : *cap * 2;
		if (ncap < *cap || (nv = reallocarray(sl->v, ncap,
		    sizeof(*nv))) == NULL)
			return NULL;
		sl->v = nv;
		*cap = ncap;
	}
	memset(&sl->v[sl->n], 0, sizeof(sl->v[sl->n]));
	return &sl->v[sl->n++];
}

/* Optional integer (Jayway: a Java int). *has is 0 when none is there. */
static int
parse_int(struct parser *p, long long *out, int *has)
{
	size_t start = p->pos;
	long long v = 0;
	int neg = 0, c;

	*has = 0;
	if (peek(p) == '-') {
		neg = 1;
		p->pos++;
	}
	if (!is_digit(peek(p))) {
		if (neg)
			return perr(p, p->pos, "expected a digit");
		return 0;
	}
	while (is_digit(c = peek(p))) {
		v = v * 10 + (c - '0');
		if (v > (long long)INT_MAX + 1)
			return perr(p, start, "index out of range");
		p->pos++;
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN)
		return perr(p, start, "index out of range");
	*out = v;
	*has = 1;
	return 0;
}

static int parse_segs(struct parser *, struct seglist *, int);
static int parse_or(struct parser *, struct fnode **);

/* Quoted names: ['a'] or ['a', "b"]; p->pos at the first quote. */
static int
parse_names(struct parser *p, struct seg *sg)
{
	struct sd_buf b;
	char **s = NULL, **ns;
	size_t *lens = NULL, *nl;
	size_t n = 0, cap = 0, i;
	int r;

	sd_buf_init(&b, JP_MAX_EXPR * 4);
	sg->delim = (unsigned char)peek(p);
	for (;;) {
		if (peek(p) != '\'' && peek(p) != '"') {
			r = perr(p, p->pos, "expected a quoted name");
			goto out;
		}
		sd_buf_reset(&b);
		if ((r = parse_quoted(p, &b)) != 0)
			goto out;
		if (n == cap) {
			cap = cap == 0 ? 2 : cap * 2;
			if ((ns = reallocarray(s, cap, sizeof(*s))) == NULL) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			s = ns;
			if ((nl = reallocarray(lens, cap, sizeof(*lens))) ==
			    NULL) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			lens = nl;
		}
		if ((s[n] = buf_take(&b, &lens[n])) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		n++;
		skip_ws(p);
		if (peek(p) != ',')
			break;
		p->pos++;
		skip_ws(p);
	}
	if (n == 1) {
		sg->kind = SEG_NAME;
		sg->u.name.s = s[0];
		sg->n = lens[0];
		n = 0;
	} else {
		sg->kind = SEG_NAMES;
		sg->u.names.s = s;
		sg->u.names.len = lens;
		sg->n = n;
		s = NULL;
		lens = NULL;
		n = 0;
	}
	r = 0;
 out:
	for (i = 0; i < n; i++)
		free(s[i]);
	free(s);
	free(lens);
	sd_buf_release(&b);
	return r;
}

/* [1], [-1], [0,2], [1:3], [:2], [-2:], [::2]; p->pos inside the bracket. */
static int
parse_index_or_slice(struct parser *p, struct seg *sg)
{
	long long a = 0, v, *nv;
	size_t cap = 0;
	int has, r;

	if ((r = parse_int(p, &a, &has)) != 0)
		return r;
	skip_ws(p);
	if (peek(p) == ':') {
		sg->kind = SEG_SLICE;
		sg->has_from = (unsigned char)has;
		sg->u.slice.from = a;
		p->pos++;
		skip_ws(p);
		if ((r = parse_int(p, &sg->u.slice.to, &has)) != 0)
			return r;
		sg->has_to = (unsigned char)has;
		skip_ws(p);
		if (peek(p) == ':') {
			p->pos++;
			skip_ws(p);
			if ((r = parse_int(p, &sg->u.slice.step, &has)) != 0)
				return r;
			if (has && sg->u.slice.step == 0)
				return perr(p, p->pos - 1,
				    "slice step must not be zero");
			sg->has_step = (unsigned char)has;
		}
		return 0;
	}
	if (!has)
		return perr(p, p->pos, "expected an index");
	if (peek(p) != ',') {
		sg->kind = SEG_INDEX;
		sg->u.idx = a;
		return 0;
	}
	sg->kind = SEG_INDEXES;
	sg->n = 0;
	sg->u.idxs = NULL;
	v = a;
	for (;;) {
		if (sg->n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if ((nv = reallocarray(sg->u.idxs, cap,
			    sizeof(*nv))) == NULL)
				return SD_ERR_NOMEM;
			sg->u.idxs = nv;
		}
		sg->u.idxs[sg->n++] = v;
		skip_ws(p);
		if (peek(p) != ',')
			break;
		p->pos++;
		skip_ws(p);
		if ((r = parse_int(p, &v, &has)) != 0)
			return r;
		if (!has)
			return perr(p, p->pos, "expected an index");
	}
	return 0;
}

/*
 * A script index, the one form Jayway's JSONPath evaluates: "(@.length)"
 * or "(@.length-N)", the N-th item from the end of the current array
 * (the same item as [-N]; "(@.length)" selects nothing). p->pos at '('.
 */
static int
parse_script_index(struct parser *p, struct seg *sg)
{
	static const char kw[] = "@.length";
	long long n = 0;
	int has, r;

	p->pos++;
	skip_ws(p);
	if (strncmp(p->s + p->pos, kw, sizeof(kw) - 1) != 0)
		return perr(p, p->pos, "a script index must be (@.length-N)");
	p->pos += sizeof(kw) - 1;
	skip_ws(p);
	if (peek(p) == '-') {
		p->pos++;
		skip_ws(p);
		if ((r = parse_int(p, &n, &has)) != 0)
			return r;
		if (!has || n < 0)
			return perr(p, p->pos, "expected a number after "
			    "'@.length-'");
		skip_ws(p);
	}
	if (peek(p) != ')')
		return perr(p, p->pos, "expected ')' after the script index");
	p->pos++;
	sg->kind = SEG_INDEX;
	sg->u.idx = n > 0 ? -n : LLONG_MAX;
	return 0;
}

/* A bracket segment; p->pos at '['. */
static int
parse_bracket(struct parser *p, struct seglist *sl, size_t *cap)
{
	struct seg *sg;
	int c, r;

	if ((sg = seg_push(sl, cap)) == NULL)
		return SD_ERR_NOMEM;
	p->pos++;
	skip_ws(p);
	c = peek(p);
	if (c == '\'' || c == '"') {
		if ((r = parse_names(p, sg)) != 0)
			return r;
	} else if (c == '*') {
		sg->kind = SEG_WILDCARD;
		p->pos++;
	} else if (c == '?') {
		sg->kind = SEG_FILTER;
		p->pos++;
		skip_ws(p);
		if (peek(p) != '(')
			return perr(p, p->pos, "expected '(' after '?'");
		if ((r = nest_enter(p)) != 0)
			return r;
		if ((r = parse_or(p, &sg->u.filter)) != 0)
			return r;
		p->nest--;
	} else if (is_digit(c) || c == '-' || c == ':') {
		if ((r = parse_index_or_slice(p, sg)) != 0)
			return r;
	} else if (c == '(') {
		if ((r = parse_script_index(p, sg)) != 0)
			return r;
	} else
		return perr(p, p->pos, "expected a quoted name, an index, a "
		    "slice, '*', '?(' or '(@.length-N)'");
	skip_ws(p);
	if (peek(p) != ']')
		return perr(p, p->pos, "expected ']'");
	p->pos++;
	return 0;
}

/* A dotted name: runs to '.', '[' or the end (Jayway). */
static int
parse_dotted(struct parser *p, struct seglist *sl, size_t *cap, int infilter)
{
	struct seg *sg;
	size_t start = p->pos;
	int c;

	while ((c = peek(p)) >= 0) {
		if (c == '.' || c == '[')
			break;
		if (infilter && is_filter_term(c))
			break;
		if (c == ' ')
			return perr(p, p->pos, "use bracket notation ['my prop'] "
			    "for a name with blanks");
		if (c == '(')
			return perr(p, p->pos, "functions are not supported");
		p->pos++;
	}
	if (p->pos == start)
		return perr(p, p->pos, "expected a name");
	if ((sg = seg_push(sl, cap)) == NULL)
		return SD_ERR_NOMEM;
	sg->kind = SEG_NAME;
	sg->delim = '\'';
	sg->n = p->pos - start;
	if ((sg->u.name.s = strndup(p->s + start, sg->n)) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

static int
seg_definite(const struct seg *sg, int leaf)
{
	return sg->kind == SEG_NAME || sg->kind == SEG_INDEX ||
	    (sg->kind == SEG_NAMES && leaf);
}

static void
seglist_finish(struct seglist *sl)
{
	size_t i;
	int updef = 1;

	sl->definite = 1;
	sl->simple = 1;
	for (i = 0; i < sl->n; i++) {
		struct seg *sg = &sl->v[i];

		sg->leaf = (unsigned char)(i + 1 == sl->n);
		sg->updef = (unsigned char)updef;
		if (!seg_definite(sg, sg->leaf)) {
			updef = 0;
			sl->definite = 0;
		}
		if (sg->kind != SEG_NAME && sg->kind != SEG_INDEX)
			sl->simple = 0;
	}
}

/*
 * The segments after a root ($, $$, $name, @). At the top level they run
 * to the end; inside a filter they stop at an operator, blank or ')'.
 */
static int
parse_segs(struct parser *p, struct seglist *sl, int infilter)
{
	size_t cap = 0;
	struct seg *sg;
	int c, r;

	while ((c = peek(p)) >= 0) {
		if (infilter && is_filter_term(c))
			break;
		if (c == '[') {
			if ((r = parse_bracket(p, sl, &cap)) != 0)
				return r;
			continue;
		}
		if (c != '.')
			return perr(p, p->pos, "expected '.' or '['");
		if (peek_at(p, 1) == '.') {
			p->pos += 2;
			if ((sg = seg_push(sl, &cap)) == NULL)
				return SD_ERR_NOMEM;
			sg->kind = SEG_SCAN;
			c = peek(p);
			if (c == '.')
				return perr(p, p->pos, "unexpected '.'");
		} else {
			p->pos++;
			c = peek(p);
		}
		if (c < 0 || (infilter && is_filter_term(c)))
			return perr(p, p->pos, "path must not end with '.' "
			    "or '..'");
		if (c == '*') {
			if ((sg = seg_push(sl, &cap)) == NULL)
				return SD_ERR_NOMEM;
			sg->kind = SEG_WILDCARD;
			p->pos++;
		} else if (c == '[') {
			if ((r = parse_bracket(p, sl, &cap)) != 0)
				return r;
		} else if ((r = parse_dotted(p, sl, &cap, infilter)) != 0)
			return r;
	}
	seglist_finish(sl);
	return 0;
}

static int
fnode_new(struct fnode **out, int kind)
{
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return SD_ERR_NOMEM;
	(*out)->kind = kind;
	return 0;
}

static int
parse_number(struct parser *p, json_t **out)
{
	char num[JP_MAX_NUMBER + 1], *ep;
	size_t start = p->pos, len, i;
	int c, digits = 0, integral = 1;
	long long ll;
	double d;

	while ((c = peek(p)) >= 0 && (is_digit(c) || c == '-' || c == '+' ||
	    c == '.' || c == 'e' || c == 'E'))
		p->pos++;
	len = p->pos - start;
	if (len == 0 || len > JP_MAX_NUMBER)
		return perr(p, start, "invalid number");
	memcpy(num, p->s + start, len);
	num[len] = '\0';
	for (i = 0; i < len; i++) {
		if (is_digit((unsigned char)num[i]))
			digits = 1;
		else if (!(i == 0 && num[i] == '-'))
			integral = 0;
	}
	if (!digits)
		return perr(p, start, "invalid number");
	if (integral) {
		errno = 0;
		ll = strtoll(num, &ep, 10);
		if (errno == 0 && *ep == '\0') {
			*out = json_integer(ll);
			return *out == NULL ? SD_ERR_NOMEM : 0;
		}
	}
	errno = 0;
	d = strtod(num, &ep);
	if (*ep != '\0' || ep == num || !isfinite(d))
		return perr(p, start, "invalid number");
	*out = json_real(d);
	return *out == NULL ? SD_ERR_NOMEM : 0;
}

static int
is_word_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    is_digit(c) || c == '_';
}

static int
parse_keyword(struct parser *p, json_t **out)
{
	static const struct {
		const char	*w;
		size_t		 len;
	} kw[] = { { "true", 4 }, { "false", 5 }, { "null", 4 } };
	size_t i;

	for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
		if (p->end - p->pos < kw[i].len ||
		    memcmp(p->s + p->pos, kw[i].w, kw[i].len) != 0 ||
		    is_word_char(peek_at(p, kw[i].len)))
			continue;
		p->pos += kw[i].len;
		*out = i == 0 ? json_true() : i == 1 ? json_false() :
		    json_null();
		return 0;
	}
	return perr(p, p->pos, "expected a value");
}

static int
parse_operand(struct parser *p, struct operand *o)
{
	struct sd_buf b;
	char *s;
	size_t len;
	int c, r;

	skip_ws(p);
	c = peek(p);
	if (c == '@' || c == '$') {
		o->kind = c == '@' ? OPD_CUR : OPD_ROOT;
		p->pos++;
		return parse_segs(p, &o->path, 1);
	}
	o->kind = OPD_LIT;
	if (c == '\'' || c == '"') {
		sd_buf_init(&b, JP_MAX_EXPR * 4);
		if ((r = parse_quoted(p, &b)) != 0) {
			sd_buf_release(&b);
			return r;
		}
		if ((s = buf_take(&b, &len)) == NULL) {
			sd_buf_release(&b);
			return SD_ERR_NOMEM;
		}
		sd_buf_release(&b);
		o->lit = json_stringn_nocheck(s, len);
		free(s);
		return o->lit == NULL ? SD_ERR_NOMEM : 0;
	}
	if (c == 't' || c == 'f' || c == 'n')
		return parse_keyword(p, &o->lit);
	if (is_digit(c) || c == '-' || c == '+' || c == '.')
		return parse_number(p, &o->lit);
	return perr(p, p->pos, "expected a value or a path");
}

static int
parse_cmp(struct parser *p, struct fnode **out)
{
	struct fnode *f = NULL;
	size_t at;
	int c, r, op = -1;

	if ((r = fnode_new(&f, FN_CMP)) != 0)
		goto out;
	if ((r = parse_operand(p, &f->a)) != 0)
		goto out;
	skip_ws(p);
	at = p->pos;
	c = peek(p);
	if (c == '=' && peek_at(p, 1) == '=') {
		op = OP_EQ;
		p->pos += 2;
	} else if (c == '!' && peek_at(p, 1) == '=') {
		op = OP_NE;
		p->pos += 2;
	} else if (c == '<' && peek_at(p, 1) == '=') {
		op = OP_LE;
		p->pos += 2;
	} else if (c == '>' && peek_at(p, 1) == '=') {
		op = OP_GE;
		p->pos += 2;
	} else if (c == '<') {
		op = OP_LT;
		p->pos++;
	} else if (c == '>') {
		op = OP_GT;
		p->pos++;
	} else if (c == '=' || c == '~' || c == '!') {
		r = perr(p, at, "unsupported operator");
		goto out;
	}
	if (op >= 0 && (peek(p) == '=' || peek(p) == '~')) {
		r = perr(p, at, "unsupported operator");
		goto out;
	}
	if (op < 0) {
		if (f->a.kind == OPD_LIT) {
			r = perr(p, at, "expected a comparison operator");
			goto out;
		}
		f->kind = FN_EXISTS;
	} else {
		f->op = op;
		if ((r = parse_operand(p, &f->b)) != 0)
			goto out;
	}
	*out = f;
	f = NULL;
	r = 0;
 out:
	fnode_free(f);
	return r;
}

static int
parse_unary(struct parser *p, struct fnode **out)
{
	struct fnode *f = NULL;
	int r;

	skip_ws(p);
	if ((r = nest_enter(p)) != 0)
		return r;
	if (peek(p) == '!') {
		p->pos++;
		if ((r = fnode_new(&f, FN_NOT)) != 0)
			goto out;
		if ((r = parse_unary(p, &f->kid)) != 0)
			goto out;
	} else if (peek(p) == '(') {
		p->pos++;
		if ((r = parse_or(p, &f)) != 0)
			goto out;
		skip_ws(p);
		if (peek(p) != ')') {
			r = perr(p, p->pos, "expected ')'");
			goto out;
		}
		p->pos++;
	} else if ((r = parse_cmp(p, &f)) != 0)
		goto out;
	*out = f;
	f = NULL;
	p->nest--;
	r = 0;
 out:
	fnode_free(f);
	return r;
}

/* kind FN_AND: unary ('&&' unary)*; kind FN_OR: and ('||' and)*. */
static int
parse_list(struct parser *p, int kind, struct fnode **out)
{
	struct fnode *f = NULL, *kid = NULL, **nk;
	size_t cap = 0;
	char sym = kind == FN_AND ? '&' : '|';
	int r;

	for (;;) {
		r = kind == FN_AND ? parse_unary(p, &kid) :
		    parse_list(p, FN_AND, &kid);
		if (r != 0)
			goto out;
		skip_ws(p);
		if (f == NULL && peek(p) != sym) {
			*out = kid;
			return 0;
		}
		if (f == NULL && (r = fnode_new(&f, kind)) != 0)
			goto out;
		if (f->nkids == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if ((nk = reallocarray(f->kids, cap, sizeof(*nk))) ==
			    NULL) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			f->kids = nk;
		}
		f->kids[f->nkids++] = kid;
		kid = NULL;
		if (peek(p) != sym)
			break;
		if (peek_at(p, 1) != sym) {
			r = perr(p, p->pos, kind == FN_AND ? "expected '&&'" :
			    "expected '||'");
			goto out;
		}
		p->pos += 2;
	}
	*out = f;
	f = NULL;
	r = 0;
 out:
	fnode_free(kid);
	fnode_free(f);
	return r;
}

static int
parse_or(struct parser *p, struct fnode **out)
{
	return parse_list(p, FN_OR, out);
}

static int
is_var_char(int c, int first)
{
	if (c < 0)
		return 0;
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c >= 0x80 || (!first && is_digit(c));
}

int
sd_jsonpath_compile(const char *expr, struct sd_jsonpath **out,
    struct sd_error *err)
{
	struct sd_jsonpath *jp = NULL;
	struct parser p;
	size_t len, start;
	int r;

	if (out != NULL)
		*out = NULL;
	if (expr == NULL || out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "invalid JSONPath: no expression");
	len = strlen(expr);
	if (len > JP_MAX_EXPR)
		return sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "invalid JSONPath: longer than %d bytes", JP_MAX_EXPR);
	memset(&p, 0, sizeof(p));
	p.s = expr;
	p.err = err;
	if (!utf8_valid((const unsigned char *)expr, len))
		return perr(&p, 0, "invalid UTF-8");
	if ((jp = calloc(1, sizeof(*jp))) == NULL ||
	    (jp->text = strdup(expr)) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	/* Jayway trims surrounding blanks. */
	p.end = len;
	while (p.end > 0 && is_ws((unsigned char)expr[p.end - 1]))
		p.end--;
	skip_ws(&p);
	if (peek(&p) != '$') {
		r = perr(&p, p.pos, "a path must start with '$'");
		goto out;
	}
	p.pos++;
	if (peek(&p) == '$') {
		jp->root = SD_JP_ROOT_CONTEXT;
		p.pos++;
	} else if (is_var_char(peek(&p), 1)) {
		jp->root = SD_JP_ROOT_VARIABLE;
		start = p.pos;
		while (is_var_char(peek(&p), 0))
			p.pos++;
		if ((jp->var = strndup(expr + start, p.pos - start)) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
	} else
		jp->root = SD_JP_ROOT_INPUT;
	if ((r = parse_segs(&p, &jp->path, 0)) != 0)
		goto out;
	*out = jp;
	jp = NULL;
	r = 0;
 out:
	if (r == SD_ERR_NOMEM)
		sd_error_set(err, r, NULL, "out of memory compiling JSONPath");
	sd_jsonpath_free(jp);
	return r;
}

/* ------------------------------------------------------------ evaluation */

/* The concrete path to the node being visited, printed only in errors. */
struct trail {
	const struct trail	*up;
	const char		*key;	/* NULL: an array index */
	size_t			 klen;
	long long		 idx;
};

struct ev {
	json_t			*root;		/* "$" inside filters */
	json_t			*res;		/* results, in order */
	struct sd_error		*err;		/* NULL: no messages wanted */
	const struct seglist	*sl;
	int			 require;	/* Jayway REQUIRE_PROPERTIES */
	size_t			 depth;
	size_t			*steps;		/* shared with filter sub-walks */
};

static int
put_trail(struct sd_buf *b, const struct trail *t)
{
	if (t == NULL)
		return sd_buf_putc(b, '$');
	if (put_trail(b, t->up) != 0)
		return SD_ERR_NOMEM;
	if (t->key == NULL)
		return sd_buf_printf(b, "[%lld]", t->idx);
	if (sd_buf_append(b, "['", 2) != 0 ||
	    sd_buf_append(b, t->key, t->klen) != 0 ||
	    sd_buf_append(b, "']", 2) != 0)
		return SD_ERR_NOMEM;
	return 0;
}

/*
 * Fail the evaluation with SD_ERR_NOTFOUND. The message is
 * "<pre><trail><frag><mid><json>", where trail (when want_trail), the
 * fragment of segment fragseg (when >= 0) and the JSON of ctx (when
 * non-NULL) are optional.
 */
static int
ev_fail(struct ev *ev, const char *pre, int want_trail, const struct trail *t,
    const struct seg *frag, int rest, const char *mid, const json_t *ctx)
{
	struct sd_buf b;
	int r = 0;

	if (ev->err == NULL)
		return SD_ERR_NOTFOUND;
	sd_buf_init(&b, JP_MAX_MSG);
	if (sd_buf_puts(&b, pre) != 0)
		r = SD_ERR_NOMEM;
	if (r == 0 && want_trail && put_trail(&b, t) != 0)
		r = SD_ERR_NOMEM;
	if (r == 0 && frag != NULL) {
		if (rest)
			r = put_segs(&b, ev->sl, (size_t)(frag - ev->sl->v));
		else
			r = put_fragment(&b, frag);
	}
	if (r == 0 && mid != NULL && sd_buf_puts(&b, mid) != 0)
		r = SD_ERR_NOMEM;
	if (r == 0 && ctx != NULL && sd_json_dump_buf(ctx, &b, 0) != 0)
		r = SD_ERR_NOMEM;
	if (r == 0 && b.data != NULL)
		sd_error_set(ev->err, SD_ERR_NOTFOUND, NULL, "%s", b.data);
	else
		sd_error_set(ev->err, SD_ERR_NOTFOUND, NULL,
		    "No results for path");
	sd_buf_release(&b);
	return SD_ERR_NOTFOUND;
}

static int
ev_limit(struct ev *ev, const char *what)
{
	return sd_error_set(ev->err, SD_ERR_LIMIT, NULL,
	    "JSONPath evaluation exceeded the %s limit", what);
}

static int
emit(struct ev *ev, json_t *node)
{
	if (json_array_size(ev->res) >= JP_MAX_RESULTS)
		return ev_limit(ev, "result count");
	if (json_array_append(ev->res, node) != 0)
		return sd_error_set(ev->err, SD_ERR_NOMEM, NULL,
		    "out of memory evaluating JSONPath");
	return 0;
}

/* The fast walk: single names and indexes; borrowed result or NULL. */
static json_t *
walk_simple(const struct seglist *sl, json_t *node)
{
	const struct seg *sg;
	size_t k, len;
	long long i;

	for (k = 0; k < sl->n && node != NULL; k++) {
		sg = &sl->v[k];
		if (sg->kind == SEG_NAME) {
			if (!json_is_object(node))
				return NULL;
			node = json_object_getn(node, sg->u.name.s, sg->n);
		} else {
			if (!json_is_array(node))
				return NULL;
			len = json_array_size(node);
			i = sg->u.idx;
			if (i < 0)
				i += (long long)len;
			if (i < 0 || (unsigned long long)i >= len)
				return NULL;
			node = json_array_get(node, (size_t)i);
		}
	}
	return node;
}

static int eval_at(struct ev *, size_t, json_t *, const struct trail *);
static int accept(struct ev *, const struct fnode *, json_t *);

static int
not_object(struct ev *ev, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	struct sd_buf b;
	int r;

	if (!sg->updef)
		return 0;
	if (ev->err == NULL)
		return SD_ERR_NOTFOUND;
	/* "Expected to find an object with property ['b'] in path $['a']
	 * but found 'string'" */
	sd_buf_init(&b, JP_MAX_MSG);
	if (sd_buf_puts(&b, "Expected to find an object with property ") != 0 ||
	    put_fragment(&b, sg) != 0 || sd_buf_puts(&b, " in path ") != 0 ||
	    put_trail(&b, t) != 0 ||
	    sd_buf_printf(&b, " but found '%s'", sd_json_type_name(node)) != 0)
		r = sd_error_set(ev->err, SD_ERR_NOTFOUND, NULL,
		    "No results for path");
	else
		r = sd_error_set(ev->err, SD_ERR_NOTFOUND, NULL, "%s", b.data);
	sd_buf_release(&b);
	return r;
}

static int
eval_name(struct ev *ev, size_t i, const struct seg *sg, const char *name,
    size_t len, int tokdef, json_t *node, const struct trail *t)
{
	struct trail nt;
	json_t *v;

	if (!json_is_object(node))
		return not_object(ev, sg, node, t);
	nt.up = t;
	nt.key = name;
	nt.klen = len;
	nt.idx = 0;
	if ((v = json_object_getn(node, name, len)) == NULL) {
		if (sg->leaf) {
			if (ev->require)
				return ev_fail(ev, "No results for path: ", 1,
				    &nt, NULL, 0, NULL, NULL);
			return 0;
		}
		if (!(sg->updef && tokdef) && !ev->require)
			return 0;
		return ev_fail(ev, "Missing property in path ", 1, &nt, NULL,
		    0, NULL, NULL);
	}
	return eval_at(ev, i + 1, v, &nt);
}

/* Jayway: a union of names as the last segment merges into one object. */
static int
eval_merge(struct ev *ev, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	json_t *m = NULL, *v;
	size_t k;
	int r;

	if (!json_is_object(node))
		return not_object(ev, sg, node, t);
	if ((m = json_object()) == NULL)
		return SD_ERR_NOMEM;
	for (k = 0; k < sg->n; k++) {
		v = json_object_getn(node, sg->u.names.s[k],
		    sg->u.names.len[k]);
		if (v == NULL) {
			if (!ev->require)
				continue;
			r = ev_fail(ev, "Missing property in path ", 1, t, sg,
			    0, NULL, NULL);
			goto out;
		}
		if (json_object_setn(m, sg->u.names.s[k], sg->u.names.len[k],
		    v) != 0) {
			r = SD_ERR_NOMEM;
			goto out;
		}
	}
	r = emit(ev, m);
 out:
	json_decref(m);
	return r;
}

/* Jayway's checkArrayModel: 1 to go on, 0 to skip, or an error. */
static int
check_array(struct ev *ev, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	if (json_is_array(node))
		return 1;
	if (!sg->updef)
		return 0;
	if (json_is_null(node))
		return ev_fail(ev, "The path ", 1, t, NULL, 0, " is null",
		    NULL);
	return ev_fail(ev, "Filter: ", 0, NULL, sg, 1,
	    " can only be applied to arrays. Current context is: ", node);
}

static int
eval_index(struct ev *ev, size_t i, long long idx, json_t *node,
    const struct trail *t)
{
	struct trail nt;
	size_t len = json_array_size(node);
	long long eff = idx;

	if (eff < 0)
		eff += (long long)len;
	if (eff < 0 || (unsigned long long)eff >= len)
		return 0;
	nt.up = t;
	nt.key = NULL;
	nt.klen = 0;
	nt.idx = idx;
	return eval_at(ev, i + 1, json_array_get(node, (size_t)eff), &nt);
}

/* Python slice semantics. */
static int
eval_slice(struct ev *ev, size_t i, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	long long len = (long long)json_array_size(node);
	long long start, stop, step, k;
	int r;

	step = sg->has_step ? sg->u.slice.step : 1;
	if (step > 0) {
		start = sg->has_from ? sg->u.slice.from : 0;
		stop = sg->has_to ? sg->u.slice.to : len;
		if (start < 0 && (start += len) < 0)
			start = 0;
		if (start > len)
			start = len;
		if (stop < 0 && (stop += len) < 0)
			stop = 0;
		if (stop > len)
			stop = len;
		for (k = start; k < stop; k += step)
			if ((r = eval_index(ev, i, k, node, t)) != 0)
				return r;
	} else {
		start = sg->has_from ? sg->u.slice.from : len - 1;
		stop = sg->has_to ? sg->u.slice.to : -1;
		if (sg->has_from) {
			if (start < 0 && (start += len) < 0)
				start = -1;
			if (start >= len)
				start = len - 1;
		}
		if (sg->has_to) {
			if (stop < 0 && (stop += len) < 0)
				stop = -1;
			if (stop >= len)
				stop = len - 1;
		}
		for (k = start; k > stop; k += step)
			if ((r = eval_index(ev, i, k, node, t)) != 0)
				return r;
	}
	return 0;
}

static int
eval_wildcard(struct ev *ev, size_t i, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	struct trail nt;
	void *it;
	size_t k, n;
	int r;

	nt.up = t;
	nt.idx = 0;
	if (json_is_object(node)) {
		for (it = json_object_iter(node); it != NULL;
		    it = json_object_iter_next(node, it)) {
			nt.key = json_object_iter_key(it);
			nt.klen = json_object_iter_key_len(it);
			if ((r = eval_at(ev, i + 1, json_object_iter_value(it),
			    &nt)) != 0)
				return r;
		}
		return 0;
	}
	if (json_is_array(node)) {
		nt.key = NULL;
		nt.klen = 0;
		n = json_array_size(node);
		for (k = 0; k < n; k++) {
			nt.idx = (long long)k;
			r = eval_at(ev, i + 1, json_array_get(node, k), &nt);
			/* Jayway swallows "not found" below an array wildcard. */
			if (r == SD_ERR_NOTFOUND && !ev->require) {
				sd_error_clear(ev->err);
				continue;
			}
			if (r != 0)
				return r;
		}
		return 0;
	}
	if (sg->leaf)
		return 0;
	{
		char mid[64];
		int m;

		m = snprintf(mid, sizeof(mid), " but found '%s'",
		    sd_json_type_name(node));
		if (m < 0 || (size_t)m >= sizeof(mid))
			mid[0] = '\0';
		return ev_fail(ev, "Expected to find an object or array in path ",
		    1, t, NULL, 0, mid, NULL);
	}
}

static int
eval_filter(struct ev *ev, size_t i, const struct seg *sg, json_t *node,
    const struct trail *t)
{
	struct trail nt;
	json_t *e;
	size_t k, n;
	int a, r;

	if (json_is_object(node)) {
		if ((a = accept(ev, sg->u.filter, node)) <= 0)
			return a;
		return eval_at(ev, i + 1, node, t);
	}
	if (json_is_array(node)) {
		nt.up = t;
		nt.key = NULL;
		nt.klen = 0;
		n = json_array_size(node);
		for (k = 0; k < n; k++) {
			e = json_array_get(node, k);
			if ((a = accept(ev, sg->u.filter, e)) < 0)
				return a;
			if (a == 0)
				continue;
			nt.idx = (long long)k;
			if ((r = eval_at(ev, i + 1, e, &nt)) != 0)
				return r;
		}
		return 0;
	}
	if (!sg->updef)
		return 0;
	return ev_fail(ev, "Filter: ", 0, NULL, sg, 1,
	    " can not be applied to primitives. Current context is: ", node);
}

/* Does the segment after a ".." apply to node (Jayway's scan predicates)? */
static int
scan_match(struct ev *ev, const struct seg *sg, json_t *node)
{
	size_t k;

	switch (sg->kind) {
	case SEG_NAME:
		return json_is_object(node) &&
		    json_object_getn(node, sg->u.name.s, sg->n) != NULL;
	case SEG_NAMES:
		if (!json_is_object(node))
			return 0;
		if (!sg->leaf)
			return 1;
		for (k = 0; k < sg->n; k++)
			if (json_object_getn(node, sg->u.names.s[k],
			    sg->u.names.len[k]) == NULL)
				return 0;
		return 1;
	case SEG_INDEX:
	case SEG_INDEXES:
	case SEG_SLICE:
		return json_is_array(node);
	case SEG_WILDCARD:
		return 1;
	case SEG_FILTER:
		return accept(ev, sg->u.filter, node);
	default:
		return 0;
	}
}

/* Jayway's ScanPathToken.walk; i is the index of the ".." segment. */
static int
scan_walk(struct ev *ev, size_t i, json_t *node, const struct trail *t)
{
	const struct seg *target = &ev->sl->v[i + 1];
	struct trail nt;
	void *it;
	size_t k, n;
	int m, r = 0;

	if (!json_is_object(node) && !json_is_array(node))
		return 0;
	if (++ev->depth > JP_MAX_EVAL_DEPTH) {
		r = ev_limit(ev, "nesting depth");
		goto out;
	}
	if (++*ev->steps > JP_MAX_STEPS) {
		r = ev_limit(ev, "work");
		goto out;
	}
	if ((m = scan_match(ev, target, node)) < 0) {
		r = m;
		goto out;
	}
	nt.up = t;
	nt.idx = 0;
	if (json_is_object(node)) {
		if (m && (r = eval_at(ev, i + 1, node, t)) != 0)
			goto out;
		for (it = json_object_iter(node); it != NULL;
		    it = json_object_iter_next(node, it)) {
			nt.key = json_object_iter_key(it);
			nt.klen = json_object_iter_key_len(it);
			if ((r = scan_walk(ev, i, json_object_iter_value(it),
			    &nt)) != 0)
				goto out;
		}
		goto out;
	}
	nt.key = NULL;
	nt.klen = 0;
	n = json_array_size(node);
	if (m) {
		if (target->leaf) {
			if ((r = eval_at(ev, i + 1, node, t)) != 0)
				goto out;
		} else {
			/* Jayway applies the segment after the target to each
			 * element (not the target itself). */
			for (k = 0; k < n; k++) {
				nt.idx = (long long)k;
				if ((r = eval_at(ev, i + 2,
				    json_array_get(node, k), &nt)) != 0)
					goto out;
			}
		}
	}
	for (k = 0; k < n; k++) {
		nt.idx = (long long)k;
		if ((r = scan_walk(ev, i, json_array_get(node, k), &nt)) != 0)
			goto out;
	}
 out:
	ev->depth--;
	return r;
}

static int
eval_at(struct ev *ev, size_t i, json_t *node, const struct trail *t)
{
	const struct seg *sg;
	size_t k;
	int r = 0;

	if (i >= ev->sl->n)
		return emit(ev, node);
	if (++ev->depth > JP_MAX_EVAL_DEPTH) {
		r = ev_limit(ev, "nesting depth");
		goto out;
	}
	if (++*ev->steps > JP_MAX_STEPS) {
		r = ev_limit(ev, "work");
		goto out;
	}
	sg = &ev->sl->v[i];
	switch (sg->kind) {
	case SEG_NAME:
		r = eval_name(ev, i, sg, sg->u.name.s, sg->n, 1, node, t);
		break;
	case SEG_NAMES:
		if (sg->leaf) {
			r = eval_merge(ev, sg, node, t);
			break;
		}
		if (!json_is_object(node)) {
			r = not_object(ev, sg, node, t);
			break;
		}
		for (k = 0; k < sg->n && r == 0; k++)
			r = eval_name(ev, i, sg, sg->u.names.s[k],
			    sg->u.names.len[k], 0, node, t);
		break;
	case SEG_INDEX:
		if ((r = check_array(ev, sg, node, t)) == 1)
			r = eval_index(ev, i, sg->u.idx, node, t);
		break;
	case SEG_INDEXES:
		if ((r = check_array(ev, sg, node, t)) != 1)
			break;
		r = 0;
		for (k = 0; k < sg->n && r == 0; k++)
			r = eval_index(ev, i, sg->u.idxs[k], node, t);
		break;
	case SEG_SLICE:
		if ((r = check_array(ev, sg, node, t)) == 1)
			r = eval_slice(ev, i, sg, node, t);
		break;
	case SEG_WILDCARD:
		r = eval_wildcard(ev, i, sg, node, t);
		break;
	case SEG_SCAN:
		r = scan_walk(ev, i, node, t);
		break;
	case SEG_FILTER:
		r = eval_filter(ev, i, sg, node, t);
		break;
	default:
		r = SD_ERR_INTERNAL;
		break;
	}
 out:
	ev->depth--;
	return r;
}

/*
 * Evaluate a filter operand's path on base. *out is a new reference, or
 * NULL when the path selects nothing (Jayway's UNDEFINED). With require,
 * returns 1 when the path exists (Jayway's existence check), else 0.
 */
static int
sub_eval(struct ev *ev, const struct seglist *sl, json_t *base, int require,
    json_t **out)
{
	struct ev sub;
	json_t *v;
	size_t n;
	int r;

	*out = NULL;
	if (sl->simple) {
		v = walk_simple(sl, base);
		*out = json_incref(v);
		return v != NULL;
	}
	memset(&sub, 0, sizeof(sub));
	sub.root = ev->root;
	sub.sl = sl;
	sub.require = require;
	sub.depth = ev->depth;
	sub.steps = ev->steps;
	sub.err = NULL;
	if ((sub.res = json_array()) == NULL)
		return SD_ERR_NOMEM;
	r = eval_at(&sub, 0, base, NULL);
	if (r == SD_ERR_NOTFOUND) {
		r = 0;
		goto out;
	}
	if (r != 0) {
		if (r == SD_ERR_LIMIT)
			ev_limit(ev, "filter");
		goto out;
	}
	n = json_array_size(sub.res);
	if (sl->definite) {
		if (n > 0) {
			*out = json_incref(json_array_get(sub.res, n - 1));
			r = 1;
		}
	} else {
		*out = json_incref(sub.res);
		r = 1;
	}
 out:
	json_decref(sub.res);
	return r;
}

static int
operand_value(struct ev *ev, const struct operand *o, json_t *item,
    json_t **out)
{
	int r;

	if (o->kind == OPD_LIT) {
		*out = json_incref(o->lit);
		return 0;
	}
	r = sub_eval(ev, &o->path, o->kind == OPD_CUR ? item : ev->root, 0,
	    out);
	return r < 0 ? r : 0;
}

static int
num_cmp(const json_t *a, const json_t *b)
{
	double x, y;

	if (json_is_integer(a) && json_is_integer(b)) {
		json_int_t i = json_integer_value(a), j = json_integer_value(b);

		return i < j ? -1 : i > j;
	}
	x = json_number_value(a);
	y = json_number_value(b);
	return x < y ? -1 : x > y;
}

static int
str_cmp(const json_t *a, const json_t *b)
{
	size_t la = json_string_length(a), lb = json_string_length(b);
	int c;

	c = memcmp(json_string_value(a), json_string_value(b),
	    la < lb ? la : lb);
	if (c != 0)
		return c < 0 ? -1 : 1;
	return la < lb ? -1 : la > lb;
}

static int
values_equal(const json_t *a, const json_t *b)
{
	if (a == NULL || b == NULL)
		return 0;		/* UNDEFINED equals nothing */
	if (json_is_number(a) && json_is_number(b))
		return num_cmp(a, b) == 0;
	if (json_typeof(a) != json_typeof(b)) {
		/* true and false are one type for Jayway */
		return 0;
	}
	return sd_json_equal(a, b);
}

static int
compare(int op, const json_t *a, const json_t *b)
{
	int c;

	switch (op) {
	case OP_EQ:
		return values_equal(a, b);
	case OP_NE:
		return !values_equal(a, b);
	default:
		break;
	}
	if (a == NULL || b == NULL)
		return 0;
	if (json_is_number(a) && json_is_number(b))
		c = num_cmp(a, b);
	else if (json_is_string(a) && json_is_string(b))
		c = str_cmp(a, b);
	else
		return 0;
	switch (op) {
	case OP_LT:
		return c < 0;
	case OP_LE:
		return c <= 0;
	case OP_GT:
		return c > 0;
	default:
		return c >= 0;
	}
}

/* 1 when item passes the filter, 0 when not, or an error. */
static int
accept(struct ev *ev, const struct fnode *f, json_t *item)
{
	json_t *a = NULL, *b = NULL;
	size_t k;
	int r;

	switch (f->kind) {
	case FN_OR:
		for (k = 0; k < f->nkids; k++)
			if ((r = accept(ev, f->kids[k], item)) != 0)
				return r;
		return 0;
	case FN_AND:
		for (k = 0; k < f->nkids; k++)
			if ((r = accept(ev, f->kids[k], item)) <= 0)
				return r;
		return 1;
	case FN_NOT:
		if ((r = accept(ev, f->kid, item)) < 0)
			return r;
		return !r;
	case FN_EXISTS:
		r = sub_eval(ev, &f->a.path, f->a.kind == OPD_CUR ? item :
		    ev->root, 1, &a);
		json_decref(a);
		return r;
	case FN_CMP:
		if ((r = operand_value(ev, &f->a, item, &a)) == 0 &&
		    (r = operand_value(ev, &f->b, item, &b)) == 0)
			r = compare(f->op, a, b);
		json_decref(a);
		json_decref(b);
		return r;
	default:
		return SD_ERR_INTERNAL;
	}
}

int
sd_jsonpath_eval(const struct sd_jsonpath *jp, json_t *doc, json_t **out,
    struct sd_error *err)
{
	struct ev ev;
	json_t *v;
	size_t n, steps = 0;
	int r;

	if (out != NULL)
		*out = NULL;
	if (jp == NULL || doc == NULL || out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "JSONPath evaluation without a path or document");
	if (jp->path.simple) {
		if ((v = walk_simple(&jp->path, doc)) != NULL) {
			*out = json_incref(v);
			return 0;
		}
		/* Not found: the general walk words the error as Jayway. */
	}
	memset(&ev, 0, sizeof(ev));
	ev.root = doc;
	ev.err = err;
	ev.sl = &jp->path;
	ev.steps = &steps;
	if ((ev.res = json_array()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL,
		    "out of memory evaluating JSONPath");
	if ((r = eval_at(&ev, 0, doc, NULL)) != 0) {
		/*
		 * AWS answers an indefinite path whose definite head finds
		 * nothing ($.missing[*]) with an empty list, not an error.
		 */
		if (r != SD_ERR_NOTFOUND || jp->path.definite)
			goto out;
		sd_error_clear(err);
		json_array_clear(ev.res);
	}
	n = json_array_size(ev.res);
	if (!jp->path.definite) {
		*out = ev.res;
		ev.res = NULL;
	} else if (n == 0) {
		r = ev_fail(&ev, "No results for path: ", 1, NULL,
		    jp->path.n > 0 ? &jp->path.v[0] : NULL, 1, NULL, NULL);
		goto out;
	} else
		*out = json_incref(json_array_get(ev.res, n - 1));
	r = 0;
 out:
	if (r == SD_ERR_NOMEM || r == SD_ERR_INTERNAL)
		sd_error_set(err, r, NULL, "%s evaluating JSONPath %s",
		    sd_strerror(r), jp->text);
	json_decref(ev.res);
	return r;
}

/* ------------------------------------------------------------ assign */

static int
assign_fail(const struct sd_jsonpath *jp, json_t *doc, struct sd_error *err)
{
	char *js = NULL;

	if (err == NULL)
		return SD_ERR_NOTFOUND;
	js = doc != NULL ? sd_json_dumps(doc, 0) : strdup("null");
	sd_error_set(err, SD_ERR_NOTFOUND, NULL,
	    "Unable to apply ReferencePath %s to input %s", jp->text,
	    js != NULL ? js : "(unprintable)");
	free(js);
	return SD_ERR_NOTFOUND;
}

/* New reference in *out: node (may be NULL: missing) with value placed. */
static int
assign_at(const struct sd_jsonpath *jp, size_t i, json_t *node, json_t *value,
    json_t **out)
{
	const struct seg *sg = &jp->path.v[i];
	json_t *copy = NULL, *child = NULL;
	size_t len;
	long long idx;
	int r;

	*out = NULL;
	if (sg->kind == SEG_NAME) {
		if (node == NULL)
			copy = json_object();
		else if (!json_is_object(node))
			return SD_ERR_NOTFOUND;
		else
			copy = json_copy(node);
		if (copy == NULL)
			return SD_ERR_NOMEM;
		if (sg->leaf)
			child = json_incref(value);
		else if ((r = assign_at(jp, i + 1, node == NULL ? NULL :
		    json_object_getn(node, sg->u.name.s, sg->n), value,
		    &child)) != 0)
			goto out;
		if (json_object_setn_new(copy, sg->u.name.s, sg->n, child) !=
		    0) {
			child = NULL;
			r = SD_ERR_NOMEM;
			goto out;
		}
		child = NULL;
	} else {
		if (node == NULL || !json_is_array(node))
			return SD_ERR_NOTFOUND;
		len = json_array_size(node);
		idx = sg->u.idx;
		if (idx < 0)
			idx += (long long)len;
		if (idx < 0 || (unsigned long long)idx >= len)
			return SD_ERR_NOTFOUND;
		if ((copy = json_copy(node)) == NULL)
			return SD_ERR_NOMEM;
		if (sg->leaf)
			child = json_incref(value);
		else if ((r = assign_at(jp, i + 1,
		    json_array_get(node, (size_t)idx), value, &child)) != 0)
			goto out;
		if (json_array_set_new(copy, (size_t)idx, child) != 0) {
			child = NULL;
			r = SD_ERR_NOMEM;
			goto out;
		}
		child = NULL;
	}
	*out = copy;
	copy = NULL;
	r = 0;
 out:
	json_decref(child);
	json_decref(copy);
	return r;
}

int
sd_jsonpath_assign(const struct sd_jsonpath *jp, json_t *doc, json_t *value,
    json_t **out, struct sd_error *err)
{
	int r;

	if (out != NULL)
		*out = NULL;
	if (jp == NULL || value == NULL || out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "JSONPath assignment without a path or value");
	if (!jp->path.simple)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "ReferencePath %s is not a definite path of names and "
		    "indexes", jp->text);
	if (jp->path.n == 0) {
		*out = json_incref(value);
		return 0;
	}
	r = assign_at(jp, 0, doc, value, out);
	if (r == SD_ERR_NOTFOUND)
		return assign_fail(jp, doc, err);
	if (r != 0)
		return sd_error_set(err, r, NULL,
		    "out of memory applying ReferencePath %s", jp->text);
	return 0;
}
