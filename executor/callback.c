/*
 * callback.c: the answers of callback Tasks (.waitForTaskToken, activities)
 * in the shape of AWS's SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat calls, as mocks give them and as handlers send them;
 * and the service call's response a .waitForTaskToken or .sync Task
 * submitted. Each callback is checked here against the API's request
 * shape (docs.aws.amazon.com/step-functions/latest/apireference/
 * API_SendTaskSuccess.html, API_SendTaskFailure.html,
 * API_SendTaskHeartbeat.html); the engine replays them (engine.c,
 * task_replay).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "sd_json.h"

/* The API's length constraints. */
#define TOKEN_MAX	1024
#define OUTPUT_MAX	262144
#define ERROR_MAX	256
#define CAUSE_MAX	32768

static const char *const calls[] = { "SendTaskSuccess", "SendTaskFailure",
    "SendTaskHeartbeat" };

/* Check one string member of a request: its type and length. */
static int
check_str(json_t *req, const char *key, size_t min, size_t max, int required,
    const char *loc, const char *call, struct sd_error *err)
{
	json_t *v = json_object_get(req, key);

	if (v == NULL) {
		if (required)
			return sd_error_set(err, SD_ERR_INVALID, loc, "%s needs "
			    "\"%s\" (a string)", call, key);
		return 0;
	}
	if (!json_is_string(v))
		return sd_error_set(err, SD_ERR_INVALID, loc, "%s: \"%s\" must "
		    "be a string, not %s", call, key, sd_json_type_name(v));
	if (json_string_length(v) < min || json_string_length(v) > max)
		return sd_error_set(err, SD_ERR_INVALID, loc, "%s: \"%s\" must "
		    "be %zu to %zu bytes long (the API's limit), not %zu", call,
		    key, min, max, json_string_length(v));
	return 0;
}

int
sd_callback_check(json_t *cb, double prev_after, int allow_submitted,
    const char *loc, struct sd_error *err)
{
	const char *k, *call = NULL;
	json_t *v, *req = NULL;
	size_t i;
	int r;

	if (!json_is_object(cb))
		return sd_error_set(err, SD_ERR_INVALID, loc, "a callback must be "
		    "an object like {\"afterSeconds\": 5, \"SendTaskSuccess\": "
		    "{\"output\": \"{}\"}}");
	json_object_foreach(cb, k, v) {
		if (strcmp(k, "afterSeconds") == 0) {
			if (!json_is_number(v) || !isfinite(sd_json_number(v)) ||
			    sd_json_number(v) < 0 || sd_json_number(v) > 99999999)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "\"afterSeconds\" must be a number from 0 to "
				    "99999999");
			if (sd_json_number(v) < prev_after)
				return sd_error_set(err, SD_ERR_INVALID, loc,
				    "\"afterSeconds\" %g is before the previous "
				    "callback's (%g): list the callbacks in the order "
				    "they are sent", sd_json_number(v), prev_after);
			continue;
		}
		if (allow_submitted && strcmp(k, "submitted") == 0) {
			if (call != NULL)
				return sd_error_set(err, SD_ERR_INVALID, loc, "a "
				    "callback is one of SendTaskSuccess, "
				    "SendTaskFailure, SendTaskHeartbeat or submitted; "
				    "this one has both %s and submitted", call);
			call = k;
			continue;
		}
		for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
			if (strcmp(k, calls[i]) == 0)
				break;
		if (i == sizeof(calls) / sizeof(calls[0]))
			return sd_error_set(err, SD_ERR_INVALID, loc, "unknown field "
			    "\"%s\" in a callback (expected afterSeconds and one of "
			    "SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat%s)",
			    k, allow_submitted ? ", submitted" : "");
		if (call != NULL)
			return sd_error_set(err, SD_ERR_INVALID, loc, "a callback is "
			    "one API call; this one has both %s and %s", call, k);
		call = k;
		req = v;
	}
	if (call == NULL)
		return sd_error_set(err, SD_ERR_INVALID, loc, "a callback needs "
		    "one of SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat%s",
		    allow_submitted ? " or submitted" : "");
	if (strcmp(call, "submitted") == 0) {
		if (json_object_get(cb, "afterSeconds") != NULL)
			return sd_error_set(err, SD_ERR_INVALID, loc, "\"submitted\" "
			    "is the service call's response, given when the task "
			    "starts: it takes no afterSeconds");
		return 0;
	}
	if (!json_is_object(req))
		return sd_error_set(err, SD_ERR_INVALID, loc, "%s must be an "
		    "object (the API's request)", call);
	json_object_foreach(req, k, v) {
		if (strcmp(k, "taskToken") == 0 ||
		    (strcmp(call, "SendTaskSuccess") == 0 &&
		    strcmp(k, "output") == 0) ||
		    (strcmp(call, "SendTaskFailure") == 0 &&
		    (strcmp(k, "error") == 0 || strcmp(k, "cause") == 0)))
			continue;
		return sd_error_set(err, SD_ERR_INVALID, loc, "unknown field "
		    "\"%s\" in %s (it takes %s)", k, call,
		    strcmp(call, "SendTaskSuccess") == 0 ? "taskToken, output" :
		    strcmp(call, "SendTaskFailure") == 0 ?
		    "taskToken, error, cause" : "taskToken");
	}
	if ((r = check_str(req, "taskToken", 1, TOKEN_MAX, 0, loc, call,
	    err)) != 0)
		return r;
	if (strcmp(call, "SendTaskSuccess") == 0)
		return check_str(req, "output", 0, OUTPUT_MAX, 1, loc, call, err);
	if (strcmp(call, "SendTaskFailure") == 0 &&
	    ((r = check_str(req, "error", 0, ERROR_MAX, 0, loc, call,
	    err)) != 0 ||
	    (r = check_str(req, "cause", 0, CAUSE_MAX, 0, loc, call,
	    err)) != 0))
		return r;
	return 0;
}

