/*
 * The OAuth 2.0 Device Authorization Grant (RFC 8628, contract §8), for a
 * session with no browser when the provider advertises
 * device_authorization_endpoint. The user opens the verification URL on
 * any device (a phone: the QR code) and confirms the code shown here;
 * meanwhile this side polls the token endpoint every `interval` seconds
 * (5 s more after each slow_down) until the tokens come, the user
 * refuses (access_denied), the code expires (expired_token) or the time
 * (--timeout, or the code's life if shorter) runs out, each with its own
 * message. No PKCE: the device code never leaves this process.
 *
 * MUST: keep the device code out of every message, argv and the
 * environment (it is a bearer secret until used); show only printable
 * ASCII from the provider; never poll faster than the interval asked.
 */
#ifndef CLERK_DEVICE_H
#define CLERK_DEVICE_H

#include <stdint.h>
#include <stddef.h>

#include "config.h"
#include "discovery.h"
#include "tokenset.h"

#define DEVICE_GRANT_TYPE       "urn:ietf:params:oauth:grant-type:device_code"
#define DEVICE_DEFAULT_INTERVAL 5 /* seconds, RFC 8628 section 3.2 */
#define DEVICE_SLOW_DOWN_STEP   5 /* seconds added by slow_down */
#define DEVICE_MAX_INTERVAL     300
#define DEVICE_MAX_CODE         4096 /* device_code bytes */
#define DEVICE_MAX_USER_CODE    64
#define DEVICE_MAX_URI          2048

/* The device authorization answer (RFC 8628 section 3.2). */
struct device_auth {
	char *device_code; /* secret: wiped on release */
	char *user_code;
	char *verification_uri;
	char *verification_uri_complete; /* or NULL */
	int64_t expires_in;              /* seconds; 0: not given */
	int interval;                    /* seconds between polls */
};

void device_auth_release(struct device_auth *da);

/*
 * Parse the device authorization endpoint's answer (@status, @body).
 * Needs a 200 JSON object with device_code (visible ASCII, at most
 * DEVICE_MAX_CODE bytes), user_code (printable ASCII, at most
 * DEVICE_MAX_USER_CODE), verification_uri (or Google's
 * verification_url) and, when present, verification_uri_complete: both
 * URLs that http_url_allowed() takes; expires_in 1 s to a day when
 * present; interval 1 to DEVICE_MAX_INTERVAL (absent: 5). An error
 * answer or anything malformed is CLERK_EPROVIDER with a message; *@out
 * is set only on success.
 */
int device_parse_authorization(long status, const char *body, size_t len,
                               struct device_auth *out);

/* What a token endpoint answer means while polling. */
enum device_poll {
	DEVICE_POLL_DONE,      /* anything else: parse it as a token answer */
	DEVICE_POLL_PENDING,   /* authorization_pending: poll again */
	DEVICE_POLL_SLOW_DOWN, /* slow_down: poll again, 5 s slower */
	DEVICE_POLL_DENIED,    /* access_denied */
	DEVICE_POLL_EXPIRED,   /* expired_token */
};

/* Classify a token endpoint answer (@status, @body) during polling. */
enum device_poll device_poll_classify(long status, const char *body,
                                      size_t len);

/*
 * Run the whole flow against @op (which must have a device endpoint);
 * on success @out holds the new token set, its ID token verified and
 * userinfo fetched (best-effort). CLERK_EDENIED, CLERK_ETIMEOUT,
 * CLERK_EINTR or the token endpoint's error otherwise, reported.
 */
int device_signin(const struct config *cfg, const struct oidc_provider *op,
                  struct tokenset *out);

#endif
