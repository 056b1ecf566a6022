/*
 * sd_zip: the validator's inspector of a release's Lambda zip.
 *
 * The zip comes from CI and is treated as hostile. It is inspected in
 * memory, never unpacked: the central directory is parsed here (bounds-
 * checked, ZIP64 aware) so that every entry's byte range is known, then
 * each entry is streamed through libzip into a fixed buffer so that the
 * real decompressed sizes and the CRCs are checked, not the declared ones.
 *
 *	struct sd_error err = SD_ERROR_INIT;
 *	struct sd_zip_limits lim;
 *	struct sd_zip_report *rep = NULL;
 *
 *	sd_zip_limits_default(&lim);
 *	lim.require_bootstrap = 1;		(runtime "provided.*")
 *	if (sd_zip_inspect_file("lambda.zip", &lim, &rep, &err) != 0)
 *		errx(2, "%s", sd_error_text(&err));	(could not inspect)
 *	if (rep->errors > 0) ...			(refuse the release)
 *	json_t *j = sd_zip_report_json(rep);	(new)
 *	sd_zip_report_free(rep);
 *
 * The inspection returns 0 whenever it ran, whatever it found: problems
 * with the zip are findings in the report, each with a severity, a code
 * (below), a message and a location "ZIPNAME" or "ZIPNAME:ENTRY", e.g.
 * "lambda.zip:../evil". ZIPNAME is the last component of the path for
 * sd_zip_inspect_file and "lambda.zip" for sd_zip_inspect_buf. Entry names
 * in locations and messages are shown as they are stored, except that
 * bytes which are not printable UTF-8 (NUL and other control characters,
 * C1 controls, bidirectional overrides, invalid UTF-8) are written as
 * \xNN, and names longer than 256 bytes are cut short with "...".
 *
 * Finding codes. An ERROR means the release must be refused; a WARNING
 * is reported and does not refuse it.
 *
 * ERROR
 *  ZIP_TOO_LARGE: the zip is larger than max_zipped. Checked before the
 *	file is opened or read, so nothing else is checked and no hash is
 *	computed.
 *  ZIP_NOT_A_ZIP: no end of central directory record.
 *  ZIP_TRUNCATED: the file ends early: it starts like a zip but has no
 *	end record (location ZIPNAME), or an entry's local header or data
 *	runs past the end.
 *  ZIP_MALFORMED: the structure is broken or ambiguous: split archive,
 *	bad ZIP64 record, two end records that both fit the end of the file,
 *	a central directory out of place or not parseable, a malformed
 *	extra field, or libzip cannot open the zip or sees other entries
 *	(names, sizes, CRC, method, attributes) than this parser.
 *  ZIP_TOO_MANY_ENTRIES: more entries than max_entries (the entries are
 *	then not examined).
 *  ZIP_UNZIPPED_TOO_LARGE: the declared sizes, or the bytes really
 *	decompressed, add up to more than max_unzipped.
 *  ZIP_BOMB: an entry (or the whole zip) expands more than max_ratio:1,
 *	by its declared or its real size; sizes under ratio_min_size are
 *	not ratio-checked.
 *  ZIP_SIZE_MISMATCH: an entry decompresses to more or fewer bytes than
 *	it declares (decompression stops as soon as it passes the declared
 *	size), or a stored entry declares two different sizes.
 *  ZIP_OVERLAPPING_ENTRIES: an entry's local header and data share bytes
 *	with another entry's, or run into the central directory (the
 *	"non-recursive zip bomb"); reported on the entry further on.
 *  ZIP_HEADER_MISMATCH: no local header where the central directory
 *	points, or it disagrees with the central entry (name, method,
 *	encryption flag, CRC or sizes).
 *  ZIP_PATH_TRAVERSAL: a ".." component in the name ("/" and "\"
 *	separate components).
 *  ZIP_ABSOLUTE_PATH: the name starts with "/", "\" or a drive letter
 *	("C:").
 *  ZIP_BACKSLASH: a "\" in the name.
 *  ZIP_CONTROL_CHARACTER: NUL or another control character in the name.
 *  ZIP_BAD_NAME: an empty name, a component longer than 255 bytes or a
 *	name longer than 4096 bytes.
 *  ZIP_SYMLINK: a symbolic link (unix mode S_IFLNK).
 *  ZIP_SPECIAL_FILE: a device, FIFO or socket (unix mode).
 *  ZIP_DUPLICATE_NAME: two entries extract to the same path: the same
 *	name, or the same once "." and empty components and a final "/" are
 *	dropped; reported on the later entry.
 *  ZIP_ENCRYPTED: an encrypted entry (traditional, strong or AES); it is
 *	not decompressed.
 *  ZIP_UNSUPPORTED_METHOD: compression other than stored (0) or deflated
 *	(8); it is not decompressed.
 *  ZIP_CRC_MISMATCH: the decompressed data does not match its CRC-32.
 *  ZIP_CORRUPT_DATA: the data cannot be decompressed.
 *  ZIP_NO_BOOTSTRAP: require_bootstrap and no entry named exactly
 *	"bootstrap" (location ZIPNAME).
 *  ZIP_BOOTSTRAP_NOT_EXECUTABLE: require_bootstrap and "bootstrap" is not
 *	a regular file with an execute bit in its unix mode (or it has no
 *	unix mode).
 * WARNING
 *  ZIP_DUPLICATE_NAME_CASE: two names differ only in ASCII case.
 *  ZIP_BOOTSTRAP_PERMISSIONS: require_bootstrap and "bootstrap" is
 *	executable but not readable and executable by all (0755): Lambda
 *	runs it as another user than its owner.
 *  ZIP_EXTRA_DATA: bytes before the first entry or after the end record.
 *  ZIP_EMPTY: the zip has no entries.
 *
 * At most SD_ZIP_MAX_PER_CODE findings of one code are listed; when more
 * occurred, one more finding of that code at ZIPNAME says how many were
 * left out. errors and warnings count all of them.
 *
 * Entries with names in the Info-ZIP Unicode Path extra field (0x7075)
 * have that name checked as well, since some unzip tools extract to it.
 */
