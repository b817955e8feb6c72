/*
 * Unit tests of jwt.c and the signature checks of crypto.c: RS256 and
 * ES256 tokens signed at test time with keys GnuTLS makes for this run
 * (test-only keys, never stored), wrong signatures, algorithm refusals,
 * bounds, the split, the claims, and jwt_verify_id_token() end to end:
 * key set fetched from an in-process server on 127.0.0.1, cached, fetched
 * again once for an unknown kid, then the claims.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "config.h"
#include "crypto.h"
#include "discovery.h"
#include "encode.h"
#include "error.h"
#include "httpd.h"
#include "jwks.h"
#include "jwt.h"
#include "log.h"
#include "tmptree.h"
#include "util.h"

#define NOW 1700000000
#define ISS "https://issuer.example"

/* --- Test keys and signing ------------------------------------------- */

struct testkey {
	const char *kid;
	bool ec;
	gnutls_privkey_t priv;
	char *jwk; /* the public JWK as JSON */
};

static struct testkey rsa1 = {"rsa-1", false, NULL, NULL};
static struct testkey rsa2 = {"rsa-2", false, NULL, NULL};
static struct testkey ec1 = {"ec-1", true, NULL, NULL};

static void
b64_add(struct strbuf *sb, const void *p, size_t n)
{
	assert_int_equal(base64url_encode(p, n, sb), 0);
}

/* @d as exactly 32 big-endian bytes into @out. */
static void
fixed32(const gnutls_datum_t *d, unsigned char out[32])
{
	size_t skip = 0;

	while (skip < d->size && d->data[skip] == 0)
		skip++;
	assert_true(d->size - skip <= 32);
	memset(out, 0, 32);
	memcpy(out + 32 - (d->size - skip), d->data + skip, d->size - skip);
}

static void
key_export(struct testkey *k, gnutls_pubkey_t pub, struct strbuf *sb)
{
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	gnutls_ecc_curve_t curve;
	unsigned char x[32], y[32];

	if (k->ec) {
		assert_int_equal(
		        gnutls_pubkey_export_ecc_raw2(pub, &curve, &a, &b, 0),
		        0);
		fixed32(&a, x);
		fixed32(&b, y);
		assert_int_equal(strbuf_addf(sb,
		                             "{\"kty\":\"EC\",\"crv\":"
		                             "\"P-256\",\"kid\":\"%s\","
		                             "\"use\":\"sig\",\"x\":\"",
		                             k->kid),
		                 0);
		b64_add(sb, x, 32);
		assert_int_equal(strbuf_adds(sb, "\",\"y\":\""), 0);
		b64_add(sb, y, 32);
	} else {
		assert_int_equal(gnutls_pubkey_export_rsa_raw2(
		                         pub, &a, &b, GNUTLS_EXPORT_FLAG_NO_LZ),
		                 0);
		assert_int_equal(strbuf_addf(sb,
		                             "{\"kty\":\"RSA\",\"kid\":"
		                             "\"%s\",\"alg\":\"RS256\","
		                             "\"n\":\"",
		                             k->kid),
		                 0);
		b64_add(sb, a.data, a.size);
		assert_int_equal(strbuf_adds(sb, "\",\"e\":\""), 0);
		b64_add(sb, b.data, b.size);
	}
	assert_int_equal(strbuf_adds(sb, "\"}"), 0);
	gnutls_free(a.data);
	gnutls_free(b.data);
}

static void
key_make(struct testkey *k)
{
	struct strbuf sb = STRBUF_INIT;
	gnutls_pubkey_t pub;
	unsigned bits =
	        k->ec ? GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1) : 2048;

	assert_int_equal(gnutls_privkey_init(&k->priv), 0);
	assert_int_equal(
	        gnutls_privkey_generate(k->priv,
	                                k->ec ? GNUTLS_PK_ECDSA : GNUTLS_PK_RSA,
	                                bits, 0),
	        0);
	assert_int_equal(gnutls_pubkey_init(&pub), 0);
	assert_int_equal(gnutls_pubkey_import_privkey(pub, k->priv, 0, 0), 0);
	key_export(k, pub, &sb);
	gnutls_pubkey_deinit(pub);
	assert_int_equal(strbuf_detach(&sb, &k->jwk), 0);
}

