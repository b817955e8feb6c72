/*
 * Unit tests: report.c (what `status` and `whoami` print, human and
 * --json), driven through report_status() and report_whoami() with a
 * token set seeded in the file store of a temporary HOME (cmdrun.h).
 * whoami fetches userinfo when none is stored: a FAKE network module,
 * __wrap_net_load() (-Wl,--wrap=net_load), hands out fake_net below, so
 * no provider is asked. The same outputs through the program are in the
 * status_json integration suite.
 *
 * MUST: no output of any test holds an access, refresh or ID token, nor
 * the runtime cache's token; run() checks it for every call.
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
#include "net.h"
#include "report.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

/*
 * status --json's "profiles" and "routes" (contract §18) for the one
 * profile of these tests: signed in or not, its user, no claim, no route.
 */
#define PROFILES_JSON(in, user)                                           \
	",\"profiles\":[{\"profile\":\"default\",\"issuer\":"             \
	"\"https://clerk.example.test\",\"client_id\":\"client_cmdrun\"," \
	"\"signed_in\":" in user ",\"hosts\":[]}],\"routes\":[]"
#define ALICE_JSON                                                  \
	",\"user\":{\"sub\":\"user_1\",\"name\":\"Alice Example\"," \
	"\"email\":\"alice@example.test\"}"

#define HOSTS   "git.example.test,*.corp.example.test"
#define ACCESS  "acc-SECRET-1"
#define REFRESH "ref-SECRET-2"
#define IDTOKEN "id-SECRET-3"
#define CACHED  "cached-SECRET-4"
/* Every secret above holds it; no output may. */
#define SECRET_MARK "SECRET"

/* Far ahead and long past, as Unix seconds and as RFC 3339. */
#define LATER      4102444800
#define LATER_TEXT "2100-01-01T00:00:00Z"
#define PAST       1600000000
#define PAST_TEXT  "2020-09-13T12:26:40Z"

#define ALICE                                                       \
	"{\"sub\":\"user_1\",\"name\":\"Alice Example\",\"email\":" \
	"\"alice@example.test\",\"extra\":\"x\"}"
#define NOT_SIGNED_IN                                                    \
	"clerk-credential: not signed in, and sign-in is disabled here " \
	"(run `clerk-credential login` in a terminal first)\n"

/* The first lines of the human status, up to the config file. */
#define STATUS_HEAD                                              \
	"profile:        default (default)\n"                    \
	"issuer:         " CMDRUN_ISSUER " (environment)\n"      \
	"client id:      " CMDRUN_CLIENT " (environment)\n"      \
	"scopes:         profile email openid offline_access\n"  \
	"hosts:          git.example.test, *.corp.example.test " \
	"(environment)\n"
/* The JSON status's first keys, up to (without) config_file. */
#define JSON_HEAD                                                          \
	"{\"hosts\":[\"git.example.test\",\"*.corp.example.test\"],"       \
	"\"hosts_source\":\"environment\",\"profile\":\"default\","        \
	"\"profile_source\":\"default\",\"issuer\":\"" CMDRUN_ISSUER "\"," \
	"\"issuer_source\":\"environment\",\"client_id\":\"" CMDRUN_CLIENT \
	"\",\"client_id_source\":\"environment\","                         \
	"\"scopes\":\"profile email openid offline_access\","
#define STORAGE "file (chosen with storage=file)"
#define STORAGE_JSON                               \
	"\"storage\":\"file\",\"storage_reason\":" \
	"\"chosen with storage=file\""

static char config_file[256];

/* --- the FAKE network module ----------------------------------------- */

static struct {
	int userinfo; /* calls */
	const char *answer;
} fake;

static int
fake_userinfo(const struct config *c, struct tokenset *ts)
{
	(void)c;
	fake.userinfo++;
	assert_string_equal(ts->access_token, ACCESS);
	return str_set(&ts->userinfo, fake.answer);
}

static const struct net_api fake_net = {
        .version = NET_API_VERSION,
        .userinfo = fake_userinfo,
};

int __wrap_net_load(const struct net_api **out);

