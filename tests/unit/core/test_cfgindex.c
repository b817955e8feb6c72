/* Unit tests: cfgindex.c (the compiled config file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfgindex.h"
#include "hostrule.h"
#include "error.h"
#include "fileio.h"
#include "tmptree.h"
#include "util.h"

static char tmpdir[] = "/tmp/clerk-test-cfgindex-XXXXXX";
static char index_file[512];
static char config_path[400], other_path[400], moved_path[400];
static struct stat config_st, other_st, moved_st;

static const char *const keys[] = {"issuer", "timeout", "interactive"};
static const char *const values[] = {"https://clerk.example.com", "77",
                                     "false"};
static const char *const work_values[] = {"https://work.example.com", "5",
                                          "true"};
static const char *const hosts[] = {
        "git.example.com",     "*.Corp.Example",  "registry.example.com:5000",
        "*.svc.example:8443",  "[::1]:9000",      "localhost",
        "a.b.example.org",     "*.b.example.org", "UPPER.example.net",
        "git.example.com:443",
};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))
/* Sections' own lists: work and dev both claim x.corp.example. */
static const char *const work_hosts[] = {"*.corp.example", "git.work.example",
                                         "registry.example.com:5000"};
static const char *const dev_hosts[] = {"X.corp.example", "dev.example:22"};

/* The records of sample_src(): top, work, ops (no hosts), dev, broken. */
static const struct cfgindex_record records[] = {
        {.profile = NULL,
         .viewable = true,
         .keys = keys,
         .values = values,
         .npairs = 3,
         .own_hosts = true,
         .hosts = hosts,
         .nhosts = NHOSTS},
        {.profile = "work",
         .viewable = true,
         .keys = keys,
         .values = work_values,
         .npairs = 3,
         .own_hosts = true,
         .hosts = work_hosts,
         .nhosts = 3},
        {.profile = "ops",
         .viewable = true,
         .keys = keys,
         .values = values,
         .npairs = 1},
        {.profile = "dev",
         .viewable = true,
         .own_hosts = true,
         .hosts = dev_hosts,
         .nhosts = 2},
        {.profile = "broken",
         .viewable = false,
         .keys = keys,
         .values = values,
         .npairs = 3,
         .own_hosts = true,
         .hosts = dev_hosts,
         .nhosts = 0},
};
#define NRECORDS (sizeof(records) / sizeof(records[0]))

/* Hosts asked for: each answer must be the plain list walk's. */
static const char *const queries[] = {
        "git.example.com",
        "GIT.EXAMPLE.COM:8080",
        "git.example.com:443",
        "x.corp.example",
        "x.y.CORP.example:22",
        "corp.example",
        ".corp.example",
        "registry.example.com",
        "registry.example.com:5000",
        "registry.example.com:5001",
        "a.svc.example",
        "a.svc.example:8443",
        "[::1]:9000",
        "[::1]",
        "localhost:1234",
        "a.b.example.org",
        "c.b.example.org",
        "b.example.org",
        "upper.example.net",
        "example.net",
        "git.work.example",
        "dev.example:22",
        "dev.example",
        "",
        ":",
        "[",
        "...",
        "x.",
        "nothing.test",
};
#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

/* The stat of the config file, settled since setup (the same each call). */
static struct stat
old_stat(void)
{
	return config_st;
}

static struct cfgindex_src
sample_src(const struct stat *st)
{
	struct cfgindex_src src = {
	        .config_path = config_path,
	        .st = st,
	        .records = records,
	        .nrecords = NRECORDS,
	};

	return src;
}

/* A settled file at @path: its stat in @st. */
static int
make_file(char *path, size_t size, const char *name)
{
	FILE *f;

	snprintf(path, size, "%s/%s", tmpdir, name);
	if (!(f = fopen(path, "w")))
		return -1;
	fputs("{}\n", f);
	fclose(f);
	return 0;
}

/*
 * Config files (what they hold does not matter here: the index is
 * compiled from sample_src()), settled: a file changed in the last two
 * seconds is not indexed.
 */
static int
setup(void **state)
{
	struct cfgindex_src src = sample_src(&config_st);

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	if (make_file(config_path, sizeof(config_path), "config.json") ||
	    make_file(other_path, sizeof(other_path), "other.json") ||
	    make_file(moved_path, sizeof(moved_path), "moved.json"))
		return -1;
	snprintf(index_file, sizeof(index_file),
	         "%s/clerk-credential/config-%016llx.index", tmpdir,
	         (unsigned long long)hash_fnv1a64(config_path,
	                                          HASH_FNV1A64_INIT));
	usleep(2200000);
	if (stat(config_path, &config_st) || stat(other_path, &other_st) ||
	    stat(moved_path, &moved_st))
		return -1;
	return cfgindex_write(&src);
}

