/*
 * sd_deploy: the deploy flow as an Amazon States Language state machine,
 * run by libstep with the uploader's C functions as its Task handlers
 * (DESIGN.md "The deploy (uploader)"), as coinbase/step's deployer is
 * itself a step function.
 *
 *	Validate -> Lock -> ValidateResources -> Upload -> Snapshot ->
 *	UpdateLambda -> PublishVersion -> UpdateStateMachine -> Verify ->
 *	Record -> ReleaseLock -> Deployed
 *
 * A failure after the lock is taken but before any change to the Lambda
 * or state machine (ValidateResources, Upload, Snapshot) is caught into
 * ReleaseLockOnError. A failure from UpdateLambda to Record is caught into
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
	/* a file whose existence stops the flow at its next step, which
	 * then fails with Deploy.Halted (stepdeploy halt); NULL: none */
	const char		*halt_path;
	/* SD_TESTING builds: "STATE:intent" or "STATE:applied" kills the
	 * process with SIGKILL there (the crash tests); NULL: never */
	const char		*crash_at;
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
	char		 holder[SD_LOCK_HOLDER_MAX];
	struct sd_lock	*lock;
	/* the snapshot */
	int	 have_snapshot;
	char	 prev_sha256[SD_AWS_SHA256_B64_MAX];
	char	 prev_revision[SD_AWS_REVISION_MAX];
	char	*prev_definition;
	char	 prev_sm_revision[SD_AWS_REVISION_MAX]; /* SFN revisionId */
	char	 version[SD_AWS_NAME_MAX];	/* PublishVersion's */
	char	*deployed_definition;	/* the release's, qualified */
};

/*
 * Fill what Validate derives from ctx->release (project, config, ARNs,
 * bucket, keys, definition) without checking it again: the recovery
 * does this from the release kept in the journal. err on failure.
 */
int	 sd_deploy_derive(struct sd_deploy_ctx *ctx, struct sd_error *err);
/*
 * The definition as this release deploys it (ctx->definition qualified
 * with ctx->version) into ctx->deployed_definition. err on failure.
 */
int	 sd_deploy_make_deployed(struct sd_deploy_ctx *ctx,
	    struct sd_error *err);

/*
 * No mixed window: the definition as deployed names the release's Lambda
 * by the version PublishVersion made, so one UpdateStateMachine switches
 * code and definition together (and rolling the definition back brings
 * back the version it named). Returns a new copy of definition (an ASL
 * document) in which every reference to the function of lambda_arn is
 * qualified with qualifier:
 *   - a Task "Resource" that is its ARN, unqualified or with any
 *     qualifier ($LATEST, a version, an alias);
 *   - a Task on "arn:aws:states:::lambda:invoke" (any .sync/.waitForTaskToken
 *     suffix) whose Parameters/Arguments "FunctionName" names it by name,
 *     partial ARN (ACCOUNT:function:NAME) or ARN, with or without a
 *     qualifier;
 * in every state, Parallel branch and Map ItemProcessor/Iterator.
 * *count (may be NULL) gets the number rewritten. NULL on ENOMEM or when
 * lambda_arn is not a function ARN.
 */
json_t	*sd_deploy_qualify(const json_t *definition, const char *lambda_arn,
	    const char *qualifier, size_t *count);

/* "PROJECT/CONFIG/deployed.json": the deployed release and, newest
 * first, the ones before it (written by the Record step). 0 or -1. */
int	 sd_deploy_history_key(const char *project, const char *config,
	    char *buf, size_t len);

/* ---- recovery (recover.c) */

/* The journal step that closes a release's journal: its data says
 * {"status": "Deployed"|"Failed"|"RolledBack", "error", "cause"}. A
 * journal without it is a release in flight (or one whose rollback
 * failed, which holds its lock until a recovery restores it). */
#define SD_DEPLOY_END_STEP	"End"

struct sd_journal;

/* Append the End entry. */
int	 sd_deploy_journal_end(struct sd_journal *, const char *status,
	    const char *error, const char *cause, struct sd_error *err);

/* The recovery's own state machine (static JSON text). */
const char *sd_deploy_recovery_definition(void);

struct sd_recover_opts {
	struct sd_aws		*aws;
	const struct sd_policy	*policy;
	const char		*journal_dir;
	const char		*skip_release;	/* leave this one alone */
	void			(*on_step)(void *arg, const char *state,
				    const char *phase, const char *detail);
	void			*on_step_arg;
	const char		*crash_at;	/* as in sd_deploy_ctx */
};

struct sd_recover_outcome {
	char	release_id[65];
	/* Completed (the release is deployed and verified), RolledBack
	 * (the snapshot is back), Released (nothing had changed: the lock
	 * was released), Nothing, Busy (a live deploy holds the journal),
	 * Skipped (not in flight), Failed (see detail: the journal stays
	 * open and the next recovery tries again) */
	char	outcome[16];
	char	detail[1200];
};

/*
 * Recover the release of the journal at path if it is in flight and no
 * live process holds it: rebuild the deploy from the journal (the
 * release, the lock's holder, the snapshot, the published version), then
 * complete it when it was fully applied and verifies (Verify, Record,
 * ReleaseLock), else restore the snapshot (Rollback) and release the
 * lock. A release whose lock is no longer its own is left alone (Failed,
 * Deploy.LockLost). Ends the journal (SD_DEPLOY_END_STEP) unless Failed.
 */
int	 sd_deploy_recover_one(const struct sd_recover_opts *,
	    const char *path, struct sd_recover_outcome *out,
	    struct sd_error *err);
/* sd_deploy_recover_one on every *.journal of opts->journal_dir, calling
 * report for each one that was in flight. 0, or the first failure. */
int	 sd_deploy_recover_dir(const struct sd_recover_opts *,
	    void (*report)(void *arg, const struct sd_recover_outcome *),
	    void *arg, struct sd_error *err);

/* Register every Task handler of the flow on m (ctx borrowed). */
int	 sd_deploy_register(struct step_machine *m, struct sd_deploy_ctx *ctx);
/* Free what the run allocated (not the inputs); NULL-safe. */
void	 sd_deploy_ctx_clear(struct sd_deploy_ctx *ctx);

#endif /* SD_DEPLOY_H */
