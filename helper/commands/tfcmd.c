/*
 * The Terraform/OpenTofu credentials-helper protocol (contract §7):
 *	get HOST	prints {"token": "..."}, or {} when there is none
 *	store HOST	reads a JSON object on stdin to EOF
 *	forget HOST	signs out
 * Errors are text on stderr and a non-zero exit status.
 *
 * MUST: hand a token only to a host of the host list ({} for any other);
 * never keep a token Terraform obtained elsewhere (store accepts only our
 * own, which is stored already).
 */
#include "protocols.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "util.h"

#include "banned.h"

/* Terraform's services speak https only. */
static int
host_parse(const char *host, struct server_ref *s)
{
	if (strchr(host, '/') || server_ref_parse(host, false, s)) {
		log_error("terraform: '%s' is not a host name", host);
		return CLERK_EPROTO;
	}
	return 0;
}

static int
print_token(const char *token)
{
	struct json *doc = json_new_object();
	int r = CLERK_ENOMEM;

	if (doc && (!token || json_add_string(doc, "token", token) == 0))
		r = proto_print_json(doc);
	json_free(doc);
	return r;
}

static int
tf_get(struct config *cfg, const struct server_ref *s)
{
	char *token = NULL;
	int64_t exp;
	int r;

	if ((r = proto_route(cfg, s, NULL)) == CLERK_ENOTFOUND)
		return print_token(NULL);
	if (r || (r = config_require(cfg)) ||
	    (r = session_token(cfg, &token, &exp)))
		return r;
	r = print_token(token);
	secret_free(token);
	return r;
}

static int
tf_store(struct config *cfg, const struct server_ref *s)
{
	char *in = NULL, *token = NULL;
	size_t len = 0;
	int r;

	if ((r = proto_read_stdin(PROTO_MAX_INPUT, &in, &len)))
		return r;
	if ((r = tf_store_parse(in, len, &token))) {
		log_error("terraform store: expected a JSON object such as "
		          "{\"token\": \"...\"} on stdin");
		goto out;
	}
	if ((r = proto_route(cfg, s, NULL)) && r != CLERK_ENOTFOUND)
		goto out;
	if (r || config_require(cfg) || !proto_is_ours(cfg, token)) {
		log_error("terraform store: not storing a token for %s: "
		          "clerk-credential keeps only the tokens of its own "
		          "sign-in (run `clerk-credential login`; `terraform "
		          "login` is not needed)",
		          s->host);
		r = CLERK_EPROTO;
		goto out;
	}
	log_debug("store: the token is ours, stored already");
out:
	secret_free(token);
	secret_free(in);
	return r;
}

static int
tf_forget(struct config *cfg, const struct server_ref *s)
{
	int r;

	if ((r = proto_route(cfg, s, NULL)) == CLERK_ENOTFOUND)
		return 0;
	if (r || (r = config_require(cfg)))
		return r;
	/* One sign-in serves every host: forget is a logout. */
	return proto_signed_in(cfg) ? session_logout(cfg) : 0;
}

static const struct {
	const char *name;
	int (*run)(struct config *cfg, const struct server_ref *s);
} actions[] = {
        {"get", tf_get},
        {"store", tf_store},
        {"forget", tf_forget},
};

int
tfcmd_run(struct config *cfg)
{
	struct server_ref s;
	size_t i;
	int r;

	proto_background(cfg);
	if (cfg->nargs != 2) {
		log_error("usage: terraform-credentials-clerk [options] "
		          "get|store|forget HOST");
		return CLERK_ECONFIG;
	}
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(cfg->args[0], actions[i].name) != 0)
			continue;
		if ((r = host_parse(cfg->args[1], &s)))
			return r;
		return actions[i].run(cfg, &s);
	}
	log_error("terraform: unknown action '%s' (expected get, store or "
	          "forget)",
	          cfg->args[0]);
	return CLERK_ECONFIG;
}
