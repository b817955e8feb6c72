/*
 * Unit tests: route.c (which profile answers a request, and its host
 * rule: contract §18), against a config file with profile sections and
 * resource metadata documents put in the cache, so no network is asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "challenge.h"
#include "cmdrun.h"
#include "error.h"
#include "route.h"
#include "util.h"

#define CONFIG                                                                 \
	"{\"issuer\": \"https://a.example\", \"client_id\": \"ca\",\n"         \
	" \"hosts\": [\"top.example\", \"meta.example\", \"meta2.example\","   \
	" \"both.example\", \"meta3.example\", \"meta4.example\"],\n"          \
	" \"profiles\": {\n"                                                   \
	"  \"b\": {\"issuer\": \"https://b.example/\", \"client_id\": \"cb\"," \
	" \"hosts\": [\"*.b.example\", \"both.example\"]},\n"                  \
	"  \"c\": {\"issuer\": \"https://c.example\", \"client_id\": \"cc\","  \
	" \"hosts\": [\"c.example:8443\", \"both.example\"]},\n"               \
	"  \"r\": {\"issuer\": \"https://r.example\", \"client_id\": \"cr\","  \
	" \"resource\": \"https://res.example/\"}}}\n"

#define WELL_KNOWN "/.well-known/oauth-protected-resource"

/* A resource metadata document in the cache, for the URL of @host. */
struct doc {
	const char *host;
	const char *json;
};

