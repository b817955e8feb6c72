/*
 * Unit tests of crypto.c: SHA-256 against published vectors, the random
 * generator and its base64url strings, and the RS256 and ES256 checks
 * against fixed signatures made once with openssl (test-only keys; the
 * private halves were not kept):
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
 *   openssl dgst -sha256 -sign KEY   (of the bytes "header.payload";
 *   the ECDSA signature converted from DER to r || s)
 * test_jwt.c checks the same functions through jwt_verify() with keys
 * made at test time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "error.h"
#include "fixture.h"
#include "log.h"
#include "util.h"

#define MSG "header.payload"

static const char rsa_n[] =
        "9fb28dc0d4743bb0f8bd35655242ecc75c897fef17e2f2ee6cb5a3aa4f1e5d00"
        "b393665660aff3b99729a86bb5aab9b551579eed27054cf14bcc79fe67dc06d1"
        "8ea7d710f9aaac743ec219dde3a2e16d57af6a49bffa8a463bc65a82470ccb57"
        "abb0e6a234b2c91def18ff5cdb8536f3acde9a57c53098cee9e3e3ea2ca008ff"
        "e6ca508798e16fd8004d574ad4cb438702d264adcb525bb4a2a035343128bbdf"
        "7ab52e359feb4c867150b29c0548cd64b4305657c95f77dbf710848fb9ed77f3"
        "b1f590ed5dde01dbf1825fb8ef80be2684e4eb1fc8d19b67babcc39ee41414f5"
        "239d906f5e09b7e6d134e293addb19707d52d3e0fca0e0aff791b9d8aa906c4b";
static const char rsa_sig[] =
        "6c34a5a178a2e2b453c2bf124a55dcea3ab0763b5b3e06caf4e8f236ce4d2556"
        "6a1f10d39751a78ecb94a69e8c1d255efc17c9497aed47f7ae6fddf58b070e78"
        "b13078d1aea6d2298b5fa77b5116babe0bc6de48ef1f38897130b10cf945b03c"
        "0deeeee3f929b209ce41df7bfc15effb72c7cf06241152a02f774d24d794c772"
        "399a29b809306c066a20160598248b1e135a7f3925ea67c650a512a55db4bc5d"
        "c7d000b1b417b70359d840fbfdc752ec062f0e853fa27902cee36b2ad5dbb731"
        "2a5ee955c2a0e42471d7c9b0e0def6de74a6f851548d8a4dff637c157c907c9c"
        "b3b809b391c092c0275d4550606209d2c23aa2b9093cf0f55a2c311b152565ff";
static const char ec_x[] =
        "39bdd2f1e5b64a01897950472ba9d574796a6546dec1caab9d3872c325f932fe";
static const char ec_y[] =
        "525afb15a55c14ae6b4b9fe9682d68269bca697955594c592a248cf79a2b055c";
static const char ec_sig[] =
        "36d182af9f76cb1865a38e954c7c19ca8818c00b7aebcdf997e6a51067c57686"
        "5bc199cc8185c174f16015e4d9d611bb84d75e03877f582adc189688b9fa04b4";

/* Bytes of the hex string @hex; free() them. */
static unsigned char *
unhex(const char *hex, size_t *len)
{
	size_t i, n = strlen(hex) / 2;
	unsigned char *out = malloc(n ? n : 1);

	assert_non_null(out);
	for (i = 0; i < n; i++) {
		char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};

		out[i] = (unsigned char)strtoul(byte, NULL, 16);
	}
	*len = n;
	return out;
}

/* --- SHA-256 ----------------------------------------------------------- */

