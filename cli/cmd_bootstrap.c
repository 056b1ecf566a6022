/*
 * stepdeploy bootstrap --release FILE --zip FILE --policy FILE
 *     --signer SOCKET [--ca-bundle FILE]
 *
 * As coinbase/step's `step bootstrap`: update an existing Lambda's code
 * and state machine's definition directly, without the deploy flow - no
 * lock taken, no release record or zip written to S3, no snapshot and no
 * rollback - but through the signer and after the deploy's checks:
 *	Validate	the release check, the zip's SHA-256 vs lambda_sha256,
 *			the policy's ARNs (cli_release_load); the zip is sent
 *			inline, so at most SD_AWS_INLINE_ZIP_MAX bytes
 *	CheckResources	the function and the state machine exist (bootstrap
 *			never creates resources), carry the required tags, and
 *			the config is neither frozen nor locked by a deploy
 *	UpdateFunctionCode (ZipFile, RevisionId of the function read), then
 *			wait until the update is done
 *	PublishVersion	(CodeSha256 precondition)
 *	UpdateStateMachine  the release's definition with the Lambda named by
 *			the version published (sd_deploy_qualify)
 *	Verify		CodeSha256 and the definition read back
 * Nothing is changed before CheckResources has passed. Exit 0 done, 1
 * refused or failed (saying what was changed by then), 2 bad usage/input.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cli.h"
#include "cli_aws.h"
#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_err.h"
#include "sd_json.h"
#include "sd_lock.h"
#include "sd_policy.h"

static void
step(const char *name)
{
	printf("==> %s\n", name);
	fflush(stdout);
}

static void
detail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void
detail(const char *fmt, ...)
{
	va_list ap;

	fputs("    ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* SHA-256 of buf as lower-case hex. 0 or SD_ERR_INTERNAL. */
static int
sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return SD_ERR_INTERNAL;
	for (i = 0; i < n; i++)
		(void)snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Neither frozen nor locked by a deploy (reads only). 0, or the refusal
 * or read error in err. */
static int
check_config(struct cli_aws *a, const struct cli_release *rel,
    struct sd_error *err)
{
	struct sd_lock_freeze f;
	struct sd_lock_info li;
	char at[40];
	int r;

	r = sd_lock_read_freeze(a->aws, rel->bucket, rel->project,
	    rel->config, &f, err);
	if (r == 0) {
		cli_fmt_utc(f.at, CLI_RFC3339, at, sizeof(at));
		return sd_error_set(err, SD_ERR_INVALID, NULL, "%s %s is frozen "
		    "by %s since %s: %s (stepdeploy unfreeze first)",
		    rel->project, rel->config, f.by, at, f.reason[0] != '\0' ?
		    f.reason : "no reason given");
	}
	if (r == SD_ERR_PARSE) {
		(void)sd_error_prefix(err, "%s %s is frozen: ", rel->project,
		    rel->config);
		return SD_ERR_INVALID;
	}
	if (r != SD_ERR_NOTFOUND)
		return r;
	sd_error_clear(err);
	r = sd_lock_read(a->aws, rel->bucket, rel->project, rel->config, &li,
	    err);
	if (r == 0 && li.expires_at > (int64_t)time(NULL)) {
		cli_fmt_utc(li.expires_at, CLI_RFC3339, at, sizeof(at));
		return sd_error_set(err, SD_ERR_INVALID, NULL, "a deploy of "
		    "release %s (%s) holds the lock of %s %s until %s; "
		    "bootstrap would race it", li.release_id, li.holder,
		    rel->project, rel->config, at);
	}
	if (r == 0 || r == SD_ERR_NOTFOUND) {
		sd_error_clear(err);
		return 0;
	}
	return r;
}

