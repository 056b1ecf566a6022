/*
 * test_log: levels, the threshold and both line formats.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_log.h"

/* Run sd_log with stderr sent to a temporary file; return what it wrote. */
static char *
capture(enum sd_log_level level, const char *msg)
{
	char path[] = "/tmp/sd_log_XXXXXX", *buf;
	int fd = mkstemp(path), saved = dup(2);
	FILE *fp;
	long n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, 2), 2);
	sd_log(level, "%s", msg);
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
	fp = fdopen(fd, "r");
	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	unlink(path);
	return buf;
}

static void
test_text_and_threshold(void **state)
{
	char *s, want[128];

	(void)state;
	sd_log_init("unit", SD_LOG_WARN, 0);
	s = capture(SD_LOG_INFO, "hidden");
	assert_string_equal(s, "");
	free(s);
	s = capture(SD_LOG_ERROR, "it broke");
	snprintf(want, sizeof(want), "unit[%ld]: error: it broke\n",
	    (long)getpid());
	assert_string_equal(s, want);
	free(s);
}

static void
test_json(void **state)
{
	char *s, want[128];

	(void)state;
	sd_log_init("unit", SD_LOG_DEBUG, SD_LOG_JSON);
	s = capture(SD_LOG_DEBUG, "a \"quoted\" word");
	snprintf(want, sizeof(want), "\"prog\":\"unit\",\"pid\":%ld,\"level\":"
	    "\"debug\",\"msg\":\"a \\\"quoted\\\" word\"}\n", (long)getpid());
	assert_non_null(strstr(s, want));
	assert_true(strncmp(s, "{\"ts\":\"", 7) == 0);
	free(s);
	assert_int_equal(sd_log_level_parse("warn"), SD_LOG_WARN);
	assert_int_equal(sd_log_level_parse("loud"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_threshold),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
