/*
 * sd_uploader: stepdeploy-uploader, the daemon that applies validated
 * releases (DESIGN.md "Processes and trust", "The deploy").
 *
 * deploy.sock takes, one per connection:
 *
 *	SD_MSG_DEPLOY {"spool", "release_id", "release_sha256",
 *	    "zip_sha256", "submitter", "wait"}	from the validator's uid only
 *	SD_MSG_STATUS {"release_id"?}		from the validator or a
 *						submitter (their projects only)
 *	SD_MSG_HALT {"release_id"}		the same
 *
 * A DEPLOY is re-checked before it is queued: the uploader copies the
 * spooled release.json and lambda.zip into its own state directory,
 * hashing them, and refuses when either differs from what the validator
 * validated; it checks the release against the policy again with the
 * submitter's uid. Queued releases (STATE/queue, one file each, in
 * arrival order) survive a restart. One release per project/config
 * deploys at a time, each in its own worker process; different configs
 * deploy in parallel. With "wait" the connection gets every step as
 * SD_MSG_PROGRESS and then SD_MSG_DEPLOY_RESULT {"release_id", "status",
 * "error", "cause", "lambda_version"}; without, DEPLOY_RESULT {"status":
 * "Queued", "position"} at once. On start, every in-flight journal is
 * recovered (completed or rolled back) before any work is taken.
 *
 * STATE/runs/SPOOL/status.json says where each release is ("queued",
 * "running" with its step, "done" with its result, and the times);
 * STATE/runs/SPOOL/progress.log has its steps, one JSON object a line.
 */
#ifndef SD_UPLOADER_H
#define SD_UPLOADER_H

#include "sd_err.h"
#include "sd_policy.h"

#define SD_UPLOADER_DEFAULT_SOCKET	"/run/stepdeploy/deploy.sock"
#define SD_UPLOADER_DEFAULT_STATE	"/var/lib/stepdeploy/uploader"
#define SD_UPLOADER_DEFAULT_SPOOL	"/var/lib/stepdeploy/validator/spool"
#define SD_UPLOADER_DEFAULT_SIGNER	"/run/stepdeploy/sign.sock"

struct sd_uploader_opts {
	const struct sd_policy	*pol;
	int			 lfd;
	const char		*state_dir;	/* absolute */
	const char		*spool_dir;	/* the validator's spool */
	const char		*signer_socket;
	const char		*ca_bundle;
	unsigned		 max_parallel;	/* deploys at once; 0: 4 */
};

#include <sys/types.h>

/* A DEPLOY payload, checked for its shape (the strings are borrowed). */
struct sd_deploy_req {
	const char	*spool;		/* [A-Za-z0-9._-], not starting '.' */
	const char	*release_id;
	const char	*release_sha256;	/* 64 lowercase hex digits */
	const char	*zip_sha256;
	uid_t		 submitter;
	int		 wait;
};
struct json_t;
int	 sd_uploader_parse_deploy(const struct json_t *msg,
	    struct sd_deploy_req *q, struct sd_error *err);
/* STATUS {"release_id"?} (required 0) and HALT {"release_id"} (1). */
int	 sd_uploader_parse_release_id(const struct json_t *msg, int required,
	    const char **rid, struct sd_error *err);

/* Recover what was in flight, then serve deploy.sock until SIGTERM. */
int	 sd_uploader_run(const struct sd_uploader_opts *, struct sd_error *);
/* The seccomp filter (sandbox.c). */
int	 sd_uploader_sandbox(struct sd_error *err);

#endif /* SD_UPLOADER_H */
