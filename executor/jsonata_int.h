/*
 * jsonata_int.h: the interface between the parts of the JSONata evaluator
 * (private to executor/jsonata*.c; users include sd_jsonata.h).
 *
 *   jsonata.c        tokenizer, parser (AST), evaluator, sd_jn_* API;
 *                    provides: the context (struct jn_ctx), errors, values
 *                    (numbers, sequences, functions, regexes), jn_apply,
 *                    jn_eval_src, limits (jn_charge, jn_tick).
 *   jsonata_fn.c     the built-in function library (string, numeric,
 *                    aggregation, boolean, array, object, higher-order,
 *                    $eval, AWS's $partition/$range/$hash/$random/$uuid/
 *                    $parse), signatures (jn_sig_*), jn_stringify,
 *                    jn_fmt_number, jn_deep_equal, the builtin table.
 *   jsonata_time.c   $now, $millis, $fromMillis, $toMillis, $formatNumber,
 *                    $formatBase, $formatInteger, $parseInteger (pictures
 *                    as XPath/XQuery F&O 3.1, as jsonata-js implements them).
 *
 * Conventions, everywhere:
 *  - a value is a json_t *; NULL is JSONata's undefined;
 *  - arguments are borrowed; every json_t ** out is a new reference (or
 *    NULL: undefined);
 *  - functions returning int give 0 on success and -1 on error, after
 *    jn_throw() has recorded the error in the context (the first error
 *    wins; later ones are ignored);
 *  - never modify a json_t you did not create in this call: input
 *    documents and values are shared (copy, then change);
 *  - numbers: read with jn_numv(), make with jn_num() (integral values
 *    below 2^53 as json_integer, others as json_real; NaN and infinities
 *    raise D1001 and are never stored).
 */
#ifndef JSONATA_INT_H
#define JSONATA_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_jsonata.h"

struct jn_ctx;		/* one evaluation; defined in jsonata.c */
struct jn_sig;		/* a parsed function signature; defined in jsonata_fn.c */

/* ------------------------------------------------------------ jsonata.c */

/*
 * Record an error: code ("T0410"), position (-1: the evaluator fills in
 * the position of the call being evaluated), token (may be NULL: the
 * evaluator fills in the function's name), value (may be NULL; borrowed;
 * used for the {{value}} insert). The message comes from the table of
 * jsonata-js's messages for the code, with {{token}}, {{value}},
 * {{index}} (index, when >= 0) filled in. Returns -1.
 */
int	 jn_throw(struct jn_ctx *, const char *code, long position,
	    const char *token, const json_t *value, long index);

/* A number value (new); NaN/inf: D1001 thrown, returns NULL. */
json_t	*jn_num(struct jn_ctx *, double);
/* The number in v (json_integer or json_real); 0 when not a number. */
double	 jn_numv(const json_t *v);
int	 jn_is_num(const json_t *v);

/*
 * Sequences. A sequence is a json array the evaluator treats as
 * JSONata's sequence (singletons unwrapped at the end of a path or a
 * function's result, flattened when appended). jn_seq_new returns a new,
 * empty, sequence-flagged array; append with json_array_append_new.
 * Results of functions that jsonata-js builds with createSequence()
 * ($map, $filter, $keys, $spread, $each, $sift's values, ...) use it.
 */
json_t	*jn_seq_new(struct jn_ctx *);
int	 jn_is_seq(const struct jn_ctx *, const json_t *);

/*
 * Function values (lambdas, partial applications, built-ins, regexes) live
 * inside a JSON value as a one-key object whose key is JN_FN_KEY and whose
 * value is an integer handle into the evaluation's table.
 */
#define JN_FN_KEY	"\x01jsonata-fn"
int	 jn_is_fn(const json_t *v);
/* The number of parameters the function declares (built-ins: from the
 * signature, counting optional ones), -1 when v is not a function. */
int	 jn_fn_arity(struct jn_ctx *, const json_t *fn);
/* Call fn with args (borrowed). A regex called with a string gives its
 * match object (jsonata-js's {match, start, end, groups, next}). */
int	 jn_apply(struct jn_ctx *, const json_t *fn, json_t **args,
	    size_t nargs, json_t **out);

/*
 * Regexes (/.../flags literals, compiled with PCRE2 at parse time with
 * JavaScript's semantics; UTF mode). jn_regex returns the pcre2_code
 * (as void * so this header needs no pcre2.h) or NULL when v is not a
 * regex.
 */
const void *jn_regex(struct jn_ctx *, const json_t *v);

