/*
 * sd_run: one deploy of a release from start to end — what `stepdeploy
 * deploy` runs in the foreground and the uploader daemon runs for each
 * release it takes from its queue: recover the journal directory's
 * in-flight releases, set an ended earlier attempt's journal aside,
 * create this attempt's journal, run the deploy flow (sd_deploy.h) and
 * end the journal with its outcome.
 */
#ifndef SD_RUN_H
#define SD_RUN_H

#include <stddef.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_policy.h"

struct sd_run_opts {
	struct sd_aws		*aws;
	const struct sd_policy	*policy;
	const char		*journal_dir;
	void			(*on_step)(void *arg, const char *state,
				    const char *phase, const char *detail);
	void			(*on_recover)(void *arg,
				    const struct sd_recover_outcome *);
	void			*arg;		/* for both */
	const char		*crash_at;	/* as in sd_deploy_ctx */
};

struct sd_run_result {
	/* Deployed, RolledBack, Failed or RollbackFailed */
	char	 status[16];
	char	 error[256];		/* "" when Deployed */
	char	*cause;			/* new; NULL when none */
	char	 version[SD_AWS_NAME_MAX];	/* the Lambda version published */
	char	*lock_left;		/* new: deployed, lock not released */
	char	 journal[4200];
	char	 flow[16];		/* the flow's end (SUCCEEDED, FAILED,
					   ...); "" when it did not run */
	char	 journal_error[512];	/* the End entry could not be written */
	int	 recovery_failed;	/* releases left in flight */
};

/*
 * Deploy release (parsed; buf/len as submitted) with the zip at zip_path.
 * Returns 0 Deployed, 1 when it failed or rolled back (res says how and
 * why), SD_ERR_USAGE-like 2 for a release without a valid id. res is
 * always filled; sd_run_result_clear frees it.
 */
int	 sd_deploy_run(const struct sd_run_opts *, json_t *release,
	    const char *buf, size_t len, const char *zip_path,
	    struct sd_run_result *res);
void	 sd_run_result_clear(struct sd_run_result *);

/* Recover every in-flight release of o->journal_dir (o->on_recover is
 * told each); *failed counts those left in flight. */
int	 sd_run_recover_all(const struct sd_run_opts *o, const char *skip,
	    int *failed, struct sd_error *err);

/* The regions of the in-flight journals of dir (a new JSON array of
 * strings), or NULL and err. */
json_t	*sd_run_journal_regions(const char *dir, struct sd_error *err);

/*
 * End the journal DIR/RID.journal of a release that recovery must leave
 * alone (its lock was taken over, or removed by hand: an operator has
 * checked the Lambda and state machine) with status Abandoned, error
 * Deploy.Abandoned and the cause "abandoned by BY: REASON (it was at
 * STEP)" (into cause). Touches nothing in AWS. 0; SD_ERR_USAGE when the
 * path is too long; SD_ERR_INVALID when the release has ended already
 * (or a live deploy holds the journal); another error.
 */
int	 sd_run_abandon(const char *dir, const char *rid, const char *by,
	    const char *reason, char *cause, size_t len,
	    struct sd_error *err);

/*
 * Ask the deploy of release rid running on the journals of dir to stop
 * at its next step (it then rolls back): create DIR/RID.halt (0600)
 * holding note (may be ""; the flow's Deploy.Halted error quotes its
 * first line). *existed is 1 when it was asked already (the file is left
 * as it is). 0, SD_ERR_USAGE when the path is too long, or SD_ERR_IO.
 */
int	 sd_run_halt_request(const char *dir, const char *rid,
	    const char *note, int *existed, struct sd_error *err);

/* What sd_run_halt found. */
struct sd_run_halt {
	int	 ended;		/* the release has ended: status says how */
	char	 status[32];
	int	 idle;		/* in flight, but no deploy is running it */
	int	 existed;	/* a halt was requested already */
	char	 at[128];	/* the step it is at ("starting") */
};

/*
 * `stepdeploy halt` of a foreground deploy: when the journal of rid in
 * dir is in flight and a live deploy holds it, sd_run_halt_request. 0
 * with h saying what was found (nothing is written when h->ended or
 * h->idle); SD_ERR_USAGE when the paths are too long; another error.
 */
int	 sd_run_halt(const char *dir, const char *rid, const char *note,
	    struct sd_run_halt *h, struct sd_error *err);

/*
 * An AWS client for region, signed through the signer at signer_path,
 * with the policy's client settings. *signer and *aws are new (free
 * with sd_aws_free and sd_aws_signer_free).
 */
int	 sd_run_open_aws(const struct sd_policy *pol, const char *signer_path,
	    const char *ca_bundle, const char *region,
	    struct sd_aws_signer **signer, struct sd_aws **aws,
	    struct sd_error *err);

#endif /* SD_RUN_H */
