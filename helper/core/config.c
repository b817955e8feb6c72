/*
 * See config.h.
 *
 * One table describes every option: the parser, --help and the config
 * file keys all read it, so they cannot drift apart.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfgindex.h"
#include "error.h"
#include "fileio.h"
#include "help.h"
#include "hostrule.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "store.h"
#include "util.h"

#define CONFIG_MAX_FILE  (4 * 1024 * 1024)
#define CONFIG_MAX_HOSTS 100000

enum opt_id {
	OPT_ISSUER = 1000,
	OPT_CLIENT_ID,
	OPT_SCOPES,
	OPT_HOST,
	OPT_PROFILE,
	OPT_STORAGE,
	OPT_CALLBACK_PORT,
	OPT_USERNAME,
	OPT_TIMEOUT,
	OPT_REFRESH_MARGIN,
	OPT_NON_INTERACTIVE,
	OPT_VERBOSE,
	OPT_QUIET,
	OPT_CONFIG,
	OPT_HELP,
	OPT_VERSION,
	OPT_FLOW,
	OPT_ALL,
	OPT_CARGO_PLUGIN,
	OPT_JSON,
	OPT_AUTHTYPE,
	OPT_CA_FILE,
};

struct opt_desc {
	const char *name;
	int has_arg;
	enum opt_id id;
	const char *arg;      /* metavariable, or NULL */
	const char *env;      /* environment variable, or NULL */
	const char *file_key; /* config file key, or NULL */
	const char *help;
};

static const struct opt_desc opt_table[] = {
        {"issuer", 1, OPT_ISSUER, "URL", "CLERK_ISSUER", "issuer",
         "OIDC issuer (Clerk Frontend API URL)"},
        {"client-id", 1, OPT_CLIENT_ID, "ID", "CLERK_OAUTH_CLIENT_ID",
         "client_id", "OAuth application client id"},
        {"scopes", 1, OPT_SCOPES, "\"S1 S2\"", "CLERK_SCOPES", "scopes",
         "scopes (default: " CONFIG_DEFAULT_SCOPES ")"},
        {"host", 1, OPT_HOST, "PATTERN", "CLERK_CREDENTIAL_HOSTS", "hosts",
         "host that may receive the token; repeatable; *.example.com"},
        {"profile", 1, OPT_PROFILE, "NAME", "CLERK_PROFILE", NULL,
         "independent token set (default: default)"},
        {"storage", 1, OPT_STORAGE, "KIND", "CLERK_CREDENTIAL_STORAGE",
         "storage", "auto, keyring, file or memory (default: auto)"},
        {"callback-port", 1, OPT_CALLBACK_PORT, "N", "CLERK_CALLBACK_PORT",
         "callback_port", "fixed loopback port for sign-in (0: any)"},
        {"username", 1, OPT_USERNAME, "NAME", NULL, "username",
         "username handed to git and docker (default: oauth2)"},
        {"timeout", 1, OPT_TIMEOUT, "SECONDS", NULL, "timeout",
         "how long a sign-in may wait (default: 300)"},
        {"refresh-margin", 1, OPT_REFRESH_MARGIN, "SECONDS", NULL,
         "refresh_margin", "refresh this long before expiry (default: 30)"},
        {"flow", 1, OPT_FLOW, "KIND", "CLERK_CREDENTIAL_FLOW", "flow",
         "sign-in: auto, browser, device or paste (default: auto)"},
        {"authtype", 1, OPT_AUTHTYPE, "KIND", "CLERK_CREDENTIAL_AUTHTYPE",
         "authtype",
         "git: auto (from the server's challenges), bearer or basic"},
        {"ca-file", 1, OPT_CA_FILE, "FILE", "CLERK_CREDENTIAL_CA_FILE",
         "ca_file", "CA certificates (PEM) to trust for the provider"},
        {"non-interactive", 0, OPT_NON_INTERACTIVE, NULL,
         "CLERK_CREDENTIAL_INTERACTIVE", "interactive",
         "never start a sign-in; fail instead"},
        {"verbose", 0, OPT_VERBOSE, NULL, "CLERK_CREDENTIAL_DEBUG", NULL,
         "trace each step on stderr (secrets redacted)"},
        {"quiet", 0, OPT_QUIET, NULL, NULL, NULL,
         "print nothing on stderr but errors"},
        {"config", 1, OPT_CONFIG, "FILE", NULL, NULL,
         "config file (default: $XDG_CONFIG_HOME/clerk-credential/"
         "config.json)"},
        {"all", 0, OPT_ALL, NULL, NULL, NULL,
         "with logout: sign out of every profile"},
        {"cargo-plugin", 0, OPT_CARGO_PLUGIN, NULL, NULL, NULL,
         "speak Cargo's credential-provider protocol (cargo adds it)"},
        {"json", 0, OPT_JSON, NULL, NULL, NULL,
         "with status and whoami: print JSON for scripts"},
        {"help", 0, OPT_HELP, NULL, NULL, NULL, "show this help"},
        {"version", 0, OPT_VERSION, NULL, NULL, NULL, "show the version"},
};

