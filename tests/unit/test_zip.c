/*
 * test_zip: the Lambda zip inspector (validator/sd_zip.h).
 *
 * The corpus of nasty zips is made here: with libzip into a temporary
 * directory where libzip will write the trick, otherwise byte by byte
 * (hand_zip) or by patching what libzip wrote. Every test asserts the
 * exact set of finding codes and locations. Hashes are checked against
 * OpenSSL's one-shot EVP_Digest over the file bytes, and one against a
 * constant computed outside this program (Python's hashlib).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zip.h>

#include "sd_err.h"
#include "sd_json.h"
#include "sd_zip.h"

static char tmpdir[] = "/tmp/test_zip.XXXXXX";
static uint8_t *bomb;		/* 50 MB of zeros, deflated by libzip */
static size_t bomb_len;

/* ------------------------------------------------------------ bytes */

struct bytes {
	uint8_t	*p;
	size_t	 n;
	size_t	 cap;
};

static void
put(struct bytes *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n > 0)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void
put16(struct bytes *b, uint32_t v)
{
	uint8_t x[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	put(b, x, 2);
}

static void
put32(struct bytes *b, uint32_t v)
{
	put16(b, v & 0xffff);
	put16(b, v >> 16);
}

static void
put64(struct bytes *b, uint64_t v)
{
	put32(b, (uint32_t)v);
	put32(b, (uint32_t)(v >> 32));
}

static void
set16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
set32(uint8_t *p, uint32_t v)
{
	set16(p, v & 0xffff);
	set16(p + 2, v >> 16);
}

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) | get16(p + 2) << 16;
}

/* CRC-32 (the zip one), bit by bit: independent of zlib. */
static uint32_t
crc32_of(const void *d, size_t n)
{
	const uint8_t *p = d;
	uint32_t c = 0xffffffffU;
	size_t i;
	int k;

	for (i = 0; i < n; i++) {
		c ^= p[i];
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320U & (0U - (c & 1)));
	}
	return c ^ 0xffffffffU;
}

/* ---------------------------------------------------------- hand-made zips */

struct hand {
	const char	*name;
	size_t		 namelen;	/* 0: strlen(name) */
	const void	*data;		/* stored as is */
	size_t		 len;
	uint32_t	 mode;		/* unix mode; 0: 0100644 */
	uint16_t	 flags;
	const void	*cextra;	/* central extra field */
	size_t		 cextralen;
	uint64_t	 lho;		/* set by hand_local */
};

static size_t
hand_namelen(const struct hand *h)
{
	return h->namelen != 0 ? h->namelen : strlen(h->name);
}

static void
hand_local(struct bytes *b, struct hand *h)
{
	h->lho = b->n;
	put32(b, 0x04034b50);
	put16(b, 20);			/* version needed */
	put16(b, h->flags);
	put16(b, 0);			/* stored */
	put16(b, 0);			/* time */
	put16(b, 0x21);			/* date: 1980-01-01 */
	put32(b, crc32_of(h->data, h->len));
	put32(b, (uint32_t)h->len);
	put32(b, (uint32_t)h->len);
	put16(b, (uint32_t)hand_namelen(h));
	put16(b, 0);
	put(b, h->name, hand_namelen(h));
	put(b, h->data, h->len);
}

static void
hand_central(struct bytes *b, const struct hand *h, int zip64)
{
	uint32_t mode = h->mode != 0 ? h->mode : 0100644;

	put32(b, 0x02014b50);
	put16(b, 0x0314);		/* made by: unix, 2.0 */
	put16(b, zip64 ? 45 : 20);
	put16(b, h->flags);
	put16(b, 0);
	put16(b, 0);
	put16(b, 0x21);
	put32(b, crc32_of(h->data, h->len));
	put32(b, zip64 ? 0xffffffffU : (uint32_t)h->len);
	put32(b, zip64 ? 0xffffffffU : (uint32_t)h->len);
	put16(b, (uint32_t)hand_namelen(h));
	put16(b, (uint32_t)(h->cextralen + (zip64 ? 28 : 0)));
	put16(b, 0);			/* comment */
	put16(b, 0);			/* disk */
	put16(b, 0);			/* internal attributes */
	put32(b, mode << 16);
	put32(b, zip64 ? 0xffffffffU : (uint32_t)h->lho);
	put(b, h->name, hand_namelen(h));
	if (zip64) {
		put16(b, 0x0001);
		put16(b, 24);
		put64(b, h->len);
		put64(b, h->len);
		put64(b, h->lho);
	}
	put(b, h->cextra, h->cextralen);
}

static void
hand_end(struct bytes *b, size_t n, uint64_t cd_off, int zip64)
{
	uint64_t cd_size = b->n - cd_off, z64 = b->n;

	if (zip64) {
		put32(b, 0x06064b50);
		put64(b, 44);
		put16(b, 45);
		put16(b, 45);
		put32(b, 0);
		put32(b, 0);
		put64(b, n);
		put64(b, n);
		put64(b, cd_size);
		put64(b, cd_off);
		put32(b, 0x07064b50);
		put32(b, 0);
		put64(b, z64);
		put32(b, 1);
	}
	put32(b, 0x06054b50);
	put16(b, 0);
	put16(b, 0);
	put16(b, zip64 ? 0xffff : (uint32_t)n);
	put16(b, zip64 ? 0xffff : (uint32_t)n);
	put32(b, zip64 ? 0xffffffffU : (uint32_t)cd_size);
	put32(b, zip64 ? 0xffffffffU : (uint32_t)cd_off);
	put16(b, 0);
}

/* A plain zip of stored entries, in order. */
static void
hand_zip(struct bytes *b, struct hand *h, size_t n, int zip64)
{
	size_t i;
	uint64_t cd;

	for (i = 0; i < n; i++)
		hand_local(b, &h[i]);
	cd = b->n;
	for (i = 0; i < n; i++)
		hand_central(b, &h[i], zip64);
	hand_end(b, n, cd, zip64);
}

