/*
 * sock.c: listening on and connecting to the daemons' Unix sockets (see
 * sd_sock.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "sd_log.h"
#include "sd_sock.h"

static int
fill_addr(struct sockaddr_un *sa, const char *path, struct sd_error *err)
{
	int n;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	if (n <= 0 || (size_t)n >= sizeof(sa->sun_path))
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "a socket path must be 1-%zu bytes",
		    sizeof(sa->sun_path) - 1);
	return 0;
}

int
sd_sock_listen(const char *path, mode_t mode, uid_t owner, gid_t group,
    int *fd_out, struct sd_error *err)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd = -1, probe = -1, r, n;

	*fd_out = -1;
	if ((r = fill_addr(&sa, path, err)) != 0)
		return r;
	r = SD_ERR_IO;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return sd_error_set(err, SD_ERR_INVALID, path,
			    "exists and is not a socket");
		/* A live daemon answers; a stale socket refuses. */
		if ((probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			return sd_error_set(err, SD_ERR_IO, NULL, "socket: %s",
			    strerror(errno));
		if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			r = sd_error_set(err, SD_ERR_INVALID, path,
			    "another process listens on this socket");
			goto out;
		}
		if (unlink(path) == -1) {
			r = sd_error_set(err, SD_ERR_IO, path,
			    "cannot remove the stale socket: %s",
			    strerror(errno));
			goto out;
		}
	} else if (errno != ENOENT)
		return sd_error_set(err, SD_ERR_IO, path, "lstat: %s",
		    strerror(errno));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "socket: %s",
		    strerror(errno));
		goto out;
	}
	/* Created with its mode from the start: no window with a wider one. */
	old = umask((mode_t)(~mode & 0777));
	n = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	(void)umask(old);
	if (n == -1) {
		r = sd_error_set(err, SD_ERR_IO, path, "bind: %s",
		    strerror(errno));
		goto out;
	}
	if (chmod(path, mode) == -1 || (owner != (uid_t)-1 &&
	    chown(path, owner, group) == -1)) {
		r = sd_error_set(err, SD_ERR_IO, path, "chmod/chown: %s",
		    strerror(errno));
		goto out;
	}
	if (listen(fd, 64) == -1) {
		r = sd_error_set(err, SD_ERR_IO, path, "listen: %s",
		    strerror(errno));
		goto out;
	}
	*fd_out = fd;
	fd = -1;
	r = 0;
 out:
	if (probe != -1 && close(probe) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "close: %s",
		    strerror(errno));
	if (fd != -1 && close(fd) == -1)
		sd_warn("close: %s", strerror(errno));
	return r;
}

int
sd_sock_timeout(int fd, int timeout_ms, struct sd_error *err)
{
	struct timeval tv;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "setsockopt: %s",
		    strerror(errno));
	return 0;
}

int
sd_sock_connect(const char *path, int timeout_ms, int *fd_out,
    struct sd_error *err)
{
	struct sockaddr_un sa;
	int fd, r;

	*fd_out = -1;
	if ((r = fill_addr(&sa, path, err)) != 0)
		return r;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "socket: %s",
		    strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, path, "connect: %s",
		    strerror(errno));
		(void)close(fd);
		return r;
	}
	if (timeout_ms > 0 && (r = sd_sock_timeout(fd, timeout_ms, err)) != 0) {
		(void)close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
}
