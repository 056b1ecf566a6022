/*
 * jsonata.c: the JSONata tokenizer, Pratt parser (with the post-parse
 * pass that builds paths, stages, tuple bindings and parent slots), the
 * evaluator over jansson values, and the sd_jn_* API.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <jansson.h>

#include "sd_jsonata.h"
#include "jsonata_int.h"

#define SRC_MAX		(1024 * 1024)
#define PARSE_DEPTH	600
/*
 * The C stack evaluation may use, whatever opts->max_depth says: about
 * 300 bytes per nesting level (-O2; 3-5x that under ASan), so 500 levels
 * take some 150 KiB; deeper nesting ends with U1001 before the stack (8
 * MiB by default) is exhausted.
 */
#define JN_STACK_MAX	(4u * 1024 * 1024)

enum {
	N_NONE, N_PATH, N_BINARY, N_UNARY, N_NAME, N_STRING, N_NUMBER,
	N_VALUE, N_WILDCARD, N_DESCENDANT, N_PARENT, N_CONDITION, N_BLOCK,
	N_BIND, N_REGEX, N_FUNCTION, N_VARIABLE, N_LAMBDA, N_PARTIAL,
	N_APPLY, N_TRANSFORM, N_SORT, N_OPERATOR, N_END, N_FILTER, N_INDEX,
	N_GROUP, N_TERM
};

struct slot {
	char	 label[24];
	int	 level;
	int	 index;
};

struct nlist {
	struct node	**v;
	size_t		  n, cap;
};

struct slist {
	struct slot	**v;
	size_t		  n, cap;
};

struct node {
	int		 type;
	char		 id[12];
	long		 pos;
	char		*str;		/* name, variable, string, operator */
	json_t		*lit;
	double		 num;
	struct node	*lhs, *rhs, *expr, *cond, *then, *els, *proc, *body;
	struct node	*pattern, *update, *del, *group;
	struct nlist	 list;
	struct nlist	 rlist;
	struct nlist	 stages, pred;
	struct slot	*slot, *ancestor;
	struct slist	 seeking;
	int		 has_seeking;
	char		*focus, *index;
	unsigned	 keep_array:1, consarray:1, keep_single:1, tuple:1,
			 thunk:1, descending:1, noenv:1;
	struct jn_sig	*sig;
	pcre2_code	*re;
	struct node	*anext;
	const struct jn_builtin *bi;	/* N_VARIABLE: the built-in so named */
	const struct jn_builtin *bi_aws; /* the same with AWS's functions on */
};

struct sd_jn_expr {
	char		*src;		/* for error positions */
	size_t		 srclen;
	struct node	*root;
	struct node	*arena;
	struct slot	**slots;
	size_t		  nslots, slotcap;
};

struct tok {
	int	 type;		/* N_NAME, N_VARIABLE, N_OPERATOR, N_STRING, N_NUMBER, N_VALUE, N_REGEX, N_END */
	char	*str;
	size_t	 slen;
	double	 num;
	json_t	*val;
	long	 pos;
	pcre2_code *re;
};

struct parser {
	const char	*src;
	size_t		 len;
	size_t		 p;
	struct node	*node;
	struct sd_jn_expr *x;
	jmp_buf		 jb;
	struct sd_jn_error *err;
	int		 depth;
	int		 anc_label, anc_index;
	struct slist	 ancestry;
	struct slist	 scratch;
};

static int binds_in(const struct node *, int);
static void fill_error(struct sd_jn_error *, const char *, long,
    const char *, const json_t *, const json_t *, long);

/* ------------------------------------------------------------ nodes */

static void
xfail(struct parser *P, const char *code, long pos, const char *token,
    json_t *value)
{
	fill_error(P->err, code, pos, token, value, NULL, -1);
	json_decref(value);
	longjmp(P->jb, 1);
}

static void *
xalloc(struct parser *P, size_t n)
{
	void *v;

	if ((v = calloc(1, n)) == NULL)
		xfail(P, "X0001", -1, NULL, NULL);
	return v;
}

static char *
xstrndup(struct parser *P, const char *s, size_t n)
{
	char *d = xalloc(P, n + 1);

	memcpy(d, s, n);
	return d;
}

static struct node *
nnew(struct parser *P, int type)
{
	struct node *n = xalloc(P, sizeof(*n));

	n->type = type;
	n->anext = P->x->arena;
	P->x->arena = n;
	return n;
}

static void
npush(struct parser *P, struct nlist *l, struct node *n)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4;
		struct node **v = reallocarray(l->v, nc, sizeof(*v));

		if (v == NULL)
			xfail(P, "X0001", -1, NULL, NULL);
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = n;
}

static void
spush(struct parser *P, struct slist *l, struct slot *s)
{
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 4;
		struct slot **v = reallocarray(l->v, nc, sizeof(*v));

		if (v == NULL)
			xfail(P, "X0001", -1, NULL, NULL);
		l->v = v;
		l->cap = nc;
	}
	l->v[l->n++] = s;
}

static struct node *
nclone(struct parser *P, const struct node *s)
{
	struct node *n;
	size_t i;

	if (s == NULL)
		return NULL;
	n = nnew(P, s->type);
	memcpy(n->id, s->id, sizeof(n->id));
	n->pos = s->pos;
	if (s->str != NULL)
		n->str = xstrndup(P, s->str, strlen(s->str));
	n->lit = s->lit != NULL ? json_incref(s->lit) : NULL;
	n->num = s->num;
	n->lhs = nclone(P, s->lhs);
	n->rhs = nclone(P, s->rhs);
	n->expr = nclone(P, s->expr);
	n->cond = nclone(P, s->cond);
	n->then = nclone(P, s->then);
	n->els = nclone(P, s->els);
	n->proc = nclone(P, s->proc);
	n->body = nclone(P, s->body);
	n->pattern = nclone(P, s->pattern);
	n->update = nclone(P, s->update);
	n->del = nclone(P, s->del);
	for (i = 0; i < s->list.n; i++)
		npush(P, &n->list, nclone(P, s->list.v[i]));
	for (i = 0; i < s->rlist.n; i++)
		npush(P, &n->rlist, nclone(P, s->rlist.v[i]));
	n->keep_array = s->keep_array;
	n->descending = s->descending;
	if (s->sig != NULL) {
		/* signatures are re-parsed from the text kept in focus */
		n->focus = xstrndup(P, s->focus, strlen(s->focus));
		n->sig = jn_sig_parse(NULL, n->focus);
	}
	if (s->re != NULL) {
		n->re = pcre2_code_copy(s->re);
		if (n->re == NULL)
			xfail(P, "X0001", -1, NULL, NULL);
	}
	return n;
}

/* ------------------------------------------------------------ lexer */

static int
is_opchar(int c)
{
	return c != 0 && strchr(".[]{}(),@#;:?+-*/%|=<>^&!~", c) != NULL;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v';
}

static void
utf8_put(char *buf, size_t *n, unsigned long cp)
{
	if (cp < 0x80)
		buf[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		buf[(*n)++] = (char)(0xc0 | (cp >> 6));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		buf[(*n)++] = (char)(0xe0 | (cp >> 12));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		buf[(*n)++] = (char)(0xf0 | (cp >> 18));
		buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int
hex4(const char *s, size_t avail, unsigned long *out)
{
	unsigned long v = 0;
	int i;

	if (avail < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		int c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned long)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned long)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned long)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static void
scan_regex(struct parser *P, struct tok *t)
{
	const char *s = P->src;
	size_t start = P->p, fstart, i;
	int depth = 0, errc;
	uint32_t opts = PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_MATCH_UNSET_BACKREF;
	PCRE2_SIZE eoff;
	char *pat;

	while (P->p < P->len) {
		char c = s[P->p];

		if (c == '/' && depth == 0) {
			size_t bs = 0;

			while (P->p >= bs + 1 && s[P->p - bs - 1] == '\\')
				bs++;
			if (bs % 2 == 0) {
				if (P->p == start)
					xfail(P, "S0301", (long)P->p, NULL, NULL);
				pat = xstrndup(P, s + start, P->p - start);
				P->p++;
				fstart = P->p;
				while (P->p < P->len && (s[P->p] == 'i' ||
				    s[P->p] == 'm'))
					P->p++;
				for (i = fstart; i < P->p; i++) {
					if (s[i] == 'i')
						opts |= PCRE2_CASELESS;
					else
						opts |= PCRE2_MULTILINE;
				}
				t->re = pcre2_compile((PCRE2_SPTR)pat,
				    PCRE2_ZERO_TERMINATED, opts, &errc, &eoff,
				    NULL);
				if (t->re == NULL) {
					free(pat);
					xfail(P, "S0302", (long)P->p, NULL, NULL);
				}
				t->str = pat;
				t->slen = strlen(pat);
				return;
			}
		}
		if ((c == '(' || c == '[' || c == '{') &&
		    (P->p == 0 || s[P->p - 1] != '\\'))
			depth++;
		if ((c == ')' || c == ']' || c == '}') &&
		    (P->p == 0 || s[P->p - 1] != '\\'))
			depth--;
		P->p++;
	}
	xfail(P, "S0302", (long)P->p, NULL, NULL);
}

/* Lex one token into t; returns 0 at the end. */
static int
lex(struct parser *P, int infix, struct tok *t)
{
	const char *s = P->src;
	size_t len = P->len, i;
	char c;

	memset(t, 0, sizeof(*t));
 again:
	while (P->p < len && is_ws(s[P->p]))
		P->p++;
	if (P->p >= len)
		return 0;
	c = s[P->p];
	if (c == '/' && P->p + 1 < len && s[P->p + 1] == '*') {
		size_t cs = P->p;

		P->p += 2;
		for (;;) {
			if (P->p + 1 >= len)
				xfail(P, "S0106", (long)cs, NULL, NULL);
			if (s[P->p] == '*' && s[P->p + 1] == '/')
				break;
			P->p++;
		}
		P->p += 2;
		goto again;
	}
	if (!infix && c == '/') {
		P->p++;
		t->type = N_REGEX;
		scan_regex(P, t);
		t->pos = (long)P->p;
		return 1;
	}
	{
		static const char *const two[] = { "..", ":=", "!=", ">=",
		    "<=", "**", "~>", "?:", "??" };

		for (i = 0; i < sizeof(two) / sizeof(two[0]); i++) {
			if (c == two[i][0] && P->p + 1 < len &&
			    s[P->p + 1] == two[i][1]) {
				P->p += 2;
				t->type = N_OPERATOR;
				t->str = xstrndup(P, two[i], 2);
				t->pos = (long)P->p;
				return 1;
			}
		}
	}
	if (is_opchar(c)) {
		P->p++;
		t->type = N_OPERATOR;
		t->str = xstrndup(P, &c, 1);
		t->pos = (long)P->p;
		return 1;
	}
	if (c == '"' || c == '\'') {
		char q = c, *buf;
		size_t n = 0;

		P->p++;
		buf = xalloc(P, len - P->p + 1);
		t->str = buf;
		while (P->p < len) {
			c = s[P->p];
			if (c == '\\') {
				P->p++;
				c = P->p < len ? s[P->p] : 0;
				switch (c) {
				case '"': case '\\': case '/':
					buf[n++] = c;
					break;
				case 'b': buf[n++] = '\b'; break;
				case 'f': buf[n++] = '\f'; break;
				case 'n': buf[n++] = '\n'; break;
				case 'r': buf[n++] = '\r'; break;
				case 't': buf[n++] = '\t'; break;
				case 'u': {
					unsigned long cp, lo;

					if (hex4(s + P->p + 1, len - P->p - 1,
					    &cp) != 0) {
						free(buf);
						t->str = NULL;
						xfail(P, "S0104", (long)P->p,
						    NULL, NULL);
					}
					P->p += 4;
					if (cp >= 0xd800 && cp < 0xdc00 &&
					    P->p + 6 < len &&
					    s[P->p + 1] == '\\' &&
					    s[P->p + 2] == 'u' &&
					    hex4(s + P->p + 3, len - P->p - 3,
					    &lo) == 0 && lo >= 0xdc00 &&
					    lo < 0xe000) {
						cp = 0x10000 + ((cp - 0xd800)
						    << 10) + (lo - 0xdc00);
						P->p += 6;
					} else if (cp >= 0xd800 && cp < 0xe000)
						cp = 0xfffd;
					utf8_put(buf, &n, cp);
					break;
				}
				default: {
					char tk[2] = { c, 0 };

					free(buf);
					t->str = NULL;
					xfail(P, "S0103", (long)P->p, tk, NULL);
				}
				}
			} else if (c == q) {
				P->p++;
				t->type = N_STRING;
				t->slen = n;
				t->pos = (long)P->p;
				return 1;
			} else
				buf[n++] = c;
			P->p++;
		}
		free(buf);
		t->str = NULL;
		xfail(P, "S0101", (long)P->p, NULL, NULL);
	}
	if (c >= '0' && c <= '9') {
		size_t q = P->p;
		char *num, *end;
		double d;

		if (s[q] == '0')
			q++;
		else
			while (q < len && s[q] >= '0' && s[q] <= '9')
				q++;
		if (q + 1 < len && s[q] == '.' && s[q + 1] >= '0' &&
		    s[q + 1] <= '9') {
			q++;
			while (q < len && s[q] >= '0' && s[q] <= '9')
				q++;
		}
		if (q < len && (s[q] == 'e' || s[q] == 'E')) {
			size_t r = q + 1;

			if (r < len && (s[r] == '+' || s[r] == '-'))
				r++;
			if (r < len && s[r] >= '0' && s[r] <= '9') {
				while (r < len && s[r] >= '0' && s[r] <= '9')
					r++;
				q = r;
			}
		}
		num = xstrndup(P, s + P->p, q - P->p);
		errno = 0;
		d = strtod(num, &end);
		if (!isfinite(d)) {
			char tk[64];

			snprintf(tk, sizeof(tk), "%s", num);
			free(num);
			xfail(P, "S0102", (long)P->p, tk, NULL);
		}
		free(num);
		P->p = q;
		t->type = N_NUMBER;
		t->num = d;
		t->pos = (long)P->p;
		return 1;
	}
	if (c == '`') {
		const char *e;

		P->p++;
		e = memchr(s + P->p, '`', len - P->p);
		if (e == NULL) {
			P->p = len;
			xfail(P, "S0105", (long)P->p, NULL, NULL);
		}
		t->type = N_NAME;
		t->str = xstrndup(P, s + P->p, (size_t)(e - (s + P->p)));
		P->p = (size_t)(e - s) + 1;
		t->pos = (long)P->p;
		return 1;
	}
	i = P->p;
	while (i < len && !is_ws(s[i]) && !is_opchar(s[i]))
		i++;
	if (s[P->p] == '$') {
		t->type = N_VARIABLE;
		t->str = xstrndup(P, s + P->p + 1, i - P->p - 1);
		P->p = i;
		t->pos = (long)P->p;
		return 1;
	}
	t->str = xstrndup(P, s + P->p, i - P->p);
	P->p = i;
	t->pos = (long)P->p;
	if (strcmp(t->str, "or") == 0 || strcmp(t->str, "in") == 0 ||
	    strcmp(t->str, "and") == 0) {
		t->type = N_OPERATOR;
		return 1;
	}
	if (strcmp(t->str, "true") == 0 || strcmp(t->str, "false") == 0 ||
	    strcmp(t->str, "null") == 0) {
		t->val = t->str[0] == 't' ? json_true() :
		    t->str[0] == 'f' ? json_false() : json_null();
		t->type = N_VALUE;
		return 1;
	}
	t->type = N_NAME;
	return 1;
}

/* ------------------------------------------------------------ parser */

static int
lbp_of(const char *id)
{
	static const struct { const char *id; int bp; } t[] = {
		{ ".", 75 }, { "[", 80 }, { "{", 70 }, { "(", 80 },
		{ "@", 80 }, { "#", 80 }, { "?", 20 }, { "+", 50 },
		{ "-", 50 }, { "*", 60 }, { "/", 60 }, { "%", 60 },
		{ "=", 40 }, { "<", 40 }, { ">", 40 }, { "^", 40 },
		{ ":=", 10 }, { "!=", 40 }, { "<=", 40 }, { ">=", 40 },
		{ "~>", 40 }, { "?:", 40 }, { "??", 40 }, { "and", 30 },
		{ "or", 25 }, { "in", 40 }, { "&", 50 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].id, id) == 0)
			return t[i].bp;
	return 0;
}

static int
is_symbol(const char *op)
{
	static const char *const syms[] = { ":", ";", ",", ")", "]", "}",
	    "..", ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=",
	    ">=", "&", "and", "or", "in", "~>", "??", "**", "(", "[", "^",
	    "{", ":=", "@", "#", "?", "?:", "|" };
	size_t i;

	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (strcmp(syms[i], op) == 0)
			return 1;
	return 0;
}

static const char *
tokstr(struct node *n, char *buf, size_t len)
{
	if (n->type == N_END)
		return "(end)";
	if (n->type == N_NUMBER) {
		jn_fmt_number(n->num, buf, len);
		return buf;
	}
	if (n->type == N_VALUE)
		return json_is_true(n->lit) ? "true" : json_is_false(n->lit) ?
		    "false" : "null";
	return n->str != NULL ? n->str : "";
}

static void
perr(struct parser *P, const char *code, struct node *n, json_t *value)
{
	char buf[64];

	xfail(P, code, n->pos, tokstr(n, buf, sizeof(buf)), value);
}

