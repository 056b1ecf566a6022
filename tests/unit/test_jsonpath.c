/*
 * Unit tests for sd_jsonpath: compile, eval (definite and indefinite),
 * normalized form, assign, errors and limits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "sd_err.h"
#include "sd_json.h"
#include "sd_jsonpath.h"

/* Goessner's store, plus a few fields for edge cases. */
static const char *STORE =
    "{\"store\": {"
    "  \"book\": ["
    "    {\"category\": \"reference\", \"author\": \"Nigel Rees\","
    "     \"title\": \"Sayings of the Century\", \"price\": 8.95},"
    "    {\"category\": \"fiction\", \"author\": \"Evelyn Waugh\","
    "     \"title\": \"Sword of Honour\", \"price\": 12.99},"
    "    {\"category\": \"fiction\", \"author\": \"Herman Melville\","
    "     \"title\": \"Moby Dick\", \"isbn\": \"0-553-21311-3\","
    "     \"price\": 8.99},"
    "    {\"category\": \"fiction\", \"author\": \"J. R. R. Tolkien\","
    "     \"title\": \"The Lord of the Rings\", \"isbn\": \"0-395-19395-8\","
    "     \"price\": 22.99}"
    "  ],"
    "  \"bicycle\": {\"color\": \"red\", \"price\": 19.95}"
    "},"
    "\"expensive\": 10}";

static const char *MISC =
    "{\"a\": {\"b\": [10, 20, 30], \"c\": {\"d\": true}},"
    " \"arr\": [0, 1, 2, 3, 4, 5],"
    " \"s\": \"text\", \"n\": null, \"o\": {},"
    " \"a b\": 1, \"it's\": 2, \"x.y\": 3, \"a-b\": 4,"
    " \"\\u00fcber\": 5, \"q\\\"uote\": 6, \"back\\\\slash\": 7}";

static json_t *
load(const char *text)
{
	json_error_t je;
	json_t *v;

	v = json_loads(text, JSON_DECODE_ANY, &je);
	if (v == NULL)
		fail_msg("bad test JSON: %s (%s)", je.text, text);
	return v;
}

static struct sd_jsonpath *
compile_ok(const char *expr)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp = NULL;
	int r;

	r = sd_jsonpath_compile(expr, &jp, &err);
	if (r != 0)
		fail_msg("compile \"%s\": %d %s", expr, r, sd_error_text(&err));
	assert_non_null(jp);
	sd_error_clear(&err);
	return jp;
}

/* Evaluate expr on doctext; the result must equal want (JSON text). */
static void
check_eval(const char *doctext, const char *expr, const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp;
	json_t *doc, *out = NULL, *exp;
	char *got;
	int r;

	doc = load(doctext);
	exp = load(want);
	jp = compile_ok(expr);
	r = sd_jsonpath_eval(jp, doc, &out, &err);
	if (r != 0)
		fail_msg("eval \"%s\": %d %s", expr, r, sd_error_text(&err));
	got = sd_json_dumps(out, 0);
	if (!sd_json_equal(out, exp))
		fail_msg("eval \"%s\": got %s, want %s", expr, got, want);
	free(got);
	json_decref(out);
	json_decref(exp);
	json_decref(doc);
	sd_jsonpath_free(jp);
	sd_error_clear(&err);
}

/* Evaluate expr on doctext; it must fail with code and message msg. */
static void
check_eval_err(const char *doctext, const char *expr, int code,
    const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp;
	json_t *doc, *out = NULL;
	int r;

	doc = load(doctext);
	jp = compile_ok(expr);
	r = sd_jsonpath_eval(jp, doc, &out, &err);
	if (r != code)
		fail_msg("eval \"%s\": got %d, want %d", expr, r, code);
	assert_null(out);
	if (msg != NULL) {
		assert_non_null(err.message);
		if (strcmp(err.message, msg) != 0)
			fail_msg("eval \"%s\": message\n  got  %s\n  want %s",
			    expr, err.message, msg);
	}
	json_decref(doc);
	sd_jsonpath_free(jp);
	sd_error_clear(&err);
}

static void
check_norm(const char *expr, const char *want)
{
	struct sd_jsonpath *jp = compile_ok(expr);
	char *n = sd_jsonpath_normalized(jp);

	assert_non_null(n);
	if (strcmp(n, want) != 0)
		fail_msg("normalized \"%s\": got %s, want %s", expr, n, want);
	free(n);
	sd_jsonpath_free(jp);
}

static void
check_parse_err(const char *expr, int code, const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp = (struct sd_jsonpath *)&err;	/* poison */
	int r;

	r = sd_jsonpath_compile(expr, &jp, &err);
	if (r != code)
		fail_msg("compile \"%s\": got %d, want %d", expr, r, code);
	assert_null(jp);
	assert_int_equal(err.code, code);
	assert_non_null(err.message);
	if (msg != NULL && strcmp(err.message, msg) != 0)
		fail_msg("compile \"%s\": message\n  got  %s\n  want %s", expr,
		    err.message, msg);
	sd_error_clear(&err);
}

static void
check_assign(const char *doctext, const char *expr, const char *value,
    const char *want)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp;
	json_t *doc, *val, *out = NULL, *exp;
	char *before, *after, *got;
	int r;

	doc = load(doctext);
	val = load(value);
	exp = load(want);
	jp = compile_ok(expr);
	before = sd_json_dumps(doc, 0);
	r = sd_jsonpath_assign(jp, doc, val, &out, &err);
	if (r != 0)
		fail_msg("assign \"%s\": %d %s", expr, r, sd_error_text(&err));
	got = sd_json_dumps(out, 0);
	if (!sd_json_equal(out, exp))
		fail_msg("assign \"%s\": got %s, want %s", expr, got, want);
	after = sd_json_dumps(doc, 0);
	assert_string_equal(before, after);	/* doc is not modified */
	free(before);
	free(after);
	free(got);
	json_decref(out);
	json_decref(exp);
	json_decref(val);
	json_decref(doc);
	sd_jsonpath_free(jp);
	sd_error_clear(&err);
}

