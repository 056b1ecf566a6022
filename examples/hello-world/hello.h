/*
 * hello-world: a state machine and the Lambda that runs its Task, built
 * together with libstep (the C counterpart of coinbase/step's example).
 */
#ifndef HELLO_H
#define HELLO_H

#include "step.h"

#define HELLO_LAMBDA_ARN \
	"arn:aws:lambda:us-east-1:000000000000:function:hello-world"

/* The machine, with its handlers registered (new). */
struct step_machine *hello_machine(struct sd_error *err);

/* The "Hello" task: sets Greeting to "Hello World" when it is empty. */
int	hello_task(void *user, const struct step_task_call *call,
	    json_t **output, struct step_task_failure *failure);

#endif /* HELLO_H */
