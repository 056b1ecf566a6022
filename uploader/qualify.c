/*
 * qualify.c: name the release's Lambda by its published version in the
 * definition deployed (sd_deploy.h, "No mixed window").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sd_deploy.h"

struct qualify {
	char		 base[512];	/* arn:P:lambda:R:A:function:NAME */
	char		 partial[256];	/* A:function:NAME */
	const char	*name;		/* NAME, inside base */
	char		 out[640];	/* base:QUALIFIER */
	size_t		 count;
	int		 nomem;
};

/* 1 when s is prefix, alone or followed by ":QUALIFIER" (no more ':'). */
static int
names(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(s, prefix, n) != 0)
		return 0;
	if (s[n] == '\0')
		return 1;
	return s[n] == ':' && s[n + 1] != '\0' && strchr(s + n + 1, ':') ==
	    NULL;
}

/* 1 when a FunctionName value names the function. */
static int
function_name_matches(const struct qualify *q, const char *s)
{
	if (strncmp(s, "arn:", 4) == 0)
		return names(s, q->base);
	if (strstr(s, ":function:") != NULL)
		return names(s, q->partial);
	return names(s, q->name);
}

/* 1 when resource is the Lambda service integration's invoke. */
static int
is_lambda_invoke(const char *r)
{
	static const char invoke[] = ":states:::lambda:invoke";
	const char *p;

	if (strncmp(r, "arn:", 4) != 0 || (p = strchr(r + 4, ':')) == NULL)
		return 0;
	if (strncmp(p, invoke, sizeof(invoke) - 1) != 0)
		return 0;
	p += sizeof(invoke) - 1;
	return *p == '\0' || strcmp(p, ".waitForTaskToken") == 0;
}

static int
set_string(struct qualify *q, json_t *obj, const char *key)
{
	if (json_object_set_new(obj, key, json_string(q->out)) != 0) {
		q->nomem = 1;
		return -1;
	}
	q->count++;
	return 0;
}

static void walk_states(struct qualify *, json_t *states);

static void
walk_machine(struct qualify *q, json_t *machine)
{
	if (json_is_object(machine))
		walk_states(q, json_object_get(machine, "States"));
}

static void
walk_state(struct qualify *q, json_t *st)
{
	const char *type = json_string_value(json_object_get(st, "Type"));
	const char *res, *fn;
	json_t *args, *b;
	size_t i;

	if (type == NULL)
		return;
	if (strcmp(type, "Task") == 0) {
		if ((res = json_string_value(json_object_get(st,
		    "Resource"))) == NULL)
			return;
		if (names(res, q->base)) {
			(void)set_string(q, st, "Resource");
			return;
		}
		if (!is_lambda_invoke(res))
			return;
		args = json_object_get(st, "Parameters");
		if (!json_is_object(args))
			args = json_object_get(st, "Arguments");
		if (!json_is_object(args))
			return;
		fn = json_string_value(json_object_get(args, "FunctionName"));
		if (fn != NULL && function_name_matches(q, fn))
			(void)set_string(q, args, "FunctionName");
	} else if (strcmp(type, "Parallel") == 0) {
		json_array_foreach(json_object_get(st, "Branches"), i, b)
			walk_machine(q, b);
	} else if (strcmp(type, "Map") == 0) {
		walk_machine(q, json_object_get(st, "ItemProcessor"));
		walk_machine(q, json_object_get(st, "Iterator"));
	}
}

static void
walk_states(struct qualify *q, json_t *states)
{
	const char *k;
	json_t *st;

	if (!json_is_object(states))
		return;
	json_object_foreach(states, k, st) {
		if (json_is_object(st))
			walk_state(q, st);
	}
}

json_t *
sd_deploy_qualify(const json_t *definition, const char *lambda_arn,
    const char *qualifier, size_t *count)
{
	struct qualify q;
	const char *f[8];
	json_t *copy;
	size_t n;
	int i;

	memset(&q, 0, sizeof(q));
	if (definition == NULL || lambda_arn == NULL || qualifier == NULL ||
	    *qualifier == '\0' || strchr(qualifier, ':') != NULL)
		return NULL;
	/* arn:P:lambda:R:A:function:NAME - seven fields, no qualifier. */
	f[0] = lambda_arn;
	for (i = 1; i < 8; i++) {
		f[i] = strchr(f[i - 1], ':');
		if (f[i] == NULL)
			break;
		f[i]++;
	}
	if (i != 7 || strncmp(f[0], "arn:", 4) != 0 ||
	    strncmp(f[2], "lambda:", 7) != 0 ||
	    strncmp(f[5], "function:", 9) != 0 || *f[6] == '\0')
		return NULL;
	n = strlen(lambda_arn);
	if (n >= sizeof(q.base) || (size_t)snprintf(q.partial,
	    sizeof(q.partial), "%s", f[4]) >= sizeof(q.partial) ||
	    (size_t)snprintf(q.out, sizeof(q.out), "%s:%s", lambda_arn,
	    qualifier) >= sizeof(q.out))
		return NULL;
	memcpy(q.base, lambda_arn, n + 1);
	q.name = q.base + (f[6] - lambda_arn);
	if ((copy = json_deep_copy(definition)) == NULL)
		return NULL;
	walk_machine(&q, copy);
	if (q.nomem) {
		json_decref(copy);
		return NULL;
	}
	if (count != NULL)
		*count = q.count;
	return copy;
}
