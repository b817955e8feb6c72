/*
 * See reject.h.
 *
 * MUST: decide from the state alone, never from the clock's word that
 * a hold lasts longer than REJECT_WINDOW, or a cool-down longer than its
 * setting (a clock set back must not make either endless); treat a
 * damaged state file as no state.
 */
#include "reject.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

#define REJECT_MAGIC    "clerk-credential-reject 1"
#define REJECT_MAX_FILE (512 + 2 * SCOPES_MAX)

uint64_t
reject_fingerprint(const char *token)
{
	uint64_t h = hash_fnv1a64(token, HASH_FNV1A64_INIT);

	return h ? h : 1;
}

/* @then is a moment of the last REJECT_WINDOW seconds before @now. */
static bool
within(int64_t then, int64_t now)
{
	return then > 0 && now >= then && now - then < REJECT_WINDOW;
}

bool
reject_held(const struct reject_state *s, int64_t now)
{
	return s->hold_until > now && s->hold_until - now <= REJECT_WINDOW;
}

bool
reject_on_erase(struct reject_state *s, uint64_t fp, int64_t now)
{
	bool again;

	if (reject_held(s, now))
		return true;
	again = within(s->rejected_at, now) ||
	        (s->minted_fp == fp && within(s->minted_at, now));
	s->rejected_at = now;
	s->minted_at = 0;
	s->minted_fp = 0;
	/* The next token minted is the one that follows this rejection,
	 * now or after the hold. */
	s->pending = true;
	s->warned = false;
	s->hold_until = again ? now + REJECT_WINDOW : 0;
	return again;
}

void
reject_on_mint(struct reject_state *s, uint64_t fp, int64_t now)
{
	if (!s->pending)
		return;
	s->pending = false;
	s->minted_at = now;
	s->minted_fp = fp;
}

void
reject_on_signin(struct reject_state *s, enum reject_signin why, int64_t now)
{
	s->signin_failed_at = now;
	s->signin_why = why;
}

bool
reject_stepup_want(struct reject_state *s, const char *scopes,
                   const char *granted, int64_t now)
{
	char *all = NULL;

	if (scopes_cover(granted, scopes))
		return false;
	if (s->stepped_at && now >= s->stepped_at &&
	    now - s->stepped_at < REJECT_WINDOW &&
	    scopes_cover(s->stepped, scopes))
		return false;
	if (scopes_union(s->stepup_wanted, scopes, &all) ||
	    strlen(all) > SCOPES_MAX) {
		free(all);
		return false;
	}
	memcpy(s->stepup_wanted, all, strlen(all) + 1);
	free(all);
	return true;
}

void
reject_stepup_done(struct reject_state *s, const char *granted, int64_t now)
{
	size_t n = granted ? strlen(granted) : 0;

	s->stepup_wanted[0] = '\0';
	s->stepped_at = now;
	if (!scopes_valid(granted))
		n = 0;
	memcpy(s->stepped, n ? granted : "", n + 1);
}

int64_t
reject_cooling(const struct reject_state *s, int cooldown, int64_t now)
{
	int64_t at = s->signin_failed_at;

	if (cooldown <= 0 || at <= 0 || now < at || now - at >= cooldown)
		return 0;
	return cooldown - (now - at);
}

const char *
reject_signin_name(int why)
{
	switch (why) {
	case REJECT_SIGNIN_CANCELLED:
		return "was cancelled";
	case REJECT_SIGNIN_DENIED:
		return "was denied";
	case REJECT_SIGNIN_TIMEOUT:
		return "timed out";
	default:
		return "did not finish";
	}
}

static int
reject_path(const struct config *cfg, int create, char **out)
{
	char *dir = NULL;
	int r;

	if ((r = paths_runtime_dir(&dir, create)) == 0)
		r = config_key_path(cfg, dir, "", ".reject", out);
	free(dir);
	return r;
}

/* 16 hex digits: a fingerprint. */
static int
parse_fp(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (strlen(s) != 16)
		return -1;
	for (i = 0; i < 16; i++) {
		const char *d = strchr("0123456789abcdef", s[i]);

		if (!s[i] || !d)
			return -1;
		v = v << 4 | (uint64_t)(d - "0123456789abcdef");
	}
	*out = v;
	return 0;
}

/*
 * The first line of state after the magic: "rejected_at hold_until
 * minted_at fp pending warned signin_failed_at signin_why"; a file of an
 * older version ends after warned. @p is that line, NUL-terminated.
 */
