/* Unit tests: fileio.c (atomic private writes, private reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "tmptree.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-fileio-XXXXXX";

static int
setup(void **state)
{
	(void)state;
	log_set_silent(true);
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

static void
path_in(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < size);
}

static void
touch(const char *name)
{
	char path[512];
	int fd;

	path_in(path, sizeof(path), name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "partial", 7), 7);
	close(fd);
}

static bool
exists(const char *name)
{
	char path[512];

	path_in(path, sizeof(path), name);
	return access(path, F_OK) == 0;
}

/* A pid that belonged to a process that is gone now. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return pid;
}

static void
test_write_read(void **state)
{
	char path[512], *text = NULL;
	struct stat st;
	size_t len = 0;

	(void)state;
	path_in(path, sizeof(path), "plain.json");
	assert_int_equal(file_write_atomic(path, "{\"a\":1}", 7, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(file_read_private(path, 100, &text, &len), 0);
	assert_int_equal(len, 7);
	assert_string_equal(text, "{\"a\":1}");
	secret_free(text);
	/* Replaced whole, never appended to. */
	assert_int_equal(file_write_atomic(path, "{}", 2, 0600), 0);
	assert_int_equal(file_read_private(path, 100, &text, &len), 0);
	assert_string_equal(text, "{}");
	secret_free(text);
	assert_int_equal(file_read_private(path, 1, &text, &len), CLERK_EPROTO);
}

static void
test_lax_file_refused(void **state)
{
	char path[512], *text = NULL;
	size_t len;

	(void)state;
	path_in(path, sizeof(path), "lax.json");
	assert_int_equal(file_write_atomic(path, "{}", 2, 0600), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(file_read_private(path, 100, &text, &len),
	                 CLERK_EPERM);
	assert_null(text);
	assert_int_equal(chmod(path, 0602), 0);
	assert_int_equal(file_read_private(path, 100, &text, &len),
	                 CLERK_EPERM);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(file_read_private(path, 100, &text, &len),
	                 CLERK_ENOTFOUND);
}

static void
test_lax_dir_refused(void **state)
{
	char path[512];

	(void)state;
	path_in(path, sizeof(path), "state/clerk-credential");
	assert_int_equal(dir_ensure_private(path), 0);
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(dir_ensure_private(path), CLERK_EPERM);
	assert_int_equal(chmod(path, 0700), 0);
	assert_int_equal(dir_ensure_private(path), 0);
}

static void
test_symlink_refused(void **state)
{
	char path[512], target[512], *text = NULL;
	size_t len;

	(void)state;
	path_in(target, sizeof(target), "target.json");
	path_in(path, sizeof(path), "link.json");
	assert_int_equal(file_write_atomic(target, "{}", 2, 0600), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(file_read_private(path, 100, &text, &len),
	                 CLERK_EPERM);
	assert_null(text);
}

/*
 * A FIFO where a file is read is refused at once: opening it must not
 * wait for a writer (the test would hang before the fix; an alarm ends
 * it then).
 */
static void
test_fifo_refused_without_blocking(void **state)
{
	char path[512], *text = NULL;
	struct stat st;
	size_t len;
	int fd = -1;

	(void)state;
	path_in(path, sizeof(path), "fifo.json");
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(file_read_private(path, 100, &text, &len),
	                 CLERK_EPERM);
	assert_int_equal(file_read_limited(path, 100, &text, &len),
	                 CLERK_EPERM);
	assert_int_equal(file_open_regular(path, &fd, &st), CLERK_EPERM);
	alarm(0);
	assert_null(text);
	assert_int_equal(fd, -1);
	assert_int_equal(unlink(path), 0);
}

/* An existing directory is checked without being created. */
static void
test_dir_check_private(void **state)
{
	char path[512];

	(void)state;
	path_in(path, sizeof(path), "run/clerk-credential");
	assert_int_equal(dir_check_private(path, true), CLERK_ENOTFOUND);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(dir_ensure_private(path), 0);
	assert_int_equal(dir_check_private(path, true), 0);
	assert_int_equal(chmod(path, 0777), 0);
	assert_int_equal(dir_check_private(path, true), CLERK_EPERM);
	assert_int_equal(chmod(path, 0700), 0);
	if (geteuid() == 0) {
		assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
		assert_int_equal(dir_check_private(path, true), CLERK_EPERM);
		assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	}
}

/*
 * A writer killed between creating its temporary file and renaming it
 * leaves "<name>.tmp.<pid>"; the next write removes those of dead pids
 * and nothing else.
 */
static void
test_stale_temp_files_swept(void **state)
{
	static const struct {
		const char *before, *after; /* around the pid */
		bool alive;                 /* pid of a live process */
		bool swept;
	} cases[] = {
	        {"tokens-default.json.tmp.", "", false, true},
	        {"tokens-default.json.tmp.", "", true, false},
	        {"tokens-other.json.tmp.", "", false, false},
	        {"tokens-default.json.tmp.", "x", false, false},
	        {"tokens-default.json.tmp.-", "", false, false},
	        {"tokens-default.json.bak.", "", false, false},
	        {"xtokens-default.json.tmp.", "", false, false},
	};
	char names[sizeof(cases) / sizeof(cases[0])][128], path[512];
	pid_t dead = dead_pid();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(names[i], sizeof(names[i]), "%s%ld%s", cases[i].before,
		         cases[i].alive ? (long)getppid() : (long)dead,
		         cases[i].after);
		touch(names[i]);
	}
	path_in(path, sizeof(path), "tokens-default.json");
	assert_int_equal(file_write_atomic(path, "{}", 2, 0600), 0);
	assert_true(exists("tokens-default.json"));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (exists(names[i]) == cases[i].swept)
			fail_msg("%s: %s", names[i],
			         cases[i].swept ? "left behind" : "removed");
		path_in(path, sizeof(path), names[i]);
		if (!cases[i].swept)
			assert_int_equal(remove(path), 0);
	}
}

/* Many killed writers leave at most one temporary file behind. */
static void
test_killed_writers_do_not_pile_up(void **state)
{
	char path[512], name[128];
	int i, left = 0;

	(void)state;
	path_in(path, sizeof(path), "pile.json");
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "pile.json.tmp.%ld",
		         (long)dead_pid());
		touch(name);
		assert_int_equal(file_write_atomic(path, "{}", 2, 0600), 0);
		if (exists(name))
			left++;
	}
	assert_int_equal(left, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_write_read),
	        cmocka_unit_test(test_lax_file_refused),
	        cmocka_unit_test(test_lax_dir_refused),
	        cmocka_unit_test(test_symlink_refused),
	        cmocka_unit_test(test_fifo_refused_without_blocking),
	        cmocka_unit_test(test_dir_check_private),
	        cmocka_unit_test(test_stale_temp_files_swept),
	        cmocka_unit_test(test_killed_writers_do_not_pile_up),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