/* Offsets in a zip without comment or ZIP64 (as libzip writes small ones). */
static size_t
cd_entry(const struct bytes *b, size_t idx)
{
	size_t off = get32(b->p + b->n - 22 + 16), i;

	for (i = 0; i < idx; i++)
		off += 46 + get16(b->p + off + 28) + get16(b->p + off + 30) +
		    get16(b->p + off + 32);
	assert_int_equal(get32(b->p + off), 0x02014b50);
	return off;
}

static size_t
local_entry(const struct bytes *b, size_t idx)
{
	size_t off = get32(b->p + cd_entry(b, idx) + 42);

	assert_int_equal(get32(b->p + off), 0x04034b50);
	return off;
}

static size_t
data_offset(const struct bytes *b, size_t idx)
{
	size_t l = local_entry(b, idx);

	return l + 30 + get16(b->p + l + 26) + get16(b->p + l + 28);
}

/* -------------------------------------------------------- libzip-made zips */

struct spec {
	const char	*name;
	const void	*data;		/* NULL: a directory */
	size_t		 len;
	uint32_t	 mode;		/* 0: libzip's default */
	int		 store;
	uint16_t	 encryption;	/* ZIP_EM_* */
};

static char *
tmp_path(const char *name)
{
	static char path[4096];
	int r;

	r = snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_true(r > 0 && (size_t)r < sizeof(path));
	return path;
}

static void
write_zip(const char *path, const struct spec *s, size_t n)
{
	zip_t *za;
	zip_source_t *src;
	zip_int64_t idx;
	size_t i;
	int e = 0;

	assert_non_null(za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e));
	for (i = 0; i < n; i++) {
		if (s[i].data == NULL) {
			idx = zip_dir_add(za, s[i].name, ZIP_FL_ENC_RAW);
		} else {
			assert_non_null(src = zip_source_buffer(za, s[i].data,
			    s[i].len, 0));
			if ((idx = zip_file_add(za, s[i].name, src,
			    ZIP_FL_ENC_RAW)) < 0)
				zip_source_free(src);
		}
		if (idx < 0)
			fail_msg("libzip: add %s: %s", s[i].name,
			    zip_strerror(za));
		if (s[i].mode != 0)
			assert_int_equal(zip_file_set_external_attributes(za,
			    (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX,
			    s[i].mode << 16), 0);
		if (s[i].store)
			assert_int_equal(zip_set_file_compression(za,
			    (zip_uint64_t)idx, ZIP_CM_STORE, 0), 0);
		if (s[i].encryption != 0)
			assert_int_equal(zip_file_set_encryption(za,
			    (zip_uint64_t)idx, s[i].encryption, "secret"), 0);
	}
	if (zip_close(za) != 0)
		fail_msg("libzip: close %s: %s", path, zip_strerror(za));
}

/* libzip writes the zip; its bytes are returned in b. */
static void
make_zip(struct bytes *b, const struct spec *s, size_t n)
{
	char *path = tmp_path("made.zip"), *data = NULL;
	struct sd_error err = SD_ERROR_INIT;
	size_t len = 0;

	write_zip(path, s, n);
	if (sd_read_file(path, 64 * 1024 * 1024, &data, &len, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	memset(b, 0, sizeof(*b));
	put(b, data, len);
	free(data);
	assert_int_equal(unlink(path), 0);
}

static void
save(const char *path, const struct bytes *b)
{
	FILE *f;

	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(b->p, 1, b->n, f), b->n);
	assert_int_equal(fclose(f), 0);
}

/* ------------------------------------------------------------ assertions */

static void
dump(const struct sd_zip_report *rep)
{
	size_t i;

	for (i = 0; i < rep->nfindings; i++)
		fprintf(stderr, "  %s %s %s: %s\n", rep->findings[i].severity,
		    rep->findings[i].code, rep->findings[i].location,
		    rep->findings[i].message);
}

static struct sd_zip_report *
inspect(const struct bytes *b, const struct sd_zip_limits *lim)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_zip_report *rep = NULL;
	int r;

	if ((r = sd_zip_inspect_buf(b->p, b->n, lim, &rep, &err)) != 0)
		fail_msg("inspect: %d %s", r, sd_error_text(&err));
	assert_non_null(rep);
	return rep;
}

/*
 * The report holds exactly these findings (any order): NULL-terminated
 * pairs of code and location.
 */
static void
expect_exactly(const struct sd_zip_report *rep, ...)
{
	const char *code, *loc;
	size_t n = 0;
	va_list ap;

	va_start(ap, rep);
	while ((code = va_arg(ap, const char *)) != NULL) {
		loc = va_arg(ap, const char *);
		n++;
		if (sd_zip_report_find(rep, code, loc) == NULL) {
			dump(rep);
			va_end(ap);
			fail_msg("no finding %s at \"%s\"", code, loc);
		}
	}
	va_end(ap);
	if (rep->nfindings != n) {
		dump(rep);
		fail_msg("%zu findings, want %zu", rep->nfindings, n);
	}
}

/* The same bytes as a file: the same findings, the same hashes. */
static void
expect_file_agrees(const struct bytes *b, const struct sd_zip_report *rep,
    const struct sd_zip_limits *lim)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_zip_report *frep = NULL;
	char *path = tmp_path("lambda.zip");
	size_t i;

	save(path, b);
	assert_int_equal(sd_zip_inspect_file(path, lim, &frep, &err), 0);
	assert_int_equal(unlink(path), 0);
	assert_string_equal(frep->sha256_hex, rep->sha256_hex);
	assert_string_equal(frep->code_sha256_b64, rep->code_sha256_b64);
	assert_int_equal(frep->nfindings, rep->nfindings);
	for (i = 0; i < rep->nfindings; i++) {
		assert_string_equal(frep->findings[i].code,
		    rep->findings[i].code);
		assert_string_equal(frep->findings[i].location,
		    rep->findings[i].location);
	}
	sd_zip_report_free(frep);
}

