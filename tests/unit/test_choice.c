/*
 * test_choice: compiling and evaluating Choice Rules (JSONPath).
 *
 * Rules and inputs are written with single quotes for readability; q()
 * turns them into JSON (no test string needs a literal apostrophe).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sd_choice.h"
#include "sd_json.h"

#define LOC	"/States/Check/Choices[0]"

struct ctx {
	json_t	*input;
	json_t	*context;
	json_t	*vars;
	int	 calls;
	int	 fail;		/* resolver fails with SD_ERR_INTRINSIC */
	int	 notfound;	/* resolver reports SD_ERR_NOTFOUND itself */
};

static int
resolver(void *vctx, const struct sd_jsonpath *p, json_t **out,
    struct sd_error *err)
{
	struct ctx *c = vctx;
	json_t *doc;
	int r;

	c->calls++;
	*out = NULL;
	if (c->fail)
		return sd_error_set(err, SD_ERR_INTRINSIC, NULL,
		    "resolver broke");
	switch (sd_jsonpath_root(p)) {
	case SD_JP_ROOT_CONTEXT:
		doc = c->context;
		break;
	case SD_JP_ROOT_VARIABLE:
		doc = json_object_get(c->vars, sd_jsonpath_var_name(p));
		if (doc == NULL)
			return 0;
		break;
	default:
		doc = c->input;
		break;
	}
	r = sd_jsonpath_eval(p, doc, out, err);
	if (r == SD_ERR_NOTFOUND && !c->notfound) {
		sd_error_clear(err);
		*out = NULL;
		return 0;
	}
	return r;
}

/* Single quotes to double quotes, in a static buffer. */
static const char *
q(const char *s)
{
	static char buf[2][4096];
	static int which;
	char *b = buf[which ^= 1];
	size_t i;

	assert_true(strlen(s) < sizeof(buf[0]));
	for (i = 0; s[i] != '\0'; i++)
		b[i] = s[i] == '\'' ? '"' : s[i];
	b[i] = '\0';
	return b;
}

static json_t *
load(const char *s)
{
	json_error_t je;
	json_t *v;

	v = json_loads(q(s), JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
	    JSON_ALLOW_NUL, &je);
	if (v == NULL)
		fail_msg("bad test JSON %s: %s", s, je.text);
	return v;
}

static struct sd_choice_rule *
compile_ok(const char *rule, int top)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *c = NULL;
	json_t *j = load(rule);

	if (sd_choice_compile(j, top, LOC, &c, &err) != 0)
		fail_msg("compile %s: %s", rule, sd_error_text(&err));
	assert_non_null(c);
	json_decref(j);
	sd_error_clear(&err);
	return c;
}

/*
 * Evaluate rule (nested form, no Next) on input: 1 or 0, or the negative
 * error code with the message copied to msg (when not NULL).
 */
static int
run_ctx(const char *rule, struct ctx *c, char *msg, size_t msglen)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *cr = compile_ok(rule, 0);
	int m = -1, r;

	r = sd_choice_eval(cr, resolver, c, &m, &err);
	if (r != 0) {
		assert_int_equal(err.code, r);
		if (msg != NULL)
			snprintf(msg, msglen, "%s", err.message != NULL ?
			    err.message : "");
		m = r;
	} else
		assert_true(m == 0 || m == 1);
	sd_choice_free(cr);
	sd_error_clear(&err);
	return m;
}

static int
run(const char *rule, const char *input)
{
	struct ctx c;
	int m;

	memset(&c, 0, sizeof(c));
	c.input = load(input);
	m = run_ctx(rule, &c, NULL, 0);
	json_decref(c.input);
	return m;
}

/* Rule rule on input must fail at runtime with code and exact message. */
static void
assert_runtime_error(const char *rule, const char *input, int code,
    const char *message)
{
	struct ctx c;
	char msg[512];
	int m;

	memset(&c, 0, sizeof(c));
	c.input = load(input);
	m = run_ctx(rule, &c, msg, sizeof(msg));
	json_decref(c.input);
	if (m != code)
		fail_msg("%s on %s: got %d, want %d", rule, input, m, code);
	assert_string_equal(msg, message);
}

#define T(rule, input)	assert_int_equal(run(rule, input), 1)
#define F(rule, input)	assert_int_equal(run(rule, input), 0)

/* ------------------------------------------------------------ strings */

static void
test_string_equals(void **state)
{
	(void)state;
	T("{'Variable':'$.v','StringEquals':'Hello'}", "{'v':'Hello'}");
	F("{'Variable':'$.v','StringEquals':'Hello'}", "{'v':'hello'}");
	F("{'Variable':'$.v','StringEquals':'     '}", "{'v':' '}");
	F("{'Variable':'$.v','StringEquals':'\\t\\r\\n'}", "{'v':'\\t\\n'}");
	T("{'Variable':'$.v','StringEquals':''}", "{'v':''}");
	/* Not a string: false, never an error. */
	F("{'Variable':'$.v','StringEquals':'HelloWorld'}", "{'v':null}");
	F("{'Variable':'$.v','StringEquals':'1'}", "{'v':1}");
	F("{'Variable':'$.v','StringEquals':'true'}", "{'v':true}");
	F("{'Variable':'$.v','StringEquals':''}", "{'v':[]}");
	F("{'Variable':'$.v','StringEquals':''}", "{'v':['']}");
	F("{'Variable':'$.v','StringEquals':''}", "{'v':{}}");
	/* Embedded NUL bytes count. */
	T("{'Variable':'$.v','StringEquals':'a\\u0000b'}", "{'v':'a\\u0000b'}");
	F("{'Variable':'$.v','StringEquals':'a\\u0000b'}", "{'v':'a\\u0000c'}");
	F("{'Variable':'$.v','StringEquals':'a'}", "{'v':'a\\u0000'}");
	/* Path variant. */
	T("{'Variable':'$.v','StringEqualsPath':'$.w'}",
	    "{'v':'Hello','w':'Hello'}");
	F("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':'a','w':'b'}");
	F("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':'1','w':1}");
	F("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':1,'w':'1'}");
	F("{'Variable':'$.v','StringEqualsPath':'$.w'}", "{'v':null,'w':null}");
}

