/*
 * hello.c: the hello-world machine and its one task handler.
 */
#include <stdlib.h>
#include <string.h>

#include "hello.h"

static const char definition[] =
    "{\"Comment\":\"Hello World\",\"StartAt\":\"Hello\",\"States\":{"
    "\"Hello\":{\"Type\":\"TaskFn\",\"Comment\":\"Deploy Step Function\","
    "\"End\":true}}}";

static int
task_error(struct step_task_failure *f, const char *error, const char *cause)
{
	f->error = strdup(error);
	f->cause = strdup(cause);
	return -1;
}

int
hello_task(void *user, const struct step_task_call *call, json_t **output,
    struct step_task_failure *failure)
{
	json_t *in = call->input, *g;

	(void)user;
	if (!json_is_object(in))
		return task_error(failure, "InvalidInput",
		    "the input must be an object like {\"Greeting\": \"\"}");
	g = json_object_get(in, "Greeting");
	if (g != NULL && !json_is_null(g) && !json_is_string(g))
		return task_error(failure, "InvalidInput",
		    "\"Greeting\" must be a string");
	if ((*output = json_copy(in)) == NULL)
		return task_error(failure, "States.TaskFailed", "out of memory");
	if (g == NULL || json_is_null(g) || json_string_length(g) == 0) {
		if (json_object_set_new(*output, "Greeting",
		    json_string("Hello World")) != 0) {
			json_decref(*output);
			*output = NULL;
			return task_error(failure, "States.TaskFailed",
			    "out of memory");
		}
	}
	return 0;
}

struct step_machine *
hello_machine(struct sd_error *err)
{
	struct step_machine_opts o;
	struct step_machine *m = NULL;

	memset(&o, 0, sizeof(o));
	o.name = "hello-world";
	o.lambda_arn = HELLO_LAMBDA_ARN;
	if (step_machine_new(definition, strlen(definition), &o, &m, err) != 0)
		return NULL;
	if (step_machine_register(m, "Hello", hello_task, NULL) != 0) {
		step_machine_free(m);
		sd_error_set(err, SD_ERR_NOMEM, NULL, "out of memory");
		return NULL;
	}
	return m;
}
