/*
 * Unit tests of httpreq.c: the request-head parser of the loopback
 * listener. Every input is copied into a buffer of its exact size,
 * without a NUL, so that AddressSanitizer catches a read past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "httpreq.h"

#define REQ(s)  s, sizeof(s) - 1
#define OK      HTTP_PARSE_OK
#define MORE    HTTP_PARSE_MORE
#define BAD     HTTP_PARSE_BAD
#define TOO_BIG HTTP_PARSE_TOO_BIG

struct head_case {
	const char *name;
	const char *in;
	size_t len;
	enum http_parse want;
	const char *method, *path, *query, *host;
};

static const struct head_case head_cases[] = {
        {"crlf",
         REQ("GET /callback?code=c&state=s HTTP/1.1\r\n"
             "Host: 127.0.0.1:8000\r\nAccept: */*\r\n\r\n"),
         OK, "GET", "/callback", "code=c&state=s", "127.0.0.1:8000"},
        {"bare lf",
         REQ("GET /callback?code=c HTTP/1.1\n"
             "Host: localhost:1\n\n"),
         OK, "GET", "/callback", "code=c", "localhost:1"},
        {"mixed line ends", REQ("GET /x HTTP/1.0\r\nHost: h\n\r\n"), OK, "GET",
         "/x", NULL, "h"},
        {"no query", REQ("GET /favicon.ico HTTP/1.1\r\nHost: h\r\n\r\n"), OK,
         "GET", "/favicon.ico", NULL, "h"},
        {"empty query", REQ("GET /callback? HTTP/1.1\r\nHost: h\r\n\r\n"), OK,
         "GET", "/callback", "", "h"},
        {"second ? stays in query",
         REQ("GET /c?a=1?b HTTP/1.1\r\nHost: h\r\n\r\n"), OK, "GET", "/c",
         "a=1?b", "h"},
        {"no host", REQ("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"), OK, "GET",
         "/", NULL, NULL},
        {"host name case", REQ("GET / HTTP/1.1\r\nhOsT: h:1\r\n\r\n"), OK,
         "GET", "/", NULL, "h:1"},
        {"host blanks trimmed",
         REQ("GET / HTTP/1.1\r\nHost: \t h:1 \t\r\n\r\n"), OK, "GET", "/", NULL,
         "h:1"},
        {"empty host", REQ("GET / HTTP/1.1\r\nHost:\r\n\r\n"), OK, "GET", "/",
         NULL, ""},
        {"hostname is not host",
         REQ("GET / HTTP/1.1\r\nHostname: a\r\n"
             "Host: b\r\nX-Host: c\r\n\r\n"),
         OK, "GET", "/", NULL, "b"},
        {"other method kept",
         REQ("POST /callback HTTP/1.1\r\nHost: h\r\n"
             "Content-Length: 3\r\n\r\nabc"),
         OK, "POST", "/callback", NULL, "h"},
        {"lower-case method kept", REQ("get / HTTP/1.1\r\n\r\n"), OK, "get",
         "/", NULL, NULL},
        {"obs-text in a value", REQ("GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n"),
         OK, "GET", "/", NULL, NULL},
        {"body ignored, even a second head",
         REQ("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\n\r\n"), OK,
         "GET", "/a", NULL, "h"},

        {"empty", REQ(""), MORE, NULL, NULL, NULL, NULL},
        {"partial request line", REQ("GET /cal"), MORE, NULL, NULL, NULL, NULL},
        {"request line only", REQ("GET /callback HTTP/1.1\r\n"), MORE, NULL,
         NULL, NULL, NULL},
        {"partial header", REQ("GET / HTTP/1.1\r\nHost: 127.0"), MORE, NULL,
         NULL, NULL, NULL},
        {"headers without end", REQ("GET / HTTP/1.1\r\nHost: h\r\n"), MORE,
         NULL, NULL, NULL, NULL},
        {"cr of the end only", REQ("GET / HTTP/1.1\r\nHost: h\r\n\r"), MORE,
         NULL, NULL, NULL, NULL},

