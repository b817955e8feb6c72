/*
 * Where token sets live (contract §10), behind one interface:
 *   file    $XDG_STATE_HOME/clerk-credential/tokens-<profile>.json, 0600 in
 *           a 0700 dir, written atomically;
 *   memory  this process only (tests);
 *   keyring the Secret Service through libsecret (keyring.h, a
 *           module of its own, loaded only when the keyring is used or
 *           looked in);
 *   auto    the keyring when a Secret Service answers on the session bus
 *           within STORE_PROBE_AUTO_MS, else the file store.
 * A stored set that names another issuer or client id counts as empty.
 *
 * File and keyring hold at most one copy of a profile's set between them:
 * when the chosen one is empty and the other holds the set, it is moved
 * (saved here, then cleared there), so switching --storage never costs a
 * new sign-in and never leaves a stale refresh token behind.
 */
#ifndef CLERK_STORE_H
#define CLERK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "tokenset.h"

/* How long auto waits for a Secret Service; storage=keyring waits longer. */
#define STORE_PROBE_AUTO_MS    500
#define STORE_PROBE_KEYRING_MS 3000

struct store;

/*
 * One backend's table. Every function gets the open store: st->cfg names
 * the issuer, client id and profile.
 */
struct store_ops {
	const char *name;
	/* This profile's set, or CLERK_ENOTFOUND when there is none. */
	int (*load)(struct store *st, struct tokenset *out);
	int (*save)(struct store *st, const struct tokenset *ts);
	/*
	 * Remove this profile's set of st->cfg's issuer and client id; a set
	 * of another issuer or client is left where it is (its own logout
	 * revokes it), a broken one is removed. Nothing stored is 0.
	 */
	int (*clear)(struct store *st);
	/*
	 * Who has a set here, any issuer or profile: *@n sets with issuer,
	 * client_id and profile only, no token (for logout --all). Release
	 * each, then free(*@out).
	 */
	int (*list)(struct store *st, struct tokenset **out, size_t *n);
	void (*close)(struct store *st); /* may be NULL */
};

struct store {
	const struct store_ops *ops;
	const struct config *cfg;
	char *why; /* why this store was chosen, for status */
	void *priv;
	/* The peer for moves, file <-> keyring (NULL: none or not known). */
	const struct store_ops *other;
	bool other_known; /* other has been looked for */
	bool notice;      /* auto fell back to the file: say so once */
	const struct store_ops *found; /* who answered the last load */
};

/* The backends, one row each: backends.h. */

/*
 * True when cfg->storage keeps nothing beyond this process (memory): the
 * runtime cache, shared between processes, is then neither read nor
 * written.
 */
bool store_process_only(const struct config *cfg);

/* Open the store cfg->storage names (auto: the best one available). */
int store_open(const struct config *cfg, struct store **out);
/*
 * 0 and the set, or CLERK_ENOTFOUND when nothing is stored. When the
 * chosen store is empty, the other one (file <-> keyring) is read too;
 * st->found says which answered. Nothing moves: see store_load_move().
 */
int store_load(struct store *st, struct tokenset *out);
/*
 * store_load(), and a set found only in the other store is moved into
 * the chosen one (saved, then cleared there; one line on stderr). The
 * caller MUST hold the lock (lock.h). With nothing stored and auto fallen
 * back to the file store, one line on stderr says so and how to choose.
 */
int store_load_move(struct store *st, struct tokenset *out);
int store_save(struct store *st, const struct tokenset *ts);
int store_clear(struct store *st);
/* Clear the chosen store and the other one (file and keyring). */
int store_clear_all(struct store *st);
/*
 * Who has a token set in a store that keeps sets beyond the process (the
 * file store, then the keyring when one answers; the keyring must answer
 * when cfg->storage chose it), any issuer, cfg's own identity first: an
 * array of *@n sets with issuer, client_id and profile only, no token.
 * Release each set, then free(*@out).
 */
int store_list(const struct config *cfg, struct tokenset **out, size_t *n);
void store_close(struct store *st);

#endif
