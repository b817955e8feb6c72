/*
 * See httpreq.h.
 *
 * MUST: read no byte at or past @len, and look at no more than
 * HTTP_REQUEST_MAX bytes: the buffer is a socket read buffer, not a
 * C string.
 * MUST: accept only what a browser sends to an origin server: a request
 * line "METHOD SP /target SP HTTP/1.x" and header fields "name: value",
 * lines ending in CRLF or LF. Anything else is HTTP_PARSE_BAD, as early
 * as it can be told (a TLS handshake on the plain port fails at once).
 * MUST: release every copy of the query with secret_free(): it holds the
 * authorization code.
 */
/* strncasecmp() under -std=c11 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "httpreq.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util.h"

#include "banned.h"

/* tchar of RFC 9110 section 5.6.2: the characters of a method or name. */
static bool
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A character of a request target: visible ASCII. */
static bool
is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* A character of a field value: visible, blank or obs-text. */
static bool
is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/*
 * The line at *@p, which ends before @end: *@line is its start and the
 * result its length without the line end (LF or CRLF); *@p moves to the
 * next line. The caller knows that an LF follows before @end.
 */
static size_t
line_take(const char **p, const char *end, const char **line)
{
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = (size_t)(nl - *p);

	*line = *p;
	if (n > 0 && (*p)[n - 1] == '\r')
		n--;
	*p = nl + 1;
	return n;
}

/* True when the first @len bytes hold a whole head; *@head_len its size. */
static bool
head_find(const char *buf, size_t len, size_t *head_len)
{
	const char *p = buf, *end = buf + len, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			*head_len = (size_t)(nl + 1 - buf);
			return true;
		}
		p = nl + 1;
	}
	return false;
}

/*
 * Before the head is complete: true when the bytes of the request line
 * seen so far cannot start a request (binary data, a TLS handshake).
 */
static bool
head_start_bad(const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && buf[i] != '\n'; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c != ' ' && c != '\r' && !is_vchar(c))
			return true;
	}
	return false;
}

static bool
version_ok(const char *v, size_t n)
{
	/* HTTP/1.0 and HTTP/1.1; HTTP/0.9 has no version, HTTP/2 no text. */
	return n == 8 && memcmp(v, "HTTP/1.", 7) == 0 && v[7] >= '0' &&
	       v[7] <= '9';
}

static enum http_parse
parse_request_line(const char *p, size_t n, struct http_request *req)
{
	const char *end = p + n, *t, *q, *qm;
	size_t i;

	for (i = 0; i < n && is_tchar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == n || p[i] != ' ')
		return HTTP_PARSE_BAD;
	/* origin-form only: this is not a proxy and has no "*" resource. */
	t = p + i + 1;
	for (q = t; q < end && is_vchar((unsigned char)*q); q++)
		;
	if (q == t || *t != '/' || q == end || *q != ' ' ||
	    !version_ok(q + 1, (size_t)(end - q - 1)))
		return HTTP_PARSE_BAD;
	qm = memchr(t, '?', (size_t)(q - t));
	if (!(req->method = str_ndup(p, i)) ||
	    !(req->path = str_ndup(t, (size_t)((qm ? qm : q) - t))) ||
	    (qm && !(req->query = str_ndup(qm + 1, (size_t)(q - qm - 1)))))
		return HTTP_PARSE_BAD;
	return HTTP_PARSE_OK;
}

static enum http_parse
parse_header(const char *p, size_t n, struct http_request *req)
{
	const char *v, *end = p + n;
	size_t i;

	/* No blank before the colon, no obs-fold (RFC 9112 section 5). */
	for (i = 0; i < n && is_tchar((unsigned char)p[i]); i++)
		;
	if (i == 0 || i == n || p[i] != ':')
		return HTTP_PARSE_BAD;
	for (v = p + i + 1; v < end; v++)
		if (!is_field_char((unsigned char)*v))
			return HTTP_PARSE_BAD;
	if (i != 4 || strncasecmp(p, "host", 4) != 0)
		return HTTP_PARSE_OK;
	if (req->host)
		return HTTP_PARSE_BAD;
	for (v = p + i + 1; v < end && (*v == ' ' || *v == '\t'); v++)
		;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (!(req->host = str_ndup(v, (size_t)(end - v))))
		return HTTP_PARSE_BAD;
	return HTTP_PARSE_OK;
}

/*
 * On any result but HTTP_PARSE_OK, *@out is left untouched. Running out
 * of memory is reported as HTTP_PARSE_BAD: the enum has no better word
 * and the browser gets a 400 either way.
 */
enum http_parse
http_request_parse(const char *buf, size_t len, struct http_request *out)
{
	struct http_request req = {0};
	const char *p = buf, *end, *line;
	size_t scan, head_len, n;
	enum http_parse r;

	scan = len < HTTP_REQUEST_MAX ? len : HTTP_REQUEST_MAX;
	if (!head_find(buf, scan, &head_len)) {
		if (head_start_bad(buf, scan))
			return HTTP_PARSE_BAD;
		return len < HTTP_REQUEST_MAX ? HTTP_PARSE_MORE
		                              : HTTP_PARSE_TOO_BIG;
	}
	end = buf + head_len;
	n = line_take(&p, end, &line);
	if ((r = parse_request_line(line, n, &req)) != HTTP_PARSE_OK)
		goto out;
	while ((n = line_take(&p, end, &line)) > 0)
		if ((r = parse_header(line, n, &req)) != HTTP_PARSE_OK)
			goto out;
	*out = req;
	memset(&req, 0, sizeof(req));
out:
	http_request_release(&req);
	return r;
}

void
http_request_release(struct http_request *req)
{
	secret_free(req->method);
	secret_free(req->path);
	secret_free(req->query);
	secret_free(req->host);
	memset(req, 0, sizeof(*req));
}
