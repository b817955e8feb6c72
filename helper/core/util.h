/*
 * Small helpers used everywhere: owned strings, a growable buffer, secret
 * wiping, time and constant-time comparison.
 *
 * MUST: every buffer that ever held a secret is released through
 * secret_free() or strbuf_release() on a buffer marked secret, which wipe
 * the whole allocation before freeing it.
 */
#ifndef CLERK_UTIL_H
#define CLERK_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wipe the whole heap allocation @p (malloc_usable_size), then free it. */
void secret_free(void *p);

/* Wipe @n bytes at @p in a way the compiler cannot drop. */
void secret_wipe(void *p, size_t n);

/* free(*dst), then *dst = strdup(src) (NULL src gives NULL). */
int str_set(char **dst, const char *src);

/* Like str_set() but wipes the old value with secret_free(). */
int str_set_secret(char **dst, const char *src);

/* strndup that returns NULL on failure, for bounded copies from input. */
char *str_ndup(const char *s, size_t n);

/* True when @a and @b are equal; time depends only on their lengths. */
bool str_ct_equal(const char *a, const char *b);

/* qsort() comparison of two "const char *" elements, in byte order. */
int str_ptr_cmp(const void *a, const void *b);

/*
 * Copy outside text @s (NULL is fine) into @buf for a message: printable
 * ASCII only (no terminal escapes, no line breaks; others become '?'),
 * cut at @size - 1 bytes. Returns @buf.
 */
const char *str_printable(const char *s, char *buf, size_t size);

/*
 * str_printable() for a provider's prose (an error_description): whole up
 * to STR_TEXT_MAX bytes, else cut there and ended with "...".
 */
#define STR_TEXT_MAX 1024
const char *str_printable_text(const char *s,
                               char buf[static STR_TEXT_MAX + 4]);

/* True when @s starts with @prefix. */
bool str_starts_with(const char *s, const char *prefix);

/*
 * Core dumps off for this process (main() calls it first; memory holds
 * tokens): the soft RLIMIT_CORE drops to 0. The hard limit stays, since
 * a process cannot raise its own again, and the user's limit is kept for
 * core_limit_restore().
 */
void core_limit_drop(void);

/*
 * In a child about to exec a program of the user's (the browser): the
 * core-file limit the user had before core_limit_drop(), when it was
 * dropped. Only a system call: safe between fork() and exec.
 */
void core_limit_restore(void);

/*
 * True when a browser can be shown in this session: $BROWSER is set (the
 * user's word that it reaches someone), or there is a display (DISPLAY
 * or WAYLAND_DISPLAY; macOS always has one) outside an SSH session
 * (SSH_CONNECTION, SSH_CLIENT or SSH_TTY set). Contract §8.
 */
bool browser_reachable(void);

/* Wall-clock time in Unix seconds. */
int64_t time_now(void);

/* Format @t as "YYYY-MM-DDTHH:MM:SSZ" into @buf (at least 21 bytes). */
void time_format_rfc3339(int64_t t, char buf[static 21]);

/*
 * Parse a decimal integer in [min, max] filling all of @s; 0 or -1.
 * The only number parser: strtoll with every check.
 */
int parse_int64(const char *s, int64_t min, int64_t max, int64_t *out);

/* FNV-1a 64 of @s (not cryptographic: names files, never protects). */
uint64_t hash_fnv1a64(const char *s, uint64_t h);
#define HASH_FNV1A64_INIT 0xcbf29ce484222325ULL

/*
 * A growable NUL-terminated byte buffer. A buffer marked secret is wiped
 * on every reallocation and on release.
 */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max; /* 0: no limit; else adding past it fails */
	bool secret;
};

#define STRBUF_INIT                                                          \
	{                                                                    \
		.buf = NULL, .len = 0, .alloc = 0, .max = 0, .secret = false \
	}
#define STRBUF_INIT_SECRET                                                  \
	{                                                                   \
		.buf = NULL, .len = 0, .alloc = 0, .max = 0, .secret = true \
	}

int strbuf_add(struct strbuf *sb, const void *data, size_t len);
int strbuf_adds(struct strbuf *sb, const char *s);
int strbuf_addch(struct strbuf *sb, char c);
int strbuf_addf(struct strbuf *sb, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Hand the buffer to the caller (never NULL on success); sb is reset. */
int strbuf_detach(struct strbuf *sb, char **out);
void strbuf_reset(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);

#endif
