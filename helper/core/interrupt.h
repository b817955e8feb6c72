/*
 * Cancelling a sign-in with Ctrl-C (SIGINT), SIGTERM or SIGHUP (contract §8).
 *
 * Between interrupt_catch() and interrupt_release() these signals only
 * set a flag. The waits of the sign-in flows (the loopback listener,
 * device polling, paste mode) poll() at least once a second, without
 * SA_RESTART, so they see the flag at once, close what they opened and
 * return CLERK_EINTR; the callers then release the lock as on any
 * failure, and main() exits 128 + the signal's number (130 for SIGINT,
 * 143 for SIGTERM), as a shell reports a process killed by it. Nothing is
 * half-written: the flag is also held while the new tokens are stored.
 * Outside those sections the signals keep their usual effect: the kernel
 * drops the lock of a process that dies, and files are replaced
 * atomically.
 *
 * Example:
 *	interrupt_catch();
 *	while (!(r = interrupt_check()) && !done)
 *		wait_a_second();
 *	interrupt_release();
 */
#ifndef CLERK_INTERRUPT_H
#define CLERK_INTERRUPT_H

/*
 * Catch SIGINT, SIGTERM and SIGHUP (a signal ignored when the program
 * started stays ignored). Calls nest; only the outermost pair changes
 * the dispositions.
 */
void interrupt_catch(void);

/* Undo one interrupt_catch(); the outermost restores the dispositions. */
void interrupt_release(void);

/* The first signal caught since the program started, or 0. */
int interrupt_signal(void);

/*
 * 0, or CLERK_EINTR once a signal was caught; the first call that sees
 * it says on stderr that the sign-in was cancelled.
 */
int interrupt_check(void);

#endif
