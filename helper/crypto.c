/*
 * See crypto.h.
 *
 * MUST: take every random byte from GnuTLS's key-grade generator
 * (GNUTLS_RND_KEY); wipe random bytes from the stack once encoded.
 */
#include "crypto.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "encode.h"
#include "error.h"
#include "log.h"

/* The most random bytes one call encodes (state, nonce: 16; PKCE: 32). */
#define CRYPTO_MAX_RANDOM 64

int
crypto_random(void *buf, size_t len)
{
	if (len == 0)
		return 0;
	if (!buf || gnutls_rnd(GNUTLS_RND_KEY, buf, len) < 0) {
		log_error("random generator failed: GnuTLS could not read "
		          "the system's random source");
		return CLERK_EINTERNAL;
	}
	return 0;
}

int
crypto_sha256(const void *data, size_t len, unsigned char out[32])
{
	if ((!data && len) ||
	    gnutls_hash_fast(GNUTLS_DIG_SHA256, data, len, out) < 0) {
		log_error("sha-256 failed: GnuTLS refused to hash");
		return CLERK_EINTERNAL;
	}
	return 0;
}

int
crypto_random_base64url(size_t nbytes, struct strbuf *sb)
{
	unsigned char raw[CRYPTO_MAX_RANDOM];
	size_t old = sb->len;
	int r;

	if (nbytes == 0 || nbytes > sizeof(raw)) {
		log_error("random string of %zu bytes requested: bug", nbytes);
		return CLERK_EINTERNAL;
	}
	r = crypto_random(raw, nbytes);
	if (!r)
		r = base64url_encode(raw, nbytes, sb);
	secret_wipe(raw, sizeof(raw));
	if (r && sb->buf) {
		/* Leave @sb as it was: no partial value. */
		secret_wipe(sb->buf + old, sb->len - old);
		sb->len = old;
		sb->buf[old] = '\0';
	}
	return r;
}
