/*
 * msg.c: framing for stepdeploy's sockets (see sd_msg.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sd_json.h"
#include "sd_msg.h"

const char *
sd_msg_type_name(int type)
{
	switch (type) {
	case SD_MSG_ERROR:		return "ERROR";
	case SD_MSG_OK:			return "OK";
	case SD_MSG_PROGRESS:		return "PROGRESS";
	case SD_MSG_SIGN_REQUEST:	return "SIGN_REQUEST";
	case SD_MSG_SIGN_RESPONSE:	return "SIGN_RESPONSE";
	case SD_MSG_SUBMIT:		return "SUBMIT";
	case SD_MSG_SUBMIT_RESULT:	return "SUBMIT_RESULT";
	case SD_MSG_CHUNK:		return "CHUNK";
	case SD_MSG_EXEC_REQUEST:	return "EXEC_REQUEST";
	case SD_MSG_EXEC_RESULT:	return "EXEC_RESULT";
	case SD_MSG_DEPLOY:		return "DEPLOY";
	case SD_MSG_DEPLOY_RESULT:	return "DEPLOY_RESULT";
	case SD_MSG_STATUS:		return "STATUS";
	case SD_MSG_STATUS_RESULT:	return "STATUS_RESULT";
	case SD_MSG_HALT:		return "HALT";
	default:			return NULL;
	}
}

size_t
sd_msg_type_max(int type)
{
	switch (type) {
	case SD_MSG_ERROR:		return (size_t)16 << 10;
	case SD_MSG_OK:			return (size_t)64 << 10;
	case SD_MSG_PROGRESS:		return (size_t)8 << 10;
	case SD_MSG_SIGN_REQUEST:	return SD_MSG_MAX_DEFAULT;
	case SD_MSG_SIGN_RESPONSE:	return (size_t)64 << 10;
	/* release.json and tests.json, JSON-escaped: the policy's own
	 * limits (2 MiB, 8 MiB by default) are checked on the text */
	case SD_MSG_SUBMIT:		return (size_t)40 << 20;
	case SD_MSG_SUBMIT_RESULT:	return (size_t)4 << 20;
	case SD_MSG_CHUNK:		return SD_MSG_CHUNK_MAX;
	case SD_MSG_EXEC_REQUEST:	return (size_t)40 << 20;
	case SD_MSG_EXEC_RESULT:	return (size_t)4 << 20;
	case SD_MSG_DEPLOY:		return (size_t)16 << 10;
	case SD_MSG_DEPLOY_RESULT:	return (size_t)1 << 20;
	case SD_MSG_STATUS:		return (size_t)4 << 10;
	case SD_MSG_STATUS_RESULT:	return (size_t)4 << 20;
	case SD_MSG_HALT:		return (size_t)4 << 10;
	default:			return 0;
	}
}

static size_t
cap(size_t max)
{
	if (max == 0)
		return SD_MSG_MAX_DEFAULT;
	return max > SD_MSG_MAX_ABSOLUTE ? SD_MSG_MAX_ABSOLUTE : max;
}

/* Check a header; *plen is the payload length. */
static int
check_header(const unsigned char *h, size_t max, uint8_t *type, size_t *plen,
    struct sd_error *err)
{
	uint32_t len = ((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) |
	    ((uint32_t)h[2] << 8) | (uint32_t)h[3];

	if (len == 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "a frame of length 0");
	if ((size_t)len - 1 > cap(max))
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "a frame of %lu "
		    "bytes is over the limit of %zu", (unsigned long)len, cap(max));
	if (sd_msg_type_name(h[4]) == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "unknown message type %u", (unsigned)h[4]);
	if ((size_t)len - 1 > sd_msg_type_max(h[4]))
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "a %s frame of "
		    "%lu bytes is over its limit of %zu",
		    sd_msg_type_name(h[4]), (unsigned long)len,
		    sd_msg_type_max(h[4]));
	*type = h[4];
	*plen = (size_t)len - 1;
	return 0;
}

