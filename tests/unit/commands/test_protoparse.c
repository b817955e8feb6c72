/* Unit tests: protoparse.c (docker, kubectl, Bazel, Terraform, Cargo). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "protoparse.h"
#include "util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct ref_case {
	const char *in;
	bool scheme_required;
	int r;
	const char *scheme, *host;
};

static const struct ref_case ref_cases[] = {
        /* The four forms docker sends (contract §6). */
        {"registry.example.com", false, 0, "https", "registry.example.com"},
        {"registry.example.com:5000", false, 0, "https",
         "registry.example.com:5000"},
        {"https://index.docker.io/v1/", false, 0, "https", "index.docker.io"},
        {"registry.example.com/team/app", false, 0, "https",
         "registry.example.com"},
        {"http://127.0.0.1:5000", false, 0, "http", "127.0.0.1:5000"},
        {"HTTPS://Registry.Example.COM/", false, 0, "https",
         "registry.example.com"},
        {"[::1]:5000/x", false, 0, "https", "[::1]:5000"},
        {"registry.example.com?x=1", false, 0, "https", "registry.example.com"},
        /* User info is not the host: the host follows the last '@'. */
        {"https://good.example@evil.example/", false, 0, "https",
         "evil.example"},
        {"https://a@b@host.example/", false, 0, "https", "host.example"},
        /* Cargo and Bazel. */
        {"sparse+https://crates.example.com/index/", true, 0, "https",
         "crates.example.com"},
        {"grpcs://cache.example.com:443", true, 0, "https",
         "cache.example.com:443"},
        {"grpc://127.0.0.1:9092", true, 0, "http", "127.0.0.1:9092"},
        /* Refused. */
        {"registry.example.com", true, CLERK_EPROTO, NULL, NULL},
        {"ftp://registry.example.com", false, CLERK_EPROTO, NULL, NULL},
        {"ssh://git@host.example/x", true, CLERK_EPROTO, NULL, NULL},
        {"", false, CLERK_EPROTO, NULL, NULL},
        {"https://", false, CLERK_EPROTO, NULL, NULL},
        {"https:///path", false, CLERK_EPROTO, NULL, NULL},
        {"https://user@/", false, CLERK_EPROTO, NULL, NULL},
        {"host.example:0", false, CLERK_EPROTO, NULL, NULL},
        {"host.example:65536", false, CLERK_EPROTO, NULL, NULL},
        {"host.example:", false, CLERK_EPROTO, NULL, NULL},
        {"host.example:12ab", false, CLERK_EPROTO, NULL, NULL},
        {"host example", false, CLERK_EPROTO, NULL, NULL},
        {"host%2eexample", false, CLERK_EPROTO, NULL, NULL},
        {"*.example.com", false, CLERK_EPROTO, NULL, NULL},
        {"[::1", false, CLERK_EPROTO, NULL, NULL},
        {"[]:80", false, CLERK_EPROTO, NULL, NULL},
        {"[::1]x", false, CLERK_EPROTO, NULL, NULL},
        {":5000", false, CLERK_EPROTO, NULL, NULL},
        /* "://" after a path is no scheme: the host is what comes first. */
        {"host.example/a://b", false, 0, "https", "host.example"},
};

static void
test_server_ref(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(ref_cases); i++) {
		const struct ref_case *t = &ref_cases[i];
		struct server_ref s;
		int r;

		print_message("case: %s\n", t->in);
		memset(&s, 0, sizeof(s));
		r = server_ref_parse(t->in, t->scheme_required, &s);
		assert_int_equal(r, t->r);
		if (r == 0) {
			assert_string_equal(s.scheme, t->scheme);
			assert_string_equal(s.host, t->host);
		}
	}
}

static void
test_server_ref_long_host(void **state)
{
	char in[HOST_MAX + 3];
	struct server_ref s;

	(void)state;
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	assert_int_equal(server_ref_parse(in, false, &s), CLERK_EPROTO);
	in[HOST_MAX] = '\0';
	assert_int_equal(server_ref_parse(in, false, &s), 0);
	assert_int_equal(strlen(s.host), HOST_MAX);
}

