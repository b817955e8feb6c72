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

#include "config.h"
#include "doctor.h"
#include "error.h"
#include "gitcmd.h"
#include "help.h"
#include "interrupt.h"
#include "log.h"
#include "protocols.h"
#include "report.h"
#include "session.h"
#include "util.h"

#include "banned.h"

#ifndef CLERK_VERSION
#define CLERK_VERSION "0.0.0"
#endif

#define GIT_ALIAS "git-credential-clerk"

struct command {
	const char *name;
	int (*run)(struct config *cfg);
	bool needs_provider; /* issuer and client id must be set */
	const char *help;
	const char *args; /* after its name in its usage line, or NULL */
};

static int
cmd_token_common(struct config *cfg, bool header)
{
	char *token = NULL;
	int64_t exp;
	int r;

	if ((r = session_token(cfg, &token, &exp)))
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
	return cfg->all ? session_logout_all(cfg) : session_logout(cfg);
}

static int
cmd_whoami(struct config *cfg)
{
	return report_whoami(cfg);
}

static int
cmd_status(struct config *cfg)
{
	return report_status(cfg);
}

static int
cmd_version(struct config *cfg)
{
	(void)cfg;
	printf("clerk-credential %s\n", CLERK_VERSION);
	return 0;
}

static const struct command commands[] = {
        {.name = "get",
         .run = gitcmd_get,
         .help = "git protocol: answer a request"},
        {.name = "store",
         .run = gitcmd_store,
         .help = "git protocol: accept a credential"},
        {.name = "erase",
         .run = gitcmd_erase,
         .help = "git protocol: forget a token"},
        {.name = "login",
         .run = cmd_login,
         .needs_provider = true,
         .help = "sign in now (browser, device code or paste: --flow; "
                 "--switch: choose the account again)",
         .args = "[--switch]"},
        {.name = "logout",
         .run = cmd_logout,
         .needs_provider = true,
         .help = "revoke and forget this profile's tokens (--all: every profile)",
         .args = "[--profile NAME | --all]"},
        {.name = "token",
         .run = cmd_token,
         .needs_provider = true,
         .help = "print a valid access token"},
        {.name = "header",
         .run = cmd_header,
         .needs_provider = true,
         .help = "print an Authorization: Bearer header"},
        {.name = "whoami",
         .run = cmd_whoami,
         .needs_provider = true,
         .help = "print the signed-in user (--all: of every profile)",
         .args = "[--all] [--json]"},
        {.name = "status",
         .run = cmd_status,
         .needs_provider = true,
         .help = "print profile, issuer, storage and expiry",
         .args = "[--json]"},
        {.name = "version", .run = cmd_version, .help = "print the version"},
        {.name = "doctor",
         .run = doctor_run,
         .help = "check the set-up; print each problem and its fix",
         .args = "[--json]"},
        {.name = "docker",
         .run = dockercmd_run,
         .help = "docker protocol: get|store|erase|list|version",
         .args = "get|store|erase|list|version"},
        {.name = "kubectl",
         .run = kubecmd_run,
         .help = "print a kubectl ExecCredential"},
        {.name = "bazel",
         .run = bazelcmd_run,
         .help = "Bazel credential helper: get",
         .args = "get"},
        {.name = "terraform",
         .run = tfcmd_run,
         .help = "Terraform/OpenTofu helper: get|store|forget HOST",
         .args = "get|store|forget HOST"},
        {.name = "cargo",
         .run = cargocmd_run,
         .help = "Cargo credential provider (with --cargo-plugin)",
         .args = "--cargo-plugin"},
        {.name = "configure",
         .run = configure_run,
         .help = "set up git URL or docker REGISTRY to use this helper",
         .args = "git URL | docker REGISTRY"},
        {.name = "unconfigure",
         .run = unconfigure_run,
         .help = "undo configure git URL or docker REGISTRY",
         .args = "git URL | docker REGISTRY"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/*
 * The installed aliases (contract §2), each standing for one command whose
 * action comes first in argv; the git alias's action is a command itself.
 */
static const struct {
	const char *name;
	const char *command; /* NULL: the action names the command */
} aliases[] = {
        {GIT_ALIAS, NULL},
        {"docker-credential-clerk", "docker"},
        {"terraform-credentials-clerk", "terraform"},
};

static const char *
alias_command(const char *base)
{
	size_t i;

	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(base, aliases[i].name) == 0)
			return aliases[i].command;
	return NULL;
}

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

/* `clerk-credential COMMAND --help`: the command, then every option. */
static void
command_usage(const struct command *cmd)
{
	const char *args = cmd->args ? cmd->args : "";

	printf("usage: clerk-credential [options] %s%s%s\n\n%s\n\nOptions:\n",
	       cmd->name, *args ? " " : "", args, cmd->help);
	config_print_options_help();
	printf("\nSee COMMANDS in clerk-credential(1) for more.\n");
}

static void
command_unknown(const char *name)
{
	const char *names[NCOMMANDS + 1];
	const char *near;
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	names[NCOMMANDS] = "help";
	if ((near = help_closest(name, names, NCOMMANDS + 1)))
		log_error("unknown command '%s' (did you mean '%s'?)", name,
		          near);
	else
		log_error("unknown command '%s' (see --help)", name);
}

static int
exit_status(int r)
{
	if (r == 0)
		return 0;
	/* Cancelled by a signal: 128 + its number, as a shell reports it. */
	if (r == CLERK_EINTR && interrupt_signal())
		return 128 + interrupt_signal();
	return r == CLERK_ECONFIG ? 2 : 1;
}

static void
harden(void)
{
	/* No core dump, no ptrace by peers: memory holds tokens. */
	core_limit_drop();
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int
main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	const char *base = argv[0] ? strrchr(argv[0], '/') : NULL;
	const char *alias_cmd;
	bool git_alias, want_help, want_version;
	struct config cfg;
	int r;

	harden();
	base = base ? base + 1 : argv[0] ? argv[0] : "";
	git_alias = strcmp(base, GIT_ALIAS) == 0;
	alias_cmd = alias_command(base);
	config_init(&cfg);
	if ((r = config_parse_args(&cfg, argc, argv, &want_help,
	                           &want_version)))
		goto out;
	/* Cargo runs a credential provider as `PATH --cargo-plugin`. */
	if (cfg.cargo_plugin && cfg.nargs == 0)
		alias_cmd = "cargo";
	/* `help COMMAND` is `COMMAND --help`. */
	if (!alias_cmd && cfg.nargs > 0 && strcmp(cfg.args[0], "help") == 0) {
		want_help = true;
		cfg.args++;
		cfg.nargs--;
	}
	if (want_help && !git_alias && !alias_cmd && cfg.nargs > 0 &&
	    (cmd = command_find(cfg.args[0]))) {
		command_usage(cmd);
		r = 0;
		goto out;
	}
	if (want_help || (cfg.nargs == 0 && !want_version && !alias_cmd)) {
		usage(git_alias);
		r = want_help ? 0 : CLERK_ECONFIG;
		goto out;
	}
	if (want_version) {
		r = cmd_version(&cfg);
		goto out;
	}
	if (alias_cmd) {
		/* The alias's action stays in args[0] for its command. */
		cmd = command_find(alias_cmd);
	} else {
		cmd = command_find(cfg.args[0]);
		if (!cmd ||
		    (git_alias && cmd->run != gitcmd_get &&
		     cmd->run != gitcmd_store && cmd->run != gitcmd_erase)) {
			/* git may add actions later; a helper ignores them. */
			if (git_alias)
				goto out;
			command_unknown(cfg.args[0]);
			r = CLERK_ECONFIG;
			goto out;
		}
		/* Commands read their own arguments from args[0] on. */
		cfg.args++;
		cfg.nargs--;
	}
	/* doctor loads the config itself: a bad file is one of its checks. */
	if (cmd->run != doctor_run && (r = config_load(&cfg)))
		goto out;
	/* Asking the provider for the account again is a sign-in's. */
	if (cfg.prompt_login && cmd->run != cmd_login) {
		log_error("--switch and --prompt go with `login` only (run "
		          "`clerk-credential login --switch`)");
		r = CLERK_ECONFIG;
		goto out;
	}
	/* logout --all signs out at the issuer each stored set names;
	 * whoami --all shows each profile's, whatever this one lacks. */
	if (cmd->needs_provider &&
	    !((cmd->run == cmd_logout || cmd->run == cmd_whoami) && cfg.all) &&
	    (r = config_require(&cfg)))
		goto out;
	r = cmd->run(&cfg);
out:
	config_release(&cfg);
	return exit_status(r);
}
