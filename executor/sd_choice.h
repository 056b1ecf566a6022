/*
 * sd_choice: Choice state rules (JSONPath query language).
 *
 * A Choice Rule is compiled from its JSON once (at definition parse time):
 * a comparison (Variable plus exactly one operator: StringEquals,
 * StringEqualsPath, StringLessThan[Path], StringGreaterThan[Path],
 * StringLessThanEquals[Path], StringGreaterThanEquals[Path], StringMatches,
 * NumericEquals[Path], NumericLessThan[Path], NumericGreaterThan[Path],
 * NumericLessThanEquals[Path], NumericGreaterThanEquals[Path],
 * BooleanEquals[Path], TimestampEquals[Path], TimestampLessThan[Path],
 * TimestampGreaterThan[Path], TimestampLessThanEquals[Path],
 * TimestampGreaterThanEquals[Path], IsNull, IsPresent, IsNumeric, IsString,
 * IsBoolean, IsTimestamp) or a boolean combination (And, Or, Not), nested
 * to any depth.
 */
#ifndef SD_CHOICE_H
#define SD_CHOICE_H

#include <jansson.h>

#include "sd_err.h"
#include "sd_jsonpath.h"

struct sd_choice_rule;

/*
 * Compile rule (borrowed). top is 1 for an element of Choices (which must
 * carry Next and may carry Comment/Assign/Output), 0 for a nested rule
 * (inside And/Or/Not: no Next allowed). location is the rule's location in
 * AWS's form, e.g. "/States/Check/Choices[0]"; errors name the precise
 * field below it ("/States/Check/Choices[0]/NumericEquals: ..."). *out is
 * new.
 */
int	 sd_choice_compile(json_t *rule, int top, const char *location,
	    struct sd_choice_rule **out, struct sd_error *err);
void	 sd_choice_free(struct sd_choice_rule *);

/* The rule's Next (top-level rules only; borrowed; NULL for nested). */
const char *sd_choice_next(const struct sd_choice_rule *);
/*
 * The rule's Assign object and Output value as written (top-level rules
 * only; borrowed; NULL when absent). The engine evaluates them when this
 * rule is the one chosen.
 */
json_t	*sd_choice_assign(const struct sd_choice_rule *);
json_t	*sd_choice_output(const struct sd_choice_rule *);

/*
 * Evaluate against the state's effective input. Paths (Variable and the
 * ...Path operands) are resolved through resolve(ctx, ...). Sets *matched
 * to 1 or 0. A Variable or ...Path operand that selects nothing is an
 * error (SD_ERR_RUNTIME, AWS's States.Runtime, with AWS's cause text),
 * except under IsPresent, which is then false.
 */
int	 sd_choice_eval(const struct sd_choice_rule *, sd_jsonpath_resolve_fn resolve,
	    void *ctx, int *matched, struct sd_error *err);

#endif /* SD_CHOICE_H */
