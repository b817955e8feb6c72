/*
 * See gitcmd.h.
 *
 * MUST: write nothing but protocol lines to stdout; answer only hosts
 * that the host list allows (contract §4); print nothing and succeed for any
 * other host so git moves on to its next helper.
 */
#include "gitcmd.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "gitproto.h"
#include "log.h"
#include "protoparse.h"
#include "route.h"
#include "session.h"
#include "util.h"

#include "banned.h"

static int
read_request(const char *action, struct credential *c)
{
	if (isatty(STDIN_FILENO))
		log_info("%s: reading a request from the terminal: type lines "
		         "such as protocol=https and host=git.example.com, "
		         "then an empty line",
		         action);
	return credential_read_fd(STDIN_FILENO, c);
}

/*
 * Route the request to its profile and apply the host rule (route.h):
 * 0 ours, CLERK_ENOTFOUND not (git then asks its next helper), else an
 * error, said.
 */
static int
request_route(struct config *cfg, const struct credential *c)
{
	struct route_request req = {
	        .protocol = c->protocol,
	        .host = c->host,
	        .path = c->path,
	        .challenges = &c->challenges,
	};

	return route_request(cfg, &req);
}

bool
gitcmd_wants_bearer(const struct config *cfg, const struct credential *c)
{
	if (!c->cap_authtype)
		return false;
	switch (cfg->authtype) {
	case AUTHTYPE_BEARER:
		return true;
	case AUTHTYPE_BASIC:
		return false;
	default:
		return c->challenges.n == 0 ||
		       challenges_find(&c->challenges, "Bearer") != NULL;
	}
}

/* Say under --verbose what the server asked for, and why it refused. */
static void
log_challenges(const struct config *cfg, const struct credential *c)
{
	const struct challenge *b = challenges_find(&c->challenges, "Bearer");
	const char *err = b ? challenge_param(b, "error") : NULL;
	char scheme[64], text[256];
	size_t i;

	if (!cfg->verbose)
		return;
	for (i = 0; i < c->challenges.n; i++)
		log_debug("the server offers %s",
		          str_printable(c->challenges.items[i].scheme, scheme,
		                        sizeof(scheme)));
	if (err && strcmp(err, "invalid_token") == 0)
		log_debug("the server refused the token it was given "
		          "(invalid_token: %s)",
		          str_printable(challenge_param(b, "error_description"),
		                        text, sizeof(text)));
	else if (err)
		log_debug("the server's Bearer challenge says %s",
		          str_printable(err, text, sizeof(text)));
}

static int
emit_answer(const struct config *cfg, const struct credential *c,
            const char *token, int64_t exp)
{
	struct strbuf out = STRBUF_INIT_SECRET;
	char num[24];
	int r;

	if (gitcmd_wants_bearer(cfg, c)) {
		r = credential_emit(&out, "capability[]", "authtype");
		if (!r)
			r = credential_emit(&out, "authtype", "Bearer");
		if (!r)
			r = credential_emit(&out, "credential", token);
		if (!r)
			r = credential_emit(&out, "ephemeral", "1");
	} else {
		r = credential_emit(&out, "username",
		                    c->username ? c->username : cfg->username);
		if (!r)
			r = credential_emit(&out, "password", token);
	}
	if (!r && exp > 0) {
		snprintf(num, sizeof(num), "%lld", (long long)exp);
		r = credential_emit(&out, "password_expiry_utc", num);
	}
	if (!r)
		r = write_all(STDOUT_FILENO, out.buf, out.len, "the answer");
	strbuf_release(&out);
	return r;
}

int
gitcmd_get(struct config *cfg)
{
	struct credential c = CREDENTIAL_INIT;
	char *token = NULL;
	int64_t exp = 0;
	int r;

	if ((r = read_request("get", &c)))
		goto out;
	if ((r = request_route(cfg, &c))) {
		/* Not ours: nothing on stdout; git asks its next helper. */
		r = r == CLERK_ENOTFOUND ? 0 : r;
		goto out;
	}
	if ((r = config_require(cfg)))
		goto out;
	if (c.interactive_false)
		cfg->interactive = false;
	log_challenges(cfg, &c);
	/* insufficient_scope: a step-up; invalid_token: a refresh. */
	if ((r = session_challenged(cfg, &c.challenges, false)))
		goto out;
	if ((r = session_git_token(cfg, &token, &exp))) {
		/* The user said no (or did, moments ago): tell git not to
		 * prompt for a password. */
		if (r == CLERK_EDENIED || r == CLERK_ECOOLDOWN)
			write_all(STDOUT_FILENO, "quit=1\n", 7, "the answer");
		/* On hold: no token, and git moves on (said once). */
		if (r == CLERK_EHELD)
			r = 0;
		goto out;
	}
	r = emit_answer(cfg, &c, token, exp);
out:
	secret_free(token);
	credential_release(&c);
	return r;
}

int
gitcmd_store(struct config *cfg)
{
	struct credential c = CREDENTIAL_INIT;
	int r;

	/* Our tokens are stored already; foreign ones are never kept. */
	if ((r = read_request("store", &c)) == 0 &&
	    (r = request_route(cfg, &c)) == 0)
		log_debug("store: nothing to do");
	credential_release(&c);
	return r == CLERK_ENOTFOUND ? 0 : r;
}

int
gitcmd_erase(struct config *cfg)
{
	struct credential c = CREDENTIAL_INIT;
	const char *secret;
	int r;

	if ((r = read_request("erase", &c)))
		goto out;
	if ((r = request_route(cfg, &c))) {
		/* Not ours: nothing on stdout; git asks its next helper. */
		r = r == CLERK_ENOTFOUND ? 0 : r;
		goto out;
	}
	secret = c.credential ? c.credential : c.password;
	if (!secret) {
		log_debug("erase without a password: nothing to do");
		goto out;
	}
	if ((r = config_require(cfg)) == 0)
		r = session_erase(cfg, secret);
	/* Refused for its scopes: the next get asks for them. */
	if (r == 0)
		r = session_challenged(cfg, &c.challenges, true);
out:
	credential_release(&c);
	return r;
}
