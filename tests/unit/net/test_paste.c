/*
 * Unit tests of paste.c: what a pasted line must look like to be taken
 * as the address of this sign-in's last page. The whole paste mode,
 * typed into a real pseudo-terminal, is in
 * tests/integration/test_headless.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "listener.h"
#include "paste.h"
#include "util.h"

#define REDIRECT "http://127.0.0.1:8765/callback"

static const struct {
	const char *line;
	const char *want; /* the query, or NULL when refused */
} cases[] = {
        {REDIRECT "?code=abc&state=xyz", "code=abc&state=xyz"},
        {"  " REDIRECT "?code=abc&state=xyz \r", "code=abc&state=xyz"},
        {"\t" REDIRECT "?code=abc&state=xyz#frag", "code=abc&state=xyz"},
        {"127.0.0.1:8765/callback?code=a&state=b", "code=a&state=b"},
        {"HTTP://127.0.0.1:8765/callback?state=b&code=a", "state=b&code=a"},
        {REDIRECT "?error=access_denied&state=s",
         "error=access_denied&state=s"},
        {REDIRECT "?code=a&state=b&iss=http%3A%2F%2F127.0.0.1%3A3000",
         "code=a&state=b&iss=http%3A%2F%2F127.0.0.1%3A3000"},
        /* The query alone, as some users copy it. */
        {"code=abc&state=xyz", "code=abc&state=xyz"},
        {"?code=abc&state=xyz", "code=abc&state=xyz"},
        {"state=xyz&code=abc", "state=xyz&code=abc"},
        /* The page with nothing after it: parsed, then refused for state. */
        {REDIRECT, ""},
        /* Not ours. */
        {"", NULL},
        {"   ", NULL},
        {"http://127.0.0.1:8766/callback?code=a&state=b", NULL},
        {"http://127.0.0.1:8765/callbackx?code=a&state=b", NULL},
        {"http://localhost.evil.test:8765/callback?code=a", NULL},
        {"https://127.0.0.1:8765/callback?code=a&state=b", NULL},
        {"http://127.0.0.1:8765/other?code=a", NULL},
        {"hello", NULL},
        {REDIRECT "?code=a b&state=c", NULL},
        {REDIRECT "?code=a\x01&state=c", NULL},
        {REDIRECT "?code=\xc3\xa9&state=c", NULL},
};

static void
test_extract(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = NULL;
		int r = paste_extract_query(cases[i].line, REDIRECT, &q);

		if (!cases[i].want) {
			if (r != CLERK_EPROTO)
				fail_msg("case %zu (%s): taken", i,
				         cases[i].line);
			assert_null(q);
			continue;
		}
		if (r)
			fail_msg("case %zu (%s): refused (%d)", i,
			         cases[i].line, r);
		assert_string_equal(q, cases[i].want);
		secret_free(q);
	}
}

/*
 * The listener's second source of answers, which paste mode feeds: each
 * line written to a pipe is handed over as a query and goes through the
 * callback's checks.
 */
struct lines {
	int fd;
	int agains;
};

/* One line from the pipe (a byte at a time: the rest stays readable). */
static int
lines_read(void *arg, char **query)
{
	struct lines *ls = arg;
	char buf[512];
	size_t n = 0;

	while (n + 1 < sizeof(buf) && read(ls->fd, buf + n, 1) == 1 &&
	       buf[n] != '\n')
		n++;
	if (n == 0)
		return CLERK_EDENIED;
	buf[n] = '\0';
	*query = strdup(buf);
	return *query ? 0 : CLERK_ENOMEM;
}

static void
lines_again(void *arg)
{
	((struct lines *)arg)->agains++;
}

static int
wait_lines(const char *input, struct callback_params *cb, int *agains)
{
	struct listener *l = NULL;
	struct lines ls = {-1, 0};
	struct listener_input in = {-1, lines_read, lines_again, &ls};
	int fds[2], port, r;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(listener_open(0, &l, &port), 0);
	ls.fd = in.fd = fds[0];
	assert_int_equal(write(fds[1], input, strlen(input)), strlen(input));
	close(fds[1]);
	r = listener_wait_input(l, "S7ate", NULL, false, 5, &in, cb);
	listener_close(l);
	close(fds[0]);
	*agains = ls.agains;
	return r;
}

static void
test_listener_input(void **state)
{
	struct callback_params cb = {0};
	int agains, r;

	(void)state;
	/* A wrong state is refused, the user asked again; then the right one.
	 */
	r = wait_lines("code=c1&state=other\ncode=c2&state=S7ate\n", &cb,
	               &agains);
	assert_int_equal(r, 0);
	assert_int_equal(agains, 1);
	assert_string_equal(cb.code, "c2");
	assert_string_equal(cb.state, "S7ate");
	callback_params_release(&cb);
	/* The provider's error, pasted: the wait ends with it. */
	r = wait_lines("error=access_denied&state=S7ate\n", &cb, &agains);
	assert_int_equal(r, CLERK_EDENIED);
	assert_string_equal(cb.error, "access_denied");
	assert_null(cb.code);
	callback_params_release(&cb);
	/* A code without its state, then the end of input. */
	r = wait_lines("code=c3\n", &cb, &agains);
	assert_int_equal(r, CLERK_EDENIED);
	assert_int_equal(agains, 1);
	assert_null(cb.code);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_extract),
	        cmocka_unit_test(test_listener_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