static void
test_string_order(void **state)
{
	(void)state;
	T("{'Variable':'$.v','StringLessThan':'AB'}", "{'v':'A'}");
	F("{'Variable':'$.v','StringLessThan':'A'}", "{'v':'AB'}");
	F("{'Variable':'$.v','StringLessThan':''}", "{'v':''}");
	F("{'Variable':'$.v','StringLessThan':'a'}", "{'v':'b'}");
	T("{'Variable':'$.v','StringLessThan':'a'}", "{'v':'B'}");
	F("{'Variable':'$.v','StringLessThan':'z'}", "{'v':1}");
	T("{'Variable':'$.v','StringGreaterThan':'A'}", "{'v':'AB'}");
	F("{'Variable':'$.v','StringGreaterThan':'ABC'}", "{'v':'AB'}");
	F("{'Variable':'$.v','StringGreaterThan':'A '}", "{'v':'A'}");
	F("{'Variable':'$.v','StringGreaterThan':'A\\t\\n\\r'}", "{'v':'A'}");
	F("{'Variable':'$.v','StringGreaterThan':''}", "{'v':''}");
	F("{'Variable':'$.v','StringGreaterThan':''}", "{'v':true}");
	T("{'Variable':'$.v','StringLessThanEquals':'AB'}", "{'v':'A'}");
	T("{'Variable':'$.v','StringLessThanEquals':'A'}", "{'v':'A'}");
	F("{'Variable':'$.v','StringLessThanEquals':'A'}", "{'v':'AB'}");
	F("{'Variable':'$.v','StringLessThanEquals':'A'}", "{'v':null}");
	T("{'Variable':'$.v','StringGreaterThanEquals':'A'}", "{'v':'AB'}");
	T("{'Variable':'$.v','StringGreaterThanEquals':''}", "{'v':''}");
	F("{'Variable':'$.v','StringGreaterThanEquals':'AB'}", "{'v':'A'}");
	F("{'Variable':'$.v','StringGreaterThanEquals':''}", "{'v':0}");
	/* Path variants, both sides must be strings. */
	T("{'Variable':'$.v','StringLessThanPath':'$.w'}",
	    "{'v':'A','w':'AB'}");
	F("{'Variable':'$.v','StringLessThanPath':'$.w'}",
	    "{'v':'AB','w':'A'}");
	F("{'Variable':'$.v','StringLessThanPath':'$.w'}", "{'v':'','w':''}");
	F("{'Variable':'$.v','StringLessThanPath':'$.w'}", "{'v':'A','w':1}");
	T("{'Variable':'$.v','StringGreaterThanPath':'$.w'}",
	    "{'v':'b','w':'a'}");
	F("{'Variable':'$.v','StringGreaterThanPath':'$.w'}",
	    "{'v':'AB','w':'ABC'}");
	F("{'Variable':'$.v','StringGreaterThanPath':'$.w'}",
	    "{'v':'','w':''}");
	T("{'Variable':'$.v','StringLessThanEqualsPath':'$.w'}",
	    "{'v':'','w':''}");
	F("{'Variable':'$.v','StringLessThanEqualsPath':'$.w'}",
	    "{'v':'AB','w':'A'}");
	T("{'Variable':'$.v','StringGreaterThanEqualsPath':'$.w'}",
	    "{'v':'AB','w':'A'}");
	F("{'Variable':'$.v','StringGreaterThanEqualsPath':'$.w'}",
	    "{'v':'A','w':'AB'}");
	F("{'Variable':'$.v','StringGreaterThanEqualsPath':'$.w'}",
	    "{'v':'A','w':null}");
}

static void
test_string_order_utf16(void **state)
{
	(void)state;
	/* Code point order within the BMP. */
	T("{'Variable':'$.v','StringLessThan':'\\u00e9'}", "{'v':'z'}");
	T("{'Variable':'$.v','StringLessThan':'\\u4e2d'}", "{'v':'\\u00e9'}");
	/*
	 * Java compares UTF-16 code units: U+1F600 (D83D DE00) sorts
	 * before U+E000 although its code point is larger.
	 */
	T("{'Variable':'$.v','StringLessThan':'\\ue000'}",
	    "{'v':'\\ud83d\\ude00'}");
	F("{'Variable':'$.v','StringGreaterThan':'\\ue000'}",
	    "{'v':'\\ud83d\\ude00'}");
	T("{'Variable':'$.v','StringGreaterThan':'x\\ud83d\\ude00'}",
	    "{'v':'x\\uffff'}");
	T("{'Variable':'$.v','StringLessThan':'\\ud83d\\ude01'}",
	    "{'v':'\\ud83d\\ude00'}");
	T("{'Variable':'$.v','StringGreaterThan':'\\ud7ff'}",
	    "{'v':'\\ud83d\\ude00'}");
}

/* ------------------------------------------------------------ StringMatches */

static void
test_string_matches(void **state)
{
	(void)state;
	/* The spec's examples. */
	T("{'Variable':'$.v','StringMatches':'foo*.log'}", "{'v':'foo23.log'}");
	T("{'Variable':'$.v','StringMatches':'*.log'}", "{'v':'zebra.log'}");
	T("{'Variable':'$.v','StringMatches':'foo*.*'}",
	    "{'v':'foobar.zebra'}");
	F("{'Variable':'$.v','StringMatches':'foo*.log'}", "{'v':'foo23.txt'}");
	F("{'Variable':'$.v','StringMatches':'*.log'}", "{'v':'zebra.log.1'}");
	/* '*' matches zero or more characters, anywhere. */
	T("{'Variable':'$.v','StringMatches':'*'}", "{'v':''}");
	T("{'Variable':'$.v','StringMatches':'*'}", "{'v':'anything'}");
	T("{'Variable':'$.v','StringMatches':'**'}", "{'v':''}");
	T("{'Variable':'$.v','StringMatches':''}", "{'v':''}");
	F("{'Variable':'$.v','StringMatches':''}", "{'v':'a'}");
	T("{'Variable':'$.v','StringMatches':'a*'}", "{'v':'a'}");
	T("{'Variable':'$.v','StringMatches':'*a'}", "{'v':'a'}");
	T("{'Variable':'$.v','StringMatches':'a*a'}", "{'v':'aa'}");
	F("{'Variable':'$.v','StringMatches':'a*a'}", "{'v':'a'}");
	T("{'Variable':'$.v','StringMatches':'*a*b*c*'}", "{'v':'xxaxbxxcxx'}");
	F("{'Variable':'$.v','StringMatches':'*a*b*c*'}", "{'v':'xxcxbxxaxx'}");
	T("{'Variable':'$.v','StringMatches':'ab*ab*ab'}", "{'v':'abababab'}");
	T("{'Variable':'$.v','StringMatches':'ab*ab*ab'}", "{'v':'ababab'}");
	F("{'Variable':'$.v','StringMatches':'ab*ab*ab'}", "{'v':'abab'}");
	T("{'Variable':'$.v','StringMatches':'a*\\u00e9*'}",
	    "{'v':'ab\\u00e9'}");
	/* Only '*' is special. */
	T("{'Variable':'$.v','StringMatches':'a?[b].c'}", "{'v':'a?[b].c'}");
	F("{'Variable':'$.v','StringMatches':'a?c'}", "{'v':'abc'}");
	F("{'Variable':'$.v','StringMatches':'a.c'}", "{'v':'abc'}");
	/* Case-sensitive. */
	F("{'Variable':'$.v','StringMatches':'ABC*'}", "{'v':'abcd'}");
	/* Non-strings: false. */
	F("{'Variable':'$.v','StringMatches':'*'}", "{'v':1}");
	F("{'Variable':'$.v','StringMatches':'*'}", "{'v':null}");
	F("{'Variable':'$.v','StringMatches':'*'}", "{'v':['a']}");
}

