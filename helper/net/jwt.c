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

bool
jwt_split(const char *token, size_t n, const char **d1, const char **d2)
{
	const char *end = token + n;

	if (!(*d1 = memchr(token, '.', n)) ||
	    !(*d2 = memchr(*d1 + 1, '.', (size_t)(end - *d1 - 1))))
		return false;
	return *d1 > token && *d2 > *d1 + 1 &&
	       !memchr(*d2 + 1, '.', (size_t)(end - *d2 - 1));
}

/*
 * The decoded JSON object of base64url @s (@n bytes, at most @max), or
 * NULL. The decoded bytes are wiped: a payload names the user.
 */
static struct json *
decode_object(const char *s, size_t n, size_t max)
{
	unsigned char *raw = NULL;
	struct json *doc;
	size_t len = 0;

	if (n == 0 || n > max || base64url_decode(s, n, &raw, &len))
		return NULL;
	doc = json_parse((const char *)raw, len);
	secret_free(raw);
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
	else if (!jwt_split(token, n, &d1, &d2))
		snprintf(why, whylen,
		         "it is not a signed JWT (header.payload.signature)");
	else if (!(h = decode_object(token, (size_t)(d1 - token),
	                             JWT_MAX_HEADER_B64)))
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

/* --- ID token claims ------------------------------------------------ */

static const char *
check_audience(const struct json *claims, const char *client_id)
{
	const struct json *aud = json_get(claims, "aud");
	const char *azp = json_get_string(claims, "azp");
	size_t i, n = 1;
	bool found = false;

	if (json_is_string(aud)) {
		found = strcmp(json_string_value(aud), client_id) == 0;
	} else if (json_is_array(aud)) {
		n = json_array_size(aud);
		for (i = 0; i < n; i++) {
			const char *v =
			        json_string_value(json_array_item(aud, i));

			if (!v)
				return "aud holds something else than strings";
			found |= strcmp(v, client_id) == 0;
		}
	} else {
		return "aud is missing";
	}
	if (!found)
		return "aud does not name this client id";
	if (n > 1 && !azp)
		return "azp is missing while aud names several clients";
	if (json_get(claims, "azp") && (!azp || strcmp(azp, client_id) != 0))
		return "azp is not this client id";
	return NULL;
}

/* NULL when the claims pass, else what failed. */
static const char *
check_claims(const struct json *claims, const char *issuer,
             const char *client_id, const char *nonce, int64_t now)
{
	const char *iss = json_get_string(claims, "iss");
	const char *why;
	int64_t exp, nbf, iat;

	if (!iss || strcmp(iss, issuer) != 0)
		return "iss is not the configured issuer";
	if ((why = check_audience(claims, client_id)))
		return why;
	if (json_get_int64(claims, "exp", &exp))
		return "exp is missing";
	if (exp <= now - JWT_SKEW)
		return "it has expired";
	if (!json_get_int64(claims, "nbf", &nbf) && nbf > now + JWT_SKEW)
		return "it is not valid yet";
	if (!json_get_int64(claims, "iat", &iat) && iat > now + JWT_SKEW)
		return "iat is in the future";
	if (nonce && !str_ct_equal(json_get_string(claims, "nonce"), nonce))
		return "nonce does not match this sign-in";
	return NULL;
}

/*
 * 1..JWT_MAX_LEN characters, each visible ASCII (RFC 7515 7.1: the
 * compact serialization is base64url and dots).
 */
static bool
visible(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (n >= JWT_MAX_LEN || (unsigned char)s[n] <= 0x20 ||
		    (unsigned char)s[n] >= 0x7f)
			return false;
	return n > 0;
}

/* NULL when @jwt splits into header.payload.signature with a real alg. */
static const char *
claims_of(const char *jwt, struct json **payload)
{
	const char *d1, *d2, *alg;
	struct json *header;
	bool alg_ok;

	if (!visible(jwt) || !jwt_split(jwt, strlen(jwt), &d1, &d2) || !d2[1])
		return "it is not a signed JWT";
	if (!(header = decode_object(jwt, (size_t)(d1 - jwt),
	                             JWT_MAX_HEADER_B64)))
		return "its header is malformed";
	alg = json_get_string(header, "alg");
	alg_ok = alg && strcmp(alg, "none") != 0;
	json_free(header);
	if (!alg_ok)
		return "it is unsigned (alg none or missing)";
	if (!(*payload = decode_object(d1 + 1, (size_t)(d2 - d1 - 1),
	                               JWT_MAX_LEN)))
		return "its payload is malformed";
	return NULL;
}

int
jwt_check_claims(const char *id_token, const char *issuer,
                 const char *client_id, const char *nonce, int64_t now)
{
	struct json *claims = NULL;
	const char *why;

	if (!id_token || !issuer || !client_id)
		why = "it is missing";
	else if (!(why = claims_of(id_token, &claims)))
		why = check_claims(claims, issuer, client_id, nonce, now);
	json_free(claims);
	if (!why)
		return 0;
	log_error("ID token refused: %s (sign in again; if it persists, "
	          "check --issuer, --client-id and the system clock)",
	          why);
	return CLERK_EPROVIDER;
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
		r = jwt_check_claims(id_token, op->issuer, cfg->client_id,
		                     nonce, now);
	} else if (why[0]) {
		log_error("ID token refused: %s (sign in again; if it "
		          "persists, check --issuer and the provider's keys)",
		          why);
	}
	jwt_release(&jwt);
	return r;
}
