/*
 * Unit tests of probe.c against an in-process server on 127.0.0.1: what
 * doctor learns from discovery (status, the issuer named, the Date
 * header) and from the dry authorization request (accepted, a redirect
 * back with error=, an HTML or JSON error page), and that an
 * invalid_scope costs one more request per scope, no more.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "httpd.h"
#include "net.h"
#include "probe.h"

#define DATE_HEADER "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define DATE_UNIX   784111777

enum { N_DOCS = 8 };
static const char *const names[N_DOCS] = {"ok",    "scope", "redirect", "json",
                                          "wrong", "down",  "clerk",    "page"};
static char docs[N_DOCS][1024];
static int port;

static const struct httpd_route routes[] = {
        {"/ok/.well-known/openid-configuration", 200, DATE_HEADER, docs[0], 0,
         0},
        {"/scope/.well-known/openid-configuration", 200, NULL, docs[1], 0, 0},
        {"/redirect/.well-known/openid-configuration", 200, NULL, docs[2], 0,
         0},
        {"/json/.well-known/openid-configuration", 200, NULL, docs[3], 0, 0},
        {"/wrong/.well-known/openid-configuration", 200, NULL, docs[4], 0, 0},
        {"/down/.well-known/openid-configuration", 503, NULL, "busy", 0, 0},
        {"/clerk/.well-known/openid-configuration", 200, NULL, docs[6], 0, 0},
        {"/page/.well-known/openid-configuration", 200, NULL, docs[7], 0, 0},
        {"/clerk/authorize", 400, "Content-Type: application/json\r\n",
         "{\"errors\":[{\"message\":\"is invalid\",\"long_message\":"
         "\"redirect_uri does not match\",\"code\":\"form_param_invalid\"}]}",
         0, 0},
        {"/page/authorize", 500, "Content-Type: text/html\r\n",
         "<p>Error: Invalid Redirect URI.</p>", 0, 0},
        {"/ok/authorize", 303, "Location: /interaction/abc\r\n", "", 0, 0},
        {"/scope/authorize", 303,
         "Location: http://127.0.0.1:49152/callback?error=invalid_scope&"
         "error_description=requested+scope+is+not+allowed&state=x\r\n",
         "", 0, 0},
        {"/redirect/authorize", 400, "Content-Type: text/html\r\n",
         "<pre><strong>error</strong>: invalid_redirect_uri</pre>", 0, 0},
        {"/json/authorize", 400, "Content-Type: application/json\r\n",
         "{\"error\":\"invalid_client\",\"error_description\":\"no such "
         "client\\n\"}",
         0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int
setup(void **state)
{
	char iss[128];
	size_t i;

	(void)state;
	httpd_unset_proxies();
	if (httpd_start(routes, &port))
		return -1;
	for (i = 0; i < N_DOCS; i++) {
		snprintf(iss, sizeof(iss), "http://127.0.0.1:%d/%s", port,
		         names[i]);
		snprintf(docs[i], sizeof(docs[i]),
		         "{\"issuer\":\"%s%s\",\"authorization_endpoint\":"
		         "\"%s/authorize\",\"token_endpoint\":\"%s/token\"}",
		         iss, i == 4 ? "/" : "", iss, iss);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	httpd_stop();
	return 0;
}

static const struct {
	const char *name;
	int discovery;
	long discovery_status;
	bool doc_issuer_slash; /* the document names the issuer with '/' */
	int authorize;
	const char *error;
	const char *detail;
	int requests;
} cases[] = {
        {"ok", 0, 200, false, 0, "", "", 2},
        /* Once as asked, then once per scope left out (4 scopes). */
        {"scope", 0, 200, false, CLERK_EPROVIDER, "invalid_scope",
         "requested scope is not allowed", 6},
        {"redirect", 0, 200, false, CLERK_EPROVIDER, "invalid_redirect_uri", "",
         2},
        /* The description's newline is not passed on. */
        {"json", 0, 200, false, CLERK_EPROVIDER, "invalid_client",
         "no such client?", 2},
        {"wrong", CLERK_EPROVIDER, 200, true, 0, "", "", 1},
        {"down", CLERK_EPROVIDER, 503, false, 0, "", "", 1},
        {"clerk", 0, 200, false, CLERK_EPROVIDER, "form_param_invalid",
         "redirect_uri does not match", 2},
        /* No code at all, but the page is about the redirect URI. */
        {"page", 0, 200, false, CLERK_EPROVIDER, "",
         "the error page names the redirect URI", 2},
};

static void
test_probe_cases(void **state)
{
	struct config cfg;
	struct net_probe p;
	char iss[128], named[130];
	size_t i;
	int before;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		config_init(&cfg);
		snprintf(iss, sizeof(iss), "http://127.0.0.1:%d/%s", port,
		         cases[i].name);
		snprintf(named, sizeof(named), "%s/", iss);
		cfg.issuer = iss;
		cfg.client_id = "client";
		cfg.scopes = "profile email openid offline_access";
		before = httpd_requests();
		assert_int_equal(probe_run(&cfg, &p), 0);
		assert_int_equal(p.discovery, cases[i].discovery);
		assert_int_equal(p.discovery_status, cases[i].discovery_status);
		if (cases[i].discovery_status == 200)
			assert_string_equal(p.doc_issuer,
			                    cases[i].doc_issuer_slash ? named
			                                              : iss);
		assert_int_equal(p.authorize, cases[i].authorize);
		assert_string_equal(p.authorize_error, cases[i].error);
		assert_string_equal(p.authorize_detail, cases[i].detail);
		assert_string_equal(p.refused_scope, "");
		assert_string_equal(p.redirect_uri,
		                    "http://127.0.0.1:49152/callback");
		assert_int_equal(httpd_requests() - before, cases[i].requests);
		assert_int_equal(p.server_date, i == 0 ? DATE_UNIX : 0);
		assert_true(p.local_date > 0);
		cfg.issuer = cfg.client_id = cfg.scopes = NULL;
		config_release(&cfg);
	}
}

