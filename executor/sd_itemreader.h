/*
 * sd_itemreader: a Distributed Map's ItemReader, answered from a local
 * directory that stands for S3 (DIR/BUCKET/KEY), as AWS delivers the items:
 *
 *   s3:getObject    JSON (the object is an array: its elements), JSONL (one
 *                   value per line), CSV (each row an object of strings,
 *                   headers from the FIRST_ROW or GIVEN; CSVDelimiter COMMA,
 *                   PIPE, SEMICOLON, SPACE or TAB);
 *   s3:listObjectsV2  the objects under Prefix, in key order, each
 *                   {"Etag", "Key", "LastModified", "Size", "StorageClass"}.
 *
 * Internal to libstep.
 */
#ifndef SD_ITEMREADER_H
#define SD_ITEMREADER_H

#include <stdint.h>
#include <jansson.h>

enum sd_ir_kind { SD_IR_GET_OBJECT = 1, SD_IR_LIST_OBJECTS };
enum sd_ir_input { SD_IR_JSON = 1, SD_IR_JSONL, SD_IR_CSV };

struct sd_item_reader {
	enum sd_ir_kind	 kind;
	enum sd_ir_input input;		/* getObject */
	int		 csv_given;	/* CSVHeaderLocation GIVEN */
	json_t		*csv_headers;	/* GIVEN: array of strings (owned) */
	char		 csv_delim;
};

/*
 * Read the items params ({"Bucket", "Key"} or {"Bucket", "Prefix"})
 * select, at most max_items (0: all). On failure returns -1 with *why a
 * sentence for the cause (new); *items is new on success.
 */
int	 sd_items_read(const char *s3_dir, const struct sd_item_reader *,
	    json_t *params, uint64_t max_items, json_t **items, char **why);

#endif /* SD_ITEMREADER_H */
