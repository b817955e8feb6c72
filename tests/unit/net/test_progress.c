/*
 * Unit tests of progress.c: the status line redrawn in place on a real
 * pseudo-terminal (stderr pointed at its slave side), plain lines every
 * PROGRESS_PLAIN_EVERY seconds on a pipe, and log messages taking the
 * line off the terminal first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "progress.h"

static int saved_stderr = -1;

/* Point stderr at @fd (until restore_stderr()). */
static void
redirect_stderr(int fd)
{
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	assert_true(saved_stderr >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
}

static void
restore_stderr(void)
{
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
}

/* Everything readable on @fd now, NUL-terminated. */
static size_t
drain(int fd, char *buf, size_t size)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && poll(&p, 1, 200) > 0 &&
	       (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void
test_terminal_redraws_in_place(void **state)
{
	char out[8192];
	int master, slave;

	(void)state;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	assert_true(master >= 0);
	assert_int_equal(grantpt(master), 0);
	assert_int_equal(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	assert_true(slave >= 0);
	redirect_stderr(slave);

	progress_begin("waiting for the browser", true);
	progress_update(125);
	progress_update(125); /* same second: not drawn again */
	progress_update(9);
	log_info("a message in between");
	progress_update(8);
	progress_end();
	restore_stderr();
	drain(master, out, sizeof(out));
	close(slave);
	close(master);

	assert_int_equal(count(out, "waiting for the browser: 2:05 left"), 1);
	assert_int_equal(count(out, "waiting for the browser: 0:09 left"), 1);
	assert_int_equal(count(out, "0:08 left"), 1);
	assert_int_equal(count(out, "(Ctrl-C cancels)"), 3);
	/* Each redraw starts at column 0; no line feed between them. */
	assert_non_null(strstr(out, "\rclerk-credential: waiting"));
	/* The message came on a clean line: the status was blanked first. */
	assert_non_null(strstr(out, "\rclerk-credential: a message in "
	                            "between"));
	/* Nothing of the line is left at the end. */
	assert_int_equal(out[strlen(out) - 1], '\r');
}

static void
test_pipe_gets_plain_lines(void **state)
{
	char out[8192];
	int fds[2];
	int64_t left;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	redirect_stderr(fds[1]);
	progress_begin("waiting for the code", true);
	for (left = 300; left >= 0; left--)
		progress_update(left);
	log_info("done");
	progress_end();
	restore_stderr();
	close(fds[1]);
	drain(fds[0], out, sizeof(out));
	close(fds[0]);

	/* 300 s: one line per 30 s after the start, none redrawn. */
	assert_null(strchr(out, '\r'));
	assert_int_equal(count(out, "waiting for the code: "), 10);
	assert_non_null(strstr(out, "clerk-credential: waiting for the code: "
	                            "270 s left\n"));
	assert_non_null(strstr(out, "clerk-credential: waiting for the code: "
	                            "0 s left\n"));
	assert_non_null(strstr(out, "\nclerk-credential: done\n"));
}

static void
test_inactive_is_silent(void **state)
{
	char out[256];
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	redirect_stderr(fds[1]);
	progress_update(10);
	progress_end();
	restore_stderr();
	close(fds[1]);
	assert_int_equal(drain(fds[0], out, sizeof(out)), 0);
	close(fds[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_terminal_redraws_in_place),
	        cmocka_unit_test(test_pipe_gets_plain_lines),
	        cmocka_unit_test(test_inactive_is_silent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
