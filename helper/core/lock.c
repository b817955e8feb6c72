/* See lock.h. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

static int
lock_path(const struct config *cfg, char **out)
{
	char *dir = NULL;
	int r;

	if ((r = paths_state_dir(&dir)) == 0)
		r = config_key_path(cfg, dir, "", ".lock", out);
	free(dir);
	return r;
}

/*
 * Open (or create) the lock file @path: never blocking (a FIFO there is
 * refused, not waited on), and only a regular file of ours.
 */
static int
lock_open(const char *path, int *fd_out)
{
	struct stat st;
	int fd = open(path,
	              O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK,
	              0600);

	if (fd < 0) {
		log_error("cannot open lock file %s: %s", path,
		          strerror(errno));
		return CLERK_EIO;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		log_error("refusing lock file %s: not a regular file of yours "
		          "(remove it)",
		          path);
		close(fd);
		return CLERK_EPERM;
	}
	*fd_out = fd;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
lock_acquire(const struct config *cfg, int timeout_s, int *fd_out)
{
	char *path = NULL;
	int64_t deadline, start;
	struct timespec nap;
	long wait_ms = 5;
	bool said = false;
	int fd, r;

	if ((r = lock_path(cfg, &path)))
		return r;
	if ((r = lock_open(path, &fd))) {
		free(path);
		return r;
	}
	start = now_ms();
	deadline = start + (int64_t)timeout_s * 1000;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			log_error("cannot lock %s: %s", path, strerror(errno));
			r = CLERK_EIO;
			goto fail;
		}
		if (!said) {
			log_debug("waiting for another clerk-credential "
			          "process (lock %s)",
			          path);
			said = true;
		}
		if (now_ms() >= deadline) {
			log_error("gave up after %d s waiting for another "
			          "clerk-credential process to finish signing "
			          "in (lock %s; raise --timeout, or stop the "
			          "other process)",
			          timeout_s, path);
			r = CLERK_ETIMEOUT;
			goto fail;
		}
		nap.tv_sec = 0;
		nap.tv_nsec = wait_ms * 1000000L;
		nanosleep(&nap, NULL);
		if (wait_ms < 50)
			wait_ms += 5;
	}
	if (said)
		log_debug("lock taken after %lld ms",
		          (long long)(now_ms() - start));
	free(path);
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	free(path);
	return r;
}

void
lock_release(int fd)
{
	if (fd >= 0)
		close(fd);
}
