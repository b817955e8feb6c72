/*
 * Test support shared by test_oauth.c and test_oauth_revoke.c: the
 * in-process provider (httpd.h) on 127.0.0.1 with no proxy in the way,
 * and provider endpoints that point at it.
 */
#ifndef CLERK_TEST_OAUTH_SETUP_H
#define CLERK_TEST_OAUTH_SETUP_H

#include "httpd.h"

/*
 * Serve @routes on a free port of 127.0.0.1 (*@port), with the proxy
 * variables libcurl reads unset: for a cmocka group setup.
 */
int oauth_setup_start(const struct httpd_route *routes, int *port);

/* Stop the server: a cmocka group teardown. */
int oauth_setup_stop(void **state);

/*
 * Set *@endpoint (a member of struct oidc_provider, freed first) to
 * "http://127.0.0.1:@port@path".
 */
void oauth_setup_endpoint(char **endpoint, int port, const char *path);

#endif
