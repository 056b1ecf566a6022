/*
 * daemon.c: what the daemons share from argv to the sandbox (see
 * sd_daemon.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_audit.h"
#include "sd_daemon.h"
#include "sd_log.h"
#include "sd_sock.h"

void
sd_daemon_init(struct sd_daemon *d, const char *prog, const char *socket_path,
    const char *state_dir)
{
	memset(d, 0, sizeof(*d));
	d->prog = prog;
	d->socket_path = socket_path;
	d->state_dir = state_dir;
	d->log_level = SD_LOG_INFO;
	d->lfd = -1;
}

int
sd_daemon_option(struct sd_daemon *d, int c, const char *arg)
{
	switch (c) {
	case 0x200: d->policy_path = arg; return 1;
	case 0x201: d->socket_path = arg; return 1;
	case 0x202: d->state_dir = arg; return 1;
	case 0x203: d->user = arg; return 1;
	case 0x204: d->foreground = 1; return 1;
	case 0x205: d->log_flags |= SD_LOG_JSON; return 1;
	case 0x206:
		if ((d->log_level = sd_log_level_parse(arg)) < 0) {
			fprintf(stderr, "%s: --log-level: debug, info, warn or "
			    "error\n", d->prog);
			return -1;
		}
		return 1;
	case 0x207: d->audit_log = arg; return 1;
	default:
		return 0;
	}
}

int
sd_daemon_mkdir(const char *path, mode_t mode, uid_t owner, gid_t group,
    struct sd_error *err)
{
	char buf[PATH_MAX], *p;
	struct stat st;
	int n;

	n = snprintf(buf, sizeof(buf), "%s", path);
	if (n <= 0 || (size_t)n >= sizeof(buf))
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "the path is empty or too long");
	/* Parents first (as mkdir -p), with mode 0755. */
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) == -1 && errno != EEXIST)
			return sd_error_set(err, SD_ERR_IO, path,
			    "cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, mode) == 0) {
		if (chmod(buf, mode) == -1 || (owner != (uid_t)-1 &&
		    chown(buf, owner, group) == -1))
			return sd_error_set(err, SD_ERR_IO, path,
			    "cannot set its owner and mode: %s",
			    strerror(errno));
		return 0;
	}
	if (errno != EEXIST)
		return sd_error_set(err, SD_ERR_IO, path,
		    "cannot create the directory: %s", strerror(errno));
	if (stat(buf, &st) == -1)
		return sd_error_set(err, SD_ERR_IO, path, "stat: %s",
		    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "exists and is not a directory");
	if (st.st_mode & 0022)
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "is group- or world-writable (mode %03o): chmod go-w it",
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

static int
resolve_user(struct sd_daemon *d, struct sd_error *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc;

	if (d->user == NULL)
		return 0;
	if (geteuid() != 0)
		return sd_error_set(err, SD_ERR_USAGE, NULL,
		    "--user needs root (under systemd use User= instead)");
	rc = getpwnam_r(d->user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL)
		return sd_error_set(err, SD_ERR_USAGE, NULL,
		    "--user %s: no such user", d->user);
	if (pw.pw_uid == 0)
		return sd_error_set(err, SD_ERR_USAGE, NULL,
		    "--user %s is root", d->user);
	d->switch_user = 1;
	d->run_uid = pw.pw_uid;
	d->run_gid = pw.pw_gid;
	return 0;
}

int
sd_daemon_background(struct sd_error *err)
{
	pid_t pid;
	int fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "/dev/null: %s",
		    strerror(errno));
	if ((pid = fork()) == -1) {
		(void)close(fd);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "fork: %s",
		    strerror(errno));
	}
	if (pid != 0)
		_exit(0);
	if (setsid() == -1 || dup2(fd, STDIN_FILENO) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1) {
		(void)close(fd);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "daemonize: %s", strerror(errno));
	}
	if (fd > STDERR_FILENO && close(fd) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "close: %s",
		    strerror(errno));
	return 0;
}

