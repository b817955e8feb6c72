/*
 * See device.h.
 *
 * MUST: build the forms in wiped buffers (they hold the device code);
 * wait the whole interval between two requests, and 5 s more after each
 * slow_down; validate every field of the answer before showing it.
 * MUST NOT: print the device code or a token.
 */
#include "device.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "encode.h"
#include "error.h"
#include "http.h"
#include "interrupt.h"
#include "json.h"
#include "jwt.h"
#include "log.h"
#include "oauth.h"
#include "progress.h"
#include "qr.h"
#include "util.h"

#include "banned.h"

#define TICK_MS         1000 /* wake at least this often while waiting */
#define DEVICE_MAX_LIFE 86400

void
device_auth_release(struct device_auth *da)
{
	secret_free(da->device_code);
	free(da->user_code);
	free(da->verification_uri);
	free(da->verification_uri_complete);
	memset(da, 0, sizeof(*da));
}

/* 1..@max bytes of visible ASCII (and spaces with @space). */
static bool
text_ok(const char *s, size_t max, bool space)
{
	size_t n;

	for (n = 0; s[n]; n++) {
		unsigned char c = (unsigned char)s[n];

		if (n >= max || c >= 0x7f || c < 0x20 || (c == ' ' && !space))
			return false;
	}
	return n > 0;
}

/* A URL to show: bounded and allowed by the HTTP policy. */
static bool
uri_ok(const char *uri)
{
	return strlen(uri) <= DEVICE_MAX_URI && http_url_allowed(uri);
}

/*
 * The seconds in member @key (a number or a numeric string) into *@out;
 * @dflt when absent or null; -1 when out of [@min, @max].
 */
static int
seconds(const struct json *doc, const char *key, int64_t min, int64_t max,
        int64_t dflt, int64_t *out)
{
	const struct json *node = json_get(doc, key);
	const char *s = json_string_value(node);
	int64_t v;

	if (!node || strcmp(json_type_name(node), "null") == 0) {
		*out = dflt;
		return 0;
	}
	if (json_int64_value(node, &v) && (!s || parse_int64(s, min, max, &v)))
		return -1;
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Report an answer that is not a device authorization. */
static void
report_refusal(long status, const struct json *doc)
{
	const char *err = json_get_string(doc, "error");
	const char *desc = json_get_string(doc, "error_description");
	char e[65], d[STR_TEXT_MAX + 4];

	if (err)
		log_error("device sign-in failed: the provider refused to "
		          "start it: %s%s%s%s (check that the OAuth "
		          "application allows the device grant, or use "
		          "--flow paste)",
		          str_printable(err, e, sizeof(e)), desc ? " (" : "",
		          str_printable_text(desc, d), desc ? ")" : "");
	else
		log_error("device sign-in failed: HTTP %ld from the device "
		          "authorization endpoint (try again later, or use "
		          "--flow paste)",
		          status);
}

/* Which member of a 200 answer is wrong, or NULL; fills @da's numbers. */
static const char *
answer_check(const struct json *doc, struct device_auth *da)
{
	const char *dc = json_get_string(doc, "device_code");
	const char *uc = json_get_string(doc, "user_code");
	const char *uri = json_get_string(doc, "verification_uri");
	const char *full = json_get_string(doc, "verification_uri_complete");
	int64_t exp, iv;

	if (!uri)
		uri = json_get_string(doc, "verification_url");
	if (!dc || !text_ok(dc, DEVICE_MAX_CODE, false))
		return "device_code is missing or malformed";
	if (!uc || !text_ok(uc, DEVICE_MAX_USER_CODE, true))
		return "user_code is missing or malformed";
	if (!uri || !uri_ok(uri))
		return "verification_uri is missing or not an https URL";
	if (full && !uri_ok(full))
		return "verification_uri_complete is not an https URL";
	if (seconds(doc, "expires_in", 1, DEVICE_MAX_LIFE, 0, &exp))
		return "expires_in is not between 1 second and a day";
	if (seconds(doc, "interval", 0, DEVICE_MAX_INTERVAL,
	            DEVICE_DEFAULT_INTERVAL, &iv))
		return "interval is not between 0 and 300 seconds";
	da->expires_in = exp;
	/* 0 would mean polling without pause. */
	da->interval = iv > 0 ? (int)iv : DEVICE_DEFAULT_INTERVAL;
	return NULL;
}

static int
answer_copy(const struct json *doc, struct device_auth *da)
{
	const char *uri = json_get_string(doc, "verification_uri");
	const char *full = json_get_string(doc, "verification_uri_complete");

	if (!uri)
		uri = json_get_string(doc, "verification_url");
	if (str_set_secret(&da->device_code,
	                   json_get_string(doc, "device_code")) ||
	    str_set(&da->user_code, json_get_string(doc, "user_code")) ||
	    str_set(&da->verification_uri, uri) ||
	    str_set(&da->verification_uri_complete, full))
		return CLERK_ENOMEM;
	return 0;
}

int
device_parse_authorization(long status, const char *body, size_t len,
                           struct device_auth *out)
{
	struct device_auth da = {0};
	struct json *doc = body ? json_parse(body, len) : NULL;
	const char *bad;
	int r = CLERK_EPROVIDER;

	if (status != 200 || !json_is_object(doc)) {
		report_refusal(status, doc);
		goto out;
	}
	if ((bad = answer_check(doc, &da))) {
		log_error("device sign-in failed: %s in the provider's answer "
		          "(check the issuer, or use --flow paste)",
		          bad);
		goto out;
	}
	if ((r = answer_copy(doc, &da)))
		goto out;
	*out = da;
	memset(&da, 0, sizeof(da));
out:
	device_auth_release(&da);
	json_free(doc);
	return r;
}

enum device_poll
device_poll_classify(long status, const char *body, size_t len)
{
	static const struct {
		const char *error;
		enum device_poll kind;
	} kinds[] = {
	        {"authorization_pending", DEVICE_POLL_PENDING},
	        {"slow_down", DEVICE_POLL_SLOW_DOWN},
	        {"access_denied", DEVICE_POLL_DENIED},
	        {"expired_token", DEVICE_POLL_EXPIRED},
	};
	enum device_poll kind = DEVICE_POLL_DONE;
	struct json *doc;
	const char *err;
	size_t i;

	/* RFC 8628 3.5: these come as 400 (some providers send 401). */
	if ((status != 400 && status != 401) || !body)
		return kind;
	doc = json_parse(body, len);
	if ((err = json_get_string(doc, "error")))
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(err, kinds[i].error) == 0)
				kind = kinds[i].kind;
	json_free(doc);
	return kind;
}

