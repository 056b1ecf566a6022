/*
 * sd_sigv4: AWS Signature Version 4 (AWS4-HMAC-SHA256), in the Authorization
 * header form and the presigned query-string form.
 *
 * Built for the privileged signer: it takes the parts of one request
 * (method, host, path and query as sent, the headers to sign, the body or
 * its hash) and builds the canonical request itself; it never signs an
 * opaque digest. It follows AWS's rules and reproduces every case of AWS's
 * test suite (aws-c-auth tests/aws-signing-test-suite/v4), both forms:
 *
 *  - canonical URI: the path as sent, normalised when asked (remove "." and
 *    ".." segments, collapse duplicate slashes; not for S3), then each byte
 *    that is not RFC 3986 unreserved or '/' percent-encoded (%XX, upper
 *    case). For every service but S3 this encodes the already encoded path
 *    a second time ("double" encoding); for S3 (double_encode 0) the path
 *    is percent-decoded first, so it ends up encoded exactly once.
 *  - canonical query: name=value pairs split on '&' (empty pairs dropped,
 *    a missing '=' gives "name="), each name and value percent-decoded and
 *    re-encoded (unreserved kept, everything else %XX; '+' is a literal
 *    plus), sorted by name then value.
 *  - canonical headers: lower-case names, values trimmed with runs of
 *    white space (and folded continuation lines) collapsed to one space,
 *    several headers of one name joined with ',' in request order, sorted
 *    by name; hop-by-hop headers and User-Agent / X-Amzn-Trace-Id are not
 *    signed (proxies change them).
 *  - payload hash: UNSIGNED-PAYLOAD, the given hash, or SHA-256 of the body.
 *
 * Signing keys (kDate/kRegion/kService/kSigning) are cached in the signer
 * per (date, region, service, secret), keyed by an HMAC fingerprint of the
 * secret under a random per-signer key; the cache is wiped on free. The
 * secret itself is only read from the caller's memory (which the signer
 * daemon takes from sodium_malloc) and copied only to stack buffers that
 * are wiped before returning.
 *
 * A struct sd_sigv4_signer is not thread-safe: use one per thread.
 */
#ifndef SD_SIGV4_H
#define SD_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "sd_err.h"

/* Hard limits; anything larger is refused with SD_ERR_LIMIT. */
#define SD_SIGV4_MAX_HEADERS	64		/* headers in one request */
#define SD_SIGV4_MAX_LINE	8192		/* one header, continuations included */
#define SD_SIGV4_MAX_NAME	256		/* a header name */
#define SD_SIGV4_MAX_TARGET	8192		/* the path, and the query, each */
#define SD_SIGV4_MAX_QUERY_PARAMS 256		/* name=value pairs in the query */
#define SD_SIGV4_MAX_BODY	(16 * 1024 * 1024)	/* body read by _parse */
#define SD_SIGV4_MAX_SECRET	256		/* secret access key */
#define SD_SIGV4_MAX_TOKEN	8192		/* session token */
#define SD_SIGV4_MAX_ID		128		/* access key id */
#define SD_SIGV4_MAX_SCOPE_PART	64		/* region, service */
#define SD_SIGV4_MAX_EXPIRES	604800		/* presigned URLs: 7 days */

#define SD_SIGV4_HASH_HEX	64		/* hex SHA-256 / signature */
#define SD_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SD_SIGV4_ALGORITHM	"AWS4-HMAC-SHA256"

/* One header. Strings are not NUL-terminated unless said so. */
struct sd_sigv4_header {
	const char	*name;
	size_t		 name_len;
	const char	*value;		/* as sent: may hold folded lines */
	size_t		 value_len;
};

/*
 * One HTTP request, as parts. Every pointer is borrowed: the caller (or
 * sd_sigv4_request_parse, for requests it makes) owns the memory.
 *  - path: the path as sent on the wire ("/a%20b"), starting with '/'
 *    (empty means "/"); query: what follows '?', without it (NULL or
 *    empty: none).
 *  - host: the Host the request goes to. When the headers hold a Host
 *    header it must agree; when they do not, "host" is still signed.
 *  - headers: in request order; names of any case; duplicates allowed.
 *  - payload_hash: NUL-terminated 64 lower-case hex digits, or NULL to hash
 *    body. When both are given they must agree (the signer checks).
 */
