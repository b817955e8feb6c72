/*
 * A compiled config file: what the JSON config file says for one profile,
 * kept in the runtime dir in a form a cache hit maps instead of parsing
 * the JSON (contract §15: a cache hit stays flat with 10 000 hosts). It holds
 * the profile's effective key/value pairs (the section over the top
 * level) and its host list with a hash table, so that a host is looked
 * up in a few probes.
 *
 * MUST: an index answers only for the file it was compiled from: it
 * records that file's path, device, inode, size and nanosecond mtime and
 * ctime, and the profile, and is ignored when any differ. MUST NOT: be
 * written for a file changed within the last two seconds (a later write
 * in the same clock tick could leave all of those unchanged). MUST:
 * bound every offset read from the index; a bad index is ignored, never
 * trusted. MUST: be written only for a file read through
 * file_open_trusted() (fileio.h), whose check a current index then
 * stands for: the recorded inode and change time cannot stay the same
 * through a chmod, a chown or a write. The index holds no secret.
 *
 * Example:
 *	if (cfgindex_open(path, profile, &st, &idx) == 0) {
 *		for (i = 0; i < cfgindex_npairs(idx); i++)
 *			cfgindex_pair(idx, i, &key, &value);
 *		allowed = cfgindex_match(idx, "git.example.com:443");
 *		cfgindex_close(idx);
 *	}
 */
#ifndef CLERK_CFGINDEX_H
#define CLERK_CFGINDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

struct cfgindex;

/* A config file smaller than this is parsed as it is: no index. */
#define CFGINDEX_MIN_FILE 4096

/* What to compile: one profile's view of a parsed config file. */
struct cfgindex_src {
	const char *config_path;
	const char *profile;
	const struct stat *st; /* the config file's when it was read */
	const char *const *keys;
	const char *const *values; /* strings, numbers as decimal text */
	size_t npairs;
	bool has_hosts;           /* the file names a host list */
	const char *const *hosts; /* valid host patterns, in order */
	size_t nhosts;
};

/*
 * Write the index of @src to the runtime dir (created when missing).
 * Best effort: a file changed in the last seconds, or since @src->st was
 * taken, is not indexed (a debug line says so); a failure to write is
 * logged like any file write but is not an error. 0 or CLERK_ENOMEM.
 */
int cfgindex_write(const struct cfgindex_src *src);

/*
 * Map the index of @config_path (whose stat is @st) for @profile.
 * CLERK_ENOTFOUND when there is none, or it is stale, foreign or
 * malformed.
 */
int cfgindex_open(const char *config_path, const char *profile,
                  const struct stat *st, struct cfgindex **out);

/* Check @len bytes at @data as an index (no file, no staleness check). */
int cfgindex_parse(const void *data, size_t len, struct cfgindex **out);

void cfgindex_close(struct cfgindex *idx);

size_t cfgindex_npairs(const struct cfgindex *idx);

/* Pair @i; -1 when the index is malformed there. */
int cfgindex_pair(const struct cfgindex *idx, size_t i, const char **key,
                  const char **value);

bool cfgindex_has_hosts(const struct cfgindex *idx);
size_t cfgindex_nhosts(const struct cfgindex *idx);

/* Host pattern @i in file order, or NULL when malformed there. */
const char *cfgindex_host(const struct cfgindex *idx, size_t i);

/*
 * True when a pattern of the list matches @host (host_pattern_match()),
 * found through the hash table: the exact host, then each "*.suffix".
 */
bool cfgindex_match(const struct cfgindex *idx, const char *host);

#endif
