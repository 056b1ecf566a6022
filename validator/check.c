/*
 * check.c: a submission's checks, shared by `stepdeploy validate` and the
 * validator daemon (see sd_check.h).
 */
#include <stdlib.h>
#include <string.h>

#include "sd_check.h"
#include "sd_json.h"
#include "sd_release.h"
#include "sd_time.h"
#include "sd_zip.h"

int
sd_check_diag(json_t *diags, const char *sev, const char *code,
    const char *msg, const char *loc)
{
	json_t *d;

	if ((d = json_pack("{s:s, s:s, s:s}", "severity", sev, "code", code,
	    "message", msg != NULL ? msg : "")) == NULL)
		return SD_ERR_NOMEM;
	if (loc != NULL && json_object_set_new(d, "location",
	    json_string(loc)) != 0) {
		json_decref(d);
		return SD_ERR_NOMEM;
	}
	return json_array_append_new(diags, d) == 0 ? 0 : SD_ERR_NOMEM;
}

size_t
sd_check_errors(const json_t *diags)
{
	const char *sev;
	json_t *d;
	size_t i, n = 0;

	json_array_foreach(diags, i, d) {
		sev = json_string_value(json_object_get(d, "severity"));
		if (sev == NULL || strcmp(sev, "WARNING") != 0)
			n++;
	}
	return n;
}

static int
append_all(json_t *diags, json_t *from)
{
	json_t *d;
	size_t i;

	json_array_foreach(from, i, d)
		if (json_array_append(diags, d) != 0)
			return SD_ERR_NOMEM;
	return 0;
}

int
sd_check_definition(const char *buf, size_t len, const struct sd_lint_opts *o,
    json_t *diags, struct sd_error *err)
{
	struct sd_lint_report *rep = NULL;
	json_t *j = NULL;
	int r;

	if ((r = sd_lint(buf, len, o, &rep, err)) == 0) {
		if ((j = sd_lint_report_json(rep)) == NULL ||
		    append_all(diags, json_object_get(j, "diagnostics")) != 0)
			r = sd_error_set(err, SD_ERR_NOMEM, NULL,
			    "out of memory");
	}
	json_decref(j);
	sd_lint_report_free(rep);
	return r;
}

int
sd_check_release(const char *buf, size_t len, const char *name,
    const struct sd_policy *pol, const uid_t *submitter, json_t *diags,
    json_t **parsed, struct sd_error *err)
{
	struct sd_release_report *rep = NULL;
	const struct sd_finding *f;
	json_t *rel = NULL;
	char *loc = NULL;
	size_t i;
	int r = SD_ERR_NOMEM;

	if (parsed != NULL)
		*parsed = NULL;
	if ((rep = sd_release_report_new()) == NULL ||
	    sd_release_check_buf(buf, len, pol, sd_time_now(), submitter, rep,
	    &rel) != 0)
		goto out;
	for (i = 0; i < sd_release_report_count(rep); i++) {
		f = sd_release_report_get(rep, i);
		loc = sd_asprintf("%s:%s", name, f->location != NULL &&
		    f->location[0] != '\0' ? f->location : "/");
		if (loc == NULL || sd_check_diag(diags, f->severity ==
		    SD_SEVERITY_ERROR ? "ERROR" : "WARNING", f->code,
		    f->message, loc) != 0)
			goto out;
		free(loc);
		loc = NULL;
	}
	if (parsed != NULL) {
		*parsed = rel;
		rel = NULL;
	}
	r = 0;
 out:
	if (r != 0)
		sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	free(loc);
	json_decref(rel);
	sd_release_report_free(rep);
	return r;
}

int
sd_check_zip(const char *path, const json_t *release,
    const struct sd_policy *pol, json_t *diags, char *sha256_hex,
    struct sd_error *err)
{
	struct sd_zip_report *rep = NULL;
	struct sd_zip_limits lim;
	const char *runtime, *want;
	json_t *j = NULL;
	char *msg = NULL;
	int r;

	sd_zip_limits_default(&lim);
	if (pol != NULL) {
		const struct sd_policy_limits *pl = sd_policy_limits(pol,
		    sd_policy_project(pol, json_string_value(json_object_get(
		    release, "project_name"))));

		lim.max_zipped = pl->zip_max_bytes;
		lim.max_unzipped = pl->zip_unzipped_max_bytes;
		lim.max_entries = pl->zip_max_entries;
		lim.max_ratio = pl->zip_max_ratio;
	}
	runtime = json_string_value(json_object_get(release, "runtime"));
	want = json_string_value(json_object_get(release, "lambda_sha256"));
	if (runtime != NULL && strncmp(runtime, "provided", 8) == 0)
		lim.require_bootstrap = 1;
	if ((r = sd_zip_inspect_file(path, &lim, &rep, err)) != 0)
		goto out;
	r = SD_ERR_NOMEM;
	if ((j = sd_zip_report_json(rep)) == NULL ||
	    append_all(diags, json_object_get(j, "diagnostics")) != 0)
		goto nomem;
	if (want != NULL && strcmp(want, rep->sha256_hex) != 0) {
		msg = sd_asprintf("the release's lambda_sha256 %s is not the "
		    "zip's SHA-256 %s", want, rep->sha256_hex);
		if (msg == NULL || sd_check_diag(diags, "ERROR",
		    "RELEASE_ZIP_SHA256_MISMATCH", msg, "release.json:"
		    "/lambda_sha256") != 0)
			goto nomem;
	}
	if (sha256_hex != NULL)
		memcpy(sha256_hex, rep->sha256_hex, 65);
	r = 0;
	goto out;
 nomem:
	sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 out:
	free(msg);
	json_decref(j);
	sd_zip_report_free(rep);
	return r;
}