static void
advance(struct parser *P, const char *id, int infix)
{
	struct tok t;
	struct node *n;

	if (id != NULL && strcmp(P->node->id, id) != 0)
		perr(P, P->node->type == N_END ? "S0203" : "S0202", P->node,
		    json_string(id));
	if (!lex(P, infix, &t)) {
		n = nnew(P, N_END);
		snprintf(n->id, sizeof(n->id), "(end)");
		n->pos = (long)P->len;
		P->node = n;
		return;
	}
	n = nnew(P, t.type);
	n->str = t.str;
	n->pos = t.pos;
	n->num = t.num;
	n->re = t.re;
	switch (t.type) {
	case N_NAME:
	case N_VARIABLE:
		snprintf(n->id, sizeof(n->id), "(name)");
		break;
	case N_OPERATOR:
		if (!is_symbol(t.str))
			perr(P, "S0204", n, NULL);
		snprintf(n->id, sizeof(n->id), "%s", t.str);
		break;
	case N_STRING:
		n->lit = json_stringn(t.str, t.slen);
		if (n->lit == NULL)
			n->lit = json_string("");
		snprintf(n->id, sizeof(n->id), "(literal)");
		break;
	case N_NUMBER:
		n->lit = jn_num(NULL, t.num);
		snprintf(n->id, sizeof(n->id), "(literal)");
		break;
	case N_VALUE:
		n->lit = t.val;
		snprintf(n->id, sizeof(n->id), "(literal)");
		break;
	case N_REGEX:
		snprintf(n->id, sizeof(n->id), "(regex)");
		break;
	}
	P->node = n;
}

static struct node *expression(struct parser *, int);
static struct node *nud(struct parser *, struct node *);
static struct node *led(struct parser *, struct node *, struct node *);

static struct node *
expression(struct parser *P, int rbp)
{
	struct node *t, *left;

	if (++P->depth > PARSE_DEPTH)
		xfail(P, "U1001", P->node->pos, NULL, NULL);
	t = P->node;
	advance(P, NULL, 1);
	left = nud(P, t);
	while (rbp < lbp_of(P->node->id)) {
		t = P->node;
		advance(P, NULL, 0);
		left = led(P, t, left);
	}
	P->depth--;
	return left;
}

static int
isop(struct node *n, const char *id)
{
	return strcmp(n->id, id) == 0;
}

static void
set_op(struct node *t, int type)
{
	t->type = type;
}

static struct node *
object_parser(struct parser *P, struct node *t, struct node *left)
{
	struct nlist *l = left == NULL ? &t->list : &t->rlist;

	if (!isop(P->node, "}")) {
		for (;;) {
			struct node *k = expression(P, 0), *v;

			advance(P, ":", 0);
			v = expression(P, 0);
			npush(P, l, k);
			npush(P, l, v);
			if (!isop(P->node, ","))
				break;
			advance(P, ",", 0);
		}
	}
	advance(P, "}", 1);
	if (left == NULL)
		set_op(t, N_UNARY);
	else {
		t->lhs = left;
		set_op(t, N_BINARY);
	}
	return t;
}

static struct node *
nud(struct parser *P, struct node *t)
{
	const char *id = t->id;

	if (strcmp(id, "(end)") == 0 || strcmp(id, "(name)") == 0 ||
	    strcmp(id, "(literal)") == 0 || strcmp(id, "(regex)") == 0 ||
	    strcmp(id, "and") == 0 || strcmp(id, "or") == 0 ||
	    strcmp(id, "in") == 0)
		return t;
	if (strcmp(id, "-") == 0) {
		t->expr = expression(P, 70);
		set_op(t, N_UNARY);
		return t;
	}
	if (strcmp(id, "*") == 0) {
		set_op(t, N_WILDCARD);
		return t;
	}
	if (strcmp(id, "**") == 0) {
		set_op(t, N_DESCENDANT);
		return t;
	}
	if (strcmp(id, "%") == 0) {
		set_op(t, N_PARENT);
		return t;
	}
	if (strcmp(id, "(") == 0) {
		while (!isop(P->node, ")")) {
			npush(P, &t->list, expression(P, 0));
			if (!isop(P->node, ";"))
				break;
			advance(P, ";", 0);
		}
		advance(P, ")", 1);
		set_op(t, N_BLOCK);
		return t;
	}
	if (strcmp(id, "[") == 0) {
		if (!isop(P->node, "]")) {
			for (;;) {
				struct node *item = expression(P, 0);

				if (isop(P->node, "..")) {
					struct node *r = nnew(P, N_BINARY);

					snprintf(r->id, sizeof(r->id), "..");
					r->str = xstrndup(P, "..", 2);
					r->pos = P->node->pos;
					r->lhs = item;
					advance(P, "..", 0);
					r->rhs = expression(P, 0);
					item = r;
				}
				npush(P, &t->list, item);
				if (!isop(P->node, ","))
					break;
				advance(P, ",", 0);
			}
		}
		advance(P, "]", 1);
		set_op(t, N_UNARY);
		return t;
	}
	if (strcmp(id, "{") == 0)
		return object_parser(P, t, NULL);
	if (strcmp(id, "|") == 0) {
		set_op(t, N_TRANSFORM);
		t->pattern = expression(P, 0);
		advance(P, "|", 0);
		t->update = expression(P, 0);
		if (isop(P->node, ",")) {
			advance(P, ",", 0);
			t->del = expression(P, 0);
		}
		advance(P, "|", 0);
		return t;
	}
	perr(P, "S0211", t, NULL);
	return NULL;
}

static struct node *
led(struct parser *P, struct node *t, struct node *left)
{
	const char *id = t->id;
	size_t i;

	if (strcmp(id, "(") == 0) {
		t->proc = left;
		set_op(t, N_FUNCTION);
		if (!isop(P->node, ")")) {
			for (;;) {
				if (P->node->type == N_OPERATOR &&
				    isop(P->node, "?")) {
					t->type = N_PARTIAL;
					npush(P, &t->list, P->node);
					advance(P, "?", 0);
				} else
					npush(P, &t->list, expression(P, 0));
				if (!isop(P->node, ","))
					break;
				advance(P, ",", 0);
			}
		}
		advance(P, ")", 1);
		if (left->type == N_NAME && (strcmp(left->str, "function") == 0 ||
		    strcmp(left->str, "\xce\xbb") == 0)) {
			for (i = 0; i < t->list.n; i++)
				if (t->list.v[i]->type != N_VARIABLE)
					perr(P, "S0208", t->list.v[i],
					    json_integer((json_int_t)i + 1));
			t->type = N_LAMBDA;
			if (isop(P->node, "<")) {
				char sig[1024];
				const char *why = "S0401";
				size_t n = 1;
				int depth = 1;

				sig[0] = '<';
				while (depth > 0 && !isop(P->node, "{") &&
				    P->node->type != N_END) {
					char b[64];
					const char *s;
					size_t sl;

					advance(P, NULL, 0);
					if (isop(P->node, ">"))
						depth--;
					else if (isop(P->node, "<"))
						depth++;
					s = tokstr(P->node, b, sizeof(b));
					sl = strlen(s);
					if (n + sl >= sizeof(sig))
						perr(P, "S0401", P->node, NULL);
					memcpy(sig + n, s, sl);
					n += sl;
				}
				sig[n] = 0;
				advance(P, ">", 0);
				t->focus = xstrndup(P, sig, n);
				t->sig = jn_sig_parse_code(NULL, sig, &why);
				if (t->sig == NULL)
					perr(P, why, t, NULL);
			}
			advance(P, "{", 0);
			t->body = expression(P, 0);
			advance(P, "}", 0);
		}
		return t;
	}
	if (strcmp(id, "[") == 0) {
		if (isop(P->node, "]")) {
			struct node *step = left;

			while (step != NULL && step->type == N_BINARY &&
			    strcmp(step->id, "[") == 0)
				step = step->lhs;
			step->keep_array = 1;
			advance(P, "]", 0);
			return left;
		}
		t->lhs = left;
		t->rhs = expression(P, 0);
		set_op(t, N_BINARY);
		advance(P, "]", 1);
		return t;
	}
	if (strcmp(id, "^") == 0) {
		advance(P, "(", 0);
		for (;;) {
			struct node *term = nnew(P, N_TERM);

			if (isop(P->node, "<"))
				advance(P, "<", 0);
			else if (isop(P->node, ">")) {
				term->descending = 1;
				advance(P, ">", 0);
			}
			term->expr = expression(P, 0);
			npush(P, &t->rlist, term);
			if (!isop(P->node, ","))
				break;
			advance(P, ",", 0);
		}
		advance(P, ")", 0);
		t->lhs = left;
		set_op(t, N_BINARY);
		return t;
	}
	if (strcmp(id, "{") == 0)
		return object_parser(P, t, left);
	if (strcmp(id, ":=") == 0) {
		if (left->type != N_VARIABLE)
			perr(P, "S0212", left, NULL);
		t->lhs = left;
		t->rhs = expression(P, 9);
		set_op(t, N_BINARY);
		return t;
	}
	if (strcmp(id, "@") == 0 || strcmp(id, "#") == 0) {
		t->lhs = left;
		t->rhs = expression(P, 80);
		if (t->rhs->type != N_VARIABLE)
			xfail(P, "S0214", t->rhs->pos, id, NULL);
		set_op(t, N_BINARY);
		return t;
	}
	if (strcmp(id, "?") == 0) {
		set_op(t, N_CONDITION);
		t->cond = left;
		t->then = expression(P, 0);
		if (isop(P->node, ":")) {
			advance(P, ":", 0);
			t->els = expression(P, 0);
		}
		return t;
	}
	if (strcmp(id, "?:") == 0) {
		set_op(t, N_CONDITION);
		t->cond = nclone(P, left);
		t->then = left;
		t->els = expression(P, 0);
		return t;
	}
	if (strcmp(id, "??") == 0) {
		struct node *f = nnew(P, N_FUNCTION), *v = nnew(P, N_VARIABLE);

		snprintf(f->id, sizeof(f->id), "(");
		v->str = xstrndup(P, "exists", 6);
		snprintf(v->id, sizeof(v->id), "(name)");
		f->proc = v;
		f->pos = t->pos;
		npush(P, &f->list, nclone(P, left));
		set_op(t, N_CONDITION);
		t->cond = f;
		t->then = left;
		t->els = expression(P, 0);
		return t;
	}
	t->lhs = left;
	t->rhs = expression(P, lbp_of(id));
	set_op(t, N_BINARY);
	return t;
}

/* ------------------------------------------------------------ post-parse */

static struct node *process(struct parser *, struct node *);

static struct node *
tail_call_optimize(struct parser *P, struct node *e)
{
	if (e->type == N_FUNCTION && e->pred.n == 0) {
		struct node *th = nnew(P, N_LAMBDA);

		th->thunk = 1;
		th->pos = e->pos;
		th->body = e;
		return th;
	}
	if (e->type == N_CONDITION) {
		e->then = tail_call_optimize(P, e->then);
		if (e->els != NULL)
			e->els = tail_call_optimize(P, e->els);
	} else if (e->type == N_BLOCK && e->list.n > 0)
		e->list.v[e->list.n - 1] =
		    tail_call_optimize(P, e->list.v[e->list.n - 1]);
	return e;
}

static struct slot *
seek_parent(struct parser *P, struct node *n, struct slot *slot)
{
	size_t i;

	switch (n->type) {
	case N_NAME:
	case N_WILDCARD:
		slot->level--;
		if (slot->level == 0) {
			if (n->ancestor != NULL) {
				struct slot *a = P->ancestry.v[slot->index];

				memcpy(a->label, n->ancestor->label,
				    sizeof(a->label));
			}
			n->ancestor = slot;
			n->tuple = 1;
		}
		break;
	case N_PARENT:
		slot->level++;
		break;
	case N_BLOCK:
		if (n->list.n > 0) {
			n->tuple = 1;
			slot = seek_parent(P, n->list.v[n->list.n - 1], slot);
		}
		break;
	case N_PATH:
		n->tuple = 1;
		i = n->list.n;
		slot = seek_parent(P, n->list.v[--i], slot);
		while (slot->level > 0 && i > 0)
			slot = seek_parent(P, n->list.v[--i], slot);
		break;
	default:
		xfail(P, "S0217", n->pos, n->type == N_NUMBER ? "number" :
		    n->type == N_STRING ? "string" : "expression", NULL);
	}
	return slot;
}

static void
push_ancestry(struct parser *P, struct node *r, struct node *v)
{
	size_t i;

	if (!v->has_seeking && v->type != N_PARENT)
		return;
	r->has_seeking = 1;
	for (i = 0; i < v->seeking.n; i++)
		spush(P, &r->seeking, v->seeking.v[i]);
	if (v->type == N_PARENT)
		spush(P, &r->seeking, v->slot);
}

static void
resolve_ancestry(struct parser *P, struct node *path)
{
	struct node *last = path->list.v[path->list.n - 1];
	struct slist slots;
	size_t is;

	P->scratch.n = 0;

	for (is = 0; is < last->seeking.n; is++)
		spush(P, &P->scratch, last->seeking.v[is]);
	if (last->type == N_PARENT)
		spush(P, &P->scratch, last->slot);
	slots = P->scratch;
	for (is = 0; is < slots.n; is++) {
		struct slot *slot = slots.v[is];
		long index = (long)path->list.n - 2;

		while (slot->level > 0) {
			struct node *step;

			if (index < 0) {
				path->has_seeking = 1;
				spush(P, &path->seeking, slot);
				break;
			}
			step = path->list.v[index--];
			while (index >= 0 && step->focus != NULL &&
			    path->list.v[index]->focus != NULL)
				step = path->list.v[index--];
			slot = seek_parent(P, step, slot);
		}
	}
}

static void
to_path_steps(struct parser *P, struct node *r, struct node *s)
{
	npush(P, &r->list, s);
}

static struct node *
mkpath(struct parser *P, struct node *first)
{
	struct node *r = nnew(P, N_PATH);

	r->pos = first->pos;
	to_path_steps(P, r, first);
	return r;
}

static struct node *
process_binary(struct parser *P, struct node *e)
{
	const char *op = e->id;
	struct node *r, *step;
	size_t i;

	if (strcmp(op, ".") == 0) {
		struct node *l = process(P, e->lhs), *rest;

		r = l->type == N_PATH ? l : mkpath(P, l);
		if (l->type == N_PARENT) {
			r->has_seeking = 1;
			spush(P, &r->seeking, l->slot);
		}
		rest = process(P, e->rhs);
		if (rest->type == N_PATH) {
			for (i = 0; i < rest->list.n; i++)
				npush(P, &r->list, rest->list.v[i]);
		} else {
			if (rest->pred.n > 0) {
				rest->stages = rest->pred;
				memset(&rest->pred, 0, sizeof(rest->pred));
			}
			npush(P, &r->list, rest);
		}
		for (i = 0; i < r->list.n; i++) {
			step = r->list.v[i];
			if (step->type == N_NUMBER || step->type == N_VALUE)
				xfail(P, "S0213", step->pos, NULL,
				    json_incref(step->lit));
			if (step->type == N_STRING)
				step->type = N_NAME;
		}
		for (i = 0; i < r->list.n; i++)
			if (r->list.v[i]->keep_array)
				r->keep_single = 1;
		step = r->list.v[0];
		if (step->type == N_UNARY && strcmp(step->id, "[") == 0)
			step->consarray = 1;
		step = r->list.v[r->list.n - 1];
		if (step->type == N_UNARY && strcmp(step->id, "[") == 0)
			step->consarray = 1;
		resolve_ancestry(P, r);
		return r;
	}
	if (strcmp(op, "[") == 0) {
		struct node *pr, *f;
		struct nlist *l;

		r = process(P, e->lhs);
		step = r;
		l = &step->pred;
		if (r->type == N_PATH) {
			step = r->list.v[r->list.n - 1];
			l = &step->stages;
		}
		if (step->group != NULL)
			xfail(P, "S0209", e->pos, NULL, NULL);
		pr = process(P, e->rhs);
		if (pr->has_seeking) {
			for (i = 0; i < pr->seeking.n; i++) {
				struct slot *s = pr->seeking.v[i];

				if (s->level == 1)
					seek_parent(P, step, s);
				else
					s->level--;
			}
			push_ancestry(P, step, pr);
		}
		f = nnew(P, N_FILTER);
		f->expr = pr;
		f->pos = e->pos;
		npush(P, l, f);
		return r;
	}
	if (strcmp(op, "{") == 0) {
		struct node *g;

		r = process(P, e->lhs);
		if (r->group != NULL)
			xfail(P, "S0210", e->pos, NULL, NULL);
		g = nnew(P, N_GROUP);
		g->pos = e->pos;
		for (i = 0; i < e->rlist.n; i++)
			npush(P, &g->list, process(P, e->rlist.v[i]));
		r->group = g;
		return r;
	}
	if (strcmp(op, "^") == 0) {
		struct node *sort = nnew(P, N_SORT);

		r = process(P, e->lhs);
		if (r->type != N_PATH)
			r = mkpath(P, r);
		sort->pos = e->pos;
		for (i = 0; i < e->rlist.n; i++) {
			struct node *term = e->rlist.v[i];

			term->expr = process(P, term->expr);
			push_ancestry(P, sort, term->expr);
			npush(P, &sort->list, term);
		}
		npush(P, &r->list, sort);
		resolve_ancestry(P, r);
		return r;
	}
	if (strcmp(op, ":=") == 0) {
		r = nnew(P, N_BIND);
		r->pos = e->pos;
		r->lhs = process(P, e->lhs);
		r->rhs = process(P, e->rhs);
		push_ancestry(P, r, r->rhs);
		return r;
	}
	if (strcmp(op, "@") == 0) {
		r = process(P, e->lhs);
		step = r;
		if (r->type == N_PATH)
			step = r->list.v[r->list.n - 1];
		if (step->stages.n > 0 || step->pred.n > 0)
			xfail(P, "S0215", e->pos, NULL, NULL);
		if (step->type == N_SORT)
			xfail(P, "S0216", e->pos, NULL, NULL);
		if (e->keep_array)
			step->keep_array = 1;
		/* A second @ on the same step replaces the first (as jsonata-js). */
		free(step->focus);
		step->focus = xstrndup(P, e->rhs->str, strlen(e->rhs->str));
		step->tuple = 1;
		return r;
	}
	if (strcmp(op, "#") == 0) {
		r = process(P, e->lhs);
		step = r;
		if (r->type == N_PATH)
			step = r->list.v[r->list.n - 1];
		else {
			r = mkpath(P, r);
			if (step->pred.n > 0) {
				step->stages = step->pred;
				memset(&step->pred, 0, sizeof(step->pred));
			}
		}
		if (step->stages.n == 0)
			step->index = e->rhs->str;
		else {
			struct node *ix = nnew(P, N_INDEX);

			ix->str = xstrndup(P, e->rhs->str, strlen(e->rhs->str));
			ix->pos = e->pos;
			npush(P, &step->stages, ix);
		}
		step->tuple = 1;
		return r;
	}
	if (strcmp(op, "~>") == 0) {
		r = nnew(P, N_APPLY);
		r->pos = e->pos;
		r->lhs = process(P, e->lhs);
		r->rhs = process(P, e->rhs);
		r->keep_array = r->lhs->keep_array || r->rhs->keep_array;
		return r;
	}
	r = nnew(P, N_BINARY);
	memcpy(r->id, e->id, sizeof(r->id));
	r->str = e->str != NULL ? xstrndup(P, e->str, strlen(e->str)) : NULL;
	r->pos = e->pos;
	r->lhs = process(P, e->lhs);
	r->rhs = process(P, e->rhs);
	push_ancestry(P, r, r->lhs);
	push_ancestry(P, r, r->rhs);
	return r;
}

