/*
 * aws_lambda.c: Lambda operations (REST/JSON), functions named by their
 * full ARN as the signer requires; and the Code.Location download.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "aws_int.h"
#include "sd_log.h"

#define L		SD_POLICY_SVC_LAMBDA
#define DL		SD_POLICY_SVC_S3	/* Code.Location: presigned S3 */
#define L_PATH_MAX	(3 * SD_POLICY_ARN_MAX + 64)
#define QUALIFIER_MAX	128

void
sd_aws_lambda_function_clear(struct sd_aws_lambda_function *f)
{
	if (f == NULL)
		return;
	free(f->code_location);
	json_decref(f->tags);
	json_decref(f->raw);
	memset(f, 0, sizeof(*f));
}

/* "/2015-03-31/functions/ARN[/what]" or "/2017-03-31/tags/ARN". */
static int
fn_path(const char *op, const char *arn, const char *prefix,
    const char *what, char *path, size_t len, struct sd_aws_status *st,
    struct sd_error *err)
{
	char enc[L_PATH_MAX];

	if (!aws_arn_ok(arn, "function"))
		return aws_fail(st, err, SD_ERR_INVALID, L, op,
		    arn != NULL ? arn : "", "name the function by its full ARN "
		    "(arn:aws:lambda:REGION:ACCOUNT:function:NAME)");
	if (aws_pct_encode(arn, 0, enc, sizeof(enc)) != 0 ||
	    snprintf(path, len, "%s/%s%s%s", prefix, enc, what != NULL ? "/" :
	    "", what != NULL ? what : "") >= (int)len)
		return aws_fail(st, err, SD_ERR_OVERFLOW, L, op, arn,
		    "the ARN is too long");
	return 0;
}

static int
qualifier_query(const char *op, const char *arn, const char *q, char *buf,
    size_t len, struct sd_aws_status *st, struct sd_error *err)
{
	char enc[3 * QUALIFIER_MAX + 1];

	if (q == NULL)
		return 0;
	if (q[0] == '\0' || strlen(q) > QUALIFIER_MAX ||
	    aws_pct_encode(q, 0, enc, sizeof(enc)) != 0 ||
	    snprintf(buf, len, "Qualifier=%s", enc) >= (int)len)
		return aws_fail(st, err, SD_ERR_INVALID, L, op, arn,
		    "not a qualifier");
	return 0;
}

/* Fill f from a FunctionConfiguration object (borrowed). */
static void
read_config(const json_t *c, struct sd_aws_lambda_function *f)
{
	json_t *v;
	char code[SD_AWS_CODE_MAX];

	aws_json_str(c, "FunctionArn", f->function_arn,
	    sizeof(f->function_arn));
	aws_json_str(c, "CodeSha256", f->code_sha256, sizeof(f->code_sha256));
	aws_json_str(c, "RevisionId", f->revision_id, sizeof(f->revision_id));
	aws_json_str(c, "State", f->state, sizeof(f->state));
	aws_json_str(c, "LastUpdateStatus", f->last_update_status,
	    sizeof(f->last_update_status));
	aws_json_str(c, "Version", f->version, sizeof(f->version));
	aws_json_str(c, "LastUpdateStatusReasonCode", code, sizeof(code));
	aws_json_str(c, "LastUpdateStatusReason", f->last_update_reason,
	    sizeof(f->last_update_reason));
	if (code[0] != '\0') {
		char both[SD_AWS_CODE_MAX + SD_AWS_MESSAGE_MAX + 4];

		if (snprintf(both, sizeof(both), "%s: %s", code,
		    f->last_update_reason) > 0)
			(void)snprintf(f->last_update_reason,
			    sizeof(f->last_update_reason), "%.*s",
			    (int)sizeof(f->last_update_reason) - 1, both);
	}
	f->code_size = -1;
	if (json_is_integer(v = json_object_get(c, "CodeSize")))
		f->code_size = (int64_t)json_integer_value(v);
}

/* Send rq; parse the JSON answer into *root (new). */
static int
call_json(struct sd_aws *c, const struct aws_req *rq, json_t **root,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct aws_resp rs;
	int r;

	*root = NULL;
	aws_resp_init(&rs);
	if ((r = aws_do(c, rq, &rs, st, err)) == 0)
		r = aws_json_body(&rs, root, st, err, rq->svc, rq->op,
		    rq->resource);
	aws_resp_release(&rs);
	return r;
}