static void
check_assign_err(const char *doctext, const char *expr, int code,
    const char *msg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp;
	json_t *doc, *val, *out = NULL;
	int r;

	doc = load(doctext);
	val = json_integer(6);
	jp = compile_ok(expr);
	r = sd_jsonpath_assign(jp, doc, val, &out, &err);
	if (r != code)
		fail_msg("assign \"%s\": got %d, want %d", expr, r, code);
	assert_null(out);
	if (msg != NULL) {
		assert_non_null(err.message);
		if (strcmp(err.message, msg) != 0)
			fail_msg("assign \"%s\": message\n  got  %s\n  want %s",
			    expr, err.message, msg);
	}
	json_decref(val);
	json_decref(doc);
	sd_jsonpath_free(jp);
	sd_error_clear(&err);
}

/* ------------------------------------------------------------ tests */

static void
test_roots_and_accessors(void **state)
{
	struct sd_jsonpath *jp;

	(void)state;
	jp = compile_ok("$");
	assert_int_equal(sd_jsonpath_root(jp), SD_JP_ROOT_INPUT);
	assert_true(sd_jsonpath_is_root(jp));
	assert_true(sd_jsonpath_is_definite(jp));
	assert_null(sd_jsonpath_var_name(jp));
	assert_string_equal(sd_jsonpath_text(jp), "$");
	sd_jsonpath_free(jp);

	jp = compile_ok("$$");
	assert_int_equal(sd_jsonpath_root(jp), SD_JP_ROOT_CONTEXT);
	assert_true(sd_jsonpath_is_root(jp));
	sd_jsonpath_free(jp);

	jp = compile_ok("$$.Execution.Id");
	assert_int_equal(sd_jsonpath_root(jp), SD_JP_ROOT_CONTEXT);
	assert_false(sd_jsonpath_is_root(jp));
	assert_true(sd_jsonpath_is_definite(jp));
	assert_null(sd_jsonpath_var_name(jp));
	sd_jsonpath_free(jp);

	jp = compile_ok("$my_var2");
	assert_int_equal(sd_jsonpath_root(jp), SD_JP_ROOT_VARIABLE);
	assert_string_equal(sd_jsonpath_var_name(jp), "my_var2");
	assert_true(sd_jsonpath_is_root(jp));
	sd_jsonpath_free(jp);

	jp = compile_ok("$_x.a[0]");
	assert_int_equal(sd_jsonpath_root(jp), SD_JP_ROOT_VARIABLE);
	assert_string_equal(sd_jsonpath_var_name(jp), "_x");
	assert_false(sd_jsonpath_is_root(jp));
	assert_true(sd_jsonpath_is_definite(jp));
	assert_string_equal(sd_jsonpath_text(jp), "$_x.a[0]");
	sd_jsonpath_free(jp);

	/* Surrounding blanks are trimmed (Jayway), text is kept as given. */
	jp = compile_ok("  $.a \t");
	assert_string_equal(sd_jsonpath_text(jp), "  $.a \t");
	assert_true(sd_jsonpath_is_definite(jp));
	sd_jsonpath_free(jp);

	/* NULL-safety */
	sd_jsonpath_free(NULL);
	assert_null(sd_jsonpath_text(NULL));
	assert_false(sd_jsonpath_is_definite(NULL));
	assert_null(sd_jsonpath_normalized(NULL));
}

static void
test_is_definite(void **state)
{
	static const char *yes[] = {
		"$", "$.a", "$.a.b[0]", "$['a']['b']", "$[-1]", "$.a[-3].b",
		"$$.Map.Item.Value", "$v.x",
	};
	static const char *no[] = {
		"$[*]", "$.*", "$[0,1]", "$['a','b']", "$[1:2]", "$..a",
		"$[?(@.a)]", "$.a[?(@.b == 1)].c", "$.a..b", "$[:]",
	};
	struct sd_jsonpath *jp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		jp = compile_ok(yes[i]);
		if (!sd_jsonpath_is_definite(jp))
			fail_msg("%s should be definite", yes[i]);
		sd_jsonpath_free(jp);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		jp = compile_ok(no[i]);
		if (sd_jsonpath_is_definite(jp))
			fail_msg("%s should not be definite", no[i]);
		sd_jsonpath_free(jp);
	}
}

static void
test_definite(void **state)
{
	(void)state;
	check_eval(STORE, "$.expensive", "10");
	check_eval(STORE, "$.store.bicycle.color", "\"red\"");
	check_eval(STORE, "$.store.book[0].author", "\"Nigel Rees\"");
	check_eval(STORE, "$['store']['book'][1]['title']",
	    "\"Sword of Honour\"");
	check_eval(STORE, "$[\"store\"][\"bicycle\"]",
	    "{\"color\": \"red\", \"price\": 19.95}");
	check_eval(STORE, "$.store.book[-1].title",
	    "\"The Lord of the Rings\"");
	check_eval(STORE, "$.store.book[-4].price", "8.95");
	check_eval(STORE, "$.store.book[3].price", "22.99");
	check_eval(STORE, "$.store.book[ 2 ][ 'isbn' ]", "\"0-553-21311-3\"");
	check_eval(STORE, "$.['expensive']", "10");	/* Jayway accepts */
	check_eval(MISC, "$", MISC);
	check_eval(MISC, "$.a.b", "[10, 20, 30]");
	check_eval(MISC, "$.a.c.d", "true");
	check_eval(MISC, "$.n", "null");
	check_eval(MISC, "$.o", "{}");
	check_eval(MISC, "$['a b']", "1");
	check_eval(MISC, "$['it\\'s']", "2");
	check_eval(MISC, "$[\"it's\"]", "2");
	check_eval(MISC, "$['x.y']", "3");
	check_eval(MISC, "$.a-b", "4");
	check_eval(MISC, "$.\xc3\xbc" "ber", "5");
	/* AWS keeps backslashes that do not escape the enclosing quote. */
	check_eval_err(MISC, "$['\\u00fcber']", SD_ERR_NOTFOUND, NULL);
	check_eval(MISC, "$['q\"uote']", "6");
	check_eval(MISC, "$[\"q\\\"uote\"]", "6");
	check_eval(MISC, "$['back\\slash']", "7");
	check_eval("[[1, [2, 3]]]", "$[0][1][-1]", "3");
	check_eval("\"scalar\"", "$", "\"scalar\"");
	check_eval("{\"\": 1}", "$['']", "1");
	/* The context and variable roots are evaluated on the given doc. */
	check_eval("{\"Execution\": {\"Id\": \"arn:x\"}}", "$$.Execution.Id",
	    "\"arn:x\"");
	check_eval("{\"k\": [1, 2]}", "$myVar.k[1]", "2");
	check_eval("{\"k\": [1, 2]}", "$myVar", "{\"k\": [1, 2]}");
}

