/*
 * sandbox.c: stepdeploy-validator's seccomp filter. The validator reads
 * untrusted releases: after the filter it can only do what every served
 * daemon does (SD_SB_DAEMON_BASE), plus read and write files (the spool,
 * the zip it inspects) and connect to the executor's and the uploader's
 * Unix sockets. socket() is allowed for AF_UNIX only: no network. No
 * execve, ptrace, bind, listen: any other call kills (SIGSYS).
 */
#include "sd_sandbox.h"
#include "sd_validator.h"

static const struct sd_sandbox_rule allowlist[] = {
	SD_SB_DAEMON_BASE,
	/* the audit log (opened before the filter; sd_audit.h) */
	SD_SB_ALLOW(flock),
	SD_SB_ALLOW(pwrite64),
	SD_SB_ALLOW(ftruncate),
	/* Unix-domain connections out */
	SD_SB_ALLOW1(socket, SD_SB_ARG(0, SCMP_CMP_EQ, AF_UNIX, 0)),
	SD_SB_ALLOW(connect),
	/* files: the spool and the zip */
	SD_SB_ALLOW(openat),
	SD_SB_ALLOW(pread64),
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
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_GETFD, 0)),
	SD_SB_ALLOW1(fcntl, SD_SB_ARG(1, SCMP_CMP_EQ, F_SETFD, 0)),
};

int
sd_validator_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-validator", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]), 0, err);
}