static const struct {
	const char *in, *hex;
} sha_cases[] = {
        /* FIPS 180-2 examples, and the empty string. */
        {"",
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc",
         "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
};

static void
test_sha256(void **state)
{
	unsigned char out[32], *want;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(sha_cases) / sizeof(*sha_cases); i++) {
		want = unhex(sha_cases[i].hex, &n);
		assert_int_equal(n, 32);
		assert_int_equal(crypto_sha256(sha_cases[i].in,
		                               strlen(sha_cases[i].in), out),
		                 0);
		assert_memory_equal(out, want, 32);
		free(want);
	}
	/* No data at all is the empty string. */
	assert_int_equal(crypto_sha256(NULL, 0, out), 0);
	want = unhex(sha_cases[0].hex, &n);
	assert_memory_equal(out, want, 32);
	free(want);
}

/* --- Randomness -------------------------------------------------------- */

static void
test_random(void **state)
{
	unsigned char a[32], b[32], zero[32] = {0};

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(crypto_random(a, sizeof(a)), 0);
	assert_int_equal(crypto_random(b, sizeof(b)), 0);
	/* 2^-256 each: a failure here is a broken generator. */
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	/* Nothing asked, nothing read: no buffer needed. */
	assert_int_equal(crypto_random(NULL, 0), 0);
}

static const struct {
	size_t nbytes;
	size_t chars; /* 0: refused */
} random_cases[] = {
        {16, 22}, {32, 43}, {64, 86}, {0, 0}, {65, 0},
};

static void
test_random_base64url(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(random_cases) / sizeof(*random_cases); i++) {
		struct strbuf a = STRBUF_INIT_SECRET, b = STRBUF_INIT_SECRET;
		int r;

		assert_int_equal(strbuf_adds(&a, "x"), 0);
		r = crypto_random_base64url(random_cases[i].nbytes, &a);
		if (!random_cases[i].chars) {
			assert_int_equal(r, CLERK_EINTERNAL);
			assert_string_equal(a.buf, "x");
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(a.len, 1 + random_cases[i].chars);
			assert_true(fixture_b64url(a.buf));
			r = crypto_random_base64url(random_cases[i].nbytes, &b);
			assert_int_equal(r, 0);
			assert_string_not_equal(a.buf + 1, b.buf);
		}
		strbuf_release(&a);
		strbuf_release(&b);
	}
}

/* --- Signatures -------------------------------------------------------- */

struct rsa_vec {
	unsigned char *n, *sig;
	size_t nlen, siglen;
};

static const unsigned char rsa_e[] = {0x01, 0x00, 0x01};

static void
rsa_vec_load(struct rsa_vec *v)
{
	v->n = unhex(rsa_n, &v->nlen);
	v->sig = unhex(rsa_sig, &v->siglen);
}

static void
rsa_vec_free(struct rsa_vec *v)
{
	free(v->n);
	free(v->sig);
}

static void
test_rs256(void **state)
{
	struct rsa_vec v;
	char msg[] = MSG;

	(void)state;
	rsa_vec_load(&v);
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     msg, strlen(msg), v.sig, v.siglen),
	                 0);
	/* Other data. */
	msg[0] = 'H';
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     msg, strlen(msg), v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	msg[0] = 'h';
	/* One bit of the signature. */
	v.sig[100] ^= 0x01;
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     msg, strlen(msg), v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	v.sig[100] ^= 0x01;
	/* Another exponent: another key. */
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, 1, msg,
	                                     strlen(msg), v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	rsa_vec_free(&v);
}

static void
test_rs256_shapes(void **state)
{
	struct rsa_vec v;

	(void)state;
	rsa_vec_load(&v);
	/* The signature must be as long as the modulus. */
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     MSG, strlen(MSG), v.sig,
	                                     v.siglen - 1),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen - 1, rsa_e,
	                                     sizeof(rsa_e), MSG, strlen(MSG),
	                                     v.sig, v.siglen - 1),
	                 CLERK_EPROVIDER);
	/* Missing parts are refused, not dereferenced. */
	assert_int_equal(crypto_verify_rs256(NULL, v.nlen, rsa_e, sizeof(rsa_e),
	                                     MSG, strlen(MSG), v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, NULL, 0, MSG,
	                                     strlen(MSG), v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     NULL, 5, v.sig, v.siglen),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_rs256(v.n, v.nlen, rsa_e, sizeof(rsa_e),
	                                     MSG, strlen(MSG), NULL, v.siglen),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_rs256(v.n, 0, rsa_e, sizeof(rsa_e), MSG,
	                                     strlen(MSG), v.sig, 0),
	                 CLERK_EPROVIDER);
	rsa_vec_free(&v);
}

