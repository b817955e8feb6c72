/*
 * Unit tests of listener.c: a real listener on 127.0.0.1 (port 0) and a
 * thread that plays the browser with plain sockets, as browsers do:
 * idle pre-connections, /favicon.ico, stray and hostile requests, then
 * the callback. Only the main thread asserts; the browser thread records.
 * Link with -Wl,--wrap=send,--wrap=accept4 (see __wrap_send and
 * __wrap_accept4 below) and -lpthread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"
#include "error.h"
#include "fixture.h"
#include "httpreq.h"
#include "listener.h"

#define STATE     "St4te-of-this-sign-in_x"
#define MAX_STEPS 32
#define MAX_RESP  65536
#define MAX_REQ   (3 * HTTP_REQUEST_MAX)

#define SUCCESS_TEXT \
	"Signed in. You can close this tab and return to the terminal."
#define STALE_TEXT "stale or not from this helper"

/*
 * One request of the browser. In @req, "{port}" becomes the listener's
 * port, "{state}" the expected state, "{pad}" a header of @pad bytes and
 * "{quotes}" @pad double quotes.
 */
struct step {
	const char *name;
	const char *req;
	size_t pad;
	int want_status;
	const char *want_text; /* in the response, or NULL */
	const char *not_text;  /* not in the response, or NULL */
};

/* The browser thread: what it does and what it saw. */
struct browser {
	int port;
	const struct step *steps;
	size_t nsteps;
	bool extra_conns;  /* idle, partial and never-reading sockets */
	bool slow_last;    /* send the last request in small pieces */
	bool measure_idle; /* first time how long an idle socket lives */
	bool crowd;        /* first fill every slot with idle sockets */

	char *resp[MAX_STEPS];
	int64_t idle_ms;
	bool idle_silent;    /* the idle socket got no byte */
	bool oldest_dropped; /* crowd: the first idle socket was closed */
	bool next_kept;      /* crowd: the second one was not */
};

/*
 * The listener's send() comes here (the test is linked with
 * -Wl,--wrap=send). With @throttle set, a call from the main thread (the
 * listener's) fails with EAGAIN every other time and writes at most 100
 * bytes otherwise, as a socket with a full buffer would: answers then go
 * out in pieces through POLLOUT and the final flush. Loopback sockets
 * take megabytes at once, so nothing else gets there. Linked without
 * the option, __real_send is NULL and that test is skipped.
 */
ssize_t __real_send(int fd, const void *buf, size_t len, int flags)
        __attribute__((weak));
ssize_t __wrap_send(int fd, const void *buf, size_t len, int flags);

static bool throttle;
static unsigned long throttle_calls;
static pthread_t main_thread;

ssize_t
__wrap_send(int fd, const void *buf, size_t len, int flags)
{
	if (throttle && pthread_equal(pthread_self(), main_thread)) {
		if (throttle_calls++ % 2 == 0) {
			errno = EAGAIN;
			return -1;
		}
		if (len > 100)
			len = 100;
	}
	return __real_send(fd, buf, len, flags);
}

/*
 * FAKE scheduling, for a race a real machine shows only under load: the
 * listener descheduled between poll() and accepting. The listener's
 * accept4() comes here (-Wl,--wrap=accept4). When @late_fd is set, the
 * @late_len bytes of @late_req are first sent on the client socket
 * @late_fd: they arrived after poll() looked, and wait unread while the
 * listener accepts.
 */
int __real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
        __attribute__((weak));
int __wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

static int late_fd = -1;
static const char *late_req;
static size_t late_len;
static bool late_sent;

int
__wrap_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int late = __atomic_load_n(&late_fd, __ATOMIC_ACQUIRE);

	if (late >= 0 && pthread_equal(pthread_self(), main_thread)) {
		late_sent = send(late, late_req, late_len, MSG_NOSIGNAL) ==
		            (ssize_t)late_len;
		__atomic_store_n(&late_fd, -1, __ATOMIC_RELEASE);
	}
	return __real_accept4(fd, addr, len, flags);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int
client_connect(int port)
{
	struct sockaddr_in sa = {0};
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Send @len bytes in pieces of @piece bytes, a short pause between. */
static bool
send_all(int fd, const char *p, size_t len, size_t piece)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len < piece ? len : piece, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		if (len > 0 && (size_t)n == piece)
			sleep_ms(5);
	}
	return true;
}

