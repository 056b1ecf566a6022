/*
 * sd_itemreader: a Distributed Map's ItemReader, answered from a local
 * directory that stands for S3 (DIR/BUCKET/KEY), as AWS delivers the items:
 *
 *   s3:getObject    JSON (the object is an array: its elements), JSONL (one
 *                   value per line), CSV (each row an object of strings,
 *                   headers from the FIRST_ROW or GIVEN; CSVDelimiter COMMA,
 *                   PIPE, SEMICOLON, SPACE or TAB), MANIFEST (an S3
 *                   inventory's manifest.json: the rows of its CSV files,
 *                   gzip or plain, keyed by its fileSchema);
 *   s3:listObjectsV2  the objects under Prefix, in key order, each
 *                   {"Etag", "Key", "LastModified", "Size", "StorageClass"}.
 *
 * Internal to libstep.
 */
#ifndef SD_ITEMREADER_H
#define SD_ITEMREADER_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum sd_ir_kind { SD_IR_GET_OBJECT = 1, SD_IR_LIST_OBJECTS };
enum sd_ir_input { SD_IR_JSON = 1, SD_IR_JSONL, SD_IR_CSV, SD_IR_MANIFEST };

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

/*
 * Append to items the items of a getObject body buf (JSON, JSONL or CSV
 * as r says; buf[len] is a NUL), at most max_items in all (0: all); what
 * names the body in messages ("The object s3://B/K"). 0, or -1 with *why
 * (new).
 */
int	 sd_items_parse(const struct sd_item_reader *r, const char *buf,
	    size_t len, uint64_t max_items, const char *what, json_t *items,
	    char **why);

/*
 * Append the items of the S3 inventory whose manifest.json is buf: its
 * CSV files are read from s3_dir (which may be NULL when they are not
 * needed). 0, or -1 with *why (new).
 */
int	 sd_items_manifest(const char *s3_dir, const char *buf, size_t len,
	    const char *what, uint64_t max_items, json_t *items, char **why);

#endif /* SD_ITEMREADER_H */
