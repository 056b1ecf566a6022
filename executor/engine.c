/*
 * engine.c: run a machine model on an input, as AWS Step Functions does:
 * input/output processing in the spec's order, Retry and Catch, Parallel
 * branches and Map iterations, a virtual clock, the context object and an
 * event history numbered as AWS numbers it.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "sd_json.h"
#include "sd_time.h"

#define NS	1000000000LL
/* AWS: the values one Assign sets, together, at most 256 KiB. */
#define SD_MAX_ASSIGN	(256 * 1024)

/*
 * A scope of variables: the machine's, or one Parallel branch's or Map
 * iteration's. Reads look outward through parent; Assign writes here.
 */
struct scope {
	json_t			*vars;		/* owned: name -> value */
	const struct scope	*parent;
};

struct frame {
	struct exec		*x;
	struct scope		*sc;		/* the state's scope */
	json_t			*assigned;	/* Assign's values, applied on exit (owned) */
	const struct sd_state	*st;
	uint64_t		 entered_id;
	int64_t			 entered_ns;
	int64_t			 retry_count;
	json_t			*input;		/* "$" for the resolver (borrowed) */
	json_t			*item_value;	/* Map.Item.Value (borrowed) */
	int64_t			 item_index;	/* -1 when not in ItemSelector */
	const char		*token;		/* $$.Task.Token */
	char			 token_buf[64];
	double			 hb_every_s;	/* a mock's heartbeat interval; 0 none */
	json_t			*ctx;		/* cached context object (owned) */
	json_t			*tr;		/* trace record, or NULL */
	/* JSONata: what $states holds (borrowed; NULL: absent) */
	json_t			*jn_input;
	json_t			*jn_result;
	json_t			*jn_errout;
};

/* Record a processing step of the current state (with record_trace). */
static int
trace_set(struct frame *fr, const char *key, json_t *v)
{
	if (fr->tr == NULL || v == NULL)
		return 0;
	return json_object_set(fr->tr, key, v) == 0 ? 0 : SD_ERR_NOMEM;
}

static int run_machine(struct exec *, const struct sd_machine *, json_t *input,
    json_t **output, struct fail *, struct scope *);

/* ------------------------------------------------------------ failures */

void
fail_clear(struct fail *f)
{
	free(f->error);
	free(f->cause);
	f->error = NULL;
	f->cause = NULL;
}

int
fail_set(struct fail *f, const char *error, const char *cause)
{
	char *e = NULL, *c = NULL;

	if ((error != NULL && (e = strdup(error)) == NULL) ||
	    (cause != NULL && (c = strdup(cause)) == NULL)) {
		free(e);
		return SD_ERR_NOMEM;
	}
	fail_clear(f);
	f->error = e;
	f->cause = c;
	return R_FAILED;
}

/*
 * A runtime error in the state fr runs, with AWS's prefix:
 * "An error occurred while executing the state 'X' (entered at the event
 * id #N). <message>". Returns R_FAILED (or SD_ERR_NOMEM).
 */
static int
fail_state(struct frame *fr, struct fail *f, const char *error,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail_state(struct frame *fr, struct fail *f, const char *error,
    const char *fmt, ...)
{
	struct sd_buf b;
	va_list ap;
	char *e;

	sd_buf_init(&b, 0);
	(void)sd_buf_printf(&b, "An error occurred while executing the state "
	    "'%s' (entered at the event id #%llu). ", fr->st->name,
	    (unsigned long long)fr->entered_id);
	va_start(ap, fmt);
	(void)sd_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if ((e = strdup(error)) == NULL) {
		sd_buf_release(&b);
		return SD_ERR_NOMEM;
	}
	fail_clear(f);
	f->error = e;
	if ((f->cause = sd_buf_steal(&b)) == NULL)
		return SD_ERR_NOMEM;
	return R_FAILED;
}

/* Compact JSON text of v into the exec's scratch buffer (borrowed). */
static const char *
show(struct exec *x, const json_t *v)
{
	sd_buf_reset(&x->scratch);
	if (v == NULL || sd_json_dump_buf(v, &x->scratch, 0) != 0 ||
	    x->scratch.data == NULL)
		return "";
	return x->scratch.data;
}

/* ------------------------------------------------------------ events */

/* The cause of an execution failed at the history limit (AWS's words). */
#define HISTORY_FULL \
	"The execution reached the maximum number of history events (%llu)."

static int
event(struct exec *x, const char *type, const char *detail_key, json_t *details)
{
	char ts[64];
	json_t *ev;
	uint64_t nth;

	/*
	 * The history limit, as AWS: the last event the limit allows is the
	 * execution's ExecutionSucceeded, or the run stops there and
	 * step_execute logs ExecutionFailed in its place. In a Distributed
	 * Map's child execution event_id is the child's own, and reaching
	 * the limit fails that child (map_child_full).
	 */
	nth = x->event_id + 1;
	if (x->max_history != 0 && !x->history_full && !x->child_full &&
	    nth >= x->max_history && (nth > x->max_history ||
	    strcmp(type, "ExecutionSucceeded") != 0)) {
		if (x->child_depth > 0)
			x->child_full = 1;
		else
			x->history_full = 1;
		json_decref(details);
		return SD_ERR_LIMIT;
	}
	x->event_id++;
	if (x->history == NULL) {
		json_decref(details);
		return 0;
	}
	if (sd_time_format(x->now_ns, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	ev = json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)x->event_id,
	    "previousEventId", (json_int_t)(x->event_id - 1), "timestamp", ts,
	    "type", type);
	if (ev == NULL) {
		json_decref(details);
		return SD_ERR_NOMEM;
	}
	if (details != NULL && json_object_set_new(ev, detail_key, details) != 0) {
		json_decref(ev);
		return SD_ERR_NOMEM;
	}
	if (json_array_append_new(x->history, ev) != 0)
		return SD_ERR_NOMEM;
	return 0;
}

/* An event whose details carry one JSON-encoded payload and a name. */
static int
event_data(struct exec *x, const char *type, const char *detail_key,
    const char *name, const char *data_key, json_t *data)
{
	json_t *d;
	char *text;

	if (x->history == NULL)
		return event(x, type, NULL, NULL);
	if ((d = json_object()) == NULL)
		return SD_ERR_NOMEM;
	if (name != NULL && json_object_set_new(d, "name", json_string(name)) != 0)
		goto nomem;
	if (data != NULL && data_key != NULL) {
		if ((text = sd_json_dumps(data, 0)) == NULL)
			goto nomem;
		if (json_object_set_new(d, data_key, json_string(text)) != 0) {
			free(text);
			goto nomem;
		}
		free(text);
	}
	return event(x, type, detail_key, d);
 nomem:
	json_decref(d);
	return SD_ERR_NOMEM;
}

/*
 * A state's exit event; with Assign, AWS's assignedVariables (each value
 * as JSON text) and assignedVariablesDetails.
 */
static int
event_exited(struct exec *x, const char *type, const char *name,
    json_t *output, json_t *assigned)
{
	json_t *d, *av = NULL, *v;
	const char *k;
	char *text;

	if (x->history == NULL || assigned == NULL)
		return event_data(x, type, "stateExitedEventDetails", name,
		    "output", output);
	if ((d = json_pack("{s:s}", "name", name)) == NULL)
		return SD_ERR_NOMEM;
	if ((text = sd_json_dumps(output, 0)) == NULL ||
	    json_object_set_new(d, "output", json_string(text)) != 0 ||
	    (av = json_object()) == NULL)
		goto nomem;
	free(text);
	text = NULL;
	json_object_foreach(assigned, k, v) {
		if ((text = sd_json_dumps(v, 0)) == NULL ||
		    json_object_set_new(av, k, json_string(text)) != 0)
			goto nomem;
		free(text);
		text = NULL;
	}
	if (json_object_set_new(d, "assignedVariables", av) != 0) {
		av = NULL;
		goto nomem;
	}
	av = NULL;
	if (json_object_set_new(d, "assignedVariablesDetails",
	    json_pack("{s:b}", "truncated", 0)) != 0)
		goto nomem;
	return event(x, type, "stateExitedEventDetails", d);
 nomem:
	free(text);
	json_decref(av);
	json_decref(d);
	return SD_ERR_NOMEM;
}

static int
event_fail(struct exec *x, const char *type, const char *detail_key,
    const struct fail *f)
{
	json_t *d;

	/* Events without details (MapStateFailed, ParallelStateFailed). */
	if (x->history == NULL || detail_key == NULL)
		return event(x, type, NULL, NULL);
	if ((d = json_object()) == NULL)
		return SD_ERR_NOMEM;
	if ((f->error != NULL &&
	    json_object_set_new(d, "error", json_string(f->error)) != 0) ||
	    (f->cause != NULL &&
	    json_object_set_new(d, "cause", json_string(f->cause)) != 0)) {
		json_decref(d);
		return SD_ERR_NOMEM;
	}
	return event(x, type, detail_key, d);
}

/* ------------------------------------------------------------ context */

/*
 * The execution's part of $$ (borrowed): {Execution, StateMachine}, built
 * the first time a state reads the context object, so that a machine that
 * never reads it never pays for it. NULL: out of memory.
 */
static json_t *
ctx_base(struct exec *x)
{
	char ts[64];

	if (x->ctx_base != NULL)
		return x->ctx_base;
	if (sd_time_format(x->start_ns, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	x->ctx_base = json_pack("{s:{s:s, s:O, s:s, s:s, s:s, s:i}, "
	    "s:{s:s, s:s}}", "Execution", "Id", x->exec_arn, "Input", x->input,
	    "Name", x->exec_name, "RoleArn",
	    "arn:aws:iam::000000000000:role/stepdeploy-local", "StartTime", ts,
	    "RedriveCount", 0, "StateMachine", "Id", x->sm->arn, "Name",
	    x->sm->name);
	return x->ctx_base;
}

static json_t *
frame_context(struct frame *fr)
{
	struct exec *x = fr->x;
	json_t *c = NULL, *state = NULL;
	char ts[64];

	if (fr->ctx != NULL)
		return fr->ctx;
	if (ctx_base(x) == NULL || (c = json_copy(x->ctx_base)) == NULL)
		return NULL;
	if (sd_time_format(fr->entered_ns, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	state = json_pack("{s:s, s:s, s:I}", "EnteredTime", ts, "Name",
	    fr->st != NULL ? fr->st->name : "", "RetryCount",
	    (json_int_t)fr->retry_count);
	if (state == NULL || json_object_set_new(c, "State", state) != 0)
		goto fail;
	if (fr->token != NULL && json_object_set_new(c, "Task",
	    json_pack("{s:s}", "Token", fr->token)) != 0)
		goto fail;
	if (fr->item_index >= 0 && json_object_set_new(c, "Map",
	    json_pack("{s:{s:I, s:O}}", "Item", "Index",
	    (json_int_t)fr->item_index, "Value", fr->item_value)) != 0)
		goto fail;
	fr->ctx = c;
	return c;
 fail:
	json_decref(c);
	return NULL;
}

static void
frame_reset_context(struct frame *fr)
{
	json_decref(fr->ctx);
	fr->ctx = NULL;
}

/* The value of variable name, seen from scope sc (borrowed); NULL: none. */
static json_t *
scope_get(const struct scope *sc, const char *name)
{
	json_t *v;

	for (; sc != NULL; sc = sc->parent)
		if (sc->vars != NULL && (v = json_object_get(sc->vars, name)) != NULL)
			return v;
	return NULL;
}

/* The document a path's root refers to. */
static int
path_doc(struct frame *fr, const struct sd_jsonpath *p, json_t **doc,
    struct sd_error *err)
{
	switch (sd_jsonpath_root(p)) {
	case SD_JP_ROOT_CONTEXT:
		if ((*doc = frame_context(fr)) == NULL)
			return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		return 0;
	case SD_JP_ROOT_VARIABLE:
		if ((*doc = scope_get(fr->sc, sd_jsonpath_var_name(p))) == NULL)
			return sd_error_set(err, SD_ERR_NOTFOUND, NULL, "The variable "
			    "'$%s' is not defined", sd_jsonpath_var_name(p));
		return 0;
	default:
		*doc = fr->input;
		return 0;
	}
}

/* Resolve a path for Choice rules and intrinsic arguments. */
static int
resolve_cb(void *ctx, const struct sd_jsonpath *p, json_t **out,
    struct sd_error *err)
{
	struct frame *fr = ctx;
	json_t *doc = NULL;
	int r;

	*out = NULL;
	if ((r = path_doc(fr, p, &doc, err)) != 0)
		return r;
	r = sd_jsonpath_eval(p, doc, out, err);
	if (r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		*out = NULL;
		return 0;
	}
	return r;
}

/*
 * Evaluate a path against doc (or the context); NULL *out: no match, and
 * then *why (when asked) is Jayway's words for it, e.g. "No results for
 * path: $['a']" (new).
 */
static int
eval_path_why(struct frame *fr, const struct sd_jsonpath *p, json_t *doc,
    json_t **out, char **why)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *saved = fr->input;
	int r;

	*out = NULL;
	if (why != NULL)
		*why = NULL;
	fr->input = doc;
	if ((r = path_doc(fr, p, &doc, &err)) == 0)
		r = sd_jsonpath_eval(p, doc, out, &err);
	fr->input = saved;
	if (r == SD_ERR_NOTFOUND) {
		r = 0;
		*out = NULL;
		if (why != NULL) {
			*why = err.message != NULL ? strdup(err.message) :
			    sd_jsonpath_normalized(p);
			if (*why == NULL)
				r = SD_ERR_NOMEM;
		}
	}
	sd_error_clear(&err);
	return r;
}

static int
eval_path(struct frame *fr, const struct sd_jsonpath *p, json_t *doc,
    json_t **out)
{
	return eval_path_why(fr, p, doc, out, NULL);
}

/*
 * Evaluate a path that must select something; when it does not, fail the
 * state with AWS's "Invalid path '...' : <Jayway's words>".
 */
static int
eval_required(struct frame *fr, const struct sd_jsonpath *p, const char *text,
    json_t *doc, json_t **out, struct fail *f)
{
	char *why = NULL;
	int r;

	if ((r = eval_path_why(fr, p, doc, out, &why)) != 0)
		return r;
	if (*out != NULL)
		return R_OK;
	r = fail_state(fr, f, "States.Runtime", "Invalid path '%s' : %s", text,
	    why);
	free(why);
	return r;
}

/* ------------------------------------------------------------ payloads */

static int
map_eval_error(struct frame *fr, struct fail *f, int r, struct sd_error *err)
{
	const char *msg = err->message != NULL ? err->message : sd_strerror(r);

	switch (r) {
	case SD_ERR_NOMEM:
		return SD_ERR_NOMEM;
	case SD_ERR_INTRINSIC:
		return fail_state(fr, f, "States.IntrinsicFailure", "%s", msg);
	default:
		return fail_state(fr, f, "States.Runtime", "%s", msg);
	}
}

/* ------------------------------------------------------------ JSONata */

static int tmpl_eval(struct frame *, const struct sd_tmpl *, json_t **,
    struct fail *);

/*
 * The bindings of a JSONata expression: every variable in scope (inner
 * scopes hide outer ones) and $states {input, context, result,
 * errorOutput}.
 */
static json_t *
jn_bindings(struct frame *fr)
{
	const struct scope *chain[64], *sc;
	json_t *b, *st, *ctx;
	size_t n = 0;

	for (sc = fr->sc; sc != NULL && n < 64; sc = sc->parent)
		chain[n++] = sc;
	if ((b = json_object()) == NULL)
		return NULL;
	while (n > 0) {
		sc = chain[--n];
		if (sc->vars != NULL && json_object_update(b, sc->vars) != 0)
			goto fail;
	}
	if ((ctx = frame_context(fr)) == NULL ||
	    (st = json_object()) == NULL)
		goto fail;
	if (json_object_set_new(b, "states", st) != 0 ||
	    json_object_set(st, "context", ctx) != 0 ||
	    (fr->jn_input != NULL &&
	    json_object_set(st, "input", fr->jn_input) != 0) ||
	    (fr->jn_result != NULL &&
	    json_object_set(st, "result", fr->jn_result) != 0) ||
	    (fr->jn_errout != NULL &&
	    json_object_set(st, "errorOutput", fr->jn_errout) != 0))
		goto fail;
	return b;
 fail:
	json_decref(b);
	return NULL;
}

/* JSONata's (JavaScript's) name for the type of v. */
static const char *
jn_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "object";
	case JSON_ARRAY:	return "array";
	case JSON_STRING:	return "string";
	case JSON_INTEGER:
	case JSON_REAL:		return "number";
	case JSON_TRUE:
	case JSON_FALSE:	return "boolean";
	default:		return "null";
	}
}

/* Evaluate one "{% %}" expression: undefined and errors fail the state. */
static int
jn_eval(struct frame *fr, const struct sd_tmpl *t, json_t **out,
    struct fail *f)
{
	struct sd_jn_opts o = SD_JN_OPTS_INIT;
	struct sd_jn_error je;
	json_t *b;
	char buf[640];
	int r;

	*out = NULL;
	if ((b = jn_bindings(fr)) == NULL)
		return SD_ERR_NOMEM;
	o.aws_functions = 1;
	o.rng = &fr->x->rng;
	o.now_ms = fr->x->now_ns / 1000000;
	o.reject_function_result = 1;
	r = sd_jn_eval(t->jn, NULL, b, &o, out, &je);
	json_decref(b);
	if (r != 0) {
		if (strcmp(je.code, "X0001") == 0)
			return SD_ERR_NOMEM;
		if (strcmp(je.code, SD_JN_FUNCTION_RESULT) == 0)
			return fail_state(fr, f, "States.QueryEvaluationError",
			    "The JSONata expression '%s' specified for the field "
			    "'%s' returned an unsupported result type.", t->expr,
			    t->field);
		return fail_state(fr, f, "States.QueryEvaluationError", "The "
		    "JSONata expression '%s' specified for the field '%s' threw "
		    "an error during evaluation. %s", t->expr, t->field,
		    sd_jn_error_text(&je, buf, sizeof(buf)));
	}
	if (*out == NULL)
		return fail_state(fr, f, "States.QueryEvaluationError", "The "
		    "JSONata expression '%s' specified for the field '%s' "
		    "returned nothing (undefined).", t->expr, t->field);
	return R_OK;
}

/*
 * A result of the wrong type from the expression of t (a JSONata field
 * whose value must have one type): AWS's cause.
 */
static int
jn_wrong_type(struct frame *fr, const struct sd_tmpl *t, const json_t *v,
    const char *want, struct fail *f)
{
	if (t->kind != SD_T_JSONATA)
		return fail_state(fr, f, "States.QueryEvaluationError", "The "
		    "value %s is not of the expected type '%s'",
		    show(fr->x, v), want);
	return fail_state(fr, f, "States.QueryEvaluationError", "The JSONata "
	    "expression '%s' specified for the field '%s' returned an "
	    "unexpected result type. Expected '%s', but was '%s' for value: %s",
	    t->expr, t->field, want, jn_type_name(v), show(fr->x, v));
}

/*
 * A JSONata number field (TimeoutSeconds, MaxConcurrency, ...): an
 * integer in [min, max] (integer) or a number in [min, max].
 */
static int
jn_number(struct frame *fr, const struct sd_tmpl *t, int integer, double min,
    double max, double *out, struct fail *f)
{
	json_t *v = NULL;
	long long ll;
	double d;
	int r;

	if ((r = tmpl_eval(fr, t, &v, f)) != R_OK)
		return r;
	if (!json_is_number(v) || (integer && !sd_json_is_integral(v, &ll))) {
		r = jn_wrong_type(fr, t, v, integer ? "integer" : "number", f);
		json_decref(v);
		return r;
	}
	d = sd_json_number(v);
	json_decref(v);
	if (d < min || d > max)
		return fail_state(fr, f, "States.QueryEvaluationError", "The "
		    "JSONata expression '%s' specified for the field '%s' returned "
		    "%g, which is out of range (%g to %g)", t->expr, t->field, d,
		    min, max);
	*out = d;
	return R_OK;
}

static int
tmpl_eval(struct frame *fr, const struct sd_tmpl *t, json_t **out,
    struct fail *f)
{
	struct sd_error err = SD_ERROR_INIT;
	struct sd_intrinsic_env env;
	json_t *v = NULL, *c = NULL;
	size_t i;
	int r;

	*out = NULL;
	switch (t->kind) {
	case SD_T_LITERAL:
		*out = json_incref(t->literal);
		return R_OK;
	case SD_T_PATH:
		if ((r = resolve_cb(fr, t->path, &v, &err)) != 0) {
			r = map_eval_error(fr, f, r, &err);
			sd_error_clear(&err);
			return r;
		}
		if (v == NULL) {
			json_t *doc = sd_jsonpath_root(t->path) == SD_JP_ROOT_CONTEXT ?
			    frame_context(fr) : fr->input;

			return fail_state(fr, f, "States.Runtime", "The JSONPath "
			    "'%s' specified for the field '%s' could not be found in "
			    "the input '%s'", t->expr, t->field != NULL ? t->field : "",
			    show(fr->x, doc));
		}
		*out = v;
		return R_OK;
	case SD_T_INTRINSIC:
		env.resolve = resolve_cb;
		env.ctx = fr;
		env.rng = &fr->x->rng;
		if ((r = sd_intrinsic_eval(t->fn, &env, &v, &err)) != 0) {
			r = map_eval_error(fr, f, r, &err);
			sd_error_clear(&err);
			return r;
		}
		*out = v;
		return R_OK;
	case SD_T_OBJECT:
		if ((v = json_object()) == NULL)
			return SD_ERR_NOMEM;
		for (i = 0; i < t->n; i++) {
			if ((r = tmpl_eval(fr, t->vals[i], &c, f)) != R_OK) {
				json_decref(v);
				return r;
			}
			if (json_object_set_new_nocheck(v, t->keys[i], c) != 0) {
				json_decref(v);
				return SD_ERR_NOMEM;
			}
		}
		*out = v;
		return R_OK;
	case SD_T_JSONATA:
		return jn_eval(fr, t, out, f);
	case SD_T_ARRAY:
		if ((v = json_array()) == NULL)
			return SD_ERR_NOMEM;
		for (i = 0; i < t->n; i++) {
			if ((r = tmpl_eval(fr, t->vals[i], &c, f)) != R_OK) {
				json_decref(v);
				return r;
			}
			if (json_array_append_new(v, c) != 0) {
				json_decref(v);
				return SD_ERR_NOMEM;
			}
		}
		*out = v;
		return R_OK;
	}
	return SD_ERR_INTERNAL;
}

/* Apply a Payload Template with input as "$". */
static int
apply_tmpl(struct frame *fr, const struct sd_tmpl *t, json_t *input,
    json_t **out, struct fail *f)
{
	json_t *saved = fr->input;
	int r;

	if (t == NULL) {
		*out = json_incref(input);
		return R_OK;
	}
	fr->input = input;
	r = tmpl_eval(fr, t, out, f);
	fr->input = saved;
	return r;
}

static size_t json_size(const json_t *v, size_t limit, size_t acc);
static int json_over(const json_t *v, size_t lim);

/*
 * Evaluate an Assign template (NULL: none) with "$" = doc; the values
 * replace fr->assigned and are applied when the state exits, so every
 * expression of the state sees the variables as they were on entry.
 */
static int
assign_eval(struct frame *fr, const struct sd_tmpl *t, json_t *doc,
    struct fail *f)
{
	json_t *v = NULL;
	int r;

	json_decref(fr->assigned);
	fr->assigned = NULL;
	if (t == NULL)
		return R_OK;
	if ((r = apply_tmpl(fr, t, doc, &v, f)) != R_OK)
		return r;
	if ((r = json_over(v, SD_MAX_ASSIGN)) != 0) {
		json_decref(v);
		if (r < 0)
			return r;
		return fail_state(fr, f, "States.DataLimitExceeded", "The "
		    "variables assigned by the state '%s' exceed the maximum "
		    "size of %d bytes", fr->st->name, SD_MAX_ASSIGN);
	}
	fr->assigned = v;
	return R_OK;
}

/* Apply fr->assigned to the state's scope. */
static int
assign_commit(struct frame *fr)
{
	if (fr->assigned == NULL || json_object_size(fr->assigned) == 0)
		return 0;
	if (fr->sc->vars == NULL && (fr->sc->vars = json_object()) == NULL)
		return SD_ERR_NOMEM;
	return json_object_update(fr->sc->vars, fr->assigned) == 0 ? 0 :
	    SD_ERR_NOMEM;
}

/* InputPath / OutputPath: a Path (null: {}). */
static int
apply_path(struct frame *fr, const struct sd_pathfield *pf, json_t *doc,
    json_t **out, struct fail *f)
{
	json_t *v = NULL;
	char *why = NULL;
	int r;

	if (!pf->present) {
		*out = json_incref(doc);
		return R_OK;
	}
	if (pf->is_null) {
		*out = json_object();
		return *out == NULL ? SD_ERR_NOMEM : R_OK;
	}
	if ((r = eval_path_why(fr, pf->path, doc, &v, &why)) != 0)
		return r == SD_ERR_NOMEM ? r : fail_state(fr, f, "States.Runtime",
		    "Invalid path '%s': %s", pf->text, sd_strerror(r));
	if (v == NULL) {
		r = fail_state(fr, f, "States.Runtime", "Invalid path '%s' : %s",
		    pf->text, why);
		free(why);
		return r;
	}
	*out = v;
	return R_OK;
}

/* ResultPath: combine result into the raw input (null: keep the input). */
static int
apply_result_path(struct frame *fr, const struct sd_pathfield *pf,
    json_t *raw, json_t *result, json_t **out, struct fail *f)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (!pf->present) {
		*out = json_incref(result);
		return R_OK;
	}
	if (pf->is_null) {
		*out = json_incref(raw);
		return R_OK;
	}
	r = sd_jsonpath_assign(pf->path, raw, result, out, &err);
	sd_error_clear(&err);
	if (r == 0)
		return R_OK;
	if (r == SD_ERR_NOMEM)
		return r;
	return fail_state(fr, f, "States.ResultPathMatchFailure", "Unable to apply "
	    "ResultPath '%s' to input '%s'", pf->text, show(fr->x, raw));
}

/* ------------------------------------------------------------ payload size */

/*
 * An upper bound of v's serialised size (compact, as sd_json_dump_buf
 * writes it), stopping early past limit: a string or key counts 6 bytes a
 * byte (\u00XX is the longest escape), an integer 20 (-9223372036854775808),
 * a real 24 (%.17g: -1.2345678901234567e-308).
 */
static size_t
json_size(const json_t *v, size_t limit, size_t acc)
{
	const char *k;
	json_t *c;
	size_t i, n;

	if (acc > limit)
		return acc;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		acc += 2;
		json_object_foreach((json_t *)v, k, c) {
			n = strlen(k);
			if (n > limit / 6)
				return limit + 1;
			acc += 6 * n + 4;
			acc = json_size(c, limit, acc);
			if (acc > limit)
				return acc;
		}
		return acc;
	case JSON_ARRAY:
		acc += 2;
		json_array_foreach(v, i, c) {
			acc = json_size(c, limit, acc + 1);
			if (acc > limit)
				return acc;
		}
		return acc;
	case JSON_STRING:
		n = json_string_length(v);
		if (n > limit / 6)
			return limit + 1;
		return acc + 6 * n + 2;
	case JSON_INTEGER:
		return acc + 20;
	case JSON_REAL:
		return acc + 24;
	default:
		return acc + 5;
	}
}

