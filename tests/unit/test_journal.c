/*
 * test_journal: the deploy journal (uploader/sd_journal.h): appends are
 * whole fsynced lines, a torn last line is tolerated (and cut off before
 * the next append), replay tells the last step and the snapshot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sd_err.h"
#include "sd_journal.h"
#include "sd_json.h"

struct fixture {
	char	 dir[64];
	char	 path[128];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	(void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_journal.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	(void)snprintf(f->path, sizeof(f->path), "%s/r1.journal", f->dir);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	(void)unlink(f->path);
	(void)rmdir(f->dir);
	free(f);
	return 0;
}

static char *
slurp(const char *path)
{
	struct sd_error err = SD_ERROR_INIT;
	char *buf = NULL;
	size_t len = 0;

	assert_int_equal(sd_read_file(path, 1 << 20, &buf, &len, &err), 0);
	return buf;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

static void
append(struct sd_journal *j, const char *step, enum sd_journal_phase ph,
    const char *data)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *d = NULL;

	if (data != NULL)
		assert_non_null(d = json_loads(data, 0, NULL));
	if (sd_journal_append(j, step, ph, d, INT64_C(1764100171) *
	    1000000000, &err) != 0)
		fail_msg("append %s: %s", step, sd_error_text(&err));
	json_decref(d);
	sd_error_clear(&err);
}

#define SNAP "{\"CodeSha256\":\"b2xk\",\"RevisionId\":\"rev-1\"," \
	"\"definition\":\"{\\\"StartAt\\\":\\\"A\\\"}\",\"zipKey\":\"p/c/r0/lambda.zip\"}"

static void
test_append_lines(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal *j = NULL;
	char *text;

	assert_int_equal(sd_journal_open(f->path, &j, &err), 0);
	append(j, "Lock", SD_JOURNAL_INTENT, NULL);
	append(j, "Lock", SD_JOURNAL_DONE, "{\"etag\":\"\\\"e1\\\"\"}");
	/* Written and fsynced before append returns: readable now. */
	text = slurp(f->path);
	assert_string_equal(text,
	    "{\"step\":\"Lock\",\"phase\":\"intent\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n"
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{\"etag\":\"\\\"e1\\\"\"}}\n");
	free(text);
	/* An empty step is refused and nothing is written. */
	assert_int_equal(sd_journal_append(j, "", SD_JOURNAL_DONE, NULL, 0,
	    &err), SD_ERR_INVALID);
	sd_error_clear(&err);
	sd_journal_free(j);

	/* Reopening appends after what is there. */
	assert_int_equal(sd_journal_open(f->path, &j, &err), 0);
	append(j, "Upload", SD_JOURNAL_INTENT, NULL);
	sd_journal_free(j);
	text = slurp(f->path);
	assert_non_null(strstr(text, "\"data\":{}}\n{\"step\":\"Lock\""));
	assert_non_null(strstr(text, "}\n{\"step\":\"Upload\",\"phase\":\"intent\""));
	free(text);
}

static void
test_replay(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;

	assert_int_equal(sd_journal_replay(f->path, &st, &err),
	    SD_ERR_NOTFOUND);
	sd_error_clear(&err);

	assert_int_equal(sd_journal_open(f->path, &j, &err), 0);
	append(j, "Lock", SD_JOURNAL_INTENT, NULL);
	append(j, "Lock", SD_JOURNAL_DONE, NULL);
	append(j, "Snapshot", SD_JOURNAL_INTENT, NULL);
	append(j, "Snapshot", SD_JOURNAL_DONE, SNAP);
	append(j, "UpdateLambda", SD_JOURNAL_INTENT, "{\"zipKey\":\"p/c/r1/lambda.zip\"}");
	if (sd_journal_replay(f->path, &st, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.torn, 0);
	assert_string_equal(st.last_done, "Snapshot");
	assert_string_equal(st.in_flight, "UpdateLambda");
	assert_null(st.last_failed);
	assert_int_equal(st.has_snapshot, 1);
	assert_string_equal(st.snapshot.code_sha256, "b2xk");
	assert_string_equal(st.snapshot.revision_id, "rev-1");
	assert_string_equal(st.snapshot.definition, "{\"StartAt\":\"A\"}");
	assert_string_equal(st.snapshot.zip_key, "p/c/r0/lambda.zip");

	append(j, "UpdateLambda", SD_JOURNAL_FAILED, "{\"error\":\"Lambda.ResourceConflictException\"}");
	append(j, "Rollback", SD_JOURNAL_INTENT, NULL);
	append(j, "Rollback", SD_JOURNAL_DONE, NULL);
	assert_int_equal(sd_journal_replay(f->path, &st, &err), 0);
	assert_int_equal(st.entries, 8);
	assert_string_equal(st.last_done, "Rollback");
	assert_string_equal(st.last_failed, "UpdateLambda");
	assert_null(st.in_flight);
	assert_string_equal(st.snapshot.revision_id, "rev-1");
	sd_journal_state_clear(&st);
	sd_journal_state_clear(&st);	/* re-usable, idempotent */
	sd_journal_free(j);
}

static void
test_torn_last_line(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_journal *j = NULL;
	struct stat sb;
	char *text;

	write_file(f->path,
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n"
	    "{\"step\":\"Snapshot\",\"phase\":\"do");
	if (sd_journal_replay(f->path, &st, &err) != 0)
		fail_msg("%s", sd_error_text(&err));
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.torn, 1);
	assert_string_equal(st.last_done, "Lock");
	assert_int_equal(st.has_snapshot, 0);
	assert_null(st.in_flight);

	/* A complete JSON object without its newline is torn as well. */
	write_file(f->path,
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n"
	    "{\"step\":\"Upload\",\"phase\":\"intent\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), 0);
	assert_int_equal(st.torn, 1);
	assert_null(st.in_flight);

	/* Opening cuts the torn line off, then appends a whole one. */
	assert_int_equal(sd_journal_open(f->path, &j, &err), 0);
	append(j, "Upload", SD_JOURNAL_INTENT, NULL);
	sd_journal_free(j);
	text = slurp(f->path);
	assert_string_equal(text,
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n"
	    "{\"step\":\"Upload\",\"phase\":\"intent\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n");
	free(text);
	assert_int_equal(sd_journal_replay(f->path, &st, &err), 0);
	assert_int_equal(st.torn, 0);
	assert_int_equal(st.entries, 2);
	assert_string_equal(st.in_flight, "Upload");
	sd_journal_state_clear(&st);

	/* A file that is only a torn line. */
	write_file(f->path, "{\"st");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), 0);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.torn, 1);
	sd_journal_state_clear(&st);
	assert_int_equal(sd_journal_open(f->path, &j, &err), 0);
	sd_journal_free(j);
	/* (stat, not slurp: sd_read_file leaves an empty file's buffer
	 * without its NUL) */
	assert_int_equal(stat(f->path, &sb), 0);
	assert_int_equal(sb.st_size, 0);
}

