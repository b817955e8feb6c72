/*
 * Token endpoint and userinfo (RFC 6749, OIDC Core), for a public client.
 */
#ifndef CLERK_OAUTH_H
#define CLERK_OAUTH_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct oidc_provider;
struct strbuf;
struct tokenset;

/*
 * Parse a token endpoint answer (@status, @body) into @out: on 200 fills
 * access_token, token_type, expires_at (@now + expires_in), refresh_token,
 * id_token and scope when present (missing access_token is
 * CLERK_EPROVIDER). Tokens are at most 64 KiB of visible ASCII;
 * token_type, when given, must be Bearer; expires_in must be 1 s to 10
 * years, and its absence sets expires_at to 0 (unknown). The answer is
 * committed only when all of it is valid. On an OAuth error body with
 * status 400 or 401, "invalid_grant" is CLERK_EGRANT; any other error,
 * status or body is CLERK_EPROVIDER; the message gives error and
 * error_description (never a token). Fields not in the answer are left as
 * they were in @out, so a refresh keeps its refresh token when the
 * provider does not rotate it.
 */
int oauth_parse_token_response(long status, const char *body, size_t len,
                               int64_t now, struct tokenset *out);

/*
 * What to do about the OAuth error @error, whose error_description is
 * @description (or NULL): a phrase for the "(...)" of a message.
 */
const char *oauth_error_hint(const char *error, const char *description);

/*
 * Add "resource=<cfg->resource>" (RFC 8707) to the form @form when the
 * profile names a resource; nothing otherwise. Every request for tokens
 * carries it, so that each grant is for that resource alone.
 */
int oauth_form_add_resource(const struct config *cfg, struct strbuf *form);

/*
 * grant_type=authorization_code with PKCE: POST code, redirect_uri,
 * client_id, code_verifier and the resource (above). Fills @out as above.
 */
int oauth_exchange_code(const struct config *cfg,
                        const struct oidc_provider *op, const char *code,
                        const char *verifier, const char *redirect_uri,
                        struct tokenset *out);

/*
 * grant_type=refresh_token with @out->refresh_token; updates @out in
 * place (rotated refresh token included). CLERK_EGRANT on invalid_grant
 * (only when answered with 400/401: a 5xx is CLERK_EPROVIDER, so a
 * provider outage never makes the caller forget its tokens);
 * CLERK_ENOTFOUND, without a message, when @out has no refresh token.
 * The scope is not resent; the resource is (RFC 8707 §2.2). On any
 * failure @out is unchanged.
 */
int oauth_refresh(const struct config *cfg, const struct oidc_provider *op,
                  struct tokenset *out);

/*
 * GET userinfo with the access token. On a 200 answer holding a JSON
 * object, *@json is that object re-serialised (free with secret_free());
 * anything else is CLERK_EPROVIDER, as is a provider without a userinfo
 * endpoint.
 */
int oauth_userinfo(const struct oidc_provider *op, const char *access_token,
                   char **json);

/*
 * Revoke @token at the revocation endpoint (RFC 7009) as a public client:
 * POST token, token_type_hint @hint ("refresh_token" or "access_token")
 * and client_id. 0 when the provider answers 200 (as it does for a token
 * it no longer knows). Otherwise a warning, never an error, names the
 * cause: unsupported_token_type, a refused client (401), another status,
 * or no revocation endpoint (all CLERK_EPROVIDER); an unreachable
 * provider is CLERK_ENET, a refused TLS peer CLERK_ETLS (http.c says
 * why). The caller forgets its tokens whatever the answer.
 */
int oauth_revoke(const struct config *cfg, const struct oidc_provider *op,
                 const char *token, const char *hint);

/*
 * Sign @ts out at the provider: revoke its refresh token, then its access
 * token when that is opaque (a JWT access token cannot be revoked, contract
 * §14). 0 when every revocation was accepted, else the first failure's
 * code (after one warning each; an unreachable provider is tried once).
 */
int oauth_revoke_tokens(const struct config *cfg,
                        const struct oidc_provider *op,
                        const struct tokenset *ts);

#endif