int
sd_daemon_setuser(uid_t uid, gid_t gid, struct sd_error *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "dropping privileges: %s", strerror(errno));
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1 ||
	    ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "dropping privileges did not take");
	if (setuid(0) != -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "could regain root after dropping privileges");
	return 0;
}

/* The audit log, opened (made when missing) before the sandbox. */
static int
open_audit(struct sd_daemon *d, struct sd_error *err)
{
	char path[4200];

	if (d->audit_process == NULL ||
	    (d->audit_log == NULL && d->state_dir == NULL))
		return 0;
	if (d->audit_log == NULL)
		(void)snprintf(path, sizeof(path), "%s/audit.log",
		    d->state_dir);
	else
		(void)snprintf(path, sizeof(path), "%s", d->audit_log);
	return sd_audit_start(path, d->audit_process, json_pack("{s:s}",
	    "policy", d->policy_path), err);
}

int
sd_daemon_setup(struct sd_daemon *d, mode_t mode, struct sd_error *err)
{
	int r;

	sd_log_init(d->prog, (enum sd_log_level)d->log_level, d->log_flags);
	if ((r = resolve_user(d, err)) != 0 ||
	    (r = sd_policy_load(d->policy_path, &d->pol, err)) != 0)
		return r;
	if (d->state_dir != NULL && (r = sd_daemon_mkdir(d->state_dir, 0750,
	    d->switch_user ? d->run_uid : (uid_t)-1, d->run_gid, err)) != 0)
		return r;
	if (d->state_dir != NULL) {
		if (realpath(d->state_dir, d->state_abs) == NULL)
			return sd_error_set(err, SD_ERR_IO, d->state_dir,
			    "realpath: %s", strerror(errno));
		d->state_dir = d->state_abs;
	}
	if ((r = open_audit(d, err)) != 0)
		return r;
	if ((r = sd_sock_listen(d->socket_path, mode, d->switch_user ?
	    d->run_uid : (uid_t)-1, d->run_gid, &d->lfd, err)) != 0)
		return r;
	if (!d->foreground && (r = sd_daemon_background(err)) != 0)
		return r;
	return 0;
}

int
sd_daemon_drop(struct sd_daemon *d, struct sd_error *err)
{
	struct rlimit rl = { 0, 0 };
	int r;

	if (d->switch_user) {
		if ((r = sd_daemon_setuser(d->run_uid, d->run_gid, err)) != 0)
			return r;
	} else if (geteuid() == 0)
		sd_warn("running as root: give --user, or run under "
		    "systemd's User=");
	if (chdir("/") == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "chdir /: %s",
		    strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    setrlimit(RLIMIT_CORE, &rl) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "not dumpable: %s", strerror(errno));
	return 0;
}

int
sd_daemon_serve(struct sd_daemon *d, int argc, char **argv, mode_t mode,
    int (*sandbox)(struct sd_error *),
    int (*run)(void *arg, struct sd_daemon *d, struct sd_error *err),
    void *arg)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument \"%s\" (see --help)\n",
		    d->prog, argv[optind]);
		return 2;
	}
	if ((r = sd_daemon_setup(d, mode, &err)) != 0 ||
	    (r = sd_daemon_drop(d, &err)) != 0 ||
	    (r = sandbox(&err)) != 0) {
		sd_error("%s", sd_error_text(&err));
		goto out;
	}
	sd_info("sandboxed (seccomp), ready");
	if ((r = run(arg, d, &err)) != 0)
		sd_error("%s", sd_error_text(&err));
 out:
	sd_daemon_free(d);
	sd_error_clear(&err);
	return r == 0 ? 0 : r == SD_ERR_USAGE ? 2 : 1;
}

void
sd_daemon_free(struct sd_daemon *d)
{
	if (d->lfd != -1 && close(d->lfd) == -1)
		sd_warn("close: %s", strerror(errno));
	d->lfd = -1;
	sd_policy_free(d->pol);
	d->pol = NULL;
}
