/* Unit tests: util.c (strings, buffers, numbers, time). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

static void
test_ct_equal(void **state)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} cases[] = {
	        {"abc", "abc", true}, {"abc", "abd", false},
	        {"abc", "ab", false}, {"", "", true},
	        {"", "a", false},     {"state-1", "state-1", true},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(str_ct_equal(cases[i].a, cases[i].b),
		                 cases[i].eq);
	assert_false(str_ct_equal(NULL, "a"));
}

static void
test_parse_int64(void **state)
{
	static const struct {
		const char *s;
		int64_t min, max;
		int ok;
		int64_t v;
	} cases[] = {
	        {"0", 0, 10, 0, 0},
	        {"10", 0, 10, 0, 10},
	        {"11", 0, 10, -1, 0},
	        {"-1", 0, 10, -1, 0},
	        {"-5", -10, 10, 0, -5},
	        {"", 0, 10, -1, 0},
	        {" 1", 0, 10, -1, 0},
	        {"1 ", 0, 10, -1, 0},
	        {"1x", 0, 10, -1, 0},
	        {"+1", 0, 10, -1, 0},
	        {"99999999999999999999", 0, INT64_MAX, -1, 0},
	        {"9223372036854775807", 0, INT64_MAX, 0, INT64_MAX},
	};
	size_t i;
	int64_t v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 0;
		assert_int_equal(
		        parse_int64(cases[i].s, cases[i].min, cases[i].max, &v),
		        cases[i].ok);
		if (cases[i].ok == 0)
			assert_int_equal(v, cases[i].v);
	}
}

static void
test_strbuf(void **state)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char *out = NULL;
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(strbuf_addf(&sb, "%d,", i), 0);
	assert_true(sb.len > 2000);
	assert_memory_equal(sb.buf, "0,1,2,", 6);
	strbuf_reset(&sb);
	assert_int_equal(sb.len, 0);
	assert_int_equal(strbuf_adds(&sb, "x"), 0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	assert_string_equal(out, "x");
	secret_free(out);
	strbuf_release(&sb);

	/* A bounded buffer refuses to grow past its limit. */
	sb.max = 4;
	assert_int_equal(strbuf_adds(&sb, "abcd"), 0);
	assert_int_equal(strbuf_adds(&sb, "e"), CLERK_EPROTO);
	strbuf_release(&sb);
}

static void
test_time_format(void **state)
{
	static const struct {
		int64_t t;
		const char *s;
	} cases[] = {
	        {0, "1970-01-01T00:00:00Z"},
	        {1700000000, "2023-11-14T22:13:20Z"},
	        {4102444800, "2100-01-01T00:00:00Z"},
	};
	char buf[21];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_format_rfc3339(cases[i].t, buf);
		assert_string_equal(buf, cases[i].s);
	}
}

static void
test_fnv(void **state)
{
	(void)state;
	/* Published FNV-1a 64 test vectors. */
	assert_true(hash_fnv1a64("", HASH_FNV1A64_INIT) ==
	            0xcbf29ce484222325ULL);
	assert_true(hash_fnv1a64("a", HASH_FNV1A64_INIT) ==
	            0xaf63dc4c8601ec8cULL);
	assert_true(hash_fnv1a64("foobar", HASH_FNV1A64_INIT) ==
	            0x85944171f73967e8ULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ct_equal),
	        cmocka_unit_test(test_parse_int64),
	        cmocka_unit_test(test_strbuf),
	        cmocka_unit_test(test_time_format),
	        cmocka_unit_test(test_fnv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
