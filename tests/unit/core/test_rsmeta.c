/*
 * Unit tests of rsmeta.c: the document parser, which metadata URLs may be
 * fetched, the resource against the request, and rsmeta_get() against an
 * in-process server on 127.0.0.1 with the state dir in a temporary
 * directory (fetch, cache, expiry, refusals).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "config.h"
#include "error.h"
#include "httpd.h"
#include "rsmeta.h"
#include "tmptree.h"
#include "util.h"

/* --- rsmeta_parse() -------------------------------------------------- */

#define RES "\"resource\":\"https://api.example.com\""

static const struct {
	const char *doc;
	int result;
	size_t nservers;
} parse_cases[] = {
        {"{" RES "}", 0, 0},
        {"{" RES ",\"authorization_servers\":[]}", 0, 0},
        {"{" RES ",\"authorization_servers\":[\"https://a.example\","
         "\"https://b.example/\"]}",
         0, 2},
        /* Other members are ignored, whatever their type. */
        {"{" RES ",\"scopes_supported\":[\"x\"],\"bearer_methods_supported\""
         ":[\"header\"],\"x\":{\"y\":null}}",
         0, 0},
        {"", CLERK_EPROTO, 0},
        {"not json", CLERK_EPROTO, 0},
        {"[]", CLERK_EPROTO, 0},
        {"\"https://api.example.com\"", CLERK_EPROTO, 0},
        {"{}", CLERK_EPROTO, 0},
        {"{\"resource\":null}", CLERK_EPROTO, 0},
        {"{\"resource\":42}", CLERK_EPROTO, 0},
        {"{\"resource\":\"\"}", CLERK_EPROTO, 0},
        {"{" RES ",\"authorization_servers\":\"https://a.example\"}",
         CLERK_EPROTO, 0},
        {"{" RES ",\"authorization_servers\":[42]}", CLERK_EPROTO, 0},
        {"{" RES ",\"authorization_servers\":[null]}", CLERK_EPROTO, 0},
        {"{" RES ",\"authorization_servers\":[\"\"]}", CLERK_EPROTO, 0},
        {"{" RES ",\"authorization_servers\":{}}", CLERK_EPROTO, 0},
        /* Named twice: readers would disagree on which one counts. */
        {"{" RES "," RES "}", CLERK_EPROTO, 0},
        {"{" RES ",\"resource\":\"https://evil.example\"}", CLERK_EPROTO, 0},
        {"{\"resource\":\"https://api.example.com\\u0000.evil\"}", CLERK_EPROTO,
         0},
        {"{" RES "", CLERK_EPROTO, 0},
};

static void
test_parse_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(*parse_cases); i++) {
		struct rsmeta m = RSMETA_INIT;
		int r = rsmeta_parse(parse_cases[i].doc,
		                     strlen(parse_cases[i].doc), &m);

		if (r != parse_cases[i].result)
			fail_msg("case %zu (%s): %d", i, parse_cases[i].doc, r);
		if (r) {
			assert_null(m.resource);
			assert_null(m.servers);
			continue;
		}
		assert_string_equal(m.resource, "https://api.example.com");
		assert_int_equal(m.nservers, parse_cases[i].nservers);
		assert_non_null(m.servers);
		assert_null(m.servers[m.nservers]);
		rsmeta_release(&m);
		assert_null(m.resource);
	}
}

static void
test_parse_values_and_failure_keeps(void **state)
{
	static const char doc[] =
	        "{\"resource\":\"https://git.example.com/api\","
	        "\"authorization_servers\":[\"https://id.example\","
	        "\"https://other.example/\"]}";
	struct rsmeta m = RSMETA_INIT;

	(void)state;
	assert_int_equal(rsmeta_parse(doc, strlen(doc), &m), 0);
	assert_string_equal(m.resource, "https://git.example.com/api");
	assert_int_equal(m.nservers, 2);
	assert_string_equal(m.servers[0], "https://id.example");
	assert_string_equal(m.servers[1], "https://other.example/");
	/* A NUL byte within the length is refused, even after the value. */
	assert_int_equal(rsmeta_parse(doc, sizeof(doc), &m), CLERK_EPROTO);
	/* A failure leaves the previous result; a success replaces it. */
	assert_string_equal(m.resource, "https://git.example.com/api");
	assert_int_equal(rsmeta_parse("{" RES "}", strlen("{" RES "}"), &m), 0);
	assert_string_equal(m.resource, "https://api.example.com");
	assert_int_equal(m.nservers, 0);
	rsmeta_release(&m);
	rsmeta_release(&m); /* twice is fine */
}

