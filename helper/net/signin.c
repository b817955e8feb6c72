/*
 * See signin.h.
 *
 * MUST: compare state in constant time (the listener does); send the
 * redirect URI to the token endpoint exactly as in the authorization
 * request; verify the ID token (signature, claims, and the nonce when
 * one was sent) before the tokens are used. MUST NOT: put
 * the code or the verifier in a message, argv or the environment.
 */
#include "signin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "browser.h"
#include "callback.h"
#include "crypto.h"
#include "encode.h"
#include "error.h"
#include "jwt.h"
#include "listener.h"
#include "log.h"
#include "oauth.h"
#include "paste.h"
#include "pkce.h"
#include "progress.h"
#include "util.h"

#include "banned.h"

static bool
scope_has(const char *scopes, const char *word)
{
	size_t n = strlen(word);
	const char *p = scopes;

	while ((p = strstr(p, word))) {
		if ((p == scopes || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

int
signin_authorize_url(const struct config *cfg, const struct oidc_provider *op,
                     const char *redirect_uri, const char *state,
                     const char *challenge, const char *nonce, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	int r;

	r = strbuf_addf(&sb, "%s%sresponse_type=code",
	                op->authorization_endpoint,
	                strchr(op->authorization_endpoint, '?') ? "&" : "?");
	if (!r)
		r = form_add(&sb, "client_id", cfg->client_id);
	if (!r)
		r = form_add(&sb, "redirect_uri", redirect_uri);
	if (!r)
		r = form_add(&sb, "scope", cfg->scopes);
	if (!r)
		r = form_add(&sb, "state", state);
	if (!r)
		r = form_add(&sb, "code_challenge", challenge);
	if (!r)
		r = form_add(&sb, "code_challenge_method", "S256");
	if (!r && nonce)
		r = form_add(&sb, "nonce", nonce);
	/* RFC 8707: the token is for this resource alone. */
	if (!r && cfg->resource)
		r = form_add(&sb, "resource", cfg->resource);
	/* Another account: the provider asks who signs in even when a
	 * session of its own is open (OIDC Core 3.1.2.1). */
	if (!r && cfg->prompt_login)
		r = form_add(&sb, "prompt", "login");
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

static int
random_value(struct strbuf *sb)
{
	/* 256 bits: well above the 128 that contract §8 asks of state. */
	return crypto_random_base64url(32, sb);
}

static void
announce(const struct config *cfg, const char *url, bool opened)
{
	log_info("%s to sign in to %s; waiting up to %d s for the browser "
	         "to finish (Ctrl-C cancels). The sign-in URL:",
	         opened ? "opened your browser" : "open this URL in a browser",
	         cfg->issuer, cfg->timeout);
	/* On its own line, so terminals make it clickable. */
	fprintf(stderr, "%s\n", url);
}

/*
 * Start the browser on @url and wait for the callback. With @no_browser
 * a launcher that fails ends it at once (the caller tries another way).
 */
static int
browser_wait(const struct config *cfg, const struct oidc_provider *op,
             struct listener *l, const char *url, const char *state,
             bool *no_browser, struct callback_params *cb)
{
	int r = browser_open(url);

	if (r && no_browser) {
		*no_browser = true;
		return r;
	}
	announce(cfg, url, r == 0);
	if (!cfg->quiet)
		progress_begin("waiting for the browser", true);
	r = listener_wait(l, state, op->issuer, op->iss_parameter_supported,
	                  cfg->timeout, cb);
	progress_end();
	return r;
}

static int
finish(const struct config *cfg, const struct oidc_provider *op,
       const struct callback_params *cb, const char *verifier,
       const char *redirect_uri, const char *nonce, struct tokenset *out)
{
	struct tokenset ts = TOKENSET_INIT;
	int r;

	if ((r = oauth_exchange_code(cfg, op, cb->code, verifier, redirect_uri,
	                             &ts)))
		goto out;
	/* openid was asked for (a nonce was sent): an ID token must come. */
	if (nonce && !ts.id_token) {
		log_error("sign-in failed: the provider sent no ID token "
		          "although the openid scope was asked for (check "
		          "the OAuth application's scopes)");
		r = CLERK_EPROVIDER;
		goto out;
	}
	if (ts.id_token &&
	    (r = jwt_verify_id_token(cfg, op, ts.id_token, nonce, time_now())))
		goto out;
	if (op->userinfo_endpoint &&
	    oauth_userinfo(op, ts.access_token, &ts.userinfo))
		log_warn("signed in, but the user information could not be "
		         "read; `whoami` will retry");
	tokenset_move(out, &ts);
out:
	tokenset_release(&ts);
	return r;
}

/*
 * After a sign-in timed out: the commonest cause is a redirect URI the
 * OAuth application does not list. The provider then shows its own
 * error page instead of sending the browser back, so say what that
 * looks like and what to register.
 */
static void
redirect_hint(const struct config *cfg, int port)
{
	bool fixed = false;
	char uri[48];
	size_t i;

	/* A port of the list (not 0, "any") is registered as it is. */
	for (i = 0; i < cfg->callback_ports.n; i++)
		fixed = fixed || (cfg->callback_ports.port[i] == port && port);
	if (fixed)
		snprintf(uri, sizeof(uri), "http://127.0.0.1:%d/callback",
		         port);
	else
		snprintf(uri, sizeof(uri), "http://127.0.0.1/callback");
	log_info("if the browser showed the provider's error page about the "
	         "redirect_uri instead of coming back here, the OAuth "
	         "application does not list this helper's redirect URI: "
	         "register %s for it in the Clerk dashboard (Configure > "
	         "OAuth applications)%s",
	         uri,
	         fixed ? ""
	               : ", or, if it matches ports exactly, register "
	                 "http://127.0.0.1:PORT/callback and set "
	                 "--callback-port PORT");
}

static int
signin_code(const struct config *cfg, const struct oidc_provider *op,
            bool paste, bool *no_browser, struct tokenset *out)
{
	struct strbuf state = STRBUF_INIT, nonce = STRBUF_INIT;
	struct strbuf redirect = STRBUF_INIT;
	struct callback_params cb = {0};
	char verifier[PKCE_VERIFIER_LEN + 1] = "";
	char challenge[PKCE_CHALLENGE_LEN + 1];
	struct listener *l = NULL;
	char *url = NULL;
	bool want_nonce = scope_has(cfg->scopes, "openid");
	int port = 0, r;

	if ((r = pkce_new_verifier(verifier)) ||
	    (r = pkce_challenge(verifier, challenge)) ||
	    (r = random_value(&state)) ||
	    (want_nonce && (r = random_value(&nonce))))
		goto out;
	if ((r = listener_open_first(cfg->callback_ports.port,
	                             cfg->callback_ports.n, &l, &port)) ||
	    (r = strbuf_addf(&redirect, "http://127.0.0.1:%d/callback",
	                     port)) ||
	    (r = signin_authorize_url(cfg, op, redirect.buf, state.buf,
	                              challenge, want_nonce ? nonce.buf : NULL,
	                              &url)))
		goto out;
	log_debug("listening on 127.0.0.1:%d for the callback", port);
	if (paste)
		r = paste_wait(cfg, op, l, port, redirect.buf, url, state.buf,
		               &cb);
	else
		r = browser_wait(cfg, op, l, url, state.buf, no_browser, &cb);
	listener_close(l);
	l = NULL;
	if (r == CLERK_ETIMEOUT)
		redirect_hint(cfg, port);
	if (r)
		goto out;
	if (!cb.code) {
		log_error("the provider's answer had no authorization code");
		r = CLERK_EPROVIDER;
		goto out;
	}
	r = finish(cfg, op, &cb, verifier, redirect.buf,
	           want_nonce ? nonce.buf : NULL, out);
	if (r == 0)
		log_info("signed in to %s", cfg->issuer);
out:
	listener_close(l);
	callback_params_release(&cb);
	secret_wipe(verifier, sizeof(verifier));
	strbuf_release(&state);
	strbuf_release(&nonce);
	strbuf_release(&redirect);
	free(url);
	return r;
}

int
signin_browser(const struct config *cfg, const struct oidc_provider *op,
               bool *no_browser, struct tokenset *out)
{
	if (no_browser)
		*no_browser = false;
	return signin_code(cfg, op, false, no_browser, out);
}

int
signin_paste(const struct config *cfg, const struct oidc_provider *op,
             struct tokenset *out)
{
	return signin_code(cfg, op, true, NULL, out);
}
