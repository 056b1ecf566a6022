/*
 * jsonata.c: the JSONata tokenizer, parser and evaluator (skeleton).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sd_jsonata.h"
#include "jsonata_int.h"

struct jn_ctx {
	const struct sd_jn_opts	*opts;
	struct sd_jn_error	*err;
	int			 failed;
};

struct sd_jn_expr {
	char	*src;
};

int
jn_throw(struct jn_ctx *c, const char *code, long position,
    const char *token, const json_t *value, long index)
{
	(void)value;
	(void)index;
	if (c == NULL || c->failed)
		return -1;
	c->failed = 1;
	if (c->err != NULL) {
		snprintf(c->err->code, sizeof(c->err->code), "%s", code);
		c->err->position = position;
		snprintf(c->err->token, sizeof(c->err->token), "%s",
		    token != NULL ? token : "");
		snprintf(c->err->message, sizeof(c->err->message), "%s", code);
	}
	return -1;
}

json_t *
jn_num(struct jn_ctx *c, double d)
{
	(void)c;
	return json_real(d);
}

double
jn_numv(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : 0;
}

int
jn_is_num(const json_t *v)
{
	return json_is_number(v);
}

json_t *
jn_seq_new(struct jn_ctx *c)
{
	(void)c;
	return json_array();
}

int
jn_is_seq(const struct jn_ctx *c, const json_t *v)
{
	(void)c;
	(void)v;
	return 0;
}

int
jn_is_fn(const json_t *v)
{
	return json_is_object(v) && json_object_size(v) == 1 &&
	    json_object_get(v, JN_FN_KEY) != NULL;
}

int
jn_fn_arity(struct jn_ctx *c, const json_t *fn)
{
	(void)c;
	(void)fn;
	return -1;
}

int
jn_apply(struct jn_ctx *c, const json_t *fn, json_t **args, size_t nargs,
    json_t **out)
{
	(void)fn;
	(void)args;
	(void)nargs;
	*out = NULL;
	return jn_throw(c, "X0000", -1, NULL, NULL, -1);
}

const void *
jn_regex(struct jn_ctx *c, const json_t *v)
{
	(void)c;
	(void)v;
	return NULL;
}

int
jn_eval_src(struct jn_ctx *c, const char *src, json_t *input,
    json_t *bindings, json_t **out)
{
	(void)src;
	(void)input;
	(void)bindings;
	*out = NULL;
	return jn_throw(c, "X0000", -1, NULL, NULL, -1);
}

int
jn_charge(struct jn_ctx *c, size_t bytes)
{
	(void)c;
	(void)bytes;
	return 0;
}

int
jn_tick(struct jn_ctx *c)
{
	(void)c;
	return 0;
}

const struct sd_jn_opts *
jn_opts(const struct jn_ctx *c)
{
	return c->opts;
}

int64_t
jn_now_ms(struct jn_ctx *c)
{
	struct timespec ts;

	if (c->opts != NULL && c->opts->now_ms >= 0)
		return c->opts->now_ms;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sd_jn_expr *
sd_jn_compile(const char *src, struct sd_jn_error *err)
{
	struct sd_jn_expr *e;

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->src = strdup(src)) == NULL) {
		free(e);
		if (err != NULL) {
			memset(err, 0, sizeof(*err));
			snprintf(err->code, sizeof(err->code), "X0001");
			err->position = -1;
		}
		return NULL;
	}
	return e;
}

void
sd_jn_free(struct sd_jn_expr *e)
{
	if (e == NULL)
		return;
	free(e->src);
	free(e);
}

int
sd_jn_eval(const struct sd_jn_expr *e, json_t *input, json_t *bindings,
    const struct sd_jn_opts *opts, json_t **out, struct sd_jn_error *err)
{
	struct jn_ctx c;

	(void)e;
	(void)input;
	(void)bindings;
	memset(&c, 0, sizeof(c));
	c.opts = opts;
	c.err = err;
	*out = NULL;
	return jn_throw(&c, "X0000", -1, NULL, NULL, -1);
}

const char *
sd_jn_error_text(const struct sd_jn_error *err, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (err->position >= 0)
		snprintf(buf, len, "%s: %s (at position %ld)", err->code,
		    err->message, err->position);
	else
		snprintf(buf, len, "%s: %s", err->code, err->message);
	return buf;
}
