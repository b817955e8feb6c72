/*
 * See cfgindex.h.
 *
 * The file, in this machine's byte order (it never leaves the machine):
 * a header, the pairs (two string offsets each), the host entries in file
 * order, the hash buckets, then the strings, each NUL-terminated. Opening
 * checks the header and that every table lies inside the file, so a cache
 * hit touches a few pages however long the host list is; each offset is
 * checked again where it is followed.
 */
#include "cfgindex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fileio.h"
#include "hostrule.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

#define INDEX_MAGIC "CLKCIDX\n"
/* 2: written only for a file that passed file_open_trusted(). */
#define INDEX_VERSION 2
#define INDEX_MAX     (64u << 20)
/* Newer files may still change within their clock tick (see the .h). */
#define INDEX_SETTLE_NS (2 * 1000000000LL)

/* Which file, in which state: what a change to it changes. */
struct file_id {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
};

struct index_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	struct file_id file;            /* the config file compiled */
	uint32_t path_off, profile_off; /* strings */
	uint32_t npairs, pairs_off;     /* npairs × {key, value} strings */
	uint32_t has_hosts, nhosts;
	uint32_t entries_off; /* nhosts × struct index_entry */
	uint32_t nbuckets;    /* 0 or a power of two */
	uint32_t buckets_off; /* nbuckets × (entry + 1, 0: empty) */
	uint32_t strings_off, strings_len;
	uint32_t total; /* the file's size */
};

/* A host pattern; its key is the host part, without a leading '*'. */
struct index_entry {
	uint32_t pattern;   /* string */
	uint32_t key_start; /* in the pattern */
	uint32_t key_len;
	uint32_t next; /* next entry + 1 in the bucket, 0: end */
};

struct cfgindex {
	const unsigned char *data;
	size_t len;
	bool mapped;
	const struct index_header *h;
	const uint32_t *pairs;
	const struct index_entry *entries;
	const uint32_t *buckets;
	const char *strings;
};

/* FNV-1a 32 of @n bytes at @s, ASCII letters folded to lower case. */
static uint32_t
key_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

static void
file_id_of(const struct stat *st, struct file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (uint64_t)st->st_dev;
	id->ino = (uint64_t)st->st_ino;
	id->size = (uint64_t)st->st_size;
	id->mtime_sec = (int64_t)st->st_mtim.tv_sec;
	id->mtime_nsec = (int64_t)st->st_mtim.tv_nsec;
	id->ctime_sec = (int64_t)st->st_ctim.tv_sec;
	id->ctime_nsec = (int64_t)st->st_ctim.tv_nsec;
}

static bool
file_id_equal(const struct file_id *a, const struct stat *st)
{
	struct file_id b;

	file_id_of(st, &b);
	return memcmp(a, &b, sizeof(b)) == 0;
}

static int
index_path(const char *config_path, const char *profile, int use, char **out)
{
	char name[128], *dir = NULL;
	int n, r;

	n = snprintf(name, sizeof(name), "config-%016llx-%s.index",
	             (unsigned long long)hash_fnv1a64(config_path,
	                                              HASH_FNV1A64_INIT),
	             profile);
	if (n < 0 || (size_t)n >= sizeof(name))
		return CLERK_EINTERNAL;
	if ((r = paths_runtime_dir(&dir, use)))
		return r;
	r = paths_join(dir, name, out);
	free(dir);
	return r;
}

/* --- writing --------------------------------------------------------- */

struct index_build {
	struct strbuf strings;
	uint32_t *pairs;
	struct index_entry *entries;
	uint32_t *buckets;
	uint32_t nbuckets;
};

static int
add_string(struct index_build *b, const char *s, uint32_t *off)
{
	size_t n = strlen(s) + 1;

	if (b->strings.len > INDEX_MAX || n > INDEX_MAX - b->strings.len)
		return CLERK_EPROTO;
	*off = (uint32_t)b->strings.len;
	return strbuf_add(&b->strings, s, n);
}

