/*
 * What usage errors need: the closest valid name to a mistyped one
 * ("did you mean ...?"). Each command's own usage line is its row in
 * main.c's table of commands.
 *
 * Example:
 *	const char *names[] = { "get", "login", "logout" };
 *	const char *s = help_closest("logni", names, 3);	// "login"
 */
#ifndef CLERK_HELP_H
#define CLERK_HELP_H

#include <stddef.h>

/*
 * Edit distance between @a and @b: insertions, deletions, substitutions
 * and swaps of two neighbours each cost one (optimal string alignment).
 * Words longer than HELP_MAX_WORD count as far from everything.
 */
#define HELP_MAX_WORD 64
size_t help_distance(const char *a, const char *b);

/*
 * The name in @names closest to @word, or NULL when none is close enough
 * to be a likely typo (at most 2 edits, and fewer than a third of the
 * word's length plus one). The first of equally close names wins.
 */
const char *help_closest(const char *word, const char *const *names, size_t n);

#endif
