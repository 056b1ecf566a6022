/*
 * audit.c: the forward-secure audit log (sd_audit.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "sd_audit.h"
#include "sd_json.h"
#include "sd_log.h"

#define STATE_MAGIC	"SDAUDIT1"
#define EPOCH_KEY	"stepdeploy audit epoch"
#define SIG_HEX		128
/* ,"sig":"<128 hex>"} */
#define SIG_TAIL	(8 + SIG_HEX + 2)

/* The state file: fixed size, rewritten in place under the log's lock. */
struct state {
	char		 magic[8];
	uint64_t	 epoch;
	uint64_t	 entries;	/* lines of the current epoch */
	int64_t		 started;	/* the epoch's start, unix seconds */
	int64_t		 epoch_entries;
	int64_t		 epoch_seconds;
	int64_t		 seq;		/* the last line's */
	uint64_t	 log_size;	/* the log's size after it */
	unsigned char	 head[32];	/* the last line's BLAKE2b-256 */
	unsigned char	 seed[32];	/* the current epoch's */
	unsigned char	 check[16];	/* BLAKE2b-128 of the above */
};

static struct {
	int	 log_fd;
	int	 st_fd;
	char	 process[64];
	char	 path[4096];
} A = { -1, -1, "", "" };

static void
hexenc(const unsigned char *b, size_t n, char *out)
{
	(void)sodium_bin2hex(out, n * 2 + 1, b, n);
}

static int
hexdec(const char *h, unsigned char *b, size_t n)
{
	size_t got = 0;

	if (h == NULL || strlen(h) != n * 2)
		return -1;
	if (sodium_hex2bin(b, n, h, n * 2, NULL, &got, NULL) != 0 || got != n)
		return -1;
	return 0;
}

static void
line_hash(const char *line, size_t len, unsigned char out[32])
{
	(void)crypto_generichash(out, 32, (const unsigned char *)line, len,
	    NULL, 0);
}

static void
next_seed(unsigned char seed[32])
{
	unsigned char n[32];

	(void)crypto_generichash(n, sizeof(n), seed, 32,
	    (const unsigned char *)EPOCH_KEY, strlen(EPOCH_KEY));
	memcpy(seed, n, 32);
	sodium_memzero(n, sizeof(n));
}

static void
state_check(const struct state *s, unsigned char out[16])
{
	(void)crypto_generichash(out, 16, (const unsigned char *)s,
	    offsetof(struct state, check), NULL, 0);
}

static int
state_read(int fd, struct state *s, struct sd_error *err)
{
	unsigned char c[16];
	ssize_t n;

	n = pread(fd, s, sizeof(*s), 0);
	if (n != (ssize_t)sizeof(*s))
		return sd_error_set(err, SD_ERR_IO, A.path, "the audit key "
		    "file is unreadable or short");
	state_check(s, c);
	if (memcmp(s->magic, STATE_MAGIC, 8) != 0 ||
	    sodium_memcmp(c, s->check, sizeof(c)) != 0)
		return sd_error_set(err, SD_ERR_INVALID, A.path, "the audit "
		    "key file is damaged");
	return 0;
}

static int
state_write(int fd, struct state *s, int sync, struct sd_error *err)
{
	state_check(s, s->check);
	if (pwrite(fd, s, sizeof(*s), 0) != (ssize_t)sizeof(*s) ||
	    (sync && fsync(fd) == -1))
		return sd_error_set(err, SD_ERR_IO, A.path, "the audit key "
		    "file: %s", strerror(errno));
	return 0;
}

static void
now_text(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	(void)gmtime_r(&ts.tv_sec, &tm);
	(void)snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
	    tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
	    tm.tm_sec % 100, (int)(ts.tv_nsec / 1000000) % 1000);
}

/*
 * The signed line for an event: *out (new, with its newline) and *len
 * (without it). The seed signs it; detail is stolen.
 */
