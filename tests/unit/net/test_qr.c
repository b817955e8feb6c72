/*
 * Unit tests of qr.c (built with libqrencode): the drawing, read back
 * module by module from the half blocks, must be libqrencode's matrix
 * for the same text, inside a light quiet zone, with the three finder
 * patterns where a scanner looks for them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "qr.h"

#define FULL  "\u2588"
#define UPPER "\u2580"
#define LOWER "\u2584"

/* Read the drawing back into @dark (side x side, quiet zone included). */
static int
read_back(const char *text, bool *dark, int side)
{
	const char *p = text;
	int x, y = 0;

	while (*p) {
		for (x = 0; *p && *p != '\n'; x++) {
			bool up = false, lo = false;

			if (strncmp(p, FULL, 3) == 0) {
				up = lo = false;
				p += 3;
			} else if (strncmp(p, UPPER, 3) == 0) {
				up = false;
				lo = true;
				p += 3;
			} else if (strncmp(p, LOWER, 3) == 0) {
				up = true;
				lo = false;
				p += 3;
			} else if (*p == ' ') {
				up = lo = true;
				p++;
			} else {
				fail_msg("unexpected byte 0x%02x at line %d",
				         (unsigned char)*p, y / 2);
			}
			if (x >= side)
				fail_msg("line %d is too wide", y / 2);
			dark[y * side + x] = up;
			if (y + 1 < side)
				dark[(y + 1) * side + x] = lo;
			else if (lo)
				fail_msg("dark module below the code");
		}
		if (x != side)
			fail_msg("line %d has %d modules, want %d", y / 2, x,
			         side);
		p += *p == '\n';
		y += 2;
	}
	return y;
}

static void
check_finder(const bool *dark, int side, int x0, int y0)
{
	int x, y;

	for (y = 0; y < 7; y++)
		for (x = 0; x < 7; x++) {
			bool border = x == 0 || y == 0 || x == 6 || y == 6;
			bool inner = x >= 2 && x <= 4 && y >= 2 && y <= 4;
			bool want = border || inner;

			if (dark[(y0 + y) * side + x0 + x] != want)
				fail_msg("finder at %d,%d: module %d,%d", x0,
				         y0, x, y);
		}
}

static void
check_text(const char *url)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *fp = open_memstream(&out, &outlen);
	QRcode *qr;
	bool *dark;
	int side, w, x, y, lines;

	assert_non_null(fp);
	assert_int_equal(qr_print(fp, url), 0);
	fclose(fp);
	qr = QRcode_encodeString(url, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	assert_non_null(qr);
	w = qr->width;
	side = w + 2 * QR_MARGIN;
	dark = calloc((size_t)side * (size_t)(side + 1), sizeof(*dark));
	assert_non_null(dark);
	lines = read_back(out, dark, side);
	assert_int_equal(lines, side + (side & 1));
	for (y = 0; y < side; y++)
		for (x = 0; x < side; x++) {
			int mx = x - QR_MARGIN, my = y - QR_MARGIN;
			bool want = mx >= 0 && my >= 0 && mx < w && my < w &&
			            (qr->data[my * w + mx] & 1);

			if (dark[y * side + x] != want)
				fail_msg("module %d,%d differs", mx, my);
		}
	check_finder(dark, side, QR_MARGIN, QR_MARGIN);
	check_finder(dark, side, QR_MARGIN + w - 7, QR_MARGIN);
	check_finder(dark, side, QR_MARGIN, QR_MARGIN + w - 7);
	QRcode_free(qr);
	free(dark);
	free(out);
}

static void
test_draws_the_matrix(void **state)
{
	(void)state;
	assert_true(qr_available());
	check_text("http://127.0.0.1:3000/oauth/device?user_code=WDJB-MJHT");
	check_text("https://example.clerk.accounts.dev/oauth/device?"
	           "user_code=ABCD-EFGH&client_id=clerk-credential");
	check_text("x");
}

static void
test_refuses_too_long(void **state)
{
	char big[2000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(qr_print(stdout, big), CLERK_EPROTO);
	assert_int_equal(qr_print(stdout, NULL), CLERK_EPROTO);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_draws_the_matrix),
	        cmocka_unit_test(test_refuses_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
