/*
 * sd_lock: the deploy lock, the freeze marker and replay protection, all
 * kept in S3 next to the releases (DESIGN.md, "The deploy"):
 *
 *	s3://BUCKET/PROJECT/CONFIG/lock
 *	    {"release_id","holder","acquired_at","expires_at"}	(JSON, RFC 3339
 *	    UTC times) - created with If-None-Match: *, so of two deployers
 *	    racing exactly one gets it; a lock past its expiry is taken over
 *	    only with If-Match on its ETag (again exactly one wins); released
 *	    with DELETE If-Match, so a lock that was taken over is never
 *	    deleted by its former holder.
 *	s3://BUCKET/PROJECT/CONFIG/freeze
 *	    {"by","reason","at"} - while it exists sd_lock_acquire refuses,
 *	    naming who froze the config, when and why. It is checked before
 *	    the lock is taken and again once it is held (a freeze that
 *	    completed meanwhile releases the lock and refuses), so no deploy
 *	    starts after sd_lock_freeze has returned.
 *	s3://BUCKET/PROJECT/CONFIG/RELEASE_ID/release.json
 *	    created with If-None-Match: * by sd_lock_claim_release: a release
 *	    id can never be deployed twice. Claim it while holding the lock.
 *
 * Retried conditional writes (see sd_aws.h): when a write's condition
 * fails after a try that may have been applied (a dropped connection, a
 * timeout, a 5xx), the object is read back and compared byte for byte
 * with the body written - it names the holder (unique per process: host,
 * pid and a random tag by default) and the time - so our own success is
 * recognised and a competitor's is not mistaken for it.
 *
 * Times are seconds since the epoch from opts->now (NULL: the system
 * clock), so tests can inject them.
 */
#ifndef SD_LOCK_H
#define SD_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include "sd_aws.h"
#include "sd_err.h"

#define SD_LOCK_HOLDER_MAX	256	/* holder, with its NUL */
#define SD_LOCK_RELEASE_MAX	65	/* [A-Za-z0-9._-]{1,64} + NUL */
#define SD_LOCK_BY_MAX		129	/* a freeze's "by" */
#define SD_LOCK_REASON_MAX	1025	/* a freeze's "reason" */
#define SD_LOCK_OBJECT_MAX	((size_t)16 << 10)	/* lock/freeze bodies */
#define SD_LOCK_RELEASE_JSON_MAX ((size_t)4 << 20)	/* release.json */

struct sd_lock_opts {
	const char	*bucket;
	const char	*project;	/* "acme/hello" */
	const char	*config;	/* "production" */
	const char	*release_id;	/* who the lock is for */
	const char	*holder;	/* NULL: sd_lock_default_holder() */
	int64_t		 lease_seconds;	/* > 0: the policy's lock lease */
	int64_t		(*now)(void *arg);	/* NULL: time(2) */
	void		*now_arg;
};

/* What a lock object says (plain data). */
struct sd_lock_info {
	char	 release_id[SD_LOCK_RELEASE_MAX];
	char	 holder[SD_LOCK_HOLDER_MAX];
	int64_t	 acquired_at;
	int64_t	 expires_at;
	char	 etag[SD_AWS_ETAG_MAX];
};

/* What a freeze marker says (plain data). */
struct sd_lock_freeze {
	char	 by[SD_LOCK_BY_MAX];
	char	 reason[SD_LOCK_REASON_MAX];
	int64_t	 at;
};

/* Why sd_lock_acquire refused (plain data). */
struct sd_lock_refusal {
	int			 frozen;	/* freeze says by whom */
	int			 held;		/* lock says by whom */
	struct sd_lock_freeze	 freeze;
	struct sd_lock_info	 lock;
};

struct sd_lock;		/* a lock we hold: opaque */

/*
 * Take the lock of opts->project/config for opts->release_id.
 * 0 and *out (new: release it, then sd_lock_free); or SD_ERR_INVALID when
 * the config is frozen or another deployer holds an unexpired lock (why,
 * may be NULL, says which; err names who, for which release, until
 * when), or when a lock object cannot be read as one; SD_ERR_IO and the
 * others of sd_aws.h when S3 fails.
 */
int	 sd_lock_acquire(struct sd_aws *, const struct sd_lock_opts *,
	    struct sd_lock **out, struct sd_lock_refusal *why,
	    struct sd_error *err);
/*
 * A lock held before (by this release, e.g. before a crash), from its
 * ETag as the journal kept it, so it can be renewed or released (a
 * renewal writes the resume time as acquired_at). Nothing is read or
 * checked in S3: a stale ETag shows on renew or release. *out is new.
 * SD_ERR_INVALID for bad options.
 */