/* The request is dry: PKCE, state and nonce, our redirect URI. */
static void
test_request_asks_nothing_more(void **state)
{
	struct config cfg;
	struct net_probe p;
	char iss[128], req[4096];

	(void)state;
	config_init(&cfg);
	snprintf(iss, sizeof(iss), "http://127.0.0.1:%d/ok", port);
	cfg.issuer = iss;
	cfg.client_id = "client";
	cfg.scopes = "openid";
	cfg.callback_ports.n = 1;
	cfg.callback_ports.port[0] = 8123;
	assert_int_equal(probe_run(&cfg, &p), 0);
	httpd_last_request(req, sizeof(req));
	assert_non_null(strstr(req, "GET /ok/authorize?response_type=code&"));
	assert_non_null(strstr(req, "redirect_uri=http%3A%2F%2F127.0.0.1%3A"
	                            "8123%2Fcallback"));
	assert_non_null(strstr(req, "code_challenge_method=S256"));
	assert_non_null(strstr(req, "&nonce="));
	assert_null(strstr(req, "Cookie:"));
	assert_string_equal(p.redirect_uri, "http://127.0.0.1:8123/callback");
	cfg.issuer = cfg.client_id = cfg.scopes = NULL;
	config_release(&cfg);
}

/* Nothing answers: no answer, no authorization request. */
static void
test_no_answer(void **state)
{
	struct config cfg;
	struct net_probe p;
	char iss[128];

	(void)state;
	config_init(&cfg);
	snprintf(iss, sizeof(iss), "http://127.0.0.1:%d", httpd_closed_port());
	cfg.issuer = iss;
	cfg.client_id = "client";
	cfg.scopes = "openid";
	assert_int_equal(probe_run(&cfg, &p), 0);
	assert_int_equal(p.discovery, CLERK_ENET);
	assert_int_equal(p.discovery_status, 0);
	assert_int_equal(p.server_date, 0);
	cfg.issuer = cfg.client_id = cfg.scopes = NULL;
	config_release(&cfg);
}

/* probe_read_answer() alone: no network. */
static const struct {
	long status;
	const char *location, *body;
	int r;
	const char *error, *detail;
} answers[] = {
        /* Sent on to a sign-in page: accepted. */
        {303, "/interaction/abc", "", 0, "", ""},
        {200, NULL, "<html>sign in</html>", 0, "", ""},
        {302, "http://127.0.0.1/callback?state=x#error=access_denied", NULL, 0,
         "", ""},
        {302, "http://127.0.0.1/callback?error=invalid_scope&state=x", NULL,
         CLERK_EPROVIDER, "invalid_scope", ""},
        /* A repeated key is no answer we can read. */
        {302, "http://127.0.0.1/callback?error=a&error=b", NULL, 0, "", ""},
        /* A redirect without Location is no refusal. */
        {302, NULL, "", 0, "", ""},
        {400, NULL,
         "{\"error\":\"invalid_client\",\"error_description\""
         ":\"bad\\u0007\"}",
         CLERK_EPROVIDER, "invalid_client", "bad?"},
        {400, NULL, "{\"errors\":[{\"code\":\"c\",\"message\":\"m\"}]}",
         CLERK_EPROVIDER, "c", "m"},
        {400, NULL, "{\"errors\":[]}", CLERK_EPROVIDER, "", ""},
        {500, NULL, "<b>unauthorized_client</b> redirect_uri", CLERK_EPROVIDER,
         "unauthorized_client", ""},
        {404, NULL, "The Redirect URI is wrong", CLERK_EPROVIDER, "",
         "the error page names the redirect URI"},
        {400, NULL, NULL, CLERK_EPROVIDER, "", ""},
};

static void
test_read_answer(void **state)
{
	struct net_probe p;
	const char *body;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(answers) / sizeof(*answers); i++) {
		memset(&p, 0, sizeof(p));
		snprintf(p.authorize_error, sizeof(p.authorize_error), "stale");
		body = answers[i].body;
		assert_int_equal(probe_read_answer(answers[i].status,
		                                   answers[i].location, body,
		                                   body ? strlen(body) : 0, &p),
		                 answers[i].r);
		assert_int_equal(p.authorize_status, answers[i].status);
		assert_string_equal(p.authorize_error, answers[i].error);
		assert_string_equal(p.authorize_detail, answers[i].detail);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_probe_cases),
	        cmocka_unit_test(test_request_asks_nothing_more),
	        cmocka_unit_test(test_no_answer),
	        cmocka_unit_test(test_read_answer),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
