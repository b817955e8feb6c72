/* Unit tests of pkce.c (crypto.c has test_crypto.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"
#include "fixture.h"
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
	assert_true(fixture_b64url(a));
	assert_true(fixture_b64url(b));
	assert_string_not_equal(a, b);
	assert_int_equal(pkce_challenge(a, ch), 0);
	assert_true(fixture_b64url(ch));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_challenge_table),
	        cmocka_unit_test(test_challenge_max_length),
	        cmocka_unit_test(test_new_verifier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
