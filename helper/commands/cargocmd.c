/*
 * Cargo's credential-provider protocol, version 1 (contract §7): the hello
 * {"v":[1]}, then one JSON line per request on stdin and one answer line
 * per request on stdout, {"Ok":{...}} or {"Err":{"kind":...}}, until EOF.
 *
 * Cargo runs the provider as `PATH --cargo-plugin` and hands the rest of
 * its `credential-provider` array over in each request's "args": those
 * are read as options (`["clerk-credential", "--profile=work"]`).
 *
 * MUST: answer only for an index URL whose host is in the host list,
 * else url-not-supported so cargo tries its next provider; never keep a
 * token handed over by `cargo login`.
 */
#include "protocols.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "challenge.h"
#include "error.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "util.h"

#include "banned.h"

#define CARGO_HELLO "{\"v\":[1]}\n"

/* {"Err":{"kind":KIND[,"message":MSG]}} */
static int
reply_err(const char *kind, const char *message)
{
	struct json *doc = json_new_object(), *err = json_new_object();
	int r = CLERK_ENOMEM;

	if (!doc || !err || json_add_string(err, "kind", kind) ||
	    (message && json_add_string(err, "message", message)))
		goto out;
	r = json_add_node(doc, "Err", err);
	err = NULL;
	if (!r)
		r = proto_print_json(doc);
out:
	json_free(err);
	json_free(doc);
	return r;
}

static int
reply_failure(int r)
{
	return reply_err("other", proto_error_text(r));
}

/* {"Ok":@ok}, taking @ok over. */
static int
reply_ok(struct json *ok)
{
	struct json *doc = json_new_object();
	int r = CLERK_ENOMEM;

	if (doc && ok) {
		r = json_add_node(doc, "Ok", ok);
		ok = NULL;
		if (!r)
			r = proto_print_json(doc);
	}
	json_free(ok);
	json_free(doc);
	return r;
}

static int
reply_ok_kind(const char *kind)
{
	struct json *ok = json_new_object();

	if (ok && json_add_string(ok, "kind", kind)) {
		json_free(ok);
		return CLERK_ENOMEM;
	}
	return reply_ok(ok);
}

static int
cargo_get(const struct config *cfg)
{
	struct strbuf value = STRBUF_INIT_SECRET;
	struct json *ok = NULL;
	char *token = NULL;
	int64_t exp = 0;
	int r;

	if ((r = session_token(cfg, &token, &exp)))
		return reply_failure(r);
	if (!(ok = json_new_object()) || json_add_string(ok, "kind", "get") ||
	    strbuf_addf(&value, "Bearer %s", token) ||
	    json_add_string(ok, "token", value.buf) ||
	    json_add_string(ok, "cache", exp > 0 ? "expires" : "session") ||
	    (exp > 0 && json_add_int64(ok, "expiration", exp)) ||
	    json_add_bool(ok, "operation_independent", true)) {
		json_free(ok);
		r = CLERK_ENOMEM;
	} else {
		r = reply_ok(ok);
	}
	strbuf_release(&value);
	secret_free(token);
	return r;
}

static int
cargo_login(const struct config *cfg, const struct cargo_request *q)
{
	char *token = NULL;
	int64_t exp;
	int r;

	if (q->token) {
		if (proto_is_ours(cfg, q->token))
			return reply_ok_kind("login");
		return reply_err("other",
		                 "clerk-credential keeps no tokens but "
		                 "its own: run `cargo login` without "
		                 "a token to sign in");
	}
	/*
	 * cargo login reads an auth-required index first, which signed in
	 * already: a second browser would be one too many.
	 */
	if (session_cached_token(cfg, &token, &exp) == 0) {
		secret_free(token);
		log_info(
		        "already signed in (`clerk-credential logout` first to "
		        "sign in as someone else)");
		return reply_ok_kind("login");
	}
	if ((r = session_login(cfg)))
		return reply_failure(r);
	return reply_ok_kind("login");
}

static int
cargo_logout(const struct config *cfg)
{
	int r;

	if (!proto_signed_in(cfg))
		return reply_err("not-found", NULL);
	/* One sign-in serves every registry: logout signs out. */
	if ((r = session_logout(cfg)))
		return reply_failure(r);
	return reply_ok_kind("logout");
}

/*
 * The request's configuration: its "args" as options over the
 * environment and config file, or without any, the program's own
 * options (@base's). Each request starts from there, since routing
 * (route.h) may load another profile. *@argv stays in use by @cfg
 * (config_use_profile()): free it after config_release().
 */
static int
request_config(const struct config *base, const struct cargo_request *q,
               struct config *cfg, char ***argv)
{
	bool help, version, own_args = q->nargs || base->argc < 1;
	size_t i, n = own_args ? q->nargs + 1 : (size_t)base->argc;
	int r;

	if (!(*argv = calloc(n + 1, sizeof(**argv))))
		return CLERK_ENOMEM;
	for (i = 0; i < n; i++)
		(*argv)[i] = !own_args ? base->argv[i]
		             : i       ? q->args[i - 1]
		                       : "clerk-credential";
	config_init(cfg);
	r = config_parse_args(cfg, (int)n, *argv, &help, &version);
	/* "cargo" may name the command; nothing else may stand there. */
	for (i = 0; !r && i < (size_t)cfg->nargs; i++) {
		if (strcmp(cfg->args[i], "cargo") != 0) {
			log_error("cargo: unexpected argument '%s' in the "
			          "credential-provider setting",
			          cfg->args[i]);
			r = CLERK_ECONFIG;
		}
	}
	cfg->args = NULL;
	cfg->nargs = 0;
	if (!r && (help || version))
		r = CLERK_ECONFIG;
	return r ? r : config_load(cfg);
}

