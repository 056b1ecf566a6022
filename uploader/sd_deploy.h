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

#endif /* SD_DEPLOY_H */
