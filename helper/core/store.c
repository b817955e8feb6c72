/* See store.h. */
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends.h"
#include "error.h"
#include "log.h"
#include "util.h"

#include "banned.h"

static const struct store_backend *
backend_of(const struct config *cfg)
{
	return (size_t)cfg->storage < store_nbackends
	               ? &store_backends[cfg->storage]
	               : NULL;
}

bool
store_process_only(const struct config *cfg)
{
	const struct store_backend *b = backend_of(cfg);

	return b && b->process_only;
}

/* Where tokens go when no store found at run time answers: the file. */
static const struct store_backend *
fallback(void)
{
	size_t i;

	for (i = 0; i < store_nbackends; i++)
		if (store_backends[i].ops && !store_backends[i].process_only)
			return &store_backends[i];
	return NULL;
}

/* storage=keyring: it answers, or the command fails saying why. */
static int
open_found(struct store *st, const struct store_backend *b)
{
	char *why = NULL;
	int r = b->find(STORE_PROBE_KEYRING_MS, &st->ops, &why);

	if (r == 0) {
		st->other = fallback()->ops;
	} else if (r == CLERK_ENOTFOUND) {
		log_error("cannot use the %s: %s (%s, or choose --storage %s)",
		          b->name, why, b->fix, fallback()->name);
		r = CLERK_ECONFIG;
	}
	free(why);
	return r;
}

static int
open_auto(struct store *st)
{
	struct strbuf sb = STRBUF_INIT;
	char *why = NULL;
	size_t i;
	int r = CLERK_ENOTFOUND;

	for (i = 0; i < store_nbackends && r; i++) {
		if (!store_backends[i].find)
			continue;
		free(why);
		why = NULL;
		r = store_backends[i].find(STORE_PROBE_AUTO_MS, &st->ops, &why);
	}
	if (r == 0) {
		st->other = fallback()->ops;
	} else {
		/* Nothing found: the file store, and nothing to move from. */
		st->ops = fallback()->ops;
		st->notice = true;
	}
	if (!(r = strbuf_addf(&sb, "auto: %s", why ? why : "no keyring")))
		r = strbuf_detach(&sb, &st->why);
	strbuf_release(&sb);
	free(why);
	return r;
}

static int
open_backend(struct store *st, const struct store_backend *b)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (b->ops) {
		st->ops = b->ops;
		/* Tokens left in the keyring are looked for when needed. */
		st->other_known = b->process_only;
	} else if (b->find) {
		if ((r = open_found(st, b)))
			return r;
	} else {
		return open_auto(st);
	}
	if (!(r = strbuf_addf(&sb, "chosen with storage=%s", b->name)))
		r = strbuf_detach(&sb, &st->why);
	strbuf_release(&sb);
	return r;
}

int
store_open(const struct config *cfg, struct store **out)
{
	const struct store_backend *b = backend_of(cfg);
	struct store *st;
	int r;

	if (!b)
		return CLERK_EINTERNAL;
	if (!(st = calloc(1, sizeof(*st))))
		return CLERK_ENOMEM;
	st->cfg = cfg;
	st->other_known = true;
	if ((r = open_backend(st, b))) {
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
	char *why = NULL;
	size_t i;

	if (st->other_known)
		return st->other;
	st->other_known = true;
	for (i = 0; i < store_nbackends && !st->other; i++) {
		if (!store_backends[i].find)
			continue;
		if (store_backends[i].find(STORE_PROBE_AUTO_MS, &st->other,
		                           &why))
			log_debug("no %s to look in: %s",
			          store_backends[i].name, why ? why : "");
		free(why);
		why = NULL;
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

int
store_clear_all(struct store *st)
{
	const struct store_ops *other = other_store(st);
	int r = st->ops->clear(st);
	int r2 = other ? other->clear(st) : 0;

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

/* Add every identity that @ops lists to @l. */
static int
list_in(const struct config *cfg, const struct store_ops *ops, struct idlist *l)
{
	struct store tmp = {.ops = ops, .cfg = cfg};
	struct tokenset *v = NULL;
	size_t n = 0, i;
	int r = ops->list(&tmp, &v, &n);

	for (i = 0; i < n; i++) {
		if (!r)
			r = ids_add(l, v[i].issuer, v[i].client_id,
			            v[i].profile);
		tokenset_release(&v[i]);
	}
	free(v);
	return r;
}

/*
 * The stores found at run time: a chosen one must answer, the others
 * are skipped when they do not.
 */
static int
list_found(const struct config *cfg, const struct store_backend *b,
           struct idlist *l)
{
	const struct store_ops *ops = NULL;
	char *why = NULL;
	bool chosen = b == backend_of(cfg);
	int r = b->find(chosen ? STORE_PROBE_KEYRING_MS : STORE_PROBE_AUTO_MS,
	                &ops, &why);

	if (r) {
		if (chosen)
			log_error("cannot use the %s: %s (choose --storage %s "
			          "to sign out of the %s store only)",
			          b->name, why ? why : "", fallback()->name,
			          fallback()->name);
		else
			log_debug("no %s to look in: %s", b->name,
			          why ? why : "");
		free(why);
		return chosen ? CLERK_ECONFIG : 0;
	}
	free(why);
	return list_in(cfg, ops, l);
}

int
store_list(const struct config *cfg, struct tokenset **out, size_t *n)
{
	struct idlist l = {NULL, 0};
	size_t i;
	int r;

	/* The stores in the program first, then those found at run time. */
	r = ids_add(&l, cfg->issuer, cfg->client_id, cfg->profile);
	for (i = 0; !r && i < store_nbackends; i++)
		if (store_backends[i].ops && !store_backends[i].process_only)
			r = list_in(cfg, store_backends[i].ops, &l);
	for (i = 0; !r && i < store_nbackends; i++)
		if (store_backends[i].find)
			r = list_found(cfg, &store_backends[i], &l);
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
