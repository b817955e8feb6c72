/*
 * The network side of clerk-credential, built as a module
 * (clerk-credential-net.so) that links libcurl and GnuTLS. The program
 * loads it with dlopen() only when it must talk to the provider, so a
 * cache hit maps neither library (SPEC 12). Test programs link it in
 * directly; net_load() then finds the built-in table.
 */
#ifndef CLERK_NET_H
#define CLERK_NET_H

#include "config.h"
#include "tokenset.h"

#define NET_API_VERSION 1

struct net_api {
	unsigned version;	/* NET_API_VERSION */
	/* Refresh @ts in place with its refresh token (CLERK_EGRANT: dead). */
	int (*refresh)(const struct config *cfg, struct tokenset *ts);
	/* Sign in through the browser; fills @ts (userinfo best-effort). */
	int (*signin)(const struct config *cfg, struct tokenset *ts);
	/* Fetch userinfo with @ts->access_token into @ts->userinfo. */
	int (*userinfo)(const struct config *cfg, struct tokenset *ts);
};

/* The table the module exports under this name. */
extern const struct net_api clerk_net_api;
#define NET_API_SYMBOL "clerk_net_api"
#define NET_MODULE_NAME "clerk-credential-net.so"

/* Load the module (once) and return its table. */
int net_load(const struct net_api **out);

#endif
