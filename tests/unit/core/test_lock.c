/*
 * Unit tests: lock.c, the per-(issuer, client id, profile) lock: a second
 * taker waits and times out cleanly, gets the lock once it is released or
 * its holder dies, other profiles do not wait, and the lock file is a
 * private regular file of ours (a link or a FIFO in its place is refused,
 * never followed or waited on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "lock.h"
#include "fixture.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-lock-XXXXXX";
static struct config cfg;

static int
setup(void **state)
{
	(void)state;
	return fixture_setup(tmpdir, &cfg);
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_teardown(tmpdir, &cfg);
}

/* Fork a child that runs @fn and exits with its result (0: as expected). */
static void
in_child(int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int
times_out(void)
{
	int fd = -1;

	return lock_acquire(&cfg, 1, &fd) == CLERK_ETIMEOUT && fd == -1 ? 0 : 1;
}

static void
test_held_elsewhere(void **state)
{
	int fd = -1, fd2 = -1;

	(void)state;
	assert_int_equal(lock_acquire(&cfg, 1, &fd), 0);
	/* Held elsewhere: a second taker times out cleanly. */
	in_child(times_out);
	lock_release(fd);
	assert_int_equal(lock_acquire(&cfg, 1, &fd2), 0);
	lock_release(fd2);
}

static int
other_profile_takes(void)
{
	struct config other = cfg;
	int fd = -1, r;

	other.profile = "work";
	r = lock_acquire(&other, 1, &fd);
	lock_release(fd);
	return r;
}

static void
test_per_profile(void **state)
{
	int fd = -1;

	(void)state;
	assert_int_equal(lock_acquire(&cfg, 1, &fd), 0);
	/* Another profile (another key) never waits for this one. */
	in_child(other_profile_takes);
	lock_release(fd);
}

static void
test_waiter_gets_it(void **state)
{
	struct timespec nap = {0, 300 * 1000000L};
	int fd = -1, p[2], status;
	char c = 0;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		if (lock_acquire(&cfg, 1, &fd) || write(p[1], "x", 1) != 1)
			_exit(1);
		/* The holder dies holding it: the kernel drops the lock. */
		nanosleep(&nap, NULL);
		_exit(0);
	}
	close(p[1]);
	/* Once the child holds it, we wait, then we get it. */
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	assert_int_equal(lock_acquire(&cfg, 5, &fd), 0);
	lock_release(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void
test_file_private(void **state)
{
	char path[512];
	struct stat st;
	int fd = -1;

	(void)state;
	assert_int_equal(lock_acquire(&cfg, 1, &fd), 0);
	lock_release(fd);
	fixture_file(tmpdir, &cfg, "lock", path, sizeof(path));
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_uid, geteuid());
	/* Releasing nothing is fine. */
	lock_release(-1);
}

static void
test_refuses_link_and_fifo(void **state)
{
	struct config c = cfg;
	char path[512], target[600];
	int fd = -1;

	(void)state;
	c.profile = "linked";
	fixture_file(tmpdir, &c, "lock", path, sizeof(path));
	snprintf(target, sizeof(target), "%s/elsewhere", tmpdir);
	/* The state dir exists once any lock was taken; make sure. */
	assert_int_equal(lock_acquire(&cfg, 1, &fd), 0);
	lock_release(fd);
	fd = -1;
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(lock_acquire(&c, 1, &fd), CLERK_EIO);
	assert_int_equal(fd, -1);
	assert_int_equal(access(target, F_OK), -1);
	assert_int_equal(unlink(path), 0);

	/* A FIFO is refused at once, not waited on. */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(lock_acquire(&c, 1, &fd), CLERK_EPERM);
	assert_int_equal(fd, -1);
	assert_int_equal(unlink(path), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_held_elsewhere),
	        cmocka_unit_test(test_per_profile),
	        cmocka_unit_test(test_waiter_gets_it),
	        cmocka_unit_test(test_file_private),
	        cmocka_unit_test(test_refuses_link_and_fifo),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
