/*
 * What a rejection may cost: git's erase of the current access token
 * says a server refused it. The first rejection earns one refresh on the
 * next get (the provider may really have revoked the token). A rejection
 * of the token that refresh produced, or a second rejection, within
 * REJECT_WINDOW starts a hold of REJECT_WINDOW: git's get then gets no
 * token and costs no provider request, and the user is told once what to
 * check. The refresh after a hold counts as the one that follows a
 * rejection, so an endless fill/reject loop costs at most one refresh
 * per window. login and logout clear the state.
 *
 * The state lives in a 0600 file per (issuer, client id, profile) in the
 * runtime dir, next to the cached token, read and written only under the
 * profile's lock; a cache hit never reads it. The fingerprint of a token
 * is FNV-1a 64: the token itself sits in the cache file beside it.
 *
 * The same file keeps the sign-in cool-down (contract §8): when a
 * sign-in ends cancelled, denied or timed out, no other sign-in of the
 * profile starts for cfg->signin_cooldown seconds; login ignores it and
 * clears it when it succeeds.
 *
 * And it keeps step-up (contract §9): scopes a server said the token
 * lacks (insufficient_scope) wait in stepup_wanted until a sign-in asks
 * for them; that sign-in is remembered for REJECT_WINDOW, so a server that
 * still says the same costs no second one.
 *
 * The decisions (reject_on_*, reject_cooling, reject_stepup_*) are pure;
 * the file functions load and keep them.
 */
#ifndef CLERK_REJECT_H
#define CLERK_REJECT_H

#include <stdbool.h>
#include <stdint.h>

#include "scopes.h"

struct config;

#define REJECT_WINDOW 300 /* seconds: the window and the hold */

struct reject_state {
	int64_t rejected_at; /* the last rejection; 0: none */
	int64_t hold_until;  /* get answers nothing before then; 0: none */
	int64_t minted_at;   /* the token minted after a rejection; 0: none */
	uint64_t minted_fp;  /* its fingerprint */
	bool pending;        /* the next minted token follows a rejection */
	bool warned;         /* the hold's message was printed */
	int64_t signin_failed_at; /* the last failed sign-in; 0: none */
	int signin_why;           /* how it ended: enum reject_signin */
	char stepup_wanted[SCOPES_MAX + 1]; /* scopes to ask for; "": none */
	int64_t stepped_at;                 /* the last step-up sign-in */
	char stepped[SCOPES_MAX + 1];       /* what the grant then covered */
};

/* How a sign-in ended that starts the cool-down. */
enum reject_signin {
	REJECT_SIGNIN_NONE = 0,
	REJECT_SIGNIN_CANCELLED,
	REJECT_SIGNIN_DENIED,
	REJECT_SIGNIN_TIMEOUT,
};

/* A token's fingerprint (never 0). */
uint64_t reject_fingerprint(const char *token);

/*
 * The current token, fingerprint @fp, was rejected at @now. True when a
 * hold is on (started now, or still running: a rejection during a hold
 * does not extend it).
 */
bool reject_on_erase(struct reject_state *s, uint64_t fp, int64_t now);

/* A token @fp was minted at @now (a refresh or a sign-in). */
void reject_on_mint(struct reject_state *s, uint64_t fp, int64_t now);

/* A sign-in ended at @now as @why. */
void reject_on_signin(struct reject_state *s, enum reject_signin why,
                      int64_t now);

/*
 * Seconds left at @now of a cool-down of @cooldown seconds after the
 * last failed sign-in; 0 when none is on (or @cooldown is 0).
 */
int64_t reject_cooling(const struct reject_state *s, int cooldown, int64_t now);

/* "was cancelled", "was denied", "timed out" for @why. */
const char *reject_signin_name(int why);

/*
 * A server said at @now that the token lacks @scopes, where the stored
 * grant covers @granted. True when a step-up sign-in is now wanted: not
 * when @granted covers @scopes (the token was refused for another
 * reason) or when a step-up within REJECT_WINDOW already covered them (it
 * would only loop: the provider does not grant them). @scopes must be
 * scopes_valid(); it joins what is wanted already.
 */
bool reject_stepup_want(struct reject_state *s, const char *scopes,
                        const char *granted, int64_t now);

/* A step-up sign-in covering @granted ended well at @now. */
void reject_stepup_done(struct reject_state *s, const char *granted,
                        int64_t now);

/* True while a hold is on at @now. */
bool reject_held(const struct reject_state *s, int64_t now);

/*
 * Read the state of @cfg's profile; a missing or unreadable file is an
 * empty state (CLERK_EPERM for an unsafe one, with a message).
 */
int reject_load(const struct config *cfg, struct reject_state *s);

/* Replace the state file (0600, atomically). */
int reject_save(const struct config *cfg, const struct reject_state *s);

/* Remove the state file: no rejection is remembered. */
int reject_clear(const struct config *cfg);

#endif
