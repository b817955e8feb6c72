/*
 * Unit tests: dockercmd.c (the docker credential-helper protocol),
 * driven through dockercmd_run() with the request on stdin and a token
 * in the runtime cache. Every answer is compared byte for byte: docker
 * matches the not-found text exactly. The exact transcripts through the
 * program and its alias are in the protocols integration suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdrun.h"
#include "error.h"
#include "protocols.h"

#define TOKEN     "tok-docker"
#define EXPIRES   1900000000
#define HOSTS     "registry.example.test,127.0.0.1:5000,*.corp.example.test"
#define NOT_FOUND "credentials not found in native keychain\n"
#define NO_URL    "no credentials server URL\n"
#define USAGE     "Usage: docker-credential-clerk <store|get|erase|list|version>\n"

static const char *const get_args[] = {"get", NULL};
static const char *const store_args[] = {"store", NULL};
static const char *const erase_args[] = {"erase", NULL};
static const char *const list_args[] = {"list", NULL};

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

/* Run docker @args with @in; check stdout, and stderr unless NULL. */
static int
docker(const char *const *args, const char *in, const char *want_out,
       const char *want_err)
{
	const char *out, *err;
	int r = cmdrun(dockercmd_run, cmdrun_config(args), in, &out, &err);

	assert_string_equal(out, want_out);
	if (want_err)
		assert_string_equal(err, want_err);
	return r;
}

static void
test_get_server_url_forms(void **state)
{
	/* (stdin, ServerURL echoed back) */
	static const struct {
		const char *in, *url;
	} cases[] = {
	        {"registry.example.test\n", "registry.example.test"},
	        {"https://registry.example.test/v1/\n",
	         "https://registry.example.test/v1/"},
	        {"registry.example.test/team/app\n",
	         "registry.example.test/team/app"},
	        {"  Registry.Example.Test \r\n", "Registry.Example.Test"},
	        {"http://127.0.0.1:5000\n", "http://127.0.0.1:5000"},
	        {"a.corp.example.test/x\n", "a.corp.example.test/x"},
	};
	char want[512];
	size_t i;

	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want),
		         "{\"ServerURL\":\"%s\",\"Username\":\"oauth2\","
		         "\"Secret\":\"" TOKEN "\"}\n",
		         cases[i].url);
		assert_int_equal(docker(get_args, cases[i].in, want, ""), 0);
	}
	cmdrun_unseed(cmdrun_config(NULL));
}

static void
test_get_host_rule(void **state)
{
	static const char *const in[] = {
	        "other.example.test\n",
	        "registry.example.test.evil.example\n",
	        "corp.example.test\n",
	        "127.0.0.1:5001\n",
	        /* A bearer token never travels in clear text. */
	        "http://registry.example.test\n",
	        "https://registry.example.test@evil.example/\n",
	};
#define NUL_CASE(s)              \
	{                        \
		s, sizeof(s) - 1 \
	}
	static const struct {
		const char *in;
		size_t len;
	} nul[] = {
	        NUL_CASE("registry.example.test\0.evil.example\n"),
	        NUL_CASE("registry.example.test\0\n"),
	        NUL_CASE("https://registry.example.test\0@evil.example/\n"),
	};
	size_t i;

	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		assert_int_equal(docker(get_args, in[i], NOT_FOUND, ""),
		                 CLERK_ENOTFOUND);
	/* A NUL would end the URL early here, not for its sender. */
	for (i = 0; i < sizeof(nul) / sizeof(nul[0]); i++) {
		const char *out;

		assert_int_equal(
		        cmdrun_bytes(dockercmd_run, cmdrun_config(get_args),
		                     nul[i].in, nul[i].len, &out, NULL),
		        CLERK_ENOTFOUND);
		assert_string_equal(out, NOT_FOUND);
	}
	cmdrun_unseed(cmdrun_config(NULL));
}

static void
test_get_without_url_or_sign_in(void **state)
{
	(void)state;
	assert_int_equal(docker(get_args, "", NO_URL, ""), CLERK_EPROTO);
	assert_int_equal(docker(get_args, "  \r\n\t\n", NO_URL, ""),
	                 CLERK_EPROTO);
	assert_int_not_equal(
	        docker(get_args, "registry.example.test\n",
	               "clerk-credential: not signed in, and sign-in is "
	               "disabled here (run `clerk-credential login` first)\n",
	               NULL),
	        0);
}

