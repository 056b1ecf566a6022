/*
 * mockconfig.c: AWS Step Functions Local's MockConfigFile, read as it is
 * and turned into libstep's mocks object (step_machine_set_mocks).
 *
 *	{"StateMachines": {SM: {"TestCases": {CASE: {STATE: RESPONSE}}}},
 *	 "MockedResponses": {RESPONSE: {"0": {"Return": V},
 *	     "1-2": {"Throw": {"Error": E, "Cause": C}}}}}
 *
 * becomes {STATE: [{"result": V}, {"error": E, "cause": C},
 * {"error": E, "cause": C}]}.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "step.h"

/* The largest invocation number a key may name. */
#define MC_MAX_INDEX	99999999L
/* How much of a list of names an error message shows. */
#define MC_NAMES_MAX	200

struct mc_range {
	long		 lo;
	long		 hi;
	const char	*key;
	json_t		*resp;
};

/*
 * Fill err with code and message at the location "/p1/p2/p3/p4" (NULL
 * parts and the ones after them are left out). Returns code.
 */
static int
fail_at(struct sd_error *err, int code, const char *p1, const char *p2,
    const char *p3, const char *p4, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static int
fail_at(struct sd_error *err, int code, const char *p1, const char *p2,
    const char *p3, const char *p4, const char *fmt, ...)
{
	struct sd_buf b;
	const char *parts[4];
	char *loc;
	va_list ap;
	size_t i;
	int r;

	parts[0] = p1;
	parts[1] = p2;
	parts[2] = p3;
	parts[3] = p4;
	/* Appends are checked once, by sd_buf_steal (the failure is sticky). */
	sd_buf_init(&b, 64 * 1024);
	for (i = 0; i < 4 && parts[i] != NULL; i++) {
		(void)sd_buf_putc(&b, '/');
		(void)sd_buf_puts(&b, parts[i]);
	}
	if (i == 0)
		(void)sd_buf_putc(&b, '/');
	/* A location too long to keep is left out, not the error. */
	loc = sd_buf_steal(&b);
	sd_buf_release(&b);
	va_start(ap, fmt);
	r = sd_error_setv(err, code, loc, fmt, ap);
	va_end(ap);
	free(loc);
	return r;
}

/* New string: the keys of obj, quoted, comma-separated, shortened. */
static char *
name_list(json_t *obj)
{
	struct sd_buf b;
	const char *k;
	json_t *v;
	size_t n = 0;

	sd_buf_init(&b, 0);
	json_object_foreach(obj, k, v) {
		(void)v;
		if (b.len > MC_NAMES_MAX) {
			(void)sd_buf_printf(&b, ", ... (%zu in all)",
			    json_object_size(obj));
			break;
		}
		(void)sd_buf_printf(&b, "%s\"%.64s%s\"", n++ > 0 ? ", " : "",
		    k, strlen(k) > 64 ? "..." : "");
	}
	if (n == 0)
		(void)sd_buf_puts(&b, "none");
	return sd_buf_steal(&b);
}

/* Parse a decimal invocation number at *s, advancing *s. */
static int
parse_index(const char **s, long *out)
{
	const char *p = *s;
	long v = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MC_MAX_INDEX)
			return -1;
	}
	*s = p;
	*out = v;
	return 0;
}

/* "N" or "N-M" (N <= M): the invocations a response answers. */
static int
parse_range(const char *key, long *lo, long *hi)
{
	const char *p = key;

	if (parse_index(&p, lo) != 0)
		return -1;
	if (*p == '\0') {
		*hi = *lo;
		return 0;
	}
	if (*p++ != '-' || parse_index(&p, hi) != 0 || *p != '\0' || *hi < *lo)
		return -1;
	return 0;
}

/* One response: {"Return": V} or {"Throw": {"Error": E, "Cause": C}}. */
static int
check_response(const char *name, const char *key, json_t *resp,
    struct sd_error *err)
{
	const char *k;
	json_t *v, *t;

