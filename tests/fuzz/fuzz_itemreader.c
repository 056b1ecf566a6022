/*
 * fuzz_itemreader: arbitrary bytes as an S3 object that a Distributed Map's
 * ItemReader reads (JSON, JSONL, CSV with a header row or given headers,
 * each delimiter), or an S3 inventory manifest.json with a data file. The
 * first byte picks the format; the rest is the object. With both its top
 * bits set (a listing takes no headers) it is an inventory: the manifest
 * up to the first NUL, then the data file b/d it may list (gzip or CSV).
 * The same bytes are also parsed as a mocked body (sd_items_parse,
 * sd_items_manifest), as --mocks hands them over.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sd_itemreader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char file[128];
static char dfile[128];

static void
cleanup(void)
{
	char bucket[96];

	(void)unlink(file);
	(void)unlink(dfile);
	(void)snprintf(bucket, sizeof(bucket), "%s/b", dir);
	(void)rmdir(bucket);
	(void)rmdir(dir);
}

static int
setup(void)
{
	char bucket[96];

	if (dir[0] != '\0')
		return 0;
	(void)snprintf(dir, sizeof(dir), "/tmp/fuzz-itemreader.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	(void)snprintf(bucket, sizeof(bucket), "%s/b", dir);
	(void)snprintf(file, sizeof(file), "%s/b/k", dir);
	(void)snprintf(dfile, sizeof(dfile), "%s/b/d", dir);
	if (atexit(cleanup) != 0)
		return -1;
	return mkdir(bucket, 0700);
}

static int
write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *fp;
	int r = 0;

	if ((fp = fopen(path, "wb")) == NULL)
		return -1;
	if (n > 0 && fwrite(p, 1, n, fp) != n)
		r = -1;
	if (fclose(fp) != 0)
		r = -1;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = ",|; \t";
	struct sd_item_reader r;
	json_t *params, *items = NULL;
	const uint8_t *nul;
	char *why = NULL, *body = NULL;
	size_t n;
	int manifest;

	if (size < 1 || setup() != 0)
		return 0;
	manifest = (data[0] & 0xc0) == 0xc0;
	n = size - 1;
	if (manifest && size > 1 &&
	    (nul = memchr(data + 1, '\0', size - 1)) != NULL)
		n = (size_t)(nul - (data + 1));
	if (write_file(file, data + 1, n) != 0 || (manifest &&
	    write_file(dfile, data + 1 + n, n < size - 1 ? size - 2 - n :
	    0) != 0))
		return 0;
	memset(&r, 0, sizeof(r));
	r.kind = (data[0] & 0x80) && !manifest ? SD_IR_LIST_OBJECTS :
	    SD_IR_GET_OBJECT;
	r.input = manifest ? SD_IR_MANIFEST : (enum sd_ir_input)(1 +
	    data[0] % 3);
	r.csv_delim = delims[(data[0] >> 2) % 5];
	if ((data[0] & 0x40) && !manifest) {
		r.csv_given = 1;
		r.csv_headers = json_pack("[s, s]", "a", "b");
	}
	/* A mocked body: the text, NUL-terminated as a JSON string is. */
	if (r.kind == SD_IR_GET_OBJECT && (body = malloc(n + 1)) != NULL &&
	    (items = json_array()) != NULL) {
		memcpy(body, data + 1, n);
		body[n] = '\0';
		(void)(manifest ? sd_items_manifest(dir, body, n, "m",
		    (data[0] & 0x20) ? 3 : 0, items, &why) : sd_items_parse(&r,
		    body, n, (data[0] & 0x20) ? 3 : 0, "m", items, &why));
		free(why);
		why = NULL;
	}
	json_decref(items);
	items = NULL;
	free(body);
	params = json_pack("{s:s, s:s}", "Bucket", "b", "Key", "k");
	if (params != NULL && sd_items_read(dir, &r, params,
	    (data[0] & 0x20) ? 3 : 0, &items, &why) == 0)
		json_decref(items);
	free(why);
	json_decref(params);
	json_decref(r.csv_headers);
	return 0;
}
