/*
 * See browser.h.
 *
 * How no zombie is left: browser_open() forks a short-lived intermediate
 * child that posix_spawnp()s the browser and _exit()s at once with the
 * spawn result as its status, and waits for that child right away. The
 * browser, orphaned, is adopted by init (or the nearest subreaper), which
 * reaps it. Nothing is left for a SIGCHLD handler or a later waitpid(),
 * and no other module's children are touched. Everything that allocates
 * (argument vectors, file actions, attributes) is prepared before fork(),
 * so the intermediate child only calls posix_spawnp() and _exit(), after
 * giving back the user's core-file limit, which main() lowered for
 * itself: posix_spawn cannot set limits, and the browser must not inherit
 * ours. The intermediate child holds a copy of our memory, but it stays
 * non-dumpable (PR_SET_DUMPABLE survives fork, not exec) and execs or
 * exits at once.
 *
 * MUST NOT: use a shell: $BROWSER is split into words here and the URL
 * is always exactly one argument.
 * MUST: start the browser with stdin, stdout and stderr on /dev/null (its
 * output never reaches the protocol on stdout, it cannot read the
 * terminal), in its own session (the terminal's signals are not its),
 * with default signal dispositions, an empty signal mask, the user's
 * core-file limit and, where the C library can, no descriptor of ours but
 * 0, 1 and 2.
 */
/* posix_spawn_file_actions_addclosefrom_np() */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "browser.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "util.h"

#include "banned.h"

extern char **environ;

#define BROWSER_MAX_LEN  4096 /* longest $BROWSER taken */
#define BROWSER_MAX_CMDS 8    /* commands in a colon-separated $BROWSER */

#ifdef __APPLE__
#define BROWSER_DEFAULT "open"
#else
#define BROWSER_DEFAULT "xdg-open"
#endif

struct spawn {
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
};

static void
argv_free(char **argv)
{
	size_t i;

	if (!argv)
		return;
	for (i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
}

/* Append word @w (@n bytes), "%s" replaced by @url and "%%" by '%'. */
static int
word_add(struct strbuf *sb, const char *w, size_t n, const char *url,
         bool *used)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && !r; i++) {
		if (w[i] == '%' && i + 1 < n && w[i + 1] == 's') {
			r = strbuf_adds(sb, url);
			*used = true;
			i++;
		} else if (w[i] == '%' && i + 1 < n && w[i + 1] == '%') {
			r = strbuf_addch(sb, '%');
			i++;
		} else {
			r = strbuf_addch(sb, w[i]);
		}
	}
	return r;
}

/*
 * The argument vector of command @s (@len bytes): its words split on
 * blanks, @url substituted for "%s" or else appended. *@out stays NULL
 * for a command with no words.
 */
static int
argv_build(const char *s, size_t len, const char *url, char ***out)
{
	struct strbuf sb = STRBUF_INIT;
	char **argv;
	size_t i = 0, start, argc = 0;
	bool used = false;
	int r = 0;

	/* At most len / 2 + 1 words, the URL and the NULL. */
	if (!(argv = calloc(len / 2 + 3, sizeof(*argv))))
		return CLERK_ENOMEM;
	while (!r) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		for (start = i; i < len && s[i] != ' ' && s[i] != '\t'; i++)
			;
		if (!(r = word_add(&sb, s + start, i - start, url, &used)))
			r = strbuf_detach(&sb, &argv[argc++]);
	}
	if (!r && argc && !used && !(argv[argc] = strdup(url)))
		r = CLERK_ENOMEM;
	if (r || !argc) {
		argv_free(argv);
		argv = NULL;
	}
	strbuf_release(&sb);
	*out = argv;
	return r;
}

/*
 * The commands to try, in order, into @cmds (NULL-terminated):
 * $BROWSER's colon-separated commands, as xdg-open reads them, or the
 * platform's opener.
 */
