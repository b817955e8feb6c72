/*
 * `doctor`: check a set-up and print, for each problem, the exact fix
 * (contract §17): the config file, the issuer, the clock, the OAuth
 * application, the store, the runtime dir, the host list, and the git,
 * docker, kubectl, Cargo and Terraform configurations. One line per
 * check, or with --json one array of {check, status, detail | problem,
 * fix}.
 *
 * MUST: print no secret (nothing here reads a token; the tools'
 * configurations may hold credentials of their own, so what is read of
 * them is wiped on free and only host names and paths are printed); run
 * git and kubectl from argument vectors, never a shell, with no secret in
 * argv;
 * exit 0 only when no check found a problem. The provider is asked only
 * through the network module's probe (net.h): no sign-in, no token.
 */
#include "doctor.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "hostrule.h"
#include "json.h"
#include "keyring.h"
#include "log.h"
#include "net.h"
#include "paths.h"
#include "store.h"
#include "util.h"

#include "banned.h"

extern char **environ;

#define MAX_CHECKS         24
#define TEXT_MAX           512
#define CHILD_MAX_OUT      (256 * 1024)
#define MAX_SKEW           60 /* seconds, as the ID token checks allow */
#define HOSTS_CHECKED      16
#define GIT_AUTHTYPE_MINOR 46

enum status { ST_OK, ST_PROBLEM, ST_SKIP };

struct check {
	const char *name;
	enum status status;
	char text[TEXT_MAX]; /* detail, or the problem */
	char fix[TEXT_MAX];
};

struct report {
	struct check c[MAX_CHECKS];
	size_t n;
};

static void add(struct report *rep, const char *name, enum status st,
                const char *fix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static void
add(struct report *rep, const char *name, enum status st, const char *fix,
    const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (rep->n == MAX_CHECKS)
		return;
	c = &rep->c[rep->n++];
	c->name = name;
	c->status = st;
	va_start(ap, fmt);
	(void)vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	(void)snprintf(c->fix, sizeof(c->fix), "%s", fix ? fix : "");
}

static const char *
status_name(enum status st)
{
	return st == ST_OK ? "ok" : st == ST_PROBLEM ? "problem" : "skipped";
}

/* --- the config file ---------------------------------------------------- */

/* A file or directory others could change: the fix, else false. */
static bool
lax(const char *path, char *fix, size_t size)
{
	struct stat st;

	if (stat(path, &st) || (st.st_mode & S_ISVTX))
		return false;
	if (st.st_uid != getuid() && st.st_uid != 0) {
		snprintf(fix, size, "chown %u %s", (unsigned)getuid(), path);
		return true;
	}
	if (!(st.st_mode & (S_IWGRP | S_IWOTH)))
		return false;
	snprintf(fix, size, "chmod go-w %s", path);
	return true;
}

/* The file and its directory; 0 when config_load() may be tried. */
static int
check_config_trust(struct report *rep, const char *path)
{
	char fix[TEXT_MAX], *dir, *slash;

	if (lax(path, fix, sizeof(fix))) {
		add(rep, "config", ST_PROBLEM, fix,
		    "%s can be changed by others than you", path);
		return CLERK_EPERM;
	}
	if (!(dir = str_ndup(path, strlen(path))))
		return CLERK_ENOMEM;
	if ((slash = strrchr(dir, '/')) && slash != dir)
		*slash = '\0';
	if (slash && lax(dir, fix, sizeof(fix))) {
		add(rep, "config", ST_PROBLEM, fix,
		    "%s, the directory of %s, can be changed by others than "
		    "you",
		    dir, path);
		free(dir);
		return CLERK_EPERM;
	}
	free(dir);
	return 0;
}

static int
check_config(struct report *rep, struct config *cfg)
{
	char *path = NULL;
	struct stat st;
	int r;

	if (cfg->config_path)
		r = str_set(&path, cfg->config_path);
	else
		r = paths_config_file(&path);
	if (r)
		return r;
	if (stat(path, &st) == 0 && (r = check_config_trust(rep, path))) {
		free(path);
		return r == CLERK_ENOMEM ? r : CLERK_ECONFIG;
	}
	if ((r = config_load(cfg)))
		add(rep, "config", ST_PROBLEM,
		    "correct it as the message above says",
		    "the configuration is refused (%s)", path);
	else if (stat(path, &st) == 0)
		add(rep, "config", ST_OK, NULL, "%s", path);
	else
		add(rep, "config", ST_OK, NULL,
		    "no config file (%s): environment and options only", path);
	free(path);
	return r == CLERK_ENOMEM ? r : r ? CLERK_ECONFIG : 0;
}

/* --- the provider ------------------------------------------------------- */

static void
report_discovery(struct report *rep, const struct config *cfg,
                 const struct net_probe *p)
{
	const char *is = cfg->issuer;

	switch (p->discovery) {
	case 0:
		add(rep, "issuer", ST_OK, NULL, "%s (discovery, TLS)", is);
		return;
	case CLERK_ENET:
		add(rep, "issuer", ST_PROBLEM,
		    "check the issuer URL, DNS, the network and the proxy "
		    "variables (https_proxy, no_proxy)",
		    "%s does not answer", is);
		return;
	case CLERK_ETLS:
		add(rep, "issuer", ST_PROBLEM,
		    "name the CA that signed its certificate with --ca-file "
		    "or \"ca_file\", or correct the host name of the issuer",
		    "TLS with %s failed (the message above says why)", is);
		return;
	case CLERK_ECONFIG:
		add(rep, "issuer", ST_PROBLEM,
		    "set an https issuer URL (http only on 127.0.0.1, [::1], "
		    "localhost) without query or fragment",
		    "the issuer %s is not a usable URL", is);
		return;
	}
	if (p->discovery_status != 200)
		add(rep, "issuer", ST_PROBLEM,
		    "set the issuer to the provider's issuer URL (Clerk: the "
		    "Frontend API URL, https://SLUG.clerk.accounts.dev)",
		    "%s/.well-known/openid-configuration answered HTTP %ld", is,
		    p->discovery_status);
	else if (p->doc_issuer[0] && strcmp(p->doc_issuer, is) != 0)
		add(rep, "issuer", ST_PROBLEM, NULL,
		    "the provider names its issuer \"%s\", not \"%s\"",
		    p->doc_issuer, is);
	else
		add(rep, "issuer", ST_PROBLEM,
		    "check the issuer URL: the provider's discovery document "
		    "must be OpenID Connect's",
		    "the discovery document of %s is unusable", is);
	if (rep->c[rep->n - 1].fix[0] == '\0')
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         "set the issuer to exactly \"%s\"", p->doc_issuer);
}