int
sd_callbacks_check(json_t *list, const char *loc, struct sd_error *err)
{
	json_t *cb, *v;
	char *l;
	size_t i;
	double prev = 0;
	int r;

	if (!json_is_array(list))
		return sd_error_set(err, SD_ERR_INVALID, loc, "\"callbacks\" must "
		    "be a list of API calls like {\"afterSeconds\": 5, "
		    "\"SendTaskHeartbeat\": {}}");
	json_array_foreach(list, i, cb) {
		if ((l = sd_asprintf("%s/callbacks[%zu]", loc, i)) == NULL)
			return SD_ERR_NOMEM;
		r = sd_callback_check(cb, prev, 0, l, err);
		free(l);
		if (r != 0)
			return r;
		if ((v = json_object_get(cb, "afterSeconds")) != NULL)
			prev = sd_json_number(v);
	}
	return 0;
}

/* Record cb (steals it) on the call's channel, checked. */
static int
record(const struct step_task_call *call, json_t *cb, struct sd_error *err)
{
	struct step_callbacks *c = call != NULL ? call->callbacks : NULL;
	json_t *last, *v;
	double prev = 0;
	int r;

	if (cb == NULL)
		return SD_ERR_NOMEM;
	if (c == NULL) {
		json_decref(cb);
		return sd_error_set(err, SD_ERR_INVALID, NULL, "this Task call "
		    "takes no callbacks");
	}
	if ((last = json_array_get(c->calls, json_array_size(c->calls) - 1)) !=
	    NULL && (v = json_object_get(last, "afterSeconds")) != NULL)
		prev = sd_json_number(v);
	if ((r = sd_callback_check(cb, prev, 1, NULL, err)) != 0) {
		json_decref(cb);
		return r;
	}
	if ((v = json_object_get(cb, "submitted")) != NULL) {
		if (!c->takes_submit || c->submitted != NULL) {
			json_decref(cb);
			return sd_error_set(err, SD_ERR_INVALID, NULL, c->takes_submit ?
			    "the service call's response was already given" :
			    "only a .waitForTaskToken or .sync Task has a service "
			    "call's response (submitted)");
		}
		c->submitted = json_incref(v);
		json_decref(cb);
		return 0;
	}
	if (!c->takes_calls) {
		json_decref(cb);
		return sd_error_set(err, SD_ERR_INVALID, NULL, "only a "
		    ".waitForTaskToken Task or an activity is answered by "
		    "SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat");
	}
	if (c->calls == NULL && (c->calls = json_array()) == NULL) {
		json_decref(cb);
		return SD_ERR_NOMEM;
	}
	return json_array_append_new(c->calls, cb) != 0 ? SD_ERR_NOMEM : 0;
}

