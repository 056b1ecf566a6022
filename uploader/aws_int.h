/*
 * aws_int.h: what aws.c (the HTTP core) shares with aws_s3.c,
 * aws_lambda.c and aws_sfn.c. Not part of the API (see sd_aws.h).
 */
#ifndef AWS_INT_H
#define AWS_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_buf.h"

#define AWS_REQ_HEADERS		8	/* headers of ours in one request */

/* One call, as the operation modules describe it. */
struct aws_req {
	enum sd_policy_service	 svc;
	const char		*op;		/* "PutObject" */
	const char		*resource;	/* for messages */
	const char		*method;	/* GET HEAD PUT POST DELETE */
	const char		*path;		/* as sent (encoded), '/'... */
	const char		*query;		/* as sent, without '?'; NULL */
	struct sd_sigv4_header	 hdrs[AWS_REQ_HEADERS];	/* signed */
	size_t			 nhdrs;
	const void		*body;		/* from memory */
	size_t			 body_len;
	int			 body_fd;	/* or from a file: -1 none */
	uint64_t		 body_fd_len;
	const char		*payload_hash;	/* hex; the file's, or NULL */
	int			 hash_only;	/* send the signer the hash,
						   not the body (S3) */
	enum sd_aws_idem	 idem;
	size_t			 max_response;	/* 0: the client's */
	/* An unsigned download: the full URL, into out_fd. */
	const char		*url;
	int			 out_fd;	/* -1: into the response body */
	uint64_t		 out_max;
};

/* The answer to the last try. */
struct aws_resp {
	long		 status;
	struct sd_buf	 body;
	char		 etag[SD_AWS_ETAG_MAX];
	char		 request_id[SD_AWS_REQUEST_ID_MAX];
	char		 error_type[SD_AWS_CODE_MAX];
	char		 last_modified[64];
	int64_t		 content_length;	/* -1: none */
	uint32_t	 retry_after_ms;
	uint64_t	 written;		/* to out_fd */
	unsigned char	 sha256[32];		/* of what went to out_fd */
};

void	 aws_req_init(struct aws_req *, enum sd_policy_service,
	    const char *op, const char *resource, const char *method);
int	 aws_req_header(struct aws_req *, const char *name, const char *value);
void	 aws_resp_init(struct aws_resp *);
void	 aws_resp_release(struct aws_resp *);

/*
 * Perform rq with retries; 0 on a 2xx answer (rs holds it), else the
 * error (st and err filled, see sd_aws.h). st is never NULL here.
 */
int	 aws_do(struct sd_aws *, const struct aws_req *rq, struct aws_resp *rs,
	    struct sd_aws_status *st, struct sd_error *err);

/* Reset st; callers pass NULL for "don't care". */
struct sd_aws_status *aws_status(struct sd_aws_status *st,
	    struct sd_aws_status *scratch);
/* Fail locally (SD_AWS_LOCAL) with a message prefixed "SVC OP RES: ". */
int	 aws_fail(struct sd_aws_status *st, struct sd_error *err, int code,
	    enum sd_policy_service svc, const char *op, const char *resource,
	    const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Percent-encode s (all but RFC 3986 unreserved, and '/' when keep_slash)
 * into out. SD_ERR_OVERFLOW when it does not fit. */
int	 aws_pct_encode(const char *s, int keep_slash, char *out, size_t len);
/* The JSON body of a 2xx answer: a new object, or SD_ERR_PARSE. */
int	 aws_json_body(const struct aws_resp *rs, json_t **out,
	    struct sd_aws_status *st, struct sd_error *err,
	    enum sd_policy_service svc, const char *op, const char *resource);
/* Copy a string member of o (if it is one) into buf (cut, NUL-ended). */
void	 aws_json_str(const json_t *o, const char *key, char *buf, size_t len);
/* Dump o compactly: new string or NULL. */
char	*aws_json_text(const json_t *o);
/* 1 when arn looks like a full ARN of that kind ("arn:...:function:N"). */
int	 aws_arn_ok(const char *arn, const char *kind);
/* The client's region / whether it allows http to loopback downloads. */
int	 aws_allow_http_loopback(const struct sd_aws *);
long	 aws_poll_interval_ms(const struct sd_aws *);
long	 aws_poll_timeout_ms(const struct sd_aws *);
size_t	 aws_response_max(const struct sd_aws *);
void	 aws_sleep_ms(long ms);
int64_t	 aws_mono_ms(void);

#endif /* AWS_INT_H */