static int
teardown(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

/* The list @rec's view uses, walked. */
static bool
list_match(size_t rec, const char *host)
{
	const struct cfgindex_record *r =
	        records[rec].own_hosts ? &records[rec] : &records[0];
	size_t i;

	for (i = 0; i < r->nhosts; i++)
		if (host_pattern_match(r->hosts[i], host))
			return true;
	return false;
}

/* The first two sections whose own lists match @host, walked. */
static size_t
list_claimants(const char *host, size_t *out)
{
	size_t rec, i, n = 0;

	for (rec = 1; rec < NRECORDS && n < 2; rec++)
		for (i = 0; i < records[rec].nhosts; i++)
			if (host_pattern_match(records[rec].hosts[i], host)) {
				out[n++] = rec;
				break;
			}
	return n;
}

static void
test_roundtrip(void **state)
{
	struct stat st = old_stat();
	struct cfgindex *idx = NULL;
	const char *k, *v;
	size_t i;

	(void)state;
	assert_int_equal(cfgindex_open(config_path, &st, &idx), 0);
	assert_int_equal(cfgindex_nrecords(idx), NRECORDS);
	assert_string_equal(cfgindex_record_name(idx, 0), "");
	assert_string_equal(cfgindex_record_name(idx, 3), "dev");
	assert_null(cfgindex_record_name(idx, NRECORDS));
	assert_int_equal(cfgindex_find(idx, "work"), 1);
	assert_int_equal(cfgindex_find(idx, "broken"), 4);
	assert_int_equal(cfgindex_find(idx, "default"), 0);
	assert_int_equal(cfgindex_find(idx, ""), 0);
	assert_int_equal(cfgindex_npairs(idx, 0), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(cfgindex_pair(idx, 0, i, &k, &v), 0);
		assert_string_equal(k, keys[i]);
		assert_string_equal(v, values[i]);
		assert_int_equal(cfgindex_pair(idx, 1, i, &k, &v), 0);
		assert_string_equal(v, work_values[i]);
	}
	assert_int_equal(cfgindex_pair(idx, 0, 3, &k, &v), -1);
	assert_int_equal(cfgindex_pair(idx, NRECORDS, 0, &k, &v), -1);
	assert_int_equal(cfgindex_npairs(idx, 2), 1);
	/* A view that failed its checks keeps no pairs. */
	assert_false(cfgindex_viewable(idx, 4));
	assert_int_equal(cfgindex_npairs(idx, 4), 0);
	assert_true(cfgindex_viewable(idx, 3));
	assert_true(cfgindex_has_hosts(idx, 0));
	assert_int_equal(cfgindex_nhosts(idx, 0), NHOSTS);
	for (i = 0; i < NHOSTS; i++) {
		assert_string_equal(cfgindex_host(idx, 0, i), hosts[i]);
		/* ops has no list of its own: the top level's. */
		assert_string_equal(cfgindex_host(idx, 2, i), hosts[i]);
	}
	assert_null(cfgindex_host(idx, 0, NHOSTS));
	assert_int_equal(cfgindex_nhosts(idx, 1), 3);
	assert_string_equal(cfgindex_host(idx, 1, 1), "git.work.example");
	assert_int_equal(cfgindex_nclaims(idx, 0), 0);
	assert_int_equal(cfgindex_nclaims(idx, 1), 3);
	assert_int_equal(cfgindex_nclaims(idx, 2), 0);
	assert_int_equal(cfgindex_nclaims(idx, 3), 2);
	cfgindex_close(idx);
}

static void
test_match_like_the_list(void **state)
{
	struct stat st = old_stat();
	struct cfgindex *idx = NULL;
	size_t i, rec, found[2], want[2], n;

	(void)state;
	assert_int_equal(cfgindex_open(config_path, &st, &idx), 0);
	for (rec = 0; rec < NRECORDS; rec++)
		for (i = 0; i < NQUERIES; i++)
			assert_int_equal(cfgindex_match(idx, rec, queries[i]),
			                 list_match(rec, queries[i]));
	for (i = 0; i < NQUERIES; i++) {
		n = list_claimants(queries[i], want);
		assert_int_equal(cfgindex_claimants(idx, queries[i], found, 2),
		                 n);
		assert_memory_equal(found, want, n * sizeof(*found));
	}
	/* Both answers occur, so the comparison means something. */
	assert_true(cfgindex_match(idx, 0, "x.y.corp.example"));
	assert_false(cfgindex_match(idx, 0, "corp.example"));
	assert_false(cfgindex_match(idx, 0, "git.work.example"));
	assert_true(cfgindex_match(idx, 1, "git.work.example"));
	assert_int_equal(cfgindex_claimants(idx, "x.corp.example", found, 2),
	                 2);
	assert_true(found[0] == 1 && found[1] == 3);
	assert_int_equal(cfgindex_claimants(idx, "x.corp.example", found, 1),
	                 1);
	assert_int_equal(found[0], 1);
	assert_int_equal(cfgindex_claimants(idx, "dev.example:22", found, 2),
	                 1);
	assert_int_equal(found[0], 3);
	/* The top level claims nothing. */
	assert_int_equal(cfgindex_claimants(idx, "localhost", found, 2), 0);
	cfgindex_close(idx);
}

/* Any change to the file's identity, or another profile: not used. */
static void
test_stale(void **state)
{
	struct stat st;
	struct cfgindex *idx = NULL;
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		st = old_stat();
		switch (i) {
		case 0:
			st.st_size++;
			break;
		case 1:
			st.st_mtim.tv_nsec++;
			break;
		case 2:
			st.st_ctim.tv_sec++;
			break;
		case 3:
			st.st_ino++;
			break;
		case 4:
			st.st_dev++;
			break;
		default:
			st.st_ctim.tv_nsec--;
			break;
		}
		assert_int_equal(cfgindex_open(config_path, &st, &idx),
		                 CLERK_ENOTFOUND);
	}
	st = old_stat();
	assert_int_equal(cfgindex_open(other_path, &st, &idx), CLERK_ENOTFOUND);
	/* An index others may write is not trusted. */
	assert_int_equal(chmod(index_file, 0622), 0);
	assert_int_equal(cfgindex_open(config_path, &st, &idx),
	                 CLERK_ENOTFOUND);
	assert_int_equal(chmod(index_file, 0600), 0);
	assert_int_equal(cfgindex_open(config_path, &st, &idx), 0);
	cfgindex_close(idx);
}

