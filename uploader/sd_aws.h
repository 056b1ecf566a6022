/*
 * sd_aws: the uploader's AWS clients (S3, Lambda, Step Functions) over
 * libcurl. The uploader never reads credentials: every request is signed
 * by a callback, in production sd_aws_signer_sign over sign.sock (the
 * signer daemon checks each request against the policy and returns the
 * SigV4 headers to add).
 *
 *	struct sd_aws_config cfg;
 *	struct sd_aws_signer *sg = NULL;
 *	struct sd_aws *c = NULL;
 *	struct sd_aws_status st;
 *
 *	sd_aws_config_init(&cfg);
 *	cfg.region = "us-east-1";
 *	cfg.policy = pol;			(endpoints; NULL: AWS's)
 *	if (sd_aws_signer_socket("/run/stepdeploy/sign.sock", &sg, &err) != 0)
 *		...
 *	cfg.sign = sd_aws_signer_sign;
 *	cfg.sign_ctx = sg;
 *	if (sd_aws_new(&cfg, &c, &err) != 0)
 *		...
 *	r = sd_aws_s3_put_object(c, &put, etag, &st, &err);
 *	if (r != 0 && st.kind == SD_AWS_PRECONDITION) ...
 *	sd_aws_free(c);
 *	sd_aws_signer_free(sg);
 *
 * Transport. One CURL handle per client, so connections are reused; a
 * client is not thread-safe (one per thread). Endpoints come from the
 * explicit base URLs of the config, else the policy's endpoints map, else
 * AWS's https endpoints (sd_policy_endpoint). Only https is spoken, with
 * TLS peer and host verification on (CURLOPT_PROTOCOLS_STR "https"),
 * except to an explicit http:// loopback endpoint (127.0.0.0/8, [::1],
 * localhost) - the local stand-in of the tests. Requests to a loopback host
 * never go through a proxy; others honour libcurl's proxy environment
 * variables (https_proxy, no_proxy, ...). Redirects are not followed.
 * S3 is addressed path-style (/BUCKET/KEY).
 *
 * Retries. Throttling (S3 503 SlowDown, Lambda 429
 * TooManyRequestsException, Step Functions ThrottlingException, ...),
 * 500/502/503/504 and transport errors (connection refused or reset,
 * timeout, a response cut short) are retried up to retry.max_attempts
 * tries in all, with capped, jittered exponential backoff
 * (sd_aws_backoff_ms); each retry is signed afresh. Which failures are
 * retried depends on how safe the call is to repeat (enum sd_aws_idem):
 * reads, deletes and calls that set an absolute state are repeated
 * blindly; conditional writes too, because a repeat after a success is
 * refused by its own condition. Such a call reports SD_AWS_PRECONDITION
 * (S3 412, Lambda 412 on a RevisionId) with st->maybe_applied set when an
 * earlier try may have been applied (it was cut off, timed out or got a
 * 5xx after the request was sent): the caller then tells its own success
 * from a competitor's by re-reading the resource - the lock (sd_lock.h)
 * re-reads the lock object and compares it byte for byte with the body
 * it wrote (which names its holder and time); a Lambda update compares
 * the function's CodeSha256 with the code it sent.
 *
 * Errors. Every operation returns 0 or a negative SD_ERR_* and, on
 * failure, fills err with one line naming the service, the operation,
 * the resource, the HTTP status, AWS's error code and message, e.g.
 *	S3 PutObject s3://acme-stepdeploy/acme/hello/production/lock: HTTP 412
 *	PreconditionFailed: At least one of the pre-conditions you specified
 *	did not hold
 * and st (may be NULL) with the same parts for a program to look at.
 * Return codes: SD_ERR_NOTFOUND for SD_AWS_NOT_FOUND; SD_ERR_IO for
 * transport, throttling and server errors (after the retries); SD_ERR_LIMIT
 * for a response over its cap; SD_ERR_INVALID for every other refusal;
 * the signer's own code when it refuses to sign (nothing was sent).
 * AWS's messages are untrusted text: they are cut to
 * SD_AWS_MESSAGE_MAX - 1 bytes and bytes outside printable ASCII are
 * replaced with '?'.
 */
#ifndef SD_AWS_H
#define SD_AWS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_policy.h"
#include "sd_sigv4.h"

