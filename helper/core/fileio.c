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

#include "banned.h"

int
write_all(int fd, const void *data, size_t len, const char *what)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (what)
				log_error("cannot write %s: %s", what,
				          strerror(errno));
			return CLERK_EIO;
		}
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
	if (fchmod(fd, mode) || write_all(fd, data, len, NULL) || fsync(fd)) {
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

/* --- files the user alone controls, links followed ------------------ */

#define TRUST_MAX_LINKS 40

/* Owned by us or by root: nobody else can have written it. */
static bool
owner_trusted(const struct stat *st, uid_t me)
{
	return st->st_uid == me || st->st_uid == 0;
}

/*
 * May @st (an entry looked up on the way to @path, named @name) stand
 * there? Every entry must be owned by us or root. A directory must not
 * be writable by group or others unless it is sticky (/tmp, /nix/store):
 * then others may add names to it but not rename or remove one owned by
 * us or root, which every name looked up in it is. The file read must not
 * be writable by group or others.
 */
static int
entry_check(const char *path, const char *name, const struct stat *st, uid_t me)
{
	const char *what = S_ISDIR(st->st_mode) ? "directory " : "";
	bool self = strcmp(path, name) == 0;

	if (!owner_trusted(st, me)) {
		log_error("refusing %s: %s%s is owned by uid %ld, neither you "
		          "nor root (fix: move it to a directory of yours, or "
		          "have it owned by you)",
		          path, self ? "it" : what, self ? "" : name,
		          (long)st->st_uid);
		return CLERK_EPERM;
	}
	if ((st->st_mode & 022) && !S_ISLNK(st->st_mode) &&
	    !(S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX))) {
		log_error("refusing %s: %s%s is writable by group or others "
		          "(mode %03o; fix with: chmod go-w %s)",
		          path, self ? "it" : what, self ? "" : name,
		          (unsigned)(st->st_mode & 0777), name);
		return CLERK_EPERM;
	}
	return 0;
}

/* "@a/@b" (or "/@b" when @a is "/") into @out of PATH_MAX bytes. */
static int
join_into(char *out, const char *a, const char *b, size_t blen)
{
	size_t alen = strcmp(a, "/") == 0 ? 0 : strlen(a);

	if (alen + 1 + blen >= PATH_MAX)
		return -1;
	memmove(out, a, alen);
	out[alen] = '/';
	memcpy(out + alen + 1, b, blen);
	out[alen + 1 + blen] = '\0';
	return 0;
}

/*
 * lstat() @name, met on the way to @path: CLERK_ENOTFOUND (no message)
 * when it is missing, CLERK_EIO with a message for another failure.
 */