	if (!json_is_object(resp))
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, key,
		    NULL, "a response must be an object, {\"Return\": ...} or "
		    "{\"Throw\": {\"Error\": ..., \"Cause\": ...}}, not %s",
		    sd_json_type_name(resp));
	json_object_foreach(resp, k, v) {
		if (strcmp(k, "Return") != 0 && strcmp(k, "Throw") != 0)
			return fail_at(err, SD_ERR_INVALID, "MockedResponses",
			    name, key, k, "unknown field (expected Return or "
			    "Throw)");
	}
	if ((json_object_get(resp, "Return") != NULL) ==
	    ((t = json_object_get(resp, "Throw")) != NULL))
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, key,
		    NULL, "a response needs exactly one of \"Return\" and "
		    "\"Throw\"");
	if (t == NULL)
		return 0;
	if (!json_is_object(t))
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, key,
		    "Throw", "must be an object {\"Error\": ..., \"Cause\": ...}, "
		    "not %s", sd_json_type_name(t));
	json_object_foreach(t, k, v) {
		if (strcmp(k, "Error") != 0 && strcmp(k, "Cause") != 0)
			return fail_at(err, SD_ERR_INVALID, "MockedResponses",
			    name, key, "Throw", "unknown field \"%s\" (expected "
			    "Error and Cause)", k);
		if (!json_is_string(v))
			return fail_at(err, SD_ERR_INVALID, "MockedResponses",
			    name, key, "Throw", "\"%s\" must be a string, not %s",
			    k, sd_json_type_name(v));
	}
	if (json_object_get(t, "Error") == NULL)
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, key,
		    "Throw", "\"Error\" is missing");
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct mc_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/*
 * Check the mocked response name (an object keyed by invocation ranges)
 * and return its ranges sorted, contiguous from 0 (*out new, *n entries).
 */
static int
load_ranges(const char *name, json_t *obj, struct mc_range **out, size_t *n,
    struct sd_error *err)
{
	struct mc_range *rg = NULL;
	const char *k;
	json_t *v;
	size_t i = 0;
	int r;

	*out = NULL;
	*n = 0;
	if (!json_is_object(obj))
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, NULL,
		    NULL, "must be an object keyed by invocation number (\"0\", "
		    "\"1-2\", ...), not %s", sd_json_type_name(obj));
	if (json_object_size(obj) == 0)
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", name, NULL,
		    NULL, "no responses (want at least \"0\")");
	if ((rg = calloc(json_object_size(obj), sizeof(*rg))) == NULL)
		return sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
	json_object_foreach(obj, k, v) {
		if (parse_range(k, &rg[i].lo, &rg[i].hi) != 0) {
			r = fail_at(err, SD_ERR_INVALID, "MockedResponses", name, k,
			    NULL, "not an invocation number or range (want \"N\" "
			    "or \"N-M\" with 0 <= N <= M <= %ld)", MC_MAX_INDEX);
			goto fail;
		}
		if ((r = check_response(name, k, v, err)) != 0)
			goto fail;
		rg[i].key = k;
		rg[i].resp = v;
		i++;
	}
	qsort(rg, i, sizeof(*rg), range_cmp);
	for (i = 0; i < json_object_size(obj); i++) {
		long want = i == 0 ? 0 : rg[i - 1].hi + 1;

		if (rg[i].lo == want)
			continue;
		if (i == 0)
			r = fail_at(err, SD_ERR_INVALID, "MockedResponses", name,
			    rg[i].key, NULL, "invocation numbers start at 0, but "
			    "the first response is for invocation %ld", rg[i].lo);
		else if (rg[i].lo < want)
			r = fail_at(err, SD_ERR_INVALID, "MockedResponses", name,
			    rg[i].key, NULL, "overlaps \"%s\" (invocation %ld has "
			    "two responses)", rg[i - 1].key, rg[i].lo);
		else
			r = fail_at(err, SD_ERR_INVALID, "MockedResponses", name,
			    rg[i].key, NULL, "invocation numbers must be "
			    "contiguous: nothing answers invocation %ld%s", want,
			    rg[i].lo - want > 1 ? " and the ones up to this one" :
			    "");
		goto fail;
	}
	*out = rg;
	*n = json_object_size(obj);
	return 0;
 fail:
	free(rg);
	return r;
}

