/* See cmdrun.h. */
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

#include "cache.h"
#include "cmdrun.h"
#include "error.h"
#include "tmptree.h"
#include "util.h"

static char home[] = "/tmp/clerk-test-cmd-XXXXXX";
static struct config cfg;
static bool have_cfg;
static char *argv_copy[16];

static int
setdir(const char *var, const char *sub)
{
	char path[sizeof(home) + 32];
	int n = snprintf(path, sizeof(path), "%s/%s", home, sub);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -1;
	if (mkdir(path, 0700) != 0)
		return -1;
	return setenv(var, path, 1);
}

int
cmdrun_setup(const char *hosts)
{
	if (!mkdtemp(home))
		return -1;
	if (setenv("HOME", home, 1) || setdir("XDG_RUNTIME_DIR", "run") ||
	    setdir("XDG_STATE_HOME", "state") ||
	    setdir("XDG_CONFIG_HOME", "config") ||
	    setdir("XDG_CACHE_HOME", "cache"))
		return -1;
	setenv("CLERK_ISSUER", CMDRUN_ISSUER, 1);
	setenv("CLERK_OAUTH_CLIENT_ID", CMDRUN_CLIENT, 1);
	setenv("CLERK_CREDENTIAL_STORAGE", "file", 1);
	setenv("CLERK_CREDENTIAL_INTERACTIVE", "0", 1);
	unsetenv("CLERK_CREDENTIAL_HOSTS");
	if (hosts)
		setenv("CLERK_CREDENTIAL_HOSTS", hosts, 1);
	unsetenv("KUBERNETES_EXEC_INFO");
	unsetenv("DOCKER_CONFIG");
	unsetenv("BROWSER");
	setenv("DBUS_SESSION_BUS_ADDRESS", "", 1);
	return 0;
}

static void
config_drop(void)
{
	if (have_cfg)
		config_release(&cfg);
	have_cfg = false;
}

int
cmdrun_teardown(void)
{
	config_drop();
	return tmptree_remove(home);
}

const char *
cmdrun_home(void)
{
	return home;
}

struct config *
cmdrun_config(const char *const *args)
{
	bool help = false, version = false;
	int argc = 1;

	config_drop();
	argv_copy[0] = (char *)"clerk-credential";
	for (; args && args[argc - 1]; argc++) {
		assert_true(argc < 15);
		argv_copy[argc] = (char *)args[argc - 1];
	}
	argv_copy[argc] = NULL;
	config_init(&cfg);
	have_cfg = true;
	assert_int_equal(
	        config_parse_args(&cfg, argc, argv_copy, &help, &version), 0);
	assert_int_equal(config_load(&cfg), 0);
	return &cfg;
}

void
cmdrun_seed(const struct config *c, const char *token, int64_t expires_at)
{
	assert_int_equal(cache_write(c, token, expires_at), 0);
}

void
cmdrun_unseed(const struct config *c)
{
	int r = cache_drop(c, NULL);

	assert_true(r == 0 || r == CLERK_ENOTFOUND);
}

/* A new empty temporary file, already unlinked. */
static int
tmpfile_fd(void)
{
	char path[] = "/tmp/clerk-test-cmdio-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	return fd;
}

static void
slurp(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
}

int
cmdrun(int (*fn)(struct config *), struct config *c, const char *input,
       const char **out, const char **err)
{
	return cmdrun_bytes(fn, c, input ? input : "",
	                    input ? strlen(input) : 0, out, err);
}

int
cmdrun_bytes(int (*fn)(struct config *), struct config *c, const char *input,
             size_t len, const char **out, const char **err)
{
	static char outbuf[65536], errbuf[65536];
	int in_fd = tmpfile_fd(), out_fd = tmpfile_fd(), err_fd = tmpfile_fd();
	int saved[3] = {dup(0), dup(1), dup(2)};
	int r, i;

	assert_true(saved[0] >= 0 && saved[1] >= 0 && saved[2] >= 0);
	assert_int_equal(pwrite(in_fd, input, len, 0), (ssize_t)len);
	fflush(stdout);
	fflush(stderr);
	dup2(in_fd, 0);
	dup2(out_fd, 1);
	dup2(err_fd, 2);
	r = fn(c);
	fflush(stdout);
	fflush(stderr);
	for (i = 0; i < 3; i++) {
		dup2(saved[i], i);
		close(saved[i]);
	}
	slurp(out_fd, outbuf, sizeof(outbuf));
	slurp(err_fd, errbuf, sizeof(errbuf));
	close(in_fd);
	close(out_fd);
	close(err_fd);
	if (out)
		*out = outbuf;
	if (err)
		*err = errbuf;
	return r;
}
