/*
 * log.c: messages to stderr, prefixed with the program and, once known,
 * the node.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gms/log.h"

static const char	*log_prog = "gms";
static char		 log_prefix[64];
static int		 log_verb = LOG_INFO;

void
log_init(const char *progname, int verbosity)
{
	log_prog = progname;
	log_verb = verbosity;
}

void
log_set_prefix(const char *p)
{
	snprintf(log_prefix, sizeof log_prefix, "%s", p);
}

int
log_verbosity(void)
{
	return log_verb;
}

static void
log_vemit(const char *errstr, const char *fmt, va_list ap)
{
	char	msg[1024];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (log_prefix[0] != '\0')
		fprintf(stderr, "%s[%s]: ", log_prog, log_prefix);
	else
		fprintf(stderr, "%s: ", log_prog);
	if (errstr != NULL)
		fprintf(stderr, "%s: %s\n", msg, errstr);
	else
		fprintf(stderr, "%s\n", msg);
}

void
log_warn(const char *fmt, ...)
{
	const char	*e = strerror(errno);
	va_list		 ap;

	va_start(ap, fmt);
	log_vemit(e, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vemit(NULL, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	if (log_verb < LOG_INFO)
		return;
	va_start(ap, fmt);
	log_vemit(NULL, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_verb < LOG_DEBUG)
		return;
	va_start(ap, fmt);
	log_vemit(NULL, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char	*e = strerror(errno);
	va_list		 ap;

	va_start(ap, fmt);
	log_vemit(e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vemit(NULL, fmt, ap);
	va_end(ap);
	exit(1);
}
