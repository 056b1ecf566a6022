/*
 * step.h — libstep, the Amazon States Language engine of stepdeploy.
 *
 * Build a machine from its JSON definition, bind Task states to C handler
 * functions or mocks, run it on an input, then read the status, output,
 * error, cause, the path of states taken and the event history.
 *
 *	struct sd_error err = SD_ERROR_INIT;
 *	struct step_machine *m = NULL;
 *	struct step_result *res = NULL;
 *
 *	if (step_machine_new(def, strlen(def), NULL, &m, &err) != 0)
 *		errx(2, "%s", sd_error_text(&err));
 *	step_machine_register(m, "Hello", hello_fn, NULL);
 *	if (step_execute(m, input, NULL, &res, &err) != 0)
 *		errx(2, "%s", sd_error_text(&err));
 *	if (step_result_status(res) == STEP_SUCCEEDED) ...
 *	step_result_free(res);
 *	step_machine_free(m);
 *
 * Ownership words in comments: "new" (caller frees / decrefs), "borrowed"
 * (valid while the owner lives), "steals" (takes the caller's reference).
 */
#ifndef STEP_H
#define STEP_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "sd_err.h"

/* AWS's limit on a state's input or output: 256 KiB. */
#define STEP_MAX_PAYLOAD	(256 * 1024)

struct step_machine;
struct step_result;

enum step_status {
	STEP_RUNNING = 0,
	STEP_SUCCEEDED,
	STEP_FAILED,
	STEP_TIMED_OUT,
	STEP_ABORTED,
};

/* ------------------------------------------------------------ building */

struct step_machine_opts {
	const char	*name;		/* StateMachine.Name; default "StateMachine" */
	const char	*arn;		/* StateMachine.Id; default derived from name */
	const char	*lambda_arn;	/* Resource for TaskFn states (libstep Lambda side) */
};

/*
 * Parse and check a definition. Any structural problem is SD_ERR_PARSE or
 * SD_ERR_INVALID with err->location in AWS's form ("/States/Check/
 * Choices[0]/Next") and a message ("no state named \"Nope\""). *out is new.
 */
int	 step_machine_new(const char *json, size_t len,
	    const struct step_machine_opts *, struct step_machine **out,
	    struct sd_error *err);
/* Same from a parsed definition (borrowed). */
int	 step_machine_from_json(json_t *def, const struct step_machine_opts *,
	    struct step_machine **out, struct sd_error *err);
void	 step_machine_free(struct step_machine *);
/* The definition the machine was built from (borrowed). */
json_t	*step_machine_definition(const struct step_machine *);

/* ------------------------------------------------------------ Task handlers */

/* What a Task handler is given (all borrowed for the call's duration). */
struct step_task_call {
	const char	*state;		/* state name */
	const char	*resource;	/* the Task's Resource */
	json_t		*input;		/* effective input (after Parameters) */
	json_t		*context;	/* the context object $$ */
	const char	*task_token;	/* for .waitForTaskToken, else NULL */
	int64_t		 timeout_ms;	/* TimeoutSeconds in ms, 0 if none */
};

/* A Task failure: error name and cause, both new strings (cause may be NULL). */
struct step_task_failure {
	char	*error;
	char	*cause;
};

/*
 * A Task handler returns 0 and sets *output (new) on success, or returns
 * non-zero and fills failure (new strings) on failure. A handler that fails
 * without naming an error fails the Task with States.TaskFailed.
 */
typedef int (*step_handler_fn)(void *user, const struct step_task_call *call,
	    json_t **output, struct step_task_failure *failure);

/*
 * Register fn for Task states whose name is key or, failing that, whose
 * Resource is key. key NULL registers the fallback for every Task. A later
 * registration of the same key replaces the earlier one.
 */
int	 step_machine_register(struct step_machine *, const char *key,
	    step_handler_fn fn, void *user);

/*
 * Mocks (DESIGN.md): an object whose keys are state names (or, failing that,
 * Task Resource strings), each a list of {"result": V} or
 * {"error": "Name", "cause": "text"} used in order within one execution
 * (a single object is used for every call). Checked here: a malformed mock
 * is SD_ERR_INVALID with err->location naming it. mocks is borrowed.
 */
int	 step_machine_set_mocks(struct step_machine *, json_t *mocks,
	    struct sd_error *err);

