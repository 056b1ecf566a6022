/*
 * zip.c: the Lambda zip inspector (sd_zip.h).
 *
 * The zip is untrusted, so it is examined twice over, in memory:
 *  1. here, by a small bounds-checked parser of the end records (ZIP64
 *     included), the central directory and each local header, which gives
 *     every entry's exact byte range, raw name, flags and unix mode;
 *  2. by libzip, opened on the same bytes, which must see the same entries;
 *     each entry is then streamed through zip_fread into one fixed buffer,
 *     counting the bytes and letting libzip check the CRC at the end.
 * Nothing is written to disk, and decompression of an entry stops as soon
 * as it passes its declared size or a limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <zip.h>

#include "sd_buf.h"
#include "sd_err.h"
#include "sd_zip.h"

#define SIG_LOCAL	0x04034b50U
#define SIG_CENTRAL	0x02014b50U
#define SIG_EOCD	0x06054b50U
#define SIG_EOCD64	0x06064b50U
#define SIG_LOCATOR64	0x07064b50U

#define LOCAL_LEN	30
#define CENTRAL_LEN	46
#define EOCD_LEN	22
#define EOCD64_LEN	56
#define LOCATOR64_LEN	20
#define MAX_COMMENT	65535

#define FLAG_ENCRYPTED	0x0001U
#define FLAG_DESCRIPTOR	0x0008U
#define FLAG_STRONG	0x0040U

#define METHOD_STORE	0
#define METHOD_DEFLATE	8
#define METHOD_AES	99

#define EXTRA_ZIP64	0x0001U
#define EXTRA_UPATH	0x7075U
#define EXTRA_AES	0x9901U

/* Unix mode bits as zip stores them (the traditional values). */
#define M_IFMT		0170000U
#define M_IFSOCK	0140000U
#define M_IFLNK		0120000U
#define M_IFREG		0100000U
#define M_IFBLK		0060000U
#define M_IFDIR		0040000U
#define M_IFCHR		0020000U
#define M_IFIFO		0010000U

#define SHOW_MAX	256		/* name bytes shown in a location */
#define NAME_MAX_LEN	4096		/* Linux PATH_MAX */
#define COMPONENT_MAX	255		/* Linux NAME_MAX */
#define CHUNK		(64 * 1024)	/* decompression buffer */
#define READ_CHUNK	(64 * 1024)	/* file read and hash step */

enum code {
	C_TOO_LARGE,
	C_NOT_A_ZIP,
	C_TRUNCATED,
	C_MALFORMED,
	C_TOO_MANY_ENTRIES,
	C_UNZIPPED_TOO_LARGE,
	C_BOMB,
	C_SIZE_MISMATCH,
	C_OVERLAP,
	C_HEADER_MISMATCH,
	C_TRAVERSAL,
	C_ABSOLUTE,
	C_BACKSLASH,
	C_CONTROL,
	C_BAD_NAME,
	C_SYMLINK,
	C_SPECIAL,
	C_DUPLICATE,
	C_ENCRYPTED,
	C_METHOD,
	C_CRC,
	C_CORRUPT,
	C_NO_BOOTSTRAP,
	C_BOOTSTRAP_NX,
	C_DUPLICATE_CASE,
	C_BOOTSTRAP_PERM,
	C_EXTRA_DATA,
	C_EMPTY,
	C__COUNT
};

static const struct {
	const char	*code;
	int		 error;		/* 1 ERROR, 0 WARNING */
} codes[C__COUNT] = {
	[C_TOO_LARGE] =		{ "ZIP_TOO_LARGE", 1 },
	[C_NOT_A_ZIP] =		{ "ZIP_NOT_A_ZIP", 1 },
	[C_TRUNCATED] =		{ "ZIP_TRUNCATED", 1 },
	[C_MALFORMED] =		{ "ZIP_MALFORMED", 1 },
	[C_TOO_MANY_ENTRIES] =	{ "ZIP_TOO_MANY_ENTRIES", 1 },
	[C_UNZIPPED_TOO_LARGE] = { "ZIP_UNZIPPED_TOO_LARGE", 1 },
	[C_BOMB] =		{ "ZIP_BOMB", 1 },
	[C_SIZE_MISMATCH] =	{ "ZIP_SIZE_MISMATCH", 1 },
	[C_OVERLAP] =		{ "ZIP_OVERLAPPING_ENTRIES", 1 },
	[C_HEADER_MISMATCH] =	{ "ZIP_HEADER_MISMATCH", 1 },
	[C_TRAVERSAL] =		{ "ZIP_PATH_TRAVERSAL", 1 },
	[C_ABSOLUTE] =		{ "ZIP_ABSOLUTE_PATH", 1 },
	[C_BACKSLASH] =		{ "ZIP_BACKSLASH", 1 },
	[C_CONTROL] =		{ "ZIP_CONTROL_CHARACTER", 1 },
	[C_BAD_NAME] =		{ "ZIP_BAD_NAME", 1 },
	[C_SYMLINK] =		{ "ZIP_SYMLINK", 1 },
	[C_SPECIAL] =		{ "ZIP_SPECIAL_FILE", 1 },
	[C_DUPLICATE] =		{ "ZIP_DUPLICATE_NAME", 1 },
	[C_ENCRYPTED] =		{ "ZIP_ENCRYPTED", 1 },
	[C_METHOD] =		{ "ZIP_UNSUPPORTED_METHOD", 1 },
	[C_CRC] =		{ "ZIP_CRC_MISMATCH", 1 },
	[C_CORRUPT] =		{ "ZIP_CORRUPT_DATA", 1 },
	[C_NO_BOOTSTRAP] =	{ "ZIP_NO_BOOTSTRAP", 1 },
	[C_BOOTSTRAP_NX] =	{ "ZIP_BOOTSTRAP_NOT_EXECUTABLE", 1 },
	[C_DUPLICATE_CASE] =	{ "ZIP_DUPLICATE_NAME_CASE", 0 },
	[C_BOOTSTRAP_PERM] =	{ "ZIP_BOOTSTRAP_PERMISSIONS", 0 },
	[C_EXTRA_DATA] =	{ "ZIP_EXTRA_DATA", 0 },
	[C_EMPTY] =		{ "ZIP_EMPTY", 0 },
};

/* One central directory entry; name and upath point into the zip bytes. */
struct zent {
	const uint8_t	*name;
	size_t		 namelen;
	const uint8_t	*upath;		/* Info-ZIP Unicode Path, or NULL */
	size_t		 upathlen;
	uint16_t	 made_by;
	uint16_t	 flags;
	uint16_t	 method;
	uint32_t	 crc;
	uint32_t	 ext_attr;
	uint64_t	 comp;		/* compressed size */
	uint64_t	 size;		/* uncompressed size */
	uint64_t	 lho;		/* local header offset */
	uint64_t	 end;		/* end of the data, when ranged */
	int		 ranged;	/* [lho, end) is known, in the file */
	int		 aes;		/* has a WinZip AES extra field */
	int		 skip;		/* do not decompress */
	char		*where;		/* "ZIPNAME:NAME"; new */
};

