/*
 * Unit tests of browser.c. $BROWSER points at tests/data/fake-browser.sh,
 * a fake browser that opens nothing: it records its arguments, where its
 * descriptors 0, 1 and 2 point and its session in $FAKE_BROWSER_LOG. A
 * fake xdg-open in a temporary directory stands in when $BROWSER is
 * unset. The data directory is $CLERK_TEST_DATA, else TEST_DATA_DIR
 * (default: tests/data, from the top of the source tree).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "browser.h"
#include "error.h"

#ifndef TEST_DATA_DIR
#define TEST_DATA_DIR "tests/data"
#endif

#define MAX_ARGS 8
#define LEAK_FD  42
#define LOG_MAX  8192

static char data_dir[PATH_MAX];
static char tmp_dir[] = "/tmp/clerk-browser-test-XXXXXX";
static char log_path[PATH_MAX];
static char xdg_dir[PATH_MAX];
static char xdg_open[PATH_MAX + 16];
static char empty_dir[PATH_MAX];
static char plain_file[PATH_MAX];
static char *saved_path;

struct browser_case {
	const char *name;
	const char *browser; /* $BROWSER ({data}, {tmp}); NULL: unset */
	const char *path;    /* PATH: "xdg", "empty"; NULL: as it is */
	const char *url;
	int want_rc;
	const char *via;     /* "xdg-open" when the fake xdg-open ran */
	bool needs_exec_bit; /* runs fake-browser.sh itself */
	const char *args[MAX_ARGS];
};

#define URL "http://127.0.0.1:4000/oauth/authorize?client_id=c&state=s"
#define NASTY                                                     \
	"https://example.com/a b?q=$(touch /tmp/x)&r=`id`;x|y>z " \
	"'s' \"d\" %s %% \\"
#define FAKE "{data}/fake-browser.sh"

static const struct browser_case cases[] = {
        {"url appended", "sh " FAKE, NULL, URL, 0, "", false, {URL}},
        {"%s replaced",
         "sh " FAKE " --new-window %s --x",
         NULL,
         URL,
         0,
         "",
         false,
         {"--new-window", URL, "--x"}},
        {"%s inside a word",
         "sh " FAKE " --app=%s",
         NULL,
         URL,
         0,
         "",
         false,
         {"--app=" URL}},
        {"%% is a percent",
         "sh " FAKE " 100%% %s",
         NULL,
         URL,
         0,
         "",
         false,
         {"100%", URL}},
        {"lone percent kept",
         "sh " FAKE " 5% %q",
         NULL,
         URL,
         0,
         "",
         false,
         {"5%", "%q", URL}},
        {"blanks split words",
         "  sh \t" FAKE "\t\t-a   -b  ",
         NULL,
         URL,
         0,
         "",
         false,
         {"-a", "-b", URL}},
        {"url is one argument, no shell",
         "sh " FAKE,
         NULL,
         NASTY,
         0,
         "",
         false,
         {NASTY}},
        {"%s in the url is not expanded",
         "sh " FAKE " %s",
         NULL,
         NASTY,
         0,
         "",
         false,
         {NASTY}},
        {"script run directly", FAKE, NULL, URL, 0, "", true, {URL}},
        {"colon list: first that starts",
         "/nonexistent/clerk-no-browser::sh " FAKE " -z",
         NULL,
         URL,
         0,
         "",
         false,
         {"-z", URL}},
        {"unset: xdg-open", NULL, "xdg", URL, 0, "xdg-open", false, {URL}},
        {"blank: xdg-open", " \t ", "xdg", URL, 0, "xdg-open", false, {URL}},
        {"colons only: xdg-open",
         ":: :",
         "xdg",
         URL,
         0,
         "xdg-open",
         false,
         {URL}},

        {"missing browser",
         "/nonexistent/clerk-no-browser",
         NULL,
         URL,
         CLERK_EIO,
         NULL,
         false,
         {NULL}},
        {"not executable",
         "{tmp}/not-executable",
         NULL,
         URL,
         CLERK_EIO,
         NULL,
         false,
         {NULL}},
        {"unset, no xdg-open",
         NULL,
         "empty",
         URL,
         CLERK_EIO,
         NULL,
         false,
         {NULL}},
};

