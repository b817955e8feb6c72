/*
 * Unit tests: session.c, the token life cycle, with the memory store (and
 * the file store where the runtime cache matters) and a FAKE network
 * module: __wrap_net_load() (-Wl,--wrap=net_load) hands session.c the
 * table fake_net below, which mints numbered tokens and counts its calls,
 * so no provider is asked.
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

#include "cache.h"
#include "config.h"
#include "error.h"
#include "fixture.h"
#include "net.h"
#include "reject.h"
#include "session.h"
#include "store.h"
#include "tmptree.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-session-XXXXXX";
static char run_dir[64], state_dir[64];
static struct config cfg;

/* --- the FAKE network module ----------------------------------------- */

static struct {
	int refresh, signin, userinfo, revoke, loads; /* calls */
	int refresh_r;                                /* refresh's result */
	int minted;
} fake;

static int
fake_mint(struct tokenset *ts)
{
	char access[32], refresh[32];

	fake.minted++;
	snprintf(access, sizeof(access), "access-%d", fake.minted);
	snprintf(refresh, sizeof(refresh), "refresh-%d", fake.minted);
	ts->expires_at = time_now() + 3600;
	if (str_set_secret(&ts->access_token, access))
		return CLERK_ENOMEM;
	return str_set_secret(&ts->refresh_token, refresh);
}

static int
fake_refresh(const struct config *c, struct tokenset *ts)
{
	(void)c;
	fake.refresh++;
	return fake.refresh_r ? fake.refresh_r : fake_mint(ts);
}

static int
fake_signin(const struct config *c, struct tokenset *ts)
{
	(void)c;
	fake.signin++;
	return fake_mint(ts);
}

static int
fake_userinfo(const struct config *c, struct tokenset *ts)
{
	(void)c;
	fake.userinfo++;
	return str_set(&ts->userinfo, "{\"sub\":\"user_1\",\"name\":\"Ada\"}");
}

static int
fake_revoke(const struct config *c, const struct tokenset *ts)
{
	(void)c;
	(void)ts;
	fake.revoke++;
	return 0;
}

static const struct net_api fake_net = {
        .version = NET_API_VERSION,
        .refresh = fake_refresh,
        .signin = fake_signin,
        .userinfo = fake_userinfo,
        .revoke = fake_revoke,
};

int __wrap_net_load(const struct net_api **out);