static int
build_hosts(struct index_build *b, const struct cfgindex_src *src)
{
	size_t i, start, len;
	uint32_t slot;
	int r;

	b->nbuckets = 0;
	if (src->nhosts > UINT32_MAX / 4)
		return CLERK_EPROTO;
	if (src->nhosts)
		for (b->nbuckets = 1; b->nbuckets < 2 * src->nhosts;)
			b->nbuckets *= 2;
	b->entries = calloc(src->nhosts ? src->nhosts : 1, sizeof(*b->entries));
	b->buckets = calloc(b->nbuckets ? b->nbuckets : 1, sizeof(*b->buckets));
	if (!b->entries || !b->buckets)
		return CLERK_ENOMEM;
	for (i = 0; i < src->nhosts; i++) {
		struct index_entry *e = &b->entries[i];

		if ((r = add_string(b, src->hosts[i], &e->pattern)))
			return r;
		host_pattern_key(src->hosts[i], &start, &len);
		e->key_start = (uint32_t)start;
		e->key_len = (uint32_t)len;
		slot = key_hash(src->hosts[i] + start, len) & (b->nbuckets - 1);
		e->next = b->buckets[slot];
		b->buckets[slot] = (uint32_t)i + 1;
	}
	return 0;
}

static int
build_pairs(struct index_build *b, const struct cfgindex_src *src)
{
	size_t i;
	int r;

	if (!(b->pairs = calloc(2 * src->npairs + 1, sizeof(*b->pairs))))
		return CLERK_ENOMEM;
	for (i = 0; i < src->npairs; i++)
		if ((r = add_string(b, src->keys[i], &b->pairs[2 * i])) ||
		    (r = add_string(b, src->values[i], &b->pairs[2 * i + 1])))
			return r;
	return 0;
}

/* The header of @b for @src, with the layout of the tables. */
static int
build_header(struct index_header *h, const struct index_build *b,
             const struct cfgindex_src *src)
{
	uint64_t off = sizeof(*h);

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, INDEX_MAGIC, sizeof(h->magic));
	h->version = INDEX_VERSION;
	h->header_size = sizeof(*h);
	file_id_of(src->st, &h->file);
	h->npairs = (uint32_t)src->npairs;
	h->pairs_off = (uint32_t)off;
	off += 2 * src->npairs * sizeof(uint32_t);
	h->has_hosts = src->has_hosts;
	h->nhosts = (uint32_t)src->nhosts;
	h->entries_off = (uint32_t)off;
	off += src->nhosts * sizeof(struct index_entry);
	h->nbuckets = b->nbuckets;
	h->buckets_off = (uint32_t)off;
	off += (uint64_t)b->nbuckets * sizeof(uint32_t);
	h->strings_off = (uint32_t)off;
	h->strings_len = (uint32_t)b->strings.len;
	off += b->strings.len;
	if (off > INDEX_MAX)
		return CLERK_EPROTO;
	h->total = (uint32_t)off;
	return 0;
}

static int
build_file(const struct cfgindex_src *src, struct strbuf *out)
{
	struct index_build b = {STRBUF_INIT, NULL, NULL, NULL, 0};
	struct index_header h;
	uint32_t path_off, profile_off;
	int r;

	if ((r = add_string(&b, src->config_path, &path_off)) ||
	    (r = add_string(&b, src->profile, &profile_off)) ||
	    (r = build_pairs(&b, src)) || (r = build_hosts(&b, src)) ||
	    (r = build_header(&h, &b, src)))
		goto out;
	h.path_off = path_off;
	h.profile_off = profile_off;
	if ((r = strbuf_add(out, &h, sizeof(h))) ||
	    (r = strbuf_add(out, b.pairs,
	                    2 * src->npairs * sizeof(*b.pairs))) ||
	    (r = strbuf_add(out, b.entries,
	                    src->nhosts * sizeof(*b.entries))) ||
	    (r = strbuf_add(out, b.buckets, b.nbuckets * sizeof(*b.buckets))))
		goto out;
	r = strbuf_add(out, b.strings.buf, b.strings.len);
out:
	strbuf_release(&b.strings);
	free(b.pairs);
	free(b.entries);
	free(b.buckets);
	return r;
}