struct ec_vec {
	unsigned char *x, *y, *sig;
};

static void
ec_vec_load(struct ec_vec *v)
{
	size_t n;

	v->x = unhex(ec_x, &n);
	assert_int_equal(n, 32);
	v->y = unhex(ec_y, &n);
	assert_int_equal(n, 32);
	v->sig = unhex(ec_sig, &n);
	assert_int_equal(n, 64);
}

static void
ec_vec_free(struct ec_vec *v)
{
	free(v->x);
	free(v->y);
	free(v->sig);
}

static void
test_es256(void **state)
{
	struct ec_vec v;
	char msg[] = MSG;

	(void)state;
	ec_vec_load(&v);
	assert_int_equal(crypto_verify_es256(v.x, v.y, msg, strlen(msg), v.sig),
	                 0);
	msg[0] = 'H';
	assert_int_equal(crypto_verify_es256(v.x, v.y, msg, strlen(msg), v.sig),
	                 CLERK_EPROVIDER);
	msg[0] = 'h';
	/* A bit of r, then of s. */
	v.sig[5] ^= 0x80;
	assert_int_equal(crypto_verify_es256(v.x, v.y, msg, strlen(msg), v.sig),
	                 CLERK_EPROVIDER);
	v.sig[5] ^= 0x80;
	v.sig[40] ^= 0x01;
	assert_int_equal(crypto_verify_es256(v.x, v.y, msg, strlen(msg), v.sig),
	                 CLERK_EPROVIDER);
	v.sig[40] ^= 0x01;
	/* r and s swapped: still 64 bytes, not the signature. */
	{
		unsigned char swapped[64];

		memcpy(swapped, v.sig + 32, 32);
		memcpy(swapped + 32, v.sig, 32);
		assert_int_equal(crypto_verify_es256(v.x, v.y, msg, strlen(msg),
		                                     swapped),
		                 CLERK_EPROVIDER);
	}
	ec_vec_free(&v);
}

static void
test_es256_shapes(void **state)
{
	unsigned char zero[64] = {0};
	struct ec_vec v;

	(void)state;
	ec_vec_load(&v);
	/* A point not on the curve. */
	v.y[31] ^= 0x01;
	assert_int_equal(crypto_verify_es256(v.x, v.y, MSG, strlen(MSG), v.sig),
	                 CLERK_EPROVIDER);
	v.y[31] ^= 0x01;
	/* r = s = 0 is never a signature. */
	assert_int_equal(crypto_verify_es256(v.x, v.y, MSG, strlen(MSG), zero),
	                 CLERK_EPROVIDER);
	assert_int_equal(
	        crypto_verify_es256(NULL, v.y, MSG, strlen(MSG), v.sig),
	        CLERK_EPROVIDER);
	assert_int_equal(
	        crypto_verify_es256(v.x, NULL, MSG, strlen(MSG), v.sig),
	        CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_es256(v.x, v.y, NULL, 3, v.sig),
	                 CLERK_EPROVIDER);
	assert_int_equal(crypto_verify_es256(v.x, v.y, MSG, strlen(MSG), NULL),
	                 CLERK_EPROVIDER);
	ec_vec_free(&v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sha256),
	        cmocka_unit_test(test_random),
	        cmocka_unit_test(test_random_base64url),
	        cmocka_unit_test(test_rs256),
	        cmocka_unit_test(test_rs256_shapes),
	        cmocka_unit_test(test_es256),
	        cmocka_unit_test(test_es256_shapes),
	};

	log_set_silent(true);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
