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
static char config_path[400];
static struct stat config_st;

static const char *const keys[] = {"issuer", "timeout", "interactive"};
static const char *const values[] = {"https://clerk.example.com", "77",
                                     "false"};
static const char *const hosts[] = {
        "git.example.com",     "*.Corp.Example",  "registry.example.com:5000",
        "*.svc.example:8443",  "[::1]:9000",      "localhost",
        "a.b.example.org",     "*.b.example.org", "UPPER.example.net",
        "git.example.com:443",
};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))

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
        "",
        ":",
        "[",
        "...",
        "x.",
        "nothing.test",
};

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
	        .profile = "default",
	        .st = st,
	        .keys = keys,
	        .values = values,
	        .npairs = 3,
	        .has_hosts = true,
	        .hosts = hosts,
	        .nhosts = NHOSTS,
	};

	return src;
}

/*
 * A config file (what it holds does not matter here: the index is
 * compiled from sample_src()), settled: a file changed in the last two
 * seconds is not indexed.
 */
static int
setup(void **state)
{
	struct cfgindex_src src = sample_src(&config_st);
	FILE *f;

	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	setenv("XDG_RUNTIME_DIR", tmpdir, 1);
	snprintf(config_path, sizeof(config_path), "%s/config.json", tmpdir);
	snprintf(index_file, sizeof(index_file),
	         "%s/clerk-credential/config-%016llx-default.index", tmpdir,
	         (unsigned long long)hash_fnv1a64(config_path,
	                                          HASH_FNV1A64_INIT));
	if (!(f = fopen(config_path, "w")))
		return -1;
	fputs("{}\n", f);
	fclose(f);
	usleep(2200000);
	if (stat(config_path, &config_st))
		return -1;
	return cfgindex_write(&src);
}

static int
teardown(void **state)
{
	(void)state;
	return tmptree_remove(tmpdir);
}

static bool
list_match(const char *host)
{
	size_t i;

	for (i = 0; i < NHOSTS; i++)
		if (host_pattern_match(hosts[i], host))
			return true;
	return false;
}

static void
test_roundtrip(void **state)
{
	struct stat st = old_stat();
	struct cfgindex *idx = NULL;
	const char *k, *v;
	size_t i;

	(void)state;
	assert_int_equal(cfgindex_open(config_path, "default", &st, &idx), 0);
	assert_int_equal(cfgindex_npairs(idx), 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(cfgindex_pair(idx, i, &k, &v), 0);
		assert_string_equal(k, keys[i]);
		assert_string_equal(v, values[i]);
	}
	assert_int_equal(cfgindex_pair(idx, 3, &k, &v), -1);
	assert_true(cfgindex_has_hosts(idx));
	assert_int_equal(cfgindex_nhosts(idx), NHOSTS);
	for (i = 0; i < NHOSTS; i++)
		assert_string_equal(cfgindex_host(idx, i), hosts[i]);
	assert_null(cfgindex_host(idx, NHOSTS));
	cfgindex_close(idx);
}

static void
test_match_like_the_list(void **state)
{
	struct stat st = old_stat();
	struct cfgindex *idx = NULL;
	size_t i;

	(void)state;
	assert_int_equal(cfgindex_open(config_path, "default", &st, &idx), 0);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		assert_int_equal(cfgindex_match(idx, queries[i]),
		                 list_match(queries[i]));
	}
	/* Both answers occur, so the comparison means something. */
	assert_true(cfgindex_match(idx, "x.y.corp.example"));
	assert_false(cfgindex_match(idx, "corp.example"));
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
		assert_int_equal(
		        cfgindex_open(config_path, "default", &st, &idx),
		        CLERK_ENOTFOUND);
	}
	st = old_stat();
	assert_int_equal(cfgindex_open(config_path, "work", &st, &idx),
	                 CLERK_ENOTFOUND);
	/* An index others may write is not trusted. */
	assert_int_equal(chmod(index_file, 0622), 0);
	assert_int_equal(cfgindex_open(config_path, "default", &st, &idx),
	                 CLERK_ENOTFOUND);
	assert_int_equal(chmod(index_file, 0600), 0);
	assert_int_equal(cfgindex_open(config_path, "default", &st, &idx), 0);
	cfgindex_close(idx);
}

/* A file changed just now may change again unseen: no index for it. */
static void
test_too_new_not_written(void **state)
{
	struct stat st = old_stat();
	struct cfgindex_src src = sample_src(&st);
	struct cfgindex *idx = NULL;

	(void)state;
	src.profile = "fresh";
	st.st_ctim.tv_sec = time(NULL);
	assert_int_equal(cfgindex_write(&src), 0);
	assert_int_equal(cfgindex_open(config_path, "fresh", &st, &idx),
	                 CLERK_ENOTFOUND);
	st = old_stat();
	assert_int_equal(cfgindex_write(&src), 0);
	assert_int_equal(cfgindex_open(config_path, "fresh", &st, &idx), 0);
	assert_int_equal(cfgindex_nhosts(idx), NHOSTS);
	cfgindex_close(idx);
}

static void
use_all(const struct cfgindex *idx)
{
	const char *k, *v;
	size_t i;

	for (i = 0; i < cfgindex_npairs(idx) && i < 64; i++)
		if (cfgindex_pair(idx, i, &k, &v) == 0)
			assert_true(strlen(k) + strlen(v) < 1 << 20);
	for (i = 0; i < cfgindex_nhosts(idx) && i < 64; i++)
		if (cfgindex_host(idx, i))
			assert_true(strlen(cfgindex_host(idx, i)) < 1 << 20);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		(void)cfgindex_match(idx, queries[i]);
}

/* What was read is not the file there now: no index for it. */
static void
test_changed_since_read_not_written(void **state)
{
	struct stat st = old_stat();
	struct cfgindex_src src = sample_src(&st);
	struct cfgindex *idx = NULL;

	(void)state;
	src.profile = "moved";
	st.st_ino++;
	assert_int_equal(cfgindex_write(&src), 0);
	assert_int_equal(cfgindex_open(config_path, "moved", &st, &idx),
	                 CLERK_ENOTFOUND);
	st = old_stat();
	assert_int_equal(cfgindex_open(config_path, "moved", &st, &idx),
	                 CLERK_ENOTFOUND);
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
