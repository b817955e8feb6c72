/*
 * See report.h.
 *
 * MUST NOT: print a token, a refresh token or anything else secret: only
 * who (sub, name, email), where tokens are and until when they hold.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "error.h"
#include "json.h"
#include "log.h"
#include "protocols.h"
#include "route.h"
#include "rsmeta.h"
#include "session.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

#include "banned.h"

static void
print_user(const char *userinfo)
{
	struct json *ui = json_parse(userinfo, strlen(userinfo));
	const char *name = json_get_string(ui, "name");
	const char *email = json_get_string(ui, "email");
	const char *sub = json_get_string(ui, "sub");

	if (name && email)
		printf("%s <%s>", name, email);
	else if (email || name)
		printf("%s", email ? email : name);
	if (sub)
		printf("%s(%s)", name || email ? " " : "", sub);
	printf("\n");
	json_free(ui);
}

/* whoami --json: the cached userinfo, re-serialised so it is valid. */
static int
print_user_json(const char *userinfo)
{
	struct json *ui = json_parse(userinfo, strlen(userinfo));
	char *text = NULL;
	int r;

	if (!json_is_object(ui)) {
		log_error("the cached user information is not a JSON object "
		          "(run `clerk-credential login` to fetch it again)");
		r = CLERK_EPROTO;
	} else if ((r = json_print(ui, false, &text)) == 0) {
		printf("%s\n", text);
	}
	secret_free(text);
	json_free(ui);
	return r;
}

/* @doc on one line of stdout. */
static int
json_line(const struct json *doc)
{
	char *text = NULL;
	int r = json_print(doc, false, &text);

	if (r == 0)
		printf("%s\n", text);
	secret_free(text);
	return r;
}

/*
 * What is stored for @cfg's profile, without the network: *@in when a
 * token set is, and its userinfo (NULL when none) in *@userinfo.
 */
static int
stored_user(const struct config *cfg, bool *in, char **userinfo)
{
	struct tokenset ts = TOKENSET_INIT;
	int r;

	*in = false;
	*userinfo = NULL;
	if (session_ci_origin(cfg))
		return 0;
	if ((r = proto_stored_tokens(cfg, &ts)) == 0) {
		*in = ts.access_token || ts.refresh_token;
		*userinfo = ts.userinfo;
		ts.userinfo = NULL;
	}
	tokenset_release(&ts);
	return r == CLERK_ENOTFOUND ? 0 : r;
}

/* One profile's account, for whoami --all and status. */
struct account {
	const struct config_profile_info *info;
	bool signed_in;
	char *userinfo; /* cached userinfo JSON, or NULL */
	int error;      /* its store could not be read (said) */
};

/* The account of every profile of the config file (config_profiles()). */
static int
accounts_load(const struct config *cfg, struct config_profile_info **infos,
              struct account **out, size_t *n)
{
	struct account *a;
	size_t i;
	int r;

	if ((r = config_profiles(cfg, infos, n)))
		return r;
	if (!(a = calloc(*n ? *n : 1, sizeof(*a)))) {
		config_profiles_free(*infos, *n);
		return CLERK_ENOMEM;
	}
	for (i = 0; i < *n; i++) {
		struct config one;

		a[i].info = &(*infos)[i];
		if ((a[i].error = config_load_profile(cfg, (*infos)[i].name,
		                                      &one)) == 0)
			a[i].error = stored_user(&one, &a[i].signed_in,
			                         &a[i].userinfo);
		config_release(&one);
	}
	*out = a;
	return 0;
}

static void
accounts_free(struct config_profile_info *infos, struct account *a, size_t n)
{
	size_t i;

	for (i = 0; a && i < n; i++)
		secret_free(a[i].userinfo);
	free(a);
	config_profiles_free(infos, n);
}

static int user_json(struct json *obj, const char *userinfo);

