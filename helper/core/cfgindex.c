/*
 * See cfgindex.h.
 *
 * The file, in this machine's byte order (it never leaves the machine):
 * a header, the records (one per view: the top level, then each
 * section), the pairs (two string offsets each, each record's in one
 * run), the host entries (each list in file order, each entry naming the
 * record that lists it), the hash buckets over all entries, then the
 * strings, each NUL-terminated. Opening checks the header, that every
 * table lies inside the file and that each record's runs lie inside
 * their tables, so a cache hit touches a few pages however many hosts
 * and profiles the file names; each offset is checked again where it is
 * followed.
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
/*
 * 2: written only for a file that passed file_open_trusted().
 * 3: one index per file, every profile's view and every section's claims.
 */
#define INDEX_VERSION 3
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
	uint32_t path_off;              /* string */
	uint32_t nrecords, records_off; /* nrecords × struct index_record */
	uint32_t npairs, pairs_off;     /* npairs × {key, value} strings */
	uint32_t nentries;
	uint32_t entries_off; /* nentries × struct index_entry */
	uint32_t nbuckets;    /* 0 or a power of two */
	uint32_t buckets_off; /* nbuckets × (entry + 1, 0: empty) */
	uint32_t strings_off, strings_len;
	uint32_t total; /* the file's size */
};

#define RECORD_VIEWABLE  1u
#define RECORD_OWN_HOSTS 2u

/* A view: the top level (record 0) or a section. */
struct index_record {
	uint32_t name;  /* string: the section's name, "" for the top */
	uint32_t flags; /* RECORD_* */
	uint32_t pairs_first, npairs;
	uint32_t entries_first, nentries; /* its own host list */
};

/* A host pattern; its key is the host part, without a leading '*'. */
struct index_entry {
	uint32_t pattern;   /* string */
	uint32_t key_start; /* in the pattern */
	uint32_t key_len;
	uint32_t next;  /* next entry + 1 in the bucket, 0: end */
	uint32_t owner; /* the record that lists it */
};

