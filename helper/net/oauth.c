/*
 * See oauth.h.
 *
 * MUST: build forms in wiped buffers; bound every token and number from
 * the provider before keeping it; commit into the token set only when the
 * whole answer is valid; treat invalid_grant as CLERK_EGRANT only when the
 * provider says so with a 400 or 401 (a 5xx must never make the caller
 * forget its tokens). MUST NOT: put a token, code or verifier in any
 * message; resend the scope on refresh (RFC 6749 6: it may only narrow).
 *
 * The ID token is checked in jwt.c, signature and claims; oauth.c only
 * asks it whether a token is a JWT at all (one cannot be revoked).
 */
#include "oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "discovery.h"
#include "encode.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "tokenset.h"
#include "util.h"

#include "banned.h"

#define OAUTH_MAX_TOKEN      (64 * 1024)
#define OAUTH_MAX_TEXT       4096                 /* scope, token_type */
#define OAUTH_MAX_EXPIRES_IN (10LL * 366 * 86400) /* ten years */

/*
 * 1..@max characters, each printable ASCII; with @token, no space either
 * (RFC 6749 A.12-A.13 and RFC 6750 b64token are all visible ASCII).
 */
static bool
text_ok(const char *s, size_t max, bool token)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c < 0x20 || c >= 0x7f || (token && c == ' '))
			return false;
	}
	return n > 0;
}

static bool
is_null(const struct json *node)
{
	return node && strcmp(json_type_name(node), "null") == 0;
}

/*
 * An optional string member: *@out is NULL when absent, null or empty;
 * -1 when it has another type or fails text_ok().
 */
static int
opt_string(const struct json *doc, const char *key, size_t max, bool token,
           const char **out)
{
	const struct json *node = json_get(doc, key);
	const char *v = json_string_value(node);

	*out = NULL;
	if (!node || is_null(node) || (v && !*v))
		return 0;
	if (!v || !text_ok(v, max, token))
		return -1;
	*out = v;
	return 0;
}

/* expires_at from expires_in (a number, or a numeric string); 0 if absent. */
static int
read_expiry(const struct json *doc, int64_t now, int64_t *expires_at)
{
	const struct json *node = json_get(doc, "expires_in");
	const char *s = json_string_value(node);
	int64_t v;

	if (!node || is_null(node)) {
		*expires_at = 0;
		return 0;
	}
	if (json_get_int64(doc, "expires_in", &v) &&
	    (!s || parse_int64(s, 1, OAUTH_MAX_EXPIRES_IN, &v)))
		return -1;
	if (v < 1 || v > OAUTH_MAX_EXPIRES_IN || now < 0 ||
	    now > INT64_MAX - OAUTH_MAX_EXPIRES_IN)
		return -1;
	*expires_at = now + v;
	return 0;
}

/* The answer's fields, pointing into the parsed document. */
struct answer {
	const char *access_token, *refresh_token, *id_token;
	const char *token_type, *scope;
	int64_t expires_at;
};

/* Validate a 200 answer into @a; names the bad member in *@bad. */
static int
read_answer(const struct json *doc, int64_t now, struct answer *a,
            const char **bad)
{
	if (opt_string(doc, "access_token", OAUTH_MAX_TOKEN, true,
	               &a->access_token) ||
	    !a->access_token)
		*bad = "access_token is missing or malformed";
	else if (opt_string(doc, "refresh_token", OAUTH_MAX_TOKEN, true,
	                    &a->refresh_token))
		*bad = "refresh_token is malformed";
	else if (opt_string(doc, "id_token", OAUTH_MAX_TOKEN, true,
	                    &a->id_token))
		*bad = "id_token is malformed";
	else if (opt_string(doc, "token_type", OAUTH_MAX_TEXT, true,
	                    &a->token_type) ||
	         (a->token_type && strcasecmp(a->token_type, "Bearer") != 0))
		*bad = "token_type is not Bearer";
	else if (opt_string(doc, "scope", OAUTH_MAX_TEXT, false, &a->scope))
		*bad = "scope is malformed";
	else if (read_expiry(doc, now, &a->expires_at))
		*bad = "expires_in is not between 1 second and 10 years";
	else
		return 0;
	return CLERK_EPROVIDER;
}

