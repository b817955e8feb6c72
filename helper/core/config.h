/*
 * Configuration: command-line options, environment, then the JSON config
 * file, highest first (contract §3). Each value remembers where it came from so
 * --verbose can say so.
 *
 * Example:
 *	struct config cfg;
 *	config_init(&cfg);
 *	if (config_parse_args(&cfg, argc, argv, &cmd_index) ||
 *	    config_load(&cfg))
 *		goto out;
 *	...
 *	config_release(&cfg);
 */
#ifndef CLERK_CONFIG_H
#define CLERK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends.h"

struct cfgindex;
struct json;

/* How a sign-in reaches the user (contract §8; see flow.h). */
enum signin_flow {
	FLOW_AUTO, /* browser when one is here, else device, else paste */
	FLOW_BROWSER,
	FLOW_DEVICE,
	FLOW_PASTE,
};

/* How git gets the token when it offers capability[]=authtype. */
enum authtype_kind {
	AUTHTYPE_AUTO,   /* Bearer when the server's challenges offer it */
	AUTHTYPE_BEARER, /* authtype=Bearer whenever git offers it */
	AUTHTYPE_BASIC,  /* always username and password */
};

enum config_source {
	SRC_DEFAULT,
	SRC_OPTION,
	SRC_ENV,
	SRC_FILE,
	SRC_ROUTE, /* the profile: chosen by the request's host (contract §3) */
};

#define CONFIG_MAX_PORTS 16

/* Ports to try in order; 0 among them, or none at all, is any free one. */
struct config_ports {
	size_t n;
	int port[CONFIG_MAX_PORTS];
};

struct config {
	char *issuer; /* no trailing slash */
	char *client_id;
	char *scopes; /* space-separated */
	/*
	 * The host list: hosts (NULL-terminated), or, when hosts is NULL
	 * and nhosts is not 0, the compiled config file's list in
	 * file_index. Read it with config_host().
	 */
	char **hosts;
	size_t nhosts;
	size_t hosts_alloc;
	bool hosts_borrowed;   /* hosts point into file_doc */
	struct json *file_doc; /* the parsed config file: hosts, routing */
	struct cfgindex
	        *file_index; /* the compiled config file, when current */
	size_t file_record;  /* the profile's record in file_index */
	char *profile;
	enum storage_kind storage;
	enum signin_flow flow;
	enum authtype_kind authtype;
	struct config_ports callback_ports; /* tried in order; none: any */
	char *username;
	int timeout;         /* seconds a sign-in or lock wait may take */
	int refresh_margin;  /* seconds before expiry to refresh */
	int signin_cooldown; /* seconds with no sign-in after one failed */
	bool interactive;
	bool verbose;
	bool quiet;
	bool all;          /* --all: logout signs out of every profile */
	bool cargo_plugin; /* --cargo-plugin: run by cargo (contract §7) */
	bool json;         /* --json: status, whoami, doctor print JSON */
	char *config_path; /* file in use (may not exist) */
	char *ca_file;     /* CA certificates to trust, or NULL (http.h) */
	char *token_file;  /* CI token file, or NULL (session.h) */
	char *resource; /* RFC 8707 resource indicator (contract §3), or NULL */
	bool prompt_login; /* --switch / --prompt=login: ask for the account
	                      again */

	/* Where each value came from: src_<field>, filled through the
	 * option table in config.c. */
	enum config_source src_issuer, src_client_id, src_scopes, src_hosts,
	        src_profile, src_storage, src_callback_port, src_username,
	        src_timeout, src_refresh_margin, src_signin_cooldown,
	        src_interactive, src_flow, src_authtype, src_ca_file,
	        src_token_file, src_resource;

	/* Positional arguments left after the options (not owned). */
	char **args;
	int nargs;
	/* As config_parse_args() got them (not owned): config_use_profile()
	 * reads them again. */
	int argc;
	char **argv;
};

#define CONFIG_DEFAULT_SCOPES         "profile email openid offline_access"
#define CONFIG_DEFAULT_PROFILE        "default"
#define CONFIG_DEFAULT_USERNAME       "oauth2"
#define CONFIG_DEFAULT_TIMEOUT        300
#define CONFIG_DEFAULT_REFRESH_MARGIN 30
#define CONFIG_DEFAULT_COOLDOWN       60

void config_init(struct config *cfg);
void config_release(struct config *cfg);

/*
 * Parse options in argv[1..argc) (GNU style, options may follow the
 * command). Positional arguments land in cfg->args. --help and --version
 * set *@want_help / *@want_version. An unknown option is CLERK_ECONFIG
 * with a message.
 */
