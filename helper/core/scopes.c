/* See scopes.h. */
#include "scopes.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

#include "banned.h"

static bool
scope_char(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

bool
scopes_valid(const char *s)
{
	size_t i, n;

	if (!s || !*s || (n = strlen(s)) > SCOPES_MAX)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] == ' ') {
			/* No leading, trailing or doubled space. */
			if (i == 0 || i + 1 == n || s[i + 1] == ' ')
				return false;
		} else if (!scope_char((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

/* True when the list @list holds the scope @tok (@len bytes). */
static bool
has_scope(const char *list, const char *tok, size_t len)
{
	const char *p = list;

	while (p && *p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == len && n && memcmp(p, tok, n) == 0)
			return true;
		p += n;
	}
	return false;
}

bool
scopes_cover(const char *have, const char *want)
{
	const char *p = want;

	while (p && *p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && !has_scope(have, p, n))
			return false;
		p += n;
	}
	return true;
}

/* Append the scopes of @list to @sb, each once and not in @sb already. */
static int
add_new(struct strbuf *sb, const char *list)
{
	const char *p = list;
	int r;

	while (p && *p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n && !has_scope(sb->buf, p, n) &&
		    ((sb->len && (r = strbuf_addch(sb, ' '))) ||
		     (r = strbuf_add(sb, p, n))))
			return r;
		p += n;
	}
	return 0;
}

int
scopes_union(const char *a, const char *b, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	if ((r = strbuf_adds(&sb, "")) || (r = add_new(&sb, a)) ||
	    (r = add_new(&sb, b)) || (r = strbuf_detach(&sb, out))) {
		strbuf_release(&sb);
		return r;
	}
	return 0;
}