/* Replace *@dst by @src when @src is set; wipes the old value. */
static void
replace(char **dst, char **src)
{
	if (!*src)
		return;
	secret_free(*dst);
	*dst = *src;
	*src = NULL;
}

/* Copy @a into @out; nothing changes unless every copy succeeds. */
static int
commit_answer(const struct answer *a, struct tokenset *out)
{
	const char *src[5] = {a->access_token, a->refresh_token, a->id_token,
	                      a->token_type, a->scope};
	char *copy[5] = {NULL};
	int i, r = 0;

	for (i = 0; i < 5 && !r; i++)
		if (src[i] && !(copy[i] = strdup(src[i])))
			r = CLERK_ENOMEM;
	if (!r) {
		replace(&out->access_token, &copy[0]);
		replace(&out->refresh_token, &copy[1]);
		replace(&out->id_token, &copy[2]);
		replace(&out->token_type, &copy[3]);
		replace(&out->scope, &copy[4]);
		out->expires_at = a->expires_at;
	}
	for (i = 0; i < 5; i++)
		secret_free(copy[i]);
	return r;
}

const char *
oauth_error_hint(const char *error, const char *description)
{
	if (strcmp(error, "invalid_grant") == 0)
		return "sign in again";
	if (strcmp(error, "invalid_client") == 0 ||
	    strcmp(error, "unauthorized_client") == 0)
		return "check --client-id and the OAuth application";
	if (strcmp(error, "invalid_scope") == 0 && description &&
	    strstr(description, "offline_access"))
		return "add the offline_access scope to the OAuth application "
		       "in the Clerk dashboard (Configure > OAuth "
		       "applications > Scopes): it gives the refresh token "
		       "that keeps renewal silent";
	if (strcmp(error, "invalid_scope") == 0)
		return "check --scopes: each scope must be enabled for the "
		       "OAuth application in the Clerk dashboard (Configure > "
		       "OAuth applications > Scopes), offline_access too";
	return "check the OAuth application's settings";
}

/* Report an error answer once; the result code for it. */
static int
report_error(long status, const struct json *doc, long retry_after)
{
	const char *err = json_get_string(doc, "error");
	const char *desc = json_get_string(doc, "error_description");
	char e[65], d[STR_TEXT_MAX + 4], retry[64] = "";

	if (retry_after >= 0 && (status == 429 || status == 503))
		snprintf(retry, sizeof(retry), ", retry after %ld s",
		         retry_after);
	if (err && (status == 400 || status == 401 || status == 200)) {
		log_error("token request failed: %s%s%s%s; %s",
		          str_printable(err, e, sizeof(e)), desc ? " (" : "",
		          desc ? str_printable_text(desc, d) : "",
		          desc ? ")" : "", oauth_error_hint(err, desc));
		if (strcmp(err, "invalid_grant") == 0 && status != 200)
			return CLERK_EGRANT;
		return CLERK_EPROVIDER;
	}
	log_error("token request failed: HTTP %ld from the provider%s%s%s "
	          "(try again later; if it persists, check the issuer)",
	          status, err ? ", " : "",
	          err ? str_printable(err, e, sizeof(e)) : "", retry);
	return CLERK_EPROVIDER;
}

