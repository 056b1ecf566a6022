/*
 * lock.c: the S3 deploy lock, freeze marker and release-id claims (see
 * sd_lock.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_log.h"
#include "sd_policy.h"
#include "sd_time.h"

#define KEY_MAX		(SD_AWS_KEY_MAX + 1)
#define ACQUIRE_ROUNDS	4	/* lock vanished / changed under us */
#define TIME_MAX	32

struct sd_lock {
	char		 bucket[64];
	char		 project[160];
	char		 config[80];
	char		 release_id[SD_LOCK_RELEASE_MAX];
	char		 holder[SD_LOCK_HOLDER_MAX];
	char		 key[KEY_MAX];
	char		 etag[SD_AWS_ETAG_MAX];
	char		*body;		/* as last written; NULL after resume */
	int64_t		 lease;
	int64_t		 acquired_at;
	int64_t		 expires_at;
	int		 took_over;
	struct sd_lock_info previous;
	int64_t		(*now)(void *);
	void		*now_arg;
};

/* ------------------------------------------------------------ helpers */

int
sd_lock_valid_release_id(const char *s)
{
	size_t i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > 64 ||
	    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

/* Printable ASCII, 1..max-1 bytes (0 allowed when empty_ok). */
static int
text_ok(const char *s, size_t max, int empty_ok)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strlen(s);
	if ((n == 0 && !empty_ok) || n >= max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static int64_t
clock_now(int64_t (*now)(void *), void *arg)
{
	return now != NULL ? now(arg) : (int64_t)time(NULL);
}

void
sd_lock_fmt_utc(int64_t sec, int style, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)sec;
	size_t n;

	if (len == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL)
		n = 0;
	else if (style == SD_LOCK_UTC_COMPACT)
		n = strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
	else
		n = strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (n == 0)
		(void)snprintf(buf, len, "@%lld", (long long)sec);
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
	sd_lock_fmt_utc(t, SD_LOCK_RFC3339, buf, len);
}

static int
parse_time(const json_t *v, int64_t *out)
{
	int64_t sec;

	if (!json_is_string(v) || sd_time_parse_ts(json_string_value(v),
	    json_string_length(v), &sec, NULL) != 0)
		return -1;
	*out = sec;
	return 0;
}

static int
make_key(char *buf, size_t len, const char *project, const char *config,
    const char *release_id, const char *leaf)
{
	int n;

	if (release_id != NULL)
		n = snprintf(buf, len, "%s/%s/%s/%s", project, config,
		    release_id, leaf);
	else
		n = snprintf(buf, len, "%s/%s/%s", project, config, leaf);
	return n < 0 || (size_t)n >= len ? SD_ERR_OVERFLOW : 0;
}

static int
check_scope(const char *bucket, const char *project, const char *config,
    struct sd_error *err)
{
	if (bucket == NULL || !sd_policy_valid_bucket(bucket))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "lock: \"%s\" is not a bucket name", bucket != NULL ?
		    bucket : "");
	if (project == NULL || !sd_policy_valid_project_name(project))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "lock: \"%s\" is not a project name (OWNER/NAME)",
		    project != NULL ? project : "");
	if (config == NULL || !sd_policy_valid_config_name(config))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "lock: \"%s\" is not a config name", config != NULL ?
		    config : "");
	return 0;
}

int
sd_lock_default_holder(char *buf, size_t len)
{
	char host[64];
	unsigned char rnd[6];
	char hex[sizeof(rnd) * 2 + 1];
	size_t i;
	int n;

	if (gethostname(host, sizeof(host)) != 0)
		(void)snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0'; i++)
		if ((unsigned char)host[i] < 0x21 ||
		    (unsigned char)host[i] >= 0x7f)
			host[i] = '_';
	randombytes_buf(rnd, sizeof(rnd));
	(void)sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(buf, len, "%s:%ld:%s", host, (long)getpid(), hex);
	return n < 0 || (size_t)n >= len ? SD_ERR_OVERFLOW : 0;
}