static void
report_clock(struct report *rep, const struct net_probe *p)
{
	int64_t skew = p->local_date - p->server_date;
	int64_t abs_skew = skew < 0 ? -skew : skew;

	if (!p->server_date || !p->local_date) {
		add(rep, "clock", ST_SKIP, NULL,
		    "the provider sent no Date header");
		return;
	}
	if (abs_skew <= MAX_SKEW) {
		add(rep, "clock", ST_OK, NULL, "within %d s of the provider's",
		    MAX_SKEW);
		return;
	}
	add(rep, "clock", ST_PROBLEM,
	    "set this machine's clock right, e.g. timedatectl set-ntp true",
	    "this clock is %lld s %s the provider's Date header (ID tokens "
	    "allow %d s)",
	    (long long)abs_skew, skew > 0 ? "ahead of" : "behind", MAX_SKEW);
}

static bool
is_redirect_error(const struct net_probe *p)
{
	return strcmp(p->authorize_error, "invalid_redirect_uri") == 0 ||
	       strcmp(p->authorize_error, "redirect_uri_mismatch") == 0 ||
	       strstr(p->authorize_detail, "redirect_uri") ||
	       strstr(p->authorize_detail, "redirect URI");
}

static void
report_refusal(struct report *rep, const struct config *cfg,
               const struct net_probe *p)
{
	if (p->refused_scope[0])
		add(rep, "application", ST_PROBLEM, NULL,
		    "the OAuth application may not ask for the scope %s",
		    p->refused_scope);
	else if (strcmp(p->authorize_error, "invalid_scope") == 0)
		add(rep, "application", ST_PROBLEM,
		    "allow these scopes for the application at the provider, "
		    "or set \"scopes\" to the ones it allows",
		    "the OAuth application refuses the scopes \"%s\"",
		    cfg->scopes);
	else if (is_redirect_error(p))
		add(rep, "application", ST_PROBLEM,
		    config_fixed_port(cfg)
		            ? "add this redirect URI to the OAuth application "
		              "at the provider"
		            : "add http://127.0.0.1/callback (any port) to the "
		              "OAuth application's redirect URIs at the "
		              "provider; one with a fixed port also needs "
		              "\"callback_port\"",
		    "the OAuth application refuses the redirect URI %s",
		    p->redirect_uri);
	else if (strcmp(p->authorize_error, "invalid_client") == 0 ||
	         strcmp(p->authorize_error, "unauthorized_client") == 0)
		add(rep, "application", ST_PROBLEM,
		    "check \"client_id\"; the application must be a public "
		    "client allowed the authorization code grant with PKCE",
		    "the provider refuses the client id %s (%s)",
		    cfg->client_id, p->authorize_error);
	else
		add(rep, "application", ST_PROBLEM,
		    "check the OAuth application's settings at the provider",
		    "the provider refuses the authorization request: HTTP %ld "
		    "%s %s",
		    p->authorize_status,
		    p->authorize_error[0] ? p->authorize_error : "(no error)",
		    p->authorize_detail);
	if (p->refused_scope[0])
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         strcmp(p->refused_scope, "offline_access") == 0
		                 ? "allow offline_access (refresh tokens) for "
		                   "the OAuth application at the provider, or "
		                   "leave it out of \"scopes\" (a sign-in each "
		                   "time the access token expires)"
		                 : "allow the scope %s for the OAuth "
		                   "application at the provider, or leave it "
		                   "out of \"scopes\"",
		         p->refused_scope);
}