/* The one host check every protocol shares (git's too). */
static void
test_host_port_valid(void **state)
{
	static const struct {
		const char *in;
		bool ok;
	} cases[] = {
	        {"git.example.com", true},
	        {"Git.Example.COM:8443", true},
	        {"127.0.0.1:1", true},
	        {"[::1]", true},
	        {"[::1]:65535", true},
	        {"git.example.com:@evil.com", false},
	        {"git.example.com:abc", false},
	        {"git.example.com:", false},
	        {"git.example.com:0", false},
	        {"git.example.com:65536", false},
	        {"git.example.com:+443", false},
	        {"git.example.com%3a%40evil.com", false},
	        {"evil.com/.example.com", false},
	        {"evil.com@.example.com", false},
	        {"evil.com .example.com", false},
	        {"user@git.example.com", false},
	        {"*.example.com", false},
	        {"[::1", false},
	        {"[]", false},
	        {"", false},
	        {":443", false},
	};
	char longest[HOST_MAX + 2];
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		print_message("case: %s\n", cases[i].in);
		assert_int_equal(
		        host_port_valid(cases[i].in, strlen(cases[i].in)),
		        cases[i].ok);
	}
	/* A NUL inside is not a host character. */
	assert_false(host_port_valid("a.example\0.evil", 15));
	memset(longest, 'a', sizeof(longest));
	assert_true(host_port_valid(longest, HOST_MAX));
	assert_false(host_port_valid(longest, HOST_MAX + 1));
}

struct join_case {
	const char *in, *out;
};

static const struct join_case join_cases[] = {
        {"registry.example.com\n", "registry.example.com"},
        {"registry.example.com\r\n", "registry.example.com"},
        {"  registry.example.com \t\n", "registry.example.com"},
        {"reg\nistry.example.com\n", "registry.example.com"},
        {"a\rb\n", "a\rb"},
        {"host\r", "host"},
        {"\n\n", ""},
        {"", ""},
};

static void
test_docker_input_join(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(join_cases); i++) {
		char buf[64];
		size_t n = strlen(join_cases[i].in);

		memcpy(buf, join_cases[i].in, n + 1);
		assert_int_equal(docker_input_join(buf, n),
		                 strlen(join_cases[i].out));
		assert_string_equal(buf, join_cases[i].out);
	}
}

struct creds_case {
	const char *in;
	int r;
	const char *url, *user, *secret;
};

static const struct creds_case creds_cases[] = {
        {"{\"ServerURL\":\"r.example\",\"Username\":\"u\",\"Secret\":\"s\"}", 0,
         "r.example", "u", "s"},
        /* Go's decoder ignores the case of member names. */
        {"{\"serverurl\":\"r.example\",\"USERNAME\":\"u\"}", 0, "r.example",
         "u", NULL},
        {"{\"ServerURL\":\"\",\"Username\":null,\"Other\":1}", 0, NULL, NULL,
         NULL},
        {"{}", 0, NULL, NULL, NULL},
        {"{\"ServerURL\":5}", CLERK_EPROTO, NULL, NULL, NULL},
        {"[\"ServerURL\"]", CLERK_EPROTO, NULL, NULL, NULL},
        {"{\"ServerURL\":\"a\"", CLERK_EPROTO, NULL, NULL, NULL},
        {"", CLERK_EPROTO, NULL, NULL, NULL},
        {"{\"ServerURL\":\"a.example\\u0000.evil\"}", CLERK_EPROTO, NULL, NULL,
         NULL},
        /* Read two ways elsewhere: refused. */
        {"{\"ServerURL\":\"a.example\",\"ServerURL\":\"b.example\"}",
         CLERK_EPROTO, NULL, NULL, NULL},
        {"{\"ServerURL\":\"a.example\",\"serverURL\":\"b.example\"}",
         CLERK_EPROTO, NULL, NULL, NULL},
        /* Go folds KELVIN SIGN to k and LONG S to s. */
        {"{\"\xc5\xbf"
         "ecret\":\"s\",\"U\xc5\xbf"
         "ername\":\"u\"}",
         0, NULL, "u", "s"},
        {"{\"Secret\":\"s\",\"\xc5\xbf"
         "ecret\":\"t\"}",
         CLERK_EPROTO, NULL, NULL, NULL},
};

#define CHECK_STR(got, want)                            \
	do {                                            \
		if (want)                               \
			assert_string_equal(got, want); \
		else                                    \
			assert_null(got);               \
	} while (0)

