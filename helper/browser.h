/*
 * Starting the user's browser on a URL (SPEC 7): $BROWSER when set (its
 * words split on blanks, no shell; "%s" replaced by the URL, else the URL
 * appended), else xdg-open. Started with posix_spawnp, stdin, stdout and
 * stderr on /dev/null, in its own session, never waited for (a SIGCHLD
 * reaper is not needed: the child is double-forked away or reaped later).
 * MUST NOT: pass a secret in argv or the environment (the URL holds only
 * public values: client id, challenge, state, nonce).
 */
#ifndef CLERK_BROWSER_H
#define CLERK_BROWSER_H

/* 0 when the launcher started; CLERK_EIO (message says why) otherwise. */
int browser_open(const char *url);

#endif
