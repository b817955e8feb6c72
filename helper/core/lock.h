/*
 * The per-(issuer, client id, profile) lock that serialises refresh and
 * sign-in across processes (contract §11): N concurrent gets at expiry make one
 * refresh, N concurrent misses open one browser. An flock(2) on
 * <state>/<key>.lock: the kernel drops it when a holder dies.
 */
#ifndef CLERK_LOCK_H
#define CLERK_LOCK_H

struct config;

/*
 * Take the lock, waiting up to @timeout_s seconds. *@fd holds it.
 * CLERK_ETIMEOUT with a message when another process holds it longer.
 */
int lock_acquire(const struct config *cfg, int timeout_s, int *fd);

/* Release a lock taken by lock_acquire(); -1 is fine. */
void lock_release(int fd);

#endif
