/*
 * The host rule: which hosts may receive a token. Every host a request
 * names is checked here before anything else looks at it, and a host
 * that passes is handed a bearer token: this file decides who gets one.
 *
 * The rule in plain words. A request names a protocol and a host, with
 * or without ":port". The token goes out when the protocol is https (or
 * http to this machine: localhost, 127.0.0.1 or [::1]) and a pattern of
 * the configured host list matches the host. A pattern is either exact,
 * "git.example.com", which matches that host alone, or a wildcard,
 * "*.example.com", which matches every host that ends in ".example.com"
 * with at least one character before that dot, at any depth
 * (a.example.com, a.b.example.com) but never example.com itself. A
 * pattern with ":port" matches only a host that names that same port
 * text; a pattern without one matches the host on any port.
 *
 * MUST: refuse, before any pattern is looked at, a host that is not a
 * host: anything but letters, digits, '.' and '-' (or an IPv6 literal
 * in brackets of hex digits, ':' and '.'), then optionally ':' and a
 * port from 1 to 65535, HOST_MAX bytes at most. No user info, '/', '%',
 * '_', space, NUL, empty host or empty port ever matches.
 * MUST: compare host names without regard to ASCII case, and nothing
 * else loosely: no trailing-dot folding ("git.example.com." matches only
 * the pattern "git.example.com."), no port normalising ("0443" is not
 * "443"), no IPv6 normalising ("[::1]" is not "[0::1]"), no IDNA.
 * MUST: match a wildcard only on a label boundary: "*.example.com" does
 * not match "evilexample.com", "example.com" or "a.example.com.evil".
 * MUST NOT: send a bearer token in clear text off this machine: http is
 * allowed for the loopback names above only, every other protocol never
 * (compared exactly: "HTTPS" is not https).
 * The rule knows no public suffixes: "*.com" is a valid pattern and
 * matches every .com host. Empty labels are not refused:
 * "a..example.com" is a host to the rule (and matches "*.example.com");
 * no resolver finds it.
 */
#ifndef CLERK_HOSTRULE_H
#define CLERK_HOSTRULE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest host[:port] accepted: a 253-byte name, ':' and 5 digits. */
#define HOST_MAX 261

/*
 * Is @s (exactly @n bytes) a host the host rule can match: a host name
 * (letters, digits, '.', '-') or an IPv6 literal in brackets, then
 * optionally ':' and a port from 1 to 65535, HOST_MAX bytes at
 * most? Nothing else: no user info, '/', '%', space, NUL or empty port.
 * The one check of every host a request names, for every protocol.
 */
bool host_port_valid(const char *s, size_t n);

/*
 * Is @pattern a pattern the host list may hold: what host_port_valid()
 * accepts, or "*." and a host name (not an IPv6 literal), either with
 * an optional ":port"?
 */
bool host_pattern_valid(const char *pattern);

/*
 * Split "host:port" or "[v6]:port": *@hostlen is the length of the host
 * part; *@port (when @port is not NULL) the port text or NULL.
 */
void host_split(const char *s, size_t *hostlen, const char **port);

/*
 * True when @pattern (valid, see host_pattern_valid()) matches @host,
 * by the rule above; false for any @host that host_port_valid() refuses.
 */
bool host_pattern_match(const char *pattern, const char *host);

/*
 * The part of @pattern a matching host's host part equals (an exact
 * pattern) or ends with ("*.example.com": ".example.com"), as an offset
 * and a length: what a table of patterns is keyed on (cfgindex.h).
 */
void host_pattern_key(const char *pattern, size_t *start, size_t *len);

/*
 * May a token for @host travel over @protocol: "https", or "http" when
 * @host (with or without a port) is localhost, 127.0.0.1 or [::1]?
 * False for a NULL @protocol or @host.
 */
bool host_protocol_allowed(const char *protocol, const char *host);

/*
 * True when one of the @n patterns at @patterns matches @host, and
 * @host is neither NULL nor empty.
 */
bool host_list_match(const char *const *patterns, size_t n, const char *host);

#endif
