/*
 * See config.h.
 *
 * One table describes every option: the parser, the environment, the
 * config file keys, the defaults and --help all read it, so they cannot
 * drift apart. Adding an option is one row of opt_table (and the field
 * of struct config it fills, with its source when it has one).
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
#include "util.h"

#include "banned.h"

#define CONFIG_MAX_FILE  (4 * 1024 * 1024)
#define CONFIG_MAX_HOSTS 100000

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
	case SRC_ROUTE:
		return "routing";
	default:
		return "default";
	}
}

static const char *const flow_names[] = {"auto", "browser", "device", "paste"};
static const char *const authtype_names[] = {"auto", "bearer", "basic"};

#define NNAMES(names) (sizeof(names) / sizeof(*(names)))

/* A choice is stored as its index in an int-sized enum field. */
_Static_assert(sizeof(enum storage_kind) == sizeof(int), "storage");
_Static_assert(sizeof(enum signin_flow) == sizeof(int), "flow");
_Static_assert(sizeof(enum authtype_kind) == sizeof(int), "authtype");

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

/*
 * What an option holds, which says what the config file must give for
 * it and how its default is applied.
 */
enum opt_kind {
	KIND_STRING, /* char *, owned; the default is def_text */
	KIND_CHOICE, /* an enum: the index of its name in names[] */
	KIND_INT,    /* int from min to max; -1 until set, then def */
	KIND_SWITCH, /* bool: the option sets it to on, !on by default */
	KIND_HOSTS,  /* the host list (a list in the environment) */
	KIND_PORTS,  /* struct config_ports: "N" or "N,N,N" */
	KIND_ACTION, /* --help, --version: getopt returns letter */
};

struct opt_desc;

/*
 * Apply @val (NULL for an option without a value) of @d, from @src;
 * @where names the source in messages.
 */
typedef int opt_set_fn(struct config *cfg, const struct opt_desc *d,
                       const char *val, enum config_source src,
                       const char *where);

static opt_set_fn opt_set_string, opt_set_nonempty, opt_set_choice, opt_set_int,
        opt_set_switch, opt_set_hosts, opt_set_ports, opt_set_config,
        opt_set_resource, opt_set_prompt;

/* No source kept: offset 0 is the issuer, never a source field. */
#define NO_SRC 0
_Static_assert(offsetof(struct config, issuer) == NO_SRC, "NO_SRC");

/* The field of struct config an option fills, and the one of its source. */
#define FIELD(f)      .field = offsetof(struct config, f)
#define SOURCE(f)     .src = offsetof(struct config, f)
#define CHOICES(list) .names = (list), .nnames = NNAMES(list)
/* Choices another module owns: name_of(k) is the k-th, NULL past the end. */
#define CHOICES_OF(fn) .name_of = (fn)

struct opt_desc {
	const char *name;     /* --name */
	const char *arg;      /* metavariable; NULL: takes no value */
	const char *env;      /* environment variable, or NULL */
	const char *file_key; /* config file key, or NULL */
	const char *help;     /* for --help, before the default */
	enum opt_kind kind;
	opt_set_fn *set;  /* NULL for KIND_ACTION */
	size_t field;     /* offset in struct config */
	size_t src;       /* offset of its enum config_source, or NO_SRC */
	const char *what; /* its name in messages: "the timeout" */
	const char *const *names; /* KIND_CHOICE: the choices */
	size_t nnames;
	const char *(*name_of)(int k); /* or the choices of another module */
	int64_t min, max;              /* KIND_INT: the range */
	int def; /* KIND_INT: the default; KIND_CHOICE: its index */
	const char *def_text; /* KIND_STRING: the default */
	bool show_def;        /* --help says "(default: ...)" */
	bool on;              /* KIND_SWITCH: what the option sets */
	int letter;           /* KIND_ACTION: what getopt returns */
	bool exact;           /* no abbreviation of the name (see below) */
};

