/*
 * sd_lint: the definition lint of the validator. It checks an Amazon
 * States Language definition against every MUST of the specification and
 * what AWS Step Functions' ValidateStateMachineDefinition refuses, and
 * reports ALL findings (executor/model.c, which builds the runtime model,
 * stops at the first).
 *
 *	struct sd_lint_opts o;
 *	struct sd_lint_report *rep = NULL;
 *	struct sd_error err = SD_ERROR_INIT;
 *
 *	sd_lint_opts_default(&o);
 *	if (sd_lint(text, len, &o, &rep, &err) != 0)
 *		errx(2, "%s", sd_error_text(&err));	(out of memory)
 *	if (sd_lint_errors(rep) > 0) ...		(refuse the definition)
 *	json_t *j = sd_lint_report_json(rep);		(new)
 *	sd_lint_report_free(rep);
 *
 * sd_lint returns 0 whenever the lint ran, whatever it found: malformed
 * JSON, a duplicate object key, an empty text and a text over max_size are
 * findings like any other. It fails (SD_ERR_NOMEM, with err set) only when
 * memory runs out.
 *
 * Every finding has a severity (ERROR refuses the definition, WARNING does
 * not), a code, a one-line message and a location in AWS's form, e.g.
 * "/States/Check/Choices[0]/Next" ("/" is the definition itself; JSON
 * syntax errors have no location and name the line and column in their
 * message). Findings come in document order per state machine scope, then
 * the scope's transition checks.
 *
 * Codes. AWS's, as ValidateStateMachineDefinition uses them:
 *
 *  ERROR	INVALID_JSON_DESCRIPTION	not JSON, or a duplicate object key
 *					(the rest of the definition is still
 *					checked, the later value winning)
 *  ERROR	MISSING_DESCRIPTION	empty text, or JSON null
 *  ERROR	SCHEMA_VALIDATION_FAILED	a field that is unknown, missing,
 *					of the wrong type or out of range, not
 *					allowed in the state type or in the
 *					state's query language; a bad JSONPath,
 *					reference path, payload template,
 *					intrinsic function, JSONata string,
 *					Choice Rule, timestamp, variable name,
 *					Retrier or Catcher
 *  ERROR	INVALID_RESOURCE	a Task (or ItemReader/ResultWriter)
 *					Resource that is not an ARN of the
 *					right shape (check_arn)
 *  ERROR	MISSING_END_STATE	a machine, branch or item processor
 *					without a terminal state
 *  ERROR	MISSING_TRANSITION_TARGET	a StartAt, Next, Default or
 *					Catch Next naming no state of its scope
 *					("Missing 'Next' target: B"), or a state
 *					that cannot be reached ("State "C" is
 *					not reachable.")
 *  ERROR	DUPLICATE_STATE_NAME	a state name used twice anywhere in the
 *					machine (branches and processors
 *					included); reported at each later use
 *  ERROR	INVALID_STATE_NAME	empty, or longer than 80 characters
 *  ERROR	DUPLICATE_LABEL_NAME	two Map states with the same Label
 *  ERROR	INVALID_LABEL_NAME	a Label over 40 characters or with a
 *					character AWS does not allow
 *  ERROR	TOO_DEEPLY_NESTED	Parallel/Map nested over 64 levels, or
 *					a payload template over 256
 *  WARNING	NO_DOLLAR		a payload template value that looks
 *					like a path or an intrinsic function
 *					under a key not ending in ".$"
 *  WARNING	NO_PATH			a path-looking value in a field that
 *					has a ...Path form (Fail Error/Cause,
 *					Choice String* operators)
 *  WARNING	PASS_RESULT_IS_STATIC	a Pass state's Result holds a key
 *					ending in ".$" (Result is never
 *					evaluated)
 *
 * Our own (no AWS code fits):
 *
 *  ERROR	DEFINITION_TOO_LARGE	the text is over max_size bytes
 *  ERROR	TOO_MANY_STATES		more than max_states states in all
 *  WARNING	UNRESOLVED_SUBSTITUTION	a Resource that is a "${...}"
 *					template substitution (SAM
 *					DefinitionSubstitutions, CloudFormation
 *					Fn::Sub) or a CloudFormation intrinsic
 *					object ({"Ref": ...}, {"Fn::GetAtt":
 *					...}): it is not checked as an ARN; an
 *					unclosed "${" is INVALID_RESOURCE
 *  WARNING	UNKNOWN_ERROR_NAME	an ErrorEquals name starting with
 *					"States." that no state ever raises, or
 *					a Fail state's Error in that reserved
 *					prefix
 *  WARNING	UNKNOWN_STATES_FIELD	a JSONata expression reads a field of
 *					$states other than input, result,
 *					errorOutput and context (always
 *					undefined)
 *  ERROR	TOO_MANY_FINDINGS	the report holds its first
 *					SD_LINT_MAX_FINDINGS findings only
 *					(the counts still count all)
 */
