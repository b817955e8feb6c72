/*
 * Unit tests: kubecmd.c (kubectl's exec credential plugin), driven
 * through kubecmd_run() with KUBERNETES_EXEC_INFO set as kubectl sets it
 * and a token in the runtime cache. The exact transcripts through the
 * program are in the protocols integration suite, the real kubectl in
 * the clients suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdrun.h"
#include "error.h"
#include "protocols.h"

#define TOKEN   "tok-kube"
#define EXPIRES 1900000000
#define WHEN    "2030-03-17T17:46:40Z"
#define HOSTS   "registry.example.test,*.corp.example.test"
#define V1      "client.authentication.k8s.io/v1"
#define V1BETA1 "client.authentication.k8s.io/v1beta1"
#define GOOD    "{\"server\":\"https://api.corp.example.test:6443\"}"
#define EVIL    "{\"server\":\"https://evil.example:6443\"}"
#define ANSWER(api)                                                    \
	"{\"apiVersion\":\"" api "\",\"kind\":\"ExecCredential\","     \
	"\"status\":{\"token\":\"" TOKEN "\",\"expirationTimestamp\":" \
	"\"" WHEN "\"}}\n"
#define NOT_EXEC                                                           \
	"clerk-credential: KUBERNETES_EXEC_INFO is not an ExecCredential " \
	"(expected a JSON object with apiVersion, kind and spec, as "      \
	"kubectl sets it)\n"

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
	unsetenv("KUBERNETES_EXEC_INFO");
	return cmdrun_teardown();
}

/* kubectl [@options] with @info (NULL: unset); stdout and stderr. */
static int
kube(const char *info, const char *const *options, const char **out,
     const char **err)
{
	if (info)
		setenv("KUBERNETES_EXEC_INFO", info, 1);
	else
		unsetenv("KUBERNETES_EXEC_INFO");
	return cmdrun(kubecmd_run, cmdrun_config(options), "", out, err);
}

static void
test_api_versions(void **state)
{
	const char *out, *err;

	(void)state;
	/* Without KUBERNETES_EXEC_INFO: v1. */
	assert_int_equal(kube(NULL, NULL, &out, &err), 0);
	assert_string_equal(out, ANSWER(V1));
	assert_string_equal(err, "");
	assert_int_equal(kube("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	                      "\"" V1 "\",\"spec\":{\"interactive\":false}}",
	                      NULL, &out, &err),
	                 0);
	assert_string_equal(out, ANSWER(V1));
	assert_int_equal(kube("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	                      "\"" V1BETA1 "\",\"spec\":{}}",
	                      NULL, &out, &err),
	                 0);
	assert_string_equal(out, ANSWER(V1BETA1));
	assert_int_not_equal(kube("{\"kind\":\"ExecCredential\","
	                          "\"apiVersion\":\"client.authentication."
	                          "k8s.io/v1alpha1\",\"spec\":{}}",
	                          NULL, &out, &err),
	                     0);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "'client.authentication.k8s.io/v1alpha1', "
	                            "which is not supported"));
}

static void
test_cluster_host_rule(void **state)
{
	static const char *const widen[] = {"--host=evil.example", NULL};
	const char *out, *err;

	(void)state;
	assert_int_equal(
	        kube("{\"spec\":{\"cluster\":" GOOD "}}", NULL, &out, &err), 0);
	assert_string_equal(out, ANSWER(V1));
	assert_int_not_equal(
	        kube("{\"spec\":{\"cluster\":" EVIL "}}", NULL, &out, &err), 0);
	assert_string_equal(out, "");
	assert_string_equal(err,
	                    "clerk-credential: the cluster server "
	                    "evil.example:6443 is not in the host list; "
	                    "not handing it a token (add it with "
	                    "--host=evil.example:6443 in the exec args, "
	                    "CLERK_CREDENTIAL_HOSTS or the config file)\n");
	assert_int_not_equal(kube("{\"spec\":{\"cluster\":{\"server\":"
	                          "\"k8s.example\"}}}",
	                          NULL, &out, &err),
	                     0);
	assert_string_equal(err, "clerk-credential: the cluster server "
	                         "'k8s.example' is not an https URL; not "
	                         "handing it a token\n");
	/* The option in the exec args widens the list. */
	assert_int_equal(
	        kube("{\"spec\":{\"cluster\":" EVIL "}}", widen, &out, &err),
	        0);
	assert_string_equal(out, ANSWER(V1));
}

/*
 * What Go reads another way is refused; names that differ in case only
 * are the same name to client-go, so the host rule sees them.
 */
static void
test_exec_info_read_one_way(void **state)
{
	static const char *const bad[] = {
	        "{",
	        "[]",
	        "{\"kind\":\"Pod\"}",
	        "{\"spec\":{\"interactive\":\"no\"}}",
	        "{\"spec\":{\"cluster\":" GOOD ",\"cluster\":" EVIL "}}",
	        "{\"spec\":{\"cluster\":" GOOD "},\"Spec\":{\"cluster\":" EVIL
	        "}}",
	        "{\"spec\":{\"cluster\":{\"server\":\"https://api.corp."
	        "example.test\",\"Server\":\"https://evil.example\"}}}",
	};
	static const char *const folded[] = {
	        "{\"Spec\":{\"Cluster\":" EVIL "}}",
	        "{\"spec\":{\"CLUSTER\":" EVIL "}}",
	        "{\"\xc5\xbfpec\":{\"cluster\":" EVIL "}}",
	};
	const char *out, *err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_not_equal(kube(bad[i], NULL, &out, &err), 0);
		assert_string_equal(out, "");
		assert_string_equal(err, NOT_EXEC);
	}
	for (i = 0; i < sizeof(folded) / sizeof(folded[0]); i++) {
		assert_int_not_equal(kube(folded[i], NULL, &out, &err), 0);
		assert_string_equal(out, "");
		assert_non_null(strstr(err, "evil.example:6443 is not in the "
		                            "host list"));
	}
	assert_int_equal(
	        kube("{\"Spec\":{\"Cluster\":" GOOD "}}", NULL, &out, &err), 0);
	assert_string_equal(out, ANSWER(V1));
}

/* spec.interactive=false never starts a sign-in. */
static void
test_not_signed_in(void **state)
{
	const char *out, *err;

	(void)state;
	cmdrun_unseed(cmdrun_config(NULL));
	setenv("CLERK_CREDENTIAL_INTERACTIVE", "1", 1);
	assert_int_equal(kube("{\"kind\":\"ExecCredential\",\"apiVersion\":"
	                      "\"" V1 "\",\"spec\":{\"interactive\":false}}",
	                      NULL, &out, &err),
	                 CLERK_ENOINTERACT);
	setenv("CLERK_CREDENTIAL_INTERACTIVE", "0", 1);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "clerk-credential: not signed in"));
	cmdrun_seed(cmdrun_config(NULL), TOKEN, EXPIRES);
}

static void
test_usage(void **state)
{
	static const char *const extra[] = {"extra", NULL};
	const char *out, *err;

	(void)state;
	assert_int_equal(kube(NULL, extra, &out, &err), CLERK_ECONFIG);
	assert_string_equal(out, "");
	assert_string_equal(err, "clerk-credential: kubectl takes options "
	                         "only, not 'extra' (see "
	                         "clerk-credential(1))\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_api_versions),
	        cmocka_unit_test(test_cluster_host_rule),
	        cmocka_unit_test(test_exec_info_read_one_way),
	        cmocka_unit_test(test_not_signed_in),
	        cmocka_unit_test(test_usage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
