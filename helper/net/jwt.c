/*
 * See jwt.h.
 *
 * MUST: decide the algorithm from a fixed list (RS256, ES256) before
 * looking at any key, and use a key only for the algorithm of its type;
 * check the signature before believing any claim; fetch the key set
 * again at most once per token. MUST NOT: accept "alg": "none" or HMAC;
 * follow "jku", "x5u" or "jwk" from a header; put the token in a message.
 */
#include "jwt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "crypto.h"
#include "discovery.h"
#include "encode.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

#include "banned.h"

/* base64url of JWT_MAX_HEADER bytes, and of a 8192-bit RSA signature. */
#define JWT_MAX_HEADER_B64 (JWT_MAX_HEADER / 3 * 4 + 4)
#define JWT_MAX_SIG_B64    1400
#define JWT_ES256_SIG      64

void
jwt_release(struct jwt *jwt)
{
	free(jwt->kid);
	free(jwt->sig);
	memset(jwt, 0, sizeof(*jwt));
}

/*
 * The three parts; false unless exactly two dots with a header and a
 * payload. An empty signature passes here so that "alg": "none" is
 * refused by name.
 */
static bool
split(const char *token, size_t n, const char **d1, const char **d2)
{
	const char *end = token + n;

	if (!(*d1 = memchr(token, '.', n)) ||
	    !(*d2 = memchr(*d1 + 1, '.', (size_t)(end - *d1 - 1))))
		return false;
	return *d1 > token && *d2 > *d1 + 1 &&
	       !memchr(*d2 + 1, '.', (size_t)(end - *d2 - 1));
}

/* The decoded JSON object of base64url @s (@n bytes), or NULL. */
static struct json *
decode_object(const char *s, size_t n)
{
	unsigned char *raw = NULL;
	struct json *doc;
	size_t len = 0;

	if (n > JWT_MAX_HEADER_B64 || base64url_decode(s, n, &raw, &len))
		return NULL;
	doc = json_parse((const char *)raw, len);
	free(raw);
	if (!json_is_object(doc)) {
		json_free(doc);
		return NULL;
	}
	return doc;
}

/* Set @j's algorithm from "alg"; else write why into @why. */
static int
take_alg(const struct json *h, struct jwt *j, char *why, size_t whylen)
{
	const char *alg = json_get_string(h, "alg");
	char shown[33];

	if (!alg) {
		snprintf(why, whylen, "its header names no alg");
		return CLERK_EPROVIDER;
	}
	if (strcmp(alg, "RS256") == 0) {
		j->alg = JWT_RS256;
		j->alg_name = "RS256";
		return 0;
	}
	if (strcmp(alg, "ES256") == 0) {
		j->alg = JWT_ES256;
		j->alg_name = "ES256";
		return 0;
	}
	str_printable(alg, shown, sizeof(shown));
	if (strcasecmp(alg, "none") == 0)
		snprintf(why, whylen,
		         "alg %s is refused: the token is unsigned", shown);
	else if (strncmp(alg, "HS", 2) == 0)
		snprintf(why, whylen,
		         "alg %s is refused: an HMAC signature proves nothing "
		         "to a public client",
		         shown);
	else
		snprintf(why, whylen,
		         "alg %s is not supported (only RS256 and ES256)",
		         shown);
	return CLERK_EPROVIDER;
}

/* kid and crit of header @h. */
static int
take_kid(const struct json *h, struct jwt *j, char *why, size_t whylen)
{
	const char *kid = json_get_string(h, "kid");
	size_t i;

	if (json_get(h, "crit")) {
		snprintf(why, whylen, "its header has a crit extension");
		return CLERK_EPROVIDER;
	}
	if (json_get(h, "kid") && !kid) {
		snprintf(why, whylen, "its kid is not a string");
		return CLERK_EPROVIDER;
	}
	if (!kid)
		return 0;
	for (i = 0; kid[i]; i++) {
		if (i >= JWKS_MAX_KID || (unsigned char)kid[i] < 0x20 ||
		    (unsigned char)kid[i] >= 0x7f) {
			snprintf(why, whylen,
			         "its kid is too long or not printable");
			return CLERK_EPROVIDER;
		}
	}
	return (j->kid = strdup(kid)) ? 0 : CLERK_ENOMEM;
}

static int
take_signature(const char *s, size_t n, struct jwt *j, char *why, size_t whylen)
{
	int r;

	if (n == 0) {
		snprintf(why, whylen, "its signature is empty");
		return CLERK_EPROVIDER;
	}
	if (n > JWT_MAX_SIG_B64 ||
	    (r = base64url_decode(s, n, &j->sig, &j->siglen)) == CLERK_EPROTO) {
		snprintf(why, whylen,
		         "its signature is not base64url or is too long");
		return CLERK_EPROVIDER;
	}
	if (r)
		return r;
	if (j->alg == JWT_ES256 && j->siglen != JWT_ES256_SIG) {
		snprintf(why, whylen, "its ES256 signature is not 64 bytes");
		return CLERK_EPROVIDER;
	}
	return 0;
}