int	 sd_lock_resume(const struct sd_lock_opts *, const char *etag,
	    struct sd_lock **out, struct sd_error *err);
/*
 * Extend the lease to now + lease_seconds (PUT If-Match). SD_ERR_INVALID
 * when the lock is no longer ours (taken over after it expired, or
 * deleted by hand).
 */
int	 sd_lock_renew(struct sd_aws *, struct sd_lock *, struct sd_error *err);
/*
 * Delete the lock if it is still ours (DELETE If-Match). 0 also when a
 * retried delete finds it already gone; SD_ERR_INVALID when another
 * deployer has taken it over (it is left alone); SD_ERR_NOTFOUND when it
 * had vanished.
 */
int	 sd_lock_release(struct sd_aws *, struct sd_lock *, struct sd_error *err);
/* NULL-safe; does not release. */
void	 sd_lock_free(struct sd_lock *);

/* The held lock's current ETag, key, expiry; borrowed / plain. */
const char *sd_lock_etag(const struct sd_lock *);
const char *sd_lock_key(const struct sd_lock *);
int64_t	 sd_lock_expires_at(const struct sd_lock *);
/* 1 when acquiring took over an expired lock; prev (may be NULL) gets
 * what that lock said. */
int	 sd_lock_took_over(const struct sd_lock *, struct sd_lock_info *prev);

/*
 * Read the lock of bucket/project/config: 0 and info, SD_ERR_NOTFOUND
 * when there is none, SD_ERR_PARSE when it is not a lock object.
 */
int	 sd_lock_read(struct sd_aws *, const char *bucket, const char *project,
	    const char *config, struct sd_lock_info *info, struct sd_error *err);

/*
 * Freeze project/config: create the freeze marker {by, reason, at}.
 * by: 1-128, reason: 0-1024 bytes of printable text. SD_ERR_INVALID when
 * already frozen (existing, may be NULL, says by whom).
 */
int	 sd_lock_freeze(struct sd_aws *, const char *bucket,
	    const char *project, const char *config, const char *by,
	    const char *reason, int64_t at, struct sd_lock_freeze *existing,
	    struct sd_error *err);
/* Remove the freeze marker; 0 also when there was none. */
int	 sd_lock_unfreeze(struct sd_aws *, const char *bucket,
	    const char *project, const char *config, struct sd_error *err);
/* 0 and f when frozen, SD_ERR_NOTFOUND when not. */
int	 sd_lock_read_freeze(struct sd_aws *, const char *bucket,
	    const char *project, const char *config, struct sd_lock_freeze *f,
	    struct sd_error *err);

/*
 * Replay protection: create PROJECT/CONFIG/RELEASE_ID/release.json
 * holding body (the release as submitted) with If-None-Match: *.
 * 0 when created now (or by a retried try of this very call: the object
 * holds exactly body); SD_ERR_INVALID when the release id was used
 * before. etag (may be NULL) receives the object's ETag.
 */
int	 sd_lock_claim_release(struct sd_aws *, const char *bucket,
	    const char *project, const char *config, const char *release_id,
	    const void *body, size_t len, char etag[SD_AWS_ETAG_MAX],
	    struct sd_error *err);

/*
 * "HOST:PID:RANDOM" into buf (at least SD_LOCK_HOLDER_MAX): unique per
 * process and call. 0 or SD_ERR_OVERFLOW.
 */
int	 sd_lock_default_holder(char *buf, size_t len);
/*
 * sec (since the epoch) as UTC into buf: "2026-11-25T12:00:00Z"
 * (SD_LOCK_RFC3339, as lock and freeze bodies hold times) or
 * "20261125T120000Z" (SD_LOCK_UTC_COMPACT, for S3 keys); "@SEC" when it
 * cannot be formatted.
 */
#define SD_LOCK_RFC3339		0
#define SD_LOCK_UTC_COMPACT	1
void	 sd_lock_fmt_utc(int64_t sec, int style, char *buf, size_t len);
/* 1 when s is a release id: [A-Za-z0-9._-]{1,64}, not "." or "..". */
int	 sd_lock_valid_release_id(const char *s);
/* The lock's / freeze marker's object body for those values (new
 * string; NULL on ENOMEM). For tests and tools. */
char	*sd_lock_body(const char *release_id, const char *holder,
	    int64_t acquired_at, int64_t expires_at);
/* Parse a lock body: 0 or SD_ERR_PARSE (err says what is wrong). */
int	 sd_lock_parse(const char *body, size_t len, struct sd_lock_info *info,
	    struct sd_error *err);

#endif /* SD_LOCK_H */
