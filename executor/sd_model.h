/*
 * sd_model: the immutable machine model libstep builds from a definition.
 * Internal to libstep (users include step.h).
 */
#ifndef SD_MODEL_H
#define SD_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"
#include "sd_jsonpath.h"
#include "sd_intrinsic.h"
#include "sd_choice.h"
#include "sd_jsonata.h"
#include "sd_itemreader.h"
#include "sd_resultwriter.h"

enum sd_state_type {
	SD_ST_PASS,
	SD_ST_TASK,
	SD_ST_CHOICE,
	SD_ST_WAIT,
	SD_ST_SUCCEED,
	SD_ST_FAIL,
	SD_ST_PARALLEL,
	SD_ST_MAP,
};

/* A compiled Payload Template (Parameters, ResultSelector, ItemSelector). */
enum sd_tmpl_kind {
	SD_T_LITERAL,		/* constant subtree (shared by reference) */
	SD_T_PATH,		/* "key.$": "$..." or "$$..." */
	SD_T_INTRINSIC,		/* "key.$": "States.X(...)" */
	SD_T_OBJECT,
	SD_T_ARRAY,
	SD_T_JSONATA,		/* "{% expr %}" in a JSONata state */
};

struct sd_tmpl {
	enum sd_tmpl_kind	  kind;
	json_t			 *literal;	/* SD_T_LITERAL: owned reference */
	struct sd_jsonpath	 *path;		/* SD_T_PATH */
	struct sd_intrinsic	 *fn;		/* SD_T_INTRINSIC */
	struct sd_jn_expr	 *jn;		/* SD_T_JSONATA */
	char			 *expr;		/* PATH/INTRINSIC/JSONATA source text */
	char			 *field;	/* "key.$" (JSONPath) or "Output/key"
						   (JSONata), for causes */
	size_t			  n;		/* OBJECT/ARRAY children */
	char			**keys;		/* OBJECT: output keys (".$" stripped) */
	struct sd_tmpl		**vals;
};

/* An optional path field that may also be JSON null. */
struct sd_pathfield {
	int			 present;	/* field given */
	int			 is_null;	/* given as null */
	struct sd_jsonpath	*path;		/* compiled when a string */
	char			*text;
};

struct sd_retrier {
	char		**errors;
	size_t		  nerrors;
	double		  interval_s;	/* IntervalSeconds, default 1 */
	int64_t		  max_attempts;	/* default 3 */
	double		  backoff;	/* default 2.0 */
	int64_t		  max_delay_s;	/* 0: none */
	int		  jitter_full;	/* JitterStrategy FULL */
};

struct sd_catcher {
	char			**errors;
	size_t			  nerrors;
	char			 *next_name;
	size_t			  next;		/* state index */
	struct sd_pathfield	  result_path;
	struct sd_tmpl		 *assign;	/* Assign, or NULL */
	struct sd_tmpl		 *output;	/* Output (JSONata), or NULL */
};

struct sd_machine;

struct sd_state {
	char			*name;
	enum sd_state_type	 type;
	size_t			 index;
	int			 end;
	char			*next_name;
	size_t			 next;		/* valid when !end */
	int			 jsonata;	/* QueryLanguage JSONata */
	/*
	 * JSONata fields (NULL when absent): Arguments (Task, Parallel),
	 * Output (all but Fail), Items (Map), and the expressions that may
	 * stand for a number or timestamp.
	 */
	struct sd_tmpl		*arguments;
	struct sd_tmpl		*output;
	struct sd_tmpl		*items;
	struct sd_tmpl		*timeout_expr;
	struct sd_tmpl		*heartbeat_expr;
	struct sd_tmpl		*wait_expr;	/* Seconds (kind 1) or Timestamp (3) */
	struct sd_tmpl		*maxc_expr;
	struct sd_tmpl		*tolc_expr;
	struct sd_tmpl		*tolp_expr;

	struct sd_pathfield	 input_path;
	struct sd_pathfield	 output_path;
	struct sd_pathfield	 result_path;
	struct sd_tmpl		*parameters;
	struct sd_tmpl		*result_selector;
	struct sd_tmpl		*assign;	/* Assign (an object template), or NULL */

	/* Pass */
	json_t			*result;	/* owned; NULL if absent */

	/* Task */
	char			*resource;
	int64_t			 timeout_s;	/* 0: none */
	struct sd_jsonpath	*timeout_path;
	int64_t			 heartbeat_s;
	struct sd_jsonpath	*heartbeat_path;
	int			 is_taskfn;