/* SHA-256 hex and base64 of b, by OpenSSL's one-shot digest. */
static void
expect_hashes(const struct bytes *b, const struct sd_zip_report *rep)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int mdlen = 0, i;
	char hex[65];

	assert_int_equal(EVP_Digest(b->p, b->n, md, &mdlen, EVP_sha256(),
	    NULL), 1);
	assert_int_equal(mdlen, 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_int_equal(EVP_EncodeBlock(b64, md, 32), 44);
	assert_string_equal(rep->sha256_hex, hex);
	assert_string_equal(rep->code_sha256_b64, (char *)b64);
}

static struct sd_zip_limits
provided(void)
{
	struct sd_zip_limits lim;

	sd_zip_limits_default(&lim);
	lim.require_bootstrap = 1;
	return lim;
}

/* ------------------------------------------------------------ fixtures */

static zip_int64_t
zeros_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	uint64_t *left = ud;
	zip_uint64_t n;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		*left = (uint64_t)50 * 1024 * 1024;
		return 0;
	case ZIP_SOURCE_READ:
		n = len < *left ? len : *left;
		memset(data, 0, n);
		*left -= n;
		return (zip_int64_t)n;
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = data;

		zip_stat_init(st);
		st->size = (uint64_t)50 * 1024 * 1024;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return 2 * sizeof(int);
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN,
		    ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE, ZIP_SOURCE_STAT,
		    ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE, -1);
	default:
		return -1;
	}
}

static int
setup(void **state)
{
	static uint64_t left;
	struct sd_error err = SD_ERROR_INIT;
	char *path, *data = NULL;
	zip_source_t *src;
	zip_t *za;
	int e = 0;

	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	path = tmp_path("bomb.zip");
	if ((za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &e)) == NULL ||
	    (src = zip_source_function(za, zeros_cb, &left)) == NULL ||
	    zip_file_add(za, "zeros", src, 0) < 0 ||
	    zip_set_file_compression(za, 0, ZIP_CM_DEFLATE, 9) != 0 ||
	    zip_close(za) != 0)
		return -1;
	if (sd_read_file(path, 1024 * 1024, &data, &bomb_len, &err) != 0)
		return -1;
	bomb = (uint8_t *)data;
	return unlink(path);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	(void)state;
	free(bomb);
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ tests */

static const char hello[] = "#!/bin/sh\necho hello\n";
static const char text[] = "The quick brown fox jumps over the lazy dog.\n";
static const char text3[] = "The quick brown fox jumps over the lazy dog.\n"
    "The quick brown fox jumps over the lazy dog.\n"
    "The quick brown fox jumps over the lazy dog.\n";

