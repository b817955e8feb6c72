/*
 * The network module's table (see net.h): discovery, then the token
 * endpoint, the browser flow or userinfo; and the plain fetch of a
 * document that is not the provider's (a server's resource metadata).
 */
#include "discovery.h"
#include "error.h"
#include "flow.h"
#include "http.h"
#include "jwt.h"
#include "log.h"
#include "net.h"
#include "oauth.h"
#include "probe.h"
#include "signin.h"
#include "util.h"

#include "banned.h"

static void
take(char **dst, char **src)
{
	if (!*src)
		return;
	secret_free(*dst);
	*dst = *src;
	*src = NULL;
}

/*
 * Refresh into a copy of @ts and verify a new ID token (no nonce on a
 * refresh) before the answer reaches @ts. When the ID token is refused,
 * nothing of the answer is used, but a rotated refresh token still
 * replaces the old one: the provider has spent the old one, and losing
 * both would force a new sign-in.
 */
static int
refresh_verified(const struct config *cfg, const struct oidc_provider *op,
                 struct tokenset *ts)
{
	struct tokenset fresh = TOKENSET_INIT;
	int r;

	if (!ts->refresh_token)
		return oauth_refresh(cfg, op, ts);
	if ((r = str_set_secret(&fresh.refresh_token, ts->refresh_token)) ||
	    (r = oauth_refresh(cfg, op, &fresh)))
		goto out;
	if (fresh.id_token && (r = jwt_verify_id_token(cfg, op, fresh.id_token,
	                                               NULL, time_now()))) {
		take(&ts->refresh_token, &fresh.refresh_token);
		goto out;
	}
	take(&ts->access_token, &fresh.access_token);
	take(&ts->refresh_token, &fresh.refresh_token);
	take(&ts->id_token, &fresh.id_token);
	take(&ts->token_type, &fresh.token_type);
	take(&ts->scope, &fresh.scope);
	ts->expires_at = fresh.expires_at;
out:
	tokenset_release(&fresh);
	return r;
}

/* What every entry needs before it talks to the provider. */
static int
net_setup(const struct config *cfg)
{
	return http_set_ca_file(cfg->ca_file);
}

static int
net_refresh(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = {0};
	int r = net_setup(cfg);

	if (!r)
		r = discovery_load(cfg, true, &op);

	if (!r)
		r = refresh_verified(cfg, &op, ts);
	oidc_provider_release(&op);
	return r;
}

static int
net_signin(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = {0};
	int r = net_setup(cfg);

	if (!r)
		r = discovery_load(cfg, false, &op);
	if (!r)
		r = flow_signin(cfg, &op, ts);
	oidc_provider_release(&op);
	return r;
}

static int
net_userinfo(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = {0};
	char *json = NULL;
	int r = net_setup(cfg);

	if (!r)
		r = discovery_load(cfg, false, &op);

	if (!r && !op.userinfo_endpoint) {
		log_error("the provider has no userinfo endpoint");
		r = CLERK_EPROVIDER;
	}
	if (!r && (r = oauth_userinfo(&op, ts->access_token, &json)) == 0) {
		secret_free(ts->userinfo);
		ts->userinfo = json;
	}
	oidc_provider_release(&op);
	return r;
}

static int
net_revoke(const struct config *cfg, const struct tokenset *ts)
{
	struct oidc_provider op = {0};
	int r = net_setup(cfg);

	/* Cached metadata of any age will do: only one endpoint is needed. */
	if (!r)
		r = discovery_load(cfg, true, &op);

	if (!r)
		r = oauth_revoke_tokens(cfg, &op, ts);
	oidc_provider_release(&op);
	return r;
}

/* See net.h: the resource metadata of RFC 9728, or any small document. */
static int
net_fetch(const struct config *cfg, const char *url, size_t max, char **body,
          size_t *len)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	int r = net_setup(cfg);

	if (!r)
		r = http_get_limited(url, max, &resp);
	if (!r && resp.status != 200) {
		log_error("cannot fetch %s: HTTP %ld (check the server's "
		          "configuration)",
		          url, resp.status);
		r = CLERK_EPROVIDER;
	}
	if (!r) {
		*body = resp.body;
		*len = resp.len;
		resp.body = NULL;
	}
	http_response_release(&resp);
	return r;
}

const struct net_api clerk_net_api = {
        .version = NET_API_VERSION,
        .refresh = net_refresh,
        .signin = net_signin,
        .userinfo = net_userinfo,
        .revoke = net_revoke,
        .probe = probe_run,
        .fetch = net_fetch,
};
