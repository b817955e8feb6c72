/*
 * Unit tests of discovery.c: parsing fixtures from tests/data, the Clerk
 * fallback, and discovery_load() against an in-process server on
 * 127.0.0.1 with the state dir in a temporary directory.
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
#include <time.h>
#include <utime.h>

#include "config.h"
#include "discovery.h"
#include "error.h"
#include "httpd.h"
#include "tmptree.h"
#include "util.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

#define CLERK "https://example.clerk.accounts.dev"

/* The fixtures: $CLERK_TEST_DATA (set by the build), else the source. */
static char *
read_fixture(const char *name, size_t *len)
{
	const char *dir = getenv("CLERK_TEST_DATA");
	char path[512];
	FILE *f;
	char *buf = malloc(65536);

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : TEST_DATA_DIR, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	assert_non_null(buf);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static const struct {
	const char *file;
	const char *issuer;
	int result;
	bool userinfo, device, iss_param;
} fixture_cases[] = {
        {"discovery-clerk.json", CLERK, 0, true, false, false},
        {"discovery-local.json", "http://127.0.0.1:3000", 0, true, true, true},
        {"discovery-wrong-issuer.json", CLERK, CLERK_EPROVIDER, 0, 0, 0},
        /* The configured issuer has no trailing slash; the document has. */
        {"discovery-trailing-slash.json", CLERK, CLERK_EPROVIDER, 0, 0, 0},
        /* ... and the other way round. */
        {"discovery-clerk.json", CLERK "/", CLERK_EPROVIDER, 0, 0, 0},
        {"discovery-no-token-endpoint.json", CLERK, CLERK_EPROVIDER, 0, 0, 0},
        {"discovery-http-endpoint.json", CLERK, CLERK_EPROVIDER, 0, 0, 0},
        /* A local issuer with https endpoints: other scheme, refused. */
        {"discovery-clerk.json", "http://127.0.0.1:3000", CLERK_EPROVIDER, 0, 0,
         0},
        /* An issuer we would never contact. */
        {"discovery-clerk.json", "http://example.clerk.accounts.dev",
         CLERK_ECONFIG, 0, 0, 0},
};

static void
test_parse_fixtures(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixture_cases) / sizeof(*fixture_cases); i++) {
		struct oidc_provider p = {0};
		size_t len;
		char *doc = read_fixture(fixture_cases[i].file, &len);
		int r = discovery_parse(fixture_cases[i].issuer, doc, len, &p);

		if (r != fixture_cases[i].result)
			fail_msg("case %zu (%s): %d, expected %d", i,
			         fixture_cases[i].file, r,
			         fixture_cases[i].result);
		free(doc);
		if (r) {
			assert_null(p.issuer);
			assert_null(p.token_endpoint);
			continue;
		}
		assert_string_equal(p.issuer, fixture_cases[i].issuer);
		assert_true(str_starts_with(p.authorization_endpoint,
		                            fixture_cases[i].issuer));
		assert_true(str_starts_with(p.token_endpoint,
		                            fixture_cases[i].issuer));
		assert_int_equal(p.userinfo_endpoint != NULL,
		                 fixture_cases[i].userinfo);
		assert_int_equal(p.device_authorization_endpoint != NULL,
		                 fixture_cases[i].device);
		assert_int_equal(p.iss_parameter_supported,
		                 fixture_cases[i].iss_param);
		assert_non_null(p.jwks_uri);
		assert_non_null(p.revocation_endpoint);
		assert_false(p.from_fallback);
		oidc_provider_release(&p);
	}
}

