/*
 * sd_intrinsic: the intrinsic functions of the Amazon States Language
 * (States.Format, States.StringToJson, States.JsonToString, States.Array,
 * States.ArrayPartition, States.ArrayContains, States.ArrayRange,
 * States.ArrayGetItem, States.ArrayLength, States.ArrayUnique,
 * States.Base64Encode, States.Base64Decode, States.Hash, States.JsonMerge,
 * States.MathRandom, States.MathAdd, States.StringSplit, States.UUID).
 *
 * An expression is compiled once from a string such as
 * "States.Format('Hello {}', $.name)" and evaluated per execution. Arguments
 * may be string literals ('...' with \' \{ \} \\ escapes), numbers, true,
 * false, null, paths ($..., $$..., $var...) and nested intrinsic calls.
 *
 * Errors, as AWS Step Functions reports them. AWS fails every intrinsic
 * evaluation error with States.Runtime (not States.IntrinsicFailure), and
 * its cause is
 *   "An error occurred while executing the state '<state>' (entered at the
 *   event id #<n>). The function '<expression>' had the following error:
 *   <detail>"
 * sd_intrinsic_eval returns SD_ERR_RUNTIME with err->message set to the
 * part from "The function '" on (the expression as written, the whole
 * top-level expression even when a nested call failed); the engine
 * prepends "An error occurred while executing the state '<state>' (entered
 * at the event id #<n>). " and reports States.Runtime. <detail> is
 *  - "Invalid arguments in States.<Name>" for a wrong type, value or
 *    argument count (AWS checks the count when the function runs), with
 *    ": number of arguments do not match the occurrences of {}." for
 *    States.Format, or "Invalid template in States.Format: matching '}' not
 *    found for '{'." (or '{' for '}') for a bad template;
 *  - "The JsonPath argument for the field '<path>' could not be found in
 *    the input '<input>'" when a path argument selects nothing: <path> as
 *    written ("$$.a" shown as "$.a"), <input> the compact JSON of what env
 *    resolves "$" to (the state input).
 * SD_ERR_LIMIT (also States.Runtime) reports a result over the module's
 * size caps; SD_ERR_NOMEM is out of memory; an error from env->resolve is
 * returned as it is. SD_ERR_INTRINSIC is not returned.
 *
 * Randomness: States.MathRandom(start, end, seed) is java.util.Random(seed)
 * .nextInt(end - start) + start, the same for every run; without a seed,
 * MathRandom and States.UUID draw from splitmix64 over *env->rng when it
 * is set (reproducible), else from OpenSSL's RAND_bytes.
 */
#ifndef SD_INTRINSIC_H
#define SD_INTRINSIC_H

#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"
#include "sd_jsonpath.h"

struct sd_intrinsic;

struct sd_intrinsic_env {
	sd_jsonpath_resolve_fn	 resolve;	/* resolves path arguments */
	void			*ctx;		/* passed to resolve */
	uint64_t		*rng;		/* state for MathRandom/UUID; NULL: OS randomness */
};

/* 1 when s looks like an intrinsic call ("States.Name(" after spaces). */
int	 sd_intrinsic_is_call(const char *s);
/*
 * Compile. Syntax errors, unknown functions and calls nested more than 10
 * deep (the AWS limit) return SD_ERR_PARSE with err naming the problem and
 * its offset (the caller adds the location of the field); an expression
 * over 64 KiB is SD_ERR_LIMIT. Argument counts are checked at evaluation,
 * as AWS does.
 */
int	 sd_intrinsic_compile(const char *expr, struct sd_intrinsic **out,
	    struct sd_error *err);
void	 sd_intrinsic_free(struct sd_intrinsic *);
/*
 * Evaluate. Failures return SD_ERR_RUNTIME (States.Runtime) with
 * err->message set to AWS's cause text after the state prefix (see the top
 * of this file). env->resolve returns 0 with *out NULL for a path that
 * selects nothing, and must resolve "$" to the state input (for the cause
 * text). *out is new.
 */
int	 sd_intrinsic_eval(const struct sd_intrinsic *,
	    const struct sd_intrinsic_env *, json_t **out, struct sd_error *err);

#endif /* SD_INTRINSIC_H */
