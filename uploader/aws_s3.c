/*
 * aws_s3.c: S3 object operations, path-style (see sd_aws.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws_int.h"

#define S3_PATH_MAX	(3 * SD_AWS_KEY_MAX + 80)
#define S3_RES_MAX	(SD_AWS_KEY_MAX + 80)

/* "/BUCKET/KEY" (key percent-encoded but for '/') and "s3://B/K". */
static int
s3_path(const char *op, const char *bucket, const char *key, char *path,
    size_t plen, char *res, size_t rlen, struct sd_aws_status *st,
    struct sd_error *err)
{
	char enc[S3_PATH_MAX];
	size_t i, n;

	(void)snprintf(res, rlen, "s3://%s/%s", bucket != NULL ? bucket : "",
	    key != NULL ? key : "");
	if (bucket == NULL || !sd_policy_valid_bucket(bucket))
		return aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3, op,
		    res, "not a bucket name");
	n = key != NULL ? strlen(key) : 0;
	if (n == 0 || n > SD_AWS_KEY_MAX)
		return aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3, op,
		    res, "an object key is 1-%d bytes", SD_AWS_KEY_MAX);
	for (i = 0; i < n; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			return aws_fail(st, err, SD_ERR_INVALID,
			    SD_POLICY_SVC_S3, op, res, "a control character "
			    "in the object key");
	if (aws_pct_encode(key, 1, enc, sizeof(enc)) != 0 ||
	    snprintf(path, plen, "/%s/%s", bucket, enc) >= (int)plen)
		return aws_fail(st, err, SD_ERR_OVERFLOW, SD_POLICY_SVC_S3, op,
		    res, "the object key is too long");
	return 0;
}

/* An ETag to send back in If-Match: printable ASCII, bounded. */
static int
etag_ok(const char *e)
{
	size_t i, n = strlen(e);

	if (n == 0 || n >= SD_AWS_ETAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)e[i] < 0x20 || (unsigned char)e[i] >= 0x7f)
			return 0;
	return 1;
}

static int
hex64_ok(const char *h)
{
	size_t i;

	if (h == NULL || strlen(h) != SD_SIGV4_HASH_HEX)
		return 0;
	for (i = 0; i < SD_SIGV4_HASH_HEX; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' &&
		    h[i] <= 'f')))
			return 0;
	return 1;
}

int
sd_aws_s3_put_object(struct sd_aws *c, const struct sd_aws_s3_put *p,
    char etag[SD_AWS_ETAG_MAX], struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct aws_req rq;
	struct aws_resp rs;
	struct stat sb;
	char path[S3_PATH_MAX], res[S3_RES_MAX];
	int fd = -1, r;

	st = aws_status(st, &scratch);
	aws_resp_init(&rs);
	if (etag != NULL)
		etag[0] = '\0';
	if ((r = s3_path("PutObject", p->bucket, p->key, path, sizeof(path),
	    res, sizeof(res), st, err)) != 0)
		goto out;
	aws_req_init(&rq, SD_POLICY_SVC_S3, "PutObject", res, "PUT");
	rq.path = path;
	rq.hash_only = 1;
	if (p->if_match != NULL && p->if_none_match) {
		r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
		    "PutObject", res, "If-Match and If-None-Match together");
		goto out;
	}
	if (p->if_match != NULL && !etag_ok(p->if_match)) {
		r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
		    "PutObject", res, "not an ETag");
		goto out;
	}
	if (p->file != NULL && p->body != NULL) {
		r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
		    "PutObject", res, "a body from memory or a file, not both");
		goto out;
	}
	if (p->content_type != NULL)
		(void)aws_req_header(&rq, "Content-Type", p->content_type);
	if (p->if_none_match)
		(void)aws_req_header(&rq, "If-None-Match", "*");
	if (p->if_match != NULL)
		(void)aws_req_header(&rq, "If-Match", p->if_match);
	rq.idem = p->if_none_match || p->if_match != NULL ?
	    SD_AWS_CONDITIONAL : SD_AWS_IDEMPOTENT;
	if (p->file != NULL) {
		if (!hex64_ok(p->sha256_hex)) {
			r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
			    "PutObject", res, "a file body needs its SHA-256 "
			    "as 64 lower-case hex digits");
			goto out;
		}
		if ((fd = open(p->file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) ==
		    -1 || fstat(fd, &sb) != 0) {
			r = aws_fail(st, err, SD_ERR_IO, SD_POLICY_SVC_S3,
			    "PutObject", res, "%s: %s", p->file,
			    strerror(errno));
			goto out;
		}
		if (!S_ISREG(sb.st_mode)) {
			r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
			    "PutObject", res, "%s is not a regular file",
			    p->file);
			goto out;
		}
		rq.body_fd = fd;
		rq.body_fd_len = (uint64_t)sb.st_size;
		rq.payload_hash = p->sha256_hex;
	} else {
		rq.body = p->body;
		rq.body_len = p->body != NULL ? p->body_len : 0;
	}
	if ((r = aws_do(c, &rq, &rs, st, err)) != 0)
		goto out;
	if (etag != NULL)
		(void)snprintf(etag, SD_AWS_ETAG_MAX, "%s", rs.etag);
 out:
	if (fd != -1 && close(fd) != 0 && r == 0)
		r = aws_fail(st, err, SD_ERR_IO, SD_POLICY_SVC_S3, "PutObject",
		    res, "close: %s", strerror(errno));
	aws_resp_release(&rs);
	return r;
}