static void
test_parse_clerk_values(void **state)
{
	struct oidc_provider p = {0};
	size_t len;
	char *doc = read_fixture("discovery-clerk.json", &len);

	(void)state;
	assert_int_equal(discovery_parse(CLERK, doc, len, &p), 0);
	assert_string_equal(p.authorization_endpoint, CLERK "/oauth/authorize");
	assert_string_equal(p.token_endpoint, CLERK "/oauth/token");
	assert_string_equal(p.userinfo_endpoint, CLERK "/oauth/userinfo");
	assert_string_equal(p.revocation_endpoint, CLERK "/oauth/token/revoke");
	assert_string_equal(p.jwks_uri, CLERK "/.well-known/jwks.json");
	assert_null(p.device_authorization_endpoint);
	/* Parsing into a used struct replaces what it held. */
	assert_int_equal(discovery_parse(CLERK, doc, len, &p), 0);
	/* A failure leaves it as it was. */
	assert_int_equal(discovery_parse(CLERK "/", doc, len, &p),
	                 CLERK_EPROVIDER);
	assert_string_equal(p.issuer, CLERK);
	oidc_provider_release(&p);
	free(doc);
}

#define AE "\"authorization_endpoint\":\"" CLERK "/a\""
#define TE "\"token_endpoint\":\"" CLERK "/t\""

static const struct {
	const char *doc;
	int result;
} inline_cases[] = {
        {"{\"issuer\":\"" CLERK "\"," AE "," TE "}", 0},
        {"{\"issuer\":\"" CLERK "\"," AE "," TE
         ",\"authorization_response_iss_parameter_supported\":\"yes\"}",
         0},
        {"", CLERK_EPROVIDER},
        {"not json", CLERK_EPROVIDER},
        {"[]", CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE "," TE, CLERK_EPROVIDER},
        {"{" AE "," TE "}", CLERK_EPROVIDER},
        {"{\"issuer\":null," AE "," TE "}", CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," TE "}", CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE ",\"token_endpoint\":42}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE ",\"token_endpoint\":\"\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE
         ",\"token_endpoint\":\"ftp://example.com/t\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE
         ",\"token_endpoint\":\"https://u@evil.example/t\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE
         ",\"token_endpoint\":\"http://evil.example/t\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE "," TE
         ",\"userinfo_endpoint\":\"http://127.0.0.1/u\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE "," TE
         ",\"jwks_uri\":\"https://example.com/\\nX\"}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"" CLERK "\"," AE "," TE
         ",\"revocation_endpoint\":null}",
         CLERK_EPROVIDER},
        {"{\"issuer\":\"HTTPS://EXAMPLE.CLERK.ACCOUNTS.DEV\"," AE "," TE "}",
         CLERK_EPROVIDER},
};

static void
test_parse_inline(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(inline_cases) / sizeof(*inline_cases); i++) {
		struct oidc_provider p = {0};
		int r = discovery_parse(CLERK, inline_cases[i].doc,
		                        strlen(inline_cases[i].doc), &p);

		if (r != inline_cases[i].result)
			fail_msg("inline case %zu: %d, expected %d", i, r,
			         inline_cases[i].result);
		if (!r)
			assert_false(p.iss_parameter_supported);
		oidc_provider_release(&p);
	}
}

static const struct {
	const char *issuer;
	const char *base; /* NULL: refused */
} fallback_cases[] = {
        {CLERK, CLERK},
        {CLERK "/", CLERK},
        {"https://clerk.example.com", "https://clerk.example.com"},
        {"http://127.0.0.1:3000", "http://127.0.0.1:3000"},
        {"http://example.com", NULL},
        {"https://example.com/?q=1", NULL},
        {"https://example.com/#f", NULL},
        {"https://u@example.com", NULL},
        {"", NULL},
};

static void
test_fallback(void **state)
{
	size_t i;
	char want[256];

	(void)state;
	for (i = 0; i < sizeof(fallback_cases) / sizeof(*fallback_cases); i++) {
		struct oidc_provider p = {0};
		const char *base = fallback_cases[i].base;
		int r = discovery_fallback(fallback_cases[i].issuer, &p);

		if (!base) {
			assert_int_equal(r, CLERK_ECONFIG);
			assert_null(p.issuer);
			continue;
		}
		assert_int_equal(r, 0);
		assert_string_equal(p.issuer, fallback_cases[i].issuer);
		snprintf(want, sizeof(want), "%s/oauth/authorize", base);
		assert_string_equal(p.authorization_endpoint, want);
		snprintf(want, sizeof(want), "%s/oauth/token", base);
		assert_string_equal(p.token_endpoint, want);
		snprintf(want, sizeof(want), "%s/oauth/userinfo", base);
		assert_string_equal(p.userinfo_endpoint, want);
		snprintf(want, sizeof(want), "%s/oauth/token/revoke", base);
		assert_string_equal(p.revocation_endpoint, want);
		snprintf(want, sizeof(want), "%s/.well-known/jwks.json", base);
		assert_string_equal(p.jwks_uri, want);
		assert_null(p.device_authorization_endpoint);
		assert_false(p.iss_parameter_supported);
		assert_true(p.from_fallback);
		oidc_provider_release(&p);
	}
}