/* The server's challenges among the headers cargo passed on. */
static void
request_challenges(const struct cargo_request *q, struct challenges *cs)
{
	static const char name[] = "www-authenticate:";
	size_t i;

	for (i = 0; i < q->nheaders; i++) {
		const char *h = q->headers[i];

		if (strncasecmp(h, name, sizeof(name) - 1) != 0)
			continue;
		h += sizeof(name) - 1;
		h += strspn(h, " \t");
		if (challenge_parse(cs, h, strlen(h)))
			log_debug("cargo: ignoring a WWW-Authenticate header "
			          "that does not parse");
	}
}

static int
cargo_dispatch(struct config *cfg, const struct cargo_request *q)
{
	struct challenges cs = CHALLENGES_INIT;
	struct server_ref s;
	int r;

	if (server_ref_parse(q->index_url, true, &s))
		return reply_err("url-not-supported", NULL);
	request_challenges(q, &cs);
	r = proto_route(cfg, &s, &cs);
	if (r == 0)
		r = session_challenged(cfg, &cs, false);
	challenges_release(&cs);
	if (r == CLERK_ENOTFOUND)
		return reply_err("url-not-supported", NULL);
	if (r)
		return reply_failure(r);
	if (strcmp(q->kind, "get") != 0 && strcmp(q->kind, "login") != 0 &&
	    strcmp(q->kind, "logout") != 0)
		return reply_err("operation-not-supported", NULL);
	if (config_require(cfg))
		return reply_failure(CLERK_ECONFIG);
	if (strcmp(q->kind, "get") == 0)
		return cargo_get(cfg);
	if (strcmp(q->kind, "login") == 0)
		return cargo_login(cfg, q);
	return cargo_logout(cfg);
}

static int
cargo_handle(const struct config *base, const char *line, size_t len)
{
	struct cargo_request q = CARGO_REQUEST_INIT;
	struct config own;
	struct strbuf msg = STRBUF_INIT;
	char **argv = NULL;
	int r;

	config_init(&own);
	if (cargo_request_parse(line, len, &q)) {
		log_error("cargo: the request is not a credential-provider "
		          "message");
		r = reply_err("other", "malformed credential-provider request");
	} else if (q.v != 1) {
		r = strbuf_addf(&msg, "unsupported protocol version %lld",
		                (long long)q.v);
		if (!r)
			r = reply_err("other", msg.buf);
	} else if (request_config(base, &q, &own, &argv)) {
		r = reply_failure(CLERK_ECONFIG);
	} else {
		own.cargo_plugin = base->cargo_plugin;
		proto_background(&own);
		r = cargo_dispatch(&own, &q);
	}
	strbuf_release(&msg);
	config_release(&own);
	free(argv);
	cargo_request_release(&q);
	return r;
}

/* Lines of stdin, one at a time, each at most PROTO_MAX_INPUT bytes. */
struct line_reader {
	struct strbuf sb;
	bool eof;
};

/* 0 and a line (secret_free it), CLERK_ENOTFOUND at EOF, or an error. */
static int
line_next(struct line_reader *lr, char **line, size_t *len)
{
	char buf[4096], *nl;
	size_t n;
	ssize_t got;
	int r;

	for (;;) {
		nl = lr->sb.len ? memchr(lr->sb.buf, '\n', lr->sb.len) : NULL;
		if (nl || (lr->eof && lr->sb.len)) {
			n = nl ? (size_t)(nl - lr->sb.buf) : lr->sb.len;
			if (!(*line = str_ndup(lr->sb.buf, n)))
				return CLERK_ENOMEM;
			*len = n;
			n += nl ? 1 : 0;
			memmove(lr->sb.buf, lr->sb.buf + n, lr->sb.len - n);
			lr->sb.len -= n;
			secret_wipe(lr->sb.buf + lr->sb.len, n);
			return 0;
		}
		if (lr->eof)
			return CLERK_ENOTFOUND;
		got = read(STDIN_FILENO, buf, sizeof(buf));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			log_error("cargo: cannot read a request: %s",
			          strerror(errno));
			return CLERK_EIO;
		}
		lr->eof = got == 0;
		r = strbuf_add(&lr->sb, buf, (size_t)got);
		secret_wipe(buf, sizeof(buf));
		if (r) {
			log_error("cargo: a request is longer than %d bytes",
			          PROTO_MAX_INPUT);
			return r;
		}
	}
}

int
cargocmd_run(struct config *cfg)
{
	struct line_reader lr = {STRBUF_INIT_SECRET, false};
	char *line = NULL;
	size_t len;
	int r;

	proto_background(cfg);
	if (!cfg->cargo_plugin) {
		log_error(
		        "cargo: this is Cargo's credential provider; cargo "
		        "runs it with --cargo-plugin (set credential-provider "
		        "= [\"clerk-credential\"] for the registry)");
		return CLERK_ECONFIG;
	}
	lr.sb.max = PROTO_MAX_INPUT;
	if ((r = write_all(STDOUT_FILENO, CARGO_HELLO, sizeof(CARGO_HELLO) - 1,
	                   "the answer")))
		return r;
	while ((r = line_next(&lr, &line, &len)) == 0) {
		r = cargo_handle(cfg, line, len);
		secret_free(line);
		line = NULL;
		if (r)
			break;
	}
	strbuf_release(&lr.sb);
	return r == CLERK_ENOTFOUND ? 0 : r;
}
