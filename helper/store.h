/*
 * Where token sets live (SPEC 9), behind one interface:
 *   file    $XDG_STATE_HOME/clerk-credential/tokens-<profile>.json, 0600 in
 *           a 0700 dir, written atomically;
 *   memory  this process only (tests);
 *   keyring the Secret Service (a later store joins through store_ops).
 * A stored set that names another issuer or client id counts as empty.
 */
#ifndef CLERK_STORE_H
#define CLERK_STORE_H

#include "config.h"
#include "tokenset.h"

struct store;

struct store_ops {
	const char *name;
	int (*load)(struct store *st, struct tokenset *out);
	int (*save)(struct store *st, const struct tokenset *ts);
	int (*clear)(struct store *st);
	void (*close)(struct store *st);
};

struct store {
	const struct store_ops *ops;
	const struct config *cfg;
	char *why;	/* why this store was chosen, for status */
	void *priv;
};

/* Open the store cfg->storage names (auto: the best one available). */
int store_open(const struct config *cfg, struct store **out);
/* 0 and the set, or CLERK_ENOTFOUND when nothing is stored. */
int store_load(struct store *st, struct tokenset *out);
int store_save(struct store *st, const struct tokenset *ts);
int store_clear(struct store *st);
void store_close(struct store *st);

extern const struct store_ops store_file_ops;
extern const struct store_ops store_memory_ops;

#endif
