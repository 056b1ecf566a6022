/*
 * lint.c: the definition lint (see sd_lint.h). This file holds the report,
 * the location stack, the JSON parsing, and the walk over state machines:
 * each States block (top level, Parallel branch, Map item processor) is a
 * scope whose transitions, reachability and terminal states are checked
 * once its states are. The fields of each state are in lint_state.c, the
 * expression languages in lint_expr.c.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint_int.h"
#include "sd_buf.h"
#include "sd_json.h"

/* ------------------------------------------------------------ report */

void
sd_lint_opts_default(struct sd_lint_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->check_arn = 1;
	o->check_paths = 1;
	o->max_size = SD_LINT_MAX_SIZE_DEFAULT;
	o->max_states = SD_LINT_MAX_STATES_DEFAULT;
}

void
sd_lint_report_free(struct sd_lint_report *rep)
{
	size_t i;

	if (rep == NULL)
		return;
	for (i = 0; i < rep->n; i++) {
		free(rep->v[i].location);
		free(rep->v[i].message);
	}
	free(rep->v);
	free(rep);
}

size_t
sd_lint_count(const struct sd_lint_report *rep)
{
	return rep != NULL ? rep->n : 0;
}

const struct sd_lint_finding *
sd_lint_get(const struct sd_lint_report *rep, size_t i)
{
	if (rep == NULL || i >= rep->n)
		return NULL;
	return &rep->v[i];
}

size_t
sd_lint_errors(const struct sd_lint_report *rep)
{
	return rep != NULL ? rep->errors : 0;
}

size_t
sd_lint_warnings(const struct sd_lint_report *rep)
{
	return rep != NULL ? rep->warnings : 0;
}

const char *
sd_lint_severity_name(enum sd_lint_severity s)
{
	return s == SD_LINT_WARNING ? "WARNING" : "ERROR";
}

json_t *
sd_lint_report_json(const struct sd_lint_report *rep)
{
	json_t *o = NULL, *diags = NULL, *d;
	size_t i;

	if ((o = json_object()) == NULL || (diags = json_array()) == NULL)
		goto fail;
	if (json_object_set_new(o, "result", json_string(sd_lint_errors(rep) > 0 ?
	    "FAIL" : "OK")) != 0)
		goto fail;
	for (i = 0; i < sd_lint_count(rep); i++) {
		const struct sd_lint_finding *f = &rep->v[i];

		if ((d = json_object()) == NULL ||
		    json_array_append_new(diags, d) != 0 ||
		    json_object_set_new(d, "severity",
		    json_string(sd_lint_severity_name(f->severity))) != 0 ||
		    json_object_set_new(d, "code", json_string(f->code)) != 0 ||
		    json_object_set_new(d, "message", json_string(f->message)) != 0)
			goto fail;
		if (f->location != NULL && json_object_set_new(d, "location",
		    json_string(f->location)) != 0)
			goto fail;
	}
	if (json_object_set_new(o, "diagnostics", diags) != 0) {
		diags = NULL;
		goto fail;
	}
	return o;
 fail:
	json_decref(diags);
	json_decref(o);
	return NULL;
}

/*
 * Make s one printable line of valid UTF-8, in place: control characters
 * become spaces, bytes that do not form UTF-8 become '?'.
 */
static void
sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t i, n, k;

	for (i = 0; p[i] != '\0'; ) {
		if (p[i] < 0x20 || p[i] == 0x7f) {
			p[i++] = ' ';
			continue;
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0 && p[i] >= 0xc2)
			n = 2;
		else if ((p[i] & 0xf0) == 0xe0)
			n = 3;
		else if ((p[i] & 0xf8) == 0xf0 && p[i] <= 0xf4)
			n = 4;
		else {
			p[i++] = '?';
			continue;
		}
		for (k = 1; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				break;
		if (k < n) {
			p[i++] = '?';
			continue;
		}
		i += n;
	}
}

