/*
 * See progress.h.
 *
 * MUST: write only to stderr (stdout carries the protocol); print
 * nothing but the status text (it never holds a secret); leave the
 * cursor at the start of an empty line when the line is taken off.
 */
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#include "banned.h"

#define WHAT_MAX 120

static struct {
	bool active;
	bool in_place;    /* redraw with '\r' */
	bool shown;       /* a redrawn line is on the terminal now */
	int width;        /* characters of that line */
	int64_t last;     /* seconds left last drawn, or -1 */
	int64_t plain_at; /* seconds left at the last plain line, or -1 */
	char what[WHAT_MAX];
} prog;

/* Blank the line in place and go back to its start. */
static void
progress_clear(void)
{
	if (!prog.shown)
		return;
	fprintf(stderr, "\r%*s\r", prog.width, "");
	fflush(stderr);
	prog.shown = false;
}

void
progress_begin(const char *what, bool in_place)
{
	progress_end();
	snprintf(prog.what, sizeof(prog.what), "%s", what);
	prog.active = true;
	prog.in_place = in_place && isatty(STDERR_FILENO);
	prog.last = -1;
	prog.plain_at = -1;
	if (prog.in_place)
		log_set_before(progress_clear);
}

static void
progress_draw(int64_t left)
{
	int n;

	n = fprintf(stderr,
	            "\rclerk-credential: %s: %lld:%02lld left "
	            "(Ctrl-C cancels)",
	            prog.what, (long long)(left / 60), (long long)(left % 60));
	/* "\r" is not a column; pad over what a longer line left. */
	if (n > 0 && --n < prog.width)
		fprintf(stderr, "%*s", prog.width - n, "");
	if (n > prog.width)
		prog.width = n;
	fflush(stderr);
	prog.shown = true;
}

void
progress_update(int64_t seconds_left)
{
	int64_t left = seconds_left < 0 ? 0 : seconds_left;

	if (!prog.active)
		return;
	if (prog.in_place) {
		if (left != prog.last || !prog.shown)
			progress_draw(left);
		prog.last = left;
		return;
	}
	/* The first value is the start: the announcement said how long. */
	if (prog.plain_at < 0 || left > prog.plain_at) {
		prog.plain_at = left;
		return;
	}
	if (prog.plain_at - left < PROGRESS_PLAIN_EVERY)
		return;
	prog.plain_at = left;
	log_info("%s: %lld s left", prog.what, (long long)left);
}

void
progress_end(void)
{
	if (!prog.active)
		return;
	progress_clear();
	log_set_before(NULL);
	prog.active = false;
	prog.width = 0;
}
