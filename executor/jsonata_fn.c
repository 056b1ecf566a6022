/*
 * jsonata_fn.c: JSONata's built-in function library (after jsonata-js
 * 2.x src/functions.js), function signatures (src/signature.js), $string's
 * rendering, JavaScript's number printing and deep equality.
 *
 * AWS Step Functions' additions ($partition, $range, $hash, $random with a
 * seed, $uuid, $parse): see
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
 * (section "JSONata functions provided by Step Functions").
 */
#define PCRE2_CODE_UNIT_WIDTH 8

#include <ctype.h>
#include <pthread.h>
#include <locale.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>
#include <jansson.h>
#include <pcre2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "jsonata_int.h"

#define SIG_MAXP	16

struct jn_param {
	char	 set[12];	/* symbols accepted */
	char	 type;		/* s n b l o a f j x, '(' for a choice */
	int	 min, max;	/* occurrences: 0/1, 1/1, 1/inf */
	int	 context;	/* '-': the context when missing */
	char	 subtype[16];
	uint32_t mask;		/* set as bits: 1 << (symbol - 'a') */
};

struct jn_sig {
	int		 arity;
	size_t		 np;
	struct jn_param	 p[SIG_MAXP];
};

/* ------------------------------------------------------------ helpers */

static json_t *
A(json_t **a, size_t n, size_t i)
{
	return i < n ? a[i] : NULL;
}

static char
sym(const json_t *v)
{
	if (v == NULL)
		return 'm';
	if (jn_is_fn(v))
		return 'f';
	switch (json_typeof(v)) {
	case JSON_STRING:
		return 's';
	case JSON_INTEGER:
	case JSON_REAL:
		return 'n';
	case JSON_TRUE:
	case JSON_FALSE:
		return 'b';
	case JSON_NULL:
		return 'l';
	case JSON_ARRAY:
		return 'a';
	default:
		return 'o';
	}
}

static int
is_obj(const json_t *v)
{
	return v != NULL && json_is_object(v) && !jn_is_fn(v);
}

static int
set_str(struct jn_ctx *c, json_t **out, const char *s, size_t len)
{
	if ((*out = json_stringn(s, len)) == NULL)
		return jn_throw(c, "X0001", -1, NULL, NULL, -1);
	return 0;
}

static int
set_num(struct jn_ctx *c, json_t **out, double d)
{
	if ((*out = jn_num(c, d)) == NULL)
		return -1;
	return 0;
}

static int
set_bool(json_t **out, int b)
{
	*out = json_boolean(b);
	return 0;
}

static int
oom(struct jn_ctx *c)
{
	return jn_throw(c, "X0001", -1, NULL, NULL, -1);
}

/* A growable byte buffer with the evaluation's limits. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
};

static int
sb_add(struct jn_ctx *c, struct sbuf *b, const char *s, size_t n)
{
	size_t need;
	char *np;

	if (n > SIZE_MAX - b->len - 1)
		return oom(c);
	need = b->len + n + 1;
	if (need > b->cap) {
		size_t ncap = b->cap < 64 ? 64 : b->cap;

		while (ncap < need) {
			if (ncap > SIZE_MAX / 2)
				return oom(c);
			ncap *= 2;
		}
		if (jn_charge(c, ncap - b->cap) != 0)
			return -1;
		if ((np = realloc(b->p, ncap)) == NULL)
			return oom(c);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static int
sb_adds(struct jn_ctx *c, struct sbuf *b, const char *s)
{
	return sb_add(c, b, s, strlen(s));
}

static int
sb_out(struct jn_ctx *c, struct sbuf *b, json_t **out)
{
	int r = set_str(c, out, b->p != NULL ? b->p : "", b->len);

	free(b->p);
	b->p = NULL;
	return r;
}

/* UTF-8: the length of the sequence starting at s[0] (1 on bad bytes). */
static size_t
u8len(const unsigned char *s, size_t n)
{
	size_t l = 1;

	if (s[0] >= 0xf0)
		l = 4;
	else if (s[0] >= 0xe0)
		l = 3;
	else if (s[0] >= 0xc0)
		l = 2;
	return l > n ? n : l;
}

static uint32_t
u8dec(const unsigned char *s, size_t l)
{
	switch (l) {
	case 2:
		return ((uint32_t)(s[0] & 0x1f) << 6) | (s[1] & 0x3f);
	case 3:
		return ((uint32_t)(s[0] & 0x0f) << 12) |
		    ((uint32_t)(s[1] & 0x3f) << 6) | (s[2] & 0x3f);
	case 4:
		return ((uint32_t)(s[0] & 0x07) << 18) |
		    ((uint32_t)(s[1] & 0x3f) << 12) |
		    ((uint32_t)(s[2] & 0x3f) << 6) | (s[3] & 0x3f);
	default:
		return s[0];
	}
}

static size_t
u8enc(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Code points in s (jansson's strings are valid UTF-8: every byte but
 * a continuation byte starts one). */
static size_t
cp_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Byte offset of code point index k (clamped to n). */
static size_t
cp_off(const char *s, size_t n, size_t k)
{
	size_t i = 0;

	while (i < n && k > 0) {
		i += u8len((const unsigned char *)s + i, n - i);
		k--;
	}
	return i;
}

/* UTF-16 units in s[0..off). */
static size_t
u16_of(const char *s, size_t off)
{
	size_t i = 0, k = 0;

	while (i < off) {
		size_t l = u8len((const unsigned char *)s + i, off - i);

		k += l == 4 ? 2 : 1;
		i += l;
	}
	return k;
}

/* Byte offset of UTF-16 index u (clamped). */
static size_t
off_of_u16(const char *s, size_t n, double u)
{
	size_t i = 0;
	double k = 0;

	if (!(u > 0))
		return 0;
	while (i < n && k < u) {
		size_t l = u8len((const unsigned char *)s + i, n - i);

		k += l == 4 ? 2 : 1;
		i += l;
	}
	return i;
}

/* JavaScript's < on strings: UTF-16 code unit order. */
static int __attribute__((unused))
js_strcmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		size_t la = u8len((const unsigned char *)a + i, an - i);
		size_t lb = u8len((const unsigned char *)b + j, bn - j);
		uint32_t ca = u8dec((const unsigned char *)a + i, la);
		uint32_t cb = u8dec((const unsigned char *)b + j, lb);

		if (ca != cb) {
			uint32_t ka = ca >= 0x10000 ?
			    0xd800 + ((ca - 0x10000) >> 10) : ca;
			uint32_t kb = cb >= 0x10000 ?
			    0xd800 + ((cb - 0x10000) >> 10) : cb;

			if (ka == kb)
				return ca < cb ? -1 : 1;
			return ka < kb ? -1 : 1;
		}
		i += la;
		j += lb;
	}
	if (i < an)
		return 1;
	if (j < bn)
		return -1;
	return 0;
}

static const char *
sv(const json_t *v, size_t *n)
{
	*n = json_string_length(v);
	return json_string_value(v);
}

/* JavaScript truthiness. */
static int __attribute__((unused))
js_truthy(const json_t *v)
{
	if (v == NULL || json_is_null(v) || json_is_false(v))
		return 0;
	if (jn_is_num(v))
		return jn_numv(v) != 0;
	if (json_is_string(v))
		return json_string_length(v) > 0;
	return 1;
}

/* JSONata's boolean(). */
static int
jbool(const json_t *v)
{
	size_t i;

	if (v == NULL)
		return 0;
	if (json_is_array(v)) {
		if (json_array_size(v) == 1)
			return jbool(json_array_get(v, 0));
		for (i = 0; i < json_array_size(v); i++)
			if (jbool(json_array_get(v, i)))
				return 1;
		return 0;
	}
	if (json_is_string(v))
		return json_string_length(v) > 0;
	if (jn_is_num(v))
		return jn_numv(v) != 0;
	if (is_obj(v))
		return json_object_size(v) > 0;
	return json_is_true(v);
}

/* ------------------------------------------------ numbers and strings */

void
jn_fmt_number(double x, char *buf, size_t len)
{
	char tmp[40], dig[24];
	int p, e, nd, i, r;
	size_t o = 0;
	char *q;

	if (len == 0)
		return;
	if (x == 0) {
		(void)snprintf(buf, len, "0");
		return;
	}
	if (!isfinite(x)) {
		(void)snprintf(buf, len, isnan(x) ? "NaN" :
		    x > 0 ? "Infinity" : "-Infinity");
		return;
	}
	/* Integers below 2^53 print as JavaScript prints them: all digits. */
	if (x == trunc(x) && fabs(x) < 9007199254740992.0) {
		(void)snprintf(buf, len, "%lld", (long long)x);
		return;
	}
	for (p = 1; p <= 17; p++) {
		r = snprintf(tmp, sizeof(tmp), "%.*e", p - 1, x);
		if (r < 0 || (size_t)r >= sizeof(tmp))
			return;
		if (strtod(tmp, NULL) == x)
			break;
	}
	/* tmp: [-]d.ddde[+-]XX */
	q = tmp;
	if (*q == '-') {
		if (o + 1 < len)
			buf[o++] = '-';
		q++;
	}
	nd = 0;
	for (; *q != 'e' && *q != '\0'; q++)
		if (isdigit((unsigned char)*q) && nd < (int)sizeof(dig) - 1)
			dig[nd++] = *q;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	dig[nd] = '\0';
	e = (*q == 'e') ? (int)strtol(q + 1, NULL, 10) : 0;
	/* value = 0.dig * 10^(e+1) */
	e += 1;
#define PUT(ch) do { if (o + 1 < len) buf[o++] = (ch); } while (0)
	if (nd <= e && e <= 21) {
		for (i = 0; i < nd; i++)
			PUT(dig[i]);
		for (i = nd; i < e; i++)
			PUT('0');
	} else if (0 < e && e <= 21) {
		for (i = 0; i < e; i++)
			PUT(dig[i]);
		PUT('.');
		for (i = e; i < nd; i++)
			PUT(dig[i]);
	} else if (-6 < e && e <= 0) {
		PUT('0');
		PUT('.');
		for (i = 0; i < -e; i++)
			PUT('0');
		for (i = 0; i < nd; i++)
			PUT(dig[i]);
	} else {
		char eb[12];

		PUT(dig[0]);
		if (nd > 1) {
			PUT('.');
			for (i = 1; i < nd; i++)
				PUT(dig[i]);
		}
		PUT('e');
		PUT(e - 1 < 0 ? '-' : '+');
		(void)snprintf(eb, sizeof(eb), "%d", abs(e - 1));
		for (i = 0; eb[i] != '\0'; i++)
			PUT(eb[i]);
	}
#undef PUT
	buf[o] = '\0';
}

/* Number(x.toPrecision(15)) */
static double
prec15(double x)
{
	char tmp[40];

	if (!isfinite(x))
		return x;
	/* An integer of at most 15 digits is its own 15-digit rounding. */
	if (x == trunc(x) && fabs(x) < 1e15)
		return x;
	(void)snprintf(tmp, sizeof(tmp), "%.14e", x);
	return strtod(tmp, NULL);
}

static int
js_quote(struct jn_ctx *c, struct sbuf *b, const char *s, size_t n)
{
	size_t i, st = 0;
	char esc[8];

	if (sb_add(c, b, "\"", 1) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		const char *e = NULL;

		switch (ch) {
		case '"': e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		default:
			if (ch < 0x20) {
				(void)snprintf(esc, sizeof(esc), "\\u%04x", ch);
				e = esc;
			}
		}
		if (e != NULL) {
			if (sb_add(c, b, s + st, i - st) != 0 ||
			    sb_adds(c, b, e) != 0)
				return -1;
			st = i + 1;
		}
	}
	if (sb_add(c, b, s + st, n - st) != 0 || sb_add(c, b, "\"", 1) != 0)
		return -1;
	return 0;
}

static int
indent(struct jn_ctx *c, struct sbuf *b, int pretty, int depth)
{
	int i;

	if (!pretty)
		return 0;
	if (sb_add(c, b, "\n", 1) != 0)
		return -1;
	for (i = 0; i < depth; i++)
		if (sb_add(c, b, "  ", 2) != 0)
			return -1;
	return 0;
}