/* Cut s to at most max bytes without splitting a UTF-8 sequence. */
static void
utf8_cut(char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

static void
lint_addv(struct lint *, enum sd_lint_severity, const char *, const char *,
    const char *, va_list) __attribute__((format(printf, 5, 0)));

static void
lint_addv(struct lint *l, enum sd_lint_severity sev, const char *code,
    const char *field, const char *fmt, va_list ap)
{
	struct sd_lint_report *rep = l->rep;
	struct sd_lint_finding *f, *nv;
	char msg[LINT_MSG_MAX], *loc = NULL;
	size_t ncap;
	int r;

	if (sev == SD_LINT_ERROR)
		rep->errors++;
	else
		rep->warnings++;
	if (rep->n >= SD_LINT_MAX_FINDINGS)
		return;
	if (rep->n == SD_LINT_MAX_FINDINGS - 1) {
		/* The last slot says the rest were dropped. */
		code = C_FINDINGS;
		field = NULL;
		if (sev == SD_LINT_WARNING) {
			rep->warnings--;
			rep->errors++;
		}
		sev = SD_LINT_ERROR;
		r = snprintf(msg, sizeof(msg), "More than %zu findings; the "
		    "rest are not listed", SD_LINT_MAX_FINDINGS - 1);
	} else
		r = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (r < 0)
		msg[0] = '\0';
	else if ((size_t)r >= sizeof(msg)) {
		utf8_cut(msg, sizeof(msg) - 4);
		memcpy(msg + strlen(msg), "...", 4);
	}
	sanitize(msg);
	if (rep->n == rep->cap) {
		ncap = rep->cap == 0 ? 16 : rep->cap * 2;
		if ((nv = reallocarray(rep->v, ncap, sizeof(*nv))) == NULL) {
			l->nomem = 1;
			return;
		}
		rep->v = nv;
		rep->cap = ncap;
	}
	if (l->noloc)
		loc = NULL;	/* JSON syntax errors */
	else if (field != NULL)
		loc = sd_asprintf("%s/%s", l->loc, field);
	else
		loc = strdup(l->loclen == 0 ? "/" : l->loc);
	if (loc == NULL && !l->noloc) {
		l->nomem = 1;
		return;
	}
	if (loc != NULL) {
		utf8_cut(loc, LINT_LOC_MAX);
		sanitize(loc);
	}
	f = &rep->v[rep->n];
	f->severity = sev;
	f->code = code;
	f->location = loc;
	if ((f->message = strdup(msg)) == NULL) {
		free(loc);
		l->nomem = 1;
		return;
	}
	rep->n++;
}

void
lint_err(struct lint *l, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lint_addv(l, SD_LINT_ERROR, code, field, fmt, ap);
	va_end(ap);
}

void
lint_warn(struct lint *l, const char *code, const char *field,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	lint_addv(l, SD_LINT_WARNING, code, field, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ locations */

static size_t
loc_append(struct lint *l, const char *s, size_t n)
{
	size_t old = l->loclen;

	if (n > sizeof(l->loc) - 1 - l->loclen)
		n = sizeof(l->loc) - 1 - l->loclen;	/* cut (sanitised later) */
	memcpy(l->loc + l->loclen, s, n);
	l->loclen += n;
	l->loc[l->loclen] = '\0';
	return old;
}

size_t
loc_push(struct lint *l, const char *name)
{
	size_t old = l->loclen;

	loc_append(l, "/", 1);
	loc_append(l, name, strlen(name));
	return old;
}

size_t
loc_push_idx(struct lint *l, size_t i)
{
	char b[32];
	int r;

	r = snprintf(b, sizeof(b), "[%zu]", i);
	if (r < 0 || (size_t)r >= sizeof(b))
		r = 0;
	return loc_append(l, b, (size_t)r);
}

void
loc_pop(struct lint *l, size_t len)
{
	l->loclen = len;
	l->loc[len] = '\0';
}

/* ------------------------------------------------------------ helpers */

size_t
utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

const char *
lint_type(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:	return "an OBJECT";
	case JSON_ARRAY:	return "an ARRAY";
	case JSON_STRING:	return "a STRING";
	case JSON_INTEGER:	return "an INTEGER";
	case JSON_REAL:		return "a NUMBER";
	case JSON_TRUE:
	case JSON_FALSE:	return "a BOOLEAN";
	case JSON_NULL:		return "NULL";
	}
	return "unknown";
}

/* ------------------------------------------------------------ strset */

static uint64_t
hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int
strset_init(struct strset *s, int own)
{
	memset(s, 0, sizeof(*s));
	s->own = own;
	return 0;
}

void
strset_free(struct strset *s)
{
	size_t i;

	if (s == NULL)
		return;
	if (s->own && s->keys != NULL)
		for (i = 0; i < s->cap; i++)
			free(s->keys[i]);
	free(s->keys);
	free(s->vals);
	memset(s, 0, sizeof(*s));
}

/* Slot of key, or of the empty slot where it would go. */
static size_t
strset_slot(const struct strset *s, const char *key, size_t len)
{
	size_t i = (size_t)hash(key, len) & (s->cap - 1);

	while (s->keys[i] != NULL && (strncmp(s->keys[i], key, len) != 0 ||
	    s->keys[i][len] != '\0'))
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int
strset_grow(struct strset *s)
{
	struct strset n;
	size_t i, j, ncap;

	ncap = s->cap == 0 ? 16 : s->cap * 2;
	if (ncap < s->cap)
		return -1;
	n = *s;
	n.cap = ncap;
	if ((n.keys = calloc(ncap, sizeof(*n.keys))) == NULL)
		return -1;
	if ((n.vals = calloc(ncap, sizeof(*n.vals))) == NULL) {
		free(n.keys);
		return -1;
	}
	for (i = 0; i < s->cap; i++) {
		if (s->keys[i] == NULL)
			continue;
		j = strset_slot(&n, s->keys[i], strlen(s->keys[i]));
		n.keys[j] = s->keys[i];
		n.vals[j] = s->vals[i];
	}
	free(s->keys);
	free(s->vals);
	*s = n;
	return 0;
}

int
strset_add(struct strset *s, const char *key, size_t len, size_t val,
    size_t *old)
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && strset_grow(s) != 0)
		return -1;
	i = strset_slot(s, key, len);
	if (s->keys[i] != NULL) {
		if (old != NULL)
			*old = s->vals[i];
		return 0;
	}
	if (s->own) {
		if ((s->keys[i] = strndup(key, len)) == NULL)
			return -1;
	} else
		s->keys[i] = (char *)(uintptr_t)key;	/* borrowed */
	s->vals[i] = val;
	s->n++;
	return 1;
}

int
strset_get(const struct strset *s, const char *key, size_t len, size_t *val)
{
	size_t i;

	if (s->cap == 0)
		return 0;
	i = strset_slot(s, key, len);
	if (s->keys[i] == NULL)
		return 0;
	if (val != NULL)
		*val = s->vals[i];
	return 1;
}

/* ------------------------------------------------------------ machines */

/* Report fields of obj not in allowed (NULL-terminated). */
static void
unknown_fields(struct lint *l, json_t *obj, const char *const *allowed,
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

static void
lint_processor_config(struct lint *l, json_t *pc)
{
	static const char *const fields[] = { "Mode", "ExecutionType", NULL };
	json_t *mode, *et;
	size_t old;
	int dist = 0;

	if (!json_is_object(pc)) {
		lint_err(l, C_SCHEMA, "ProcessorConfig", "The value for the field "
		    "'ProcessorConfig' must be an OBJECT, not %s", lint_type(pc));
		return;
	}
	old = loc_push(l, "ProcessorConfig");
	unknown_fields(l, pc, fields, "a ProcessorConfig");
	if ((mode = json_object_get(pc, "Mode")) != NULL) {
		if (!json_is_string(mode) ||
		    (strcmp(json_string_value(mode), "INLINE") != 0 &&
		    strcmp(json_string_value(mode), "DISTRIBUTED") != 0))
			lint_err(l, C_SCHEMA, "Mode", "The value for the field "
			    "'Mode' must be \"INLINE\" or \"DISTRIBUTED\"");
		else
			dist = json_string_value(mode)[0] == 'D';
	}
	if ((et = json_object_get(pc, "ExecutionType")) != NULL) {
		if (!json_is_string(et) ||
		    (strcmp(json_string_value(et), "STANDARD") != 0 &&
		    strcmp(json_string_value(et), "EXPRESS") != 0))
			lint_err(l, C_SCHEMA, "ExecutionType", "The value for the "
			    "field 'ExecutionType' must be \"STANDARD\" or "
			    "\"EXPRESS\"");
	} else if (dist)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[ExecutionType] (a DISTRIBUTED Map needs one)");
	loc_pop(l, old);
}

/* Add edge from -> to. */
struct edges {
	size_t	*dst;
	size_t	 n;
	size_t	 cap;
};

static int
edge_add(struct edges *e, size_t to)
{
	size_t *nv, ncap;

	if (e->n == e->cap) {
		ncap = e->cap == 0 ? 64 : e->cap * 2;
		if ((nv = reallocarray(e->dst, ncap, sizeof(*nv))) == NULL)
			return -1;
		e->dst = nv;
		e->cap = ncap;
	}
	e->dst[e->n++] = to;
	return 0;
}

/*
 * Resolve the target name v (when a string) in the scope's index: report
 * it when missing, record the edge when found. The current location is
 * the state's; sub is the path below it ("Next", "Choices[0]/Next").
 */
static void
resolve_target(struct lint *l, struct strset *index, json_t *v,
    const char *sub, const char *what, struct edges *e)
{
	const char *name;
	size_t idx;

	if (!json_is_string(v))
		return;
	name = json_string_value(v);
	if (!strset_get(index, name, strlen(name), &idx)) {
		lint_err(l, C_TARGET, sub, "Missing '%s' target: %s", what, name);
		return;
	}
	if (edge_add(e, idx) != 0)
		l->nomem = 1;
}

/*
 * Transitions of one scope: every target must name a state of the same
 * States block; every state must be reachable from StartAt; some state
 * must be terminal.
 */
static void
lint_transitions(struct lint *l, json_t *states, const char *start)
{
	struct strset index;
	struct edges e = { NULL, 0, 0 };
	size_t *eoff = NULL, *stack = NULL, n, i, j, sp = 0, old, old2, idx;
	unsigned char *seen = NULL;
	const char *name, *type;
	json_t *st, *arr, *el;
	int terminal = 0, unknown = 0, tbit, have_start = 0;
	char sub[48];

	strset_init(&index, 0);
	n = json_object_size(states);
	if ((eoff = calloc(n + 1, sizeof(*eoff))) == NULL ||
	    (seen = calloc(n, 1)) == NULL ||
	    (stack = calloc(n, sizeof(*stack))) == NULL) {
		l->nomem = 1;
		goto out;
	}
	i = 0;
	json_object_foreach(states, name, st) {
		if (strset_add(&index, name, strlen(name), i, NULL) < 0) {
			l->nomem = 1;
			goto out;
		}
		i++;
	}
	old = loc_push(l, "States");
	i = 0;
	json_object_foreach(states, name, st) {
		eoff[i] = e.n;
		i++;
		if (!json_is_object(st)) {
			unknown = 1;
			continue;
		}
		type = json_string_value(json_object_get(st, "Type"));
		tbit = type != NULL ? lint_type_bit(type) : 0;
		if (tbit == 0 || tbit == T_SUCCEED || tbit == T_FAIL ||
		    json_is_true(json_object_get(st, "End")))
			terminal = 1;
		if (tbit == 0)
			unknown = 1;
		old2 = loc_push(l, name);
		if (tbit == 0 || (tbit & T_FLOW))
			resolve_target(l, &index, json_object_get(st, "Next"),
			    "Next", "Next", &e);
		if (tbit == 0 || tbit == T_CHOICE) {
			arr = json_object_get(st, "Choices");
			if (json_is_array(arr)) {
				json_array_foreach(arr, j, el) {
					if (!json_is_object(el))
						continue;
					if (snprintf(sub, sizeof(sub),
					    "Choices[%zu]/Next", j) < 0)
						continue;
					resolve_target(l, &index,
					    json_object_get(el, "Next"), sub, "Next",
					    &e);
				}
			}
			resolve_target(l, &index, json_object_get(st, "Default"),
			    "Default", "Default", &e);
		}
		if (tbit == 0 || (tbit & (T_TASK | T_PARALLEL | T_MAP))) {
			arr = json_object_get(st, "Catch");
			if (json_is_array(arr)) {
				json_array_foreach(arr, j, el) {
					if (!json_is_object(el))
						continue;
					if (snprintf(sub, sizeof(sub),
					    "Catch[%zu]/Next", j) < 0)
						continue;
					resolve_target(l, &index,
					    json_object_get(el, "Next"), sub, "Next",
					    &e);
				}
			}
		}
		loc_pop(l, old2);
	}
	eoff[n] = e.n;
	loc_pop(l, old);
	if (l->nomem)
		goto out;

	if (start != NULL) {
		if (strset_get(&index, start, strlen(start), &idx))
			have_start = 1;
		else
			lint_err(l, C_TARGET, "StartAt", "Missing 'StartAt' target: "
			    "%s", start);
	}
	if (!terminal && !unknown)
		lint_err(l, C_END, NULL, "Workflow has no terminal state (a "
		    "Succeed or Fail state, or a state with \"End\": true)");
	if (!have_start)
		goto out;
	seen[idx] = 1;
	stack[sp++] = idx;
	while (sp > 0) {
		i = stack[--sp];
		for (j = eoff[i]; j < eoff[i + 1]; j++) {
			if (!seen[e.dst[j]]) {
				seen[e.dst[j]] = 1;
				stack[sp++] = e.dst[j];
			}
		}
	}
	old = loc_push(l, "States");
	i = 0;
	json_object_foreach(states, name, st) {
		if (!seen[i]) {
			old2 = loc_push(l, name);
			lint_err(l, C_TARGET, NULL, "State \"%s\" is not reachable.",
			    name);
			loc_pop(l, old2);
		}
		i++;
	}
	loc_pop(l, old);
 out:
	strset_free(&index);
	free(e.dst);
	free(eoff);
	free(seen);
	free(stack);
}

void
lint_machine(struct lint *l, json_t *def, int kind)
{
	static const char *const top_fields[] = { "Comment", "StartAt",
	    "States", "Version", "TimeoutSeconds", "QueryLanguage", NULL };
	static const char *const branch_fields[] = { "Comment", "StartAt",
	    "States", NULL };
	static const char *const proc_fields[] = { "Comment", "StartAt",
	    "States", "ProcessorConfig", NULL };
	struct scope sc;
	json_t *v, *states, *st;
	const char *start = NULL, *name;
	size_t old, old2;
	long long ll;

	if (l->depth >= LINT_MACHINE_DEPTH) {
		lint_err(l, C_DEEP, NULL, "Parallel and Map states are nested "
		    "more than %d levels deep", LINT_MACHINE_DEPTH);
		return;
	}
	l->depth++;
	unknown_fields(l, def, kind == M_TOP ? top_fields : kind == M_BRANCH ?
	    branch_fields : proc_fields, kind == M_TOP ? "a state machine" :
	    kind == M_BRANCH ? "a Parallel branch" : "an item processor");
	if ((v = json_object_get(def, "Comment")) != NULL && !json_is_string(v))
		lint_err(l, C_SCHEMA, "Comment", "The value for the field "
		    "'Comment' must be a STRING, not %s", lint_type(v));
	if (kind == M_TOP) {
		if ((v = json_object_get(def, "QueryLanguage")) != NULL) {
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), "JSONata") == 0)
				l->top_lang = L_JSONATA;
			else if (!json_is_string(v) ||
			    strcmp(json_string_value(v), "JSONPath") != 0)
				lint_err(l, C_SCHEMA, "QueryLanguage", "The value "
				    "for the field 'QueryLanguage' must be "
				    "\"JSONPath\" or \"JSONata\"");
		}
		if ((v = json_object_get(def, "Version")) != NULL &&
		    (!json_is_string(v) ||
		    strcmp(json_string_value(v), "1.0") != 0))
			lint_err(l, C_SCHEMA, "Version", "The value for the field "
			    "'Version' must be \"1.0\"");
		if ((v = json_object_get(def, "TimeoutSeconds")) != NULL &&
		    (!sd_json_is_integral(v, &ll) || ll < 1 || ll > 99999999))
			lint_err(l, C_SCHEMA, "TimeoutSeconds", "The value for the "
			    "field 'TimeoutSeconds' must be an INTEGER from 1 to "
			    "99999999");
	}
	if (kind == M_PROCESSOR &&
	    (v = json_object_get(def, "ProcessorConfig")) != NULL)
		lint_processor_config(l, v);
	if ((v = json_object_get(def, "StartAt")) == NULL)
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[StartAt]");
	else if (!json_is_string(v))
		lint_err(l, C_SCHEMA, "StartAt", "The value for the field "
		    "'StartAt' must be a STRING, not %s", lint_type(v));
	else
		start = json_string_value(v);
	if ((states = json_object_get(def, "States")) == NULL) {
		lint_err(l, C_SCHEMA, NULL, "These fields are required: "
		    "[States]");
		goto out;
	}
	if (!json_is_object(states) || json_object_size(states) == 0) {
		lint_err(l, C_SCHEMA, "States", "The value for the field "
		    "'States' must be a non-empty OBJECT");
		goto out;
	}

	/* The scope: the variables its states assign, known up front. */
	sc.parent = l->scope;
	strset_init(&sc.vars, 1);
	json_object_foreach(states, name, st)
		if (lint_collect_vars(st, &sc.vars) != 0)
			l->nomem = 1;
	l->scope = &sc;

	old = loc_push(l, "States");
	json_object_foreach(states, name, st) {
		old2 = loc_push(l, name);
		if (++l->nstates > l->o->max_states && !l->too_many) {
			l->too_many = 1;
			lint_err(l, C_TOO_MANY, NULL, "The state machine has more "
			    "than %zu states", l->o->max_states);
		}
		if (strset_add(&l->names, name, strlen(name), 0, NULL) == 0)
			lint_err(l, C_DUPNAME, NULL, "Duplicate State name: %s",
			    name);
		lint_state(l, name, st);
		loc_pop(l, old2);
	}
	loc_pop(l, old);
	l->scope = sc.parent;
	strset_free(&sc.vars);
	lint_transitions(l, states, start);
 out:
	l->depth--;
}

