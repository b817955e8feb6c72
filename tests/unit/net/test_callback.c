/*
 * Unit tests of callback.c: the callback query decoder, alone and on the
 * query the request-head parser (httpreq.c) hands over, and the checks
 * of an answer (callback_answer()): state, issuer, error, code.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "callback.h"
#include "capture.h"
#include "error.h"
#include "fixture.h"
#include "httpreq.h"
#include "page.h"

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
		fixture_assert_str(c->name, cb.code, c->code);
		fixture_assert_str(c->name, cb.state, c->state);
		fixture_assert_str(c->name, cb.iss, c->iss);
		fixture_assert_str(c->name, cb.error, c->error);
		fixture_assert_str(c->name, cb.error_description,
		                   c->error_description);
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

/* --- The checks of an answer ----------------------------------------- */

#define ST  "state-1"
#define ISS "https://op.example"

#define NO_PAGE ((enum page) - 1) /* the error page, built */

static const struct answer_case {
	const char *name;
	const char *query;
	const char *iss; /* expected; NULL: not checked */
	bool iss_required, pasted;
	int status;
	enum page page;
	bool done;
	int result;
	const char *code, *error; /* handed out */
	const char *says;         /* on stderr; "" for nothing */
} answer_cases[] = {
        {"a code", "code=c1&state=" ST, NULL, false, false, 200, PAGE_SUCCESS,
         true, 0, "c1", NULL, ""},
        {"a code and the issuer", "code=c1&state=" ST "&iss=" ISS, ISS, true,
         false, 200, PAGE_SUCCESS, true, 0, "c1", NULL, ""},
        {"malformed", "code=a&code=b&state=" ST, NULL, false, false, 400,
         PAGE_MALFORMED, false, 0, NULL, NULL, "ignored a malformed"},
        {"no query", NULL, NULL, false, false, 400, PAGE_STALE, false, 0, NULL,
         NULL, "for another sign-in"},
        {"another state", "code=c&state=other", NULL, false, false, 400,
         PAGE_STALE, false, 0, NULL, NULL, "for another sign-in"},
        {"another state, pasted", "code=c&state=other", NULL, false, true, 400,
         PAGE_STALE, false, 0, NULL, NULL,
         "that address belongs to another sign-in"},
        {"a state that starts alike", "code=c&state=" ST "x", NULL, false,
         false, 400, PAGE_STALE, false, 0, NULL, NULL, "another sign-in"},
        {"another issuer", "code=c&state=" ST "&iss=https://evil", ISS, false,
         false, 200, PAGE_ISS, true, CLERK_EPROVIDER, NULL, NULL,
         "comes from issuer https://evil, not " ISS},
        {"another issuer on an error",
         "error=access_denied&state=" ST "&iss=https://evil", ISS, false, false,
         200, PAGE_ISS, true, CLERK_EPROVIDER, NULL, NULL, "comes from issuer"},
        {"no issuer, one required", "code=c&state=" ST, ISS, true, false, 200,
         PAGE_ISS, true, CLERK_EPROVIDER, NULL, NULL, "carries no issuer"},
        {"no issuer, none required", "code=c&state=" ST, ISS, false, false, 200,
         PAGE_SUCCESS, true, 0, "c", NULL, ""},
        {"refused", "error=access_denied&state=" ST, NULL, false, false, 200,
         NO_PAGE, true, CLERK_EDENIED, NULL, "access_denied",
         "sign-in refused by the provider: access_denied"},
        {"an error with a code", "error=server_error&code=c&state=" ST, NULL,
         false, false, 200, NO_PAGE, true, CLERK_EPROVIDER, NULL,
         "server_error", "failed: the provider answered: server_error"},
        {"no code", "state=" ST, NULL, false, false, 200, PAGE_NO_CODE, true,
         CLERK_EPROTO, NULL, NULL, "neither a code nor an error"},
        {"an empty code", "code=&state=" ST, NULL, false, false, 200,
         PAGE_NO_CODE, true, CLERK_EPROTO, NULL, NULL, "neither a code"},
};

static void
run_answer(void *arg)
{
	const struct answer_case *c = arg;
	struct callback_expect want = {ST, c->iss, c->iss_required};
	struct callback_params out = {0};
	struct callback_reply rep;

	callback_answer(c->query, &want, c->pasted, &rep, &out);
	if (rep.status != c->status || rep.done != c->done ||
	    (c->done && rep.result != c->result))
		fail_msg("%s: status %d done %d result %d", c->name, rep.status,
		         rep.done, rep.result);
	assert_non_null(rep.body);
	if (c->page != NO_PAGE)
		assert_string_equal(rep.body, page_body(c->page));
	else
		assert_non_null(strstr(rep.body, c->error));
	fixture_assert_str(c->name, out.code, c->code);
	fixture_assert_str(c->name, out.error, c->error);
	/* Handed out only when the provider's answer ends the wait. */
	if (c->code || c->error)
		assert_string_equal(out.state, ST);
	else
		assert_null(out.state);
	callback_params_release(&out);
	callback_reply_release(&rep);
}

static void
test_answer_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(answer_cases) / sizeof(*answer_cases); i++) {
		const char *text =
		        capture_stderr(run_answer, (void *)&answer_cases[i]);

		if (!answer_cases[i].says[0]
		            ? text[0] != '\0'
		            : !strstr(text, answer_cases[i].says))
			fail_msg("%s: stderr: %s", answer_cases[i].name, text);
		/* Never the code. */
		assert_null(strstr(text, "code=c"));
	}
}

/* The provider's words reach the terminal without their controls. */
static void
run_hostile(void *arg)
{
	struct callback_expect want = {ST, NULL, false};
	struct callback_params out = {0};
	struct callback_reply rep;

	(void)arg;
	callback_answer("error=e%1B%5B31m&error_description=%3Cb%3E%1B%5D0%3Bx"
	                "&state=" ST,
	                &want, false, &rep, &out);
	assert_true(rep.done);
	assert_int_equal(rep.result, CLERK_EPROVIDER);
	/* The page escapes them. */
	assert_non_null(strstr(rep.body, "&lt;b&gt;"));
	callback_params_release(&out);
	callback_reply_release(&rep);
}

static void
test_answer_hostile(void **state)
{
	const char *text;

	(void)state;
	text = capture_stderr(run_hostile, NULL);
	assert_null(strchr(text, '\x1b'));
	assert_non_null(strstr(text, "<b>"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_query_table),
	        cmocka_unit_test(test_request_to_params),
	        cmocka_unit_test(test_answer_table),
	        cmocka_unit_test(test_answer_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