static void
test_string_matches_escapes(void **state)
{
	(void)state;
	/* JSON "\\*" is the pattern \* : a literal star. */
	T("{'Variable':'$.v','StringMatches':'a\\\\*b'}", "{'v':'a*b'}");
	F("{'Variable':'$.v','StringMatches':'a\\\\*b'}", "{'v':'axb'}");
	F("{'Variable':'$.v','StringMatches':'a\\\\*b'}", "{'v':'ab'}");
	T("{'Variable':'$.v','StringMatches':'*\\\\**'}", "{'v':'x*y'}");
	F("{'Variable':'$.v','StringMatches':'*\\\\**'}", "{'v':'xy'}");
	/* JSON "\\\\" is the pattern \\ : a literal backslash. */
	T("{'Variable':'$.v','StringMatches':'a\\\\\\\\b'}", "{'v':'a\\\\b'}");
	F("{'Variable':'$.v','StringMatches':'a\\\\\\\\b'}", "{'v':'ab'}");
	/* \\ then * : a backslash, then a wildcard. */
	T("{'Variable':'$.v','StringMatches':'a\\\\\\\\*'}",
	    "{'v':'a\\\\xyz'}");
	F("{'Variable':'$.v','StringMatches':'a\\\\\\\\*'}", "{'v':'axyz'}");
	/* \\ then \* : a backslash and a star. */
	T("{'Variable':'$.v','StringMatches':'\\\\\\\\\\\\*'}",
	    "{'v':'\\\\*'}");
	F("{'Variable':'$.v','StringMatches':'\\\\\\\\\\\\*'}",
	    "{'v':'\\\\x'}");
}

static void
test_string_matches_open_escape(void **state)
{
	static const char want[] = "Invalid StringMatches pattern: an open "
	    "escape character '\\' must be followed by '*' or '\\'";

	(void)state;
	/* A trailing backslash, or one before another character. */
	assert_runtime_error("{'Variable':'$.v','StringMatches':'abc\\\\'}",
	    "{'v':'abc'}", SD_ERR_RUNTIME, want);
	assert_runtime_error("{'Variable':'$.v','StringMatches':'a\\\\bc'}",
	    "{'v':'abc'}", SD_ERR_RUNTIME, want);
	/* The value is still checked first: a non-string is just false. */
	F("{'Variable':'$.v','StringMatches':'a\\\\bc'}", "{'v':5}");
}

/* ------------------------------------------------------------ numbers */

static void
test_numeric_equals(void **state)
{
	(void)state;
	T("{'Variable':'$.v','NumericEquals':0}", "{'v':0}");
	T("{'Variable':'$.v','NumericEquals':0}", "{'v':0.0}");
	T("{'Variable':'$.v','NumericEquals':0.0}", "{'v':0}");
	T("{'Variable':'$.v','NumericEquals':1.0}", "{'v':1}");
	T("{'Variable':'$.v','NumericEquals':1}", "{'v':1.0}");
	T("{'Variable':'$.v','NumericEquals':-0.0}", "{'v':0}");
	T("{'Variable':'$.v','NumericEquals':2.22}", "{'v':2.22}");
	T("{'Variable':'$.v','NumericEquals':100}", "{'v':1e2}");
	F("{'Variable':'$.v','NumericEquals':1}", "{'v':1.1}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':1}");
	F("{'Variable':'$.v','NumericEquals':1}", "{'v':0.0}");
	/* Not a number: false. */
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':null}");
	F("{'Variable':'$.v','NumericEquals':1}", "{'v':'1'}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':''}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':false}");
	F("{'Variable':'$.v','NumericEquals':1}", "{'v':true}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':[]}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':[0]}");
	F("{'Variable':'$.v','NumericEquals':0}", "{'v':{'A':0}}");
	/* Integers beyond 2^53 compare exactly. */
	T("{'Variable':'$.v','NumericEquals':9007199254740993}",
	    "{'v':9007199254740993}");
	F("{'Variable':'$.v','NumericEquals':9007199254740993}",
	    "{'v':9007199254740992}");
	F("{'Variable':'$.v','NumericEquals':9007199254740992.0}",
	    "{'v':9007199254740993}");
	T("{'Variable':'$.v','NumericEquals':9223372036854775807}",
	    "{'v':9223372036854775807}");
	F("{'Variable':'$.v','NumericEquals':9223372036854775807}",
	    "{'v':9223372036854775808.0}");
	/* Path variant. */
	T("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':1,'w':1}");
	T("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':0,'w':0.0}");
	T("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':0.0,'w':0}");
	F("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':1.1,'w':1}");
	F("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':1,'w':'1'}");
	F("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':true,'w':1.0}");
	F("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':{},'w':0}");
	F("{'Variable':'$.v','NumericEqualsPath':'$.w'}", "{'v':0,'w':null}");
}

static void
test_numeric_order(void **state)
{
	(void)state;
	T("{'Variable':'$.v','NumericLessThan':1}", "{'v':0}");
	F("{'Variable':'$.v','NumericLessThan':1}", "{'v':1}");
	F("{'Variable':'$.v','NumericLessThan':0}", "{'v':0.0}");
	T("{'Variable':'$.v','NumericLessThan':1}", "{'v':0.999}");
	T("{'Variable':'$.v','NumericLessThan':-1.5}", "{'v':-2}");
	F("{'Variable':'$.v','NumericLessThan':-2}", "{'v':-1.5}");
	F("{'Variable':'$.v','NumericLessThan':5}", "{'v':'1'}");
	T("{'Variable':'$.v','NumericGreaterThan':0}", "{'v':1}");
	F("{'Variable':'$.v','NumericGreaterThan':0}", "{'v':0}");
	F("{'Variable':'$.v','NumericGreaterThan':0}", "{'v':0.0}");
	F("{'Variable':'$.v','NumericGreaterThan':1}", "{'v':0}");
	T("{'Variable':'$.v','NumericGreaterThan':1}", "{'v':1.0000001}");
	F("{'Variable':'$.v','NumericGreaterThan':-1}", "{'v':null}");
	T("{'Variable':'$.v','NumericLessThanEquals':0}", "{'v':0}");
	T("{'Variable':'$.v','NumericLessThanEquals':0}", "{'v':0.0}");
	T("{'Variable':'$.v','NumericLessThanEquals':1}", "{'v':0}");
	F("{'Variable':'$.v','NumericLessThanEquals':0}", "{'v':1}");
	F("{'Variable':'$.v','NumericLessThanEquals':0}", "{'v':false}");
	T("{'Variable':'$.v','NumericGreaterThanEquals':0}", "{'v':0}");
	T("{'Variable':'$.v','NumericGreaterThanEquals':0}", "{'v':0.0}");
	T("{'Variable':'$.v','NumericGreaterThanEquals':0}", "{'v':1}");
	F("{'Variable':'$.v','NumericGreaterThanEquals':1}", "{'v':0}");
	F("{'Variable':'$.v','NumericGreaterThanEquals':0}", "{'v':[1]}");
	/* Mixed integer / real near the int64 limits. */
	T("{'Variable':'$.v','NumericLessThan':9223372036854775808.0}",
	    "{'v':9223372036854775807}");
	T("{'Variable':'$.v','NumericGreaterThan':-9223372036854775809.0}",
	    "{'v':-9223372036854775807}");
	T("{'Variable':'$.v','NumericGreaterThan':1e300}", "{'v':1.7e308}");
	F("{'Variable':'$.v','NumericGreaterThan':1e300}",
	    "{'v':9223372036854775807}");
	T("{'Variable':'$.v','NumericLessThan':2.5}", "{'v':2}");
	F("{'Variable':'$.v','NumericLessThan':-2.5}", "{'v':-2}");
	T("{'Variable':'$.v','NumericGreaterThan':-2.5}", "{'v':-2}");
	/* Path variants. */
	T("{'Variable':'$.v','NumericLessThanPath':'$.w'}", "{'v':0,'w':1}");
	F("{'Variable':'$.v','NumericLessThanPath':'$.w'}", "{'v':1,'w':1}");
	F("{'Variable':'$.v','NumericLessThanPath':'$.w'}", "{'v':0.0,'w':0}");
	F("{'Variable':'$.v','NumericLessThanPath':'$.w'}", "{'v':0,'w':'1'}");
	T("{'Variable':'$.v','NumericGreaterThanPath':'$.w'}",
	    "{'v':2,'w':1.5}");
	F("{'Variable':'$.v','NumericGreaterThanPath':'$.w'}", "{'v':0,'w':0}");
	F("{'Variable':'$.v','NumericGreaterThanPath':'$.w'}",
	    "{'v':'2','w':1}");
	T("{'Variable':'$.v','NumericLessThanEqualsPath':'$.w'}",
	    "{'v':1,'w':1}");
	T("{'Variable':'$.v','NumericLessThanEqualsPath':'$.w'}",
	    "{'v':0,'w':1}");
	F("{'Variable':'$.v','NumericLessThanEqualsPath':'$.w'}",
	    "{'v':1,'w':0}");
	T("{'Variable':'$.v','NumericGreaterThanEqualsPath':'$.w'}",
	    "{'v':1,'w':1}");
	F("{'Variable':'$.v','NumericGreaterThanEqualsPath':'$.w'}",
	    "{'v':0,'w':1}");
	F("{'Variable':'$.v','NumericGreaterThanEqualsPath':'$.w'}",
	    "{'v':1,'w':false}");
}

