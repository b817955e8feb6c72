/*
 * The token set kept per (issuer, client id, profile), and its JSON form
 * used by the stores.
 */
#ifndef CLERK_TOKENSET_H
#define CLERK_TOKENSET_H

#include <stddef.h>
#include <stdint.h>

struct tokenset {
	char *issuer;
	char *client_id;
	char *profile;
	char *access_token;  /* secret */
	char *refresh_token; /* secret */
	char *id_token;      /* secret */
	char *token_type;
	char *scope;
	int64_t expires_at; /* Unix seconds; 0: unknown */
	char *userinfo;     /* cached userinfo JSON text, or NULL */
};

#define TOKENSET_INIT                                                          \
	{                                                                      \
		.issuer = NULL, .client_id = NULL, .profile = NULL,            \
		.access_token = NULL, .refresh_token = NULL, .id_token = NULL, \
		.token_type = NULL, .scope = NULL, .expires_at = 0,            \
		.userinfo = NULL                                               \
	}

void tokenset_init(struct tokenset *ts);
/* Wipe and free every member; the struct may be reused after init. */
void tokenset_release(struct tokenset *ts);
/* Move @src into @dst (releasing what @dst held); @src is left empty. */
void tokenset_move(struct tokenset *dst, struct tokenset *src);

/* Serialise for a store; the result is freed with secret_free(). */
int tokenset_to_json(const struct tokenset *ts, char **out);
/* Parse a store's JSON; CLERK_EPROTO (with a message) when malformed. */
int tokenset_from_json(const char *text, size_t len, struct tokenset *out);

#endif