static void
test_definite_new_reference(void **state)
{
	struct sd_jsonpath *jp;
	json_t *doc, *out = NULL, *b;

	(void)state;
	doc = load(MISC);
	b = json_object_get(json_object_get(doc, "a"), "b");
	jp = compile_ok("$.a.b");
	assert_int_equal(sd_jsonpath_eval(jp, doc, &out, NULL), 0);
	assert_ptr_equal(out, b);	/* the node itself, not a copy */
	assert_int_equal(b->refcount, 2);
	json_decref(out);
	assert_int_equal(b->refcount, 1);
	sd_jsonpath_free(jp);
	json_decref(doc);
}

static void
test_definite_not_found(void **state)
{
	(void)state;
	check_eval_err(STORE, "$.NoSuchOutputPath", SD_ERR_NOTFOUND,
	    "No results for path: $['NoSuchOutputPath']");
	check_eval_err(STORE, "$.store.book[4]", SD_ERR_NOTFOUND,
	    "No results for path: $['store']['book'][4]");
	check_eval_err(STORE, "$.store.book[-5].title", SD_ERR_NOTFOUND,
	    "No results for path: $['store']['book'][-5]['title']");
	check_eval_err(STORE, "$.store.bicycle.size", SD_ERR_NOTFOUND,
	    "No results for path: $['store']['bicycle']['size']");
	/* Jayway: a missing property before the last segment. */
	check_eval_err(STORE, "$.store.car.wheels", SD_ERR_NOTFOUND,
	    "Missing property in path $['store']['car']");
	check_eval_err(STORE, "$.nope[0]", SD_ERR_NOTFOUND,
	    "Missing property in path $['nope']");
	/* A name on a non-object, an index on a non-array. */
	check_eval_err(MISC, "$.s.x", SD_ERR_NOTFOUND,
	    "Expected to find an object with property ['x'] in path $['s'] "
	    "but found 'string'");
	check_eval_err(MISC, "$.a.b.c", SD_ERR_NOTFOUND,
	    "Expected to find an object with property ['c'] in path "
	    "$['a']['b'] but found 'array'");
	check_eval_err(MISC, "$.a.c[0]", SD_ERR_NOTFOUND,
	    "Filter: [0] can only be applied to arrays. Current context is: "
	    "{\"d\":true}");
	check_eval_err(MISC, "$.n[0]", SD_ERR_NOTFOUND,
	    "The path $['n'] is null");
	check_eval_err("5", "$.a", SD_ERR_NOTFOUND,
	    "Expected to find an object with property ['a'] in path $ "
	    "but found 'number'");
	check_eval_err("[]", "$[0]", SD_ERR_NOTFOUND,
	    "No results for path: $[0]");
	/* The context root prints as "$" too. */
	check_eval_err("{}", "$$.Execution.Id", SD_ERR_NOTFOUND,
	    "Missing property in path $['Execution']");
	/* err may be NULL */
	{
		struct sd_jsonpath *jp = compile_ok("$.x");
		json_t *doc = load("{}"), *out = NULL;

		assert_int_equal(sd_jsonpath_eval(jp, doc, &out, NULL),
		    SD_ERR_NOTFOUND);
		assert_null(out);
		json_decref(doc);
		sd_jsonpath_free(jp);
	}
}

static void
test_wildcard(void **state)
{
	(void)state;
	check_eval(STORE, "$.store.book[*].author",
	    "[\"Nigel Rees\", \"Evelyn Waugh\", \"Herman Melville\","
	    " \"J. R. R. Tolkien\"]");
	check_eval(STORE, "$.store.book.*.price",
	    "[8.95, 12.99, 8.99, 22.99]");
	check_eval(STORE, "$.store.bicycle.*", "[\"red\", 19.95]");
	check_eval(STORE, "$.store.bicycle[*]", "[\"red\", 19.95]");
	check_eval(STORE, "$.store.bicycle[ * ]", "[\"red\", 19.95]");
	check_eval("[1, [2], {\"a\": 3}]", "$[*]", "[1, [2], {\"a\": 3}]");
	/* Missing keys below a wildcard are skipped. */
	check_eval(STORE, "$.store.book[*].isbn",
	    "[\"0-553-21311-3\", \"0-395-19395-8\"]");
	check_eval(STORE, "$.store.*.color", "[\"red\"]");
	/* Empty results are an empty array, not an error. */
	check_eval("[]", "$[*]", "[]");
	check_eval("{}", "$.*", "[]");
	check_eval("5", "$.*", "[]");
	check_eval("{\"a\": 1}", "$.a[*]", "[]");
	check_eval("[{\"a\": 1}, {\"b\": 2}]", "$[*].a", "[1]");
	check_eval("[[1, 2], 3, [4]]", "$[*][0]", "[1, 4]");
	/* Jayway: a non-leaf wildcard on a scalar fails, but a wildcard over
	 * an array swallows that failure for the element. */
	check_eval("[1, {\"a\": {\"x\": 7}}]", "$[*].*.x", "[7]");
	/* AWS answers an indefinite path that fails with an empty list. */
	check_eval("{\"a\": 1, \"b\": {\"c\": {\"x\": 7}}}", "$.*.*.x", "[]");
	/* So does one whose definite prefix finds nothing (AWS). */
	check_eval(STORE, "$.store.cars[*]", "[]");
}

