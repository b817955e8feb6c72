/*
 * clerk-credential: a Clerk (OpenID Connect) bearer token for git and
 * other tools, through their credential-helper protocols.
 *
 * MUST: turn off core dumps before any secret exists; keep the cache-hit
 * path free of libcurl, GnuTLS and libsecret (they live in the network
 * module, loaded on demand).
 */
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "config.h"
#include "error.h"
#include "gitcmd.h"
#include "log.h"
#include "session.h"
#include "util.h"

#ifndef CLERK_VERSION
#define CLERK_VERSION "0.0.0"
#endif

#define GIT_ALIAS "git-credential-clerk"

struct command {
	const char *name;
	int (*run)(struct config *cfg);
	bool needs_provider;	/* issuer and client id must be set */
	const char *help;
};

static int
cmd_token_common(struct config *cfg, bool header)
{
	char *token = NULL;
	int64_t exp;
	int r;

	r = session_cached_token(cfg, &token, &exp);
	if (r == CLERK_ENOTFOUND)
		r = session_token(cfg, &token, &exp);
	if (r)
		return r;
	if (header)
		printf("Authorization: Bearer %s\n", token);
	else
		printf("%s\n", token);
	secret_free(token);
	return fflush(stdout) ? CLERK_EIO : 0;
}

static int
cmd_token(struct config *cfg)
{
	return cmd_token_common(cfg, false);
}

static int
cmd_header(struct config *cfg)
{
	return cmd_token_common(cfg, true);
}

static int
cmd_login(struct config *cfg)
{
	return session_login(cfg);
}

static int
cmd_logout(struct config *cfg)
{
	return session_logout(cfg);
}

static int
cmd_whoami(struct config *cfg)
{
	return session_whoami(cfg);
}

static int
cmd_status(struct config *cfg)
{
	return session_status(cfg);
}

static int
cmd_version(struct config *cfg)
{
	(void)cfg;
	printf("clerk-credential %s\n", CLERK_VERSION);
	return 0;
}

static const struct command commands[] = {
	{ "get", gitcmd_get, false, "git protocol: answer a request" },
	{ "store", gitcmd_store, false, "git protocol: accept a credential" },
	{ "erase", gitcmd_erase, false, "git protocol: forget a token" },
	{ "login", cmd_login, true, "sign in now through the browser" },
	{ "logout", cmd_logout, true, "forget this profile's tokens" },
	{ "token", cmd_token, true, "print a valid access token" },
	{ "header", cmd_header, true,
	  "print an Authorization: Bearer header" },
	{ "whoami", cmd_whoami, true, "print the signed-in user" },
	{ "status", cmd_status, true,
	  "print profile, issuer, storage and expiry" },
	{ "version", cmd_version, false, "print the version" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(bool git_alias)
{
	size_t i;

	if (git_alias) {
		printf("usage: " GIT_ALIAS " [options] get|store|erase\n\n"
		       "A git credential helper; configure it with\n"
		       "  git config --global credential.https://git."
		       "example.com.helper \"clerk --host=git.example.com\"\n"
		       "\nOptions:\n");
	} else {
		printf("usage: clerk-credential [options] COMMAND\n\n"
		       "Commands:\n");
		for (i = 0; i < NCOMMANDS; i++)
			printf("  %-10s %s\n", commands[i].name,
			       commands[i].help);
		printf("\nOptions:\n");
	}
	config_print_options_help();
	printf("\nSee clerk-credential(1) and the README for more.\n");
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
exit_status(int r)
{
	if (r == 0)
		return 0;
	return r == CLERK_ECONFIG ? 2 : 1;
}

static void
harden(void)
{
	struct rlimit none = { 0, 0 };

	/* No core dump, no ptrace by peers: memory holds tokens. */
	(void)setrlimit(RLIMIT_CORE, &none);
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	bool git_alias, want_help, want_version;
	struct config cfg;
	int r;

	harden();
	base = base ? base + 1 : argv[0] ? argv[0] : "";
	git_alias = strcmp(base, GIT_ALIAS) == 0;
	config_init(&cfg);
	if ((r = config_parse_args(&cfg, argc, argv, &want_help,
				   &want_version)))
		goto out;
	if (want_help || (cfg.nargs == 0 && !want_version)) {
		usage(git_alias);
		r = want_help ? 0 : CLERK_ECONFIG;
		goto out;
	}
	if (want_version) {
		r = cmd_version(&cfg);
		goto out;
	}
	cmd = command_find(cfg.args[0]);
	if (!cmd || (git_alias && cmd->run != gitcmd_get &&
		     cmd->run != gitcmd_store && cmd->run != gitcmd_erase)) {
		/* git may add actions later; a helper ignores them. */
		if (git_alias)
			goto out;
		log_error("unknown command '%s' (see --help)", cfg.args[0]);
		r = CLERK_ECONFIG;
		goto out;
	}
	if ((r = config_load(&cfg)))
		goto out;
	if (cmd->needs_provider && (r = config_require(&cfg)))
		goto out;
	r = cmd->run(&cfg);
out:
	config_release(&cfg);
	return exit_status(r);
}