int
__wrap_net_load(const struct net_api **out)
{
	*out = &fake_net;
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

static int
setup(void **state)
{
	(void)state;
	if (cmdrun_setup(HOSTS))
		return -1;
	snprintf(config_file, sizeof(config_file),
	         "%s/config/clerk-credential/config.json", cmdrun_home());
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

/* Each test: nothing stored, nothing cached, no fetch yet. */
static int
empty(void **state)
{
	struct config *cfg = cmdrun_config(NULL);
	struct store *st = NULL;

	(void)state;
	assert_int_equal(store_open(cfg, &st), 0);
	assert_int_equal(store_clear(st), 0);
	store_close(st);
	cmdrun_unseed(cfg);
	memset(&fake, 0, sizeof(fake));
	return 0;
}

/*
 * Store a set in the file store: access token (expiring at @expires_at)
 * and ID token always, the refresh token when @refresh, @userinfo (NULL:
 * none).
 */
static void
seed(int64_t expires_at, bool refresh, const char *userinfo)
{
	struct config *cfg = cmdrun_config(NULL);
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;

	assert_int_equal(str_set(&ts.issuer, cfg->issuer), 0);
	assert_int_equal(str_set(&ts.client_id, cfg->client_id), 0);
	assert_int_equal(str_set(&ts.profile, cfg->profile), 0);
	assert_int_equal(str_set(&ts.token_type, "Bearer"), 0);
	assert_int_equal(str_set_secret(&ts.access_token, ACCESS), 0);
	assert_int_equal(str_set_secret(&ts.id_token, IDTOKEN), 0);
	if (refresh)
		assert_int_equal(str_set_secret(&ts.refresh_token, REFRESH), 0);
	if (userinfo)
		assert_int_equal(str_set(&ts.userinfo, userinfo), 0);
	ts.expires_at = expires_at;
	assert_int_equal(store_open(cfg, &st), 0);
	assert_int_equal(store_save(st, &ts), 0);
	store_close(st);
	tokenset_release(&ts);
}

static int
status(struct config *cfg)
{
	return report_status(cfg);
}

static int
whoami(struct config *cfg)
{
	return report_whoami(cfg);
}

/*
 * Run @fn for the command with @args (NULL-terminated, NULL: none);
 * what it printed in *@out and *@err. No secret is in either.
 */
static int
run(int (*fn)(struct config *), const char *const *args, const char **out,
    const char **err)
{
	int r = cmdrun(fn, cmdrun_config(args), NULL, out, err);

	if (strstr(*out, SECRET_MARK))
		fail_msg("a token's text on stdout:\n%s", *out);
	if (strstr(*err, SECRET_MARK))
		fail_msg("a token's text on stderr:\n%s", *err);
	return r;
}

/*
 * Human status, run within one second so "valid for N s" is known: the
 * second it ran in, in *@now.
 */
static int
run_status(const char **out, const char **err, int64_t *now)
{
	int tries, r;

	for (tries = 0; tries < 5; tries++) {
		*now = time_now();
		r = run(status, NULL, out, err);
		if (time_now() == *now)
			return r;
	}
	fail_msg("the clock moved on through five runs of status");
	return -1;
}

static const char *const json_args[] = {"--json", NULL};

/* --- status ------------------------------------------------------------ */

static void
test_status_signed_out(void **state)
{
	char want[4096];
	const char *out, *err;

	(void)state;
	assert_int_equal(run(status, NULL, &out, &err), 0);
	snprintf(want, sizeof(want),
	         STATUS_HEAD "config file:    %s\n"
	                     "storage:        " STORAGE "\n"
	                     "signed in:      no (run `clerk-credential "
	                     "login`)\n",
	         config_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");

	assert_int_equal(run(status, json_args, &out, &err), 0);
	snprintf(want, sizeof(want),
	         JSON_HEAD
	         "\"config_file\":\"%s\"," STORAGE_JSON
	         ",\"signed_in\":false" PROFILES_JSON("false", "") "}\n",
	         config_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
}

static void
test_status_signed_in(void **state)
{
	char want[4096];
	const char *out, *err;
	int64_t now;

	(void)state;
	seed(LATER, true, ALICE);
	cmdrun_seed(cmdrun_config(NULL), CACHED, LATER);
	assert_int_equal(run_status(&out, &err, &now), 0);
	snprintf(want, sizeof(want),
	         STATUS_HEAD
	         "config file:    %s\n"
	         "storage:        " STORAGE "\n"
	         "signed in:      yes, as Alice Example <alice@example.test> "
	         "(user_1)\n"
	         "access token:   valid for %lld s (until " LATER_TEXT ")\n"
	         "refresh token:  stored\n"
	         "runtime cache:  valid for %lld s (until " LATER_TEXT ")\n",
	         config_file, (long long)(LATER - now),
	         (long long)(LATER - now));
	assert_string_equal(out, want);
	assert_string_equal(err, "");

	/* Only sub, name and email of the userinfo; "extra" stays out. */
	assert_int_equal(run(status, json_args, &out, &err), 0);
	snprintf(want, sizeof(want),
	         JSON_HEAD
	         "\"config_file\":\"%s\"," STORAGE_JSON ",\"signed_in\":true,"
	         "\"user\":{\"sub\":\"user_1\",\"name\":\"Alice Example\","
	         "\"email\":\"alice@example.test\"},"
	         "\"access_token\":{\"stored\":true,\"expires_at\":%lld,"
	         "\"expires\":\"" LATER_TEXT "\",\"valid\":true},"
	         "\"refresh_token\":{\"stored\":true},"
	         "\"runtime_cache\":{\"stored\":true,\"expires_at\":%lld,"
	         "\"expires\":\"" LATER_TEXT
	         "\",\"valid\":true}" PROFILES_JSON("true", ALICE_JSON) "}\n",
	         config_file, (long long)LATER, (long long)LATER);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
}

/* Expired, no userinfo, no refresh token, nothing in the runtime cache. */
static void
test_status_expired_no_userinfo(void **state)
{
	char want[4096];
	const char *out, *err;

	(void)state;
	seed(PAST, false, NULL);
	assert_int_equal(run(status, NULL, &out, &err), 0);
	snprintf(want, sizeof(want),
	         STATUS_HEAD "config file:    %s\n"
	                     "storage:        " STORAGE "\n"
	                     "signed in:      yes\n"
	                     "access token:   expired at " PAST_TEXT "\n"
	                     "refresh token:  none\n",
	         config_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");

	assert_int_equal(run(status, json_args, &out, &err), 0);
	snprintf(want, sizeof(want),
	         JSON_HEAD
	         "\"config_file\":\"%s\"," STORAGE_JSON ",\"signed_in\":true,"
	         "\"access_token\":{\"stored\":true,\"expires_at\":%lld,"
	         "\"expires\":\"" PAST_TEXT "\",\"valid\":false},"
	         "\"refresh_token\":{\"stored\":false},"
	         "\"runtime_cache\":{\"stored\":false}" PROFILES_JSON("true",
	                                                              "") "}\n",
	         config_file, (long long)PAST);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
}

/* An access token of unknown expiry: no date, in either form. */
static void
test_status_unknown_expiry(void **state)
{
	char want[4096];
	const char *out, *err;

	(void)state;
	seed(0, true, "{\"sub\":\"user_1\"}");
	assert_int_equal(run(status, NULL, &out, &err), 0);
	snprintf(want, sizeof(want),
	         STATUS_HEAD "config file:    %s\n"
	                     "storage:        " STORAGE "\n"
	                     "signed in:      yes, as (user_1)\n"
	                     "access token:   unknown expiry\n"
	                     "refresh token:  stored\n",
	         config_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");

	assert_int_equal(run(status, json_args, &out, &err), 0);
	snprintf(want, sizeof(want),
	         JSON_HEAD
	         "\"config_file\":\"%s\"," STORAGE_JSON ",\"signed_in\":true,"
	         "\"user\":{\"sub\":\"user_1\"},"
	         "\"access_token\":{\"stored\":true},"
	         "\"refresh_token\":{\"stored\":true},"
	         "\"runtime_cache\":{\"stored\":false}" PROFILES_JSON(
	                 "true", ",\"user\":{\"sub\":\"user_1\"}") "}\n",
	         config_file);
	assert_string_equal(out, want);
	assert_string_equal(err, "");
}

/* --- whoami ------------------------------------------------------------ */

static void
test_whoami_signed_out(void **state)
{
	const char *out, *err;

	(void)state;
	assert_int_equal(run(whoami, NULL, &out, &err), CLERK_ENOINTERACT);
	assert_string_equal(out, "");
	assert_string_equal(err, NOT_SIGNED_IN);
	assert_int_equal(run(whoami, json_args, &out, &err), CLERK_ENOINTERACT);
	assert_string_equal(out, "");
	assert_string_equal(err, NOT_SIGNED_IN);
	assert_int_equal(fake.userinfo, 0);
}

/* The human line for each userinfo the provider may give. */
static void
test_whoami_forms(void **state)
{
	static const struct {
		const char *userinfo, *line;
	} rows[] = {
	        {ALICE, "Alice Example <alice@example.test> (user_1)\n"},
	        {"{\"name\":\"Alice Example\",\"email\":\"a@example.test\"}",
	         "Alice Example <a@example.test>\n"},
	        {"{\"sub\":\"user_1\",\"email\":\"a@example.test\"}",
	         "a@example.test (user_1)\n"},
	        {"{\"sub\":\"user_1\",\"name\":\"Alice\"}", "Alice (user_1)\n"},
	        {"{\"sub\":\"user_1\"}", "(user_1)\n"},
	        {"{}", "\n"},
	};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
		seed(LATER, true, rows[i].userinfo);
		assert_int_equal(run(whoami, NULL, &out, &err), 0);
		assert_string_equal(out, rows[i].line);
		assert_string_equal(err, "");
	}
	assert_int_equal(fake.userinfo, 0);
}

/* --json: the whole stored userinfo, re-serialised on one line. */
static void
test_whoami_json(void **state)
{
	const char *out, *err;

	(void)state;
	seed(LATER, true, "{ \"sub\" : \"user_1\",\n \"extra\": [1, 2] }");
	assert_int_equal(run(whoami, json_args, &out, &err), 0);
	assert_string_equal(out, "{\"sub\":\"user_1\",\"extra\":[1,2]}\n");
	assert_string_equal(err, "");
	assert_int_equal(fake.userinfo, 0);
}

/* No userinfo stored: fetched once with the access token, then kept. */
static void
test_whoami_fetches(void **state)
{
	const char *out, *err;

	(void)state;
	seed(LATER, true, NULL);
	fake.answer = "{\"sub\":\"user_2\",\"email\":\"bob@example.test\"}";
	assert_int_equal(run(whoami, NULL, &out, &err), 0);
	assert_string_equal(out, "bob@example.test (user_2)\n");
	assert_string_equal(err, "");
	assert_int_equal(fake.userinfo, 1);
	assert_int_equal(run(whoami, json_args, &out, &err), 0);
	assert_string_equal(
	        out, "{\"sub\":\"user_2\",\"email\":\"bob@example.test\"}"
	             "\n");
	assert_string_equal(err, "");
	assert_int_equal(fake.userinfo, 1);
}

/* A provider that answers without user information: an error. */
static void
test_whoami_no_answer(void **state)
{
	const char *out, *err;

	(void)state;
	seed(LATER, true, NULL);
	fake.answer = NULL;
	assert_int_equal(run(whoami, NULL, &out, &err), CLERK_EPROVIDER);
	assert_string_equal(out, "");
	assert_string_equal(err, "clerk-credential: the provider gave no "
	                         "user information\n");
	assert_int_equal(fake.userinfo, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_status_signed_out, empty),
	        cmocka_unit_test_setup(test_status_signed_in, empty),
	        cmocka_unit_test_setup(test_status_expired_no_userinfo, empty),
	        cmocka_unit_test_setup(test_status_unknown_expiry, empty),
	        cmocka_unit_test_setup(test_whoami_signed_out, empty),
	        cmocka_unit_test_setup(test_whoami_forms, empty),
	        cmocka_unit_test_setup(test_whoami_json, empty),
	        cmocka_unit_test_setup(test_whoami_fetches, empty),
	        cmocka_unit_test_setup(test_whoami_no_answer, empty),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
