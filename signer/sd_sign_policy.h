/*
 * sd_sign_policy: what the signer agrees to sign.
 *
 * A SIGN_REQUEST payload is one JSON object:
 *
 *	{ "method":  "GET" | "HEAD" | "PUT" | "POST" | "DELETE",
 *	  "host":    "lambda.us-east-1.amazonaws.com" (lower case, [:port]),
 *	  "path":    "/2015-03-31/functions/arn%3Aaws%3A...", as sent,
 *	  "query":   "" or "Qualifier=%24LATEST" (optional), as sent,
 *	  "headers": [["Content-Type", "application/x-amz-json-1.0"], ...],
 *	  "payload_sha256": "<64 lower-case hex>"  -- or --
 *	  "body":    "<base64 of the exact body>",
 *	  "region":  "us-east-1",
 *	  "service": "lambda"      (optional, ignored: derived from host),
 *	  "time":    1764072000    (optional; within SD_SIGN_TIME_SKEW of
 *	                            the signer's clock) }
 *
 * sd_sign_req_parse checks every field (types, sizes, characters) and
 * refuses unknown ones; sd_sign_policy_check then derives the service
 * from the host, the action from the method, path, query, X-Amz-Target
 * and (where needed) the body, and the resource from the path or the
 * body, and allows the request only when some project of the policy may
 * touch that resource:
 *
 *  S3 (s3.REGION.amazonaws.com path-style /BUCKET/KEY, virtual-hosted
 *  BUCKET.s3.REGION.amazonaws.com/KEY, or the policy's s3 endpoint):
 *	GET/HEAD/PUT/DELETE of an object, no query string, whose bucket is
 *	a project's bucket and whose key is under PROJECT/CONFIG/ for one
 *	of its configs; keys of [A-Za-z0-9._/-] only, no empty, "." or ".."
 *	segments; no x-amz-acl, x-amz-grant-*, x-amz-copy-source*,
 *	x-amz-object-lock-*, x-amz-bypass-governance-retention headers.
 *  Lambda (REST), the function named by its full unqualified ARN in the
 *  path (URL-encoded or not):
 *	GET    /2015-03-31/functions/ARN			GetFunction
 *	GET    /2015-03-31/functions/ARN/configuration	GetFunctionConfiguration
 *	PUT    /2015-03-31/functions/ARN/code		UpdateFunctionCode
 *	POST   /2015-03-31/functions/ARN/versions	PublishVersion
 *	GET    /2017-03-31/tags/ARN			ListTags
 *	(the GETs may carry ?Qualifier=...). UpdateFunctionCode must send
 *	its body: its code must come from the project's bucket under
 *	PROJECT/CONFIG/ (S3Bucket, S3Key) or inline (ZipFile).
 *  Step Functions (JSON 1.0, POST / with Content-Type
 *  application/x-amz-json-1.0), the body sent so the signer reads the
 *  ARN from it itself:
 *	X-Amz-Target: AWSStepFunctions.DescribeStateMachine  {stateMachineArn}
 *	X-Amz-Target: AWSStepFunctions.UpdateStateMachine    {stateMachineArn,
 *	    definition, publish, versionDescription}
 *	X-Amz-Target: AWSStepFunctions.ListTagsForResource   {resourceArn}
 *  Lambda and state machine ARNs must be in the request's region, name an
 *  account and region the project lists, and match its ARN patterns.
 *  GET, HEAD and DELETE requests carry no body.
 *
 * Everything else is refused; the error says why.
 */
#ifndef SD_SIGN_POLICY_H
#define SD_SIGN_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_policy.h"
#include "sd_sigv4.h"

#define SD_SIGN_MSG_MAX		((size_t)4 << 20)	/* one request frame */
#define SD_SIGN_BODY_MAX	((size_t)3 << 20)	/* a decoded body */
#define SD_SIGN_MAX_HEADERS	32			/* in one request */
#define SD_SIGN_HOST_MAX	255
#define SD_SIGN_TIME_SKEW	300			/* seconds */
#define SD_SIGN_KEY_MAX		1024			/* an S3 object key */
#define SD_SIGN_PROJECT_MAX	160
#define SD_SIGN_RESOURCE_MAX	(SD_SIGN_KEY_MAX + 80)

enum sd_sign_action {
	SD_SIGN_S3_GET_OBJECT = 0,
	SD_SIGN_S3_HEAD_OBJECT,
	SD_SIGN_S3_PUT_OBJECT,
	SD_SIGN_S3_DELETE_OBJECT,
	SD_SIGN_LAMBDA_GET_FUNCTION,
	SD_SIGN_LAMBDA_GET_FUNCTION_CONFIGURATION,
	SD_SIGN_LAMBDA_UPDATE_FUNCTION_CODE,
	SD_SIGN_LAMBDA_PUBLISH_VERSION,
	SD_SIGN_LAMBDA_LIST_TAGS,
	SD_SIGN_STATES_DESCRIBE_STATE_MACHINE,
	SD_SIGN_STATES_UPDATE_STATE_MACHINE,
	SD_SIGN_STATES_LIST_TAGS_FOR_RESOURCE,
	SD_SIGN_ACTION_COUNT
};

/* A validated SIGN_REQUEST (opaque). */
struct sd_sign_req;

/* What the policy allowed: plain data. */
struct sd_sign_decision {
	enum sd_policy_service	 service;
	enum sd_sign_action	 action;
	char			 project[SD_SIGN_PROJECT_MAX];
	/* the ARN, or "s3://BUCKET/KEY" */
	char			 resource[SD_SIGN_RESOURCE_MAX];
};

/* "s3:PutObject", "lambda:GetFunction", "states:UpdateStateMachine". */
const char *sd_sign_action_name(enum sd_sign_action);

/*
 * Check a SIGN_REQUEST payload (borrowed; kept alive by *out) against the
 * shape above. now is the signer's clock (seconds since the epoch), for
 * "time". *out is new (sd_sign_req_free). SD_ERR_TYPE, SD_ERR_INVALID or
 * SD_ERR_LIMIT with the field as err's location; SD_ERR_NOMEM.
 */
int	 sd_sign_req_parse(json_t *payload, int64_t now,
	    struct sd_sign_req **out, struct sd_error *err);
/* NULL-safe. */
void	 sd_sign_req_free(struct sd_sign_req *);

/*
 * 0 when the policy allows the request (d filled); SD_ERR_INVALID
 * otherwise, with the reason in why (location "policy"). The message
 * holds only characters the request validation admitted, sanitised.
 */
int	 sd_sign_policy_check(const struct sd_policy *,
	    const struct sd_sign_req *, struct sd_sign_decision *d,
	    struct sd_error *why);

/*
 * The parts to sign: out and params borrow from r (valid until
 * sd_sign_req_free). params gets the service's rules (S3: no path
 * normalisation, single encoding, x-amz-content-sha256 signed).
 */
void	 sd_sign_req_sigv4(const struct sd_sign_req *r,
	    const struct sd_sign_decision *d, struct sd_sigv4_request *out,
	    struct sd_sigv4_params *params);

/* The request's method, host and path, for logs (borrowed). */
const char *sd_sign_req_method(const struct sd_sign_req *);
const char *sd_sign_req_host(const struct sd_sign_req *);
const char *sd_sign_req_region(const struct sd_sign_req *);

#endif /* SD_SIGN_POLICY_H */
