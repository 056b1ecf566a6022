/*
 * stepdeploy submit --release FILE --zip FILE [--tests FILE] [--socket PATH]
 *     [--no-wait] [--json]
 * stepdeploy status [RELEASE] [--socket PATH] [--json]
 *
 * submit hands a release to the service (the validator's submit.sock)
 * and prints each step as it happens, from "received" to "deployed".
 * Exit 0 when deployed (queued, with --no-wait); 1 refused, failed or
 * rolled back; 2 bad usage; 3 the service cannot be reached. status asks
 * the uploader (deploy.sock) where releases are.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_msg.h"
#include "sd_sock.h"
#include "sd_uploader.h"
#include "sd_validator.h"

#define EXIT_UNREACHABLE	3
#define FILE_MAX		((size_t)64 << 20)

static volatile sig_atomic_t interrupted;
static const char *submitting;		/* the release id, for the note */
static volatile sig_atomic_t handed_over;

static void
on_int(int sig)
{
	static const char a[] = "\nstepdeploy submit: interrupted; the "
	    "release was not submitted whole: nothing changes\n";
	static const char b[] = "\nstepdeploy submit: interrupted; the "
	    "service goes on with the release: follow it with `stepdeploy "
	    "status ";
	(void)sig;
	interrupted = 1;
	if (!handed_over)
		(void)!write(STDERR_FILENO, a, sizeof(a) - 1);
	else {
		(void)!write(STDERR_FILENO, b, sizeof(b) - 1);
		if (submitting != NULL)
			(void)!write(STDERR_FILENO, submitting,
			    strlen(submitting));
		(void)!write(STDERR_FILENO, "`\n", 2);
	}
	_exit(130);
}

static FILE *out_fp;	/* progress: stdout, or stderr with --json */

static void
show_progress(json_t *m)
{
	const char *step = json_string_value(json_object_get(m, "step"));
	const char *detail = json_string_value(json_object_get(m, "detail"));
	const char *state = json_string_value(json_object_get(m, "state"));
	const char *phase = json_string_value(json_object_get(m, "phase"));

	if (step == NULL)
		return;
	if (state != NULL && phase != NULL) {
		/* a step of the deploy flow: its outcomes only */
		if (strcmp(phase, "intent") == 0)
			return;
		if (strcmp(phase, "done") == 0 && strcmp(step, state) == 0)
			return;		/* no word for it: an inner step */
		if (strcmp(phase, "done") != 0) {
			fprintf(out_fp, "  %s %s%s%s\n", state, phase,
			    detail != NULL && detail[0] != '\0' ? ": " : "",
			    detail != NULL ? detail : "");
			fflush(out_fp);
			return;
		}
	}
	if (detail != NULL && detail[0] != '\0' && strlen(detail) <= 160)
		fprintf(out_fp, "  %s: %s\n", step, detail);
	else
		fprintf(out_fp, "  %s\n", step);
	fflush(out_fp);
}

static void
show_findings(json_t *findings)
{
	const char *sev, *loc, *msg, *code;
	json_t *d;
	size_t i;

	json_array_foreach(findings, i, d) {
		sev = json_string_value(json_object_get(d, "severity"));
		loc = json_string_value(json_object_get(d, "location"));
		msg = json_string_value(json_object_get(d, "message"));
		code = json_string_value(json_object_get(d, "code"));
		fprintf(out_fp, "  %s%s%s: %s%s%s%s\n", sev != NULL &&
		    strcmp(sev, "WARNING") == 0 ? "warning" : "error",
		    loc != NULL ? " " : "", loc != NULL ? loc : "",
		    msg != NULL ? msg : "", code != NULL ? " (" : "",
		    code != NULL ? code : "", code != NULL ? ")" : "");
	}
}

/* Send the zip in CHUNK frames; 0, 1 when the service stopped reading
 * (its verdict then says why), or an error reading the zip. */