static void
report_application(struct report *rep, const struct config *cfg,
                   const struct net_probe *p)
{
	if (p->authorize == 0)
		add(rep, "application", ST_OK, NULL,
		    "accepts the redirect URI %s and the scopes \"%s\"",
		    p->redirect_uri, cfg->scopes);
	else if (p->authorize == CLERK_EPROVIDER)
		report_refusal(rep, cfg, p);
	else
		add(rep, "application", ST_PROBLEM,
		    "check the network and the authorization_endpoint of the "
		    "discovery document",
		    "the authorization endpoint gave no usable answer");
}

static int
check_provider(struct report *rep, const struct config *cfg)
{
	const struct net_api *net;
	struct net_probe p;
	int r;

	if (!cfg->issuer || !cfg->client_id) {
		add(rep, !cfg->issuer ? "issuer" : "application", ST_PROBLEM,
		    !cfg->issuer ? "set \"issuer\" in the config file, "
		                   "CLERK_ISSUER or --issuer (Clerk: the "
		                   "Frontend API URL)"
		                 : "set \"client_id\" in the config file, "
		                   "CLERK_OAUTH_CLIENT_ID or --client-id",
		    "no %s is set", !cfg->issuer ? "issuer" : "client id");
		return 0;
	}
	if ((r = net_load(&net))) {
		add(rep, "issuer", ST_PROBLEM,
		    "reinstall clerk-credential (the message above names the "
		    "file)",
		    "the network module cannot be loaded");
		return 0;
	}
	if ((r = net->probe(cfg, &p)))
		return r;
	report_discovery(rep, cfg, &p);
	if (p.discovery_status)
		report_clock(rep, &p);
	if (p.discovery == 0)
		report_application(rep, cfg, &p);
	return 0;
}

/* --- the store and the runtime dir -------------------------------------- */

static void
check_private_dir(struct report *rep, const char *name, const char *dir)
{
	int r = dir_check_private(dir, true);

	if (r == 0 || r == CLERK_ENOTFOUND)
		add(rep, name, ST_OK, NULL, "%s%s", dir,
		    r ? " (made when first needed)" : "");
	else
		add(rep, name, ST_PROBLEM,
		    "chmod 700 DIR if it is yours; else remove it",
		    "%s is not a private directory of yours", dir);
	if (r && r != CLERK_ENOTFOUND)
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         "chmod 700 %s if it is yours; else remove it", dir);
}