int
__wrap_net_load(const struct net_api **out)
{
	fake.loads++;
	*out = &fake_net;
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

static int
setup_group(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	/* Apart, so a test can see that no lock was taken. */
	snprintf(run_dir, sizeof(run_dir), "%s/run", tmpdir);
	snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
	if (mkdir(run_dir, 0700) || mkdir(state_dir, 0700))
		return -1;
	setenv("XDG_RUNTIME_DIR", run_dir, 1);
	setenv("XDG_STATE_HOME", state_dir, 1);
	setenv("XDG_CACHE_HOME", tmpdir, 1);
	return 0;
}

static int
teardown_group(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

/* Each test: the memory store empty, nothing cached, fresh counts. */
static int
setup(void **state)
{
	struct store *st = NULL;

	(void)state;
	fixture_config(&cfg);
	cfg.storage = STORAGE_MEMORY;
	cfg.interactive = true;
	cfg.timeout = 5;
	if (store_open(&cfg, &st) || store_clear(st))
		return -1;
	store_close(st);
	cfg.storage = STORAGE_FILE;
	cache_drop(&cfg, NULL);
	cfg.storage = STORAGE_MEMORY;
	memset(&fake, 0, sizeof(fake));
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	config_release(&cfg);
	return 0;
}

/* The set the store holds now (released by the caller). */
static int
stored(struct tokenset *ts)
{
	struct store *st = NULL;
	int r;

	if ((r = store_open(&cfg, &st)))
		return r;
	r = store_load(st, ts);
	store_close(st);
	return r;
}

static void
expect_token(const char *want)
{
	char *token = NULL;
	int64_t exp = 0;

	assert_int_equal(session_token(&cfg, &token, &exp), 0);
	assert_string_equal(token, want);
	assert_true(exp > time_now());
	secret_free(token);
}

/* --- the life cycle ------------------------------------------------------ */

static void
test_not_signed_in(void **state)
{
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	cfg.interactive = false;
	assert_int_equal(session_token(&cfg, &token, &exp), CLERK_ENOINTERACT);
	assert_null(token);
	assert_int_equal(fake.signin, 0);
	assert_int_equal(session_login(&cfg), CLERK_ENOINTERACT);
}

static void
test_sign_in_once_then_stored(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	expect_token("access-1");
	assert_int_equal(fake.signin, 1);
	/* Stored with who it belongs to, and served from there. */
	assert_int_equal(stored(&ts), 0);
	assert_string_equal(ts.issuer, cfg.issuer);
	assert_string_equal(ts.client_id, cfg.client_id);
	assert_string_equal(ts.profile, cfg.profile);
	assert_string_equal(ts.refresh_token, "refresh-1");
	tokenset_release(&ts);
	expect_token("access-1");
	assert_int_equal(fake.signin, 1);
	assert_int_equal(fake.refresh, 0);
}

/* Store a set whose access token expires within the refresh margin. */
static void
store_expiring(const char *access, const char *refresh)
{
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;

	str_set(&ts.issuer, cfg.issuer);
	str_set(&ts.client_id, cfg.client_id);
	str_set(&ts.profile, cfg.profile);
	str_set_secret(&ts.access_token, access);
	str_set_secret(&ts.refresh_token, refresh);
	ts.expires_at = time_now() + 5;
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_int_equal(store_save(st, &ts), 0);
	store_close(st);
	tokenset_release(&ts);
}

static void
test_refresh_rotates(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	cfg.refresh_margin = 30;
	cfg.interactive = false;
	store_expiring("access-old", "refresh-old");
	expect_token("access-1");
	assert_int_equal(fake.refresh, 1);
	assert_int_equal(fake.signin, 0);
	/* The rotated refresh token was stored. */
	assert_int_equal(stored(&ts), 0);
	assert_string_equal(ts.refresh_token, "refresh-1");
	tokenset_release(&ts);
}

static void
test_dead_grant_signs_in_again(void **state)
{
	struct tokenset ts = TOKENSET_INIT;
	char *token = NULL;
	int64_t exp;

	(void)state;
	cfg.refresh_margin = 30;
	fake.refresh_r = CLERK_EGRANT;
	store_expiring("access-old", "refresh-dead");
	/* Not interactive: the dead set is forgotten, no sign-in. */
	cfg.interactive = false;
	assert_int_equal(session_token(&cfg, &token, &exp), CLERK_ENOINTERACT);
	assert_int_equal(stored(&ts), CLERK_ENOTFOUND);
	/* Interactive: a sign-in replaces it. */
	store_expiring("access-old", "refresh-dead");
	cfg.interactive = true;
	expect_token("access-1");
	assert_int_equal(fake.refresh, 2);
	assert_int_equal(fake.signin, 1);
}

static void
test_erase_current_then_refresh(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	expect_token("access-1");
	/* An older token's erase changes nothing. */
	assert_int_equal(session_erase(&cfg, "access-0"), 0);
	expect_token("access-1");
	/* The current one's drops the access token, keeps the refresh. */
	assert_int_equal(session_erase(&cfg, "access-1"), 0);
	assert_int_equal(stored(&ts), 0);
	assert_null(ts.access_token);
	assert_string_equal(ts.refresh_token, "refresh-1");
	tokenset_release(&ts);
	expect_token("access-2");
	assert_int_equal(fake.refresh, 1);
	assert_int_equal(fake.signin, 1);
}

static void
test_logout_revokes_and_clears(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	expect_token("access-1");
	assert_int_equal(session_logout(&cfg), 0);
	assert_int_equal(fake.revoke, 1);
	assert_int_equal(stored(&ts), CLERK_ENOTFOUND);
	/* Nothing left: no revocation, still fine. */
	assert_int_equal(session_logout(&cfg), 0);
	assert_int_equal(fake.revoke, 1);
}

static void
test_userinfo_fetched_once(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	assert_int_equal(session_userinfo(&cfg, &ts), 0);
	assert_string_equal(ts.userinfo,
	                    "{\"sub\":\"user_1\",\"name\":\"Ada\"}");
	tokenset_release(&ts);
	assert_int_equal(fake.signin, 1);
	assert_int_equal(fake.userinfo, 1);
	/* Kept in the store: not asked again. */
	assert_int_equal(session_userinfo(&cfg, &ts), 0);
	assert_non_null(ts.userinfo);
	tokenset_release(&ts);
	assert_int_equal(fake.userinfo, 1);
}

/* --- the runtime cache first ------------------------------------------ */

static void
test_cache_hit_first(void **state)
{
	char locks[128];
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	cfg.storage = STORAGE_FILE;
	cfg.profile[0] = 'c'; /* "cefault": a profile no other test used */
	snprintf(locks, sizeof(locks), "%s/clerk-credential", state_dir);
	(void)tmptree_remove(locks);
	assert_int_equal(cache_write(&cfg, "cached-1", time_now() + 3600), 0);
	assert_int_equal(session_cached_token(&cfg, &token, &exp), 0);
	assert_string_equal(token, "cached-1");
	secret_free(token);
	token = NULL;
	/* session_token() answers from the cache: no store, lock or module. */
	assert_int_equal(session_token(&cfg, &token, &exp), 0);
	assert_string_equal(token, "cached-1");
	secret_free(token);
	token = NULL;
	assert_int_equal(session_git_token(&cfg, &token, &exp), 0);
	assert_string_equal(token, "cached-1");
	secret_free(token);
	assert_int_equal(fake.loads, 0);
	assert_int_equal(access(locks, F_OK), -1);
}

static void
test_cache_within_margin_is_a_miss(void **state)
{
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	cfg.storage = STORAGE_FILE;
	cfg.refresh_margin = 30;
	cfg.interactive = false;
	cfg.profile[0] = 'm';
	assert_int_equal(cache_write(&cfg, "cached-2", time_now() + 10), 0);
	assert_int_equal(session_cached_token(&cfg, &token, &exp),
	                 CLERK_ENOTFOUND);
	/* The slow path then finds nothing stored and may not sign in. */
	assert_int_equal(session_token(&cfg, &token, &exp), CLERK_ENOINTERACT);
	assert_null(token);
}

static void
test_memory_skips_cache(void **state)
{
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	/* A process-only store never shares its token through the cache. */
	expect_token("access-1");
	assert_int_equal(session_cached_token(&cfg, &token, &exp),
	                 CLERK_ENOTFOUND);
	cfg.storage = STORAGE_FILE;
	assert_int_equal(cache_read(&cfg, &token, &exp), CLERK_ENOTFOUND);
	cfg.storage = STORAGE_MEMORY;
}

/* --- the CI token (session.h) ------------------------------------------ */

/* Write @text to the token file @path, mode @mode, as a rotation would. */
static void
write_token_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static void
expect_ci(bool git, int want_r, const char *want)
{
	char *token = NULL;
	int64_t exp = 1;
	int r = git ? session_git_token(&cfg, &token, &exp)
	            : session_token(&cfg, &token, &exp);

	assert_int_equal(r, want_r);
	if (want) {
		assert_string_equal(token, want);
		assert_int_equal(exp, 0); /* no expiry is claimed */
	} else {
		assert_null(token);
	}
	secret_free(token);
}

/* Before the cache, the store and the module; nothing written. */
static void
test_ci_token_first(void **state)
{
	struct tokenset ts = TOKENSET_INIT;
	char locks[128], *token = NULL;
	int64_t exp = 0;

	(void)state;
	cfg.storage = STORAGE_FILE;
	cfg.profile[0] = 't';
	snprintf(locks, sizeof(locks), "%s/clerk-credential", state_dir);
	(void)tmptree_remove(locks);
	assert_int_equal(cache_write(&cfg, "cached-1", time_now() + 3600), 0);
	setenv(CONFIG_TOKEN_ENV, "ci-env", 1);
	assert_string_equal(session_ci_origin(&cfg), CONFIG_TOKEN_ENV);
	expect_ci(false, 0, "ci-env");
	expect_ci(true, 0, "ci-env");
	assert_int_equal(fake.loads, 0);
	assert_int_equal(access(locks, F_OK), -1);
	/* logout: nothing to sign out of, and nothing removed. */
	assert_int_equal(session_logout(&cfg), 0);
	assert_int_equal(fake.revoke, 0);
	unsetenv(CONFIG_TOKEN_ENV);
	assert_null(session_ci_origin(&cfg));
	assert_int_equal(session_token(&cfg, &token, &exp), 0);
	assert_string_equal(token, "cached-1");
	secret_free(token);
	cache_drop(&cfg, NULL);
	cfg.storage = STORAGE_MEMORY;
	assert_int_equal(stored(&ts), CLERK_ENOTFOUND);
}

/* The file: re-read on each call, one end of line dropped, private. */
static void
test_ci_token_file(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/ci-token", tmpdir);
	write_token_file(path, "ci-file-1\n", 0600);
	assert_int_equal(str_set(&cfg.token_file, path), 0);
	assert_string_equal(session_ci_origin(&cfg), path);
	expect_ci(false, 0, "ci-file-1");
	write_token_file(path, "ci-file-2\r\n", 0600);
	expect_ci(true, 0, "ci-file-2");
	write_token_file(path, "ci-file-3", 0400);
	expect_ci(false, 0, "ci-file-3");
	/* The environment comes first. */
	setenv(CONFIG_TOKEN_ENV, "ci-env", 1);
	expect_ci(false, 0, "ci-env");
	unsetenv(CONFIG_TOKEN_ENV);
	/* Readable by others, or gone: refused, never a sign-in. */
	assert_int_equal(chmod(path, 0644), 0);
	expect_ci(false, CLERK_EPERM, NULL);
	assert_int_equal(chmod(path, 0640), 0);
	expect_ci(true, CLERK_EPERM, NULL);
	assert_int_equal(unlink(path), 0);
	expect_ci(false, CLERK_ECONFIG, NULL);
	assert_int_equal(fake.signin + fake.loads, 0);
}

/* One token alone on one line; anything else is refused. */
static void
test_ci_token_malformed(void **state)
{
	static const char *const bad[] = {
	        "",           "\n",      "two words",   "a\tb",
	        "line\nline", "tok\n\n", "caf\xc3\xa9", " lead",
	};
	char path[128], *big;
	size_t i;

	(void)state;
	snprintf(path, sizeof(path), "%s/ci-bad", tmpdir);
	assert_int_equal(str_set(&cfg.token_file, path), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_token_file(path, bad[i], 0600);
		expect_ci(false, CLERK_ECONFIG, NULL);
	}
	big = malloc(SESSION_CI_TOKEN_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', SESSION_CI_TOKEN_MAX + 1);
	big[SESSION_CI_TOKEN_MAX + 1] = '\0';
	write_token_file(path, big, 0600);
	expect_ci(false, CLERK_ECONFIG, NULL);
	big[SESSION_CI_TOKEN_MAX] = '\0';
	write_token_file(path, big, 0600);
	expect_ci(false, 0, big);
	free(big);
	unlink(path);
}

/* erase: nothing removed; a second rejection holds the token back. */
static void
test_ci_erase_holds(void **state)
{
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	expect_token("access-1"); /* a stored set, left alone */
	cfg.profile[0] = 'e';
	(void)reject_clear(&cfg);
	setenv(CONFIG_TOKEN_ENV, "ci-1", 1);
	assert_int_equal(session_erase(&cfg, "not-ours"), 0);
	assert_int_equal(session_erase(&cfg, "ci-1"), 0);
	expect_ci(true, 0, "ci-1"); /* one more try, as after a refresh */
	assert_int_equal(session_erase(&cfg, "ci-1"), 0);
	expect_ci(true, CLERK_EHELD, NULL);
	expect_ci(true, CLERK_EHELD, NULL);
	expect_ci(false, 0, "ci-1"); /* the hold is git's only */
	setenv(CONFIG_TOKEN_ENV, "ci-2", 1);
	expect_ci(true, 0, "ci-2"); /* a rotated token at once */
	unsetenv(CONFIG_TOKEN_ENV);
	assert_int_equal(reject_clear(&cfg), 0);
	cfg.profile[0] = 'd';
	assert_int_equal(stored(&ts), 0);
	assert_string_equal(ts.access_token, "access-1");
	tokenset_release(&ts);
	assert_int_equal(fake.refresh + fake.revoke, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_not_signed_in, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sign_in_once_then_stored,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_refresh_rotates, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_dead_grant_signs_in_again,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_erase_current_then_refresh,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_logout_revokes_and_clears,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_userinfo_fetched_once,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_cache_hit_first, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(
	                test_cache_within_margin_is_a_miss, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_memory_skips_cache, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ci_token_first, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ci_token_file, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ci_token_malformed, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_ci_erase_holds, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, setup_group, teardown_group);
}
