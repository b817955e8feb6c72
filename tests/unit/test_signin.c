/* Unit tests: signin.c (the authorization request). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "discovery.h"
#include "signin.h"
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_authorize_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