struct zctx {
	const uint8_t		*buf;
	size_t			 len;
	struct sd_zip_limits	 lim;
	char			*zipname;	/* shown form; new */
	char			*prefix;	/* zipname + ":"; new */
	struct sd_zip_report	*rep;
	size_t			 cap;		/* allocated findings */
	size_t			 count[C__COUNT];
	struct zent		*ent;
	size_t			 nent;
	uint64_t		 cd_off;
	uint64_t		 cd_size;
	int			 stop;		/* a finding ended it all */
	int			 no_stream;	/* decompress nothing */
};

/* ------------------------------------------------------------ helpers */

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t
sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Is n more than ratio times base? (without overflow; base 0 is infinite) */
static int
over_ratio(uint64_t n, uint64_t base, uint64_t ratio)
{
	uint64_t q = n / ratio;

	return q > base || (q == base && n % ratio != 0);
}

static unsigned long long
ull(uint64_t v)
{
	return (unsigned long long)v;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t
utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return len;
}

/* Code points not shown as they are: C1 controls, bidi controls. */
static int
hidden_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* Append the shown form of the n bytes at s (see sd_zip.h). */
static int
show(struct sd_buf *b, const uint8_t *s, size_t n)
{
	size_t i = 0, k, len;
	uint32_t cp;

	while (i < n) {
		if (i >= SHOW_MAX) {
			(void)sd_buf_puts(b, "...");
			break;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			(void)sd_buf_printf(b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (s[i] < 0x80) {
			(void)sd_buf_putc(b, (char)s[i]);
			i++;
			continue;
		}
		if ((len = utf8_seq(s + i, n - i, &cp)) == 0) {
			(void)sd_buf_printf(b, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (hidden_cp(cp)) {
			for (k = 0; k < len; k++)
				(void)sd_buf_printf(b, "\\x%02x", s[i + k]);
		} else
			(void)sd_buf_append(b, s + i, len);
		i += len;
	}
	return b->failed ? SD_ERR_NOMEM : 0;
}

/* New "PREFIX" + shown form of s, or NULL on ENOMEM. */
static char *
shown(const char *prefix, const uint8_t *s, size_t n)
{
	struct sd_buf b;

	sd_buf_init(&b, 64 * 1024);
	if (prefix != NULL)
		(void)sd_buf_puts(&b, prefix);
	if (show(&b, s, n) != 0) {
		sd_buf_release(&b);
		return NULL;
	}
	if (b.data == NULL)
		(void)sd_buf_puts(&b, "");
	return sd_buf_steal(&b);
}

/* An entry's shown name: its location without "ZIPNAME:". */
static const char *
bare(const struct zctx *z, const struct zent *e)
{
	return e->where + strlen(z->zipname) + 1;
}

/* ------------------------------------------------------------ findings */

/*
 * Record a finding of code c at where (NULL: the zip itself). Only the
 * first SD_ZIP_MAX_PER_CODE of a code are listed. 0 or SD_ERR_NOMEM.
 */
static int
finding(struct zctx *z, enum code c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
add_finding(struct zctx *z, enum code c, const char *where, char *msg)
{
	struct sd_zip_report *rep = z->rep;
	struct sd_zip_finding *f, *nf;
	size_t ncap;

	if (msg == NULL)
		return SD_ERR_NOMEM;
	if (rep->nfindings == z->cap) {
		ncap = z->cap == 0 ? 8 : z->cap * 2;
		if ((nf = reallocarray(rep->findings, ncap, sizeof(*nf))) ==
		    NULL) {
			free(msg);
			return SD_ERR_NOMEM;
		}
		rep->findings = nf;
		z->cap = ncap;
	}
	f = &rep->findings[rep->nfindings];
	f->severity = codes[c].error ? "ERROR" : "WARNING";
	f->code = codes[c].code;
	f->message = msg;
	if ((f->location = strdup(where != NULL ? where : z->zipname)) ==
	    NULL) {
		free(msg);
		return SD_ERR_NOMEM;
	}
	rep->nfindings++;
	return 0;
}

static int
finding(struct zctx *z, enum code c, const char *where, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	z->count[c]++;
	if (codes[c].error)
		z->rep->errors++;
	else
		z->rep->warnings++;
	if (z->count[c] > SD_ZIP_MAX_PER_CODE)
		return 0;
	va_start(ap, fmt);
	msg = sd_vasprintf(fmt, ap);
	va_end(ap);
	return add_finding(z, c, where, msg);
}

/* After the inspection: say how many findings of each code went unlisted. */
static int
summarise(struct zctx *z)
{
	size_t c, left;
	int r;

	for (c = 0; c < C__COUNT; c++) {
		if (z->count[c] <= SD_ZIP_MAX_PER_CODE)
			continue;
		left = z->count[c] - SD_ZIP_MAX_PER_CODE;
		if ((r = add_finding(z, (enum code)c, NULL, sd_asprintf("%zu "
		    "more findings of this code are not listed", left))) != 0)
			return r;
	}
	return 0;
}

/* ------------------------------------------------------------ hashing */

static void
hex_digest(const unsigned char *md, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0xf];
	}
	out[64] = '\0';
}

static int
hash_final(EVP_MD_CTX *md, struct sd_zip_report *rep)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	if (EVP_DigestFinal_ex(md, d, &dlen) != 1 || dlen != 32)
		return SD_ERR_INTERNAL;
	hex_digest(d, rep->sha256_hex);
	if (EVP_EncodeBlock((unsigned char *)rep->code_sha256_b64, d, 32) !=
	    44)
		return SD_ERR_INTERNAL;
	return 0;
}

static int
hash_buf(const uint8_t *buf, size_t len, struct sd_zip_report *rep)
{
	EVP_MD_CTX *md = NULL;
	size_t off, n;
	int r = SD_ERR_NOMEM;

	if ((md = EVP_MD_CTX_new()) == NULL)
		goto out;
	r = SD_ERR_INTERNAL;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	for (off = 0; off < len; off += n) {
		n = len - off < READ_CHUNK ? len - off : READ_CHUNK;
		if (EVP_DigestUpdate(md, buf + off, n) != 1)
			goto out;
	}
	r = hash_final(md, rep);
 out:
	EVP_MD_CTX_free(md);
	return r;
}

/* ------------------------------------------------------------ structure */

/*
 * Find the end of central directory record: the last one whose comment
 * ends exactly at the end of the file (1; 3 when there are more such: a
 * record hidden in the comment, which other readers may take), or failing
 * that the last one whose comment fits (2: the bytes after it are extra).
 */
static int
find_eocd(struct zctx *z, size_t *eocd)
{
	size_t pos, lo, clen;
	int have_loose = 0, exact = 0;

	if (z->len < EOCD_LEN)
		return 0;
	lo = z->len - EOCD_LEN > MAX_COMMENT ? z->len - EOCD_LEN - MAX_COMMENT :
	    0;
	for (pos = z->len - EOCD_LEN + 1; pos-- > lo;) {
		if (get32(z->buf + pos) != SIG_EOCD)
			continue;
		clen = get16(z->buf + pos + 20);
		if (clen == z->len - pos - EOCD_LEN) {
			if (exact++ == 0)
				*eocd = pos;
		} else if (!exact && !have_loose &&
		    clen < z->len - pos - EOCD_LEN) {
			*eocd = pos;
			have_loose = 1;
		}
	}
	if (exact > 1)
		return 3;
	if (exact == 1)
		return 1;
	return have_loose ? 2 : 0;
}

/* Read the end records; sets stop when the zip cannot be examined. */
static int
read_end(struct zctx *z)
{
	const uint8_t *e, *l, *r64;
	size_t eocd = 0, loc;
	uint64_t disk, cd_disk, n_disk, n_total, cd_size, cd_off, records;
	uint64_t z64, rsize;
	int found, r;

	if ((found = find_eocd(z, &eocd)) == 0) {
		z->stop = 1;
		if (z->len >= 4 && get32(z->buf) == SIG_LOCAL)
			return finding(z, C_TRUNCATED, NULL, "the file starts "
			    "like a zip but has no end of central directory "
			    "record: it is cut short");
		return finding(z, C_NOT_A_ZIP, NULL, "not a zip file: no end "
		    "of central directory record");
	}
	if (found == 3 && (r = finding(z, C_MALFORMED, NULL, "more than one "
	    "end of central directory record fits the end of the file")) != 0)
		return r;
	if (found == 2 && (r = finding(z, C_EXTRA_DATA, NULL, "%zu bytes "
	    "after the end of central directory record",
	    z->len - eocd - EOCD_LEN - get16(z->buf + eocd + 20))) != 0)
		return r;

	e = z->buf + eocd;
	disk = get16(e + 4);
	cd_disk = get16(e + 6);
	n_disk = get16(e + 8);
	n_total = get16(e + 10);
	cd_size = get32(e + 12);
	cd_off = get32(e + 16);
	records = eocd;

	if (eocd >= LOCATOR64_LEN && get32(e - LOCATOR64_LEN) ==
	    SIG_LOCATOR64) {
		loc = eocd - LOCATOR64_LEN;
		l = z->buf + loc;
		z64 = get64(l + 8);
		if (get32(l + 4) != 0 || get32(l + 16) > 1) {
			z->stop = 1;
			return finding(z, C_MALFORMED, NULL, "split "
			    "(multi-disk) archives are not supported");
		}
		if (z64 > loc || loc - z64 < EOCD64_LEN ||
		    get32(z->buf + z64) != SIG_EOCD64) {
			z->stop = 1;
			return finding(z, C_MALFORMED, NULL, "no ZIP64 end of "
			    "central directory record at offset %llu",
			    ull(z64));
		}
		r64 = z->buf + z64;
		rsize = get64(r64 + 4);
		if (rsize != loc - z64 - 12) {
			z->stop = 1;
			return finding(z, C_MALFORMED, NULL, "the ZIP64 end of "
			    "central directory record does not end at its "
			    "locator");
		}
		disk = get32(r64 + 16);
		cd_disk = get32(r64 + 20);
		n_disk = get64(r64 + 24);
		n_total = get64(r64 + 32);
		cd_size = get64(r64 + 40);
		cd_off = get64(r64 + 48);
		records = z64;
	}

	z->rep->entries = n_total;
	if (disk != 0 || cd_disk != 0 || n_disk != n_total) {
		z->stop = 1;
		return finding(z, C_MALFORMED, NULL, "split (multi-disk) "
		    "archives are not supported");
	}
	if (cd_off > records || cd_size > records - cd_off) {
		z->stop = 1;
		if (cd_off > z->len || cd_size > z->len - cd_off)
			return finding(z, C_TRUNCATED, NULL, "the central "
			    "directory (%llu bytes at offset %llu) runs past "
			    "the end of the file", ull(cd_size), ull(cd_off));
		return finding(z, C_MALFORMED, NULL, "the central directory "
		    "(%llu bytes at offset %llu) overlaps the end records",
		    ull(cd_size), ull(cd_off));
	}
	if (cd_off + cd_size != records && (r = finding(z, C_MALFORMED, NULL,
	    "%llu bytes between the central directory and the end records",
	    ull(records - cd_off - cd_size))) != 0)
		return r;
	if (n_total > z->lim.max_entries) {
		z->stop = 1;
		return finding(z, C_TOO_MANY_ENTRIES, NULL, "%llu entries, "
		    "more than the limit of %llu", ull(n_total),
		    ull(z->lim.max_entries));
	}
	if (n_total > cd_size / CENTRAL_LEN) {
		z->stop = 1;
		return finding(z, C_MALFORMED, NULL, "%llu entries cannot fit "
		    "in a central directory of %llu bytes", ull(n_total),
		    ull(cd_size));
	}
	z->cd_off = cd_off;
	z->cd_size = cd_size;
	z->nent = (size_t)n_total;
	if (n_total == 0)
		return finding(z, C_EMPTY, NULL, "the zip has no entries");
	return 0;
}

/* Parse the extra fields of a central entry. */
static int
parse_extra(struct zctx *z, struct zent *e, const uint8_t *p, size_t n,
    uint32_t size32, uint32_t comp32, uint32_t lho32, uint32_t *disk)
{
	size_t id, sz, off = 0, k;
	const uint8_t *d;
	int bad = 0, r;

	while (n - off >= 4) {
		id = get16(p + off);
		sz = get16(p + off + 2);
		if (sz > n - off - 4) {
			bad = 1;
			break;
		}
		d = p + off + 4;
		if (id == EXTRA_ZIP64) {
			k = 0;
			if (size32 == UINT32_MAX) {
				if (sz - k < 8)
					bad = 1;
				else
					e->size = get64(d + k);
				k += 8;
			}
			if (comp32 == UINT32_MAX && !bad) {
				if (sz - k < 8)
					bad = 1;
				else
					e->comp = get64(d + k);
				k += 8;
			}
			if (lho32 == UINT32_MAX && !bad) {
				if (sz - k < 8)
					bad = 1;
				else
					e->lho = get64(d + k);
				k += 8;
			}
			if (*disk == UINT16_MAX && !bad) {
				if (sz - k < 4)
					bad = 1;
				else
					*disk = get32(d + k);
			}
		} else if (id == EXTRA_UPATH && sz >= 5 && d[0] == 1) {
			e->upath = d + 5;
			e->upathlen = sz - 5;
		} else if (id == EXTRA_AES)
			e->aes = 1;
		off += 4 + sz;
	}
	if (bad) {
		e->skip = 1;
		if ((r = finding(z, C_MALFORMED, e->where, "malformed extra "
		    "field in the central directory")) != 0)
			return r;
	}
	return 0;
}

/* Parse the central directory; sets stop when it cannot be walked. */
static int
read_central(struct zctx *z)
{
	const uint8_t *p;
	struct zent *e;
	uint64_t off = z->cd_off, end = z->cd_off + z->cd_size;
	size_t i, n, m, k;
	uint32_t size32, comp32, lho32, disk;
	int r;

	if (z->nent == 0)
		goto check_end;
	if ((z->ent = calloc(z->nent, sizeof(*z->ent))) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < z->nent; i++) {
		e = &z->ent[i];
		p = z->buf + off;
		if (end - off < CENTRAL_LEN || get32(p) != SIG_CENTRAL) {
			z->stop = 1;
			return finding(z, C_MALFORMED, NULL, "central "
			    "directory entry %zu at offset %llu is missing or "
			    "cut short",
			    i, ull(off));
		}
		n = get16(p + 28);
		m = get16(p + 30);
		k = get16(p + 32);
		if (end - off - CENTRAL_LEN < n + m + k) {
			z->stop = 1;
			return finding(z, C_MALFORMED, NULL, "central "
			    "directory entry %zu runs past the central "
			    "directory", i);
		}
		e->made_by = get16(p + 4);
		e->flags = get16(p + 8);
		e->method = get16(p + 10);
		e->crc = get32(p + 16);
		comp32 = get32(p + 20);
		size32 = get32(p + 24);
		disk = get16(p + 34);
		e->ext_attr = get32(p + 38);
		lho32 = get32(p + 42);
		e->comp = comp32;
		e->size = size32;
		e->lho = lho32;
		e->name = p + CENTRAL_LEN;
		e->namelen = n;
		if ((e->where = shown(z->prefix, e->name, n)) == NULL)
			return SD_ERR_NOMEM;
		if ((r = parse_extra(z, e, p + CENTRAL_LEN + n, m, size32,
		    comp32, lho32, &disk)) != 0)
			return r;
		if (disk != 0) {
			e->skip = 1;
			if ((r = finding(z, C_MALFORMED, e->where, "the entry "
			    "starts on disk %u of a split archive",
			    (unsigned)disk)) != 0)
				return r;
		}
		off += CENTRAL_LEN + n + m + k;
	}
 check_end:
	if (off != end)
		return finding(z, C_MALFORMED, NULL, "the central directory "
		    "holds %llu bytes after its %zu entries", ull(end - off),
		    z->nent);
	return 0;
}

/* ------------------------------------------------------------ entries */

static int
check_one_name(struct zctx *z, struct zent *e, const uint8_t *s, size_t n,
    const char *what)
{
	size_t i, start, clen;
	int ctl = 0, bs = 0, dots = 0, longc = 0, r;

	if (n == 0)
		return finding(z, C_BAD_NAME, e->where, "%s is empty", what);
	if (n > NAME_MAX_LEN && (r = finding(z, C_BAD_NAME, e->where,
	    "%s is %zu bytes long, more than %d", what, n, NAME_MAX_LEN)) != 0)
		return r;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			ctl = 1;
		if (s[i] == '\\')
			bs = 1;
	}
	/* Components, split at "/" and "\" (both separate on some hosts). */
	for (start = 0; start <= n; start = i + 1) {
		for (i = start; i < n && s[i] != '/' && s[i] != '\\'; i++)
			;
		clen = i - start;
		if (clen == 2 && s[start] == '.' && s[start + 1] == '.')
			dots = 1;
		if (clen > COMPONENT_MAX)
			longc = 1;
	}
	if (s[0] == '/' || s[0] == '\\' || (n >= 2 && s[1] == ':' &&
	    ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z')))) {
		if ((r = finding(z, C_ABSOLUTE, e->where, "%s is an absolute "
		    "path", what)) != 0)
			return r;
	}
	if (dots && (r = finding(z, C_TRAVERSAL, e->where, "%s has a \"..\" "
	    "component", what)) != 0)
		return r;
	if (bs && (r = finding(z, C_BACKSLASH, e->where, "%s contains a "
	    "backslash", what)) != 0)
		return r;
	if (ctl && (r = finding(z, C_CONTROL, e->where, "%s contains a NUL "
	    "or control character", what)) != 0)
		return r;
	if (longc && (r = finding(z, C_BAD_NAME, e->where, "%s has a "
	    "component longer than %d bytes", what, COMPONENT_MAX)) != 0)
		return r;
	return 0;
}

/* Names, file types, encryption and method: from the central entry alone. */
static int
check_entries(struct zctx *z)
{
	struct zent *e;
	uint32_t mode, type;
	size_t i;
	int r;

	for (i = 0; i < z->nent; i++) {
		e = &z->ent[i];
		if ((r = check_one_name(z, e, e->name, e->namelen,
		    "the name")) != 0)
			return r;
		if (e->upath != NULL && (r = check_one_name(z, e, e->upath,
		    e->upathlen, "its Unicode Path name")) != 0)
			return r;
		mode = e->ext_attr >> 16;
		type = mode & M_IFMT;
		if (type == M_IFLNK) {
			if ((r = finding(z, C_SYMLINK, e->where, "the entry is "
			    "a symbolic link (mode %06o)",
			    (unsigned)mode)) != 0)
				return r;
		} else if (type == M_IFCHR || type == M_IFBLK ||
		    type == M_IFIFO || type == M_IFSOCK) {
			if ((r = finding(z, C_SPECIAL, e->where, "the entry is "
			    "a device, FIFO or socket (mode %06o)",
			    (unsigned)mode)) != 0)
				return r;
		}
		if ((e->flags & (FLAG_ENCRYPTED | FLAG_STRONG)) != 0 ||
		    e->method == METHOD_AES || e->aes) {
			e->skip = 1;
			if ((r = finding(z, C_ENCRYPTED, e->where, "the entry "
			    "is encrypted")) != 0)
				return r;
		} else if (e->method != METHOD_STORE &&
		    e->method != METHOD_DEFLATE) {
			e->skip = 1;
			if ((r = finding(z, C_METHOD, e->where, "compression "
			    "method %u is not supported (only stored and "
			    "deflated)", (unsigned)e->method)) != 0)
				return r;
		}
	}
	return 0;
}

/* The local header of e: present, in the file, agreeing with the central. */
static int
check_local(struct zctx *z, struct zent *e)
{
	const uint8_t *p;
	uint64_t hdr_end;
	uint32_t lcomp, lsize;
	size_t n, m;
	char *lname = NULL;
	int r;

	if (z->len < LOCAL_LEN || e->lho > z->len - LOCAL_LEN) {
		e->skip = 1;
		return finding(z, C_TRUNCATED, e->where, "the local header "
		    "at offset %llu is past the end of the file", ull(e->lho));
	}
	p = z->buf + e->lho;
	if (get32(p) != SIG_LOCAL) {
		e->skip = 1;
		return finding(z, C_HEADER_MISMATCH, e->where, "no local "
		    "header at offset %llu", ull(e->lho));
	}
	n = get16(p + 26);
	m = get16(p + 28);
	hdr_end = e->lho + LOCAL_LEN + n + m;
	if (hdr_end > z->len || e->comp > z->len - hdr_end) {
		e->skip = 1;
		return finding(z, C_TRUNCATED, e->where, "the entry's %s runs "
		    "past the end of the file", hdr_end > z->len ?
		    "local header" : "data");
	}
	e->end = hdr_end + e->comp;
	e->ranged = 1;
	if (e->end > z->cd_off) {
		e->skip = 1;
		return finding(z, C_OVERLAP, e->where, "the entry (offsets "
		    "%llu to %llu) runs into the central directory at %llu",
		    ull(e->lho), ull(e->end), ull(z->cd_off));
	}
	if (n != e->namelen || memcmp(p + LOCAL_LEN, e->name, n) != 0) {
		if ((lname = shown(NULL, p + LOCAL_LEN, n)) == NULL)
			return SD_ERR_NOMEM;
		r = finding(z, C_HEADER_MISMATCH, e->where, "the local header "
		    "names it \"%s\"", lname);
		free(lname);
		return r;
	}
	if (get16(p + 8) != e->method)
		return finding(z, C_HEADER_MISMATCH, e->where, "the local "
		    "header gives compression method %u, the central directory"
		    " %u", (unsigned)get16(p + 8), (unsigned)e->method);
	if ((get16(p + 6) & FLAG_ENCRYPTED) != (e->flags & FLAG_ENCRYPTED)) {
		e->skip = 1;
		return finding(z, C_HEADER_MISMATCH, e->where, "the local "
		    "header and the central directory disagree on "
		    "encryption");
	}
	if ((get16(p + 6) & FLAG_DESCRIPTOR) != 0)
		return 0;
	lcomp = get32(p + 18);
	lsize = get32(p + 22);
	if (get32(p + 14) != e->crc ||
	    (lcomp != UINT32_MAX && lcomp != e->comp) ||
	    (lsize != UINT32_MAX && lsize != e->size))
		return finding(z, C_HEADER_MISMATCH, e->where, "the local "
		    "header gives another CRC or size than the central "
		    "directory");
	return 0;
}

struct range {
	uint64_t	 start;
	uint64_t	 end;
	size_t		 i;
};

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Local headers, then entries sharing bytes (each against all before it). */
static int
check_ranges(struct zctx *z)
{
	struct range *rg = NULL;
	struct zent *e, *o;
	uint64_t maxend = 0, first;
	size_t i, n = 0, maxi = 0;
	int r = 0;

	for (i = 0; i < z->nent; i++)
		if ((r = check_local(z, &z->ent[i])) != 0)
			return r;
	if (z->nent == 0)
		goto leading;
	if ((rg = calloc(z->nent, sizeof(*rg))) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < z->nent; i++) {
		if (!z->ent[i].ranged)
			continue;
		rg[n].start = z->ent[i].lho;
		rg[n].end = z->ent[i].end;
		rg[n].i = i;
		n++;
	}
	qsort(rg, n, sizeof(*rg), range_cmp);
	for (i = 0; i < n; i++) {
		e = &z->ent[rg[i].i];
		if (i > 0 && rg[i].start < maxend) {
			o = &z->ent[maxi];
			e->skip = 1;
			if ((r = finding(z, C_OVERLAP, e->where, "the entry "
			    "(offsets %llu to %llu) shares bytes with \"%s\" "
			    "(offsets %llu to %llu)", ull(rg[i].start),
			    ull(rg[i].end), bare(z, o),
			    ull(o->lho), ull(o->end))) != 0)
				goto out;
		}
		if (i == 0 || rg[i].end > maxend) {
			maxend = rg[i].end;
			maxi = rg[i].i;
		}
	}
 leading:
	first = z->cd_off;
	if (n > 0 && rg[0].start < first)
		first = rg[0].start;
	if (first > 0)
		r = finding(z, C_EXTRA_DATA, NULL, "%llu bytes before the "
		    "first entry", ull(first));
 out:
	free(rg);
	return r;
}

/* A name's path as extracted: no "." or empty components, no final "/". */
struct pathkey {
	char	*key;
	size_t	 len;
	size_t	 i;
};

static int
pathkey_new(const uint8_t *s, size_t n, size_t i, struct pathkey *pk)
{
	size_t start, j, clen;

	pk->i = i;
	if ((pk->key = malloc(n + 1)) == NULL)
		return SD_ERR_NOMEM;
	pk->len = 0;
	for (start = 0; start <= n; start = j + 1) {
		for (j = start; j < n && s[j] != '/'; j++)
			;
		clen = j - start;
		if (clen == 0 || (clen == 1 && s[start] == '.'))
			continue;
		if (pk->len > 0)
			pk->key[pk->len++] = '/';
		memcpy(pk->key + pk->len, s + start, clen);
		pk->len += clen;
	}
	pk->key[pk->len] = '\0';
	return 0;
}

static int
pathkey_cmp(const struct pathkey *x, const struct pathkey *y, int fold)
{
	size_t i, n = x->len < y->len ? x->len : y->len;
	unsigned char a, b;

	for (i = 0; i < n; i++) {
		a = (unsigned char)x->key[i];
		b = (unsigned char)y->key[i];
		if (fold) {
			if (a >= 'A' && a <= 'Z')
				a += 'a' - 'A';
			if (b >= 'A' && b <= 'Z')
				b += 'a' - 'A';
		}
		if (a != b)
			return a < b ? -1 : 1;
	}
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return 0;
}

static int
pathkey_exact(const void *a, const void *b)
{
	const struct pathkey *x = a, *y = b;
	int c;

	if ((c = pathkey_cmp(x, y, 0)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int
pathkey_folded(const void *a, const void *b)
{
	const struct pathkey *x = a, *y = b;
	int c;

	if ((c = pathkey_cmp(x, y, 1)) != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Duplicates: the same path (an ERROR), or the same but for case. An
 * entry's Unicode Path name, when it has one, takes part as well.
 */
static int
check_duplicates(struct zctx *z)
{
	struct pathkey *pk = NULL;
	struct zent *e, *o;
	size_t i, n = 0, max;
	int r = 0;

	if (z->nent < 2)
		return 0;
	if (z->nent > SIZE_MAX / 2 / sizeof(*pk))
		return SD_ERR_OVERFLOW;
	max = 2 * z->nent;
	if ((pk = calloc(max, sizeof(*pk))) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < z->nent; i++) {
		e = &z->ent[i];
		if ((r = pathkey_new(e->name, e->namelen, i, &pk[n++])) != 0)
			goto out;
		if (e->upath != NULL && (r = pathkey_new(e->upath, e->upathlen,
		    i, &pk[n++])) != 0)
			goto out;
	}
	qsort(pk, n, sizeof(*pk), pathkey_exact);
	for (i = 1; i < n; i++) {
		if (pk[i - 1].i == pk[i].i ||
		    pathkey_cmp(&pk[i - 1], &pk[i], 0) != 0)
			continue;
		e = &z->ent[pk[i].i];
		o = &z->ent[pk[i - 1].i];
		if (e->namelen == o->namelen &&
		    memcmp(e->name, o->name, e->namelen) == 0)
			r = finding(z, C_DUPLICATE, e->where, "entries %zu and "
			    "%zu have the same name", pk[i - 1].i, pk[i].i);
		else
			r = finding(z, C_DUPLICATE, e->where, "the entry "
			    "extracts to the same path as \"%s\"", bare(z, o));
		if (r != 0)
			goto out;
	}
	qsort(pk, n, sizeof(*pk), pathkey_folded);
	for (i = 1; i < n; i++) {
		if (pk[i - 1].i == pk[i].i ||
		    pathkey_cmp(&pk[i - 1], &pk[i], 1) != 0 ||
		    pathkey_cmp(&pk[i - 1], &pk[i], 0) == 0)
			continue;
		if ((r = finding(z, C_DUPLICATE_CASE, z->ent[pk[i].i].where,
		    "the name differs only in case from \"%s\"",
		    bare(z, &z->ent[pk[i - 1].i]))) != 0)
			goto out;
	}
 out:
	for (i = 0; i < max; i++)
		free(pk[i].key);
	free(pk);
	return r;
}

/* Declared sizes against the limits and the ratio. */
static int
check_declared(struct zctx *z)
{
	struct zent *e;
	uint64_t total = 0;
	size_t i;
	int r;

	for (i = 0; i < z->nent; i++) {
		e = &z->ent[i];
		total = sat_add(total, e->size);
		if (e->method == METHOD_STORE && !e->skip &&
		    e->size != e->comp) {
			e->skip = 1;
			if ((r = finding(z, C_SIZE_MISMATCH, e->where, "the "
			    "stored entry declares %llu bytes compressed and "
			    "%llu uncompressed", ull(e->comp), ull(e->size))) !=
			    0)
				return r;
		}
		if (e->size >= z->lim.ratio_min_size &&
		    over_ratio(e->size, e->comp, z->lim.max_ratio)) {
			e->skip = 1;
			if ((r = finding(z, C_BOMB, e->where, "the entry "
			    "declares %llu bytes from %llu compressed, more "
			    "than %llu:1", ull(e->size), ull(e->comp),
			    ull(z->lim.max_ratio))) != 0)
				return r;
		}
	}
	z->rep->declared_unzipped_size = total;
	if (total > z->lim.max_unzipped) {
		z->no_stream = 1;
		if ((r = finding(z, C_UNZIPPED_TOO_LARGE, NULL, "the entries "
		    "declare %llu bytes in all, more than the limit of %llu",
		    ull(total), ull(z->lim.max_unzipped))) != 0)
			return r;
	}
	if (total >= z->lim.ratio_min_size &&
	    over_ratio(total, z->len, z->lim.max_ratio))
		return finding(z, C_BOMB, NULL, "the entries declare %llu bytes"
		    " in all from a zip of %zu bytes, more than %llu:1",
		    ull(total), z->len, ull(z->lim.max_ratio));
	return 0;
}

/* A regular "bootstrap" at the root with an execute bit (sd_zip.h). */
static int
check_bootstrap(struct zctx *z)
{
	struct zent *e;
	uint32_t mode, type;
	size_t i;
	int found = 0, req = z->lim.require_bootstrap, r;

	for (i = 0; i < z->nent; i++) {
		e = &z->ent[i];
		if (e->namelen != 9 || memcmp(e->name, "bootstrap", 9) != 0)
			continue;
		found = 1;
		mode = e->ext_attr >> 16;
		type = mode & M_IFMT;
		if (mode == 0) {
			if (req && (r = finding(z, C_BOOTSTRAP_NX, e->where,
			    "bootstrap has no unix mode, so it is not "
			    "executable")) != 0)
				return r;
		} else if (type != M_IFREG && type != 0) {
			if (req && (r = finding(z, C_BOOTSTRAP_NX, e->where,
			    "bootstrap is not a regular file (mode %06o)",
			    (unsigned)mode)) != 0)
				return r;
		} else if ((mode & 0111) == 0) {
			if (req && (r = finding(z, C_BOOTSTRAP_NX, e->where,
			    "bootstrap has mode %04o: no execute bit",
			    (unsigned)(mode & 07777))) != 0)
				return r;
		} else {
			z->rep->has_bootstrap = 1;
			if (req && (mode & 0555) != 0555 && (r = finding(z,
			    C_BOOTSTRAP_PERM, e->where, "bootstrap has mode "
			    "%04o: Lambda needs it readable and executable by "
			    "all (0755)", (unsigned)(mode & 07777))) != 0)
				return r;
		}
	}
	if (req && !found)
		return finding(z, C_NO_BOOTSTRAP, NULL, "the runtime needs an "
		    "executable file \"bootstrap\" at the root of the zip");
	return 0;
}

/* ------------------------------------------------------------ streaming */

/* Map a libzip error on entry e to a finding (or SD_ERR_NOMEM). */
static int
zip_failure(struct zctx *z, struct zent *e, zip_error_t *ze, const char *what)
{
	switch (zip_error_code_zip(ze)) {
	case ZIP_ER_MEMORY:
		return SD_ERR_NOMEM;
	case ZIP_ER_CRC:
		return finding(z, C_CRC, e->where, "the data does not match "
		    "its CRC-32 %08x", (unsigned)e->crc);
	case ZIP_ER_ENCRNOTSUPP:
	case ZIP_ER_NOPASSWD:
	case ZIP_ER_WRONGPASSWD:
		return finding(z, C_ENCRYPTED, e->where, "the entry is "
		    "encrypted");
	case ZIP_ER_COMPNOTSUPP:
		return finding(z, C_METHOD, e->where, "compression method %u "
		    "is not supported", (unsigned)e->method);
	default:
		return finding(z, C_CORRUPT, e->where, "%s: %s", what,
		    zip_error_strerror(ze));
	}
}

/* Decompress entry i into buf, counting; stop at the first problem. */
static int
stream_entry(struct zctx *z, zip_t *za, size_t i, uint8_t *buf)
{
	struct zent *e = &z->ent[i];
	struct sd_zip_report *rep = z->rep;
	zip_file_t *zf = NULL;
	zip_int64_t n;
	uint64_t got = 0;
	size_t before = rep->errors;
	int r = 0;

	if ((zf = zip_fopen_index(za, i, 0)) == NULL)
		return zip_failure(z, e, zip_get_error(za),
		    "libzip cannot open the entry");
	for (;;) {
		if ((n = zip_fread(zf, buf, CHUNK)) < 0) {
			r = zip_failure(z, e, zip_file_get_error(zf),
			    "the data cannot be decompressed");
			break;
		}
		if (n == 0) {
			if (got != e->size)
				r = finding(z, C_SIZE_MISMATCH, e->where, "the "
				    "entry decompresses to %llu bytes, not its "
				    "declared %llu", ull(got), ull(e->size));
			break;
		}
		got += (uint64_t)n;
		rep->unzipped_size = sat_add(rep->unzipped_size, (uint64_t)n);
		if (got > e->size) {
			r = finding(z, C_SIZE_MISMATCH, e->where, "the entry "
			    "decompresses to more than its declared %llu bytes",
			    ull(e->size));
			break;
		}
		if (rep->unzipped_size > z->lim.max_unzipped) {
			z->no_stream = 1;
			r = finding(z, C_UNZIPPED_TOO_LARGE, e->where, "the "
			    "entries decompress to more than the limit of %llu "
			    "bytes", ull(z->lim.max_unzipped));
			break;
		}
		if (got >= z->lim.ratio_min_size &&
		    over_ratio(got, e->comp, z->lim.max_ratio)) {
			r = finding(z, C_BOMB, e->where, "the entry "
			    "decompresses to more than %llu times its %llu "
			    "compressed bytes", ull(z->lim.max_ratio),
			    ull(e->comp));
			break;
		}
	}
	/* zip_fclose repeats a read error already reported. */
	if (zip_fclose(zf) != 0 && r == 0 && rep->errors == before)
		r = finding(z, C_CORRUPT, e->where, "libzip cannot close the "
		    "entry");
	return r;
}

/*
 * Is libzip's name for an entry the raw name? libzip turns NUL into " "
 * and takes the Info-ZIP Unicode Path name when its CRC matches.
 */
static int
same_name(const char *lname, const uint8_t *name, size_t n)
{
	size_t i;

	if (strlen(lname) != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((uint8_t)lname[i] != name[i] &&
		    !(name[i] == '\0' && lname[i] == ' '))
			return 0;
	return 1;
}

/*
 * Does libzip see entry i (to be decompressed) as the central directory
 * here says? Another end record or directory would show up here.
 */
static int
same_entry(zip_t *za, size_t i, const struct zent *e)
{
	zip_stat_t st;
	zip_uint8_t opsys = 0;
	zip_uint32_t attr = 0;
	const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE |
	    ZIP_STAT_CRC | ZIP_STAT_COMP_METHOD;

	zip_stat_init(&st);
	if (zip_stat_index(za, i, 0, &st) != 0 || (st.valid & need) != need ||
	    zip_file_get_external_attributes(za, i, 0, &opsys, &attr) != 0)
		return 0;
	return st.size == e->size && st.comp_size == e->comp &&
	    st.crc == e->crc && st.comp_method == e->method &&
	    opsys == (e->made_by >> 8) && attr == e->ext_attr;
}

/* Open the same bytes with libzip, check it agrees, stream every entry. */
static int
stream_all(struct zctx *z)
{
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	zip_error_t ze;
	uint8_t *buf = NULL;
	const char *lname;
	size_t i;
	int r = 0;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(z->buf, z->len, 0, &ze)) == NULL) {
		r = zip_error_code_zip(&ze) == ZIP_ER_MEMORY ? SD_ERR_NOMEM :
		    SD_ERR_INTERNAL;
		goto out;
	}
	if ((za = zip_open_from_source(src, ZIP_RDONLY, &ze)) == NULL) {
		zip_source_free(src);
		if (zip_error_code_zip(&ze) == ZIP_ER_MEMORY)
			r = SD_ERR_NOMEM;
		else
			r = finding(z, C_MALFORMED, NULL, "libzip cannot open "
			    "the zip: %s", zip_error_strerror(&ze));
		goto out;
	}
	if (zip_get_num_entries(za, 0) < 0 ||
	    (uint64_t)zip_get_num_entries(za, 0) != z->nent) {
		r = finding(z, C_MALFORMED, NULL, "libzip sees %lld entries, "
		    "the central directory holds %zu",
		    (long long)zip_get_num_entries(za, 0), z->nent);
		goto out;
	}
	for (i = 0; i < z->nent; i++) {
		if ((lname = zip_get_name(za, i, ZIP_FL_ENC_RAW)) == NULL) {
			if (zip_error_code_zip(zip_get_error(za)) ==
			    ZIP_ER_MEMORY) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			r = finding(z, C_MALFORMED, z->ent[i].where, "libzip "
			    "cannot read the name");
			goto out;
		}
		if (!same_name(lname, z->ent[i].name, z->ent[i].namelen) &&
		    (z->ent[i].upath == NULL || !same_name(lname,
		    z->ent[i].upath, z->ent[i].upathlen))) {
			r = finding(z, C_MALFORMED, z->ent[i].where, "libzip "
			    "sees another name for entry %zu", i);
			goto out;
		}
		if (!z->ent[i].skip && !same_entry(za, i, &z->ent[i])) {
			r = finding(z, C_MALFORMED, z->ent[i].where, "libzip "
			    "sees other sizes, CRC, method or attributes for "
			    "entry %zu", i);
			goto out;
		}
	}
	if ((buf = malloc(CHUNK)) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < z->nent && !z->no_stream; i++) {
		if (z->ent[i].skip)
			continue;
		if ((r = stream_entry(z, za, i, buf)) != 0)
			goto out;
	}
	if (z->count[C_BOMB] == 0 && z->rep->unzipped_size >=
	    z->lim.ratio_min_size && over_ratio(z->rep->unzipped_size, z->len,
	    z->lim.max_ratio))
		r = finding(z, C_BOMB, NULL, "the entries decompress to %llu "
		    "bytes from a zip of %zu bytes, more than %llu:1",
		    ull(z->rep->unzipped_size), z->len, ull(z->lim.max_ratio));
 out:
	free(buf);
	if (za != NULL)
		zip_discard(za);
	zip_error_fini(&ze);
	return r;
}

/* ------------------------------------------------------------ API */

void
sd_zip_limits_default(struct sd_zip_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_zipped = SD_ZIP_MAX_ZIPPED_DEFAULT;
	lim->max_unzipped = SD_ZIP_MAX_UNZIPPED_DEFAULT;
	lim->max_entries = SD_ZIP_MAX_ENTRIES_DEFAULT;
	lim->max_ratio = SD_ZIP_MAX_RATIO_DEFAULT;
	lim->ratio_min_size = SD_ZIP_RATIO_MIN_SIZE_DEFAULT;
}

static void
limits_fill(struct sd_zip_limits *dst, const struct sd_zip_limits *src)
{
	sd_zip_limits_default(dst);
	if (src == NULL)
		return;
	if (src->max_zipped != 0)
		dst->max_zipped = src->max_zipped;
	if (src->max_unzipped != 0)
		dst->max_unzipped = src->max_unzipped;
	if (src->max_entries != 0)
		dst->max_entries = src->max_entries;
	if (src->max_ratio != 0)
		dst->max_ratio = src->max_ratio;
	if (src->ratio_min_size != 0)
		dst->ratio_min_size = src->ratio_min_size;
	dst->require_bootstrap = src->require_bootstrap;
}

void
sd_zip_report_free(struct sd_zip_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->nfindings; i++) {
		free(rep->findings[i].message);
		free(rep->findings[i].location);
	}
	free(rep->findings);
	free(rep);
}

static void
zctx_free(struct zctx *z)
{
	size_t i;

	if (z->ent != NULL)
		for (i = 0; i < z->nent; i++)
			free(z->ent[i].where);
	free(z->ent);
	free(z->zipname);
	free(z->prefix);
}

/* Set up z for zipname; the report is new. */
static int
zctx_init(struct zctx *z, const char *zipname, const struct sd_zip_limits *lim)
{
	memset(z, 0, sizeof(*z));
	limits_fill(&z->lim, lim);
	if ((z->zipname = shown(NULL, (const uint8_t *)zipname,
	    strlen(zipname))) == NULL ||
	    (z->prefix = sd_asprintf("%s:", z->zipname)) == NULL)
		return SD_ERR_NOMEM;
	if ((z->rep = calloc(1, sizeof(*z->rep))) == NULL)
		return SD_ERR_NOMEM;
	return 0;
}

/* Everything after the size check and the hash. */
static int
inspect(struct zctx *z, const uint8_t *buf, size_t len)
{
	int r;

	z->buf = buf;
	z->len = len;
	if ((r = read_end(z)) != 0 || z->stop)
		goto out;
	if ((r = read_central(z)) != 0 || z->stop)
		goto out;
	if ((r = check_entries(z)) != 0 ||
	    (r = check_ranges(z)) != 0 ||
	    (r = check_duplicates(z)) != 0 ||
	    (r = check_declared(z)) != 0 ||
	    (r = check_bootstrap(z)) != 0)
		goto out;
	if (!z->no_stream && (r = stream_all(z)) != 0)
		goto out;
 out:
	if (r == 0)
		r = summarise(z);
	return r;
}

/* Hand the report over, or free it and fill err. */
static int
finish(struct zctx *z, int r, struct sd_zip_report **out,
    struct sd_error *err)
{
	if (r == 0) {
		*out = z->rep;
		z->rep = NULL;
	} else if (err != NULL && err->code != r)
		sd_error_set(err, r, NULL, "zip inspection: %s",
		    sd_strerror(r));
	sd_zip_report_free(z->rep);
	z->rep = NULL;
	zctx_free(z);
	return r;
}

/* The only finding when the zip is over max_zipped: nothing else is read. */
static int
too_large(struct zctx *z, uint64_t size)
{
	z->rep->zipped_size = size;
	return finding(z, C_TOO_LARGE, NULL, "the zip is %llu bytes, more than "
	    "the limit of %llu", ull(size), ull(z->lim.max_zipped));
}

int
sd_zip_inspect_buf(const void *buf, size_t len,
    const struct sd_zip_limits *lim, struct sd_zip_report **out,
    struct sd_error *err)
{
	struct zctx z;
	int r;

	if (out == NULL || (buf == NULL && len != 0))
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "sd_zip_inspect_buf: NULL argument");
	*out = NULL;
	if ((r = zctx_init(&z, "lambda.zip", lim)) != 0)
		goto out;
	z.rep->zipped_size = len;
	if ((uint64_t)len > z.lim.max_zipped) {
		r = too_large(&z, (uint64_t)len);
		goto out;
	}
	if ((r = hash_buf(buf, len, z.rep)) != 0)
		goto out;
	r = inspect(&z, buf, len);
 out:
	return finish(&z, r, out, err);
}

/* Read exactly size bytes of fd into a new buffer, hashing them. */
static int
read_hashed(int fd, const char *path, size_t size, uint8_t **out,
    struct sd_zip_report *rep, struct sd_error *err)
{
	EVP_MD_CTX *md = NULL;
	uint8_t *buf = NULL, extra;
	size_t off = 0, want;
	ssize_t n;
	int r = SD_ERR_NOMEM;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL ||
	    (md = EVP_MD_CTX_new()) == NULL)
		goto out;
	r = SD_ERR_INTERNAL;
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		goto out;
	while (off < size) {
		want = size - off < READ_CHUNK ? size - off : READ_CHUNK;
		if ((n = read(fd, buf + off, want)) == -1) {
			if (errno == EINTR)
				continue;
			r = sd_error_set(err, SD_ERR_IO, NULL, "cannot read %s:"
			    " %s", path, strerror(errno));
			goto out;
		}
		if (n == 0) {
			r = sd_error_set(err, SD_ERR_IO, NULL, "%s shrank "
			    "while it was read", path);
			goto out;
		}
		if (EVP_DigestUpdate(md, buf + off, (size_t)n) != 1)
			goto out;
		off += (size_t)n;
	}
	while ((n = read(fd, &extra, 1)) == -1 && errno == EINTR)
		;
	if (n != 0) {
		r = sd_error_set(err, SD_ERR_IO, NULL, n == -1 ? "cannot read "
		    "%s" : "%s grew while it was read", path);
		goto out;
	}
	if ((r = hash_final(md, rep)) != 0)
		goto out;
	*out = buf;
	buf = NULL;
 out:
	EVP_MD_CTX_free(md);
	free(buf);
	return r;
}

int
sd_zip_inspect_file(const char *path, const struct sd_zip_limits *lim,
    struct sd_zip_report **out, struct sd_error *err)
{
	struct zctx z;
	struct stat st;
	const char *base;
	uint8_t *buf = NULL;
	int fd = -1, r;

	if (out == NULL || path == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL,
		    "sd_zip_inspect_file: NULL argument");
	*out = NULL;
	base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
	if ((r = zctx_init(&z, base, lim)) != 0)
		goto out;
	/* The size first: a file over the limit is not even opened. */
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			r = sd_error_set(err, SD_ERR_IO, NULL, "%s is not a "
			    "regular file", path);
			goto out;
		}
		if ((uint64_t)st.st_size > z.lim.max_zipped) {
			r = too_large(&z, (uint64_t)st.st_size);
			goto out;
		}
	}
	/* O_NONBLOCK: a FIFO put in its place must not hang the open. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK)) == -1) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot open %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot stat %s: %s",
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = sd_error_set(err, SD_ERR_IO, NULL, "%s is not a regular "
		    "file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > z.lim.max_zipped) {
		r = too_large(&z, (uint64_t)st.st_size);
		goto out;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		r = sd_error_set(err, SD_ERR_OVERFLOW, NULL, "%s is too large "
		    "to inspect", path);
		goto out;
	}
	z.rep->zipped_size = (uint64_t)st.st_size;
	if ((r = read_hashed(fd, path, (size_t)st.st_size, &buf, z.rep,
	    err)) != 0)
		goto out;
	r = inspect(&z, buf, (size_t)st.st_size);
 out:
	if (fd != -1 && close(fd) != 0 && r == 0)
		r = sd_error_set(err, SD_ERR_IO, NULL, "cannot close %s: %s",
		    path, strerror(errno));
	free(buf);
	return finish(&z, r, out, err);
}

const struct sd_zip_finding *
sd_zip_report_find(const struct sd_zip_report *rep, const char *code,
    const char *location)
{
	size_t i;

	if (rep == NULL || code == NULL)
		return NULL;
	for (i = 0; i < rep->nfindings; i++) {
		if (strcmp(rep->findings[i].code, code) != 0)
			continue;
		if (location == NULL ||
		    strcmp(rep->findings[i].location, location) == 0)
			return &rep->findings[i];
	}
	return NULL;
}

static json_t *
size_json(uint64_t v)
{
	/* json_int_t is long long (JSON_INTEGER_IS_LONG_LONG). */
	return json_integer(v > (uint64_t)LLONG_MAX ? LLONG_MAX :
	    (json_int_t)v);
}

static json_t *
hash_json(const char *s)
{
	return s[0] != '\0' ? json_string(s) : json_null();
}

json_t *
sd_zip_report_json(const struct sd_zip_report *rep)
{
	const struct sd_zip_finding *f;
	json_t *o = NULL, *diags = NULL, *d = NULL;
	size_t i;

	if (rep == NULL)
		return NULL;
	if ((o = json_object()) == NULL || (diags = json_array()) == NULL)
		goto fail;
	if (json_object_set_new(o, "sha256", hash_json(rep->sha256_hex)) != 0 ||
	    json_object_set_new(o, "codeSha256",
	    hash_json(rep->code_sha256_b64)) != 0 ||
	    json_object_set_new(o, "zippedSize",
	    size_json(rep->zipped_size)) != 0 ||
	    json_object_set_new(o, "unzippedSize",
	    size_json(rep->unzipped_size)) != 0 ||
	    json_object_set_new(o, "entries", size_json(rep->entries)) != 0)
		goto fail;
	for (i = 0; i < rep->nfindings; i++) {
		f = &rep->findings[i];
		if ((d = json_object()) == NULL ||
		    json_object_set_new(d, "severity",
		    json_string(f->severity)) != 0 ||
		    json_object_set_new(d, "code", json_string(f->code)) != 0 ||
		    json_object_set_new(d, "message",
		    json_string(f->message)) != 0 ||
		    json_object_set_new(d, "location",
		    json_string(f->location)) != 0 ||
		    json_array_append_new(diags, d) != 0) {
			json_decref(d);
			goto fail;
		}
		d = NULL;
	}
	if (json_object_set_new(o, "diagnostics", diags) != 0) {
		diags = NULL;
		goto fail;
	}
	return o;
 fail:
	json_decref(diags);
	json_decref(o);
	return NULL;
}