/* Jayway's script index (@.length-N): the N-th item from the end. */
static void
test_script_index(void **state)
{
	(void)state;
	check_eval("[{\"bar\":1},{\"bar\":2}]", "$[(@.length-1)].bar", "2");
	check_eval("{\"a\":[1,2,3]}", "$.a[( @.length - 3 )]", "1");
	check_eval("{\"a\":[[1,2],[3,4]]}", "$.a[*][(@.length-1)]", "[2,4]");
	check_eval_err("{\"a\":[1]}", "$.a[(@.length)]", SD_ERR_NOTFOUND,
	    NULL);
	check_eval_err("{\"a\":[1]}", "$.a[(@.length-2)]", SD_ERR_NOTFOUND,
	    NULL);
	check_parse_err("$.a[(@.size-1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$.a[(@.length-x)]", SD_ERR_PARSE, NULL);
	check_parse_err("$.a[(@.length-1]", SD_ERR_PARSE, NULL);
}

static void
test_slices(void **state)
{
	const char *A = "{\"arr\": [0, 1, 2, 3, 4, 5]}";

	(void)state;
	check_eval(A, "$.arr[1:3]", "[1, 2]");
	check_eval(A, "$.arr[:2]", "[0, 1]");
	check_eval(A, "$.arr[-2:]", "[4, 5]");
	check_eval(A, "$.arr[4:]", "[4, 5]");
	check_eval(A, "$.arr[:-4]", "[0, 1]");
	check_eval(A, "$.arr[1:-1]", "[1, 2, 3, 4]");
	check_eval(A, "$.arr[-3:-1]", "[3, 4]");
	check_eval(A, "$.arr[::2]", "[0, 2, 4]");
	check_eval(A, "$.arr[1::2]", "[1, 3, 5]");
	check_eval(A, "$.arr[::-1]", "[5, 4, 3, 2, 1, 0]");
	check_eval(A, "$.arr[4:1:-2]", "[4, 2]");
	check_eval(A, "$.arr[-1:-3:-1]", "[5, 4]");
	check_eval(A, "$.arr[:]", "[0, 1, 2, 3, 4, 5]");
	check_eval(A, "$.arr[ 1 : 3 ]", "[1, 2]");
	check_eval(A, "$.arr[-100:2]", "[0, 1]");
	check_eval(A, "$.arr[2:100]", "[2, 3, 4, 5]");
	check_eval(A, "$.arr[3:1]", "[]");
	check_eval(A, "$.arr[10:]", "[]");
	check_eval(A, "$.arr[100:0:-1]", "[5, 4, 3, 2, 1]");
	check_eval("[]", "$[0:2]", "[]");
	check_eval("{\"a\": [[1, 2], [3, 4]]}", "$.a[0:2][1]", "[2, 4]");
	check_eval("{\"a\": {}}", "$.a[0:2]", "[]");
	check_eval("{}", "$.missing[0:2]", "[]");
}

static void
test_unions(void **state)
{
	const char *A = "{\"arr\": [0, 1, 2, 3, 4, 5]}";

	(void)state;
	check_eval(A, "$.arr[0,2]", "[0, 2]");
	check_eval(A, "$.arr[ 4 , 1 ]", "[4, 1]");
	check_eval(A, "$.arr[0,-1]", "[0, 5]");
	check_eval(A, "$.arr[1,99,3]", "[1, 3]");
	check_eval(A, "$.arr[2,2]", "[2, 2]");
	check_eval(STORE, "$.store.book[0,1].title",
	    "[\"Sayings of the Century\", \"Sword of Honour\"]");
	/* A union of names before another segment iterates them. */
	check_eval(STORE, "$.store['book','bicycle'].price", "[19.95]");
	check_eval("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}}",
	    "$['b','a','c'].x", "[2, 1]");
	/* Jayway: a union of names as the last segment merges them into one
	 * object (missing names are left out). */
	check_eval(STORE, "$.store.bicycle['color','price']",
	    "{\"color\": \"red\", \"price\": 19.95}");
	check_eval(STORE, "$.store.bicycle['color','gears']",
	    "{\"color\": \"red\"}");
	check_eval(STORE, "$.store.book[*]['author','price']",
	    "[{\"author\": \"Nigel Rees\", \"price\": 8.95},"
	    " {\"author\": \"Evelyn Waugh\", \"price\": 12.99},"
	    " {\"author\": \"Herman Melville\", \"price\": 8.99},"
	    " {\"author\": \"J. R. R. Tolkien\", \"price\": 22.99}]");
	check_eval_err("[1]", "$['a','b']", SD_ERR_NOTFOUND,
	    "Expected to find an object with property ['a','b'] in path $ "
	    "but found 'array'");
}

static void
test_descent(void **state)
{
	(void)state;
	check_eval(STORE, "$..author",
	    "[\"Nigel Rees\", \"Evelyn Waugh\", \"Herman Melville\","
	    " \"J. R. R. Tolkien\"]");
	check_eval(STORE, "$.store..price",
	    "[8.95, 12.99, 8.99, 22.99, 19.95]");
	check_eval(STORE, "$..book[2].title", "[\"Moby Dick\"]");
	check_eval(STORE, "$..book[-1:].title", "[\"The Lord of the Rings\"]");
	check_eval(STORE, "$..['color']", "[\"red\"]");
	check_eval(STORE, "$..isbn", "[\"0-553-21311-3\", \"0-395-19395-8\"]");
	check_eval(STORE, "$..nothing", "[]");
	/* Order: a node's own match, then its children depth-first. */
	check_eval("{\"a\": {\"a\": 1, \"b\": {\"a\": 2}}, \"c\": [{\"a\": 3}]}",
	    "$..a", "[{\"a\": 1, \"b\": {\"a\": 2}}, 1, 2, 3]");
	/* ..* lists a node's children, then recurses into each. */
	check_eval("{\"a\": {\"b\": 1}, \"c\": [2]}", "$..*",
	    "[{\"b\": 1}, [2], 1, 2]");
	check_eval("[[1, 2], {\"x\": [3]}]", "$..[0]", "[[1, 2], 1, 3]");
	check_eval("{\"a\": [{\"b\": 1}, {\"b\": 2}]}", "$..b", "[1, 2]");
	check_eval("5", "$..a", "[]");
}

