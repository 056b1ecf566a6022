#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_json.h"

int
sd_json_fmt_real(double d, char *buf, size_t len)
{
	int p, n;

	if (len < 32 || !isfinite(d))
		return SD_ERR_INVALID;
	if (d == trunc(d) && fabs(d) < 1e17) {
		n = snprintf(buf, len, "%.0f", d);
		if (n < 0 || (size_t)n >= len)
			return SD_ERR_OVERFLOW;
		if (strcmp(buf, "-0") == 0)
			memcpy(buf, "0", 2);
		return 0;
	}
	for (p = 1; p <= 17; p++) {
		n = snprintf(buf, len, "%.*g", p, d);
		if (n < 0 || (size_t)n >= len)
			return SD_ERR_OVERFLOW;
		if (strtod(buf, NULL) == d)
			break;
	}
	return 0;
}

int
sd_json_quote(struct sd_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char esc[7];

	if (sd_buf_putc(b, '"') != 0)
		return SD_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *e = NULL;
		size_t elen = 2;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c) {
		case '"':  e = "\\\""; break;
		case '\\': e = "\\\\"; break;
		case '\n': e = "\\n"; break;
		case '\r': e = "\\r"; break;
		case '\t': e = "\\t"; break;
		case '\b': e = "\\b"; break;
		case '\f': e = "\\f"; break;
		default:
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hex[c >> 4]; esc[5] = hex[c & 0xf]; esc[6] = '\0';
			e = esc;
			elen = 6;
			break;
		}
		if (sd_buf_append(b, s + run, i - run) != 0 ||
		    sd_buf_append(b, e, elen) != 0)
			return SD_ERR_NOMEM;
		run = i + 1;
	}
	if (sd_buf_append(b, s + run, len - run) != 0 || sd_buf_putc(b, '"') != 0)
		return SD_ERR_NOMEM;
	return 0;
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
indent(struct sd_buf *b, int flags, int depth)
{
	int i;

	if (!(flags & SD_JSON_PRETTY))
		return 0;
	if (sd_buf_putc(b, '\n') != 0)
		return SD_ERR_NOMEM;
	for (i = 0; i < depth; i++)
		if (sd_buf_append(b, "  ", 2) != 0)
			return SD_ERR_NOMEM;
	return 0;
}

static int
dump(const json_t *v, struct sd_buf *b, int flags, int depth)
{
	char num[64];
	const char *sep = (flags & (SD_JSON_SPACED | SD_JSON_PRETTY)) ? ": " : ":";
	const char *comma = (flags & SD_JSON_SPACED) && !(flags & SD_JSON_PRETTY) ?
	    ", " : ",";
	size_t i, n;
	int r;

	if (depth > 10000)
		return SD_ERR_OVERFLOW;
	switch (json_typeof(v)) {
	case JSON_NULL:
		return sd_buf_append(b, "null", 4);
	case JSON_TRUE:
		return sd_buf_append(b, "true", 4);
	case JSON_FALSE:
		return sd_buf_append(b, "false", 5);
	case JSON_INTEGER:
		return sd_buf_printf(b, "%lld", (long long)json_integer_value(v));
	case JSON_REAL:
		if ((r = sd_json_fmt_real(json_real_value(v), num, sizeof(num))) != 0)
			return r;
		return sd_buf_puts(b, num);
	case JSON_STRING:
		return sd_json_quote(b, json_string_value(v), json_string_length(v));
	case JSON_ARRAY:
		n = json_array_size(v);
		if (sd_buf_putc(b, '[') != 0)
			return SD_ERR_NOMEM;
		for (i = 0; i < n; i++) {
			if (i > 0 && sd_buf_puts(b, comma) != 0)
				return SD_ERR_NOMEM;
			if ((r = indent(b, flags, depth + 1)) != 0 ||
			    (r = dump(json_array_get(v, i), b, flags, depth + 1)) != 0)
				return r;
		}
		if (n > 0 && (r = indent(b, flags, depth)) != 0)
			return r;
		return sd_buf_putc(b, ']');
	case JSON_OBJECT: {
		const char **keys = NULL;
		const char *k;
		json_t *val;

		n = json_object_size(v);
		if (sd_buf_putc(b, '{') != 0)
			return SD_ERR_NOMEM;
		if ((flags & SD_JSON_SORT_KEYS) && n > 1) {
			if ((keys = calloc(n, sizeof(*keys))) == NULL)
				return SD_ERR_NOMEM;
			i = 0;
			json_object_foreach((json_t *)v, k, val)
				keys[i++] = k;
			qsort(keys, n, sizeof(*keys), cmp_keys);
			for (i = 0; i < n; i++) {
				val = json_object_get(v, keys[i]);
				if ((i > 0 && sd_buf_puts(b, comma) != 0) ||
				    (r = indent(b, flags, depth + 1)) != 0 ||
				    (r = sd_json_quote(b, keys[i], strlen(keys[i]))) != 0 ||
				    sd_buf_puts(b, sep) != 0 ||
				    (r = dump(val, b, flags, depth + 1)) != 0) {
					free(keys);
					return r != 0 ? r : SD_ERR_NOMEM;
				}
			}
			free(keys);
		} else {
			i = 0;
			r = 0;
			json_object_foreach((json_t *)v, k, val) {
				if ((i++ > 0 && sd_buf_puts(b, comma) != 0) ||
				    (r = indent(b, flags, depth + 1)) != 0 ||
				    (r = sd_json_quote(b, k, strlen(k))) != 0 ||
				    sd_buf_puts(b, sep) != 0 ||
				    (r = dump(val, b, flags, depth + 1)) != 0)
					return r != 0 ? r : SD_ERR_NOMEM;
			}
		}
		if (n > 0 && (r = indent(b, flags, depth)) != 0)
			return r;
		return sd_buf_putc(b, '}');
	}
	}
	return SD_ERR_INTERNAL;
}

