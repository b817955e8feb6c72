/*
 * See help.h.
 */
#include "help.h"

#include <string.h>

#include "banned.h"

size_t
help_distance(const char *a, const char *b)
{
	/* Three rows of the dynamic-programming table are enough. */
	size_t rows[3][HELP_MAX_WORD + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t la = strlen(a), lb = strlen(b), i, j, best;

	if (la > HELP_MAX_WORD || lb > HELP_MAX_WORD)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1];

			best = prev[j - 1] + cost;
			if (prev[j] + 1 < best)
				best = prev[j] + 1;
			if (cur[j - 1] + 1 < best)
				best = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
				best = prev2[j - 2] + 1;
			cur[j] = best;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *
help_closest(const char *word, const char *const *names, size_t n)
{
	size_t i, d, best = (size_t)-1, len = strlen(word);
	const char *found = NULL;

	for (i = 0; i < n; i++) {
		d = help_distance(word, names[i]);
		if (d < best) {
			best = d;
			found = names[i];
		}
	}
	/* "logni" is login; "x" is nothing in particular. */
	if (!found || best == 0 || best > 2 || best * 3 > len + 1)
		return NULL;
	return found;
}
