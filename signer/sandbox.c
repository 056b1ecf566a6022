/*
 * sandbox.c: the signer's hardening and its seccomp filter.
 *
 * After sd_signer_sandbox() the signer can only: accept connections on the
 * socket it already listens on, read and write its sockets and stderr,
 * ask a socket for SO_PEERCRED, re-read the credentials file it holds
 * open (pread, lseek, fstat, fgetxattr for its ACL), manage memory
 * without making it executable (mmap, mprotect, mlock, madvise:
 * sodium_malloc's guarded pages), wait (ppoll), take signals, read the
 * clock, get random bytes, and exit.
 * No open/openat, socket, connect, bind, execve, fork/clone, ptrace, ...:
 * any other system call kills the process (SIGSYS). A build with
 * -DSD_SANDBOX_DEBUG traps instead and logs the call's number, to find
 * what is missing; release builds have no way to turn the filter off.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <seccomp.h>

#include "sd_log.h"
#include "sd_signer.h"

#if defined(__SANITIZE_ADDRESS__)
#define SD_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SD_ASAN 1
#endif
#endif

/* Below this RLIMIT_MEMLOCK (and without root), MCL_FUTURE would make
 * ordinary allocations fail: lock only what is mapped now. */
#define MEMLOCK_FUTURE_MIN	((rlim_t)64 << 20)

int
sd_signer_nodump(struct sd_error *err)
{
	struct rlimit rl = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "prctl(PR_SET_DUMPABLE): %s", strerror(errno));
	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "setrlimit(RLIMIT_CORE): %s", strerror(errno));
	return 0;
}

int
sd_signer_memlock(struct sd_error *err)
{
#ifdef SD_ASAN
	(void)err;
	sd_warn("AddressSanitizer build: memory is not locked (mlockall)");
	return 0;
#else
	struct rlimit rl;
	int flags = MCL_CURRENT | MCL_FUTURE;

	(void)err;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
		/*
		 * Root (with CAP_SYS_RESOURCE) may lift the limit so the
		 * future locks still fit after the switch to --user; others
		 * raise the soft limit to the hard one. Failing is fine:
		 * mlockall says whether it worked.
		 */
		if (geteuid() == 0) {
			struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };

			if (setrlimit(RLIMIT_MEMLOCK, &inf) == -1)
				sd_debug("setrlimit(RLIMIT_MEMLOCK): %s",
				    strerror(errno));
		} else if (rl.rlim_cur != rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_MEMLOCK, &rl) == -1)
				sd_debug("setrlimit(RLIMIT_MEMLOCK): %s",
				    strerror(errno));
		}
		if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && geteuid() != 0 &&
		    rl.rlim_cur != RLIM_INFINITY &&
		    rl.rlim_cur < MEMLOCK_FUTURE_MIN) {
			sd_warn("RLIMIT_MEMLOCK is %llu bytes: locking current "
			    "memory only (set LimitMEMLOCK=%lluM or more)",
			    (unsigned long long)rl.rlim_cur,
			    (unsigned long long)(MEMLOCK_FUTURE_MIN >> 20));
			flags = MCL_CURRENT;
		}
	}
	if (mlockall(flags) == -1) {
		if (errno != EPERM && errno != ENOMEM && errno != EAGAIN)
			return sd_error_set(err, SD_ERR_INTERNAL, NULL,
			    "mlockall: %s", strerror(errno));
		sd_warn("mlockall: %s: memory may be swapped (the "
		    "credentials stay locked by libsodium)", strerror(errno));
	}
	return 0;
#endif
}

#ifdef SD_SANDBOX_DEBUG
static void
sigsys_logger(int sig, siginfo_t *info, void *ctx)
{
	char msg[96] = "stepdeploy-signer: sandbox: system call ";
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

/* A rule; nargs 0 for "any arguments". */
struct rule {
	int			 nr;
	const char		*name;
	unsigned		 nargs;
	struct scmp_arg_cmp	 arg[2];
};

/*
 * Argument comparisons written out (libseccomp's SCMP_A* are compound
 * literals, not constant initialisers). MASKED_EQ: datum_a is the mask,
 * datum_b the value.
 */
#define ARG(n, op, a, b)	\
	{ (n), (op), (scmp_datum_t)(a), (scmp_datum_t)(b) }
#define NOARG			ARG(0, SCMP_CMP_EQ, 0, 0)
#define ALLOW(sys)		{ SCMP_SYS(sys), #sys, 0, { NOARG, NOARG } }
#define ALLOW1(sys, a)		{ SCMP_SYS(sys), #sys, 1, { a, NOARG } }
#define ALLOW2(sys, a, b)	{ SCMP_SYS(sys), #sys, 2, { a, b } }

/* The one static allowlist. */
static const struct rule allowlist[] = {
	/* sockets and stderr */
	ALLOW(read),
	ALLOW(write),
	ALLOW(writev),
	ALLOW(recvfrom),
	ALLOW(recvmsg),
	ALLOW(sendto),
	ALLOW(sendmsg),
	ALLOW(accept4),
#ifdef __NR_accept
	ALLOW(accept),
#endif
	ALLOW(close),
	ALLOW(ppoll),
#ifdef __NR_poll
	ALLOW(poll),
#endif
	/* SO_PEERCRED of a new connection, nothing else */
	ALLOW2(getsockopt, ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0),
	    ARG(2, SCMP_CMP_EQ, SO_PEERCRED, 0)),
	/* the credentials reload: fstat (glibc: newfstatat(fd, "",
	 * AT_EMPTY_PATH)), pread from offset 0, the file's ACL */
	ALLOW(pread64),
	ALLOW(lseek),
	ALLOW(fgetxattr),	/* the ACL of a LoadCredential= file */
#ifdef __NR_fstat
	ALLOW(fstat),
#endif
#ifdef __NR_newfstatat
	ALLOW1(newfstatat, ARG(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
	    AT_EMPTY_PATH)),
#endif
	/* memory, never executable; sodium_malloc's guard pages and locks */
	ALLOW1(mmap, ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	ALLOW1(mprotect, ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	ALLOW(munmap),
	ALLOW(mremap),
	ALLOW(madvise),
	ALLOW(brk),
	ALLOW(mlock),
	ALLOW(munlock),
	/* signals (SIGHUP reload, SIGTERM stop) */
	ALLOW(rt_sigreturn),
	ALLOW(rt_sigprocmask),
	ALLOW(restart_syscall),
	/* clock, randomness (OpenSSL's DRBG reseeds), locks, identity */
	ALLOW(clock_gettime),
	ALLOW(gettimeofday),
	ALLOW(getrandom),
	ALLOW(futex),
	ALLOW(getpid),
	/* the end */
	ALLOW(exit),
	ALLOW(exit_group),
};

int
sd_signer_sandbox(struct sd_error *err)
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
	if (setrlimit(RLIMIT_NPROC, &zero) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "setrlimit(RLIMIT_NPROC): %s", strerror(errno));
	if (setrlimit(RLIMIT_FSIZE, &zero) == -1)
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
	sd_warn("SD_SANDBOX_DEBUG build: forbidden system calls are "
	    "logged (SCMP_ACT_TRAP), not a release build");
#endif
	if ((ctx = seccomp_init(deflt)) == NULL)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "seccomp_init failed");
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "seccomp_attr_set(TSYNC): %s", strerror(-rc));
		goto out;
	}
	for (i = 0; i < sizeof(allowlist) / sizeof(allowlist[0]); i++) {
		const struct rule *ru = &allowlist[i];

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