static void
test_filters(void **state)
{
	(void)state;
	check_eval(STORE, "$.store.book[?(@.price < 10)].title",
	    "[\"Sayings of the Century\", \"Moby Dick\"]");
	check_eval(STORE, "$..book[?(@.isbn)].author",
	    "[\"Herman Melville\", \"J. R. R. Tolkien\"]");
	check_eval(STORE, "$..book[?(!@.isbn)].author",
	    "[\"Nigel Rees\", \"Evelyn Waugh\"]");
	check_eval(STORE, "$.store.book[?(@.category == 'reference')].price",
	    "[8.95]");
	check_eval(STORE, "$.store.book[?(@.category == \"reference\")].price",
	    "[8.95]");
	check_eval(STORE, "$.store.book[?(@.category != 'fiction')].price",
	    "[8.95]");
	check_eval(STORE,
	    "$.store.book[?(@.category == 'fiction' && @.price < 10)].title",
	    "[\"Moby Dick\"]");
	check_eval(STORE,
	    "$.store.book[?(@.price < 9 || @.price > 20)].price",
	    "[8.95, 8.99, 22.99]");
	check_eval(STORE,
	    "$.store.book[?((@.price < 9 || @.price > 20) && @.isbn)].price",
	    "[8.99, 22.99]");
	check_eval(STORE,
	    "$.store.book[?(!(@.category == 'fiction'))].author",
	    "[\"Nigel Rees\"]");
	check_eval(STORE, "$.store.book[?(@.price <= 8.99)].price",
	    "[8.95, 8.99]");
	check_eval(STORE, "$.store.book[?(@.price >= 12.99)].price",
	    "[12.99, 22.99]");
	check_eval(STORE, "$.store.book[?(@.price > $.expensive)].price",
	    "[12.99, 22.99]");
	check_eval(STORE, "$.store.book[?(@['price'] == 8.95)].author",
	    "[\"Nigel Rees\"]");
	check_eval(STORE, "$.store.book[?(10 > @.price)].price",
	    "[8.95, 8.99]");
	check_eval(STORE, "$.store.book[?(@.author > 'I')].author",
	    "[\"Nigel Rees\", \"J. R. R. Tolkien\"]");
	/* Literals and types. */
	check_eval("[{\"a\": 1}, {\"a\": 1.0}, {\"a\": \"1\"}, {\"a\": true},"
	    " {\"a\": null}, {}]", "$[?(@.a == 1)]",
	    "[{\"a\": 1}, {\"a\": 1.0}]");
	check_eval("[{\"a\": true}, {\"a\": false}, {\"a\": \"true\"}]",
	    "$[?(@.a == true)]", "[{\"a\": true}]");
	check_eval("[{\"a\": true}, {\"a\": false}]", "$[?(@.a == false)]",
	    "[{\"a\": false}]");
	check_eval("[{\"a\": null}, {\"a\": 0}, {}]", "$[?(@.a == null)]",
	    "[{\"a\": null}]");
	/* Jayway: != is "not ==", so a missing field is != anything. */
	check_eval("[{\"a\": null}, {\"a\": 0}, {}]", "$[?(@.a != null)]",
	    "[{\"a\": 0}, {}]");
	/* Existence holds for a present null. */
	check_eval("[{\"a\": null}, {\"b\": 0}]", "$[?(@.a)]",
	    "[{\"a\": null}]");
	check_eval("[{\"a\": -1.5}, {\"a\": 2e1}]", "$[?(@.a < -1)]",
	    "[{\"a\": -1.5}]");
	check_eval("[{\"a\": -1.5}, {\"a\": 2e1}]", "$[?(@.a == 20)]",
	    "[{\"a\": 2e1}]");
	check_eval("[{\"a\": \"x'y\"}]", "$[?(@.a == 'x\\'y')]",
	    "[{\"a\": \"x'y\"}]");
	/* Mixed types never compare. */
	check_eval("[{\"a\": \"10\"}, {\"a\": 10}]", "$[?(@.a < 11)]",
	    "[{\"a\": 10}]");
	/* Nested @ paths and nested filters. */
	check_eval("[{\"a\": {\"b\": {\"c\": 1}}}, {\"a\": {\"b\": 2}}]",
	    "$[?(@.a.b.c == 1)]", "[{\"a\": {\"b\": {\"c\": 1}}}]");
	check_eval("[{\"t\": [{\"k\": 1}]}, {\"t\": [{\"k\": 2}]}, {}]",
	    "$[?(@.t[?(@.k == 2)])]",
	    "[{\"t\": [{\"k\": 1}]}, {\"t\": [{\"k\": 2}]}]");
	check_eval("[{\"t\": [1, 2]}, {\"t\": [3]}]", "$[?(@.t[1])]",
	    "[{\"t\": [1, 2]}]");
	check_eval("[1, 5, 3, 8]", "$[?(@ > 3)]", "[5, 8]");
	check_eval("{\"x\": [{\"y\": [1, 2]}, {\"y\": [3]}]}",
	    "$.x[?(@.y[0] == 3)].y[0]", "[3]");
	/* Comparing structures. */
	check_eval("[{\"a\": [1, 2]}, {\"a\": [1]}, {\"b\": [1, 2]}]",
	    "$[?(@.a == @.a)]", "[{\"a\": [1, 2]}, {\"a\": [1]}]");
	/* On an object, Jayway applies the filter to the object itself. */
	check_eval(STORE, "$.store.bicycle[?(@.color == 'red')].price",
	    "[19.95]");
	check_eval(STORE, "$.store.bicycle[?(@.color == 'blue')]", "[]");
	/* Descent into filters: objects anywhere that match. */
	check_eval(STORE, "$..[?(@.price > 19)].price", "[22.99, 19.95]");
	check_eval("[1, 2]", "$[?(@.a)]", "[]");
	/* Blanks around everything. */
	check_eval(STORE, "$.store.book[ ? ( @.price<9 ) ].price",
	    "[8.95, 8.99]");
	/* A filter on a scalar reached through a definite path fails. */
	check_eval("{\"a\": 5}", "$.a[?(@.b)]", "[]");
}

