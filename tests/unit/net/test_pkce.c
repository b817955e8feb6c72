/* Unit tests of pkce.c and crypto.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crypto.h"
#include "error.h"
#include "pkce.h"
#include "util.h"

static const struct {
	const char *verifier;
	const char *challenge; /* NULL: refused */
} challenge_cases[] = {
        /* RFC 7636 Appendix B. */
        {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
         "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"},
        /* 43 characters of the unreserved set other than base64url. */
        {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.~", ""},
        {"too-short", NULL},
        {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX+", NULL},
        {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX=", NULL},
        {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX ", NULL},
        {"", NULL},
};

static void
test_challenge_table(void **state)
{
	char ch[PKCE_CHALLENGE_LEN + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(challenge_cases) / sizeof(*challenge_cases);
	     i++) {
		int r = pkce_challenge(challenge_cases[i].verifier, ch);

		if (!challenge_cases[i].challenge) {
			assert_int_equal(r, CLERK_EINTERNAL);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(strlen(ch), PKCE_CHALLENGE_LEN);
		if (challenge_cases[i].challenge[0])
			assert_string_equal(ch, challenge_cases[i].challenge);
	}
}

static void
test_challenge_max_length(void **state)
{
	char v[130], ch[PKCE_CHALLENGE_LEN + 1];

	(void)state;
	memset(v, 'a', 128);
	v[128] = '\0';
	assert_int_equal(pkce_challenge(v, ch), 0);
	v[128] = 'a';
	v[129] = '\0';
	assert_int_equal(pkce_challenge(v, ch), CLERK_EINTERNAL);
}

static bool
b64url_alphabet(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static void
test_new_verifier(void **state)
{
	char a[PKCE_VERIFIER_LEN + 1], b[PKCE_VERIFIER_LEN + 1];
	char ch[PKCE_CHALLENGE_LEN + 1];

	(void)state;
	assert_int_equal(pkce_new_verifier(a), 0);
	assert_int_equal(pkce_new_verifier(b), 0);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strlen(b), 43);
	assert_true(b64url_alphabet(a));
	assert_true(b64url_alphabet(b));
	assert_string_not_equal(a, b);
	assert_int_equal(pkce_challenge(a, ch), 0);
	assert_true(b64url_alphabet(ch));
}

static const struct {
	size_t nbytes;
	size_t chars; /* 0: refused */
} random_cases[] = {
        {16, 22}, {32, 43}, {64, 86}, {0, 0}, {65, 0},
};

static void
test_random_base64url(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(random_cases) / sizeof(*random_cases); i++) {
		struct strbuf a = STRBUF_INIT_SECRET, b = STRBUF_INIT_SECRET;
		int r;

		assert_int_equal(strbuf_adds(&a, "x"), 0);
		r = crypto_random_base64url(random_cases[i].nbytes, &a);
		if (!random_cases[i].chars) {
			assert_int_equal(r, CLERK_EINTERNAL);
			assert_string_equal(a.buf, "x");
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(a.len, 1 + random_cases[i].chars);
			assert_true(b64url_alphabet(a.buf));
			r = crypto_random_base64url(random_cases[i].nbytes, &b);
			assert_int_equal(r, 0);
			assert_string_not_equal(a.buf + 1, b.buf);
		}
		strbuf_release(&a);
		strbuf_release(&b);
	}
}

static void
test_sha256(void **state)
{
	/* FIPS 180-2 example "abc". */
	static const unsigned char abc[32] = {
	        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
	        0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
	        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
	        0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	unsigned char out[32];

	(void)state;
	assert_int_equal(crypto_sha256("abc", 3, out), 0);
	assert_memory_equal(out, abc, 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_challenge_table),
	        cmocka_unit_test(test_challenge_max_length),
	        cmocka_unit_test(test_new_verifier),
	        cmocka_unit_test(test_random_base64url),
	        cmocka_unit_test(test_sha256),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
