/* See fileio.h. */
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "util.h"

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd, r;

	if (!slash)
		return 0;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, path, n);
	dir[n] = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}

/* True when @name is "@base.tmp.<pid>"; *@pid gets the pid. */
static bool
tmp_name_pid(const char *name, const char *base, size_t blen, pid_t *pid)
{
	int64_t v;

	if (strncmp(name, base, blen) != 0 ||
	    !str_starts_with(name + blen, ".tmp.") ||
	    parse_int64(name + blen + 5, 1, INT_MAX, &v))
		return false;
	*pid = (pid_t)v;
	return true;
}

/*
 * Remove the temporary files of @path that writers killed between
 * creating and renaming them left behind (SIGKILL, OOM): each has its
 * own name, so without this they would pile up for good. A file whose
 * pid is alive belongs to a writer at work and stays. Writers of one
 * file are serialised by the profile lock, so a pid reused at this very
 * moment by another writer of the same file cannot happen in practice.
 */
static void
tmp_sweep(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/'), *base;
	struct dirent *de;
	size_t n, blen;
	pid_t pid;
	DIR *d;

	if (!slash)
		return;
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return;
	memcpy(dir, path, n);
	dir[n] = '\0';
	base = slash + 1;
	blen = strlen(base);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		if (!tmp_name_pid(de->d_name, base, blen, &pid) ||
		    pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == 0)
			log_debug("removed %s/%s, left by a killed writer", dir,
			          de->d_name);
	}
	closedir(d);
}

int
file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd = -1, r = CLERK_EIO;
	int n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		log_error("cannot write %s: path too long", path);
		return CLERK_EIO;
	}
	tmp_sweep(path);
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	          mode);
	if (fd < 0) {
		log_error("cannot write %s: %s", tmp, strerror(errno));
		return CLERK_EIO;
	}
	if (fchmod(fd, mode) || write_all(fd, data, len) || fsync(fd)) {
		log_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		log_error("cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		log_error("cannot replace %s: %s", path, strerror(errno));
		goto out;
	}
	if (fsync_parent(path))
		log_debug("fsync of the directory of %s failed: %s", path,
		          strerror(errno));
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r)
		(void)unlink(tmp);
	return r;
}

int
file_read_fd(int fd, const char *path, size_t max, char **out, size_t *len)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char buf[4096];
	ssize_t n;
	int r;

	sb.max = max;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("cannot read %s: %s", path, strerror(errno));
			r = CLERK_EIO;
			goto out;
		}
		if (n == 0)
			break;
		if ((r = strbuf_add(&sb, buf, (size_t)n))) {
			if (r == CLERK_EPROTO)
				log_error("cannot read %s: larger than %zu "
				          "bytes",
				          path, max);
			goto out;
		}
	}
	*len = sb.len;
	r = strbuf_detach(&sb, out);
out:
	secret_wipe(buf, sizeof(buf));
	strbuf_release(&sb);
	return r;
}

/*
 * Open @path read-only without following a link there and without
 * blocking: a FIFO or a device put in a file's place must not hang the
 * caller before fstat() shows what it is. O_NONBLOCK stays set: it
 * changes nothing for the regular files that callers go on to read.
 */
static int
open_nonblock(const char *path)
{
	return open(path,
	            O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
}

int
file_open_regular(const char *path, int *fd_out, struct stat *st)
{
	int fd = open_nonblock(path);

	if (fd < 0) {
		if (errno == ENOENT)
			return CLERK_ENOTFOUND;
		if (errno == ELOOP) {
			log_error("refusing %s: it is a symbolic link", path);
			return CLERK_EPERM;
		}
		log_error("cannot open %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		log_error("refusing %s: not a regular file (remove it)", path);
		close(fd);
		return CLERK_EPERM;
	}
	*fd_out = fd;
	return 0;
}

int
file_read_limited(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	int fd, r;

	if ((r = file_open_regular(path, &fd, &st)))
		return r;
	r = file_read_fd(fd, path, max, out, len);
	close(fd);
	return r;
}

int
file_read_private(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	int fd, r;

	if ((r = file_open_regular(path, &fd, &st)))
		return r;
	if (st.st_uid != geteuid()) {
		log_error("refusing %s: owned by uid %ld, not by you "
		          "(remove it, then sign in again)",
		          path, (long)st.st_uid);
		r = CLERK_EPERM;
	} else if (st.st_mode & 077) {
		log_error("refusing %s: readable or writable by others "
		          "(mode %03o; fix with: chmod 600 %s)",
		          path, (unsigned)(st.st_mode & 0777), path);
		r = CLERK_EPERM;
	} else {
		r = file_read_fd(fd, path, max, out, len);
	}
	close(fd);
	return r;
}

int
file_remove(const char *path)
{
	if (unlink(path) && errno != ENOENT) {
		log_error("cannot remove %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	return 0;
}

int
dir_check_private(const char *path, bool quiet)
{
	struct stat st;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return CLERK_ENOTFOUND;
		if (!quiet)
			log_error("cannot use %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (!quiet)
			log_error("cannot use %s: not a directory (remove it)",
			          path);
		return CLERK_EPERM;
	}
	if (st.st_uid != geteuid()) {
		if (!quiet)
			log_error("refusing %s: owned by uid %ld, not by you "
			          "(remove it; is XDG_RUNTIME_DIR shared?)",
			          path, (long)st.st_uid);
		return CLERK_EPERM;
	}
	if (st.st_mode & 077) {
		if (!quiet)
			log_error("refusing %s: open to others (mode %03o; "
			          "fix with: chmod 700 %s)",
			          path, (unsigned)(st.st_mode & 0777), path);
		return CLERK_EPERM;
	}
	return 0;
}

int
dir_ensure_private(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path), i;

	if (n == 0 || n >= sizeof(buf)) {
		log_error("cannot use directory '%s': bad path", path);
		return CLERK_EIO;
	}
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return dir_check_private(path, false);
	if (errno != ENOENT) {
		log_error("cannot create %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST) {
			log_error("cannot create %s: %s", buf, strerror(errno));
			return CLERK_EIO;
		}
		buf[i] = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		log_error("cannot create %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	return dir_check_private(path, false);
}
