/*
 * The provider's signing keys: a JSON Web Key Set (RFC 7517) fetched from
 * the discovery document's jwks_uri, cached in the state dir for a day.
 *
 * Only public signature keys are kept: RSA keys of 2048 to 8192 bits
 * (RS256) and EC keys on P-256 (ES256). Symmetric keys, encryption keys
 * and other curves are skipped: a token is never checked against a key
 * the provider did not publish for signatures.
 */
#ifndef CLERK_JWKS_H
#define CLERK_JWKS_H

#include <stdbool.h>
#include <stddef.h>

#define JWKS_MAX_INPUT    (256 * 1024)
#define JWKS_MAX_KEYS     32
#define JWKS_MAX_KID      256
#define JWKS_MAX_AGE      86400
#define JWKS_RSA_MIN_BITS 2048
#define JWKS_RSA_MAX_BITS 8192

enum jwk_type {
	JWK_RSA = 1, /* for RS256 */
	JWK_EC_P256, /* for ES256 */
};

struct jwk {
	enum jwk_type type;
	char *kid;            /* or NULL */
	char *alg;            /* "RS256", "ES256" or NULL when not given */
	unsigned char *n, *e; /* RSA: big-endian, no leading zero bytes */
	size_t nlen, elen;
	unsigned char x[32], y[32]; /* EC P-256 point */
};

struct jwks {
	struct jwk *keys;
	size_t nkeys;
	size_t skipped; /* keys that are not usable signature keys */
};

#define JWKS_INIT                                      \
	{                                              \
		.keys = NULL, .nkeys = 0, .skipped = 0 \
	}

void jwks_release(struct jwks *set);

/*
 * Parse a JWK Set: a JSON object whose "keys" is an array of at most
 * JWKS_MAX_KEYS objects, @len at most JWKS_MAX_INPUT. Keys that are not
 * usable RS256 or ES256 keys (another kty, "use" other than "sig", an
 * "alg" of another family, a bad size or encoding, a kid over
 * JWKS_MAX_KID bytes) are skipped and counted in @out->skipped, each with
 * a debug line. CLERK_EPROVIDER, with the reason in @why (static text),
 * when the document itself is malformed; @out is committed only on
 * success and may then hold no key.
 */
int jwks_parse(const char *text, size_t len, struct jwks *out,
               const char **why);

/*
 * The next key after @prev (NULL: the first) that can check a signature
 * of @alg ("RS256" or "ES256") and, when @kid is set, has that kid.
 */
const struct jwk *jwks_next(const struct jwks *set, const char *alg,
                            const char *kid, const struct jwk *prev);

/*
 * The key set at @jwks_uri: from the cache file
 * (<state>/jwks-<hash of the URI>.json, 0600) when younger than
 * JWKS_MAX_AGE and @refetch is false, else fetched and, when valid,
 * cached. *@from_cache tells which. Errors are reported: CLERK_ENET when
 * the provider cannot be reached (CLERK_ETLS: TLS refused it),
 * CLERK_EPROVIDER for an error status or a malformed set, CLERK_ECONFIG
 * for a URL that http_url_allowed() refuses.
 */
int jwks_load(const char *jwks_uri, bool refetch, struct jwks *out,
              bool *from_cache);

#endif