static int
send_zip(int sfd, int zfd, struct sd_error *err)
{
	unsigned char buf[SD_MSG_CHUNK_MAX];
	ssize_t n;

	for (;;) {
		if ((n = read(zfd, buf, sizeof(buf))) == -1) {
			if (errno == EINTR)
				continue;
			return sd_error_set(err, SD_ERR_IO, NULL, "read the "
			    "zip: %s", strerror(errno));
		}
		if (n == 0)
			return 0;
		if (sd_msg_write(sfd, SD_MSG_CHUNK, buf, (size_t)n, err) != 0)
			return 1;
	}
}

static int
submit_usage(FILE *fp)
{
	fprintf(fp, "usage: stepdeploy submit --release FILE --zip FILE "
	    "[--tests FILE]\n"
	    "                         [--socket PATH] [--no-wait] [--json]\n"
	    "Hands a release to the deployment service (default socket %s)\n"
	    "and prints each step as it happens: received, validated, tests "
	    "passed,\nqueued, locked, uploaded, Lambda updated, version "
	    "published, state machine\nupdated, verified, deployed. "
	    "--no-wait returns once the release is queued.\n"
	    "--json prints the steps on stderr and one JSON result on stdout.\n"
	    "Exit 0 deployed (queued with --no-wait), 1 refused, failed or "
	    "rolled back,\n2 bad usage, 3 the service cannot be reached.\n",
	    SD_VALIDATOR_DEFAULT_SOCKET);
	return 0;
}