#define SD_AWS_URL_MAX		2048	/* an endpoint or download URL */
#define SD_AWS_HOST_MAX		256	/* the Host header */
#define SD_AWS_CODE_MAX		128	/* AWS's error code */
#define SD_AWS_MESSAGE_MAX	1024	/* AWS's error message */
#define SD_AWS_REQUEST_ID_MAX	128
#define SD_AWS_ETAG_MAX		136	/* quoted, as S3 sends it */
#define SD_AWS_REVISION_MAX	128	/* Lambda RevisionId, SFN revisionId */
#define SD_AWS_SHA256_B64_MAX	48	/* base64 SHA-256 (44) + NUL */
#define SD_AWS_NAME_MAX		96	/* a short value: state, status... */
#define SD_AWS_ARN_MAX		(SD_POLICY_ARN_MAX + 32) /* with :VERSION */
#define SD_AWS_KEY_MAX		1024	/* an S3 object key */

#define SD_AWS_RESPONSE_MAX_DEFAULT	((size_t)8 << 20)
#define SD_AWS_ERROR_BODY_MAX	((size_t)64 << 10)	/* error bodies kept */
/*
 * The largest zip sent inline (UpdateFunctionCode ZipFile): the signer
 * reads the whole body of that call (at most 3 MiB, base64 included).
 * Larger code goes through S3 (S3Bucket/S3Key).
 */
#define SD_AWS_INLINE_ZIP_MAX	((size_t)2 << 20)

/*
 * The signing callback: sign req (every pointer borrowed; headers are the
 * ones that will be sent and must be signed, payload_hash or body set)
 * for region and return in *headers a new JSON array of [name, value]
 * pairs to add to the request. 0 or a negative SD_ERR_* with err filled;
 * nothing is sent then.
 */
typedef int (*sd_aws_sign_fn)(void *ctx, const struct sd_sigv4_request *req,
    const char *region, json_t **headers, struct sd_error *err);

/* How a failed call ended (struct sd_aws_status.kind). */
enum sd_aws_kind {
	SD_AWS_OK = 0,
	SD_AWS_TRANSPORT,	/* no complete HTTP answer (curl_code says) */
	SD_AWS_THROTTLED,	/* the service refused for rate: not applied */
	SD_AWS_SERVER,		/* 5xx, or a transient code (RequestTimeout) */
	SD_AWS_NOT_FOUND,	/* 404, NoSuchKey, ResourceNotFoundException,
				   StateMachineDoesNotExist ... */
	SD_AWS_PRECONDITION,	/* 412: If-Match, If-None-Match, RevisionId */
	SD_AWS_CONFLICT,	/* 409, ResourceConflictException (update in
				   progress), ConflictException */
	SD_AWS_DENIED,		/* 401/403 and the signature/credential codes */
	SD_AWS_CLIENT,		/* any other 4xx */
	SD_AWS_SIGNER,		/* the signer refused or failed: not sent */
	SD_AWS_LOCAL		/* a local problem: argument, file, memory,
				   response over its cap, TLS verification */
};

/* How safe a call is to repeat (see "Retries" above). */
enum sd_aws_idem {
	SD_AWS_IDEMPOTENT = 0,	/* reads, deletes, absolute writes */
	SD_AWS_CONDITIONAL,	/* guarded by a condition: retried like the
				   above; a refusal of the condition after an
				   ambiguous try sets maybe_applied */
	SD_AWS_UNSAFE		/* retried only when surely not applied:
				   throttled, or no connection was made */
};

/* What happened to one call; plain data. */
struct sd_aws_status {
	enum sd_aws_kind kind;
	long		 http_status;	/* of the last try; 0: none */
	char		 code[SD_AWS_CODE_MAX];	/* "PreconditionFailed" */
	char		 message[SD_AWS_MESSAGE_MAX];	/* AWS's; SD_AWS_TRANSPORT:
				   "scheme://host[:port]: curl's text
				   (curl error N)" */
	char		 request_id[SD_AWS_REQUEST_ID_MAX];
	int		 curl_code;	/* CURLcode of the last try */
	unsigned	 attempts;	/* tries made (0: nothing sent) */
	int		 maybe_applied;	/* some try of a write (not GET or
					   HEAD) may have been applied
					   without a definite answer */
};

/* Reported to the on_call observer before and after each try. */
struct sd_aws_call {
	enum sd_policy_service	 service;
	const char		*op;		/* "PutObject" */
	const char		*resource;	/* "s3://B/K" or an ARN */
	unsigned		 attempt;	/* 1-based */
	int			 done;		/* 0: about to send */
	const struct sd_aws_status *status;	/* when done */
	long			 elapsed_ms;	/* when done */
};

