/*
 * See crypto.h.
 *
 * MUST: take every random byte from GnuTLS's key-grade generator
 * (GNUTLS_RND_KEY); wipe random bytes from the stack once encoded; check
 * signatures only with the algorithm the caller names (RS256 or ES256,
 * never one taken from the key or the token).
 */
#include "crypto.h"

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>

#include "encode.h"
#include "error.h"
#include "log.h"

#include "banned.h"

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

/* --- Signatures ------------------------------------------------------ */

static gnutls_datum_t
datum(const void *p, size_t n)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)p, (unsigned int)n};

	return d;
}

/* A fresh GnuTLS public key object, or NULL with a message. */
static gnutls_pubkey_t
pubkey_new(void)
{
	gnutls_pubkey_t key = NULL;

	if (gnutls_pubkey_init(&key) < 0) {
		log_error("signature check failed: GnuTLS is out of memory");
		return NULL;
	}
	return key;
}

/* 0 when @sig verifies under @key with @algo; CLERK_EPROVIDER if not. */
static int
pubkey_verify(gnutls_pubkey_t key, gnutls_sign_algorithm_t algo,
              const void *data, size_t len, const gnutls_datum_t *sig)
{
	gnutls_datum_t d = datum(data, len);

	if (gnutls_pubkey_verify_data2(key, algo, 0, &d, sig) < 0)
		return CLERK_EPROVIDER;
	return 0;
}

int
crypto_verify_rs256(const unsigned char *n, size_t nlen, const unsigned char *e,
                    size_t elen, const void *data, size_t len,
                    const unsigned char *sig, size_t siglen)
{
	gnutls_datum_t dn = datum(n, nlen), de = datum(e, elen);
	gnutls_datum_t ds = datum(sig, siglen);
	gnutls_pubkey_t key;
	int r;

	if (!n || !e || !sig || (!data && len) || nlen == 0 || elen == 0 ||
	    siglen != nlen || len > UINT_MAX || nlen > UINT_MAX ||
	    elen > UINT_MAX)
		return CLERK_EPROVIDER;
	if (!(key = pubkey_new()))
		return CLERK_ENOMEM;
	if (gnutls_pubkey_import_rsa_raw(key, &dn, &de) < 0)
		r = CLERK_EPROVIDER;
	else
		r = pubkey_verify(key, GNUTLS_SIGN_RSA_SHA256, data, len, &ds);
	gnutls_pubkey_deinit(key);
	return r;
}

int
crypto_verify_es256(const unsigned char x[32], const unsigned char y[32],
                    const void *data, size_t len, const unsigned char sig[64])
{
	gnutls_datum_t dx = datum(x, 32), dy = datum(y, 32);
	gnutls_datum_t rr = datum(sig, 32), ss = datum(sig + 32, 32);
	gnutls_datum_t der = {NULL, 0};
	gnutls_pubkey_t key;
	int r;

	if (!x || !y || !sig || (!data && len) || len > UINT_MAX)
		return CLERK_EPROVIDER;
	/* JWS carries r || s; GnuTLS verifies the DER SEQUENCE of both. */
	if (gnutls_encode_rs_value(&der, &rr, &ss) < 0) {
		log_error("signature check failed: GnuTLS could not encode "
		          "the ECDSA signature");
		return CLERK_EINTERNAL;
	}
	if (!(key = pubkey_new())) {
		gnutls_free(der.data);
		return CLERK_ENOMEM;
	}
	if (gnutls_pubkey_import_ecc_raw(key, GNUTLS_ECC_CURVE_SECP256R1, &dx,
	                                 &dy) < 0)
		r = CLERK_EPROVIDER;
	else
		r = pubkey_verify(key, GNUTLS_SIGN_ECDSA_SHA256, data, len,
		                  &der);
	gnutls_pubkey_deinit(key);
	gnutls_free(der.data);
	return r;
}
