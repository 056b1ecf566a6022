/*
 * test_lint: the definition lint (validator/sd_lint.h). One test per rule
 * checks the exact finding (severity, code, location); then the lint
 * corpus (../shared/lint-corpus, or $SHARED/lint-corpus): every valid/ file
 * without an ERROR, every invalid/ file with one, except the files listed
 * in tests/lint/known-differences (or $LINT_KNOWN_DIFFERENCES), which must
 * get the opposite verdict.
 *
 * Definitions are written with ' for " and ^ for ' (q() converts them);
 * ^^ is a literal ^.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_lint.h"

#define ERR	SD_LINT_ERROR
#define WARN	SD_LINT_WARNING

/* A machine of the given states, starting at A. */
#define M(states)	"{'StartAt':'A','States':{" states "}}"
/* The same in JSONata. */
#define MJ(states)	"{'QueryLanguage':'JSONata','StartAt':'A','States':{" \
			states "}}"
#define END		"'End':true"
#define PASS(name)	"'" name "':{'Type':'Pass','End':true}"
#define LAMBDA		"'arn:aws:lambda:us-east-1:123456789012:function:f'"

static char *
q(const char *s)
{
	char *t, *p;

	if ((t = strdup(s)) == NULL)
		return NULL;
	for (p = t; *s != '\0'; s++) {
		if (*s == '\'')
			*p++ = '"';
		else if (*s == '^' && s[1] == '^')
			*p++ = *s++;
		else if (*s == '^')
			*p++ = '\'';
		else
			*p++ = *s;
	}
	*p = '\0';
	return t;
}

static struct sd_lint_report *
lint_q(const char *src, const struct sd_lint_opts *o)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lint_report *rep = NULL;
	char *t = q(src);

	assert_non_null(t);
	assert_int_equal(sd_lint(t, strlen(t), o, &rep, &err), 0);
	assert_non_null(rep);
	free(t);
	return rep;
}

static void
dump(const struct sd_lint_report *rep)
{
	const struct sd_lint_finding *f;
	size_t i;

	for (i = 0; i < sd_lint_count(rep); i++) {
		f = sd_lint_get(rep, i);
		fprintf(stderr, "    %s %s %s: %s\n",
		    sd_lint_severity_name(f->severity), f->code,
		    f->location != NULL ? f->location : "(none)", f->message);
	}
}

static const struct sd_lint_finding *
find(const struct sd_lint_report *rep, const char *code, const char *loc)
{
	const struct sd_lint_finding *f;
	size_t i;

	for (i = 0; i < sd_lint_count(rep); i++) {
		f = sd_lint_get(rep, i);
		if (strcmp(f->code, code) != 0)
			continue;
		if (loc == NULL ? f->location == NULL : (f->location != NULL &&
		    strcmp(f->location, loc) == 0))
			return f;
	}
	return NULL;
}

/* The definition has finding (sev, code, loc); its message contains msg. */
static void
expect_o(const char *src, const struct sd_lint_opts *o, int sev,
    const char *code, const char *loc, const char *msg)
{
	struct sd_lint_report *rep = lint_q(src, o);
	const struct sd_lint_finding *f = find(rep, code, loc);

	if (f == NULL || (int)f->severity != sev ||
	    (msg != NULL && strstr(f->message, msg) == NULL)) {
		fprintf(stderr, "  definition: %s\n  findings:\n", src);
		dump(rep);
		sd_lint_report_free(rep);
		fail_msg("want %s %s at %s%s%s", sev == ERR ? "ERROR" : "WARNING",
		    code, loc != NULL ? loc : "(none)", msg != NULL ?
		    " saying: " : "", msg != NULL ? msg : "");
	}
	sd_lint_report_free(rep);
}

static void
expect(const char *src, int sev, const char *code, const char *loc)
{
	expect_o(src, NULL, sev, code, loc, NULL);
}

static void
expect_msg(const char *src, int sev, const char *code, const char *loc,
    const char *msg)
{
	expect_o(src, NULL, sev, code, loc, msg);
}

/* No finding at all (errors nor warnings). */
static void
expect_clean_o(const char *src, const struct sd_lint_opts *o)
{
	struct sd_lint_report *rep = lint_q(src, o);

	if (sd_lint_count(rep) != 0) {
		fprintf(stderr, "  definition: %s\n  findings:\n", src);
		dump(rep);
		sd_lint_report_free(rep);
		fail_msg("want no findings");
	}
	sd_lint_report_free(rep);
}

static void
expect_clean(const char *src)
{
	expect_clean_o(src, NULL);
}

/* No finding with code. */
static void
expect_no(const char *src, const char *code)
{
	struct sd_lint_report *rep = lint_q(src, NULL);
	size_t i;

	for (i = 0; i < sd_lint_count(rep); i++) {
		if (strcmp(sd_lint_get(rep, i)->code, code) == 0) {
			fprintf(stderr, "  definition: %s\n  findings:\n", src);
			dump(rep);
			sd_lint_report_free(rep);
			fail_msg("want no %s", code);
		}
	}
	sd_lint_report_free(rep);
}

/* ------------------------------------------------------------ JSON */

static void
test_invalid_json(void **state)
{
	(void)state;
	expect_msg("{'StartAt': 'A',", ERR, "INVALID_JSON_DESCRIPTION", NULL,
	    "line 1");
	expect_msg("{'a':1}\n{'b':2}", ERR, "INVALID_JSON_DESCRIPTION", NULL,
	    "line 2");
}

static void
test_duplicate_key(void **state)
{
	(void)state;
	/* Reported, and the rest is still checked (the later value wins). */
	expect_msg(M("'A':{'Type':'Pass','End':true,'End':true,'Bogus':1}"),
	    ERR, "INVALID_JSON_DESCRIPTION", NULL, "duplicate");
	expect(M("'A':{'Type':'Pass','End':true,'End':true,'Bogus':1}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Bogus");
}

static void
test_missing_description(void **state)
{
	(void)state;
	expect("", ERR, "MISSING_DESCRIPTION", "/");
	expect("  \n ", ERR, "MISSING_DESCRIPTION", "/");
	expect("null", ERR, "MISSING_DESCRIPTION", "/");
}

static void
test_too_large(void **state)
{
	struct sd_lint_opts o;

	(void)state;
	sd_lint_opts_default(&o);
	o.max_size = 20;
	expect_o(M(PASS("A")), &o, ERR, "DEFINITION_TOO_LARGE", "/", NULL);
}

static void
test_not_an_object(void **state)
{
	(void)state;
	expect("[1,2]", ERR, "SCHEMA_VALIDATION_FAILED", "/");
	expect("'x'", ERR, "SCHEMA_VALIDATION_FAILED", "/");
}

/* ------------------------------------------------------------ top level */

static void
test_top_fields(void **state)
{
	(void)state;
	expect("{'States':{" PASS("A") "}}", ERR, "SCHEMA_VALIDATION_FAILED",
	    "/");
	expect("{'StartAt':'A'}", ERR, "SCHEMA_VALIDATION_FAILED", "/");
	expect("{'StartAt':'A','States':{}}", ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States");
	expect("{'StartAt':1,'States':{" PASS("A") "}}", ERR,
	    "SCHEMA_VALIDATION_FAILED", "/StartAt");
	expect("{'StartAt':'A','Foo':1,'States':{" PASS("A") "}}", ERR,
	    "SCHEMA_VALIDATION_FAILED", "/Foo");
	expect("{'StartAt':'A','Version':'2.0','States':{" PASS("A") "}}", ERR,
	    "SCHEMA_VALIDATION_FAILED", "/Version");
	expect("{'StartAt':'A','TimeoutSeconds':0,'States':{" PASS("A") "}}",
	    ERR, "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds");
	expect("{'StartAt':'A','QueryLanguage':'XPath','States':{" PASS("A")
	    "}}", ERR, "SCHEMA_VALIDATION_FAILED", "/QueryLanguage");
	expect_clean("{'Comment':'c','Version':'1.0','TimeoutSeconds':60,"
	    "'QueryLanguage':'JSONPath','StartAt':'A','States':{" PASS("A")
	    "}}");
}

static void
test_start_at_target(void **state)
{
	(void)state;
	expect_msg("{'StartAt':'Nope','States':{" PASS("A") "}}", ERR,
	    "MISSING_TRANSITION_TARGET", "/StartAt",
	    "Missing 'StartAt' target: Nope");
}

/* ------------------------------------------------------------ transitions */

static void
test_next_target(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Pass','Next':'NOPE'}," PASS("B")), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/A/Next",
	    "Missing 'Next' target: NOPE");
}

static void
test_choice_targets(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'B'},{'Variable':'$.x','IsNull':false,"
	    "'Next':'NOPE'}],'Default':'B'}," PASS("B")), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/A/Choices[1]/Next",
	    "Missing 'Next' target: NOPE");
	expect_msg(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'B'}],'Default':'ZZ'}," PASS("B")), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/A/Default",
	    "Missing 'Default' target: ZZ");
}