static int
check_file_store(struct report *rep, const struct config *cfg)
{
	struct strbuf name = STRBUF_INIT;
	char *dir = NULL, *file = NULL;
	struct stat st;
	int r;

	if ((r = strbuf_addf(&name, "tokens-%s.json", cfg->profile)))
		return r;
	if ((r = paths_state_dir(&dir)) == 0 &&
	    (r = paths_join(dir, name.buf, &file)) == 0) {
		if (lstat(file, &st) == 0 &&
		    (!S_ISREG(st.st_mode) || (st.st_mode & 077) ||
		     st.st_uid != getuid()))
			add(rep, "store", ST_PROBLEM, NULL,
			    "the token file %s is not a private file of yours",
			    file);
		else
			add(rep, "store", ST_OK, NULL, "file store in %s", dir);
	} else if (r == CLERK_EPERM) {
		add(rep, "store", ST_PROBLEM, NULL,
		    "the state directory is not a private directory of yours");
		r = 0;
	}
	if (!r && rep->c[rep->n - 1].status == ST_PROBLEM)
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         file ? "chmod 600 %s (or remove it: a new sign-in "
		                "makes it again)"
		              : "chmod 700 the directory the message above "
		                "names%s",
		         file ? file : "");
	free(dir);
	strbuf_release(&name);
	free(file);
	return r;
}

static int
check_store(struct report *rep, const struct config *cfg)
{
	const struct keyring_api *kr;
	char *why = NULL;
	int r = CLERK_ENOTFOUND;

	if (cfg->storage == STORAGE_MEMORY) {
		add(rep, "store", ST_OK, NULL, "memory (this process only)");
		return 0;
	}
	if (cfg->storage == STORAGE_FILE)
		return check_file_store(rep, cfg);
	if (!store_session_bus())
		why = strdup(KEYRING_NO_BUS);
	else if ((r = keyring_module_load(&kr)) == 0)
		r = kr->probe(cfg->storage == STORAGE_KEYRING ? 3000 : 500,
		              &why);
	else
		why = strdup("the keyring module cannot be loaded");
	if (r == 0)
		add(rep, "store", ST_OK, NULL,
		    "keyring (a Secret Service answers)");
	else if (cfg->storage == STORAGE_KEYRING)
		add(rep, "store", ST_PROBLEM,
		    "start a Secret Service (e.g. gnome-keyring-daemon) in "
		    "your D-Bus session, or set \"storage\" to \"file\"",
		    "the keyring cannot be reached: %s", why ? why : "");
	free(why);
	if (r == 0 || cfg->storage == STORAGE_KEYRING)
		return 0;
	return check_file_store(rep, cfg);
}

static int
check_runtime(struct report *rep)
{
	const char *rt = getenv("XDG_RUNTIME_DIR");
	char *dir = NULL;
	int r;

	if (!rt || rt[0] != '/') {
		add(rep, "runtime dir", ST_PROBLEM,
		    "log in through a session that sets XDG_RUNTIME_DIR (or "
		    "set it to a private directory that is emptied at boot)",
		    "XDG_RUNTIME_DIR is not set: cached access tokens go to "
		    "the state directory and outlive a reboot");
		return 0;
	}
	if ((r = paths_join(rt, "clerk-credential", &dir)))
		return r;
	check_private_dir(rep, "runtime dir", dir);
	free(dir);
	return 0;
}

/* --- the tools ---------------------------------------------------------- */

/*
 * Run @argv (looked up in PATH, no shell; stdin and stderr /dev/null)
 * and collect its stdout, up to CHILD_MAX_OUT. 0 and *@out (free it with
 * secret_free(): a git helper string may hold anything) when it ran and
 * exited 0; CLERK_ENOTFOUND when it could not start or failed.
 */