/* The JWS signature of @input by @k (ES256: r || s) appended to @sb. */
static void
sign_into(const struct testkey *k, const char *input, struct strbuf *sb)
{
	gnutls_datum_t data = {(unsigned char *)(uintptr_t)input,
	                       (unsigned)strlen(input)};
	gnutls_datum_t sig = {NULL, 0}, r = {NULL, 0}, s = {NULL, 0};
	unsigned char rs[64];

	assert_int_equal(
	        gnutls_privkey_sign_data2(k->priv,
	                                  k->ec ? GNUTLS_SIGN_ECDSA_SHA256
	                                        : GNUTLS_SIGN_RSA_SHA256,
	                                  0, &data, &sig),
	        0);
	if (k->ec) {
		assert_int_equal(gnutls_decode_rs_value(&sig, &r, &s), 0);
		fixed32(&r, rs);
		fixed32(&s, rs + 32);
		b64_add(sb, rs, 64);
	} else {
		b64_add(sb, sig.data, sig.size);
	}
	gnutls_free(sig.data);
	gnutls_free(r.data);
	gnutls_free(s.data);
}

/*
 * base64url(@header).base64url(@payload).signature: by @k, or @rawsig as
 * given when @k is NULL.
 */
static char *
make_token(const char *header, const char *payload, const struct testkey *k,
           const char *rawsig)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	b64_add(&sb, header, strlen(header));
	assert_int_equal(strbuf_addch(&sb, '.'), 0);
	b64_add(&sb, payload, strlen(payload));
	if (k) {
		char *input = strdup(sb.buf);

		assert_non_null(input);
		assert_int_equal(strbuf_addch(&sb, '.'), 0);
		sign_into(k, input, &sb);
		free(input);
	} else {
		assert_int_equal(strbuf_addf(&sb, ".%s", rawsig), 0);
	}
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	return out;
}

static char *
header_for(const struct testkey *k, const char *kid)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	assert_int_equal(strbuf_addf(&sb, "{\"alg\":\"%s\",\"typ\":\"JWT\"",
	                             k->ec ? "ES256" : "RS256"),
	                 0);
	if (kid)
		assert_int_equal(strbuf_addf(&sb, ",\"kid\":\"%s\"", kid), 0);
	assert_int_equal(strbuf_addch(&sb, '}'), 0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	return out;
}

#define GOOD_CLAIMS                                                       \
	"{\"iss\":\"" ISS "\",\"sub\":\"u1\",\"aud\":\"client\",\"iat\":" \
	"1700000000,\"exp\":1700000600,\"nonce\":\"n1\"}"

/* A token by @k with kid @kid (NULL: none) and @claims. */
static char *
signed_token(const struct testkey *k, const char *kid, const char *claims)
{
	char *h = header_for(k, kid);
	char *t = make_token(h, claims, k, NULL);

	free(h);
	return t;
}

/* The single key of @k's JWK, parsed by jwks.c. */
static void
parse_key(const struct testkey *k, struct jwks *set)
{
	struct strbuf sb = STRBUF_INIT;
	const char *why;

	assert_int_equal(strbuf_addf(&sb, "{\"keys\":[%s]}", k->jwk), 0);
	assert_int_equal(jwks_parse(sb.buf, sb.len, set, &why), 0);
	assert_int_equal(set->nkeys, 1);
	strbuf_release(&sb);
}

/* jwt_parse() and jwt_verify() of @token with @k's key. */
static int
check(const char *token, const struct testkey *k)
{
	struct jwks set = JWKS_INIT;
	struct jwt jwt = JWT_INIT;
	char why[200];
	int r;

	parse_key(k, &set);
	r = jwt_parse(token, &jwt, why, sizeof(why));
	if (!r)
		r = jwt_verify(&jwt, token, &set.keys[0]);
	jwt_release(&jwt);
	jwks_release(&set);
	return r;
}

/* The keys of this run, made once (an RSA key takes a while). */
static int
setup_keys(void **state)
{
	(void)state;
	if (!rsa1.priv) {
		key_make(&rsa1);
		key_make(&rsa2);
		key_make(&ec1);
	}
	return 0;
}

static void
keys_free(void)
{
	struct testkey *all[] = {&rsa1, &rsa2, &ec1};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (all[i]->priv)
			gnutls_privkey_deinit(all[i]->priv);
		free(all[i]->jwk);
	}
}

/* --- Signatures ------------------------------------------------------- */

static void
test_rs256_good(void **state)
{
	char *t = signed_token(&rsa1, "rsa-1", GOOD_CLAIMS);
	struct jwt jwt = JWT_INIT;
	char why[200];

	(void)state;
	assert_int_equal(jwt_parse(t, &jwt, why, sizeof(why)), 0);
	assert_int_equal(jwt.alg, JWT_RS256);
	assert_string_equal(jwt.kid, "rsa-1");
	assert_int_equal(jwt.siglen, 256);
	assert_int_equal(t[jwt.signed_len], '.');
	jwt_release(&jwt);
	assert_int_equal(check(t, &rsa1), 0);
	free(t);
}

