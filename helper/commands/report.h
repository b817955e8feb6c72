/*
 * What `status` and `whoami` print (clerk-credential(1), COMMANDS): the
 * token life cycle is session.h's, this is its display.
 * Nothing secret is printed; with cfg->json each prints one JSON object
 * on one line, for scripts.
 */
#ifndef CLERK_REPORT_H
#define CLERK_REPORT_H

#include "config.h"

/*
 * Print the signed-in user; fetches userinfo when none is cached
 * (session_userinfo()). With cfg->json, the userinfo object as one line
 * of JSON.
 */
int report_whoami(const struct config *cfg);

/*
 * Print profile, issuer, client id, storage and expiry: no secret. With
 * cfg->json, one JSON object on one line (keys as the human form's).
 */
int report_status(const struct config *cfg);

#endif
