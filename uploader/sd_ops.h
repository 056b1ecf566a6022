/*
 * sd_ops: the operator's break-glass actions on a project's config in S3
 * (`stepdeploy freeze`, `unfreeze`, `unlock`), on top of sd_lock.h:
 *
 *	freeze		create the freeze marker {by, reason, at}: every
 *			deploy of the config is refused until unfreeze
 *	unfreeze	remove it (a config that is not frozen is left alone)
 *	unlock		remove a stuck deploy lock: read it, delete it with
 *			If-Match on the ETag read (a lock that changes
 *			meanwhile is not removed), then record who did it and
 *			why in PROJECT/CONFIG/audit/unlock-TIME-RANDOM.json
 *			(created with If-None-Match)
 *
 * Each step returns what it found for the caller to say; none prints.
 */
#ifndef SD_OPS_H
#define SD_OPS_H

#include <stdint.h>

#include "sd_aws.h"
#include "sd_err.h"
#include "sd_lock.h"
#include "sd_policy.h"

/*
 * The scope of an action on project/config: both in pol, the region
 * *region (in: NULL for the project's first; out: borrowed from pol) one
 * of the project's, and *bucket (borrowed) the project's. policy_name
 * names pol in the messages. 0, or SD_ERR_INVALID and err.
 */
int	 sd_ops_scope(const struct sd_policy *pol, const char *policy_name,
	    const char *project, const char *config, const char **region,
	    const char **bucket, struct sd_error *err);

/*
 * Freeze project/config in bucket as by (1-128 bytes) with reason at
 * time now (sd_lock_freeze). Then read the lock: *held is 1 (and li says
 * whose) when a deploy holds it past now, which the freeze does not
 * stop. 0, or the error of sd_lock_freeze.
 */
int	 sd_ops_freeze(struct sd_aws *aws, const char *bucket,
	    const char *project, const char *config, const char *by,
	    const char *reason, int64_t now, int *held,
	    struct sd_lock_info *li, struct sd_error *err);

struct sd_ops_unfreeze {
	int			 frozen;	/* there was a marker */
	int			 unreadable;	/* it was not a freeze marker */
	char			 warning[512];	/* why, when unreadable */
	struct sd_lock_freeze	 was;		/* what it said (readable) */
};

/*
 * Remove the freeze marker of project/config, saying in res what it
 * said (res->frozen 0: there was none, nothing done). 0, or the error.
 */
int	 sd_ops_unfreeze(struct sd_aws *aws, const char *bucket,
	    const char *project, const char *config,
	    struct sd_ops_unfreeze *res, struct sd_error *err);

/* An unlock, step by step (plain data but record, see below). */
struct sd_ops_unlock {
	char			 lock_key[SD_AWS_KEY_MAX];	/* "": too long */
	struct sd_lock_info	 li;		/* li.etag also when unreadable */
	int			 readable;	/* a lock object */
	char			 warning[512];	/* why not, when unreadable */
	int			 changed, vanished;	/* _remove's */
	/* sd_ops_unlock_record */
	char			 at[40];	/* RFC 3339 */
	char			 audit_key[SD_AWS_KEY_MAX];
	char			*record;	/* the record's body: new */
};

/*
 * Read the lock of project/config into u (zeroed first). 0;
 * SD_ERR_NOTFOUND (u->readable 1) when there is none; SD_ERR_LIMIT when its key would be too long
 * (u->lock_key ""); another error. A lock object that cannot be read as
 * one (u->readable 0, u->warning) is removable all the same, by its ETag.
 */
int	 sd_ops_unlock_read(struct sd_aws *aws, const char *bucket,
	    const char *project, const char *config, struct sd_ops_unlock *u,
	    struct sd_error *err);
/*
 * Delete exactly the lock read (DELETE If-Match its ETag). 0 (also when a
 * retried delete finds that its first try removed it), or the error:
 * then u->changed when the lock changed since it was read (taken over or
 * renewed), u->vanished when it is gone.
 */
int	 sd_ops_unlock_remove(struct sd_aws *aws, const char *bucket,
	    struct sd_ops_unlock *u, struct sd_error *err);
/*
 * Write the audit record of the removal: {action: "unlock", by, reason,
 * at (now), lock} with If-None-Match to u->audit_key. 0; otherwise the
 * error, and u->record NULL when the record could not be made, else the
 * record that could not be written.
 */
int	 sd_ops_unlock_record(struct sd_aws *aws, const char *bucket,
	    const char *project, const char *config, const char *by,
	    const char *reason, int64_t now, struct sd_ops_unlock *u,
	    struct sd_error *err);
/* Free u->record; NULL-safe. */
void	 sd_ops_unlock_clear(struct sd_ops_unlock *u);

#endif /* SD_OPS_H */