static struct node *
process1(struct parser *P, struct node *e)
{
	struct node *r;
	size_t i;

	switch (e->type) {
	case N_BINARY:
		return process_binary(P, e);
	case N_UNARY:
		r = nnew(P, N_UNARY);
		memcpy(r->id, e->id, sizeof(r->id));
		r->str = e->str != NULL ? xstrndup(P, e->str, strlen(e->str)) : NULL;
		r->pos = e->pos;
		if (strcmp(e->id, "[") == 0 || strcmp(e->id, "{") == 0) {
			for (i = 0; i < e->list.n; i++) {
				struct node *v = process(P, e->list.v[i]);

				push_ancestry(P, r, v);
				npush(P, &r->list, v);
			}
		} else {
			r->expr = process(P, e->expr);
			if (r->expr->type == N_NUMBER) {
				struct node *num = r->expr;

				num->num = -num->num;
				json_decref(num->lit);
				num->lit = jn_num(NULL, num->num);
				r = num;
			} else
				push_ancestry(P, r, r->expr);
		}
		return r;
	case N_FUNCTION:
	case N_PARTIAL:
		r = nnew(P, e->type);
		r->pos = e->pos;
		for (i = 0; i < e->list.n; i++) {
			struct node *a = process(P, e->list.v[i]);

			push_ancestry(P, r, a);
			npush(P, &r->list, a);
		}
		r->proc = process(P, e->proc);
		return r;
	case N_LAMBDA:
		r = nnew(P, N_LAMBDA);
		r->pos = e->pos;
		r->list = e->list;
		memset(&e->list, 0, sizeof(e->list));
		r->sig = e->sig;
		e->sig = NULL;
		r->focus = e->focus;
		e->focus = NULL;
		r->body = tail_call_optimize(P, process(P, e->body));
		return r;
	case N_CONDITION:
		r = nnew(P, N_CONDITION);
		r->pos = e->pos;
		r->cond = process(P, e->cond);
		push_ancestry(P, r, r->cond);
		r->then = process(P, e->then);
		push_ancestry(P, r, r->then);
		if (e->els != NULL) {
			r->els = process(P, e->els);
			push_ancestry(P, r, r->els);
		}
		return r;
	case N_TRANSFORM:
		r = nnew(P, N_TRANSFORM);
		r->pos = e->pos;
		r->pattern = process(P, e->pattern);
		r->update = process(P, e->update);
		if (e->del != NULL)
			r->del = process(P, e->del);
		return r;
	case N_BLOCK:
		r = nnew(P, N_BLOCK);
		r->pos = e->pos;
		for (i = 0; i < e->list.n; i++) {
			struct node *part = process(P, e->list.v[i]);

			push_ancestry(P, r, part);
			if (part->consarray || (part->type == N_PATH &&
			    part->list.v[0]->consarray))
				r->consarray = 1;
			npush(P, &r->list, part);
		}
		return r;
	case N_NAME:
		r = mkpath(P, e);
		if (e->keep_array)
			r->keep_single = 1;
		return r;
	case N_PARENT: {
		struct slot *s = xalloc(P, sizeof(*s));
		struct sd_jn_expr *x = P->x;

		if (x->nslots == x->slotcap) {
			size_t nc = x->slotcap ? x->slotcap * 2 : 8;
			struct slot **v = reallocarray(x->slots, nc,
			    sizeof(*v));

			if (v == NULL) {
				free(s);
				xfail(P, "X0001", -1, NULL, NULL);
			}
			x->slots = v;
			x->slotcap = nc;
		}
		x->slots[x->nslots++] = s;
		snprintf(s->label, sizeof(s->label), "!%d", P->anc_label++);
		s->level = 1;
		s->index = P->anc_index++;
		r = nnew(P, N_PARENT);
		r->pos = e->pos;
		r->slot = s;
		spush(P, &P->ancestry, s);
		return r;
	}
	case N_STRING:
	case N_NUMBER:
	case N_VALUE:
	case N_WILDCARD:
	case N_DESCENDANT:
	case N_VARIABLE:
	case N_REGEX:
		return e;
	case N_OPERATOR:
		if (strcmp(e->id, "and") == 0 || strcmp(e->id, "or") == 0 ||
		    strcmp(e->id, "in") == 0) {
			e->type = N_NAME;
			return process(P, e);
		}
		if (strcmp(e->id, "?") == 0)
			return e;
		perr(P, "S0201", e, NULL);
		return NULL;
	default:
		perr(P, e->type == N_END ? "S0207" : "S0206", e, NULL);
		return NULL;
	}
}

static struct node *
process(struct parser *P, struct node *e)
{
	struct node *r;

	if (++P->depth > PARSE_DEPTH)
		xfail(P, "U1001", e->pos, NULL, NULL);
	r = process1(P, e);
	if (e->keep_array)
		r->keep_array = 1;
	P->depth--;
	return r;
}

static void
node_free_all(struct sd_jn_expr *x)
{
	struct node *n, *nx;
	size_t i;

	for (n = x->arena; n != NULL; n = nx) {
		nx = n->anext;
		free(n->str);
		json_decref(n->lit);
		free(n->list.v);
		free(n->rlist.v);
		free(n->stages.v);
		free(n->pred.v);
		free(n->seeking.v);
		free(n->focus);
		jn_sig_free(n->sig);
		if (n->re != NULL)
			pcre2_code_free(n->re);
		free(n);
	}
	for (i = 0; i < x->nslots; i++)
		free(x->slots[i]);
	free(x->slots);
	x->arena = NULL;
}

/*
 * Whether evaluating n may bind a variable in the scope n is evaluated
 * in (a := not inside a nested block or function body). A block that
 * binds nothing needs no scope of its own.
 */
static int
binds_in_list(const struct nlist *l, int depth)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (binds_in(l->v[i], depth))
			return 1;
	return 0;
}

static int
binds_in(const struct node *n, int depth)
{
	if (n == NULL)
		return 0;
	if (n->type == N_BIND || depth > PARSE_DEPTH)
		return 1;
	if (depth > 0 && (n->type == N_BLOCK || n->type == N_LAMBDA))
		return 0;
	depth++;
	return binds_in(n->lhs, depth) || binds_in(n->rhs, depth) ||
	    binds_in(n->expr, depth) || binds_in(n->cond, depth) ||
	    binds_in(n->then, depth) || binds_in(n->els, depth) ||
	    binds_in(n->proc, depth) || binds_in(n->body, depth) ||
	    binds_in(n->pattern, depth) || binds_in(n->update, depth) ||
	    binds_in(n->del, depth) || binds_in(n->group, depth) ||
	    binds_in_list(&n->list, depth) ||
	    binds_in_list(&n->rlist, depth) ||
	    binds_in_list(&n->stages, depth) ||
	    binds_in_list(&n->pred, depth);
}

static int
parse_src(const char *src, struct sd_jn_expr *x, struct sd_jn_error *err)
{
	struct parser P;
	struct node *e;

	memset(&P, 0, sizeof(P));
	P.src = src;
	P.len = strlen(src);
	P.x = x;
	P.err = err;
	if (P.len > SRC_MAX) {
		fill_error(err, "U1001", 0, NULL, NULL, NULL, -1);
		return -1;
	}
	if (setjmp(P.jb) != 0) {
		free(P.scratch.v);
		free(P.ancestry.v);
		return -1;
	}
	{
		struct node *start = nnew(&P, N_END);

		snprintf(start->id, sizeof(start->id), "(start)");
		P.node = start;
	}
	advance(&P, NULL, 0);
	e = expression(&P, 0);
	if (P.node->type != N_END)
		perr(&P, "S0201", P.node, NULL);
	P.depth = 0;
	e = process(&P, e);
	if (e->type == N_PARENT || e->has_seeking)
		xfail(&P, "S0217", e->pos, e->type == N_PARENT ? "parent" :
		    "path", NULL);
	x->root = e;
	for (e = x->arena; e != NULL; e = e->anext)
		if (e->type == N_BLOCK && !binds_in(e, 0))
			e->noenv = 1;
		else if (e->type == N_VARIABLE && e->str != NULL &&
		    e->str[0] != 0) {
			e->bi = jn_builtin_find(e->str, 0);
			e->bi_aws = jn_builtin_find(e->str, 1);
		}
	free(P.scratch.v);
	free(P.ancestry.v);
	return 0;
}

/* ------------------------------------------------------------ context */

enum { F_SEQ = 1, F_KEEP = 2, F_CONS = 4, F_OUTER = 8, F_TUPLE = 16 };

struct fset {
	json_t		**k;
	unsigned char	 *f;
	size_t		  n, cap;
};

struct binding {
	const char	*name;
	json_t		*val;
};

struct env {
	struct env	*parent;
	struct binding	*b;
	size_t		 n, cap;
	json_t		*hold;
	struct env	*all;
};

enum { FK_LAMBDA, FK_BUILTIN, FK_PARTIAL, FK_REGEX, FK_NEXT, FK_TRANSFORM,
	FK_CHAIN };

struct fnv {
	int		 kind;
	struct node	*node;
	json_t		*input;
	struct env	*env;
	const char	**params;
	size_t		 nparams;
	const struct jn_builtin *bi;
	json_t		**bargs;
	unsigned char	*hole;
	size_t		 nbargs;
	json_t		*str;
	size_t		 last;
	json_t		*f, *g;
	json_t		*value;
};

struct jn_ctx {
	const struct sd_jn_opts	*opts;
	struct sd_jn_opts	 o;
	struct sd_jn_error	*err;
	int			 failed;
	struct fset		 flags;
	struct env		*envs;
	struct fnv		*fns;
	size_t			 nfns, fncap;
	unsigned		 depth;
	uint64_t		 steps;
	size_t			 bytes;
	struct timespec		 t0;
	int64_t			 now;
	int			 now_set;
	long			 cur_pos;
	const char		*cur_tok;
	struct env		*cur_env;
	json_t			*cur_input;
	struct sd_jn_expr	**subs;
	size_t			 nsubs;
	size_t			 bc[160];
	size_t			 nbc;
	uintptr_t		 stack_base;	/* eval's first frame */
};

static const struct { const char *code, *msg; } messages[] = {
	{ "S0101", "String literal must be terminated by a matching quote" },
	{ "S0102", "Number out of range: {{token}}" },
	{ "S0103", "Unsupported escape sequence: \\{{token}}" },
	{ "S0104", "The escape sequence \\u must be followed by 4 hex digits" },
	{ "S0105", "Quoted property name must be terminated with a backquote (`)" },
	{ "S0106", "Comment has no closing tag" },
	{ "S0201", "Syntax error: {{token}}" },
	{ "S0202", "Expected {{value}}, got {{token}}" },
	{ "S0203", "Expected {{value}} before end of expression" },
	{ "S0204", "Unknown operator: {{token}}" },
	{ "S0205", "Unexpected token: {{token}}" },
	{ "S0206", "Unknown expression type: {{token}}" },
	{ "S0207", "Unexpected end of expression" },
	{ "S0208", "Parameter {{value}} of function definition must be a variable name (start with $)" },
	{ "S0209", "A predicate cannot follow a grouping expression in a step" },
	{ "S0210", "Each step can only have one grouping expression" },
	{ "S0211", "The symbol {{token}} cannot be used as a unary operator" },
	{ "S0212", "The left side of := must be a variable name (start with $)" },
	{ "S0213", "The literal value {{value}} cannot be used as a step within a path expression" },
	{ "S0214", "The right side of {{token}} must be a variable name (start with $)" },
	{ "S0215", "A context variable binding must precede any predicates on a step" },
	{ "S0216", "A context variable binding must precede the 'order-by' clause on a step" },
	{ "S0217", "The object representing the 'parent' cannot be derived from this expression" },
	{ "S0301", "Empty regular expressions are not allowed" },
	{ "S0302", "No terminating / in regular expression" },
	{ "S0402", "Choice groups containing parameterized types are not supported" },
	{ "S0401", "Type parameters can only be applied to functions and arrays" },
	{ "S0500", "Attempted to evaluate an expression containing syntax error(s)" },
	{ "T0410", "Argument {{index}} of function {{token}} does not match function signature" },
	{ "T0411", "Context value is not a compatible type with argument {{index}} of function {{token}}" },
	{ "T0412", "Argument {{index}} of function {{token}} must be an array of {{type}}" },
	{ "D1001", "Number out of range: {{value}}" },
	{ "D1002", "Cannot negate a non-numeric value: {{value}}" },
	{ "T1003", "Key in object structure must evaluate to a string; got: {{value}}" },
	{ "D1004", "Regular expression matches zero length string" },
	{ "T1005", "Attempted to invoke a non-function. Did you mean ${{{token}}}?" },
	{ "T1006", "Attempted to invoke a non-function" },
	{ "T1007", "Attempted to partially apply a non-function. Did you mean ${{{token}}}?" },
	{ "T1008", "Attempted to partially apply a non-function" },
	{ "D1009", "Multiple key definitions evaluate to same key: {{value}}" },
	{ "T1010", "The matcher function argument passed to function {{token}} does not return the correct object structure" },
	{ "T2001", "The left side of the {{token}} operator must evaluate to a number" },
	{ "T2002", "The right side of the {{token}} operator must evaluate to a number" },
	{ "T2003", "The left side of the range operator (..) must evaluate to an integer" },
	{ "T2004", "The right side of the range operator (..) must evaluate to an integer" },
	{ "T2006", "The right side of the function application operator ~> must be a function" },
	{ "T2007", "Type mismatch when comparing values {{value}} and {{value2}} in order-by clause" },
	{ "T2008", "The expressions within an order-by clause must evaluate to numeric or string values" },
	{ "T2009", "The values {{value}} and {{value2}} either side of operator {{token}} must be of the same data type" },
	{ "T2010", "The expressions either side of operator {{token}} must evaluate to numeric or string values" },
	{ "T2011", "The insert/update clause of the transform expression must evaluate to an object: {{value}}" },
	{ "T2012", "The delete clause of the transform expression must evaluate to a string or array of strings: {{value}}" },
	{ "T2013", "The transform expression clones the input object using the $clone() function.  This has been overridden in the current scope by a non-function." },
	{ "D2014", "The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {{value}}." },
	{ "D3001", "Attempting to invoke string function on Infinity or NaN" },
	{ "D3010", "Second argument of replace function cannot be an empty string" },
	{ "D3011", "Fourth argument of replace function must evaluate to a positive number" },
	{ "D3012", "Attempted to replace a matched string with a non-string value" },
	{ "D3020", "Third argument of split function must evaluate to a positive number" },
	{ "D3030", "Unable to cast value to a number: {{value}}" },
	{ "D3040", "Third argument of match function must evaluate to a positive number" },
	{ "D3050", "The second argument of reduce function must be a function with at least two arguments" },
	{ "D3060", "The sqrt function cannot be applied to a negative number: {{value}}" },
	{ "D3061", "The power function has resulted in a value that cannot be represented as a JSON number: base={{value}}, exponent={{exp}}" },
	{ "D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function" },
	{ "D3080", "The picture string must only contain a maximum of two sub-pictures" },
	{ "D3081", "The sub-picture must not contain more than one instance of the 'decimal-separator' character" },
	{ "D3082", "The sub-picture must not contain more than one instance of the 'percent' character" },
	{ "D3083", "The sub-picture must not contain more than one instance of the 'per-mille' character" },
	{ "D3084", "The sub-picture must not contain both a 'percent' and a 'per-mille' character" },
	{ "D3085", "The mantissa part of a sub-picture must contain at least one character that is either an 'optional digit character' or a member of the 'decimal digit family'" },
	{ "D3086", "The sub-picture must not contain a passive character that is preceded by an active character and that is followed by another active character" },
	{ "D3087", "The sub-picture must not contain a 'grouping-separator' character that appears adjacent to a 'decimal-separator' character" },
	{ "D3088", "The sub-picture must not contain a 'grouping-separator' at the end of the integer part" },
	{ "D3089", "The sub-picture must not contain two adjacent instances of the 'grouping-separator' character" },
	{ "D3090", "The integer part of the sub-picture must not contain a member of the 'decimal digit family' that is followed by an instance of the 'optional digit character'" },
	{ "D3091", "The fractional part of the sub-picture must not contain an instance of the 'optional digit character' that is followed by a member of the 'decimal digit family'" },
	{ "D3092", "A sub-picture that contains a 'percent' or 'per-mille' character must not contain a character treated as an 'exponent-separator'" },
	{ "D3093", "The exponent part of the sub-picture must comprise only of one or more characters that are members of the 'decimal digit family'" },
	{ "D3100", "The radix of the formatBase function must be between 2 and 36.  It was given {{value}}" },
	{ "D3110", "The argument of the toMillis function must be an ISO 8601 formatted timestamp. Given {{value}}" },
	{ "D3120", "Syntax error in expression passed to function eval: {{{value}}}" },
	{ "D3121", "Dynamic error evaluating the expression passed to function eval: {{{value}}}" },
	{ "D3130", "Formatting or parsing an integer as a sequence starting with {{value}} is not supported by this implementation" },
	{ "D3131", "In a decimal digit pattern, all digits must be from the same decimal group" },
	{ "D3132", "Unknown component specifier {{value}} in date/time picture string" },
	{ "D3133", "The 'name' modifier can only be applied to months and days in the date/time picture string, not {{value}}" },
	{ "D3134", "The timezone integer format specifier cannot have more than four digits" },
	{ "D3135", "No matching closing bracket ']' in date/time picture string" },
	{ "D3136", "The date/time picture string is missing specifiers required to parse the timestamp" },
	{ "D3137", "{{{value}}}" },
	{ "D3138", "The $single() function expected exactly 1 matching result.  Instead it matched more." },
	{ "D3139", "The $single() function expected exactly 1 matching result.  Instead it matched 0." },
	{ "D3140", "Malformed URL passed to ${{{token}}}(): {{value}}" },
	{ "D3141", "{{{value}}}" },
	{ "U1001", "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive." },
	{ "X0001", "Out of memory" },
};

