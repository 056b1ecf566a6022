/*
 * sd_release: the checks of release.json (DESIGN.md "The release") and its
 * canonical form.
 *
 * A release is untrusted input from CI. sd_release_check() does not stop at
 * the first problem: it records every finding ({severity, code, message,
 * location}) in a report, which the validator returns to the submitter as
 * JSON (sd_release_report_json). Other validator checks (the ASL lint, the
 * zip inspection, the tests) add their findings to the same report.
 *
 * Field rules (location "/FIELD" for each):
 *	release_id	required string, [A-Za-z0-9._-]{1,64}, not "." or ".."
 *			(it names a directory in the spool and an S3 prefix)
 *	project_name	required string, OWNER "/" NAME, each
 *			[A-Za-z0-9][A-Za-z0-9._-]{0,63}: the policy's project key
 *	config_name	required string, [A-Za-z0-9][A-Za-z0-9._-]{0,63}
 *	aws_account_id	required string, exactly 12 digits
 *	aws_region	required string, [a-z]{2}(-[a-z]{1,16}){1,3}-[1-9][0-9]?
 *	lambda_name	required string, AWS's function name rule:
 *			[A-Za-z0-9_-]{1,64}
 *	step_fn_name	required string, AWS's state machine name rule: 1-80
 *			characters, no whitespace, brackets, wildcards, control
 *			or special characters; here narrowed to ASCII, i.e.
 *			[A-Za-z0-9] and ! ' ( ) + - . = @ _
 *	created_at	required string, RFC 3339 (sd_time), not older than
 *			release_max_age_seconds, not later than now +
 *			release_future_skew_seconds (both inclusive)
 *	lambda_sha256	optional string, 64 lowercase hex digits (the zip
 *			inspection compares it); absent: a warning
 *	runtime		optional string, [a-z][a-z0-9._-]{0,31}
 *			("provided.al2023", "nodejs20.x", "python3.12")
 *	metadata	optional object, canonical JSON at most
 *			metadata_max_bytes
 *	state_machine	required object, canonical JSON at most
 *			definition_max_bytes, at most definition_max_states
 *			states (nested Parallel branches and Map processors
 *			counted); the ASL lint checks the rest
 * Any other field is refused. The whole release's canonical JSON must be at
 * most release_max_bytes. Limits are the project's when the policy knows
 * the project, else the policy's global ones (the built-in defaults when
 * there is no policy).
 *
 * Policy rules (only when the fields involved are well-formed):
 *	the project is in the policy; the config, account and region are in
 *	the project's lists; the submitter (when given) is one of its
 *	submitters; the ARNs built from region, account and lambda_name /
 *	step_fn_name (sd_policy_build_arn) match the project's lambda_arns /
 *	state_machine_arns.
 */
#ifndef SD_RELEASE_H
#define SD_RELEASE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_policy.h"

/*
 * Finding codes (the "code" of a finding; stable strings that tests and
 * clients match on; each macro is "SD_" + its code). Location is a JSON
 * pointer into release.json ("" is the whole document); it is "/FIELD" for
 * a field's finding unless noted.
 */
#define SD_RELEASE_TOO_LARGE		"RELEASE_TOO_LARGE"	/* "" */
#define SD_RELEASE_NOT_JSON		"RELEASE_NOT_JSON"	/* "" */
#define SD_RELEASE_NOT_OBJECT		"RELEASE_NOT_OBJECT"	/* "" */
#define SD_RELEASE_UNKNOWN_FIELD	"RELEASE_UNKNOWN_FIELD"
#define SD_RELEASE_MISSING_FIELD	"RELEASE_MISSING_FIELD"
#define SD_RELEASE_BAD_TYPE		"RELEASE_BAD_TYPE"	/* wrong JSON type */
#define SD_RELEASE_BAD_ID		"RELEASE_BAD_ID"
#define SD_RELEASE_BAD_PROJECT		"RELEASE_BAD_PROJECT"
#define SD_RELEASE_BAD_CONFIG		"RELEASE_BAD_CONFIG"
#define SD_RELEASE_BAD_ACCOUNT		"RELEASE_BAD_ACCOUNT"
#define SD_RELEASE_BAD_REGION		"RELEASE_BAD_REGION"
#define SD_RELEASE_BAD_LAMBDA_NAME	"RELEASE_BAD_LAMBDA_NAME"
#define SD_RELEASE_BAD_STEP_FN_NAME	"RELEASE_BAD_STEP_FN_NAME"
#define SD_RELEASE_BAD_TIME		"RELEASE_BAD_TIME"	/* not RFC 3339 */
#define SD_RELEASE_TOO_OLD		"RELEASE_TOO_OLD"
#define SD_RELEASE_IN_FUTURE		"RELEASE_IN_FUTURE"
#define SD_RELEASE_BAD_SHA256		"RELEASE_BAD_SHA256"
#define SD_RELEASE_NO_SHA256		"RELEASE_NO_SHA256"	/* warning */
#define SD_RELEASE_BAD_RUNTIME		"RELEASE_BAD_RUNTIME"
#define SD_RELEASE_METADATA_TOO_LARGE	"RELEASE_METADATA_TOO_LARGE"
#define SD_RELEASE_DEFINITION_TOO_LARGE	"RELEASE_DEFINITION_TOO_LARGE"
#define SD_RELEASE_TOO_MANY_STATES	"RELEASE_TOO_MANY_STATES"
#define SD_POLICY_PROJECT_NOT_ALLOWED	"POLICY_PROJECT_NOT_ALLOWED"
#define SD_POLICY_CONFIG_NOT_ALLOWED	"POLICY_CONFIG_NOT_ALLOWED"
#define SD_POLICY_ACCOUNT_NOT_ALLOWED	"POLICY_ACCOUNT_NOT_ALLOWED"
#define SD_POLICY_REGION_NOT_ALLOWED	"POLICY_REGION_NOT_ALLOWED"
#define SD_POLICY_SUBMITTER_NOT_ALLOWED	"POLICY_SUBMITTER_NOT_ALLOWED"
					/* at /project_name */