static int
parse_response(long status, const char *body, size_t len, int64_t now,
               long retry_after, struct tokenset *out)
{
	struct answer a = {NULL, NULL, NULL, NULL, NULL, 0};
	const char *bad = NULL;
	struct json *doc;
	int r;

	doc = body ? json_parse(body, len) : NULL;
	if (!json_is_object(doc)) {
		json_free(doc);
		doc = NULL;
	}
	if (status != 200 || !doc ||
	    (!json_get(doc, "access_token") && json_get(doc, "error"))) {
		if (status == 200 && !doc) {
			log_error("token request failed: the answer is not "
			          "a JSON object (check the issuer)");
			r = CLERK_EPROVIDER;
		} else {
			r = report_error(status, doc, retry_after);
		}
		goto out;
	}
	if ((r = read_answer(doc, now, &a, &bad))) {
		log_error("token request failed: %s in the provider's answer "
		          "(check the issuer)",
		          bad);
		goto out;
	}
	r = commit_answer(&a, out);
out:
	json_free(doc);
	return r;
}

int
oauth_parse_token_response(long status, const char *body, size_t len,
                           int64_t now, struct tokenset *out)
{
	return parse_response(status, body, len, now, -1, out);
}

int
oauth_form_add_resource(const struct config *cfg, struct strbuf *form)
{
	return cfg->resource ? form_add(form, "resource", cfg->resource) : 0;
}

/* POST @form to the token endpoint and parse the answer into @out. */
static int
token_request(const struct oidc_provider *op, const char *form,
              struct tokenset *out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	/* Before sending: the token cannot outlive now + expires_in. */
	int64_t now = time_now();
	int r;

	r = http_post_form(op->token_endpoint, form, &resp);
	if (!r)
		r = parse_response(resp.status, resp.body, resp.len, now,
		                   resp.retry_after, out);
	http_response_release(&resp);
	return r;
}

int
oauth_exchange_code(const struct config *cfg, const struct oidc_provider *op,
                    const char *code, const char *verifier,
                    const char *redirect_uri, struct tokenset *out)
{
	struct strbuf form = STRBUF_INIT_SECRET;
	int r;

	if (!cfg->client_id || !op->token_endpoint || !code || !verifier ||
	    !redirect_uri) {
		log_error("code exchange called without all its parts: bug");
		return CLERK_EINTERNAL;
	}
	if ((r = form_add(&form, "grant_type", "authorization_code")) ||
	    (r = form_add(&form, "code", code)) ||
	    (r = form_add(&form, "redirect_uri", redirect_uri)) ||
	    (r = form_add(&form, "client_id", cfg->client_id)) ||
	    (r = form_add(&form, "code_verifier", verifier)) ||
	    (r = oauth_form_add_resource(cfg, &form)))
		goto out;
	log_debug("oauth: exchanging the authorization code");
	r = token_request(op, form.buf, out);
out:
	strbuf_release(&form);
	return r;
}

int
oauth_refresh(const struct config *cfg, const struct oidc_provider *op,
              struct tokenset *out)
{
	struct strbuf form = STRBUF_INIT_SECRET;
	int r;

	if (!cfg->client_id || !op->token_endpoint) {
		log_error("token refresh called without a client id or "
		          "token endpoint: bug");
		return CLERK_EINTERNAL;
	}
	if (!out->refresh_token) {
		log_debug("oauth: no refresh token to refresh with");
		return CLERK_ENOTFOUND;
	}
	if ((r = form_add(&form, "grant_type", "refresh_token")) ||
	    (r = form_add(&form, "refresh_token", out->refresh_token)) ||
	    (r = form_add(&form, "client_id", cfg->client_id)) ||
	    (r = oauth_form_add_resource(cfg, &form)))
		goto out;
	log_debug("oauth: refreshing the access token");
	r = token_request(op, form.buf, out);
out:
	strbuf_release(&form);
	return r;
}

int
oauth_userinfo(const struct oidc_provider *op, const char *access_token,
               char **json)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *hint = "try again later";
	struct json *doc = NULL;
	int r;

	if (!op->userinfo_endpoint) {
		log_error("cannot fetch the user's profile: the provider has "
		          "no userinfo endpoint");
		return CLERK_EPROVIDER;
	}
	if (!access_token)
		return CLERK_EINTERNAL;
	if ((r = http_get(op->userinfo_endpoint, access_token, &resp)))
		goto out;
	r = CLERK_EPROVIDER;
	if (resp.status != 200) {
		if (resp.status == 401)
			hint = "the access token was refused: sign in again";
		log_error("userinfo request failed: HTTP %ld (%s)", resp.status,
		          hint);
		goto out;
	}
	doc = json_parse(resp.body, resp.len);
	if (!json_is_object(doc) || memchr(resp.body, '\0', resp.len)) {
		log_error("userinfo request failed: the answer is not a JSON "
		          "object");
		goto out;
	}
	/* Re-serialised: cJSON ignores bytes after the first value. */
	r = json_print(doc, false, json);