char *
sd_lock_body(const char *release_id, const char *holder, int64_t acquired_at,
    int64_t expires_at)
{
	char a[TIME_MAX], e[TIME_MAX], *s;
	json_t *o;

	fmt_time(acquired_at, a, sizeof(a));
	fmt_time(expires_at, e, sizeof(e));
	if ((o = json_pack("{s:s, s:s, s:s, s:s}", "release_id", release_id,
	    "holder", holder, "acquired_at", a, "expires_at", e)) == NULL)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

int
sd_lock_parse(const char *body, size_t len, struct sd_lock_info *info,
    struct sd_error *err)
{
	json_t *o, *rid, *h;
	int r = SD_ERR_PARSE;

	memset(info, 0, sizeof(*info));
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(o)) {
		(void)sd_error_set(err, r, NULL, "not a JSON object");
		goto out;
	}
	rid = json_object_get(o, "release_id");
	h = json_object_get(o, "holder");
	if (!json_is_string(rid) ||
	    !sd_lock_valid_release_id(json_string_value(rid)) ||
	    strlen(json_string_value(rid)) != json_string_length(rid)) {
		(void)sd_error_set(err, r, NULL, "no valid release_id");
		goto out;
	}
	if (!json_is_string(h) || !text_ok(json_string_value(h),
	    SD_LOCK_HOLDER_MAX, 0) ||
	    strlen(json_string_value(h)) != json_string_length(h)) {
		(void)sd_error_set(err, r, NULL, "no valid holder");
		goto out;
	}
	if (parse_time(json_object_get(o, "acquired_at"),
	    &info->acquired_at) != 0 ||
	    parse_time(json_object_get(o, "expires_at"),
	    &info->expires_at) != 0) {
		(void)sd_error_set(err, r, NULL, "acquired_at / expires_at "
		    "are not RFC 3339 times");
		goto out;
	}
	(void)snprintf(info->release_id, sizeof(info->release_id), "%s",
	    json_string_value(rid));
	(void)snprintf(info->holder, sizeof(info->holder), "%s",
	    json_string_value(h));
	r = 0;
 out:
	json_decref(o);
	return r;
}

static int
parse_freeze(const char *body, size_t len, struct sd_lock_freeze *f,
    struct sd_error *err)
{
	json_t *o, *by, *why;
	int r = SD_ERR_PARSE;

	memset(f, 0, sizeof(*f));
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(o)) {
		(void)sd_error_set(err, r, NULL, "not a JSON object");
		goto out;
	}
	by = json_object_get(o, "by");
	why = json_object_get(o, "reason");
	if (!json_is_string(by) || (why != NULL && !json_is_string(why)) ||
	    parse_time(json_object_get(o, "at"), &f->at) != 0) {
		(void)sd_error_set(err, r, NULL, "not {\"by\", \"reason\", "
		    "\"at\"}");
		goto out;
	}
	/* Untrusted text: cut and made printable. */
	(void)snprintf(f->by, sizeof(f->by), "%s", json_string_value(by));
	if (why != NULL)
		(void)snprintf(f->reason, sizeof(f->reason), "%s",
		    json_string_value(why));
	for (r = 0; f->by[r] != '\0'; r++)
		if ((unsigned char)f->by[r] < 0x20 || f->by[r] == 0x7f)
			f->by[r] = '?';
	for (r = 0; f->reason[r] != '\0'; r++)
		if ((unsigned char)f->reason[r] < 0x20 || f->reason[r] == 0x7f)
			f->reason[r] = '?';
	r = 0;
 out:
	json_decref(o);
	return r;
}

/*
 * After a conditional write failed its condition on a try that may have
 * been applied: is the object now exactly what we wrote? 1 (etag
 * filled) or 0.
 */
static int
reread_is_ours(struct sd_aws *c, const char *bucket, const char *key,
    const char *body, size_t len, char etag[SD_AWS_ETAG_MAX])
{
	struct sd_aws_s3_object o;
	struct sd_error e = SD_ERROR_INIT;
	int ours = 0;

	if (sd_aws_s3_get_object(c, bucket, key, NULL, len + 1, &o, NULL,
	    &e) == 0 && o.len == len && memcmp(o.body, body, len) == 0) {
		(void)snprintf(etag, SD_AWS_ETAG_MAX, "%s", o.etag);
		ours = 1;
	}
	sd_aws_s3_object_clear(&o);
	sd_error_clear(&e);
	return ours;
}