/* Read until the peer closes (or 5 s pass); a NUL-terminated copy. */
static char *
read_all(int fd)
{
	char *buf = calloc(1, MAX_RESP + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		return NULL;
	while (len < MAX_RESP) {
		n = recv(fd, buf + len, MAX_RESP - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* @tmpl with its placeholders filled in, into @out (MAX_REQ bytes). */
static size_t
fill(char *out, const char *tmpl, int port, size_t pad)
{
	size_t len = 0, n;
	int w;

	while (*tmpl && len < MAX_REQ - 64) {
		if (strncmp(tmpl, "{port}", 6) == 0) {
			w = snprintf(out + len, MAX_REQ - len, "%d", port);
			len += (size_t)w;
			tmpl += 6;
		} else if (strncmp(tmpl, "{state}", 7) == 0) {
			memcpy(out + len, STATE, sizeof(STATE) - 1);
			len += sizeof(STATE) - 1;
			tmpl += 7;
		} else if (strncmp(tmpl, "{quotes}", 8) == 0) {
			n = pad < MAX_REQ - len - 64 ? pad : MAX_REQ - len - 64;
			memset(out + len, '"', n);
			len += n;
			tmpl += 8;
		} else if (strncmp(tmpl, "{pad}", 5) == 0) {
			n = pad < MAX_REQ - len - 64 ? pad : MAX_REQ - len - 64;
			memcpy(out + len, "X-Pad: ", 7);
			memset(out + len + 7, 'a', n);
			memcpy(out + len + 7 + n, "\r\n", 2);
			len += n + 9;
			tmpl += 5;
		} else {
			out[len++] = *tmpl++;
		}
	}
	out[len] = '\0';
	return len;
}

static char *
exchange(int port, const char *req, size_t len, size_t piece)
{
	int fd = client_connect(port);
	char *resp = NULL;

	if (fd < 0)
		return NULL;
	if (send_all(fd, req, len, piece))
		resp = read_all(fd);
	close(fd);
	return resp;
}

/* How long until the listener drops a socket that sends nothing. */
static void
browser_idle(struct browser *b)
{
	int fd = client_connect(b->port);
	struct timeval tv = {3 * LISTENER_IDLE_SECONDS, 0};
	int64_t t0 = mono_ms();
	char c;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	b->idle_silent = recv(fd, &c, 1, 0) == 0;
	b->idle_ms = mono_ms() - t0;
	close(fd);
}

static void *
browser_run(void *arg)
{
	struct browser *b = arg;
	int crowd[LISTENER_MAX_CONNECTIONS], extra[3] = {-1, -1, -1};
	char *req = malloc(MAX_REQ + 1);
	struct pollfd p;
	size_t i, len;
	char c;

	if (!req)
		return NULL;
	if (b->measure_idle)
		browser_idle(b);
	for (i = 0; b->crowd && i < LISTENER_MAX_CONNECTIONS; i++)
		crowd[i] = client_connect(b->port);
	if (b->crowd)
		sleep_ms(300);
	if (b->extra_conns) {
		/* Pre-connection, half request, a reader that never reads */
		extra[0] = client_connect(b->port);
		extra[1] = client_connect(b->port);
		extra[2] = client_connect(b->port);
		len = fill(req, "GET /callback?state=", b->port, 0);
		send_all(extra[1], req, len, len);
		len = fill(req,
		           "GET /callback?code=x&state=old HTTP/1.1\r\n"
		           "Host: 127.0.0.1:{port}\r\n\r\n",
		           b->port, 0);
		send_all(extra[2], req, len, len);
	}
	for (i = 0; i < b->nsteps; i++) {
		len = fill(req, b->steps[i].req, b->port, b->steps[i].pad);
		b->resp[i] =
		        exchange(b->port, req, len,
		                 b->slow_last && i + 1 == b->nsteps ? 7 : len);
	}
	if (b->crowd) {
		p = (struct pollfd){.fd = crowd[0], .events = POLLIN};
		b->oldest_dropped =
		        poll(&p, 1, 2000) == 1 && recv(crowd[0], &c, 1, 0) == 0;
		b->next_kept = recv(crowd[1], &c, 1, MSG_DONTWAIT) < 0 &&
		               errno == EAGAIN;
		for (i = 0; i < LISTENER_MAX_CONNECTIONS; i++)
			if (crowd[i] >= 0)
				close(crowd[i]);
	}
	for (i = 0; i < 3; i++)
		if (extra[i] >= 0)
			close(extra[i]);
	free(req);
	return NULL;
}

static void
browser_release(struct browser *b)
{
	size_t i;

	for (i = 0; i < MAX_STEPS; i++)
		free(b->resp[i]);
}

static int
resp_status(const char *resp)
{
	if (strncmp(resp, "HTTP/1.1 ", 9) != 0 || strlen(resp) < 12)
		return -1;
	return (resp[9] - '0') * 100 + (resp[10] - '0') * 10 + (resp[11] - '0');
}

static void
assert_step(const struct step *s, const char *resp)
{
	if (!resp || !*resp)
		fail_msg("%s: no answer", s->name);
	if (resp_status(resp) != s->want_status)
		fail_msg("%s: status %d, want %d", s->name, resp_status(resp),
		         s->want_status);
	fixture_assert_head(s->name, resp);
	if (s->want_text && !strstr(resp, s->want_text))
		fail_msg("%s: answer lacks \"%s\"", s->name, s->want_text);
	if (s->not_text && strstr(resp, s->not_text))
		fail_msg("%s: answer has \"%s\"", s->name, s->not_text);
}

struct run {
	const char *iss;
	bool iss_required;
	int timeout_s;
	int rc;
	int64_t ms;
	struct callback_params out;
};

/* Open a listener, let @b play the browser, wait. */
static void
run_listener(struct browser *b, struct run *run)
{
	struct listener *l = NULL;
	pthread_t th;
	int64_t t0;

	assert_int_equal(listener_open(0, &l, &b->port), 0);
	assert_true(b->port > 0);
	assert_int_equal(pthread_create(&th, NULL, browser_run, b), 0);
	t0 = mono_ms();
	run->rc = listener_wait(l, STATE, run->iss, run->iss_required,
	                        run->timeout_s, &run->out);
	run->ms = mono_ms() - t0;
	/* Joined before closing: the thread looks at sockets still open. */
	pthread_join(th, NULL);
	listener_close(l);
}

#define HOST        "Host: 127.0.0.1:{port}\r\n"
#define CALLBACK(q) "GET /callback?" q " HTTP/1.1\r\n" HOST "\r\n"

static const struct step probes[] = {
        {"favicon",
         "GET /favicon.ico HTTP/1.1\r\n" HOST "Accept: image/*\r\n\r\n", 0, 404,
         "Content-Length: 0\r\n", NULL},
        {"root on localhost",
         "GET / HTTP/1.1\r\n"
         "Host: localhost:{port}\r\n\r\n",
         0, 404, "Not found", NULL},
        {"callback with a slash",
         "GET /callback/?code=x&state={state} "
         "HTTP/1.1\r\n" HOST "\r\n",
         0, 404, NULL, NULL},
        {"wrong state", CALLBACK("code=x&state=wrong"), 0, 400, STALE_TEXT,
         NULL},
        {"no state", CALLBACK("code=x"), 0, 400, STALE_TEXT, NULL},
        {"state with more", CALLBACK("code=x&state={state}x"), 0, 400,
         STALE_TEXT, NULL},
        {"state cut short", CALLBACK("code=x&state=St4te-of-this-sign-in_"), 0,
         400, STALE_TEXT, NULL},
        {"empty state", CALLBACK("code=x&state="), 0, 400, STALE_TEXT, NULL},
        {"duplicate state", CALLBACK("code=x&state={state}&state={state}"), 0,
         400, "malformed", NULL},
        {"bad escape", CALLBACK("code=%zz&state={state}"), 0, 400, "malformed",
         NULL},
        {"foreign host, right state",
         "GET /callback?code=x&state={state} HTTP/1.1\r\n"
         "Host: rebound.example:{port}\r\n\r\n",
         0, 400, "Bad request", NULL},
        {"wrong port",
         "GET /callback?code=x&state={state} HTTP/1.1\r\n"
         "Host: 127.0.0.1:1\r\n\r\n",
         0, 400, "Bad request", NULL},
        {"host without port",
         "GET /callback?code=x&state={state} "
         "HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
         0, 400, NULL, NULL},
        {"ipv6 host",
         "GET /callback?code=x&state={state} HTTP/1.1\r\n"
         "Host: [::1]:{port}\r\n\r\n",
         0, 400, NULL, NULL},
        {"no host", "GET /callback?code=x&state={state} HTTP/1.0\r\n\r\n", 0,
         400, NULL, NULL},
        {"two hosts",
         "GET /callback?code=x&state={state} HTTP/1.1\r\n" HOST
         "Host: evil.example\r\n\r\n",
         0, 400, NULL, NULL},
        {"post",
         "POST /callback HTTP/1.1\r\n" HOST
         "Content-Type: application/x-www-form-urlencoded\r\n"
         "Content-Length: 20\r\n\r\ncode=x&state={state}",
         0, 405, "\r\nAllow: GET\r\n", NULL},
        {"head", "HEAD /callback?code=x&state={state} HTTP/1.1\r\n" HOST "\r\n",
         0, 405, NULL, NULL},
        {"bad request line", "BLAH\r\n\r\n", 0, 400, NULL, NULL},
        {"tls handshake", "\x16\x03\x01\x02\x31\x01\x7f\x01\xfc\x03\x03", 0,
         400, NULL, NULL},
        {"oversized",
         "GET /callback?code=x&state={state} HTTP/1.1\r\n" HOST "{pad}\r\n",
         HTTP_REQUEST_MAX + 800, 431, NULL, NULL},
        {"oversized without end",
         "GET /callback?state={state} HTTP/1.1\r\n"
         "{pad}",
         2 * HTTP_REQUEST_MAX, 431, NULL, NULL},
        {"right callback", CALLBACK("code=c0de+x%2By&state={state}"), 0, 200,
         SUCCESS_TEXT, "c0de"},
};

static void
test_serves_many_then_callback(void **state)
{
	struct browser b = {
	        .steps = probes,
	        .nsteps = sizeof(probes) / sizeof(probes[0]),
	        .extra_conns = true,
	        .slow_last = true,
	};
	struct run run = {.timeout_s = 20};
	const char *last;
	size_t i;

	(void)state;
	run_listener(&b, &run);
	for (i = 0; i < b.nsteps; i++)
		assert_step(&probes[i], b.resp[i]);
	assert_int_equal(run.rc, 0);
	assert_string_equal(run.out.code, "c0de x+y");
	assert_string_equal(run.out.state, STATE);
	assert_null(run.out.error);
	last = b.resp[b.nsteps - 1];
	assert_non_null(strstr(last, "<title>Clerk sign-in</title>"));
	assert_non_null(strstr(last, "<meta name=\"viewport\""));
	assert_non_null(strstr(last, "prefers-color-scheme:dark"));
	/* The favicon answer has no page. */
	assert_string_equal(fixture_body(b.resp[0]), "");
	callback_params_release(&run.out);
	browser_release(&b);
}

/* One callback, one outcome. */
struct final_case {
	const char *name;
	const char *req;
	const char *iss;
	bool iss_required;
	int want_rc;
	const char *want_text, *not_text;
	const char *code, *error, *error_description;
};

#define ISS      "http://127.0.0.1:9/issuer"
#define ISS_Q    "http%3A%2F%2F127.0.0.1%3A9%2Fissuer"
#define SCRIPT_Q "%3Cscript%3Ealert(1)%3C%2Fscript%3E+%26+%22q%22"

static const struct final_case finals[] = {
        {"code", CALLBACK("code=abc&state={state}"), NULL, false, 0,
         SUCCESS_TEXT, NULL, "abc", NULL, NULL},
        {"code, localhost in Host",
         "GET /callback?state={state}&code=abc HTTP/1.1\r\n"
         "Host: LocalHost:{port}\r\n\r\n",
         NULL, false, 0, SUCCESS_TEXT, NULL, "abc", NULL, NULL},
        {"iss matches and is required",
         CALLBACK("code=abc&state={state}&iss=" ISS_Q), ISS, true, 0,
         SUCCESS_TEXT, NULL, "abc", NULL, NULL},
        {"iss absent, not required", CALLBACK("code=abc&state={state}"), ISS,
         false, 0, SUCCESS_TEXT, NULL, "abc", NULL, NULL},
        {"iss present, none expected", CALLBACK("code=abc&state={state}&iss=x"),
         NULL, false, 0, SUCCESS_TEXT, NULL, "abc", NULL, NULL},
        {"access_denied, script escaped",
         CALLBACK("error=access_denied&error_description=" SCRIPT_Q
                  "&state={state}&iss=" ISS_Q),
         ISS, true, CLERK_EDENIED,
         "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;",
         "<script>", NULL, "access_denied",
         "<script>alert(1)</script> & \"q\""},
        {"other error", CALLBACK("error=server_error&state={state}"), NULL,
         false, CLERK_EPROVIDER, "server_error", NULL, NULL, "server_error",
         NULL},
        {"markup in the error code", CALLBACK("error=%3Cb%3Ex&state={state}"),
         NULL, false, CLERK_EPROVIDER, "&lt;b&gt;x", "<b>", NULL, "<b>x", NULL},
        {"error wins over a code",
         CALLBACK("code=abc&error=access_denied&state={state}"), NULL, false,
         CLERK_EDENIED, "access_denied", NULL, NULL, "access_denied", NULL},
        {"iss mismatch",
         CALLBACK("code=abc&state={state}&iss=http%3A%2F%2Fevil.example"), ISS,
         false, CLERK_EPROVIDER, "expected provider", NULL, NULL, NULL, NULL},
        {"iss mismatch on an error answer",
         CALLBACK("error=access_denied&state={state}&iss=http%3A%2F%2Fx"), ISS,
         true, CLERK_EPROVIDER, "expected provider", NULL, NULL, NULL, NULL},
        {"iss required but missing", CALLBACK("code=abc&state={state}"), ISS,
         true, CLERK_EPROVIDER, "expected provider", NULL, NULL, NULL, NULL},
        {"neither code nor error", CALLBACK("state={state}"), NULL, false,
         CLERK_EPROTO, "no code", NULL, NULL, NULL, NULL},
        {"empty code", CALLBACK("code=&state={state}"), NULL, false,
         CLERK_EPROTO, "no code", NULL, NULL, NULL, NULL},
};

static void
test_final_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(finals) / sizeof(finals[0]); i++) {
		const struct final_case *f = &finals[i];
		struct step s = {f->name, f->req,       0,
		                 200,     f->want_text, f->not_text};
		struct browser b = {.steps = &s, .nsteps = 1};
		struct run run = {
		        .iss = f->iss,
		        .iss_required = f->iss_required,
		        .timeout_s = 10,
		};

		run_listener(&b, &run);
		if (run.rc != f->want_rc)
			fail_msg("%s: got %d, want %d", f->name, run.rc,
			         f->want_rc);
		assert_step(&s, b.resp[0]);
		fixture_assert_str(f->name, run.out.code, f->code);
		fixture_assert_str(f->name, run.out.error, f->error);
		fixture_assert_str(f->name, run.out.error_description,
		                   f->error_description);
		callback_params_release(&run.out);
		browser_release(&b);
	}
}

static void
run_listener_fn(void *arg)
{
	struct browser *b = ((void **)arg)[0];

	run_listener(b, ((void **)arg)[1]);
}

/*
 * An error answer's description is shown whole, controls made harmless,
 * with what to do: Clerk refuses offline_access for an application that
 * does not grant it, after a long preamble.
 */
static void
test_error_message(void **state)
{
	static const struct step s = {
	        "invalid_scope",
	        CALLBACK("error=invalid_scope&state={state}"
	                 "&error_description=The+requested+scope+is+invalid%2C"
	                 "+unknown%2C+or+malformed.+The+requested+scope+is+"
	                 "invalid%2C+unknown%2C+or+malformed.+The+requested+"
	                 "scope+is+invalid%2C+unknown%2C+or+malformed.+%1B%5B2J"
	                 "The+OAuth+2.0+Client+is+not+allowed+to+request+"
	                 "scope+%27offline_access%27."),
	        0,
	        200,
	        "offline_access",
	        NULL,
	};
	struct browser b = {.steps = &s, .nsteps = 1};
	struct run run = {.timeout_s = 10};
	void *args[2] = {&b, &run};
	const char *text;

	(void)state;
	text = capture_stderr(run_listener_fn, args);
	assert_int_equal(run.rc, CLERK_EPROVIDER);
	if (!strstr(text, "malformed. ?[2JThe OAuth 2.0 Client is not allowed "
	                  "to request scope 'offline_access'.)") ||
	    !strstr(text, "add the offline_access scope to the OAuth "
	                  "application in the Clerk dashboard"))
		fail_msg("message: %s", text);
	assert_null(strchr(text, '\x1b'));
	callback_params_release(&run.out);
	browser_release(&b);
}

/* Every answer leaves whole when the socket takes it in pieces. */
static void
test_answers_in_pieces(void **state)
{
	static const struct step s = {
	        "long error page",
	        CALLBACK("error=access_denied&state={state}"
	                 "&error_description={quotes}"),
	        7000,
	        200,
	        "&quot;&quot;&quot;",
	        NULL,
	};
	struct browser b = {.steps = &s, .nsteps = 1};
	struct run run = {.timeout_s = 10};

	if (!__real_send) {
		print_message("not linked with -Wl,--wrap=send\n");
		skip();
	}
	throttle = true;
	test_serves_many_then_callback(state);
	run_listener(&b, &run);
	throttle = false;
	assert_true(throttle_calls > 100);
	assert_int_equal(run.rc, CLERK_EDENIED);
	assert_step(&s, b.resp[0]);
	assert_true(strlen(fixture_body(b.resp[0])) > 7000 * 6);
	callback_params_release(&run.out);
	browser_release(&b);
}

static void
test_timeout(void **state)
{
	struct callback_params out = {0};
	struct listener *l = NULL;
	int port, idle, rc;
	int64_t t0, ms;

	(void)state;
	assert_int_equal(listener_open(0, &l, &port), 0);
	/* A pre-connection that never speaks changes nothing. */
	idle = client_connect(port);
	assert_true(idle >= 0);
	t0 = mono_ms();
	rc = listener_wait(l, STATE, NULL, false, 1, &out);
	ms = mono_ms() - t0;
	assert_int_equal(rc, CLERK_ETIMEOUT);
	assert_true(ms >= 950 && ms < 3000);
	assert_null(out.code);
	close(idle);
	listener_close(l);
}

static void
test_idle_dropped(void **state)
{
	static const struct step s = {
	        "callback after idle",
	        CALLBACK("code=abc&state={state}"),
	        0,
	        200,
	        SUCCESS_TEXT,
	        NULL,
	};
	struct browser b = {.steps = &s, .nsteps = 1, .measure_idle = true};
	struct run run = {.timeout_s = 4 * LISTENER_IDLE_SECONDS};

	(void)state;
	run_listener(&b, &run);
	assert_int_equal(run.rc, 0);
	assert_step(&s, b.resp[0]);
	assert_true(b.idle_silent);
	assert_true(b.idle_ms >= LISTENER_IDLE_SECONDS * 1000 - 100);
	assert_true(b.idle_ms < LISTENER_IDLE_SECONDS * 1000 + 2000);
	callback_params_release(&run.out);
	browser_release(&b);
}

static void
test_full_drops_oldest_idle(void **state)
{
	static const struct step s = {
	        "callback on a full listener",
	        CALLBACK("code=abc&state={state}"),
	        0,
	        200,
	        SUCCESS_TEXT,
	        NULL,
	};
	struct browser b = {.steps = &s, .nsteps = 1, .crowd = true};
	struct run run = {.timeout_s = 10};

	(void)state;
	run_listener(&b, &run);
	assert_int_equal(run.rc, 0);
	assert_step(&s, b.resp[0]);
	assert_true(b.oldest_dropped);
	assert_true(b.next_kept);
	callback_params_release(&run.out);
	browser_release(&b);
}

/*
 * The race behind a lost browser request under a flood: the request's
 * bytes arrive after the listener's poll() looked, while a new connection
 * needs a slot and the request's connection is the oldest one that has
 * sent nothing so far. It must count as a request in progress (its bytes
 * are there), and an idle one must go instead.
 */
static void *
late_client(void *arg)
{
	struct browser *b = arg;
	int crowd[LISTENER_MAX_CONNECTIONS - 1], real, extra;
	char *req = malloc(MAX_REQ + 1);
	size_t i;

	if (!req)
		return NULL;
	real = client_connect(b->port);
	for (i = 0; i < LISTENER_MAX_CONNECTIONS - 1; i++)
		crowd[i] = client_connect(b->port);
	/* All accepted: the table is full, the real one its oldest. */
	sleep_ms(300);
	late_req = req;
	late_len = fill(req, CALLBACK("code=abc&state={state}"), b->port, 0);
	__atomic_store_n(&late_fd, real, __ATOMIC_RELEASE);
	/* Its arrival wakes the listener; the request follows (above). */
	extra = client_connect(b->port);
	b->resp[0] = read_all(real);
	close(real);
	close(extra);
	for (i = 0; i < LISTENER_MAX_CONNECTIONS - 1; i++)
		if (crowd[i] >= 0)
			close(crowd[i]);
	free(req);
	return NULL;
}

static void
test_full_keeps_request_not_yet_read(void **state)
{
	static const struct step s = {
	        "callback arriving while the table is full",
	        CALLBACK("code=abc&state={state}"),
	        0,
	        200,
	        SUCCESS_TEXT,
	        NULL,
	};
	struct browser b = {.steps = &s, .nsteps = 1};
	struct callback_params out = {0};
	struct listener *l = NULL;
	pthread_t th;
	int rc;

	(void)state;
	if (!__real_accept4) {
		print_message("not linked with -Wl,--wrap=accept4\n");
		skip();
	}
	assert_int_equal(listener_open(0, &l, &b.port), 0);
	late_sent = false;
	assert_int_equal(pthread_create(&th, NULL, late_client, &b), 0);
	rc = listener_wait(l, STATE, NULL, false, 3, &out);
	pthread_join(th, NULL);
	listener_close(l);
	assert_true(late_sent);
	assert_int_equal(rc, 0);
	assert_step(&s, b.resp[0]);
	callback_params_release(&out);
	browser_release(&b);
}

#define FLOOD_ROUNDS 20
#define FLOOD_OPEN   256 /* the flood's sockets open at once */

/*
 * The flood, in a process of its own until killed: once a byte arrives
 * on @go, connect to @port as fast as the listener takes it (about 2000
 * a second), send nothing, keep FLOOD_OPEN sockets open and close the
 * oldest. The listener drops the idle ones it must to make room.
 */
static void
flood_run(int port, int go)
{
	struct sockaddr_in sa = {0};
	int fds[FLOOD_OPEN], fd;
	size_t i, n = 0;
	char c;

	for (i = 0; i < FLOOD_OPEN; i++)
		fds[i] = -1;
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (read(go, &c, 1) != 1)
		_exit(1);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd >= 0 &&
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		    errno != EINPROGRESS) {
			close(fd);
			fd = -1;
		}
		i = n++ % FLOOD_OPEN;
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = fd;
		usleep(500);
	}
}

