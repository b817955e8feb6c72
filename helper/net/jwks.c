/*
 * See jwks.h.
 *
 * MUST: bound the document, the number of keys and every field before
 * decoding it; keep only RSA (2048-8192 bits) and EC P-256 keys published
 * for signatures; re-check a cached set exactly like a fetched one; keep
 * the cache private (0600, ours) since a forged key would pass forged
 * tokens. MUST NOT: take keys from anywhere but jwks_uri (no "jku",
 * "x5u" or "jwk" from a token); cache a set that failed the checks.
 */
#include "jwks.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "encode.h"
#include "error.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

/* base64url of 1024 bytes is 1366 characters; room for a zero byte. */
#define JWKS_MAX_B64 1400
#define JWKS_MAX_E   8 /* bytes of the RSA exponent */

static void
jwk_release(struct jwk *k)
{
	free(k->kid);
	free(k->alg);
	free(k->n);
	free(k->e);
	memset(k, 0, sizeof(*k));
}

void
jwks_release(struct jwks *set)
{
	size_t i;

	for (i = 0; i < set->nkeys; i++)
		jwk_release(&set->keys[i]);
	free(set->keys);
	memset(set, 0, sizeof(*set));
}

/*
 * The base64url member @name of @k decoded into *@out (*@len bytes),
 * with leading zero bytes removed when @strip. NULL on success, else why.
 */
static const char *
b64_member(const struct json *k, const char *name, bool strip,
           unsigned char **out, size_t *len, int *r)
{
	const char *s = json_get_string(k, name);
	unsigned char *raw = NULL;
	size_t n = 0, skip = 0;

	if (!s)
		return "a key parameter is missing or not a string";
	if (strlen(s) > JWKS_MAX_B64)
		return "a key parameter is too long";
	if ((*r = base64url_decode(s, strlen(s), &raw, &n))) {
		if (*r == CLERK_EPROTO)
			*r = 0;
		return *r ? "out of memory"
		          : "a key parameter is not base64url";
	}
	while (strip && skip < n && raw[skip] == 0)
		skip++;
	if (skip)
		memmove(raw, raw + skip, n - skip);
	*out = raw;
	*len = n - skip;
	return NULL;
}

static const char *
rsa_parse(const struct json *k, struct jwk *key, int *r)
{
	const char *why;
	size_t bits;
	int top;

	key->type = JWK_RSA;
	if ((why = b64_member(k, "n", true, &key->n, &key->nlen, r)) ||
	    (why = b64_member(k, "e", true, &key->e, &key->elen, r)))
		return why;
	if (key->nlen == 0)
		return "the RSA modulus is zero";
	for (top = 8; top > 0 && !(key->n[0] & (1u << (top - 1))); top--)
		;
	bits = (key->nlen - 1) * 8 + (size_t)top;
	if (bits < JWKS_RSA_MIN_BITS || bits > JWKS_RSA_MAX_BITS)
		return "the RSA key is not 2048 to 8192 bits long";
	if (key->elen == 0 || key->elen > JWKS_MAX_E ||
	    !(key->e[key->elen - 1] & 1) || (key->elen == 1 && key->e[0] < 3))
		return "the RSA exponent is not an odd number of 3 or more";
	return NULL;
}

static const char *
ec_parse(const struct json *k, struct jwk *key, int *r)
{
	const char *crv = json_get_string(k, "crv");
	unsigned char *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	const char *why;

	key->type = JWK_EC_P256;
	if (!crv || strcmp(crv, "P-256") != 0)
		return "the curve is not P-256";
	why = b64_member(k, "x", false, &x, &xl, r);
	if (!why)
		why = b64_member(k, "y", false, &y, &yl, r);
	if (!why && (xl != 32 || yl != 32))
		why = "a P-256 coordinate is not 32 bytes";
	if (!why) {
		memcpy(key->x, x, 32);
		memcpy(key->y, y, 32);
	}
	free(x);
	free(y);
	return why;
}

