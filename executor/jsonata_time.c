/*
 * jsonata_time.c: JSONata's date/time and picture-string functions.
 */
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "jsonata_int.h"

#define TODO(c)	jn_throw((c), "X0000", -1, NULL, NULL, -1)

int
jn_fn_now(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_from_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_to_millis(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_format_number(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_format_base(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_format_integer(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}

int
jn_fn_parse_integer(struct jn_ctx *c, json_t **a, size_t n, json_t **out)
{
	(void)a; (void)n; *out = NULL;
	return TODO(c);
}
