/*
 * machine.c: the public face of a machine — build it from a definition,
 * register Task handlers, set mocks.
 */
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "sd_json.h"

int
step_machine_from_json(json_t *def, const struct step_machine_opts *o,
    struct step_machine **out, struct sd_error *err)
{
	struct step_machine *m = NULL;
	const char *name = o != NULL && o->name != NULL ? o->name : "StateMachine";
	int r;

	*out = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	if ((r = sd_model_build(def, o != NULL ? o->lambda_arn : NULL, &m->model,
	    err)) != 0) {
		step_machine_free(m);
		return r;
	}
	m->definition = json_incref(def);
	if (o != NULL && o->lambda_arn != NULL &&
	    (m->lambda_arn = strdup(o->lambda_arn)) == NULL) {
		step_machine_free(m);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	if ((m->name = strdup(name)) == NULL ||
	    (m->arn = o != NULL && o->arn != NULL ? strdup(o->arn) :
	    sd_asprintf("arn:aws:states:us-east-1:000000000000:stateMachine:%s",
	    name)) == NULL) {
		step_machine_free(m);
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	}
	*out = m;
	return 0;
}

int
step_machine_new(const char *json, size_t len, const struct step_machine_opts *o,
    struct step_machine **out, struct sd_error *err)
{
	json_t *def;
	int r;

