/*
 * aws_sfn.c: Step Functions operations (JSON 1.0: POST / with
 * X-Amz-Target: AWSStepFunctions.OP). The body is sent to the signer,
 * which reads the state machine ARN from it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_int.h"

#define S		SD_POLICY_SVC_STATES
#define TARGET_MAX	96

void
sd_aws_state_machine_clear(struct sd_aws_state_machine *m)
{
	if (m == NULL)
		return;
	free(m->definition);
	json_decref(m->raw);
	memset(m, 0, sizeof(*m));
}

/* Send body (borrowed) to OP; *root is the new JSON answer. */
static int
sfn_call(struct sd_aws *c, const char *op, const char *arn, json_t *body,
    enum sd_aws_idem idem, json_t **root, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct aws_req rq;
	struct aws_resp rs;
	char target[TARGET_MAX], *text = NULL;
	int r;

	*root = NULL;
	if (!aws_arn_ok(arn, "stateMachine"))
		return aws_fail(st, err, SD_ERR_INVALID, S, op,
		    arn != NULL ? arn : "", "not a state machine ARN "
		    "(arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)");
	if ((text = aws_json_text(body)) == NULL)
		return aws_fail(st, err, SD_ERR_NOMEM, S, op, arn,
		    "out of memory");
	(void)snprintf(target, sizeof(target), "AWSStepFunctions.%s", op);
	aws_req_init(&rq, S, op, arn, "POST");
	rq.path = "/";
	rq.body = text;
	rq.body_len = strlen(text);
	rq.idem = idem;
	(void)aws_req_header(&rq, "Content-Type",
	    "application/x-amz-json-1.0");
	(void)aws_req_header(&rq, "X-Amz-Target", target);
	aws_resp_init(&rs);
	if ((r = aws_do(c, &rq, &rs, st, err)) == 0)
		r = aws_json_body(&rs, root, st, err, S, op, arn);
	aws_resp_release(&rs);
	free(text);
	return r;
}

static void
read_machine(const json_t *o, struct sd_aws_state_machine *m)
{
	aws_json_str(o, "stateMachineArn", m->arn, sizeof(m->arn));
	aws_json_str(o, "name", m->name, sizeof(m->name));
	aws_json_str(o, "status", m->status, sizeof(m->status));
	aws_json_str(o, "revisionId", m->revision_id, sizeof(m->revision_id));
	aws_json_str(o, "roleArn", m->role_arn, sizeof(m->role_arn));
	aws_json_str(o, "stateMachineVersionArn", m->version_arn,
	    sizeof(m->version_arn));
}

int
sd_aws_sfn_describe(struct sd_aws *c, const char *arn,
    struct sd_aws_state_machine *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	json_t *body, *root = NULL, *def;
	int r;

	st = aws_status(st, &scratch);
	memset(out, 0, sizeof(*out));
	if ((body = json_pack("{s:s?}", "stateMachineArn", arn)) == NULL)
		return aws_fail(st, err, SD_ERR_NOMEM, S,
		    "DescribeStateMachine", arn, "out of memory");
	r = sfn_call(c, "DescribeStateMachine", arn, body, SD_AWS_IDEMPOTENT,
	    &root, st, err);
	json_decref(body);
	if (r != 0)
		return r;
	def = json_object_get(root, "definition");
	if (!json_is_string(def) ||
	    strlen(json_string_value(def)) != json_string_length(def)) {
		json_decref(root);
		return aws_fail(st, err, SD_ERR_PARSE, S,
		    "DescribeStateMachine", arn, "the answer has no "
		    "definition");
	}
	read_machine(root, out);
	if ((out->definition = strdup(json_string_value(def))) == NULL) {
		json_decref(root);
		return aws_fail(st, err, SD_ERR_NOMEM, S,
		    "DescribeStateMachine", arn, "out of memory");
	}
	out->raw = root;
	return 0;
}