/*
 * Is v's compact serialisation over lim bytes? 1 or 0, or SD_ERR_NOMEM.
 * json_size's estimate is an upper bound: only when it is over is v
 * serialised and measured.
 */
static int
json_over(const json_t *v, size_t lim)
{
	struct sd_buf b;
	int over;

	if (lim == SIZE_MAX || json_size(v, lim, 0) <= lim)
		return 0;
	sd_buf_init(&b, 0);
	if (sd_json_dump_buf(v, &b, 0) != 0) {
		sd_buf_release(&b);
		return SD_ERR_NOMEM;
	}
	over = b.len > lim;
	sd_buf_release(&b);
	return over;
}

#define NSIZED(x)	(sizeof((x)->sized) / sizeof((x)->sized[0]))

/* The bound measured for v, or SIZE_MAX when v is not in the cache. */
static size_t
sized_bound(const struct exec *x, const json_t *v)
{
	size_t i;

	for (i = 0; i < NSIZED(x); i++)
		if (x->sized[i].v == v)
			return x->sized[i].bound;
	return SIZE_MAX;
}

/*
 * json_size of v, where an element of v that is in the cache counts its
 * measured bound. Only an array's own elements are looked up: a result
 * built from values measured before (the branches' outputs of a Parallel)
 * is then not walked again. An object's members are not: the lookups
 * cost a loop bench more than they save.
 */
static size_t
json_size_sized(const struct exec *x, const json_t *v, size_t limit)
{
	json_t *c;
	size_t acc = 2, i, b;

	if (!json_is_array(v))
		return json_size(v, limit, 0);
	json_array_foreach(v, i, c) {
		b = sized_bound(x, c);
		acc = b != SIZE_MAX && b <= limit ? acc + 1 + b :
		    json_size(c, limit, acc + 1);
		if (acc > limit)
			return acc;
	}
	return acc;
}

static int
check_size(struct frame *fr, json_t *v, struct fail *f)
{
	struct exec *x = fr->x;
	size_t i, bound;
	int over = 0;

	if (x->max_payload == SIZE_MAX || sized_bound(x, v) != SIZE_MAX)
		return R_OK;
	bound = json_size_sized(x, v, x->max_payload);
	if (bound > x->max_payload && (over = json_over(v, x->max_payload)) < 0)
		return over;
	if (over == 0) {
		/* measured exactly when over the bound: the bound is then lim */
		i = x->sized_next++ % NSIZED(x);
		json_decref(x->sized[i].v);
		x->sized[i].v = json_incref(v);
		x->sized[i].bound = bound <= x->max_payload ? bound :
		    x->max_payload;
		return R_OK;
	}
	/* AWS's cause here is the bare sentence, without fail_state's prefix. */
	{
		char *cause = sd_asprintf("The state/task '%s' returned a result "
		    "with a size exceeding the maximum number of bytes service "
		    "limit.", fr->st->name);
		int r;

		if (cause == NULL)
			return SD_ERR_NOMEM;
		r = fail_set(f, "States.DataLimitExceeded", cause);
		free(cause);
		return r < 0 ? r : R_FAILED;
	}
}

/* ------------------------------------------------------------ clock */

static int64_t
real_now(void)
{
	return sd_time_now();
}

/*
 * Advance the clock to target. Returns R_TIMEOUT if the machine's deadline
 * comes first (the clock then stops at the deadline).
 */
static int
clock_wait_until(struct exec *x, int64_t target)
{
	int64_t stop = target;
	int timed_out = 0;

	if (x->deadline_ns != 0 && target > x->deadline_ns) {
		stop = x->deadline_ns;
		timed_out = 1;
	}
	if (x->real_time) {
		for (;;) {
			int64_t now = real_now(), left = stop - now;
			struct timespec ts;

			if (left <= 0)
				break;
			ts.tv_sec = left / NS;
			ts.tv_nsec = left % NS;
			if (nanosleep(&ts, NULL) != 0 && errno != EINTR)
				break;
		}
		x->now_ns = real_now();
	} else if (stop > x->now_ns)
		x->now_ns = stop;
	return timed_out ? R_TIMEOUT : R_OK;
}

static int
clock_timed_out(struct exec *x)
{
	if (x->real_time)
		x->now_ns = real_now();
	return x->deadline_ns != 0 && x->now_ns >= x->deadline_ns;
}

