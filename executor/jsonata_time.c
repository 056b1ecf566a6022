/*
 * jsonata_time.c: JSONata's date/time and picture-string functions:
 * $now, $millis, $fromMillis, $toMillis, $formatNumber, $formatBase,
 * $formatInteger, $parseInteger.  Pictures follow XPath/XQuery F&O 3.1
 * as jsonata-js 2.x implements them (including its quirks).
 *
 * Strings are handled as arrays of code points (struct us, a slice);
 * everything allocated during one call lives in an arena (struct tctx)
 * freed when the call returns.
 */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <jansson.h>

#include "jsonata_int.h"

#define MS_DAY		86400000.0
#define CHARGE_MIN	4096	/* smaller allocations are not charged */
#define MATCH_LIMIT	1000000

/* ------------------------------------------------------------ arena */

struct tblk {
	struct tblk	*next;
	max_align_t	 data[];
};

struct tctx {
	struct jn_ctx	*c;
	struct tblk	*blocks;
	int		 failed;	/* an allocation failed or refused */
};

/* A string: a slice of code points (not NUL-terminated). */
struct us {
	const uint32_t	*v;
	long		 n;
};

/* A string being built. */
struct ub {
	struct tctx	*t;
	uint32_t	*v;
	long		 n;
	long		 cap;
};

static void
t_init(struct tctx *t, struct jn_ctx *c)
{
	t->c = c;
	t->blocks = NULL;
	t->failed = 0;
}