static int
js_stringify(struct jn_ctx *c, struct sbuf *b, const json_t *v, int pretty,
    int depth)
{
	char nb[40];
	size_t i, n;
	const char *k;
	json_t *x;
	int first = 1;

	if (jn_tick(c) != 0)
		return -1;
	if (depth > 10000)
		return jn_throw(c, "U1001", -1, NULL, NULL, -1);
	if (v == NULL || json_is_null(v))
		return sb_adds(c, b, "null");
	if (jn_is_fn(v))
		return sb_adds(c, b, "\"\"");
	switch (json_typeof(v)) {
	case JSON_TRUE:
		return sb_adds(c, b, "true");
	case JSON_FALSE:
		return sb_adds(c, b, "false");
	case JSON_INTEGER:
	case JSON_REAL: {
		double d = jn_numv(v);

		if (d != floor(d))
			d = prec15(d);
		jn_fmt_number(d, nb, sizeof(nb));
		return sb_adds(c, b, nb);
	}
	case JSON_STRING:
		k = sv(v, &n);
		return js_quote(c, b, k, n);
	case JSON_ARRAY:
		if (json_array_size(v) == 0)
			return sb_adds(c, b, "[]");
		if (sb_add(c, b, "[", 1) != 0)
			return -1;
		for (i = 0; i < json_array_size(v); i++) {
			if (i > 0 && sb_add(c, b, ",", 1) != 0)
				return -1;
			if (indent(c, b, pretty, depth + 1) != 0 ||
			    js_stringify(c, b, json_array_get(v, i), pretty,
			    depth + 1) != 0)
				return -1;
		}
		if (indent(c, b, pretty, depth) != 0)
			return -1;
		return sb_add(c, b, "]", 1);
	default:
		if (json_object_size(v) == 0)
			return sb_adds(c, b, "{}");
		if (sb_add(c, b, "{", 1) != 0)
			return -1;
		json_object_foreach((json_t *)v, k, x) {
			if (!first && sb_add(c, b, ",", 1) != 0)
				return -1;
			first = 0;
			if (indent(c, b, pretty, depth + 1) != 0 ||
			    js_quote(c, b, k, strlen(k)) != 0 ||
			    sb_adds(c, b, pretty ? ": " : ":") != 0 ||
			    js_stringify(c, b, x, pretty, depth + 1) != 0)
				return -1;
		}
		if (indent(c, b, pretty, depth) != 0)
			return -1;
		return sb_add(c, b, "}", 1);
	}
}

char *
jn_stringify(struct jn_ctx *c, const json_t *v, int pretty)
{
	struct sbuf b = { NULL, 0, 0 };
	size_t n;
	const char *s;

	if (v != NULL && json_is_string(v)) {
		s = sv(v, &n);
		if (sb_add(c, &b, s, n) != 0)
			goto fail;
		return b.p;
	}
	if (v != NULL && jn_is_fn(v))
		return strdup("");
	if (js_stringify(c, &b, v, pretty, 0) != 0)
		goto fail;
	if (b.p == NULL)
		return strdup("");
	return b.p;
 fail:
	free(b.p);
	return NULL;
}

int
jn_deep_equal(const json_t *a, const json_t *b)
{
	size_t i;
	const char *k;
	json_t *x;

	if (a == b)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	if (jn_is_num(a) && jn_is_num(b))
		return jn_numv(a) == jn_numv(b);
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++)
			if (!jn_deep_equal(json_array_get(a, i),
			    json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, x) {
			if (!jn_deep_equal(x, json_object_get(b, k)))
				return 0;
		}
		return 1;
	default:
		return 1;	/* true, false, null */
	}
}

/* --------------------------------------------------------- signatures */

static int
sig_err(struct jn_ctx *c, const char *code, struct jn_sig *s,
    const char **why)
{
	free(s);
	if (why != NULL)
		*why = code;
	if (c != NULL)
		jn_throw(c, code, -1, NULL, NULL, -1);
	return 0;
}

/* Whether symbol ch (a lowercase letter, see sym) is in p's set. */
static int
in_set(const struct jn_param *p, char ch)
{
	return ch >= 'a' && ch <= 'z' && (p->mask >> (ch - 'a') & 1) != 0;
}

static void
set_mask(struct jn_param *p)
{
	const char *q;

	p->mask = 0;
	for (q = p->set; *q != '\0'; q++)
		if (*q >= 'a' && *q <= 'z')
			p->mask |= (uint32_t)1 << (*q - 'a');
}

static size_t
closing(const char *s, size_t pos, char open, char close)
{
	int depth = 1;

	while (s[pos] != '\0') {
		pos++;
		if (s[pos] == close) {
			if (--depth == 0)
				break;
		} else if (s[pos] == open)
			depth++;
	}
	return pos;
}

static void
set_class(struct jn_param *p, const char *cls)
{
	(void)snprintf(p->set, sizeof(p->set), "%s", cls);
}

struct jn_sig *
jn_sig_parse(struct jn_ctx *c, const char *sig)
{
	return jn_sig_parse_code(c, sig, NULL);
}

struct jn_sig *
jn_sig_parse_code(struct jn_ctx *c, const char *sig, const char **why)
{
	struct jn_sig *s;
	struct jn_param *prev = NULL, *cur;
	size_t pos = 1, len, end;
	char ch;

	if (sig == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
		if (c != NULL)
			oom(c);
		return NULL;
	}
	len = strlen(sig);
	while (pos < len) {
		ch = sig[pos];
		if (ch == ':')
			break;
		cur = s->np < SIG_MAXP ? &s->p[s->np] : NULL;
		switch (ch) {
		case 's': case 'n': case 'b': case 'l': case 'o':
		case 'a': case 'f': case 'j': case 'x':
			if (cur == NULL) {
				sig_err(c, "S0401", s, why);
				return NULL;
			}
			memset(cur, 0, sizeof(*cur));
			cur->type = ch;
			cur->min = cur->max = 1;
			if (ch == 'a' || ch == 'x')
				set_class(cur, "asnblfom");
			else if (ch == 'f')
				set_class(cur, "f");
			else if (ch == 'j')
				set_class(cur, "asnblom");
			else {
				cur->set[0] = ch;
				cur->set[1] = 'm';
				cur->set[2] = '\0';
			}
			prev = cur;
			s->np++;
			break;
		case '-':
			if (prev != NULL) {
				prev->context = 1;
				prev->min = 0;
			}
			break;
		case '?':
			if (prev != NULL)
				prev->min = 0;
			break;
		case '+':
			if (prev != NULL)
				prev->max = -1;
			break;
		case '(':
			end = closing(sig, pos, '(', ')');
			if (cur == NULL || end - pos - 1 >= sizeof(cur->set) - 1 ||
			    memchr(sig + pos + 1, '<', end - pos - 1) != NULL) {
				sig_err(c, "S0402", s, why);
				return NULL;
			}
			memset(cur, 0, sizeof(*cur));
			cur->type = '(';
			cur->min = cur->max = 1;
			memcpy(cur->set, sig + pos + 1, end - pos - 1);
			cur->set[end - pos - 1] = 'm';
			cur->set[end - pos] = '\0';
			prev = cur;
			s->np++;
			pos = end;
			break;
		case '<':
			if (prev == NULL ||
			    (prev->type != 'a' && prev->type != 'f')) {
				sig_err(c, "S0401", s, why);
				return NULL;
			}
			end = closing(sig, pos, '<', '>');
			(void)snprintf(prev->subtype, sizeof(prev->subtype),
			    "%.*s", (int)(end - pos - 1), sig + pos + 1);
			pos = end;
			break;
		default:
			break;
		}
		pos++;
	}
	for (pos = 0; pos < s->np; pos++)
		set_mask(&s->p[pos]);
	s->arity = (int)s->np;
	return s;
}

void
jn_sig_free(struct jn_sig *s)
{
	free(s);
}

int
jn_sig_arity(const struct jn_sig *s)
{
	return s == NULL ? 0 : s->arity;
}

/*
 * Match syms[pos..] against params i..np-1 greedily with backtracking,
 * as the regular expression signature.js builds. anchored: the whole
 * string must be consumed. Records counts in cnt; returns the end
 * position or -1.
 */
static long
sig_match(const struct jn_sig *s, size_t i, size_t np, const char *syms,
    size_t pos, size_t n, int anchored, int *cnt)
{
	const struct jn_param *p;
	size_t k, maxk;
	long r;

	if (i == np)
		return (!anchored || pos == n) ? (long)pos : -1;
	p = &s->p[i];
	maxk = 0;
	while (pos + maxk < n && in_set(p, syms[pos + maxk]) &&
	    (p->max < 0 || maxk < (size_t)p->max))
		maxk++;
	for (k = maxk + 1; k-- > 0;) {
		if ((int)k < p->min)
			break;
		cnt[i] = (int)k;
		r = sig_match(s, i + 1, np, syms, pos + k, n, anchored, cnt);
		if (r >= 0)
			return r;
	}
	return -1;
}

int
jn_sig_validate(struct jn_ctx *c, const struct jn_sig *s, const char *fname,
    json_t **args, size_t nargs, json_t *context, json_t **buf, size_t nbuf,
    json_t ***out, size_t *n_out)
{
	char syms[256];
	int cnt[SIG_MAXP];
	json_t **v = NULL;
	size_t i, j, k, nv = 0, ai = 0;
	long r;

	(void)fname;
	*out = NULL;
	*n_out = 0;
	if (nargs >= sizeof(syms))
		return jn_throw(c, "T0410", -1, NULL, NULL, (long)nargs);
	for (i = 0; i < nargs; i++)
		syms[i] = sym(args[i]);
	syms[nargs] = '\0';
	if (sig_match(s, 0, s->np, syms, 0, nargs, 1, cnt) < 0) {
		size_t good = 0;

		for (i = 0; i < s->np; i++) {
			r = sig_match(s, 0, i + 1, syms, 0, nargs, 0, cnt);
			if (r < 0)
				break;
			good = (size_t)r;
		}
		return jn_throw(c, "T0410", -1, NULL, A(args, nargs, good),
		    (long)good + 1);
	}
	if (nargs + s->np + 1 <= nbuf)
		v = buf;
	else if ((v = calloc(nargs + s->np + 1, sizeof(*v))) == NULL)
		return oom(c);
	for (i = 0; i < s->np; i++) {
		const struct jn_param *p = &s->p[i];

		if (cnt[i] == 0) {
			if (p->context) {
				if (!in_set(p, sym(context))) {
					jn_args_done(v, nv, buf);
					return jn_throw(c, "T0411", -1, NULL,
					    context, (long)ai + 1);
				}
				v[nv++] = json_incref(context);
			} else {
				v[nv++] = json_incref(A(args, nargs, ai));
				ai++;
			}
			continue;
		}
		for (k = 0; k < (size_t)cnt[i]; k++) {
			json_t *arg = A(args, nargs, ai);
			char single = syms[ai];

			if (p->type == 'a' && single != 'm') {
				int ok = 1;

				if (p->subtype[0] != '\0') {
					if (single != 'a' && (cnt[i] != 1 ||
					    strlen(p->subtype) != 1 ||
					    p->subtype[0] != single))
						ok = 0;
					else if (single == 'a' &&
					    json_array_size(arg) > 0) {
						char it = sym(json_array_get(
						    arg, 0));

						if (it != p->subtype[0])
							ok = 0;
						for (j = 0; ok &&
						    j < json_array_size(arg);
						    j++)
							if (sym(json_array_get(
							    arg, j)) != it)
								ok = 0;
					}
				}
				if (!ok) {
					jn_args_done(v, nv, buf);
					return jn_throw(c, "T0412", -1, NULL,
					    arg, (long)ai + 1);
				}
				if (single != 'a') {
					json_t *w = json_array();

					if (w == NULL ||
					    json_array_append(w, arg) != 0) {
						json_decref(w);
						jn_args_done(v, nv, buf);
						return oom(c);
					}
					v[nv++] = w;
				} else
					v[nv++] = json_incref(arg);
			} else if (p->type == 'a')
				v[nv++] = NULL;
			else
				v[nv++] = json_incref(arg);
			ai++;
		}
	}
	*out = v;
	*n_out = nv;
	return 0;
}

void
jn_args_done(json_t **args, size_t n, json_t **buf)
{
	size_t i;

	if (args == NULL)
		return;
	for (i = 0; i < n; i++)
		json_decref(args[i]);
	if (args != buf)
		free(args);
}

