/*
 * See listener.h.
 *
 * MUST: listen on 127.0.0.1 only, and answer a request only when its
 * Host names this listener (127.0.0.1:<port> or localhost:<port>): a
 * page on a rebound DNS name must not be able to read or end the wait.
 * MUST: never block on one connection: sockets are non-blocking, answers
 * are written as POLLOUT allows, every connection has a deadline, and a
 * new connection always finds a slot (the oldest idle one is dropped).
 * MUST NOT: drop a connection whose request has begun to arrive while one
 * that has sent nothing can go instead, bytes not read yet included: a
 * browser's request lost under a flood of idle connections ends the
 * sign-in.
 * MUST: hand every callback, from a connection or pasted, to
 * callback_answer() (callback.c), which checks state and issuer, and end
 * the wait only when it says so.
 * MUST NOT: log a query or a code. Request bytes are wiped as soon as
 * they are parsed and when a connection closes; the code leaves only
 * through @out.
 *
 * The pages the browser is shown are page.c's.
 */
/* accept4() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "httpreq.h"
#include "interrupt.h"
#include "log.h"
#include "page.h"
#include "progress.h"
#include "util.h"

#include "banned.h"

#define IDLE_MS   ((int64_t)LISTENER_IDLE_SECONDS * 1000)
#define FLUSH_MS  2000 /* the final answer may take this long to leave */
#define LINGER_MS 2000 /* read what a client still sends after the answer */
#define TICK_MS   1000 /* wake at least this often: status line, signals */

enum conn_state {
	CONN_FREE,
	CONN_READ,   /* reading a request head */
	CONN_WRITE,  /* writing the answer */
	CONN_LINGER, /* answer sent, write side shut: drain, then close */
};

struct conn {
	int fd;
	enum conn_state state;
	int64_t deadline; /* monotonic ms: past it, dropped */
	int64_t since;    /* monotonic ms of the last activity */
	char *out;
	size_t outlen, outoff;
	size_t inlen;
	char in[HTTP_REQUEST_MAX];
};

struct listener {
	int fd;
	int port;
	struct conn conns[LISTENER_MAX_CONNECTIONS];
};

