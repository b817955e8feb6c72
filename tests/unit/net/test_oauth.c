/*
 * Unit tests of oauth.c: token responses, and the token and userinfo
 * requests against an in-process server on 127.0.0.1.
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
#include "encode.h"
#include "error.h"
#include "capture.h"
#include "fixture.h"
#include "httpd.h"
#include "log.h"
#include "oauth.h"
#include "oauth_setup.h"
#include "tokenset.h"
#include "util.h"

#define NOW 1700000000
#define ISS "https://example.clerk.accounts.dev"

/* A token set as a refresh finds it. */
static void
old_tokens(struct tokenset *ts)
{
	tokenset_init(ts);
	assert_int_equal(str_set_secret(&ts->access_token, "old-access"), 0);
	assert_int_equal(str_set_secret(&ts->refresh_token, "old-refresh"), 0);
	assert_int_equal(str_set(&ts->scope, "openid offline_access"), 0);
	ts->expires_at = 5;
}

/* A refused answer: the old tokens must stay (checked in the test). */
#define REFUSED NULL, NULL, NULL, NULL, NULL, 0

static const struct {
	long status;
	const char *body;
	int result;
	/* Expected afterwards (a failure must leave the old tokens). */
	const char *access, *refresh, *id, *type, *scope;
	int64_t expires_at;
} token_cases[] = {
        /* 0: a full answer */
        {200,
         "{\"access_token\":\"at1\",\"token_type\":\"Bearer\","
         "\"expires_in\":3600,\"refresh_token\":\"rt1\","
         "\"id_token\":\"h.p.s\",\"scope\":\"openid profile\"}",
         0, "at1", "rt1", "h.p.s", "Bearer", "openid profile", NOW + 3600},
        /* 1: no refresh token: the old one stays, scope too */
        {200,
         "{\"access_token\":\"at2\",\"token_type\":\"bearer\","
         "\"expires_in\":60}",
         0, "at2", "old-refresh", NULL, "bearer", "openid offline_access",
         NOW + 60},
        /* 2: null and empty members count as absent */
        {200,
         "{\"access_token\":\"at3\",\"refresh_token\":null,"
         "\"id_token\":\"\",\"expires_in\":null}",
         0, "at3", "old-refresh", NULL, NULL, "openid offline_access", 0},
        /* 3: no expires_in: expiry unknown */
        {200, "{\"access_token\":\"at4\",\"token_type\":\"Bearer\"}", 0, "at4",
         "old-refresh", NULL, "Bearer", "openid offline_access", 0},
        /* 4: expires_in as a string, as some providers send it */
        {200, "{\"access_token\":\"at5\",\"expires_in\":\"120\"}", 0, "at5",
         "old-refresh", NULL, NULL, "openid offline_access", NOW + 120},
        /* 5: ten years is the most */
        {200, "{\"access_token\":\"at6\",\"expires_in\":316224000}", 0, "at6",
         "old-refresh", NULL, NULL, "openid offline_access", NOW + 316224000},
        /* 6-11: bad expires_in */
        {200, "{\"access_token\":\"x\",\"expires_in\":316224001}",
         CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":\"x\",\"expires_in\":9007199254740991}",
         CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":\"x\",\"expires_in\":1e300}", CLERK_EPROVIDER,
         REFUSED},
        {200, "{\"access_token\":\"x\",\"expires_in\":0}", CLERK_EPROVIDER,
         REFUSED},
        {200, "{\"access_token\":\"x\",\"expires_in\":-1}", CLERK_EPROVIDER,
         REFUSED},
        {200, "{\"access_token\":\"x\",\"expires_in\":\"soon\"}",
         CLERK_EPROVIDER, REFUSED},
        /* 12-17: bad or missing access_token */
        {200, "{\"token_type\":\"Bearer\",\"expires_in\":60}", CLERK_EPROVIDER,
         REFUSED},
        {200, "{\"access_token\":\"\"}", CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":42}", CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":\"a b\"}", CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":\"a\\nb\"}", CLERK_EPROVIDER, REFUSED},
        {200, "{\"access_token\":\"a\",\"refresh_token\":\"r\\r\"}",
         CLERK_EPROVIDER, REFUSED},
        /* 18: a token type we cannot use as a bearer */
        {200, "{\"access_token\":\"a\",\"token_type\":\"DPoP\"}",
         CLERK_EPROVIDER, REFUSED},
        /* 19-20: malformed JSON, not an object */
        {200, "{\"access_token\":\"a\"", CLERK_EPROVIDER, REFUSED},
        {200, "[\"access_token\"]", CLERK_EPROVIDER, REFUSED},
        /* 21-24: OAuth errors */
        {400,
         "{\"error\":\"invalid_grant\",\"error_description\":"
         "\"refresh token expired\"}",
         CLERK_EGRANT, REFUSED},
        {401, "{\"error\":\"invalid_grant\"}", CLERK_EGRANT, REFUSED},
        {401, "{\"error\":\"invalid_client\"}", CLERK_EPROVIDER, REFUSED},
        {400,
         "{\"error\":\"invalid_request\",\"error_description\":"
         "\"code_verifier required\"}",
         CLERK_EPROVIDER, REFUSED},
        /* 25-28: not an OAuth error: never EGRANT */
        {500, "<html><body>Internal Server Error</body></html>",
         CLERK_EPROVIDER, REFUSED},
        {500, "{\"error\":\"invalid_grant\"}", CLERK_EPROVIDER, REFUSED},
        {200, "{\"error\":\"invalid_grant\"}", CLERK_EPROVIDER, REFUSED},
        {429, "", CLERK_EPROVIDER, REFUSED},
        /* 29: an error status with tokens is still an error */
        {400, "{\"access_token\":\"a\"}", CLERK_EPROVIDER, REFUSED},
};

