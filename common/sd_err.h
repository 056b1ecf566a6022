/*
 * sd_err: the one error type every stepdeploy module returns.
 *
 * Functions return int: 0 on success, a negative SD_ERR_* code on failure.
 * Parsers and evaluators additionally fill a caller-owned struct sd_error
 * with a location (in AWS's form, e.g. "/States/Foo/Choices[0]/Next") and an
 * allocated message; messages can be long (AWS causes embed whole inputs).
 */
#ifndef SD_ERR_H
#define SD_ERR_H

#include <stdarg.h>

enum {
	SD_OK = 0,
	SD_ERR_INTERNAL = -1,	/* broken invariant */
	SD_ERR_NOMEM = -2,	/* allocation failed */
	SD_ERR_PARSE = -3,	/* syntax error in a document or expression */
	SD_ERR_INVALID = -4,	/* well-formed but not allowed */
	SD_ERR_OVERFLOW = -5,	/* size or number out of range */
	SD_ERR_IO = -6,		/* read/write/open failed */
	SD_ERR_NOTFOUND = -7,	/* a path or name matched nothing */
	SD_ERR_RUNTIME = -8,	/* States.Runtime during an execution */
	SD_ERR_INTRINSIC = -9,	/* States.IntrinsicFailure */
	SD_ERR_TYPE = -10,	/* value of the wrong JSON type */
	SD_ERR_LIMIT = -11,	/* a configured limit was exceeded */
	SD_ERR_USAGE = -12,	/* bad command-line usage */
};

struct sd_error {
	int	 code;
	char	*location;	/* new; may be NULL */
	char	*message;	/* new; may be NULL */
};

#define SD_ERROR_INIT { 0, NULL, NULL }

void		 sd_error_init(struct sd_error *);
/* Frees location and message; NULL-safe; leaves the error re-usable. */
void		 sd_error_clear(struct sd_error *);
/*
 * Replace the error's contents. location may be NULL. Returns code, so a
 * caller can write: return sd_error_set(err, SD_ERR_PARSE, loc, "...").
 * err may be NULL (then only code is returned).
 */
int		 sd_error_set(struct sd_error *, int code, const char *location,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int		 sd_error_setv(struct sd_error *, int code, const char *location,
		    const char *fmt, va_list) __attribute__((format(printf, 4, 0)));
/* Prefix the message with "prefix" (e.g. the field being evaluated). */
int		 sd_error_prefix(struct sd_error *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* Move src into dst (dst cleared first); src is left empty. */
void		 sd_error_move(struct sd_error *dst, struct sd_error *src);
/* "LOCATION: MESSAGE", or just MESSAGE; never NULL; borrowed until clear. */
const char	*sd_error_text(struct sd_error *);
const char	*sd_strerror(int code);

#endif /* SD_ERR_H */
