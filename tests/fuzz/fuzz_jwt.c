/* libFuzzer target: the ID token (JWT) header and claims checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "jwt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = malloc(size + 1);

	if (!token)
		return 0;
	memcpy(token, data, size);
	token[size] = '\0';
	log_set_silent(true);
	(void)jwt_check_claims(token, "https://clerk.example.com", "client_1",
	                       "nonce-1", 1700000000);
	free(token);
	return 0;
}