static void
put_str(char *buf, size_t len, size_t *n, const char *s)
{
	while (*s != 0 && *n + 1 < len)
		buf[(*n)++] = *s++;
	buf[*n] = 0;
}

static void
put_json(char *buf, size_t len, size_t *n, const json_t *v, int raw)
{
	char *s;

	if (v == NULL) {
		put_str(buf, len, n, "undefined");
		return;
	}
	if (json_is_string(v) && raw) {
		put_str(buf, len, n, json_string_value(v));
		return;
	}
	if (json_is_number(v) && !json_is_integer(v)) {
		char nb[64];

		jn_fmt_number(json_real_value(v), nb, sizeof(nb));
		put_str(buf, len, n, nb);
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (s != NULL) {
		put_str(buf, len, n, s);
		free(s);
	}
}

static void
fill_error(struct sd_jn_error *err, const char *code, long pos,
    const char *token, const json_t *value, const json_t *value2, long index)
{
	const char *tpl = NULL, *p;
	size_t i, n = 0;

	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	snprintf(err->code, sizeof(err->code), "%s", code);
	err->position = pos;
	snprintf(err->token, sizeof(err->token), "%s", token ? token : "");
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (strcmp(messages[i].code, code) == 0)
			tpl = messages[i].msg;
	if (tpl == NULL) {
		if (value != NULL && json_is_string(value))
			tpl = "{{{value}}}";
		else
			tpl = code;
	}
	for (p = tpl; *p != 0 && n + 1 < sizeof(err->message);) {
		int raw = strncmp(p, "{{{", 3) == 0;
		const char *name = p + (raw ? 3 : 2), *end;

		if (strncmp(p, "{{", 2) != 0 ||
		    (end = strstr(name, "}}")) == NULL) {
			err->message[n++] = *p++;
			continue;
		}
		if (strncmp(name, "token", 5) == 0) {
			json_t *t = json_string(token ? token : "");

			put_json(err->message, sizeof(err->message), &n, t, raw);
			json_decref(t);
		} else if (strncmp(name, "value2", 6) == 0)
			put_json(err->message, sizeof(err->message), &n,
			    value2, raw);
		else if (strncmp(name, "value", 5) == 0)
			put_json(err->message, sizeof(err->message), &n, value,
			    raw);
		else if (strncmp(name, "index", 5) == 0) {
			char nb[32];

			snprintf(nb, sizeof(nb), "%ld", index);
			put_str(err->message, sizeof(err->message), &n, nb);
		} else
			put_str(err->message, sizeof(err->message), &n,
			    "undefined");
		p = end + (raw ? 3 : 2);
	}
	err->message[n] = 0;
}

static int
throw2(struct jn_ctx *c, const char *code, long pos, const char *token,
    const json_t *v, const json_t *v2)
{
	if (c == NULL || c->failed)
		return -1;
	c->failed = 1;
	if (pos < 0)
		pos = c->cur_pos;
	if (token == NULL)
		token = c->cur_tok;
	fill_error(c->err, code, pos, token, v, v2, -1);
	return -1;
}

int
jn_throw(struct jn_ctx *c, const char *code, long position,
    const char *token, const json_t *value, long index)
{
	if (c == NULL || c->failed)
		return -1;
	c->failed = 1;
	if (position < 0)
		position = c->cur_pos;
	if (token == NULL)
		token = c->cur_tok;
	fill_error(c->err, code, position, token, value, NULL, index);
	if (strcmp(code, "U1001") == 0 && c->err != NULL && c->steps > 0 &&
	    value != NULL && json_is_string(value))
		snprintf(c->err->message, sizeof(c->err->message), "%s",
		    json_string_value(value));
	return -1;
}

json_t *
jn_num(struct jn_ctx *c, double d)
{
	json_t *v;

	if (!isfinite(d)) {
		if (c != NULL) {
			json_t *s = json_string(isnan(d) ? "NaN" : d > 0 ?
			    "Infinity" : "-Infinity");

			jn_throw(c, "D1001", -1, NULL, s, -1);
			json_decref(s);
		}
		return NULL;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		v = json_integer((json_int_t)d);
	else
		v = json_real(d);
	if (v == NULL && c != NULL)
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
	return v;
}

double
jn_numv(const json_t *v)
{
	if (json_is_integer(v))
		return (double)json_integer_value(v);
	if (json_is_real(v))
		return json_real_value(v);
	return 0;
}

int
jn_is_num(const json_t *v)
{
	return json_is_number(v);
}

/* ------------------------------------------------------------ flags */

static size_t
phash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= 0x9e3779b97f4a7c15ULL;
	return (size_t)(x >> 7) & (cap - 1);
}

static int
fset_grow(struct fset *s)
{
	size_t nc = s->cap ? s->cap * 2 : 256, i;
	json_t **k = calloc(nc, sizeof(*k));
	unsigned char *f = calloc(nc, 1);

	if (k == NULL || f == NULL) {
		free(k);
		free(f);
		return -1;
	}
	for (i = 0; i < s->cap; i++) {
		size_t h;

		if (s->k[i] == NULL)
			continue;
		h = phash(s->k[i], nc);
		while (k[h] != NULL)
			h = (h + 1) & (nc - 1);
		k[h] = s->k[i];
		f[h] = s->f[i];
	}
	free(s->k);
	free(s->f);
	s->k = k;
	s->f = f;
	s->cap = nc;
	return 0;
}

/*
 * Drop the entries only the set itself still holds (the arrays are dead:
 * nothing can ask for their flags again), so that the temporaries of a
 * long evaluation are freed as it goes instead of at its end. Rehashes
 * in place at the same capacity.
 */
static void
fset_sweep(struct fset *s)
{
	json_t **k = s->k;
	unsigned char *f = s->f;
	size_t i, n = 0;

	if (s->cap == 0)
		return;
	if ((s->k = calloc(s->cap, sizeof(*s->k))) == NULL ||
	    (s->f = calloc(s->cap, 1)) == NULL) {
		free(s->k);
		s->k = k;
		s->f = f;
		return;
	}
	for (i = 0; i < s->cap; i++) {
		size_t h;

		if (k[i] == NULL)
			continue;
		if (k[i]->refcount == 1) {
			json_decref(k[i]);
			continue;
		}
		h = phash(k[i], s->cap);
		while (s->k[h] != NULL)
			h = (h + 1) & (s->cap - 1);
		s->k[h] = k[i];
		s->f[h] = f[i];
		n++;
	}
	s->n = n;
	free(k);
	free(f);
}

static int
getf(const struct jn_ctx *c, const json_t *v)
{
	size_t h;

	if (v == NULL || c->flags.cap == 0 || !json_is_array(v))
		return 0;
	h = phash(v, c->flags.cap);
	while (c->flags.k[h] != NULL) {
		if (c->flags.k[h] == v)
			return c->flags.f[h];
		h = (h + 1) & (c->flags.cap - 1);
	}
	return 0;
}

static int
setf(struct jn_ctx *c, json_t *v, int f)
{
	size_t h;

	if (v == NULL)
		return 0;
	if ((c->flags.n + 1) * 2 > c->flags.cap) {
		fset_sweep(&c->flags);
		if ((c->flags.n + 1) * 4 > c->flags.cap &&
		    fset_grow(&c->flags) != 0)
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	}
	h = phash(v, c->flags.cap);
	while (c->flags.k[h] != NULL) {
		if (c->flags.k[h] == v) {
			c->flags.f[h] |= (unsigned char)f;
			return 0;
		}
		h = (h + 1) & (c->flags.cap - 1);
	}
	c->flags.k[h] = json_incref(v);
	c->flags.f[h] = (unsigned char)f;
	c->flags.n++;
	return 0;
}

static json_t *
seq_new(struct jn_ctx *c)
{
	json_t *a = json_array();

	if (a == NULL) {
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
		return NULL;
	}
	if (setf(c, a, F_SEQ) != 0) {
		json_decref(a);
		return NULL;
	}
	return a;
}

json_t *
jn_seq_new(struct jn_ctx *c)
{
	return seq_new(c);
}

int
jn_is_seq(const struct jn_ctx *c, const json_t *v)
{
	return (getf(c, v) & F_SEQ) != 0;
}

#define IS_SEQ(c, v)	((getf((c), (v)) & F_SEQ) != 0)

/* ------------------------------------------------------------ limits */

int
jn_charge(struct jn_ctx *c, size_t bytes)
{
	if (c->failed)
		return -1;
	if (bytes > c->o.max_bytes || c->bytes > c->o.max_bytes - bytes) {
		json_t *m = json_string("Memory limit exceeded");

		jn_throw(c, "U1001", -1, NULL, m, -1);
		json_decref(m);
		return -1;
	}
	c->bytes += bytes;
	return 0;
}

int
jn_tick(struct jn_ctx *c)
{
	if (c->failed)
		return -1;
	if (++c->steps > c->o.max_steps) {
		json_t *m = json_string("Expression evaluation timeout: Check for infinite loop");

		jn_throw(c, "U1001", -1, NULL, m, -1);
		json_decref(m);
		return -1;
	}
	if ((c->steps & 1023) == 0) {
		struct timespec ts;
		int64_t ms;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ms = (int64_t)(ts.tv_sec - c->t0.tv_sec) * 1000 +
		    (ts.tv_nsec - c->t0.tv_nsec) / 1000000;
		if (ms > (int64_t)c->o.time_limit_ms) {
			json_t *m = json_string("Expression evaluation timeout: Check for infinite loop");

			jn_throw(c, "U1001", -1, NULL, m, -1);
			json_decref(m);
			return -1;
		}
	}
	return 0;
}

const struct sd_jn_opts *
jn_opts(const struct jn_ctx *c)
{
	return &c->o;
}

int64_t
jn_now_ms(struct jn_ctx *c)
{
	struct timespec ts;

	if (c->o.now_ms >= 0)
		return c->o.now_ms;
	if (!c->now_set) {
		if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
			return 0;
		c->now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		c->now_set = 1;
	}
	return c->now;
}

/* ------------------------------------------------------------ envs */

static struct env *
env_new(struct jn_ctx *c, struct env *parent)
{
	struct env *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
		return NULL;
	}
	e->parent = parent;
	e->all = c->envs;
	c->envs = e;
	return e;
}

/* steals v */
static int
env_bind(struct jn_ctx *c, struct env *e, const char *name, json_t *v)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (strcmp(e->b[i].name, name) == 0) {
			json_decref(e->b[i].val);
			e->b[i].val = v;
			return 0;
		}
	if (e->n == e->cap) {
		size_t nc = e->cap ? e->cap * 2 : 4;
		struct binding *b = reallocarray(e->b, nc, sizeof(*b));

		if (b == NULL) {
			json_decref(v);
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		}
		e->b = b;
		e->cap = nc;
	}
	e->b[e->n].name = name;
	e->b[e->n].val = v;
	e->n++;
	return 0;
}

static int
env_lookup(struct env *e, const char *name, json_t **v)
{
	size_t i;

	for (; e != NULL; e = e->parent)
		for (i = 0; i < e->n; i++)
			if (e->b[i].name[0] == name[0] &&
			    strcmp(e->b[i].name, name) == 0) {
				*v = e->b[i].val;
				return 1;
			}
	*v = NULL;
	return 0;
}

static void
env_free_all(struct jn_ctx *c)
{
	struct env *e, *nx;
	size_t i;

	for (e = c->envs; e != NULL; e = nx) {
		nx = e->all;
		for (i = 0; i < e->n; i++)
			json_decref(e->b[i].val);
		free(e->b);
		json_decref(e->hold);
		free(e);
	}
	c->envs = NULL;
}

static struct env *
env_from_tuple(struct jn_ctx *c, struct env *parent, json_t *tuple)
{
	struct env *e = env_new(c, parent);
	const char *k;
	json_t *v;

	if (e == NULL)
		return NULL;
	e->hold = json_incref(tuple);
	json_object_foreach(tuple, k, v)
		if (env_bind(c, e, k, json_incref(v)) != 0)
			return NULL;
	return e;
}

/* ------------------------------------------------------------ functions */

static json_t *
fn_new(struct jn_ctx *c, int kind, struct fnv **out)
{
	struct fnv *f;
	json_t *v;

	if (c->nfns == c->fncap) {
		size_t nc = c->fncap ? c->fncap * 2 : 32;
		struct fnv *t = reallocarray(c->fns, nc, sizeof(*t));

		if (t == NULL) {
			jn_throw(c, "X0001", -1, NULL, NULL, -1);
			return NULL;
		}
		c->fns = t;
		c->fncap = nc;
	}
	v = json_object();
	if (v == NULL || json_object_set_new(v, JN_FN_KEY,
	    json_integer((json_int_t)c->nfns)) != 0) {
		json_decref(v);
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
		return NULL;
	}
	f = &c->fns[c->nfns++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->value = v;
	*out = f;
	return json_incref(v);
}

int
jn_is_fn(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	    json_is_integer(json_object_get(v, JN_FN_KEY));
}

static struct fnv *
fn_get(struct jn_ctx *c, const json_t *v)
{
	json_int_t h;

	if (!jn_is_fn(v))
		return NULL;
	h = json_integer_value(json_object_get(v, JN_FN_KEY));
	if (h < 0 || (size_t)h >= c->nfns || c->fns[h].value != v)
		return NULL;
	return &c->fns[h];
}

static void
fns_free(struct jn_ctx *c)
{
	size_t i, j;

	for (i = 0; i < c->nfns; i++) {
		struct fnv *f = &c->fns[i];

		json_decref(f->input);
		free(f->params);
		for (j = 0; j < f->nbargs; j++)
			json_decref(f->bargs[j]);
		free(f->bargs);
		free(f->hole);
		json_decref(f->str);
		json_decref(f->f);
		json_decref(f->g);
		json_decref(f->value);
	}
	free(c->fns);
	c->fns = NULL;
	c->nfns = 0;
}

int
jn_fn_arity(struct jn_ctx *c, const json_t *fn)
{
	struct fnv *f = fn_get(c, fn);
	size_t i;
	int n = 0;

	if (f == NULL)
		return -1;
	switch (f->kind) {
	case FK_LAMBDA:
		return (int)f->nparams;
	case FK_BUILTIN:
		return jn_sig_arity(jn_builtin_sig(f->bi));
	case FK_PARTIAL:
		for (i = 0; i < f->nbargs; i++)
			n += f->hole[i];
		return n;
	case FK_REGEX:
		return 2;
	case FK_NEXT:
		return 0;
	default:
		return 1;
	}
}

const void *
jn_regex(struct jn_ctx *c, const json_t *v)
{
	struct fnv *f = fn_get(c, v);

	return f != NULL && f->kind == FK_REGEX ? f->node->re : NULL;
}

/* ------------------------------------------------------------ evaluator */

struct vec {
	json_t	**v;
	size_t	  n, cap;
};

static int
vpush(struct jn_ctx *c, struct vec *a, json_t *v)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 8;
		json_t **t = reallocarray(a->v, nc, sizeof(*t));

		if (t == NULL)
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		a->v = t;
		a->cap = nc;
	}
	a->v[a->n++] = v;
	return 0;
}

static int eval(struct jn_ctx *, struct node *, json_t *, struct env *,
    json_t **);
