/*
 * The memory store: tokens live as long as the process, nothing is
 * written to disk (for tests and one-shot use). It holds one set, the
 * process's own, so clearing it needs no owner check.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "store.h"
#include "util.h"

#include "banned.h"

static char *memory_json; /* the saved set, serialised */

static int
memory_load(struct store *st, struct tokenset *out)
{
	(void)st;
	if (!memory_json)
		return CLERK_ENOTFOUND;
	return tokenset_from_json(memory_json, strlen(memory_json), out);
}

static int
memory_save(struct store *st, const struct tokenset *ts)
{
	char *json = NULL;
	int r = tokenset_to_json(ts, &json);

	(void)st;
	if (r)
		return r;
	secret_free(memory_json);
	memory_json = json;
	return 0;
}

static int
memory_clear(struct store *st)
{
	(void)st;
	secret_free(memory_json);
	memory_json = NULL;
	return 0;
}

/* The one set held, when it names its issuer, client and profile. */
static int
memory_list(struct store *st, struct tokenset **out, size_t *n)
{
	struct tokenset ts = TOKENSET_INIT, *v = NULL;
	int r = memory_load(st, &ts);

	*out = NULL;
	*n = 0;
	if (r == CLERK_ENOTFOUND)
		return 0;
	if (r)
		return r;
	if (ts.issuer && ts.client_id && ts.profile) {
		if (!(v = calloc(1, sizeof(*v)))) {
			tokenset_release(&ts);
			return CLERK_ENOMEM;
		}
		/* The identity only: no token leaves through a list. */
		tokenset_init(v);
		v->issuer = ts.issuer;
		v->client_id = ts.client_id;
		v->profile = ts.profile;
		ts.issuer = ts.client_id = ts.profile = NULL;
		*out = v;
		*n = 1;
	}
	tokenset_release(&ts);
	return 0;
}

const struct store_ops store_memory_ops = {
        .name = "memory",
        .load = memory_load,
        .save = memory_save,
        .clear = memory_clear,
        .list = memory_list,
};
