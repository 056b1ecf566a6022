/*
 * daemon.c: stepdeploy-executor's service (see sd_executor.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_executor.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_msg.h"
#include "sd_policy.h"
#include "sd_serve.h"
#include "step.h"

#define ROLE_VALIDATOR	0x1

struct executor {
	const struct sd_policy		*pol;
	struct sd_executor_limits	 lim;
};

void
sd_executor_limits_default(struct sd_executor_limits *l)
{
	l->memory_bytes = (uint64_t)1 << 30;
	l->cpu_seconds = 60;
	l->wall_ms = 60000;
	l->output_bytes = (size_t)4 << 20;
}

int
sd_executor_run_tests(const char *definition, size_t dlen, const char *tests,
    size_t tlen, json_t **report, struct sd_error *err)
{
	struct step_machine *m = NULL;
	json_t *t = NULL;
	int r;

	*report = NULL;
	if ((r = step_machine_new(definition, dlen, NULL, &m, err)) != 0) {
		sd_error_prefix(err, "the definition: ");
		goto out;
	}
	if ((t = sd_json_loadb(tests, tlen, JSON_REJECT_DUPLICATES,
	    "tests.json", err)) == NULL) {
		r = SD_ERR_PARSE;
		goto out;
	}
	if ((r = step_run_tests(m, t, report, err)) != 0)
		sd_error_prefix(err, "tests.json: ");
 out:
	json_decref(t);
	step_machine_free(m);
	return r;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The worker: run, write the report (or {"error"}) to fd, exit. */
