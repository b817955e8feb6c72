/*
 * The browser sign-in (SPEC 7): PKCE S256, state, nonce, the loopback
 * listener, the browser, the code exchange and the ID token's claims.
 */
#ifndef CLERK_SIGNIN_H
#define CLERK_SIGNIN_H

#include "config.h"
#include "discovery.h"
#include "tokenset.h"

/* Build the authorization URL (exposed for tests). */
int signin_authorize_url(const struct config *cfg,
			 const struct oidc_provider *op,
			 const char *redirect_uri, const char *state,
			 const char *challenge, const char *nonce, char **out);

/* Run the whole flow; on success @out holds the new token set. */
int signin_browser(const struct config *cfg, const struct oidc_provider *op,
		   struct tokenset *out);

#endif
