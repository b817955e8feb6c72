/*
 * Unit tests of http.c: the URL policy, and real requests to an
 * in-process server on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "error.h"
#include "http.h"
#include "capture.h"
#include "httpd.h"
#include "config.h"
#include "log.h"
#include "net.h"
#include "util.h"

static const struct {
	const char *url;
	bool allowed;
} url_cases[] = {
        {"https://example.clerk.accounts.dev", true},
        {"https://clerk.example.com/.well-known/openid-configuration", true},
        {"https://example.com:8443/oauth/token?x=1#f", true},
        {"https://[2001:db8::1]/oauth/token", true},
        {"https://[2001:db8::1]:443", true},
        {"https://host_name.internal/a", true},
        {"http://127.0.0.1", true},
        {"http://127.0.0.1:8080/oauth/token", true},
        {"http://[::1]:9/x", true},
        {"http://localhost:3000/", true},
        {"http://LOCALHOST/", true},
        {"http://127.0.0.1?a", true},
        {"http://127.0.0.1#@example.com", true},
        {"http://example.com/", false},
        {"http://127.0.0.2/", false},
        {"http://127.0.0.1.example.com/", false},
        {"http://localhost.example.com/", false},
        {"http://localhost./", false},
        {"http://[::2]/", false},
        {"http://[::ffff:127.0.0.1]/", false},
        {"http://2130706433/", false},
        {"http://0x7f000001/", false},
        {"http://%31%32%37.0.0.1/", false},
        {"http://user@127.0.0.1/", false},
        {"http://127.0.0.1:80@example.com/", false},
        {"http://example.com@127.0.0.1/", false},
        {"https://user:pass@example.com/", false},
        {"http://127.0.0.1\\@example.com/", false},
        {"https://example.com /x", false},
        {"https://example.com/\n", false},
        {"https://example.com/\x7f", false},
        {"https://ex\xc3\xa4mple.com/", false},
        {"ftp://example.com/", false},
        {"file:///etc/passwd", false},
        {"HTTPS://example.com/", false},
        {"https:/example.com", false},
        {"https://", false},
        {"https:///path", false},
        {"https://:443/", false},
        {"https://example.com:/", false},
        {"https://example.com:0/", false},
        {"https://example.com:65536/", false},
        {"https://example.com:123456/", false},
        {"https://example.com:80:80/", false},
        {"https://2001:db8::1/", false},
        {"https://[2001:db8::1/", false},
        {"https://[2001:db8::1]x/", false},
        {"https://[fe80::1%25eth0]/", false},
        {"https://[]/", false},
        {"example.com", false},
        {"", false},
        {"garbage", false},
        {NULL, false},
};

static void
test_url_allowed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(url_cases) / sizeof(*url_cases); i++) {
		if (http_url_allowed(url_cases[i].url) != url_cases[i].allowed)
			fail_msg("url %zu \"%s\": expected %s", i,
			         url_cases[i].url ? url_cases[i].url : "NULL",
			         url_cases[i].allowed ? "allowed" : "refused");
	}
}

static void
test_url_too_long(void **state)
{
	char *url = malloc(9000);

	(void)state;
	assert_non_null(url);
	memcpy(url, "https://example.com/", 20);
	memset(url + 20, 'a', 8979);
	url[8999] = '\0';
	assert_false(http_url_allowed(url));
	url[4000] = '\0';
	assert_true(http_url_allowed(url));
	free(url);
}

/* --- Requests to the in-process server ------------------------------- */

static char kib[1025];

static const struct httpd_route routes[] = {
        {"/ok", 200, "Content-Type: application/json\r\n",
         "{\"hello\":\"world\"}", 0, 0},
        {"/echo", 200, NULL, "echo", 0, 0},
        {"/redirect", 302, "Location: /ok\r\n", "moved", 0, 0},
        {"/error", 500, "Content-Type: text/html\r\n", "<html>oops</html>", 0,
         0},
        {"/empty", 204, NULL, NULL, 0, 0},
        {"/exactly-limit", 200, NULL, kib, 1024, 0},
        {"/big", 200, NULL, kib, 1025, 0},
        {"/big-no-length", 200, NULL, kib, 1100, 1},
        {"/retry", 429, "Retry-After: 120\r\n", "{}", 0, 0},
        {"/retry-spaces", 503, "Retry-After:   7  \r\n", "{}", 0, 0},
        {"/retry-date", 503, "Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n",
         "{}", 0, 0},
        {"/retry-negative", 503, "Retry-After: -5\r\n", "{}", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int port;

static int
setup(void **state)
{
	(void)state;
	memset(kib, 'x', 1024);
	httpd_unset_proxies();
	return httpd_start(routes, &port);
}

static int
teardown(void **state)
{
	(void)state;
	httpd_stop();
	return 0;
}

static char *
url_of(const char *path)
{
	static char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	return url;
}

static const struct {
	const char *path;
	long status;
	const char *body; /* NULL: not compared */
	size_t len;
	const char *content_type; /* NULL: none expected */
	long retry_after;
} get_cases[] = {
        {"/ok", 200, "{\"hello\":\"world\"}", 17, "application/json", -1},
        {"/redirect", 302, "moved", 5, NULL, -1},
        {"/error", 500, "<html>oops</html>", 17, "text/html", -1},
        {"/empty", 204, "", 0, NULL, -1},
        {"/missing", 404, "not found", 9, NULL, -1},
        {"/exactly-limit", 200, NULL, HTTP_MAX_BODY, NULL, -1},
        {"/retry", 429, "{}", 2, NULL, 120},
        {"/retry-spaces", 503, "{}", 2, NULL, 7},
        {"/retry-date", 503, "{}", 2, NULL, -1},
        {"/retry-negative", 503, "{}", 2, NULL, -1},
};

static void
test_get_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(get_cases) / sizeof(*get_cases); i++) {
		struct http_response resp = HTTP_RESPONSE_INIT;

		assert_int_equal(
		        http_get(url_of(get_cases[i].path), NULL, &resp), 0);
		assert_int_equal(resp.status, get_cases[i].status);
		assert_int_equal(resp.len, get_cases[i].len);
		assert_non_null(resp.body);
		assert_int_equal(strlen(resp.body), resp.len);
		if (get_cases[i].body)
			assert_string_equal(resp.body, get_cases[i].body);
		if (get_cases[i].content_type)
			assert_string_equal(resp.content_type,
			                    get_cases[i].content_type);
		else
			assert_null(resp.content_type);
		assert_int_equal(resp.retry_after, get_cases[i].retry_after);
		http_response_release(&resp);
	}
}

