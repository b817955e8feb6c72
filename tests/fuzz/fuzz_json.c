/*
 * libFuzzer target: every JSON document read from outside: the token
 * store (tokenset.c), token endpoint answers (oauth.c) and discovery
 * documents (discovery.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "discovery.h"
#include "log.h"
#include "oauth.h"
#include "tokenset.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tokenset ts = TOKENSET_INIT;
	struct oidc_provider op = {0};
	char *json = NULL;
	const char *text = (const char *)data;

	log_set_silent(true);
	if (tokenset_from_json(text, size, &ts) == 0 &&
	    tokenset_to_json(&ts, &json) == 0)
		secret_free(json);
	tokenset_release(&ts);
	(void)oauth_parse_token_response(200, text, size, 1700000000, &ts);
	tokenset_release(&ts);
	(void)oauth_parse_token_response(400, text, size, 1700000000, &ts);
	tokenset_release(&ts);
	(void)discovery_parse("http://127.0.0.1:4000", text, size, &op);
	oidc_provider_release(&op);
	return 0;
}
