/* Unit tests: signin.c (the authorization request, a timed-out wait). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "discovery.h"
#include "error.h"
#include "signin.h"
#include "tokenset.h"
#include "util.h"

static void
test_authorize_url(void **state)
{
	static const struct {
		const char *endpoint, *nonce, *want;
	} cases[] = {
	        {"https://c.example/oauth/authorize", "n1",
	         "https://c.example/oauth/authorize?response_type=code"
	         "&client_id=cl%2B1&redirect_uri=http%3A%2F%2F127.0.0.1%3A"
	         "4567%2Fcallback&scope=openid%20email&state=st-1"
	         "&code_challenge=ch_1&code_challenge_method=S256"
	         "&nonce=n1"},
	        /* An endpoint with a query keeps it; no nonce, no param. */
	        {"https://c.example/authorize?tenant=a", NULL,
	         "https://c.example/authorize?tenant=a&response_type=code"
	         "&client_id=cl%2B1&redirect_uri=http%3A%2F%2F127.0.0.1%3A"
	         "4567%2Fcallback&scope=openid%20email&state=st-1"
	         "&code_challenge=ch_1&code_challenge_method=S256"},
	};
	struct oidc_provider op = {0};
	struct config cfg;
	size_t i;

	(void)state;
	config_init(&cfg);
	str_set(&cfg.client_id, "cl+1");
	str_set(&cfg.scopes, "openid email");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url = NULL;

		op.authorization_endpoint = (char *)cases[i].endpoint;
		assert_int_equal(signin_authorize_url(&cfg, &op,
		                                      "http://127.0.0.1:4567/"
		                                      "callback",
		                                      "st-1", "ch_1",
		                                      cases[i].nonce, &url),
		                 0);
		assert_string_equal(url, cases[i].want);
		free(url);
	}
	config_release(&cfg);
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), m = strlen(tail);

	return n >= m && strcmp(s + n - m, tail) == 0;
}

/* RFC 8707's resource and a new account's prompt=login, when asked. */
static void
test_authorize_url_resource_prompt(void **state)
{
	static const struct {
		const char *resource;
		bool prompt_login;
		const char *tail;
	} cases[] = {
	        {NULL, false, "&code_challenge_method=S256"},
	        {"https://api.example/v1?x=1", false,
	         "&code_challenge_method=S256"
	         "&resource=https%3A%2F%2Fapi.example%2Fv1%3Fx%3D1"},
	        {NULL, true, "&code_challenge_method=S256&prompt=login"},
	        {"https://api.example", true,
	         "&code_challenge_method=S256"
	         "&resource=https%3A%2F%2Fapi.example&prompt=login"},
	};
	struct oidc_provider op = {0};
	struct config cfg;
	char resource[64];
	size_t i;

	(void)state;
	config_init(&cfg);
	str_set(&cfg.client_id, "cl");
	str_set(&cfg.scopes, "email");
	op.authorization_endpoint = "https://c.example/authorize";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *url = NULL;

		cfg.resource = NULL;
		if (cases[i].resource) {
			snprintf(resource, sizeof(resource), "%s",
			         cases[i].resource);
			cfg.resource = resource;
		}
		cfg.prompt_login = cases[i].prompt_login;
		assert_int_equal(signin_authorize_url(&cfg, &op,
		                                      "http://127.0.0.1:1/"
		                                      "callback",
		                                      "st", "ch", NULL, &url),
		                 0);
		if (!ends_with(url, cases[i].tail))
			fail_msg("case %zu: %s", i, url);
		assert_int_equal(strstr(url, "prompt=") != NULL,
		                 cases[i].prompt_login);
		assert_int_equal(strstr(url, "resource=") != NULL,
		                 cases[i].resource != NULL);
		free(url);
	}
	/* Not the config's to free: a local buffer. */
	cfg.resource = NULL;
	config_release(&cfg);
}

/* A port free right now on 127.0.0.1. */
static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t n = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

struct sign {
	struct config *cfg;
	struct oidc_provider *op;
	int rc;
};

static void
run_signin(void *arg)
{
	struct sign *s = arg;
	struct tokenset ts = TOKENSET_INIT;

	s->rc = signin_browser(s->cfg, s->op, NULL, &ts);
	tokenset_release(&ts);
}

/*
 * A browser that never comes back (a provider that shows its own
 * redirect_uri error page looks so from here): the timeout says what
 * that page looks like and which redirect URI to register.
 */
static void
test_timeout_names_redirect_uri(void **state)
{
	struct oidc_provider op = {0};
	struct config cfg;
	struct sign s = {&cfg, &op, 0};
	char want[64];
	const char *text;
	int i;

	(void)state;
	setenv("BROWSER", "true", 1);
	op.issuer = (char *)"http://127.0.0.1:9/issuer";
	op.authorization_endpoint = (char *)"http://127.0.0.1:9/authorize";
	for (i = 0; i < 2; i++) {
		config_init(&cfg);
		str_set(&cfg.issuer, op.issuer);
		str_set(&cfg.client_id, "client");
		str_set(&cfg.scopes, "openid");
		cfg.timeout = 1;
		cfg.callback_ports.n = 1;
		cfg.callback_ports.port[0] = i ? free_port() : 0;
		if (i)
			snprintf(want, sizeof(want),
			         "register http://127.0.0.1:%d/callback ",
			         cfg.callback_ports.port[0]);
		else
			snprintf(want, sizeof(want),
			         "register http://127.0.0.1/callback ");
		text = capture_stderr(run_signin, &s);
		assert_int_equal(s.rc, CLERK_ETIMEOUT);
		if (!strstr(text, "timed out") ||
		    !strstr(text, "the provider's error page about the "
		                  "redirect_uri") ||
		    !strstr(text, want))
			fail_msg("%s lacks \"%s\"", text, want);
		config_release(&cfg);
	}
	unsetenv("BROWSER");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_authorize_url),
	        cmocka_unit_test(test_authorize_url_resource_prompt),
	        cmocka_unit_test(test_timeout_names_redirect_uri),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
