/*
 * Unit tests for sd_intrinsic: every function, its AWS-observed edge
 * cases and exact error texts, the visible conformance cases, and the
 * parser's limits. Paths are resolved by a tiny resolver over fixed
 * documents (input, context object, variables), so the tests do not depend
 * on sd_jsonpath's evaluator.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_intrinsic.h"

struct tctx {
	json_t	*input;
	json_t	*context;
	json_t	*vars;
	int	 fail;		/* make the resolver fail */
};

/* Walk ".name" and "[n]" steps from s over doc; NULL when nothing. */
static json_t *
walk(json_t *doc, const char *s)
{
	json_t *cur = doc;
	char *end;
	long i;
	size_t n;

	while (cur != NULL && *s != '\0') {
		if (*s == '.') {
			s++;
			for (n = 0; s[n] != '\0' && s[n] != '.' && s[n] != '['; n++)
				;
			cur = json_is_object(cur) ? json_object_getn(cur, s, n) :
			    NULL;
			s += n;
		} else if (*s == '[') {
			i = strtol(s + 1, &end, 10);
			if (*end != ']' || !json_is_array(cur) || i < 0)
				return NULL;
			cur = json_array_get(cur, (size_t)i);
			s = end + 1;
		} else
			return NULL;
	}
	return cur;
}

static int
resolve(void *ctx, const struct sd_jsonpath *p, json_t **out,
    struct sd_error *err)
{
	struct tctx *t = ctx;
	const char *s = sd_jsonpath_text(p);
	json_t *doc = t->input;
	size_t n;

	*out = NULL;
	if (t->fail)
		return sd_error_set(err, SD_ERR_RUNTIME, NULL, "resolver says no");
	if (s[1] == '$') {
		doc = t->context;
		s += 2;
	} else if (isalpha((unsigned char)s[1])) {
		for (n = 1; isalnum((unsigned char)s[n]) || s[n] == '_'; n++)
			;
		doc = json_object_getn(t->vars, s + 1, n - 1);
		s += n;
	} else
		s++;
	if ((doc = walk(doc, s)) != NULL)
		*out = json_incref(doc);
	return 0;
}

static json_t *
parse(const char *text)
{
	json_error_t je;
	json_t *v;

	if (text == NULL)
		return NULL;
	v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (v == NULL)
		fail_msg("bad test JSON '%s': %s", text, je.text);
	return v;
}

/* Evaluate expr; returns the eval (or compile) code. */
static int
run_full(const char *expr, const char *input, const char *context,
    const char *vars, uint64_t *rng, json_t **out, struct sd_error *err)
{
	struct sd_intrinsic *in = NULL;
	struct sd_intrinsic_env env;
	struct tctx t;
	int r;

	memset(&t, 0, sizeof(t));
	t.input = parse(input != NULL ? input : "{}");
	t.context = parse(context != NULL ? context : "{}");
	t.vars = parse(vars != NULL ? vars : "{}");
	env.resolve = resolve;
	env.ctx = &t;
	env.rng = rng;
	*out = NULL;
	if ((r = sd_intrinsic_compile(expr, &in, err)) == 0)
		r = sd_intrinsic_eval(in, &env, out, err);
	sd_intrinsic_free(in);
	json_decref(t.input);
	json_decref(t.context);
	json_decref(t.vars);
	return r;
}

static void
check_ok_full(const char *expr, const char *input, const char *context,
    const char *vars, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	uint64_t rng = 42;
	json_t *got = NULL, *exp = parse(want);
	char *a, *b;
	int r;

	r = run_full(expr, input, context, vars, &rng, &got, &err);
	if (r != 0)
		fail_msg("%s: error %d: %s", expr, r, sd_error_text(&err));
	/* json_equal: 1 and 1.0 differ, object key order does not matter */
	if (!json_equal(got, exp)) {
		a = sd_json_dumps(got, 0);
		b = sd_json_dumps(exp, 0);
		print_error("%s\n  got  %s\n  want %s\n", expr, a, b);
		free(a);
		free(b);
		fail();
	}
	json_decref(got);
	json_decref(exp);
	sd_error_clear(&err);
}

static void
check_ok(const char *expr, const char *input, const char *want)
{
	check_ok_full(expr, input, NULL, NULL, want);
}

static void
check_err(const char *expr, const char *input, int code, const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *got = NULL;
	int r;

	r = run_full(expr, input, NULL, NULL, NULL, &got, &err);
	if (r != code || got != NULL || err.message == NULL ||
	    (msg != NULL && strcmp(err.message, msg) != 0)) {
		print_error("%s\n  got  %d '%s'\n  want %d '%s'\n", expr, r,
		    err.message != NULL ? err.message : "(null)", code,
		    msg != NULL ? msg : "(any)");
		fail();
	}
	json_decref(got);
	sd_error_clear(&err);
}

/* The AWS text for a bad argument of the call fn inside expr. */
static char *
invalid(const char *expr, const char *fn)
{
	char *m = sd_asprintf("The function '%s' had the following error: "
	    "Invalid arguments in %s", expr, fn);

	assert_non_null(m);
	return m;
}

static void
check_invalid(const char *expr, const char *input, const char *fn)
{
	char *m = invalid(expr, fn);

	check_err(expr, input, SD_ERR_RUNTIME, m);
	free(m);
}

/* ------------------------------------------------------------ conformance */

