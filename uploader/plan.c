/*
 * plan.c: what a deploy of a release would do, and the release checks
 * that plan and bootstrap share (sd_plan.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_buf.h"
#include "sd_deploy.h"
#include "sd_diff.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_plan.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_time.h"

#define RELEASE_FILE_MAX	((size_t)16 << 20)	/* as cmd_deploy reads */
#define DIFF_OUT_MAX		((size_t)32 << 20)
#define DIFF_CONTEXT		3

/* ------------------------------------------------------------ shared */

/* A JSON string of s; bytes JSON cannot hold become '?'. New or NULL. */
static json_t *
safe_string(const char *s)
{
	json_t *v;
	char *c;
	size_t i;

	if ((v = json_string(s)) != NULL)
		return v;
	if ((c = strdup(s)) == NULL)
		return NULL;
	for (i = 0; c[i] != '\0'; i++)
		if ((unsigned char)c[i] < 0x20 || (unsigned char)c[i] >= 0x7f)
			c[i] = '?';
	v = json_string(c);
	free(c);
	return v;
}

/* Append a formatted string to the array arr. 0 or SD_ERR_NOMEM. */
static int
append(json_t *arr, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int
append(json_t *arr, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return SD_ERR_NOMEM;
	r = json_array_append_new(arr, safe_string(s)) == 0 ? 0 :
	    SD_ERR_NOMEM;
	free(s);
	return r;
}

static const char *
rstr(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s != NULL ? s : "";
}

int
sd_plan_release_load(const struct sd_policy *pol, const char *release_path,
    const char *zip_path, struct sd_plan_release *rel, struct sd_error *err)
{
	struct sd_release_report *rep = NULL;
	const struct sd_policy_project *proj;
	const struct sd_finding *f;
	struct sd_error why = SD_ERROR_INIT;
	const char *want;
	size_t i, kept = 0;
	int r;

	memset(rel, 0, sizeof(*rel));
	if ((rel->refusals = json_array()) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((r = sd_read_file(release_path, RELEASE_FILE_MAX, &rel->buf,
	    &rel->len, err)) != 0)
		return r;
	if ((r = sd_release_parse(rel->buf, rel->len, pol, &rel->doc,
	    err)) != 0) {
		(void)sd_error_prefix(err, "%s: ", release_path);
		return r;
	}
	rel->release_id = rstr(rel->doc, "release_id");
	rel->project = rstr(rel->doc, "project_name");
	rel->config = rstr(rel->doc, "config_name");
	rel->region = rstr(rel->doc, "aws_region");
	rel->account = rstr(rel->doc, "aws_account_id");

	/* Validate: the release check, as the deploy's Validate step. */
	if ((rep = sd_release_report_new()) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (sd_release_check(rel->doc, pol, sd_time_now(), NULL,
	    rep) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "the release "
		    "check did not run");
		goto out;
	}
	if ((rel->check = sd_release_report_json(rep)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (i = 0; i < sd_release_report_count(rep); i++) {
		f = sd_release_report_get(rep, i);
		if (f->severity != SD_SEVERITY_ERROR)
			continue;
		kept++;
		if (append(rel->refusals, "release refused: %s at %s: %s",
		    f->code, f->location[0] != '\0' ? f->location : "/",
		    f->message) != 0)
			goto nomem;
	}
	if (sd_release_report_errors(rep) > kept && append(rel->refusals,
	    "release refused: %zu more errors", sd_release_report_errors(rep) -
	    kept) != 0)
		goto nomem;

	/* The zip. */
	if ((r = sd_aws_sha256_file(zip_path, rel->zip_hex, rel->zip_b64,
	    &rel->zip_size, err)) != 0)
		goto out;
	want = json_string_value(json_object_get(rel->doc, "lambda_sha256"));
	if (want != NULL && strcmp(want, rel->zip_hex) != 0 &&
	    append(rel->refusals, "the zip's SHA-256 %s is not the release's "
	    "lambda_sha256 %s", rel->zip_hex, want) != 0)
		goto nomem;

	/* The project's bucket and the resources, as ValidateResources. */
	if ((proj = sd_policy_project(pol, rel->project)) != NULL)
		rel->bucket = sd_policy_project_bucket(proj);
	else if (sd_release_report_find(rep, SD_POLICY_PROJECT_NOT_ALLOWED) ==
	    NULL && append(rel->refusals, "project %s is not in the policy",
	    rel->project) != 0)
		goto nomem;
	if (sd_policy_build_arn(SD_POLICY_ARN_LAMBDA, rel->region,
	    rel->account, rstr(rel->doc, "lambda_name"), rel->lambda_arn,
	    sizeof(rel->lambda_arn)) == 0 &&
	    sd_policy_build_arn(SD_POLICY_ARN_STATE_MACHINE, rel->region,
	    rel->account, rstr(rel->doc, "step_fn_name"), rel->sm_arn,
	    sizeof(rel->sm_arn)) == 0)
		rel->arns_ok = 1;
	if (rel->arns_ok && rel->bucket != NULL) {
		if (sd_policy_arn_allowed(pol, rel->project,
		    SD_POLICY_ARN_LAMBDA, rel->lambda_arn, &why) != 0 &&
		    sd_release_report_find(rep, SD_POLICY_LAMBDA_NOT_ALLOWED) ==
		    NULL && append(rel->refusals, "%s", sd_error_text(&why)) !=
		    0)
			goto nomem;
		sd_error_clear(&why);
		if (sd_policy_arn_allowed(pol, rel->project,
		    SD_POLICY_ARN_STATE_MACHINE, rel->sm_arn, &why) != 0 &&
		    sd_release_report_find(rep,
		    SD_POLICY_STATE_MACHINE_NOT_ALLOWED) == NULL &&
		    append(rel->refusals, "%s", sd_error_text(&why)) != 0)
			goto nomem;
	}
	r = 0;
	goto out;
 nomem:
	r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 out:
	sd_error_clear(&why);
	sd_release_report_free(rep);
	return r;
}

void
sd_plan_release_clear(struct sd_plan_release *rel)
{
	if (rel == NULL)
		return;
	free(rel->buf);
	json_decref(rel->doc);
	json_decref(rel->check);
	json_decref(rel->refusals);
	memset(rel, 0, sizeof(*rel));
}

int
sd_plan_release_addressable(const struct sd_plan_release *rel)
{
	return rel->arns_ok && rel->bucket != NULL &&
	    sd_policy_valid_config_name(rel->config) &&
	    sd_policy_valid_project_name(rel->project);
}

/* Compare want with have; each mismatch appended to problems. */
static int
tags_compare(const char *what, const char *arn, json_t *want, json_t *have,
    json_t *problems)
{
	const char *k, *is;
	json_t *v;

	json_object_foreach(want, k, v) {
		if (json_equal(json_object_get(have, k), v))
			continue;
		is = json_string_value(json_object_get(have, k));
		if (append(problems, "%s %s: tag %s must be \"%s\" (%s%s%s)",
		    what, arn, k, json_string_value(v) != NULL ?
		    json_string_value(v) : "?", is != NULL ? "it is \"" :
		    "it is missing", is != NULL ? is : "", is != NULL ? "\"" :
		    "") != 0)
			return SD_ERR_NOMEM;
	}
	return 0;
}

int
sd_plan_check_tags(struct sd_aws *aws, const struct sd_policy *pol,
    const struct sd_plan_release *rel, json_t *problems, struct sd_error *err)
{
	json_t *want = NULL, *lt = NULL, *st = NULL;
	int r;

	if (sd_policy_project_tags(sd_policy_project(pol, rel->project),
	    rel->config, &want) != 0) {
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "cannot read the "
		    "tags project %s requires", rel->project);
		goto out;
	}
	if ((r = sd_aws_lambda_list_tags(aws, rel->lambda_arn, &lt, NULL,
	    err)) != 0 ||
	    (r = sd_aws_sfn_list_tags(aws, rel->sm_arn, &st, NULL,
	    err)) != 0)
		goto out;
	if ((r = tags_compare("Lambda function", rel->lambda_arn, want, lt,
	    problems)) != 0 ||
	    (r = tags_compare("state machine", rel->sm_arn, want, st,
	    problems)) != 0)
		(void)sd_error_set(err, r, NULL, "out of memory");
 out:
	json_decref(want);
	json_decref(lt);
	json_decref(st);
	return r;
}

/* ------------------------------------------------------------ the plan */

struct plan {
	struct sd_aws		*aws;
	const struct sd_policy	*pol;
	const struct sd_plan_release *rel;
	json_t			*j;	/* the plan */
	json_t			*refusals;	/* borrowed from j */
	int			 nomem;
};

/* Set key of obj to v (stolen); remembers a failure. */
static void
put(struct plan *p, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		p->nomem = 1;
}

static void
refuse(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));
static void
refuse(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (s == NULL || json_array_append_new(p->refusals,
	    safe_string(s)) != 0)
		p->nomem = 1;
	free(s);
}

static json_t *
time_string(int64_t sec)
{
	char buf[40];

	sd_lock_fmt_utc(sec, SD_LOCK_RFC3339, buf, sizeof(buf));
	return json_string(buf);
}

/* Lock step: the freeze marker, the lock, the release id. */
static void
plan_lock(struct plan *p)
{
	const struct sd_plan_release *rel = p->rel;
	struct sd_aws *aws = p->aws;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lock_freeze f;
	struct sd_lock_info li;
	struct sd_aws_s3_object o;
	char key[SD_AWS_KEY_MAX], at[40];
	int64_t now;
	int r, n;

	/* The freeze marker. */
	r = sd_lock_read_freeze(aws, rel->bucket, rel->project, rel->config,
	    &f, &err);
	if (r == 0) {
		sd_lock_fmt_utc(f.at, SD_LOCK_RFC3339, at, sizeof(at));
		put(p, p->j, "freeze", json_pack("{s:b, s:s, s:s, s:s}",
		    "frozen", 1, "by", f.by, "reason", f.reason, "at", at));
		refuse(p, "%s %s is frozen by %s since %s: %s (stepdeploy "
		    "unfreeze)", rel->project, rel->config, f.by, at,
		    f.reason[0] != '\0' ? f.reason : "no reason given");
	} else if (r == SD_ERR_NOTFOUND)
		put(p, p->j, "freeze", json_pack("{s:b}", "frozen", 0));
	else if (r == SD_ERR_PARSE) {
		put(p, p->j, "freeze", json_pack("{s:b, s:b}", "frozen", 1,
		    "unreadable", 1));
		refuse(p, "%s %s is frozen: %s", rel->project, rel->config,
		    sd_error_text(&err));
	} else {
		put(p, p->j, "freeze", json_pack("{s:s}", "error",
		    sd_error_text(&err)));
		refuse(p, "cannot read the freeze marker: %s",
		    sd_error_text(&err));
	}
	sd_error_clear(&err);

	/* The lock. */
	now = (int64_t)time(NULL);
	r = sd_lock_read(aws, rel->bucket, rel->project, rel->config, &li,
	    &err);
	if (r == 0) {
		put(p, p->j, "lock", json_pack("{s:s, s:s, s:s, s:o, s:o}",
		    "state", li.expires_at <= now ? "expired" : "held",
		    "release_id", li.release_id, "holder", li.holder,
		    "acquired_at", time_string(li.acquired_at), "expires_at",
		    time_string(li.expires_at)));
		sd_lock_fmt_utc(li.expires_at, SD_LOCK_RFC3339, at, sizeof(at));
		if (li.expires_at > now)
			refuse(p, "the lock is held by %s for release %s until "
			    "%s", li.holder, li.release_id, at);
	} else if (r == SD_ERR_NOTFOUND)
		put(p, p->j, "lock", json_pack("{s:s}", "state", "free"));
	else if (r == SD_ERR_PARSE) {
		put(p, p->j, "lock", json_pack("{s:s}", "state",
		    "unreadable"));
		refuse(p, "%s", sd_error_text(&err));
	} else {
		put(p, p->j, "lock", json_pack("{s:s, s:s}", "state",
		    "unknown", "error", sd_error_text(&err)));
		refuse(p, "cannot read the lock: %s", sd_error_text(&err));
	}
	sd_error_clear(&err);

	/* The release id: never deployed twice. */
	n = snprintf(key, sizeof(key), "%s/%s/%s/release.json", rel->project,
	    rel->config, rel->release_id);
	if (n < 0 || (size_t)n >= sizeof(key)) {
		refuse(p, "S3 key too long");
		return;
	}
	memset(&o, 0, sizeof(o));
	r = sd_aws_s3_head_object(aws, rel->bucket, key, &o, NULL, &err);
	if (r == 0) {
		put(p, p->j, "release_id_used", json_true());
		refuse(p, "release id %s was used before (s3://%s/%s exists; a "
		    "release id is never deployed twice)", rel->release_id,
		    rel->bucket, key);
	} else if (r == SD_ERR_NOTFOUND)
		put(p, p->j, "release_id_used", json_false());
	else {
		put(p, p->j, "release_id_used", json_null());
		refuse(p, "cannot read s3://%s/%s: %s", rel->bucket, key,
		    sd_error_text(&err));
	}
	sd_aws_s3_object_clear(&o);
	sd_error_clear(&err);
}

/* The definition now vs the release's as deployed: changes and a diff. */
static void
plan_definition(struct plan *p, json_t *sm, const char *current)
{
	const struct sd_plan_release *rel = p->rel;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_diff_stats ds;
	struct sd_buf out;
	json_t *want = NULL, *cur = NULL;
	char *want_text = NULL, *cur_text = NULL, *a_name = NULL;
	char *b_name = NULL;
	size_t nq = 0;
	int r;

	sd_buf_init(&out, DIFF_OUT_MAX);
	if (!json_is_object(json_object_get(rel->doc, "state_machine")))
		goto out;	/* the release check said so */
	want = sd_deploy_qualify(json_object_get(rel->doc, "state_machine"),
	    rel->lambda_arn, SD_PLAN_NEXT_VERSION, &nq);
	if (want == NULL ||
	    (want_text = sd_json_dumps(want, SD_JSON_SORT_KEYS |
	    SD_JSON_PRETTY)) == NULL) {
		p->nomem = 1;
		goto out;
	}
	cur = sd_json_loadb(current, strlen(current), 0, "the definition",
	    &err);
	cur_text = cur != NULL ? sd_json_dumps(cur, SD_JSON_SORT_KEYS |
	    SD_JSON_PRETTY) : strdup(current);
	if (cur_text == NULL) {
		p->nomem = 1;
		goto out;
	}
	put(p, sm, "lambda_references_qualified", json_integer((json_int_t)nq));
	if (cur != NULL && sd_json_equal(cur, want)) {
		put(p, sm, "changes", json_false());
		goto out;
	}
	put(p, sm, "changes", json_true());
	a_name = sd_asprintf("deployed definition (%s)", rel->sm_arn);
	b_name = sd_asprintf("release %s definition, as deployed (the Lambda "
	    "as its %s)", rel->release_id, SD_PLAN_NEXT_VERSION);
	if (a_name == NULL || b_name == NULL) {
		p->nomem = 1;
		goto out;
	}
	r = sd_diff_unified(cur_text, want_text, a_name, b_name,
	    DIFF_CONTEXT, SD_DIFF_MAX_CELLS, &out, &ds);
	if (r == 0) {
		put(p, sm, "diff", safe_string(out.data != NULL ? out.data :
		    ""));
		put(p, sm, "lines_added", json_integer((json_int_t)ds.added));
		put(p, sm, "lines_removed",
		    json_integer((json_int_t)ds.removed));
	} else if (r == SD_ERR_LIMIT || r == SD_ERR_OVERFLOW) {
		put(p, sm, "diff", json_null());
		put(p, sm, "diff_note", json_string("the definitions differ "
		    "(too large to diff line by line)"));
	} else
		p->nomem = 1;
 out:
	sd_error_clear(&err);
	sd_buf_release(&out);
	json_decref(want);
	json_decref(cur);
	free(want_text);
	free(cur_text);
	free(a_name);
	free(b_name);
}

/* ValidateResources and the changes: the function, the machine, tags. */
static void
plan_resources(struct plan *p)
{
	const struct sd_plan_release *rel = p->rel;
	struct sd_aws *aws = p->aws;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_aws_status st;
	struct sd_aws_lambda_function fn;
	struct sd_aws_state_machine sm;
	json_t *lj, *sj, *problems = NULL, *x;
	size_t i;
	int have_fn = 0, have_sm = 0;

	memset(&fn, 0, sizeof(fn));
	memset(&sm, 0, sizeof(sm));
	put(p, p->j, "lambda", (lj = json_pack("{s:s}", "arn",
	    rel->lambda_arn)));
	put(p, p->j, "state_machine", (sj = json_pack("{s:s}", "arn",
	    rel->sm_arn)));
	if (lj == NULL || sj == NULL)
		return;

	memset(&st, 0, sizeof(st));
	if (sd_aws_lambda_get_configuration(aws, rel->lambda_arn, NULL, &fn,
	    &st, &err) == 0) {
		have_fn = 1;
		put(p, lj, "exists", json_true());
		put(p, lj, "code_sha256", json_pack("{s:s, s:s}", "current",
		    fn.code_sha256, "new", rel->zip_b64));
		put(p, lj, "changes", json_boolean(strcmp(fn.code_sha256,
		    rel->zip_b64) != 0));
	} else if (st.kind == SD_AWS_NOT_FOUND) {
		put(p, lj, "exists", json_false());
		refuse(p, "Lambda function %s does not exist (a deploy never "
		    "creates resources)", rel->lambda_arn);
	} else {
		put(p, lj, "error", safe_string(sd_error_text(&err)));
		refuse(p, "cannot read the Lambda function: %s",
		    sd_error_text(&err));
	}
	sd_error_clear(&err);

	memset(&st, 0, sizeof(st));
	if (sd_aws_sfn_describe(aws, rel->sm_arn, &sm, &st, &err) == 0) {
		have_sm = 1;
		put(p, sj, "exists", json_true());
		plan_definition(p, sj, sm.definition != NULL ? sm.definition :
		    "");
	} else if (st.kind == SD_AWS_NOT_FOUND) {
		put(p, sj, "exists", json_false());
		refuse(p, "state machine %s does not exist (a deploy never "
		    "creates resources)", rel->sm_arn);
	} else {
		put(p, sj, "error", safe_string(sd_error_text(&err)));
		refuse(p, "cannot read the state machine: %s",
		    sd_error_text(&err));
	}
	sd_error_clear(&err);

	if (have_fn && have_sm) {
		if ((problems = json_array()) == NULL) {
			p->nomem = 1;
			goto out;
		}
		if (sd_plan_check_tags(p->aws, p->pol, rel,
		    problems, &err) != 0) {
			put(p, p->j, "tags", json_pack("{s:n, s:s}", "ok",
			    "error", sd_error_text(&err)));
			refuse(p, "cannot check the tags: %s",
			    sd_error_text(&err));
		} else {
			put(p, p->j, "tags", json_pack("{s:b, s:O}", "ok",
			    json_array_size(problems) == 0, "problems",
			    problems));
			json_array_foreach(problems, i, x)
				refuse(p, "%s", json_string_value(x));
		}
	}
 out:
	json_decref(problems);
	sd_error_clear(&err);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
}

/* ------------------------------------------------------------ the plan */

int
sd_plan_make(struct sd_aws *aws, const struct sd_policy *pol,
    const struct sd_plan_release *rel, const char *zip_path, json_t **out,
    struct sd_error *err)
{
	struct plan p;
	const char *sha;

	*out = NULL;
	memset(&p, 0, sizeof(p));
	p.aws = aws;
	p.pol = pol;
	p.rel = rel;
	sha = json_string_value(json_object_get(rel->doc, "lambda_sha256"));
	p.j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:{s:s, s:s, "
	    "s:I, s:s?, s:o}}",
	    "release_id", rel->release_id, "project", rel->project, "config",
	    rel->config, "region", rel->region, "account", rel->account,
	    "release_check", rel->check, "refusals", rel->refusals,
	    "zip", "path", zip_path, "sha256", rel->zip_hex, "size",
	    (json_int_t)rel->zip_size, "lambda_sha256", sha, "matches",
	    sha != NULL ? json_boolean(strcmp(sha, rel->zip_hex) == 0) :
	    json_null());
	if (p.j == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	p.refusals = json_object_get(p.j, "refusals");
	if (aws == NULL)
		put(&p, p.j, "aws", json_string("not consulted: the release "
		    "does not name resources of a project in the policy"));
	else {
		plan_lock(&p);
		plan_resources(&p);
	}
	put(&p, p.j, "proceed", json_boolean(json_array_size(p.refusals) ==
	    0));
	if (p.nomem) {
		json_decref(p.j);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	*out = p.j;
	return 0;
}
