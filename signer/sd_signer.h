/*
 * sd_signer: the stepdeploy-signer daemon, the one process that holds the
 * AWS credentials (daemon.c), and its hardening and seccomp sandbox
 * (sandbox.c). signer/main.c only strings these together:
 *
 *	sd_signer_nodump	not dumpable, no core files (first thing)
 *	sd_signer_new		policy, credentials (opened once, fd kept),
 *				listening socket, SigV4 self-test, signals
 *	sd_signer_daemonize	unless --foreground
 *	sd_signer_memlock	mlockall (a warning when not permitted)
 *	sd_signer_drop		setgroups/setresgid/setresuid, chdir("/")
 *	sd_signer_sandbox	no_new_privs, RLIMIT_NPROC/FSIZE 0, seccomp
 *	sd_signer_run		the loop, until SIGTERM or SIGINT
 *
 * Protocol (sd_msg framing, one Unix stream socket, several requests per
 * connection): SD_MSG_SIGN_REQUEST (see sd_sign_policy.h) is answered by
 * SD_MSG_SIGN_RESPONSE {"headers": [[name, value], ...]} holding only the
 * headers to add (X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256,
 * Authorization, each when it applies), or by SD_MSG_ERROR {"code",
 * "message"}. A refused request leaves the connection open; a frame that
 * is oversized, of another type or not a JSON object gets an SD_MSG_ERROR
 * and the connection is closed. A peer whose uid (SO_PEERCRED) is not in
 * the policy's sockets.sign gets an SD_MSG_ERROR and is closed.
 *
 * SIGHUP re-reads the credentials from the descriptor opened at start
 * (see sd_creds.h); the policy is read once (a change needs a restart).
 */
#ifndef SD_SIGNER_H
#define SD_SIGNER_H

#include <sys/types.h>

#include "sd_err.h"

#define SD_SIGNER_DEFAULT_SOCKET	"/run/stepdeploy/sign.sock"
#define SD_SIGNER_MAX_CLIENTS		16
#define SD_SIGNER_FRAME_TIMEOUT		30	/* s to finish a frame */
#define SD_SIGNER_IDLE_TIMEOUT		600	/* s of silence */

struct sd_signer_opts {
	const char	*policy;	/* NULL: SD_POLICY_DEFAULT_PATH */
	const char	*socket;	/* NULL: SD_SIGNER_DEFAULT_SOCKET */
	/* NULL: $CREDENTIALS_DIRECTORY/aws, else the policy's file */
	const char	*credentials;
	const char	*profile;	/* NULL: "default" */
	const char	*user;		/* as root: run as this user */
};

struct sd_signer;

/* Before anything secret is read: PR_SET_DUMPABLE 0, RLIMIT_CORE 0. */
int	 sd_signer_nodump(struct sd_error *);
/*
 * Everything that needs the file system or privileges. *out is new
 * (sd_signer_free).
 */
int	 sd_signer_new(const struct sd_signer_opts *, struct sd_signer **out,
	    struct sd_error *);
/* Fork into the background (the parent exits once the child runs). */
int	 sd_signer_daemonize(struct sd_error *);
/*
 * mlockall(MCL_CURRENT | MCL_FUTURE); when that is not permitted a
 * warning is logged and 0 returned. Skipped under AddressSanitizer (its
 * shadow memory cannot be locked).
 */
int	 sd_signer_memlock(struct sd_error *);
/* Switch to opts->user (if any), chdir("/"), and re-check dumpability. */
int	 sd_signer_drop(struct sd_signer *, struct sd_error *);
/* PR_SET_NO_NEW_PRIVS, RLIMIT_NPROC 0, RLIMIT_FSIZE 0, the seccomp filter. */
int	 sd_signer_sandbox(struct sd_error *);
/* Serve until SIGTERM or SIGINT; 0 on a clean stop. */
int	 sd_signer_run(struct sd_signer *, struct sd_error *);
/* Closes everything and wipes the credentials; NULL-safe. */
void	 sd_signer_free(struct sd_signer *);

#endif /* SD_SIGNER_H */
