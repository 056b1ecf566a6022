/*
 * sd_deploy: the deploy flow as an Amazon States Language state machine,
 * run by libstep with the uploader's C functions as its Task handlers
 * (DESIGN.md "The deploy (uploader)"), as coinbase/step's deployer is
 * itself a step function.
 *
 *	Validate -> Lock -> ValidateResources -> Upload -> Snapshot ->
 *	UpdateLambda -> PublishVersion -> UpdateStateMachine -> Verify ->
 *	ReleaseLock -> Deployed
 *
 * A failure after the lock is taken but before any change to the Lambda
 * or state machine (ValidateResources, Upload, Snapshot) is caught into
 * ReleaseLockOnError. A failure from UpdateLambda on is caught into
 * Rollback (restore the snapshot), then ReleaseLockAfterRollback. Both
 * then go to RaiseError, which re-raises the original error and cause
 * (each Catch keeps them under $.Error with its ResultPath) through the
 * Fail states DeployFailed (ErrorPath/CausePath) or DeployFailedNoCause.
 * A failed lock release there is kept under $.ReleaseLockError and does
 * not hide the original error (the lock's lease ends it). A failed
 * Rollback ends in Deploy.RollbackFailed (with the rollback's cause) and
 * leaves the lock held: the release needs the journal's resume (or a
 * human) before anyone deploys over it.
 *
 * Every Task's Resource is SD_DEPLOY_RESOURCE; handlers are registered
 * by state name (step_machine_register).
 */
#ifndef SD_DEPLOY_H
#define SD_DEPLOY_H

/* The Resource every Task state of the deploy flow names. */
#define SD_DEPLOY_RESOURCE \
	"arn:aws:lambda:us-east-1:000000000000:function:stepdeploy-deployer"

/* The definition, a static NUL-terminated JSON string (borrowed). */
const char	*sd_deploy_definition(void);

/* ---- the Task handlers (deploy_tasks.c) */

#include <jansson.h>

#include "sd_aws.h"
#include "sd_journal.h"
#include "sd_lock.h"
#include "sd_policy.h"

struct step_machine;

/*
 * What the handlers share. The caller fills the inputs (all borrowed)
 * and zeroes the rest; sd_deploy_ctx_clear frees what the run created
 * (it does not release a held lock).
 */
struct sd_deploy_ctx {
	/* inputs */
	struct sd_aws		*aws;
	const struct sd_policy	*policy;
	json_t			*release;	/* parsed release.json */
	const char		*release_buf;	/* as submitted */
	size_t			 release_len;
	const char		*zip_path;
	struct sd_journal	*journal;
	const char		*work_dir;	/* the previous zip goes here */
	void			(*on_step)(void *arg, const char *state,
				    const char *phase, const char *detail);
	void			*on_step_arg;
	/* derived by Validate */
	char	 zip_sha256_hex[65];
	char	 zip_sha256_b64[SD_AWS_SHA256_B64_MAX];
	const char *project, *config, *release_id, *bucket;
	char	 lambda_arn[SD_POLICY_ARN_MAX];
	char	 sm_arn[SD_POLICY_ARN_MAX];
	char	*definition;		/* the release's, canonical text */
	char	 zip_key[1024];
	char	 prev_zip_key[1024];
	/* the lock (Lock .. ReleaseLock) */
	struct sd_lock	*lock;
	/* the snapshot */
	int	 have_snapshot;
	char	 prev_sha256[SD_AWS_SHA256_B64_MAX];
	char	 prev_revision[SD_AWS_REVISION_MAX];
	char	*prev_definition;
	char	 version[SD_AWS_NAME_MAX];	/* PublishVersion's */
};

/* Register every Task handler of the flow on m (ctx borrowed). */
int	 sd_deploy_register(struct step_machine *m, struct sd_deploy_ctx *ctx);
/* Free what the run allocated (not the inputs); NULL-safe. */
void	 sd_deploy_ctx_clear(struct sd_deploy_ctx *ctx);

#endif /* SD_DEPLOY_H */