static void
test_es256_good(void **state)
{
	size_t i;

	(void)state;
	/* Many signatures: r and s with and without their top bit set. */
	for (i = 0; i < 64; i++) {
		char claims[256];
		char *t;

		snprintf(claims, sizeof(claims),
		         "{\"iss\":\"" ISS "\",\"aud\":\"client\",\"exp\":%zu}",
		         (size_t)NOW + i);
		t = signed_token(&ec1, "ec-1", claims);
		if (check(t, &ec1) != 0)
			fail_msg("ES256 signature %zu refused", i);
		free(t);
	}
}

/* Flip bit 0 of byte @at of @t's part @part (0 header, 2 signature). */
static char *
tampered(const char *t, int part, size_t at)
{
	const char *d1 = strchr(t, '.'), *d2 = strchr(d1 + 1, '.');
	const char *start = part == 0 ? t : part == 1 ? d1 + 1 : d2 + 1;
	size_t n = part == 0   ? (size_t)(d1 - t)
	           : part == 1 ? (size_t)(d2 - d1 - 1)
	                       : strlen(d2 + 1);
	unsigned char *raw = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;
	size_t len;

	assert_int_equal(base64url_decode(start, n, &raw, &len), 0);
	assert_true(at < len);
	raw[at] ^= 1;
	assert_int_equal(strbuf_add(&sb, t, (size_t)(start - t)), 0);
	b64_add(&sb, raw, len);
	assert_int_equal(strbuf_adds(&sb, start + n), 0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	free(raw);
	return out;
}

static void
test_wrong_signature(void **state)
{
	const struct testkey *keys[] = {&rsa1, &ec1};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct testkey *k = keys[i];
		char *t = signed_token(k, k->kid, GOOD_CLAIMS);
		char *bad;

		assert_int_equal(check(t, k), 0);
		/* A bit of the signature, the payload or the header. */
		bad = tampered(t, 2, 0);
		assert_int_equal(check(bad, k), CLERK_EPROVIDER);
		free(bad);
		bad = tampered(t, 2, k->ec ? 63 : 255);
		assert_int_equal(check(bad, k), CLERK_EPROVIDER);
		free(bad);
		bad = tampered(t, 1, 10);
		assert_int_equal(check(bad, k), CLERK_EPROVIDER);
		free(bad);
		bad = tampered(t, 0, 20);
		assert_int_equal(check(bad, k), CLERK_EPROVIDER);
		free(bad);
		free(t);
	}
	/* Another key of the same kind. */
	{
		char *t = signed_token(&rsa2, "rsa-1", GOOD_CLAIMS);

		assert_int_equal(check(t, &rsa1), CLERK_EPROVIDER);
		assert_int_equal(check(t, &rsa2), 0);
		free(t);
	}
}

static void
test_signature_shapes(void **state)
{
	char sig64[87], sig255[341];
	unsigned char zero[255];
	struct strbuf sb = STRBUF_INIT;
	char *t;

	(void)state;
	memset(zero, 0, sizeof(zero));
	/* ES256: all zero r and s. */
	b64_add(&sb, zero, 64);
	snprintf(sig64, sizeof(sig64), "%s", sb.buf);
	t = make_token("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}", GOOD_CLAIMS,
	               NULL, sig64);
	assert_int_equal(check(t, &ec1), CLERK_EPROVIDER);
	free(t);
	/* RS256: a signature one byte short of the modulus. */
	strbuf_reset(&sb);
	b64_add(&sb, zero, 255);
	snprintf(sig255, sizeof(sig255), "%s", sb.buf);
	t = make_token("{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", GOOD_CLAIMS,
	               NULL, sig255);
	assert_int_equal(check(t, &rsa1), CLERK_EPROVIDER);
	free(t);
	strbuf_release(&sb);

	/* A key of the other type never checks a token. */
	t = signed_token(&rsa1, "k", GOOD_CLAIMS);
	assert_int_equal(check(t, &ec1), CLERK_EPROVIDER);
	free(t);
	t = signed_token(&ec1, "k", GOOD_CLAIMS);
	assert_int_equal(check(t, &rsa1), CLERK_EPROVIDER);
	free(t);

	/* crypto.c's own guards. */
	assert_int_equal(crypto_verify_rs256(zero, 0, zero, 3, "x", 1, zero, 0),
	                 CLERK_EPROVIDER);
	assert_int_equal(
	        crypto_verify_rs256(NULL, 256, zero, 3, "x", 1, zero, 256),
	        CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_es256(zero, zero, "x", 1, zero),
	                 CLERK_EPROVIDER);
}

/* --- Header refusals and bounds ---------------------------------------- */

