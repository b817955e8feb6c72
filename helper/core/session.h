/*
 * The token life cycle across processes: runtime cache, lock, store,
 * refresh and sign-in (contract §9, §10).
 *
 * MUST: store a rotated refresh token before the new access token is used
 * or cached; hold the lock for every refresh and sign-in; re-read cache
 * and store after taking the lock (another process may have done the
 * work). MUST NOT: start a sign-in when cfg->interactive is false,
 * or during the cool-down after a failed one (reject.h) unless login
 * asks.
 */
#ifndef CLERK_SESSION_H
#define CLERK_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "tokenset.h"

/*
 * The cache-hit check alone, without locks, stores or the network: 0 and
 * the token when the runtime cache holds one valid beyond the refresh
 * margin, else CLERK_ENOTFOUND.
 */
int session_cached_token(const struct config *cfg, char **token,
                         int64_t *expires_at);

/*
 * A valid access token: from the runtime cache (session_cached_token(),
 * first, before any store is opened or lock taken, so a cache hit maps
 * libc and cJSON only), else the store, a refresh, or (when interactive)
 * a sign-in. *@token is freed with secret_free().
 *
 * Example (a command's token):
 *	if ((r = session_token(cfg, &token, &exp)))
 *		return r;
 *	...
 *	secret_free(token);
 */
int session_token(const struct config *cfg, char **token, int64_t *expires_at);

/*
 * session_token() for git's get: while a server refuses fresh tokens
 * (reject.h), CLERK_EHELD instead of a refresh or sign-in, said on stderr
 * once per hold.
 */
int session_git_token(const struct config *cfg, char **token,
                      int64_t *expires_at);

/*
 * The CI token (contract §9, "CI token"): CLERK_CREDENTIAL_TOKEN, else the
 * token file (cfg->token_file), for runners where nobody signs in. It comes
 * before the runtime cache in session_token() and session_git_token():
 * no store, cache, lock or module, never refreshed, and no expiry
 * (*expires_at is 0: the helper cannot verify a token's claims, so it
 * does not repeat them). The file is read on every run, so a rotated
 * mounted secret counts at once.
 *
 * MUST NOT: print the token, or write it anywhere but the protocol's
 * answer. MUST: refuse a token file that others can read or write, or
 * that is not ours or root's (fileio.h, file_open_trusted()).
 */
#define SESSION_CI_TOKEN_MAX 16384

/*
 * Where the CI token comes from: "CLERK_CREDENTIAL_TOKEN", the token
 * file's name, or NULL when there is none. Never the token.
 */
const char *session_ci_origin(const struct config *cfg);

/*
 * 0 and the CI token (free with secret_free()); CLERK_ENOTFOUND when none
 * is configured; else an error, said: a missing or unsafe file, an empty
 * or malformed token (one line of printable ASCII, no blank; one end of
 * line after it in a file is dropped).
 */
int session_ci_token(const struct config *cfg, char **token);

struct challenges;

/*
 * What a server said of this profile's token, in the challenges a caller
 * passed on (git's wwwauth[], Cargo's headers; contract §9, step-up):
 * Bearer error="insufficient_scope" with a scope list the stored grant
 * does not cover records a step-up and drops the cached token, so the
 * next token request signs in once asking for the union of the
 * profile's scopes, the grant's and those (reject.h: never twice for the
 * same scopes within the window); error="invalid_token" in a get (@erase
 * false) counts as an erase of the cached token, so a refresh follows
 * under the rejection rules (contract §12). Anything else, and a CI
 * token, changes nothing. 0 or an error, said.
 */
int session_challenged(const struct config *cfg, const struct challenges *cs,
                       bool erase);

/*
 * Sign in now, whatever is stored; a waiting step-up's scopes are asked
 * for too. cfg->prompt_login makes the provider ask for the account.
 */
int session_login(const struct config *cfg);

/*
 * Forget the access token @token (git erase): never a newer one. With a
 * CI token nothing is removed; a rejected CI token is recorded as
 * reject.h says, and git's get holds it back after a second rejection.
 */
int session_erase(const struct config *cfg, const char *token);

/*
 * Sign out of this profile: revoke the stored refresh token (and an
 * opaque access token) at the provider, then clear the runtime cache,
 * the file store and the keyring whatever the provider said (a refusal
 * or an unreachable provider is a warning).
 */
int session_logout(const struct config *cfg);

/*
 * session_logout() for every token set in the file store or the keyring,
 * each at its own issuer. The first failure's code, after trying all.
 */
int session_logout_all(const struct config *cfg);

/*
 * With a CI token, CLERK_ENOTFOUND with a message: nobody signed in.
 * Else the stored token set of this profile with its userinfo (the provider's
 * answer about the user), fetched and stored when none is kept: a valid
 * access token first (session_token()), then userinfo under the lock.
 * CLERK_EPROVIDER with a message when the provider gives none. Release
 * *@out with tokenset_release().
 */
int session_userinfo(const struct config *cfg, struct tokenset *out);

#endif
