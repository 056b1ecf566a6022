/*
 * sd_diff.h: a line diff of two texts (longest common subsequence), printed
 * in the unified style of diff -u, for `stepdeploy plan` (sd_plan.h).
 *
 *	struct sd_buf out;
 *	struct sd_diff_stats st;
 *
 *	sd_buf_init(&out, 0);
 *	r = sd_diff_unified(old, new, "current", "release", 3,
 *	    SD_DIFF_MAX_CELLS, &out, &st);
 *	if (r == SD_ERR_LIMIT) ... "the texts differ" (too large to diff)
 *
 * The common head and tail of the two texts are trimmed first; the LCS
 * table then covers only the lines in between, (n + 1) * (m + 1) cells of
 * 4 bytes, refused above max_cells before anything is allocated.
 */
#ifndef SD_DIFF_H
#define SD_DIFF_H

#include <stddef.h>

#include "sd_buf.h"

/* The default cap on the LCS table: 4 Mi cells (16 MiB). */
#define SD_DIFF_MAX_CELLS	((size_t)4 << 20)
/* Lines in either text, at most. */
#define SD_DIFF_MAX_LINES	((size_t)1 << 22)

struct sd_diff_stats {
	size_t	 added;		/* "+" lines */
	size_t	 removed;	/* "-" lines */
	size_t	 hunks;
};

/*
 * Append to out the unified diff of text a (named a_name in the "---"
 * header) to text b ("+++" b_name), with ctx lines of context around each
 * change. Lines end at '\n'; a missing final newline is not reported.
 * Nothing is appended when the texts have the same lines (st->hunks 0).
 * st may be NULL. 0; SD_ERR_LIMIT (nothing appended) when the table would
 * need more than max_cells cells or a text has more than
 * SD_DIFF_MAX_LINES lines; SD_ERR_NOMEM; the sd_buf's error when out is
 * full.
 */
int	 sd_diff_unified(const char *a, const char *b, const char *a_name,
	    const char *b_name, unsigned ctx, size_t max_cells,
	    struct sd_buf *out, struct sd_diff_stats *st);

#endif /* SD_DIFF_H */