static int
make_line(const struct state *s, uint64_t epoch, const char *process,
    const char *event, const char *outcome, int64_t uid, const char *release,
    json_t *detail, const unsigned char seed[32], char **out, size_t *len,
    struct sd_error *err)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char sig[crypto_sign_BYTES];
	char when[40], prev[65], sighex[SIG_HEX + 1], *body = NULL, *line;
	json_t *o;
	size_t n;

	now_text(when, sizeof(when));
	hexenc(s->head, 32, prev);
	o = json_pack("{s:I, s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:I, s:s}",
	    "seq", (json_int_t)(s->seq + 1), "time", when, "process", process,
	    "uid", uid >= 0 ? json_integer(uid) : json_null(),
	    "release", release != NULL ? json_string(release) : json_null(),
	    "event", event, "outcome", outcome,
	    "detail", detail != NULL ? detail : json_null(),
	    "epoch", (json_int_t)epoch, "prev", prev);
	if (o == NULL || (body = sd_json_dumps(o, 0)) == NULL) {
		json_decref(o);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "audit: out of "
		    "memory (or a detail that is not JSON)");
	}
	json_decref(o);
	n = strlen(body);
	if (n + SIG_TAIL + 1 > SD_AUDIT_LINE_MAX) {
		free(body);
		return sd_error_set(err, SD_ERR_LIMIT, NULL, "audit: a line "
		    "over %d bytes", SD_AUDIT_LINE_MAX);
	}
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0 ||
	    crypto_sign_detached(sig, NULL, (const unsigned char *)body, n,
	    sk) != 0) {
		sodium_memzero(sk, sizeof(sk));
		free(body);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "audit: sign");
	}
	sodium_memzero(sk, sizeof(sk));
	hexenc(sig, sizeof(sig), sighex);
	if ((line = malloc(n + SIG_TAIL + 2)) == NULL) {
		free(body);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	memcpy(line, body, n - 1);
	(void)snprintf(line + n - 1, SIG_TAIL + 3, ",\"sig\":\"%s\"}\n",
	    sighex);
	free(body);
	*out = line;
	*len = n - 1 + SIG_TAIL;
	return 0;
}

static int
append(struct state *s, char *line, size_t len, int sync,
    struct sd_error *err)
{
	ssize_t w;

	do
		w = write(A.log_fd, line, len + 1);
	while (w == -1 && errno == EINTR);
	if (w != (ssize_t)(len + 1)) {
		int e = errno;

		/* A short append is cut off again: the chain stays whole. */
		if (w > 0 && ftruncate(A.log_fd, (off_t)s->log_size) == -1)
			sd_error("audit: %s: cutting a short line: %s", A.path,
			    strerror(errno));
		return sd_error_set(err, SD_ERR_IO, A.path, "write: %s",
		    w == -1 ? strerror(e) : "short");
	}
	if (sync && fsync(A.log_fd) == -1)
		return sd_error_set(err, SD_ERR_IO, A.path, "fsync: %s",
		    strerror(errno));
	s->seq++;
	s->entries++;
	s->log_size += (uint64_t)len + 1;
	line_hash(line, len, s->head);
	return 0;
}

/* The public key (hex) of a seed. */
static void
seed_pk(const unsigned char seed[32], char pk_hex[65])
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];

	(void)crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(sk, sizeof(sk));
	hexenc(pk, sizeof(pk), pk_hex);
}

/* Start the next epoch: its first line signed by the current key. */
static int
rotate(struct state *s, struct sd_error *err)
{
	unsigned char next[32];
	char pk[65], *line = NULL;
	size_t len;
	int r;

	memcpy(next, s->seed, 32);
	next_seed(next);
	seed_pk(next, pk);
	r = make_line(s, s->epoch + 1, A.process, "audit.epoch", "ok",
	    SD_AUDIT_NO_UID, NULL, json_pack("{s:I, s:s}", "epoch",
	    (json_int_t)(s->epoch + 1), "public_key", pk), s->seed, &line,
	    &len, err);
	if (r == 0)
		r = append(s, line, len, 1, err);
	free(line);
	if (r != 0) {
		sodium_memzero(next, sizeof(next));
		return r;
	}
	/* The new seed, and only it, from now on. */
	memcpy(s->seed, next, 32);
	sodium_memzero(next, sizeof(next));
	s->epoch++;
	s->entries = 1;
	s->started = (int64_t)time(NULL);
	return state_write(A.st_fd, s, 1, err);
}

