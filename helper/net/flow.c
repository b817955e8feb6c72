/* See flow.h. */
#include "flow.h"

#include <stdlib.h>

#include "device.h"
#include "error.h"
#include "interrupt.h"
#include "log.h"
#include "signin.h"
#include "util.h"

#include "banned.h"

int
flow_choose(const struct config *cfg, const struct oidc_provider *op,
            bool local_browser, enum signin_flow *out)
{
	bool device = op->device_authorization_endpoint != NULL;

	if (cfg->flow == FLOW_DEVICE && !device) {
		log_error("cannot sign in with --flow device: the provider "
		          "offers no device sign-in (no "
		          "device_authorization_endpoint in its discovery "
		          "document; use --flow paste)");
		return CLERK_ECONFIG;
	}
	if (cfg->flow != FLOW_AUTO)
		*out = cfg->flow;
	else if (local_browser)
		*out = FLOW_BROWSER;
	else
		*out = device ? FLOW_DEVICE : FLOW_PASTE;
	return 0;
}

static int
flow_run(const struct config *cfg, const struct oidc_provider *op,
         enum signin_flow flow, struct tokenset *out)
{
	bool no_browser = false;
	int r;

	if (flow == FLOW_BROWSER) {
		/* With auto, a browser that cannot start means: none here. */
		r = signin_browser(cfg, op,
		                   cfg->flow == FLOW_AUTO ? &no_browser : NULL,
		                   out);
		if (!no_browser)
			return r;
		flow = op->device_authorization_endpoint ? FLOW_DEVICE
		                                         : FLOW_PASTE;
		log_info("signing in without a browser instead (--flow "
		         "%s)",
		         config_flow_name(flow));
	}
	if (flow == FLOW_DEVICE)
		return device_signin(cfg, op, out);
	return signin_paste(cfg, op, out);
}

int
flow_signin(const struct config *cfg, const struct oidc_provider *op,
            struct tokenset *out)
{
	enum signin_flow flow;
	bool local = browser_reachable();
	int r;

	if ((r = flow_choose(cfg, op, local, &flow)))
		return r;
	log_debug("sign-in flow: %s (--flow %s; %s)", config_flow_name(flow),
	          config_flow_name(cfg->flow),
	          local ? "a browser can run here"
	                : "no browser here: no DISPLAY, WAYLAND_DISPLAY or "
	                  "BROWSER, or an SSH session");
	interrupt_catch();
	r = flow_run(cfg, op, flow, out);
	/* A signal during the token exchange still cancels. */
	if (!r && (r = interrupt_check()))
		tokenset_release(out);
	interrupt_release();
	return r;
}
