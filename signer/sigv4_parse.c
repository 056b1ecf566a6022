/*
 * sigv4_parse.c: a raw HTTP/1.1 request (the SigV4 test suite's
 * request.txt form) into a struct sd_sigv4_request. The input is hostile:
 * every size is bounded, the head may hold no NUL or control bytes, and
 * each refusal names the line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_sigv4.h"

#define MAX_METHOD	32
#define MAX_HEAD	((size_t)1024 * 1024)	/* request line + headers */

struct parsed {
	struct sd_sigv4_request	req;	/* first: _free casts back */
	struct sd_sigv4_header	hdr[SD_SIGV4_MAX_HEADERS];
	size_t			size;	/* of the whole allocation */
	char			data[];	/* copy of the raw request + NUL */
};

struct line {
	size_t	start;		/* first byte */
	size_t	end;		/* past the last byte, before CR LF / LF */
	size_t	next;		/* first byte of the next line */
};

static void
next_line(const char *d, size_t len, size_t pos, struct line *l)
{
	const char *nl;

	l->start = pos;
	nl = memchr(d + pos, '\n', len - pos);
	if (nl == NULL) {
		l->end = l->next = len;
		return;
	}
	l->end = (size_t)(nl - d);
	l->next = l->end + 1;
	if (l->end > l->start && d[l->end - 1] == '\r')
		l->end--;
}

static int
tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Bytes a line of the head may hold: visible, SP, HTAB, >= 0x80. */
static int
head_bytes_ok(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
request_line(struct parsed *pr, const struct line *l, struct sd_error *err)
{
	const char *d = pr->data, *sp, *lsp, *q;
	size_t n = l->end - l->start, tl;
	const char *s = d + l->start;
	size_t i;

	if (n == 0)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "empty request line");
	if (!head_bytes_ok(s, n))
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "control character in the request line");
	if ((sp = memchr(s, ' ', n)) == NULL ||
	    (lsp = memrchr(s, ' ', n)) == sp)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "request line is not \"METHOD TARGET HTTP/1.1\"");
	if ((size_t)(s + n - (lsp + 1)) != 8 ||
	    memcmp(lsp + 1, "HTTP/1.1", 8) != 0)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "HTTP version must be HTTP/1.1");
	if (sp == s || (size_t)(sp - s) > MAX_METHOD)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "method must be 1-%d characters", MAX_METHOD);
	for (i = 0; i < (size_t)(sp - s); i++)
		if (!tchar((unsigned char)s[i]))
			return sd_error_set(err, SD_ERR_PARSE, "line 1",
			    "method is not an HTTP token");
	pr->req.method = s;
	pr->req.method_len = (size_t)(sp - s);

	tl = (size_t)(lsp - sp - 1);
	if (tl == 0 || sp[1] != '/')
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "request target must be a path starting with '/'");
	if (memchr(sp + 1, '#', tl) != NULL)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "request target holds a fragment ('#')");
	pr->req.path = sp + 1;
	if ((q = memchr(sp + 1, '?', tl)) == NULL) {
		pr->req.path_len = tl;
		pr->req.query = NULL;
		pr->req.query_len = 0;
	} else {
		pr->req.path_len = (size_t)(q - (sp + 1));
		pr->req.query = q + 1;
		pr->req.query_len = tl - pr->req.path_len - 1;
	}
	if (pr->req.path_len > SD_SIGV4_MAX_TARGET ||
	    pr->req.query_len > SD_SIGV4_MAX_TARGET)
		return sd_error_set(err, SD_ERR_LIMIT, "line 1",
		    "path or query longer than %d bytes",
		    SD_SIGV4_MAX_TARGET);
	return 0;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
find_host(struct parsed *pr, struct sd_error *err)
{
	const struct sd_sigv4_header *h;
	const char *v = NULL;
	size_t i, n = 0, found = 0, k;

	for (i = 0; i < pr->req.nheaders; i++) {
		h = &pr->hdr[i];
		if (h->name_len != 4 || strncasecmp(h->name, "host", 4) != 0)
			continue;
		found++;
		v = h->value;
		n = h->value_len;
	}
	if (found != 1)
		return sd_error_set(err, SD_ERR_PARSE, "headers",
		    found == 0 ? "no Host header" : "more than one Host header");
	while (n > 0 && is_ws(v[0])) {
		v++;
		n--;
	}
	while (n > 0 && is_ws(v[n - 1]))
		n--;
	if (n == 0)
		return sd_error_set(err, SD_ERR_PARSE, "headers",
		    "empty Host header");
	for (k = 0; k < n; k++)
		if (is_ws(v[k]) || v[k] == ',')
			return sd_error_set(err, SD_ERR_PARSE, "headers",
			    "Host header holds more than one host");
	pr->req.host = v;
	pr->req.host_len = n;
	return 0;
}

int
sd_sigv4_request_parse(const char *raw, size_t len,
    struct sd_sigv4_request **out, struct sd_error *err)
{
	struct parsed *pr = NULL;
	struct sd_sigv4_header *h = NULL;
	struct line l;
	const char *d, *colon;
	size_t pos, lineno = 1, i, hstart = 0, size;
	int r = SD_ERR_INTERNAL;

