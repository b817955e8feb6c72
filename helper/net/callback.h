/*
 * Parsing of the HTTP requests that reach the loopback listener: the
 * request head (bounded to CALLBACK_MAX_REQUEST bytes) and the OAuth
 * callback parameters of "GET /callback?...". Pure functions, no I/O:
 * this is what the fuzz target drives.
 */
#ifndef CLERK_CALLBACK_H
#define CLERK_CALLBACK_H

#include <stddef.h>

#define CALLBACK_MAX_REQUEST 8192

enum http_parse {
	HTTP_PARSE_OK = 0,       /* a whole request head was read */
	HTTP_PARSE_MORE = 1,     /* need more bytes */
	HTTP_PARSE_BAD = -1,     /* malformed */
	HTTP_PARSE_TOO_BIG = -2, /* over CALLBACK_MAX_REQUEST */
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
 * and HTTP/1.x are taken. A head not ended within CALLBACK_MAX_REQUEST
 * bytes is HTTP_PARSE_TOO_BIG; bytes that cannot start a request line
 * are HTTP_PARSE_BAD before the head is complete. *@out is set only on
 * HTTP_PARSE_OK (release it with http_request_release()); running out
 * of memory is reported as HTTP_PARSE_BAD.
 */
enum http_parse http_request_parse(const char *buf, size_t len,
                                   struct http_request *out);

struct callback_params {
	char *code; /* secret: wiped on release */
	char *state;
	char *iss;
	char *error;
	char *error_description;
};

void callback_params_release(struct callback_params *cb);

/*
 * Decode the callback query (NULL: none). A parameter given twice, a bad
 * %-escape or an escaped NUL is CLERK_EPROTO; values stay NULL when
 * absent; '+' is a space. *@out is set only on success.
 */
int callback_parse_query(const char *query, struct callback_params *out);

#endif
