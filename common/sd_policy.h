/*
 * sd_policy: the one policy file (default /etc/stepdeploy/policy.json) that
 * the validator, the signer and the uploader read. Later features extend
 * this file; there is never a second one. policy/README.md is the reference
 * for every field.
 *
 * The loader is strict: the text must be JSON without duplicate keys, every
 * object field must be known, every value must have the documented type and
 * range. The first problem found is reported in err with its location as a
 * JSON pointer into the file, e.g.
 *	location "/projects/acme~1hello/configs/0", message "expected a string"
 * and code SD_ERR_PARSE (not JSON), SD_ERR_TYPE (wrong JSON type),
 * SD_ERR_INVALID (unknown field, missing field, bad syntax, duplicate),
 * SD_ERR_OVERFLOW (number out of range), SD_ERR_LIMIT (too many entries,
 * file too large), SD_ERR_NOTFOUND (a user name that does not resolve),
 * SD_ERR_IO (cannot read the file), SD_ERR_NOMEM.
 *
 * A loaded policy is immutable; every query takes a const pointer and may
 * be called from several threads.
 */
#ifndef SD_POLICY_H
#define SD_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sd_err.h"

#define SD_POLICY_DEFAULT_PATH		"/etc/stepdeploy/policy.json"
#define SD_POLICY_VERSION		1
#define SD_POLICY_FILE_MAX		((size_t)1024 * 1024)	/* bytes */
#define SD_POLICY_LIST_MAX		1024	/* entries in any one list */
#define SD_POLICY_PROJECTS_MAX		4096

/* Defaults (policy/README.md lists them too). */
#define SD_POLICY_DEFAULT_CREDENTIALS	"/etc/stepdeploy/credentials"
#define SD_POLICY_DEFAULT_LEASE		900	/* lock.lease_seconds */

struct sd_policy;		/* opaque */
struct sd_policy_project;	/* opaque; owned by its policy */

/* The listening sockets whose peers the policy names. */
enum sd_policy_socket {
	SD_POLICY_SOCK_SUBMIT = 0,	/* submit.sock: CI -> validator */
	SD_POLICY_SOCK_EXEC,		/* exec.sock: validator -> executor */
	SD_POLICY_SOCK_DEPLOY,		/* deploy.sock: validator -> uploader */
	SD_POLICY_SOCK_SIGN,		/* sign.sock: uploader -> signer */
	SD_POLICY_SOCK_COUNT
};

/* The AWS services the deployer talks to ("s3", "lambda", "states"). */
enum sd_policy_service {
	SD_POLICY_SVC_S3 = 0,
	SD_POLICY_SVC_LAMBDA,
	SD_POLICY_SVC_STATES,
	SD_POLICY_SVC_COUNT
};

/* The kinds of resource ARN a project may change. */
enum sd_policy_arn_kind {
	SD_POLICY_ARN_LAMBDA = 0,	/* arn:P:lambda:R:A:function:NAME */
	SD_POLICY_ARN_STATE_MACHINE	/* arn:P:states:R:A:stateMachine:NAME */
};

/*
 * Limits, global ("limits") or per project (a project's "limits" overrides
 * single fields of the global ones). Plain data: read the fields.
 */
struct sd_policy_limits {
	uint64_t	zip_max_bytes;		/* the Lambda zip as uploaded */
	uint64_t	zip_unzipped_max_bytes;	/* sum of uncompressed sizes */
	uint64_t	zip_max_entries;	/* entries in the zip */
	uint64_t	zip_max_ratio;		/* uncompressed / compressed */
	uint64_t	release_max_bytes;	/* release.json as submitted */
	uint64_t	definition_max_bytes;	/* state_machine, canonical JSON */
	uint64_t	definition_max_states;	/* states, nested ones included */
	uint64_t	metadata_max_bytes;	/* metadata, canonical JSON */
	uint64_t	tests_max_bytes;	/* tests.json as submitted */
	uint64_t	tests_max_count;	/* test cases in tests.json */
	uint64_t	tests_min_count;	/* fewer: refused (0: tests
						   optional) */
	int64_t		release_max_age_seconds;     /* now - created_at */
	int64_t		release_future_skew_seconds; /* created_at - now */
};

/* Built-in defaults of every limit (what an empty "limits" gives). */
extern const struct sd_policy_limits sd_policy_default_limits;

/*
 * Load options. NULL options mean: resolve user names with getpwnam_r and
 * refuse a name that does not resolve.
 */
#define SD_POLICY_KEEP_UNKNOWN_USERS	0x1	/* keep unresolved names; they
						   match no uid (for tools run
						   off the service host) */