struct flood {
	struct browser b;
	int go; /* write end: a byte starts the flood */
};

/*
 * The real client: begins its request, lets the flood start and fill
 * the table, then sends the rest slowly and reads the answer.
 */
static void *
flood_client(void *arg)
{
	struct flood *f = arg;
	char req[256];
	size_t len =
	        fill(req, CALLBACK("code=abc&state={state}"), f->b.port, 0);
	int fd = client_connect(f->b.port);

	if (fd >= 0 && send_all(fd, req, 7, 7)) {
		sleep_ms(50);
		if (write(f->go, "x", 1) == 1)
			sleep_ms(150);
		/* Pieces of 7 bytes, 5 ms apart, all through the flood. */
		if (send_all(fd, req + 7, len - 7, 7))
			f->b.resp[0] = read_all(fd);
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

/*
 * A flood of idle connections from another process evicts connections
 * that have sent nothing, never one in the middle of its request: the
 * real request, begun before the flood and sent slowly through it, gets
 * its answer every time.
 */
static void
test_flood_keeps_request_in_progress(void **state)
{
	static const struct step s = {
	        "callback during a flood",
	        CALLBACK("code=abc&state={state}"),
	        0,
	        200,
	        SUCCESS_TEXT,
	        NULL,
	};
	int round, ok = 0;

	(void)state;
	for (round = 0; round < FLOOD_ROUNDS; round++) {
		struct flood f = {.b = {.steps = &s, .nsteps = 1}};
		struct callback_params out = {0};
		struct listener *l = NULL;
		int go[2], rc;
		pthread_t th;
		pid_t flood;

		assert_int_equal(listener_open(0, &l, &f.b.port), 0);
		assert_int_equal(pipe(go), 0);
		flood = fork();
		assert_true(flood >= 0);
		if (flood == 0)
			flood_run(f.b.port, go[0]);
		close(go[0]);
		f.go = go[1];
		assert_int_equal(pthread_create(&th, NULL, flood_client, &f),
		                 0);
		rc = listener_wait(l, STATE, NULL, false, 20, &out);
		pthread_join(th, NULL);
		kill(flood, SIGKILL);
		waitpid(flood, NULL, 0);
		close(go[1]);
		listener_close(l);
		if (rc == 0 && f.b.resp[0] && resp_status(f.b.resp[0]) == 200 &&
		    strstr(f.b.resp[0], SUCCESS_TEXT))
			ok++;
		else
			print_message("round %d: result %d, answer %.40s\n",
			              round, rc,
			              f.b.resp[0] ? f.b.resp[0] : "(none)");
		callback_params_release(&out);
		browser_release(&f.b);
	}
	assert_int_equal(ok, FLOOD_ROUNDS);
}

static void
test_open_errors(void **state)
{
	struct listener *l = NULL, *l2 = NULL;
	int port = 0, port2 = 0;

	(void)state;
	assert_int_equal(listener_open(0, &l, &port), 0);
	assert_int_equal(listener_open(port, &l2, &port2), CLERK_EIO);
	assert_null(l2);
	assert_int_equal(listener_open(-1, &l2, &port2), CLERK_ECONFIG);
	assert_int_equal(listener_open(65536, &l2, &port2), CLERK_ECONFIG);
	assert_null(l2);
	listener_close(l);
	listener_close(NULL);
}

static void
open_first_fails(void *arg)
{
	struct listener *l = NULL;
	int port = 0;

	assert_int_equal(listener_open_first(arg, 2, &l, &port), CLERK_EIO);
	assert_null(l);
}

/* A list of callback ports: the first free one; all taken: named. */
static void
test_open_first(void **state)
{
	struct listener *busy1 = NULL, *busy2 = NULL, *l = NULL;
	int p1 = 0, p2 = 0, port = 0, ports[3];
	const char *err;

	(void)state;
	assert_int_equal(listener_open(0, &busy1, &p1), 0);
	assert_int_equal(listener_open(0, &busy2, &p2), 0);
	/* The first is taken: the second. */
	ports[0] = p1;
	ports[1] = p2;
	listener_close(busy2);
	assert_int_equal(listener_open_first(ports, 2, &l, &port), 0);
	assert_int_equal(port, p2);
	/* Both taken: an error naming both. */
	err = capture_stderr(open_first_fails, ports);
	assert_non_null(strstr(err, "every callback port is taken"));
	{
		char want[64];

		snprintf(want, sizeof(want), "tried %d, %d;", p1, p2);
		assert_non_null(strstr(err, want));
	}
	/* 0 in the list: any free port. */
	{
		int any[3] = {p1, p2, 0};
		struct listener *l2 = NULL;

		assert_int_equal(listener_open_first(any, 3, &l2, &port), 0);
		assert_true(port != p1 && port != p2 && port > 0);
		listener_close(l2);
	}
	/* None: any free port; one: listener_open(). */
	{
		struct listener *l3 = NULL;

		assert_int_equal(listener_open_first(NULL, 0, &l3, &port), 0);
		assert_true(port > 0);
		listener_close(l3);
		assert_int_equal(listener_open_first(&p1, 1, &l3, &port),
		                 CLERK_EIO);
	}
	listener_close(l);
	listener_close(busy1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_serves_many_then_callback),
	        cmocka_unit_test(test_final_table),
	        cmocka_unit_test(test_answers_in_pieces),
	        cmocka_unit_test(test_timeout),
	        cmocka_unit_test(test_error_message),
	        cmocka_unit_test(test_full_drops_oldest_idle),
	        cmocka_unit_test(test_full_keeps_request_not_yet_read),
	        cmocka_unit_test(test_flood_keeps_request_in_progress),
	        cmocka_unit_test(test_open_errors),
	        cmocka_unit_test(test_open_first),
	        cmocka_unit_test(test_idle_dropped),
	};

	main_thread = pthread_self();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
