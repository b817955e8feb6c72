/*
 * Unit tests of interrupt.c: a caught signal only sets the flag (the
 * process lives on), wakes a poll() at once, is reported as CLERK_EINTR,
 * and the dispositions come back on release; an ignored signal stays
 * ignored. One process, in order: the flag, once set, stays set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "interrupt.h"

static void
test_ignored_stays_ignored(void **state)
{
	struct sigaction sa;

	(void)state;
	signal(SIGHUP, SIG_IGN);
	interrupt_catch();
	sigaction(SIGHUP, NULL, &sa);
	assert_true(sa.sa_handler == SIG_IGN);
	raise(SIGHUP);
	assert_int_equal(interrupt_signal(), 0);
	interrupt_release();
	sigaction(SIGHUP, NULL, &sa);
	assert_true(sa.sa_handler == SIG_IGN);
	signal(SIGHUP, SIG_DFL);
}

static void
test_nesting_restores_at_the_end(void **state)
{
	struct sigaction sa;

	(void)state;
	interrupt_catch();
	interrupt_catch();
	interrupt_release();
	sigaction(SIGINT, NULL, &sa);
	assert_true(sa.sa_handler != SIG_DFL);
	interrupt_release();
	sigaction(SIGINT, NULL, &sa);
	assert_true(sa.sa_handler == SIG_DFL);
	assert_int_equal(interrupt_check(), 0);
}

static pthread_t main_thread;

/* SIGTERM to the main thread, blocked in poll(), after 200 ms. */
static void *
send_term(void *arg)
{
	struct timespec nap = {0, 200 * 1000 * 1000};

	nanosleep(&nap, NULL);
	pthread_kill(main_thread, SIGTERM);
	return arg;
}

static void
test_signal_wakes_poll(void **state)
{
	struct timespec t0, t1;
	pthread_t th;
	int n, e;

	(void)state;
	interrupt_catch();
	main_thread = pthread_self();
	assert_int_equal(pthread_create(&th, NULL, send_term, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Only the signal can end this before 10 s. */
	n = poll(NULL, 0, 10000);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	assert_int_equal(n, -1);
	assert_int_equal(e, EINTR);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	assert_int_equal(interrupt_signal(), SIGTERM);
	assert_int_equal(interrupt_check(), CLERK_EINTR);
	assert_int_equal(interrupt_check(), CLERK_EINTR);
	/* A second signal does not replace the first. */
	raise(SIGINT);
	assert_int_equal(interrupt_signal(), SIGTERM);
	interrupt_release();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ignored_stays_ignored),
	        cmocka_unit_test(test_nesting_restores_at_the_end),
	        cmocka_unit_test(test_signal_wakes_poll),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