	/* Task, Parallel, Map */
	struct sd_retrier	*retry;
	size_t			 nretry;
	struct sd_catcher	*catch;
	size_t			 ncatch;

	/* Choice */
	struct sd_choice_rule	**choices;
	size_t			 nchoices;
	size_t			*choice_next;
	struct sd_tmpl		**choice_assign;	/* per rule; NULL entries */
	struct sd_tmpl		**choice_cond;		/* JSONata: Condition per rule */
	struct sd_tmpl		**choice_output;	/* JSONata: Output per rule */
	char			**choice_next_name;	/* JSONata: Next per rule */
	char			*default_name;
	int			 has_default;
	size_t			 default_next;

	/* Wait */
	int			 wait_kind;	/* 1 Seconds 2 SecondsPath 3 Timestamp 4 TimestampPath */
	int64_t			 wait_seconds;
	int64_t			 wait_ts_ns;
	struct sd_jsonpath	*wait_path;
	char			*wait_path_text;

	/* Fail */
	char			*error;
	char			*cause;
	struct sd_tmpl		*error_path;	/* SD_T_PATH or SD_T_INTRINSIC */
	struct sd_tmpl		*cause_path;

	/* Parallel */
	struct sd_machine	**branches;
	size_t			 nbranches;

	/* Map */
	struct sd_machine	*iterator;
	struct sd_pathfield	 items_path;
	struct sd_tmpl		*item_selector;
	int64_t			 max_concurrency;
	struct sd_jsonpath	*max_concurrency_path;
	char			*max_concurrency_path_text;
	int			 has_tol_count;
	int64_t			 tol_count;
	struct sd_jsonpath	*tol_count_path;
	char			*tol_count_path_text;
	int			 has_tol_pct;
	double			 tol_pct;
	struct sd_jsonpath	*tol_pct_path;
	char			*tol_pct_path_text;
	/* ItemBatcher (has_batcher); 0 / NULL: that limit not given */
	int			 has_batcher;
	int64_t			 batch_max_items;
	struct sd_jsonpath	*batch_max_items_path;
	char			*batch_max_items_path_text;
	struct sd_tmpl		*batch_max_items_expr;
	int64_t			 batch_max_bytes;
	struct sd_jsonpath	*batch_max_bytes_path;
	char			*batch_max_bytes_path_text;
	struct sd_tmpl		*batch_max_bytes_expr;
	struct sd_tmpl		*batch_input;
	/* ItemReader, or NULL */
	struct sd_item_reader	*reader;
	struct sd_tmpl		*reader_params;	/* Parameters / Arguments */
	int64_t			 reader_max;	/* MaxItems; 0: all */
	struct sd_jsonpath	*reader_max_path;
	char			*reader_max_path_text;
	struct sd_tmpl		*reader_max_expr;
	/* ResultWriter, or NULL; Label, or NULL */
	struct sd_result_writer	*writer;
	struct sd_tmpl		*writer_params;	/* Parameters / Arguments */
	char			*label;
	int			 distributed;	/* ProcessorConfig Mode DISTRIBUTED */
};

/*
 * A machine or sub-machine (Parallel branch, Map ItemProcessor). Each is a
 * scope for variables: its states read the variables of the enclosing
 * scopes and assign their own.
 */
struct sd_machine {
	struct sd_state		*states;
	size_t			 nstates;
	size_t			 start;
	int64_t			 timeout_s;	/* top-level TimeoutSeconds; 0 none */
	struct sd_machine	*parent;
	size_t			 extra_refs;	/* holders besides the owner */
};

/*
 * Build a model from def (borrowed). lambda_arn is the Resource given to
 * TaskFn states (may be NULL: then TaskFn is an error). *out is new.
 */
int	 sd_model_build(json_t *def, const char *lambda_arn,
	    struct sd_machine **out, struct sd_error *err);
/*
 * sd_model_ref adds a holder (an execution's result keeps the model whose
 * state names its path borrows); sd_model_free drops one, and frees the
 * model when it was the last.
 */
struct sd_machine *sd_model_ref(struct sd_machine *);
void	 sd_model_free(struct sd_machine *);
const char *sd_state_type_name(enum sd_state_type);

void	 sd_tmpl_free(struct sd_tmpl *);

#endif /* SD_MODEL_H */
