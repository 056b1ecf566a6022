/*
 * hello-world: one binary that is both the Lambda of its state machine and
 * the tool to test it.
 *
 *   hello-world              serve as the Lambda (AWS Lambda Runtime API)
 *   hello-world json         print the state machine as AWS must receive it
 *   hello-world exec [INPUT] run the machine locally on INPUT (JSON, @FILE)
 *   hello-world handle       answer one Task payload read on stdin, as
 *                            `stepdeploy exec --handler Hello=...` calls it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hello.h"
#include "sd_json.h"

static int
print_json(json_t *v)
{
	char *s = sd_json_dumps(v, SD_JSON_PRETTY);
	int r = s != NULL && puts(s) != EOF ? 0 : 1;

	free(s);
	return r;
}

static json_t *
read_input(const char *arg, struct sd_error *err)
{
	if (arg == NULL)
		return json_object();
	if (arg[0] == '@')
		return sd_json_load_file(arg + 1, 0, err);
	return sd_json_loadb(arg, strlen(arg), 0, "the input", err);
}

static int
cmd_exec(struct step_machine *m, const char *arg)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_result *res = NULL;
	json_t *in = NULL, *out = NULL;
	int rc = 2;

	if ((in = read_input(arg, &err)) == NULL) {
		fprintf(stderr, "hello-world exec: %s\n", sd_error_text(&err));
		goto out;
	}
	if (step_execute(m, in, NULL, &res, &err) != 0) {
		fprintf(stderr, "hello-world exec: %s\n", sd_error_text(&err));
		goto out;
	}
	if ((out = step_result_json(res, 1, 0)) == NULL || print_json(out) != 0)
		goto out;
	rc = step_result_status(res) == STEP_SUCCEEDED ? 0 : 1;
 out:
	sd_error_clear(&err);
	json_decref(in);
	json_decref(out);
	step_result_free(res);
	return rc;
}

static int
cmd_handle(struct step_machine *m)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_task_failure f = { NULL, NULL };
	json_t *payload, *out = NULL;
	int rc;

	if ((payload = sd_json_load_file("-", 0, &err)) == NULL) {
		printf("{\"errorType\":\"InvalidEventPayload\",\"errorMessage\":"
		    "\"the payload on stdin is not JSON\"}\n");
		sd_error_clear(&err);
		return 1;
	}
	if (step_dispatch(m, payload, NULL, &out, &f) == 0) {
		char *s = sd_json_dumps(out, 0);

		rc = s != NULL && puts(s) != EOF ? 0 : 1;
		free(s);
	} else {
		json_t *e = json_pack("{s:s, s:s}", "errorType",
		    f.error != NULL ? f.error : "States.TaskFailed",
		    "errorMessage", f.cause != NULL ? f.cause : "");

		if (e != NULL)
			(void)print_json(e);
		json_decref(e);
		rc = 1;
	}
	free(f.error);
	free(f.cause);
	json_decref(out);
	json_decref(payload);
	return rc;
}

int
main(int argc, char **argv)
{
	struct sd_error err = SD_ERROR_INIT;
	struct step_machine *m;
	json_t *aws;
	int rc = 2;

	if ((m = hello_machine(&err)) == NULL) {
		fprintf(stderr, "hello-world: %s\n", sd_error_text(&err));
		sd_error_clear(&err);
		return 2;
	}
	if (argc == 1) {
		if (step_lambda_run(m, NULL, &err) != 0) {
			fprintf(stderr, "hello-world: %s\n", sd_error_text(&err));
			rc = 1;
		} else
			rc = 0;
	} else if (strcmp(argv[1], "json") == 0 && argc == 2) {
		aws = step_machine_aws_json(m);
		rc = aws != NULL ? print_json(aws) : 1;
		json_decref(aws);
	} else if (strcmp(argv[1], "exec") == 0 && argc <= 3)
		rc = cmd_exec(m, argc == 3 ? argv[2] : NULL);
	else if (strcmp(argv[1], "handle") == 0 && argc == 2)
		rc = cmd_handle(m);
	else
		fprintf(stderr, "usage: hello-world [json | exec [INPUT] | "
		    "handle]\n");
	sd_error_clear(&err);
	step_machine_free(m);
	return rc;
}
