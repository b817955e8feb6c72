/*
 * Where clerk-credential keeps its files (SPEC 3):
 *   config   $XDG_CONFIG_HOME/clerk-credential/config.json
 *            (default ~/.config/clerk-credential/config.json)
 *   state    $XDG_STATE_HOME/clerk-credential (default ~/.local/state/…)
 *   runtime  $XDG_RUNTIME_DIR/clerk-credential (else the state dir)
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

#endif
