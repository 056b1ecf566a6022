/*
 * bootstrap.c: a release's code and definition put in place directly,
 * after the deploy's checks (sd_bootstrap.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "sd_aws.h"
#include "sd_bootstrap.h"
#include "sd_buf.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_plan.h"
#include "sd_policy.h"

static void
step(struct sd_bootstrap *b, const char *name)
{
	if (b->on_step != NULL)
		b->on_step(b->arg, name);
}

static void
detail(struct sd_bootstrap *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
detail(struct sd_bootstrap *b, const char *fmt, ...)
{
	va_list ap;
	char *s;

	if (b->on_detail == NULL)
		return;
	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (s != NULL)
		b->on_detail(b->arg, s);
	free(s);
}

/* Append a refusal line; SD_ERR_INVALID, or SD_ERR_NOMEM and err. */
static int
refuse(struct sd_bootstrap *b, struct sd_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int
refuse(struct sd_bootstrap *b, struct sd_error *err, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r = SD_ERR_INVALID;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (b->refusals == NULL)
		b->refusals = json_array();
	if (s == NULL || b->refusals == NULL ||
	    json_array_append_new(b->refusals, json_string(s)) != 0)
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	free(s);
	return r;
}

/* SHA-256 of buf as lower-case hex. 0 or SD_ERR_INTERNAL. */
static int
sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return SD_ERR_INTERNAL;
	for (i = 0; i < n; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Neither frozen nor locked by a deploy (reads only). 0, or the refusal
 * or read error in err. */
static int
check_config(struct sd_aws *aws, const struct sd_plan_release *rel,
    struct sd_error *err)
{
	struct sd_lock_freeze f;
	struct sd_lock_info li;
	char at[40];
	int r;

	r = sd_lock_read_freeze(aws, rel->bucket, rel->project, rel->config,
	    &f, err);
	if (r == 0) {
		sd_lock_fmt_utc(f.at, SD_LOCK_RFC3339, at, sizeof(at));
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s is frozen "
		    "by %s since %s: %s (stepdeploy unfreeze first)",
		    rel->project, rel->config, f.by, at, f.reason[0] != '\0' ?
		    f.reason : "no reason given");
	}
	if (r == SD_ERR_PARSE) {
		(void)sd_error_prefix(err, "%s %s is frozen: ", rel->project,
		    rel->config);
		return SD_ERR_INVALID;
	}
	if (r != SD_ERR_NOTFOUND)
		return r;
	sd_error_clear(err);
	r = sd_lock_read(aws, rel->bucket, rel->project, rel->config, &li,
	    err);
	if (r == 0 && li.expires_at > (int64_t)time(NULL)) {
		sd_lock_fmt_utc(li.expires_at, SD_LOCK_RFC3339, at, sizeof(at));
		return sd_error_set(err, SD_ERR_INVALID, NULL, "a deploy of "
		    "release %s (%s) holds the lock of %s %s until %s; "
		    "bootstrap would race it", li.release_id, li.holder,
		    rel->project, rel->config, at);
	}
	if (r == 0 || r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	return r;
}

int
sd_bootstrap_validate(struct sd_bootstrap *b, struct sd_error *err)
{
	const struct sd_plan_release *rel = b->rel;
	char hex[65];
	size_t i;
	int r;

	step(b, "Validate");
	if (json_array_size(rel->refusals) > 0) {
		for (i = 0; i < json_array_size(rel->refusals); i++)
			if ((r = refuse(b, err, "%s", json_string_value(
			    json_array_get(rel->refusals, i)))) !=
			    SD_ERR_INVALID)
				return r;
		return SD_ERR_INVALID;
	}
	if (!sd_plan_release_addressable(rel))
		return refuse(b, err, "the release does not name resources of "
		    "a project in the policy");
	if (rel->zip_size > SD_AWS_INLINE_ZIP_MAX)
		return refuse(b, err, "the zip is %llu bytes; bootstrap sends "
		    "the code inline, at most %zu bytes: deploy larger code "
		    "with `stepdeploy deploy` (through S3)",
		    (unsigned long long)rel->zip_size, SD_AWS_INLINE_ZIP_MAX);
	/* The bytes sent are the bytes checked. */
	if ((r = sd_read_file(b->zip_path, SD_AWS_INLINE_ZIP_MAX, &b->zip,
	    &b->zip_len, err)) != 0)
		return r;
	if (sha256_hex(b->zip, b->zip_len, hex) != 0 ||
	    strcmp(hex, rel->zip_hex) != 0)
		return refuse(b, err, "%s changed while it was read",
		    b->zip_path);
	detail(b, "release %s of %s %s: ok; zip %zu bytes, SHA-256 %s",
	    rel->release_id, rel->project, rel->config, b->zip_len,
	    rel->zip_hex);
	return 0;
}

int
sd_bootstrap_apply(struct sd_bootstrap *b, struct sd_error *err)
{
	const struct sd_plan_release *rel = b->rel;
	struct sd_aws *aws = b->aws;
	struct sd_aws_status st;
	struct sd_aws_lambda_function fn, pub;
	struct sd_aws_state_machine sm, up_out;
	struct sd_aws_lambda_code code;
	struct sd_aws_sfn_update up;
	json_t *problems = NULL, *want = NULL, *got = NULL;
	char *def = NULL, desc[128];
	size_t nq = 0, i;
	int r;

	memset(&fn, 0, sizeof(fn));
	memset(&pub, 0, sizeof(pub));
	memset(&sm, 0, sizeof(sm));
	memset(&up_out, 0, sizeof(up_out));

	/* CheckResources: nothing is changed before this has passed. */
	step(b, "CheckResources");
	memset(&st, 0, sizeof(st));
	if ((r = sd_aws_lambda_get_configuration(aws, rel->lambda_arn, NULL,
	    &fn, &st, err)) != 0) {
		if (st.kind == SD_AWS_NOT_FOUND) {
			sd_error_clear(err);
			r = refuse(b, err, "Lambda function %s does not exist; "
			    "bootstrap never creates resources: create it "
			    "first", rel->lambda_arn);
		}
		goto out;
	}
	detail(b, "Lambda function %s: exists, CodeSha256 %s",
	    rel->lambda_arn, fn.code_sha256);
	memset(&st, 0, sizeof(st));
	if ((r = sd_aws_sfn_describe(aws, rel->sm_arn, &sm, &st, err)) != 0) {
		if (st.kind == SD_AWS_NOT_FOUND) {
			sd_error_clear(err);
			r = refuse(b, err, "state machine %s does not exist; "
			    "bootstrap never creates resources: create it "
			    "first", rel->sm_arn);
		}
		goto out;
	}
	detail(b, "state machine %s: exists", rel->sm_arn);
	if ((problems = json_array()) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = sd_plan_check_tags(aws, b->policy, rel, problems, err)) != 0)
		goto out;
	if (json_array_size(problems) > 0) {
		for (i = 0; i < json_array_size(problems); i++)
			if ((r = refuse(b, err, "%s", json_string_value(
			    json_array_get(problems, i)))) != SD_ERR_INVALID)
				goto out;
		r = SD_ERR_INVALID;
		goto out;
	}
	detail(b, "tags: ok");
	if ((r = check_config(aws, rel, err)) != 0)
		goto out;
	detail(b, "%s %s: not frozen, no deploy holds the lock", rel->project,
	    rel->config);

	/* UpdateFunctionCode. */
	(void)snprintf(desc, sizeof(desc), "bootstrap %s", rel->release_id);
	step(b, "UpdateFunctionCode");
	if (strcmp(fn.code_sha256, rel->zip_b64) == 0)
		detail(b, "CodeSha256 %s: unchanged, not updated",
		    fn.code_sha256);
	else {
		if (strcmp(fn.last_update_status, "InProgress") == 0 ||
		    strcmp(fn.state, "Pending") == 0) {
			detail(b, "an update is in progress: waiting for it");
			sd_aws_lambda_function_clear(&fn);
			if ((r = sd_aws_lambda_wait_updated(aws,
			    rel->lambda_arn, &fn, NULL, err)) != 0 &&
			    err->code != SD_ERR_INVALID)
				goto out;
			sd_error_clear(err);
			sd_aws_lambda_function_clear(&fn);
			if ((r = sd_aws_lambda_get_configuration(aws,
			    rel->lambda_arn, NULL, &fn, NULL, err)) != 0)
				goto out;
		}
		detail(b, "CodeSha256 %s -> %s (inline zip, RevisionId %s)",
		    fn.code_sha256, rel->zip_b64, fn.revision_id);
		memset(&code, 0, sizeof(code));
		code.zip = b->zip;
		code.zip_len = b->zip_len;
		code.revision_id = fn.revision_id[0] != '\0' ?
		    fn.revision_id : NULL;
		if ((r = sd_aws_lambda_update_code(aws, rel->lambda_arn, &code,
		    NULL, NULL, err)) != 0)
			goto out;
		b->code_changed = 1;
		sd_aws_lambda_function_clear(&fn);
		if ((r = sd_aws_lambda_wait_updated(aws, rel->lambda_arn, &fn,
		    NULL, err)) != 0)
			goto out;
		detail(b, "update %s", fn.last_update_status);
	}

	/* PublishVersion. */
	step(b, "PublishVersion");
	if ((r = sd_aws_lambda_publish_version(aws, rel->lambda_arn, NULL,
	    rel->zip_b64, desc, &pub, NULL, err)) != 0)
		goto out;
	b->code_changed = 1;
	(void)snprintf(b->version, sizeof(b->version), "%s", pub.version);
	detail(b, "version %s", pub.version);

	/* UpdateStateMachine. */
	step(b, "UpdateStateMachine");
	want = sd_deploy_qualify(json_object_get(rel->doc, "state_machine"),
	    rel->lambda_arn, pub.version, &nq);
	if (want == NULL || (def = sd_json_dumps(want, SD_JSON_SORT_KEYS)) ==
	    NULL) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "cannot qualify "
		    "the definition with version %s", pub.version);
		goto out;
	}
	detail(b, "the Lambda as version %s (%zu reference%s)", pub.version,
	    nq, nq == 1 ? "" : "s");
	memset(&up, 0, sizeof(up));
	up.definition = def;
	up.publish = 1;
	up.version_description = desc;
	if ((r = sd_aws_sfn_update(aws, rel->sm_arn, &up, &up_out, NULL,
	    err)) != 0)
		goto out;
	detail(b, "revision %s%s%s", up_out.revision_id[0] != '\0' ?
	    up_out.revision_id : "?", up_out.version_arn[0] != '\0' ?
	    ", version " : "", up_out.version_arn);

	/* Verify. */
	step(b, "Verify");
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	if ((r = sd_aws_lambda_get_configuration(aws, rel->lambda_arn, NULL,
	    &fn, NULL, err)) != 0 ||
	    (r = sd_aws_sfn_describe(aws, rel->sm_arn, &sm, NULL, err)) != 0)
		goto out;
	if (strcmp(fn.code_sha256, rel->zip_b64) != 0) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "the function's "
		    "CodeSha256 is %s, not the zip's %s", fn.code_sha256,
		    rel->zip_b64);
		goto out;
	}
	got = sm.definition != NULL ? sd_json_loadb(sm.definition,
	    strlen(sm.definition), 0, "the definition read back", err) : NULL;
	if (got == NULL || !sd_json_equal(got, want)) {
		sd_error_clear(err);
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "the state "
		    "machine's definition read back is not the one sent");
		goto out;
	}
	detail(b, "CodeSha256 %s and the definition are in place",
	    fn.code_sha256);
	r = 0;
 out:
	json_decref(problems);
	json_decref(want);
	json_decref(got);
	free(def);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_lambda_function_clear(&pub);
	sd_aws_state_machine_clear(&sm);
	sd_aws_state_machine_clear(&up_out);
	return r;
}

void
sd_bootstrap_clear(struct sd_bootstrap *b)
{
	if (b == NULL)
		return;
	free(b->zip);
	b->zip = NULL;
	b->zip_len = 0;
	json_decref(b->refusals);
	b->refusals = NULL;
}
