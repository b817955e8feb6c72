/*
 * How a sign-in reaches the user (contract §8), chosen per run:
 *
 * - browser: the authorization code flow through the browser here;
 * - device: the device authorization grant (device.h), when there is no
 *   browser here and the provider advertises device_authorization_endpoint;
 * - paste: the authorization code flow with the final address typed into
 *   the terminal (paste.h), when there is neither.
 *
 * "No browser here" (browser_reachable(), util.h) means: $BROWSER unset, and no
 * display (neither DISPLAY nor WAYLAND_DISPLAY; macOS always has one) or an SSH
 * session (SSH_CONNECTION, SSH_CLIENT or SSH_TTY set). A $BROWSER the user set
 * is a browser here, display or not. With --flow auto a browser that
 * cannot be started also counts as none. --flow browser|device|paste
 * forces one way.
 *
 * The whole flow runs under interrupt_catch(): Ctrl-C or SIGTERM ends it
 * with CLERK_EINTR, the listener closed, nothing stored.
 */
#ifndef CLERK_FLOW_H
#define CLERK_FLOW_H

#include <stdbool.h>

#include "config.h"
#include "discovery.h"
#include "tokenset.h"

/*
 * The flow for cfg->flow with provider @op and @local_browser. --flow
 * device with a provider that has no device endpoint is CLERK_ECONFIG
 * with a message; *@out is set only on success.
 */
int flow_choose(const struct config *cfg, const struct oidc_provider *op,
                bool local_browser, enum signin_flow *out);

/* Sign in the chosen way; on success @out holds the new token set. */
int flow_signin(const struct config *cfg, const struct oidc_provider *op,
                struct tokenset *out);

#endif
