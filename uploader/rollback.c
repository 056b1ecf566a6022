/*
 * rollback.c: the release a rollback redeploys (sd_rollback.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_policy.h"
#include "sd_release.h"
#include "sd_rollback.h"
#include "sd_time.h"

#define HISTORY_MAX	((size_t)1 << 20)
#define ZIP_MAX		((size_t)256 << 20)

/* GET bucket/key into *o (new). */
static int
get_object(struct sd_aws *aws, const char *bucket, const char *key,
    size_t max, struct sd_aws_s3_object *o, struct sd_error *err)
{
	memset(o, 0, sizeof(*o));
	return sd_aws_s3_get_object(aws, bucket, key, NULL, max, o, NULL,
	    err);
}

int
sd_rollback_init(const struct sd_policy *pol, const char *project,
    const char *config, struct sd_rollback *rb, struct sd_error *err)
{
	const struct sd_policy_project *proj;

	memset(rb, 0, sizeof(*rb));
	rb->project = project;
	rb->config = config;
	if ((proj = sd_policy_project(pol, project)) == NULL ||
	    !sd_policy_project_has_config(proj, config))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s is not a "
		    "project and config of the policy", project, config);
	rb->bucket = sd_policy_project_bucket(proj);
	rb->region = sd_policy_project_region(proj, 0);
	return 0;
}

int
sd_rollback_target(struct sd_aws *aws, const char *to,
    struct sd_rollback *rb, struct sd_error *err)
{
	struct sd_aws_s3_object hist;
	json_t *h = NULL, *target = NULL, *e;
	const char *cur, *id;
	char key[1024];
	size_t i;
	int r;

	memset(&hist, 0, sizeof(hist));
	if (sd_deploy_history_key(rb->project, rb->config, key,
	    sizeof(key)) != 0)
		return SD_ERR_INTERNAL;
	if ((r = get_object(aws, rb->bucket, key, HISTORY_MAX, &hist,
	    err)) != 0) {
		if (err->code == SD_ERR_NOTFOUND) {
			sd_error_clear(err);
			r = sd_error_set(err, SD_ERR_NOTFOUND, NULL, "%s %s has "
			    "no deploy history (%s): nothing to roll back to",
			    rb->project, rb->config, key);
		}
		goto out;
	}
	if ((h = sd_json_loadb(hist.body, hist.len, 0, key, err)) == NULL) {
		r = err->code != 0 ? err->code : SD_ERR_PARSE;
		goto out;
	}
	cur = json_string_value(json_object_get(h, "release_id"));
	json_array_foreach(json_object_get(h, "history"), i, e) {
		id = json_string_value(json_object_get(e, "release_id"));
		if (id == NULL || (cur != NULL && strcmp(id, cur) == 0))
			continue;
		if (to == NULL || strcmp(id, to) == 0) {
			target = e;
			break;
		}
	}
	if (target == NULL) {
		r = sd_error_set(err, SD_ERR_NOTFOUND, NULL, to != NULL ?
		    "release %s is not in the deploy history of %s %s" :
		    "%s%s %s has no release before %s", to != NULL ? to : "",
		    rb->project, rb->config, cur != NULL ? cur :
		    "the current one");
		goto out;
	}
	if ((cur != NULL && (rb->from = strdup(cur)) == NULL) ||
	    (rb->to = strdup(json_string_value(json_object_get(target,
	    "release_id")))) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	r = 0;
 out:
	json_decref(h);
	sd_aws_s3_object_clear(&hist);
	return r;
}

int
sd_rollback_fetch(struct sd_aws *aws, const struct sd_policy *pol,
    const char *journal_dir, struct sd_rollback *rb, struct sd_error *err)
{
	struct sd_aws_s3_object rel, zip;
	json_t *release = NULL;
	char key[1024], stamp[20], hex[65], now[64];
	time_t t;
	struct tm tm;
	int fd, r;

	memset(&rel, 0, sizeof(rel));
	memset(&zip, 0, sizeof(zip));
	/* The target's release and zip, as it was deployed. */
	(void)snprintf(key, sizeof(key), "%s/%s/%s/release.json", rb->project,
	    rb->config, rb->to);
	if ((r = get_object(aws, rb->bucket, key, SD_LOCK_RELEASE_JSON_MAX,
	    &rel, err)) != 0)
		goto out;
	if ((release = sd_json_loadb(rel.body, rel.len, 0, key, err)) ==
	    NULL) {
		r = err->code != 0 ? err->code : SD_ERR_PARSE;
		goto out;
	}
	(void)snprintf(key, sizeof(key), "%s/%s/%s/lambda.zip", rb->project,
	    rb->config, rb->to);
	if ((size_t)snprintf(rb->zip_path, sizeof(rb->zip_path),
	    "%s/rollback-%s.zip", journal_dir, rb->to) >=
	    sizeof(rb->zip_path)) {
		rb->zip_path[0] = '\0';
		r = sd_error_set(err, SD_ERR_LIMIT, NULL, "--journal-dir is "
		    "too long");
		goto out;
	}
	if ((r = get_object(aws, rb->bucket, key, ZIP_MAX, &zip, err)) != 0)
		goto out;
	fd = open(rb->zip_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (fd == -1 || write(fd, zip.body, zip.len) != (ssize_t)zip.len ||
	    close(fd) != 0) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "%s: %s", rb->zip_path,
		    strerror(errno));
		goto out;
	}
	if ((r = sd_aws_sha256_file(rb->zip_path, hex, NULL, NULL, err)) != 0)
		goto out;

	/* A new release id: a release id is never deployed twice. */
	t = time(NULL);
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0 ||
	    sd_time_format(sd_time_now(), now, sizeof(now)) != 0) {
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "no clock");
		goto out;
	}
	(void)snprintf(rb->new_id, sizeof(rb->new_id), "%.38s.rollback-%.16s",
	    rb->to, stamp);
	if (json_object_set_new(release, "release_id",
	    json_string(rb->new_id)) ||
	    json_object_set_new(release, "created_at", json_string(now)) ||
	    json_object_set_new(release, "lambda_sha256", json_string(hex)) ||
	    (rb->buf = sd_json_dumps(release, SD_JSON_SORT_KEYS)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	r = sd_release_parse(rb->buf, strlen(rb->buf), pol, &rb->release,
	    err);
 out:
	json_decref(release);
	sd_aws_s3_object_clear(&rel);
	sd_aws_s3_object_clear(&zip);
	return r;
}

void
sd_rollback_clear(struct sd_rollback *rb)
{
	if (rb == NULL)
		return;
	if (rb->zip_path[0] != '\0')
		(void)unlink(rb->zip_path);
	rb->zip_path[0] = '\0';
	free(rb->from);
	free(rb->to);
	free(rb->buf);
	json_decref(rb->release);
	rb->from = rb->to = rb->buf = NULL;
	rb->release = NULL;
}