static void
worker(struct executor *x, const char *def, size_t dlen, const char *tests,
    size_t tlen, int fd)
{
	struct sd_error err = SD_ERROR_INIT;
	struct rlimit rl;
	json_t *rep = NULL, *o;
	char *s;
	size_t n, off = 0;
	ssize_t w;

	rl.rlim_cur = rl.rlim_max = (rlim_t)x->lim.memory_bytes;
	if (setrlimit(RLIMIT_AS, &rl) == -1)
		_exit(3);
	rl.rlim_cur = rl.rlim_max = (rlim_t)x->lim.cpu_seconds;
	if (setrlimit(RLIMIT_CPU, &rl) == -1)
		_exit(3);
	if (sd_executor_run_tests(def, dlen, tests, tlen, &rep, &err) == 0)
		o = json_pack("{s:O}", "report", rep);
	else
		o = json_pack("{s:i, s:s}", "code", err.code, "error",
		    sd_error_text(&err));
	if (o == NULL || (s = sd_json_dumps(o, 0)) == NULL)
		_exit(4);
	n = strlen(s);
	while (off < n) {
		w = write(fd, s + off, n - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(5);
		off += (size_t)w;
	}
	_exit(0);
}

/*
 * Run a request in a worker and wait for its answer, bounded by the wall
 * time and the output size. *out (new) is the worker's JSON, or err.
 */
static int
run_worker(struct executor *x, const char *def, size_t dlen,
    const char *tests, size_t tlen, json_t **out, struct sd_error *err)
{
	struct pollfd pfd;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int64_t deadline = mono_ms() + x->lim.wall_ms, left;
	int p[2], st = 0, r = 0, killed = 0;
	ssize_t rd;
	pid_t pid;

	*out = NULL;
	if (pipe2(p, O_CLOEXEC) == -1)
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "pipe: %s",
		    strerror(errno));
	if ((pid = fork()) == -1) {
		(void)close(p[0]);
		(void)close(p[1]);
		return sd_error_set(err, SD_ERR_INTERNAL, NULL, "fork: %s",
		    strerror(errno));
	}
	if (pid == 0) {
		(void)close(p[0]);
		worker(x, def, dlen, tests, tlen, p[1]);
	}
	(void)close(p[1]);
	for (;;) {
		left = deadline - mono_ms();
		if (left <= 0) {
			r = sd_error_set(err, SD_ERR_LIMIT, NULL, "the tests ran "
			    "for more than %u ms and were stopped",
			    x->lim.wall_ms);
			killed = 1;
			break;
		}
		pfd.fd = p[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(left > 1000 ? 1000 : left)) == -1) {
			if (errno == EINTR)
				continue;
			r = sd_error_set(err, SD_ERR_INTERNAL, NULL, "poll: %s",
			    strerror(errno));
			killed = 1;
			break;
		}
		if (pfd.revents == 0)
			continue;
		if (len == cap) {
			size_t ncap = cap == 0 ? 16384 : cap * 2;
			char *nb;

			if (ncap > x->lim.output_bytes + 1)
				ncap = x->lim.output_bytes + 1;
			if (ncap <= len) {
				r = sd_error_set(err, SD_ERR_LIMIT, NULL, "the "
				    "tests' report is over %zu bytes",
				    x->lim.output_bytes);
				killed = 1;
				break;
			}
			if ((nb = realloc(buf, ncap)) == NULL) {
				r = sd_error_set(err, SD_ERR_NOMEM, NULL,
				    "out of memory");
				killed = 1;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		rd = read(p[0], buf + len, cap - len);
		if (rd == -1 && errno == EINTR)
			continue;
		if (rd <= 0)
			break;
		len += (size_t)rd;
	}
	if (killed)
		(void)kill(pid, SIGKILL);
	(void)close(p[0]);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (r == 0 && WIFSIGNALED(st))
		r = sd_error_set(err, SD_ERR_LIMIT, NULL, "the test run was "
		    "killed by signal %d (%s)", WTERMSIG(st),
		    WTERMSIG(st) == SIGXCPU ? "over its CPU time" :
		    WTERMSIG(st) == SIGSYS ? "a forbidden system call" :
		    "a crash, or over its memory");
	else if (r == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		r = sd_error_set(err, SD_ERR_LIMIT, NULL, "the test run "
		    "failed (exit %d; over its memory?)", WIFEXITED(st) ?
		    WEXITSTATUS(st) : -1);
	if (r == 0 && (*out = sd_json_loadb(buf, len, 0, "the test run's "
	    "answer", err)) == NULL)
		r = SD_ERR_INTERNAL;
	free(buf);
	return r;
}

int
sd_executor_parse_request(const json_t *req, const char **def, size_t *dlen,
    const char **tests, size_t *tlen, struct sd_error *err)
{
	json_error_t je;

	*def = *tests = NULL;
	*dlen = *tlen = 0;
	if (json_unpack_ex((json_t *)req, &je, JSON_STRICT, "{s:s%, s:s%}",
	    "definition", def, dlen, "tests", tests, tlen) != 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "EXEC_REQUEST: "
		    "%s", je.text);
	return 0;
}

static int
on_exec(struct sd_msg_conn *c, json_t *req, struct sd_error *err)
{
	struct executor *x = c->arg;
	const char *def = NULL, *tests = NULL;
	size_t dlen = 0, tlen = 0;
	json_t *res = NULL;
	int r;

	if ((r = sd_executor_parse_request(req, &def, &dlen, &tests, &tlen,
	    err)) != 0)
		return r;
	if ((r = run_worker(x, def, dlen, tests, tlen, &res, err)) != 0) {
		sd_warn("uid %lu: %s", (unsigned long)c->uid,
		    sd_error_text(err));
		r = sd_msg_write_error(c->fd, r, sd_error_text(err), err);
		return r == 0 ? 1 : r;
	}
	if (json_object_get(res, "report") != NULL) {
		json_t *rep = json_object_get(res, "report");

		sd_info("uid %lu: %lld passed, %lld failed",
		    (unsigned long)c->uid, (long long)json_integer_value(
		    json_object_get(rep, "passed")), (long long)
		    json_integer_value(json_object_get(rep, "failed")));
		r = sd_msg_write_json(c->fd, SD_MSG_EXEC_RESULT, rep, err);
	} else {
		const char *e = json_string_value(json_object_get(res, "error"));

		sd_info("uid %lu: refused: %s", (unsigned long)c->uid,
		    e != NULL ? e : "?");
		r = sd_msg_write_error(c->fd, (int)json_integer_value(
		    json_object_get(res, "code")), e != NULL ? e : "the test "
		    "run failed", err);
	}
	json_decref(res);
	return r == 0 ? 1 : r;
}

static const struct sd_msg_route routes[] = {
	{ SD_MSG_EXEC_REQUEST, ROLE_VALIDATOR, SD_MSG_ROUTE_ONCE, on_exec },
};

static int
conn(void *arg, struct sd_msg_conn *c)
{
	(void)arg;
	return sd_serve_dispatch_loop("exec.sock", routes,
	    sizeof(routes) / sizeof(routes[0]), c);
}

static unsigned
roles(void *arg, uid_t uid, char *why, size_t len)
{
	struct executor *x = arg;
	struct sd_error e = SD_ERROR_INIT;
	unsigned r = 0;

	if (sd_policy_peer_allowed(x->pol, SD_POLICY_SOCK_EXEC, uid, &e) == 0)
		r = ROLE_VALIDATOR;
	else
		(void)snprintf(why, len, "%s", sd_error_text(&e));
	sd_error_clear(&e);
	return r;
}

int
sd_executor_run(int lfd, const struct sd_policy *pol,
    const struct sd_executor_limits *lim, struct sd_error *err)
{
	struct executor x;
	struct sd_serve s;

	x.pol = pol;
	x.lim = *lim;
	memset(&s, 0, sizeof(s));
	s.prog = "stepdeploy-executor";
	s.sock_name = "exec.sock";
	s.lfd = lfd;
	s.max_children = 4;
	s.io_timeout_ms = 30000;
	s.arg = &x;
	s.roles_fn = roles;
	s.conn_fn = conn;
	return sd_serve_run(&s, err);
}
