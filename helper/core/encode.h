/*
 * Encodings: base64url without padding (RFC 4648 section 5), percent
 * encoding for URLs, application/x-www-form-urlencoded bodies and query
 * strings (built with form_add()), and lookup in a query string.
 */
#ifndef CLERK_ENCODE_H
#define CLERK_ENCODE_H

#include <stddef.h>

#include "util.h"

/* Append base64url(@data) without '=' padding to @sb. */
int base64url_encode(const void *data, size_t len, struct strbuf *sb);

/*
 * Decode base64url @s (@len bytes, no padding, '=' padding tolerated at
 * the end) into a new buffer *@out of *@outlen bytes plus a NUL. Any
 * other character is CLERK_EPROTO.
 */
int base64url_decode(const char *s, size_t len, unsigned char **out,
                     size_t *outlen);

/* Append @s percent-encoded: all but ALPHA DIGIT - . _ ~ (RFC 3986). */
int url_encode(const char *s, struct strbuf *sb);

/*
 * Append "@key=@value" to the form body or query string @sb, after a '&'
 * unless @sb is empty: @value percent-encoded as url_encode() does, @key
 * as it is (a name from the code, never outside input). One encoder for
 * the token, revocation and device requests and the authorization URL.
 */
int form_add(struct strbuf *sb, const char *key, const char *value);

/*
 * Decode percent-encoding of @s (@len bytes) into a new string; with
 * @plus_is_space, '+' is a space (form encoding). A decoded NUL or a bad
 * escape is CLERK_EPROTO.
 */
int url_decode(const char *s, size_t len, int plus_is_space, char **out);

/*
 * Find @key in the query string @query ("a=1&b=2", no leading '?') and
 * return its decoded value in *@out (NULL if absent). A key given twice
 * is CLERK_EPROTO: a callback must not be ambiguous.
 */
int query_get(const char *query, const char *key, char **out);

#endif