static const struct {
	const char	*name;
	const char	*expr;
	const char	*input;
	const char	*context;
	const char	*want;
} conf[] = {
/* generated from /work/shared/conformance/cases/intrinsic_functions__*.json */
	{ "test_array__test_array_2_exec_hist_resp_0",
	    "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"\", \"snd\": \"\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"\", \"snd\": \"\"}}}}",
	    "[\"\", \"\"]" },
	{ "test_array__test_array_2_exec_hist_resp_3",
	    "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": null, \"snd\": null}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": null, \"snd\": null}}}}",
	    "[null, null]" },
	{ "test_array__test_array_2_exec_hist_resp_4",
	    "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1, \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1, \"snd\": 1}}}}",
	    "[1, 1]" },
	{ "test_array__test_array_2_exec_hist_resp_5",
	    "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.1, \"snd\": 1.1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.1, \"snd\": 1.1}}}}",
	    "[1.1, 1.1]" },
	{ "test_array__test_array_2_exec_hist_resp_6",
	    "States.Array($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\", \"snd\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\", \"snd\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}}}",
	    "[\"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\", \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"]" },
	{ "test_array__test_array_contains_exec_hist_resp_0",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": null}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": null}}}}",
	    "false" },
	{ "test_array__test_array_contains_exec_hist_resp_1",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": []}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": []}}}}",
	    "false" },
	{ "test_array__test_array_contains_exec_hist_resp_2",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": 1}}}}",
	    "false" },
	{ "test_array__test_array_contains_exec_hist_resp_5",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [{\"1\": 2, \"2\": []}], \"snd\": []}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [{\"1\": 2, \"2\": []}], \"snd\": []}}}}",
	    "false" },
	{ "test_array__test_array_contains_exec_hist_resp_6",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [{\"1\": 2, \"2\": []}], \"snd\": {\"1\": 2, \"2\": []}}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [{\"1\": 2, \"2\": []}], \"snd\": {\"1\": 2, \"2\": []}}}}}",
	    "true" },
	{ "test_array__test_array_contains_exec_hist_resp_8",
	    "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [true, false], \"snd\": false}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [true, false], \"snd\": false}}}}",
	    "true" },
	{ "test_array__test_array_get_item_exec_hist_resp_0",
	    "States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"snd\": 5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"snd\": 5}}}}",
	    "6" },
	{ "test_array__test_array_get_item_exec_hist_resp_0_1",
	    "States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"snd\": 5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [1, 2, 3, 4, 5, 6, 7, 8, 9], \"snd\": 5}}}}",
	    "6" },
	{ "test_array__test_array_length_exec_hist_resp_0",
	    "States.ArrayLength($.FunctionInput)",
	    "{\"FunctionInput\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}}}",
	    "9" },
	{ "test_array__test_array_length_exec_hist_resp_0_1",
	    "States.ArrayLength($.FunctionInput)",
	    "{\"FunctionInput\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}}}",
	    "9" },
	{ "test_array__test_array_partition_exec_hist_resp_0",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": 1}}}}",
	    "[]" },
	{ "test_array__test_array_partition_exec_hist_resp_1",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": 2}}}}",
	    "[]" },
	{ "test_array__test_array_partition_exec_hist_resp_10",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 1}}}}",
	    "[[0], [1]]" },
	{ "test_array__test_array_partition_exec_hist_resp_11",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 2}}}}",
	    "[[0, 1]]" },
	{ "test_array__test_array_partition_exec_hist_resp_12",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 3}}}}",
	    "[[0, 1]]" },
	{ "test_array__test_array_partition_exec_hist_resp_13",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 4}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 4}}}}",
	    "[[0, 1]]" },
	{ "test_array__test_array_partition_exec_hist_resp_14",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1], \"snd\": 5}}}}",
	    "[[0, 1]]" },
	{ "test_array__test_array_partition_exec_hist_resp_16",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 2}}}}",
	    "[[0, 1], [2]]" },
	{ "test_array__test_array_partition_exec_hist_resp_17",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 3}}}}",
	    "[[0, 1, 2]]" },
	{ "test_array__test_array_partition_exec_hist_resp_18",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 4}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 4}}}}",
	    "[[0, 1, 2]]" },
	{ "test_array__test_array_partition_exec_hist_resp_19",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2], \"snd\": 5}}}}",
	    "[[0, 1, 2]]" },
	{ "test_array__test_array_partition_exec_hist_resp_2",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": 3}}}}",
	    "[]" },
	{ "test_array__test_array_partition_exec_hist_resp_20",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 1}}}}",
	    "[[0], [1], [2], [3]]" },
	{ "test_array__test_array_partition_exec_hist_resp_21",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 2}}}}",
	    "[[0, 1], [2, 3]]" },
	{ "test_array__test_array_partition_exec_hist_resp_22",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0, 1, 2, 3], \"snd\": 3}}}}",
	    "[[0, 1, 2], [3]]" },
	{ "test_array__test_array_partition_exec_hist_resp_3",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [], \"snd\": 4}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [], \"snd\": 4}}}}",
	    "[]" },
	{ "test_array__test_array_partition_exec_hist_resp_5",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0], \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0], \"snd\": 1}}}}",
	    "[[0]]" },
	{ "test_array__test_array_partition_exec_hist_resp_6",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0], \"snd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0], \"snd\": 2}}}}",
	    "[[0]]" },
	{ "test_array__test_array_partition_exec_hist_resp_7",
	    "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": [0], \"snd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": [0], \"snd\": 3}}}}",
	    "[[0]]" },
	{ "test_array__test_array_range_exec_hist_resp_0",
	    "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
	    "{\"FunctionInput\": {\"fst\": 0, \"snd\": 9, \"trd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 0, \"snd\": 9, \"trd\": 3}}}}",
	    "[0, 3, 6, 9]" },
	{ "test_array__test_array_range_exec_hist_resp_1",
	    "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
	    "{\"FunctionInput\": {\"fst\": 0, \"snd\": 10, \"trd\": 3}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 0, \"snd\": 10, \"trd\": 3}}}}",
	    "[0, 3, 6, 9]" },
	{ "test_array__test_array_range_exec_hist_resp_2",
	    "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
	    "{\"FunctionInput\": {\"fst\": 1, \"snd\": 9, \"trd\": 9}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1, \"snd\": 9, \"trd\": 9}}}}",
	    "[1]" },
	{ "test_array__test_array_range_exec_hist_resp_3",
	    "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
	    "{\"FunctionInput\": {\"fst\": 1, \"snd\": 9, \"trd\": 2}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1, \"snd\": 9, \"trd\": 2}}}}",
	    "[1, 3, 5, 7, 9]" },
	{ "test_array__test_array_unique_exec_hist_resp_0",
	    "States.ArrayLength($.FunctionInput)",
	    "{\"FunctionInput\": [null, null, true, true, false, false, 1, 1, 1.1, 0, 0, \"HelloWorld\", \"HelloWorld\", [], [], [null], [null], {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 1}]}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": [null, null, true, true, false, false, 1, 1, 1.1, 0, 0, \"HelloWorld\", \"HelloWorld\", [], [], [null], [null], {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 1}]}}}",
	    "20" },
	{ "test_array__test_array_unique_exec_hist_resp_0_1",
	    "States.ArrayLength($.FunctionInput)",
	    "{\"FunctionInput\": [null, null, true, true, false, false, 1, 1, 1.1, 0, 0, \"HelloWorld\", \"HelloWorld\", [], [], [null], [null], {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 1}]}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": [null, null, true, true, false, false, 1, 1, 1.1, 0, 0, \"HelloWorld\", \"HelloWorld\", [], [], [null], [null], {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 2}, {\"a\": 1, \"b\": 1}]}}}",
	    "20" },
	{ "test_encode_decode__test_base_64_decode_exec_hist_resp_1",
	    "States.Base64Decode($.FunctionInput)",
	    "{\"FunctionInput\": \"RGF0YSB0byBlbmNvZGU=\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"RGF0YSB0byBlbmNvZGU=\"}}}",
	    "\"Data to encode\"" },
	{ "test_encode_decode__test_base_64_encode_exec_hist_resp_1",
	    "States.Base64Encode($.FunctionInput)",
	    "{\"FunctionInput\": \"Data to encode\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"Data to encode\"}}}",
	    "\"RGF0YSB0byBlbmNvZGU=\"" },
	{ "test_generic__test_format_1_exec_hist_resp_2",
	    "States.Format('Formatting argument {}.', $.FunctionInput)",
	    "{\"FunctionInput\": \"HelloWorld\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"HelloWorld\"}}}",
	    "\"Formatting argument HelloWorld.\"" },
	{ "test_generic__test_format_1_exec_hist_resp_3",
	    "States.Format('Formatting argument {}.', $.FunctionInput)",
	    "{\"FunctionInput\": null}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": null}}}",
	    "\"Formatting argument null.\"" },
	{ "test_generic__test_format_1_exec_hist_resp_5",
	    "States.Format('Formatting argument {}.', $.FunctionInput)",
	    "{\"FunctionInput\": 1.1}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": 1.1}}}",
	    "\"Formatting argument 1.1.\"" },
	{ "test_generic__test_format_1_exec_hist_resp_6",
	    "States.Format('Formatting argument {}.', $.FunctionInput)",
	    "{\"FunctionInput\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}}",
	    "\"Formatting argument {\\\"Arg1\\\": 1, \\\"Arg2\\\": []}.\"" },
	{ "test_generic__test_format_2_exec_hist_resp_2",
	    "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"HelloWorld\", \"snd\": \"HelloWorld\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"HelloWorld\", \"snd\": \"HelloWorld\"}}}}",
	    "\"Formatting arguments fst=HelloWorld and snd=HelloWorld.\"" },
	{ "test_generic__test_format_2_exec_hist_resp_4",
	    "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1, \"snd\": 1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1, \"snd\": 1}}}}",
	    "\"Formatting arguments fst=1 and snd=1.\"" },
	{ "test_generic__test_format_2_exec_hist_resp_5",
	    "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.1, \"snd\": 1.1}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.1, \"snd\": 1.1}}}}",
	    "\"Formatting arguments fst=1.1 and snd=1.1.\"" },
	{ "test_generic__test_format_2_exec_hist_resp_6",
	    "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\", \"snd\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\", \"snd\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}}}",
	    "\"Formatting arguments fst={\\\"Arg1\\\": 1, \\\"Arg2\\\": []} and snd={\\\"Arg1\\\": 1, \\\"Arg2\\\": []}.\"" },
	{ "test_generic__test_format_2_exec_hist_resp_7",
	    "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": {\"Arg1\": 1, \"Arg2\": []}, \"snd\": {\"Arg1\": 1, \"Arg2\": []}}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": {\"Arg1\": 1, \"Arg2\": []}, \"snd\": {\"Arg1\": 1, \"Arg2\": []}}}}}",
	    "\"Formatting arguments fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.\"" },
	{ "test_hash_calculations__test_hash_exec_hist_resp_2",
	    "States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-256\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-256\"}}}}",
	    "\"b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3\"" },
	{ "test_hash_calculations__test_hash_exec_hist_resp_3",
	    "States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-384\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-384\"}}}}",
	    "\"d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562\"" },
	{ "test_hash_calculations__test_hash_exec_hist_resp_4",
	    "States.Hash($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-512\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"input data\", \"snd\": \"SHA-512\"}}}}",
	    "\"6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4\"" },
	{ "test_json_manipulation__test_json_merge_escaped_argument_get_execution_history",
	    "States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), $$.Execution.Input.input_field, false)",
	    "{\"input_field\": {\"constant_input_field\": \"constant_value\"}}",
	    "{\"Execution\": {\"Input\": {\"input_field\": {\"constant_input_field\": \"constant_value\"}}}}",
	    "{\"constant_input_field\": \"constant_value\", \"constant_in_literal\": \"false\"}" },
	{ "test_json_manipulation__test_json_merge_exec_hist_resp_0",
	    "States.JsonMerge($.FunctionInput.fst, $.FunctionInput.snd, false)",
	    "{\"FunctionInput\": {\"fst\": {\"a\": {\"a1\": 1, \"a2\": 2}, \"b\": 2, \"d\": 3}, \"snd\": {\"a\": {\"a3\": 1, \"a4\": 2}, \"c\": 3, \"d\": 4}}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": {\"a\": {\"a1\": 1, \"a2\": 2}, \"b\": 2, \"d\": 3}, \"snd\": {\"a\": {\"a3\": 1, \"a4\": 2}, \"c\": 3, \"d\": 4}}}}}",
	    "{\"a\": {\"a3\": 1, \"a4\": 2}, \"b\": 2, \"c\": 3, \"d\": 4}" },
	{ "test_json_manipulation__test_json_to_string_exec_hist_resp_0",
	    "States.JsonToString($.FunctionInput)",
	    "{\"FunctionInput\": null}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": null}}}",
	    "\"null\"" },
	{ "test_json_manipulation__test_json_to_string_exec_hist_resp_3",
	    "States.JsonToString($.FunctionInput)",
	    "{\"FunctionInput\": 1.1}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": 1.1}}}",
	    "\"1.1\"" },
	{ "test_json_manipulation__test_json_to_string_exec_hist_resp_7",
	    "States.JsonToString($.FunctionInput)",
	    "{\"FunctionInput\": {\"Arg1\": 1, \"Arg2\": []}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"Arg1\": 1, \"Arg2\": []}}}}",
	    "\"{\\\"Arg1\\\":1,\\\"Arg2\\\":[]}\"" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_0",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"\"}}}",
	    "null" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_1",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \" \"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \" \"}}}",
	    "null" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_2",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"null\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"null\"}}}",
	    "null" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_3",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"-0\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"-0\"}}}",
	    "0" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_4",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"1\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"1\"}}}",
	    "1" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_5",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"1.1\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"1.1\"}}}",
	    "1.1" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_6",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"true\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"true\"}}}",
	    "true" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_7",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"\\\"HelloWorld\\\"\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"\\\"HelloWorld\\\"\"}}}",
	    "\"HelloWorld\"" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_8",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"[1, 2, \\\"HelloWorld\\\"]\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"[1, 2, \\\"HelloWorld\\\"]\"}}}",
	    "[1, 2, \"HelloWorld\"]" },
	{ "test_json_manipulation__test_string_to_json_exec_hist_resp_9",
	    "States.StringToJson($.FunctionInput)",
	    "{\"FunctionInput\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"{\\\"Arg1\\\": 1, \\\"Arg2\\\": []}\"}}}",
	    "{\"Arg1\": 1, \"Arg2\": []}" },
	{ "test_math_operations__test_math_add_exec_hist_resp_10",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -1.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -1.5, \"snd\": 0}}}}",
	    "-1" },
	{ "test_math_operations__test_math_add_exec_hist_resp_11",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -1.51, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -1.51, \"snd\": 0}}}}",
	    "-2" },
	{ "test_math_operations__test_math_add_exec_hist_resp_12",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 0.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 0.5, \"snd\": 0}}}}",
	    "1" },
	{ "test_math_operations__test_math_add_exec_hist_resp_13",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.5, \"snd\": 0}}}}",
	    "2" },
	{ "test_math_operations__test_math_add_exec_hist_resp_14",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 2.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 2.5, \"snd\": 0}}}}",
	    "3" },
	{ "test_math_operations__test_math_add_exec_hist_resp_16",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -0.5, \"snd\": 0.5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -0.5, \"snd\": 0.5}}}}",
	    "1" },
	{ "test_math_operations__test_math_add_exec_hist_resp_17",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -0.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -0.5, \"snd\": 0}}}}",
	    "0" },
	{ "test_math_operations__test_math_add_exec_hist_resp_18",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -1.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -1.5, \"snd\": 0}}}}",
	    "-1" },
	{ "test_math_operations__test_math_add_exec_hist_resp_19",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -2.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -2.5, \"snd\": 0}}}}",
	    "-2" },
	{ "test_math_operations__test_math_add_exec_hist_resp_2",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.5, \"snd\": 1.51}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.5, \"snd\": 1.51}}}}",
	    "4" },
	{ "test_math_operations__test_math_add_exec_hist_resp_20",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -3.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -3.5, \"snd\": 0}}}}",
	    "-3" },
	{ "test_math_operations__test_math_add_exec_hist_resp_3",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -1.49, \"snd\": -1.5}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -1.49, \"snd\": -1.5}}}}",
	    "-2" },
	{ "test_math_operations__test_math_add_exec_hist_resp_4",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": -1.5, \"snd\": -1.51}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": -1.5, \"snd\": -1.51}}}}",
	    "-3" },
	{ "test_math_operations__test_math_add_exec_hist_resp_7",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.5, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.5, \"snd\": 0}}}}",
	    "2" },
	{ "test_math_operations__test_math_add_exec_hist_resp_8",
	    "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": 1.51, \"snd\": 0}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": 1.51, \"snd\": 0}}}}",
	    "2" },
	{ "test_string_operations__test_string_split_context_object_exec_hist_resp_0",
	    "States.StringSplit($$.Execution.Input.FunctionInput, ',')",
	    "{\"FunctionInput\": \"Value1,Value2,Value3\\nValue4,Value5,Value6\\n,,,\\ntrue,1,'HelloWorld'\\nNull,None,\\n   \\n\"}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": \"Value1,Value2,Value3\\nValue4,Value5,Value6\\n,,,\\ntrue,1,'HelloWorld'\\nNull,None,\\n   \\n\"}}}",
	    "[\"Value1\", \"Value2\", \"Value3\\nValue4\", \"Value5\", \"Value6\\n\", \"\\ntrue\", \"1\", \"'HelloWorld'\\nNull\", \"None\", \"\\n   \\n\"]" },
	{ "test_string_operations__test_string_split_exec_hist_resp_2",
	    "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \", , ,\", \"snd\": \",\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \", , ,\", \"snd\": \",\"}}}}",
	    "[\" \", \" \"]" },
	{ "test_string_operations__test_string_split_exec_hist_resp_3",
	    "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \",,,,\", \"snd\": \",\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \",,,,\", \"snd\": \",\"}}}}",
	    "[]" },
	{ "test_string_operations__test_string_split_exec_hist_resp_4",
	    "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"1,2,3,4,5\", \"snd\": \",\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"1,2,3,4,5\", \"snd\": \",\"}}}}",
	    "[\"1\", \"2\", \"3\", \"4\", \"5\"]" },
	{ "test_string_operations__test_string_split_exec_hist_resp_5",
	    "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"This.is+a,test=string\", \"snd\": \".+,=\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"This.is+a,test=string\", \"snd\": \".+,=\"}}}}",
	    "[\"This\", \"is\", \"a\", \"test\", \"string\"]" },
	{ "test_string_operations__test_string_split_exec_hist_resp_6",
	    "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
	    "{\"FunctionInput\": {\"fst\": \"split on T and \\nnew line\", \"snd\": \"T\\n\"}}",
	    "{\"Execution\": {\"Input\": {\"FunctionInput\": {\"fst\": \"split on T and \\nnew line\", \"snd\": \"T\\n\"}}}}",
	    "[\"split on \", \" and \", \"new line\"]" },
};

static void
test_conformance(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(conf) / sizeof(conf[0]); i++)
		check_ok_full(conf[i].expr, conf[i].input, conf[i].context,
		    NULL, conf[i].want);
}

/* The other recorded cases that use intrinsics (Fail paths, Map, $var). */
static void
test_conformance_other(void **state)
{
	(void)state;
	check_ok("States.Format('{}', $.Error)",
	    "{\"Error\": \"error string\", \"Cause\": \"cause string\"}",
	    "\"error string\"");
	check_ok("States.Format('This is a custom error message for {}, "
	    "caused by {}.', $.Error, $.Cause)",
	    "{\"Error\": \"error string\", \"Cause\": \"cause string\"}",
	    "\"This is a custom error message for error string, caused by "
	    "cause string.\"");
	check_ok_full("States.Format($AnswerTemplate, $$.Map.Item.Value)",
	    "{}", "{\"Map\": {\"Item\": {\"Index\": 1, \"Value\": \"Pikachu\"}}}",
	    "{\"AnswerTemplate\": \"It's {}!\"}", "\"It's Pikachu!\"");
	check_ok("States.Format($.AnswerTemplate, 'Squirtle')",
	    "{\"AnswerTemplate\": \"It's {}!\"}", "\"It's Squirtle!\"");
	check_ok("States.ArrayRange(0, 3, 1)", NULL, "[0, 1, 2, 3]");
	check_ok("States.MathAdd($.Iterations, -1)", "{\"Iterations\": 3}",
	    "2");
	/* LocalStack's nested_calls_2 template */
	check_ok_full("States.ArrayGetItem(States.StringSplit("
	    "$$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength("
	    "States.StringSplit($$.StateMachine.Name, '-')), -1))", "{}",
	    "{\"StateMachine\": {\"Name\": \"my-state-machine\"}}", NULL,
	    "\"machine\"");
}

/* ------------------------------------------------------------ Format */

static void
test_format(void **state)
{
	(void)state;
	check_ok("States.Format('Hello {}', $.name)", "{\"name\": \"Ada\"}",
	    "\"Hello Ada\"");
	check_ok("States.Format('no placeholders')", NULL,
	    "\"no placeholders\"");
	check_ok("States.Format('  {}  ', $.a)", "{\"a\": \"x\"}",
	    "\"  x  \"");
	check_ok("States.Format('{} {} {}', $.a, $.b, $.c)",
	    "{\"a\": \"x\", \"b\": 2, \"c\": true}", "\"x 2 true\"");
	/* escapes in a literal template: \' \{ \} \\ are plain text */
	check_ok("States.Format('Name: \\'{}\\', set \\{\\} \\\\ {}', $.n, 1)",
	    "{\"n\": \"Gabriel\"}",
	    "\"Name: 'Gabriel', set {} \\\\ 1\"");
	/* values: strings raw, Java numbers, null, Map/List toString */
	check_ok("States.Format('{}|{}|{}|{}|{}', $.nil, $.b, $.neg, $.frac, "
	    "$.big)", "{\"nil\": null, \"b\": false, \"neg\": -1, \"frac\": 3.5, "
	    "\"big\": 9007199254740991}",
	    "\"null|false|-1|3.5|9007199254740991\"");
	check_ok("States.Format('fst={} and snd={}.', $.o, $.o)",
	    "{\"o\": {\"Arg1\": 1, \"Arg2\": []}}",
	    "\"fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.\"");
	check_ok("States.Format('{}', $.a)",
	    "{\"a\": [null, \"\", \" \", 0, 1.5, true, [0, {\"k\": \"v\"}]]}",
	    "\"[null, ,  , 0, 1.5, true, [0, {k=v}]]\"");
	check_ok("States.Format('{} {} {} {} {} {}', 1.0, 1e20, 0.0001, "
	    "1234567.0, 12345678.9, -0.001)", NULL,
	    "\"1.0 1.0E20 1.0E-4 1234567.0 1.23456789E7 -0.001\"");
	check_ok("States.Format('arn:{}:{}', $.svc, States.JsonToString($.obj))",
	    "{\"svc\": \"lambda\", \"obj\": {\"k\": 1}}",
	    "\"arn:lambda:{\\\"k\\\":1}\"");
	/* a template from a path has no escapes */
	check_ok("States.Format($.t, 'x')", "{\"t\": \"a\\\\b {}\"}",
	    "\"a\\\\b x\"");

	check_err("States.Format('{} {}', $.a)", "{\"a\": \"x\"}",
	    SD_ERR_RUNTIME, "The function 'States.Format('{} {}', $.a)' had "
	    "the following error: Invalid arguments in States.Format: number "
	    "of arguments do not match the occurrences of {}.");
	check_err("States.Format('{}', 1, 2)", NULL, SD_ERR_RUNTIME,
	    "The function 'States.Format('{}', 1, 2)' had the following "
	    "error: Invalid arguments in States.Format: number of arguments "
	    "do not match the occurrences of {}.");
	check_err("States.Format('Hello {', $.a)", "{\"a\": \"x\"}",
	    SD_ERR_RUNTIME, "The function 'States.Format('Hello {', $.a)' had "
	    "the following error: Invalid template in States.Format: matching "
	    "'}' not found for '{'.");
	check_err("States.Format('Hello {{}}', $.a)", "{\"a\": \"x\"}",
	    SD_ERR_RUNTIME, "The function 'States.Format('Hello {{}}', $.a)' "
	    "had the following error: Invalid template in States.Format: "
	    "matching '}' not found for '{'.");
	check_err("States.Format('}')", NULL, SD_ERR_RUNTIME,
	    "The function 'States.Format('}')' had the following error: "
	    "Invalid template in States.Format: matching '{' not found for "
	    "'}'.");
	check_invalid("States.Format($.t, $.n)", "{\"t\": 123, \"n\": 1}",
	    "States.Format");
	check_invalid("States.Format()", NULL, "States.Format");
}

/* ------------------------------------------------------------ JSON */

static void
test_json(void **state)
{
	(void)state;
	check_ok("States.StringToJson($.s)", "{\"s\": \"\"}", "null");
	check_ok("States.StringToJson($.s)", "{\"s\": \" \\n\"}", "null");
	check_ok("States.StringToJson($.s)", "{\"s\": \"-0\"}", "0");
	check_ok("States.StringToJson($.s)", "{\"s\": \" {\\\"a\\\":1} \"}",
	    "{\"a\": 1}");
	check_ok("States.StringToJson('{\"a\": [1, 2.5, \"x\"]}')", NULL,
	    "{\"a\": [1, 2.5, \"x\"]}");
	check_ok("States.StringToJson(States.JsonToString($.o))",
	    "{\"o\": {\"a\": 1, \"n\": {\"ok\": true}}}",
	    "{\"a\": 1, \"n\": {\"ok\": true}}");
	check_invalid("States.StringToJson($.s)", "{\"s\": \"{bad json}\"}",
	    "States.StringToJson");
	check_invalid("States.StringToJson($.s)", "{\"s\": \"{\\\"a\\\":1\"}",
	    "States.StringToJson");
	check_invalid("States.StringToJson($.s)", "{\"s\": \"undefined\"}",
	    "States.StringToJson");
	/* like Jackson's readTree: the first value counts */
	check_ok("States.StringToJson($.s)", "{\"s\": \"[1] x\"}", "[1]");
	check_ok("States.StringToJson($.s)", "{\"s\": \"1 2\"}", "1");
	check_invalid("States.StringToJson($.s)", "{\"s\": \"1x\"}",
	    "States.StringToJson");
	check_invalid("States.StringToJson($.s)", "{\"s\": 123}",
	    "States.StringToJson");
	check_invalid("States.StringToJson($.a, $.b)",
	    "{\"a\": \"1\", \"b\": \"2\"}", "States.StringToJson");

	check_ok("States.JsonToString($.v)",
	    "{\"v\": {\"nested\": {\"a\": 1}, \"arr\": [true, null, 1.5, "
	    "\"q\\\"\"]}}",
	    "\"{\\\"nested\\\":{\\\"a\\\":1},\\\"arr\\\":[true,null,1.5,"
	    "\\\"q\\\\\\\"\\\"]}\"");
	check_ok("States.JsonToString('x')", NULL, "\"\\\"x\\\"\"");
	check_ok("States.JsonToString($)", "{\"other\": 1}",
	    "\"{\\\"other\\\":1}\"");
	check_ok("States.JsonToString(null)", NULL, "\"null\"");
	check_invalid("States.JsonToString()", NULL, "States.JsonToString");

	check_ok("States.JsonMerge($.a, $.b, false)",
	    "{\"a\": {\"x\": 1, \"y\": 2}, \"b\": {\"y\": 3, \"z\": 4}}",
	    "{\"x\": 1, \"y\": 3, \"z\": 4}");
	check_ok("States.JsonMerge($.a, $.b, false)",
	    "{\"a\": {\"n\": {\"l\": true}, \"k\": 1}, \"b\": {\"n\": null}}",
	    "{\"n\": null, \"k\": 1}");
	/* AWS treats a non-boolean flag as shallow */
	check_ok("States.JsonMerge($.a, $.b, $.d)",
	    "{\"a\": {}, \"b\": {\"q\": 1}, \"d\": \"false\"}", "{\"q\": 1}");
	check_invalid("States.JsonMerge($.a, $.b, true)",
	    "{\"a\": {}, \"b\": {}}", "States.JsonMerge");
	check_invalid("States.JsonMerge($.a, $.b, false)",
	    "{\"a\": [], \"b\": {}}", "States.JsonMerge");
	check_invalid("States.JsonMerge($.a, $.b, false)",
	    "{\"a\": {}, \"b\": \"x\"}", "States.JsonMerge");
	check_invalid("States.JsonMerge($.a, $.b)", "{\"a\": {}, \"b\": {}}",
	    "States.JsonMerge");
}

/* The merged object keeps the first object's key order, new keys last. */
static void
test_json_merge_order(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *got = NULL;
	char *s;

	(void)state;
	assert_int_equal(run_full("States.JsonMerge($.a, $.b, false)",
	    "{\"a\": {\"a\": 1, \"b\": 2, \"d\": 3}, \"b\": {\"a\": 9, \"c\": 3, "
	    "\"d\": 4}}", NULL, NULL, NULL, &got, &err), 0);
	s = sd_json_dumps(got, 0);
	assert_string_equal(s, "{\"a\":9,\"b\":2,\"d\":4,\"c\":3}");
	free(s);
	json_decref(got);
}

/* ------------------------------------------------------------ arrays */

static void
test_array(void **state)
{
	(void)state;
	check_ok("States.Array()", NULL, "[]");
	check_ok("States.Array(42, true, null, 'hello', -1.5, false)", NULL,
	    "[42, true, null, \"hello\", -1.5, false]");
	check_ok("States.Array(1, States.Array(2, 3))", NULL, "[1, [2, 3]]");
	check_ok("States.Array( $.a , $.b )", "{\"a\": 1, \"b\": {\"k\": 2}}",
	    "[1, {\"k\": 2}]");

	check_ok("States.ArrayPartition($.a, 4)",
	    "{\"a\": [1, 2, 3, 4, 5, 6, 7, 8, 9]}",
	    "[[1, 2, 3, 4], [5, 6, 7, 8], [9]]");
	check_ok("States.ArrayPartition($.a, 2.6)", "{\"a\": [1, 2, 3, 4, 5]}",
	    "[[1, 2], [3, 4], [5]]");
	check_ok("States.ArrayPartition($.a, 2147483647)", "{\"a\": [1, 2]}",
	    "[[1, 2]]");
	check_ok("States.ArrayPartition($.a, 3)", "{\"a\": []}", "[]");
	check_invalid("States.ArrayPartition($.a, 0.6)", "{\"a\": [1]}",
	    "States.ArrayPartition");
	check_invalid("States.ArrayPartition($.a, -1)", "{\"a\": [1]}",
	    "States.ArrayPartition");
	check_invalid("States.ArrayPartition($.a, '2')", "{\"a\": [1]}",
	    "States.ArrayPartition");
	check_invalid("States.ArrayPartition($.a, null)", "{\"a\": [1]}",
	    "States.ArrayPartition");
	check_invalid("States.ArrayPartition('x', 2)", NULL,
	    "States.ArrayPartition");
	check_invalid("States.ArrayPartition($.a, 2, 9)", "{\"a\": [1]}",
	    "States.ArrayPartition");

	check_ok("States.ArrayContains($.a, 2)", "{\"a\": [1, 2, 3]}", "true");
	check_ok("States.ArrayContains($.a, 5)", "{\"a\": [1, 2, 3]}", "false");
	check_ok("States.ArrayContains($.a, null)", "{\"a\": [1, null]}",
	    "true");
	check_ok("States.ArrayContains($.a, $.t)",
	    "{\"a\": [[1, 2], [3, 4]], \"t\": [1, 2]}", "true");
	check_ok("States.ArrayContains($.a, $.t)",
	    "{\"a\": [{\"a\": 1}], \"t\": {\"a\": 1, \"x\": null}}", "false");
	/* AWS compares the values' text: key order counts, "true" == true */
	check_ok("States.ArrayContains($.a, $.t)",
	    "{\"a\": [{\"a\": 1, \"b\": 2}], \"t\": {\"b\": 2, \"a\": 1}}",
	    "false");
	check_ok("States.ArrayContains($.a, true)",
	    "{\"a\": [\"true\", \"false\"]}", "true");
	check_ok("States.ArrayContains($.a, $.t)",
	    "{\"a\": [\"-1\", \"9007199254740991\"], \"t\": 9007199254740991}",
	    "true");
	check_ok("States.ArrayContains($.a, false)",
	    "{\"a\": [0, 1, -1, -1.5]}", "false");
	check_invalid("States.ArrayContains('x', 'x')", NULL,
	    "States.ArrayContains");
	check_invalid("States.ArrayContains($.a)", "{\"a\": []}",
	    "States.ArrayContains");

	check_ok("States.ArrayRange(1, 9, 2)", NULL, "[1, 3, 5, 7, 9]");
	check_ok("States.ArrayRange(-2, 2, 2)", NULL, "[-2, 0, 2]");
	check_ok("States.ArrayRange(5, 1, -2)", NULL, "[5, 3, 1]");
	check_ok("States.ArrayRange(3, 3, -1)", NULL, "[3]");
	check_ok("States.ArrayRange(5, 1, 1)", NULL, "[]");
	check_ok("States.ArrayRange(1, 5, -1)", NULL, "[]");
	check_ok("States.ArrayRange(1.6, 1.4, 1)", NULL, "[1]");
	check_ok("States.ArrayRange(5.4, -0.6, -2.4)", NULL, "[5, 3, 1]");
	check_ok("States.ArrayRange(States.MathAdd($.b, 1), "
	    "States.MathAdd($.b, 5), 2)", "{\"b\": 0}", "[1, 3, 5]");
	check_invalid("States.ArrayRange(1, 10, 0)", NULL, "States.ArrayRange");
	check_invalid("States.ArrayRange(1, 10, 0.49)", NULL,
	    "States.ArrayRange");
	check_invalid("States.ArrayRange('a', 5, 1)", NULL, "States.ArrayRange");
	check_invalid("States.ArrayRange(1, 1001, 1)", NULL,
	    "States.ArrayRange");
	check_invalid("States.ArrayRange(1001, 1, -1)", NULL,
	    "States.ArrayRange");
	check_invalid("States.ArrayRange(-9007199254740000, "
	    "9007199254740000, 1)", NULL, "States.ArrayRange");
	check_invalid("States.ArrayRange(1, 5)", NULL, "States.ArrayRange");

	check_ok("States.ArrayGetItem($.a, 1)", "{\"a\": [\"a\", \"b\"]}",
	    "\"b\"");
	check_ok("States.ArrayGetItem($.a, 1.2)", "{\"a\": [10, 20, 30]}", "20");
	check_ok("States.ArrayGetItem($.a, 999)", "{\"a\": []}", "null");
	check_ok("States.ArrayGetItem($.a, 0)", "{\"a\": [null]}", "null");
	check_ok("States.ArrayGetItem(States.Array('x', 'y', 'z'), 1)", NULL,
	    "\"y\"");
	check_invalid("States.ArrayGetItem($.a, 3)", "{\"a\": [10, 20, 30]}",
	    "States.ArrayGetItem");
	check_invalid("States.ArrayGetItem($.a, -1)", "{\"a\": [10, 20, 30]}",
	    "States.ArrayGetItem");
	check_invalid("States.ArrayGetItem($.a, '1')", "{\"a\": [10]}",
	    "States.ArrayGetItem");
	check_invalid("States.ArrayGetItem('not-array', 0)", NULL,
	    "States.ArrayGetItem");

	check_ok("States.ArrayLength($.a)", "{\"a\": [[1], [2], {}]}", "3");
	check_ok("States.ArrayLength(States.Array())", NULL, "0");
	check_invalid("States.ArrayLength($.a)", "{\"a\": {\"k\": 1}}",
	    "States.ArrayLength");
	check_invalid("States.ArrayLength($.a, 1)", "{\"a\": []}",
	    "States.ArrayLength");
}

static void
test_array_unique(void **state)
{
	(void)state;
	check_ok("States.ArrayUnique($.a)", "{\"a\": [1, 2, 3, 3, 3, 4]}",
	    "[1, 2, 3, 4]");
	check_ok("States.ArrayUnique($.a)",
	    "{\"a\": [\"a\", \"b\", \"a\", \"c\", \"b\"]}", "[\"a\", \"b\", \"c\"]");
	check_ok("States.ArrayUnique($.a)", "{\"a\": []}", "[]");
	/* the order of a java.util.HashSet, as AWS returns it */
	check_ok("States.ArrayUnique($.a)", "{\"a\": [true, false, true]}",
	    "[false, true]");
	check_ok("States.ArrayUnique($.a)",
	    "{\"a\": [[1, 2], [1, 2], [2, 1]]}", "[[2, 1], [1, 2]]");
	check_ok("States.ArrayUnique($.a)", "{\"a\": [null, null, 1, null]}",
	    "[null, 1]");
	check_ok("States.ArrayUnique($.a)", "{\"a\": [1, \"1\", 1, \"01\"]}",
	    "[1, \"1\", \"01\"]");
	check_ok("States.ArrayUnique($.a)",
	    "{\"a\": [{\"a\": 1, \"b\": 2}, {\"b\": 2, \"a\": 1}]}",
	    "[{\"a\": 1, \"b\": 2}]");
	check_ok("States.ArrayUnique($.a)",
	    "{\"a\": [{\"n\": {\"x\": 1}}, {\"n\": {\"x\": 1}}]}",
	    "[{\"n\": {\"x\": 1}}]");
	check_ok("States.ArrayUnique(States.Array(1, 1, 2, 2, 3))", NULL,
	    "[1, 2, 3]");
	check_invalid("States.ArrayUnique('not-array')", NULL,
	    "States.ArrayUnique");
	check_invalid("States.ArrayUnique($.a)", "{\"a\": {\"a\": 1}}",
	    "States.ArrayUnique");
}

/* Many distinct values: every one kept, each once. */
static void
test_array_unique_large(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_buf b;
	json_t *got = NULL, *seen;
	size_t i;
	char key[32];

	(void)state;
	sd_buf_init(&b, 0);
	assert_int_equal(sd_buf_puts(&b, "{\"a\": ["), 0);
	for (i = 0; i < 3000; i++)
		assert_int_equal(sd_buf_printf(&b, "%s%zu, \"%zu\"",
		    i ? ", " : "", i % 1000, i % 1000), 0);
	assert_int_equal(sd_buf_puts(&b, "]}"), 0);
	assert_int_equal(run_full("States.ArrayUnique($.a)", b.data, NULL,
	    NULL, NULL, &got, &err), 0);
	assert_int_equal(json_array_size(got), 2000);
	seen = json_object();
	for (i = 0; i < 2000; i++) {
		json_t *v = json_array_get(got, i);

		if (json_is_integer(v))
			snprintf(key, sizeof(key), "i%lld",
			    (long long)json_integer_value(v));
		else
			snprintf(key, sizeof(key), "s%s", json_string_value(v));
		assert_null(json_object_get(seen, key));
		json_object_set_new(seen, key, json_true());
	}
	json_decref(seen);
	json_decref(got);
	sd_buf_release(&b);
}

/* ------------------------------------------------------------ encodings */

static void
test_base64(void **state)
{
	struct sd_buf b;
	char *in;
	int i;

	(void)state;
	check_ok("States.Base64Encode($.s)", "{\"s\": \"Data to encode\"}",
	    "\"RGF0YSB0byBlbmNvZGU=\"");
	check_ok("States.Base64Encode('')", NULL, "\"\"");
	check_ok("States.Base64Encode(' ')", NULL, "\"IA==\"");
	check_ok("States.Base64Encode($.s)", "{\"s\": \"\\u2713\"}",
	    "\"4pyT\"");
	check_ok("States.Base64Encode($.s)", "{\"s\": \"abc\\u0000def\"}",
	    "\"YWJjAGRlZg==\"");
	check_ok("States.Base64Encode('>>>\?\?\?')", NULL, "\"Pj4+Pz8/\"");
	check_ok("States.Base64Encode(States.Format('{}-{}', $.a, $.b))",
	    "{\"a\": \"x\", \"b\": \"y\"}", "\"eC15\"");
	check_invalid("States.Base64Encode(123)", NULL, "States.Base64Encode");
	check_invalid("States.Base64Encode($.a)", "{\"a\": [\"x\"]}",
	    "States.Base64Encode");
	check_invalid("States.Base64Encode('a', 'b')", NULL,
	    "States.Base64Encode");

	check_ok("States.Base64Decode($.s)", "{\"s\": \"RGF0YSB0byBlbmNvZGU=\"}",
	    "\"Data to encode\"");
	check_ok("States.Base64Decode('')", NULL, "\"\"");
	check_ok("States.Base64Decode('4pyT')", NULL, "\"\\u2713\"");
	check_ok("States.Base64Decode('YWJjAGRlZg==')", NULL,
	    "\"abc\\u0000def\"");
	check_ok("States.Base64Decode(States.Base64Encode($.s))",
	    "{\"s\": \"hello\"}", "\"hello\"");
	/* lenient, as AWS: stray characters skipped, stop at '=' */
	check_ok("States.Base64Decode(' YWJjZA== ')", NULL, "\"abcd\"");
	check_ok("States.Base64Decode('YW\\\\Jj')", NULL, "\"abc\"");
	check_ok("States.Base64Decode('ab==cd')", NULL, "\"i\"");
	check_ok("States.Base64Decode('aGVsbG8')", NULL, "\"hello\"");
	/* bytes that are not UTF-8 become U+FFFD */
	check_ok("States.Base64Decode('/w==')", NULL, "\"\\ufffd\"");
	check_ok("States.Base64Decode('4pw=')", NULL, "\"\\ufffd\"");
	check_invalid("States.Base64Decode(123)", NULL, "States.Base64Decode");
	check_invalid("States.Base64Decode()", NULL, "States.Base64Decode");

	/* 10000 characters pass, 10001 do not */
	sd_buf_init(&b, 0);
	assert_int_equal(sd_buf_puts(&b, "{\"s\": \""), 0);
	for (i = 0; i < 10000; i++)
		assert_int_equal(sd_buf_putc(&b, 'A'), 0);
	assert_int_equal(sd_buf_puts(&b, "\"}"), 0);
	in = b.data;
	{
		struct sd_error err = SD_ERROR_INIT;
		json_t *got = NULL;

		assert_int_equal(run_full("States.Base64Decode($.s)", in, NULL,
		    NULL, NULL, &got, &err), 0);
		assert_int_equal(json_string_length(got), 7500);
		json_decref(got);
		assert_int_equal(run_full("States.Base64Encode($.s)", in, NULL,
		    NULL, NULL, &got, &err), 0);
		assert_int_equal(json_string_length(got), 13336);
		json_decref(got);
		assert_int_equal(run_full("States.Hash($.s, 'MD5')", in, NULL,
		    NULL, NULL, &got, &err), 0);
		json_decref(got);
	}
	b.data[b.len - 2] = 'A';	/* 10001 */
	assert_int_equal(sd_buf_puts(&b, "\"}"), 0);
	check_invalid("States.Base64Decode($.s)", b.data, "States.Base64Decode");
	check_invalid("States.Base64Encode($.s)", b.data, "States.Base64Encode");
	check_invalid("States.Hash($.s, 'MD5')", b.data, "States.Hash");
	sd_buf_release(&b);
}

static void
test_hash(void **state)
{
	(void)state;
	check_ok("States.Hash('hello', 'MD5')", NULL,
	    "\"5d41402abc4b2a76b9719d911017c592\"");
	check_ok("States.Hash('hello', 'SHA-1')", NULL,
	    "\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"");
	check_ok("States.Hash('hello', 'SHA-256')", NULL,
	    "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\"");
	check_ok("States.Hash('hello', 'SHA-384')", NULL,
	    "\"59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90"
	    "125a3c79f90397bdf5f6a13de828684f\"");
	check_ok("States.Hash('hello', 'SHA-512')", NULL,
	    "\"9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7"
	    "2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043\"");
	check_ok("States.Hash('', 'SHA-256')", NULL,
	    "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"");
	check_ok("States.Hash($.s, 'MD5')", "{\"s\": \"abc\\u0000def\"}",
	    "\"a5e4d5963ae44c1f4bfb37b1a3d55a3c\"");
	check_ok("States.Hash($.s, 'SHA-256')", "{\"s\": \"\\u2713\"}",
	    "\"1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604\"");
	check_ok("States.Hash($.s, $.a)",
	    "{\"s\": \"Data to encode\", \"a\": \"MD5\"}",
	    "\"ca405671828a177e26947171bbe1e352\"");
	check_ok("States.Hash(States.Format('{}:{}', $.a, $.b), 'SHA-256')",
	    "{\"a\": \"x\", \"b\": \"y\"}",
	    "\"1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271\"");
	/* AWS hashes a number by its text */
	check_ok("States.Hash(123, 'MD5')", NULL,
	    "\"202cb962ac59075b964b07152d234b70\"");
	check_invalid("States.Hash('data', 'sha-256')", NULL, "States.Hash");
	check_invalid("States.Hash('data', 'SHA256')", NULL, "States.Hash");
	check_invalid("States.Hash('data', 'MD-5')", NULL, "States.Hash");
	check_invalid("States.Hash('data', '')", NULL, "States.Hash");
	check_invalid("States.Hash('hello', 123)", NULL, "States.Hash");
	check_invalid("States.Hash('hello')", NULL, "States.Hash");
	check_invalid("States.Hash('a', 'MD5', 'x')", NULL, "States.Hash");
}

/* ------------------------------------------------------------ math */

static void
test_math_add(void **state)
{
	(void)state;
	check_ok("States.MathAdd(5, 3)", NULL, "8");
	check_ok("States.MathAdd($.v, -1)", "{\"v\": 111}", "110");
	check_ok("States.MathAdd($.a, $.b)", "{\"a\": 1.6, \"b\": 2.7}", "5");
	check_ok("States.MathAdd($.a, $.b)", "{\"a\": 0.1, \"b\": 0.2}", "0");
	/* Java Math.round: ties go up */
	check_ok("States.MathAdd(0.5, 0)", NULL, "1");
	check_ok("States.MathAdd(-0.5, 0)", NULL, "0");
	check_ok("States.MathAdd(-2.5, 0)", NULL, "-2");
	check_ok("States.MathAdd(2.5, 0)", NULL, "3");
	check_ok("States.MathAdd(-0.5, 0.5)", NULL, "1");
	check_ok("States.MathAdd(0.49999999999999994, 0)", NULL, "0");
	check_ok("States.MathAdd(2147483646, 1)", NULL, "2147483647");
	check_ok("States.MathAdd(-2147483647, -1)", NULL, "-2147483648");
	check_ok("States.MathAdd(States.MathAdd($.x, 1), 2)", "{\"x\": 5}",
	    "8");
	check_invalid("States.MathAdd(2147483647, 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd(-2147483648, -1)", NULL,
	    "States.MathAdd");
	check_invalid("States.MathAdd(3000000000, 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd('a', 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd('1', 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd(null, 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd(true, 1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd(-1, $.p)", "{\"p\": [1]}",
	    "States.MathAdd");
	check_invalid("States.MathAdd(1)", NULL, "States.MathAdd");
	check_invalid("States.MathAdd(1, 2, 3)", NULL, "States.MathAdd");
}

static void
test_math_random(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *a = NULL, *b = NULL;
	uint64_t rng = 7, rng2 = 7;
	long long v;
	int i;

	(void)state;
	/* seeded: java.util.Random(seed).nextInt(end - start) + start */
	check_ok("States.MathRandom(0, 16, 42)", NULL, "11");
	check_ok("States.MathRandom(0, 10, 42)", NULL, "0");
	check_ok("States.MathRandom(100, 116, 42)", NULL, "111");
	check_ok("States.MathRandom(1.6, 5.4, 42)", NULL, "3");
	/* deterministic with an rng state, always in [start, end) */
	for (i = 0; i < 2000; i++) {
		assert_int_equal(run_full("States.MathRandom(-3, 4)", NULL, NULL,
		    NULL, &rng, &a, &err), 0);
		assert_int_equal(run_full("States.MathRandom(-3, 4)", NULL, NULL,
		    NULL, &rng2, &b, &err), 0);
		assert_true(json_equal(a, b));
		v = json_integer_value(a);
		assert_true(v >= -3 && v < 4);
		json_decref(a);
		json_decref(b);
	}
	assert_int_equal(run_full("States.MathRandom(2147483640, 2147483647)",
	    NULL, NULL, NULL, NULL, &a, &err), 0);
	v = json_integer_value(a);
	assert_true(v >= 2147483640 && v < 2147483647);
	json_decref(a);
	check_invalid("States.MathRandom(1, 1)", NULL, "States.MathRandom");
	check_invalid("States.MathRandom(10, 5)", NULL, "States.MathRandom");
	check_invalid("States.MathRandom(1.4, 1.6)", NULL, "States.MathRandom");
	check_invalid("States.MathRandom('a', 10)", NULL, "States.MathRandom");
	check_invalid("States.MathRandom(1, 10, 'seed')", NULL,
	    "States.MathRandom");
	check_invalid("States.MathRandom(1, 10, null)", NULL,
	    "States.MathRandom");
	check_invalid("States.MathRandom(-2147483648, 2147483647)", NULL,
	    "States.MathRandom");
	check_invalid("States.MathRandom(1)", NULL, "States.MathRandom");
	check_invalid("States.MathRandom(1, 10, 5, 99)", NULL,
	    "States.MathRandom");
}

/* ------------------------------------------------------------ strings */

static void
test_string_split(void **state)
{
	(void)state;
	check_ok("States.StringSplit($.s, ',')", "{\"s\": \"a,b,c\"}",
	    "[\"a\", \"b\", \"c\"]");
	check_ok("States.StringSplit($.s, $.d)",
	    "{\"s\": \"1+2,3.4\", \"d\": \".+,\"}", "[\"1\", \"2\", \"3\", \"4\"]");
	/* java.util.StringTokenizer: empty tokens are dropped */
	check_ok("States.StringSplit($.s, ',')", "{\"s\": \",a,,b,\"}",
	    "[\"a\", \"b\"]");
	check_ok("States.StringSplit($.s, ',')", "{\"s\": \"\"}", "[]");
	check_ok("States.StringSplit($.s, ',')", "{\"s\": \",\"}", "[]");
	check_ok("States.StringSplit($.s, '')", "{\"s\": \"abc\"}",
	    "[\"abc\"]");
	check_ok("States.StringSplit($.s, 'ab')", "{\"s\": \"1a2b3ab4\"}",
	    "[\"1\", \"2\", \"3\", \"4\"]");
	check_ok("States.StringSplit('Hello\nWorld', '\n')", NULL,
	    "[\"Hello\", \"World\"]");
	check_ok("States.StringSplit($.s, $.d)",
	    "{\"s\": \"a\\ud83d\\ude00b\\ud83d\\ude01c\", "
	    "\"d\": \"\\ud83d\\ude00\"}",
	    "[\"a\", \"b\\ud83d\\ude01c\"]");
	check_ok("States.StringSplit(States.Format('{}-{}', $.a, $.b), '-')",
	    "{\"a\": \"x\", \"b\": \"y\"}", "[\"x\", \"y\"]");
	check_invalid("States.StringSplit($.s, ',')", "{\"s\": 123}",
	    "States.StringSplit");
	check_invalid("States.StringSplit($.s, $.d)",
	    "{\"s\": \"a,b\", \"d\": null}", "States.StringSplit");
	check_invalid("States.StringSplit($.s, $.d)",
	    "{\"s\": \"a,b\", \"d\": [\",\"]}", "States.StringSplit");
	check_invalid("States.StringSplit($.s)", "{\"s\": \"a\"}",
	    "States.StringSplit");
}

static void
test_uuid(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *a = NULL, *b = NULL;
	uint64_t r1 = 99, r2 = 99;
	const char *s;
	int i;

	(void)state;
	assert_int_equal(run_full("States.UUID()", NULL, NULL, NULL, &r1, &a,
	    &err), 0);
	assert_int_equal(run_full("States.UUID()", NULL, NULL, NULL, &r2, &b,
	    &err), 0);
	assert_true(json_equal(a, b));
	json_decref(b);
	assert_int_equal(run_full("States.UUID()", NULL, NULL, NULL, NULL, &b,
	    &err), 0);
	assert_false(json_equal(a, b));
	s = json_string_value(a);
	assert_int_equal(strlen(s), 36);
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			assert_int_equal(s[i], '-');
		else
			assert_non_null(strchr("0123456789abcdef", s[i]));
	}
	assert_int_equal(s[14], '4');
	assert_non_null(strchr("89ab", s[19]));
	json_decref(a);
	json_decref(b);
	check_invalid("States.UUID(1)", NULL, "States.UUID");
}

/* ------------------------------------------------------------ errors */

static void
test_missing_path(void **state)
{
	(void)state;
	check_err("States.Format('{}', $.nope)", "{\"other\":1}",
	    SD_ERR_RUNTIME, "The function 'States.Format('{}', $.nope)' had "
	    "the following error: The JsonPath argument for the field '$.nope' "
	    "could not be found in the input '{\"other\":1}'");
	/* the whole expression is named, written as it was */
	check_err("States.Format('{}',States.Format('{}', $.a.b))",
	    "{\"other\":1}", SD_ERR_RUNTIME, "The function 'States.Format('{}',"
	    "States.Format('{}', $.a.b))' had the following error: The JsonPath "
	    "argument for the field '$.a.b' could not be found in the input "
	    "'{\"other\":1}'");
	check_err("States.Format('{}', $.items[5])", "{\"items\":[1,2]}",
	    SD_ERR_RUNTIME, "The function 'States.Format('{}', $.items[5])' "
	    "had the following error: The JsonPath argument for the field "
	    "'$.items[5]' could not be found in the input '{\"items\":[1,2]}'");
	/* a $$ path is named against the input */
	check_err("States.Format('{}', $$.Nope.Deep)", "{\"other\":1}",
	    SD_ERR_RUNTIME, "The function 'States.Format('{}', $$.Nope.Deep)' "
	    "had the following error: The JsonPath argument for the field "
	    "'$.Nope.Deep' could not be found in the input '{\"other\":1}'");
	check_err("States.MathAdd($.nope, 1)", "{\"other\":1}",
	    SD_ERR_RUNTIME, "The function 'States.MathAdd($.nope, 1)' had the "
	    "following error: The JsonPath argument for the field '$.nope' "
	    "could not be found in the input '{\"other\":1}'");
	/* explicit null is a value */
	check_ok("States.Format('{}', $.n)", "{\"n\": null}", "\"null\"");
}

static void
test_resolver_error(void **state)
{
	struct sd_intrinsic *in = NULL;
	struct sd_intrinsic_env env;
	struct sd_error err = SD_ERROR_INIT;
	struct tctx t;
	json_t *out = NULL;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.fail = 1;
	env.resolve = resolve;
	env.ctx = &t;
	env.rng = NULL;
	assert_int_equal(sd_intrinsic_compile("States.Array($.a)", &in, &err),
	    0);
	assert_int_equal(sd_intrinsic_eval(in, &env, &out, &err),
	    SD_ERR_RUNTIME);
	assert_null(out);
	assert_string_equal(err.message, "resolver says no");
	sd_error_clear(&err);
	env.resolve = NULL;
	assert_int_equal(sd_intrinsic_eval(in, &env, &out, &err),
	    SD_ERR_INVALID);
	assert_null(out);
	sd_error_clear(&err);
	sd_intrinsic_free(in);
	sd_intrinsic_free(NULL);
}

static void
check_parse_err(const char *expr, const char *msg)
{
	struct sd_intrinsic *in = NULL;
	struct sd_error err = SD_ERROR_INIT;
	int r;

	r = sd_intrinsic_compile(expr, &in, &err);
	if (r != SD_ERR_PARSE || in != NULL || err.message == NULL ||
	    (msg != NULL && strcmp(err.message, msg) != 0)) {
		print_error("%s\n  got  %d '%s'\n  want '%s'\n", expr, r,
		    err.message != NULL ? err.message : "(null)",
		    msg != NULL ? msg : "(any)");
		fail();
	}
	sd_error_clear(&err);
}

static void
test_parse_errors(void **state)
{
	struct sd_intrinsic *in = NULL;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_buf b;
	int i;

	(void)state;
	check_parse_err("States.Nope(1)", "unknown intrinsic function "
	    "'States.Nope' at offset 0 of 'States.Nope(1)'");
	check_parse_err("States.Array(1", "expected ',' or ')' at offset 14 "
	    "of 'States.Array(1'");
	check_parse_err("States.Array(", "missing argument at offset 13 of "
	    "'States.Array('");
	check_parse_err("States.Array(1, )", "invalid argument at offset 16 "
	    "of 'States.Array(1, )'");
	check_parse_err("States.Array($.a) trailing", "unexpected text after "
	    "the function call at offset 18 of 'States.Array($.a) trailing'");
	check_parse_err("States.Array('abc)", "unterminated string literal at "
	    "offset 13 of 'States.Array('abc)'");
	check_parse_err("States.Array('a\\nb')", "invalid escape sequence in "
	    "a string literal at offset 15 of 'States.Array('a\\nb')'");
	check_parse_err("States.Array([1,2])", NULL);
	check_parse_err("States.Array(1.)", NULL);
	check_parse_err("States.Array(.5)", NULL);
	check_parse_err("States.Array(01)", NULL);
	check_parse_err("States.Array(1e999)", NULL);
	check_parse_err("States.Array(tru)", NULL);
	check_parse_err("States.Array (1)", NULL);
	check_parse_err("States.Array(1 2)", NULL);
	check_parse_err("$.a", NULL);
	check_parse_err("", NULL);
	check_parse_err("States.Array($.a b)", NULL);
	check_parse_err("States.Array('\xff')", NULL);

	/* ten levels of nesting are fine, eleven are not (AWS limit) */
	sd_buf_init(&b, 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(sd_buf_puts(&b, "States.Array("), 0);
	assert_int_equal(sd_buf_putc(&b, '1'), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(sd_buf_putc(&b, ')'), 0);
	check_ok(b.data, NULL, "[[[[[[[[[[1]]]]]]]]]]");
	sd_buf_reset(&b);
	for (i = 0; i < 11; i++)
		assert_int_equal(sd_buf_puts(&b, "States.Array("), 0);
	assert_int_equal(sd_buf_putc(&b, '1'), 0);
	for (i = 0; i < 11; i++)
		assert_int_equal(sd_buf_putc(&b, ')'), 0);
	check_parse_err(b.data, NULL);

	/* the expression length is capped */
	sd_buf_reset(&b);
	assert_int_equal(sd_buf_puts(&b, "States.Array('"), 0);
	for (i = 0; i < 70000; i++)
		assert_int_equal(sd_buf_putc(&b, 'x'), 0);
	assert_int_equal(sd_buf_puts(&b, "')"), 0);
	assert_int_equal(sd_intrinsic_compile(b.data, &in, &err),
	    SD_ERR_LIMIT);
	assert_null(in);
	sd_error_clear(&err);
	sd_buf_release(&b);

	assert_int_equal(sd_intrinsic_compile(NULL, &in, &err), SD_ERR_INVALID);
	sd_error_clear(&err);
}

static void
test_literals(void **state)
{
	(void)state;
	check_ok("  States.Array( 'a b' ,-0, 1.5e2, -3E-1, 12345678901234, "
	    "99999999999999999999, true,false , null )  ", NULL,
	    "[\"a b\", 0, 150.0, -0.3, 12345678901234, 1e20, true, false, "
	    "null]");
	check_ok("States.Array('it\\'s', '\\{\\}', '\\\\', '{\"a\": 1}', '')",
	    NULL, "[\"it's\", \"{}\", \"\\\\\", \"{\\\"a\\\": 1}\", \"\"]");
	/* paths in all their shapes reach the resolver whole */
	check_ok_full("States.Array($, $$.Execution.Name, $v, $v.k)",
	    "{\"a\": 1}", "{\"Execution\": {\"Name\": \"n\"}}",
	    "{\"v\": {\"k\": [true]}}",
	    "[{\"a\": 1}, \"n\", {\"k\": [true]}, [true]]");
}

static void
test_is_call(void **state)
{
	(void)state;
	assert_true(sd_intrinsic_is_call("States.Format('x')"));
	assert_true(sd_intrinsic_is_call("  States.Array()"));
	assert_true(sd_intrinsic_is_call("States.Nope(1)"));
	assert_false(sd_intrinsic_is_call("$.a"));
	assert_false(sd_intrinsic_is_call("States.Format"));
	assert_false(sd_intrinsic_is_call("Foo.Bar(1)"));
	assert_false(sd_intrinsic_is_call(""));
	assert_false(sd_intrinsic_is_call(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance),
		cmocka_unit_test(test_conformance_other),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_merge_order),
		cmocka_unit_test(test_array),
		cmocka_unit_test(test_array_unique),
		cmocka_unit_test(test_array_unique_large),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_math_add),
		cmocka_unit_test(test_math_random),
		cmocka_unit_test(test_string_split),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_missing_path),
		cmocka_unit_test(test_resolver_error),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_is_call),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
