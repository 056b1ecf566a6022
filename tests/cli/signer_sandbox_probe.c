/*
 * signer_sandbox_probe.so: proves stepdeploy-signer's seccomp filter on
 * the very binary that ships, with no test hook compiled into it.
 *
 *   SD_SANDBOX_PROBE=open LD_PRELOAD=build/signer-sandbox-probe.so \
 *	build/stepdeploy-signer ...
 *
 * The library wraps ppoll() (and __ppoll_chk, its _FORTIFY_SOURCE form),
 * which the signer first calls in its loop, after the sandbox is
 * installed. On that first call it makes the system call SD_SANDBOX_PROBE
 * names (open, socket, fork, execve, ptrace): the filter must kill the
 * process with SIGSYS. If the call returns, the probe writes
 * "PROBE: <name> was not blocked" to stderr and carries on.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef int (*ppoll_fn)(struct pollfd *, nfds_t, const struct timespec *,
    const sigset_t *);

typedef int (*ppoll_chk_fn)(struct pollfd *, nfds_t, const struct timespec *,
    const sigset_t *, size_t);

static ppoll_fn real_ppoll;
static ppoll_chk_fn real_ppoll_chk;
static const char *probe;

int	ppoll(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *);
int	__ppoll_chk(struct pollfd *, nfds_t, const struct timespec *,
	    const sigset_t *, size_t);

__attribute__((constructor)) static void
probe_init(void)
{
	/* Resolved now: dlsym may allocate, and that is before the filter. */
	real_ppoll = (ppoll_fn)(uintptr_t)dlsym(RTLD_NEXT, "ppoll");
	real_ppoll_chk = (ppoll_chk_fn)(uintptr_t)dlsym(RTLD_NEXT,
	    "__ppoll_chk");
	probe = getenv("SD_SANDBOX_PROBE");
}

static void
say(const char *s)
{
	(void)!write(STDERR_FILENO, s, strlen(s));
}

static void
try_probe(void)
{
	static int done;
	char *const argv[] = { (char *)"/bin/true", NULL };

	if (done || probe == NULL)
		return;
	done = 1;
	say("PROBE: trying ");
	say(probe);
	say("\n");
	if (strcmp(probe, "open") == 0)
		(void)open("/etc/hostname", O_RDONLY);
	else if (strcmp(probe, "socket") == 0)
		(void)socket(AF_INET, SOCK_STREAM, 0);
	else if (strcmp(probe, "fork") == 0) {
		if (fork() == 0)
			_exit(0);
	} else if (strcmp(probe, "execve") == 0)
		(void)execve(argv[0], argv, NULL);
	else if (strcmp(probe, "ptrace") == 0)
		(void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
	say("PROBE: ");
	say(probe);
	say(" was not blocked\n");
}

int
ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *mask)
{
	try_probe();
	return real_ppoll(fds, n, t, mask);
}

/* What _FORTIFY_SOURCE builds call instead of ppoll. */
int
__ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *t,
    const sigset_t *mask, size_t fdslen)
{
	try_probe();
	if (real_ppoll_chk != NULL)
		return real_ppoll_chk(fds, n, t, mask, fdslen);
	return real_ppoll(fds, n, t, mask);
}