/* Documents at and past each bound. */
static void
test_parse_bounds(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct rsmeta m = RSMETA_INIT;
	char s2048[2049], s2049[2050];
	size_t i;

	(void)state;
	memset(s2048, 'a', 2048);
	s2048[2048] = '\0';
	memset(s2049, 'a', 2049);
	s2049[2049] = '\0';

	/* 16 servers, then 17. */
	assert_int_equal(strbuf_adds(&sb, "{" RES ",\"authorization_servers\""
	                                  ":[\"s\""),
	                 0);
	for (i = 1; i < 16; i++)
		assert_int_equal(strbuf_adds(&sb, ",\"s\""), 0);
	assert_int_equal(strbuf_adds(&sb, "]}"), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), 0);
	assert_int_equal(m.nservers, 16);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_adds(&sb, "{" RES ",\"authorization_servers\""
	                                  ":[\"s\""),
	                 0);
	for (i = 1; i < 17; i++)
		assert_int_equal(strbuf_adds(&sb, ",\"s\""), 0);
	assert_int_equal(strbuf_adds(&sb, "]}"), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), CLERK_EPROTO);

	/* Strings of 2048 bytes, then 2049. */
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addf(&sb, "{\"resource\":\"%s\"}", s2048), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), 0);
	assert_int_equal(strlen(m.resource), 2048);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addf(&sb, "{\"resource\":\"%s\"}", s2049), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), CLERK_EPROTO);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_addf(&sb,
	                             "{" RES ",\"authorization_servers\":"
	                             "[\"%s\"]}",
	                             s2049),
	                 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), CLERK_EPROTO);

	/* 64 KiB of document, then one byte more (blanks are JSON). */
	strbuf_reset(&sb);
	assert_int_equal(strbuf_adds(&sb, "{" RES "}"), 0);
	while (sb.len < RSMETA_MAX_DOC)
		assert_int_equal(strbuf_addch(&sb, ' '), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), 0);
	assert_int_equal(strbuf_addch(&sb, ' '), 0);
	assert_int_equal(rsmeta_parse(sb.buf, sb.len, &m), CLERK_EPROTO);
	assert_int_equal(rsmeta_parse(NULL, 0, &m), CLERK_EPROTO);
	rsmeta_release(&m);
	strbuf_release(&sb);
}

/* --- rsmeta_url_allowed() -------------------------------------------- */

