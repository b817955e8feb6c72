/* See hostrule.h. */
#include "hostrule.h"

#include <string.h>
#include <strings.h>

#include "util.h"

#include "banned.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
port_valid(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

bool
host_port_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > HOST_MAX)
		return false;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return false;
		if (i >= n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			char c = s[i];

			if (!(c == '.' || c == '-' || is_digit(c) ||
			      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	return s[i] == ':' && port_valid(s + i + 1, n - i - 1);
}

bool
host_pattern_valid(const char *pattern)
{
	if (str_starts_with(pattern, "*.") && pattern[2] != '[')
		pattern += 2;
	return host_port_valid(pattern, strlen(pattern));
}

void
host_split(const char *s, size_t *hostlen, const char **port)
{
	const char *colon, *close;

	if (s[0] == '[') {
		close = strchr(s, ']');
		*hostlen = close ? (size_t)(close - s) + 1 : strlen(s);
		if (port)
			*port = close && close[1] == ':' ? close + 2 : NULL;
		return;
	}
	colon = strrchr(s, ':');
	*hostlen = colon ? (size_t)(colon - s) : strlen(s);
	if (port)
		*port = colon ? colon + 1 : NULL;
}

/* "*.example.com" (its host part @plen bytes long)? */
static bool
pattern_is_wildcard(const char *pattern, size_t plen)
{
	return plen > 2 && pattern[0] == '*' && pattern[1] == '.';
}

void
host_pattern_key(const char *pattern, size_t *start, size_t *len)
{
	size_t plen;

	host_split(pattern, &plen, NULL);
	*start = pattern_is_wildcard(pattern, plen) ? 1 : 0;
	*len = plen - *start;
}

bool
host_pattern_match(const char *pattern, const char *host)
{
	size_t plen, hlen;
	const char *pport, *hport;

	/* Only a host: "a.example.com:@evil" or "evil/.example.com" is not
	 * one, however a caller came to send it. */
	if (!host_port_valid(host, strlen(host)))
		return false;
	host_split(pattern, &plen, &pport);
	host_split(host, &hlen, &hport);
	/* A pattern without a port matches any port of that host. */
	if (pport && (!hport || strcmp(pport, hport) != 0))
		return false;
	if (pattern_is_wildcard(pattern, plen)) {
		/* "*.example.com" matches a.example.com, a.b.example.com. */
		size_t slen = plen - 1; /* ".example.com" */

		return hlen > slen &&
		       strncasecmp(host + hlen - slen, pattern + 1, slen) == 0;
	}
	return plen == hlen && strncasecmp(pattern, host, plen) == 0;
}

static bool
host_is_loopback(const char *host)
{
	size_t n;
	const char *port;

	host_split(host, &n, &port);
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	       (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

bool
host_protocol_allowed(const char *protocol, const char *host)
{
	/* A bearer token never travels in clear text off this machine. */
	return protocol && host &&
	       (strcmp(protocol, "https") == 0 ||
	        (strcmp(protocol, "http") == 0 && host_is_loopback(host)));
}

bool
host_list_match(const char *const *patterns, size_t n, const char *host)
{
	size_t i;

	if (!host || !*host)
		return false;
	for (i = 0; i < n; i++)
		if (host_pattern_match(patterns[i], host))
			return true;
	return false;
}