/* $eval: compile and evaluate src against input (borrowed, may be NULL)
 * with the current variables plus bindings (borrowed, may be NULL).
 * Parse errors become D3120, evaluation errors D3121, as jsonata-js. */
int	 jn_eval_src(struct jn_ctx *, const char *src, json_t *input,
	    json_t *bindings, json_t **out);

/*
 * Limits. jn_charge(c, n) accounts n bytes about to be built (strings,
 * arrays); jn_tick(c) one step of a long loop. Both return -1 with U1001
 * thrown when over the limit (bytes, steps or time), else 0. Built-ins
 * call jn_charge before building anything whose size the arguments
 * control, and jn_tick in loops over arguments.
 */
int	 jn_charge(struct jn_ctx *, size_t bytes);
int	 jn_tick(struct jn_ctx *);

const struct sd_jn_opts *jn_opts(const struct jn_ctx *);

/* --------------------------------------------------------- jsonata_fn.c */

typedef int (*jn_native_fn)(struct jn_ctx *, json_t **args, size_t nargs,
	    json_t **out);

struct jn_builtin {
	const char	*name;		/* without '$' */
	const char	*signature;	/* jsonata-js's, e.g. "<s-nn?:s>" */
	jn_native_fn	 fn;
	int		 aws;		/* 1: only with opts->aws_functions */
};

/* The built-in named name (no '$'), NULL when none (or AWS-only and aws
 * is 0). */
const struct jn_builtin *jn_builtin_find(const char *name, int aws);
/* The parsed signature of a built-in (parsed once, cached). */
const struct jn_sig *jn_builtin_sig(const struct jn_builtin *);

/* Parse a signature ("<n-n?:n>"); NULL on a bad one (S0401/S0402 thrown
 * when c is not NULL). jn_sig_free is NULL-safe. */
struct jn_sig *jn_sig_parse(struct jn_ctx *, const char *sig);
/* The same; on a bad one *why (when not NULL) is its code. */
struct jn_sig *jn_sig_parse_code(struct jn_ctx *, const char *sig,
    const char **why);
void	 jn_sig_free(struct jn_sig *);
int	 jn_sig_arity(const struct jn_sig *);
/*
 * Check args against sig as jsonata-js's signature.validate does: the
 * context substituted for a missing "-" argument, a single value wrapped
 * as an array for "a" parameters, T0410 / T0411 / T0412 thrown naming
 * fname and the argument's index. On success *out is an array of n_out
 * values (each new or NULL) and 0 is returned: buf (nbuf slots, may be
 * 0) when they fit, else a new one; release with jn_args_done (same buf).
 */
#define JN_ARGS_INLINE	8
int	 jn_sig_validate(struct jn_ctx *, const struct jn_sig *,
	    const char *fname, json_t **args, size_t nargs, json_t *context,
	    json_t **buf, size_t nbuf, json_t ***out, size_t *n_out);
void	 jn_args_done(json_t **args, size_t n, json_t **buf);
void	 jn_args_free(json_t **args, size_t n);

/* Call a built-in: validate against its signature (with context), then
 * run it. */
int	 jn_call_builtin(struct jn_ctx *, const struct jn_builtin *,
	    json_t **args, size_t nargs, json_t *context, json_t **out);

/*
 * $string's rendering: strings as they are; numbers as JavaScript prints
 * Number(x.toPrecision(15)); others as JSON.stringify with numbers so
 * rendered, functions as "". pretty: $string(x, true)'s 2-space layout.
 * Returns a new malloc'd string, NULL with an error thrown.
 */
char	*jn_stringify(struct jn_ctx *, const json_t *v, int pretty);
/* JavaScript's String(x) of a finite double into buf (>= 32 bytes). */
void	 jn_fmt_number(double x, char *buf, size_t len);
/* JSONata's deep equality (numbers by value, objects unordered). */
int	 jn_deep_equal(const json_t *a, const json_t *b);

/* ------------------------------------------------------- jsonata_time.c */

int	 jn_fn_now(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_millis(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_from_millis(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_to_millis(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_format_number(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_format_base(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_format_integer(struct jn_ctx *, json_t **, size_t, json_t **);
int	 jn_fn_parse_integer(struct jn_ctx *, json_t **, size_t, json_t **);

/* The current time for $now/$millis: opts->now_ms, or the real time read
 * once per evaluation (in jsonata.c). */
int64_t	 jn_now_ms(struct jn_ctx *);

#endif /* JSONATA_INT_H */