/* Ask the device authorization endpoint for a code. */
static int
device_start(const struct config *cfg, const struct oidc_provider *op,
             struct device_auth *da)
{
	struct strbuf form = STRBUF_INIT_SECRET;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int r;

	if ((r = form_add(&form, "client_id", cfg->client_id)) ||
	    (r = form_add(&form, "scope", cfg->scopes)) ||
	    (r = oauth_form_add_resource(cfg, &form)))
		goto out;
	log_debug("device flow: asking for a code");
	if ((r = http_post_form(op->device_authorization_endpoint, form.buf,
	                        &resp)) == 0)
		r = device_parse_authorization(resp.status, resp.body, resp.len,
		                               da);
out:
	http_response_release(&resp);
	strbuf_release(&form);
	return r;
}

static void
show(const struct config *cfg, const struct device_auth *da, int wait_s)
{
	const char *qr_text = da->verification_uri_complete
	                              ? da->verification_uri_complete
	                              : da->verification_uri;
	bool qr = !cfg->quiet && isatty(STDERR_FILENO) && qr_available();

	log_info("to sign in to %s, open this page on any device (a phone "
	         "will do):",
	         cfg->issuer);
	fprintf(stderr, "  %s\n", da->verification_uri);
	log_info("and enter the code:");
	fprintf(stderr, "  %s\n", da->user_code);
	if (da->verification_uri_complete) {
		log_info("or open this address, which carries the code%s:",
		         qr ? " (the QR code below holds it too)" : "");
		fprintf(stderr, "%s\n", da->verification_uri_complete);
	}
	if (qr && qr_print(stderr, qr_text))
		log_debug("device flow: no QR code for this address");
	log_info("waiting up to %d s for the code to be confirmed (Ctrl-C "
	         "cancels)",
	         wait_s);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Sleep until @until (monotonic ms), a second at a time, keeping the
 * status line (time left to @deadline) up to date; CLERK_EINTR on a
 * signal.
 */
static int
pause_until(int64_t until, int64_t deadline)
{
	int64_t now;
	int r;

	while ((now = now_ms()) < until) {
		if ((r = interrupt_check()))
			return r;
		progress_update((deadline - now + 999) / 1000);
		(void)poll(
		        NULL, 0,
		        (int)(until - now < TICK_MS ? until - now : TICK_MS));
	}
	return interrupt_check();
}

/* The token endpoint's answer to one poll: 0, 1 to poll again, or < 0. */
static int
poll_answer(const struct http_response *resp, const struct device_auth *da,
            int64_t sent, int *interval, struct tokenset *out)
{
	char uc[DEVICE_MAX_USER_CODE + 1];
	int r;

	str_printable(da->user_code, uc, sizeof(uc));
	switch (device_poll_classify(resp->status, resp->body, resp->len)) {
	case DEVICE_POLL_PENDING:
		return 1;
	case DEVICE_POLL_SLOW_DOWN:
		if (*interval <= DEVICE_MAX_INTERVAL - DEVICE_SLOW_DOWN_STEP)
			*interval += DEVICE_SLOW_DOWN_STEP;
		log_debug("device flow: the provider asks to poll more "
		          "slowly: every %d s now",
		          *interval);
		return 1;
	case DEVICE_POLL_DENIED:
		log_error("sign-in refused: the request for code %s was denied "
		          "at the provider (run `clerk-credential login` to "
		          "try again)",
		          uc);
		return CLERK_EDENIED;
	case DEVICE_POLL_EXPIRED:
		log_error("sign-in failed: the code %s expired before it was "
		          "confirmed (run `clerk-credential login` for a new "
		          "code)",
		          uc);
		return CLERK_ETIMEOUT;
	case DEVICE_POLL_DONE:
		break;
	}
	r = oauth_parse_token_response(resp->status, resp->body, resp->len,
	                               sent, out);
	/* Not a refresh: no stored token to forget. */
	return r == CLERK_EGRANT ? CLERK_EPROVIDER : r;
}

/* One token request: 0 with @out filled, 1 to poll again, or < 0. */
static int
poll_once(const struct config *cfg, const struct oidc_provider *op,
          const struct device_auth *da, int *interval, struct tokenset *out)
{
	struct strbuf form = STRBUF_INIT_SECRET;
	struct http_response resp = HTTP_RESPONSE_INIT;
	int64_t sent = time_now();
	int r;

	if ((r = form_add(&form, "grant_type", DEVICE_GRANT_TYPE)) ||
	    (r = form_add(&form, "device_code", da->device_code)) ||
	    (r = form_add(&form, "client_id", cfg->client_id)) ||
	    (r = oauth_form_add_resource(cfg, &form)))
		goto out;
	if ((r = http_post_form(op->token_endpoint, form.buf, &resp)) == 0)
		r = poll_answer(&resp, da, sent, interval, out);
out:
	http_response_release(&resp);
	strbuf_release(&form);
	return r;
}

static void
report_timeout(const struct config *cfg, const struct device_auth *da,
               int wait_s)
{
	char uc[DEVICE_MAX_USER_CODE + 1];

	str_printable(da->user_code, uc, sizeof(uc));
	if (wait_s < cfg->timeout)
		log_error("sign-in failed: the code %s expired after %d s "
		          "without being confirmed (run `clerk-credential "
		          "login` for a new code)",
		          uc, wait_s);
	else
		log_error("sign-in timed out after %d s: the code %s was not "
		          "confirmed (run `clerk-credential login` to try "
		          "again, or raise --timeout)",
		          wait_s, uc);
}

/* Poll until the tokens come or the flow ends; @wait_s caps the wait. */
static int
device_poll(const struct config *cfg, const struct oidc_provider *op,
            const struct device_auth *da, int wait_s, struct tokenset *out)
{
	int64_t deadline = now_ms() + (int64_t)wait_s * 1000, next;
	int interval = da->interval, r;

	if (!cfg->quiet)
		progress_begin("waiting for the code to be confirmed", true);
	for (;;) {
		next = now_ms() + (int64_t)interval * 1000;
		if ((r = pause_until(next < deadline ? next : deadline,
		                     deadline)))
			break;
		if (now_ms() >= deadline) {
			progress_end();
			report_timeout(cfg, da, wait_s);
			r = CLERK_ETIMEOUT;
			break;
		}
		if ((r = poll_once(cfg, op, da, &interval, out)) <= 0)
			break;
	}
	progress_end();
	return r;
}

/* Verify what the token endpoint gave, and fetch userinfo. */
static int
device_finish(const struct config *cfg, const struct oidc_provider *op,
              struct tokenset *ts)
{
	int r;

	if (ts->id_token &&
	    (r = jwt_verify_id_token(cfg, op, ts->id_token, NULL, time_now())))
		return r;
	if (op->userinfo_endpoint &&
	    oauth_userinfo(op, ts->access_token, &ts->userinfo))
		log_warn("signed in, but the user information could not be "
		         "read; `whoami` will retry");
	return 0;
}

int
device_signin(const struct config *cfg, const struct oidc_provider *op,
              struct tokenset *out)
{
	struct device_auth da = {0};
	struct tokenset ts = TOKENSET_INIT;
	int wait_s = cfg->timeout, r;

	if (!op->device_authorization_endpoint) {
		log_error("the provider offers no device sign-in (no "
		          "device_authorization_endpoint in its discovery "
		          "document; use --flow paste or --flow browser)");
		return CLERK_ECONFIG;
	}
	if ((r = device_start(cfg, op, &da)))
		goto out;
	if (da.expires_in > 0 && da.expires_in < wait_s)
		wait_s = (int)da.expires_in;
	show(cfg, &da, wait_s);
	if ((r = device_poll(cfg, op, &da, wait_s, &ts)) ||
	    (r = device_finish(cfg, op, &ts)))
		goto out;
	tokenset_move(out, &ts);
	log_info("signed in to %s", cfg->issuer);
out:
	tokenset_release(&ts);
	device_auth_release(&da);
	return r;
}
