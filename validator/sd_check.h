/*
 * sd_check: the checks of a submission that `stepdeploy validate` and the
 * validator daemon share, each adding findings to one JSON array of
 * diagnostics {"severity": "ERROR"|"WARNING", "code", "message",
 * "location"} (the form `stepdeploy validate --json` prints).
 */
#ifndef SD_CHECK_H
#define SD_CHECK_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "sd_err.h"
#include "sd_lint.h"
#include "sd_policy.h"

/* Append one diagnostic; loc may be NULL. 0 or SD_ERR_NOMEM. */
int	 sd_check_diag(json_t *diags, const char *sev, const char *code,
	    const char *msg, const char *loc);
/* ERROR diagnostics in diags. */
size_t	 sd_check_errors(const json_t *diags);

/* The ASL lint of a definition's text (len bytes). */
int	 sd_check_definition(const char *buf, size_t len,
	    const struct sd_lint_opts *o, json_t *diags, struct sd_error *err);

/*
 * release.json's checks (sd_release_check_buf; submitter may be NULL),
 * locations "NAME:/field". *parsed (may be NULL) receives the parsed
 * release (new), or NULL when it does not parse.
 */
int	 sd_check_release(const char *buf, size_t len, const char *name,
	    const struct sd_policy *pol, const uid_t *submitter, json_t *diags,
	    json_t **parsed, struct sd_error *err);

/*
 * The Lambda zip at path against the project's limits (pol may be NULL)
 * and what release (may be NULL) says of it: a provided.* runtime needs
 * an executable bootstrap; lambda_sha256 must be the zip's SHA-256.
 * sha256_hex (may be NULL) receives the zip's. err only when the zip
 * could not be inspected at all.
 */
int	 sd_check_zip(const char *path, const json_t *release,
	    const struct sd_policy *pol, json_t *diags, char *sha256_hex,
	    struct sd_error *err);

#endif /* SD_CHECK_H */