/* {"profile","issuer","client_id","signed_in","user","hosts"} */
static struct json *
account_json(const struct account *a)
{
	struct json *o = json_new_object(), *hosts = json_new_array();
	size_t i;

	if (!o || !hosts || json_add_string(o, "profile", a->info->name) ||
	    (a->info->issuer &&
	     json_add_string(o, "issuer", a->info->issuer)) ||
	    (a->info->client_id &&
	     json_add_string(o, "client_id", a->info->client_id)) ||
	    (a->info->resource &&
	     json_add_string(o, "resource", a->info->resource)) ||
	    json_add_bool(o, "signed_in", a->signed_in) ||
	    user_json(o, a->userinfo))
		goto nomem;
	for (i = 0; i < a->info->nclaims; i++)
		if (json_array_add_string(hosts, a->info->claims[i]))
			goto nomem;
	if (json_add_node(o, "hosts", hosts) == 0)
		return o;
	hosts = NULL; /* taken over, also on failure */
nomem:
	json_free(hosts);
	json_free(o);
	return NULL;
}

/* "NAME  ISSUER: signed in as USER" per profile; --json: an array. */
static int
whoami_all(const struct config *cfg)
{
	struct config_profile_info *infos = NULL;
	struct account *a = NULL;
	struct json *arr = NULL, *o;
	size_t n = 0, i;
	int r;

	if ((r = accounts_load(cfg, &infos, &a, &n)))
		return r;
	if (cfg->json && !(arr = json_new_array())) {
		r = CLERK_ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (arr) {
			/* The array takes @o over, also on failure. */
			if (!(o = account_json(&a[i])) ||
			    json_array_add_node(arr, o)) {
				r = CLERK_ENOMEM;
				goto out;
			}
			continue;
		}
		printf("%-15s %s: ", a[i].info->name,
		       a[i].info->issuer ? a[i].info->issuer : "(no issuer)");
		if (a[i].userinfo) {
			fflush(stdout);
			print_user(a[i].userinfo);
		} else {
			printf("%s\n",
			       a[i].signed_in ? "signed in" : "not signed in");
		}
	}
	if (arr)
		r = json_line(arr);
out:
	json_free(arr);
	accounts_free(infos, a, n);
	return r;
}

int
report_whoami(const struct config *cfg)
{
	struct tokenset ts = TOKENSET_INIT;
	int r;

	if (cfg->all)
		return whoami_all(cfg);
	r = session_userinfo(cfg, &ts);

	if (r == 0 && cfg->json)
		r = print_user_json(ts.userinfo);
	else if (r == 0)
		print_user(ts.userinfo);
	tokenset_release(&ts);
	return r;
}

static void
print_hosts(const struct config *cfg)
{
	size_t i;

	if (cfg->nhosts == 0) {
		printf("none: no host gets a token (set --host or "
		       "CLERK_CREDENTIAL_HOSTS)\n");
		return;
	}
	for (i = 0; i < cfg->nhosts && i < 20; i++)
		printf("%s%s", i ? ", " : "", config_host(cfg, i));
	if (cfg->nhosts > 20)
		printf(", … (%zu in all)", cfg->nhosts);
	printf(" (%s)\n", config_source_name(cfg->src_hosts));
}

static void
print_expiry(const char *what, int64_t exp)
{
	char when[21];
	int64_t left = exp - time_now();

	if (exp == 0) {
		printf("%-15s unknown expiry\n", what);
		return;
	}
	time_format_rfc3339(exp, when);
	if (left > 0)
		printf("%-15s valid for %lld s (until %s)\n", what,
		       (long long)left, when);
	else
		printf("%-15s expired at %s\n", what, when);
}

static int
json_add_maybe(struct json *obj, const char *key, const char *value)
{
	return value ? json_add_string(obj, key, value) : 0;
}