static int apply(struct jn_ctx *, json_t *, json_t **, size_t, json_t *,
    json_t **);
static int eval_function(struct jn_ctx *, struct node *, json_t *,
    struct env *, json_t *, int, json_t **);

/*
 * Append the items of src to dst, charging their slots against the
 * evaluation's byte limit (arrays that double per step must hit the limit,
 * not the allocator). 0, or -1 with U1001/X0001 thrown.
 */
static int
arr_extend(struct jn_ctx *c, json_t *dst, json_t *src)
{
	size_t n = json_array_size(src);

	if (n > SIZE_MAX / (2 * sizeof(void *)) ||
	    jn_charge(c, n * 2 * sizeof(void *)) != 0)
		return -1;
	if (json_array_extend(dst, src) != 0)
		return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	return 0;
}

/* fn.append: new ref; args borrowed */
static json_t *
append2(struct jn_ctx *c, json_t *a, json_t *b)
{
	json_t *r;
	size_t i;

	if (a == NULL)
		return b != NULL ? json_incref(b) : NULL;
	if (b == NULL)
		return json_incref(a);
	if ((r = json_array()) == NULL) {
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
		return NULL;
	}
	if ((json_is_array(a) ? arr_extend(c, r, a) :
	    json_array_append(r, a)) != 0 ||
	    (json_is_array(b) ? arr_extend(c, r, b) :
	    json_array_append(r, b)) != 0) {
		json_decref(r);
		if (!c->failed)
			jn_throw(c, "X0001", -1, NULL, NULL, -1);
		return NULL;
	}
	(void)i;
	return r;
}

static int
truthy(struct jn_ctx *c, const json_t *v)
{
	size_t i;

	if (v == NULL)
		return 0;
	if (json_is_array(v)) {
		if (json_array_size(v) == 1)
			return truthy(c, json_array_get(v, 0));
		for (i = 0; i < json_array_size(v); i++)
			if (truthy(c, json_array_get(v, i)))
				return 1;
		return 0;
	}
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (json_is_number(v))
		return jn_numv(v) != 0;
	if (json_is_object(v))
		return !jn_is_fn(v) && json_object_size(v) > 0;
	return json_is_true(v);
}

static int
lookup_name(struct jn_ctx *c, json_t *in, const char *key, json_t *res)
{
	size_t i;

	if (json_is_array(in)) {
		for (i = 0; i < json_array_size(in); i++) {
			json_t *e = json_array_get(in, i);

			if (json_is_array(e)) {
				json_t *sub = seq_new(c);

				if (sub == NULL || lookup_name(c, e, key, sub) != 0) {
					json_decref(sub);
					return -1;
				}
				if (arr_extend(c, res, sub) != 0) {
					json_decref(sub);
					return -1;
				}
				json_decref(sub);
			} else if (json_is_object(e) && !jn_is_fn(e)) {
				json_t *v = json_object_get(e, key);

				if (v != NULL && (json_is_array(v) ?
				    arr_extend(c, res, v) :
				    json_array_append(res, v)) != 0)
					return -1;
			}
		}
	}
	return 0;
}

static int
eval_name(struct jn_ctx *c, struct node *n, json_t *in, json_t **out)
{
	json_t *r;

	*out = NULL;
	if (json_is_array(in)) {
		if ((r = seq_new(c)) == NULL)
			return -1;
		if (lookup_name(c, in, n->str, r) != 0) {
			json_decref(r);
			return -1;
		}
		*out = r;
	} else if (json_is_object(in) && !jn_is_fn(in)) {
		r = json_object_get(in, n->str);
		*out = r != NULL ? json_incref(r) : NULL;
	}
	return 0;
}

static void
flatten_into(json_t *res, json_t *v)
{
	size_t i;

	if (json_is_array(v))
		for (i = 0; i < json_array_size(v); i++)
			flatten_into(res, json_array_get(v, i));
	else
		json_array_append(res, v);
}

static int
eval_wildcard(struct jn_ctx *c, json_t *in, json_t **out)
{
	json_t *r = seq_new(c), *v;
	const char *k;

	*out = NULL;
	if (r == NULL)
		return -1;
	if (json_is_array(in) && (getf(c, in) & F_OUTER) &&
	    json_array_size(in) > 0)
		in = json_array_get(in, 0);
	if (json_is_array(in)) {
		size_t i;

		for (i = 0; i < json_array_size(in); i++) {
			v = json_array_get(in, i);
			if (json_is_array(v)) {
				json_t *p = json_array(), *n2;

				flatten_into(p, v);
				n2 = append2(c, r, p);
				json_decref(p);
				json_decref(r);
				if ((r = n2) == NULL)
					return -1;
			} else
				json_array_append(r, v);
		}
	} else if (json_is_object(in) && !jn_is_fn(in)) {
		json_object_foreach(in, k, v) {
			if (json_is_array(v)) {
				json_t *p = json_array(), *n2;

				flatten_into(p, v);
				n2 = append2(c, r, p);
				json_decref(p);
				json_decref(r);
				if ((r = n2) == NULL)
					return -1;
			} else
				json_array_append(r, v);
		}
	}
	*out = r;
	return 0;
}

static void
descend(json_t *in, json_t *res)
{
	size_t i;
	const char *k;
	json_t *v;

	if (!json_is_array(in))
		json_array_append(res, in);
	if (json_is_array(in)) {
		for (i = 0; i < json_array_size(in); i++)
			descend(json_array_get(in, i), res);
	} else if (json_is_object(in) && !jn_is_fn(in)) {
		json_object_foreach(in, k, v)
			descend(v, res);
	}
}

/* input items of a step: borrowed pointers; NULL allowed */
static int
vec_of(struct jn_ctx *c, json_t *v, struct vec *a)
{
	size_t i;

	a->n = 0;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if (vpush(c, a, json_array_get(v, i)) != 0)
				return -1;
		return 0;
	}
	return vpush(c, a, v);
}

static int eval_filter(struct jn_ctx *, struct node *, json_t *,
    struct env *, json_t **);
static int eval_sort(struct jn_ctx *, struct node *, json_t *,
    struct env *, json_t **);
static int eval_group(struct jn_ctx *, struct node *, json_t *,
    struct env *, json_t **);

static int
eval_stages(struct jn_ctx *c, struct nlist *st, json_t *in, struct env *env,
    json_t **out)
{
	json_t *r = json_incref(in);
	size_t i, j;

	for (i = 0; i < st->n; i++) {
		struct node *s = st->v[i];

		if (s->type == N_FILTER) {
			json_t *nr;

			if (eval_filter(c, s->expr, r, env, &nr) != 0) {
				json_decref(r);
				return -1;
			}
			json_decref(r);
			r = nr;
		} else if (json_is_array(r)) {
			for (j = 0; j < json_array_size(r); j++)
				json_object_set_new(json_array_get(r, j),
				    s->str, json_integer((json_int_t)j));
		}
	}
	*out = r;
	return 0;
}

static int
eval_step(struct jn_ctx *c, struct node *st, json_t *in, struct env *env,
    int last, json_t **out)
{
	json_t *res = NULL, *rs = NULL;
	size_t i, j, ni;
	int rc = -1, plain_name, flat = 1;

	*out = NULL;
	if (st->type == N_SORT) {
		json_t *s;

		if (eval_sort(c, st, in, env, &s) != 0)
			return -1;
		if (st->stages.n > 0) {
			rc = eval_stages(c, &st->stages, s, env, out);
			json_decref(s);
			return rc;
		}
		*out = s;
		return 0;
	}
	if ((res = json_array()) == NULL)
		goto out;
	plain_name = st->type == N_NAME && st->pred.n == 0 &&
	    st->group == NULL && st->stages.n == 0;
	/* in (an array, or one value) is not changed by evaluating st */
	ni = json_is_array(in) ? json_array_size(in) : 1;
	for (i = 0; i < ni; i++) {
		json_t *r, *it = json_is_array(in) ? json_array_get(in, i) : in;

		if (plain_name && it != NULL && json_is_object(it) &&
		    !jn_is_fn(it)) {
			/* a name over an object: what eval_name does */
			if (jn_tick(c) != 0)
				goto out;
			if ((r = json_object_get(it, st->str)) != NULL)
				r = json_incref(r);
		} else if (eval(c, st, it, env, &r) != 0)
			goto out;
		for (j = 0; j < st->stages.n; j++) {
			json_t *nr;

			if (eval_filter(c, st->stages.v[j]->expr, r, env,
			    &nr) != 0) {
				json_decref(r);
				goto out;
			}
			json_decref(r);
			r = nr;
		}
		if (r != NULL) {
			if (json_is_array(r) && !(getf(c, r) & F_CONS))
				flat = 0;
			if (json_array_append_new(res, r) != 0) {
				jn_throw(c, "X0001", -1, NULL, NULL, -1);
				goto out;
			}
		}
	}
	if (last && json_array_size(res) == 1 &&
	    json_is_array(json_array_get(res, 0)) &&
	    !IS_SEQ(c, json_array_get(res, 0))) {
		*out = json_incref(json_array_get(res, 0));
		rc = 0;
		goto out;
	}
	if (flat) {
		/* nothing to flatten: res itself is the sequence */
		if (setf(c, res, F_SEQ) != 0)
			goto out;
		*out = res;
		res = NULL;
		rc = 0;
		goto out;
	}
	if ((rs = seq_new(c)) == NULL)
		goto out;
	for (i = 0; i < json_array_size(res); i++) {
		json_t *r = json_array_get(res, i);

		if ((!json_is_array(r) || (getf(c, r) & F_CONS)) ?
		    json_array_append(rs, r) != 0 :
		    arr_extend(c, rs, r) != 0) {
			json_decref(rs);
			rs = NULL;
			goto out;
		}
	}
	*out = rs;
	rc = 0;
 out:
	json_decref(res);
	return rc;
}

static json_t *
tuple_copy(json_t *t)
{
	return json_copy(t);
}

static int
eval_tuple_step(struct jn_ctx *c, struct node *st, json_t *in, json_t *tb,
    struct env *env, json_t **out)
{
	json_t *res = NULL, *own = NULL;
	struct vec items = { NULL, 0, 0 };
	size_t i, b;
	int rc = -1;

	*out = NULL;
	if (st->type == N_SORT) {
		json_t *s;

		if (tb != NULL) {
			if (eval_sort(c, st, tb, env, &s) != 0)
				return -1;
			setf(c, s, F_TUPLE);
		} else {
			json_t *sorted;

			if (eval_sort(c, st, in, env, &sorted) != 0)
				return -1;
			s = seq_new(c);
			setf(c, s, F_TUPLE);
			for (i = 0; s != NULL && i < json_array_size(sorted); i++) {
				json_t *t = json_object();

				json_object_set(t, "@", json_array_get(sorted, i));
				if (st->index != NULL)
					json_object_set_new(t, st->index,
					    json_integer((json_int_t)i));
				json_array_append_new(s, t);
			}
			json_decref(sorted);
			if (s == NULL)
				return -1;
		}
		if (st->stages.n > 0) {
			rc = eval_stages(c, &st->stages, s, env, out);
			json_decref(s);
			return rc;
		}
		*out = s;
		return 0;
	}
	if ((res = seq_new(c)) == NULL || setf(c, res, F_TUPLE) != 0)
		goto out;
	if (tb == NULL) {
		if (vec_of(c, in, &items) != 0 || (own = json_array()) == NULL)
			goto out;
		for (i = 0; i < items.n; i++) {
			json_t *t = json_object();

			if (items.v[i] != NULL)
				json_object_set(t, "@", items.v[i]);
			json_array_append_new(own, t);
		}
		tb = own;
	}
	for (i = 0; i < json_array_size(tb); i++) {
		json_t *tup = json_array_get(tb, i), *r, *at;
		struct env *se;
		int rt;

		if ((se = env_from_tuple(c, env, tup)) == NULL)
			goto out;
		at = json_object_get(tup, "@");
		if (eval(c, st, at, se, &r) != 0)
			goto out;
		if (r == NULL)
			continue;
		rt = (getf(c, r) & F_TUPLE) != 0;
		if (!json_is_array(r)) {
			json_t *w = json_array();

			json_array_append_new(w, r);
			r = w;
		}
		for (b = 0; b < json_array_size(r); b++) {
			json_t *t = tuple_copy(tup), *rb = json_array_get(r, b);

			if (rt)
				json_object_update(t, rb);
			else {
				if (st->focus != NULL) {
					json_object_set(t, st->focus, rb);
					if (at != NULL)
						json_object_set(t, "@", at);
				} else
					json_object_set(t, "@", rb);
				if (st->index != NULL)
					json_object_set_new(t, st->index,
					    json_integer((json_int_t)b));
				if (st->ancestor != NULL && at != NULL)
					json_object_set(t, st->ancestor->label,
					    at);
			}
			json_array_append_new(res, t);
		}
		json_decref(r);
	}
	if (st->stages.n > 0) {
		rc = eval_stages(c, &st->stages, res, env, out);
		goto out;
	}
	*out = json_incref(res);
	rc = 0;
 out:
	free(items.v);
	json_decref(own);
	json_decref(res);
	return rc;
}

/* a path of plain names (no predicates, stages, bindings, grouping) */
static int
simple_path(const struct node *n)
{
	size_t i;

	if (n->keep_single || n->keep_array || n->tuple || n->group != NULL ||
	    n->list.n == 0)
		return 0;
	for (i = 0; i < n->list.n; i++) {
		const struct node *st = n->list.v[i];

		if (st->type != N_NAME || st->stages.n > 0 || st->pred.n > 0 ||
		    st->group != NULL || st->tuple || st->focus != NULL ||
		    st->index != NULL || st->keep_array || st->consarray ||
		    st->ancestor != NULL || st->slot != NULL ||
		    st->has_seeking)
			return 0;
	}
	return 1;
}

static int
eval_path(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	json_t *inseq, *rs = NULL, *tb = NULL;
	int tuple = 0, rc = -1;
	size_t i;

	*out = NULL;
	if (simple_path(n) && json_is_object(in) && !jn_is_fn(in)) {
		json_t *cur = in;

		/* names over objects: no sequences to build */
		for (i = 0; i < n->list.n; i++) {
			if (!json_is_object(cur) || jn_is_fn(cur))
				break;
			if ((cur = json_object_get(cur, n->list.v[i]->str)) ==
			    NULL)
				return 0;
		}
		if (i == n->list.n) {
			*out = json_incref(cur);
			return 0;
		}
	}
	if (json_is_array(in) && n->list.v[0]->type != N_VARIABLE)
		inseq = json_incref(in);
	else {
		if ((inseq = seq_new(c)) == NULL)
			return -1;
		if (in != NULL)
			json_array_append(inseq, in);
	}
	for (i = 0; i < n->list.n; i++) {
		struct node *st = n->list.v[i];
		json_t *r = NULL;

		if (st->tuple)
			tuple = 1;
		if (i == 0 && st->consarray) {
			if (eval(c, st, inseq, env, &r) != 0)
				goto out;
			json_decref(rs);
			rs = r;
		} else if (tuple) {
			json_t *ntb;

			if (eval_tuple_step(c, st, i == 0 && in == NULL ?
			    NULL : inseq, tb, env, &ntb) != 0)
				goto out;
			json_decref(tb);
			tb = ntb;
		} else {
			if (eval_step(c, st, i == 0 && in == NULL ? NULL :
			    inseq, env, i == n->list.n - 1, &r) != 0)
				goto out;
			json_decref(rs);
			rs = r;
		}
		if (!tuple && (rs == NULL || (json_is_array(rs) &&
		    json_array_size(rs) == 0)))
			break;
		if (st->focus == NULL && !tuple) {
			json_decref(inseq);
			inseq = json_incref(rs);
		}
	}
	if (tuple) {
		if (n->tuple) {
			json_decref(rs);
			rs = json_incref(tb);
		} else {
			json_decref(rs);
			if ((rs = seq_new(c)) == NULL)
				goto out;
			for (i = 0; i < json_array_size(tb); i++) {
				json_t *v = json_object_get(
				    json_array_get(tb, i), "@");

				if (v != NULL)
					json_array_append(rs, v);
			}
		}
	}
	if (n->keep_single && rs != NULL) {
		int f = getf(c, rs);

		if (json_is_array(rs) && (f & F_CONS) && !(f & F_SEQ)) {
			json_t *w = seq_new(c);

			if (w == NULL)
				goto out;
			json_array_append_new(w, rs);
			rs = w;
		}
		if (json_is_array(rs))
			setf(c, rs, F_KEEP);
	}
	if (n->group != NULL) {
		json_t *g;

		if (eval_group(c, n->group, tuple ? tb : rs, env, &g) != 0)
			goto out;
		json_decref(rs);
		rs = g;
	}
	*out = rs;
	rs = NULL;
	rc = 0;
 out:
	json_decref(inseq);
	json_decref(rs);
	json_decref(tb);
	return rc;
}