/* --- discovery_load() against the in-process server ----------------- */

static int port;
static char state_dir[] = "/tmp/test_discovery_XXXXXX";
static char good_doc[1024], wrong_doc[1024];

static const struct httpd_route routes[] = {
        {"/good/.well-known/openid-configuration", 200, NULL, good_doc, 0, 0},
        {"/wrong/.well-known/openid-configuration", 200, NULL, wrong_doc, 0, 0},
        {"/broken/.well-known/openid-configuration", 200, NULL, "{\"iss", 0, 0},
        {"/down/.well-known/openid-configuration", 503, NULL, "busy", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static void
issuer_of(char *buf, size_t size, int p, const char *name)
{
	snprintf(buf, size, "http://127.0.0.1:%d/%s", p, name);
}

static int
setup_load(void **state)
{
	char iss[128];

	(void)state;
	httpd_unset_proxies();
	if (!mkdtemp(state_dir) || setenv("XDG_STATE_HOME", state_dir, 1))
		return -1;
	if (httpd_start(routes, &port))
		return -1;
	issuer_of(iss, sizeof(iss), port, "good");
	snprintf(good_doc, sizeof(good_doc),
	         "{\"issuer\":\"%s\",\"authorization_endpoint\":"
	         "\"%s/oauth/authorize\",\"token_endpoint\":\"%s/oauth/token\","
	         "\"authorization_response_iss_parameter_supported\":true}",
	         iss, iss, iss);
	snprintf(wrong_doc, sizeof(wrong_doc),
	         "{\"issuer\":\"http://127.0.0.1:%d/other\","
	         "\"authorization_endpoint\":\"http://127.0.0.1/a\","
	         "\"token_endpoint\":\"http://127.0.0.1/t\"}",
	         port);
	return 0;
}

static int
teardown_load(void **state)
{
	(void)state;
	httpd_stop();
	/* Our own mkdtemp directory, depth first, links not followed. */
	return tmptree_remove(state_dir);
}

/* The cache file discovery_load() uses for @issuer. */
static void
cache_file(const struct config *cfg, char *buf, size_t size)
{
	char *key = NULL;

	assert_int_equal(config_key(cfg, &key), 0);
	snprintf(buf, size, "%s/clerk-credential/discovery-%s.json", state_dir,
	         key);
	free(key);
}

static void
config_for(struct config *cfg, char *issuer, size_t size, int p,
           const char *name)
{
	memset(cfg, 0, sizeof(*cfg));
	issuer_of(issuer, size, p, name);
	cfg->issuer = issuer;
	cfg->client_id = "client";
	cfg->profile = "default";
}

static void
test_load_fetch_then_cache(void **state)
{
	struct oidc_provider p = {0};
	struct config cfg;
	char issuer[128], path[512];
	struct stat st;
	struct utimbuf old;
	int before = httpd_requests();

	(void)state;
	config_for(&cfg, issuer, sizeof(issuer), port, "good");
	cache_file(&cfg, path, sizeof(path));
	unlink(path);
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_int_equal(httpd_requests(), before + 1);
	assert_false(p.from_fallback);
	assert_true(p.iss_parameter_supported);
	assert_true(str_starts_with(p.token_endpoint, issuer));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Fresh cache: no request. */
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_int_equal(httpd_requests(), before + 1);
	assert_true(p.iss_parameter_supported);

	/* A day old: still good enough for a refresh, no request... */
	old.actime = old.modtime = time(NULL) - 86400 - 5;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(discovery_load(&cfg, true, &p), 0);
	assert_int_equal(httpd_requests(), before + 1);

	/* ...but fetched again for a sign-in. */
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_int_equal(httpd_requests(), before + 2);

	/* From the future: fetched again. */
	old.actime = old.modtime = time(NULL) + 3600;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_int_equal(httpd_requests(), before + 3);
	oidc_provider_release(&p);
}

static void
test_load_bad_cache_refetched(void **state)
{
	static const char *const bad[] = {
	        "garbage",
	        "{\"issuer\":\"https://evil.example\","
	        "\"authorization_endpoint\":\"https://evil.example/a\","
	        "\"token_endpoint\":\"https://evil.example/t\"}",
	};
	struct oidc_provider p = {0};
	struct config cfg;
	char issuer[128], path[512];
	size_t i;

	(void)state;
	config_for(&cfg, issuer, sizeof(issuer), port, "good");
	cache_file(&cfg, path, sizeof(path));
	for (i = 0; i < 2; i++) {
		FILE *f = fopen(path, "w");
		int before = httpd_requests();

		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		chmod(path, 0600);
		assert_int_equal(discovery_load(&cfg, false, &p), 0);
		assert_int_equal(httpd_requests(), before + 1);
		assert_true(str_starts_with(p.token_endpoint, issuer));
	}
	oidc_provider_release(&p);
}

static const struct {
	const char *name;
	int result;
} load_error_cases[] = {
        {"wrong", CLERK_EPROVIDER},   /* issuer mismatch: no fallback */
        {"broken", CLERK_EPROVIDER},  /* bad document: no fallback */
        {"down", CLERK_EPROVIDER},    /* HTTP 503: no fallback */
        {"missing", CLERK_EPROVIDER}, /* HTTP 404 */
};

static void
test_load_errors_not_cached(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(load_error_cases) / sizeof(*load_error_cases);
	     i++) {
		struct oidc_provider p = {0};
		struct config cfg;
		char issuer[128], path[512];

		config_for(&cfg, issuer, sizeof(issuer), port,
		           load_error_cases[i].name);
		cache_file(&cfg, path, sizeof(path));
		assert_int_equal(discovery_load(&cfg, false, &p),
		                 load_error_cases[i].result);
		assert_null(p.issuer);
		assert_int_equal(access(path, F_OK), -1);
	}
}

static void
test_load_network_failure_falls_back(void **state)
{
	struct oidc_provider p = {0};
	struct config cfg;
	char issuer[128], path[512], want[256];
	int closed = httpd_closed_port();

	(void)state;
	assert_true(closed > 0);
	config_for(&cfg, issuer, sizeof(issuer), closed, "x");
	cache_file(&cfg, path, sizeof(path));
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_true(p.from_fallback);
	snprintf(want, sizeof(want), "%s/oauth/token", issuer);
	assert_string_equal(p.token_endpoint, want);
	/* The fallback is never cached. */
	assert_int_equal(access(path, F_OK), -1);
	/* A second time warns no more, and still works. */
	assert_int_equal(discovery_load(&cfg, false, &p), 0);
	assert_true(p.from_fallback);
	oidc_provider_release(&p);
}

int
main(void)
{
	const struct CMUnitTest parse_tests[] = {
	        cmocka_unit_test(test_parse_fixtures),
	        cmocka_unit_test(test_parse_clerk_values),
	        cmocka_unit_test(test_parse_inline),
	        cmocka_unit_test(test_fallback),
	};
	const struct CMUnitTest load_tests[] = {
	        cmocka_unit_test(test_load_fetch_then_cache),
	        cmocka_unit_test(test_load_bad_cache_refetched),
	        cmocka_unit_test(test_load_errors_not_cached),
	        cmocka_unit_test(test_load_network_failure_falls_back),
	};
	int failed;

	failed = cmocka_run_group_tests(parse_tests, NULL, NULL);
	failed += cmocka_run_group_tests(load_tests, setup_load, teardown_load);
	return failed;
}
