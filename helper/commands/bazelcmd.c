/*
 * The Bazel credential-helper protocol (contract §7; EngFlow's
 * credential-helper-spec): `get` reads {"uri": "..."} on stdin and prints
 * {"headers": {"Authorization": ["Bearer ..."]}, "expires": "..."}.
 *
 * MUST: answer only for a URI whose host is in the host list; for any
 * other the answer is {} (no credentials), so Bazel goes on without.
 * "expires" has no fractional seconds (Bazel's parser refuses them).
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

static int
print_empty(void)
{
	struct json *doc = json_new_object();
	int r = proto_print_json(doc);

	json_free(doc);
	return r;
}

static int
print_headers(const char *token, int64_t exp)
{
	struct json *doc = json_new_object(), *headers = json_new_object();
	struct json *values = json_new_array();
	struct strbuf value = STRBUF_INIT_SECRET;
	char when[21];
	int r = CLERK_ENOMEM;

	if (!doc || !headers || !values ||
	    strbuf_addf(&value, "Bearer %s", token) ||
	    json_array_add_string(values, value.buf))
		goto out;
	r = json_add_node(headers, "Authorization", values);
	values = NULL;
	if (!r) {
		r = json_add_node(doc, "headers", headers);
		headers = NULL;
	}
	if (!r && exp > 0) {
		time_format_rfc3339(exp, when);
		r = json_add_string(doc, "expires", when);
	}
	if (!r)
		r = proto_print_json(doc);
out:
	strbuf_release(&value);
	json_free(values);
	json_free(headers);
	json_free(doc);
	return r;
}

static int
bazel_get(struct config *cfg)
{
	struct server_ref s;
	char *in = NULL, *uri = NULL, *token = NULL;
	size_t len = 0;
	int64_t exp = 0;
	int r;

	if ((r = proto_read_stdin(PROTO_MAX_INPUT, &in, &len)))
		return r;
	if ((r = bazel_request_parse(in, len, &uri))) {
		log_error("bazel get: expected {\"uri\": \"https://...\"} on "
		          "stdin");
		goto out;
	}
	if (server_ref_parse(uri, true, &s) ||
	    (r = proto_route(cfg, &s, NULL)) == CLERK_ENOTFOUND) {
		log_debug("no credentials for this URI");
		r = print_empty();
		goto out;
	}
	if (r)
		goto out;
	if ((r = config_require(cfg)) || (r = session_token(cfg, &token, &exp)))
		goto out;
	r = print_headers(token, exp);
out:
	secret_free(token);
	free(uri);
	secret_free(in);
	return r;
}

int
bazelcmd_run(struct config *cfg)
{
	proto_background(cfg);
	if (cfg->nargs >= 1 && strcmp(cfg->args[0], "get") == 0)
		return bazel_get(cfg);
	if (cfg->nargs >= 1)
		log_error("bazel: unknown command '%s' (Bazel calls `get`; see "
		          "clerk-credential(1))",
		          cfg->args[0]);
	else
		log_error("usage: clerk-credential bazel get (a Bazel "
		          "credential helper: {\"uri\": ...} on stdin)");
	return CLERK_ECONFIG;
}
