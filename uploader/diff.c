/*
 * diff.c: a line diff by longest common subsequence, printed unified-style
 * (sd_diff.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sd_diff.h"
#include "sd_err.h"

struct line {
	const char	*s;
	size_t		 len;
	uint64_t	 hash;
};

struct lines {
	struct line	*v;
	size_t		 n;
};

/* One step of the edit script: ' ' keep, '-' remove a[ai], '+' add b[bi]. */
struct op {
	char	 kind;
	size_t	 ai;
	size_t	 bi;
};

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

/* Split text into lines (borrowed pointers). 0, SD_ERR_LIMIT, NOMEM. */
static int
split(const char *text, struct lines *out)
{
	const char *p, *nl;
	size_t n = 0, i = 0;

	out->v = NULL;
	out->n = 0;
	for (p = text; *p != '\0'; p = nl + 1) {
		if (++n > SD_DIFF_MAX_LINES)
			return SD_ERR_LIMIT;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
	}
	if (n == 0)
		return 0;
	if ((out->v = calloc(n, sizeof(*out->v))) == NULL)
		return SD_ERR_NOMEM;
	for (p = text; *p != '\0' && i < n; i++) {
		nl = strchr(p, '\n');
		out->v[i].s = p;
		out->v[i].len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		out->v[i].hash = fnv1a(p, out->v[i].len);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	out->n = n;
	return 0;
}

static int
same(const struct line *x, const struct line *y)
{
	return x->hash == y->hash && x->len == y->len &&
	    memcmp(x->s, y->s, x->len) == 0;
}

static int
put_line(struct sd_buf *out, char kind, const struct line *l)
{
	int r;

	if ((r = sd_buf_putc(out, kind)) != 0 ||
	    (r = sd_buf_append(out, l->s, l->len)) != 0)
		return r;
	return sd_buf_putc(out, '\n');
}

/* "@@ -START,LEN +START,LEN @@": START is 1-based, or the line before an
 * empty range. */
static int
put_range(struct sd_buf *out, size_t first, size_t len)
{
	return sd_buf_printf(out, "%zu,%zu", len == 0 ? first : first + 1,
	    len);
}

/* Print the hunks of ops[0..nops) with ctx lines of context. */
static int
print_hunks(const struct op *ops, size_t nops, const struct lines *a,
    const struct lines *b, unsigned ctx, struct sd_buf *out,
    struct sd_diff_stats *st)
{
	size_t i, start, end, last, k, al, bl;
	int r;

	i = 0;
	while (i < nops) {
		if (ops[i].kind == ' ') {
			i++;
			continue;
		}
		/* A hunk: from ctx keeps before this change to ctx keeps
		 * after the last change not separated by more than 2 * ctx
		 * keeps. */
		start = i > ctx ? i - ctx : 0;
		last = i;
		for (k = i + 1; k < nops; k++) {
			if (ops[k].kind != ' ') {
				last = k;
				continue;
			}
			if (k - last > 2 * (size_t)ctx)
				break;
		}
		end = last + 1 + ctx;
		if (end > nops)
			end = nops;
		al = bl = 0;
		for (k = start; k < end; k++) {
			if (ops[k].kind != '+')
				al++;
			if (ops[k].kind != '-')
				bl++;
		}
		if ((r = sd_buf_puts(out, "@@ -")) != 0 ||
		    (r = put_range(out, ops[start].ai, al)) != 0 ||
		    (r = sd_buf_puts(out, " +")) != 0 ||
		    (r = put_range(out, ops[start].bi, bl)) != 0 ||
		    (r = sd_buf_puts(out, " @@\n")) != 0)
			return r;
		for (k = start; k < end; k++) {
			if (ops[k].kind == '+') {
				r = put_line(out, '+', &b->v[ops[k].bi]);
				st->added++;
			} else if (ops[k].kind == '-') {
				r = put_line(out, '-', &a->v[ops[k].ai]);
				st->removed++;
			} else
				r = put_line(out, ' ', &a->v[ops[k].ai]);
			if (r != 0)
				return r;
		}
		st->hunks++;
		i = end;
	}
	return 0;
}

int
sd_diff_unified(const char *a_text, const char *b_text, const char *a_name,
    const char *b_name, unsigned ctx, size_t max_cells, struct sd_buf *out,
    struct sd_diff_stats *stp)
{
	struct sd_diff_stats st;
	struct lines a = { NULL, 0 }, b = { NULL, 0 };
	struct op *ops = NULL;
	uint32_t *L = NULL;
	size_t pre = 0, suf = 0, n, m, w, i, j, nops = 0, cells;
	int r;

	memset(&st, 0, sizeof(st));
	if ((r = split(a_text, &a)) != 0 || (r = split(b_text, &b)) != 0)
		goto out;
	while (pre < a.n && pre < b.n && same(&a.v[pre], &b.v[pre]))
		pre++;
	while (suf < a.n - pre && suf < b.n - pre &&
	    same(&a.v[a.n - 1 - suf], &b.v[b.n - 1 - suf]))
		suf++;
	n = a.n - pre - suf;
	m = b.n - pre - suf;
	if (n == 0 && m == 0) {
		r = 0;
		goto out;
	}
	/* The table: L[i * w + j] = LCS length of a[pre+i..] and b[pre+j..]
	 * within the middle part; checked before any allocation. */
	w = m + 1;
	if (n + 1 > max_cells / w) {
		r = SD_ERR_LIMIT;
		goto out;
	}
	cells = (n + 1) * w;
	if ((L = calloc(cells, sizeof(*L))) == NULL ||
	    (ops = calloc(a.n + b.n, sizeof(*ops))) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	for (i = n; i-- > 0;)
		for (j = m; j-- > 0;) {
			if (same(&a.v[pre + i], &b.v[pre + j]))
				L[i * w + j] = L[(i + 1) * w + j + 1] + 1;
			else if (L[(i + 1) * w + j] >= L[i * w + j + 1])
				L[i * w + j] = L[(i + 1) * w + j];
			else
				L[i * w + j] = L[i * w + j + 1];
		}
	for (i = 0; i < pre; i++)
		ops[nops++] = (struct op){ ' ', i, i };
	i = j = 0;
	while (i < n || j < m) {
		if (i < n && j < m && same(&a.v[pre + i], &b.v[pre + j])) {
			ops[nops++] = (struct op){ ' ', pre + i, pre + j };
			i++;
			j++;
		} else if (i < n && (j == m ||
		    L[(i + 1) * w + j] >= L[i * w + j + 1])) {
			ops[nops++] = (struct op){ '-', pre + i, pre + j };
			i++;
		} else {
			ops[nops++] = (struct op){ '+', pre + i, pre + j };
			j++;
		}
	}
	for (i = 0; i < suf; i++)
		ops[nops++] = (struct op){ ' ', pre + n + i, pre + m + i };

	if ((r = sd_buf_printf(out, "--- %s\n+++ %s\n", a_name, b_name)) != 0)
		goto out;
	r = print_hunks(ops, nops, &a, &b, ctx, out, &st);
 out:
	free(L);
	free(ops);
	free(a.v);
	free(b.v);
	if (stp != NULL)
		*stp = st;
	return r;
}
