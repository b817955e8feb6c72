/*
 * libFuzzer target: the JWK Set parser (jwks.c) and the JWT header and
 * signature parsing of jwt.c, with the key selection that follows them.
 * The whole input is tried as a key set and as a compact JWS.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "jwt.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jwks set = JWKS_INIT;
	struct jwt jwt = JWT_INIT;
	const struct jwk *k = NULL;
	const char *why = NULL;
	char reason[200];
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	log_set_silent(true);
	if (jwks_parse(text, size, &set, &why) == 0) {
		while ((k = jwks_next(&set, "RS256", NULL, k)))
			;
		while ((k = jwks_next(&set, "ES256", "ec-1", k)))
			;
	}
	if (jwt_parse(text, &jwt, reason, sizeof(reason)) == 0)
		(void)jwks_next(&set, jwt.alg_name, jwt.kid, NULL);
	jwt_release(&jwt);
	jwks_release(&set);
	free(text);
	return 0;
}
