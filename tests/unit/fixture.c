/* See fixture.h. */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>

#include "tmptree.h"
#include "util.h"

int
fixture_dir(char *tmpl)
{
	if (!mkdtemp(tmpl))
		return -1;
	if (setenv("XDG_RUNTIME_DIR", tmpl, 1) ||
	    setenv("XDG_STATE_HOME", tmpl, 1)) {
		(void)tmptree_remove(tmpl);
		return -1;
	}
	return 0;
}

void
fixture_config(struct config *cfg)
{
	config_init(cfg);
	str_set(&cfg->issuer, FIXTURE_ISSUER);
	str_set(&cfg->client_id, FIXTURE_CLIENT);
	str_set(&cfg->profile, FIXTURE_PROFILE);
}

int
fixture_setup(char *tmpl, struct config *cfg)
{
	if (fixture_dir(tmpl))
		return -1;
	fixture_config(cfg);
	return 0;
}

int
fixture_teardown(const char *dir, struct config *cfg)
{
	config_release(cfg);
	return tmptree_remove(dir);
}

void
fixture_file(const char *dir, const struct config *cfg, const char *ext,
             char *path, size_t size)
{
	char *key = NULL;
	int n;

	assert_int_equal(config_key(cfg, &key), 0);
	n = snprintf(path, size, "%s/clerk-credential/%s.%s", dir, key, ext);
	free(key);
	assert_true(n > 0 && (size_t)n < size);
}