#ifndef SD_ZIP_H
#define SD_ZIP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"

/* Lambda's limits for a directly uploaded package. */
#define SD_ZIP_MAX_ZIPPED_DEFAULT	((uint64_t)50 * 1024 * 1024)
#define SD_ZIP_MAX_UNZIPPED_DEFAULT	((uint64_t)250 * 1024 * 1024)
#define SD_ZIP_MAX_ENTRIES_DEFAULT	((uint64_t)10000)
#define SD_ZIP_MAX_RATIO_DEFAULT	((uint64_t)100)
#define SD_ZIP_RATIO_MIN_SIZE_DEFAULT	((uint64_t)1024 * 1024)

#define SD_ZIP_MAX_PER_CODE	20

/*
 * A field left 0 takes its default. To switch a limit off, set it to
 * UINT64_MAX.
 */
struct sd_zip_limits {
	uint64_t	 max_zipped;	/* bytes of the zip file */
	uint64_t	 max_unzipped;	/* bytes of all entries, unzipped */
	uint64_t	 max_entries;	/* entries in the central directory */
	uint64_t	 max_ratio;	/* N for N:1, per entry and overall */
	uint64_t	 ratio_min_size; /* smaller: not ratio-checked */
	int		 require_bootstrap; /* provided.* runtimes */
};

/* Fill with the defaults (require_bootstrap 0). */
void	 sd_zip_limits_default(struct sd_zip_limits *);

struct sd_zip_finding {
	const char	*severity;	/* "ERROR" or "WARNING"; static */
	const char	*code;		/* "ZIP_..."; static */
	char		*message;	/* owned by the report */
	char		*location;	/* owned by the report */
};

struct sd_zip_report {
	/* SHA-256 of the zip: hex, and base64 of the raw digest (Lambda's
	 * CodeSha256); both "" when not computed (ZIP_TOO_LARGE). */
	char		 sha256_hex[65];
	char		 code_sha256_b64[45];
	uint64_t	 zipped_size;	/* bytes of the zip file */
	uint64_t	 unzipped_size;	/* bytes really decompressed; less
					   when a limit stopped it */
	uint64_t	 declared_unzipped_size; /* sum of declared sizes */
	uint64_t	 entries;	/* declared entry count */
	int		 has_bootstrap;	/* a regular "bootstrap" at the
					   root with an execute bit */
	size_t		 nfindings;
	struct sd_zip_finding *findings;
	size_t		 errors;	/* ERROR findings, incl. unlisted */
	size_t		 warnings;	/* WARNING findings, likewise */
};

/*
 * Inspect the zip at path. The file's size is checked against max_zipped
 * before it is read; otherwise it is read once into memory (hashed as it
 * is read) and everything else is checked on that copy, so a file changed
 * meanwhile cannot show one content to the hash and another to the checks.
 * limits may be NULL (defaults). Returns 0 with *out (new) when the
 * inspection ran; SD_ERR_IO (cannot open or read, not a regular file, or
 * it changed size while read), SD_ERR_NOMEM or SD_ERR_INVALID (NULL
 * arguments) with err filled and *out NULL otherwise.
 */
int	 sd_zip_inspect_file(const char *path, const struct sd_zip_limits *,
	    struct sd_zip_report **out, struct sd_error *err);

/* The same for len bytes at buf (borrowed; NULL only when len is 0). */
int	 sd_zip_inspect_buf(const void *buf, size_t len,
	    const struct sd_zip_limits *, struct sd_zip_report **out,
	    struct sd_error *err);

/* NULL-safe. */
void	 sd_zip_report_free(struct sd_zip_report *);

/*
 * The first finding with code (and, when location is not NULL, that
 * location), or NULL. Borrowed from the report.
 */
const struct sd_zip_finding *sd_zip_report_find(const struct sd_zip_report *,
	    const char *code, const char *location);

/*
 * New: {"sha256", "codeSha256", "zippedSize", "unzippedSize", "entries",
 * "diagnostics": [{"severity", "code", "message", "location"}]}; the two
 * hashes are null when not computed. NULL on ENOMEM.
 */
json_t	*sd_zip_report_json(const struct sd_zip_report *);

#endif /* SD_ZIP_H */