static void
test_bad_lines(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;

	/* A bad line that is not the last one is an error. */
	write_file(f->path, "{\"step\":\"Lo\n"
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), SD_ERR_PARSE);
	assert_string_equal(err.location, "line 1");
	assert_null(st.last_done);
	sd_error_clear(&err);

	write_file(f->path,
	    "{\"step\":\"Lock\",\"phase\":\"begun\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), SD_ERR_PARSE);
	sd_error_clear(&err);

	write_file(f->path,
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{},\"x\":1}\n");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), SD_ERR_PARSE);
	sd_error_clear(&err);

	/* A snapshot without its fields. */
	write_file(f->path,
	    "{\"step\":\"Lock\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{}}\n"
	    "{\"step\":\"Snapshot\",\"phase\":\"done\",\"at\":\"2025-11-25T19:49:31.000Z\",\"data\":{\"CodeSha256\":\"x\"}}\n");
	assert_int_equal(sd_journal_replay(f->path, &st, &err), SD_ERR_PARSE);
	assert_string_equal(err.location, "line 2");
	assert_int_equal(st.has_snapshot, 0);
	sd_error_clear(&err);
	sd_journal_state_clear(&st);
}

static void
test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal *j = NULL;
	char path[160];

	(void)f;
	(void)snprintf(path, sizeof(path), "%s/missing/r1.journal", f->dir);
	assert_int_equal(sd_journal_open(path, &j, &err), SD_ERR_IO);
	assert_null(j);
	assert_non_null(strstr(sd_error_text(&err), "missing"));
	sd_error_clear(&err);
	sd_journal_free(NULL);
	assert_string_equal(sd_journal_phase_name(SD_JOURNAL_FAILED), "failed");
}

/* One writer: a live journal is not idle; create refuses an existing one. */
static void
test_exclusive(void **state)
{
	struct fixture *f = *state;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_journal *a = NULL, *b = NULL;
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	json_t *d;

	assert_int_equal(sd_journal_open_idle(f->path, &b, &err),
	    SD_ERR_NOTFOUND);
	sd_error_clear(&err);
	assert_int_equal(sd_journal_create(f->path, &a, &err), 0);
	assert_int_equal(sd_journal_create(f->path, &b, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
	assert_int_equal(sd_journal_open_idle(f->path, &b, &err),
	    SD_ERR_INVALID);
	assert_non_null(strstr(sd_error_text(&err), "running deploy"));
	sd_error_clear(&err);
	assert_null(b);
	d = json_pack("{s:s}", "holder", "h1");
	assert_int_equal(sd_journal_append(a, "Lock", SD_JOURNAL_INTENT, d, 0,
	    &err), 0);
	json_decref(d);
	d = json_pack("{s:s}", "etag", "\"e1\"");
	assert_int_equal(sd_journal_append(a, "Lock", SD_JOURNAL_DONE, d, 0,
	    &err), 0);
	json_decref(d);
	sd_journal_free(a);
	/* Its writer gone, the journal is idle. */
	assert_int_equal(sd_journal_open_idle(f->path, &b, &err), 0);
	sd_journal_free(b);
	/* Replay keeps each step's last intent and done data. */
	assert_int_equal(sd_journal_replay(f->path, &st, &err), 0);
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(st.intents, "Lock"), "holder")), "h1");
	assert_string_equal(json_string_value(json_object_get(
	    json_object_get(st.dones, "Lock"), "etag")), "\"e1\"");
	assert_null(json_object_get(st.dones, "Validate"));
	sd_journal_state_clear(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_append_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_last_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