/* One row per option, in --help order; hand-laid, so: */
/* clang-format off */
static const struct opt_desc opt_table[] = {
	{.name = "issuer", .arg = "URL", .env = "CLERK_ISSUER",
	 .file_key = "issuer", .help = "OIDC issuer (Clerk Frontend API URL)",
	 .kind = KIND_STRING, .set = opt_set_string,
	 FIELD(issuer), SOURCE(src_issuer)},
	{.name = "client-id", .arg = "ID", .env = "CLERK_OAUTH_CLIENT_ID",
	 .file_key = "client_id", .help = "OAuth application client id",
	 .kind = KIND_STRING, .set = opt_set_string,
	 FIELD(client_id), SOURCE(src_client_id)},
	{.name = "scopes", .arg = "\"S1 S2\"", .env = "CLERK_SCOPES",
	 .file_key = "scopes", .help = "scopes",
	 .kind = KIND_STRING, .set = opt_set_string,
	 FIELD(scopes), SOURCE(src_scopes),
	 .def_text = CONFIG_DEFAULT_SCOPES, .show_def = true},
	{.name = "resource", .arg = "URL", .env = "CLERK_RESOURCE",
	 .file_key = "resource",
	 .help = "RFC 8707 resource indicator sent with sign-in and refresh",
	 .kind = KIND_STRING, .set = opt_set_resource,
	 FIELD(resource), SOURCE(src_resource), .what = "the resource"},
	{.name = "host", .arg = "PATTERN", .env = "CLERK_CREDENTIAL_HOSTS",
	 .file_key = "hosts",
	 .help = "host that may receive the token; repeatable; *.example.com",
	 .kind = KIND_HOSTS, .set = opt_set_hosts,
	 FIELD(hosts), SOURCE(src_hosts)},
	{.name = "profile", .arg = "NAME", .env = "CLERK_PROFILE",
	 .help = "independent token set",
	 .kind = KIND_STRING, .set = opt_set_string,
	 FIELD(profile), SOURCE(src_profile),
	 .def_text = CONFIG_DEFAULT_PROFILE, .show_def = true},
	{.name = "storage", .arg = "KIND", .env = "CLERK_CREDENTIAL_STORAGE",
	 .file_key = "storage", /* help: the choices */
	 .kind = KIND_CHOICE, .set = opt_set_choice,
	 FIELD(storage), SOURCE(src_storage),
	 .what = "storage", CHOICES_OF(store_backend_name),
	 .def = STORAGE_AUTO, .show_def = true},
	{.name = "callback-port", .arg = "N[,N...]",
	 .env = "CLERK_CALLBACK_PORT", .file_key = "callback_port",
	 .help = "loopback port(s) for sign-in, first free (0: any)",
	 .kind = KIND_PORTS, .set = opt_set_ports,
	 FIELD(callback_ports), SOURCE(src_callback_port),
	 .what = "the callback port"},
	{.name = "username", .arg = "NAME",
	 .file_key = "username", .help = "username handed to git and docker",
	 .kind = KIND_STRING, .set = opt_set_string,
	 FIELD(username), SOURCE(src_username),
	 .def_text = CONFIG_DEFAULT_USERNAME, .show_def = true},
	{.name = "timeout", .arg = "SECONDS",
	 .file_key = "timeout", .help = "how long a sign-in may wait",
	 .kind = KIND_INT, .set = opt_set_int,
	 FIELD(timeout), SOURCE(src_timeout),
	 .what = "the timeout", .min = 1, .max = 86400,
	 .def = CONFIG_DEFAULT_TIMEOUT, .show_def = true},
	{.name = "refresh-margin", .arg = "SECONDS",
	 .file_key = "refresh_margin",
	 .help = "refresh this long before expiry",
	 .kind = KIND_INT, .set = opt_set_int,
	 FIELD(refresh_margin), SOURCE(src_refresh_margin),
	 .what = "the refresh margin", .min = 0, .max = 86400,
	 .def = CONFIG_DEFAULT_REFRESH_MARGIN, .show_def = true},
	{.name = "signin-cooldown", .arg = "SECONDS",
	 .env = "CLERK_CREDENTIAL_SIGNIN_COOLDOWN", .file_key = "signin_cooldown",
	 .help = "no new sign-in this long after one failed (0: off)",
	 .kind = KIND_INT, .set = opt_set_int,
	 FIELD(signin_cooldown), SOURCE(src_signin_cooldown),
	 .what = "the sign-in cool-down", .min = 0, .max = 86400,
	 .def = CONFIG_DEFAULT_COOLDOWN, .show_def = true},
	{.name = "flow", .arg = "KIND", .env = "CLERK_CREDENTIAL_FLOW",
	 .file_key = "flow", .help = "sign-in: auto, browser, device or paste",
	 .kind = KIND_CHOICE, .set = opt_set_choice,
	 FIELD(flow), SOURCE(src_flow),
	 .what = "flow", CHOICES(flow_names), .def = FLOW_AUTO,
	 .show_def = true},
	{.name = "authtype", .arg = "KIND", .env = "CLERK_CREDENTIAL_AUTHTYPE",
	 .file_key = "authtype",
	 .help = "git: auto (from the server's challenges), bearer or basic",
	 .kind = KIND_CHOICE, .set = opt_set_choice,
	 FIELD(authtype), SOURCE(src_authtype),
	 .what = "authtype", CHOICES(authtype_names), .def = AUTHTYPE_AUTO},
	{.name = "ca-file", .arg = "FILE", .env = "CLERK_CREDENTIAL_CA_FILE",
	 .file_key = "ca_file",
	 .help = "CA certificates (PEM) to trust for the provider",
	 .kind = KIND_STRING, .set = opt_set_nonempty,
	 FIELD(ca_file), SOURCE(src_ca_file), .what = "the CA file name"},
	{.name = "token-file", .arg = "FILE",
	 .env = "CLERK_CREDENTIAL_TOKEN_FILE", .file_key = "token_file",
	 .help = "CI: hand out the token in FILE (0600), never sign in",
	 .kind = KIND_STRING, .set = opt_set_nonempty,
	 FIELD(token_file), SOURCE(src_token_file),
	 .what = "the token file name", .exact = true},
	{.name = "non-interactive", .env = "CLERK_CREDENTIAL_INTERACTIVE",
	 .file_key = "interactive",
	 .help = "never start a sign-in; fail instead",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(interactive), SOURCE(src_interactive), .on = false},
	{.name = "verbose", .env = "CLERK_CREDENTIAL_DEBUG",
	 .help = "trace each step on stderr (secrets redacted)",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(verbose), .on = true},
	{.name = "quiet", .help = "print nothing on stderr but errors",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(quiet), .on = true},
	/* Its default is looked up, not fixed: paths_config_file(). */
	{.name = "config", .arg = "FILE",
	 .help = "config file "
	         "(default: $XDG_CONFIG_HOME/clerk-credential/config.json)",
	 .kind = KIND_STRING, .set = opt_set_config,
	 FIELD(config_path)},
	{.name = "all",
	 .help = "with logout: every profile; with whoami: the account of each",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(all), .on = true},
	{.name = "prompt", .arg = "VALUE",
	 .help = "with login: login (the one VALUE) asks for the account again",
	 .kind = KIND_SWITCH, .set = opt_set_prompt,
	 FIELD(prompt_login), .on = true},
	{.name = "switch", .help = "with login: sign in as another account "
	                           "(--prompt=login)",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(prompt_login), .on = true},
	{.name = "cargo-plugin",
	 .help = "speak Cargo's credential-provider protocol (cargo adds it)",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(cargo_plugin), .on = true},
	{.name = "json",
	 .help = "with status, whoami and doctor: print JSON for scripts",
	 .kind = KIND_SWITCH, .set = opt_set_switch,
	 FIELD(json), .on = true},
	{.name = "help", .help = "show this help",
	 .kind = KIND_ACTION, .letter = 'h'},
	{.name = "version", .help = "show the version",
	 .kind = KIND_ACTION, .letter = 'V'},
};
/* clang-format on */

#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* getopt_long() returns OPT_BASE + i for row i (but KIND_ACTION rows). */
#define OPT_BASE 1000

static void *
opt_field(struct config *cfg, const struct opt_desc *d)
{
	return (char *)cfg + d->field;
}

static enum config_source *
opt_src(struct config *cfg, const struct opt_desc *d)
{
	return d->src == NO_SRC ? NULL
	                        : (enum config_source *)((char *)cfg + d->src);
}

void
config_init(struct config *cfg)
{
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];

		if (d->kind == KIND_CHOICE)
			*(int *)opt_field(cfg, d) = d->def;
		else if (d->kind == KIND_INT)
			*(int *)opt_field(cfg, d) = -1;
		else if (d->kind == KIND_SWITCH)
			*(bool *)opt_field(cfg, d) = !d->on;
	}
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
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opt_table[i].kind == KIND_STRING)
			free(*(char **)opt_field(cfg, &opt_table[i]));
	hosts_free(cfg);
	json_free_public(cfg->file_doc);
	cfgindex_close(cfg->file_index);
	config_init(cfg);
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
opt_set_hosts(struct config *cfg, const struct opt_desc *d, const char *val,
              enum config_source src, const char *where)
{
	(void)d;
	return src == SRC_ENV ? hosts_add_list(cfg, val, where)
	                      : hosts_add(cfg, val, where);
}