static const struct {
	const char *header; /* JSON; NULL: @raw is the whole token */
	const char *sig;    /* base64url signature as written */
	const char *raw;
	const char *why; /* a part of the reason */
} refusals[] = {
        {"{\"alg\":\"none\"}", "", NULL, "alg none is refused"},
        {"{\"alg\":\"none\"}", "c2ln", NULL, "alg none is refused"},
        {"{\"alg\":\"None\",\"kid\":\"rsa-1\"}", "c2ln", NULL,
         "alg None is refused"},
        {"{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", "c2ln", NULL,
         "alg HS256 is refused"},
        {"{\"alg\":\"HS384\"}", "c2ln", NULL, "HMAC"},
        {"{\"alg\":\"HS512\"}", "c2ln", NULL, "HMAC"},
        {"{\"alg\":\"PS256\"}", "c2ln", NULL, "not supported"},
        {"{\"alg\":\"RS512\"}", "c2ln", NULL, "not supported"},
        {"{\"alg\":\"ES384\"}", "c2ln", NULL, "not supported"},
        {"{\"alg\":\"EdDSA\"}", "c2ln", NULL, "not supported"},
        {"{\"alg\":\"rs256\"}", "c2ln", NULL, "not supported"},
        {"{\"typ\":\"JWT\"}", "c2ln", NULL, "no alg"},
        {"{\"alg\":256}", "c2ln", NULL, "no alg"},
        {"{\"alg\":\"RS256\",\"crit\":[\"exp\"]}", "c2ln", NULL, "crit"},
        {"{\"alg\":\"RS256\",\"kid\":7}", "c2ln", NULL, "kid"},
        {"{\"alg\":\"RS256\",\"kid\":\"a\\nb\"}", "c2ln", NULL, "kid"},
        {"{\"alg\":\"RS256\"}", "", NULL, "signature is empty"},
        {"{\"alg\":\"RS256\"}", "c2ln!", NULL, "not base64url"},
        {"{\"alg\":\"ES256\"}", "c2ln", NULL, "not 64 bytes"},
        {"not json", "c2ln", NULL, "header is malformed"},
        {"[\"RS256\"]", "c2ln", NULL, "header is malformed"},
        {NULL, NULL, "", "missing"},
        {NULL, NULL, "abc", "not a signed JWT"},
        {NULL, NULL, "a.b", "not a signed JWT"},
        {NULL, NULL, "a.b.c.d", "not a signed JWT"},
        {NULL, NULL, ".e30.c2ln", "not a signed JWT"},
        {NULL, NULL, "e30..c2ln", "not a signed JWT"},
        {NULL, NULL, "!!!.e30.c2ln", "header is malformed"},
};

static void
test_parse_refusals(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refusals) / sizeof(*refusals); i++) {
		struct jwt jwt = JWT_INIT;
		char why[200] = "unset";
		char *t = refusals[i].header
		                  ? make_token(refusals[i].header, GOOD_CLAIMS,
		                               NULL, refusals[i].sig)
		                  : strdup(refusals[i].raw);
		int r = jwt_parse(t, &jwt, why, sizeof(why));

		if (r != CLERK_EPROVIDER || !strstr(why, refusals[i].why))
			fail_msg("refusal %zu: %d, \"%s\"", i, r, why);
		assert_null(jwt.sig);
		assert_null(jwt.kid);
		free(t);
	}
	{
		struct jwt jwt = JWT_INIT;
		char why[200];

		assert_int_equal(jwt_parse(NULL, &jwt, why, sizeof(why)),
		                 CLERK_EPROVIDER);
	}
}

