/* See session.h. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "challenge.h"
#include "error.h"
#include "fileio.h"
#include "interrupt.h"
#include "lock.h"
#include "log.h"
#include "net.h"
#include "reject.h"
#include "scopes.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

#include "banned.h"

static bool
still_valid(const struct config *cfg, int64_t expires_at)
{
	/* 0: the provider gave no lifetime; trust it until git erases it. */
	return expires_at == 0 || expires_at > time_now() + cfg->refresh_margin;
}

int
session_cached_token(const struct config *cfg, char **token,
                     int64_t *expires_at)
{
	char *t = NULL;
	int64_t exp = 0;
	int r;

	if (store_process_only(cfg))
		return CLERK_ENOTFOUND;
	r = cache_read(cfg, &t, &exp);
	if (r == CLERK_EPERM)
		return r;
	if (r) {
		log_debug("runtime cache: miss");
		return CLERK_ENOTFOUND;
	}
	if (!still_valid(cfg, exp)) {
		log_debug("runtime cache: token expires in %lld s, within the "
		          "refresh margin of %d s",
		          (long long)(exp - time_now()), cfg->refresh_margin);
		secret_free(t);
		return CLERK_ENOTFOUND;
	}
	log_debug("runtime cache: hit");
	*token = t;
	*expires_at = exp;
	return 0;
}

static void
stamp(const struct config *cfg, struct tokenset *ts)
{
	/* Allocation failures here only lose the owner check on reload. */
	str_set(&ts->issuer, cfg->issuer);
	str_set(&ts->client_id, cfg->client_id);
	str_set(&ts->profile, cfg->profile);
}

/* Under the lock: a new access token @token was minted (reject.h). */
static void
note_mint(const struct config *cfg, const char *token)
{
	struct reject_state rs;

	if (!token || reject_load(cfg, &rs) || !rs.pending)
		return;
	reject_on_mint(&rs, reject_fingerprint(token), time_now());
	if (reject_save(cfg, &rs))
		log_warn("could not record the new token's fingerprint; "
		         "continuing");
}

/* Keep @ts: store first (it may hold a rotated refresh token), then cache. */
static int
keep(const struct config *cfg, struct store *st, struct tokenset *ts)
{
	int r;

	stamp(cfg, ts);
	if ((r = store_save(st, ts)))
		return r;
	note_mint(cfg, ts->access_token);
	if (!store_process_only(cfg) && ts->access_token &&
	    cache_write(cfg, ts->access_token, ts->expires_at))
		log_warn("could not cache the access token; continuing");
	return 0;
}

static int
hand_out(struct tokenset *ts, char **token, int64_t *expires_at)
{
	if (!(*token = strdup(ts->access_token)))
		return CLERK_ENOMEM;
	*expires_at = ts->expires_at;
	return 0;
}

/*
 * Under the lock: a sign-in ended with @r. Cancelled, denied or timed
 * out starts the cool-down (reject.h); other failures (the network, the
 * provider) do not, since no one was asked anything.
 */
static void
note_signin_failed(const struct config *cfg, int r)
{
	struct reject_state rs;
	enum reject_signin why;

	if (r == CLERK_EINTR)
		why = REJECT_SIGNIN_CANCELLED;
	else if (r == CLERK_EDENIED)
		why = REJECT_SIGNIN_DENIED;
	else if (r == CLERK_ETIMEOUT)
		why = REJECT_SIGNIN_TIMEOUT;
	else
		return;
	if (cfg->signin_cooldown <= 0 || reject_load(cfg, &rs))
		return;
	reject_on_signin(&rs, why, time_now());
	if (reject_save(cfg, &rs))
		log_warn("could not record the failed sign-in");
}

/*
 * Under the lock, before a sign-in that login did not ask for:
 * CLERK_ECOOLDOWN while the cool-down after a failed one runs.
 */
/*
 * The command that signs @cfg's profile in, for messages: with
 * --profile=NAME unless it is the default profile, since a request may
 * have been routed to another one (contract §18).
 */
static const char *
login_command(const struct config *cfg, char *buf, size_t size)
{
	if (!cfg->profile || strcmp(cfg->profile, CONFIG_DEFAULT_PROFILE) == 0)
		return "clerk-credential login";
	snprintf(buf, size, "clerk-credential login --profile=%s",
	         cfg->profile);
	return buf;
}

