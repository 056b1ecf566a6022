/*
 * daemon.c: stepdeploy-signer's set-up and its event loop (see
 * sd_signer.h). One thread; ppoll over the listening socket and up to
 * SD_SIGNER_MAX_CLIENTS non-blocking connections, each with a bounded
 * input buffer, so a slow, stalled or vanished peer never blocks another
 * or the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "sd_creds.h"
#include "sd_daemon.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_msg.h"
#include "sd_policy.h"
#include "sd_sign_policy.h"
#include "sd_sock.h"
#include "sd_sigv4.h"
#include "sd_audit.h"
#include "sd_signer.h"

#define BUF_START	((size_t)16 * 1024)
#define BUF_KEEP	((size_t)64 * 1024)	/* shrink to 0 above, if idle */
#define FRAME_MAX	(SD_MSG_HDR_LEN + SD_SIGN_MSG_MAX)
#define SUN_PATH_MAX	sizeof(((struct sockaddr_un *)0)->sun_path)

struct client {
	int		 fd;		/* -1: free slot */
	uid_t		 uid;
	pid_t		 pid;
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
	int64_t		 last;		/* last byte read (s) */
	int64_t		 frame_start;	/* first byte of a partial frame */
};

struct sd_signer {
	struct sd_policy	*pol;
	struct sd_creds		*creds;
	struct sd_sigv4_signer	*sig;
	char			*creds_path;
	char			*profile;
	int			 creds_fd;
	uid_t			 owner;		/* the credentials' owner */
	unsigned		 creds_flags;
	int			 lfd;
	char			 sock_path[SUN_PATH_MAX];
	int			 switch_user;
	uid_t			 run_uid;
	gid_t			 run_gid;
	sigset_t		 waitmask;	/* during ppoll */
	struct client		 clients[SD_SIGNER_MAX_CLIENTS];
	unsigned long		 nsigned;
	unsigned long		 nrefused;
};

static volatile sig_atomic_t got_hup;
static volatile sig_atomic_t got_term;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

static int64_t
now_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec;
}

static int64_t
mono_s(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec;
}

/* ------------------------------------------------------------ set-up */

static int
make_socket(struct sd_signer *s, const char *path, struct sd_error *err)
{
	int n = snprintf(s->sock_path, sizeof(s->sock_path), "%s", path);

	if (n <= 0 || (size_t)n >= sizeof(s->sock_path))
		return sd_error_set(err, SD_ERR_INVALID, path,
		    "a socket path must be 1-%zu bytes",
		    sizeof(s->sock_path) - 1);
	return sd_sock_listen(path, 0660, s->switch_user ? s->run_uid :
	    (uid_t)-1, s->run_gid, &s->lfd, err);
}

static int
resolve_user(struct sd_signer *s, const char *user, struct sd_error *err)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc;

	if (user == NULL) {
		s->owner = geteuid();
		return 0;
	}
	if (geteuid() != 0)
		return sd_error_set(err, SD_ERR_USAGE, NULL,
		    "--user needs root (under systemd use User= instead)");
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || res == NULL)
		return sd_error_set(err, SD_ERR_NOTFOUND, NULL,
		    "no such user \"%s\"", user);
	if (pw.pw_uid == 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "--user must not be root");
	s->switch_user = 1;
	s->run_uid = pw.pw_uid;
	s->run_gid = pw.pw_gid;
	s->owner = pw.pw_uid;
	return 0;
}

/*
 * Sign a fixed request with throw-away credentials: loads OpenSSL's
 * providers and digests now, while files may still be opened.
 */