struct sd_sigv4_request {
	const char	*method;
	size_t		 method_len;
	const char	*host;
	size_t		 host_len;
	const char	*path;
	size_t		 path_len;
	const char	*query;
	size_t		 query_len;
	const struct sd_sigv4_header *headers;
	size_t		 nheaders;
	const void	*body;		/* may be NULL when body_len is 0 */
	size_t		 body_len;
	const char	*payload_hash;
};

/*
 * Credentials, all borrowed and NUL-terminated. secret points into memory
 * the caller protects (sodium_malloc in the daemon); this module never
 * copies it to the heap. session_token is NULL when there is none.
 */
struct sd_sigv4_credentials {
	const char	*access_key_id;
	const char	*secret;
	size_t		 secret_len;
	const char	*session_token;
};

/*
 * What to sign with. Start from sd_sigv4_params_init(), which sets the
 * defaults of every AWS service but S3 (normalize_path and double_encode
 * on, everything else off, expires 3600).
 *  - time: signing time, seconds since the epoch (UTC, years 1970-9999).
 *  - normalize_path: remove "."/".." segments and duplicate slashes
 *    (off for S3).
 *  - double_encode: encode the path as sent once more (off for S3: the
 *    path is decoded, then encoded once).
 *  - sign_body: add x-amz-content-sha256 = the payload hash and sign it
 *    (header form only; S3 requires it).
 *  - unsigned_payload: the payload hash is UNSIGNED-PAYLOAD (S3); in the
 *    header form it is sent as x-amz-content-sha256.
 *  - omit_session_token: send X-Amz-Security-Token but leave it out of the
 *    signature (added after signing, as some services want).
 *  - query: presigned-URL form; expires: X-Amz-Expires, 1..604800 s.
 */
struct sd_sigv4_params {
	const char	*region;
	const char	*service;
	int64_t		 time;
	int		 normalize_path;
	int		 double_encode;
	int		 sign_body;
	int		 unsigned_payload;
	int		 omit_session_token;
	int		 query;
	int64_t		 expires;
};

#define SD_SIGV4_MAX_ADDED	4

/*
 * The result of one signature. Every string is NUL-terminated and borrowed
 * from the signer: valid until its next sd_sigv4_sign() or its free.
 *  - add: the headers to append to the request, in this order:
 *    X-Amz-Security-Token, X-Amz-Date, x-amz-content-sha256,
 *    Authorization (header form; each only when it applies). In the query
 *    form nadd is 0.
 *  - query: the query string to send in the query form (the request's own
 *    query, then X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,
 *    -Expires, -Security-Token, -Signature), without '?'; NULL in the
 *    header form.
 */
struct sd_sigv4_result {
	const char	*canonical_request;
	size_t		 canonical_request_len;
	const char	*string_to_sign;
	size_t		 string_to_sign_len;
	const char	*signed_headers;	/* "host;x-amz-date" */
	const char	*credential_scope;	/* "20150830/us-east-1/service/aws4_request" */
	const char	*amz_date;		/* "20150830T123600Z" */
	const char	*payload_hash;
	const char	*authorization;		/* header form; else NULL */
	char		 signature[SD_SIGV4_HASH_HEX + 1];
	struct sd_sigv4_header add[SD_SIGV4_MAX_ADDED];
	size_t		 nadd;
	const char	*query;
	size_t		 query_len;
};

struct sd_sigv4_signer;

/* New signer (key cache + scratch buffers); NULL on ENOMEM. */
struct sd_sigv4_signer *sd_sigv4_signer_new(void);
/* Wipes the key cache and every buffer, then frees; NULL-safe. */
void	 sd_sigv4_signer_free(struct sd_sigv4_signer *);
/* Signing-key cache hits and misses (derivations) so far. */
void	 sd_sigv4_signer_stats(const struct sd_sigv4_signer *,
	    uint64_t *key_hits, uint64_t *key_misses);

void	 sd_sigv4_params_init(struct sd_sigv4_params *);