#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->storage = STORAGE_AUTO;
	cfg->timeout = -1;
	cfg->refresh_margin = -1;
	cfg->callback_port = -1;
	cfg->interactive = true;
}

static void
hosts_free(struct config *cfg)
{
	size_t i;

	for (i = 0; cfg->hosts && !cfg->hosts_borrowed && i < cfg->nhosts; i++)
		free(cfg->hosts[i]);
	free(cfg->hosts);
	cfg->hosts = NULL;
	cfg->nhosts = cfg->hosts_alloc = 0;
	cfg->hosts_borrowed = false;
}

void
config_release(struct config *cfg)
{
	free(cfg->issuer);
	free(cfg->client_id);
	free(cfg->scopes);
	hosts_free(cfg);
	json_free_public(cfg->file_doc);
	cfgindex_close(cfg->file_index);
	free(cfg->profile);
	free(cfg->username);
	free(cfg->config_path);
	free(cfg->ca_file);
	config_init(cfg);
}

const char *
config_source_name(enum config_source src)
{
	switch (src) {
	case SRC_OPTION:
		return "option";
	case SRC_ENV:
		return "environment";
	case SRC_FILE:
		return "config file";
	default:
		return "default";
	}
}

static const char *const flow_names[] = {"auto", "browser", "device", "paste"};
static const char *const authtype_names[] = {"auto", "bearer", "basic"};

const char *
config_flow_name(enum signin_flow flow)
{
	return flow_names[flow];
}

const char *
config_authtype_name(enum authtype_kind kind)
{
	return authtype_names[kind];
}

/* The index of @s in @names (@n of them), or -1. */
static int
name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

#define NAME_INDEX(names, s) \
	name_index(names, sizeof(names) / sizeof(*(names)), s)

/* host[:port], *.suffix[:port] or [v6][:port], as a request's host is. */
static bool
host_pattern_valid(const char *p)
{
	if (str_starts_with(p, "*.") && p[2] != '[')
		p += 2;
	return host_port_valid(p, strlen(p));
}

/* May @pattern join a host list that has @n entries? Says why not. */
static int
host_admit(const char *pattern, size_t n, const char *where)
{
	if (!host_pattern_valid(pattern)) {
		log_error("%s: invalid host pattern '%s' (expected a host "
		          "name such as git.example.com or *.example.com, "
		          "optionally with :port)",
		          where, pattern);
		return CLERK_ECONFIG;
	}
	if (n >= CONFIG_MAX_HOSTS) {
		log_error("%s: more than %d hosts", where, CONFIG_MAX_HOSTS);
		return CLERK_ECONFIG;
	}
	return 0;
}

/* Add @pattern (from an option or the environment) to the host list. */
static int
hosts_add(struct config *cfg, const char *pattern, const char *where)
{
	char **nh;
	size_t alloc;
	int r;

	if ((r = host_admit(pattern, cfg->nhosts, where)))
		return r;
	if (cfg->nhosts + 2 > cfg->hosts_alloc) {
		alloc = cfg->hosts_alloc ? cfg->hosts_alloc * 2 : 8;
		if (!(nh = realloc(cfg->hosts, alloc * sizeof(*nh))))
			return CLERK_ENOMEM;
		cfg->hosts = nh;
		cfg->hosts_alloc = alloc;
	}
	if (!(cfg->hosts[cfg->nhosts] = strdup(pattern)))
		return CLERK_ENOMEM;
	cfg->hosts[++cfg->nhosts] = NULL;
	return 0;
}

/* Comma- or blank-separated list, as in CLERK_CREDENTIAL_HOSTS. */
static int
hosts_add_list(struct config *cfg, const char *list, const char *where)
{
	char *copy = strdup(list), *p, *q;
	int r = 0;

	if (!copy)
		return CLERK_ENOMEM;
	for (p = copy; !r && *p; p = q) {
		q = p + strcspn(p, ", \t");
		if (*q)
			*q++ = '\0';
		if (*p)
			r = hosts_add(cfg, p, where);
	}
	free(copy);
	return r;
}

static int
int_parse(const char *s, int64_t min, int64_t max, const char *what,
          const char *where, int *out)
{
	int64_t v;

	if (parse_int64(s, min, max, &v)) {
		log_error("%s: %s must be a whole number from %lld to %lld, "
		          "not '%s'",
		          where, what, (long long)min, (long long)max, s);
		return CLERK_ECONFIG;
	}
	*out = (int)v;
	return 0;
}

