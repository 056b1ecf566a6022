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