/* Conditional put of body at key; 0 and etag, or the S3 error. */
static int
cond_put(struct sd_aws *c, const char *bucket, const char *key,
    const char *body, size_t len, const char *if_match,
    char etag[SD_AWS_ETAG_MAX], struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_s3_put p;
	int r;

	memset(&p, 0, sizeof(p));
	p.bucket = bucket;
	p.key = key;
	p.body = body;
	p.body_len = len;
	p.content_type = "application/json";
	if (if_match != NULL)
		p.if_match = if_match;
	else
		p.if_none_match = 1;
	r = sd_aws_s3_put_object(c, &p, etag, st, err);
	if (r != 0 && st->maybe_applied && (st->kind ==
	    SD_AWS_PRECONDITION || (if_match != NULL && st->kind ==
	    SD_AWS_NOT_FOUND)) && reread_is_ours(c, bucket, key, body, len,
	    etag)) {
		sd_info("s3://%s/%s: an earlier try was applied (the object "
		    "is ours)", bucket, key);
		sd_error_clear(err);
		return 0;
	}
	return r;
}

/* ------------------------------------------------------------ freeze */

int
sd_lock_read_freeze(struct sd_aws *c, const char *bucket, const char *project,
    const char *config, struct sd_lock_freeze *f, struct sd_error *err)
{
	struct sd_aws_s3_object o;
	char key[KEY_MAX];
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = check_scope(bucket, project, config, err)) != 0)
		return r;
	if (make_key(key, sizeof(key), project, config, NULL, "freeze") != 0)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	if ((r = sd_aws_s3_get_object(c, bucket, key, NULL, SD_LOCK_OBJECT_MAX,
	    &o, NULL, err)) != 0)
		return r;
	if ((r = parse_freeze(o.body, o.len, f, err)) != 0)
		(void)sd_error_prefix(err, "s3://%s/%s: the freeze marker is "
		    "unreadable: ", bucket, key);
	sd_aws_s3_object_clear(&o);
	return r;
}

static int
frozen_error(struct sd_error *err, const char *project, const char *config,
    const struct sd_lock_freeze *f)
{
	char at[TIME_MAX];

	fmt_time(f->at, at, sizeof(at));
	return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s is frozen by %s "
	    "since %s%s%s", project, config, f->by, at, f->reason[0] != '\0' ?
	    ": " : " (no reason given)", f->reason);
}

/* 0 not frozen; SD_ERR_INVALID frozen (why filled); else the error. */
static int
check_freeze(struct sd_aws *c, const char *bucket, const char *project,
    const char *config, struct sd_lock_refusal *why, struct sd_error *err)
{
	struct sd_lock_freeze f;
	int r;

	r = sd_lock_read_freeze(c, bucket, project, config, &f, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	if (r == SD_ERR_PARSE) {
		/* Unreadable, but there: still frozen. */
		(void)sd_error_prefix(err, "%s %s is frozen: ", project,
		    config);
		if (why != NULL)
			why->frozen = 1;
		return SD_ERR_INVALID;
	}
	if (r != 0)
		return r;
	if (why != NULL) {
		why->frozen = 1;
		why->freeze = f;
	}
	return frozen_error(err, project, config, &f);
}

int
sd_lock_freeze(struct sd_aws *c, const char *bucket, const char *project,
    const char *config, const char *by, const char *reason, int64_t at,
    struct sd_lock_freeze *existing, struct sd_error *err)
{
	struct sd_aws_status st;
	struct sd_lock_freeze f;
	char key[KEY_MAX], ts[TIME_MAX], *body = NULL;
	json_t *o = NULL;
	int r;

	if (existing != NULL)
		memset(existing, 0, sizeof(*existing));
	if ((r = check_scope(bucket, project, config, err)) != 0)
		return r;
	if (!text_ok(by, SD_LOCK_BY_MAX, 0) || !text_ok(reason != NULL ?
	    reason : "", SD_LOCK_REASON_MAX, 1))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "freeze: by is "
		    "1-%d and reason 0-%d bytes of printable text",
		    SD_LOCK_BY_MAX - 1, SD_LOCK_REASON_MAX - 1);
	if (make_key(key, sizeof(key), project, config, NULL, "freeze") != 0)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	fmt_time(at, ts, sizeof(ts));
	if ((o = json_pack("{s:s, s:s, s:s}", "by", by, "reason",
	    reason != NULL ? reason : "", "at", ts)) == NULL ||
	    (body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) ==
	    NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	r = cond_put(c, bucket, key, body, strlen(body), NULL, NULL, &st, err);
	if (r != 0 && st.kind == SD_AWS_PRECONDITION) {
		sd_error_clear(err);
		if (sd_lock_read_freeze(c, bucket, project, config, &f,
		    err) == 0) {
			if (existing != NULL)
				*existing = f;
			(void)frozen_error(err, project, config, &f);
			(void)sd_error_prefix(err, "already frozen: ");
		} else
			(void)sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s "
			    "is already frozen", project, config);
		r = SD_ERR_INVALID;
	}
 out:
	free(body);
	json_decref(o);
	return r;
}

