#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sd_err.h"
#include "sd_buf.h"

void
sd_error_init(struct sd_error *e)
{
	e->code = 0;
	e->location = NULL;
	e->message = NULL;
}

void
sd_error_clear(struct sd_error *e)
{
	if (e == NULL)
		return;
	free(e->location);
	free(e->message);
	sd_error_init(e);
}

int
sd_error_setv(struct sd_error *e, int code, const char *location,
    const char *fmt, va_list ap)
{
	char *loc = NULL, *msg = NULL;

	if (e == NULL)
		return code;
	if (location != NULL)
		loc = strdup(location);
	msg = sd_vasprintf(fmt, ap);
	free(e->location);
	free(e->message);
	e->code = code;
	e->location = loc;
	e->message = msg;
	return code;
}

int
sd_error_set(struct sd_error *e, int code, const char *location,
    const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sd_error_setv(e, code, location, fmt, ap);
	va_end(ap);
	return r;
}

int
sd_error_prefix(struct sd_error *e, const char *fmt, ...)
{
	va_list ap;
	char *pre = NULL, *msg = NULL;

	if (e == NULL)
		return 0;
	va_start(ap, fmt);
	pre = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (pre == NULL)
		return e->code;
	msg = sd_asprintf("%s%s", pre, e->message != NULL ? e->message : "");
	free(pre);
	if (msg != NULL) {
		free(e->message);
		e->message = msg;
	}
	return e->code;
}

void
sd_error_move(struct sd_error *dst, struct sd_error *src)
{
	sd_error_clear(dst);
	*dst = *src;
	sd_error_init(src);
}

const char *
sd_error_text(struct sd_error *e)
{
	char *t;

	if (e == NULL)
		return "unknown error";
	if (e->message == NULL)
		return sd_strerror(e->code);
	if (e->location == NULL || e->location[0] == '\0')
		return e->message;
	/* Fold the location in once, so repeated calls stay cheap. */
	t = sd_asprintf("%s: %s", e->location, e->message);
	if (t == NULL)
		return e->message;
	free(e->message);
	free(e->location);
	e->location = NULL;
	e->message = t;
	return t;
}

const char *
sd_strerror(int code)
{
	switch (code) {
	case SD_OK:		return "success";
	case SD_ERR_INTERNAL:	return "internal error";
	case SD_ERR_NOMEM:	return "out of memory";
	case SD_ERR_PARSE:	return "parse error";
	case SD_ERR_INVALID:	return "invalid";
	case SD_ERR_OVERFLOW:	return "value out of range";
	case SD_ERR_IO:		return "input/output error";
	case SD_ERR_NOTFOUND:	return "not found";
	case SD_ERR_RUNTIME:	return "runtime error";
	case SD_ERR_INTRINSIC:	return "intrinsic function failure";
	case SD_ERR_TYPE:	return "wrong type";
	case SD_ERR_LIMIT:	return "limit exceeded";
	case SD_ERR_USAGE:	return "usage error";
	default:		return "unknown error";
	}
}