/* ------------------------------------------------------------ entry points */

static int
lint_new(const struct sd_lint_opts *opts, struct sd_lint_opts *o,
    struct lint *l, struct sd_error *err)
{
	if (opts != NULL)
		*o = *opts;
	else
		sd_lint_opts_default(o);
	if (o->max_size == 0)
		o->max_size = SD_LINT_MAX_SIZE_DEFAULT;
	if (o->max_states == 0)
		o->max_states = SD_LINT_MAX_STATES_DEFAULT;
	memset(l, 0, sizeof(*l));
	l->o = o;
	l->top_lang = L_JSONPATH;
	strset_init(&l->names, 0);
	strset_init(&l->labels, 0);
	if ((l->rep = calloc(1, sizeof(*l->rep))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	return 0;
}

static int
lint_finish(struct lint *l, struct sd_lint_report **out, struct sd_error *err)
{
	strset_free(&l->names);
	strset_free(&l->labels);
	if (l->nomem) {
		sd_lint_report_free(l->rep);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	*out = l->rep;
	return 0;
}

static void
lint_def(struct lint *l, json_t *def)
{
	if (json_is_null(def))
		lint_err(l, C_EMPTY, NULL, "The definition is null");
	else if (!json_is_object(def))
		lint_err(l, C_SCHEMA, NULL, "A state machine definition must be "
		    "a JSON object, not %s", lint_type(def));
	else
		lint_machine(l, def, M_TOP);
}

int
sd_lint_json(json_t *def, const struct sd_lint_opts *opts,
    struct sd_lint_report **out, struct sd_error *err)
{
	struct sd_lint_opts o;
	struct lint l;
	int r;

	*out = NULL;
	if ((r = lint_new(opts, &o, &l, err)) != 0)
		return r;
	if (def == NULL)
		lint_err(&l, C_EMPTY, NULL, "No definition");
	else
		lint_def(&l, def);
	return lint_finish(&l, out, err);
}

/* A JSON syntax error: no location, the line and column in the message. */
static void
json_finding(struct lint *l, const json_error_t *je)
{
	l->noloc = 1;
	lint_err(l, C_JSON, NULL, "Invalid JSON at line %d, column %d: %s",
	    je->line, je->column, je->text);
	l->noloc = 0;
}

int
sd_lint(const char *text, size_t len, const struct sd_lint_opts *opts,
    struct sd_lint_report **out, struct sd_error *err)
{
	struct sd_lint_opts o;
	struct lint l;
	json_error_t je;
	json_t *def = NULL;
	size_t i;
	int r;

	*out = NULL;
	if ((r = lint_new(opts, &o, &l, err)) != 0)
		return r;
	for (i = 0; i < len; i++)
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			break;
	if (i == len) {
		lint_err(&l, C_EMPTY, NULL, "The definition is empty");
		goto done;
	}
	if (len > o.max_size) {
		lint_err(&l, C_TOO_LARGE, NULL, "The definition is %zu bytes, "
		    "more than the limit of %zu", len, o.max_size);
		goto done;
	}
	def = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
	    &je);
	if (def == NULL) {
		if (json_error_code(&je) == json_error_out_of_memory) {
			l.nomem = 1;
			goto done;
		}
		json_finding(&l, &je);
		if (json_error_code(&je) != json_error_duplicate_key)
			goto done;
		/* Check the rest; the later value of the key wins. */
		if ((def = json_loadb(text, len, JSON_DECODE_ANY, &je)) == NULL)
			goto done;
	}
	lint_def(&l, def);
 done:
	json_decref(def);
	return lint_finish(&l, out, err);
}