static void
test_normalized(void **state)
{
	(void)state;
	check_norm("$", "$");
	check_norm("$$", "$");
	check_norm("$.a.b[0]", "$['a']['b'][0]");
	check_norm("$.NoSuchOutputPath", "$['NoSuchOutputPath']");
	check_norm("$$.Execution.Id", "$['Execution']['Id']");
	check_norm("$var.x", "$['x']");
	check_norm("$['a']", "$['a']");
	check_norm("$[\"a\"]", "$[\"a\"]");
	check_norm("$['it\\'s']", "$['it\\'s']");
	check_norm("$['back\\\\slash']", "$['back\\\\\\\\slash']");
	check_norm("$[-1]", "$[-1]");
	check_norm("$.a[*]", "$['a'][*]");
	check_norm("$.a.*", "$['a'][*]");
	check_norm("$['a','b']", "$['a','b']");
	check_norm("$[ 'a' , 'b' ]", "$['a','b']");
	check_norm("$[0,1]", "$[0,1]");
	check_norm("$[1:3]", "$[1:3]");
	check_norm("$[:3]", "$[:3]");
	check_norm("$[-2:]", "$[-2:]");
	check_norm("$[::2]", "$[::2]");
	check_norm("$[1:5:-1]", "$[1:5:-1]");
	check_norm("$..a", "$..['a']");
	check_norm("$..*", "$..[*]");
	check_norm("$..[0]", "$..[0]");
	check_norm("$.a[?(@.b < 1)].c", "$['a'][?]['c']");
}

static void
test_parse_errors(void **state)
{
	char big[5000];
	char deep[400];
	size_t i;

	(void)state;
	check_parse_err("$.a[", SD_ERR_PARSE,
	    "invalid JSONPath \"$.a[\": expected a quoted name, an index, a "
	    "slice, '*', '?(' or '(@.length-N)' at position 4");
	check_parse_err("$.a[0", SD_ERR_PARSE,
	    "invalid JSONPath \"$.a[0\": expected ']' at position 5");
	check_parse_err("$['a'", SD_ERR_PARSE,
	    "invalid JSONPath \"$['a'\": expected ']' at position 5");
	check_parse_err("$['a]", SD_ERR_PARSE,
	    "invalid JSONPath \"$['a]\": unterminated string at position 2");
	check_parse_err("", SD_ERR_PARSE,
	    "invalid JSONPath \"\": a path must start with '$' at position 0");
	check_parse_err("a.b", SD_ERR_PARSE, NULL);
	check_parse_err("@.a", SD_ERR_PARSE, NULL);
	check_parse_err("$.", SD_ERR_PARSE,
	    "invalid JSONPath \"$.\": path must not end with '.' or '..' at "
	    "position 2");
	check_parse_err("$..", SD_ERR_PARSE, NULL);
	check_parse_err("$.a.", SD_ERR_PARSE, NULL);
	check_parse_err("$...a", SD_ERR_PARSE, NULL);
	check_parse_err("$.a b", SD_ERR_PARSE, NULL);
	check_parse_err("$.a.length()", SD_ERR_PARSE,
	    "invalid JSONPath \"$.a.length()\": functions are not supported at "
	    "position 10");
	check_parse_err("$a b", SD_ERR_PARSE, NULL);
	check_parse_err("$$x", SD_ERR_PARSE, NULL);
	check_parse_err("$1", SD_ERR_PARSE, NULL);
	check_parse_err("$[abc]", SD_ERR_PARSE, NULL);
	check_parse_err("$[]", SD_ERR_PARSE, NULL);
	check_parse_err("$[-]", SD_ERR_PARSE, NULL);
	check_parse_err("$[0,]", SD_ERR_PARSE, NULL);
	check_parse_err("$[0 1]", SD_ERR_PARSE, NULL);
	check_parse_err("$['a',]", SD_ERR_PARSE, NULL);
	check_parse_err("$['a' 'b']", SD_ERR_PARSE, NULL);
	check_parse_err("$[::0]", SD_ERR_PARSE, NULL);
	check_parse_err("$[1:2:3:4]", SD_ERR_PARSE, NULL);
	check_parse_err("$[99999999999]", SD_ERR_PARSE, NULL);
	check_parse_err("$[*", SD_ERR_PARSE, NULL);
	check_parse_err("$.*a", SD_ERR_PARSE, NULL);
	check_parse_err("$['a']b", SD_ERR_PARSE, NULL);
	check_parse_err("$.\xff", SD_ERR_PARSE,
	    "invalid JSONPath \"$.\xff\": invalid UTF-8 at position 0");
	check_parse_err("$.\xc0\x80", SD_ERR_PARSE, NULL);
	/* Filters */
	check_parse_err("$[?]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?@.a]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a)", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a ==)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a = 1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a === 1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a =~ /x/)]", SD_ERR_PARSE,
	    "invalid JSONPath \"$[?(@.a =~ /x/)]\": unsupported operator at "
	    "position 8");
	check_parse_err("$[?(@.a in [1])]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a & @.b)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a | @.b)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?('a')]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a == tru)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a == nulls)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a == 1-2)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a == -)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a == 'x)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@. == 1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a.length() > 1)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?((@.a)]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a))]", SD_ERR_PARSE, NULL);
	check_parse_err("$[?(@.a && )]", SD_ERR_PARSE, NULL);
	/* Limits */
	big[0] = '$';
	for (i = 1; i + 1 < sizeof(big); i += 2) {
		big[i] = '.';
		big[i + 1] = 'a';
	}
	big[sizeof(big) - 1] = '\0';
	check_parse_err(big, SD_ERR_LIMIT, NULL);
	memcpy(deep, "$[?(", 4);
	for (i = 4; i < 4 + 300; i++)
		deep[i] = '(';
	memcpy(deep + i, "@.a", 4);
	check_parse_err(deep, SD_ERR_LIMIT, NULL);
	for (i = 4; i < 4 + 300; i++)
		deep[i] = '!';
	check_parse_err(deep, SD_ERR_LIMIT, NULL);
	/* Bad arguments */
	{
		struct sd_error err = SD_ERROR_INIT;
		struct sd_jsonpath *jp = NULL;

		assert_int_equal(sd_jsonpath_compile(NULL, &jp, &err),
		    SD_ERR_INVALID);
		assert_null(jp);
		sd_error_clear(&err);
		assert_int_equal(sd_jsonpath_compile("$", NULL, NULL),
		    SD_ERR_INVALID);
	}
}

