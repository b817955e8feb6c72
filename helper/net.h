/*
 * The network side of clerk-credential, built as a module
 * (clerk-credential-net.so) that links libcurl, GnuTLS and libsecret.
 * The program loads it with dlopen() only when it must talk to the
 * provider or the keyring, so a cache hit maps none of them (SPEC 12). Test
 * programs link it in directly; net_load() then finds the built-in table.
 */
#ifndef CLERK_NET_H
#define CLERK_NET_H

#include <stddef.h>

#include "config.h"
#include "tokenset.h"

struct store_ops;

#define NET_API_VERSION 2

struct net_api {
	unsigned version; /* NET_API_VERSION */
	/*
	 * Refresh @ts in place with its refresh token (CLERK_EGRANT: dead).
	 * On failure @ts is unchanged, except for a rotated refresh token
	 * from an answer refused for its ID token: the caller stores it.
	 */
	int (*refresh)(const struct config *cfg, struct tokenset *ts);
	/* Sign in through the browser; fills @ts (userinfo best-effort). */
	int (*signin)(const struct config *cfg, struct tokenset *ts);
	/* Fetch userinfo with @ts->access_token into @ts->userinfo. */
	int (*userinfo)(const struct config *cfg, struct tokenset *ts);
	/*
	 * Revoke @ts's refresh token, and its access token when opaque, at
	 * the provider (RFC 7009). Failures are warnings (logged here); the
	 * caller clears its local copies whatever the result.
	 */
	int (*revoke)(const struct config *cfg, const struct tokenset *ts);
	/* The keyring store (store_keyring.h): libsecret lives here. */
	const struct store_ops *keyring_ops;
	/* A Secret Service answers within @timeout_ms? (keyring_probe()) */
	int (*keyring_probe)(int timeout_ms, char **why);
	/* Who has tokens in the keyring (keyring_list()). */
	int (*keyring_list)(struct tokenset **out, size_t *n);
};

/* The table the module exports under this name. */
extern const struct net_api clerk_net_api;
#define NET_API_SYMBOL  "clerk_net_api"
#define NET_MODULE_NAME "clerk-credential-net.so"

/* Load the module (once) and return its table. */
int net_load(const struct net_api **out);

#endif