/* {"stored":true,"expires_at":N,"expires":"RFC 3339","valid":B} */
static int
expiry_json(struct json *obj, const char *key, bool stored, int64_t exp)
{
	struct json *o = json_new_object();
	char when[21];

	if (!o || json_add_bool(o, "stored", stored))
		goto nomem;
	if (stored && exp > 0) {
		time_format_rfc3339(exp, when);
		if (json_add_int64(o, "expires_at", exp) ||
		    json_add_string(o, "expires", when) ||
		    json_add_bool(o, "valid", exp > time_now()))
			goto nomem;
	}
	return json_add_node(obj, key, o);
nomem:
	json_free(o);
	return CLERK_ENOMEM;
}

/* Who, from the cached userinfo: only sub, name and email. */
static int
user_json(struct json *obj, const char *userinfo)
{
	struct json *ui, *o;
	int r = 0;

	if (!userinfo)
		return 0;
	ui = json_parse(userinfo, strlen(userinfo));
	if (!(o = json_new_object()) ||
	    json_add_maybe(o, "sub", json_get_string(ui, "sub")) ||
	    json_add_maybe(o, "name", json_get_string(ui, "name")) ||
	    json_add_maybe(o, "email", json_get_string(ui, "email"))) {
		json_free(o);
		r = CLERK_ENOMEM;
	} else {
		r = json_add_node(obj, "user", o);
	}
	json_free(ui);
	return r;
}

static int
status_json_config(const struct config *cfg, struct json *obj)
{
	struct json *hosts = json_new_array();
	size_t i;

	for (i = 0; hosts && i < cfg->nhosts; i++)
		if (json_array_add_string(hosts, config_host(cfg, i))) {
			json_free(hosts);
			hosts = NULL;
		}
	if (!hosts || json_add_node(obj, "hosts", hosts) ||
	    json_add_string(obj, "hosts_source",
	                    config_source_name(cfg->src_hosts)) ||
	    json_add_maybe(obj, "profile", cfg->profile) ||
	    json_add_string(obj, "profile_source",
	                    config_source_name(cfg->src_profile)) ||
	    json_add_maybe(obj, "issuer", cfg->issuer) ||
	    json_add_string(obj, "issuer_source",
	                    config_source_name(cfg->src_issuer)) ||
	    json_add_maybe(obj, "client_id", cfg->client_id) ||
	    json_add_string(obj, "client_id_source",
	                    config_source_name(cfg->src_client_id)) ||
	    json_add_maybe(obj, "scopes", cfg->scopes) ||
	    json_add_maybe(obj, "config_file", cfg->config_path) ||
	    json_add_maybe(obj, "token_from", session_ci_origin(cfg)))
		return CLERK_ENOMEM;
	return 0;
}

/* What is stored, never a secret: whether, who, and until when. */
static int
status_json_tokens(const struct config *cfg, struct store *st, struct json *obj)
{
	struct tokenset ts = TOKENSET_INIT;
	char *cached = NULL;
	int64_t exp = 0;
	bool hit;
	int r = store_load(st, &ts);

	if (r == CLERK_ENOTFOUND)
		return json_add_bool(obj, "signed_in", false);
	if (r)
		return r;
	if (json_add_bool(obj, "signed_in", true) ||
	    (st->found && st->found != st->ops &&
	     json_add_string(obj, "tokens_in_store", st->found->name)))
		r = CLERK_ENOMEM;
	if (!r)
		r = user_json(obj, ts.userinfo);
	if (!r)
		r = expiry_json(obj, "access_token", ts.access_token != NULL,
		                ts.expires_at);
	if (!r)
		r = expiry_json(obj, "refresh_token", ts.refresh_token != NULL,
		                0);
	hit = cache_read(cfg, &cached, &exp) == 0;
	secret_free(cached);
	if (!r)
		r = expiry_json(obj, "runtime_cache", hit, exp);
	tokenset_release(&ts);
	return r;
}

/*
 * The routes servers' resource metadata made (route.h, step 3), from the
 * documents cached in the state directory: for each, its resource and the
 * profile it leads to (NULL: none, the request is not ours).
 */
