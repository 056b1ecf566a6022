/*
 * sd_validator: stepdeploy-validator, the daemon CI submits releases to
 * (DESIGN.md "Processes and trust").
 *
 * On submit.sock a connection sends one SD_MSG_SUBMIT
 *
 *	{"release": "<release.json text>", "tests": "<tests.json text>",
 *	 "zip_bytes": N, "wait": true|false}
 *
 * ("tests" may be left out when the policy's tests_min_count is 0), then
 * the Lambda zip as SD_MSG_CHUNK frames of at most SD_MSG_CHUNK_MAX bytes,
 * N in all, N at most the project's zip_max_bytes. The validator answers
 * with SD_MSG_PROGRESS {"step", "detail"} frames as it goes (received,
 * validated, tested, queued, then the uploader's steps when "wait") and
 * one SD_MSG_SUBMIT_RESULT:
 *
 *	{"release_id", "status": "Refused"|"Queued"|"Deployed"|"RolledBack"|
 *	 "Failed"|"RollbackFailed", "error", "cause",
 *	 "findings": [{"severity", "code", "message", "location"}],
 *	 "tests": {"passed", "failed"}, "spool", "lambda_version"}
 *
 * A release is checked as `stepdeploy validate --release --zip --policy`
 * does, with the peer's uid (SO_PEERCRED) as its submitter, and its tests
 * run on the executor (exec.sock). One that passes is written to the
 * spool atomically (a temporary directory, each file fsynced, renamed,
 * the spool fsynced) with the SHA-256 of its release and zip, and handed
 * to the uploader on deploy.sock, which re-checks both before any AWS
 * call.
 */
#ifndef SD_VALIDATOR_H
#define SD_VALIDATOR_H

#include "sd_err.h"
#include "sd_policy.h"

#define SD_VALIDATOR_DEFAULT_SOCKET	"/run/stepdeploy/submit.sock"
#define SD_VALIDATOR_DEFAULT_STATE	"/var/lib/stepdeploy/validator"
#define SD_EXEC_DEFAULT_SOCKET		"/run/stepdeploy/exec.sock"
#define SD_DEPLOY_DEFAULT_SOCKET	"/run/stepdeploy/deploy.sock"

struct sd_validator_opts {
	const struct sd_policy	*pol;
	int			 lfd;		/* submit.sock, listening */
	const char		*state_dir;	/* spool/ is made under it */
	const char		*exec_socket;
	const char		*deploy_socket;
	int			 exec_timeout_ms;	/* 0: 120000 */
};

/* A SUBMIT payload, checked for its shape (the strings are borrowed). */
struct sd_submit_req {
	const char	*release;
	size_t		 release_len;
	const char	*tests;		/* NULL: none */
	size_t		 tests_len;
	int64_t		 zip_bytes;
	int		 wait;
};
struct json_t;
int	 sd_validator_parse_submit(const struct json_t *msg,
	    struct sd_submit_req *q, struct sd_error *err);

/* Serve submit.sock until SIGTERM. */
int	 sd_validator_run(const struct sd_validator_opts *, struct sd_error *);
/* The seccomp filter (sandbox.c). */
int	 sd_validator_sandbox(struct sd_error *err);

#endif /* SD_VALIDATOR_H */