/* A file changed just now may change again unseen: no index for it. */
static void
test_too_new_not_written(void **state)
{
	struct stat st = other_st;
	struct cfgindex_src src = sample_src(&st);
	struct cfgindex *idx = NULL;

	(void)state;
	src.config_path = other_path;
	st.st_ctim.tv_sec = time(NULL);
	assert_int_equal(cfgindex_write(&src), 0);
	st = other_st;
	assert_int_equal(cfgindex_open(other_path, &st, &idx), CLERK_ENOTFOUND);
	assert_int_equal(cfgindex_write(&src), 0);
	assert_int_equal(cfgindex_open(other_path, &st, &idx), 0);
	assert_int_equal(cfgindex_nhosts(idx, 0), NHOSTS);
	cfgindex_close(idx);
}

static void
use_all(const struct cfgindex *idx)
{
	const char *k, *v;
	size_t i, rec, found[2];

	for (rec = 0; rec < cfgindex_nrecords(idx) && rec < 16; rec++) {
		if (cfgindex_record_name(idx, rec))
			(void)cfgindex_find(idx,
			                    cfgindex_record_name(idx, rec));
		for (i = 0; i < cfgindex_npairs(idx, rec) && i < 64; i++)
			if (cfgindex_pair(idx, rec, i, &k, &v) == 0)
				assert_true(strlen(k) + strlen(v) < 1 << 20);
		for (i = 0; i < cfgindex_nhosts(idx, rec) && i < 64; i++)
			if (cfgindex_host(idx, rec, i))
				assert_true(strlen(cfgindex_host(idx, rec, i)) <
				            1 << 20);
		for (i = 0; i < NQUERIES; i++)
			(void)cfgindex_match(idx, rec, queries[i]);
		(void)cfgindex_nclaims(idx, rec);
	}
	for (i = 0; i < NQUERIES; i++)
		assert_true(cfgindex_claimants(idx, queries[i], found, 2) <= 2);
}

/* What was read is not the file there now: no index for it. */
static void
test_changed_since_read_not_written(void **state)
{
	struct stat st = moved_st;
	struct cfgindex_src src = sample_src(&st);
	struct cfgindex *idx = NULL;

	(void)state;
	src.config_path = moved_path;
	st.st_ino++;
	assert_int_equal(cfgindex_write(&src), 0);
	assert_int_equal(cfgindex_open(moved_path, &st, &idx), CLERK_ENOTFOUND);
	st = moved_st;
	assert_int_equal(cfgindex_open(moved_path, &st, &idx), CLERK_ENOTFOUND);
}

/*
 * Every byte of the index changed, and every length cut: the index is
 * refused or stays safe to read (the sanitizer and valgrind runs watch).
 */
static void
test_damaged(void **state)
{
	unsigned char *data = NULL, *copy;
	struct cfgindex *idx;
	size_t len = 0, i;
	int v;

	(void)state;
	assert_int_equal(
	        file_read_limited(index_file, 1 << 20, (char **)&data, &len),
	        0);
	assert_non_null(copy = malloc(len));
	for (i = 0; i < len; i++) {
		for (v = 0; v < 2; v++) {
			memcpy(copy, data, len);
			copy[i] = v ? (unsigned char)(copy[i] + 1) : 0xff;
			idx = NULL;
			if (cfgindex_parse(copy, len, &idx) == 0) {
				use_all(idx);
				cfgindex_close(idx);
			}
		}
		idx = NULL;
		assert_int_equal(cfgindex_parse(data, i, &idx),
		                 CLERK_ENOTFOUND);
	}
	assert_int_equal(cfgindex_parse(data, len, &idx), 0);
	cfgindex_close(idx);
	free(copy);
	secret_free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_roundtrip),
	        cmocka_unit_test(test_match_like_the_list),
	        cmocka_unit_test(test_stale),
	        cmocka_unit_test(test_too_new_not_written),
	        cmocka_unit_test(test_changed_since_read_not_written),
	        cmocka_unit_test(test_damaged),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