static void
test_redirect_not_followed(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int before = httpd_requests();

	(void)state;
	assert_int_equal(http_get(url_of("/redirect"), NULL, &resp), 0);
	assert_int_equal(resp.status, 302);
	assert_int_equal(httpd_requests(), before + 1);
	http_response_release(&resp);
}

static void
test_body_over_limit(void **state)
{
	static const char *const paths[] = {"/big", "/big-no-length"};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct http_response resp = HTTP_RESPONSE_INIT;

		assert_int_equal(http_get(url_of(paths[i]), NULL, &resp),
		                 CLERK_EPROTO);
		assert_null(resp.body);
		assert_int_equal(resp.status, 0);
	}
}

/* A smaller limit than HTTP_MAX_BODY for one GET; never a larger one. */
static void
test_get_limited(void **state)
{
	static const struct {
		const char *path;
		size_t max;
		int result;
	} cases[] = {
	        {"/ok", 17, 0},
	        {"/ok", 16, CLERK_EPROTO},
	        {"/echo", 64 * 1024, 0},
	        {"/big-no-length", 64 * 1024, CLERK_EPROTO},
	        {"/exactly-limit", SIZE_MAX, 0},
	        {"/big", SIZE_MAX, CLERK_EPROTO},
	};
	char req[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_response resp = HTTP_RESPONSE_INIT;
		int r = http_get_limited(url_of(cases[i].path), cases[i].max,
		                         &resp);

		if (r != cases[i].result)
			fail_msg("case %zu: %d", i, r);
		assert_true(r ? resp.body == NULL : resp.status == 200);
		httpd_last_request(req, sizeof(req));
		assert_null(strstr(req, "Authorization"));
		http_response_release(&resp);
	}
}

struct fetch_call {
	const struct net_api *net;
	const char *url;
	char *body;
	size_t len;
	int result;
};

static void
run_fetch(void *arg)
{
	struct fetch_call *c = arg;
	struct config cfg = {0};

	c->result = c->net->fetch(&cfg, c->url, 64, &c->body, &c->len);
}

/* The network module's fetch: a 200 answer, else one error said. */
static void
test_net_fetch(void **state)
{
	static const struct {
		const char *path;
		int result;
		const char *said;
	} cases[] = {
	        {"/ok", 0, NULL},
	        {"/redirect", CLERK_EPROVIDER, "HTTP 302"},
	        {"/missing", CLERK_EPROVIDER, "HTTP 404"},
	        {"/empty", CLERK_EPROVIDER, "HTTP 204"},
	        {"/big", CLERK_EPROTO, "over 64 bytes"},
	};
	const struct net_api *net = NULL;
	size_t i;

	(void)state;
	assert_int_equal(net_load(&net), 0);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct fetch_call c = {net, url_of(cases[i].path), NULL, 0, 0};
		int before = httpd_requests();
		const char *text = capture_stderr(run_fetch, &c);

		if (c.result != cases[i].result)
			fail_msg("case %zu: %d", i, c.result);
		/* No redirect followed: one request each. */
		assert_int_equal(httpd_requests(), before + 1);
		if (c.result) {
			assert_null(c.body);
			assert_non_null(strstr(text, cases[i].said));
		} else {
			assert_int_equal(c.len, 17);
			assert_string_equal(c.body, "{\"hello\":\"world\"}");
		}
		secret_free(c.body);
	}
	{
		struct fetch_call c = {net, "http://example.com/x", NULL, 0, 0};

		capture_stderr(run_fetch, &c);
		assert_int_equal(c.result, CLERK_ECONFIG);
		assert_null(c.body);
	}
}

