/*
 * lint_int.h: internals shared by the files of the definition lint
 * (lint.c: report, locations, machines and transitions; lint_state.c: the
 * fields of each state type; lint_expr.c: JSONPath, payload templates,
 * intrinsic functions, JSONata strings, ARNs). Not a public header.
 */
#ifndef LINT_INT_H
#define LINT_INT_H

#include <stdarg.h>
#include <stddef.h>
#include <jansson.h>

#include "sd_lint.h"

#define LINT_LOC_MAX		4096	/* bytes of a location */
#define LINT_MSG_MAX		1024	/* bytes of a message */
#define LINT_MACHINE_DEPTH	64	/* Parallel/Map nesting */
#define LINT_TMPL_DEPTH		256	/* payload template / JSONata value nesting */
#define LINT_NAME_MAX		80	/* characters of a state or variable name */
#define LINT_LABEL_MAX		40	/* characters of a Map Label */

/* Codes (AWS's first, then ours; see sd_lint.h). */
#define C_JSON		"INVALID_JSON_DESCRIPTION"
#define C_EMPTY		"MISSING_DESCRIPTION"
#define C_SCHEMA	"SCHEMA_VALIDATION_FAILED"
#define C_RESOURCE	"INVALID_RESOURCE"
#define C_END		"MISSING_END_STATE"
#define C_TARGET	"MISSING_TRANSITION_TARGET"
#define C_DUPNAME	"DUPLICATE_STATE_NAME"
#define C_BADNAME	"INVALID_STATE_NAME"
#define C_DUPLABEL	"DUPLICATE_LABEL_NAME"
#define C_BADLABEL	"INVALID_LABEL_NAME"
#define C_DEEP		"TOO_DEEPLY_NESTED"
#define C_NO_DOLLAR	"NO_DOLLAR"
#define C_NO_PATH	"NO_PATH"
#define C_STATIC	"PASS_RESULT_IS_STATIC"
#define C_TOO_LARGE	"DEFINITION_TOO_LARGE"
#define C_TOO_MANY	"TOO_MANY_STATES"
#define C_SUBST		"UNRESOLVED_SUBSTITUTION"
#define C_ERRNAME	"UNKNOWN_ERROR_NAME"
#define C_FINDINGS	"TOO_MANY_FINDINGS"
#define C_STATES_FIELD	"UNKNOWN_STATES_FIELD"

/* State types, as bits (field tables say where a field is allowed). */
enum {
	T_PASS = 1 << 0,
	T_TASK = 1 << 1,
	T_CHOICE = 1 << 2,
	T_WAIT = 1 << 3,
	T_SUCCEED = 1 << 4,
	T_FAIL = 1 << 5,
	T_PARALLEL = 1 << 6,
	T_MAP = 1 << 7,
};
#define T_ALL		0xff
#define T_FLOW		(T_PASS | T_TASK | T_WAIT | T_PARALLEL | T_MAP)	/* Next/End */

/* Query languages, as bits. */
enum {
	L_JSONPATH = 1,
	L_JSONATA = 2,
};
#define L_BOTH		(L_JSONPATH | L_JSONATA)

/* What a JSONata expression may reference ($states.result, .errorOutput). */
enum {
	JA_RESULT = 1,		/* top-level Output/Assign of Task, Map, Parallel */
	JA_ERROR_OUTPUT = 2,	/* a Catcher's Output/Assign */
};

/* Kinds of JSONPath field. */
enum {
	P_PATH = 0,		/* a Path (InputPath, OutputPath) */
	P_REF,			/* a Reference Path (*Path fields, ItemsPath) */
	P_RESULT,		/* ResultPath: reference path, no $$ nor $var */
	P_REF_OR_FN,		/* ErrorPath, CausePath: reference path or intrinsic */
};

/* A string set/map with open addressing; keys borrowed or owned. */
struct strset {
	char		**keys;
	size_t		 *vals;
	size_t		  cap;		/* power of two, or 0 */
	size_t		  n;
	int		  own;		/* keys are copies */
};

