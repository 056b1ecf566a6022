/*
 * sd_journal: the per-release append-only journal of the deploy flow
 * (DESIGN.md "The deploy (uploader)").
 *
 * One JSON object a line:
 *	{"step": "UpdateLambda", "phase": "intent"|"done"|"failed",
 *	 "at": "2026-11-25T19:49:31.000Z", "data": {...}}
 * Before each AWS call the uploader appends an "intent" entry, after it a
 * "done" (or "failed") entry; each append is one write(2) of the whole
 * line followed by fsync(2), and creating the file also fsyncs its
 * directory, so an entry that sd_journal_append() returned 0 for survives
 * a crash. A crash during a write can leave a torn last line (no newline,
 * or not JSON): the reader ignores it (that entry's action was never
 * started, since its intent never reached the disk) and sd_journal_open()
 * cuts it off before appending. A bad line anywhere else is an error.
 *
 * After a crash, sd_journal_replay() tells the last completed step, the
 * step in flight (an intent without its done/failed) and the snapshot
 * the Snapshot step saved (the data of its "done" entry), so the deploy
 * can finish or roll back.
 */
#ifndef SD_JOURNAL_H
#define SD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"

/* Limits: one entry (a definition is up to 1 MiB, escaped) and the file. */
#define SD_JOURNAL_LINE_MAX	((size_t)4 * 1024 * 1024)
#define SD_JOURNAL_FILE_MAX	((size_t)64 * 1024 * 1024)

/* The step whose "done" data is the snapshot. */
#define SD_JOURNAL_SNAPSHOT_STEP	"Snapshot"

enum sd_journal_phase {
	SD_JOURNAL_INTENT = 0,
	SD_JOURNAL_DONE,
	SD_JOURNAL_FAILED,
};

struct sd_journal;

/*
 * Open (creating it 0600, and fsyncing its directory, when missing) the
 * journal at path for appending, waiting for its lock; a torn last line
 * is cut off (and the file fsynced). *out is new. SD_ERR_IO with err filled on failure.
 */
int	 sd_journal_open(const char *path, struct sd_journal **out,
	    struct sd_error *err);
/* sd_journal_open of a journal that must not exist yet: SD_ERR_INVALID
 * when it does (another process started it). */
int	 sd_journal_create(const char *path, struct sd_journal **out,
	    struct sd_error *err);
/*
 * The journal of a deploy that is not running: open an existing journal
 * only if no live process holds it (every open journal is held with an
 * exclusive flock(2) until it is freed; sd_journal_open waits for it).
 * SD_ERR_NOTFOUND when there is none, SD_ERR_INVALID when a running
 * deploy holds it.
 */
int	 sd_journal_open_idle(const char *path, struct sd_journal **out,
	    struct sd_error *err);
/* Closes the file (and drops its lock); NULL-safe. */
void	 sd_journal_free(struct sd_journal *);

/*
 * Append one entry and fsync it. step is a state name of the deploy flow
 * (non-empty); data (borrowed) may be NULL (written as {}), else any JSON
 * value. at_ns is the entry's time (0: now). SD_ERR_INVALID for an empty
 * step, SD_ERR_LIMIT for a line over SD_JOURNAL_LINE_MAX, SD_ERR_IO when
 * the write or fsync fails (the journal is then unusable: every later
 * append fails too, since the file's end is unknown).
 */
int	 sd_journal_append(struct sd_journal *, const char *step,
	    enum sd_journal_phase phase, json_t *data, int64_t at_ns,
	    struct sd_error *err);

/* "intent", "done", "failed". */
const char *sd_journal_phase_name(enum sd_journal_phase);

/* The snapshot: what the Snapshot step found before any change. */
struct sd_journal_snapshot {
	char	*code_sha256;	/* new; the Lambda's CodeSha256 */
	char	*revision_id;	/* new; the Lambda's RevisionId */
	char	*definition;	/* new; the state machine's definition */
	char	*zip_key;	/* new; S3 key of the zip now deployed */
};

/* What a journal says (every field new, NULL/0 when not seen). */
struct sd_journal_state {
	size_t	 entries;	/* complete entries read */
	int	 torn;		/* 1: a torn last line was ignored */
	char	*last_done;	/* the last step with a "done" entry */
	char	*in_flight;	/* step of a last "intent" with no outcome */
	char	*last_failed;	/* the last step with a "failed" entry */
	int	 has_snapshot;	/* 1: a Snapshot "done" entry was read */
	struct sd_journal_snapshot snapshot;
	json_t	*snapshot_data;	/* that entry's whole data */
	json_t	*intents;	/* {step: data of its last "intent"} */
	json_t	*dones;		/* {step: data of its last "done"} */
};

#define SD_JOURNAL_STATE_INIT { 0, 0, NULL, NULL, NULL, 0, \
	{ NULL, NULL, NULL, NULL }, NULL, NULL, NULL }

/*
 * Read the journal at path and fill st (cleared first). SD_ERR_NOTFOUND
 * when there is no journal; SD_ERR_PARSE (err->location "line N") for a
 * bad line other than a torn last one, or a Snapshot "done" entry whose
 * data lacks the string fields CodeSha256, RevisionId, definition,
 * zipKey; SD_ERR_LIMIT past the size limits.
 */
int	 sd_journal_replay(const char *path, struct sd_journal_state *st,
	    struct sd_error *err);
/* Free st's fields; NULL-safe; leaves it re-usable. */
void	 sd_journal_state_clear(struct sd_journal_state *);

#endif /* SD_JOURNAL_H */
