/*
 * sd_serve: the loop of the validator, executor and uploader daemons.
 *
 * The daemon listens on one Unix socket (sd_sock_listen). For each
 * connection the loop asks SO_PEERCRED who it is and the daemon's roles
 * callback what that uid may do here: no role at all is refused with one
 * SD_MSG_ERROR naming the uid and the socket, and logged. Otherwise a
 * child is forked to serve that connection alone (conn_fn, blocking I/O
 * bounded by io_timeout_ms), so a malformed stream, a hang or a crash
 * ends that connection only and the daemon keeps serving everyone else.
 * At most max_children run at once; later connections wait in the
 * listen backlog. SIGTERM/SIGINT stop the loop (children are left to
 * finish); tick_fn runs in the parent at least every tick_ms, after
 * every reaped child and on SIGUSR1 (a child's kick: kill(getppid(),
 * SIGUSR1)), for the uploader's scheduler. Children start with the
 * default signal dispositions and an unblocked mask.
 */
#ifndef SD_SERVE_H
#define SD_SERVE_H

#include <signal.h>
#include <sys/types.h>

#include "sd_err.h"
#include "sd_msg.h"

struct sd_serve {
	const char	*prog;		/* for the log */
	const char	*sock_name;	/* "submit.sock" */
	int		 lfd;		/* listening, non-blocking */
	unsigned	 max_children;	/* 0: 16 */
	int		 io_timeout_ms;	/* per read/write; 0: 30000 */
	int		 tick_ms;	/* 0: 1000 */
	void		*arg;
	/* The roles of uid (0: refused; then why says so, or a default). */
	unsigned	(*roles_fn)(void *arg, uid_t uid, char *why,
			    size_t whylen);
	/* In the child: serve conn; its return is the child's exit code. */
	int		(*conn_fn)(void *arg, struct sd_msg_conn *conn);
	/* In the parent. */
	void		(*tick_fn)(void *arg);
	/* In the parent, for every child reaped that is not a connection's
	 * (a worker the daemon forked itself); may be NULL. */
	void		(*reap_fn)(void *arg, pid_t pid, int status);
	/* the loop's own */
	sigset_t	 child_mask;	/* the signal mask children start with */
	pid_t		 parent;	/* the loop's process */
};

/* Run until SIGTERM or SIGINT: 0, or an error of the loop itself. */
int	 sd_serve_run(struct sd_serve *, struct sd_error *err);

/* In a child the daemon forks itself (from tick_fn): the dispositions
 * and mask a child starts with, the listening socket closed. */
void	 sd_serve_child_init(struct sd_serve *);

/* 1 once SIGTERM or SIGINT arrived (for long tick_fn work). */
int	 sd_serve_stopping(void);

/*
 * Serve conn's frames through table until the peer closes, a handler
 * returns > 0 (it ended the conversation), a handler fails (< 0) or a
 * frame is refused (both logged with the uid, and told to the peer).
 * Returns 0 on a clean end, else 1 (for a child's exit code).
 */
int	 sd_serve_dispatch_loop(const char *prog,
	    const struct sd_msg_route *table, size_t n,
	    struct sd_msg_conn *conn);

#endif /* SD_SERVE_H */
