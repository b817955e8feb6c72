/*
 * Unit tests: json.c (parsing with its refusals, lookups, building and
 * printing documents).
 *
 * The refusals matter because other readers of the same bytes (the
 * provider, git, Go and Rust clients) must not read a document another
 * way: a NUL or "\u0000" that would end a string early here, a member
 * named twice, trailing bytes after the value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "util.h"

static struct json *
parse(const char *text)
{
	return json_parse(text, strlen(text));
}

static void
test_parse_accepts(void **state)
{
	static const char *const good[] = {
	        "{}",
	        "[]",
	        "\"s\"",
	        "1",
	        "null",
	        " {\"a\":1} \n",
	        "{\"a\":{\"b\":[1,2,{\"c\":true}]}}",
	        "{\"a\":\"\\u00e9\\\\u0001\"}",
	        /* Members that differ in case only are two names. */
	        "{\"Key\":1,\"key\":2}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct json *doc = parse(good[i]);

		assert_non_null(doc);
		json_free(doc);
	}
}

static void
test_parse_refuses(void **state)
{
	static const char *const bad[] = {
	        "",
	        "{",
	        "{\"a\":}",
	        "{\"a\":1} x",
	        "{\"a\":1}{}",
	        "{\"a\":\"x\\u0000y\"}",
	        "{\"a\\u0000\":1}",
	        /* Also after an escaped backslash: nothing sends that. */
	        "{\"a\":\"\\\\u0000\"}",
	        "{\"a\":1,\"a\":2}",
	        "{\"o\":{\"b\":1,\"b\":1}}",
	        "[{\"x\":1},{\"y\":1,\"y\":1}]",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(parse(bad[i]));
	assert_null(json_parse(NULL, 0));
}

static void
test_parse_refuses_raw_nul(void **state)
{
	static const char text[] = "{\"a\":\"x\0y\"}";

	(void)state;
	assert_null(json_parse(text, sizeof(text) - 1));
	/* The same bytes up to the NUL would be malformed anyway; a NUL
	 * after a complete value is refused too. */
	assert_null(json_parse("{}\0", 3));
}

/* A duplicate among more than 16 members takes the sorting path. */
static void
test_parse_refuses_duplicate_in_large_object(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct json *doc;
	int i;

	(void)state;
	assert_int_equal(strbuf_adds(&sb, "{"), 0);
	for (i = 0; i < 40; i++)
		assert_int_equal(
		        strbuf_addf(&sb, "%s\"m%02d\":%d", i ? "," : "", i, i),
		        0);
	assert_int_equal(strbuf_adds(&sb, "}"), 0);
	doc = json_parse(sb.buf, sb.len);
	assert_non_null(doc);
	json_free(doc);

	/* The same with "m17" once more at the end. */
	sb.buf[sb.len - 1] = ',';
	assert_int_equal(strbuf_adds(&sb, "\"m17\":0}"), 0);
	assert_null(json_parse(sb.buf, sb.len));
	strbuf_release(&sb);
}

static void
test_parse_size_bound(void **state)
{
	size_t n = JSON_MAX_INPUT + 1;
	char *text = malloc(n);

	(void)state;
	assert_non_null(text);
	/* A string of spaces around a valid value: only the size is wrong. */
	memset(text, ' ', n);
	text[0] = '1';
	assert_null(json_parse(text, n));
	free(text);
}

static void
test_lookups(void **state)
{
	struct json *doc = parse(
	        "{\"s\":\"v\",\"n\":42,\"neg\":-7,\"f\":1.5,\"big\":1e300,"
	        "\"t\":true,\"no\":false,\"z\":null,\"a\":[\"x\",2],"
	        "\"o\":{\"k\":\"w\"},\"Key\":\"upper\"}");
	int64_t i = 0;
	bool b = false;

	(void)state;
	assert_non_null(doc);
	assert_true(json_is_object(doc));
	assert_string_equal(json_get_string(doc, "s"), "v");
	assert_null(json_get_string(doc, "n"));
	assert_null(json_get_string(doc, "missing"));

	/* Lookups are case-sensitive: "key" is not "Key". */
	assert_string_equal(json_get_string(doc, "Key"), "upper");
	assert_null(json_get(doc, "key"));
	assert_null(json_get(doc, "S"));

	assert_int_equal(json_get_int64(doc, "n", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(json_get_int64(doc, "neg", &i), 0);
	assert_int_equal(i, -7);
	assert_int_equal(json_get_int64(doc, "f", &i), -1);
	assert_int_equal(json_get_int64(doc, "big", &i), -1);
	assert_int_equal(json_get_int64(doc, "s", &i), -1);
	assert_int_equal(json_get_int64(doc, "missing", &i), -1);

	assert_int_equal(json_get_bool(doc, "t", &b), 0);
	assert_true(b);
	assert_int_equal(json_get_bool(doc, "no", &b), 0);
	assert_false(b);
	assert_int_equal(json_get_bool(doc, "z", &b), -1);
	assert_int_equal(json_get_bool(doc, "n", &b), -1);

	assert_true(json_is_array(json_get(doc, "a")));
	assert_int_equal(json_array_size(json_get(doc, "a")), 2);
	assert_string_equal(
	        json_string_value(json_array_item(json_get(doc, "a"), 0)), "x");
	assert_int_equal(
	        json_int64_value(json_array_item(json_get(doc, "a"), 1), &i),
	        0);
	assert_int_equal(i, 2);
	assert_null(json_array_item(json_get(doc, "a"), 2));
	assert_int_equal(json_array_size(json_get(doc, "o")), 0);
	assert_string_equal(json_get_string(json_get(doc, "o"), "k"), "w");

	/* Lookups on what is not an object find nothing. */
	assert_null(json_get(json_get(doc, "a"), "x"));
	assert_null(json_get(NULL, "s"));
	json_free(doc);
}

static void
test_type_names(void **state)
{
	struct json *doc = parse("{\"s\":\"\",\"n\":0,\"b\":false,\"z\":null,"
	                         "\"a\":[],\"o\":{}}");
	static const struct {
		const char *key, *name;
	} cases[] = {
	        {"s", "a string"}, {"n", "a number"}, {"b", "a boolean"},
	        {"z", "null"},     {"a", "an array"}, {"o", "an object"},
	};
	size_t i;

	(void)state;
	assert_non_null(doc);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(json_type_name(json_get(doc, cases[i].key)),
		                    cases[i].name);
	assert_string_equal(json_type_name(NULL), "nothing");
	json_free(doc);
}

static void
test_members_in_order(void **state)
{
	struct json *doc = parse("{\"b\":1,\"a\":2,\"c\":3}");
	const struct json *m;
	char keys[4] = "";
	size_t n = 0;

	(void)state;
	assert_non_null(doc);
	for (m = json_first_member(doc); m; m = json_next_member(m))
		keys[n++] = json_member_key(m)[0];
	assert_string_equal(keys, "bac");
	assert_null(json_first_member(json_get(doc, "a")));
	json_free(doc);
}

static void
test_build_and_print(void **state)
{
	struct json *doc = json_new_object(), *arr = json_new_array();
	struct json *copy, *back;
	char *out = NULL;

	(void)state;
	assert_non_null(doc);
	assert_non_null(arr);
	assert_int_equal(json_add_string(doc, "s", "a\"b\n"), 0);
	assert_int_equal(json_add_int64(doc, "n", 1700000000), 0);
	assert_int_equal(json_add_bool(doc, "t", true), 0);
	assert_int_equal(json_array_add_string(arr, "x"), 0);
	assert_int_equal(json_array_add_string(arr, "y"), 0);
	assert_int_equal(json_add_node(doc, "a", arr), 0);
	/* A NULL child (a failed json_new_*()) is an allocation failure. */
	assert_int_equal(json_add_node(doc, "none", NULL), CLERK_ENOMEM);
	assert_null(json_get(doc, "none"));

	assert_int_equal(json_print(doc, false, &out), 0);
	assert_string_equal(out, "{\"s\":\"a\\\"b\\n\",\"n\":1700000000,"
	                         "\"t\":true,\"a\":[\"x\",\"y\"]}");
	secret_free(out);

	/* What is printed parses back to the same values. */
	copy = json_dup(doc);
	assert_non_null(copy);
	json_remove(copy, "t");
	json_remove(copy, "absent");
	assert_int_equal(json_print(copy, true, &out), 0);
	back = json_parse(out, strlen(out));
	secret_free(out);
	assert_non_null(back);
	assert_string_equal(json_get_string(back, "s"), "a\"b\n");
	assert_null(json_get(back, "t"));
	assert_int_equal(json_array_size(json_get(back, "a")), 2);
	json_free(back);
	json_free(copy);
	json_free_public(doc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_accepts),
	        cmocka_unit_test(test_parse_refuses),
	        cmocka_unit_test(test_parse_refuses_raw_nul),
	        cmocka_unit_test(test_parse_refuses_duplicate_in_large_object),
	        cmocka_unit_test(test_parse_size_bound),
	        cmocka_unit_test(test_lookups),
	        cmocka_unit_test(test_type_names),
	        cmocka_unit_test(test_members_in_order),
	        cmocka_unit_test(test_build_and_print),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
