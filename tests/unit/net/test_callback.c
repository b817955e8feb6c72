/*
 * Unit tests of callback.c: the callback query decoder, alone and on the
 * query the request-head parser (httpreq.c) hands over.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callback.h"
#include "error.h"
#include "httpreq.h"

static void
assert_str_or_null(const char *got, const char *want, const char *name)
{
	if (!want) {
		if (got)
			fail_msg("%s: got \"%s\", want NULL", name, got);
		return;
	}
	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", name,
		         got ? got : "(null)", want);
}

struct query_case {
	const char *name;
	const char *query; /* NULL: no query at all */
	int want;
	const char *code, *state, *iss, *error, *error_description;
};

static const struct query_case query_cases[] = {
#define Q_OK(name, q, code, state, iss, error, desc)      \
	{                                                 \
		name, q, 0, code, state, iss, error, desc \
	}
#define Q_FAIL(name, q)                                             \
	{                                                           \
		name, q, CLERK_EPROTO, NULL, NULL, NULL, NULL, NULL \
	}
        Q_OK("code and state", "code=abc&state=xyz", "abc", "xyz", NULL, NULL,
             NULL),
        Q_OK("order and unknown keys",
             "scope=openid&state=s&session_state=q&code=c", "c", "s", NULL,
             NULL, NULL),
        Q_OK("all five", "code=c&state=s&iss=i&error=e&error_description=d",
             "c", "s", "i", "e", "d"),
        Q_OK("plus is a space",
             "state=s&error=access_denied&error_description=The+user+said+no",
             NULL, "s", NULL, "access_denied", "The user said no"),
        Q_OK("escaped plus", "code=a%2Bb", "a+b", NULL, NULL, NULL, NULL),
        Q_OK("escapes", "state=a%2Fb%3D%26c%20d&code=%7e", "~", "a/b=&c d",
             NULL, NULL, NULL),
        Q_OK("lower-case hex", "code=%2f%3a", "/:", NULL, NULL, NULL, NULL),
        Q_OK("utf-8 escapes", "error=e&error_description=caf%C3%A9", NULL, NULL,
             NULL, "e", "caf\xc3\xa9"),
        Q_OK("issuer url", "iss=http%3A%2F%2F127.0.0.1%3A4000%2F", NULL, NULL,
             "http://127.0.0.1:4000/", NULL, NULL),
        Q_OK("empty values", "code=&state=", "", "", NULL, NULL, NULL),
        Q_OK("key without =", "code&state=s", "", "s", NULL, NULL, NULL),
        Q_OK("keys are case-sensitive", "CODE=x&State=y", NULL, NULL, NULL,
             NULL, NULL),
        Q_OK("keys match whole", "codex=1&xcode=2&state_=3", NULL, NULL, NULL,
             NULL, NULL),
        Q_OK("empty query", "", NULL, NULL, NULL, NULL, NULL),
        Q_OK("no query", NULL, NULL, NULL, NULL, NULL, NULL),
        Q_OK("stray ampersands", "&&code=c&&", "c", NULL, NULL, NULL, NULL),
        Q_OK("duplicate unknown key", "x=1&x=2&code=c", "c", NULL, NULL, NULL,
             NULL),

        Q_FAIL("duplicate code", "code=a&code=b&state=s"),
        Q_FAIL("duplicate code, same value", "code=a&state=s&code=a"),
        Q_FAIL("duplicate state", "state=s&code=c&state=s"),
        Q_FAIL("duplicate iss", "iss=a&iss=a"),
        Q_FAIL("duplicate error", "error=a&error=b"),
        Q_FAIL("duplicate description",
               "error_description=a&error_description="),
        Q_FAIL("nul escape", "code=a%00b"),
        Q_FAIL("nul escape in state", "code=c&state=%00"),
        Q_FAIL("bad hex", "code=%zz"),
        Q_FAIL("short escape", "code=%4"),
        Q_FAIL("lone percent", "state=%"),
#undef Q_OK
#undef Q_FAIL
};

static void
test_query_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
		const struct query_case *c = &query_cases[i];
		struct callback_params cb = {0};
		int r = callback_parse_query(c->query, &cb);

		if (r != c->want)
			fail_msg("%s: got %d, want %d", c->name, r, c->want);
		/* On failure nothing is handed out. */
		assert_str_or_null(cb.code, c->code, c->name);
		assert_str_or_null(cb.state, c->state, c->name);
		assert_str_or_null(cb.iss, c->iss, c->name);
		assert_str_or_null(cb.error, c->error, c->name);
		assert_str_or_null(cb.error_description, c->error_description,
		                   c->name);
		callback_params_release(&cb);
	}
}

/* The parsed query of a whole request decodes as the listener does it. */
static void
test_request_to_params(void **state)
{
	static const char head[] =
	        "GET /callback?code=S%2Bc+r&state=st&iss=http%3A%2F%2Fi "
	        "HTTP/1.1\nHost: 127.0.0.1:5\n\n";
	struct http_request req = {0};
	struct callback_params cb = {0};

	(void)state;
	assert_int_equal(http_request_parse(head, sizeof(head) - 1, &req),
	                 HTTP_PARSE_OK);
	assert_int_equal(callback_parse_query(req.query, &cb), 0);
	assert_string_equal(cb.code, "S+c r");
	assert_string_equal(cb.state, "st");
	assert_string_equal(cb.iss, "http://i");
	callback_params_release(&cb);
	assert_null(cb.code);
	http_request_release(&req);
	assert_null(req.query);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_query_table),
	        cmocka_unit_test(test_request_to_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