int
cmd_submit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		{ "tests", required_argument, NULL, 't' },
		{ "socket", required_argument, NULL, 's' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sd_error err = SD_ERROR_INIT;
	const char *release_path = NULL, *zip_path = NULL, *tests_path = NULL;
	const char *sock = SD_VALIDATOR_DEFAULT_SOCKET, *status, *rid = NULL;
	char *rel = NULL, *tests = NULL;
	size_t rlen = 0, tlen = 0;
	json_t *req = NULL, *m = NULL, *relj = NULL, *steps = NULL;
	struct sigaction sa;
	struct stat st;
	uint8_t type;
	int c, json = 0, wait = 1, zfd = -1, sfd = -1, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip_path = optarg; break;
		case 't': tests_path = optarg; break;
		case 's': sock = optarg; break;
		case 'n': wait = 0; break;
		case 'J': json = 1; break;
		case 'h': return submit_usage(stdout);
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("submit", "unexpected argument %s",
		    argv[optind]);
	if (release_path == NULL || zip_path == NULL)
		return cli_usage_error("submit", "--release and --zip are "
		    "required (see --help)");
	out_fp = json ? stderr : stdout;
	if (sd_read_file(release_path, FILE_MAX, &rel, &rlen, &err) != 0 ||
	    (tests_path != NULL && sd_read_file(tests_path, FILE_MAX, &tests,
	    &tlen, &err) != 0)) {
		rc = cli_usage_error("submit", "%s", sd_error_text(&err));
		goto out;
	}
	if ((zfd = open(zip_path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(zfd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = cli_usage_error("submit", "%s: %s", zip_path, zfd == -1 ||
		    errno != 0 ? strerror(errno) : "not a file");
		goto out;
	}
	/* For the messages only: the service parses it itself. */
	relj = json_loadb(rel, rlen, 0, NULL);
	rid = json_string_value(json_object_get(relj, "release_id"));
	submitting = rid;
	if ((req = json_pack("{s:s%, s:I, s:b}", "release", rel, rlen,
	    "zip_bytes", (json_int_t)st.st_size, "wait", wait)) == NULL ||
	    (tests != NULL && json_object_set_new(req, "tests",
	    json_stringn(tests, tlen)) != 0)) {
		fprintf(stderr, "stepdeploy submit: out of memory (or a file "
		    "that is not UTF-8 text)\n");
		rc = EXIT_USAGE;
		goto out;
	}
	if (sd_sock_connect(sock, 0, &sfd, &err) != 0) {
		fprintf(stderr, "stepdeploy submit: the service cannot be "
		    "reached at %s: %s\n", sock, sd_error_text(&err));
		rc = EXIT_UNREACHABLE;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_int;
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	if (!json)
		printf("submit %s to %s\n", rid != NULL ? rid : release_path,
		    sock);
	if (sd_msg_write_json(sfd, SD_MSG_SUBMIT, req, &err) == 0 &&
	    send_zip(sfd, zfd, &err) < 0) {
		fprintf(stderr, "stepdeploy submit: %s\n", sd_error_text(&err));
		goto out;
	}
	sd_error_clear(&err);
	handed_over = 1;
	for (;;) {
		json_decref(m);
		m = NULL;
		if (sd_msg_read_json(sfd, 0, &type, &m, &err) != 0) {
			fprintf(stderr, "stepdeploy submit: the service closed "
			    "the connection before its verdict (%s)%s%s%s\n",
			    sd_error_text(&err), rid != NULL ? ": see "
			    "`stepdeploy status " : "", rid != NULL ? rid : "",
			    rid != NULL ? "`" : "");
			goto out;
		}
		if (type == SD_MSG_PROGRESS) {
			show_progress(m);
			if (json && (steps != NULL || (steps = json_array()) !=
			    NULL))
				(void)json_array_append(steps, m);
			continue;
		}
		break;
	}
	if (type == SD_MSG_ERROR) {
		fprintf(stderr, "stepdeploy submit: refused: %s\n",
		    json_string_value(json_object_get(m, "message")));
		goto out;
	}
	if (type != SD_MSG_SUBMIT_RESULT) {
		fprintf(stderr, "stepdeploy submit: the service answered %s\n",
		    sd_msg_type_name(type));
		goto out;
	}
	status = json_string_value(json_object_get(m, "status"));
	if (status == NULL)
		status = "Failed";
	show_findings(json_object_get(m, "findings"));
	if (strcmp(status, "Deployed") == 0 || (!wait &&
	    strcmp(status, "Queued") == 0))
		rc = 0;
	if (json) {
		if (steps == NULL)
			steps = json_array();
		(void)json_object_set(m, "steps", steps);
		if (cli_print_json(m, 0) != 0)
			rc = 1;
	} else {
		const char *e = json_string_value(json_object_get(m, "error"));
		const char *cause = json_string_value(json_object_get(m,
		    "cause"));
		const char *ver = json_string_value(json_object_get(m,
		    "lambda_version"));

		if (strcmp(status, "Deployed") == 0)
			printf("deployed %s%s%s%s\n", rid != NULL ? rid : "",
			    ver != NULL ? " (Lambda version " : "",
			    ver != NULL ? ver : "", ver != NULL ? ")" : "");
		else if (strcmp(status, "Queued") == 0)
			printf("queued %s: follow it with `stepdeploy status "
			    "%s`\n", rid != NULL ? rid : "", rid != NULL ? rid :
			    "");
		else {
			char low[32];
			size_t i;

			for (i = 0; status[i] != '\0' && i < sizeof(low) - 1;
			    i++)
				low[i] = (char)(status[i] >= 'A' && status[i] <=
				    'Z' ? status[i] - 'A' + 'a' : status[i]);
			low[i] = '\0';
			printf("%s %s\n", low, rid != NULL ? rid : "");
			if (e != NULL)
				fprintf(stderr, "stepdeploy submit: %s%s%s\n",
				    e, cause != NULL ? ": " : "", cause != NULL ?
				    cause : "");
		}
	}
 out:
	fflush(stdout);
	if (sfd != -1)
		(void)close(sfd);
	if (zfd != -1)
		(void)close(zfd);
	json_decref(relj);
	json_decref(steps);
	json_decref(req);
	json_decref(m);
	free(rel);
	free(tests);
	sd_error_clear(&err);
	return rc;
}

/* One request to deploy.sock; *reply new. Exit status on failure. */
int
cli_service_call(const char *cmd, const char *sock, uint8_t type, json_t *req,
    uint8_t want, json_t **reply)
{
	struct sd_error err = SD_ERROR_INIT;
	int fd = -1, rc = 0;

	*reply = NULL;
	if (sd_sock_connect(sock, 30000, &fd, &err) != 0) {
		fprintf(stderr, "stepdeploy %s: the service cannot be reached "
		    "at %s: %s\n", cmd, sock, sd_error_text(&err));
		rc = EXIT_UNREACHABLE;
	} else if (sd_msg_write_json(fd, type, req, &err) != 0 ||
	    sd_msg_expect_json(fd, want, reply, &err) != 0) {
		fprintf(stderr, "stepdeploy %s: %s\n", cmd, sd_error_text(&err));
		rc = 1;
	}
	if (fd != -1)
		(void)close(fd);
	sd_error_clear(&err);
	return rc;
}

static void
fmt_ms(json_t *v, char *buf, size_t len)
{
	json_int_t ms = json_integer_value(v);

	if (!json_is_integer(v) || ms <= 0) {
		(void)snprintf(buf, len, "-");
		return;
	}
	sd_lock_fmt_utc((int64_t)(ms / 1000), SD_LOCK_RFC3339, buf, len);
}

int
cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = SD_UPLOADER_DEFAULT_SOCKET;
	json_t *req = NULL, *reply = NULL, *r;
	char q[40], s[40], e[40];
	size_t i;
	int c, json = 0, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'J': json = 1; break;
		case 'h':
			printf("usage: stepdeploy status [RELEASE] [--socket "
			    "PATH] [--json]\nWhere the service's releases are "
			    "(queued, running and at which step, done and\n"
			    "how), with their times; the socket is the "
			    "uploader's (default %s).\n",
			    SD_UPLOADER_DEFAULT_SOCKET);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("status", "at most one RELEASE");
	req = argc - optind == 1 ? json_pack("{s:s}", "release_id",
	    argv[optind]) : json_object();
	if ((rc = cli_service_call("status", sock, SD_MSG_STATUS, req,
	    SD_MSG_STATUS_RESULT, &reply)) != 0)
		goto out;
	if (json) {
		rc = cli_print_json(reply, 0) == 0 ? 0 : 1;
		goto out;
	}
	if (json_array_size(json_object_get(reply, "releases")) == 0) {
		printf("no release%s%s\n", argc - optind == 1 ? " " : "",
		    argc - optind == 1 ? argv[optind] : "");
		rc = argc - optind == 1 ? 1 : 0;
		goto out;
	}
	printf("%-24s %-28s %-9s %-22s %-20s %-20s %s\n", "RELEASE", "CONFIG",
	    "STATE", "STEP/RESULT", "QUEUED", "STARTED", "ENDED");
	json_array_foreach(json_object_get(reply, "releases"), i, r) {
		const char *state = json_string_value(json_object_get(r,
		    "state"));
		const char *what = state != NULL && strcmp(state, "done") == 0 ?
		    json_string_value(json_object_get(json_object_get(r,
		    "result"), "status")) : json_string_value(json_object_get(r,
		    "step"));
		char cfg[160];

		(void)snprintf(cfg, sizeof(cfg), "%s/%s", json_string_value(
		    json_object_get(r, "project")), json_string_value(
		    json_object_get(r, "config")));
		fmt_ms(json_object_get(r, "queued_at"), q, sizeof(q));
		fmt_ms(json_object_get(r, "started_at"), s, sizeof(s));
		fmt_ms(json_object_get(r, "ended_at"), e, sizeof(e));
		printf("%-24s %-28s %-9s %-22s %-20s %-20s %s\n",
		    json_string_value(json_object_get(r, "release_id")), cfg,
		    state != NULL ? state : "?", what != NULL ? what : "-", q,
		    s, e);
	}
	rc = 0;
 out:
	json_decref(req);
	json_decref(reply);
	return rc;
}
