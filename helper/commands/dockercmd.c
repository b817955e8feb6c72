/*
 * The docker credential-helper protocol (contract §6), as
 * github.com/docker/docker-credential-helpers defines it: the action in
 * argv, the request on stdin, the answer or an error text on stdout, and
 * exit status 1 for every error.
 *
 * MUST: answer get only for hosts of the host list, else the exact
 * not-found text; never keep a credential docker hands over (store
 * accepts only our own token, which is stored already). MUST NOT: print
 * anything on stdout but the answer or the error text.
 */
#include "protocols.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "util.h"

#include "banned.h"

#ifndef CLERK_VERSION
#define CLERK_VERSION "0.0.0"
#endif

#define DOCKER_NAME "docker-credential-clerk"
/* docker-credential-helpers' texts: docker matches the first exactly. */
#define NOT_FOUND    "credentials not found in native keychain"
#define MISSING_URL  "no credentials server URL"
#define MISSING_USER "no credentials username"

/* Print @msg and a newline on stdout; return @r (an error). */
static int
reply_error(const char *msg, int r)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_adds(&sb, msg) == 0 && strbuf_addch(&sb, '\n') == 0)
		(void)write_all(STDOUT_FILENO, sb.buf, sb.len, "the answer");
	strbuf_release(&sb);
	return r;
}

static int
reply_failure(int r)
{
	struct strbuf sb = STRBUF_INIT;

	if (strbuf_addf(&sb, "clerk-credential: %s", proto_error_text(r)))
		return r;
	reply_error(sb.buf, r);
	strbuf_release(&sb);
	return r;
}

/* get and erase: the server URL on stdin, as docker's helpers read it. */
static int
read_server_url(char **url)
{
	char *in = NULL;
	size_t len = 0;
	int r;

	if ((r = proto_read_stdin(PROTO_MAX_INPUT, &in, &len)))
		return reply_error("clerk-credential: cannot read the server "
		                   "URL on stdin",
		                   r);
	if ((len = docker_input_join(in, len)) == 0) {
		secret_free(in);
		return reply_error(MISSING_URL, CLERK_EPROTO);
	}
	/* A NUL would end the URL early here, not for its sender. */
	if (memchr(in, '\0', len)) {
		log_debug("the server URL holds a NUL byte: not a registry "
		          "address; passing");
		secret_free(in);
		return reply_error(NOT_FOUND, CLERK_ENOTFOUND);
	}
	*url = in;
	return 0;
}

/*
 * Route a docker server URL (host, host:port, https://…) to its profile
 * and apply the host rule: 0 ours, CLERK_ENOTFOUND not, else an error.
 */
static int
server_route(struct config *cfg, const char *url)
{
	struct server_ref s;

	if (server_ref_parse(url, false, &s)) {
		log_debug("'%s' is not a registry address; passing", url);
		return CLERK_ENOTFOUND;
	}
	return proto_route(cfg, &s, NULL);
}

static int
docker_get(struct config *cfg)
{
	struct json *doc = NULL;
	char *url = NULL, *token = NULL;
	int64_t exp = 0;
	int r;

	if ((r = read_server_url(&url)))
		return r;
	if ((r = server_route(cfg, url)) == CLERK_ENOTFOUND) {
		r = reply_error(NOT_FOUND, CLERK_ENOTFOUND);
		goto out;
	}
	if (r || (r = config_require(cfg)) ||
	    (r = session_token(cfg, &token, &exp))) {
		reply_failure(r);
		goto out;
	}
	/* ServerURL is the request as read, as docker's helpers answer. */
	if (!(doc = json_new_object()) ||
	    json_add_string(doc, "ServerURL", url) ||
	    json_add_string(doc, "Username", cfg->username) ||
	    json_add_string(doc, "Secret", token))
		r = CLERK_ENOMEM;
	else
		r = proto_print_json(doc);
out:
	json_free(doc);
	secret_free(token);
	secret_free(url);
	return r;
}

static int
docker_store(struct config *cfg)
{
	struct docker_creds c = DOCKER_CREDS_INIT;
	char *in = NULL;
	size_t len = 0;
	int r;

	if ((r = proto_read_stdin(PROTO_MAX_INPUT, &in, &len)))
		return reply_error("clerk-credential: cannot read the "
		                   "credentials on stdin",
		                   r);
	if ((r = docker_creds_parse(in, len, &c))) {
		r = reply_error("clerk-credential: the credentials on stdin "
		                "are not a JSON object of strings",
		                r);
		goto out;
	}
	if (!c.server_url || !c.username) {
		r = reply_error(c.server_url ? MISSING_USER : MISSING_URL,
		                CLERK_EPROTO);
		goto out;
	}
	if ((r = server_route(cfg, c.server_url)) && r != CLERK_ENOTFOUND) {
		reply_failure(r);
		goto out;
	}
	if (r) {
		r = reply_error(
		        "clerk-credential: not storing credentials for "
		        "a host outside the host list (clerk-credential "
		        "keeps no credentials but its own)",
		        CLERK_EPROTO);
		goto out;
	}
	if ((r = config_require(cfg))) {
		reply_failure(r);
		goto out;
	}
	if (!proto_is_ours(cfg, c.secret)) {
		r = reply_error("clerk-credential: not storing a credential it "
		                "did not issue (sign in with `clerk-credential "
		                "login`; docker login is not needed)",
		                CLERK_EPROTO);
		goto out;
	}
	log_debug("store: the credential is ours, stored already");
out:
	docker_creds_release(&c);
	secret_free(in);
	return r;
}