static void
test_good_zip(void **state)
{
	static const struct spec s[] = {
		{ "bootstrap", hello, sizeof(hello) - 1, 0100755, 0, 0 },
		{ "lib/", NULL, 0, 040755, 0, 0 },
		{ "lib/data.txt", text, sizeof(text) - 1, 0100644, 1, 0 },
		{ "lib/more.txt", text, sizeof(text) - 1, 0, 0, 0 },
	};
	struct sd_zip_limits lim = provided();
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 4);
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	assert_int_equal(rep->errors, 0);
	assert_int_equal(rep->warnings, 0);
	assert_int_equal(rep->entries, 4);
	assert_int_equal(rep->has_bootstrap, 1);
	assert_int_equal(rep->zipped_size, b.n);
	assert_int_equal(rep->unzipped_size, sizeof(hello) - 1 +
	    2 * (sizeof(text) - 1));
	assert_int_equal(rep->declared_unzipped_size, rep->unzipped_size);
	expect_hashes(&b, rep);
	expect_file_agrees(&b, rep, &lim);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_known_hash(void **state)
{
	struct hand h[] = {
		{ .name = "bootstrap", .data = hello, .len = sizeof(hello) - 1,
		  .mode = 0100755 },
	};
	struct sd_zip_limits lim = provided();
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	hand_zip(&b, h, 1, 0);
	assert_int_equal(b.n, 137);
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	/*
	 * The same 137 bytes built with Python's struct.pack and hashed with
	 * hashlib (and read back by Python's zipfile):
	 * hashlib.sha256(z).hexdigest(), base64.b64encode(...digest())
	 */
	assert_string_equal(rep->sha256_hex, "231384cc8046569486ab23fb83e4451e"
	    "a128b2bfcbe7eafe5a9fc4e01908c41c");
	assert_string_equal(rep->code_sha256_b64,
	    "IxOEzIBGVpSGqyP7g+RFHqEosr/L5+r+Wp/E4BkIxBw=");
	assert_int_equal(rep->has_bootstrap, 1);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_zip64(void **state)
{
	struct hand h[] = {
		{ .name = "bootstrap", .data = hello, .len = sizeof(hello) - 1,
		  .mode = 0100755 },
		{ .name = "a.txt", .data = text, .len = sizeof(text) - 1 },
	};
	struct sd_zip_limits lim = provided();
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	hand_zip(&b, h, 2, 1);
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	assert_int_equal(rep->entries, 2);
	assert_int_equal(rep->unzipped_size, sizeof(hello) - 1 +
	    sizeof(text) - 1);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_not_a_zip(void **state)
{
	static const char junk[] = "this is not a zip file, just some text";
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	put(&b, junk, sizeof(junk) - 1);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_NOT_A_ZIP", "lambda.zip", NULL);
	assert_string_equal(rep->findings[0].severity, "ERROR");
	assert_int_equal(rep->errors, 1);
	expect_hashes(&b, rep);
	expect_file_agrees(&b, rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);

	/* Nothing at all. */
	assert_int_equal(sd_zip_inspect_buf(NULL, 0, NULL, &rep, NULL), 0);
	expect_exactly(rep, "ZIP_NOT_A_ZIP", "lambda.zip", NULL);
	assert_string_equal(rep->sha256_hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	sd_zip_report_free(rep);
}

static void
test_too_large(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_zip_limits lim;
	struct sd_zip_report *rep = NULL;
	char *path = tmp_path("big.zip");
	struct bytes b = { 0 };
	char junk[1000];

	(void)state;
	memset(junk, 'x', sizeof(junk));
	put(&b, junk, sizeof(junk));
	sd_zip_limits_default(&lim);
	lim.max_zipped = 999;
	/* Checked before anything is read: not even "not a zip". */
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_TOO_LARGE", "lambda.zip", NULL);
	assert_string_equal(rep->sha256_hex, "");
	assert_int_equal(rep->zipped_size, 1000);
	sd_zip_report_free(rep);

	save(path, &b);
	assert_int_equal(chmod(path, 0), 0);	/* unreadable, yet only sized */
	assert_int_equal(sd_zip_inspect_file(path, &lim, &rep, &err), 0);
	expect_exactly(rep, "ZIP_TOO_LARGE", "big.zip", NULL);
	assert_int_equal(rep->zipped_size, 1000);
	sd_zip_report_free(rep);
	assert_int_equal(unlink(path), 0);

	lim.max_zipped = 1000;
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_NOT_A_ZIP", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_file_errors(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_zip_report *rep = (void *)1;

	(void)state;
	assert_int_equal(sd_zip_inspect_file(tmp_path("missing.zip"), NULL,
	    &rep, &err), SD_ERR_IO);
	assert_null(rep);
	assert_non_null(strstr(sd_error_text(&err), "missing.zip"));
	sd_error_clear(&err);
	assert_int_equal(sd_zip_inspect_file(tmpdir, NULL, &rep, &err),
	    SD_ERR_IO);
	assert_null(rep);
	sd_error_clear(&err);
	assert_int_equal(sd_zip_inspect_buf(NULL, 5, NULL, &rep, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
	sd_zip_report_free(NULL);
}

static void
test_too_many_entries(void **state)
{
	static const struct spec s[] = {
		{ "a", "1", 1, 0, 0, 0 },
		{ "b", "2", 1, 0, 0, 0 },
		{ "c", "3", 1, 0, 0, 0 },
		{ "d", "4", 1, 0, 0, 0 },
	};
	struct sd_zip_limits lim;
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	sd_zip_limits_default(&lim);
	lim.max_entries = 3;
	make_zip(&b, s, 4);
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_TOO_MANY_ENTRIES", "lambda.zip", NULL);
	assert_int_equal(rep->entries, 4);
	assert_int_equal(rep->unzipped_size, 0);
	sd_zip_report_free(rep);
	lim.max_entries = 4;
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_bomb(void **state)
{
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	put(&b, bomb, bomb_len);
	assert_true(b.n < 100 * 1024);
	rep = inspect(&b, NULL);
	/* Found from the declared sizes: nothing is decompressed. */
	expect_exactly(rep, "ZIP_BOMB", "lambda.zip:zeros",
	    "ZIP_BOMB", "lambda.zip", NULL);
	assert_int_equal(rep->unzipped_size, 0);
	assert_int_equal(rep->declared_unzipped_size, 50 * 1024 * 1024);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_bomb_lying_sizes(void **state)
{
	struct sd_zip_report *rep;
	struct bytes b = { 0 };
	size_t cd;

	(void)state;
	/* Declare 1000 bytes, in both headers; the data is still 50 MB. */
	put(&b, bomb, bomb_len);
	cd = cd_entry(&b, 0);
	set32(b.p + cd + 24, 1000);
	set32(b.p + local_entry(&b, 0) + 22, 1000);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_SIZE_MISMATCH", "lambda.zip:zeros", NULL);
	/* Decompression stopped at once, long before 50 MB. */
	assert_true(rep->unzipped_size > 1000);
	assert_true(rep->unzipped_size <= 64 * 1024);

	/* Declare 40:1: no ratio finding from the sizes, stopped at 2 MB. */
	sd_zip_report_free(rep);
	set32(b.p + cd + 24, (uint32_t)(40 * bomb_len));
	set32(b.p + local_entry(&b, 0) + 22, (uint32_t)(40 * bomb_len));
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_SIZE_MISMATCH", "lambda.zip:zeros", NULL);
	assert_true(rep->unzipped_size <= 40 * bomb_len + 64 * 1024);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_ratio_limit(void **state)
{
	static char zeros[4096];
	static const struct spec s[] = {
		{ "zeros", zeros, sizeof(zeros), 0, 0, 0 },
	};
	struct sd_zip_limits lim;
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 1);
	/* Small entries are not ratio-checked by default. */
	rep = inspect(&b, NULL);
	expect_exactly(rep, NULL);
	sd_zip_report_free(rep);
	sd_zip_limits_default(&lim);
	lim.ratio_min_size = 1024;
	rep = inspect(&b, &lim);
	/* 4096:20, but the whole zip is 4096:146, less than 100:1 */
	expect_exactly(rep, "ZIP_BOMB", "lambda.zip:zeros", NULL);
	sd_zip_report_free(rep);
	lim.max_ratio = UINT64_MAX;
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_unzipped_too_large(void **state)
{
	static uint8_t noise[600 * 1024];
	static const struct spec s[] = {
		{ "one", noise, sizeof(noise), 0, 1, 0 },
		{ "two", noise, sizeof(noise), 0, 1, 0 },
	};
	struct sd_zip_limits lim;
	struct sd_zip_report *rep;
	struct bytes b;
	uint32_t x = 1;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(noise); i++) {
		x = x * 1103515245U + 12345U;
		noise[i] = (uint8_t)(x >> 16);
	}
	make_zip(&b, s, 2);
	sd_zip_limits_default(&lim);
	lim.max_unzipped = 1024 * 1024;
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_UNZIPPED_TOO_LARGE", "lambda.zip", NULL);
	assert_int_equal(rep->unzipped_size, 0);
	assert_int_equal(rep->declared_unzipped_size, 2 * sizeof(noise));
	sd_zip_report_free(rep);
	lim.max_unzipped = 2 * sizeof(noise);
	rep = inspect(&b, &lim);
	expect_exactly(rep, NULL);
	assert_int_equal(rep->unzipped_size, 2 * sizeof(noise));
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_path_traversal(void **state)
{
	static const struct spec s[] = {
		{ "../x", "x", 1, 0, 0, 0 },
		{ "a/../../y", "y", 1, 0, 0, 0 },
		{ "ok/..z/z..", "z", 1, 0, 0, 0 },
		{ "b/..", "w", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 4);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_PATH_TRAVERSAL", "lambda.zip:../x",
	    "ZIP_PATH_TRAVERSAL", "lambda.zip:a/../../y",
	    "ZIP_PATH_TRAVERSAL", "lambda.zip:b/..", NULL);
	assert_int_equal(rep->errors, 3);
	expect_file_agrees(&b, rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_absolute_path(void **state)
{
	static const struct spec s[] = {
		{ "/etc/x", "x", 1, 0, 0, 0 },
		{ "C:/windows", "y", 1, 0, 0, 0 },
		{ "d:x", "z", 1, 0, 0, 0 },
		{ "etc/x", "x", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 4);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:/etc/x",
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:C:/windows",
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:d:x",
	    /* "/etc/x" and "etc/x" extract to the same place */
	    "ZIP_DUPLICATE_NAME", "lambda.zip:etc/x", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_backslash(void **state)
{
	static const struct spec s[] = {
		{ "a\\b", "x", 1, 0, 0, 0 },
		{ "..\\evil", "y", 1, 0, 0, 0 },
		{ "\\root", "z", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 3);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_BACKSLASH", "lambda.zip:a\\b",
	    "ZIP_BACKSLASH", "lambda.zip:..\\evil",
	    "ZIP_PATH_TRAVERSAL", "lambda.zip:..\\evil",
	    "ZIP_BACKSLASH", "lambda.zip:\\root",
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:\\root", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_control_characters(void **state)
{
	static const struct spec s[] = {
		{ "a\001b", "x", 1, 0, 0, 0 },
		{ "nulXname", "y", 1, 0, 0, 0 },
		{ "bad\xff\xfe.txt", "z", 1, 0, 0, 0 },
		{ "caf\xc3\xa9 \xe2\x80\xae.txt", "w", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;
	json_t *j;
	char *text_json;

	(void)state;
	make_zip(&b, s, 4);
	/* NUL in the name: libzip will not write it, so patch it in. */
	b.p[cd_entry(&b, 1) + 46 + 3] = '\0';
	b.p[local_entry(&b, 1) + 30 + 3] = '\0';
	rep = inspect(&b, NULL);
	/* Invalid UTF-8 and bidi overrides are shown escaped, not refused. */
	expect_exactly(rep,
	    "ZIP_CONTROL_CHARACTER", "lambda.zip:a\\x01b",
	    "ZIP_CONTROL_CHARACTER", "lambda.zip:nul\\x00name", NULL);
	assert_non_null(j = sd_zip_report_json(rep));
	assert_non_null(text_json = json_dumps(j, 0));
	json_decref(j);
	free(text_json);
	sd_zip_report_free(rep);

	/* The escaping, seen through a finding on each name. */
	b.p[cd_entry(&b, 2) + 46] = '/';
	b.p[local_entry(&b, 2) + 30] = '/';
	b.p[cd_entry(&b, 3) + 46] = '/';
	b.p[local_entry(&b, 3) + 30] = '/';
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_CONTROL_CHARACTER", "lambda.zip:a\\x01b",
	    "ZIP_CONTROL_CHARACTER", "lambda.zip:nul\\x00name",
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:/ad\\xff\\xfe.txt",
	    "ZIP_ABSOLUTE_PATH", "lambda.zip:/af\xc3\xa9 \\xe2\\x80\\xae.txt",
	    NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_long_names(void **state)
{
	char name[600];
	struct hand h[1] = { { .name = name, .data = "x", .len = 1 } };
	struct sd_zip_report *rep;
	struct bytes b = { 0 };
	const struct sd_zip_finding *f;

	(void)state;
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	name[0] = '/';
	hand_zip(&b, h, 1, 0);
	rep = inspect(&b, NULL);
	assert_int_equal(rep->nfindings, 2);
	assert_non_null(f = sd_zip_report_find(rep, "ZIP_BAD_NAME", NULL));
	/* 256 bytes of the name are shown, then "..." */
	assert_int_equal(strlen(f->location), strlen("lambda.zip:") + 256 + 3);
	assert_non_null(sd_zip_report_find(rep, "ZIP_ABSOLUTE_PATH",
	    f->location));
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_symlink(void **state)
{
	static const struct spec s[] = {
		{ "link", "/etc/passwd", 11, 0120777, 0, 0 },
		{ "fifo", "", 0, 0010644, 0, 0 },
		{ "file", "x", 1, 0100644, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 3);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_SYMLINK", "lambda.zip:link",
	    "ZIP_SPECIAL_FILE", "lambda.zip:fifo", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_truncated(void **state)
{
	static const struct spec s[] = {
		{ "a.txt", text, sizeof(text) - 1, 0, 0, 0 },
		{ "b.txt", text, sizeof(text) - 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;
	size_t full;

	(void)state;
	make_zip(&b, s, 2);
	full = b.n;
	b.n = full / 2;
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_TRUNCATED", "lambda.zip", NULL);
	expect_file_agrees(&b, rep, NULL);
	sd_zip_report_free(rep);
	b.n = full - 1;
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_TRUNCATED", "lambda.zip", NULL);
	sd_zip_report_free(rep);

	/* The central directory says b.txt's data is longer than the file. */
	b.n = full;
	set32(b.p + cd_entry(&b, 1) + 20, 100000);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_TRUNCATED", "lambda.zip:b.txt", NULL);
	sd_zip_report_free(rep);
	/* ... or its local header past the end */
	set32(b.p + cd_entry(&b, 1) + 20, get32(b.p + local_entry(&b, 1) +
	    18));
	set32(b.p + cd_entry(&b, 1) + 42, 1000000);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_TRUNCATED", "lambda.zip:b.txt", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_duplicate_names(void **state)
{
	static const struct spec s[] = {
		{ "aaa", "1", 1, 0, 0, 0 },
		{ "bbb", "2", 1, 0, 0, 0 },
		{ "dir/x", "3", 1, 0, 0, 0 },
		{ "./dir//x", "4", 1, 0, 0, 0 },
		{ "Foo.txt", "5", 1, 0, 0, 0 },
		{ "foo.TXT", "6", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 6);
	/* libzip refuses duplicates: rename bbb to aaa by hand. */
	memcpy(b.p + cd_entry(&b, 1) + 46, "aaa", 3);
	memcpy(b.p + local_entry(&b, 1) + 30, "aaa", 3);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_DUPLICATE_NAME", "lambda.zip:aaa",
	    "ZIP_DUPLICATE_NAME", "lambda.zip:./dir//x",
	    "ZIP_DUPLICATE_NAME_CASE", "lambda.zip:foo.TXT", NULL);
	assert_string_equal(sd_zip_report_find(rep, "ZIP_DUPLICATE_NAME_CASE",
	    NULL)->severity, "WARNING");
	assert_int_equal(rep->errors, 2);
	assert_int_equal(rep->warnings, 1);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_encrypted(void **state)
{
	static const struct spec aes[] = {
		{ "plain", "x", 1, 0, 0, 0 },
		{ "secret", text, sizeof(text) - 1, 0, 0, ZIP_EM_AES_256 },
	};
	static const struct spec trad[] = {
		{ "secret", text, sizeof(text) - 1, 0, 0, ZIP_EM_TRAD_PKWARE },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	if (zip_encryption_method_supported(ZIP_EM_AES_256, 1)) {
		make_zip(&b, aes, 2);
		rep = inspect(&b, NULL);
		expect_exactly(rep, "ZIP_ENCRYPTED", "lambda.zip:secret", NULL);
		assert_int_equal(rep->unzipped_size, 1);
		sd_zip_report_free(rep);
		free(b.p);
	} else
		fprintf(stderr, "libzip cannot write AES: AES case skipped\n");
	if (zip_encryption_method_supported(ZIP_EM_TRAD_PKWARE, 1)) {
		make_zip(&b, trad, 1);
		rep = inspect(&b, NULL);
		expect_exactly(rep, "ZIP_ENCRYPTED", "lambda.zip:secret", NULL);
		sd_zip_report_free(rep);
		free(b.p);
	}
	/* The flag bit alone, set by hand. */
	make_zip(&b, aes, 1);
	set16(b.p + cd_entry(&b, 0) + 8, 1);
	set16(b.p + local_entry(&b, 0) + 6, 1);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_ENCRYPTED", "lambda.zip:plain", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_overlapping_entries(void **state)
{
	struct hand inner = { .name = "b", .data = text,
	    .len = sizeof(text) - 1 };
	struct hand outer = { .name = "a" };
	struct bytes in = { 0 }, b = { 0 };
	struct sd_zip_report *rep;
	uint64_t cd;

	(void)state;
	/*
	 * "a" holds the local header and data of "b": a's data range
	 * contains b's. Names, CRCs and sizes all agree.
	 */
	hand_local(&in, &inner);
	outer.data = in.p;
	outer.len = in.n;
	hand_local(&b, &outer);
	inner.lho = outer.lho + 30 + 1;
	cd = b.n;
	hand_central(&b, &outer, 0);
	hand_central(&b, &inner, 0);
	hand_end(&b, 2, cd, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_OVERLAPPING_ENTRIES", "lambda.zip:b", NULL);
	/* b is not decompressed; a is (it is a valid stored entry). */
	assert_int_equal(rep->unzipped_size, in.n);
	expect_file_agrees(&b, rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);

	/* Two central entries pointing at one local header. */
	memset(&b, 0, sizeof(b));
	inner.name = "b";
	hand_local(&b, &inner);
	cd = b.n;
	hand_central(&b, &inner, 0);
	inner.name = "c";
	hand_central(&b, &inner, 0);
	hand_end(&b, 2, cd, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_OVERLAPPING_ENTRIES", "lambda.zip:c",
	    "ZIP_HEADER_MISMATCH", "lambda.zip:c", NULL);
	sd_zip_report_free(rep);
	free(b.p);
	free(in.p);
}

static void
test_overlap_central_directory(void **state)
{
	static const struct spec s[] = {
		{ "a.txt", text, sizeof(text) - 1, 0, 1, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;
	uint32_t comp;

	(void)state;
	make_zip(&b, s, 1);
	/* Stretch the stored data over the central directory. */
	comp = (uint32_t)(b.n - data_offset(&b, 0) - 10);
	set32(b.p + cd_entry(&b, 0) + 20, comp);
	set32(b.p + cd_entry(&b, 0) + 24, comp);
	set32(b.p + local_entry(&b, 0) + 18, comp);
	set32(b.p + local_entry(&b, 0) + 22, comp);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_OVERLAPPING_ENTRIES", "lambda.zip:a.txt",
	    NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_crc_mismatch(void **state)
{
	static const struct spec s[] = {
		{ "stored.txt", text, sizeof(text) - 1, 0, 1, 0 },
		{ "deflated.txt", text3, sizeof(text3) - 1, 0, 0, 0 },
		{ "ok.txt", text3, sizeof(text3) - 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;
	size_t cd;

	(void)state;
	make_zip(&b, s, 3);
	/* A byte of stored data. */
	b.p[data_offset(&b, 0) + 4] ^= 0x20;
	/* The recorded CRC of the deflated entry, in both headers. */
	cd = cd_entry(&b, 1);
	set32(b.p + cd + 16, get32(b.p + cd + 16) ^ 1);
	set32(b.p + local_entry(&b, 1) + 14, get32(b.p + cd + 16));
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_CRC_MISMATCH", "lambda.zip:stored.txt",
	    "ZIP_CRC_MISMATCH", "lambda.zip:deflated.txt", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_corrupt_data(void **state)
{
	static const struct spec s[] = {
		{ "deflated.txt", text3, sizeof(text3) - 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 1);
	memset(b.p + data_offset(&b, 0), 0xff, 4);	/* invalid block type */
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_CORRUPT_DATA", "lambda.zip:deflated.txt",
	    NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_header_mismatch(void **state)
{
	static const struct spec s[] = {
		{ "index.js", text, sizeof(text) - 1, 0, 0, 0 },
		{ "other.js", text, sizeof(text) - 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 2);
	memcpy(b.p + local_entry(&b, 0) + 30, "../x.js", 7);
	set32(b.p + cd_entry(&b, 1) + 42, 7);	/* inside a's header */
	rep = inspect(&b, NULL);
	expect_exactly(rep,
	    "ZIP_HEADER_MISMATCH", "lambda.zip:index.js",
	    "ZIP_HEADER_MISMATCH", "lambda.zip:other.js", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_unsupported_method(void **state)
{
	static const struct spec s[] = {
		{ "a.txt", text, sizeof(text) - 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, s, 1);
	set16(b.p + cd_entry(&b, 0) + 10, ZIP_CM_BZIP2);
	set16(b.p + local_entry(&b, 0) + 8, ZIP_CM_BZIP2);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_UNSUPPORTED_METHOD", "lambda.zip:a.txt",
	    NULL);
	assert_int_equal(rep->unzipped_size, 0);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_bootstrap(void **state)
{
	static const struct spec none[] = {
		{ "bin/bootstrap", hello, sizeof(hello) - 1, 0100755, 0, 0 },
		{ "bootstrap/", NULL, 0, 040755, 0, 0 },
	};
	static const struct spec plain[] = {
		{ "bootstrap", hello, sizeof(hello) - 1, 0100644, 0, 0 },
	};
	static const struct spec owner[] = {
		{ "bootstrap", hello, sizeof(hello) - 1, 0100744, 0, 0 },
	};
	static const struct spec link[] = {
		{ "bootstrap", "bin/real", 8, 0120777, 0, 0 },
	};
	static const struct spec nomode[] = {
		{ "bootstrap", hello, sizeof(hello) - 1, 0, 0, 0 },
	};
	struct sd_zip_limits lim = provided();
	struct sd_zip_report *rep;
	struct bytes b;

	(void)state;
	make_zip(&b, none, 2);
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_NO_BOOTSTRAP", "lambda.zip", NULL);
	assert_int_equal(rep->has_bootstrap, 0);
	sd_zip_report_free(rep);
	rep = inspect(&b, NULL);		/* not a provided runtime */
	expect_exactly(rep, NULL);
	sd_zip_report_free(rep);
	free(b.p);

	make_zip(&b, plain, 1);
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_BOOTSTRAP_NOT_EXECUTABLE",
	    "lambda.zip:bootstrap", NULL);
	assert_int_equal(rep->has_bootstrap, 0);
	sd_zip_report_free(rep);
	free(b.p);

	make_zip(&b, owner, 1);
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_BOOTSTRAP_PERMISSIONS",
	    "lambda.zip:bootstrap", NULL);
	assert_int_equal(rep->errors, 0);
	assert_int_equal(rep->has_bootstrap, 1);
	sd_zip_report_free(rep);
	free(b.p);

	make_zip(&b, link, 1);
	rep = inspect(&b, &lim);
	expect_exactly(rep,
	    "ZIP_SYMLINK", "lambda.zip:bootstrap",
	    "ZIP_BOOTSTRAP_NOT_EXECUTABLE", "lambda.zip:bootstrap", NULL);
	sd_zip_report_free(rep);
	free(b.p);

	/* libzip's default attributes are 0100666; clear them to "none". */
	make_zip(&b, nomode, 1);
	set32(b.p + cd_entry(&b, 0) + 38, 0);
	rep = inspect(&b, &lim);
	expect_exactly(rep, "ZIP_BOOTSTRAP_NOT_EXECUTABLE",
	    "lambda.zip:bootstrap", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_unicode_path_extra(void **state)
{
	/* Info-ZIP Unicode Path: version 1, CRC of the name, "../evil" */
	uint8_t extra[4 + 5 + 7];
	struct hand h[1] = { { .name = "good", .data = "x", .len = 1,
	    .cextra = extra, .cextralen = sizeof(extra) } };
	struct hand h2[2] = {
		{ .name = "first.x", .data = "1", .len = 1 },
		{ .name = "second", .data = "2", .len = 1 },
	};
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	set16(extra, 0x7075);
	set16(extra + 2, 5 + 7);
	extra[4] = 1;
	set32(extra + 5, crc32_of("good", 4));
	memcpy(extra + 9, "../evil", 7);
	hand_zip(&b, h, 1, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_PATH_TRAVERSAL", "lambda.zip:good", NULL);
	sd_zip_report_free(rep);
	free(b.p);

	/* An entry whose Unicode Path name is another entry's name. */
	memset(&b, 0, sizeof(b));
	memcpy(extra + 9, "first.x", 7);
	set32(extra + 5, crc32_of("second", 6));
	h2[1].cextra = extra;
	h2[1].cextralen = sizeof(extra);
	hand_zip(&b, h2, 2, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_DUPLICATE_NAME", "lambda.zip:second", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_empty_and_extra_data(void **state)
{
	struct hand h[1] = { { .name = "a", .data = "x", .len = 1 } };
	struct sd_zip_report *rep;
	struct bytes b = { 0 };

	(void)state;
	hand_end(&b, 0, 0, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_EMPTY", "lambda.zip", NULL);
	assert_int_equal(rep->errors, 0);
	sd_zip_report_free(rep);
	free(b.p);

	memset(&b, 0, sizeof(b));
	hand_zip(&b, h, 1, 0);
	put(&b, "trailing", 8);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_EXTRA_DATA", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_malformed(void **state)
{
	struct hand h[2] = {
		{ .name = "a", .data = "x", .len = 1 },
		{ .name = "b", .data = "y", .len = 1 },
	};
	struct sd_zip_report *rep;
	struct bytes b = { 0 };
	uint8_t copy[20];
	size_t eocd;

	(void)state;
	hand_zip(&b, h, 2, 0);
	eocd = b.n - 22;
	/* More entries than the central directory can hold. */
	set16(b.p + eocd + 8, 3);
	set16(b.p + eocd + 10, 3);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_MALFORMED", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	/* A split archive. */
	set16(b.p + eocd + 8, 2);
	set16(b.p + eocd + 10, 2);
	set16(b.p + eocd + 4, 1);
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_MALFORMED", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	set16(b.p + eocd + 4, 0);
	/* A second end record hidden in the comment of the first. */
	set16(b.p + eocd + 20, 22);
	memcpy(copy, b.p + eocd, 20);
	put(&b, copy, 20);
	put16(&b, 0);
	rep = inspect(&b, NULL);
	/* The later one is read, then the directory does not end at it. */
	expect_exactly(rep,
	    "ZIP_MALFORMED", "lambda.zip",
	    "ZIP_MALFORMED", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	b.n = eocd + 22;
	set16(b.p + eocd + 20, 0);
	rep = inspect(&b, NULL);
	expect_exactly(rep, NULL);
	sd_zip_report_free(rep);
	/* The central directory's second entry loses its signature. */
	b.p[get32(b.p + eocd + 16) + 46 + 1] = 'X';
	rep = inspect(&b, NULL);
	expect_exactly(rep, "ZIP_MALFORMED", "lambda.zip", NULL);
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_findings_cap(void **state)
{
	struct hand h[30];
	char names[30][8];
	struct sd_zip_report *rep;
	struct bytes b = { 0 };
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "../%02zu", i);
		memset(&h[i], 0, sizeof(h[i]));
		h[i].name = names[i];
		h[i].data = "x";
		h[i].len = 1;
	}
	hand_zip(&b, h, 30, 0);
	rep = inspect(&b, NULL);
	assert_int_equal(rep->errors, 30);
	assert_int_equal(rep->nfindings, SD_ZIP_MAX_PER_CODE + 1);
	for (i = 0; i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].code, "ZIP_PATH_TRAVERSAL") == 0)
			n++;
	assert_int_equal(n, SD_ZIP_MAX_PER_CODE + 1);
	assert_non_null(sd_zip_report_find(rep, "ZIP_PATH_TRAVERSAL",
	    "lambda.zip"));
	assert_non_null(strstr(rep->findings[SD_ZIP_MAX_PER_CODE].message,
	    "10 more"));
	sd_zip_report_free(rep);
	free(b.p);
}

static void
test_json(void **state)
{
	static const struct spec s[] = {
		{ "../evil", "x", 1, 0, 0, 0 },
	};
	struct sd_zip_report *rep;
	struct bytes b;
	json_t *j, *d;

	(void)state;
	make_zip(&b, s, 1);
	rep = inspect(&b, NULL);
	assert_non_null(j = sd_zip_report_json(rep));
	assert_string_equal(json_string_value(json_object_get(j, "sha256")),
	    rep->sha256_hex);
	assert_string_equal(json_string_value(json_object_get(j,
	    "codeSha256")), rep->code_sha256_b64);
	assert_int_equal(json_integer_value(json_object_get(j, "zippedSize")),
	    b.n);
	assert_int_equal(json_integer_value(json_object_get(j,
	    "unzippedSize")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "entries")), 1);
	assert_int_equal(json_object_size(j), 6);
	d = json_array_get(json_object_get(j, "diagnostics"), 0);
	assert_non_null(d);
	assert_int_equal(json_array_size(json_object_get(j, "diagnostics")),
	    1);
	assert_string_equal(json_string_value(json_object_get(d, "severity")),
	    "ERROR");
	assert_string_equal(json_string_value(json_object_get(d, "code")),
	    "ZIP_PATH_TRAVERSAL");
	assert_string_equal(json_string_value(json_object_get(d, "location")),
	    "lambda.zip:../evil");
	assert_non_null(json_string_value(json_object_get(d, "message")));
	json_decref(j);
	sd_zip_report_free(rep);
	free(b.p);

	/* No hash when the zip was too large to read: null. */
	assert_int_equal(sd_zip_inspect_buf("xy", 2, &(struct sd_zip_limits){
	    .max_zipped = 1 }, &rep, NULL), 0);
	assert_non_null(j = sd_zip_report_json(rep));
	assert_true(json_is_null(json_object_get(j, "sha256")));
	assert_true(json_is_null(json_object_get(j, "codeSha256")));
	json_decref(j);
	sd_zip_report_free(rep);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_zip),
		cmocka_unit_test(test_known_hash),
		cmocka_unit_test(test_zip64),
		cmocka_unit_test(test_not_a_zip),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_too_many_entries),
		cmocka_unit_test(test_bomb),
		cmocka_unit_test(test_bomb_lying_sizes),
		cmocka_unit_test(test_ratio_limit),
		cmocka_unit_test(test_unzipped_too_large),
		cmocka_unit_test(test_path_traversal),
		cmocka_unit_test(test_absolute_path),
		cmocka_unit_test(test_backslash),
		cmocka_unit_test(test_control_characters),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_duplicate_names),
		cmocka_unit_test(test_encrypted),
		cmocka_unit_test(test_overlapping_entries),
		cmocka_unit_test(test_overlap_central_directory),
		cmocka_unit_test(test_crc_mismatch),
		cmocka_unit_test(test_corrupt_data),
		cmocka_unit_test(test_header_mismatch),
		cmocka_unit_test(test_unsupported_method),
		cmocka_unit_test(test_bootstrap),
		cmocka_unit_test(test_unicode_path_extra),
		cmocka_unit_test(test_empty_and_extra_data),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_findings_cap),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