static void
test_post_form(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	static char req[65536];

	(void)state;
	assert_int_equal(http_post_form(url_of("/echo"),
	                                "grant_type=refresh_token&a=b%20c",
	                                &resp),
	                 0);
	assert_int_equal(resp.status, 200);
	httpd_last_request(req, sizeof(req));
	assert_true(strncmp(req, "POST /echo HTTP/1.1\r\n", 21) == 0);
	assert_non_null(strstr(req, "\r\nUser-Agent: clerk-credential/"));
	assert_non_null(strstr(req, "\r\nAccept: application/json\r\n"));
	assert_non_null(strstr(req, "\r\nContent-Type: "
	                            "application/x-www-form-urlencoded\r\n"));
	assert_null(strstr(req, "Authorization:"));
	assert_null(strstr(req, "Accept-Encoding:"));
	assert_non_null(
	        strstr(req, "\r\n\r\ngrant_type=refresh_token&a=b%20c"));
	http_response_release(&resp);
}

static void
test_get_bearer(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	static char req[65536];

	(void)state;
	assert_int_equal(http_get(url_of("/echo"), "tok.en-_~+/=", &resp), 0);
	httpd_last_request(req, sizeof(req));
	assert_true(strncmp(req, "GET /echo HTTP/1.1\r\n", 20) == 0);
	assert_non_null(strstr(req, "\r\nAuthorization: Bearer tok.en-_~+/="
	                            "\r\n"));
	http_response_release(&resp);

	/* A token that would inject a header is refused before sending. */
	assert_int_equal(http_get(url_of("/echo"), "a\r\nX-Evil: 1", &resp),
	                 CLERK_EPROTO);
	assert_int_equal(http_get(url_of("/echo"), "", &resp), CLERK_EPROTO);
	assert_null(resp.body);
}

static void
test_refused_urls(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int before = httpd_requests();
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d@127.0.0.1:%d/ok", port,
	         port);
	assert_int_equal(http_get(url, NULL, &resp), CLERK_ECONFIG);
	assert_int_equal(http_post_form("ftp://127.0.0.1/", "a=b", &resp),
	                 CLERK_ECONFIG);
	assert_int_equal(http_get("http://example.com/", NULL, &resp),
	                 CLERK_ECONFIG);
	assert_int_equal(httpd_requests(), before);
	assert_null(resp.body);
}

static void
test_closed_port(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char url[128];
	int closed = httpd_closed_port();

	(void)state;
	assert_true(closed > 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/ok", closed);
	assert_int_equal(http_get(url, NULL, &resp), CLERK_ENET);
	assert_int_equal(http_post_form(url, "a=b", &resp), CLERK_ENET);
	assert_null(resp.body);
	assert_int_equal(resp.retry_after, -1);
}

static void
test_response_reused(void **state)
{
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)state;
	/* A second request into the same response frees the first. */
	assert_int_equal(http_get(url_of("/ok"), NULL, &resp), 0);
	assert_int_equal(http_get(url_of("/retry"), NULL, &resp), 0);
	assert_int_equal(resp.status, 429);
	assert_string_equal(resp.body, "{}");
	/* A failure leaves the last answer alone. */
	assert_int_equal(http_get(url_of("/big"), NULL, &resp), CLERK_EPROTO);
	assert_int_equal(resp.status, 429);
	http_response_release(&resp);
	assert_null(resp.body);
	assert_int_equal(resp.retry_after, -1);
}

static void
traced_requests(void *unused)
{
	struct http_response resp = HTTP_RESPONSE_INIT;

	(void)unused;
	log_set_verbose(true);
	http_post_form(url_of("/ok"), "code=SECRETCODE&code_verifier=SECRETV",
	               &resp);
	http_get(url_of("/ok"), "SECRETTOKEN", &resp);
	log_set_verbose(false);
	http_response_release(&resp);
}

static void
test_debug_trace_has_no_secrets(void **state)
{
	const char *text;

	(void)state;
	text = capture_stderr(traced_requests, NULL);
	assert_non_null(strstr(text, "POST http://127.0.0.1:"));
	assert_non_null(strstr(text, "GET http://127.0.0.1:"));
	assert_non_null(strstr(text, "200"));
	assert_null(strstr(text, "SECRET"));
	assert_null(strstr(text, "hello"));
	assert_null(strstr(text, "Bearer"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_url_allowed),
	        cmocka_unit_test(test_url_too_long),
	        cmocka_unit_test(test_get_table),
	        cmocka_unit_test(test_redirect_not_followed),
	        cmocka_unit_test(test_body_over_limit),
	        cmocka_unit_test(test_get_limited),
	        cmocka_unit_test(test_net_fetch),
	        cmocka_unit_test(test_post_form),
	        cmocka_unit_test(test_get_bearer),
	        cmocka_unit_test(test_refused_urls),
	        cmocka_unit_test(test_closed_port),
	        cmocka_unit_test(test_response_reused),
	        cmocka_unit_test(test_debug_trace_has_no_secrets),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
