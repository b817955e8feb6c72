/*
 * Which profile answers a request, and whether its host may have a token
 * (contract §3 "Routing", §4). Every protocol asks here once it has read
 * the request, before any token is looked at.
 *
 * In order, first match wins:
 * 1. a profile named by --profile or CLERK_PROFILE;
 * 2. the one profile whose own section's "hosts" matches the host (two
 *    such profiles: a configuration error naming both);
 * 3. RFC 9728: a Bearer challenge of the server (git's wwwauth[], Cargo's
 *    headers) with resource_metadata on the request's own origin, whose
 *    metadata checks (rsmeta.h) and names among its authorization_servers
 *    the issuer of a configured profile; metadata that names none of them
 *    means the request is not ours;
 * 4. the default profile.
 * Then the host rule of the chosen profile: its host list allows the
 * host, or (3. only) the default profile's list does (the user let that
 * host have a token; the server chose whose), or the metadata's resource
 * is the profile's resource setting.
 *
 * MUST: never hand a token of one profile to a host only another lists;
 * never sign in to an issuer no profile names. A cache hit through 1., 2.
 * or 4. reads the compiled config index and the runtime cache only.
 *
 * Example:
 *	struct route_request req = {.protocol = "https", .host = host};
 *	if ((r = route_request(cfg, &req)))
 *		return r == CLERK_ENOTFOUND ? not_found() : r;
 */
#ifndef CLERK_ROUTE_H
#define CLERK_ROUTE_H

#include "config.h"

struct challenges;

struct route_request {
	const char *protocol; /* "https", "http" (grpcs and the like mapped) */
	const char *host;     /* name[:port], as the caller sent it */
	const char *path;     /* or NULL */
	const struct challenges *challenges; /* the server's, or NULL */
};

/*
 * Choose the profile for @req, loading it into @cfg, and apply its host
 * rule. 0: answer from @cfg. CLERK_ENOTFOUND: not ours (why is said at
 * debug level, and with no host list at all, how to name one).
 * CLERK_ECONFIG and others: said.
 */
int route_request(struct config *cfg, const struct route_request *req);

struct rsmeta;

/*
 * Step 3's choice among the profiles @p (@n of them, config_profiles()):
 * the profile whose issuer the metadata @m names among its
 * authorization_servers, the default profile winning a tie; NULL when
 * none. *@second names another one when the choice is ambiguous.
 */
const struct config_profile_info *route_pick(
        const struct rsmeta *m, const struct config_profile_info *p, size_t n,
        const struct config_profile_info **second);

#endif
