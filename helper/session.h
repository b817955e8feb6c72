/*
 * The token life cycle across processes: runtime cache, lock, store,
 * refresh and sign-in (SPEC 8, 9).
 *
 * MUST: store a rotated refresh token before the new access token is used
 * or cached; hold the lock for every refresh and sign-in; re-read cache
 * and store after taking the lock (another process may have done the
 * work). MUST NOT: start a sign-in when cfg->interactive is false.
 */
#ifndef CLERK_SESSION_H
#define CLERK_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

/*
 * The cache-hit check alone, without locks, stores or the network: 0 and
 * the token when the runtime cache holds one valid beyond the refresh
 * margin, else CLERK_ENOTFOUND.
 */
int session_cached_token(const struct config *cfg, char **token,
			 int64_t *expires_at);

/*
 * A valid access token: from the cache, the store, a refresh, or (when
 * interactive) a sign-in. *@token is freed with secret_free().
 */
int session_token(const struct config *cfg, char **token,
		  int64_t *expires_at);

/* Sign in now, whatever is stored. */
int session_login(const struct config *cfg);

/* Forget the access token @token (git erase): never a newer one. */
int session_erase(const struct config *cfg, const char *token);

/* Clear every stored token of this profile. */
int session_logout(const struct config *cfg);

/* Print the signed-in user; fetches userinfo when none is cached. */
int session_whoami(const struct config *cfg);

/* Print profile, issuer, client id, storage and expiry: no secret. */
int session_status(const struct config *cfg);

#endif