struct cfgindex {
	const unsigned char *data;
	size_t len;
	bool mapped;
	const struct index_header *h;
	const struct index_record *records;
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
index_path(const char *config_path, int use, char **out)
{
	char name[128], *dir = NULL;
	int n, r;

	n = snprintf(name, sizeof(name), "config-%016llx.index",
	             (unsigned long long)hash_fnv1a64(config_path,
	                                              HASH_FNV1A64_INIT));
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
	struct index_record *records;
	uint32_t *pairs;
	struct index_entry *entries;
	uint32_t *buckets;
	size_t npairs, nentries;
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

/* Count the pairs and entries of @src, refusing what cannot fit. */
static int
build_count(struct index_build *b, const struct cfgindex_src *src)
{
	size_t i;

	b->npairs = b->nentries = 0;
	if (src->nrecords == 0 || src->nrecords > INDEX_MAX)
		return CLERK_EPROTO;
	for (i = 0; i < src->nrecords; i++) {
		const struct cfgindex_record *rec = &src->records[i];

		if (rec->npairs > INDEX_MAX || rec->nhosts > INDEX_MAX)
			return CLERK_EPROTO;
		b->npairs += rec->viewable ? rec->npairs : 0;
		b->nentries += rec->own_hosts ? rec->nhosts : 0;
		if (b->npairs > INDEX_MAX || b->nentries > INDEX_MAX)
			return CLERK_EPROTO;
	}
	b->nbuckets = 0;
	if (b->nentries)
		for (b->nbuckets = 1; b->nbuckets < 2 * b->nentries;)
			b->nbuckets *= 2;
	b->records = calloc(src->nrecords, sizeof(*b->records));
	b->pairs = calloc(2 * b->npairs + 1, sizeof(*b->pairs));
	b->entries = calloc(b->nentries + 1, sizeof(*b->entries));
	b->buckets = calloc(b->nbuckets + 1, sizeof(*b->buckets));
	if (!b->records || !b->pairs || !b->entries || !b->buckets)
		return CLERK_ENOMEM;
	return 0;
}

/* Entry @e of @b: @pattern, listed by record @owner, hashed in. */
static int
build_entry(struct index_build *b, uint32_t e, const char *pattern,
            uint32_t owner)
{
	struct index_entry *ent = &b->entries[e];
	size_t start, len;
	uint32_t slot;
	int r;

	if ((r = add_string(b, pattern, &ent->pattern)))
		return r;
	host_pattern_key(pattern, &start, &len);
	ent->key_start = (uint32_t)start;
	ent->key_len = (uint32_t)len;
	ent->owner = owner;
	slot = key_hash(pattern + start, len) & (b->nbuckets - 1);
	ent->next = b->buckets[slot];
	b->buckets[slot] = e + 1;
	return 0;
}

/* Record @i of @src into @b: its pairs and its own host entries. */
static int
build_record(struct index_build *b, const struct cfgindex_src *src, size_t i,
             size_t *pair, size_t *entry)
{
	const struct cfgindex_record *in = &src->records[i];
	struct index_record *rec = &b->records[i];
	size_t k;
	int r;

	if ((r = add_string(b, in->profile ? in->profile : "", &rec->name)))
		return r;
	rec->flags = (in->viewable ? RECORD_VIEWABLE : 0) |
	             (in->own_hosts ? RECORD_OWN_HOSTS : 0);
	rec->pairs_first = (uint32_t)*pair;
	for (k = 0; in->viewable && k < in->npairs; k++, (*pair)++)
		if ((r = add_string(b, in->keys[k], &b->pairs[2 * *pair])) ||
		    (r = add_string(b, in->values[k],
		                    &b->pairs[2 * *pair + 1])))
			return r;
	rec->npairs = (uint32_t)(*pair - rec->pairs_first);
	rec->entries_first = (uint32_t)*entry;
	for (k = 0; in->own_hosts && k < in->nhosts; k++, (*entry)++)
		if ((r = build_entry(b, (uint32_t)*entry, in->hosts[k],
		                     (uint32_t)i)))
			return r;
	rec->nentries = (uint32_t)(*entry - rec->entries_first);
	return 0;
}

static int
build_records(struct index_build *b, const struct cfgindex_src *src)
{
	size_t i, pair = 0, entry = 0;
	int r;

	for (i = 0; i < src->nrecords; i++)
		if ((r = build_record(b, src, i, &pair, &entry)))
			return r;
	return 0;
}

/* Lay out @h's tables one after the other; @off: where they start. */
static int
build_layout(struct index_header *h, const struct index_build *b,
             size_t nrecords)
{
	uint64_t off = sizeof(*h);

	h->nrecords = (uint32_t)nrecords;
	h->records_off = (uint32_t)off;
	off += nrecords * sizeof(struct index_record);
	h->npairs = (uint32_t)b->npairs;
	h->pairs_off = (uint32_t)off;
	off += 2 * b->npairs * sizeof(uint32_t);
	h->nentries = (uint32_t)b->nentries;
	h->entries_off = (uint32_t)off;
	off += b->nentries * sizeof(struct index_entry);
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

static void
build_free(struct index_build *b)
{
	strbuf_release(&b->strings);
	free(b->records);
	free(b->pairs);
	free(b->entries);
	free(b->buckets);
}

static int
build_file(const struct cfgindex_src *src, struct strbuf *out)
{
	struct index_build b = {.strings = STRBUF_INIT};
	struct index_header h;
	int r;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, INDEX_MAGIC, sizeof(h.magic));
	h.version = INDEX_VERSION;
	h.header_size = sizeof(h);
	file_id_of(src->st, &h.file);
	if ((r = add_string(&b, src->config_path, &h.path_off)) ||
	    (r = build_count(&b, src)) || (r = build_records(&b, src)) ||
	    (r = build_layout(&h, &b, src->nrecords)))
		goto out;
	if ((r = strbuf_add(out, &h, sizeof(h))) ||
	    (r = strbuf_add(out, b.records,
	                    src->nrecords * sizeof(*b.records))) ||
	    (r = strbuf_add(out, b.pairs, 2 * b.npairs * sizeof(*b.pairs))) ||
	    (r = strbuf_add(out, b.entries, b.nentries * sizeof(*b.entries))) ||
	    (r = strbuf_add(out, b.buckets, b.nbuckets * sizeof(*b.buckets))))
		goto out;
	r = strbuf_add(out, b.strings.buf, b.strings.len);
out:
	build_free(&b);
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
		r = index_path(src->config_path, PATHS_CREATE, &path);
	if (!r && (r = file_write_atomic(path, sb.buf, sb.len, 0600)) == 0)
		log_debug("indexed %s (%zu profiles) in %s", src->config_path,
		          src->nrecords - 1, path);
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

/* Does the run [first, first + n) lie within a table of @total? */
static bool
run_fits(uint32_t first, uint32_t n, uint32_t total)
{
	return first <= total && n <= total - first;
}

static bool
header_ok(const struct index_header *h, size_t len)
{
	return len >= sizeof(*h) && len <= INDEX_MAX &&
	       memcmp(h->magic, INDEX_MAGIC, sizeof(h->magic)) == 0 &&
	       h->version == INDEX_VERSION && h->header_size == sizeof(*h) &&
	       h->total == len && h->nrecords > 0 &&
	       table_fits(len, h->records_off, h->nrecords,
	                  sizeof(struct index_record)) &&
	       table_fits(len, h->pairs_off, 2ull * h->npairs, 4) &&
	       table_fits(len, h->entries_off, h->nentries,
	                  sizeof(struct index_entry)) &&
	       table_fits(len, h->buckets_off, h->nbuckets, 4) &&
	       table_fits(len, h->strings_off, h->strings_len, 1) &&
	       h->strings_len > 0 &&
	       ((const char *)h)[h->strings_off + h->strings_len - 1] == '\0' &&
	       (h->nbuckets & (h->nbuckets - 1)) == 0 &&
	       (h->nbuckets || !h->nentries) && h->path_off < h->strings_len &&
	       (h->records_off | h->pairs_off | h->entries_off |
	        h->buckets_off) %
	                       4 ==
	               0;
}

/* Every record's runs lie inside their tables, its name in the strings. */
static bool
records_ok(const struct cfgindex *idx)
{
	const struct index_header *h = idx->h;
	uint32_t i;

	for (i = 0; i < h->nrecords; i++) {
		const struct index_record *rec = &idx->records[i];

		if (rec->name >= h->strings_len ||
		    !run_fits(rec->pairs_first, rec->npairs, h->npairs) ||
		    !run_fits(rec->entries_first, rec->nentries, h->nentries))
			return false;
	}
	return true;
}

int
cfgindex_parse(const void *data, size_t len, struct cfgindex **out)
{
	const struct index_header *h = data;
	struct cfgindex *idx;

	if (!header_ok(h, len))
		return CLERK_ENOTFOUND;
	if (!(idx = calloc(1, sizeof(*idx))))
		return CLERK_ENOMEM;
	idx->data = data;
	idx->len = len;
	idx->h = h;
	idx->records =
	        (const struct index_record *)(idx->data + h->records_off);
	idx->pairs = (const uint32_t *)(idx->data + h->pairs_off);
	idx->entries = (const struct index_entry *)(idx->data + h->entries_off);
	idx->buckets = (const uint32_t *)(idx->data + h->buckets_off);
	idx->strings = (const char *)idx->data + h->strings_off;
	if (!records_ok(idx)) {
		free(idx);
		return CLERK_ENOTFOUND;
	}
	*out = idx;
	return 0;
}

/* String @off, or NULL out of bounds (the last byte is a NUL). */
static const char *
string_at(const struct cfgindex *idx, uint32_t off)
{
	return off < idx->h->strings_len ? idx->strings + off : NULL;
}

/* Was it compiled from this very file? */
static bool
index_current(const struct cfgindex *idx, const char *config_path,
              const struct stat *st)
{
	const struct index_header *h = idx->h;

	return file_id_equal(&h->file, st) &&
	       strcmp(string_at(idx, h->path_off), config_path) == 0;
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
cfgindex_open(const char *config_path, const struct stat *st,
              struct cfgindex **out)
{
	struct cfgindex *idx = NULL;
	char *path = NULL;
	void *map = MAP_FAILED;
	size_t len = 0;
	int fd = -1, r;

	if ((r = index_path(config_path, PATHS_QUIET, &path)))
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
	if (!index_current(idx, config_path, st)) {
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
cfgindex_nrecords(const struct cfgindex *idx)
{
	return idx->h->nrecords;
}

/* Record @rec, or NULL past the last. */
static const struct index_record *
record_at(const struct cfgindex *idx, size_t rec)
{
	return rec < idx->h->nrecords ? &idx->records[rec] : NULL;
}

const char *
cfgindex_record_name(const struct cfgindex *idx, size_t rec)
{
	const struct index_record *r = record_at(idx, rec);

	return r ? string_at(idx, r->name) : NULL;
}

size_t
cfgindex_find(const struct cfgindex *idx, const char *profile)
{
	const char *name;
	size_t i;

	/* A hundred short names: a scan costs less than a table would. */
	for (i = 1; i < idx->h->nrecords; i++)
		if ((name = cfgindex_record_name(idx, i)) &&
		    strcmp(name, profile) == 0)
			return i;
	return 0;
}

bool
cfgindex_viewable(const struct cfgindex *idx, size_t rec)
{
	const struct index_record *r = record_at(idx, rec);

	return r && (r->flags & RECORD_VIEWABLE);
}

size_t
cfgindex_npairs(const struct cfgindex *idx, size_t rec)
{
	const struct index_record *r = record_at(idx, rec);

	return r ? r->npairs : 0;
}

int
cfgindex_pair(const struct cfgindex *idx, size_t rec, size_t i,
              const char **key, const char **value)
{
	const struct index_record *r = record_at(idx, rec);
	size_t p;

	if (!r || i >= r->npairs)
		return -1;
	p = (size_t)r->pairs_first + i;
	if (!(*key = string_at(idx, idx->pairs[2 * p])) ||
	    !(*value = string_at(idx, idx->pairs[2 * p + 1])))
		return -1;
	return 0;
}

/* The record whose list @rec's view uses: its own, else the top's. */
static const struct index_record *
list_of(const struct cfgindex *idx, size_t rec, uint32_t *owner)
{
	const struct index_record *r = record_at(idx, rec);

	if (!r)
		return NULL;
	*owner = (r->flags & RECORD_OWN_HOSTS) ? (uint32_t)rec : 0;
	r = &idx->records[*owner];
	return (r->flags & RECORD_OWN_HOSTS) ? r : NULL;
}

bool
cfgindex_has_hosts(const struct cfgindex *idx, size_t rec)
{
	uint32_t owner;

	return list_of(idx, rec, &owner) != NULL;
}

size_t
cfgindex_nhosts(const struct cfgindex *idx, size_t rec)
{
	uint32_t owner;
	const struct index_record *r = list_of(idx, rec, &owner);

	return r ? r->nentries : 0;
}

const char *
cfgindex_host(const struct cfgindex *idx, size_t rec, size_t i)
{
	uint32_t owner;
	const struct index_record *r = list_of(idx, rec, &owner);

	if (!r || i >= r->nentries)
		return NULL;
	return string_at(idx, idx->entries[r->entries_first + i].pattern);
}

size_t
cfgindex_nclaims(const struct cfgindex *idx, size_t rec)
{
	const struct index_record *r = record_at(idx, rec);

	return rec > 0 && r && (r->flags & RECORD_OWN_HOSTS) ? r->nentries : 0;
}

/*
 * What a probe looks for: entries of one owner (the host rule of a
 * view), or of any section (claims), the first @max of those owners.
 */
struct probe_want {
	bool any_section;
	uint32_t owner;
	size_t *found;
	size_t nfound, max;
};

/* Note section @owner among @w's, kept in order, the first max only. */
static void
want_add(struct probe_want *w, size_t owner)
{
	size_t i, j;

	for (i = 0; i < w->nfound && w->found[i] < owner; i++)
		;
	if ((i < w->nfound && w->found[i] == owner) || i == w->max)
		return;
	if (w->nfound == w->max)
		w->nfound--;
	for (j = w->nfound; j > i; j--)
		w->found[j] = w->found[j - 1];
	w->found[i] = owner;
	w->nfound++;
}

/* Is entry @ent one @w wants? */
static bool
want_entry(const struct cfgindex *idx, const struct probe_want *w,
           const struct index_entry *ent)
{
	if (!w->any_section)
		return ent->owner == w->owner;
	return ent->owner > 0 && ent->owner < idx->h->nrecords &&
	       (idx->records[ent->owner].flags & RECORD_OWN_HOSTS);
}

/*
 * Entries keyed @key (@n bytes) that match @host, as @w wants them; true
 * when one owner is all @w wants and it was found.
 */
static bool
probe(const struct cfgindex *idx, const char *key, size_t n, const char *host,
      struct probe_want *w)
{
	const struct index_header *h = idx->h;
	uint32_t e = idx->buckets[key_hash(key, n) & (h->nbuckets - 1)];
	uint32_t steps;

	/* A well-formed chain visits each entry at most once. */
	for (steps = 0; e && steps < h->nentries; steps++) {
		const struct index_entry *ent;
		const char *pattern;

		if (e > h->nentries)
			return false;
		ent = &idx->entries[e - 1];
		e = ent->next;
		pattern = string_at(idx, ent->pattern);
		if (!pattern || ent->key_len != n || !want_entry(idx, w, ent) ||
		    strnlen(pattern, (size_t)ent->key_start + n) <
		            (size_t)ent->key_start + n ||
		    strncasecmp(pattern + ent->key_start, key, n) != 0 ||
		    !host_pattern_match(pattern, host))
			continue;
		if (!w->any_section)
			return true;
		want_add(w, ent->owner);
	}
	return false;
}

/* Probe the exact host, then each ".suffix" ("*.example.com"'s key). */
static bool
probe_all(const struct cfgindex *idx, const char *host, struct probe_want *w)
{
	size_t n, i;

	if (!idx->h->nbuckets || !host)
		return false;
	host_split(host, &n, NULL);
	if (probe(idx, host, n, host, w))
		return true;
	for (i = 1; i < n; i++)
		if (host[i] == '.' && probe(idx, host + i, n - i, host, w))
			return true;
	return false;
}

bool
cfgindex_match(const struct cfgindex *idx, size_t rec, const char *host)
{
	struct probe_want w = {.any_section = false};

	if (!list_of(idx, rec, &w.owner))
		return false;
	return probe_all(idx, host, &w);
}

size_t
cfgindex_claimants(const struct cfgindex *idx, const char *host, size_t *out,
                   size_t max)
{
	struct probe_want w = {.any_section = true, .found = out, .max = max};

	if (max > 0)
		probe_all(idx, host, &w);
	return w.nfound;
}
