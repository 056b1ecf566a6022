/*
 * test_lambda: the Lambda custom runtime (executor/lambda.c) against a
 * stand-in of the Runtime API — a small HTTP/1.1 server on 127.0.0.1 in a
 * thread that serves a scripted list of /next responses and records what
 * the runtime posts back — and the /next parser on malformed input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_lambda.h"
#include "step.h"

#define ARN	"arn:aws:lambda:us-east-1:000000000000:function:hello"
#define TRACE	"Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1"
#define DEADLINE "1700000000123"
#define P_NEXT	"/2018-06-01/runtime/invocation/next"

/* ------------------------------------------------------------ the stand-in */

/* One scripted answer to GET /next. */
struct ev {
	const char	*id;		/* Lambda-Runtime-Aws-Request-Id; NULL: none */
	const char	*body;		/* the event */
	int		 status;	/* 0: 200 */
	const char	*raw;		/* when set, sent as the whole response */
	size_t		 big;		/* when set, a body of this many spaces */
};

struct post {
	char	*path;
	char	*errtype;	/* Lambda-Runtime-Function-Error-Type or NULL */
	char	*headers;	/* the whole request head */
	char	*body;
};

#define MAX_POSTS	16

struct srv {
	int		 lfd;
	int		 port;
	char		 api[64];
	pthread_t	 th;
	atomic_int	 stop;
	const struct ev	*evs;
	size_t		 nevs;
	size_t		 next;
	size_t		 ngets;		/* GET /next requests seen */
	int		 post_status;	/* 0: 202 */
	struct post	 posts[MAX_POSTS];
	size_t		 nposts;
};

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
reply(int fd, int status, const char *extra, const char *body, size_t blen)
{
	struct sd_buf b;
	int r;

	sd_buf_init(&b, 0);
	sd_buf_printf(&b, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
	    "%sContent-Length: %zu\r\n\r\n", status, extra, blen);
	sd_buf_append(&b, body, blen);
	r = b.failed ? -1 : send_all(fd, b.data, b.len);
	sd_buf_release(&b);
	return r;
}

static int
reply_s(int fd, int status, const char *body)
{
	return reply(fd, status, "", body, strlen(body));
}

static int
serve_next(struct srv *s, int fd)
{
	const struct ev *e;
	struct sd_buf h;
	char *big = NULL;
	int r;

	s->ngets++;
	if (s->next >= s->nevs)
		return reply_s(fd, 500, "{\"errorType\":\"NoMoreEvents\"}");
	e = &s->evs[s->next++];
	if (e->raw != NULL)
		return send_all(fd, e->raw, strlen(e->raw));
	sd_buf_init(&h, 0);
	if (e->id != NULL)
		sd_buf_printf(&h, "Lambda-Runtime-Aws-Request-Id: %s\r\n", e->id);
	sd_buf_puts(&h, "Lambda-Runtime-Deadline-Ms: " DEADLINE "\r\n"
	    "Lambda-Runtime-Invoked-Function-Arn: " ARN "\r\n"
	    "Lambda-Runtime-Trace-Id: " TRACE "\r\n");
	if (h.failed)
		return -1;
	if (e->big > 0) {
		if ((big = malloc(e->big)) == NULL)
			return -1;
		memset(big, ' ', e->big);
		r = reply(fd, e->status ? e->status : 200, h.data, big, e->big);
	} else
		r = reply(fd, e->status ? e->status : 200, h.data, e->body,
		    strlen(e->body));
	free(big);
	sd_buf_release(&h);
	return r;
}

static char *
header_value(const char *head, const char *name)
{
	const char *p = head, *eol;
	size_t n = strlen(name);

	while ((eol = strstr(p, "\r\n")) != NULL) {
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 &&
		    p[n] == ':') {
			p += n + 1;
			while (*p == ' ')
				p++;
			return strndup(p, (size_t)(eol - p));
		}
		p = eol + 2;
	}
	return NULL;
}

