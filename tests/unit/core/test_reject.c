/* Unit tests: reject.c (what a rejection may cost, and its state file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "error.h"
#include "fixture.h"
#include "reject.h"

#define W REJECT_WINDOW

enum op { ERASE, MINT, HELD };

struct step {
	enum op op;
	int64_t t;
	uint64_t fp;
	bool want; /* ERASE: a hold is on; HELD: held */
};

#define END                        \
	{                          \
		HELD, -1, 0, false \
	}

static const struct {
	const char *name;
	struct step steps[12];
} scripts[] = {
        {"a fill/reject loop: one refresh, then a hold; one per window",
         {{ERASE, 1000, 1, false},
          {HELD, 1001, 0, false},
          {MINT, 1001, 2, false},
          {ERASE, 1002, 2, true},
          {HELD, 1003, 0, true},
          {HELD, 1002 + W - 1, 0, true},
          {HELD, 1002 + W, 0, false},
          {MINT, 1002 + W, 3, false},
          {ERASE, 1003 + W, 3, true},
          {HELD, 1004 + W, 0, true},
          END}},
        {"a revoked token: one refresh, which works",
         {{ERASE, 1000, 1, false},
          {MINT, 1001, 2, false},
          {HELD, 1002, 0, false},
          /* Its rejection long after is a first one again. */
          {ERASE, 1001 + W, 2, false},
          {HELD, 1002 + W, 0, false},
          END}},
        {"a second rejection within the window, of any token",
         {{ERASE, 1000, 1, false},
          {ERASE, 1000 + W - 1, 9, true},
          {HELD, 1000 + W, 0, true},
          END}},
        {"after the window a rejection is a first one",
         {{ERASE, 1000, 1, false}, {ERASE, 1000 + W, 9, false}, END}},
        {"a refresh at expiry does not follow a rejection",
         {{ERASE, 1000, 1, false},
          {MINT, 1001, 2, false},
          {MINT, 5000, 3, false},
          {ERASE, 5001, 3, false},
          END}},
        {"the minted token's rejection after the window is a first one",
         {{ERASE, 1000, 1, false},
          {MINT, 2000, 2, false},
          {ERASE, 2000 + W, 2, false},
          END}},
        {"a refresh long after the rejection: its token's rejection holds",
         {{ERASE, 1000, 1, false},
          {MINT, 2000, 2, false},
          {ERASE, 2001, 2, true},
          END}},
        {"a rejection during a hold does not extend it",
         {{ERASE, 1000, 1, false},
          {MINT, 1001, 2, false},
          {ERASE, 1002, 2, true},
          {ERASE, 1200, 2, true},
          {HELD, 1002 + W, 0, false},
          END}},
        {"a clock set back never makes a hold endless",
         {{ERASE, 1000, 1, false},
          {MINT, 1001, 2, false},
          {ERASE, 1002, 2, true},
          {HELD, 500, 0, false},
          END}},
};

static void
test_policy(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		struct reject_state s = {0};

		print_message("%s\n", scripts[i].name);
		for (j = 0; scripts[i].steps[j].t >= 0; j++) {
			const struct step *st = &scripts[i].steps[j];

			print_message("  step %zu\n", j);
			switch (st->op) {
			case ERASE:
				assert_int_equal(
				        reject_on_erase(&s, st->fp, st->t),
				        st->want);
				break;
			case MINT:
				reject_on_mint(&s, st->fp, st->t);
				break;
			case HELD:
				assert_int_equal(reject_held(&s, st->t),
				                 st->want);
				break;
			}
		}
	}
}

static void
test_fingerprint(void **state)
{
	(void)state;
	assert_int_not_equal(reject_fingerprint("a"), 0);
	assert_int_equal(reject_fingerprint("token-1"),
	                 reject_fingerprint("token-1"));
	assert_int_not_equal(reject_fingerprint("token-1"),
	                     reject_fingerprint("token-2"));
}

/* Step-up (contract §9): wanted once, not again within the window. */
static void
test_stepup(void **state)
{
	static const struct {
		const char *name;
		const char *scopes, *granted;
		int64_t now;
		bool want;
		const char *wanted; /* stepup_wanted after */
	} steps[] = {
	        {"the grant covers them: not a step-up", "openid",
	         "openid email", 1000, false, ""},
	        {"a scope the grant lacks", "repo:write", "openid email", 1000,
	         true, "repo:write"},
	        {"another one joins what is wanted", "pkg:publish repo:write",
	         "openid", 1001, true, "repo:write pkg:publish"},
	};
	struct reject_state s = {0};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		print_message("%s\n", steps[i].name);
		assert_int_equal(reject_stepup_want(&s, steps[i].scopes,
		                                    steps[i].granted,
		                                    steps[i].now),
		                 steps[i].want);
		assert_string_equal(s.stepup_wanted, steps[i].wanted);
	}
	/* The sign-in asked for them: nothing waits; the same scopes
	 * within the window would only loop. */
	reject_stepup_done(&s, "openid repo:write pkg:publish", 2000);
	assert_string_equal(s.stepup_wanted, "");
	assert_int_equal(s.stepped_at, 2000);
	assert_false(reject_stepup_want(&s, "repo:write", "openid", 2001));
	assert_false(reject_stepup_want(&s, "repo:write", NULL, 2000 + W - 1));
	assert_string_equal(s.stepup_wanted, "");
	/* A scope it did not ask for is new; after the window all are. */
	assert_true(reject_stepup_want(&s, "admin", "openid", 2002));
	assert_string_equal(s.stepup_wanted, "admin");
	s.stepup_wanted[0] = '\0';
	assert_true(reject_stepup_want(&s, "repo:write", "openid", 2000 + W));
	/* A grant that is no scope list is not remembered as one. */
	reject_stepup_done(&s, "bad  list", 3000);
	assert_string_equal(s.stepped, "");
}