static int
get_or_head(struct sd_aws *c, const char *method, const char *bucket,
    const char *key, const char *if_match, size_t max,
    struct sd_aws_s3_object *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct aws_req rq;
	struct aws_resp rs;
	char path[S3_PATH_MAX], res[S3_RES_MAX];
	const char *op = method[0] == 'G' ? "GetObject" : "HeadObject";
	int r;

	st = aws_status(st, &scratch);
	memset(out, 0, sizeof(*out));
	out->size = -1;
	aws_resp_init(&rs);
	if ((r = s3_path(op, bucket, key, path, sizeof(path), res,
	    sizeof(res), st, err)) != 0)
		goto out;
	aws_req_init(&rq, SD_POLICY_SVC_S3, op, res, method);
	rq.path = path;
	rq.hash_only = 1;
	rq.max_response = max;
	if (if_match != NULL) {
		if (!etag_ok(if_match)) {
			r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
			    op, res, "not an ETag");
			goto out;
		}
		(void)aws_req_header(&rq, "If-Match", if_match);
	}
	if ((r = aws_do(c, &rq, &rs, st, err)) != 0)
		goto out;
	(void)snprintf(out->etag, sizeof(out->etag), "%s", rs.etag);
	(void)snprintf(out->last_modified, sizeof(out->last_modified), "%s",
	    rs.last_modified);
	out->size = rs.content_length;
	if (method[0] == 'G') {
		out->len = rs.body.len;
		out->size = (int64_t)rs.body.len;
		out->body = rs.body.data != NULL ? sd_buf_steal(&rs.body) :
		    strdup("");
		if (out->body == NULL) {
			r = aws_fail(st, err, SD_ERR_NOMEM, SD_POLICY_SVC_S3,
			    op, res, "out of memory");
			goto out;
		}
	}
 out:
	aws_resp_release(&rs);
	return r;
}

int
sd_aws_s3_get_object(struct sd_aws *c, const char *bucket, const char *key,
    const char *if_match, size_t max, struct sd_aws_s3_object *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	return get_or_head(c, "GET", bucket, key, if_match, max, out, st, err);
}

int
sd_aws_s3_head_object(struct sd_aws *c, const char *bucket, const char *key,
    struct sd_aws_s3_object *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	return get_or_head(c, "HEAD", bucket, key, NULL, 0, out, st, err);
}

int
sd_aws_s3_delete_object(struct sd_aws *c, const char *bucket,
    const char *key, const char *if_match, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	struct aws_req rq;
	struct aws_resp rs;
	char path[S3_PATH_MAX], res[S3_RES_MAX];
	int r;

	st = aws_status(st, &scratch);
	aws_resp_init(&rs);
	if ((r = s3_path("DeleteObject", bucket, key, path, sizeof(path), res,
	    sizeof(res), st, err)) != 0)
		goto out;
	aws_req_init(&rq, SD_POLICY_SVC_S3, "DeleteObject", res, "DELETE");
	rq.path = path;
	rq.hash_only = 1;
	if (if_match != NULL) {
		if (!etag_ok(if_match)) {
			r = aws_fail(st, err, SD_ERR_INVALID, SD_POLICY_SVC_S3,
			    "DeleteObject", res, "not an ETag");
			goto out;
		}
		(void)aws_req_header(&rq, "If-Match", if_match);
		rq.idem = SD_AWS_CONDITIONAL;
	}
	r = aws_do(c, &rq, &rs, st, err);
 out:
	aws_resp_release(&rs);
	return r;
}

void
sd_aws_s3_object_clear(struct sd_aws_s3_object *o)
{
	if (o == NULL)
		return;
	free(o->body);
	memset(o, 0, sizeof(*o));
	o->size = -1;
}