int
sd_msg_parse(const unsigned char *buf, size_t len, size_t max, uint8_t *type,
    const unsigned char **payload, size_t *plen, size_t *consumed,
    struct sd_error *err)
{
	int r;

	*consumed = 0;
	*payload = NULL;
	*plen = 0;
	if (len < SD_MSG_HDR_LEN)
		return sd_error_set(err, SD_ERR_PARSE, NULL, "incomplete header");
	if ((r = check_header(buf, max, type, plen, err)) != 0)
		return r;
	if (len - SD_MSG_HDR_LEN < *plen)
		return sd_error_set(err, SD_ERR_PARSE, NULL, "incomplete frame: "
		    "%zu of %zu payload bytes", len - SD_MSG_HDR_LEN, *plen);
	*payload = buf + SD_MSG_HDR_LEN;
	*consumed = SD_MSG_HDR_LEN + *plen;
	return 0;
}

static int
write_all(int fd, const void *p, size_t n, struct sd_error *err)
{
	const unsigned char *c = p;
	ssize_t w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w == -1 && errno == ENOTSOCK)
			w = write(fd, c, n);
		if (w == -1) {
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

/* Read exactly n bytes; *got says how many came before EOF. */
static int
read_all(int fd, void *p, size_t n, size_t *got, struct sd_error *err)
{
	unsigned char *c = p;
	ssize_t rd;

	*got = 0;
	while (*got < n) {
		rd = read(fd, c + *got, n - *got);
		if (rd == -1) {
			if (errno == EINTR)
				continue;
			return sd_error_set(err, SD_ERR_IO, NULL, "read: %s",
			    strerror(errno));
		}
		if (rd == 0)
			return sd_error_set(err, *got == 0 ? SD_ERR_IO :
			    SD_ERR_PARSE, NULL, *got == 0 ? "connection closed" :
			    "connection closed inside a frame");
		*got += (size_t)rd;
	}
	return 0;
}

int
sd_msg_write(int fd, uint8_t type, const void *payload, size_t len,
    struct sd_error *err)
{
	unsigned char h[SD_MSG_HDR_LEN];
	uint32_t n;
	int r;

	if (len > SD_MSG_MAX_ABSOLUTE || sd_msg_type_name(type) == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "refusing to send a bad frame");
	n = (uint32_t)len + 1;
	h[0] = (unsigned char)(n >> 24);
	h[1] = (unsigned char)(n >> 16);
	h[2] = (unsigned char)(n >> 8);
	h[3] = (unsigned char)n;
	h[4] = type;
	/* A small frame goes in one write: one wakeup for the reader. */
	if (len <= SD_MSG_ONE_WRITE) {
		unsigned char one[SD_MSG_HDR_LEN + SD_MSG_ONE_WRITE];

		memcpy(one, h, sizeof(h));
		if (len > 0)
			memcpy(one + sizeof(h), payload, len);
		return write_all(fd, one, sizeof(h) + len, err);
	}
	if ((r = write_all(fd, h, sizeof(h), err)) != 0)
		return r;
	return write_all(fd, payload, len, err);
}

int
sd_msg_read(int fd, size_t max, uint8_t *type, unsigned char **payload,
    size_t *len, struct sd_error *err)
{
	unsigned char h[SD_MSG_HDR_LEN], *p = NULL;
	size_t plen, got;
	int r;

	*payload = NULL;
	*len = 0;
	if ((r = read_all(fd, h, sizeof(h), &got, err)) != 0) {
		if (r == SD_ERR_IO && got > 0)
			r = SD_ERR_PARSE;
		return r;
	}
	if ((r = check_header(h, max, type, &plen, err)) != 0)
		return r;
	if ((p = malloc(plen + 1)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((r = read_all(fd, p, plen, &got, err)) != 0) {
		free(p);
		return r == SD_ERR_IO && got == 0 && plen > 0 ?
		    sd_error_set(err, SD_ERR_PARSE, NULL,
		    "connection closed inside a frame") : r;
	}
	p[plen] = '\0';
	*payload = p;
	*len = plen;
	return 0;
}

int
sd_msg_write_json(int fd, uint8_t type, json_t *obj, struct sd_error *err)
{
	char *s;
	int r;

	if (!json_is_object(obj))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "a message payload must be a JSON object");
	if ((s = sd_json_dumps(obj, 0)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = sd_msg_write(fd, type, s, strlen(s), err);
	free(s);
	return r;
}

int
sd_msg_read_json(int fd, size_t max, uint8_t *type, json_t **obj,
    struct sd_error *err)
{
	unsigned char *p = NULL;
	size_t len;
	json_t *v;
	int r;

	*obj = NULL;
	if ((r = sd_msg_read(fd, max, type, &p, &len, err)) != 0)
		return r;
	v = sd_json_loadb((const char *)p, len, JSON_REJECT_DUPLICATES,
	    "the message payload", err);
	free(p);
	if (v == NULL)
		return SD_ERR_PARSE;
	if (!json_is_object(v)) {
		json_decref(v);
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "a message payload must be a JSON object");
	}
	*obj = v;
	return 0;
}

int
sd_msg_write_error(int fd, int code, const char *message, struct sd_error *err)
{
	json_t *o = json_pack("{s:i, s:s}", "code", code, "message",
	    message != NULL ? message : "");
	int r;

	if (o == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = sd_msg_write_json(fd, SD_MSG_ERROR, o, err);
	json_decref(o);
	return r;
}

int
sd_msg_peer(int fd, uid_t *uid, pid_t *pid, struct sd_error *err)
{
	struct ucred uc;
	socklen_t l = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &l) == -1 ||
	    l != sizeof(uc))
		return sd_error_set(err, SD_ERR_IO, NULL, "SO_PEERCRED: %s",
		    strerror(errno));
	if (uid != NULL)
		*uid = uc.uid;
	if (pid != NULL)
		*pid = uc.pid;
	return 0;
}

int
sd_msg_expect_json(int fd, uint8_t want, json_t **obj, struct sd_error *err)
{
	uint8_t type;
	int r;

	if ((r = sd_msg_read_json(fd, 0, &type, obj, err)) != 0)
		return r;
	if (type == want)
		return 0;
	if (type == SD_MSG_ERROR) {
		const char *m = json_string_value(json_object_get(*obj,
		    "message"));

		r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s",
		    m != NULL ? m : "refused");
	} else
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "expected a %s "
		    "message, got %s", sd_msg_type_name(want),
		    sd_msg_type_name(type));
	json_decref(*obj);
	*obj = NULL;
	return r;
}

