/* See store.h. */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"

int
store_open(const struct config *cfg, struct store **out)
{
	struct store *st = calloc(1, sizeof(*st));
	const char *why;

	if (!st)
		return CLERK_ENOMEM;
	st->cfg = cfg;
	switch (cfg->storage) {
	case STORAGE_MEMORY:
		st->ops = &store_memory_ops;
		why = "chosen with storage=memory";
		break;
	case STORAGE_KEYRING:
		log_error("keyring storage is not available in this build "
			  "(use --storage file)");
		free(st);
		return CLERK_ECONFIG;
	case STORAGE_FILE:
		st->ops = &store_file_ops;
		why = "chosen with storage=file";
		break;
	default:
		st->ops = &store_file_ops;
		why = "auto: this build has no keyring store";
		break;
	}
	if (!(st->why = strdup(why))) {
		free(st);
		return CLERK_ENOMEM;
	}
	log_debug("token store: %s (%s)", st->ops->name, st->why);
	*out = st;
	return 0;
}

int
store_load(struct store *st, struct tokenset *out)
{
	struct tokenset ts = TOKENSET_INIT;
	const struct config *cfg = st->cfg;
	int r = st->ops->load(st, &ts);

	if (r)
		return r;
	if (!ts.issuer || strcmp(ts.issuer, cfg->issuer) || !ts.client_id ||
	    strcmp(ts.client_id, cfg->client_id)) {
		log_debug("stored tokens belong to another issuer or client; "
			  "ignoring them");
		tokenset_release(&ts);
		return CLERK_ENOTFOUND;
	}
	tokenset_move(out, &ts);
	return 0;
}

int
store_save(struct store *st, const struct tokenset *ts)
{
	return st->ops->save(st, ts);
}

int
store_clear(struct store *st)
{
	return st->ops->clear(st);
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	if (st->ops->close)
		st->ops->close(st);
	free(st->why);
	free(st);
}
