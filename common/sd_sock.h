/*
 * sd_sock: the Unix sockets the stepdeploy daemons listen on and connect
 * to (submit.sock, exec.sock, deploy.sock, sign.sock).
 */
#ifndef SD_SOCK_H
#define SD_SOCK_H

#include <sys/types.h>

#include "sd_err.h"

/*
 * Listen on a new non-blocking socket at path, created with mode (0660,
 * 0666, ...) from the start and, when owner is not (uid_t)-1, chowned to
 * owner:group. A stale socket file (nobody answers) is replaced; a live
 * one, or a file that is not a socket, is refused. *fd is new.
 */
int	 sd_sock_listen(const char *path, mode_t mode, uid_t owner,
	    gid_t group, int *fd, struct sd_error *err);

/*
 * Connect to the socket at path; timeout_ms (0: none) bounds every later
 * read and write on it (SO_RCVTIMEO/SO_SNDTIMEO). *fd is new. SD_ERR_IO
 * naming the path when nobody listens there.
 */
int	 sd_sock_connect(const char *path, int timeout_ms, int *fd,
	    struct sd_error *err);

/* Bound reads and writes on fd to timeout_ms (0: none). */
int	 sd_sock_timeout(int fd, int timeout_ms, struct sd_error *err);

#endif /* SD_SOCK_H */