static const struct {
	const char *url, *protocol, *host;
	bool allowed;
} url_cases[] = {
        {"https://git.example.com/.well-known/oauth-protected-resource",
         "https", "git.example.com", true},
        {"https://git.example.com/.well-known/oauth-protected-resource/x?a=b",
         "https", "git.example.com", true},
        {"https://git.example.com", "https", "git.example.com", true},
        /* Host without regard to case. */
        {"https://GIT.Example.COM/m", "https", "git.example.com", true},
        {"https://git.example.com/m", "https", "Git.Example.Com", true},
        /* Ports compared with the defaults. */
        {"https://git.example.com:443/m", "https", "git.example.com", true},
        {"https://git.example.com/m", "https", "git.example.com:443", true},
        {"https://git.example.com:8443/m", "https", "git.example.com:8443",
         true},
        {"https://git.example.com/m", "https", "git.example.com:8443", false},
        {"https://git.example.com:8443/m", "https", "git.example.com", false},
        {"https://git.example.com:444/m", "https", "git.example.com:443",
         false},
        /* Another host, a suffix or a prefix of it. */
        {"https://evil.example/m", "https", "git.example.com", false},
        {"https://example.com/m", "https", "git.example.com", false},
        {"https://git.example.com.evil/m", "https", "git.example.com", false},
        {"https://a.git.example.com/m", "https", "git.example.com", false},
        /* User info, fragments, odd bytes. */
        {"https://user@git.example.com/m", "https", "git.example.com", false},
        {"https://git.example.com@evil.example/m", "https", "git.example.com",
         false},
        {"https://git.example.com/m#f", "https", "git.example.com", false},
        {"https://git.example.com/m#", "https", "git.example.com", false},
        {"https://git.example.com/m x", "https", "git.example.com", false},
        {"https://git.example.com/m\\x", "https", "git.example.com", false},
        {"https://git.example.com/m\n", "https", "git.example.com", false},
        {"https://git.example.com/\xc3\xa9", "https", "git.example.com", false},
        {"https://git%2eexample.com/m", "https", "git.example.com", false},
        {"https://git.example.com:0/m", "https", "git.example.com", false},
        {"https://git.example.com:/m", "https", "git.example.com", false},
        {"https:///m", "https", "git.example.com", false},
        {"", "https", "git.example.com", false},
        {"git.example.com/m", "https", "git.example.com", false},
        {"//git.example.com/m", "https", "git.example.com", false},
        {"/m", "https", "git.example.com", false},
        /* Schemes: lower case https, http only to loopback. */
        {"HTTPS://git.example.com/m", "https", "git.example.com", false},
        {"ftp://git.example.com/m", "https", "git.example.com", false},
        {"http://git.example.com/m", "https", "git.example.com", false},
        {"http://git.example.com:443/m", "https", "git.example.com", false},
        {"http://git.example.com/m", "http", "git.example.com", false},
        {"http://127.0.0.1:8080/m", "http", "127.0.0.1:8080", true},
        {"http://localhost/m", "http", "localhost", true},
        {"http://LOCALHOST/m", "http", "localhost", true},
        {"http://localhost:80/m", "http", "localhost", true},
        {"http://[::1]:9/m", "http", "[::1]:9", true},
        {"http://127.0.0.2/m", "http", "127.0.0.2", false},
        {"https://127.0.0.1:8443/m", "http", "127.0.0.1:8443", true},
        {"https://[2001:db8::1]/m", "https", "[2001:db8::1]", true},
        {"https://[2001:db8::1]:443/m", "https", "[2001:db8::1]", true},
        {"https://[2001:db8::2]/m", "https", "[2001:db8::1]", false},
        /* A request the host rule refuses. */
        {"https://git.example.com/m", "HTTPS", "git.example.com", false},
        {"https://git.example.com/m", "ftp", "git.example.com", false},
        {"https://git.example.com/m", "https", "", false},
        {"https://git.example.com/m", "https", "git.example.com/x", false},
        {"https://git.example.com/m", "https", "u@git.example.com", false},
        {"https://git.example.com/m", NULL, "git.example.com", false},
        {"https://git.example.com/m", "https", NULL, false},
        {NULL, "https", "git.example.com", false},
};

static void
test_url_allowed(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(url_cases) / sizeof(*url_cases); i++)
		if (rsmeta_url_allowed(url_cases[i].url, url_cases[i].protocol,
		                       url_cases[i].host) !=
		    url_cases[i].allowed)
			fail_msg("case %zu: %s for %s://%s", i,
			         url_cases[i].url ? url_cases[i].url : "(null)",
			         url_cases[i].protocol ? url_cases[i].protocol
			                               : "(null)",
			         url_cases[i].host ? url_cases[i].host
			                           : "(null)");
}

static void
test_url_length(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(strbuf_adds(&sb, "https://git.example.com/"), 0);
	while (sb.len < RSMETA_MAX_STRING)
		assert_int_equal(strbuf_addch(&sb, 'a'), 0);
	assert_true(rsmeta_url_allowed(sb.buf, "https", "git.example.com"));
	assert_true(rsmeta_resource_matches(sb.buf, "https", "git.example.com",
	                                    NULL));
	assert_int_equal(strbuf_addch(&sb, 'a'), 0);
	assert_false(rsmeta_url_allowed(sb.buf, "https", "git.example.com"));
	assert_false(rsmeta_resource_matches(sb.buf, "https", "git.example.com",
	                                     NULL));
	strbuf_release(&sb);
}

