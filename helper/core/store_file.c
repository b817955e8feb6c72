/*
 * The file store: tokens-<profile>.json in the state dir, one set per
 * profile whatever its issuer.
 *
 * MUST: write 0600 through fileio's atomic replace; refuse a file that is
 * group/world accessible or owned by someone else.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "util.h"

#include "banned.h"

#define TOKEN_FILE_MAX  (1024 * 1024)
#define FILE_MAX_LISTED 10000

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

static bool
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/*
 * The file is named by profile alone: a set of another issuer or client
 * in it is left alone (its own logout revokes it), a broken one is
 * removed, one that is not private is refused (file_read_private()).
 */
static int
file_clear(struct store *st)
{
	struct tokenset ts = TOKENSET_INIT;
	char *path = NULL;
	int r = file_load(st, &ts);

	if (r == 0 && (!same(ts.issuer, st->cfg->issuer) ||
	               !same(ts.client_id, st->cfg->client_id))) {
		log_debug("the file store holds tokens of another issuer or "
		          "client; leaving them");
		r = CLERK_ENOTFOUND;
	}
	tokenset_release(&ts);
	if (r == CLERK_ENOTFOUND)
		return 0;
	if (r == CLERK_EPERM)
		return r;
	if ((r = token_path(st, &path)))
		return r;
	r = file_remove(path);
	free(path);
	return r;
}

/* The profile in "tokens-<profile>.json", copied into @buf, or NULL. */
static char *
token_file_profile(const char *name, char *buf, size_t size)
{
	size_t n = strlen(name);

	if (!str_starts_with(name, "tokens-") || n <= 12 ||
	    strcmp(name + n - 5, ".json") || n - 12 >= size)
		return NULL;
	memcpy(buf, name + 7, n - 12);
	buf[n - 12] = '\0';
	return buf;
}

/* Append @profile's identity from @ts to @v (*@n of them). */
static int
ids_append(struct tokenset **v, size_t *n, const struct tokenset *ts,
           const char *profile)
{
	struct tokenset *nv, *id;
	int r;

	if (!ts->issuer || !ts->client_id)
		return 0;
	if (*n >= FILE_MAX_LISTED)
		return CLERK_ENOMEM;
	if (!(nv = realloc(*v, (*n + 1) * sizeof(*nv))))
		return CLERK_ENOMEM;
	*v = nv;
	id = &nv[*n];
	tokenset_init(id);
	if ((r = str_set(&id->issuer, ts->issuer)) ||
	    (r = str_set(&id->client_id, ts->client_id)) ||
	    (r = str_set(&id->profile, profile))) {
		tokenset_release(id);
		return r;
	}
	(*n)++;
	return 0;
}

/* Every readable tokens-<profile>.json of the state dir, by its name. */
static int
file_list(struct store *st, struct tokenset **out, size_t *n)
{
	struct config one = *st->cfg;
	struct store tmp = {.ops = st->ops, .cfg = &one};
	struct tokenset ts = TOKENSET_INIT, *v = NULL;
	struct dirent *e;
	char *dir = NULL, prof[80];
	size_t count = 0, i;
	DIR *d;
	int r = 0;

	if ((r = paths_state_dir(&dir)))
		return r;
	if ((d = opendir(dir))) {
		while (!r && (e = readdir(d))) {
			one.profile = token_file_profile(e->d_name, prof,
			                                 sizeof(prof));
			if (!one.profile)
				continue;
			if (file_load(&tmp, &ts) == 0)
				r = ids_append(&v, &count, &ts, one.profile);
			tokenset_release(&ts);
		}
		closedir(d);
	}
	free(dir);
	if (r) {
		for (i = 0; i < count; i++)
			tokenset_release(&v[i]);
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}

const struct store_ops store_file_ops = {
        .name = "file",
        .load = file_load,
        .save = file_save,
        .clear = file_clear,
        .list = file_list,
};
