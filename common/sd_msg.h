/*
 * sd_msg: the framing of every message that crosses a stepdeploy socket.
 *
 *	u32 length (big-endian, of type + payload) | u8 type | payload
 *
 * The receiver checks the length against a cap BEFORE allocating, reads
 * exactly that many bytes with a short-read-safe loop, and treats the
 * payload as hostile. Payloads are JSON objects (parsed with duplicate
 * keys refused, then checked field by field by the receiver against the
 * type's fixed shape); SD_MSG_ERROR carries {"code", "message"}.
 */
#ifndef SD_MSG_H
#define SD_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "sd_err.h"

#define SD_MSG_HDR_LEN		5
#define SD_MSG_ONE_WRITE	((size_t)16 * 1024)	/* frames sent in one write */
#define SD_MSG_MAX_DEFAULT	((size_t)1 << 20)	/* 1 MiB */
#define SD_MSG_MAX_ABSOLUTE	((size_t)64 << 20)	/* never more */

enum sd_msg_type {
	SD_MSG_ERROR		= 1,	/* {"code": int, "message": str} */
	SD_MSG_OK		= 2,	/* {} or a reply object */
	SD_MSG_PROGRESS		= 3,	/* {"step", "detail"?}: a step done */
	SD_MSG_SIGN_REQUEST	= 10,	/* uploader -> signer */
	SD_MSG_SIGN_RESPONSE	= 11,	/* signer -> uploader */
	SD_MSG_SUBMIT		= 20,	/* CI -> validator */
	SD_MSG_SUBMIT_RESULT	= 21,
	SD_MSG_CHUNK		= 22,	/* raw bytes of a streamed file */
	SD_MSG_EXEC_REQUEST	= 30,	/* validator -> executor */
	SD_MSG_EXEC_RESULT	= 31,
	SD_MSG_DEPLOY		= 40,	/* validator -> uploader */
	SD_MSG_DEPLOY_RESULT	= 41,
	SD_MSG_STATUS		= 50,
	SD_MSG_STATUS_RESULT	= 51,
	SD_MSG_HALT		= 60,	/* {"release_id"} */
};

/* The largest CHUNK payload a sender makes (a receiver allows no more). */
#define SD_MSG_CHUNK_MAX	((size_t)64 * 1024)

/*
 * The hard maximum of a type's payload: a frame declaring more is refused
 * before anything is allocated, whatever max the reader passes. 0 for a
 * type that is not one.
 */
size_t	 sd_msg_type_max(int type);

/*
 * A daemon's dispatch table: which types it takes, from which of its
 * peers' roles (a bit mask the daemon defines: its submitters, the
 * validator, ...), and the handler. A frame of a type not in the table,
 * or from a role the entry does not list, is refused: the daemon logs
 * it and closes that connection. SD_MSG_ROUTE_ONCE makes an entry good
 * for the first frame of a connection only.
 */
struct sd_msg_conn {
	int		 fd;
	uid_t		 uid;		/* SO_PEERCRED */
	pid_t		 pid;
	unsigned	 roles;		/* the daemon's bits for this uid */
	unsigned	 nframes;	/* frames taken so far */
	void		*arg;		/* the daemon's */
};

#define SD_MSG_ROUTE_ONCE	0x1

struct sd_msg_route {
	uint8_t		 type;
	unsigned	 roles;		/* any of these may send it */
	unsigned	 flags;
	int		(*handler)(struct sd_msg_conn *, json_t *payload,
			    struct sd_error *err);
};

/*
 * Read one frame of conn (at most the type's sd_msg_type_max), find its
 * route, check it is permitted, parse the payload as one JSON object and
 * call the handler (the payload is freed after). Returns the handler's
 * result; SD_ERR_INVALID (with a message naming the type and the
 * uid, for the caller to log) for an unknown, unpermitted or once-only
 * type; the reader's error
 * for a malformed or oversized frame or a closed connection.
 */
int	 sd_msg_dispatch(const struct sd_msg_route *table, size_t n,
	    struct sd_msg_conn *conn, struct sd_error *err);

/* Read one frame of exactly the type want (anything else is refused). */
int	 sd_msg_expect_json(int fd, uint8_t want, json_t **obj,
	    struct sd_error *err);

/* Progress: SD_MSG_PROGRESS {"step": step, "detail": detail?}. */
int	 sd_msg_write_progress(int fd, const char *step, const char *detail,
	    struct sd_error *err);

/* Name of a type ("SIGN_REQUEST"), or NULL when it is not one. */
const char *sd_msg_type_name(int type);

/*
 * Parse one frame at the start of buf (len bytes). On success *type,
 * *payload (borrowed, inside buf), *plen and *consumed (header + payload)
 * are set. Returns 0; SD_ERR_PARSE and *consumed 0 when more bytes are
 * needed; SD_ERR_LIMIT when the declared length is over max;
 * SD_ERR_INVALID for an unknown type or a zero length.
 */
int	 sd_msg_parse(const unsigned char *buf, size_t len, size_t max,
	    uint8_t *type, const unsigned char **payload, size_t *plen,
	    size_t *consumed, struct sd_error *err);

/* Write one frame; loops over short writes and EINTR. */
int	 sd_msg_write(int fd, uint8_t type, const void *payload, size_t len,
	    struct sd_error *err);
/*
 * Read one frame of at most max bytes. *payload is new (NUL-terminated for
 * convenience). Returns SD_ERR_IO with err "connection closed" on a clean
 * EOF before any byte, SD_ERR_PARSE on EOF inside a frame.
 */
int	 sd_msg_read(int fd, size_t max, uint8_t *type, unsigned char **payload,
	    size_t *len, struct sd_error *err);

/* A JSON object payload (serialised compactly). */
int	 sd_msg_write_json(int fd, uint8_t type, json_t *obj,
	    struct sd_error *err);
/* Read a frame whose payload must be one JSON object (new). */
int	 sd_msg_read_json(int fd, size_t max, uint8_t *type, json_t **obj,
	    struct sd_error *err);
/* Reply SD_MSG_ERROR {"code", "message"}. */
int	 sd_msg_write_error(int fd, int code, const char *message,
	    struct sd_error *err);

/* The connected peer's uid and pid (SO_PEERCRED). */
int	 sd_msg_peer(int fd, uid_t *uid, pid_t *pid, struct sd_error *err);

#endif /* SD_MSG_H */