int
sd_aws_sfn_update(struct sd_aws *c, const char *arn,
    const struct sd_aws_sfn_update *u, struct sd_aws_state_machine *out,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	json_t *body = NULL, *root = NULL;
	int r;

	st = aws_status(st, &scratch);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (u == NULL || u->definition == NULL)
		return aws_fail(st, err, SD_ERR_INVALID, S,
		    "UpdateStateMachine", arn, "no definition");
	if (u->version_description != NULL && !u->publish)
		return aws_fail(st, err, SD_ERR_INVALID, S,
		    "UpdateStateMachine", arn, "a version description goes "
		    "with publish only");
	if ((body = json_pack("{s:s?, s:s}", "stateMachineArn", arn,
	    "definition", u->definition)) == NULL ||
	    (u->publish && json_object_set_new(body, "publish",
	    json_true()) != 0) ||
	    (u->version_description != NULL && json_object_set_new(body,
	    "versionDescription", json_string(u->version_description)) != 0)) {
		json_decref(body);
		return aws_fail(st, err, SD_ERR_NOMEM, S, "UpdateStateMachine",
		    arn, "out of memory (or a string that is not UTF-8)");
	}
	r = sfn_call(c, "UpdateStateMachine", arn, body, SD_AWS_IDEMPOTENT,
	    &root, st, err);
	json_decref(body);
	if (r != 0)
		return r;
	if (out != NULL) {
		read_machine(root, out);
		out->raw = root;
	} else
		json_decref(root);
	return 0;
}

int
sd_aws_sfn_publish_version(struct sd_aws *c, const char *arn,
    const char *revision_id, const char *description,
    struct sd_aws_state_machine *out, struct sd_aws_status *st,
    struct sd_error *err)
{
	struct sd_aws_status scratch;
	json_t *body = NULL, *root = NULL;
	int r;

	st = aws_status(st, &scratch);
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if ((body = json_pack("{s:s?}", "stateMachineArn", arn)) == NULL ||
	    (revision_id != NULL && json_object_set_new(body, "revisionId",
	    json_string(revision_id)) != 0) ||
	    (description != NULL && json_object_set_new(body, "description",
	    json_string(description)) != 0)) {
		json_decref(body);
		return aws_fail(st, err, SD_ERR_NOMEM, S,
		    "PublishStateMachineVersion", arn, "out of memory (or a "
		    "string that is not UTF-8)");
	}
	r = sfn_call(c, "PublishStateMachineVersion", arn, body,
	    revision_id != NULL ? SD_AWS_CONDITIONAL : SD_AWS_IDEMPOTENT,
	    &root, st, err);
	json_decref(body);
	if (r != 0)
		return r;
	if (out != NULL) {
		read_machine(root, out);
		out->raw = root;
	} else
		json_decref(root);
	return 0;
}

int
sd_aws_sfn_list_tags(struct sd_aws *c, const char *arn, json_t **tags,
    struct sd_aws_status *st, struct sd_error *err)
{
	struct sd_aws_status scratch;
	json_t *body, *root = NULL, *list, *t, *k, *v;
	size_t i;
	int r;

	st = aws_status(st, &scratch);
	*tags = NULL;
	if ((body = json_pack("{s:s?}", "resourceArn", arn)) == NULL)
		return aws_fail(st, err, SD_ERR_NOMEM, S, "ListTagsForResource",
		    arn, "out of memory");
	r = sfn_call(c, "ListTagsForResource", arn, body, SD_AWS_IDEMPOTENT,
	    &root, st, err);
	json_decref(body);
	if (r != 0)
		return r;
	list = json_object_get(root, "tags");
	if ((*tags = json_object()) == NULL) {
		json_decref(root);
		return aws_fail(st, err, SD_ERR_NOMEM, S, "ListTagsForResource",
		    arn, "out of memory");
	}
	if (list != NULL && !json_is_array(list))
		goto bad;
	json_array_foreach(list, i, t) {
		k = json_object_get(t, "key");
		v = json_object_get(t, "value");
		if (!json_is_string(k) || !json_is_string(v) ||
		    json_object_set(*tags, json_string_value(k), v) != 0)
			goto bad;
	}
	json_decref(root);
	return 0;
 bad:
	json_decref(root);
	json_decref(*tags);
	*tags = NULL;
	return aws_fail(st, err, SD_ERR_PARSE, S, "ListTagsForResource", arn,
	    "tags is not a list of {key, value}");
}
