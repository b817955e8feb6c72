/*
 * See rsmeta.h.
 *
 * MUST: fetch a metadata URL only when it names the very origin of the
 * request, over https (http only to loopback), so that a challenge cannot
 * make this program contact a third host or leave the machine in clear
 * text; bound the document (64 KiB, 16 servers, 2048 bytes a string)
 * before keeping any of it; check a cached document exactly like a
 * fetched one, on every read, with the request at hand; cache only a
 * document that checked. MUST NOT: send a credential with the fetch (the
 * network module's fetch has no way to); follow a redirect; log the
 * document; treat a document that does not check as anything but "no
 * metadata".
 */
#include "rsmeta.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "hostrule.h"
#include "json.h"
#include "log.h"
#include "net.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

void
rsmeta_release(struct rsmeta *m)
{
	size_t i;

	free(m->resource);
	for (i = 0; m->servers && m->servers[i]; i++)
		free(m->servers[i]);
	free(m->servers);
	m->resource = NULL;
	m->servers = NULL;
	m->nservers = 0;
}

/* --- the document -------------------------------------------------- */

/* A string member's value of 1 to RSMETA_MAX_STRING bytes, else NULL. */
static const char *
bounded_string(const struct json *node)
{
	const char *s = json_string_value(node);

	if (!s || !*s || strnlen(s, RSMETA_MAX_STRING + 1) > RSMETA_MAX_STRING)
		return NULL;
	return s;
}

/* authorization_servers, absent or an array of bounded strings. */
static int
take_servers(const struct json *doc, struct rsmeta *m)
{
	const struct json *arr = json_get(doc, "authorization_servers");
	size_t i, n;

	n = arr ? json_array_size(arr) : 0;
	if (arr && (!json_is_array(arr) || n > RSMETA_MAX_SERVERS))
		return CLERK_EPROTO;
	if (!(m->servers = calloc(n + 1, sizeof(*m->servers))))
		return CLERK_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = bounded_string(json_array_item(arr, i));

		if (!s)
			return CLERK_EPROTO;
		if (!(m->servers[i] = strdup(s)))
			return CLERK_ENOMEM;
		m->nservers++;
	}
	return 0;
}

int
rsmeta_parse(const char *text, size_t len, struct rsmeta *out)
{
	struct rsmeta m = RSMETA_INIT;
	struct json *doc = NULL;
	const char *resource;
	int r = CLERK_EPROTO;

	if (!text || len > RSMETA_MAX_DOC || memchr(text, '\0', len))
		return CLERK_EPROTO;
	doc = json_parse(text, len);
	if (!json_is_object(doc) ||
	    !(resource = bounded_string(json_get(doc, "resource"))))
		goto out;
	if (!(m.resource = strdup(resource))) {
		r = CLERK_ENOMEM;
		goto out;
	}
	if ((r = take_servers(doc, &m)))
		goto out;
	rsmeta_release(out);
	*out = m;
	memset(&m, 0, sizeof(m));
out:
	rsmeta_release(&m);
	json_free(doc);
	return r;
}

/* --- URLs ------------------------------------------------------------ */

/* An absolute http(s) URL split into its parts (pointing into it). */
struct url_parts {
	bool https;
	const char *host; /* the host, brackets of an IPv6 literal kept */
	size_t hostlen;
	long port;        /* the port given, else the scheme's default */
	const char *path; /* up to '?' or the end; "" or starting with '/' */
	size_t pathlen;
};

/* The port after the host of a valid authority (@a, @n bytes). */
static long
authority_port(const char *a, size_t n, size_t hostlen, bool https)
{
	long v = 0;
	size_t i;

	if (hostlen == n)
		return https ? 443 : 80;
	for (i = hostlen + 1; i < n; i++)
		v = v * 10 + (a[i] - '0');
	return v;
}

/*
 * Split @url: "https://" or "http://" (lower case), host[:port] as the
 * host rule accepts it (no user info, no '%'), then an optional path and
 * query; no fragment, blank, control, non-ASCII byte or '\', at most
 * RSMETA_MAX_STRING bytes.
 */