static int
opt_set_string(struct config *cfg, const struct opt_desc *d, const char *val,
               enum config_source src, const char *where)
{
	(void)src;
	(void)where;
	return str_set(opt_field(cfg, d), val);
}

static int
opt_set_nonempty(struct config *cfg, const struct opt_desc *d, const char *val,
                 enum config_source src, const char *where)
{
	if (*val)
		return opt_set_string(cfg, d, val, src, where);
	log_error("%s: %s is empty", where, d->what);
	return CLERK_ECONFIG;
}

static int
opt_set_config(struct config *cfg, const struct opt_desc *d, const char *val,
               enum config_source src, const char *where)
{
	(void)d;
	(void)src;
	(void)where;
	if (val[0] == '\0') {
		log_error("--config needs a file name");
		return CLERK_ECONFIG;
	}
	return str_set(&cfg->config_path, val);
}

/* The authority (@n bytes at @auth) of a resource: a host[:port], and a
 * loopback one when @scheme is http. */
static bool
resource_authority_ok(const char *scheme, const char *auth, size_t n)
{
	char host[HOST_MAX + 1];

	if (n == 0 || n > HOST_MAX || !host_port_valid(auth, n))
		return false;
	memcpy(host, auth, n);
	host[n] = '\0';
	return host_protocol_allowed(scheme, host);
}

/*
 * An RFC 8707 resource: an absolute https URL (http only to this
 * machine), no fragment, no blank or control byte, RESOURCE_MAX bytes.
 */
#define RESOURCE_MAX 2048

static bool
resource_valid(const char *val)
{
	const char *scheme = str_starts_with(val, "https://")  ? "https"
	                     : str_starts_with(val, "http://") ? "http"
	                                                       : NULL;
	const char *auth;
	size_t i, n = strlen(val);

	if (!scheme || n > RESOURCE_MAX || strchr(val, '#'))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)val[i] <= ' ' || val[i] == 0x7f)
			return false;
	auth = val + strlen(scheme) + 3;
	return resource_authority_ok(scheme, auth, strcspn(auth, "/?"));
}

static int
opt_set_resource(struct config *cfg, const struct opt_desc *d, const char *val,
                 enum config_source src, const char *where)
{
	/* Not echoed: it may hold bytes a terminal acts on. */
	if (resource_valid(val))
		return opt_set_string(cfg, d, val, src, where);
	log_error("%s: %s must be an absolute https URL (http only to "
	          "localhost, 127.0.0.1 or [::1]) with no fragment, blank or "
	          "control character, at most %d bytes",
	          where, d->what, RESOURCE_MAX);
	return CLERK_ECONFIG;
}

/* --prompt takes one value today: login (the same as --switch). */
static int
opt_set_prompt(struct config *cfg, const struct opt_desc *d, const char *val,
               enum config_source src, const char *where)
{
	(void)src;
	if (strcmp(val, "login") == 0) {
		*(bool *)opt_field(cfg, d) = true;
		return 0;
	}
	log_error("%s: the prompt must be login", where);
	return CLERK_ECONFIG;
}

/* The @k-th choice of @d, or NULL past the last. */
static const char *
choice_name(const struct opt_desc *d, int k)
{
	if (d->name_of)
		return d->name_of(k);
	return k >= 0 && (size_t)k < d->nnames ? d->names[k] : NULL;
}

/* "a, b or c" of @d's choices into @buf. */
static void
choices_text(const struct opt_desc *d, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; choice_name(d, i) && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%s",
		                 i == 0                   ? ""
		                 : !choice_name(d, i + 1) ? " or "
		                                          : ", ",
		                 choice_name(d, i));

		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static int
opt_set_choice(struct config *cfg, const struct opt_desc *d, const char *val,
               enum config_source src, const char *where)
{
	char choices[128];
	const char *name;
	int k;

	(void)src;
	for (k = 0; (name = choice_name(d, k)); k++) {
		if (strcmp(val, name) == 0) {
			*(int *)opt_field(cfg, d) = k;
			return 0;
		}
	}
	choices_text(d, choices, sizeof(choices));
	log_error("%s: %s must be %s, not '%s'", where, d->what, choices, val);
	return CLERK_ECONFIG;
}

static int
opt_set_int(struct config *cfg, const struct opt_desc *d, const char *val,
            enum config_source src, const char *where)
{
	int64_t v;

	(void)src;
	if (parse_int64(val, d->min, d->max, &v)) {
		log_error("%s: %s must be a whole number from %lld to %lld, "
		          "not '%s'",
		          where, d->what, (long long)d->min, (long long)d->max,
		          val);
		return CLERK_ECONFIG;
	}
	*(int *)opt_field(cfg, d) = (int)v;
	return 0;
}

/* "N" or "N,N,N" (blanks allowed around each), each 0 to 65535. */
static int
opt_set_ports(struct config *cfg, const struct opt_desc *d, const char *val,
              enum config_source src, const char *where)
{
	struct config_ports *p = opt_field(cfg, d);
	struct config_ports ports = {0};
	char num[8];
	int64_t v;
	size_t len;

	(void)src;
	do {
		val += strspn(val, " \t");
		len = strcspn(val, ",");
		while (len > 0 && strchr(" \t", val[len - 1]))
			len--;
		if (ports.n == CONFIG_MAX_PORTS || len == 0 ||
		    len >= sizeof(num))
			goto bad;
		memcpy(num, val, len);
		num[len] = '\0';
		if (parse_int64(num, 0, 65535, &v))
			goto bad;
		ports.port[ports.n++] = (int)v;
		val += strcspn(val, ",");
	} while (*val++ == ',');
	*p = ports;
	return 0;
bad:
	log_error("%s: %s must be a port from 0 to 65535, or up to %d of them "
	          "separated by commas (8765,8766,8767)",
	          where, d->what, CONFIG_MAX_PORTS);
	return CLERK_ECONFIG;
}

/* The option (no value) sets it to d->on; the file says true or false. */
static int
opt_set_switch(struct config *cfg, const struct opt_desc *d, const char *val,
               enum config_source src, const char *where)
{
	(void)src;
	(void)where;
	*(bool *)opt_field(cfg, d) = val ? strcmp(val, "true") == 0 : d->on;
	return 0;
}