/* What listener_wait() waits for, and what it found. */
struct wait {
	struct callback_expect want;
	bool done;
	int result;
	struct conn *final;
	struct callback_params *out;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
conn_close(struct conn *c)
{
	if (!c || c->state == CONN_FREE)
		return;
	close(c->fd);
	secret_wipe(c->in, c->inlen);
	free(c->out);
	c->fd = -1;
	c->state = CONN_FREE;
	c->inlen = c->outlen = c->outoff = 0;
	c->out = NULL;
}

/* Send what the socket takes; when all is sent, shut the write side. */
static void
conn_send(struct conn *c)
{
	ssize_t n;

	while (c->outoff < c->outlen) {
		n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
		         MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->outoff += (size_t)n;
		c->since = now_ms();
		c->deadline = c->since + IDLE_MS;
	}
	/*
	 * Closing with unread bytes in the socket would send a reset that
	 * can destroy the answer in flight (a POST body, an oversized
	 * head): shut the write side and read until the client closes.
	 */
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->since = now_ms();
	c->deadline = c->since + LINGER_MS;
}

/*
 * Answer @c with @status and the page around @body (HTML; NULL: empty
 * body) and start sending. The request bytes are wiped now: they may
 * hold the code.
 */
static void
conn_reply(struct conn *c, int status, const char *body)
{
	struct strbuf sb = STRBUF_INIT;

	/* A pasted answer (paste mode) has no connection to answer. */
	if (!c)
		return;
	secret_wipe(c->in, c->inlen);
	c->inlen = 0;
	if (page_response(&sb, status, body)) {
		strbuf_release(&sb);
		conn_close(c);
		return;
	}
	c->outlen = sb.len;
	c->outoff = 0;
	c->out = sb.buf;
	c->state = CONN_WRITE;
	c->since = now_ms();
	c->deadline = c->since + IDLE_MS;
	conn_send(c);
}

static void
wait_finish(struct wait *w, struct conn *c, int result)
{
	w->done = true;
	w->final = c;
	w->result = result;
}

/* Check an answer, from a connection or pasted (@c NULL), and reply. */
static void
answer_callback(struct conn *c, const char *query, struct wait *w)
{
	struct callback_reply rep;

	callback_answer(query, &w->want, c == NULL, &rep, w->out);
	if (rep.body)
		conn_reply(c, rep.status, rep.body);
	else
		conn_close(c);
	if (rep.done)
		wait_finish(w, c, rep.result);
	callback_reply_release(&rep);
}

/* True when @host is @name:@port (or bare @name on port 80). */
static bool
host_is(const char *host, const char *name, int port)
{
	size_t n = strlen(name);
	char want[16];

	if (strncasecmp(host, name, n) != 0)
		return false;
	host += n;
	if (!*host)
		return port == 80;
	snprintf(want, sizeof(want), ":%d", port);
	return strcmp(host, want) == 0;
}

static void
answer_request(struct listener *l, struct conn *c,
               const struct http_request *req, struct wait *w)
{
	int status;

	if (!req->host || !(host_is(req->host, "127.0.0.1", l->port) ||
	                    host_is(req->host, "localhost", l->port)))
		status = 400;
	else if (strcmp(req->method, "GET") != 0)
		status = 405;
	else if (strcmp(req->path, "/callback") != 0)
		status = 404;
	else
		status = 0;
	log_debug("loopback listener: %s %.100s: %d", req->method, req->path,
	          status ? status : 200);
	switch (status) {
	case 400:
		conn_reply(c, 400, page_body(PAGE_BAD_REQUEST));
		break;
	case 405:
		conn_reply(c, 405, page_body(PAGE_METHOD));
		break;
	case 404:
		conn_reply(c, 404,
		           strcmp(req->path, "/favicon.ico") == 0
		                   ? NULL
		                   : page_body(PAGE_NOT_FOUND));
		break;
	default:
		answer_callback(c, req->query, w);
		break;
	}
}

static void
conn_recv(struct listener *l, struct conn *c, struct wait *w)
{
	struct http_request req = {0};
	ssize_t n;

	/* The parser says TOO_BIG before the buffer is full: room > 0. */
	n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	c->since = now_ms();
	c->deadline = c->since + IDLE_MS;
	switch (http_request_parse(c->in, c->inlen, &req)) {
	case HTTP_PARSE_MORE:
		break;
	case HTTP_PARSE_TOO_BIG:
		conn_reply(c, 431, page_body(PAGE_TOO_BIG));
		break;
	case HTTP_PARSE_BAD:
		conn_reply(c, 400, page_body(PAGE_BAD_REQUEST));
		break;
	case HTTP_PARSE_OK:
		answer_request(l, c, &req, w);
		break;
	}
	http_request_release(&req);
}

/* Read and drop what a client sends after its answer, until it closes. */
static void
conn_drain(struct conn *c)
{
	char buf[1024];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0)
		secret_wipe(buf, (size_t)n);
	else
		conn_close(c);
}

static void
conn_event(struct listener *l, struct conn *c, short ev, struct wait *w)
{
	if (!ev)
		return;
	if (ev & POLLNVAL) {
		conn_close(c);
		return;
	}
	switch (c->state) {
	case CONN_READ:
		conn_recv(l, c, w);
		break;
	case CONN_WRITE:
		conn_send(c);
		break;
	case CONN_LINGER:
		conn_drain(c);
		break;
	case CONN_FREE:
		break;
	}
}

/*
 * True when @c has received part of a request: read already, or waiting
 * in the socket, arrived after poll() looked (a busy listener, a flood).
 */
static bool
conn_started(const struct conn *c)
{
	int pending = 0;

	return c->inlen > 0 ||
	       (ioctl(c->fd, FIONREAD, &pending) == 0 && pending > 0);
}

/*
 * A slot for a new connection. When all are taken the one least likely
 * to matter goes: lingering, then idle (nothing received), then partial,
 * then writing; the oldest first.
 */
static struct conn *
conn_slot(struct listener *l)
{
	static const int rank[] = {
	        [CONN_FREE] = -1,
	        [CONN_LINGER] = 0,
	        [CONN_READ] = 1,
	        [CONN_WRITE] = 3,
	};
	struct conn *c, *victim = NULL;
	int best = INT_MAX, rk;
	size_t i;

	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++) {
		c = &l->conns[i];
		rk = rank[c->state];
		if (rk < 0)
			return c;
		/* Only an idle one can be better than the best so far. */
		if (c->state == CONN_READ && rk <= best && conn_started(c))
			rk++;
		if (rk < best || (rk == best && c->since < victim->since)) {
			best = rk;
			victim = c;
		}
	}
	log_debug("loopback listener: %d connections open, dropping the "
	          "oldest idle one",
	          LISTENER_MAX_CONNECTIONS);
	conn_close(victim);
	return victim;
}

