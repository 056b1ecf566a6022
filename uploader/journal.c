/*
 * journal.c: the per-release append-only journal (sd_journal.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_journal.h"
#include "sd_json.h"
#include "sd_time.h"

struct sd_journal {
	int	 fd;
	int	 broken;	/* a write or fsync failed */
	char	*path;
};

const char *
sd_journal_phase_name(enum sd_journal_phase p)
{
	switch (p) {
	case SD_JOURNAL_INTENT:
		return "intent";
	case SD_JOURNAL_DONE:
		return "done";
	case SD_JOURNAL_FAILED:
		return "failed";
	}
	return NULL;
}

static int
phase_from_name(const char *s, enum sd_journal_phase *out)
{
	if (strcmp(s, "intent") == 0)
		*out = SD_JOURNAL_INTENT;
	else if (strcmp(s, "done") == 0)
		*out = SD_JOURNAL_DONE;
	else if (strcmp(s, "failed") == 0)
		*out = SD_JOURNAL_FAILED;
	else
		return SD_ERR_INVALID;
	return 0;
}

/* fsync the directory holding path, so a new entry in it is durable. */
static int
fsync_dir(const char *path, struct sd_error *err)
{
	char *copy = NULL;
	int dfd = -1, r = SD_ERR_IO;

	if ((copy = strdup(path)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		sd_error_set(err, SD_ERR_IO, NULL, "cannot open the directory "
		    "of %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(dfd) == -1) {
		sd_error_set(err, SD_ERR_IO, NULL, "cannot fsync the directory "
		    "of %s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
 out:
	if (dfd != -1 && close(dfd) == -1 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot close the "
		    "directory of %s: %s", path, strerror(errno));
	free(copy);
	return r;
}

/*
 * Cut a torn last line (one without its newline) off the open file.
 * Reads backwards from the end in blocks to find the last newline.
 */
static int
cut_torn_tail(int fd, const char *path, struct sd_error *err)
{
	struct stat sb;
	char buf[4096];
	off_t end, pos, keep = 0;
	ssize_t n, i;
	size_t want;

	if (fstat(fd, &sb) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot stat %s: %s",
		    path, strerror(errno));
	if ((size_t)sb.st_size > SD_JOURNAL_FILE_MAX)
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "%s is over %zu "
		    "bytes", path, SD_JOURNAL_FILE_MAX);
	end = sb.st_size;
	if (end == 0)
		return 0;
	for (pos = end; pos > 0; pos -= (off_t)want) {
		want = pos < (off_t)sizeof(buf) ? (size_t)pos : sizeof(buf);
		do {
			n = pread(fd, buf, want, pos - (off_t)want);
		} while (n == -1 && errno == EINTR);
		if (n != (ssize_t)want)
			return sd_error_set(err, SD_ERR_IO, NULL, "cannot read "
			    "%s: %s", path, n == -1 ? strerror(errno) :
			    "short read");
		for (i = n - 1; i >= 0; i--)
			if (buf[i] == '\n')
				break;
		if (i >= 0) {
			keep = pos - (off_t)want + i + 1;
			break;
		}
	}
	if (keep == end)
		return 0;
	if (ftruncate(fd, keep) == -1 || fsync(fd) == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "cannot cut the torn "
		    "last line of %s: %s", path, strerror(errno));
	return 0;
}

enum open_mode {
	OPEN_APPEND,	/* an existing journal or a new one; wait for it */
	OPEN_IDLE,	/* an existing journal no live process holds */
	OPEN_CREATE,	/* a new journal only */
};

static int
journal_open(const char *path, enum open_mode mode, struct sd_journal **out,
    struct sd_error *err)
{
	struct sd_journal *j = NULL;
	int created = 0, r = SD_ERR_INTERNAL;

	*out = NULL;
	if ((j = calloc(1, sizeof(*j))) != NULL)
		j->fd = -1;
	if (j == NULL || (j->path = strdup(path)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if (mode != OPEN_CREATE)
		j->fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	if (j->fd == -1 && errno == ENOENT && mode == OPEN_IDLE) {
		r = sd_error_set(err, SD_ERR_NOTFOUND, NULL, "no journal %s",
		    path);
		goto out;
	}
	if (j->fd == -1 && (mode == OPEN_CREATE || errno == ENOENT)) {
		j->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		created = 1;
		if (j->fd == -1 && errno == EEXIST && mode == OPEN_CREATE) {
			r = sd_error_set(err, SD_ERR_INVALID, NULL, "%s "
			    "exists already", path);
			goto out;
		}
	}
	if (j->fd == -1) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot open %s: %s",
		    path, strerror(errno));
		goto out;
	}
	/* One writer: the live deploy holds the lock until it ends (the
	 * kernel drops it when the process dies, however it dies). */
	while (flock(j->fd, LOCK_EX | (mode == OPEN_IDLE ? LOCK_NB : 0)) ==
	    -1) {
		if (errno == EINTR)
			continue;
		r = sd_error_set(err, errno == EWOULDBLOCK ? SD_ERR_INVALID :
		    SD_ERR_IO, NULL, "%s: %s", path, errno == EWOULDBLOCK ?
		    "in use by a running deploy" : strerror(errno));
		goto out;
	}
	if (created) {
		if (fsync(j->fd) == -1) {
			r = sd_error_set(err, SD_ERR_IO, NULL, "cannot fsync "
			    "%s: %s", path, strerror(errno));
			goto out;
		}
		if ((r = fsync_dir(path, err)) != 0)
			goto out;
	} else if ((r = cut_torn_tail(j->fd, path, err)) != 0)
		goto out;
	*out = j;
	j = NULL;
	r = 0;
 out:
	sd_journal_free(j);
	return r;
}

int
sd_journal_open(const char *path, struct sd_journal **out,
    struct sd_error *err)
{
	return journal_open(path, OPEN_APPEND, out, err);
}

int
sd_journal_create(const char *path, struct sd_journal **out,
    struct sd_error *err)
{
	return journal_open(path, OPEN_CREATE, out, err);
}

int
sd_journal_open_idle(const char *path, struct sd_journal **out,
    struct sd_error *err)
{
	return journal_open(path, OPEN_IDLE, out, err);
}

void
sd_journal_free(struct sd_journal *j)
{
	if (j == NULL)
		return;
	if (j->fd != -1)
		(void)close(j->fd);	/* every append was already fsynced */
	free(j->path);
	free(j);
}

int
sd_journal_append(struct sd_journal *j, const char *step,
    enum sd_journal_phase phase, json_t *data, int64_t at_ns,
    struct sd_error *err)
{
	char at[64];
	const char *pname = sd_journal_phase_name(phase);
	json_t *o = NULL;
	char *line = NULL;
	size_t len, off = 0;
	ssize_t n;
	int r = SD_ERR_INTERNAL;

	if (j->broken)
		return sd_error_set(err, SD_ERR_IO, NULL, "%s: an earlier "
		    "append failed", j->path);
	if (step == NULL || *step == '\0' || pname == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "a journal "
		    "entry needs a step and a phase");
	if ((r = sd_time_format(at_ns != 0 ? at_ns : sd_time_now(), at,
	    sizeof(at))) != 0)
		return sd_error_set(err, r, NULL, "cannot format the time");
	/* "o" steals the reference, even when json_pack fails. */
	if ((o = json_pack("{s:s, s:s, s:s, s:o}", "step", step, "phase",
	    pname, "at", at, "data", data != NULL ? json_incref(data) :
	    json_object())) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((line = sd_json_dumps(o, 0)) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	len = strlen(line);
	if (len + 1 > SD_JOURNAL_LINE_MAX) {
		r = sd_error_set(err, SD_ERR_LIMIT, NULL, "journal entry for "
		    "%s is over %zu bytes", step, SD_JOURNAL_LINE_MAX);
		goto out;
	}
	line[len++] = '\n';	/* replaces the NUL; len counts the newline */
	while (off < len) {
		n = write(j->fd, line + off, len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			j->broken = 1;
			r = sd_error_set(err, SD_ERR_IO, NULL, "cannot write "
			    "%s: %s", j->path, n == -1 ? strerror(errno) :
			    "nothing written");
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(j->fd) == -1) {
		j->broken = 1;
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot fsync %s: %s",
		    j->path, strerror(errno));
		goto out;
	}
	r = 0;
 out:
	free(line);
	json_decref(o);
	return r;
}

void
sd_journal_state_clear(struct sd_journal_state *st)
{
	if (st == NULL)
		return;
	free(st->last_done);
	free(st->in_flight);
	free(st->last_failed);
	free(st->snapshot.code_sha256);
	free(st->snapshot.revision_id);
	free(st->snapshot.definition);
	free(st->snapshot.zip_key);
	json_decref(st->snapshot_data);
	json_decref(st->intents);
	json_decref(st->dones);
	memset(st, 0, sizeof(*st));
}

/* *dst = strdup(src), freeing the old value. */
static int
set_str(char **dst, const char *src)
{
	char *s = NULL;

	if (src != NULL && (s = strdup(src)) == NULL)
		return SD_ERR_NOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int
take_snapshot(struct sd_journal_state *st, json_t *data, size_t lineno,
    struct sd_error *err)
{
	const char *sha = NULL, *rev = NULL, *def = NULL, *key = NULL;
	json_error_t jerr;
	char loc[32];

	(void)snprintf(loc, sizeof(loc), "line %zu", lineno);
	if (json_unpack_ex(data, &jerr, 0, "{s:s, s:s, s:s, s:s}",
	    "CodeSha256", &sha, "RevisionId", &rev, "definition", &def,
	    "zipKey", &key) != 0)
		return sd_error_set(err, SD_ERR_PARSE, loc, "the snapshot "
		    "needs the strings CodeSha256, RevisionId, definition and "
		    "zipKey: %s", jerr.text);
	if (set_str(&st->snapshot.code_sha256, sha) != 0 ||
	    set_str(&st->snapshot.revision_id, rev) != 0 ||
	    set_str(&st->snapshot.definition, def) != 0 ||
	    set_str(&st->snapshot.zip_key, key) != 0)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	json_decref(st->snapshot_data);
	st->snapshot_data = json_incref(data);
	st->has_snapshot = 1;
	return 0;
}

/* Apply one parsed entry to st. */
static int
replay_entry(struct sd_journal_state *st, json_t *e, size_t lineno,
    struct sd_error *err)
{
	const char *step = NULL, *pname = NULL, *at = NULL;
	json_t *data = NULL;
	enum sd_journal_phase phase;
	json_error_t jerr;
	char loc[32];
	int r;

	(void)snprintf(loc, sizeof(loc), "line %zu", lineno);
	if (json_unpack_ex(e, &jerr, JSON_STRICT, "{s:s, s:s, s:s, s:o}",
	    "step", &step, "phase", &pname, "at", &at, "data", &data) != 0)
		return sd_error_set(err, SD_ERR_PARSE, loc, "not a journal "
		    "entry: %s", jerr.text);
	if (*step == '\0' || phase_from_name(pname, &phase) != 0 ||
	    sd_time_parse_ts(at, strlen(at), NULL, NULL) != 0)
		return sd_error_set(err, SD_ERR_PARSE, loc, "bad step, phase "
		    "or time in a journal entry");
	r = 0;
	if (phase != SD_JOURNAL_FAILED && json_object_set(phase ==
	    SD_JOURNAL_INTENT ? st->intents : st->dones, step, data) != 0)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	switch (phase) {
	case SD_JOURNAL_INTENT:
		r = set_str(&st->in_flight, step);
		break;
	case SD_JOURNAL_DONE:
		if ((r = set_str(&st->last_done, step)) == 0)
			r = set_str(&st->in_flight, NULL);
		if (r == 0 && strcmp(step, SD_JOURNAL_SNAPSHOT_STEP) == 0)
			return take_snapshot(st, data, lineno, err);
		break;
	case SD_JOURNAL_FAILED:
		if ((r = set_str(&st->last_failed, step)) == 0)
			r = set_str(&st->in_flight, NULL);
		break;
	}
	if (r != 0)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

int
sd_journal_replay(const char *path, struct sd_journal_state *st,
    struct sd_error *err)
{
	struct stat sb;
	char *buf = NULL, *p, *nl, loc[32];
	size_t len = 0, lineno = 0, linelen;
	json_t *e = NULL;
	json_error_t jerr;
	int r = SD_ERR_INTERNAL;

	sd_journal_state_clear(st);
	if (stat(path, &sb) == -1 && errno == ENOENT)
		return sd_error_set(err, SD_ERR_NOTFOUND, NULL, "no journal "
		    "%s", path);
	if ((r = sd_read_file(path, SD_JOURNAL_FILE_MAX, &buf, &len, err)) != 0)
		goto out;
	st->intents = json_object();
	st->dones = json_object();
	if (st->intents == NULL || st->dones == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	for (p = buf; p < buf + len; p = nl + 1) {
		lineno++;
		(void)snprintf(loc, sizeof(loc), "line %zu", lineno);
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		linelen = nl != NULL ? (size_t)(nl - p) : (size_t)(buf + len - p);
		if (linelen > SD_JOURNAL_LINE_MAX) {
			r = sd_error_set(err, SD_ERR_LIMIT, loc, "journal "
			    "entry over %zu bytes", SD_JOURNAL_LINE_MAX);
			goto out;
		}
		e = json_loadb(p, linelen, JSON_REJECT_DUPLICATES, &jerr);
		if (nl == NULL) {
			/* No newline: the write was cut short. */
			st->torn = 1;
			break;
		}
		if (e == NULL) {
			r = sd_error_set(err, SD_ERR_PARSE, loc, "not JSON: "
			    "%s", jerr.text);
			goto out;
		}
		if ((r = replay_entry(st, e, lineno, err)) != 0)
			goto out;
		json_decref(e);
		e = NULL;
		st->entries++;
	}
	r = 0;
 out:
	json_decref(e);
	free(buf);
	if (r != 0)
		sd_journal_state_clear(st);
	return r;
}