/* --- rsmeta_resource_matches() --------------------------------------- */

static const struct {
	const char *resource, *protocol, *host, *path;
	bool match;
} resource_cases[] = {
        {"https://git.example.com", "https", "git.example.com", NULL, true},
        {"https://git.example.com/", "https", "git.example.com", NULL, true},
        {"https://git.example.com/api", "https", "git.example.com", NULL, true},
        {"https://git.example.com", "https", "git.example.com", "org/r.git",
         true},
        {"https://git.example.com/", "https", "git.example.com", "org/r.git",
         true},
        /* The path: a prefix at a '/' boundary, with or without '/'. */
        {"https://git.example.com/api", "https", "git.example.com", "api",
         true},
        {"https://git.example.com/api", "https", "git.example.com", "/api",
         true},
        {"https://git.example.com/api", "https", "git.example.com", "api/x",
         true},
        {"https://git.example.com/api/", "https", "git.example.com", "api/x",
         true},
        {"https://git.example.com/api/", "https", "git.example.com", "api",
         true},
        {"https://git.example.com/api", "https", "git.example.com", "apix",
         false},
        {"https://git.example.com/api", "https", "git.example.com", "ap",
         false},
        {"https://git.example.com/api", "https", "git.example.com", "x/api",
         false},
        {"https://git.example.com/API", "https", "git.example.com", "api",
         false},
        {"https://git.example.com/api/v1", "https", "git.example.com",
         "api/v1/x", true},
        {"https://git.example.com/api/v1", "https", "git.example.com", "api/v2",
         false},
        /* "" is no path at all: the helper sees only the origin. */
        {"https://git.example.com/api", "https", "git.example.com", "", true},
        /* The resource's query is not compared. */
        {"https://git.example.com/api?x=1", "https", "git.example.com", "api/r",
         true},
        /* Scheme, host and port of the request. */
        {"https://GIT.EXAMPLE.COM", "https", "git.example.com", NULL, true},
        {"https://git.example.com:443", "https", "git.example.com", NULL, true},
        {"https://git.example.com", "https", "git.example.com:443", NULL, true},
        {"https://git.example.com:8443", "https", "git.example.com", NULL,
         false},
        {"https://git.example.com", "https", "git.example.com:8443", NULL,
         false},
        {"https://other.example.com", "https", "git.example.com", NULL, false},
        {"http://git.example.com", "https", "git.example.com", NULL, false},
        {"https://localhost:8080", "http", "localhost:8080", NULL, false},
        {"http://localhost:8080/api", "http", "localhost:8080", "api/x", true},
        {"http://localhost", "http", "localhost:80", NULL, true},
        /* Not an absolute URL, or one with user info or a fragment. */
        {"git.example.com", "https", "git.example.com", NULL, false},
        {"/api", "https", "git.example.com", "api", false},
        {"", "https", "git.example.com", NULL, false},
        {"https://u@git.example.com", "https", "git.example.com", NULL, false},
        {"https://git.example.com/api#f", "https", "git.example.com", "api",
         false},
        {"https://git.example.com#", "https", "git.example.com", NULL, false},
        {NULL, "https", "git.example.com", NULL, false},
        {"https://git.example.com", "https", NULL, NULL, false},
        {"https://git.example.com", NULL, "git.example.com", NULL, false},
        {"http://git.example.com", "http", "git.example.com", NULL, false},
};

static void
test_resource_matches(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(resource_cases) / sizeof(*resource_cases); i++)
		if (rsmeta_resource_matches(
		            resource_cases[i].resource,
		            resource_cases[i].protocol, resource_cases[i].host,
		            resource_cases[i].path) != resource_cases[i].match)
			fail_msg("case %zu: %s for %s", i,
			         resource_cases[i].resource
			                 ? resource_cases[i].resource
			                 : "(null)",
			         resource_cases[i].path ? resource_cases[i].path
			                                : "(null)");
}

