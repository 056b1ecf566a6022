/*
 * sd_json: JSON helpers over jansson.
 *
 * Serialisation prints numbers as AWS does: the shortest form that reads
 * back to the same double (0.1, not 0.10000000000000001), and integral
 * values without a fraction. Object keys keep their insertion order unless
 * SD_JSON_SORT_KEYS is given (the canonical form).
 */
#ifndef SD_JSON_H
#define SD_JSON_H

#include <stddef.h>
#include <jansson.h>

#include "sd_buf.h"
#include "sd_err.h"

#define SD_JSON_SORT_KEYS	0x1	/* canonical: keys sorted bytewise */
#define SD_JSON_PRETTY		0x2	/* two-space indentation */
#define SD_JSON_SPACED		0x4	/* ", " and ": " separators */

/* Shortest round-trip text of d into buf (at least 32 bytes). */
int	 sd_json_fmt_real(double d, char *buf, size_t len);
/* Append the serialisation of v (any JSON value) to b. */
int	 sd_json_dump_buf(const json_t *v, struct sd_buf *b, int flags);
/* New string, or NULL on failure. */
char	*sd_json_dumps(const json_t *v, int flags);
/* Append s as a JSON string literal (with quotes). */
int	 sd_json_quote(struct sd_buf *b, const char *s, size_t len);

/*
 * Structural equality where numbers compare by value (1 == 1.0) and object
 * key order does not matter. Returns 1 when equal.
 */
int	 sd_json_equal(const json_t *a, const json_t *b);

/* Number helpers: is v an integer or an integral real? */
int	 sd_json_is_integral(const json_t *v, long long *out);
double	 sd_json_number(const json_t *v);

/*
 * The deepest nesting of arrays and objects any JSON document may have:
 * jansson's parser limit, which every json_load* call enforces.
 */
#define SD_JSON_MAX_DEPTH	JSON_PARSER_MAX_DEPTH

/*
 * What jansson's error says, the nesting limit named (borrowed: je's text
 * or a constant).
 */
const char *sd_json_reason(const json_error_t *je);

/*
 * Parse any JSON value from a buffer or file. flags are jansson decode
 * flags (JSON_DECODE_ANY is always added). On failure fills err with the
 * line/column and returns NULL. what names the document in the message.
 */
json_t	*sd_json_loadb(const char *buf, size_t len, int flags,
	    const char *what, struct sd_error *err);
json_t	*sd_json_load_file(const char *path, int flags, struct sd_error *err);
/* Read a whole file into a new NUL-terminated buffer (max bytes). */
int	 sd_read_file(const char *path, size_t max, char **out, size_t *outlen,
	    struct sd_error *err);

/* Write all n bytes of p to fd (short writes and EINTR retried). */
int	 sd_write_all(int fd, const void *p, size_t n, struct sd_error *err);

/*
 * fsync each of dir's files named in names (NULL-terminated), all written
 * before: every file is synced, and on the usual journaling file systems
 * the first fsync commits them all, so the others cost next to nothing
 * (one commit, not one per file). A name that does not exist is skipped
 * when optional is set, else an error.
 */
int	 sd_sync_files(const char *dir, const char *const *names, int optional,
	    struct sd_error *err);

/* Name of v's type as AWS words it ("object", "array", "string", ...). */
const char *sd_json_type_name(const json_t *v);

#endif /* SD_JSON_H */