static void
test_accepted_syntax(void **state)
{
	static const char *ok[] = {
		"$", "$$", "$x", "$.a", "$..a", "$.*", "$..*", "$[*]", "$..[*]",
		"$[0]", "$[-1]", "$[0,1]", "$[1:]", "$[:1]", "$[::1]", "$[:]",
		"$['a']", "$[\"a\"]", "$['a',\"b\"]", "$..['a','b']",
		"$.a]b", "$.a*", "$.a'b", "$.$", "$.@", "$.\xe2\x82\xac",
		"$[?(@)]", "$[?(@.a==1)]", "$[?(@.a ==1&&@.b)]",
		"$[?(@.a<1||@.b>2)]", "$[?(!(@.a))]", "$[?(!!@.a)]",
		"$[?(@['a'][0] == 'x')]", "$[?(@..a)]", "$[?(@.a[*] == 1)]",
		"$[?(@.a == $.b)]", "$[?(@.a == $)]", "$[?(@.a == -1.5e3)]",
		"$[?(@.a == .5)]", "$[?(@.a == +1)]", "$[?(@.a == null)]",
		"$[?(@.a[?(@.b)])]", "$[?( @.a )]", "$[?(@.a)][?(@.b)]",
		"$[\t0\t]", " $.a ", "$.a\tb",
	};
	struct sd_jsonpath *jp;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		jp = compile_ok(ok[i]);
		sd_jsonpath_free(jp);
	}
}

static void
test_assign(void **state)
{
	(void)state;
	/* "$" replaces the whole input. */
	check_assign("{\"a\": 1}", "$", "[1, 2]", "[1, 2]");
	check_assign("\"foo\"", "$", "6", "6");
	/* The spec's examples. */
	check_assign("{\"master\": {\"detail\": [1, 2, 3]}}",
	    "$.master.detail", "6", "{\"master\": {\"detail\": 6}}");
	check_assign("{\"master\": {\"detail\": [1, 2, 3]}}",
	    "$.master.result.sum", "6",
	    "{\"master\": {\"detail\": [1, 2, 3], \"result\": {\"sum\": 6}}}");
	check_assign("{\"a\": 1}", "$.b.greeting", "\"Hi!\"",
	    "{\"a\": 1, \"b\": {\"greeting\": \"Hi!\"}}");
	check_assign("{\"title\": \"t\", \"numbers\": {\"val1\": 3}}", "$.sum",
	    "7", "{\"title\": \"t\", \"numbers\": {\"val1\": 3}, \"sum\": 7}");
	check_assign("{}", "$.x.y.z", "{\"k\": null}",
	    "{\"x\": {\"y\": {\"z\": {\"k\": null}}}}");
	check_assign("{\"a\": {\"b\": 1, \"c\": 2}}", "$['a']['b']", "9",
	    "{\"a\": {\"b\": 9, \"c\": 2}}");
	/* Indexes replace elements of existing arrays. */
	check_assign("{\"a\": [1, 2, 3]}", "$.a[1]", "\"x\"",
	    "{\"a\": [1, \"x\", 3]}");
	check_assign("{\"a\": [1, 2, 3]}", "$.a[-1]", "\"x\"",
	    "{\"a\": [1, 2, \"x\"]}");
	check_assign("{\"a\": [{\"b\": 1}]}", "$.a[0].c", "2",
	    "{\"a\": [{\"b\": 1, \"c\": 2}]}");
	check_assign("[[0]]", "$[0][0]", "1", "[[1]]");
	/* Roots other than "$" act on the given document. */
	check_assign("{}", "$v.a", "1", "{\"a\": 1}");
}

static void
test_assign_shares(void **state)
{
	struct sd_jsonpath *jp;
	json_t *doc, *val, *out = NULL, *keep;

	(void)state;
	doc = load("{\"keep\": {\"big\": [1, 2, 3]}, \"m\": {\"x\": 1}}");
	keep = json_object_get(doc, "keep");
	val = json_string("v");
	jp = compile_ok("$.m.y");
	assert_int_equal(sd_jsonpath_assign(jp, doc, val, &out, NULL), 0);
	/* Untouched subtrees are shared, the path is copied. */
	assert_ptr_equal(json_object_get(out, "keep"), keep);
	assert_ptr_not_equal(out, doc);
	assert_ptr_not_equal(json_object_get(out, "m"),
	    json_object_get(doc, "m"));
	assert_ptr_equal(json_object_get(json_object_get(out, "m"), "y"), val);
	assert_null(json_object_get(json_object_get(doc, "m"), "y"));
	json_decref(out);
	sd_jsonpath_free(jp);

	/* "$" returns the value itself, with a new reference. */
	jp = compile_ok("$");
	assert_int_equal(sd_jsonpath_assign(jp, doc, val, &out, NULL), 0);
	assert_ptr_equal(out, val);
	assert_int_equal(val->refcount, 2);
	json_decref(out);
	sd_jsonpath_free(jp);
	json_decref(val);
	json_decref(doc);
}

