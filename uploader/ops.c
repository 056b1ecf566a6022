/*
 * ops.c: freeze, unfreeze and unlock of a project's config (sd_ops.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_lock.h"
#include "sd_ops.h"
#include "sd_policy.h"

int
sd_ops_scope(const struct sd_policy *pol, const char *policy_name,
    const char *project, const char *config, const char **region,
    const char **bucket, struct sd_error *err)
{
	const struct sd_policy_project *p;

	if ((p = sd_policy_project(pol, project)) == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "project %s is "
		    "not in the policy %s", project, policy_name);
	if (!sd_policy_project_has_config(p, config))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s is not one "
		    "of project %s's configs", config, project);
	if (*region == NULL)
		*region = sd_policy_project_region(p, 0);
	else if (!sd_policy_project_has_region(p, *region))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s is not one "
		    "of project %s's regions", *region, project);
	*bucket = sd_policy_project_bucket(p);
	return 0;
}

/* ------------------------------------------------------------ freeze */

int
sd_ops_freeze(struct sd_aws *aws, const char *bucket, const char *project,
    const char *config, const char *by, const char *reason, int64_t now,
    int *held, struct sd_lock_info *li, struct sd_error *err)
{
	struct sd_error e2 = SD_ERROR_INIT;
	struct sd_lock_freeze existing;
	int r;

	*held = 0;
	memset(li, 0, sizeof(*li));
	if ((r = sd_lock_freeze(aws, bucket, project, config, by, reason, now,
	    &existing, err)) != 0)
		return r;
	/* A deploy holding the lock already is not stopped: say so. */
	if (sd_lock_read(aws, bucket, project, config, li, &e2) == 0 &&
	    li->expires_at > now)
		*held = 1;
	sd_error_clear(&e2);
	return 0;
}

int
sd_ops_unfreeze(struct sd_aws *aws, const char *bucket, const char *project,
    const char *config, struct sd_ops_unfreeze *res, struct sd_error *err)
{
	int r;

	memset(res, 0, sizeof(*res));
	r = sd_lock_read_freeze(aws, bucket, project, config, &res->was, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	if (r == SD_ERR_PARSE) {
		(void)snprintf(res->warning, sizeof(res->warning), "%s",
		    sd_error_text(err));
		res->unreadable = 1;
	} else if (r != 0)
		return r;
	sd_error_clear(err);
	res->frozen = 1;
	return sd_lock_unfreeze(aws, bucket, project, config, err);
}

/* ------------------------------------------------------------ unlock */

/* The audit record of an unlock (new; NULL on ENOMEM). */
static json_t *
unlock_record(const char *who, const char *reason, const char *at,
    const struct sd_lock_info *li, int readable)
{
	char acq[40], exp[40];
	json_t *lock;

	if (readable) {
		sd_lock_fmt_utc(li->acquired_at, SD_LOCK_RFC3339, acq,
		    sizeof(acq));
		sd_lock_fmt_utc(li->expires_at, SD_LOCK_RFC3339, exp,
		    sizeof(exp));
		lock = json_pack("{s:s, s:s, s:s, s:s, s:s}", "release_id",
		    li->release_id, "holder", li->holder, "acquired_at", acq,
		    "expires_at", exp, "etag", li->etag);
	} else
		lock = json_pack("{s:n, s:n, s:n, s:n, s:s, s:b}",
		    "release_id", "holder", "acquired_at", "expires_at", "etag",
		    li->etag, "unreadable", 1);
	if (lock == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "action", "unlock", "by",
	    who, "reason", reason, "at", at, "lock", lock);
}

/* The audit record's key: PROJECT/CONFIG/audit/unlock-TIME-RANDOM.json. */
static int
audit_key(const char *project, const char *config, int64_t now, char *buf,
    size_t len, struct sd_error *err)
{
	unsigned char rnd[8];
	char ts[32], hex[2 * sizeof(rnd) + 1];
	size_t i;
	int n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return sd_error_set(err, SD_ERR_IO, NULL, "getrandom failed");
	for (i = 0; i < sizeof(rnd); i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	sd_lock_fmt_utc(now, SD_LOCK_UTC_COMPACT, ts, sizeof(ts));
	n = snprintf(buf, len, "%s/%s/audit/unlock-%s-%s.json", project,
	    config, ts, hex);
	if (n < 0 || (size_t)n >= len)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "S3 key too "
		    "long");
	return 0;
}

int
sd_ops_unlock_read(struct sd_aws *aws, const char *bucket,
    const char *project, const char *config, struct sd_ops_unlock *u,
    struct sd_error *err)
{
	struct sd_aws_s3_object obj;
	int r, n;

	memset(u, 0, sizeof(*u));
	u->readable = 1;
	n = snprintf(u->lock_key, sizeof(u->lock_key), "%s/%s/lock", project,
	    config);
	if (n < 0 || (size_t)n >= sizeof(u->lock_key)) {
		u->lock_key[0] = '\0';
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "S3 key too long");
	}
	r = sd_lock_read(aws, bucket, project, config, &u->li, err);
	if (r != SD_ERR_PARSE)
		return r;
	/* Not a lock object: removable all the same, by its ETag. */
	(void)snprintf(u->warning, sizeof(u->warning), "%s",
	    sd_error_text(err));
	sd_error_clear(err);
	u->readable = 0;
	memset(&u->li, 0, sizeof(u->li));
	memset(&obj, 0, sizeof(obj));
	if ((r = sd_aws_s3_get_object(aws, bucket, u->lock_key, NULL,
	    SD_LOCK_OBJECT_MAX, &obj, NULL, err)) == 0)
		(void)snprintf(u->li.etag, sizeof(u->li.etag), "%s", obj.etag);
	sd_aws_s3_object_clear(&obj);
	return r;
}

