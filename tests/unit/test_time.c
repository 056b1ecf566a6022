/*
 * test_time: sd_time parsing, formatting and the clock.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sd_err.h"
#include "sd_time.h"

#define NS	INT64_C(1000000000)

static void
assert_parses(const char *s, int64_t want)
{
	int64_t ns = -42;

	if (sd_time_parse(s, &ns) != 0)
		fail_msg("\"%s\" did not parse", s);
	if (ns != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)ns,
		    (long long)want);
}

static void
assert_rejects(const char *s)
{
	int64_t ns = 0;
	int r;

	if ((r = sd_time_parse(s, &ns)) != SD_ERR_PARSE)
		fail_msg("\"%s\": got %d, want SD_ERR_PARSE", s, r);
	if (sd_time_parse_ts(s, strlen(s), NULL, NULL) != SD_ERR_PARSE)
		fail_msg("\"%s\": sd_time_parse_ts accepted it", s);
}

static void
test_parse_basic(void **state)
{
	(void)state;
	assert_parses("1970-01-01T00:00:00Z", 0);
	assert_parses("2016-03-14T01:59:00Z", INT64_C(1457920740) * NS);
	assert_parses("2012-10-09T19:00:55Z", INT64_C(1349809255) * NS);
	assert_parses("1969-12-31T23:59:59Z", -NS);
	assert_parses("1969-12-31T23:59:59.5Z", -NS / 2);
}

static void
test_parse_fraction(void **state)
{
	(void)state;
	assert_parses("2016-03-14T01:59:00.1Z", INT64_C(1457920740) * NS +
	    100000000);
	assert_parses("2016-03-14T01:59:00.00Z", INT64_C(1457920740) * NS);
	assert_parses("2016-03-14T01:59:00.000000Z", INT64_C(1457920740) * NS);
	assert_parses("2016-03-14T01:59:00.123Z", INT64_C(1457920740) * NS +
	    123000000);
	assert_parses("2016-03-14T01:59:00.123456789Z",
	    INT64_C(1457920740) * NS + 123456789);
	assert_parses("2016-03-14T01:59:00.000000001Z",
	    INT64_C(1457920740) * NS + 1);
	/* Ten digits is more than nanoseconds. */
	assert_rejects("2016-03-14T01:59:00.1234567890Z");
	/* A point needs a digit. */
	assert_rejects("2016-03-14T01:59:00.Z");
	assert_rejects("2016-03-14T01:59:00,5Z");
}

static void
test_parse_offsets(void **state)
{
	int64_t t = INT64_C(1457920740) * NS;

	(void)state;
	assert_parses("2016-03-14T03:59:00+02:00", t);
	assert_parses("2016-03-13T20:29:00-05:30", t);
	assert_parses("2016-03-14T01:59:00+00:00", t);
	assert_parses("2016-03-14T01:59:00-00:00", t);
	assert_parses("2016-03-15T01:58:00+23:59", t);
	assert_parses("2016-03-14T03:59:00.123456789+02:00", t + 123456789);
	assert_rejects("2016-03-14T01:59:00+24:00");
	assert_rejects("2016-03-14T01:59:00+02:60");
	assert_rejects("2016-03-14T01:59:00+0200");
	assert_rejects("2016-03-14T01:59:00+02");
	assert_rejects("2016-03-14T01:59:00+2:00");
	assert_rejects("2016-03-14T01:59:00+02:00Z");
	assert_rejects("2016-03-14T01:59:00 +02:00");
}

static void
test_parse_rejects_format(void **state)
{
	(void)state;
	assert_rejects("");
	assert_rejects("Z");
	assert_rejects("2016-03-14T01:59:00");		/* no offset */
	assert_rejects("2016-03-14T01:59:00.000000");
	assert_rejects("2016-03-14t01:59:00Z");		/* lowercase t */
	assert_rejects("2016-03-14T01:59:00z");		/* lowercase z */
	assert_rejects("2016-03-14 01:59:00Z");		/* space */
	assert_rejects("2023-02-24 12:15:56.832957");
	assert_rejects("2023-02-24");
	assert_rejects("2016-03-14T01:59Z");		/* no seconds */
	assert_rejects("2016-3-14T01:59:00Z");
	assert_rejects("16-03-14T01:59:00Z");
	assert_rejects("+2016-03-14T01:59:00Z");
	assert_rejects("12016-03-14T01:59:00Z");
	assert_rejects(" 2016-03-14T01:59:00Z");
	assert_rejects("2016-03-14T01:59:00Z ");
	assert_rejects("2016-03-14T01:59:00ZZ");
	assert_rejects("2016-03-14T1:59:00Z");
	assert_rejects("2016-03-14T01:5a:00Z");
	assert_rejects("2016/03/14T01:59:00Z");
	assert_rejects("HelloWorld");
}

static void
test_parse_ranges(void **state)
{
	(void)state;
	assert_rejects("2016-00-14T01:59:00Z");
	assert_rejects("2016-13-14T01:59:00Z");
	assert_rejects("2016-03-00T01:59:00Z");
	assert_rejects("2016-03-32T01:59:00Z");
	assert_rejects("2016-04-31T01:59:00Z");
	assert_rejects("2016-06-31T00:00:00Z");
	assert_rejects("2016-09-31T00:00:00Z");
	assert_rejects("2016-11-31T00:00:00Z");
	assert_parses("2016-12-31T00:00:00Z", INT64_C(1483142400) * NS);
	/* Leap years: 2016 and 2000 yes, 2015 and 1900 no. */
	assert_parses("2016-02-29T12:00:00Z", INT64_C(1456747200) * NS);
	assert_parses("2000-02-29T00:00:00Z", INT64_C(951782400) * NS);
	assert_rejects("2015-02-29T00:00:00Z");
	assert_rejects("1900-02-29T00:00:00Z");
	assert_rejects("2016-02-30T00:00:00Z");
	/* Hours 0-23, minutes and seconds 0-59 (no leap second). */
	assert_rejects("2016-03-14T24:00:00Z");
	assert_rejects("2016-03-14T23:60:00Z");
	assert_rejects("2016-03-14T23:59:60Z");
	assert_rejects("2016-12-31T23:59:60Z");
	assert_parses("2016-03-14T23:59:59Z", INT64_C(1458000000) * NS - NS);
}

