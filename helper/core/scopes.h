/*
 * OAuth scope lists (RFC 6749 §3.3): scope tokens of visible ASCII but
 * '"' and '\', separated by single spaces. What step-up (contract §9)
 * needs: check a list a server sent, tell whether a grant covers it, and
 * the union of two lists. Core module: libc only.
 *
 * Example:
 *	if (scopes_valid(wanted) && !scopes_cover(granted, wanted) &&
 *	    scopes_union(cfg->scopes, wanted, &ask) == 0)
 *		... sign in asking for @ask ...
 */
#ifndef CLERK_SCOPES_H
#define CLERK_SCOPES_H

#include <stdbool.h>

#define SCOPES_MAX 1024 /* bytes of a list we take from a server */

/*
 * True when @s is a non-empty scope list of at most SCOPES_MAX bytes:
 * tokens of %x21 / %x23-5B / %x5D-7E separated by one space each.
 */
bool scopes_valid(const char *s);

/* True when every scope of @want is in @have (either may be NULL: none). */
bool scopes_cover(const char *have, const char *want);

/*
 * @a, then each scope of @b not in @a, space-separated, in a new string
 * (either may be NULL). 0 or CLERK_ENOMEM.
 */
int scopes_union(const char *a, const char *b, char **out);

#endif
