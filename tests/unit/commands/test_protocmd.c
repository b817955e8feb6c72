/*
 * Unit tests: protocmd.c (what the protocol commands share: routing and
 * the host rule, the token from the cache, whether a secret is ours, whether
 * the user is signed in, error texts, reading stdin and printing JSON).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmdrun.h"
#include "error.h"
#include "json.h"
#include "protocols.h"
#include "session.h"
#include "util.h"

#define TOKEN   "tok-proto"
#define EXPIRES 1900000000
#define HOSTS   "registry.example.test,*.corp.example.test"
#define NO_HOSTS                                                            \
	"clerk-credential: no host may receive a token yet: name one with " \
	"--host=HOST, CLERK_CREDENTIAL_HOSTS or \"hosts\" in the config "   \
	"file (or run `clerk-credential configure`)\n"

static int
setup(void **state)
{
	(void)state;
	return cmdrun_setup(HOSTS);
}

static int
teardown(void **state)
{
	(void)state;
	return cmdrun_teardown();
}

struct allowed {
	const char *ref;
	bool want;
};

static const struct allowed *allowed_case;

static int
check_allowed(struct config *cfg)
{
	struct server_ref s;

	assert_int_equal(server_ref_parse(allowed_case->ref, true, &s), 0);
	assert_int_equal(proto_route(cfg, &s, NULL),
	                 allowed_case->want ? 0 : CLERK_ENOTFOUND);
	return 0;
}

static void
test_allowed(void **state)
{
	static const struct allowed cases[] = {
	        {"https://registry.example.test/v2/", true},
	        {"https://a.corp.example.test", true},
	        {"https://corp.example.test", false},
	        {"https://other.example.test", false},
	        {"http://registry.example.test", false},
	};
	const char *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		allowed_case = &cases[i];
		cmdrun(check_allowed, cmdrun_config(NULL), NULL, NULL, &err);
		assert_string_equal(err, "");
	}
	/* Without a host list nothing is allowed, and it says how. */
	unsetenv("CLERK_CREDENTIAL_HOSTS");
	allowed_case = &cases[4];
	cmdrun(check_allowed, cmdrun_config(NULL), NULL, NULL, &err);
	assert_string_equal(err, NO_HOSTS);
	setenv("CLERK_CREDENTIAL_HOSTS", HOSTS, 1);
}

static void
test_token_ours_signed_in(void **state)
{
	struct config *cfg = cmdrun_config(NULL);
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	assert_false(proto_signed_in(cfg));
	assert_false(proto_is_ours(cfg, TOKEN));
	cmdrun_seed(cfg, TOKEN, EXPIRES);
	assert_true(proto_signed_in(cfg));
	assert_true(proto_is_ours(cfg, TOKEN));
	assert_false(proto_is_ours(cfg, "tok-prot"));
	assert_false(proto_is_ours(cfg, "tok-proto2"));
	assert_false(proto_is_ours(cfg, NULL));
	assert_int_equal(session_token(cfg, &token, &exp), 0);
	assert_string_equal(token, TOKEN);
	assert_int_equal(exp, EXPIRES);
	secret_free(token);
	cmdrun_unseed(cfg);
}

static void
test_error_texts(void **state)
{
	(void)state;
	assert_string_equal(proto_error_text(CLERK_ENOINTERACT),
	                    "not signed in, and sign-in is disabled here (run "
	                    "`clerk-credential login` first)");
	assert_string_equal(proto_error_text(CLERK_EGRANT),
	                    proto_error_text(CLERK_EPROVIDER));
	assert_string_equal(proto_error_text(CLERK_EIO),
	                    "cannot get a token (run with --verbose for "
	                    "details)");
}

static size_t read_max;
static char *read_buf;
static size_t read_len;

static int
do_read(struct config *cfg)
{
	(void)cfg;
	return proto_read_stdin(read_max, &read_buf, &read_len);
}

static void
test_read_stdin_bound(void **state)
{
	const char *err;

	(void)state;
	read_max = 8;
	assert_int_equal(
	        cmdrun(do_read, cmdrun_config(NULL), "12345678", NULL, &err),
	        0);
	assert_int_equal(read_len, 8);
	assert_string_equal(read_buf, "12345678");
	secret_free(read_buf);
	read_buf = NULL;
	assert_int_not_equal(
	        cmdrun(do_read, cmdrun_config(NULL), "123456789", NULL, &err),
	        0);
	assert_null(read_buf);
	assert_non_null(strstr(err, "clerk-credential: "));
}

static int
do_print(struct config *cfg)
{
	struct json *doc = json_new_object();
	int r;

	(void)cfg;
	assert_int_equal(json_add_string(doc, "a", "b"), 0);
	r = proto_print_json(doc);
	json_free(doc);
	return r;
}

static void
test_print_json(void **state)
{
	const char *out;

	(void)state;
	assert_int_equal(
	        cmdrun(do_print, cmdrun_config(NULL), NULL, &out, NULL), 0);
	assert_string_equal(out, "{\"a\":\"b\"}\n");
}

/*
 * In a child with no controlling terminal and stdin, stdout and stderr on
 * /dev/null: cfg.interactive after proto_background(), with $BROWSER and
 * DISPLAY as given (NULL: unset) and interactive from @src. 1 or 0.
 */
static int
background_child(const char *browser, const char *display,
                 enum config_source src)
{
	struct config cfg;
	pid_t pid;
	int st, fd;

	if ((pid = fork()) == 0) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0 || setsid() < 0 || dup2(fd, 0) < 0 ||
		    dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(2);
		unsetenv("WAYLAND_DISPLAY");
		unsetenv("SSH_CONNECTION");
		unsetenv("SSH_CLIENT");
		unsetenv("SSH_TTY");
		browser ? setenv("BROWSER", browser, 1) : unsetenv("BROWSER");
		display ? setenv("DISPLAY", display, 1) : unsetenv("DISPLAY");
		config_init(&cfg);
		cfg.interactive = true;
		cfg.src_interactive = src;
		proto_background(&cfg);
		_exit(cfg.interactive ? 1 : 0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

/* No terminal and no browser: no sign-in, unless the user said so. */
static void
test_background(void **state)
{
	(void)state;
	assert_int_equal(background_child(NULL, NULL, SRC_DEFAULT), 0);
	assert_int_equal(background_child(NULL, NULL, SRC_FILE), 1);
	assert_int_equal(background_child("firefox", NULL, SRC_DEFAULT), 1);
	assert_int_equal(background_child(NULL, ":0", SRC_DEFAULT), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_allowed),
	        cmocka_unit_test(test_token_ours_signed_in),
	        cmocka_unit_test(test_error_texts),
	        cmocka_unit_test(test_read_stdin_bound),
	        cmocka_unit_test(test_print_json),
	        cmocka_unit_test(test_background),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
