/*
 * sandbox.c: installing a daemon's seccomp allowlist (see sd_sandbox.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sd_log.h"
#include "sd_sandbox.h"

#ifdef SD_SANDBOX_DEBUG
static void
sigsys_logger(int sig, siginfo_t *info, void *ctx)
{
	char msg[96] = "stepdeploy: sandbox: system call ";
	char num[16];
	size_t n = strlen(msg), i = 0;
	int nr = info->si_syscall;
	unsigned u = nr < 0 ? 0u : (unsigned)nr;

	(void)sig;
	(void)ctx;
	do {
		num[i++] = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0 && i < sizeof(num));
	while (i > 0 && n < sizeof(msg) - 24)
		msg[n++] = num[--i];
	memcpy(msg + n, " not allowed\n", 13);
	n += 13;
	(void)!write(STDERR_FILENO, msg, n);
	_exit(128 + SIGSYS);
}
#endif

int
sd_sandbox_install(const char *prog, const struct sd_sandbox_rule *rules,
    size_t n, unsigned flags, struct sd_error *err)
{
	struct rlimit zero = { 0, 0 };
	scmp_filter_ctx ctx = NULL;
	size_t i;
	int r = SD_ERR_INTERNAL, rc;
#ifdef SD_SANDBOX_DEBUG
	struct sigaction sa;
	sigset_t set;
	const uint32_t deflt = SCMP_ACT_TRAP;
#else
	const uint32_t deflt = SCMP_ACT_KILL_PROCESS;
#endif

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	if ((flags & SD_SANDBOX_NO_FORK) &&
	    setrlimit(RLIMIT_NPROC, &zero) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "setrlimit(RLIMIT_NPROC): %s", strerror(errno));
	if ((flags & SD_SANDBOX_NO_FILES) &&
	    setrlimit(RLIMIT_FSIZE, &zero) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "setrlimit(RLIMIT_FSIZE): %s", strerror(errno));
#ifdef SD_SANDBOX_DEBUG
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_logger;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) == -1 || sigemptyset(&set) == -1 ||
	    sigaddset(&set, SIGSYS) == -1 ||
	    sigprocmask(SIG_UNBLOCK, &set, NULL) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "SIGSYS handler: %s", strerror(errno));
	sd_warn("%s: SD_SANDBOX_DEBUG build: forbidden system calls are "
	    "logged (SCMP_ACT_TRAP), not a release build", prog);
#else
	(void)prog;
#endif
	if ((ctx = seccomp_init(deflt)) == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "seccomp_init failed");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "seccomp_attr_set(TSYNC): %s", strerror(-rc));
		goto out;
	}
	for (i = 0; i < n; i++) {
		const struct sd_sandbox_rule *ru = &rules[i];

		if (ru->nargs == 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ru->nr, 0);
		else
			rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW,
			    ru->nr, ru->nargs, ru->arg);
		if (rc != 0) {
			r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
			    "seccomp_rule_add(%s): %s", ru->name,
			    strerror(-rc));
			goto out;
		}
	}
	if ((rc = seccomp_load(ctx)) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "seccomp_load: %s", strerror(-rc));
		goto out;
	}
	r = 0;
 out:
	seccomp_release(ctx);
	return r;
}
