/* See gitproto.h. */
#include "gitproto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encode.h"
#include "error.h"
#include "log.h"

#include "banned.h"

void
credential_release(struct credential *c)
{
	free(c->protocol);
	free(c->host);
	free(c->path);
	free(c->username);
	secret_free(c->password);
	secret_free(c->credential);
	free(c->authtype);
	challenges_release(&c->challenges);
	memset(c, 0, sizeof(*c));
}

static int
set_decoded(char **dst, const char *s, size_t n, bool secret)
{
	char *v = NULL;
	int r = url_decode(s, n, 0, &v);

	if (r)
		return r;
	if (secret)
		secret_free(*dst);
	else
		free(*dst);
	*dst = v;
	return 0;
}

int
credential_from_url(struct credential *c, const char *url)
{
	const char *p = strstr(url, "://"), *auth, *at, *colon, *slash;
	int r;

	if (!p || p == url) {
		log_error("git sent url '%s' without a scheme", url);
		return CLERK_EPROTO;
	}
	/* git's rule: url= replaces every field it can carry. */
	free(c->protocol);
	free(c->host);
	free(c->path);
	c->protocol = c->host = c->path = NULL;
	if (!(c->protocol = str_ndup(url, (size_t)(p - url))))
		return CLERK_ENOMEM;
	auth = p + 3;
	slash = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(slash - auth));
	if (at) {
		/* Take the last '@' before the path, as git does. */
		const char *q;

		for (q = at; (q = memchr(q + 1, '@', (size_t)(slash - q - 1)));)
			at = q;
		colon = memchr(auth, ':', (size_t)(at - auth));
		r = set_decoded(&c->username, auth,
		                (size_t)((colon ? colon : at) - auth), false);
		if (!r && colon)
			r = set_decoded(&c->password, colon + 1,
			                (size_t)(at - colon - 1), true);
		if (r)
			return r;
		auth = at + 1;
	}
	if (slash > auth &&
	    (r = set_decoded(&c->host, auth, (size_t)(slash - auth), false)))
		return r;
	if (*slash == '/' && slash[1] &&
	    (r = set_decoded(&c->path, slash + 1, strcspn(slash + 1, "?#"),
	                     false)))
		return r;
	return 0;
}

/* One WWW-Authenticate header; a malformed one tells nothing. */
static int
wwwauth_add(struct credential *c, const char *value)
{
	int r;

	if (!*value) {
		challenges_release(&c->challenges);
		return 0;
	}
	r = challenge_parse(&c->challenges, value, strlen(value));
	if (r == CLERK_EPROTO) {
		log_debug("ignoring a WWW-Authenticate challenge that does "
		          "not parse");
		return 0;
	}
	return r;
}

static int
credential_line(struct credential *c, const char *line, size_t n)
{
	const char *eq = memchr(line, '=', n);
	size_t klen;
	char *value;
	int r = 0;

	if (!eq) {
		log_debug("ignoring a protocol line without '='");
		return 0;
	}
	klen = (size_t)(eq - line);
	if (!(value = str_ndup(eq + 1, n - klen - 1)))
		return CLERK_ENOMEM;
#define KEY(k) (klen == sizeof(k) - 1 && memcmp(line, k, klen) == 0)
	if (KEY("protocol")) {
		free(c->protocol);
		c->protocol = value;
	} else if (KEY("host")) {
		free(c->host);
		c->host = value;
	} else if (KEY("path")) {
		free(c->path);
		c->path = value;
	} else if (KEY("username")) {
		free(c->username);
		c->username = value;
	} else if (KEY("password")) {
		secret_free(c->password);
		c->password = value;
	} else if (KEY("credential")) {
		secret_free(c->credential);
		c->credential = value;
	} else if (KEY("authtype")) {
		free(c->authtype);
		c->authtype = value;
	} else if (KEY("url")) {
		r = credential_from_url(c, value);
		secret_free(value);
	} else if (KEY("capability[]")) {
		if (strcmp(value, "authtype") == 0)
			c->cap_authtype = true;
		free(value);
	} else if (KEY("wwwauth[]")) {
		r = wwwauth_add(c, value);
		free(value);
	} else if (KEY("interactive")) {
		if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0)
			c->interactive_false = true;
		free(value);
	} else {
		/* Unknown keys (oauth_refresh_token, state[], ...). */
		secret_free(value);
	}
#undef KEY
	return r;
}

int
credential_parse(const char *buf, size_t len, bool eof, struct credential *c,
                 size_t *used, bool *done)
{
	size_t pos = 0, n;
	const char *nl;
	int r;

	*done = false;
	while (pos < len) {
		nl = memchr(buf + pos, '\n', len - pos);
		if (!nl && !eof)
			break;
		n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		if (n > GITPROTO_MAX_LINE) {
			log_error("protocol line longer than %d bytes",
			          GITPROTO_MAX_LINE);
			return CLERK_EPROTO;
		}
		if (memchr(buf + pos, '\0', n)) {
			log_error("protocol line contains a NUL byte");
			return CLERK_EPROTO;
		}
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (n == 0) {
			pos += (nl ? (size_t)(nl - (buf + pos)) + 1
			           : len - pos);
			*done = true;
			break;
		}
		if ((r = credential_line(c, buf + pos, n)))
			return r;
		pos = nl ? (size_t)(nl - buf) + 1 : len;
	}
	if (!*done && pos < len && len - pos > GITPROTO_MAX_LINE) {
		log_error("protocol line longer than %d bytes",
		          GITPROTO_MAX_LINE);
		return CLERK_EPROTO;
	}
	*used = pos;
	return 0;
}

int
credential_read_fd(int fd, struct credential *c)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char chunk[4096];
	size_t used = 0, off = 0;
	bool done = false, eof = false;
	ssize_t n;
	int r = 0;

	sb.max = GITPROTO_MAX_INPUT;
	while (!done && !eof) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_error("cannot read the request: %s",
			          strerror(errno));
			r = CLERK_EIO;
			break;
		}
		eof = n == 0;
		if (n > 0 && (r = strbuf_add(&sb, chunk, (size_t)n))) {
			if (r == CLERK_EPROTO)
				log_error("request larger than %d bytes",
				          GITPROTO_MAX_INPUT);
			break;
		}
		r = credential_parse(sb.buf ? sb.buf + off : "", sb.len - off,
		                     eof, c, &used, &done);
		if (r)
			break;
		off += used;
	}
	secret_wipe(chunk, sizeof(chunk));
	strbuf_release(&sb);
	return r;
}

int
credential_emit(struct strbuf *out, const char *key, const char *value)
{
	if (strchr(value, '\n') || strchr(value, '\r')) {
		log_error("refusing to send %s: the value holds a newline",
		          key);
		return CLERK_EPROTO;
	}
	return strbuf_addf(out, "%s=%s\n", key, value);
}