static int
run_capture(char *const argv[], char **out)
{
	posix_spawn_file_actions_t fa;
	struct strbuf sb = STRBUF_INIT_SECRET;
	int fds[2], status = 0, r = 0;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return CLERK_EIO;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
	                                 O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
	                                 O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	while (pid > 0 && (n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0)
			break;
		if (!r && sb.len + (size_t)n <= CHILD_MAX_OUT)
			r = strbuf_add(&sb, buf, (size_t)n);
	}
	secret_wipe(buf, sizeof(buf));
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		r = r ? r : CLERK_ENOTFOUND;
	if (!r && !sb.buf)
		r = strbuf_adds(&sb, "");
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

/* How many listed hosts the tools are asked about. */
static size_t
hosts_checked(const struct config *cfg)
{
	return cfg->nhosts < HOSTS_CHECKED ? cfg->nhosts : HOSTS_CHECKED;
}

/* "https://HOST/" for host pattern @pat ("*." stands for a sub-domain). */
static int
host_url(const char *pat, struct strbuf *sb)
{
	strbuf_reset(sb);
	return strbuf_addf(sb, "https://%s%s/",
	                   str_starts_with(pat, "*.") ? "doctor" : "",
	                   str_starts_with(pat, "*.") ? pat + 1 : pat);
}

static bool
names_us(const char *s)
{
	return s && strstr(s, "clerk");
}

long
doctor_git_version(const char *text)
{
	const char *p;
	long v = -1;
	int64_t major, minor;
	char num[16];
	size_t n;

	if ((p = strstr(text, "version ")) != NULL) {
		p += 8;
		n = strspn(p, "0123456789");
		if (n > 0 && n < sizeof(num) && p[n] == '.') {
			memcpy(num, p, n);
			num[n] = '\0';
			if (parse_int64(num, 0, 999, &major) == 0) {
				p += n + 1;
				n = strspn(p, "0123456789");
				memcpy(num, p, n < sizeof(num) ? n : 0);
				num[n < sizeof(num) ? n : 0] = '\0';
				if (parse_int64(num, 0, 999, &minor) == 0)
					v = (long)(major * 1000 + minor);
			}
		}
	}
	return v;
}

static long
git_version(void)
{
	char *argv[] = {"git", "--version", NULL};
	char *out = NULL;
	long v;

	if (run_capture(argv, &out))
		return -1;
	v = doctor_git_version(out);
	secret_free(out);
	return v;
}

/*
 * Whether a request for @host gets an answer (contract §18): the host
 * list of the profile in use allows it, or, with no profile named, a
 * profile's section claims it.
 */
static bool
host_served(const struct config *cfg, const char *scheme, const char *host)
{
	char *claimant = NULL;
	bool served;

	if (config_host_allowed(cfg, scheme, host))
		return true;
	if (cfg->src_profile != SRC_DEFAULT)
		return false;
	served = host_protocol_allowed(scheme, host) &&
	         config_claimant(cfg, host, &claimant) == 0;
	free(claimant);
	return served;
}

/*
 * A git helper entry "credential.URL.helper VALUE" that runs this helper
 * for a host the host list does not allow (a --host in the helper
 * string adds hosts: such an entry is left alone): its host in @host.
 */
static bool
git_entry_stray(const struct config *cfg, const char *line, struct strbuf *host)
{
	const char *key_end = strchr(line, ' '), *url, *h, *end;
	struct strbuf scheme = STRBUF_INIT;
	bool stray = false;

	if (!key_end || !names_us(key_end) || strstr(key_end, "--host") ||
	    !str_starts_with(line, "credential.") ||
	    !(h = strstr(line, "://")) || h > key_end)
		return false;
	url = line + strlen("credential.");
	h += 3;
	end = h + strcspn(h, "/ ");
	if (end - h > 7 && strncmp(end - 7, ".helper", 7) == 0 && *end == ' ')
		end -= 7;
	strbuf_reset(host);
	if (!strbuf_add(&scheme, url, (size_t)(h - 3 - url)) &&
	    !strbuf_adds(host, *h == '*' ? "doctor" : "") &&
	    !strbuf_add(host, *h == '*' ? h + 1 : h,
	                (size_t)(end - h) - (*h == '*')))
		stray = !host_served(cfg, scheme.buf, host->buf);
	strbuf_release(&scheme);
	return stray;
}

bool
doctor_git_stray(const struct config *cfg, char *text, struct strbuf *host)
{
	char *line, *nl;

	for (line = text; *line; line = nl ? nl + 1 : "") {
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (git_entry_stray(cfg, line, host))
			return true;
	}
	return false;
}

/* The first git helper entry of ours for a host not in the list. */
static int
git_stray(struct report *rep, const struct config *cfg)
{
	char *argv[] = {"git", "config", "--get-regexp",
	                "^credential\\..+\\.helper$", NULL};
	struct strbuf host = STRBUF_INIT;
	char *out = NULL;
	int found;

	if (run_capture(argv, &out))
		return 0;
	found = doctor_git_stray(cfg, out, &host);
	if (found) {
		add(rep, "git", ST_PROBLEM, NULL,
		    "git runs this helper for %s, which is not in the host "
		    "list",
		    host.buf);
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         "add %s to \"hosts\" in the config file", host.buf);
	}
	strbuf_release(&host);
	secret_free(out);
	return found;
}

