/* See paths.h. */
#include "paths.h"

#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "log.h"
#include "util.h"

#include "banned.h"

#define APP "clerk-credential"

static const char *
home_dir(void)
{
	const char *home = getenv("HOME");
	struct passwd *pw;

	if (home && home[0] == '/')
		return home;
	pw = getpwuid(geteuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
}

/* $VAR/clerk-credential when $VAR is an absolute path, else ~/fallback/… */
static int
xdg_path(const char *var, const char *fallback, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	const char *base = getenv(var);
	const char *home;
	int r;

	if (base && base[0] == '/') {
		r = strbuf_addf(&sb, "%s/" APP, base);
	} else if ((home = home_dir())) {
		r = strbuf_addf(&sb, "%s/%s/" APP, home, fallback);
	} else {
		log_error("cannot find a home directory: set HOME or %s", var);
		return CLERK_ECONFIG;
	}
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

int
paths_join(const char *dir, const char *name, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	int r = strbuf_addf(&sb, "%s/%s", dir, name);

	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

int
paths_config_file(char **out)
{
	char *dir = NULL;
	int r = xdg_path("XDG_CONFIG_HOME", ".config", &dir);

	if (!r)
		r = paths_join(dir, "config.json", out);
	free(dir);
	return r;
}

int
paths_state_dir(char **out)
{
	char *dir = NULL;
	int r = xdg_path("XDG_STATE_HOME", ".local/state", &dir);

	if (!r && (r = dir_ensure_private(dir)) == 0) {
		*out = dir;
		return 0;
	}
	free(dir);
	return r;
}

/*
 * A runtime dir to read from must be ours and private too (it may sit in
 * a shared XDG_RUNTIME_DIR where others can create it first); a missing
 * one is fine, its files are then missing as well.
 */
static int
runtime_dir_use(const char *dir, int use)
{
	int r;

	if (use == PATHS_CREATE)
		return dir_ensure_private(dir);
	r = dir_check_private(dir, use == PATHS_QUIET);
	return r == CLERK_ENOTFOUND ? 0 : r;
}

int
paths_runtime_dir(char **out, int use)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *dir = NULL;
	int r;

	if (!rt || rt[0] != '/') {
		if (use == PATHS_CREATE)
			return paths_state_dir(out);
		r = xdg_path("XDG_STATE_HOME", ".local/state", &dir);
	} else {
		r = paths_join(rt, APP, &dir);
	}
	if (!r && (r = runtime_dir_use(dir, use)) == 0) {
		*out = dir;
		return 0;
	}
	free(dir);
	return r;
}

int
paths_key(const struct paths_owner *owner, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	uint64_t h = HASH_FNV1A64_INIT;
	int r;

	h = hash_fnv1a64(owner->issuer ? owner->issuer : "", h);
	h = hash_fnv1a64("\n", h);
	h = hash_fnv1a64(owner->client_id ? owner->client_id : "", h);
	r = strbuf_addf(&sb, "%s-%016llx", owner->profile,
	                (unsigned long long)h);
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

int
paths_key_path(const struct paths_owner *owner, const char *dir,
               const char *prefix, const char *suffix, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	char *key = NULL;
	int r;

	if ((r = paths_key(owner, &key)) ||
	    (r = strbuf_addf(&sb, "%s/%s%s%s", dir, prefix, key, suffix)))
		goto out;
	r = strbuf_detach(&sb, out);
out:
	strbuf_release(&sb);
	free(key);
	return r;
}