static uint64_t
rng_next(struct exec *x)
{
	uint64_t z = (x->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ------------------------------------------------------------ errors */

/* Errors that States.ALL does not catch (AWS: terminal). */
static int
error_is_terminal(const char *e)
{
	return strcmp(e, "States.Runtime") == 0 ||
	    strcmp(e, "States.DataLimitExceeded") == 0;
}

static int
error_matches(char *const *names, size_t n, const char *error)
{
	size_t i;

	if (error == NULL)
		error = "";
	for (i = 0; i < n; i++) {
		if (strcmp(names[i], error) == 0)
			return 1;
		if (error_is_terminal(error))
			continue;
		if (strcmp(names[i], "States.ALL") == 0)
			return 1;
		if (strcmp(names[i], "States.TaskFailed") == 0 &&
		    strcmp(error, "States.Timeout") != 0 &&
		    strncmp(error, "States.", 7) != 0)
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ Task */

/*
 * How a Task's resource runs, AWS's service integration patterns
 * (docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html)
 * and activities.
 */
enum task_pattern {
	TP_RESPONSE,	/* request-response; a Lambda function ARN */
	TP_TOKEN,	/* .waitForTaskToken: a callback with the task token */
	TP_SYNC,	/* .sync, .sync:2: start a job, wait until it ends */
	TP_ACTIVITY,	/* arn:aws:states:REGION:ACCOUNT:activity:NAME */
};

static int
is_activity(const char *resource)
{
	return strncmp(resource, "arn:aws:states:", 15) == 0 &&
	    strstr(resource, ":activity:") != NULL;
}

static enum task_pattern
task_pattern(const char *resource)
{
	const char *p;
	size_t n = strlen(resource);

	if (is_activity(resource))
		return TP_ACTIVITY;
	if (n >= 17 && strcmp(resource + n - 17, ".waitForTaskToken") == 0)
		return TP_TOKEN;
	if ((p = strstr(resource, ".sync")) != NULL &&
	    (p[5] == '\0' || p[5] == ':'))
		return TP_SYNC;
	return TP_RESPONSE;
}

static const char *
task_event_prefix(const char *resource, const char **detail_prefix)
{
	if (strncmp(resource, "arn:aws:lambda:", 15) == 0) {
		*detail_prefix = "lambdaFunction";
		return "LambdaFunction";
	}
	if (is_activity(resource)) {
		*detail_prefix = "activity";
		return "Activity";
	}
	*detail_prefix = "task";
	return "Task";
}

/*
 * A fresh task token: "token-" the generator's state "-" a count, so a
 * token this execution issued is told from one it never did.
 */
static int
task_token_make(struct exec *x, char *buf, size_t size)
{
	int n = snprintf(buf, size, "token-%016llx-%llu",
	    (unsigned long long)x->rng, (unsigned long long)++x->task_tokens);

	return n < 0 || (size_t)n >= size ? SD_ERR_INTERNAL : 0;
}

/*
 * {resourceType, resource} of a service integration arn:aws:states:::SVC:
 * ACTION, as the Task events carry them (new); {} for other resources.
 */
static json_t *
task_resource_details(const char *resource)
{
	const char *svc, *act;

	if (strncmp(resource, "arn:aws:states:::", 17) != 0)
		return json_object();
	svc = resource + 17;
	if ((act = strchr(svc, ':')) == NULL)
		return json_pack("{s:s, s:s}", "resourceType", svc, "resource", "");
	return json_pack("{s:s%, s:s}", "resourceType", svc, (size_t)(act - svc),
	    "resource", act + 1);
}

/*
 * A Task, Activity or LambdaFunction event "<prefix><what>" with AWS's
 * details: a service integration's {resourceType, resource}, output
 * (borrowed; as JSON text, with outputDetails), workerName, the failure's
 * error and cause; no details when there are none.
 */
static int
task_event(struct exec *x, const struct sd_state *st, const char *what,
    json_t *output, const char *worker, const struct fail *f)
{
	const char *pfx, *dpfx;
	char type[64], key[80], *text = NULL;
	json_t *d;
	int n;

	pfx = task_event_prefix(st->resource, &dpfx);
	if ((n = snprintf(type, sizeof(type), "%s%s", pfx, what)) < 0 ||
	    (size_t)n >= sizeof(type) || (n = snprintf(key, sizeof(key),
	    "%s%sEventDetails", dpfx, what)) < 0 || (size_t)n >= sizeof(key))
		return SD_ERR_INTERNAL;
	if (x->history == NULL)
		return event(x, type, NULL, NULL);
	d = strcmp(pfx, "Task") == 0 ? task_resource_details(st->resource) :
	    json_object();
	if (d == NULL)
		return SD_ERR_NOMEM;
	if (output != NULL && ((text = sd_json_dumps(output, 0)) == NULL ||
	    json_object_set_new(d, "output", json_string(text)) != 0 ||
	    json_object_set_new(d, "outputDetails",
	    json_pack("{s:b}", "truncated", 0)) != 0))
		goto nomem;
	if (worker != NULL &&
	    json_object_set_new(d, "workerName", json_string(worker)) != 0)
		goto nomem;
	if (f != NULL && ((f->error != NULL &&
	    json_object_set_new(d, "error", json_string(f->error)) != 0) ||
	    (f->cause != NULL &&
	    json_object_set_new(d, "cause", json_string(f->cause)) != 0)))
		goto nomem;
	free(text);
	if (json_object_size(d) == 0) {
		json_decref(d);
		return event(x, type, NULL, NULL);
	}
	return event(x, type, key, d);
 nomem:
	free(text);
	json_decref(d);
	return SD_ERR_NOMEM;
}

static struct handler_entry *
find_handler(struct step_machine *sm, const char *key)
{
	size_t i;

	for (i = 0; i < sm->nhandlers; i++) {
		if (key == NULL && sm->handlers[i].key == NULL)
			return &sm->handlers[i];
		if (key != NULL && sm->handlers[i].key != NULL &&
		    strcmp(sm->handlers[i].key, key) == 0)
			return &sm->handlers[i];
	}
	return NULL;
}

/* How a mock or handler answered, besides the result or failure. */
struct task_answer {
	json_t		*submitted;	/* the service call's response, or NULL */
	json_t		*calls;		/* callbacks to play, or NULL */
	const char	*worker;	/* the activity worker's name (borrowed) */
	double		 delay_s;	/* the mock's virtual duration */
	int		 unsent;	/* the service call was never made */
};

static void
task_answer_clear(struct task_answer *a)
{
	json_decref(a->submitted);
	json_decref(a->calls);
	a->submitted = a->calls = NULL;
}

/*
 * Answer a Task from the mocks. Returns R_OK with *out (NULL when the
 * callbacks in ans decide), R_FAILED with f.
 */
static int
task_from_mock(struct frame *fr, const char *key, json_t *list,
    enum task_pattern pat, json_t **out, struct fail *f,
    struct task_answer *ans)
{
	struct exec *x = fr->x;
	json_t *resp, *pos, *v, *calls, *sub, *worker;
	json_int_t i = 0;

	if (json_is_array(list)) {
		pos = json_object_get(x->mock_pos, key);
		i = pos != NULL ? json_integer_value(pos) : 0;
		if ((size_t)i >= json_array_size(list))
			return fail_state(fr, f, "States.Runtime", "The mocks for "
			    "'%s' are used up: it was called %lld times and the list "
			    "has %zu responses", key, (long long)i + 1,
			    json_array_size(list));
		resp = json_array_get(list, (size_t)i);
		if (json_object_set_new(x->mock_pos, key, json_integer(i + 1)) != 0)
			return SD_ERR_NOMEM;
	} else
		resp = list;
	calls = json_object_get(resp, "callbacks");
	sub = json_object_get(resp, "submitted");
	worker = json_object_get(resp, "workerName");
	if (calls != NULL && pat != TP_TOKEN && pat != TP_ACTIVITY)
		return fail_state(fr, f, "States.Runtime", "The mock for '%s' "
		    "answers with callbacks, which only a .waitForTaskToken Task "
		    "or an activity takes (the resource is '%s')", key,
		    fr->st->resource);
	if (sub != NULL && pat != TP_TOKEN && pat != TP_SYNC)
		return fail_state(fr, f, "States.Runtime", "The mock for '%s' "
		    "gives the service call's response (submitted), which only a "
		    ".waitForTaskToken or .sync Task has (the resource is '%s')",
		    key, fr->st->resource);
	if (worker != NULL && pat != TP_ACTIVITY)
		return fail_state(fr, f, "States.Runtime", "The mock for '%s' "
		    "names an activity worker (workerName), but the resource '%s' "
		    "is not an activity", key, fr->st->resource);
	ans->unsent = 0;
	ans->submitted = json_incref(sub);
	ans->calls = json_incref(calls);
	ans->worker = json_string_value(worker);
	if ((v = json_object_get(resp, "delaySeconds")) != NULL)
		ans->delay_s = sd_json_number(v);
	if ((v = json_object_get(resp, "heartbeatSeconds")) != NULL)
		fr->hb_every_s = sd_json_number(v);
	if (calls != NULL)
		return R_OK;
	if ((v = json_object_get(resp, "result")) != NULL) {
		*out = json_incref(v);
		return R_OK;
	}
	return fail_set(f, json_string_value(json_object_get(resp, "error")),
	    json_string_value(json_object_get(resp, "cause")));
}

/* Wrap a Lambda result as arn:aws:states:::lambda:invoke does. */
static int
wrap_lambda_invoke(json_t **result)
{
	json_t *w;

	w = json_pack("{s:s, s:O, s:{s:{s:s, s:s, s:s}, s:i}, s:{s:s}, s:i}",
	    "ExecutedVersion", "$LATEST", "Payload", *result,
	    "SdkHttpMetadata", "HttpHeaders", "Connection", "keep-alive",
	    "Content-Type", "application/json", "X-Amz-Executed-Version",
	    "$LATEST", "HttpStatusCode", 200, "SdkResponseMetadata", "RequestId",
	    "00000000-0000-0000-0000-000000000000", "StatusCode", 200);
	if (w == NULL)
		return SD_ERR_NOMEM;
	json_decref(*result);
	*result = w;
	return 0;
}

/*
 * A function error through lambda:invoke, as AWS reports it: the error is
 * the function's errorType ("Lambda.Unknown" when it named none) and the
 * cause the function's error payload as JSON text. Takes tf's strings.
 */
static int
lambda_invoke_error(struct step_task_failure *tf, struct fail *f)
{
	json_t *payload;
	const char *type = tf->error != NULL ? tf->error : "Lambda.Unknown";

	payload = json_pack("{s:s, s:s, s:[]}", "errorMessage",
	    tf->cause != NULL ? tf->cause : "", "errorType", type, "trace");
	f->error = strdup(type);
	f->cause = payload != NULL ? sd_json_dumps(payload, 0) : NULL;
	json_decref(payload);
	free(tf->error);
	free(tf->cause);
	tf->error = tf->cause = NULL;
	return f->error == NULL || f->cause == NULL ? SD_ERR_NOMEM : R_FAILED;
}

/*
 * Call the Task's mock or handler: R_OK with *out (NULL when the callbacks
 * in ans decide), R_FAILED with f. token is the task token a handler is
 * given (.waitForTaskToken, activity), else NULL.
 */
static int
task_call(struct frame *fr, json_t *input, enum task_pattern pat,
    const char *token, json_t **out, struct fail *f,
    struct task_answer *ans)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	struct handler_entry *h;
	struct step_task_call call;
	struct step_task_failure tf = { NULL, NULL };
	struct step_callbacks cbs;
	json_t *mock;
	int r, invoke = pat == TP_RESPONSE &&
	    strcmp(st->resource, "arn:aws:states:::lambda:invoke") == 0;

	*out = NULL;
	memset(ans, 0, sizeof(*ans));
	ans->unsent = 1;
	if (x->ts != NULL && x->ts->mock_result != NULL) {
		*out = json_incref(x->ts->mock_result);
		return R_OK;
	}
	if (x->ts != NULL && x->ts->mock_error != NULL)
		return fail_set(f, x->ts->mock_error, x->ts->mock_cause);
	if (st->is_taskfn) {
		json_t *ctx = frame_context(fr);

		if (ctx == NULL)
			return SD_ERR_NOMEM;
		ans->unsent = 0;
		if (step_dispatch(x->sm, input, ctx, out, &tf) == 0)
			return R_OK;
		fail_clear(f);
		f->error = tf.error != NULL ? tf.error : strdup("States.TaskFailed");
		f->cause = tf.cause;
		return f->error == NULL ? SD_ERR_NOMEM : R_FAILED;
	}
	if ((h = find_handler(x->sm, st->name)) == NULL &&
	    (h = find_handler(x->sm, st->resource)) == NULL &&
	    x->sm->mocks != NULL) {
		if ((mock = json_object_get(x->sm->mocks, st->name)) != NULL)
			return task_from_mock(fr, st->name, mock, pat, out, f, ans);
		if ((mock = json_object_get(x->sm->mocks, st->resource)) != NULL)
			return task_from_mock(fr, st->resource, mock, pat, out, f,
			    ans);
	}
	if (h == NULL && (h = find_handler(x->sm, NULL)) == NULL)
		return fail_state(fr, f, "States.Runtime", "No mock or handler "
		    "answers the Task state '%s' (resource '%s')", st->name,
		    st->resource);
	memset(&call, 0, sizeof(call));
	memset(&cbs, 0, sizeof(cbs));
	cbs.takes_calls = pat == TP_TOKEN || pat == TP_ACTIVITY;
	cbs.takes_submit = pat == TP_TOKEN || pat == TP_SYNC;
	call.state = st->name;
	call.resource = st->resource;
	call.input = input;
	call.task_token = token;
	call.context = frame_context(fr);
	call.timeout_ms = st->timeout_s * 1000;
	call.callbacks = &cbs;
	if (call.context == NULL)
		return SD_ERR_NOMEM;
	r = h->fn(h->user, &call, out, &tf);
	ans->submitted = cbs.submitted;
	ans->calls = cbs.calls;
	/* A service call that failed after sending callbacks never started. */
	ans->unsent = r != 0 && cbs.calls != NULL;
	if (r == 0 && cbs.calls != NULL) {
		if (*out == NULL)
			return R_OK;
		json_decref(*out);
		*out = NULL;
		return fail_state(fr, f, "States.Runtime", "The handler of the "
		    "Task state '%s' sent callbacks and also returned a result: a "
		    "handler that sends callbacks answers with them alone",
		    st->name);
	}
	if (r == 0 && *out == NULL)
		*out = json_null();
	/*
	 * A handler is the Lambda function itself: through lambda:invoke its
	 * result comes back wrapped as the Invoke API answers. (A mock is
	 * the Task's whole result, as Step Functions Local's mocks are; a
	 * .waitForTaskToken Task's result is its callback's output.)
	 */
	if (r == 0 && invoke && wrap_lambda_invoke(out) != 0)
		return SD_ERR_NOMEM;
	if (r == 0)
		return R_OK;
	json_decref(*out);
	*out = NULL;
	fail_clear(f);
	if (invoke)
		return lambda_invoke_error(&tf, f);
	f->error = tf.error != NULL ? tf.error : strdup("States.TaskFailed");
	f->cause = tf.cause;
	return f->error == NULL ? SD_ERR_NOMEM : R_FAILED;
}

/*
 * Details of the Scheduled event as AWS shapes them: a Lambda function ARN
 * or an activity gets {resource, input}; a service integration
 * arn:aws:states:::SVC:ACTION gets {resourceType, resource, region,
 * parameters}.
 */
static json_t *
task_scheduled_details(const struct sd_state *st, json_t *input,
    int64_t timeout_ns)
{
	char *in = sd_json_dumps(input, 0);
	json_t *d = NULL;

	if (in == NULL)
		return NULL;
	if (strncmp(st->resource, "arn:aws:states:::", 17) == 0) {
		if ((d = task_resource_details(st->resource)) != NULL &&
		    (json_object_set_new(d, "region", json_string("us-east-1")) !=
		    0 || json_object_set_new(d, "parameters", json_string(in)) !=
		    0)) {
			json_decref(d);
			d = NULL;
		}
	} else
		d = json_pack("{s:s, s:s}", "resource", st->resource, "input", in);
	if (d != NULL && timeout_ns > 0 && json_object_set_new(d,
	    "timeoutInSeconds", json_integer(timeout_ns / NS)) != 0) {
		json_decref(d);
		d = NULL;
	}
	free(in);
	return d;
}

/*
 * The TaskSubmitted output when the mock or handler gave none: a
 * states:startExecution.sync job's start answer {ExecutionArn, StartDate}
 * is in its result; for other resources there is none (AWS's
 * TaskSubmittedEventDetails.output is optional). New, or NULL.
 */
static json_t *
task_derived_submit(const struct sd_state *st, json_t *result)
{
	json_t *arn = json_object_get(result, "ExecutionArn");
	json_t *date = json_object_get(result, "StartDate");

	if (strncmp(st->resource, "arn:aws:states:::states:startExecution.sync",
	    43) != 0 || arn == NULL || date == NULL)
		return NULL;
	return json_pack("{s:O, s:O}", "ExecutionArn", arn, "StartDate", date);
}

/* When HeartbeatSeconds or TimeoutSeconds passes first (0: neither set). */
static int64_t
task_due(int64_t start, int64_t beat, int64_t hb_ns, int64_t timeout_ns,
    int *heartbeat)
{
	int64_t hb = hb_ns > 0 ? beat + hb_ns : 0;
	int64_t to = timeout_ns > 0 ? start + timeout_ns : 0;

	*heartbeat = hb != 0 && (to == 0 || hb < to);
	return *heartbeat ? hb : to;
}

/* The task times out at due: States.HeartbeatTimeout or States.Timeout. */
static int
task_time_out(struct exec *x, int64_t due, int heartbeat, struct fail *f)
{
	if (clock_wait_until(x, due) == R_TIMEOUT)
		return R_TIMEOUT;
	return fail_set(f, heartbeat ? "States.HeartbeatTimeout" :
	    "States.Timeout", NULL);
}

/* The API call a callback object makes, and its request (borrowed). */
static const char *
callback_call(json_t *cb, json_t **req)
{
	const char *k;
	json_t *v;

	json_object_foreach(cb, k, v) {
		if (strcmp(k, "afterSeconds") != 0) {
			*req = v;
			return k;
		}
	}
	*req = NULL;
	return "";
}

/*
 * A callback AWS refuses (docs.aws.amazon.com/step-functions/latest/
 * apireference/API_SendTaskSuccess.html, Errors): listed in the result,
 * not applied.
 */
static int
task_refuse(struct frame *fr, json_t *cb, const char *error,
    const char *detail)
{
	struct exec *x = fr->x;
	json_t *req, *at = json_object_get(cb, "afterSeconds"), *e;
	const char *call = callback_call(cb, &req), *msg;
	char *cause;

	if (strcmp(error, "InvalidToken") == 0)
		msg = "The provided token is not valid.";
	else if (strcmp(error, "InvalidOutput") == 0)
		msg = "The provided JSON output data is not valid.";
	else
		msg = "The task token has either expired or the task associated "
		    "with the token has already been closed.";
	if ((cause = sd_asprintf("%s%s%s", msg, detail != NULL ? " " : "",
	    detail != NULL ? detail : "")) == NULL)
		return SD_ERR_NOMEM;
	if (x->refused == NULL && (x->refused = json_array()) == NULL) {
		free(cause);
		return SD_ERR_NOMEM;
	}
	e = json_pack("{s:s, s:o, s:s, s:s, s:s}", "state", fr->st->name,
	    "afterSeconds", at != NULL ? json_incref(at) : json_integer(0),
	    "call", call, "error", error, "cause", cause);
	free(cause);
	if (e == NULL || json_array_append_new(x->refused, e) != 0)
		return SD_ERR_NOMEM;
	return 0;
}

/*
 * Why a callback's token is refused, or NULL for the task's own: a token
 * this execution issued to an earlier task is that closed task's
 * (TaskTimedOut); anything else is not a token (InvalidToken).
 */
static const char *
token_refusal(struct exec *x, const char *own, const char *tok)
{
	unsigned long long n;
	char *end;
	size_t i;

	if (own != NULL && strcmp(tok, own) == 0)
		return NULL;
	if (strncmp(tok, "token-", 6) != 0)
		return "InvalidToken";
	for (i = 6; i < 22; i++)
		if (strchr("0123456789abcdef", tok[i]) == NULL || tok[i] == '\0')
			return "InvalidToken";
	if (tok[22] != '-' || tok[23] < '1' || tok[23] > '9')
		return "InvalidToken";
	errno = 0;
	n = strtoull(tok + 23, &end, 10);
	if (errno != 0 || *end != '\0' || n > x->task_tokens)
		return "InvalidToken";
	return "TaskTimedOut";
}

/*
 * Play a callback task's API calls on the virtual clock from start
 * (docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html
 * #connect-wait-token, "Configure a Heartbeat Timeout"): a heartbeat
 * restarts the HeartbeatSeconds timer; SendTaskSuccess ends the task with
 * its output, SendTaskFailure with its error; HeartbeatSeconds or
 * TimeoutSeconds passing first times it out. A call AWS refuses is listed
 * (task_refuse) and changes nothing.
 */
static int
task_replay(struct frame *fr, const char *token, json_t *calls,
    int64_t start, int64_t hb_ns, int64_t timeout_ns, json_t **result,
    struct fail *f)
{
	struct exec *x = fr->x;
	json_t *cb, *req, *v;
	json_error_t je;
	const char *call, *tok, *why, *s;
	int64_t beat = start, at, due;
	size_t i;
	int r, hb, closed = 0, tr = R_FAILED;

	*result = NULL;
	json_array_foreach(calls, i, cb) {
		v = json_object_get(cb, "afterSeconds");
		at = start + (int64_t)((v != NULL ? sd_json_number(v) : 0) *
		    (double)NS);
		if (!closed && (due = task_due(start, beat, hb_ns, timeout_ns,
		    &hb)) != 0 && at > due) {
			if ((tr = task_time_out(x, due, hb, f)) != R_FAILED)
				return tr;
			closed = 1;
		}
		call = callback_call(cb, &req);
		tok = json_string_value(json_object_get(req, "taskToken"));
		why = closed ? "TaskTimedOut" : tok != NULL ?
		    token_refusal(x, token, tok) : NULL;
		if (why != NULL) {
			if ((r = task_refuse(fr, cb, why, NULL)) != 0)
				return r;
			continue;
		}
		if (strcmp(call, "SendTaskHeartbeat") == 0) {
			beat = at;
			continue;
		}
		if (strcmp(call, "SendTaskSuccess") == 0) {
			v = json_object_get(req, "output");
			s = json_string_value(v);
			if ((*result = json_loadb(s, json_string_length(v),
			    JSON_DECODE_ANY, &je)) == NULL) {
				if ((r = task_refuse(fr, cb, "InvalidOutput",
				    je.text)) != 0)
					return r;
				continue;
			}
			tr = R_OK;
		} else if ((tr = fail_set(f, json_string_value(json_object_get(req,
		    "error")), json_string_value(json_object_get(req,
		    "cause")))) < 0)
			return tr;
		if (clock_wait_until(x, at) == R_TIMEOUT) {
			json_decref(*result);
			*result = NULL;
			return R_TIMEOUT;
		}
		closed = 1;
	}
	if (closed)
		return tr;
	if ((due = task_due(start, beat, hb_ns, timeout_ns, &hb)) == 0)
		return fail_state(fr, f, "States.Runtime", "The Task waits for a "
		    "callback that never comes: no SendTaskSuccess or "
		    "SendTaskFailure that Step Functions takes closes it, and it "
		    "has no TimeoutSeconds or HeartbeatSeconds to end the wait");
	return task_time_out(x, due, hb, f);
}

static int
run_task(struct frame *fr, json_t *input, json_t **result, struct fail *f)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	enum task_pattern pat = task_pattern(st->resource);
	struct task_answer ans;
	char atok[64];
	const char *token = fr->token;
	double delay = 0;
	int64_t timeout_ns = 0, hb_ns = 0, start = x->now_ns;
	json_t *tv = NULL, *sub = NULL;
	int r, tr;

	memset(&ans, 0, sizeof(ans));
	fr->hb_every_s = 0;
	hb_ns = st->heartbeat_s * NS;
	if (st->heartbeat_expr != NULL) {
		double d = 0;

		if ((r = jn_number(fr, st->heartbeat_expr, 1, 1, 99999999, &d,
		    f)) != R_OK)
			return r;
		hb_ns = (int64_t)d * NS;
	} else if (st->heartbeat_path != NULL) {
		if ((r = eval_path(fr, st->heartbeat_path, input, &tv)) != 0)
			return r;
		if (tv == NULL || !json_is_integer(tv) ||
		    json_integer_value(tv) <= 0) {
			json_decref(tv);
			return fail_state(fr, f, "States.Runtime", "The "
			    "HeartbeatSecondsPath field does not refer to a positive "
			    "integer");
		}
		hb_ns = json_integer_value(tv) * NS;
		json_decref(tv);
		tv = NULL;
	}
	if (st->timeout_expr != NULL) {
		double d = 0;

		if ((r = jn_number(fr, st->timeout_expr, 1, 1, 99999999, &d,
		    f)) != R_OK)
			return r;
		timeout_ns = (int64_t)d * NS;
	} else if (st->timeout_path != NULL) {
		if ((r = eval_path(fr, st->timeout_path, input, &tv)) != 0)
			return r;
		if (tv == NULL || !json_is_integer(tv) ||
		    json_integer_value(tv) <= 0) {
			json_decref(tv);
			return fail_state(fr, f, "States.Runtime", "The "
			    "TimeoutSecondsPath field does not refer to a positive "
			    "integer");
		}
		timeout_ns = json_integer_value(tv) * NS;
		json_decref(tv);
	} else
		timeout_ns = st->timeout_s * NS;
	if (x->history != NULL) {
		const char *pfx, *dpfx;
		char type[64], key[80];
		json_t *d = task_scheduled_details(st, input, timeout_ns);

		pfx = task_event_prefix(st->resource, &dpfx);
		if (d != NULL && hb_ns > 0 && json_object_set_new(d,
		    "heartbeatInSeconds", json_integer(hb_ns / NS)) != 0) {
			json_decref(d);
			d = NULL;
		}
		if (d == NULL)
			return SD_ERR_NOMEM;
		if (snprintf(type, sizeof(type), "%sScheduled", pfx) < 0 ||
		    snprintf(key, sizeof(key), "%sScheduledEventDetails",
		    dpfx) < 0) {
			json_decref(d);
			return SD_ERR_INTERNAL;
		}
		if ((r = event(x, type, key, d)) != 0)
			return r;
	} else
		x->event_id++;
	/* An activity worker gets its task's token from GetActivityTask. */
	if (pat == TP_ACTIVITY) {
		if ((r = task_token_make(x, atok, sizeof(atok))) != 0)
			return r;
		token = atok;
	}
	tr = task_call(fr, input, pat, token, result, f, &ans);
	if (tr < 0)
		goto out;
	if ((r = task_event(x, st, "Started", NULL, ans.worker, NULL)) != 0)
		goto fail;
	if ((pat == TP_TOKEN || pat == TP_SYNC) && !ans.unsent) {
		if ((sub = json_incref(ans.submitted)) == NULL && tr == R_OK &&
		    ans.calls == NULL)
			sub = task_derived_submit(st, *result);
		r = task_event(x, st, "Submitted", sub, NULL, NULL);
		json_decref(sub);
		if (r != 0)
			goto fail;
	}
	delay = ans.delay_s;
	if (ans.calls != NULL && tr == R_OK) {
		if ((tr = task_replay(fr, token, ans.calls, start, hb_ns,
		    timeout_ns, result, f)) < 0 || tr == R_TIMEOUT)
			goto out;
	} else if (ans.calls != NULL) {
		size_t i;
		json_t *cb;

		/* The task ended before its callbacks came. */
		json_array_foreach(ans.calls, i, cb)
			if ((r = task_refuse(fr, cb, "TaskTimedOut", NULL)) != 0)
				goto fail;
	} else if (delay > 0) {
		int64_t d = (int64_t)(delay * NS);

		/*
		 * No heartbeat within HeartbeatSeconds (a mock's heartbeatSeconds
		 * is how often its task sends one): States.HeartbeatTimeout.
		 */
		if (hb_ns > 0 && d > hb_ns && (fr->hb_every_s <= 0 ||
		    fr->hb_every_s * NS > (double)hb_ns) &&
		    (timeout_ns == 0 || hb_ns < timeout_ns)) {
			json_decref(*result);
			*result = NULL;
			if ((tr = task_time_out(x, start + hb_ns, 1, f)) != R_FAILED)
				goto out;
		} else if (timeout_ns > 0 && d > timeout_ns) {
			json_decref(*result);
			*result = NULL;
			if ((tr = task_time_out(x, start + timeout_ns, 0, f)) !=
			    R_FAILED)
				goto out;
		} else if (clock_wait_until(x, x->now_ns + d) == R_TIMEOUT) {
			tr = R_TIMEOUT;
			goto out;
		}
	}
	if (tr == R_OK)
		r = task_event(x, st, "Succeeded", *result, NULL, NULL);
	else
		r = task_event(x, st, f->error != NULL &&
		    (strcmp(f->error, "States.Timeout") == 0 ||
		    strcmp(f->error, "States.HeartbeatTimeout") == 0) ?
		    "TimedOut" : "Failed", NULL, NULL, f);
	if (r != 0)
		goto fail;
 out:
	if (tr != R_OK) {
		json_decref(*result);
		*result = NULL;
	}
	task_answer_clear(&ans);
	return tr;
 fail:
	tr = r;
	goto out;
}

/* ------------------------------------------------------------ Parallel, Map */

static int
run_parallel(struct frame *fr, json_t *input, json_t **result, struct fail *f)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	json_t *out = NULL, *bo = NULL;
	int64_t t0 = x->now_ns, tmax = x->now_ns, tfail = INT64_MAX;
	struct fail bf = { NULL, NULL };
	size_t i;
	int r, failed = 0, timeout = 0;

	if ((r = event(x, "ParallelStateStarted", NULL, NULL)) != 0)
		return r;
	if ((out = json_array()) == NULL)
		return SD_ERR_NOMEM;
	for (i = 0; i < st->nbranches; i++) {
		struct scope sc = { NULL, fr->sc };

		if (!x->real_time)
			x->now_ns = t0;
		r = run_machine(x, st->branches[i], input, &bo, &bf, &sc);
		json_decref(sc.vars);
		if (r < 0)
			goto out;
		if (x->now_ns > tmax)
			tmax = x->now_ns;
		if (r == R_TIMEOUT) {
			timeout = 1;
			break;
		}
		if (r == R_FAILED) {
			/* The branch that fails first (in time) decides. */
			if (!failed || x->now_ns < tfail) {
				fail_clear(f);
				*f = bf;
				bf.error = bf.cause = NULL;
				tfail = x->now_ns;
			}
			fail_clear(&bf);
			failed = 1;
			continue;
		}
		if (json_array_append_new(out, bo) != 0) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		bo = NULL;
	}
	if (!x->real_time)
		x->now_ns = failed ? tfail : tmax;
	if (timeout) {
		r = R_TIMEOUT;
		goto out;
	}
	if (failed) {
		if ((r = event_fail(x, "ParallelStateFailed", NULL, f)) != 0)
			goto out;
		r = R_FAILED;
		goto out;
	}
	if ((r = event(x, "ParallelStateSucceeded", NULL, NULL)) != 0)
		goto out;
	*result = out;
	out = NULL;
	r = R_OK;
 out:
	fail_clear(&bf);
	json_decref(out);
	return r;
}

/* Replace the smallest element of a min-heap and restore the heap. */
static void
heap_replace_top(int64_t *h, size_t n, int64_t v)
{
	size_t i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && h[c + 1] < h[c])
			c++;
		if (h[c] >= v)
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

/* Read an integer (or number) setting from a path, with AWS's messages. */
static int
map_setting(struct frame *fr, struct fail *f, const struct sd_jsonpath *p,
    const char *text, const char *field, int integer, json_t *input,
    double *out)
{
	json_t *v = NULL;
	long long ll;
	int r;

	if ((r = eval_required(fr, p, text, input, &v, f)) != R_OK)
		return r;
	if (integer ? sd_json_is_integral(v, &ll) && json_is_integer(v) :
	    json_is_number(v)) {
		*out = sd_json_number(v);
		json_decref(v);
		return R_OK;
	}
	r = fail_state(fr, f, "States.Runtime", "The %s field refers to value "
	    "\"%s\" which is not a valid %s: %s", field, json_is_string(v) ?
	    json_string_value(v) : show(fr->x, v), integer ? "integer" : "float",
	    text);
	json_decref(v);
	return r;
}

/*
 * ItemReader answered by a mock (step_machine_set_mocks checked it):
 * {"body": TEXT} is the object s3:getObject reads, parsed as one read from
 * --s3-dir is; {"objects": [...]} the listing, filtered by the Prefix.
 */
static int
map_mocked_items(const char *s3_dir, const struct sd_item_reader *rd,
    json_t *params, json_t *mock, uint64_t max, json_t **out, char **why)
{
	json_t *items, *body = json_object_get(mock, "body"), *o;
	const char *prefix = json_string_value(json_object_get(params,
	    "Prefix"));
	const char *key;
	size_t i;
	int r = 0;

	*out = NULL;
	*why = NULL;
	if ((items = json_array()) == NULL)
		return -1;
	if (rd->kind == SD_IR_LIST_OBJECTS) {
		json_array_foreach(json_object_get(mock, "objects"), i, o) {
			if (max > 0 && json_array_size(items) >= max)
				break;
			key = json_string_value(json_object_get(o, "Key"));
			if (prefix != NULL && key != NULL &&
			    strncmp(key, prefix, strlen(prefix)) != 0)
				continue;
			if (json_array_append(items, o) != 0) {
				r = -1;
				break;
			}
		}
	} else if (rd->input == SD_IR_MANIFEST)
		r = sd_items_manifest(s3_dir, json_string_value(body),
		    json_string_length(body), "The mocked object", max, items,
		    why);
	else
		r = sd_items_parse(rd, json_string_value(body),
		    json_string_length(body), max, "The mocked object", items,
		    why);
	if (r != 0) {
		json_decref(items);
		return -1;
	}
	*out = items;
	return 0;
}

/* ItemReader: the items from S3 (the local directory standing for it). */
static int
map_read_items(struct frame *fr, json_t *input, json_t **items,
    struct fail *f)
{
	const struct sd_state *st = fr->st;
	json_t *params = NULL, *mock;
	double max = (double)st->reader_max;
	char *why = NULL;
	int r;

	*items = NULL;
	if (st->reader_max_path != NULL && (r = map_setting(fr, f,
	    st->reader_max_path, st->reader_max_path_text, "MaxItemsPath", 1,
	    input, &max)) != R_OK)
		return r;
	if (st->reader_max_expr != NULL && (r = jn_number(fr,
	    st->reader_max_expr, 1, 0, 100000000, &max, f)) != R_OK)
		return r;
	if (max < 0)
		return fail_state(fr, f, "States.Runtime", "MaxItems cannot be "
		    "negative.");
	if ((r = st->jsonata ? tmpl_eval(fr, st->reader_params, &params, f) :
	    apply_tmpl(fr, st->reader_params, input, &params, f)) != R_OK)
		return r;
	mock = fr->x->sm->mocks != NULL ? json_object_get(fr->x->sm->mocks,
	    st->name) : NULL;
	if (mock != NULL && (json_object_get(mock, "body") != NULL ||
	    json_object_get(mock, "objects") != NULL))
		r = map_mocked_items(fr->x->s3_dir, st->reader, params, mock,
		    (uint64_t)max, items, &why);
	else
		r = sd_items_read(fr->x->s3_dir, st->reader, params,
		    (uint64_t)max, items, &why);
	json_decref(params);
	if (r != 0) {
		r = fail_state(fr, f, "States.ItemReaderFailed", "%s",
		    why != NULL ? why : "The ItemReader failed");
		free(why);
		return r;
	}
	return R_OK;
}

/* One of the ItemBatcher's limits: a number, a path or an expression. */
static int
batch_limit(struct frame *fr, int64_t n, const struct sd_jsonpath *p,
    const char *text, const char *field, const struct sd_tmpl *t,
    json_t *input, int64_t *out, struct fail *f)
{
	double d = (double)n;
	int r;

	if (p != NULL && (r = map_setting(fr, f, p, text, field, 1, input,
	    &d)) != R_OK)
		return r;
	if (t != NULL && (r = jn_number(fr, t, 1, 1, 9e15, &d, f)) != R_OK)
		return r;
	if (d < 0 || (p != NULL && d < 1))
		return fail_state(fr, f, "States.Runtime", "The %s field must "
		    "refer to a positive integer", field);
	*out = (int64_t)d;
	return R_OK;
}

/*
 * ItemBatcher: the items (after ItemSelector, which sees each item) in
 * batches of at most MaxItemsPerBatch items and MaxInputBytesPerBatch
 * bytes, each {"Items": [...], "BatchInput": ...} (*out new).
 */
static int
map_batches(struct frame *fr, json_t *input, json_t *items, json_t **out,
    struct fail *f)
{
	const struct sd_state *st = fr->st;
	json_t *batches = NULL, *cur = NULL, *bi = NULL, *sel = NULL;
	int64_t max_items = 0, max_bytes = 0;
	size_t i, base, size = 0, len;
	char *txt;
	int r;

	*out = NULL;
	if ((r = batch_limit(fr, st->batch_max_items, st->batch_max_items_path,
	    st->batch_max_items_path_text, "MaxItemsPerBatchPath",
	    st->batch_max_items_expr, input, &max_items, f)) != R_OK ||
	    (r = batch_limit(fr, st->batch_max_bytes, st->batch_max_bytes_path,
	    st->batch_max_bytes_path_text, "MaxInputBytesPerBatchPath",
	    st->batch_max_bytes_expr, input, &max_bytes, f)) != R_OK)
		return r;
	if (st->batch_input != NULL &&
	    (r = apply_tmpl(fr, st->batch_input, input, &bi, f)) != R_OK)
		return r;
	base = sizeof("{\"Items\":[]}") - 1;
	if (bi != NULL) {
		if ((txt = sd_json_dumps(bi, 0)) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		base += sizeof(",\"BatchInput\":") - 1 + strlen(txt);
		free(txt);
	}
	if ((batches = json_array()) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i <= json_array_size(items); i++) {
		len = 0;
		if (i < json_array_size(items)) {
			json_t *item = json_array_get(items, i);

			fr->item_index = (int64_t)i;
			fr->item_value = item;
			frame_reset_context(fr);
			r = apply_tmpl(fr, st->item_selector, st->item_selector ?
			    input : item, &sel, f);
			fr->item_index = -1;
			fr->item_value = NULL;
			frame_reset_context(fr);
			if (r != R_OK)
				goto out;
			if (max_bytes > 0) {
				if ((txt = sd_json_dumps(sel, 0)) == NULL) {
					r = SD_ERR_NOMEM;
					goto out;
				}
				len = strlen(txt);
				free(txt);
				if (base + len > (size_t)max_bytes) {
					r = fail_state(fr, f, "States.Runtime", "The "
					    "item at index %zu does not fit in a "
					    "batch of %lld bytes (MaxInputBytesPerBatch)",
					    i, (long long)max_bytes);
					goto out;
				}
			}
		}
		/* Close the batch when it is full or this item does not fit. */
		if (cur != NULL && (i == json_array_size(items) ||
		    (max_items > 0 &&
		    json_array_size(cur) >= (size_t)max_items) ||
		    (max_bytes > 0 && size + 1 + len > (size_t)max_bytes))) {
			json_t *b = json_pack("{s:o}", "Items", cur);

			cur = NULL;
			if (b == NULL || (bi != NULL &&
			    json_object_set(b, "BatchInput", bi) != 0) ||
			    json_array_append_new(batches, b) != 0) {
				json_decref(b);
				r = SD_ERR_NOMEM;
				goto out;
			}
		}
		if (i == json_array_size(items))
			break;
		if (cur == NULL) {
			if ((cur = json_array()) == NULL) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			size = base;
		} else
			size += 1;
		size += len;
		if (json_array_append_new(cur, sel) != 0) {
			sel = NULL;
			r = SD_ERR_NOMEM;
			goto out;
		}
		sel = NULL;
	}
	*out = batches;
	batches = NULL;
	r = R_OK;
 out:
	json_decref(sel);
	json_decref(cur);
	json_decref(bi);
	json_decref(batches);
	return r;
}

/*
 * ResultWriter: name the Map Run and, when it writes to S3, evaluate the
 * Bucket and Prefix against the Map's input and check them before any
 * child runs.
 */
static int
map_writer_begin(struct frame *fr, json_t *input, struct sd_rw_run *run,
    json_t **params, struct fail *f)
{
	const struct sd_state *st = fr->st;
	struct exec *x = fr->x;
	char *why = NULL;
	int r;

	*params = NULL;
	if (sd_rw_run_init(run, x->sm->arn, x->exec_arn, st->name, st->label,
	    fr->entered_id) != 0)
		return SD_ERR_NOMEM;
	if (st->writer == NULL || !st->writer->to_s3)
		return R_OK;
	if ((r = st->jsonata ? tmpl_eval(fr, st->writer_params, params, f) :
	    apply_tmpl(fr, st->writer_params, input, params, f)) != R_OK)
		return r;
	if (sd_rw_check(x->s3_dir, *params, &why) != 0) {
		r = fail_state(fr, f, "States.ResultWriterFailed", "%s",
		    why != NULL ? why : "The ResultWriter failed");
		free(why);
		return r;
	}
	return R_OK;
}

/*
 * Record one child execution of the Map Run (its input, outcome, times);
 * itf NULL: an item the run never started.
 */
static int
map_writer_child(struct sd_rw_run *run, json_t *in, json_t *out,
    const struct fail *itf, int64_t start_ns, int64_t stop_ns)
{
	struct sd_rw_child c;

	memset(&c, 0, sizeof(c));
	c.start_ns = start_ns;
	c.stop_ns = stop_ns;
	c.input = json_incref(in);
	if (itf == NULL)
		c.status = SD_RW_PENDING;
	else if (out != NULL) {
		c.status = SD_RW_SUCCEEDED;
		c.output = json_incref(out);
	} else {
		c.status = SD_RW_FAILED;
		if ((itf->error != NULL && (c.error = strdup(itf->error)) ==
		    NULL) || (itf->cause != NULL && (c.cause =
		    strdup(itf->cause)) == NULL)) {
			json_decref(c.input);
			free(c.error);
			return SD_ERR_NOMEM;
		}
	}
	return sd_rw_run_add(run, &c) == 0 ? 0 : SD_ERR_NOMEM;
}

/* The Map's result from its ResultWriter (write errors fail the state). */
static int
map_writer_end(struct frame *fr, json_t *params, const struct sd_rw_run *run,
    json_t **res, struct fail *f)
{
	char *why = NULL;
	int r;

	if (sd_rw_finish(fr->x->s3_dir, fr->st->writer, params, run, res,
	    &why) == 0)
		return R_OK;
	r = fail_state(fr, f, "States.ResultWriterFailed", "%s", why != NULL ?
	    why : "The ResultWriter failed");
	free(why);
	return r;
}

/*
 * A Distributed Map's child runs as its own execution ("Context object",
 * docs.aws.amazon.com/step-functions/latest/dg/
 * input-output-contextobject.html):
 * $$.Execution is the child's (Id its ARN, Name, Input, StartTime), and
 * $$.StateMachine the child machine MACHINE/LABEL; its events are in its
 * own history, not the parent's ("Distributed Map state", the child
 * workflow executions each have their own execution history).
 */
struct map_child {
	json_t		*ctx_base;
	char		*exec_arn;
	json_t		*history;
	uint64_t	 event_id;
};

static int
map_child_enter(struct exec *x, const struct sd_rw_run *run, size_t i,
    json_t *in, struct map_child *sv)
{
	json_t *c = NULL, *e;
	char name[37], ts[64], *arn = NULL;
	const char *smname = strstr(run->child_sm_arn, ":stateMachine:");

	/* Shallow copies: the parent's values are shared, not copied. */
	if ((arn = sd_rw_child_arn(run, i, name)) == NULL ||
	    ctx_base(x) == NULL || (c = json_copy(x->ctx_base)) == NULL ||
	    (e = json_copy(json_object_get(c, "Execution"))) == NULL ||
	    json_object_set_new(c, "Execution", e) != 0)
		goto nomem;
	if (sd_time_format(x->now_ns, ts, sizeof(ts)) != 0)
		ts[0] = '\0';
	if (json_object_set_new(e, "Id", json_string(arn)) != 0 ||
	    json_object_set(e, "Input", in) != 0 ||
	    json_object_set_new(e, "Name", json_string(name)) != 0 ||
	    json_object_set_new(e, "StartTime", json_string(ts)) != 0 ||
	    json_object_set_new(e, "RedriveCount", json_integer(0)) != 0 ||
	    json_object_set_new(c, "StateMachine", json_pack("{s:s, s:s}",
	    "Id", run->child_sm_arn, "Name", smname != NULL ? smname + 14 :
	    run->child_sm_arn)) != 0)
		goto nomem;
	sv->ctx_base = x->ctx_base;
	sv->exec_arn = x->exec_arn;
	sv->history = x->history;
	sv->event_id = x->event_id;
	x->ctx_base = c;
	x->exec_arn = arn;
	x->history = NULL;
	x->event_id = 1;	/* the child's ExecutionStarted */
	x->child_depth++;
	return 0;
 nomem:
	free(arn);
	json_decref(c);
	return SD_ERR_NOMEM;
}

static void
map_child_leave(struct exec *x, struct map_child *sv)
{
	json_decref(x->ctx_base);
	free(x->exec_arn);
	x->ctx_base = sv->ctx_base;
	x->exec_arn = sv->exec_arn;
	x->history = sv->history;
	x->event_id = sv->event_id;
	x->child_depth--;
}

/*
 * A child execution that reached the history limit failed, as AWS fails
 * it; its Map goes on (the tolerance decides). r: what the child's run
 * returned.
 */
static int
map_child_full(struct exec *x, int r, struct fail *itf)
{
	char cause[96];

	if (r != SD_ERR_LIMIT || !x->child_full)
		return r;
	x->child_full = 0;
	(void)snprintf(cause, sizeof(cause), HISTORY_FULL,
	    (unsigned long long)x->max_history);
	return fail_set(itf, "States.Runtime", cause);
}

/*
 * Whether nfailed failures of n items breach the tolerance: a count or a
 * percentage that is set (not -1) is exceeded; neither set: any failure.
 * ASL: "the Map State will fail if either threshold is breached".
 */
static int
map_over_tolerance(size_t nfailed, size_t n, double tolc, double tolp)
{
	double d = n > 0 ? (double)nfailed * 100.0 / (double)n : 0;

	if (nfailed == 0)
		return 0;
	if (tolc < 0 && tolp < 0)
		return 1;
	return (tolc >= 0 && (double)nfailed > tolc) || (tolp >= 0 && d > tolp);
}

/* An item's input: ItemSelector sees the Map's input and $$.Map.Item. */
static int
map_item_input(struct frame *fr, json_t *input, json_t *item, size_t i,
    json_t **out, struct fail *f)
{
	const struct sd_state *st = fr->st;
	int r;

	fr->item_index = (int64_t)i;
	fr->item_value = item;
	frame_reset_context(fr);
	r = st->has_batcher ? apply_tmpl(fr, NULL, item, out, f) :
	    apply_tmpl(fr, st->item_selector, st->item_selector != NULL ?
	    input : item, out, f);
	fr->item_index = -1;
	fr->item_value = NULL;
	frame_reset_context(fr);
	return r;
}

/* The items from index from on, never started, as PENDING children. */
static int
map_pending(struct frame *fr, json_t *input, json_t *items, size_t from,
    struct sd_rw_run *run)
{
	struct fail pf = { NULL, NULL };
	json_t *in = NULL;
	size_t i;
	int r = 0;

	for (i = from; run != NULL && r == 0 && i < json_array_size(items);
	    i++) {
		json_t *item = json_array_get(items, i);

		/* Its input as it would have started (else the item). */
		if ((r = map_item_input(fr, input, item, i, &in, &pf)) < 0)
			break;
		r = map_writer_child(run, r == R_OK ? in : item, NULL, NULL,
		    0, 0);
		json_decref(in);
		in = NULL;
	}
	fail_clear(&pf);
	return r < 0 ? r : 0;
}

static int
run_map(struct frame *fr, json_t *input, json_t **result, struct fail *f)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	json_t *items = NULL, *out = NULL, *it_in = NULL, *it_out = NULL;
	struct fail itf = { NULL, NULL };
	double maxc = (double)st->max_concurrency, tolc = -1, tolp = -1;
	int64_t t0 = x->now_ns, tmax = x->now_ns, *lanes = NULL, started;
	size_t i, n, nlanes, nfailed = 0;
	struct sd_rw_run run;
	json_t *wparams = NULL;
	int r, have_run = 0, run_started = 0, dist = st->distributed;

	memset(&run, 0, sizeof(run));

	/* Items. */
	if (st->reader != NULL) {
		if ((r = map_read_items(fr, input, &items, f)) != R_OK)
			return r;
	} else if (st->items != NULL) {
		if ((r = tmpl_eval(fr, st->items, &items, f)) != R_OK)
			return r;
		if (!json_is_array(items)) {
			r = jn_wrong_type(fr, st->items, items, "array", f);
			goto out;
		}
	} else if (st->items_path.present) {
		if ((r = apply_path(fr, &st->items_path, input, &items, f)) != R_OK)
			return r;
	} else
		items = json_incref(input);
	if (!json_is_array(items)) {
		r = fail_state(fr, f, st->jsonata ? "States.QueryEvaluationError" :
		    "States.Runtime", "Map state input must be an array but was: "
		    "%s", show(x, items));
		goto out;
	}
	if (st->maxc_expr != NULL && (r = jn_number(fr, st->maxc_expr, 1, 0,
	    99999999, &maxc, f)) != R_OK)
		goto out;
	if (st->tolc_expr != NULL && (r = jn_number(fr, st->tolc_expr, 1, 0,
	    9e15, &tolc, f)) != R_OK)
		goto out;
	if (st->tolp_expr != NULL && (r = jn_number(fr, st->tolp_expr, 0, 0,
	    100, &tolp, f)) != R_OK)
		goto out;
	/* Settings that come from the input. */
	if (st->max_concurrency_path != NULL) {
		if ((r = map_setting(fr, f, st->max_concurrency_path,
		    st->max_concurrency_path_text, "MaxConcurrencyPath", 1, input,
		    &maxc)) != R_OK)
			goto out;
		if (maxc < 0) {
			r = fail_state(fr, f, "States.Runtime", "MaxConcurrency "
			    "cannot be negative.");
			goto out;
		}
	}
	if (st->has_tol_count)
		tolc = (double)st->tol_count;
	if (st->tol_count_path != NULL) {
		if ((r = map_setting(fr, f, st->tol_count_path,
		    st->tol_count_path_text, "ToleratedFailureCountPath", 1, input,
		    &tolc)) != R_OK)
			goto out;
		if (tolc < 0) {
			r = fail_state(fr, f, "States.Runtime", "ToleratedFailureCount "
			    "cannot be negative.");
			goto out;
		}
	}
	if (st->has_tol_pct)
		tolp = st->tol_pct;
	if (st->tol_pct_path != NULL) {
		if ((r = map_setting(fr, f, st->tol_pct_path,
		    st->tol_pct_path_text, "ToleratedFailurePercentagePath", 0,
		    input, &tolp)) != R_OK)
			goto out;
		if (tolp < 0 || tolp > 100) {
			r = fail_state(fr, f, "States.Runtime",
			    "ToleratedFailurePercentage must be between 0 and 100.");
			goto out;
		}
	}
	if (st->has_batcher) {
		json_t *batches = NULL;

		if ((r = map_batches(fr, input, items, &batches, f)) != R_OK)
			goto out;
		json_decref(items);
		items = batches;
	}
	if (st->writer != NULL || dist) {
		if ((r = map_writer_begin(fr, input, &run, &wparams, f)) != R_OK)
			goto out;
		have_run = 1;
	}
	n = json_array_size(items);
	if (st->writer != NULL && n > sd_rw_max_children()) {
		r = fail_state(fr, f, "States.ResultWriterFailed", "The Map Run "
		    "would have %zu child executions, more than the %zu a "
		    "ResultWriter records", n, sd_rw_max_children());
		goto out;
	}
	if (x->history != NULL) {
		if ((r = event(x, "MapStateStarted", "mapStateStartedEventDetails",
		    json_pack("{s:I}", "length", (json_int_t)n))) != 0)
			goto out;
	} else
		x->event_id++;
	/*
	 * A Distributed Map starts a Map Run; the parent's history holds
	 * MapRunStarted and MapRunSucceeded or MapRunFailed, not the
	 * children's events ("History event types",
	 * docs.aws.amazon.com/step-functions/latest/apireference/
	 * API_HistoryEvent.html).
	 */
	if (dist) {
		if ((r = event(x, "MapRunStarted", "mapRunStartedEventDetails",
		    x->history == NULL ? NULL : json_pack("{s:s}", "mapRunArn",
		    run.map_run_arn))) != 0)
			goto out;
		run_started = 1;
	}
	if ((out = json_array()) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	/* Virtual time: each iteration takes the lane that frees first. */
	nlanes = maxc >= 1 && maxc < (double)n ? (size_t)maxc : n;
	if (nlanes == 0)
		nlanes = 1;
	if ((lanes = calloc(nlanes, sizeof(*lanes))) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nlanes; i++)
		lanes[i] = t0;
	for (i = 0; i < n; i++) {
		json_t *item = json_array_get(items, i);

		/* lanes[0] is the lane that frees first (a min-heap). */
		if (!x->real_time)
			x->now_ns = lanes[0];
		if (dist)
			;
		else if (x->history != NULL) {
			if ((r = event(x, "MapIterationStarted",
			    "mapIterationStartedEventDetails", json_pack("{s:s, s:I}",
			    "name", st->name, "index", (json_int_t)i))) != 0)
				goto out;
		} else
			x->event_id++;
		if ((r = map_item_input(fr, input, item, i, &it_in, f)) != R_OK)
			goto out;
		started = x->now_ns;
		{
			struct scope sc = { NULL, fr->sc };
			struct map_child sv;

			if (dist && map_child_enter(x, &run, i, it_in,
			    &sv) != 0) {
				r = SD_ERR_NOMEM;
				goto out;
			}
			r = run_machine(x, st->iterator, it_in, &it_out, &itf, &sc);
			if (dist) {
				map_child_leave(x, &sv);
				r = map_child_full(x, r, &itf);
			}
			json_decref(sc.vars);
		}
		if (r < 0 || r == R_TIMEOUT)
			goto out;
		if (st->writer != NULL && map_writer_child(&run, it_in, it_out,
		    &itf, started, x->now_ns) != 0) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		json_decref(it_in);
		it_in = NULL;
		heap_replace_top(lanes, nlanes, x->now_ns);
		if (x->now_ns > tmax)
			tmax = x->now_ns;
		if (r == R_FAILED) {
			nfailed++;
			if (!dist && (r = event_fail(x, "MapIterationFailed",
			    NULL, &itf)) != 0)
				goto out;
			/*
			 * A Distributed Map's run fails with States.Exceed
			 * ToleratedFailureThreshold (the default tolerance
			 * is 0) and starts no more children: the rest stay
			 * PENDING ("Tolerated failure threshold for
			 * Distributed Map state", docs.aws.amazon.com/
			 * step-functions/latest/dg/maprun-fail-threshold.html).
			 */
			if (dist && map_over_tolerance(nfailed, n, tolc,
			    tolp)) {
				fail_clear(&itf);
				if ((r = map_pending(fr, input, items, i + 1,
				    st->writer != NULL ? &run : NULL)) != 0)
					goto out;
				r = fail_set(f,
				    "States.ExceedToleratedFailureThreshold",
				    "The specified tolerance threshold was "
				    "exceeded");
				if (r < 0)
					goto out;
				goto failed;
			}
			if (tolc < 0 && tolp < 0) {
				/* No tolerance: the first failure fails the Map. */
				fail_clear(f);
				*f = itf;
				itf.error = itf.cause = NULL;
				r = R_FAILED;
				goto failed;
			}
			it_out = json_pack("{s:s*, s:s*}", "Error", itf.error,
			    "Cause", itf.cause);
			fail_clear(&itf);
			if (it_out == NULL) {
				r = SD_ERR_NOMEM;
				goto out;
			}
		} else if (!dist && (r = event(x, "MapIterationSucceeded", NULL,
		    NULL)) != 0)
			goto out;
		if (json_array_append_new(out, it_out) != 0) {
			it_out = NULL;
			r = SD_ERR_NOMEM;
			goto out;
		}
		it_out = NULL;
	}
	if (!x->real_time)
		x->now_ns = tmax;
	if (map_over_tolerance(nfailed, n, tolc, tolp)) {
		r = fail_set(f, "States.ExceedToleratedFailureThreshold",
		    "The specified tolerance threshold was exceeded");
		if (r < 0)
			goto out;
		goto failed;
	}
	if (have_run && st->writer != NULL) {
		json_t *res = NULL;

		have_run = 0;
		if ((r = map_writer_end(fr, wparams, &run, &res, f)) != R_OK) {
			if (r < 0)
				goto out;
			goto failed;
		}
		json_decref(out);
		out = res;
	}
	if (run_started && (r = event(x, "MapRunSucceeded", NULL, NULL)) != 0)
		goto out;
	if ((r = event(x, "MapStateSucceeded", NULL, NULL)) != 0)
		goto out;
	*result = out;
	out = NULL;
	r = R_OK;
	goto out;
 failed:
	if (!x->real_time && x->now_ns < tmax)
		x->now_ns = tmax;
	/* The Map Run's results are written even when it fails. */
	if (have_run && st->writer != NULL && st->writer->to_s3) {
		json_t *res = NULL;
		char *why = NULL;

		(void)sd_rw_finish(x->s3_dir, st->writer, wparams, &run, &res,
		    &why);
		json_decref(res);
		free(why);
	}
	if (run_started && (r = event_fail(x, "MapRunFailed",
	    "mapRunFailedEventDetails", f)) != 0)
		goto out;
	if ((r = event_fail(x, "MapStateFailed", NULL, f)) == 0)
		r = R_FAILED;
 out:
	sd_rw_run_free(&run);
	json_decref(wparams);
	fail_clear(&itf);
	free(lanes);
	json_decref(it_out);
	json_decref(it_in);
	json_decref(items);
	json_decref(out);
	return r;
}

/* ------------------------------------------------------------ Wait */

static int
run_wait(struct frame *fr, json_t *input, struct fail *f)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	json_t *v = NULL;
	int64_t target = x->now_ns, ns;
	long long ll;
	int r;

	if (st->wait_expr != NULL) {
		if (st->wait_kind == 1) {
			double d;

			if ((r = jn_number(fr, st->wait_expr, 1, 0, 99999999, &d,
			    f)) != R_OK)
				return r;
			return clock_wait_until(x, x->now_ns + (int64_t)d * NS);
		}
		if ((r = tmpl_eval(fr, st->wait_expr, &v, f)) != R_OK)
			return r;
		if (!json_is_string(v)) {
			r = jn_wrong_type(fr, st->wait_expr, v, "string", f);
			json_decref(v);
			return r;
		}
		if (sd_time_parse(json_string_value(v), &ns) != 0) {
			r = fail_state(fr, f, "States.QueryEvaluationError", "The "
			    "JSONata expression '%s' specified for the field '%s' "
			    "returned \"%s\", which is not an ISO-8601 extended "
			    "offset date-time", st->wait_expr->expr,
			    st->wait_expr->field, json_string_value(v));
			json_decref(v);
			return r;
		}
		json_decref(v);
		return clock_wait_until(x, ns);
	}
	switch (st->wait_kind) {
	case 1:
		target = x->now_ns + st->wait_seconds * NS;
		break;
	case 3:
		target = st->wait_ts_ns;
		break;
	case 2:
	case 4:
		if ((r = eval_required(fr, st->wait_path, st->wait_path_text,
		    input, &v, f)) != R_OK)
			return r;
		if (st->wait_kind == 2) {
			if (!json_is_integer(v) && !(json_is_real(v) &&
			    sd_json_is_integral(v, &ll))) {
				r = fail_state(fr, f, "States.Runtime", "The SecondsPath "
				    "parameter cannot be parsed as a long value: %s == %s",
				    st->wait_path_text, show(x, v));
				json_decref(v);
				return r;
			}
			sd_json_is_integral(v, &ll);
			if (ll < 0) {
				r = fail_state(fr, f, "States.Runtime", "The SecondsPath "
				    "parameter references a negative value: %s == %s",
				    st->wait_path_text, show(x, v));
				json_decref(v);
				return r;
			}
			if (ll > 99999999)
				ll = 99999999;
			target = x->now_ns + (int64_t)ll * NS;
		} else {
			if (!json_is_string(v) ||
			    sd_time_parse(json_string_value(v), &ns) != 0) {
				r = fail_state(fr, f, "States.Runtime", "The TimestampPath "
				    "parameter does not reference a valid ISO-8601 extended "
				    "offset date-time format string: %s == %s",
				    st->wait_path_text, show(x, v));
				json_decref(v);
				return r;
			}
			target = ns;
		}
		json_decref(v);
		break;
	}
	return clock_wait_until(x, target);
}

/* ------------------------------------------------------------ Fail */

static int
fail_field(struct frame *fr, const struct sd_tmpl *t, json_t *input,
    const char *lit, char **out, struct fail *f)
{
	json_t *v = NULL;
	int r;

	*out = NULL;
	if (t == NULL) {
		if (lit != NULL && (*out = strdup(lit)) == NULL)
			return SD_ERR_NOMEM;
		return R_OK;
	}
	if (t->kind == SD_T_PATH) {
		if ((r = eval_required(fr, t->path, t->expr, input, &v,
		    f)) != R_OK)
			return r;
	} else if ((r = apply_tmpl(fr, t, input, &v, f)) != R_OK)
		return r;
	if (t->kind == SD_T_JSONATA && !json_is_string(v)) {
		r = jn_wrong_type(fr, t, v, "string", f);
		json_decref(v);
		return r;
	}
	if (json_is_string(v))
		*out = strdup(json_string_value(v));
	else
		*out = sd_json_dumps(v, 0);
	json_decref(v);
	return *out == NULL ? SD_ERR_NOMEM : R_OK;
}

/* ------------------------------------------------------------ states */

/* The name of state idx of the (sub-)machine st belongs to. */
static const char *
sibling_name(const struct sd_state *st, size_t idx)
{
	return (st - st->index)[idx].name;
}

static const char *
entered_type(enum sd_state_type t)
{
	switch (t) {
	case SD_ST_PASS:	return "PassStateEntered";
	case SD_ST_TASK:	return "TaskStateEntered";
	case SD_ST_CHOICE:	return "ChoiceStateEntered";
	case SD_ST_WAIT:	return "WaitStateEntered";
	case SD_ST_SUCCEED:	return "SucceedStateEntered";
	case SD_ST_FAIL:	return "FailStateEntered";
	case SD_ST_PARALLEL:	return "ParallelStateEntered";
	case SD_ST_MAP:		return "MapStateEntered";
	}
	return "StateEntered";
}

static const char *
exited_type(enum sd_state_type t)
{
	switch (t) {
	case SD_ST_PASS:	return "PassStateExited";
	case SD_ST_TASK:	return "TaskStateExited";
	case SD_ST_CHOICE:	return "ChoiceStateExited";
	case SD_ST_WAIT:	return "WaitStateExited";
	case SD_ST_SUCCEED:	return "SucceedStateExited";
	case SD_ST_FAIL:	return "FailStateExited";
	case SD_ST_PARALLEL:	return "ParallelStateExited";
	case SD_ST_MAP:		return "MapStateExited";
	}
	return "StateExited";
}

/*
 * A .waitForTaskToken Task: a fresh token for this attempt, in
 * $$.Task.Token from the start (Parameters and Arguments pass it on).
 */
static int
task_token_begin(struct frame *fr)
{
	struct exec *x = fr->x;

	int r;

	fr->token = NULL;
	if (fr->st->type != SD_ST_TASK ||
	    task_pattern(fr->st->resource) != TP_TOKEN)
		return 0;
	if ((r = task_token_make(x, fr->token_buf, sizeof(fr->token_buf))) != 0)
		return r;
	fr->token = fr->token_buf;
	frame_reset_context(fr);
	return 0;
}

/* ------------------------------------------------------------ TestState mocks */

/*
 * The items of stateConfiguration.mapItemReaderData, read as the Map's
 * ItemReader reads its source: a JSON object holds an array, a JSONL
 * object one value a line, a listing is the array of the objects. On
 * failure returns -1 with *why (new).
 */
static int
ts_reader_items(const struct sd_state *st, const char *data, json_t **items,
    char **why)
{
	const struct sd_item_reader *rd = st->reader;
	const char *p, *nl, *end;
	json_error_t je;
	json_t *a = NULL, *v;
	size_t line = 0;

	*items = NULL;
	*why = NULL;
	if (rd->kind == SD_IR_GET_OBJECT && rd->input == SD_IR_MANIFEST) {
		*why = strdup("mapItemReaderData: a MANIFEST ItemReader (an "
		    "S3 inventory, whose files are other objects) is not "
		    "supported by stepdeploy test-state; JSON, JSONL and CSV "
		    "objects and S3 listings are");
		return -1;
	}
	/* CSV: the object's text, parsed as the exec ItemReader parses it. */
	if (rd->kind == SD_IR_GET_OBJECT && rd->input == SD_IR_CSV) {
		if ((a = json_array()) == NULL)
			return -1;
		if (sd_items_parse(rd, data, strlen(data), 0,
		    "mapItemReaderData", a, why) != 0) {
			json_decref(a);
			return -1;
		}
		*items = a;
		return 0;
	}
	if (rd->kind == SD_IR_LIST_OBJECTS || rd->input == SD_IR_JSON) {
		if ((a = json_loads(data, JSON_DECODE_ANY |
		    JSON_REJECT_DUPLICATES, &je)) == NULL) {
			*why = sd_asprintf("mapItemReaderData is not JSON: %s "
			    "(line %d)", je.text, je.line);
			return -1;
		}
		if (!json_is_array(a)) {
			*why = sd_asprintf("mapItemReaderData must hold a JSON "
			    "array (the %s), not %s", rd->kind == SD_IR_LIST_OBJECTS ?
			    "objects S3 lists" : "items of the JSON object",
			    sd_json_type_name(a));
			json_decref(a);
			return -1;
		}
		*items = a;
		return 0;
	}
	/* JSONL: one JSON value a line; blank lines are skipped. */
	if ((a = json_array()) == NULL)
		return -1;
	end = data + strlen(data);
	for (p = data; p < end; p = nl + 1) {
		line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (strspn(p, " \t\r") >= (size_t)(nl - p))
			continue;
		if ((v = json_loadb(p, (size_t)(nl - p), JSON_DECODE_ANY |
		    JSON_REJECT_DUPLICATES, &je)) == NULL) {
			*why = sd_asprintf("mapItemReaderData line %zu is not JSON: "
			    "%s", line, je.text);
			json_decref(a);
			return -1;
		}
		if (json_array_append_new(a, v) != 0) {
			json_decref(a);
			return -1;
		}
	}
	*items = a;
	return 0;
}

/*
 * A mocked Map (TestState): its items, ItemSelector, ItemBatcher and
 * limits are worked out for inspectionData as AWS shows them, then the
 * mock stands for the iterations: the mocked error fails the state, and
 * with mapIterationFailureCount the Map's tolerance decides
 * States.ExceedToleratedFailureThreshold; else the result is the mock.
 */
static int
ts_map(struct frame *fr, json_t *input, json_t **result, struct fail *f)
{
	struct exec *x = fr->x;
	const struct step_test_state_opts *ts = x->ts;
	const struct sd_state *st = fr->st;
	json_t *items = NULL, *sel = NULL, *v = NULL;
	double maxc = (double)st->max_concurrency, tolc = -1, tolp = -1;
	double max = (double)st->reader_max, pct;
	char *why = NULL;
	size_t i, n;
	int r;

	*result = NULL;
	if (st->reader != NULL) {
		if (ts->map_item_reader_data != NULL) {
			if (st->reader_max_path != NULL && (r = map_setting(fr, f,
			    st->reader_max_path, st->reader_max_path_text,
			    "MaxItemsPath", 1, input, &max)) != R_OK)
				return r;
			if (st->reader_max_expr != NULL && (r = jn_number(fr,
			    st->reader_max_expr, 1, 0, 100000000, &max, f)) != R_OK)
				return r;
			if (ts_reader_items(st, ts->map_item_reader_data, &items,
			    &why) != 0) {
				r = fail_state(fr, f, "States.ItemReaderFailed", "%s",
				    why != NULL ? why : "out of memory");
				free(why);
				return r;
			}
			while (max >= 1 && (double)json_array_size(items) > max)
				if (json_array_remove(items,
				    json_array_size(items) - 1) != 0)
					break;
		}
	} else if (st->items != NULL) {
		if ((r = tmpl_eval(fr, st->items, &items, f)) != R_OK)
			return r;
		if (!json_is_array(items)) {
			r = jn_wrong_type(fr, st->items, items, "array", f);
			goto out;
		}
	} else if (st->items_path.present) {
		if ((r = apply_path(fr, &st->items_path, input, &items, f)) != R_OK)
			return r;
	} else
		items = json_incref(input);
	if (items != NULL && !json_is_array(items)) {
		r = fail_state(fr, f, st->jsonata ? "States.QueryEvaluationError" :
		    "States.Runtime", "Map state input must be an array but was: "
		    "%s", show(x, items));
		goto out;
	}
	if (!st->jsonata && st->reader == NULL &&
	    (r = trace_set(fr, "afterItemsPath", items)) != 0)
		goto out;
	if (st->maxc_expr != NULL && (r = jn_number(fr, st->maxc_expr, 1, 0,
	    99999999, &maxc, f)) != R_OK)
		goto out;
	if (st->max_concurrency_path != NULL && (r = map_setting(fr, f,
	    st->max_concurrency_path, st->max_concurrency_path_text,
	    "MaxConcurrencyPath", 1, input, &maxc)) != R_OK)
		goto out;
	if (st->tolc_expr != NULL && (r = jn_number(fr, st->tolc_expr, 1, 0,
	    9e15, &tolc, f)) != R_OK)
		goto out;
	if (st->has_tol_count)
		tolc = (double)st->tol_count;
	if (st->tol_count_path != NULL) {
		if ((r = map_setting(fr, f, st->tol_count_path,
		    st->tol_count_path_text, "ToleratedFailureCountPath", 1,
		    input, &tolc)) != R_OK)
			goto out;
		if (tolc < 0) {
			r = fail_state(fr, f, "States.Runtime",
			    "ToleratedFailureCount cannot be negative.");
			goto out;
		}
	}
	if (st->tolp_expr != NULL && (r = jn_number(fr, st->tolp_expr, 0, 0,
	    100, &tolp, f)) != R_OK)
		goto out;
	if (st->has_tol_pct)
		tolp = st->tol_pct;
	if (st->tol_pct_path != NULL) {
		if ((r = map_setting(fr, f, st->tol_pct_path,
		    st->tol_pct_path_text, "ToleratedFailurePercentagePath", 0,
		    input, &tolp)) != R_OK)
			goto out;
		if (tolp < 0 || tolp > 100) {
			r = fail_state(fr, f, "States.Runtime",
			    "ToleratedFailurePercentage must be between 0 and 100.");
			goto out;
		}
	}
	if (maxc < 0) {
		r = fail_state(fr, f, "States.Runtime", "MaxConcurrency cannot "
		    "be negative.");
		goto out;
	}
	/* The inputs of the iterations, as they would be. */
	if (items != NULL && st->has_batcher) {
		if ((r = map_batches(fr, input, items, &sel, f)) != R_OK ||
		    (r = trace_set(fr, "afterItemBatcher", sel)) != 0)
			goto out;
	} else if (items != NULL && st->item_selector != NULL) {
		if ((sel = json_array()) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		for (i = 0; i < json_array_size(items); i++) {
			fr->item_index = (int64_t)i;
			fr->item_value = json_array_get(items, i);
			frame_reset_context(fr);
			r = apply_tmpl(fr, st->item_selector, input, &v, f);
			fr->item_index = -1;
			fr->item_value = NULL;
			frame_reset_context(fr);
			if (r != R_OK)
				goto out;
			if (json_array_append_new(sel, v) != 0) {
				r = SD_ERR_NOMEM;
				goto out;
			}
		}
		if ((r = trace_set(fr, "afterItemSelector", sel)) != 0)
			goto out;
	}
	if (fr->tr != NULL && (json_object_set_new(fr->tr, "maxConcurrency",
	    json_integer((json_int_t)maxc)) != 0 || (tolc >= 0 &&
	    json_object_set_new(fr->tr, "toleratedFailureCount",
	    json_integer((json_int_t)tolc)) != 0) || (tolp >= 0 &&
	    json_object_set_new(fr->tr, "toleratedFailurePercentage",
	    json_real(tolp)) != 0))) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	if (ts->mock_error != NULL) {
		r = fail_set(f, ts->mock_error, ts->mock_cause);
		goto out;
	}
	/* The failed iterations against the Map's tolerance, as AWS counts. */
	n = json_array_size(ts->mock_result);
	if (ts->has_map_failure_count && ts->map_failure_count > 0 &&
	    (tolc >= 0 || tolp >= 0)) {
		pct = n > 0 ? (double)ts->map_failure_count * 100.0 / (double)n :
		    0;
		if ((tolc < 0 || (double)ts->map_failure_count > tolc) &&
		    (tolp < 0 || pct > tolp)) {
			r = fail_set(f, "States.ExceedToleratedFailureThreshold",
			    "The specified tolerated failure threshold was exceeded");
			goto out;
		}
	}
	*result = json_incref(ts->mock_result);
	r = R_OK;
 out:
	json_decref(items);
	json_decref(sel);
	return r;
}

/* A mocked Parallel (TestState): the mock stands for its branches. */
static int
ts_parallel(struct frame *fr, json_t **result, struct fail *f)
{
	const struct step_test_state_opts *ts = fr->x->ts;

	*result = NULL;
	if (ts->mock_error != NULL)
		return fail_set(f, ts->mock_error, ts->mock_cause);
	*result = json_incref(ts->mock_result);
	return R_OK;
}

/*
 * One attempt at a state that produces a result (Pass, Task, Parallel,
 * Map): InputPath, Parameters, the work, ResultSelector, ResultPath,
 * OutputPath.
 */
static int
attempt(struct frame *fr, json_t *raw, json_t **output, struct fail *f)
{
	const struct sd_state *st = fr->st;
	/*
	 * Each step's value is owned only when the step made a new one;
	 * an absent step passes its input through borrowed, which saves the
	 * (atomic) reference counting on the common path.
	 */
	json_t *in = raw, *eff, *res = NULL, *sel, *comb;
	json_t *own_in = NULL, *own_eff = NULL, *own_res = NULL, *own_sel = NULL;
	json_t *own_comb = NULL;
	int r;

	*output = NULL;
	if ((r = task_token_begin(fr)) != 0)
		return r;
	if (st->input_path.present) {
		if ((r = apply_path(fr, &st->input_path, raw, &own_in, f)) != R_OK)
			goto out;
		in = own_in;
	}
	if ((r = trace_set(fr, "afterInputPath", in)) != 0)
		goto out;
	eff = in;
	if (st->type != SD_ST_MAP && st->parameters != NULL) {
		if ((r = apply_tmpl(fr, st->parameters, in, &own_eff, f)) != R_OK)
			goto out;
		eff = own_eff;
	}
	if (st->type != SD_ST_MAP &&
	    (r = trace_set(fr, "afterParameters", eff)) != 0)
		goto out;
	switch (st->type) {
	case SD_ST_PASS:
		res = st->result != NULL ? st->result : eff;
		break;
	case SD_ST_TASK:
		r = run_task(fr, eff, &own_res, f);
		break;
	case SD_ST_PARALLEL:
		r = fr->x->ts != NULL ? ts_parallel(fr, &own_res, f) :
		    run_parallel(fr, eff, &own_res, f);
		break;
	case SD_ST_MAP:
		r = fr->x->ts != NULL ? ts_map(fr, eff, &own_res, f) :
		    run_map(fr, eff, &own_res, f);
		break;
	default:
		r = SD_ERR_INTERNAL;
		break;
	}
	if (st->type != SD_ST_PASS)
		res = own_res;
	if (r != R_OK || (r = trace_set(fr, "result", res)) != 0)
		goto out;
	sel = res;
	if (st->result_selector != NULL) {
		if ((r = apply_tmpl(fr, st->result_selector, res, &own_sel,
		    f)) != R_OK)
			goto out;
		sel = own_sel;
	}
	if ((r = trace_set(fr, "afterResultSelector", sel)) != 0 ||
	    (r = check_size(fr, sel, f)) != R_OK ||
	    (r = assign_eval(fr, st->assign, sel, f)) != R_OK)
		goto out;
	if (!st->result_path.present)
		comb = sel;
	else if (st->result_path.is_null)
		comb = raw;
	else {
		if ((r = apply_result_path(fr, &st->result_path, raw, sel,
		    &own_comb, f)) != R_OK)
			goto out;
		comb = own_comb;
	}
	if ((r = trace_set(fr, "afterResultPath", comb)) != 0 ||
	    (r = apply_path(fr, &st->output_path, comb, output, f)) != R_OK)
		goto out;
 out:
	json_decref(own_in);
	json_decref(own_eff);
	json_decref(own_res);
	json_decref(own_sel);
	json_decref(own_comb);
	return r;
}

/*
 * One attempt at a JSONata Pass, Task, Parallel or Map state: Arguments,
 * the work, then Assign and Output, which see $states.result (not Pass).
 */
static int
attempt_jsonata(struct frame *fr, json_t *raw, json_t **output,
    struct fail *f)
{
	const struct sd_state *st = fr->st;
	json_t *args = NULL, *res = NULL;
	int r;

	*output = NULL;
	if ((r = task_token_begin(fr)) != 0)
		return r;
	fr->jn_input = raw;
	fr->jn_result = NULL;
	fr->jn_errout = NULL;
	if (st->is_taskfn)
		r = apply_tmpl(fr, st->parameters, raw, &args, f);
	else if (st->arguments != NULL)
		r = tmpl_eval(fr, st->arguments, &args, f);
	else {
		args = json_incref(raw);
		r = R_OK;
	}
	if (r != R_OK || (st->type != SD_ST_PASS && st->type != SD_ST_MAP &&
	    (r = trace_set(fr, "afterArguments", args)) != 0))
		goto out;
	switch (st->type) {
	case SD_ST_PASS:
		res = json_incref(raw);
		break;
	case SD_ST_TASK:
		r = run_task(fr, args, &res, f);
		break;
	case SD_ST_PARALLEL:
		r = fr->x->ts != NULL ? ts_parallel(fr, &res, f) :
		    run_parallel(fr, args, &res, f);
		break;
	case SD_ST_MAP:
		r = fr->x->ts != NULL ? ts_map(fr, raw, &res, f) :
		    run_map(fr, raw, &res, f);
		break;
	default:
		r = SD_ERR_INTERNAL;
		break;
	}
	if (r != R_OK || (r = trace_set(fr, "result", res)) != 0 ||
	    (r = check_size(fr, res, f)) != R_OK)
		goto out;
	if (st->type != SD_ST_PASS)
		fr->jn_result = res;
	if ((r = assign_eval(fr, st->assign, res, f)) != R_OK)
		goto out;
	if (st->output != NULL)
		r = tmpl_eval(fr, st->output, output, f);
	else
		*output = json_incref(res);
 out:
	fr->jn_result = NULL;
	json_decref(args);
	json_decref(res);
	return r;
}

/* TestState's inspectionData.errorDetails of the state being run. */
static json_t *
ts_error_details(struct frame *fr)
{
	json_t *d;

	if (fr->tr == NULL)
		return NULL;
	if ((d = json_object_get(fr->tr, "errorDetails")) != NULL)
		return d;
	if ((d = json_object()) == NULL ||
	    json_object_set_new(fr->tr, "errorDetails", d) != 0)
		return NULL;
	return d;
}

/*
 * TestState: retrier i names the error. With retrierRetryCount retries
 * made, it retries (R_FAILED, RETRIABLE, with the backoff AWS would wait,
 * before jitter) or its attempts are used up (3: Catch decides).
 */
static int
ts_retry(struct frame *fr, size_t i)
{
	const struct sd_retrier *rt = &fr->st->retry[i];
	json_t *d = NULL;
	double delay;

	if (fr->tr != NULL && ((d = ts_error_details(fr)) == NULL ||
	    json_object_set_new(d, "retryIndex", json_integer((json_int_t)i)) !=
	    0))
		return SD_ERR_NOMEM;
	if (fr->x->ts->retry_count >= rt->max_attempts)
		return 3;	/* used up: on to Catch */
	delay = rt->interval_s * pow(rt->backoff, (double)fr->x->ts->retry_count);
	if (rt->max_delay_s > 0 && delay > (double)rt->max_delay_s)
		delay = (double)rt->max_delay_s;
	if (!(delay < 9e15))
		delay = 9e15;
	if (fr->tr != NULL && json_object_set_new(d,
	    "retryBackoffIntervalSeconds", json_integer((json_int_t)delay)) != 0)
		return SD_ERR_NOMEM;
	fr->x->ts_outcome = TS_RETRIABLE;
	return R_FAILED;
}

/* TestState: catcher i took the error f; keep both for the answer. */
static int
ts_caught(struct frame *fr, size_t i, struct fail *f)
{
	json_t *d;

	fr->x->ts_outcome = TS_CAUGHT;
	if (fr->tr == NULL)
		return 0;
	if ((d = ts_error_details(fr)) == NULL ||
	    json_object_set_new(d, "catchIndex", json_integer((json_int_t)i)) !=
	    0 || (f->error != NULL && json_object_set_new(fr->tr, "error",
	    json_string(f->error)) != 0) || (f->cause != NULL &&
	    json_object_set_new(fr->tr, "cause", json_string(f->cause)) != 0))
		return SD_ERR_NOMEM;
	return 0;
}

/* Retry and Catch for Task, Parallel and Map. */
static int
run_with_retry(struct frame *fr, json_t *raw, json_t **output, size_t *next,
    int *end, struct fail *f)
{
	struct exec *x = fr->x;
	const struct sd_state *st = fr->st;
	int64_t counts[64] = { 0 };
	json_t *eo = NULL;
	size_t i;
	int r;

	for (;;) {
		r = st->jsonata ? attempt_jsonata(fr, raw, output, f) :
		    attempt(fr, raw, output, f);
		if (r != R_FAILED)
			return r;
		/* Retry: the first retrier that names the error decides. */
		for (i = 0; i < st->nretry && i < 64; i++) {
			if (error_matches(st->retry[i].errors, st->retry[i].nerrors,
			    f->error))
				break;
		}
		if (x->ts != NULL) {
			/* One attempt only: say whether a retrier would retry. */
			if (i < st->nretry && i < 64 &&
			    (r = ts_retry(fr, i)) != 3)
				return r;
			break;
		}
		if (i < st->nretry && i < 64 &&
		    counts[i] < st->retry[i].max_attempts) {
			const struct sd_retrier *rt = &st->retry[i];
			double delay = rt->interval_s * pow(rt->backoff,
			    (double)counts[i]);

			if (rt->max_delay_s > 0 && delay > (double)rt->max_delay_s)
				delay = (double)rt->max_delay_s;
			if (rt->jitter_full)
				delay = delay * (double)(rng_next(x) >> 11) /
				    (double)(1ULL << 53);
			if (delay > 1e9)
				delay = 1e9;
			counts[i]++;
			fr->retry_count++;
			frame_reset_context(fr);
			if (clock_wait_until(x, x->now_ns + (int64_t)(delay * NS)) ==
			    R_TIMEOUT)
				return R_TIMEOUT;
			fail_clear(f);
			continue;
		}
		break;
	}
	/* Catch. */
	for (i = 0; i < st->ncatch; i++) {
		const struct sd_catcher *c = &st->catch[i];

		if (!error_matches(c->errors, c->nerrors, f->error))
			continue;
		eo = json_pack("{s:s, s:s*}", "Error", f->error != NULL ?
		    f->error : "", "Cause", f->cause);
		if (eo == NULL)
			return SD_ERR_NOMEM;
		if (st->jsonata) {
			fr->jn_input = raw;
			fr->jn_result = NULL;
			fr->jn_errout = eo;
			if ((r = assign_eval(fr, c->assign, eo, f)) == R_OK) {
				if (c->output != NULL)
					r = tmpl_eval(fr, c->output, output, f);
				else
					*output = json_incref(eo);
			}
			fr->jn_errout = NULL;
		} else if ((r = assign_eval(fr, c->assign, eo, f)) == R_OK)
			r = apply_result_path(fr, &c->result_path, raw, eo, output,
			    f);
		json_decref(eo);
		if (r != R_OK)
			return r;
		if (x->ts != NULL && (r = ts_caught(fr, i, f)) != 0)
			return r;
		fail_clear(f);
		*next = c->next;
		*end = 0;
		return R_OK;
	}
	return R_FAILED;
}

/* A JSONata state's Output (t; NULL: the value dflt). */
static int
jn_output(struct frame *fr, const struct sd_tmpl *t, json_t *dflt,
    json_t **output, struct fail *f)
{
	if (t != NULL)
		return tmpl_eval(fr, t, output, f);
	*output = json_incref(dflt);
	return R_OK;
}

/*
 * A JSONata Choice state: the first rule whose Condition is true; its
 * Output and Assign, or with Default the state's.
 */
static int
run_choice_jsonata(struct frame *fr, json_t *raw, json_t **output,
    size_t *next, struct fail *f)
{
	const struct sd_state *st = fr->st;
	json_t *v = NULL;
	size_t i;
	int r, matched = 0;

	for (i = 0; i < st->nchoices && !matched; i++) {
		if ((r = tmpl_eval(fr, st->choice_cond[i], &v, f)) != R_OK)
			return r;
		if (!json_is_boolean(v)) {
			r = jn_wrong_type(fr, st->choice_cond[i], v, "boolean", f);
			json_decref(v);
			return r;
		}
		matched = json_is_true(v);
		json_decref(v);
		v = NULL;
	}
	if (matched) {
		i--;
		*next = st->choice_next[i];
		if ((r = assign_eval(fr, st->choice_assign[i], raw, f)) != R_OK)
			return r;
		return jn_output(fr, st->choice_output[i], raw, output, f);
	}
	if (!st->has_default)
		return fail_set(f, "States.NoChoiceMatched", "No Matches!") < 0 ?
		    SD_ERR_NOMEM : R_FAILED;
	*next = st->default_next;
	if ((r = assign_eval(fr, st->assign, raw, f)) != R_OK)
		return r;
	return jn_output(fr, st->output, raw, output, f);
}

/* A JSONata Choice, Wait, Succeed or Fail state. */
static int
run_jsonata_flow(struct frame *fr, json_t *raw, json_t **output, size_t *next,
    struct fail *f)
{
	const struct sd_state *st = fr->st;
	char *e = NULL, *c = NULL;
	int r;

	switch (st->type) {
	case SD_ST_CHOICE:
		return run_choice_jsonata(fr, raw, output, next, f);
	case SD_ST_WAIT:
		if ((r = run_wait(fr, raw, f)) != R_OK ||
		    (r = assign_eval(fr, st->assign, raw, f)) != R_OK)
			return r;
		return jn_output(fr, st->output, raw, output, f);
	case SD_ST_SUCCEED:
		return jn_output(fr, st->output, raw, output, f);
	case SD_ST_FAIL:
		if ((r = fail_field(fr, st->error_path, raw, st->error, &e,
		    f)) != R_OK)
			return r;
		if ((r = fail_field(fr, st->cause_path, raw, st->cause, &c,
		    f)) != R_OK) {
			free(e);
			return r;
		}
		fail_clear(f);
		f->error = e;
		f->cause = c;
		return R_FAILED;
	default:
		return SD_ERR_INTERNAL;
	}
}

/*
 * The history limit was reached: the execution fails with States.Runtime,
 * whatever it was doing or how it was ending, and ExecutionFailed is its
 * last event.
 */
static int
exec_history_full(struct exec *x, struct step_result *res)
{
	struct fail f = { NULL, NULL };
	int r;

	json_decref(res->output);
	res->output = NULL;
	free(res->error);
	free(res->cause);
	res->error = res->cause = NULL;
	res->status = STEP_FAILED;
	if ((f.error = strdup("States.Runtime")) == NULL ||
	    (f.cause = sd_asprintf(HISTORY_FULL,
	    (unsigned long long)x->max_history)) == NULL) {
		fail_clear(&f);
		return SD_ERR_NOMEM;
	}
	r = event_fail(x, "ExecutionFailed", "executionFailedEventDetails", &f);
	res->error = f.error;
	res->cause = f.cause;
	return r;
}

/*
 * Run one state. On R_OK, *output is the state output and either *end is
 * set or *next names the next state.
 */
static int
run_state(struct exec *x, const struct sd_state *st, json_t *raw,
    json_t **output, size_t *next, int *end, struct fail *f, struct scope *sc)
{
	struct frame fr;
	json_t *in = NULL;
	size_t i;
	int r, matched;

	memset(&fr, 0, sizeof(fr));
	fr.x = x;
	fr.sc = sc;
	fr.st = st;
	fr.item_index = -1;
	fr.entered_ns = x->now_ns;
	if (x->ts != NULL)
		fr.retry_count = x->ts->retry_count;
	*output = NULL;
	*end = st->end;
	*next = st->next;
	x->transitions++;
	if (x->trace != NULL && (fr.tr = json_pack("{s:s, s:s, s:O}", "state",
	    st->name, "type", sd_state_type_name(st->type), "input", raw)) == NULL)
		return SD_ERR_NOMEM;
	if (x->record_path) {
		if (x->npath == x->path_cap) {
			size_t ncap = x->path_cap < 64 ? 64 : x->path_cap * 2;
			const char **np = reallocarray(x->path, ncap, sizeof(*np));

			if (np == NULL)
				return SD_ERR_NOMEM;
			x->path = np;
			x->path_cap = ncap;
		}
		x->path[x->npath++] = st->name;
	}
	if ((r = event_data(x, entered_type(st->type), "stateEnteredEventDetails",
	    st->name, "input", raw)) != 0)
		return r;
	fr.entered_id = x->event_id;
	if (x->max_transitions != 0 && x->transitions > x->max_transitions) {
		r = fail_state(&fr, f, "States.Runtime", "The execution reached "
		    "its limit of %llu state transitions.",
		    (unsigned long long)x->max_transitions);
		goto out;
	}
	if (clock_timed_out(x)) {
		r = R_TIMEOUT;
		goto out;
	}

	fr.jn_input = raw;
	if (st->jsonata && st->type != SD_ST_PASS && st->type != SD_ST_TASK &&
	    st->type != SD_ST_PARALLEL && st->type != SD_ST_MAP) {
		r = run_jsonata_flow(&fr, raw, output, next, f);
		goto done;
	}
	switch (st->type) {
	case SD_ST_PASS:
		r = st->jsonata ? attempt_jsonata(&fr, raw, output, f) :
		    attempt(&fr, raw, output, f);
		break;
	case SD_ST_TASK:
	case SD_ST_PARALLEL:
	case SD_ST_MAP:
		r = run_with_retry(&fr, raw, output, next, end, f);
		break;
	case SD_ST_CHOICE:
		if ((r = apply_path(&fr, &st->input_path, raw, &in, f)) != R_OK ||
		    (r = trace_set(&fr, "afterInputPath", in)) != 0)
			break;
		fr.input = in;
		for (i = 0; i < st->nchoices; i++) {
			struct sd_error err = SD_ERROR_INIT;

			if ((r = sd_choice_eval(st->choices[i], resolve_cb, &fr,
			    &matched, &err)) != 0) {
				r = map_eval_error(&fr, f, r, &err);
				sd_error_clear(&err);
				goto out;
			}
			if (matched) {
				*next = st->choice_next[i];
				break;
			}
		}
		if (i == st->nchoices) {
			if (!st->has_default) {
				r = fail_set(f, "States.NoChoiceMatched", "No Matches!");
				break;
			}
			*next = st->default_next;
		}
		/* The chosen rule's Assign, or the state's with Default. */
		if ((r = assign_eval(&fr, i < st->nchoices ? st->choice_assign[i] :
		    st->assign, in, f)) != R_OK)
			break;
		r = apply_path(&fr, &st->output_path, in, output, f);
		break;
	case SD_ST_WAIT:
		if ((r = apply_path(&fr, &st->input_path, raw, &in, f)) != R_OK ||
		    (r = trace_set(&fr, "afterInputPath", in)) != 0 ||
		    (r = run_wait(&fr, in, f)) != R_OK ||
		    (r = assign_eval(&fr, st->assign, in, f)) != R_OK)
			break;
		r = apply_path(&fr, &st->output_path, in, output, f);
		break;
	case SD_ST_SUCCEED:
		if ((r = apply_path(&fr, &st->input_path, raw, &in, f)) != R_OK ||
		    (r = trace_set(&fr, "afterInputPath", in)) != 0)
			break;
		r = apply_path(&fr, &st->output_path, in, output, f);
		break;
	case SD_ST_FAIL: {
		char *e = NULL, *c = NULL;

		if ((r = fail_field(&fr, st->error_path, raw, st->error, &e,
		    f)) != R_OK)
			break;
		if ((r = fail_field(&fr, st->cause_path, raw, st->cause, &c,
		    f)) != R_OK) {
			free(e);
			break;
		}
		fail_clear(f);
		f->error = e;
		f->cause = c;
		r = R_FAILED;
		break;
	}
	}
 done:
	if (r == R_OK && clock_timed_out(x))
		r = R_TIMEOUT;
	if (r == R_OK && ((r = assign_commit(&fr)) != 0 ||
	    (r = event_exited(x, exited_type(st->type), st->name, *output,
	    fr.assigned)) != 0))
		goto out;
 out:
	if (r != R_OK) {
		json_decref(*output);
		*output = NULL;
	}
	if (fr.tr != NULL && r >= 0) {
		int tr = 0;

		if (r == R_OK) {
			tr |= trace_set(&fr, "output", *output);
			if (!*end)
				tr |= json_object_set_new(fr.tr, "next",
				    json_string(sibling_name(st, *next)));
		} else if (r == R_FAILED) {
			if (f->error != NULL)
				tr |= json_object_set_new(fr.tr, "error",
				    json_string(f->error));
			if (f->cause != NULL)
				tr |= json_object_set_new(fr.tr, "cause",
				    json_string(f->cause));
		}
		tr |= json_object_set_new(fr.tr, "retryCount",
		    json_integer(fr.retry_count));
		if (r == R_OK && sc->vars != NULL && json_object_size(sc->vars) > 0)
			tr |= json_object_set_new(fr.tr, "variables",
			    json_deep_copy(sc->vars));
		if (tr != 0 || json_array_append(x->trace, fr.tr) != 0)
			r = SD_ERR_NOMEM;
	}
	json_decref(fr.tr);
	json_decref(in);
	json_decref(fr.ctx);
	json_decref(fr.assigned);
	return r;
}

static int
run_machine(struct exec *x, const struct sd_machine *m, json_t *input,
    json_t **output, struct fail *f, struct scope *sc)
{
	const struct sd_state *st = &m->states[m->start];
	json_t *data = json_incref(input), *out = NULL;
	size_t next;
	int r, end;

	*output = NULL;
	for (;;) {
		r = run_state(x, st, data, &out, &next, &end, f, sc);
		json_decref(data);
		data = NULL;
		if (r != R_OK)
			return r;
		if (end) {
			*output = out;
			return R_OK;
		}
		data = out;
		out = NULL;
		st = &m->states[next];
	}
}

/* ------------------------------------------------------------ public API */

/*
 * The execution's ARN: arn:aws:states:R:A:stateMachine:N becomes
 * arn:aws:states:R:A:execution:N:NAME; an ARN of another form gets
 * ":NAME". Built with memcpy: it is made for every execution, and two
 * printf passes each cost more than the rest of a short run's setup.
 */
static char *
exec_arn_of(const char *sm_arn, const char *name)
{
	static const char tag[] = ":stateMachine:", mid[] = ":execution:";
	const char *p = strstr(sm_arn, tag);
	size_t na = strlen(sm_arn), nn = strlen(name), pre, rest, len, o;
	char *s;

	pre = p != NULL ? (size_t)(p - sm_arn) : na;
	rest = p != NULL ? na - pre - (sizeof(tag) - 1) : 0;
	/* pre + mid + rest + ':' + name + NUL, each well under SIZE_MAX / 4 */
	if (na > SIZE_MAX / 4 || nn > SIZE_MAX / 4)
		return NULL;
	len = pre + (p != NULL ? sizeof(mid) - 1 + rest : 0) + 1 + nn + 1;
	if ((s = malloc(len)) == NULL)
		return NULL;
	memcpy(s, sm_arn, pre);
	o = pre;
	if (p != NULL) {
		memcpy(s + o, mid, sizeof(mid) - 1);
		o += sizeof(mid) - 1;
		memcpy(s + o, p + sizeof(tag) - 1, rest);
		o += rest;
	}
	s[o++] = ':';
	memcpy(s + o, name, nn + 1);
	return s;
}

static int
exec_init(struct exec *x, struct step_machine *sm, json_t *input,
    const struct step_exec_opts *o)
{
	const char *name = o != NULL && o->execution_name != NULL ?
	    o->execution_name : "local-execution";

	memset(x, 0, sizeof(*x));
	sd_buf_init(&x->scratch, 0);
	x->sm = sm;
	x->real_time = o != NULL && o->real_time;
	x->start_ns = o != NULL && o->start_time_ns != 0 ? o->start_time_ns :
	    sd_time_now();
	if (x->real_time)
		x->start_ns = sd_time_now();
	x->now_ns = x->start_ns;
	if (sm->model->timeout_s > 0)
		x->deadline_ns = x->start_ns + sm->model->timeout_s * NS;
	x->rng = o != NULL && o->seed != 0 ? o->seed : 0x5eed5eed5eedULL;
	x->max_payload = o != NULL && o->max_payload != 0 ? o->max_payload :
	    STEP_MAX_PAYLOAD;
	x->input = input;
	x->max_transitions = o != NULL ? o->max_transitions : 0;
	x->max_history = o != NULL ? o->max_history_events : 0;
	x->s3_dir = o != NULL ? o->s3_dir : NULL;
	if (o == NULL || o->record_history)
		if ((x->history = json_array()) == NULL)
			return SD_ERR_NOMEM;
	x->record_path = o == NULL || o->record_path;
	if (o != NULL && o->record_trace && (x->trace = json_array()) == NULL)
		return SD_ERR_NOMEM;
	if ((x->mock_pos = json_object()) == NULL)
		return SD_ERR_NOMEM;
	if ((x->exec_name = strdup(name)) == NULL ||
	    (x->exec_arn = exec_arn_of(sm->arn, name)) == NULL)
		return SD_ERR_NOMEM;
	/* $$'s Execution and StateMachine: built when first read (ctx_base) */
	return 0;
}

static void
exec_free(struct exec *x)
{
	json_decref(x->history);
	json_decref(x->trace);
	json_decref(x->refused);
	free(x->path);
	json_decref(x->mock_pos);
	json_decref(x->ctx_base);
	for (size_t i = 0; i < NSIZED(x); i++)
		json_decref(x->sized[i].v);
	free(x->exec_arn);
	free(x->exec_name);
	sd_buf_release(&x->scratch);
}

int
step_execute(struct step_machine *sm, json_t *input,
    const struct step_exec_opts *opts, struct step_result **out,
    struct sd_error *err)
{
	struct step_exec_opts defaults;
	struct step_result *res = NULL;
	struct exec x;
	struct fail f = { NULL, NULL };
	struct scope root = { NULL, NULL };
	json_t *output = NULL;
	int r;

	*out = NULL;
	if (opts == NULL) {
		memset(&defaults, 0, sizeof(defaults));
		defaults.record_path = 1;
		opts = &defaults;
	}
	if (input == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no input");
	if ((r = exec_init(&x, sm, input, opts)) != 0)
		goto out;
	if ((res = calloc(1, sizeof(*res))) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	if ((r = event_data(&x, "ExecutionStarted",
	    "executionStartedEventDetails", NULL, "input", input)) != 0)
		goto out;
	r = run_machine(&x, sm->model, input, &output, &f, &root);
	json_decref(root.vars);
	if (r < 0 && !x.history_full)
		goto out;
	if (x.history_full)
		r = exec_history_full(&x, res);
	else switch (r) {
	case R_OK:
		res->status = STEP_SUCCEEDED;
		res->output = output;
		output = NULL;
		r = event_data(&x, "ExecutionSucceeded",
		    "executionSucceededEventDetails", NULL, "output", res->output);
		break;
	case R_FAILED:
		res->status = STEP_FAILED;
		res->error = f.error;
		res->cause = f.cause;
		r = event_fail(&x, "ExecutionFailed", "executionFailedEventDetails",
		    &f);
		f.error = f.cause = NULL;
		break;
	default:
		res->status = STEP_TIMED_OUT;
		if ((res->error = strdup("States.Timeout")) == NULL) {
			r = SD_ERR_NOMEM;
			goto out;
		}
		r = event(&x, "ExecutionTimedOut", NULL, NULL);
		break;
	}
	if (r == SD_ERR_LIMIT && x.history_full)	/* the last event was over */
		r = exec_history_full(&x, res);
	if (r != 0)
		goto out;
	res->transitions = x.transitions;
	/*
	 * The names as entered, borrowed from the model (the result holds a
	 * reference to it); the JSON array only when step_result_path asks.
	 */
	res->path_names = x.path;
	res->npath = x.npath;
	res->model = sd_model_ref(sm->model);
	x.path = NULL;
	x.npath = x.path_cap = 0;
	res->history = x.history != NULL ? x.history : json_array();
	res->trace = x.trace != NULL ? x.trace : json_array();
	res->refused = x.refused != NULL ? x.refused : json_array();
	x.history = x.trace = x.refused = NULL;
	if (res->history == NULL || res->trace == NULL || res->refused == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0;
 out:
	if (r != 0)
		sd_error_set(err, r, NULL, "the execution could not run: %s",
		    sd_strerror(r));
	fail_clear(&f);
	json_decref(output);
	step_result_free(res);
	exec_free(&x);
	return r;
}

void
step_result_free(struct step_result *r)
{
	if (r == NULL)
		return;
	json_decref(r->output);
	json_decref(r->path);
	free(r->path_names);
	sd_model_free(r->model);
	json_decref(r->history);
	json_decref(r->trace);
	json_decref(r->refused);
	free(r->error);
	free(r->cause);
	free(r);
}

enum step_status
step_result_status(const struct step_result *r)
{
	return r->status;
}

const char *
step_status_name(enum step_status s)
{
	switch (s) {
	case STEP_RUNNING:	return "RUNNING";
	case STEP_SUCCEEDED:	return "SUCCEEDED";
	case STEP_FAILED:	return "FAILED";
	case STEP_TIMED_OUT:	return "TIMED_OUT";
	case STEP_ABORTED:	return "ABORTED";
	}
	return "UNKNOWN";
}

json_t *
step_result_output(const struct step_result *r)
{
	return r->output;
}

const char *
step_result_error(const struct step_result *r)
{
	return r->error;
}

const char *
step_result_cause(const struct step_result *r)
{
	return r->cause;
}

json_t *
step_result_path(const struct step_result *r)
{
	/* Built on the first call; the result owns it (a cache, hence the cast). */
	struct step_result *w = (struct step_result *)r;
	json_t *a;
	size_t i;

	if (r->path != NULL)
		return r->path;
	if ((a = json_array()) == NULL)
		return NULL;
	for (i = 0; i < r->npath; i++)
		if (json_array_append_new(a, json_string(r->path_names[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	w->path = a;
	return a;
}

json_t *
step_result_refused_callbacks(const struct step_result *r)
{
	return r->refused;
}

json_t *
step_result_history(const struct step_result *r)
{
	return r->history;
}

json_t *
step_result_trace(const struct step_result *r)
{
	return r->trace;
}

uint64_t
step_result_transitions(const struct step_result *r)
{
	return r->transitions;
}

json_t *
step_result_json(const struct step_result *r, int with_path, int with_history)
{
	json_t *o;

	o = json_pack("{s:s}", "status", step_status_name(r->status));
	if (o == NULL)
		return NULL;
	if ((r->status == STEP_SUCCEEDED &&
	    json_object_set(o, "output", r->output) != 0) ||
	    (r->error != NULL &&
	    json_object_set_new(o, "error", json_string(r->error)) != 0) ||
	    (r->cause != NULL &&
	    json_object_set_new(o, "cause", json_string(r->cause)) != 0) ||
	    (json_array_size(r->refused) > 0 &&
	    json_object_set(o, "refusedCallbacks", r->refused) != 0) ||
	    (with_path && json_object_set(o, "path", step_result_path(r)) != 0) ||
	    (with_history && json_object_set(o, "history", r->history) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ------------------------------------------------------------ TestState */

/*
 * The output shapes of the service integrations a mocked result is
 * checked against (AWS's API models, in Step Functions' casing). A field
 * the model does not name is let through, as AWS does.
 */
enum ts_kind { TS_STRING, TS_INTEGER, TS_BLOB, TS_TIMESTAMP };

struct ts_field {
	const char	*name;
	enum ts_kind	 kind;
	int		 required;
};

struct ts_shape {
	const char		*action;	/* after arn:PARTITION:states::: */
	const struct ts_field	*fields;
	size_t			 nfields;
};

static const struct ts_field ts_lambda_invoke[] = {
	{ "StatusCode", TS_INTEGER, 0 },
	{ "FunctionError", TS_STRING, 0 },
	{ "LogResult", TS_STRING, 0 },
	{ "Payload", TS_BLOB, 0 },
	{ "ExecutedVersion", TS_STRING, 0 },
	{ "DurableExecutionArn", TS_STRING, 0 },
};
static const struct ts_field ts_sqs_send[] = {
	{ "MD5OfMessageBody", TS_STRING, 0 },
	{ "MD5OfMessageAttributes", TS_STRING, 0 },
	{ "MD5OfMessageSystemAttributes", TS_STRING, 0 },
	{ "MessageId", TS_STRING, 0 },
	{ "SequenceNumber", TS_STRING, 0 },
};
static const struct ts_field ts_sns_publish[] = {
	{ "MessageId", TS_STRING, 0 },
	{ "SequenceNumber", TS_STRING, 0 },
};
static const struct ts_field ts_sfn_start[] = {
	{ "ExecutionArn", TS_STRING, 1 },
	{ "StartDate", TS_TIMESTAMP, 1 },
};
/*
 * startExecution.sync waits for the child and answers DescribeExecution's
 * output: Output is the child's output as JSON text, or (.sync:2) as JSON.
 */
#define TS_DESCRIBE_EXECUTION(output_kind) \
	{ "ExecutionArn", TS_STRING, 1 }, \
	{ "StateMachineArn", TS_STRING, 1 }, \
	{ "Name", TS_STRING, 0 }, \
	{ "Status", TS_STRING, 1 }, \
	{ "StartDate", TS_TIMESTAMP, 1 }, \
	{ "StopDate", TS_TIMESTAMP, 0 }, \
	{ "Input", TS_STRING, 0 }, \
	{ "Output", output_kind, 0 }, \
	{ "Error", TS_STRING, 0 }, \
	{ "Cause", TS_STRING, 0 }, \
	{ "MapRunArn", TS_STRING, 0 }, \
	{ "TraceHeader", TS_STRING, 0 }, \
	{ "StateMachineVersionArn", TS_STRING, 0 }, \
	{ "StateMachineAliasArn", TS_STRING, 0 }, \
	{ "RedriveCount", TS_INTEGER, 0 }, \
	{ "RedriveDate", TS_TIMESTAMP, 0 }, \
	{ "RedriveStatus", TS_STRING, 0 }, \
	{ "RedriveStatusReason", TS_STRING, 0 }
static const struct ts_field ts_sfn_start_sync[] = {
	TS_DESCRIBE_EXECUTION(TS_STRING),
};
static const struct ts_field ts_sfn_start_sync2[] = {
	TS_DESCRIBE_EXECUTION(TS_BLOB),
};
static const struct ts_shape ts_shapes[] = {
	{ "lambda:invoke", ts_lambda_invoke,
	    sizeof(ts_lambda_invoke) / sizeof(ts_lambda_invoke[0]) },
	{ "sqs:sendMessage", ts_sqs_send,
	    sizeof(ts_sqs_send) / sizeof(ts_sqs_send[0]) },
	{ "sns:publish", ts_sns_publish,
	    sizeof(ts_sns_publish) / sizeof(ts_sns_publish[0]) },
	{ "states:startExecution", ts_sfn_start,
	    sizeof(ts_sfn_start) / sizeof(ts_sfn_start[0]) },
	{ "states:startExecution.sync", ts_sfn_start_sync,
	    sizeof(ts_sfn_start_sync) / sizeof(ts_sfn_start_sync[0]) },
	{ "states:startExecution.sync:2", ts_sfn_start_sync2,
	    sizeof(ts_sfn_start_sync2) / sizeof(ts_sfn_start_sync2[0]) },
};

/* The part of an ARN after "arn:PARTITION:SERVICE:", or NULL. */
static const char *
ts_arn_rest(const char *arn, const char *service)
{
	const char *p;
	size_t n = strlen(service);

	if (strncmp(arn, "arn:", 4) != 0 || (p = strchr(arn + 4, ':')) == NULL ||
	    strncmp(p + 1, service, n) != 0 || p[1 + n] != ':')
		return NULL;
	return p + 2 + n;
}

/* Check a mocked Task result against its resource's API output. */
static int
ts_check_mock_shape(const struct sd_state *st, json_t *res,
    enum step_mock_validation mode, struct sd_error *err)
{
	const struct ts_shape *sh = NULL;
	const char *rest, *k, *want;
	json_t *v;
	size_t i, nknown = sizeof(ts_shapes) / sizeof(ts_shapes[0]);

	if (mode == STEP_MOCK_VALIDATION_NONE)
		return 0;
	/* A Lambda function, an activity or a task token's answer: any JSON. */
	if (ts_arn_rest(st->resource, "lambda") != NULL ||
	    ((rest = ts_arn_rest(st->resource, "states")) != NULL &&
	    strncmp(rest, "::", 2) != 0) || (strlen(st->resource) > 17 &&
	    strcmp(st->resource + strlen(st->resource) - 17,
	    ".waitForTaskToken") == 0))
		return 0;
	if ((rest = ts_arn_rest(st->resource, "states")) != NULL &&
	    strncmp(rest, "::", 2) == 0) {
		for (i = 0; i < nknown; i++)
			if (strcmp(rest + 2, ts_shapes[i].action) == 0)
				sh = &ts_shapes[i];
	}
	if (sh == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "The mocked result "
		    "cannot be checked against the output of '%s' "
		    "(fieldValidationMode %s): stepdeploy knows the output shapes "
		    "of lambda:invoke, sqs:sendMessage, sns:publish, "
		    "states:startExecution (.sync, .sync:2), Lambda functions and "
		    "activities; "
		    "turn the check off (--mock-validation NONE) to use it",
		    st->resource, mode == STEP_MOCK_VALIDATION_STRICT ? "STRICT" :
		    "PRESENT");
	if (!json_is_object(res))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "Mock result schema "
		    "validation error: the result of %s must be a JSON object, "
		    "not %s", sh->action, sd_json_type_name(res));
	for (i = 0; i < sh->nfields; i++) {
		k = sh->fields[i].name;
		if ((v = json_object_get(res, k)) == NULL) {
			if (sh->fields[i].required &&
			    mode == STEP_MOCK_VALIDATION_STRICT)
				return sd_error_set(err, SD_ERR_INVALID, NULL, "Mock "
				    "result schema validation error: Required field "
				    "'%s' is missing", k);
			continue;
		}
		switch (sh->fields[i].kind) {
		case TS_INTEGER:
			want = json_is_integer(v) ? NULL : "a number";
			break;
		case TS_BLOB:
			/* Step Functions hands a blob on as the JSON it holds
			 * (a Lambda's Payload is the function's answer) */
			want = NULL;
			break;
		default:
			want = json_is_string(v) ? NULL : "a string";
			break;
		}
		if (want != NULL)
			return sd_error_set(err, SD_ERR_INVALID, NULL, "Mock result "
			    "schema validation error: Field '%s' must be %s", k,
			    want);
	}
	return 0;
}

/* Whether a state named name is in m or any machine nested in it. */
static int
ts_has_state(const struct sd_machine *m, const char *name)
{
	const struct sd_state *s;
	size_t i, j;

	for (i = 0; i < m->nstates; i++) {
		s = &m->states[i];
		if (strcmp(s->name, name) == 0)
			return 1;
		for (j = 0; j < s->nbranches; j++)
			if (ts_has_state(s->branches[j], name))
				return 1;
		if (s->iterator != NULL && ts_has_state(s->iterator, name))
			return 1;
	}
	return 0;
}

/*
 * Refuse the options that do not fit the state, in AWS's words where AWS
 * has them (its ValidationException messages).
 */
static int
ts_check(const struct sd_state *st, const struct step_test_state_opts *ts,
    struct sd_error *err)
{
	const char *type = sd_state_type_name(st->type);
	int mocked = ts->mock_result != NULL || ts->mock_error != NULL;
	int mp = st->type == SD_ST_MAP || st->type == SD_ST_PARALLEL;
	size_t i, n = 0;
	json_t *items = NULL;
	char *why = NULL;

	if (ts->mock_result != NULL && ts->mock_error != NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "A test mock should "
		    "have only one of the following fields: [result, "
		    "errorOutput].");
	if (mocked && st->type != SD_ST_TASK && !mp)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "State type '%s' is "
		    "not supported when a mock is specified", type);
	if (!mocked && mp)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "TestState API does "
		    "not support Map or Parallel states. Supported state types "
		    "include: [Task, Wait, Pass, Succeed, Fail, Choice] (a Map or "
		    "Parallel state is tested with a mocked result or error)");
	/*
	 * "TestState only supports the following when a mock is specified:
	 * Activity tasks, .sync or .waitForTaskToken service integration
	 * patterns, Parallel, or Map states." (AWS CLI test-state; the API's
	 * TestState page.) With a mock, the mocked result stands for the
	 * callback's output or the job's final result.
	 */
	if (!mocked && st->type == SD_ST_TASK &&
	    task_pattern(st->resource) != TP_RESPONSE)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "TestState supports "
		    "an activity task or the .sync or .waitForTaskToken "
		    "integration pattern only when a mock is specified (resource "
		    "'%s'): give a mocked result or error", st->resource);
	if (ts->mock_result != NULL && mp && !json_is_array(ts->mock_result))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "Mocked result must "
		    "be an array.");
	/*
	 * A ResultWriter would turn the iterations' results into the
	 * Map's: the records of child executions the mock never ran, or
	 * the details of files written to S3. Neither can come from a
	 * mocked array, and AWS documents no answer for it, so the field
	 * is refused rather than passed over.
	 */
	if (ts->mock_result != NULL && st->type == SD_ST_MAP &&
	    st->writer != NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "test-state "
		    "does not apply the Map's ResultWriter to a mocked result "
		    "(the mock stands for the iterations): run the machine with "
		    "`stepdeploy exec --s3-dir DIR`, or mock an error");
	if (ts->mock_result != NULL && st->type == SD_ST_PARALLEL &&
	    json_array_size(ts->mock_result) != st->nbranches)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "Mocked result must "
		    "contain the same number of items as number of Parallel "
		    "branches.");
	if (ts->mock_result != NULL && st->type == SD_ST_TASK &&
	    ts_check_mock_shape(st, ts->mock_result, ts->mock_validation,
	    err) != 0)
		return SD_ERR_INVALID;
	if (ts->retry_count > 0 && st->nretry == 0)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "retrierRetryCount "
		    "applies to a state with a Retry field; the %s state '%s' has "
		    "none", type, st->name);
	if (ts->has_map_failure_count) {
		if (!mocked)
			return sd_error_set(err, SD_ERR_INVALID, NULL, "TestState "
			    "does not support MapIterationFailureCount when a mock "
			    "is not specified.");
		if (st->type != SD_ST_MAP)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "mapIterationFailureCount applies to a Map state; '%s' "
			    "is a %s state", st->name, type);
		if (ts->mock_result != NULL && ts->map_failure_count >
		    (int64_t)json_array_size(ts->mock_result))
			return sd_error_set(err, SD_ERR_INVALID, NULL, "Map "
			    "iteration failure count must be less than or equal to "
			    "the number of Map iterations");
	}
	if (ts->error_caused_by_state != NULL) {
		if (!mp)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "errorCausedByState applies to a Map or Parallel state; "
			    "'%s' is a %s state", st->name, type);
		if (ts->mock_error == NULL)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "errorCausedByState names where a mocked error comes "
			    "from: it needs a mocked error");
		for (i = 0; i < st->nbranches; i++)
			n += ts_has_state(st->branches[i], ts->error_caused_by_state);
		if (st->iterator != NULL)
			n += ts_has_state(st->iterator, ts->error_caused_by_state);
		if (n == 0)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "errorCausedByState: no state named '%s' inside the %s "
			    "state '%s'", ts->error_caused_by_state, type, st->name);
	}
	if (ts->map_item_reader_data != NULL) {
		if (st->type != SD_ST_MAP || st->reader == NULL)
			return sd_error_set(err, SD_ERR_INVALID, NULL,
			    "mapItemReaderData applies to a Map state with an "
			    "ItemReader; '%s' %s", st->name, st->type == SD_ST_MAP ?
			    "has none" : "is not a Map state");
		if (ts_reader_items(st, ts->map_item_reader_data, &items,
		    &why) != 0) {
			sd_error_set(err, SD_ERR_INVALID, NULL, "%s", why != NULL ?
			    why : "out of memory");
			free(why);
			return SD_ERR_INVALID;
		}
		json_decref(items);
	}
	return 0;
}

/*
 * inspectionData from the state's trace record: a mocked Map or Parallel
 * shows what AWS shows of it (its inputs and settings, and after the
 * result ResultSelector and ResultPath; not the result itself).
 */
static json_t *
inspection_data(json_t *tr, const struct sd_state *st)
{
	static const char *const keys[] = { "input", "afterArguments",
	    "afterInputPath", "afterParameters", "result", "afterResultSelector",
	    "afterResultPath", "variables", "errorDetails", "afterItemsPath",
	    "afterItemSelector", "afterItemBatcher", "maxConcurrency",
	    "toleratedFailureCount", "toleratedFailurePercentage", NULL };
	json_t *d = json_object(), *v;
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; keys[i] != NULL; i++) {
		if ((st->type == SD_ST_MAP || st->type == SD_ST_PARALLEL) &&
		    (strcmp(keys[i], "result") == 0 ||
		    strcmp(keys[i], "afterArguments") == 0 ||
		    strcmp(keys[i], "afterParameters") == 0 ||
		    (st->type == SD_ST_PARALLEL &&
		    strcmp(keys[i], "afterInputPath") == 0)))
			continue;
		if ((v = json_object_get(tr, keys[i])) != NULL &&
		    json_object_set(d, keys[i], v) != 0) {
			json_decref(d);
			return NULL;
		}
	}
	return d;
}

