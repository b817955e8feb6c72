/* See store.h. */
#include "store.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "log.h"
#include "paths.h"
#include "keyring.h"
#include "util.h"

#include "banned.h"

bool
store_session_bus(void)
{
	const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");

	return a && *a && !str_starts_with(a, "autolaunch:");
}

/*
 * The keyring, when a Secret Service answers within @timeout_ms; else
 * *@why (free() it) says why not. Without a session bus the answer needs
 * no module: storage=auto and the file store's look for tokens to move
 * then map neither libsecret nor GLib.
 */
static int
keyring_find(int timeout_ms, const struct keyring_api **kr, char **why)
{
	int r;

	if (!store_session_bus())
		return str_set(why, KEYRING_NO_BUS) ? CLERK_ENOMEM
		                                    : CLERK_ENOTFOUND;
	if ((r = keyring_module_load(kr)) == 0)
		return (*kr)->probe(timeout_ms, why);
	if (str_set(why, "the keyring module cannot be loaded"))
		return CLERK_ENOMEM;
	return r;
}

static int
open_keyring(struct store *st)
{
	const struct keyring_api *kr;
	char *why = NULL;
	int r = keyring_find(STORE_PROBE_KEYRING_MS, &kr, &why);

	if (r == 0) {
		st->ops = kr->ops;
		st->other = &store_file_ops;
		r = str_set(&st->why, "chosen with storage=keyring");
	} else if (r == CLERK_ENOTFOUND) {
		log_error("cannot use the keyring: %s (run a Secret Service "
		          "such as gnome-keyring-daemon in this session, or "
		          "choose --storage file)",
		          why);
		r = CLERK_ECONFIG;
	}
	free(why);
	return r;
}

static int
open_auto(struct store *st)
{
	struct strbuf sb = STRBUF_INIT;
	const struct keyring_api *kr;
	char *why = NULL;
	int r = keyring_find(STORE_PROBE_AUTO_MS, &kr, &why);

	if (r == 0) {
		st->ops = kr->ops;
		st->other = &store_file_ops;
		return str_set(&st->why, "auto: a Secret Service answered on "
		                         "the session bus");
	}
	/* No keyring here: the file store, and no keyring to move from. */
	st->ops = &store_file_ops;
	st->notice = true;
	if (!(r = strbuf_addf(&sb, "auto: %s", why ? why : "no keyring")))
		r = strbuf_detach(&sb, &st->why);
	strbuf_release(&sb);
	free(why);
	return r;
}

int
store_open(const struct config *cfg, struct store **out)
{
	struct store *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return CLERK_ENOMEM;
	st->cfg = cfg;
	st->other_known = cfg->storage != STORAGE_FILE;
	switch (cfg->storage) {
	case STORAGE_MEMORY:
		st->ops = &store_memory_ops;
		r = str_set(&st->why, "chosen with storage=memory");
		break;
	case STORAGE_FILE:
		st->ops = &store_file_ops;
		r = str_set(&st->why, "chosen with storage=file");
		break;
	case STORAGE_KEYRING:
		r = open_keyring(st);
		break;
	default:
		r = open_auto(st);
		break;
	}
	if (r) {
		store_close(st);
		return r;
	}
	log_debug("token store: %s (%s)", st->ops->name, st->why);
	*out = st;
	return 0;
}

/*
 * storage=file: is there a keyring to move tokens from? (looked up once,
 * and only when the file store has none: a refresh of tokens kept in the
 * file maps no keyring module)
 */
static const struct store_ops *
other_store(struct store *st)
{
	const struct keyring_api *kr;
	char *why = NULL;

	if (!st->other_known) {
		st->other_known = true;
		if (keyring_find(STORE_PROBE_AUTO_MS, &kr, &why) == 0)
			st->other = kr->ops;
		else
			log_debug("no keyring to look in: %s", why ? why : "");
		free(why);
	}
	return st->other;
}

static bool
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* @ops's set, when it belongs to this issuer and client id. */
static int
load_from(struct store *st, const struct store_ops *ops, struct tokenset *out)
{
	struct tokenset ts = TOKENSET_INIT;
	const struct config *cfg = st->cfg;
	int r = ops->load(st, &ts);

	if (r)
		return r;
	if (!same(ts.issuer, cfg->issuer) ||
	    !same(ts.client_id, cfg->client_id)) {
		log_debug("the %s store holds tokens of another issuer or "
		          "client; ignoring them",
		          ops->name);
		tokenset_release(&ts);
		return CLERK_ENOTFOUND;
	}
	tokenset_move(out, &ts);
	return 0;
}

int
store_load(struct store *st, struct tokenset *out)
{
	const struct store_ops *other;
	int r = load_from(st, st->ops, out);

	st->found = r ? NULL : st->ops;
	if (r != CLERK_ENOTFOUND)
		return r;
	if ((other = other_store(st))) {
		r = load_from(st, other, out);
		if (r == 0) {
			log_debug("the %s store holds this profile's tokens",
			          other->name);
			st->found = other;
			return 0;
		}
		if (r != CLERK_ENOTFOUND)
			log_warn("could not look for tokens in the %s store; "
			         "going on without them",
			         other->name);
	}
	return CLERK_ENOTFOUND;
}

