/* Unit tests: config.c (precedence, config file errors, host list). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "cfgindex.h"
#include "config.h"
#include "error.h"
#include "tmptree.h"

static char tmpdir[] = "/tmp/clerk-test-config-XXXXXX";
static char cfgdir[256];
static char cfgpath[300];

static const char *const env_vars[] = {
        "CLERK_ISSUER",
        "CLERK_OAUTH_CLIENT_ID",
        "CLERK_SCOPES",
        "CLERK_CREDENTIAL_HOSTS",
        "CLERK_PROFILE",
        "CLERK_CREDENTIAL_STORAGE",
        "CLERK_CALLBACK_PORT",
        "CLERK_CREDENTIAL_INTERACTIVE",
        "GIT_TERMINAL_PROMPT",
        "CLERK_CREDENTIAL_DEBUG",
        "CLERK_CREDENTIAL_AUTHTYPE",
        "CLERK_CREDENTIAL_CA_FILE",
        "CLERK_CREDENTIAL_TOKEN_FILE",
        "CLERK_CREDENTIAL_TOKEN",
        "CLERK_RESOURCE",
};

static int
setup(void **state)
{
	size_t i;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(cfgdir, sizeof(cfgdir), "%s/clerk-credential", tmpdir);
	snprintf(cfgpath, sizeof(cfgpath), "%s/config.json", cfgdir);
	if (mkdir(cfgdir, 0700))
		return -1;
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	for (i = 0; i < sizeof(env_vars) / sizeof(env_vars[0]); i++)
		unsetenv(env_vars[i]);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

static void
write_config(const char *text)
{
	FILE *f = fopen(cfgpath, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* Parse @args (NULL-terminated, after argv[0]) and load. */
