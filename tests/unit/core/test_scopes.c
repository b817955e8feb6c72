/* Unit tests: scopes.c (scope lists for step-up, contract §9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "scopes.h"

static void
test_valid(void **state)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
	        {"openid", true},    {"openid repo:write", true},
	        {"a!#[]^~", true},   {NULL, false},
	        {"", false},         {" openid", false},
	        {"openid ", false},  {"openid  email", false},
	        {"open\"id", false}, {"open\\id", false},
	        {"open\tid", false}, {"caf\xc3\xa9", false},
	};
	char big[SCOPES_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(scopes_valid(cases[i].s), cases[i].ok);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(scopes_valid(big));
	big[SCOPES_MAX] = '\0';
	assert_true(scopes_valid(big));
}

static void
test_cover_union(void **state)
{
	static const struct {
		const char *have, *want;
		bool cover;
		const char *both; /* have ∪ want */
	} cases[] = {
	        {"openid email", "email", true, "openid email"},
	        {"openid email", "repo:write", false,
	         "openid email repo:write"},
	        {"openid", "openid openid", true, "openid"},
	        {NULL, "a b", false, "a b"},
	        {"a b", NULL, true, "a b"},
	        {NULL, NULL, true, ""},
	        /* A prefix of a scope is not that scope. */
	        {"repo:write", "repo", false, "repo:write repo"},
	        {"repo", "repo:write", false, "repo repo:write"},
	};
	char *u;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("%zu\n", i);
		assert_int_equal(scopes_cover(cases[i].have, cases[i].want),
		                 cases[i].cover);
		assert_int_equal(scopes_union(cases[i].have, cases[i].want, &u),
		                 0);
		assert_string_equal(u, cases[i].both);
		free(u);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_valid),
	        cmocka_unit_test(test_cover_union),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
