/*
 * sd_lambda: internals of the Lambda custom runtime (lambda.c) that are
 * worth testing and fuzzing on their own: the parser of a Runtime API
 * /next response, which reads what the network hands us, and the builders
 * of the context object and of an error payload.
 *
 * The public API (step_lambda_run, step_lambda_init_error) is in step.h.
 */
#ifndef SD_LAMBDA_H
#define SD_LAMBDA_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"

/* Lambda's limit on an invocation's payload and response: 6 MiB. */
#define SD_LAMBDA_MAX_PAYLOAD		((size_t)6 * 1024 * 1024)
/* What we accept as a response body: the payload limit plus some slack. */
#define SD_LAMBDA_MAX_BODY		(SD_LAMBDA_MAX_PAYLOAD + 64 * 1024)
/* One header line (without its CRLF) and a whole header block. */
#define SD_LAMBDA_MAX_HEADER_LINE	8192
#define SD_LAMBDA_MAX_HEADERS		(64 * 1024)
/* A request id: [A-Za-z0-9._-], 1 to 128 bytes, not "." or "..". */
#define SD_LAMBDA_MAX_REQUEST_ID	128
/* The function ARN and the trace id: printable ASCII up to this length. */
#define SD_LAMBDA_MAX_VALUE		1024
/* The errorType put in the Lambda-Runtime-Function-Error-Type header. */
#define SD_LAMBDA_MAX_ERROR_TYPE	256

/* One invocation, as read from GET /2018-06-01/runtime/invocation/next. */
struct sd_lambda_invocation {
	char	 request_id[SD_LAMBDA_MAX_REQUEST_ID + 1]; /* a safe token */
	int64_t	 deadline_ms;		/* Lambda-Runtime-Deadline-Ms; -1 if absent */
	char	*function_arn;		/* new; NULL if absent */
	char	*trace_id;		/* new; NULL if absent */
	json_t	*event;			/* new; NULL when the body is not JSON */
	char	*event_error;		/* new; why the body is not JSON, else NULL */
};

/*
 * Parse a /next response: the HTTP status, the raw header block as libcurl
 * delivers it (status lines and "Name: value" lines, CRLF or LF ended;
 * when there are several blocks the last one counts) and the body. All of
 * it is hostile: header names must be tokens, values free of control
 * characters, no line longer than SD_LAMBDA_MAX_HEADER_LINE, the headers
 * used here present at most once. Lambda-Runtime-Aws-Request-Id is
 * required and must be a safe token (it goes into URLs).
 *
 * Returns 0 with out filled (free with sd_lambda_invocation_free) — also
 * when the body is not JSON: then out->event is NULL and out->event_error
 * says why, so the caller can report it for that request id. Otherwise
 * SD_ERR_IO (status >= 500), SD_ERR_INVALID (other status, missing or
 * unsafe request id, duplicate header), SD_ERR_PARSE (malformed header),
 * SD_ERR_LIMIT (too large) or SD_ERR_NOMEM, with err filled and out empty.
 */
int	 sd_lambda_parse_next(long status, const char *headers, size_t hlen,
	    const char *body, size_t blen, struct sd_lambda_invocation *out,
	    struct sd_error *err);
/* Frees the contents and leaves *inv empty; NULL-safe. */
void	 sd_lambda_invocation_free(struct sd_lambda_invocation *inv);

/* 1 if s[0..len) is a request id safe to put in a URL path, else 0. */
int	 sd_lambda_token_ok(const char *s, size_t len);

/*
 * The context object handed to step_dispatch (new; NULL on ENOMEM):
 * {"AwsRequestId", "DeadlineMs", "InvokedFunctionArn"}, the last two only
 * when the runtime sent them.
 */
json_t	*sd_lambda_context(const struct sd_lambda_invocation *inv);

/*
 * The body of an /error POST, {"errorType": type, "errorMessage": msg}, as
 * a new string in *body (bytes that are not UTF-8 become '?'), and in hdr
 * (hdrlen bytes, at least 2) the value for the Lambda-Runtime-Function-
 * Error-Type header: type with anything but printable ASCII replaced by
 * '_', cut to SD_LAMBDA_MAX_ERROR_TYPE bytes (and to hdrlen - 1). type
 * NULL or "" means "States.TaskFailed" (as the engine names a Task failure
 * without a name), msg NULL an empty message. 0 or SD_ERR_NOMEM.
 */
int	 sd_lambda_error_payload(const char *type, const char *msg,
	    char **body, char *hdr, size_t hdrlen);

#endif /* SD_LAMBDA_H */