static int
check_cooldown(const struct config *cfg)
{
	char login[128];
	struct reject_state rs;
	int64_t left;
	int r;

	if (cfg->signin_cooldown <= 0)
		return 0;
	if ((r = reject_load(cfg, &rs)))
		return r;
	if (!(left = reject_cooling(&rs, cfg->signin_cooldown, time_now())))
		return 0;
	log_error("not signed in: the last sign-in %s, so no new one "
	          "starts for %lld s (run `%s` to sign in now)",
	          reject_signin_name(rs.signin_why), (long long)left,
	          login_command(cfg, login, sizeof(login)));
	return CLERK_ECOOLDOWN;
}

static int
sign_in(const struct config *cfg, struct store *st, struct tokenset *ts)
{
	const struct net_api *net;
	struct tokenset fresh = TOKENSET_INIT;
	int r;

	if ((r = net_load(&net)))
		return r;
	/* Ctrl-C ends the flow (CLERK_EINTR); new tokens are stored whole. */
	interrupt_catch();
	if ((r = net->signin(cfg, &fresh))) {
		note_signin_failed(cfg, r);
		goto out;
	}
	if ((r = keep(cfg, st, &fresh)))
		goto out;
	tokenset_move(ts, &fresh);
out:
	interrupt_release();
	tokenset_release(&fresh);
	return r;
}

/*
 * Under the lock: refresh @ts; on a dead grant forget it. A failed
 * refresh may still have rotated the refresh token (net.h): store it.
 */
static int
refresh(const struct config *cfg, struct store *st, struct tokenset *ts)
{
	const struct net_api *net;
	char *old = NULL;
	int r;

	if ((r = net_load(&net)) ||
	    (r = str_set_secret(&old, ts->refresh_token)))
		return r;
	log_debug("refreshing the access token");
	r = net->refresh(cfg, ts);
	if (r && r != CLERK_EGRANT && !str_ct_equal(old, ts->refresh_token) &&
	    store_save(st, ts))
		log_warn("could not store the rotated refresh token");
	secret_free(old);
	if (r == CLERK_EGRANT) {
		log_warn("the provider no longer accepts the stored refresh "
		         "token; a new sign-in is needed");
		store_clear(st);
		cache_drop(cfg, NULL);
		tokenset_release(ts);
		return r;
	}
	if (r)
		return r;
	return keep(cfg, st, ts);
}

static int
not_interactive(const struct config *cfg)
{
	char login[128];

	log_error("not signed in, and sign-in is disabled here (run `%s` in "
	          "a terminal first)",
	          login_command(cfg, login, sizeof(login)));
	return CLERK_ENOINTERACT;
}

/*
 * Under the lock, before a refresh or sign-in for git: CLERK_EHELD while
 * a server refuses fresh tokens (reject.h), said once per hold.
 */
static int
check_hold(const struct config *cfg)
{
	struct reject_state rs;
	int64_t now = time_now();
	int r;

	if ((r = reject_load(cfg, &rs)))
		return r;
	if (!reject_held(&rs, now))
		return 0;
	if (rs.warned) {
		log_debug("the server refuses fresh tokens: no token for "
		          "another %lld s",
		          (long long)(rs.hold_until - now));
		return CLERK_EHELD;
	}
	log_error("the server refuses fresh tokens: it keeps rejecting "
	          "them, so none is fetched for %d minutes (check that the "
	          "OAuth application grants the scopes and audience the "
	          "server expects, and whether the host takes the token as a "
	          "password: --authtype=basic; `clerk-credential login` ends "
	          "the wait)",
	          REJECT_WINDOW / 60);
	rs.warned = true;
	if (reject_save(cfg, &rs))
		log_warn("could not record the message; it may come again");
	return CLERK_EHELD;
}

/*
 * Under the lock: the step-up a server asked for (reject.h), when one
 * waits: one sign-in asking for the profile's scopes, the grant's and the
 * wanted ones, remembered before it starts so that it is tried once.
 * CLERK_ENOTFOUND when none waits, or none may start now (not
 * interactive, or cooling down: said, and the token there is serves,
 * under the rejection rules, until a login asks for the scopes too; for
 * git's get (@git) during a hold, when no sign-in starts either);
 * else the sign-in's result, @ts then holding the new tokens.
 */
