/*
 * `configure git URL`, `configure docker REGISTRY` and their `unconfigure`
 * (contract §2): the caller's tool config and our host list, edited safely.
 *
 * MUST: keep every key of a file we edit; refuse (and leave untouched) a
 * file that is not a JSON object; keep the previous file as FILE.bak;
 * replace files atomically (fileio.h), through a symbolic link to its
 * target; run git with an argument vector, never a shell.
 */
#include "protocols.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "json.h"
#include "log.h"
#include "util.h"

#include "banned.h"

#define CONF_MAX_FILE (4 * 1024 * 1024)
#define HELPER_NAME   "clerk"
/* Our entries among a URL's credential helpers (git's extended regex). */
#define HELPER_PATTERN "^clerk( |$)"

extern char **environ;

/* A JSON file being edited: its path, old bytes and mode. */
struct conf_file {
	char *path; /* the link's target when the path is a link */
	char *orig; /* NULL when the file did not exist */
	size_t orig_len;
	mode_t mode;
	struct json *doc;
};

static void
conf_file_release(struct conf_file *f)
{
	free(f->path);
	free(f->orig);
	json_free(f->doc);
	memset(f, 0, sizeof(*f));
}

/* Create @dir and missing parents, 0700; existing ones are left alone. */
static int
dir_create(const char *dir)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(buf))
		return CLERK_EIO;
	memcpy(buf, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST) {
			log_error("cannot create %s: %s", buf, strerror(errno));
			return CLERK_EIO;
		}
		buf[i] = dir[i];
	}
	return 0;
}

static int
parent_create(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int r;

	if (!slash || slash == path)
		return 0;
	if (!(dir = str_ndup(path, (size_t)(slash - path))))
		return CLERK_ENOMEM;
	r = dir_create(dir);
	free(dir);
	return r;
}

static bool
all_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strchr(" \t\r\n", s[i]))
			return false;
	return true;
}

/* Load @path as a JSON object ({} when absent or empty). */
static int
conf_file_load(const char *path, struct conf_file *f)
{
	struct stat st;
	int r;

	memset(f, 0, sizeof(*f));
	f->mode = 0600;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		f->path = realpath(path, NULL);
	else
		f->path = strdup(path);
	if (!f->path) {
		log_error("cannot resolve %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	if (stat(f->path, &st) == 0)
		f->mode = st.st_mode & 0777;
	r = file_read_limited(f->path, CONF_MAX_FILE, &f->orig, &f->orig_len);
	if (r == CLERK_ENOTFOUND) {
		f->orig = NULL;
		f->doc = json_new_object();
		return f->doc ? 0 : CLERK_ENOMEM;
	}
	if (r)
		return r;
	f->doc = all_blank(f->orig, f->orig_len)
	                 ? json_new_object()
	                 : json_parse(f->orig, f->orig_len);
	if (!json_is_object(f->doc)) {
		log_error("%s is not a valid JSON object: left untouched (fix "
		          "or move it, then run this again)",
		          path);
		return CLERK_ECONFIG;
	}
	return 0;
}

/* Keep the old file as FILE.bak, then replace FILE atomically. */
static int
conf_file_save(struct conf_file *f)
{
	struct strbuf text = STRBUF_INIT, bak = STRBUF_INIT;
	char *printed = NULL;
	int r;

	if ((r = json_print(f->doc, true, &printed)) ||
	    (r = strbuf_adds(&text, printed)) ||
	    (r = strbuf_addch(&text, '\n')) ||
	    (r = strbuf_addf(&bak, "%s.bak", f->path)))
		goto out;
	if ((r = parent_create(f->path)))
		goto out;
	if (f->orig &&
	    (r = file_write_atomic(bak.buf, f->orig, f->orig_len, f->mode)))
		goto out;
	r = file_write_atomic(f->path, text.buf, text.len, f->mode);
out:
	secret_free(printed);
	strbuf_release(&text);
	strbuf_release(&bak);
	return r;
}

/*
 * json_get() hands out nodes for reading; @doc is ours to edit, so its
 * members are too.
 */
static struct json *
member_mut(struct json *obj, const char *key)
{
	return (struct json *)json_get(obj, key);
}

/* @obj's member @key as an object, created when absent. */
static int
object_member(struct json *obj, const char *key, const char *path,
              struct json **out)
{
	struct json *m = member_mut(obj, key);

	if (m && !json_is_object(m)) {
		log_error("%s: key '%s' is not an object: left untouched", path,
		          key);
		return CLERK_ECONFIG;
	}
	if (!m) {
		if (!(m = json_new_object()) || json_add_node(obj, key, m))
			return CLERK_ENOMEM;
	}
	*out = m;
	return 0;
}

/* Add @host to (or drop it from) the array @obj.hosts; *@changed. */
static int
hosts_update(struct json *obj, const char *host, bool add, const char *path,
             bool *changed)
{
	const struct json *old = json_get(obj, "hosts");
	struct json *fresh;
	size_t i, n = old ? json_array_size(old) : 0;
	bool found = false;

	if (old && !json_is_array(old)) {
		log_error("%s: key 'hosts' is not an array: left untouched",
		          path);
		return CLERK_ECONFIG;
	}
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_item(old, i));

		found = found || (s && strcmp(s, host) == 0);
	}
	*changed = add != found;
	if (!*changed)
		return 0;
	if (!(fresh = json_new_array()))
		return CLERK_ENOMEM;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_item(old, i));

		if (s && (add || strcmp(s, host) != 0) &&
		    json_array_add_string(fresh, s)) {
			json_free(fresh);
			return CLERK_ENOMEM;
		}
	}
	if (add && json_array_add_string(fresh, host)) {
		json_free(fresh);
		return CLERK_ENOMEM;
	}
	json_remove(obj, "hosts");
	return json_add_node(obj, "hosts", fresh);
}

