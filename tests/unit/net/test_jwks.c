/*
 * Unit tests of jwks.c: the JWK Set parser (what is kept, what is skipped,
 * what is refused, and the bounds), key selection, and jwks_load()'s cache
 * and fetch against an in-process server on 127.0.0.1 with the state dir
 * in a temporary directory.
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
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "encode.h"
#include "error.h"
#include "httpd.h"
#include "jwks.h"
#include "log.h"
#include "tmptree.h"
#include "util.h"

/* base64url of @len bytes: @first, then 0xa5... ending in @last. */
static char *
b64_bytes(size_t len, unsigned char first, unsigned char last)
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char *raw = malloc(len ? len : 1);
	char *out = NULL;

	assert_non_null(raw);
	memset(raw, 0xa5, len);
	if (len) {
		raw[0] = first;
		raw[len - 1] = last;
	}
	if (len == 1)
		raw[0] = last;
	assert_int_equal(base64url_encode(raw, len, &sb), 0);
	assert_int_equal(strbuf_addch(&sb, '\0'), 0);
	sb.len--;
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	free(raw);
	return out;
}

/* {"kty":"RSA",...} with a modulus of @nbytes (top byte @top). */
static char *
rsa_jwk(const char *extra, size_t nbytes, unsigned char top, const char *e)
{
	struct strbuf sb = STRBUF_INIT;
	char *n = b64_bytes(nbytes, top, 0x01), *out = NULL;

	assert_int_equal(
	        strbuf_addf(&sb,
	                    "{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"%s\""
	                    "%s%s}",
	                    n, e, extra[0] ? "," : "", extra),
	        0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	free(n);
	return out;
}

static char *
ec_jwk(const char *extra, const char *crv, size_t xlen)
{
	struct strbuf sb = STRBUF_INIT;
	char *x = b64_bytes(xlen, 0x11, 0x22), *y = b64_bytes(32, 0x33, 0x44);
	char *out = NULL;

	assert_int_equal(
	        strbuf_addf(&sb,
	                    "{\"kty\":\"EC\",\"crv\":\"%s\",\"x\":\"%s\","
	                    "\"y\":\"%s\"%s%s}",
	                    crv, x, y, extra[0] ? "," : "", extra),
	        0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	free(x);
	free(y);
	return out;
}

/* {"keys":[@a,@b]} (@b may be NULL); frees its arguments. */
static char *
set_of(char *a, char *b)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	assert_int_equal(strbuf_addf(&sb, "{\"keys\":[%s%s%s]}", a,
	                             b ? "," : "", b ? b : ""),
	                 0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	free(a);
	free(b);
	return out;
}

enum kind { RSA, EC };

/* One key in a set: kept (1) or skipped (0). */
static const struct {
	enum kind kind;
	const char *extra; /* more members */
	size_t size;       /* RSA: modulus bytes; EC: x bytes */
	unsigned char top; /* RSA: the modulus's first byte */
	const char *e_or_crv;
	int kept;
} key_cases[] = {
        /* 0-5: usable keys */
        {RSA, "\"kid\":\"rsa-1\",\"alg\":\"RS256\",\"use\":\"sig\"", 256, 0x80,
         "AQAB", 1},
        {RSA, "", 256, 0xc5, "AQAB", 1},
        {RSA, "\"kid\":\"big\"", 1024, 0xff, "AQAB", 1}, /* 8192 bits */
        {RSA, "", 257, 0x00, "AQAB", 1},                 /* leading zero */
        {EC, "\"kid\":\"ec-1\",\"alg\":\"ES256\",\"use\":\"sig\"", 32, 0,
         "P-256", 1},
        {EC, "", 32, 0, "P-256", 1},
        /* 6-10: RSA sizes and exponents out of bounds */
        {RSA, "", 256, 0x7f, "AQAB", 0},  /* 2047 bits */
        {RSA, "", 128, 0xff, "AQAB", 0},  /* 1024 bits */
        {RSA, "", 1025, 0x01, "AQAB", 0}, /* 8193 bits */
        {RSA, "", 256, 0x80, "AQ", 0},    /* e = 1 */
        {RSA, "", 256, 0x80, "AQAA", 0},  /* e even */
        /* 11-12: exponent longer than 8 bytes, not base64url */
        {RSA, "", 256, 0x80, "AQAAAAAAAAAAAQ", 0},
        {RSA, "", 256, 0x80, "AQ+B", 0},
        /* 13-17: not for RS256 signatures */
        {RSA, "\"use\":\"enc\"", 256, 0x80, "AQAB", 0},
        {RSA, "\"alg\":\"RS512\"", 256, 0x80, "AQAB", 0},
        {RSA, "\"alg\":\"HS256\"", 256, 0x80, "AQAB", 0},
        {RSA, "\"use\":7", 256, 0x80, "AQAB", 0},
        {RSA, "\"alg\":[\"RS256\"]", 256, 0x80, "AQAB", 0},
        /* 18-22: EC keys we cannot use */
        {EC, "", 32, 0, "P-384", 0},
        {EC, "", 31, 0, "P-256", 0},
        {EC, "", 33, 0, "P-256", 0},
        {EC, "\"alg\":\"ES384\"", 32, 0, "P-256", 0},
        {EC, "\"use\":\"enc\"", 32, 0, "P-256", 0},
        /* 23-25: kid bounds */
        {RSA, "\"kid\":7", 256, 0x80, "AQAB", 0},
        {RSA, "\"kid\":\"a\\u0001b\"", 256, 0x80, "AQAB", 0},
        {RSA, "\"kid\":\"\"", 256, 0x80, "AQAB", 1},
};

static void
test_parse_keys(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(key_cases) / sizeof(*key_cases); i++) {
		struct jwks set = JWKS_INIT;
		const char *why = "unset";
		char *key =
		        key_cases[i].kind == RSA
		                ? rsa_jwk(key_cases[i].extra, key_cases[i].size,
		                          key_cases[i].top,
		                          key_cases[i].e_or_crv)
		                : ec_jwk(key_cases[i].extra,
		                         key_cases[i].e_or_crv,
		                         key_cases[i].size);
		char *doc = set_of(key, NULL);
		int r = jwks_parse(doc, strlen(doc), &set, &why);

		if (r != 0 || set.nkeys != (size_t)key_cases[i].kept ||
		    set.skipped != (size_t)!key_cases[i].kept)
			fail_msg("key case %zu: %d, %zu kept, %zu skipped", i,
			         r, set.nkeys, set.skipped);
		assert_null(why);
		if (key_cases[i].kept && key_cases[i].kind == RSA) {
			/* Leading zeros gone; the size is the key's own. */
			assert_int_not_equal(set.keys[0].n[0], 0);
			assert_int_equal(set.keys[0].elen, 3);
		}
		jwks_release(&set);
		free(doc);
	}
}

static void
test_parse_kid_bound(void **state)
{
	char kid[JWKS_MAX_KID + 2], extra[JWKS_MAX_KID + 16];
	struct jwks set = JWKS_INIT;
	const char *why;
	char *doc;

	(void)state;
	memset(kid, 'k', sizeof(kid));
	kid[JWKS_MAX_KID] = '\0';
	snprintf(extra, sizeof(extra), "\"kid\":\"%s\"", kid);
	doc = set_of(rsa_jwk(extra, 256, 0x80, "AQAB"), NULL);
	assert_int_equal(jwks_parse(doc, strlen(doc), &set, &why), 0);
	assert_int_equal(set.nkeys, 1);
	assert_int_equal(strlen(set.keys[0].kid), JWKS_MAX_KID);
	free(doc);

	kid[JWKS_MAX_KID] = 'k';
	kid[JWKS_MAX_KID + 1] = '\0';
	snprintf(extra, sizeof(extra), "\"kid\":\"%s\"", kid);
	doc = set_of(rsa_jwk(extra, 256, 0x80, "AQAB"), NULL);
	assert_int_equal(jwks_parse(doc, strlen(doc), &set, &why), 0);
	assert_int_equal(set.nkeys, 0);
	assert_int_equal(set.skipped, 1);
	free(doc);
	jwks_release(&set);
}

static const struct {
	const char *doc;
	const char *why; /* a word of the reason */
} bad_sets[] = {
        {"", "JSON object"},
        {"[]", "JSON object"},
        {"{\"keys\":[]", "JSON object"},
        {"{\"keys\":[]} x", "JSON object"},
        {"{}", "keys"},
        {"{\"keys\":{}}", "keys"},
        {"{\"keys\":\"RSA\"}", "keys"},
        {"{\"keys\":[7]}", "not a JSON object"},
        {"{\"keys\":[{\"kty\":\"EC\"},null]}", "not a JSON object"},
};

static void
test_parse_malformed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_sets) / sizeof(*bad_sets); i++) {
		struct jwks set = JWKS_INIT;
		const char *why = NULL;
		int r = jwks_parse(bad_sets[i].doc, strlen(bad_sets[i].doc),
		                   &set, &why);

		if (r != CLERK_EPROVIDER || !why ||
		    !strstr(why, bad_sets[i].why))
			fail_msg("bad set %zu: %d, why %s", i, r,
			         why ? why : "(null)");
		assert_null(set.keys);
	}
}

