/*
 * Unit tests: modload.c (the table linked in, a module loaded beside the
 * program, a missing module, a module of another version, a table that
 * is not there).
 *
 * The test program links the network and keyring modules' code in, so
 * net_load() and keyring_module_load() take the built-in tables; the
 * dlopen() path is driven with modload_fixture.so, a module built beside
 * this program whose table has version 7.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "capture.h"
#include "error.h"
#include "keyring.h"
#include "modload.h"
#include "net.h"

#define FIXTURE "modload_fixture.so"

struct fixture_api {
	unsigned version;
	const char *name;
};

struct load {
	struct module *m;
	const void *builtin;
	int r;
};

static void
do_load(void *arg)
{
	struct load *l = arg;

	l->r = module_load(l->m, l->builtin);
}

/* module_load() with stderr captured; what it printed. */
static const char *
load(struct module *m, const void *builtin, int *r)
{
	struct load l = {m, builtin, 0};
	const char *err = capture_stderr(do_load, &l);

	*r = l.r;
	return err;
}

static void
test_builtin_tables(void **state)
{
	const struct net_api *net = NULL, *net2 = NULL;
	const struct keyring_api *kr = NULL;

	(void)state;
	assert_int_equal(net_load(&net), 0);
	assert_non_null(net);
	assert_int_equal(net->version, NET_API_VERSION);
	assert_int_equal(net_load(&net2), 0);
	assert_ptr_equal(net, net2);
	assert_int_equal(keyring_module_load(&kr), 0);
	assert_non_null(kr);
	assert_int_equal(kr->version, KEYRING_API_VERSION);
}

/* A built-in table wins without looking for a file, and only once. */
static void
test_builtin_wins_once(void **state)
{
	static const unsigned first = 1, second = 2;
	struct module m = {"no-such-module.so", "none", 1, "test module", NULL};
	int r;

	(void)state;
	assert_string_equal(load(&m, &first, &r), "");
	assert_int_equal(r, 0);
	assert_ptr_equal(m.table, &first);
	assert_string_equal(load(&m, &second, &r), "");
	assert_int_equal(r, 0);
	assert_ptr_equal(m.table, &first);
}

static void
test_loads_beside_the_program(void **state)
{
	struct module m = {FIXTURE, "clerk_fixture_api", 7, "test module",
	                   NULL};
	const struct fixture_api *t;
	int r;

	(void)state;
	assert_string_equal(load(&m, NULL, &r), "");
	assert_int_equal(r, 0);
	t = m.table;
	assert_non_null(t);
	assert_int_equal(t->version, 7);
	assert_string_equal(t->name, "fixture");
}

/*
 * Loading @file's table @symbol of @version fails as a broken install
 * does: no table, and a message holding @want and @want2 (NULL: nothing
 * more).
 */
static void
refused(const char *file, const char *symbol, unsigned version,
        const char *want, const char *want2)
{
	struct module m = {file, symbol, version, "test module", NULL};
	const char *err;
	int r;

	err = load(&m, NULL, &r);
	assert_int_equal(r, CLERK_EINTERNAL);
	assert_null(m.table);
	assert_non_null(strstr(err, want));
	if (want2)
		assert_non_null(strstr(err, want2));
}

static void
test_missing_module(void **state)
{
	(void)state;
	refused("clerk-credential-none.so", "clerk_none_api", 1,
	        "clerk-credential: cannot load the test module: ",
	        "(reinstall clerk-credential)\n");
}

static void
test_version_mismatch(void **state)
{
	(void)state;
	refused(FIXTURE, "clerk_fixture_api", 8,
	        "clerk-credential: the test module /",
	        "/" FIXTURE " does not match this program "
	        "(reinstall clerk-credential)\n");
}

/* A file without the table is refused as another version is. */
static void
test_table_missing(void **state)
{
	(void)state;
	refused(FIXTURE, "clerk_other_api", 7, " does not match this program ",
	        NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_builtin_tables),
	        cmocka_unit_test(test_builtin_wins_once),
	        cmocka_unit_test(test_loads_beside_the_program),
	        cmocka_unit_test(test_missing_module),
	        cmocka_unit_test(test_version_mismatch),
	        cmocka_unit_test(test_table_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
