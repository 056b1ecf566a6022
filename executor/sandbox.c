/*
 * sandbox.c: stepdeploy-executor's seccomp filter, the strictest of the
 * four daemons. After it the executor can only do what every served
 * daemon does (SD_SB_DAEMON_BASE: serve its socket with a child per
 * connection, memory never executable, signals, the clock, exit), plus
 * make the pipe to a worker, kill it and set its limits. No open,
 * socket, connect, bind, execve, ptrace: any other call kills (SIGSYS).
 */
#include "sd_executor.h"
#include "sd_sandbox.h"

static const struct sd_sandbox_rule allowlist[] = {
	SD_SB_DAEMON_BASE,
	/* a worker per request */
	SD_SB_ALLOW(pipe2),
	SD_SB_ALLOW(kill),
	SD_SB_ALLOW(setrlimit),
	SD_SB_ALLOW(prlimit64),
};

int
sd_executor_sandbox(struct sd_error *err)
{
	return sd_sandbox_install("stepdeploy-executor", allowlist,
	    sizeof(allowlist) / sizeof(allowlist[0]), 0, err);
}
