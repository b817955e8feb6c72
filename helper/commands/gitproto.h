/*
 * git's credential-helper protocol (gitcredentials(7), contract §5).
 *
 * Input: "key=value" lines up to a blank line or EOF, split on the first
 * '='; a trailing CR is dropped; unknown keys are ignored; "url=" stands
 * for protocol, host, path (and username, password); keys ending in "[]"
 * are lists, of which capability[] and wwwauth[] are read (an empty
 * value empties the list, as in git). A line over GITPROTO_MAX_LINE
 * or a NUL byte is an error. Output values never contain a newline.
 *
 * Example:
 *	struct credential c = CREDENTIAL_INIT;
 *	if (credential_read_fd(0, &c) == 0 && c.host) ...
 *	credential_release(&c);
 */
#ifndef CLERK_GITPROTO_H
#define CLERK_GITPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "challenge.h"
#include "util.h"

#define GITPROTO_MAX_LINE  (64 * 1024)
#define GITPROTO_MAX_INPUT (1024 * 1024)

struct credential {
	char *protocol;
	char *host; /* may carry ":port" */
	char *path;
	char *username;
	char *password;   /* secret */
	char *credential; /* secret (authtype form) */
	char *authtype;
	int64_t password_expiry_utc; /* 0: absent */
	/* The server's challenges, from the wwwauth[] lines that parse. */
	struct challenges challenges;
	bool cap_authtype;      /* capability[]=authtype was given */
	bool interactive_false; /* git's credential.interactive=false */
};

#define CREDENTIAL_INIT                                                 \
	{                                                               \
		.protocol = NULL, .host = NULL, .path = NULL,           \
		.username = NULL, .password = NULL, .credential = NULL, \
		.authtype = NULL, .password_expiry_utc = 0,             \
		.challenges = CHALLENGES_INIT, .cap_authtype = false,   \
		.interactive_false = false                              \
	}

void credential_release(struct credential *c);

/*
 * Parse protocol lines from @buf (@len bytes). Stops after a blank line;
 * *@done tells whether it was seen (otherwise more input may follow).
 * *@used is the number of bytes consumed (whole lines only, unless @eof).
 * CLERK_EPROTO with a message for an overlong line or a NUL.
 */
int credential_parse(const char *buf, size_t len, bool eof,
                     struct credential *c, size_t *used, bool *done);

/* Read from @fd until a blank line or EOF and parse it. */
int credential_read_fd(int fd, struct credential *c);

/* Append "key=value\n"; CLERK_EPROTO when @value holds a newline. */
int credential_emit(struct strbuf *out, const char *key, const char *value);

/*
 * Parse @url (scheme://[user[:pass]@]host[:port][/path]) into @c as git
 * does: protocol, host, path, and username/password when present.
 */
int credential_from_url(struct credential *c, const char *url);

#endif