static void
test_parse_bounds(void **state)
{
	char kid[JWKS_MAX_KID + 2], header[JWT_MAX_HEADER + 64];
	struct strbuf sb = STRBUF_INIT;
	struct jwt jwt = JWT_INIT;
	char why[200];
	char *t;

	(void)state;
	/* kid: 256 bytes fine, 257 refused. */
	memset(kid, 'k', sizeof(kid));
	kid[JWKS_MAX_KID] = '\0';
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	         kid);
	t = make_token(header, GOOD_CLAIMS, NULL, "c2ln");
	assert_int_equal(jwt_parse(t, &jwt, why, sizeof(why)), 0);
	free(t);
	kid[JWKS_MAX_KID] = 'k';
	kid[JWKS_MAX_KID + 1] = '\0';
	snprintf(header, sizeof(header), "{\"alg\":\"RS256\",\"kid\":\"%s\"}",
	         kid);
	t = make_token(header, GOOD_CLAIMS, NULL, "c2ln");
	assert_int_equal(jwt_parse(t, &jwt, why, sizeof(why)), CLERK_EPROVIDER);
	free(t);

	/* A header over 4 KiB decoded. */
	memset(header, ' ', sizeof(header));
	memcpy(header, "{\"alg\":\"RS256\"", 14);
	header[sizeof(header) - 2] = '}';
	header[sizeof(header) - 1] = '\0';
	t = make_token(header, GOOD_CLAIMS, NULL, "c2ln");
	assert_int_equal(jwt_parse(t, &jwt, why, sizeof(why)), CLERK_EPROVIDER);
	assert_non_null(strstr(why, "header is malformed"));
	free(t);

	/* A signature longer than an 8192-bit key's. */
	assert_int_equal(strbuf_adds(&sb, "eyJhbGciOiJSUzI1NiJ9.e30."), 0);
	while (sb.len < 25 + 1404)
		assert_int_equal(strbuf_adds(&sb, "AAAA"), 0);
	assert_int_equal(jwt_parse(sb.buf, &jwt, why, sizeof(why)),
	                 CLERK_EPROVIDER);
	assert_non_null(strstr(why, "too long"));

	/* The whole token: 64 KiB at most. */
	strbuf_reset(&sb);
	assert_int_equal(strbuf_adds(&sb, "eyJhbGciOiJSUzI1NiJ9."), 0);
	while (sb.len < JWT_MAX_LEN - 5)
		assert_int_equal(strbuf_adds(&sb, "e30"), 0);
	assert_int_equal(strbuf_adds(&sb, ".c2ln"), 0);
	while (sb.len <= JWT_MAX_LEN)
		assert_int_equal(strbuf_addch(&sb, 'A'), 0);
	assert_int_equal(jwt_parse(sb.buf, &jwt, why, sizeof(why)),
	                 CLERK_EPROVIDER);
	assert_non_null(strstr(why, "64 KiB"));
	strbuf_release(&sb);
	jwt_release(&jwt);
}

/* --- ID token claims (unsigned here) and the split -------------------- */

/* base64url(@header).base64url(@payload).@sig, not signed. */
static char *
unsigned_token(const char *header, const char *payload, const char *sig)
{
	return make_token(header, payload, NULL, sig);
}

#define NO_EXP INT64_MIN

