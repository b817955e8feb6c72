/* Unit tests: gitproto.c (git credential protocol parse and emit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "gitproto.h"
#include "util.h"

struct parse_case {
	const char *name;
	const char *input;
	int r;
	const char *protocol, *host, *path, *username, *password;
	bool cap_authtype, done;
};

static const struct parse_case parse_cases[] = {
        {"plain", "protocol=https\nhost=git.example.com\n\n", 0, "https",
         "git.example.com", NULL, NULL, NULL, false, true},
        {"crlf", "protocol=https\r\nhost=h.example\r\n\r\n", 0, "https",
         "h.example", NULL, NULL, NULL, false, true},
        {"no blank line at eof", "protocol=https\nhost=a.example", 0, "https",
         "a.example", NULL, NULL, NULL, false, false},
        {"equals in value", "host=a.example\npassword=x=y==\n\n", 0, NULL,
         "a.example", NULL, NULL, "x=y==", false, true},
        {"duplicate key: last wins", "host=a.example\nhost=b.example\n\n", 0,
         NULL, "b.example", NULL, NULL, NULL, false, true},
        {"unknown keys ignored",
         "wwwauth[]=Bearer realm=x\nfoo=bar\nhost=c.example\n\n", 0, NULL,
         "c.example", NULL, NULL, NULL, false, true},
        {"line without equals ignored", "garbage\nhost=d.example\n\n", 0, NULL,
         "d.example", NULL, NULL, NULL, false, true},
        {"capability", "capability[]=authtype\nhost=e.example\n\n", 0, NULL,
         "e.example", NULL, NULL, NULL, true, true},
        {"other capability", "capability[]=state\nhost=e.example\n\n", 0, NULL,
         "e.example", NULL, NULL, NULL, false, true},
        {"url",
         "url=https://bob:p%40ss@git.example.com:8443/org/repo.git\n"
         "\n",
         0, "https", "git.example.com:8443", "org/repo.git", "bob", "p@ss",
         false, true},
        {"url overrides host", "host=x.example\nurl=https://y.example/\n\n", 0,
         "https", "y.example", NULL, NULL, NULL, false, true},
        {"url without scheme", "url=y.example\n\n", CLERK_EPROTO, NULL, NULL,
         NULL, NULL, NULL, false, false},
        {"stops at blank line", "host=a.example\n\nhost=b.example\n", 0, NULL,
         "a.example", NULL, NULL, NULL, false, true},
        {"empty value", "username=\nhost=a.example\n\n", 0, NULL, "a.example",
         NULL, "", NULL, false, true},
};

static void
test_parse_table(void **state)
{
	size_t i, used;
	bool done;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *t = &parse_cases[i];
		struct credential c = CREDENTIAL_INIT;
		int r = credential_parse(t->input, strlen(t->input), true, &c,
		                         &used, &done);

		print_message("case: %s\n", t->name);
		assert_int_equal(r, t->r);
		if (r == 0) {
			assert_int_equal(done, t->done);
#define CHECK(f)                                        \
	do {                                            \
		if (t->f)                               \
			assert_string_equal(c.f, t->f); \
		else                                    \
			assert_null(c.f);               \
	} while (0)
			CHECK(protocol);
			CHECK(host);
			CHECK(path);
			CHECK(username);
			CHECK(password);
#undef CHECK
			assert_int_equal(c.cap_authtype, t->cap_authtype);
		}
		credential_release(&c);
	}
}

static void
test_parse_nul(void **state)
{
	static const char in[] = "host=a\0b\n\n";
	struct credential c = CREDENTIAL_INIT;
	size_t used;
	bool done;

	(void)state;
	assert_int_equal(
	        credential_parse(in, sizeof(in) - 1, true, &c, &used, &done),
	        CLERK_EPROTO);
	credential_release(&c);
}

static void
test_parse_long_line(void **state)
{
	struct credential c = CREDENTIAL_INIT;
	size_t n = GITPROTO_MAX_LINE + 10, used;
	char *in = malloc(n + 8);
	bool done;

	(void)state;
	memcpy(in, "path=", 5);
	memset(in + 5, 'a', n - 5);
	memcpy(in + n, "\n\n", 3);
	assert_int_equal(credential_parse(in, n + 2, true, &c, &used, &done),
	                 CLERK_EPROTO);
	credential_release(&c);
	/* Without a newline yet, an overlong partial line fails too. */
	assert_int_equal(credential_parse(in, n, false, &c, &used, &done),
	                 CLERK_EPROTO);
	credential_release(&c);
	/* A line just at the limit is fine. */
	in[GITPROTO_MAX_LINE] = '\n';
	in[GITPROTO_MAX_LINE + 1] = '\n';
	assert_int_equal(credential_parse(in, GITPROTO_MAX_LINE + 2, true, &c,
	                                  &used, &done),
	                 0);
	assert_int_equal(strlen(c.path), GITPROTO_MAX_LINE - 5);
	credential_release(&c);
	free(in);
}

static void
test_parse_partial(void **state)
{
	struct credential c = CREDENTIAL_INIT;
	const char *in = "host=a.example\nprot";
	size_t used;
	bool done;

	(void)state;
	assert_int_equal(
	        credential_parse(in, strlen(in), false, &c, &used, &done), 0);
	assert_false(done);
	assert_int_equal(used, 15);
	assert_string_equal(c.host, "a.example");
	assert_null(c.protocol);
	credential_release(&c);
}

static void
test_read_fd(void **state)
{
	static const char in[] = "protocol=https\nhost=r.example\n\nextra=1\n";
	struct credential c = CREDENTIAL_INIT;
	int fds[2];

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], in, sizeof(in) - 1),
	                 (ssize_t)sizeof(in) - 1);
	/* The writer stays open: the blank line alone must end the read. */
	assert_int_equal(credential_read_fd(fds[0], &c), 0);
	assert_string_equal(c.host, "r.example");
	credential_release(&c);
	close(fds[1]);
	close(fds[0]);
}

static void
test_emit(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	assert_int_equal(credential_emit(&sb, "password", "tok=en"), 0);
	assert_string_equal(sb.buf, "password=tok=en\n");
	assert_int_equal(credential_emit(&sb, "password", "a\nhost=evil"),
	                 CLERK_EPROTO);
	assert_int_equal(credential_emit(&sb, "password", "a\rb"),
	                 CLERK_EPROTO);
	assert_string_equal(sb.buf, "password=tok=en\n");
	strbuf_release(&sb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_parse_nul),
	        cmocka_unit_test(test_parse_long_line),
	        cmocka_unit_test(test_parse_partial),
	        cmocka_unit_test(test_read_fd),
	        cmocka_unit_test(test_emit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
