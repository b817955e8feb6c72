/*
 * ID token verification (SPEC 8): the JWS signature against the
 * provider's JWKS (RS256 or ES256 only), then the claims
 * (oauth_check_id_token_claims(): iss, aud/azp, exp, iat, nbf, nonce).
 *
 * "alg": "none" and every HMAC algorithm are refused: a public client
 * holds no secret, so an HS256 token proves nothing. Keys come only from
 * the discovery document's jwks_uri, never from the token's header.
 */
#ifndef CLERK_JWT_H
#define CLERK_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "jwks.h"

struct config;
struct oidc_provider;

#define JWT_MAX_LEN    (64 * 1024)
#define JWT_MAX_HEADER 4096 /* decoded header bytes */

enum jwt_alg {
	JWT_RS256 = 1,
	JWT_ES256,
};

struct jwt {
	enum jwt_alg alg;
	const char *alg_name; /* "RS256" or "ES256" (static) */
	char *kid;            /* or NULL */
	size_t signed_len;    /* the signed input is the token's first bytes */
	unsigned char *sig;
	size_t siglen;
};

#define JWT_INIT                                                          \
	{                                                                 \
		.alg = 0, .alg_name = NULL, .kid = NULL, .signed_len = 0, \
		.sig = NULL, .siglen = 0                                  \
	}

void jwt_release(struct jwt *jwt);

/*
 * Split the compact JWS @token and read its header: "alg" must be RS256
 * or ES256, "kid" (optional) a printable string of at most JWKS_MAX_KID
 * bytes, and there must be no "crit" extension we would not understand.
 * An ES256 signature must be 64 bytes (r || s). CLERK_EPROVIDER, without
 * a message, when anything fails: @why (@whylen bytes) then says which
 * check (e.g. "alg none is refused: the token is unsigned").
 */
int jwt_parse(const char *token, struct jwt *out, char *why, size_t whylen);

/*
 * Check @jwt's signature (parsed from @token) with @key: 0, or
 * CLERK_EPROVIDER when it does not verify or the key does not fit the
 * algorithm. No message unless GnuTLS itself fails.
 */
int jwt_verify(const struct jwt *jwt, const char *token, const struct jwk *key);

/*
 * Verify the ID token @id_token for this sign-in or refresh: the
 * signature with the key of the header's kid from op->jwks_uri (cached
 * set first; on an unknown kid the set is fetched again, once), then the
 * claims against op->issuer, cfg->client_id and @nonce (NULL on refresh)
 * at @now. 0, or a reported error whose message names the failed check
 * (CLERK_EPROVIDER for a refused token).
 */
int jwt_verify_id_token(const struct config *cfg,
                        const struct oidc_provider *op, const char *id_token,
                        const char *nonce, int64_t now);

#endif
