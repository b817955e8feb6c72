/* Unit tests: cache.c (runtime access-token cache); lock.c has its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "config.h"
#include "error.h"
#include "fixture.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-cache-XXXXXX";
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

static void
test_roundtrip(void **state)
{
	char *tok = NULL;
	int64_t exp = 0;

	(void)state;
	assert_int_equal(cache_read(&cfg, &tok, &exp), CLERK_ENOTFOUND);
	assert_int_equal(cache_write(&cfg, "token-1", 1900000000), 0);
	assert_int_equal(cache_read(&cfg, &tok, &exp), 0);
	assert_string_equal(tok, "token-1");
	assert_int_equal(exp, 1900000000);
	secret_free(tok);

	/* Another profile or client never reads this entry. */
	str_set(&cfg.profile, "work");
	assert_int_equal(cache_read(&cfg, &tok, &exp), CLERK_ENOTFOUND);
	str_set(&cfg.profile, "default");
	str_set(&cfg.issuer, "https://other.example.com");
	assert_int_equal(cache_read(&cfg, &tok, &exp), CLERK_ENOTFOUND);
	str_set(&cfg.issuer, "https://clerk.example.com");

	/* A token with a newline cannot be cached (it would split lines). */
	assert_int_equal(cache_write(&cfg, "a\nb", 1), CLERK_EPROTO);
}

static void
test_drop_only_if(void **state)
{
	char *tok = NULL;
	int64_t exp = 0;

	(void)state;
	assert_int_equal(cache_write(&cfg, "new-token", 1900000000), 0);
	/* An erase of an older token keeps the newer one. */
	assert_int_equal(cache_drop(&cfg, "old-token"), 0);
	assert_int_equal(cache_read(&cfg, &tok, &exp), 0);
	assert_string_equal(tok, "new-token");
	secret_free(tok);
	assert_int_equal(cache_drop(&cfg, "new-token"), 0);
	assert_int_equal(cache_read(&cfg, &tok, &exp), CLERK_ENOTFOUND);
	assert_int_equal(cache_drop(&cfg, NULL), 0);
}

static void
test_lax_permissions(void **state)
{
	char path[512], *tok = NULL;
	int64_t exp;

	(void)state;
	assert_int_equal(cache_write(&cfg, "token-2", 1900000000), 0);
	fixture_file(tmpdir, &cfg, "token", path, sizeof(path));
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(cache_read(&cfg, &tok, &exp), CLERK_EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(cache_read(&cfg, &tok, &exp), 0);
	secret_free(tok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_drop_only_if),
	        cmocka_unit_test(test_lax_permissions),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