static void
test_parse_bounds(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct jwks set = JWKS_INIT;
	const char *why;
	size_t i;

	(void)state;
	/* 32 keys are fine, 33 are refused. */
	assert_int_equal(strbuf_adds(&sb, "{\"keys\":["), 0);
	for (i = 0; i < JWKS_MAX_KEYS; i++)
		assert_int_equal(
		        strbuf_addf(&sb, "%s{\"kty\":\"oct\"}", i ? "," : ""),
		        0);
	assert_int_equal(strbuf_adds(&sb, "]}"), 0);
	assert_int_equal(jwks_parse(sb.buf, sb.len, &set, &why), 0);
	assert_int_equal(set.nkeys, 0);
	assert_int_equal(set.skipped, JWKS_MAX_KEYS);
	sb.len -= 2;
	assert_int_equal(strbuf_adds(&sb, ",{\"kty\":\"oct\"}]}"), 0);
	assert_int_equal(jwks_parse(sb.buf, sb.len, &set, &why),
	                 CLERK_EPROVIDER);
	assert_non_null(strstr(why, "32 keys"));

	/* Over 256 KiB: refused before parsing. */
	strbuf_reset(&sb);
	assert_int_equal(strbuf_adds(&sb, "{\"keys\":[]"), 0);
	while (sb.len <= JWKS_MAX_INPUT)
		assert_int_equal(strbuf_addch(&sb, ' '), 0);
	assert_int_equal(strbuf_addch(&sb, '}'), 0);
	assert_int_equal(jwks_parse(sb.buf, sb.len, &set, &why),
	                 CLERK_EPROVIDER);
	assert_non_null(strstr(why, "256 KiB"));
	assert_int_equal(jwks_parse(NULL, 0, &set, &why), CLERK_EPROVIDER);
	strbuf_release(&sb);
	jwks_release(&set);
}

