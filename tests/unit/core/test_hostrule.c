/*
 * Unit tests: hostrule.c, the rule that decides which hosts receive a
 * bearer token. Each case is a host an attacker could make a client
 * name: suffix tricks, smuggled user info and paths, ports, case,
 * trailing dots, IPv6 literals, empty labels and overlong names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hostrule.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct match_case {
	const char *pattern, *host;
	bool match;
};

static void
check_matches(const struct match_case *cases, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		print_message("%s ~ %s\n", cases[i].pattern, cases[i].host);
		assert_true(host_pattern_valid(cases[i].pattern));
		assert_int_equal(
		        host_pattern_match(cases[i].pattern, cases[i].host),
		        cases[i].match);
	}
}

static void
test_exact(void **state)
{
	static const struct match_case cases[] = {
	        {"git.example.com", "git.example.com", true},
	        {"git.example.com", "GIT.Example.com", true},
	        {"GIT.EXAMPLE.COM", "git.example.com", true},
	        {"git.example.com", "git.example.com:8443", true},
	        {"git.example.com", "git.example.com.evil.net", false},
	        {"git.example.com", "evilgit.example.com", false},
	        {"git.example.com", "git.example.co", false},
	        {"git.example.com", "it.example.com", false},
	        {"git.example.com", "a.git.example.com", false},
	        {"git.example.com", "git-example.com", false},
	        {"git.example.com", "gitXexample.com", false},
	        /* No trailing-dot folding, either way. */
	        {"git.example.com", "git.example.com.", false},
	        {"git.example.com.", "git.example.com", false},
	        {"git.example.com.", "git.example.com.", true},
	        {"git.example.com", ".git.example.com", false},
	        {"a.example", "", false},
	        {"127.0.0.1", "127.0.0.1", true},
	        {"127.0.0.1", "127.0.0.10", false},
	        {"127.0.0.1", "127.0.0.1.evil.com", false},
	        {"localhost", "LOCALHOST:8080", true},
	};

	(void)state;
	check_matches(cases, N(cases));
}

static void
test_wildcard(void **state)
{
	static const struct match_case cases[] = {
	        {"*.example.com", "a.example.com", true},
	        {"*.example.com", "a.b.example.com", true},
	        {"*.example.com", "A.EXAMPLE.COM", true},
	        {"*.Example.Com", "a.example.com", true},
	        {"*.example.com", "a-b.example.com", true},
	        {"*.example.com", "1.example.com", true},
	        /* The dot is part of the suffix: a label boundary. */
	        {"*.example.com", "example.com", false},
	        {"*.example.com", "aexample.com", false},
	        {"*.example.com", "evilexample.com", false},
	        {"*.example.com", "a.evilexample.com", false},
	        {"*.example.com", "a.example.com.evil", false},
	        {"*.example.com", "a.example.com.evil.net", false},
	        {"*.example.com", "a.example.co", false},
	        {"*.example.com", "a.example.comm", false},
	        {"*.example.com", "a.example-com", false},
	        {"*.example.com", ".example.com", false},
	        {"*.example.com", "a.example.com.", false},
	        {"*.example.com", "example.com.a", false},
	        {"*.example.com", "*.example.com", false},
	        {"*.example.com", "", false},
	        /* Today's rule: an empty label before the suffix is a
	         * character before it; no resolver finds such a name. */
	        {"*.example.com", "..example.com", true},
	        {"*.example.com", "a..example.com", true},
	        {"*.b.example.com", "a.b.example.com", true},
	        {"*.b.example.com", "a.example.com", false},
	        {"*.b.example.com", "b.example.com", false},
	        {"*.b.example.com", "ab.example.com", false},
	        /* No public-suffix knowledge: *.com is every .com host. */
	        {"*.com", "evil.com", true},
	        {"*.com", "com", false},
	};

	(void)state;
	check_matches(cases, N(cases));
}

static void
test_ports(void **state)
{
	static const struct match_case cases[] = {
	        {"git.example.com:8443", "git.example.com:8443", true},
	        {"git.example.com:8443", "git.example.com", false},
	        {"git.example.com:8443", "git.example.com:443", false},
	        {"git.example.com:8443", "git.example.com:84430", false},
	        {"git.example.com:8443", "git.example.com:844", false},
	        /* The port text is compared, not its value. */
	        {"git.example.com:443", "git.example.com:0443", false},
	        {"git.example.com:443", "git.example.com:443", true},
	        {"*.example.com:8443", "a.example.com:8443", true},
	        {"*.example.com:8443", "a.example.com", false},
	        {"*.example.com:8443", "a.example.com:443", false},
	        {"*.example.com", "a.example.com:443", true},
	        {"*.example.com", "a.example.com:65535", true},
	        {"127.0.0.1:9", "127.0.0.1:9", true},
	        {"127.0.0.1:9", "127.0.0.1:99", false},
	        {"127.0.0.1", "127.0.0.1:1", true},
	};

	(void)state;
	check_matches(cases, N(cases));
}