static int
look(const char *path, const char *name, struct stat *st)
{
	if (lstat(name, st) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return CLERK_ENOTFOUND;
	log_error("cannot read %s: %s: %s", path, name, strerror(errno));
	return CLERK_EIO;
}

/* Where a resolution is: the real directory reached, what is left. */
struct walk {
	char real[PATH_MAX];
	char rest[PATH_MAX];
	size_t pos;
	int links;
	struct stat st; /* of real, then of the last name looked up */
};

/*
 * The link @name (in w->real) was met: what is left becomes its target
 * followed by the rest, from w->real or from "/".
 */
static int
walk_link(const char *path, const char *name, struct walk *w)
{
	char target[PATH_MAX];
	size_t left = strlen(w->rest + w->pos);
	ssize_t n = readlink(name, target, sizeof(target));

	if (++w->links > TRUST_MAX_LINKS || n <= 0 ||
	    (size_t)n >= sizeof(target) ||
	    (size_t)n + 1 + left >= sizeof(w->rest)) {
		log_error("cannot follow %s: too many or too long symbolic "
		          "links",
		          path);
		return CLERK_EPERM;
	}
	memmove(w->rest + n, w->rest + w->pos, left + 1);
	memcpy(w->rest, target, (size_t)n);
	w->pos = 0;
	if (target[0] == '/')
		memcpy(w->real, "/", 2);
	return look(path, w->real, &w->st);
}

/* Take the next name of w->rest; 1 when none is left. */
static int
walk_step(const char *path, struct walk *w, uid_t me)
{
	char next[PATH_MAX];
	const char *name;
	size_t n;
	int r;

	while (w->rest[w->pos] == '/')
		w->pos++;
	if (!w->rest[w->pos])
		return 1;
	name = w->rest + w->pos;
	n = strcspn(name, "/");
	w->pos += n;
	if (n == 1 && name[0] == '.')
		return 0;
	if (n == 2 && name[0] == '.' && name[1] == '.') {
		char *slash = strrchr(w->real, '/');

		slash[slash == w->real ? 1 : 0] = '\0';
		return look(path, w->real, &w->st);
	}
	if (!S_ISDIR(w->st.st_mode))
		return CLERK_ENOTFOUND;
	if (join_into(next, w->real, name, n)) {
		log_error("cannot read %s: path too long", path);
		return CLERK_EIO;
	}
	if ((r = look(path, next, &w->st)) ||
	    (r = entry_check(path, next, &w->st, me)))
		return r;
	if (S_ISLNK(w->st.st_mode))
		return walk_link(path, next, w);
	memcpy(w->real, next, strlen(next) + 1);
	return 0;
}

/*
 * Resolve @path as realpath() does, one name at a time, checking every
 * directory looked in and every entry met with entry_check() (a link's
 * directory counts too: whoever can write it chooses the target). The
 * walk ends with w->real the file reached and w->st its lstat.
 * CLERK_ENOTFOUND (no message) when a name on the way is missing.
 */
static int
resolve_trusted(const char *path, struct walk *w)
{
	char cwd[PATH_MAX];
	uid_t me = geteuid();
	int r;

	w->pos = 0;
	w->links = 0;
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)) ||
		    join_into(w->rest, cwd, path, strlen(path)))
			goto too_long;
	} else if (strlen(path) < sizeof(w->rest)) {
		memcpy(w->rest, path, strlen(path) + 1);
	} else {
		goto too_long;
	}
	memcpy(w->real, "/", 2);
	if ((r = look(path, "/", &w->st)) ||
	    (r = entry_check(path, "/", &w->st, me)))
		return r;
	while ((r = walk_step(path, w, me)) == 0)
		;
	return r == 1 ? 0 : r;
too_long:
	log_error("cannot read %s: path too long", path);
	return CLERK_EIO;
}

int
file_stat_trusted(const char *path, struct stat *st)
{
	if (stat(path, st) || !S_ISREG(st->st_mode) ||
	    !owner_trusted(st, geteuid()) || (st->st_mode & 022))
		return -1;
	return 0;
}

/* Open the regular file that the walk @w reached for @path. */
static int
open_reached(const char *path, const struct walk *w, int *fd_out,
             struct stat *st)
{
	int fd, r = 0;

	if (!S_ISREG(w->st.st_mode)) {
		log_error("refusing %s: not a regular file", path);
		return CLERK_EPERM;
	}
	if ((fd = open_nonblock(w->real)) < 0) {
		log_error("cannot open %s: %s", path, strerror(errno));
		return CLERK_EIO;
	}
	/* Only we or root could have changed it since: still, the same? */
	if (fstat(fd, st) || st->st_dev != w->st.st_dev ||
	    st->st_ino != w->st.st_ino || !S_ISREG(st->st_mode) ||
	    (r = entry_check(path, path, st, geteuid()))) {
		if (!r)
			log_error("cannot read %s: it changed while it was "
			          "checked (try again)",
			          path);
		close(fd);
		return r ? r : CLERK_EIO;
	}
	*fd_out = fd;
	return 0;
}

int
file_open_trusted(const char *path, int *fd_out, struct stat *st)
{
	struct walk w;
	int r = resolve_trusted(path, &w);

	if (r == 0)
		r = open_reached(path, &w, fd_out, st);
	if (r == CLERK_ENOTFOUND) {
		if (lstat(path, st) && (errno == ENOENT || errno == ENOTDIR))
			return CLERK_ENOTFOUND;
		log_error("cannot read %s: it is a symbolic link to a file "
		          "that does not exist (fix the link, or remove it)",
		          path);
		return CLERK_EIO;
	}
	return r;
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
file_read_fresh(const char *path, int64_t max_age, size_t max, char **out,
                size_t *len)
{
	int64_t now = time_now();
	struct stat st;

	if (lstat(path, &st) || !S_ISREG(st.st_mode) ||
	    (max_age && ((int64_t)st.st_mtime > now ||
	                 now - (int64_t)st.st_mtime >= max_age)))
		return CLERK_ENOTFOUND;
	return file_read_private(path, max, out, len);
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