/* Apply one value of @d from @src, and remember where it came from. */
static int
opt_apply(struct config *cfg, const struct opt_desc *d, const char *val,
          enum config_source src, const char *where)
{
	enum config_source *s = opt_src(cfg, d);

	if (s)
		*s = src;
	return d->set(cfg, d, val, src, where);
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

/* The index in @argv of the option getopt_long() just returned. */
static int
option_index(char **argv)
{
	/* "--name VALUE" took two elements, "--name=VALUE" one. */
	return optarg && optarg == argv[optind - 1] ? optind - 2 : optind - 1;
}

/*
 * getopt_long() takes any unique prefix: "--token=SECRET", a token put
 * on the command line by mistake, would be read as --token-file and
 * its value named in a message. Such a row must be spelled out.
 */
static bool
option_spelled_out(const struct opt_desc *d, int argc, char **argv)
{
	int i = option_index(argv);
	const char *a = i > 0 && i < argc ? argv[i] : "";
	size_t n = strlen(d->name);

	return str_starts_with(a, "--") && strncmp(a + 2, d->name, n) == 0 &&
	       (a[2 + n] == '\0' || a[2 + n] == '=');
}

int
config_parse_args(struct config *cfg, int argc, char **argv, bool *want_help,
                  bool *want_version)
{
	struct option longopts[NOPTS + 1];
	const struct opt_desc *d;
	char where[64];
	size_t i;
	int c, r = 0;

	for (i = 0; i < NOPTS; i++) {
		d = &opt_table[i];
		longopts[i].name = d->name;
		longopts[i].has_arg = d->arg ? required_argument : no_argument;
		longopts[i].flag = NULL;
		longopts[i].val =
		        d->kind == KIND_ACTION ? d->letter : OPT_BASE + (int)i;
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
			*want_help = true;
			break;
		case 'V':
			*want_version = true;
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
			d = &opt_table[c - OPT_BASE];
			if (d->exact && !option_spelled_out(d, argc, argv)) {
				option_unknown(argv[option_index(argv)]);
				r = CLERK_ECONFIG;
				break;
			}
			snprintf(where, sizeof(where), "option --%s", d->name);
			r = opt_apply(cfg, d, optarg, SRC_OPTION, where);
		}
	}
	cfg->args = argv + optind;
	cfg->nargs = argc - optind;
	cfg->argc = argc;
	cfg->argv = argv;
	return r;
}

static bool
env_false(const char *v)
{
	return v && (!strcmp(v, "0") || !strcasecmp(v, "false") ||
	             !strcasecmp(v, "no") || !strcasecmp(v, "off"));
}

/*
 * A switch's variable does what its option does, or nothing: "no" in
 * CLERK_CREDENTIAL_INTERACTIVE is --non-interactive, "1" in
 * CLERK_CREDENTIAL_DEBUG is --verbose.
 */
static int
env_apply(struct config *cfg, const struct opt_desc *d, const char *v)
{
	char where[64];

	if (d->kind == KIND_SWITCH)
		return env_false(v) == d->on
		               ? 0
		               : opt_apply(cfg, d, NULL, SRC_ENV, NULL);
	snprintf(where, sizeof(where), "environment %s", d->env);
	return opt_apply(cfg, d, v, SRC_ENV, where);
}

static int
config_load_env(struct config *cfg)
{
	const char *v;
	size_t i;
	int r;

	for (i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];
		enum config_source *src = opt_src(cfg, d);

		if (!d->env || (src && *src != SRC_DEFAULT) ||
		    !(v = getenv(d->env)) || !*v)
			continue;
		if ((r = env_apply(cfg, d, v)))
			return r;
	}
	if (cfg->src_interactive == SRC_DEFAULT &&
	    env_false(getenv("GIT_TERMINAL_PROMPT"))) {
		cfg->interactive = false;
		cfg->src_interactive = SRC_ENV;
	}
	return 0;
}

/* What the config file must give for each kind, in messages. */
static const char *const kind_expected[] = {
        [KIND_STRING] = "a string",
        [KIND_CHOICE] = "a string",
        [KIND_INT] = "a whole number",
        [KIND_SWITCH] = "true or false",
        [KIND_HOSTS] = "an array of host patterns",
        [KIND_PORTS] = "a port number, a string of them or an array of them",
};

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
	char text[NOPTS][8 * CONFIG_MAX_PORTS]; /* numbers, booleans, ports */
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