static int
parse_counts(char *p, struct reject_state *s)
{
	int64_t v[8] = {0};
	char *field;
	size_t i;
	bool last;

	for (i = 0; i < 8; i++) {
		field = p;
		p += strcspn(p, " ");
		last = *p != ' ';
		/* The end comes after warned (older files) or after all. */
		if (last ? i != 5 && i != 7 : i == 7)
			return CLERK_EPROTO;
		if (!last)
			*p++ = '\0';
		if (i == 3 ? parse_fp(field, &s->minted_fp)
		           : parse_int64(field, 0, INT64_MAX, &v[i]))
			return CLERK_EPROTO;
		if (last)
			break;
	}
	s->rejected_at = v[0];
	s->hold_until = v[1];
	s->minted_at = v[2];
	s->pending = v[4] != 0;
	s->warned = v[5] != 0;
	s->signin_failed_at = v[6];
	s->signin_why = v[7] > REJECT_SIGNIN_TIMEOUT ? 0 : (int)v[7];
	return 0;
}

/* Copy the scope list @line into @dst: empty, or scopes_valid(). */
static int
parse_scopes(const char *line, char dst[static SCOPES_MAX + 1])
{
	if (*line && !scopes_valid(line))
		return CLERK_EPROTO;
	memcpy(dst, line, strlen(line) + 1);
	return 0;
}

/*
 * "MAGIC\nCOUNTS\n", then (files that know step-up) "stepped_at\n"
 * "WANTED\nSTEPPED\n", the two scope lists possibly empty.
 */
static int
parse_state(char *text, struct reject_state *s)
{
	char *line[5], *p;
	size_t n = 0;
	int64_t at;

	if (strncmp(text, REJECT_MAGIC "\n", sizeof(REJECT_MAGIC)) != 0)
		return CLERK_EPROTO;
	p = text + sizeof(REJECT_MAGIC);
	while (*p) {
		char *nl = strchr(p, '\n');

		if (!nl || n == 4)
			return CLERK_EPROTO;
		*nl = '\0';
		line[n++] = p;
		p = nl + 1;
	}
	if ((n != 1 && n != 4) || parse_counts(line[0], s))
		return CLERK_EPROTO;
	if (n == 1)
		return 0;
	if (parse_int64(line[1], 0, INT64_MAX, &at) ||
	    parse_scopes(line[2], s->stepup_wanted) ||
	    parse_scopes(line[3], s->stepped))
		return CLERK_EPROTO;
	s->stepped_at = at;
	return 0;
}

int
reject_load(const struct config *cfg, struct reject_state *s)
{
	char *path = NULL, *text = NULL;
	size_t len;
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = reject_path(cfg, 0, &path)))
		return r == CLERK_ENOTFOUND ? 0 : r;
	r = file_read_private(path, REJECT_MAX_FILE, &text, &len);
	if (r == 0 && (strlen(text) != len || parse_state(text, s))) {
		log_debug("rejection state %s is damaged; ignoring it", path);
		memset(s, 0, sizeof(*s));
	}
	if (r == CLERK_ENOTFOUND || r == CLERK_EPROTO)
		r = 0;
	secret_free(text);
	free(path);
	return r;
}

int
reject_save(const struct config *cfg, const struct reject_state *s)
{
	char *path = NULL, buf[REJECT_MAX_FILE];
	int n, r;

	n = snprintf(buf, sizeof(buf),
	             REJECT_MAGIC "\n%lld %lld %lld %016" PRIx64
	                          " %d %d %lld %d\n%lld\n%s\n%s\n",
	             (long long)s->rejected_at, (long long)s->hold_until,
	             (long long)s->minted_at, s->minted_fp, s->pending ? 1 : 0,
	             s->warned ? 1 : 0, (long long)s->signin_failed_at,
	             s->signin_why, (long long)s->stepped_at, s->stepup_wanted,
	             s->stepped);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return CLERK_EINTERNAL;
	if ((r = reject_path(cfg, 1, &path)) == 0)
		r = file_write_atomic(path, buf, (size_t)n, 0600);
	free(path);
	return r;
}

int
reject_clear(const struct config *cfg)
{
	char *path = NULL;
	int r;

	if ((r = reject_path(cfg, 0, &path)))
		return r == CLERK_ENOTFOUND ? 0 : r;
	r = file_remove(path);
	free(path);
	return r;
}