/* Apply one string value of option @id from @src. */
static int
config_set(struct config *cfg, enum opt_id id, const char *val,
           enum config_source src, const char *where)
{
	int k;

	switch (id) {
	case OPT_ISSUER:
		cfg->src_issuer = src;
		return str_set(&cfg->issuer, val);
	case OPT_CLIENT_ID:
		cfg->src_client_id = src;
		return str_set(&cfg->client_id, val);
	case OPT_SCOPES:
		cfg->src_scopes = src;
		return str_set(&cfg->scopes, val);
	case OPT_HOST:
		cfg->src_hosts = src;
		return src == SRC_ENV ? hosts_add_list(cfg, val, where)
		                      : hosts_add(cfg, val, where);
	case OPT_PROFILE:
		cfg->src_profile = src;
		return str_set(&cfg->profile, val);
	case OPT_STORAGE:
		cfg->src_storage = src;
		/* The backends are store.c's table (store.h). */
		if ((k = store_backend_find(val)) >= 0) {
			cfg->storage = (enum storage_kind)k;
			return 0;
		}
		log_error("%s: storage must be %s, not '%s'", where,
		          store_backend_names(), val);
		return CLERK_ECONFIG;
	case OPT_FLOW:
		cfg->src_flow = src;
		if ((k = NAME_INDEX(flow_names, val)) >= 0) {
			cfg->flow = (enum signin_flow)k;
			return 0;
		}
		log_error("%s: flow must be auto, browser, device or paste, "
		          "not '%s'",
		          where, val);
		return CLERK_ECONFIG;
	case OPT_AUTHTYPE:
		cfg->src_authtype = src;
		if ((k = NAME_INDEX(authtype_names, val)) >= 0) {
			cfg->authtype = (enum authtype_kind)k;
			return 0;
		}
		log_error("%s: authtype must be auto, bearer or basic, not "
		          "'%s'",
		          where, val);
		return CLERK_ECONFIG;
	case OPT_CALLBACK_PORT:
		cfg->src_callback_port = src;
		return int_parse(val, 0, 65535, "the callback port", where,
		                 &cfg->callback_port);
	case OPT_USERNAME:
		cfg->src_username = src;
		return str_set(&cfg->username, val);
	case OPT_TIMEOUT:
		cfg->src_timeout = src;
		return int_parse(val, 1, 86400, "the timeout", where,
		                 &cfg->timeout);
	case OPT_REFRESH_MARGIN:
		cfg->src_refresh_margin = src;
		return int_parse(val, 0, 86400, "the refresh margin", where,
		                 &cfg->refresh_margin);
	case OPT_CA_FILE:
		cfg->src_ca_file = src;
		if (*val)
			return str_set(&cfg->ca_file, val);
		log_error("%s: the CA file name is empty", where);
		return CLERK_ECONFIG;
	default:
		return CLERK_EINTERNAL;
	}
}

static const struct opt_desc *
opt_by_id(int id)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if ((int)opt_table[i].id == id)
			return &opt_table[i];
	return NULL;
}

static int
config_path_set(struct config *cfg, const char *path)
{
	if (path[0] == '\0') {
		log_error("--config needs a file name");
		return CLERK_ECONFIG;
	}
	return str_set(&cfg->config_path, path);
}

/* "unknown option '--hots' (did you mean '--host'?)" */
static void
option_unknown(const char *arg)
{
	const char *names[NOPTS], *near = NULL;
	char word[HELP_MAX_WORD + 1];
	size_t i, n = strlen(arg);

	/* Never echo a value: "--x=VALUE" is named by "--x" alone. */
	if (str_starts_with(arg, "--")) {
		n = strcspn(arg + 2, "=");
		if (n < sizeof(word)) {
			memcpy(word, arg + 2, n);
			word[n] = '\0';
			for (i = 0; i < NOPTS; i++)
				names[i] = opt_table[i].name;
			near = help_closest(word, names, NOPTS);
		}
	}
	if (str_starts_with(arg, "--"))
		n += 2;
	if (near)
		log_error("unknown option '%.*s' (did you mean '--%s'?)",
		          (int)n, arg, near);
	else
		log_error("unknown option '%.*s' (see --help)", (int)n, arg);
}