static int
load(struct config *cfg, const char *const *args)
{
	static char *argv[32]; /* cfg->args points into it */
	bool help, version;
	int argc = 0, r;

	argv[argc++] = (char *)"clerk-credential";
	while (args && *args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	config_init(cfg);
	r = config_parse_args(cfg, argc, argv, &help, &version);
	return r ? r : config_load(cfg);
}

static void
test_defaults(void **state)
{
	struct config cfg;

	(void)state;
	unlink(cfgpath);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_null(cfg.issuer);
	assert_string_equal(cfg.scopes, CONFIG_DEFAULT_SCOPES);
	assert_string_equal(cfg.profile, "default");
	assert_string_equal(cfg.username, "oauth2");
	assert_int_equal(cfg.timeout, 300);
	assert_int_equal(cfg.refresh_margin, 30);
	assert_int_equal(cfg.callback_ports.n, 0);
	assert_int_equal(cfg.storage, STORAGE_AUTO);
	assert_int_equal(cfg.authtype, AUTHTYPE_AUTO);
	assert_true(cfg.interactive);
	assert_int_equal(cfg.nhosts, 0);
	assert_int_equal(config_require(&cfg), CLERK_ECONFIG);
	config_release(&cfg);
}

static void
test_precedence(void **state)
{
	static const char *const args[] = {"--host=opt.example", "get",
	                                   "--timeout", "7", NULL};
	struct config cfg;

	(void)state;
	write_config("{\"issuer\": \"https://file.example/\","
	             " \"client_id\": \"file-client\", \"timeout\": 9,"
	             " \"hosts\": [\"file.example\"], \"username\": \"top\","
	             " \"profiles\": {\"default\": {\"username\": \"prof\","
	             " \"client_id\": \"prof-client\"}}}");
	setenv("CLERK_OAUTH_CLIENT_ID", "env-client", 1);
	setenv("CLERK_CREDENTIAL_HOSTS", "env1.example, env2.example", 1);
	assert_int_equal(load(&cfg, args), 0);
	/* file, trailing slash dropped */
	assert_string_equal(cfg.issuer, "https://file.example");
	assert_int_equal(cfg.src_issuer, SRC_FILE);
	assert_string_equal(cfg.client_id, "env-client");
	assert_int_equal(cfg.src_client_id, SRC_ENV);
	assert_string_equal(cfg.username, "prof"); /* profile > top */
	assert_int_equal(cfg.timeout, 7);          /* option */
	assert_int_equal(cfg.nhosts, 1);
	assert_string_equal(cfg.hosts[0], "opt.example");
	assert_int_equal(cfg.nargs, 1);
	assert_string_equal(cfg.args[0], "get");
	config_release(&cfg);

	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(cfg.nhosts, 2);
	assert_string_equal(cfg.hosts[1], "env2.example");
	config_release(&cfg);
	unsetenv("CLERK_OAUTH_CLIENT_ID");
	unsetenv("CLERK_CREDENTIAL_HOSTS");
}

static void
test_profiles(void **state)
{
	static const char *const args[] = {"--profile", "work", NULL};
	struct config cfg;

	(void)state;
	write_config("{\"issuer\": \"https://a.example\", \"profiles\": {"
	             "\"work\": {\"issuer\": \"https://w.example\"}}}");
	assert_int_equal(load(&cfg, args), 0);
	assert_string_equal(cfg.issuer, "https://w.example");
	config_release(&cfg);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_string_equal(cfg.issuer, "https://a.example");
	config_release(&cfg);
}

/* ca_file: option, then environment, then profile, then top level. */
static void
test_ca_file(void **state)
{
	static const char *const opt[] = {"--ca-file", "/opt.pem", NULL};
	static const char *const work[] = {"--profile=work", NULL};
	struct config cfg;

	(void)state;
	write_config("{\"ca_file\": \"/top.pem\", \"profiles\": {"
	             "\"work\": {\"ca_file\": \"/work.pem\"}}}");
	assert_int_equal(load(&cfg, NULL), 0);
	assert_string_equal(cfg.ca_file, "/top.pem");
	assert_int_equal(cfg.src_ca_file, SRC_FILE);
	config_release(&cfg);
	assert_int_equal(load(&cfg, work), 0);
	assert_string_equal(cfg.ca_file, "/work.pem");
	config_release(&cfg);
	setenv("CLERK_CREDENTIAL_CA_FILE", "/env.pem", 1);
	assert_int_equal(load(&cfg, work), 0);
	assert_string_equal(cfg.ca_file, "/env.pem");
	assert_int_equal(cfg.src_ca_file, SRC_ENV);
	config_release(&cfg);
	assert_int_equal(load(&cfg, opt), 0);
	assert_string_equal(cfg.ca_file, "/opt.pem");
	assert_int_equal(cfg.src_ca_file, SRC_OPTION);
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_CA_FILE");
	unlink(cfgpath);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_null(cfg.ca_file);
	config_release(&cfg);
}

/*
 * A CI token needs no issuer or client id (config_require()); the token
 * itself is environment only, and the token file is per profile.
 */
static void
test_ci_token(void **state)
{
	static const char *const work[] = {"--profile=work", NULL};
	static const char *const argv_token[] = {"--token=x", NULL};
	struct config cfg;

	(void)state;
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(config_ci_token(&cfg));
	assert_int_equal(config_require(&cfg), CLERK_ECONFIG);
	config_release(&cfg);
	setenv("CLERK_CREDENTIAL_TOKEN", "", 1);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(config_ci_token(&cfg));
	config_release(&cfg);
	setenv("CLERK_CREDENTIAL_TOKEN", "ci", 1);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_true(config_ci_token(&cfg));
	assert_int_equal(config_require(&cfg), 0);
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_TOKEN");
	/* Never an option: argv is visible to everyone. */
	assert_int_equal(load(&cfg, argv_token), CLERK_ECONFIG);
	config_release(&cfg);
	write_config("{\"profiles\": {\"work\": {\"token_file\": "
	             "\"/run/secrets/t\"}}}");
	assert_int_equal(load(&cfg, NULL), 0);
	assert_null(cfg.token_file);
	config_release(&cfg);
	assert_int_equal(load(&cfg, work), 0);
	assert_string_equal(cfg.token_file, "/run/secrets/t");
	assert_true(config_ci_token(&cfg));
	assert_int_equal(config_require(&cfg), 0);
	config_release(&cfg);
	unlink(cfgpath);
}

/* How a case's value is read back from struct config. */
enum value_type {
	V_STRING,
	V_INT,
	V_BOOL,
	V_STORAGE,
	V_FLOW,
	V_AUTHTYPE,
	V_HOST
};

struct source_case {
	const char *option; /* on the command line */
	const char *env;    /* NULL: no variable */
	const char *env_value;
	const char *file;  /* a member of the config file, or NULL */
	size_t field, src; /* offsets in struct config */
	enum value_type type;
	const char *want; /* the value as text */
};

#define AT(f) offsetof(struct config, f)

static const struct source_case source_cases[] = {
        {"--issuer=https://v.example", "CLERK_ISSUER", "https://v.example",
         "\"issuer\": \"https://v.example\"", AT(issuer), AT(src_issuer),
         V_STRING, "https://v.example"},
        {"--client-id=cid", "CLERK_OAUTH_CLIENT_ID", "cid",
         "\"client_id\": \"cid\"", AT(client_id), AT(src_client_id), V_STRING,
         "cid"},
        {"--scopes=a b", "CLERK_SCOPES", "a b", "\"scopes\": \"a b\"",
         AT(scopes), AT(src_scopes), V_STRING, "a b"},
        {"--host=v.example", "CLERK_CREDENTIAL_HOSTS", "v.example",
         "\"hosts\": [\"v.example\"]", 0, AT(src_hosts), V_HOST, "v.example"},
        {"--profile=work", "CLERK_PROFILE", "work", NULL, AT(profile),
         AT(src_profile), V_STRING, "work"},
        {"--storage=memory", "CLERK_CREDENTIAL_STORAGE", "memory",
         "\"storage\": \"memory\"", AT(storage), AT(src_storage), V_STORAGE,
         "memory"},
        {"--callback-port=4242", "CLERK_CALLBACK_PORT", "4242",
         "\"callback_port\": 4242", AT(callback_ports.port),
         AT(src_callback_port), V_INT, "4242"},
        {"--username=u", NULL, NULL, "\"username\": \"u\"", AT(username),
         AT(src_username), V_STRING, "u"},
        {"--timeout=12", NULL, NULL, "\"timeout\": 12", AT(timeout),
         AT(src_timeout), V_INT, "12"},
        {"--refresh-margin=5", NULL, NULL, "\"refresh_margin\": 5",
         AT(refresh_margin), AT(src_refresh_margin), V_INT, "5"},
        {"--signin-cooldown=7", "CLERK_CREDENTIAL_SIGNIN_COOLDOWN", "7",
         "\"signin_cooldown\": 7", AT(signin_cooldown), AT(src_signin_cooldown),
         V_INT, "7"},
        {"--flow=device", "CLERK_CREDENTIAL_FLOW", "device",
         "\"flow\": \"device\"", AT(flow), AT(src_flow), V_FLOW, "device"},
        {"--authtype=basic", "CLERK_CREDENTIAL_AUTHTYPE", "basic",
         "\"authtype\": \"basic\"", AT(authtype), AT(src_authtype), V_AUTHTYPE,
         "basic"},
        {"--ca-file=/x.pem", "CLERK_CREDENTIAL_CA_FILE", "/x.pem",
         "\"ca_file\": \"/x.pem\"", AT(ca_file), AT(src_ca_file), V_STRING,
         "/x.pem"},
        {"--token-file=/t", "CLERK_CREDENTIAL_TOKEN_FILE", "/t",
         "\"token_file\": \"/t\"", AT(token_file), AT(src_token_file), V_STRING,
         "/t"},
        {"--resource=https://api.example/v1", "CLERK_RESOURCE",
         "https://api.example/v1", "\"resource\": \"https://api.example/v1\"",
         AT(resource), AT(src_resource), V_STRING, "https://api.example/v1"},
        {"--non-interactive", "CLERK_CREDENTIAL_INTERACTIVE", "no",
         "\"interactive\": false", AT(interactive), AT(src_interactive), V_BOOL,
         "false"},
};

/* The value of @c's field in @cfg, as text. */
static const char *
value_text(struct config *cfg, const struct source_case *c)
{
	static char buf[64];
	const void *p = (const char *)cfg + c->field;

	switch (c->type) {
	case V_STRING:
		return *(char *const *)p;
	case V_INT:
		snprintf(buf, sizeof(buf), "%d", *(const int *)p);
		return buf;
	case V_BOOL:
		return *(const bool *)p ? "true" : "false";
	case V_STORAGE:
		return store_backend_name(cfg->storage);
	case V_FLOW:
		return config_flow_name(cfg->flow);
	case V_AUTHTYPE:
		return config_authtype_name(cfg->authtype);
	default:
		return cfg->nhosts == 1 ? config_host(cfg, 0) : "";
	}
}

static void
check_source(struct config *cfg, const struct source_case *c,
             enum config_source want)
{
	enum config_source got = *(enum config_source *)((char *)cfg + c->src);

	assert_string_equal(config_source_name(got), config_source_name(want));
	assert_string_equal(value_text(cfg, c), c->want);
	config_release(cfg);
}

/* Each option, from each of its sources, lands in its field and source. */
static void
test_each_source(void **state)
{
	const struct source_case *c;
	const char *args[2] = {NULL, NULL};
	char json[256];
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(source_cases) / sizeof(source_cases[0]); i++) {
		c = &source_cases[i];
		print_message("option: %s\n", c->option);
		unlink(cfgpath);
		args[0] = c->option;
		assert_int_equal(load(&cfg, args), 0);
		check_source(&cfg, c, SRC_OPTION);
		if (c->env) {
			setenv(c->env, c->env_value, 1);
			assert_int_equal(load(&cfg, NULL), 0);
			check_source(&cfg, c, SRC_ENV);
			unsetenv(c->env);
		}
		if (c->file) {
			snprintf(json, sizeof(json), "{%s}", c->file);
			write_config(json);
			assert_int_equal(load(&cfg, NULL), 0);
			check_source(&cfg, c, SRC_FILE);
		}
	}
	unlink(cfgpath);
}

