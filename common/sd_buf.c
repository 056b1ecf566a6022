#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_err.h"

void
sd_buf_init(struct sd_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max == 0 ? SD_BUF_MAX_DEFAULT : max;
	b->failed = 0;
}

void
sd_buf_release(struct sd_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}

void
sd_buf_reset(struct sd_buf *b)
{
	b->len = 0;
	b->failed = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

static int
sd_buf_reserve(struct sd_buf *b, size_t extra)
{
	size_t need, ncap;
	char *n;

	if (extra > SIZE_MAX - b->len - 1 || b->len + extra > b->max) {
		b->failed = 1;
		return SD_ERR_OVERFLOW;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2) {
			ncap = need;
			break;
		}
		ncap *= 2;
	}
	if ((n = realloc(b->data, ncap)) == NULL) {
		b->failed = 1;
		return SD_ERR_NOMEM;
	}
	b->data = n;
	b->cap = ncap;
	return 0;
}

int
sd_buf_append(struct sd_buf *b, const void *p, size_t n)
{
	int r;

	if ((r = sd_buf_reserve(b, n)) != 0)
		return r;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
sd_buf_puts(struct sd_buf *b, const char *s)
{
	return sd_buf_append(b, s, strlen(s));
}

int
sd_buf_putc(struct sd_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return sd_buf_append(b, &c, 1);
}

int
sd_buf_vprintf(struct sd_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->failed = 1;
		return SD_ERR_INTERNAL;
	}
	if ((r = sd_buf_reserve(b, (size_t)n)) != 0)
		return r;
	if (vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap) != n) {
		b->failed = 1;
		return SD_ERR_INTERNAL;
	}
	b->len += (size_t)n;
	return 0;
}

int
sd_buf_printf(struct sd_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sd_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *
sd_buf_steal(struct sd_buf *b)
{
	char *p;

	if (b->failed) {
		sd_buf_release(b);
		return NULL;
	}
	if (b->data == NULL) {
		if (sd_buf_reserve(b, 0) != 0)
			return NULL;
		b->data[0] = '\0';
	}
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

char *
sd_vasprintf(const char *fmt, va_list ap)
{
	struct sd_buf b;

	sd_buf_init(&b, 0);
	if (sd_buf_vprintf(&b, fmt, ap) != 0) {
		sd_buf_release(&b);
		return NULL;
	}
	return sd_buf_steal(&b);
}

char *
sd_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	return s;
}