static void
test_token_responses(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(token_cases) / sizeof(*token_cases); i++) {
		struct tokenset ts;
		const char *body = token_cases[i].body;
		int r;

		old_tokens(&ts);
		r = oauth_parse_token_response(token_cases[i].status, body,
		                               strlen(body), NOW, &ts);
		if (r != token_cases[i].result)
			fail_msg("token case %zu: %d, expected %d", i, r,
			         token_cases[i].result);
		if (r) {
			assert_string_equal(ts.access_token, "old-access");
			assert_string_equal(ts.refresh_token, "old-refresh");
			assert_string_equal(ts.scope, "openid offline_access");
			assert_null(ts.id_token);
			assert_int_equal(ts.expires_at, 5);
		} else {
			assert_string_equal(ts.access_token,
			                    token_cases[i].access);
			fixture_assert_str(NULL, ts.refresh_token,
			                   token_cases[i].refresh);
			fixture_assert_str(NULL, ts.id_token,
			                   token_cases[i].id);
			fixture_assert_str(NULL, ts.token_type,
			                   token_cases[i].type);
			fixture_assert_str(NULL, ts.scope,
			                   token_cases[i].scope);
			assert_int_equal(ts.expires_at,
			                 token_cases[i].expires_at);
		}
		tokenset_release(&ts);
	}
}

static void
test_token_length_bound(void **state)
{
	struct strbuf body = STRBUF_INIT;
	struct tokenset ts;
	size_t n;

	(void)state;
	for (n = 64 * 1024; n <= 64 * 1024 + 1; n++) {
		old_tokens(&ts);
		strbuf_reset(&body);
		assert_int_equal(strbuf_adds(&body, "{\"access_token\":\""), 0);
		while (body.len < 17 + n)
			assert_int_equal(strbuf_addch(&body, 'a'), 0);
		assert_int_equal(strbuf_adds(&body, "\"}"), 0);
		assert_int_equal(oauth_parse_token_response(200, body.buf,
		                                            body.len, NOW, &ts),
		                 n == 64 * 1024 ? 0 : CLERK_EPROVIDER);
		tokenset_release(&ts);
	}
	strbuf_release(&body);
}

struct parse_call {
	long status;
	const char *body;
	int result;
};

static void
run_parse(void *arg)
{
	struct parse_call *c = arg;
	struct tokenset ts;

	old_tokens(&ts);
	c->result = oauth_parse_token_response(c->status, c->body,
	                                       strlen(c->body), NOW, &ts);
	tokenset_release(&ts);
}

