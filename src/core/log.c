/* SPDX-License-Identifier: ISC */
/*
 * Logging: one line per message line, to stderr with an ISO 8601 UTC timestamp and
 * the level, or to syslog(3).  Owns the process-wide log level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "kpass/core/err.h"
#include "kpass/core/log.h"

static enum kp_log_target log_target = KP_LOG_STDERR;
static enum kp_log_level log_level = KP_LOG_INFO;
static const char *log_ident = "kpass";

static const char *const log_names[] = {"error", "warn", "info", "debug"};

void log_init(const char *ident, enum kp_log_target target, enum kp_log_level level)
{
    log_ident = ident;
    log_target = target;
    log_level = level;
    if (target == KP_LOG_SYSLOG)
        openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(enum kp_log_level level)
{
    log_level = level;
}

enum kp_log_level log_get_level(void)
{
    return log_level;
}

int log_debug_enabled(void)
{
    return log_level >= KP_LOG_DEBUG;
}

int log_level_parse(const char *name)
{
    for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++)
        if (strcmp(name, log_names[i]) == 0)
            return (int)i;
    return -KP_ERR_INVAL;
}

const char *log_level_name(enum kp_log_level level)
{
    if ((unsigned)level < sizeof(log_names) / sizeof(log_names[0]))
        return log_names[level];
    return "?";
}

static void log_vwrite(enum kp_log_level level, int errnum, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void log_vwrite(enum kp_log_level level, int errnum, const char *fmt, va_list ap)
{
    char msg[1024];
    int n;

    if (level > log_level)
        return;
    n = vsnprintf(msg, sizeof(msg), fmt, ap);
    if (n < 0)
        return;
    if (errnum && (size_t)n < sizeof(msg))
        snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", strerror(errnum));

    /* A multi-line message (a configuration's errors, a menu's diagnostics)
       becomes one line each, every one with its own timestamp and level, so
       that grep and the journal keep each line attributable. */
    struct timespec ts;
    struct tm tm;
    char when[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    for (char *line = msg, *nl; line != NULL; line = nl) {
        nl = strchr(line, '\n');
        if (nl != NULL) {
            *nl++ = '\0';
            if (*nl == '\0')
                nl = NULL; /* a trailing newline is not one more line */
        }
        if (log_target == KP_LOG_SYSLOG) {
            static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
            syslog(prio[level], "%s", line);
        } else {
            fprintf(stderr, "%s.%03ldZ %s[%s] %s\n", when, ts.tv_nsec / 1000000L, log_ident,
                    log_names[level], line);
        }
    }
}

#define LOG_BODY(level, errnum)                                                                    \
    do {                                                                                           \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        log_vwrite(level, errnum, fmt, ap);                                                        \
        va_end(ap);                                                                                \
    } while (0)

void log_debug(const char *fmt, ...)
{
    LOG_BODY(KP_LOG_DEBUG, 0);
}

void log_info(const char *fmt, ...)
{
    LOG_BODY(KP_LOG_INFO, 0);
}

void log_warn(const char *fmt, ...)
{
    int e = errno;
    LOG_BODY(KP_LOG_WARN, e);
}

void log_warnx(const char *fmt, ...)
{
    LOG_BODY(KP_LOG_WARN, 0);
}

void log_error(const char *fmt, ...)
{
    LOG_BODY(KP_LOG_ERROR, 0);
}

void fatal(const char *fmt, ...)
{
    int e = errno;
    LOG_BODY(KP_LOG_ERROR, e);
    exit(1);
}

void fatalx(const char *fmt, ...)
{
    LOG_BODY(KP_LOG_ERROR, 0);
    exit(1);
}