void
jn_args_free(json_t **args, size_t n)
{
	size_t i;

	if (args == NULL)
		return;
	for (i = 0; i < n; i++)
		json_decref(args[i]);
	free(args);
}

/* ------------------------------------------------------- aggregation */

#define NATIVE(name) static int name(struct jn_ctx *c, json_t **a, \
	    size_t n, json_t **out)

NATIVE(fn_sum)
{
	json_t *arr = A(a, n, 0);
	double t = 0;
	size_t i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	for (i = 0; i < json_array_size(arr); i++)
		t += jn_numv(json_array_get(arr, i));
	return set_num(c, out, t);
}

NATIVE(fn_count)
{
	json_t *arr = A(a, n, 0);

	return set_num(c, out, arr == NULL ? 0 : (double)json_array_size(arr));
}

static int
minmax(struct jn_ctx *c, json_t **a, size_t n, json_t **out, int max)
{
	json_t *arr = A(a, n, 0);
	double m;
	size_t i;

	*out = NULL;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	m = jn_numv(json_array_get(arr, 0));
	for (i = 1; i < json_array_size(arr); i++) {
		double x = jn_numv(json_array_get(arr, i));

		if (max ? x > m : x < m)
			m = x;
	}
	return set_num(c, out, m);
}

NATIVE(fn_max) { return minmax(c, a, n, out, 1); }
NATIVE(fn_min) { return minmax(c, a, n, out, 0); }

NATIVE(fn_average)
{
	json_t *arr = A(a, n, 0);
	double t = 0;
	size_t i;

	*out = NULL;
	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	for (i = 0; i < json_array_size(arr); i++)
		t += jn_numv(json_array_get(arr, i));
	return set_num(c, out, t / (double)json_array_size(arr));
}

/* ------------------------------------------------------------ strings */

NATIVE(fn_string)
{
	json_t *v = A(a, n, 0);
	char *s;
	int r;

	*out = NULL;
	if (v == NULL)
		return 0;
	/* the input's outer wrapper (a sequence around the input array) */
	if (jn_is_seq(c, v) && json_array_size(v) == 1 &&
	    json_is_array(json_array_get(v, 0)))
		v = json_array_get(v, 0);
	if ((s = jn_stringify(c, v, json_is_true(A(a, n, 1)))) == NULL)
		return -1;
	r = set_str(c, out, s, strlen(s));
	free(s);
	return r;
}

/* Array.prototype.slice's index. */
static size_t
rel_index(double x, size_t len)
{
	double t = trunc(x);

	if (isnan(t))
		t = 0;
	if (t < 0) {
		t += (double)len;
		return t < 0 ? 0 : (size_t)t;
	}
	return t > (double)len ? len : (size_t)t;
}

NATIVE(fn_substring)
{
	json_t *str = A(a, n, 0), *lv = A(a, n, 2);
	const char *s;
	size_t sl, len, b, e;
	double start = jn_numv(A(a, n, 1));

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	len = cp_count(s, sl);
	if ((double)len + start < 0)
		start = 0;
	b = rel_index(start, len);
	if (lv != NULL) {
		double l = jn_numv(lv), end;

		if (l <= 0)
			return set_str(c, out, "", 0);
		end = start >= 0 ? start + l : (double)len + start + l;
		e = rel_index(end, len);
	} else
		e = len;
	if (e <= b)
		return set_str(c, out, "", 0);
	{
		size_t ob = cp_off(s, sl, b), oe = cp_off(s, sl, e);

		return set_str(c, out, s + ob, oe - ob);
	}
}

static const char *
find(const char *h, size_t hn, const char *nd, size_t nn, size_t from)
{
	const char *p;

	if (nn == 0)
		return from <= hn ? h + from : NULL;
	if (from > hn)
		return NULL;
	p = memmem(h + from, hn - from, nd, nn);
	return p;
}

static int
before_after(struct jn_ctx *c, json_t **a, size_t n, json_t **out, int after)
{
	json_t *str = A(a, n, 0), *ch = A(a, n, 1);
	const char *s, *t, *p;
	size_t sl, tl;

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	if (ch != NULL)
		t = sv(ch, &tl);
	else {
		t = "undefined";
		tl = 9;
	}
	if ((p = find(s, sl, t, tl, 0)) == NULL)
		return set_str(c, out, s, sl);
	if (after)
		return set_str(c, out, p + tl, sl - (size_t)(p - s) - tl);
	return set_str(c, out, s, (size_t)(p - s));
}

NATIVE(fn_substring_before) { return before_after(c, a, n, out, 0); }
NATIVE(fn_substring_after) { return before_after(c, a, n, out, 1); }

static locale_t
utf8_locale(void)
{
	static _Thread_local locale_t loc;

	if (loc == (locale_t)0)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	return loc;
}

static int
change_case(struct jn_ctx *c, json_t **a, size_t n, json_t **out, int up)
{
	json_t *str = A(a, n, 0);
	struct sbuf b = { NULL, 0, 0 };
	const char *s;
	size_t sl, i = 0;
	locale_t loc = utf8_locale();

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	for (i = 0; i < sl && (unsigned char)s[i] < 0x80; i++)
		;
	if (i == sl) {		/* ASCII: the same length */
		char tmp[256], *p = tmp;
		int r;

		if (sl >= sizeof(tmp)) {
			if (jn_charge(c, sl + 1) != 0)
				return -1;
			if ((p = malloc(sl + 1)) == NULL)
				return oom(c);
		}
		for (i = 0; i < sl; i++)
			p[i] = (char)(up ? toupper((unsigned char)s[i]) :
			    tolower((unsigned char)s[i]));
		r = set_str(c, out, p, sl);
		if (p != tmp)
			free(p);
		return r;
	}
	i = 0;
	if (sb_add(c, &b, "", 0) != 0)
		return -1;
	while (i < sl) {
		size_t l = u8len((const unsigned char *)s + i, sl - i);
		uint32_t cp = u8dec((const unsigned char *)s + i, l);
		char e[4];

		if (cp < 0x80)
			cp = up ? (uint32_t)toupper((int)cp) :
			    (uint32_t)tolower((int)cp);
		else if (loc != (locale_t)0)
			cp = up ? (uint32_t)towupper_l((wint_t)cp, loc) :
			    (uint32_t)towlower_l((wint_t)cp, loc);
		if (sb_add(c, &b, e, u8enc(cp, e)) != 0) {
			free(b.p);
			return -1;
		}
		i += l;
	}
	return sb_out(c, &b, out);
}

NATIVE(fn_lowercase) { return change_case(c, a, n, out, 0); }
NATIVE(fn_uppercase) { return change_case(c, a, n, out, 1); }

NATIVE(fn_length)
{
	json_t *str = A(a, n, 0);
	const char *s;
	size_t sl;

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	return set_num(c, out, (double)cp_count(s, sl));
}

static int
trim_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Runs of space, tab, CR and LF become one space; none at either end. */
NATIVE(fn_trim)
{
	json_t *str = A(a, n, 0);
	const char *s;
	size_t sl, i, k = 0;
	char tmp[256], *p;
	int r;

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	p = tmp;
	if (sl >= sizeof(tmp)) {
		if (jn_charge(c, sl + 1) != 0)
			return -1;
		if ((p = malloc(sl + 1)) == NULL)
			return oom(c);
	}
	for (i = 0; i < sl; i++) {
		if (!trim_space(s[i]))
			p[k++] = s[i];
		else if (k > 0 && p[k - 1] != ' ')
			p[k++] = ' ';
	}
	if (k > 0 && p[k - 1] == ' ')
		k--;
	r = set_str(c, out, p, k);
	if (p != tmp)
		free(p);
	return r;
}

NATIVE(fn_pad)
{
	json_t *str = A(a, n, 0), *chv = A(a, n, 2);
	struct sbuf b = { NULL, 0, 0 };
	const char *s, *ch = " ";
	size_t sl, chl = 1, k, i;
	double w = trunc(jn_numv(A(a, n, 1))), padlen;

	*out = NULL;
	if (str == NULL)
		return 0;
	s = sv(str, &sl);
	if (chv != NULL && json_string_length(chv) > 0)
		ch = sv(chv, &chl);
	padlen = fabs(w) - (double)cp_count(s, sl);
	if (!(padlen > 0))
		return set_str(c, out, s, sl);
	if (padlen > 1e9 || jn_charge(c, (size_t)padlen * chl) != 0)
		return padlen > 1e9 ?
		    jn_throw(c, "U1001", -1, NULL, NULL, -1) : -1;
	if (w < 0 && sb_add(c, &b, "", 0) != 0)
		return -1;
	if (w > 0 && sb_add(c, &b, s, sl) != 0)
		return -1;
	for (k = 0, i = 0; k < (size_t)padlen; k++) {
		size_t l = u8len((const unsigned char *)ch + i, chl - i);

		if (sb_add(c, &b, ch + i, l) != 0)
			goto fail;
		i += l;
		if (i >= chl)
			i = 0;
	}
	if (w < 0 && sb_add(c, &b, s, sl) != 0)
		goto fail;
	return sb_out(c, &b, out);
 fail:
	free(b.p);
	return -1;
}

/* ----------------------------------------------------------- matchers */

struct mit {
	struct jn_ctx		*c;
	const pcre2_code	*re;
	const json_t		*fn;
	const char		*s;
	size_t			 sl;
	pcre2_match_data	*md;
	json_t			*obj;	/* fn matcher: the last result */
	size_t			 start, end;	/* bytes */
	int			 have;
};

static int
mit_fn_result(struct mit *m, json_t *r)
{
	json_t *st, *en, *mt;

	json_decref(m->obj);
	m->obj = r;
	m->have = 0;
	if (r == NULL)
		return 0;
	st = json_object_get(r, "start");
	en = json_object_get(r, "end");
	mt = json_object_get(r, "match");
	if (!json_is_object(r) || !(jn_is_num(st) ||
	    json_is_array(json_object_get(r, "groups")) ||
	    jn_is_fn(json_object_get(r, "next"))))
		return jn_throw(m->c, "T1010", -1, NULL, NULL, -1);
	m->start = off_of_u16(m->s, m->sl, jn_numv(st));
	if (jn_is_num(en))
		m->end = off_of_u16(m->s, m->sl, jn_numv(en));
	else
		m->end = m->start + (json_is_string(mt) ?
		    json_string_length(mt) : 0);
	if (m->end > m->sl)
		m->end = m->sl;
	if (m->end < m->start)
		m->end = m->start;
	m->have = 1;
	return 0;
}

static int
mit_search(struct mit *m, size_t from, int first)
{
	int rc;
	PCRE2_SIZE *ov;

	m->have = 0;
	if (m->re == NULL) {
		json_t *r = NULL, *arg;

		if (first) {
			if ((arg = json_stringn(m->s, m->sl)) == NULL)
				return oom(m->c);
			rc = jn_apply(m->c, m->fn, &arg, 1, &r);
			json_decref(arg);
		} else {
			json_t *nx = m->obj != NULL ?
			    json_object_get(m->obj, "next") : NULL;

			if (nx == NULL || !jn_is_fn(nx))
				return mit_fn_result(m, NULL);
			rc = jn_apply(m->c, nx, NULL, 0, &r);
		}
		if (rc != 0)
			return -1;
		return mit_fn_result(m, r);
	}
	if (from > m->sl)
		return 0;
	rc = pcre2_match(m->re, (PCRE2_SPTR)m->s, m->sl, from, 0, m->md, NULL);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return jn_throw(m->c, "U1001", -1, NULL, NULL, -1);
	ov = pcre2_get_ovector_pointer(m->md);
	m->start = ov[0];
	m->end = ov[1];
	m->have = 1;
	return 0;
}

static int
mit_first(struct mit *m, struct jn_ctx *c, const json_t *fn, const char *s,
    size_t sl)
{
	memset(m, 0, sizeof(*m));
	m->c = c;
	m->s = s;
	m->sl = sl;
	m->fn = fn;
	m->re = jn_regex(c, fn);
	if (m->re != NULL &&
	    (m->md = pcre2_match_data_create_from_pattern(m->re, NULL)) == NULL)
		return oom(c);
	return mit_search(m, 0, 1);
}