/* ------------------------------------------------------------ booleans */

static void
test_boolean_equals(void **state)
{
	(void)state;
	T("{'Variable':'$.v','BooleanEquals':true}", "{'v':true}");
	F("{'Variable':'$.v','BooleanEquals':true}", "{'v':false}");
	T("{'Variable':'$.v','BooleanEquals':false}", "{'v':false}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':true}");
	F("{'Variable':'$.v','BooleanEquals':true}", "{'v':'true'}");
	F("{'Variable':'$.v','BooleanEquals':true}", "{'v':1}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':0}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':null}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':''}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':[]}");
	F("{'Variable':'$.v','BooleanEquals':false}", "{'v':{}}");
	T("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':true,'w':true}");
	T("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':false,'w':false}");
	F("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':false,'w':true}");
	F("{'Variable':'$.v','BooleanEqualsPath':'$.w'}", "{'v':0,'w':false}");
	F("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':false,'w':0}");
	F("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':null,'w':null}");
	/* A ...Path operand that selects nothing is an error. */
	assert_runtime_error("{'Variable':'$.v','BooleanEqualsPath':'$.w'}",
	    "{'v':true}", SD_ERR_RUNTIME, "Invalid path '$.w': The choice "
	    "state's condition path references an invalid value.");
}

/* ------------------------------------------------------------ timestamps */

static void
test_timestamp_ops(void **state)
{
	(void)state;
	T("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:56Z'}");
	/* The same instant written differently. */
	T("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T20:00:55+01:00'}");
	T("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55.000Z'}");
	T("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55.5Z'}",
	    "{'v':'2012-10-09T19:00:55.500000000Z'}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55.000000001Z'}");
	/* Not a timestamp: false. */
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55'}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2023-02-24 12:15:56.832957'}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':''}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':null}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':1349809255}");
	F("{'Variable':'$.v','TimestampEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':['2012-10-09T19:00:55Z']}");
	T("{'Variable':'$.v','TimestampLessThan':'2012-10-09T19:00:56Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampLessThan':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampLessThan':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:56Z'}");
	T("{'Variable':'$.v','TimestampLessThan':'2012-10-09T19:00:55.1Z'}",
	    "{'v':'2012-10-09T19:00:55.099999999Z'}");
	T("{'Variable':'$.v','TimestampLessThan':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:56+00:01'}");
	T("{'Variable':'$.v','TimestampGreaterThan':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:56Z'}");
	F("{'Variable':'$.v','TimestampGreaterThan':'2012-10-09T19:00:56Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	T("{'Variable':'$.v','TimestampGreaterThan':'1969-12-31T23:59:59Z'}",
	    "{'v':'9999-12-31T23:59:59Z'}");
	T("{'Variable':'$.v','TimestampLessThan':'0001-01-01T00:00:00Z'}",
	    "{'v':'0000-12-31T23:59:59.999999999Z'}");
	T("{'Variable':'$.v','TimestampLessThanEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	T("{'Variable':'$.v','TimestampLessThanEquals':'2012-10-09T19:00:56Z'}",
	    "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampLessThanEquals':'2012-10-09T19:00:55Z'}",
	    "{'v':'2012-10-09T19:00:56Z'}");
	T("{'Variable':'$.v','TimestampGreaterThanEquals':"
	    "'2012-10-09T19:00:55Z'}", "{'v':'2012-10-09T19:00:55Z'}");
	T("{'Variable':'$.v','TimestampGreaterThanEquals':"
	    "'2012-10-09T19:00:55Z'}", "{'v':'2012-10-09T19:00:56Z'}");
	F("{'Variable':'$.v','TimestampGreaterThanEquals':"
	    "'2012-10-09T19:00:56Z'}", "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampGreaterThanEquals':"
	    "'2012-10-09T19:00:56Z'}", "{'v':false}");
}

static void
test_timestamp_path_ops(void **state)
{
	(void)state;
	T("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:56Z'}");
	T("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T21:00:55+02:00'}");
	F("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:55'}");
	F("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':0}");
	F("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':'x','w':'x'}");
	T("{'Variable':'$.v','TimestampLessThanPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:56Z'}");
	F("{'Variable':'$.v','TimestampLessThanPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:56Z','w':'2012-10-09T19:00:55Z'}");
	T("{'Variable':'$.v','TimestampGreaterThanPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:56Z','w':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampGreaterThanPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:56Z'}");
	T("{'Variable':'$.v','TimestampLessThanEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampLessThanEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:56Z','w':'2012-10-09T19:00:55Z'}");
	T("{'Variable':'$.v','TimestampGreaterThanEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','TimestampGreaterThanEqualsPath':'$.w'}",
	    "{'v':'2012-10-09T19:00:55Z','w':'2012-10-09T19:00:56Z'}");
}

/* ------------------------------------------------------------ Is* */

