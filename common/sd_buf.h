/*
 * sd_buf: a growable byte buffer with a hard maximum set at creation, and
 * the printf-style helpers built on it.
 */
#ifndef SD_BUF_H
#define SD_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define SD_BUF_MAX_DEFAULT	((size_t)256 * 1024 * 1024)

struct sd_buf {
	char	*data;		/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* hard cap on len */
	int	 failed;	/* sticky: an append failed (NOMEM/OVERFLOW) */
};

/* Initialise an embedded buffer; max 0 means SD_BUF_MAX_DEFAULT. */
void	 sd_buf_init(struct sd_buf *, size_t max);
/* Frees the data; NULL-safe. */
void	 sd_buf_release(struct sd_buf *);
void	 sd_buf_reset(struct sd_buf *);
/* Appends; 0 or SD_ERR_NOMEM / SD_ERR_OVERFLOW (and sets failed). */
int	 sd_buf_append(struct sd_buf *, const void *, size_t);
int	 sd_buf_puts(struct sd_buf *, const char *);
int	 sd_buf_putc(struct sd_buf *, char);
int	 sd_buf_printf(struct sd_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
int	 sd_buf_vprintf(struct sd_buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Hands the data to the caller (new, NUL-terminated); the buffer is reset.
 * Returns NULL if any append failed. */
char	*sd_buf_steal(struct sd_buf *);

/* New strings, NULL on failure. */
char	*sd_asprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char	*sd_vasprintf(const char *, va_list)
	    __attribute__((format(printf, 1, 0)));

#endif /* SD_BUF_H */
