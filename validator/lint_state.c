/*
 * lint_state.c: the fields of each state type, in both query languages:
 * which fields a state may have, their types and ranges, the fields that
 * exclude each other, Retriers and Catchers, Choice Rules, Assign, and the
 * Map state's item reader, batcher and writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"
#include "sd_choice.h"
#include "sd_intrinsic.h"
#include "sd_json.h"
#include "sd_time.h"

/* AWS's upper bound on seconds and counts (about three years). */
#define MAX_SECONDS	99999999LL

/* One state being linted. */
struct st {
	struct lint	*l;
	json_t		*o;
	int		 t;	/* T_* */
	int		 lang;	/* L_* */
	const char	*type;
};

struct fdef {
	const char	*name;
	unsigned short	 types;
	unsigned char	 langs;
};

/* Every field a state may have: in which types, in which languages. */
static const struct fdef fdefs[] = {
	{ "Type",			T_ALL, L_BOTH },
	{ "Comment",			T_ALL, L_BOTH },
	{ "QueryLanguage",		T_ALL, L_BOTH },
	{ "Next",			T_FLOW, L_BOTH },
	{ "End",			T_FLOW, L_BOTH },
	{ "InputPath",			T_ALL & ~T_FAIL, L_JSONPATH },
	{ "OutputPath",			T_ALL & ~T_FAIL, L_JSONPATH },
	{ "Output",			T_ALL & ~T_FAIL, L_JSONATA },
	{ "Assign",			T_ALL & ~(T_SUCCEED | T_FAIL), L_BOTH },
	{ "ResultPath",			T_TASK | T_PASS | T_PARALLEL | T_MAP,
					L_JSONPATH },
	{ "Parameters",			T_TASK | T_PASS | T_PARALLEL | T_MAP,
					L_JSONPATH },
	{ "ResultSelector",		T_TASK | T_PARALLEL | T_MAP, L_JSONPATH },
	{ "Arguments",			T_TASK | T_PARALLEL, L_JSONATA },
	{ "Retry",			T_TASK | T_PARALLEL | T_MAP, L_BOTH },
	{ "Catch",			T_TASK | T_PARALLEL | T_MAP, L_BOTH },
	{ "Result",			T_PASS, L_JSONPATH },
	{ "Resource",			T_TASK, L_BOTH },
	{ "TimeoutSeconds",		T_TASK, L_BOTH },
	{ "HeartbeatSeconds",		T_TASK, L_BOTH },
	{ "TimeoutSecondsPath",		T_TASK, L_JSONPATH },
	{ "HeartbeatSecondsPath",	T_TASK, L_JSONPATH },
	{ "Credentials",		T_TASK, L_BOTH },
	{ "Choices",			T_CHOICE, L_BOTH },
	{ "Default",			T_CHOICE, L_BOTH },
	{ "Seconds",			T_WAIT, L_BOTH },
	{ "Timestamp",			T_WAIT, L_BOTH },
	{ "SecondsPath",		T_WAIT, L_JSONPATH },
	{ "TimestampPath",		T_WAIT, L_JSONPATH },
	{ "Error",			T_FAIL, L_BOTH },
	{ "Cause",			T_FAIL, L_BOTH },
	{ "ErrorPath",			T_FAIL, L_JSONPATH },
	{ "CausePath",			T_FAIL, L_JSONPATH },
	{ "Branches",			T_PARALLEL, L_BOTH },
	{ "ItemProcessor",		T_MAP, L_BOTH },
	{ "Iterator",			T_MAP, L_BOTH },
	{ "ItemSelector",		T_MAP, L_BOTH },
	{ "ItemReader",			T_MAP, L_BOTH },
	{ "ItemBatcher",		T_MAP, L_BOTH },
	{ "ResultWriter",		T_MAP, L_BOTH },
	{ "MaxConcurrency",		T_MAP, L_BOTH },
	{ "ToleratedFailureCount",	T_MAP, L_BOTH },
	{ "ToleratedFailurePercentage",	T_MAP, L_BOTH },
	{ "Label",			T_MAP, L_BOTH },
	{ "ItemsPath",			T_MAP, L_JSONPATH },
	{ "MaxConcurrencyPath",		T_MAP, L_JSONPATH },
	{ "ToleratedFailureCountPath",	T_MAP, L_JSONPATH },
	{ "ToleratedFailurePercentagePath", T_MAP, L_JSONPATH },
	{ "Items",			T_MAP, L_JSONATA },
};

/* The error names of the spec's Appendix A and AWS's additions. */
static const char *const known_errors[] = {
	"States.ALL", "States.DataLimitExceeded",
	"States.ExceedToleratedFailureThreshold", "States.HeartbeatTimeout",
	"States.Timeout", "States.TaskFailed", "States.Permissions",
	"States.ResultPathMatchFailure", "States.ParameterPathFailure",
	"States.QueryEvaluationError", "States.BranchFailed",
	"States.NoChoiceMatched", "States.IntrinsicFailure",
	"States.ItemReaderFailed", "States.ResultWriterFailed",
	"States.Runtime", NULL
};

int
lint_type_bit(const char *type)
{
	static const struct {
		const char	*name;
		int		 bit;
	} types[] = {
		{ "Pass", T_PASS }, { "Task", T_TASK }, { "Choice", T_CHOICE },
		{ "Wait", T_WAIT }, { "Succeed", T_SUCCEED }, { "Fail", T_FAIL },
		{ "Parallel", T_PARALLEL }, { "Map", T_MAP },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, type) == 0)
			return types[i].bit;
	return 0;
}

static int
ends_with_dollar(const char *k, size_t len)
{
	return len >= 2 && k[len - 2] == '.' && k[len - 1] == '$';
}

/* ------------------------------------------------------------ values */

/*
 * obj[f] as an integer in [min, max]. Returns 1 with *out when it is one,
 * 0 when absent, -1 when reported. JSONata states also take a JSONata
 * expression (then 0).
 */
static int
want_int(struct lint *l, json_t *obj, const char *f, int lang, long long min,
    long long max, long long *out)
{
	json_t *v = json_object_get(obj, f);
	long long ll;

	if (v == NULL)
		return 0;
	if (lang == L_JSONATA && json_is_string(v) &&
	    lint_is_jsonata_like(json_string_value(v))) {
		lint_jsonata_expr(l, f, json_string_value(v), 0);
		return 0;
	}
	if (!sd_json_is_integral(v, &ll)) {
		lint_err(l, C_SCHEMA, f, "The value for the field '%s' must be "
		    "an INTEGER%s, not %s", f, lang == L_JSONATA ?
		    " or a JSONata expression" : "", lint_type(v));
		return -1;
	}
	if (ll < min || ll > max) {
		if (max == MAX_SECONDS)
			lint_err(l, C_SCHEMA, f, "The value for the field '%s' "
			    "must be %s (got %lld)", f, min == 0 ?
			    "non-negative" : "positive", ll);
		else
			lint_err(l, C_SCHEMA, f, "The value for the field '%s' "
			    "must be from %lld to %lld (got %lld)", f, min, max,
			    ll);
		return -1;
	}
	if (out != NULL)
		*out = ll;
	return 1;
}