int
config_parse_args(struct config *cfg, int argc, char **argv, bool *want_help,
                  bool *want_version)
{
	struct option longopts[NOPTS + 1];
	char where[64];
	size_t i;
	int c, r = 0;

	for (i = 0; i < NOPTS; i++) {
		longopts[i].name = opt_table[i].name;
		longopts[i].has_arg = opt_table[i].has_arg;
		longopts[i].flag = NULL;
		longopts[i].val = (int)opt_table[i].id;
	}
	memset(&longopts[NOPTS], 0, sizeof(longopts[NOPTS]));
	*want_help = *want_version = false;
	opterr = 0;
	optind = 1;
	/* GNU permutation: options may stand before or after the command. */
	while (!r &&
	       (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case OPT_HELP:
			*want_help = true;
			break;
		case OPT_VERBOSE:
			cfg->verbose = true;
			break;
		case OPT_VERSION:
			*want_version = true;
			break;
		case OPT_QUIET:
			cfg->quiet = true;
			break;
		case OPT_ALL:
			cfg->all = true;
			break;
		case OPT_CARGO_PLUGIN:
			cfg->cargo_plugin = true;
			break;
		case OPT_JSON:
			cfg->json = true;
			break;
		case OPT_NON_INTERACTIVE:
			cfg->interactive = false;
			cfg->src_interactive = SRC_OPTION;
			break;
		case OPT_CONFIG:
			r = config_path_set(cfg, optarg);
			break;
		case ':':
			log_error("option '%s' needs a value (see --help)",
			          argv[optind - 1]);
			r = CLERK_ECONFIG;
			break;
		case '?':
			option_unknown(argv[optind - 1]);
			r = CLERK_ECONFIG;
			break;
		default:
			snprintf(where, sizeof(where), "option --%s",
			         opt_by_id(c)->name);
			r = config_set(cfg, (enum opt_id)c, optarg, SRC_OPTION,
			               where);
		}
	}
	cfg->args = argv + optind;
	cfg->nargs = argc - optind;
	return r;
}

static enum config_source *
src_of(struct config *cfg, enum opt_id id)
{
	switch (id) {
	case OPT_ISSUER:
		return &cfg->src_issuer;
	case OPT_CLIENT_ID:
		return &cfg->src_client_id;
	case OPT_SCOPES:
		return &cfg->src_scopes;
	case OPT_HOST:
		return &cfg->src_hosts;
	case OPT_PROFILE:
		return &cfg->src_profile;
	case OPT_STORAGE:
		return &cfg->src_storage;
	case OPT_CALLBACK_PORT:
		return &cfg->src_callback_port;
	case OPT_USERNAME:
		return &cfg->src_username;
	case OPT_TIMEOUT:
		return &cfg->src_timeout;
	case OPT_REFRESH_MARGIN:
		return &cfg->src_refresh_margin;
	case OPT_NON_INTERACTIVE:
		return &cfg->src_interactive;
	case OPT_FLOW:
		return &cfg->src_flow;
	case OPT_AUTHTYPE:
		return &cfg->src_authtype;
	case OPT_CA_FILE:
		return &cfg->src_ca_file;
	default:
		return NULL;
	}
}

static bool
env_false(const char *v)
{
	return v && (!strcmp(v, "0") || !strcasecmp(v, "false") ||
	             !strcasecmp(v, "no") || !strcasecmp(v, "off"));
}

static int
config_load_env(struct config *cfg)
{
	char where[64];
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];
		enum config_source *src = src_of(cfg, d->id);

		if (!d->env || !src || *src != SRC_DEFAULT ||
		    !(v = getenv(d->env)) || !*v)
			continue;
		if (d->id == OPT_NON_INTERACTIVE) {
			if (env_false(v)) {
				cfg->interactive = false;
				*src = SRC_ENV;
			}
			continue;
		}
		snprintf(where, sizeof(where), "environment %s", d->env);
		if ((r = config_set(cfg, d->id, v, SRC_ENV, where)))
			return r;
	}
	if (cfg->src_interactive == SRC_DEFAULT &&
	    env_false(getenv("GIT_TERMINAL_PROMPT"))) {
		cfg->interactive = false;
		cfg->src_interactive = SRC_ENV;
	}
	if ((v = getenv("CLERK_CREDENTIAL_DEBUG")) && *v && !env_false(v))
		cfg->verbose = true;
	return 0;
}

static const char *
kind_expected(enum opt_id id)
{
	switch (id) {
	case OPT_HOST:
		return "an array of host patterns";
	case OPT_NON_INTERACTIVE:
		return "true or false";
	case OPT_CALLBACK_PORT:
	case OPT_TIMEOUT:
	case OPT_REFRESH_MARGIN:
		return "a whole number";
	default:
		return "a string";
	}
}

static const struct opt_desc *
opt_by_file_key(const char *key)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opt_table[i].file_key &&
		    strcmp(opt_table[i].file_key, key) == 0)
			return &opt_table[i];
	return NULL;
}

