/*
 * The file store: tokens-<profile>.json in the state dir.
 *
 * MUST: write 0600 through fileio's atomic replace; refuse a file that is
 * group/world accessible or owned by someone else.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "util.h"

#include "banned.h"

#define TOKEN_FILE_MAX (1024 * 1024)

static int
token_path(const struct store *st, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	char *dir = NULL;
	int r;

	if ((r = paths_state_dir(&dir)) ||
	    (r = strbuf_addf(&sb, "%s/tokens-%s.json", dir, st->cfg->profile)))
		goto out;
	r = strbuf_detach(&sb, out);
out:
	strbuf_release(&sb);
	free(dir);
	return r;
}

static int
file_load(struct store *st, struct tokenset *out)
{
	char *path = NULL, *text = NULL;
	size_t len;
	int r;

	if ((r = token_path(st, &path)))
		return r;
	r = file_read_private(path, TOKEN_FILE_MAX, &text, &len);
	if (!r && (r = tokenset_from_json(text, len, out)))
		log_error("cannot use %s (remove it and sign in again)", path);
	secret_free(text);
	free(path);
	return r;
}

static int
file_save(struct store *st, const struct tokenset *ts)
{
	char *path = NULL, *json = NULL;
	int r;

	if ((r = token_path(st, &path)) || (r = tokenset_to_json(ts, &json)))
		goto out;
	r = file_write_atomic(path, json, strlen(json), 0600);
	if (!r)
		log_debug("tokens saved to %s", path);
out:
	secret_free(json);
	free(path);
	return r;
}

static int
file_clear(struct store *st)
{
	char *path = NULL;
	int r;

	if ((r = token_path(st, &path)))
		return r;
	r = file_remove(path);
	free(path);
	return r;
}

const struct store_ops store_file_ops = {
        .name = "file",
        .load = file_load,
        .save = file_save,
        .clear = file_clear,
};