static int
get_fn(struct sd_aws *c, const char *op, const char *arn, const char *q,
    struct sd_aws_lambda_function *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct aws_req rq;
	char path[L_PATH_MAX], query[3 * QUALIFIER_MAX + 16];
	json_t *root = NULL, *conf, *code, *loc, *tags;
	int full = strcmp(op, "GetFunction") == 0, r;

	st = aws_status(st, &scratch);
	memset(out, 0, sizeof(*out));
	if ((r = fn_path(op, arn, "/2015-03-31/functions", full ? NULL :
	    "configuration", path, sizeof(path), st, err)) != 0 ||
	    (r = qualifier_query(op, arn, q, query, sizeof(query), st,
	    err)) != 0)
		return r;
	aws_req_init(&rq, L, op, arn, "GET");
	rq.path = path;
	rq.query = q != NULL ? query : NULL;
	if ((r = call_json(c, &rq, &root, st, err)) != 0)
		return r;
	conf = full ? json_object_get(root, "Configuration") : root;
	if (!json_is_object(conf)) {
		json_decref(root);
		return aws_fail(st, err, SD_ERR_PARSE, L, op, arn,
		    "the answer has no Configuration");
	}
	read_config(conf, out);
	if (full) {
		code = json_object_get(root, "Code");
		loc = json_object_get(code, "Location");
		if (json_is_string(loc) &&
		    (out->code_location = strdup(json_string_value(loc))) ==
		    NULL) {
			json_decref(root);
			return aws_fail(st, err, SD_ERR_NOMEM, L, op, arn,
			    "out of memory");
		}
		if (json_is_object(tags = json_object_get(root, "Tags")))
			out->tags = json_incref(tags);
	}
	out->raw = root;
	return 0;
}

int
sd_aws_lambda_get_function(struct sd_aws *c, const char *arn,
    const char *qualifier, struct sd_aws_lambda_function *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	return get_fn(c, "GetFunction", arn, qualifier, out, st, err);
}

int
sd_aws_lambda_get_configuration(struct sd_aws *c, const char *arn,
    const char *qualifier, struct sd_aws_lambda_function *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	return get_fn(c, "GetFunctionConfiguration", arn, qualifier, out, st,
	    err);
}

/* POST/PUT a JSON body to path; the answer's configuration into out. */
static int
send_json(struct sd_aws *c, const char *op, const char *method,
    const char *arn, const char *path, json_t *body, enum sd_aws_idem idem,
    struct sd_aws_lambda_function *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct aws_req rq;
	char *text = NULL;
	json_t *root = NULL;
	int r;

	if ((text = aws_json_text(body)) == NULL)
		return aws_fail(st, err, SD_ERR_NOMEM, L, op, arn,
		    "out of memory");
	aws_req_init(&rq, L, op, arn, method);
	rq.path = path;
	rq.body = text;
	rq.body_len = strlen(text);
	rq.idem = idem;
	(void)aws_req_header(&rq, "Content-Type", "application/json");
	if ((r = call_json(c, &rq, &root, st, err)) == 0) {
		if (out != NULL) {
			read_config(root, out);
			out->raw = root;
			root = NULL;
		}
	}
	json_decref(root);
	free(text);
	return r;
}

