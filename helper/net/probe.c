/*
 * `doctor`'s look at the provider (net.h, struct net_probe): discovery
 * fetched afresh, its issuer and Date header, and a dry authorization
 * request that shows whether the OAuth application accepts this
 * helper's redirect URI and scopes, without signing anyone in.
 *
 * MUST: follow no redirect and send no cookie (http.c does neither), so
 * the request never reaches a sign-in; keep nothing of the answer but
 * its status, error code and printable description. MUST NOT: cache the
 * document (a wrong one would stick), print the Location header (it
 * could carry a code from a provider that signs in silently).
 */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "discovery.h"
#include "encode.h"
#include "error.h"
#include "http.h"
#include "json.h"
#include "pkce.h"
#include "signin.h"
#include "util.h"

#include "banned.h"

#define PROBE_MAX_SCOPES 16
#define PROBE_PORT       49152 /* any loopback port when none is set */

/* Error codes an error page may name when it is not JSON. */
static const char *const page_errors[] = {
        "invalid_redirect_uri", "redirect_uri_mismatch",
        "invalid_scope",        "unauthorized_client",
        "invalid_client",       "invalid_request",
        "access_denied",        "unsupported_response_type",
};

static void
copy_text(char *dst, size_t size, const char *src)
{
	str_printable(src ? src : "", dst, size);
}

static int
discover(const struct config *cfg, struct net_probe *out,
         struct oidc_provider *op)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strbuf url = STRBUF_INIT;
	struct json *doc = NULL;
	size_t n = strlen(cfg->issuer);
	int r;

	if (n > 0 && cfg->issuer[n - 1] == '/')
		n--;
	if ((r = strbuf_add(&url, cfg->issuer, n)) ||
	    (r = strbuf_adds(&url, "/.well-known/openid-configuration")))
		goto out;
	if (!http_url_allowed(url.buf)) {
		r = CLERK_ECONFIG;
		goto out;
	}
	if ((r = http_get(url.buf, NULL, &resp)))
		goto out;
	out->discovery_status = resp.status;
	out->server_date = resp.date;
	out->local_date = time_now();
	if ((doc = json_parse(resp.body, resp.len)))
		copy_text(out->doc_issuer, sizeof(out->doc_issuer),
		          json_get_string(doc, "issuer"));
	if (resp.status != 200 || !doc) {
		r = CLERK_EPROVIDER;
		goto out;
	}
	r = discovery_parse(cfg->issuer, resp.body, resp.len, op);
	if (r && r != CLERK_ENOMEM)
		r = CLERK_EPROVIDER;
out:
	json_free(doc);
	http_response_release(&resp);
	strbuf_release(&url);
	return r;
}

/* The query of @url (after '?', before '#') into @out, or "". */
static int
url_query(const char *url, char **out)
{
	const char *q = strchr(url, '?');
	size_t n;

	if (!q)
		return str_set(out, "");
	q++;
	n = strcspn(q, "#");
	return (*out = str_ndup(q, n)) ? 0 : CLERK_ENOMEM;
}

/* The error a redirect back carries (error=..., error_description=...). */
static int
read_redirect(const char *location, struct net_probe *out)
{
	char *query = NULL, *err = NULL, *desc = NULL;
	int r;

	if ((r = url_query(location, &query)))
		return r;
	/* A repeated key is no answer we can read: treat it as none. */
	if (query_get(query, "error", &err) == 0 && err) {
		copy_text(out->authorize_error, sizeof(out->authorize_error),
		          err);
		if (query_get(query, "error_description", &desc) == 0)
			copy_text(out->authorize_detail,
			          sizeof(out->authorize_detail), desc);
		r = CLERK_EPROVIDER;
	}
	free(err);
	free(desc);
	secret_free(query);
	return r;
}

/* Clerk's Frontend API errors: {"errors":[{"code","long_message"}]}. */
static bool
read_fapi_errors(const struct json *doc, struct net_probe *out)
{
	const struct json *errs = json_get(doc, "errors"), *e;
	const char *text;

	if (!errs || !json_is_array(errs) || !(e = json_array_item(errs, 0)))
		return false;
	copy_text(out->authorize_error, sizeof(out->authorize_error),
	          json_get_string(e, "code"));
	text = json_get_string(e, "long_message");
	copy_text(out->authorize_detail, sizeof(out->authorize_detail),
	          text ? text : json_get_string(e, "message"));
	return true;
}

/*
 * An error page: JSON {"error":...} (OAuth) or {"errors":[...]} (Clerk),
 * else HTML naming a known code, or at least the redirect URI.
 */