struct sd_policy_opts {
	unsigned	 flags;
	/* name -> uid: 0, or SD_ERR_NOTFOUND; NULL means getpwnam_r. */
	int		(*resolve_user)(void *arg, const char *name, uid_t *uid);
	void		*resolve_arg;
};

/*
 * Load the policy at path (NULL: SD_POLICY_DEFAULT_PATH), at most
 * SD_POLICY_FILE_MAX bytes. On success *out is new (sd_policy_free); on
 * failure *out is NULL, err is filled and a negative SD_ERR_* returned.
 * Load before sandboxing: name resolution reads /etc/passwd (NSS).
 */
int	 sd_policy_load(const char *path, struct sd_policy **out,
	    struct sd_error *err);
int	 sd_policy_load_opts(const char *path, const struct sd_policy_opts *,
	    struct sd_policy **out, struct sd_error *err);
/* The same from len bytes at buf (need not be NUL-terminated). */
int	 sd_policy_load_buf(const char *buf, size_t len,
	    const struct sd_policy_opts *, struct sd_policy **out,
	    struct sd_error *err);
/* NULL-safe. */
void	 sd_policy_free(struct sd_policy *);

/* ---- global settings */
int	 sd_policy_version(const struct sd_policy *);
/* Borrowed; the default when the file names none. */
const char *sd_policy_credentials_file(const struct sd_policy *);
/* lock.lease_seconds. */
int64_t	 sd_policy_lock_lease_seconds(const struct sd_policy *);

/*
 * The uploader's AWS client settings ("aws" in the policy); a field left
 * out is 0 here and the client's own default applies.
 */
struct sd_policy_aws {
	int64_t	connect_timeout_ms;	/* 1 - 600000 */
	int64_t	request_timeout_ms;	/* one try: 1 - 3600000 */
	int64_t	attempts;		/* tries of a call in all: 1 - 100 */
	int64_t	backoff_base_ms;	/* 1 - 600000 */
	int64_t	backoff_max_ms;		/* 1 - 600000 */
	int64_t	poll_interval_ms;	/* Lambda update wait: 1 - 600000 */
	int64_t	poll_timeout_ms;	/* 1 - 86400000 */
};
const struct sd_policy_aws *sd_policy_aws(const struct sd_policy *);
/*
 * 0 when uid may connect to socket s; SD_ERR_INVALID (with a message in
 * why, which may be NULL) otherwise. A socket with no entry admits nobody.
 */
int	 sd_policy_peer_allowed(const struct sd_policy *,
	    enum sd_policy_socket s, uid_t uid, struct sd_error *why);
/* "submit", "exec", "deploy", "sign"; "s3", "lambda", "states". */
const char *sd_policy_socket_name(enum sd_policy_socket);
const char *sd_policy_service_name(enum sd_policy_service);

/*
 * The base URL ("scheme://host[:port]", no trailing slash) of a service in
 * a region: the policy's endpoints entry, else AWS's https endpoint
 * ("https://lambda.us-east-1.amazonaws.com"; ".amazonaws.com.cn" for cn-*).
 * Writes a NUL-terminated string into buf; SD_ERR_OVERFLOW if it does not
 * fit, SD_ERR_INVALID for a malformed region.
 */
int	 sd_policy_endpoint(const struct sd_policy *, enum sd_policy_service,
	    const char *region, char *buf, size_t len);
/*
 * Which service a request's Host ("host" or "host:port", case-insensitive,
 * a default port may be written or left out) is addressed to, given its
 * region: 0 and *svc set, or SD_ERR_NOTFOUND. S3 is addressed path-style
 * (the bucket is not part of the host). Configured endpoints are
 * distinct by construction (the loader refuses two services on one
 * host:port), so the answer is unique.
 */
int	 sd_policy_host_service(const struct sd_policy *, const char *host,
	    const char *region, enum sd_policy_service *svc);

/* Global limits when project is NULL, else that project's effective ones;
 * borrowed. */
const struct sd_policy_limits *sd_policy_limits(const struct sd_policy *,
	    const struct sd_policy_project *project);

/* ---- projects */
size_t	 sd_policy_project_count(const struct sd_policy *);
/* In name order; NULL past the end. Borrowed. */
const struct sd_policy_project *sd_policy_project_at(const struct sd_policy *,
	    size_t i);
/* The project with that exact name ("acme/hello"), or NULL. Borrowed. */
const struct sd_policy_project *sd_policy_project(const struct sd_policy *,
	    const char *name);
