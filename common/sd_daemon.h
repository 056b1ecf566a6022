/*
 * sd_daemon: what the validator, executor and uploader daemons share
 * from the command line to the sandbox: the common options, the policy,
 * the user to run as, the listening socket, the state directory, going
 * into the background, and dropping privileges.
 *
 * Options (SD_DAEMON_LONGOPTS, taken by sd_daemon_option):
 *	--policy FILE	the policy (default /etc/stepdeploy/policy.json)
 *	--socket PATH	where to listen (each daemon has its default)
 *	--state-dir DIR	its own files (spool, journals, queue), created with
 *			mode 0750 when missing
 *	--user USER	started as root: run as USER
 *	--foreground	do not fork into the background
 *	--log-json	log one JSON object per line
 *	--log-level L	debug, info, warn or error
 *	--audit-log FILE the daemon's audit log (default STATE_DIR/audit.log;
 *			made, with a warning naming its key, when missing)
 */
#ifndef SD_DAEMON_H
#define SD_DAEMON_H

#include <getopt.h>
#include <sys/types.h>

#include "sd_err.h"
#include "sd_policy.h"

struct sd_daemon {
	const char	*prog;
	const char	*policy_path;
	const char	*socket_path;
	const char	*state_dir;
	const char	*user;
	int		 foreground;
	int		 log_flags;
	int		 log_level;
	const char	*audit_log;
	const char	*audit_process;	/* the daemon's: NULL for no log */
	/* set by sd_daemon_setup */
	struct sd_policy *pol;
	int		 lfd;
	int		 switch_user;
	uid_t		 run_uid;
	gid_t		 run_gid;
	char		 state_abs[4096];	/* state_dir, absolute */
};

#define SD_DAEMON_LONGOPTS \
	{ "policy", required_argument, NULL, 0x200 }, \
	{ "socket", required_argument, NULL, 0x201 }, \
	{ "state-dir", required_argument, NULL, 0x202 }, \
	{ "user", required_argument, NULL, 0x203 }, \
	{ "foreground", no_argument, NULL, 0x204 }, \
	{ "log-json", no_argument, NULL, 0x205 }, \
	{ "log-level", required_argument, NULL, 0x206 }, \
	{ "audit-log", required_argument, NULL, 0x207 }
#define SD_DAEMON_USAGE \
	"[--policy FILE] [--socket PATH] [--state-dir DIR] [--user USER]\n" \
	"       [--foreground] [--log-json] [--log-level debug|info|warn|error]\n" \
	"       [--audit-log FILE]"
#define SD_DAEMON_HELP \
	"  --policy FILE     the policy (default " SD_POLICY_DEFAULT_PATH ")\n" \
	"  --socket PATH     the socket to listen on\n" \
	"  --state-dir DIR   the daemon's own files (created 0750 if missing)\n" \
	"  --user USER       when started as root, run as USER\n" \
	"  --foreground      do not fork into the background\n" \
	"  --log-json        log one JSON object per line\n" \
	"  --log-level L     debug, info, warn or error (default info)\n" \
	"  --audit-log FILE  its audit log (default STATE_DIR/audit.log; made\n" \
	"                    when missing: stepdeploy audit init makes it first)\n"

/* Zero d and set prog and the defaults. */
void	 sd_daemon_init(struct sd_daemon *d, const char *prog,
	    const char *socket_path, const char *state_dir);
/* 1 when getopt's c was one of ours (stored), 0 when not, -1 for a bad
 * value (said on stderr). */
int	 sd_daemon_option(struct sd_daemon *d, int c, const char *arg);
/*
 * Start the log, resolve --user, load the policy, create the state
 * directory (when d->state_dir is set) and listen on d->socket_path with
 * mode, owned by the run user. Then, unless --foreground, go into the
 * background.
 */
int	 sd_daemon_setup(struct sd_daemon *d, mode_t mode, struct sd_error *err);
/* Become the run user for good (when --user), chdir /, not dumpable.
 * After sd_daemon_setup d->state_dir is absolute. */
int	 sd_daemon_drop(struct sd_daemon *d, struct sd_error *err);
void	 sd_daemon_free(struct sd_daemon *d);

/*
 * The rest of a daemon's main() once its options are read (optind is
 * past them): refuse a stray argument, sd_daemon_setup with the socket's
 * mode, sd_daemon_drop, the daemon's sandbox, then run(arg, d, err) until
 * it returns. Failures are logged. Returns the exit status: 0, 2 for bad
 * usage, 1 otherwise.
 */
int	 sd_daemon_serve(struct sd_daemon *d, int argc, char **argv,
	    mode_t mode, int (*sandbox)(struct sd_error *),
	    int (*run)(void *arg, struct sd_daemon *d, struct sd_error *err),
	    void *arg);

/* Fork into the background: the parent exits 0, the child is a session
 * leader with stdin and stdout on /dev/null (stderr stays the log). */
int	 sd_daemon_background(struct sd_error *err);
/* setgroups, setresgid, setresuid to uid:gid, checked, and no way back. */
int	 sd_daemon_setuser(uid_t uid, gid_t gid, struct sd_error *err);
/*
 * Make the directory path (and missing parents) with mode, owned by
 * owner:group when owner is not (uid_t)-1; an existing one must be a
 * directory, not group- or world-writable. One line in err otherwise.
 */
int	 sd_daemon_mkdir(const char *path, mode_t mode, uid_t owner,
	    gid_t group, struct sd_error *err);

#endif /* SD_DAEMON_H */
