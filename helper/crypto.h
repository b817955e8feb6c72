/*
 * Randomness and hashing through GnuTLS (the only module besides the ID
 * token verifier that includes GnuTLS).
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

#endif
