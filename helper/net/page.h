/*
 * What the browser is shown at the end of a sign-in: the loopback
 * listener's answers, a small self-contained HTML page each, with the
 * HTTP head that goes before it (Cache-Control: no-store,
 * Referrer-Policy: no-referrer and a strict Content-Security-Policy).
 * Provider text in a page is HTML-escaped.
 */
#ifndef CLERK_PAGE_H
#define CLERK_PAGE_H

#include <stdbool.h>

#include "util.h"

/* The fixed pages: what each says. */
enum page {
	PAGE_SUCCESS,     /* signed in: close the tab */
	PAGE_STALE,       /* a state from another sign-in */
	PAGE_MALFORMED,   /* a query that does not decode */
	PAGE_ISS,         /* an answer from another issuer */
	PAGE_NO_CODE,     /* neither a code nor an error */
	PAGE_BAD_REQUEST, /* a malformed request, or a foreign Host */
	PAGE_NOT_FOUND,   /* a path other than /callback */
	PAGE_METHOD,      /* a method other than GET */
	PAGE_TOO_BIG,     /* a request head over HTTP_REQUEST_MAX */
};

/* The body of page @p: the part between page_response()'s frame. */
const char *page_body(enum page p);

/*
 * Append to @sb the body of the page that shows the provider's refusal
 * (@denied: access_denied) or other error: @error and @description (or
 * NULL), HTML-escaped.
 */
int page_error(struct strbuf *sb, const char *error, const char *description,
               bool denied);

/*
 * Append to @sb the whole HTTP/1.1 answer: status line and head for
 * @status, then @body (from page_body() or page_error()) inside the
 * page's frame (style, footer). A NULL @body is an empty body (a
 * favicon's 404). CLERK_ENOMEM when @sb cannot grow.
 */
int page_response(struct strbuf *sb, int status, const char *body);

#endif