out:
	json_free(doc);
	http_response_release(&resp);
	return r;
}

/* --- revocation (RFC 7009) --------------------------------------------- */

/* "refresh token" for "refresh_token": what a message calls it. */
static const char *
hint_words(const char *hint)
{
	return strcmp(hint, "access_token") == 0 ? "access token"
	                                         : "refresh token";
}

/* The provider's answer to a revocation: 0 on 200, else one warning. */
static int
revoke_answer(const struct http_response *resp, const char *what)
{
	struct json *doc = NULL;
	const char *err = NULL;
	char e[65];

	if (resp->status == 200)
		return 0;
	if (resp->body && (doc = json_parse(resp->body, resp->len)) &&
	    json_is_object(doc))
		err = json_get_string(doc, "error");
	if (err && strcmp(err, "unsupported_token_type") == 0)
		log_warn("the provider does not revoke %ss "
		         "(unsupported_token_type): it stays valid until it "
		         "expires",
		         what);
	else if (resp->status == 401)
		log_warn("the provider refused to revoke the %s: HTTP 401%s%s "
		         "(check --client-id)",
		         what, err ? ", " : "",
		         err ? str_printable(err, e, sizeof(e)) : "");
	else
		log_warn("the provider did not revoke the %s: HTTP %ld%s%s",
		         what, resp->status, err ? ", " : "",
		         err ? str_printable(err, e, sizeof(e)) : "");
	json_free(doc);
	return CLERK_EPROVIDER;
}

int
oauth_revoke(const struct config *cfg, const struct oidc_provider *op,
             const char *token, const char *hint)
{
	struct strbuf form = STRBUF_INIT_SECRET;
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *what = hint_words(hint);
	int r;

	if (!token || !cfg->client_id)
		return CLERK_EINTERNAL;
	if (!op->revocation_endpoint) {
		log_warn("the provider has no revocation endpoint: the %s "
		         "stays valid until it expires",
		         what);
		return CLERK_EPROVIDER;
	}
	if ((r = form_add(&form, "token", token)) ||
	    (r = form_add(&form, "token_type_hint", hint)) ||
	    (r = form_add(&form, "client_id", cfg->client_id)))
		goto out;
	log_debug("oauth: revoking the %s", what);
	if ((r = http_post_form(op->revocation_endpoint, form.buf, &resp)))
		log_warn("could not revoke the %s at the provider", what);
	else
		r = revoke_answer(&resp, what);
out:
	http_response_release(&resp);
	strbuf_release(&form);
	return r;
}

/* header.payload.signature: a JWT, which Clerk cannot revoke. */
static bool
jwt_shaped(const char *token)
{
	const char *d1, *d2;

	return jwt_split(token, strlen(token), &d1, &d2);
}

int
oauth_revoke_tokens(const struct config *cfg, const struct oidc_provider *op,
                    const struct tokenset *ts)
{
	int r = 0, r2 = 0;

	if (ts->refresh_token)
		r = oauth_revoke(cfg, op, ts->refresh_token, "refresh_token");
	if (r == CLERK_ENET || r == CLERK_ETLS)
		return r;
	if (ts->access_token && !jwt_shaped(ts->access_token))
		r2 = oauth_revoke(cfg, op, ts->access_token, "access_token");
	else if (ts->access_token)
		log_debug("oauth: the access token is a JWT; it cannot be "
		          "revoked and expires on its own");
	return r ? r : r2;
}
