/*
 * Test support: the set-up the store, cache, lock and secret tests share, a
 * temporary directory that XDG_RUNTIME_DIR and XDG_STATE_HOME point at and
 * a config naming one issuer, client id and profile.
 *
 *	static char tmpdir[] = "/tmp/clerk-test-NAME-XXXXXX";
 *	static struct config cfg;
 *
 *	setup:    return fixture_setup(tmpdir, &cfg);
 *	teardown: return fixture_teardown(tmpdir, &cfg);
 */
#ifndef CLERK_TEST_FIXTURE_H
#define CLERK_TEST_FIXTURE_H

#include <stddef.h>

#include "config.h"

/* What fixture_config() puts in a config. */
#define FIXTURE_ISSUER  "https://clerk.example.com"
#define FIXTURE_CLIENT  "client-1"
#define FIXTURE_PROFILE "default"

/*
 * Make the directory @tmpl names (a mkdtemp() template, completed in place)
 * and point XDG_RUNTIME_DIR and XDG_STATE_HOME at it. 0, or -1 with nothing
 * set.
 */
int fixture_dir(char *tmpl);

/* config_init(@cfg) with FIXTURE_ISSUER, FIXTURE_CLIENT, FIXTURE_PROFILE. */
void fixture_config(struct config *cfg);

/* fixture_dir(@tmpl), then fixture_config(@cfg). 0 or -1. */
int fixture_setup(char *tmpl, struct config *cfg);

/* Release @cfg and remove @dir with all it holds. 0 or -1. */
int fixture_teardown(const char *dir, struct config *cfg);

/*
 * The path of @cfg's state file of kind @ext ("lock", "token", ...) in
 * @dir: <dir>/clerk-credential/<config key>.<ext>. Fails the test if the
 * key cannot be made or the path does not fit in @size bytes.
 */
void fixture_file(const char *dir, const struct config *cfg, const char *ext,
                  char *path, size_t size);

#endif