static void
test_docker_creds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(creds_cases); i++) {
		const struct creds_case *t = &creds_cases[i];
		struct docker_creds c = DOCKER_CREDS_INIT;
		int r = docker_creds_parse(t->in, strlen(t->in), &c);

		print_message("case: %s\n", t->in);
		assert_int_equal(r, t->r);
		CHECK_STR(c.server_url, t->url);
		CHECK_STR(c.username, t->user);
		CHECK_STR(c.secret, t->secret);
		docker_creds_release(&c);
	}
}

static void
test_docker_creds_raw_nul(void **state)
{
	static const char in[] = "{\"ServerURL\":\"a\0b\"}";
	struct docker_creds c = DOCKER_CREDS_INIT;

	(void)state;
	assert_int_equal(docker_creds_parse(in, sizeof(in) - 1, &c),
	                 CLERK_EPROTO);
}

struct exec_case {
	const char *in;
	int r;
	const char *api, *server;
	bool interactive_set, interactive;
};

static const struct exec_case exec_cases[] = {
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":"
         "\"client.authentication.k8s.io/v1\",\"spec\":{\"interactive\":"
         "false}}",
         0, "client.authentication.k8s.io/v1", NULL, true, false},
        {"{\"kind\":\"ExecCredential\",\"apiVersion\":"
         "\"client.authentication.k8s.io/v1beta1\",\"spec\":{}}",
         0, "client.authentication.k8s.io/v1beta1", NULL, false, false},
        {"{\"apiVersion\":\"x\",\"spec\":{\"interactive\":true,\"cluster\":"
         "{\"server\":\"https://k8s.example:6443\",\"config\":null}}}",
         0, "x", "https://k8s.example:6443", true, true},
        {"{}", 0, NULL, NULL, false, false},
        {"{\"kind\":\"Pod\"}", CLERK_EPROTO, NULL, NULL, false, false},
        {"{\"spec\":[]}", CLERK_EPROTO, NULL, NULL, false, false},
        {"{\"spec\":{\"interactive\":\"no\"}}", CLERK_EPROTO, NULL, NULL, false,
         false},
        {"{\"spec\":{\"cluster\":{\"server\":1}}}", CLERK_EPROTO, NULL, NULL,
         false, false},
        {"{\"apiVersion\":7}", CLERK_EPROTO, NULL, NULL, false, false},
        {"not json", CLERK_EPROTO, NULL, NULL, false, false},
        /* client-go matches names as Go does: without regard to case. */
        {"{\"Kind\":\"ExecCredential\",\"APIVersion\":\"x\",\"Spec\":"
         "{\"Interactive\":true,\"Cluster\":{\"Server\":\"https://e.example\"}}}",
         0, "x", "https://e.example", true, true},
        {"{\"\xc5\xbfpec\":{\"cluster\":{\"\xc5\xbf"
         "erver\":\"https://e.example\""
         "}}}",
         0, NULL, "https://e.example", false, false},
        {"{\"\xe2\x84\xaaind\":\"Pod\"}", CLERK_EPROTO, NULL, NULL, false,
         false},
        {"{\"spec\":{\"\xc4\xb1nteractive\":false}}", 0, NULL, NULL, true,
         false},
        /* Two members Go would merge, or a name given twice: refused. */
        {"{\"spec\":{},\"Spec\":{\"cluster\":{\"server\":\"https://e.example\""
         "}}}",
         CLERK_EPROTO, NULL, NULL, false, false},
        {"{\"spec\":{\"cluster\":{\"server\":\"https://a.example\"},"
         "\"cluster\":{\"server\":\"https://e.example\"}}}",
         CLERK_EPROTO, NULL, NULL, false, false},
        {"{\"spec\":{\"cluster\":{\"server\":\"https://a.example\","
         "\"SERVER\":\"https://e.example\"}}}",
         CLERK_EPROTO, NULL, NULL, false, false},
        /* Not a fold of "spec": another member, ignored. */
        {"{\"sp\xc3\xa9"
         "c\":{\"cluster\":{\"server\":1}}}",
         0, NULL, NULL, false, false},
};

static void
test_exec_info(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(exec_cases); i++) {
		const struct exec_case *t = &exec_cases[i];
		struct exec_info e = EXEC_INFO_INIT;
		int r = exec_info_parse(t->in, strlen(t->in), &e);

		print_message("case: %s\n", t->in);
		assert_int_equal(r, t->r);
		CHECK_STR(e.api_version, t->api);
		CHECK_STR(e.server, t->server);
		assert_int_equal(e.interactive_set, t->interactive_set);
		assert_int_equal(e.interactive, t->interactive);
		exec_info_release(&e);
	}
}