int
sd_msg_write_progress(int fd, const char *step, const char *detail,
    struct sd_error *err)
{
	json_t *o = json_pack("{s:s, s:s?}", "step", step, "detail", detail);
	int r;

	if (o == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = sd_msg_write_json(fd, SD_MSG_PROGRESS, o, err);
	json_decref(o);
	return r;
}

int
sd_msg_dispatch(const struct sd_msg_route *table, size_t n,
    struct sd_msg_conn *conn, struct sd_error *err)
{
	const struct sd_msg_route *rt = NULL;
	json_t *obj = NULL;
	uint8_t type;
	size_t i;
	int r;

	if ((r = sd_msg_read_json(conn->fd, 0, &type, &obj, err)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if (table[i].type == type) {
			rt = &table[i];
			break;
		}
	if (rt == NULL)
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "a %s message is "
		    "not taken on this socket", sd_msg_type_name(type));
	else if ((rt->roles & conn->roles) == 0)
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "uid %lu may not "
		    "send %s here", (unsigned long)conn->uid,
		    sd_msg_type_name(type));
	else if ((rt->flags & SD_MSG_ROUTE_ONCE) && conn->nframes > 0)
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s only as a "
		    "connection's first message", sd_msg_type_name(type));
	else {
		conn->nframes++;
		r = rt->handler(conn, obj, err);
	}
	json_decref(obj);
	return r;
}