static void
test_is_operators(void **state)
{
	(void)state;
	T("{'Variable':'$.v','IsNull':true}", "{'v':null}");
	F("{'Variable':'$.v','IsNull':true}", "{'v':''}");
	F("{'Variable':'$.v','IsNull':true}", "{'v':false}");
	F("{'Variable':'$.v','IsNull':false}", "{'v':null}");
	T("{'Variable':'$.v','IsNull':false}", "{'v':0}");
	T("{'Variable':'$.v','IsNull':false}", "{'v':[]}");
	T("{'Variable':'$.v','IsNumeric':true}", "{'v':0}");
	T("{'Variable':'$.v','IsNumeric':true}", "{'v':0.0}");
	T("{'Variable':'$.v','IsNumeric':true}", "{'v':1.1}");
	F("{'Variable':'$.v','IsNumeric':true}", "{'v':'1'}");
	F("{'Variable':'$.v','IsNumeric':true}", "{'v':null}");
	F("{'Variable':'$.v','IsNumeric':true}", "{'v':false}");
	T("{'Variable':'$.v','IsNumeric':false}", "{'v':null}");
	T("{'Variable':'$.v','IsNumeric':false}", "{'v':'HelloWorld'}");
	F("{'Variable':'$.v','IsNumeric':false}", "{'v':1}");
	T("{'Variable':'$.v','IsString':true}", "{'v':''}");
	T("{'Variable':'$.v','IsString':true}", "{'v':'2012-10-09T19:00:55Z'}");
	F("{'Variable':'$.v','IsString':true}", "{'v':0}");
	F("{'Variable':'$.v','IsString':true}", "{'v':['']}");
	T("{'Variable':'$.v','IsString':false}", "{'v':null}");
	T("{'Variable':'$.v','IsString':false}", "{'v':{}}");
	F("{'Variable':'$.v','IsString':false}", "{'v':' '}");
	T("{'Variable':'$.v','IsBoolean':true}", "{'v':true}");
	T("{'Variable':'$.v','IsBoolean':true}", "{'v':false}");
	F("{'Variable':'$.v','IsBoolean':true}", "{'v':'true'}");
	F("{'Variable':'$.v','IsBoolean':true}", "{'v':1}");
	F("{'Variable':'$.v','IsBoolean':false}", "{'v':false}");
	T("{'Variable':'$.v','IsBoolean':false}", "{'v':0}");
	T("{'Variable':'$.v','IsBoolean':false}", "{'v':{'A':0}}");
}

static void
test_is_present(void **state)
{
	(void)state;
	T("{'Variable':'$.v','IsPresent':true}", "{'v':null}");
	T("{'Variable':'$.v','IsPresent':true}", "{'v':false}");
	T("{'Variable':'$.v','IsPresent':true}", "{'v':''}");
	F("{'Variable':'$.v','IsPresent':false}", "{'v':null}");
	F("{'Variable':'$.v','IsPresent':false}", "{'v':[]}");
	/* Missing: no error under IsPresent. */
	F("{'Variable':'$.v','IsPresent':true}", "{'w':1}");
	T("{'Variable':'$.v','IsPresent':false}", "{'w':1}");
	F("{'Variable':'$.v.x.y','IsPresent':true}", "{'v':{'x':1}}");
	T("{'Variable':'$.v.x.y','IsPresent':false}", "{'v':5}");
	T("{'Not':{'Variable':'$.v','IsPresent':true}}", "{}");
}

static void
test_is_timestamp(void **state)
{
	(void)state;
	T("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2016-03-14T01:59:00Z'}");
	T("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2016-03-14T01:59:00.123456789+02:00'}");
	T("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:55+01:00'}");
	T("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'9999-12-31T23:59:59Z'}");
	T("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2016-02-29T00:00:00Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2015-02-29T00:00:00Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:55'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09t19:00:55Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:55z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09 19:00:55Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}", "{'v':'2023-02-24'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:60Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T24:00:00Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:55.1234567891Z'}");
	F("{'Variable':'$.v','IsTimestamp':true}",
	    "{'v':'2012-10-09T19:00:55Z\\u0000'}");
	F("{'Variable':'$.v','IsTimestamp':true}", "{'v':1349809255}");
	F("{'Variable':'$.v','IsTimestamp':true}", "{'v':null}");
	T("{'Variable':'$.v','IsTimestamp':false}", "{'v':'HelloWorld'}");
	T("{'Variable':'$.v','IsTimestamp':false}", "{'v':0}");
	F("{'Variable':'$.v','IsTimestamp':false}",
	    "{'v':'2016-03-14T01:59:00Z'}");
}

/* ------------------------------------------------------------ And/Or/Not */

static void
test_boolean_rules(void **state)
{
	static const char range[] = "{'And':["
	    "{'Variable':'$.value','IsPresent':true},"
	    "{'Variable':'$.value','IsNumeric':true},"
	    "{'Variable':'$.value','NumericGreaterThanEquals':20},"
	    "{'Variable':'$.value','NumericLessThan':30}]}";

	(void)state;
	T(range, "{'value':22}");
	T(range, "{'value':20}");
	F(range, "{'value':30}");
	F(range, "{'value':'25'}");
	/* And stops at the first false: the missing $.value is not read. */
	F(range, "{}");
	T("{'Or':[{'Variable':'$.a','NumericEquals':1},"
	    "{'Variable':'$.b','NumericEquals':2}]}", "{'a':0,'b':2}");
	F("{'Or':[{'Variable':'$.a','NumericEquals':1},"
	    "{'Variable':'$.b','NumericEquals':2}]}", "{'a':0,'b':0}");
	/* Or stops at the first true. */
	T("{'Or':[{'Variable':'$.a','NumericEquals':1},"
	    "{'Variable':'$.missing','NumericEquals':2}]}", "{'a':1}");
	T("{'Not':{'Variable':'$.type','StringEquals':'Private'}}",
	    "{'type':'Public'}");
	F("{'Not':{'Variable':'$.type','StringEquals':'Private'}}",
	    "{'type':'Private'}");
	T("{'Not':{'Not':{'Variable':'$.a','BooleanEquals':true}}}",
	    "{'a':true}");
	/* Single-element And. */
	T("{'And':[{'Variable':'$.type','StringEquals':'Public'}]}",
	    "{'type':'Public'}");
	/* Nesting mixes. */
	T("{'Or':[{'And':[{'Variable':'$.a','IsNull':true},"
	    "{'Not':{'Variable':'$.b','IsPresent':true}}]},"
	    "{'Variable':'$.c','StringMatches':'x*'}]}", "{'a':null}");
	T("{'Or':[{'And':[{'Variable':'$.a','IsNull':true},"
	    "{'Not':{'Variable':'$.b','IsPresent':true}}]},"
	    "{'Variable':'$.c','StringMatches':'x*'}]}",
	    "{'a':null,'b':1,'c':'xy'}");
	F("{'Or':[{'And':[{'Variable':'$.a','IsNull':true},"
	    "{'Not':{'Variable':'$.b','IsPresent':true}}]},"
	    "{'Variable':'$.c','StringMatches':'x*'}]}",
	    "{'a':null,'b':1,'c':'yx'}");
	/* An error inside Not is not turned into a match. */
	assert_runtime_error("{'Not':{'Variable':'$.x','NumericEquals':1}}",
	    "{}", SD_ERR_RUNTIME, "Invalid path '$.x': The choice state's "
	    "condition path references an invalid value.");
	assert_runtime_error("{'And':[{'Variable':'$.a','IsNull':false},"
	    "{'Variable':'$.x','NumericEquals':1}]}", "{'a':1}",
	    SD_ERR_RUNTIME, "Invalid path '$.x': The choice state's condition "
	    "path references an invalid value.");
}