static void
read_page(const char *body, size_t len, struct net_probe *out)
{
	struct json *doc = json_parse(body, len);
	size_t i;

	if (doc && json_get_string(doc, "error")) {
		copy_text(out->authorize_error, sizeof(out->authorize_error),
		          json_get_string(doc, "error"));
		copy_text(out->authorize_detail, sizeof(out->authorize_detail),
		          json_get_string(doc, "error_description"));
	} else if (!doc || !read_fapi_errors(doc, out)) {
		for (i = 0; i < sizeof(page_errors) / sizeof(*page_errors); i++)
			if (strstr(body, page_errors[i])) {
				copy_text(out->authorize_error,
				          sizeof(out->authorize_error),
				          page_errors[i]);
				break;
			}
		if (!out->authorize_error[0] &&
		    (strcasestr(body, "redirect_uri") ||
		     strcasestr(body, "redirect uri")))
			copy_text(out->authorize_detail,
			          sizeof(out->authorize_detail),
			          "the error page names the redirect URI");
	}
	json_free(doc);
}

int
probe_read_answer(long status, const char *location, const char *body,
                  size_t len, struct net_probe *out)
{
	out->authorize_status = status;
	out->authorize_error[0] = out->authorize_detail[0] = '\0';
	if (status >= 300 && status < 400 && location)
		return read_redirect(location, out);
	if (status < 400)
		return 0;
	if (!body) {
		body = "";
		len = 0;
	}
	read_page(body, len, out);
	return CLERK_EPROVIDER;
}

/* One dry authorization request with @scopes; fills the authorize_*. */
static int
authorize_once(const struct config *cfg, const struct oidc_provider *op,
               const char *scopes, struct net_probe *out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	struct strbuf state = STRBUF_INIT, nonce = STRBUF_INIT;
	struct config c = *cfg;
	char verifier[PKCE_VERIFIER_LEN + 1], challenge[PKCE_CHALLENGE_LEN + 1];
	char *url = NULL;
	int r;

	c.scopes = (char *)scopes;
	out->authorize_error[0] = out->authorize_detail[0] = '\0';
	if ((r = pkce_new_verifier(verifier)) ||
	    (r = pkce_challenge(verifier, challenge)) ||
	    (r = crypto_random_base64url(32, &state)) ||
	    (r = crypto_random_base64url(32, &nonce)) ||
	    (r = signin_authorize_url(&c, op, out->redirect_uri, state.buf,
	                              challenge, nonce.buf, &url)))
		goto out;
	if ((r = http_get(url, NULL, &resp)))
		goto out;
	r = probe_read_answer(resp.status, resp.location, resp.body, resp.len,
	                      out);
out:
	secret_wipe(verifier, sizeof(verifier));
	secret_free(url);
	strbuf_release(&state);
	strbuf_release(&nonce);
	http_response_release(&resp);
	return r;
}

/* @scopes without its word @skip (0-based) into @sb. */
static int
scopes_without(const char *scopes, size_t skip, struct strbuf *sb, char *word,
               size_t wsize)
{
	const char *p = scopes;
	size_t i = 0, n;
	int r = 0;

	strbuf_reset(sb);
	word[0] = '\0';
	while (!r && *(p += strspn(p, " "))) {
		n = strcspn(p, " ");
		if (i++ == skip) {
			if (n < wsize) {
				memcpy(word, p, n);
				word[n] = '\0';
			}
		} else {
			if (sb->len)
				r = strbuf_addch(sb, ' ');
			if (!r)
				r = strbuf_add(sb, p, n);
		}
		p += n;
	}
	return r;
}

/* After invalid_scope: which scope, left out, lets the request pass? */
static int
find_refused_scope(const struct config *cfg, const struct oidc_provider *op,
                   struct net_probe *out)
{
	struct net_probe trial = *out;
	struct strbuf sb = STRBUF_INIT;
	char word[sizeof(out->refused_scope)];
	size_t i;
	int r = 0;

	for (i = 0; i < PROBE_MAX_SCOPES; i++) {
		if ((r = scopes_without(cfg->scopes, i, &sb, word,
		                        sizeof(word))))
			break;
		if (!word[0])
			break;
		if (sb.len && authorize_once(cfg, op, sb.buf, &trial) == 0) {
			copy_text(out->refused_scope,
			          sizeof(out->refused_scope), word);
			break;
		}
	}
	strbuf_release(&sb);
	return r == CLERK_ENOMEM ? r : 0;
}

int
probe_run(const struct config *cfg, struct net_probe *out)
{
	struct oidc_provider op = {0};
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(out->redirect_uri, sizeof(out->redirect_uri),
	         "http://127.0.0.1:%d/callback",
	         config_fixed_port(cfg) ? config_fixed_port(cfg) : PROBE_PORT);
	if ((r = http_set_ca_file(cfg->ca_file))) {
		out->discovery = r;
		return 0;
	}
	out->discovery = discover(cfg, out, &op);
	if (out->discovery == CLERK_ENOMEM)
		return CLERK_ENOMEM;
	if (!out->discovery) {
		out->authorize = authorize_once(cfg, &op, cfg->scopes, out);
		if (out->authorize == CLERK_EPROVIDER &&
		    strcmp(out->authorize_error, "invalid_scope") == 0)
			r = find_refused_scope(cfg, &op, out);
	}
	oidc_provider_release(&op);
	return out->authorize == CLERK_ENOMEM ? CLERK_ENOMEM : r;
}
