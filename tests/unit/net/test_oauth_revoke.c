/*
 * Unit tests of token revocation in oauth.c (RFC 7009): the request a
 * public client sends, and how each answer of the provider is reported,
 * against the in-process server on 127.0.0.1 (oauth_setup.h).
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

#include "config.h"
#include "discovery.h"
#include "error.h"
#include "capture.h"
#include "httpd.h"
#include "oauth.h"
#include "oauth_setup.h"
#include "tokenset.h"
#include "util.h"

static const struct httpd_route routes[] = {
        {"/revoke", 200, NULL, "", 0, 0},
        {"/revoke-unsupported", 400, "Content-Type: application/json\r\n",
         "{\"error\":\"unsupported_token_type\"}", 0, 0},
        {"/revoke-401", 401, "Content-Type: application/json\r\n",
         "{\"error\":\"invalid_client\"}", 0, 0},
        {"/revoke-503", 503, NULL, "busy", 0, 0},
        {"/revoke-html", 500, NULL, "<html>oops</html>", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int port;
static char req[65536];

static void
provider_at(struct oidc_provider *op, const char *path, int at_port)
{
	memset(op, 0, sizeof(*op));
	if (path)
		oauth_setup_endpoint(&op->revocation_endpoint, at_port, path);
}

struct call {
	const char *path;
	int port;
	const char *token, *hint;
	int result;
};

static void
run_revoke(void *arg)
{
	struct call *c = arg;
	struct config cfg = {.client_id = "my client"};
	struct oidc_provider op;

	provider_at(&op, c->path, c->port);
	c->result = oauth_revoke(&cfg, &op, c->token, c->hint);
	oidc_provider_release(&op);
}

static void
test_request(void **state)
{
	struct call c = {"/revoke", port, "rt+/=1", "refresh_token", -99};
	const char *text;

	(void)state;
	text = capture_stderr(run_revoke, &c);
	assert_int_equal(c.result, 0);
	assert_string_equal(text, "");
	httpd_last_request(req, sizeof(req));
	assert_true(str_starts_with(req, "POST /revoke HTTP/1.1\r\n"));
	assert_non_null(strstr(req, "application/x-www-form-urlencoded"));
	/* RFC 7009 2.1 for a public client: the client id in the body. */
	assert_non_null(strstr(req, "\r\n\r\ntoken=rt%2B%2F%3D1"
	                            "&token_type_hint=refresh_token"
	                            "&client_id=my%20client"));
	assert_null(strstr(req, "Authorization:"));
}

static const struct {
	const char *path; /* NULL: no revocation endpoint */
	int closed;       /* a port nothing listens on */
	const char *hint;
	int result;
	const char *says; /* in the warning */
} answer_cases[] = {
        {"/revoke-unsupported", 0, "access_token", CLERK_EPROVIDER,
         "warning: the provider does not revoke access tokens "
         "(unsupported_token_type)"},
        {"/revoke-401", 0, "refresh_token", CLERK_EPROVIDER,
         "warning: the provider refused to revoke the refresh token: HTTP "
         "401, invalid_client (check --client-id)"},
        {"/revoke-503", 0, "refresh_token", CLERK_EPROVIDER,
         "warning: the provider did not revoke the refresh token: HTTP 503"},
        {"/revoke-html", 0, "refresh_token", CLERK_EPROVIDER, "HTTP 500"},
        {NULL, 0, "refresh_token", CLERK_EPROVIDER,
         "warning: the provider has no revocation endpoint"},
        {"/revoke", 1, "refresh_token", CLERK_ENET,
         "warning: could not revoke the refresh token at the provider"},
};

static void
test_answers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(answer_cases) / sizeof(*answer_cases); i++) {
		struct call c = {answer_cases[i].path,
		                 answer_cases[i].closed ? httpd_closed_port()
		                                        : port,
		                 "the-secret-token", answer_cases[i].hint, -99};
		const char *text = capture_stderr(run_revoke, &c);

		if (c.result != answer_cases[i].result)
			fail_msg("case %zu: %d, expected %d", i, c.result,
			         answer_cases[i].result);
		if (!strstr(text, answer_cases[i].says))
			fail_msg("case %zu: '%s' not in: %s", i,
			         answer_cases[i].says, text);
		/* A warning, never a token. */
		assert_null(strstr(text, "the-secret-token"));
	}
}

struct set_call {
	const char *access, *refresh, *path;
	int result;
};

static void
run_revoke_tokens(void *arg)
{
	struct set_call *c = arg;
	struct config cfg = {.client_id = "client"};
	struct tokenset ts = TOKENSET_INIT;
	struct oidc_provider op;

	provider_at(&op, c->path, port);
	assert_int_equal(str_set_secret(&ts.access_token, c->access), 0);
	assert_int_equal(str_set_secret(&ts.refresh_token, c->refresh), 0);
	c->result = oauth_revoke_tokens(&cfg, &op, &ts);
	tokenset_release(&ts);
	oidc_provider_release(&op);
}

static const struct {
	const char *access, *refresh, *path;
	int result, requests;
	const char *last_body; /* the last request's form */
} set_cases[] = {
        /* An opaque access token is revoked after the refresh token. */
        {"opaque-at", "rt-1", "/revoke", 0, 2,
         "token=opaque-at&token_type_hint=access_token"},
        /* A JWT access token cannot be revoked: one request. */
        {"eyJh.eyJw.sig", "rt-2", "/revoke", 0, 1,
         "token=rt-2&token_type_hint=refresh_token"},
        /* No refresh token: the access token alone. */
        {"opaque-only", NULL, "/revoke", 0, 1,
         "token=opaque-only&token_type_hint=access_token"},
        /* A refusal of both is reported, both are tried. */
        {"opaque-at", "rt-3", "/revoke-unsupported", CLERK_EPROVIDER, 2,
         "token=opaque-at"},
};

static void
test_revoke_tokens(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(set_cases) / sizeof(*set_cases); i++) {
		struct set_call c = {set_cases[i].access, set_cases[i].refresh,
		                     set_cases[i].path, -99};
		int before = httpd_requests();

		capture_stderr(run_revoke_tokens, &c);
		if (c.result != set_cases[i].result)
			fail_msg("case %zu: %d, expected %d", i, c.result,
			         set_cases[i].result);
		if (httpd_requests() - before != set_cases[i].requests)
			fail_msg("case %zu: %d requests, expected %d", i,
			         httpd_requests() - before,
			         set_cases[i].requests);
		httpd_last_request(req, sizeof(req));
		if (!strstr(req, set_cases[i].last_body))
			fail_msg("case %zu: '%s' not in the last request", i,
			         set_cases[i].last_body);
	}
}

static int
setup_net(void **state)
{
	(void)state;
	return oauth_setup_start(routes, &port);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_request),
	        cmocka_unit_test(test_answers),
	        cmocka_unit_test(test_revoke_tokens),
	};

	return cmocka_run_group_tests(tests, setup_net, oauth_setup_stop);
}
