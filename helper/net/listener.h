/*
 * The one-shot loopback listener of the authorization code flow
 * (RFC 8252 section 7.3, contract §8).
 *
 * It listens on 127.0.0.1 only and serves many connections at once with
 * poll(): browsers pre-connect, keep connections alive and ask for
 * /favicon.ico. Every response closes its connection. A request over 8 KiB
 * (431) or with a Host other than 127.0.0.1:<port> or localhost:<port>
 * (400, against DNS rebinding) is refused and closed; a connection idle
 * for LISTENER_IDLE_SECONDS is dropped silently; past
 * LISTENER_MAX_CONNECTIONS the oldest connection that has sent nothing
 * makes room (one whose request has begun, read or still waiting in the
 * socket, stays while such a one exists). Only
 * "GET /callback" whose state equals the expected one (constant-time)
 * ends the wait; a wrong state gets a 400 page and the wait goes on.
 * Responses are a small self-contained HTML page with
 * Cache-Control: no-store, Referrer-Policy: no-referrer and a strict
 * Content-Security-Policy; provider text in the page is HTML-escaped
 * (page.h). The callback's checks are callback_answer()'s (callback.h).
 */
#ifndef CLERK_LISTENER_H
#define CLERK_LISTENER_H

#include <stdbool.h>
#include <stddef.h>

#include "callback.h"

#define LISTENER_IDLE_SECONDS    5
#define LISTENER_MAX_CONNECTIONS 64

struct listener;

/*
 * Bind 127.0.0.1:@port (0: any free port) and listen. *@bound_port gets
 * the real port. CLERK_EIO with a message when the port is taken.
 */
int listener_open(int port, struct listener **out, int *bound_port);

/*
 * listener_open() on the first of @ports[0..@n) that is free (none: any
 * free port); a port taken moves on to the next. CLERK_EIO with a
 * message naming the ports tried when none is free.
 */
int listener_open_first(const int *ports, size_t n, struct listener **out,
                        int *bound_port);

/*
 * Wait up to @timeout_s seconds (at least 1) for the callback. Requests
 * for another path get 404, other methods 405, a malformed query or a
 * wrong or missing state 400, and the wait goes on. A callback with the
 * expected state ends it, its page answered (flushed for up to 2 s):
 * - the issuer is checked first, for error answers too (RFC 9207):
 *   @expected_iss, when non-NULL and the callback carries iss, must
 *   equal it; with @iss_required a missing iss fails too. Either way
 *   CLERK_EPROVIDER, @out left empty;
 * - with error=...: CLERK_EDENIED for access_denied, else
 *   CLERK_EPROVIDER; @out->state, error and error_description are set
 *   (a code beside an error is dropped) and the page shows them escaped;
 * - with neither code nor error (or an empty code): CLERK_EPROTO;
 * - with code: 0, and @out holds the parameters (the caller owns them
 *   and releases them with callback_params_release()).
 * Each failure is reported on stderr. CLERK_ETIMEOUT when the time runs
 * out (the message says so), CLERK_EIO when the socket fails.
 */
int listener_wait(struct listener *l, const char *expected_state,
                  const char *expected_iss, bool iss_required, int timeout_s,
                  struct callback_params *out);

/*
 * Another way for the answer to arrive, watched beside the socket (paste
 * mode: the address of the final page typed into the terminal). When
 * @fd is readable, @read is called: it returns 0 with *@query set to
 * the query of that address (freed with secret_free(); it goes through
 * every check a callback does, and a wrong state keeps the wait going),
 * 1 when it has nothing yet, or a negative code, already reported, to
 * end the wait with. @again (or NULL) is called when a query it handed
 * over did not end the wait (a wrong state, say): paste mode asks anew.
 */
struct listener_input {
	int fd;
	int (*read)(void *arg, char **query);
	void (*again)(void *arg);
	void *arg;
};

/*
 * listener_wait() that also takes answers from @in (NULL: none). Both
 * wake at least once a second: they keep the status line of progress.h
 * up to date (when progress_begin() was called), and return CLERK_EINTR
 * once interrupt_check() reports a signal.
 */
int listener_wait_input(struct listener *l, const char *expected_state,
                        const char *expected_iss, bool iss_required,
                        int timeout_s, const struct listener_input *in,
                        struct callback_params *out);

/* Close every connection and the socket; NULL is fine. */
void listener_close(struct listener *l);

#endif