/* Our config file's host list (the profile's, for a named profile). */
static int
host_list_edit(const struct config *cfg, const char *host, bool add)
{
	struct conf_file f;
	struct json *target, *profiles;
	bool changed = false, named;
	int r;

	named = strcmp(cfg->profile, CONFIG_DEFAULT_PROFILE) != 0;
	if ((r = conf_file_load(cfg->config_path, &f)))
		goto out;
	target = f.doc;
	if (named &&
	    ((r = object_member(f.doc, "profiles", f.path, &profiles)) ||
	     (r = object_member(profiles, cfg->profile, f.path, &target))))
		goto out;
	if ((r = hosts_update(target, host, add, f.path, &changed)))
		goto out;
	if (changed && (r = conf_file_save(&f)) == 0)
		printf("%s %s %s the host list of %s%s%s\n",
		       add ? "added" : "removed", host, add ? "to" : "from",
		       cfg->config_path, named ? " for profile " : "",
		       named ? cfg->profile : "");
	if (add && (cfg->src_hosts == SRC_ENV || cfg->src_hosts == SRC_OPTION))
		log_warn("the host list from the %s overrides the config "
		         "file's: add %s there too",
		         config_source_name(cfg->src_hosts), host);
out:
	conf_file_release(&f);
	return r;
}