/*
 * What the config file says for one profile: each key's value from the
 * profile's section, else from the top level, as text (numbers in
 * decimal, interactive as true or false), and the host list apart. It
 * comes from the JSON or from the compiled index (cfgindex.h); either
 * way it is applied by view_apply().
 */
struct file_view {
	const char *keys[NOPTS];
	const char *values[NOPTS];
	char text[NOPTS][24]; /* numbers and booleans */
	size_t n;
	bool has_hosts;
	const char **hosts; /* NULL-terminated, strings of the parsed file */
	size_t nhosts;
};

static void
view_release(struct file_view *v)
{
	free(v->hosts);
	v->hosts = NULL;
}

static bool
view_has(const struct file_view *v, const char *key)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->keys[i], key) == 0)
			return true;
	return false;
}

/* Check the host array @val (strings, valid patterns, not too many) and
 * keep its strings in @v. */
static int
view_hosts(struct file_view *v, const struct json *val, const char *where)
{
	const struct json *item;
	size_t n = json_array_size(val), i;
	int r;

	if (n > CONFIG_MAX_HOSTS)
		n = CONFIG_MAX_HOSTS; /* host_admit() refuses the next one */
	if (!(v->hosts = calloc(n + 1, sizeof(*v->hosts))))
		return CLERK_ENOMEM;
	v->has_hosts = true;
	/* Walk the list: indexing a cJSON array is linear, so a loop
	 * over indices is quadratic in the number of hosts. */
	item = json_array_item(val, 0);
	for (i = 0; item; i++, item = json_next_member(item)) {
		if (!(v->hosts[i] = json_string_value(item))) {
			log_error("%s: entry %zu is %s, expected a host "
			          "pattern string",
			          where, i + 1, json_type_name(item));
			return CLERK_ECONFIG;
		}
		if ((r = host_admit(v->hosts[i], i, where)))
			return r;
	}
	v->nhosts = i;
	return 0;
}

/* Add member @val of key @d to @v, unless an earlier one had that key. */
static int
view_add(struct file_view *v, const struct opt_desc *d, const struct json *val,
         const char *path)
{
	char where[512], *text = v->text[v->n];
	int64_t n;
	bool b;

	snprintf(where, sizeof(where), "%s: key '%s'", path, d->file_key);
	if (d->id == OPT_HOST) {
		if (v->has_hosts)
			return 0;
		if (!json_is_array(val))
			goto wrong;
		return view_hosts(v, val, where);
	}
	if (view_has(v, d->file_key))
		return 0;
	v->keys[v->n] = d->file_key;
	switch (d->id) {
	case OPT_NON_INTERACTIVE:
		if (json_bool_value(val, &b))
			goto wrong;
		v->values[v->n++] = b ? "true" : "false";
		return 0;
	case OPT_CALLBACK_PORT:
	case OPT_TIMEOUT:
	case OPT_REFRESH_MARGIN:
		if (json_int64_value(val, &n)) {
			if (strcmp(json_type_name(val), "a number"))
				goto wrong;
			log_error("%s: expected a whole number, found a "
			          "fraction or a huge number",
			          where);
			return CLERK_ECONFIG;
		}
		snprintf(text, sizeof(v->text[0]), "%lld", (long long)n);
		v->values[v->n++] = text;
		return 0;
	default:
		if (!(v->values[v->n] = json_string_value(val)))
			goto wrong;
		v->n++;
		return 0;
	}
wrong:
	log_error("%s: expected %s, found %s", where, kind_expected(d->id),
	          json_type_name(val));
	return CLERK_ECONFIG;
}

/* Add the members of @obj that @v does not have yet. */
static int
view_collect(struct file_view *v, const struct json *obj, const char *path,
             const char *section, bool top)
{
	const struct json *m;
	int r;

	for (m = json_first_member(obj); m; m = json_next_member(m)) {
		const char *key = json_member_key(m);
		const struct opt_desc *d = opt_by_file_key(key);

		if (top && strcmp(key, "profiles") == 0)
			continue;
		if (!d) {
			log_error("%s: unknown key '%s'%s%s (expected one of "
			          "issuer, client_id, scopes, hosts, storage, "
			          "callback_port, username, timeout, "
			          "refresh_margin, interactive, flow, "
			          "authtype, ca_file%s)",
			          path, key, section ? " in profile " : "",
			          section ? section : "",
			          top ? ", profiles" : "");
			return CLERK_ECONFIG;
		}
		if ((r = view_add(v, d, m, path)))
			return r;
	}
	return 0;
}

/*
 * Apply the values of @v that options and the environment left unset;
 * with @all, every value (to check them all on a scratch config).
 */