int
cmd_bootstrap(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "zip", required_argument, NULL, 'z' },
		CLI_AWS_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "stepdeploy bootstrap --release FILE --zip "
	    "FILE " CLI_AWS_USAGE;
	const char *release_path = NULL, *zip_path = NULL;
	struct cli_aws a;
	struct cli_release rel;
	struct sd_error err = SD_ERROR_INIT;
	struct sd_aws_status st;
	struct sd_aws_lambda_function fn, pub;
	struct sd_aws_state_machine sm, up_out;
	struct sd_aws_lambda_code code;
	struct sd_aws_sfn_update up;
	json_t *problems = NULL, *want = NULL, *got = NULL;
	char *zip = NULL, *def = NULL, hex[65], desc[128];
	size_t zip_len = 0, nq = 0, i;
	int c, rc = 1, code_changed = 0;

	cli_aws_init(&a);
	memset(&rel, 0, sizeof(rel));
	memset(&fn, 0, sizeof(fn));
	memset(&pub, 0, sizeof(pub));
	memset(&sm, 0, sizeof(sm));
	memset(&up_out, 0, sizeof(up_out));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': release_path = optarg; break;
		case 'z': zip_path = optarg; break;
		case 'h':
			printf("usage: %s\n"
			    "Update an existing Lambda function's code and "
			    "state machine's definition\ndirectly (no lock, no "
			    "S3 record, no rollback), after the deploy's "
			    "checks.\nBootstrap never creates resources. The "
			    "zip is sent inline (at most %zu bytes).\n", usage,
			    SD_AWS_INLINE_ZIP_MAX);
			return 0;
		case '?':
			return cli_usage_error("bootstrap", "unknown option or "
			    "missing value: %s (usage: %s)", optind > 1 &&
			    optind <= argc ? argv[optind - 1] : "?", usage);
		default:
			if (cli_aws_option(&a, c, optarg))
				break;
			return cli_usage_error("bootstrap", "usage: %s", usage);
		}
	}
	if (optind != argc)
		return cli_usage_error("bootstrap", "unexpected argument "
		    "\"%s\"", argv[optind]);
	if (release_path == NULL || zip_path == NULL || a.policy_path == NULL ||
	    a.signer_path == NULL)
		return cli_usage_error("bootstrap", "--release, --zip, --policy "
		    "and --signer are required");

	/* Validate. */
	if (cli_release_load(&a, release_path, zip_path, &rel, &err) != 0) {
		rc = cli_usage_error("bootstrap", "%s", sd_error_text(&err));
		goto out;
	}
	step("Validate");
	if (json_array_size(rel.refusals) > 0) {
		for (i = 0; i < json_array_size(rel.refusals); i++)
			fprintf(stderr, "stepdeploy bootstrap: %s\n",
			    json_string_value(json_array_get(rel.refusals, i)));
		rc = 1;
		goto out;
	}
	if (!cli_release_addressable(&rel)) {
		fprintf(stderr, "stepdeploy bootstrap: the release does not "
		    "name resources of a project in the policy\n");
		goto out;
	}
	if (rel.zip_size > SD_AWS_INLINE_ZIP_MAX) {
		fprintf(stderr, "stepdeploy bootstrap: the zip is %llu bytes; "
		    "bootstrap sends the code inline, at most %zu bytes: "
		    "deploy larger code with `stepdeploy deploy` (through "
		    "S3)\n", (unsigned long long)rel.zip_size,
		    SD_AWS_INLINE_ZIP_MAX);
		goto out;
	}
	/* The bytes sent are the bytes checked. */
	if (sd_read_file(zip_path, SD_AWS_INLINE_ZIP_MAX, &zip, &zip_len,
	    &err) != 0)
		goto fail;
	if (sha256_hex(zip, zip_len, hex) != 0 ||
	    strcmp(hex, rel.zip_hex) != 0) {
		fprintf(stderr, "stepdeploy bootstrap: %s changed while it was "
		    "read\n", zip_path);
		goto out;
	}
	detail("release %s of %s %s: ok; zip %zu bytes, SHA-256 %s",
	    rel.release_id, rel.project, rel.config, zip_len, rel.zip_hex);

	/* CheckResources: nothing is changed before this has passed. */
	if (cli_aws_open(&a, rel.region, &err) != 0)
		goto fail;
	step("CheckResources");
	memset(&st, 0, sizeof(st));
	if (sd_aws_lambda_get_configuration(a.aws, rel.lambda_arn, NULL, &fn,
	    &st, &err) != 0) {
		if (st.kind == SD_AWS_NOT_FOUND) {
			fprintf(stderr, "stepdeploy bootstrap: Lambda function "
			    "%s does not exist; bootstrap never creates "
			    "resources: create it first\n", rel.lambda_arn);
			goto out;
		}
		goto fail;
	}
	detail("Lambda function %s: exists, CodeSha256 %s", rel.lambda_arn,
	    fn.code_sha256);
	memset(&st, 0, sizeof(st));
	if (sd_aws_sfn_describe(a.aws, rel.sm_arn, &sm, &st, &err) != 0) {
		if (st.kind == SD_AWS_NOT_FOUND) {
			fprintf(stderr, "stepdeploy bootstrap: state machine "
			    "%s does not exist; bootstrap never creates "
			    "resources: create it first\n", rel.sm_arn);
			goto out;
		}
		goto fail;
	}
	detail("state machine %s: exists", rel.sm_arn);
	if ((problems = json_array()) == NULL) {
		sd_error_set(&err, SD_ERR_NOMEM, NULL, "out of memory");
		goto fail;
	}
	if (cli_check_tags(&a, &rel, problems, &err) != 0)
		goto fail;
	if (json_array_size(problems) > 0) {
		for (i = 0; i < json_array_size(problems); i++)
			fprintf(stderr, "stepdeploy bootstrap: %s\n",
			    json_string_value(json_array_get(problems, i)));
		goto out;
	}
	detail("tags: ok");
	if (check_config(&a, &rel, &err) != 0)
		goto fail;
	detail("%s %s: not frozen, no deploy holds the lock", rel.project,
	    rel.config);

	/* UpdateFunctionCode. */
	(void)snprintf(desc, sizeof(desc), "bootstrap %s", rel.release_id);
	step("UpdateFunctionCode");
	if (strcmp(fn.code_sha256, rel.zip_b64) == 0)
		detail("CodeSha256 %s: unchanged, not updated", fn.code_sha256);
	else {
		if (strcmp(fn.last_update_status, "InProgress") == 0 ||
		    strcmp(fn.state, "Pending") == 0) {
			detail("an update is in progress: waiting for it");
			sd_aws_lambda_function_clear(&fn);
			if (sd_aws_lambda_wait_updated(a.aws, rel.lambda_arn,
			    &fn, NULL, &err) != 0 && err.code !=
			    SD_ERR_INVALID)
				goto fail;
			sd_error_clear(&err);
			sd_aws_lambda_function_clear(&fn);
			if (sd_aws_lambda_get_configuration(a.aws,
			    rel.lambda_arn, NULL, &fn, NULL, &err) != 0)
				goto fail;
		}
		detail("CodeSha256 %s -> %s (inline zip, RevisionId %s)",
		    fn.code_sha256, rel.zip_b64, fn.revision_id);
		memset(&code, 0, sizeof(code));
		code.zip = zip;
		code.zip_len = zip_len;
		code.revision_id = fn.revision_id[0] != '\0' ?
		    fn.revision_id : NULL;
		if (sd_aws_lambda_update_code(a.aws, rel.lambda_arn, &code,
		    NULL, NULL, &err) != 0)
			goto fail;
		code_changed = 1;
		sd_aws_lambda_function_clear(&fn);
		if (sd_aws_lambda_wait_updated(a.aws, rel.lambda_arn, &fn,
		    NULL, &err) != 0)
			goto fail;
		detail("update %s", fn.last_update_status);
	}

	/* PublishVersion. */
	step("PublishVersion");
	if (sd_aws_lambda_publish_version(a.aws, rel.lambda_arn, NULL,
	    rel.zip_b64, desc, &pub, NULL, &err) != 0)
		goto fail;
	code_changed = 1;
	detail("version %s", pub.version);

	/* UpdateStateMachine. */
	step("UpdateStateMachine");
	want = sd_deploy_qualify(json_object_get(rel.doc, "state_machine"),
	    rel.lambda_arn, pub.version, &nq);
	if (want == NULL || (def = sd_json_dumps(want, SD_JSON_SORT_KEYS)) ==
	    NULL) {
		sd_error_set(&err, SD_ERR_INVALID, NULL, "cannot qualify the "
		    "definition with version %s", pub.version);
		goto fail;
	}
	detail("the Lambda as version %s (%zu reference%s)", pub.version, nq,
	    nq == 1 ? "" : "s");
	memset(&up, 0, sizeof(up));
	up.definition = def;
	up.publish = 1;
	up.version_description = desc;
	if (sd_aws_sfn_update(a.aws, rel.sm_arn, &up, &up_out, NULL,
	    &err) != 0)
		goto fail;
	detail("revision %s%s%s", up_out.revision_id[0] != '\0' ?
	    up_out.revision_id : "?", up_out.version_arn[0] != '\0' ?
	    ", version " : "", up_out.version_arn);

	/* Verify. */
	step("Verify");
	sd_aws_lambda_function_clear(&fn);
	sd_aws_state_machine_clear(&sm);
	if (sd_aws_lambda_get_configuration(a.aws, rel.lambda_arn, NULL, &fn,
	    NULL, &err) != 0 ||
	    sd_aws_sfn_describe(a.aws, rel.sm_arn, &sm, NULL, &err) != 0)
		goto fail;
	if (strcmp(fn.code_sha256, rel.zip_b64) != 0) {
		sd_error_set(&err, SD_ERR_INVALID, NULL, "the function's "
		    "CodeSha256 is %s, not the zip's %s", fn.code_sha256,
		    rel.zip_b64);
		goto fail;
	}
	got = sm.definition != NULL ? sd_json_loadb(sm.definition,
	    strlen(sm.definition), 0, "the definition read back", &err) : NULL;
	if (got == NULL || !sd_json_equal(got, want)) {
		sd_error_clear(&err);
		sd_error_set(&err, SD_ERR_INVALID, NULL, "the state machine's "
		    "definition read back is not the one sent");
		goto fail;
	}
	detail("CodeSha256 %s and the definition are in place", fn.code_sha256);
	printf("bootstrap %s: done (Lambda version %s)\n", rel.release_id,
	    pub.version);
	rc = 0;
	goto out;
 fail:
	fprintf(stderr, "stepdeploy bootstrap: %s\n", sd_error_text(&err));
	if (code_changed)
		fprintf(stderr, "stepdeploy bootstrap: the Lambda's code was "
		    "changed; the state machine's definition may not be the "
		    "release's (bootstrap does not roll back)\n");
	rc = 1;
 out:
	fflush(stdout);
	json_decref(problems);
	json_decref(want);
	json_decref(got);
	free(def);
	free(zip);
	sd_aws_lambda_function_clear(&fn);
	sd_aws_lambda_function_clear(&pub);
	sd_aws_state_machine_clear(&sm);
	sd_aws_state_machine_clear(&up_out);
	cli_release_clear(&rel);
	cli_aws_close(&a);
	sd_error_clear(&err);
	return rc;
}
