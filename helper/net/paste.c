/*
 * See paste.h.
 *
 * MUST: open /dev/tty with O_NOCTTY (never become its controlling
 * process); read it only when poll() says so, so the listener keeps
 * serving; keep what was typed in a secret buffer and wipe each read.
 */
#include "paste.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "progress.h"
#include "util.h"

#include "banned.h"

#define PROMPT "clerk-credential: paste the address here and press Enter: "

struct paste {
	int fd;               /* /dev/tty */
	const char *redirect; /* the redirect URI of this sign-in */
	struct strbuf line;   /* typed so far (secret) */
};

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Where the query starts in [s, end), or NULL when it is not ours. */
static const char *
query_start(const char *s, const char *end, const char *redirect)
{
	size_t n = (size_t)(end - s), rlen;

	if (str_starts_with(redirect, "http://"))
		redirect += 7;
	if (n >= 7 && strncasecmp(s, "http://", 7) == 0) {
		s += 7;
		n -= 7;
	}
	rlen = strlen(redirect);
	if (n >= rlen && memcmp(s, redirect, rlen) == 0 &&
	    (n == rlen || s[rlen] == '?'))
		return n == rlen ? end : s + rlen + 1;
	if (n > 0 && s[0] == '?')
		return s + 1;
	if (str_starts_with(s, "code=") || str_starts_with(s, "state=") ||
	    str_starts_with(s, "error=") || str_starts_with(s, "iss="))
		return s;
	return NULL;
}

int
paste_extract_query(const char *line, const char *redirect_uri, char **query)
{
	const char *s = line, *end, *hash, *q, *p;

	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		end--;
	if ((hash = memchr(s, '#', (size_t)(end - s))))
		end = hash;
	if (!(q = query_start(s, end, redirect_uri))) {
		log_warn("that is not the address of this sign-in's last "
		         "page (paste the whole address from the browser's "
		         "address bar: it starts with %s?code=)",
		         redirect_uri);
		return CLERK_EPROTO;
	}
	for (p = q; p < end; p++) {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
			log_warn("that address holds blanks or characters "
			         "that an address cannot hold (paste it "
			         "again, in one piece)");
			return CLERK_EPROTO;
		}
	}
	if (!(*query = str_ndup(q, (size_t)(end - q))))
		return CLERK_ENOMEM;
	return 0;
}

static void
prompt(const struct paste *p)
{
	/* The prompt goes where the answer is read. */
	if (write(p->fd, PROMPT, sizeof(PROMPT) - 1) < 0)
		log_debug("cannot write the prompt to the terminal");
}

/* Drop the first @n bytes of the typed text, wiping them. */
static void
line_consume(struct strbuf *sb, size_t n)
{
	secret_wipe(sb->buf, n);
	memmove(sb->buf, sb->buf + n, sb->len - n);
	secret_wipe(sb->buf + sb->len - n, n);
	sb->len -= n;
	sb->buf[sb->len] = '\0';
}

/* The first whole line typed that holds an address of ours. */
static int
line_take(struct paste *p, char **query)
{
	char *nl;
	size_t n;
	int r;

	while (p->line.len && (nl = memchr(p->line.buf, '\n', p->line.len))) {
		*nl = '\0';
		n = (size_t)(nl - p->line.buf);
		r = n ? paste_extract_query(p->line.buf, p->redirect, query)
		      : CLERK_EPROTO;
		line_consume(&p->line, n + 1);
		if (r == 0 || r != CLERK_EPROTO)
			return r;
		prompt(p);
	}
	if (p->line.len > PASTE_MAX_LINE) {
		log_warn("that line is longer than %d bytes, so it is not "
		         "this sign-in's address (paste it again)",
		         PASTE_MAX_LINE);
		line_consume(&p->line, p->line.len);
		prompt(p);
	}
	return 1;
}

/* listener_input's read: the terminal has something. */
static int
tty_read(void *arg, char **query)
{
	struct paste *p = arg;
	char buf[512];
	ssize_t n = read(p->fd, buf, sizeof(buf));
	int r;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		log_error("sign-in cancelled: %s (run `clerk-credential "
		          "login` to try again)",
		          n ? "the terminal cannot be read"
		            : "the terminal's input ended");
		return n ? CLERK_EIO : CLERK_EDENIED;
	}
	r = strbuf_add(&p->line, buf, (size_t)n);
	secret_wipe(buf, sizeof(buf));
	return r ? r : line_take(p, query);
}

/* listener_input's again: the pasted address did not end the wait. */
static void
tty_again(void *arg)
{
	prompt(arg);
}

/* This machine's name for the ssh command, or a placeholder. */
static void
host_name(char *buf, size_t size)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
	                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-";

	if (gethostname(buf, size) == 0) {
		buf[size - 1] = '\0';
		if (*buf && strspn(buf, ok) == strlen(buf))
			return;
	}
	snprintf(buf, size, "THIS-MACHINE");
}

static void
explain(const struct config *cfg, const char *url, int port, bool tty)
{
	char host[256];

	host_name(host, sizeof(host));
	log_info("no browser here: open this URL in a browser on any "
	         "machine and sign in to %s:",
	         cfg->issuer);
	fprintf(stderr, "%s\n", url);
	if (tty)
		log_info("at the end that browser fails to load a page at "
		         "http://127.0.0.1:%d/callback (\"can't be reached\" "
		         "or similar): that is expected. Copy that page's "
		         "whole address from the address bar and paste it "
		         "here.",
		         port);
	else
		log_info("there is no terminal here to paste the address of "
		         "the last page into: forward the port as below, or "
		         "run `clerk-credential login` in a terminal");
	log_info("or, before signing in, forward the port from the machine "
	         "with the browser: ssh -N -L %d:127.0.0.1:%d %s (the "
	         "sign-in then finishes by itself; --callback-port keeps the "
	         "port the same)",
	         port, port, host);
	log_info("waiting up to %d s (Ctrl-C cancels)", cfg->timeout);
}

int
paste_wait(const struct config *cfg, const struct oidc_provider *op,
           struct listener *l, int port, const char *redirect_uri,
           const char *url, const char *state, struct callback_params *out)
{
	struct paste p = {-1, redirect_uri, STRBUF_INIT_SECRET};
	struct listener_input in = {-1, tty_read, tty_again, &p};
	int r;

	p.fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (p.fd < 0)
		log_debug("paste mode: no terminal: %s", strerror(errno));
	explain(cfg, url, port, p.fd >= 0);
	in.fd = p.fd;
	if (p.fd >= 0)
		prompt(&p);
	/* The user types on that terminal: no line redrawn over it. */
	if (!cfg->quiet)
		progress_begin("waiting for the sign-in", false);
	r = listener_wait_input(l, state, op->issuer,
	                        op->iss_parameter_supported, cfg->timeout,
	                        p.fd >= 0 ? &in : NULL, out);
	progress_end();
	if (p.fd >= 0)
		close(p.fd);
	strbuf_release(&p.line);
	return r;
}