/* ---------------------------------------------------- runtime errors */

static void
test_missing_paths(void **state)
{
	static const char *const rules[] = {
		"{'Variable':'$.x','StringEquals':'a'}",
		"{'Variable':'$.x','NumericEquals':1}",
		"{'Variable':'$.x','NumericLessThanPath':'$.w'}",
		"{'Variable':'$.x','BooleanEquals':true}",
		"{'Variable':'$.x','TimestampEquals':'2012-10-09T19:00:55Z'}",
		"{'Variable':'$.x','StringMatches':'*'}",
		"{'Variable':'$.x','IsNull':true}",
		"{'Variable':'$.x','IsNull':false}",
		"{'Variable':'$.x','IsNumeric':false}",
		"{'Variable':'$.x','IsString':false}",
		"{'Variable':'$.x','IsBoolean':false}",
		"{'Variable':'$.x','IsTimestamp':false}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		assert_runtime_error(rules[i], "{'w':1}", SD_ERR_RUNTIME,
		    "Invalid path '$.x': The choice state's condition path "
		    "references an invalid value.");
	/* The path is quoted as written. */
	assert_runtime_error("{'Variable':'$.a.b','IsNull':true}", "{'a':{}}",
	    SD_ERR_RUNTIME, "Invalid path '$.a.b': The choice state's "
	    "condition path references an invalid value.");
	/* ...Path operands: the Variable is checked first. */
	assert_runtime_error("{'Variable':'$.v','NumericLessThanPath':'$.w'}",
	    "{'v':1}", SD_ERR_RUNTIME, "Invalid path '$.w': The choice "
	    "state's condition path references an invalid value.");
	assert_runtime_error("{'Variable':'$.v','StringEqualsPath':'$.w'}",
	    "{'w':'a'}", SD_ERR_RUNTIME, "Invalid path '$.v': The choice "
	    "state's condition path references an invalid value.");
	assert_runtime_error("{'Variable':'$.v','TimestampEqualsPath':'$.w'}",
	    "{'v':5}", SD_ERR_RUNTIME, "Invalid path '$.w': The choice "
	    "state's condition path references an invalid value.");
}

static void
test_resolver_errors(void **state)
{
	struct ctx c;
	char msg[256];

	(void)state;
	memset(&c, 0, sizeof(c));
	c.input = load("{'v':1}");
	/* The resolver's own error passes through untouched. */
	c.fail = 1;
	assert_int_equal(run_ctx("{'Variable':'$.v','NumericEquals':1}", &c,
	    msg, sizeof(msg)), SD_ERR_INTRINSIC);
	assert_string_equal(msg, "resolver broke");
	/* A resolver that says SD_ERR_NOTFOUND means "selects nothing". */
	c.fail = 0;
	c.notfound = 1;
	assert_int_equal(run_ctx("{'Variable':'$.x','IsPresent':false}", &c,
	    msg, sizeof(msg)), 1);
	assert_int_equal(run_ctx("{'Variable':'$.x','NumericEquals':1}", &c,
	    msg, sizeof(msg)), SD_ERR_RUNTIME);
	assert_string_equal(msg, "Invalid path '$.x': The choice state's "
	    "condition path references an invalid value.");
	json_decref(c.input);
}

static void
test_roots(void **state)
{
	struct ctx c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.input = load("{'v':1}");
	c.context = load("{'Execution':{'Input':{'input-value':0}}}");
	c.vars = load("{'status':'CORRECT','n':{'x':5}}");
	assert_int_equal(run_ctx("{'Variable':'$$.Execution.Input.input-value',"
	    "'NumericLessThanEquals':0}", &c, NULL, 0), 1);
	assert_int_equal(run_ctx("{'Variable':'$status',"
	    "'StringEquals':'CORRECT'}", &c, NULL, 0), 1);
	assert_int_equal(run_ctx("{'Variable':'$n.x',"
	    "'NumericGreaterThanPath':'$.v'}", &c, NULL, 0), 1);
	assert_int_equal(run_ctx("{'Variable':'$nope','IsPresent':true}", &c,
	    NULL, 0), 0);
	/* Two resolves for a ...Path comparison, one for a literal. */
	c.calls = 0;
	assert_int_equal(run_ctx("{'Variable':'$.v','NumericEqualsPath':'$.v'}",
	    &c, NULL, 0), 1);
	assert_int_equal(c.calls, 2);
	c.calls = 0;
	assert_int_equal(run_ctx("{'Variable':'$.v','NumericEquals':1}", &c,
	    NULL, 0), 1);
	assert_int_equal(c.calls, 1);
	json_decref(c.input);
	json_decref(c.context);
	json_decref(c.vars);
}

/* ------------------------------------------------------------ top rules */

static void
test_top_rule_fields(void **state)
{
	struct sd_choice_rule *c;
	json_t *a;

	(void)state;
	c = compile_ok("{'Variable':'$.v','NumericEquals':42,'Next':'Final',"
	    "'Comment':'answer','Assign':{'status':'CORRECT'}}", 1);
	assert_string_equal(sd_choice_next(c), "Final");
	a = sd_choice_assign(c);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "status")),
	    "CORRECT");
	assert_null(sd_choice_output(c));
	sd_choice_free(c);

	c = compile_ok("{'Not':{'Variable':'$.v','IsNull':true},"
	    "'Next':'N','Output':{'x.$':'$.v'}}", 1);
	assert_string_equal(sd_choice_next(c), "N");
	assert_null(sd_choice_assign(c));
	assert_non_null(sd_choice_output(c));
	sd_choice_free(c);

	/* Nested rules carry no Next; Comment is accepted anywhere. */
	c = compile_ok("{'Variable':'$.v','IsNull':true,'Comment':'c'}", 0);
	assert_null(sd_choice_next(c));
	sd_choice_free(c);

	/* Unsorted fields are fine. */
	c = compile_ok("{'BooleanEquals':true,'Next':'FinishTrue',"
	    "'Variable':'$.result.done'}", 1);
	assert_string_equal(sd_choice_next(c), "FinishTrue");
	sd_choice_free(c);

	sd_choice_free(NULL);
	assert_null(sd_choice_next(NULL));
}