static int
mit_next(struct mit *m)
{
	if (jn_tick(m->c) != 0)
		return -1;
	if (m->re == NULL)
		return mit_search(m, 0, 0);
	if (m->end >= m->sl) {
		m->have = 0;
		return 0;
	}
	if (mit_search(m, m->end, 0) != 0)
		return -1;
	if (m->have && m->start == m->end)
		return jn_throw(m->c, "D1004", -1, NULL, NULL, -1);
	return 0;
}

static void
mit_free(struct mit *m)
{
	pcre2_match_data_free(m->md);
	json_decref(m->obj);
}

/* The groups of the current match: a new array. */
static json_t *
mit_groups(struct mit *m)
{
	json_t *g = json_array(), *x;
	uint32_t i, cnt;
	PCRE2_SIZE *ov;

	if (g == NULL)
		return NULL;
	if (m->re == NULL) {
		x = json_object_get(m->obj, "groups");
		if (json_is_array(x))
			(void)json_array_extend(g, x);
		return g;
	}
	cnt = pcre2_get_ovector_count(m->md);
	ov = pcre2_get_ovector_pointer(m->md);
	{
		uint32_t ncap = 0;

		(void)pcre2_pattern_info(m->re, PCRE2_INFO_CAPTURECOUNT,
		    &ncap);
		if (ncap + 1 < cnt)
			cnt = ncap + 1;
	}
	for (i = 1; i < cnt; i++) {
		if (ov[2 * i] == PCRE2_UNSET)
			x = json_string("");
		else
			x = json_stringn(m->s + ov[2 * i],
			    ov[2 * i + 1] - ov[2 * i]);
		if (x == NULL || json_array_append_new(g, x) != 0) {
			json_decref(g);
			return NULL;
		}
	}
	return g;
}

static const char *
mit_match_str(struct mit *m, size_t *len)
{
	json_t *x;

	if (m->re == NULL) {
		x = json_object_get(m->obj, "match");
		if (json_is_string(x)) {
			*len = json_string_length(x);
			return json_string_value(x);
		}
		*len = 0;
		return "";
	}
	*len = m->end - m->start;
	return m->s + m->start;
}

NATIVE(fn_contains)
{
	json_t *str = A(a, n, 0), *tok = A(a, n, 1);
	const char *s, *t;
	size_t sl, tl;
	struct mit m;
	int r;

	*out = NULL;
	if (str == NULL || tok == NULL)
		return 0;
	s = sv(str, &sl);
	if (json_is_string(tok)) {
		t = sv(tok, &tl);
		return set_bool(out, find(s, sl, t, tl, 0) != NULL);
	}
	r = mit_first(&m, c, tok, s, sl);
	if (r == 0)
		set_bool(out, m.have);
	mit_free(&m);
	return r;
}

NATIVE(fn_match)
{
	json_t *str = A(a, n, 0), *re = A(a, n, 1), *lim = A(a, n, 2);
	json_t *res = NULL, *o = NULL, *g;
	const char *s, *ms;
	size_t sl, ml;
	double count = 0;
	struct mit m;

	*out = NULL;
	if (str == NULL)
		return 0;
	if (lim != NULL && jn_numv(lim) < 0)
		return jn_throw(c, "D3040", -1, NULL, lim, 3);
	if ((res = jn_seq_new(c)) == NULL)
		return oom(c);
	if (lim != NULL && !(jn_numv(lim) > 0)) {
		*out = res;
		return 0;
	}
	s = sv(str, &sl);
	if (mit_first(&m, c, re, s, sl) != 0)
		goto fail;
	while (m.have && (lim == NULL || count < jn_numv(lim))) {
		ms = mit_match_str(&m, &ml);
		if ((o = json_object()) == NULL ||
		    json_object_set_new(o, "match", json_stringn(ms, ml)) != 0 ||
		    json_object_set_new(o, "index",
		    json_integer((json_int_t)u16_of(s, m.start))) != 0 ||
		    (g = mit_groups(&m)) == NULL ||
		    json_object_set_new(o, "groups", g) != 0 ||
		    json_array_append_new(res, o) != 0) {
			json_decref(o);
			oom(c);
			goto fail;
		}
		o = NULL;
		count++;
		if (mit_next(&m) != 0)
			goto fail;
	}
	mit_free(&m);
	*out = res;
	return 0;
 fail:
	mit_free(&m);
	json_decref(res);
	return -1;
}

static int
js_parseint(const char *s, size_t n, long *v, size_t *used)
{
	size_t i = 0;
	int neg = 0, any = 0;
	long x = 0;

	while (i < n && strchr(" \t\n\r\f\v", s[i]) != NULL && s[i] != '\0')
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	while (i < n && isdigit((unsigned char)s[i])) {
		if (x < 100000000)
			x = x * 10 + (s[i] - '0');
		any = 1;
		i++;
	}
	*v = neg ? -x : x;
	*used = i;
	return any ? 0 : -1;
}

/* The $n substitutions of a string replacement. */
static int
subst(struct jn_ctx *c, struct sbuf *b, const char *rp, size_t rl,
    struct mit *m, json_t *groups)
{
	size_t pos = 0, ng = json_array_size(groups), ml;
	const char *d, *ms;

	while (pos < rl &&
	    (d = memchr(rp + pos, '$', rl - pos)) != NULL) {
		size_t idx = (size_t)(d - rp), used, maxd;
		long gi;
		char dv;

		if (sb_add(c, b, rp + pos, idx - pos) != 0)
			return -1;
		pos = idx + 1;
		dv = pos < rl ? rp[pos] : '\0';
		if (dv == '$') {
			if (sb_add(c, b, "$", 1) != 0)
				return -1;
			pos++;
		} else if (dv == '0') {
			ms = mit_match_str(m, &ml);
			if (sb_add(c, b, ms, ml) != 0)
				return -1;
			pos++;
		} else {
			char nb[24];

			maxd = ng == 0 ? 1 :
			    (size_t)floor(log10((double)ng)) + 1;
			if (js_parseint(rp + pos, rl - pos < maxd ? rl - pos :
			    maxd, &gi, &used) == 0 && maxd > 1 &&
			    gi > (long)ng)
				(void)js_parseint(rp + pos, rl - pos < maxd - 1 ?
				    rl - pos : maxd - 1, &gi, &used);
			if (js_parseint(rp + pos, rl - pos < maxd ? rl - pos :
			    maxd, &gi, &used) == 0 || (maxd > 1 &&
			    js_parseint(rp + pos, rl - pos < maxd - 1 ?
			    rl - pos : maxd - 1, &gi, &used) == 0)) {
				long g2;
				size_t u2;

				if (js_parseint(rp + pos, rl - pos < maxd ?
				    rl - pos : maxd, &g2, &u2) == 0) {
					gi = g2;
					if (maxd > 1 && gi > (long)ng)
						(void)js_parseint(rp + pos,
						    rl - pos < maxd - 1 ?
						    rl - pos : maxd - 1,
						    &gi, &u2);
				}
				if (ng > 0 && gi >= 1 && (size_t)gi <= ng) {
					json_t *x = json_array_get(groups,
					    (size_t)gi - 1);

					if (json_is_string(x) && sb_add(c, b,
					    json_string_value(x),
					    json_string_length(x)) != 0)
						return -1;
				}
				(void)snprintf(nb, sizeof(nb), "%ld", gi);
				pos += strlen(nb);
			} else if (sb_add(c, b, "$", 1) != 0)
				return -1;
		}
	}
	if (pos < rl && sb_add(c, b, rp + pos, rl - pos) != 0)
		return -1;
	return 0;
}

NATIVE(fn_replace)
{
	json_t *str = A(a, n, 0), *pat = A(a, n, 1), *rep = A(a, n, 2);
	json_t *lim = A(a, n, 3);
	struct sbuf b = { NULL, 0, 0 };
	const char *s, *p, *rp = "";
	size_t sl, pl, rl = 0, pos = 0;
	double count = 0;
	struct mit m;

	*out = NULL;
	if (str == NULL)
		return 0;
	if (pat != NULL && json_is_string(pat) && json_string_length(pat) == 0)
		return jn_throw(c, "D3010", -1, NULL, pat, 2);
	if (lim != NULL && jn_numv(lim) < 0)
		return jn_throw(c, "D3011", -1, NULL, lim, 4);
	s = sv(str, &sl);
	if (lim != NULL && !(jn_numv(lim) > 0))
		return set_str(c, out, s, sl);
	if (rep != NULL && json_is_string(rep))
		rp = sv(rep, &rl);
	if (sb_add(c, &b, "", 0) != 0)
		return -1;
	if (pat != NULL && json_is_string(pat)) {
		const char *f;

		p = sv(pat, &pl);
		while ((f = find(s, sl, p, pl, pos)) != NULL &&
		    (lim == NULL || count < jn_numv(lim))) {
			if (sb_add(c, &b, s + pos, (size_t)(f - s) - pos) != 0 ||
			    sb_add(c, &b, rp, rl) != 0)
				goto fail;
			pos = (size_t)(f - s) + pl;
			count++;
			if (jn_tick(c) != 0)
				goto fail;
		}
		if (sb_add(c, &b, s + pos, sl - pos) != 0)
			goto fail;
		return sb_out(c, &b, out);
	}
	if (mit_first(&m, c, pat, s, sl) != 0)
		goto failm;
	if (!m.have) {
		mit_free(&m);
		free(b.p);
		return set_str(c, out, s, sl);
	}
	while (m.have && (lim == NULL || count < jn_numv(lim))) {
		json_t *groups = mit_groups(&m);
		size_t ml;

		if (groups == NULL) {
			oom(c);
			goto failm;
		}
		if (m.start > pos && sb_add(c, &b, s + pos, m.start - pos) != 0) {
			json_decref(groups);
			goto failm;
		}
		if (rep != NULL && json_is_string(rep)) {
			if (subst(c, &b, rp, rl, &m, groups) != 0) {
				json_decref(groups);
				goto failm;
			}
		} else {
			json_t *mo = json_object(), *res = NULL;
			const char *ms = mit_match_str(&m, &ml);

			if (mo == NULL ||
			    json_object_set_new(mo, "match",
			    json_stringn(ms, ml)) != 0 ||
			    json_object_set_new(mo, "start", json_integer(
			    (json_int_t)u16_of(s, m.start))) != 0 ||
			    json_object_set_new(mo, "end", json_integer(
			    (json_int_t)u16_of(s, m.end))) != 0 ||
			    json_object_set(mo, "groups", groups) != 0) {
				json_decref(mo);
				json_decref(groups);
				oom(c);
				goto failm;
			}
			if (jn_apply(c, rep, &mo, 1, &res) != 0) {
				json_decref(mo);
				json_decref(groups);
				goto failm;
			}
			json_decref(mo);
			if (res == NULL || !json_is_string(res)) {
				jn_throw(c, "D3012", -1, NULL, res, -1);
				json_decref(res);
				json_decref(groups);
				goto failm;
			}
			if (sb_add(c, &b, json_string_value(res),
			    json_string_length(res)) != 0) {
				json_decref(res);
				json_decref(groups);
				goto failm;
			}
			json_decref(res);
		}
		json_decref(groups);
		{
			size_t ml2;

			(void)mit_match_str(&m, &ml2);
			pos = m.start + ml2;
		}
		count++;
		if (mit_next(&m) != 0)
			goto failm;
	}
	if (pos < sl && sb_add(c, &b, s + pos, sl - pos) != 0)
		goto failm;
	mit_free(&m);
	return sb_out(c, &b, out);
 failm:
	mit_free(&m);
 fail:
	free(b.p);
	return -1;
}

