/*
 * Unit tests of flow.c: when a browser counts as being here, and which
 * flow each --flow value gives with and without a device endpoint.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "config.h"
#include "discovery.h"
#include "error.h"
#include "flow.h"
#include "util.h"

static const char *const vars[] = {
        "BROWSER",        "DISPLAY",    "WAYLAND_DISPLAY",
        "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY",
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

static const struct {
	/* values of vars[], NULL: unset */
	const char *env[NVARS];
	bool want;
} browser_cases[] = {
        {{NULL, NULL, NULL, NULL, NULL, NULL}, false},
        {{NULL, ":0", NULL, NULL, NULL, NULL}, true},
        {{NULL, NULL, "wayland-0", NULL, NULL, NULL}, true},
        {{NULL, "", "", NULL, NULL, NULL}, false},
        /* An SSH session has no browser of its own, X forwarding or not. */
        {{NULL, "localhost:10.0", NULL, "10.0.0.1 5000 10.0.0.2 22", NULL,
          NULL},
         false},
        {{NULL, ":0", NULL, NULL, "10.0.0.1 5000 22", NULL}, false},
        {{NULL, ":0", NULL, NULL, NULL, "/dev/pts/3"}, false},
        /* $BROWSER set by the user is a browser here, whatever else. */
        {{"/usr/bin/headless", NULL, NULL, NULL, NULL, NULL}, true},
        {{"w3m", NULL, NULL, "10.0.0.1 5000 10.0.0.2 22", NULL, "/dev/pts/3"},
         true},
        {{"", NULL, NULL, NULL, NULL, NULL}, false},
};

static void
test_local_browser(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(browser_cases) / sizeof(browser_cases[0]); i++) {
		for (j = 0; j < NVARS; j++) {
			if (browser_cases[i].env[j])
				setenv(vars[j], browser_cases[i].env[j], 1);
			else
				unsetenv(vars[j]);
		}
		if (browser_reachable() != browser_cases[i].want)
			fail_msg("case %zu: want %s", i,
			         browser_cases[i].want ? "a browser" : "none");
	}
}

static const struct {
	enum signin_flow asked;
	bool local, device;
	int result;
	enum signin_flow want;
} choose_cases[] = {
        {FLOW_AUTO, true, true, 0, FLOW_BROWSER},
        {FLOW_AUTO, true, false, 0, FLOW_BROWSER},
        {FLOW_AUTO, false, true, 0, FLOW_DEVICE},
        {FLOW_AUTO, false, false, 0, FLOW_PASTE},
        {FLOW_BROWSER, false, true, 0, FLOW_BROWSER},
        {FLOW_DEVICE, true, true, 0, FLOW_DEVICE},
        {FLOW_DEVICE, false, false, CLERK_ECONFIG, FLOW_AUTO},
        {FLOW_PASTE, true, true, 0, FLOW_PASTE},
        {FLOW_PASTE, false, false, 0, FLOW_PASTE},
};

static void
test_choose(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		struct oidc_provider op = {0};
		enum signin_flow got = FLOW_AUTO;
		struct config cfg;
		int r;

		config_init(&cfg);
		cfg.flow = choose_cases[i].asked;
		op.device_authorization_endpoint =
		        choose_cases[i].device ? "https://x.test/device" : NULL;
		r = flow_choose(&cfg, &op, choose_cases[i].local, &got);
		if (r != choose_cases[i].result || got != choose_cases[i].want)
			fail_msg("case %zu: got %d/%s", i, r,
			         config_flow_name(got));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_local_browser),
	        cmocka_unit_test(test_choose),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