/* 100 bytes of a provider's preamble, so that the useful part comes late. */
#define TEN     "went wrong"
#define HUNDRED TEN TEN TEN TEN TEN TEN TEN TEN TEN TEN

static const struct {
	long status;
	const char *body;
	const char *must; /* in the message */
} message_cases[] = {
        /* Clerk's invalid_scope: the useful part after 300 bytes. */
        {400,
         "{\"error\":\"invalid_scope\",\"error_description\":\"" HUNDRED HUNDRED
                 HUNDRED
         " The OAuth 2.0 Client is not allowed to request scope "
         "'offline_access'.\"}",
         "not allowed to request scope 'offline_access'.); add the "
         "offline_access scope to the OAuth application in the Clerk "
         "dashboard"},
        {400, "{\"error\":\"invalid_scope\"}",
         "invalid_scope; check --scopes: each scope must be enabled"},
        /* Whole up to 1 KiB, controls made harmless, then cut. */
        {400,
         "{\"error\":\"invalid_request\",\"error_description\":\"" HUNDRED
                 HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED
                         HUNDRED "\\u001b[31m\\nEND OF IT\"}",
         "went wrong?[31m?END OF IT)"},
        {400,
         "{\"error\":\"invalid_request\",\"error_description\":\"" HUNDRED
                 HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED HUNDRED
                         HUNDRED HUNDRED "NOT SHOWN\"}",
         "went wrongwent...)"},
        {400,
         "{\"error\":\"invalid_grant\",\"error_description\":"
         "\"refresh token expired\",\"access_token\":\"SECRET1\"}",
         "token request failed: invalid_grant (refresh token expired)"},
        {400, "{\"error\":\"invalid_grant\\u001b[31m\"}", "invalid_grant?[31m"},
        {200,
         "{\"access_token\":\"SECRET2\",\"refresh_token\":\"SECRET3\","
         "\"expires_in\":-5}",
         "expires_in"},
        {200, "{\"access_token\":\"SECRET4 x\"}", "access_token"},
        {502, "<html>SECRET5</html>", "HTTP 502"},
        {200, "not json SECRET6", "not a JSON object"},
};

static void
test_error_messages(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(message_cases) / sizeof(*message_cases); i++) {
		struct parse_call c = {message_cases[i].status,
		                       message_cases[i].body, 0};
		const char *text = capture_stderr(run_parse, &c);

		assert_true(c.result < 0);
		assert_true(str_starts_with(text, "clerk-credential: "));
		if (!strstr(text, message_cases[i].must))
			fail_msg("message case %zu: \"%s\" lacks \"%s\"", i,
			         text, message_cases[i].must);
		assert_null(strstr(text, "SECRET"));
		assert_null(strstr(text, "NOT SHOWN"));
		assert_null(strchr(text, '\x1b'));
	}
}

/* --- Requests to the in-process server ------------------------------- */

