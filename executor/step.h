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
/* AWS's limit on a state machine definition: 1 MiB (a hard quota). */
#define STEP_MAX_DEFINITION	((size_t)1024 * 1024)
/* AWS's limit on a standard workflow's event history: 25,000 events. */
#define STEP_MAX_HISTORY_EVENTS	25000

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
/*
 * The definition as AWS must receive it (new): every "TaskFn" state, at any
 * depth, becomes a plain Task whose Resource is the machine's Lambda ARN
 * and whose Parameters are {"Task": <state name>, "Input.$": "$"}.
 */
json_t	*step_machine_aws_json(const struct step_machine *);

/* ------------------------------------------------------------ Task handlers */

/* What a Task handler is given (all borrowed for the call's duration). */
struct step_task_call {
	const char	*state;		/* state name */
	const char	*resource;	/* the Task's Resource */
	json_t		*input;		/* effective input (after Parameters) */
	json_t		*context;	/* the context object $$ */
	const char	*task_token;	/* .waitForTaskToken or activity, else NULL */
	int64_t		 timeout_ms;	/* TimeoutSeconds in ms, 0 if none */
	/* Where step_send_task_*() and step_task_submitted() record (opaque). */
	struct step_callbacks *callbacks;
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
 * (a single object is used for every call); a .waitForTaskToken Task or
 * an activity may instead be answered by {"callbacks": [CALLBACK...]}
 * (each as step_task_callback_json() takes it), and a .waitForTaskToken
 * or .sync Task's response may carry "submitted": the service call's
 * response. Checked here: a malformed mock
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

/*
 * Callbacks from inside a handler, as AWS's SendTaskSuccess (output: JSON
 * text), SendTaskFailure and SendTaskHeartbeat calls
 * (docs.aws.amazon.com/step-functions/latest/apireference/), sent
 * after_s seconds of virtual time after the task started (at least the
 * previous call's). token NULL is call->task_token. Only a .waitForTaskToken
 * Task or an activity takes them; a handler that sends any sets no
 * *output (for a .waitForTaskToken Task it may give the service call's
 * response with step_task_submitted()). They are checked when their time
 * comes, as AWS checks them: a wrong token (InvalidToken), a closed task
 * (TaskTimedOut) or an output that is not JSON (InvalidOutput) is refused
 * and listed in the result (step_result_refused_callbacks), not applied.
 * Each returns 0, SD_ERR_INVALID (no callback task, a bad argument, after_s
 * before the previous call's) or SD_ERR_NOMEM.
 */
int	 step_send_task_success(const struct step_task_call *, const char *token,
	    const char *output, double after_s);
int	 step_send_task_failure(const struct step_task_call *, const char *token,
	    const char *error, const char *cause, double after_s);
int	 step_send_task_heartbeat(const struct step_task_call *,
	    const char *token, double after_s);
/*
 * The service call's response of a .waitForTaskToken or .sync Task (the
 * TaskSubmitted event's output; borrowed). Once per call.
 */
int	 step_task_submitted(const struct step_task_call *, json_t *response);
/*
 * One callback in the mocks' form, {"afterSeconds": N, "SendTaskSuccess":
 * {"taskToken", "output"}} (or SendTaskFailure {"taskToken", "error",
 * "cause"}, SendTaskHeartbeat {"taskToken"}; taskToken optional), or
 * {"submitted": V}; checked as the mocks are (err names what is wrong).
 */
int	 step_task_callback_json(const struct step_task_call *, json_t *cb,
	    struct sd_error *err);

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
	/*
	 * 0: no limit; else the most events one execution's history may hold
	 * (STEP_MAX_HISTORY_EVENTS as AWS), counted whether or not the
	 * history is recorded, a Distributed Map's child executions apart
	 * (on AWS each has its own history). As AWS: the event that would be
	 * the last is the execution's own ExecutionSucceeded, or the
	 * execution fails there with States.Runtime.
	 */
	uint64_t	 max_history_events;
	int		 record_trace;		/* keep per-state processing detail */
	/*
	 * The directory that stands for S3 for a Map's ItemReader:
	 * DIR/BUCKET/KEY is s3://BUCKET/KEY. NULL: an ItemReader fails.
	 */
	const char	*s3_dir;
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
/* Array of state names entered, in order (borrowed; built on the first
 * call, NULL when out of memory). */
json_t		*step_result_path(const struct step_result *);
/*
 * The callbacks (from mocks or handlers) that AWS would have refused, in
 * the order they came: [{"state", "afterSeconds", "call": "SendTaskSuccess"
 * | "SendTaskFailure" | "SendTaskHeartbeat", "error": "InvalidToken" |
 * "TaskTimedOut" | "InvalidOutput", "cause"}] (borrowed; empty if none).
 */
json_t		*step_result_refused_callbacks(const struct step_result *);
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
 * A Map or Parallel state is tested only with a mock, which stands for the
 * whole state's work (its iterations or branches do not run), as AWS does.
 */

/* How a mocked result is checked against the service's API output (AWS's
 * mock fieldValidationMode). The zero value is NONE; AWS's default, and the
 * CLI's, is STRICT. */
enum step_mock_validation {
	STEP_MOCK_VALIDATION_NONE = 0,	/* no check */
	STEP_MOCK_VALIDATION_PRESENT,	/* the fields given have the API's types */
	STEP_MOCK_VALIDATION_STRICT,	/* and the API's required fields are there */
};

struct step_test_state_opts {
	json_t		*context;	/* merged over the default context object */
	json_t		*mock_result;	/* Task result (borrowed) */
	const char	*mock_error;	/* Task error name */
	const char	*mock_cause;
	/*
	 * AWS's stateConfiguration.retrierRetryCount: the retries already
	 * made by the Retry that applies to the error ($$.State.RetryCount),
	 * so the Retry decision is the one that attempt would get.
	 */
	int64_t		 retry_count;
	json_t		*variables;	/* the variables in scope (borrowed object), or NULL */
	enum step_mock_validation mock_validation;
	/*
	 * stateConfiguration.errorCausedByState: the state inside the tested
	 * Map or Parallel that the mocked error comes from (NULL: none).
	 */
	const char	*error_caused_by_state;
	/* stateConfiguration.mapIterationFailureCount, when has_ is set */
	int		 has_map_failure_count;
	int64_t		 map_failure_count;
	/*
	 * stateConfiguration.mapItemReaderData: the data the Map's ItemReader
	 * would read, as found in its source (the text of a JSON or JSONL
	 * object, or a JSON array of the objects S3 would list); NULL: none.
	 */
	const char	*map_item_reader_data;
};

/*
 * *out (new) is {"status": "SUCCEEDED" | "FAILED" | "RETRIABLE" |
 * "CAUGHT_ERROR", "output", "nextState", "error", "cause",
 * "inspectionData": {"input", "afterInputPath", "afterParameters",
 * "result", "afterResultSelector", "afterResultPath", "variables",
 * "errorDetails": {"retryIndex", "retryBackoffIntervalSeconds",
 * "catchIndex"}, and for a Map "afterItemsPath", "afterItemSelector",
 * "afterItemBatcher", "maxConcurrency", "toleratedFailureCount",
 * "toleratedFailurePercentage"}} as AWS's TestState shapes it
 * ("variables": those in scope after the state, when any; "error" and
 * "cause" also with CAUGHT_ERROR, the error the Catch took). Returns
 * SD_ERR_NOTFOUND when there is no such state, SD_ERR_INVALID (err's
 * message saying why, in AWS's words where AWS has them) when the options
 * do not fit the state: a mock for a state that takes none, a Map or
 * Parallel without one, a mocked result of the wrong shape, a
 * stateConfiguration field for a state it does not apply to.
 */
int	 step_test_state(struct step_machine *, const char *state, json_t *input,
	    const struct step_test_state_opts *, json_t **out,
	    struct sd_error *err);

/* ---- Step Functions Local mock files ---- */

/* At most this many responses in the mocks object made from a mock file. */
#define STEP_MOCKCONFIG_MAX_RESPONSES	100000

/*
 * Turn AWS Step Functions Local's MockConfigFile (config, borrowed, read
 * unchanged: {"StateMachines": {SM: {"TestCases": {CASE: {STATE:
 * RESPONSE}}}}, "MockedResponses": {RESPONSE: {"0": {"Return": V},
 * "1-2": {"Throw": {"Error": E, "Cause": C}}, ...}}}) into the mocks
 * object of step_machine_set_mocks() for the test case test_case of the
 * state machine state_machine (NULL: the file's only state machine).
 * Each mocked state gets the list of its responses by invocation, 0 first
 * ("1-2" is invocations 1 and 2); "Return" V becomes {"result": V} as it
 * is (for a Lambda Task, Step Functions Local's V is the whole Invoke
 * response), "Throw" becomes {"error": E, "cause": C}.
 *
 * The whole file is checked (every MockedResponses entry: its invocation
 * numbers contiguous from 0, each response exactly one of Return and
 * Throw); the responses the test case names must exist. On failure
 * returns SD_ERR_INVALID (SD_ERR_NOTFOUND for an unknown state machine or
 * test case, or several state machines and state_machine NULL;
 * SD_ERR_LIMIT past STEP_MOCKCONFIG_MAX_RESPONSES) with err->location
 * naming the place in the file ("/MockedResponses/Foo/1-2") and the
 * message listing the names there are. *mocks is new.
 */
int	 step_mockconfig_to_mocks(json_t *config, const char *state_machine,
	    const char *test_case, json_t **mocks, struct sd_error *err);

/* ---- release tests ---- */

/*
 * Run a release's tests (tests.json, borrowed): a list of {"name",
 * "input", "mocks", "expected": {"status", "output", "error", "cause",
 * "path"}}. "name" is required and unique; "input" defaults to {};
 * "mocks" is set on the machine for that test alone (no "mocks": none);
 * an expected field left out is not checked, "error": null or
 * "cause": null expects none. Each test runs on the virtual clock with its
 * path recorded. The machine's handlers stay in force; its mocks are
 * replaced per test and cleared at the end.
 *
 * The whole file is checked before any test runs: a malformed one is
 * SD_ERR_INVALID with err->location naming the place
 * ("/2/expected/outptu: unknown field"; a bad mock "/1/mocks/Work[0]: ...").
 * Each test is bounded to 1000000 state transitions. A test that fails is
 * not an error: *report (new) says what happened:
 *
 *	{"passed": N, "failed": N, "tests": [{"name", "passed": true|false,
 *	  "result": {"status", "output", "error", "cause", "path"},
 *	  "diffs": [{"field", "expected", "got", "paths"}]}]}
 *
 * with one diff per expected field that did not match: "got" is left out
 * when the run has no such field, and "paths" (JSON paths like "$.a[2].b",
 * at most STEP_TESTS_MAX_PATHS, then "morePaths": the count left out)
 * names the differing, missing or extra members when expected and got are
 * both objects or both arrays.
 */
#define STEP_TESTS_MAX_PATHS	50

int	 step_run_tests(struct step_machine *, json_t *tests, json_t **report,
	    struct sd_error *err);

/* ---- Lambda runtime ---- */

/*
 * The Lambda side as a process: one binary is the Lambda function behind
 * every Task state of its machine (a custom runtime, "provided.al2023").
 * step_lambda_run long-polls the Runtime API (2018-06-01) at
 * http://HOST/2018-06-01/runtime/invocation/next, hands each event to
 * step_dispatch with the context {"AwsRequestId", "DeadlineMs",
 * "InvokedFunctionArn"} and posts the output to .../ID/response, or the
 * failure {"errorType": error, "errorMessage": cause} to .../ID/error with
 * the header Lambda-Runtime-Function-Error-Type. An event that is not JSON
 * is reported as "InvalidEventPayload" and the loop goes on. It sets
 * _X_AMZN_TRACE_ID to each invocation's Lambda-Runtime-Trace-Id.
 *
 *	if (step_machine_new(def, len, &mo, &m, &err) != 0) {
 *		step_lambda_init_error(NULL, "Runtime.InitError",
 *		    sd_error_text(&err), NULL);
 *		return 1;
 *	}
 *	step_machine_register(m, "Hello", hello_fn, NULL);
 *	if (step_lambda_run(m, NULL, &err) != 0)
 *		errx(1, "%s", sd_error_text(&err));
 */
struct step_lambda_opts {
	const char	*runtime_api;	/* "host:port"; NULL: the env var */
	uint64_t	 max_invocations; /* 0: serve until an error */
	unsigned int	 max_retries;	/* /next: network error or 5xx */
	long		 connect_timeout_ms; /* 0: 5 s */
	long		 post_timeout_ms; /* a POST; 0: 60 s (/next: none) */
};

/*
 * Serve invocations of m (borrowed) until o->max_invocations are done
 * (returns 0) or the Runtime API fails: a network error or status >= 500
 * on /next after o->max_retries retries, any error on a POST, a response
 * over the caps (SD_ERR_LIMIT), or a request id that is not a safe token
 * ([A-Za-z0-9._-], at most 128 bytes), which is refused (SD_ERR_INVALID)
 * rather than put in a URL. Handler failures are not errors here: they go
 * to the invocation's /error. When the runtime cannot start (no machine,
 * no libcurl handle) it also reports to /runtime/init/error. o may be NULL
 * (serve forever, no retries). err is filled on failure; Lambda expects
 * the process to exit then.
 */
int	 step_lambda_run(struct step_machine *m, const struct step_lambda_opts *o,
	    struct sd_error *err);

/*
 * Report a failed initialisation (before the first /next) to
 * POST /2018-06-01/runtime/init/error as {"errorType": type,
 * "errorMessage": msg}; type NULL is "Runtime.InitError". runtime_api NULL
 * means $AWS_LAMBDA_RUNTIME_API. Returns 0 once Lambda accepted it; the
 * process should then exit.
 */
int	 step_lambda_init_error(const char *runtime_api, const char *type,
	    const char *msg, struct sd_error *err);

#endif /* STEP_H */