static int
self_test(struct sd_signer *s, struct sd_error *err)
{
	static const struct sd_sigv4_header h[] = {
		{ "X-Amz-Target", 12, "AWSStepFunctions.DescribeStateMachine",
		    37 },
	};
	struct sd_sigv4_request req;
	struct sd_sigv4_credentials cr;
	struct sd_sigv4_params p;
	struct sd_sigv4_result res;
	char secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
	int r;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.method_len = 4;
	req.host = "states.us-east-1.amazonaws.com";
	req.host_len = strlen(req.host);
	req.path = "/";
	req.path_len = 1;
	req.headers = h;
	req.nheaders = 1;
	req.body = "{}";
	req.body_len = 2;
	memset(&cr, 0, sizeof(cr));
	cr.access_key_id = "AKIDEXAMPLE";
	cr.secret = secret;
	cr.secret_len = strlen(secret);
	sd_sigv4_params_init(&p);
	p.region = "us-east-1";
	p.service = "states";
	p.time = 1440938160;
	r = sd_sigv4_sign(s->sig, &req, &cr, &p, &res, err);
	if (r == 0 && (res.authorization == NULL || res.nadd == 0))
		r = sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "the SigV4 self-test gave no Authorization");
	sodium_memzero(secret, sizeof(secret));
	return r;
}

static int
load_creds(struct sd_signer *s, const struct sd_signer_opts *o,
    struct sd_error *err)
{
	const char *dir;
	int r;

	if (o->credentials != NULL)
		s->creds_path = strdup(o->credentials);
	else if ((dir = getenv("CREDENTIALS_DIRECTORY")) != NULL &&
	    dir[0] != '\0') {
		s->creds_path = sd_asprintf("%s/aws", dir);
		s->creds_flags = SD_CREDS_SYSTEMD;
	} else
		s->creds_path = strdup(sd_policy_credentials_file(s->pol));
	if (s->creds_path == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((s->profile = strdup(o->profile != NULL ? o->profile :
	    SD_CREDS_DEFAULT_PROFILE)) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((r = sd_creds_open(s->creds_path, s->owner, s->creds_flags,
	    &s->creds_fd, err)) != 0)
		return r;
	if ((r = sd_creds_load_fd(s->creds_fd, s->owner, s->creds_flags,
	    s->profile, &s->creds, err)) != 0) {
		(void)sd_error_prefix(err, "%s: ", s->creds_path);
		return r;
	}
	sd_info("credentials read from %s (profile %s%s)", s->creds_path,
	    s->profile, sd_creds_has_token(s->creds) ?
	    ", with a session token" : "");
	return 0;
}

static int
setup_signals(struct sd_signer *s, struct sd_error *err)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (sigemptyset(&sa.sa_mask) == -1 ||
	    sigemptyset(&block) == -1 ||
	    sigaddset(&block, SIGHUP) == -1 ||
	    sigaddset(&block, SIGTERM) == -1 ||
	    sigaddset(&block, SIGINT) == -1 ||
	    sigprocmask(SIG_BLOCK, &block, &s->waitmask) == -1 ||
	    sigdelset(&s->waitmask, SIGHUP) == -1 ||
	    sigdelset(&s->waitmask, SIGTERM) == -1 ||
	    sigdelset(&s->waitmask, SIGINT) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "signals: %s",
		    strerror(errno));
	/* Writes to a gone peer return EPIPE; to a file, EFBIG (the sandbox
	 * sets RLIMIT_FSIZE 0): neither may kill the daemon. */
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1 ||
	    sigaction(SIGXFSZ, &sa, NULL) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "signals: %s",
		    strerror(errno));
	return 0;
}

int
sd_signer_new(const struct sd_signer_opts *o, struct sd_signer **out,
    struct sd_error *err)
{
	struct sd_signer *s = NULL;
	struct stat st;
	size_t i;
	int r = SD_ERR_INTERNAL;