/* Backoff: retry n waits in [c/2, c], c = min(max_ms, base_ms * 2^(n-1)). */
struct sd_aws_retry {
	unsigned	 max_attempts;	/* tries in all, 1-100 */
	uint32_t	 base_ms;
	uint32_t	 max_ms;
};

struct sd_aws_config {
	const char		*region;	/* required */
	const struct sd_policy	*policy;	/* endpoints; may be NULL */
	/* Explicit base URLs ("https://host[:port]"), indexed by enum
	 * sd_policy_service; NULL: the policy's, else AWS's. */
	const char		*endpoint[SD_POLICY_SVC_COUNT];
	const char		*ca_file;	/* NULL: the system's CAs */
	long			 connect_timeout_ms;	/* default 10000 */
	long			 request_timeout_ms;	/* one try; 120000 */
	struct sd_aws_retry	 retry;		/* 5 tries, 200 ms, 20 s */
	long			 poll_interval_ms;	/* Lambda wait: 1000 */
	long			 poll_timeout_ms;	/* Lambda wait: 300000 */
	size_t			 response_max;	/* a JSON/GetObject body */
	sd_aws_sign_fn		 sign;		/* required */
	void			*sign_ctx;
	void			(*on_call)(void *arg, const struct sd_aws_call *);
	void			*on_call_arg;
	const char		*user_agent;	/* NULL: "stepdeploy-uploader" */
};

struct sd_aws;		/* opaque */

/* The defaults above; region, sign and endpoints left NULL. */
void	 sd_aws_config_init(struct sd_aws_config *);
/*
 * A client for cfg (copied: nothing is borrowed after the call but the
 * policy is not needed either, and sign_ctx / on_call_arg which stay the
 * caller's). Endpoints are resolved and checked now. *out is new
 * (sd_aws_free). SD_ERR_INVALID (a bad endpoint, region, option),
 * SD_ERR_NOMEM, SD_ERR_INTERNAL (libcurl would not start).
 */
int	 sd_aws_new(const struct sd_aws_config *cfg, struct sd_aws **out,
	    struct sd_error *err);
/* NULL-safe. */
void	 sd_aws_free(struct sd_aws *);
/* Borrowed. */
const char *sd_aws_region(const struct sd_aws *);
/* The resolved base URL of a service (borrowed). */
const char *sd_aws_endpoint(const struct sd_aws *, enum sd_policy_service);

/* ---- the signer over sign.sock */

struct sd_aws_signer;	/* opaque: the socket path and a connection */

/*
 * A signing context for path; connects now (and again, once per request,
 * when the connection was lost, e.g. closed by the signer's idle
 * timeout). *out is new (sd_aws_signer_free). SD_ERR_INVALID, SD_ERR_IO.
 */
int	 sd_aws_signer_socket(const char *path, struct sd_aws_signer **out,
	    struct sd_error *err);
/* An sd_aws_sign_fn; ctx is a struct sd_aws_signer. */
int	 sd_aws_signer_sign(void *ctx, const struct sd_sigv4_request *req,
	    const char *region, json_t **headers, struct sd_error *err);
/* Closes the connection; NULL-safe. */
void	 sd_aws_signer_free(struct sd_aws_signer *);

/* ---- S3 (path-style) */

struct sd_aws_s3_put {
	const char	*bucket;
	const char	*key;
	const void	*body;		/* the body from memory ... */
	size_t		 body_len;
	const char	*file;		/* ... or from this file, */
	const char	*sha256_hex;	/* whose SHA-256 (64 lower-case hex)
					   is sent as the payload hash; S3
					   refuses a file that differs */
	const char	*content_type;	/* NULL: none */
	int		 if_none_match;	/* If-None-Match: *  (create only) */
	const char	*if_match;	/* If-Match: ETAG (replace only that) */
};

struct sd_aws_s3_object {
	char		 etag[SD_AWS_ETAG_MAX];	/* quoted, as S3 sends it */
	int64_t		 size;			/* -1 when not known */
	char		 last_modified[64];
	char		*body;		/* GetObject: new, NUL-terminated */
	size_t		 len;
};

/*
 * PutObject. etag (may be NULL) receives the new object's ETag.
 * SD_AWS_PRECONDITION when If-None-Match / If-Match does not hold (S3
 * 412), SD_AWS_NOT_FOUND for If-Match on a missing key. Conditional puts
 * are SD_AWS_CONDITIONAL, others SD_AWS_IDEMPOTENT.
 */