/* How many listed hosts git sends to this helper; the first it does not. */
static int
git_coverage(const struct config *cfg, size_t *ours, struct strbuf *missing)
{
	char *argv[] = {"git", "config", "--get-urlmatch", "credential.helper",
	                NULL,  NULL};
	struct strbuf url = STRBUF_INIT;
	char *out = NULL;
	size_t i;
	int r = 0;

	*ours = 0;
	for (i = 0; i < hosts_checked(cfg) && !r; i++) {
		if ((r = host_url(config_host(cfg, i), &url)))
			break;
		argv[4] = url.buf;
		if (run_capture(argv, &out) == 0 && names_us(out))
			(*ours)++;
		else if (!missing->len)
			r = strbuf_adds(missing, url.buf);
		secret_free(out);
		out = NULL;
	}
	strbuf_release(&url);
	return r;
}

static void
git_version_report(struct report *rep, const struct config *cfg, long v)
{
	long major = v / 1000, minor = v % 1000;
	bool sends = v >= 2000 + GIT_AUTHTYPE_MINOR;

	if (!sends && cfg->authtype == AUTHTYPE_BEARER)
		add(rep, "git version", ST_PROBLEM,
		    "install git 2.46 or later, or set \"authtype\" to \"auto\"",
		    "git %ld.%ld does not send capability[]=authtype, so "
		    "authtype=bearer never applies",
		    major, minor);
	else
		add(rep, "git version", ST_OK, NULL, "git %ld.%ld %s", major,
		    minor,
		    sends ? "sends capability[]=authtype (Bearer when the "
		            "server asks for it)"
		          : "does not send authtype: tokens go as a password "
		            "(2.46 or later sends Bearer)");
}

/* Which listed hosts git sends to this helper. */
static int
git_hosts(struct report *rep, const struct config *cfg)
{
	struct strbuf missing = STRBUF_INIT;
	size_t ours = 0;
	int r;

	if (cfg->nhosts == 0) {
		add(rep, "git", ST_SKIP, NULL, "no hosts are listed");
		return 0;
	}
	if ((r = git_coverage(cfg, &ours, &missing)))
		goto out;
	if (ours == 0)
		add(rep, "git", ST_SKIP, NULL,
		    "no listed host uses this helper (clerk-credential "
		    "configure git %s sets one up)",
		    missing.buf);
	else if (missing.len)
		add(rep, "git", ST_OK, NULL,
		    "listed hosts using this helper: %zu of %zu; not %s "
		    "(clerk-credential configure git %s)",
		    ours, hosts_checked(cfg), missing.buf, missing.buf);
	else
		add(rep, "git", ST_OK, NULL,
		    "the listed hosts use this helper");
out:
	strbuf_release(&missing);
	return r;
}

static int
check_git(struct report *rep, const struct config *cfg)
{
	long v = git_version();
	int r = 0;

	if (v < 0) {
		add(rep, "git", ST_SKIP, NULL, "git is not installed");
		return 0;
	}
	if (git_stray(rep, cfg) == 0)
		r = git_hosts(rep, cfg);
	if (!r)
		git_version_report(rep, cfg, v);
	return r;
}

/* A file's text, or NULL when it cannot be read (bounded). */
static char *
read_text(const char *path)
{
	char *text = NULL;
	size_t len;

	if (file_read_limited(path, CHILD_MAX_OUT, &text, &len))
		return NULL;
	return text;
}

/* $VAR/rel, else ~/home_rel, into *@out. */
static int
tool_path(const char *var, const char *rel, const char *home_rel, char **out)
{
	const char *v = getenv(var), *home = getenv("HOME");
	struct strbuf sb = STRBUF_INIT;
	int r;

	if (v && *v)
		r = rel ? strbuf_addf(&sb, "%s/%s", v, rel)
		        : strbuf_adds(&sb, v);
	else
		r = strbuf_addf(&sb, "%s/%s", home ? home : "", home_rel);
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

/* A credHelpers entry of ours for a registry no profile answers. */
static int
docker_stray(const struct config *cfg, const struct json *helpers, char **stray)
{
	const struct json *m;
	const char *key;

	for (m = helpers ? json_first_member(helpers) : NULL; m;
	     m = json_next_member(m)) {
		key = json_member_key(m);
		if (!names_us(json_string_value(m)) || strchr(key, '/') ||
		    host_served(cfg, "https", key))
			continue;
		return str_set(stray, key);
	}
	return 0;
}

int
doctor_docker_read(const struct config *cfg, const char *text, size_t len,
                   struct doctor_docker *out)
{
	struct json *doc;
	const struct json *helpers;
	size_t i;
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!(doc = json_parse(text, len)) || !json_is_object(doc))
		goto out;
	out->object = true;
	helpers = json_get(doc, "credHelpers");
	if ((r = docker_stray(cfg, helpers, &out->stray)) || out->stray)
		goto out;
	for (i = 0; i < hosts_checked(cfg); i++)
		if (names_us(json_get_string(doc, "credsStore")) ||
		    (helpers &&
		     names_us(json_get_string(helpers, config_host(cfg, i)))))
			out->ours++;
out:
	json_free(doc);
	return r;
}

