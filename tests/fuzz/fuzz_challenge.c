/* libFuzzer target: the WWW-Authenticate parser (challenge.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "challenge.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct challenges cs = CHALLENGES_INIT;
	const struct challenge *b;
	const uint8_t *nl;
	size_t i, j, n;

	/* Each line one header, appended to one list, as git sends them. */
	while (size > 0) {
		nl = memchr(data, '\n', size);
		n = nl ? (size_t)(nl - data) : size;
		(void)challenge_parse(&cs, (const char *)data, n);
		data += n + (nl != NULL);
		size -= n + (nl != NULL);
	}
	if ((b = challenges_find(&cs, "Bearer")))
		(void)challenge_param(b, "error");
	/* Every string the list holds is NUL-terminated and readable. */
	for (i = 0; i < cs.n; i++) {
		n = strlen(cs.items[i].scheme);
		if (cs.items[i].token68)
			n += strlen(cs.items[i].token68);
		for (j = 0; j < cs.items[i].nparams; j++)
			n += strlen(cs.items[i].params[j].name) +
			     strlen(cs.items[i].params[j].value);
		if (n == 0)
			__builtin_trap(); /* a scheme is never empty */
	}
	challenges_release(&cs);
	return 0;
}
