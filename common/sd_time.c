/*
 * sd_time: RFC 3339 timestamps as Step Functions reads and writes them.
 *
 * Accepted (the ASL profile of RFC 3339, section 5.6):
 *	YYYY-MM-DD "T" hh:mm:ss [ "." 1*9DIGIT ] ( "Z" / ("+" / "-") hh:mm )
 * with an uppercase 'T' and 'Z', exact digit counts, month 01-12, a day
 * that exists in that month (leap years included), hours 00-23, minutes
 * and seconds 00-59 (no leap second 60) and offsets up to 23:59. Nothing
 * may precede or follow the timestamp.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sd_err.h"
#include "sd_time.h"

#define NS_PER_SEC	INT64_C(1000000000)

/* Read n decimal digits at s into *out; 0 or -1. */
static int
digits(const char *s, size_t n, int *out)
{
	size_t i;
	int v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	if (m == 2 && is_leap(y))
		return 29;
	return mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
sd_time_parse_ts(const char *s, size_t len, int64_t *sec, int32_t *nsec)
{
	int y, mo, d, h, mi, se, oh = 0, om = 0, frac = 0;
	int64_t t;
	size_t i, nd;
	int sign = 0;

	/* "YYYY-MM-DDThh:mm:ss" is 19 bytes, the shortest offset 1 more. */
	if (s == NULL || len < 20)
		return SD_ERR_PARSE;
	if (digits(s, 4, &y) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0 || s[10] != 'T' ||
	    digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &mi) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &se) != 0)
		return SD_ERR_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return SD_ERR_PARSE;
	i = 19;
	if (s[i] == '.') {
		i++;
		for (nd = 0; i < len && s[i] >= '0' && s[i] <= '9'; nd++, i++) {
			if (nd == 9)
				return SD_ERR_PARSE;
			frac = frac * 10 + (s[i] - '0');
		}
		if (nd == 0)
			return SD_ERR_PARSE;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (i >= len)
		return SD_ERR_PARSE;
	if (s[i] == 'Z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		sign = s[i] == '-' ? -1 : 1;
		if (len - i < 6 || digits(s + i + 1, 2, &oh) != 0 ||
		    s[i + 3] != ':' || digits(s + i + 4, 2, &om) != 0 ||
		    oh > 23 || om > 59)
			return SD_ERR_PARSE;
		i += 6;
	} else
		return SD_ERR_PARSE;
	if (i != len)
		return SD_ERR_PARSE;

	/* Years 0000-9999 keep every term far from INT64 limits. */
	t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	if (sign != 0)
		t -= (int64_t)sign * (oh * 3600 + om * 60);
	if (sec != NULL)
		*sec = t;
	if (nsec != NULL)
		*nsec = frac;
	return 0;
}

int
sd_time_parse(const char *s, int64_t *ns)
{
	int64_t sec;
	int32_t nsec;
	int r;

	if (s == NULL)
		return SD_ERR_PARSE;
	if ((r = sd_time_parse_ts(s, strlen(s), &sec, &nsec)) != 0)
		return r;
	/* sec * 1e9 + nsec must fit in int64_t. */
	if (sec > INT64_MAX / NS_PER_SEC ||
	    (sec == INT64_MAX / NS_PER_SEC && nsec > INT64_MAX % NS_PER_SEC) ||
	    sec < INT64_MIN / NS_PER_SEC - 1 ||
	    (sec == INT64_MIN / NS_PER_SEC - 1 &&
	    nsec < NS_PER_SEC + INT64_MIN % NS_PER_SEC))
		return SD_ERR_OVERFLOW;
	if (sec < 0) {
		/* (sec + 1) * 1e9 cannot overflow; then add the rest. */
		*ns = (sec + 1) * NS_PER_SEC;
		*ns += nsec - NS_PER_SEC;
	} else
		*ns = sec * NS_PER_SEC + nsec;
	return 0;
}

int
sd_time_format(int64_t ns, char *buf, size_t len)
{
	int64_t sec, rem, days, sod, y;
	int mo, d, n;
	char tmp[64];

	if (buf == NULL || len == 0)
		return SD_ERR_OVERFLOW;
	sec = ns / NS_PER_SEC;
	rem = ns % NS_PER_SEC;
	if (rem < 0) {
		rem += NS_PER_SEC;
		sec--;
	}
	days = sec / 86400;
	sod = sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	civil_from_days(days, &y, &mo, &d);
	if (y >= 0 && y <= 9999) {
		/* The common case without snprintf (it is on every transition). */
		int f[7] = { (int)y, mo, d, (int)(sod / 3600), (int)(sod / 60 % 60),
		    (int)(sod % 60), (int)(rem / 1000000) };
		char *p = tmp;

		*p++ = (char)('0' + f[0] / 1000);
		*p++ = (char)('0' + f[0] / 100 % 10);
		*p++ = (char)('0' + f[0] / 10 % 10);
		*p++ = (char)('0' + f[0] % 10);
		for (n = 1; n < 6; n++) {
			*p++ = "--T::"[n - 1];
			*p++ = (char)('0' + f[n] / 10);
			*p++ = (char)('0' + f[n] % 10);
		}
		*p++ = '.';
		*p++ = (char)('0' + f[6] / 100);
		*p++ = (char)('0' + f[6] / 10 % 10);
		*p++ = (char)('0' + f[6] % 10);
		*p++ = 'Z';
		n = (int)(p - tmp);
	} else
		n = snprintf(tmp, sizeof(tmp),
		    "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, mo, d,
		    (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60),
		    (int)(rem / 1000000));
	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(tmp)) {
		buf[0] = '\0';
		return SD_ERR_OVERFLOW;
	}
	memcpy(buf, tmp, (size_t)n);
	buf[n] = '\0';
	return 0;
}

int64_t
sd_time_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}
