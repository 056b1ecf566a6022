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


#include "sd_log.h"
#include "sd_sandbox.h"
#include "sd_audit.h"
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

/* The one static allowlist. */
static const struct sd_sandbox_rule allowlist[] = {
	/* the audit log (opened before the filter; sd_audit.h) */
	SD_SB_ALLOW(flock),
	SD_SB_ALLOW(pwrite64),
	SD_SB_ALLOW(ftruncate),
	SD_SB_ALLOW(fsync),
	/* sockets and stderr */
	SD_SB_ALLOW(read),
	SD_SB_ALLOW(write),
	SD_SB_ALLOW(writev),
	SD_SB_ALLOW(recvfrom),
	SD_SB_ALLOW(recvmsg),
	SD_SB_ALLOW(sendto),
	SD_SB_ALLOW(sendmsg),
	SD_SB_ALLOW(accept4),
#ifdef __NR_accept
	SD_SB_ALLOW(accept),
#endif
	SD_SB_ALLOW(close),
	SD_SB_ALLOW(ppoll),
#ifdef __NR_poll
	SD_SB_ALLOW(poll),
#endif
	/* SO_PEERCRED of a new connection, nothing else */
	SD_SB_ALLOW2(getsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0),
	    SD_SB_ARG(2, SCMP_CMP_EQ, SO_PEERCRED, 0)),
	/* the credentials reload: fstat (glibc: newfstatat(fd, "",
	 * AT_EMPTY_PATH)), pread from offset 0, the file's ACL */
	SD_SB_ALLOW(pread64),
	SD_SB_ALLOW(lseek),
	SD_SB_ALLOW(fgetxattr),	/* the ACL of a LoadCredential= file */
#ifdef __NR_fstat
	SD_SB_ALLOW(fstat),
#endif
#ifdef __NR_newfstatat
	SD_SB_ALLOW1(newfstatat, SD_SB_ARG(3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
	    AT_EMPTY_PATH)),
#endif
	/* memory, never executable; sodium_malloc's guard pages and locks */
	SD_SB_ALLOW1(mmap, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW1(mprotect, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW(munmap),
	SD_SB_ALLOW(mremap),
	SD_SB_ALLOW(madvise),
	SD_SB_ALLOW(brk),
	SD_SB_ALLOW(mlock),
	SD_SB_ALLOW(munlock),
	/* signals (SIGHUP reload, SIGTERM stop) */
	SD_SB_ALLOW(rt_sigreturn),
	SD_SB_ALLOW(rt_sigprocmask),
	SD_SB_ALLOW(restart_syscall),
	/* clock, randomness (OpenSSL's DRBG reseeds), locks, identity */
	SD_SB_ALLOW(clock_gettime),
	SD_SB_ALLOW(gettimeofday),
	SD_SB_ALLOW(getrandom),
	SD_SB_ALLOW(futex),
	SD_SB_ALLOW(getpid),
	/* the end */
	SD_SB_ALLOW(exit),
	SD_SB_ALLOW(exit_group),
};

int
sd_signer_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-signer", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]),
	    /* (an audit log open before: it may grow; open() stays
	     * forbidden, so it and stderr are all that can be written) */
	    (sd_audit_is_open() ? 0 : SD_SANDBOX_NO_FILES) |
	    SD_SANDBOX_NO_FORK, err);
}