static void
test_parse_range_limits(void **state)
{
	int64_t sec = 0, ns = 0;
	int32_t nsec = -1;
	const char *s;

	(void)state;
	/* The int64 nanosecond range: 1677-09-21 to 2262-04-11. */
	assert_parses("2262-04-11T23:47:16.854775807Z", INT64_MAX);
	assert_parses("1677-09-21T00:12:43.145224192Z", INT64_MIN);
	assert_int_equal(sd_time_parse("2262-04-11T23:47:16.854775808Z", &ns),
	    SD_ERR_OVERFLOW);
	assert_int_equal(sd_time_parse("1677-09-21T00:12:43.145224191Z", &ns),
	    SD_ERR_OVERFLOW);
	assert_int_equal(sd_time_parse("9999-12-31T23:59:59Z", &ns),
	    SD_ERR_OVERFLOW);
	/* Seconds + nanoseconds cover every four-digit year. */
	s = "9999-12-31T23:59:59.999999999Z";
	assert_int_equal(sd_time_parse_ts(s, strlen(s), &sec, &nsec), 0);
	assert_int_equal(sec, INT64_C(253402300799));
	assert_int_equal(nsec, 999999999);
	s = "0000-01-01T00:00:00Z";
	assert_int_equal(sd_time_parse_ts(s, strlen(s), &sec, &nsec), 0);
	assert_int_equal(sec, INT64_C(-62167219200));
	assert_int_equal(nsec, 0);
	s = "0001-01-01T00:00:00-01:00";
	assert_int_equal(sd_time_parse_ts(s, strlen(s), &sec, &nsec), 0);
	assert_int_equal(sec, INT64_C(-62135596800) + 3600);
	/* Length-bounded: an embedded NUL or a cut string is rejected. */
	s = "2016-03-14T01:59:00Z\0junk";
	assert_int_equal(sd_time_parse_ts(s, 20, &sec, &nsec), 0);
	assert_int_equal(sd_time_parse_ts(s, 21, &sec, &nsec), SD_ERR_PARSE);
	assert_int_equal(sd_time_parse_ts(s, 19, &sec, &nsec), SD_ERR_PARSE);
	assert_int_equal(sd_time_parse_ts("2016-03-14T01:59:00.5Z", 21, &sec,
	    &nsec), SD_ERR_PARSE);
	assert_int_equal(sd_time_parse_ts("2016-03-14T01:59:00+01:00", 24,
	    &sec, &nsec), SD_ERR_PARSE);
	assert_int_equal(sd_time_parse(NULL, &ns), SD_ERR_PARSE);
}

static void
test_format(void **state)
{
	char buf[64];
	int64_t back;

	(void)state;
	assert_int_equal(sd_time_format(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	/* 24 characters and the NUL: one byte less does not fit. */
	assert_int_equal(sd_time_format(0, buf, 24), SD_ERR_OVERFLOW);
	assert_string_equal(buf, "");
	assert_int_equal(sd_time_format(0, buf, 25), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
	assert_int_equal(sd_time_format(INT64_C(1457920740) * NS + 123456789,
	    buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2016-03-14T01:59:00.123Z");
	assert_int_equal(sd_time_format(-1, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
	assert_int_equal(sd_time_format(-NS, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1969-12-31T23:59:59.000Z");
	assert_int_equal(sd_time_format(INT64_C(1456747200) * NS, buf,
	    sizeof(buf)), 0);
	assert_string_equal(buf, "2016-02-29T12:00:00.000Z");
	assert_int_equal(sd_time_format(INT64_MAX, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "2262-04-11T23:47:16.854Z");
	assert_int_equal(sd_time_format(INT64_MIN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1677-09-21T00:12:43.145Z");
	/* Round trip at millisecond precision. */
	assert_int_equal(sd_time_format(INT64_C(951782399) * NS + 7000000, buf,
	    sizeof(buf)), 0);
	assert_int_equal(sd_time_parse(buf, &back), 0);
	assert_int_equal(back, INT64_C(951782399) * NS + 7000000);
	/* 24 characters need 25 bytes. */
	assert_int_equal(sd_time_format(0, buf, 25), 0);
	assert_int_equal(sd_time_format(0, buf, 24), SD_ERR_OVERFLOW);
	assert_string_equal(buf, "");
	assert_int_equal(sd_time_format(0, buf, 0), SD_ERR_OVERFLOW);
}

static void
test_now(void **state)
{
	int64_t a, b;

	(void)state;
	a = sd_time_now();
	b = sd_time_now();
	/* Between 2020 and 2100, and not going backwards much. */
	assert_true(a > INT64_C(1577836800) * NS);
	assert_true(a < INT64_C(4102444800) * NS);
	assert_true(b >= a - NS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_parse_fraction),
		cmocka_unit_test(test_parse_offsets),
		cmocka_unit_test(test_parse_rejects_format),
		cmocka_unit_test(test_parse_ranges),
		cmocka_unit_test(test_parse_range_limits),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
