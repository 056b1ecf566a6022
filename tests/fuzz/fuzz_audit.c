/*
 * fuzz_audit: stepdeploy audit verify's reader — a log from a host that
 * may have been taken, so any bytes: lines, JSON, hex, seq, epochs and
 * keys all hostile. Checked against the log's own first key and against
 * a fixed one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sd_audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char key[] =
	    "925fb58f919f0893655f594b5c26c2c763d2ad763209676b3c24264363824504";
	struct sd_error err = SD_ERROR_INIT;
	struct sd_audit_report rep;
	FILE *fp;
	int i;

	if (size == 0)
		return 0;
	for (i = 0; i < 2; i++) {
		if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
			return 0;
		(void)sd_audit_verify_fp(fp, "fuzz", i == 0 ? NULL : key, &rep,
		    &err);
		sd_error_clear(&err);
		(void)fclose(fp);
	}
	return 0;
}