NATIVE(fn_split)
{
	json_t *str = A(a, n, 0), *sep = A(a, n, 1), *lim = A(a, n, 2);
	json_t *res;
	const char *s, *p;
	size_t sl, pl, pos = 0;
	double count = 0, limit = lim != NULL ? jn_numv(lim) : 0;
	struct mit m;

	*out = NULL;
	if (str == NULL)
		return 0;
	if (lim != NULL && limit < 0)
		return jn_throw(c, "D3020", -1, NULL, lim, 3);
	if ((res = json_array()) == NULL)
		return oom(c);
	*out = res;
	if (lim != NULL && !(limit > 0))
		return 0;
	s = sv(str, &sl);
	if (sep != NULL && json_is_string(sep)) {
		double ulim = lim != NULL ? trunc(limit) : 4294967295.0;

		p = sv(sep, &pl);
		if (pl == 0) {
			while (pos < sl && count < ulim) {
				size_t l = u8len((const unsigned char *)s + pos,
				    sl - pos);

				if (json_array_append_new(res,
				    json_stringn(s + pos, l)) != 0)
					goto oomf;
				pos += l;
				count++;
			}
			return 0;
		}
		for (;;) {
			const char *f = find(s, sl, p, pl, pos);
			size_t e = f != NULL ? (size_t)(f - s) : sl;

			if (count >= ulim)
				break;
			if (json_array_append_new(res,
			    json_stringn(s + pos, e - pos)) != 0)
				goto oomf;
			count++;
			if (f == NULL)
				break;
			pos = e + pl;
			if (jn_tick(c) != 0)
				goto fail;
		}
		return 0;
	}
	if (mit_first(&m, c, sep, s, sl) != 0) {
		mit_free(&m);
		goto fail;
	}
	if (!m.have) {
		mit_free(&m);
		if (json_array_append_new(res, json_stringn(s, sl)) != 0)
			goto oomf;
		return 0;
	}
	while (m.have && (lim == NULL || count < limit)) {
		if (json_array_append_new(res, json_stringn(s + pos,
		    m.start > pos ? m.start - pos : 0)) != 0) {
			mit_free(&m);
			goto oomf;
		}
		pos = m.end;
		count++;
		if (mit_next(&m) != 0) {
			mit_free(&m);
			goto fail;
		}
	}
	mit_free(&m);
	if ((lim == NULL || count < limit) &&
	    json_array_append_new(res, json_stringn(s + pos, sl - pos)) != 0)
		goto oomf;
	return 0;
 oomf:
	oom(c);
 fail:
	json_decref(res);
	*out = NULL;
	return -1;
}

NATIVE(fn_join)
{
	json_t *arr = A(a, n, 0), *sep = A(a, n, 1);
	struct sbuf b = { NULL, 0, 0 };
	const char *sp = "";
	size_t spl = 0, i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if (sep != NULL)
		sp = sv(sep, &spl);
	if (sb_add(c, &b, "", 0) != 0)
		return -1;
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *x = json_array_get(arr, i);

		if ((i > 0 && sb_add(c, &b, sp, spl) != 0) ||
		    sb_add(c, &b, json_string_value(x),
		    json_string_length(x)) != 0) {
			free(b.p);
			return -1;
		}
	}
	return sb_out(c, &b, out);
}

NATIVE(fn_boolean)
{
	(void)c;
	*out = NULL;
	if (A(a, n, 0) == NULL)
		return 0;
	return set_bool(out, jbool(A(a, n, 0)));
}

NATIVE(fn_not)
{
	(void)c;
	*out = NULL;
	if (A(a, n, 0) == NULL)
		return 0;
	return set_bool(out, !jbool(A(a, n, 0)));
}

NATIVE(fn_exists)
{
	(void)c;
	return set_bool(out, A(a, n, 0) != NULL);
}

NATIVE(fn_type)
{
	json_t *v = A(a, n, 0);
	const char *t;

	*out = NULL;
	if (v == NULL)
		return 0;
	switch (sym(v)) {
	case 'l': t = "null"; break;
	case 'n': t = "number"; break;
	case 's': t = "string"; break;
	case 'b': t = "boolean"; break;
	case 'a': t = "array"; break;
	case 'f': t = "function"; break;
	default: t = "object"; break;
	}
	return set_str(c, out, t, strlen(t));
}

/* ------------------------------------------------------------ numeric */

/* The number in a string, as jsonata-js's $number reads it; 0 when ok. */
static int
parse_number_str(const char *s, size_t n, double *d)
{
	size_t i = 0, j;
	char buf[512], *end;
	int base = 0;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	if (n > 2 && s[0] == '0') {
		char k = (char)tolower((unsigned char)s[1]);

		base = k == 'x' ? 16 : k == 'o' ? 8 : k == 'b' ? 2 : 0;
	}
	if (base != 0) {
		double v = 0;

		for (i = 2; i < n; i++) {
			int dv;
			char ch = (char)tolower((unsigned char)s[i]);

			if (ch >= '0' && ch <= '9')
				dv = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				dv = ch - 'a' + 10;
			else
				return -1;
			if (dv >= base)
				return -1;
			v = v * base + dv;
		}
		*d = v;
		return 0;
	}
	if (s[i] == '-')
		i++;
	j = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == j)
		return -1;
	if (i < n && s[i] == '.') {
		j = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == j)
			return -1;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		j = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == j)
			return -1;
	}
	if (i != n)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*d = strtod(buf, &end);
	if (!isfinite(*d))
		return -1;
	return 0;
}

NATIVE(fn_number)
{
	json_t *v = A(a, n, 0);
	double d;

	*out = NULL;
	if (v == NULL)
		return 0;
	if (jn_is_num(v))
		return set_num(c, out, jn_numv(v));
	if (json_is_true(v))
		return set_num(c, out, 1);
	if (json_is_false(v))
		return set_num(c, out, 0);
	if (json_is_string(v)) {
		size_t l;
		const char *s = sv(v, &l);

		if (parse_number_str(s, l, &d) == 0)
			return set_num(c, out, d);
	}
	return jn_throw(c, "D3030", -1, NULL, v, 1);
}

static int
num1(struct jn_ctx *c, json_t **a, size_t n, json_t **out, double (*f)(double))
{
	json_t *v = A(a, n, 0);

	*out = NULL;
	if (v == NULL)
		return 0;
	return set_num(c, out, f(jn_numv(v)) + 0.0);
}

NATIVE(fn_abs) { return num1(c, a, n, out, fabs); }
NATIVE(fn_floor) { return num1(c, a, n, out, floor); }
NATIVE(fn_ceil) { return num1(c, a, n, out, ceil); }

/* x shifted by 10^p the way jsonata-js does it: through the decimal text. */
static double
dec_shift(double x, double p)
{
	char nb[64], pb[40], buf[160], *e;
	double ex = 0;
	int r;

	jn_fmt_number(x, nb, sizeof(nb));
	if ((e = strchr(nb, 'e')) != NULL) {
		ex = strtod(e + 1, NULL);
		*e = '\0';
	}
	jn_fmt_number(ex + p, pb, sizeof(pb));
	r = snprintf(buf, sizeof(buf), "%se%s", nb, pb);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return NAN;
	return strtod(buf, NULL);
}

NATIVE(fn_round)
{
	json_t *v = A(a, n, 0), *pv = A(a, n, 1);
	double x, p = 0, r;

	*out = NULL;
	if (v == NULL)
		return 0;
	x = jn_numv(v);
	if (pv != NULL)
		p = jn_numv(pv);
	if (p != 0)
		x = dec_shift(x, p);
	r = floor(x + 0.5);
	if (fabs(r - x) == 0.5 && fabs(fmod(r, 2)) == 1)
		r -= 1;
	if (p != 0)
		r = dec_shift(r, -p);
	if (r == 0)
		r = 0;
	return set_num(c, out, r);
}

NATIVE(fn_sqrt)
{
	json_t *v = A(a, n, 0);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (jn_numv(v) < 0)
		return jn_throw(c, "D3060", -1, NULL, v, 1);
	return set_num(c, out, sqrt(jn_numv(v)));
}

NATIVE(fn_power)
{
	json_t *v = A(a, n, 0);
	double r;

	*out = NULL;
	if (v == NULL)
		return 0;
	r = pow(jn_numv(v), jn_numv(A(a, n, 1)));
	if (!isfinite(r))
		return jn_throw(c, "D3061", -1, NULL, v, 1);
	return set_num(c, out, r);
}

/* 64 random bits: from opts->rng (splitmix64) when set, else the OS. */
static uint64_t
rand64(struct jn_ctx *c)
{
	const struct sd_jn_opts *o = jn_opts(c);
	uint64_t z;

	if (o != NULL && o->rng != NULL) {
		z = (*o->rng += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return z ^ (z >> 31);
	}
	if (RAND_bytes((unsigned char *)&z, sizeof(z)) != 1)
		z = (uint64_t)rand() << 32 ^ (uint64_t)rand();
	return z;
}

/* A double in [0, 1) from 64 bits. */
static double
unit(uint64_t z)
{
	return (double)(z >> 11) / 9007199254740992.0;
}

NATIVE(fn_random)
{
	(void)a;
	(void)n;
	return set_num(c, out, unit(rand64(c)));
}

/* -------------------------------------------------- arrays and objects */

static int
push(struct jn_ctx *c, json_t *arr, json_t *v)
{
	if (jn_tick(c) != 0 || jn_charge(c, sizeof(void *) * 2) != 0)
		return -1;
	if (json_array_append(arr, v) != 0)
		return oom(c);
	return 0;
}

static int
keys_into(struct jn_ctx *c, const json_t *v, json_t *seen, json_t *res)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			if (keys_into(c, x, seen, res) != 0)
				return -1;
		return 0;
	}
	if (!is_obj(v))
		return 0;
	json_object_foreach((json_t *)v, k, x) {
		json_t *s;

		if (json_object_get(seen, k) != NULL)
			continue;
		if (json_object_set(seen, k, json_true()) != 0)
			return oom(c);
		if ((s = json_string(k)) == NULL)
			return oom(c);
		if (push(c, res, s) != 0) {
			json_decref(s);
			return -1;
		}
		json_decref(s);
	}
	return 0;
}

NATIVE(fn_keys)
{
	json_t *seen, *res;
	int r;

	*out = NULL;
	if ((res = jn_seq_new(c)) == NULL)
		return -1;
	if ((seen = json_object()) == NULL) {
		json_decref(res);
		return oom(c);
	}
	r = keys_into(c, A(a, n, 0), seen, res);
	json_decref(seen);
	if (r != 0) {
		json_decref(res);
		return -1;
	}
	*out = res;
	return 0;
}

static int
lookup(struct jn_ctx *c, json_t *v, const char *key, json_t **out)
{
	json_t *x, *res, *r;
	size_t i, j;

	*out = NULL;
	if (json_is_array(v)) {
		if ((res = jn_seq_new(c)) == NULL)
			return -1;
		json_array_foreach(v, i, x) {
			if (lookup(c, x, key, &r) != 0) {
				json_decref(res);
				return -1;
			}
			if (r == NULL)
				continue;
			if (json_is_array(r)) {
				json_t *y;

				json_array_foreach(r, j, y)
					if (push(c, res, y) != 0)
						break;
			} else
				(void)push(c, res, r);
			json_decref(r);
		}
		*out = res;
		return 0;
	}
	if (is_obj(v) && (x = json_object_get(v, key)) != NULL)
		*out = json_incref(x);
	return 0;
}

NATIVE(fn_lookup)
{
	return lookup(c, A(a, n, 0), json_string_value(A(a, n, 1)), out);
}

NATIVE(fn_append)
{
	json_t *x = A(a, n, 0), *y = A(a, n, 1), *res;
	size_t i;

	*out = NULL;
	if (x == NULL) {
		*out = json_incref(y);
		return 0;
	}
	if (y == NULL) {
		*out = json_incref(x);
		return 0;
	}
	if ((res = json_array()) == NULL)
		return oom(c);
	if (json_is_array(x)) {
		for (i = 0; i < json_array_size(x); i++)
			if (push(c, res, json_array_get(x, i)) != 0)
				goto fail;
	} else if (push(c, res, x) != 0)
		goto fail;
	if (json_is_array(y)) {
		for (i = 0; i < json_array_size(y); i++)
			if (push(c, res, json_array_get(y, i)) != 0)
				goto fail;
	} else if (push(c, res, y) != 0)
		goto fail;
	*out = res;
	return 0;
 fail:
	json_decref(res);
	return -1;
}

