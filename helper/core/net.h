/*
 * The network side of clerk-credential, built as a module
 * (clerk-credential-net.so) that links libcurl and GnuTLS (modload.h).
 * The program loads it with dlopen() only when it must talk to the
 * provider, so a cache hit maps none of them (contract §15). The keyring has a
 * module of its own (keyring.h), so that a refresh maps neither
 * libsecret nor GLib. Test programs link it in directly; net_load() then
 * finds the built-in table.
 */
#ifndef CLERK_NET_H
#define CLERK_NET_H

#include "config.h"
#include "tokenset.h"

#define NET_API_VERSION 3

struct net_api {
	unsigned version; /* NET_API_VERSION, first (modload.h) */
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
};

/* The table the module exports under this name. */
extern const struct net_api clerk_net_api;
#define NET_API_SYMBOL  "clerk_net_api"
#define NET_MODULE_NAME "clerk-credential-net.so"

/* Load the module (once) and return its table (net.c). */
int net_load(const struct net_api **out);

#endif