static int64_t
ns_of(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* Changed so recently that a change to come could leave its stat alone? */
static bool
too_new(const struct stat *st)
{
	struct timespec now;
	int64_t changed = ns_of(&st->st_mtim);

	if (ns_of(&st->st_ctim) > changed)
		changed = ns_of(&st->st_ctim);
	if (clock_gettime(CLOCK_REALTIME, &now))
		return true;
	return ns_of(&now) - changed < INDEX_SETTLE_NS;
}

int
cfgindex_write(const struct cfgindex_src *src)
{
	struct strbuf sb = STRBUF_INIT;
	struct file_id read;
	struct stat now;
	char *path = NULL;
	int r;

	if (too_new(src->st)) {
		log_debug("%s changed in the last seconds: not indexed yet",
		          src->config_path);
		return 0;
	}
	/* Index only what was read: the file did not change meanwhile. */
	file_id_of(src->st, &read);
	if (stat(src->config_path, &now) || !file_id_equal(&read, &now)) {
		log_debug("%s changed while read: not indexed",
		          src->config_path);
		return 0;
	}
	r = build_file(src, &sb);
	if (!r)
		r = index_path(src->config_path, src->profile, PATHS_CREATE,
		               &path);
	if (!r && (r = file_write_atomic(path, sb.buf, sb.len, 0600)) == 0)
		log_debug("indexed %s for profile %s in %s", src->config_path,
		          src->profile, path);
	free(path);
	strbuf_release(&sb);
	return r == CLERK_ENOMEM ? r : 0;
}

/* --- reading --------------------------------------------------------- */

/* Does [off, off + n × size) lie within @len bytes? */
static bool
table_fits(uint64_t len, uint32_t off, uint64_t n, uint64_t size)
{
	return off <= len && n <= (len - off) / size;
}

int
cfgindex_parse(const void *data, size_t len, struct cfgindex **out)
{
	const struct index_header *h = data;
	struct cfgindex *idx;

	if (len < sizeof(*h) || len > INDEX_MAX ||
	    memcmp(h->magic, INDEX_MAGIC, sizeof(h->magic)) != 0 ||
	    h->version != INDEX_VERSION || h->header_size != sizeof(*h) ||
	    h->total != len ||
	    !table_fits(len, h->pairs_off, 2ull * h->npairs, 4) ||
	    !table_fits(len, h->entries_off, h->nhosts,
	                sizeof(struct index_entry)) ||
	    !table_fits(len, h->buckets_off, h->nbuckets, 4) ||
	    !table_fits(len, h->strings_off, h->strings_len, 1) ||
	    h->strings_len == 0 ||
	    ((const char *)data)[h->strings_off + h->strings_len - 1] ||
	    (h->nbuckets & (h->nbuckets - 1)) || (h->nhosts && !h->nbuckets) ||
	    h->path_off >= h->strings_len || h->profile_off >= h->strings_len ||
	    (h->pairs_off | h->entries_off | h->buckets_off) % 4)
		return CLERK_ENOTFOUND;
	if (!(idx = calloc(1, sizeof(*idx))))
		return CLERK_ENOMEM;
	idx->data = data;
	idx->len = len;
	idx->h = h;
	idx->pairs = (const uint32_t *)(idx->data + h->pairs_off);
	idx->entries = (const struct index_entry *)(idx->data + h->entries_off);
	idx->buckets = (const uint32_t *)(idx->data + h->buckets_off);
	idx->strings = (const char *)idx->data + h->strings_off;
	*out = idx;
	return 0;
}

/* String @off, or NULL out of bounds (the last byte is a NUL). */
static const char *
string_at(const struct cfgindex *idx, uint32_t off)
{
	return off < idx->h->strings_len ? idx->strings + off : NULL;
}

/* Was it compiled from this very file, for this profile? */
static bool
index_current(const struct cfgindex *idx, const char *config_path,
              const char *profile, const struct stat *st)
{
	const struct index_header *h = idx->h;

	return file_id_equal(&h->file, st) &&
	       strcmp(string_at(idx, h->path_off), config_path) == 0 &&
	       strcmp(string_at(idx, h->profile_off), profile) == 0;
}

/* Our own regular file, which nobody else can write, of a sane size. */
static bool
index_file_ok(int fd, size_t *len)
{
	struct stat st;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) ||
	    st.st_size < (off_t)sizeof(struct index_header) ||
	    st.st_size > (off_t)INDEX_MAX)
		return false;
	*len = (size_t)st.st_size;
	return true;
}

