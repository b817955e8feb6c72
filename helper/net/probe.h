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

#endif