void
doctor_docker_release(struct doctor_docker *d)
{
	free(d->stray);
	d->stray = NULL;
}

static int
check_docker(struct report *rep, const struct config *cfg)
{
	struct doctor_docker d = {0};
	char *path = NULL, *text = NULL;
	int r;

	if ((r = tool_path("DOCKER_CONFIG", "config.json",
	                   ".docker/config.json", &path)))
		return r;
	if (!(text = read_text(path))) {
		add(rep, "docker", ST_SKIP, NULL, "no %s", path);
		goto out;
	}
	if ((r = doctor_docker_read(cfg, text, strlen(text), &d)))
		goto out;
	if (!d.object) {
		add(rep, "docker", ST_PROBLEM, NULL, "%s is not a JSON object",
		    path);
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         "correct %s (docker refuses it too)", path);
	} else if (d.stray) {
		add(rep, "docker", ST_PROBLEM, NULL,
		    "docker runs this helper for %s, which is not in the host "
		    "list",
		    d.stray);
		snprintf(rep->c[rep->n - 1].fix, TEXT_MAX,
		         "add %s to \"hosts\" in the config file", d.stray);
	} else if (d.ours)
		add(rep, "docker", ST_OK, NULL,
		    "listed hosts using this helper: %zu of %zu", d.ours,
		    hosts_checked(cfg));
	else
		add(rep, "docker", ST_SKIP, NULL,
		    "no listed host uses this helper (clerk-credential "
		    "configure docker REGISTRY sets one up)");
out:
	doctor_docker_release(&d);
	secret_free(text);
	free(path);
	return r;
}

bool
doctor_kube_ours(const char *text, size_t len)
{
	const struct json *users, *u;
	struct json *doc;
	size_t i;
	bool ours = false;

	if ((doc = json_parse(text, len)) && (users = json_get(doc, "users")) &&
	    json_is_array(users))
		for (i = 0; i < json_array_size(users) && !ours; i++) {
			u = json_get(json_array_item(users, i), "user");
			u = u ? json_get(u, "exec") : NULL;
			ours = u && names_us(json_get_string(u, "command"));
		}
	json_free(doc);
	return ours;
}

static int
check_kubectl(struct report *rep)
{
	char *argv[] = {"kubectl", "config", "view", "-o", "json", NULL};
	char *out = NULL;
	bool ours;

	if (run_capture(argv, &out)) {
		add(rep, "kubectl", ST_SKIP, NULL,
		    "kubectl is not installed or has no configuration");
		return 0;
	}
	ours = doctor_kube_ours(out, strlen(out));
	if (ours)
		add(rep, "kubectl", ST_OK, NULL,
		    "a kubeconfig user runs this helper");
	else
		add(rep, "kubectl", ST_SKIP, NULL,
		    "no kubeconfig user runs this helper (README, kubectl)");
	secret_free(out);
	return 0;
}

bool
doctor_text_names_us(char *text, const char *key)
{
	char *line, *p;
	bool ours = false;

	for (line = text; line && *line && !ours; line = p ? p + 1 : NULL) {
		if ((p = strchr(line, '\n')))
			*p = '\0';
		ours = strstr(line, key) && names_us(line) &&
		       line[strspn(line, " \t")] != '#';
	}
	return ours;
}

