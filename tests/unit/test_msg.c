/*
 * test_msg: framing over a socketpair — round trips, caps checked before
 * allocation, truncated and unknown frames, peer credentials.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_msg.h"

static void
pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
}

static void
test_roundtrip_json(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *o = json_pack("{s:s, s:i}", "a", "b", "n", 5), *got = NULL;
	uint8_t type = 0;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(sd_msg_write_json(sv[0], SD_MSG_SIGN_REQUEST, o, &err), 0);
	assert_int_equal(sd_msg_read_json(sv[1], 0, &type, &got, &err), 0);
	assert_int_equal(type, SD_MSG_SIGN_REQUEST);
	assert_true(json_equal(o, got));
	json_decref(got);
	json_decref(o);
	/* Clean EOF before a frame. */
	close(sv[0]);
	assert_int_equal(sd_msg_read_json(sv[1], 0, &type, &got, &err), SD_ERR_IO);
	assert_string_equal(err.message, "connection closed");
	sd_error_clear(&err);
	close(sv[1]);
}

static void
test_limits_and_garbage(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	unsigned char big[5] = { 0x7f, 0xff, 0xff, 0xff, SD_MSG_SUBMIT };
	unsigned char bad[5] = { 0, 0, 0, 1, 99 };
	unsigned char trunc[8] = { 0, 0, 0, 10, SD_MSG_OK, '{', '}', ' ' };
	unsigned char *p = NULL;
	uint8_t type;
	size_t len;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(write(sv[0], big, sizeof(big)), (ssize_t)sizeof(big));
	assert_int_equal(sd_msg_read(sv[1], 1024, &type, &p, &len, &err),
	    SD_ERR_LIMIT);
	assert_null(p);
	sd_error_clear(&err);
	close(sv[0]);
	close(sv[1]);

	pair(sv);
	assert_int_equal(write(sv[0], bad, sizeof(bad)), (ssize_t)sizeof(bad));
	assert_int_equal(sd_msg_read(sv[1], 0, &type, &p, &len, &err),
	    SD_ERR_INVALID);
	assert_string_equal(err.message, "unknown message type 99");
	sd_error_clear(&err);
	close(sv[0]);
	close(sv[1]);

	pair(sv);
	assert_int_equal(write(sv[0], trunc, sizeof(trunc)), (ssize_t)sizeof(trunc));
	close(sv[0]);
	assert_int_equal(sd_msg_read(sv[1], 0, &type, &p, &len, &err),
	    SD_ERR_PARSE);
	sd_error_clear(&err);
	close(sv[1]);

	/* A payload that is not a JSON object. */
	pair(sv);
	assert_int_equal(sd_msg_write(sv[0], SD_MSG_OK, "[1]", 3, &err), 0);
	{
		json_t *o = NULL;

		assert_int_equal(sd_msg_read_json(sv[1], 0, &type, &o, &err),
		    SD_ERR_INVALID);
		assert_null(o);
		sd_error_clear(&err);
	}
	assert_int_equal(sd_msg_write(sv[0], SD_MSG_OK, "{\"a\":1,\"a\":2}", 13,
	    &err), 0);
	{
		json_t *o = NULL;

		assert_int_equal(sd_msg_read_json(sv[1], 0, &type, &o, &err),
		    SD_ERR_PARSE);
		sd_error_clear(&err);
	}
	close(sv[0]);
	close(sv[1]);
}

static void
test_parse(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	unsigned char f[8] = { 0, 0, 0, 3, SD_MSG_OK, '{', '}', 'x' };
	const unsigned char *pl;
	uint8_t type;
	size_t plen, used;

	(void)state;
	assert_int_equal(sd_msg_parse(f, sizeof(f), 0, &type, &pl, &plen, &used,
	    &err), 0);
	assert_int_equal(type, SD_MSG_OK);
	assert_int_equal(plen, 2);
	assert_int_equal(used, 7);
	assert_memory_equal(pl, "{}", 2);
	assert_int_equal(sd_msg_parse(f, 6, 0, &type, &pl, &plen, &used, &err),
	    SD_ERR_PARSE);
	assert_int_equal(used, 0);
	sd_error_clear(&err);
	f[3] = 0;
	assert_int_equal(sd_msg_parse(f, sizeof(f), 0, &type, &pl, &plen, &used,
	    &err), SD_ERR_INVALID);
	sd_error_clear(&err);
}

static void
test_peer(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	uid_t uid;
	pid_t pid;
	int sv[2];

	(void)state;
	pair(sv);
	assert_int_equal(sd_msg_peer(sv[1], &uid, &pid, &err), 0);
	assert_int_equal(uid, getuid());
	assert_int_equal(pid, getpid());
	close(sv[0]);
	close(sv[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_json),
		cmocka_unit_test(test_limits_and_garbage),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_peer),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