/* Switches that keep no source: the option, and for --verbose its variable. */
static void
test_switches(void **state)
{
	static const char *const args[] = {"--quiet", "--all", "--cargo-plugin",
	                                   "--json", NULL};
	static const char *const verbose[] = {"--verbose", NULL};
	/* Set CLERK_CREDENTIAL_DEBUG to debug (NULL: leave it, unset at
	 * first), load with args: --verbose is then on or off. */
	static const struct {
		const char *debug;
		const char *const *args;
		bool verbose;
	} t[] = {
	        {NULL, verbose, true},
	        {"off", NULL, false},
	        {"off", verbose, true},
	        {"1", NULL, true},
	};
	struct config cfg;
	size_t i;

	(void)state;
	unlink(cfgpath);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(cfg.quiet || cfg.all || cfg.cargo_plugin || cfg.json ||
	             cfg.verbose);
	config_release(&cfg);
	assert_int_equal(load(&cfg, args), 0);
	assert_true(cfg.quiet && cfg.all && cfg.cargo_plugin && cfg.json);
	assert_false(cfg.verbose);
	config_release(&cfg);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].debug)
			setenv("CLERK_CREDENTIAL_DEBUG", t[i].debug, 1);
		assert_int_equal(load(&cfg, t[i].args), 0);
		assert_int_equal(cfg.verbose, t[i].verbose);
		config_release(&cfg);
	}
	unsetenv("CLERK_CREDENTIAL_DEBUG");
	/* "yes" is not "no": the variable leaves interactive alone. */
	setenv("CLERK_CREDENTIAL_INTERACTIVE", "yes", 1);
	write_config("{\"interactive\": false}");
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(cfg.interactive);
	assert_int_equal(cfg.src_interactive, SRC_FILE);
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_INTERACTIVE");
	unlink(cfgpath);
}

