/*
 * OpenID Provider metadata (OpenID Discovery / RFC 8414), with a day's
 * cache in the state dir and Clerk's fixed paths as the fallback when the
 * document cannot be fetched (contract §8, §14).
 */
#ifndef CLERK_DISCOVERY_H
#define CLERK_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>

struct config;

struct oidc_provider {
	char *issuer;
	char *authorization_endpoint;
	char *token_endpoint;
	char *userinfo_endpoint;             /* or NULL */
	char *revocation_endpoint;           /* or NULL */
	char *jwks_uri;                      /* or NULL */
	char *device_authorization_endpoint; /* or NULL */
	bool iss_parameter_supported;        /* RFC 9207 */
	bool from_fallback;                  /* Clerk's fixed paths were used */
};

void oidc_provider_release(struct oidc_provider *p);

/*
 * Parse a discovery document. Its "issuer" must equal @issuer byte for
 * byte (else CLERK_EPROVIDER, message names both); authorization and
 * token endpoints are required; every endpoint must pass
 * http_url_allowed() and share the issuer's scheme.
 */
int discovery_parse(const char *issuer, const char *json, size_t len,
                    struct oidc_provider *out);

/*
 * Clerk's fixed paths under @issuer (contract §14; one trailing slash of the
 * issuer is not doubled); no device endpoint. CLERK_ECONFIG when the
 * issuer fails http_url_allowed() or has a query or fragment.
 */
int discovery_fallback(const char *issuer, struct oidc_provider *out);

/*
 * The provider's metadata for cfg->issuer: from the cache file
 * (<state>/discovery-<key>.json) when younger than a day, else fetched
 * from {issuer}/.well-known/openid-configuration and cached; when no
 * answer comes (CLERK_ENET: DNS, connect, reset, timeout), the Clerk
 * fallback with a warning. A TLS failure (CLERK_ETLS: certificate, host
 * name, protocol version) is an error: the fallback would send the user
 * to a host this program cannot trust.
 * A mismatching issuer is never cached and never falls back.
 * With @any_age a cached document of any age is used: a refresh needs
 * only the token endpoint, and must not cost a discovery fetch (contract §15).
 */
int discovery_load(const struct config *cfg, bool any_age,
                   struct oidc_provider *out);

#endif
