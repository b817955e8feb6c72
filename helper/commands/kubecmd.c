/*
 * kubectl's exec credential plugin (contract §7): an ExecCredential on stdout
 * in the apiVersion KUBERNETES_EXEC_INFO asks for (v1 when it is absent).
 *
 * MUST: honour spec.interactive=false (never start a sign-in then); when
 * kubectl names the cluster (provideClusterInfo), hand a token only to a
 * server of the host list. Without cluster information the user named
 * this plugin for the cluster in the kubeconfig, which is the consent.
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

#define KUBE_V1       "client.authentication.k8s.io/v1"
#define KUBE_V1BETA1  "client.authentication.k8s.io/v1beta1"
#define EXEC_INFO_MAX (64 * 1024)

static int
exec_info_read(struct exec_info *e)
{
	const char *env = getenv("KUBERNETES_EXEC_INFO");
	size_t len;

	if (!env || !*env) {
		log_debug("no KUBERNETES_EXEC_INFO: answering in " KUBE_V1);
		return 0;
	}
	if ((len = strlen(env)) > EXEC_INFO_MAX) {
		log_error("KUBERNETES_EXEC_INFO is longer than %d bytes; "
		          "refusing it",
		          EXEC_INFO_MAX);
		return CLERK_EPROTO;
	}
	if (exec_info_parse(env, len, e)) {
		log_error("KUBERNETES_EXEC_INFO is not an ExecCredential "
		          "(expected a JSON object with apiVersion, kind and "
		          "spec, as kubectl sets it)");
		return CLERK_EPROTO;
	}
	return 0;
}

static int
api_version_check(const char *api)
{
	if (strcmp(api, KUBE_V1) == 0 || strcmp(api, KUBE_V1BETA1) == 0)
		return 0;
	log_error("kubectl asks for an ExecCredential of apiVersion '%s', "
	          "which is not supported (set apiVersion: " KUBE_V1
	          " or " KUBE_V1BETA1 " in the kubeconfig's exec section)",
	          api);
	return CLERK_EPROTO;
}

/* provideClusterInfo: the host rule for spec.cluster.server. */
static int
cluster_check(struct config *cfg, const char *server)
{
	struct server_ref s;
	int r;

	if (server_ref_parse(server, true, &s)) {
		log_error("the cluster server '%s' is not an https URL; "
		          "not handing it a token",
		          server);
		return CLERK_EPROTO;
	}
	if ((r = proto_route(cfg, &s, NULL)) && r != CLERK_ENOTFOUND)
		return r;
	if (r) {
		log_error("the cluster server %s is not in the host list; not "
		          "handing it a token (add it with --host=%s in the "
		          "exec args, CLERK_CREDENTIAL_HOSTS or the config "
		          "file)",
		          s.host, s.host);
		return CLERK_ECONFIG;
	}
	return 0;
}

static int
print_credential(const char *api, const char *token, int64_t exp)
{
	struct json *doc = json_new_object(), *status = json_new_object();
	char when[21];
	int r = CLERK_ENOMEM;

	if (!doc || !status)
		goto out;
	if (json_add_string(status, "token", token))
		goto out;
	if (exp > 0) {
		time_format_rfc3339(exp, when);
		if (json_add_string(status, "expirationTimestamp", when))
			goto out;
	}
	if (json_add_string(doc, "apiVersion", api) ||
	    json_add_string(doc, "kind", "ExecCredential"))
		goto out;
	r = json_add_node(doc, "status", status);
	status = NULL; /* taken over, also on failure */
	if (!r)
		r = proto_print_json(doc);
out:
	json_free(status);
	json_free(doc);
	return r;
}

int
kubecmd_run(struct config *cfg)
{
	struct exec_info e = EXEC_INFO_INIT;
	const char *api;
	char *token = NULL;
	int64_t exp = 0;
	int r;

	if (cfg->nargs != 0) {
		log_error("kubectl takes options only, not '%s' (see "
		          "clerk-credential(1))",
		          cfg->args[0]);
		return CLERK_ECONFIG;
	}
	if ((r = exec_info_read(&e)))
		goto out;
	api = e.api_version ? e.api_version : KUBE_V1;
	if ((r = api_version_check(api)))
		goto out;
	/* First the profile, then what kubectl says of this run. */
	if (e.server && (r = cluster_check(cfg, e.server)))
		goto out;
	if (e.interactive_set && !e.interactive) {
		log_debug("kubectl runs this plugin non-interactively");
		cfg->interactive = false;
	}
	if ((r = config_require(cfg)) || (r = session_token(cfg, &token, &exp)))
		goto out;
	r = print_credential(api, token, exp);
out:
	secret_free(token);
	exec_info_release(&e);
	return r;
}