/* obj[f] a string (reported otherwise); NULL when absent or reported. */
static const char *
want_string(struct lint *l, json_t *obj, const char *f)
{
	json_t *v = json_object_get(obj, f);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		lint_err(l, C_SCHEMA, f, "The value for the field '%s' must be a "
		    "STRING, not %s", f, lint_type(v));
		return NULL;
	}
	return json_string_value(v);
}

/* obj[f] one of the strings in vals (NULL-terminated). */
static void
want_enum(struct lint *l, json_t *obj, const char *f,
    const char *const *vals)
{
	const char *s;
	char list[256];
	size_t i, n = 0;
	int r;

	if ((s = want_string(l, obj, f)) == NULL)
		return;
	for (i = 0; vals[i] != NULL; i++)
		if (strcmp(vals[i], s) == 0)
			return;
	list[0] = '\0';
	for (i = 0; vals[i] != NULL; i++) {
		r = snprintf(list + n, sizeof(list) - n, "%s\"%s\"",
		    i > 0 ? ", " : "", vals[i]);
		if (r < 0 || (size_t)r >= sizeof(list) - n)
			break;
		n += (size_t)r;
	}
	lint_err(l, C_SCHEMA, f, "The value for the field '%s' must be one of "
	    "%s (got \"%s\")", f, list, s);
}

/* A path field: a string (or null when nullable) holding a path. */
static void
want_path(struct lint *l, json_t *obj, const char *f, int kind, int nullable)
{
	json_t *v = json_object_get(obj, f);

	if (v == NULL || (nullable && json_is_null(v)))
		return;
	if (!json_is_string(v)) {
		lint_err(l, C_SCHEMA, f, "The value for the field '%s' must be a "
		    "STRING%s, not %s", f, nullable ? " or null" : "",
		    lint_type(v));
		return;
	}
	lint_path(l, f, json_string_value(v), kind);
}

/* a and b may not both be present in obj. */
static void
exclusive(struct lint *l, json_t *obj, const char *a, const char *b)
{
	if (json_object_get(obj, a) != NULL && json_object_get(obj, b) != NULL)
		lint_err(l, C_SCHEMA, b, "The fields '%s' and '%s' are mutually "
		    "exclusive", a, b);
}

/* Report fields of obj (a sub-object) not in allowed. */
static void
only_fields(struct lint *l, json_t *obj, const char *const *allowed,
    const char *what)
{
	const char *k;
	json_t *v;
	size_t i;

	json_object_foreach(obj, k, v) {
		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], k) == 0)
				break;
		if (allowed[i] == NULL)
			lint_err(l, C_SCHEMA, k, "The field '%s' is not supported "
			    "in %s", k, what);
	}
}

/* A JSONata-mode value in obj[f] (any JSON; strings checked). */
static void
want_jsonata_value(struct lint *l, json_t *obj, const char *f, int allow)
{
	json_t *v = json_object_get(obj, f);

	if (v != NULL)
		lint_jsonata_value(l, f, v, allow);
}

/* The same where only an object or an expression will do. */
static void
want_jsonata_object(struct lint *l, json_t *obj, const char *f)
{
	json_t *v = json_object_get(obj, f);

	if (v == NULL)
		return;
	if (!json_is_object(v) && !json_is_string(v))
		lint_err(l, C_SCHEMA, f, "The value for the field '%s' must be an "
		    "OBJECT or a JSONata expression, not %s", f, lint_type(v));
	else if (json_is_string(v))
		lint_jsonata_expr(l, f, json_string_value(v), 0);
	else
		lint_jsonata_value(l, f, v, 0);
}

