/* Unit tests: help.c (edit distance, "did you mean", usage arguments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "help.h"

static const struct {
	const char *a, *b;
	size_t d;
} distance_cases[] = {
        {"", "", 0},
        {"login", "login", 0},
        {"logni", "login", 1}, /* a swap of neighbours costs one */
        {"lgin", "login", 1},
        {"loginn", "login", 1},
        {"logon", "login", 1},
        {"", "get", 3},
        {"kitten", "sitting", 3},
        {"ca", "abc", 3},
};

static void
test_distance(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(distance_cases) / sizeof(distance_cases[0]);
	     i++) {
		assert_int_equal(
		        help_distance(distance_cases[i].a, distance_cases[i].b),
		        distance_cases[i].d);
		assert_int_equal(
		        help_distance(distance_cases[i].b, distance_cases[i].a),
		        distance_cases[i].d);
	}
}

static void
test_distance_long(void **state)
{
	char big[HELP_MAX_WORD + 2];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(help_distance(big, "a"), (size_t)-1);
	big[HELP_MAX_WORD] = '\0';
	assert_int_equal(help_distance(big, big), 0);
}

static const char *const commands[] = {"get",    "store",  "erase",
                                       "login",  "logout", "token",
                                       "status", "whoami", "docker"};
#define NCMD (sizeof(commands) / sizeof(commands[0]))

static const struct {
	const char *typed, *want; /* want NULL: no suggestion */
} closest_cases[] = {
        {"logni", "login"},  {"stauts", "status"}, {"tokn", "token"},
        {"whoam", "whoami"}, {"dokcer", "docker"}, {"gte", "get"},
        {"erace", "erase"},  {"x", NULL},          {"zzzzzz", NULL},
        {"", NULL},          {"login", NULL}, /* exact: no typo */
        {"ab", NULL},
};

static void
test_closest(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(closest_cases) / sizeof(closest_cases[0]); i++) {
		const char *got =
		        help_closest(closest_cases[i].typed, commands, NCMD);

		if (closest_cases[i].want) {
			assert_non_null(got);
			assert_string_equal(got, closest_cases[i].want);
		} else {
			assert_null(got);
		}
	}
	assert_null(help_closest("logni", commands, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_distance),
	        cmocka_unit_test(test_distance_long),
	        cmocka_unit_test(test_closest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