static int
step_up(const struct config *cfg, struct store *st, struct tokenset *ts,
        bool git)
{
	struct config wide = *cfg;
	struct reject_state rs;
	char *granted = NULL, *ask = NULL, wanted[SCOPES_MAX + 1];
	int r;

	if (store_process_only(cfg) || reject_load(cfg, &rs) ||
	    !rs.stepup_wanted[0] || (git && reject_held(&rs, time_now())))
		return CLERK_ENOTFOUND;
	memcpy(wanted, rs.stepup_wanted, sizeof(wanted));
	if ((r = scopes_union(cfg->scopes, ts->scope, &granted)) ||
	    (r = scopes_union(granted, wanted, &ask)))
		goto out;
	if (!cfg->interactive ||
	    reject_cooling(&rs, cfg->signin_cooldown, time_now())) {
		log_warn(
		        "the server wants scopes the token of profile %s "
		        "lacks (%s), and no sign-in may start now (run "
		        "`clerk-credential login --profile=%s` to ask for them)",
		        cfg->profile, wanted, cfg->profile);
		r = CLERK_ENOTFOUND;
		goto out;
	}
	reject_stepup_done(&rs, ask, time_now());
	if ((r = reject_save(cfg, &rs)))
		goto out;
	log_info("the server wants scopes the token lacks (%s): signing in "
	         "again to ask for them",
	         wanted);
	wide.scopes = ask;
	r = sign_in(&wide, st, ts);
out:
	free(granted);
	free(ask);
	return r;
}

static int
token_locked(const struct config *cfg, struct store *st, bool git, char **token,
             int64_t *expires_at)
{
	struct tokenset ts = TOKENSET_INIT;
	int r, held;

	/* Another process may have refreshed while we waited. */
	if (session_cached_token(cfg, token, expires_at) == 0)
		return 0;
	r = store_load_move(st, &ts);
	if (r && r != CLERK_ENOTFOUND)
		goto out;
	/* A server asked for scopes the grant lacks: one sign-in for them. */
	if ((held = step_up(cfg, st, &ts, git)) != CLERK_ENOTFOUND) {
		r = held ? held : hand_out(&ts, token, expires_at);
		goto out;
	}
	if (r == 0 && ts.access_token && still_valid(cfg, ts.expires_at)) {
		log_debug("store: access token still valid");
		if (!store_process_only(cfg))
			cache_write(cfg, ts.access_token, ts.expires_at);
		r = hand_out(&ts, token, expires_at);
		goto out;
	}
	/* Past here the provider is asked: not while a hold is on. */
	if (git && (held = check_hold(cfg))) {
		r = held;
		goto out;
	}
	if (r == 0 && ts.refresh_token) {
		r = refresh(cfg, st, &ts);
		if (r == 0) {
			r = hand_out(&ts, token, expires_at);
			goto out;
		}
		if (r != CLERK_EGRANT)
			goto out;
	} else {
		log_debug("store: no usable tokens");
	}
	if (!cfg->interactive) {
		r = not_interactive(cfg);
		goto out;
	}
	if ((r = check_cooldown(cfg)))
		goto out;
	if ((r = sign_in(cfg, st, &ts)) == 0)
		r = hand_out(&ts, token, expires_at);
out:
	tokenset_release(&ts);
	return r;
}

/* The cache missed: store, lock, refresh or sign-in. */
static int
token_slow(const struct config *cfg, bool git, char **token,
           int64_t *expires_at)
{
	struct store *st = NULL;
	int fd = -1, r;

	if ((r = store_open(cfg, &st)))
		return r;
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)) == 0)
		r = token_locked(cfg, st, git, token, expires_at);
	lock_release(fd);
	store_close(st);
	return r;
}

const char *
session_ci_origin(const struct config *cfg)
{
	const char *v = getenv(CONFIG_TOKEN_ENV);

	if (v && *v)
		return CONFIG_TOKEN_ENV;
	return cfg->token_file;
}

/* "CLERK_CREDENTIAL_TOKEN" or "token file PATH", for messages. */
static void
ci_origin_text(const struct config *cfg, char *buf, size_t size)
{
	const char *origin = session_ci_origin(cfg);

	snprintf(buf, size, "%s%s",
	         origin == cfg->token_file ? "token file " : "",
	         origin ? origin : "");
}

