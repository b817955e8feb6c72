/*
 * See qr.h. The only module that includes libqrencode; the encoding is
 * libqrencode's, only the drawing is done here.
 */
#include "qr.h"

#include <string.h>

#include "error.h"

#ifdef CLERK_HAVE_QRENCODE
#include <errno.h>
#include <qrencode.h>

#define QR_MAX_TEXT 1024

bool
qr_available(void)
{
	return true;
}

/* True when module (@x, @y) is dark; outside the code: the quiet zone. */
static bool
dark(const QRcode *qr, int x, int y)
{
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return false;
	return qr->data[y * qr->width + x] & 1;
}

/* Upper and lower module: both light, upper only, lower only, none. */
static const char *
half_block(bool upper_dark, bool lower_dark)
{
	if (!upper_dark && !lower_dark)
		return "\u2588"; /* full block */
	if (!upper_dark)
		return "\u2580"; /* upper half block */
	if (!lower_dark)
		return "\u2584"; /* lower half block */
	return " ";
}

int
qr_print(FILE *fp, const char *text)
{
	QRcode *qr;
	int x, y, w;

	if (!text || strlen(text) > QR_MAX_TEXT)
		return CLERK_EPROTO;
	/* Level L: the largest modules for a given text (screens are clean). */
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!qr)
		return errno == ENOMEM ? CLERK_ENOMEM : CLERK_EPROTO;
	w = qr->width;
	for (y = -QR_MARGIN; y < w + QR_MARGIN; y += 2) {
		for (x = -QR_MARGIN; x < w + QR_MARGIN; x++)
			fputs(half_block(dark(qr, x, y), dark(qr, x, y + 1)),
			      fp);
		fputc('\n', fp);
	}
	QRcode_free(qr);
	return fflush(fp) ? CLERK_EIO : 0;
}

#else

bool
qr_available(void)
{
	return false;
}

int
qr_print(FILE *fp, const char *text)
{
	(void)fp;
	(void)text;
	return CLERK_ENOTFOUND;
}

#endif