static bool
url_split(const char *url, struct url_parts *u)
{
	const char *a;
	size_t i, n;

	if (!url)
		return false;
	for (i = 0; url[i]; i++) {
		unsigned char c = (unsigned char)url[i];

		if (i >= RSMETA_MAX_STRING || c <= 0x20 || c >= 0x7f ||
		    c == '\\' || c == '#')
			return false;
	}
	if (str_starts_with(url, "https://"))
		u->https = true;
	else if (str_starts_with(url, "http://"))
		u->https = false;
	else
		return false;
	a = url + (u->https ? 8 : 7);
	n = strcspn(a, "/?");
	if (!host_port_valid(a, n))
		return false;
	u->host = a;
	if (a[0] == '[')
		u->hostlen = (size_t)((const char *)memchr(a, ']', n) - a) + 1;
	else
		u->hostlen = strcspn(a, ":/?");
	u->port = authority_port(a, n, u->hostlen, u->https);
	u->path = a + n;
	u->pathlen = strcspn(u->path, "?");
	return true;
}

/*
 * Does the authority of @u name @host[:port] of a request over https
 * (@https) or http? Host without regard to case, ports with defaults.
 */
static bool
same_origin_host(const struct url_parts *u, bool https, const char *host)
{
	size_t n = strlen(host), hostlen;
	const char *port;
	long want;

	if (!host_port_valid(host, n))
		return false;
	host_split(host, &hostlen, &port);
	want = authority_port(host, n, hostlen, https);
	return hostlen == u->hostlen && u->port == want &&
	       strncasecmp(host, u->host, hostlen) == 0;
}

/* "https" or "http": the request's protocol as a flag; false otherwise. */
static bool
request_protocol(const char *protocol, const char *host, bool *https)
{
	if (!host_protocol_allowed(protocol, host))
		return false;
	*https = strcmp(protocol, "https") == 0;
	return true;
}

bool
rsmeta_url_allowed(const char *url, const char *protocol, const char *host)
{
	struct url_parts u;
	bool https;

	if (!request_protocol(protocol, host, &https) || !url_split(url, &u))
		return false;
	/* Clear text only to this machine: the host is a loopback name. */
	if (!u.https && !host_protocol_allowed("http", host))
		return false;
	return same_origin_host(&u, https, host);
}

/*
 * Is the resource's path @rp (@rn bytes) a prefix of the request's path
 * @path at a '/' boundary? One trailing '/' of @rp is not compared, and
 * @path may come with or without its leading '/'.
 */
static bool
path_prefix(const char *rp, size_t rn, const char *path)
{
	size_t pn;

	if (rn > 0 && rp[rn - 1] == '/')
		rn--;
	if (rn == 0)
		return true;
	/* rp starts with '/' (url_split), so rp + 1 is compared with a path
	 * that has no leading '/'. */
	if (*path == '/')
		path++;
	rp++;
	rn--;
	pn = strlen(path);
	return pn >= rn && memcmp(rp, path, rn) == 0 &&
	       (pn == rn || path[rn] == '/');
}

bool
rsmeta_resource_matches(const char *resource, const char *protocol,
                        const char *host, const char *path)
{
	struct url_parts u;
	bool https;

	if (!request_protocol(protocol, host, &https) ||
	    !url_split(resource, &u) || u.https != https ||
	    !same_origin_host(&u, https, host))
		return false;
	return !path || !*path || path_prefix(u.path, u.pathlen, path);
}

/* --- the cache and the fetch ---------------------------------------- */

/* <state>/resource-<16 hex of FNV-1a of @url>.json */
static int
cache_path(const char *url, char **out)
{
	char *dir = NULL, name[64];
	int r;

	snprintf(name, sizeof(name), "resource-%016llx.json",
	         (unsigned long long)hash_fnv1a64(url, HASH_FNV1A64_INIT));
	if ((r = paths_state_dir(&dir)) == 0)
		r = paths_join(dir, name, out);
	free(dir);
	return r;
}

/* Parse @text and check it against the request; CLERK_ENOTFOUND if not. */
static int
check_doc(const char *text, size_t len, const char *protocol, const char *host,
          const char *path, struct rsmeta *out)
{
	struct rsmeta m = RSMETA_INIT;
	int r = rsmeta_parse(text, len, &m);

	if (r == CLERK_ENOMEM)
		return r;
	if (r || !rsmeta_resource_matches(m.resource, protocol, host, path)) {
		rsmeta_release(&m);
		return CLERK_ENOTFOUND;
	}
	rsmeta_release(out);
	*out = m;
	return 0;
}

/* The cached document when younger than a day and still checking. */
static int
load_cached(const char *file, const char *protocol, const char *host,
            const char *path, struct rsmeta *out)
{
	char *text = NULL;
	size_t len = 0;
	/* Ours and private: a forged list of servers would route tokens. */
	int r = file_read_fresh(file, RSMETA_MAX_AGE, RSMETA_MAX_DOC, &text,
	                        &len);

	if (r == CLERK_ENOTFOUND)
		return r;
	if (!r)
		r = check_doc(text, len, protocol, host, path, out);
	if (r && r != CLERK_ENOMEM) {
		log_debug("resource metadata: ignoring the cache %s", file);
		r = CLERK_ENOTFOUND;
	}
	secret_free(text);
	return r;
}

