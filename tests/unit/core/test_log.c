/*
 * Unit tests: log.c (the levels, quiet, verbose and silent, the line
 * format, the bound on a line, the hook that runs before a message).
 *
 * log.c cannot tell a secret from other text: keeping secrets out is its
 * callers' rule (log.h). What it owes them is tested here: nothing below
 * the level asked for reaches stderr, debug lines included, so a caller's
 * debug argument never shows without --verbose. That no secret shows
 * with --verbose either is checked end to end by the security suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <string.h>

#include "capture.h"
#include "log.h"

static int
reset(void **state)
{
	(void)state;
	log_set_verbose(false);
	log_set_quiet(false);
	log_set_silent(false);
	log_set_before(NULL);
	return 0;
}

/* One message at every level, each naming its level. */
static void
log_all(void *arg)
{
	(void)arg;
	log_error("e %d", 1);
	log_warn("w %s", "2");
	log_info("i");
	log_debug("d %s", "ghp_NOT_A_REAL_TOKEN");
}

static void
test_format_and_default_levels(void **state)
{
	(void)state;
	assert_string_equal(capture_stderr(log_all, NULL),
	                    "clerk-credential: e 1\n"
	                    "clerk-credential: warning: w 2\n"
	                    "clerk-credential: i\n");
}

static void
test_verbose(void **state)
{
	(void)state;
	log_set_verbose(true);
	assert_true(log_is_verbose());
	assert_string_equal(capture_stderr(log_all, NULL),
	                    "clerk-credential: e 1\n"
	                    "clerk-credential: warning: w 2\n"
	                    "clerk-credential: i\n"
	                    "clerk-credential: debug: d "
	                    "ghp_NOT_A_REAL_TOKEN\n");
	log_set_verbose(false);
	assert_false(log_is_verbose());
}

static void
test_quiet_keeps_errors(void **state)
{
	(void)state;
	log_set_quiet(true);
	assert_string_equal(capture_stderr(log_all, NULL),
	                    "clerk-credential: e 1\n");
	/* Quiet does not silence debug output asked for with --verbose. */
	log_set_verbose(true);
	assert_string_equal(capture_stderr(log_all, NULL),
	                    "clerk-credential: e 1\n"
	                    "clerk-credential: debug: d "
	                    "ghp_NOT_A_REAL_TOKEN\n");
}

static void
test_silent(void **state)
{
	(void)state;
	log_set_verbose(true);
	log_set_silent(true);
	assert_string_equal(capture_stderr(log_all, NULL), "");
}

static void
log_long(void *arg)
{
	log_error("%s", (const char *)arg);
}

/* A line is cut at 2 KiB, its newline kept: one write, one line. */
static void
test_long_line_is_cut(void **state)
{
	static char big[4096];
	const char *out;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	out = capture_stderr(log_long, big);
	assert_int_equal(strlen(out), 2048);
	assert_memory_equal(out, "clerk-credential: xxx", 21);
	assert_int_equal(out[2046], 'x');
	assert_int_equal(out[2047], '\n');
}

static int before_calls;

static void
count_before(void)
{
	before_calls++;
}

static void
test_before_runs_per_message_written(void **state)
{
	(void)state;
	before_calls = 0;
	log_set_before(count_before);
	capture_stderr(log_all, NULL);
	assert_int_equal(before_calls, 3);
	log_set_quiet(true);
	capture_stderr(log_all, NULL);
	assert_int_equal(before_calls, 4);
	log_set_silent(true);
	capture_stderr(log_all, NULL);
	assert_int_equal(before_calls, 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_format_and_default_levels, reset),
	        cmocka_unit_test_setup(test_verbose, reset),
	        cmocka_unit_test_setup(test_quiet_keeps_errors, reset),
	        cmocka_unit_test_setup(test_silent, reset),
	        cmocka_unit_test_setup(test_long_line_is_cut, reset),
	        cmocka_unit_test_setup(test_before_runs_per_message_written,
	                               reset),
	};

	return cmocka_run_group_tests(tests, NULL, reset);
}