/*
 * The log's last complete line (into buf, NUL-terminated) and where it
 * starts; *torn is set when bytes follow it without a newline.
 */
static int
last_line(int fd, uint64_t size, char *buf, size_t cap, size_t *len,
    uint64_t *end, int *torn, struct sd_error *err)
{
	uint64_t from = size > cap - 1 ? size - (cap - 1) : 0;
	ssize_t n;
	size_t i, j;

	*len = 0;
	*end = 0;
	*torn = 0;
	if (size == 0)
		return 0;
	n = pread(fd, buf, (size_t)(size - from), (off_t)from);
	if (n != (ssize_t)(size - from))
		return sd_error_set(err, SD_ERR_IO, A.path, "read: %s",
		    strerror(errno));
	i = (size_t)n;
	if (buf[i - 1] != '\n') {
		*torn = 1;
		while (i > 0 && buf[i - 1] != '\n')
			i--;
	}
	*end = from + i;
	if (i == 0)
		return 0;
	j = i - 1;
	while (j > 0 && buf[j - 1] != '\n')
		j--;
	if (j == 0 && from != 0)
		return sd_error_set(err, SD_ERR_LIMIT, A.path, "a line over "
		    "%zu bytes", cap);
	memmove(buf, buf + j, i - 1 - j);
	*len = i - 1 - j;
	buf[*len] = '\0';
	return 0;
}

/*
 * Bring the state up to the log when they differ (a writer died between
 * its line and the state, or a crash tore the last line).
 */
