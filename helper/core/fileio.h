/*
 * Files that hold secrets or state.
 *
 * MUST: write through a temporary file in the same directory, fsync it,
 * rename it over the old one and fsync the directory, so a crash leaves
 * the old file or the new one, never a torn one. MUST NOT: follow a
 * symbolic link at the final path component, or trust a file that others
 * can read or that someone else owns.
 */
#ifndef CLERK_FILEIO_H
#define CLERK_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/*
 * Write all @len bytes at @data to @fd, through short writes and EINTR.
 * 0, or CLERK_EIO (errno says why) with "cannot write @what: why" on
 * stderr; no message when @what is NULL.
 *
 * Example (a protocol's answer):
 *	r = write_all(STDOUT_FILENO, out.buf, out.len, "the answer");
 */
int write_all(int fd, const void *data, size_t len, const char *what);

/*
 * Atomically replace @path with @len bytes at @data, created with @mode.
 * Temporary files of @path left by killed writers (dead pids) are removed
 * first, so they never pile up.
 */
int file_write_atomic(const char *path, const void *data, size_t len,
                      mode_t mode);

/*
 * Read a regular file of at most @max bytes into a new NUL-terminated
 * buffer (free with secret_free). CLERK_ENOTFOUND when it does not exist
 * (no message); CLERK_EPROTO when larger than @max.
 */
int file_read_limited(const char *path, size_t max, char **out, size_t *len);

/*
 * The two halves of file_read_limited(), for a caller that looks at the
 * file between them: open @path, a regular file and not a symbolic link,
 * into *@fd with its fstat in *@st (CLERK_ENOTFOUND when it does not
 * exist, no message); then read the rest of @fd (a file, or stdin), named
 * @path in messages. The open never blocks: a FIFO or a device in the
 * file's place is refused (CLERK_EPERM), not waited on.
 */
int file_open_regular(const char *path, int *fd, struct stat *st);
int file_read_fd(int fd, const char *path, size_t max, char **out, size_t *len);

/*
 * Open @path, a file that may come from others' hands only through root,
 * as ssh and doas check theirs: symbolic links are followed (dotfile
 * managers make them), and every directory looked in on the way (also
 * those holding a link) and every entry met must be owned by you or
 * root; a directory must not be writable by group or others unless it is
 * sticky (/tmp), and the file reached must be a regular file not writable
 * by group or others. Else CLERK_EPERM with a message that says what to
 * fix. CLERK_ENOTFOUND (no message) when nothing is at @path; a link to
 * nothing is an error. Never blocks (see file_open_regular()).
 */
int file_open_trusted(const char *path, int *fd, struct stat *st);

/*
 * The part of file_open_trusted() that one stat() checks: @path (links
 * followed) is a regular file owned by you or root and not writable by
 * group or others. 0, or -1 with no message; *@st gets the stat.
 */
int file_stat_trusted(const char *path, struct stat *st);

/*
 * Like file_read_limited(), but the file must be ours and not readable or
 * writable by group or others; else CLERK_EPERM with a message that says
 * how to fix it.
 */
int file_read_private(const char *path, size_t max, char **out, size_t *len);

/*
 * A cache file (discovery, keys, resource metadata): file_read_private()
 * of @path when it is a regular file (a link is not followed) whose
 * modification time lies within the last @max_age seconds, not ahead of
 * the clock; @max_age 0 takes any age. CLERK_ENOTFOUND when it is
 * missing, not a regular file or stale.
 */
int file_read_fresh(const char *path, int64_t max_age, size_t max, char **out,
                    size_t *len);

/* Remove @path; a missing file is fine. */
int file_remove(const char *path);

/*
 * Create directory @path (and missing parents) with mode 0700. An
 * existing @path must be a directory we own with no group/other access,
 * else CLERK_EPERM with a message.
 */
int dir_ensure_private(const char *path);

/*
 * Check that the existing directory @path is ours with no group/other
 * access, as dir_ensure_private() does, without creating it:
 * CLERK_ENOTFOUND (no message) when it does not exist, CLERK_EPERM or
 * CLERK_EIO (with a message unless @quiet) when it cannot be trusted.
 */
int dir_check_private(const char *path, bool quiet);

#endif