/* What config_print_options_help() prints, in a static buffer. */
static const char *
options_help(void)
{
	static char buf[8192];
	FILE *tmp = tmpfile();
	int saved = dup(STDOUT_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stdout);
	assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
	config_print_options_help();
	fflush(stdout);
	assert_true(dup2(saved, STDOUT_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return buf;
}

/* --help states the defaults the code applies, from the same constants. */
static void
test_help_defaults(void **state)
{
	char timeout[16], margin[16], want[160];
	const char *help = options_help();
	/* Each line: its text, the default, what follows the default. */
	const struct {
		const char *head, *value, *tail;
	} line[] = {
	        {"  --timeout SECONDS          how long a sign-in may wait ",
	         timeout, ""},
	        {"  --refresh-margin SECONDS   "
	         "refresh this long before expiry ",
	         margin, ""},
	        {"  --scopes \"S1 S2\"           scopes ",
	         CONFIG_DEFAULT_SCOPES, " [CLERK_SCOPES]"},
	        {"  --username NAME            "
	         "username handed to git and docker ",
	         CONFIG_DEFAULT_USERNAME, ""},
	        {"  --storage KIND             auto, keyring, file or memory ",
	         store_backend_name(STORAGE_AUTO),
	         " [CLERK_CREDENTIAL_STORAGE]"},
	};
	size_t i;

	(void)state;
	snprintf(timeout, sizeof(timeout), "%d", CONFIG_DEFAULT_TIMEOUT);
	snprintf(margin, sizeof(margin), "%d", CONFIG_DEFAULT_REFRESH_MARGIN);
	for (i = 0; i < sizeof(line) / sizeof(line[0]); i++) {
		snprintf(want, sizeof(want), "%s(default: %s)%s\n",
		         line[i].head, line[i].value, line[i].tail);
		print_message("want: %s", want);
		assert_non_null(strstr(help, want));
	}
	/* A default that is not a fixed value is not printed as one. */
	assert_non_null(strstr(help, "(0: any) [CLERK_CALLBACK_PORT]\n"));
	assert_null(strstr(help, "auto, bearer or basic (default"));
}

static void
test_env_interactive(void **state)
{
	struct config cfg;

	(void)state;
	unlink(cfgpath);
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(cfg.interactive);
	config_release(&cfg);
	unsetenv("GIT_TERMINAL_PROMPT");
	setenv("CLERK_CREDENTIAL_INTERACTIVE", "0", 1);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_false(cfg.interactive);
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_INTERACTIVE");
}

static void
test_file_errors(void **state)
{
	static const char *const bad[] = {
	        "{not json",
	        "[]",
	        "{\"timeout\": \"ten\"}",
	        "{\"timeout\": 0}",
	        "{\"timeout\": 1.5}",
	        "{\"hosts\": \"a.example\"}",
	        "{\"hosts\": [1]}",
	        "{\"hosts\": [\"bad host\"]}",
	        "{\"issuer\": 3}",
	        "{\"storage\": \"cloud\"}",
	        "{\"isuer\": \"https://typo.example\"}",
	        "{\"profiles\": []}",
	        "{\"profiles\": {\"default\": 1}}",
	        "{\"profiles\": {\"default\": {\"profiles\": {}}}}",
	        "{\"interactive\": \"no\"}",
	        "{\"callback_port\": 70000}",
	        "{\"callback_port\": \"1,,2\"}",
	        "{\"callback_port\": []}",
	        "{\"callback_port\": [1, \"2\"]}",
	        "{\"callback_port\": [1, 70000]}",
	        "{\"callback_port\": true}",
	        "{\"ca_file\": 1}",
	        "{\"ca_file\": \"\"}",
	        /* Read another way by other JSON readers: refused. */
	        "{\"hosts\": [\"a.example\"], \"hosts\": [\"b.example\"]}",
	        ("{\"profiles\": {\"default\": {\"issuer\": \"https://a.example\","
	         " \"issuer\": \"https://b.example\"}}}"),
	        "{\"profiles\": {}, \"profiles\": {}}",
	        "{\"issuer\": \"https://a.example\\u0000.evil\"}",
	};
	struct config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("config: %s\n", bad[i]);
		write_config(bad[i]);
		assert_int_equal(load(&cfg, NULL), CLERK_ECONFIG);
		config_release(&cfg);
	}
}

/* callback_port: one port or a list, from each source. */
static void
test_callback_ports(void **state)
{
	static const struct {
		const char *arg, *file;
		size_t n;
		int port[3];
	} ok[] = {
	        {"--callback-port=8765", NULL, 1, {8765}},
	        {"--callback-port=8765,8766,8767", NULL, 3, {8765, 8766, 8767}},
	        {"--callback-port= 1 , 2 ", NULL, 2, {1, 2}},
	        {"--callback-port=8765,0", NULL, 2, {8765, 0}},
	        {NULL, "{\"callback_port\": 8765}", 1, {8765}},
	        {NULL, "{\"callback_port\": \"8765,8766\"}", 2, {8765, 8766}},
	        {NULL,
	         "{\"callback_port\": [8765, 8766, 8767]}",
	         3,
	         {8765, 8766, 8767}},
	};
	static const char *const bad[] = {
	        "--callback-port=",
	        "--callback-port=8765,",
	        "--callback-port=,8765",
	        "--callback-port=8765;8766",
	        "--callback-port=-1",
	        "--callback-port=65536",
	        "--callback-port=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
	        "--callback-port=12345678",
	};
	struct config cfg;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const char *args[] = {ok[i].arg, NULL};

		print_message("ports: %s\n",
		              ok[i].arg ? ok[i].arg : ok[i].file);
		if (ok[i].file)
			write_config(ok[i].file);
		else
			unlink(cfgpath);
		assert_int_equal(load(&cfg, ok[i].arg ? args : NULL), 0);
		assert_int_equal(cfg.callback_ports.n, ok[i].n);
		for (j = 0; j < ok[i].n; j++)
			assert_int_equal(cfg.callback_ports.port[j],
			                 ok[i].port[j]);
		config_release(&cfg);
	}
	unlink(cfgpath);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *args[] = {bad[i], NULL};

		print_message("ports: %s\n", bad[i]);
		assert_int_equal(load(&cfg, args), CLERK_ECONFIG);
		config_release(&cfg);
	}
}

static void
load_quietly(void *arg)
{
	struct config *cfg = arg;

	assert_int_equal(load(cfg, NULL), CLERK_ECONFIG);
	config_release(cfg);
}

/* An unknown key's message lists every key the file may hold. */
static void
test_unknown_key_lists_keys(void **state)
{
	static const char *const keys[] = {
	        "issuer",         "client_id",       "scopes",      "hosts",
	        "storage",        "callback_port",   "username",    "timeout",
	        "refresh_margin", "signin_cooldown", "flow",        "authtype",
	        "ca_file",        "token_file",      "interactive",
	};
	struct config cfg;
	const char *err;
	size_t i;

	(void)state;
	write_config("{\"isuer\": \"https://typo.example\"}");
	err = capture_stderr(load_quietly, &cfg);
	assert_non_null(strstr(err, "unknown key 'isuer' (expected one of "
	                            "issuer, client_id, "));
	assert_non_null(strstr(err, ", profiles)"));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char want[64];

		snprintf(want, sizeof(want), " %s,", keys[i]);
		assert_non_null(strstr(err, want));
	}
}

static void
test_option_errors(void **state)
{
	const char *const *const bad[] = {
	        (const char *const[]){"--timeout", "x", NULL},
	        (const char *const[]){"--nope", NULL},
	        (const char *const[]){"--storage=tape", NULL},
	        (const char *const[]){"--authtype=digest", NULL},
	        (const char *const[]){"--profile", "../x", NULL},
	        (const char *const[]){"--host", "a b", NULL},
	        (const char *const[]){"--issuer", NULL},
	        (const char *const[]){"--config", "/nonexistent/c.json", NULL},
	        (const char *const[]){"--ca-file=", NULL},
	        (const char *const[]){"--token-file=", NULL},
	};
	struct config cfg;
	size_t i;

	(void)state;
	unlink(cfgpath);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(&cfg, bad[i]), CLERK_ECONFIG);
		config_release(&cfg);
	}
}

static void
test_host_allowed(void **state)
{
	static const char *const args[] = {"--host", "git.example.com",
	                                   "--host", "127.0.0.1", NULL};
	struct config cfg;

	(void)state;
	unlink(cfgpath);
	assert_int_equal(load(&cfg, args), 0);
	assert_true(config_host_allowed(&cfg, "https", "git.example.com"));
	/* Never a bearer token in clear text over the network. */
	assert_false(config_host_allowed(&cfg, "http", "git.example.com"));
	assert_true(config_host_allowed(&cfg, "http", "127.0.0.1:8080"));
	assert_false(config_host_allowed(&cfg, NULL, "git.example.com"));
	assert_false(config_host_allowed(&cfg, "https", "other.example"));
	assert_false(config_host_allowed(&cfg, "https", NULL));
	config_release(&cfg);
}