	*out = NULL;
	if (sodium_init() < 0)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL,
		    "sodium_init failed");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	s->creds_fd = -1;
	s->lfd = -1;
	for (i = 0; i < SD_SIGNER_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	if (o->profile != NULL && !sd_creds_valid_profile(o->profile)) {
		r = sd_error_set(err, SD_ERR_USAGE, NULL,
		    "--profile: not a valid profile name");
		goto out;
	}
	if ((r = resolve_user(s, o->user, err)) != 0)
		goto out;
	/* Loaded before the sandbox: user names resolve through NSS. */
	if ((r = sd_policy_load(o->policy, &s->pol, err)) != 0) {
		(void)sd_error_prefix(err, "policy %s: ", o->policy != NULL ?
		    o->policy : SD_POLICY_DEFAULT_PATH);
		goto out;
	}
	if ((r = load_creds(s, o, err)) != 0)
		goto out;
	if ((s->sig = sd_sigv4_signer_new()) == NULL) {
		r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		goto out;
	}
	if ((r = self_test(s, err)) != 0) {
		(void)sd_error_prefix(err, "SigV4 self-test: ");
		goto out;
	}
	if ((r = setup_signals(s, err)) != 0)
		goto out;
	if ((r = make_socket(s, o->socket != NULL ? o->socket :
	    SD_SIGNER_DEFAULT_SOCKET, err)) != 0)
		goto out;
	if (fstat(STDERR_FILENO, &st) == 0 && S_ISREG(st.st_mode))
		sd_warn("stderr is a regular file: the sandbox's "
		    "RLIMIT_FSIZE 0 will drop log lines (log to a pipe or "
		    "the journal)");
	*out = s;
	s = NULL;
	r = 0;
 out:
	sd_signer_free(s);
	return r;
}

int
sd_signer_daemonize(struct sd_error *err)
{
	return sd_daemon_background(err);
}

int
sd_signer_drop(struct sd_signer *s, struct sd_error *err)
{
	if (s->switch_user) {
		int r = sd_daemon_setuser(s->run_uid, s->run_gid, err);

		if (r != 0)
			return r;
	} else if (geteuid() == 0)
		sd_warn("running as root: give --user, or run under "
		    "systemd's User=");
	if (chdir("/") == -1)
		return sd_error_set(err, SD_ERR_IO, NULL, "chdir /: %s",
		    strerror(errno));
	/* A uid change resets the dumpable flag: set it again. */
	return sd_signer_nodump(err);
}

void
sd_signer_free(struct sd_signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < SD_SIGNER_MAX_CLIENTS; i++) {
		if (s->clients[i].fd != -1 && close(s->clients[i].fd) == -1)
			sd_warn("close: %s", strerror(errno));
		free(s->clients[i].buf);
	}
	if (s->lfd != -1 && close(s->lfd) == -1)
		sd_warn("close: %s", strerror(errno));
	if (s->creds_fd != -1 && close(s->creds_fd) == -1)
		sd_warn("close: %s", strerror(errno));
	sd_creds_free(s->creds);
	sd_sigv4_signer_free(s->sig);
	sd_policy_free(s->pol);
	free(s->creds_path);
	free(s->profile);
	free(s);
}

/* ------------------------------------------------------------ the loop */

