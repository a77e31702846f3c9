/* log.h: the daemon's log in the OpenBSD shape (STYLE 21): stderr in the foreground, syslog otherwise. */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>

void log_init(bool foreground, int facility);
void log_set_verbose(bool verbose);
void log_warn(const char *fmt, ...)
    __attribute__((format(printf, 1, 2))); /* adds strerror(errno) */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* VIGIL_LOG_H */