struct bazel_case {
	const char *in;
	int r;
	const char *uri;
};

static const struct bazel_case bazel_cases[] = {
        {"{\"uri\":\"https://cache.example.com/a\"}", 0,
         "https://cache.example.com/a"},
        {"{\"uri\":\"grpcs://x.example\",\"extra\":[1,2]}", 0,
         "grpcs://x.example"},
        {"{\"url\":\"https://x.example\"}", CLERK_EPROTO, NULL},
        {"{\"uri\":\"\"}", CLERK_EPROTO, NULL},
        {"{\"uri\":null}", CLERK_EPROTO, NULL},
        {"{\"uri\":3}", CLERK_EPROTO, NULL},
        {"{\"uri\":\"https://x.example\"} {}", CLERK_EPROTO, NULL},
        {"\"https://x.example\"", CLERK_EPROTO, NULL},
        /* Bazel reads the last "uri": refused rather than read first. */
        {"{\"uri\":\"https://a.example\",\"uri\":\"https://e.example\"}",
         CLERK_EPROTO, NULL},
        {"{\"uri\":\"https://a.example\",\"x\":{\"k\":1,\"k\":2}}",
         CLERK_EPROTO, NULL},
};

static void
test_bazel_request(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(bazel_cases); i++) {
		const struct bazel_case *t = &bazel_cases[i];
		char *uri = NULL;
		int r = bazel_request_parse(t->in, strlen(t->in), &uri);

		print_message("case: %s\n", t->in);
		assert_int_equal(r, t->r);
		CHECK_STR(uri, t->uri);
		free(uri);
	}
}

struct cargo_case {
	const char *in;
	int r;
	int64_t v;
	const char *index_url, *name, *kind, *operation, *token;
	size_t nargs;
	size_t nheaders; /* registry.headers (the server's challenges) */
};

static const struct cargo_case cargo_cases[] = {
        {"{\"v\":1,\"registry\":{\"index-url\":\"sparse+https://c.example/"
         "index/\",\"name\":\"corp\",\"headers\":[\"WWW-Authenticate: "
         "Cargo login_url=x\"]},\"kind\":\"get\",\"operation\":\"read\","
         "\"args\":[\"--profile=work\",\"cargo\"]}",
         0, 1, "sparse+https://c.example/index/", "corp", "get", "read", NULL,
         2, 1},
        {"{\"v\":1,\"registry\":{\"index-url\":\"https://c.example/\"},"
         "\"kind\":\"login\",\"token\":\"tok\",\"login-url\":\"x\"}",
         0, 1, "https://c.example/", NULL, "login", NULL, "tok", 0, 0},
        {"{\"v\":2,\"registry\":{\"index-url\":\"u\"},\"kind\":\"x\"}", 0, 2,
         "u", NULL, "x", NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\"}}", CLERK_EPROTO, 0, NULL,
         NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"kind\":\"get\"}", CLERK_EPROTO, 0, NULL, NULL, NULL, NULL,
         NULL, 0, 0},
        {"{\"registry\":{\"index-url\":\"u\"},\"kind\":\"get\"}", CLERK_EPROTO,
         0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1.5,\"registry\":{\"index-url\":\"u\"},\"kind\":\"get\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\"},\"kind\":\"get\","
         "\"args\":[1]}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\"},\"kind\":\"get\","
         "\"args\":\"--x\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":\"u\",\"kind\":\"get\"}", CLERK_EPROTO, 0, NULL,
         NULL, NULL, NULL, NULL, 0, 0},
        /* registry.headers: strings, in an array. */
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\",\"headers\":\"x\"},"
         "\"kind\":\"get\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\",\"headers\":[7]},"
         "\"kind\":\"get\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"u\",\"headers\":[]},"
         "\"kind\":\"get\"}",
         0, 1, "u", NULL, "get", NULL, NULL, 0, 0},
        /* serde refuses a field given twice; so do we. */
        {"{\"v\":1,\"registry\":{\"index-url\":\"a\",\"index-url\":\"e\"},"
         "\"kind\":\"get\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
        {"{\"v\":1,\"registry\":{\"index-url\":\"a\"},\"kind\":\"get\","
         "\"kind\":\"login\"}",
         CLERK_EPROTO, 0, NULL, NULL, NULL, NULL, NULL, 0, 0},
};