static void
test_key(void **state)
{
	static const char *const a1[] = {"--issuer", "https://a.example",
	                                 "--client-id", "c1", NULL};
	static const char *const a2[] = {"--issuer", "https://a.example",
	                                 "--client-id", "c2", NULL};
	struct config cfg;
	char *k1 = NULL, *k2 = NULL;

	(void)state;
	unlink(cfgpath);
	assert_int_equal(load(&cfg, a1), 0);
	assert_int_equal(config_key(&cfg, &k1), 0);
	config_release(&cfg);
	assert_int_equal(load(&cfg, a2), 0);
	assert_int_equal(config_key(&cfg, &k2), 0);
	config_release(&cfg);
	assert_true(strncmp(k1, "default-", 8) == 0);
	assert_int_equal(strlen(k1), 8 + 16);
	assert_string_not_equal(k1, k2);
	free(k1);
	free(k2);
}

/* A config file of @nhosts hosts; host @odd is "odd<n>.example". */
static void
write_big_config(size_t nhosts, int odd)
{
	FILE *f = fopen(cfgpath, "w");
	size_t i;

	assert_non_null(f);
	fputs("{\"issuer\": \"https://top.example\", \"timeout\": 9,\n"
	      " \"interactive\": false, \"storage\": \"file\",\n"
	      " \"profiles\": {\"default\": {\"issuer\": "
	      "\"https://prof.example\"}},\n \"hosts\": [\"*.Wild.example\"",
	      f);
	for (i = 1; i < nhosts; i++)
		fprintf(f, ",\n  \"%s%04zu.example:%d\"",
		        (int)i == odd ? "odd" : "h", i, 443);
	fputs("]}\n", f);
	fclose(f);
}

static const char *const big_queries[] = {
        "h0001.example:443", "h0001.example",     "odd0007.example:443",
        "h0007.example:443", "x.wild.EXAMPLE",    "wild.example",
        "h0399.example:443", "h0400.example:443",
};

/*
 * A big config file is compiled into an index once it has settled; the
 * index then answers exactly as the JSON would, and an edit of the file
 * (same size) is seen at once.
 */
static void
test_big_file_index(void **state)
{
	struct config a, b;
	bool want[sizeof(big_queries) / sizeof(big_queries[0])];
	size_t i;

	(void)state;
	write_big_config(400, 7);
	sleep(2);
	usleep(200000);
	assert_int_equal(load(&a, NULL), 0); /* parses, then indexes */
	assert_null(a.file_index);
	assert_int_equal(load(&b, NULL), 0); /* maps the index */
	assert_non_null(b.file_index);
	assert_null(b.hosts);
	assert_string_equal(b.issuer, "https://prof.example");
	assert_int_equal(b.src_issuer, SRC_FILE);
	assert_int_equal(b.timeout, 9);
	assert_false(b.interactive);
	assert_int_equal(b.storage, STORAGE_FILE);
	assert_int_equal(b.src_hosts, SRC_FILE);
	assert_int_equal(b.nhosts, 400);
	for (i = 0; i < a.nhosts; i++)
		assert_string_equal(config_host(&b, i), config_host(&a, i));
	for (i = 0; i < sizeof(big_queries) / sizeof(big_queries[0]); i++) {
		want[i] = config_host_allowed(&a, "https", big_queries[i]);
		assert_int_equal(
		        config_host_allowed(&b, "https", big_queries[i]),
		        want[i]);
	}
	/* A pattern with a port matches that port only. */
	assert_true(want[0] && want[2] && want[4] && want[6]);
	assert_false(want[1] || want[3] || want[5] || want[7]);
	config_release(&a);
	config_release(&b);

	/* Options and the environment still win over the index. */
	setenv("CLERK_CREDENTIAL_HOSTS", "env.example", 1);
	setenv("CLERK_ISSUER", "https://env.example", 1);
	assert_int_equal(load(&b, NULL), 0);
	assert_non_null(b.file_index); /* kept for routing */
	assert_non_null(b.hosts);
	assert_int_equal(b.nhosts, 1);
	assert_true(config_host_allowed(&b, "https", "env.example"));
	assert_false(config_host_allowed(&b, "https", "h0001.example:443"));
	assert_string_equal(b.issuer, "https://env.example");
	assert_int_equal(b.timeout, 9);
	config_release(&b);
	unsetenv("CLERK_CREDENTIAL_HOSTS");
	unsetenv("CLERK_ISSUER");

	/* The same size, another host: the edit counts at once. */
	write_big_config(400, 8);
	assert_int_equal(load(&b, NULL), 0);
	assert_null(b.file_index);
	assert_false(config_host_allowed(&b, "https", "odd0007.example:443"));
	assert_true(config_host_allowed(&b, "https", "odd0008.example:443"));
	config_release(&b);
}

/*
 * A config file decides where tokens go: one that others could have
 * written is refused, whether named by a link or not. A link (dotfile
 * managers make them) is followed; a link to nothing is an error, not
 * "no config file".
 */
static void
test_config_file_trust(void **state)
{
	char target[400];
	struct config cfg;

	(void)state;
	snprintf(target, sizeof(target), "%s/elsewhere.json", tmpdir);
	unlink(cfgpath);
	assert_int_equal(symlink(target, cfgpath), 0);
	assert_int_not_equal(load(&cfg, NULL), 0);
	config_release(&cfg);
	assert_int_equal(unlink(cfgpath), 0);
	write_config("{\"issuer\": \"https://file.example\"}");
	assert_int_equal(rename(cfgpath, target), 0);
	assert_int_equal(symlink(target, cfgpath), 0);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_string_equal(cfg.issuer, "https://file.example");
	config_release(&cfg);
	assert_int_equal(chmod(target, 0666), 0);
	assert_int_equal(load(&cfg, NULL), CLERK_EPERM);
	assert_null(cfg.issuer);
	config_release(&cfg);
	assert_int_equal(unlink(cfgpath), 0);
	assert_int_equal(rename(target, cfgpath), 0);
	assert_int_equal(load(&cfg, NULL), CLERK_EPERM);
	config_release(&cfg);
	assert_int_equal(chmod(cfgpath, 0644), 0);
	assert_int_equal(chmod(cfgdir, 0777), 0);
	assert_int_equal(load(&cfg, NULL), CLERK_EPERM);
	config_release(&cfg);
	assert_int_equal(chmod(cfgdir, 0700), 0);
	assert_int_equal(load(&cfg, NULL), 0);
	config_release(&cfg);
	unlink(cfgpath);
}

