/*
 * sd_executor: stepdeploy-executor, the daemon that runs a release's
 * tests for the validator (DESIGN.md "Processes and trust").
 *
 * On exec.sock it takes one SD_MSG_EXEC_REQUEST per connection, from the
 * policy's "exec" uids only:
 *
 *	{"definition": "<ASL JSON text>", "tests": "<tests.json text>"}
 *
 * and answers SD_MSG_EXEC_RESULT with step_run_tests' report ({"passed",
 * "failed", "tests": [...]}), or SD_MSG_ERROR {"code", "message"} when
 * the definition or the tests file is malformed (the message names the
 * place) or the run broke a bound. Tests run with mocks only: no Task
 * handler, no file, no network. Each request runs in a forked worker
 * under RLIMIT_AS and RLIMIT_CPU, killed past its wall time or output
 * size, so a runaway or crashing test is reported and the daemon goes
 * on. The whole daemon runs under the strictest seccomp filter of the
 * four (sandbox.c): no open, no socket, no exec.
 */
#ifndef SD_EXECUTOR_H
#define SD_EXECUTOR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_err.h"

#define SD_EXECUTOR_DEFAULT_SOCKET	"/run/stepdeploy/exec.sock"

struct sd_executor_limits {
	uint64_t	memory_bytes;	/* RLIMIT_AS of a worker */
	unsigned	cpu_seconds;	/* RLIMIT_CPU of a worker */
	unsigned	wall_ms;	/* a request's run, killed after */
	size_t		output_bytes;	/* the report, refused above */
};

void	 sd_executor_limits_default(struct sd_executor_limits *);

/* Serve exec.sock (listening on lfd) until SIGTERM; pol borrowed. */
struct sd_policy;
int	 sd_executor_run(int lfd, const struct sd_policy *pol,
	    const struct sd_executor_limits *, struct sd_error *err);

/*
 * Run the tests of one request in this process (the worker's work, also
 * what a unit test calls): *report is new on success.
 */
int	 sd_executor_run_tests(const char *definition, size_t dlen,
	    const char *tests, size_t tlen, json_t **report,
	    struct sd_error *err);

/* An EXEC_REQUEST payload, checked for its shape (borrowed strings). */
int	 sd_executor_parse_request(const json_t *req, const char **def,
	    size_t *dlen, const char **tests, size_t *tlen,
	    struct sd_error *err);

/* The seccomp filter (sandbox.c). */
int	 sd_executor_sandbox(struct sd_error *err);

#endif /* SD_EXECUTOR_H */
