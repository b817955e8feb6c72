/*
 * See discovery.h.
 *
 * MUST: compare "issuer" byte for byte with the configured issuer (no
 * normalisation: a trailing slash is a different issuer); check every
 * endpoint with http_url_allowed() and the issuer's scheme; re-check a
 * cached document exactly like a fetched one. MUST NOT: cache a document
 * that failed those checks; fall back to Clerk's paths for anything but a
 * network failure, CLERK_ENET (a wrong issuer, a bad document or a TLS
 * failure, CLERK_ETLS, is an error: the fallback would send the browser
 * to a host whose certificate was just refused).
 */
#include "discovery.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

#define DISCOVERY_PATH    "/.well-known/openid-configuration"
#define DISCOVERY_MAX_AGE 86400
#define DISCOVERY_MAX_URL 2048

void
oidc_provider_release(struct oidc_provider *p)
{
	free(p->issuer);
	free(p->authorization_endpoint);
	free(p->token_endpoint);
	free(p->userinfo_endpoint);
	free(p->revocation_endpoint);
	free(p->jwks_uri);
	free(p->device_authorization_endpoint);
	memset(p, 0, sizeof(*p));
}

/* An issuer we can work with: allowed URL, no query, no fragment. */
static int
check_issuer(const char *issuer)
{
	char shown[201];

	if (issuer && http_url_allowed(issuer) && !strpbrk(issuer, "?#") &&
	    strlen(issuer) < DISCOVERY_MAX_URL)
		return 0;
	log_error("issuer %s is not usable: it must be an https URL (http "
	          "only on 127.0.0.1, [::1] or localhost) without query or "
	          "fragment (check --issuer)",
	          issuer ? str_printable(issuer, shown, sizeof(shown))
	                 : "(none)");
	return CLERK_ECONFIG;
}

/* "@issuer@path", without doubling the slash of an issuer ending in '/'. */
static int
issuer_url(const char *issuer, const char *path, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(issuer);
	int r;

	if (n > 0 && issuer[n - 1] == '/')
		n--;
	r = strbuf_add(&sb, issuer, n);
	if (!r)
		r = strbuf_adds(&sb, path);
	if (!r)
		r = strbuf_detach(&sb, out);
	strbuf_release(&sb);
	return r;
}

static bool
same_scheme(const char *a, const char *b)
{
	return str_starts_with(a, "https://") == str_starts_with(b, "https://");
}

static const struct {
	const char *key;
	size_t offset;
	bool required;
} endpoints[] = {
        {"authorization_endpoint",
         offsetof(struct oidc_provider, authorization_endpoint), true},
        {"token_endpoint", offsetof(struct oidc_provider, token_endpoint),
         true},
        {"userinfo_endpoint", offsetof(struct oidc_provider, userinfo_endpoint),
         false},
        {"revocation_endpoint",
         offsetof(struct oidc_provider, revocation_endpoint), false},
        {"jwks_uri", offsetof(struct oidc_provider, jwks_uri), false},
        {"device_authorization_endpoint",
         offsetof(struct oidc_provider, device_authorization_endpoint), false},
};

#define N_ENDPOINTS (sizeof(endpoints) / sizeof(*endpoints))

static char **
endpoint_slot(struct oidc_provider *p, size_t i)
{
	return (char **)(void *)((char *)p + endpoints[i].offset);
}

/*
 * Check and copy endpoint @i of @doc into @p. Absent optional endpoints
 * stay NULL. Messages only when @report.
 */
static int
take_endpoint(const struct json *doc, size_t i, const char *issuer, bool report,
              struct oidc_provider *p)
{
	const struct json *node = json_get(doc, endpoints[i].key);
	const char *url = json_string_value(node);
	const char *why = NULL;

	if (!node && !endpoints[i].required)
		return 0;
	if (!node)
		why = "is missing";
	else if (!url)
		why = "is not a string";
	else if (strlen(url) >= DISCOVERY_MAX_URL || !http_url_allowed(url))
		why = "is not an allowed URL (https, or http on loopback)";
	else if (!same_scheme(url, issuer))
		why = "does not use the issuer's scheme";
	if (why) {
		if (report)
			log_error("discovery document of %s is unusable: %s "
			          "%s (the provider's metadata is wrong)",
			          issuer, endpoints[i].key, why);
		return CLERK_EPROVIDER;
	}
	if (!(*endpoint_slot(p, i) = strdup(url)))
		return CLERK_ENOMEM;
	return 0;
}

static int
check_doc_issuer(const struct json *doc, const char *issuer, bool report)
{
	const char *iss = json_get_string(doc, "issuer");
	char shown[201];

	if (!json_is_object(doc)) {
		if (report)
			log_error("discovery document of %s is not a JSON "
			          "object (check the issuer URL)",
			          issuer);
		return CLERK_EPROVIDER;
	}
	if (iss && strcmp(iss, issuer) == 0)
		return 0;
	if (report && !iss)
		log_error("discovery document of %s names no issuer (check "
		          "the issuer URL)",
		          issuer);
	else if (report)
		log_error("discovery document names issuer \"%s\", not the "
		          "configured \"%s\" (set --issuer to exactly the "
		          "provider's issuer)",
		          str_printable(iss, shown, sizeof(shown)), issuer);
	return CLERK_EPROVIDER;
}

