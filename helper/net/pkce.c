/*
 * See pkce.h.
 *
 * MUST: 32 random bytes from crypto_random() per verifier; the verifier
 * only ever lives in buffers that are wiped (it is a secret until the
 * code is exchanged).
 */
#include "pkce.h"

#include <string.h>

#include "crypto.h"
#include "encode.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include "banned.h"

#define PKCE_RANDOM_BYTES 32
#define PKCE_VERIFIER_MIN 43 /* RFC 7636 section 4.1 */
#define PKCE_VERIFIER_MAX 128

int
pkce_new_verifier(char verifier[PKCE_VERIFIER_LEN + 1])
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	int r;

	r = crypto_random_base64url(PKCE_RANDOM_BYTES, &sb);
	if (r)
		goto out;
	if (sb.len != PKCE_VERIFIER_LEN) {
		log_error("pkce verifier has %zu characters: bug", sb.len);
		r = CLERK_EINTERNAL;
		goto out;
	}
	memcpy(verifier, sb.buf, PKCE_VERIFIER_LEN + 1);
out:
	strbuf_release(&sb);
	return r;
}

/* unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 7636 4.1) */
static bool
verifier_valid(const char *v)
{
	size_t n;

	for (n = 0; v[n]; n++) {
		unsigned char c = (unsigned char)v[n];

		if (n >= PKCE_VERIFIER_MAX)
			return false;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return false;
	}
	return n >= PKCE_VERIFIER_MIN;
}

int
pkce_challenge(const char *verifier, char challenge[PKCE_CHALLENGE_LEN + 1])
{
	struct strbuf sb = STRBUF_INIT;
	unsigned char digest[32];
	int r;

	if (!verifier || !verifier_valid(verifier)) {
		log_error("pkce verifier is malformed: bug");
		return CLERK_EINTERNAL;
	}
	r = crypto_sha256(verifier, strlen(verifier), digest);
	if (!r)
		r = base64url_encode(digest, sizeof(digest), &sb);
	if (r)
		goto out;
	if (sb.len != PKCE_CHALLENGE_LEN) {
		r = CLERK_EINTERNAL;
		goto out;
	}
	memcpy(challenge, sb.buf, PKCE_CHALLENGE_LEN + 1);
out:
	strbuf_release(&sb);
	return r;
}
