/*
 * Unit tests: paths.c (the XDG directories, their fallbacks under the
 * home directory, the runtime dir's checks and the key files are named
 * after).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "error.h"
#include "paths.h"
#include "tmptree.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[] = "/tmp/clerk-test-paths-XXXXXX";

/* "<tmpdir>/<rel>" in a static buffer (one of two, used in turn). */
static const char *
under(const char *rel)
{
	static char buf[2][512];
	static int which;

	which = !which;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", tmpdir, rel);
	return buf[which];
}

static void
env_clear(void)
{
	unsetenv("XDG_CONFIG_HOME");
	unsetenv("XDG_STATE_HOME");
	unsetenv("XDG_RUNTIME_DIR");
	setenv("HOME", under("home"), 1);
}

static int
setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	return st.st_mode & 07777;
}

static void
test_config_file(void **state)
{
	static const struct {
		const char *xdg; /* NULL: unset */
		const char *want;
	} cases[] = {
	        {"/etc/xdg", "/etc/xdg/clerk-credential/config.json"},
	        {"/", "//clerk-credential/config.json"},
	        /* Not absolute: ignored, as the XDG spec says. */
	        {"relative/dir", NULL},
	        {"", NULL},
	        {NULL, NULL},
	};
	char *path, want[600];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		env_clear();
		if (cases[i].xdg)
			setenv("XDG_CONFIG_HOME", cases[i].xdg, 1);
		snprintf(want, sizeof(want), "%s",
		         cases[i].want ? cases[i].want
		                       : under("home/.config/clerk-credential/"
		                               "config.json"));
		path = NULL;
		assert_int_equal(paths_config_file(&path), 0);
		assert_string_equal(path, want);
		free(path);
	}
}

/* A HOME that is not absolute is not used: the password entry is. */
static void
test_home_fallback(void **state)
{
	struct passwd *pw = getpwuid(geteuid());
	char *path = NULL, want[600];

	(void)state;
	if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
		skip();
	snprintf(want, sizeof(want), "%s/.config/clerk-credential/config.json",
	         pw->pw_dir);
	env_clear();
	setenv("HOME", "not/absolute", 1);
	assert_int_equal(paths_config_file(&path), 0);
	assert_string_equal(path, want);
	free(path);
	path = NULL;
	unsetenv("HOME");
	assert_int_equal(paths_config_file(&path), 0);
	assert_string_equal(path, want);
	free(path);
}

static void
test_state_dir(void **state)
{
	char *dir = NULL;

	(void)state;
	env_clear();
	setenv("XDG_STATE_HOME", under("state"), 1);
	assert_int_equal(paths_state_dir(&dir), 0);
	assert_string_equal(dir, under("state/clerk-credential"));
	assert_int_equal(mode_of(dir), 0700);
	free(dir);
	dir = NULL;
	/* Unset: under the home dir, parents created. */
	unsetenv("XDG_STATE_HOME");
	assert_int_equal(paths_state_dir(&dir), 0);
	assert_string_equal(dir, under("home/.local/state/clerk-credential"));
	assert_int_equal(mode_of(dir), 0700);
	free(dir);
	dir = NULL;
	/* Relative: ignored. */
	setenv("XDG_STATE_HOME", "state", 1);
	assert_int_equal(paths_state_dir(&dir), 0);
	assert_string_equal(dir, under("home/.local/state/clerk-credential"));
	free(dir);
}

static void
test_runtime_dir(void **state)
{
	char *dir = NULL;

	(void)state;
	env_clear();
	setenv("XDG_RUNTIME_DIR", under("run"), 1);
	assert_int_equal(mkdir(under("run"), 0700), 0);
	/* Reading a missing one is fine and creates nothing. */
	assert_int_equal(paths_runtime_dir(&dir, PATHS_READ), 0);
	assert_string_equal(dir, under("run/clerk-credential"));
	assert_int_equal(access(dir, F_OK), -1);
	free(dir);
	dir = NULL;
	assert_int_equal(paths_runtime_dir(&dir, PATHS_CREATE), 0);
	assert_string_equal(dir, under("run/clerk-credential"));
	assert_int_equal(mode_of(dir), 0700);
	free(dir);
	dir = NULL;
	assert_int_equal(paths_runtime_dir(&dir, PATHS_READ), 0);
	free(dir);
}