/* Handle one request if in holds a whole one: 1 done, 0 need more, -1 bad. */
static int
handle(struct srv *s, int fd, struct sd_buf *in)
{
	char method[16], path[512];
	char *end, *cl, *hend;
	size_t hlen, blen = 0, total;
	struct post *p;

	if (in->len == 0 || (hend = strstr(in->data, "\r\n\r\n")) == NULL)
		return 0;
	hlen = (size_t)(hend - in->data) + 4;
	if (sscanf(in->data, "%15s %511s", method, path) != 2)
		return -1;
	if ((cl = header_value(in->data, "Content-Length")) != NULL) {
		blen = strtoul(cl, &end, 10);
		free(cl);
	}
	total = hlen + blen;
	if (in->len < total)
		return 0;
	if (strcmp(method, "GET") == 0 && strcmp(path, P_NEXT) == 0) {
		if (serve_next(s, fd) != 0)
			return -1;
	} else if (strcmp(method, "POST") == 0 && s->nposts < MAX_POSTS) {
		p = &s->posts[s->nposts++];
		p->path = strdup(path);
		p->headers = strndup(in->data, hlen);
		p->body = strndup(in->data + hlen, blen);
		p->errtype = header_value(p->headers,
		    "Lambda-Runtime-Function-Error-Type");
		if (s->post_status != 0 && s->post_status != 202) {
			if (reply_s(fd, s->post_status, "{\"errorType\":"
			    "\"InvalidRequestID\"}") != 0)
				return -1;
		} else if (reply_s(fd, 202, "{\"status\":\"OK\"}") != 0)
			return -1;
	} else if (reply_s(fd, 404, "{}") != 0)
		return -1;
	memmove(in->data, in->data + total, in->len - total);
	in->len -= total;
	in->data[in->len] = '\0';
	return 1;
}

static void *
srv_main(void *arg)
{
	struct srv *s = arg;
	struct sd_buf in;
	struct pollfd pf[2];
	char chunk[65536];
	ssize_t n;
	int cfd = -1, nfd, h;

	sd_buf_init(&in, 0);
	while (!atomic_load(&s->stop)) {
		pf[0].fd = s->lfd;
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		pf[1].fd = cfd;
		pf[1].events = POLLIN;
		pf[1].revents = 0;
		if (poll(pf, 2, 20) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			if ((nfd = accept(s->lfd, NULL, NULL)) >= 0) {
				if (cfd >= 0)
					close(cfd);
				cfd = nfd;
				sd_buf_reset(&in);
				continue;
			}
		}
		if (cfd < 0 || pf[1].revents == 0)
			continue;
		if ((n = recv(cfd, chunk, sizeof(chunk), 0)) <= 0 ||
		    sd_buf_append(&in, chunk, (size_t)n) != 0) {
			close(cfd);
			cfd = -1;
			sd_buf_reset(&in);
			continue;
		}
		while ((h = handle(s, cfd, &in)) > 0)
			;
		if (h < 0) {
			close(cfd);
			cfd = -1;
			sd_buf_reset(&in);
		}
	}
	if (cfd >= 0)
		close(cfd);
	sd_buf_release(&in);
	return NULL;
}

