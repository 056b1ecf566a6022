/*
 * sandbox.c: stepdeploy-uploader's seccomp filter. The uploader talks
 * HTTPS to AWS (libcurl, OpenSSL, the resolver) and to the signer, and
 * keeps its queue, copies and journals in its state directory, so its
 * list is the widest of the four: files, sockets of the Internet and Unix
 * families, connect, threads (the resolver) and a worker process per
 * deploy. Still no execve, ptrace, bind, listen, mount, namespaces,
 * module or key calls: any other call kills (SIGSYS).
 */
#include "sd_sandbox.h"
#include "sd_uploader.h"

static const struct sd_sandbox_rule allowlist[] = {
	SD_SB_DAEMON_BASE,
	/* sockets */
	SD_SB_ALLOW1(socket, SD_SB_ARG(0, SCMP_CMP_EQ, AF_UNIX, 0)),
	SD_SB_ALLOW1(socket, SD_SB_ARG(0, SCMP_CMP_EQ, AF_INET, 0)),
	SD_SB_ALLOW1(socket, SD_SB_ARG(0, SCMP_CMP_EQ, AF_INET6, 0)),
	SD_SB_ALLOW(connect),
	SD_SB_ALLOW(getsockname),
	SD_SB_ALLOW(getpeername),
	SD_SB_ALLOW(getsockopt),
	SD_SB_ALLOW(setsockopt),
	SD_SB_ALLOW(recvmsg),
	SD_SB_ALLOW(recvmmsg),
	SD_SB_ALLOW(sendmsg),
	SD_SB_ALLOW(sendmmsg),
	SD_SB_ALLOW(shutdown),
	SD_SB_ALLOW(pselect6),
	SD_SB_ALLOW(epoll_create1),
	SD_SB_ALLOW(epoll_ctl),
	SD_SB_ALLOW(epoll_wait),
	SD_SB_ALLOW(epoll_pwait),
	SD_SB_ALLOW(eventfd2),
	SD_SB_ALLOW(pipe2),
	SD_SB_ALLOW(socketpair),
	/* files: the state directory, the spool, CA bundles, resolv.conf */
	SD_SB_ALLOW(openat),
	SD_SB_ALLOW(pread64),
	SD_SB_ALLOW(readv),
	SD_SB_ALLOW(pwrite64),
	SD_SB_ALLOW(lseek),
	SD_SB_ALLOW(fstat),
	SD_SB_ALLOW(newfstatat),
	SD_SB_ALLOW(statx),
	SD_SB_ALLOW(statfs),
	SD_SB_ALLOW(fstatfs),
	SD_SB_ALLOW(access),
	SD_SB_ALLOW(faccessat),
	SD_SB_ALLOW(faccessat2),
	SD_SB_ALLOW(readlink),
	SD_SB_ALLOW(fsync),
	SD_SB_ALLOW(fdatasync),
	SD_SB_ALLOW(ftruncate),
	SD_SB_ALLOW(mkdir),
	SD_SB_ALLOW(mkdirat),
	SD_SB_ALLOW(rename),
	SD_SB_ALLOW(renameat),
	SD_SB_ALLOW(renameat2),
	SD_SB_ALLOW(unlink),
	SD_SB_ALLOW(unlinkat),
	SD_SB_ALLOW(rmdir),
	SD_SB_ALLOW(getdents64),
	SD_SB_ALLOW(flock),
	SD_SB_ALLOW(fcntl),
	SD_SB_ALLOW(ioctl),
	SD_SB_ALLOW(umask),
	SD_SB_ALLOW(fchmod),
	SD_SB_ALLOW(chmod),	/* sd_daemon_mkdir */
	SD_SB_ALLOW(getcwd),
	/* workers and the resolver's threads */
	SD_SB_ALLOW(clone3),
	SD_SB_ALLOW(rseq),
	SD_SB_ALLOW(kill),
	SD_SB_ALLOW(tgkill),
	SD_SB_ALLOW(gettid),
	SD_SB_ALLOW(getuid),
	SD_SB_ALLOW(geteuid),
	SD_SB_ALLOW(getgid),
	SD_SB_ALLOW(getegid),
	SD_SB_ALLOW(uname),
	SD_SB_ALLOW(sched_getaffinity),
	SD_SB_ALLOW(sched_yield),
	SD_SB_ALLOW(prlimit64),
	SD_SB_ALLOW(sysinfo),
	/* signals, clock, randomness, locks */
	SD_SB_ALLOW(sigaltstack),
	SD_SB_ALLOW(clock_nanosleep),
	SD_SB_ALLOW(nanosleep),
};

int
sd_uploader_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-uploader", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]), 0, err);
}