static void
client_close(struct client *c, const char *why)
{
	if (c->fd == -1)
		return;
	if (why != NULL)
		sd_info("connection from uid %lu pid %ld closed: %s",
		    (unsigned long)c->uid, (long)c->pid, why);
	if (close(c->fd) == -1)
		sd_warn("close: %s", strerror(errno));
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Reply SD_MSG_ERROR; on failure the connection is closed. */
static int
reply_error(struct client *c, int code, const char *msg)
{
	struct sd_error e = SD_ERROR_INIT;

	if (sd_msg_write_error(c->fd, code, msg, &e) != 0) {
		client_close(c, sd_error_text(&e));
		sd_error_clear(&e);
		return -1;
	}
	return 0;
}

static void
wipe_string(json_t *v)
{
	if (json_is_string(v))
		sodium_memzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* The SIGN_RESPONSE: the added headers only. Wiped after sending. */
static int
send_response(struct client *c, const struct sd_sigv4_result *res,
    struct sd_error *err)
{
	json_t *o = NULL, *arr, *pair;
	char *text = NULL;
	size_t i;
	int r = SD_ERR_NOMEM;

	if ((o = json_object()) == NULL || (arr = json_array()) == NULL ||
	    json_object_set_new(o, "headers", arr) != 0)
		goto out;
	for (i = 0; i < res->nadd; i++) {
		pair = json_pack("[s#s#]", res->add[i].name,
		    (int)res->add[i].name_len, res->add[i].value,
		    (int)res->add[i].value_len);
		if (pair == NULL || json_array_append_new(arr, pair) != 0)
			goto out;
	}
	if ((text = sd_json_dumps(o, 0)) == NULL)
		goto out;
	r = sd_msg_write(c->fd, SD_MSG_SIGN_RESPONSE, text, strlen(text), err);
 out:
	if (r == SD_ERR_NOMEM)
		(void)sd_error_set(err, r, NULL, "out of memory");
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	if ((arr = json_object_get(o, "headers")) != NULL)
		for (i = 0; i < json_array_size(arr); i++)
			wipe_string(json_array_get(json_array_get(arr, i), 1));
	json_decref(o);
	return r;
}

static void
refused(struct sd_signer *s, struct client *c, struct sd_error *why)
{
	s->nrefused++;
	sd_warn("refused a request from uid %lu pid %ld: %s",
	    (unsigned long)c->uid, (long)c->pid, sd_error_text(why));
	(void)sd_audit("sign", "refused", (int64_t)c->uid, NULL, json_pack(
	    "{s:s}", "why", sd_error_text(why)), 0);
	(void)reply_error(c, why->code != 0 ? why->code : SD_ERR_INVALID,
	    sd_error_text(why));
}

/* One SIGN_REQUEST. Returns -1 when the connection was closed. */
static int
handle_request(struct sd_signer *s, struct client *c,
    const unsigned char *p, size_t n)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_sign_req *req = NULL;
	struct sd_sign_decision d;
	struct sd_sigv4_request sreq;
	struct sd_sigv4_params params;
	struct sd_sigv4_result res;
	struct sd_sigv4_credentials cr;
	json_t *payload = NULL;
	int r, ret = 0;

	if ((payload = sd_json_loadb((const char *)p, n,
	    JSON_REJECT_DUPLICATES, "the sign request", &err)) == NULL ||
	    !json_is_object(payload)) {
		if (payload != NULL)
			(void)sd_error_set(&err, SD_ERR_TYPE, NULL,
			    "a sign request must be a JSON object");
		s->nrefused++;
		sd_warn("malformed request from uid %lu pid %ld: %s",
		    (unsigned long)c->uid, (long)c->pid, sd_error_text(&err));
		if (reply_error(c, SD_ERR_PARSE, sd_error_text(&err)) == 0)
			client_close(c, "malformed request");
		ret = -1;
		goto out;
	}
	if (sd_sign_req_parse(payload, now_s(), &req, &err) != 0 ||
	    sd_sign_policy_check(s->pol, req, &d, &err) != 0) {
		refused(s, c, &err);
		ret = c->fd == -1 ? -1 : 0;
		goto out;
	}
	sd_sign_req_sigv4(req, &d, &sreq, &params);
	if (sd_creds_unlock(s->creds, &cr) != 0) {
		(void)sd_error_set(&err, SD_ERR_INTERNAL, NULL,
		    "the credentials are not available");
		refused(s, c, &err);
		ret = c->fd == -1 ? -1 : 0;
		goto out;
	}
	r = sd_sigv4_sign(s->sig, &sreq, &cr, &params, &res, &err);
	sd_creds_lock(s->creds);
	sodium_memzero(&cr, sizeof(cr));
	if (r != 0) {
		(void)sd_error_prefix(&err, "signing: ");
		refused(s, c, &err);
		ret = c->fd == -1 ? -1 : 0;
		goto out;
	}
	if ((r = send_response(c, &res, &err)) != 0) {
		client_close(c, sd_error_text(&err));
		ret = -1;
		goto out;
	}
	s->nsigned++;
	(void)sd_audit("sign", "issued", (int64_t)c->uid, NULL, json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s}", "action",
	    sd_sign_action_name(d.action), "resource", d.resource, "project",
	    d.project, "method", sd_sign_req_method(req), "host",
	    sd_sign_req_host(req), "region", sd_sign_req_region(req)), 0);
	sd_info("signed %s %s for project %s (uid %lu pid %ld; %s %s, "
	    "region %s, signed headers %s)", sd_sign_action_name(d.action),
	    d.resource, d.project, (unsigned long)c->uid, (long)c->pid,
	    sd_sign_req_method(req), sd_sign_req_host(req),
	    sd_sign_req_region(req), res.signed_headers != NULL ?
	    res.signed_headers : "-");
 out:
	sd_error_clear(&err);
	sd_sign_req_free(req);
	json_decref(payload);
	return ret;
}

