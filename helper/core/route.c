/* See route.h. */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "error.h"
#include "hostrule.h"
#include "log.h"
#include "rsmeta.h"
#include "util.h"

#include "banned.h"

static bool
profile_explicit(const struct config *cfg)
{
	return cfg->src_profile == SRC_OPTION || cfg->src_profile == SRC_ENV;
}

/* "https://x.example/" and "https://x.example" name one issuer. */
static bool
issuer_equal(const char *a, const char *b)
{
	size_t na, nb;

	if (!a || !b)
		return false;
	na = strlen(a);
	nb = strlen(b);
	while (na && a[na - 1] == '/')
		na--;
	while (nb && b[nb - 1] == '/')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

static bool
names_issuer(const struct rsmeta *m, const char *issuer)
{
	size_t i;

	for (i = 0; i < m->nservers; i++)
		if (issuer_equal(m->servers[i], issuer))
			return true;
	return false;
}

/*
 * Switch @cfg to @name (when it is not that profile already). What the
 * caller found of this run stays: a sign-in it ruled out (no terminal
 * and no browser, kubectl's interactive=false) is still ruled out,
 * unless the new profile's own config says "interactive".
 */
static int
use(struct config *cfg, const char *name, const char *why)
{
	bool lowered = !cfg->interactive && cfg->src_interactive == SRC_DEFAULT;
	int r;

	if (strcmp(cfg->profile, name) != 0) {
		if ((r = config_use_profile(cfg, name)))
			return r;
		if (lowered && cfg->src_interactive == SRC_DEFAULT)
			cfg->interactive = false;
	}
	cfg->src_profile = SRC_ROUTE;
	log_debug("profile %s answers: %s", name, why);
	return 0;
}

const struct config_profile_info *
route_pick(const struct rsmeta *m, const struct config_profile_info *p,
           size_t n, const struct config_profile_info **second)
{
	const struct config_profile_info *pick = NULL;
	size_t i;

	*second = NULL;
	for (i = 0; i < n; i++) {
		if (!names_issuer(m, p[i].issuer))
			continue;
		/* The default profile wins a tie (config_profiles() gives
		 * it first). */
		if (!pick)
			pick = &p[i];
		else if (!*second &&
		         strcmp(pick->name, CONFIG_DEFAULT_PROFILE) != 0)
			*second = &p[i];
	}
	return pick;
}

/*
 * Step 3 of route.h: the profile the server's metadata @m points to.
 * CLERK_ENOTFOUND when it names no configured issuer.
 */
static int
by_metadata(struct config *cfg, const struct rsmeta *m)
{
	const struct config_profile_info *pick, *second;
	struct config_profile_info *p = NULL;
	size_t n = 0;
	char text[256];
	int r;

	if ((r = config_profiles(cfg, &p, &n)))
		return r;
	pick = route_pick(m, p, n, &second);
	if (!pick) {
		log_debug("the resource metadata of %s names no issuer of a "
		          "configured profile: no token for it",
		          str_printable(m->resource, text, sizeof(text)));
		r = CLERK_ENOTFOUND;
	} else if (second) {
		log_error("the server's resource metadata names the issuer of "
		          "profiles '%s' and '%s': pick one with --profile, or "
		          "claim the host in one profile's \"hosts\"",
		          pick->name, second->name);
		r = CLERK_ECONFIG;
	} else {
		r = use(cfg, pick->name,
		        "its issuer is an authorization "
		        "server of the resource");
	}
	config_profiles_free(p, n);
	return r;
}

/* The resource_metadata URL of the server's Bearer challenge, or NULL. */
static const char *
metadata_url(const struct route_request *req)
{
	const struct challenge *b;

	if (!req->challenges ||
	    !(b = challenges_find(req->challenges, "Bearer")))
		return NULL;
	return challenge_param(b, "resource_metadata");
}

/*
 * The host rule of the chosen profile (route.h). After step 3, @m is the
 * metadata and @named tells whether the default profile's host list
 * (the hosts the user lets any account serve) allowed the host.
 */
static bool
host_rule(const struct config *cfg, const struct route_request *req,
          const struct rsmeta *m, bool named)
{
	if (config_host_allowed(cfg, req->protocol, req->host)) {
		log_debug("host '%s' matches the host list of profile %s",
		          req->host, cfg->profile);
		return true;
	}
	if (m && named) {
		log_debug("host '%s' is in the default host list; its resource "
		          "metadata chose profile %s",
		          req->host, cfg->profile);
		return true;
	}
	/* The user named the resource; the server's metadata says it is
	 * this one (its origin was checked against the request). */
	if (m && cfg->resource && strcmp(cfg->resource, m->resource) == 0 &&
	    host_protocol_allowed(req->protocol, req->host)) {
		log_debug("host '%s' serves the resource of profile %s",
		          req->host, cfg->profile);
		return true;
	}
	if (cfg->nhosts == 0 && !cfg->resource)
		log_info("no host may receive a token yet: name one with "
		         "--host=HOST, CLERK_CREDENTIAL_HOSTS or \"hosts\" in "
		         "the config file (or run `clerk-credential "
		         "configure`)");
	else
		log_debug("host '%s' over %s is not in the host list of "
		          "profile %s; passing",
		          req->host, req->protocol ? req->protocol : "?",
		          cfg->profile);
	return false;
}

int
route_request(struct config *cfg, const struct route_request *req)
{
	struct rsmeta meta = {0};
	bool have_meta = false, named = false;
	char *claimant = NULL;
	const char *url;
	int r = 0;

	/* git and curl refuse such hosts, but a caller may not be git. */
	if (!req->host || !*req->host ||
	    !host_port_valid(req->host, strlen(req->host))) {
		log_debug("'%s' is not a host name with an optional port; "
		          "passing",
		          req->host ? req->host : "");
		return CLERK_ENOTFOUND;
	}
	if (profile_explicit(cfg))
		goto rule;
	r = config_claimant(cfg, req->host, &claimant);
	if (r == 0) {
		r = use(cfg, claimant, "its \"hosts\" claim the host");
		free(claimant);
		if (r)
			return r;
		goto rule;
	}
	if (r != CLERK_ENOTFOUND)
		return r;
	r = 0;
	if ((url = metadata_url(req))) {
		r = rsmeta_get(cfg, url, req->protocol, req->host, req->path,
		               &meta);
		if (r == 0) {
			have_meta = true;
			/* Before the switch: cfg is the default profile. */
			named = config_host_allowed(cfg, req->protocol,
			                            req->host);
			if ((r = by_metadata(cfg, &meta)))
				goto out;
		} else if (r != CLERK_ENOTFOUND) {
			log_debug("no resource metadata; the default profile "
			          "answers");
		}
		r = 0;
	}
rule:
	if (!host_rule(cfg, req, have_meta ? &meta : NULL, named))
		r = CLERK_ENOTFOUND;
out:
	rsmeta_release(&meta);
	return r;
}
