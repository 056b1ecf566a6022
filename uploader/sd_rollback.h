/*
 * sd_rollback: the release to redeploy when a config is rolled back
 * (`stepdeploy rollback`): the one deployed before the current one (or a
 * named one) in PROJECT/CONFIG/deployed.json (sd_deploy_history_key),
 * fetched as it was deployed (its release.json and lambda.zip) and given
 * a new release id (a release id is never deployed twice), for
 * sd_deploy_run to take through the whole deploy flow.
 */
#ifndef SD_ROLLBACK_H
#define SD_ROLLBACK_H

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_lock.h"
#include "sd_policy.h"

struct sd_rollback {
	const char	*project, *config;	/* borrowed */
	const char	*bucket, *region;	/* the policy's: borrowed */
	char		*from;		/* the current release: new, or NULL */
	char		*to;		/* the target: new */
	char		 new_id[SD_LOCK_RELEASE_MAX];
	char		 zip_path[4096];	/* the target's zip, written */
	json_t		*release;	/* the release to deploy: new */
	char		*buf;		/* ... as submitted: new */
};

/*
 * Zero rb and find project/config in pol: its bucket and (first) region.
 * 0, or SD_ERR_INVALID and err.
 */
int	 sd_rollback_init(const struct sd_policy *pol, const char *project,
	    const char *config, struct sd_rollback *rb, struct sd_error *err);
/*
 * Read the deploy history (aws for rb->region) and choose rb->to: the
 * release to (NULL: the one before the current one, rb->from). 0, or the
 * error (SD_ERR_NOTFOUND: no history, or no such release in it).
 */
int	 sd_rollback_target(struct sd_aws *aws, const char *to,
	    struct sd_rollback *rb, struct sd_error *err);
/*
 * Fetch rb->to's release and zip (written to
 * JOURNAL_DIR/rollback-TO.zip), and make the release to deploy: a new
 * release id, created_at now, lambda_sha256 the zip's, parsed with pol
 * (sd_release_parse). 0 or the error.
 */
int	 sd_rollback_fetch(struct sd_aws *aws, const struct sd_policy *pol,
	    const char *journal_dir, struct sd_rollback *rb,
	    struct sd_error *err);
/* Remove the zip written and free rb; NULL-safe. */
void	 sd_rollback_clear(struct sd_rollback *rb);

#endif /* SD_ROLLBACK_H */
