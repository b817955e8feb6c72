/* See protoparse.h. */
#include "protoparse.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "json.h"
#include "util.h"

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

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
port_valid(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

bool
host_port_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > PROTO_MAX_HOST)
		return false;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return false;
		if (i >= n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			char c = s[i];

			if (!(c == '.' || c == '-' || is_digit(c) ||
			      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	return s[i] == ':' && port_valid(s + i + 1, n - i - 1);
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
 * cJSON ends a string at a NUL, which would hide the rest of a URL from
 * the host rule: refuse a NUL byte, and "\u0000" anywhere (also where it is
 * only text after an escaped backslash; nothing legitimate sends that).
 */
static struct json *
parse_no_nul(const char *text, size_t len)
{
	size_t i;

	if (!text || memchr(text, '\0', len))
		return NULL;
	for (i = 0; i + 6 <= len; i++)
		if (text[i] == '\\' && text[i + 1] == 'u' &&
		    strncmp(text + i + 2, "0000", 4) == 0)
			return NULL;
	return json_parse(text, len);
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
	const struct json *m;
	struct json *doc = parse_no_nul(text, len);
	int r = CLERK_EPROTO;

	if (!json_is_object(doc))
		goto out;
	/* Go's encoding/json matches member names without regard to case. */
	for (m = json_first_member(doc); m; m = json_next_member(m)) {
		const char *k = json_member_key(m);

		if (strcasecmp(k, "ServerURL") == 0)
			r = take_string(m, &c.server_url, false);
		else if (strcasecmp(k, "Username") == 0)
			r = take_string(m, &c.username, false);
		else if (strcasecmp(k, "Secret") == 0)
			r = take_string(m, &c.secret, true);
		else
			r = 0;
		if (r)
			goto out;
	}
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

/* An optional member that must be an object when present. */
static int
optional_object(const struct json *obj, const char *key,
                const struct json **out)
{
	const struct json *m = json_get(obj, key);

	*out = NULL;
	if (!m || strcmp(json_type_name(m), "null") == 0)
		return 0;
	if (!json_is_object(m))
		return CLERK_EPROTO;
	*out = m;
	return 0;
}

static int
exec_spec_parse(const struct json *spec, struct exec_info *e)
{
	const struct json *m, *cluster;
	int r;

	if ((m = json_get(spec, "interactive")) &&
	    strcmp(json_type_name(m), "null") != 0) {
		if (json_bool_value(m, &e->interactive))
			return CLERK_EPROTO;
		e->interactive_set = true;
	}
	if ((r = optional_object(spec, "cluster", &cluster)) || !cluster)
		return r;
	return take_string(json_get(cluster, "server"), &e->server, false);
}

int
exec_info_parse(const char *text, size_t len, struct exec_info *out)
{
	struct exec_info e = EXEC_INFO_INIT;
	const struct json *spec;
	struct json *doc = parse_no_nul(text, len);
	const char *kind;
	int r = CLERK_EPROTO;

	if (!json_is_object(doc))
		goto out;
	if (json_get(doc, "kind") && (!(kind = json_get_string(doc, "kind")) ||
	                              strcmp(kind, "ExecCredential") != 0))
		goto out;
	if ((r = take_string(json_get(doc, "apiVersion"), &e.api_version,
	                     false)) ||
	    (r = optional_object(doc, "spec", &spec)))
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
	struct json *doc = parse_no_nul(text, len);
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
	free(q->index_url);
	free(q->name);
	free(q->kind);
	free(q->operation);
	secret_free(q->token);
	*q = (struct cargo_request)CARGO_REQUEST_INIT;
}

/* "args": an optional array of strings (the provider's own options). */
static int
cargo_args_parse(const struct json *arr, struct cargo_request *q)
{
	size_t i, n;
	const char *s;

	if (!arr || strcmp(json_type_name(arr), "null") == 0)
		return 0;
	if (!json_is_array(arr) || (n = json_array_size(arr)) > CARGO_MAX_ARGS)
		return CLERK_EPROTO;
	if (n == 0)
		return 0;
	if (!(q->args = calloc(n, sizeof(*q->args))))
		return CLERK_ENOMEM;
	for (i = 0; i < n; i++) {
		if (!(s = json_string_value(json_array_item(arr, i))))
			return CLERK_EPROTO;
		if (!(q->args[i] = strdup(s)))
			return CLERK_ENOMEM;
		q->nargs = i + 1;
	}
	return 0;
}

int
cargo_request_parse(const char *text, size_t len, struct cargo_request *out)
{
	struct cargo_request q = CARGO_REQUEST_INIT;
	const struct json *reg = NULL;
	struct json *doc = parse_no_nul(text, len);
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
	    (r = cargo_args_parse(json_get(doc, "args"), &q)))
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
	struct json *doc = parse_no_nul(text, len);
	char *t = NULL;
	int r = CLERK_EPROTO;

	if (json_is_object(doc))
		r = take_string(json_get(doc, "token"), &t, true);
	if (r == 0)
		*token = t;
	else
		secret_free(t);
	json_free(doc);
	return r;
}