static void
t_done(struct tctx *t)
{
	struct tblk *b, *next;

	for (b = t->blocks; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	t->blocks = NULL;
}

static void *
t_alloc(struct tctx *t, size_t n)
{
	struct tblk *b;

	if (t->failed)
		return NULL;
	if (n > SIZE_MAX / 2 - sizeof(*b)) {
		t->failed = 1;
		jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
		return NULL;
	}
	if (n >= CHARGE_MIN && jn_charge(t->c, n) != 0) {
		t->failed = 1;
		return NULL;
	}
	if ((b = malloc(sizeof(*b) + n)) == NULL) {
		t->failed = 1;
		jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
		return NULL;
	}
	b->next = t->blocks;
	t->blocks = b;
	return b->data;
}

/* ------------------------------------------------------------ strings */

static const uint32_t us_nil[1];

static struct us
us_empty(void)
{
	struct us s = { us_nil, 0 };

	return s;
}

static void
ub_init(struct ub *b, struct tctx *t)
{
	b->t = t;
	b->v = NULL;
	b->n = 0;
	b->cap = 0;
}

static int
ub_reserve(struct ub *b, long more)
{
	long want;
	uint32_t *nv;

	if (more < 0 || b->n > LONG_MAX / 8 - more) {
		if (!b->t->failed)
			jn_throw(b->t->c, "U1001", -1, NULL, NULL, -1);
		b->t->failed = 1;
		return -1;
	}
	if (b->n + more <= b->cap)
		return 0;
	want = b->cap < 16 ? 16 : b->cap * 2;
	if (want < b->n + more)
		want = b->n + more;
	if ((nv = t_alloc(b->t, (size_t)want * sizeof(*nv))) == NULL)
		return -1;
	if (b->n > 0)
		memcpy(nv, b->v, (size_t)b->n * sizeof(*nv));
	b->v = nv;
	b->cap = want;
	return 0;
}

static void
ub_putc(struct ub *b, uint32_t ch)
{
	if (ub_reserve(b, 1) != 0)
		return;
	b->v[b->n++] = ch;
}

static void
ub_puts(struct ub *b, struct us s)
{
	if (s.n <= 0 || ub_reserve(b, s.n) != 0)
		return;
	memcpy(b->v + b->n, s.v, (size_t)s.n * sizeof(*s.v));
	b->n += s.n;
}

static void
ub_ascii(struct ub *b, const char *s)
{
	for (; *s != '\0'; s++)
		ub_putc(b, (unsigned char)*s);
}

static void
ub_repeat(struct ub *b, struct us s, long times)
{
	long i;

	if (times <= 0 || s.n == 0)
		return;
	if (times > LONG_MAX / 8 / s.n) {
		ub_reserve(b, -1);
		return;
	}
	if (ub_reserve(b, times * s.n) != 0)
		return;
	for (i = 0; i < times; i++)
		ub_puts(b, s);
}

static struct us
ub_us(const struct ub *b)
{
	struct us s;

	if (b->v == NULL)
		return us_empty();
	s.v = b->v;
	s.n = b->n;
	return s;
}

static struct us
us_ascii(struct tctx *t, const char *s)
{
	struct ub b;

	ub_init(&b, t);
	ub_ascii(&b, s);
	return ub_us(&b);
}

static struct us
us_cat(struct tctx *t, struct us a, struct us b2)
{
	struct ub b;

	ub_init(&b, t);
	ub_puts(&b, a);
	ub_puts(&b, b2);
	return ub_us(&b);
}

static struct us
us_cat3(struct tctx *t, struct us a, struct us m, struct us z)
{
	struct ub b;

	ub_init(&b, t);
	ub_puts(&b, a);
	ub_puts(&b, m);
	ub_puts(&b, z);
	return ub_us(&b);
}

/* Decode UTF-8 (jansson's strings are valid UTF-8). */
static struct us
us_utf8(struct tctx *t, const char *s, size_t len)
{
	struct ub b;
	size_t i = 0;
	uint32_t ch;
	unsigned char u;
	int more;

	ub_init(&b, t);
	if (len > LONG_MAX / 8 || ub_reserve(&b, (long)len) != 0)
		return us_empty();
	while (i < len) {
		u = (unsigned char)s[i++];
		if (u < 0x80) {
			ch = u;
			more = 0;
		} else if ((u & 0xe0) == 0xc0) {
			ch = u & 0x1f;
			more = 1;
		} else if ((u & 0xf0) == 0xe0) {
			ch = u & 0x0f;
			more = 2;
		} else {
			ch = u & 0x07;
			more = 3;
		}
		for (; more > 0 && i < len; more--)
			ch = (ch << 6) | ((unsigned char)s[i++] & 0x3f);
		ub_putc(&b, ch);
	}
	return ub_us(&b);
}

static struct us
us_json(struct tctx *t, const json_t *v)
{
	if (v == NULL || !json_is_string(v))
		return us_empty();
	return us_utf8(t, json_string_value(v), json_string_length(v));
}

/* Encode as UTF-8 into a new arena string (NUL-terminated). */
static char *
us_to_utf8(struct tctx *t, struct us s, size_t *lenp)
{
	char *out;
	size_t k = 0;
	long i;
	uint32_t ch;

	if ((size_t)s.n > SIZE_MAX / 4 - 1)
		return NULL;
	if ((out = t_alloc(t, (size_t)s.n * 4 + 1)) == NULL)
		return NULL;
	for (i = 0; i < s.n; i++) {
		ch = s.v[i];
		if (ch >= 0xd800 && ch <= 0xdfff)
			ch = 0xfffd;
		if (ch < 0x80)
			out[k++] = (char)ch;
		else if (ch < 0x800) {
			out[k++] = (char)(0xc0 | (ch >> 6));
			out[k++] = (char)(0x80 | (ch & 0x3f));
		} else if (ch < 0x10000) {
			out[k++] = (char)(0xe0 | (ch >> 12));
			out[k++] = (char)(0x80 | ((ch >> 6) & 0x3f));
			out[k++] = (char)(0x80 | (ch & 0x3f));
		} else {
			if (ch > 0x10ffff)
				ch = 0xfffd;
			out[k++] = (char)(0xf0 | (ch >> 18));
			out[k++] = (char)(0x80 | ((ch >> 12) & 0x3f));
			out[k++] = (char)(0x80 | ((ch >> 6) & 0x3f));
			out[k++] = (char)(0x80 | (ch & 0x3f));
		}
	}
	out[k] = '\0';
	if (lenp != NULL)
		*lenp = k;
	return out;
}

/* A new json string from s; NULL with an error recorded. */
static json_t *
us_to_json(struct tctx *t, struct us s)
{
	char *p;
	size_t len;
	json_t *j;

	if ((p = us_to_utf8(t, s, &len)) == NULL)
		return NULL;
	if ((j = json_stringn(p, len)) == NULL) {
		t->failed = 1;
		jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
	}
	return j;
}

static int
us_eq(struct us a, struct us b)
{
	return a.n == b.n && (a.n == 0 ||
	    memcmp(a.v, b.v, (size_t)a.n * sizeof(*a.v)) == 0);
}

static int
us_eqa(struct us a, const char *s)
{
	long i;

	for (i = 0; i < a.n; i++)
		if (s[i] == '\0' || a.v[i] != (unsigned char)s[i])
			return 0;
	return s[i] == '\0';
}

/* JavaScript's s.substring(a, b). */
static struct us
us_sub(struct us s, long a, long b)
{
	long tmp;
	struct us r;

	if (a < 0)
		a = 0;
	if (b < 0)
		b = 0;
	if (a > s.n)
		a = s.n;
	if (b > s.n)
		b = s.n;
	if (a > b) {
		tmp = a;
		a = b;
		b = tmp;
	}
	r.v = s.v + a;
	r.n = b - a;
	return r;
}

/* JavaScript's s.slice(a, b) (negative: from the end). */
static struct us
us_slice(struct us s, long a, long b)
{
	struct us r;

	if (a < 0)
		a = s.n + a < 0 ? 0 : s.n + a;
	if (b < 0)
		b = s.n + b < 0 ? 0 : s.n + b;
	if (a > s.n)
		a = s.n;
	if (b > s.n)
		b = s.n;
	if (b < a)
		b = a;
	r.v = s.v + a;
	r.n = b - a;
	return r;
}

/* JavaScript's s.charAt(i) as a slice (empty when out of range). */
static struct us
us_at(struct us s, long i)
{
	if (i < 0 || i >= s.n)
		return us_empty();
	return us_sub(s, i, i + 1);
}

/* JavaScript's s.indexOf(p, from). */
static long
us_index(struct us s, struct us p, long from)
{
	long i;

	if (from < 0)
		from = 0;
	if (from > s.n)
		from = s.n;
	for (i = from; i + p.n <= s.n; i++)
		if (p.n == 0 || memcmp(s.v + i, p.v,
		    (size_t)p.n * sizeof(*p.v)) == 0)
			return i;
	return -1;
}

static long
us_lastindex(struct us s, struct us p)
{
	long i;

	for (i = s.n - p.n; i >= 0; i--)
		if (p.n == 0 || memcmp(s.v + i, p.v,
		    (size_t)p.n * sizeof(*p.v)) == 0)
			return i;
	return -1;
}

static long
us_chr(struct us s, uint32_t ch)
{
	long i;

	for (i = 0; i < s.n; i++)
		if (s.v[i] == ch)
			return i;
	return -1;
}

static long
us_rchr(struct us s, uint32_t ch)
{
	long i;

	for (i = s.n - 1; i >= 0; i--)
		if (s.v[i] == ch)
			return i;
	return -1;
}

/* s with every occurrence of from replaced by to (split/join). */
static struct us
us_replace_all(struct tctx *t, struct us s, struct us from, struct us to)
{
	struct ub b;
	long i = 0, j;

	if (from.n == 0)
		return s;
	if (us_index(s, from, 0) < 0)
		return s;
	ub_init(&b, t);
	while ((j = us_index(s, from, i)) >= 0) {
		ub_puts(&b, us_sub(s, i, j));
		ub_puts(&b, to);
		i = j + from.n;
	}
	ub_puts(&b, us_sub(s, i, s.n));
	return ub_us(&b);
}

static uint32_t
ascii_upper(uint32_t ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 32 : ch;
}

static uint32_t
ascii_lower(uint32_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static struct us
us_case(struct tctx *t, struct us s, int upper)
{
	struct ub b;
	long i;

	ub_init(&b, t);
	for (i = 0; i < s.n; i++)
		ub_putc(&b, upper ? ascii_upper(s.v[i]) : ascii_lower(s.v[i]));
	return ub_us(&b);
}

static int
js_space(uint32_t ch)
{
	return ch == ' ' || (ch >= 0x09 && ch <= 0x0d) || ch == 0xa0 ||
	    ch == 0x1680 || (ch >= 0x2000 && ch <= 0x200a) || ch == 0x2028 ||
	    ch == 0x2029 || ch == 0x202f || ch == 0x205f || ch == 0x3000 ||
	    ch == 0xfeff;
}

/* ------------------------------------------------------------ numbers */

/* JavaScript's String(x), any double. */
static struct us
num_str(struct tctx *t, double x)
{
	char buf[64];

	if (isnan(x))
		return us_ascii(t, "NaN");
	if (isinf(x))
		return us_ascii(t, x < 0 ? "-Infinity" : "Infinity");
	jn_fmt_number(x, buf, sizeof(buf));
	return us_ascii(t, buf);
}

/* JavaScript's parseInt(s) (radix 10, or 16 with a 0x prefix). */
static double
js_parse_int(struct us s)
{
	long i = 0, start;
	int neg = 0, hex = 0;
	double r = 0;
	char buf[400];
	long k;

	while (i < s.n && js_space(s.v[i]))
		i++;
	if (i < s.n && (s.v[i] == '+' || s.v[i] == '-')) {
		neg = s.v[i] == '-';
		i++;
	}
	if (i + 1 < s.n && s.v[i] == '0' && (s.v[i + 1] == 'x' ||
	    s.v[i + 1] == 'X')) {
		hex = 1;
		i += 2;
	}
	start = i;
	if (hex) {
		for (; i < s.n; i++) {
			uint32_t ch = s.v[i];
			int d;

			if (ch >= '0' && ch <= '9')
				d = (int)(ch - '0');
			else if (ch >= 'a' && ch <= 'f')
				d = (int)(ch - 'a' + 10);
			else if (ch >= 'A' && ch <= 'F')
				d = (int)(ch - 'A' + 10);
			else
				break;
			r = r * 16 + d;
		}
		if (i == start)
			return NAN;
		return neg ? -r : r;
	}
	while (i < s.n && s.v[i] >= '0' && s.v[i] <= '9')
		i++;
	if (i == start)
		return NAN;
	if (i - start < (long)sizeof(buf) - 1) {
		for (k = 0; k < i - start; k++)
			buf[k] = (char)s.v[start + k];
		buf[k] = '\0';
		r = strtod(buf, NULL);
	} else {
		for (k = start; k < i; k++)
			r = r * 10 + (s.v[k] - '0');
	}
	return neg ? -r : r;
}

/* JavaScript's parseFloat for "0.ddd". */
static double
js_parse_frac(struct us digits)
{
	char buf[8];
	long k;

	buf[0] = '0';
	buf[1] = '.';
	for (k = 0; k < digits.n && k < 3; k++) {
		if (digits.v[k] < '0' || digits.v[k] > '9')
			break;
		buf[2 + k] = (char)digits.v[k];
	}
	buf[2 + k] = '\0';
	return strtod(buf, NULL);
}

/* JavaScript's Math.round. */
static double
js_math_round(double x)
{
	double r;

	if (!isfinite(x))
		return x;
	r = floor(x);
	if (x - r >= 0.5)
		r += 1;
	if (r == 0)
		r = 0 * (x < 0 ? -1 : 1);
	return r;
}

/* +(mantissa + 'e' + (exponent + shift)) of String(x). */
static double
shift_decimal(double x, long shift)
{
	char buf[64], out[96];
	char *e;
	long ex = 0;
	int r;

	jn_fmt_number(x, buf, sizeof(buf));
	if ((e = strchr(buf, 'e')) != NULL) {
		*e = '\0';
		ex = strtol(e + 1, NULL, 10);
	}
	r = snprintf(out, sizeof(out), "%se%ld", buf, ex + shift);
	if (r < 0 || (size_t)r >= sizeof(out))
		return x;
	return strtod(out, NULL);
}

/* jsonata-js's round(arg, precision): half to even, on the decimal form. */
static double
js_round(double arg, long precision)
{
	double result, diff;

	if (!isfinite(arg))
		return arg;
	if (precision != 0)
		arg = shift_decimal(arg, precision);
	result = js_math_round(arg);
	diff = result - arg;
	if (fabs(diff) == 0.5 && fabs(fmod(result, 2)) == 1)
		result = result - 1;
	if (precision != 0 && isfinite(result))
		result = shift_decimal(result, -precision);
	if (result == 0)
		result = 0;
	return result;
}

/*
 * A number result.  jsonata-js returns NaN where a date or an integer
 * cannot be made of the input; it serialises as null, which is what we
 * return (NaN is never stored).
 */
static int
put_num(struct tctx *t, double x, json_t **out)
{
	if (isnan(x)) {
		if ((*out = json_null()) == NULL)
			return jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
		return 0;
	}
	if ((*out = jn_num(t->c, x)) == NULL)
		return -1;
	return 0;
}

static int
throw_str(struct tctx *t, const char *code, struct us v)
{
	json_t *j;

	if ((j = us_to_json(t, v)) == NULL)
		return -1;
	jn_throw(t->c, code, -1, NULL, j, -1);
	json_decref(j);
	return -1;
}

static int
throw_num(struct tctx *t, const char *code, double v)
{
	json_t *j = NULL;

	if (isfinite(v))
		j = json_real(v);
	if (j != NULL && v == floor(v) && fabs(v) < 9007199254740992.0) {
		json_decref(j);
		j = json_integer((json_int_t)v);
	}
	jn_throw(t->c, code, -1, NULL, j, -1);
	json_decref(j);
	return -1;
}

/* ------------------------------------------------------------ dates */

static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* MakeDate(MakeDay(y, mo, d), MakeTime(h, mi, s, ms)), time-clipped. */
static double
js_make_date(double y, double mo, double d, double h, double mi, double s,
    double ms)
{
	double ym, mn, day, tm, tv;

	if (!isfinite(y) || !isfinite(mo) || !isfinite(d) || !isfinite(h) ||
	    !isfinite(mi) || !isfinite(s) || !isfinite(ms))
		return NAN;
	y = trunc(y);
	mo = trunc(mo);
	d = trunc(d);
	ym = y + floor(mo / 12);
	mn = fmod(mo, 12);
	if (mn < 0)
		mn += 12;
	if (fabs(ym) > 400000)
		return NAN;
	day = (double)days_from_civil((int64_t)ym, (int64_t)mn + 1, 1) +
	    d - 1;
	tm = trunc(h) * 3600000.0 + trunc(mi) * 60000.0 + trunc(s) * 1000.0 +
	    trunc(ms);
	tv = day * MS_DAY + tm;
	if (!isfinite(tv) || fabs(tv) > 8.64e15)
		return NAN;
	tv = trunc(tv);
	return tv == 0 ? 0 : tv;
}

/* JavaScript's Date.UTC(y, mo, d, h, mi, s, ms): years 0..99 are 19xx. */
static double
js_date_utc(double y, double mo, double d, double h, double mi, double s,
    double ms)
{
	if (isfinite(y) && trunc(y) >= 0 && trunc(y) <= 99)
		y = trunc(y) + 1900;
	return js_make_date(y, mo, d, h, mi, s, ms);
}

/* A broken-down UTC time (JavaScript's getUTC* of a Date). */
struct jdate {
	double	 t;		/* time value; NaN: invalid */
	int	 valid;
	int64_t	 year;
	int	 mon;		/* 0..11 */
	int	 mday;		/* 1..31 */
	int	 wday;		/* 0: Sunday */
	int	 hour, min, sec, ms;
};

static void
jdate_set(struct jdate *dt, double t)
{
	double day, msd;
	int64_t iday, y;
	int m, d;
	long r;

	memset(dt, 0, sizeof(*dt));
	if (!isfinite(t) || fabs(t) > 8.64e15) {
		dt->t = NAN;
		dt->valid = 0;
		return;
	}
	t = trunc(t);
	dt->t = t;
	dt->valid = 1;
	day = floor(t / MS_DAY);
	msd = t - day * MS_DAY;
	iday = (int64_t)day;
	civil_from_days(iday, &y, &m, &d);
	dt->year = y;
	dt->mon = m - 1;
	dt->mday = d;
	dt->wday = (int)(((iday % 7) + 11) % 7);
	r = (long)msd;
	dt->hour = (int)(r / 3600000);
	dt->min = (int)(r / 60000 % 60);
	dt->sec = (int)(r / 1000 % 60);
	dt->ms = (int)(r % 1000);
}

static double
start_of_first_week(double year, double month)
{
	double jan1 = js_date_utc(year, month, 1, 0, 0, 0, 0);
	struct jdate dt;
	int dow;

	jdate_set(&dt, jan1);
	if (!dt.valid)
		return NAN;
	dow = dt.wday == 0 ? 7 : dt.wday;
	return dow > 4 ? jan1 + (8 - dow) * MS_DAY :
	    jan1 - (dow - 1) * MS_DAY;
}

static double
delta_weeks(double start, double end)
{
	return (end - start) / (MS_DAY * 7) + 1;
}

/*
 * getDateTimeFragment: the value of a component (numbers only; P gives
 * 0 for am and 1 for pm, E and C are handled by the caller).
 */
static double
fragment(const struct jdate *dt, uint32_t comp)
{
	double y, mo, today, week, s, e;

	if (!dt->valid)
		return NAN;
	y = (double)dt->year;
	mo = dt->mon;
	switch (comp) {
	case 'Y':
		return y;
	case 'M':
		return mo + 1;
	case 'D':
		return dt->mday;
	case 'd':
		today = js_date_utc(y, mo, dt->mday, 0, 0, 0, 0);
		return (today - js_date_utc(y, 0, 1, 0, 0, 0, 0)) / MS_DAY + 1;
	case 'F':
		return dt->wday == 0 ? 7 : dt->wday;
	case 'W':
		s = start_of_first_week(y, 0);
		today = js_date_utc(y, mo, dt->mday, 0, 0, 0, 0);
		week = delta_weeks(s, today);
		if (week > 52) {
			if (today >= start_of_first_week(y + 1, 0))
				week = 1;
		} else if (week < 1)
			week = delta_weeks(start_of_first_week(y - 1, 0),
			    today);
		return floor(week);
	case 'w':
		s = start_of_first_week(y, mo);
		today = js_date_utc(y, mo, dt->mday, 0, 0, 0, 0);
		week = delta_weeks(s, today);
		if (week > 4) {
			if (today >= (mo == 11 ? start_of_first_week(y + 1, 0) :
			    start_of_first_week(y, mo + 1)))
				week = 1;
		} else if (week < 1)
			week = delta_weeks(mo == 0 ?
			    start_of_first_week(y - 1, 11) :
			    start_of_first_week(y, mo - 1), today);
		return floor(week);
	case 'X':
		s = start_of_first_week(y, 0);
		e = start_of_first_week(y + 1, 0);
		if (dt->t < s)
			return y - 1;
		if (dt->t >= e)
			return y + 1;
		return y;
	case 'x':
		s = start_of_first_week(y, mo);
		e = mo == 11 ? start_of_first_week(y + 1, 0) :
		    start_of_first_week(y, mo + 1);
		if (dt->t < s)
			return (mo == 0 ? 11 : mo - 1) + 1;
		if (dt->t >= e)
			return (mo == 11 ? 0 : mo + 1) + 1;
		return mo + 1;
	case 'H':
		return dt->hour;
	case 'h':
		return dt->hour % 12 == 0 ? 12 : dt->hour % 12;
	case 'P':
		return dt->hour >= 12 ? 1 : 0;
	case 'm':
		return dt->min;
	case 's':
		return dt->sec;
	case 'f':
		return dt->ms;
	default:
		return NAN;
	}
}

/* ---------------------------------------------------- integer pictures */

enum { PR_DECIMAL, PR_LETTERS, PR_ROMAN, PR_WORDS, PR_SEQUENCE };
enum { TC_LOWER, TC_UPPER, TC_TITLE };

struct gsep {
	long		 pos;
	uint32_t	 ch;
};

struct ifmt {
	int		 primary;
	int		 kase;
	int		 ordinal;
	int		 has_mand;	/* mandatoryDigits defined */
	long		 mand;
	long		 opt;
	uint32_t	 zero;
	int		 regular;
	long		 rpos;		/* regular: the interval */
	uint32_t	 rch;		/* regular: the character */
	struct gsep	*seps;		/* irregular: from the right */
	size_t		 nseps;
	long		 parse_width;	/* 0: none */
	struct us	 token;		/* PR_SEQUENCE: the picture */
};

static const uint32_t decimal_groups[] = {
	0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66,
	0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040,
	0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0,
	0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
	0xFF10
};

static long
gcd_l(long a, long b)
{
	while (b != 0) {
		long r = a % b;

		a = b;
		b = r;
	}
	return a;
}

/* regularRepeat of analyseIntegerPicture / formatNumber: 0 or the interval. */
static long
regular_repeat(const long *pos, size_t n)
{
	long factor;
	size_t i, j;

	if (n == 0)
		return 0;
	factor = pos[0];
	for (i = 1; i < n; i++)
		factor = gcd_l(factor, pos[i]);
	for (i = 1; i <= n; i++) {
		for (j = 0; j < n; j++)
			if (pos[j] == (long)i * factor)
				break;
		if (j == n)
			return 0;
	}
	return factor;
}

static int
analyse_integer(struct tctx *t, struct us picture, struct ifmt *f)
{
	struct us prim;
	long semi, i, seppos = 0, *positions;
	size_t g, k;
	int zero_set = 0, same;

	memset(f, 0, sizeof(*f));
	f->primary = PR_DECIMAL;
	f->kase = TC_LOWER;
	semi = us_rchr(picture, ';');
	if (semi < 0)
		prim = picture;
	else {
		prim = us_sub(picture, 0, semi);
		if (semi + 1 < picture.n && picture.v[semi + 1] == 'o')
			f->ordinal = 1;
	}
	if (us_eqa(prim, "A") || us_eqa(prim, "a")) {
		f->primary = PR_LETTERS;
		if (prim.v[0] == 'A')
			f->kase = TC_UPPER;
		return 0;
	}
	if (us_eqa(prim, "I") || us_eqa(prim, "i")) {
		f->primary = PR_ROMAN;
		if (prim.v[0] == 'I')
			f->kase = TC_UPPER;
		return 0;
	}
	if (us_eqa(prim, "W") || us_eqa(prim, "Ww") || us_eqa(prim, "w")) {
		f->primary = PR_WORDS;
		if (us_eqa(prim, "W"))
			f->kase = TC_UPPER;
		else if (us_eqa(prim, "Ww"))
			f->kase = TC_TITLE;
		return 0;
	}
	if (prim.n > 0 && (f->seps = t_alloc(t,
	    (size_t)prim.n * sizeof(*f->seps))) == NULL)
		return -1;
	for (i = prim.n - 1; i >= 0; i--) {
		uint32_t cp = prim.v[i];
		int digit = 0;

		for (g = 0; g < sizeof(decimal_groups) /
		    sizeof(decimal_groups[0]); g++) {
			uint32_t grp = decimal_groups[g];

			if (cp >= grp && cp <= grp + 9) {
				digit = 1;
				f->mand++;
				seppos++;
				if (!zero_set) {
					f->zero = grp;
					zero_set = 1;
				} else if (grp != f->zero)
					return jn_throw(t->c, "D3131", -1,
					    NULL, NULL, -1);
				break;
			}
		}
		if (!digit) {
			if (cp == '#') {
				seppos++;
				f->opt++;
			} else {
				f->seps[f->nseps].pos = seppos;
				f->seps[f->nseps].ch = cp;
				f->nseps++;
			}
		}
	}
	if (f->mand > 0) {
		f->has_mand = 1;
		f->regular = 0;
		if (f->nseps > 0) {
			same = 1;
			for (k = 1; k < f->nseps; k++)
				if (f->seps[k].ch != f->seps[0].ch)
					same = 0;
			if (same) {
				if ((positions = t_alloc(t, f->nseps *
				    sizeof(*positions))) == NULL)
					return -1;
				for (k = 0; k < f->nseps; k++)
					positions[k] = f->seps[k].pos;
				f->rpos = regular_repeat(positions, f->nseps);
				if (f->rpos > 0) {
					f->regular = 1;
					f->rch = f->seps[0].ch;
				}
			}
		}
	} else {
		f->primary = PR_SEQUENCE;
		f->token = prim;
	}
	return 0;
}

static const char *const few[] = {
	"Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight",
	"Nine", "Ten", "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen",
	"Sixteen", "Seventeen", "Eighteen", "Nineteen"
};
static const char *const ordinals[] = {
	"Zeroth", "First", "Second", "Third", "Fourth", "Fifth", "Sixth",
	"Seventh", "Eighth", "Ninth", "Tenth", "Eleventh", "Twelfth",
	"Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth",
	"Eighteenth", "Nineteenth"
};
static const char *const decades[] = {
	"Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty",
	"Ninety", "Hundred"
};
static const char *const magnitudes[] = {
	"Thousand", "Million", "Billion", "Trillion"
};
static const char *const month_names[] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};
static const char *const day_names[] = {
	"", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday"
};

static void
words_lookup(struct ub *b, double num, int prev, int ord, int depth)
{
	double tens, rem, hundreds, mag, factor, mant;
	long start;

	if (depth > 64 || !isfinite(num))
		return;
	if (num <= 19) {
		if (prev)
			ub_ascii(b, " and ");
		if (num < 0)
			num = 0;
		ub_ascii(b, ord ? ordinals[(int)num] : few[(int)num]);
	} else if (num < 100) {
		tens = floor(num / 10);
		rem = fmod(num, 10);
		if (prev)
			ub_ascii(b, " and ");
		start = b->n;
		ub_ascii(b, decades[(int)tens - 2]);
		if (rem > 0) {
			ub_putc(b, '-');
			words_lookup(b, rem, 0, ord, depth + 1);
		} else if (ord && b->n > start) {
			b->n--;
			ub_ascii(b, "ieth");
		}
	} else if (num < 1000) {
		hundreds = floor(num / 100);
		rem = fmod(num, 100);
		if (prev)
			ub_ascii(b, ", ");
		ub_ascii(b, few[(int)hundreds]);
		ub_ascii(b, " Hundred");
		if (rem > 0)
			words_lookup(b, rem, 1, ord, depth + 1);
		else if (ord)
			ub_ascii(b, "th");
	} else {
		mag = floor(log10(num) / 3);
		if (mag > 4)
			mag = 4;
		factor = pow(10, mag * 3);
		mant = floor(num / factor);
		rem = num - mant * factor;
		if (prev)
			ub_ascii(b, ", ");
		words_lookup(b, mant, 0, 0, depth + 1);
		ub_putc(b, ' ');
		ub_ascii(b, magnitudes[(int)mag - 1]);
		if (rem > 0)
			words_lookup(b, rem, 1, ord, depth + 1);
		else if (ord)
			ub_ascii(b, "th");
	}
}

static const struct {
	int		 value;
	const char	*numeral;
} roman_numerals[] = {
	{ 1000, "m" }, { 900, "cm" }, { 500, "d" }, { 400, "cd" },
	{ 100, "c" }, { 90, "xc" }, { 50, "l" }, { 40, "xl" }, { 10, "x" },
	{ 9, "ix" }, { 5, "v" }, { 4, "iv" }, { 1, "i" }
};

static int
roman_value(uint32_t ch)
{
	switch (ch) {
	case 'M': return 1000;
	case 'D': return 500;
	case 'C': return 100;
	case 'L': return 50;
	case 'X': return 10;
	case 'V': return 5;
	case 'I': return 1;
	default: return -1;
	}
}

/* _formatInteger: append the formatted value to b. */
static int
format_integer(struct tctx *t, double value, const struct ifmt *f,
    struct ub *out)
{
	struct ub b;
	struct us s;
	int neg = value < 0;
	long i, pad, pos;
	size_t k;

	value = fabs(value);
	ub_init(&b, t);
	switch (f->primary) {
	case PR_LETTERS: {
		uint32_t a = f->kase == TC_UPPER ? 'A' : 'a';
		uint32_t tmp[64];
		int nl = 0;

		while (value > 0 && nl < 64) {
			tmp[nl++] = (uint32_t)fmod(value - 1, 26) + a;
			value = floor((value - 1) / 26);
		}
		while (nl > 0)
			ub_putc(&b, tmp[--nl]);
		break;
	}
	case PR_ROMAN:
		if (value > 1e10) {
			ub_reserve(&b, -1);
			break;
		}
		while (value >= 1) {
			for (k = 0; k < sizeof(roman_numerals) /
			    sizeof(roman_numerals[0]); k++)
				if (value >= roman_numerals[k].value)
					break;
			ub_ascii(&b, roman_numerals[k].numeral);
			value -= roman_numerals[k].value;
		}
		if (f->kase == TC_UPPER)
			for (i = 0; i < b.n; i++)
				b.v[i] = ascii_upper(b.v[i]);
		break;
	case PR_WORDS:
		words_lookup(&b, value, 0, f->ordinal, 0);
		if (f->kase == TC_UPPER || f->kase == TC_LOWER)
			for (i = 0; i < b.n; i++)
				b.v[i] = f->kase == TC_UPPER ?
				    ascii_upper(b.v[i]) : ascii_lower(b.v[i]);
		break;
	case PR_DECIMAL:
		s = num_str(t, value);
		pad = f->has_mand ? f->mand - s.n : 0;
		if (pad > 0) {
			if (ub_reserve(&b, pad) != 0)
				break;
			for (i = 0; i < pad; i++)
				ub_putc(&b, '0');
		}
		ub_puts(&b, s);
		if (f->zero != 0x30)
			for (i = 0; i < b.n; i++)
				b.v[i] = b.v[i] + f->zero - 0x30;
		s = ub_us(&b);
		if (f->regular) {
			struct ub nb;

			ub_init(&nb, t);
			for (i = 0; i < s.n; i++) {
				if (i > 0 && (s.n - i) % f->rpos == 0)
					ub_putc(&nb, f->rch);
				ub_putc(&nb, s.v[i]);
			}
			s = ub_us(&nb);
		} else {
			for (k = f->nseps; k > 0; k--) {
				struct ub nb;
				long p1, st;

				if (jn_tick(t->c) != 0)
					return -1;
				pos = s.n - f->seps[k - 1].pos;
				/* substr(0, pos) + ch + substr(pos) */
				p1 = pos < 0 ? 0 : pos;
				st = pos < 0 ? (s.n + pos < 0 ? 0 : s.n + pos) :
				    pos;
				ub_init(&nb, t);
				ub_puts(&nb, us_sub(s, 0, p1));
				ub_putc(&nb, f->seps[k - 1].ch);
				ub_puts(&nb, us_sub(s, st, s.n));
				s = ub_us(&nb);
			}
		}
		if (f->ordinal && s.n > 0) {
			uint32_t last = s.v[s.n - 1];
			const char *suf = "th";

			if (last == '1')
				suf = "st";
			else if (last == '2')
				suf = "nd";
			else if (last == '3')
				suf = "rd";
			if (s.n > 1 && s.v[s.n - 2] == '1')
				suf = "th";
			s = us_cat(t, s, us_ascii(t, suf));
		}
		ub_init(&b, t);
		ub_puts(&b, s);
		break;
	case PR_SEQUENCE:
	default:
		return throw_str(t, "D3130", f->token);
	}
	if (t->failed)
		return -1;
	if (neg)
		ub_putc(out, '-');
	ub_puts(out, ub_us(&b));
	return t->failed ? -1 : 0;
}

/* ---- parsing integers */

struct wordval {
	const char	*word;
	double		 value;
};

/* jsonata-js's wordValues, in its key order. */
static size_t
word_values(struct wordval *wv, char (*store)[24])
{
	size_t n = 0, i, k;
	size_t si = 0;

	for (i = 0; i < 20; i++) {
		for (k = 0; few[i][k] != '\0'; k++)
			store[si][k] = (char)ascii_lower(
			    (unsigned char)few[i][k]);
		store[si][k] = '\0';
		wv[n].word = store[si++];
		wv[n++].value = (double)i;
	}
	for (i = 0; i < 20; i++) {
		for (k = 0; ordinals[i][k] != '\0'; k++)
			store[si][k] = (char)ascii_lower(
			    (unsigned char)ordinals[i][k]);
		store[si][k] = '\0';
		wv[n].word = store[si++];
		wv[n++].value = (double)i;
	}
	for (i = 0; i < 9; i++) {
		size_t len = strlen(decades[i]);

		for (k = 0; k < len; k++)
			store[si][k] = (char)ascii_lower(
			    (unsigned char)decades[i][k]);
		store[si][k] = '\0';
		wv[n].word = store[si++];
		wv[n++].value = (double)(i + 2) * 10;
		for (k = 0; k + 1 < len; k++)
			store[si][k] = store[si - 1][k];
		memcpy(store[si] + k, "ieth", 5);
		wv[n].word = store[si++];
		wv[n++].value = (double)(i + 2) * 10;
	}
	wv[n].word = "hundredth";
	wv[n++].value = 100;
	for (i = 0; i < 4; i++) {
		size_t len = strlen(magnitudes[i]);

		for (k = 0; k < len; k++)
			store[si][k] = (char)ascii_lower(
			    (unsigned char)magnitudes[i][k]);
		store[si][k] = '\0';
		wv[n].word = store[si++];
		wv[n++].value = pow(10, (double)(i + 1) * 3);
		memcpy(store[si], store[si - 1], len);
		memcpy(store[si] + len, "th", 3);
		wv[n].word = store[si++];
		wv[n++].value = pow(10, (double)(i + 1) * 3);
	}
	return n;
}

#define NWORDS	(20 + 20 + 18 + 1 + 8)

static double
word_value(struct us part)
{
	struct wordval wv[NWORDS];
	char store[NWORDS][24];
	size_t n, i;

	n = word_values(wv, store);
	for (i = 0; i < n; i++)
		if (us_eqa(part, wv[i].word))
			return wv[i].value;
	return NAN;
}

/* wordsToNumber (text already lower-cased). */
static double
words_to_number(struct tctx *t, struct us text)
{
	double *segs, top, v, sum = 0;
	long nseg = 1, i = 0, start = 0, seplen;
	struct us part;

	if ((segs = t_alloc(t, ((size_t)text.n + 2) * sizeof(*segs))) == NULL)
		return NAN;
	segs[0] = 0;
	for (;;) {
		/* the next separator: ",\s" | "\sand\s" | [\s\\-] */
		seplen = 0;
		for (i = start; i < text.n; i++) {
			uint32_t ch = text.v[i];

			if (ch == ',' && i + 1 < text.n &&
			    js_space(text.v[i + 1])) {
				seplen = 2;
				break;
			}
			if (js_space(ch) && i + 4 < text.n &&
			    text.v[i + 1] == 'a' && text.v[i + 2] == 'n' &&
			    text.v[i + 3] == 'd' && js_space(text.v[i + 4])) {
				seplen = 5;
				break;
			}
			if (js_space(ch) || ch == '\\' || ch == '-') {
				seplen = 1;
				break;
			}
		}
		part = us_sub(text, start, i);
		v = word_value(part);
		if (v < 100) {
			top = segs[--nseg];
			if (top >= 1000) {
				segs[nseg++] = top;
				top = 0;
			}
			segs[nseg++] = top + v;
		} else
			segs[nseg - 1] = segs[nseg - 1] * v;
		if (seplen == 0)
			break;
		start = i + seplen;
	}
	for (i = 0; i < nseg; i++)
		sum += segs[i];
	return sum;
}

static double
roman_to_decimal(struct us r)
{
	double dec = 0;
	double max = 1;
	long i;
	int v;

	for (i = r.n - 1; i >= 0; i--) {
		v = roman_value(r.v[i]);
		if (v < 0)
			return NAN;
		if (v < max)
			dec -= v;
		else {
			max = v;
			dec += v;
		}
	}
	return dec;
}

static double
letters_to_decimal(struct us s, uint32_t a)
{
	double dec = 0;
	long i;

	for (i = 0; i < s.n; i++)
		dec += ((double)s.v[s.n - i - 1] - (double)a + 1) *
		    pow(26, (double)i);
	return dec;
}

/* The parse function of generateRegex for an integer format. */
static double
parse_integer_value(struct tctx *t, const struct ifmt *f, struct us value)
{
	struct us digits;
	struct ub b;
	long i;
	size_t k;

	switch (f->primary) {
	case PR_LETTERS:
		return letters_to_decimal(value, f->kase == TC_UPPER ?
		    'A' : 'a');
	case PR_ROMAN:
		return roman_to_decimal(f->kase == TC_UPPER ? value :
		    us_case(t, value, 1));
	case PR_WORDS:
		return words_to_number(t, us_case(t, value, 0));
	case PR_DECIMAL:
		digits = value;
		if (f->ordinal)
			digits = us_sub(value, 0, value.n - 2);
		if (f->regular) {
			uint32_t comma = ',';
			struct us cs = { &comma, 1 };

			digits = us_replace_all(t, digits, cs, us_empty());
		} else {
			for (k = 0; k < f->nseps; k++) {
				struct us cs = { &f->seps[k].ch, 1 };

				digits = us_replace_all(t, digits, cs,
				    us_empty());
			}
		}
		if (f->zero != 0x30) {
			ub_init(&b, t);
			for (i = 0; i < digits.n; i++)
				ub_putc(&b, digits.v[i] - f->zero + 0x30);
			digits = ub_us(&b);
		}
		return js_parse_int(digits);
	default:
		return NAN;
	}
}

/* The regex of generateRegex for an integer format (appended to b). */
static int
integer_regex(struct tctx *t, const struct ifmt *f, struct ub *b)
{
	struct wordval wv[NWORDS];
	char store[NWORDS][24];
	size_t n, i;
	char buf[32];
	int r;

	switch (f->primary) {
	case PR_LETTERS:
		ub_ascii(b, f->kase == TC_UPPER ? "[A-Z]+" : "[a-z]+");
		break;
	case PR_ROMAN:
		ub_ascii(b, f->kase == TC_UPPER ? "[MDCLXVI]+" : "[mdclxvi]+");
		break;
	case PR_WORDS:
		n = word_values(wv, store);
		ub_ascii(b, "(?:");
		for (i = 0; i < n; i++) {
			ub_ascii(b, wv[i].word);
			ub_putc(b, '|');
		}
		ub_ascii(b, "and|[\\-, ])+");
		break;
	case PR_DECIMAL:
		ub_ascii(b, "[0-9]");
		if (f->parse_width > 0) {
			r = snprintf(buf, sizeof(buf), "{%ld}", f->parse_width);
			if (r < 0 || (size_t)r >= sizeof(buf))
				return jn_throw(t->c, "D3136", -1, NULL, NULL,
				    -1);
			ub_ascii(b, buf);
		} else
			ub_putc(b, '+');
		if (f->ordinal)
			ub_ascii(b, "(?:th|st|nd|rd)");
		break;
	default:
		return throw_str(t, "D3130", f->token);
	}
	return t->failed ? -1 : 0;
}

/* -------------------------------------------------- date/time pictures */

enum { NM_NONE, NM_LOWER, NM_UPPER, NM_TITLE };

struct dpart {
	int		 marker;	/* 0: literal */
	struct us	 lit;
	struct us	 comp;		/* one character, or empty */
	struct us	 pres1;
	uint32_t	 pres2;		/* 0: none */
	int		 has_width;
	long		 wmin, wmax;	/* -1: undefined */
	int		 names;
	int		 has_ifmt;
	struct ifmt	 ifmt;
	long		 yn;		/* Y: digits kept, -1: all */
};

struct dpic {
	struct dpart	*parts;
	size_t		 n;
};

static uint32_t
comp_of(const struct dpart *p)
{
	return p->comp.n > 0 ? p->comp.v[0] : 0;
}

static const char *
default_presentation(uint32_t comp)
{
	switch (comp) {
	case 'Y': case 'M': case 'D': case 'd': case 'W': case 'w': case 'X':
	case 'x': case 'H': case 'h': case 'f':
		return "1";
	case 'F': case 'P': case 'C': case 'E':
		return "n";
	case 'm': case 's':
		return "01";
	case 'Z': case 'z':
		return "01:01";
	default:
		return NULL;
	}
}

static long
width_value(struct us w)
{
	double d;

	if (us_eqa(w, "*"))
		return -1;
	d = js_parse_int(w);
	if (isnan(d) || d < 0)
		return -1;
	if (d > 1e9)
		d = 1e9;
	return (long)d;
}

static void
add_literal(struct tctx *t, struct dpic *pic, struct us lit)
{
	struct dpart *p;
	uint32_t rb[2] = { ']', ']' };
	struct us dbl = { rb, 2 }, one = { rb, 1 };

	if (lit.n <= 0)
		return;
	p = &pic->parts[pic->n++];
	memset(p, 0, sizeof(*p));
	p->lit = us_replace_all(t, lit, dbl, one);
}

static int
analyse_datetime(struct tctx *t, struct us picture, struct dpic *pic)
{
	long start = 0, pos = 0, close, comma, dash, i;
	struct us marker, widthmod, presmod;
	struct dpart *p, *prev;
	struct ub mb;
	const char *def;

	pic->n = 0;
	if ((pic->parts = t_alloc(t, ((size_t)picture.n + 2) *
	    sizeof(*pic->parts))) == NULL)
		return -1;
	while (pos < picture.n) {
		if (picture.v[pos] != '[') {
			pos++;
			continue;
		}
		if (pos + 1 < picture.n && picture.v[pos + 1] == '[') {
			add_literal(t, pic, us_sub(picture, start, pos));
			p = &pic->parts[pic->n++];
			memset(p, 0, sizeof(*p));
			p->lit = us_sub(picture, pos, pos + 1);
			pos += 2;
			start = pos;
			continue;
		}
		add_literal(t, pic, us_sub(picture, start, pos));
		start = pos;
		if ((close = us_index(picture, us_ascii(t, "]"), start)) < 0)
			return jn_throw(t->c, "D3135", -1, NULL, NULL, -1);
		pos = close;
		ub_init(&mb, t);
		for (i = start + 1; i < pos; i++)
			if (!js_space(picture.v[i]))
				ub_putc(&mb, picture.v[i]);
		marker = ub_us(&mb);
		p = &pic->parts[pic->n];
		memset(p, 0, sizeof(*p));
		p->marker = 1;
		p->comp = us_sub(marker, 0, 1);
		p->wmin = p->wmax = -1;
		p->yn = -1;
		comma = us_rchr(marker, ',');
		if (comma >= 0) {
			widthmod = us_sub(marker, comma + 1, marker.n);
			dash = us_chr(widthmod, '-');
			p->has_width = 1;
			if (dash < 0)
				p->wmin = width_value(widthmod);
			else {
				p->wmin = width_value(us_sub(widthmod, 0,
				    dash));
				p->wmax = width_value(us_sub(widthmod, dash + 1,
				    widthmod.n));
			}
			presmod = us_sub(marker, 1, comma);
		} else
			presmod = us_sub(marker, 1, marker.n);
		if (presmod.n == 1)
			p->pres1 = presmod;
		else if (presmod.n > 1) {
			uint32_t last = presmod.v[presmod.n - 1];

			if (last == 'a' || last == 't' || last == 'c' ||
			    last == 'o') {
				p->pres2 = last;
				p->pres1 = us_sub(presmod, 0, presmod.n - 1);
			} else
				p->pres1 = presmod;
		} else {
			if ((def = default_presentation(comp_of(p))) == NULL ||
			    p->comp.n == 0)
				return throw_str(t, "D3132", p->comp);
			p->pres1 = us_ascii(t, def);
		}
		if (p->pres1.n > 0 && p->pres1.v[0] == 'n')
			p->names = NM_LOWER;
		else if (p->pres1.n > 0 && p->pres1.v[0] == 'N')
			p->names = p->pres1.n > 1 && p->pres1.v[1] == 'n' ?
			    NM_TITLE : NM_UPPER;
		else if (p->comp.n == 1 && comp_of(p) < 128 &&
		    strchr("YMDdFWwXxHhmsf", (int)comp_of(p)) != NULL) {
			struct us ipic = p->pres1;

			if (p->pres2 != 0) {
				struct ub ib;

				ub_init(&ib, t);
				ub_puts(&ib, p->pres1);
				ub_putc(&ib, ';');
				ub_putc(&ib, p->pres2);
				ipic = ub_us(&ib);
			}
			if (analyse_integer(t, ipic, &p->ifmt) != 0)
				return -1;
			p->has_ifmt = 1;
			if (p->wmin >= 0 && p->ifmt.has_mand &&
			    p->ifmt.mand < p->wmin)
				p->ifmt.mand = p->wmin;
			if (comp_of(p) == 'Y') {
				p->yn = -1;
				if (p->wmax >= 0) {
					p->yn = p->wmax;
					p->ifmt.mand = p->yn;
					p->ifmt.has_mand = 1;
				} else if (p->ifmt.has_mand &&
				    p->ifmt.mand + p->ifmt.opt >= 2)
					p->yn = p->ifmt.mand + p->ifmt.opt;
			}
			if (pic->n > 0) {
				prev = &pic->parts[pic->n - 1];
				if (prev->has_ifmt)
					prev->ifmt.parse_width =
					    prev->ifmt.has_mand ?
					    prev->ifmt.mand : 0;
			}
		}
		if (comp_of(p) == 'Z' || comp_of(p) == 'z') {
			if (analyse_integer(t, p->pres1, &p->ifmt) != 0)
				return -1;
			p->has_ifmt = 1;
		}
		pic->n++;
		start = pos + 1;
		pos++;
	}
	add_literal(t, pic, us_sub(picture, start, pos));
	return t->failed ? -1 : 0;
}

static int
format_component(struct tctx *t, const struct jdate *dt,
    const struct dpart *p, double off_h, double off_m, struct ub *out)
{
	uint32_t comp = comp_of(p);
	double v;
	struct us s;
	struct ub b;

	if (p->comp.n == 1 && comp < 128 &&
	    strchr("YMDdFWwXxHhms", (int)comp) != NULL) {
		v = fragment(dt, comp);
		if (comp == 'Y' && p->yn != -1)
			v = fmod(v, pow(10, (double)p->yn));
		if (p->names != NM_NONE) {
			if (comp == 'M' || comp == 'x') {
				if (!(v >= 1 && v <= 12))
					return 0;
				s = us_ascii(t, month_names[(int)v - 1]);
			} else if (comp == 'F') {
				if (!(v >= 1 && v <= 7))
					return 0;
				s = us_ascii(t, day_names[(int)v]);
			} else
				return throw_str(t, "D3133", p->comp);
			if (p->names == NM_UPPER)
				s = us_case(t, s, 1);
			else if (p->names == NM_LOWER)
				s = us_case(t, s, 0);
			if (p->has_width && p->wmax >= 0 && s.n > p->wmax)
				s = us_sub(s, 0, p->wmax);
			ub_puts(out, s);
			return 0;
		}
		return format_integer(t, v, &p->ifmt, out);
	}
	if (comp == 'f' && p->has_ifmt)
		return format_integer(t, fragment(dt, 'f'), &p->ifmt, out);
	if (comp == 'Z' || comp == 'z') {
		double offset = off_h * 100 + off_m;
		long nd;

		ub_init(&b, t);
		if (p->ifmt.regular) {
			if (format_integer(t, offset, &p->ifmt, &b) != 0)
				return -1;
		} else {
			nd = p->ifmt.has_mand ? p->ifmt.mand : -1;
			if (nd == 1 || nd == 2) {
				if (format_integer(t, off_h, &p->ifmt, &b) != 0)
					return -1;
				if (off_m != 0) {
					struct ifmt two;

					if (analyse_integer(t,
					    us_ascii(t, "00"), &two) != 0)
						return -1;
					ub_putc(&b, ':');
					if (format_integer(t, floor(off_m),
					    &two, &b) != 0)
						return -1;
				}
			} else if (nd == 3 || nd == 4) {
				if (format_integer(t, offset, &p->ifmt,
				    &b) != 0)
					return -1;
			} else {
				if (nd < 0) {
					jn_throw(t->c, "D3134", -1, NULL, NULL,
					    -1);
					return -1;
				}
				return throw_num(t, "D3134", (double)nd);
			}
		}
		s = ub_us(&b);
		if (offset >= 0)
			s = us_cat(t, us_ascii(t, "+"), s);
		if (comp == 'z')
			s = us_cat(t, us_ascii(t, "GMT"), s);
		if (offset == 0 && p->pres2 == 't')
			s = us_ascii(t, "Z");
		ub_puts(out, s);
		return 0;
	}
	if (comp == 'P') {
		v = fragment(dt, 'P');
		ub_ascii(out, p->names == NM_UPPER ? (v == 1 ? "PM" : "AM") :
		    (v == 1 ? "pm" : "am"));
		return 0;
	}
	if (comp == 'E' || comp == 'C') {
		ub_ascii(out, "ISO");
		return 0;
	}
	ub_ascii(out, "undefined");
	return 0;
}

/* formatDateTime: picture and timezone may be NULL (undefined). */
static int
format_datetime(struct tctx *t, double millis, const json_t *picture,
    const json_t *timezone, json_t **out)
{
	double off_h = 0, off_m = 0, offset;
	struct dpic pic;
	struct jdate dt;
	struct ub b;
	size_t i;

	*out = NULL;
	if (timezone != NULL) {
		offset = js_parse_int(us_json(t, timezone));
		off_h = floor(offset / 100);
		off_m = fmod(offset, 100);
	}
	if (analyse_datetime(t, picture != NULL ? us_json(t, picture) :
	    us_ascii(t, "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]"
	    "[Z01:01t]"), &pic) != 0)
		return -1;
	jdate_set(&dt, millis + (60 * off_h + off_m) * 60 * 1000);
	ub_init(&b, t);
	for (i = 0; i < pic.n; i++) {
		if (!pic.parts[i].marker)
			ub_puts(&b, pic.parts[i].lit);
		else if (format_component(t, &dt, &pic.parts[i], off_h, off_m,
		    &b) != 0)
			return -1;
	}
	if (t->failed)
		return -1;
	if ((*out = us_to_json(t, ub_us(&b))) == NULL)
		return -1;
	return 0;
}

/* --------------------------------------------------- parsing date/time */

enum { PK_NONE, PK_TZ, PK_FRAC, PK_INT, PK_NAME };

struct comp_val {
	int	 defined;
	double	 v;
};

static void
regex_literal(struct ub *b, struct us lit)
{
	long i;
	uint32_t ch;

	for (i = 0; i < lit.n; i++) {
		ch = lit.v[i];
		if (ch < 128 && !(ch >= '0' && ch <= '9') &&
		    !(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    ch > ' ')
			ub_putc(b, '\\');
		ub_putc(b, ch);
	}
}

static double
name_lookup(const struct dpart *p, struct us value)
{
	uint32_t comp = comp_of(p);
	double r = NAN;
	struct us name;
	size_t i;
	uint32_t buf[16];
	long k;

	if (comp == 'P') {
		if (us_eqa(value, "am") || us_eqa(value, "AM"))
			return 0;
		if (us_eqa(value, "pm") || us_eqa(value, "PM"))
			return 1;
		return NAN;
	}
	for (i = 0; i < (comp == 'F' ? 8u : 12u); i++) {
		const char *nm = comp == 'F' ? day_names[i] : month_names[i];

		if (comp == 'F' && i == 0)
			continue;
		for (k = 0; nm[k] != '\0'; k++)
			buf[k] = (unsigned char)nm[k];
		name.v = buf;
		name.n = k;
		if (p->has_width && p->wmax > 0)
			name = us_sub(name, 0, p->wmax);
		if (us_eq(name, value))
			r = comp == 'F' ? (double)i : (double)i + 1;
	}
	return r;
}

static double
parse_tz(const struct dpart *p, struct us value)
{
	double oh = 0, om = 0;
	long sep;

	if (comp_of(p) == 'z')
		value = us_sub(value, 3, value.n);
	if (p->ifmt.regular) {
		sep = us_chr(value, p->ifmt.rch);
		oh = js_parse_int(us_sub(value, 0, sep));
		om = js_parse_int(us_sub(value, sep + 1, value.n));
	} else if (value.n - 1 <= 2)
		oh = js_parse_int(value);
	else {
		oh = js_parse_int(us_sub(value, 0, 3));
		om = js_parse_int(us_sub(value, 3, value.n));
	}
	return oh * 60 + om;
}

static int
truthy(const struct comp_val *cv)
{
	return cv->defined && !isnan(cv->v) && cv->v != 0;
}

static int
parse_datetime(struct tctx *t, struct us ts, struct us picture, json_t **out)
{
	struct dpic pic;
	struct ub rx;
	int *kind;
	size_t i;
	uint32_t comp;
	struct comp_val cv[128];
	int any = 0, errcode, rc, start_spec, end_spec, date_a, date_b, date_c,
	    date_d, time_a, time_b;
	PCRE2_SIZE erroff, *ov;
	pcre2_code *re = NULL;
	pcre2_match_data *md = NULL;
	pcre2_match_context *mc = NULL;
	char *pat, *subj;
	size_t plen, slen;
	unsigned mask;
	const char *comps, *cp;
	struct jdate now;
	double millis, tz;
	int r = -1;

	*out = NULL;
	if (analyse_datetime(t, picture, &pic) != 0)
		return -1;
	if ((kind = t_alloc(t, (pic.n + 1) * sizeof(*kind))) == NULL)
		return -1;
	ub_init(&rx, t);
	ub_putc(&rx, '^');
	for (i = 0; i < pic.n; i++) {
		struct dpart *p = &pic.parts[i];

		comp = comp_of(p);
		ub_putc(&rx, '(');
		if (!p->marker) {
			kind[i] = PK_NONE;
			regex_literal(&rx, p->lit);
		} else if (comp == 'Z' || comp == 'z') {
			kind[i] = PK_TZ;
			if (comp == 'z')
				ub_ascii(&rx, "GMT");
			ub_ascii(&rx, "[-+][0-9]+");
			if (p->ifmt.regular) {
				ub_putc(&rx, p->ifmt.rch);
				ub_ascii(&rx, "[0-9]+");
			}
		} else if (comp == 'f') {
			kind[i] = PK_FRAC;
			ub_ascii(&rx, "[0-9]+");
		} else if (p->has_ifmt) {
			kind[i] = PK_INT;
			if (integer_regex(t, &p->ifmt, &rx) != 0)
				return -1;
		} else {
			kind[i] = PK_NAME;
			if (comp != 'M' && comp != 'x' && comp != 'F' &&
			    comp != 'P')
				return throw_str(t, "D3133", p->comp);
			ub_ascii(&rx, "[a-zA-Z]+");
		}
		ub_putc(&rx, ')');
	}
	ub_putc(&rx, '$');
	if (t->failed)
		return -1;
	if ((pat = us_to_utf8(t, ub_us(&rx), &plen)) == NULL ||
	    (subj = us_to_utf8(t, ts, &slen)) == NULL)
		return -1;
	if ((re = pcre2_compile((PCRE2_SPTR)pat, plen, PCRE2_UTF |
	    PCRE2_CASELESS, &errcode, &erroff, NULL)) == NULL) {
		*out = NULL;
		return 0;
	}
	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL ||
	    (mc = pcre2_match_context_create(NULL)) == NULL) {
		jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
		goto out;
	}
	pcre2_set_match_limit(mc, MATCH_LIMIT);
	rc = pcre2_match(re, (PCRE2_SPTR)subj, slen, 0, 0, md, mc);
	if (rc == PCRE2_ERROR_MATCHLIMIT) {
		jn_throw(t->c, "U1001", -1, NULL, NULL, -1);
		goto out;
	}
	if (rc < 0) {
		r = 0;
		goto out;
	}
	ov = pcre2_get_ovector_pointer(md);
	memset(cv, 0, sizeof(cv));
	for (i = 0; i < pic.n; i++) {
		struct dpart *p = &pic.parts[i];
		struct us val;
		double v;

		if (kind[i] == PK_NONE)
			continue;
		any = 1;
		if ((int)(i + 1) >= rc || ov[2 * (i + 1)] == PCRE2_UNSET)
			val = us_empty();
		else
			val = us_utf8(t, subj + ov[2 * (i + 1)],
			    ov[2 * (i + 1) + 1] - ov[2 * (i + 1)]);
		switch (kind[i]) {
		case PK_TZ:
			v = parse_tz(p, val);
			break;
		case PK_FRAC:
			v = js_parse_frac(val) * 1000;
			break;
		case PK_INT:
			v = parse_integer_value(t, &p->ifmt, val);
			break;
		default:
			v = name_lookup(p, val);
			break;
		}
		comp = comp_of(p);
		if (comp < 128) {
			/* an unknown name is undefined, not NaN */
			cv[comp].defined = !(kind[i] == PK_NAME && isnan(v));
			cv[comp].v = v;
		}
	}
	if (t->failed)
		goto out;
	if (!any) {
		r = 0;
		goto out;
	}
	mask = 0;
	for (cp = "YXMxWwdD"; *cp != '\0'; cp++)
		mask = (mask << 1) | (truthy(&cv[(int)*cp]) ? 1u : 0u);
#define IS_TYPE(ty)	(!(~(unsigned)(ty) & mask) && ((ty) & mask) != 0)
	date_a = IS_TYPE(161);
	date_b = !date_a && IS_TYPE(130);
	date_c = IS_TYPE(84);
	date_d = !date_c && IS_TYPE(72);
	mask = 0;
	for (cp = "PHhmsf"; *cp != '\0'; cp++)
		mask = (mask << 1) | (truthy(&cv[(int)*cp]) ? 1u : 0u);
	time_a = IS_TYPE(23);
	time_b = !time_a && IS_TYPE(47);
#undef IS_TYPE
	comps = date_b ? "YD" : date_c ? "XxwF" : date_d ? "XWF" : "YMD";
	jdate_set(&now, (double)jn_now_ms(t->c));
	start_spec = end_spec = 0;
	for (i = 0; i < 2; i++) {
		for (cp = i == 0 ? comps : (time_b ? "Phmsf" : "Hmsf");
		    *cp != '\0'; cp++) {
			struct comp_val *c = &cv[(int)*cp];

			if (!c->defined) {
				c->defined = 1;
				if (start_spec) {
					c->v = strchr("MDd", *cp) != NULL ?
					    1 : 0;
					end_spec = 1;
				} else
					c->v = *cp == 'P' ? 0 :
					    fragment(&now, (uint32_t)*cp);
			} else {
				start_spec = 1;
				if (end_spec) {
					jn_throw(t->c, "D3136", -1, NULL, NULL,
					    -1);
					goto out;
				}
			}
		}
	}
	if (cv['M'].defined && cv['M'].v > 0)
		cv['M'].v -= 1;
	else
		cv['M'].v = 0;
	if (date_b) {
		struct jdate dd;

		jdate_set(&dd, js_date_utc(cv['Y'].v, 0, 1, 0, 0, 0, 0) +
		    (cv['d'].v - 1) * MS_DAY);
		cv['M'].v = dd.valid ? dd.mon : NAN;
		cv['D'].v = dd.valid ? dd.mday : NAN;
	}
	if (date_c || date_d) {
		jn_throw(t->c, "D3136", -1, NULL, NULL, -1);
		goto out;
	}
	if (time_b) {
		cv['H'].v = cv['h'].v == 12 ? 0 : cv['h'].v;
		if (cv['P'].defined && cv['P'].v == 1)
			cv['H'].v += 12;
	}
	millis = js_date_utc(cv['Y'].v, cv['M'].v, cv['D'].v, cv['H'].v,
	    cv['m'].v, cv['s'].v, cv['f'].v);
	tz = truthy(&cv['Z']) ? cv['Z'].v : cv['z'].defined ? cv['z'].v : 0;
	if (truthy(&cv['Z']) || (cv['z'].defined && !isnan(tz) && tz != 0))
		millis -= tz * 60 * 1000;
	r = put_num(t, millis, out);
 out:
	pcre2_match_context_free(mc);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return r;
}

/*
 * The ISO 8601 check of $toMillis: ^\d{4}(-[01]\d)?(-[0-3]\d)?
 * (T[0-2]\d:[0-5]\d:[0-5]\d)?(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$
 * matched with backtracking; g[k] is the start of group k or -1,
 * g[6] the end of the fraction.
 */
#define ISO_D(s, j)	((j) < (s).n && (s).v[j] >= '0' && (s).v[j] <= '9')
#define ISO_R(s, j, hi)	(ISO_D(s, j) && (s).v[j] <= (hi))

static int
iso_group(struct us s, long i, int k, long *g)
{
	long e = -1;

	if (k == 6)
		return i == s.n;
	switch (k) {
	case 0:
		if (i < s.n && s.v[i] == '-' && ISO_R(s, i + 1, '1') &&
		    ISO_D(s, i + 2))
			e = i + 3;
		break;
	case 1:
		if (i < s.n && s.v[i] == '-' && ISO_R(s, i + 1, '3') &&
		    ISO_D(s, i + 2))
			e = i + 3;
		break;
	case 2:
		if (i + 8 < s.n && s.v[i] == 'T' && ISO_R(s, i + 1, '2') &&
		    ISO_D(s, i + 2) && s.v[i + 3] == ':' &&
		    ISO_R(s, i + 4, '5') && ISO_D(s, i + 5) &&
		    s.v[i + 6] == ':' && ISO_R(s, i + 7, '5') &&
		    ISO_D(s, i + 8))
			e = i + 9;
		break;
	case 3:
		if (i < s.n && s.v[i] == '.' && ISO_D(s, i + 1))
			for (e = i + 1; ISO_D(s, e); e++)
				;
		break;
	case 4:
		if (i < s.n && s.v[i] == 'Z') {
			e = i + 1;
			break;
		}
		if (i < s.n && (s.v[i] == '+' || s.v[i] == '-') &&
		    ISO_R(s, i + 1, '2') && ISO_D(s, i + 2)) {
			long j = i + 3;

			/* ":?" is greedy: with the colon first */
			if (j < s.n && s.v[j] == ':' && ISO_R(s, j + 1, '5') &&
			    ISO_D(s, j + 2) && j + 3 == s.n)
				e = j + 3;
			else if (ISO_R(s, j, '5') && ISO_D(s, j + 1))
				e = j + 2;
		}
		break;
	default:
		return i == s.n;
	}
	if (e >= 0) {
		g[k] = i;
		if (k == 3)
			g[6] = e;
		if (iso_group(s, e, k == 4 ? 6 : k + 1, g))
			return 1;
	}
	g[k] = -1;
	return iso_group(s, i, k == 4 ? 6 : k + 1, g);
}

static double
iso_num(struct us s, long i, int n)
{
	double v = 0;
	int k;

	for (k = 0; k < n; k++)
		v = v * 10 + (s.v[i + k] - '0');
	return v;
}

/* Date.parse (V8's) of what the check accepts; *ok 0: not accepted. */
static double
iso_parse(struct us s, int *ok)
{
	long g[7] = { -1, -1, -1, -1, -1, -1, -1 }, j;
	double y, mo = 1, d = 1, h = 0, mi = 0, sec = 0, ms = 0, tz = 0;
	double scale = 100;

	*ok = 0;
	if (!ISO_D(s, 0) || !ISO_D(s, 1) || !ISO_D(s, 2) || !ISO_D(s, 3) ||
	    !iso_group(s, 4, 0, g))
		return NAN;
	*ok = 1;
	y = iso_num(s, 0, 4);
	if (g[0] >= 0)
		mo = iso_num(s, g[0] + 1, 2);
	if (g[1] >= 0) {
		if (g[0] < 0)
			return NAN;
		d = iso_num(s, g[1] + 1, 2);
	}
	if (g[2] >= 0) {
		h = iso_num(s, g[2] + 1, 2);
		mi = iso_num(s, g[2] + 4, 2);
		sec = iso_num(s, g[2] + 7, 2);
	}
	if (g[3] >= 0) {
		if (g[2] < 0)
			return NAN;
		for (j = g[3] + 1; j < g[6]; j++) {
			ms += (s.v[j] - '0') * scale;
			scale /= 10;
		}
		ms = floor(ms);
	}
	if (g[4] >= 0 && s.v[g[4]] != 'Z') {
		if (g[2] < 0)
			return NAN;
		tz = iso_num(s, g[4] + 1, 2);
		if (tz > 23)
			return NAN;
		j = g[4] + 3;
		if (s.v[j] == ':')
			j++;
		tz = tz * 60 + iso_num(s, j, 2);
		if (s.v[g[4]] == '-')
			tz = -tz;
	} else if (g[4] >= 0 && g[2] < 0) {
		/* V8's legacy parser: two-digit years */
		if (y < 50)
			y += 2000;
		else if (y < 100)
			y += 1900;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 ||
	    (h == 24 && (mi != 0 || sec != 0 || ms != 0)))
		return NAN;
	return js_make_date(y, mo - 1, d, h, mi, sec, ms) - tz * 60000;
}
#undef ISO_D
#undef ISO_R

/* ------------------------------------------------------------ $formatNumber */

struct nprops {
	struct us	 dec, grp, exp, minus, pct, pml, zero, digit, pat;
	uint32_t	 zc;
};

struct nparts {
	struct us	 prefix, suffix, active, mantissa, exponent, integer,
			 fraction, sub;
	int		 has_exp;
};

struct nvars {
	long		*igpos;
	size_t		 nig;
	long		 regular;
	long		 min_int, scaling, min_frac, max_frac, min_exp;
	long		*fgpos;
	size_t		 nfg;
	struct us	 prefix, suffix, picture;
};

static int
is_family(const struct nprops *np, uint32_t ch)
{
	return ch >= np->zc && ch < np->zc + 10;
}

static int
is_1(struct us prop, uint32_t ch)
{
	return prop.n == 1 && prop.v[0] == ch;
}

static int
is_active(const struct nprops *np, uint32_t ch)
{
	return is_family(np, ch) || is_1(np->dec, ch) || is_1(np->exp, ch) ||
	    is_1(np->grp, ch) || is_1(np->digit, ch) || is_1(np->pat, ch);
}

static void
split_parts(const struct nprops *np, struct us sp, struct nparts *pp)
{
	long i, ep, dp;

	memset(pp, 0, sizeof(*pp));
	pp->sub = sp;
	pp->prefix = us_empty();
	for (i = 0; i < sp.n; i++)
		if (is_active(np, sp.v[i]) && !is_1(np->exp, sp.v[i])) {
			pp->prefix = us_sub(sp, 0, i);
			break;
		}
	pp->suffix = us_empty();
	for (i = sp.n - 1; i >= 0; i--)
		if (is_active(np, sp.v[i]) && !is_1(np->exp, sp.v[i])) {
			pp->suffix = us_sub(sp, i + 1, sp.n);
			break;
		}
	pp->active = us_sub(sp, pp->prefix.n, sp.n - pp->suffix.n);
	ep = us_index(sp, np->exp, pp->prefix.n);
	if (ep == -1 || ep > sp.n - pp->suffix.n) {
		pp->mantissa = pp->active;
		pp->has_exp = 0;
	} else {
		pp->mantissa = us_sub(pp->active, 0, ep);
		pp->exponent = us_sub(pp->active, ep + 1, pp->active.n);
		pp->has_exp = 1;
	}
	dp = us_index(pp->mantissa, np->dec, 0);
	if (dp == -1) {
		pp->integer = pp->mantissa;
		pp->fraction = pp->suffix;
	} else {
		pp->integer = us_sub(pp->mantissa, 0, dp);
		pp->fraction = us_sub(pp->mantissa, dp + 1, pp->mantissa.n);
	}
}

static long
count_family(const struct nprops *np, struct us s, int with_digit)
{
	long i, n = 0;

	for (i = 0; i < s.n; i++)
		if (is_family(np, s.v[i]) ||
		    (with_digit && is_1(np->digit, s.v[i])))
			n++;
	return n;
}

static int
validate_parts(struct tctx *t, const struct nprops *np,
    const struct nparts *pp)
{
	const char *err = NULL;
	struct us sp = pp->sub;
	long dp, odp, i;

	dp = us_index(sp, np->dec, 0);
	if (dp != us_lastindex(sp, np->dec))
		err = "D3081";
	if (us_index(sp, np->pct, 0) != us_lastindex(sp, np->pct))
		err = "D3082";
	if (us_index(sp, np->pml, 0) != us_lastindex(sp, np->pml))
		err = "D3083";
	if (us_index(sp, np->pct, 0) != -1 && us_index(sp, np->pml, 0) != -1)
		err = "D3084";
	if (count_family(np, pp->mantissa, 1) == 0)
		err = "D3085";
	for (i = 0; i < pp->active.n; i++)
		if (!is_active(np, pp->active.v[i]))
			err = "D3086";
	if (dp != -1) {
		if (us_eq(us_at(sp, dp - 1), np->grp) ||
		    us_eq(us_at(sp, dp + 1), np->grp))
			err = "D3087";
	} else if (us_eq(us_at(pp->integer, pp->integer.n - 1), np->grp))
		err = "D3088";
	if (us_index(sp, us_cat(t, np->grp, np->grp), 0) != -1)
		err = "D3089";
	odp = us_index(pp->integer, np->digit, 0);
	if (odp != -1 && count_family(np, us_sub(pp->integer, 0, odp), 0) > 0)
		err = "D3090";
	odp = us_lastindex(pp->fraction, np->digit);
	if (odp != -1 && count_family(np, us_sub(pp->fraction, odp,
	    pp->fraction.n), 0) > 0)
		err = "D3091";
	if (pp->has_exp && pp->exponent.n > 0 &&
	    (us_index(sp, np->pct, 0) != -1 || us_index(sp, np->pml, 0) != -1))
		err = "D3092";
	if (pp->has_exp && (pp->exponent.n == 0 ||
	    count_family(np, pp->exponent, 0) != pp->exponent.n))
		err = "D3093";
	if (err != NULL)
		return jn_throw(t->c, err, -1, NULL, NULL, -1);
	return t->failed ? -1 : 0;
}

static long *
grouping_positions(struct tctx *t, const struct nprops *np,
    const struct nparts *pp, struct us part, int to_left, size_t *n)
{
	long *pos, gp;

	*n = 0;
	if ((pos = t_alloc(t, ((size_t)part.n + 1) * sizeof(*pos))) == NULL)
		return NULL;
	if (np->grp.n == 0)
		return pos;
	gp = us_index(part, np->grp, 0);
	while (gp != -1 && *n <= (size_t)part.n) {
		pos[(*n)++] = count_family(np, to_left ? us_sub(part, 0, gp) :
		    us_sub(part, gp, part.n), 1);
		gp = us_index(pp->integer, np->grp, gp + 1);
	}
	return pos;
}

static int
analyse_parts(struct tctx *t, const struct nprops *np,
    const struct nparts *pp, struct nvars *nv)
{
	memset(nv, 0, sizeof(*nv));
	if ((nv->igpos = grouping_positions(t, np, pp, pp->integer, 0,
	    &nv->nig)) == NULL)
		return -1;
	nv->regular = regular_repeat(nv->igpos, nv->nig);
	if ((nv->fgpos = grouping_positions(t, np, pp, pp->fraction, 1,
	    &nv->nfg)) == NULL)
		return -1;
	nv->min_int = count_family(np, pp->integer, 0);
	nv->scaling = nv->min_int;
	nv->min_frac = count_family(np, pp->fraction, 0);
	nv->max_frac = count_family(np, pp->fraction, 1);
	if (nv->min_int == 0 && nv->max_frac == 0) {
		if (pp->has_exp) {
			nv->min_frac = 1;
			nv->max_frac = 1;
		} else
			nv->min_int = 1;
	}
	if (pp->has_exp && nv->min_int == 0 &&
	    us_index(pp->integer, np->digit, 0) != -1)
		nv->min_int = 1;
	if (nv->min_int == 0 && nv->min_frac == 0)
		nv->min_frac = 1;
	if (pp->has_exp)
		nv->min_exp = count_family(np, pp->exponent, 0);
	nv->prefix = pp->prefix;
	nv->suffix = pp->suffix;
	nv->picture = pp->sub;
	return 0;
}

/* Math.abs(x).toFixed(dp) with the digits mapped to the family. */
static struct us
make_string(struct tctx *t, const struct nprops *np, double x, long dp)
{
	char *buf;
	size_t len;
	int r;
	struct ub b;
	size_t i;

	x = fabs(x);
	ub_init(&b, t);
	if (x >= 1e21) {
		struct us s = num_str(t, x);

		ub_puts(&b, s);
	} else {
		if (dp > 100000)
			dp = 100000;
		len = (size_t)dp + 32;
		if ((buf = t_alloc(t, len)) == NULL)
			return us_empty();
		r = snprintf(buf, len, "%.*f", (int)dp, x);
		if (r < 0 || (size_t)r >= len)
			return us_empty();
		for (i = 0; i < (size_t)r; i++)
			ub_putc(&b, (unsigned char)buf[i]);
	}
	if (np->zc != '0')
		for (i = 0; i < (size_t)b.n; i++)
			if (b.v[i] >= '0' && b.v[i] <= '9')
				b.v[i] = b.v[i] - '0' + np->zc;
	return ub_us(&b);
}

static struct us
us_insert(struct tctx *t, struct us s, long at, struct us what)
{
	return us_cat3(t, us_slice(s, 0, at), what, us_slice(s, at, s.n));
}

static int
format_number(struct tctx *t, double value, struct us picture,
    const json_t *options, json_t **out)
{
	struct nprops np;
	struct us subs[3], sv, se, dot1;
	struct nparts parts[2];
	struct nvars vars[2], *pic;
	size_t nsub = 0, i;
	long j, k, dp, pad_l, pad_r, groups, g;
	double adj, mant, expo = 0, maxm, minm, rounded;
	int has_expo = 0;
	uint32_t dotc = '.';
	const char *key;
	json_t *val;

	np.dec = us_ascii(t, ".");
	np.grp = us_ascii(t, ",");
	np.exp = us_ascii(t, "e");
	np.minus = us_ascii(t, "-");
	np.pct = us_ascii(t, "%");
	np.pml = us_utf8(t, "\xe2\x80\xb0", 3);
	np.zero = us_ascii(t, "0");
	np.digit = us_ascii(t, "#");
	np.pat = us_ascii(t, ";");
	if (options != NULL && json_is_object(options)) {
		json_object_foreach((json_t *)options, key, val) {
			struct us *dst = NULL;

			if (!json_is_string(val))
				continue;
			if (strcmp(key, "decimal-separator") == 0)
				dst = &np.dec;
			else if (strcmp(key, "grouping-separator") == 0)
				dst = &np.grp;
			else if (strcmp(key, "exponent-separator") == 0)
				dst = &np.exp;
			else if (strcmp(key, "minus-sign") == 0)
				dst = &np.minus;
			else if (strcmp(key, "percent") == 0)
				dst = &np.pct;
			else if (strcmp(key, "per-mille") == 0)
				dst = &np.pml;
			else if (strcmp(key, "zero-digit") == 0)
				dst = &np.zero;
			else if (strcmp(key, "digit") == 0)
				dst = &np.digit;
			else if (strcmp(key, "pattern-separator") == 0)
				dst = &np.pat;
			if (dst != NULL)
				*dst = us_json(t, val);
		}
	}
	np.zc = np.zero.n > 0 ? np.zero.v[0] : 0;
	/* picture.split(pattern-separator) */
	if (np.pat.n == 0) {
		if (picture.n > 2)
			return jn_throw(t->c, "D3080", -1, NULL, NULL, -1);
		for (j = 0; j < picture.n; j++)
			subs[nsub++] = us_sub(picture, j, j + 1);
	} else {
		k = 0;
		while ((j = us_index(picture, np.pat, k)) != -1) {
			if (nsub >= 2)
				return jn_throw(t->c, "D3080", -1, NULL, NULL,
				    -1);
			subs[nsub++] = us_sub(picture, k, j);
			k = j + np.pat.n;
		}
		if (nsub >= 2)
			return jn_throw(t->c, "D3080", -1, NULL, NULL, -1);
		subs[nsub++] = us_sub(picture, k, picture.n);
	}
	if (nsub == 0) {
		subs[0] = us_empty();
		nsub = 1;
	}
	for (i = 0; i < nsub; i++)
		split_parts(&np, subs[i], &parts[i]);
	for (i = 0; i < nsub; i++)
		if (validate_parts(t, &np, &parts[i]) != 0)
			return -1;
	for (i = 0; i < nsub; i++)
		if (analyse_parts(t, &np, &parts[i], &vars[i]) != 0)
			return -1;
	if (nsub == 1) {
		vars[1] = vars[0];
		vars[1].prefix = us_cat(t, np.minus, vars[0].prefix);
	}
	pic = value >= 0 ? &vars[0] : &vars[1];
	if (us_index(pic->picture, np.pct, 0) != -1)
		adj = value * 100;
	else if (us_index(pic->picture, np.pml, 0) != -1)
		adj = value * 1000;
	else
		adj = value;
	if (pic->min_exp == 0)
		mant = adj;
	else {
		maxm = pow(10, (double)pic->scaling);
		minm = pow(10, (double)pic->scaling - 1);
		mant = adj;
		expo = 0;
		has_expo = 1;
		if (mant != 0 && isfinite(mant)) {
			while (fabs(mant) < minm) {
				mant *= 10;
				expo -= 1;
			}
			while (fabs(mant) > maxm) {
				mant /= 10;
				expo += 1;
			}
		}
	}
	rounded = js_round(mant, pic->max_frac);
	sv = make_string(t, &np, rounded, pic->max_frac);
	dot1.v = &dotc;
	dot1.n = 1;
	dp = us_index(sv, dot1, 0);
	if (dp == -1)
		sv = us_cat(t, sv, np.dec);
	else
		sv = us_cat3(t, us_sub(sv, 0, dp), np.dec,
		    us_sub(sv, dp + 1, sv.n));
	while (np.zero.n > 0 && us_eq(us_at(sv, 0), np.zero))
		sv = us_sub(sv, 1, sv.n);
	while (np.zero.n > 0 && us_eq(us_at(sv, sv.n - 1), np.zero))
		sv = us_sub(sv, 0, sv.n - 1);
	dp = us_index(sv, np.dec, 0);
	pad_l = pic->min_int - dp;
	pad_r = pic->min_frac - (sv.n - dp - 1);
	{
		struct ub b;

		ub_init(&b, t);
		ub_repeat(&b, np.zero, pad_l);
		ub_puts(&b, sv);
		ub_repeat(&b, np.zero, pad_r);
		sv = ub_us(&b);
	}
	dp = us_index(sv, np.dec, 0);
	if (pic->regular > 0) {
		groups = (dp - 1) / pic->regular;
		if (dp - 1 < 0)
			groups = 0;
		for (g = 1; g <= groups; g++) {
			if (jn_tick(t->c) != 0)
				return -1;
			sv = us_insert(t, sv, dp - g * pic->regular, np.grp);
		}
	} else {
		for (i = 0; i < pic->nig; i++) {
			if (jn_tick(t->c) != 0)
				return -1;
			sv = us_insert(t, sv, dp - pic->igpos[i], np.grp);
			dp++;
		}
	}
	dp = us_index(sv, np.dec, 0);
	for (i = 0; i < pic->nfg; i++) {
		if (jn_tick(t->c) != 0)
			return -1;
		sv = us_insert(t, sv, pic->fgpos[i] + dp + 1, np.grp);
	}
	dp = us_index(sv, np.dec, 0);
	if (us_index(pic->picture, np.dec, 0) == -1 || dp == sv.n - 1)
		sv = us_sub(sv, 0, sv.n - 1);
	if (has_expo) {
		se = make_string(t, &np, expo, 0);
		pad_l = pic->min_exp - se.n;
		if (pad_l > 0) {
			struct ub b;

			ub_init(&b, t);
			ub_repeat(&b, np.zero, pad_l);
			ub_puts(&b, se);
			se = ub_us(&b);
		}
		sv = us_cat3(t, sv, np.exp, expo < 0 ? np.minus : us_empty());
		sv = us_cat(t, sv, se);
	}
	sv = us_cat3(t, pic->prefix, sv, pic->suffix);
	if (t->failed)
		return -1;
	if ((*out = us_to_json(t, sv)) == NULL)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ entry points */

int
jn_fn_now(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	int r;

	t_init(&t, c);
	r = format_datetime(&t, (double)jn_now_ms(c), n > 0 ? a[0] : NULL,
	    n > 1 ? a[1] : NULL, out);
	t_done(&t);
	return r;
}

int
jn_fn_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a;
	(void)n;
	if ((*out = jn_num(c, (double)jn_now_ms(c))) == NULL)
		return -1;
	return 0;
}

int
jn_fn_from_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	int r;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	t_init(&t, c);
	r = format_datetime(&t, jn_numv(a[0]), n > 1 ? a[1] : NULL,
	    n > 2 ? a[2] : NULL, out);
	t_done(&t);
	return r;
}

