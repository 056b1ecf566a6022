/*
 * sigv4.c: AWS Signature Version 4 signing (see sd_sigv4.h for the rules).
 *
 * One sd_sigv4_sign() call:
 *   1. checks the parameters, the credentials and the request's parts;
 *   2. works out the payload hash (UNSIGNED-PAYLOAD, the given hash checked
 *      against the body, or SHA-256 of the body);
 *   3. collects the headers to sign (lower-cased names, stably sorted) and
 *      the signed-header list;
 *   4. writes the canonical request: method, canonical URI, canonical
 *      query (with the X-Amz-* parameters in the query form), canonical
 *      headers, signed headers, payload hash;
 *   5. hashes it into the string to sign and signs that with the cached
 *      signing key (kDate/kRegion/kService/kSigning derived on a miss).
 * Scratch buffers live in the signer and are reused, so a warm signer
 * does not allocate; they are wiped when they grow and on free.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_sigv4.h"

#define SBUF_MAX	((size_t)4 * 1024 * 1024)	/* any one scratch buffer */
#define CACHE_SLOTS	4
#define HASH_LEN	32
#define MAX_METHOD	32
#define MAX_HOST	255
#define MAX_HENT	(SD_SIGV4_MAX_HEADERS + 4)	/* + host, date, token, sha256 */
#define MAX_QPARAM	(SD_SIGV4_MAX_QUERY_PARAMS + 6)	/* + the X-Amz-* */
/* Signing times run to 9999: make_date needs a 64-bit time_t. */
_Static_assert(sizeof(time_t) >= 8, "time_t must be 64 bits");

#define EMPTY_SHA256	\
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A scratch buffer: grows up to SBUF_MAX, wiped when it moves or dies. */
struct sbuf {
	char	*p;
	size_t	 len;
	size_t	 cap;
	int	 err;		/* sticky: SD_ERR_NOMEM or SD_ERR_LIMIT */
};

struct hent {
	const char	*name;		/* lower case, in s->names */
	size_t		 nlen;
	const char	*value;		/* as sent */
	size_t		 vlen;
};

struct qparam {
	const char	*k;		/* encoded, in s->qenc */
	size_t		 klen;
	const char	*v;
	size_t		 vlen;
};

struct kcache {
	int		 used;
	char		 date[9];
	char		 region[SD_SIGV4_MAX_SCOPE_PART + 1];
	char		 service[SD_SIGV4_MAX_SCOPE_PART + 1];
	unsigned char	 fp[HASH_LEN];	/* HMAC(fp key, secret) */
	EVP_MAC_CTX	*mac;		/* keyed with kSigning */
};

struct sd_sigv4_signer {
	EVP_MD		*sha256;
	EVP_MAC		*hmac;
	EVP_MD_CTX	*md;
	EVP_MAC_CTX	*fp;		/* keyed with a random per-signer key */
	struct kcache	 cache[CACHE_SLOTS];
	unsigned	 next_slot;
	uint64_t	 key_hits;
	uint64_t	 key_misses;

	int64_t		 date_time;	/* time amz_date was made for */
	char		 amz_date[17];	/* 20150830T123600Z */
	char		 scope[8 + 1 + SD_SIGV4_MAX_SCOPE_PART + 1 +
			    SD_SIGV4_MAX_SCOPE_PART + 1 + 12 + 1];
	char		 payload_hash[SD_SIGV4_HASH_HEX + 1];

	struct hent	 hent[MAX_HENT];
	struct qparam	 qp[MAX_QPARAM];

	struct sbuf	 names;		/* lower-cased header names */
	struct sbuf	 npath;		/* normalised path */
	struct sbuf	 qenc;		/* encoded query names and values */
	struct sbuf	 sh;		/* signed headers */
	struct sbuf	 creq;		/* canonical request */
	struct sbuf	 sts;		/* string to sign */
	struct sbuf	 auth;		/* Authorization value */
	struct sbuf	 tok;		/* copy of the session token */
	struct sbuf	 qout;		/* query string of the query form */
};

static char digest_name[] = "SHA256";
static const char hexl[] = "0123456789abcdef";
static const char hexu[] = "0123456789ABCDEF";