int
cfgindex_open(const char *config_path, const char *profile,
              const struct stat *st, struct cfgindex **out)
{
	struct cfgindex *idx = NULL;
	char *path = NULL;
	void *map = MAP_FAILED;
	size_t len = 0;
	int fd = -1, r;

	if ((r = index_path(config_path, profile, PATHS_QUIET, &path)))
		return r;
	/* Not blocking: a FIFO put there must not hang a cache hit. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	r = CLERK_ENOTFOUND;
	if (fd < 0 || !index_file_ok(fd, &len))
		goto out;
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED || (r = cfgindex_parse(map, len, &idx)))
		goto out;
	idx->mapped = true;
	map = MAP_FAILED;
	if (!index_current(idx, config_path, profile, st)) {
		log_debug("%s is stale", path);
		r = CLERK_ENOTFOUND;
		goto out;
	}
	log_debug("config from %s (compiled from %s)", path, config_path);
	*out = idx;
	idx = NULL;
out:
	if (map != MAP_FAILED)
		munmap(map, len);
	cfgindex_close(idx);
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

void
cfgindex_close(struct cfgindex *idx)
{
	if (!idx)
		return;
	if (idx->mapped)
		munmap((void *)idx->data, idx->len);
	free(idx);
}

size_t
cfgindex_npairs(const struct cfgindex *idx)
{
	return idx->h->npairs;
}

int
cfgindex_pair(const struct cfgindex *idx, size_t i, const char **key,
              const char **value)
{
	if (i >= idx->h->npairs ||
	    !(*key = string_at(idx, idx->pairs[2 * i])) ||
	    !(*value = string_at(idx, idx->pairs[2 * i + 1])))
		return -1;
	return 0;
}

bool
cfgindex_has_hosts(const struct cfgindex *idx)
{
	return idx->h->has_hosts != 0;
}

size_t
cfgindex_nhosts(const struct cfgindex *idx)
{
	return idx->h->nhosts;
}

const char *
cfgindex_host(const struct cfgindex *idx, size_t i)
{
	return i < idx->h->nhosts ? string_at(idx, idx->entries[i].pattern)
	                          : NULL;
}

/* Does an entry keyed @key (@n bytes) match @host? */
static bool
probe(const struct cfgindex *idx, const char *key, size_t n, const char *host)
{
	const struct index_header *h = idx->h;
	uint32_t e = idx->buckets[key_hash(key, n) & (h->nbuckets - 1)];
	uint32_t steps;

	/* A well-formed chain visits each entry at most once. */
	for (steps = 0; e && steps < h->nhosts; steps++) {
		const struct index_entry *ent;
		const char *pattern;

		if (e > h->nhosts)
			return false;
		ent = &idx->entries[e - 1];
		e = ent->next;
		pattern = string_at(idx, ent->pattern);
		if (!pattern || ent->key_len != n ||
		    strnlen(pattern, (size_t)ent->key_start + n) <
		            (size_t)ent->key_start + n ||
		    strncasecmp(pattern + ent->key_start, key, n) != 0)
			continue;
		if (host_pattern_match(pattern, host))
			return true;
	}
	return false;
}

bool
cfgindex_match(const struct cfgindex *idx, const char *host)
{
	size_t n, i;

	if (!idx->h->nbuckets || !host)
		return false;
	host_split(host, &n, NULL);
	if (probe(idx, host, n, host))
		return true;
	/* "*.example.com" is keyed ".example.com": try each such suffix. */
	for (i = 1; i < n; i++)
		if (host[i] == '.' && probe(idx, host + i, n - i, host))
			return true;
	return false;
}
