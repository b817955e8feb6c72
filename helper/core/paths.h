/*
 * Where clerk-credential keeps its files (contract §3):
 *   config   $XDG_CONFIG_HOME/clerk-credential/config.json
 *            (default ~/.config/clerk-credential/config.json)
 *   state    $XDG_STATE_HOME/clerk-credential (default ~/.local/state/…)
 *   runtime  $XDG_RUNTIME_DIR/clerk-credential (else the state dir)
 * and what the files of one token set are called in them (paths_key()).
 * Directories are created 0700 on demand. Results are malloc'd.
 */
#ifndef CLERK_PATHS_H
#define CLERK_PATHS_H

/* The default config file path (not created). */
int paths_config_file(char **out);

/* The state dir, created 0700 when missing. */
int paths_state_dir(char **out);

/* How the runtime dir is used: read from (checked when it exists; the
 * check's message only with PATHS_READ), or written to (created). */
#define PATHS_READ   0
#define PATHS_CREATE 1
#define PATHS_QUIET  2

/*
 * The runtime dir, created 0700 when missing with PATHS_CREATE. Either
 * way an existing one must be ours and private, else CLERK_EPERM.
 */
int paths_runtime_dir(char **out, int use);

/* "<dir>/<name>" into a new string. */
int paths_join(const char *dir, const char *name, char **out);

/*
 * Whose files: the lock, runtime cache, rejection state and discovery
 * cache of a token set are named after its issuer, client id and
 * profile, so two sets never share one.
 */
struct paths_owner {
	const char *issuer;    /* NULL counts as "" */
	const char *client_id; /* NULL counts as "" */
	const char *profile;
};

/*
 * A stable key for @owner: "<profile>-<16 hex>", the hex a hash of the
 * issuer and the client id. The profile keeps the name readable; the
 * hash keeps two issuers or clients apart.
 */
int paths_key(const struct paths_owner *owner, char **out);

/* "<dir>/<prefix><key><suffix>", the key as paths_key() makes it. */
int paths_key_path(const struct paths_owner *owner, const char *dir,
                   const char *prefix, const char *suffix, char **out);

#endif
