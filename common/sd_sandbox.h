/*
 * sd_sandbox: the seccomp filter every stepdeploy daemon installs before
 * it reads any input. Each daemon keeps its own static allowlist in its
 * sandbox.c; this module installs it: PR_SET_NO_NEW_PRIVS, the limits the
 * caller asks for, then a filter whose default kills the process
 * (SIGSYS). Builds with -DSD_SANDBOX_DEBUG trap instead and log the
 * call's number, to find what is missing; release builds have no way to
 * turn the filter off.
 */
#ifndef SD_SANDBOX_H
#define SD_SANDBOX_H

#include <stddef.h>

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <seccomp.h>

#include "sd_err.h"

/* One allowed system call; nargs 0 for "any arguments". */
struct sd_sandbox_rule {
	int			 nr;
	const char		*name;
	unsigned		 nargs;
	struct scmp_arg_cmp	 arg[2];
};

/*
 * Argument comparisons written out (libseccomp's SCMP_A* are compound
 * literals, not constant initialisers). MASKED_EQ: a is the mask, b the
 * value.
 */
#define SD_SB_ARG(n, op, a, b)	\
	{ (n), (op), (scmp_datum_t)(a), (scmp_datum_t)(b) }
#define SD_SB_NOARG		SD_SB_ARG(0, SCMP_CMP_EQ, 0, 0)
#define SD_SB_ALLOW(sys)	{ SCMP_SYS(sys), #sys, 0, \
				    { SD_SB_NOARG, SD_SB_NOARG } }
#define SD_SB_ALLOW1(sys, a)	{ SCMP_SYS(sys), #sys, 1, { a, SD_SB_NOARG } }
#define SD_SB_ALLOW2(sys, a, b)	{ SCMP_SYS(sys), #sys, 2, { a, b } }

/* clone(2) flags that make new namespaces: never allowed. */
#define SD_SB_CLONE_NS_MASK	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | \
				 CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
				 CLONE_NEWCGROUP)

/*
 * What every daemon served by sd_serve needs, for its allowlist to start
 * with: its sockets, pipes and stderr (read, write, close), accepting and
 * SO_PEERCRED, waiting (ppoll), a child per connection (clone without new
 * namespaces; PR_SET_PDEATHSIG; wait4), memory that is never executable,
 * signals, the clock, randomness, futexes and exit.
 */
#define SD_SB_DAEMON_BASE \
	SD_SB_ALLOW(read), \
	SD_SB_ALLOW(write), \
	SD_SB_ALLOW(writev), \
	SD_SB_ALLOW(close), \
	SD_SB_ALLOW(recvfrom), \
	SD_SB_ALLOW(sendto), \
	SD_SB_ALLOW(accept4), \
	SD_SB_ALLOW(ppoll), \
	SD_SB_ALLOW(poll), \
	SD_SB_ALLOW2(getsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0), \
	    SD_SB_ARG(2, SCMP_CMP_EQ, SO_PEERCRED, 0)), \
	SD_SB_ALLOW1(setsockopt, SD_SB_ARG(1, SCMP_CMP_EQ, SOL_SOCKET, 0)), \
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_GETFL, 0)), \
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_SETFL, 0)), \
	SD_SB_ALLOW1(clone, SD_SB_ARG(0, SCMP_CMP_MASKED_EQ, \
	    SD_SB_CLONE_NS_MASK, 0)), \
	SD_SB_ALLOW(set_robust_list), \
	SD_SB_ALLOW1(prctl, SD_SB_ARG(0, SCMP_CMP_EQ, PR_SET_PDEATHSIG, 0)), \
	SD_SB_ALLOW(wait4), \
	SD_SB_ALLOW(getpid), \
	SD_SB_ALLOW(getppid), \
	SD_SB_ALLOW1(mmap, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)), \
	SD_SB_ALLOW1(mprotect, SD_SB_ARG(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)), \
	SD_SB_ALLOW(munmap), \
	SD_SB_ALLOW(mremap), \
	SD_SB_ALLOW(madvise), \
	SD_SB_ALLOW(brk), \
	SD_SB_ALLOW(rt_sigaction), \
	SD_SB_ALLOW(rt_sigreturn), \
	SD_SB_ALLOW(rt_sigprocmask), \
	SD_SB_ALLOW(restart_syscall), \
	SD_SB_ALLOW(clock_gettime), \
	SD_SB_ALLOW(gettimeofday), \
	SD_SB_ALLOW(getrandom), \
	SD_SB_ALLOW(futex), \
	SD_SB_ALLOW(exit), \
	SD_SB_ALLOW(exit_group)

#define SD_SANDBOX_NO_FILES	0x1	/* RLIMIT_FSIZE 0 */
#define SD_SANDBOX_NO_FORK	0x2	/* RLIMIT_NPROC 0 */

/*
 * Install rules (n of them) for every thread of the process: after this
 * any other system call kills it. prog names the process in the debug
 * build's log. flags: SD_SANDBOX_*.
 */
int	 sd_sandbox_install(const char *prog, const struct sd_sandbox_rule *rules,
	    size_t n, unsigned flags, struct sd_error *err);

#endif /* SD_SANDBOX_H */