static void
test_ipv6(void **state)
{
	static const struct match_case cases[] = {
	        {"[::1]", "[::1]", true},
	        {"[::1]:9", "[::1]:9", true},
	        {"[::1]", "[::1]:9", true},
	        {"[::1]:9", "[::1]", false},
	        {"[::1]:9", "[::1]:8", false},
	        {"[2001:db8::1]", "[2001:DB8::1]", true},
	        /* Text, not addresses: no normalising. */
	        {"[::1]", "[0::1]", false},
	        {"[::1]", "[0:0:0:0:0:0:0:1]", false},
	        {"[::1]", "::1", false},
	        {"[::1]", "[::1", false},
	        {"[::1]", "[::1]x", false},
	        {"[::1]", "[::1]:", false},
	        {"[::1]", "[::1%25eth0]", false},
	        {"[::1]", "[::1]@evil.com", false},
	        {"[2001:db8::1]", "[2001:db8::1]]", false},
	};

	(void)state;
	check_matches(cases, N(cases));
}

/* Hosts that are not hosts never match, whatever a caller sends. */
static void
test_not_hosts(void **state)
{
	static const struct match_case cases[] = {
	        {"git.example.com", "git.example.com:@evil.com", false},
	        {"git.example.com", "git.example.com:abc", false},
	        {"git.example.com", "git.example.com:", false},
	        {"git.example.com", "git.example.com:0", false},
	        {"git.example.com", "git.example.com:65536", false},
	        {"git.example.com", "git.example.com:+443", false},
	        {"git.example.com", "git.example.com:-1", false},
	        {"git.example.com", "git.example.com: 443", false},
	        {"git.example.com", "git.example.com:443 ", false},
	        {"git.example.com", "git.example.com:@evil.com:443", false},
	        {"git.example.com", "git.example.com:443:443", false},
	        {"git.example.com", "user@git.example.com", false},
	        {"git.example.com", "user:pw@git.example.com", false},
	        {"git.example.com", "git.example.com/path", false},
	        {"git.example.com", "git.example.com\\", false},
	        {"git.example.com", "git.example.com?x", false},
	        {"git.example.com", "git.example.com#x", false},
	        {"git.example.com", "git.example.com%3a%40evil.com", false},
	        {"git.example.com", "git.example.com\n", false},
	        {"git.example.com", " git.example.com", false},
	        {"git.example.com", ":443", false},
	        {"*.example.com", "evil.com/.example.com", false},
	        {"*.example.com", "evil.com@.example.com", false},
	        {"*.example.com", "evil.com .example.com", false},
	        {"*.example.com", "evil.com\t.example.com", false},
	        {"*.example.com", "evil.com%2f.example.com", false},
	        {"*.example.com", "evil.com_x.example.com", false},
	        {"*.example.com", "evil.com#.example.com", false},
	        {"*.example.com", "evil.com?.example.com", false},
	        {"*.example.com", "evil.com\\.example.com", false},
	        {"*.example.com", "evil.com:1@a.example.com", false},
	        {"*.example.com", "*.example.com:443", false},
	        /* UTF-8 lookalikes are not ASCII letters. */
	        {"*.example.com", "a.ex\xc3\xa0mple.com", false},
	        {"*.example.com", "\xd0\xb0.example.com", false},
	};

	(void)state;
	check_matches(cases, N(cases));
	/* A NUL ends the host: what follows is never seen. */
	assert_false(host_port_valid("a.example.com\0.evil", 19));
}

/* A host name at HOST_MAX matches; one byte more is not a host. */
static void
test_overlong(void **state)
{
	char host[HOST_MAX + 2], pattern[HOST_MAX + 4];

	(void)state;
	memset(host, 'a', sizeof(host));
	memcpy(host + HOST_MAX - 12, ".example.com", 12);
	host[HOST_MAX] = '\0';
	assert_true(host_pattern_match("*.example.com", host));
	assert_true(host_pattern_match(host, host));
	memmove(host + 1, host, HOST_MAX + 1);
	assert_int_equal(strlen(host), HOST_MAX + 1);
	assert_false(host_pattern_match("*.example.com", host));
	assert_false(host_pattern_match(host, host));
	assert_false(host_pattern_valid(host));
	/* A wildcard pattern's "*." does not count against the limit. */
	memcpy(pattern, "*.", 2);
	memset(pattern + 2, 'a', HOST_MAX);
	pattern[2 + HOST_MAX] = '\0';
	assert_true(host_pattern_valid(pattern));
	pattern[2 + HOST_MAX] = 'a';
	pattern[3 + HOST_MAX] = '\0';
	assert_false(host_pattern_valid(pattern));
}

