/*
 * Unit tests: encode.c (base64url, percent encoding, form bodies, query
 * strings).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "error.h"
#include "util.h"

/* RFC 4648 section 10 vectors, without padding. */
static const struct {
	const char *plain, *b64;
} b64_cases[] = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
        {"\xfb\xff\xfe", "-__-"},
};

static void
test_base64url(void **state)
{
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(b64_cases) / sizeof(b64_cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;
		unsigned char *dec = NULL;

		assert_int_equal(base64url_encode(b64_cases[i].plain,
		                                  strlen(b64_cases[i].plain),
		                                  &sb),
		                 0);
		assert_string_equal(sb.buf ? sb.buf : "", b64_cases[i].b64);
		assert_int_equal(base64url_decode(b64_cases[i].b64,
		                                  strlen(b64_cases[i].b64),
		                                  &dec, &len),
		                 0);
		assert_int_equal(len, strlen(b64_cases[i].plain));
		assert_memory_equal(dec, b64_cases[i].plain, len);
		free(dec);
		strbuf_release(&sb);
	}
}

static void
test_base64url_bad(void **state)
{
	static const char *const bad[] = {"Zm9v+", "Zm9v/", "Z",
	                                  "Zm9vY", "a b",   "Zm\n9v"};
	unsigned char *dec = NULL;
	size_t i, len;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		        base64url_decode(bad[i], strlen(bad[i]), &dec, &len),
		        CLERK_EPROTO);
	/* Padding is tolerated. */
	assert_int_equal(base64url_decode("Zm8=", 4, &dec, &len), 0);
	assert_string_equal((char *)dec, "fo");
	free(dec);
}

static void
test_url_encode(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	        {"abcXYZ019-._~", "abcXYZ019-._~"},
	        {"a b", "a%20b"},
	        {"http://127.0.0.1:8/cb", "http%3A%2F%2F127.0.0.1%3A8%2Fcb"},
	        {"openid profile", "openid%20profile"},
	        {"ü&=+", "%C3%BC%26%3D%2B"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT;

		assert_int_equal(url_encode(cases[i].in, &sb), 0);
		assert_string_equal(sb.buf, cases[i].out);
		strbuf_release(&sb);
	}
}

static void
test_form_add(void **state)
{
	static const struct {
		const char *start, *key, *value, *out;
	} cases[] = {
	        {"", "grant_type", "refresh_token", "grant_type=refresh_token"},
	        {"a=1", "scope", "openid email", "a=1&scope=openid%20email"},
	        {"", "redirect_uri", "http://127.0.0.1:8/cb",
	         "redirect_uri=http%3A%2F%2F127.0.0.1%3A8%2Fcb"},
	        {"", "code", "a&b=c+d", "code=a%26b%3Dc%2Bd"},
	        {"", "empty", "", "empty="},
	        /* An authorization URL: its query goes on after the '?'. */
	        {"https://op/authorize?response_type=code", "state", "x~y",
	         "https://op/authorize?response_type=code&state=x~y"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct strbuf sb = STRBUF_INIT_SECRET;

		assert_int_equal(strbuf_adds(&sb, cases[i].start), 0);
		assert_int_equal(form_add(&sb, cases[i].key, cases[i].value),
		                 0);
		assert_string_equal(sb.buf, cases[i].out);
		strbuf_release(&sb);
	}
}

static void
test_form_add_many(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(form_add(&sb, "token", "t.k/n"), 0);
	assert_int_equal(form_add(&sb, "token_type_hint", "refresh_token"), 0);
	assert_int_equal(form_add(&sb, "client_id", "ü"), 0);
	assert_string_equal(sb.buf, "token=t.k%2Fn&token_type_hint="
	                            "refresh_token&client_id=%C3%BC");
	strbuf_release(&sb);
}

static void
test_url_decode(void **state)
{
	static const struct {
		const char *in;
		int plus;
		int r;
		const char *out;
	} cases[] = {
	        {"a%20b", 0, 0, "a b"},
	        {"a+b", 1, 0, "a b"},
	        {"a+b", 0, 0, "a+b"},
	        {"%41%62", 0, 0, "Ab"},
	        {"%4", 0, CLERK_EPROTO, NULL},
	        {"%", 0, CLERK_EPROTO, NULL},
	        {"%zz", 0, CLERK_EPROTO, NULL},
	        {"a%00b", 0, CLERK_EPROTO, NULL},
	        {"", 0, 0, ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;

		assert_int_equal(url_decode(cases[i].in, strlen(cases[i].in),
		                            cases[i].plus, &out),
		                 cases[i].r);
		if (cases[i].out)
			assert_string_equal(out, cases[i].out);
		free(out);
	}
}

static void
test_query_get(void **state)
{
	static const struct {
		const char *query, *key;
		int r;
		const char *value;
	} cases[] = {
	        {"code=abc&state=xyz", "code", 0, "abc"},
	        {"code=abc&state=xyz", "state", 0, "xyz"},
	        {"code=abc&state=xyz", "iss", 0, NULL},
	        {"code=a%2Bb+c", "code", 0, "a+b c"},
	        {"code=1&code=2", "code", CLERK_EPROTO, NULL},
	        {"codex=1&code=2", "code", 0, "2"},
	        {"flag&x=1", "flag", 0, ""},
	        {"", "code", 0, NULL},
	        {"&&code=3&", "code", 0, "3"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *v = NULL;

		assert_int_equal(query_get(cases[i].query, cases[i].key, &v),
		                 cases[i].r);
		if (cases[i].value)
			assert_string_equal(v, cases[i].value);
		else
			assert_null(v);
		free(v);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_base64url),
	        cmocka_unit_test(test_base64url_bad),
	        cmocka_unit_test(test_url_encode),
	        cmocka_unit_test(test_form_add),
	        cmocka_unit_test(test_form_add_many),
	        cmocka_unit_test(test_url_decode),
	        cmocka_unit_test(test_query_get),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
