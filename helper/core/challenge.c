/*
 * See challenge.h.
 *
 * MUST: read no byte past @len; allocate nothing before the input is
 * bounded; leave the caller's list untouched on any error.
 */
#include "challenge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "util.h"

#include "banned.h"

struct cursor {
	const char *s;
	size_t len;
	size_t i;
};

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_t68char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("-._~+/", c) != NULL);
}

static bool
at_end(const struct cursor *p)
{
	return p->i >= p->len;
}

static unsigned char
peek(const struct cursor *p)
{
	return at_end(p) ? '\0' : (unsigned char)p->s[p->i];
}

/* OWS and BWS: *( SP / HTAB ). */
static void
skip_ws(struct cursor *p)
{
	while (!at_end(p) && (peek(p) == ' ' || peek(p) == '\t'))
		p->i++;
}

/* Empty list elements: OWS and commas. */
static void
skip_ws_commas(struct cursor *p)
{
	while (!at_end(p) &&
	       (peek(p) == ' ' || peek(p) == '\t' || peek(p) == ','))
		p->i++;
}

static size_t
token_len(const struct cursor *p)
{
	size_t n = 0;

	while (p->i + n < p->len && is_tchar((unsigned char)p->s[p->i + n]))
		n++;
	return n;
}

/* Does an auth-param (token BWS "=" BWS value) start here? */
static bool
param_ahead(const struct cursor *p)
{
	struct cursor q = *p;
	size_t n = token_len(&q);
	unsigned char c;

	if (n == 0)
		return false;
	q.i += n;
	skip_ws(&q);
	if (peek(&q) != '=')
		return false;
	q.i++;
	skip_ws(&q);
	c = peek(&q);
	return c == '"' || is_tchar(c);
}

static int
take_token(struct cursor *p, char **out)
{
	size_t n = token_len(p);

	if (n == 0)
		return CLERK_EPROTO;
	if (!(*out = str_ndup(p->s + p->i, n)))
		return CLERK_ENOMEM;
	p->i += n;
	return 0;
}

/* quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE */
static int
take_quoted(struct cursor *p, char **out)
{
	char *v = malloc(p->len - p->i + 1); /* p->len is bounded */
	size_t n = 0;
	unsigned char c;

	if (!v)
		return CLERK_ENOMEM;
	for (p->i++; !at_end(p); p->i++) {
		c = peek(p);
		if (c == '"') {
			p->i++;
			v[n] = '\0';
			*out = v;
			return 0;
		}
		if (c == '\\') {
			if (++p->i >= p->len)
				break;
			c = peek(p);
			/* quoted-pair: HTAB / SP / VCHAR / obs-text */
			if (c != '\t' && (c < 0x20 || c == 0x7f))
				break;
		} else if (c != '\t' && (c < 0x20 || c == 0x7f)) {
			break; /* qdtext excludes controls */
		}
		v[n++] = (char)c;
	}
	free(v);
	return CLERK_EPROTO;
}

static int
add_param(struct challenge *ch, struct cursor *p)
{
	struct challenge_param prm = {0}, *np = NULL;
	int r;

	if (ch->nparams >= CHALLENGE_MAX_PARAMS)
		return CLERK_EPROTO;
	if ((r = take_token(p, &prm.name)))
		return r;
	skip_ws(p);
	p->i++; /* '=', seen by param_ahead() */
	skip_ws(p);
	r = peek(p) == '"' ? take_quoted(p, &prm.value)
	                   : take_token(p, &prm.value);
	if (!r && !(np = realloc(ch->params, (ch->nparams + 1) * sizeof(*np))))
		r = CLERK_ENOMEM;
	if (r) {
		free(prm.name);
		free(prm.value);
		return r;
	}
	ch->params = np;
	ch->params[ch->nparams++] = prm;
	return 0;
}