static int
view_apply(struct config *cfg, const struct file_view *v, const char *path,
           bool all)
{
	char where[512];
	size_t i;
	int r;

	for (i = 0; i < v->n; i++) {
		const struct opt_desc *d = opt_by_file_key(v->keys[i]);
		enum config_source *src = src_of(cfg, d->id);

		if (!all && *src != SRC_DEFAULT)
			continue;
		if (d->id == OPT_NON_INTERACTIVE) {
			cfg->interactive = strcmp(v->values[i], "true") == 0;
			*src = SRC_FILE;
			continue;
		}
		snprintf(where, sizeof(where), "%s: key '%s'", path,
		         d->file_key);
		if ((r = config_set(cfg, d->id, v->values[i], SRC_FILE, where)))
			return r;
	}
	return 0;
}

/*
 * Every value of @v is valid, whether or not a higher source overrides
 * it: a bad config file is an error, and the index (which knows nothing
 * of options) holds only checked values.
 */
static int
view_check(const struct file_view *v, const char *path)
{
	struct config scratch;
	int r;

	config_init(&scratch);
	r = view_apply(&scratch, v, path, true);
	config_release(&scratch);
	return r;
}

/* The view of @profile in the parsed config file @doc. */
static int
view_from_json(struct file_view *v, const struct json *doc, const char *path,
               const char *profile)
{
	const struct json *profiles, *section;
	int r;

	if (!json_is_object(doc)) {
		log_error("%s: not a JSON object, or a key given twice in "
		          "one (expected {\"issuer\": …, \"client_id\": …, "
		          "\"hosts\": […]})",
		          path);
		return CLERK_ECONFIG;
	}
	profiles = json_get(doc, "profiles");
	if (profiles && !json_is_object(profiles)) {
		log_error("%s: key 'profiles': expected an object of profile "
		          "names, found %s",
		          path, json_type_name(profiles));
		return CLERK_ECONFIG;
	}
	section = json_get(profiles, profile);
	if (section && !json_is_object(section)) {
		log_error("%s: profile '%s': expected an object, found %s",
		          path, profile, json_type_name(section));
		return CLERK_ECONFIG;
	}
	if (section && (r = view_collect(v, section, path, profile, false)))
		return r;
	if ((r = view_collect(v, doc, path, NULL, true)))
		return r;
	return view_check(v, path);
}

/* The host list of @v becomes cfg's, pointing into the parsed file. */
static void
hosts_borrow(struct config *cfg, struct file_view *v)
{
	cfg->src_hosts = SRC_FILE;
	cfg->hosts = (char **)v->hosts;
	cfg->nhosts = v->nhosts;
	cfg->hosts_alloc = v->nhosts + 1;
	cfg->hosts_borrowed = true;
	v->hosts = NULL;
}

/* Compile @v into an index of the file (best effort, see cfgindex.h). */
static int
view_index(const struct config *cfg, const struct file_view *v,
           const char *profile, const struct stat *st)
{
	struct cfgindex_src src = {
	        .config_path = cfg->config_path,
	        .profile = profile,
	        .st = st,
	        .keys = v->keys,
	        .values = v->values,
	        .npairs = v->n,
	        .has_hosts = v->has_hosts,
	        .hosts = v->hosts,
	        .nhosts = v->nhosts,
	};

	return cfgindex_write(&src);
}

/* Parse the config file open as @fd (its fstat @st) and apply it. */
static int
load_json(struct config *cfg, const char *profile, int fd,
          const struct stat *st)
{
	struct file_view v = {0};
	struct json *doc = NULL;
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = file_read_fd(fd, cfg->config_path, CONFIG_MAX_FILE, &text,
	                      &len)))
		return r;
	log_debug("reading config file %s", cfg->config_path);
	doc = json_parse(text, len);
	if ((r = view_from_json(&v, doc, cfg->config_path, profile)) ||
	    (r = view_apply(cfg, &v, cfg->config_path, false)))
		goto out;
	if (st->st_size >= CFGINDEX_MIN_FILE &&
	    (r = view_index(cfg, &v, profile, st)))
		goto out;
	/* Hosts taken from the file point into it: keep it with cfg. */
	if (v.has_hosts && cfg->src_hosts == SRC_DEFAULT) {
		hosts_borrow(cfg, &v);
		cfg->file_doc = doc;
		doc = NULL;
	}
out:
	view_release(&v);
	json_free_public(doc);
	secret_free(text);
	return r;
}

/*
 * Apply the compiled config file @idx, which cfg keeps when it gives the
 * host list and which is closed otherwise. CLERK_ENOTFOUND, before
 * anything is applied: the index is not usable.
 */
