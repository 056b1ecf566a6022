/*
 * fuzz_policy: load arbitrary bytes as the policy file; when it loads, run
 * every query once over each project, then free everything.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sd_policy.h"

/* No /etc/passwd: a name resolves when it starts with "u". */
static int
resolve(void *arg, const char *name, uid_t *uid)
{
	(void)arg;
	if (name[0] != 'u')
		return SD_ERR_NOTFOUND;
	*uid = (uid_t)strlen(name);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sd_policy_opts opts = { 0, resolve, NULL };
	struct sd_error err = SD_ERROR_INIT;
	struct sd_policy *pol = NULL;
	const struct sd_policy_project *p;
	enum sd_policy_service svc;
	char arn[SD_POLICY_ARN_MAX], url[300];
	json_t *tags = NULL;
	size_t i;

	if (size > 0 && data[0] == ' ')
		opts.flags = SD_POLICY_KEEP_UNKNOWN_USERS;
	if (sd_policy_load_buf((const char *)data, size, &opts, &pol,
	    &err) != 0) {
		(void)sd_error_text(&err);
		sd_error_clear(&err);
		return 0;
	}
	(void)sd_policy_peer_allowed(pol, SD_POLICY_SOCK_SUBMIT, 2, &err);
	sd_error_clear(&err);
	for (i = 0; i < SD_POLICY_SVC_COUNT; i++) {
		if (sd_policy_endpoint(pol, (enum sd_policy_service)i,
		    "us-east-1", url, sizeof(url)) == 0)
			(void)sd_policy_host_service(pol, url + 8, "us-east-1",
			    &svc);
	}
	for (i = 0; (p = sd_policy_project_at(pol, i)) != NULL; i++) {
		if (sd_policy_project_tags(p, "production", &tags) == 0)
			json_decref(tags);
		(void)sd_policy_may_submit(pol, 2, sd_policy_project_name(p),
		    "production", &err);
		sd_error_clear(&err);
		if (sd_policy_build_arn(SD_POLICY_ARN_LAMBDA, "us-east-1",
		    "000000000000", "acme-hello", arn, sizeof(arn)) == 0)
			(void)sd_policy_arn_allowed(pol,
			    sd_policy_project_name(p), SD_POLICY_ARN_LAMBDA,
			    arn, &err);
		sd_error_clear(&err);
		(void)sd_policy_limits(pol, p);
	}
	sd_policy_free(pol);
	return 0;
}