#ifndef SD_LINT_H
#define SD_LINT_H

#include <stddef.h>
#include <jansson.h>

#include "sd_err.h"

/* AWS's quota on a definition's size. */
#define SD_LINT_MAX_SIZE_DEFAULT	((size_t)1024 * 1024)
#define SD_LINT_MAX_STATES_DEFAULT	((size_t)10000)
#define SD_LINT_MAX_FINDINGS		((size_t)10000)

struct sd_lint_opts {
	int	 check_arn;	/* Resource ARN shapes (default 1) */
	int	 check_paths;	/* JSONPath, reference-path, payload-template
				   and intrinsic syntax (default 1) */
	size_t	 max_size;	/* bytes of text; 0: SD_LINT_MAX_SIZE_DEFAULT */
	size_t	 max_states;	/* states in all; 0: SD_LINT_MAX_STATES_DEFAULT */
};

enum sd_lint_severity {
	SD_LINT_ERROR = 0,
	SD_LINT_WARNING = 1,
};

struct sd_lint_finding {
	enum sd_lint_severity	 severity;
	const char		*code;		/* static, e.g. "SCHEMA_VALIDATION_FAILED" */
	char			*location;	/* "/States/A/Next"; NULL: none */
	char			*message;	/* one line, no control characters */
};

struct sd_lint_report;

void	 sd_lint_opts_default(struct sd_lint_opts *);

/*
 * Lint the definition text[0..len) (need not be NUL-terminated). opts may
 * be NULL (defaults). *out is new (free with sd_lint_report_free).
 */
int	 sd_lint(const char *text, size_t len, const struct sd_lint_opts *,
	    struct sd_lint_report **out, struct sd_error *err);
/* The same for a definition already parsed (borrowed, not modified). */
int	 sd_lint_json(json_t *def, const struct sd_lint_opts *,
	    struct sd_lint_report **out, struct sd_error *err);
void	 sd_lint_report_free(struct sd_lint_report *);

/* Findings in the report (at most SD_LINT_MAX_FINDINGS); borrowed. */
size_t	 sd_lint_count(const struct sd_lint_report *);
const struct sd_lint_finding *sd_lint_get(const struct sd_lint_report *,
	    size_t i);
/* ERROR / WARNING findings, all of them (also those not kept). */
size_t	 sd_lint_errors(const struct sd_lint_report *);
size_t	 sd_lint_warnings(const struct sd_lint_report *);
/* "ERROR" or "WARNING". */
const char *sd_lint_severity_name(enum sd_lint_severity);

/*
 * AWS's ValidateStateMachineDefinition response shape: {"result": "OK" |
 * "FAIL", "diagnostics": [{"severity", "code", "message", "location"}]}
 * ("location" left out when there is none); "FAIL" iff an ERROR. New;
 * NULL on out of memory.
 */
json_t	*sd_lint_report_json(const struct sd_lint_report *);

#endif /* SD_LINT_H */