	*out = NULL;
	if (len > STEP_MAX_DEFINITION)
		return sd_error_set(err, SD_ERR_LIMIT, "", "the definition is %zu "
		    "bytes, more than the limit of %zu bytes on a state machine "
		    "definition", len, STEP_MAX_DEFINITION);
	if ((def = sd_json_loadb(json, len, JSON_REJECT_DUPLICATES,
	    "the definition", err)) == NULL)
		return SD_ERR_PARSE;
	r = step_machine_from_json(def, o, out, err);
	json_decref(def);
	return r;
}

void
step_machine_free(struct step_machine *m)
{
	size_t i;

	if (m == NULL)
		return;
	json_decref(m->definition);
	sd_model_free(m->model);
	free(m->name);
	free(m->arn);
	free(m->lambda_arn);
	for (i = 0; i < m->nhandlers; i++)
		free(m->handlers[i].key);
	free(m->handlers);
	json_decref(m->mocks);
	free(m);
}

json_t *
step_machine_definition(const struct step_machine *m)
{
	return m->definition;
}

int
step_machine_register(struct step_machine *m, const char *key,
    step_handler_fn fn, void *user)
{
	struct handler_entry *n;
	size_t i;

	for (i = 0; i < m->nhandlers; i++) {
		if ((key == NULL && m->handlers[i].key == NULL) ||
		    (key != NULL && m->handlers[i].key != NULL &&
		    strcmp(key, m->handlers[i].key) == 0)) {
			m->handlers[i].fn = fn;
			m->handlers[i].user = user;
			return 0;
		}
	}
	if ((n = reallocarray(m->handlers, m->nhandlers + 1, sizeof(*n))) == NULL)
		return SD_ERR_NOMEM;
	m->handlers = n;
	n[m->nhandlers].key = NULL;
	if (key != NULL && (n[m->nhandlers].key = strdup(key)) == NULL)
		return SD_ERR_NOMEM;
	n[m->nhandlers].fn = fn;
	n[m->nhandlers].user = user;
	m->nhandlers++;
	return 0;
}

/* The state named name in m or a machine nested in it, or NULL. */
static const struct sd_state *
find_state(const struct sd_machine *m, const char *name)
{
	const struct sd_state *st, *found;
	size_t i, j;

	for (i = 0; m != NULL && i < m->nstates; i++) {
		st = &m->states[i];
		if (strcmp(st->name, name) == 0)
			return st;
		if ((found = find_state(st->iterator, name)) != NULL)
			return found;
		for (j = 0; j < st->nbranches; j++)
			if ((found = find_state(st->branches[j], name)) != NULL)
				return found;
	}
	return NULL;
}

/*
 * A mock for a Map's ItemReader, keyed by the Map state's name: {"body":
 * TEXT} answers s3:getObject with the object's text, {"objects": [...]}
 * s3:listObjectsV2 with the listing (objects with a string "Key").
 */
static int
check_reader_mock(const struct sd_machine *model, const char *name,
    json_t *resp, const char *loc, struct sd_error *err)
{
	const struct sd_state *st = find_state(model, name);
	json_t *body = json_object_get(resp, "body");
	json_t *objs = json_object_get(resp, "objects"), *e;
	size_t i;

	if (st == NULL || st->type != SD_ST_MAP || st->reader == NULL)
		return sd_error_set(err, SD_ERR_INVALID, loc, "an ItemReader "
		    "mock ({\"body\"} or {\"objects\"}) must be keyed by the "
		    "name of a Map state with an ItemReader");
	if (json_object_size(resp) != 1)
		return sd_error_set(err, SD_ERR_INVALID, loc, "an ItemReader "
		    "mock holds only \"body\" (s3:getObject) or only "
		    "\"objects\" (s3:listObjectsV2)");
	if (st->reader->kind == SD_IR_GET_OBJECT && body == NULL)
		return sd_error_set(err, SD_ERR_INVALID, loc, "the ItemReader "
		    "of '%s' calls s3:getObject: its mock is {\"body\": TEXT}",
		    name);
	if (st->reader->kind == SD_IR_LIST_OBJECTS && objs == NULL)
		return sd_error_set(err, SD_ERR_INVALID, loc, "the ItemReader "
		    "of '%s' calls s3:listObjectsV2: its mock is {\"objects\": "
		    "[...]}", name);
	if (body != NULL && !json_is_string(body))
		return sd_error_set(err, SD_ERR_INVALID, loc, "\"body\" must "
		    "be a string (the object's text)");
	if (objs != NULL && !json_is_array(objs))
		return sd_error_set(err, SD_ERR_INVALID, loc, "\"objects\" "
		    "must be an array of objects with a string \"Key\"");
	json_array_foreach(objs, i, e) {
		if (!json_is_object(e) || !json_is_string(json_object_get(e,
		    "Key")))
			return sd_error_set(err, SD_ERR_INVALID, loc,
			    "objects[%zu] must be an object with a string "
			    "\"Key\"", i);
	}
	return 0;
}

static int
check_response(json_t *resp, const char *loc, struct sd_error *err)
{
	const char *k;
	json_t *v;
	int has_result, has_error, has_calls, r;

	if (!json_is_object(resp))
		return sd_error_set(err, SD_ERR_INVALID, loc, "a mock response must "
		    "be an object like {\"result\": ...} or {\"error\": \"Name\", "
		    "\"cause\": \"text\"}");
	has_result = json_object_get(resp, "result") != NULL;
	has_error = json_object_get(resp, "error") != NULL;
	has_calls = json_object_get(resp, "callbacks") != NULL;
	if (has_result + has_error + has_calls != 1)
		return sd_error_set(err, SD_ERR_INVALID, loc, "a mock response needs "
		    "exactly one of \"result\", \"error\" and \"callbacks\"");
	if (has_calls && (json_object_get(resp, "delaySeconds") != NULL ||
	    json_object_get(resp, "heartbeatSeconds") != NULL))
		return sd_error_set(err, SD_ERR_INVALID, loc, "a mock response with "
		    "\"callbacks\" times them by their afterSeconds: it takes no "
		    "delaySeconds or heartbeatSeconds");
	if (json_object_get(resp, "cause") != NULL && !has_error)
		return sd_error_set(err, SD_ERR_INVALID, loc, "\"cause\" goes with "
		    "\"error\"");
	json_object_foreach(resp, k, v) {
		if (strcmp(k, "result") == 0 || strcmp(k, "submitted") == 0)
			continue;
		if (strcmp(k, "callbacks") == 0) {
			if ((r = sd_callbacks_check(v, loc, err)) != 0)
				return r;
			continue;
		}
		if (strcmp(k, "workerName") == 0) {
			if (!json_is_string(v) || json_string_length(v) < 1 ||
			    json_string_length(v) > 80)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "\"workerName\" must be a string of 1 to 80 "
				    "characters (GetActivityTask's limit)");
			continue;
		}
		if ((strcmp(k, "error") == 0 || strcmp(k, "cause") == 0)) {
			if (!json_is_string(v))
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "\"%s\" must be a string", k);
			continue;
		}
		if (strcmp(k, "delaySeconds") == 0 ||
		    strcmp(k, "heartbeatSeconds") == 0) {
			if (!json_is_number(v) || json_number_value(v) < 0)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "\"%s\" must be a non-negative number", k);
			continue;
		}
		return sd_error_set(err, SD_ERR_INVALID, loc, "unknown field \"%s\" "
		    "(expected result, error, cause, callbacks, submitted, "
		    "workerName, delaySeconds, heartbeatSeconds)", k);
	}
	return 0;
}

int
step_machine_set_mocks(struct step_machine *m, json_t *mocks,
    struct sd_error *err)
{
	const char *k;
	json_t *v, *e;
	char *loc;
	size_t i;
	int r;

