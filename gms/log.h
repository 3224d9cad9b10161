/*
 * log.h: one place for messages to the user and the log (OpenBSD style).
 * log_warn adds strerror(errno); fatal/fatalx exit.  A broken internal
 * invariant is fatal; anything a peer or a user sent is logged and rejected.
 */
#ifndef GMS_LOG_H
#define GMS_LOG_H

#include <stdarg.h>

#define LOG_QUIET	0
#define LOG_INFO	1
#define LOG_DEBUG	2

void	log_init(const char *progname, int verbosity);
void	log_set_prefix(const char *);	/* e.g. "node 3" once joined */
int	log_verbosity(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
