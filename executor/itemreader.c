/*
 * itemreader.c: a Distributed Map's ItemReader over a local directory that
 * stands for S3 (see sd_itemreader.h).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "sd_buf.h"
#include "sd_itemreader.h"

#define IR_MAX_FILE	((size_t)1 << 31)	/* 2 GiB per object */
#define IR_MAX_DEPTH	32			/* directory levels listed */
#define IR_MAX_KEY	1024			/* S3's longest key, bytes */
#define IR_MAX_OBJECTS	((size_t)1 << 24)

static int
ir_fail(char **why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
ir_fail(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*why = sd_vasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* A bucket name or key that maps to a path below the directory. */
static int
safe_name(const char *s, int is_key)
{
	const char *p = s, *e;
	size_t n;

	if (*s == '\0' || *s == '/')
		return 0;
	if (!is_key && strchr(s, '/') != NULL)
		return 0;
	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' &&
		    p[1] == '.') || (n == 0 && is_key))
			return 0;
		if (e == NULL)
			return 1;
		p = e + 1;
	}
}

static int
param_string(json_t *params, const char *name, int required,
    const char **out, char **why)
{
	json_t *v = json_object_get(params, name);

	*out = NULL;
	if (v == NULL) {
		if (required)
			return ir_fail(why, "The ItemReader's parameters need "
			    "\"%s\"", name);
		return 0;
	}
	if (!json_is_string(v))
		return ir_fail(why, "The ItemReader's \"%s\" must be a string",
		    name);
	*out = json_string_value(v);
	return 0;
}

