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

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "tokenset.h"

#define NET_API_VERSION 5

#define NET_PROBE_TEXT 256

/*
 * What `doctor` learns from the provider without signing in (probe
 * below). Text fields are printable ASCII, cut to fit, and hold no
 * secret; "" when unknown.
 */
struct net_probe {
	/* 0, or why discovery failed: CLERK_ENET (no answer), CLERK_ETLS,
	 * CLERK_ECONFIG (unusable issuer URL), CLERK_EPROVIDER (an HTTP
	 * error, a bad document, another issuer). */
	int discovery;
	long discovery_status;           /* HTTP status, 0: none */
	char doc_issuer[NET_PROBE_TEXT]; /* the issuer the document names */
	int64_t server_date;             /* its Date header, 0: none */
	int64_t local_date;              /* our clock when it came */
	/* Only when discovery is 0: 0 the application accepted the dry
	 * authorization request, CLERK_EPROVIDER it refused it, else no
	 * usable answer came. */
	int authorize;
	long authorize_status;
	char authorize_error[64];
	char authorize_detail[NET_PROBE_TEXT]; /* error_description */
	char refused_scope[64]; /* the scope whose removal made it pass */
	char redirect_uri[64];  /* the redirect URI it was asked with */
};

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
	/*
	 * `doctor`: fetch the discovery document (never from the cache),
	 * note its issuer and Date, then send one dry authorization request
	 * (no cookie, no redirect followed, nothing signed in) and read the
	 * application's answer; on invalid_scope, once more per scope left
	 * out. Fills @out; returns 0 unless memory ran out.
	 */
	int (*probe)(const struct config *cfg, struct net_probe *out);
	/*
	 * GET @url under the URL rule (contract §8: https, http only to
	 * loopback, TLS verified, no redirect followed, 10 s to connect,
	 * 30 s in all), without any credential. Only a 200 answer of at
	 * most @max bytes (capped at 1 MiB) is taken, whatever its
	 * Content-Type: 0 and *@body (NUL-terminated, free with
	 * secret_free()) and *@len. Else, said here: CLERK_ECONFIG the URL
	 * is refused, CLERK_EPROTO the answer is too large, CLERK_EPROVIDER
	 * another status, CLERK_ENET / CLERK_ETLS as for the others.
	 */
	int (*fetch)(const struct config *cfg, const char *url, size_t max,
	             char **body, size_t *len);
};

/* The table the module exports under this name. */
extern const struct net_api clerk_net_api;
#define NET_API_SYMBOL  "clerk_net_api"
#define NET_MODULE_NAME "clerk-credential-net.so"

/* Load the module (once) and return its table (net.c). */
int net_load(const struct net_api **out);

#endif
