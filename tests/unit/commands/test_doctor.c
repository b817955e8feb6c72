/*
 * Unit tests: doctor.c's readers of other tools' configurations (git's
 * version and helper entries, docker's config.json, kubectl's config
 * view, Cargo's and Terraform's text), table-driven, with no file and no
 * program run. The whole of doctor is in the doctor integration suite.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doctor.h"
#include "util.h"

static char *hosts[] = {"git.example.test", "*.corp.example.test", NULL};

static void
hosts_init(struct config *cfg)
{
	config_init(cfg);
	cfg->hosts = hosts;
	cfg->nhosts = 2;
}

static void
hosts_release(struct config *cfg)
{
	cfg->hosts = NULL;
	cfg->nhosts = 0;
	config_release(cfg);
}

static void
test_git_version(void **state)
{
	static const struct {
		const char *text;
		long v;
	} cases[] = {
	        {"git version 2.39.5\n", 2039},
	        {"git version 2.47.1.windows.2\n", 2047},
	        {"git version 2.46\n", 2046},
	        {"git version 3\n", -1},
	        {"git version .5\n", -1},
	        {"git version 1000.1\n", -1},
	        {"git version 12345678901234567.1\n", -1},
	        {"", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(doctor_git_version(cases[i].text), cases[i].v);
}

static void
test_git_stray(void **state)
{
	static const struct {
		const char *text;
		const char *host; /* NULL: none stray */
	} cases[] = {
	        {"credential.https://git.example.test.helper clerk-credential\n",
	         NULL},
	        {"credential.https://a.corp.example.test.helper clerk\n", NULL},
	        {"credential.https://other.test.helper !clerk-credential git\n",
	         "other.test"},
	        {"credential.https://other.test/repo.helper clerk\n",
	         "other.test"},
	        {"credential.https://*.x.test.helper clerk\n", "doctor.x.test"},
	        /* A --host of its own adds the host; not ours; no URL. */
	        {"credential.https://other.test.helper clerk --host x\n", NULL},
	        {"credential.https://other.test.helper cache\n", NULL},
	        {"credential.helper clerk-credential\n", NULL},
	        {"credential.https://git.example.test.helper clerk\n"
	         "credential.http://other.test.helper clerk\n",
	         "other.test"},
	        {"", NULL},
	};
	struct config cfg;
	struct strbuf host = STRBUF_INIT;
	char *text;
	size_t i;

	(void)state;
	hosts_init(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		text = strdup(cases[i].text);
		assert_non_null(text);
		assert_int_equal(doctor_git_stray(&cfg, text, &host),
		                 cases[i].host != NULL);
		if (cases[i].host)
			assert_string_equal(host.buf, cases[i].host);
		free(text);
	}
	strbuf_release(&host);
	hosts_release(&cfg);
}

static void
test_docker(void **state)
{
	static const struct {
		const char *text;
		bool object;
		const char *stray;
		size_t ours;
	} cases[] = {
	        {"{\"credHelpers\":{\"git.example.test\":\"clerk\"}}", true,
	         NULL, 1},
	        {"{\"credsStore\":\"clerk\"}", true, NULL, 2},
	        {"{\"credsStore\":\"desktop\",\"credHelpers\":{\"gcr.io/x\":"
	         "\"clerk\",\"a.corp.example.test\":\"clerk\"}}",
	         true, NULL, 0},
	        {"{\"credHelpers\":{\"git.example.test\":\"clerk\","
	         "\"other.test\":\"clerk\"}}",
	         true, "other.test", 0},
	        {"{\"credHelpers\":{\"other.test\":\"pass\"}}", true, NULL, 0},
	        {"[]", false, NULL, 0},
	        {"{", false, NULL, 0},
	};
	struct doctor_docker d;
	struct config cfg;
	size_t i;

	(void)state;
	hosts_init(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		assert_int_equal(doctor_docker_read(&cfg, cases[i].text,
		                                    strlen(cases[i].text), &d),
		                 0);
		assert_int_equal(d.object, cases[i].object);
		if (cases[i].stray)
			assert_string_equal(d.stray, cases[i].stray);
		else
			assert_null(d.stray);
		assert_int_equal(d.ours, cases[i].ours);
		doctor_docker_release(&d);
	}
	hosts_release(&cfg);
}

static void
test_kube(void **state)
{
	static const struct {
		const char *text;
		bool ours;
	} cases[] = {
	        {"{\"users\":[{\"user\":{\"token\":\"x\"}},{\"user\":{\"exec\":"
	         "{\"command\":\"clerk-credential\"}}}]}",
	         true},
	        {"{\"users\":[{\"user\":{\"exec\":{\"command\":\"gke\"}}}]}",
	         false},
	        {"{\"users\":{\"user\":{}}}", false},
	        {"{\"users\":[1,null,\"x\"]}", false},
	        {"not json", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_int_equal(
		        doctor_kube_ours(cases[i].text, strlen(cases[i].text)),
		        cases[i].ours);
}

static void
test_text(void **state)
{
	static const struct {
		const char *text, *key;
		bool ours;
	} cases[] = {
	        {"[registries.x]\ncredential-provider = \"clerk-credential "
	         "cargo\"\n",
	         "credential-provider", true},
	        {"  # credential-provider = \"clerk-credential cargo\"\n",
	         "credential-provider", false},
	        {"credential-provider = \"cargo:token\"\n# clerk\n",
	         "credential-provider", false},
	        {"credentials_helper \"clerk-credential\" {\n}\n",
	         "credentials_helper", true},
	        {"", "credentials_helper", false},
	};
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		text = strdup(cases[i].text);
		assert_non_null(text);
		assert_int_equal(doctor_text_names_us(text, cases[i].key),
		                 cases[i].ours);
		free(text);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_git_version),
	        cmocka_unit_test(test_git_stray),
	        cmocka_unit_test(test_docker),
	        cmocka_unit_test(test_kube),
	        cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