/* Read a whole file (new, NUL-terminated) into *buf, *len. */
static int
read_file(const char *path, const char *bucket, const char *key, char **buf,
    size_t *len, char **why)
{
	FILE *fp;
	struct stat sb;
	char *b;
	size_t n;

	if ((fp = fopen(path, "rb")) == NULL)
		return ir_fail(why, "The object s3://%s/%s cannot be read: %s",
		    bucket, key, errno == ENOENT ? "The specified key does not "
		    "exist." : strerror(errno));
	if (fstat(fileno(fp), &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size >= IR_MAX_FILE) {
		fclose(fp);
		return ir_fail(why, "The object s3://%s/%s is not a regular "
		    "file of at most 2 GiB", bucket, key);
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		fclose(fp);
		return ir_fail(why, "out of memory reading s3://%s/%s", bucket,
		    key);
	}
	n = fread(b, 1, (size_t)sb.st_size, fp);
	if (ferror(fp) || n != (size_t)sb.st_size) {
		fclose(fp);
		free(b);
		return ir_fail(why, "The object s3://%s/%s cannot be read",
		    bucket, key);
	}
	fclose(fp);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static int
parse_json_items(const char *buf, size_t len, uint64_t max, json_t *items,
    const char *what, char **why)
{
	json_error_t je;
	json_t *v, *e;
	size_t i;

	if ((v = json_loadb(buf, len, JSON_DECODE_ANY, &je)) == NULL)
		return ir_fail(why, "%s is not JSON: %s (line %d)", what,
		    je.text, je.line);
	if (!json_is_array(v)) {
		json_decref(v);
		return ir_fail(why, "%s must hold a JSON array", what);
	}
	json_array_foreach(v, i, e) {
		if (max > 0 && i >= max)
			break;
		if (json_array_append(items, e) != 0) {
			json_decref(v);
			return ir_fail(why, "out of memory");
		}
	}
	json_decref(v);
	return 0;
}

static int
parse_jsonl_items(const char *buf, size_t len, uint64_t max, json_t *items,
    const char *what, char **why)
{
	json_error_t je;
	const char *p = buf, *end = buf + len, *nl;
	size_t line = 0, n;
	json_t *v;

	while (p < end && (max == 0 || json_array_size(items) < max)) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (strspn(p, " \t") < n) {
			if ((v = json_loadb(p, n, JSON_DECODE_ANY, &je)) == NULL)
				return ir_fail(why, "%s: line %zu is not "
				    "JSON: %s", what, line, je.text);
			if (json_array_append_new(items, v) != 0)
				return ir_fail(why, "out of memory");
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

/*
 * One CSV record (RFC 4180: quoted fields with "" escapes, which may hold
 * the delimiter and line breaks) from *pp into a new array of strings.
 */
static json_t *
csv_record(const char **pp, const char *end, char delim, int *bad)
{
	struct sd_buf f;
	const char *p = *pp;
	json_t *rec = json_array();
	int quoted;

	*bad = 0;
	if (rec == NULL)
		return NULL;
	sd_buf_init(&f, 0);
	for (;;) {
		f.len = 0;
		quoted = 0;
		if (p < end && *p == '"') {
			quoted = 1;
			p++;
			for (;;) {
				if (p >= end) {
					*bad = 1;
					goto fail;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						if (sd_buf_putc(&f, '"') != 0)
							goto fail;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (sd_buf_putc(&f, *p++) != 0)
					goto fail;
			}
		}
		while (p < end && *p != delim && *p != '\n' && *p != '\r') {
			if (quoted) {
				*bad = 1;
				goto fail;
			}
			if (sd_buf_putc(&f, *p++) != 0)
				goto fail;
		}
		if (json_array_append_new(rec, json_stringn(f.len ? f.data : "",
		    f.len)) != 0)
			goto fail;
		if (p < end && *p == delim) {
			p++;
			continue;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p == '\n')
			p++;
		break;
	}
	sd_buf_release(&f);
	*pp = p;
	return rec;
 fail:
	sd_buf_release(&f);
	json_decref(rec);
	return NULL;
}

static int
parse_csv_items(const struct sd_item_reader *r, const char *buf, size_t len,
    uint64_t max, json_t *items, const char *what, char **why)
{
	const char *p = buf, *end = buf + len;
	json_t *headers = NULL, *rec, *obj;
	size_t row = 0, i;
	int bad;

	if (r->csv_given)
		headers = json_incref(r->csv_headers);
	while (p < end && (max == 0 || json_array_size(items) < max)) {
		row++;
		if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
			p += *p == '\r' ? 2 : 1;	/* an empty line */
			continue;
		}
		if ((rec = csv_record(&p, end, r->csv_delim, &bad)) == NULL) {
			json_decref(headers);
			return ir_fail(why, bad ? "%s: row %zu is not valid "
			    "CSV" : "out of memory", what, row);
		}
		if (headers == NULL) {
			headers = rec;
			continue;
		}
		if (json_array_size(rec) > json_array_size(headers)) {
			json_decref(rec);
			json_decref(headers);
			return ir_fail(why, "%s: row %zu has more fields "
			    "than there are headers", what, row);
		}
		if ((obj = json_object()) == NULL) {
			json_decref(rec);
			json_decref(headers);
			return ir_fail(why, "out of memory");
		}
		for (i = 0; i < json_array_size(headers); i++) {
			json_t *v = json_array_get(rec, i);

			if (json_object_set_new(obj, json_string_value(
			    json_array_get(headers, i)), v != NULL ?
			    json_incref(v) : json_string("")) != 0)
				break;
		}
		json_decref(rec);
		if (i < json_array_size(headers) ||
		    json_array_append_new(items, obj) != 0) {
			json_decref(headers);
			return ir_fail(why, "out of memory");
		}
	}
	json_decref(headers);
	return 0;
}

/* ------------------------------------------------------------ listing */

struct listing {
	char	**keys;
	size_t	  n, cap;
};

/*
 * The regular files below root/rel, as keys relative to root, into l.
 * Only directories that may hold keys starting with prefix are read.
 * Nothing is skipped silently: a level past IR_MAX_DEPTH, a key past
 * S3's 1,024 bytes, more than IR_MAX_OBJECTS objects or a directory that
 * cannot be read is an error naming it.
 */
/* May keys under the directory dir (no trailing slash) start with prefix? */
static int
dir_may_match(const char *dir, const char *prefix)
{
	size_t n = strlen(dir), p = strlen(prefix);

	if (p <= n)
		return strncmp(dir, prefix, p) == 0;
	return strncmp(dir, prefix, n) == 0 && prefix[n] == '/';
}

static int
list_dir(const char *root, const char *bucket, const char *prefix,
    const char *rel, int depth, struct listing *l, char **why)
{
	char path[PATH_MAX], child[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int r = 0;

	if (depth > IR_MAX_DEPTH)
		return ir_fail(why, "The bucket %s cannot be listed: s3://%s/%s/ "
		    "is nested deeper than %d levels, the most the ItemReader "
		    "lists", bucket, bucket, rel, IR_MAX_DEPTH);
	if (snprintf(path, sizeof(path), "%s%s%s", root, *rel ? "/" : "",
	    rel) >= (int)sizeof(path))
		return ir_fail(why, "The bucket %s cannot be listed: the path of "
		    "s3://%s/%s/ is too long", bucket, bucket, rel);
	if ((d = opendir(path)) == NULL)
		return ir_fail(why, "The bucket %s cannot be listed: %s: %s",
		    bucket, path, strerror(errno));
	while (r == 0) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				r = ir_fail(why, "The bucket %s cannot be listed: "
				    "%s: %s", bucket, path, strerror(errno));
			break;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(child, sizeof(child), "%s%s%s", rel, *rel ? "/" : "",
		    de->d_name) >= (int)sizeof(child) ||
		    strlen(child) > IR_MAX_KEY) {
			r = ir_fail(why, "The bucket %s cannot be listed: a key "
			    "under s3://%s/%s%s is longer than S3's %d bytes",
			    bucket, bucket, rel, *rel ? "/" : "", IR_MAX_KEY);
			break;
		}
		if (snprintf(path, sizeof(path), "%s/%s", root, child) >=
		    (int)sizeof(path)) {
			r = ir_fail(why, "The bucket %s cannot be listed: the path "
			    "of s3://%s/%s is too long", bucket, bucket, child);
			break;
		}
		if (lstat(path, &sb) != 0) {
			r = ir_fail(why, "The bucket %s cannot be listed: %s: %s",
			    bucket, path, strerror(errno));
			break;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (dir_may_match(child, prefix))
				r = list_dir(root, bucket, prefix, child,
				    depth + 1, l, why);
		} else if (S_ISREG(sb.st_mode) &&
		    strncmp(child, prefix, strlen(prefix)) == 0) {
			if (l->n == l->cap) {
				size_t nc = l->cap ? l->cap * 2 : 64;
				char **nk;

				if (l->n >= IR_MAX_OBJECTS) {
					r = ir_fail(why, "The bucket %s cannot be "
					    "listed: it holds more than %zu objects, "
					    "the most the ItemReader lists", bucket,
					    IR_MAX_OBJECTS);
					break;
				}
				if (nc > IR_MAX_OBJECTS)
					nc = IR_MAX_OBJECTS;
				if ((nk = reallocarray(l->keys, nc,
				    sizeof(*nk))) == NULL) {
					r = ir_fail(why, "out of memory listing "
					    "the bucket %s", bucket);
					break;
				}
				l->keys = nk;
				l->cap = nc;
			}
			if ((l->keys[l->n] = strdup(child)) == NULL)
				r = ir_fail(why, "out of memory listing the bucket "
				    "%s", bucket);
			else
				l->n++;
		}
	}
	closedir(d);
	return r;
}

static int
cmp_keys(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* S3's ETag of a single-part object: the MD5 of its bytes, quoted. */
static int
etag_of(const char *path, char *out, size_t outlen)
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx;
	FILE *fp;
	size_t n;
	int ok = 0;

	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1) {
		ok = 1;
		while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
			if (EVP_DigestUpdate(ctx, buf, n) != 1)
				ok = 0;
		if (ferror(fp) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
			ok = 0;
	}
	EVP_MD_CTX_free(ctx);
	fclose(fp);
	if (!ok || outlen < 2 * (size_t)mdlen + 3)
		return -1;
	out[0] = '"';
	for (i = 0; i < mdlen; i++)
		(void)snprintf(out + 1 + 2 * i, 3, "%02x", md[i]);
	out[1 + 2 * mdlen] = '"';
	out[2 + 2 * mdlen] = '\0';
	return 0;
}

static int
list_objects(const char *bucket_dir, const char *bucket, const char *prefix,
    uint64_t max, json_t *items, char **why)
{
	struct listing l = { NULL, 0, 0 };
	char path[PATH_MAX], etag[64];
	struct stat sb;
	size_t i, plen = prefix != NULL ? strlen(prefix) : 0;
	int r = 0;

	if (stat(bucket_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ir_fail(why, "The bucket %s does not exist (no directory "
		    "%s)", bucket, bucket_dir);
	r = list_dir(bucket_dir, bucket, prefix != NULL ? prefix : "", "", 0,
	    &l, why);
	if (r == 0)
		qsort(l.keys, l.n, sizeof(*l.keys), cmp_keys);
	for (i = 0; r == 0 && i < l.n; i++) {
		json_t *o;

		if (plen > 0 && strncmp(l.keys[i], prefix, plen) != 0)
			continue;
		if (max > 0 && json_array_size(items) >= max)
			break;
		if (snprintf(path, sizeof(path), "%s/%s", bucket_dir,
		    l.keys[i]) >= (int)sizeof(path) || stat(path, &sb) != 0 ||
		    etag_of(path, etag, sizeof(etag)) != 0) {
			r = ir_fail(why, "The object s3://%s/%s cannot be read",
			    bucket, l.keys[i]);
			break;
		}
		o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "Etag", etag, "Key",
		    l.keys[i], "LastModified", (json_int_t)sb.st_mtime, "Size",
		    (json_int_t)sb.st_size, "StorageClass", "STANDARD");
		if (o == NULL || json_array_append_new(items, o) != 0)
			r = ir_fail(why, "out of memory");
	}
	for (i = 0; i < l.n; i++)
		free(l.keys[i]);
	free(l.keys);
	return r;
}

/* ------------------------------------------------------------ bodies */

int
sd_items_parse(const struct sd_item_reader *r, const char *buf, size_t len,
    uint64_t max_items, const char *what, json_t *items, char **why)
{
	switch (r->input) {
	case SD_IR_JSON:
		return parse_json_items(buf, len, max_items, items, what, why);
	case SD_IR_JSONL:
		return parse_jsonl_items(buf, len, max_items, items, what, why);
	case SD_IR_CSV:
		return parse_csv_items(r, buf, len, max_items, items, what,
		    why);
	default:
		return ir_fail(why, "%s: this InputType is not read from a "
		    "body", what);
	}
}

/*
 * A gzip file (possibly several members, as gzip concatenates them)
 * inflated into *out (new, NUL-terminated), at most IR_MAX_FILE bytes.
 */
static int
gunzip(const char *in, size_t inlen, const char *what, char **out,
    size_t *outlen, char **why)
{
	struct sd_buf b;
	unsigned char chunk[65536];
	z_stream zs;
	int zr = Z_OK, r = -1;

	*out = NULL;
	sd_buf_init(&b, IR_MAX_FILE);
	memset(&zs, 0, sizeof(zs));
	if (inlen > UINT_MAX || inflateInit2(&zs, 15 + 16) != Z_OK)
		return ir_fail(why, "%s cannot be inflated", what);
	zs.next_in = (unsigned char *)(uintptr_t)in;
	zs.avail_in = (unsigned int)inlen;
	for (;;) {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			break;
		if (sd_buf_append(&b, chunk, sizeof(chunk) -
		    zs.avail_out) != 0) {
			(void)ir_fail(why, "%s inflates past 2 GiB", what);
			goto out;
		}
		if (zr == Z_STREAM_END) {
			if (zs.avail_in == 0)
				break;
			if (inflateReset(&zs) != Z_OK)
				break;
			continue;
		}
		if (zr == Z_BUF_ERROR && zs.avail_in == 0)
			break;	/* truncated */
	}
	if (zr != Z_STREAM_END) {
		(void)ir_fail(why, "%s is not a valid gzip file%s", what,
		    zs.msg != NULL ? "" : " (truncated)");
		goto out;
	}
	*outlen = b.len;
	if (b.len == 0 && sd_buf_puts(&b, "") != 0) {
		(void)ir_fail(why, "out of memory");
		goto out;
	}
	*out = sd_buf_steal(&b);
	r = *out != NULL ? 0 : ir_fail(why, "out of memory");
 out:
	(void)inflateEnd(&zs);
	sd_buf_release(&b);
	return r;
}

/* A new "The object s3://BUCKET/KEY" for messages. */
static char *
object_name(const char *bucket, const char *key)
{
	return sd_asprintf("The object s3://%s/%s", bucket, key);
}

/* Read s3://bucket/key below s3_dir into *buf (new), checking the names. */
static int
read_object(const char *s3_dir, const char *bucket, const char *key,
    char **buf, size_t *len, char **why)
{
	char path[PATH_MAX];

	if (!safe_name(bucket, 0))
		return ir_fail(why, "The bucket name \"%s\" is not valid",
		    bucket);
	if (!safe_name(key, 1))
		return ir_fail(why, "The key \"%s\" cannot be read from the "
		    "local directory", key);
	if (snprintf(path, sizeof(path), "%s/%s/%s", s3_dir, bucket, key) >=
	    (int)sizeof(path))
		return ir_fail(why, "The path of s3://%s/%s is too long",
		    bucket, key);
	return read_file(path, bucket, key, buf, len, why);
}

/* ------------------------------------------------------------ manifest */

/*
 * An S3 inventory's manifest.json ("ItemReader (Map)", S3 inventory
 * manifest; S3's "Amazon S3 Inventory" manifest): fileFormat CSV,
 * fileSchema the columns ("Bucket, Key, Size, ..."), files [{key, ...}]
 * in destinationBucket (arn:aws:s3:::NAME). Each data file, gzip or
 * plain CSV without a header row, gives one item a row, keyed by the
 * columns, every value a string.
 */
int
sd_items_manifest(const char *s3_dir, const char *buf, size_t len,
    const char *what, uint64_t max_items, json_t *items, char **why)
{
	struct sd_item_reader csv;
	json_error_t je;
	json_t *m = NULL, *files, *f, *cols = NULL;
	const char *fmt, *schema, *dest, *key, *p, *e;
	char *data = NULL, *raw = NULL, *fname = NULL;
	size_t i, dlen = 0, rlen = 0, n;
	int r = -1;

	memset(&csv, 0, sizeof(csv));
	if ((m = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je)) == NULL)
		return ir_fail(why, "%s is not an S3 inventory manifest: %s "
		    "(line %d)", what, je.text, je.line);
	if (json_unpack_ex(m, &je, 0, "{s:s, s:s, s:s, s:o}", "fileFormat",
	    &fmt, "fileSchema", &schema, "destinationBucket", &dest, "files",
	    &files) != 0) {
		(void)ir_fail(why, "%s is not an S3 inventory manifest: it "
		    "needs the strings fileFormat, fileSchema and "
		    "destinationBucket, and files (%s)", what, je.text);
		goto out;
	}
	if (strcmp(fmt, "CSV") != 0) {
		(void)ir_fail(why, "%s: fileFormat \"%s\" is not read; Step "
		    "Functions reads CSV inventories", what, fmt);
		goto out;
	}
	if (!json_is_array(files)) {
		(void)ir_fail(why, "%s: files must be an array", what);
		goto out;
	}
	if (strncmp(dest, "arn:aws:s3:::", 13) == 0)
		dest += 13;
	/* fileSchema: "Bucket, Key, Size": the column names, trimmed. */
	if ((cols = json_array()) == NULL)
		goto nomem;
	for (p = schema;; p = e + 1) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0) {
			(void)ir_fail(why, "%s: fileSchema \"%s\" has an empty "
			    "column name", what, schema);
			goto out;
		}
		if (json_array_append_new(cols, json_stringn(p, n)) != 0)
			goto nomem;
		if (e == NULL)
			break;
	}
	csv.kind = SD_IR_GET_OBJECT;
	csv.input = SD_IR_CSV;
	csv.csv_given = 1;
	csv.csv_headers = cols;
	csv.csv_delim = ',';
	json_array_foreach(files, i, f) {
		if (max_items > 0 && json_array_size(items) >= max_items)
			break;
		if (json_unpack_ex(f, &je, 0, "{s:s}", "key", &key) != 0) {
			(void)ir_fail(why, "%s: files[%zu] needs a string key",
			    what, i);
			goto out;
		}
		if (s3_dir == NULL) {
			(void)ir_fail(why, "The ItemReader reads the "
			    "inventory's files from S3; run with --s3-dir DIR");
			goto out;
		}
		if (read_object(s3_dir, dest, key, &raw, &rlen, why) != 0)
			goto out;
		if ((fname = object_name(dest, key)) == NULL)
			goto nomem;
		if (rlen >= 2 && (unsigned char)raw[0] == 0x1f &&
		    (unsigned char)raw[1] == 0x8b) {
			if (gunzip(raw, rlen, fname, &data, &dlen, why) != 0)
				goto out;
			free(raw);
		} else {
			data = raw;
			dlen = rlen;
		}
		raw = NULL;
		if (parse_csv_items(&csv, data, dlen, max_items, items, fname,
		    why) != 0)
			goto out;
		free(data);
		data = NULL;
		free(fname);
		fname = NULL;
	}
	r = 0;
	goto out;
 nomem:
	(void)ir_fail(why, "out of memory");
 out:
	free(fname);
	free(data);
	free(raw);
	json_decref(cols);
	json_decref(m);
	return r;
}

int
sd_items_read(const char *s3_dir, const struct sd_item_reader *r,
    json_t *params, uint64_t max_items, json_t **out, char **why)
{
	const char *bucket, *key = NULL, *prefix = NULL;
	char path[PATH_MAX], *buf = NULL, *what = NULL;
	json_t *items = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*why = NULL;
	if (s3_dir == NULL)
		return ir_fail(why, "The ItemReader reads from S3; run with "
		    "--s3-dir DIR (DIR/BUCKET/KEY stands for s3://BUCKET/KEY)");
	if (!json_is_object(params))
		return ir_fail(why, "The ItemReader's parameters must be an "
		    "object");
	if (param_string(params, "Bucket", 1, &bucket, why) != 0)
		return -1;
	if (!safe_name(bucket, 0))
		return ir_fail(why, "The bucket name \"%s\" is not valid", bucket);
	if (r->kind == SD_IR_GET_OBJECT) {
		if (param_string(params, "Key", 1, &key, why) != 0)
			return -1;
		if (!safe_name(key, 1))
			return ir_fail(why, "The key \"%s\" cannot be read from "
			    "the local directory", key);
	} else if (param_string(params, "Prefix", 0, &prefix, why) != 0)
		return -1;
	if ((items = json_array()) == NULL)
		return ir_fail(why, "out of memory");
	if (r->kind == SD_IR_LIST_OBJECTS) {
		if (snprintf(path, sizeof(path), "%s/%s", s3_dir, bucket) >=
		    (int)sizeof(path))
			rc = ir_fail(why, "The path of bucket %s is too long",
			    bucket);
		else
			rc = list_objects(path, bucket, prefix, max_items, items,
			    why);
	} else if ((rc = read_object(s3_dir, bucket, key, &buf, &len,
	    why)) == 0) {
		if ((what = object_name(bucket, key)) == NULL)
			rc = ir_fail(why, "out of memory");
		else if (r->input == SD_IR_MANIFEST)
			rc = sd_items_manifest(s3_dir, buf, len, what,
			    max_items, items, why);
		else
			rc = sd_items_parse(r, buf, len, max_items, what, items,
			    why);
	}
	free(buf);
	free(what);
	if (rc != 0) {
		json_decref(items);
		if (*why == NULL)
			*why = strdup("The ItemReader failed");
		return -1;
	}
	*out = items;
	return 0;
}