static int
load_index(struct config *cfg, struct cfgindex *idx)
{
	struct file_view v = {0};
	size_t i;
	int r = CLERK_ENOTFOUND;

	if (cfgindex_npairs(idx) > NOPTS)
		goto out;
	for (i = 0; i < cfgindex_npairs(idx); i++)
		if (cfgindex_pair(idx, i, &v.keys[i], &v.values[i]) ||
		    !opt_by_file_key(v.keys[i]) ||
		    strcmp(v.keys[i], "hosts") == 0)
			goto out;
	v.n = i;
	if ((r = view_apply(cfg, &v, cfg->config_path, false)))
		goto out;
	if (cfgindex_has_hosts(idx) && cfg->src_hosts == SRC_DEFAULT) {
		cfg->src_hosts = SRC_FILE;
		cfg->nhosts = cfgindex_nhosts(idx);
		cfg->file_index = idx;
		idx = NULL;
	}
out:
	cfgindex_close(idx);
	return r;
}

static int
config_load_file(struct config *cfg, const char *profile)
{
	struct cfgindex *idx = NULL;
	bool explicit_path = cfg->config_path != NULL;
	struct stat st;
	int fd, r;

	if (!explicit_path && (r = paths_config_file(&cfg->config_path)))
		return r;
	/*
	 * An index is compiled only from a file that passed the full check
	 * below, and answers only while the file keeps its inode and change
	 * time (which chmod, chown and every write move): the one stat()
	 * that finds it current stands for that check, so a cache hit does
	 * not walk the directories again (cfgindex.h).
	 */
	if (file_stat_trusted(cfg->config_path, &st) == 0 &&
	    st.st_size >= CFGINDEX_MIN_FILE &&
	    cfgindex_open(cfg->config_path, profile, &st, &idx) == 0 &&
	    (r = load_index(cfg, idx)) != CLERK_ENOTFOUND)
		return r;
	r = file_open_trusted(cfg->config_path, &fd, &st);
	if (r == CLERK_ENOTFOUND && !explicit_path)
		return 0;
	if (r == CLERK_ENOTFOUND)
		log_error("%s: no such file (given with --config)",
		          cfg->config_path);
	if (r)
		return r == CLERK_ENOTFOUND ? CLERK_ECONFIG : r;
	r = load_json(cfg, profile, fd, &st);
	close(fd);
	return r;
}

static bool
profile_name_valid(const char *p)
{
	size_t n = strlen(p);

	if (n == 0 || n > 64 || p[0] == '.' || p[0] == '-')
		return false;
	return strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                 "0123456789._-") == n;
}

static int
config_defaults(struct config *cfg)
{
	size_t n;
	int r = 0;

	if (!cfg->scopes)
		r = str_set(&cfg->scopes, CONFIG_DEFAULT_SCOPES);
	if (!r && !cfg->username)
		r = str_set(&cfg->username, CONFIG_DEFAULT_USERNAME);
	if (r)
		return r;
	if (cfg->timeout < 0)
		cfg->timeout = CONFIG_DEFAULT_TIMEOUT;
	if (cfg->refresh_margin < 0)
		cfg->refresh_margin = CONFIG_DEFAULT_REFRESH_MARGIN;
	if (cfg->callback_port < 0)
		cfg->callback_port = 0;
	/* "https://x.example/" and "https://x.example" name one issuer. */
	if (cfg->issuer) {
		n = strlen(cfg->issuer);
		while (n > 0 && cfg->issuer[n - 1] == '/')
			cfg->issuer[--n] = '\0';
		if (n == 0) {
			log_error("the issuer (from %s) is empty",
			          config_source_name(cfg->src_issuer));
			return CLERK_ECONFIG;
		}
	}
	return 0;
}

int
config_load(struct config *cfg)
{
	int r;

	if ((r = config_load_env(cfg)))
		return r;
	if (!cfg->profile &&
	    (r = str_set(&cfg->profile, CONFIG_DEFAULT_PROFILE)))
		return r;
	if (!profile_name_valid(cfg->profile)) {
		log_error("invalid profile name '%s' (from %s): use up to 64 "
		          "letters, digits, '.', '_' or '-'",
		          cfg->profile, config_source_name(cfg->src_profile));
		return CLERK_ECONFIG;
	}
	if ((r = config_load_file(cfg, cfg->profile)))
		return r;
	if ((r = config_defaults(cfg)))
		return r;
	log_set_verbose(cfg->verbose);
	log_set_quiet(cfg->quiet);
	return 0;
}

int
config_require(const struct config *cfg)
{
	if (!cfg->issuer) {
		log_error("no issuer configured (set CLERK_ISSUER, pass "
		          "--issuer, or add \"issuer\" to %s)",
		          cfg->config_path ? cfg->config_path : "the config");
		return CLERK_ECONFIG;
	}
	if (!cfg->client_id) {
		log_error("no OAuth client id configured (set "
		          "CLERK_OAUTH_CLIENT_ID, pass --client-id, or add "
		          "\"client_id\" to %s)",
		          cfg->config_path ? cfg->config_path : "the config");
		return CLERK_ECONFIG;
	}
	return 0;
}

