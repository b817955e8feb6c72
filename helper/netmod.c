/*
 * The network module's table (see net.h): discovery, then the token
 * endpoint, the browser flow or userinfo.
 */
#include "discovery.h"
#include "error.h"
#include "log.h"
#include "net.h"
#include "oauth.h"
#include "signin.h"
#include "util.h"

static int
net_refresh(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = { 0 };
	int r = discovery_load(cfg, true, &op);

	if (!r)
		r = oauth_refresh(cfg, &op, ts);
	oidc_provider_release(&op);
	return r;
}

static int
net_signin(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = { 0 };
	int r = discovery_load(cfg, false, &op);

	if (!r)
		r = signin_browser(cfg, &op, ts);
	oidc_provider_release(&op);
	return r;
}

static int
net_userinfo(const struct config *cfg, struct tokenset *ts)
{
	struct oidc_provider op = { 0 };
	char *json = NULL;
	int r = discovery_load(cfg, false, &op);

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

const struct net_api clerk_net_api = {
	.version = NET_API_VERSION,
	.refresh = net_refresh,
	.signin = net_signin,
	.userinfo = net_userinfo,
};