/* discovery_parse(), with messages only when @report. */
static int
parse_doc(const char *issuer, const char *text, size_t len, bool report,
          struct oidc_provider *out)
{
	struct oidc_provider p = {0};
	struct json *doc = NULL;
	size_t i;
	int r;

	if ((r = check_issuer(issuer)))
		return r;
	doc = json_parse(text, len);
	if ((r = check_doc_issuer(doc, issuer, report)))
		goto out;
	for (i = 0; i < N_ENDPOINTS && !r; i++)
		r = take_endpoint(doc, i, issuer, report, &p);
	if (r)
		goto out;
	if (json_get_bool(doc, "authorization_response_iss_parameter_supported",
	                  &p.iss_parameter_supported))
		p.iss_parameter_supported = false;
	if (!(p.issuer = strdup(issuer))) {
		r = CLERK_ENOMEM;
		goto out;
	}
	oidc_provider_release(out);
	*out = p;
	memset(&p, 0, sizeof(p));
out:
	oidc_provider_release(&p);
	json_free(doc);
	return r;
}

int
discovery_parse(const char *issuer, const char *json, size_t len,
                struct oidc_provider *out)
{
	return parse_doc(issuer, json, len, true, out);
}

int
discovery_fallback(const char *issuer, struct oidc_provider *out)
{
	static const char *const paths[N_ENDPOINTS] = {
	        "/oauth/authorize",       "/oauth/token",
	        "/oauth/userinfo",        "/oauth/token/revoke",
	        "/.well-known/jwks.json", NULL,
	};
	struct oidc_provider p = {0};
	size_t i;
	int r;

	if ((r = check_issuer(issuer)))
		return r;
	for (i = 0; i < N_ENDPOINTS && !r; i++)
		if (paths[i])
			r = issuer_url(issuer, paths[i], endpoint_slot(&p, i));
	if (!r && !(p.issuer = strdup(issuer)))
		r = CLERK_ENOMEM;
	if (r) {
		oidc_provider_release(&p);
		return r;
	}
	p.from_fallback = true;
	oidc_provider_release(out);
	*out = p;
	return 0;
}

/* The cache file's path, <state>/discovery-<key>.json. */
static int
cache_path(const struct config *cfg, char **out)
{
	char *dir = NULL;
	int r;

	if ((r = paths_state_dir(&dir)) == 0)
		r = config_key_path(cfg, dir, "discovery-", ".json", out);
	free(dir);
	return r;
}

/*
 * The cached document when younger than a day and still valid;
 * CLERK_ENOTFOUND when it must be fetched again.
 */
static int
load_cached(const char *path, const char *issuer, bool any_age,
            struct oidc_provider *out)
{
	char *text = NULL;
	size_t len = 0;
	/* Ours and private: a forged token endpoint would receive codes. */
	int r = file_read_fresh(path, any_age ? 0 : DISCOVERY_MAX_AGE,
	                        JSON_MAX_INPUT, &text, &len);

	if (r == CLERK_ENOTFOUND)
		return r;
	if (!r)
		r = parse_doc(issuer, text, len, false, out);
	if (r && r != CLERK_ENOMEM) {
		log_debug("discovery: ignoring the invalid cache %s", path);
		r = CLERK_ENOTFOUND;
	}
	secret_free(text);
	return r;
}

static int
use_fallback(const char *issuer, struct oidc_provider *out)
{
	static bool warned;

	if (!warned)
		log_warn("cannot fetch the discovery document of %s: using "
		         "Clerk's fixed paths (/oauth/authorize, /oauth/token, "
		         "...)",
		         issuer);
	warned = true;
	return discovery_fallback(issuer, out);
}

/* Fetch, check and cache the document; the fallback on network failure. */
static int
fetch(const char *issuer, const char *path, struct oidc_provider *out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	char *url = NULL;
	int r;

	if ((r = issuer_url(issuer, DISCOVERY_PATH, &url)))
		goto out;
	r = http_get(url, NULL, &resp);
	if (r == CLERK_ENET) {
		r = use_fallback(issuer, out);
		goto out;
	}
	if (r)
		goto out;
	if (resp.status != 200) {
		log_error("discovery failed: %s answered HTTP %ld (check the "
		          "issuer URL)",
		          url, resp.status);
		r = CLERK_EPROVIDER;
		goto out;
	}
	if ((r = parse_doc(issuer, resp.body, resp.len, true, out)))
		goto out;
	/* The cache only saves a request: failing to write it is fine. */
	if (path && file_write_atomic(path, resp.body, resp.len, 0600))
		log_debug("discovery: could not write the cache %s", path);
out:
	http_response_release(&resp);
	free(url);
	return r;
}

int
discovery_load(const struct config *cfg, bool any_age,
               struct oidc_provider *out)
{
	char *path = NULL;
	int r;

	if ((r = check_issuer(cfg->issuer)))
		return r;
	if (cache_path(cfg, &path))
		log_debug("discovery: no cache (state dir unusable)");
	if (path) {
		r = load_cached(path, cfg->issuer, any_age, out);
		if (!r)
			log_debug("discovery: using the cache %s", path);
		if (r != CLERK_ENOTFOUND)
			goto out;
	}
	r = fetch(cfg->issuer, path, out);
out:
	free(path);
	return r;
}