static void
test_cargo_request(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(cargo_cases); i++) {
		const struct cargo_case *t = &cargo_cases[i];
		struct cargo_request q = CARGO_REQUEST_INIT;
		int r = cargo_request_parse(t->in, strlen(t->in), &q);

		print_message("case: %s\n", t->in);
		assert_int_equal(r, t->r);
		if (r == 0)
			assert_int_equal(q.v, t->v);
		CHECK_STR(q.index_url, t->index_url);
		CHECK_STR(q.name, t->name);
		CHECK_STR(q.kind, t->kind);
		CHECK_STR(q.operation, t->operation);
		CHECK_STR(q.token, t->token);
		assert_int_equal(q.nargs, t->nargs);
		if (t->nargs == 2) {
			assert_string_equal(q.args[0], "--profile=work");
			assert_string_equal(q.args[1], "cargo");
		}
		assert_int_equal(q.nheaders, t->nheaders);
		if (t->nheaders)
			assert_string_equal(q.headers[0], "WWW-Authenticate: "
			                                  "Cargo login_url=x");
		cargo_request_release(&q);
	}
}

static void
test_cargo_too_many_args(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct cargo_request q = CARGO_REQUEST_INIT;
	int i;

	(void)state;
	assert_int_equal(strbuf_adds(&sb,
	                             "{\"v\":1,\"registry\":{\"index-url\":"
	                             "\"u\"},\"kind\":\"get\",\"args\":["),
	                 0);
	for (i = 0; i <= CARGO_MAX_ARGS; i++)
		assert_int_equal(strbuf_adds(&sb, i ? ",\"a\"" : "\"a\""), 0);
	assert_int_equal(strbuf_adds(&sb, "]}"), 0);
	assert_int_equal(cargo_request_parse(sb.buf, sb.len, &q), CLERK_EPROTO);
	assert_null(q.args);
	strbuf_release(&sb);

	/* Headers: at most CARGO_MAX_HEADERS. */
	assert_int_equal(strbuf_adds(&sb,
	                             "{\"v\":1,\"registry\":{\"index-url\":"
	                             "\"u\",\"headers\":["),
	                 0);
	for (i = 0; i <= CARGO_MAX_HEADERS; i++)
		assert_int_equal(strbuf_adds(&sb, i ? ",\"a\"" : "\"a\""), 0);
	assert_int_equal(strbuf_adds(&sb, "]},\"kind\":\"get\"}"), 0);
	assert_int_equal(cargo_request_parse(sb.buf, sb.len, &q), CLERK_EPROTO);
	assert_null(q.headers);
	strbuf_release(&sb);
}

struct tf_case {
	const char *in;
	int r;
	const char *token;
};

static const struct tf_case tf_cases[] = {
        {"{\"token\":\"abc\"}", 0, "abc"},
        {"{\"token\":\"abc\",\"other\":true}", 0, "abc"},
        {"{}", 0, NULL},
        {"{\"token\":1}", CLERK_EPROTO, NULL},
        {"{\"Token\":\"abc\"}", 0, "abc"},
        {"{\"token\":\"abc\",\"TOKEN\":\"def\"}", CLERK_EPROTO, NULL},
        {"[]", CLERK_EPROTO, NULL},
        {"", CLERK_EPROTO, NULL},
};

static void
test_tf_store(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < N(tf_cases); i++) {
		const struct tf_case *t = &tf_cases[i];
		char *token = NULL;
		int r = tf_store_parse(t->in, strlen(t->in), &token);

		print_message("case: %s\n", t->in);
		assert_int_equal(r, t->r);
		CHECK_STR(token, t->token);
		secret_free(token);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_server_ref),
	        cmocka_unit_test(test_server_ref_long_host),
	        cmocka_unit_test(test_host_port_valid),
	        cmocka_unit_test(test_docker_input_join),
	        cmocka_unit_test(test_docker_creds),
	        cmocka_unit_test(test_docker_creds_raw_nul),
	        cmocka_unit_test(test_exec_info),
	        cmocka_unit_test(test_bazel_request),
	        cmocka_unit_test(test_cargo_request),
	        cmocka_unit_test(test_cargo_too_many_args),
	        cmocka_unit_test(test_tf_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