/* --- rsmeta_get() against the in-process server ---------------------- */

static int port;
static char host[64];
static char state_dir[] = "/tmp/test_rsmeta_XXXXXX";
static char good_doc[512], other_doc[512], big_doc[RSMETA_MAX_DOC + 64];
static char redirect_head[256];

static const struct httpd_route routes[] = {
        {"/.well-known/oauth-protected-resource", 200,
         "Content-Type: application/json\r\n", good_doc, 0, 0},
        /* Content-Type is not checked. */
        {"/text", 200, "Content-Type: text/plain\r\n", good_doc, 0, 0},
        {"/other", 200, NULL, other_doc, 0, 0},
        {"/big", 200, NULL, big_doc, 0, 0},
        {"/moved", 302, redirect_head, "moved", 0, 0},
        {"/garbage", 200, NULL, "{\"resource\":", 0, 0},
        {"/down", 503, NULL, "busy", 0, 0},
        {NULL, 0, NULL, NULL, 0, 0},
};

static int
setup_get(void **state)
{
	(void)state;
	httpd_unset_proxies();
	if (!mkdtemp(state_dir) || setenv("XDG_STATE_HOME", state_dir, 1))
		return -1;
	if (httpd_start(routes, &port))
		return -1;
	snprintf(host, sizeof(host), "127.0.0.1:%d", port);
	snprintf(good_doc, sizeof(good_doc),
	         "{\"resource\":\"http://%s/api\",\"authorization_servers\":"
	         "[\"https://id.example\"]}",
	         host);
	snprintf(other_doc, sizeof(other_doc),
	         "{\"resource\":\"http://127.0.0.1:%d/api\","
	         "\"authorization_servers\":[\"https://evil.example\"]}",
	         port == 65535 ? 1 : port + 1);
	/* Valid JSON, one byte over 64 KiB. */
	memset(big_doc, ' ', sizeof(big_doc) - 1);
	memcpy(big_doc, "{\"resource\":\"x\"}", 16);
	big_doc[RSMETA_MAX_DOC + 1] = '\0';
	snprintf(redirect_head, sizeof(redirect_head),
	         "Location: http://%s/.well-known/oauth-protected-resource\r\n",
	         host);
	return 0;
}

static int
teardown_get(void **state)
{
	(void)state;
	httpd_stop();
	return tmptree_remove(state_dir);
}

static void
url_at(char *buf, size_t size, const char *path)
{
	snprintf(buf, size, "http://%s%s", host, path);
}

/* The cache file of @url, as rsmeta.h names it. */
static void
cache_file(const char *url, char *buf, size_t size)
{
	snprintf(buf, size, "%s/clerk-credential/resource-%016llx.json",
	         state_dir,
	         (unsigned long long)hash_fnv1a64(url, HASH_FNV1A64_INIT));
}

static void
test_get_fetch_cache_expiry(void **state)
{
	struct config cfg = {0};
	struct rsmeta m = RSMETA_INIT;
	char url[128], path[512];
	struct utimbuf old;
	struct stat st;
	int before = httpd_requests();

	(void)state;
	url_at(url, sizeof(url), "/.well-known/oauth-protected-resource");
	cache_file(url, path, sizeof(path));
	unlink(path);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, "api/x", &m), 0);
	assert_int_equal(httpd_requests(), before + 1);
	assert_int_equal(m.nservers, 1);
	assert_string_equal(m.servers[0], "https://id.example");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* Fresh cache: no request, and checked against this request. */
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 1);
	assert_string_equal(m.servers[0], "https://id.example");

	/* A cached document that does not check for this request: fetched
	 * again, and refused again. */
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, "apix", &m),
	                 CLERK_ENOTFOUND);
	assert_int_equal(httpd_requests(), before + 2);
	/* The failure left the previous result. */
	assert_string_equal(m.servers[0], "https://id.example");

	/* A day old: fetched again. */
	old.actime = old.modtime = time(NULL) - RSMETA_MAX_AGE - 5;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 3);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 3);

	/* From the future: fetched again. */
	old.actime = old.modtime = time(NULL) + 3600;
	assert_int_equal(utime(path, &old), 0);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 4);

	/* Readable by others: not trusted, fetched again and rewritten. */
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 5);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	rsmeta_release(&m);
}

