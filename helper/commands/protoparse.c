/* See protoparse.h. */
#include "protoparse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "challenge.h"
#include "error.h"
#include "hostrule.h"
#include "json.h"
#include "util.h"

#include "banned.h"

static const struct {
	const char *name;
	const char *as; /* what the host rule sees */
} schemes[] = {
        {"https", "https"},
        {"http", "http"},
        {"grpcs", "https"}, /* Bazel's remote cache and execution */
        {"grpc", "http"},
};

static const char *
scheme_map(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strlen(schemes[i].name) == n &&
		    strncasecmp(s, schemes[i].name, n) == 0)
			return schemes[i].as;
	return NULL;
}

int
server_ref_parse(const char *in, bool scheme_required, struct server_ref *out)
{
	const char *scheme = "https", *auth, *end, *at, *sep;
	size_t n, i;

	if (!in)
		return CLERK_EPROTO;
	/* Cargo's sparse registries: "sparse+https://host/index/". */
	if (str_starts_with(in, "sparse+"))
		in += 7;
	sep = strstr(in, "://");
	if (sep && (size_t)(sep - in) < strcspn(in, "/?#")) {
		if (!(scheme = scheme_map(in, (size_t)(sep - in))))
			return CLERK_EPROTO;
		auth = sep + 3;
	} else if (scheme_required) {
		return CLERK_EPROTO;
	} else {
		auth = in;
	}
	end = auth + strcspn(auth, "/?#");
	/* User info ends at the authority's last '@'; the host follows. */
	for (at = end; at > auth && at[-1] != '@'; at--)
		;
	if (at > auth)
		auth = at;
	n = (size_t)(end - auth);
	if (!host_port_valid(auth, n))
		return CLERK_EPROTO;
	memcpy(out->scheme, scheme, strlen(scheme) + 1);
	for (i = 0; i < n; i++) {
		char c = auth[i];

		out->host[i] =
		        (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out->host[n] = '\0';
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

size_t
docker_input_join(char *buf, size_t len)
{
	size_t i, o = 0, start = 0;

	/* bufio.ScanLines: drop each '\n' and one '\r' before it or at EOF. */
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			continue;
		if (buf[i] == '\r' && (i + 1 == len || buf[i + 1] == '\n'))
			continue;
		buf[o++] = buf[i];
	}
	/* strings.TrimSpace (the ASCII part). */
	while (o > 0 && is_blank(buf[o - 1]))
		o--;
	while (start < o && is_blank(buf[start]))
		start++;
	memmove(buf, buf + start, o - start);
	buf[o - start] = '\0';
	return o - start;
}

/*
 * Go's encoding/json, which docker, kubectl and Terraform read these with,
 * matches a member name to a field without regard to case: ASCII letters,
 * and the four other runes that fold to one (U+0130 and U+0131 to i,
 * U+017F to s, U+212A to k). Does member name @name match the ASCII field
 * name @field that way?
 */
static bool
go_name_equal(const char *name, const char *field)
{
	static const struct {
		const char *utf8;
		char ascii;
	} odd[] = {
	        {"\xc4\xb0", 'i'}, /* LATIN CAPITAL LETTER I WITH DOT ABOVE */
	        {"\xc4\xb1", 'i'}, /* LATIN SMALL LETTER DOTLESS I */
	        {"\xc5\xbf", 's'}, /* LATIN SMALL LETTER LONG S */
	        {"\xe2\x84\xaa", 'k'}, /* KELVIN SIGN */
	};
	size_t i, n;

	for (; *field; field++) {
		char f = (char)(*field | 0x20); /* fields are letters */

		if (((unsigned char)*name | 0x20) == (unsigned char)f &&
		    (unsigned char)*name < 0x80) {
			name++;
			continue;
		}
		for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
			n = strlen(odd[i].utf8);
			if (odd[i].ascii == f &&
			    strncmp(name, odd[i].utf8, n) == 0)
				break;
		}
		if (i == sizeof(odd) / sizeof(odd[0]))
			return false;
		name += n;
	}
	return *name == '\0';
}

/*
 * The member of @obj that Go would decode into field @field: *@out, or
 * NULL when none. CLERK_EPROTO when two match ("spec" and "Spec"), which
 * Go would merge and we would not read the same way.
 */
static int
go_member(const struct json *obj, const char *field, const struct json **out)
{
	const struct json *m;

	*out = NULL;
	for (m = json_first_member(obj); m; m = json_next_member(m)) {
		if (!go_name_equal(json_member_key(m), field))
			continue;
		if (*out)
			return CLERK_EPROTO;
		*out = m;
	}
	return 0;
}

/*
 * Copy the string (or null) @node into *@dst; CLERK_EPROTO for another
 * type. An empty string counts as absent.
 */
static int
take_string(const struct json *node, char **dst, bool secret)
{
	const char *s;

	if (!node || strcmp(json_type_name(node), "null") == 0)
		return 0;
	if (!(s = json_string_value(node)))
		return CLERK_EPROTO;
	if (secret)
		return str_set_secret(dst, *s ? s : NULL);
	return str_set(dst, *s ? s : NULL);
}

void
docker_creds_release(struct docker_creds *c)
{
	free(c->server_url);
	free(c->username);
	secret_free(c->secret);
	c->server_url = c->username = c->secret = NULL;
}

int
docker_creds_parse(const char *text, size_t len, struct docker_creds *out)
{
	struct docker_creds c = DOCKER_CREDS_INIT;
	const struct json *url, *user, *secret;
	struct json *doc = json_parse(text, len);
	int r = CLERK_EPROTO;

	if (!json_is_object(doc) || go_member(doc, "ServerURL", &url) ||
	    go_member(doc, "Username", &user) ||
	    go_member(doc, "Secret", &secret) ||
	    (r = take_string(url, &c.server_url, false)) ||
	    (r = take_string(user, &c.username, false)) ||
	    (r = take_string(secret, &c.secret, true)))
		goto out;
	r = 0;
	*out = c;
	c = (struct docker_creds)DOCKER_CREDS_INIT;
out:
	docker_creds_release(&c);
	json_free(doc);
	return r;
}

void
exec_info_release(struct exec_info *e)
{
	free(e->api_version);
	free(e->server);
	*e = (struct exec_info)EXEC_INFO_INIT;
}

/* Member @m, when present and not null, must be an object: *@out. */
static int
member_object(const struct json *m, const struct json **out)
{
	*out = NULL;
	if (!m || strcmp(json_type_name(m), "null") == 0)
		return 0;
	if (!json_is_object(m))
		return CLERK_EPROTO;
	*out = m;
	return 0;
}

/* An optional member that must be an object when present. */
static int
optional_object(const struct json *obj, const char *key,
                const struct json **out)
{
	return member_object(json_get(obj, key), out);
}

/* spec of an ExecCredential, its members named as Go would match them. */
static int
exec_spec_parse(const struct json *spec, struct exec_info *e)
{
	const struct json *m, *cluster;

	if (go_member(spec, "interactive", &m))
		return CLERK_EPROTO;
	if (m && strcmp(json_type_name(m), "null") != 0) {
		if (json_bool_value(m, &e->interactive))
			return CLERK_EPROTO;
		e->interactive_set = true;
	}
	if (go_member(spec, "cluster", &m) || member_object(m, &cluster))
		return CLERK_EPROTO;
	if (!cluster)
		return 0;
	if (go_member(cluster, "server", &m))
		return CLERK_EPROTO;
	return take_string(m, &e->server, false);
}

/* client-go reads KUBERNETES_EXEC_INFO with Go's matching of names. */
int
exec_info_parse(const char *text, size_t len, struct exec_info *out)
{
	struct exec_info e = EXEC_INFO_INIT;
	const struct json *kind, *api, *m, *spec;
	struct json *doc = json_parse(text, len);
	const char *k;
	int r = CLERK_EPROTO;

	if (!json_is_object(doc) || go_member(doc, "kind", &kind) ||
	    go_member(doc, "apiVersion", &api) || go_member(doc, "spec", &m))
		goto out;
	if (kind && (!(k = json_string_value(kind)) ||
	             strcmp(k, "ExecCredential") != 0))
		goto out;
	if ((r = take_string(api, &e.api_version, false)) ||
	    (r = member_object(m, &spec)))
		goto out;
	if (spec && (r = exec_spec_parse(spec, &e)))
		goto out;
	*out = e;
	e = (struct exec_info)EXEC_INFO_INIT;
out:
	exec_info_release(&e);
	json_free(doc);
	return r;
}

int
bazel_request_parse(const char *text, size_t len, char **uri)
{
	struct json *doc = json_parse(text, len);
	char *u = NULL;
	int r = CLERK_EPROTO;

	if (json_is_object(doc) &&
	    (r = take_string(json_get(doc, "uri"), &u, false)) == 0 && !u)
		r = CLERK_EPROTO;
	if (r == 0)
		*uri = u;
	else
		free(u);
	json_free(doc);
	return r;
}

void
cargo_request_release(struct cargo_request *q)
{
	size_t i;

	for (i = 0; i < q->nargs; i++)
		free(q->args[i]);
	free(q->args);
	for (i = 0; i < q->nheaders; i++)
		free(q->headers[i]);
	free(q->headers);
	free(q->index_url);
	free(q->name);
	free(q->kind);
	free(q->operation);
	secret_free(q->token);
	*q = (struct cargo_request)CARGO_REQUEST_INIT;
}

/*
 * An optional array of at most @max strings of at most @size bytes each
 * ("args", the provider's own options; "headers", the registry's).
 */
static int
string_array(const struct json *arr, size_t max, size_t size, char ***out,
             size_t *nout)
{
	const struct json *item;
	size_t i, n;
	const char *s;

	if (!arr || strcmp(json_type_name(arr), "null") == 0)
		return 0;
	if (!json_is_array(arr) || (n = json_array_size(arr)) > max)
		return CLERK_EPROTO;
	if (n == 0)
		return 0;
	if (!(*out = calloc(n, sizeof(**out))))
		return CLERK_ENOMEM;
	item = json_array_item(arr, 0);
	for (i = 0; i < n; i++, item = json_next_member(item)) {
		if (!(s = json_string_value(item)) || strlen(s) > size)
			return CLERK_EPROTO;
		if (!((*out)[i] = strdup(s)))
			return CLERK_ENOMEM;
		*nout = i + 1;
	}
	return 0;
}

int
cargo_request_parse(const char *text, size_t len, struct cargo_request *out)
{
	struct cargo_request q = CARGO_REQUEST_INIT;
	const struct json *reg = NULL;
	struct json *doc = json_parse(text, len);
	int r = CLERK_EPROTO;

	if (!json_is_object(doc) || json_get_int64(doc, "v", &q.v) ||
	    optional_object(doc, "registry", &reg) || !reg)
		goto out;
	if ((r = take_string(json_get(reg, "index-url"), &q.index_url,
	                     false)) ||
	    (r = take_string(json_get(reg, "name"), &q.name, false)) ||
	    (r = take_string(json_get(doc, "kind"), &q.kind, false)) ||
	    (r = take_string(json_get(doc, "operation"), &q.operation,
	                     false)) ||
	    (r = take_string(json_get(doc, "token"), &q.token, true)) ||
	    (r = string_array(json_get(doc, "args"), CARGO_MAX_ARGS, SIZE_MAX,
	                      &q.args, &q.nargs)) ||
	    (r = string_array(json_get(reg, "headers"), CARGO_MAX_HEADERS,
	                      CHALLENGE_MAX_HEADER + 64, &q.headers,
	                      &q.nheaders)))
		goto out;
	if (!q.index_url || !q.kind) {
		r = CLERK_EPROTO;
		goto out;
	}
	*out = q;
	q = (struct cargo_request)CARGO_REQUEST_INIT;
out:
	cargo_request_release(&q);
	json_free(doc);
	return r;
}

int
tf_store_parse(const char *text, size_t len, char **token)
{
	struct json *doc = json_parse(text, len);
	char *t = NULL;
	int r = CLERK_EPROTO;

	const struct json *m;

	/* Terraform writes it with Go's encoding/json. */
	if (json_is_object(doc) && go_member(doc, "token", &m) == 0)
		r = take_string(m, &t, true);
	if (r == 0)
		*token = t;
	else
		secret_free(t);
	json_free(doc);
	return r;
}