/* The variables one States block (a scope) assigns. */
struct scope {
	struct scope	*parent;
	struct strset	 vars;
};

struct sd_lint_report {
	struct sd_lint_finding	*v;
	size_t			 n;
	size_t			 cap;
	size_t			 errors;
	size_t			 warnings;
};

struct lint {
	const struct sd_lint_opts	*o;
	struct sd_lint_report		*rep;
	int				 nomem;		/* sticky */
	int				 noloc;		/* report without a location */
	char				 loc[LINT_LOC_MAX];
	size_t				 loclen;
	int				 top_lang;	/* the machine's L_* */
	int				 depth;		/* machine nesting */
	size_t				 nstates;
	int				 too_many;	/* TOO_MANY_STATES reported */
	struct strset			 names;		/* every state name */
	struct strset			 labels;	/* every Map Label */
	struct scope			*scope;		/* innermost */
};

/* ---------------------------------------------------------- lint.c */

/* Report at the current location, plus "/field" when field is not NULL. */
void	 lint_err(struct lint *, const char *code, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	 lint_warn(struct lint *, const char *code, const char *field,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Location stack: push returns the length to pop back to. */
size_t	 loc_push(struct lint *, const char *name);
size_t	 loc_push_idx(struct lint *, size_t i);
void	 loc_pop(struct lint *, size_t len);

int	 strset_init(struct strset *, int own);
void	 strset_free(struct strset *);
/* Insert key (len bytes); 1 when it was new, 0 when present (*val then
 * holds the stored value), -1 on out of memory. */
int	 strset_add(struct strset *, const char *key, size_t len, size_t val,
	    size_t *old);
/* 1 and *val when present. */
int	 strset_get(const struct strset *, const char *key, size_t len,
	    size_t *val);

/* Lint a States machine (top level, branch or item processor) at the
 * current location. */
enum { M_TOP = 0, M_BRANCH, M_PROCESSOR };
void	 lint_machine(struct lint *, json_t *def, int kind);

/* Number of Unicode characters in a UTF-8 string (bytes that are not
 * continuation bytes). */
size_t	 utf8_chars(const char *s, size_t len);
/* A JSON value's type in AWS's words ("STRING", "INTEGER", ...). */
const char *lint_type(const json_t *);

/* ---------------------------------------------------------- lint_state.c */

/* Lint one state (the location is the state's). */
void	 lint_state(struct lint *, const char *name, json_t *st);
/* Add the variables st assigns (state, Choice rules, Catchers) to set;
 * -1 on out of memory. */
int	 lint_collect_vars(json_t *st, struct strset *set);
/* The state type bit of a Type value, or 0. */
int	 lint_type_bit(const char *type);

/* ---------------------------------------------------------- lint_expr.c */

/* A JSONPath field's string value (the location is the object holding
 * field). */
void	 lint_path(struct lint *, const char *field, const char *s, int kind);
/* An intrinsic function call (syntax, arity, literal arguments). */
void	 lint_intrinsic(struct lint *, const char *field, const char *s);
/* A JSONPath payload template at location loc/field (field may be NULL:
 * the current location is the template). */
void	 lint_template(struct lint *, const char *field, json_t *v);
/*
 * A JSONata-mode value: every string in it (nested too) that looks like a
 * JSONata expression must be one and pass the cheap syntax check. allow
 * is JA_* (what $states.result / $states.errorOutput may be used in).
 */
void	 lint_jsonata_value(struct lint *, const char *field, json_t *v,
	    int allow);
/* 1 when s starts with "{%" or ends with "%}": meant as an expression. */
int	 lint_is_jsonata_like(const char *s);
/* s must be a well-formed "{% expression %}" with a plausible expression. */
void	 lint_jsonata_expr(struct lint *, const char *field, const char *s,
	    int allow);
/* A Resource value (string, substitution or CloudFormation object). */
void	 lint_resource(struct lint *, const char *field, json_t *v);
/* 1 when s looks like a JSONPath ("$", "$.x", "$[..", "$$...") */
int	 lint_looks_like_path(const char *s);

#endif /* LINT_INT_H */
