/*
 * Paste mode (contract §8): the authorization code flow when no browser runs
 * here (an SSH session, a machine without a display) and the provider
 * offers no device authorization endpoint.
 *
 * The authorization URL is printed; the user opens it in a browser on
 * any machine and signs in. That browser then fails to load the last
 * page, http://127.0.0.1:PORT/callback?code=…&state=…, because nothing
 * listens there on its machine: the user copies that page's address and
 * pastes it here. It is read from /dev/tty, never from stdin (stdin
 * carries the credential protocol), and its query goes through every
 * check the loopback listener makes (state in constant time, iss, error)
 * before the code is exchanged with the same PKCE verifier. The listener
 * keeps listening meanwhile, so forwarding the port
 * (ssh -L PORT:127.0.0.1:PORT host) finishes the sign-in by itself.
 *
 * MUST: read only from /dev/tty; wipe every byte read (it holds the
 * code); never echo the pasted text in a message.
 */
#ifndef CLERK_PASTE_H
#define CLERK_PASTE_H

#include "callback.h"
#include "config.h"
#include "discovery.h"
#include "httpreq.h"
#include "listener.h"

/* The longest line taken from the terminal. */
#define PASTE_MAX_LINE HTTP_REQUEST_MAX

/*
 * The query of the pasted address @line (blanks around it and a
 * "#fragment" dropped): @redirect_uri ("http://127.0.0.1:PORT/callback",
 * its "http://" optional in @line) followed by '?' and the query, or the
 * query alone ("code=…&state=…", "?code=…"). The query must be visible
 * ASCII. 0 and *@query (free with secret_free()), or CLERK_EPROTO with a
 * message that says what to paste (never the line itself).
 */
int paste_extract_query(const char *line, const char *redirect_uri,
                        char **query);

/*
 * Print @url and the instructions (with the ssh -L command for @port),
 * then wait up to cfg->timeout for the answer on the listener @l or in
 * the terminal, as listener_wait_input(). Without a terminal only the
 * listener is waited on. Ctrl-D in the terminal cancels (CLERK_EDENIED).
 */
int paste_wait(const struct config *cfg, const struct oidc_provider *op,
               struct listener *l, int port, const char *redirect_uri,
               const char *url, const char *state, struct callback_params *out);

#endif