/*
 * The Lambda side: one binary serves every Task state of a machine. A
 * payload {"Task": NAME, "Input": ...} goes to the handler registered
 * under NAME; a payload without "Task" goes to the handler registered
 * under "" (the empty name) with the whole payload as input. An unknown
 * name fails with the error "UnknownTask", which a state machine can
 * Catch. Returns 0 with *output (new), or non-zero with failure filled.
 * TaskFn states (run locally) go through the same dispatch.
 */
int	 step_dispatch(struct step_machine *, json_t *payload, json_t *context,
	    json_t **output, struct step_task_failure *failure);

/* ------------------------------------------------------------ running */

struct step_exec_opts {
	const char	*execution_name;	/* default: a fixed name */
	int		 real_time;		/* 1: really wait; 0: virtual clock */
	int		 record_history;	/* keep the event history */
	int		 record_path;		/* keep the path (default on: see below) */
	int64_t		 start_time_ns;		/* virtual clock start; 0: now */
	uint64_t	 seed;			/* for jitter, MathRandom, UUID */
	size_t		 max_payload;		/* 0: AWS's 256 KiB; SIZE_MAX: no limit */
	uint64_t	 max_transitions;	/* 0: no limit; past it the run fails */
	int		 record_trace;		/* keep per-state processing detail */
};

/*
 * Run the machine on input (borrowed; any JSON value). Returns 0 with *out
 * (new) describing how the execution ended — a FAILED execution is still a
 * 0 return. Non-zero only when the engine itself could not run (out of
 * memory). opts may be NULL (virtual clock, path recorded, no history).
 */
int	 step_execute(struct step_machine *, json_t *input,
	    const struct step_exec_opts *opts, struct step_result **out,
	    struct sd_error *err);

void		 step_result_free(struct step_result *);
enum step_status step_result_status(const struct step_result *);
const char	*step_status_name(enum step_status);
/* Output (borrowed), NULL unless SUCCEEDED. */
json_t		*step_result_output(const struct step_result *);
/* Error and cause (borrowed), NULL when AWS would report none. */
const char	*step_result_error(const struct step_result *);
const char	*step_result_cause(const struct step_result *);
/* Array of state names entered, in order (borrowed). */
json_t		*step_result_path(const struct step_result *);
/* Array of AWS-shaped history events (borrowed); empty unless recorded. */
json_t		*step_result_history(const struct step_result *);
/*
 * With record_trace: one object per state run, in order, each
 * {"state", "type", "input", "afterInputPath", "afterParameters", "result",
 * "afterResultSelector", "afterResultPath", "output", "next", "error",
 * "cause", "retryCount"} — a field is left out when the state did not reach
 * that step (borrowed; empty unless recorded).
 */
json_t		*step_result_trace(const struct step_result *);
/* Number of states entered (including inside Map and Parallel). */
uint64_t	 step_result_transitions(const struct step_result *);
/*
 * The result as the CLI prints it: {"status", "output"} or
 * {"status", "error", "cause"}, plus "path"/"history" when asked (new).
 */
json_t		*step_result_json(const struct step_result *, int with_path,
		    int with_history);

/* ------------------------------------------------------------ one state */

/*
 * Single-state testing, like AWS's TestState API: run the state named
 * state (at the top level of the machine) once on input, with its Task
 * answered by mock_result or mock_error/mock_cause when given (else by the
 * machine's handlers and mocks), as if it were retry number retry_count.
 */
struct step_test_state_opts {
	json_t		*context;	/* merged over the default context object */
	json_t		*mock_result;	/* Task result (borrowed) */
	const char	*mock_error;	/* Task error name */
	const char	*mock_cause;
	int64_t		 retry_count;	/* $$.State.RetryCount for this attempt */
};

/*
 * *out (new) is {"status": "SUCCEEDED" | "FAILED" | "RETRIABLE" |
 * "CAUGHT_ERROR", "output", "nextState", "error", "cause",
 * "inspectionData": {"input", "afterInputPath", "afterParameters",
 * "result", "afterResultSelector", "afterResultPath"}} as AWS's TestState
 * shapes it. Returns SD_ERR_NOTFOUND when there is no such state.
 */
int	 step_test_state(struct step_machine *, const char *state, json_t *input,
	    const struct step_test_state_opts *, json_t **out,
	    struct sd_error *err);

#endif /* STEP_H */