static int
eval_filter(struct jn_ctx *c, struct node *pred, json_t *in, struct env *env,
    json_t **out)
{
	json_t *res;
	struct vec items = { NULL, 0, 0 };
	int tup = (getf(c, in) & F_TUPLE) != 0;
	size_t i, j;

	*out = NULL;
	if (in == NULL)
		return 0;
	if ((res = seq_new(c)) == NULL)
		return -1;
	if (tup)
		setf(c, res, F_TUPLE);
	if (vec_of(c, in, &items) != 0)
		goto fail;
	if (pred->type == N_NUMBER) {
		double d = floor(pred->num);
		long idx;

		if (d < 0)
			d += (double)items.n;
		idx = (long)d;
		if (d >= 0 && (size_t)idx < items.n && items.v[idx] != NULL) {
			json_t *it = items.v[idx];

			if (json_is_array(it)) {
				json_decref(res);
				res = json_incref(it);
			} else
				json_array_append(res, it);
		}
	} else {
		for (i = 0; i < items.n; i++) {
			json_t *it = items.v[i], *ctx = it, *r;
			struct env *e = env;

			if (tup) {
				ctx = json_object_get(it, "@");
				if ((e = env_from_tuple(c, env, it)) == NULL)
					goto fail;
			}
			if (eval(c, pred, ctx, e, &r) != 0)
				goto fail;
			if (json_is_number(r) || (json_is_array(r) &&
			    json_array_size(r) > 0)) {
				int allnum = 1;

				if (json_is_array(r))
					for (j = 0; j < json_array_size(r); j++)
						if (!json_is_number(json_array_get(r, j)))
							allnum = 0;
				if (allnum) {
					size_t m = json_is_array(r) ?
					    json_array_size(r) : 1;

					for (j = 0; j < m; j++) {
						double d = floor(jn_numv(json_is_array(r) ? json_array_get(r, j) : r));

						if (d < 0)
							d += (double)items.n;
						if (d == (double)i && it != NULL)
							json_array_append(res, it);
					}
					json_decref(r);
					continue;
				}
			}
			if (truthy(c, r) && it != NULL)
				json_array_append(res, it);
			json_decref(r);
		}
	}
	free(items.v);
	*out = res;
	return 0;
 fail:
	free(items.v);
	json_decref(res);
	return -1;
}

/*
 * Compare two UTF-8 strings as JavaScript compares strings: by UTF-16
 * code units (characters above U+FFFF, as surrogates, sort below
 * U+E000..U+FFFF). <0, 0, >0.
 */
static unsigned
utf16_unit(const unsigned char *s, size_t n, size_t i)
{
	unsigned c = s[i], cp;

	if (c < 0x80 || i + 1 >= n)
		return c;
	if (c >= 0xf0 && i + 3 < n) {
		cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) |
		    ((s[i + 2] & 0x3fu) << 6) | (s[i + 3] & 0x3fu);
		return 0xd800 + ((cp - 0x10000) >> 10);
	}
	if (c >= 0xe0 && i + 2 < n)
		return ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) |
		    (s[i + 2] & 0x3fu);
	if (c >= 0xc0)
		return ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
	return c;
}

static int
utf16_cmp(const json_t *a, const json_t *b)
{
	const unsigned char *x = (const unsigned char *)json_string_value(a);
	const unsigned char *y = (const unsigned char *)json_string_value(b);
	size_t la = json_string_length(a), lb = json_string_length(b);
	size_t i = 0, m = la < lb ? la : lb;
	unsigned ux, uy;

	while (i < m && x[i] == y[i])
		i++;
	if (i == m)
		return la < lb ? -1 : la > lb ? 1 : 0;
	/* back to the first byte of the differing characters */
	while (i > 0 && (x[i] & 0xc0) == 0x80)
		i--;
	ux = utf16_unit(x, la, i);
	uy = utf16_unit(y, lb, i);
	if (ux != uy)
		return ux < uy ? -1 : 1;
	/* same high surrogate: code point order is code unit order */
	return memcmp(x + i, y + i, m - i) < 0 ? -1 : 1;
}

/* sort keys */
struct skey {
	json_t	*item;
	json_t	**k;
};

static int
sort_cmp(struct jn_ctx *c, struct node *st, struct skey *a, struct skey *b,
    int *swap)
{
	size_t t;
	int comp = 0;

	for (t = 0; comp == 0 && t < st->list.n; t++) {
		json_t *aa = a->k[t], *bb = b->k[t];

		if (aa == NULL) {
			comp = bb == NULL ? 0 : 1;
			continue;
		}
		if (bb == NULL) {
			comp = -1;
			continue;
		}
		if (!(json_is_string(aa) || json_is_number(aa)) ||
		    !(json_is_string(bb) || json_is_number(bb)))
			return throw2(c, "T2008", st->pos, NULL,
			    !(json_is_string(aa) || json_is_number(aa)) ? aa :
			    bb, NULL);
		if (json_is_string(aa) != json_is_string(bb))
			return throw2(c, "T2007", st->pos, NULL, aa, bb);
		if (json_is_string(aa)) {
			int x = utf16_cmp(aa, bb);

			comp = x < 0 ? -1 : x > 0 ? 1 : 0;
		} else {
			double x = jn_numv(aa), y = jn_numv(bb);

			comp = x < y ? -1 : x > y ? 1 : 0;
		}
		if (st->list.v[t]->descending)
			comp = -comp;
	}
	*swap = comp == 1;
	return 0;
}

static int
msort(struct jn_ctx *c, struct node *st, struct skey *a, struct skey *tmp,
    size_t n)
{
	size_t m = n / 2, i = 0, j = m, k = 0;

	if (n <= 1)
		return 0;
	if (msort(c, st, a, tmp, m) != 0 || msort(c, st, a + m, tmp, n - m) != 0)
		return -1;
	while (i < m && j < n) {
		int sw;

		if (sort_cmp(c, st, &a[i], &a[j], &sw) != 0)
			return -1;
		if (sw)
			tmp[k++] = a[j++];
		else
			tmp[k++] = a[i++];
	}
	while (i < m)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof(*a));
	return 0;
}

static int
eval_sort(struct jn_ctx *c, struct node *st, json_t *in, struct env *env,
    json_t **out)
{
	struct vec items = { NULL, 0, 0 };
	struct skey *keys = NULL, *tmp = NULL;
	json_t **kv = NULL, *res = NULL;
	int tup = (getf(c, in) & F_TUPLE) != 0, rc = -1;
	size_t i, t, nt = st->list.n;

	*out = NULL;
	if (in == NULL)
		return 0;
	if (json_is_array(in) && json_array_size(in) <= 1) {
		*out = json_incref(in);
		return 0;
	}
	if (vec_of(c, in, &items) != 0)
		return -1;
	keys = calloc(items.n + 1, sizeof(*keys));
	tmp = calloc(items.n + 1, sizeof(*tmp));
	kv = calloc((items.n + 1) * (nt + 1), sizeof(*kv));
	if (keys == NULL || tmp == NULL || kv == NULL) {
		jn_throw(c, "X0001", -1, NULL, NULL, -1);
		goto out;
	}
	for (i = 0; i < items.n; i++) {
		json_t *ctx = items.v[i];
		struct env *e = env;

		keys[i].item = items.v[i];
		keys[i].k = kv + i * nt;
		if (tup) {
			ctx = json_object_get(items.v[i], "@");
			if ((e = env_from_tuple(c, env, items.v[i])) == NULL)
				goto out;
		}
		for (t = 0; t < nt; t++)
			if (eval(c, st->list.v[t]->expr, ctx, e,
			    &keys[i].k[t]) != 0)
				goto out;
	}
	if (msort(c, st, keys, tmp, items.n) != 0)
		goto out;
	if ((res = json_array()) == NULL)
		goto out;
	for (i = 0; i < items.n; i++)
		json_array_append(res, keys[i].item);
	*out = res;
	rc = 0;
 out:
	for (i = 0; kv != NULL && i < items.n * nt; i++)
		json_decref(kv[i]);
	free(kv);
	free(keys);
	free(tmp);
	free(items.v);
	return rc;
}

/* in eval_group's index: the group's array is the one it built */
#define GI_OWN	0x20000000

/* Release v when it is a reference of ours (own). */
static void
drop_ref(json_t *v, int own)
{
	if (own)
		json_decref(v);
}

static int
eval_group(struct jn_ctx *c, struct node *g, json_t *in, struct env *env,
    json_t **out)
{
	json_t *groups = NULL, *result = NULL, *gi = NULL;
	struct vec items = { NULL, 0, 0 };
	int reduce = (getf(c, in) & F_TUPLE) != 0, rc = -1;
	size_t i, p;
	const char *key;
	json_t *ent;

	*out = NULL;
	if (vec_of(c, in, &items) != 0)
		return -1;
	if (in != NULL && json_is_array(in) && items.n == 0 && !reduce)
		vpush(c, &items, NULL);
	groups = json_object();
	gi = json_object();
	result = json_object();
	if (groups == NULL || gi == NULL || result == NULL)
		goto out;
	for (i = 0; i < items.n; i++) {
		json_t *it = items.v[i];
		struct env *e = env;

		if (reduce && (e = env_from_tuple(c, env, it)) == NULL)
			goto out;
		for (p = 0; p + 1 < g->list.n; p += 2) {
			json_t *k, *cur, *kin = reduce ?
			    json_object_get(it, "@") : it;
			struct node *kn = g->list.v[p];
			int kown = 1;	/* k is ours to release */

			if (kn->type == N_PATH && kn->list.n == 1 &&
			    simple_path(kn) && kin != NULL &&
			    json_is_object(kin) && !jn_is_fn(kin)) {
				/* a plain name: the key, without evaluating */
				if (jn_tick(c) != 0)
					goto out;
				k = json_object_get(kin, kn->list.v[0]->str);
				if (k == NULL)
					continue;
				kown = 0;
			} else if (eval(c, kn, kin, e, &k) != 0)
				goto out;
			if (k == NULL)
				continue;
			if (!json_is_string(k)) {
				throw2(c, "T1003", g->pos, NULL, k, NULL);
				drop_ref(k, kown);
				goto out;
			}
			cur = json_object_get(groups, json_string_value(k));
			if (cur != NULL) {
				json_t *na, *gix = json_object_get(gi,
				    json_string_value(k));
				json_int_t gv = json_integer_value(gix);

				if ((size_t)(gv & ~(json_int_t)GI_OWN) != p) {
					throw2(c, "D1009", g->pos, NULL, k, NULL);
					drop_ref(k, kown);
					goto out;
				}
				if ((gv & GI_OWN) && it != NULL) {
					/* our own array: append in place */
					if (json_is_array(it) ?
					    arr_extend(c, cur, it) != 0 :
					    (jn_charge(c, 2 * sizeof(void *)) != 0 ||
					    json_array_append(cur, it) != 0)) {
						drop_ref(k, kown);
						if (!c->failed)
							jn_throw(c, "X0001", -1,
							    NULL, NULL, -1);
						goto out;
					}
				} else if (it != NULL) {
					if ((na = append2(c, cur, it)) == NULL) {
						drop_ref(k, kown);
						goto out;
					}
					json_object_set_new(groups,
					    json_string_value(k), na);
					json_integer_set(gix, gv | GI_OWN);
				}
			} else if (it != NULL) {
				json_object_set(groups, json_string_value(k), it);
				json_object_set_new(gi, json_string_value(k),
				    json_integer((json_int_t)p));
			} else {
				json_object_set_new(groups, json_string_value(k),
				    json_null());
				json_object_set_new(gi, json_string_value(k),
				    json_integer((json_int_t)p | 0x40000000));
			}
			drop_ref(k, kown);
		}
	}
	json_object_foreach(groups, key, ent) {
		json_int_t ix = json_integer_value(json_object_get(gi, key)) &
		    ~(json_int_t)GI_OWN;
		json_t *ctx = ent, *v, *tuple = NULL;
		struct env *e = env;

		if (ix & 0x40000000) {
			ix &= ~(json_int_t)0x40000000;
			ctx = NULL;
		}
		if (reduce) {
			const char *tk;
			json_t *tv;
			size_t t;

			if (json_is_array(ent)) {
				tuple = json_copy(json_array_get(ent, 0));
				for (t = 1; t < json_array_size(ent); t++) {
					json_object_foreach(json_array_get(ent, t), tk, tv) {
						json_t *na = append2(c,
						    json_object_get(tuple, tk), tv);

						json_object_set_new(tuple, tk, na);
					}
				}
			} else
				tuple = json_copy(ent);
			ctx = json_incref(json_object_get(tuple, "@"));
			json_object_del(tuple, "@");
			e = env_from_tuple(c, env, tuple);
			json_decref(tuple);
			if (e == NULL) {
				json_decref(ctx);
				goto out;
			}
		} else
			json_incref(ctx);
		if (eval(c, g->list.v[ix + 1], ctx, e, &v) != 0) {
			json_decref(ctx);
			goto out;
		}
		json_decref(ctx);
		if (v != NULL)
			json_object_set_new(result, key, v);
	}
	*out = result;
	result = NULL;
	rc = 0;
 out:
	free(items.v);
	json_decref(groups);
	json_decref(gi);
	json_decref(result);
	return rc;
}

static int
is_str_or_num(const json_t *v)
{
	return json_is_string(v) || json_is_number(v);
}

/*
 * One side of "&": a string as it is (borrowed), anything else as
 * $string renders it (*tofree), undefined as "".
 */
static int
concat_part(struct jn_ctx *c, const json_t *v, const char **p, size_t *len,
    char **tofree)
{
	*tofree = NULL;
	*p = "";
	*len = 0;
	if (v == NULL)
		return 0;
	if (json_is_string(v)) {
		*p = json_string_value(v);
		*len = json_string_length(v);
		return 0;
	}
	if ((*tofree = jn_stringify(c, v, 0)) == NULL)
		return -1;
	*p = *tofree;
	*len = strlen(*tofree);
	return 0;
}

static int
eval_binary(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	const char *op = n->id;
	json_t *l = NULL, *r = NULL;
	int rc = -1;

	*out = NULL;
	if (eval(c, n->lhs, in, env, &l) != 0)
		return -1;
	if ((op[0] == 'a' && strcmp(op, "and") == 0) ||
	    (op[0] == 'o' && strcmp(op, "or") == 0)) {
		int lb = truthy(c, l), res;

		json_decref(l);
		if (op[0] == 'a' ? !lb : lb)
			res = lb;
		else {
			if (eval(c, n->rhs, in, env, &r) != 0)
				return -1;
			res = truthy(c, r);
			json_decref(r);
		}
		*out = json_boolean(res);
		return 0;
	}
	if (eval(c, n->rhs, in, env, &r) != 0)
		goto out;
	if ((op[0] == '+' || op[0] == '-' || op[0] == '*' || op[0] == '/' ||
	    op[0] == '%') && op[1] == 0) {
		double a, b, x = 0;

		if (l != NULL && !json_is_number(l)) {
			throw2(c, "T2001", n->pos, op, l, NULL);
			goto out;
		}
		if (r != NULL && !json_is_number(r)) {
			throw2(c, "T2002", n->pos, op, r, NULL);
			goto out;
		}
		rc = 0;
		if (l == NULL || r == NULL)
			goto out;
		a = jn_numv(l);
		b = jn_numv(r);
		switch (op[0]) {
		case '+': x = a + b; break;
		case '-': x = a - b; break;
		case '*': x = a * b; break;
		case '/': x = a / b; break;
		case '%': x = fmod(a, b); break;
		}
		c->cur_pos = n->pos;
		if ((*out = jn_num(c, x)) == NULL)
			rc = -1;
		goto out;
	}
	if (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0) {
		int eq = l != NULL && r != NULL && jn_deep_equal(l, r);

		if (l == NULL || r == NULL)
			*out = json_false();
		else
			*out = json_boolean(op[0] == '=' ? eq : !eq);
		rc = 0;
		goto out;
	}
	if (op[0] == '<' || op[0] == '>') {
		int lt, res = 0;

		if ((l != NULL && !is_str_or_num(l)) ||
		    (r != NULL && !is_str_or_num(r))) {
			throw2(c, "T2010", n->pos, op,
			    !is_str_or_num(l) ? l : r, NULL);
			goto out;
		}
		rc = 0;
		if (l == NULL || r == NULL)
			goto out;
		if (json_is_string(l) != json_is_string(r)) {
			rc = throw2(c, "T2009", n->pos, op, l, r);
			goto out;
		}
		if (json_is_string(l))
			lt = utf16_cmp(l, r);
		else {
			double a = jn_numv(l), b = jn_numv(r);

			lt = a < b ? -1 : a > b ? 1 : 0;
		}
		if (op[0] == '<')
			res = op[1] == '=' ? lt <= 0 : lt < 0;
		else
			res = op[1] == '=' ? lt >= 0 : lt > 0;
		*out = json_boolean(res);
		goto out;
	}
	if (strcmp(op, "&") == 0) {
		char *fa = NULL, *fb = NULL, *s, sbuf[256];
		const char *a, *b;
		size_t la, lb;

		if (concat_part(c, l, &a, &la, &fa) != 0)
			goto out;
		if (concat_part(c, r, &b, &lb, &fb) != 0) {
			free(fa);
			goto out;
		}
		s = NULL;
		if (la + lb < sizeof(sbuf))
			s = sbuf;
		else if (jn_charge(c, la + lb) == 0 &&
		    (s = malloc(la + lb + 1)) == NULL)
			jn_throw(c, "X0001", -1, NULL, NULL, -1);
		if (s != NULL) {
			if (la)
				memcpy(s, a, la);
			if (lb)
				memcpy(s + la, b, lb);
			s[la + lb] = 0;
			if ((*out = json_stringn(s, la + lb)) == NULL)
				jn_throw(c, "X0001", -1, NULL, NULL, -1);
			else
				rc = 0;
			if (s != sbuf)
				free(s);
		}
		free(fa);
		free(fb);
		goto out;
	}
	if (strcmp(op, "..") == 0) {
		double a, b, i;
		json_t *seq;

		if (l != NULL && (!json_is_number(l) ||
		    jn_numv(l) != floor(jn_numv(l)))) {
			throw2(c, "T2003", n->pos, op, l, NULL);
			goto out;
		}
		if (r != NULL && (!json_is_number(r) ||
		    jn_numv(r) != floor(jn_numv(r)))) {
			throw2(c, "T2004", n->pos, op, r, NULL);
			goto out;
		}
		rc = 0;
		if (l == NULL || r == NULL)
			goto out;
		a = jn_numv(l);
		b = jn_numv(r);
		if (a > b)
			goto out;
		if (b - a + 1 > 1e7) {
			json_t *sz = jn_num(c, b - a + 1);

			rc = throw2(c, "D2014", n->pos, op, sz, NULL);
			json_decref(sz);
			goto out;
		}
		if (jn_charge(c, (size_t)(b - a + 1) * 8) != 0 ||
		    (seq = seq_new(c)) == NULL) {
			rc = -1;
			goto out;
		}
		for (i = a; i <= b; i++)
			json_array_append_new(seq, json_integer((json_int_t)i));
		*out = seq;
		goto out;
	}
	if (strcmp(op, "in") == 0) {
		size_t i, m;
		int found = 0;

		if (l != NULL && r != NULL) {
			m = json_is_array(r) ? json_array_size(r) : 1;
			for (i = 0; i < m && !found; i++) {
				json_t *e = json_is_array(r) ?
				    json_array_get(r, i) : r;

				if (json_is_number(e) && json_is_number(l))
					found = jn_numv(e) == jn_numv(l);
				else if (json_is_string(e) && json_is_string(l))
					found = json_equal(e, l);
				else if ((json_is_boolean(e) || json_is_null(e)) &&
				    json_typeof(e) == json_typeof(l))
					found = 1;
				else
					found = e == l;
			}
		}
		*out = json_boolean(found);
		rc = 0;
		goto out;
	}
	rc = throw2(c, "S0201", n->pos, op, NULL, NULL);
 out:
	json_decref(l);
	json_decref(r);
	return rc;
}