/* The port array @val as "N,N,N" in @v's next text; checked when applied. */
static int
view_ports(struct file_view *v, const struct json *val, const char *where)
{
	char *text = v->text[v->n];
	const struct json *item = json_array_item(val, 0);
	size_t len = 0, i;
	int64_t n;
	int w;

	for (i = 0; item; i++, item = json_next_member(item)) {
		if (i == CONFIG_MAX_PORTS || json_int64_value(item, &n) ||
		    n < 0 || n > 65535) {
			log_error("%s: expected up to %d port numbers from 0 "
			          "to 65535, found %s",
			          where, CONFIG_MAX_PORTS,
			          i == CONFIG_MAX_PORTS ? "more"
			                                : json_type_name(item));
			return CLERK_ECONFIG;
		}
		w = snprintf(text + len, sizeof(v->text[0]) - len, "%s%lld",
		             i ? "," : "", (long long)n);
		if (w < 0 || (size_t)w >= sizeof(v->text[0]) - len)
			return CLERK_EINTERNAL;
		len += (size_t)w;
	}
	if (i == 0) {
		log_error("%s: expected at least one port", where);
		return CLERK_ECONFIG;
	}
	v->values[v->n++] = text;
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
	if (d->kind == KIND_HOSTS) {
		if (v->has_hosts)
			return 0;
		if (!json_is_array(val))
			goto wrong;
		return view_hosts(v, val, where);
	}
	if (view_has(v, d->file_key))
		return 0;
	v->keys[v->n] = d->file_key;
	switch (d->kind) {
	case KIND_SWITCH:
		if (json_bool_value(val, &b))
			goto wrong;
		v->values[v->n++] = b ? "true" : "false";
		return 0;
	case KIND_PORTS:
		if (json_is_array(val))
			return view_ports(v, val, where);
		if (!json_int64_value(val, &n)) {
			snprintf(text, sizeof(v->text[0]), "%lld",
			         (long long)n);
			v->values[v->n++] = text;
			return 0;
		}
		if (!(v->values[v->n] = json_string_value(val)))
			goto wrong;
		v->n++;
		return 0;
	case KIND_INT:
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
	log_error("%s: expected %s, found %s", where, kind_expected[d->kind],
	          json_type_name(val));
	return CLERK_ECONFIG;
}

/* Add the members of @obj that @v does not have yet. */
/* The config file's keys, in opt_table's order: "issuer, client_id, ...". */
static void
file_keys_text(char *buf, size_t size)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < NOPTS && len < size; i++) {
		int n;

		if (!opt_table[i].file_key)
			continue;
		n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
		             opt_table[i].file_key);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

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
			char keys[256];

			file_keys_text(keys, sizeof(keys));
			log_error("%s: unknown key '%s'%s%s (expected one of "
			          "%s%s)",
			          path, key, section ? " in profile " : "",
			          section ? section : "", keys,
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
		enum config_source *src = opt_src(cfg, d);

		if (!all && *src != SRC_DEFAULT)
			continue;
		snprintf(where, sizeof(where), "%s: key '%s'", path,
		         d->file_key);
		if ((r = opt_apply(cfg, d, v->values[i], SRC_FILE, where)))
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

/* The "profiles" object of @doc (NULL when none); -1 when malformed. */
static int
file_profiles(const struct json *doc, const char *path,
              const struct json **profiles)
{
	if (!json_is_object(doc)) {
		log_error("%s: not a JSON object, or a key given twice in "
		          "one (expected {\"issuer\": …, \"client_id\": …, "
		          "\"hosts\": […]})",
		          path);
		return CLERK_ECONFIG;
	}
	*profiles = json_get(doc, "profiles");
	if (*profiles && !json_is_object(*profiles)) {
		log_error("%s: key 'profiles': expected an object of profile "
		          "names, found %s",
		          path, json_type_name(*profiles));
		return CLERK_ECONFIG;
	}
	return 0;
}

/* The section @profile of @profiles (NULL when none); -1 when malformed. */
static int
file_section(const struct json *profiles, const char *path, const char *profile,
             const struct json **section)
{
	*section = profile ? json_get(profiles, profile) : NULL;
	if (*section && !json_is_object(*section)) {
		log_error("%s: profile '%s': expected an object, found %s",
		          path, profile, json_type_name(*section));
		return CLERK_ECONFIG;
	}
	return 0;
}

/*
 * The view of @profile in the parsed config file @doc; with a NULL
 * @profile, the top level's (a profile without a section).
 */
static int
view_from_json(struct file_view *v, const struct json *doc, const char *path,
               const char *profile)
{
	const struct json *profiles, *section;
	int r;

	if ((r = file_profiles(doc, path, &profiles)) ||
	    (r = file_section(profiles, path, profile, &section)))
		return r;
	if (section && (r = view_collect(v, section, path, profile, false)))
		return r;
	if ((r = view_collect(v, doc, path, NULL, true)))
		return r;
	return view_check(v, path);
}

/*
 * The host patterns section @name (@section) lists as its own "hosts",
 * checked as the host list is, in *@list (strings of the parsed file, the
 * array freed by the caller); *@list is NULL when it lists none.
 */
static int
section_claims(const struct json *section, const char *path, const char *name,
               const char ***list, size_t *n)
{
	struct file_view v = {0};
	const struct json *hosts = json_get(section, "hosts");
	char where[512];
	int r;

	*list = NULL;
	*n = 0;
	if (!hosts)
		return 0;
	snprintf(where, sizeof(where), "%s: profile '%s': key 'hosts'", path,
	         name);
	if (!json_is_array(hosts)) {
		log_error("%s: expected %s, found %s", where,
		          kind_expected[KIND_HOSTS], json_type_name(hosts));
		return CLERK_ECONFIG;
	}
	if ((r = view_hosts(&v, hosts, where))) {
		view_release(&v);
		return r;
	}
	*list = v.hosts;
	*n = v.nhosts;
	return 0;
}

/*
 * Every view of the parsed file @doc, to compile: [0] the top level's,
 * then each section's. A view that fails its checks is kept out (its
 * profile is then read from the JSON, which says why); a section whose
 * own "hosts" is malformed keeps the whole file out (routing reads every
 * section's). Quiet: only the profile in use is checked aloud.
 */
struct file_views {
	struct file_view *views;
	struct cfgindex_record *records;
	size_t n;
};

static void
views_release(struct file_views *all)
{
	size_t i;

	for (i = 0; i < all->n; i++) {
		view_release(&all->views[i]);
		free((void *)all->records[i].hosts);
	}
	free(all->views);
	free(all->records);
}

/* Record @i of @all: the view of section @name (NULL: the top level). */
static int
views_add(struct file_views *all, size_t i, const struct json *doc,
          const struct json *section, const char *name, const char *path)
{
	struct cfgindex_record *rec = &all->records[i];
	struct file_view *v = &all->views[i];
	const char **own = NULL;
	size_t nown = 0;
	int r;

	rec->profile = name;
	if ((r = section_claims(section ? section : doc, path,
	                        name ? name : "(top level)", &own, &nown)))
		return r;
	rec->own_hosts = (section ? section : doc) &&
	                 json_get(section ? section : doc, "hosts");
	rec->hosts = own;
	rec->nhosts = nown;
	if (view_from_json(v, doc, path, name) == 0) {
		rec->viewable = true;
		rec->keys = v->keys;
		rec->values = v->values;
		rec->npairs = v->n;
	}
	return 0;
}

static int
views_collect(struct file_views *all, const struct json *doc, const char *path)
{
	const struct json *profiles = json_get(doc, "profiles"), *m;
	size_t n = 1, i;
	int r;

	for (m = json_first_member(profiles); m; m = json_next_member(m))
		n++;
	all->views = calloc(n, sizeof(*all->views));
	all->records = calloc(n, sizeof(*all->records));
	if (!all->views || !all->records)
		return CLERK_ENOMEM;
	all->n = n;
	if ((r = views_add(all, 0, doc, NULL, NULL, path)))
		return r;
	for (i = 1, m = json_first_member(profiles); m;
	     i++, m = json_next_member(m)) {
		/* Not an object: not viewable, so read (and refused)
		 * from the JSON when in use. */
		all->records[i].profile = json_member_key(m);
		if (json_is_object(m) &&
		    (r = views_add(all, i, doc, m, json_member_key(m), path)))
			return r;
	}
	return 0;
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

/* Compile every view of @doc into an index of the file (best effort,
 * see cfgindex.h). */
static int
view_index(const struct config *cfg, const struct json *doc,
           const struct stat *st)
{
	struct file_views all = {0};
	bool was_silent = log_is_silent();
	int r;

	log_set_silent(true);
	r = views_collect(&all, doc, cfg->config_path);
	log_set_silent(was_silent);
	if (r == 0) {
		struct cfgindex_src src = {
		        .config_path = cfg->config_path,
		        .st = st,
		        .records = all.records,
		        .nrecords = all.n,
		};

		r = cfgindex_write(&src);
	} else if (r != CLERK_ENOMEM) {
		log_debug("%s: a section's hosts are malformed: not indexed",
		          cfg->config_path);
		r = 0;
	}
	views_release(&all);
	return r;
}

/*
 * Apply @profile's view of the parsed config file @doc, which cfg keeps
 * when this succeeds (hosts taken from the file point into it, and
 * routing reads its sections: config_claimant()). With @st, the file's
 * fstat, a large file is compiled into an index too.
 */
static int
load_doc(struct config *cfg, const char *profile, struct json *doc,
         const struct stat *st)
{
	struct file_view v = {0};
	int r;

	if ((r = view_from_json(&v, doc, cfg->config_path, profile)) ||
	    (r = view_apply(cfg, &v, cfg->config_path, false)))
		goto out;
	if (st && st->st_size >= CFGINDEX_MIN_FILE &&
	    (r = view_index(cfg, doc, st)))
		goto out;
	if (v.has_hosts && cfg->src_hosts == SRC_DEFAULT)
		hosts_borrow(cfg, &v);
	cfg->file_doc = doc;
out:
	view_release(&v);
	return r;
}

/* Parse the config file open as @fd (its fstat @st) and apply it. */
static int
load_json(struct config *cfg, const char *profile, int fd,
          const struct stat *st)
{
	struct json *doc;
	char *text = NULL;
	size_t len = 0;
	int r;

	if ((r = file_read_fd(fd, cfg->config_path, CONFIG_MAX_FILE, &text,
	                      &len)))
		return r;
	log_debug("reading config file %s", cfg->config_path);
	doc = json_parse(text, len);
	if ((r = load_doc(cfg, profile, doc, st)))
		json_free_public(doc);
	secret_free(text);
	return r;
}

/*
 * Apply @profile's view in the compiled config file @idx, which cfg then
 * keeps (for the host list and routing); the caller still owns it on an
 * error. CLERK_ENOTFOUND, before anything is applied: the index cannot
 * answer for @profile.
 */
static int
load_index(struct config *cfg, struct cfgindex *idx, const char *profile)
{
	const struct opt_desc *d;
	struct file_view v = {0};
	size_t i, rec = cfgindex_find(idx, profile);
	int r;

	if (!cfgindex_viewable(idx, rec) || cfgindex_npairs(idx, rec) > NOPTS)
		return CLERK_ENOTFOUND;
	for (i = 0; i < cfgindex_npairs(idx, rec); i++)
		if (cfgindex_pair(idx, rec, i, &v.keys[i], &v.values[i]) ||
		    !(d = opt_by_file_key(v.keys[i])) || d->kind == KIND_HOSTS)
			return CLERK_ENOTFOUND;
	v.n = i;
	if ((r = view_apply(cfg, &v, cfg->config_path, false)))
		return r;
	if (cfgindex_has_hosts(idx, rec) && cfg->src_hosts == SRC_DEFAULT) {
		cfg->src_hosts = SRC_FILE;
		cfg->nhosts = cfgindex_nhosts(idx, rec);
	}
	cfg->file_index = idx;
	cfg->file_record = rec;
	return 0;
}

/* The index of the config file @path (stat @st), when one is current. */
static struct cfgindex *
index_of(const char *path, const struct stat *st)
{
	struct cfgindex *idx = NULL;

	if (st->st_size < CFGINDEX_MIN_FILE || cfgindex_open(path, st, &idx))
		return NULL;
	return idx;
}

/*
 * Load the config file for @profile; @given, when not NULL, is its
 * index mapped already (config_use_profile()), which cfg then shares.
 */
static int
config_load_file(struct config *cfg, const char *profile,
                 struct cfgindex *given, struct json *given_doc)
{
	struct cfgindex *idx = NULL;
	bool explicit_path = cfg->config_path != NULL;
	struct stat st;
	int fd, r;

	if (!explicit_path && (r = paths_config_file(&cfg->config_path)))
		return r;
	if (given && (r = load_index(cfg, given, profile)) != CLERK_ENOTFOUND)
		return r;
	/* The file as this process read it already, trust check and all. */
	if (given_doc)
		return load_doc(cfg, profile, given_doc, NULL);
	/*
	 * An index is compiled only from a file that passed the full check
	 * below, and answers only while the file keeps its inode and change
	 * time (which chmod, chown and every write move): the one stat()
	 * that finds it current stands for that check, so a cache hit does
	 * not walk the directories again (cfgindex.h).
	 */
	if (!given && file_stat_trusted(cfg->config_path, &st) == 0 &&
	    (idx = index_of(cfg->config_path, &st))) {
		if ((r = load_index(cfg, idx, profile)))
			cfgindex_close(idx);
		if (r != CLERK_ENOTFOUND)
			return r;
	}
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
	size_t i, n;
	int r;

	for (i = 0; i < NOPTS; i++) {
		const struct opt_desc *d = &opt_table[i];
		void *field = opt_field(cfg, d);

		if (d->kind == KIND_STRING && d->def_text && !*(char **)field &&
		    (r = str_set(field, d->def_text)))
			return r;
		if (d->kind == KIND_INT && *(int *)field < 0)
			*(int *)field = d->def;
	}
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

/*
 * config_load(), with the index @given or the parsed file @given_doc that
 * this process has already (either may be NULL): cfg takes over what it
 * uses, on success only.
 */
static int
config_load_with(struct config *cfg, struct cfgindex *given,
                 struct json *given_doc)
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
	if ((r = config_load_file(cfg, cfg->profile, given, given_doc)))
		return r;
	if ((r = config_defaults(cfg)))
		return r;
	log_set_verbose(cfg->verbose);
	log_set_quiet(cfg->quiet);
	return 0;
}

int
config_load(struct config *cfg)
{
	return config_load_with(cfg, NULL, NULL);
}

bool
config_ci_token(const struct config *cfg)
{
	const char *v = getenv(CONFIG_TOKEN_ENV);

	return (v && *v) || cfg->token_file;
}

int
config_require(const struct config *cfg)
{
	/* A CI token is handed out as it is: no provider is asked. */
	if (config_ci_token(cfg))
		return 0;
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

bool
config_host_allowed(const struct config *cfg, const char *protocol,
                    const char *host)
{
	if (!host || !*host || !host_protocol_allowed(protocol, host))
		return false;
	if (!cfg->hosts && cfg->nhosts && cfg->file_index)
		return cfgindex_match(cfg->file_index, cfg->file_record, host);
	return host_list_match((const char *const *)cfg->hosts, cfg->nhosts,
	                       host);
}

const char *
config_host(const struct config *cfg, size_t i)
{
	const char *host;

	if (cfg->hosts)
		return cfg->hosts[i];
	host = cfg->file_index
	               ? cfgindex_host(cfg->file_index, cfg->file_record, i)
	               : NULL;
	/* Only a damaged index lacks it: it then names no host. */
	return host ? host : "";
}

/* The token set @cfg names, as paths.h names its files. */
static struct paths_owner
config_owner(const struct config *cfg)
{
	struct paths_owner owner = {
	        .issuer = cfg->issuer,
	        .client_id = cfg->client_id,
	        .profile = cfg->profile,
	};

	return owner;
}

int
config_key(const struct config *cfg, char **out)
{
	struct paths_owner owner = config_owner(cfg);

	return paths_key(&owner, out);
}

int
config_key_path(const struct config *cfg, const char *dir, const char *prefix,
                const char *suffix, char **out)
{
	struct paths_owner owner = config_owner(cfg);

	return paths_key_path(&owner, dir, prefix, suffix, out);
}

/* --- routing: which profile a host belongs to (contract §3) --------- */

/* The parsed config file of @cfg; CLERK_ENOTFOUND when there is none. */
static int
file_parse(const struct config *cfg, struct json **doc)
{
	char *text = NULL;
	size_t len = 0;
	struct stat st;
	int fd, r;

	if (!cfg->config_path)
		return CLERK_ENOTFOUND;
	if ((r = file_open_trusted(cfg->config_path, &fd, &st)))
		return r;
	r = file_read_fd(fd, cfg->config_path, CONFIG_MAX_FILE, &text, &len);
	close(fd);
	if (r)
		return r;
	*doc = json_parse(text, len);
	secret_free(text);
	return 0;
}

/*
 * The config file's document: the one config_load() kept with @cfg, else
 * parsed anew into *@own (freed by the caller). CLERK_ENOTFOUND when
 * there is no file.
 */
static int
parsed_doc(const struct config *cfg, struct json **own, const struct json **doc)
{
	int r = 0;

	*own = NULL;
	if (!(*doc = cfg->file_doc) && (r = file_parse(cfg, own)) == 0)
		*doc = *own;
	return r;
}

/* Two sections claim @host: the one line that says so. */
static int
claim_conflict(const struct config *cfg, const char *host, const char *a,
               const char *b)
{
	log_error("host '%s' is claimed by profiles '%s' and '%s' in %s: "
	          "remove it from one (or pass --profile)",
	          host, a, b, cfg->config_path);
	return CLERK_ECONFIG;
}

/* config_claimant() through the JSON: every section's "hosts" read. */
static int
claimant_json(const struct config *cfg, const char *host, char **profile)
{
	const struct json *profiles = NULL, *doc, *m;
	const char *first = NULL, **list = NULL;
	struct json *own = NULL;
	size_t n;
	int r;

	if ((r = parsed_doc(cfg, &own, &doc)) ||
	    (r = file_profiles(doc, cfg->config_path, &profiles)))
		goto out;
	r = CLERK_ENOTFOUND;
	for (m = json_first_member(profiles); m; m = json_next_member(m)) {
		const char *name = json_member_key(m);
		int rr;

		if (!json_is_object(m))
			continue;
		if ((rr = section_claims(m, cfg->config_path, name, &list,
		                         &n))) {
			r = rr;
			goto out;
		}
		if (host_list_match(list, n, host)) {
			if (first) {
				r = claim_conflict(cfg, host, first, name);
				goto out;
			}
			first = name;
		}
		free(list);
		list = NULL;
	}
	if (first)
		r = str_set(profile, first);
out:
	free(list);
	json_free_public(own);
	return r;
}

/* config_claimant() through the mapped index: a few probes. */
static int
claimant_index(const struct config *cfg, const char *host, char **profile)
{
	const struct cfgindex *idx = cfg->file_index;
	size_t found[2], n = cfgindex_claimants(idx, host, found, 2);
	const char *a, *b;

	if (n == 0)
		return CLERK_ENOTFOUND;
	if (!(a = cfgindex_record_name(idx, found[0])))
		return CLERK_ENOTFOUND;
	if (n == 2) {
		b = cfgindex_record_name(idx, found[1]);
		return claim_conflict(cfg, host, a, b ? b : "");
	}
	return str_set(profile, a);
}

int
config_claimant(const struct config *cfg, const char *host, char **profile)
{
	char *name = NULL;
	int r;

	/* Not a host: it matches nothing (and is never echoed). */
	if (!host || !host_port_valid(host, strlen(host)))
		return CLERK_ENOTFOUND;
	r = cfg->file_index ? claimant_index(cfg, host, &name)
	                    : claimant_json(cfg, host, &name);
	if (r == 0) {
		log_debug("host %s is claimed by profile %s", host, name);
		*profile = name;
	}
	return r;
}

int
config_use_profile(struct config *cfg, const char *profile)
{
	struct config n;
	bool help, version;
	int r = 0;

	config_init(&n);
	if (cfg->argv)
		r = config_parse_args(&n, cfg->argc, cfg->argv, &help,
		                      &version);
	if (!r && !(r = str_set(&n.profile, profile))) {
		n.src_profile = SRC_ROUTE;
		r = config_load_with(&n, cfg->file_index, cfg->file_doc);
	}
	/* The index and the document, when n took them, are cfg's: one of
	 * the two keeps each. */
	if (r) {
		if (n.file_index == cfg->file_index)
			n.file_index = NULL;
		if (n.file_doc == cfg->file_doc)
			n.file_doc = NULL;
		config_release(&n);
		return r;
	}
	if (n.file_index == cfg->file_index)
		cfg->file_index = NULL;
	if (n.file_doc == cfg->file_doc)
		cfg->file_doc = NULL;
	config_release(cfg);
	*cfg = n;
	return 0;
}

int
config_load_profile(const struct config *cfg, const char *name,
                    struct config *out)
{
	bool help, version;
	int r = 0;

	config_init(out);
	if (cfg->argv)
		r = config_parse_args(out, cfg->argc, cfg->argv, &help,
		                      &version);
	if (!r)
		r = config_load(out);
	if (!r && strcmp(out->profile, name) != 0)
		r = config_use_profile(out, name);
	return r;
}

/* --- the profiles a config file names --------------------------------- */

void
config_profiles_free(struct config_profile_info *p, size_t n)
{
	size_t i, k;

	for (i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].issuer);
		free(p[i].client_id);
		free(p[i].resource);
		for (k = 0; k < p[i].nclaims; k++)
			free(p[i].claims[k]);
		free(p[i].claims);
	}
	free(p);
}

/*
 * String @key of @section, else of the top level @doc, into *@out (NULL
 * when neither gives it); a value that is no string is an error.
 */
static int
info_string(const struct json *doc, const struct json *section,
            const char *name, const char *key, const char *path, char **out)
{
	const struct json *val = section ? json_get(section, key) : NULL;

	if (!val)
		val = json_get(doc, key);
	if (!val)
		return 0;
	if (!json_string_value(val)) {
		log_error("%s: key '%s' (profile '%s'): expected a string, "
		          "found %s",
		          path, key, name, json_type_name(val));
		return CLERK_ECONFIG;
	}
	return str_set(out, json_string_value(val));
}

/* Option or environment value @val (from @src) over the file's @out. */
static int
info_override(enum config_source src, const char *val, char **out)
{
	if (src != SRC_OPTION && src != SRC_ENV)
		return 0;
	return str_set(out, val);
}

/* The effective issuer, client id and resource of @p; its claims. */
static int
info_fill(const struct config *cfg, const struct json *doc,
          const struct json *section, struct config_profile_info *p)
{
	const char **list = NULL, *path = cfg->config_path;
	size_t n = 0, k;
	int r;

	if ((r = info_string(doc, section, p->name, "issuer", path,
	                     &p->issuer)) ||
	    (r = info_string(doc, section, p->name, "client_id", path,
	                     &p->client_id)) ||
	    (r = info_string(doc, section, p->name, "resource", path,
	                     &p->resource)) ||
	    (r = info_override(cfg->src_issuer, cfg->issuer, &p->issuer)) ||
	    (r = info_override(cfg->src_client_id, cfg->client_id,
	                       &p->client_id)) ||
	    (r = info_override(cfg->src_resource, cfg->resource, &p->resource)))
		return r;
	if (p->resource && !resource_valid(p->resource)) {
		log_error("%s: key 'resource' (profile '%s'): expected an "
		          "absolute https URL (http only to loopback) with no "
		          "fragment, at most %d bytes",
		          path, p->name, RESOURCE_MAX);
		return CLERK_ECONFIG;
	}
	/* "https://x.example/" and "https://x.example" name one issuer. */
	for (k = p->issuer ? strlen(p->issuer) : 0;
	     k > 0 && p->issuer[k - 1] == '/';)
		p->issuer[--k] = '\0';
	if (section && (r = section_claims(section, path, p->name, &list, &n)))
		return r;
	if (n && !(p->claims = calloc(n, sizeof(*p->claims))))
		r = CLERK_ENOMEM;
	for (k = 0; !r && k < n; k++, p->nclaims++)
		if (!(p->claims[k] = strdup(list[k])))
			r = CLERK_ENOMEM;
	free(list);
	return r;
}

/* Profile @name (its section @section or NULL) as entry @p. */
static int
info_add(const struct config *cfg, const struct json *doc,
         const struct json *section, const char *name,
         struct config_profile_info *p)
{
	int r;

	if ((r = str_set(&p->name, name)))
		return r;
	if (section && !json_is_object(section)) {
		log_error("%s: profile '%s': expected an object, found %s",
		          cfg->config_path, name, json_type_name(section));
		return CLERK_ECONFIG;
	}
	return info_fill(cfg, doc, section, p);
}

int
config_profiles(const struct config *cfg, struct config_profile_info **out,
                size_t *n)
{
	const struct json *profiles = NULL, *doc = NULL, *m;
	struct config_profile_info *p = NULL;
	struct json *own = NULL;
	size_t count = 1, i = 0;
	int r;

	r = parsed_doc(cfg, &own, &doc);
	if (r == CLERK_ENOTFOUND)
		r = 0; /* no file: "default", from options and environment */
	else if (!r)
		r = file_profiles(doc, cfg->config_path, &profiles);
	if (r)
		goto out;
	for (m = json_first_member(profiles); m; m = json_next_member(m))
		count++;
	if (!(p = calloc(count, sizeof(*p)))) {
		r = CLERK_ENOMEM;
		goto out;
	}
	r = info_add(cfg, doc, json_get(profiles, CONFIG_DEFAULT_PROFILE),
	             CONFIG_DEFAULT_PROFILE, &p[i++]);
	for (m = json_first_member(profiles); !r && m; m = json_next_member(m))
		if (strcmp(json_member_key(m), CONFIG_DEFAULT_PROFILE) != 0)
			r = info_add(cfg, doc, m, json_member_key(m), &p[i++]);
out:
	json_free_public(own);
	if (r) {
		config_profiles_free(p, i);
		return r;
	}
	*out = p;
	*n = i;
	return 0;
}

/* " (default: ...)" of @d, when --help shows its default. */
static void
opt_print_default(const struct opt_desc *d)
{
	if (!d->show_def)
		return;
	if (d->kind == KIND_STRING)
		printf(" (default: %s)", d->def_text);
	else if (d->kind == KIND_CHOICE)
		printf(" (default: %s)", choice_name(d, d->def));
	else
		printf(" (default: %d)", d->def);
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
		if (d->help) {
			printf("  %-26s %s", left, d->help);
		} else {
			char choices[128];

			choices_text(d, choices, sizeof(choices));
			printf("  %-26s %s", left, choices);
		}
		opt_print_default(d);
		if (d->env)
			printf(" [%s]", d->env);
		printf("\n");
	}
}

int
config_fixed_port(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->callback_ports.n; i++)
		if (cfg->callback_ports.port[i] > 0)
			return cfg->callback_ports.port[i];
	return 0;
}
