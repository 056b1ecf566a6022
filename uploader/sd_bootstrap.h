/*
 * sd_bootstrap: as coinbase/step's `step bootstrap`, update an existing
 * Lambda's code and state machine's definition directly, without the
 * deploy flow - no lock taken, no release record or zip written to S3,
 * no snapshot and no rollback - but through the signer and after the
 * deploy's checks (`stepdeploy bootstrap`):
 *	Validate	the release check, the zip's SHA-256 vs lambda_sha256,
 *			the policy's ARNs (sd_plan_release_load); the zip is
 *			sent inline, so at most SD_AWS_INLINE_ZIP_MAX bytes
 *	CheckResources	the function and the state machine exist (bootstrap
 *			never creates resources), carry the required tags, and
 *			the config is neither frozen nor locked by a deploy
 *	UpdateFunctionCode (ZipFile, RevisionId of the function read), then
 *			wait until the update is done
 *	PublishVersion	(CodeSha256 precondition)
 *	UpdateStateMachine  the release's definition with the Lambda named by
 *			the version published (sd_deploy_qualify)
 *	Verify		CodeSha256 and the definition read back
 * Nothing is changed before CheckResources has passed.
 */
#ifndef SD_BOOTSTRAP_H
#define SD_BOOTSTRAP_H

#include <stddef.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_plan.h"
#include "sd_policy.h"

struct sd_bootstrap {
	/* inputs (borrowed); aws is needed by sd_bootstrap_apply only */
	struct sd_aws			*aws;
	const struct sd_policy		*policy;
	const struct sd_plan_release	*rel;	/* sd_plan_release_load's */
	const char			*zip_path;
	/* each step as it starts ("Validate", "CheckResources", ...), and
	 * each line of what it found or did */
	void	(*on_step)(void *arg, const char *state);
	void	(*on_detail)(void *arg, const char *text);
	void	*arg;
	/* outputs (sd_bootstrap_clear frees them) */
	char	*zip;			/* the bytes checked and sent: new */
	size_t	 zip_len;
	json_t	*refusals;		/* new array of strings, or NULL */
	int	 code_changed;		/* the Lambda's code was changed */
	char	 version[SD_AWS_NAME_MAX];	/* the version published */
};

/*
 * Validate: rel's refusals, its resources addressable, the zip's size,
 * then the zip read into b->zip and hashed again (the bytes sent are the
 * bytes checked). 0; SD_ERR_INVALID when refused (b->refusals says why,
 * a line each); another error in err.
 */
int	 sd_bootstrap_validate(struct sd_bootstrap *b, struct sd_error *err);
/*
 * CheckResources to Verify, after sd_bootstrap_validate, with b->aws
 * open for rel's region. 0 done (b->version); SD_ERR_INVALID when
 * CheckResources refused (b->refusals, nothing was changed); another
 * error in err (b->code_changed says whether the code was changed by
 * then).
 */
int	 sd_bootstrap_apply(struct sd_bootstrap *b, struct sd_error *err);
/* Free the outputs; NULL-safe. */
void	 sd_bootstrap_clear(struct sd_bootstrap *b);

#endif /* SD_BOOTSTRAP_H */
