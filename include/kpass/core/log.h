/* SPDX-License-Identifier: ISC */
/*
 * Logging to stderr (with timestamps) or syslog.  Messages start with the
 * module and then the object's id: log_info("smpp: link %u bound as %s", ...).
 * Never pass codes, PINs, passwords, full CNICs or full MSISDNs.
 *
 * log_warn() appends strerror(errno); log_warnx() does not.  fatal()/fatalx()
 * log and exit(1): only at start-up or for a broken invariant.
 */
#ifndef KPASS_LOG_H
#define KPASS_LOG_H

enum kp_log_level {
    KP_LOG_ERROR = 0,
    KP_LOG_WARN = 1,
    KP_LOG_INFO = 2,
    KP_LOG_DEBUG = 3,
};

enum kp_log_target {
    KP_LOG_STDERR = 0,
    KP_LOG_SYSLOG = 1,
};

/* Start logging as ident (program name) to target at level. */
void log_init(const char *ident, enum kp_log_target target, enum kp_log_level level);
/* Change the level at run time (SIGHUP reload). */
void log_set_level(enum kp_log_level level);
enum kp_log_level log_get_level(void);
/* "error", "warn", "info", "debug" -> level; -KP_ERR_INVAL otherwise. */
int log_level_parse(const char *name);
const char *log_level_name(enum kp_log_level level);

#define KP_PRINTF(a, b) __attribute__((format(printf, a, b)))

void log_debug(const char *fmt, ...) KP_PRINTF(1, 2);
void log_info(const char *fmt, ...) KP_PRINTF(1, 2);
void log_warn(const char *fmt, ...) KP_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) KP_PRINTF(1, 2);
void log_error(const char *fmt, ...) KP_PRINTF(1, 2);
__attribute__((noreturn)) void fatal(const char *fmt, ...) KP_PRINTF(1, 2);
__attribute__((noreturn)) void fatalx(const char *fmt, ...) KP_PRINTF(1, 2);

/* True when debug messages would be written: guard costly formatting. */
int log_debug_enabled(void);

#endif
