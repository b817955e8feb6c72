/*
 * See callback.h.
 *
 * MUST: release every copy of a parameter with secret_free(): the code
 * is a secret, and the others come from outside.
 */
#include "callback.h"

#include <string.h>

#include "encode.h"
#include "error.h"
#include "util.h"

/* On failure *@out is left untouched. */
int
callback_parse_query(const char *query, struct callback_params *out)
{
	struct callback_params cb = {0};
	int r = 0;

	if (query && ((r = query_get(query, "code", &cb.code)) ||
	              (r = query_get(query, "state", &cb.state)) ||
	              (r = query_get(query, "iss", &cb.iss)) ||
	              (r = query_get(query, "error", &cb.error)) ||
	              (r = query_get(query, "error_description",
	                             &cb.error_description))))
		goto out;
	*out = cb;
	memset(&cb, 0, sizeof(cb));
out:
	callback_params_release(&cb);
	return r;
}

void
callback_params_release(struct callback_params *cb)
{
	secret_free(cb->code);
	secret_free(cb->state);
	secret_free(cb->iss);
	secret_free(cb->error);
	secret_free(cb->error_description);
	memset(cb, 0, sizeof(*cb));
}