/*
 * @t (@len bytes, from @where) is one bearer token: printable ASCII, no
 * blank, at most SESSION_CI_TOKEN_MAX bytes. Messages never show it.
 */
static int
ci_token_check(const char *t, size_t len, const char *where)
{
	size_t i;

	if (len == 0) {
		log_error("%s holds no token (put the token alone in it)",
		          where);
		return CLERK_ECONFIG;
	}
	if (len > SESSION_CI_TOKEN_MAX) {
		log_error("%s: the token is longer than %d bytes", where,
		          SESSION_CI_TOKEN_MAX);
		return CLERK_ECONFIG;
	}
	for (i = 0; i < len; i++) {
		if (t[i] <= ' ' || t[i] > '~') {
			log_error(
			        "%s: the token has a blank, a control or a "
			        "non-ASCII character at byte %zu (expected the "
			        "token alone, on one line)",
			        where, i + 1);
			return CLERK_ECONFIG;
		}
	}
	return 0;
}

/* The token file, links followed: ours or root's, and private to us. */
static int
ci_token_read(const char *path, char **out, size_t *len)
{
	struct stat st;
	int fd, r;

	r = file_open_trusted(path, &fd, &st);
	if (r == CLERK_ENOTFOUND) {
		log_error("token file %s does not exist (check --token-file, "
		          "CLERK_CREDENTIAL_TOKEN_FILE or token_file)",
		          path);
		return CLERK_ECONFIG;
	}
	if (r)
		return r;
	if (st.st_mode & 077) {
		log_error("refusing token file %s: readable or writable by "
		          "others (mode %03o; fix with: chmod 600 %s)",
		          path, (unsigned)(st.st_mode & 0777), path);
		r = CLERK_EPERM;
	} else {
		/* Room for the end of line that the checks below strip;
		 * a larger file is refused, said by file_read_fd(). */
		r = file_read_fd(fd, path, SESSION_CI_TOKEN_MAX + 2, out, len);
		if (r == CLERK_EPROTO)
			r = CLERK_ECONFIG; /* a malformed token, as below */
	}
	close(fd);
	return r;
}

int
session_ci_token(const struct config *cfg, char **token)
{
	const char *origin = session_ci_origin(cfg);
	char *t = NULL, where[512];
	size_t len;
	int r;

	if (!origin)
		return CLERK_ENOTFOUND;
	ci_origin_text(cfg, where, sizeof(where));
	if (origin != cfg->token_file) {
		if (!(t = strdup(getenv(CONFIG_TOKEN_ENV))))
			return CLERK_ENOMEM;
		len = strlen(t);
	} else {
		/* Read on every run: a rotated mounted secret counts now. */
		if ((r = ci_token_read(origin, &t, &len)))
			return r;
		/* One trailing end of line, as editors and echo leave it. */
		if (len && t[len - 1] == '\n')
			t[--len] = '\0';
		if (len && t[len - 1] == '\r')
			t[--len] = '\0';
	}
	if ((r = ci_token_check(t, len, where))) {
		secret_free(t);
		return r;
	}
	log_debug("CI token from %s: no cache, store or provider", where);
	*token = t;
	return 0;
}

/*
 * git's get of the CI token @token: CLERK_EHELD while a server refuses it
 * (session_erase() below), said once per hold. A rotated token is
 * handed out at once.
 */
static int
ci_check_hold(const struct config *cfg, const char *token)
{
	struct reject_state rs;
	int64_t now = time_now();
	char origin[512];
	int fd = -1, r;

	/* No lock for a look: the state file is replaced whole. */
	if ((r = reject_load(cfg, &rs)))
		return r;
	if (!reject_held(&rs, now) || rs.minted_fp != reject_fingerprint(token))
		return 0;
	if (rs.warned)
		return CLERK_EHELD;
	ci_origin_text(cfg, origin, sizeof(origin));
	log_error("the server keeps refusing the CI token from %s: git is "
	          "not given it again for %d minutes (check the token and "
	          "its permissions, or rotate it)",
	          origin, REJECT_WINDOW / 60);
	if (lock_acquire(cfg, cfg->timeout, &fd) == 0 &&
	    reject_load(cfg, &rs) == 0) {
		rs.warned = true;
		(void)reject_save(cfg, &rs);
	}
	lock_release(fd);
	return CLERK_EHELD;
}