static int
spread(struct jn_ctx *c, json_t *v, json_t **out)
{
	json_t *res, *x, *r;
	const char *k;
	size_t i, j;
	int plain = 0;

	*out = NULL;
	if (json_is_array(v)) {
		if ((res = jn_seq_new(c)) == NULL)
			return -1;
		json_array_foreach(v, i, x) {
			if (spread(c, x, &r) != 0) {
				json_decref(res);
				return -1;
			}
			if (r == NULL)
				continue;
			if (!plain) {
				/* concatenating gives a plain array */
				json_t *p = json_array();

				if (p == NULL || json_array_extend(p, res) != 0) {
					json_decref(p);
					json_decref(res);
					json_decref(r);
					return oom(c);
				}
				json_decref(res);
				res = p;
				plain = 1;
			}
			if (json_is_array(r)) {
				json_array_foreach(r, j, x)
					if (push(c, res, x) != 0)
						break;
			} else
				(void)push(c, res, r);
			json_decref(r);
		}
		*out = res;
		return 0;
	}
	if (is_obj(v)) {
		if ((res = jn_seq_new(c)) == NULL)
			return -1;
		json_object_foreach(v, k, x) {
			json_t *o = json_object();

			if (o == NULL || json_object_set(o, k, x) != 0 ||
			    push(c, res, o) != 0) {
				json_decref(o);
				json_decref(res);
				return oom(c);
			}
			json_decref(o);
		}
		*out = res;
		return 0;
	}
	*out = json_incref(v);
	return 0;
}

NATIVE(fn_spread) { return spread(c, A(a, n, 0), out); }

NATIVE(fn_merge)
{
	json_t *arr = A(a, n, 0), *res, *o, *x;
	const char *k;
	size_t i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if ((res = json_object()) == NULL)
		return oom(c);
	json_array_foreach(arr, i, o) {
		if (!is_obj(o))
			continue;
		json_object_foreach(o, k, x) {
			if (jn_tick(c) != 0) {
				json_decref(res);
				return -1;
			}
			if (json_object_set(res, k, x) != 0) {
				json_decref(res);
				return oom(c);
			}
		}
	}
	*out = res;
	return 0;
}

NATIVE(fn_reverse)
{
	json_t *arr = A(a, n, 0), *res;
	size_t i, len;

	*out = NULL;
	if (arr == NULL)
		return 0;
	len = json_array_size(arr);
	if (len <= 1) {
		*out = json_incref(arr);
		return 0;
	}
	if ((res = json_array()) == NULL)
		return oom(c);
	for (i = len; i-- > 0;)
		if (push(c, res, json_array_get(arr, i)) != 0) {
			json_decref(res);
			return -1;
		}
	*out = res;
	return 0;
}

NATIVE(fn_shuffle)
{
	json_t *arr = A(a, n, 0), *res;
	size_t i, len;

	*out = NULL;
	if (arr == NULL)
		return 0;
	len = json_array_size(arr);
	if (len <= 1) {
		*out = json_incref(arr);
		return 0;
	}
	if ((res = json_array()) == NULL)
		return oom(c);
	for (i = 0; i < len; i++) {
		size_t j = (size_t)floor(unit(rand64(c)) * (double)(i + 1));

		if (push(c, res, json_array_get(arr, i)) != 0) {
			json_decref(res);
			return -1;
		}
		if (j != i) {
			json_t *t = json_incref(json_array_get(res, j));

			json_array_set(res, i, t);
			json_array_set(res, j, json_array_get(arr, i));
			json_decref(t);
		}
	}
	*out = res;
	return 0;
}

NATIVE(fn_distinct)
{
	json_t *arr = A(a, n, 0), *res, *x;
	size_t i, j;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) <= 1) {
		*out = json_incref(arr);
		return 0;
	}
	res = jn_is_seq(c, arr) ? jn_seq_new(c) : json_array();
	if (res == NULL)
		return oom(c);
	json_array_foreach(arr, i, x) {
		int dup = 0;

		for (j = 0; j < json_array_size(res) && !dup; j++) {
			if (jn_tick(c) != 0) {
				json_decref(res);
				return -1;
			}
			dup = jn_deep_equal(x, json_array_get(res, j));
		}
		if (!dup && push(c, res, x) != 0) {
			json_decref(res);
			return -1;
		}
	}
	*out = res;
	return 0;
}

NATIVE(fn_zip)
{
	json_t *res, *t;
	size_t i, k, len = SIZE_MAX;

	*out = NULL;
	for (k = 0; k < n; k++) {
		size_t l = json_is_array(a[k]) ? json_array_size(a[k]) : 0;

		if (l < len)
			len = l;
	}
	if (n == 0)
		len = 0;
	if ((res = json_array()) == NULL)
		return oom(c);
	for (i = 0; i < len; i++) {
		if ((t = json_array()) == NULL) {
			json_decref(res);
			return oom(c);
		}
		for (k = 0; k < n; k++)
			if (push(c, t, json_array_get(a[k], i)) != 0)
				break;
		if (k < n || push(c, res, t) != 0) {
			json_decref(t);
			json_decref(res);
			return -1;
		}
		json_decref(t);
	}
	*out = res;
	return 0;
}

NATIVE(fn_error)
{
	json_t *m = A(a, n, 0), *d = NULL;
	int r;

	*out = NULL;
	if (m == NULL || json_string_length(m) == 0)
		m = d = json_string("$error() function evaluated");
	r = jn_throw(c, "D3137", -1, NULL, m, -1);
	json_decref(d);
	return r;
}

NATIVE(fn_assert)
{
	json_t *m = A(a, n, 1), *d = NULL;
	int r;

	*out = NULL;
	if (json_is_true(A(a, n, 0)))
		return 0;
	if (m == NULL || json_string_length(m) == 0)
		m = d = json_string("$assert() statement failed");
	r = jn_throw(c, "D3141", -1, NULL, m, -1);
	json_decref(d);
	return r;
}

/* Integral reals below 2^53 as integers, in place (v is ours). */
static json_t *
renum(json_t *v)
{
	json_t *x;
	const char *k;
	size_t i;

	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (d == floor(d) && fabs(d) < 9007199254740992.0) {
			json_decref(v);
			return json_integer((json_int_t)d);
		}
		return v;
	}
	if (json_is_array(v)) {
		for (i = 0; i < json_array_size(v); i++) {
			x = json_incref(json_array_get(v, i));
			if ((x = renum(x)) == NULL ||
			    json_array_set_new(v, i, x) != 0) {
				json_decref(v);
				return NULL;
			}
		}
	} else if (json_is_object(v)) {
		void *tmp;

		json_object_foreach_safe(v, tmp, k, x) {
			x = json_incref(x);
			if ((x = renum(x)) == NULL ||
			    json_object_set_new(v, k, x) != 0) {
				json_decref(v);
				return NULL;
			}
		}
	}
	return v;
}

/* JSON text to a value, numbers as JSONata holds them; NULL on bad text. */
static json_t *
parse_json(struct jn_ctx *c, const char *s, size_t len, json_error_t *je)
{
	json_t *v;

	if (jn_charge(c, len * 4 + 64) != 0)
		return NULL;
	v = json_loadb(s, len, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL |
	    JSON_ALLOW_NUL, je);
	return v == NULL ? NULL : renum(v);
}

NATIVE(fn_clone)
{
	json_t *v = A(a, n, 0);
	json_error_t je;
	char *s;

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((s = jn_stringify(c, v, 0)) == NULL)
		return -1;
	*out = parse_json(c, s, strlen(s), &je);
	free(s);
	if (*out == NULL)
		return oom(c);
	return 0;
}

/* ---------------------------------------------------------- sorting */

struct sortctx {
	struct jn_ctx	*c;
	const json_t	*fn;
	int		 failed;
};

/* 1 when a must come after b (jsonata-js's comparator), -1 on error. */
static int
sort_gt(struct sortctx *s, json_t *x, json_t *y)
{
	json_t *args[2], *r = NULL;
	int t;

	if (jn_tick(s->c) != 0)
		return -1;
	if (s->fn == NULL) {
		if (jn_is_num(x))
			return jn_numv(x) > jn_numv(y);
		return js_strcmp(json_string_value(x), json_string_length(x),
		    json_string_value(y), json_string_length(y)) > 0;
	}
	args[0] = x;
	args[1] = y;
	if (jn_apply(s->c, s->fn, args, 2, &r) != 0)
		return -1;
	t = js_truthy(r);
	json_decref(r);
	return t;
}

/* Stable merge sort of v[0..n) (borrowed pointers) using tmp. */
static int
msort(struct sortctx *s, json_t **v, json_t **tmp, size_t n)
{
	size_t mid = n / 2, i = 0, j, k = 0;

	if (n <= 1)
		return 0;
	if (msort(s, v, tmp, mid) != 0 || msort(s, v + mid, tmp, n - mid) != 0)
		return -1;
	j = mid;
	while (i < mid && j < n) {
		int g = sort_gt(s, v[i], v[j]);

		if (g < 0)
			return -1;
		tmp[k++] = g ? v[j++] : v[i++];
	}
	while (i < mid)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof(*v));
	return 0;
}

NATIVE(fn_sort)
{
	json_t *arr = A(a, n, 0), *fn = A(a, n, 1), *res, **v, **tmp;
	struct sortctx s;
	size_t i, len;
	int r = 0;

	*out = NULL;
	if (arr == NULL)
		return 0;
	len = json_array_size(arr);
	if (len <= 1) {
		*out = json_incref(arr);
		return 0;
	}
	if (fn == NULL) {
		int nums = 1, strs = 1;

		for (i = 0; i < len; i++) {
			json_t *x = json_array_get(arr, i);

			nums &= jn_is_num(x);
			strs &= json_is_string(x);
		}
		if (!nums && !strs)
			return jn_throw(c, "D3070", -1, NULL, NULL, 1);
	}
	if (jn_charge(c, len * 3 * sizeof(*v)) != 0)
		return -1;
	v = calloc(len, sizeof(*v));
	tmp = calloc(len, sizeof(*tmp));
	if (v == NULL || tmp == NULL) {
		free(v);
		free(tmp);
		return oom(c);
	}
	for (i = 0; i < len; i++)
		v[i] = json_array_get(arr, i);
	s.c = c;
	s.fn = fn;
	s.failed = 0;
	if (msort(&s, v, tmp, len) != 0)
		r = -1;
	else if ((res = json_array()) == NULL)
		r = oom(c);
	else {
		for (i = 0; i < len && r == 0; i++)
			if (json_array_append(res, v[i]) != 0)
				r = oom(c);
		if (r == 0)
			*out = res;
		else
			json_decref(res);
	}
	free(v);
	free(tmp);
	return r;
}

/* ------------------------------------------------------ higher-order */

/* Call fn with value, then index and array as its arity allows. */
static int
hof_call(struct jn_ctx *c, const json_t *fn, json_t *v, json_t *idx,
    json_t *all, json_t **out)
{
	json_t *args[3];
	int ar = jn_fn_arity(c, fn);
	size_t na = 1;

	args[0] = v;
	args[1] = idx;
	args[2] = all;
	if (ar >= 2)
		na = 2;
	if (ar >= 3)
		na = 3;
	if (jn_tick(c) != 0)
		return -1;
	return jn_apply(c, fn, args, na, out);
}

static int
hof_idx(struct jn_ctx *c, const json_t *fn, json_t *arr, size_t i,
    json_t **out)
{
	json_t *ix = json_integer((json_int_t)i);
	int r;

	if (ix == NULL)
		return oom(c);
	r = hof_call(c, fn, json_array_get(arr, i), ix, arr, out);
	json_decref(ix);
	return r;
}

NATIVE(fn_map)
{
	json_t *arr = A(a, n, 0), *fn = A(a, n, 1), *res, *r;
	size_t i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if ((res = jn_seq_new(c)) == NULL)
		return -1;
	for (i = 0; i < json_array_size(arr); i++) {
		if (hof_idx(c, fn, arr, i, &r) != 0) {
			json_decref(res);
			return -1;
		}
		if (r != NULL && push(c, res, r) != 0) {
			json_decref(r);
			json_decref(res);
			return -1;
		}
		json_decref(r);
	}
	*out = res;
	return 0;
}

NATIVE(fn_filter)
{
	json_t *arr = A(a, n, 0), *fn = A(a, n, 1), *res, *r;
	size_t i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if ((res = jn_seq_new(c)) == NULL)
		return -1;
	for (i = 0; i < json_array_size(arr); i++) {
		int keep;

		if (hof_idx(c, fn, arr, i, &r) != 0) {
			json_decref(res);
			return -1;
		}
		keep = jbool(r);
		json_decref(r);
		if (keep && push(c, res, json_array_get(arr, i)) != 0) {
			json_decref(res);
			return -1;
		}
	}
	*out = res;
	return 0;
}

