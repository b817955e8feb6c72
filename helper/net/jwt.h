/*
 * ID token verification (contract §9): the JWS signature against the
 * provider's JWKS (RS256 or ES256 only), then the claims
 * (jwt_check_claims(): iss, aud/azp, exp, iat, nbf, nonce). The one
 * place that splits a compact JWS (jwt_split()).
 *
 * "alg": "none" and every HMAC algorithm are refused: a public client
 * holds no secret, so an HS256 token proves nothing. Keys come only from
 * the discovery document's jwks_uri, never from the token's header.
 */
#ifndef CLERK_JWT_H
#define CLERK_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jwks.h"

struct config;
struct oidc_provider;

#define JWT_MAX_LEN    (64 * 1024)
#define JWT_MAX_HEADER 4096 /* decoded header bytes */
#define JWT_SKEW       60   /* seconds of clock skew allowed on claims */

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
 * Split the first @n bytes of @token at its two dots: true when they are
 * header.payload.signature with exactly two dots and a header and a
 * payload that are not empty; *@d1 and *@d2 then point at the dots. The
 * signature may be empty, so that "alg": "none" can be refused by name.
 * Nothing is decoded.
 */
bool jwt_split(const char *token, size_t n, const char **d1, const char **d2);

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
 * Check the ID token's claims (jwt_verify_id_token() checks the
 * signature first, then calls this): a header.payload.signature JWT of
 * at most JWT_MAX_LEN visible characters, with a signature, whose alg is
 * not "none", iss equals @issuer, aud contains @client_id (and azp
 * equals it when there are several audiences or whenever azp is
 * present), exp in the future and nbf and iat (if any) in the past, with
 * JWT_SKEW seconds of skew, nonce equals @nonce when @nonce is set.
 * CLERK_EPROVIDER with a message naming the failed check.
 */
int jwt_check_claims(const char *id_token, const char *issuer,
                     const char *client_id, const char *nonce, int64_t now);

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
