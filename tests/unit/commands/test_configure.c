/*
 * Unit tests: configure.c (`configure` and `unconfigure` of git and
 * docker), driven through configure_run() and unconfigure_run() in a
 * temporary HOME: git's global config (through the real git), docker's
 * config.json and the host list of our own config file. The protocols
 * integration suite runs the same through the program, with existing
 * files, links and DOCKER_CONFIG.
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

#include "cmdrun.h"
#include "error.h"
#include "fileio.h"
#include "protocols.h"
#include "util.h"

#define USAGE                                                            \
	"clerk-credential: usage: clerk-credential configure git URL | " \
	"configure docker REGISTRY\n"

static char hosts_file[256], docker_file[256], gitconfig[256];

static int
setup(void **state)
{
	(void)state;
	if (cmdrun_setup(NULL))
		return -1;
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	snprintf(hosts_file, sizeof(hosts_file),
	         "%s/config/clerk-credential/config.json", cmdrun_home());
	snprintf(docker_file, sizeof(docker_file), "%s/.docker/config.json",
	         cmdrun_home());
	snprintf(gitconfig, sizeof(gitconfig), "%s/.gitconfig", cmdrun_home());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unsetenv("GIT_CONFIG_NOSYSTEM");
	return cmdrun_teardown();
}

/* Does @path hold @needle? A missing file holds nothing. */
static bool
file_has(const char *path, const char *needle)
{
	char *text = NULL;
	size_t len;
	bool has;

	if (file_read_limited(path, 1 << 20, &text, &len) != 0)
		return false;
	has = strstr(text, needle) != NULL;
	secret_free(text);
	return has;
}

/* (un)configure @tool @target: stdout and stderr. */
static int
run(bool add, const char *tool, const char *target, const char **out,
    const char **err)
{
	const char *args[] = {tool, target, NULL};

	return cmdrun(add ? configure_run : unconfigure_run,
	              cmdrun_config(args), NULL, out, err);
}

static void
test_docker_round_trip(void **state)
{
	char want[2048];
	const char *out, *err;
	struct stat st;

	(void)state;
	assert_int_equal(run(true, "docker",
	                     "https://Registry.Example.Test:5000/v1/", &out,
	                     &err),
	                 0);
	snprintf(want, sizeof(want),
	         "set credHelpers \"registry.example.test:5000\": \"clerk\" "
	         "in %s\nadded registry.example.test:5000 to the host list "
	         "of %s\n",
	         docker_file, hosts_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
	assert_int_equal(stat(docker_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* Again: nothing to do, and it says so. */
	assert_int_equal(
	        run(true, "docker", "registry.example.test:5000", &out, &err),
	        0);
	snprintf(want, sizeof(want),
	         "%s: credHelpers \"registry.example.test:5000\" is clerk "
	         "already\n",
	         docker_file);
	assert_string_equal(out, want);
	assert_int_equal(
	        run(false, "docker", "registry.example.test:5000", &out, &err),
	        0);
	assert_string_equal(err, "");
	assert_true(file_has(docker_file, "{"));
	assert_false(file_has(docker_file, "registry.example.test"));
	assert_false(file_has(hosts_file, "registry.example.test"));
}

static void
test_git_round_trip(void **state)
{
	char want[2048];
	const char *out, *err;

	(void)state;
	assert_int_equal(
	        run(true, "git", "https://git.example.test/org/", &out, &err),
	        0);
	snprintf(want, sizeof(want),
	         "set git config --global credential.https://git.example.test"
	         "/org/.helper clerk\nadded git.example.test to the host list "
	         "of %s\n",
	         hosts_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
	assert_true(file_has(gitconfig, "helper = clerk"));
	assert_int_equal(
	        run(false, "git", "https://git.example.test/org/", &out, &err),
	        0);
	snprintf(want, sizeof(want),
	         "removed git config --global credential.https://"
	         "git.example.test/org/.helper\nremoved git.example.test from "
	         "the host list of %s\n",
	         hosts_file);
	assert_string_equal(out, want);
	assert_false(file_has(gitconfig, "helper = clerk"));
	assert_false(file_has(hosts_file, "git.example.test"));
}

static void
test_refusals(void **state)
{
	static const char *const usage[][3] = {
	        {NULL},
	        {"git", NULL},
	        {"svn", "https://x.example", NULL},
	        {"git", "https://x.example", "extra"},
	};
	static const struct {
		const char *tool, *target, *err;
	} refused[] = {
	        {"git", "http://git.example.test",
	         "clerk-credential: configure git: refusing "
	         "'http://git.example.test': a token never travels over "
	         "plain http off this machine\n"},
	        {"git", "git.example.test",
	         "clerk-credential: configure git: 'git.example.test' is not "
	         "an https URL such as https://git.example.com\n"},
	        {"docker", "*.example.test",
	         "clerk-credential: configure docker: '*.example.test' is "
	         "not a registry such as registry.example.com\n"},
	        {"git", "https://x.example/a b",
	         "clerk-credential: configure: 'https://x.example/a b' holds "
	         "a blank or a control character\n"},
	};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
		const char *args[] = {usage[i][0], usage[i][1], usage[i][2],
		                      NULL};

		assert_int_equal(cmdrun(configure_run, cmdrun_config(args),
		                        NULL, &out, &err),
		                 CLERK_ECONFIG);
		assert_string_equal(out, "");
		assert_string_equal(err, USAGE);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(run(true, refused[i].tool, refused[i].target,
		                     &out, &err),
		                 CLERK_ECONFIG);
		assert_string_equal(out, "");
		assert_string_equal(err, refused[i].err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_docker_round_trip),
	        cmocka_unit_test(test_git_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