NATIVE(fn_single)
{
	json_t *arr = A(a, n, 0), *fn = A(a, n, 1), *r, *found = NULL;
	size_t i;

	*out = NULL;
	if (arr == NULL)
		return 0;
	for (i = 0; i < json_array_size(arr); i++) {
		int ok = 1;

		if (fn != NULL) {
			if (hof_idx(c, fn, arr, i, &r) != 0)
				return -1;
			ok = jbool(r);
			json_decref(r);
		}
		if (!ok)
			continue;
		if (found != NULL)
			return jn_throw(c, "D3138", -1, NULL, NULL, (long)i);
		found = json_array_get(arr, i);
	}
	if (found == NULL)
		return jn_throw(c, "D3139", -1, NULL, NULL, -1);
	*out = json_incref(found);
	return 0;
}

NATIVE(fn_reduce)
{
	json_t *arr = A(a, n, 0), *fn = A(a, n, 1), *init = A(a, n, 2);
	json_t *acc, *args[4], *r;
	size_t i = 0;
	int ar;

	*out = NULL;
	if (arr == NULL)
		return 0;
	ar = jn_fn_arity(c, fn);
	if (ar < 2)
		return jn_throw(c, "D3050", -1, NULL, NULL, 1);
	if (init == NULL && json_array_size(arr) > 0) {
		acc = json_incref(json_array_get(arr, 0));
		i = 1;
	} else
		acc = json_incref(init);
	for (; i < json_array_size(arr); i++) {
		json_t *ix = json_integer((json_int_t)i);
		size_t na = 2;
		int rc;

		if (ix == NULL || jn_tick(c) != 0) {
			json_decref(ix);
			json_decref(acc);
			return ix == NULL ? oom(c) : -1;
		}
		args[0] = acc;
		args[1] = json_array_get(arr, i);
		args[2] = ix;
		args[3] = arr;
		if (ar >= 3)
			na = 3;
		if (ar >= 4)
			na = 4;
		rc = jn_apply(c, fn, args, na, &r);
		json_decref(ix);
		json_decref(acc);
		if (rc != 0)
			return -1;
		acc = r;
	}
	*out = acc;
	return 0;
}

NATIVE(fn_each)
{
	json_t *obj = A(a, n, 0), *fn = A(a, n, 1), *res, *x, *r, *k;
	const char *key;

	*out = NULL;
	if ((res = jn_seq_new(c)) == NULL)
		return -1;
	if (!is_obj(obj)) {
		*out = res;
		return 0;
	}
	json_object_foreach(obj, key, x) {
		int rc;

		if ((k = json_string(key)) == NULL) {
			json_decref(res);
			return oom(c);
		}
		rc = hof_call(c, fn, x, k, obj, &r);
		json_decref(k);
		if (rc != 0) {
			json_decref(res);
			return -1;
		}
		if (r != NULL && push(c, res, r) != 0) {
			json_decref(r);
			json_decref(res);
			return -1;
		}
		json_decref(r);
	}
	*out = res;
	return 0;
}

NATIVE(fn_sift)
{
	json_t *obj = A(a, n, 0), *fn = A(a, n, 1), *res, *x, *r, *k;
	const char *key;

	*out = NULL;
	if (!is_obj(obj) || fn == NULL)
		return 0;
	if ((res = json_object()) == NULL)
		return oom(c);
	json_object_foreach(obj, key, x) {
		int rc, keep;

		if ((k = json_string(key)) == NULL) {
			json_decref(res);
			return oom(c);
		}
		rc = hof_call(c, fn, x, k, obj, &r);
		json_decref(k);
		if (rc != 0) {
			json_decref(res);
			return -1;
		}
		keep = jbool(r);
		json_decref(r);
		if (keep && json_object_set(res, key, x) != 0) {
			json_decref(res);
			return oom(c);
		}
	}
	if (json_object_size(res) == 0)
		json_decref(res);
	else
		*out = res;
	return 0;
}

NATIVE(fn_eval)
{
	json_t *src = A(a, n, 0);

	*out = NULL;
	if (src == NULL)
		return 0;
	return jn_eval_src(c, json_string_value(src), A(a, n, 1), NULL, out);
}

/* ---------------------------------------------------------- encoding */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The string's UTF-16 code units, each cut to a byte (Node's "binary"). */
NATIVE(fn_base64encode)
{
	json_t *v = A(a, n, 0);
	const unsigned char *s;
	unsigned char *bin;
	size_t sl, i, bl = 0;
	struct sbuf b = { NULL, 0, 0 };
	int r = 0;

	*out = NULL;
	if (v == NULL)
		return 0;
	s = (const unsigned char *)sv(v, &sl);
	if (jn_charge(c, sl * 3 + 8) != 0)
		return -1;
	if ((bin = malloc(sl * 2 + 1)) == NULL)
		return oom(c);
	for (i = 0; i < sl;) {
		size_t l = u8len(s + i, sl - i);
		uint32_t cp = u8dec(s + i, l);

		if (cp >= 0x10000) {
			bin[bl++] = (unsigned char)(0xd800 +
			    ((cp - 0x10000) >> 10));
			bin[bl++] = (unsigned char)(0xdc00 +
			    ((cp - 0x10000) & 0x3ff));
		} else
			bin[bl++] = (unsigned char)cp;
		i += l;
	}
	for (i = 0; i < bl && r == 0; i += 3) {
		char q[4];
		uint32_t w = (uint32_t)bin[i] << 16;

		if (i + 1 < bl)
			w |= (uint32_t)bin[i + 1] << 8;
		if (i + 2 < bl)
			w |= bin[i + 2];
		q[0] = b64[(w >> 18) & 63];
		q[1] = b64[(w >> 12) & 63];
		q[2] = i + 1 < bl ? b64[(w >> 6) & 63] : '=';
		q[3] = i + 2 < bl ? b64[w & 63] : '=';
		r = sb_add(c, &b, q, 4);
	}
	free(bin);
	if (r != 0) {
		free(b.p);
		return -1;
	}
	return sb_out(c, &b, out);
}

/* Node's lenient base64 (and base64url) decoding; bytes as U+0000..U+00FF. */
NATIVE(fn_base64decode)
{
	json_t *v = A(a, n, 0);
	const char *s;
	size_t sl, i;
	uint32_t w = 0;
	int bits = 0, r = 0;
	struct sbuf b = { NULL, 0, 0 };

	*out = NULL;
	if (v == NULL)
		return 0;
	s = sv(v, &sl);
	for (i = 0; i < sl && r == 0; i++) {
		const char *p;
		int d;
		char ch = s[i];

		if (ch == '=')
			break;
		if (ch == '-')
			d = 62;
		else if (ch == '_')
			d = 63;
		else if (ch != '\0' && (p = strchr(b64, ch)) != NULL)
			d = (int)(p - b64);
		else
			continue;
		w = (w << 6) | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			char o[4];
			unsigned byte;

			bits -= 8;
			byte = (w >> bits) & 0xff;
			r = sb_add(c, &b, o, u8enc(byte, o));
		}
	}
	if (r != 0) {
		free(b.p);
		return -1;
	}
	return sb_out(c, &b, out);
}

static int
uri_throw(struct jn_ctx *c, json_t *v)
{
	return jn_throw(c, "D3140", -1, NULL, v, -1);
}

static int
uri_encode(struct jn_ctx *c, json_t **a, size_t n, json_t **out,
    const char *keep)
{
	json_t *v = A(a, n, 0);
	const unsigned char *s;
	size_t sl, i;
	struct sbuf b = { NULL, 0, 0 };
	int r = 0;

	*out = NULL;
	if (v == NULL)
		return 0;
	s = (const unsigned char *)sv(v, &sl);
	for (i = 0; i < sl && r == 0; i++) {
		char e[4];

		if (isalnum(s[i]) || (s[i] != 0 && s[i] < 0x80 &&
		    strchr(keep, s[i]) != NULL)) {
			r = sb_add(c, &b, (const char *)s + i, 1);
			continue;
		}
		if (s[i] == 0xed && i + 1 < sl && s[i + 1] >= 0xa0) {
			free(b.p);
			return uri_throw(c, v);
		}
		e[0] = '%';
		e[1] = "0123456789ABCDEF"[s[i] >> 4];
		e[2] = "0123456789ABCDEF"[s[i] & 15];
		r = sb_add(c, &b, e, 3);
	}
	if (r != 0) {
		free(b.p);
		return -1;
	}
	return sb_out(c, &b, out);
}

NATIVE(fn_encode_url_component)
{
	return uri_encode(c, a, n, out, "-_.!~*'()");
}

NATIVE(fn_encode_url)
{
	return uri_encode(c, a, n, out, "-_.!~*'();/?:@&=+$,#");
}