/* @tmpl with {data} and {tmp} replaced, in a static buffer. */
static const char *
expand(const char *tmpl)
{
	static char out[2 * PATH_MAX];
	size_t len = 0;
	const char *rep;
	size_t skip;

	while (*tmpl && len + PATH_MAX + 1 < sizeof(out)) {
		if (strncmp(tmpl, "{data}", 6) == 0) {
			rep = data_dir;
			skip = 6;
		} else if (strncmp(tmpl, "{tmp}", 5) == 0) {
			rep = tmp_dir;
			skip = 5;
		} else {
			out[len++] = *tmpl++;
			continue;
		}
		memcpy(out + len, rep, strlen(rep));
		len += strlen(rep);
		tmpl += skip;
	}
	out[len] = '\0';
	return out;
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static int
group_setup(void **state)
{
	char script[3 * PATH_MAX];
	const char *path = getenv("PATH");
	const char *data = getenv("CLERK_TEST_DATA");

	(void)state;
	if (!data || !*data)
		data = TEST_DATA_DIR;
	if (!realpath(data, data_dir) || strchr(data_dir, '\'')) {
		print_error("cannot use %s: set CLERK_TEST_DATA or run from "
		            "the top of the source tree\n",
		            data);
		return -1;
	}
	if (!mkdtemp(tmp_dir))
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/log", tmp_dir);
	snprintf(xdg_dir, sizeof(xdg_dir), "%s/xdg", tmp_dir);
	snprintf(empty_dir, sizeof(empty_dir), "%s/empty", tmp_dir);
	snprintf(plain_file, sizeof(plain_file), "%s/not-executable", tmp_dir);
	if (mkdir(xdg_dir, 0700) < 0 || mkdir(empty_dir, 0700) < 0)
		return -1;
	/* A fake xdg-open that says it ran and hands over to the fake. */
	snprintf(script, sizeof(script),
	         "#!/bin/sh\n"
	         "FAKE_BROWSER_VIA=xdg-open\n"
	         "export FAKE_BROWSER_VIA\n"
	         "exec /bin/sh '%s/fake-browser.sh' \"$@\"\n",
	         data_dir);
	snprintf(xdg_open, sizeof(xdg_open), "%s/xdg-open", xdg_dir);
	write_file(xdg_open, script, 0700);
	write_file(plain_file, "#!/bin/sh\n", 0600);
	saved_path = strdup(path ? path : "/usr/bin:/bin");
	if (!saved_path || setenv("FAKE_BROWSER_LOG", log_path, 1) < 0)
		return -1;
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (!saved_path)
		return 0;
	unlink(log_path);
	unlink(plain_file);
	unlink(xdg_open);
	rmdir(xdg_dir);
	rmdir(empty_dir);
	rmdir(tmp_dir);
	setenv("PATH", saved_path, 1);
	free(saved_path);
	return 0;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The fake's record, once complete ("end" last), or NULL after 5 s. */
static char *
log_wait(void)
{
	char *buf = calloc(1, LOG_MAX + 1);
	ssize_t n;
	int i, fd;

	assert_non_null(buf);
	for (i = 0; i < 500; i++, sleep_ms(10)) {
		if ((fd = open(log_path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, LOG_MAX);
		close(fd);
		if (n >= 4 && strcmp(buf + n - 4, "end\n") == 0)
			return buf;
		memset(buf, 0, LOG_MAX + 1);
	}
	free(buf);
	return NULL;
}

/* The value of "key=" in the record (first one), or NULL. */
static const char *
log_value(char *rec, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);
	char *line = rec, *nl;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if ((size_t)(nl - line) > klen && line[klen] == '=' &&
		    strncmp(line, key, klen) == 0) {
			snprintf(out, size, "%.*s", (int)(nl - line - klen - 1),
			         line + klen + 1);
			return out;
		}
	}
	return NULL;
}

static void
assert_args(const struct browser_case *c, char *rec)
{
	char *line = rec, *nl;
	size_t n = 0;

	for (; (nl = strchr(line, '\n')); line = nl + 1) {
		if (strncmp(line, "arg=", 4) != 0)
			continue;
		*nl = '\0';
		if (n >= MAX_ARGS || !c->args[n] ||
		    strcmp(line + 4, c->args[n]) != 0)
			fail_msg("%s: argument %zu is \"%s\", want \"%s\"",
			         c->name, n, line + 4,
			         n < MAX_ARGS && c->args[n] ? c->args[n]
			                                    : "(none)");
		*nl = '\n';
		n++;
	}
	if (n < MAX_ARGS && c->args[n])
		fail_msg("%s: %zu arguments, \"%s\" missing", c->name, n,
		         c->args[n]);
}

static void
assert_started_well(const struct browser_case *c, char *rec)
{
	char v[256], pid[32], sid[32];
	const char *fd[] = {"fd0", "fd1", "fd2"};
	long ppid;
	size_t i;

	assert_args(c, rec);
	for (i = 0; i < 3; i++)
		if (!log_value(rec, fd[i], v, sizeof(v)) ||
		    strcmp(v, "/dev/null") != 0)
			fail_msg("%s: %s is \"%s\", want /dev/null", c->name,
			         fd[i], v);
	/* No descriptor of ours but 0, 1 and 2 (where the libc can). */
	assert_non_null(log_value(rec, "fds", v, sizeof(v)));
	snprintf(pid, sizeof(pid), " %d ", LEAK_FD);
	if (strstr(v, pid))
		fail_msg("%s: descriptor %d leaked into the browser (%s)",
		         c->name, LEAK_FD, v);
	/* Its own session: it leads one. */
	assert_non_null(log_value(rec, "pid", pid, sizeof(pid)));
	assert_non_null(log_value(rec, "sid", sid, sizeof(sid)));
	assert_string_equal(pid, sid);
	/* Not our child: adopted once the intermediate child exited. */
	assert_non_null(log_value(rec, "ppid", v, sizeof(v)));
	ppid = strtol(v, NULL, 10);
	assert_true(ppid != (long)getpid());
	assert_non_null(log_value(rec, "via", v, sizeof(v)));
	assert_string_equal(v, c->via);
}

/*
 * browser_open() with our descriptors 0, 1 and 2 on a file, so that a
 * browser that inherited them would not find /dev/null there, and one
 * more open without close-on-exec. What the helper logs meanwhile is
 * copied to stderr afterwards.
 */
static int
open_with_stdio(const char *url)
{
	char out_path[PATH_MAX + 16], buf[4096];
	int saved[3], fd, i, rc;
	ssize_t n;

	snprintf(out_path, sizeof(out_path), "%s/stdio", tmp_dir);
	fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		saved[i] = fcntl(i, F_DUPFD_CLOEXEC, 3);
		assert_true(saved[i] >= 0);
		assert_int_equal(dup2(fd, i), i);
	}
	/* A descriptor without close-on-exec, as a careless module has. */
	assert_int_equal(dup2(fd, LEAK_FD), LEAK_FD);
	rc = browser_open(url);
	close(LEAK_FD);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
	close(fd);
	unlink(out_path);
	return rc;
}

static void
run_case(const struct browser_case *c)
{
	char *rec;
	int rc, st;
	pid_t w;

	unlink(log_path);
	if (c->browser)
		assert_int_equal(setenv("BROWSER", expand(c->browser), 1), 0);
	else
		assert_int_equal(unsetenv("BROWSER"), 0);
	if (c->path)
		setenv("PATH",
		       strcmp(c->path, "xdg") == 0 ? xdg_dir : empty_dir, 1);
	rc = open_with_stdio(c->url);
	setenv("PATH", saved_path, 1);
	if (rc != c->want_rc)
		fail_msg("%s: browser_open gave %d, want %d", c->name, rc,
		         c->want_rc);
	/* No child of ours is left, zombie or alive. */
	w = waitpid(-1, &st, WNOHANG);
	if (w != -1 || errno != ECHILD)
		fail_msg("%s: a child process is left (waitpid: %d)", c->name,
		         (int)w);
	if (rc != 0) {
		sleep_ms(100);
		if (access(log_path, F_OK) == 0)
			fail_msg("%s: something ran", c->name);
		return;
	}
	if (!(rec = log_wait()))
		fail_msg("%s: the fake browser left no record", c->name);
	assert_started_well(c, rec);
	free(rec);
}

static void
test_browser_table(void **state)
{
	char fake[PATH_MAX + 32];
	size_t i;

	(void)state;
	snprintf(fake, sizeof(fake), "%s/fake-browser.sh", data_dir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].needs_exec_bit && access(fake, X_OK) != 0) {
			print_message("skipped \"%s\": %s is not executable\n",
			              cases[i].name, fake);
			continue;
		}
		run_case(&cases[i]);
	}
}

static void
test_browser_too_long(void **state)
{
	char *v = malloc(5001);
	int st;

	(void)state;
	assert_non_null(v);
	memset(v, 'a', 5000);
	v[5000] = '\0';
	assert_int_equal(setenv("BROWSER", v, 1), 0);
	unlink(log_path);
	assert_int_equal(browser_open(URL), CLERK_EIO);
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	unsetenv("BROWSER");
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_browser_table),
	        cmocka_unit_test(test_browser_too_long),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