static const struct httpd_route routes[] = {
        {"/token", 200, "Content-Type: application/json\r\n",
         "{\"access_token\":\"new-access\",\"token_type\":\"Bearer\","
         "\"expires_in\":3600,\"refresh_token\":\"new-refresh\","
         "\"id_token\":\"h.p.s\"}",
         0, 0},
        {"/token-grant", 400, NULL,
         "{\"error\":\"invalid_grant\",\"error_description\":"
         "\"grant revoked\"}",
         0, 0},
        {"/token-busy", 503, "Retry-After: 30\r\n", "busy", 0, 0},
        {"/userinfo", 200, NULL,
         "{\"sub\":\"user_1\",\"email\":\"a@example.com\"}\n", 0, 0},
        {"/userinfo-trailing", 200, NULL,
         "{\"sub\":\"user_1\"} {\"sub\":\"evil\"}", 0, 0},
        {"/userinfo-html", 200, NULL, "<html></html>", 0, 0},
        {"/userinfo-array", 200, NULL, "[{\"sub\":\"x\"}]", 0, 0},
        {"/userinfo-401", 401, "WWW-Authenticate: Bearer\r\n", "", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int port;
static char req[65536];

static int
setup_net(void **state)
{
	(void)state;
	return oauth_setup_start(routes, &port);
}

static void
provider_at(struct oidc_provider *op, const char *token_path,
            const char *userinfo_path)
{
	memset(op, 0, sizeof(*op));
	oauth_setup_endpoint(&op->token_endpoint, port, token_path);
	if (userinfo_path)
		oauth_setup_endpoint(&op->userinfo_endpoint, port,
		                     userinfo_path);
}

static void
test_exchange_code(void **state)
{
	struct config cfg = {.client_id = "my client"};
	struct oidc_provider op;
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	provider_at(&op, "/token", NULL);
	assert_int_equal(
	        oauth_exchange_code(&cfg, &op, "co/de+=", "verifier-~._",
	                            "http://127.0.0.1:4321/callback", &ts),
	        0);
	httpd_last_request(req, sizeof(req));
	assert_true(str_starts_with(req, "POST /token HTTP/1.1\r\n"));
	assert_non_null(strstr(req,
	                       "\r\n\r\ngrant_type=authorization_code"
	                       "&code=co%2Fde%2B%3D"
	                       "&redirect_uri=http%3A%2F%2F127.0.0.1%3A4321"
	                       "%2Fcallback&client_id=my%20client"
	                       "&code_verifier=verifier-~._"));
	assert_string_equal(ts.access_token, "new-access");
	assert_string_equal(ts.refresh_token, "new-refresh");
	assert_string_equal(ts.id_token, "h.p.s");
	assert_true(ts.expires_at >= time_now() + 3590 &&
	            ts.expires_at <= time_now() + 3600);
	tokenset_release(&ts);
	oidc_provider_release(&op);
}

/* RFC 8707: the resource goes with the code and with every refresh. */
static void
test_resource_sent(void **state)
{
	char resource[] = "https://api.example/v1";
	struct config cfg = {.client_id = "client", .resource = resource};
	struct oidc_provider op;
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	provider_at(&op, "/token", NULL);
	assert_int_equal(oauth_exchange_code(&cfg, &op, "code", "verifier",
	                                     "http://127.0.0.1:1/callback",
	                                     &ts),
	                 0);
	httpd_last_request(req, sizeof(req));
	assert_non_null(strstr(req,
	                       "&code_verifier=verifier"
	                       "&resource=https%3A%2F%2Fapi.example%2Fv1"));
	tokenset_release(&ts);

	old_tokens(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), 0);
	httpd_last_request(req, sizeof(req));
	assert_non_null(strstr(req,
	                       "&refresh_token=old-refresh&client_id=client"
	                       "&resource=https%3A%2F%2Fapi.example%2Fv1"));
	assert_null(strstr(req, "scope="));
	tokenset_release(&ts);

	/* Without one, no parameter at all. */
	cfg.resource = NULL;
	old_tokens(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), 0);
	httpd_last_request(req, sizeof(req));
	assert_null(strstr(req, "resource="));
	tokenset_release(&ts);
	oidc_provider_release(&op);
}

static void
test_refresh(void **state)
{
	struct config cfg = {.client_id = "client",
	                     .scopes = "openid offline_access"};
	struct oidc_provider op;
	struct tokenset ts;

	(void)state;
	provider_at(&op, "/token", NULL);
	old_tokens(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), 0);
	httpd_last_request(req, sizeof(req));
	assert_non_null(strstr(req,
	                       "\r\n\r\ngrant_type=refresh_token"
	                       "&refresh_token=old-refresh&client_id=client"));
	assert_null(strstr(req, "scope="));
	assert_string_equal(ts.access_token, "new-access");
	assert_string_equal(ts.refresh_token, "new-refresh");
	/* The scope of the answer is absent: the old one stays. */
	assert_string_equal(ts.scope, "openid offline_access");
	tokenset_release(&ts);

	/* Without a refresh token there is nothing to send. */
	tokenset_init(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), CLERK_ENOTFOUND);
	oidc_provider_release(&op);
}