#define BAD_CASE(name, s)                                 \
	{                                                 \
		name, REQ(s), BAD, NULL, NULL, NULL, NULL \
	}
        BAD_CASE("duplicate host",
                 "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"),
        BAD_CASE("duplicate host other case",
                 "GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n"),
        BAD_CASE("empty first line", "\r\nGET / HTTP/1.1\r\n\r\n"),
        BAD_CASE("no version (HTTP/0.9)", "GET /callback\r\n\r\n"),
        BAD_CASE("HTTP/2 version", "GET / HTTP/2.0\r\n\r\n"),
        BAD_CASE("lower-case version", "GET / http/1.1\r\n\r\n"),
        BAD_CASE("double space", "GET  / HTTP/1.1\r\n\r\n"),
        BAD_CASE("trailing space", "GET / HTTP/1.1 \r\n\r\n"),
        BAD_CASE("extra word", "GET / HTTP/1.1 x\r\n\r\n"),
        BAD_CASE("tab separator", "GET\t/ HTTP/1.1\r\n\r\n"),
        BAD_CASE("space in target", "GET /a b HTTP/1.1\r\n\r\n"),
        BAD_CASE("relative target", "GET callback HTTP/1.1\r\n\r\n"),
        BAD_CASE("absolute-form target",
                 "GET http://127.0.0.1:1/callback HTTP/1.1\r\n\r\n"),
        BAD_CASE("asterisk target", "OPTIONS * HTTP/1.1\r\n\r\n"),
        BAD_CASE("no method", " / HTTP/1.1\r\n\r\n"),
        BAD_CASE("bad method char", "G(T / HTTP/1.1\r\n\r\n"),
        BAD_CASE("non-ascii in target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n"),
        BAD_CASE("bare cr in request line", "GET / HTTP/1.1\rHost: h\r\n\r\n"),
        BAD_CASE("header without colon", "GET / HTTP/1.1\r\nHost h\r\n\r\n"),
        BAD_CASE("space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n"),
        BAD_CASE("empty header name", "GET / HTTP/1.1\r\n: h\r\n\r\n"),
        BAD_CASE("obs-fold", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n"),
        BAD_CASE("control char in value", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n"),
        BAD_CASE("del in value", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"),
        BAD_CASE("cr inside a header", "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"),
        BAD_CASE("nul in request line", "GET /\0 HTTP/1.1\r\n\r\n"),
        BAD_CASE("nul in header", "GET / HTTP/1.1\r\nHost: h\0\r\n\r\n"),
        BAD_CASE("tls handshake seen early", "\x16\x03\x01\x02\x00\x01"),
        BAD_CASE("nul seen early", "GET /\0"),
#undef BAD_CASE
};

static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

static void
test_head_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(head_cases) / sizeof(head_cases[0]); i++) {
		const struct head_case *c = &head_cases[i];
		struct http_request req = {0};
		char *buf = exact_copy(c->in, c->len);
		enum http_parse r = http_request_parse(buf, c->len, &req);

		if (r != c->want)
			fail_msg("%s: got %d, want %d", c->name, r, c->want);
		fixture_assert_str(c->name, req.method,
		                   c->want == OK ? c->method : NULL);
		fixture_assert_str(c->name, req.path,
		                   c->want == OK ? c->path : NULL);
		fixture_assert_str(c->name, req.query,
		                   c->want == OK ? c->query : NULL);
		fixture_assert_str(c->name, req.host,
		                   c->want == OK ? c->host : NULL);
		http_request_release(&req);
		free(buf);
	}
}

/* Every strict prefix of a good head needs more bytes. */
static void
test_head_prefixes(void **state)
{
	static const char head[] =
	        "GET /callback?code=a&state=b HTTP/1.1\r\n"
	        "Host: 127.0.0.1:1234\r\nUser-Agent: x\r\n\r\n";
	struct http_request req = {0};
	size_t n;

	(void)state;
	for (n = 0; n < sizeof(head) - 1; n++) {
		char *buf = exact_copy(head, n);

		if (http_request_parse(buf, n, &req) != MORE)
			fail_msg("prefix of %zu bytes is not MORE", n);
		assert_null(req.method);
		free(buf);
	}
	assert_int_equal(http_request_parse(head, sizeof(head) - 1, &req), OK);
	http_request_release(&req);
}

/*
 * Heads around HTTP_REQUEST_MAX: @size bytes in all, padded by an
 * X-Pad header; @end: whether the blank line that ends the head is in.
 */
struct size_case {
	const char *name;
	size_t size;
	size_t extra; /* body bytes after the head */
	int end;
	enum http_parse want;
};

static const struct size_case size_cases[] = {
        {"head of exactly 8 KiB", HTTP_REQUEST_MAX, 0, 1, OK},
        {"8 KiB head and a body", HTTP_REQUEST_MAX, 100, 1, OK},
        {"head one byte over", HTTP_REQUEST_MAX + 1, 0, 1, TOO_BIG},
        {"head far over", 3 * HTTP_REQUEST_MAX, 0, 1, TOO_BIG},
        {"partial, one byte short", HTTP_REQUEST_MAX - 1, 0, 0, MORE},
        {"partial, 8 KiB", HTTP_REQUEST_MAX, 0, 0, TOO_BIG},
        {"partial, 9000 bytes", 9000, 0, 0, TOO_BIG},
};

static void
test_head_sizes(void **state)
{
	static const char start[] = "GET /callback HTTP/1.1\r\nX-Pad: ";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(size_cases) / sizeof(size_cases[0]); i++) {
		const struct size_case *c = &size_cases[i];
		size_t len = c->size + c->extra, pad_end;
		struct http_request req = {0};
		char *buf = malloc(len);
		enum http_parse r;

		assert_non_null(buf);
		memset(buf, 'a', len);
		memcpy(buf, start, sizeof(start) - 1);
		pad_end = c->end ? c->size - 4 : c->size;
		if (c->end)
			memcpy(buf + pad_end, "\r\n\r\n", 4);
		r = http_request_parse(buf, len, &req);
		if (r != c->want)
			fail_msg("%s: got %d, want %d", c->name, r, c->want);
		http_request_release(&req);
		free(buf);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_head_table),
	        cmocka_unit_test(test_head_prefixes),
	        cmocka_unit_test(test_head_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