int	 sd_aws_s3_put_object(struct sd_aws *, const struct sd_aws_s3_put *,
	    char etag[SD_AWS_ETAG_MAX], struct sd_aws_status *,
	    struct sd_error *);
/*
 * GetObject into memory, at most max bytes (0: the client's
 * response_max): a larger object is SD_ERR_LIMIT. if_match may be NULL.
 * out is filled (sd_aws_s3_object_clear).
 */
int	 sd_aws_s3_get_object(struct sd_aws *, const char *bucket,
	    const char *key, const char *if_match, size_t max,
	    struct sd_aws_s3_object *out, struct sd_aws_status *,
	    struct sd_error *);
/* HeadObject: etag, size, last_modified; body stays NULL. */
int	 sd_aws_s3_head_object(struct sd_aws *, const char *bucket,
	    const char *key, struct sd_aws_s3_object *out,
	    struct sd_aws_status *, struct sd_error *);
/*
 * DeleteObject, with If-Match when if_match is not NULL (412 on another
 * ETag, 404 when the key is missing; a plain delete of a missing key
 * succeeds).
 */
int	 sd_aws_s3_delete_object(struct sd_aws *, const char *bucket,
	    const char *key, const char *if_match, struct sd_aws_status *,
	    struct sd_error *);
/* Frees body and zeroes out; NULL-safe. */
void	 sd_aws_s3_object_clear(struct sd_aws_s3_object *);

/* ---- Lambda (functions named by their full unqualified ARN) */

struct sd_aws_lambda_function {
	char	 function_arn[SD_AWS_ARN_MAX];
	char	 code_sha256[SD_AWS_SHA256_B64_MAX];	/* base64 */
	int64_t	 code_size;
	char	 revision_id[SD_AWS_REVISION_MAX];
	char	 state[SD_AWS_NAME_MAX];	/* Pending Active Inactive Failed */
	char	 last_update_status[SD_AWS_NAME_MAX]; /* InProgress Successful
						   Failed */
	char	 last_update_reason[SD_AWS_MESSAGE_MAX];
	char	 version[SD_AWS_NAME_MAX];	/* "$LATEST", "3" */
	char	*code_location;		/* GetFunction: new; else NULL */
	json_t	*tags;			/* GetFunction: new object or NULL */
	json_t	*raw;			/* the whole answer: new */
};
/* Frees and zeroes; NULL-safe. */
void	 sd_aws_lambda_function_clear(struct sd_aws_lambda_function *);

/* GetFunction (qualifier: NULL, a version or an alias). */
int	 sd_aws_lambda_get_function(struct sd_aws *, const char *arn,
	    const char *qualifier, struct sd_aws_lambda_function *out,
	    struct sd_aws_status *, struct sd_error *);
/* GetFunctionConfiguration. */
int	 sd_aws_lambda_get_configuration(struct sd_aws *, const char *arn,
	    const char *qualifier, struct sd_aws_lambda_function *out,
	    struct sd_aws_status *, struct sd_error *);

struct sd_aws_lambda_code {
	const void	*zip;		/* inline (ZipFile), at most
					   SD_AWS_INLINE_ZIP_MAX bytes ... */
	size_t		 zip_len;
	const char	*s3_bucket;	/* ... or from S3 */
	const char	*s3_key;
	const char	*revision_id;	/* precondition; NULL: none */
	int		 publish;
	int		 dry_run;
};
/*
 * UpdateFunctionCode. With revision_id it is SD_AWS_CONDITIONAL (a stale
 * one is SD_AWS_PRECONDITION), without it SD_AWS_IDEMPOTENT (it sets the
 * code). An update while one is in progress is SD_AWS_CONFLICT: wait with
 * sd_aws_lambda_wait_updated first. out (may be NULL) gets the new
 * configuration (LastUpdateStatus InProgress).
 */
int	 sd_aws_lambda_update_code(struct sd_aws *, const char *arn,
	    const struct sd_aws_lambda_code *, struct sd_aws_lambda_function *out,
	    struct sd_aws_status *, struct sd_error *);
/*
 * Poll GetFunctionConfiguration every poll_interval_ms until the function
 * is neither InProgress nor Pending, for at most poll_timeout_ms.
 * 0 when LastUpdateStatus is Successful (out, may be NULL, holds the
 * configuration); SD_ERR_INVALID when it is Failed (err gives the reason
 * code and text); SD_ERR_IO when it is still in progress at the end.
 */