static int
reconcile(struct state *s, int *torn_bytes, struct sd_error *err)
{
	char *buf;
	size_t len;
	uint64_t size, end;
	off_t o;
	json_t *l = NULL;
	json_int_t seq, epoch;
	int torn, r;

	*torn_bytes = 0;
	if ((o = lseek(A.log_fd, 0, SEEK_END)) == -1)
		return sd_error_set(err, SD_ERR_IO, A.path, "lseek: %s",
		    strerror(errno));
	size = (uint64_t)o;
	if (size == s->log_size)
		return 0;
	if ((buf = malloc(SD_AUDIT_LINE_MAX + 1)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	r = last_line(A.log_fd, size, buf, SD_AUDIT_LINE_MAX + 1, &len, &end,
	    &torn, err);
	if (r == 0 && torn) {
		*torn_bytes = (int)(size - end);
		if (ftruncate(A.log_fd, (off_t)end) == -1)
			r = sd_error_set(err, SD_ERR_IO, A.path, "cutting a "
			    "torn last line: %s", strerror(errno));
	}
	if (r == 0 && len > 0 && ((l = sd_json_loadb(buf, len, 0, "the "
	    "audit log's last line", err)) == NULL || json_unpack(l,
	    "{s:I, s:I}", "seq", &seq, "epoch", &epoch) != 0)) {
		r = sd_error_set(err, SD_ERR_INVALID, A.path, "the last line "
		    "is not an audit line");
	}
	if (r == 0 && len > 0) {
		if ((uint64_t)epoch == s->epoch + 1) {
			/* Its epoch line landed, its state did not. */
			next_seed(s->seed);
			s->epoch++;
			s->entries = 0;
			s->started = (int64_t)time(NULL);
		} else if ((uint64_t)epoch != s->epoch) {
			r = sd_error_set(err, SD_ERR_INVALID, A.path, "the log "
			    "is in epoch %lld, its key file in %llu",
			    (long long)epoch, (unsigned long long)s->epoch);
		}
		if (r == 0) {
			s->entries += (uint64_t)(seq > s->seq ? seq - s->seq :
			    0);
			s->seq = seq;
			line_hash(buf, len, s->head);
			s->log_size = end;
		}
	}
	json_decref(l);
	free(buf);
	if (r == 0)
		r = state_write(A.st_fd, s, 1, err);
	return r;
}

static int
log_locked(const char *event, const char *outcome, int64_t uid,
    const char *release, json_t *detail, int sync, struct sd_error *err)
{
	struct state s;
	char *line = NULL;
	size_t len;
	int r, torn = 0;

	if ((r = state_read(A.st_fd, &s, err)) != 0 ||
	    (r = reconcile(&s, &torn, err)) != 0) {
		json_decref(detail);
		goto out;
	}
	if (torn > 0 && (r = make_line(&s, s.epoch, A.process,
	    "audit.torn_tail", "recovered", SD_AUDIT_NO_UID, NULL,
	    json_pack("{s:i}", "bytes_cut", torn), s.seed, &line, &len,
	    err)) == 0) {
		r = append(&s, line, len, 1, err);
		free(line);
		line = NULL;
	}
	if (r == 0 && ((int64_t)s.entries >= s.epoch_entries ||
	    (int64_t)time(NULL) - s.started >= s.epoch_seconds))
		r = rotate(&s, err);
	if (r != 0) {
		json_decref(detail);
		goto out;
	}
	if (event == NULL) {		/* (open: the checks only) */
		json_decref(detail);
		r = state_write(A.st_fd, &s, 0, err);
		goto out;
	}
	if ((r = make_line(&s, s.epoch, A.process, event, outcome, uid,
	    release, detail, s.seed, &line, &len, err)) == 0 &&
	    (r = append(&s, line, len, sync, err)) == 0)
		r = state_write(A.st_fd, &s, 0, err);
 out:
	free(line);
	sodium_memzero(&s, sizeof(s));
	return r;
}

static int
locked(const char *event, const char *outcome, int64_t uid,
    const char *release, json_t *detail, int sync, struct sd_error *err)
{
	int r;

	while (flock(A.log_fd, LOCK_EX) == -1)
		if (errno != EINTR) {
			json_decref(detail);
			return sd_error_set(err, SD_ERR_IO, A.path, "flock: "
			    "%s", strerror(errno));
		}
	r = log_locked(event, outcome, uid, release, detail, sync, err);
	(void)flock(A.log_fd, LOCK_UN);
	return r;
}

static int
key_path(const char *log, char *buf, size_t len, struct sd_error *err)
{
	int n = snprintf(buf, len, "%s.key", log);

	if (n < 0 || (size_t)n >= len)
		return sd_error_set(err, SD_ERR_OVERFLOW, log, "path too "
		    "long");
	return 0;
}

int
sd_audit_init(const char *log, const char *process, int64_t epoch_entries,
    int64_t epoch_seconds, char pk_hex[65], struct sd_error *err)
{
	struct state s;
	char kp[4200], *line = NULL;
	size_t len;
	int r = 0, lfd = -1, sfd = -1;

	if (sodium_init() < 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "libsodium");
	if (epoch_entries < 1 || epoch_seconds < 1)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "audit: an "
		    "epoch needs at least 1 entry and 1 second");
	if (strlen(process) >= sizeof(A.process))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "audit: a "
		    "process name over %zu bytes", sizeof(A.process) - 1);
	if ((r = key_path(log, kp, sizeof(kp), err)) != 0)
		return r;
	if ((lfd = open(log, O_RDWR | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW, 0640)) == -1)
		return sd_error_set(err, SD_ERR_IO, log, "%s", errno == EEXIST ?
		    "exists already (an audit log is made once)" :
		    strerror(errno));
	if ((sfd = open(kp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, kp, "%s", strerror(errno));
		(void)unlink(log);
		goto out;
	}
	memset(&s, 0, sizeof(s));
	memcpy(s.magic, STATE_MAGIC, 8);
	s.started = (int64_t)time(NULL);
	s.epoch_entries = epoch_entries;
	s.epoch_seconds = epoch_seconds;
	randombytes_buf(s.seed, sizeof(s.seed));
	seed_pk(s.seed, pk_hex);
	(void)snprintf(A.path, sizeof(A.path), "%s", log);
	A.log_fd = lfd;
	r = make_line(&s, 0, process, "audit.init", "ok", SD_AUDIT_NO_UID, NULL,
	    json_pack("{s:s, s:I, s:I}", "public_key", pk_hex,
	    "epoch_entries", (json_int_t)epoch_entries, "epoch_seconds",
	    (json_int_t)epoch_seconds), s.seed, &line, &len, err);
	if (r == 0)
		r = append(&s, line, len, 1, err);
	if (r == 0)
		r = state_write(sfd, &s, 1, err);
	A.log_fd = -1;
	sodium_memzero(&s, sizeof(s));
	if (r != 0) {
		(void)unlink(log);
		(void)unlink(kp);
	}
 out:
	free(line);
	if (sfd != -1)
		(void)close(sfd);
	(void)close(lfd);
	return r;
}

int
sd_audit_open(const char *log, const char *process, int create,
    char pk_hex[65], struct sd_error *err)
{
	char kp[4200], pk[65];
	int r;

	if (pk_hex != NULL)
		pk_hex[0] = '\0';
	if (sodium_init() < 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "libsodium");
	if (strlen(process) >= sizeof(A.process) ||
	    strlen(log) >= sizeof(A.path))
		return sd_error_set(err, SD_ERR_INVALID, log, "audit: a name "
		    "too long");
	if ((r = key_path(log, kp, sizeof(kp), err)) != 0)
		return r;
	if (create && access(log, F_OK) == -1 && errno == ENOENT) {
		if ((r = sd_audit_init(log, process, SD_AUDIT_EPOCH_ENTRIES,
		    SD_AUDIT_EPOCH_SECONDS, pk, err)) != 0)
			return r;
		if (pk_hex != NULL)
			memcpy(pk_hex, pk, sizeof(pk));
	}
	sd_audit_close();
	if ((A.log_fd = open(log, O_RDWR | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW)) == -1)
		return sd_error_set(err, SD_ERR_IO, log, "%s%s",
		    strerror(errno), errno == ENOENT ? " (stepdeploy audit "
		    "init makes it)" : "");
	if ((A.st_fd = open(kp, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, kp, "%s", strerror(errno));
		sd_audit_close();
		return r;
	}
	(void)snprintf(A.process, sizeof(A.process), "%s", process);
	(void)snprintf(A.path, sizeof(A.path), "%s", log);
	if ((r = locked(NULL, NULL, SD_AUDIT_NO_UID, NULL, NULL, 0,
	    err)) != 0)
		sd_audit_close();
	return r;
}

int
sd_audit_start(const char *log, const char *process, json_t *detail,
    struct sd_error *err)
{
	char pk[65];
	int r;

	if ((r = sd_audit_open(log, process, 1, pk, err)) != 0) {
		json_decref(detail);
		sd_error_prefix(err, "audit log: ");
		return r;
	}
	if (pk[0] != '\0')
		sd_warn("audit: made %s; its first epoch's public key is %s: "
		    "keep it off this host (stepdeploy audit init makes the "
		    "log before the daemon starts)", log, pk);
	if (detail == NULL)
		detail = json_object();
	(void)json_object_set_new(detail, "pid", json_integer(getpid()));
	(void)sd_audit("daemon.start", "ok", SD_AUDIT_NO_UID, NULL, detail, 1);
	return 0;
}

int
sd_audit_is_open(void)
{
	return A.log_fd != -1;
}

const char *
sd_audit_process(void)
{
	return A.log_fd != -1 ? A.process : "";
}

void
sd_audit_close(void)
{
	if (A.log_fd != -1)
		(void)close(A.log_fd);
	if (A.st_fd != -1)
		(void)close(A.st_fd);
	A.log_fd = A.st_fd = -1;
}

int
sd_audit(const char *event, const char *outcome, int64_t uid,
    const char *release, json_t *detail, int sync)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (A.log_fd == -1) {
		json_decref(detail);
		return 0;
	}
	if ((r = locked(event, outcome, uid, release, detail, sync,
	    &err)) != 0)
		sd_error("audit: %s: %s", event, sd_error_text(&err));
	sd_error_clear(&err);
	return r;
}

int
sd_audit_head(int64_t *seq, char hash_hex[65])
{
	struct sd_error err = SD_ERROR_INIT;
	struct state s;
	int r, torn = 0;

	*seq = 0;
	hash_hex[0] = '\0';
	if (A.log_fd == -1)
		return SD_ERR_NOTFOUND;
	while (flock(A.log_fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return SD_ERR_IO;
	if ((r = state_read(A.st_fd, &s, &err)) == 0 &&
	    (r = reconcile(&s, &torn, &err)) == 0) {
		*seq = s.seq;
		hexenc(s.head, 32, hash_hex);
	}
	(void)flock(A.log_fd, LOCK_UN);
	sodium_memzero(&s, sizeof(s));
	sd_error_clear(&err);
	return r;
}

/* ------------------------------------------------------------ verify */

static const char *const FIELDS[] = { "seq", "time", "process", "uid",
    "release", "event", "outcome", "detail", "epoch", "prev", "sig", NULL };

/* The public keys the log's epoch lines announce (unverified), by epoch. */
struct keys {
	unsigned char	(*pk)[32];
	size_t		 n;
};

static int
sig_ok(const char *line, size_t len, const unsigned char pk[32])
{
	unsigned char sig[crypto_sign_BYTES];
	char *msg;
	int ok;

	char hex[SIG_HEX + 1];

	if (len < SIG_TAIL + 2)
		return 0;
	memcpy(hex, line + len - SIG_HEX - 2, SIG_HEX);
	hex[SIG_HEX] = '\0';
	if (hexdec(hex, sig, sizeof(sig)) != 0)
		return 0;
	if ((msg = malloc(len - SIG_TAIL + 1)) == NULL)
		return 0;
	memcpy(msg, line, len - SIG_TAIL);
	msg[len - SIG_TAIL] = '}';
	ok = crypto_sign_verify_detached(sig, (unsigned char *)msg,
	    len - SIG_TAIL + 1, pk) == 0;
	free(msg);
	return ok;
}

static int
shape_ok(const char *line, size_t len)
{
	size_t i;

	if (len < SIG_TAIL + 2 || line[len - 1] != '}' ||
	    line[len - 2] != '"' ||
	    memcmp(line + len - SIG_TAIL, ",\"sig\":\"", 8) != 0)
		return 0;
	for (i = len - SIG_HEX - 2; i < len - 2; i++)
		if (!((line[i] >= '0' && line[i] <= '9') ||
		    (line[i] >= 'a' && line[i] <= 'f')))
			return 0;
	return 1;
}

/* A first pass: every epoch line's announced key, to name a wrong one. */
static void
collect_keys(FILE *fp, struct keys *k)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	while ((n = getline(&line, &cap, fp)) > 0) {
		json_t *o, *d;
		json_int_t e;
		const char *pk;
		void *nk;

		if ((o = json_loadb(line, (size_t)n, 0, NULL)) == NULL)
			continue;
		d = json_object_get(o, "detail");
		pk = json_string_value(json_object_get(d, "public_key"));
		e = json_integer_value(json_object_get(o, "epoch"));
		if (pk != NULL && e >= 0 && e < 1000000 && (size_t)e >= k->n &&
		    (nk = realloc(k->pk, ((size_t)e + 1) * 32)) != NULL) {
			k->pk = nk;
			memset(k->pk + k->n, 0, ((size_t)e + 1 - k->n) * 32);
			k->n = (size_t)e + 1;
		}
		if (pk != NULL && e >= 0 && (size_t)e < k->n)
			(void)hexdec(pk, k->pk[e], 32);
		json_decref(o);
	}
	free(line);
}

int
sd_audit_verify(const char *log, const char *pk_hex,
    struct sd_audit_report *rep, struct sd_error *err)
{
	FILE *fp;
	int r;

	memset(rep, 0, sizeof(*rep));
	if ((fp = fopen(log, "re")) == NULL)
		return sd_error_set(err, SD_ERR_IO, log, "%s", strerror(errno));
	r = sd_audit_verify_fp(fp, log, pk_hex, rep, err);
	(void)fclose(fp);
	return r;
}

int
sd_audit_verify_fp(FILE *fp, const char *log, const char *pk_hex,
    struct sd_audit_report *rep, struct sd_error *err)
{
	unsigned char pk[32], prev[32];
	struct keys k = { NULL, 0 };
	char *line = NULL, prevhex[65];
	size_t cap = 0, len, i;
	ssize_t n;
	int64_t lineno = 0, epoch = 0;
	int r = 0;

	memset(rep, 0, sizeof(*rep));
	memset(prev, 0, sizeof(prev));
	if (sodium_init() < 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "libsodium");
	if (pk_hex != NULL && hexdec(pk_hex, pk, 32) != 0)
		return sd_error_set(err, SD_ERR_USAGE, NULL, "--key: not a "
		    "public key (64 hex digits)");
	collect_keys(fp, &k);
	rewind(fp);
	rep->own_key = pk_hex == NULL;
#define BAD(...) do { r = sd_error_set(err, SD_ERR_INVALID, NULL, \
	"%s:%lld: " __VA_ARGS__); goto out; } while (0)
	while ((n = getline(&line, &cap, fp)) > 0) {
		json_t *o = NULL, *d;
		json_int_t seq, ep;
		const char *ev, *proc, *ph;
		size_t nkeys = 0;
		void *it;

		lineno++;
		len = (size_t)n;
		if (line[len - 1] != '\n') {
			/* The last line, cut short: a crash, not tampering. */
			rep->torn_tail = 1;
			break;
		}
		line[--len] = '\0';
		if (!shape_ok(line, len) || (o = json_loadb(line, len,
		    JSON_REJECT_DUPLICATES, NULL)) == NULL || !json_is_object(o))
			BAD("not an audit line (edited: it does not end in its "
			    "signature, or is not JSON)", log, (long long)lineno);
		for (it = json_object_iter(o); it != NULL;
		    it = json_object_iter_next(o, it))
			nkeys++;
		for (i = 0; FIELDS[i] != NULL; i++)
			if (json_object_get(o, FIELDS[i]) == NULL)
				break;
		d = json_object_get(o, "detail");
		if (FIELDS[i] != NULL || nkeys != i ||
		    !json_is_integer(json_object_get(o, "seq")) ||
		    !json_is_integer(json_object_get(o, "epoch")) ||
		    (ev = json_string_value(json_object_get(o, "event"))) ==
		    NULL || (proc = json_string_value(json_object_get(o,
		    "process"))) == NULL || (ph = json_string_value(
		    json_object_get(o, "prev"))) == NULL) {
			json_decref(o);
			BAD("not an audit line (edited: its fields are not an "
			    "audit line's)", log, (long long)lineno);
		}
		seq = json_integer_value(json_object_get(o, "seq"));
		ep = json_integer_value(json_object_get(o, "epoch"));
		if (seq != lineno) {
			json_decref(o);
			if (seq > lineno)
				BAD("seq %lld where %lld was due: %lld line(s) "
				    "deleted before it, or lines reordered", log,
				    (long long)lineno, (long long)seq,
				    (long long)lineno, (long long)(seq - lineno));
			BAD("seq %lld where %lld was due: a line inserted, "
			    "repeated or moved (reordered)", log,
			    (long long)lineno, (long long)seq,
			    (long long)lineno);
		}
		hexenc(prev, 32, prevhex);
		if (strcmp(ph, prevhex) != 0) {
			json_decref(o);
			BAD("its prev is not the hash of line %lld: that line "
			    "was edited, or this one moved", log,
			    (long long)lineno, (long long)(lineno - 1));
		}
		if (lineno == 1) {
			const char *p0 = json_string_value(json_object_get(d,
			    "public_key"));
			unsigned char own[32];

			if (strcmp(ev, "audit.init") != 0 || ep != 0 ||
			    hexdec(p0, own, 32) != 0) {
				json_decref(o);
				BAD("the first line is not the log's audit.init",
				    log, (long long)lineno);
			}
			if (pk_hex == NULL)
				memcpy(pk, own, 32);
			else if (sodium_memcmp(pk, own, 32) != 0) {
				json_decref(o);
				BAD("the log's first key is not the one given "
				    "(--key): the whole log was replaced", log,
				    (long long)lineno);
			}
			hexenc(pk, 32, rep->first_pk);
			(void)snprintf(rep->process, sizeof(rep->process), "%s",
			    proc);
		} else if (strcmp(proc, rep->process) != 0) {
			json_decref(o);
			BAD("process \"%s\" in the log of \"%s\"", log,
			    (long long)lineno, proc, rep->process);
		}
		if (strcmp(ev, "audit.epoch") == 0 ? ep != epoch + 1 :
		    ep != epoch) {
			json_decref(o);
			BAD("epoch %lld where %lld was due", log,
			    (long long)lineno, (long long)ep,
			    (long long)(strcmp(ev, "audit.epoch") == 0 ?
			    epoch + 1 : epoch));
		}
		/* Each line under its own epoch's key (an epoch line: the
		 * previous epoch's, which vouches for the new one). */
		if (!sig_ok(line, len, pk)) {
			size_t e;

			for (e = 0; e < k.n; e++)
				if ((int64_t)e != epoch && sig_ok(line, len,
				    k.pk[e]))
					break;
			json_decref(o);
			if (e < k.n)
				BAD("signed with epoch %zu's key, but it belongs "
				    "to epoch %lld (re-signed with another "
				    "epoch's key)", log, (long long)lineno, e,
				    (long long)epoch);
			BAD("its signature does not verify under epoch %lld's "
			    "key: the line was edited", log, (long long)lineno,
			    (long long)epoch);
		}
		if (strcmp(ev, "audit.epoch") == 0) {
			if (hexdec(json_string_value(json_object_get(d,
			    "public_key")), pk, 32) != 0) {
				json_decref(o);
				BAD("an epoch line without a public key", log,
				    (long long)lineno);
			}
			epoch++;
		}
		json_decref(o);
		line_hash(line, len, prev);
		rep->lines = lineno;
	}
#undef BAD
	if (ferror(fp))
		r = sd_error_set(err, SD_ERR_IO, log, "read: %s",
		    strerror(errno));
	else if (rep->lines == 0 && !rep->torn_tail)
		r = sd_error_set(err, SD_ERR_INVALID, log, "empty: not an "
		    "audit log (truncated to nothing?)");
 out:
	rep->epochs = epoch + 1;
	rep->head_seq = rep->lines;
	hexenc(prev, 32, rep->head_hash);
	free(line);
	free(k.pk);
	return r;
}

int
sd_audit_has_head(const char *log, int64_t seq, const char *hash_hex,
    struct sd_error *err)
{
	unsigned char h[32];
	char hex[65], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t i = 0;
	FILE *fp;
	int r = 0;

	if ((fp = fopen(log, "re")) == NULL)
		return sd_error_set(err, SD_ERR_IO, log, "%s", strerror(errno));
	while ((n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n')
			break;
		if (++i < seq)
			continue;
		line_hash(line, (size_t)n - 1, h);
		hexenc(h, 32, hex);
		r = strcmp(hex, hash_hex) == 0 ? 1 : sd_error_set(err,
		    SD_ERR_INVALID, NULL, "%s:%lld: not the line recorded in "
		    "S3 (hash %s, S3 has %s): the log was rewritten", log,
		    (long long)seq, hex, hash_hex);
		break;
	}
	free(line);
	(void)fclose(fp);
	return r;
}