static int
docker_erase(struct config *cfg)
{
	char *url = NULL;
	int r;

	if ((r = read_server_url(&url)))
		return r;
	if ((r = server_route(cfg, url)) == CLERK_ENOTFOUND) {
		r = reply_error(NOT_FOUND, CLERK_ENOTFOUND);
		goto out;
	}
	if (r || (r = config_require(cfg))) {
		reply_failure(r);
		goto out;
	}
	if (!proto_signed_in(cfg)) {
		r = reply_error(NOT_FOUND, CLERK_ENOTFOUND);
		goto out;
	}
	/* One sign-in serves every registry: erase is a logout. */
	if ((r = session_logout(cfg)))
		reply_failure(r);
out:
	secret_free(url);
	return r;
}

/* One row of list's answer: a host and its profile's user name. */
struct listed {
	const char *host;
	const char *username;
	size_t order; /* rows of the profile that answers the host first */
};

static int
listed_cmp(const void *a, const void *b)
{
	const struct listed *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

/* Add the exact hosts of @cfg's list, when @cfg's profile is signed in. */
static int
list_add(const struct config *cfg, struct listed **rows, size_t *n,
         size_t *alloc)
{
	struct listed *grown;
	size_t i;

	if (!cfg->nhosts || !proto_signed_in(cfg))
		return 0;
	for (i = 0; i < cfg->nhosts; i++) {
		if (strchr(config_host(cfg, i), '*'))
			continue;
		if (*n == *alloc) {
			*alloc = *alloc ? *alloc * 2 : 16;
			if (!(grown = realloc(*rows, *alloc * sizeof(**rows))))
				return CLERK_ENOMEM;
			*rows = grown;
		}
		(*rows)[*n] =
		        (struct listed){config_host(cfg, i), cfg->username, *n};
		(*n)++;
	}
	return 0;
}

/*
 * {"host": "username"} for the exact hosts of the list, in byte order.
 * Unless a profile was named, the hosts each signed-in profile's section
 * claims come first, with that profile's user name, as routing answers
 * them (contract §18); then the profile in use's.
 */
static int
docker_list(struct config *cfg)
{
	struct config_profile_info *infos = NULL;
	struct listed *rows = NULL;
	struct json *doc = json_new_object();
	struct config *others = NULL;
	size_t n = 0, alloc = 0, ninfos = 0, i;
	int r = 0;

	if (!doc)
		return CLERK_ENOMEM;
	if (cfg->src_profile == SRC_DEFAULT &&
	    (r = config_profiles(cfg, &infos, &ninfos)) == 0 && ninfos &&
	    !(others = calloc(ninfos, sizeof(*others))))
		r = CLERK_ENOMEM;
	for (i = 0; !r && i < ninfos; i++) {
		/* Each one loaded is released below, also on failure. */
		if (infos[i].nclaims &&
		    config_load_profile(cfg, infos[i].name, &others[i]) == 0)
			r = list_add(&others[i], &rows, &n, &alloc);
	}
	if (!r)
		r = list_add(cfg, &rows, &n, &alloc);
	if (!r && n)
		qsort(rows, n, sizeof(*rows), listed_cmp);
	for (i = 0; !r && i < n; i++)
		if (i == 0 || strcmp(rows[i].host, rows[i - 1].host) != 0)
			r = json_add_string(doc, rows[i].host,
			                    rows[i].username);
	if (!r)
		r = proto_print_json(doc);
	for (i = 0; others && i < ninfos; i++)
		if (infos[i].nclaims)
			config_release(&others[i]);
	free(others);
	config_profiles_free(infos, ninfos);
	free(rows);
	json_free(doc);
	return r;
}

static int
docker_version(struct config *cfg)
{
	static const char text[] =
	        DOCKER_NAME " (clerk-credential) " CLERK_VERSION "\n";

	(void)cfg;
	return write_all(STDOUT_FILENO, text, sizeof(text) - 1, "the answer");
}

static const struct {
	const char *name;
	int (*run)(struct config *cfg);
} actions[] = {
        {"store", docker_store},     {"get", docker_get},
        {"erase", docker_erase},     {"list", docker_list},
        {"version", docker_version},
};

int
dockercmd_run(struct config *cfg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;
	int r = CLERK_EPROTO;

	proto_background(cfg);
	if (cfg->nargs != 1)
		return reply_error("Usage: " DOCKER_NAME
		                   " <store|get|erase|list|version>",
		                   CLERK_EPROTO);
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(cfg->args[0], actions[i].name) == 0) {
			r = actions[i].run(cfg);
			/* docker's helpers know one failure status: 1. */
			return r == CLERK_ECONFIG ? CLERK_EPROTO : r;
		}
	}
	if (strbuf_addf(&sb, "Unknown credential action `%s`", cfg->args[0]) ==
	    0)
		reply_error(sb.buf, r);
	strbuf_release(&sb);
	return r;
}
