/*
 * The runtime access-token cache (contract §10): one small 0600 file per
 * (issuer, client id, profile) in the runtime dir, so that a cache hit
 * reads one file and touches no keyring, no network and no TLS.
 *
 * Format, one value per line: "clerk-credential-cache 1", issuer,
 * client id, profile, expiry (Unix seconds), access token. The first four
 * are checked on read, so a cache file can never answer for another
 * issuer, client or profile.
 */
#ifndef CLERK_CACHE_H
#define CLERK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

struct config;

/*
 * 0 and the token (free with secret_free) and its expiry when a cached
 * token exists, whatever its expiry; CLERK_ENOTFOUND when there is none or
 * it does not belong to this configuration; CLERK_EPERM when the file is
 * unsafe.
 */
int cache_read(const struct config *cfg, char **token, int64_t *expires_at);

/* Replace the cached token. */
int cache_write(const struct config *cfg, const char *token,
                int64_t expires_at);

/*
 * Remove the cached token; with @only_if non-NULL only when the cached
 * token equals it (an erase of an old token keeps a newer one).
 */
int cache_drop(const struct config *cfg, const char *only_if);

/* cache_drop() that says whether the cached token was @token. */
int cache_drop_token(const struct config *cfg, const char *token,
                     bool *dropped);

#endif