static void
test_refresh_invalid_grant(void **state)
{
	struct config cfg = {.client_id = "client"};
	struct oidc_provider op;
	struct tokenset ts;

	(void)state;
	provider_at(&op, "/token-grant", NULL);
	old_tokens(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), CLERK_EGRANT);
	assert_string_equal(ts.refresh_token, "old-refresh");
	assert_string_equal(ts.access_token, "old-access");
	tokenset_release(&ts);
	oidc_provider_release(&op);
}

struct refresh_call {
	struct oidc_provider *op;
	int result;
};

static void
run_refresh(void *arg)
{
	struct refresh_call *c = arg;
	struct config cfg = {.client_id = "client"};
	struct tokenset ts;

	old_tokens(&ts);
	c->result = oauth_refresh(&cfg, c->op, &ts);
	tokenset_release(&ts);
}

static void
test_refresh_retry_after(void **state)
{
	struct oidc_provider op;
	struct refresh_call c = {&op, 0};
	const char *text;

	(void)state;
	provider_at(&op, "/token-busy", NULL);
	text = capture_stderr(run_refresh, &c);
	assert_int_equal(c.result, CLERK_EPROVIDER);
	assert_non_null(strstr(text, "HTTP 503"));
	assert_non_null(strstr(text, "retry after 30 s"));
	assert_null(strstr(text, "old-refresh"));
	oidc_provider_release(&op);
}

static void
test_refresh_network_failure(void **state)
{
	struct config cfg = {.client_id = "client"};
	struct oidc_provider op = {0};
	struct tokenset ts;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/token",
	         httpd_closed_port());
	assert_int_equal(str_set(&op.token_endpoint, url), 0);
	old_tokens(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), CLERK_ENET);
	assert_string_equal(ts.refresh_token, "old-refresh");
	tokenset_release(&ts);
	oidc_provider_release(&op);
}

static const struct {
	const char *path; /* NULL: no userinfo endpoint */
	int result;
	const char *json;
} userinfo_cases[] = {
        {"/userinfo", 0, "{\"sub\":\"user_1\",\"email\":\"a@example.com\"}"},
        {"/userinfo-html", CLERK_EPROVIDER, NULL},
        {"/userinfo-trailing", CLERK_EPROVIDER, NULL},
        {"/userinfo-array", CLERK_EPROVIDER, NULL},
        {"/userinfo-401", CLERK_EPROVIDER, NULL},
        {NULL, CLERK_EPROVIDER, NULL},
};

static void
test_userinfo(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(userinfo_cases) / sizeof(*userinfo_cases); i++) {
		struct oidc_provider op;
		char *json = NULL;
		int r;

		provider_at(&op, "/token", userinfo_cases[i].path);
		r = oauth_userinfo(&op, "the-access-token", &json);
		if (r != userinfo_cases[i].result)
			fail_msg("userinfo case %zu: %d, expected %d", i, r,
			         userinfo_cases[i].result);
		if (userinfo_cases[i].json) {
			assert_string_equal(json, userinfo_cases[i].json);
			httpd_last_request(req, sizeof(req));
			assert_true(str_starts_with(req, "GET /userinfo "));
			assert_non_null(strstr(req,
			                       "\r\nAuthorization: "
			                       "Bearer the-access-token\r\n"));
		} else {
			assert_null(json);
		}
		secret_free(json);
		oidc_provider_release(&op);
	}
}

int
main(void)
{
	const struct CMUnitTest parse_tests[] = {
	        cmocka_unit_test(test_token_responses),
	        cmocka_unit_test(test_token_length_bound),
	        cmocka_unit_test(test_error_messages),
	};
	const struct CMUnitTest net_tests[] = {
	        cmocka_unit_test(test_exchange_code),
	        cmocka_unit_test(test_refresh),
	        cmocka_unit_test(test_resource_sent),
	        cmocka_unit_test(test_refresh_invalid_grant),
	        cmocka_unit_test(test_refresh_retry_after),
	        cmocka_unit_test(test_refresh_network_failure),
	        cmocka_unit_test(test_userinfo),
	};
	int failed;

	failed = cmocka_run_group_tests(parse_tests, NULL, NULL);
	failed +=
	        cmocka_run_group_tests(net_tests, setup_net, oauth_setup_stop);
	return failed;
}