static int
docker_config_path(char **out)
{
	const char *dir = getenv("DOCKER_CONFIG");
	struct strbuf sb = STRBUF_INIT;
	struct passwd *pw;
	int r;

	if (dir && *dir) {
		r = strbuf_addf(&sb, "%s/config.json", dir);
	} else {
		dir = getenv("HOME");
		if ((!dir || dir[0] != '/') && (pw = getpwuid(geteuid())))
			dir = pw->pw_dir;
		if (!dir || dir[0] != '/') {
			log_error("cannot find the docker config: set HOME or "
			          "DOCKER_CONFIG");
			return CLERK_ECONFIG;
		}
		r = strbuf_addf(&sb, "%s/.docker/config.json", dir);
	}
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

/* credHelpers[@key] = "clerk", or drop it when it is ours. */
static int
cred_helpers_update(struct json *doc, const char *key, bool add,
                    const char *path, bool *changed)
{
	struct json *helpers;
	const char *cur;
	int r;

	if ((r = object_member(doc, "credHelpers", path, &helpers)))
		return r;
	cur = json_get_string(helpers, key);
	*changed = add ? !cur || strcmp(cur, HELPER_NAME) != 0
	               : cur && strcmp(cur, HELPER_NAME) == 0;
	if (!*changed)
		return 0;
	if (add && cur)
		log_warn("%s: credHelpers for %s was '%s'; it is now '%s'",
		         path, key, cur, HELPER_NAME);
	json_remove(helpers, key);
	return add ? json_add_string(helpers, key, HELPER_NAME) : 0;
}

static int
docker_edit(const char *key, bool add)
{
	struct conf_file f;
	char *path = NULL;
	bool changed = false;
	int r;

	if ((r = docker_config_path(&path)) || (r = conf_file_load(path, &f)))
		goto out;
	if ((r = cred_helpers_update(f.doc, key, add, f.path, &changed)))
		goto out;
	if (changed && (r = conf_file_save(&f)) == 0)
		printf("%s credHelpers \"%s\": \"%s\" %s %s\n",
		       add ? "set" : "removed", key, HELPER_NAME,
		       add ? "in" : "from", path);
	else if (!changed)
		printf("%s: credHelpers \"%s\" %s\n", path, key,
		       add ? "is clerk already" : "is not clerk; left alone");
out:
	conf_file_release(&f);
	free(path);
	return r;
}

/* Run git with @argv (stdout to our stderr); its exit status or -1. */
static int
run_git(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, err;

	if (posix_spawn_file_actions_init(&fa))
		return -1;
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	err = posix_spawnp(&pid, "git", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		log_error("cannot run git: %s (is git installed?)",
		          strerror(err));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
git_edit(const struct config *cfg, const char *url, bool add)
{
	struct strbuf key = STRBUF_INIT, value = STRBUF_INIT;
	int status, r;

	if ((r = strbuf_addf(&key, "credential.%s.helper", url)) ||
	    (r = strbuf_adds(&value, HELPER_NAME)))
		goto out;
	if (cfg->src_profile != SRC_DEFAULT &&
	    (r = strbuf_addf(&value, " --profile=%s", cfg->profile)))
		goto out;
	if (add) {
		char *argv[] = {"git",           "config", "--global",
		                "--replace-all", key.buf,  value.buf,
		                HELPER_PATTERN,  NULL};

		status = run_git(argv);
	} else {
		char *argv[] = {"git",         "config", "--global",
		                "--unset-all", key.buf,  HELPER_PATTERN,
		                NULL};

		/* 5: nothing of ours was there. */
		if ((status = run_git(argv)) == 5)
			status = 0;
	}
	if (status != 0) {
		log_error("git config --global %s failed (status %d)", key.buf,
		          status);
		r = CLERK_EIO;
		goto out;
	}
	printf("%s git config --global %s%s%s\n", add ? "set" : "removed",
	       key.buf, add ? " " : "", add ? value.buf : "");
out:
	strbuf_release(&key);
	strbuf_release(&value);
	return r;
}

static bool
is_loopback(const char *hostport)
{
	static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i]);
		if (strncmp(hostport, names[i], n) == 0 &&
		    (hostport[n] == '\0' || hostport[n] == ':'))
			return true;
	}
	return false;
}

/* The host of @target, refusing clear text off this machine. */
static int
target_parse(const char *tool, const char *target, struct server_ref *s)
{
	const unsigned char *p;
	bool git = strcmp(tool, "git") == 0;

	for (p = (const unsigned char *)target; *p; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			log_error("configure: '%s' holds a blank or a control "
			          "character",
			          target);
			return CLERK_ECONFIG;
		}
	}
	if (server_ref_parse(target, git, s)) {
		log_error("configure %s: '%s' is not %s", tool, target,
		          git ? "an https URL such as "
		                "https://git.example.com"
		              : "a registry such as registry.example.com");
		return CLERK_ECONFIG;
	}
	if (strcmp(s->scheme, "http") == 0 && !is_loopback(s->host)) {
		log_error("configure %s: refusing '%s': a token never travels "
		          "over plain http off this machine",
		          tool, target);
		return CLERK_ECONFIG;
	}
	return 0;
}

static int
configure_common(struct config *cfg, bool add)
{
	const char *verb = add ? "configure" : "unconfigure";
	struct server_ref s;
	bool git;
	int r;

	if (cfg->nargs != 2 || (strcmp(cfg->args[0], "git") != 0 &&
	                        strcmp(cfg->args[0], "docker") != 0)) {
		log_error("usage: clerk-credential %s git URL | %s docker "
		          "REGISTRY",
		          verb, verb);
		return CLERK_ECONFIG;
	}
	git = strcmp(cfg->args[0], "git") == 0;
	if ((r = target_parse(cfg->args[0], cfg->args[1], &s)))
		return r;
	/* The tool first: when its config is refused, nothing changes. */
	r = git ? git_edit(cfg, cfg->args[1], add) : docker_edit(s.host, add);
	if (!r)
		r = host_list_edit(cfg, s.host, add);
	return r;
}

int
configure_run(struct config *cfg)
{
	return configure_common(cfg, true);
}

int
unconfigure_run(struct config *cfg)
{
	return configure_common(cfg, false);
}
