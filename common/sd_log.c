#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sd_buf.h"
#include "sd_json.h"
#include "sd_log.h"
#include "sd_time.h"

static const char *log_prog = "stepdeploy";
static enum sd_log_level log_level = SD_LOG_INFO;
static int log_flags;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
sd_log_init(const char *prog, enum sd_log_level level, int flags)
{
	if (prog != NULL)
		log_prog = prog;
	log_level = level;
	log_flags = flags;
}

int
sd_log_level_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

void
sd_log(enum sd_log_level level, const char *fmt, ...)
{
	struct sd_buf b;
	va_list ap;
	char *msg, ts[64];

	if (level < log_level || level > SD_LOG_ERROR)
		return;
	va_start(ap, fmt);
	msg = sd_vasprintf(fmt, ap);
	va_end(ap);
	if (msg == NULL)
		return;
	sd_buf_init(&b, 0);
	if (log_flags & SD_LOG_JSON) {
		if (sd_time_format(sd_time_now(), ts, sizeof(ts)) != 0)
			ts[0] = '\0';
		(void)sd_buf_puts(&b, "{\"ts\":");
		(void)sd_json_quote(&b, ts, strlen(ts));
		(void)sd_buf_puts(&b, ",\"prog\":");
		(void)sd_json_quote(&b, log_prog, strlen(log_prog));
		(void)sd_buf_printf(&b, ",\"pid\":%ld,\"level\":\"%s\",\"msg\":",
		    (long)getpid(), level_names[level]);
		(void)sd_json_quote(&b, msg, strlen(msg));
		(void)sd_buf_puts(&b, "}\n");
	} else
		(void)sd_buf_printf(&b, "%s[%ld]: %s: %s\n", log_prog,
		    (long)getpid(), level_names[level], msg);
	if (!b.failed && b.data != NULL)
		(void)fputs(b.data, stderr);
	sd_buf_release(&b);
	free(msg);
}
