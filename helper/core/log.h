/*
 * Messages on stderr.
 *
 * Every line starts "clerk-credential: ". Errors say what failed, why, and
 * what to do, in lower case. MUST NOT: pass a secret (token, code,
 * verifier) to any of these, in debug output neither.
 */
#ifndef CLERK_LOG_H
#define CLERK_LOG_H

#include <stdbool.h>

void log_set_verbose(bool on);
bool log_is_verbose(void);
void log_set_quiet(bool on);
/*
 * Nothing at all on stderr, errors included: fuzzing, and checks whose
 * failures are reported later, where they matter (the config index).
 */
void log_set_silent(bool on);
bool log_is_silent(void);

/*
 * @fn (NULL: none) runs before every message is written: it takes the
 * status line that progress.c redraws in place off the terminal.
 */
void log_set_before(void (*fn)(void));

/* Always printed. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed unless quiet. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed with --verbose only, prefixed "debug: ". */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
