/*
 * hello-world: the Task handler of the hello-world example.
 *
 * Reads one JSON object on stdin (the Task's input, e.g. {"Greeting": ""})
 * and prints it on stdout with "Greeting" set to "Hello World" when the key
 * is missing, null or the empty string; any other string is kept as is.
 *
 * Bad input (not JSON, not an object, a Greeting that is not a string)
 * prints {"errorType":"InvalidInput","errorMessage":"..."} on stdout and
 * exits 1: the shape stepdeploy's --handler reads a Task failure from.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_json.h"

/* Step Functions' limit on a state's input: 256 KiB. */
#define HELLO_MAX_INPUT		(256 * 1024)
#define HELLO_GREETING		"Hello World"

/* Read all of fd into b (whose max bounds the size). */
static int
read_all(int fd, struct sd_buf *b, struct sd_error *err)
{
	char chunk[8192];
	ssize_t n;
	int r;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return sd_error_set(err, SD_ERR_IO, NULL,
			    "cannot read stdin: %s", strerror(errno));
		}
		if ((r = sd_buf_append(b, chunk, (size_t)n)) != 0) {
			if (r == SD_ERR_OVERFLOW)
				return sd_error_set(err, r, NULL,
				    "input is larger than %d bytes",
				    HELLO_MAX_INPUT);
			return sd_error_set(err, r, NULL, "out of memory");
		}
	}
	return 0;
}

/*
 * Set Greeting on obj (borrowed) when it is missing, null or "".
 * 0, or SD_ERR_* with err filled.
 */
static int
greet(json_t *obj, struct sd_error *err)
{
	json_t *g;

	if (!json_is_object(obj))
		return sd_error_set(err, SD_ERR_TYPE, NULL,
		    "input must be a JSON object, not %s",
		    sd_json_type_name(obj));
	g = json_object_get(obj, "Greeting");
	if (g != NULL && !json_is_null(g) && !json_is_string(g))
		return sd_error_set(err, SD_ERR_TYPE, NULL,
		    "Greeting must be a string, not %s", sd_json_type_name(g));
	if (g == NULL || json_is_null(g) || json_string_length(g) == 0) {
		if (json_object_set_new(obj, "Greeting",
		    json_string(HELLO_GREETING)) != 0)
			return sd_error_set(err, SD_ERR_NOMEM, NULL,
			    "out of memory");
	}
	return 0;
}

/* Print v (borrowed) as one compact line on stdout. */
static int
print_json(const json_t *v)
{
	char *s = NULL;
	int r = SD_ERR_NOMEM;

	if ((s = sd_json_dumps(v, 0)) == NULL)
		goto out;
	if (printf("%s\n", s) < 0 || fflush(stdout) != 0) {
		r = SD_ERR_IO;
		goto out;
	}
	r = 0;
 out:
	free(s);
	return r;
}

/* Print the failure as {"errorType","errorMessage"} on stdout. */
static void
print_failure(const char *type, const char *message)
{
	json_t *e = NULL;

	e = json_pack("{s:s, s:s}", "errorType", type, "errorMessage",
	    message != NULL ? message : "");
	if (e == NULL || print_json(e) != 0)
		fprintf(stderr, "hello-world: %s: %s\n", type,
		    message != NULL ? message : "");
	json_decref(e);
}

int
main(void)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_buf in;
	json_t *obj = NULL;
	int status = 1;

	sd_buf_init(&in, HELLO_MAX_INPUT);
	if (read_all(STDIN_FILENO, &in, &err) != 0)
		goto fail;
	obj = sd_json_loadb(in.data != NULL ? in.data : "", in.len,
	    JSON_REJECT_DUPLICATES, "input", &err);
	if (obj == NULL)
		goto fail;
	if (greet(obj, &err) != 0)
		goto fail;
	if (print_json(obj) != 0) {
		fprintf(stderr, "hello-world: cannot write the output\n");
		goto out;
	}
	status = 0;
	goto out;
 fail:
	print_failure(err.code == SD_ERR_NOMEM || err.code == SD_ERR_IO ?
	    "InternalError" : "InvalidInput", err.message);
 out:
	json_decref(obj);
	sd_buf_release(&in);
	sd_error_clear(&err);
	return status;
}