static int
listen_any(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		fail_msg("socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		fail_msg("bind/listen");
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct srv *
srv_start(const struct ev *evs, size_t nevs)
{
	struct srv *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	s->evs = evs;
	s->nevs = nevs;
	atomic_init(&s->stop, 0);
	s->lfd = listen_any(&s->port);
	snprintf(s->api, sizeof(s->api), "127.0.0.1:%d", s->port);
	if (pthread_create(&s->th, NULL, srv_main, s) != 0)
		fail_msg("pthread_create");
	return s;
}

/* Stop the thread; the records stay readable until srv_free. */
static void
srv_stop(struct srv *s)
{
	atomic_store(&s->stop, 1);
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void
srv_free(struct srv *s)
{
	size_t i;

	for (i = 0; i < s->nposts; i++) {
		free(s->posts[i].path);
		free(s->posts[i].errtype);
		free(s->posts[i].headers);
		free(s->posts[i].body);
	}
	free(s);
}

/* ------------------------------------------------------------ the machine */

static json_t *
J(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &je);

	if (v == NULL)
		fail_msg("bad JSON in test: %s: %s", je.text, text);
	return v;
}

static void
assert_json_text(const char *got, const char *expected)
{
	json_t *g = J(got), *e = J(expected);

	if (!sd_json_equal(g, e))
		fail_msg("expected %s\n got      %s", expected, got);
	json_decref(g);
	json_decref(e);
}

static void
assert_json_value(json_t *got, const char *expected)
{
	json_t *e = J(expected);

	if (!json_equal(got, e))
		fail_msg("JSON differs from %s", expected);
	json_decref(e);
}

static int
fail_with(struct step_task_failure *f, const char *error, const char *cause)
{
	f->error = error != NULL ? strdup(error) : NULL;
	f->cause = cause != NULL ? strdup(cause) : NULL;
	return 1;
}

/* {"Greeting": G} -> {"Message": "G, World", "Ctx": context, "Trace": env} */
static int
hello_fn(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	const char *g = json_string_value(json_object_get(call->input,
	    "Greeting"));
	const char *trace = getenv("_X_AMZN_TRACE_ID");
	char *msg;

	(void)user;
	if (g == NULL)
		return fail_with(failure, "NoGreeting", "Greeting missing");
	if ((msg = sd_asprintf("%s, World", *g != '\0' ? g : "Hello")) == NULL)
		return fail_with(failure, "NoMemory", NULL);
	*output = json_pack("{s:s, s:O, s:s, s:s}", "Message", msg, "Ctx",
	    call->context, "Trace", trace != NULL ? trace : "", "State",
	    call->state);
	free(msg);
	return *output == NULL;
}

/* The handler under "": echoes the whole payload. */
static int
any_fn(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	(void)user;
	(void)failure;
	*output = json_pack("{s:O}", "Any", call->input);
	return *output == NULL;
}

static int
boom_fn(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	const char *how = json_string_value(json_object_get(call->input, "How"));

	(void)user;
	(void)output;
	if (how != NULL && strcmp(how, "inject") == 0)
		return fail_with(failure, "Bad\r\nX-Injected: 1", "c\xff\xfe");
	if (how != NULL && strcmp(how, "anonymous") == 0)
		return 1;
	if (how != NULL && strcmp(how, "huge") == 0) {
		char *s = malloc(SD_LAMBDA_MAX_PAYLOAD + 1);

		if (s == NULL)
			return fail_with(failure, "NoMemory", NULL);
		memset(s, 'x', SD_LAMBDA_MAX_PAYLOAD);
		s[SD_LAMBDA_MAX_PAYLOAD] = '\0';
		*output = json_string(s);
		free(s);
		return *output == NULL;
	}
	return fail_with(failure, "Boom.Failed", "it went boom");
}

static struct step_machine *
machine(void)
{
	static const char def[] = "{\"StartAt\":\"Hello\",\"States\":{\"Hello\":"
	    "{\"Type\":\"TaskFn\",\"End\":true}}}";
	struct step_machine_opts mo;
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = NULL;

	memset(&mo, 0, sizeof(mo));
	mo.lambda_arn = ARN;
	if (step_machine_new(def, strlen(def), &mo, &m, &err) != 0)
		fail_msg("definition rejected: %s", sd_error_text(&err));
	assert_int_equal(step_machine_register(m, "Hello", hello_fn, NULL), 0);
	assert_int_equal(step_machine_register(m, "Boom", boom_fn, NULL), 0);
	assert_int_equal(step_machine_register(m, "", any_fn, NULL), 0);
	return m;
}

/* Run the runtime against the script; returns step_lambda_run's value. */
static int
run(const struct ev *evs, size_t nevs, uint64_t max, unsigned retries,
    int post_status, struct srv **sp, struct sd_error *err)
{
	struct step_lambda_opts o;
	struct step_machine *m = machine();
	struct srv *s = srv_start(evs, nevs);
	int r;

	s->post_status = post_status;
	memset(&o, 0, sizeof(o));
	o.runtime_api = s->api;
	o.max_invocations = max;
	o.max_retries = retries;
	o.connect_timeout_ms = 2000;
	o.post_timeout_ms = 5000;
	r = step_lambda_run(m, &o, err);
	srv_stop(s);
	step_machine_free(m);
	*sp = s;
	return r;
}

static void
assert_post(const struct post *p, const char *id, const char *kind,
    const char *errtype)
{
	char path[256];

	snprintf(path, sizeof(path), "/2018-06-01/runtime/invocation/%s/%s", id,
	    kind);
	assert_string_equal(p->path, path);
	if (errtype == NULL)
		assert_null(p->errtype);
	else {
		assert_non_null(p->errtype);
		assert_string_equal(p->errtype, errtype);
	}
}

/* ------------------------------------------------------------ loop tests */

static void
test_success(void **state)
{
	static const struct ev evs[] = {
		{ "req-1", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"\"}}",
		    0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), 0);
	assert_int_equal(s->ngets, 1);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "req-1", "response", NULL);
	assert_non_null(strstr(s->posts[0].headers,
	    "Content-Type: application/json"));
	assert_json_text(s->posts[0].body, "{\"Message\":\"Hello, World\","
	    "\"Ctx\":{\"AwsRequestId\":\"req-1\",\"DeadlineMs\":" DEADLINE ","
	    "\"InvokedFunctionArn\":\"" ARN "\"},\"Trace\":\"" TRACE "\","
	    "\"State\":\"Hello\"}");
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_unknown_task(void **state)
{
	static const struct ev evs[] = {
		{ "req-2", "{\"Task\":\"Nope\",\"Input\":{}}", 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;
	json_t *b;

	(void)state;
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "req-2", "error", "UnknownTask");
	b = J(s->posts[0].body);
	assert_string_equal(json_string_value(json_object_get(b, "errorType")),
	    "UnknownTask");
	assert_non_null(strstr(json_string_value(json_object_get(b,
	    "errorMessage")), "Nope"));
	json_decref(b);
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_no_task(void **state)
{
	static const struct ev evs[] = {
		{ "req-3", "{\"detail\":[1,2]}", 0, NULL, 0 },
		{ "req-4", "\"just a string\"", 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	assert_int_equal(run(evs, 2, 2, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 2);
	assert_post(&s->posts[0], "req-3", "response", NULL);
	assert_json_text(s->posts[0].body, "{\"Any\":{\"detail\":[1,2]}}");
	assert_post(&s->posts[1], "req-4", "response", NULL);
	assert_json_text(s->posts[1].body, "{\"Any\":\"just a string\"}");
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_handler_failure(void **state)
{
	static const struct ev evs[] = {
		{ "req-5", "{\"Task\":\"Boom\",\"Input\":{}}", 0, NULL, 0 },
		{ "req-6", "{\"Task\":\"Boom\",\"Input\":{\"How\":\"anonymous\"}}",
		    0, NULL, 0 },
		{ "req-7", "{\"Task\":\"Boom\",\"Input\":{\"How\":\"inject\"}}",
		    0, NULL, 0 },
		{ "req-8", "{\"Task\":\"Hello\",\"Input\":{}}", 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	assert_int_equal(run(evs, 4, 4, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 4);
	assert_post(&s->posts[0], "req-5", "error", "Boom.Failed");
	assert_json_text(s->posts[0].body, "{\"errorType\":\"Boom.Failed\","
	    "\"errorMessage\":\"it went boom\"}");
	/* Failing without a name: States.TaskFailed, as in the engine. */
	assert_post(&s->posts[1], "req-6", "error", "States.TaskFailed");
	assert_json_text(s->posts[1].body, "{\"errorType\":\"States.TaskFailed\","
	    "\"errorMessage\":\"\"}");
	/* CR LF in the name must not make a header; bad UTF-8 becomes '?'. */
	assert_post(&s->posts[2], "req-7", "error", "Bad__X-Injected: 1");
	assert_null(strstr(s->posts[2].headers, "\r\nX-Injected"));
	assert_json_text(s->posts[2].body, "{\"errorType\":\"Bad\\r\\n"
	    "X-Injected: 1\",\"errorMessage\":\"c??\"}");
	assert_post(&s->posts[3], "req-8", "error", "NoGreeting");
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_invalid_event(void **state)
{
	static const struct ev evs[] = {
		{ "req-9", "{not json", 0, NULL, 0 },
		{ "req-10", "{\"a\":1,\"a\":2}", 0, NULL, 0 },
		{ "req-11", "", 0, NULL, 0 },
		{ "req-12", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"Hi\"}}",
		    0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;
	json_t *b;
	size_t i;

	(void)state;
	assert_int_equal(run(evs, 4, 4, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 4);
	for (i = 0; i < 3; i++) {
		assert_post(&s->posts[i], evs[i].id, "error",
		    "InvalidEventPayload");
		b = J(s->posts[i].body);
		assert_string_equal(json_string_value(json_object_get(b,
		    "errorType")), "InvalidEventPayload");
		assert_non_null(strstr(json_string_value(json_object_get(b,
		    "errorMessage")), "not valid JSON"));
		json_decref(b);
	}
	/* ... and the loop went on. */
	assert_post(&s->posts[3], "req-12", "response", NULL);
	assert_non_null(strstr(s->posts[3].body, "Hi, World"));
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_bad_request_id(void **state)
{
	static char id129[SD_LAMBDA_MAX_REQUEST_ID + 2];
	const char *bad[] = {
		"../../init/error", "a b", "a/b", "a%2Fb", "..", ".", "a?b",
		"a#b", "\xc3\xa9", id129,
	};
	struct ev evs[2];
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;
	size_t i;

	(void)state;
	memset(id129, 'x', SD_LAMBDA_MAX_REQUEST_ID + 1);
	memset(evs, 0, sizeof(evs));
	evs[1].id = "never";
	evs[1].body = "{}";
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		evs[0].id = bad[i];
		evs[0].body = "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"\"}}";
		assert_int_equal(run(evs, 2, 2, 0, 0, &s, &err), SD_ERR_INVALID);
		assert_non_null(strstr(sd_error_text(&err),
		    "Lambda-Runtime-Aws-Request-Id"));
		assert_int_equal(s->ngets, 1);
		assert_int_equal(s->nposts, 0);
		srv_free(s);
		sd_error_clear(&err);
	}
	/* Missing altogether. */
	evs[0].id = NULL;
	assert_int_equal(run(evs, 2, 2, 0, 0, &s, &err), SD_ERR_INVALID);
	assert_int_equal(s->nposts, 0);
	srv_free(s);
	sd_error_clear(&err);
	/* 128 bytes with dots, dashes and underscores is fine. */
	evs[0].id = "8476a536-e9f4-11e8-9739-2dfe598c3fcd._x"
	    "12345678901234567890123456789012345678901234567890123456789"
	    "012345678901234567890123456789";
	assert_int_equal(strlen(evs[0].id), 128);
	assert_int_equal(run(evs, 2, 1, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], evs[0].id, "response", NULL);
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_max_invocations(void **state)
{
	static const struct ev evs[] = {
		{ "a", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"A\"}}", 0,
		    NULL, 0 },
		{ "b", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"B\"}}", 0,
		    NULL, 0 },
		{ "c", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"C\"}}", 0,
		    NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	assert_int_equal(run(evs, 3, 2, 0, 0, &s, &err), 0);
	assert_int_equal(s->ngets, 2);
	assert_int_equal(s->nposts, 2);
	assert_post(&s->posts[0], "a", "response", NULL);
	assert_post(&s->posts[1], "b", "response", NULL);
	srv_free(s);

	/* 0: forever, until /next fails (500 once the script is done). */
	assert_int_equal(run(evs, 3, 0, 2, 0, &s, &err), SD_ERR_IO);
	assert_non_null(strstr(sd_error_text(&err), "HTTP status 500"));
	assert_int_equal(s->nposts, 3);
	assert_int_equal(s->ngets, 3 + 1 + 2);	/* then 1 try, 2 retries */
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_retry_5xx(void **state)
{
	static const struct ev evs[] = {
		{ NULL, "{}", 503, NULL, 0 },
		{ NULL, "{}", 500, NULL, 0 },
		{ "r", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"R\"}}", 0,
		    NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	assert_int_equal(run(evs, 3, 1, 2, 0, &s, &err), 0);
	assert_int_equal(s->ngets, 3);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "r", "response", NULL);
	srv_free(s);
	/* One retry is not enough. */
	assert_int_equal(run(evs, 3, 1, 1, 0, &s, &err), SD_ERR_IO);
	assert_int_equal(s->ngets, 2);
	assert_int_equal(s->nposts, 0);
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_http_errors(void **state)
{
	static const struct ev evs[] = {
		{ "p", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"P\"}}", 0,
		    NULL, 0 },
	};
	static const struct ev forbidden[] = {
		{ NULL, "{}", 403, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;

	(void)state;
	/* The runtime API refuses the response: an error, not retried. */
	assert_int_equal(run(evs, 1, 1, 3, 400, &s, &err), SD_ERR_IO);
	assert_non_null(strstr(sd_error_text(&err), "HTTP status 400"));
	assert_non_null(strstr(sd_error_text(&err), "InvalidRequestID"));
	assert_int_equal(s->nposts, 1);
	srv_free(s);
	sd_error_clear(&err);
	/* A 4xx on /next is not retried. */
	assert_int_equal(run(forbidden, 1, 1, 3, 0, &s, &err), SD_ERR_INVALID);
	assert_int_equal(s->ngets, 1);
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_limits(void **state)
{
	static char longhdr[SD_LAMBDA_MAX_HEADER_LINE + 200];
	struct ev evs[2];
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;
	int n;

	(void)state;
	memset(evs, 0, sizeof(evs));
	/* A body over 6 MiB + slack. */
	evs[0].id = "big";
	evs[0].big = SD_LAMBDA_MAX_BODY + 1;
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), SD_ERR_LIMIT);
	assert_int_equal(s->nposts, 0);
	srv_free(s);
	sd_error_clear(&err);

	/* Exactly at the cap is read (and is not JSON: all spaces). */
	evs[0].big = SD_LAMBDA_MAX_BODY;
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "big", "error", "InvalidEventPayload");
	srv_free(s);
	sd_error_clear(&err);

	/* A header line over the cap. */
	n = snprintf(longhdr, sizeof(longhdr), "HTTP/1.1 200 OK\r\n"
	    "Lambda-Runtime-Aws-Request-Id: x\r\nX-Long: ");
	memset(longhdr + n, 'a', SD_LAMBDA_MAX_HEADER_LINE);
	memcpy(longhdr + n + SD_LAMBDA_MAX_HEADER_LINE,
	    "\r\nContent-Length: 2\r\n\r\n{}", 26);
	memset(evs, 0, sizeof(evs));
	evs[0].raw = longhdr;
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), SD_ERR_LIMIT);
	assert_int_equal(s->nposts, 0);
	srv_free(s);
	sd_error_clear(&err);

	/* A response over Lambda's 6 MiB goes to /error instead. */
	memset(evs, 0, sizeof(evs));
	evs[0].id = "huge";
	evs[0].body = "{\"Task\":\"Boom\",\"Input\":{\"How\":\"huge\"}}";
	assert_int_equal(run(evs, 1, 1, 0, 0, &s, &err), 0);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "huge", "error",
	    "Function.ResponseSizeTooLarge");
	srv_free(s);
	sd_error_clear(&err);
}

static void
test_hostile_headers(void **state)
{
	static const char *raws[] = {
		/* two request ids */
		"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\n"
		"lambda-runtime-aws-request-id: b\r\nContent-Length: 2\r\n\r\n{}",
		/* a deadline that is not a number */
		"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: a\r\n"
		"Lambda-Runtime-Deadline-Ms: soon\r\nContent-Length: 2\r\n\r\n{}",
	};
	struct ev evs[1];
	struct sd_error err = SD_ERROR_INIT;
	struct srv *s = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		memset(evs, 0, sizeof(evs));
		evs[0].raw = raws[i];
		assert_int_not_equal(run(evs, 1, 1, 0, 0, &s, &err), 0);
		assert_int_equal(s->nposts, 0);
		srv_free(s);
		sd_error_clear(&err);
	}
}

static void
test_endpoint(void **state)
{
	static const struct ev evs[] = {
		{ "env", "{\"Task\":\"Hello\",\"Input\":{\"Greeting\":\"E\"}}", 0,
		    NULL, 0 },
	};
	struct step_lambda_opts o;
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = machine();
	struct srv *s;
	int fd, port;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.max_invocations = 1;

	/* From the environment. */
	s = srv_start(evs, 1);
	assert_int_equal(setenv("AWS_LAMBDA_RUNTIME_API", s->api, 1), 0);
	assert_int_equal(step_lambda_run(m, &o, &err), 0);
	srv_stop(s);
	assert_int_equal(s->nposts, 1);
	assert_post(&s->posts[0], "env", "response", NULL);
	srv_free(s);

	/* Not set. */
	assert_int_equal(unsetenv("AWS_LAMBDA_RUNTIME_API"), 0);
	assert_int_equal(step_lambda_run(m, &o, &err), SD_ERR_INVALID);
	sd_error_clear(&err);

	/* Anything that would change the URL's shape. */
	o.runtime_api = "127.0.0.1:9001/evil?";
	assert_int_equal(step_lambda_run(m, &o, &err), SD_ERR_INVALID);
	sd_error_clear(&err);
	o.runtime_api = "user@127.0.0.1:9001";
	assert_int_equal(step_lambda_run(m, &o, &err), SD_ERR_INVALID);
	sd_error_clear(&err);

	/* Nobody listening: a network error, after the retries. */
	fd = listen_any(&port);
	close(fd);
	{
		char api[64];

		snprintf(api, sizeof(api), "127.0.0.1:%d", port);
		o.runtime_api = api;
		o.max_retries = 2;
		assert_int_equal(step_lambda_run(m, &o, &err), SD_ERR_IO);
		assert_non_null(strstr(sd_error_text(&err),
		    "/2018-06-01/runtime/invocation/next"));
		sd_error_clear(&err);
	}
	step_machine_free(m);
}

static void
test_init_error(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_lambda_opts o;
	struct srv *s;

	(void)state;
	s = srv_start(NULL, 0);
	assert_int_equal(step_lambda_init_error(s->api, "Config.Bad",
	    "the machine did not load", &err), 0);
	/* No machine: init/error, before any /next. */
	memset(&o, 0, sizeof(o));
	o.runtime_api = s->api;
	assert_int_equal(step_lambda_run(NULL, &o, &err), SD_ERR_INVALID);
	sd_error_clear(&err);
	srv_stop(s);
	assert_int_equal(s->ngets, 0);
	assert_int_equal(s->nposts, 2);
	assert_string_equal(s->posts[0].path, "/2018-06-01/runtime/init/error");
	assert_string_equal(s->posts[0].errtype, "Config.Bad");
	assert_json_text(s->posts[0].body, "{\"errorType\":\"Config.Bad\","
	    "\"errorMessage\":\"the machine did not load\"}");
	assert_string_equal(s->posts[1].path, "/2018-06-01/runtime/init/error");
	assert_string_equal(s->posts[1].errtype, "Runtime.InitError");
	srv_free(s);
}

/* TaskFn states run locally go through the same handlers. */
static void
test_taskfn_local(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m = machine();
	struct step_result *res = NULL;
	json_t *in = J("{\"Greeting\":\"Local\"}");

	(void)state;
	assert_int_equal(step_execute(m, in, NULL, &res, &err), 0);
	assert_int_equal(step_result_status(res), STEP_SUCCEEDED);
	assert_string_equal(json_string_value(json_object_get(
	    step_result_output(res), "Message")), "Local, World");
	step_result_free(res);
	json_decref(in);
	step_machine_free(m);
}

/* ------------------------------------------------------------ parser tests */

#define ID_A	"Lambda-Runtime-Aws-Request-Id: a\r\n"
#define ID_Y	"Lambda-Runtime-Aws-Request-Id: y\r\n"
#define ID_NUL	"Lambda-Runtime-Aws-Request-Id: a\0b\r\n"

static int
parse(long status, const char *h, const char *body,
    struct sd_lambda_invocation *inv, struct sd_error *err)
{
	return sd_lambda_parse_next(status, h, strlen(h), body,
	    body != NULL ? strlen(body) : 0, inv, err);
}

static void
test_parse_ok(void **state)
{
	struct sd_lambda_invocation inv;
	struct sd_error err = SD_ERROR_INIT;
	json_t *ctx;

	(void)state;
	assert_int_equal(parse(200, "HTTP/1.1 200 OK\r\n"
	    "lambda-runtime-aws-request-id:   abc-1  \r\n"
	    "LAMBDA-RUNTIME-DEADLINE-MS:\t42\r\n"
	    "Lambda-Runtime-Invoked-Function-Arn: " ARN "\r\n"
	    "Lambda-Runtime-Trace-Id: " TRACE "\r\n"
	    "X-Other: caf\xc3\xa9\r\n\r\n", "[1]", &inv, &err), 0);
	assert_string_equal(inv.request_id, "abc-1");
	assert_true(inv.deadline_ms == 42);
	assert_string_equal(inv.function_arn, ARN);
	assert_string_equal(inv.trace_id, TRACE);
	assert_non_null(inv.event);
	assert_null(inv.event_error);
	ctx = sd_lambda_context(&inv);
	assert_non_null(ctx);
	assert_json_value(ctx, "{\"AwsRequestId\":\"abc-1\","
	    "\"DeadlineMs\":42,\"InvokedFunctionArn\":\"" ARN "\"}");
	json_decref(ctx);
	sd_lambda_invocation_free(&inv);

	/* Bare LF, no status line, only the id: the rest is left out. */
	assert_int_equal(parse(200, "Lambda-Runtime-Aws-Request-Id: x\n", "null",
	    &inv, &err), 0);
	assert_true(inv.deadline_ms == -1);
	assert_null(inv.function_arn);
	assert_null(inv.trace_id);
	assert_true(json_is_null(inv.event));
	ctx = sd_lambda_context(&inv);
	assert_json_value(ctx, "{\"AwsRequestId\":\"x\"}");
	json_decref(ctx);
	sd_lambda_invocation_free(&inv);

	/* Several blocks: the last one counts. */
	assert_int_equal(parse(200, "HTTP/1.1 100 Continue\r\n"
	    "Lambda-Runtime-Aws-Request-Id: first\r\n\r\n"
	    "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: second\r\n\r\n",
	    "{}", &inv, &err), 0);
	assert_string_equal(inv.request_id, "second");
	sd_lambda_invocation_free(&inv);

	/* A body that is not JSON still parses, with the reason. */
	assert_int_equal(parse(200, "Lambda-Runtime-Aws-Request-Id: y\r\n",
	    "nope", &inv, &err), 0);
	assert_null(inv.event);
	assert_non_null(inv.event_error);
	assert_non_null(strstr(inv.event_error, "not valid JSON"));
	sd_lambda_invocation_free(&inv);
	assert_int_equal(sd_lambda_parse_next(200,
	    ID_Y, sizeof(ID_Y) - 1, NULL, 0, &inv, &err), 0);
	assert_null(inv.event);
	assert_non_null(inv.event_error);
	sd_lambda_invocation_free(&inv);
	sd_lambda_invocation_free(NULL);
}

static void
test_parse_bad(void **state)
{
	static const struct {
		long		 status;
		const char	*h;
		int		 code;
	} cases[] = {
		{ 500, "Lambda-Runtime-Aws-Request-Id: a\r\n", SD_ERR_IO },
		{ 404, "Lambda-Runtime-Aws-Request-Id: a\r\n", SD_ERR_INVALID },
		{ 202, "Lambda-Runtime-Aws-Request-Id: a\r\n", SD_ERR_INVALID },
		{ 200, "", SD_ERR_INVALID },
		{ 200, "HTTP/1.1 200 OK\r\n\r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\nno colon\r\n",
		    SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id : a\r\n", SD_ERR_PARSE },
		{ 200, ": a\r\n", SD_ERR_PARSE },
		{ 200, "X-A: 1\r\n folded\r\nLambda-Runtime-Aws-Request-Id: a\r\n",
		    SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\rb\r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\x01\r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\x7f\r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Aws-Request-Id: a\r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: \r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a b\r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: ..\r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a/../b\r\n",
		    SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Deadline-Ms: -1\r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Deadline-Ms: 1e3\r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Deadline-Ms: \r\n", SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Deadline-Ms: 9999999999999999999\r\n",
		    SD_ERR_PARSE },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Deadline-Ms: 1\r\n"
		    "Lambda-Runtime-Deadline-Ms: 1\r\n", SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Invoked-Function-Arn: caf\xc3\xa9\r\n",
		    SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Trace-Id: 1\r\nLambda-Runtime-Trace-Id: 2\r\n",
		    SD_ERR_INVALID },
		{ 200, "Lambda-Runtime-Aws-Request-Id: a\r\n"
		    "Lambda-Runtime-Trace-Id:\r\n", SD_ERR_INVALID },
	};
	struct sd_lambda_invocation inv;
	struct sd_error err = SD_ERROR_INIT;
	char *big;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = parse(cases[i].status, cases[i].h, "{}", &inv, &err);
		if (r != cases[i].code)
			fail_msg("case %zu: got %d, want %d (%s)", i, r,
			    cases[i].code, sd_error_text(&err));
		assert_null(inv.event);
		assert_null(inv.function_arn);
		assert_int_equal(inv.request_id[0], '\0');
		sd_error_clear(&err);
	}

	/* A NUL inside the header block. */
	assert_int_equal(sd_lambda_parse_next(200, ID_NUL, sizeof(ID_NUL) - 1,
	    "{}", 2, &inv, &err), SD_ERR_PARSE);
	sd_error_clear(&err);

	/* Limits: a line, the block, the body. */
	big = malloc(SD_LAMBDA_MAX_BODY + 2);
	assert_non_null(big);
	memset(big, 'a', SD_LAMBDA_MAX_BODY + 1);
	memcpy(big, "X-Long: ", 8);
	big[SD_LAMBDA_MAX_HEADER_LINE + 1] = '\0';
	assert_int_equal(parse(200, big, "{}", &inv, &err), SD_ERR_LIMIT);
	sd_error_clear(&err);
	big[SD_LAMBDA_MAX_HEADER_LINE] = '\0';	/* exactly at the cap: fine */
	assert_int_equal(parse(200, big, "{}", &inv, &err), SD_ERR_INVALID);
	sd_error_clear(&err);
	assert_int_equal(sd_lambda_parse_next(200, big,
	    SD_LAMBDA_MAX_HEADERS + 1, "{}", 2, &inv, &err), SD_ERR_LIMIT);
	sd_error_clear(&err);
	memset(big, ' ', SD_LAMBDA_MAX_BODY + 1);
	assert_int_equal(sd_lambda_parse_next(200, ID_A, sizeof(ID_A) - 1, big,
	    SD_LAMBDA_MAX_BODY + 1, &inv, &err), SD_ERR_LIMIT);
	sd_error_clear(&err);
	free(big);
}

static void
test_token_and_payload(void **state)
{
	char hdr[SD_LAMBDA_MAX_ERROR_TYPE + 1], small[4];
	char *body = NULL, *longtype;

	(void)state;
	assert_true(sd_lambda_token_ok("a", 1));
	assert_true(sd_lambda_token_ok("...a", 4));
	assert_true(sd_lambda_token_ok("A-z_0.9", 7));
	assert_false(sd_lambda_token_ok("", 0));
	assert_false(sd_lambda_token_ok(NULL, 0));
	assert_false(sd_lambda_token_ok("...", 3));
	assert_false(sd_lambda_token_ok("a+b", 3));
	assert_false(sd_lambda_token_ok("a\0b", 3));

	assert_int_equal(sd_lambda_error_payload(NULL, NULL, &body, hdr,
	    sizeof(hdr)), 0);
	assert_string_equal(hdr, "States.TaskFailed");
	assert_json_text(body, "{\"errorType\":\"States.TaskFailed\","
	    "\"errorMessage\":\"\"}");
	free(body);

	longtype = malloc(1000);
	assert_non_null(longtype);
	memset(longtype, 'E', 999);
	longtype[999] = '\0';
	assert_int_equal(sd_lambda_error_payload(longtype, "m", &body, hdr,
	    sizeof(hdr)), 0);
	assert_int_equal(strlen(hdr), SD_LAMBDA_MAX_ERROR_TYPE);
	assert_non_null(strstr(body, longtype));	/* the body has it all */
	free(body);
	assert_int_equal(sd_lambda_error_payload(longtype, "m", &body, small,
	    sizeof(small)), 0);
	assert_string_equal(small, "EEE");
	free(body);
	free(longtype);
	assert_int_equal(sd_lambda_error_payload("a", "b", &body, small, 1),
	    SD_ERR_INTERNAL);
	assert_null(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success),
		cmocka_unit_test(test_unknown_task),
		cmocka_unit_test(test_no_task),
		cmocka_unit_test(test_handler_failure),
		cmocka_unit_test(test_invalid_event),
		cmocka_unit_test(test_bad_request_id),
		cmocka_unit_test(test_max_invocations),
		cmocka_unit_test(test_retry_5xx),
		cmocka_unit_test(test_http_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_init_error),
		cmocka_unit_test(test_taskfn_local),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_token_and_payload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