void
host_split(const char *s, size_t *hostlen, const char **port)
{
	const char *colon, *close;

	if (s[0] == '[') {
		close = strchr(s, ']');
		*hostlen = close ? (size_t)(close - s) + 1 : strlen(s);
		if (port)
			*port = close && close[1] == ':' ? close + 2 : NULL;
		return;
	}
	colon = strrchr(s, ':');
	*hostlen = colon ? (size_t)(colon - s) : strlen(s);
	if (port)
		*port = colon ? colon + 1 : NULL;
}

/* "*.example.com" (its host part @plen bytes long)? */
static bool
pattern_is_wildcard(const char *pattern, size_t plen)
{
	return plen > 2 && pattern[0] == '*' && pattern[1] == '.';
}

void
host_pattern_key(const char *pattern, size_t *start, size_t *len)
{
	size_t plen;

	host_split(pattern, &plen, NULL);
	*start = pattern_is_wildcard(pattern, plen) ? 1 : 0;
	*len = plen - *start;
}

bool
host_pattern_match(const char *pattern, const char *host)
{
	size_t plen, hlen;
	const char *pport, *hport;

	/* Only a host: "a.example.com:@evil" or "evil/.example.com" is not
	 * one, however a caller came to send it. */
	if (!host_port_valid(host, strlen(host)))
		return false;
	host_split(pattern, &plen, &pport);
	host_split(host, &hlen, &hport);
	/* A pattern without a port matches any port of that host. */
	if (pport && (!hport || strcmp(pport, hport) != 0))
		return false;
	if (pattern_is_wildcard(pattern, plen)) {
		/* "*.example.com" matches a.example.com, a.b.example.com. */
		size_t slen = plen - 1; /* ".example.com" */

		return hlen > slen &&
		       strncasecmp(host + hlen - slen, pattern + 1, slen) == 0;
	}
	return plen == hlen && strncasecmp(pattern, host, plen) == 0;
}

static bool
host_is_loopback(const char *host)
{
	size_t n;
	const char *port;

	host_split(host, &n, &port);
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (n == 9 && strncmp(host, "127.0.0.1", 9) == 0) ||
	       (n == 5 && strncmp(host, "[::1]", 5) == 0);
}

bool
config_host_allowed(const struct config *cfg, const char *protocol,
                    const char *host)
{
	size_t i;

	if (!host || !*host)
		return false;
	/* A bearer token never travels in clear text off this machine. */
	if (!protocol ||
	    (strcmp(protocol, "https") != 0 &&
	     !(strcmp(protocol, "http") == 0 && host_is_loopback(host))))
		return false;
	if (!cfg->hosts && cfg->file_index)
		return cfgindex_match(cfg->file_index, host);
	for (i = 0; i < cfg->nhosts; i++)
		if (host_pattern_match(cfg->hosts[i], host))
			return true;
	return false;
}

const char *
config_host(const struct config *cfg, size_t i)
{
	const char *host;

	if (cfg->hosts)
		return cfg->hosts[i];
	host = cfg->file_index ? cfgindex_host(cfg->file_index, i) : NULL;
	/* Only a damaged index lacks it: it then names no host. */
	return host ? host : "";
}

int
config_key(const struct config *cfg, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t h = HASH_FNV1A64_INIT;
	int r;

	h = hash_fnv1a64(cfg->issuer ? cfg->issuer : "", h);
	h = hash_fnv1a64("\n", h);
	h = hash_fnv1a64(cfg->client_id ? cfg->client_id : "", h);
	r = strbuf_addf(&sb, "%s-%016llx", cfg->profile, (unsigned long long)h);
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

int
config_key_path(const struct config *cfg, const char *dir, const char *prefix,
                const char *suffix, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	char *key = NULL;
	int r;

	if ((r = config_key(cfg, &key)) ||
	    (r = strbuf_addf(&sb, "%s/%s%s%s", dir, prefix, key, suffix)))
		goto out;
	r = strbuf_detach(&sb, out);
out:
	strbuf_release(&sb);
	free(key);
	return r;
}

void
config_print_options_help(void)
{
	char left[64];
	size_t i;

	for (i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];

		snprintf(left, sizeof(left), "--%s%s%s", d->name,
		         d->arg ? " " : "", d->arg ? d->arg : "");
		printf("  %-26s %s", left, d->help);
		if (d->env)
			printf(" [%s]", d->env);
		printf("\n");
	}
}
