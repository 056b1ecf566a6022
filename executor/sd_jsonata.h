/*
 * sd_jsonata: the JSONata query and transformation language (jsonata.org,
 * version 2.0 semantics) over jansson values.
 *
 * An expression is compiled once to an AST and evaluated many times; a
 * compiled expression is immutable and may be evaluated concurrently by
 * several threads, each with its own bindings.
 *
 * Values: a JSON value is a json_t; "undefined" is NULL. Numbers come out
 * as json_integer when integral and |x| < 2^53, else json_real; a result
 * never holds NaN or an infinity (D1001 is raised instead). A function
 * value in a result is serialised as "" (what JSON.stringify gives).
 *
 * Errors carry JSONata's codes (S0xxx syntax, T0xxx/T1xxx/T2xxx type,
 * D1xxx/D2xxx/D3xxx evaluation, U1001 limits) and the character offset of
 * the token, as jsonata-js reports them. The message is the one jsonata-js
 * gives, with its {{token}} / {{value}} inserts filled in.
 *
 * Evaluation is bounded: nesting depth (U1001 "Stack overflow error"
 * when over; S0213-like codes are never used for it), evaluation steps,
 * wall-clock time (U1001 "Expression evaluation timeout"), and the bytes
 * of values built (D3xxx are never used for it: U1001 too). A hostile
 * expression ends with an error, never a hang or an abort.
 */
#ifndef SD_JSONATA_H
#define SD_JSONATA_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct sd_jn_expr;

struct sd_jn_error {
	char	 code[8];	/* "T2001", "S0201", "U1001", ... */
	long	 position;	/* character offset after the token (jsonata-js), -1 unknown */
	char	 token[64];	/* the offending token, "" when none */
	char	 message[512];	/* jsonata-js's message, inserts filled */
};

struct sd_jn_opts {
	/*
	 * Evaluation nesting; 0: 500. Whatever its value, evaluation also
	 * stops with U1001 once it has used 4 MiB of the C stack (about
	 * 10,000 levels; fewer under ASan), so a huge max_depth cannot
	 * overflow the stack; threads evaluating deep expressions need a
	 * stack above that.
	 */
	unsigned	 max_depth;
	uint64_t	 max_steps;	/* evaluation steps; 0: 10,000,000 */
	unsigned	 time_limit_ms;	/* wall clock; 0: 10,000 */
	size_t		 max_bytes;	/* approximate bytes of values built; 0: 256 MiB */
	/*
	 * The functions AWS Step Functions adds: $partition, $range, $hash,
	 * $random([seed]), $uuid, $parse. Off: they are unknown (T1006).
	 */
	int		 aws_functions;
	uint64_t	*rng;		/* state for $random/$uuid; NULL: OS randomness */
	/*
	 * $now() and $millis(): milliseconds since the epoch to report (the
	 * virtual clock); negative: the real time, read once per evaluation.
	 */
	int64_t		 now_ms;
	/*
	 * A result that is a function (a lambda, a built-in) fails the
	 * evaluation with SD_JN_FUNCTION_RESULT instead of becoming "".
	 */
	int		 reject_function_result;
};

#define SD_JN_OPTS_INIT { 0, 0, 0, 0, 0, NULL, -1, 0 }
#define SD_JN_FUNCTION_RESULT	"X0002"	/* the code for that failure */

/*
 * Compile src (a NUL-terminated UTF-8 string). Returns the expression, or
 * NULL with err filled (S0xxx codes; "U1001" when src nests deeper than
 * the parser's limit or is over 1 MiB; "X0001" out of memory).
 */
struct sd_jn_expr	*sd_jn_compile(const char *src, struct sd_jn_error *err);
void			 sd_jn_free(struct sd_jn_expr *);

/*
 * Evaluate. input (borrowed) may be NULL: undefined. bindings (borrowed)
 * may be NULL or an object: each key is a variable ($key) holding its
 * value. opts may be NULL (defaults). On success returns 0 and sets *out
 * (new; NULL when the result is undefined). On failure returns -1 with err
 * filled and *out NULL.
 */
int	 sd_jn_eval(const struct sd_jn_expr *, json_t *input, json_t *bindings,
	    const struct sd_jn_opts *opts, json_t **out, struct sd_jn_error *err);

/* "CODE: message (at position N)"-style one line into buf; returns buf. */
const char *sd_jn_error_text(const struct sd_jn_error *, char *buf, size_t len);

#endif /* SD_JSONATA_H */