	if (out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "sd_sigv4_request_parse: no result pointer");
	*out = NULL;
	if (raw == NULL && len != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "sd_sigv4_request_parse: length without data");
	if (len > MAX_HEAD + SD_SIGV4_MAX_BODY)
		return sd_error_set(err, SD_ERR_LIMIT, NULL,
		    "request larger than %zu bytes",
		    MAX_HEAD + SD_SIGV4_MAX_BODY);
	if (len == 0)
		return sd_error_set(err, SD_ERR_PARSE, "line 1",
		    "empty request");
	size = sizeof(*pr) + len + 1;	/* len is bounded above */
	if ((pr = calloc(1, size)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	pr->size = size;
	memcpy(pr->data, raw, len);
	pr->data[len] = '\0';
	d = pr->data;
	pr->req.headers = pr->hdr;

	next_line(d, len, 0, &l);
	if ((r = request_line(pr, &l, err)) != 0)
		goto out;
	pos = l.next;

	while (pos < len) {
		lineno++;
		next_line(d, len, pos, &l);
		pos = l.next;
		if (l.end == l.start)
			break;		/* the blank line: the body follows */
		if (l.next - l.start > SD_SIGV4_MAX_LINE ||
		    pos > MAX_HEAD) {
			r = sd_error_set(err, SD_ERR_LIMIT, NULL,
			    "line %zu: longer than %d bytes, or the head "
			    "longer than %zu", lineno, SD_SIGV4_MAX_LINE,
			    MAX_HEAD);
			goto out;
		}
		if (!head_bytes_ok(d + l.start, l.end - l.start)) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: control character in a header", lineno);
			goto out;
		}
		if (d[l.start] == ' ' || d[l.start] == '\t') {
			/* A continuation: the value runs on to here. */
			if (h == NULL) {
				r = sd_error_set(err, SD_ERR_PARSE, NULL,
				    "line %zu: continuation line before any "
				    "header", lineno);
				goto out;
			}
			if (l.end - hstart > SD_SIGV4_MAX_LINE) {
				r = sd_error_set(err, SD_ERR_LIMIT, NULL,
				    "line %zu: header longer than %d bytes",
				    lineno, SD_SIGV4_MAX_LINE);
				goto out;
			}
			h->value_len = l.end - (size_t)(h->value - d);
			continue;
		}
		if ((colon = memchr(d + l.start, ':', l.end - l.start)) ==
		    NULL) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: header line without ':'", lineno);
			goto out;
		}
		if (pr->req.nheaders >= SD_SIGV4_MAX_HEADERS) {
			r = sd_error_set(err, SD_ERR_LIMIT, NULL,
			    "line %zu: more than %d headers", lineno,
			    SD_SIGV4_MAX_HEADERS);
			goto out;
		}
		h = &pr->hdr[pr->req.nheaders++];
		hstart = l.start;
		h->name = d + l.start;
		h->name_len = (size_t)(colon - h->name);
		if (h->name_len == 0 || h->name_len > SD_SIGV4_MAX_NAME) {
			r = sd_error_set(err, SD_ERR_PARSE, NULL,
			    "line %zu: header name must be 1-%d characters",
			    lineno, SD_SIGV4_MAX_NAME);
			goto out;
		}
		for (i = 0; i < h->name_len; i++)
			if (!tchar((unsigned char)h->name[i])) {
				r = sd_error_set(err, SD_ERR_PARSE, NULL,
				    "line %zu: header name is not an HTTP "
				    "token (no spaces before ':')", lineno);
				goto out;
			}
		h->value = colon + 1;
		h->value_len = l.end - (size_t)(h->value - d);
	}
	/* Without a blank line the head ran to the end: no body. */
	if (len - pos > SD_SIGV4_MAX_BODY) {
		r = sd_error_set(err, SD_ERR_LIMIT, "body",
		    "body larger than %d bytes", SD_SIGV4_MAX_BODY);
		goto out;
	}
	pr->req.body = d + pos;
	pr->req.body_len = len - pos;
	if ((r = find_host(pr, err)) != 0)
		goto out;
	*out = &pr->req;
	pr = NULL;
	r = 0;
 out:
	if (pr != NULL) {
		OPENSSL_cleanse(pr, pr->size);
		free(pr);
	}
	return r;
}

void
sd_sigv4_request_free(struct sd_sigv4_request *req)
{
	struct parsed *pr = (struct parsed *)req;

	if (pr == NULL)
		return;
	OPENSSL_cleanse(pr, pr->size);
	free(pr);
}

char *
sd_sigv4_request_format(const struct sd_sigv4_request *req,
    const struct sd_sigv4_result *res, size_t *len)
{
	const struct sd_sigv4_header *h;
	struct sd_buf b;
	size_t i;
	char *s;

	if (len != NULL)
		*len = 0;
	if (req == NULL || res == NULL)
		return NULL;
	sd_buf_init(&b, 0);
	(void)sd_buf_append(&b, req->method, req->method_len);
	(void)sd_buf_putc(&b, ' ');
	if (req->path == NULL || req->path_len == 0)
		(void)sd_buf_putc(&b, '/');
	else
		(void)sd_buf_append(&b, req->path, req->path_len);
	if (res->query != NULL) {
		(void)sd_buf_putc(&b, '?');
		(void)sd_buf_append(&b, res->query, res->query_len);
	} else if (req->query != NULL) {
		(void)sd_buf_putc(&b, '?');
		(void)sd_buf_append(&b, req->query, req->query_len);
	}
	(void)sd_buf_puts(&b, " HTTP/1.1\n");
	for (i = 0; i < req->nheaders + res->nadd; i++) {
		h = i < req->nheaders ? &req->headers[i] :
		    &res->add[i - req->nheaders];
		(void)sd_buf_append(&b, h->name, h->name_len);
		(void)sd_buf_putc(&b, ':');
		(void)sd_buf_append(&b, h->value, h->value_len);
		(void)sd_buf_putc(&b, '\n');
	}
	(void)sd_buf_putc(&b, '\n');
	if (req->body != NULL)
		(void)sd_buf_append(&b, req->body, req->body_len);
	if (b.failed) {
		sd_buf_release(&b);
		return NULL;
	}
	i = b.len;
	if ((s = sd_buf_steal(&b)) != NULL && len != NULL)
		*len = i;
	return s;
}