int
sd_aws_lambda_update_code(struct sd_aws *c, const char *arn,
    const struct sd_aws_lambda_code *code, struct sd_aws_lambda_function *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	char path[L_PATH_MAX], *b64 = NULL;
	json_t *body = NULL;
	size_t blen;
	int r;

	st = aws_status(st, &scratch);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((r = fn_path("UpdateFunctionCode", arn, "/2015-03-31/functions",
	    "code", path, sizeof(path), st, err)) != 0)
		return r;
	if ((code->zip != NULL) == (code->s3_bucket != NULL) ||
	    (code->s3_bucket != NULL) != (code->s3_key != NULL))
		return aws_fail(st, err, SD_ERR_INVALID, L,
		    "UpdateFunctionCode", arn, "give the zip, or an S3 bucket "
		    "and key");
	if (code->zip != NULL && code->zip_len > SD_AWS_INLINE_ZIP_MAX)
		return aws_fail(st, err, SD_ERR_LIMIT, L,
		    "UpdateFunctionCode", arn, "a zip of %zu bytes is over the "
		    "%zu sent inline: upload it to S3 and update from there",
		    code->zip_len, SD_AWS_INLINE_ZIP_MAX);
	if ((body = json_object()) == NULL)
		goto nomem;
	if (code->zip != NULL) {
		blen = sodium_base64_ENCODED_LEN(code->zip_len,
		    sodium_base64_VARIANT_ORIGINAL);
		if ((b64 = malloc(blen)) == NULL)
			goto nomem;
		(void)sodium_bin2base64(b64, blen, code->zip, code->zip_len,
		    sodium_base64_VARIANT_ORIGINAL);
		if (json_object_set_new(body, "ZipFile", json_string(b64)) != 0)
			goto nomem;
	} else if (json_object_set_new(body, "S3Bucket",
	    json_string(code->s3_bucket)) != 0 ||
	    json_object_set_new(body, "S3Key", json_string(code->s3_key)) != 0)
		goto nomem;
	if ((code->revision_id != NULL && json_object_set_new(body,
	    "RevisionId", json_string(code->revision_id)) != 0) ||
	    (code->publish && json_object_set_new(body, "Publish",
	    json_true()) != 0) ||
	    (code->dry_run && json_object_set_new(body, "DryRun",
	    json_true()) != 0))
		goto nomem;
	r = send_json(c, "UpdateFunctionCode", "PUT", arn, path, body,
	    code->revision_id != NULL ? SD_AWS_CONDITIONAL : SD_AWS_IDEMPOTENT,
	    out, st, err);
	goto out;
 nomem:
	r = aws_fail(st, err, SD_ERR_NOMEM, L, "UpdateFunctionCode", arn,
	    "out of memory (or a string that is not UTF-8)");
 out:
	json_decref(body);
	free(b64);
	return r;
}

int
sd_aws_lambda_wait_updated(struct sd_aws *c, const char *arn,
    struct sd_aws_lambda_function *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct sd_aws_lambda_function f;
	int64_t deadline = aws_mono_ms() + aws_poll_timeout_ms(c);
	int r;

	st = aws_status(st, &scratch);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	for (;;) {
		if ((r = sd_aws_lambda_get_configuration(c, arn, NULL, &f, st,
		    err)) != 0)
			return r;
		if (strcmp(f.last_update_status, "InProgress") != 0 &&
		    strcmp(f.state, "Pending") != 0)
			break;
		if (aws_mono_ms() + aws_poll_interval_ms(c) > deadline) {
			r = aws_fail(st, err, SD_ERR_IO, L, "wait for update",
			    arn, "still %s after %ld ms",
			    strcmp(f.state, "Pending") == 0 ? "Pending" :
			    "InProgress", aws_poll_timeout_ms(c));
			sd_aws_lambda_function_clear(&f);
			return r;
		}
		sd_debug("Lambda %s: LastUpdateStatus %s, State %s; polling",
		    arn, f.last_update_status, f.state);
		sd_aws_lambda_function_clear(&f);
		aws_sleep_ms(aws_poll_interval_ms(c));
	}
	if (strcmp(f.last_update_status, "Failed") == 0 ||
	    strcmp(f.state, "Failed") == 0) {
		r = aws_fail(st, err, SD_ERR_INVALID, L, "wait for update",
		    arn, "the update failed (LastUpdateStatus %s, State %s)%s%s",
		    f.last_update_status, f.state,
		    f.last_update_reason[0] != '\0' ? ": " : "",
		    f.last_update_reason);
		sd_aws_lambda_function_clear(&f);
		return r;
	}
	if (out != NULL)
		*out = f;
	else
		sd_aws_lambda_function_clear(&f);
	return 0;
}

int
sd_aws_lambda_publish_version(struct sd_aws *c, const char *arn,
    const char *revision_id, const char *code_sha256,
    const char *description, struct sd_aws_lambda_function *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	char path[L_PATH_MAX];
	json_t *body = NULL;
	int r;

	st = aws_status(st, &scratch);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((r = fn_path("PublishVersion", arn, "/2015-03-31/functions",
	    "versions", path, sizeof(path), st, err)) != 0)
		return r;
	if ((body = json_object()) == NULL ||
	    (code_sha256 != NULL && json_object_set_new(body, "CodeSha256",
	    json_string(code_sha256)) != 0) ||
	    (revision_id != NULL && json_object_set_new(body, "RevisionId",
	    json_string(revision_id)) != 0) ||
	    (description != NULL && json_object_set_new(body, "Description",
	    json_string(description)) != 0)) {
		json_decref(body);
		return aws_fail(st, err, SD_ERR_NOMEM, L, "PublishVersion", arn,
		    "out of memory (or a string that is not UTF-8)");
	}
	r = send_json(c, "PublishVersion", "POST", arn, path, body,
	    SD_AWS_CONDITIONAL, out, st, err);
	json_decref(body);
	return r;
}

