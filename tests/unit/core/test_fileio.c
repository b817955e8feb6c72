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
#include <time.h>
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

/* A cache file: fresh, stale, from the future, any age, not a file. */
static void
test_read_fresh(void **state)
{
	static const struct {
		int64_t age;     /* seconds since its modification */
		int64_t max_age; /* 0: any */
		int want;
	} cases[] = {
	        {10, 100, 0},
	        {99, 100, 0},
	        {101, 100, CLERK_ENOTFOUND},
	        {-60, 100, CLERK_ENOTFOUND}, /* the clock went back */
	        {100000, 0, 0},
	        {-60, 0, 0},
	};
	char path[512], link_path[512], *text = NULL;
	struct timespec times[2];
	size_t len = 0, i;

	(void)state;
	path_in(path, sizeof(path), "fresh.json");
	assert_int_equal(file_write_atomic(path, "{}", 2, 0600), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		times[0].tv_sec = times[1].tv_sec = time(NULL) - cases[i].age;
		times[0].tv_nsec = times[1].tv_nsec = 0;
		assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
		assert_int_equal(file_read_fresh(path, cases[i].max_age, 100,
		                                 &text, &len),
		                 cases[i].want);
		if (cases[i].want == 0)
			assert_string_equal(text, "{}");
		secret_free(text);
		text = NULL;
	}
	path_in(link_path, sizeof(link_path), "fresh-link.json");
	assert_int_equal(symlink(path, link_path), 0);
	assert_int_equal(file_read_fresh(link_path, 0, 100, &text, &len),
	                 CLERK_ENOTFOUND);
	path_in(path, sizeof(path), "missing.json");
	assert_int_equal(file_read_fresh(path, 0, 100, &text, &len),
	                 CLERK_ENOTFOUND);
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

/* Make @rel (under tmpdir) a file holding "{}" of mode @mode. */
static void
make_file(const char *rel, mode_t mode)
{
	char path[512];

	path_in(path, sizeof(path), rel);
	assert_int_equal(file_write_atomic(path, "{}", 2, mode), 0);
}

static int
open_trusted(const char *rel)
{
	char path[512];
	struct stat st;
	int fd = -1, r;

	path_in(path, sizeof(path), rel);
	r = file_open_trusted(path, &fd, &st);
	if (r == 0) {
		assert_true(fd >= 0);
		assert_true(S_ISREG(st.st_mode));
		close(fd);
	}
	return r;
}

/*
 * A file others could have written is refused, through links too; links
 * (dotfile managers) are followed when everything on the way is safe.
 */
static void
test_open_trusted(void **state)
{
	char dir[512], path[512], link[512];

	(void)state;
	path_in(dir, sizeof(dir), "trust");
	assert_int_equal(mkdir(dir, 0755), 0);
	path_in(dir, sizeof(dir), "trust/store");
	assert_int_equal(mkdir(dir, 0755), 0);
	make_file("trust/store/config.json", 0644);
	assert_int_equal(open_trusted("trust/store/config.json"), 0);
	assert_int_equal(open_trusted("trust/store/./../store/config.json"), 0);
	assert_int_equal(open_trusted("trust/store/none.json"),
	                 CLERK_ENOTFOUND);
	assert_int_equal(open_trusted("trust/none/config.json"),
	                 CLERK_ENOTFOUND);

	/* The file: not writable by group or others. */
	path_in(path, sizeof(path), "trust/store/config.json");
	assert_int_equal(chmod(path, 0664), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), CLERK_EPERM);
	assert_int_equal(chmod(path, 0666), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), CLERK_EPERM);
	assert_int_equal(chmod(path, 0444), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), 0);

	/* A link to it, and a link to its directory, are followed. */
	path_in(link, sizeof(link), "trust/link.json");
	assert_int_equal(symlink("store/config.json", link), 0);
	assert_int_equal(open_trusted("trust/link.json"), 0);
	path_in(link, sizeof(link), "trust/linkdir");
	assert_int_equal(symlink(dir, link), 0);
	assert_int_equal(open_trusted("trust/linkdir/config.json"), 0);
	path_in(link, sizeof(link), "trust/link2.json");
	assert_int_equal(symlink("link.json", link), 0);
	assert_int_equal(open_trusted("trust/link2.json"), 0);

	/* A directory on the way writable by others, unless sticky. */
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(open_trusted("trust/link.json"), CLERK_EPERM);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), CLERK_EPERM);
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), 0);
	assert_int_equal(chmod(dir, 0755), 0);

	/* The directory holding a link chooses its target: checked too. */
	path_in(dir, sizeof(dir), "trust");
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(open_trusted("trust/link.json"), CLERK_EPERM);
	assert_int_equal(chmod(dir, 0755), 0);

	/* A link to nothing is an error, not "no file". */
	path_in(link, sizeof(link), "trust/dangling.json");
	assert_int_equal(symlink("store/gone.json", link), 0);
	assert_int_equal(open_trusted("trust/dangling.json"), CLERK_EIO);

	/* Links that loop end. */
	path_in(link, sizeof(link), "trust/loop.json");
	assert_int_equal(symlink("loop.json", link), 0);
	assert_int_equal(open_trusted("trust/loop.json"), CLERK_EPERM);

	/* Not a regular file. */
	assert_int_equal(open_trusted("trust/store"), CLERK_EPERM);
	path_in(path, sizeof(path), "trust/store/fifo.json");
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(5);
	assert_int_equal(open_trusted("trust/store/fifo.json"), CLERK_EPERM);
	alarm(0);

	if (geteuid() != 0)
		return;
	/* Owned by someone else: the file, a directory, a link. */
	path_in(path, sizeof(path), "trust/store/config.json");
	assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), CLERK_EPERM);
	assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	path_in(dir, sizeof(dir), "trust/store");
	assert_int_equal(chown(dir, 65534, (gid_t)-1), 0);
	assert_int_equal(open_trusted("trust/store/config.json"), CLERK_EPERM);
	assert_int_equal(chown(dir, 0, (gid_t)-1), 0);
	path_in(link, sizeof(link), "trust/link.json");
	assert_int_equal(lchown(link, 65534, (gid_t)-1), 0);
	assert_int_equal(open_trusted("trust/link.json"), CLERK_EPERM);
	assert_int_equal(open_trusted("trust/store/config.json"), 0);
}

