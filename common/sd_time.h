/*
 * sd_time: RFC 3339 timestamps as Step Functions reads and writes them.
 */
#ifndef SD_TIME_H
#define SD_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse an RFC 3339 timestamp ("2016-03-14T01:59:00Z",
 * "2016-03-14T01:59:00.123456789+02:00") into nanoseconds since the Unix
 * epoch (UTC). Requires the 'T' separator and an explicit offset ('Z' or
 * +hh:mm), as AWS does. Returns 0, or SD_ERR_PARSE when s is not such a
 * timestamp.
 */
int	 sd_time_parse(const char *s, int64_t *ns);
/*
 * The same grammar over len bytes (s need not be NUL-terminated; an
 * embedded NUL is a parse error), split into whole seconds since the epoch
 * (UTC; may be negative) and nanoseconds 0-999999999. Covers years
 * 0000-9999, where sd_time_parse's int64 nanoseconds (years 1677-2262)
 * return SD_ERR_OVERFLOW. sec and nsec may be NULL (validation only).
 */
int	 sd_time_parse_ts(const char *s, size_t len, int64_t *sec,
	    int32_t *nsec);
/* Format ns as "2016-03-14T01:59:00.000Z" (millisecond precision, UTC). */
int	 sd_time_format(int64_t ns, char *buf, size_t len);
/* Current wall-clock time in nanoseconds. */
int64_t	 sd_time_now(void);

#endif /* SD_TIME_H */