/* authtype: option over environment over profile over top level. */
static void
test_authtype(void **state)
{
	static const char *const opt[] = {"--authtype", "bearer", NULL};
	static const char *const work[] = {"--profile=work", NULL};
	struct config cfg;

	(void)state;
	write_config("{\"authtype\": \"basic\", \"profiles\": {\"work\":"
	             " {\"authtype\": \"auto\"}}}");
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(cfg.authtype, AUTHTYPE_BASIC);
	assert_int_equal(cfg.src_authtype, SRC_FILE);
	config_release(&cfg);
	assert_int_equal(load(&cfg, work), 0);
	assert_int_equal(cfg.authtype, AUTHTYPE_AUTO);
	config_release(&cfg);
	setenv("CLERK_CREDENTIAL_AUTHTYPE", "auto", 1);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(cfg.authtype, AUTHTYPE_AUTO);
	assert_int_equal(cfg.src_authtype, SRC_ENV);
	config_release(&cfg);
	assert_int_equal(load(&cfg, opt), 0);
	assert_int_equal(cfg.authtype, AUTHTYPE_BEARER);
	assert_int_equal(cfg.src_authtype, SRC_OPTION);
	assert_string_equal(config_authtype_name(cfg.authtype), "bearer");
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_AUTHTYPE");
	unlink(cfgpath);
}

/* A bad value is an error even where a higher source overrides it. */
static void
test_overridden_bad_value(void **state)
{
	struct config cfg;

	(void)state;
	write_config("{\"storage\": \"bogus\", \"timeout\": 5}");
	setenv("CLERK_CREDENTIAL_STORAGE", "file", 1);
	assert_int_equal(load(&cfg, NULL), CLERK_ECONFIG);
	config_release(&cfg);
	unsetenv("CLERK_CREDENTIAL_STORAGE");
}

/* A resource indicator: which values each source takes. */
static const struct {
	const char *value;
	bool ok;
} resource_cases[] = {
        {"https://api.example", true},
        {"https://api.example/", true},
        {"https://api.example:8443/v1/x?tenant=a", true},
        {"https://[2001:db8::1]/v1", true},
        {"http://127.0.0.1:8080/api", true},
        {"http://localhost/api", true},
        {"http://[::1]:9000", true},
        {"http://api.example/v1", false},
        {"ftp://api.example", false},
        {"HTTPS://api.example", false},
        {"api.example", false},
        {"/v1", false},
        {"https://", false},
        {"https:///v1", false},
        {"https://api.example/v1#frag", false},
        {"https://api.example/a b", false},
        {"https://api.example/a\tb", false},
        {"https://api.example/\x7f", false},
        {"https://user@api.example/", false},
        {"https://api.example:0/", false},
        {"", false},
};

static void
test_resource(void **state)
{
	char opt[2200], json[2300], big[2100];
	const char *args[2] = {opt, NULL};
	struct config cfg;
	size_t i;
	int want;

	(void)state;
	unlink(cfgpath);
	for (i = 0; i < sizeof(resource_cases) / sizeof(resource_cases[0]);
	     i++) {
		print_message("resource: %s\n", resource_cases[i].value);
		want = resource_cases[i].ok ? 0 : CLERK_ECONFIG;
		snprintf(opt, sizeof(opt), "--resource=%s",
		         resource_cases[i].value);
		assert_int_equal(load(&cfg, args), want);
		if (!want)
			assert_string_equal(cfg.resource,
			                    resource_cases[i].value);
		config_release(&cfg);
		if (!*resource_cases[i].value)
			continue;
		setenv("CLERK_RESOURCE", resource_cases[i].value, 1);
		assert_int_equal(load(&cfg, NULL), want);
		config_release(&cfg);
		unsetenv("CLERK_RESOURCE");
		if (strchr(resource_cases[i].value, '\t') ||
		    strchr(resource_cases[i].value, 0x7f))
			continue; /* not a JSON string as it stands */
		snprintf(json, sizeof(json), "{\"resource\": \"%s\"}",
		         resource_cases[i].value);
		write_config(json);
		assert_int_equal(load(&cfg, NULL), want);
		config_release(&cfg);
	}
	/* 2048 bytes at most. */
	unlink(cfgpath);
	memset(big, 'a', sizeof(big));
	memcpy(big, "https://a.example/", 18);
	big[2048] = '\0';
	snprintf(opt, sizeof(opt), "--resource=%s", big);
	assert_int_equal(load(&cfg, args), 0);
	config_release(&cfg);
	big[2048] = 'a';
	big[2049] = '\0';
	snprintf(opt, sizeof(opt), "--resource=%s", big);
	assert_int_equal(load(&cfg, args), CLERK_ECONFIG);
	config_release(&cfg);
	unlink(cfgpath);
}

/* The error names the source, not the value. */
static void
load_bad_resource(void *arg)
{
	static const char *const args[] = {"--resource=https://x.example/#f",
	                                   NULL};
	struct config cfg;

	(void)arg;
	assert_int_equal(load(&cfg, args), CLERK_ECONFIG);
	config_release(&cfg);
}

static void
test_resource_message(void **state)
{
	const char *out;

	(void)state;
	unlink(cfgpath);
	out = capture_stderr(load_bad_resource, NULL);
	assert_non_null(strstr(out, "option --resource: the resource must be"));
	assert_null(strstr(out, "x.example"));
}

/* --switch and --prompt=login: the account is asked for again. */
static void
test_prompt(void **state)
{
	static const char *const none[] = {NULL};
	static const char *const sw[] = {"--switch", NULL};
	static const char *const pl[] = {"--prompt=login", NULL};
	static const char *const pl2[] = {"login", "--prompt", "login", NULL};
	static const char *const bad[] = {"--prompt=consent", NULL};
	static const char *const empty[] = {"--prompt=", NULL};
	static const struct {
		const char *const *args;
		int r;
		bool on;
	} t[] = {
	        {none, 0, false},        {sw, 0, true},
	        {pl, 0, true},           {pl2, 0, true},
	        {bad, CLERK_ECONFIG, 0}, {empty, CLERK_ECONFIG, 0},
	};
	struct config cfg;
	size_t i;

	(void)state;
	unlink(cfgpath);
	/* No environment variable, no file key: only the option. */
	write_config("{\"prompt\": \"login\"}");
	assert_int_equal(load(&cfg, NULL), CLERK_ECONFIG);
	config_release(&cfg);
	unlink(cfgpath);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(load(&cfg, t[i].args), t[i].r);
		if (!t[i].r)
			assert_int_equal(cfg.prompt_login, t[i].on);
		config_release(&cfg);
	}
}

