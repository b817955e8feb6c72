/*
 * libFuzzer target: the compiled config file (cfgindex.c) as read from
 * the runtime dir: the header, table and record checks, then every
 * accessor of each record, host lookups (each pattern of the index among
 * them) and the claims of every section.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfgindex.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const queries[] = {
        "git.example.com",
        "x.y.example.com:443",
        "[::1]:8080",
        "",
        ":",
        ".",
        "a.",
        "[",
};

/* Every accessor of record @rec. */
static void
use_record(const struct cfgindex *idx, size_t rec)
{
	const char *k, *v, *h;
	size_t i;

	if ((h = cfgindex_record_name(idx, rec)))
		(void)cfgindex_find(idx, h);
	(void)cfgindex_viewable(idx, rec);
	(void)cfgindex_has_hosts(idx, rec);
	(void)cfgindex_nclaims(idx, rec);
	for (i = 0; i < cfgindex_npairs(idx, rec) && i < 64; i++)
		(void)cfgindex_pair(idx, rec, i, &k, &v);
	for (i = 0; i < cfgindex_nhosts(idx, rec) && i < 256; i++)
		if ((h = cfgindex_host(idx, rec, i)))
			(void)cfgindex_match(idx, rec, h);
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
		(void)cfgindex_match(idx, rec, queries[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfgindex *idx = NULL;
	size_t i, found[2];
	const char *h;
	void *copy;

	log_set_silent(true);
	/* The index is read from a page-aligned mapping. */
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);
	if (cfgindex_parse(copy, size, &idx) == 0) {
		/* One past the last record too: refused, never read. */
		for (i = 0; i <= cfgindex_nrecords(idx) && i < 16; i++)
			use_record(idx, i);
		for (i = 0; i < cfgindex_nhosts(idx, 0) && i < 256; i++)
			if ((h = cfgindex_host(idx, 0, i)))
				(void)cfgindex_claimants(idx, h, found, 2);
		for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
			(void)cfgindex_claimants(idx, queries[i], found, 2);
		cfgindex_close(idx);
	}
	free(copy);
	return 0;
}
