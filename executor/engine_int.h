/*
 * engine_int.h: what the parts of libstep's engine share (internal).
 */
#ifndef ENGINE_INT_H
#define ENGINE_INT_H

#include <stdint.h>
#include <jansson.h>

#include "sd_buf.h"
#include "sd_model.h"
#include "step.h"

struct handler_entry {
	char		*key;		/* NULL: fallback */
	step_handler_fn	 fn;
	void		*user;
};

struct step_machine {
	json_t			*definition;
	struct sd_machine	*model;
	char			*name;
	char			*arn;
	char			*lambda_arn;	/* for TaskFn states */
	struct handler_entry	*handlers;
	size_t			 nhandlers;
	json_t			*mocks;		/* checked copy, or NULL */
};

struct step_result {
	enum step_status	 status;
	json_t			*output;
	char			*error;
	char			*cause;
	json_t			*path;		/* built from path_names when asked */
	const char		**path_names;	/* the states entered, borrowed from */
	size_t			 npath;
	struct sd_machine	*model;		/* this (a reference) */
	json_t			*history;
	json_t			*trace;
	uint64_t		 transitions;
	json_t			*refused;	/* refused callbacks, or NULL */
};

/* How a state or machine run ended, internally. */
enum {
	R_OK = 0,
	R_FAILED = 1,		/* struct fail filled */
	R_TIMEOUT = 2,		/* the machine's TimeoutSeconds passed */
};

/* Outcomes of a single-state test besides success and failure. */
#define TS_RETRIABLE	1
#define TS_CAUGHT	2

struct fail {
	char	*error;		/* new, may be NULL */
	char	*cause;		/* new, may be NULL */
};

struct exec {
	struct step_machine	*sm;
	int			 real_time;
	int64_t			 start_ns;
	int64_t			 now_ns;	/* virtual clock */
	int64_t			 deadline_ns;	/* 0: none */
	uint64_t		 event_id;
	json_t			*history;	/* NULL unless recorded */
	int			 record_path;
	const char		**path;		/* state names entered (borrowed) */
	size_t			 npath;
	size_t			 path_cap;
	uint64_t		 transitions;
	uint64_t		 max_transitions;
	json_t			*mock_pos;	/* key -> next index */
	uint64_t		 rng;
	size_t			 max_payload;
	json_t			*input;
	json_t			*ctx_base;	/* {Execution, StateMachine} */
	char			*exec_arn;
	char			*exec_name;
	struct sd_buf		 scratch;
	json_t			*trace;		/* NULL unless recorded */
	const struct step_test_state_opts *ts;	/* single-state test mode */
	int			 ts_outcome;	/* 0, TS_RETRIABLE, TS_CAUGHT */
	uint64_t		 task_tokens;
	const char		*s3_dir;	/* ItemReader's S3 (borrowed) */
	/*
	 * Values already found within max_payload, with json_size's bound
	 * of each (a reference each, so no other value can take their
	 * address): a state that hands its input on is not measured again,
	 * and an array or object holding them (a Parallel's or a Map's
	 * result) adds their bounds instead of walking them.
	 */
	struct {
		json_t		*v;
		size_t		 bound;
	}			 sized[4];
	unsigned		 sized_next;
	/* The history limit (0: none) and the events it does not count. */
	uint64_t		 max_history;
	int			 child_depth;	/* Distributed Map children */
	int			 history_full;	/* the limit was reached */
	int			 child_full;	/* a child execution's was */
	json_t			*refused;	/* refused callbacks, or NULL */
};

/* What one Task call's handler sent (callback.c, step_send_task_*). */
struct step_callbacks {
	json_t	*calls;		/* [{"afterSeconds", "SendTask...": {...}}] or NULL */
	json_t	*submitted;	/* the service call's response, or NULL */
	int	 takes_calls;	/* a .waitForTaskToken Task or an activity */
	int	 takes_submit;	/* a .waitForTaskToken or .sync Task */
};

/*
 * Check one callback object at loc: afterSeconds (at least prev_after)
 * and one of SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat (or,
 * with allow_submitted, "submitted"), each the API's request shape.
 */
int	sd_callback_check(json_t *cb, double prev_after, int allow_submitted,
	    const char *loc, struct sd_error *err);
/* Check a mock's "callbacks" list at loc (the response's location). */
int	sd_callbacks_check(json_t *list, const char *loc, struct sd_error *err);

void	fail_clear(struct fail *);
int	fail_set(struct fail *, const char *error, const char *cause);

#endif /* ENGINE_INT_H */