int
sd_lock_unfreeze(struct sd_aws *c, const char *bucket, const char *project,
    const char *config, struct sd_error *err)
{
	char key[KEY_MAX];
	int r;

	if ((r = check_scope(bucket, project, config, err)) != 0)
		return r;
	if (make_key(key, sizeof(key), project, config, NULL, "freeze") != 0)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	return sd_aws_s3_delete_object(c, bucket, key, NULL, NULL, err);
}

/* ------------------------------------------------------------ the lock */

int
sd_lock_read(struct sd_aws *c, const char *bucket, const char *project,
    const char *config, struct sd_lock_info *info, struct sd_error *err)
{
	struct sd_aws_s3_object o;
	char key[KEY_MAX];
	int r;

	memset(info, 0, sizeof(*info));
	if ((r = check_scope(bucket, project, config, err)) != 0)
		return r;
	if (make_key(key, sizeof(key), project, config, NULL, "lock") != 0)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	if ((r = sd_aws_s3_get_object(c, bucket, key, NULL, SD_LOCK_OBJECT_MAX,
	    &o, NULL, err)) != 0)
		return r;
	if ((r = sd_lock_parse(o.body, o.len, info, err)) != 0)
		(void)sd_error_prefix(err, "s3://%s/%s is not a lock object "
		    "(delete it by hand if no deploy runs): ", bucket, key);
	else
		(void)snprintf(info->etag, sizeof(info->etag), "%s", o.etag);
	sd_aws_s3_object_clear(&o);
	return r;
}

static int
new_lock(const struct sd_lock_opts *o, struct sd_lock **out,
    struct sd_error *err)
{
	struct sd_lock *l;
	int r;

	*out = NULL;
	if (o == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "lock: no "
		    "options");
	if ((r = check_scope(o->bucket, o->project, o->config, err)) != 0)
		return r;
	if (!sd_lock_valid_release_id(o->release_id))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "lock: \"%s\" is "
		    "not a release id", o->release_id != NULL ? o->release_id :
		    "");
	if (o->holder != NULL && !text_ok(o->holder, SD_LOCK_HOLDER_MAX, 0))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "lock: a holder "
		    "is 1-%d bytes of printable text", SD_LOCK_HOLDER_MAX - 1);
	if (o->lease_seconds <= 0 || o->lease_seconds > 7 * 86400)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "lock: the lease "
		    "must be 1 s - 7 days");
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	(void)snprintf(l->bucket, sizeof(l->bucket), "%s", o->bucket);
	(void)snprintf(l->project, sizeof(l->project), "%s", o->project);
	(void)snprintf(l->config, sizeof(l->config), "%s", o->config);
	(void)snprintf(l->release_id, sizeof(l->release_id), "%s",
	    o->release_id);
	if (o->holder != NULL)
		(void)snprintf(l->holder, sizeof(l->holder), "%s", o->holder);
	else if (sd_lock_default_holder(l->holder, sizeof(l->holder)) != 0) {
		free(l);
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "lock: holder");
	}
	if (make_key(l->key, sizeof(l->key), o->project, o->config, NULL,
	    "lock") != 0) {
		free(l);
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	}
	l->lease = o->lease_seconds;
	l->now = o->now;
	l->now_arg = o->now_arg;
	*out = l;
	return 0;
}

static int
held_error(struct sd_error *err, const struct sd_lock *l,
    const struct sd_lock_info *h)
{
	char a[TIME_MAX], e[TIME_MAX];

	fmt_time(h->acquired_at, a, sizeof(a));
	fmt_time(h->expires_at, e, sizeof(e));
	return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s is locked by %s "
	    "for release %s since %s (until %s)", l->project, l->config,
	    h->holder, h->release_id, a, e);
}

int
sd_lock_acquire(struct sd_aws *c, const struct sd_lock_opts *opts,
    struct sd_lock **out, struct sd_lock_refusal *why, struct sd_error *err)
{
	struct sd_aws_status st;
	struct sd_lock_info cur;
	struct sd_lock *l = NULL;
	struct sd_error e2 = SD_ERROR_INIT;
	size_t len;
	char until[TIME_MAX];
	int r, round;