#define SD_POLICY_LAMBDA_NOT_ALLOWED	"POLICY_LAMBDA_NOT_ALLOWED"
					/* at /lambda_name */
#define SD_POLICY_STATE_MACHINE_NOT_ALLOWED "POLICY_STATE_MACHINE_NOT_ALLOWED"
					/* at /step_fn_name */

enum sd_severity {
	SD_SEVERITY_ERROR = 0,		/* the release is refused */
	SD_SEVERITY_WARNING		/* reported, not refused */
};

struct sd_finding {
	enum sd_severity severity;
	const char	*code;		/* static string, one of the above */
	char		*message;	/* printable, valid UTF-8 */
	char		*location;	/* JSON pointer; "" = whole document */
};

/* At most this many findings are kept (the counts stay exact). */
#define SD_RELEASE_FINDINGS_MAX	256

struct sd_release_report;	/* opaque */

/* New, empty; NULL on ENOMEM. */
struct sd_release_report *sd_release_report_new(void);
/* NULL-safe. */
void	 sd_release_report_free(struct sd_release_report *);
/*
 * Add a finding. code must be a static string (it is not copied);
 * location NULL means "". 0 or SD_ERR_NOMEM.
 */
int	 sd_release_report_add(struct sd_release_report *, enum sd_severity,
	    const char *code, const char *location, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* Findings kept, in the order found; borrowed. */
size_t	 sd_release_report_count(const struct sd_release_report *);
const struct sd_finding *sd_release_report_get(
	    const struct sd_release_report *, size_t i);
/* The first finding with that code, or NULL. Borrowed. */
const struct sd_finding *sd_release_report_find(
	    const struct sd_release_report *, const char *code);
/* Errors / warnings found (kept or not). A release passes with 0 errors. */
size_t	 sd_release_report_errors(const struct sd_release_report *);
size_t	 sd_release_report_warnings(const struct sd_release_report *);
/*
 * New: {"ok": true|false, "errors": N, "warnings": N, "findings":
 * [{"severity": "error"|"warning", "code": "...", "message": "...",
 * "location": "/..."}, ...]} plus "truncated": true when findings were
 * dropped. NULL on ENOMEM.
 */
json_t	*sd_release_report_json(const struct sd_release_report *);

/*
 * Parse release.json bytes: at most the policy's global release_max_bytes
 * (pol may be NULL: the default), JSON without duplicate keys or "\u0000",
 * an object at the top. *out is new. Errors: SD_ERR_LIMIT, SD_ERR_PARSE,
 * SD_ERR_TYPE (location ""), SD_ERR_NOMEM.
 */
int	 sd_release_parse(const char *buf, size_t len,
	    const struct sd_policy *pol, json_t **out, struct sd_error *err);

/*
 * Check a parsed release against the rules above and pol (NULL: syntax
 * and default limits only). now_ns is the current time in nanoseconds
 * since the epoch (sd_time_now()); submitter, when not NULL, is the uid
 * that submitted it. Findings go to rep. Returns 0 when the check ran
 * (whatever it found), SD_ERR_NOMEM or SD_ERR_INTERNAL otherwise.
 */
int	 sd_release_check(const json_t *release, const struct sd_policy *pol,
	    int64_t now_ns, const uid_t *submitter,
	    struct sd_release_report *rep);
/*
 * sd_release_parse + sd_release_check, a parse failure recorded as a
 * finding (RELEASE_TOO_LARGE, RELEASE_NOT_JSON, RELEASE_NOT_OBJECT). When
 * release is not NULL it receives the parsed document (new) or NULL.
 */
int	 sd_release_check_buf(const char *buf, size_t len,
	    const struct sd_policy *pol, int64_t now_ns, const uid_t *submitter,
	    struct sd_release_report *rep, json_t **release);

/*
 * The canonical form every process hashes: sorted keys, no insignificant
 * whitespace, shortest numbers (sd_json_dumps with SD_JSON_SORT_KEYS), and
 * its SHA-256. release must be an object (SD_ERR_TYPE otherwise). text
 * (new, NUL-terminated), len and sha256 may each be NULL when not wanted.
 */
int	 sd_release_canonical(const json_t *release, char **text, size_t *len,
	    unsigned char sha256[32], struct sd_error *err);
/* Lowercase hex of a SHA-256 into hex (65 bytes with the NUL). */
void	 sd_release_sha256_hex(const unsigned char sha256[32], char hex[65]);

#endif /* SD_RELEASE_H */
