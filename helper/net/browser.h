/*
 * Starting the user's browser on a URL (contract §8): $BROWSER when set (a
 * colon-separated list of commands, tried in order, as xdg-open reads
 * it; each split into words on blanks, no shell; "%s" in a word replaced
 * by the URL, "%%" by '%', and the URL appended when no word had "%s"),
 * else xdg-open (open on macOS). Started with posix_spawnp, stdin, stdout
 * and stderr on /dev/null, in its own session, never waited for: it is
 * started from a short-lived intermediate child, so it is not our child
 * and no zombie or SIGCHLD handling is left (see browser.c).
 * MUST NOT: pass a secret in argv or the environment (the URL holds only
 * public values: client id, challenge, state, nonce).
 */
#ifndef CLERK_BROWSER_H
#define CLERK_BROWSER_H

/*
 * 0 when the launcher started (whether it shows the page is not known);
 * CLERK_EIO (message says why) otherwise. The caller prints the URL
 * either way.
 */
int browser_open(const char *url);

#endif
