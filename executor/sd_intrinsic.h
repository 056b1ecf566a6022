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
 * Compile. Syntax errors and unknown functions return SD_ERR_PARSE with err
 * naming the problem (the caller adds the location of the field).
 */
int	 sd_intrinsic_compile(const char *expr, struct sd_intrinsic **out,
	    struct sd_error *err);
void	 sd_intrinsic_free(struct sd_intrinsic *);
/*
 * Evaluate. A failure that AWS reports as States.IntrinsicFailure returns
 * SD_ERR_INTRINSIC with err->message set to AWS's cause text; a path
 * argument that selects nothing returns SD_ERR_RUNTIME (States.Runtime)
 * with the cause text. *out is new.
 */
int	 sd_intrinsic_eval(const struct sd_intrinsic *,
	    const struct sd_intrinsic_env *, json_t **out, struct sd_error *err);

#endif /* SD_INTRINSIC_H */