int config_parse_args(struct config *cfg, int argc, char **argv,
                      bool *want_help, bool *want_version);

/*
 * Fill what options did not set from the environment, then from the
 * config file, then defaults; validate. Missing issuer or client id is
 * not an error here (config_require() checks it where needed).
 */
int config_load(struct config *cfg);

/*
 * The CI token's variable: environment only, never an option (argv is
 * visible to every user of the machine).
 */
#define CONFIG_TOKEN_ENV "CLERK_CREDENTIAL_TOKEN"

/*
 * True when a CI token is configured: CONFIG_TOKEN_ENV is set and not
 * empty, or a token file is (session.h). Its value is never read here.
 */
bool config_ci_token(const struct config *cfg);

/*
 * CLERK_ECONFIG with a message saying how to set what is missing; with a
 * CI token (config_ci_token()) nothing is required.
 */
int config_require(const struct config *cfg);

/* "option", "environment", "config file", "routing", "default". */
const char *config_source_name(enum config_source src);
const char *config_flow_name(enum signin_flow flow);
const char *config_authtype_name(enum authtype_kind kind);

/*
 * True when the host list allows @host (which may carry ":port") for
 * @protocol ("https"; "http" only for loopback hosts). See contract §4.
 */
bool config_host_allowed(const struct config *cfg, const char *protocol,
                         const char *host);

/* Host pattern @i (< cfg->nhosts) of the host list. */
const char *config_host(const struct config *cfg, size_t i);

/*
 * The key of @cfg's token set, (issuer, client id, profile), as
 * paths_key() makes it: "<profile>-<16 hex>". It names the lock, runtime
 * cache and discovery cache files.
 */
int config_key(const struct config *cfg, char **out);

/* "<dir>/<prefix><key><suffix>", the key as above (paths_key_path()). */
int config_key_path(const struct config *cfg, const char *dir,
                    const char *prefix, const char *suffix, char **out);

/*
 * The profile whose own section's "hosts" matches @host ("name[:port]"),
 * from the config file cfg was loaded from (config_load() done).
 * 0 and a new string in *@profile; CLERK_ENOTFOUND when no section
 * claims it (or there is no config file); CLERK_ECONFIG, said on stderr in
 * one line naming both profiles and the host, when two sections claim it
 * (or a section's "hosts" is malformed). The top-level "hosts" claims
 * nothing. A section claims with host_pattern_match(): exact, "*.suffix",
 * with or without a port. Uses the compiled index when one is current,
 * so a cache hit stays flat (contract §15).
 *
 * Example (no --profile, no CLERK_PROFILE):
 *	if (cfg.src_profile == SRC_DEFAULT) {
 *		r = config_claimant(&cfg, host, &name);
 *		if (r == 0)
 *			r = config_use_profile(&cfg, name);
 *		else if (r == CLERK_ENOTFOUND)
 *			r = 0;
 *		free(name);
 *	}
 */
int config_claimant(const struct config *cfg, const char *host, char **profile);

/*
 * Reload @cfg for @profile: options and environment as first given
 * (cfg->argc/argv and the environment), the config file read for
 * @profile; src_profile becomes SRC_ROUTE. On error @cfg is unchanged.
 * Cheap: the compiled index or the parsed file that @cfg holds is used
 * again (no second read of the file).
 */
int config_use_profile(struct config *cfg, const char *profile);

/*
 * A new configuration of profile @name: @cfg's command line and
 * environment (cfg->argc/argv), the config file read for @name, as
 * config_load() then config_use_profile() make it. config_release()
 * @out, also on failure.
 */
int config_load_profile(const struct config *cfg, const char *name,
                        struct config *out);

/* One profile of the config file, as config_load() would load it. */
struct config_profile_info {
	char *name;
	char *issuer;    /* effective: option > env > section > top; or NULL */
	char *client_id; /* likewise */
	char *resource;  /* likewise */
	size_t nclaims;  /* host patterns its own section lists (0: claims none)
	                  */
	char **claims;   /* those patterns, in file order */
};

/*
 * The profiles the config file names: "default" first (always, whether
 * or not it has a section), then each section of "profiles" in file
 * order. Slow path (status, discovery routing): may parse the file. A
 * section's "hosts", issuer, client_id or resource of the wrong type or
 * value is CLERK_ECONFIG, said on stderr.
 */
int config_profiles(const struct config *cfg, struct config_profile_info **out,
                    size_t *n);
void config_profiles_free(struct config_profile_info *p, size_t n);

/* Usage text of the options (for --help). */
void config_print_options_help(void);

/* The first fixed port of cfg->callback_ports, or 0 when none is. */
int config_fixed_port(const struct config *cfg);

#endif