static void
test_catch_target(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'NOPE'}]}"), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/A/Catch[0]/Next",
	    "Missing 'Next' target: NOPE");
}

static void
test_unreachable(void **state)
{
	(void)state;
	expect_msg(M(PASS("A") "," PASS("B") ",'C':{'Type':'Pass','Next':'B'}"),
	    ERR, "MISSING_TRANSITION_TARGET", "/States/C",
	    "State \"C\" is not reachable.");
	/* Reached through a Catch, a Choice Default: fine. */
	expect_clean(M("'A':{'Type':'Task','Resource':" LAMBDA ",'Next':'C',"
	    "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'B'}]},"
	    PASS("B") ",'C':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'D'}],'Default':'E'},"
	    "'D':{'Type':'Succeed'},'E':{'Type':'Fail'}"));
}

static void
test_branch_scope(void **state)
{
	(void)state;
	/* A branch may not jump out ... */
	expect(M("'A':{'Type':'Parallel','Next':'X','Branches':[{'StartAt':'B',"
	    "'States':{'B':{'Type':'Pass','Next':'X'}}}]}," PASS("X")), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/A/Branches[0]/States/B/Next");
	/* ... and nothing may jump in. */
	expect(M("'A':{'Type':'Map','Next':'B','ItemProcessor':{'StartAt':'I',"
	    "'States':{" PASS("I") "}}},'B':{'Type':'Pass','Next':'I'}"), ERR,
	    "MISSING_TRANSITION_TARGET", "/States/B/Next");
}

static void
test_missing_end_state(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Next':'B'},'B':{'Type':'Pass',"
	    "'Next':'A'}"), ERR, "MISSING_END_STATE", "/");
	expect(M("'A':{'Type':'Parallel','End':true,'Branches':[{'StartAt':'B',"
	    "'States':{'B':{'Type':'Pass','Next':'C'},'C':{'Type':'Pass',"
	    "'Next':'B'}}}]}"), ERR, "MISSING_END_STATE",
	    "/States/A/Branches[0]");
	/* A Choice loop with a Succeed is fine. */
	expect_no(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'A'}],'Default':'S'},'S':{'Type':'Succeed'}"),
	    "MISSING_END_STATE");
}

static void
test_next_and_end(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Next':'B','End':true}," PASS("B")), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A");
	expect(M("'A':{'Type':'Pass'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A");
	expect(M("'A':{'Type':'Pass','End':'yes'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/End");
	expect(M("'A':{'Type':'Succeed','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/End");
	expect(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'B'}],'Next':'B'}," PASS("B")), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Next");
}

static void
test_duplicate_state_name(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Map','Next':'F','Iterator':{'StartAt':'F',"
	    "'States':{" PASS("F") "}}}," PASS("F")), ERR,
	    "DUPLICATE_STATE_NAME", "/States/F", "Duplicate State name: F");
	expect(M("'A':{'Type':'Parallel','End':true,'Branches':["
	    "{'StartAt':'X','States':{" PASS("X") "}},"
	    "{'StartAt':'X','States':{" PASS("X") "}}]}"), ERR,
	    "DUPLICATE_STATE_NAME", "/States/A/Branches[1]/States/X");
}