struct discovered {
	struct rsmeta *metas;
	size_t n;
};

static const char *
discovered_profile(const struct rsmeta *m,
                   const struct config_profile_info *infos, size_t n)
{
	const struct config_profile_info *second;
	const struct config_profile_info *pick =
	        route_pick(m, infos, n, &second);

	return pick && !second ? pick->name : NULL;
}

static int
routes_discovered_json(const struct config_profile_info *infos, size_t n,
                       struct json *routes)
{
	struct rsmeta *metas = NULL;
	struct json *o;
	size_t nm = 0, i;
	const char *name;
	int r;

	if ((r = rsmeta_cached(&metas, &nm)))
		return r;
	for (i = 0; i < nm; i++) {
		name = discovered_profile(&metas[i], infos, n);
		if (!(o = json_new_object()) ||
		    json_array_add_node(routes, o) ||
		    json_add_string(o, "resource", metas[i].resource) ||
		    (name && json_add_string(o, "profile", name)) ||
		    json_add_string(o, "by", "resource_metadata")) {
			r = CLERK_ENOMEM;
			break;
		}
	}
	rsmeta_free_all(metas, nm);
	return r;
}

/* The text of the above, and the profiles with their accounts. */
static int
print_profiles(const struct config *cfg)
{
	struct config_profile_info *infos = NULL;
	struct rsmeta *metas = NULL;
	struct account *a = NULL;
	size_t n = 0, nm = 0, i, j;
	const char *name;
	int r;

	if ((r = accounts_load(cfg, &infos, &a, &n)))
		return r;
	if ((r = rsmeta_cached(&metas, &nm)))
		goto out;
	/* One profile and no discovered route: nothing to add. */
	if (n <= 1 && nm == 0)
		goto out;
	printf("profiles:\n");
	for (i = 0; i < n; i++) {
		printf("  %-13s %s: ", infos[i].name,
		       infos[i].issuer ? infos[i].issuer : "(no issuer)");
		if (a[i].userinfo) {
			printf("signed in as ");
			fflush(stdout);
			print_user(a[i].userinfo);
		} else {
			printf("%s\n",
			       a[i].signed_in ? "signed in" : "not signed in");
		}
	}
	printf("routes (without --profile):\n");
	for (i = 0; i < n; i++)
		for (j = 0; j < infos[i].nclaims; j++)
			printf("  %s -> %s (its \"hosts\")\n",
			       infos[i].claims[j], infos[i].name);
	for (i = 0; i < nm; i++) {
		name = discovered_profile(&metas[i], infos, n);
		printf("  %s -> %s (the server's resource metadata)\n",
		       metas[i].resource, name ? name : "no profile");
	}
	printf("  any other host -> %s\n", CONFIG_DEFAULT_PROFILE);
out:
	rsmeta_free_all(metas, nm);
	accounts_free(infos, a, n);
	return r;
}

/*
 * status: every profile of the config file with its account, and where
 * a request without --profile goes (route.h): "profiles" and "routes".
 */
static int
status_json_profiles(const struct config *cfg, struct json *obj)
{
	struct config_profile_info *infos = NULL;
	struct account *a = NULL;
	struct json *profiles = NULL, *routes = NULL, *o;
	size_t n = 0, i, j;
	int r;

	if ((r = accounts_load(cfg, &infos, &a, &n)))
		return r;
	r = CLERK_ENOMEM;
	if (!(profiles = json_new_array()) || !(routes = json_new_array()))
		goto out;
	for (i = 0; i < n; i++) {
		if (!(o = account_json(&a[i])) ||
		    json_array_add_node(profiles, o))
			goto out;
		for (j = 0; j < infos[i].nclaims; j++)
			if (!(o = json_new_object()) ||
			    json_array_add_node(routes, o) ||
			    json_add_string(o, "host", infos[i].claims[j]) ||
			    json_add_string(o, "profile", infos[i].name) ||
			    json_add_string(o, "by", "hosts"))
				goto out;
	}
	if ((r = routes_discovered_json(infos, n, routes)))
		goto out;
	r = json_add_node(obj, "profiles", profiles);
	profiles = NULL;
	if (!r)
		r = json_add_node(obj, "routes", routes);
	routes = NULL;
out:
	json_free(profiles);
	json_free(routes);
	accounts_free(infos, a, n);
	return r;
}

