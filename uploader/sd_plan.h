/*
 * sd_plan: what a deploy of a release would do, without changing
 * anything (`stepdeploy plan`), and the release checks that plan and
 * bootstrap (sd_bootstrap.h) share with the deploy flow's Validate and
 * ValidateResources steps. Only reads are sent (S3 GET/HEAD, Lambda
 * GetFunctionConfiguration and ListTags, Step Functions
 * DescribeStateMachine and ListTagsForResource), in the order the deploy
 * flow would meet them:
 *	Validate	the release check, the zip's SHA-256 vs lambda_sha256,
 *			the policy's ARNs (sd_plan_release_load)
 *	Lock		the freeze marker, the lock (free, held, expired), the
 *			release id (was PROJECT/CONFIG/RELEASE_ID/release.json
 *			written before?)
 *	ValidateResources  the resources exist and carry the required tags
 *	the changes	the function's CodeSha256 now -> the zip's, and a
 *			unified line diff (sd_diff.h) of the definition now vs
 *			the release's as it would be deployed
 *			(sd_deploy_qualify: the Lambda named by the version the
 *			deploy publishes, shown as SD_PLAN_NEXT_VERSION), both
 *			pretty-printed with sorted keys
 */
#ifndef SD_PLAN_H
#define SD_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_policy.h"

#define SD_PLAN_NEXT_VERSION	"<next version>"

/*
 * A release checked as the deploy flow's Validate step checks it:
 * release.json read and parsed (sd_release_parse), checked against the
 * policy now (sd_release_check), the zip hashed and compared with
 * lambda_sha256, the resource ARNs built (sd_policy_build_arn) and
 * matched against the project's (sd_policy_arn_allowed). What the deploy
 * would refuse is collected in refusals, not returned as an error.
 */
struct sd_plan_release {
	char		*buf;		/* release.json as read: new */
	size_t		 len;
	json_t		*doc;		/* parsed: new */
	json_t		*check;		/* sd_release_report_json: new */
	json_t		*refusals;	/* new array of strings; [] passes */
	/* in doc ("" when absent or not a string) */
	const char	*release_id, *project, *config, *region, *account;
	const char	*bucket;	/* the policy's; NULL: not in it */
	int		 arns_ok;	/* lambda_arn and sm_arn were built */
	char		 lambda_arn[SD_POLICY_ARN_MAX];
	char		 sm_arn[SD_POLICY_ARN_MAX];
	char		 zip_hex[65];	/* the zip's SHA-256 */
	char		 zip_b64[SD_AWS_SHA256_B64_MAX];
	uint64_t	 zip_size;
};

/*
 * Read release_path and hash zip_path into rel (zeroed first), checked
 * against pol (borrowed; rel borrows from it). 0 when the release could
 * be read, whatever the checks found (rel->refusals); otherwise the error
 * (bad input: the files, a release that is not a JSON object).
 * sd_plan_release_clear frees rel either way.
 */
int	 sd_plan_release_load(const struct sd_policy *pol,
	    const char *release_path, const char *zip_path,
	    struct sd_plan_release *rel, struct sd_error *err);
/* NULL-safe. */
void	 sd_plan_release_clear(struct sd_plan_release *rel);
/*
 * 1 when rel names resources AWS can be asked about: ARNs built, the
 * project in the policy, a valid config.
 */
int	 sd_plan_release_addressable(const struct sd_plan_release *rel);
/*
 * The tags check of the deploy's ValidateResources step: the tags the
 * policy requires of rel's project and config on the Lambda function and
 * the state machine (ListTags, ListTagsForResource). Each mismatch is a
 * string appended to problems. 0, or the error of a failed read.
 */
int	 sd_plan_check_tags(struct sd_aws *aws, const struct sd_policy *pol,
	    const struct sd_plan_release *rel, json_t *problems,
	    struct sd_error *err);

/*
 * The plan of rel (loaded; zip_path as given) as a new JSON object in
 * *out: {release_id, project, config, region, account, release_check,
 * refusals, zip: {path, sha256, size, lambda_sha256, matches}, then
 * either aws (a note: AWS not consulted, when aws is NULL) or freeze,
 * lock, release_id_used, lambda, state_machine, tags; and proceed}.
 * Every reason a deploy would be refused is a string of refusals (the
 * same array as rel->refusals). aws (borrowed, for rel's region) should
 * be NULL when rel is not addressable. 0, or SD_ERR_NOMEM and err.
 */
int	 sd_plan_make(struct sd_aws *aws, const struct sd_policy *pol,
	    const struct sd_plan_release *rel, const char *zip_path,
	    json_t **out, struct sd_error *err);

#endif /* SD_PLAN_H */