/* kid and alg of @k; NULL when usable. */
static const char *
names_parse(const struct json *k, struct jwk *key, int *r)
{
	const char *kid = json_get_string(k, "kid");
	const char *alg = json_get_string(k, "alg");
	size_t i;

	if (json_get(k, "kid") && !kid)
		return "kid is not a string";
	if (json_get(k, "alg") && !alg)
		return "alg is not a string";
	if (kid) {
		for (i = 0; kid[i]; i++)
			if (i >= JWKS_MAX_KID || (unsigned char)kid[i] < 0x20 ||
			    (unsigned char)kid[i] >= 0x7f)
				return "kid is too long or not printable";
		if (!(key->kid = strdup(kid)))
			*r = CLERK_ENOMEM;
	}
	if (alg && !*r && !(key->alg = strdup(alg)))
		*r = CLERK_ENOMEM;
	return *r ? "out of memory" : NULL;
}

/*
 * Read key object @k into @out. NULL when usable; else why it is skipped
 * (*@r is CLERK_ENOMEM when that is the reason).
 */
static const char *
key_parse(const struct json *k, struct jwk *out, int *r)
{
	const char *kty = json_get_string(k, "kty");
	const char *use = json_get_string(k, "use");
	const char *alg = json_get_string(k, "alg");
	struct jwk key = {0};
	const char *why;

	*r = 0;
	if (json_get(k, "use") && (!use || strcmp(use, "sig") != 0))
		why = "it is not published for signatures (use)";
	else if (!kty)
		why = "kty is missing";
	else if (strcmp(kty, "RSA") == 0)
		why = alg && strcmp(alg, "RS256") != 0 ? "its alg is not RS256"
		                                       : rsa_parse(k, &key, r);
	else if (strcmp(kty, "EC") == 0)
		why = alg && strcmp(alg, "ES256") != 0 ? "its alg is not ES256"
		                                       : ec_parse(k, &key, r);
	else
		why = "its kty is neither RSA nor EC";
	if (!why)
		why = names_parse(k, &key, r);
	if (why) {
		jwk_release(&key);
		return why;
	}
	*out = key;
	return NULL;
}

/* The members of "keys" into @set (allocated for all of them). */
static int
keys_parse(const struct json *keys, struct jwks *set, const char **why)
{
	size_t i, n = json_array_size(keys);
	const char *skip;
	int r;

	if (n > JWKS_MAX_KEYS) {
		*why = "it holds more than 32 keys";
		return CLERK_EPROVIDER;
	}
	if (n && !(set->keys = calloc(n, sizeof(*set->keys))))
		return CLERK_ENOMEM;
	for (i = 0; i < n; i++) {
		const struct json *k = json_array_item(keys, i);

		if (!json_is_object(k)) {
			*why = "a member of \"keys\" is not a JSON object";
			return CLERK_EPROVIDER;
		}
		skip = key_parse(k, &set->keys[set->nkeys], &r);
		if (r)
			return r;
		if (skip) {
			log_debug("jwks: skipping key %zu: %s", i, skip);
			set->skipped++;
		} else {
			set->nkeys++;
		}
	}
	return 0;
}

int
jwks_parse(const char *text, size_t len, struct jwks *out, const char **why)
{
	struct jwks set = JWKS_INIT;
	const struct json *keys;
	struct json *doc = NULL;
	int r = CLERK_EPROVIDER;

	*why = NULL;
	if (!text || len > JWKS_MAX_INPUT) {
		*why = "it is larger than 256 KiB";
		goto out;
	}
	doc = json_parse(text, len);
	keys = json_get(doc, "keys");
	if (!json_is_object(doc))
		*why = "it is not a JSON object";
	else if (!json_is_array(keys))
		*why = "\"keys\" is missing or not an array";
	else
		r = keys_parse(keys, &set, why);
	if (r)
		goto out;
	jwks_release(out);
	*out = set;
	memset(&set, 0, sizeof(set));
out:
	jwks_release(&set);
	json_free(doc);
	if (r == CLERK_ENOMEM)
		*why = "out of memory";
	return r;
}