static int
eval_unary(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	size_t i;

	*out = NULL;
	if (n->id[0] == '-') {
		json_t *v;

		if (eval(c, n->expr, in, env, &v) != 0)
			return -1;
		if (v == NULL)
			return 0;
		if (!json_is_number(v)) {
			throw2(c, "D1002", n->pos, "-", v, NULL);
			json_decref(v);
			return -1;
		}
		*out = jn_num(c, -jn_numv(v));
		json_decref(v);
		return *out == NULL ? -1 : 0;
	}
	if (n->id[0] == '[') {
		json_t *res = json_array();

		if (res == NULL)
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		for (i = 0; i < n->list.n; i++) {
			struct node *it = n->list.v[i];
			json_t *v;

			if (eval(c, it, in, env, &v) != 0) {
				json_decref(res);
				return -1;
			}
			if (v == NULL)
				continue;
			if ((it->type == N_UNARY && it->id[0] == '[') ||
			    !json_is_array(v))
				json_array_append_new(res, v);
			else {
				int er = arr_extend(c, res, v);

				json_decref(v);
				if (er != 0) {
					json_decref(res);
					return -1;
				}
			}
		}
		if (n->consarray)
			setf(c, res, F_CONS);
		*out = res;
		return 0;
	}
	return eval_group(c, n, in, env, out);
}

static int
eval_regex_fn(struct jn_ctx *c, struct node *n, json_t **out)
{
	struct fnv *f;

	*out = fn_new(c, FK_REGEX, &f);
	if (*out == NULL)
		return -1;
	f->node = n;
	return 0;
}

static size_t
u16len(const char *s, size_t n)
{
	size_t i, u = 0;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch & 0xc0) != 0x80)
			u += ch >= 0xf0 ? 2 : 1;
	}
	return u;
}

static int
regex_match(struct jn_ctx *c, struct node *rn, json_t *str, size_t from,
    json_t **out)
{
	pcre2_match_data *md;
	const char *s = json_string_value(str);
	size_t len = json_string_length(str);
	PCRE2_SIZE *ov;
	json_t *r, *groups, *next;
	struct fnv *f;
	int rc, i;

	*out = NULL;
	if (from > len)
		return 0;
	md = pcre2_match_data_create_from_pattern(rn->re, NULL);
	if (md == NULL)
		return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	rc = pcre2_match(rn->re, (PCRE2_SPTR)s, len, from, 0, md, NULL);
	if (rc < 0) {
		pcre2_match_data_free(md);
		return 0;
	}
	ov = pcre2_get_ovector_pointer(md);
	groups = json_array();
	for (i = 1; i < rc || (uint32_t)i < pcre2_get_ovector_count(md); i++) {
		uint32_t cap = 0;

		pcre2_pattern_info(rn->re, PCRE2_INFO_CAPTURECOUNT, &cap);
		if ((uint32_t)i > cap)
			break;
		if (i < rc && ov[2 * i] != PCRE2_UNSET)
			json_array_append_new(groups, json_stringn(s + ov[2 * i],
			    ov[2 * i + 1] - ov[2 * i]));
		else
			json_array_append_new(groups, json_string(""));
	}
	next = fn_new(c, FK_NEXT, &f);
	if (next == NULL) {
		json_decref(groups);
		pcre2_match_data_free(md);
		return -1;
	}
	f->node = rn;
	f->str = json_incref(str);
	f->last = ov[1];
	r = json_pack("{s:s%,s:I,s:I,s:o,s:o}", "match", s + ov[0],
	    (size_t)(ov[1] - ov[0]), "start", (json_int_t)u16len(s, ov[0]),
	    "end", (json_int_t)u16len(s, ov[1]), "groups", groups,
	    "next", next);
	pcre2_match_data_free(md);
	*out = r;
	return 0;
}

static int
eval_lambda(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	struct fnv *f;
	size_t i;

	if ((*out = fn_new(c, FK_LAMBDA, &f)) == NULL)
		return -1;
	f->node = n;
	f->input = in != NULL ? json_incref(in) : NULL;
	f->env = env;
	if (n->list.n > 0) {
		f->params = calloc(n->list.n, sizeof(*f->params));
		if (f->params == NULL)
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		for (i = 0; i < n->list.n; i++)
			f->params[i] = n->list.v[i]->str;
	}
	f->nparams = n->list.n;
	return 0;
}

static json_t *
builtin_value(struct jn_ctx *c, const struct jn_builtin *bi)
{
	struct fnv *f;
	json_t *v;
	size_t i;

	for (i = 0; i < c->nbc; i++)
		if (c->fns[c->bc[i]].bi == bi)
			return json_incref(c->fns[c->bc[i]].value);
	v = fn_new(c, FK_BUILTIN, &f);
	if (v != NULL) {
		f->bi = bi;
		if (c->nbc < sizeof(c->bc) / sizeof(c->bc[0]))
			c->bc[c->nbc++] = c->nfns - 1;
	}
	return v;
}

/* the built-in n (a variable) names, as jn_builtin_find, looked up once */
static const struct jn_builtin *
node_builtin(const struct jn_ctx *c, const struct node *n)
{
	return c->o.aws_functions ? n->bi_aws : n->bi;
}

static int
eval_variable(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	json_t *v;
	const struct jn_builtin *bi;

	*out = NULL;
	if (n->str[0] == 0) {
		if (json_is_array(in) && (getf(c, in) & F_OUTER))
			in = json_array_get(in, 0);
		*out = in != NULL ? json_incref(in) : NULL;
		return 0;
	}
	if (env_lookup(env, n->str, &v)) {
		*out = v != NULL ? json_incref(v) : NULL;
		return 0;
	}
	if ((bi = node_builtin(c, n)) != NULL) {
		*out = builtin_value(c, bi);
		return *out == NULL ? -1 : 0;
	}
	return 0;
}

static const char *
proc_name(struct node *p)
{
	if (p->type == N_PATH && p->list.n > 0 && p->list.v[0]->str != NULL)
		return p->list.v[0]->str;
	return p->str != NULL ? p->str : "";
}

static void
free_args(json_t **a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		json_decref(a[i]);
	free(a);
}

static int apply_inner(struct jn_ctx *, json_t *, json_t **, size_t,
    json_t *, json_t **);

static int
eval_function(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t *applyto, int has_applyto, json_t **out)
{
	json_t *proc = NULL, *abuf[JN_ARGS_INLINE], **args = NULL;
	size_t na = 0, i;
	const char *name = proc_name(n->proc);
	long spos = c->cur_pos;
	const char *stok = c->cur_tok;
	const struct jn_builtin *bi = NULL;
	int rc = -1;

	*out = NULL;
	if (n->proc->type == N_VARIABLE && n->proc->str[0] != 0) {
		json_t *v;

		if (!env_lookup(env, n->proc->str, &v))
			bi = node_builtin(c, n->proc);
	}
	if (bi == NULL) {
		if (eval(c, n->proc, in, env, &proc) != 0)
			return -1;
		if (proc == NULL && n->proc->type == N_PATH) {
			json_t *v;

			if (env_lookup(env, name, &v) ||
		    jn_builtin_find(name, c->o.aws_functions) != NULL)
				return throw2(c, "T1005", n->pos, name, NULL,
				    NULL);
		}
	}
	if (n->list.n + 1 <= JN_ARGS_INLINE) {
		args = abuf;
		memset(abuf, 0, sizeof(abuf));
	} else if ((args = calloc(n->list.n + 1, sizeof(*args))) == NULL)
		goto out;
	if (has_applyto)
		args[na++] = applyto != NULL ? json_incref(applyto) : NULL;
	for (i = 0; i < n->list.n; i++)
		if (eval(c, n->list.v[i], in, env, &args[na++]) != 0)
			goto out;
	c->cur_pos = n->pos;
	c->cur_tok = name;
	if (bi != NULL) {
		struct env *se = c->cur_env;
		json_t *si = c->cur_input;

		c->cur_env = env;
		c->cur_input = in;
		rc = jn_call_builtin(c, bi, args, na, in, out);
		c->cur_env = se;
		c->cur_input = si;
	} else
		rc = apply(c, proc, args, na, in, out);
	if (rc == 0) {
		c->cur_pos = spos;
		c->cur_tok = stok;
	}
 out:
	if (args != NULL)
		jn_args_done(args, na, abuf);
	json_decref(proc);
	return rc;
}

static int
apply_procedure(struct jn_ctx *c, struct fnv *f, json_t **args, size_t na,
    json_t **out)
{
	struct env *e = env_new(c, f->env);
	size_t i;

	if (e == NULL)
		return -1;
	for (i = 0; i < f->nparams; i++)
		if (env_bind(c, e, f->params[i], i < na && args[i] != NULL ?
		    json_incref(args[i]) : NULL) != 0)
			return -1;
	return eval(c, f->node->body, f->input, e, out);
}

static int
apply_transform(struct jn_ctx *c, struct fnv *f, json_t *obj, json_t **out)
{
	struct node *n = f->node;
	json_t *res = NULL, *matches = NULL, *cl;
	struct vec items = { NULL, 0, 0 };
	size_t i, j;
	int rc = -1;

	*out = NULL;
	if (obj == NULL)
		return 0;
	if (env_lookup(f->env, "clone", &cl)) {
		if (fn_get(c, cl) == NULL)
			return throw2(c, "T2013", n->pos, NULL, NULL, NULL);
		if (apply(c, cl, &obj, 1, NULL, &res) != 0)
			return -1;
	} else
		res = json_deep_copy(obj);
	if (eval(c, n->pattern, res, f->env, &matches) != 0)
		goto out;
	if (matches != NULL && vec_of(c, matches, &items) != 0)
		goto out;
	for (i = 0; i < items.n; i++) {
		json_t *m = items.v[i], *upd, *del;

		if (eval(c, n->update, m, f->env, &upd) != 0)
			goto out;
		if (upd != NULL) {
			if (!json_is_object(upd) || jn_is_fn(upd)) {
				throw2(c, "T2011", n->update->pos, NULL, upd,
				    NULL);
				json_decref(upd);
				goto out;
			}
			if (json_is_object(m))
				json_object_update(m, upd);
			json_decref(upd);
		}
		if (n->del != NULL) {
			if (eval(c, n->del, m, f->env, &del) != 0)
				goto out;
			if (del != NULL) {
				int ok = json_is_string(del);

				if (json_is_array(del)) {
					ok = 1;
					for (j = 0; j < json_array_size(del); j++)
						if (!json_is_string(json_array_get(del, j)))
							ok = 0;
				}
				if (!ok) {
					throw2(c, "T2012", n->del->pos, NULL,
					    del, NULL);
					json_decref(del);
					goto out;
				}
				if (json_is_object(m)) {
					if (json_is_string(del))
						json_object_del(m,
						    json_string_value(del));
					else
						for (j = 0; j < json_array_size(del); j++)
							json_object_del(m, json_string_value(json_array_get(del, j)));
				}
				json_decref(del);
			}
		}
	}
	*out = res;
	res = NULL;
	rc = 0;
 out:
	free(items.v);
	json_decref(matches);
	json_decref(res);
	return rc;
}

static int
apply_inner(struct jn_ctx *c, json_t *proc, json_t **args, size_t na,
    json_t *in, json_t **out)
{
	struct fnv *f = fn_get(c, proc);
	json_t *vbuf[JN_ARGS_INLINE], **va = NULL, **fa = NULL;
	size_t nv = 0, i, k;
	int rc;

	*out = NULL;
	if (f == NULL)
		return throw2(c, "T1006", -1, NULL, NULL, NULL);
	switch (f->kind) {
	case FK_LAMBDA: {
		struct fnv fl = *f;

		f = &fl;
		if (f->node->sig != NULL) {
			if (jn_sig_validate(c, f->node->sig, c->cur_tok, args,
			    na, in, vbuf, JN_ARGS_INLINE, &va, &nv) != 0)
				return -1;
			rc = apply_procedure(c, f, va, nv, out);
			jn_args_done(va, nv, vbuf);
			return rc;
		}
		return apply_procedure(c, f, args, na, out);
	}
	case FK_BUILTIN: {
		struct env *se = c->cur_env;
		json_t *si = c->cur_input;

		c->cur_env = c->cur_env != NULL ? c->cur_env : f->env;
		c->cur_input = in;
		rc = jn_call_builtin(c, f->bi, args, na, in, out);
		c->cur_env = se;
		c->cur_input = si;
		return rc;
	}
	case FK_PARTIAL:
		fa = calloc(f->nbargs + 1, sizeof(*fa));
		if (fa == NULL)
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		for (i = 0, k = 0; i < f->nbargs; i++)
			fa[i] = f->hole[i] ? (k < na ? args[k++] : NULL) :
			    f->bargs[i];
		k = f->nbargs;
		while (k > 0 && fa[k - 1] == NULL)
			k--;
		rc = jn_call_builtin(c, f->bi, fa, k, NULL, out);
		free(fa);
		return rc;
	case FK_REGEX:
		if (na < 1 || !json_is_string(args[0]))
			return 0;
		return regex_match(c, f->node, args[0], na > 1 &&
		    json_is_integer(args[1]) ? (size_t)json_integer_value(args[1]) : 0, out);
	case FK_NEXT: {
		json_t *r;
		struct node *rn = f->node;

		if (f->last >= json_string_length(f->str))
			return 0;
		if (regex_match(c, f->node, f->str, f->last, &r) != 0)
			return -1;
		if (r != NULL && json_string_length(json_object_get(r,
		    "match")) == 0) {
			json_decref(r);
			return throw2(c, "D1004", rn->pos, NULL, NULL,
			    NULL);
		}
		*out = r;
		return 0;
	}
	case FK_TRANSFORM:
	{
		struct fnv fl = *f;

		return apply_transform(c, &fl, na > 0 ? args[0] : NULL, out);
	}
	case FK_CHAIN: {
		json_t *mid, *gf = f->g;

		if (apply(c, f->f, args, na, NULL, &mid) != 0)
			return -1;
		rc = apply(c, gf, &mid, 1, NULL, out);
		json_decref(mid);
		return rc;
	}
	}
	return throw2(c, "T1006", -1, NULL, NULL, NULL);
}

static int
apply(struct jn_ctx *c, json_t *proc, json_t **args, size_t na, json_t *in,
    json_t **out)
{
	json_t *r;
	struct fnv *f;

	*out = NULL;
	if (apply_inner(c, proc, args, na, in, &r) != 0)
		return -1;
	while ((f = fn_get(c, r)) != NULL && f->kind == FK_LAMBDA &&
	    f->node->thunk) {
		struct node *body = f->node->body;
		json_t *next = NULL, **ea;
		size_t i, n = body->list.n;
		int rc;
		struct fnv fl = *f;

		f = &fl;
		*out = NULL;

		if (eval(c, body->proc, f->input, f->env, &next) != 0) {
			json_decref(r);
			return -1;
		}
		if ((ea = calloc(n + 1, sizeof(*ea))) == NULL) {
			json_decref(r);
			json_decref(next);
			return jn_throw(c, "X0001", -1, NULL, NULL, -1);
		}
		for (i = 0; i < n; i++)
			if (eval(c, body->list.v[i], f->input, f->env,
			    &ea[i]) != 0) {
				free_args(ea, n);
				json_decref(r);
				json_decref(next);
				return -1;
			}
		c->cur_pos = body->pos;
		c->cur_tok = proc_name(body->proc);
		if (next == NULL && body->proc->type == N_VARIABLE) {
			const struct jn_builtin *bi = jn_builtin_find(
			    body->proc->str, c->o.aws_functions);

			if (bi != NULL)
				next = builtin_value(c, bi);
		}
		rc = apply_inner(c, next, ea, n, in, out);
		free_args(ea, n);
		json_decref(next);
		json_decref(r);
		if (rc != 0)
			return -1;
		r = *out;
	}
	*out = r;
	return 0;
}