/* The routing config: default (top level), work, dev, ops, all claim. */
static const char routing_config[] =
        "{\"issuer\": \"https://top.example/\", \"client_id\": \"top\",\n"
        " \"hosts\": [\"git.top.example\", \"*.shared.example\"],\n"
        " \"timeout\": 11,\n"
        " \"profiles\": {\n"
        "  \"work\": {\"issuer\": \"https://work.example\",\n"
        "            \"client_id\": \"w\", \"timeout\": 22,\n"
        "            \"resource\": \"https://api.work.example/\",\n"
        "            \"hosts\": [\"*.corp.example\", \"git.work.example:8443\"]},\n"
        "  \"dev\": {\"client_id\": \"d\",\n"
        "           \"hosts\": [\"x.corp.example\", \"dev.example\"]},\n"
        "  \"ops\": {\"issuer\": \"https://ops.example\", \"bogus\": 1},\n"
        "  \"ci\": {\"issuer\": \"https://ci.example\", \"hosts\": []}\n"
        "%s }}\n";

/* What config_claimant() answers for a host: a profile, or an error. */
static const struct {
	const char *host;
	const char *profile; /* NULL: the error below */
	int r;
} claim_cases[] = {
        {"git.top.example", NULL, CLERK_ENOTFOUND}, /* top claims none */
        {"a.shared.example", NULL, CLERK_ENOTFOUND},
        {"y.corp.example", "work", 0},     /* wildcard */
        {"Y.CORP.example:443", "work", 0}, /* any port */
        {"corp.example", NULL, CLERK_ENOTFOUND},
        {"git.work.example:8443", "work", 0},        /* its port */
        {"git.work.example", NULL, CLERK_ENOTFOUND}, /* not another */
        {"git.work.example:443", NULL, CLERK_ENOTFOUND},
        {"dev.example:22", "dev", 0},
        {"x.corp.example", NULL, CLERK_ECONFIG}, /* work and dev */
        {"nothing.example", NULL, CLERK_ENOTFOUND},
        {"bad/host", NULL, CLERK_ENOTFOUND},
        {"", NULL, CLERK_ENOTFOUND},
};

/* Padding that makes the file big enough to be indexed. */
static void
write_routing_config(bool big)
{
	char pad[6000] = "", *text;
	size_t i;

	if (big) {
		for (i = 0; i < 60; i++)
			snprintf(pad + strlen(pad), sizeof(pad) - strlen(pad),
			         "  ,\"pad%02zu\": {\"client_id\": "
			         "\"padding-padding-padding-padding-pad\"}\n",
			         i);
	}
	assert_non_null(text = malloc(sizeof(routing_config) + sizeof(pad)));
	snprintf(text, sizeof(routing_config) + sizeof(pad), routing_config,
	         pad);
	write_config(text);
	free(text);
}

/* Each claim case through @cfg (JSON or index): the same answers. */
static void
check_claims(const struct config *cfg)
{
	char *name;
	size_t i;

	for (i = 0; i < sizeof(claim_cases) / sizeof(claim_cases[0]); i++) {
		name = NULL;
		print_message("claim: %s\n", claim_cases[i].host);
		assert_int_equal(
		        config_claimant(cfg, claim_cases[i].host, &name),
		        claim_cases[i].r);
		if (claim_cases[i].profile)
			assert_string_equal(name, claim_cases[i].profile);
		else
			assert_null(name);
		free(name);
	}
}

static void
claim_conflict_quietly(void *arg)
{
	char *name = NULL;

	assert_int_equal(config_claimant(arg, "x.corp.example", &name),
	                 CLERK_ECONFIG);
}

static void
test_claimant(void **state)
{
	struct config cfg;
	const char *out;
	char *name = NULL;

	(void)state;
	unlink(cfgpath);
	/* No config file: nobody claims anything. */
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(config_claimant(&cfg, "y.corp.example", &name),
	                 CLERK_ENOTFOUND);
	config_release(&cfg);

	write_routing_config(false);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_null(cfg.file_index);
	check_claims(&cfg);
	out = capture_stderr(claim_conflict_quietly, &cfg);
	assert_non_null(strstr(out, "clerk-credential: host 'x.corp.example' "
	                            "is claimed by profiles 'work' and 'dev' "
	                            "in "));
	assert_non_null(strstr(out, "config.json: remove it from one (or "
	                            "pass --profile)\n"));
	assert_int_equal(strchr(out, '\n') - out + 1, strlen(out)); /* 1 line */
	config_release(&cfg);

	/* The same file, big and settled: the index gives the answers. */
	write_routing_config(true);
	sleep(2);
	usleep(200000);
	assert_int_equal(load(&cfg, NULL), 0); /* parses, then indexes */
	config_release(&cfg);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_non_null(cfg.file_index);
	check_claims(&cfg);
	out = capture_stderr(claim_conflict_quietly, &cfg);
	assert_non_null(strstr(out, "claimed by profiles 'work' and 'dev'"));
	config_release(&cfg);
	unlink(cfgpath);
}

/* A section's malformed "hosts" is an error once routing reads it. */
static void
test_claimant_malformed(void **state)
{
	static const char *const texts[] = {
	        "{\"profiles\": {\"a\": {\"hosts\": \"x.example\"}}}",
	        "{\"profiles\": {\"a\": {\"hosts\": [\"https://x.example\"]}}}",
	        "{\"profiles\": {\"a\": {\"hosts\": [1]}}}",
	};
	struct config cfg;
	char *name = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		write_config(texts[i]);
		/* Not in use: loading the default profile does not look. */
		assert_int_equal(load(&cfg, NULL), 0);
		assert_int_equal(config_claimant(&cfg, "x.example", &name),
		                 CLERK_ECONFIG);
		assert_null(name);
		config_release(&cfg);
	}
	unlink(cfgpath);
}