/* Accept the pending connections (a bounded number per round). */
static int
listener_accept(struct listener *l)
{
	struct conn *c;
	int fd, i;

	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (fd < 0) {
			log_error("loopback listener failed: accept: %s "
			          "(run `clerk-credential login` to try again)",
			          strerror(errno));
			return CLERK_EIO;
		}
		c = conn_slot(l);
		c->fd = fd;
		c->state = CONN_READ;
		c->since = now_ms();
		c->deadline = c->since + IDLE_MS;
	}
	return 0;
}

/* Drop every connection past its deadline. */
static void
conns_expire(struct listener *l, int64_t now)
{
	size_t i;

	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++)
		if (l->conns[i].state != CONN_FREE &&
		    l->conns[i].deadline <= now)
			conn_close(&l->conns[i]);
}

/* Fill @pfd (the listening socket first); the number of connections. */
static int
poll_setup(struct listener *l, struct pollfd *pfd, struct conn **map,
           int64_t *wake)
{
	struct conn *c;
	int i, n = 0;

	pfd[0] = (struct pollfd){.fd = l->fd, .events = POLLIN};
	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++) {
		c = &l->conns[i];
		if (c->state == CONN_FREE)
			continue;
		pfd[n + 1] = (struct pollfd){
		        .fd = c->fd,
		        .events = c->state == CONN_WRITE ? POLLOUT : POLLIN,
		};
		map[n++] = c;
		if (c->deadline < *wake)
			*wake = c->deadline;
	}
	return n;
}

/* Give the final answer up to FLUSH_MS to leave, then close. */
static void
conn_flush(struct conn *c)
{
	int64_t end = now_ms() + FLUSH_MS, now;
	struct pollfd p = {.fd = c->fd, .events = POLLOUT};

	while (c->state == CONN_WRITE && (now = now_ms()) < end) {
		if (poll(&p, 1, (int)(end - now)) < 0 && errno != EINTR)
			break;
		if (p.revents)
			conn_send(c);
	}
	conn_close(c);
}

/* @in's descriptor is readable: check what it hands over as an answer. */
static int
input_event(const struct listener_input *in, struct wait *w)
{
	char *query = NULL;
	int r = in->read(in->arg, &query);

	if (r == 0) {
		answer_callback(NULL, query, w);
		if (!w->done && in->again)
			in->again(in->arg);
	}
	secret_free(query);
	return r > 0 ? 0 : r;
}

int
listener_wait(struct listener *l, const char *expected_state,
              const char *expected_iss, bool iss_required, int timeout_s,
              struct callback_params *out)
{
	return listener_wait_input(l, expected_state, expected_iss,
	                           iss_required, timeout_s, NULL, out);
}

/* One round of the wait: poll (a second at most), handle what came. */
static int
wait_round(struct listener *l, const struct listener_input *in, struct wait *w,
           int64_t now, int64_t deadline)
{
	struct pollfd pfd[LISTENER_MAX_CONNECTIONS + 2];
	struct conn *map[LISTENER_MAX_CONNECTIONS];
	int64_t wake = deadline;
	int i, n, r;

	n = poll_setup(l, pfd, map, &wake);
	if (in)
		pfd[n + 1] = (struct pollfd){.fd = in->fd, .events = POLLIN};
	/* Wake at least once a second: the status line, signals. */
	if (wake - now > TICK_MS)
		wake = now + TICK_MS;
	if (poll(pfd, (nfds_t)n + 1 + (in != NULL), (int)(wake - now)) < 0) {
		if (errno == EINTR)
			return 0;
		log_error("loopback listener failed: poll: %s (run "
		          "`clerk-credential login` to try again)",
		          strerror(errno));
		return CLERK_EIO;
	}
	for (i = 0; i < n && !w->done; i++)
		conn_event(l, map[i], pfd[i + 1].revents, w);
	if (!w->done && in && pfd[n + 1].revents && (r = input_event(in, w)))
		return r;
	if (!w->done && (pfd[0].revents & POLLIN))
		return listener_accept(l);
	return 0;
}