static void
test_every_operator_compiles(void **state)
{
	static const char *const ops[][2] = {
		{ "StringEquals", "'a'" }, { "StringEqualsPath", "'$.a'" },
		{ "StringLessThan", "'a'" }, { "StringLessThanPath", "'$.a'" },
		{ "StringGreaterThan", "'a'" },
		{ "StringGreaterThanPath", "'$.a'" },
		{ "StringLessThanEquals", "'a'" },
		{ "StringLessThanEqualsPath", "'$.a'" },
		{ "StringGreaterThanEquals", "'a'" },
		{ "StringGreaterThanEqualsPath", "'$.a'" },
		{ "StringMatches", "'a*'" },
		{ "NumericEquals", "1" }, { "NumericEqualsPath", "'$.a'" },
		{ "NumericLessThan", "1.5" },
		{ "NumericLessThanPath", "'$.a'" },
		{ "NumericGreaterThan", "-1" },
		{ "NumericGreaterThanPath", "'$.a'" },
		{ "NumericLessThanEquals", "0" },
		{ "NumericLessThanEqualsPath", "'$.a'" },
		{ "NumericGreaterThanEquals", "1e3" },
		{ "NumericGreaterThanEqualsPath", "'$.a'" },
		{ "BooleanEquals", "true" }, { "BooleanEqualsPath", "'$.a'" },
		{ "TimestampEquals", "'2016-03-14T01:59:00Z'" },
		{ "TimestampEqualsPath", "'$.a'" },
		{ "TimestampLessThan", "'2016-03-14T01:59:00Z'" },
		{ "TimestampLessThanPath", "'$.a'" },
		{ "TimestampGreaterThan", "'2016-03-14T01:59:00Z'" },
		{ "TimestampGreaterThanPath", "'$.a'" },
		{ "TimestampLessThanEquals", "'2016-03-14T01:59:00Z'" },
		{ "TimestampLessThanEqualsPath", "'$.a'" },
		{ "TimestampGreaterThanEquals", "'2016-03-14T01:59:00Z'" },
		{ "TimestampGreaterThanEqualsPath", "'$.a'" },
		{ "IsNull", "true" }, { "IsPresent", "false" },
		{ "IsNumeric", "true" }, { "IsString", "true" },
		{ "IsBoolean", "true" }, { "IsTimestamp", "true" },
	};
	char buf[256];
	size_t i;
	int n;

	(void)state;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		n = snprintf(buf, sizeof(buf), "{'Variable':'$.v','%s':%s,"
		    "'Next':'N'}", ops[i][0], ops[i][1]);
		assert_true(n > 0 && (size_t)n < sizeof(buf));
		sd_choice_free(compile_ok(buf, 1));
	}
}

/* ---------------------------------------------------- compile errors */

struct bad {
	const char	*rule;
	int		 top;
	const char	*location;
	const char	*message;	/* exact, or a prefix ending in '*' */
};

static const struct bad bad_rules[] = {
	/* Operand types. */
	{ "{'Variable':'$.v','NumericEquals':'1','Next':'N'}", 1,
	    LOC "/NumericEquals", "expected a number" },
	{ "{'Variable':'$.v','NumericLessThan':true,'Next':'N'}", 1,
	    LOC "/NumericLessThan", "expected a number" },
	{ "{'Variable':'$.v','StringEquals':1,'Next':'N'}", 1,
	    LOC "/StringEquals", "expected a string" },
	{ "{'Variable':'$.v','StringGreaterThanEquals':null,'Next':'N'}", 1,
	    LOC "/StringGreaterThanEquals", "expected a string" },
	{ "{'Variable':'$.v','StringMatches':['*'],'Next':'N'}", 1,
	    LOC "/StringMatches", "expected a string" },
	{ "{'Variable':'$.v','BooleanEquals':'true','Next':'N'}", 1,
	    LOC "/BooleanEquals", "expected a boolean" },
	{ "{'Variable':'$.v','IsNull':1,'Next':'N'}", 1,
	    LOC "/IsNull", "expected a boolean" },
	{ "{'Variable':'$.v','IsPresent':'true','Next':'N'}", 1,
	    LOC "/IsPresent", "expected a boolean" },
	{ "{'Variable':'$.v','IsTimestamp':null,'Next':'N'}", 1,
	    LOC "/IsTimestamp", "expected a boolean" },
	{ "{'Variable':'$.v','TimestampEquals':5,'Next':'N'}", 1,
	    LOC "/TimestampEquals", "expected a string" },
	{ "{'Variable':'$.v','TimestampLessThan':'2016-03-14','Next':'N'}", 1,
	    LOC "/TimestampLessThan", "the value \"2016-03-14\" is not an "
	    "RFC 3339 timestamp (like 2016-03-14T01:59:00Z)" },
	{ "{'Variable':'$.v','TimestampEquals':'2016-03-14T01:59:00',"
	    "'Next':'N'}", 1, LOC "/TimestampEquals", "the value "
	    "\"2016-03-14T01:59:00\" is not an RFC 3339 timestamp "
	    "(like 2016-03-14T01:59:00Z)" },
	{ "{'Variable':'$.v','NumericEqualsPath':5,'Next':'N'}", 1,
	    LOC "/NumericEqualsPath", "expected a string" },
	{ "{'Variable':'$.v','BooleanEqualsPath':true,'Next':'N'}", 1,
	    LOC "/BooleanEqualsPath", "expected a string" },
	{ "{'Variable':'$.v','NumericLessThanPath':'v','Next':'N'}", 1,
	    LOC "/NumericLessThanPath",
	    "the value \"v\" is not a valid JSONPath: *" },
	/* Variable. */
	{ "{'NumericEquals':1,'Next':'N'}", 1, LOC,
	    "missing required field \"Variable\"" },
	{ "{'Variable':5,'NumericEquals':1,'Next':'N'}", 1,
	    LOC "/Variable", "expected a string" },
	{ "{'Variable':'foo','NumericEquals':1,'Next':'N'}", 1,
	    LOC "/Variable", "the value \"foo\" is not a valid JSONPath: *" },
	{ "{'Variable':'','IsNull':true}", 0,
	    LOC "/Variable", "the value \"\" is not a valid JSONPath: *" },
	{ "{'Variable':'$.v','Next':'N'}", 1, LOC,
	    "missing comparison operator" },
	{ "{'Not':{'Variable':'$.v','IsNull':true},'Variable':'$.v',"
	    "'Next':'N'}", 1, LOC "/Variable",
	    "field \"Variable\" is not allowed with \"Not\"" },
	/* Operators. */
	{ "{'Variable':'$.v','NumericEquals':1,'NumericLessThan':2,"
	    "'Next':'N'}", 1, LOC "/NumericLessThan",
	    "a Choice Rule takes exactly one comparison operator or And, Or, "
	    "Not (found \"NumericEquals\" and \"NumericLessThan\")" },
	{ "{'And':[{'Variable':'$.v','IsNull':true}],'Variable':'$.v',"
	    "'IsNull':true,'Next':'N'}", 1, LOC "/IsNull",
	    "a Choice Rule takes exactly one comparison operator or And, Or, "
	    "Not (found \"And\" and \"IsNull\")" },
	{ "{'Next':'N'}", 1, LOC, "a Choice Rule needs \"Variable\" and a "
	    "comparison operator, or one of \"And\", \"Or\", \"Not\"" },
	{ "{}", 0, LOC, "a Choice Rule needs \"Variable\" and a "
	    "comparison operator, or one of \"And\", \"Or\", \"Not\"" },
	/* Unknown fields, at their own location. */
	{ "{'Variable':'$.v','NumericEquals':1,'End':true}", 1, LOC "/End",
	    "field \"End\" is not allowed in a Choice Rule" },
	{ "{'Variable':'$.v','NumericEqual':1,'Next':'N'}", 1,
	    LOC "/NumericEqual",
	    "field \"NumericEqual\" is not allowed in a Choice Rule" },
	{ "{'Condition':true,'Next':'N'}", 1, LOC "/Condition",
	    "field \"Condition\" is not allowed in a Choice Rule" },
	{ "{'Variable':'$.v','numericequals':1,'Next':'N'}", 1,
	    LOC "/numericequals",
	    "field \"numericequals\" is not allowed in a Choice Rule" },
	/* Next. */
	{ "{'Variable':'$.v','NumericEquals':1}", 1, LOC,
	    "missing required field \"Next\"" },
	{ "{'Variable':'$.v','NumericEquals':1,'Next':5}", 1, LOC "/Next",
	    "expected a string" },
	{ "{'Variable':'$.v','NumericEquals':1,'Next':'N'}", 0, LOC "/Next",
	    "field \"Next\" is not allowed in a nested Choice Rule" },
	{ "{'And':[{'Variable':'$.v','IsNull':true,'Next':'N'}],'Next':'N'}",
	    1, LOC "/And[0]/Next",
	    "field \"Next\" is not allowed in a nested Choice Rule" },
	{ "{'Not':{'Variable':'$.v','IsNull':true,'Assign':{}},'Next':'N'}",
	    1, LOC "/Not/Assign",
	    "field \"Assign\" is not allowed in a nested Choice Rule" },
	{ "{'Variable':'$.v','IsNull':true,'Next':'N','Assign':[1]}", 1,
	    LOC "/Assign", "expected an object" },
	{ "{'Variable':'$.v','IsNull':true,'Next':'N','Comment':1}", 1,
	    LOC "/Comment", "expected a string" },
	/* And / Or / Not shapes. */
	{ "{'And':[],'Next':'N'}", 1, LOC "/And",
	    "expected a non-empty array" },
	{ "{'Or':{},'Next':'N'}", 1, LOC "/Or", "expected a non-empty array" },
	{ "{'Not':[],'Next':'N'}", 1, LOC "/Not", "expected an object" },
	{ "{'Not':null,'Next':'N'}", 1, LOC "/Not", "expected an object" },
	{ "{'And':[1],'Next':'N'}", 1, LOC "/And[0]", "expected an object" },
	{ "{'Or':[{'Variable':'$.a','IsNull':true},{'Not':{'Variable':'$.b',"
	    "'NumericEquals':'x'}}],'Next':'N'}", 1,
	    LOC "/Or[1]/Not/NumericEquals", "expected a number" },
	{ "{'And':[{'Variable':'$.a','IsNull':true},{'Or':["
	    "{'Variable':'$.b','IsNull':true},{'Variable':'$.c',"
	    "'Bogus':1}]}],'Next':'N'}", 1, LOC "/And[1]/Or[1]/Bogus",
	    "field \"Bogus\" is not allowed in a Choice Rule" },
	{ "5", 1, LOC, "expected an object" },
	{ "[]", 0, LOC, "expected an object" },
};