static void
test_next(void **state)
{
	struct jwks set = JWKS_INIT;
	const struct jwk *k;
	const char *why;
	char *doc;

	(void)state;
	doc = set_of(rsa_jwk("\"kid\":\"a\"", 256, 0x80, "AQAB"),
	             ec_jwk("\"kid\":\"a\"", "P-256", 32));
	assert_int_equal(jwks_parse(doc, strlen(doc), &set, &why), 0);
	assert_int_equal(set.nkeys, 2);
	/* The same kid on two keys: the algorithm decides. */
	k = jwks_next(&set, "RS256", "a", NULL);
	assert_non_null(k);
	assert_int_equal(k->type, JWK_RSA);
	assert_null(jwks_next(&set, "RS256", "a", k));
	k = jwks_next(&set, "ES256", "a", NULL);
	assert_non_null(k);
	assert_int_equal(k->type, JWK_EC_P256);
	assert_null(jwks_next(&set, "ES256", "b", NULL));
	assert_non_null(jwks_next(&set, "ES256", NULL, NULL));
	/* Never a key for an algorithm we do not support. */
	assert_null(jwks_next(&set, "HS256", NULL, NULL));
	assert_null(jwks_next(&set, "none", NULL, NULL));
	assert_null(jwks_next(&set, NULL, NULL, NULL));
	jwks_release(&set);
	free(doc);

	/* A key whose alg names another algorithm is never picked. */
	doc = set_of(rsa_jwk("", 256, 0x80, "AQAB"),
	             rsa_jwk("\"alg\":\"RS256\"", 256, 0x81, "AQAB"));
	assert_int_equal(jwks_parse(doc, strlen(doc), &set, &why), 0);
	k = jwks_next(&set, "RS256", NULL, NULL);
	assert_non_null(k);
	k = jwks_next(&set, "RS256", NULL, k);
	assert_non_null(k);
	assert_string_equal(k->alg, "RS256");
	assert_null(jwks_next(&set, "RS256", NULL, k));
	jwks_release(&set);
	free(doc);
}

/* --- jwks_load() against the in-process server ----------------------- */

static char state_dir[] = "/tmp/test_jwks_XXXXXX";
static int port;
static char *good_set;