/* #auth-param: stops before the comma that starts the next challenge. */
static int
take_params(struct challenge *ch, struct cursor *p)
{
	struct cursor q;
	int r;

	for (;;) {
		if ((r = add_param(ch, p)))
			return r;
		skip_ws(p);
		if (at_end(p))
			return 0;
		if (peek(p) != ',')
			return CLERK_EPROTO;
		q = *p;
		skip_ws_commas(&q);
		if (!param_ahead(&q))
			return 0;
		*p = q;
	}
}

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int
take_token68(struct challenge *ch, struct cursor *p)
{
	size_t start = p->i;

	while (!at_end(p) && is_t68char(peek(p)))
		p->i++;
	if (p->i == start)
		return CLERK_EPROTO;
	while (!at_end(p) && peek(p) == '=')
		p->i++;
	if (!(ch->token68 = str_ndup(p->s + start, p->i - start)))
		return CLERK_ENOMEM;
	skip_ws(p);
	return at_end(p) || peek(p) == ',' ? 0 : CLERK_EPROTO;
}

static void
challenge_clear(struct challenge *ch)
{
	size_t i;

	for (i = 0; i < ch->nparams; i++) {
		free(ch->params[i].name);
		free(ch->params[i].value);
	}
	free(ch->params);
	free(ch->scheme);
	free(ch->token68);
	memset(ch, 0, sizeof(*ch));
}

/* challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
static int
take_challenge(struct challenge *ch, struct cursor *p)
{
	int r;

	if ((r = take_token(p, &ch->scheme)))
		return r;
	if (at_end(p) || peek(p) == ',')
		return 0;
	if (peek(p) != ' ' && peek(p) != '\t')
		return CLERK_EPROTO;
	skip_ws(p);
	if (at_end(p) || peek(p) == ',')
		return 0;
	return param_ahead(p) ? take_params(ch, p) : take_token68(ch, p);
}

static int
list_push(struct challenges *cs, struct challenge *ch)
{
	struct challenge *ni = realloc(cs->items, (cs->n + 1) * sizeof(*ni));

	if (!ni)
		return CLERK_ENOMEM;
	cs->items = ni;
	cs->items[cs->n++] = *ch;
	memset(ch, 0, sizeof(*ch));
	return 0;
}

int
challenge_parse(struct challenges *cs, const char *s, size_t len)
{
	struct cursor p = {s, len, 0};
	struct challenges got = CHALLENGES_INIT;
	struct challenge ch = {0};
	struct challenge *all;
	int r = 0;

	if (len > CHALLENGE_MAX_HEADER)
		return CLERK_EPROTO;
	for (skip_ws_commas(&p); !r && !at_end(&p); skip_ws_commas(&p)) {
		if (cs->n + got.n >= CHALLENGE_MAX_CHALLENGES)
			r = CLERK_EPROTO;
		else if ((r = take_challenge(&ch, &p)) == 0)
			r = list_push(&got, &ch);
		challenge_clear(&ch);
	}
	if (!r && got.n > 0) {
		all = realloc(cs->items, (cs->n + got.n) * sizeof(*all));
		if (!all) {
			r = CLERK_ENOMEM;
		} else {
			memcpy(all + cs->n, got.items,
			       got.n * sizeof(*got.items));
			cs->items = all;
			cs->n += got.n;
			got.n = 0;
		}
	}
	challenges_release(&got);
	return r;
}

const struct challenge *
challenges_find(const struct challenges *cs, const char *scheme)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		if (strcasecmp(cs->items[i].scheme, scheme) == 0)
			return &cs->items[i];
	return NULL;
}

const char *
challenge_param(const struct challenge *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nparams; i++)
		if (strcasecmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}

void
challenges_release(struct challenges *cs)
{
	size_t i;

	for (i = 0; i < cs->n; i++)
		challenge_clear(&cs->items[i]);
	free(cs->items);
	cs->items = NULL;
	cs->n = 0;
}
