/*
 * Authentication challenges: the value of a WWW-Authenticate header as
 * RFC 9110 §11.6.1 and §11.3 define it, which git hands a helper as
 * "wwwauth[]" lines.
 *
 *	WWW-Authenticate = #challenge
 *	challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *	auth-param = token BWS "=" BWS ( token / quoted-string )
 *
 * One header may hold several challenges separated by commas. Scheme and
 * parameter names compare without regard to case; a quoted-string's
 * backslash escapes are undone. Input is bounded (CHALLENGE_MAX_*), and
 * anything else is CLERK_EPROTO with nothing added. Core module: libc only.
 *
 * Example:
 *	struct challenges cs = CHALLENGES_INIT;
 *	const struct challenge *b;
 *	if (challenge_parse(&cs, "Bearer realm=\"x\", Basic", 25) == 0 &&
 *	    (b = challenges_find(&cs, "bearer")))
 *		... challenge_param(b, "error") ...
 *	challenges_release(&cs);
 */
#ifndef CLERK_CHALLENGE_H
#define CLERK_CHALLENGE_H

#include <stddef.h>

#define CHALLENGE_MAX_HEADER     (16 * 1024) /* bytes of one header value */
#define CHALLENGE_MAX_CHALLENGES 32          /* in a list, over all headers */
#define CHALLENGE_MAX_PARAMS     32          /* per challenge */

struct challenge_param {
	char *name;  /* as sent; compare with strcasecmp() */
	char *value; /* unquoted */
};

struct challenge {
	char *scheme;  /* as sent, e.g. "Bearer" */
	char *token68; /* or NULL */
	struct challenge_param *params;
	size_t nparams;
};

struct challenges {
	struct challenge *items;
	size_t n;
};

#define CHALLENGES_INIT               \
	{                             \
		.items = NULL, .n = 0 \
	}

/*
 * Parse the header value @s (@len bytes) and append its challenges to
 * @cs. On error (malformed, over a bound, NUL or control byte) @cs is as
 * it was and the result is CLERK_EPROTO (or CLERK_ENOMEM); nothing is
 * logged, the caller says what it ignores.
 */
int challenge_parse(struct challenges *cs, const char *s, size_t len);

/* The first challenge of @scheme (any case), or NULL. */
const struct challenge *challenges_find(const struct challenges *cs,
                                        const char *scheme);

/* The value of parameter @name (any case) of @c, or NULL. */
const char *challenge_param(const struct challenge *c, const char *name);

/* Free every challenge; @cs is empty again. */
void challenges_release(struct challenges *cs);

#endif
