/*
 * `doctor`'s look at the provider: discovery afresh, the Date header and
 * a dry authorization request (struct net_probe, core/net.h).
 */
#ifndef CLERK_PROBE_H
#define CLERK_PROBE_H

#include "config.h"
#include "net.h"

/* Fill @out (see net_api.probe); 0 unless memory ran out. */
int probe_run(const struct config *cfg, struct net_probe *out);

/*
 * Read the answer to a dry authorization request into @out's
 * authorize_status, authorize_error and authorize_detail (printable,
 * truncated): a redirect (3xx) whose @location query carries error= and
 * error_description=, or an error page (4xx, 5xx) @body of @len bytes,
 * NUL-terminated at @len (or NULL): OAuth's {"error":...}, Clerk's
 * {"errors":[...]}, or HTML naming a known error code or the redirect
 * URI. No network. 0 when it is no refusal, CLERK_EPROVIDER when it is
 * one, CLERK_ENOMEM.
 */
int probe_read_answer(long status, const char *location, const char *body,
                      size_t len, struct net_probe *out);

#endif
