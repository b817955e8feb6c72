/*
 * A compiled config file: what the JSON config file says for every
 * profile, kept in the runtime dir in a form a cache hit maps instead of
 * parsing the JSON (contract §15: a cache hit stays flat with 10 000 hosts
 * over 100 profiles). One index per config file answers for every
 * profile: it holds one record per view, the top level (record 0, the
 * view of a profile without a section) and each section of "profiles"
 * in file order, each with its effective key/value pairs (the section
 * over the top level), and every host list of the file (the top level's
 * and each section's own) in one hash table of (pattern, owner), so that
 * a host is looked up in a few probes, for the host rule of one view as
 * for the claims of all sections (routing, config.h).
 *
 * MUST: an index answers only for the file it was compiled from: it
 * records that file's path, device, inode, size and nanosecond mtime and
 * ctime, and is ignored when any differ. MUST NOT: be written for a file
 * changed within the last two seconds (a later write in the same clock
 * tick could leave all of those unchanged). MUST: bound every offset read
 * from the index; a bad index is ignored, never trusted. MUST: be written
 * only for a file read through file_open_trusted() (fileio.h), whose check
 * a current index then stands for: the recorded inode and change time
 * cannot stay the same through a chmod, a chown or a write. MUST: hold
 * only checked values: a record whose view did not pass the checks is
 * marked so (its profile is then read from the JSON, which says why),
 * and a file with a malformed host list in any section is not indexed.
 * The index holds no secret.
 *
 * Example:
 *	if (cfgindex_open(path, &st, &idx) == 0) {
 *		rec = cfgindex_find(idx, profile);
 *		for (i = 0; i < cfgindex_npairs(idx, rec); i++)
 *			cfgindex_pair(idx, rec, i, &key, &value);
 *		allowed = cfgindex_match(idx, rec, "git.example.com:443");
 *		n = cfgindex_claimants(idx, "git.corp.example", who, 2);
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

/* One record to compile: the top level's view, or a section's. */
struct cfgindex_record {
	const char *profile; /* section name; NULL for the top level */
	bool viewable;       /* its view passed the checks (else no pairs) */
	const char *const *keys;
	const char *const *values; /* strings, numbers as decimal text */
	size_t npairs;
	bool own_hosts;           /* it lists "hosts" (record 0: the file) */
	const char *const *hosts; /* its own valid host patterns, in order */
	size_t nhosts;
};

/* What to compile: every view of a parsed config file. */
struct cfgindex_src {
	const char *config_path;
	const struct stat *st; /* the config file's when it was read */
	const struct cfgindex_record *records; /* [0]: the top level */
	size_t nrecords;
};

/*
 * Write the index of @src to the runtime dir (created when missing).
 * Best effort: a file changed in the last seconds, or since @src->st was
 * taken, is not indexed (a debug line says so); a failure to write is
 * logged like any file write but is not an error. 0 or CLERK_ENOMEM.
 */
int cfgindex_write(const struct cfgindex_src *src);

/*
 * Map the index of @config_path (whose stat is @st). CLERK_ENOTFOUND
 * when there is none, or it is stale, foreign or malformed.
 */
int cfgindex_open(const char *config_path, const struct stat *st,
                  struct cfgindex **out);

/* Check @len bytes at @data as an index (no file, no staleness check). */
int cfgindex_parse(const void *data, size_t len, struct cfgindex **out);

void cfgindex_close(struct cfgindex *idx);

/* Records: 0 is the top level, then the sections in file order. */
size_t cfgindex_nrecords(const struct cfgindex *idx);

/* The section name of record @rec ("" for the top level), or NULL. */
const char *cfgindex_record_name(const struct cfgindex *idx, size_t rec);

/* The record of @profile's view: its section's, else 0 (none has one). */
size_t cfgindex_find(const struct cfgindex *idx, const char *profile);

/* Did record @rec's view pass the checks (its pairs can be used)? */
bool cfgindex_viewable(const struct cfgindex *idx, size_t rec);

size_t cfgindex_npairs(const struct cfgindex *idx, size_t rec);

/* Pair @i of record @rec; -1 when the index is malformed there. */
int cfgindex_pair(const struct cfgindex *idx, size_t rec, size_t i,
                  const char **key, const char **value);

/* Does record @rec's view have a host list (its own or the top level's)? */
bool cfgindex_has_hosts(const struct cfgindex *idx, size_t rec);
size_t cfgindex_nhosts(const struct cfgindex *idx, size_t rec);

/* Host pattern @i of @rec's view's list in file order, or NULL. */
const char *cfgindex_host(const struct cfgindex *idx, size_t rec, size_t i);

/* How many patterns record @rec's own section lists (0 for record 0). */
size_t cfgindex_nclaims(const struct cfgindex *idx, size_t rec);

/*
 * True when a pattern of @rec's view's list matches @host
 * (host_pattern_match()), found through the hash table: the exact host,
 * then each "*.suffix".
 */
bool cfgindex_match(const struct cfgindex *idx, size_t rec, const char *host);

/*
 * The sections (records other than 0) whose own host list matches @host:
 * the first @max of them in file order, as record numbers in @out.
 * Returns how many that is: a @max of 2 tells none, one and two apart.
 */
size_t cfgindex_claimants(const struct cfgindex *idx, const char *host,
                          size_t *out, size_t max);

#endif
