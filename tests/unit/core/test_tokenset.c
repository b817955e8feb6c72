/*
 * Unit tests: tokenset.c and the file store (JSON form, permissions), and
 * when store.c looks for a keyring.
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
#include "keyring.h"
#include "error.h"
#include "fixture.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

static void
fill(struct tokenset *ts)
{
	str_set(&ts->issuer, "https://clerk.example.com");
	str_set(&ts->client_id, "client-1");
	str_set(&ts->profile, "default");
	str_set(&ts->access_token, "at-\"quoted\"\\");
	str_set(&ts->refresh_token, "rt-1");
	str_set(&ts->id_token, "a.b.c");
	str_set(&ts->token_type, "Bearer");
	str_set(&ts->scope, "openid email");
	ts->expires_at = 1900000000;
	str_set(&ts->userinfo, "{\"sub\":\"user_1\",\"email\":\"a@b.c\"}");
}

static void
test_roundtrip(void **state)
{
	struct tokenset a = TOKENSET_INIT, b = TOKENSET_INIT;
	char *json = NULL;

	(void)state;
	fill(&a);
	assert_int_equal(tokenset_to_json(&a, &json), 0);
	assert_int_equal(tokenset_from_json(json, strlen(json), &b), 0);
	assert_string_equal(b.access_token, a.access_token);
	assert_string_equal(b.refresh_token, "rt-1");
	assert_string_equal(b.id_token, "a.b.c");
	assert_string_equal(b.scope, "openid email");
	assert_int_equal(b.expires_at, 1900000000);
	assert_non_null(strstr(b.userinfo, "user_1"));
	secret_free(json);
	tokenset_release(&a);
	tokenset_release(&b);
}

static void
test_bad_json(void **state)
{
	static const char *const bad[] = {
	        "",
	        "[]",
	        "{}",
	        "{\"version\":2}",
	        "{\"version\":\"1\"}",
	        "{\"version\":1,\"access_token\":5}",
	        "{\"version\":1,\"expires_at\":\"soon\"}",
	        "{\"version\":1,\"refresh_token\":null}",
	        "{\"version\":1,",
	};
	struct tokenset ts = TOKENSET_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		        tokenset_from_json(bad[i], strlen(bad[i]), &ts),
		        CLERK_EPROTO);
		assert_null(ts.access_token);
	}
	/* A minimal set is fine: everything but the version is optional. */
	assert_int_equal(tokenset_from_json("{\"version\":1}", 13, &ts), 0);
	tokenset_release(&ts);
}

static char tmpdir[] = "/tmp/clerk-test-store-XXXXXX";

static void
test_file_store(void **state)
{
	struct tokenset a = TOKENSET_INIT, b = TOKENSET_INIT;
	struct config cfg;
	struct store *st = NULL;
	char path[512], moved[512];
	struct stat sb;

	(void)state;
	assert_int_equal(fixture_setup(tmpdir, &cfg), 0);
	cfg.storage = STORAGE_FILE;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_int_equal(store_load(st, &b), CLERK_ENOTFOUND);
	fill(&a);
	assert_int_equal(store_save(st, &a), 0);
	snprintf(path, sizeof(path), "%s/clerk-credential/tokens-default.json",
	         tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/clerk-credential", tmpdir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(store_load(st, &b), 0);
	assert_string_equal(b.refresh_token, "rt-1");
	tokenset_release(&b);

	/* A set of another client counts as empty. */
	str_set(&cfg.client_id, "client-2");
	assert_int_equal(store_load(st, &b), CLERK_ENOTFOUND);
	str_set(&cfg.client_id, "client-1");

	/* Lax permissions are refused, not trusted. */
	snprintf(path, sizeof(path), "%s/clerk-credential/tokens-default.json",
	         tmpdir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(store_load(st, &b), CLERK_EPERM);
	assert_int_equal(chmod(path, 0600), 0);

	/* A symbolic link in its place is refused. */
	snprintf(moved, sizeof(moved), "%s/moved.json", tmpdir);
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(symlink(moved, path), 0);
	assert_int_equal(store_load(st, &b), CLERK_EPERM);
	unlink(path);
	unlink(moved);

	assert_int_equal(store_save(st, &a), 0);
	assert_int_equal(store_clear(st), 0);
	assert_int_equal(store_load(st, &b), CLERK_ENOTFOUND);
	assert_int_equal(store_clear(st), 0);

	store_close(st);
	tokenset_release(&a);
	assert_int_equal(fixture_teardown(tmpdir, &cfg), 0);
}

/* Only a named session bus can lead to a keyring (store.h). */
static void
test_session_bus(void **state)
{
	static const struct {
		const char *address; /* NULL: not set */
		bool named;
	} t[] = {
	        {NULL, false},
	        {"", false},
	        {"autolaunch:", false},
	        {"autolaunch:scope=user", false},
	        {"unix:path=/run/user/1000/bus", true},
	        {"unix:abstract=/tmp/dbus-x,guid=0123", true},
	};
	struct config cfg;
	struct store *st = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].address)
			setenv("DBUS_SESSION_BUS_ADDRESS", t[i].address, 1);
		else
			unsetenv("DBUS_SESSION_BUS_ADDRESS");
		if (store_session_bus() != t[i].named)
			fail_msg("%s: want %d",
			         t[i].address ? t[i].address : "unset",
			         t[i].named);
	}

	/* auto without a bus: the file store, saying why. */
	unsetenv("DBUS_SESSION_BUS_ADDRESS");
	config_init(&cfg);
	cfg.storage = STORAGE_AUTO;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_ptr_equal(st->ops, &store_file_ops);
	assert_string_equal(st->why, "auto: no session bus: "
	                             "DBUS_SESSION_BUS_ADDRESS is not set");
	store_close(st);
	config_release(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_bad_json),
	        cmocka_unit_test(test_file_store),
	        cmocka_unit_test(test_session_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