/* Every complete frame in the buffer. -1 when the connection closed. */
static int
process_frames(struct sd_signer *s, struct client *c)
{
	struct sd_error err = SD_ERROR_INIT;
	const unsigned char *payload;
	size_t plen, used;
	uint8_t type;
	int r;

	while (c->fd != -1 && c->len > 0) {
		r = sd_msg_parse(c->buf, c->len, SD_SIGN_MSG_MAX, &type,
		    &payload, &plen, &used, &err);
		if (r == SD_ERR_PARSE) {	/* incomplete: wait */
			sd_error_clear(&err);
			return 0;
		}
		if (r != 0) {
			s->nrefused++;
			sd_warn("bad frame from uid %lu pid %ld: %s",
			    (unsigned long)c->uid, (long)c->pid,
			    sd_error_text(&err));
			if (reply_error(c, r, sd_error_text(&err)) == 0)
				client_close(c, "bad frame");
			sd_error_clear(&err);
			return -1;
		}
		if (type != SD_MSG_SIGN_REQUEST) {
			s->nrefused++;
			(void)sd_error_set(&err, SD_ERR_INVALID, NULL,
			    "unexpected message type %s (only SIGN_REQUEST)",
			    sd_msg_type_name(type));
			sd_warn("uid %lu pid %ld: %s", (unsigned long)c->uid,
			    (long)c->pid, sd_error_text(&err));
			if (reply_error(c, SD_ERR_INVALID,
			    sd_error_text(&err)) == 0)
				client_close(c, "unexpected message type");
			sd_error_clear(&err);
			return -1;
		}
		if (handle_request(s, c, payload, plen) != 0)
			return -1;
		memmove(c->buf, c->buf + used, c->len - used);
		c->len -= used;
		c->frame_start = mono_s();
	}
	if (c->len == 0 && c->cap > BUF_KEEP) {
		free(c->buf);
		c->buf = NULL;
		c->cap = 0;
	}
	return 0;
}

static void
client_read(struct sd_signer *s, struct client *c)
{
	unsigned char *nb;
	size_t ncap;
	ssize_t n;

	if (c->cap - c->len < 4096 && c->cap < FRAME_MAX) {
		ncap = c->cap == 0 ? BUF_START : c->cap * 2;
		if (ncap > FRAME_MAX)
			ncap = FRAME_MAX;
		if ((nb = realloc(c->buf, ncap)) == NULL) {
			(void)reply_error(c, SD_ERR_NOMEM, "out of memory");
			client_close(c, "out of memory");
			return;
		}
		c->buf = nb;
		c->cap = ncap;
	}
	if (c->len == c->cap) {
		/* Cannot happen: a frame of at most FRAME_MAX completes. */
		client_close(c, "input buffer full");
		return;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return;
		client_close(c, strerror(errno));
		return;
	}
	if (n == 0) {
		client_close(c, c->len > 0 ? "peer left inside a frame" : NULL);
		return;
	}
	if (c->len == 0)
		c->frame_start = mono_s();
	c->len += (size_t)n;
	c->last = mono_s();
	(void)process_frames(s, c);
}

