#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cmd_handler.h"
#include "sd_buf.h"
#include "sd_json.h"
#include "sd_time.h"

#define OUT_MAX		((size_t)64 * 1024 * 1024)

static int
set_fail(struct step_task_failure *f, const char *error, const char *cause)
{
	f->error = strdup(error);
	f->cause = cause != NULL ? strdup(cause) : NULL;
	return -1;
}

static void
close_fd(int *fd)
{
	if (*fd != -1) {
		(void)close(*fd);
		*fd = -1;
	}
}

/*
 * Feed in to the child's stdin while collecting stdout and stderr, until
 * both close or the deadline passes. Returns 0, or -1 on timeout.
 */
static int
pump(int in_fd, int out_fd, int err_fd, const char *in, size_t inlen,
    struct sd_buf *out, struct sd_buf *errb, int64_t deadline)
{
	struct pollfd p[3];
	size_t off = 0;
	char chunk[65536];
	ssize_t n;
	int open_fds, i, timeout;

	if (inlen == 0)
		close_fd(&in_fd);
	for (;;) {
		open_fds = 0;
		p[0].fd = in_fd;
		p[0].events = POLLOUT;
		p[1].fd = out_fd;
		p[1].events = POLLIN;
		p[2].fd = err_fd;
		p[2].events = POLLIN;
		for (i = 0; i < 3; i++)
			if (p[i].fd != -1)
				open_fds++;
		if (open_fds == 0 || (p[1].fd == -1 && p[2].fd == -1))
			break;
		timeout = -1;
		if (deadline > 0) {
			int64_t left = (deadline - sd_time_now()) / 1000000;

			if (left <= 0) {
				close_fd(&in_fd);
				close_fd(&out_fd);
				close_fd(&err_fd);
				return -1;
			}
			timeout = left > 60000 ? 60000 : (int)left;
		}
		if (poll(p, 3, timeout) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].fd != -1 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(in_fd, in + off, inlen - off);
			if (n == -1 && errno != EINTR && errno != EAGAIN)
				close_fd(&in_fd);
			else if (n > 0 && (off += (size_t)n) == inlen)
				close_fd(&in_fd);
		}
		for (i = 1; i < 3; i++) {
			int *fd = i == 1 ? &out_fd : &err_fd;
			struct sd_buf *b = i == 1 ? out : errb;

			if (p[i].fd == -1 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(*fd, chunk, sizeof(chunk));
			if (n == -1 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {
				close_fd(fd);
				continue;
			}
			(void)sd_buf_append(b, chunk, (size_t)n);
		}
	}
	close_fd(&in_fd);
	close_fd(&out_fd);
	close_fd(&err_fd);
	return 0;
}

/*
 * A temporary file for the command's callbacks: its path in path (size n),
 * the file created empty. Returns 0 or -1 with errno.
 */
static int
callbacks_file(char *path, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd, r;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	r = snprintf(path, n, "%s/stepdeploy-callbacks.XXXXXX", dir);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	return close(fd);
}

/*
 * Read the callbacks the command wrote to path, one JSON object a line
 * (the mocks' callback form, or {"submitted": V}), and pass them on
 * (step_task_callback_json). *sent counts the SendTask* calls. Returns 0,
 * or -1 with failure filled.
 */
static int
read_callbacks(const char *path, const struct step_task_call *call,
    int *sent, struct step_task_failure *failure)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_buf b;
	char chunk[65536], *line, *nl, *end;
	size_t no = 0;
	ssize_t n;
	json_t *v;
	int fd, rc = -1;

	*sent = 0;
	sd_buf_init(&b, OUT_MAX);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_fail(failure, "States.TaskFailed", strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || sd_buf_append(&b, chunk, (size_t)n) != 0) {
			(void)close(fd);
			set_fail(failure, "States.TaskFailed", n == -1 ?
			    strerror(errno) : "the handler command wrote more than "
			    "64 MiB of callbacks");
			goto out;
		}
	}
	if (close(fd) == -1) {
		set_fail(failure, "States.TaskFailed", strerror(errno));
		goto out;
	}
	line = b.data;
	end = b.data != NULL ? b.data + b.len : NULL;
	while (line != NULL && line < end) {
		no++;
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (nl > line) {
			v = sd_json_loadb(line, (size_t)(nl - line),
			    JSON_REJECT_DUPLICATES, "the callback", &err);
			if (v == NULL || step_task_callback_json(call, v, &err) != 0) {
				char *c = sd_asprintf("$STEPDEPLOY_CALLBACKS line %zu: "
				    "%s", no, sd_error_text(&err));

				json_decref(v);
				set_fail(failure, "States.TaskFailed", c != NULL ? c :
				    "out of memory");
				free(c);
				goto out;
			}
			if (json_object_get(v, "submitted") == NULL)
				(*sent)++;
			json_decref(v);
		}
		line = nl + 1;
	}
	rc = 0;
 out:
	sd_buf_release(&b);
	sd_error_clear(&err);
	return rc;
}

/* Only blanks in d? */
static int
blank(const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i] != ' ' && d[i] != '\t' && d[i] != '\n' && d[i] != '\r')
			return 0;
	return 1;
}

