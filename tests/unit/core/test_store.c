/*
 * Unit tests: store.c and its backends: the table of backends (names,
 * the option's values), list and clear of the file and memory stores,
 * the choice of a store without a keyring, and the moves between the file
 * store and the keyring, with a FAKE keyring module: __wrap_
 * keyring_module_load() (-Wl,--wrap=keyring_module_load) hands store.c
 * the table fake_keyring, whose store is the memory store and whose
 * probe answers as the test says. No Secret Service is asked.
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
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fixture.h"
#include "keyring.h"
#include "store.h"
#include "tmptree.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-store-XXXXXX";
static struct config cfg;

/* --- the FAKE keyring module -------------------------------------------- */

static struct {
	int loads, probes;
	bool answers; /* the probe finds a Secret Service */
} fake;

static int
fake_probe(int timeout_ms, char **why)
{
	(void)timeout_ms;
	fake.probes++;
	*why = NULL;
	if (fake.answers)
		return 0;
	return str_set(why, "fake: no Secret Service") ? CLERK_ENOMEM
	                                               : CLERK_ENOTFOUND;
}

static const struct keyring_api fake_keyring = {
        .version = KEYRING_API_VERSION,
        .ops = &store_memory_ops,
        .probe = fake_probe,
};

int __wrap_keyring_module_load(const struct keyring_api **out);

