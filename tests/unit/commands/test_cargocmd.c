/*
 * Unit tests: cargocmd.c (Cargo's credential-provider protocol v1: the
 * hello, then one answer line per request line until EOF), driven
 * through cargocmd_run() with the request lines on stdin and a token in
 * the runtime cache. The exact transcripts through the program are in
 * the protocols integration suite, the real cargo in the clients suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "cmdrun.h"
#include "error.h"
#include "protocols.h"

#define TOKEN   "tok-cargo"
#define EXPIRES 1900000000
#define HOSTS   "registry.example.test,127.0.0.1:5000,*.corp.example.test"
#define HELLO   "{\"v\":[1]}\n"
#define INDEX   "sparse+https://registry.example.test/index/"
/* A get request for index @idx with @more members after "kind". */
#define REQ(idx, kind, more)                                         \
	"{\"v\":1,\"registry\":{\"index-url\":\"" idx "\",\"name\":" \
	"\"corp\"},\"kind\":\"" kind "\"" more "}\n"
#define GET(idx) REQ(idx, "get", ",\"operation\":\"read\"")
#define OK_GET                                                      \
	"{\"Ok\":{\"kind\":\"get\",\"token\":\"Bearer " TOKEN "\"," \
	"\"cache\":\"expires\",\"expiration\":1900000000,"          \
	"\"operation_independent\":true}}\n"
#define UNSUPPORTED "{\"Err\":{\"kind\":\"url-not-supported\"}}\n"
#define MALFORMED                                               \
	"{\"Err\":{\"kind\":\"other\",\"message\":\"malformed " \
	"credential-provider request\"}}\n"
#define NOT_MESSAGE                                                          \
	"clerk-credential: cargo: the request is not a credential-provider " \
	"message\n"

static const char *const plugin[] = {"--cargo-plugin", NULL};

/* Append @s to @buf of @size bytes, failing the test when it is full. */
static void
strcat_checked(char *buf, size_t size, const char *s)
{
	size_t len = strlen(buf), add = strlen(s);

	assert_true(len + add < size);
	memcpy(buf + len, s, add + 1);
}

static int
setup(void **state)
{
	(void)state;
	if (cmdrun_setup(HOSTS))
		return -1;
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

/* cargo --cargo-plugin with @in; check stdout and stderr; 0 always. */
static void
cargo(const char *in, const char *want_out, const char *want_err)
{
	const char *out, *err;

	assert_int_equal(
	        cmdrun(cargocmd_run, cmdrun_config(plugin), in, &out, &err), 0);
	assert_string_equal(out, want_out);
	assert_string_equal(err, want_err);
}

static void
test_hello_only(void **state)
{
	(void)state;
	cargo("", HELLO, "");
}

static void
test_get(void **state)
{
	(void)state;
	cargo(GET(INDEX), HELLO OK_GET, "");
	/* One token serves every operation. */
	cargo(REQ(INDEX, "get",
	          ",\"operation\":\"publish\",\"name\":\"x\","
	          "\"vers\":\"1.0.0\",\"cksum\":\"00\""),
	      HELLO OK_GET, "");
}

/* Every request gets its answer; a bad one does not end the loop. */
static void
test_many_requests_and_host_rule(void **state)
{
	static const char *const in[] = {
	        GET(INDEX),
	        GET("sparse+https://crates.other.example/index/"),
	        GET("https://github.com/rust-lang/crates.io-index"),
	        GET("sparse+http://registry.example.test/index/"),
	        GET("sparse+http://127.0.0.1:5000/index/"),
	        REQ(INDEX, "frob", ""),
	        "not json\n",
	        GET(INDEX),
	};
	static const char *const want[] = {
	        OK_GET,
	        UNSUPPORTED,
	        UNSUPPORTED,
	        UNSUPPORTED,
	        OK_GET,
	        "{\"Err\":{\"kind\":\"operation-not-supported\"}}\n",
	        MALFORMED,
	        OK_GET,
	};
	char all_in[2048] = "", all_out[2048] = HELLO;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		strcat_checked(all_in, sizeof(all_in), in[i]);
		strcat_checked(all_out, sizeof(all_out), want[i]);
	}
	cargo(all_in, all_out, NOT_MESSAGE);
}

