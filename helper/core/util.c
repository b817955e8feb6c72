/* See util.h. */
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "error.h"

#include "banned.h"

void
secret_wipe(void *p, size_t n)
{
	if (p && n)
		explicit_bzero(p, n);
}

void
secret_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

int
str_set(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return CLERK_ENOMEM;
	free(*dst);
	*dst = copy;
	return 0;
}

int
str_set_secret(char **dst, const char *src)
{
	char *copy = NULL;

	if (src && !(copy = strdup(src)))
		return CLERK_ENOMEM;
	secret_free(*dst);
	*dst = copy;
	return 0;
}

char *
str_ndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

bool
str_ct_equal(const char *a, const char *b)
{
	size_t la, lb, i;
	unsigned char diff;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	diff = la != lb;
	for (i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
	return diff == 0;
}

const char *
str_printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s && s[i] && i + 1 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

const char *
str_printable_text(const char *s, char buf[static STR_TEXT_MAX + 4])
{
	str_printable(s, buf, STR_TEXT_MAX + 1);
	if (s && strlen(s) > STR_TEXT_MAX)
		memcpy(buf + STR_TEXT_MAX, "...", 4);
	return buf;
}

/* The user's core-file limit, saved by core_limit_drop(). */
static struct rlimit core_limit_user;
static bool core_limit_saved;

void
core_limit_drop(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_CORE, &rl) == 0) {
		core_limit_user = rl;
		core_limit_saved = true;
		rl.rlim_cur = 0;
		if (setrlimit(RLIMIT_CORE, &rl) == 0)
			return;
	}
	/* Cannot keep the hard limit: drop both, the browser gets none. */
	rl.rlim_cur = rl.rlim_max = 0;
	core_limit_saved = false;
	(void)setrlimit(RLIMIT_CORE, &rl);
}

void
core_limit_restore(void)
{
	if (core_limit_saved)
		(void)setrlimit(RLIMIT_CORE, &core_limit_user);
}

bool
str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int64_t
time_now(void)
{
	return (int64_t)time(NULL);
}

void
time_format_rfc3339(int64_t t, char buf[static 21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) ||
	    strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 21, "1970-01-01T00:00:00Z");
}

int
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (!s || !*s || (*s != '-' && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

uint64_t
hash_fnv1a64(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need, alloc;
	char *nb;

	if (extra > SIZE_MAX - sb->len - 1)
		return CLERK_ENOMEM;
	need = sb->len + extra + 1;
	if (sb->max && need - 1 > sb->max)
		return CLERK_EPROTO;
	if (need <= sb->alloc)
		return 0;
	alloc = sb->alloc ? sb->alloc : 64;
	while (alloc < need)
		alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
	if (sb->secret) {
		/* Never leave a copy of a secret behind in freed memory. */
		if (!(nb = malloc(alloc)))
			return CLERK_ENOMEM;
		if (sb->buf) {
			memcpy(nb, sb->buf, sb->len + 1);
			secret_free(sb->buf);
		}
	} else if (!(nb = realloc(sb->buf, alloc))) {
		return CLERK_ENOMEM;
	}
	nb[sb->len] = '\0';
	sb->buf = nb;
	sb->alloc = alloc;
	return 0;
}

int
strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	int r = strbuf_grow(sb, len);

	if (r)
		return r;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int
strbuf_adds(struct strbuf *sb, const char *s)
{
	return strbuf_add(sb, s, strlen(s));
}

int
strbuf_addch(struct strbuf *sb, char c)
{
	return strbuf_add(sb, &c, 1);
}

int
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n, r;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CLERK_EINTERNAL;
	if ((r = strbuf_grow(sb, (size_t)n)))
		return r;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

int
strbuf_detach(struct strbuf *sb, char **out)
{
	int r;

	if (!sb->buf && (r = strbuf_grow(sb, 0)))
		return r;
	*out = sb->buf;
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
	return 0;
}

void
strbuf_reset(struct strbuf *sb)
{
	if (sb->buf) {
		if (sb->secret)
			secret_wipe(sb->buf, sb->alloc);
		sb->buf[0] = '\0';
	}
	sb->len = 0;
}

void
strbuf_release(struct strbuf *sb)
{
	if (sb->secret)
		secret_free(sb->buf);
	else
		free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

static bool
env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

bool
browser_reachable(void)
{
	if (env_set("BROWSER"))
		return true;
	if (env_set("SSH_CONNECTION") || env_set("SSH_CLIENT") ||
	    env_set("SSH_TTY"))
		return false;
#ifdef __APPLE__
	return true;
#else
	return env_set("DISPLAY") || env_set("WAYLAND_DISPLAY");
#endif
}