int
sd_ops_unlock_remove(struct sd_aws *aws, const char *bucket,
    struct sd_ops_unlock *u, struct sd_error *err)
{
	struct sd_aws_status st;
	int r;

	u->changed = u->vanished = 0;
	memset(&st, 0, sizeof(st));
	if ((r = sd_aws_s3_delete_object(aws, bucket, u->lock_key, u->li.etag,
	    &st, err)) == 0)
		return 0;
	if (st.kind == SD_AWS_NOT_FOUND && st.maybe_applied) {
		/* A retried delete: the first try removed it. */
		sd_error_clear(err);
		return 0;
	}
	if (st.kind == SD_AWS_PRECONDITION)
		u->changed = 1;
	else if (st.kind == SD_AWS_NOT_FOUND)
		u->vanished = 1;
	return r;
}

int
sd_ops_unlock_record(struct sd_aws *aws, const char *bucket,
    const char *project, const char *config, const char *by,
    const char *reason, int64_t now, struct sd_ops_unlock *u,
    struct sd_error *err)
{
	struct sd_aws_s3_put put;
	json_t *rec = NULL;
	int r;

	sd_lock_fmt_utc(now, SD_LOCK_RFC3339, u->at, sizeof(u->at));
	free(u->record);
	u->record = NULL;
	if ((r = audit_key(project, config, now, u->audit_key,
	    sizeof(u->audit_key), err)) != 0)
		return r;
	if ((rec = unlock_record(by, reason, u->at, &u->li,
	    u->readable)) == NULL || (u->record = json_dumps(rec,
	    JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL) {
		json_decref(rec);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	json_decref(rec);
	memset(&put, 0, sizeof(put));
	put.bucket = bucket;
	put.key = u->audit_key;
	put.body = u->record;
	put.body_len = strlen(u->record);
	put.content_type = "application/json";
	put.if_none_match = 1;
	return sd_aws_s3_put_object(aws, &put, NULL, NULL, err);
}

void
sd_ops_unlock_clear(struct sd_ops_unlock *u)
{
	if (u == NULL)
		return;
	free(u->record);
	u->record = NULL;
}