int
step_task_callback_json(const struct step_task_call *call, json_t *cb,
    struct sd_error *err)
{
	return record(call, json_incref(cb), err);
}

/*
 * Set q's key to the string s: 0, or SD_ERR_INVALID when jansson takes no
 * such string (it is not UTF-8, as the API's strings are; out of memory
 * looks the same).
 */
static int
set_str(json_t *q, const char *key, const char *s)
{
	json_t *v;

	if ((v = json_string(s)) == NULL)
		return SD_ERR_INVALID;
	return json_object_set_new(q, key, v) != 0 ? SD_ERR_NOMEM : 0;
}

/* A request (new): taskToken when given, then up to two more strings. */
static int
request(json_t **q, const char *token, const char *k1, const char *v1,
    const char *k2, const char *v2)
{
	int r = 0;

	if ((*q = json_object()) == NULL)
		return SD_ERR_NOMEM;
	if ((token != NULL && (r = set_str(*q, "taskToken", token)) != 0) ||
	    (v1 != NULL && (r = set_str(*q, k1, v1)) != 0) ||
	    (v2 != NULL && (r = set_str(*q, k2, v2)) != 0)) {
		json_decref(*q);
		*q = NULL;
	}
	return r;
}

/* {"afterSeconds": after_s, name: q}; steals q. */
static int
send_call(const struct step_task_call *call, const char *name, json_t *q,
    double after_s)
{
	struct sd_error err = SD_ERROR_INIT;
	json_t *cb;
	int r;

	if ((cb = json_pack("{s:f, s:o}", "afterSeconds", after_s, name, q)) ==
	    NULL)
		return SD_ERR_NOMEM;
	r = record(call, cb, &err);
	sd_error_clear(&err);
	return r;
}

int
step_send_task_success(const struct step_task_call *call, const char *token,
    const char *output, double after_s)
{
	json_t *q = NULL;
	int r;

	if (output == NULL)
		return SD_ERR_INVALID;
	if ((r = request(&q, token, "output", output, NULL, NULL)) != 0)
		return r;
	return send_call(call, "SendTaskSuccess", q, after_s);
}

int
step_send_task_failure(const struct step_task_call *call, const char *token,
    const char *error, const char *cause, double after_s)
{
	json_t *q = NULL;
	int r;

	if ((r = request(&q, token, "error", error, "cause", cause)) != 0)
		return r;
	return send_call(call, "SendTaskFailure", q, after_s);
}

int
step_send_task_heartbeat(const struct step_task_call *call, const char *token,
    double after_s)
{
	json_t *q = NULL;
	int r;

	if ((r = request(&q, token, NULL, NULL, NULL, NULL)) != 0)
		return r;
	return send_call(call, "SendTaskHeartbeat", q, after_s);
}

int
step_task_submitted(const struct step_task_call *call, json_t *response)
{
	struct sd_error err = SD_ERROR_INIT;
	int r;

	if (response == NULL)
		return SD_ERR_INVALID;
	r = record(call, json_pack("{s:O}", "submitted", response), &err);
	sd_error_clear(&err);
	return r;
}
