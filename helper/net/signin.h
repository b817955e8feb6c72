/*
 * The authorization code sign-in (contract §8): PKCE S256, state, nonce, the
 * loopback listener, the browser (or paste mode, paste.h), the code
 * exchange and the ID token's claims. flow.h chooses between this and
 * the device flow.
 */
#ifndef CLERK_SIGNIN_H
#define CLERK_SIGNIN_H

#include <stdbool.h>

#include "config.h"
#include "discovery.h"
#include "tokenset.h"

/*
 * Build the authorization URL (exposed for tests): PKCE, state, the nonce
 * when given, "resource" when cfg->resource is set (RFC 8707) and
 * "prompt=login" when cfg->prompt_login asks for the account again.
 */
int signin_authorize_url(const struct config *cfg,
                         const struct oidc_provider *op,
                         const char *redirect_uri, const char *state,
                         const char *challenge, const char *nonce, char **out);

/*
 * Run the whole flow through the browser; on success @out holds the new
 * token set. When the browser cannot be started, the URL is printed and
 * the wait goes on, unless @no_browser is non-NULL: then *@no_browser
 * turns true and the flow ends at once (CLERK_EIO, reported), so that
 * the caller can sign in another way.
 */
int signin_browser(const struct config *cfg, const struct oidc_provider *op,
                   bool *no_browser, struct tokenset *out);

/*
 * The same flow without a browser here (paste mode, see paste.h): the
 * URL is printed, the answer comes from the address of the final page
 * typed into the terminal, or to the listener through a forwarded port.
 */
int signin_paste(const struct config *cfg, const struct oidc_provider *op,
                 struct tokenset *out);

#endif