static void
test_state_name_length(void **state)
{
	char src[1024];
	int r;

	(void)state;
	/* 81 characters: too long; 80 (of them 40 two-byte) is fine. */
	r = snprintf(src, sizeof(src), "{'StartAt':'%s','States':{'%s':"
	    "{'Type':'Pass','End':true}}}", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxx");
	assert_true(r > 0 && (size_t)r < sizeof(src));
	expect(src, ERR, "INVALID_STATE_NAME", "/States/xxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	r = snprintf(src, sizeof(src), "{'StartAt':'%s','States':{'%s':"
	    "{'Type':'Pass','End':true}}}", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxx", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
	    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxx");
	assert_true(r > 0 && (size_t)r < sizeof(src));
	expect_clean(src);
	expect("{'StartAt':'','States':{'':{'Type':'Pass','End':true}}}", ERR,
	    "INVALID_STATE_NAME", "/States/");
}

/* ------------------------------------------------------------ fields */

static void
test_unknown_field(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Pass','bugInputPath':'$.x','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/bugInputPath",
	    "'bugInputPath' is not supported");
	/* A field of another state type. */
	expect(M("'A':{'Type':'Pass','Resource':" LAMBDA ",'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Resource");
	expect(M("'A':{'Type':'Succeed','ResultPath':'$.x'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath");
	expect(M("'A':{'Type':'Fail','InputPath':'$'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath");
}

static void
test_type(void **state)
{
	(void)state;
	expect(M("'A':{'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A");
	expect(M("'A':{'Type':'Sleep','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Type");
	expect(M("'A':[]"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A");
	expect(M("'A':{'Type':'Pass','Comment':3,'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Comment");
}

static void
test_jsonpath_fields_in_jsonata(void **state)
{
	(void)state;
	expect_msg(MJ("'A':{'Type':'Pass','Parameters':{'a':1},'End':true}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters",
	    "not supported in JSONata");
	expect(M("'A':{'Type':'Task','QueryLanguage':'JSONata','Resource':"
	    LAMBDA ",'TimeoutSecondsPath':'$.t','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath");
	expect(MJ("'A':{'Type':'Map','ItemsPath':'$.a','ItemProcessor':"
	    "{'StartAt':'B','States':{" PASS("B") "}},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ItemsPath");
	expect(MJ("'A':{'Type':'Fail','ErrorPath':'$.e'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ErrorPath");
	expect(MJ("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Next':'B'}]}," PASS("B")), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Variable");
}

static void
test_jsonata_fields_in_jsonpath(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Pass','Output':{'a':1},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output",
	    "only supported in JSONata");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'Arguments':{},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Arguments");
	expect(M("'A':{'Type':'Choice','Choices':[{'Condition':true,"
	    "'Next':'B'}]}," PASS("B")), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/Condition");
	expect(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.x',"
	    "'IsNull':true,'Output':{},'Next':'B'}]}," PASS("B")), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Output");
}

static void
test_query_language(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','QueryLanguage':'SQL','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage");
	/* JSONata machine, JSONPath state: AWS refuses it. */
	expect(MJ("'A':{'Type':'Pass','QueryLanguage':'JSONPath','End':true}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage");
	/* The reverse is fine; branches default to the machine's language. */
	expect_clean(M("'A':{'Type':'Parallel','QueryLanguage':'JSONata',"
	    "'End':true,'Branches':[{'StartAt':'B','States':{'B':{'Type':"
	    "'Pass','InputPath':'$.x','End':true}}}]}"));
}

/* ------------------------------------------------------------ JSONata */

static void
test_jsonata_delimiters(void **state)
{
	(void)state;
	expect(MJ("'A':{'Type':'Pass','Output':'{% 10 %','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(MJ("'A':{'Type':'Pass','Output':'10 %}','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(MJ("'A':{'Type':'Pass','Output':{'x':['{%  %}']},'End':true}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output/x[0]");
	/* Exactly one blank inside each delimiter, on one line. */
	expect(MJ("'A':{'Type':'Pass','Output':'{%10%}','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(MJ("'A':{'Type':'Pass','Output':'{% \\n 10 \\n %}',"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect_clean(MJ("'A':{'Type':'Pass','Output':'{% 10 %}','End':true}"));
	/* In a JSONPath state it is just a string. */
	expect_clean(M("'A':{'Type':'Pass','Result':'{% 10','End':true}"));
}

static void
test_jsonata_syntax(void **state)
{
	(void)state;
#define JA(expr) MJ("'A':{'Type':'Pass','Output':'{% " expr " %}','End':true}")
	expect_msg(JA("$sum($states.input.x"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "never closed");
	expect(JA("$states.input.x]"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect(JA("[1, 2)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect(JA("^abc"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(JA("420."), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(JA("1 +"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(JA("[1, 2, ]"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect(JA("$states.input.a $states.input.b"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(JA("/* x"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect(JA("55 => 5"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect_msg(JA("($x := 1; y := 2)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "left side of ':='");
	expect_msg(JA("$states.input.Order@o"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "followed by a variable");
	expect(JA("[, 1]"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	/* Valid JSONata of several kinds. */
	expect_clean(JA("$sum($states.input.items.(price * qty))"));
	expect_clean(JA("$states.input.a ? ^x^ : {^k^: [1..3]}"));
	expect_clean(JA("$match($states.input.s, /^[a-z\\\\(]+$/i) and true"));
	/* As jsonata-js: an unescaped '(' keeps the regex open. */
	expect(JA("$match($states.input.s, /^[a-z(]+$/i) and true"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect_clean(JA("($x := function($v) { $v * 2 }; $x(3);)"));
	expect_clean(JA("$states.input.**.price ~> $count()"));
	expect_clean(JA("-1 / 2 /* a comment */"));
	expect_clean(JA("$states.input.Account.Order#$i[$i > 0]"));
	expect_clean(JA("$states.input.items^^(>price, <name).name"));
	expect_clean(JA("function($x)<n-:n>{ $x + 1 }(2)"));
	expect_clean(JA("$states.input ~> | items | {^ok^: true} |"));
	expect_clean(JA("$states.input.Order@$o.Product[$o.x = 1]"));
#undef JA
}

static void
test_jsonata_states_rules(void **state)
{
	(void)state;
#define JA(expr) MJ("'A':{'Type':'Pass','Output':'{% " expr " %}','End':true}")
	/* No input document: no leading $ or field name, no $$. */
	expect_msg(JA("$.store.book"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "may not start with '$'");
	expect_msg(JA("total + 1"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "field name");
	expect(JA("$count($$.x)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect_msg(JA("$eval(^1^)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output", "$eval");
	expect_msg(JA("$states.bogus"), WARN, "UNKNOWN_STATES_FIELD",
	    "/States/A/Output", "no field 'bogus'");
	/* $states.result: top-level Output/Assign of Task, Map, Parallel. */
	expect(JA("$states.result"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Output");
	expect(MJ("'A':{'Type':'Task','Resource':" LAMBDA ",'Arguments':"
	    "{'a':'{% $states.result %}'},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Arguments/a");
	expect_clean(MJ("'A':{'Type':'Task','Resource':" LAMBDA ",'Output':"
	    "'{% $states.result %}','Assign':{'r':'{% $states.result.x %}'},"
	    "'End':true}"));
	/* $states.errorOutput: a Catcher's Output/Assign only. */
	expect(MJ("'A':{'Type':'Task','Resource':" LAMBDA ",'Output':"
	    "'{% $states.errorOutput %}','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
	expect_clean(MJ("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Catch':[{'ErrorEquals':['States.ALL'],'Output':"
	    "'{% $states.errorOutput %}','Next':'B'}]}," PASS("B")));
#undef JA
}

static void
test_jsonata_typed_fields(void **state)
{
	(void)state;
	expect_clean(MJ("'A':{'Type':'Wait','Seconds':'{% $states.input.s %}',"
	    "'Next':'B'},'B':{'Type':'Task','Resource':" LAMBDA ","
	    "'TimeoutSeconds':'{% 10 %}','End':true}"));
	expect(MJ("'A':{'Type':'Wait','Seconds':'10','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Seconds");
	expect(MJ("'A':{'Type':'Map','Items':{'a':1},'ItemProcessor':"
	    "{'StartAt':'B','States':{" PASS("B") "}},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Items");
	expect(MJ("'A':{'Type':'Choice','Choices':[{'Condition':'yes',"
	    "'Next':'B'}]}," PASS("B")), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/Condition");
	expect(MJ("'A':{'Type':'Choice','Choices':[{'Next':'B'}]}," PASS("B")),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]");
}

/* ------------------------------------------------------------ variables */

static void
test_assign_names(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Assign':{'top-level':1},'End':true}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/top-level");
	expect(M("'A':{'Type':'Pass','Assign':{'1x':1},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/1x");
	expect_msg(M("'A':{'Type':'Pass','Assign':{'states':1},'End':true}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/states",
	    "reserved");
	expect(MJ("'A':{'Type':'Pass','Assign':{'x.$':1},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Assign/x.$");
	expect(M("'A':{'Type':'Pass','Assign':[1],'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Assign");
#define X10 "xxxxxxxxxx"
	/* 81 characters; 80 are fine. */
	expect(M("'A':{'Type':'Pass','Assign':{'" X10 X10 X10 X10 X10 X10 X10
	    X10 "x':1},'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Assign/" X10 X10 X10 X10 X10 X10 X10 X10 "x");
	expect_clean(M("'A':{'Type':'Pass','Assign':{'" X10 X10 X10 X10 X10 X10
	    X10 X10 "':1},'End':true}"));
#undef X10
	expect(M("'A':{'Type':'Succeed','Assign':{'x':1}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Assign");
	/* JSONPath: x.$ assigns x; x and x.$ together assign it twice. */
	expect_clean(M("'A':{'Type':'Pass','Assign':{'x.$':'$.a','_y2':2},"
	    "'End':true}"));
	expect(M("'A':{'Type':'Pass','Assign':{'x':1,'x.$':'$.a'},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Assign/x.$");
}

static void
test_assign_outer_scope(void **state)
{
	(void)state;
	/* The spec's example: Begin may read outer but not assign it. */
	expect_msg(MJ("'A':{'Type':'Pass','Assign':{'outer':'hello'},"
	    "'Next':'M'},'M':{'Type':'Map','ItemProcessor':{'StartAt':'B',"
	    "'States':{'B':{'Type':'Pass','Assign':{'inner':1,"
	    "'outer':'{% $outer %}'},'End':true}}},'Assign':{'outer':2},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/M/ItemProcessor/States/B/Assign/outer", "enclosing scope");
	expect_clean(MJ("'A':{'Type':'Pass','Assign':{'outer':'hello'},"
	    "'Next':'M'},'M':{'Type':'Map','ItemProcessor':{'StartAt':'B',"
	    "'States':{'B':{'Type':'Pass','Assign':{'inner':1,"
	    "'hi':'{% $outer %}'},'End':true}}},'Assign':{'outer':2},"
	    "'End':true}"));
}

static void
test_result_path_variable(void **state)
{
	(void)state;
	expect_msg(M("'A':{'Type':'Task','Resource':" LAMBDA ",'ResultPath':"
	    "'$foo','End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultPath", "variable");
	expect(M("'A':{'Type':'Pass','ResultPath':'$$.x','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Catch':[{'ErrorEquals':['E'],'ResultPath':'$v','Next':'B'}]},"
	    PASS("B")), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Catch[0]/ResultPath");
	/* Variables may be read: InputPath, parameters, Choice Variable. */
	expect_clean(M("'A':{'Type':'Pass','InputPath':'$v.a','Parameters':"
	    "{'x.$':'$v'},'ResultPath':null,'Next':'C'},'C':{'Type':'Choice',"
	    "'Choices':[{'Variable':'$v.n','NumericEqualsPath':'$w',"
	    "'Next':'D'}],'Default':'D'},'D':{'Type':'Succeed'}"));
}

/* ------------------------------------------------------------ ranges */

static void
test_retry_fields(void **state)
{
	(void)state;
#define R(f) M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true," \
	    "'Retry':[{'ErrorEquals':['E']," f "}]}")
	expect(R("'MaxAttempts':-1"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/MaxAttempts");
	expect(R("'BackoffRate':0.5"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/BackoffRate");
	expect(R("'IntervalSeconds':0"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/IntervalSeconds");
	expect(R("'IntervalSeconds':1.5"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/IntervalSeconds");
	expect(R("'MaxDelaySeconds':0"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/MaxDelaySeconds");
	expect(R("'JitterStrategy':'SOME'"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/JitterStrategy");
	expect(R("'Foo':1"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/Foo");
	expect_clean(R("'MaxAttempts':0,'BackoffRate':1,'IntervalSeconds':3,"
	    "'MaxDelaySeconds':10,'JitterStrategy':'FULL'"));
#undef R
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'MaxAttempts':1}]}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'ErrorEquals':[]}]}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/ErrorEquals");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':{}}"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Retry");
}

static void
test_states_all(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'ErrorEquals':['States.ALL','E']}]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Retry[0]/ErrorEquals[0]");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'ErrorEquals':['States.ALL']},{'ErrorEquals':['E']}]}"),
	    ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Retry[0]/ErrorEquals[0]");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Catch':[{'ErrorEquals':['States.ALL'],'Next':'B'},"
	    "{'ErrorEquals':['E'],'Next':'B'}]}," PASS("B")), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Catch[0]/ErrorEquals[0]");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Catch':[{'ErrorEquals':['E']}]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Catch[0]");
}

static void
test_unknown_error_name(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'ErrorEquals':['States.Timout']}]}"), WARN,
	    "UNKNOWN_ERROR_NAME", "/States/A/Retry[0]/ErrorEquals[0]");
	expect_clean(M("'A':{'Type':'Task','Resource':" LAMBDA ",'End':true,"
	    "'Retry':[{'ErrorEquals':['States.Timeout','States.TaskFailed',"
	    "'MyError']}]}"));
	expect(M("'A':{'Type':'Fail','Error':'States.MyError'}"), WARN,
	    "UNKNOWN_ERROR_NAME", "/States/A/Error");
	expect_clean(M("'A':{'Type':'Fail','Error':'States.Timeout'}"));
}

static void
test_task_timeouts(void **state)
{
	(void)state;
#define T(f) M("'A':{'Type':'Task','Resource':" LAMBDA "," f ",'End':true}")
	expect(T("'TimeoutSeconds':0"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/TimeoutSeconds");
	expect(T("'HeartbeatSeconds':-5"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/HeartbeatSeconds");
	expect(T("'TimeoutSeconds':10,'HeartbeatSeconds':10"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds");
	expect(T("'TimeoutSeconds':10,'TimeoutSecondsPath':'$.t'"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath");
	expect(T("'HeartbeatSeconds':1,'HeartbeatSecondsPath':'$.t'"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSecondsPath");
	expect(T("'TimeoutSecondsPath':'$.t[*]'"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath");
	expect_clean(T("'TimeoutSeconds':10,'HeartbeatSeconds':9"));
#undef T
}

static void
test_wait(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Wait','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A");
	expect(M("'A':{'Type':'Wait','Seconds':1,'TimestampPath':'$.t',"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/TimestampPath");
	expect(M("'A':{'Type':'Wait','Seconds':-1,'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Seconds");
	expect(M("'A':{'Type':'Wait','Timestamp':'2016-03-14 01:59:00',"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Timestamp");
	expect_clean(M("'A':{'Type':'Wait','Timestamp':"
	    "'2016-03-14T01:59:00.5+02:00','End':true}"));
	expect_clean(M("'A':{'Type':'Wait','Seconds':0,'End':true}"));
}

static void
test_fail(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Fail','Error':'E','ErrorPath':'$.e'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ErrorPath");
	expect(M("'A':{'Type':'Fail','Cause':'C','CausePath':'$.c'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/CausePath");
	expect(M("'A':{'Type':'Fail','CausePath':'$.c[*]'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/CausePath");
	expect(M("'A':{'Type':'Fail','Error':'$.error'}"), WARN, "NO_PATH",
	    "/States/A/Error");
	expect_clean(M("'A':{'Type':'Fail','ErrorPath':'$.e',"
	    "'CausePath':'States.Format(^{}^, $.c)'}"));
}

/* ------------------------------------------------------------ Map */

static void
test_map(void **state)
{
	(void)state;
#define P "'ItemProcessor':{'StartAt':'B','States':{" PASS("B") "}}"
#define MAP(f) M("'A':{'Type':'Map'," f ",'End':true}")
#define PD "'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED'," \
    "'ExecutionType':'STANDARD'},'StartAt':'B','States':{" PASS("B") "}}"
	expect(MAP("'Comment':'x'"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A");
	expect(MAP(P ",'Iterator':{'StartAt':'C','States':{" PASS("C") "}}"),
	    ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Iterator");
	expect(MAP(P ",'ItemSelector':{},'Parameters':{}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters");
	expect(MAP(P ",'ToleratedFailurePercentage':101"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ToleratedFailurePercentage");
	expect(MAP(P ",'ToleratedFailureCount':1,"
	    "'ToleratedFailureCountPath':'$.n'"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ToleratedFailureCountPath");
	expect(MAP(P ",'ToleratedFailurePercentage':1,"
	    "'ToleratedFailurePercentagePath':'$.n'"), ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ToleratedFailurePercentagePath");
	expect(MAP(P ",'MaxConcurrency':-1"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/MaxConcurrency");
	expect(MAP(P ",'MaxConcurrency':1,'MaxConcurrencyPath':'$.n'"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/MaxConcurrencyPath");
	expect(MAP(P ",'ItemsPath':'$.a[*]'"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemsPath");
	expect(MAP("'ItemProcessor':{'ProcessorConfig':{'Mode':'BIG'},"
	    "'StartAt':'B','States':{" PASS("B") "}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/ProcessorConfig/"
	    "Mode");
	expect(MAP("'ItemProcessor':{'ProcessorConfig':{'Mode':'DISTRIBUTED'},"
	    "'StartAt':'B','States':{" PASS("B") "}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemProcessor/ProcessorConfig");
	expect(MAP("'ItemProcessor':{'Foo':1,'StartAt':'B','States':{" PASS("B")
	    "}}"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/Foo");
	expect_clean(MAP(P ",'ItemsPath':'$.items','MaxConcurrency':0,"
	    "'ToleratedFailureCount':0,'ToleratedFailurePercentage':12.5,"
	    "'ItemSelector':{'v.$':'$$.Map.Item.Value'}"));
}

static void
test_map_reader_batcher_writer(void **state)
{
	(void)state;
	expect(MAP(P ",'ItemBatcher':{}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemBatcher");
	expect(MAP(P ",'ItemBatcher':{'MaxItemsPerBatch':2,"
	    "'MaxItemsPerBatchPath':'$.n'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemBatcher/MaxItemsPerBatchPath");
	expect(MAP(P ",'ItemBatcher':{'MaxInputBytesPerBatch':0}"), ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemBatcher/MaxInputBytesPerBatch");
	expect(MAP(P ",'ItemReader':{'Resource':'arn:aws:states:::s3:getObject',"
	    "'ReaderConfig':{'MaxItems':1,'MaxItemsPath':'$.m'}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemReader/ReaderConfig/MaxItemsPath");
	expect(MAP(P ",'ItemReader':{'ReaderConfig':{}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ItemReader");
	expect(MAP(P ",'ItemReader':{'Resource':'arn:aws:states:::s3:getObject',"
	    "'ReaderConfig':{'InputType':'XML'}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ItemReader/ReaderConfig/InputType");
	expect(M("'A':{'Type':'Map','QueryLanguage':'JSONata','ItemProcessor':"
	    "{'StartAt':'B','States':{" PASS("B") "}},'ItemReader':{'Resource':"
	    "'arn:aws:states:::s3:getObject','Arguments':[1]},'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ItemReader/Arguments");
	expect(MAP(P ",'ResultWriter':{'Parameters':{}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ResultWriter");
	expect(MAP(P ",'ResultWriter':{'Resource':'arn:aws:states:::s3:put',"
	    "'Bucket':'b'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultWriter/Bucket");
	expect(MAP(PD ",'ResultWriter':{'Resource':"
	    "'arn:aws:states:::s3:putObject'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultWriter");
	expect(MAP(PD ",'ResultWriter':{'Resource':"
	    "'arn:aws:states:::s3:putObject','Parameters':{'Bucket':'b',"
	    "'Key':'k'}}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultWriter/Parameters/Key");
	expect(MAP(PD ",'ResultWriter':{'WriterConfig':{'OutputType':'JSONL'}}"),
	    ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultWriter/WriterConfig/OutputType");
	expect(MAP(P ",'ResultWriter':{'WriterConfig':{}}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ResultWriter");
	expect_clean(MAP(PD ",'ResultWriter':{'WriterConfig':{'Transformation':"
	    "'FLATTEN','OutputType':'JSON'}}"));
	expect_clean(MAP(PD ",'ItemReader':{'Resource':"
	    "'arn:aws:states:::s3:getObject','ReaderConfig':{'InputType':'CSV',"
	    "'CSVHeaderLocation':'FIRST_ROW','MaxItems':10},'Parameters':"
	    "{'Bucket':'b','Key.$':'$.key'}},'ItemBatcher':{'MaxItemsPerBatch':2,"
	    "'BatchInput':{'k':'v'}},'ResultWriter':{'Resource':"
	    "'arn:aws:states:::s3:putObject','Parameters':{'Bucket':'b'}},"
	    "'Label':'Run1'"));
}

static void
test_map_label(void **state)
{
	(void)state;
	expect(MAP(P ",'Label':'a b'"), ERR, "INVALID_LABEL_NAME",
	    "/States/A/Label");
	expect(MAP(P ",'Label':'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'"),
	    ERR, "INVALID_LABEL_NAME", "/States/A/Label");
	expect(M("'A':{'Type':'Map','Label':'L','Next':'C','ItemProcessor':"
	    "{'StartAt':'B','States':{" PASS("B") "}}},'C':{'Type':'Map',"
	    "'Label':'L','End':true,'ItemProcessor':{'StartAt':'D','States':{"
	    PASS("D") "}}}"), ERR, "DUPLICATE_LABEL_NAME", "/States/C/Label");
#undef MAP
#undef P
}

static void
test_parallel(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Parallel','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A");
	expect(M("'A':{'Type':'Parallel','End':true,'Branches':[]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Branches");
	expect(M("'A':{'Type':'Parallel','End':true,'Branches':[[1]]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Branches[0]");
	expect(M("'A':{'Type':'Parallel','End':true,'Branches':[{'StartAt':'B',"
	    "'ProcessorConfig':{},'States':{" PASS("B") "}}]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Branches[0]/ProcessorConfig");
}

static void
test_too_deeply_nested(void **state)
{
	struct sd_buf b;
	char *src;
	int i;

	(void)state;
	sd_buf_init(&b, 0);
	for (i = 0; i < 70; i++)
		(void)sd_buf_printf(&b, "{'StartAt':'P%d','States':{'P%d':"
		    "{'Type':'Parallel','End':true,'Branches':[", i, i);
	(void)sd_buf_puts(&b, "{'StartAt':'X','States':{" PASS("X") "}}");
	for (i = 0; i < 70; i++)
		(void)sd_buf_puts(&b, "]}}}");
	assert_non_null(src = sd_buf_steal(&b));
	expect(src, ERR, "TOO_DEEPLY_NESTED", "/States/P0/Branches[0]/States/P1"
	    "/Branches[0]/States/P2/Branches[0]/States/P3/Branches[0]/States/P4"
	    "/Branches[0]/States/P5/Branches[0]/States/P6/Branches[0]/States/P7"
	    "/Branches[0]/States/P8/Branches[0]/States/P9/Branches[0]/States/P10"
	    "/Branches[0]/States/P11/Branches[0]/States/P12/Branches[0]/States"
	    "/P13/Branches[0]/States/P14/Branches[0]/States/P15/Branches[0]"
	    "/States/P16/Branches[0]/States/P17/Branches[0]/States/P18/Branches"
	    "[0]/States/P19/Branches[0]/States/P20/Branches[0]/States/P21"
	    "/Branches[0]/States/P22/Branches[0]/States/P23/Branches[0]/States"
	    "/P24/Branches[0]/States/P25/Branches[0]/States/P26/Branches[0]"
	    "/States/P27/Branches[0]/States/P28/Branches[0]/States/P29/Branches"
	    "[0]/States/P30/Branches[0]/States/P31/Branches[0]/States/P32"
	    "/Branches[0]/States/P33/Branches[0]/States/P34/Branches[0]/States"
	    "/P35/Branches[0]/States/P36/Branches[0]/States/P37/Branches[0]"
	    "/States/P38/Branches[0]/States/P39/Branches[0]/States/P40/Branches"
	    "[0]/States/P41/Branches[0]/States/P42/Branches[0]/States/P43"
	    "/Branches[0]/States/P44/Branches[0]/States/P45/Branches[0]/States"
	    "/P46/Branches[0]/States/P47/Branches[0]/States/P48/Branches[0]"
	    "/States/P49/Branches[0]/States/P50/Branches[0]/States/P51/Branches"
	    "[0]/States/P52/Branches[0]/States/P53/Branches[0]/States/P54"
	    "/Branches[0]/States/P55/Branches[0]/States/P56/Branches[0]/States"
	    "/P57/Branches[0]/States/P58/Branches[0]/States/P59/Branches[0]"
	    "/States/P60/Branches[0]/States/P61/Branches[0]/States/P62/Branches"
	    "[0]/States/P63/Branches[0]");
	free(src);
}

static void
test_too_many_states(void **state)
{
	struct sd_lint_opts o;

	(void)state;
	sd_lint_opts_default(&o);
	o.max_states = 2;
	expect_o(M("'A':{'Type':'Pass','Next':'B'},'B':{'Type':'Pass',"
	    "'Next':'C'}," PASS("C")), &o, ERR, "TOO_MANY_STATES", "/States/C",
	    NULL);
}

/* ------------------------------------------------------------ Choice */

static void
test_choice_rules(void **state)
{
	(void)state;
#define C(rule) M("'A':{'Type':'Choice','Choices':[" rule "],'Default':'B'}," \
	    PASS("B"))
	/* sd_choice_compile's first error, at the field it names. */
	expect(C("{'Variable':'$.x','NumericEquals':1,'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/End");
	expect(C("{'Variable':'$.x','NumericEquals':1,'IsNull':true,"
	    "'Next':'B'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/IsNull");
	expect(C("{'NumericEquals':1,'Next':'B'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]");
	expect(C("{'Variable':'$.x','NumericEquals':1}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]");
	expect(C("{'And':[{'Variable':'$.x','IsNull':true,'Next':'B'}],"
	    "'Next':'B'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/And[0]/Next");
	expect(C("{'Variable':'$.x','NumericEquals':'1','Next':'B'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/NumericEquals");
	expect(C("{'Variable':'$.x[','IsNull':true,'Next':'B'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Variable");
	expect(C("{'Variable':'$.x','IsNull':true,'Next':'B','Assign':"
	    "{'bad-name':1}}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/Assign/bad-name");
	/* An error from sd_choice and an Assign (once a use after free). */
	expect(C("{'Variable':'$.x','IsNull':true,'Foo':1,'Assign':{'a':1},"
	    "'Next':'B'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/Foo");
	expect(C("{'Variable':'$.x','IsNull':true,'Assign':3,'Next':'B'}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Assign");
	expect(M("'A':{'Type':'Choice','Choices':[]}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Choices");
	expect(M("'A':{'Type':'Choice'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A");
	expect_clean(C("{'Not':{'Variable':'$.type','StringEquals':'Private'},"
	    "'Next':'B'},{'Or':[{'Variable':'$.v','NumericLessThan':1},"
	    "{'Variable':'$.v','TimestampEquals':'2016-03-14T01:59:00Z'}],"
	    "'Assign':{'r':1},'Next':'B'}"));
}

static void
test_no_path(void **state)
{
	(void)state;
	expect(C("{'Variable':'$.x','StringEquals':'$.y','Next':'B'}"), WARN,
	    "NO_PATH", "/States/A/Choices[0]/StringEquals");
	expect(C("{'Not':{'Variable':'$.x','StringLessThan':'$$.y'},"
	    "'Next':'B'}"), WARN, "NO_PATH",
	    "/States/A/Choices[0]/Not/StringLessThan");
	expect_no(C("{'Variable':'$.x','StringEquals':'$5','Next':'B'}"),
	    "NO_PATH");
#undef C
}

/* ------------------------------------------------------------ JSONPath */

static void
test_jsonpath_syntax(void **state)
{
	struct sd_lint_opts o;

	(void)state;
	expect(M("'A':{'Type':'Pass','InputPath':'$.a[','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath");
	expect(M("'A':{'Type':'Pass','OutputPath':'a.b','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/OutputPath");
	expect(M("'A':{'Type':'Pass','ResultPath':'$.a..b','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath");
	expect(M("'A':{'Type':'Pass','InputPath':3,'End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath");
	expect_clean(M("'A':{'Type':'Pass','InputPath':null,'OutputPath':"
	    "'$.a[?(@.p < 10)].b','ResultPath':'$.x[0].y','End':true}"));
	/* check_paths off: syntax not checked. */
	sd_lint_opts_default(&o);
	o.check_paths = 0;
	expect_clean_o(M("'A':{'Type':'Pass','InputPath':'$.a[','End':true}"),
	    &o);
	expect_clean_o(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.a[',"
	    "'StringEqualsPath':'$[','Next':'B'}]}," PASS("B")), &o);
	/* ... but other Choice Rule errors are still reported. */
	expect_o(M("'A':{'Type':'Choice','Choices':[{'Variable':'$.a',"
	    "'not a valid JSONPath':1,'Next':'B'}]}," PASS("B")), &o, ERR,
	    "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Choices[0]/not a valid JSONPath", NULL);
}

static void
test_payload_template(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Parameters':{'lorem.$':'ipsum'},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/lorem.$");
	expect(M("'A':{'Type':'Pass','Parameters':{'a':{'b.$':1}},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/a/b.$");
	expect(M("'A':{'Type':'Pass','Parameters':{'a':[{'b.$':'$[x'}]},"
	    "'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/a[0]/b.$");
	expect_msg(M("'A':{'Type':'Pass','Parameters':{'d':{'c':'v',"
	    "'c.$':'$.v'}},'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/d/c.$", "appears twice");
	expect(M("'A':{'Type':'Task','Resource':" LAMBDA ",'ResultSelector':"
	    "{'x.$':'$.a','x':1},'End':true}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/ResultSelector/x");
	expect_clean(M("'A':{'Type':'Pass','Parameters':[{'id.$':'$$.Execution"
	    ".Id'},{'n':null,'v.$':'$v.x','f.$':'States.UUID()'}],'End':true}"));
}

static void
test_no_dollar(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Parameters':{'a':'$.x'},'End':true}"),
	    WARN, "NO_DOLLAR", "/States/A/Parameters/a");
	expect(M("'A':{'Type':'Pass','Parameters':{'a':{'b':'$$.Execution.Id'}},"
	    "'End':true}"), WARN, "NO_DOLLAR", "/States/A/Parameters/a/b");
	expect(M("'A':{'Type':'Pass','Parameters':{'f':'States.UUID()'},"
	    "'End':true}"), WARN, "NO_DOLLAR", "/States/A/Parameters/f");
	expect(M("'A':{'Type':'Pass','Assign':{'v':'$.x'},'End':true}"), WARN,
	    "NO_DOLLAR", "/States/A/Assign/v");
	expect_no(M("'A':{'Type':'Pass','Parameters':{'t':'${Table}',"
	    "'p':'costs $5'},'End':true}"), "NO_DOLLAR");
}

static void
test_pass_result_static(void **state)
{
	(void)state;
	expect(M("'A':{'Type':'Pass','Result':{'a':{'b.$':'$.x'}},'End':true}"),
	    WARN, "PASS_RESULT_IS_STATIC", "/States/A/Result/a/b.$");
	expect_clean(M("'A':{'Type':'Pass','Result':{'a':'$.x'},'End':true}"));
}

/* ------------------------------------------------------------ intrinsics */

static void
test_intrinsic_syntax(void **state)
{
	(void)state;
#define F(fn) M("'A':{'Type':'Pass','Parameters':{'f.$':'" fn "'},'End':true}")
	expect(F("States.Nope(1)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.Format(^a^"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.Array($.a[)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
}

static void
test_intrinsic_arity(void **state)
{
	(void)state;
	expect_msg(F("States.UUID(1)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$", "takes 0 arguments");
	expect(F("States.MathAdd(1)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.MathRandom(1, 2, 3, 4)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.Format()"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.Array(States.JsonMerge($.a, $.b))"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect_clean(F("States.Array()"));
	expect_clean(F("States.MathRandom($.a, 10)"));
}

static void
test_intrinsic_arguments(void **state)
{
	(void)state;
	expect_msg(F("States.MathAdd(1,^-1^)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$", "argument 2 must be an integer");
	expect(F("States.MathAdd(1.5, 1)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect_msg(F("States.Format(^{} and {}^, $.a)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$", "2 '{}'");
	expect(F("States.Format(^{^, $.a)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.ArrayRange(1, 9, 0)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.ArrayRange(0, 5000, 1)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.Hash($.d, ^SHA-2^)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.JsonToString(^x^)"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Parameters/f.$");
	expect(F("States.ArrayPartition($.a, 0)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.ArrayGetItem(^abc^, 0)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.JsonMerge($.a, $.b, true)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.StringSplit($.s, 1)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect(F("States.Base64Encode(null)"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	/* Nested calls are checked too. */
	expect(F("States.Array(States.MathAdd(^a^, 1))"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/f.$");
	expect_clean(F("States.Format(^Hi {}, \\\\{x\\\\} {}^, $.a, "
	    "States.MathAdd(States.ArrayLength($$.Execution.Input.m), -1))"));
	expect_clean(F("States.Hash($.d, ^SHA-256^)"));
	expect_clean(F("States.ArrayRange(1, 9, 2)"));
#undef F
}

/* ------------------------------------------------------------ Resource */

static void
test_resource_arn(void **state)
{
	struct sd_lint_opts o;

	(void)state;
#define T(r) M("'A':{'Type':'Task','Resource':" r ",'End':true}")
	expect(T("'not-an-arn'"), ERR, "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:lambda:us-east-1:123456789012:function:f:'"), ERR,
	    "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:lambda:us-east-1:123456789012:function:f:$*#'"), ERR,
	    "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:states:::lambda:invoke.syncx'"), ERR,
	    "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:states:::lambda:invoke.waitForTaskToken:2'"), ERR,
	    "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:states:::aws-sdk:s3'"), ERR, "INVALID_RESOURCE",
	    "/States/A/Resource");
	expect(T("'arn:foo:lambda:us-east-1:1:function:f'"), ERR,
	    "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("'arn:aws:sqs::::f'"), ERR, "INVALID_RESOURCE",
	    "/States/A/Resource");
	expect(T("5"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Resource");
	expect(M("'A':{'Type':'Task','End':true}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A");
	expect_clean(T("'arn:aws:states:::states:startExecution.sync:2'"));
	expect_clean(T("'arn:aws:states:::aws-sdk:s3:listObjectsV2'"));
	expect_clean(T("'arn:aws:states:::sqs:sendMessage.waitForTaskToken'"));
	expect_clean(T("'arn:aws:states:us-east-1:123456789012:activity:x'"));
	expect_clean(T("'arn:aws-cn:lambda:cn-north-1:123456789012:function:"
	    "f:$LATEST'"));
	expect_clean(T("'arn:aws:lambda:us-east-1:123456789012:function:f:live'"));
	sd_lint_opts_default(&o);
	o.check_arn = 0;
	expect_clean_o(T("'not-an-arn'"), &o);
}

static void
test_resource_substitution(void **state)
{
	(void)state;
	expect(T("'${lambdaArn}'"), WARN, "UNRESOLVED_SUBSTITUTION",
	    "/States/A/Resource");
	expect(T("'arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:f'"),
	    WARN, "UNRESOLVED_SUBSTITUTION", "/States/A/Resource");
	expect(T("{'Fn::GetAtt':['F','Arn']}"), WARN, "UNRESOLVED_SUBSTITUTION",
	    "/States/A/Resource");
	expect(T("{'Ref':'F'}"), WARN, "UNRESOLVED_SUBSTITUTION",
	    "/States/A/Resource");
	/* An unclosed "${" is neither. */
	expect(T("'${lambdaArn'"), ERR, "INVALID_RESOURCE", "/States/A/Resource");
	expect(T("{'Foo':1}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Resource");
#undef T
}

static void
test_credentials(void **state)
{
	(void)state;
#define T(c) M("'A':{'Type':'Task','Resource':" LAMBDA ",'Credentials':" c \
	    ",'End':true}")
	expect(T("true"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Credentials");
	expect(T("{}"), ERR, "SCHEMA_VALIDATION_FAILED", "/States/A/Credentials");
	expect(T("{'RoleArn':'arn:aws:iam::123456789012:role/r','X':1}"), ERR,
	    "SCHEMA_VALIDATION_FAILED", "/States/A/Credentials/X");
	expect(T("{'RoleArn.$':'bad'}"), ERR, "SCHEMA_VALIDATION_FAILED",
	    "/States/A/Credentials/RoleArn.$");
	expect_clean(T("{'RoleArn':'arn:aws:iam::123456789012:role/r'}"));
	expect_clean(T("{'RoleArn.$':'$.role'}"));
#undef T
}

/* ------------------------------------------------------------ report */

static void
test_reports_all_findings(void **state)
{
	struct sd_lint_report *rep;

	(void)state;
	rep = lint_q(M("'A':{'Type':'Pass','Foo':1,'Next':'X'},"
	    "'B':{'Type':'Wait','Seconds':-1,'End':true},"
	    "'C':{'Type':'Task','Resource':'x','End':true}"), NULL);
	assert_non_null(find(rep, "SCHEMA_VALIDATION_FAILED", "/States/A/Foo"));
	assert_non_null(find(rep, "MISSING_TRANSITION_TARGET",
	    "/States/A/Next"));
	assert_non_null(find(rep, "SCHEMA_VALIDATION_FAILED",
	    "/States/B/Seconds"));
	assert_non_null(find(rep, "INVALID_RESOURCE", "/States/C/Resource"));
	assert_non_null(find(rep, "MISSING_TRANSITION_TARGET", "/States/B"));
	assert_non_null(find(rep, "MISSING_TRANSITION_TARGET", "/States/C"));
	assert_int_equal(sd_lint_errors(rep), 6);
	assert_int_equal(sd_lint_warnings(rep), 0);
	sd_lint_report_free(rep);
}

static void
test_report_json(void **state)
{
	struct sd_lint_report *rep;
	json_t *j, *d;

	(void)state;
	rep = lint_q(M("'A':{'Type':'Pass','Parameters':{'a':'$.x'},"
	    "'Next':'N'}"), NULL);
	assert_non_null(j = sd_lint_report_json(rep));
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "FAIL");
	d = json_object_get(j, "diagnostics");
	/* NO_DOLLAR, the Next target, no terminal state. */
	assert_int_equal(json_array_size(d), 3);
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 2), "code")), "MISSING_END_STATE");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "severity")), "WARNING");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 0), "code")), "NO_DOLLAR");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 1), "location")), "/States/A/Next");
	assert_string_equal(json_string_value(json_object_get(
	    json_array_get(d, 1), "message")), "Missing 'Next' target: N");
	json_decref(j);
	sd_lint_report_free(rep);

	/* Warnings only: OK. A JSON error has no location. */
	rep = lint_q(M("'A':{'Type':'Pass','Parameters':{'a':'$.x'},"
	    "'End':true}"), NULL);
	assert_non_null(j = sd_lint_report_json(rep));
	assert_string_equal(json_string_value(json_object_get(j, "result")),
	    "OK");
	json_decref(j);
	sd_lint_report_free(rep);
	rep = lint_q("{", NULL);
	assert_non_null(j = sd_lint_report_json(rep));
	d = json_array_get(json_object_get(j, "diagnostics"), 0);
	assert_null(json_object_get(d, "location"));
	json_decref(j);
	sd_lint_report_free(rep);
}

static void
test_lint_json_api(void **state)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lint_report *rep = NULL;
	char *t = q(M("'A':{'Type':'Pass','Next':'Z'}"));
	json_t *def;

	(void)state;
	assert_non_null(t);
	assert_non_null(def = json_loads(t, 0, NULL));
	assert_int_equal(sd_lint_json(def, NULL, &rep, &err), 0);
	assert_int_equal(sd_lint_errors(rep), 2);	/* target, no end */
	assert_non_null(find(rep, "MISSING_TRANSITION_TARGET", "/States/A/Next"));
	assert_null(sd_lint_get(rep, 99));
	sd_lint_report_free(rep);
	assert_int_equal(sd_lint_json(NULL, NULL, &rep, &err), 0);
	assert_non_null(find(rep, "MISSING_DESCRIPTION", "/"));
	sd_lint_report_free(rep);
	json_decref(def);
	free(t);
	sd_lint_report_free(NULL);
	assert_int_equal(sd_lint_count(NULL), 0);
}

static void
test_too_many_findings(void **state)
{
	struct sd_lint_opts o;
	struct sd_lint_report *rep;
	struct sd_buf b;
	char *src;
	int i;

	(void)state;
	sd_lint_opts_default(&o);
	o.max_states = 100000;
	sd_buf_init(&b, 0);
	(void)sd_buf_puts(&b, "{'StartAt':'S0','States':{");
	for (i = 0; i < 10100; i++)
		(void)sd_buf_printf(&b, "%s'S%d':{'Type':'Pass','End':true,"
		    "'X':1}", i > 0 ? "," : "", i);
	(void)sd_buf_puts(&b, "}}");
	assert_non_null(src = sd_buf_steal(&b));
	rep = lint_q(src, &o);
	assert_int_equal(sd_lint_count(rep), SD_LINT_MAX_FINDINGS);
	assert_string_equal(sd_lint_get(rep, SD_LINT_MAX_FINDINGS - 1)->code,
	    "TOO_MANY_FINDINGS");
	assert_true(sd_lint_errors(rep) >= 10100 * 2 - 1);
	sd_lint_report_free(rep);
	free(src);
}

static void
test_spec_examples_clean(void **state)
{
	(void)state;
	/* The spec's JSONata Choice, Map and Catch examples. */
	expect_clean("{'QueryLanguage':'JSONata','StartAt':'D','States':{'D':{"
	    "'Type':'Choice','Choices':[{'Condition':'{% $states.input.type != "
	    "^Private^ %}','Next':'Public'},{'Condition':'{% $exists($value) and "
	    "$type($value)=^number^ and $value>=20 and $value<30 %}','Assign':"
	    "{'range':'twenties'},'Next':'Twenties'},{'Condition':'{% "
	    "$states.input.rating >= $states.input.auditThreshold %}','Output':"
	    "{'excess':'{% $states.input.rating - $states.input.auditThreshold "
	    "%}'},'Next':'Audit'}],'Default':'Record','Assign':{'range':"
	    "'default'}},'Public':{'Type':'Succeed'},'Twenties':{'Type':"
	    "'Succeed'},'Audit':{'Type':'Succeed'},'Record':{'Type':'Task',"
	    "'Resource':'arn:aws:states:::lambda:invoke','Arguments':{"
	    "'FunctionName':'f','Payload':'{% $states.input %}'},'Output':"
	    "'{% $states.result.Payload %}','Catch':[{'ErrorEquals':["
	    "'java.lang.Exception'],'Output':'{% $merge([ $states.input, "
	    "{^error-info^: $states.errorOutput} ]) %}','Next':'Recover'},"
	    "{'ErrorEquals':['States.ALL'],'Assign':{'isCritical':'{% "
	    "$contains($lowercase($states.errorOutput.Error), /.*fatal.*/) %}'},"
	    "'Next':'Recover'}],'Next':'All'},'Recover':{'Type':'Fail','Error':"
	    "'{% $states.input.Error %}','Cause':'oops'},'All':{'Type':'Map',"
	    "'Items':'{% $states.input.detail.shipped %}','MaxConcurrency':0,"
	    "'ItemSelector':{'parcel':'{% $states.context.Map.Item.Value %}'},"
	    "'ItemProcessor':{'StartAt':'V','States':{'V':{'Type':'Task',"
	    "'Resource':'arn:aws:lambda:us-east-1:123456789012:function:ship-val',"
	    "'End':true}}},'Assign':{'shipped':'{% $states.result %}'},'Output':"
	    "{'n':'{% $count($states.input.detail.shipped) %}'},'End':true}}}");
}

/* ------------------------------------------------------------ corpus */

/* Files listed in the known-differences file (PATH reason...). */
struct known {
	char	**paths;
	int	 *seen;
	size_t	  n;
};

static void
known_load(const char *path, struct known *k)
{
	FILE *fp;
	char line[1024], *p, *e;

	memset(k, 0, sizeof(*k));
	if ((fp = fopen(path, "r")) == NULL)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), fp) != NULL) {
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n';
		    e++)
			;
		*e = '\0';
		assert_non_null(k->paths = reallocarray(k->paths, k->n + 1,
		    sizeof(*k->paths)));
		assert_non_null(k->seen = reallocarray(k->seen, k->n + 1,
		    sizeof(*k->seen)));
		assert_non_null(k->paths[k->n] = strdup(p));
		k->seen[k->n] = 0;
		k->n++;
	}
	fclose(fp);
}

static int
known_has(struct known *k, const char *rel)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->paths[i], rel) == 0) {
			k->seen[i] = 1;
			return 1;
		}
	}
	return 0;
}

static int
corpus_dir(const char *root, const char *sub, int want_errors,
    struct known *k, size_t *nfiles)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_lint_report *rep;
	struct dirent *de;
	char path[4096], rel[512], *buf;
	size_t len, nl;
	DIR *d;
	int bad = 0, has_errors, known, want;

	if (snprintf(path, sizeof(path), "%s/%s", root, sub) >= (int)sizeof(path))
		fail_msg("path too long");
	if ((d = opendir(path)) == NULL)
		fail_msg("cannot open %s", path);
	while ((de = readdir(d)) != NULL) {
		nl = strlen(de->d_name);
		if (nl < 5 || strcmp(de->d_name + nl - 5, ".json") != 0)
			continue;
		(*nfiles)++;
		if (snprintf(path, sizeof(path), "%s/%s/%s", root, sub,
		    de->d_name) >= (int)sizeof(path) ||
		    snprintf(rel, sizeof(rel), "%s/%s", sub, de->d_name) >=
		    (int)sizeof(rel))
			fail_msg("path too long");
		if (sd_read_file(path, 16 * 1024 * 1024, &buf, &len, &err) != 0)
			fail_msg("%s", sd_error_text(&err));
		assert_int_equal(sd_lint(buf, len, NULL, &rep, &err), 0);
		has_errors = sd_lint_errors(rep) > 0;
		known = known_has(k, rel);
		want = known ? !want_errors : want_errors;
		if (has_errors != want) {
			fprintf(stderr, "corpus: %s: want %s%s, got:\n", rel,
			    want ? "an ERROR" : "no ERROR", known ?
			    " (listed in known-differences)" : "");
			dump(rep);
			bad++;
		}
		sd_lint_report_free(rep);
		free(buf);
	}
	closedir(d);
	return bad;
}

static void
test_corpus(void **state)
{
	const char *shared = getenv("SHARED"), *kd;
	char root[4096];
	struct known k;
	size_t i, nfiles = 0;
	int bad = 0;
	DIR *d;

	(void)state;
	if (snprintf(root, sizeof(root), "%s/lint-corpus", shared != NULL ?
	    shared : "../shared") >= (int)sizeof(root))
		fail_msg("SHARED too long");
	if ((d = opendir(root)) == NULL) {
		fprintf(stderr, "corpus: %s not found; skipped\n", root);
		skip();
	}
	closedir(d);
	kd = getenv("LINT_KNOWN_DIFFERENCES");
	known_load(kd != NULL ? kd : "tests/lint/known-differences", &k);
	bad += corpus_dir(root, "valid", 0, &k, &nfiles);
	bad += corpus_dir(root, "invalid", 1, &k, &nfiles);
	for (i = 0; i < k.n; i++) {
		if (!k.seen[i]) {
			fprintf(stderr, "corpus: known-differences lists %s, which "
			    "is not in the corpus\n", k.paths[i]);
			bad++;
		}
		free(k.paths[i]);
	}
	free(k.paths);
	free(k.seen);
	fprintf(stderr, "corpus: %zu files, %zu known differences, %d "
	    "unexpected\n", nfiles, k.n, bad);
	assert_int_equal(bad, 0);
	assert_true(nfiles > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_missing_description),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_not_an_object),
		cmocka_unit_test(test_top_fields),
		cmocka_unit_test(test_start_at_target),
		cmocka_unit_test(test_next_target),
		cmocka_unit_test(test_choice_targets),
		cmocka_unit_test(test_catch_target),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_branch_scope),
		cmocka_unit_test(test_missing_end_state),
		cmocka_unit_test(test_next_and_end),
		cmocka_unit_test(test_duplicate_state_name),
		cmocka_unit_test(test_state_name_length),
		cmocka_unit_test(test_unknown_field),
		cmocka_unit_test(test_type),
		cmocka_unit_test(test_jsonpath_fields_in_jsonata),
		cmocka_unit_test(test_jsonata_fields_in_jsonpath),
		cmocka_unit_test(test_query_language),
		cmocka_unit_test(test_jsonata_delimiters),
		cmocka_unit_test(test_jsonata_syntax),
		cmocka_unit_test(test_jsonata_states_rules),
		cmocka_unit_test(test_jsonata_typed_fields),
		cmocka_unit_test(test_assign_names),
		cmocka_unit_test(test_assign_outer_scope),
		cmocka_unit_test(test_result_path_variable),
		cmocka_unit_test(test_retry_fields),
		cmocka_unit_test(test_states_all),
		cmocka_unit_test(test_unknown_error_name),
		cmocka_unit_test(test_task_timeouts),
		cmocka_unit_test(test_wait),
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_map_reader_batcher_writer),
		cmocka_unit_test(test_map_label),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_too_deeply_nested),
		cmocka_unit_test(test_too_many_states),
		cmocka_unit_test(test_choice_rules),
		cmocka_unit_test(test_no_path),
		cmocka_unit_test(test_jsonpath_syntax),
		cmocka_unit_test(test_payload_template),
		cmocka_unit_test(test_no_dollar),
		cmocka_unit_test(test_pass_result_static),
		cmocka_unit_test(test_intrinsic_syntax),
		cmocka_unit_test(test_intrinsic_arity),
		cmocka_unit_test(test_intrinsic_arguments),
		cmocka_unit_test(test_resource_arn),
		cmocka_unit_test(test_resource_substitution),
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_reports_all_findings),
		cmocka_unit_test(test_report_json),
		cmocka_unit_test(test_lint_json_api),
		cmocka_unit_test(test_too_many_findings),
		cmocka_unit_test(test_spec_examples_clean),
		cmocka_unit_test(test_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
