/*
 * fuzz_itemreader: arbitrary bytes as an S3 object that a Distributed Map's
 * ItemReader reads (JSON, JSONL, CSV with a header row or given headers,
 * each delimiter). The first byte picks the format; the rest is the object.
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

static void
cleanup(void)
{
	char bucket[96];

	(void)unlink(file);
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
	if (atexit(cleanup) != 0)
		return -1;
	return mkdir(bucket, 0700);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[] = ",|; \t";
	struct sd_item_reader r;
	json_t *params, *items = NULL;
	char *why = NULL;
	FILE *fp;

	if (size < 1 || setup() != 0)
		return 0;
	if ((fp = fopen(file, "wb")) == NULL)
		return 0;
	if (size > 1 && fwrite(data + 1, 1, size - 1, fp) != size - 1) {
		fclose(fp);
		return 0;
	}
	fclose(fp);
	memset(&r, 0, sizeof(r));
	r.kind = (data[0] & 0x80) ? SD_IR_LIST_OBJECTS : SD_IR_GET_OBJECT;
	r.input = (enum sd_ir_input)(1 + data[0] % 3);
	r.csv_delim = delims[(data[0] >> 2) % 5];
	if (data[0] & 0x40) {
		r.csv_given = 1;
		r.csv_headers = json_pack("[s, s]", "a", "b");
	}
	params = json_pack("{s:s, s:s}", "Bucket", "b", "Key", "k");
	if (params != NULL && sd_items_read(dir, &r, params,
	    (data[0] & 0x20) ? 3 : 0, &items, &why) == 0)
		json_decref(items);
	free(why);
	json_decref(params);
	json_decref(r.csv_headers);
	return 0;
}
