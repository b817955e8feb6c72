/*
 * Unit tests of page.c: the HTTP head of each answer, the frame around
 * a page, the fixed pages, and the escaping of the provider's words in
 * the error page. tests/integration/test_signin_page.py shows the pages
 * in a real browser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fixture.h"
#include "page.h"
#include "util.h"

static const struct {
	int status;
	enum page page;
	const char *line;  /* the status line */
	const char *words; /* in the body */
} fixed_cases[] = {
        {200, PAGE_SUCCESS, "HTTP/1.1 200 OK\r\n", "Sign-in complete"},
        {400, PAGE_STALE, "HTTP/1.1 400 Bad Request\r\n", "Stale sign-in link"},
        {400, PAGE_MALFORMED, "HTTP/1.1 400 Bad Request\r\n",
         "Malformed answer"},
        {200, PAGE_ISS, "HTTP/1.1 200 OK\r\n",
         "did not come from the expected provider"},
        {200, PAGE_NO_CODE, "HTTP/1.1 200 OK\r\n", "holds no code"},
        {400, PAGE_BAD_REQUEST, "HTTP/1.1 400 Bad Request\r\n", "Bad request"},
        {404, PAGE_NOT_FOUND, "HTTP/1.1 404 Not Found\r\n", "Not found"},
        {405, PAGE_METHOD, "HTTP/1.1 405 Method Not Allowed\r\n",
         "Method not allowed"},
        {431, PAGE_TOO_BIG, "HTTP/1.1 431 Request Header Fields Too Large\r\n",
         "Request too large"},
};

static void
test_fixed_pages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(fixed_cases) / sizeof(*fixed_cases); i++) {
		struct strbuf sb = STRBUF_INIT;
		const char *body;

		assert_int_equal(page_response(&sb, fixed_cases[i].status,
		                               page_body(fixed_cases[i].page)),
		                 0);
		if (!str_starts_with(sb.buf, fixed_cases[i].line))
			fail_msg("case %zu: %.60s", i, sb.buf);
		fixture_assert_head(fixed_cases[i].words, sb.buf);
		body = fixture_body(sb.buf);
		assert_true(str_starts_with(body, "<!DOCTYPE html>\n"));
		assert_non_null(strstr(body, page_body(fixed_cases[i].page)));
		assert_non_null(strstr(body, fixed_cases[i].words));
		assert_non_null(strstr(body, "</html>\n"));
		/* Nothing that runs or loads from elsewhere. */
		assert_null(strstr(body, "<script"));
		assert_null(strstr(body, "http://"));
		assert_null(strstr(body, "https://"));
		/* Only a 405 names the allowed method. */
		assert_int_equal(strstr(sb.buf, "\r\nAllow: GET\r\n") != NULL,
		                 fixed_cases[i].status == 405);
		strbuf_release(&sb);
	}
}

/* The head every answer has (the listener's tests check it on the wire). */
static void
test_head(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(page_response(&sb, 200, page_body(PAGE_SUCCESS)), 0);
	fixture_assert_head("success page", sb.buf);
	strbuf_release(&sb);
}

/* A favicon's 404: the head alone, with an empty body. */
static void
test_empty_body(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(page_response(&sb, 404, NULL), 0);
	assert_true(str_starts_with(sb.buf, "HTTP/1.1 404 Not Found\r\n"));
	fixture_assert_head("empty body", sb.buf);
	assert_string_equal(fixture_body(sb.buf), "");
	strbuf_release(&sb);
}

static const struct {
	const char *error, *description;
	bool denied;
	const char *heading;
	const char *shown; /* the escaped words in the page */
} error_cases[] = {
        {"access_denied", "The user said no", true, "Sign-in refused",
         "<code>access_denied</code>\nThe user said no</p>"},
        {"server_error", NULL, false, "Sign-in failed",
         "<code>server_error</code></p>"},
        {"x<script>", "<b>\"quoted\" & 'single'</b>", false, "Sign-in failed",
         "<code>x&lt;script&gt;</code>\n&lt;b&gt;&quot;quoted&quot; &amp; "
         "&#39;single&#39;&lt;/b&gt;</p>"},
        {"e", "", false, "Sign-in failed", "<code>e</code>\n</p>"},
};

static void
test_error_page(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(*error_cases); i++) {
		struct strbuf sb = STRBUF_INIT;

		assert_int_equal(page_error(&sb, error_cases[i].error,
		                            error_cases[i].description,
		                            error_cases[i].denied),
		                 0);
		if (!strstr(sb.buf, error_cases[i].heading) ||
		    !strstr(sb.buf, error_cases[i].shown))
			fail_msg("case %zu: %s", i, sb.buf);
		assert_null(strstr(sb.buf, "<script"));
		assert_non_null(strstr(sb.buf, "clerk-credential login"));
		strbuf_release(&sb);
	}
}

/* A page that cannot grow is refused whole, not cut short. */
static void
test_no_room(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	sb.max = 64;
	assert_int_equal(page_response(&sb, 200, page_body(PAGE_SUCCESS)),
	                 CLERK_ENOMEM);
	strbuf_release(&sb);
	sb = (struct strbuf)STRBUF_INIT;
	sb.max = 16;
	assert_int_equal(page_error(&sb, "e", "d", false), CLERK_ENOMEM);
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_fixed_pages),
	        cmocka_unit_test(test_head),
	        cmocka_unit_test(test_empty_body),
	        cmocka_unit_test(test_error_page),
	        cmocka_unit_test(test_no_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
