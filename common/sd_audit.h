/*
 * sd_audit: the forward-secure audit log every daemon writes.
 *
 * One JSON line per event, its fields in this order:
 *
 *	{"seq", "time", "process", "uid", "release", "event", "outcome",
 *	 "detail", "epoch", "prev", "sig"}
 *
 * prev is the BLAKE2b-256 (hex) of the previous line's bytes (64 zeros on
 * the first); sig is the Ed25519 signature (hex) of the line's bytes with
 * its `,"sig":"..."` member left out, by the key of the line's epoch.
 *
 * Forward security: the signing key is derived from a 32-byte seed that
 * evolves by epoch (every epoch_entries lines or epoch_seconds): the next
 * seed is a keyed BLAKE2b of the current one, which is then wiped. The
 * first line of each epoch ("audit.epoch") carries that epoch's public key
 * and is signed by the previous epoch's key; the log's first line
 * ("audit.init") carries epoch 0's, which `stepdeploy audit init` prints
 * for the operator to keep off the host. Whoever takes the host later
 * holds only the current seed and cannot sign as any earlier epoch; the
 * verifier checks every line against its own epoch's key.
 *
 * The seed and the log's head live in a small state file beside the log
 * (LOG.key, mode 0600), rewritten in place under flock(2) on the log, so
 * that the forked children of a daemon (which inherit both descriptors,
 * opened before the sandbox) append to one chain.
 */
#ifndef SD_AUDIT_H
#define SD_AUDIT_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <jansson.h>

#include "sd_err.h"

#define SD_AUDIT_EPOCH_ENTRIES	1000	/* defaults of the policy's audit */
#define SD_AUDIT_EPOCH_SECONDS	3600
#define SD_AUDIT_LINE_MAX	(64 * 1024)	/* a line, detail included */
#define SD_AUDIT_NO_UID		((int64_t)-1)

/*
 * Create LOG's first epoch (LOG and LOG.key must not exist): its first
 * line, signed; pk_hex gets epoch 0's public key (64 hex digits).
 */
int	 sd_audit_init(const char *log, const char *process,
	    int64_t epoch_entries, int64_t epoch_seconds, char pk_hex[65],
	    struct sd_error *err);

/*
 * Open this process's log (made with sd_audit_init when it does not exist
 * and create is set; pk_hex, when not NULL, then gets its key). A torn
 * last line (a crash while it was written) is cut off and recorded as an
 * "audit.torn_tail" event. The descriptors stay open (O_CLOEXEC) for the
 * process and the children it forks.
 */
int	 sd_audit_open(const char *log, const char *process, int create,
	    char pk_hex[65], struct sd_error *err);
/*
 * A daemon's start: sd_audit_open (made when missing, with a warning
 * naming its key), then a "daemon.start" event with detail (stolen, may be
 * NULL) and the pid.
 */
int	 sd_audit_start(const char *log, const char *process, json_t *detail,
	    struct sd_error *err);
int	 sd_audit_is_open(void);
/* The open log's process name ("" when none is open). */
const char *sd_audit_process(void);
void	 sd_audit_close(void);

/*
 * Append one event (a no-op returning 0 when no log is open). uid is
 * SD_AUDIT_NO_UID when no peer is concerned; release may be NULL; detail
 * (an object, stolen, may be NULL) must hold no secret. sync: fsync the
 * line before returning (the events that matter).
 */
int	 sd_audit(const char *event, const char *outcome, int64_t uid,
	    const char *release, json_t *detail, int sync);

/* The log's head (its last line's seq and hash), for anchoring. */
int	 sd_audit_head(int64_t *seq, char hash_hex[65]);

/* What sd_audit_verify found. */
struct sd_audit_report {
	int64_t		 lines;		/* lines that verified */
	int64_t		 epochs;	/* epochs seen (1 + rotations) */
	int64_t		 head_seq;	/* the last good line's */
	char		 head_hash[65];
	char		 process[64];
	int		 torn_tail;	/* the last line is incomplete */
	int		 own_key;	/* checked against the log's own key */
	char		 first_pk[65];	/* epoch 0's public key */
};

/*
 * Verify a log: every line's chain, seq, epoch and signature, starting
 * from epoch 0's public key pk_hex (NULL: the key the first line carries,
 * which only shows the log is consistent, not that it is the original).
 * Returns 0 when everything holds (a torn last line is reported in rep,
 * not an error); SD_ERR_INVALID with err naming the first bad line
 * ("LOG:N: ...") and why otherwise.
 */
int	 sd_audit_verify(const char *log, const char *pk_hex,
	    struct sd_audit_report *rep, struct sd_error *err);
/* The same over an open stream (rewound once); log names it in errors. */
int	 sd_audit_verify_fp(FILE *fp, const char *log, const char *pk_hex,
	    struct sd_audit_report *rep, struct sd_error *err);

/*
 * Whether LOG holds a line of seq with hash (hex): 1 yes, 0 the log is
 * shorter, SD_ERR_INVALID when that seq's line has another hash.
 */
int	 sd_audit_has_head(const char *log, int64_t seq, const char *hash_hex,
	    struct sd_error *err);

#endif /* SD_AUDIT_H */