int
sd_json_dump_buf(const json_t *v, struct sd_buf *b, int flags)
{
	int r;

	if (v == NULL)
		return SD_ERR_INVALID;
	if ((r = dump(v, b, flags, 0)) != 0)
		return r;
	return b->failed ? SD_ERR_NOMEM : 0;
}

char *
sd_json_dumps(const json_t *v, int flags)
{
	struct sd_buf b;

	sd_buf_init(&b, 0);
	if (sd_json_dump_buf(v, &b, flags) != 0) {
		sd_buf_release(&b);
		return NULL;
	}
	return sd_buf_steal(&b);
}

int
sd_json_is_integral(const json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		if (out != NULL)
			*out = json_integer_value(v);
		return 1;
	}
	if (!json_is_real(v))
		return 0;
	d = json_real_value(v);
	if (d != trunc(d) || d < -9.2e18 || d > 9.2e18)
		return 0;
	if (out != NULL)
		*out = (long long)d;
	return 1;
}

double
sd_json_number(const json_t *v)
{
	if (json_is_integer(v))
		return (double)json_integer_value(v);
	if (json_is_real(v))
		return json_real_value(v);
	return 0.0;
}

int
sd_json_equal(const json_t *a, const json_t *b)
{
	size_t i, n;
	const char *k;
	json_t *va;

	if (a == b)
		return 1;
	if (a == NULL || b == NULL)
		return 0;
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return sd_json_number(a) == sd_json_number(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
		    json_string_length(a)) == 0;
	case JSON_ARRAY:
		n = json_array_size(a);
		if (n != json_array_size(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!sd_json_equal(json_array_get(a, i), json_array_get(b, i)))
				return 0;
		return 1;
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, va) {
			if (!sd_json_equal(va, json_object_get(b, k)))
				return 0;
		}
		return 1;
	default:
		return 1;	/* true, false, null: same type */
	}
}

#define SD_JSON_STR_(x)	#x
#define SD_JSON_STR(x)	SD_JSON_STR_(x)

const char *
sd_json_reason(const json_error_t *je)
{
	if (json_error_code(je) == json_error_stack_overflow)
		return "nested deeper than the limit of "
		    SD_JSON_STR(SD_JSON_MAX_DEPTH) " levels of arrays and objects";
	return je->text;
}

json_t *
sd_json_loadb(const char *buf, size_t len, int flags, const char *what,
    struct sd_error *err)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(buf, len, flags | JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (v == NULL) {
		char loc[64];

		if (snprintf(loc, sizeof(loc), "line %d, column %d", je.line,
		    je.column) < 0)
			loc[0] = '\0';
		sd_error_set(err, SD_ERR_PARSE, NULL, "%s is not valid JSON (%s): "
		    "%s", what != NULL ? what : "input", loc, sd_json_reason(&je));
	}
	return v;
}

int
sd_read_file(const char *path, size_t max, char **out, size_t *outlen,
    struct sd_error *err)
{
	struct sd_buf b;
	char chunk[65536];
	ssize_t n;
	int fd;

	*out = NULL;
	if (outlen != NULL)
		*outlen = 0;
	if (strcmp(path, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot open %s: %s",
		    path, strerror(errno));
	sd_buf_init(&b, max);
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			sd_error_set(err, SD_ERR_IO, NULL, "cannot read %s: %s",
			    path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (sd_buf_append(&b, chunk, (size_t)n) != 0) {
			sd_error_set(err, SD_ERR_LIMIT, NULL,
			    "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	if (fd != STDIN_FILENO && close(fd) != 0) {
		fd = STDIN_FILENO;
		sd_error_set(err, SD_ERR_IO, NULL, "cannot close %s: %s", path,
		    strerror(errno));
		goto fail;
	}
	if (outlen != NULL)
		*outlen = b.len;
	if ((*out = sd_buf_steal(&b)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	return 0;
 fail:
	if (fd != STDIN_FILENO)
		(void)close(fd);
	sd_buf_release(&b);
	return err != NULL ? err->code : SD_ERR_IO;
}

json_t *
sd_json_load_file(const char *path, int flags, struct sd_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	json_t *v;

	if (sd_read_file(path, 64 * 1024 * 1024, &buf, &len, err) != 0)
		return NULL;
	v = sd_json_loadb(buf, len, flags, path, err);
	free(buf);
	return v;
}

const char *
sd_json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "object";
	case JSON_ARRAY:	return "array";
	case JSON_STRING:	return "string";
	case JSON_INTEGER:
	case JSON_REAL:		return "number";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	case JSON_NULL:		return "null";
	}
	return "unknown";
}

int
sd_write_all(int fd, const void *p, size_t n, struct sd_error *err)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return sd_error_set(err, SD_ERR_IO, NULL, "write: %s",
			    strerror(errno));
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
sd_sync_files(const char *dir, const char *const *names, int optional,
    struct sd_error *err)
{
	char path[4400];
	int fd, n, r = 0;

	for (; r == 0 && *names != NULL; names++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir, *names);
		if (n < 0 || (size_t)n >= sizeof(path))
			return sd_error_set(err, SD_ERR_OVERFLOW, dir, "path "
			    "too long");
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
			if (errno == ENOENT && optional)
				continue;
			return sd_error_set(err, SD_ERR_IO, path, "open: %s",
			    strerror(errno));
		}
		if (fsync(fd) == -1)
			r = sd_error_set(err, SD_ERR_IO, path, "fsync: %s",
			    strerror(errno));
		(void)close(fd);
	}
	return r;
}