/*
 * Sign req. Fills out (borrowed from s, see struct sd_sigv4_result).
 * 0, or SD_ERR_INVALID (a request, credential or parameter the rules
 * refuse: e.g. a header that the signer adds itself such as Authorization
 * or X-Amz-Date, bad percent-encoding, a payload hash that does not match
 * the body, Content-Length not matching the body), SD_ERR_LIMIT, or
 * SD_ERR_NOMEM; err (may be NULL) says what and where. The secret never
 * appears in a message.
 */
int	 sd_sigv4_sign(struct sd_sigv4_signer *s,
	    const struct sd_sigv4_request *req,
	    const struct sd_sigv4_credentials *creds,
	    const struct sd_sigv4_params *params,
	    struct sd_sigv4_result *out, struct sd_error *err);

/*
 * Constant-time comparison of two hex signatures (CRYPTO_memcmp): 0 when
 * both are 64 characters and equal, SD_ERR_INVALID otherwise (also for
 * NULL). Only the lengths, which are public, may end it early.
 */
int	 sd_sigv4_verify(const char *expected_hex, const char *computed_hex);

/*
 * Parse a raw HTTP/1.1 request in the test suite's request.txt form: the
 * request line "METHOD TARGET HTTP/1.1" (TARGET may hold spaces: it runs to
 * the last space), header lines "Name:value" (continuation lines start with
 * a space or a tab), a blank line, the body (the rest, possibly empty; the
 * blank line may be missing when there is no body). Lines end with LF or
 * CRLF. Exactly one Host header is required.
 * Hostile input: at most SD_SIGV4_MAX_HEADERS headers of at most
 * SD_SIGV4_MAX_LINE bytes, a target of at most 2 * SD_SIGV4_MAX_TARGET,
 * a body of at most SD_SIGV4_MAX_BODY bytes; no NUL or control bytes in
 * the head. *out is new (free with sd_sigv4_request_free): it points into
 * its own copy of raw. 0, SD_ERR_PARSE, SD_ERR_LIMIT or SD_ERR_NOMEM (err
 * names the line).
 */
int	 sd_sigv4_request_parse(const char *raw, size_t len,
	    struct sd_sigv4_request **out, struct sd_error *err);
/* Frees a request made by sd_sigv4_request_parse (only); NULL-safe. */
void	 sd_sigv4_request_free(struct sd_sigv4_request *);

/*
 * The signed request as HTTP/1.1 text, in the form of the suite's
 * header-signed-request.txt / query-signed-request.txt: the request line
 * (in the query form its target carries res->query), the request's headers
 * as they were (name ":" value), then res->add, a blank line and the body.
 * Lines end with LF. New string (NUL-terminated; *len without the NUL, len
 * may be NULL), NULL on ENOMEM.
 */
char	*sd_sigv4_request_format(const struct sd_sigv4_request *req,
	    const struct sd_sigv4_result *res, size_t *len);

/*
 * The presigned URL of a query-form result: "https://" host path "?" query
 * (path as sent). New string, NULL on ENOMEM or when res is not a query
 * form result.
 */
char	*sd_sigv4_presigned_url(const struct sd_sigv4_request *req,
	    const struct sd_sigv4_result *res);

/*
 * A signing context in the test suite's context.json form:
 *   {"credentials": {"access_key_id", "secret_access_key", "token"?},
 *    "region", "service", "timestamp"? (RFC 3339; default: now),
 *    "expiration_in_seconds"?, "normalize"?, "sign_body"?,
 *    "omit_session_token"?,
 *    and two keys of ours: "double_uri_encode"?, "unsigned_payload"?}
 * normalize and double_uri_encode default to true, or to false when the
 * service is "s3". Unknown keys are refused. For the CLI and tests: the
 * daemon keeps its secret in sodium_malloc'd memory instead.
 * params and creds point into the context (the secret into a buffer that
 * sd_sigv4_context_free wipes; the JSON text's copy is wiped too).
 */
struct sd_sigv4_context {
	struct sd_sigv4_params		params;
	struct sd_sigv4_credentials	creds;
	void				*priv;
};

/* *out is new; 0, SD_ERR_PARSE, SD_ERR_INVALID or SD_ERR_NOMEM. */
int	 sd_sigv4_context_parse(const char *json, size_t len,
	    struct sd_sigv4_context **out, struct sd_error *err);
/* Wipes and frees; NULL-safe. */
void	 sd_sigv4_context_free(struct sd_sigv4_context *);

#endif /* SD_SIGV4_H */