static int
token_common(const struct config *cfg, bool git, char **token,
             int64_t *expires_at)
{
	/* The CI token before all: no cache, store, lock or module. */
	int r = session_ci_token(cfg, token);

	if (r != CLERK_ENOTFOUND) {
		/* No expiry: its claims are not verified here (session.h). */
		*expires_at = 0;
		if (r == 0 && git && (r = ci_check_hold(cfg, *token))) {
			secret_free(*token);
			*token = NULL;
		}
		return r;
	}
	/* The cache hit first: no store, no lock, no module (session.h). */
	r = session_cached_token(cfg, token, expires_at);

	return r == CLERK_ENOTFOUND ? token_slow(cfg, git, token, expires_at)
	                            : r;
}

int
session_token(const struct config *cfg, char **token, int64_t *expires_at)
{
	return token_common(cfg, false, token, expires_at);
}

int
session_git_token(const struct config *cfg, char **token, int64_t *expires_at)
{
	return token_common(cfg, true, token, expires_at);
}

/* Under the lock: login's sign-in, asking too for a waiting step-up. */
static int
login_locked(const struct config *cfg, struct store *st, struct tokenset *ts)
{
	struct config wide = *cfg;
	struct reject_state rs;
	char *ask = NULL;
	int r;

	if (reject_load(cfg, &rs) || !rs.stepup_wanted[0])
		return sign_in(cfg, st, ts);
	if ((r = scopes_union(cfg->scopes, rs.stepup_wanted, &ask)))
		return r;
	log_debug("asking too for the scopes a server wanted: %s",
	          rs.stepup_wanted);
	wide.scopes = ask;
	r = sign_in(&wide, st, ts);
	free(ask);
	return r;
}

int
session_login(const struct config *cfg)
{
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;
	int fd = -1, r;

	if (!cfg->interactive)
		return not_interactive(cfg);
	if (session_ci_origin(cfg)) {
		char origin[512];

		ci_origin_text(cfg, origin, sizeof(origin));
		log_warn("a CI token is set (%s): it is handed out before "
		         "the tokens of this sign-in",
		         origin);
	}
	if ((r = store_open(cfg, &st)))
		return r;
	/* A set left in the other store would go stale: move it first. */
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)) == 0 &&
	    ((r = store_load_move(st, &ts)) == 0 || r == CLERK_ENOTFOUND))
		r = login_locked(cfg, st, &ts);
	/* A new sign-in is the user's word: forget past rejections. */
	if (r == 0 && reject_clear(cfg))
		log_warn("could not clear the rejection state");
	lock_release(fd);
	store_close(st);
	tokenset_release(&ts);
	return r;
}

/* Under the lock: the current token @token was rejected (reject.h). */
static void
note_rejection(const struct config *cfg, const char *token)
{
	struct reject_state rs;

	if (reject_load(cfg, &rs))
		return;
	if (reject_on_erase(&rs, reject_fingerprint(token), time_now()))
		log_debug("erase: the server rejected a fresh token again; "
		          "no new token until %lld",
		          (long long)rs.hold_until);
	else
		log_debug("erase: first rejection; the next get refreshes");
	if (reject_save(cfg, &rs))
		log_warn("could not record the rejection");
}

/*
 * erase of @token while a CI token is configured: nothing is stored, so
 * nothing is removed; a rejection of the CI token itself is recorded as
 * a rejection followed at once by its "new" token, the same one, so a
 * second rejection within REJECT_WINDOW holds it back (reject.h).
 */
static int
ci_erase(const struct config *cfg, const char *token)
{
	struct reject_state rs;
	char *ci = NULL;
	uint64_t fp;
	int fd = -1, r;

	if ((r = session_ci_token(cfg, &ci)))
		return r;
	if (!str_ct_equal(ci, token)) {
		log_debug("erase: not the CI token; nothing is stored");
		goto out;
	}
	fp = reject_fingerprint(ci);
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)) ||
	    (r = reject_load(cfg, &rs)))
		goto out;
	if (reject_on_erase(&rs, fp, time_now()))
		log_debug("erase: the CI token was refused again; git gets "
		          "none until %lld",
		          (long long)rs.hold_until);
	reject_on_mint(&rs, fp, time_now());
	if (reject_save(cfg, &rs))
		log_warn("could not record the rejection");