static void
accept_one(struct sd_signer *s)
{
	struct sd_error err = SD_ERROR_INIT;
	struct client *c = NULL;
	uid_t uid;
	pid_t pid;
	size_t i;
	int fd;

	if ((fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR && errno != ECONNABORTED)
			sd_warn("accept: %s", strerror(errno));
		return;
	}
	if (sd_msg_peer(fd, &uid, &pid, &err) != 0) {
		sd_warn("refused a connection: %s", sd_error_text(&err));
		goto refuse;
	}
	if (sd_policy_peer_allowed(s->pol, SD_POLICY_SOCK_SIGN, uid,
	    &err) != 0) {
		s->nrefused++;
		sd_warn("refused a connection from uid %lu pid %ld: %s",
		    (unsigned long)uid, (long)pid, sd_error_text(&err));
		goto refuse;
	}
	for (i = 0; i < SD_SIGNER_MAX_CLIENTS; i++)
		if (s->clients[i].fd == -1) {
			c = &s->clients[i];
			break;
		}
	if (c == NULL) {
		(void)sd_error_set(&err, SD_ERR_LIMIT, NULL,
		    "too many connections (%d)", SD_SIGNER_MAX_CLIENTS);
		sd_warn("refused a connection from uid %lu pid %ld: %s",
		    (unsigned long)uid, (long)pid, sd_error_text(&err));
		goto refuse;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->uid = uid;
	c->pid = pid;
	c->last = c->frame_start = mono_s();
	sd_debug("connection from uid %lu pid %ld", (unsigned long)uid,
	    (long)pid);
	sd_error_clear(&err);
	return;
 refuse:
	{
		struct sd_error e2 = SD_ERROR_INIT;

		(void)sd_msg_write_error(fd, err.code != 0 ? err.code :
		    SD_ERR_INVALID, sd_error_text(&err), &e2);
		sd_error_clear(&e2);
	}
	if (close(fd) == -1)
		sd_warn("close: %s", strerror(errno));
	sd_error_clear(&err);
}

static void
reload(struct sd_signer *s)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_creds *n = NULL;

	if (sd_creds_load_fd(s->creds_fd, s->owner, s->creds_flags,
	    s->profile, &n, &err) != 0) {
		sd_error("SIGHUP: %s: %s; keeping the credentials in use",
		    s->creds_path, sd_error_text(&err));
		sd_error_clear(&err);
		return;
	}
	sd_creds_free(s->creds);
	s->creds = n;
	sd_info("SIGHUP: credentials re-read from %s%s", s->creds_path,
	    sd_creds_has_token(n) ? " (with a session token)" : "");
}

static void
expire(struct sd_signer *s)
{
	int64_t now = mono_s();
	size_t i;

	for (i = 0; i < SD_SIGNER_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd == -1)
			continue;
		if (c->len > 0 &&
		    now - c->frame_start > SD_SIGNER_FRAME_TIMEOUT)
			client_close(c, "a frame took too long");
		else if (now - c->last > SD_SIGNER_IDLE_TIMEOUT)
			client_close(c, "idle");
	}
}

int
sd_signer_run(struct sd_signer *s, struct sd_error *err)
{
	struct pollfd pfd[1 + SD_SIGNER_MAX_CLIENTS];
	struct client *map[1 + SD_SIGNER_MAX_CLIENTS];
	struct timespec tick = { 1, 0 };
	size_t i, n;
	int nready, busy;

	sd_info("listening on %s (policy: %zu projects)", s->sock_path,
	    sd_policy_project_count(s->pol));
	while (!got_term) {
		if (got_hup) {
			got_hup = 0;
			reload(s);
		}
		pfd[0].fd = s->lfd;
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		map[0] = NULL;
		for (i = 0, n = 1, busy = 0; i < SD_SIGNER_MAX_CLIENTS; i++) {
			if (s->clients[i].fd == -1)
				continue;
			pfd[n].fd = s->clients[i].fd;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			map[n++] = &s->clients[i];
			busy = 1;
		}
		nready = ppoll(pfd, n, busy ? &tick : NULL, &s->waitmask);
		if (nready == -1) {
			if (errno == EINTR)
				continue;
			return sd_error_set(err, SD_ERR_IO, NULL, "ppoll: %s",
			    strerror(errno));
		}
		for (i = 1; i < n; i++) {
			if (pfd[i].revents == 0 || map[i]->fd == -1)
				continue;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				client_read(s, map[i]);
			else
				client_close(map[i], "poll error");
		}
		if (pfd[0].revents & POLLIN)
			accept_one(s);
		expire(s);
	}
	sd_info("stopping: %lu signatures issued, %lu requests refused",
	    s->nsigned, s->nrefused);
	return 0;
}
