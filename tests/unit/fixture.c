/* See fixture.h. */
#include "fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

const char *
fixture_body(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p ? p + 4 : NULL;
}

void
fixture_assert_head(const char *name, const char *resp)
{
	static const char *const want[] = {
	        "\r\nContent-Type: text/html; charset=utf-8\r\n",
	        "\r\nConnection: close\r\n",
	        "\r\nCache-Control: no-store\r\n",
	        "\r\nReferrer-Policy: no-referrer\r\n",
	        "\r\nX-Content-Type-Options: nosniff\r\n",
	        "\r\nContent-Security-Policy: default-src 'none'; "
	        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
	        "form-action 'none'; frame-ancestors 'none'\r\n",
	};
	const char *body = fixture_body(resp), *cl;
	char expect[64];
	size_t i;

	if (!body)
		fail_msg("%s: no end of head in the answer", name);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(resp, want[i]))
			fail_msg("%s: answer lacks %s", name, want[i] + 2);
	snprintf(expect, sizeof(expect), "\r\nContent-Length: %zu\r\n",
	         strlen(body));
	cl = strstr(resp, expect);
	if (!cl || cl > body)
		fail_msg("%s: wrong Content-Length (body %zu bytes)", name,
		         strlen(body));
}

bool
fixture_b64url(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

void
fixture_assert_str(const char *name, const char *got, const char *want)
{
	if (!want && got)
		fail_msg("%s: got \"%s\", want NULL", name ? name : "", got);
	if (want && (!got || strcmp(got, want) != 0))
		fail_msg("%s: got \"%s\", want \"%s\"", name ? name : "",
		         got ? got : "(null)", want);
}