static int
commands_build(const char *url, char **cmds[BROWSER_MAX_CMDS + 1])
{
	const char *env = getenv("BROWSER"), *p, *end, *next;
	size_t n = 0, len;
	int r = 0;

	if (env && strlen(env) > BROWSER_MAX_LEN) {
		log_error("cannot start the browser: BROWSER is longer than "
		          "%d bytes (shorten it, or open the URL yourself)",
		          BROWSER_MAX_LEN);
		return CLERK_EIO;
	}
	for (p = env; p && *p && !r && n < BROWSER_MAX_CMDS; p = next) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		next = end ? end + 1 : p + len;
		if ((r = argv_build(p, len, url, &cmds[n])) == 0 && cmds[n])
			n++;
	}
	if (!r && n == 0)
		r = argv_build(BROWSER_DEFAULT, strlen(BROWSER_DEFAULT), url,
		               &cmds[0]);
	return r;
}

static int
spawn_init(struct spawn *sp)
{
	sigset_t none, all;
	short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
	int fd, e;

	if (posix_spawn_file_actions_init(&sp->fa))
		return CLERK_ENOMEM;
	if (posix_spawnattr_init(&sp->attr)) {
		posix_spawn_file_actions_destroy(&sp->fa);
		return CLERK_ENOMEM;
	}
	e = 0;
	for (fd = 0; fd < 3 && !e; fd++)
		e = posix_spawn_file_actions_addopen(
		        &sp->fa, fd, "/dev/null", fd ? O_WRONLY : O_RDONLY, 0);
#if defined(__GLIBC__) && \
        (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	/* A lock file descriptor kept by the browser would hold the lock. */
	if (!e)
		e = posix_spawn_file_actions_addclosefrom_np(&sp->fa, 3);
#endif
#ifdef POSIX_SPAWN_SETSID
	flags |= POSIX_SPAWN_SETSID;
#else
	flags |= POSIX_SPAWN_SETPGROUP;
	if (!e)
		e = posix_spawnattr_setpgroup(&sp->attr, 0);
#endif
	sigemptyset(&none);
	sigfillset(&all);
	if (!e)
		e = posix_spawnattr_setsigmask(&sp->attr, &none);
	if (!e)
		e = posix_spawnattr_setsigdefault(&sp->attr, &all);
	if (!e)
		e = posix_spawnattr_setflags(&sp->attr, flags);
	if (e) {
		posix_spawn_file_actions_destroy(&sp->fa);
		posix_spawnattr_destroy(&sp->attr);
		return CLERK_ENOMEM;
	}
	return 0;
}

static void
spawn_destroy(struct spawn *sp)
{
	posix_spawn_file_actions_destroy(&sp->fa);
	posix_spawnattr_destroy(&sp->attr);
}

/*
 * In the intermediate child: start the first command that can be
 * started. The result is the exit status: 0, or the errno value of the
 * last failure.
 */
static int
spawn_first(char **cmds[], const struct spawn *sp)
{
	pid_t pid;
	int e = ENOENT;
	size_t i;

	for (i = 0; cmds[i]; i++) {
		e = posix_spawnp(&pid, cmds[i][0], &sp->fa, &sp->attr, cmds[i],
		                 environ);
		if (e == 0)
			return 0;
	}
	return e > 0 && e < 256 ? e : EIO;
}

/* Wait for the intermediate child: 0, or the errno value it reports. */
static int
intermediate_reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno == EINTR)
			continue;
		/* SIGCHLD ignored: reaped by the kernel, status unknown. */
		return errno == ECHILD ? 0 : errno;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return EIO;
}

int
browser_open(const char *url)
{
	char **cmds[BROWSER_MAX_CMDS + 1] = {0};
	struct spawn sp;
	bool sp_ok = false;
	pid_t pid;
	int r, e;
	size_t i;

	if ((r = commands_build(url, cmds)) || (r = spawn_init(&sp)))
		goto out;
	sp_ok = true;
	log_debug("starting the browser: %s", cmds[0][0]);
	pid = fork();
	if (pid == 0) {
		core_limit_restore();
		_exit(spawn_first(cmds, &sp));
	}
	if (pid < 0) {
		e = errno;
	} else if ((e = intermediate_reap(pid)) == 0) {
		goto out;
	}
	log_error("cannot start the browser (%s): %s (set BROWSER to a "
	          "browser command, or open the URL yourself)",
	          cmds[0][0], strerror(e));
	r = CLERK_EIO;
out:
	if (sp_ok)
		spawn_destroy(&sp);
	for (i = 0; cmds[i]; i++)
		argv_free(cmds[i]);
	return r;
}
