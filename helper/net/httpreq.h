/*
 * Parsing of the HTTP requests that reach the loopback listener: the
 * request head, bounded to HTTP_REQUEST_MAX bytes. A pure function, no
 * I/O: a fuzz target drives it.
 */
#ifndef CLERK_HTTPREQ_H
#define CLERK_HTTPREQ_H

#include <stddef.h>

#define HTTP_REQUEST_MAX 8192

enum http_parse {
	HTTP_PARSE_OK = 0,       /* a whole request head was read */
	HTTP_PARSE_MORE = 1,     /* need more bytes */
	HTTP_PARSE_BAD = -1,     /* malformed */
	HTTP_PARSE_TOO_BIG = -2, /* over HTTP_REQUEST_MAX */
};

struct http_request {
	char *method; /* "GET" */
	char *path;   /* "/callback" (before '?') */
	char *query;  /* after '?', or NULL */
	char *host;   /* Host header value, or NULL */
};

void http_request_release(struct http_request *req);

/*
 * Parse the request head in the first @len bytes of @buf (which need
 * not be NUL-terminated). Lines end in CRLF or LF; the head ends with an
 * empty line. Header names are case-insensitive; a second Host header is
 * HTTP_PARSE_BAD; a body is ignored. Only origin-form targets ("/...")
 * and HTTP/1.x are taken. A head not ended within HTTP_REQUEST_MAX
 * bytes is HTTP_PARSE_TOO_BIG; bytes that cannot start a request line
 * are HTTP_PARSE_BAD before the head is complete. *@out is set only on
 * HTTP_PARSE_OK (release it with http_request_release()); running out
 * of memory is reported as HTTP_PARSE_BAD.
 */
enum http_parse http_request_parse(const char *buf, size_t len,
                                   struct http_request *out);

#endif