static const struct {
	const char *iss;
	const char *aud; /* raw JSON, or NULL to leave it out */
	const char *azp;
	int64_t exp;       /* relative to NOW; NO_EXP leaves it out */
	const char *nonce; /* in the token */
	const char *expect_nonce;
	int result;
} claim_cases[] = {
        /* 0-3: good */
        {ISS, "\"client\"", NULL, 300, "n1", "n1", 0},
        {ISS, "\"client\"", NULL, 300, "n1", NULL, 0},
        {ISS, "\"client\"", NULL, 300, NULL, NULL, 0},
        {ISS, "\"client\"", "client", 300, "n1", "n1", 0},
        /* 4-5: wrong issuer */
        {"https://other.example", "\"client\"", NULL, 300, "n1", "n1",
         CLERK_EPROVIDER},
        {ISS "/", "\"client\"", NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        /* 6-7: wrong or missing audience */
        {ISS, "\"other\"", NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        {ISS, NULL, NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        /* 8-14: audience arrays and azp */
        {ISS, "[\"client\",\"other\"]", "client", 300, "n1", "n1", 0},
        {ISS, "[\"client\"]", NULL, 300, "n1", "n1", 0},
        {ISS, "[\"client\",\"other\"]", NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "[\"client\",\"other\"]", "other", 300, "n1", "n1",
         CLERK_EPROVIDER},
        {ISS, "[\"other\",\"third\"]", "client", 300, "n1", "n1",
         CLERK_EPROVIDER},
        {ISS, "[]", NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "[\"client\",7]", "client", 300, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "\"client\"", "other", 300, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "42", NULL, 300, "n1", "n1", CLERK_EPROVIDER},
        /* 17-20: expiry, with 60 s of skew */
        {ISS, "\"client\"", NULL, -30, "n1", "n1", 0},
        {ISS, "\"client\"", NULL, -60, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "\"client\"", NULL, -3600, "n1", "n1", CLERK_EPROVIDER},
        {ISS, "\"client\"", NULL, NO_EXP, "n1", "n1", CLERK_EPROVIDER},
        /* 21-22: nonce */
        {ISS, "\"client\"", NULL, 300, "n2", "n1", CLERK_EPROVIDER},
        {ISS, "\"client\"", NULL, 300, NULL, "n1", CLERK_EPROVIDER},
};

static char *
claims_jwt(size_t i)
{
	struct strbuf p = STRBUF_INIT;
	char *jwt;

	assert_int_equal(strbuf_addf(&p,
	                             "{\"iss\":\"%s\",\"sub\":\"user_1\","
	                             "\"iat\":%d",
	                             claim_cases[i].iss, NOW),
	                 0);
	if (claim_cases[i].aud)
		assert_int_equal(
		        strbuf_addf(&p, ",\"aud\":%s", claim_cases[i].aud), 0);
	if (claim_cases[i].azp)
		assert_int_equal(
		        strbuf_addf(&p, ",\"azp\":\"%s\"", claim_cases[i].azp),
		        0);
	if (claim_cases[i].exp != NO_EXP)
		assert_int_equal(
		        strbuf_addf(&p, ",\"exp\":%lld",
		                    (long long)(NOW + claim_cases[i].exp)),
		        0);
	if (claim_cases[i].nonce)
		assert_int_equal(strbuf_addf(&p, ",\"nonce\":\"%s\"",
		                             claim_cases[i].nonce),
		                 0);
	assert_int_equal(strbuf_addch(&p, '}'), 0);
	jwt = unsigned_token(
	        "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"k1\"}", p.buf,
	        "c2lnbmF0dXJl");
	strbuf_release(&p);
	return jwt;
}

static void
test_id_token_claims(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(claim_cases) / sizeof(*claim_cases); i++) {
		char *jwt = claims_jwt(i);
		int r = jwt_check_claims(jwt, ISS, "client",
		                         claim_cases[i].expect_nonce, NOW);

		free(jwt);
		if (r != claim_cases[i].result)
			fail_msg("claims case %zu: %d, expected %d", i, r,
			         claim_cases[i].result);
	}
}

#define GOOD_HEADER "{\"alg\":\"RS256\"}"
#define GOOD_PAYLOAD                               \
	"{\"iss\":\"" ISS "\",\"aud\":\"client\"," \
	"\"exp\":1700000300}"

static const struct {
	const char *header; /* JSON, base64url-encoded by the test */
	const char *payload;
	const char *sig;
	const char *raw; /* used as is when set */
	int result;
} malformed_cases[] = {
        {GOOD_HEADER, GOOD_PAYLOAD, "c2ln", NULL, 0},
        {NULL, NULL, NULL, "", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "abc", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "a.b", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "a.b.c.d", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "..", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "e30.e30.c2ln", CLERK_EPROVIDER},
        {NULL, NULL, NULL, "!!!.e30.c2ln", CLERK_EPROVIDER},
        {GOOD_HEADER, GOOD_PAYLOAD, "", NULL, CLERK_EPROVIDER},
        {"{\"alg\":\"none\"}", GOOD_PAYLOAD, "c2ln", NULL, CLERK_EPROVIDER},
        {"{\"typ\":\"JWT\"}", GOOD_PAYLOAD, "c2ln", NULL, CLERK_EPROVIDER},
        {"not json", GOOD_PAYLOAD, "c2ln", NULL, CLERK_EPROVIDER},
        {GOOD_HEADER, "not json", "c2ln", NULL, CLERK_EPROVIDER},
        {GOOD_HEADER, "[1,2]", "c2ln", NULL, CLERK_EPROVIDER},
        {GOOD_HEADER, GOOD_PAYLOAD, "c2ln\n", NULL, CLERK_EPROVIDER},
};

static void
test_id_token_malformed(void **state)
{
	size_t i;

	(void)state;
	assert_int_equal(jwt_check_claims(NULL, ISS, "client", NULL, NOW),
	                 CLERK_EPROVIDER);
	for (i = 0; i < sizeof(malformed_cases) / sizeof(*malformed_cases);
	     i++) {
		char *jwt = malformed_cases[i].raw
		                    ? strdup(malformed_cases[i].raw)
		                    : unsigned_token(malformed_cases[i].header,
		                                     malformed_cases[i].payload,
		                                     malformed_cases[i].sig);
		int r;

		assert_non_null(jwt);
		r = jwt_check_claims(jwt, ISS, "client", NULL, NOW);
		free(jwt);
		if (r != malformed_cases[i].result)
			fail_msg("malformed case %zu: %d, expected %d", i, r,
			         malformed_cases[i].result);
	}
}

static void
test_split(void **state)
{
	static const struct {
		const char *token;
		bool ok;
		size_t d1, d2;
	} cases[] = {
	        {"h.p.s", true, 1, 3},
	        {"hh.pp.", true, 2, 5}, /* no signature: refused by alg */
	        {"h..s", false, 0, 0},
	        {".p.s", false, 0, 0},
	        {"h.p", false, 0, 0},
	        {"h.p.s.x", false, 0, 0},
	        {"hps", false, 0, 0},
	        {"", false, 0, 0},
	};
	const char *d1, *d2;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		const char *t = cases[i].token;

		assert_int_equal(jwt_split(t, strlen(t), &d1, &d2),
		                 cases[i].ok);
		if (!cases[i].ok)
			continue;
		assert_int_equal(d1 - t, cases[i].d1);
		assert_int_equal(d2 - t, cases[i].d2);
	}
	/* Only the first @n bytes count. */
	assert_true(jwt_split("h.p.s.x", 5, &d1, &d2));
	assert_false(jwt_split("h.p.s", 3, &d1, &d2));
}

/* --- jwt_verify_id_token() with a key set served on 127.0.0.1 ---------- */

static char state_dir[] = "/tmp/test_jwt_XXXXXX";
static char jwks_uri[128];
static char *set_a, *set_ab, *set_ec;
static int port;

static struct httpd_route routes[] = {
        {"/jwks", 200, "Content-Type: application/json\r\n", NULL, 0, 0},
        {"/down", 503, NULL, "down", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static char *
set_of(const struct testkey *a, const struct testkey *b)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;

	assert_int_equal(strbuf_addf(&sb, "{\"keys\":[%s%s%s]}", a->jwk,
	                             b ? "," : "", b ? b->jwk : ""),
	                 0);
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	return out;
}

static int
setup_flow(void **state)
{
	setup_keys(state);
	httpd_unset_proxies();
	set_a = set_of(&rsa1, NULL);
	set_ab = set_of(&rsa1, &rsa2);
	set_ec = set_of(&ec1, &rsa1);
	routes[0].body = set_a;
	if (!mkdtemp(state_dir) || setenv("XDG_STATE_HOME", state_dir, 1) ||
	    httpd_start(routes, &port))
		return -1;
	snprintf(jwks_uri, sizeof(jwks_uri), "http://127.0.0.1:%d/jwks", port);
	return 0;
}

static int
teardown_flow(void **state)
{
	httpd_stop();
	free(set_a);
	free(set_ab);
	free(set_ec);
	/* Our own mkdtemp directory, depth first, links not followed. */
	return tmptree_remove(state_dir);
}

/* No cached key set; the server answers @set from now on. */
static void
fresh_start(char *set)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/clerk-credential/jwks-%016llx.json",
	         state_dir,
	         (unsigned long long)hash_fnv1a64(jwks_uri, HASH_FNV1A64_INIT));
	unlink(path);
	routes[0].body = set;
}