/* Fetch @url through the network module; cache the document if it checks. */
static int
fetch(const struct config *cfg, const char *url, const char *file,
      const char *protocol, const char *host, const char *path,
      struct rsmeta *out)
{
	const struct net_api *net;
	char *body = NULL;
	size_t len = 0;
	int r;

	if ((r = net_load(&net)) ||
	    (r = net->fetch(cfg, url, RSMETA_MAX_DOC, &body, &len)))
		goto out;
	if ((r = check_doc(body, len, protocol, host, path, out))) {
		if (r == CLERK_ENOTFOUND)
			log_debug("resource metadata: %s is not a document for "
			          "%s://%s",
			          url, protocol, host);
		goto out;
	}
	/* The cache only saves a request: failing to write it is fine. */
	if (file && file_write_atomic(file, body, len, 0600))
		log_debug("resource metadata: could not write the cache %s",
		          file);
out:
	secret_free(body);
	return r;
}

int
rsmeta_get(const struct config *cfg, const char *url, const char *protocol,
           const char *host, const char *path, struct rsmeta *out)
{
	char *file = NULL, shown[201];
	int r;

	if (!rsmeta_url_allowed(url, protocol, host)) {
		log_debug("resource metadata: not fetching %s: not the "
		          "request's own host and port, or not https",
		          url ? str_printable(url, shown, sizeof(shown)) : "");
		return CLERK_ENOTFOUND;
	}
	if (cache_path(url, &file))
		log_debug("resource metadata: no cache (state dir unusable)");
	if (file) {
		r = load_cached(file, protocol, host, path, out);
		if (!r)
			log_debug("resource metadata: using the cache %s",
			          file);
		if (r != CLERK_ENOTFOUND)
			goto out;
	}
	r = fetch(cfg, url, file, protocol, host, path, out);
out:
	free(file);
	return r;
}

/* "resource-" 16 hex ".json": a name cache_path() makes. */
static bool
cache_name(const char *name)
{
	size_t i;

	if (strlen(name) != 30 || strncmp(name, "resource-", 9) != 0 ||
	    strcmp(name + 25, ".json") != 0)
		return false;
	for (i = 9; i < 25; i++)
		if (!strchr("0123456789abcdef", name[i]))
			return false;
	return true;
}

/* The cache file @dir/@name as a document, when young and private. */
static int
cached_doc(const char *dir, const char *name, struct rsmeta *out)
{
	char *file = NULL, *text = NULL;
	size_t len = 0;
	int r;

	if ((r = paths_join(dir, name, &file)))
		return r;
	r = file_read_fresh(file, RSMETA_MAX_AGE, RSMETA_MAX_DOC, &text, &len);
	if (r == 0)
		r = rsmeta_parse(text, len, out);
	if (r && r != CLERK_ENOMEM && r != CLERK_ENOTFOUND)
		log_debug("resource metadata: skipping the cache %s", file);
	secret_free(text);
	free(file);
	return r == CLERK_ENOMEM ? r : r ? CLERK_ENOTFOUND : 0;
}

int
rsmeta_cached(struct rsmeta **out, size_t *n)
{
	struct rsmeta *all = NULL, *grown, m;
	size_t alloc = 0;
	struct dirent *de;
	char *dir = NULL;
	DIR *d;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (paths_state_dir(&dir) || !(d = opendir(dir))) {
		free(dir);
		return 0;
	}
	while (!r && (de = readdir(d))) {
		m = (struct rsmeta)RSMETA_INIT;
		if (!cache_name(de->d_name) ||
		    (r = cached_doc(dir, de->d_name, &m)) == CLERK_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r)
			break;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 4;
			if (!(grown = realloc(all, alloc * sizeof(*all)))) {
				rsmeta_release(&m);
				r = CLERK_ENOMEM;
				break;
			}
			all = grown;
		}
		all[(*n)++] = m;
	}
	closedir(d);
	free(dir);
	if (r) {
		rsmeta_free_all(all, *n);
		*n = 0;
		return r;
	}
	*out = all;
	return 0;
}

void
rsmeta_free_all(struct rsmeta *all, size_t n)
{
	size_t i;

	for (i = 0; all && i < n; i++)
		rsmeta_release(&all[i]);
	free(all);
}