int
store_load_move(struct store *st, struct tokenset *out)
{
	const struct store_ops *from;
	int r = store_load(st, out);

	/* Nothing stored: new tokens will go to a file; say so once. */
	if (r == CLERK_ENOTFOUND && st->notice) {
		st->notice = false;
		log_info("tokens will be kept in a file, not in a keyring "
		         "(%s; choose with --storage file or --storage "
		         "keyring)",
		         st->why);
	}
	if (r || st->found == st->ops)
		return r;
	from = st->found;
	if ((r = st->ops->save(st, out))) {
		tokenset_release(out);
		return r;
	}
	st->found = st->ops;
	if (from->clear(st))
		log_warn("the copy in the %s store could not be removed",
		         from->name);
	log_info("moved the tokens of profile %s from the %s store to the "
	         "%s store",
	         st->cfg->profile, from->name, st->ops->name);
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

/*
 * Clear @ops's copy of this profile's set. The file is named by profile
 * alone: a set of another issuer or client in it is left alone (its own
 * logout revokes it), a broken one is removed.
 */
static int
clear_ours(struct store *st, const struct store_ops *ops)
{
	struct tokenset ts = TOKENSET_INIT;
	int r;

	if (ops != &store_file_ops)
		return ops->clear(st);
	r = ops->load(st, &ts);
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
	return ops->clear(st);
}

int
store_clear_all(struct store *st)
{
	const struct store_ops *other = other_store(st);
	int r = clear_ours(st, st->ops);
	int r2 = other ? clear_ours(st, other) : 0;

	return r ? r : r2;
}

/* --- every profile's identity, for logout --all ---------------------- */

#define STORE_MAX_LISTED 10000

struct idlist {
	struct tokenset *v;
	size_t n;
};

static int
ids_add(struct idlist *l, const char *issuer, const char *client_id,
        const char *profile)
{
	struct tokenset *v;
	size_t i;
	int r;

	if (!issuer || !client_id || !profile)
		return 0;
	for (i = 0; i < l->n; i++)
		if (same(l->v[i].issuer, issuer) &&
		    same(l->v[i].client_id, client_id) &&
		    same(l->v[i].profile, profile))
			return 0;
	if (l->n >= STORE_MAX_LISTED)
		return CLERK_ENOMEM;
	if (!(v = realloc(l->v, (l->n + 1) * sizeof(*v))))
		return CLERK_ENOMEM;
	l->v = v;
	tokenset_init(&v[l->n]);
	if ((r = str_set(&v[l->n].issuer, issuer)) ||
	    (r = str_set(&v[l->n].client_id, client_id)) ||
	    (r = str_set(&v[l->n].profile, profile))) {
		tokenset_release(&v[l->n]);
		return r;
	}
	l->n++;
	return 0;
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

static int
list_files(const struct config *cfg, struct idlist *l)
{
	struct config one = *cfg;
	struct store tmp = {.ops = &store_file_ops, .cfg = &one};
	struct tokenset ts = TOKENSET_INIT;
	struct dirent *e;
	char *dir = NULL, prof[80];
	DIR *d;
	int r = 0;

	if ((r = paths_state_dir(&dir)))
		return r;
	if (!(d = opendir(dir))) {
		free(dir);
		return 0;
	}
	while (!r && (e = readdir(d))) {
		one.profile = token_file_profile(e->d_name, prof, sizeof(prof));
		if (!one.profile)
			continue;
		if (store_file_ops.load(&tmp, &ts) == 0)
			r = ids_add(l, ts.issuer, ts.client_id, one.profile);
		tokenset_release(&ts);
	}
	closedir(d);
	free(dir);
	return r;
}

static int
list_keyring(const struct config *cfg, struct idlist *l)
{
	const struct keyring_api *kr = NULL;
	struct tokenset *v = NULL;
	char *why = NULL;
	size_t n = 0, i;
	bool keyring = cfg->storage == STORAGE_KEYRING;
	int r = keyring_find(keyring ? STORE_PROBE_KEYRING_MS
	                             : STORE_PROBE_AUTO_MS,
	                     &kr, &why);

	if (r) {
		if (keyring)
			log_error("cannot use the keyring: %s (choose "
			          "--storage file to sign out of the file "
			          "store only)",
			          why ? why : "");
		else
			log_debug("no keyring to look in: %s", why ? why : "");
		free(why);
		return keyring ? CLERK_ECONFIG : 0;
	}
	if ((r = kr->list(&v, &n)))
		return r;
	for (i = 0; i < n; i++) {
		if (!r)
			r = ids_add(l, v[i].issuer, v[i].client_id,
			            v[i].profile);
		tokenset_release(&v[i]);
	}
	free(v);
	return r;
}

int
store_list(const struct config *cfg, struct tokenset **out, size_t *n)
{
	struct idlist l = {NULL, 0};
	size_t i;
	int r;

	if (!(r = ids_add(&l, cfg->issuer, cfg->client_id, cfg->profile)) &&
	    !(r = list_files(cfg, &l)))
		r = list_keyring(cfg, &l);
	if (r) {
		for (i = 0; i < l.n; i++)
			tokenset_release(&l.v[i]);
		free(l.v);
		return r;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void
store_close(struct store *st)
{
	if (!st)
		return;
	if (st->ops && st->ops->close)
		st->ops->close(st);
	free(st->why);
	free(st);
}
