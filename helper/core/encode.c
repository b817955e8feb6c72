/* See encode.h. */
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

#include "banned.h"

static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
base64url_encode(const void *data, size_t len, struct strbuf *sb)
{
	const unsigned char *p = data;
	char out[4];
	size_t i;
	int r = 0;

	for (i = 0; i + 2 < len && !r; i += 3) {
		out[0] = b64url[p[i] >> 2];
		out[1] = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[2] = b64url[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[3] = b64url[p[i + 2] & 63];
		r = strbuf_add(sb, out, 4);
	}
	if (r || i == len)
		return r;
	out[0] = b64url[p[i] >> 2];
	if (i + 1 == len) {
		out[1] = b64url[(p[i] & 3) << 4];
		return strbuf_add(sb, out, 2);
	}
	out[1] = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
	out[2] = b64url[(p[i + 1] & 15) << 2];
	return strbuf_add(sb, out, 3);
}

static int
b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int
base64url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen)
{
	unsigned char *buf;
	unsigned int acc = 0;
	size_t i, n = 0;
	int bits = 0, v;

	while (len > 0 && s[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return CLERK_EPROTO;
	if (!(buf = malloc(len / 4 * 3 + 3)))
		return CLERK_ENOMEM;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value(s[i])) < 0) {
			secret_free(buf);
			return CLERK_EPROTO;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

int
url_encode(const char *s, struct strbuf *sb)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[3] = {'%', 0, 0};
	int r = 0;

	for (; *s && !r; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			r = strbuf_addch(sb, (char)c);
		} else {
			esc[1] = hex[c >> 4];
			esc[2] = hex[c & 15];
			r = strbuf_add(sb, esc, 3);
		}
	}
	return r;
}

int
form_add(struct strbuf *sb, const char *key, const char *value)
{
	int r = sb->len ? strbuf_addch(sb, '&') : 0;

	if (!r)
		r = strbuf_adds(sb, key);
	if (!r)
		r = strbuf_addch(sb, '=');
	return r ? r : url_encode(value, sb);
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
url_decode(const char *s, size_t len, int plus_is_space, char **out)
{
	char *buf;
	size_t i, n = 0;
	int hi, lo;

	if (!(buf = malloc(len + 1)))
		return CLERK_ENOMEM;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			if (i + 2 >= len || (hi = hex_value(s[i + 1])) < 0 ||
			    (lo = hex_value(s[i + 2])) < 0)
				goto bad;
			c = (char)(hi << 4 | lo);
			if (c == '\0')
				goto bad;
			i += 2;
		} else if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '\0') {
			goto bad;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
bad:
	secret_free(buf);
	return CLERK_EPROTO;
}

int
query_get(const char *query, const char *key, char **out)
{
	size_t klen = strlen(key);
	const char *p = query, *end, *eq;
	char *value = NULL;
	int r;

	*out = NULL;
	while (p && *p) {
		end = strchr(p, '&');
		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if ((size_t)((eq ? eq : end) - p) == klen &&
		    memcmp(p, key, klen) == 0) {
			if (value) {
				secret_free(value);
				return CLERK_EPROTO;
			}
			if (!eq)
				r = url_decode("", 0, 1, &value);
			else
				r = url_decode(eq + 1, (size_t)(end - eq - 1),
				               1, &value);
			if (r)
				return r;
		}
		p = *end ? end + 1 : end;
	}
	*out = value;
	return 0;
}