const char *sd_policy_project_name(const struct sd_policy_project *);
const char *sd_policy_project_bucket(const struct sd_policy_project *);
/* 1 when the list holds the value exactly, else 0. */
int	 sd_policy_project_has_config(const struct sd_policy_project *,
	    const char *config);
int	 sd_policy_project_has_account(const struct sd_policy_project *,
	    const char *account);
int	 sd_policy_project_has_region(const struct sd_policy_project *,
	    const char *region);
/* The project's i-th region (in the policy's order; 0 is its first), or
 * NULL past the end. Borrowed. */
const char *sd_policy_project_region(const struct sd_policy_project *,
	    size_t i);
/* The project's i-th config (in the policy's order), or NULL past the
 * end. Borrowed. */
const char *sd_policy_project_config(const struct sd_policy_project *,
	    size_t i);
/* 1 when uid is one of the project's submitters (resolved names only). */
int	 sd_policy_project_has_submitter(const struct sd_policy_project *,
	    uid_t uid);
/*
 * The tags the project's resources must carry for config, placeholders
 * expanded: *out is a new object {"ProjectName": "acme/hello", ...}.
 */
int	 sd_policy_project_tags(const struct sd_policy_project *,
	    const char *config, json_t **out);

/*
 * 0 when uid may submit releases of project with config: the project
 * exists, uid is one of its submitters and config one of its configs.
 * Otherwise SD_ERR_NOTFOUND (no such project) or SD_ERR_INVALID, with the
 * reason in why (may be NULL). The submit socket's own allowlist is checked
 * separately (sd_policy_peer_allowed) when the connection is accepted.
 */
int	 sd_policy_may_submit(const struct sd_policy *, uid_t uid,
	    const char *project, const char *config, struct sd_error *why);
/*
 * 0 when project may change the resource arn of that kind: arn equals one
 * of the project's patterns, or starts with the part of a pattern before
 * its trailing '*'. Otherwise SD_ERR_NOTFOUND (no such project) or
 * SD_ERR_INVALID, with the reason in why (may be NULL).
 */
int	 sd_policy_arn_allowed(const struct sd_policy *, const char *project,
	    enum sd_policy_arn_kind kind, const char *arn, struct sd_error *why);

/*
 * The ARN of a Lambda function or state machine: "arn:aws:lambda:us-east-1:
 * 000000000000:function:NAME" (partition aws-cn for cn-*, aws-us-gov for
 * us-gov-*). Checks region, account and name syntax (SD_ERR_INVALID);
 * SD_ERR_OVERFLOW when buf is too small (SD_POLICY_ARN_MAX always fits).
 */
#define SD_POLICY_ARN_MAX	256
int	 sd_policy_build_arn(enum sd_policy_arn_kind kind, const char *region,
	    const char *account, const char *name, char *buf, size_t len);

/*
 * Syntax rules shared with the release checks; each returns 1 when s
 * (NUL-terminated) is valid:
 *	project:  OWNER "/" NAME, each [A-Za-z0-9][A-Za-z0-9._-]{0,63}
 *	config:   [A-Za-z0-9][A-Za-z0-9._-]{0,63}
 *	account:  exactly 12 digits
 *	region:   [a-z]{2} ("-" [a-z]{1,16}){1,3} "-" [1-9][0-9]?
 *	          (us-east-1, us-gov-west-1, ap-southeast-2), at most 32 bytes
 *	lambda:   [A-Za-z0-9_-]{1,64} (an unqualified function name)
 *	state machine: 1-80 of [A-Za-z0-9] and ! ' ( ) + - . = @ _
 *	          (AWS's rule - no whitespace, brackets, wildcards, control or
 *	          special characters - narrowed to ASCII)
 *	bucket:   3-63 of [a-z0-9.-], first and last a letter or digit, no
 *	          "..", not an IPv4 address
 */
int	 sd_policy_valid_project_name(const char *s);
int	 sd_policy_valid_config_name(const char *s);
int	 sd_policy_valid_account(const char *s);
int	 sd_policy_valid_region(const char *s);
int	 sd_policy_valid_lambda_name(const char *s);
int	 sd_policy_valid_state_machine_name(const char *s);
int	 sd_policy_valid_bucket(const char *s);

/*
 * Append the JSON-pointer escape of key ("~" -> "~0", "/" -> "~1") to
 * parent and write "parent/escaped" into buf (truncated with "..." when it
 * does not fit; always NUL-terminated). For error locations.
 */
void	 sd_policy_pointer(char *buf, size_t len, const char *parent,
	    const char *key);

#endif /* SD_POLICY_H */
