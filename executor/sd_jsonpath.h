/*
 * sd_jsonpath: JSONPath as AWS Step Functions accepts it (AWS evaluates
 * paths with Jayway JsonPath semantics).
 *
 * A path is compiled once (at definition parse time) and evaluated many
 * times. Supported: "$", "$$" (context object root), "$name" (a variable
 * root, for Assign), dotted and bracketed names ($.a.b, $['a']["b"]),
 * indexes and negative indexes ([0], [-1]), slices ([1:3], [:2], [-2:],
 * [::2]), wildcards ([*], .*), unions ([0,2], ['a','b']), recursive descent
 * (..name, ..[0], ..*) and filters ([?(@.price < 10)], [?(@.tag)],
 * operators == != < <= > >= with numbers, strings, true/false/null, && ||).
 */
#ifndef SD_JSONPATH_H
#define SD_JSONPATH_H

#include <jansson.h>

#include "sd_err.h"

struct sd_jsonpath;

enum sd_jsonpath_root {
	SD_JP_ROOT_INPUT = 0,	/* "$..."  */
	SD_JP_ROOT_CONTEXT,	/* "$$..." */
	SD_JP_ROOT_VARIABLE,	/* "$name..." (name from sd_jsonpath_var_name) */
};

/*
 * Compile expr. On a syntax error returns SD_ERR_PARSE and fills err with a
 * message naming the offending character position. *out is new.
 */
int	 sd_jsonpath_compile(const char *expr, struct sd_jsonpath **out,
	    struct sd_error *err);
void	 sd_jsonpath_free(struct sd_jsonpath *);

/* The text it was compiled from (borrowed). */
const char *sd_jsonpath_text(const struct sd_jsonpath *);
enum sd_jsonpath_root sd_jsonpath_root(const struct sd_jsonpath *);
/* Variable name for SD_JP_ROOT_VARIABLE (borrowed), else NULL. */
const char *sd_jsonpath_var_name(const struct sd_jsonpath *);
/*
 * 1 when the path can only ever select one node (no wildcard, slice,
 * union, descent or filter): a "Reference Path" in the spec's words.
 */
int	 sd_jsonpath_is_definite(const struct sd_jsonpath *);
/* 1 when the path is exactly the root ("$", "$$" or "$name"). */
int	 sd_jsonpath_is_root(const struct sd_jsonpath *);

/*
 * Evaluate against doc (the caller picks the document matching the root
 * kind: the state input, the context object or the variable's value).
 *  - definite path: *out is the selected value (new reference);
 *    SD_ERR_NOTFOUND when it selects nothing.
 *  - indefinite path: *out is a new array of every match (possibly empty),
 *    as Jayway returns a list.
 * As in Jayway, "definite" here also covers a union of names as the last
 * segment ($['a','b']): it yields one object holding the names present.
 * An indefinite path can still fail with SD_ERR_NOTFOUND where its
 * definite prefix fails ("$.missing[*]": Missing property in path ...).
 * Messages are Jayway's ("No results for path: $['a']['b']", "Missing
 * property in path $['a']"); every root prints as "$".
 */
int	 sd_jsonpath_eval(const struct sd_jsonpath *, json_t *doc, json_t **out,
	    struct sd_error *err);

/*
 * ResultPath semantics: return a document that is doc with value placed at
 * the path, creating intermediate objects as needed. doc is not modified
 * (the result shares unchanged subtrees by reference). Only definite
 * paths of names and indexes are allowed. An existing non-object where an
 * object is needed, or an index out of range, is SD_ERR_NOTFOUND with err
 * naming the path. *out is new; value is borrowed.
 */
int	 sd_jsonpath_assign(const struct sd_jsonpath *, json_t *doc,
	    json_t *value, json_t **out, struct sd_error *err);

/*
 * Jayway's normalised form of the path as AWS prints it in causes,
 * e.g. "$.a.b[0]" -> "$['a']['b'][0]". New string.
 */
char	*sd_jsonpath_normalized(const struct sd_jsonpath *);

/*
 * Resolve a compiled path for a collaborator (Choice rules, intrinsic
 * function arguments) that does not know the execution's documents.
 * Returns 0 with *out a new reference, 0 with *out NULL when the path
 * selects nothing (definite path not found), or an error.
 */
typedef int (*sd_jsonpath_resolve_fn)(void *ctx, const struct sd_jsonpath *,
	    json_t **out, struct sd_error *err);

#endif /* SD_JSONPATH_H */