/* Without a usable XDG_RUNTIME_DIR the state dir stands in. */
static void
test_runtime_fallback(void **state)
{
	static const char *const values[] = {NULL, "", "run"};
	char *dir;
	size_t i;

	(void)state;
	for (i = 0; i < N(values); i++) {
		tmptree_remove(under("home"));
		env_clear();
		if (values[i])
			setenv("XDG_RUNTIME_DIR", values[i], 1);
		dir = NULL;
		assert_int_equal(paths_runtime_dir(&dir, PATHS_READ), 0);
		assert_string_equal(
		        dir, under("home/.local/state/clerk-credential"));
		assert_int_equal(access(dir, F_OK), -1);
		free(dir);
		dir = NULL;
		assert_int_equal(paths_runtime_dir(&dir, PATHS_CREATE), 0);
		assert_string_equal(
		        dir, under("home/.local/state/clerk-credential"));
		assert_int_equal(mode_of(dir), 0700);
		free(dir);
	}
}

static int lax_result;

static void
lax_read(void *arg)
{
	char *dir = NULL;

	lax_result = paths_runtime_dir(&dir, *(const int *)arg);
	assert_null(dir);
}

/* A runtime dir others may use is refused, loudly unless PATHS_QUIET. */
static void
test_runtime_lax(void **state)
{
	static const int uses[] = {PATHS_READ, PATHS_CREATE, PATHS_QUIET};
	const char *err;
	size_t i;

	(void)state;
	env_clear();
	setenv("XDG_RUNTIME_DIR", under("laxrun"), 1);
	assert_int_equal(mkdir(under("laxrun"), 0755), 0);
	assert_int_equal(mkdir(under("laxrun/clerk-credential"), 0700), 0);
	assert_int_equal(chmod(under("laxrun/clerk-credential"), 0755), 0);
	for (i = 0; i < N(uses); i++) {
		err = capture_stderr(lax_read, (void *)&uses[i]);
		assert_int_equal(lax_result, CLERK_EPERM);
		if (uses[i] == PATHS_QUIET)
			assert_string_equal(err, "");
		else
			assert_non_null(strstr(err, "clerk-credential: "));
	}
	assert_int_equal(mode_of(under("laxrun/clerk-credential")), 0755);
}

static void
test_join(void **state)
{
	char *p = NULL;

	(void)state;
	assert_int_equal(paths_join("/a/b", "c.json", &p), 0);
	assert_string_equal(p, "/a/b/c.json");
	free(p);
}

static void
test_key(void **state)
{
	static const struct {
		struct paths_owner owner;
		const char *key;
	} cases[] = {
	        /* FNV-1a 64 of "<issuer>\n<client id>". */
	        {{"https://a.example", "c1", "default"},
	         "default-4c9003b7c6182219"},
	        {{"", "", "work"}, "work-af63c74c8601c8dd"},
	        {{NULL, NULL, "work"}, "work-af63c74c8601c8dd"},
	};
	static const struct paths_owner others[] = {
	        {"https://a.example", "c1", "default"},
	        {"https://a.example", "c2", "default"},
	        {"https://b.example", "c1", "default"},
	        {"https://a.example", "c1", "work"},
	        {"https://a.example/", "c1", "default"},
	        {"https://a.example", "", "default"},
	        {"https://a.examplec1", "", "default"},
	};
	char *keys[N(others)], *k;
	size_t i, j;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		k = NULL;
		assert_int_equal(paths_key(&cases[i].owner, &k), 0);
		assert_string_equal(k, cases[i].key);
		free(k);
	}
	/* Every part of the owner counts. */
	for (i = 0; i < N(others); i++)
		assert_int_equal(paths_key(&others[i], &keys[i]), 0);
	for (i = 0; i < N(others); i++)
		for (j = i + 1; j < N(others); j++)
			assert_string_not_equal(keys[i], keys[j]);
	for (i = 0; i < N(others); i++)
		free(keys[i]);
}

static void
test_key_path(void **state)
{
	static const struct paths_owner owner = {"https://a.example", "c1",
	                                         "default"};
	static const struct {
		const char *prefix, *suffix, *path;
	} cases[] = {
	        {"", ".lock", "/run/x/default-4c9003b7c6182219.lock"},
	        {"", ".token", "/run/x/default-4c9003b7c6182219.token"},
	        {"discovery-", ".json",
	         "/run/x/discovery-default-4c9003b7c6182219.json"},
	};
	char *p;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		p = NULL;
		assert_int_equal(paths_key_path(&owner, "/run/x",
		                                cases[i].prefix,
		                                cases[i].suffix, &p),
		                 0);
		assert_string_equal(p, cases[i].path);
		free(p);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_config_file),
	        cmocka_unit_test(test_home_fallback),
	        cmocka_unit_test(test_state_dir),
	        cmocka_unit_test(test_runtime_dir),
	        cmocka_unit_test(test_runtime_fallback),
	        cmocka_unit_test(test_runtime_lax),
	        cmocka_unit_test(test_join),
	        cmocka_unit_test(test_key),
	        cmocka_unit_test(test_key_path),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