int
jn_apply(struct jn_ctx *c, const json_t *fn, json_t **args, size_t nargs,
    json_t **out)
{
	*out = NULL;
	return apply(c, (json_t *)fn, args, nargs, NULL, out);
}

static int
eval_partial(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	json_t *proc = NULL, **args;
	struct fnv *f, *pf;
	size_t i, na = n->list.n;
	const char *name = proc_name(n->proc);
	int rc = -1;

	*out = NULL;
	if ((args = calloc(na + 1, sizeof(*args))) == NULL)
		return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	for (i = 0; i < na; i++) {
		struct node *a = n->list.v[i];

		if (a->type == N_OPERATOR)
			continue;
		if (eval(c, a, in, env, &args[i]) != 0)
			goto out;
	}
	if (eval(c, n->proc, in, env, &proc) != 0)
		goto out;
	if (proc == NULL && n->proc->type == N_PATH) {
		json_t *v;

		if (env_lookup(env, name, &v) ||
		    jn_builtin_find(name, c->o.aws_functions) != NULL) {
			throw2(c, "T1007", n->pos, name, NULL, NULL);
			goto out;
		}
	}
	pf = fn_get(c, proc);
	if (pf == NULL || (pf->kind != FK_LAMBDA && pf->kind != FK_BUILTIN &&
	    pf->kind != FK_PARTIAL)) {
		throw2(c, "T1008", n->pos, name, NULL, NULL);
		goto out;
	}
	if (pf->kind == FK_PARTIAL) {
		/* a partial of a partial: its holes, in order, take these
		 * arguments; a "?" stays a hole, a missing one is undefined */
		const struct jn_builtin *bi = pf->bi;
		size_t nb = pf->nbargs, k = 0;

		if ((*out = fn_new(c, FK_PARTIAL, &f)) == NULL)
			goto out;
		pf = fn_get(c, proc);
		f->bi = bi;
		f->bargs = calloc(nb + 1, sizeof(*f->bargs));
		f->hole = calloc(nb + 1, 1);
		if (f->bargs == NULL || f->hole == NULL) {
			jn_throw(c, "X0001", -1, NULL, NULL, -1);
			goto out;
		}
		f->nbargs = nb;
		for (i = 0; i < nb; i++) {
			if (!pf->hole[i]) {
				f->bargs[i] = pf->bargs[i] != NULL ?
				    json_incref(pf->bargs[i]) : NULL;
				continue;
			}
			if (k < na && n->list.v[k]->type == N_OPERATOR)
				f->hole[i] = 1;
			else if (k < na) {
				f->bargs[i] = args[k];
				args[k] = NULL;
			}
			k++;
		}
		rc = 0;
		goto out;
	}
	if (pf->kind == FK_LAMBDA) {
		struct env *e = env_new(c, pf->env);
		struct node *ln = pf->node;
		size_t k = 0;

		if (e == NULL || (*out = fn_new(c, FK_LAMBDA, &f)) == NULL)
			goto out;
		pf = fn_get(c, proc);
		f->node = ln;
		f->input = pf->input != NULL ? json_incref(pf->input) : NULL;
		f->env = e;
		f->params = calloc(pf->nparams + 1, sizeof(*f->params));
		if (f->params == NULL)
			goto out;
		for (i = 0; i < pf->nparams; i++) {
			if (i < na && n->list.v[i]->type == N_OPERATOR)
				f->params[k++] = pf->params[i];
			else if (env_bind(c, e, pf->params[i], i < na &&
			    args[i] != NULL ? json_incref(args[i]) : NULL) != 0)
				goto out;
		}
		f->nparams = k;
	} else {
		const struct jn_builtin *bi = pf->bi;

		if ((*out = fn_new(c, FK_PARTIAL, &f)) == NULL)
			goto out;
		f->bi = bi;
		f->bargs = calloc(na + 1, sizeof(*f->bargs));
		f->hole = calloc(na + 1, 1);
		if (f->bargs == NULL || f->hole == NULL)
			goto out;
		f->nbargs = na;
		for (i = 0; i < na; i++) {
			f->hole[i] = n->list.v[i]->type == N_OPERATOR;
			f->bargs[i] = args[i];
			args[i] = NULL;
		}
	}
	rc = 0;
 out:
	free_args(args, na);
	json_decref(proc);
	return rc;
}

static int
eval_apply_op(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	json_t *l, *fn = NULL;
	int rc;

	*out = NULL;
	if (eval(c, n->lhs, in, env, &l) != 0)
		return -1;
	if (n->rhs->type == N_FUNCTION) {
		rc = eval_function(c, n->rhs, in, env, l, 1, out);
		json_decref(l);
		return rc;
	}
	if (eval(c, n->rhs, in, env, &fn) != 0) {
		json_decref(l);
		return -1;
	}
	if (fn_get(c, fn) == NULL) {
		throw2(c, "T2006", n->pos, NULL, fn, NULL);
		json_decref(l);
		json_decref(fn);
		return -1;
	}
	if (fn_get(c, l) != NULL) {
		struct fnv *f;

		if ((*out = fn_new(c, FK_CHAIN, &f)) == NULL)
			rc = -1;
		else {
			f->f = json_incref(l);
			f->g = json_incref(fn);
			rc = 0;
		}
	} else
		rc = apply(c, fn, &l, 1, NULL, out);
	json_decref(l);
	json_decref(fn);
	return rc;
}

static int
eval1(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	*out = NULL;
	switch (n->type) {
	case N_PATH:
		return eval_path(c, n, in, env, out);
	case N_BINARY:
		return eval_binary(c, n, in, env, out);
	case N_UNARY:
		return eval_unary(c, n, in, env, out);
	case N_NAME:
		return eval_name(c, n, in, out);
	case N_STRING:
	case N_NUMBER:
	case N_VALUE:
		*out = json_incref(n->lit);
		return 0;
	case N_WILDCARD:
		return eval_wildcard(c, in, out);
	case N_DESCENDANT: {
		json_t *r;

		if (in == NULL)
			return 0;
		if ((r = seq_new(c)) == NULL)
			return -1;
		descend(in, r);
		if (json_array_size(r) == 1) {
			*out = json_incref(json_array_get(r, 0));
			json_decref(r);
		} else
			*out = r;
		return 0;
	}
	case N_PARENT: {
		json_t *v;

		env_lookup(env, n->slot->label, &v);
		*out = v != NULL ? json_incref(v) : NULL;
		return 0;
	}
	case N_CONDITION: {
		json_t *cv;
		int t;

		if (eval(c, n->cond, in, env, &cv) != 0)
			return -1;
		t = truthy(c, cv);
		json_decref(cv);
		if (t)
			return eval(c, n->then, in, env, out);
		if (n->els != NULL)
			return eval(c, n->els, in, env, out);
		return 0;
	}
	case N_BLOCK: {
		struct env *e = n->noenv ? env : env_new(c, env);
		size_t i;

		if (e == NULL)
			return -1;
		for (i = 0; i < n->list.n; i++) {
			json_decref(*out);
			*out = NULL;
			if (eval(c, n->list.v[i], in, e, out) != 0)
				return -1;
		}
		return 0;
	}
	case N_BIND: {
		json_t *v;

		if (eval(c, n->rhs, in, env, &v) != 0)
			return -1;
		if (env_bind(c, env, n->lhs->str, v != NULL ?
		    json_incref(v) : NULL) != 0) {
			json_decref(v);
			return -1;
		}
		*out = v;
		return 0;
	}
	case N_REGEX:
		return eval_regex_fn(c, n, out);
	case N_FUNCTION:
		return eval_function(c, n, in, env, NULL, 0, out);
	case N_VARIABLE:
		return eval_variable(c, n, in, env, out);
	case N_LAMBDA:
		return eval_lambda(c, n, in, env, out);
	case N_PARTIAL:
		return eval_partial(c, n, in, env, out);
	case N_APPLY:
		return eval_apply_op(c, n, in, env, out);
	case N_TRANSFORM: {
		struct fnv *f;

		if ((*out = fn_new(c, FK_TRANSFORM, &f)) == NULL)
			return -1;
		f->node = n;
		f->env = env;
		return 0;
	}
	default:
		return 0;
	}
}

static int
eval(struct jn_ctx *c, struct node *n, json_t *in, struct env *env,
    json_t **out)
{
	json_t *r = NULL;
	size_t i;
	int f;

	*out = NULL;
	if (c->failed)
		return -1;
	{
		uintptr_t here = (uintptr_t)&r;

		if (c->stack_base == 0)
			c->stack_base = here;
		else if (c->stack_base > here &&
		    c->stack_base - here > JN_STACK_MAX)
			return jn_throw(c, "U1001", n->pos, NULL, NULL, -1);
	}
	if (++c->depth > c->o.max_depth) {
		c->depth--;
		return jn_throw(c, "U1001", n->pos, NULL, NULL, -1);
	}
	if (jn_tick(c) != 0)
		goto fail;
	if (eval1(c, n, in, env, &r) != 0)
		goto fail;
	for (i = 0; i < n->pred.n; i++) {
		json_t *nr;

		if (eval_filter(c, n->pred.v[i]->expr, r, env, &nr) != 0)
			goto fail;
		json_decref(r);
		r = nr;
	}
	if (n->type != N_PATH && n->group != NULL) {
		json_t *g;

		if (eval_group(c, n->group, r, env, &g) != 0)
			goto fail;
		json_decref(r);
		r = g;
	}
	f = getf(c, r);
	if (r != NULL && (f & F_SEQ) && !(f & F_TUPLE)) {
		if (n->keep_array) {
			setf(c, r, F_KEEP);
			f |= F_KEEP;
		}
		if (json_array_size(r) == 0) {
			json_decref(r);
			r = NULL;
		} else if (json_array_size(r) == 1 && !(f & F_KEEP)) {
			json_t *x = json_incref(json_array_get(r, 0));

			json_decref(r);
			r = x;
		}
	}
	c->depth--;
	*out = r;
	return 0;
 fail:
	c->depth--;
	json_decref(r);
	return -1;
}

/* ------------------------------------------------------------ API */

/*
 * Error positions are byte offsets into the UTF-8 source while they are
 * made; jsonata-js counts UTF-16 code units. Convert err's.
 */
static void
pos_to_utf16(struct sd_jn_error *err, const char *src, size_t len)
{
	const unsigned char *u = (const unsigned char *)src;
	size_t i, n = 0;

	if (err == NULL || src == NULL || err->position < 0 ||
	    (size_t)err->position > len)
		return;
	for (i = 0; i < (size_t)err->position; i++) {
		if ((u[i] & 0xc0) == 0x80)
			continue;
		n += u[i] >= 0xf0 ? 2 : 1;
	}
	err->position = (long)n;
}

struct sd_jn_expr *
sd_jn_compile(const char *src, struct sd_jn_error *err)
{
	struct sd_jn_expr *x;

	if (err != NULL)
		memset(err, 0, sizeof(*err));
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		fill_error(err, "X0001", -1, NULL, NULL, NULL, -1);
		return NULL;
	}
	if (parse_src(src, x, err) != 0) {
		if (src != NULL)
			pos_to_utf16(err, src, strlen(src));
		sd_jn_free(x);
		return NULL;
	}
	x->srclen = strlen(src);
	if ((x->src = strndup(src, x->srclen)) == NULL) {
		fill_error(err, "X0001", -1, NULL, NULL, NULL, -1);
		sd_jn_free(x);
		return NULL;
	}
	return x;
}

void
sd_jn_free(struct sd_jn_expr *x)
{
	if (x == NULL)
		return;
	node_free_all(x);
	free(x->src);
	free(x);
}

/* a copy of v with function values as "" (v itself when it holds none) */
static int
has_fn(struct jn_ctx *c, json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;

	if (fn_get(c, v) != NULL)
		return 1;
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++)
			if (has_fn(c, json_array_get(v, i)))
				return 1;
	} else if (json_is_object(v)) {
		json_object_foreach(v, k, e)
			if (has_fn(c, e))
				return 1;
	}
	return 0;
}

static json_t *
strip_fn(struct jn_ctx *c, json_t *v)
{
	size_t i;
	const char *k;
	json_t *e, *r;

	if (!has_fn(c, v))
		return json_incref(v);
	if (fn_get(c, v) != NULL)
		return json_string("");
	if (json_is_array(v)) {
		r = json_array();
		for (i = 0; i < json_array_size(v); i++)
			json_array_append_new(r, strip_fn(c,
			    json_array_get(v, i)));
		return r;
	}
	r = json_object();
	json_object_foreach(v, k, e)
		json_object_set_new(r, k, strip_fn(c, e));
	return r;
}

static void
ctx_free(struct jn_ctx *c)
{
	size_t i;

	fns_free(c);
	env_free_all(c);
	for (i = 0; i < c->flags.cap; i++)
		json_decref(c->flags.k[i]);
	free(c->flags.k);
	free(c->flags.f);
	for (i = 0; i < c->nsubs; i++)
		sd_jn_free(c->subs[i]);
	free(c->subs);
}

int
sd_jn_eval(const struct sd_jn_expr *x, json_t *input, json_t *bindings,
    const struct sd_jn_opts *opts, json_t **out, struct sd_jn_error *err)
{
	struct sd_jn_opts dflt = SD_JN_OPTS_INIT;
	struct jn_ctx c;
	struct env *e;
	json_t *r = NULL, *in = input, *v;
	const char *k;
	int rc = -1;

	*out = NULL;
	if (err != NULL)
		memset(err, 0, sizeof(*err));
	memset(&c, 0, sizeof(c));
	c.o = opts != NULL ? *opts : dflt;
	if (c.o.max_depth == 0)
		c.o.max_depth = 500;
	if (c.o.max_steps == 0)
		c.o.max_steps = 10000000;
	if (c.o.time_limit_ms == 0)
		c.o.time_limit_ms = 10000;
	if (c.o.max_bytes == 0)
		c.o.max_bytes = 256u * 1024 * 1024;
	c.opts = &c.o;
	c.err = err;
	c.cur_pos = -1;
	clock_gettime(CLOCK_MONOTONIC, &c.t0);
	if ((e = env_new(&c, NULL)) == NULL)
		goto out;
	if (json_is_object(bindings))
		json_object_foreach(bindings, k, v)
			if (env_bind(&c, e, k, json_incref(v)) != 0)
				goto out;
	if (env_bind(&c, e, "$", input != NULL ? json_incref(input) : NULL) != 0)
		goto out;
	if (json_is_array(input)) {
		if ((in = seq_new(&c)) == NULL)
			goto out;
		json_array_append(in, input);
		setf(&c, in, F_OUTER);
		e->hold = in;	/* alive until the end */
	}
	c.cur_env = e;
	if (eval(&c, x->root, in, e, &r) != 0)
		goto out;
	if (c.o.reject_function_result && r != NULL && fn_get(&c, r) != NULL) {
		fill_error(err, SD_JN_FUNCTION_RESULT, -1, NULL, NULL, NULL, -1);
		goto out;
	}
	*out = r != NULL ? strip_fn(&c, r) : NULL;
	rc = 0;
 out:
	json_decref(r);
	if (rc != 0 && err != NULL && err->code[0] == 0)
		fill_error(err, "X0001", -1, NULL, NULL, NULL, -1);
	if (rc != 0)
		pos_to_utf16(err, x->src, x->srclen);
	ctx_free(&c);
	return rc;
}

int
jn_eval_src(struct jn_ctx *c, const char *src, json_t *input,
    json_t *bindings, json_t **out)
{
	struct sd_jn_error perr;
	struct sd_jn_expr *x, **t;
	struct env *e;
	struct sd_jn_error *save = c->err, tmp;
	json_t *in = input, *v, *m, *hold = NULL;
	const char *k;
	int rc;

	*out = NULL;
	if ((x = sd_jn_compile(src, &perr)) == NULL) {
		m = json_string(perr.message);
		jn_throw(c, "D3120", -1, NULL, m, -1);
		json_decref(m);
		return -1;
	}
	t = reallocarray(c->subs, c->nsubs + 1, sizeof(*t));
	if (t == NULL) {
		sd_jn_free(x);
		return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	}
	c->subs = t;
	c->subs[c->nsubs++] = x;
	if (in == NULL)
		in = c->cur_input;
	if (json_is_array(in) && !IS_SEQ(c, in)) {
		json_t *w = seq_new(c);

		if (w == NULL)
			return -1;
		json_array_append(w, in);
		setf(c, w, F_OUTER);
		hold = w;
		in = w;
	}
	if ((e = env_new(c, c->cur_env)) == NULL) {
		json_decref(hold);
		return -1;
	}
	e->hold = hold;	/* the wrapped input, alive until the end */
	if (json_is_object(bindings))
		json_object_foreach(bindings, k, v)
			if (env_bind(c, e, k, json_incref(v)) != 0)
				return -1;
	memset(&tmp, 0, sizeof(tmp));
	c->err = &tmp;
	rc = eval(c, x->root, in, e, out);
	c->err = save;
	if (rc != 0) {
		if (strcmp(tmp.code, "U1001") == 0 || c->err == NULL) {
			if (c->err != NULL)
				*c->err = tmp;
			return -1;
		}
		c->failed = 0;
		m = json_string(tmp.message);
		jn_throw(c, "D3121", -1, NULL, m, -1);
		json_decref(m);
		return -1;
	}
	return 0;
}

const char *
sd_jn_error_text(const struct sd_jn_error *err, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (err->position >= 0)
		snprintf(buf, len, "%s: %s (at position %ld)", err->code,
		    err->message, err->position);
	else
		snprintf(buf, len, "%s: %s", err->code, err->message);
	return buf;
}