out:
	lock_release(fd);
	secret_free(ci);
	return r;
}

int
session_erase(const struct config *cfg, const char *token)
{
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;
	bool current = false;
	int fd = -1, r;

	if (config_ci_token(cfg))
		return ci_erase(cfg, token);
	if ((r = store_open(cfg, &st)))
		return r;
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)))
		goto out;
	if ((r = cache_drop_token(cfg, token, &current)))
		goto out;
	r = store_load_move(st, &ts);
	if (r == CLERK_ENOTFOUND) {
		r = 0;
		goto out;
	}
	if (r || !ts.access_token || !str_ct_equal(ts.access_token, token))
		goto out;
	/* Keep the refresh token: the next get refreshes silently. */
	log_debug("erase: dropping the stored access token");
	secret_free(ts.access_token);
	ts.access_token = NULL;
	ts.expires_at = 0;
	current = true;
	r = store_save(st, &ts);
out:
	/* Only the current token's rejection counts, never an older one's. */
	if (r == 0 && current && !store_process_only(cfg))
		note_rejection(cfg, token);
	lock_release(fd);
	store_close(st);
	tokenset_release(&ts);
	return r;
}

/* Under the lock: record the step-up @scopes asks for, when it is new. */
static int
stepup_note(const struct config *cfg, struct store *st, const char *scopes)
{
	struct tokenset ts = TOKENSET_INIT;
	struct reject_state rs;
	int r;

	if ((r = reject_load(cfg, &rs)))
		return r;
	r = store_load(st, &ts);
	if (r && r != CLERK_ENOTFOUND)
		goto out;
	r = 0;
	if (!reject_stepup_want(&rs, scopes, ts.scope, time_now())) {
		log_debug("the server wants scopes %s: the grant has them, or "
		          "a sign-in asked for them moments ago; no new one",
		          scopes);
		goto out;
	}
	log_debug("the server wants scopes %s: the next token comes from a "
	          "sign-in that asks for them",
	          scopes);
	/* The cached token lacks them: the next request must not see it. */
	if ((r = reject_save(cfg, &rs)) == 0)
		r = cache_drop(cfg, NULL);
out:
	tokenset_release(&ts);
	return r;
}

int
session_challenged(const struct config *cfg, const struct challenges *cs,
                   bool erase)
{
	const struct challenge *b = challenges_find(cs, "Bearer");
	const char *err = b ? challenge_param(b, "error") : NULL;
	const char *scopes = b ? challenge_param(b, "scope") : NULL;
	struct store *st = NULL;
	char *cached = NULL, text[128];
	int64_t exp;
	int fd = -1, r;

	/* A CI token has no grant to widen and no refresh. */
	if (!err || config_ci_token(cfg) || store_process_only(cfg))
		return 0;
	if (strcmp(err, "invalid_token") == 0) {
		/* erase says so already; a get's challenge is that erase. */
		if (erase || cache_read(cfg, &cached, &exp))
			return 0;
		log_debug("the server refused the token (invalid_token): "
		          "dropping it, so a refresh follows");
		r = session_erase(cfg, cached);
		secret_free(cached);
		return r;
	}
	if (strcmp(err, "insufficient_scope") != 0)
		return 0;
	if (!scopes_valid(scopes)) {
		log_debug("insufficient_scope without a usable scope list "
		          "('%s'): nothing to ask for",
		          str_printable(scopes, text, sizeof(text)));
		return 0;
	}
	if ((r = store_open(cfg, &st)))
		return r;
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)) == 0)
		r = stepup_note(cfg, st, scopes);
	lock_release(fd);
	store_close(st);
	return r;
}