static const struct doc docs[] = {
        {"meta.example", "{\"resource\": \"https://meta.example/\", "
                         "\"authorization_servers\": [\"https://b.example\"]}"},
        {"meta2.example",
         "{\"resource\": \"https://meta2.example/\", "
         "\"authorization_servers\": [\"https://z.example\"]}"},
        {"res.example", "{\"resource\": \"https://res.example/\", "
                        "\"authorization_servers\": [\"https://r.example\"]}"},
        /* Describes another origin: ignored. */
        {"meta4.example",
         "{\"resource\": \"https://evil.example/\", "
         "\"authorization_servers\": [\"https://c.example\"]}"},
        /* Names c, for a host b claims: the claim wins. */
        {"x.b.example", "{\"resource\": \"https://x.b.example/\", "
                        "\"authorization_servers\": [\"https://c.example\"]}"},
        /* Names the issuer of the default profile and of nobody else. */
        {"meta3.example",
         "{\"resource\": \"https://meta3.example/\", "
         "\"authorization_servers\": [\"https://a.example\"]}"},
};

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int
setup(void **state)
{
	char path[512], url[256];
	size_t i;

	(void)state;
	if (cmdrun_setup(NULL))
		return -1;
	/* The issuers come from the file's sections here. */
	unsetenv("CLERK_ISSUER");
	unsetenv("CLERK_OAUTH_CLIENT_ID");
	unsetenv("CLERK_PROFILE");
	snprintf(path, sizeof(path), "%s/config/clerk-credential",
	         cmdrun_home());
	assert_int_equal(mkdir(path, 0700), 0);
	strcat(path, "/config.json");
	write_file(path, CONFIG);
	snprintf(path, sizeof(path), "%s/state/clerk-credential",
	         cmdrun_home());
	assert_int_equal(mkdir(path, 0700), 0);
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		snprintf(url, sizeof(url), "https://%s" WELL_KNOWN,
		         docs[i].host);
		snprintf(path, sizeof(path),
		         "%s/state/clerk-credential/resource-%016llx.json",
		         cmdrun_home(),
		         (unsigned long long)hash_fnv1a64(url,
		                                          HASH_FNV1A64_INIT));
		write_file(path, docs[i].json);
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

static const struct {
	const char *name;
	const char *profile_env; /* CLERK_PROFILE, or NULL */
	const char *host;
	bool challenge; /* send a resource_metadata challenge for @host */
	int want;
	const char *profile; /* the profile in use after */
} cases[] = {
        {"a section's wildcard claims it", NULL, "x.b.example", false, 0, "b"},
        {"a claim with a port", NULL, "c.example:8443", false, 0, "c"},
        {"that port only: another is nobody's, not in the default list", NULL,
         "c.example:443", false, CLERK_ENOTFOUND, "default"},
        {"unclaimed, in the default list", NULL, "top.example", false, 0,
         "default"},
        {"claimed by two sections", NULL, "both.example", false, CLERK_ECONFIG,
         "default"},
        {"nobody's", NULL, "other.example", false, CLERK_ENOTFOUND, "default"},
        {"a named profile: b's host is not c's", "c", "x.b.example", false,
         CLERK_ENOTFOUND, "c"},
        {"a named profile keeps its own hosts", "c", "c.example:8443", false, 0,
         "c"},
        {"metadata names b: b answers, the default list names the host", NULL,
         "meta.example", true, 0, "b"},
        {"without the challenge the default profile answers", NULL,
         "meta.example", false, 0, "default"},
        {"metadata names no configured issuer: not ours", NULL, "meta2.example",
         true, CLERK_ENOTFOUND, "default"},
        {"metadata of r's own resource: no host list needed", NULL,
         "res.example", true, 0, "r"},
        {"metadata of another origin is ignored", NULL, "other.b.example", true,
         0, "b"},
        {"a claim wins over the metadata", NULL, "x.b.example", true, 0, "b"},
        {"metadata naming the default's issuer", NULL, "meta3.example", true, 0,
         "default"},
        {"a named profile ignores the metadata", "c", "meta.example", true,
         CLERK_ENOTFOUND, "c"},
        {"not a host name", NULL, "x.b.example/@evil", false, CLERK_ENOTFOUND,
         "default"},
};

static void
test_routes(void **state)
{
	char header[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct challenges cs = CHALLENGES_INIT;
		struct route_request req = {
		        .protocol = "https",
		        .host = cases[i].host,
		        .challenges = &cs,
		};
		struct config *cfg;

		print_message("%s\n", cases[i].name);
		if (cases[i].profile_env)
			setenv("CLERK_PROFILE", cases[i].profile_env, 1);
		else
			unsetenv("CLERK_PROFILE");
		cfg = cmdrun_config(NULL);
		snprintf(
		        header, sizeof(header),
		        "Bearer realm=\"x\", resource_metadata=\"https://%s" WELL_KNOWN
		        "\"",
		        cases[i].host);
		if (cases[i].challenge)
			assert_int_equal(
			        challenge_parse(&cs, header, strlen(header)),
			        0);
		assert_int_equal(route_request(cfg, &req), cases[i].want);
		assert_string_equal(cfg->profile, cases[i].profile);
		if (cases[i].want == 0 && !cases[i].profile_env &&
		    strcmp(cases[i].profile, "default") != 0)
			assert_int_equal(cfg->src_profile, SRC_ROUTE);
		challenges_release(&cs);
	}
	unsetenv("CLERK_PROFILE");
}

/* The profile a route loads is whole: its issuer, client id, resource. */
static void
test_loaded(void **state)
{
	struct challenges cs = CHALLENGES_INIT;
	struct route_request req = {.protocol = "https", .host = "res.example"};
	static const char header[] = "Bearer resource_metadata=\"https://"
	                             "res.example" WELL_KNOWN "\"";
	struct config *cfg = cmdrun_config(NULL);

	(void)state;
	assert_int_equal(challenge_parse(&cs, header, strlen(header)), 0);
	req.challenges = &cs;
	assert_int_equal(route_request(cfg, &req), 0);
	assert_string_equal(cfg->issuer, "https://r.example");
	assert_string_equal(cfg->client_id, "cr");
	assert_string_equal(cfg->resource, "https://res.example/");
	challenges_release(&cs);

	/* What this run ruled out stays ruled out after a switch. */
	cfg = cmdrun_config(NULL);
	cfg->interactive = false;
	req.host = "x.b.example";
	req.challenges = NULL;
	assert_int_equal(route_request(cfg, &req), 0);
	assert_string_equal(cfg->profile, "b");
	assert_false(cfg->interactive);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_routes),
	        cmocka_unit_test(test_loaded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