const struct jwk *
jwks_next(const struct jwks *set, const char *alg, const char *kid,
          const struct jwk *prev)
{
	enum jwk_type want;
	size_t i = prev ? (size_t)(prev - set->keys) + 1 : 0;

	if (alg && strcmp(alg, "RS256") == 0)
		want = JWK_RSA;
	else if (alg && strcmp(alg, "ES256") == 0)
		want = JWK_EC_P256;
	else
		return NULL;
	for (; i < set->nkeys; i++) {
		const struct jwk *k = &set->keys[i];

		if (k->type != want || (k->alg && strcmp(k->alg, alg) != 0))
			continue;
		if (kid && (!k->kid || strcmp(k->kid, kid) != 0))
			continue;
		return k;
	}
	return NULL;
}

/* --- The cache and the fetch ---------------------------------------- */

/* <state>/jwks-<FNV-1a of the URI>.json: a new URI never reads old keys. */
static int
cache_path(const char *uri, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	char *dir = NULL, *name = NULL;
	int r;

	if ((r = paths_state_dir(&dir)) ||
	    (r = strbuf_addf(&sb, "jwks-%016llx.json",
	                     (unsigned long long)hash_fnv1a64(
	                             uri, HASH_FNV1A64_INIT))) ||
	    (r = strbuf_detach(&sb, &name)))
		goto out;
	r = paths_join(dir, name, out);
out:
	strbuf_release(&sb);
	free(name);
	free(dir);
	return r;
}

/* The cached set when fresh and valid; CLERK_ENOTFOUND otherwise. */
static int
load_cached(const char *path, struct jwks *out)
{
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	int r = file_read_fresh(path, JWKS_MAX_AGE, JWKS_MAX_INPUT, &text,
	                        &len);

	if (r == CLERK_ENOTFOUND)
		return r;
	if (!r)
		r = jwks_parse(text, len, out, &why);
	if (!r && out->nkeys == 0)
		r = CLERK_ENOTFOUND;
	if (r && r != CLERK_ENOMEM) {
		log_debug("jwks: ignoring the cache %s", path);
		r = CLERK_ENOTFOUND;
	}
	free(text);
	return r;
}

static int
fetch(const char *uri, const char *path, struct jwks *out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *why = NULL;
	int r;

	if ((r = http_get(uri, NULL, &resp)))
		goto out;
	if (resp.status != 200) {
		log_error("cannot fetch the provider's signing keys: %s "
		          "answered HTTP %ld (try again later; if it persists, "
		          "check the issuer)",
		          uri, resp.status);
		r = CLERK_EPROVIDER;
		goto out;
	}
	if ((r = jwks_parse(resp.body, resp.len, out, &why))) {
		log_error("the provider's signing keys at %s are unusable: %s "
		          "(the provider's metadata is wrong)",
		          uri, why);
		goto out;
	}
	log_debug("jwks: %zu usable keys, %zu skipped, from %s", out->nkeys,
	          out->skipped, uri);
	/* The cache only saves a request: failing to write it is fine. */
	if (path && out->nkeys &&
	    file_write_atomic(path, resp.body, resp.len, 0600))
		log_debug("jwks: could not write the cache %s", path);
out:
	http_response_release(&resp);
	return r;
}

int
jwks_load(const char *jwks_uri, bool refetch, struct jwks *out,
          bool *from_cache)
{
	char *path = NULL;
	int r = CLERK_ENOTFOUND;

	*from_cache = false;
	if (!jwks_uri) {
		log_error("cannot check the ID token: the provider names no "
		          "jwks_uri (its discovery document is incomplete)");
		return CLERK_EPROVIDER;
	}
	if (cache_path(jwks_uri, &path))
		log_debug("jwks: no cache (state dir unusable)");
	if (path && !refetch)
		r = load_cached(path, out);
	if (r == 0) {
		log_debug("jwks: using the cache %s", path);
		*from_cache = true;
	} else if (r == CLERK_ENOTFOUND) {
		r = fetch(jwks_uri, path, out);
	}
	free(path);
	return r;
}
