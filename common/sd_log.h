/*
 * sd_log: logging for the stepdeploy programs and daemons.
 *
 * One line per message on stderr: "PROG[PID]: LEVEL: message", or with
 * SD_LOG_JSON one JSON object per line ({"ts","prog","pid","level","msg"})
 * for daemons whose output a collector reads. Messages below the threshold
 * are dropped. Not for secrets: callers never log credentials.
 */
#ifndef SD_LOG_H
#define SD_LOG_H

enum sd_log_level {
	SD_LOG_DEBUG = 0,
	SD_LOG_INFO,
	SD_LOG_WARN,
	SD_LOG_ERROR,
};

#define SD_LOG_JSON	0x1

/* prog is borrowed (keep it alive); level is the threshold. */
void	sd_log_init(const char *prog, enum sd_log_level level, int flags);
/* "debug", "info", "warn", "error" -> level; -1 when unknown. */
int	sd_log_level_parse(const char *name);
void	sd_log(enum sd_log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#define sd_debug(...)	sd_log(SD_LOG_DEBUG, __VA_ARGS__)
#define sd_info(...)	sd_log(SD_LOG_INFO, __VA_ARGS__)
#define sd_warn(...)	sd_log(SD_LOG_WARN, __VA_ARGS__)
#define sd_error(...)	sd_log(SD_LOG_ERROR, __VA_ARGS__)

#endif /* SD_LOG_H */