struct call {
	const char *token;
	const char *nonce;
	const char *uri;
	int result;
};

static void
call_verify(void *arg)
{
	struct call *c = arg;
	struct oidc_provider op = {0};
	struct config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.client_id = "client";
	op.issuer = (char *)ISS;
	op.jwks_uri = (char *)(uintptr_t)c->uri;
	c->result = jwt_verify_id_token(&cfg, &op, c->token, c->nonce, NOW);
}

/*
 * Verify @token (nonce "n1"); assert the result, that stderr holds @want
 * (NULL: nothing) and that the server saw @fetches more requests.
 */
static void
expect(const char *token, int result, const char *want, int fetches)
{
	struct call c = {token, "n1", jwks_uri, -99};
	int before = httpd_requests();
	const char *err = capture_stderr(call_verify, &c);

	if (c.result != result)
		fail_msg("result %d, expected %d; stderr: %s", c.result, result,
		         err);
	if (want && !strstr(err, want))
		fail_msg("stderr lacks \"%s\": %s", want, err);
	if (!want && err[0])
		fail_msg("unexpected stderr: %s", err);
	if (httpd_requests() - before != fetches)
		fail_msg("%d key set fetches, expected %d",
		         httpd_requests() - before, fetches);
}

static void
test_flow_fetch_cache_rotate(void **state)
{
	char *a = signed_token(&rsa1, "rsa-1", GOOD_CLAIMS);
	char *b = signed_token(&rsa2, "rsa-2", GOOD_CLAIMS);

	(void)state;
	fresh_start(set_a);
	/* First use: fetched; then from the cache. */
	expect(a, 0, NULL, 1);
	expect(a, 0, NULL, 0);
	/* A kid the set does not have: one more fetch, then refused. */
	expect(b, CLERK_EPROVIDER, "no RS256 key with kid rsa-2", 1);
	/* The provider rotates: the unknown kid makes one fetch, then ok. */
	routes[0].body = set_ab;
	expect(b, 0, NULL, 1);
	expect(b, 0, NULL, 0);
	expect(a, 0, NULL, 0);
	free(a);
	free(b);
}

static void
test_flow_refusals(void **state)
{
	char *good = signed_token(&rsa1, "rsa-1", GOOD_CLAIMS);
	char *t;

	(void)state;
	fresh_start(set_a);
	expect(good, 0, NULL, 1);
	/* A bad signature with a known kid: no fetch, refused by name. */
	t = tampered(good, 2, 5);
	expect(t, CLERK_EPROVIDER,
	       "signature does not verify (RS256, kid rsa-1)", 0);
	free(t);
	/* alg none and HMAC: refused before any key is looked at. */
	t = make_token("{\"alg\":\"none\"}", GOOD_CLAIMS, NULL, "");
	expect(t, CLERK_EPROVIDER, "alg none is refused", 0);
	free(t);
	t = make_token("{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", GOOD_CLAIMS,
	               NULL, "c2lnbmF0dXJl");
	expect(t, CLERK_EPROVIDER, "alg HS256 is refused", 0);
	free(t);
	free(good);
}

