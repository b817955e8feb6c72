/* See tokenset.h. */
#include "tokenset.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "json.h"
#include "log.h"
#include "util.h"

#include "banned.h"

#define TOKENSET_VERSION 1

void
tokenset_init(struct tokenset *ts)
{
	memset(ts, 0, sizeof(*ts));
}

void
tokenset_release(struct tokenset *ts)
{
	free(ts->issuer);
	free(ts->client_id);
	free(ts->profile);
	secret_free(ts->access_token);
	secret_free(ts->refresh_token);
	secret_free(ts->id_token);
	free(ts->token_type);
	free(ts->scope);
	secret_free(ts->userinfo);
	memset(ts, 0, sizeof(*ts));
}

void
tokenset_move(struct tokenset *dst, struct tokenset *src)
{
	tokenset_release(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static int
add_opt_string(struct json *o, const char *key, const char *v)
{
	return v ? json_add_string(o, key, v) : 0;
}

int
tokenset_to_json(const struct tokenset *ts, char **out)
{
	struct json *o = json_new_object(), *ui;
	int r;

	if (!o)
		return CLERK_ENOMEM;
	r = json_add_int64(o, "version", TOKENSET_VERSION);
	if (!r)
		r = add_opt_string(o, "issuer", ts->issuer);
	if (!r)
		r = add_opt_string(o, "client_id", ts->client_id);
	if (!r)
		r = add_opt_string(o, "profile", ts->profile);
	if (!r)
		r = add_opt_string(o, "access_token", ts->access_token);
	if (!r)
		r = add_opt_string(o, "refresh_token", ts->refresh_token);
	if (!r)
		r = add_opt_string(o, "id_token", ts->id_token);
	if (!r)
		r = add_opt_string(o, "token_type", ts->token_type);
	if (!r)
		r = add_opt_string(o, "scope", ts->scope);
	if (!r && ts->expires_at)
		r = json_add_int64(o, "expires_at", ts->expires_at);
	if (!r && ts->userinfo) {
		ui = json_parse(ts->userinfo, strlen(ts->userinfo));
		if (json_is_object(ui))
			r = json_add_node(o, "userinfo", ui);
		else
			json_free(ui);
	}
	if (!r)
		r = json_print(o, false, out);
	json_free(o);
	return r;
}

static int
take_string(const struct json *o, const char *key, char **dst)
{
	const struct json *v = json_get(o, key);

	if (!v)
		return 0;
	if (!json_string_value(v)) {
		log_error("stored tokens: '%s' is %s, not a string", key,
		          json_type_name(v));
		return CLERK_EPROTO;
	}
	return str_set_secret(dst, json_string_value(v));
}

int
tokenset_from_json(const char *text, size_t len, struct tokenset *out)
{
	struct tokenset ts = TOKENSET_INIT;
	struct json *doc = json_parse(text, len);
	const struct json *ui;
	int64_t version = 0;
	int r = CLERK_EPROTO;

	if (!json_is_object(doc)) {
		log_error("stored tokens are not a JSON object");
		goto out;
	}
	if (json_get_int64(doc, "version", &version) ||
	    version != TOKENSET_VERSION) {
		log_error("stored tokens have an unknown format version");
		goto out;
	}
	if ((r = take_string(doc, "issuer", &ts.issuer)) ||
	    (r = take_string(doc, "client_id", &ts.client_id)) ||
	    (r = take_string(doc, "profile", &ts.profile)) ||
	    (r = take_string(doc, "access_token", &ts.access_token)) ||
	    (r = take_string(doc, "refresh_token", &ts.refresh_token)) ||
	    (r = take_string(doc, "id_token", &ts.id_token)) ||
	    (r = take_string(doc, "token_type", &ts.token_type)) ||
	    (r = take_string(doc, "scope", &ts.scope)))
		goto out;
	if (json_get(doc, "expires_at") &&
	    json_get_int64(doc, "expires_at", &ts.expires_at)) {
		log_error("stored tokens: 'expires_at' is not a whole number");
		r = CLERK_EPROTO;
		goto out;
	}
	ui = json_get(doc, "userinfo");
	if (json_is_object(ui) && (r = json_print(ui, false, &ts.userinfo)))
		goto out;
	tokenset_move(out, &ts);
	r = 0;
out:
	tokenset_release(&ts);
	json_free(doc);
	return r;
}