int
step_test_state(struct step_machine *sm, const char *state, json_t *input,
    const struct step_test_state_opts *ts, json_t **out, struct sd_error *err)
{
	struct step_test_state_opts defaults;
	struct step_exec_opts eo;
	const struct sd_state *st = NULL;
	struct exec x;
	struct fail f = { NULL, NULL };
	struct scope root = { NULL, NULL };
	json_t *output = NULL, *res = NULL, *tr, *d;
	const char *status, *e = NULL, *c = NULL;
	size_t i, next = 0;
	int r, end = 0;

	*out = NULL;
	for (i = 0; i < sm->model->nstates; i++)
		if (strcmp(sm->model->states[i].name, state) == 0)
			st = &sm->model->states[i];
	if (st == NULL)
		return sd_error_set(err, SD_ERR_NOTFOUND, NULL, "no state named "
		    "\"%s\" at the top level of the machine", state);
	if (ts == NULL) {
		memset(&defaults, 0, sizeof(defaults));
		ts = &defaults;
	}
	if (ts->retry_count < 0 || (ts->has_map_failure_count &&
	    ts->map_failure_count < 0))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "retrierRetryCount "
		    "and mapIterationFailureCount cannot be negative");
	if (ts->variables != NULL && !json_is_object(ts->variables))
		return sd_error_set(err, SD_ERR_INVALID, NULL, "the variables "
		    "must be a JSON object");
	if ((r = ts_check(st, ts, err)) != 0)
		return r;
	memset(&eo, 0, sizeof(eo));
	eo.record_trace = 1;
	eo.max_transitions = 1000000;
	if ((r = exec_init(&x, sm, input, &eo)) != 0)
		goto out;
	x.ts = ts;
	if (ts->context != NULL && json_is_object(ts->context) &&
	    (ctx_base(&x) == NULL ||
	    json_object_update_recursive(x.ctx_base, ts->context) != 0)) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	x.event_id = 1;		/* as if ExecutionStarted came first */
	if (ts->variables != NULL &&
	    (root.vars = json_copy(ts->variables)) == NULL) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	r = run_state(&x, st, input, &output, &next, &end, &f, &root);
	if (r < 0)
		goto out;
	/* The record of the tested state is the last one. */
	tr = json_array_get(x.trace, json_array_size(x.trace) - 1);
	if (r == R_OK) {
		status = x.ts_outcome == TS_CAUGHT ? "CAUGHT_ERROR" : "SUCCEEDED";
		if (x.ts_outcome == TS_CAUGHT) {
			e = json_string_value(json_object_get(tr, "error"));
			c = json_string_value(json_object_get(tr, "cause"));
		}
	} else {
		status = r == R_FAILED && x.ts_outcome == TS_RETRIABLE ?
		    "RETRIABLE" : "FAILED";
		e = r == R_TIMEOUT ? "States.Timeout" : f.error;
		c = r == R_TIMEOUT ? NULL : f.cause;
	}
	if ((res = json_pack("{s:s}", "status", status)) == NULL ||
	    (d = inspection_data(tr, st)) == NULL ||
	    json_object_set_new(res, "inspectionData", d) != 0 ||
	    (r == R_OK && json_object_set(res, "output", output) != 0) ||
	    (r == R_OK && !end && json_object_set_new(res, "nextState",
	    json_string(sibling_name(st, next))) != 0) ||
	    (e != NULL && json_object_set_new(res, "error",
	    json_string(e)) != 0) ||
	    (c != NULL && json_object_set_new(res, "cause",
	    json_string(c)) != 0)) {
		r = SD_ERR_NOMEM;
		goto out;
	}
	*out = res;
	res = NULL;
	r = 0;
 out:
	if (r != 0)
		sd_error_set(err, r, NULL, "the state could not run: %s",
		    sd_strerror(r));
	json_decref(root.vars);
	fail_clear(&f);
	json_decref(output);
	json_decref(res);
	exec_free(&x);
	return r;
}
