/*
 * The OAuth callback, "GET /callback?..." (RFC 6749 section 4.1.2): the
 * query the loopback listener or paste mode hands over, decoded
 * (callback_parse_query(), pure, what a fuzz target drives), and the
 * checks that decide whether it ends the sign-in (callback_answer()):
 * the state, the issuer (RFC 9207), then the error or the code.
 */
#ifndef CLERK_CALLBACK_H
#define CLERK_CALLBACK_H

#include <stdbool.h>

#include "util.h"

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

/* What the wait is for: this sign-in's state and issuer. */
struct callback_expect {
	const char *state;
	const char *iss;   /* or NULL: not checked */
	bool iss_required; /* a missing iss fails */
};

/* The verdict on one answer, and the page that tells the browser. */
struct callback_reply {
	int status;        /* of the page: 200 or 400 */
	const char *body;  /* page.h body; NULL: out of memory, close */
	struct strbuf buf; /* holds @body when it was built here */
	bool done;         /* the answer ends the wait, with @result */
	int result;
};

void callback_reply_release(struct callback_reply *rep);

/*
 * Check the answer whose query is @query (NULL: none) against @want, as
 * listener_wait() documents (listener.h); each failure is reported on
 * stderr, a stale state as pasted (@pasted) or browsed. @rep gets the
 * page and whether the wait ends (release it with
 * callback_reply_release()). When it ends on an answer of the
 * provider's, @out gets its parameters: all of them with the code
 * (result 0), or with error=... the state, error and error_description
 * and no code.
 */
void callback_answer(const char *query, const struct callback_expect *want,
                     bool pasted, struct callback_reply *rep,
                     struct callback_params *out);

#endif