static struct httpd_route routes[] = {
        {"/jwks", 200, "Content-Type: application/json\r\n", NULL, 0, 0},
        {"/error", 500, NULL, "oops", 0, 0},
        {"/garbage", 200, NULL, "{\"keys\":", 0, 0},
        {"/empty", 200, NULL, "{\"keys\":[]}", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int
setup_load(void **state)
{
	(void)state;
	httpd_unset_proxies();
	log_set_quiet(true);
	good_set = set_of(rsa_jwk("\"kid\":\"rsa-1\"", 256, 0x80, "AQAB"),
	                  ec_jwk("\"kid\":\"ec-1\"", "P-256", 32));
	routes[0].body = good_set;
	if (!mkdtemp(state_dir) || setenv("XDG_STATE_HOME", state_dir, 1))
		return -1;
	return httpd_start(routes, &port);
}

static int
teardown_load(void **state)
{
	(void)state;
	httpd_stop();
	free(good_set);
	/* Our own mkdtemp directory, depth first, links not followed. */
	return tmptree_remove(state_dir);
}

static void
uri_of(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "http://127.0.0.1:%d%s", port, path);
}

/* The cache file of @uri (the same FNV-1a name as jwks.c). */
static void
cache_of(const char *uri, char *buf, size_t size)
{
	snprintf(buf, size, "%s/clerk-credential/jwks-%016llx.json", state_dir,
	         (unsigned long long)hash_fnv1a64(uri, HASH_FNV1A64_INIT));
}

static void
test_load_fetch_cache_refetch(void **state)
{
	struct jwks set = JWKS_INIT;
	char uri[128], path[512];
	struct utimbuf old;
	struct stat st;
	bool cached = true;
	int before = httpd_requests();

	(void)state;
	uri_of(uri, sizeof(uri), "/jwks");
	cache_of(uri, path, sizeof(path));
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(set.nkeys, 2);
	assert_int_equal(httpd_requests(), before + 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Fresh cache: no request. */
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_true(cached);
	assert_int_equal(set.nkeys, 2);
	assert_int_equal(httpd_requests(), before + 1);

	/* Asked to refetch (an unknown kid): one request. */
	assert_int_equal(jwks_load(uri, true, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(httpd_requests(), before + 2);

	/* A day old, or from the future: fetched again. */
	old.actime = old.modtime = time(NULL) - JWKS_MAX_AGE - 5;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(httpd_requests(), before + 3);
	old.actime = old.modtime = time(NULL) + 3600;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(httpd_requests(), before + 4);

	/* A cache others may read is not trusted: fetched again. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(httpd_requests(), before + 5);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	jwks_release(&set);
}

static void
test_load_bad_cache_refetched(void **state)
{
	struct jwks set = JWKS_INIT;
	char uri[128], path[512];
	FILE *f;
	bool cached;
	int before;

	(void)state;
	uri_of(uri, sizeof(uri), "/jwks");
	cache_of(uri, path, sizeof(path));
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"keys\":[{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	before = httpd_requests();
	/* A cached set without a usable key is fetched again. */
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_false(cached);
	assert_int_equal(set.nkeys, 2);
	assert_int_equal(httpd_requests(), before + 1);
	jwks_release(&set);
}

static void
test_load_failures(void **state)
{
	struct jwks set = JWKS_INIT;
	char uri[128], path[512];
	bool cached;

	(void)state;
	uri_of(uri, sizeof(uri), "/error");
	assert_int_equal(jwks_load(uri, false, &set, &cached), CLERK_EPROVIDER);
	uri_of(uri, sizeof(uri), "/garbage");
	cache_of(uri, path, sizeof(path));
	assert_int_equal(jwks_load(uri, false, &set, &cached), CLERK_EPROVIDER);
	/* Never cached. */
	assert_int_equal(access(path, F_OK), -1);
	/* A valid set without keys is usable but not cached. */
	uri_of(uri, sizeof(uri), "/empty");
	cache_of(uri, path, sizeof(path));
	assert_int_equal(jwks_load(uri, false, &set, &cached), 0);
	assert_int_equal(set.nkeys, 0);
	assert_int_equal(access(path, F_OK), -1);
	/* No jwks_uri; a URL the policy refuses; nobody listening. */
	assert_int_equal(jwks_load(NULL, false, &set, &cached),
	                 CLERK_EPROVIDER);
	assert_int_equal(
	        jwks_load("http://example.com/jwks", false, &set, &cached),
	        CLERK_ECONFIG);
	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/jwks",
	         httpd_closed_port());
	assert_int_equal(jwks_load(uri, false, &set, &cached), CLERK_ENET);
	jwks_release(&set);
}

int
main(void)
{
	const struct CMUnitTest parse[] = {
	        cmocka_unit_test(test_parse_keys),
	        cmocka_unit_test(test_parse_kid_bound),
	        cmocka_unit_test(test_parse_malformed),
	        cmocka_unit_test(test_parse_bounds),
	        cmocka_unit_test(test_next),
	};
	const struct CMUnitTest load[] = {
	        cmocka_unit_test(test_load_fetch_cache_refetch),
	        cmocka_unit_test(test_load_bad_cache_refetched),
	        cmocka_unit_test(test_load_failures),
	};
	int r = cmocka_run_group_tests(parse, NULL, NULL);

	return r + cmocka_run_group_tests(load, setup_load, teardown_load);
}