static void
test_assign_errors(void **state)
{
	(void)state;
	check_assign_err("\"foo\"", "$.x", SD_ERR_NOTFOUND,
	    "Unable to apply ReferencePath $.x to input \"foo\"");
	check_assign_err("{\"s\": \"t\"}", "$.s.x", SD_ERR_NOTFOUND,
	    "Unable to apply ReferencePath $.s.x to input {\"s\":\"t\"}");
	check_assign_err("{\"a\": [1]}", "$.a[1]", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{\"a\": [1]}", "$.a[-2]", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{\"a\": {}}", "$.a[0]", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{}", "$.missing[0]", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{}", "$.missing[0].x", SD_ERR_NOTFOUND, NULL);
	check_assign_err("[1]", "$.a", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{\"a\": null}", "$.a.b", SD_ERR_NOTFOUND, NULL);
	check_assign_err("{}", "$.a[*]", SD_ERR_INVALID, NULL);
	check_assign_err("{}", "$..a", SD_ERR_INVALID, NULL);
	check_assign_err("{}", "$['a','b']", SD_ERR_INVALID, NULL);
	check_assign_err("{}", "$.a[?(@.b)]", SD_ERR_INVALID, NULL);
	check_assign_err("{}", "$[0:1]", SD_ERR_INVALID, NULL);
}

/* A failing allocator for jansson: the Nth allocation fails. */
static long fail_at = -1, nalloc;

static void *
chaos_malloc(size_t n)
{
	if (fail_at >= 0 && nalloc++ == fail_at)
		return NULL;
	return malloc(n);
}

static void
chaos_free(void *p)
{
	free(p);
}

static void
test_oom(void **state)
{
	static const char *paths[] = {
		"$.store.book[*].author", "$..price", "$.store.bicycle['color','price']",
		"$.store.book[?(@.price < $.expensive)].title", "$..*",
		"$.store.book[?(@.x[*])]",
	};
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp, *ap;
	json_t *doc, *out, *val;
	size_t i;
	long n;
	int r, ok;

	(void)state;
	doc = load(STORE);
	val = json_integer(1);
	ap = compile_ok("$.store.new.deep.x");
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		jp = compile_ok(paths[i]);
		for (n = 0, ok = 0; !ok && n < 10000; n++) {
			nalloc = 0;
			fail_at = n;
			json_set_alloc_funcs(chaos_malloc, chaos_free);
			out = NULL;
			r = sd_jsonpath_eval(jp, doc, &out, &err);
			json_set_alloc_funcs(malloc, free);
			fail_at = -1;
			if (r == 0) {
				ok = 1;
				json_decref(out);
			} else
				assert_int_equal(r, SD_ERR_NOMEM);
			sd_error_clear(&err);
		}
		assert_true(ok);
		sd_jsonpath_free(jp);
	}
	for (n = 0, ok = 0; !ok && n < 10000; n++) {
		nalloc = 0;
		fail_at = n;
		json_set_alloc_funcs(chaos_malloc, chaos_free);
		out = NULL;
		r = sd_jsonpath_assign(ap, doc, val, &out, &err);
		json_set_alloc_funcs(malloc, free);
		fail_at = -1;
		if (r == 0) {
			ok = 1;
			json_decref(out);
		} else
			assert_int_equal(r, SD_ERR_NOMEM);
		sd_error_clear(&err);
	}
	assert_true(ok);
	sd_jsonpath_free(ap);
	json_decref(val);
	json_decref(doc);
}

/* The definite fast path allocates nothing (through jansson or not). */
static void
test_fast_path_no_alloc(void **state)
{
	struct sd_jsonpath *jp;
	json_t *doc, *out = NULL;

	(void)state;
	doc = load(STORE);
	jp = compile_ok("$.store.book[2].title");
	nalloc = 0;
	fail_at = 0;		/* any jansson allocation fails */
	json_set_alloc_funcs(chaos_malloc, chaos_free);
	assert_int_equal(sd_jsonpath_eval(jp, doc, &out, NULL), 0);
	json_set_alloc_funcs(malloc, free);
	fail_at = -1;
	assert_int_equal(nalloc, 0);
	assert_string_equal(json_string_value(out), "Moby Dick");
	json_decref(out);
	sd_jsonpath_free(jp);
	json_decref(doc);
}

static void
test_eval_limits(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_jsonpath *jp;
	json_t *doc, *out = NULL, *v;
	char path[4000];
	size_t i, len;
	int r;

	(void)state;
	/* Exponential fan-out (chains of descents in a deep document) is
	 * cut off by the work limit. */
	doc = json_integer(1);
	for (i = 0; i < 64; i++) {
		v = json_array();
		json_array_append_new(v, doc);
		doc = v;
	}
	len = 0;
	path[len++] = '$';
	for (i = 0; i < 32; i++) {
		memcpy(path + len, "..*", 3);
		len += 3;
	}
	memcpy(path + len, ".zz", 4);
	jp = compile_ok(path);
	r = sd_jsonpath_eval(jp, doc, &out, &err);
	assert_int_equal(r, SD_ERR_LIMIT);
	assert_null(out);
	sd_error_clear(&err);
	sd_jsonpath_free(jp);
	json_decref(doc);

	/* Deep documents hit the depth limit instead of the stack. */
	doc = json_integer(1);
	for (i = 0; i < 10000; i++) {
		v = json_array();
		json_array_append_new(v, doc);
		doc = v;
	}
	jp = compile_ok("$..[0]");
	r = sd_jsonpath_eval(jp, doc, &out, &err);
	assert_int_equal(r, SD_ERR_LIMIT);
	assert_null(out);
	sd_error_clear(&err);
	sd_jsonpath_free(jp);
	/* a definite path on it is iterative and fine */
	jp = compile_ok("$[0][0][0][0][0]");
	assert_int_equal(sd_jsonpath_eval(jp, doc, &out, &err), 0);
	assert_true(json_is_array(out));
	json_decref(out);
	sd_jsonpath_free(jp);
	/* freeing a 10000-deep jansson tree is recursive: unwind by hand */
	while (json_is_array(doc)) {
		v = json_incref(json_array_get(doc, 0));
		json_decref(doc);
		doc = v;
	}
	json_decref(doc);

	/* Bad arguments */
	jp = compile_ok("$");
	assert_int_equal(sd_jsonpath_eval(jp, NULL, &out, &err),
	    SD_ERR_INVALID);
	sd_error_clear(&err);
	assert_int_equal(sd_jsonpath_eval(NULL, NULL, &out, NULL),
	    SD_ERR_INVALID);
	assert_int_equal(sd_jsonpath_assign(jp, NULL, NULL, &out, NULL),
	    SD_ERR_INVALID);
	sd_jsonpath_free(jp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots_and_accessors),
		cmocka_unit_test(test_is_definite),
		cmocka_unit_test(test_definite),
		cmocka_unit_test(test_definite_new_reference),
		cmocka_unit_test(test_definite_not_found),
		cmocka_unit_test(test_wildcard),
		cmocka_unit_test(test_slices),
		cmocka_unit_test(test_script_index),
		cmocka_unit_test(test_unions),
		cmocka_unit_test(test_descent),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_normalized),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_accepted_syntax),
		cmocka_unit_test(test_assign),
		cmocka_unit_test(test_assign_shares),
		cmocka_unit_test(test_assign_errors),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_fast_path_no_alloc),
		cmocka_unit_test(test_eval_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