/* Routing reloads: options and environment stay, the section counts. */
static void
test_use_profile(void **state)
{
	static const char *const args[] = {"get", "--client-id=opt", NULL};
	static const struct {
		bool big;
	} t[] = {{false}, {true}};
	struct config cfg;
	char *before;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		write_routing_config(t[i].big);
		if (t[i].big) {
			sleep(2);
			usleep(200000);
			assert_int_equal(load(&cfg, NULL), 0);
			config_release(&cfg);
		}
		setenv("CLERK_SCOPES", "env-scope", 1);
		assert_int_equal(load(&cfg, args), 0);
		assert_int_equal(cfg.file_index != NULL, t[i].big);
		assert_string_equal(cfg.issuer, "https://top.example");
		assert_int_equal(cfg.timeout, 11);
		assert_int_equal(config_use_profile(&cfg, "work"), 0);
		assert_string_equal(cfg.profile, "work");
		assert_int_equal(cfg.src_profile, SRC_ROUTE);
		assert_string_equal(config_source_name(cfg.src_profile),
		                    "routing");
		assert_string_equal(cfg.issuer, "https://work.example");
		assert_int_equal(cfg.src_issuer, SRC_FILE);
		assert_string_equal(cfg.client_id, "opt");
		assert_int_equal(cfg.src_client_id, SRC_OPTION);
		assert_string_equal(cfg.scopes, "env-scope");
		assert_int_equal(cfg.src_scopes, SRC_ENV);
		assert_string_equal(cfg.resource, "https://api.work.example/");
		assert_int_equal(cfg.timeout, 22);
		assert_int_equal(cfg.nargs, 1);
		assert_string_equal(cfg.args[0], "get");
		assert_int_equal(cfg.file_index != NULL, t[i].big);
		/* The chosen profile's own host list is the host list. */
		assert_true(
		        config_host_allowed(&cfg, "https", "a.corp.example"));
		assert_false(
		        config_host_allowed(&cfg, "https", "git.top.example"));
		/* A section without hosts inherits the top level's. */
		assert_int_equal(config_use_profile(&cfg, "dev"), 0);
		assert_string_equal(cfg.issuer, "https://top.example");
		assert_true(config_host_allowed(&cfg, "https", "dev.example"));
		/* A bad section: an error, and cfg as it was. */
		before = strdup(cfg.profile);
		assert_int_equal(config_use_profile(&cfg, "ops"),
		                 CLERK_ECONFIG);
		assert_string_equal(cfg.profile, before);
		assert_string_equal(cfg.client_id, "opt");
		assert_true(config_host_allowed(&cfg, "https", "dev.example"));
		assert_int_equal(config_use_profile(&cfg, "../x"),
		                 CLERK_ECONFIG);
		assert_string_equal(cfg.profile, before);
		free(before);
		config_release(&cfg);
		unsetenv("CLERK_SCOPES");
	}
	unlink(cfgpath);
}

static void
test_profiles_list(void **state)
{
	static const char *const args[] = {"--issuer=https://opt.example/",
	                                   NULL};
	static const char *const names[] = {"default", "work", "dev", "ops",
	                                    "ci"};
	struct config_profile_info *p = NULL;
	struct config cfg;
	size_t n = 0, i;

	(void)state;
	unlink(cfgpath);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(config_profiles(&cfg, &p, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].name, "default");
	assert_null(p[0].issuer);
	config_profiles_free(p, n);
	config_release(&cfg);

	write_routing_config(false);
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(config_profiles(&cfg, &p, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_string_equal(p[i].name, names[i]);
	assert_string_equal(p[0].issuer, "https://top.example");
	assert_string_equal(p[0].client_id, "top");
	assert_null(p[0].resource);
	assert_int_equal(p[0].nclaims, 0);
	assert_string_equal(p[1].issuer, "https://work.example");
	assert_string_equal(p[1].resource, "https://api.work.example/");
	assert_int_equal(p[1].nclaims, 2);
	assert_string_equal(p[1].claims[1], "git.work.example:8443");
	assert_string_equal(p[2].issuer, "https://top.example");
	assert_string_equal(p[2].client_id, "d");
	assert_int_equal(p[2].nclaims, 2);
	assert_int_equal(p[4].nclaims, 0);
	config_profiles_free(p, n);
	config_release(&cfg);

	/* An option wins over every section. */
	assert_int_equal(load(&cfg, args), 0);
	assert_int_equal(config_profiles(&cfg, &p, &n), 0);
	for (i = 0; i < n; i++)
		assert_string_equal(p[i].issuer, "https://opt.example");
	config_profiles_free(p, n);
	config_release(&cfg);

	/* A default section comes first, once. */
	write_config("{\"profiles\": {\"a\": {}, \"default\": "
	             "{\"issuer\": \"https://d.example\"}}}");
	assert_int_equal(load(&cfg, NULL), 0);
	assert_int_equal(config_profiles(&cfg, &p, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].name, "default");
	assert_string_equal(p[0].issuer, "https://d.example");
	assert_string_equal(p[1].name, "a");
	config_profiles_free(p, n);
	config_release(&cfg);
	unlink(cfgpath);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_defaults),
	        cmocka_unit_test(test_precedence),
	        cmocka_unit_test(test_profiles),
	        cmocka_unit_test(test_ca_file),
	        cmocka_unit_test(test_ci_token),
	        cmocka_unit_test(test_each_source),
	        cmocka_unit_test(test_switches),
	        cmocka_unit_test(test_help_defaults),
	        cmocka_unit_test(test_env_interactive),
	        cmocka_unit_test(test_callback_ports),
	        cmocka_unit_test(test_file_errors),
	        cmocka_unit_test(test_unknown_key_lists_keys),
	        cmocka_unit_test(test_option_errors),
	        cmocka_unit_test(test_host_allowed),
	        cmocka_unit_test(test_key),
	        cmocka_unit_test(test_big_file_index),
	        cmocka_unit_test(test_overridden_bad_value),
	        cmocka_unit_test(test_authtype),
	        cmocka_unit_test(test_config_file_trust),
	        cmocka_unit_test(test_resource),
	        cmocka_unit_test(test_resource_message),
	        cmocka_unit_test(test_prompt),
	        cmocka_unit_test(test_claimant),
	        cmocka_unit_test(test_claimant_malformed),
	        cmocka_unit_test(test_use_profile),
	        cmocka_unit_test(test_profiles_list),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