int
jwt_parse(const char *token, struct jwt *out, char *why, size_t whylen)
{
	struct jwt j = JWT_INIT;
	struct json *h = NULL;
	const char *d1 = NULL, *d2 = NULL;
	size_t n = token ? strnlen(token, JWT_MAX_LEN + 1) : 0;
	int r = CLERK_EPROVIDER;

	why[0] = '\0';
	if (n == 0 || n > JWT_MAX_LEN)
		snprintf(why, whylen, "it is missing or longer than 64 KiB");
	else if (!split(token, n, &d1, &d2))
		snprintf(why, whylen,
		         "it is not a signed JWT (header.payload.signature)");
	else if (!(h = decode_object(token, (size_t)(d1 - token))))
		snprintf(why, whylen, "its header is malformed");
	else if (!(r = take_alg(h, &j, why, whylen)) &&
	         !(r = take_kid(h, &j, why, whylen)))
		r = take_signature(d2 + 1, n - (size_t)(d2 + 1 - token), &j,
		                   why, whylen);
	json_free(h);
	if (r) {
		jwt_release(&j);
		return r;
	}
	j.signed_len = (size_t)(d2 - token);
	jwt_release(out);
	*out = j;
	return 0;
}

int
jwt_verify(const struct jwt *jwt, const char *token, const struct jwk *key)
{
	if (jwt->alg == JWT_RS256 && key->type == JWK_RSA)
		return crypto_verify_rs256(key->n, key->nlen, key->e, key->elen,
		                           token, jwt->signed_len, jwt->sig,
		                           jwt->siglen);
	if (jwt->alg == JWT_ES256 && key->type == JWK_EC_P256 &&
	    jwt->siglen == JWT_ES256_SIG)
		return crypto_verify_es256(key->x, key->y, token,
		                           jwt->signed_len, jwt->sig);
	return CLERK_EPROVIDER;
}

/*
 * 0 when a key of @set for @jwt's alg and kid verifies it; CLERK_ENOTFOUND
 * when @set has no such key, CLERK_EPROVIDER when none verifies.
 */
static int
check_with(const struct jwks *set, const struct jwt *jwt, const char *token)
{
	const struct jwk *k = NULL;
	bool any = false;
	int r;

	while ((k = jwks_next(set, jwt->alg_name, jwt->kid, k))) {
		any = true;
		if ((r = jwt_verify(jwt, token, k)) != CLERK_EPROVIDER)
			return r;
	}
	return any ? CLERK_EPROVIDER : CLERK_ENOTFOUND;
}

/* The signature against op's key set; @why set when the token failed. */
static int
check_signature(const struct oidc_provider *op, const struct jwt *jwt,
                const char *token, char *why, size_t whylen)
{
	struct jwks set = JWKS_INIT;
	bool cached = false;
	char kid[65];
	int r;

	if ((r = jwks_load(op->jwks_uri, false, &set, &cached)))
		goto out;
	r = check_with(&set, jwt, token);
	/* Keys rotate: a kid we do not know may be new. One fetch, no more. */
	if (cached &&
	    (r == CLERK_ENOTFOUND || (r == CLERK_EPROVIDER && !jwt->kid))) {
		log_debug("jwks: no cached key fits the token; fetching the "
		          "keys again");
		if ((r = jwks_load(op->jwks_uri, true, &set, &cached)))
			goto out;
		r = check_with(&set, jwt, token);
	}
	str_printable(jwt->kid ? jwt->kid : "(none)", kid, sizeof(kid));
	if (r == CLERK_ENOTFOUND)
		snprintf(why, whylen,
		         "the provider's key set has no %s key with kid %s",
		         jwt->alg_name, kid);
	else if (r == CLERK_EPROVIDER)
		snprintf(why, whylen,
		         "its signature does not verify (%s, kid %s)",
		         jwt->alg_name, kid);
	if (r == CLERK_ENOTFOUND)
		r = CLERK_EPROVIDER;
out:
	jwks_release(&set);
	return r;
}

int
jwt_verify_id_token(const struct config *cfg, const struct oidc_provider *op,
                    const char *id_token, const char *nonce, int64_t now)
{
	struct jwt jwt = JWT_INIT;
	char why[200] = "";
	int r;

	r = jwt_parse(id_token, &jwt, why, sizeof(why));
	if (!r)
		r = check_signature(op, &jwt, id_token, why, sizeof(why));
	if (!r) {
		log_debug("ID token: %s signature verified", jwt.alg_name);
		r = oauth_check_id_token_claims(id_token, op->issuer,
		                                cfg->client_id, nonce, now);
	} else if (why[0]) {
		log_error("ID token refused: %s (sign in again; if it "
		          "persists, check --issuer and the provider's keys)",
		          why);
	}
	jwt_release(&jwt);
	return r;
}