/* RFC 3986 unreserved: ALPHA DIGIT - . _ ~ (a table: the hot loop). */
static const unsigned char unreserved_tab[256] = {
	['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

static int
unreserved(unsigned char c)
{
	return unreserved_tab[c];
}

/* RFC 7230 tchar. */
static int
tchar(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
tohex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexl[in[i] >> 4];
		out[2 * i + 1] = hexl[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* ------------------------------------------------------------ sbuf */

static void
sbuf_free(struct sbuf *b)
{
	if (b->p != NULL) {
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	}
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

static void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

/* Room for extra more bytes plus a NUL; never moves data later appends use. */
static int
sbuf_reserve(struct sbuf *b, size_t extra)
{
	size_t need, ncap;
	char *n;

	if (b->err != 0)
		return b->err;
	if (extra > SBUF_MAX || b->len > SBUF_MAX - extra - 1) {
		b->err = SD_ERR_LIMIT;
		return b->err;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap < 256 ? 256 : b->cap;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SBUF_MAX)
		ncap = SBUF_MAX;
	if ((n = malloc(ncap)) == NULL) {
		b->err = SD_ERR_NOMEM;
		return b->err;
	}
	if (b->p != NULL) {
		memcpy(n, b->p, b->len + 1);
		OPENSSL_cleanse(b->p, b->cap);
		free(b->p);
	} else
		n[0] = '\0';
	b->p = n;
	b->cap = ncap;
	return 0;
}

static void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_reserve(b, n) != 0)
		return;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static void
sbuf_addc(struct sbuf *b, char c)
{
	if (b->len + 1 < b->cap && b->err == 0) {
		b->p[b->len++] = c;
		b->p[b->len] = '\0';
		return;
	}
	sbuf_add(b, &c, 1);
}

/*
 * Percent-encode n bytes into b: unreserved bytes (and '/' when keep_slash)
 * as they are, the rest as %XX. With decode, the input is first
 * percent-decoded (a '%' not followed by two hex digits is an error).
 * Returns 0, SD_ERR_INVALID (bad escape), or the buffer's error.
 */
static int
sbuf_encode(struct sbuf *b, const char *in, size_t n, int keep_slash,
    int decode)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i;
	char *o;
	int hi, lo;
	unsigned char c;

	if (n > SBUF_MAX / 3) {
		b->err = SD_ERR_LIMIT;
		return b->err;
	}
	if (sbuf_reserve(b, 3 * n) != 0)
		return b->err;
	o = b->p + b->len;
	for (i = 0; i < n; i++) {
		c = s[i];
		if (decode && c == '%') {
			if (n - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return SD_ERR_INVALID;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (unreserved(c) || (keep_slash && c == '/'))
			*o++ = (char)c;
		else {
			*o++ = '%';
			*o++ = hexu[c >> 4];
			*o++ = hexu[c & 0xf];
		}
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
	return 0;
}

/* ------------------------------------------------------------ crypto */

static int
sha256_hex(struct sd_sigv4_signer *s, const void *p, size_t n, char *hex)
{
	unsigned char d[HASH_LEN];
	unsigned int dl = 0;

	if (EVP_DigestInit_ex2(s->md, s->sha256, NULL) != 1 ||
	    EVP_DigestUpdate(s->md, p, n) != 1 ||
	    EVP_DigestFinal_ex(s->md, d, &dl) != 1 || dl != HASH_LEN)
		return SD_ERR_INTERNAL;
	tohex(d, HASH_LEN, hex);
	return 0;
}

static EVP_MAC_CTX *
mac_new(struct sd_sigv4_signer *s, const unsigned char *key, size_t klen)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *c;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest_name, 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((c = EVP_MAC_CTX_new(s->hmac)) == NULL)
		return NULL;
	if (EVP_MAC_init(c, key, klen, params) != 1) {
		EVP_MAC_CTX_free(c);
		return NULL;
	}
	return c;
}

/* HMAC with the context's key (re-initialised), into out[HASH_LEN]. */
static int
mac_run(EVP_MAC_CTX *c, const void *p, size_t n, unsigned char *out)
{
	size_t ol = 0;

	if (EVP_MAC_init(c, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(c, p, n) != 1 ||
	    EVP_MAC_final(c, out, &ol, HASH_LEN) != 1 || ol != HASH_LEN)
		return SD_ERR_INTERNAL;
	return 0;
}

/* out = HMAC(key, msg), with a throw-away context. */
static int
mac_once(struct sd_sigv4_signer *s, const unsigned char *key, size_t klen,
    const void *msg, size_t mlen, unsigned char *out)
{
	EVP_MAC_CTX *c;
	size_t ol = 0;
	int r = SD_ERR_INTERNAL;

	if ((c = mac_new(s, key, klen)) == NULL)
		return SD_ERR_INTERNAL;
	if (EVP_MAC_update(c, msg, mlen) == 1 &&
	    EVP_MAC_final(c, out, &ol, HASH_LEN) == 1 && ol == HASH_LEN)
		r = 0;
	EVP_MAC_CTX_free(c);	/* OpenSSL cleanses the HMAC state */
	return r;
}

/*
 * The HMAC context keyed with kSigning for (date, region, service, the
 * secret): from the cache, or derived and cached (the oldest slot goes).
 * Borrowed from the signer.
 */
static int
signing_key(struct sd_sigv4_signer *s, const struct sd_sigv4_credentials *c,
    const char *date, const char *region, const char *service,
    EVP_MAC_CTX **out)
{
	unsigned char fp[HASH_LEN], ksecret[4 + SD_SIGV4_MAX_SECRET];
	unsigned char k1[HASH_LEN], k2[HASH_LEN];
	struct kcache *e;
	EVP_MAC_CTX *m = NULL;
	size_t i;
	int r = SD_ERR_INTERNAL;

	if ((r = mac_run(s->fp, c->secret, c->secret_len, fp)) != 0)
		return r;
	for (i = 0; i < CACHE_SLOTS; i++) {
		e = &s->cache[i];
		if (e->used && memcmp(e->date, date, 8) == 0 &&
		    strcmp(e->region, region) == 0 &&
		    strcmp(e->service, service) == 0 &&
		    CRYPTO_memcmp(e->fp, fp, HASH_LEN) == 0) {
			*out = e->mac;
			s->key_hits++;
			OPENSSL_cleanse(fp, sizeof(fp));
			return 0;
		}
	}

	/* A miss: kSecret = "AWS4" + secret, on the stack only. */
	s->key_misses++;
	memcpy(ksecret, "AWS4", 4);
	memcpy(ksecret + 4, c->secret, c->secret_len);
	if ((r = mac_once(s, ksecret, 4 + c->secret_len, date, 8, k1)) != 0 ||
	    (r = mac_once(s, k1, HASH_LEN, region, strlen(region), k2)) != 0 ||
	    (r = mac_once(s, k2, HASH_LEN, service, strlen(service), k1)) != 0 ||
	    (r = mac_once(s, k1, HASH_LEN, "aws4_request", 12, k2)) != 0)
		goto out;
	if ((m = mac_new(s, k2, HASH_LEN)) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	e = &s->cache[s->next_slot];
	s->next_slot = (s->next_slot + 1) % CACHE_SLOTS;
	EVP_MAC_CTX_free(e->mac);
	OPENSSL_cleanse(e, sizeof(*e));
	e->used = 1;
	memcpy(e->date, date, 8);
	e->date[8] = '\0';
	memcpy(e->region, region, strlen(region) + 1);
	memcpy(e->service, service, strlen(service) + 1);
	memcpy(e->fp, fp, HASH_LEN);
	e->mac = m;
	*out = m;
	r = 0;
 out:
	OPENSSL_cleanse(ksecret, sizeof(ksecret));
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	OPENSSL_cleanse(fp, sizeof(fp));
	return r;
}

/* ------------------------------------------------------------ signer */

struct sd_sigv4_signer *
sd_sigv4_signer_new(void)
{
	struct sd_sigv4_signer *s;
	unsigned char key[HASH_LEN];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->date_time = -1;
	if ((s->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (s->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL ||
	    (s->md = EVP_MD_CTX_new()) == NULL ||
	    RAND_bytes(key, sizeof(key)) != 1 ||
	    (s->fp = mac_new(s, key, sizeof(key))) == NULL) {
		OPENSSL_cleanse(key, sizeof(key));
		sd_sigv4_signer_free(s);
		return NULL;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return s;
}

void
sd_sigv4_signer_free(struct sd_sigv4_signer *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		EVP_MAC_CTX_free(s->cache[i].mac);
	EVP_MAC_CTX_free(s->fp);
	EVP_MD_CTX_free(s->md);
	EVP_MAC_free(s->hmac);
	EVP_MD_free(s->sha256);
	sbuf_free(&s->names);
	sbuf_free(&s->npath);
	sbuf_free(&s->qenc);
	sbuf_free(&s->sh);
	sbuf_free(&s->creq);
	sbuf_free(&s->sts);
	sbuf_free(&s->auth);
	sbuf_free(&s->tok);
	sbuf_free(&s->qout);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

void
sd_sigv4_signer_stats(const struct sd_sigv4_signer *s, uint64_t *hits,
    uint64_t *misses)
{
	if (hits != NULL)
		*hits = s != NULL ? s->key_hits : 0;
	if (misses != NULL)
		*misses = s != NULL ? s->key_misses : 0;
}

void
sd_sigv4_params_init(struct sd_sigv4_params *p)
{
	memset(p, 0, sizeof(*p));
	p->normalize_path = 1;
	p->double_encode = 1;
	p->expires = 3600;
}

int
sd_sigv4_verify(const char *expected_hex, const char *computed_hex)
{
	if (expected_hex == NULL || computed_hex == NULL ||
	    strnlen(expected_hex, SD_SIGV4_HASH_HEX + 1) != SD_SIGV4_HASH_HEX ||
	    strnlen(computed_hex, SD_SIGV4_HASH_HEX + 1) != SD_SIGV4_HASH_HEX)
		return SD_ERR_INVALID;
	if (CRYPTO_memcmp(expected_hex, computed_hex, SD_SIGV4_HASH_HEX) != 0)
		return SD_ERR_INVALID;
	return 0;
}

/* ------------------------------------------------------------ checks */

static int
is_lower_hex64(const char *h)
{
	size_t i;

	for (i = 0; i < SD_SIGV4_HASH_HEX; i++)
		if (!((h[i] >= '0' && h[i] <= '9') || (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	return h[i] == '\0';
}

static int
scope_part_ok(const char *p)
{
	size_t i;

	if (p == NULL)
		return 0;
	for (i = 0; p[i] != '\0'; i++) {
		if (i >= SD_SIGV4_MAX_SCOPE_PART)
			return 0;
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		    (p[i] >= 'A' && p[i] <= 'Z') ||
		    (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '-' || p[i] == '_' || p[i] == '.'))
			return 0;
	}
	return i > 0;
}

static int
check_params(const struct sd_sigv4_params *p, struct sd_error *err)
{
	if (!scope_part_ok(p->region))
		return sd_error_set(err, SD_ERR_INVALID, "region",
		    "region must be 1-%d of [A-Za-z0-9._-]",
		    SD_SIGV4_MAX_SCOPE_PART);
	if (!scope_part_ok(p->service))
		return sd_error_set(err, SD_ERR_INVALID, "service",
		    "service must be 1-%d of [A-Za-z0-9._-]",
		    SD_SIGV4_MAX_SCOPE_PART);
	/* 9999-12-31T23:59:59Z: the date has four year digits. */
	if (p->time < 0 || p->time > INT64_C(253402300799))
		return sd_error_set(err, SD_ERR_INVALID, "time",
		    "signing time %lld is outside 1970-9999",
		    (long long)p->time);
	if (p->query && (p->expires < 1 || p->expires > SD_SIGV4_MAX_EXPIRES))
		return sd_error_set(err, SD_ERR_INVALID, "expires",
		    "expiry %lld s is not within 1-%d",
		    (long long)p->expires, SD_SIGV4_MAX_EXPIRES);
	return 0;
}

static int
check_creds(const struct sd_sigv4_credentials *c, struct sd_error *err)
{
	size_t i;

	if (c == NULL || c->access_key_id == NULL || c->secret == NULL)
		return sd_error_set(err, SD_ERR_INVALID, "credentials",
		    "access key id and secret are required");
	for (i = 0; c->access_key_id[i] != '\0'; i++) {
		if (i >= SD_SIGV4_MAX_ID)
			return sd_error_set(err, SD_ERR_LIMIT, "credentials",
			    "access key id longer than %d", SD_SIGV4_MAX_ID);
		if (!((c->access_key_id[i] >= 'A' && c->access_key_id[i] <= 'Z') ||
		    (c->access_key_id[i] >= 'a' && c->access_key_id[i] <= 'z') ||
		    (c->access_key_id[i] >= '0' && c->access_key_id[i] <= '9')))
			return sd_error_set(err, SD_ERR_INVALID, "credentials",
			    "access key id must be letters and digits");
	}
	if (i == 0)
		return sd_error_set(err, SD_ERR_INVALID, "credentials",
		    "empty access key id");
	if (c->secret_len == 0 || c->secret_len > SD_SIGV4_MAX_SECRET)
		return sd_error_set(err, SD_ERR_INVALID, "credentials",
		    "secret access key must be 1-%d bytes",
		    SD_SIGV4_MAX_SECRET);
	if (c->session_token != NULL) {
		for (i = 0; c->session_token[i] != '\0'; i++) {
			if (i >= SD_SIGV4_MAX_TOKEN)
				return sd_error_set(err, SD_ERR_LIMIT,
				    "credentials", "session token longer "
				    "than %d", SD_SIGV4_MAX_TOKEN);
			if ((unsigned char)c->session_token[i] <= 0x20 ||
			    (unsigned char)c->session_token[i] >= 0x7f)
				return sd_error_set(err, SD_ERR_INVALID,
				    "credentials", "session token must be "
				    "printable ASCII without spaces");
		}
		if (i == 0)
			return sd_error_set(err, SD_ERR_INVALID, "credentials",
			    "empty session token");
	}
	return 0;
}

/*
 * A header value may hold visible bytes, SP, HTAB, bytes >= 0x80, and
 * line folds (LF or CRLF followed by SP or HTAB); nothing else.
 */
static int
value_ok(const char *v, size_t n)
{
	const unsigned char *s = (const unsigned char *)v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] >= 0x20 && s[i] != 0x7f)
			continue;
		if (s[i] == '\t')
			continue;
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (s[i] == '\n' && i + 1 < n &&
		    (s[i + 1] == ' ' || s[i + 1] == '\t'))
			continue;
		return 0;
	}
	return 1;
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* v trimmed of white space at both ends. */
static void
trim(const char **v, size_t *n)
{
	while (*n > 0 && is_ws((unsigned char)(*v)[0])) {
		(*v)++;
		(*n)--;
	}
	while (*n > 0 && is_ws((unsigned char)(*v)[*n - 1]))
		(*n)--;
}

/* Append v trimmed, with each run of white space made one space. */
static void
add_trimall(struct sbuf *b, const char *v, size_t n)
{
	size_t i;
	char *o;
	int sp = 0;

	trim(&v, &n);
	if (sbuf_reserve(b, n) != 0)
		return;
	o = b->p + b->len;
	for (i = 0; i < n; i++) {
		if (is_ws((unsigned char)v[i])) {
			sp = 1;
			continue;
		}
		if (sp) {
			*o++ = ' ';
			sp = 0;
		}
		*o++ = v[i];
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

static int
name_is(const struct hent *h, const char *lname)
{
	size_t n = strlen(lname);

	return h->nlen == n && memcmp(h->name, lname, n) == 0;
}

/* Headers never signed: hop-by-hop, or rewritten on the way. */
static int
unsignable(const struct hent *h)
{
	static const char *const skip[] = {
		"connection", "expect", "keep-alive", "proxy-authorization",
		"proxy-connection", "te", "trailer", "transfer-encoding",
		"upgrade", "user-agent", "x-amzn-trace-id",
	};
	size_t i;

	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (name_is(h, skip[i]))
			return 1;
	return 0;
}

static int
hent_cmp(const struct hent *a, const struct hent *b)
{
	size_t n = a->nlen < b->nlen ? a->nlen : b->nlen;
	int c;

	if ((c = memcmp(a->name, b->name, n)) != 0)
		return c;
	return a->nlen < b->nlen ? -1 : a->nlen > b->nlen;
}

/* A short, printable rendering of a header name for messages. */
static const char *
shown(const char *p, size_t n, char *buf, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < n && j + 4 < len; i++)
		buf[j++] = (p[i] > 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (i < n && j + 3 < len) {
		memcpy(buf + j, "...", 3);
		j += 3;
	}
	buf[j] = '\0';
	return buf;
}

static int
content_length_ok(const char *v, size_t n, size_t body_len)
{
	uint64_t x = 0;
	size_t i;

	trim(&v, &n);
	if (n == 0 || n > 19)
		return 0;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	return x == (uint64_t)body_len;
}

/* ------------------------------------------------------------ steps */

static void
make_date(struct sd_sigv4_signer *s, int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char *d = s->amz_date;
	int v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
	int i, j, x;

	if (s->date_time == t)
		return;
	memset(&tm, 0, sizeof(tm));
	(void)gmtime_r(&tt, &tm);	/* t was range-checked */
	v[0] = tm.tm_year + 1900;
	v[1] = tm.tm_mon + 1;
	v[2] = tm.tm_mday;
	v[3] = tm.tm_hour;
	v[4] = tm.tm_min;
	v[5] = tm.tm_sec;
	for (i = 0; i < 6; i++) {
		if (i == 3)
			*d++ = 'T';
		x = v[i];
		for (j = w[i] - 1; j >= 0; j--) {
			d[j] = (char)('0' + x % 10);
			x /= 10;
		}
		d += w[i];
	}
	*d++ = 'Z';
	*d = '\0';
	s->date_time = t;
}

/* The payload hash into s->payload_hash. */
static int
payload_hash(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_params *p, struct sd_error *err)
{
	char h[SD_SIGV4_HASH_HEX + 1];
	int r;

	if (req->body == NULL && req->body_len != 0)
		return sd_error_set(err, SD_ERR_INVALID, "body",
		    "body length %zu without a body", req->body_len);
	if (p->unsigned_payload) {
		memcpy(s->payload_hash, SD_SIGV4_UNSIGNED_PAYLOAD,
		    sizeof(SD_SIGV4_UNSIGNED_PAYLOAD));
		return 0;
	}
	if (req->payload_hash != NULL) {
		if (strnlen(req->payload_hash, SD_SIGV4_HASH_HEX + 1) !=
		    SD_SIGV4_HASH_HEX || !is_lower_hex64(req->payload_hash))
			return sd_error_set(err, SD_ERR_INVALID,
			    "payload hash", "payload hash must be 64 "
			    "lower-case hex digits");
		memcpy(s->payload_hash, req->payload_hash,
		    SD_SIGV4_HASH_HEX + 1);
		if (req->body == NULL)
			return 0;
		if ((r = sha256_hex(s, req->body, req->body_len, h)) != 0)
			return sd_error_set(err, r, "body", "SHA-256 failed");
		if (memcmp(h, s->payload_hash, SD_SIGV4_HASH_HEX) != 0)
			return sd_error_set(err, SD_ERR_INVALID,
			    "payload hash", "payload hash does not match "
			    "the body (SHA-256 %s)", h);
		return 0;
	}
	if (req->body_len == 0) {
		memcpy(s->payload_hash, EMPTY_SHA256, sizeof(EMPTY_SHA256));
		return 0;
	}
	if ((r = sha256_hex(s, req->body, req->body_len, s->payload_hash)) != 0)
		return sd_error_set(err, r, "body", "SHA-256 failed");
	return 0;
}

/*
 * Collect the headers to sign into s->hent[0..*nh), sorted by name (ties
 * in request order), and the signed-header list into s->sh.
 */
static int
collect_headers(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_credentials *c, const struct sd_sigv4_params *p,
    size_t *nh, struct sd_error *err)
{
	const struct sd_sigv4_header *rh;
	struct hent *h, tmp;
	size_t i, j, n = 0, total = 0, host_n = 0, sha_n = 0;
	const char *hv;
	size_t hvl;
	char nb[72];
	char *o;
	int body_known;

	/* Content-Length is checked when the body is known. */
	body_known = req->body != NULL || (req->payload_hash == NULL &&
	    !p->unsigned_payload);
	if (req->nheaders > SD_SIGV4_MAX_HEADERS)
		return sd_error_set(err, SD_ERR_LIMIT, "headers",
		    "more than %d headers", SD_SIGV4_MAX_HEADERS);
	if (req->nheaders > 0 && req->headers == NULL)
		return sd_error_set(err, SD_ERR_INVALID, "headers",
		    "header count without headers");
	for (i = 0; i < req->nheaders; i++) {
		rh = &req->headers[i];
		if (rh->name == NULL || rh->name_len == 0 ||
		    (rh->value == NULL && rh->value_len != 0))
			return sd_error_set(err, SD_ERR_INVALID, "headers",
			    "header %zu has no name", i + 1);
		if (rh->name_len > SD_SIGV4_MAX_NAME ||
		    rh->value_len > SD_SIGV4_MAX_LINE)
			return sd_error_set(err, SD_ERR_LIMIT, "headers",
			    "header %zu is longer than %d bytes", i + 1,
			    SD_SIGV4_MAX_LINE);
		total += rh->name_len;
	}

	/* Lower-cased names; reserved once so the pointers stay put. */
	sbuf_reset(&s->names);
	if (sbuf_reserve(&s->names, total) != 0)
		return sd_error_set(err, s->names.err, "headers",
		    "no room for header names");
	o = s->names.p;
	for (i = 0; i < req->nheaders; i++) {
		rh = &req->headers[i];
		for (j = 0; j < rh->name_len; j++) {
			unsigned char ch = (unsigned char)rh->name[j];

			if (!tchar(ch))
				return sd_error_set(err, SD_ERR_INVALID,
				    "headers", "header %zu: name \"%s\" is "
				    "not an HTTP token", i + 1, shown(rh->name,
				    rh->name_len, nb, sizeof(nb)));
			o[j] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) :
			    (char)ch;
		}
		h = &s->hent[n];
		h->name = o;
		h->nlen = rh->name_len;
		h->value = rh->value != NULL ? rh->value : "";
		h->vlen = rh->value_len;
		o += rh->name_len;
		if (!value_ok(h->value, h->vlen))
			return sd_error_set(err, SD_ERR_INVALID, "headers",
			    "header %s: control character in the value",
			    shown(rh->name, rh->name_len, nb, sizeof(nb)));
		if (name_is(h, "authorization") || name_is(h, "x-amz-date") ||
		    name_is(h, "x-amz-security-token"))
			return sd_error_set(err, SD_ERR_INVALID, "headers",
			    "the request already has %s: the signer adds it",
			    shown(rh->name, rh->name_len, nb, sizeof(nb)));
		if (name_is(h, "host")) {
			host_n++;
			hv = h->value;
			hvl = h->vlen;
			trim(&hv, &hvl);
			if (req->host != NULL && (hvl != req->host_len ||
			    memcmp(hv, req->host, hvl) != 0))
				return sd_error_set(err, SD_ERR_INVALID,
				    "headers", "the Host header does not "
				    "match the request's host");
		}
		if (name_is(h, "x-amz-content-sha256")) {
			sha_n++;
			hv = h->value;
			hvl = h->vlen;
			trim(&hv, &hvl);
			if (hvl != strlen(s->payload_hash) ||
			    memcmp(hv, s->payload_hash, hvl) != 0)
				return sd_error_set(err, SD_ERR_INVALID,
				    "headers", "x-amz-content-sha256 does "
				    "not match the payload hash %s",
				    s->payload_hash);
		}
		if (name_is(h, "content-length") && body_known &&
		    !content_length_ok(h->value, h->vlen, req->body_len))
			return sd_error_set(err, SD_ERR_INVALID, "headers",
			    "Content-Length does not match the body (%zu "
			    "bytes)", req->body_len);
		if (unsignable(h))
			continue;
		n++;
	}
	if (host_n > 1 || sha_n > 1)
		return sd_error_set(err, SD_ERR_INVALID, "headers",
		    "more than one %s header", host_n > 1 ? "Host" :
		    "x-amz-content-sha256");
	if (host_n == 0) {
		if (req->host == NULL || req->host_len == 0)
			return sd_error_set(err, SD_ERR_INVALID, "host",
			    "no host and no Host header");
		h = &s->hent[n++];
		h->name = "host";
		h->nlen = 4;
		h->value = req->host;
		h->vlen = req->host_len;
	}
	if (!p->query) {
		h = &s->hent[n++];
		h->name = "x-amz-date";
		h->nlen = 10;
		h->value = s->amz_date;
		h->vlen = 16;
		if (c->session_token != NULL && !p->omit_session_token) {
			h = &s->hent[n++];
			h->name = "x-amz-security-token";
			h->nlen = 20;
			h->value = c->session_token;
			h->vlen = strlen(c->session_token);
		}
		if ((p->sign_body || p->unsigned_payload) && sha_n == 0) {
			h = &s->hent[n++];
			h->name = "x-amz-content-sha256";
			h->nlen = 20;
			h->value = s->payload_hash;
			h->vlen = strlen(s->payload_hash);
		}
	}

	/* Stable insertion sort: few headers, and ties keep request order. */
	for (i = 1; i < n; i++) {
		tmp = s->hent[i];
		for (j = i; j > 0 && hent_cmp(&s->hent[j - 1], &tmp) > 0; j--)
			s->hent[j] = s->hent[j - 1];
		s->hent[j] = tmp;
	}

	sbuf_reset(&s->sh);
	for (i = 0; i < n; i++) {
		if (i > 0 && hent_cmp(&s->hent[i - 1], &s->hent[i]) == 0)
			continue;
		if (i > 0)
			sbuf_addc(&s->sh, ';');
		sbuf_add(&s->sh, s->hent[i].name, s->hent[i].nlen);
	}
	if (s->sh.err != 0)
		return sd_error_set(err, s->sh.err, "headers",
		    "signed headers too long");
	*nh = n;
	return 0;
}

/* Canonical URI of the request's path, appended to s->creq. */
static int
canonical_uri(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_params *p, struct sd_error *err)
{
	const char *path = req->path, *seg;
	size_t n = req->path_len, i, sl;
	char *cut;
	int r;

	if (path == NULL || n == 0) {
		path = "/";
		n = 1;
	}
	if (n > SD_SIGV4_MAX_TARGET)
		return sd_error_set(err, SD_ERR_LIMIT, "path",
		    "path longer than %d bytes", SD_SIGV4_MAX_TARGET);
	if (path[0] != '/')
		return sd_error_set(err, SD_ERR_INVALID, "path",
		    "path must start with '/'");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		if (c < 0x20 || c == 0x7f || c == '?' || c == '#')
			return sd_error_set(err, SD_ERR_INVALID, "path",
			    "path holds a control character, '?' or '#'");
	}
	if (p->normalize_path) {
		/*
		 * As botocore and the JS SDK do: drop empty and "."
		 * segments, ".." removes the one before; keep a trailing
		 * '/' when anything is left.
		 */
		sbuf_reset(&s->npath);
		if (sbuf_reserve(&s->npath, n + 1) != 0)
			return sd_error_set(err, s->npath.err, "path",
			    "path too long");
		for (i = 0; i < n; i += sl + 1) {
			seg = path + i;
			sl = 0;
			while (i + sl < n && seg[sl] != '/')
				sl++;
			if (sl == 0 || (sl == 1 && seg[0] == '.'))
				continue;
			if (sl == 2 && seg[0] == '.' && seg[1] == '.') {
				cut = memrchr(s->npath.p, '/', s->npath.len);
				s->npath.len = cut != NULL ?
				    (size_t)(cut - s->npath.p) : 0;
				continue;
			}
			sbuf_addc(&s->npath, '/');
			sbuf_add(&s->npath, seg, sl);
		}
		if (s->npath.len == 0)
			sbuf_addc(&s->npath, '/');
		else if (path[n - 1] == '/')
			sbuf_addc(&s->npath, '/');
		if (s->npath.err != 0)
			return sd_error_set(err, s->npath.err, "path",
			    "path too long");
		path = s->npath.p;
		n = s->npath.len;
	}
	if ((r = sbuf_encode(&s->creq, path, n, 1, !p->double_encode)) != 0) {
		if (r == SD_ERR_INVALID)
			return sd_error_set(err, r, "path",
			    "bad percent-encoding in the path");
		return sd_error_set(err, r, "path", "path too long");
	}
	return 0;
}

static int
qparam_cmp(const void *va, const void *vb)
{
	const struct qparam *a = va, *b = vb;
	size_t n;
	int c;

	n = a->klen < b->klen ? a->klen : b->klen;
	if ((c = memcmp(a->k, b->k, n)) != 0)
		return c;
	if (a->klen != b->klen)
		return a->klen < b->klen ? -1 : 1;
	n = a->vlen < b->vlen ? a->vlen : b->vlen;
	if ((c = memcmp(a->v, b->v, n)) != 0)
		return c;
	return a->vlen < b->vlen ? -1 : a->vlen > b->vlen;
}

static int
is_presign_param(const char *k, size_t n)
{
	static const char *const names[] = {
		"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
		"X-Amz-Expires", "X-Amz-SignedHeaders",
		"X-Amz-Security-Token", "X-Amz-Signature",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && memcmp(names[i], k, n) == 0)
			return 1;
	return 0;
}

/* Offsets into s->qenc until every append is done. */
struct qoff {
	size_t	k, klen, v, vlen;
};

/*
 * Encode one pair into s->qenc: decode set for the request's own (already
 * encoded) parameters, clear for the values the signer adds.
 */
static void
qenc_pair(struct sd_sigv4_signer *s, struct qoff *q, const char *k,
    size_t kl, const char *v, size_t vl, int decode, int *r)
{
	int e;

	q->k = s->qenc.len;
	if ((e = sbuf_encode(&s->qenc, k, kl, 0, decode)) != 0 && *r == 0)
		*r = e;
	q->klen = s->qenc.len - q->k;
	q->v = s->qenc.len;
	if ((e = sbuf_encode(&s->qenc, v, vl, 0, decode)) != 0 && *r == 0)
		*r = e;
	q->vlen = s->qenc.len - q->v;
}

/* Canonical query string, appended to s->creq. */
static int
canonical_query(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_credentials *c, const struct sd_sigv4_params *p,
    struct sd_error *err)
{
	struct qoff off[MAX_QPARAM];
	const char *q = req->query, *pair, *eq;
	char cred[SD_SIGV4_MAX_ID + 1 + sizeof(s->scope)];
	char exp[24];
	size_t n = 0, i, pl, ql = req->query_len;
	int r = 0, cl;

	if (q == NULL) {
		q = "";		/* no arithmetic on a null pointer */
		ql = 0;
	}
	if (ql > SD_SIGV4_MAX_TARGET)
		return sd_error_set(err, SD_ERR_LIMIT, "query",
		    "query longer than %d bytes", SD_SIGV4_MAX_TARGET);
	for (i = 0; i < ql; i++) {
		unsigned char ch = (unsigned char)q[i];

		if (ch < 0x20 || ch == 0x7f || ch == '#')
			return sd_error_set(err, SD_ERR_INVALID, "query",
			    "query holds a control character or '#'");
	}
	sbuf_reset(&s->qenc);
	for (i = 0; i < ql; i += pl + 1) {
		pair = q + i;
		pl = 0;
		while (i + pl < ql && pair[pl] != '&')
			pl++;
		if (pl == 0)
			continue;
		if (n >= SD_SIGV4_MAX_QUERY_PARAMS)
			return sd_error_set(err, SD_ERR_LIMIT, "query",
			    "more than %d query parameters",
			    SD_SIGV4_MAX_QUERY_PARAMS);
		eq = memchr(pair, '=', pl);
		if (eq == NULL)
			qenc_pair(s, &off[n], pair, pl, "", 0, 1, &r);
		else
			qenc_pair(s, &off[n], pair, (size_t)(eq - pair),
			    eq + 1, pl - (size_t)(eq - pair) - 1, 1, &r);
		if (r == SD_ERR_INVALID)
			return sd_error_set(err, r, "query",
			    "bad percent-encoding in query parameter %zu",
			    n + 1);
		if (p->query && is_presign_param(s->qenc.p + off[n].k,
		    off[n].klen))
			return sd_error_set(err, SD_ERR_INVALID, "query",
			    "the query already has a presigning parameter "
			    "(X-Amz-*): the signer adds them");
		n++;
	}
	if (p->query) {
		cl = snprintf(cred, sizeof(cred), "%s/%s", c->access_key_id,
		    s->scope);
		if (cl < 0 || (size_t)cl >= sizeof(cred))
			return sd_error_set(err, SD_ERR_INTERNAL, "query",
			    "credential too long");
		(void)snprintf(exp, sizeof(exp), "%lld",
		    (long long)p->expires);
		qenc_pair(s, &off[n++], "X-Amz-Algorithm", 15,
		    SD_SIGV4_ALGORITHM, strlen(SD_SIGV4_ALGORITHM), 0, &r);
		qenc_pair(s, &off[n++], "X-Amz-Credential", 16, cred,
		    (size_t)cl, 0, &r);
		qenc_pair(s, &off[n++], "X-Amz-Date", 10, s->amz_date, 16, 0,
		    &r);
		qenc_pair(s, &off[n++], "X-Amz-Expires", 13, exp, strlen(exp),
		    0, &r);
		if (c->session_token != NULL && !p->omit_session_token)
			qenc_pair(s, &off[n++], "X-Amz-Security-Token", 20,
			    c->session_token, strlen(c->session_token), 0,
			    &r);
		qenc_pair(s, &off[n++], "X-Amz-SignedHeaders", 19, s->sh.p,
		    s->sh.len, 0, &r);
	}
	if (r != 0 || s->qenc.err != 0)
		return sd_error_set(err, r != 0 ? r : s->qenc.err, "query",
		    "query too long");
	for (i = 0; i < n; i++) {
		s->qp[i].k = s->qenc.p + off[i].k;
		s->qp[i].klen = off[i].klen;
		s->qp[i].v = s->qenc.p + off[i].v;
		s->qp[i].vlen = off[i].vlen;
	}
	if (n > 1)
		qsort(s->qp, n, sizeof(s->qp[0]), qparam_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_addc(&s->creq, '&');
		sbuf_add(&s->creq, s->qp[i].k, s->qp[i].klen);
		sbuf_addc(&s->creq, '=');
		sbuf_add(&s->creq, s->qp[i].v, s->qp[i].vlen);
	}
	return 0;
}

static void
canonical_headers(struct sd_sigv4_signer *s, size_t nh)
{
	size_t i;

	for (i = 0; i < nh; i++) {
		if (i > 0 && hent_cmp(&s->hent[i - 1], &s->hent[i]) == 0) {
			/* Another value of the same header: ',' for '\n'. */
			if (s->creq.err == 0 && s->creq.len > 0)
				s->creq.p[s->creq.len - 1] = ',';
		} else {
			sbuf_add(&s->creq, s->hent[i].name, s->hent[i].nlen);
			sbuf_addc(&s->creq, ':');
		}
		add_trimall(&s->creq, s->hent[i].value, s->hent[i].vlen);
		sbuf_addc(&s->creq, '\n');
	}
}

static void
presigned_query(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_credentials *c, const struct sd_sigv4_params *p,
    const char *sig)
{
	char exp[24];

	(void)snprintf(exp, sizeof(exp), "%lld", (long long)p->expires);
	sbuf_reset(&s->qout);
	if (req->query != NULL && req->query_len > 0) {
		sbuf_add(&s->qout, req->query, req->query_len);
		sbuf_addc(&s->qout, '&');
	}
	sbuf_adds(&s->qout, "X-Amz-Algorithm=" SD_SIGV4_ALGORITHM
	    "&X-Amz-Credential=");
	(void)sbuf_encode(&s->qout, c->access_key_id,
	    strlen(c->access_key_id), 0, 0);
	sbuf_adds(&s->qout, "%2F");
	(void)sbuf_encode(&s->qout, s->scope, strlen(s->scope), 0, 0);
	sbuf_adds(&s->qout, "&X-Amz-Date=");
	sbuf_adds(&s->qout, s->amz_date);
	sbuf_adds(&s->qout, "&X-Amz-SignedHeaders=");
	(void)sbuf_encode(&s->qout, s->sh.p, s->sh.len, 0, 0);
	sbuf_adds(&s->qout, "&X-Amz-Expires=");
	sbuf_adds(&s->qout, exp);
	if (c->session_token != NULL) {
		sbuf_adds(&s->qout, "&X-Amz-Security-Token=");
		(void)sbuf_encode(&s->qout, c->session_token,
		    strlen(c->session_token), 0, 0);
	}
	sbuf_adds(&s->qout, "&X-Amz-Signature=");
	sbuf_add(&s->qout, sig, SD_SIGV4_HASH_HEX);
}

int
sd_sigv4_sign(struct sd_sigv4_signer *s, const struct sd_sigv4_request *req,
    const struct sd_sigv4_credentials *c, const struct sd_sigv4_params *p,
    struct sd_sigv4_result *out, struct sd_error *err)
{
	unsigned char mac[HASH_LEN];
	char hex[SD_SIGV4_HASH_HEX + 1];
	EVP_MAC_CTX *key = NULL;
	size_t nh = 0, i, rl, sl;
	int r;

	if (s == NULL || req == NULL || p == NULL || out == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "sd_sigv4_sign: missing argument");
	memset(out, 0, sizeof(*out));
	if ((r = check_params(p, err)) != 0 || (r = check_creds(c, err)) != 0)
		return r;
	if (req->method == NULL || req->method_len == 0 ||
	    req->method_len > MAX_METHOD)
		return sd_error_set(err, SD_ERR_INVALID, "method",
		    "method must be 1-%d bytes", MAX_METHOD);
	for (i = 0; i < req->method_len; i++)
		if (!tchar((unsigned char)req->method[i]))
			return sd_error_set(err, SD_ERR_INVALID, "method",
			    "method is not an HTTP token");
	if (req->host != NULL) {
		if (req->host_len == 0 || req->host_len > MAX_HOST)
			return sd_error_set(err, SD_ERR_INVALID, "host",
			    "host must be 1-%d bytes", MAX_HOST);
		for (i = 0; i < req->host_len; i++) {
			unsigned char ch = (unsigned char)req->host[i];

			if (!(unreserved(ch) || ch == ':' || ch == '[' ||
			    ch == ']'))
				return sd_error_set(err, SD_ERR_INVALID,
				    "host", "host holds a byte that is not "
				    "a letter, digit, '-', '.', '_', '~', "
				    "':' or brackets");
		}
	}

	/* The scope: lengths were checked, so it fits s->scope. */
	make_date(s, p->time);
	rl = strlen(p->region);
	sl = strlen(p->service);
	memcpy(s->scope, s->amz_date, 8);
	s->scope[8] = '/';
	memcpy(s->scope + 9, p->region, rl);
	s->scope[9 + rl] = '/';
	memcpy(s->scope + 10 + rl, p->service, sl);
	memcpy(s->scope + 10 + rl + sl, "/aws4_request", 14);

	if ((r = payload_hash(s, req, p, err)) != 0 ||
	    (r = collect_headers(s, req, c, p, &nh, err)) != 0)
		return r;

	/* The canonical request. */
	sbuf_reset(&s->creq);
	sbuf_add(&s->creq, req->method, req->method_len);
	sbuf_addc(&s->creq, '\n');
	if ((r = canonical_uri(s, req, p, err)) != 0)
		return r;
	sbuf_addc(&s->creq, '\n');
	if ((r = canonical_query(s, req, c, p, err)) != 0)
		return r;
	sbuf_addc(&s->creq, '\n');
	canonical_headers(s, nh);
	sbuf_addc(&s->creq, '\n');
	sbuf_add(&s->creq, s->sh.p, s->sh.len);
	sbuf_addc(&s->creq, '\n');
	sbuf_adds(&s->creq, s->payload_hash);
	if (s->creq.err != 0)
		return sd_error_set(err, s->creq.err, NULL,
		    "canonical request too long");

	/* The string to sign. */
	if ((r = sha256_hex(s, s->creq.p, s->creq.len, hex)) != 0)
		return sd_error_set(err, r, NULL, "SHA-256 failed");
	sbuf_reset(&s->sts);
	sbuf_adds(&s->sts, SD_SIGV4_ALGORITHM "\n");
	sbuf_add(&s->sts, s->amz_date, 16);
	sbuf_addc(&s->sts, '\n');
	sbuf_adds(&s->sts, s->scope);
	sbuf_addc(&s->sts, '\n');
	sbuf_add(&s->sts, hex, SD_SIGV4_HASH_HEX);
	if (s->sts.err != 0)
		return sd_error_set(err, s->sts.err, NULL, "string to sign");

	/* The signature. */
	if ((r = signing_key(s, c, s->amz_date, p->region, p->service,
	    &key)) != 0)
		return sd_error_set(err, r, "credentials",
		    "deriving the signing key failed");
	r = mac_run(key, s->sts.p, s->sts.len, mac);
	if (r != 0) {
		OPENSSL_cleanse(mac, sizeof(mac));
		return sd_error_set(err, r, NULL, "HMAC failed");
	}
	tohex(mac, HASH_LEN, out->signature);
	OPENSSL_cleanse(mac, sizeof(mac));

	if (p->query) {
		presigned_query(s, req, c, p, out->signature);
		if (s->qout.err != 0)
			return sd_error_set(err, s->qout.err, "query",
			    "presigned query too long");
		out->query = s->qout.p;
		out->query_len = s->qout.len;
	} else {
		sbuf_reset(&s->auth);
		sbuf_adds(&s->auth, SD_SIGV4_ALGORITHM " Credential=");
		sbuf_adds(&s->auth, c->access_key_id);
		sbuf_addc(&s->auth, '/');
		sbuf_adds(&s->auth, s->scope);
		sbuf_adds(&s->auth, ", SignedHeaders=");
		sbuf_add(&s->auth, s->sh.p, s->sh.len);
		sbuf_adds(&s->auth, ", Signature=");
		sbuf_add(&s->auth, out->signature, SD_SIGV4_HASH_HEX);
		sbuf_reset(&s->tok);
		if (c->session_token != NULL)
			sbuf_adds(&s->tok, c->session_token);
		if (s->auth.err != 0 || s->tok.err != 0)
			return sd_error_set(err, SD_ERR_NOMEM, NULL,
			    "Authorization header");
		out->authorization = s->auth.p;
		if (c->session_token != NULL) {
			out->add[out->nadd].name = "X-Amz-Security-Token";
			out->add[out->nadd].name_len = 20;
			out->add[out->nadd].value = s->tok.p;
			out->add[out->nadd++].value_len = s->tok.len;
		}
		out->add[out->nadd].name = "X-Amz-Date";
		out->add[out->nadd].name_len = 10;
		out->add[out->nadd].value = s->amz_date;
		out->add[out->nadd++].value_len = 16;
		if (p->sign_body || p->unsigned_payload) {
			for (i = 0; i < req->nheaders; i++)
				if (req->headers[i].name_len == 20 &&
				    strncasecmp(req->headers[i].name,
				    "x-amz-content-sha256", 20) == 0)
					break;
			if (i == req->nheaders) {
				out->add[out->nadd].name =
				    "x-amz-content-sha256";
				out->add[out->nadd].name_len = 20;
				out->add[out->nadd].value = s->payload_hash;
				out->add[out->nadd++].value_len =
				    strlen(s->payload_hash);
			}
		}
		out->add[out->nadd].name = "Authorization";
		out->add[out->nadd].name_len = 13;
		out->add[out->nadd].value = s->auth.p;
		out->add[out->nadd++].value_len = s->auth.len;
	}
	out->canonical_request = s->creq.p;
	out->canonical_request_len = s->creq.len;
	out->string_to_sign = s->sts.p;
	out->string_to_sign_len = s->sts.len;
	out->signed_headers = s->sh.p;
	out->credential_scope = s->scope;
	out->amz_date = s->amz_date;
	out->payload_hash = s->payload_hash;
	return 0;
}

char *
sd_sigv4_presigned_url(const struct sd_sigv4_request *req,
    const struct sd_sigv4_result *res)
{
	struct sd_buf b;

	if (req == NULL || res == NULL || res->query == NULL ||
	    req->host == NULL)
		return NULL;
	sd_buf_init(&b, SBUF_MAX);
	(void)sd_buf_puts(&b, "https://");
	(void)sd_buf_append(&b, req->host, req->host_len);
	if (req->path == NULL || req->path_len == 0)
		(void)sd_buf_putc(&b, '/');
	else
		(void)sd_buf_append(&b, req->path, req->path_len);
	(void)sd_buf_putc(&b, '?');
	(void)sd_buf_append(&b, res->query, res->query_len);
	return sd_buf_steal(&b);
}