/* Under the lock: revoke what is stored, then forget it everywhere. */
static int
logout_locked(const struct config *cfg, struct store *st)
{
	struct tokenset ts = TOKENSET_INIT;
	const struct net_api *net;
	bool revoked = false;
	int found = store_load(st, &ts), r, r2;

	if (found && found != CLERK_ENOTFOUND)
		log_warn("could not read the stored tokens, so they cannot "
		         "be revoked; removing them anyway");
	/* Each failure below says why, as a warning. */
	if (found == 0 && (ts.refresh_token || ts.access_token))
		revoked = net_load(&net) == 0 && net->revoke(cfg, &ts) == 0;
	tokenset_release(&ts);
	/* Whatever the provider said: cache, file, keyring (userinfo too). */
	(void)reject_clear(cfg);
	r = cache_drop(cfg, NULL);
	r2 = store_clear_all(st);
	if (r || r2)
		return r ? r : r2;
	if (found == CLERK_ENOTFOUND)
		log_info("not signed in to %s (profile %s): nothing to remove",
		         cfg->issuer, cfg->profile);
	else
		log_info("signed out of %s (profile %s): %s", cfg->issuer,
		         cfg->profile,
		         revoked ? "tokens revoked at the provider and removed"
		                 : "local tokens removed");
	return 0;
}

int
session_logout(const struct config *cfg)
{
	struct store *st = NULL;
	char origin[512];
	int fd = -1, r;

	/* logout --all walks the stores: a CI token is in none of them. */
	if (!cfg->all && session_ci_origin(cfg)) {
		ci_origin_text(cfg, origin, sizeof(origin));
		log_info("the token comes from %s and is never stored: "
		         "nothing to sign out of (unset it to use a sign-in)",
		         origin);
		return 0;
	}

	if ((r = store_open(cfg, &st))) {
		cache_drop(cfg, NULL);
		return r;
	}
	if ((r = lock_acquire(cfg, cfg->timeout, &fd)) == 0)
		r = logout_locked(cfg, st);
	lock_release(fd);
	store_close(st);
	return r;
}

int
session_logout_all(const struct config *cfg)
{
	struct tokenset *ids = NULL;
	size_t n = 0, i;
	int r, first = 0;

	if ((r = store_list(cfg, &ids, &n)))
		return r;
	if (n == 0)
		log_info("no stored tokens: nothing to sign out of");
	for (i = 0; i < n; i++) {
		/* Each set signs out at its own issuer, under its own lock. */
		struct config one = *cfg;

		one.issuer = ids[i].issuer;
		one.client_id = ids[i].client_id;
		one.profile = ids[i].profile;
		if ((r = session_logout(&one)) && !first)
			first = r;
		tokenset_release(&ids[i]);
	}
	free(ids);
	return first;
}

/* Under no lock yet: fetch userinfo into @ts and store it (session.h). */
static int
fetch_userinfo(const struct config *cfg, struct store *st, struct tokenset *ts)
{
	const struct net_api *net;
	char *token = NULL;
	int64_t exp;
	int fd = -1, r;

	/* A valid access token first (refreshing or signing in as needed). */
	if ((r = session_token(cfg, &token, &exp)))
		return r;
	secret_free(token);
	if ((r = net_load(&net)) || (r = lock_acquire(cfg, cfg->timeout, &fd)))
		return r;
	tokenset_release(ts);
	if ((r = store_load_move(st, ts)) == 0 &&
	    (r = net->userinfo(cfg, ts)) == 0)
		r = store_save(st, ts);
	lock_release(fd);
	return r;
}

int
session_userinfo(const struct config *cfg, struct tokenset *out)
{
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;
	char origin[512];
	int r;

	/* Nobody signed in: the provider is never asked about a CI token. */
	if (session_ci_origin(cfg)) {
		ci_origin_text(cfg, origin, sizeof(origin));
		log_error("the token comes from %s, not from a sign-in: no "
		          "user to show (unset it, then run `clerk-credential "
		          "login`)",
		          origin);
		return CLERK_ENOTFOUND;
	}

	if ((r = store_open(cfg, &st)))
		return r;
	r = store_load(st, &ts);
	if (r == CLERK_ENOTFOUND || (r == 0 && !ts.userinfo))
		r = fetch_userinfo(cfg, st, &ts);
	if (r == 0 && !ts.userinfo) {
		log_error("the provider gave no user information");
		r = CLERK_EPROVIDER;
	}
	if (r == 0)
		tokenset_move(out, &ts);
	store_close(st);
	tokenset_release(&ts);
	return r;
}
