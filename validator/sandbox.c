/*
 * sandbox.c: stepdeploy-validator's seccomp filter. The validator reads
 * untrusted releases: after the filter it can only serve its socket and
 * fork a child per connection, read and write files (the spool, the zip
 * it inspects), connect to the executor's and the uploader's Unix
 * sockets, manage memory (never executable), take signals, read the
 * clock and exit. socket() is allowed for AF_UNIX only: no network. No
 * execve, ptrace, bind, listen: any other call kills (SIGSYS).
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "sd_sandbox.h"
#include "sd_validator.h"

#define CLONE_NS_MASK	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | \
			 CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
			 CLONE_NEWCGROUP)

static const struct sd_sandbox_rule allowlist[] = {
	/* sockets: its own, and Unix-domain connections out */
	SD_SB_ALLOW(accept4),
	SD_SB_ALLOW1(socket, SD_SB_ARG(0, SCMP_CMP_EQ, AF_UNIX, 0)),
	SD_SB_ALLOW(connect),
	SD_SB_ALLOW(recvfrom),
	SD_SB_ALLOW(sendto),
	SD_SB_ALLOW2(getsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0),
	    SD_SB_ARG(2, SCMP_CMP_EQ, SO_PEERCRED, 0)),
	SD_SB_ALLOW1(setsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0)),
	SD_SB_ALLOW(ppoll),
#ifdef __NR_poll
	SD_SB_ALLOW(poll),
#endif
	/* files: the spool and the zip */
	SD_SB_ALLOW(openat),
	SD_SB_ALLOW(read),
	SD_SB_ALLOW(pread64),
	SD_SB_ALLOW(write),
	SD_SB_ALLOW(writev),
	SD_SB_ALLOW(close),
	SD_SB_ALLOW(lseek),
	SD_SB_ALLOW(fstat),
	SD_SB_ALLOW(newfstatat),
	SD_SB_ALLOW(statx),
	SD_SB_ALLOW(fsync),
	SD_SB_ALLOW(fdatasync),
	SD_SB_ALLOW(mkdir),
	SD_SB_ALLOW(mkdirat),
	SD_SB_ALLOW(rename),
	SD_SB_ALLOW(renameat),
	SD_SB_ALLOW(unlink),
	SD_SB_ALLOW(unlinkat),
	SD_SB_ALLOW(rmdir),
	SD_SB_ALLOW(getdents64),
	SD_SB_ALLOW(umask),
	SD_SB_ALLOW(fchmod),
	SD_SB_ALLOW(chmod),	/* sd_daemon_mkdir */
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_GETFL, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_SETFL, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_GETFD, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_SETFD, 0)),
	/* a child per connection */
	SD_SB_ALLOW1(clone, SD_SB_ARG(0, SCMP_CMP_MASKED_EQ, CLONE_NS_MASK, 0)),
	SD_SB_ALLOW(set_robust_list),
	SD_SB_ALLOW1(prctl, SD_SB_ARG(0, SCMP_CMP_EQ, PR_SET_PDEATHSIG, 0)),
	SD_SB_ALLOW(wait4),
	SD_SB_ALLOW(getpid),
	SD_SB_ALLOW(getppid),
	/* memory, never executable */
	SD_SB_ALLOW1(mmap, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW1(mprotect, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW(munmap),
	SD_SB_ALLOW(mremap),
	SD_SB_ALLOW(madvise),
	SD_SB_ALLOW(brk),
	/* signals, clock, randomness, locks */
	SD_SB_ALLOW(rt_sigaction),
	SD_SB_ALLOW(rt_sigreturn),
	SD_SB_ALLOW(rt_sigprocmask),
	SD_SB_ALLOW(restart_syscall),
	SD_SB_ALLOW(clock_gettime),
	SD_SB_ALLOW(gettimeofday),
	SD_SB_ALLOW(getrandom),
	SD_SB_ALLOW(futex),
	SD_SB_ALLOW(exit),
	SD_SB_ALLOW(exit_group),
};

int
sd_validator_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-validator", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]), 0, err);
}