static void
test_store_keeps_nothing(void **state)
{
	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	/* Ours: stored already, nothing to do (docker login stores back). */
	assert_int_equal(docker(store_args,
	                        "{\"ServerURL\":\"registry.example.test\","
	                        "\"Username\":\"oauth2\",\"Secret\":\"" TOKEN
	                        "\"}",
	                        "", ""),
	                 0);
	assert_int_equal(
	        docker(store_args,
	               "{\"ServerURL\":\"registry.example.test\","
	               "\"Username\":\"oauth2\",\"Secret\":\"not-ours\"}",
	               "clerk-credential: not storing a credential it did "
	               "not issue (sign in with `clerk-credential login`; "
	               "docker login is not needed)\n",
	               ""),
	        CLERK_EPROTO);
	assert_int_equal(
	        docker(store_args,
	               "{\"ServerURL\":\"other.example.test\","
	               "\"Username\":\"oauth2\",\"Secret\":\"" TOKEN "\"}",
	               "clerk-credential: not storing credentials for a host "
	               "outside the host list (clerk-credential keeps no "
	               "credentials but its own)\n",
	               ""),
	        CLERK_EPROTO);
	assert_int_equal(docker(store_args,
	                        "{\"Username\":\"u\",\"Secret\":\"s\"}", NO_URL,
	                        ""),
	                 CLERK_EPROTO);
	assert_int_equal(docker(store_args,
	                        "{\"ServerURL\":\"registry.example.test\","
	                        "\"Secret\":\"s\"}",
	                        "no credentials username\n", ""),
	                 CLERK_EPROTO);
	assert_int_equal(docker(store_args, "[1]",
	                        "clerk-credential: the credentials on stdin "
	                        "are not a JSON object of strings\n",
	                        ""),
	                 CLERK_EPROTO);
	cmdrun_unseed(cmdrun_config(NULL));
}

/* One sign-in serves every registry: erase is a logout. */
static void
test_erase_is_a_logout(void **state)
{
	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	assert_int_equal(
	        docker(erase_args, "other.example.test\n", NOT_FOUND, ""),
	        CLERK_ENOTFOUND);
	assert_int_equal(docker(erase_args, "\n", NO_URL, ""), CLERK_EPROTO);
	assert_true(proto_signed_in(cmdrun_config(NULL)));
	assert_int_equal(
	        docker(erase_args, "https://registry.example.test/v1/\n", "",
	               "clerk-credential: not signed in to " CMDRUN_ISSUER
	               " (profile default): nothing to remove\n"),
	        0);
	assert_false(proto_signed_in(cmdrun_config(NULL)));
	assert_int_equal(
	        docker(erase_args, "registry.example.test\n", NOT_FOUND, ""),
	        CLERK_ENOTFOUND);
}

static void
test_list(void **state)
{
	static const char *const options[] = {"--username=ci",
	                                      "--host=b.example.test",
	                                      "--host=a.example.test",
	                                      "--host=a.example.test",
	                                      "list",
	                                      NULL};

	(void)state;
	assert_int_equal(docker(list_args, "", "{}\n", ""), 0);
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	/* The exact hosts of the list, sorted, no pattern. */
	assert_int_equal(docker(list_args, "",
	                        "{\"127.0.0.1:5000\":\"oauth2\","
	                        "\"registry.example.test\":\"oauth2\"}\n",
	                        ""),
	                 0);
	assert_int_equal(docker(options, "",
	                        "{\"a.example.test\":\"ci\","
	                        "\"b.example.test\":\"ci\"}\n",
	                        ""),
	                 0);
	cmdrun_unseed(cmdrun_config(NULL));
}

static void
test_version_and_usage(void **state)
{
	static const char *const version[] = {"version", NULL};
	static const char *const extra[] = {"get", "extra", NULL};
	static const char *const frob[] = {"frob", NULL};

	(void)state;
	assert_int_equal(
	        docker(version, "",
	               "docker-credential-clerk (clerk-credential) " CLERK_VERSION
	               "\n",
	               ""),
	        0);
	assert_int_equal(docker(NULL, "", USAGE, ""), CLERK_EPROTO);
	assert_int_equal(docker(extra, "", USAGE, ""), CLERK_EPROTO);
	assert_int_equal(
	        docker(frob, "", "Unknown credential action `frob`\n", ""),
	        CLERK_EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_server_url_forms),
	        cmocka_unit_test(test_get_host_rule),
	        cmocka_unit_test(test_get_without_url_or_sign_in),
	        cmocka_unit_test(test_store_keeps_nothing),
	        cmocka_unit_test(test_erase_is_a_logout),
	        cmocka_unit_test(test_list),
	        cmocka_unit_test(test_version_and_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
