/* The git credential-helper actions (contract §5) on stdin and stdout. */
#ifndef CLERK_GITCMD_H
#define CLERK_GITCMD_H

#include <stdbool.h>

#include "config.h"

struct credential;

int gitcmd_get(struct config *cfg);
int gitcmd_store(struct config *cfg);
int gitcmd_erase(struct config *cfg);

/*
 * Answer @c in the authtype form (authtype=Bearer, credential=)? Only
 * when git offered capability[]=authtype, and then: always for
 * --authtype=bearer, never for basic; for auto when the server's
 * challenges name Bearer or git sent none that parse. Otherwise the
 * token goes as the password (servers that take "oauth2:<token>" as
 * Basic credentials).
 */
bool gitcmd_wants_bearer(const struct config *cfg, const struct credential *c);

#endif
