/* See protocols.h: what the protocol commands share. */
#include "protocols.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "route.h"
#include "session.h"
#include "store.h"
#include "util.h"

#include "banned.h"

int
proto_route(struct config *cfg, const struct server_ref *s,
            const struct challenges *cs)
{
	struct route_request req = {
	        .protocol = s->scheme,
	        .host = s->host,
	        .path = NULL,
	        .challenges = cs,
	};

	return route_request(cfg, &req);
}

/*
 * A terminal: one of our streams, or the controlling terminal. docker
 * and Terraform give a helper pipes only, even when run from a shell,
 * so /dev/tty is what tells a shell's user from a daemon.
 */
static bool
terminal_here(void)
{
	int fd;

	if (isatty(STDIN_FILENO) || isatty(STDOUT_FILENO) ||
	    isatty(STDERR_FILENO))
		return true;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

void
proto_background(struct config *cfg)
{
	if (!cfg->interactive || cfg->src_interactive != SRC_DEFAULT)
		return;
	if (terminal_here() || browser_reachable())
		return;
	log_debug("no terminal and no browser: a sign-in cannot be shown "
	          "to anyone here, so none starts");
	cfg->interactive = false;
}

int
proto_stored_tokens(const struct config *cfg, struct tokenset *ts)
{
	struct store *st = NULL;
	int r;

	if (!cfg->issuer || !cfg->client_id)
		return CLERK_ENOTFOUND;
	if ((r = store_open(cfg, &st)))
		return r;
	r = store_load(st, ts);
	store_close(st);
	return r;
}

bool
proto_is_ours(const struct config *cfg, const char *secret)
{
	struct tokenset ts = TOKENSET_INIT;
	char *cached = NULL;
	int64_t exp;
	bool ours = false;

	if (!secret)
		return false;
	/* A CI token is the only one handed out: no store is looked in. */
	if (session_ci_origin(cfg)) {
		if (session_ci_token(cfg, &cached) == 0)
			ours = str_ct_equal(cached, secret);
		secret_free(cached);
		return ours;
	}
	if (!cfg->issuer || !cfg->client_id)
		return false;
	if (cache_read(cfg, &cached, &exp) == 0)
		ours = str_ct_equal(cached, secret);
	if (!ours && proto_stored_tokens(cfg, &ts) == 0 && ts.access_token)
		ours = str_ct_equal(ts.access_token, secret);
	secret_free(cached);
	tokenset_release(&ts);
	return ours;
}

bool
proto_signed_in(const struct config *cfg)
{
	struct tokenset ts = TOKENSET_INIT;
	char *cached = NULL;
	int64_t exp;
	bool in = false;

	if (session_ci_origin(cfg))
		return true;
	if (!cfg->issuer || !cfg->client_id)
		return false;
	if (cache_read(cfg, &cached, &exp) == 0)
		in = true;
	else if (proto_stored_tokens(cfg, &ts) == 0)
		in = ts.access_token || ts.refresh_token;
	secret_free(cached);
	tokenset_release(&ts);
	return in;
}

const char *
proto_error_text(int r)
{
	switch (r) {
	case CLERK_ENOINTERACT:
		return "not signed in, and sign-in is disabled here (run "
		       "`clerk-credential login` first)";
	case CLERK_EDENIED:
		return "sign-in refused";
	case CLERK_ETIMEOUT:
		return "sign-in timed out";
	case CLERK_ECOOLDOWN:
		return "a sign-in failed moments ago (run `clerk-credential "
		       "login`)";
	case CLERK_ECONFIG:
		return "configuration error (see `clerk-credential status`)";
	case CLERK_ENET:
		return "cannot reach the identity provider";
	case CLERK_ETLS:
		return "TLS with the identity provider failed (see stderr)";
	case CLERK_EPROVIDER:
	case CLERK_EGRANT:
		return "the identity provider refused (run `clerk-credential "
		       "login`)";
	case CLERK_EPERM:
		return "unsafe permissions on a token file (see stderr)";
	default:
		return "cannot get a token (run with --verbose for details)";
	}
}

int
proto_read_stdin(size_t max, char **out, size_t *len)
{
	if (isatty(STDIN_FILENO))
		log_info("reading the request from the terminal; end it with "
		         "Ctrl-D");
	return file_read_fd(STDIN_FILENO, "the request", max, out, len);
}

int
proto_print_json(const struct json *doc)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char *text = NULL;
	int r;

	if (!doc)
		return CLERK_ENOMEM;
	if ((r = json_print(doc, false, &text)) == 0 &&
	    (r = strbuf_adds(&sb, text)) == 0 &&
	    (r = strbuf_addch(&sb, '\n')) == 0)
		r = write_all(STDOUT_FILENO, sb.buf, sb.len, "the answer");
	secret_free(text);
	strbuf_release(&sb);
	return r;
}
