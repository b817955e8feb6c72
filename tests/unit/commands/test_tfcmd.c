/*
 * Unit tests: tfcmd.c (Terraform's credentials helper protocol: get,
 * store and forget HOST), driven through tfcmd_run() with a token in
 * the runtime cache. The exact transcripts through the program and its
 * alias are in the protocols integration suite.
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

#define TOKEN   "tok-terraform"
#define EXPIRES 1900000000
#define HOSTS   "registry.example.test,127.0.0.1:5000,*.corp.example.test"
#define REFUSAL                                                           \
	"clerk-credential: terraform store: not storing a token for %s: " \
	"clerk-credential keeps only the tokens of its own sign-in (run " \
	"`clerk-credential login`; `terraform login` is not needed)\n"
#define USAGE                                                             \
	"clerk-credential: usage: terraform-credentials-clerk [options] " \
	"get|store|forget HOST\n"

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

/* terraform ACTION HOST with @in; check stdout and stderr. */
static int
tf(const char *action, const char *host, const char *in, const char *want_out,
   const char *want_err)
{
	const char *args[] = {action, host, NULL};
	const char *out, *err;
	int r = cmdrun(tfcmd_run, cmdrun_config(args), in, &out, &err);

	assert_string_equal(out, want_out);
	assert_string_equal(err, want_err);
	return r;
}

static void
test_get(void **state)
{
	static const char *const ours[] = {"registry.example.test",
	                                   "app.corp.example.test",
	                                   "127.0.0.1:5000"};
	static const char *const others[] = {
	        "app.terraform.io", "corp.example.test", "127.0.0.1:5001"};
	static const char *const bad[] = {
	        "not a host", "registry.example.test/x", "https://x.example"};
	char want[256];
	size_t i;

	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		assert_int_equal(tf("get", ours[i], "",
		                    "{\"token\":\"" TOKEN "\"}\n", ""),
		                 0);
	/* Not ours: no credentials, and Terraform goes on without. */
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		assert_int_equal(tf("get", others[i], "", "{}\n", ""), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(want, sizeof(want),
		         "clerk-credential: terraform: '%s' is not a host "
		         "name\n",
		         bad[i]);
		assert_int_not_equal(tf("get", bad[i], "", "", want), 0);
	}
	cmdrun_unseed(cmdrun_config(NULL));
	assert_int_equal(tf("get", "registry.example.test", "", "",
	                    "clerk-credential: not signed in, and sign-in is "
	                    "disabled here (run `clerk-credential login` in "
	                    "a terminal first)\n"),
	                 CLERK_ENOINTERACT);
}

static void
test_store_keeps_only_its_own(void **state)
{
	static const char *const bad[] = {"", "[]", "{\"token\":1}", "{"};
	char want[512];
	size_t i;

	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	assert_int_equal(tf("store", "registry.example.test",
	                    "{\"token\":\"" TOKEN "\"}", "", ""),
	                 0);
	snprintf(want, sizeof(want), REFUSAL, "registry.example.test");
	assert_int_not_equal(tf("store", "registry.example.test",
	                        "{\"token\":\"theirs\"}", "", want),
	                     0);
	snprintf(want, sizeof(want), REFUSAL, "app.terraform.io");
	assert_int_not_equal(tf("store", "app.terraform.io",
	                        "{\"token\":\"" TOKEN "\"}", "", want),
	                     0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(
		        tf("store", "registry.example.test", bad[i], "",
		           "clerk-credential: terraform store: expected a "
		           "JSON object such as {\"token\": \"...\"} on "
		           "stdin\n"),
		        0);
	cmdrun_unseed(cmdrun_config(NULL));
}

/* forget of a host of the list signs out; of another, nothing. */
static void
test_forget(void **state)
{
	(void)state;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	assert_int_equal(tf("forget", "app.terraform.io", "", "", ""), 0);
	assert_true(proto_signed_in(cmdrun_config(NULL)));
	assert_int_equal(tf("forget", "registry.example.test", "", "",
	                    "clerk-credential: not signed in to " CMDRUN_ISSUER
	                    " (profile default): nothing to remove\n"),
	                 0);
	assert_false(proto_signed_in(cmdrun_config(NULL)));
	assert_int_equal(tf("forget", "registry.example.test", "", "", ""), 0);
}

static void
test_usage(void **state)
{
	static const char *const none[] = {NULL};
	static const char *const get[] = {"get", NULL};
	static const char *const two[] = {"get", "a.example", "b.example",
	                                  NULL};
	static const char *const *const cases[] = {none, get, two};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cmdrun(tfcmd_run, cmdrun_config(cases[i]), "",
		                        &out, &err),
		                 CLERK_ECONFIG);
		assert_string_equal(out, "");
		assert_string_equal(err, USAGE);
	}
	assert_int_equal(tf("list", "registry.example.test", "", "",
	                    "clerk-credential: terraform: unknown action "
	                    "'list' (expected get, store or forget)\n"),
	                 CLERK_ECONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_store_keeps_only_its_own),
	        cmocka_unit_test(test_forget),
	        cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
