/*
 * Result codes shared by every module.
 *
 * Functions return 0 on success and one of these negative codes on failure.
 * The function that detects a failure reports it once on stderr (log.h) with
 * what failed, why and what to do; callers propagate the code unchanged.
 * Only main() turns a code into an exit status.
 */
#ifndef CLERK_ERROR_H
#define CLERK_ERROR_H

enum clerk_err {
	CLERK_OK = 0,
	CLERK_ENOMEM = -1,      /* allocation failed */
	CLERK_EIO = -2,         /* file or socket I/O failed */
	CLERK_ECONFIG = -3,     /* bad or missing configuration */
	CLERK_EPROTO = -4,      /* malformed input from a caller or peer */
	CLERK_ENET = -5,        /* no answer: DNS, connect, reset, timeout */
	CLERK_EPROVIDER = -6,   /* the provider answered with an error */
	CLERK_EDENIED = -7,     /* the user refused the sign-in */
	CLERK_ETIMEOUT = -8,    /* a wait ran out */
	CLERK_ENOINTERACT = -9, /* a sign-in is needed but not allowed */
	CLERK_EGRANT = -10,     /* invalid_grant: the refresh token is dead */
	CLERK_ENOTFOUND = -11,  /* nothing stored */
	CLERK_EPERM = -12,      /* unsafe file permissions or ownership */
	CLERK_EINTERNAL = -13,  /* a bug or an unusable build */
	CLERK_EINTR = -14,      /* cancelled by SIGINT, SIGTERM or SIGHUP */
	CLERK_EHELD = -15,      /* a server refuses fresh tokens: none now */
	CLERK_ETLS = -16,       /* TLS refused: certificate, version, name */
	CLERK_ECOOLDOWN = -17,  /* a sign-in failed moments ago: none now */
};

#endif