	*out = NULL;
	if (why != NULL)
		memset(why, 0, sizeof(*why));
	if ((r = new_lock(opts, &l, err)) != 0)
		return r;
	if ((r = check_freeze(c, l->bucket, l->project, l->config, why,
	    err)) != 0)
		goto out;
	l->acquired_at = clock_now(l->now, l->now_arg);
	l->expires_at = l->acquired_at + l->lease;
	if ((l->body = sd_lock_body(l->release_id, l->holder, l->acquired_at,
	    l->expires_at)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	len = strlen(l->body);
	for (round = 0; round < ACQUIRE_ROUNDS; round++) {
		r = cond_put(c, l->bucket, l->key, l->body, len, NULL, l->etag,
		    &st, err);
		if (r == 0)
			goto got;
		if (st.kind != SD_AWS_PRECONDITION)
			goto out;
		/* Someone holds it: who, and until when? */
		sd_error_clear(err);
		r = sd_lock_read(c, l->bucket, l->project, l->config, &cur,
		    err);
		if (r == SD_ERR_NOTFOUND) {
			sd_error_clear(err);
			continue;	/* released meanwhile: try again */
		}
		if (r != 0) {
			if (r == SD_ERR_PARSE)
				r = SD_ERR_INVALID;
			goto out;
		}
		if (cur.expires_at > clock_now(l->now, l->now_arg)) {
			if (why != NULL) {
				why->held = 1;
				why->lock = cur;
			}
			r = held_error(err, l, &cur);
			goto out;
		}
		/* Expired: take it over, only from exactly that version. */
		sd_info("lock s3://%s/%s of %s (release %s) expired; taking it "
		    "over", l->bucket, l->key, cur.holder, cur.release_id);
		r = cond_put(c, l->bucket, l->key, l->body, len, cur.etag,
		    l->etag, &st, err);
		if (r == 0) {
			l->took_over = 1;
			l->previous = cur;
			goto got;
		}
		if (st.kind != SD_AWS_PRECONDITION &&
		    st.kind != SD_AWS_NOT_FOUND)
			goto out;
		sd_error_clear(err);	/* changed under us: look again */
	}
	r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s: the lock kept "
	    "changing; gave up after %d rounds", l->project, l->config,
	    ACQUIRE_ROUNDS);
	goto out;
 got:
	/* A freeze that completed meanwhile wins. */
	if ((r = check_freeze(c, l->bucket, l->project, l->config, why,
	    err)) != 0) {
		if (sd_lock_release(c, l, &e2) != 0)
			sd_warn("%s", sd_error_text(&e2));
		goto out;
	}
	fmt_time(l->expires_at, until, sizeof(until));
	sd_info("lock s3://%s/%s taken for release %s by %s until %s",
	    l->bucket, l->key, l->release_id, l->holder, until);
	*out = l;
	l = NULL;
	r = 0;
 out:
	sd_error_clear(&e2);
	sd_lock_free(l);
	return r;
}

int
sd_lock_resume(const struct sd_lock_opts *opts, const char *etag,
    struct sd_lock **out, struct sd_error *err)
{
	struct sd_lock *l = NULL;
	int r;

	*out = NULL;
	if (etag == NULL || etag[0] == '\0' || strlen(etag) >= SD_AWS_ETAG_MAX)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "lock: no ETag "
		    "to resume from");
	if ((r = new_lock(opts, &l, err)) != 0)
		return r;
	(void)snprintf(l->etag, sizeof(l->etag), "%s", etag);
	l->acquired_at = clock_now(l->now, l->now_arg);
	l->expires_at = 0;	/* unknown until renewed */
	*out = l;
	return 0;
}

