/*
 * Unit tests: gitcmd.c (git's credential-helper actions get, store and
 * erase), driven through gitcmd_get(), gitcmd_store() and gitcmd_erase()
 * with git's request on stdin and a token in the runtime cache. The
 * parser itself is test_gitproto.c's; the real binary through its git
 * alias is the fastpath integration suite's, real git the git suite's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "cmdrun.h"
#include "error.h"
#include "gitcmd.h"
#include "protoparse.h"
#include "util.h"

#define TOKEN   "tok-git"
#define EXPIRES 1900000000
#define HOSTS   "git.example.test,*.corp.example.test"
#define ANSWER                                  \
	"username=oauth2\npassword=" TOKEN "\n" \
	"password_expiry_utc=1900000000\n"

static int
setup(void **state)
{
	(void)state;
	if (cmdrun_setup(HOSTS))
		return -1;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

/* git's get with @options and request @in; stdout and stderr. */
static int
get(const char *const *options, const char *in, const char **out,
    const char **err)
{
	return cmdrun(gitcmd_get, cmdrun_config(options), in, out, err);
}

static void
test_get_answers_hosts_of_the_list(void **state)
{
	static const char *const in[] = {
	        "protocol=https\nhost=git.example.test\n\n",
	        "protocol=https\nhost=a.corp.example.test\npath=x.git\n\n",
	        /* Unknown keys are ignored, as git's own helpers do. */
	        "protocol=https\nhost=git.example.test\nwwwauth[]=Basic\n"
	        "future=1\n\n",
	};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(get(NULL, in[i], &out, &err), 0);
		assert_string_equal(out, ANSWER);
		assert_string_equal(err, "");
	}
}

/* Any other host: nothing on stdout and success, so git moves on. */
static void
test_get_passes_other_hosts(void **state)
{
	static const char *const in[] = {
	        "protocol=https\nhost=other.example.test\n\n",
	        "protocol=http\nhost=git.example.test\n\n",
	        "protocol=https\nhost=corp.example.test\n\n",
	        "protocol=https\nhost=git.example.test:bad\n\n",
	        "protocol=https\n\n",
	};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		assert_int_equal(get(NULL, in[i], &out, &err), 0);
		assert_string_equal(out, "");
		assert_string_equal(err, "");
	}
}

static void
test_get_username(void **state)
{
	static const char *const ci[] = {"--username=ci", NULL};
	const char *out;

	(void)state;
	assert_int_equal(get(NULL,
	                     "protocol=https\nhost=git.example.test\n"
	                     "username=bob\n\n",
	                     &out, NULL),
	                 0);
	assert_non_null(strstr(out, "username=bob\n"));
	assert_int_equal(get(ci, "protocol=https\nhost=git.example.test\n\n",
	                     &out, NULL),
	                 0);
	assert_non_null(strstr(out, "username=ci\n"));
}

/* With capability[]=authtype the token goes as a Bearer credential. */
static void
test_get_authtype(void **state)
{
	static const char *const basic[] = {"--authtype=basic", NULL};
	static const char bearer[] = "capability[]=authtype\nauthtype=Bearer\n"
	                             "credential=" TOKEN "\nephemeral=1\n"
	                             "password_expiry_utc=1900000000\n";
	const char *out;

	(void)state;
	assert_int_equal(get(NULL,
	                     "capability[]=authtype\nprotocol=https\n"
	                     "host=git.example.test\n\n",
	                     &out, NULL),
	                 0);
	assert_string_equal(out, bearer);
	/* A server that offers Basic only gets the password form. */
	assert_int_equal(get(NULL,
	                     "capability[]=authtype\nprotocol=https\n"
	                     "host=git.example.test\n"
	                     "wwwauth[]=Basic realm=\"x\"\n\n",
	                     &out, NULL),
	                 0);
	assert_string_equal(out, ANSWER);
	assert_int_equal(get(basic,
	                     "capability[]=authtype\nprotocol=https\n"
	                     "host=git.example.test\n\n",
	                     &out, NULL),
	                 0);
	assert_string_equal(out, ANSWER);
}

static void
test_get_not_signed_in(void **state)
{
	const char *out, *err;

	(void)state;
	cmdrun_unseed(cmdrun_config(NULL));
	assert_int_equal(get(NULL, "protocol=https\nhost=git.example.test\n\n",
	                     &out, &err),
	                 CLERK_ENOINTERACT);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "clerk-credential: not signed in"));
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
}

/* store keeps nothing: the tokens are stored already. */
static void
test_store_keeps_nothing(void **state)
{
	const char *out, *err;

	(void)state;
	assert_int_equal(cmdrun(gitcmd_store, cmdrun_config(NULL),
	                        "protocol=https\nhost=git.example.test\n"
	                        "username=u\npassword=someone-elses\n\n",
	                        &out, &err),
	                 0);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	assert_int_equal(get(NULL, "protocol=https\nhost=git.example.test\n\n",
	                     &out, NULL),
	                 0);
	assert_string_equal(out, ANSWER);
}

/* erase drops the cached token only when it is the one git rejected. */
static void
test_erase(void **state)
{
	struct config *cfg;
	char *tok = NULL;
	int64_t exp;
	const char *out;

	(void)state;
	cfg = cmdrun_config(NULL);
	assert_int_equal(cmdrun(gitcmd_erase, cfg,
	                        "protocol=https\nhost=git.example.test\n\n",
	                        &out, NULL),
	                 0);
	assert_int_equal(cmdrun(gitcmd_erase, cfg,
	                        "protocol=https\nhost=other.example.test\n"
	                        "password=" TOKEN "\n\n",
	                        &out, NULL),
	                 0);
	assert_int_equal(cmdrun(gitcmd_erase, cfg,
	                        "protocol=https\nhost=git.example.test\n"
	                        "password=an-older-token\n\n",
	                        &out, NULL),
	                 0);
	assert_string_equal(out, "");
	assert_int_equal(cache_read(cfg, &tok, &exp), 0);
	assert_string_equal(tok, TOKEN);
	secret_free(tok);
	tok = NULL;
	cmdrun(gitcmd_erase, cfg,
	       "protocol=https\nhost=git.example.test\npassword=" TOKEN "\n\n",
	       &out, NULL);
	assert_string_equal(out, "");
	assert_int_equal(cache_read(cfg, &tok, &exp), CLERK_ENOTFOUND);
	cmdrun_seed(cfg, TOKEN, EXPIRES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_get_answers_hosts_of_the_list),
	        cmocka_unit_test(test_get_passes_other_hosts),
	        cmocka_unit_test(test_get_username),
	        cmocka_unit_test(test_get_authtype),
	        cmocka_unit_test(test_get_not_signed_in),
	        cmocka_unit_test(test_store_keeps_nothing),
	        cmocka_unit_test(test_erase),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