/* A text config (Cargo's TOML, Terraform's HCL): a line naming us. */
static int
check_text_config(struct report *rep, const char *name, const char *var,
                  const char *rel, const char *home_rel, const char *key)
{
	char *path = NULL, *text = NULL;
	bool ours;
	int r;

	if ((r = tool_path(var, rel, home_rel, &path)))
		return r;
	if (!(text = read_text(path))) {
		add(rep, name, ST_SKIP, NULL, "no %s", path);
		free(path);
		return 0;
	}
	ours = doctor_text_names_us(text, key);
	if (ours)
		add(rep, name, ST_OK, NULL, "%s names this helper", path);
	else
		add(rep, name, ST_SKIP, NULL,
		    "%s does not name this helper (README, %s)", path, name);
	secret_free(text);
	free(path);
	return 0;
}

static void
check_hosts(struct report *rep, const struct config *cfg)
{
	if (cfg->nhosts == 0)
		add(rep, "hosts", ST_PROBLEM,
		    "name the hosts in \"hosts\" of the config file, "
		    "CLERK_CREDENTIAL_HOSTS or --host (clerk-credential "
		    "configure git URL adds one)",
		    "no host may receive a token: the host list is empty");
	else if (cfg->nhosts == 1)
		add(rep, "hosts", ST_OK, NULL, "%s", config_host(cfg, 0));
	else
		add(rep, "hosts", ST_OK, NULL, "%s and %zu more",
		    config_host(cfg, 0), cfg->nhosts - 1);
}

static int
check_tools(struct report *rep, const struct config *cfg)
{
	int r;

	check_hosts(rep, cfg);
	if ((r = check_git(rep, cfg)) || (r = check_docker(rep, cfg)) ||
	    (r = check_kubectl(rep)))
		return r;
	if ((r = check_text_config(rep, "cargo", "CARGO_HOME", "config.toml",
	                           ".cargo/config.toml",
	                           "credential-provider")))
		return r;
	return check_text_config(rep, "terraform", "TF_CLI_CONFIG_FILE", NULL,
	                         ".terraformrc", "credentials_helper");
}

/* --- output ------------------------------------------------------------- */

static int
print_text(const struct report *rep)
{
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct check *c = &rep->c[i];

		if (c->status == ST_PROBLEM)
			printf("problem: %s: %s; fix: %s\n", c->name, c->text,
			       c->fix);
		else
			printf("%s: %s: %s\n",
			       c->status == ST_OK ? "ok" : "skip", c->name,
			       c->text);
	}
	return 0;
}

static int
print_json(const struct report *rep)
{
	struct json *arr = json_new_array(), *o;
	char *text = NULL;
	size_t i;
	int r = arr ? 0 : CLERK_ENOMEM;

	for (i = 0; !r && i < rep->n; i++) {
		const struct check *c = &rep->c[i];
		bool bad = c->status == ST_PROBLEM;

		o = json_new_object();
		r = json_array_add_node(arr, o);
		if (!r)
			r = json_add_string(o, "check", c->name);
		if (!r)
			r = json_add_string(o, "status",
			                    status_name(c->status));
		if (!r)
			r = json_add_string(o, bad ? "problem" : "detail",
			                    c->text);
		if (!r && bad)
			r = json_add_string(o, "fix", c->fix);
	}
	if (!r && (r = json_print(arr, false, &text)) == 0)
		printf("%s\n", text);
	secret_free(text);
	json_free(arr);
	return r;
}

int
doctor_run(struct config *cfg)
{
	struct report *rep = calloc(1, sizeof(*rep));
	size_t i;
	int r;

	if (!rep)
		return CLERK_ENOMEM;
	if (cfg->nargs > 0) {
		log_error("doctor takes no argument, not '%s' (see "
		          "clerk-credential doctor --help)",
		          cfg->args[0]);
		free(rep);
		return CLERK_ECONFIG;
	}
	r = check_config(rep, cfg);
	if (r == 0 && (r = check_provider(rep, cfg)) == 0 &&
	    (r = check_store(rep, cfg)) == 0 && (r = check_runtime(rep)) == 0)
		r = check_tools(rep, cfg);
	else if (r == CLERK_ECONFIG)
		r = check_runtime(rep);
	if (r == 0 || r == CLERK_ECONFIG) {
		r = cfg->json ? print_json(rep) : print_text(rep);
		for (i = 0; !r && i < rep->n; i++)
			if (rep->c[i].status == ST_PROBLEM)
				r = CLERK_EPROVIDER;
		if (fflush(stdout))
			r = CLERK_EIO;
	}
	free(rep);
	return r;
}