static void
test_pattern_valid(void **state)
{
	static const struct {
		const char *pattern;
		bool ok;
	} cases[] = {
	        {"git.example.com", true},
	        {"git.example.com:8443", true},
	        {"*.example.com", true},
	        {"*.example.com:8443", true},
	        {"*.com", true},
	        {"[::1]", true},
	        {"[::1]:9", true},
	        {"127.0.0.1", true},
	        {"*", false},
	        {"*.", false},
	        {"*.*.example.com", false},
	        {"**.example.com", false},
	        {"*example.com", false},
	        {"a.*.example.com", false},
	        {"*.[::1]", false},
	        {"*.example.com:", false},
	        {"*.example.com:0", false},
	        {"git.example.com:65536", false},
	        {"user@git.example.com", false},
	        {"git.example.com/x", false},
	        {"https://git.example.com", false},
	        {"git_example.com", false},
	        {"", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		print_message("pattern: %s\n", cases[i].pattern);
		assert_int_equal(host_pattern_valid(cases[i].pattern),
		                 cases[i].ok);
	}
}

static void
test_split(void **state)
{
	static const struct {
		const char *in;
		size_t hostlen;
		const char *port;
	} cases[] = {
	        {"git.example.com", 15, NULL},
	        {"git.example.com:8443", 15, "8443"},
	        {"git.example.com:", 15, ""},
	        {"a:b:c", 3, "c"},
	        {"[::1]", 5, NULL},
	        {"[::1]:9", 5, "9"},
	        {"[::1]9", 5, NULL},
	        {"[::1", 4, NULL},
	        {"", 0, NULL},
	};
	const char *port;
	size_t i, n;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		print_message("split: %s\n", cases[i].in);
		host_split(cases[i].in, &n, &port);
		assert_int_equal(n, cases[i].hostlen);
		if (cases[i].port)
			assert_string_equal(port, cases[i].port);
		else
			assert_null(port);
		host_split(cases[i].in, &n, NULL);
		assert_int_equal(n, cases[i].hostlen);
	}
}

static void
test_key(void **state)
{
	static const struct {
		const char *pattern, *key;
	} cases[] = {
	        {"git.example.com", "git.example.com"},
	        {"git.example.com:8443", "git.example.com"},
	        {"*.example.com", ".example.com"},
	        {"*.example.com:8443", ".example.com"},
	        {"[::1]:9", "[::1]"},
	};
	size_t i, start, len;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		host_pattern_key(cases[i].pattern, &start, &len);
		assert_int_equal(len, strlen(cases[i].key));
		assert_memory_equal(cases[i].pattern + start, cases[i].key,
		                    len);
	}
}

static void
test_protocol(void **state)
{
	static const struct {
		const char *protocol, *host;
		bool ok;
	} cases[] = {
	        {"https", "git.example.com", true},
	        {"https", "127.0.0.1", true},
	        /* Never a bearer token in clear text over the network. */
	        {"http", "git.example.com", false},
	        {"http", "localhost", true},
	        {"http", "LocalHost:8080", true},
	        {"http", "127.0.0.1:8080", true},
	        {"http", "[::1]:8080", true},
	        {"http", "[::1]", true},
	        {"http", "localhost.", false},
	        {"http", "localhost.evil.com", false},
	        {"http", "evil.localhost", false},
	        {"http", "127.0.0.2", false},
	        {"http", "127.0.0.1.evil.com", false},
	        {"http", "0.0.0.0", false},
	        {"http", "[::2]", false},
	        {"http", "[0::1]", false},
	        {"HTTPS", "git.example.com", false},
	        {"Https", "git.example.com", false},
	        {"HTTP", "localhost", false},
	        {"https ", "git.example.com", false},
	        {"ftp", "git.example.com", false},
	        {"ssh", "git.example.com", false},
	        {"", "git.example.com", false},
	        {NULL, "git.example.com", false},
	        {"https", NULL, false},
	        {"http", NULL, false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		print_message("%s %s\n",
		              cases[i].protocol ? cases[i].protocol : "(null)",
		              cases[i].host ? cases[i].host : "(null)");
		assert_int_equal(
		        host_protocol_allowed(cases[i].protocol, cases[i].host),
		        cases[i].ok);
	}
}

static void
test_list(void **state)
{
	static const char *const list[] = {"git.example.com:8443",
	                                   "*.corp.example.com", "[::1]"};

	(void)state;
	assert_true(host_list_match(list, N(list), "git.example.com:8443"));
	assert_true(host_list_match(list, N(list), "a.corp.example.com"));
	assert_true(host_list_match(list, N(list), "[::1]:22"));
	assert_false(host_list_match(list, N(list), "git.example.com"));
	assert_false(host_list_match(list, N(list), "corp.example.com"));
	assert_false(host_list_match(list, N(list), "evilcorp.example.com"));
	assert_false(host_list_match(list, N(list), ""));
	assert_false(host_list_match(list, N(list), NULL));
	/* An empty list allows nothing. */
	assert_false(host_list_match(list, 0, "git.example.com:8443"));
	assert_false(host_list_match(NULL, 0, "git.example.com"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exact),
	        cmocka_unit_test(test_wildcard),
	        cmocka_unit_test(test_ports),
	        cmocka_unit_test(test_ipv6),
	        cmocka_unit_test(test_not_hosts),
	        cmocka_unit_test(test_overlong),
	        cmocka_unit_test(test_pattern_valid),
	        cmocka_unit_test(test_split),
	        cmocka_unit_test(test_key),
	        cmocka_unit_test(test_protocol),
	        cmocka_unit_test(test_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
