/*
 * serve.c: the fork-per-connection loop of the daemons (see sd_serve.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sd_log.h"
#include "sd_audit.h"
#include "sd_serve.h"
#include "sd_sock.h"

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_chld;
static volatile sig_atomic_t got_kick;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGUSR1)
		got_kick = 1;
	else
		got_term = 1;
}

int
sd_serve_stopping(void)
{
	return got_term != 0;
}

struct kids {
	pid_t		*pid;
	unsigned	 n, max;
};

static int
kid_remove(struct kids *k, pid_t pid)
{
	unsigned i;

	for (i = 0; i < k->n; i++)
		if (k->pid[i] == pid) {
			k->pid[i] = k->pid[--k->n];
			return 1;
		}
	return 0;
}

static void
reap(struct sd_serve *s, struct kids *k)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (kid_remove(k, pid)) {
			if (WIFSIGNALED(st))
				sd_warn("connection %ld: killed by signal %d",
				    (long)pid, WTERMSIG(st));
		} else if (s->reap_fn != NULL)
			s->reap_fn(s->arg, pid, st);
	}
}

static void
refuse(struct sd_serve *s, int fd, uid_t uid, const char *why)
{
	struct sd_error err = SD_ERROR_INIT;
	char msg[512];

	if (why[0] == '\0')
		(void)snprintf(msg, sizeof(msg), "uid %lu may not connect to "
		    "%s", (unsigned long)uid, s->sock_name);
	else
		(void)snprintf(msg, sizeof(msg), "%s", why);
	sd_warn("refused a connection: %s", msg);
	(void)sd_audit("connection.refused", "refused", (int64_t)uid, NULL,
	    json_pack("{s:s, s:s}", "socket", s->sock_name, "why", msg), 1);
	(void)sd_sock_timeout(fd, 1000, &err);
	if (sd_msg_write_error(fd, SD_ERR_INVALID, msg, &err) != 0)
		sd_debug("%s", sd_error_text(&err));
	sd_error_clear(&err);
}

void
sd_serve_child_init(struct sd_serve *s)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, &s->child_mask, NULL);
	(void)close(s->lfd);
	/* A daemon killed takes its children with it (as systemd's
	 * control group would): no orphan deploys behind a restart. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != s->parent)
		_exit(1);
}

static void
serve_one(struct sd_serve *s, struct kids *k, int fd)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_msg_conn conn;
	char why[512] = "";
	pid_t pid;
	int fl, rc;

	memset(&conn, 0, sizeof(conn));
	conn.fd = fd;
	conn.arg = s->arg;
	if (sd_msg_peer(fd, &conn.uid, &conn.pid, &err) != 0) {
		sd_warn("%s", sd_error_text(&err));
		goto out;
	}
	if ((conn.roles = s->roles_fn(s->arg, conn.uid, why,
	    sizeof(why))) == 0) {
		refuse(s, fd, conn.uid, why);
		goto out;
	}
	if ((pid = fork()) == -1) {
		sd_error("fork: %s", strerror(errno));
		(void)sd_msg_write_error(fd, SD_ERR_INTERNAL, "the service is "
		    "out of processes; try again", &err);
		goto out;
	}
	if (pid == 0) {
		sd_serve_child_init(s);
		if ((fl = fcntl(fd, F_GETFL)) == -1 ||
		    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1 ||
		    sd_sock_timeout(fd, s->io_timeout_ms > 0 ?
		    s->io_timeout_ms : 30000, &err) != 0)
			_exit(1);
		rc = s->conn_fn(s->arg, &conn);
		(void)close(fd);
		_exit(rc);
	}
	k->pid[k->n++] = pid;
	sd_debug("uid %lu pid %ld: served by %ld", (unsigned long)conn.uid,
	    (long)conn.pid, (long)pid);
 out:
	sd_error_clear(&err);
	if (close(fd) == -1)
		sd_warn("close: %s", strerror(errno));
}

int
sd_serve_run(struct sd_serve *s, struct sd_error *err)
{
	struct sigaction sa;
	struct pollfd pfd;
	struct timespec ts;
	struct kids k;
	sigset_t block, wait;
	int tick = s->tick_ms > 0 ? s->tick_ms : 1000, fd, n;

	memset(&k, 0, sizeof(k));
	k.max = s->max_children > 0 ? s->max_children : 16;
	if ((k.pid = calloc(k.max, sizeof(*k.pid))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGCHLD, &sa, NULL) == -1 ||
	    sigaction(SIGUSR1, &sa, NULL) == -1) {
		free(k.pid);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "sigaction: %s", strerror(errno));
	}
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* Signals arrive only inside ppoll: no race with the checks. */
	(void)sigemptyset(&block);
	(void)sigaddset(&block, SIGTERM);
	(void)sigaddset(&block, SIGINT);
	(void)sigaddset(&block, SIGCHLD);
	(void)sigaddset(&block, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &block, &wait) == -1) {
		free(k.pid);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "sigprocmask: %s", strerror(errno));
	}
	(void)sigdelset(&wait, SIGTERM);
	(void)sigdelset(&wait, SIGINT);
	(void)sigdelset(&wait, SIGCHLD);
	(void)sigdelset(&wait, SIGUSR1);
	s->child_mask = wait;
	s->parent = getpid();
	sd_info("listening on %s", s->sock_name);
	if (s->tick_fn != NULL)
		s->tick_fn(s->arg);	/* work left from before a restart */
	while (!got_term) {
		if (got_chld || got_kick) {
			if (got_chld)
				reap(s, &k);
			got_chld = got_kick = 0;
			if (s->tick_fn != NULL)
				s->tick_fn(s->arg);
		}
		pfd.fd = s->lfd;
		pfd.events = k.n < k.max ? POLLIN : 0;
		pfd.revents = 0;
		ts.tv_sec = tick / 1000;
		ts.tv_nsec = (long)(tick % 1000) * 1000000L;
		n = ppoll(&pfd, 1, &ts, &wait);
		if (n == -1 && errno != EINTR) {
			free(k.pid);
			return sd_error_set(err, SD_ERR_IO, NULL, "ppoll: %s",
			    strerror(errno));
		}
		if (n == 0 || n == -1) {
			if (n == 0 && s->tick_fn != NULL)
				s->tick_fn(s->arg);
			continue;
		}
		while (k.n < k.max && (fd = accept4(s->lfd, NULL, NULL,
		    SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1)
			serve_one(s, &k, fd);
		if (s->tick_fn != NULL)
			s->tick_fn(s->arg);
	}
	sd_info("stopping (%u connection(s) still being served)", k.n);
	(void)sigprocmask(SIG_SETMASK, &wait, NULL);
	free(k.pid);
	return 0;
}

int
sd_serve_dispatch_loop(const char *prog, const struct sd_msg_route *table,
    size_t n, struct sd_msg_conn *conn)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	for (;;) {
		r = sd_msg_dispatch(table, n, conn, &err);
		if (r == 0)
			continue;
		if (r > 0)
			return 0;	/* the handler ended the conversation */
		if (r == SD_ERR_IO && conn->nframes > 0 &&
		    strcmp(sd_error_text(&err), "connection closed") == 0) {
			sd_error_clear(&err);
			return 0;
		}
		break;
	}
	sd_warn("%s: uid %lu pid %ld: %s; closing the connection", prog,
	    (unsigned long)conn->uid, (long)conn->pid, sd_error_text(&err));
	/* Say why, when the peer still listens (best effort). */
	if (r != SD_ERR_IO) {
		struct sd_error e2 = SD_ERROR_INIT;

		(void)sd_msg_write_error(conn->fd, r, sd_error_text(&err), &e2);
		sd_error_clear(&e2);
	}
	sd_error_clear(&err);
	return 1;
}