/* {"result": V} or {"error": E[, "cause": C]}: new. */
static json_t *
convert_response(json_t *resp)
{
	json_t *v, *t, *o = NULL, *copy = NULL;

	if ((v = json_object_get(resp, "Return")) != NULL) {
		if ((copy = json_deep_copy(v)) == NULL)
			return NULL;
		return json_pack("{s:o}", "result", copy);
	}
	t = json_object_get(resp, "Throw");
	if ((o = json_pack("{s:O}", "error", json_object_get(t, "Error"))) == NULL)
		return NULL;
	if ((v = json_object_get(t, "Cause")) != NULL &&
	    json_object_set(o, "cause", v) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The list of responses for one state, by invocation (new in *out). */
static int
expand(const char *name, json_t *obj, size_t *budget, json_t **out,
    struct sd_error *err)
{
	struct mc_range *rg = NULL;
	json_t *list = NULL, *one = NULL;
	size_t n, i, total;
	long j;
	int r;

	*out = NULL;
	if ((r = load_ranges(name, obj, &rg, &n, err)) != 0)
		return r;
	total = (size_t)rg[n - 1].hi + 1;
	if (total > *budget) {
		r = fail_at(err, SD_ERR_LIMIT, "MockedResponses", name, NULL, NULL,
		    "too many invocations: the mocks of one test case may hold "
		    "at most %d responses", STEP_MOCKCONFIG_MAX_RESPONSES);
		goto out;
	}
	if ((list = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((one = convert_response(rg[i].resp)) == NULL)
			goto nomem;
		for (j = rg[i].lo; j <= rg[i].hi; j++)
			if (json_array_append(list, one) != 0)
				goto nomem;
		json_decref(one);
		one = NULL;
	}
	*budget -= total;
	*out = list;
	list = NULL;
	r = 0;
	goto out;
 nomem:
	r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 out:
	json_decref(one);
	json_decref(list);
	free(rg);
	return r;
}

/* Check a state machine entry: {"TestCases": {CASE: {STATE: NAME}}}. */
static int
check_machine(const char *sm, json_t *v, struct sd_error *err)
{
	const char *k, *ck, *sk;
	json_t *x, *cases, *tc, *ref;

	if (!json_is_object(v))
		return fail_at(err, SD_ERR_INVALID, "StateMachines", sm, NULL, NULL,
		    "must be an object {\"TestCases\": {...}}, not %s",
		    sd_json_type_name(v));
	json_object_foreach(v, k, x) {
		if (strcmp(k, "TestCases") != 0)
			return fail_at(err, SD_ERR_INVALID, "StateMachines", sm, k,
			    NULL, "unknown field (expected TestCases)");
	}
	if ((cases = json_object_get(v, "TestCases")) == NULL)
		return fail_at(err, SD_ERR_INVALID, "StateMachines", sm, NULL, NULL,
		    "\"TestCases\" is missing");
	if (!json_is_object(cases))
		return fail_at(err, SD_ERR_INVALID, "StateMachines", sm,
		    "TestCases", NULL, "must be an object keyed by test case "
		    "name, not %s", sd_json_type_name(cases));
	json_object_foreach(cases, ck, tc) {
		if (!json_is_object(tc))
			return fail_at(err, SD_ERR_INVALID, "StateMachines", sm,
			    "TestCases", ck, "must be an object mapping state "
			    "names to mocked response names, not %s",
			    sd_json_type_name(tc));
		json_object_foreach(tc, sk, ref) {
			if (!json_is_string(ref))
				return fail_at(err, SD_ERR_INVALID,
				    "StateMachines", sm, "TestCases", ck,
				    "\"%s\" must name a mocked response (a "
				    "string), not %s", sk,
				    sd_json_type_name(ref));
		}
	}
	return 0;
}

/* Check the whole file's shape and every mocked response. */
static int
check_config(json_t *config, struct sd_error *err)
{
	struct mc_range *rg = NULL;
	const char *k;
	json_t *v, *sms, *resps;
	size_t n;
	int r;

	if (!json_is_object(config))
		return fail_at(err, SD_ERR_INVALID, NULL, NULL, NULL, NULL,
		    "a mock configuration must be an object {\"StateMachines\": "
		    "..., \"MockedResponses\": ...}, not %s",
		    sd_json_type_name(config));
	json_object_foreach(config, k, v) {
		if (strcmp(k, "StateMachines") != 0 &&
		    strcmp(k, "MockedResponses") != 0)
			return fail_at(err, SD_ERR_INVALID, k, NULL, NULL, NULL,
			    "unknown field (expected StateMachines and "
			    "MockedResponses)");
	}
	if ((sms = json_object_get(config, "StateMachines")) == NULL)
		return fail_at(err, SD_ERR_INVALID, NULL, NULL, NULL, NULL,
		    "\"StateMachines\" is missing");
	if (!json_is_object(sms))
		return fail_at(err, SD_ERR_INVALID, "StateMachines", NULL, NULL,
		    NULL, "must be an object keyed by state machine name, not %s",
		    sd_json_type_name(sms));
	if ((resps = json_object_get(config, "MockedResponses")) == NULL)
		return fail_at(err, SD_ERR_INVALID, NULL, NULL, NULL, NULL,
		    "\"MockedResponses\" is missing");
	if (!json_is_object(resps))
		return fail_at(err, SD_ERR_INVALID, "MockedResponses", NULL, NULL,
		    NULL, "must be an object keyed by mocked response name, "
		    "not %s", sd_json_type_name(resps));
	json_object_foreach(sms, k, v) {
		if ((r = check_machine(k, v, err)) != 0)
			return r;
	}
	json_object_foreach(resps, k, v) {
		if ((r = load_ranges(k, v, &rg, &n, err)) != 0)
			return r;
		free(rg);
		rg = NULL;
	}
	return 0;
}

int
step_mockconfig_to_mocks(json_t *config, const char *state_machine,
    const char *test_case, json_t **mocks, struct sd_error *err)
{
	const char *k, *sm = state_machine;
	json_t *sms, *cases, *tc, *ref, *v, *resp, *out = NULL, *list = NULL;
	size_t budget = STEP_MOCKCONFIG_MAX_RESPONSES;
	char *names = NULL;
	int r;

	*mocks = NULL;
	if (test_case == NULL)
		return sd_error_set(err, SD_ERR_INVALID, NULL, "no test case given");
	if ((r = check_config(config, err)) != 0)
		return r;
	sms = json_object_get(config, "StateMachines");
	if (sm == NULL) {
		if (json_object_size(sms) == 0)
			return fail_at(err, SD_ERR_INVALID, "StateMachines", NULL,
			    NULL, NULL, "the file describes no state machine");
		if (json_object_size(sms) > 1) {
			names = name_list(sms);
			r = fail_at(err, SD_ERR_NOTFOUND, "StateMachines", NULL,
			    NULL, NULL, "several state machines (%s): name the "
			    "one to use", names != NULL ? names : "...");
			goto out;
		}
		json_object_foreach(sms, k, v)
			sm = k;
	}
	if ((v = json_object_get(sms, sm)) == NULL) {
		names = name_list(sms);
		r = fail_at(err, SD_ERR_NOTFOUND, "StateMachines", NULL, NULL, NULL,
		    "no state machine named \"%s\" (the file has %s)", sm,
		    names != NULL ? names : "others");
		goto out;
	}
	cases = json_object_get(v, "TestCases");
	if ((tc = json_object_get(cases, test_case)) == NULL) {
		names = name_list(cases);
		r = fail_at(err, SD_ERR_NOTFOUND, "StateMachines", sm, "TestCases",
		    NULL, "no test case named \"%s\" (the file has %s)", test_case,
		    names != NULL ? names : "others");
		goto out;
	}
	if ((out = json_object()) == NULL)
		goto nomem;
	json_object_foreach(tc, k, ref) {
		resp = json_object_get(json_object_get(config, "MockedResponses"),
		    json_string_value(ref));
		if (resp == NULL) {
			r = fail_at(err, SD_ERR_INVALID, "StateMachines", sm,
			    "TestCases", test_case, "state \"%s\": no mocked "
			    "response named \"%s\" in /MockedResponses", k,
			    json_string_value(ref));
			goto out;
		}
		if ((r = expand(json_string_value(ref), resp, &budget, &list,
		    err)) != 0)
			goto out;
		if (json_object_set_new(out, k, list) != 0) {
			list = NULL;
			goto nomem;
		}
		list = NULL;
	}
	*mocks = out;
	out = NULL;
	r = 0;
	goto out;
 nomem:
	r = sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
 out:
	free(names);
	json_decref(out);
	return r;
}
