/*
 * Test support: the set-up the store, cache, lock and secret tests share, a
 * temporary directory that XDG_RUNTIME_DIR and XDG_STATE_HOME point at and
 * a config naming one issuer, client id and profile; and the checks the
 * page, listener, crypto and PKCE tests share on what they produce.
 *
 *	static char tmpdir[] = "/tmp/clerk-test-NAME-XXXXXX";
 *	static struct config cfg;
 *
 *	setup:    return fixture_setup(tmpdir, &cfg);
 *	teardown: return fixture_teardown(tmpdir, &cfg);
 */
#ifndef CLERK_TEST_FIXTURE_H
#define CLERK_TEST_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* What fixture_config() puts in a config. */
#define FIXTURE_ISSUER  "https://clerk.example.com"
#define FIXTURE_CLIENT  "client-1"
#define FIXTURE_PROFILE "default"

/*
 * Make the directory @tmpl names (a mkdtemp() template, completed in place)
 * and point XDG_RUNTIME_DIR and XDG_STATE_HOME at it. 0, or -1 with the
 * directory not made or removed again.
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

/* The body of the HTTP answer @resp (after the blank line), or NULL. */
const char *fixture_body(const char *resp);

/*
 * Fail the test, naming @name, unless @resp has a head and a body, every
 * header page.c puts on an answer, and a Content-Length that is right.
 */
void fixture_assert_head(const char *name, const char *resp);

/* Whether @s holds base64url characters only (no padding). */
bool fixture_b64url(const char *s);

/*
 * Fail unless @got is @want, both possibly NULL; @name (or NULL) says
 * which case in the message.
 */
void fixture_assert_str(const char *name, const char *got, const char *want);

#endif