/* Is s a predefined error name ("States.ALL", "States.Timeout", ...)? */
static int
known_error(const char *s)
{
	size_t k;

	for (k = 0; known_errors[k] != NULL; k++)
		if (strcmp(known_errors[k], s) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ variables */

static int
var_char(unsigned char c, int first)
{
	if (c >= 0x80)		/* Unicode identifiers: not checked further */
		return 1;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return 1;
	return !first && c >= '0' && c <= '9';
}

/* The names an Assign object assigns (".$" stripped) into set. */
static int
collect_assign(json_t *a, struct strset *set)
{
	const char *k;
	json_t *v;
	size_t len;

	if (!json_is_object(a))
		return 0;
	json_object_foreach(a, k, v) {
		len = strlen(k);
		if (ends_with_dollar(k, len))
			len -= 2;
		if (strset_add(set, k, len, 0, NULL) < 0)
			return -1;
	}
	return 0;
}

int
lint_collect_vars(json_t *st, struct strset *set)
{
	static const char *const subs[] = { "Choices", "Catch" };
	json_t *el;
	size_t i, s;

	if (!json_is_object(st))
		return 0;
	if (collect_assign(json_object_get(st, "Assign"), set) != 0)
		return -1;
	for (s = 0; s < sizeof(subs) / sizeof(subs[0]); s++)
		json_array_foreach(json_object_get(st, subs[s]), i, el)
			if (json_is_object(el) && collect_assign(
			    json_object_get(el, "Assign"), set) != 0)
				return -1;
	return 0;
}

/* An Assign object (state, Choice Rule or Catcher). */
static void
lint_assign(struct lint *l, json_t *a, int lang, int allow)
{
	struct scope *sc;
	const char *k;
	json_t *v;
	size_t old, len, i;

	if (!json_is_object(a)) {
		lint_err(l, C_SCHEMA, "Assign", "The value for the field 'Assign' "
		    "must be an OBJECT, not %s", lint_type(a));
		return;
	}
	if (lang == L_JSONPATH)
		lint_template(l, "Assign", a);
	else
		lint_jsonata_value(l, "Assign", a, allow);
	old = loc_push(l, "Assign");
	json_object_foreach(a, k, v) {
		len = strlen(k);
		if (lang == L_JSONPATH && ends_with_dollar(k, len))
			len -= 2;
		for (i = 0; i < len; i++)
			if (!var_char((unsigned char)k[i], i == 0))
				break;
		if (len == 0 || i < len) {
			lint_err(l, C_SCHEMA, k, "'%.*s' is not a valid variable "
			    "name (a letter or '_', then letters, digits or '_')",
			    (int)len, k);
			continue;
		}
		if (len == 6 && memcmp(k, "states", 6) == 0) {
			lint_err(l, C_SCHEMA, k, "The variable name 'states' is "
			    "reserved");
			continue;
		}
		if (utf8_chars(k, len) > LINT_NAME_MAX) {
			lint_err(l, C_SCHEMA, k, "A variable name must be at most "
			    "%d characters", LINT_NAME_MAX);
			continue;
		}
		for (sc = l->scope != NULL ? l->scope->parent : NULL; sc != NULL;
		    sc = sc->parent) {
			if (strset_get(&sc->vars, k, len, NULL)) {
				lint_err(l, C_SCHEMA, k, "The variable '%.*s' is "
				    "assigned in an enclosing scope; a Parallel "
				    "branch or Map iteration may not assign it",
				    (int)len, k);
				break;
			}
		}
	}
	loc_pop(l, old);
}

/* ------------------------------------------------------------ Retry, Catch */

static void
lint_error_equals(struct lint *l, json_t *obj, int last)
{
	json_t *arr = json_object_get(obj, "ErrorEquals"), *e;
	const char *s;
	size_t i, n, old;

	if (arr == NULL) {
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[ErrorEquals]");
		return;
	}
	if (!json_is_array(arr) || (n = json_array_size(arr)) == 0) {
		lint_err(l, C_SCHEMA, "ErrorEquals", "The value for the field "
		    "'ErrorEquals' must be a non-empty ARRAY of error names");
		return;
	}
	old = loc_push(l, "ErrorEquals");
	json_array_foreach(arr, i, e) {
		size_t o2 = loc_push_idx(l, i);

		if (!json_is_string(e)) {
			lint_err(l, C_SCHEMA, NULL, "An error name must be a "
			    "STRING, not %s", lint_type(e));
		} else if (strcmp((s = json_string_value(e)), "States.ALL") == 0) {
			if (n != 1)
				lint_err(l, C_SCHEMA, NULL, "\"States.ALL\" must "
				    "appear alone in 'ErrorEquals'");
			if (!last)
				lint_err(l, C_SCHEMA, NULL, "\"States.ALL\" must "
				    "appear in the last element of the array");
		} else if (strncmp(s, "States.", 7) == 0 && !known_error(s))
			lint_warn(l, C_ERRNAME, NULL, "\"%s\" is not a predefined "
			    "error name; no state raises it", s);
		loc_pop(l, o2);
	}
	loc_pop(l, old);
}

static void
lint_retry(struct lint *l, json_t *arr)
{
	static const char *const fields[] = { "ErrorEquals", "IntervalSeconds",
	    "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy",
	    "Comment", NULL };
	static const char *const jitter[] = { "FULL", "NONE", NULL };
	json_t *r, *v;
	size_t i, n, old, o2;

	if (!json_is_array(arr)) {
		lint_err(l, C_SCHEMA, "Retry", "The value for the field 'Retry' "
		    "must be an ARRAY, not %s", lint_type(arr));
		return;
	}
	n = json_array_size(arr);
	old = loc_push(l, "Retry");
	json_array_foreach(arr, i, r) {
		o2 = loc_push_idx(l, i);
		if (!json_is_object(r)) {
			lint_err(l, C_SCHEMA, NULL, "A Retrier must be an OBJECT, "
			    "not %s", lint_type(r));
			loc_pop(l, o2);
			continue;
		}
		only_fields(l, r, fields, "a Retrier");
		lint_error_equals(l, r, i == n - 1);
		want_int(l, r, "IntervalSeconds", L_JSONPATH, 1, MAX_SECONDS, NULL);
		want_int(l, r, "MaxAttempts", L_JSONPATH, 0, MAX_SECONDS, NULL);
		want_int(l, r, "MaxDelaySeconds", L_JSONPATH, 1, MAX_SECONDS, NULL);
		if ((v = json_object_get(r, "BackoffRate")) != NULL &&
		    (!json_is_number(v) || sd_json_number(v) < 1.0))
			lint_err(l, C_SCHEMA, "BackoffRate", "The value for the "
			    "field 'BackoffRate' must be a NUMBER >= 1.0");
		want_enum(l, r, "JitterStrategy", jitter);
		want_string(l, r, "Comment");
		loc_pop(l, o2);
	}
	loc_pop(l, old);
}

static void
lint_catch(struct lint *l, json_t *arr, int lang)
{
	static const char *const jp_fields[] = { "ErrorEquals", "Next",
	    "ResultPath", "Assign", "Comment", NULL };
	static const char *const ja_fields[] = { "ErrorEquals", "Next",
	    "Output", "Assign", "Comment", NULL };
	json_t *c, *v;
	size_t i, n, old, o2;

	if (!json_is_array(arr)) {
		lint_err(l, C_SCHEMA, "Catch", "The value for the field 'Catch' "
		    "must be an ARRAY, not %s", lint_type(arr));
		return;
	}
	n = json_array_size(arr);
	old = loc_push(l, "Catch");
	json_array_foreach(arr, i, c) {
		o2 = loc_push_idx(l, i);
		if (!json_is_object(c)) {
			lint_err(l, C_SCHEMA, NULL, "A Catcher must be an OBJECT, "
			    "not %s", lint_type(c));
			loc_pop(l, o2);
			continue;
		}
		only_fields(l, c, lang == L_JSONATA ? ja_fields : jp_fields,
		    lang == L_JSONATA ? "a JSONata Catcher" : "a JSONPath "
		    "Catcher");
		lint_error_equals(l, c, i == n - 1);
		if ((v = json_object_get(c, "Next")) == NULL)
			lint_err(l, C_SCHEMA, NULL, "These fields are required: "
			    "[Next]");
		else
			want_string(l, c, "Next");
		if (lang == L_JSONPATH)
			want_path(l, c, "ResultPath", P_RESULT, 1);
		else
			want_jsonata_value(l, c, "Output", JA_ERROR_OUTPUT);
		if ((v = json_object_get(c, "Assign")) != NULL)
			lint_assign(l, v, lang, JA_ERROR_OUTPUT);
		want_string(l, c, "Comment");
		loc_pop(l, o2);
	}
	loc_pop(l, old);
}

/* ------------------------------------------------------------ Choice */

/* The String comparison operators that have a ...Path form. */
static int
has_path_form(const char *op)
{
	static const char *const ops[] = { "StringEquals", "StringLessThan",
	    "StringGreaterThan", "StringLessThanEquals",
	    "StringGreaterThanEquals", NULL };
	size_t i;

	for (i = 0; ops[i] != NULL; i++)
		if (strcmp(ops[i], op) == 0)
			return 1;
	return 0;
}

/* NO_PATH: a path-looking operand for an operator with a Path form. */
static void
choice_no_path(struct lint *l, json_t *rule, int depth)
{
	const char *k;
	json_t *v, *e;
	size_t i, old, o2;

	if (!json_is_object(rule) || depth > LINT_TMPL_DEPTH)
		return;
	json_object_foreach(rule, k, v) {
		if (json_is_string(v) && has_path_form(k) &&
		    lint_looks_like_path(json_string_value(v)))
			lint_warn(l, C_NO_PATH, k, "The value of '%s' looks like a "
			    "path, but the field name does not end with 'Path' "
			    "(use '%sPath' to compare with a value of the input)",
			    k, k);
		if (strcmp(k, "Not") == 0) {
			old = loc_push(l, "Not");
			choice_no_path(l, v, depth + 1);
			loc_pop(l, old);
		} else if ((strcmp(k, "And") == 0 || strcmp(k, "Or") == 0) &&
		    json_is_array(v)) {
			old = loc_push(l, k);
			json_array_foreach(v, i, e) {
				o2 = loc_push_idx(l, i);
				choice_no_path(l, e, depth + 1);
				loc_pop(l, o2);
			}
			loc_pop(l, old);
		}
	}
}

/* Is k a field of JSONPath Choice Rules (for a clearer message)? */
static int
jsonpath_rule_field(const char *k)
{
	size_t n = strlen(k);

	return strcmp(k, "Variable") == 0 || strcmp(k, "And") == 0 ||
	    strcmp(k, "Or") == 0 || strcmp(k, "Not") == 0 ||
	    strncmp(k, "String", 6) == 0 || strncmp(k, "Numeric", 7) == 0 ||
	    strncmp(k, "Boolean", 7) == 0 || strncmp(k, "Timestamp", 9) == 0 ||
	    (n > 2 && k[0] == 'I' && k[1] == 's');
}

/*
 * Is sd_choice's error a JSONPath syntax error (which check_paths off
 * ignores)? It is one at a Variable or ...Path field, worded "the value
 * "..." is not a valid JSONPath: ...".
 */
static int
path_syntax_error(const struct sd_error *e)
{
	const char *last;
	size_t n;

	if (e->location == NULL || e->message == NULL ||
	    strncmp(e->message, "the value \"", 11) != 0 ||
	    (last = strrchr(e->location, '/')) == NULL)
		return 0;
	last++;
	n = strlen(last);
	return strcmp(last, "Variable") == 0 ||
	    (n > 4 && strcmp(last + n - 4, "Path") == 0);
}

static void
lint_rule_jsonpath(struct lint *l, json_t *rule)
{
	struct sd_error e = SD_ERROR_INIT;
	struct sd_choice_rule *cr = NULL;
	const char *field = NULL;
	json_t *v;
	size_t n;
	int r, at_assign = 0;

	r = sd_choice_compile(rule, 1, l->loc, &cr, &e);
	sd_choice_free(cr);
	if (r == SD_ERR_NOMEM)
		l->nomem = 1;
	else if (r != 0 && !(!l->o->check_paths && path_syntax_error(&e))) {
		/* sd_choice names the field below the rule's location. */
		n = l->loclen;
		if (e.location != NULL && strncmp(e.location, l->loc, n) == 0 &&
		    e.location[n] == '/')
			field = e.location + n + 1;
		lint_err(l, C_SCHEMA, field, "%s", e.message != NULL ?
		    e.message : "invalid Choice Rule");
		at_assign = field != NULL && strcmp(field, "Assign") == 0;
	}
	sd_error_clear(&e);	/* field pointed into it */
	if ((v = json_object_get(rule, "Output")) != NULL)
		lint_err(l, C_SCHEMA, "Output", "The field 'Output' is only "
		    "supported in JSONata states");
	/* A non-object Assign may be what sd_choice reported already. */
	if ((v = json_object_get(rule, "Assign")) != NULL &&
	    (json_is_object(v) || !at_assign))
		lint_assign(l, v, L_JSONPATH, 0);
	choice_no_path(l, rule, 0);
}

static void
lint_rule_jsonata(struct lint *l, json_t *rule)
{
	const char *k;
	json_t *v;

	json_object_foreach(rule, k, v) {
		if (strcmp(k, "Condition") == 0 || strcmp(k, "Next") == 0 ||
		    strcmp(k, "Assign") == 0 || strcmp(k, "Output") == 0 ||
		    strcmp(k, "Comment") == 0)
			continue;
		if (jsonpath_rule_field(k))
			lint_err(l, C_SCHEMA, k, "The field '%s' is not supported "
			    "in JSONata states (a JSONata Choice Rule has a "
			    "'Condition')", k);
		else
			lint_err(l, C_SCHEMA, k, "The field '%s' is not supported "
			    "in a Choice Rule", k);
	}
	if ((v = json_object_get(rule, "Condition")) == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[Condition]");
	else if (json_is_string(v))
		lint_jsonata_expr(l, "Condition", json_string_value(v), 0);
	else if (!json_is_boolean(v))
		lint_err(l, C_SCHEMA, "Condition", "The value for the field "
		    "'Condition' must be a BOOLEAN or a JSONata expression, not "
		    "%s", lint_type(v));
	if (json_object_get(rule, "Next") == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: [Next]");
	else
		want_string(l, rule, "Next");
	want_jsonata_value(l, rule, "Output", 0);
	if ((v = json_object_get(rule, "Assign")) != NULL)
		lint_assign(l, v, L_JSONATA, 0);
	want_string(l, rule, "Comment");
}

static void
lint_choice(struct st *s)
{
	struct lint *l = s->l;
	json_t *arr, *rule;
	size_t i, old, o2;

	if ((arr = json_object_get(s->o, "Choices")) == NULL) {
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[Choices]");
	} else if (!json_is_array(arr) || json_array_size(arr) == 0) {
		lint_err(l, C_SCHEMA, "Choices", "The value for the field "
		    "'Choices' must be a non-empty ARRAY");
	} else {
		old = loc_push(l, "Choices");
		json_array_foreach(arr, i, rule) {
			o2 = loc_push_idx(l, i);
			if (!json_is_object(rule))
				lint_err(l, C_SCHEMA, NULL, "A Choice Rule must be "
				    "an OBJECT, not %s", lint_type(rule));
			else if (s->lang == L_JSONATA)
				lint_rule_jsonata(l, rule);
			else
				lint_rule_jsonpath(l, rule);
			loc_pop(l, o2);
		}
		loc_pop(l, old);
	}
	want_string(l, s->o, "Default");
}

/* ------------------------------------------------------------ Task */

static void
lint_credentials(struct lint *l, json_t *c, int lang)
{
	static const char *const jp_fields[] = { "RoleArn", "RoleArn.$", NULL };
	static const char *const ja_fields[] = { "RoleArn", NULL };
	json_t *v;
	size_t old;

	if (!json_is_object(c)) {
		lint_err(l, C_SCHEMA, "Credentials", "The value for the field "
		    "'Credentials' must be an OBJECT, not %s", lint_type(c));
		return;
	}
	old = loc_push(l, "Credentials");
	only_fields(l, c, lang == L_JSONATA ? ja_fields : jp_fields,
	    "Credentials");
	if (json_object_get(c, "RoleArn") == NULL &&
	    json_object_get(c, "RoleArn.$") == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[RoleArn]");
	exclusive(l, c, "RoleArn", "RoleArn.$");
	if ((v = json_object_get(c, "RoleArn")) != NULL) {
		if (!json_is_string(v))
			lint_err(l, C_SCHEMA, "RoleArn", "The value for the field "
			    "'RoleArn' must be a STRING, not %s", lint_type(v));
		else if (lang == L_JSONATA && lint_is_jsonata_like(
		    json_string_value(v)))
			lint_jsonata_expr(l, "RoleArn", json_string_value(v), 0);
		else
			lint_resource(l, "RoleArn", v);
	}
	loc_pop(l, old);
	if (lang == L_JSONPATH && json_object_get(c, "RoleArn.$") != NULL)
		lint_template(l, "Credentials", c);
}

static void
lint_task(struct st *s)
{
	struct lint *l = s->l;
	json_t *v, *o = s->o;
	long long to = 0, hb = 0;
	int hto, hhb;

	if ((v = json_object_get(o, "Resource")) == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[Resource]");
	else
		lint_resource(l, "Resource", v);
	hto = want_int(l, o, "TimeoutSeconds", s->lang, 1, MAX_SECONDS, &to);
	hhb = want_int(l, o, "HeartbeatSeconds", s->lang, 1, MAX_SECONDS, &hb);
	if (hto == 1 && hhb == 1 && hb >= to)
		lint_err(l, C_SCHEMA, "HeartbeatSeconds", "The value for the "
		    "field 'HeartbeatSeconds' (%lld) must be smaller than "
		    "'TimeoutSeconds' (%lld)", hb, to);
	if (s->lang == L_JSONPATH) {
		want_path(l, o, "TimeoutSecondsPath", P_REF, 0);
		want_path(l, o, "HeartbeatSecondsPath", P_REF, 0);
		exclusive(l, o, "TimeoutSeconds", "TimeoutSecondsPath");
		exclusive(l, o, "HeartbeatSeconds", "HeartbeatSecondsPath");
	}
	if ((v = json_object_get(o, "Credentials")) != NULL)
		lint_credentials(l, v, s->lang);
}

/* ------------------------------------------------------------ Wait, Fail */

static void
lint_wait(struct st *s)
{
	static const char *const f[] = { "Seconds", "SecondsPath", "Timestamp",
	    "TimestampPath" };
	struct lint *l = s->l;
	json_t *v, *o = s->o;
	const char *first = NULL, *ts;
	size_t i, n = s->lang == L_JSONATA ? 3 : 4;

	for (i = 0; i < n; i++) {
		if (s->lang == L_JSONATA && i == 1)
			continue;	/* SecondsPath: reported as a field */
		if (json_object_get(o, f[i]) == NULL)
			continue;
		if (first == NULL)
			first = f[i];
		else
			lint_err(l, C_SCHEMA, f[i], "A Wait state takes exactly "
			    "one of %s; '%s' and '%s' are both set",
			    s->lang == L_JSONATA ? "'Seconds', 'Timestamp'" :
			    "'Seconds', 'SecondsPath', 'Timestamp', "
			    "'TimestampPath'", first, f[i]);
	}
	if (first == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: one of "
		    "%s", s->lang == L_JSONATA ? "[Seconds, Timestamp]" :
		    "[Seconds, SecondsPath, Timestamp, TimestampPath]");
	want_int(l, o, "Seconds", s->lang, 0, MAX_SECONDS, NULL);
	if ((v = json_object_get(o, "Timestamp")) != NULL) {
		if (!json_is_string(v))
			lint_err(l, C_SCHEMA, "Timestamp", "The value for the "
			    "field 'Timestamp' must be a STRING, not %s",
			    lint_type(v));
		else if (s->lang == L_JSONATA &&
		    lint_is_jsonata_like(json_string_value(v)))
			lint_jsonata_expr(l, "Timestamp", json_string_value(v), 0);
		else if (sd_time_parse_ts((ts = json_string_value(v)),
		    json_string_length(v), NULL, NULL) != 0)
			lint_err(l, C_SCHEMA, "Timestamp", "The value for the "
			    "field 'Timestamp' must be an RFC 3339 timestamp "
			    "(like 2016-03-14T01:59:00Z), got \"%s\"", ts);
	}
	if (s->lang == L_JSONPATH) {
		want_path(l, o, "SecondsPath", P_REF, 0);
		want_path(l, o, "TimestampPath", P_REF, 0);
	}
}

static void
lint_fail(struct st *s)
{
	static const char *const f[] = { "Error", "Cause" };
	struct lint *l = s->l;
	const char *v;
	size_t i;

	for (i = 0; i < 2; i++) {
		if ((v = want_string(l, s->o, f[i])) == NULL)
			continue;
		if (i == 0 && strncmp(v, "States.", 7) == 0 && !known_error(v))
			lint_warn(l, C_ERRNAME, f[i], "Error names starting with "
			    "\"States.\" are reserved for the predefined errors: "
			    "%s", v);
		if (s->lang == L_JSONATA) {
			if (lint_is_jsonata_like(v))
				lint_jsonata_expr(l, f[i], v, 0);
		} else if (lint_looks_like_path(v) || sd_intrinsic_is_call(v))
			lint_warn(l, C_NO_PATH, f[i], "The value of '%s' looks "
			    "like a path, but the field name does not end with "
			    "'Path' (use '%sPath')", f[i], f[i]);
	}
	if (s->lang == L_JSONPATH) {
		want_path(l, s->o, "ErrorPath", P_REF_OR_FN, 0);
		want_path(l, s->o, "CausePath", P_REF_OR_FN, 0);
		exclusive(l, s->o, "Error", "ErrorPath");
		exclusive(l, s->o, "Cause", "CausePath");
	}
}

/* ------------------------------------------------------------ Pass */

/* PASS_RESULT_IS_STATIC: ".$" keys in a Pass state's Result. */
static void
result_static(struct lint *l, json_t *v, int depth)
{
	const char *k;
	json_t *c;
	size_t i, old;

	if (depth > LINT_TMPL_DEPTH)
		return;
	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			old = loc_push(l, k);
			if (ends_with_dollar(k, strlen(k)))
				lint_warn(l, C_STATIC, NULL, "The field '%s' in "
				    "'Result' ends with '.$', but a Pass state's "
				    "Result is static: it is not evaluated (use "
				    "'Parameters')", k);
			result_static(l, c, depth + 1);
			loc_pop(l, old);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, c) {
			old = loc_push_idx(l, i);
			result_static(l, c, depth + 1);
			loc_pop(l, old);
		}
	}
}

/* ------------------------------------------------------------ Parallel, Map */

static void
lint_parallel(struct st *s)
{
	struct lint *l = s->l;
	json_t *arr, *b;
	size_t i, old, o2;

	if ((arr = json_object_get(s->o, "Branches")) == NULL) {
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[Branches]");
		return;
	}
	if (!json_is_array(arr) || json_array_size(arr) == 0) {
		lint_err(l, C_SCHEMA, "Branches", "The value for the field "
		    "'Branches' must be a non-empty ARRAY");
		return;
	}
	old = loc_push(l, "Branches");
	json_array_foreach(arr, i, b) {
		o2 = loc_push_idx(l, i);
		if (!json_is_object(b))
			lint_err(l, C_SCHEMA, NULL, "A branch must be an OBJECT, "
			    "not %s", lint_type(b));
		else
			lint_machine(l, b, M_BRANCH);
		loc_pop(l, o2);
	}
	loc_pop(l, old);
}

static void
lint_item_reader(struct lint *l, json_t *r, int lang)
{
	static const char *const jp_fields[] = { "Resource", "ReaderConfig",
	    "Parameters", NULL };
	static const char *const ja_fields[] = { "Resource", "ReaderConfig",
	    "Arguments", NULL };
	static const char *const cfg_fields[] = { "InputType",
	    "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "ManifestType",
	    "Transformation", "MaxItems", "MaxItemsPath", NULL };
	static const char *const input_types[] = { "CSV", "JSON", "JSONL",
	    "MANIFEST", "PARQUET", NULL };
	static const char *const header_locs[] = { "FIRST_ROW", "GIVEN", NULL };
	json_t *v, *cfg, *e;
	const char *hl;
	size_t old, o2, i;

	if (!json_is_object(r)) {
		lint_err(l, C_SCHEMA, "ItemReader", "The value for the field "
		    "'ItemReader' must be an OBJECT, not %s", lint_type(r));
		return;
	}
	old = loc_push(l, "ItemReader");
	only_fields(l, r, lang == L_JSONATA ? ja_fields : jp_fields,
	    lang == L_JSONATA ? "a JSONata ItemReader" : "a JSONPath "
	    "ItemReader");
	if ((v = json_object_get(r, "Resource")) == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[Resource]");
	else
		lint_resource(l, "Resource", v);
	if (lang == L_JSONPATH && (v = json_object_get(r, "Parameters")) != NULL)
		lint_template(l, "Parameters", v);
	if (lang == L_JSONATA)
		want_jsonata_object(l, r, "Arguments");
	if ((cfg = json_object_get(r, "ReaderConfig")) != NULL) {
		if (!json_is_object(cfg)) {
			lint_err(l, C_SCHEMA, "ReaderConfig", "The value for the "
			    "field 'ReaderConfig' must be an OBJECT, not %s",
			    lint_type(cfg));
		} else {
			o2 = loc_push(l, "ReaderConfig");
			only_fields(l, cfg, cfg_fields, "a ReaderConfig");
			if (lang == L_JSONATA &&
			    json_object_get(cfg, "MaxItemsPath") != NULL)
				lint_err(l, C_SCHEMA, "MaxItemsPath", "The field "
				    "'MaxItemsPath' is not supported in JSONata "
				    "states");
			want_int(l, cfg, "MaxItems", lang, 1, 100000000, NULL);
			if (lang == L_JSONPATH) {
				want_path(l, cfg, "MaxItemsPath", P_REF, 0);
				exclusive(l, cfg, "MaxItems", "MaxItemsPath");
			}
			if (json_object_get(cfg, "InputType") != NULL)
				want_enum(l, cfg, "InputType", input_types);
			hl = NULL;
			if (json_object_get(cfg, "CSVHeaderLocation") != NULL) {
				want_enum(l, cfg, "CSVHeaderLocation",
				    header_locs);
				hl = json_string_value(json_object_get(cfg,
				    "CSVHeaderLocation"));
			}
			if ((v = json_object_get(cfg, "CSVHeaders")) != NULL) {
				if (!json_is_array(v))
					lint_err(l, C_SCHEMA, "CSVHeaders", "The "
					    "value for the field 'CSVHeaders' "
					    "must be an ARRAY of strings");
				else
					json_array_foreach(v, i, e)
						if (!json_is_string(e)) {
							lint_err(l, C_SCHEMA,
							    "CSVHeaders", "The "
							    "value for the field "
							    "'CSVHeaders' must be "
							    "an ARRAY of strings");
							break;
						}
			} else if (hl != NULL && strcmp(hl, "GIVEN") == 0)
				lint_err(l, C_SCHEMA, NULL, "These fields are "
				    "required: [CSVHeaders] (CSVHeaderLocation "
				    "is GIVEN)");
			want_string(l, cfg, "CSVDelimiter");
			want_string(l, cfg, "ManifestType");
			want_string(l, cfg, "Transformation");
			loc_pop(l, o2);
		}
	}
	loc_pop(l, old);
}

static void
lint_item_batcher(struct lint *l, json_t *b, int lang)
{
	static const char *const jp_fields[] = { "MaxItemsPerBatch",
	    "MaxItemsPerBatchPath", "MaxInputBytesPerBatch",
	    "MaxInputBytesPerBatchPath", "BatchInput", NULL };
	static const char *const ja_fields[] = { "MaxItemsPerBatch",
	    "MaxInputBytesPerBatch", "BatchInput", NULL };
	json_t *v;
	size_t old;

	if (!json_is_object(b)) {
		lint_err(l, C_SCHEMA, "ItemBatcher", "The value for the field "
		    "'ItemBatcher' must be an OBJECT, not %s", lint_type(b));
		return;
	}
	old = loc_push(l, "ItemBatcher");
	only_fields(l, b, lang == L_JSONATA ? ja_fields : jp_fields,
	    lang == L_JSONATA ? "a JSONata ItemBatcher" : "an ItemBatcher");
	want_int(l, b, "MaxItemsPerBatch", lang, 1, MAX_SECONDS, NULL);
	want_int(l, b, "MaxInputBytesPerBatch", lang, 1, 262144, NULL);
	if (lang == L_JSONPATH) {
		want_path(l, b, "MaxItemsPerBatchPath", P_REF, 0);
		want_path(l, b, "MaxInputBytesPerBatchPath", P_REF, 0);
		exclusive(l, b, "MaxItemsPerBatch", "MaxItemsPerBatchPath");
		exclusive(l, b, "MaxInputBytesPerBatch",
		    "MaxInputBytesPerBatchPath");
		if ((v = json_object_get(b, "BatchInput")) != NULL)
			lint_template(l, "BatchInput", v);
	} else
		want_jsonata_value(l, b, "BatchInput", 0);
	if (json_object_get(b, "MaxItemsPerBatch") == NULL &&
	    json_object_get(b, "MaxInputBytesPerBatch") == NULL &&
	    (lang == L_JSONATA ||
	    (json_object_get(b, "MaxItemsPerBatchPath") == NULL &&
	    json_object_get(b, "MaxInputBytesPerBatchPath") == NULL)))
		lint_err(l, C_SCHEMA, NULL, "These fields are required: at least "
		    "one of [MaxItemsPerBatch, MaxInputBytesPerBatch%s]",
		    lang == L_JSONATA ? "" : ", MaxItemsPerBatchPath, "
		    "MaxInputBytesPerBatchPath");
	loc_pop(l, old);
}

/*
 * AWS's ResultWriter: only in a Distributed Map; WriterConfig alone, or
 * Resource (s3:putObject) with Parameters / Arguments {Bucket, Prefix},
 * or all three. The engine takes the same (executor/model.c).
 */
static void
lint_result_writer(struct lint *l, json_t *w, int lang, int distributed)
{
	static const char *const jp_fields[] = { "Resource", "Parameters",
	    "WriterConfig", NULL };
	static const char *const ja_fields[] = { "Resource", "Arguments",
	    "WriterConfig", NULL };
	static const char *const cfg_fields[] = { "OutputType",
	    "Transformation", NULL };
	static const char *const out_types[] = { "JSON", "JSONL", NULL };
	static const char *const transforms[] = { "NONE", "COMPACT", "FLATTEN",
	    NULL };
	const char *pf = lang == L_JSONATA ? "Arguments" : "Parameters", *k, *rs;
	json_t *v, *cfg, *res, *p, *e;
	size_t old, o2, n;
	int bucket = 0;

	if (!json_is_object(w)) {
		lint_err(l, C_SCHEMA, "ResultWriter", "The value for the field "
		    "'ResultWriter' must be an OBJECT, not %s", lint_type(w));
		return;
	}
	if (!distributed)
		lint_err(l, C_SCHEMA, "ResultWriter", "The field 'ResultWriter' "
		    "is only supported in a Distributed Map (ProcessorConfig "
		    "Mode \"DISTRIBUTED\")");
	old = loc_push(l, "ResultWriter");
	only_fields(l, w, lang == L_JSONATA ? ja_fields : jp_fields,
	    lang == L_JSONATA ? "a JSONata ResultWriter" : "a JSONPath "
	    "ResultWriter");
	cfg = json_object_get(w, "WriterConfig");
	res = json_object_get(w, "Resource");
	p = json_object_get(w, pf);
	if (res == NULL && p == NULL && cfg == NULL)
		lint_err(l, C_SCHEMA, NULL, "The ResultWriter cannot be empty: "
		    "These fields are required: [WriterConfig] or [Resource, %s]",
		    pf);
	else if (res == NULL && p != NULL)
		lint_err(l, C_SCHEMA, pf, "The field '%s' goes with 'Resource': "
		    "These fields are required: [Resource]", pf);
	else if (res != NULL && p == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: [%s]",
		    pf);
	if (res != NULL) {
		lint_resource(l, "Resource", res);
		rs = json_string_value(res);
		n = rs != NULL ? strlen(rs) : 0;
		if (rs != NULL && (strncmp(rs, "arn:", 4) != 0 || n <= 15 ||
		    strcmp(rs + n - 15, ":::s3:putObject") != 0))
			lint_err(l, C_SCHEMA, "Resource", "A ResultWriter writes "
			    "with arn:aws:states:::s3:putObject, not %s", rs);
	}
	if (lang == L_JSONPATH && p != NULL)
		lint_template(l, "Parameters", p);
	if (lang == L_JSONATA)
		want_jsonata_object(l, w, "Arguments");
	if (json_is_object(p)) {
		o2 = loc_push(l, pf);
		json_object_foreach(p, k, e) {
			if (strcmp(k, "Bucket") == 0 || (lang == L_JSONPATH &&
			    strcmp(k, "Bucket.$") == 0))
				bucket = 1;
			else if (strcmp(k, "Prefix") != 0 && (lang == L_JSONATA ||
			    strcmp(k, "Prefix.$") != 0))
				lint_err(l, C_SCHEMA, k, "A ResultWriter takes "
				    "Bucket and Prefix, not '%s'", k);
		}
		if (!bucket)
			lint_err(l, C_SCHEMA, NULL, "These fields are required: "
			    "[Bucket]");
		loc_pop(l, o2);
	}
	if (cfg != NULL) {
		if (!json_is_object(cfg)) {
			lint_err(l, C_SCHEMA, "WriterConfig", "The value for the "
			    "field 'WriterConfig' must be an OBJECT, not %s",
			    lint_type(cfg));
		} else {
			o2 = loc_push(l, "WriterConfig");
			only_fields(l, cfg, cfg_fields, "a WriterConfig");
			if (json_object_get(cfg, "OutputType") != NULL)
				want_enum(l, cfg, "OutputType", out_types);
			if (json_object_get(cfg, "Transformation") != NULL)
				want_enum(l, cfg, "Transformation", transforms);
			v = json_object_get(cfg, "OutputType");
			if (res == NULL && json_is_string(v) &&
			    strcmp(json_string_value(v), "JSONL") == 0)
				lint_err(l, C_SCHEMA, "OutputType", "OutputType "
				    "JSONL formats the files written to S3: it "
				    "needs 'Resource' and '%s'", pf);
			loc_pop(l, o2);
		}
	}
	loc_pop(l, old);
}

/* AWS's Label: at most 40 characters, none of these, unique. */
static void
lint_label(struct lint *l, json_t *v)
{
	const char *s;
	size_t i, len;
	unsigned char c;

	if (!json_is_string(v)) {
		lint_err(l, C_SCHEMA, "Label", "The value for the field 'Label' "
		    "must be a STRING, not %s", lint_type(v));
		return;
	}
	s = json_string_value(v);
	len = strlen(s);
	if (len == 0 || utf8_chars(s, len) > LINT_LABEL_MAX) {
		lint_err(l, C_BADLABEL, "Label", "A Label must be 1 to %d "
		    "characters", LINT_LABEL_MAX);
		return;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f || strchr("<>{}[]?*\"#%\\^|~`$&,;:/",
		    c) != NULL || (c == 0xc2 && i + 1 < len &&
		    (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0xa0)) {
			lint_err(l, C_BADLABEL, "Label", "A Label may not contain "
			    "white space, brackets, wildcards, control characters "
			    "or any of \" # %% \\ ^ | ~ ` $ & , ; : /");
			return;
		}
	}
	if (strset_add(&l->labels, s, len, 0, NULL) == 0)
		lint_err(l, C_DUPLABEL, "Label", "Duplicate Label: %s", s);
}

static void
lint_map(struct st *s)
{
	struct lint *l = s->l;
	json_t *v, *o = s->o, *proc, *iter;
	size_t old;

	proc = json_object_get(o, "ItemProcessor");
	iter = json_object_get(o, "Iterator");
	if (proc == NULL && iter == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[ItemProcessor] (or the deprecated Iterator)");
	if (proc != NULL && iter != NULL)
		lint_err(l, C_SCHEMA, "Iterator", "The fields 'ItemProcessor' and "
		    "'Iterator' are mutually exclusive");
	if (proc != NULL) {
		old = loc_push(l, "ItemProcessor");
		if (!json_is_object(proc))
			lint_err(l, C_SCHEMA, NULL, "The value for the field "
			    "'ItemProcessor' must be an OBJECT, not %s",
			    lint_type(proc));
		else
			lint_machine(l, proc, M_PROCESSOR);
		loc_pop(l, old);
	}
	if (iter != NULL) {
		old = loc_push(l, "Iterator");
		if (!json_is_object(iter))
			lint_err(l, C_SCHEMA, NULL, "The value for the field "
			    "'Iterator' must be an OBJECT, not %s",
			    lint_type(iter));
		else
			lint_machine(l, iter, M_PROCESSOR);
		loc_pop(l, old);
	}
	if (s->lang == L_JSONPATH) {
		exclusive(l, o, "ItemSelector", "Parameters");
		if ((v = json_object_get(o, "ItemSelector")) != NULL)
			lint_template(l, "ItemSelector", v);
		want_path(l, o, "ItemsPath", P_REF, 0);
		want_path(l, o, "MaxConcurrencyPath", P_REF, 0);
		want_path(l, o, "ToleratedFailureCountPath", P_REF, 0);
		want_path(l, o, "ToleratedFailurePercentagePath", P_REF, 0);
		exclusive(l, o, "MaxConcurrency", "MaxConcurrencyPath");
		exclusive(l, o, "ToleratedFailureCount",
		    "ToleratedFailureCountPath");
		exclusive(l, o, "ToleratedFailurePercentage",
		    "ToleratedFailurePercentagePath");
	} else {
		want_jsonata_value(l, o, "ItemSelector", 0);
		if ((v = json_object_get(o, "Items")) != NULL) {
			if (json_is_string(v))
				lint_jsonata_expr(l, "Items",
				    json_string_value(v), 0);
			else if (!json_is_array(v))
				lint_err(l, C_SCHEMA, "Items", "The value for the "
				    "field 'Items' must be an ARRAY or a JSONata "
				    "expression, not %s", lint_type(v));
			else
				lint_jsonata_value(l, "Items", v, 0);
		}
	}
	want_int(l, o, "MaxConcurrency", s->lang, 0, MAX_SECONDS, NULL);
	want_int(l, o, "ToleratedFailureCount", s->lang, 0, MAX_SECONDS, NULL);
	if ((v = json_object_get(o, "ToleratedFailurePercentage")) != NULL) {
		if (s->lang == L_JSONATA && json_is_string(v))
			lint_jsonata_expr(l, "ToleratedFailurePercentage",
			    json_string_value(v), 0);
		else if (!json_is_number(v) || sd_json_number(v) < 0 ||
		    sd_json_number(v) > 100)
			lint_err(l, C_SCHEMA, "ToleratedFailurePercentage", "The "
			    "value for the field 'ToleratedFailurePercentage' "
			    "must be a NUMBER from 0 to 100");
	}
	if ((v = json_object_get(o, "ItemReader")) != NULL)
		lint_item_reader(l, v, s->lang);
	if ((v = json_object_get(o, "ItemBatcher")) != NULL)
		lint_item_batcher(l, v, s->lang);
	if ((v = json_object_get(o, "ResultWriter")) != NULL) {
		json_t *ip = proc != NULL ? proc : iter, *mode;
		json_t *pc = json_is_object(ip) ? json_object_get(ip,
		    "ProcessorConfig") : NULL;

		mode = json_is_object(pc) ? json_object_get(pc, "Mode") : NULL;
		lint_result_writer(l, v, s->lang, json_is_string(mode) &&
		    strcmp(json_string_value(mode), "DISTRIBUTED") == 0);
	}
	if ((v = json_object_get(o, "Label")) != NULL)
		lint_label(l, v);
}

/* ------------------------------------------------------------ states */

static const struct fdef *
find_field(const char *k)
{
	size_t i;

	for (i = 0; i < sizeof(fdefs) / sizeof(fdefs[0]); i++)
		if (strcmp(fdefs[i].name, k) == 0)
			return &fdefs[i];
	return NULL;
}

/* The state's query language (reported when bad). */
static int
state_lang(struct lint *l, json_t *o)
{
	json_t *v = json_object_get(o, "QueryLanguage");
	const char *s;

	if (v == NULL)
		return l->top_lang;
	if (!json_is_string(v) ||
	    (strcmp((s = json_string_value(v)), "JSONPath") != 0 &&
	    strcmp(s, "JSONata") != 0)) {
		lint_err(l, C_SCHEMA, "QueryLanguage", "The value for the field "
		    "'QueryLanguage' must be \"JSONPath\" or \"JSONata\"");
		return l->top_lang;
	}
	if (strcmp(s, "JSONata") == 0)
		return L_JSONATA;
	if (l->top_lang == L_JSONATA) {
		lint_err(l, C_SCHEMA, "QueryLanguage", "A state cannot use "
		    "JSONPath when the state machine's QueryLanguage is "
		    "JSONata");
		return L_JSONATA;
	}
	return L_JSONPATH;
}

void
lint_state(struct lint *l, const char *name, json_t *o)
{
	struct st s;
	const struct fdef *fd;
	const char *k;
	json_t *v, *next, *end;
	size_t len = strlen(name);
	int res;

	if (len == 0 || utf8_chars(name, len) > LINT_NAME_MAX)
		lint_err(l, C_BADNAME, NULL, "A state name must be 1 to %d "
		    "characters", LINT_NAME_MAX);
	if (!json_is_object(o)) {
		lint_err(l, C_SCHEMA, NULL, "A state must be an OBJECT, not %s",
		    lint_type(o));
		return;
	}
	memset(&s, 0, sizeof(s));
	s.l = l;
	s.o = o;
	if ((v = json_object_get(o, "Type")) == NULL) {
		lint_err(l, C_SCHEMA, NULL, "These fields are required: [Type]");
		return;
	}
	if (!json_is_string(v) ||
	    (s.t = lint_type_bit(json_string_value(v))) == 0) {
		lint_err(l, C_SCHEMA, "Type", "The value for the field 'Type' "
		    "must be one of \"Pass\", \"Task\", \"Choice\", \"Wait\", "
		    "\"Succeed\", \"Fail\", \"Parallel\", \"Map\"");
		return;
	}
	s.type = json_string_value(v);
	s.lang = state_lang(l, o);

	/* Which fields the state may have. */
	json_object_foreach(o, k, v) {
		if ((fd = find_field(k)) == NULL)
			lint_err(l, C_SCHEMA, k, "The field '%s' is not supported "
			    "in a %s state", k, s.type);
		else if ((fd->types & s.t) == 0)
			lint_err(l, C_SCHEMA, k, "The field '%s' is not supported "
			    "in a %s state", k, s.type);
		else if ((fd->langs & s.lang) == 0)
			lint_err(l, C_SCHEMA, k, s.lang == L_JSONATA ?
			    "The field '%s' is not supported in JSONata states "
			    "(it is a JSONPath field)" : "The field '%s' is only "
			    "supported in JSONata states (QueryLanguage "
			    "\"JSONata\")", k);
	}
	want_string(l, o, "Comment");

	/* Transitions. */
	if (s.t & T_FLOW) {
		next = json_object_get(o, "Next");
		end = json_object_get(o, "End");
		if (end != NULL && !json_is_boolean(end))
			lint_err(l, C_SCHEMA, "End", "The value for the field "
			    "'End' must be a BOOLEAN, not %s", lint_type(end));
		if (next != NULL)
			want_string(l, o, "Next");
		if (json_is_true(end) && next != NULL)
			lint_err(l, C_SCHEMA, NULL, "The fields 'Next' and "
			    "'End' are mutually exclusive");
		else if (!json_is_true(end) && next == NULL)
			lint_err(l, C_SCHEMA, NULL, "These fields are required: "
			    "exactly one of [Next, End]");
	}

	/* Input and output processing. */
	res = (s.t & (T_TASK | T_PARALLEL | T_MAP)) ? JA_RESULT : 0;
	if (s.lang == L_JSONPATH) {
		if (s.t != T_FAIL) {
			want_path(l, o, "InputPath", P_PATH, 1);
			want_path(l, o, "OutputPath", P_PATH, 1);
		}
		if (s.t & (T_TASK | T_PASS | T_PARALLEL | T_MAP)) {
			want_path(l, o, "ResultPath", P_RESULT, 1);
			if ((v = json_object_get(o, "Parameters")) != NULL)
				lint_template(l, "Parameters", v);
		}
		if ((s.t & (T_TASK | T_PARALLEL | T_MAP)) &&
		    (v = json_object_get(o, "ResultSelector")) != NULL)
			lint_template(l, "ResultSelector", v);
	} else {
		if (s.t != T_FAIL)
			want_jsonata_value(l, o, "Output", res);
		if (s.t & (T_TASK | T_PARALLEL))
			want_jsonata_value(l, o, "Arguments", 0);
	}
	if (!(s.t & (T_SUCCEED | T_FAIL)) &&
	    (v = json_object_get(o, "Assign")) != NULL)
		lint_assign(l, v, s.lang, res);
	if (s.t & (T_TASK | T_PARALLEL | T_MAP)) {
		if ((v = json_object_get(o, "Retry")) != NULL)
			lint_retry(l, v);
		if ((v = json_object_get(o, "Catch")) != NULL)
			lint_catch(l, v, s.lang);
	}

	switch (s.t) {
	case T_PASS:
		if ((v = json_object_get(o, "Result")) != NULL) {
			size_t old = loc_push(l, "Result");

			result_static(l, v, 0);
			loc_pop(l, old);
		}
		break;
	case T_TASK:
		lint_task(&s);
		break;
	case T_CHOICE:
		lint_choice(&s);
		break;
	case T_WAIT:
		lint_wait(&s);
		break;
	case T_FAIL:
		lint_fail(&s);
		break;
	case T_PARALLEL:
		lint_parallel(&s);
		break;
	case T_MAP:
		lint_map(&s);
		break;
	default:
		break;
	}
}