int	 sd_aws_lambda_wait_updated(struct sd_aws *, const char *arn,
	    struct sd_aws_lambda_function *out, struct sd_aws_status *,
	    struct sd_error *);
/*
 * PublishVersion with optional RevisionId and CodeSha256 preconditions
 * (NULL: none) and description. Lambda answers the same version again
 * when nothing changed, so it is retried as SD_AWS_CONDITIONAL.
 */
int	 sd_aws_lambda_publish_version(struct sd_aws *, const char *arn,
	    const char *revision_id, const char *code_sha256,
	    const char *description, struct sd_aws_lambda_function *out,
	    struct sd_aws_status *, struct sd_error *);
/* ListTags: *tags is a new object {"Key": "Value", ...}. */
int	 sd_aws_lambda_list_tags(struct sd_aws *, const char *arn,
	    json_t **tags, struct sd_aws_status *, struct sd_error *);

/*
 * Download an unsigned URL (GetFunction's Code.Location: a presigned
 * https S3 URL; http only to a loopback host, and only when the client
 * has an http loopback endpoint) into a new file at path (created mode
 * 0600, O_EXCL; removed again on failure), at most max bytes. When
 * sha256_b64 is given the content must have that base64 SHA-256
 * (Lambda's CodeSha256), else SD_ERR_INVALID. got_b64 (may be NULL)
 * receives the content's, size (may be NULL) its length. Errors are
 * parsed as S3's and named "S3 download URL" with the URL's query (a
 * credential) left out. Retried like a read.
 */
int	 sd_aws_download(struct sd_aws *, const char *url, const char *path,
	    uint64_t max, const char *sha256_b64,
	    char got_b64[SD_AWS_SHA256_B64_MAX], uint64_t *size,
	    struct sd_aws_status *, struct sd_error *);

/* ---- Step Functions (JSON 1.0) */

struct sd_aws_state_machine {
	char	 arn[SD_AWS_ARN_MAX];
	char	 name[SD_AWS_NAME_MAX];
	char	 status[SD_AWS_NAME_MAX];	/* ACTIVE, DELETING */
	char	 revision_id[SD_AWS_REVISION_MAX]; /* "" when not given */
	char	 role_arn[SD_AWS_ARN_MAX];
	char	 version_arn[SD_AWS_ARN_MAX];	/* Update/Publish: new version */
	char	*definition;		/* Describe: new; else NULL */
	json_t	*raw;			/* the whole answer: new */
};
/* Frees and zeroes; NULL-safe. */
void	 sd_aws_state_machine_clear(struct sd_aws_state_machine *);

/* DescribeStateMachine (of the machine or one of its version ARNs). */
int	 sd_aws_sfn_describe(struct sd_aws *, const char *arn,
	    struct sd_aws_state_machine *out, struct sd_aws_status *,
	    struct sd_error *);

struct sd_aws_sfn_update {
	const char	*definition;	/* the ASL text; required */
	int		 publish;	/* also publish a version */
	const char	*version_description;	/* with publish only */
};
/*
 * UpdateStateMachine (definition, publish, versionDescription - what
 * the signer allows). out (may be NULL): revision_id and, when
 * published, version_arn. Setting the same definition again is
 * harmless and publishing an unchanged machine answers the same
 * version, so it is retried as SD_AWS_IDEMPOTENT.
 */
int	 sd_aws_sfn_update(struct sd_aws *, const char *arn,
	    const struct sd_aws_sfn_update *, struct sd_aws_state_machine *out,
	    struct sd_aws_status *, struct sd_error *);
/*
 * PublishStateMachineVersion with an optional revisionId precondition
 * (a stale one: SFN's ConflictException, SD_AWS_CONFLICT) and
 * description. NB: the signer's policy does not allow this action yet;
 * UpdateStateMachine with publish does the same in one call.
 */
int	 sd_aws_sfn_publish_version(struct sd_aws *, const char *arn,
	    const char *revision_id, const char *description,
	    struct sd_aws_state_machine *out, struct sd_aws_status *,
	    struct sd_error *);
/* ListTagsForResource: *tags is a new object {"key": "value", ...}. */
int	 sd_aws_sfn_list_tags(struct sd_aws *, const char *arn, json_t **tags,
	    struct sd_aws_status *, struct sd_error *);

/* ---- helpers (pure; exposed for the deploy flow and the unit tests) */