int
listener_wait_input(struct listener *l, const char *expected_state,
                    const char *expected_iss, bool iss_required, int timeout_s,
                    const struct listener_input *in,
                    struct callback_params *out)
{
	struct wait w = {
	        .want = {expected_state, expected_iss, iss_required},
	        .out = out,
	};
	int64_t deadline, now;
	int r;

	if (!l || !expected_state || !*expected_state || !out)
		return CLERK_EINTERNAL;
	if (timeout_s < 1)
		timeout_s = 1;
	deadline = now_ms() + (int64_t)timeout_s * 1000;
	for (;;) {
		now = now_ms();
		conns_expire(l, now);
		if ((r = interrupt_check()))
			break;
		if (now >= deadline) {
			log_error("sign-in timed out after %d s: no answer "
			          "from the browser (run `clerk-credential "
			          "login` to try again, or raise --timeout)",
			          timeout_s);
			r = CLERK_ETIMEOUT;
			break;
		}
		progress_update((deadline - now + 999) / 1000);
		if ((r = wait_round(l, in, &w, now, deadline)))
			break;
		if (w.done) {
			if (w.final)
				conn_flush(w.final);
			r = w.result;
			break;
		}
	}
	return r;
}

/* A listening socket on 127.0.0.1:@port, or -1 with errno set. */
static int
socket_listen(int port, int *bound_port)
{
	struct sockaddr_in sa = {0};
	socklen_t salen = sizeof(sa);
	int one = 1, fd, e;

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, LISTENER_MAX_CONNECTIONS) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*bound_port = ntohs(sa.sin_port);
	return fd;
}

/* A listener on @port, or CLERK_EIO with errno in *@err (not logged). */
static int
listener_try(int port, struct listener **out, int *err)
{
	struct listener *l;
	size_t i;

	if (!(l = calloc(1, sizeof(*l))))
		return CLERK_ENOMEM;
	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++)
		l->conns[i].fd = -1;
	if ((l->fd = socket_listen(port, &l->port)) < 0) {
		*err = errno;
		secret_free(l);
		return CLERK_EIO;
	}
	*out = l;
	return 0;
}

static bool
port_valid(int port)
{
	if (port >= 0 && port <= 65535)
		return true;
	log_error("cannot listen on port %d: not a port number (use 1 to "
	          "65535, or 0 for any free port)",
	          port);
	return false;
}

int
listener_open(int port, struct listener **out, int *bound_port)
{
	const char *hint = "choose another --callback-port, or 0 for any";
	struct listener *l = NULL;
	int e = 0, r;

	if (!port_valid(port))
		return CLERK_ECONFIG;
	if ((r = listener_try(port, &l, &e)) == CLERK_EIO) {
		if (!port)
			hint = "check the loopback interface";
		log_error("cannot listen on 127.0.0.1:%d: %s (%s)", port,
		          strerror(e), hint);
	}
	if (r)
		return r;
	*bound_port = l->port;
	*out = l;
	return 0;
}

int
listener_open_first(const int *ports, size_t n, struct listener **out,
                    int *bound_port)
{
	char tried[128] = "";
	size_t i, len = 0;
	int e = 0, r, w;

	if (n <= 1)
		return listener_open(n ? ports[0] : 0, out, bound_port);
	for (i = 0; i < n; i++) {
		if (!port_valid(ports[i]))
			return CLERK_ECONFIG;
		if ((r = listener_try(ports[i], out, &e)) == 0) {
			*bound_port = (*out)->port;
			return 0;
		}
		if (r != CLERK_EIO)
			return r;
		log_debug("cannot listen on 127.0.0.1:%d: %s; trying the next "
		          "callback port",
		          ports[i], strerror(e));
		w = snprintf(tried + len, sizeof(tried) - len, "%s%d",
		             i ? ", " : "", ports[i]);
		if (w > 0 && (size_t)w < sizeof(tried) - len)
			len += (size_t)w;
	}
	log_error("cannot listen on 127.0.0.1: every callback port is taken "
	          "(tried %s; the last: %s) (end what holds them, or list "
	          "another in --callback-port)",
	          tried, strerror(e));
	return CLERK_EIO;
}

void
listener_close(struct listener *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++)
		conn_close(&l->conns[i]);
	if (l->fd >= 0)
		close(l->fd);
	secret_free(l);
}
