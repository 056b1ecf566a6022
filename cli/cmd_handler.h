/*
 * cmd_handler: answer Task states with an external command — the Task's
 * input JSON on its stdin, its result JSON on stdout. A command that exits
 * non-zero fails the Task with the {"errorType","errorMessage"} it printed,
 * or with States.TaskFailed and its stderr as the cause.
 */
#ifndef CMD_HANDLER_H
#define CMD_HANDLER_H

#include "step.h"

/* user is the command line (a NUL-terminated string run by /bin/sh -c). */
int	cmd_handler(void *user, const struct step_task_call *call,
	    json_t **output, struct step_task_failure *failure);

#endif /* CMD_HANDLER_H */
