/*
 * Randomness, hashing and the signature checks of ID tokens, through
 * GnuTLS: the only module that includes GnuTLS.
 */
#ifndef CLERK_CRYPTO_H
#define CLERK_CRYPTO_H

#include <stddef.h>

#include "util.h"

/* Fill @buf with @len bytes from GnuTLS's key-grade generator. */
int crypto_random(void *buf, size_t len);

/* SHA-256 of @len bytes at @data into @out. */
int crypto_sha256(const void *data, size_t len, unsigned char out[32]);

/*
 * Append base64url of @nbytes random bytes to @sb: used for state and
 * nonce (16 bytes or more) and the PKCE verifier (32 bytes). @nbytes is
 * 1 to 64 (else CLERK_EINTERNAL); on failure @sb is left as it was.
 */
int crypto_random_base64url(size_t nbytes, struct strbuf *sb);

/*
 * Signature checks for JWS (RFC 7518 3.3, 3.4). Each returns 0 when
 * @sig is a valid signature of the @len bytes at @data under the public
 * key, CLERK_EPROVIDER (without a message) when it is not or when the
 * key is unusable, CLERK_ENOMEM or CLERK_EINTERNAL (with a message) when
 * GnuTLS fails.
 *
 * RS256: RSASSA-PKCS1-v1_5 with SHA-256 under the RSA key (@n, @e: the
 * unsigned big-endian modulus and exponent). The caller bounds the sizes;
 * @siglen must equal the modulus size.
 */
int crypto_verify_rs256(const unsigned char *n, size_t nlen,
                        const unsigned char *e, size_t elen, const void *data,
                        size_t len, const unsigned char *sig, size_t siglen);

/*
 * ES256: ECDSA on P-256 with SHA-256 under the point (@x, @y). @sig is
 * the JWS form, r || s, 32 bytes each (not DER).
 */
int crypto_verify_es256(const unsigned char x[32], const unsigned char y[32],
                        const void *data, size_t len,
                        const unsigned char sig[64]);

#endif
