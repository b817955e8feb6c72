/* See log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

#include "banned.h"

static bool verbose;
static bool quiet;
static bool silent;
static void (*before)(void);

void
log_set_before(void (*fn)(void))
{
	before = fn;
}

void
log_set_verbose(bool on)
{
	verbose = on;
}

bool
log_is_verbose(void)
{
	return verbose;
}

void
log_set_quiet(bool on)
{
	quiet = on;
}

void
log_set_silent(bool on)
{
	silent = on;
}

bool
log_is_silent(void)
{
	return silent;
}

static void __attribute__((format(printf, 2, 0)))
log_v(const char *tag, const char *fmt, va_list ap)
{
	char line[2048];
	int n;

	if (silent)
		return;
	/* One write per line, so lines of concurrent helpers do not mix. */
	n = snprintf(line, sizeof(line), "clerk-credential: %s", tag);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (before)
		before();
	fprintf(stderr, "%s\n", line);
}

void
log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (quiet)
		return;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	log_v("debug: ", fmt, ap);
	va_end(ap);
}