	if (mocks == NULL) {
		json_decref(m->mocks);
		m->mocks = NULL;
		return 0;
	}
	if (!json_is_object(mocks))
		return sd_error_set(err, SD_ERR_INVALID, "/", "mocks must be an "
		    "object keyed by state name or Task resource");
	json_object_foreach(mocks, k, v) {
		if (json_is_array(v)) {
			json_array_foreach(v, i, e) {
				if ((loc = sd_asprintf("/%s[%zu]", k, i)) == NULL)
					return SD_ERR_NOMEM;
				r = check_response(e, loc, err);
				free(loc);
				if (r != 0)
					return r;
			}
		} else {
			if ((loc = sd_asprintf("/%s", k)) == NULL)
				return SD_ERR_NOMEM;
			r = json_is_object(v) && (json_object_get(v, "body") !=
			    NULL || json_object_get(v, "objects") != NULL) ?
			    check_reader_mock(m->model, k, v, loc, err) :
			    check_response(v, loc, err);
			free(loc);
			if (r != 0)
				return r;
		}
	}
	json_decref(m->mocks);
	m->mocks = json_incref(mocks);
	return 0;
}

int
step_dispatch(struct step_machine *m, json_t *payload, json_t *context,
    json_t **output, struct step_task_failure *failure)
{
	struct step_task_call call;
	const char *name = "";
	json_t *input = payload, *t;
	size_t i;

	*output = NULL;
	memset(&call, 0, sizeof(call));
	if (json_is_object(payload) && (t = json_object_get(payload, "Task")) != NULL) {
		if (!json_is_string(t)) {
			failure->error = strdup("UnknownTask");
			failure->cause = strdup("the payload's \"Task\" must be a "
			    "string naming a handler");
			return -1;
		}
		name = json_string_value(t);
		input = json_object_get(payload, "Input");
		if (input == NULL)
			input = json_null();
		else
			json_incref(input);
	} else
		json_incref(input);
	for (i = 0; i < m->nhandlers; i++) {
		if (m->handlers[i].key != NULL &&
		    strcmp(m->handlers[i].key, name) == 0)
			break;
	}
	if (i == m->nhandlers) {
		json_decref(input);
		failure->error = strdup("UnknownTask");
		failure->cause = sd_asprintf("no handler is registered for the "
		    "task \"%s\"", name);
		return -1;
	}
	call.state = name;
	call.resource = m->lambda_arn != NULL ? m->lambda_arn : "";
	call.input = input;
	call.context = context;
	i = (size_t)m->handlers[i].fn(m->handlers[i].user, &call, output,
	    failure);
	json_decref(input);
	if (i == 0 && *output == NULL)
		*output = json_null();
	return (int)i;
}

/* Rewrite the TaskFn states of one States object (and below) in place. */
static int
rewrite_taskfn(json_t *states, const char *arn, int depth)
{
	const char *name;
	json_t *st, *v, *b;
	size_t i;

	if (depth > 64 || !json_is_object(states))
		return 0;
	json_object_foreach(states, name, st) {
		if (!json_is_object(st))
			continue;
		v = json_object_get(st, "Type");
		if (json_is_string(v) && strcmp(json_string_value(v), "TaskFn") == 0) {
			if (json_object_set_new(st, "Type", json_string("Task")) != 0 ||
			    json_object_set_new(st, "Resource", json_string(arn)) != 0 ||
			    json_object_set_new(st, "Parameters", json_pack("{s:s, s:s}",
			    "Task", name, "Input.$", "$")) != 0)
				return SD_ERR_NOMEM;
		}
		json_array_foreach(json_object_get(st, "Branches"), i, b)
			if (rewrite_taskfn(json_object_get(b, "States"), arn,
			    depth + 1) != 0)
				return SD_ERR_NOMEM;
		if ((b = json_object_get(st, "ItemProcessor")) != NULL ||
		    (b = json_object_get(st, "Iterator")) != NULL)
			if (rewrite_taskfn(json_object_get(b, "States"), arn,
			    depth + 1) != 0)
				return SD_ERR_NOMEM;
	}
	return 0;
}

json_t *
step_machine_aws_json(const struct step_machine *m)
{
	json_t *d = json_deep_copy(m->definition);

	if (d == NULL)
		return NULL;
	if (m->lambda_arn != NULL && rewrite_taskfn(json_object_get(d, "States"),
	    m->lambda_arn, 0) != 0) {
		json_decref(d);
		return NULL;
	}
	return d;
}