static char tmpdir[] = "/tmp/clerk-test-reject-XXXXXX";

/* The cool-down after a failed sign-in: how long it still runs. */
static void
test_cooldown(void **state)
{
	static const struct {
		int64_t failed_at;
		int cooldown;
		int64_t now, left;
	} cases[] = {
	        {0, 60, 1000, 0},     /* no failed sign-in */
	        {1000, 60, 1000, 60}, /* just now */
	        {1000, 60, 1059, 1},  /* the last second */
	        {1000, 60, 1060, 0},  /* over */
	        {1000, 0, 1001, 0},   /* off */
	        {1000, 60, 999, 0},   /* the clock went back: no cool-down */
	        {1000, 86400, 2000, 85400},
	};
	struct reject_state s = {0};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s.signin_failed_at = cases[i].failed_at;
		assert_int_equal(
		        reject_cooling(&s, cases[i].cooldown, cases[i].now),
		        cases[i].left);
	}
	/* A failed sign-in leaves the rejection state alone. */
	s = (struct reject_state){.hold_until = 5, .pending = true};
	reject_on_signin(&s, REJECT_SIGNIN_CANCELLED, 4000);
	assert_int_equal(s.signin_failed_at, 4000);
	assert_int_equal(s.signin_why, REJECT_SIGNIN_CANCELLED);
	assert_int_equal(s.hold_until, 5);
	assert_true(s.pending);
	assert_string_equal(reject_signin_name(REJECT_SIGNIN_DENIED),
	                    "was denied");
	assert_string_equal(reject_signin_name(REJECT_SIGNIN_TIMEOUT),
	                    "timed out");
	assert_string_equal(reject_signin_name(42), "did not finish");
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_file(void **state)
{
	struct reject_state s = {0}, back;
	struct config cfg;
	char path[512];
	struct stat st;

	(void)state;
	assert_int_equal(fixture_setup(tmpdir, &cfg), 0);
	fixture_file(tmpdir, &cfg, "reject", path, sizeof(path));

	/* No file: no state. */
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.rejected_at, 0);
	assert_false(back.pending);

	s.rejected_at = 1700000000;
	s.hold_until = 1700000300;
	s.minted_at = 1699999999;
	s.minted_fp = 0xfedcba9876543210ULL;
	s.pending = true;
	s.warned = true;
	s.signin_failed_at = 1700000100;
	s.signin_why = REJECT_SIGNIN_DENIED;
	strcpy(s.stepup_wanted, "repo:write");
	s.stepped_at = 1700000050;
	strcpy(s.stepped, "openid pkg:publish");
	assert_int_equal(reject_save(&cfg, &s), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_memory_equal(&back, &s, sizeof(s));

	/* Another profile has its own state. */
	free(cfg.profile);
	cfg.profile = strdup("work");
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.hold_until, 0);
	free(cfg.profile);
	cfg.profile = strdup("default");

	/* A damaged file is no state. */
	static const char *const damaged[] = {
	        "",
	        "clerk-credential-reject 1\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1",
	        "clerk-credential-reject 1\n1 2 3 ff 1 1\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000fg 1 1\n",
	        "clerk-credential-reject 1\n-1 2 3 00000000000000ff 1 1\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 1\n",
	        "clerk-credential-reject 2\n1 2 3 00000000000000ff 1 1\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2 1\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 x 2\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2 \n",
	        /* The step-up lines: all three or none. */
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\n9\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\n9\na\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\nx\na\nb\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\n9\na  b\nb\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\n9\na\n\"b\n",
	        "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 1 5 2\n9\na\nb\nc\n",
	};
	for (size_t i = 0; i < sizeof(damaged) / sizeof(damaged[0]); i++) {
		write_file(path, damaged[i], 0600);
		assert_int_equal(reject_load(&cfg, &back), 0);
		assert_int_equal(back.hold_until, 0);
		assert_false(back.warned);
	}
	write_file(path,
	           "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 0\n",
	           0600);
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.minted_fp, 0xff);
	assert_int_equal(back.hold_until, 2);
	assert_int_equal(back.signin_failed_at, 0);

	/* The cool-down's fields; an unknown ending is no ending. */
	write_file(path,
	           "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 0 "
	           "9 3\n",
	           0600);
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.signin_failed_at, 9);
	assert_int_equal(back.signin_why, REJECT_SIGNIN_TIMEOUT);
	write_file(path,
	           "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 0 "
	           "9 7\n",
	           0600);
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.signin_why, REJECT_SIGNIN_NONE);
	/* Step-up lines, empty lists allowed. */
	write_file(path,
	           "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 0 "
	           "9 3\n77\n\nopenid repo:write\n",
	           0600);
	assert_int_equal(reject_load(&cfg, &back), 0);
	assert_int_equal(back.stepped_at, 77);
	assert_string_equal(back.stepup_wanted, "");
	assert_string_equal(back.stepped, "openid repo:write");

	/* Same trust rules as the token cache. */
	write_file(path,
	           "clerk-credential-reject 1\n1 2 3 00000000000000ff 1 0\n",
	           0644);
	assert_int_equal(reject_load(&cfg, &back), CLERK_EPERM);

	assert_int_equal(reject_clear(&cfg), 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(reject_clear(&cfg), 0);
	assert_int_equal(fixture_teardown(tmpdir, &cfg), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_policy),
	        cmocka_unit_test(test_fingerprint),
	        cmocka_unit_test(test_cooldown),
	        cmocka_unit_test(test_stepup),
	        cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
