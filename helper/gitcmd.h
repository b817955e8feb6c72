/* The git credential-helper actions (SPEC 4) on stdin and stdout. */
#ifndef CLERK_GITCMD_H
#define CLERK_GITCMD_H

#include "config.h"

int gitcmd_get(struct config *cfg);
int gitcmd_store(struct config *cfg);
int gitcmd_erase(struct config *cfg);

/* Write all of @len bytes at @buf to stdout; CLERK_EIO on failure. */
int out_write(const char *buf, size_t len);

#endif
