/*
 * The OAuth callback parameters of "GET /callback?..." (RFC 6749 section
 * 4.1.2): the query the loopback listener or paste mode hands over,
 * decoded. Pure functions, no I/O: a fuzz target drives them.
 */
#ifndef CLERK_CALLBACK_H
#define CLERK_CALLBACK_H

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