int
jn_fn_to_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	struct us ts;
	double v;
	int r = 0, ok;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	t_init(&t, c);
	ts = us_json(&t, a[0]);
	if (n < 2 || a[1] == NULL) {
		v = iso_parse(ts, &ok);
		if (!ok)
			r = jn_throw(c, "D3110", -1, NULL, a[0], -1);
		else
			r = put_num(&t, v, out);
	} else
		r = parse_datetime(&t, ts, us_json(&t, a[1]), out);
	if (t.failed)
		r = -1;
	t_done(&t);
	return r;
}

int
jn_fn_format_number(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	int r;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	t_init(&t, c);
	r = format_number(&t, jn_numv(a[0]), n > 1 ? us_json(&t, a[1]) :
	    us_empty(), n > 2 ? a[2] : NULL, out);
	if (t.failed)
		r = -1;
	t_done(&t);
	return r;
}

int
jn_fn_format_base(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	static const char digs[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	struct tctx t;
	double v, radix = 10, rem;
	char buf[1200];
	size_t k = sizeof(buf) - 1;
	int neg, r;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	v = js_round(jn_numv(a[0]), 0);
	if (n > 1 && a[1] != NULL)
		radix = js_round(jn_numv(a[1]), 0);
	t_init(&t, c);
	if (radix < 2 || radix > 36) {
		r = throw_num(&t, "D3100", radix);
		t_done(&t);
		return r;
	}
	if (radix == 10) {
		r = (*out = us_to_json(&t, num_str(&t, v))) == NULL ? -1 : 0;
		t_done(&t);
		return r;
	}
	t_done(&t);
	neg = v < 0;
	v = fabs(v);
	buf[k] = '\0';
	while (v / radix >= 9007199254740992.0 && k > 1) {
		v /= radix;
		buf[--k] = '0';
	}
	do {
		rem = fmod(v, radix);
		buf[--k] = digs[(int)rem];
		v = (v - rem) / radix;
	} while (v > 0 && k > 1);
	if (neg)
		buf[--k] = '-';
	if ((*out = json_string(buf + k)) == NULL)
		return jn_throw(c, "U1001", -1, NULL, NULL, -1);
	return 0;
}

int
jn_fn_format_integer(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	struct ifmt f;
	struct ub b;
	int r = -1;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	t_init(&t, c);
	ub_init(&b, &t);
	if (analyse_integer(&t, n > 1 ? us_json(&t, a[1]) : us_empty(),
	    &f) == 0 && format_integer(&t, floor(jn_numv(a[0])), &f, &b) == 0 &&
	    !t.failed && (*out = us_to_json(&t, ub_us(&b))) != NULL)
		r = 0;
	t_done(&t);
	return r;
}

int
jn_fn_parse_integer(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	struct tctx t;
	struct ifmt f;
	struct ub b;
	double v;
	int r = -1;

	*out = NULL;
	if (n < 1 || a[0] == NULL)
		return 0;
	t_init(&t, c);
	ub_init(&b, &t);
	if (analyse_integer(&t, n > 1 ? us_json(&t, a[1]) : us_empty(),
	    &f) == 0 && integer_regex(&t, &f, &b) == 0) {
		v = parse_integer_value(&t, &f, us_json(&t, a[0]));
		if (!t.failed)
			r = put_num(&t, v, out);
	}
	t_done(&t);
	return r;
}
