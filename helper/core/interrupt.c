/*
 * See interrupt.h.
 *
 * MUST: do nothing in the handler but store the signal number (an
 * async-signal-safe write to a volatile sig_atomic_t); install the
 * handlers without SA_RESTART, so that a blocked poll() returns EINTR;
 * leave a signal that was ignored at start ignored (nohup, a background
 * job of a shell without job control).
 */
#include "interrupt.h"

#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "error.h"
#include "log.h"

#include "banned.h"

static const int signals[] = {SIGINT, SIGTERM, SIGHUP};
#define NSIGNALS (sizeof(signals) / sizeof(signals[0]))

static volatile sig_atomic_t caught;
static struct sigaction saved[NSIGNALS];
static int depth;
static int reported;

static void
on_signal(int sig)
{
	if (!caught)
		caught = sig;
}

void
interrupt_catch(void)
{
	struct sigaction sa;
	size_t i;

	if (depth++ > 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: poll() must wake up */
	for (i = 0; i < NSIGNALS; i++) {
		if (sigaction(signals[i], NULL, &saved[i]) ||
		    saved[i].sa_handler == SIG_IGN)
			continue;
		(void)sigaction(signals[i], &sa, NULL);
	}
}

void
interrupt_release(void)
{
	size_t i;

	if (depth == 0 || --depth > 0)
		return;
	for (i = 0; i < NSIGNALS; i++)
		if (saved[i].sa_handler != SIG_IGN)
			(void)sigaction(signals[i], &saved[i], NULL);
}

int
interrupt_signal(void)
{
	return caught;
}

static const char *
signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return "a signal";
	}
}

int
interrupt_check(void)
{
	int sig = caught;

	if (!sig)
		return 0;
	if (!reported) {
		reported = 1;
		log_error("sign-in cancelled by %s: nothing was stored (run "
		          "`clerk-credential login` to sign in)",
		          signal_name(sig));
	}
	return CLERK_EINTR;
}
