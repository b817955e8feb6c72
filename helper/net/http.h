/*
 * HTTP client through libcurl (GnuTLS build); the only module that
 * includes libcurl.
 *
 * MUST: verify TLS; speak only http and https; follow no redirect; bound
 * response bodies to HTTP_MAX_BODY; time out (connect 10 s, whole request
 * 30 s). MUST NOT: log a request body, a bearer token or a response body.
 * Only https URLs are accepted, except http on loopback (127.0.0.1, [::1],
 * localhost) for development and tests.
 *
 * Proxies: libcurl's https_proxy, HTTPS_PROXY, http_proxy, all_proxy and
 * no_proxy (or NO_PROXY); loopback never goes through a proxy, whatever
 * no_proxy says. CA certificates: http_set_ca_file(), else as curl's
 * tool: CURL_CA_BUNDLE, else SSL_CERT_DIR and SSL_CERT_FILE, else
 * libcurl's default; for an https proxy too.
 */
#ifndef CLERK_HTTP_H
#define CLERK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_BODY (1024 * 1024)

struct http_response {
	long status; /* HTTP status, 0 if none */
	char *body;  /* NUL-terminated, wiped on release */
	size_t len;
	char *content_type; /* or NULL */
	long retry_after;   /* seconds from Retry-After, or -1 */
	int64_t date;       /* the Date header, Unix seconds, or 0 */
	/* The Location header (under 8 KiB), or NULL; wiped on release: a
	 * redirect back from an authorization endpoint carries a code. */
	char *location;
};

#define HTTP_RESPONSE_INIT                                                 \
	{                                                                  \
		.status = 0, .body = NULL, .len = 0, .content_type = NULL, \
		.retry_after = -1, .date = 0, .location = NULL             \
	}

void http_response_release(struct http_response *resp);

/*
 * Trust the CA certificates (PEM) in file @path for every request from
 * now on, instead of what the environment names; NULL: back to the
 * environment. The path is copied.
 */
int http_set_ca_file(const char *path);

/*
 * True when @url may be contacted under the policy above: "https://" or
 * "http://" (lower case) and a host, with an optional port 1-65535; for
 * http the host is exactly 127.0.0.1, [::1] or localhost. Refused: '@'
 * or '%' in the authority, blanks, controls, non-ASCII bytes and '\'
 * anywhere, URLs of 8 KiB or more.
 */
bool http_url_allowed(const char *url);

/*
 * POST @form (application/x-www-form-urlencoded, a secret) to @url.
 * Returns 0 whenever an HTTP response arrived, whatever its status;
 * CLERK_ETLS (with a message naming the URL and curl's reason, and how
 * to trust a private CA) when TLS failed: an untrusted certificate, a
 * wrong host name, a refused protocol version; CLERK_ENET (message
 * likewise) when no answer came for another reason: DNS, connect,
 * reset, timeout; CLERK_EPROTO when the body was over the limit,
 * CLERK_ECONFIG when the URL is not allowed or the CA file unusable. On success
 * @out (HTTP_RESPONSE_INIT or a previous answer) is released and replaced; on
 * failure it is untouched.
 */
int http_post_form(const char *url, const char *form,
                   struct http_response *out);

/*
 * GET @url, with "Authorization: Bearer @bearer" when @bearer is set (a
 * bearer that is empty or holds blanks or controls is CLERK_EPROTO).
 * Results as http_post_form().
 */
int http_get(const char *url, const char *bearer, struct http_response *out);

/*
 * http_get() without a bearer, whose answer may be at most @max bytes
 * (at most HTTP_MAX_BODY: a larger @max is that); a larger one is
 * CLERK_EPROTO.
 */
int http_get_limited(const char *url, size_t max, struct http_response *out);

#endif
