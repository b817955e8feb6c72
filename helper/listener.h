/*
 * The one-shot loopback listener of the authorization code flow
 * (RFC 8252 section 7.3, SPEC 7).
 *
 * It listens on 127.0.0.1 only and serves many connections at once with
 * poll(): browsers pre-connect, keep connections alive and ask for
 * /favicon.ico. Every response closes its connection. A request over 8 KiB,
 * with a Host other than 127.0.0.1:<port> or localhost:<port>, or a
 * connection idle for LISTENER_IDLE_SECONDS is dropped. Only
 * "GET /callback" whose state equals the expected one (constant-time)
 * ends the wait; a wrong state gets a 400 page and the wait goes on.
 * Responses are a small self-contained HTML page with
 * Cache-Control: no-store, Referrer-Policy: no-referrer and a strict
 * Content-Security-Policy; provider text in the page is HTML-escaped.
 */
#ifndef CLERK_LISTENER_H
#define CLERK_LISTENER_H

#include <stdbool.h>

#include "callback.h"

#define LISTENER_IDLE_SECONDS 5
#define LISTENER_MAX_CONNECTIONS 64

struct listener;

/*
 * Bind 127.0.0.1:@port (0: any free port) and listen. *@bound_port gets
 * the real port. CLERK_EIO with a message when the port is taken.
 */
int listener_open(int port, struct listener **out, int *bound_port);

/*
 * Wait up to @timeout_s seconds for the callback. On success @out holds
 * the callback parameters and the browser was answered:
 * - with code: 0 (the caller checks iss via @expected_iss below);
 * - with error=...: CLERK_EDENIED for access_denied, else
 *   CLERK_EPROVIDER; @out->error and error_description are set and the
 *   page shows them escaped.
 * @expected_iss: when non-NULL and the callback carries iss, it must
 * equal it (else the page shows an error and CLERK_EPROVIDER); when
 * @iss_required is true a missing iss is CLERK_EPROVIDER too (RFC 9207).
 * CLERK_ETIMEOUT when the time runs out (message says so).
 */
int listener_wait(struct listener *l, const char *expected_state,
		  const char *expected_iss, bool iss_required, int timeout_s,
		  struct callback_params *out);

/* Close every connection and the socket; NULL is fine. */
void listener_close(struct listener *l);

#endif
