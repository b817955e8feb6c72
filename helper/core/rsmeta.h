/*
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): what a server that
 * asks for a Bearer token says about itself in the resource_metadata
 * parameter of its challenge, namely which resource it is and which
 * authorization servers issue its tokens. The caller routes a request
 * to the profile whose issuer is among those servers (contract §3).
 *
 * The parts that judge outside input (the document, the URL of the
 * challenge, the resource against the request) are pure functions;
 * rsmeta_get() adds a day's cache in the state dir and the fetch through
 * the network module, which is loaded only on a cache miss.
 *
 * Example (a git request for https://git.example.com, whose server
 * answered with resource_metadata="URL"):
 *	struct rsmeta m = RSMETA_INIT;
 *	r = rsmeta_get(cfg, url, "https", "git.example.com", NULL, &m);
 *	if (r == 0)
 *		... m.servers[0 .. m.nservers) ...
 *	rsmeta_release(&m);
 */
#ifndef CLERK_RSMETA_H
#define CLERK_RSMETA_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Bounds of a document (RFC 9728 sets none; these are generous). */
#define RSMETA_MAX_DOC     (64 * 1024)
#define RSMETA_MAX_SERVERS 16
#define RSMETA_MAX_STRING  2048
/* How long a fetched document is used, in seconds. */
#define RSMETA_MAX_AGE 86400

struct rsmeta {
	char *resource; /* as sent */
	char **servers; /* authorization_servers, NULL-terminated */
	size_t nservers;
};

#define RSMETA_INIT           \
	{                     \
		NULL, NULL, 0 \
	}

/*
 * Parse a protected resource metadata document (RFC 9728 §2): a JSON
 * object with "resource" (string, required) and "authorization_servers"
 * (array of strings, optional); other members ignored; at most 64 KiB,
 * 16 servers, 2048 bytes a string, no empty string; NUL / duplicate
 * members refused (json.h's parser already refuses duplicates).
 * CLERK_EPROTO on anything else, nothing logged. On success @out
 * (RSMETA_INIT or a previous result) is released and replaced; on
 * failure it is untouched. A document without authorization_servers
 * parses, with nservers 0 and servers a list holding only NULL.
 */
int rsmeta_parse(const char *text, size_t len, struct rsmeta *out);

/* Free what @m holds and reset it to RSMETA_INIT. */
void rsmeta_release(struct rsmeta *m);

/*
 * The metadata URL from a challenge may be fetched for a request to
 * @protocol://@host: an https URL (http only to loopback hosts) whose
 * host[:port] equals @host (ports compared with defaults: https 443,
 * http 80; host case-insensitive), no user info, no fragment. Refused
 * too: an upper-case scheme, blanks, controls, non-ASCII bytes and '\',
 * URLs over RSMETA_MAX_STRING bytes, and a @protocol or @host that the
 * host rule refuses (hostrule.h).
 */
bool rsmeta_url_allowed(const char *url, const char *protocol,
                        const char *host);

/*
 * RFC 9728 §3.3 as a helper that sees only an origin can apply it:
 * @resource is an absolute URL with the request's scheme, host and port,
 * and its path is a prefix of @path (at a "/" boundary) when @path is
 * given (git sends a path only with credential.useHttpPath). @path is
 * the request's path with or without its leading '/'; a resource's own
 * query is not compared; a resource with user info or a fragment never
 * matches. "https://h/api" matches the paths "api" and "api/x", not
 * "apix"; "https://h/" and "https://h" match every path.
 */
bool rsmeta_resource_matches(const char *resource, const char *protocol,
                             const char *host, const char *path);

/*
 * The metadata at @url for a request to protocol://host/path: from the
 * cache (state dir, "resource-<16 hex of FNV-1a of the url>.json", 0600,
 * a day, checked again on every read) else fetched through the network
 * module (net_load(), only on a cache miss) and cached when it checks.
 * 0 and *@out; CLERK_ENOTFOUND the URL is not allowed or the document
 * does not check: it does not parse, or its resource does not match the
 * request (said at debug level; the caller treats that as "no
 * metadata"); CLERK_ENET etc. when the fetch failed (said).
 */
int rsmeta_get(const struct config *cfg, const char *url, const char *protocol,
               const char *host, const char *path, struct rsmeta *out);

/*
 * Every document of the cache still within its day, for `status` (which
 * shows the routes they make): 0 and a new array of *@n (none when the
 * state dir does not exist); free it with rsmeta_free_all(). A file that
 * is not private, or does not parse, is skipped (said at debug level).
 */
int rsmeta_cached(struct rsmeta **out, size_t *n);
void rsmeta_free_all(struct rsmeta *all, size_t n);

#endif