int
cmd_handler(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	const char *cmd = user;
	struct sd_buf out, errb;
	struct sd_error err = SD_ERROR_INIT;
	int inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char *in = NULL;
	pid_t pid = -1;
	char cbpath[4096] = "";
	int status = 0, timed_out, rc = -1, sent = 0;
	int64_t deadline = 0;
	json_t *v = NULL;

	*output = NULL;
	sd_buf_init(&out, OUT_MAX);
	sd_buf_init(&errb, OUT_MAX);
	if ((in = sd_json_dumps(call->input, 0)) == NULL) {
		set_fail(failure, "States.Runtime", "out of memory");
		goto out;
	}
	if (pipe2(inp, O_CLOEXEC) == -1 || pipe2(outp, O_CLOEXEC) == -1 ||
	    pipe2(errp, O_CLOEXEC) == -1) {
		set_fail(failure, "States.TaskFailed", strerror(errno));
		goto out;
	}
	if (callbacks_file(cbpath, sizeof(cbpath)) == -1) {
		cbpath[0] = '\0';
		set_fail(failure, "States.TaskFailed", strerror(errno));
		goto out;
	}
	if ((pid = fork()) == -1) {
		set_fail(failure, "States.TaskFailed", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		if (dup2(inp[0], 0) == -1 || dup2(outp[1], 1) == -1 ||
		    dup2(errp[1], 2) == -1)
			_exit(127);
		/* Where the command sends callbacks, and the token to send. */
		if (setenv("STEPDEPLOY_CALLBACKS", cbpath, 1) != 0 ||
		    (call->task_token != NULL && setenv("STEPDEPLOY_TASK_TOKEN",
		    call->task_token, 1) != 0) || (call->task_token == NULL &&
		    unsetenv("STEPDEPLOY_TASK_TOKEN") != 0))
			_exit(127);
		(void)signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close_fd(&inp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[1]);
	(void)signal(SIGPIPE, SIG_IGN);
	/* Never block on the child's stdin while its stdout fills up. */
	if (fcntl(inp[1], F_SETFL, O_NONBLOCK) == -1) {
		set_fail(failure, "States.TaskFailed", strerror(errno));
		goto out;
	}
	if (call->timeout_ms > 0)
		deadline = sd_time_now() + call->timeout_ms * 1000000LL;
	timed_out = pump(inp[1], outp[0], errp[0], in, strlen(in), &out, &errb,
	    deadline) != 0;
	inp[1] = outp[0] = errp[0] = -1;	/* pump closed them */
	if (timed_out)
		(void)kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1) {
		if (errno != EINTR) {
			set_fail(failure, "States.TaskFailed", strerror(errno));
			pid = -1;
			goto out;
		}
	}
	pid = -1;
	if (timed_out) {
		set_fail(failure, "States.Timeout", "the handler command ran longer "
		    "than the Task's TimeoutSeconds");
		goto out;
	}
	if (out.failed || errb.failed) {
		set_fail(failure, "States.TaskFailed", "the handler command printed "
		    "more than 64 MiB");
		goto out;
	}
	if (read_callbacks(cbpath, call, &sent, failure) != 0)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && sent > 0) {
		/* Answered by its callbacks: nothing else on stdout. */
		if (!blank(out.data != NULL ? out.data : "", out.len)) {
			set_fail(failure, "States.TaskFailed", "the handler command "
			    "sent callbacks and also printed a result: a command "
			    "that sends callbacks answers with them alone");
			goto out;
		}
		rc = 0;
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		v = sd_json_loadb(out.data != NULL ? out.data : "", out.len, 0,
		    "the handler's output", &err);
		if (v == NULL) {
			set_fail(failure, "States.TaskFailed", sd_error_text(&err));
			goto out;
		}
		*output = v;
		rc = 0;
		goto out;
	}
	/* Failed: {"errorType","errorMessage"} on stdout, or stderr as cause. */
	v = out.len > 0 ? json_loadb(out.data, out.len, JSON_DECODE_ANY, NULL) :
	    NULL;
	if (json_is_object(v) &&
	    json_is_string(json_object_get(v, "errorType"))) {
		set_fail(failure, json_string_value(json_object_get(v, "errorType")),
		    json_string_value(json_object_get(v, "errorMessage")));
	} else {
		struct sd_buf c;

		sd_buf_init(&c, 0);
		if (errb.len > 0)
			(void)sd_buf_append(&c, errb.data, errb.len);
		else if (WIFSIGNALED(status))
			(void)sd_buf_printf(&c, "the handler command was killed by "
			    "signal %d", WTERMSIG(status));
		else
			(void)sd_buf_printf(&c, "the handler command exited with "
			    "status %d", WEXITSTATUS(status));
		while (c.len > 0 && c.data[c.len - 1] == '\n')
			c.data[--c.len] = '\0';
		set_fail(failure, "States.TaskFailed", c.data);
		sd_buf_release(&c);
	}
	json_decref(v);
 out:
	if (pid > 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
	}
	close_fd(&inp[0]);
	close_fd(&inp[1]);
	close_fd(&outp[0]);
	close_fd(&outp[1]);
	close_fd(&errp[0]);
	close_fd(&errp[1]);
	/* A file left behind fails the call (the failure says why). */
	if (cbpath[0] != '\0' && unlink(cbpath) == -1 && errno != ENOENT &&
	    rc == 0) {
		json_decref(*output);
		*output = NULL;
		rc = set_fail(failure, "States.TaskFailed", strerror(errno));
	}
	free(in);
	sd_buf_release(&out);
	sd_buf_release(&errb);
	sd_error_clear(&err);
	return rc;
}
