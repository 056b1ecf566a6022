/*
 * sandbox.c: stepdeploy-executor's seccomp filter, the strictest of the
 * four daemons. After it the executor can only: accept on the socket it
 * listens on and ask a connection for SO_PEERCRED, read and write its
 * sockets, pipes and stderr, fork a worker (clone without new namespaces)
 * and wait for it or kill it, set a worker's limits, manage memory
 * (never executable), take signals, read the clock and exit. No open,
 * socket, connect, bind, execve, ptrace: any other call kills (SIGSYS).
 */
#include <fcntl.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "sd_executor.h"
#include "sd_sandbox.h"

#define CLONE_NS_MASK	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | \
			 CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
			 CLONE_NEWCGROUP)

static const struct sd_sandbox_rule allowlist[] = {
	SD_SB_ALLOW(read),
	SD_SB_ALLOW(write),
	SD_SB_ALLOW(writev),
	SD_SB_ALLOW(recvfrom),
	SD_SB_ALLOW(sendto),
	SD_SB_ALLOW(accept4),
	SD_SB_ALLOW(close),
	SD_SB_ALLOW(ppoll),
#ifdef __NR_poll
	SD_SB_ALLOW(poll),
#endif
	SD_SB_ALLOW2(getsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0),
	    SD_SB_ARG(2, SCMP_CMP_EQ, SO_PEERCRED, 0)),
	SD_SB_ALLOW1(setsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_GETFL, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_SETFL, 0)),
	SD_SB_ALLOW(pipe2),
	/* a worker per request */
	SD_SB_ALLOW1(clone, SD_SB_ARG(0, SCMP_CMP_MASKED_EQ, CLONE_NS_MASK, 0)),
	SD_SB_ALLOW(wait4),
	SD_SB_ALLOW(kill),
	SD_SB_ALLOW(setrlimit),
	SD_SB_ALLOW(prlimit64),
	SD_SB_ALLOW(getpid),
	SD_SB_ALLOW(getppid),
	SD_SB_ALLOW(set_robust_list),
	SD_SB_ALLOW1(prctl, SD_SB_ARG(0, SCMP_CMP_EQ, PR_SET_PDEATHSIG, 0)),	/* glibc's fork, in the child */
	/* memory, never executable */
	SD_SB_ALLOW1(mmap, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW1(mprotect, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)),
	SD_SB_ALLOW(munmap),
	SD_SB_ALLOW(mremap),
	SD_SB_ALLOW(madvise),
	SD_SB_ALLOW(brk),
	/* signals, clock, randomness (execution names), locks */
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
sd_executor_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-executor", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]), 0, err);
}