static void
test_compile_errors(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *c;
	const struct bad *b;
	size_t i, n;
	json_t *j;
	int r;

	(void)state;
	for (i = 0; i < sizeof(bad_rules) / sizeof(bad_rules[0]); i++) {
		b = &bad_rules[i];
		j = load(b->rule);
		c = (struct sd_choice_rule *)&err;	/* must be reset */
		r = sd_choice_compile(j, b->top, LOC, &c, &err);
		json_decref(j);
		if (r != SD_ERR_INVALID)
			fail_msg("%s: got %d, want SD_ERR_INVALID", b->rule, r);
		assert_null(c);
		assert_int_equal(err.code, SD_ERR_INVALID);
		assert_non_null(err.location);
		assert_non_null(err.message);
		if (strcmp(err.location, b->location) != 0)
			fail_msg("%s: location %s, want %s", b->rule,
			    err.location, b->location);
		n = strlen(b->message);
		if (n > 0 && b->message[n - 1] == '*') {
			if (strncmp(err.message, b->message, n - 1) != 0)
				fail_msg("%s: message \"%s\", want \"%s\"",
				    b->rule, err.message, b->message);
		} else if (strcmp(err.message, b->message) != 0)
			fail_msg("%s: message \"%s\", want \"%s\"", b->rule,
			    err.message, b->message);
		sd_error_clear(&err);
	}
}

static void
test_depth_limit(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *c = NULL;
	json_t *rule, *inner;
	int i, r;

	(void)state;
	/* 64 levels of Not are fine. */
	rule = load("{'Variable':'$.v','IsNull':true}");
	for (i = 0; i < 64; i++) {
		inner = rule;
		rule = json_pack("{s:o}", "Not", inner);
		assert_non_null(rule);
	}
	r = sd_choice_compile(rule, 0, LOC, &c, &err);
	assert_int_equal(r, 0);
	sd_choice_free(c);
	/* 65 are not. */
	rule = json_pack("{s:o}", "Not", rule);
	r = sd_choice_compile(rule, 0, LOC, &c, &err);
	assert_int_equal(r, SD_ERR_LIMIT);
	assert_null(c);
	assert_non_null(err.location);
	assert_int_equal(strncmp(err.location, LOC "/Not/Not/Not",
	    sizeof(LOC "/Not/Not/Not") - 1), 0);
	assert_int_equal(strlen(err.location), strlen(LOC) + 65 * 4);
	assert_string_equal(err.message,
	    "Choice Rules nested deeper than 64 levels");
	json_decref(rule);
	sd_error_clear(&err);
}

static void
test_bad_arguments(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_choice_rule *c;
	struct ctx x;
	int m = 7;

	(void)state;
	memset(&x, 0, sizeof(x));
	x.input = load("{'v':null}");
	assert_int_equal(sd_choice_compile(NULL, 1, LOC, NULL, &err),
	    SD_ERR_INTERNAL);
	sd_error_clear(&err);
	assert_int_equal(sd_choice_compile(NULL, 1, LOC, &c, &err),
	    SD_ERR_INVALID);
	assert_null(c);
	sd_error_clear(&err);
	c = compile_ok("{'Variable':'$.v','IsNull':true}", 0);
	assert_int_equal(sd_choice_eval(c, NULL, NULL, &m, &err),
	    SD_ERR_INTERNAL);
	sd_error_clear(&err);
	/* A NULL error is allowed. */
	assert_int_equal(sd_choice_eval(c, resolver, &x, &m, NULL), 0);
	assert_int_equal(m, 1);
	sd_choice_free(c);
	json_decref(x.input);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_equals),
		cmocka_unit_test(test_string_order),
		cmocka_unit_test(test_string_order_utf16),
		cmocka_unit_test(test_string_matches),
		cmocka_unit_test(test_string_matches_escapes),
		cmocka_unit_test(test_string_matches_open_escape),
		cmocka_unit_test(test_numeric_equals),
		cmocka_unit_test(test_numeric_order),
		cmocka_unit_test(test_boolean_equals),
		cmocka_unit_test(test_timestamp_ops),
		cmocka_unit_test(test_timestamp_path_ops),
		cmocka_unit_test(test_is_operators),
		cmocka_unit_test(test_is_present),
		cmocka_unit_test(test_is_timestamp),
		cmocka_unit_test(test_boolean_rules),
		cmocka_unit_test(test_missing_paths),
		cmocka_unit_test(test_resolver_errors),
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_top_rule_fields),
		cmocka_unit_test(test_every_operator_compiles),
		cmocka_unit_test(test_compile_errors),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_bad_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