int
sd_lock_renew(struct sd_aws *c, struct sd_lock *l, struct sd_error *err)
{
	struct sd_aws_status st;
	char etag[SD_AWS_ETAG_MAX], *body;
	int64_t exp = clock_now(l->now, l->now_arg) + l->lease;
	int r;

	if ((body = sd_lock_body(l->release_id, l->holder, l->acquired_at,
	    exp)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = cond_put(c, l->bucket, l->key, body, strlen(body), l->etag, etag,
	    &st, err);
	if (r == 0) {
		free(l->body);
		l->body = body;
		l->expires_at = exp;
		(void)snprintf(l->etag, sizeof(l->etag), "%s", etag);
		return 0;
	}
	free(body);
	if (st.kind == SD_AWS_PRECONDITION || st.kind == SD_AWS_NOT_FOUND)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s: the lock "
		    "for release %s is no longer ours (%s)", l->project,
		    l->config, l->release_id, st.kind == SD_AWS_NOT_FOUND ?
		    "it was deleted" : "taken over after it expired");
	return r;
}

int
sd_lock_release(struct sd_aws *c, struct sd_lock *l, struct sd_error *err)
{
	struct sd_aws_status st;
	struct sd_lock_info cur;
	struct sd_error e2 = SD_ERROR_INIT;
	int r;

	r = sd_aws_s3_delete_object(c, l->bucket, l->key, l->etag, &st, err);
	if (r == 0) {
		sd_info("lock s3://%s/%s released", l->bucket, l->key);
		return 0;
	}
	if ((st.kind == SD_AWS_NOT_FOUND || st.kind == SD_AWS_PRECONDITION) &&
	    st.maybe_applied) {
		/* An earlier try deleted it (what is there now, if anything,
		 * is someone else's). */
		sd_error_clear(err);
		return 0;
	}
	if (st.kind == SD_AWS_NOT_FOUND)
		return sd_error_set(err, SD_ERR_NOTFOUND, NULL, "%s %s: the lock "
		    "for release %s had vanished", l->project, l->config,
		    l->release_id);
	if (st.kind == SD_AWS_PRECONDITION) {
		if (sd_lock_read(c, l->bucket, l->project, l->config, &cur,
		    &e2) == 0)
			r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s: the "
			    "lock for release %s is no longer ours: %s holds it "
			    "for release %s; left alone", l->project, l->config,
			    l->release_id, cur.holder, cur.release_id);
		else
			r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s: the "
			    "lock for release %s is no longer ours; left "
			    "alone", l->project, l->config, l->release_id);
		sd_error_clear(&e2);
	}
	return r;
}

void
sd_lock_free(struct sd_lock *l)
{
	if (l == NULL)
		return;
	free(l->body);
	free(l);
}

const char *
sd_lock_etag(const struct sd_lock *l)
{
	return l->etag;
}

const char *
sd_lock_key(const struct sd_lock *l)
{
	return l->key;
}

int64_t
sd_lock_expires_at(const struct sd_lock *l)
{
	return l->expires_at;
}

int
sd_lock_took_over(const struct sd_lock *l, struct sd_lock_info *prev)
{
	if (prev != NULL)
		*prev = l->previous;
	return l->took_over;
}

/* ------------------------------------------------------------ replays */

int
sd_lock_claim_release(struct sd_aws *c, const char *bucket,
    const char *project, const char *config, const char *release_id,
    const void *body, size_t len, char etag[SD_AWS_ETAG_MAX],
    struct sd_error *err)
{
	struct sd_aws_status st;
	struct sd_aws_s3_object o;
	struct sd_error e2 = SD_ERROR_INIT;
	char key[KEY_MAX], tag[SD_AWS_ETAG_MAX];
	int r;

	if (etag != NULL)
		etag[0] = '\0';
	if ((r = check_scope(bucket, project, config, err)) != 0)
		return r;
	if (!sd_lock_valid_release_id(release_id))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "\"%s\" is not a "
		    "release id", release_id != NULL ? release_id : "");
	if (body == NULL || len == 0 || len > SD_LOCK_RELEASE_JSON_MAX)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "release %s: "
		    "release.json must be 1 byte - %zu bytes", release_id,
		    SD_LOCK_RELEASE_JSON_MAX);
	if (make_key(key, sizeof(key), project, config, release_id,
	    "release.json") != 0)
		return sd_error_set(err, SD_ERR_OVERFLOW, NULL, "key too long");
	r = cond_put(c, bucket, key, body, len, NULL, tag, &st, err);
	if (r == 0) {
		if (etag != NULL)
			(void)snprintf(etag, SD_AWS_ETAG_MAX, "%s", tag);
		return 0;
	}
	if (st.kind != SD_AWS_PRECONDITION)
		return r;
	if (sd_aws_s3_head_object(c, bucket, key, &o, NULL, &e2) == 0 &&
	    o.last_modified[0] != '\0')
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "release %s of %s %s "
		    "was submitted before (s3://%s/%s exists, from %s): a "
		    "release id is never deployed twice", release_id, project,
		    config, bucket, key, o.last_modified);
	else
		r = sd_error_set(err, SD_ERR_INVALID, NULL, "release %s of %s %s "
		    "was submitted before (s3://%s/%s exists): a release id is "
		    "never deployed twice", release_id, project, config, bucket,
		    key);
	sd_aws_s3_object_clear(&o);
	sd_error_clear(&e2);
	return r;
}