static const struct {
	const char *claims;
	const char *want;
} claim_refusals[] = {
        {"{\"iss\":\"https://evil.example\",\"aud\":\"client\",\"exp\":"
         "1700000600,\"nonce\":\"n1\"}",
         "iss is not the configured issuer"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"other\",\"exp\":1700000600,"
         "\"nonce\":\"n1\"}",
         "aud does not name this client id"},
        {"{\"iss\":\"" ISS "\",\"aud\":[\"client\",\"other\"],\"exp\":"
         "1700000600,\"nonce\":\"n1\"}",
         "azp is missing"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"client\",\"exp\":1700000600,"
         "\"nonce\":\"n2\"}",
         "nonce does not match"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"client\",\"exp\":1700000600}",
         "nonce does not match"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"client\",\"exp\":1699999900,"
         "\"nonce\":\"n1\"}",
         "expired"},
        {"{\"iss\":\"" ISS "\",\"aud\":\"client\",\"exp\":1700000600,"
         "\"iat\":1700000300,\"nonce\":\"n1\"}",
         "iat is in the future"},
};

static void
test_flow_claims(void **state)
{
	size_t i;

	(void)state;
	fresh_start(set_a);
	{
		char *good = signed_token(&rsa1, "rsa-1", GOOD_CLAIMS);

		expect(good, 0, NULL, 1);
		free(good);
	}
	for (i = 0; i < sizeof(claim_refusals) / sizeof(*claim_refusals); i++) {
		char *t =
		        signed_token(&rsa1, "rsa-1", claim_refusals[i].claims);

		expect(t, CLERK_EPROVIDER, claim_refusals[i].want, 0);
		free(t);
	}
	/* 60 s of skew either way. */
	{
		char *t =
		        signed_token(&rsa1, "rsa-1",
		                     "{\"iss\":\"" ISS "\",\"aud\":\"client\","
		                     "\"exp\":1699999950,\"iat\":1700000050,"
		                     "\"nonce\":\"n1\"}");

		expect(t, 0, NULL, 0);
		free(t);
	}
}

static void
test_flow_es256_and_no_kid(void **state)
{
	char *e = signed_token(&ec1, "ec-1", GOOD_CLAIMS);
	char *nokid = signed_token(&rsa2, NULL, GOOD_CLAIMS);

	(void)state;
	fresh_start(set_ec);
	expect(e, 0, NULL, 1);
	/* No kid: every RS256 key is tried; none fits, so one fetch. */
	expect(nokid, CLERK_EPROVIDER, "signature does not verify", 1);
	routes[0].body = set_ab;
	expect(nokid, 0, NULL, 1);
	free(e);
	free(nokid);
}

static void
test_flow_key_set_failures(void **state)
{
	char *a = signed_token(&rsa1, "rsa-1", GOOD_CLAIMS);
	char uri[128];
	struct call c = {a, "n1", NULL, -99};
	const char *err;

	(void)state;
	err = capture_stderr(call_verify, &c);
	assert_int_equal(c.result, CLERK_EPROVIDER);
	assert_non_null(strstr(err, "jwks_uri"));

	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/down", port);
	c.uri = uri;
	err = capture_stderr(call_verify, &c);
	assert_int_equal(c.result, CLERK_EPROVIDER);
	assert_non_null(strstr(err, "HTTP 503"));

	snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/jwks",
	         httpd_closed_port());
	err = capture_stderr(call_verify, &c);
	assert_int_equal(c.result, CLERK_ENET);
	free(a);
}

int
main(void)
{
	const struct CMUnitTest sigs[] = {
	        cmocka_unit_test(test_rs256_good),
	        cmocka_unit_test(test_es256_good),
	        cmocka_unit_test(test_wrong_signature),
	        cmocka_unit_test(test_signature_shapes),
	        cmocka_unit_test(test_parse_refusals),
	        cmocka_unit_test(test_parse_bounds),
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_id_token_claims),
	        cmocka_unit_test(test_id_token_malformed),
	};
	const struct CMUnitTest flow[] = {
	        cmocka_unit_test(test_flow_fetch_cache_rotate),
	        cmocka_unit_test(test_flow_refusals),
	        cmocka_unit_test(test_flow_claims),
	        cmocka_unit_test(test_flow_es256_and_no_kid),
	        cmocka_unit_test(test_flow_key_set_failures),
	};
	int r;

	r = cmocka_run_group_tests(sigs, setup_keys, NULL);
	r += cmocka_run_group_tests(flow, setup_flow, teardown_flow);
	keys_free();
	return r;
}