int
__wrap_keyring_module_load(const struct keyring_api **out)
{
	fake.loads++;
	*out = &fake_keyring;
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

static int
setup_group(void **state)
{
	(void)state;
	return fixture_dir(tmpdir);
}

static int
teardown_group(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

static int
setup(void **state)
{
	char dir[128];
	struct store st = {.ops = &store_memory_ops, .cfg = &cfg};

	(void)state;
	snprintf(dir, sizeof(dir), "%s/clerk-credential", tmpdir);
	(void)tmptree_remove(dir);
	fixture_config(&cfg);
	cfg.storage = STORAGE_FILE;
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	memset(&fake, 0, sizeof(fake));
	return store_memory_ops.clear(&st);
}

static int
teardown(void **state)
{
	(void)state;
	config_release(&cfg);
	return 0;
}

/* A set of @issuer for @profile, saved with @ops. */
static void
save_with(const struct store_ops *ops, const char *issuer, const char *profile,
          const char *access)
{
	struct config c = cfg;
	struct store st = {.ops = ops, .cfg = &c};
	struct tokenset ts = TOKENSET_INIT;

	c.profile = (char *)profile;
	str_set(&ts.issuer, issuer);
	str_set(&ts.client_id, cfg.client_id);
	str_set(&ts.profile, profile);
	str_set_secret(&ts.access_token, access);
	str_set_secret(&ts.refresh_token, "refresh");
	assert_int_equal(ops->save(&st, &ts), 0);
	tokenset_release(&ts);
}

static void
release_list(struct tokenset *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tokenset_release(&v[i]);
	free(v);
}

/* --- the table of backends ---------------------------------------------- */

static void
test_backend_names(void **state)
{
	/* The rows code names, in the order --help and errors list them. */
	static const struct {
		const char *name;
		int row;
	} cases[] = {
	        {"auto", STORAGE_AUTO},
	        {"keyring", STORAGE_KEYRING},
	        {"file", STORAGE_FILE},
	        {"memory", STORAGE_MEMORY},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(store_backend_name(cases[i].row),
		                    cases[i].name);
	assert_null(store_backend_name(-1));
	assert_null(store_backend_name((int)i));
}

static void
test_process_only(void **state)
{
	static const struct {
		enum storage_kind kind;
		bool only;
	} cases[] = {
	        {STORAGE_AUTO, false},
	        {STORAGE_KEYRING, false},
	        {STORAGE_FILE, false},
	        {STORAGE_MEMORY, true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg.storage = cases[i].kind;
		assert_int_equal(store_process_only(&cfg), cases[i].only);
	}
}

static void
test_config_takes_table_names(void **state)
{
	struct config c;
	char *argv[] = {"clerk-credential", "--storage=memory", "status", NULL};
	bool help = false, version = false;

	(void)state;
	config_init(&c);
	assert_int_equal(config_parse_args(&c, 3, argv, &help, &version), 0);
	assert_int_equal(c.storage, STORAGE_MEMORY);
	config_release(&c);
	config_init(&c);
	argv[1] = "--storage=disk";
	assert_int_equal(config_parse_args(&c, 3, argv, &help, &version),
	                 CLERK_ECONFIG);
	config_release(&c);
}

/* --- the stores: list and clear ------------------------------------------ */

static void
test_file_list(void **state)
{
	struct store st = {.ops = &store_file_ops, .cfg = &cfg};
	struct tokenset *v = NULL;
	char path[256];
	size_t n = 99, i;
	bool a = false, b = false;
	FILE *f;

	(void)state;
	assert_int_equal(store_file_ops.list(&st, &v, &n), 0);
	assert_int_equal(n, 0);
	free(v);
	save_with(&store_file_ops, cfg.issuer, "alpha", "a");
	save_with(&store_file_ops, "https://other.example.com", "beta", "b");
	/* Not a token file, and a broken one: both skipped. */
	snprintf(path, sizeof(path), "%s/clerk-credential/notes.json", tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/clerk-credential/tokens-broken.json",
	         tmpdir);
	assert_non_null(f = fopen(path, "w"));
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(store_file_ops.list(&st, &v, &n), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_null(v[i].access_token);
		assert_null(v[i].refresh_token);
		if (!strcmp(v[i].profile, "alpha"))
			a = !strcmp(v[i].issuer, cfg.issuer);
		else if (!strcmp(v[i].profile, "beta"))
			b = !strcmp(v[i].issuer, "https://other.example.com");
	}
	assert_true(a && b);
	release_list(v, n);
}

static void
test_file_clear_leaves_others(void **state)
{
	struct config c = cfg;
	struct store st = {.ops = &store_file_ops, .cfg = &c};
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	c.profile = "shared";
	save_with(&store_file_ops, "https://other.example.com", "shared", "x");
	/* Another issuer's set of the same profile stays. */
	assert_int_equal(store_file_ops.clear(&st), 0);
	assert_int_equal(store_file_ops.load(&st, &ts), 0);
	tokenset_release(&ts);
	/* Ours goes; clearing nothing is fine. */
	save_with(&store_file_ops, cfg.issuer, "shared", "y");
	assert_int_equal(store_file_ops.clear(&st), 0);
	assert_int_equal(store_file_ops.load(&st, &ts), CLERK_ENOTFOUND);
	assert_int_equal(store_file_ops.clear(&st), 0);
}

static void
test_memory_list(void **state)
{
	struct store st = {.ops = &store_memory_ops, .cfg = &cfg};
	struct tokenset *v = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(store_memory_ops.list(&st, &v, &n), 0);
	assert_int_equal(n, 0);
	save_with(&store_memory_ops, cfg.issuer, "default", "m");
	assert_int_equal(store_memory_ops.list(&st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].issuer, cfg.issuer);
	assert_string_equal(v[0].client_id, cfg.client_id);
	assert_string_equal(v[0].profile, "default");
	assert_null(v[0].access_token);
	release_list(v, n);
}

/* --- choosing a store ---------------------------------------------------- */

static void
test_open_without_keyring(void **state)
{
	struct store *st = NULL;

	(void)state;
	/* No session bus: auto is the file store, without the module. */
	cfg.storage = STORAGE_AUTO;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_ptr_equal(st->ops, &store_file_ops);
	assert_string_equal(st->why, "auto: " KEYRING_NO_BUS);
	store_close(st);
	cfg.storage = STORAGE_KEYRING;
	assert_int_equal(store_open(&cfg, &st), CLERK_ECONFIG);
	/* A bus, but no Secret Service on it. */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	assert_int_equal(store_open(&cfg, &st), CLERK_ECONFIG);
	cfg.storage = STORAGE_AUTO;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_ptr_equal(st->ops, &store_file_ops);
	assert_string_equal(st->why, "auto: fake: no Secret Service");
	store_close(st);
	cfg.storage = STORAGE_MEMORY;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_ptr_equal(st->ops, &store_memory_ops);
	assert_string_equal(st->why, "chosen with storage=memory");
	store_close(st);
	assert_int_equal(fake.probes, 2);
}

static void
test_open_with_keyring(void **state)
{
	struct store *st = NULL;

	(void)state;
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	fake.answers = true;
	cfg.storage = STORAGE_AUTO;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_ptr_equal(st->ops, &store_memory_ops);
	assert_string_equal(st->why, "auto: a Secret Service answered on the "
	                             "session bus");
	store_close(st);
	cfg.storage = STORAGE_KEYRING;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_string_equal(st->why, "chosen with storage=keyring");
	store_close(st);
	/* storage=file does not look for the keyring until it must. */
	cfg.storage = STORAGE_FILE;
	assert_int_equal(store_open(&cfg, &st), 0);
	store_close(st);
	assert_int_equal(fake.probes, 2);
}

/* --- moves between the file store and the (FAKE) keyring ---------------- */

static void
test_move_keyring_to_file(void **state)
{
	struct store *st = NULL;
	struct store mem = {.ops = &store_memory_ops, .cfg = &cfg};
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	fake.answers = true;
	save_with(&store_memory_ops, cfg.issuer, "default", "from-keyring");
	cfg.storage = STORAGE_FILE;
	assert_int_equal(store_open(&cfg, &st), 0);
	/* A load finds it there and moves nothing. */
	assert_int_equal(store_load(st, &ts), 0);
	assert_ptr_equal(st->found, &store_memory_ops);
	tokenset_release(&ts);
	/* A load under the lock moves it: saved here, cleared there. */
	assert_int_equal(store_load_move(st, &ts), 0);
	assert_string_equal(ts.access_token, "from-keyring");
	assert_ptr_equal(st->found, &store_file_ops);
	tokenset_release(&ts);
	assert_int_equal(store_memory_ops.load(&mem, &ts), CLERK_ENOTFOUND);
	assert_int_equal(store_file_ops.load(st, &ts), 0);
	assert_string_equal(ts.access_token, "from-keyring");
	tokenset_release(&ts);
	store_close(st);
}

static void
test_move_file_to_keyring(void **state)
{
	struct store *st = NULL;
	struct store file = {.ops = &store_file_ops, .cfg = &cfg};
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	fake.answers = true;
	save_with(&store_file_ops, cfg.issuer, "default", "from-file");
	cfg.storage = STORAGE_KEYRING;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_int_equal(store_load_move(st, &ts), 0);
	assert_string_equal(ts.access_token, "from-file");
	tokenset_release(&ts);
	assert_int_equal(store_file_ops.load(&file, &ts), CLERK_ENOTFOUND);
	/* Another issuer's set is never taken over. */
	save_with(&store_file_ops, "https://other.example.com", "default",
	          "foreign");
	assert_int_equal(store_clear(st), 0);
	assert_int_equal(store_load_move(st, &ts), CLERK_ENOTFOUND);
	assert_int_equal(store_file_ops.load(&file, &ts), 0);
	assert_string_equal(ts.access_token, "foreign");
	tokenset_release(&ts);
	/* clear_all clears ours in both, leaves the foreign file. */
	save_with(&store_memory_ops, cfg.issuer, "default", "mine");
	assert_int_equal(store_clear_all(st), 0);
	assert_int_equal(store_load(st, &ts), CLERK_ENOTFOUND);
	assert_int_equal(store_file_ops.load(&file, &ts), 0);
	tokenset_release(&ts);
	store_close(st);
}

/* --- store_list: every set kept beyond the process ----------------------- */

static void
test_list_all(void **state)
{
	struct tokenset *v = NULL;
	size_t n = 0;

	(void)state;
	save_with(&store_file_ops, cfg.issuer, "alpha", "a");
	save_with(&store_file_ops, cfg.issuer, "default", "d");
	/* No keyring: this profile first, then the file's, no duplicate. */
	assert_int_equal(store_list(&cfg, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].profile, "default");
	assert_string_equal(v[1].profile, "alpha");
	release_list(v, n);
	/* The keyring, when it answers, is listed after the file. */
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", 1);
	fake.answers = true;
	save_with(&store_memory_ops, cfg.issuer, "gamma", "g");
	assert_int_equal(store_list(&cfg, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[2].profile, "gamma");
	release_list(v, n);
	/* Chosen and silent: an error; else it is skipped. */
	fake.answers = false;
	assert_int_equal(store_list(&cfg, &v, &n), 0);
	assert_int_equal(n, 2);
	release_list(v, n);
	cfg.storage = STORAGE_KEYRING;
	assert_int_equal(store_list(&cfg, &v, &n), CLERK_ECONFIG);
	/* Memory keeps nothing beyond the process: never listed. */
	cfg.storage = STORAGE_MEMORY;
	assert_int_equal(store_list(&cfg, &v, &n), 0);
	assert_int_equal(n, 2);
	release_list(v, n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        T(test_backend_names),
	        T(test_process_only),
	        T(test_config_takes_table_names),
	        T(test_file_list),
	        T(test_file_clear_leaves_others),
	        T(test_memory_list),
	        T(test_open_without_keyring),
	        T(test_open_with_keyring),
	        T(test_move_keyring_to_file),
	        T(test_move_file_to_keyring),
	        T(test_list_all),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