int
sd_aws_lambda_list_tags(struct sd_aws *c, const char *arn, json_t **tags,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct aws_req rq;
	char path[L_PATH_MAX];
	json_t *root = NULL, *t;
	int r;

	st = aws_status(st, &scratch);
	*tags = NULL;
	if ((r = fn_path("ListTags", arn, "/2017-03-31/tags", NULL, path,
	    sizeof(path), st, err)) != 0)
		return r;
	aws_req_init(&rq, L, "ListTags", arn, "GET");
	rq.path = path;
	if ((r = call_json(c, &rq, &root, st, err)) != 0)
		return r;
	t = json_object_get(root, "Tags");
	if (t == NULL)
		*tags = json_object();
	else if (json_is_object(t))
		*tags = json_incref(t);
	else {
		json_decref(root);
		return aws_fail(st, err, SD_ERR_PARSE, L, "ListTags", arn,
		    "Tags is not an object");
	}
	json_decref(root);
	if (*tags == NULL)
		return aws_fail(st, err, SD_ERR_NOMEM, L, "ListTags", arn,
		    "out of memory");
	return 0;
}

int
sd_aws_download(struct sd_aws *c, const char *url, const char *path,
    uint64_t max, const char *sha256_b64, char got_b64[SD_AWS_SHA256_B64_MAX],
    uint64_t *size, struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct sd_error uerr = SD_ERROR_INIT;
	struct aws_req rq;
	struct aws_resp rs;
	char res[SD_AWS_URL_MAX], b64[SD_AWS_SHA256_B64_MAX];
	size_t n;
	int fd = -1, r, created = 0;

	st = aws_status(st, &scratch);
	aws_resp_init(&rs);
	if (got_b64 != NULL)
		got_b64[0] = '\0';
	if (size != NULL)
		*size = 0;
	/* The query of a presigned URL is a credential: never show it. */
	n = url != NULL ? strcspn(url, "?#") : 0;
	(void)snprintf(res, sizeof(res), "%.*s", (int)n, url != NULL ? url :
	    "");
	if ((r = sd_aws_url_allowed(url, aws_allow_http_loopback(c),
	    &uerr)) != 0) {
		r = aws_fail(st, err, r, DL, "download", res, "%s",
		    sd_error_text(&uerr));
		sd_error_clear(&uerr);
		goto out;
	}
	if (path == NULL || max == 0) {
		r = aws_fail(st, err, SD_ERR_INVALID, DL, "download", res,
		    "no file or no size limit");
		goto out;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		r = aws_fail(st, err, SD_ERR_IO, DL, "download", res, "%s: %s",
		    path, strerror(errno));
		goto out;
	}
	created = 1;
	aws_req_init(&rq, DL, "download", res, "GET");
	rq.url = url;
	rq.out_fd = fd;
	rq.out_max = max;
	if ((r = aws_do(c, &rq, &rs, st, err)) != 0)
		goto out;
	(void)sodium_bin2base64(b64, sizeof(b64), rs.sha256,
	    sizeof(rs.sha256), sodium_base64_VARIANT_ORIGINAL);
	if (got_b64 != NULL)
		(void)snprintf(got_b64, SD_AWS_SHA256_B64_MAX, "%s", b64);
	if (size != NULL)
		*size = rs.written;
	if (sha256_b64 != NULL && strcmp(sha256_b64, b64) != 0) {
		r = aws_fail(st, err, SD_ERR_INVALID, DL, "download", res,
		    "the content's SHA-256 is %s, not %s", b64, sha256_b64);
		goto out;
	}
	if (fsync(fd) != 0) {
		r = aws_fail(st, err, SD_ERR_IO, DL, "download", res,
		    "fsync %s: %s", path, strerror(errno));
		goto out;
	}
 out:
	if (fd != -1 && close(fd) != 0 && r == 0)
		r = aws_fail(st, err, SD_ERR_IO, DL, "download", res,
		    "close %s: %s", path, strerror(errno));
	if (r != 0 && created && unlink(path) != 0)
		sd_warn("download: could not remove %s: %s", path,
		    strerror(errno));
	aws_resp_release(&rs);
	return r;
}
