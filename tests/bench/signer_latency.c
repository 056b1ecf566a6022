/*
 * signer-latency: round-trip latency of a signature over sign.sock.
 *
 *   signer-latency [-n N] SOCKET REQUEST.json
 *
 * Sends the SIGN_REQUEST payload in REQUEST.json N times (default 20000)
 * on one connection, one at a time, after 200 untimed warm-up requests,
 * and prints {"requests", "per_sec", "p50_us", "p99_us", "max_us"}.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sd_json.h"
#include "sd_msg.h"
#include "sd_signer_client.h"

static double
now_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
one(int fd, const char *req, size_t len, struct sd_error *err)
{
	unsigned char *p = NULL;
	size_t plen;
	uint8_t type;
	int r;

	if ((r = sd_msg_write(fd, SD_MSG_SIGN_REQUEST, req, len, err)) != 0 ||
	    (r = sd_msg_read(fd, 0, &type, &p, &plen, err)) != 0)
		return r;
	free(p);
	if (type != SD_MSG_SIGN_RESPONSE)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "the signer "
		    "refused the request (%s)", sd_msg_type_name(type));
	return 0;
}

int
main(int argc, char **argv)
{
	struct sd_error err = SD_ERROR_INIT;
	char *req = NULL, *end;
	double *lat = NULL, t0, total;
	size_t len = 0;
	long n = 20000, i;
	int fd = -1, c, rc = 1;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		if (c != 'n')
			goto usage;
		errno = 0;
		n = strtol(optarg, &end, 10);
		if (errno != 0 || *end != '\0' || n < 1 || n > 10000000)
			goto usage;
	}
	if (argc - optind != 2)
		goto usage;
	if ((lat = calloc((size_t)n, sizeof(*lat))) == NULL ||
	    sd_read_file(argv[optind + 1], 1 << 20, &req, &len, &err) != 0 ||
	    sd_signer_connect(argv[optind], &fd, &err) != 0)
		goto fail;
	for (i = 0; i < 200; i++)
		if (one(fd, req, len, &err) != 0)
			goto fail;
	total = now_us();
	for (i = 0; i < n; i++) {
		t0 = now_us();
		if (one(fd, req, len, &err) != 0)
			goto fail;
		lat[i] = now_us() - t0;
	}
	total = now_us() - total;
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("{\"requests\":%ld,\"per_sec\":%.0f,\"p50_us\":%.1f,"
	    "\"p99_us\":%.1f,\"max_us\":%.1f}\n", n, (double)n / total * 1e6,
	    lat[n / 2], lat[(size_t)((double)n * 0.99)], lat[n - 1]);
	rc = 0;
	goto out;
 usage:
	fprintf(stderr, "usage: signer-latency [-n N] SOCKET REQUEST.json\n");
	rc = 2;
	goto out;
 fail:
	fprintf(stderr, "signer-latency: %s\n", sd_error_text(&err));
 out:
	(void)sd_signer_close(fd);
	sd_error_clear(&err);
	free(req);
	free(lat);
	return rc;
}
