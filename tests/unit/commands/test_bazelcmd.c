/*
 * Unit tests: bazelcmd.c (`clerk-credential bazel get`), driven through
 * bazelcmd_run() with the request on stdin and a token in the runtime
 * cache. The exact transcripts through the program are in the protocols
 * integration suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cmdrun.h"
#include "error.h"
#include "protocols.h"
#include "util.h"

#define TOKEN   "tok-bazel"
#define EXPIRES 1900000000 /* 2030-03-17T17:46:40Z */
#define HOSTS   "registry.example.test,127.0.0.1:5000,*.corp.example.test"

static int
setup(void **state)
{
	(void)state;
	return cmdrun_setup(HOSTS);
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

static const char *const get_args[] = {"get", NULL};

static void
test_get_answers_hosts_of_the_list(void **state)
{
	static const char *const uris[] = {
	        "https://registry.example.test/v2/blobs/x",
	        "grpcs://cache.corp.example.test:443",
	        "http://127.0.0.1:5000/file.tar.gz",
	};
	struct config *cfg = cmdrun_config(get_args);
	const char *out, *err;
	char in[256];
	size_t i;

	(void)state;
	cmdrun_seed(cfg, TOKEN, EXPIRES);
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		snprintf(in, sizeof(in), "{\"uri\":\"%s\"}", uris[i]);
		assert_int_equal(cmdrun(bazelcmd_run, cfg, in, &out, &err), 0);
		assert_string_equal(out, "{\"headers\":{\"Authorization\":"
		                         "[\"Bearer " TOKEN "\"]},"
		                         "\"expires\":\"2030-03-17T17:46:40Z\"}"
		                         "\n");
		assert_string_equal(err, "");
	}
	cmdrun_unseed(cfg);
}

/* Any other URI gets {}: Bazel goes on without credentials. */
static void
test_get_other_hosts_get_nothing(void **state)
{
	static const char *const uris[] = {
	        "https://other.example.test/x",
	        "http://registry.example.test/x",
	        "grpc://cache.corp.example.test",
	        "registry.example.test/x",
	        "file:///etc/passwd",
	};
	struct config *cfg = cmdrun_config(get_args);
	const char *out, *err;
	char in[256];
	size_t i;

	(void)state;
	cmdrun_seed(cfg, TOKEN, EXPIRES);
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		snprintf(in, sizeof(in), "{\"uri\":\"%s\"}", uris[i]);
		assert_int_equal(cmdrun(bazelcmd_run, cfg, in, &out, &err), 0);
		assert_string_equal(out, "{}\n");
		assert_string_equal(err, "");
	}
	cmdrun_unseed(cfg);
}

static void
test_get_refuses_bad_requests(void **state)
{
	static const char *const bad[] = {
	        "",
	        "{}",
	        "{\"uri\": 3}",
	        "[",
	        "{\"url\":\"https://x.example\"}",
	        /* Bazel would read the last: read two ways, refused. */
	        "{\"uri\":\"https://registry.example.test/\","
	        "\"uri\":\"https://evil.example/\"}",
	        "{\"uri\":\"https://registry.example.test/\\u0000x\"}",
	};
	struct config *cfg = cmdrun_config(get_args);
	const char *out, *err;
	size_t i;

	(void)state;
	cmdrun_seed(cfg, TOKEN, EXPIRES);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(
		        cmdrun(bazelcmd_run, cfg, bad[i], &out, &err), 0);
		assert_string_equal(out, "");
		assert_string_equal(err, "clerk-credential: bazel get: "
		                         "expected {\"uri\": \"https://...\"} "
		                         "on stdin\n");
	}
	cmdrun_unseed(cfg);
}

static void
test_get_not_signed_in(void **state)
{
	struct config *cfg = cmdrun_config(get_args);
	const char *out, *err;

	(void)state;
	assert_int_equal(cmdrun(bazelcmd_run, cfg,
	                        "{\"uri\":\"https://registry.example.test/\"}",
	                        &out, &err),
	                 CLERK_ENOINTERACT);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "clerk-credential: not signed in"));
}

static void
test_usage(void **state)
{
	static const char *const store[] = {"store", NULL};
	const char *out, *err;

	(void)state;
	assert_int_equal(
	        cmdrun(bazelcmd_run, cmdrun_config(NULL), "", &out, &err),
	        CLERK_ECONFIG);
	assert_string_equal(out, "");
	assert_string_equal(err, "clerk-credential: usage: clerk-credential "
	                         "bazel get (a Bazel credential helper: "
	                         "{\"uri\": ...} on stdin)\n");
	assert_int_equal(
	        cmdrun(bazelcmd_run, cmdrun_config(store), "", &out, &err),
	        CLERK_ECONFIG);
	assert_string_equal(err, "clerk-credential: bazel: unknown command "
	                         "'store' (Bazel calls `get`; see "
	                         "clerk-credential(1))\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_answers_hosts_of_the_list),
	        cmocka_unit_test(test_get_other_hosts_get_nothing),
	        cmocka_unit_test(test_get_refuses_bad_requests),
	        cmocka_unit_test(test_get_not_signed_in),
	        cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