/* status --json: one object on one line, for scripts. */
static int
status_json(const struct config *cfg)
{
	struct json *obj = json_new_object();
	struct store *st = NULL;
	int r;

	if (!obj)
		return CLERK_ENOMEM;
	if ((r = status_json_config(cfg, obj)) || (r = store_open(cfg, &st)))
		goto out;
	if (json_add_string(obj, "storage", st->ops->name) ||
	    json_add_maybe(obj, "storage_reason", st->why)) {
		r = CLERK_ENOMEM;
		goto out;
	}
	if ((r = status_json_tokens(cfg, st, obj)) ||
	    (r = status_json_profiles(cfg, obj)))
		goto out;
	r = json_line(obj);
out:
	store_close(st);
	json_free(obj);
	return r;
}

static const char *
or_none(const char *s)
{
	return s ? s : "none";
}

/* Where a CI token comes from, never the token (session.h). */
static void
print_ci_origin(const struct config *cfg)
{
	const char *origin = session_ci_origin(cfg);

	if (origin)
		printf("%-15s from %s%s (handed out first: never stored, "
		       "cached or refreshed)\n",
		       "token:", origin == cfg->token_file ? "token file " : "",
		       origin);
}

int
report_status(const struct config *cfg)
{
	struct tokenset ts = TOKENSET_INIT;
	struct store *st = NULL;
	char *cached = NULL;
	int64_t exp = 0;
	int r;

	if (cfg->json)
		return status_json(cfg);
	printf("%-15s %s (%s)\n", "profile:", cfg->profile,
	       config_source_name(cfg->src_profile));
	/* With a CI token neither is required (config_require()). */
	printf("%-15s %s (%s)\n", "issuer:", or_none(cfg->issuer),
	       config_source_name(cfg->src_issuer));
	printf("%-15s %s (%s)\n", "client id:", or_none(cfg->client_id),
	       config_source_name(cfg->src_client_id));
	printf("%-15s %s\n", "scopes:", cfg->scopes);
	printf("%-15s ", "hosts:");
	print_hosts(cfg);
	printf("%-15s %s\n", "config file:", cfg->config_path);
	print_ci_origin(cfg);
	if ((r = store_open(cfg, &st)))
		return r;
	printf("%-15s %s (%s)\n", "storage:", st->ops->name, st->why);
	r = store_load(st, &ts);
	if (r == CLERK_ENOTFOUND) {
		printf("%-15s no (%s)\n", "signed in:",
		       session_ci_origin(cfg)
		               ? "not needed: the CI token is handed out"
		               : "run `clerk-credential login`");
		r = 0;
		goto out;
	}
	if (r)
		goto out;
	printf("%-15s yes", "signed in:");
	if (ts.userinfo) {
		printf(", as ");
		fflush(stdout);
		print_user(ts.userinfo);
	} else {
		printf("\n");
	}
	if (st->found && st->found != st->ops)
		printf("%-15s in the %s store; they move to the %s store on "
		       "next use\n",
		       "tokens:", st->found->name, st->ops->name);
	if (ts.access_token)
		print_expiry("access token:", ts.expires_at);
	else
		printf("%-15s none stored\n", "access token:");
	printf("%-15s %s\n",
	       "refresh token:", ts.refresh_token ? "stored" : "none");
	if (cache_read(cfg, &cached, &exp) == 0)
		print_expiry("runtime cache:", exp);
	secret_free(cached);
out:
	if (r == 0)
		r = print_profiles(cfg);
	store_close(st);
	tokenset_release(&ts);
	return r;
}
