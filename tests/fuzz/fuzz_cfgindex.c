/*
 * libFuzzer target: the compiled config file (cfgindex.c) as read from
 * the runtime dir: the header and table checks, then every accessor and
 * host lookups, each pattern of the index among them.
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfgindex *idx = NULL;
	const char *k, *v, *h;
	void *copy;
	size_t i;

	log_set_silent(true);
	/* The index is read from a page-aligned mapping. */
	if (!(copy = malloc(size ? size : 1)))
		return 0;
	memcpy(copy, data, size);
	if (cfgindex_parse(copy, size, &idx) == 0) {
		for (i = 0; i < cfgindex_npairs(idx) && i < 64; i++)
			(void)cfgindex_pair(idx, i, &k, &v);
		for (i = 0; i < cfgindex_nhosts(idx) && i < 256; i++)
			if ((h = cfgindex_host(idx, i)))
				(void)cfgindex_match(idx, h);
		for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++)
			(void)cfgindex_match(idx, queries[i]);
		(void)cfgindex_has_hosts(idx);
		cfgindex_close(idx);
	}
	free(copy);
	return 0;
}
