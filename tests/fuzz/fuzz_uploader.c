/*
 * fuzz_uploader: what the uploader reads from outside, on arbitrary
 * bytes. The first byte picks the parser, the rest is its input:
 *   0-2  an AWS error answer of S3, Lambda, Step Functions
 *        (sd_aws_parse_error; the next byte, when 'T', splits off an
 *        x-amzn-ErrorType header at the first newline)
 *   3    an XML element's text (sd_aws_xml_text)
 *   4    a lock object's body from S3 (sd_lock_parse)
 *   5    a definition to qualify with a version (sd_deploy_qualify)
 *   6    a journal after a crash (sd_journal_replay, from a memfd)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>

#include "sd_aws.h"
#include "sd_deploy.h"
#include "sd_journal.h"
#include "sd_lock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
aws_error(enum sd_policy_service svc, const char *p, size_t n)
{
	struct sd_aws_status st;
	char type[256];
	const char *nl;
	size_t tl;

	memset(&st, 0, sizeof(st));
	if (n > 0 && p[0] == 'T' && (nl = memchr(p, '\n', n)) != NULL) {
		tl = (size_t)(nl - p - 1);
		if (tl >= sizeof(type))
			tl = sizeof(type) - 1;
		memcpy(type, p + 1, tl);
		type[tl] = '\0';
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
		sd_aws_parse_error(svc, 400 + (long)(n % 200), type, p, n, &st);
	} else
		sd_aws_parse_error(svc, 400 + (long)(n % 200), NULL, p, n, &st);
	if (strnlen(st.code, sizeof(st.code)) == sizeof(st.code) ||
	    strnlen(st.message, sizeof(st.message)) == sizeof(st.message))
		__builtin_trap();
}

static void
journal(const char *p, size_t n)
{
	struct sd_journal_state st = SD_JOURNAL_STATE_INIT;
	struct sd_error err = SD_ERROR_INIT;
	char path[64];
	int fd = memfd_create("journal", MFD_CLOEXEC);

	if (fd == -1)
		return;
	if (write(fd, p, n) == (ssize_t)n) {
		(void)snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		(void)sd_journal_replay(path, &st, &err);
		(void)sd_error_text(&err);
		sd_journal_state_clear(&st);
	}
	sd_error_clear(&err);
	(void)close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	struct sd_lock_info info;
	struct sd_error err = SD_ERROR_INIT;
	json_t *def, *q;
	char out[64];

	if (size < 1)
		return 0;
	switch (data[0] % 7) {
	case 0: aws_error(SD_POLICY_SVC_S3, p, n); break;
	case 1: aws_error(SD_POLICY_SVC_LAMBDA, p, n); break;
	case 2: aws_error(SD_POLICY_SVC_STATES, p, n); break;
	case 3:
		(void)sd_aws_xml_text(p, n, "Code", out, sizeof(out));
		if (strnlen(out, sizeof(out)) == sizeof(out))
			__builtin_trap();
		break;
	case 4:
		(void)sd_lock_parse(p, n, &info, &err);
		(void)sd_error_text(&err);
		sd_error_clear(&err);
		break;
	case 5:
		def = json_loadb(p, n, 0, NULL);
		if (def != NULL) {
			q = sd_deploy_qualify(def,
			    "arn:aws:lambda:us-east-1:1:function:f", "7", NULL);
			json_decref(q);
			json_decref(def);
		}
		break;
	default:
		journal(p, n);
		break;
	}
	return 0;
}
