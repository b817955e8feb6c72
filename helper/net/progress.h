/*
 * The one status line shown while a sign-in waits (contract §8): the time
 * left, redrawn in place about once a second when stderr is a terminal,
 * else a plain line every PROGRESS_PLAIN_EVERY seconds. While the line
 * is on the terminal, any log message takes it off first (log.h,
 * log_set_before()), so messages never run into it.
 *
 * Example:
 *	progress_begin("waiting for the browser", true);
 *	while (waiting)
 *		progress_update(seconds_left);	// as often as you like
 *	progress_end();
 */
#ifndef CLERK_PROGRESS_H
#define CLERK_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define PROGRESS_PLAIN_EVERY 30

/*
 * Start showing "@what: M:SS left". With @in_place false the line is
 * never redrawn, even on a terminal (paste mode: the user types there).
 * Nothing is shown until the first progress_update().
 */
void progress_begin(const char *what, bool in_place);

/* The wait has @seconds_left; a no-op without progress_begin(). */
void progress_update(int64_t seconds_left);

/* Take the line off the terminal and stop. */
void progress_end(void);

#endif