static void
test_get_forged_cache_refetched(void **state)
{
	struct config cfg = {0};
	struct rsmeta m = RSMETA_INIT;
	char url[128], path[512], forged[256], dir[256];
	FILE *f;
	int before = httpd_requests();

	(void)state;
	url_at(url, sizeof(url), "/text");
	cache_file(url, path, sizeof(path));
	/* A document for another origin where this URL's cache is. */
	snprintf(forged, sizeof(forged),
	         "{\"resource\":\"https://evil.example\","
	         "\"authorization_servers\":[\"https://evil.example\"]}");
	snprintf(dir, sizeof(dir), "%s/clerk-credential", state_dir);
	assert_true(mkdir(dir, 0700) == 0 || errno == EEXIST);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(forged, f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(rsmeta_get(&cfg, url, "http", host, NULL, &m), 0);
	assert_int_equal(httpd_requests(), before + 1);
	assert_string_equal(m.servers[0], "https://id.example");
	rsmeta_release(&m);
}

static const struct {
	const char *path;
	int result;
} refused_cases[] = {
        /* Its resource names another origin: no metadata, not cached. */
        {"/other", CLERK_ENOTFOUND},
        {"/garbage", CLERK_ENOTFOUND},
        /* The fetch failed: said, and an error. */
        {"/big", CLERK_EPROTO},
        {"/moved", CLERK_EPROVIDER},
        {"/down", CLERK_EPROVIDER},
        {"/missing", CLERK_EPROVIDER},
};

static void
test_get_refused(void **state)
{
	struct config cfg = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused_cases) / sizeof(*refused_cases); i++) {
		struct rsmeta m = RSMETA_INIT;
		char url[128], path[512];
		struct stat st;
		int before = httpd_requests(), r;

		url_at(url, sizeof(url), refused_cases[i].path);
		cache_file(url, path, sizeof(path));
		r = rsmeta_get(&cfg, url, "http", host, NULL, &m);
		if (r != refused_cases[i].result)
			fail_msg("%s: %d", refused_cases[i].path, r);
		/* One request: a redirect is not followed. */
		assert_int_equal(httpd_requests(), before + 1);
		assert_null(m.resource);
		assert_int_not_equal(stat(path, &st), 0);
	}
}

/* A URL that may not be fetched is never requested. */
static void
test_get_not_allowed(void **state)
{
	static const char *const urls[] = {
	        "http://127.0.0.1:1/.well-known/oauth-protected-resource",
	        "https://id.example/.well-known/oauth-protected-resource",
	        "http://user@127.0.0.1/x",
	        "",
	};
	struct config cfg = {0};
	struct rsmeta m = RSMETA_INIT;
	int before = httpd_requests();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(urls) / sizeof(*urls); i++)
		assert_int_equal(
		        rsmeta_get(&cfg, urls[i], "http", host, NULL, &m),
		        CLERK_ENOTFOUND);
	assert_int_equal(rsmeta_get(&cfg, NULL, "http", host, NULL, &m),
	                 CLERK_ENOTFOUND);
	assert_int_equal(httpd_requests(), before);
	assert_null(m.resource);
}

int
main(void)
{
	const struct CMUnitTest pure_tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_parse_values_and_failure_keeps),
	        cmocka_unit_test(test_parse_bounds),
	        cmocka_unit_test(test_url_allowed),
	        cmocka_unit_test(test_url_length),
	        cmocka_unit_test(test_resource_matches),
	};
	const struct CMUnitTest get_tests[] = {
	        cmocka_unit_test(test_get_fetch_cache_expiry),
	        cmocka_unit_test(test_get_forged_cache_refetched),
	        cmocka_unit_test(test_get_refused),
	        cmocka_unit_test(test_get_not_allowed),
	};
	int failed;

	failed = cmocka_run_group_tests(pure_tests, NULL, NULL);
	failed += cmocka_run_group_tests(get_tests, setup_get, teardown_get);
	return failed;
}