/* serde refuses a field given twice, Go takes the last: refused. */
static void
test_duplicate_members_refused(void **state)
{
	(void)state;
	cargo("{\"v\":1,\"registry\":{\"index-url\":\"" INDEX "\","
	      "\"index-url\":\"sparse+https://evil.example/index/\"},"
	      "\"kind\":\"get\",\"operation\":\"read\"}\n" GET(INDEX),
	      HELLO MALFORMED OK_GET, NOT_MESSAGE);
}

static void
test_args_are_options(void **state)
{
	(void)state;
	cargo(REQ(INDEX, "get",
	          ",\"operation\":\"read\",\"args\":[\"cargo\","
	          "\"--username=ignored\"]"),
	      HELLO OK_GET, "");
	cargo(REQ(INDEX, "get", ",\"operation\":\"read\",\"args\":[\"bogus\"]"),
	      HELLO "{\"Err\":{\"kind\":\"other\",\"message\":\"configuration "
	            "error (see `clerk-credential status`)\"}}\n",
	      "clerk-credential: cargo: unexpected argument 'bogus' in the "
	      "credential-provider setting\n");
}

static void
test_not_signed_in(void **state)
{
	(void)state;
	cmdrun_unseed(cmdrun_config(NULL));
	cargo(GET(INDEX),
	      HELLO "{\"Err\":{\"kind\":\"other\",\"message\":\"not signed "
	            "in, and sign-in is disabled here (run `clerk-credential "
	            "login` first)\"}}\n",
	      "clerk-credential: not signed in, and sign-in is disabled here "
	      "(run `clerk-credential login` in a terminal first)\n");
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
}

/*
 * The registry's WWW-Authenticate among "headers" is read as git's
 * wwwauth[] (contract §18): insufficient_scope drops the cached token and
 * wants a sign-in for the scope, which may not start here: said, and the
 * store (empty here) answers as ever.
 */
static void
test_headers_step_up(void **state)
{
	(void)state;
	cargo(REQ(INDEX, "get", ",\"operation\":\"read\"")
	      /* Another scheme's header, and a malformed one, change nothing.
	       */
	      "{\"v\":1,\"registry\":{\"index-url\":\"" INDEX "\","
	      "\"headers\":[\"Content-Type: text/plain\",\"WWW-Authenticate: "
	      "Bearer ,,\\\"\",\"www-authenticate: Cargo login_url=x\"]},"
	      "\"kind\":\"get\",\"operation\":\"read\"}\n",
	      HELLO OK_GET OK_GET, "");
	cargo("{\"v\":1,\"registry\":{\"index-url\":\"" INDEX "\","
	      "\"headers\":[\"WWW-Authenticate: Bearer "
	      "error=\\\"insufficient_scope\\\", scope=\\\"repo:write\\\"\"]},"
	      "\"kind\":\"get\",\"operation\":\"publish\"}\n",
	      HELLO "{\"Err\":{\"kind\":\"other\",\"message\":\"not signed "
	            "in, and sign-in is disabled here (run `clerk-credential "
	            "login` first)\"}}\n",
	      "clerk-credential: warning: the server wants scopes the token of "
	      "profile default lacks (repo:write), and no sign-in may start "
	      "now (run `clerk-credential login --profile=default` to ask for "
	      "them)\n"
	      "clerk-credential: not signed in, and sign-in is disabled here "
	      "(run `clerk-credential login` in a terminal first)\n");
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hello_only),
	        cmocka_unit_test(test_get),
	        cmocka_unit_test(test_many_requests_and_host_rule),
	        cmocka_unit_test(test_duplicate_members_refused),
	        cmocka_unit_test(test_args_are_options),
	        cmocka_unit_test(test_not_signed_in),
	        cmocka_unit_test(test_headers_step_up),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