/* SHA-256 of a file: hex (65 bytes with NUL), base64 and size; any may be
 * NULL. SD_ERR_IO. */
int	 sd_aws_sha256_file(const char *path, char hex[65],
	    char b64[SD_AWS_SHA256_B64_MAX], uint64_t *size,
	    struct sd_error *err);

/*
 * A checked endpoint. url is "https://HOST[:PORT]" (a trailing '/'
 * allowed; no path, query, fragment or user), or "http://..." to a
 * loopback host (127.0.0.0/8, [::1], localhost).
 */
struct sd_aws_endpoint {
	char	 base[SD_AWS_URL_MAX];	/* scheme://host[:port], no '/' */
	char	 host[SD_AWS_HOST_MAX];	/* the Host header: lower case, the
					   port only when not the default */
	int	 https;
	int	 loopback;
};
/* 0, or SD_ERR_INVALID with the reason. */
int	 sd_aws_endpoint_parse(const char *url, struct sd_aws_endpoint *out,
	    struct sd_error *err);
/*
 * 0 when url (any path and query) may be fetched: https, or http to a
 * loopback host when allow_http_loopback; no user info. SD_ERR_INVALID.
 */
int	 sd_aws_url_allowed(const char *url, int allow_http_loopback,
	    struct sd_error *err);
/* 1 when host (as in a URL: "127.0.0.1", "[::1]", "localhost") is
 * loopback. */
int	 sd_aws_host_is_loopback(const char *host);

/*
 * Parse an AWS error answer into st->code and st->message (st->kind
 * too, from sd_aws_classify). S3: the XML <Error><Code>/<Message>; a
 * HEAD or an empty body gets a code from the status ("NotFound",
 * "PreconditionFailed", ...). Lambda and Step Functions: the
 * x-amzn-ErrorType header (error_type, may be NULL), else the JSON
 * body's "__type", "code"/"Code", and as a last resort "Type" (Lambda's
 * fault class, "User"/"Service"); only what follows '#' (and precedes
 * ':') is kept; the message is "message" or "Message". At most
 * SD_AWS_ERROR_BODY_MAX bytes of body are looked at.
 */
void	 sd_aws_parse_error(enum sd_policy_service svc, long http_status,
	    const char *error_type, const char *body, size_t len,
	    struct sd_aws_status *st);
/*
 * The text of the first <tag>...</tag> in xml (len bytes, need not be
 * NUL-terminated), entities decoded (&lt; &gt; &amp; &quot; &apos;
 * &#N; &#xN;, others kept), into out (always NUL-terminated, cut to
 * outlen - 1). 1 when found, 0 when not.
 */
int	 sd_aws_xml_text(const char *xml, size_t len, const char *tag,
	    char *out, size_t outlen);
/* What an answer means, from its HTTP status and AWS error code. */
enum sd_aws_kind sd_aws_classify(long http_status, const char *code);
/*
 * 1 when a try that ended so is retried for a call of that safety.
 * curl_code and sent (some of the request left: libcurl's
 * CURLINFO_REQUEST_SIZE > 0) matter for SD_AWS_TRANSPORT only:
 * transient transport errors (no connection, reset, timeout, an answer
 * cut short) are retried; TLS verification or protocol errors are not.
 */
int	 sd_aws_retryable(enum sd_aws_kind, int curl_code, int sent,
	    enum sd_aws_idem);
/* 1 when a try that ended so may have been applied by the service: a 5xx,
 * or a transport error after the request left. */
int	 sd_aws_maybe_applied(enum sd_aws_kind, int curl_code, int sent);
/*
 * The wait before retry number n (1-based): c = min(max_ms, base_ms *
 * 2^(n-1)), then c/2 + rnd % (c/2 + 1) ("equal jitter": never less than
 * half, never more than the cap); at least retry_after_ms (a Retry-After
 * header; 0: none), itself capped at max_ms.
 */
uint32_t sd_aws_backoff_ms(const struct sd_aws_retry *, unsigned n,
	    uint32_t rnd, uint32_t retry_after_ms);
/* "throttled", "not found", ... */
const char *sd_aws_kind_name(enum sd_aws_kind);
/* "S3", "Lambda", "Step Functions". */
const char *sd_aws_service_title(enum sd_policy_service);
/* The SD_ERR_* an operation returns for a failure of that kind. */
int	 sd_aws_kind_errcode(enum sd_aws_kind);

#endif /* SD_AWS_H */
