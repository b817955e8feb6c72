/* Test support: what a function under test prints on stderr. */
#ifndef CLERK_TEST_CAPTURE_H
#define CLERK_TEST_CAPTURE_H

/*
 * Run @fn(@arg) with stderr sent to a temporary file; return what it
 * printed (a static buffer of at most 16 KiB, valid until the next call).
 */
const char *capture_stderr(void (*fn)(void *), void *arg);

#endif
