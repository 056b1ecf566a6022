/*
 * jsonata_fn.c: JSONata's built-in function library and signatures.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "jsonata_int.h"

struct jn_sig {
	int	 arity;
};

static const struct jn_builtin builtins[] = {
	{ NULL, NULL, NULL, 0 }
};

const struct jn_builtin *
jn_builtin_find(const char *name, int aws)
{
	size_t i;

	for (i = 0; builtins[i].name != NULL; i++)
		if (strcmp(builtins[i].name, name) == 0 &&
		    (aws || !builtins[i].aws))
			return &builtins[i];
	return NULL;
}

const struct jn_sig *
jn_builtin_sig(const struct jn_builtin *b)
{
	(void)b;
	return NULL;
}

struct jn_sig *
jn_sig_parse(struct jn_ctx *c, const char *sig)
{
	(void)sig;
	if (c != NULL)
		jn_throw(c, "X0000", -1, NULL, NULL, -1);
	return NULL;
}

void
jn_sig_free(struct jn_sig *s)
{
	free(s);
}

int
jn_sig_arity(const struct jn_sig *s)
{
	return s == NULL ? 0 : s->arity;
}

int
jn_sig_validate(struct jn_ctx *c, const struct jn_sig *s, const char *fname,
    json_t **args, size_t nargs, json_t *context, json_t ***out,
    size_t *n_out)
{
	(void)s; (void)fname; (void)args; (void)nargs; (void)context;
	*out = NULL;
	*n_out = 0;
	return jn_throw(c, "X0000", -1, NULL, NULL, -1);
}

void
jn_args_free(json_t **args, size_t n)
{
	size_t i;

	if (args == NULL)
		return;
	for (i = 0; i < n; i++)
		json_decref(args[i]);
	free(args);
}

int
jn_call_builtin(struct jn_ctx *c, const struct jn_builtin *b, json_t **args,
    size_t nargs, json_t *context, json_t **out)
{
	(void)b; (void)args; (void)nargs; (void)context;
	*out = NULL;
	return jn_throw(c, "X0000", -1, NULL, NULL, -1);
}

char *
jn_stringify(struct jn_ctx *c, const json_t *v, int pretty)
{
	(void)v; (void)pretty;
	jn_throw(c, "X0000", -1, NULL, NULL, -1);
	return NULL;
}

void
jn_fmt_number(double x, char *buf, size_t len)
{
	(void)snprintf(buf, len, "%.17g", x);
}

int
jn_deep_equal(const json_t *a, const json_t *b)
{
	return json_equal((json_t *)a, (json_t *)b);
}