/* As uid @uid in a child: file_open_trusted(@rel) (under tmpdir). */
static int
open_trusted_as(uid_t uid, const char *rel)
{
	pid_t pid;
	int status;

	assert_true((pid = fork()) >= 0);
	if (pid == 0) {
		if (setgid(65534) || setuid(uid))
			_exit(100);
		switch (open_trusted(rel)) {
		case 0:
			_exit(0);
		case CLERK_EPERM:
			_exit(1);
		default:
			_exit(2);
		}
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/*
 * Root's files are trusted by every user: a home-manager link from the
 * user's config dir into a Nix store (root's files, 0444, in root's
 * directories under a sticky, group-writable /nix/store) is accepted;
 * another user's file is not. Needs root to build, a user to check.
 */
static void
test_open_trusted_root_files(void **state)
{
	static const char *const dirs[][2] = {
	        {"nix", "0755"},
	        {"nix/store", "1775"},
	        {"nix/store/abc-hm", "0755"},
	        {"home", "0755"},
	};
	char path[512], link[512];
	size_t i;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(chmod(tmpdir, 0755), 0);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		path_in(path, sizeof(path), dirs[i][0]);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_int_equal(
		        chmod(path, (mode_t)strtol(dirs[i][1], NULL, 8)), 0);
	}
	make_file("nix/store/abc-hm/config.json", 0444);
	path_in(path, sizeof(path), "nix/store/abc-hm");
	assert_int_equal(chmod(path, 0555), 0);
	path_in(path, sizeof(path), "home");
	assert_int_equal(chown(path, 65534, 65534), 0);
	path_in(link, sizeof(link), "home/config.json");
	path_in(path, sizeof(path), "nix/store/abc-hm/config.json");
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	make_file("other.json", 0644);
	path_in(path, sizeof(path), "other.json");
	assert_int_equal(chown(path, 65533, 65533), 0);

	assert_int_equal(open_trusted_as(65534, "nix/store/abc-hm/config.json"),
	                 0);
	assert_int_equal(open_trusted_as(65534, "home/config.json"), 0);
	assert_int_equal(open_trusted_as(65534, "other.json"), 1);
	/* The link, not root's, in another user's directory: refused. */
	assert_int_equal(open_trusted_as(65533, "home/config.json"), 1);
	path_in(path, sizeof(path), "nix/store/abc-hm");
	assert_int_equal(chmod(path, 0755), 0);
	assert_int_equal(chmod(tmpdir, 0700), 0);
}

/* What one stat() checks, for the compiled config's fast path. */
static void
test_stat_trusted(void **state)
{
	char path[512];
	struct stat st;

	(void)state;
	make_file("stat.json", 0644);
	path_in(path, sizeof(path), "stat.json");
	assert_int_equal(file_stat_trusted(path, &st), 0);
	assert_int_equal(chmod(path, 0646), 0);
	assert_int_equal(file_stat_trusted(path, &st), -1);
	assert_int_equal(chmod(path, 0644), 0);
	path_in(path, sizeof(path), "nothing.json");
	assert_int_equal(file_stat_trusted(path, &st), -1);
	path_in(path, sizeof(path), ".");
	assert_int_equal(file_stat_trusted(path, &st), -1);
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
	        cmocka_unit_test(test_read_fresh),
	        cmocka_unit_test(test_lax_file_refused),
	        cmocka_unit_test(test_lax_dir_refused),
	        cmocka_unit_test(test_symlink_refused),
	        cmocka_unit_test(test_fifo_refused_without_blocking),
	        cmocka_unit_test(test_dir_check_private),
	        cmocka_unit_test(test_open_trusted),
	        cmocka_unit_test(test_open_trusted_root_files),
	        cmocka_unit_test(test_stat_trusted),
	        cmocka_unit_test(test_stale_temp_files_swept),
	        cmocka_unit_test(test_killed_writers_do_not_pile_up),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
