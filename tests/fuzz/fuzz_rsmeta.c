/*
 * libFuzzer target: RFC 9728 protected resource metadata (rsmeta.c): the
 * document parser, the metadata URL of a challenge and the resource
 * against the request. The input is one byte whose low bit picks the
 * request's protocol (1 https, 0 http), then three lines, the request's
 * host, its path (an empty line: none) and the metadata URL, then the
 * document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "rsmeta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The next line of @*p (up to @end) as a string; "" past the end. */
static char *
next_line(char **p, char *end)
{
	char *line = *p, *nl;

	if (*p >= end)
		return end;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	if (!nl)
		nl = end;
	*nl = '\0';
	*p = nl < end ? nl + 1 : end;
	return line;
}

/* What an allowed URL or a matching resource can never hold. */
static void
check_url(const char *url)
{
	const char *auth = strstr(url, "://");
	size_t n;

	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		__builtin_trap();
	if (strchr(url, '#') || strchr(url, ' ') ||
	    strlen(url) > RSMETA_MAX_STRING)
		__builtin_trap();
	/* No user info: no '@' before the path ('@' in a path is fine). */
	auth += 3;
	n = strcspn(auth, "/?");
	if (n == 0 || memchr(auth, '@', n) || memchr(auth, '%', n))
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rsmeta m = RSMETA_INIT;
	const char *protocol, *host, *path, *url;
	char *buf, *p, *end;
	size_t i;

	if (size < 1)
		return 0;
	log_set_silent(true);
	protocol = data[0] & 1 ? "https" : "http";
	if (!(buf = malloc(size)))
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	p = buf;
	end = buf + size - 1;
	host = next_line(&p, end);
	path = next_line(&p, end);
	url = next_line(&p, end);
	if (!*path)
		path = NULL;
	if (rsmeta_url_allowed(url, protocol, host))
		check_url(url);
	if (rsmeta_resource_matches(url, protocol, host, path))
		check_url(url);
	if (rsmeta_parse(p, (size_t)(end - p), &m) == 0) {
		if (!m.resource || !*m.resource ||
		    m.nservers > RSMETA_MAX_SERVERS || m.servers[m.nservers])
			__builtin_trap();
		for (i = 0; i < m.nservers; i++)
			if (strlen(m.servers[i]) > RSMETA_MAX_STRING)
				__builtin_trap();
		if (rsmeta_resource_matches(m.resource, protocol, host, path))
			check_url(m.resource);
	}
	rsmeta_release(&m);
	free(buf);
	return 0;
}
