/*
 * A tiny HTTP/1.1 server for unit tests: one thread, one request per
 * connection, listening on 127.0.0.1 only, answering from a route table.
 */
#ifndef CLERK_TEST_HTTPD_H
#define CLERK_TEST_HTTPD_H

#include <stddef.h>

struct httpd_route {
	const char *path; /* exact match on the path before '?' */
	int status;
	const char *headers; /* extra header lines, each ending "\r\n" */
	const char *body;    /* NULL: empty */
	size_t repeat;       /* send @body this many times (0 = once) */
	int no_length;       /* close-delimited body, no Content-Length */
};

/* Serve @routes (ended by a NULL path) on a free port, in a thread. */
int httpd_start(const struct httpd_route *routes, int *port);
void httpd_stop(void);

/* Copy of the last request (head and body), NUL-terminated. */
void httpd_last_request(char *buf, size_t size);
/* Number of requests served since start. */
int httpd_requests(void);

/* A 127.0.0.1 port on which nothing listens (bound, then closed). */
int httpd_closed_port(void);

/*
 * Unset the proxy variables libcurl reads (http_proxy, https_proxy and
 * all_proxy, either case): a proxy of the environment must not see the
 * requests to this server. For a setup, before the first request.
 */
void httpd_unset_proxies(void);

#endif