static int
hexv(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = tolower(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static int
pct(const char *s, size_t sl, size_t i)
{
	int h, l;

	if (i + 2 >= sl || s[i] != '%')
		return -1;
	if ((h = hexv((unsigned char)s[i + 1])) < 0 ||
	    (l = hexv((unsigned char)s[i + 2])) < 0)
		return -1;
	return h * 16 + l;
}

static int
uri_decode(struct jn_ctx *c, json_t **a, size_t n, json_t **out,
    const char *reserved)
{
	json_t *v = A(a, n, 0);
	const char *s;
	size_t sl, i;
	struct sbuf b = { NULL, 0, 0 };
	int r = 0;

	*out = NULL;
	if (v == NULL)
		return 0;
	s = sv(v, &sl);
	for (i = 0; i < sl && r == 0;) {
		unsigned char u[4];
		int x, k, len;
		uint32_t cp;

		if (s[i] != '%') {
			r = sb_add(c, &b, s + i, 1);
			i++;
			continue;
		}
		if ((x = pct(s, sl, i)) < 0)
			goto bad;
		if (x < 0x80) {
			if (x != 0 && strchr(reserved, x) != NULL)
				r = sb_add(c, &b, s + i, 3);
			else {
				char ch = (char)x;

				r = sb_add(c, &b, &ch, 1);
			}
			i += 3;
			continue;
		}
		if ((x & 0xe0) == 0xc0)
			len = 2;
		else if ((x & 0xf0) == 0xe0)
			len = 3;
		else if ((x & 0xf8) == 0xf0)
			len = 4;
		else
			goto bad;
		u[0] = (unsigned char)x;
		i += 3;
		for (k = 1; k < len; k++) {
			if ((x = pct(s, sl, i)) < 0 || (x & 0xc0) != 0x80)
				goto bad;
			u[k] = (unsigned char)x;
			i += 3;
		}
		cp = u8dec(u, (size_t)len);
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		r = sb_add(c, &b, (const char *)u, (size_t)len);
	}
	if (r != 0) {
		free(b.p);
		return -1;
	}
	return sb_out(c, &b, out);
 bad:
	free(b.p);
	return uri_throw(c, v);
}

NATIVE(fn_decode_url_component)
{
	return uri_decode(c, a, n, out, "");
}

NATIVE(fn_decode_url)
{
	return uri_decode(c, a, n, out, ";/?:@&=+$,#");
}

/* ------------------------------------------- AWS Step Functions' own */

/* An AWS function's argument error (our D32xx codes, a plain message). */
static int
aws_err(struct jn_ctx *c, const char *code, const char *msg)
{
	json_t *m = json_string(msg);
	int r = jn_throw(c, code, -1, NULL, m, -1);

	json_decref(m);
	return r;
}

static int
is_int(const json_t *v)
{
	double d = jn_numv(v);

	return jn_is_num(v) && d == floor(d);
}

NATIVE(fn_partition)
{
	json_t *arr = A(a, n, 0), *sz = A(a, n, 1), *res, *chunk = NULL;
	size_t i, size;

	*out = NULL;
	if (arr == NULL)
		return 0;
	if (!is_int(sz) || jn_numv(sz) < 1)
		return aws_err(c, "D3200", "The size argument of $partition "
		    "must be a positive integer");
	size = jn_numv(sz) > (double)SIZE_MAX / 2 ? SIZE_MAX / 2 :
	    (size_t)jn_numv(sz);
	if ((res = json_array()) == NULL)
		return oom(c);
	for (i = 0; i < json_array_size(arr); i++) {
		if (chunk == NULL && (chunk = json_array()) == NULL)
			goto fail;
		if (push(c, chunk, json_array_get(arr, i)) != 0)
			goto fail;
		if (json_array_size(chunk) == size) {
			if (push(c, res, chunk) != 0)
				goto fail;
			json_decref(chunk);
			chunk = NULL;
		}
	}
	if (chunk != NULL) {
		if (push(c, res, chunk) != 0)
			goto fail;
		json_decref(chunk);
	}
	*out = res;
	return 0;
 fail:
	json_decref(chunk);
	json_decref(res);
	return oom(c);
}

#define RANGE_MAX	1000

NATIVE(fn_range)
{
	json_t *res;
	double s = jn_numv(A(a, n, 0)), e = jn_numv(A(a, n, 1));
	double st = jn_numv(A(a, n, 2)), x;
	size_t k;

	*out = NULL;
	if (!is_int(A(a, n, 0)) || !is_int(A(a, n, 1)) || !is_int(A(a, n, 2)))
		return aws_err(c, "D3201", "The arguments of $range must be "
		    "integers");
	if (st == 0)
		return aws_err(c, "D3202", "The step of $range must not be 0");
	if ((e - s) / st >= RANGE_MAX)
		return aws_err(c, "D3203", "$range would give more than 1000 "
		    "items");
	/* A sequence: one item comes out as itself, as AWS's $range(1, 9, 9). */
	if ((res = jn_seq_new(c)) == NULL)
		return oom(c);
	for (k = 0, x = s; st > 0 ? x <= e : x >= e; k++, x = s + st * k) {
		json_t *v = jn_num(c, x);

		if (v == NULL || push(c, res, v) != 0) {
			json_decref(v);
			json_decref(res);
			return -1;
		}
		json_decref(v);
	}
	*out = res;
	return 0;
}

NATIVE(fn_hash)
{
	static const struct {
		const char *name, *evp;
	} algs[] = {
		{ "MD5", "MD5" }, { "SHA-1", "SHA1" }, { "SHA-256", "SHA256" },
		{ "SHA-384", "SHA384" }, { "SHA-512", "SHA512" }
	};
	json_t *v = A(a, n, 0), *al = A(a, n, 1);
	const EVP_MD *md = NULL;
	unsigned char dg[EVP_MAX_MD_SIZE];
	char hex[EVP_MAX_MD_SIZE * 2 + 1];
	unsigned int dl = 0, i;
	size_t k;

	*out = NULL;
	if (v == NULL)
		return 0;
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++)
		if (strcmp(json_string_value(al), algs[k].name) == 0)
			md = EVP_get_digestbyname(algs[k].evp);
	if (md == NULL)
		return aws_err(c, "D3204", "The algorithm of $hash must be one "
		    "of MD5, SHA-1, SHA-256, SHA-384, SHA-512");
	if (EVP_Digest(json_string_value(v), json_string_length(v), dg, &dl,
	    md, NULL) != 1)
		return oom(c);
	for (i = 0; i < dl; i++) {
		hex[i * 2] = "0123456789abcdef"[dg[i] >> 4];
		hex[i * 2 + 1] = "0123456789abcdef"[dg[i] & 15];
	}
	return set_str(c, out, hex, (size_t)dl * 2);
}

NATIVE(fn_aws_random)
{
	json_t *seed = A(a, n, 0);

	if (seed != NULL) {
		uint64_t z;
		double d = jn_numv(seed);

		if (!is_int(seed))
			return aws_err(c, "D3205", "The seed of $random must be "
			    "an integer");
		z = (uint64_t)(int64_t)d + 0x9e3779b97f4a7c15ULL;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		return set_num(c, out, unit(z ^ (z >> 31)));
	}
	return set_num(c, out, unit(rand64(c)));
}

NATIVE(fn_uuid)
{
	uint64_t hi = rand64(c), lo = rand64(c);
	unsigned char u[16];
	char s[37];
	size_t i, k = 0;

	(void)a;
	(void)n;
	for (i = 0; i < 8; i++) {
		u[i] = (unsigned char)(hi >> (56 - 8 * i));
		u[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			s[k++] = '-';
		s[k++] = "0123456789abcdef"[u[i] >> 4];
		s[k++] = "0123456789abcdef"[u[i] & 15];
	}
	s[k] = '\0';
	return set_str(c, out, s, k);
}

NATIVE(fn_parse)
{
	json_t *v = A(a, n, 0);
	json_error_t je;
	char msg[256];

	*out = NULL;
	if (v == NULL)
		return 0;
	if ((*out = parse_json(c, json_string_value(v), json_string_length(v),
	    &je)) != NULL)
		return 0;
	snprintf(msg, sizeof(msg), "The argument of $parse is not valid "
	    "JSON: %s", je.text);
	return aws_err(c, "D3206", msg);
}

/* ------------------------------------------------------------- table */

static const struct jn_builtin builtins[] = {
	{ "sum", "<a<n>:n>", fn_sum, 0 },
	{ "count", "<a:n>", fn_count, 0 },
	{ "max", "<a<n>:n>", fn_max, 0 },
	{ "min", "<a<n>:n>", fn_min, 0 },
	{ "average", "<a<n>:n>", fn_average, 0 },
	{ "string", "<x-b?:s>", fn_string, 0 },
	{ "substring", "<s-nn?:s>", fn_substring, 0 },
	{ "substringBefore", "<s-s:s>", fn_substring_before, 0 },
	{ "substringAfter", "<s-s:s>", fn_substring_after, 0 },
	{ "lowercase", "<s-:s>", fn_lowercase, 0 },
	{ "uppercase", "<s-:s>", fn_uppercase, 0 },
	{ "length", "<s-:n>", fn_length, 0 },
	{ "trim", "<s-:s>", fn_trim, 0 },
	{ "pad", "<s-ns?:s>", fn_pad, 0 },
	{ "match", "<s-f<s:o>n?:a<o>>", fn_match, 0 },
	{ "contains", "<s-(sf):b>", fn_contains, 0 },
	{ "replace", "<s-(sf)(sf)n?:s>", fn_replace, 0 },
	{ "split", "<s-(sf)n?:a<s>>", fn_split, 0 },
	{ "join", "<a<s>s?:s>", fn_join, 0 },
	{ "formatNumber", "<n-so?:s>", jn_fn_format_number, 0 },
	{ "formatBase", "<n-n?:s>", jn_fn_format_base, 0 },
	{ "formatInteger", "<n-s:s>", jn_fn_format_integer, 0 },
	{ "parseInteger", "<s-s:n>", jn_fn_parse_integer, 0 },
	{ "toMillis", "<s-s?:n>", jn_fn_to_millis, 0 },
	{ "fromMillis", "<n-s?s?:s>", jn_fn_from_millis, 0 },
	{ "now", "<s?s?:s>", jn_fn_now, 0 },
	{ "millis", "<:n>", jn_fn_millis, 0 },
	{ "boolean", "<x-:b>", fn_boolean, 0 },
	{ "not", "<x-:b>", fn_not, 0 },
	{ "exists", "<x:b>", fn_exists, 0 },
	{ "type", "<x:s>", fn_type, 0 },
	{ "number", "<(nsb)-:n>", fn_number, 0 },
	{ "floor", "<n-:n>", fn_floor, 0 },
	{ "ceil", "<n-:n>", fn_ceil, 0 },
	{ "round", "<n-n?:n>", fn_round, 0 },
	{ "abs", "<n-:n>", fn_abs, 0 },
	{ "sqrt", "<n-:n>", fn_sqrt, 0 },
	{ "power", "<n-n:n>", fn_power, 0 },
	{ "random", "<n?:n>", fn_aws_random, 1 },
	{ "random", "<:n>", fn_random, 0 },
	{ "map", "<af>", fn_map, 0 },
	{ "zip", "<a+>", fn_zip, 0 },
	{ "filter", "<af>", fn_filter, 0 },
	{ "single", "<af?>", fn_single, 0 },
	{ "reduce", "<afj?:j>", fn_reduce, 0 },
	{ "sift", "<o-f?:o>", fn_sift, 0 },
	{ "keys", "<x-:a<s>>", fn_keys, 0 },
	{ "lookup", "<x-s:x>", fn_lookup, 0 },
	{ "append", "<xx:a>", fn_append, 0 },
	{ "spread", "<x-:a<o>>", fn_spread, 0 },
	{ "merge", "<a<o>:o>", fn_merge, 0 },
	{ "reverse", "<a:a>", fn_reverse, 0 },
	{ "each", "<o-f:a>", fn_each, 0 },
	{ "error", "<s?:x>", fn_error, 0 },
	{ "assert", "<bs?:x>", fn_assert, 0 },
	{ "sort", "<af?:a>", fn_sort, 0 },
	{ "shuffle", "<a:a>", fn_shuffle, 0 },
	{ "distinct", "<x:x>", fn_distinct, 0 },
	{ "base64encode", "<s-:s>", fn_base64encode, 0 },
	{ "base64decode", "<s-:s>", fn_base64decode, 0 },
	{ "encodeUrlComponent", "<s-:s>", fn_encode_url_component, 0 },
	{ "encodeUrl", "<s-:s>", fn_encode_url, 0 },
	{ "decodeUrlComponent", "<s-:s>", fn_decode_url_component, 0 },
	{ "decodeUrl", "<s-:s>", fn_decode_url, 0 },
	{ "eval", "<sx?:x>", fn_eval, -1 },
	{ "clone", "<(oa)-:o>", fn_clone, 0 },
	{ "partition", "<an:a>", fn_partition, 1 },
	{ "range", "<nnn:a<n>>", fn_range, 1 },
	{ "hash", "<ss:s>", fn_hash, 1 },
	{ "uuid", "<:s>", fn_uuid, 1 },
	{ "parse", "<s:j>", fn_parse, 1 },
	{ NULL, NULL, NULL, 0 }
};

/* jsonata-js's implementation.length, the arity HOFs see. */
static const signed char js_arity[] = {
	1, 1, 1, 1, 1, 1, 3, 2, 2, 1, 1, 1, 1, 3, 3, 2, 4, 3, 2,
	3, 2, 2, 2, 2, 3, 2, 0, 1, 1, 1, 1,
	1, 1, 1, 2, 1, 1, 2, 1, 0, 2, 0, 2, 2, 3, 2, 1, 2, 2, 1,
	1, 1, 2, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1,
	2, 3, 2, 0, 1
};

#define NBUILTIN	(sizeof(builtins) / sizeof(builtins[0]) - 1)

static struct jn_sig	*sig_cache[NBUILTIN];
static pthread_once_t	 sig_once = PTHREAD_ONCE_INIT;

static void
sig_init(void)
{
	size_t i;

	for (i = 0; i < NBUILTIN; i++) {
		sig_cache[i] = jn_sig_parse(NULL, builtins[i].signature);
		if (sig_cache[i] != NULL && i < sizeof(js_arity))
			sig_cache[i]->arity = js_arity[i];
	}
}

const struct jn_builtin *
jn_builtin_find(const char *name, int aws)
{
	size_t i;

	for (i = 0; builtins[i].name != NULL; i++)
		if (strcmp(builtins[i].name, name) == 0 &&
		    (builtins[i].aws == 0 || (builtins[i].aws > 0 && aws) ||
		    (builtins[i].aws < 0 && !aws)))
			return &builtins[i];
	return NULL;
}

const struct jn_sig *
jn_builtin_sig(const struct jn_builtin *b)
{
	size_t i;

	if (b < builtins || b >= builtins + NBUILTIN)
		return NULL;
	i = (size_t)(b - builtins);
	(void)pthread_once(&sig_once, sig_init);
	return sig_cache[i];
}

int
jn_call_builtin(struct jn_ctx *c, const struct jn_builtin *b, json_t **args,
    size_t nargs, json_t *context, json_t **out)
{
	const struct jn_sig *s = jn_builtin_sig(b);
	json_t *buf[JN_ARGS_INLINE], **v = NULL;
	size_t nv = 0;
	int r;

	*out = NULL;
	if (s == NULL)
		return b->fn(c, args, nargs, out);
	if (jn_sig_validate(c, s, b->name, args, nargs, context, buf,
	    JN_ARGS_INLINE, &v, &nv) != 0)
		return -1;
	r = b->fn(c, v, nv, out);
	jn_args_done(v, nv, buf);
	if (r != 0) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}
