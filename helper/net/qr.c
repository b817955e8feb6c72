/*
 * See qr.h. The only module that includes libqrencode; the encoding is
 * libqrencode's, only the drawing is done here. The library is opened
 * with dlopen() on first use, so that only a device flow on a terminal
 * maps it: the network module does not link it, and a refresh or a
 * browser sign-in never loads it.
 */
#include "qr.h"

#include <string.h>

#include "error.h"

#ifdef CLERK_HAVE_QRENCODE
#include <dlfcn.h>
#include <errno.h>
#include <qrencode.h>

#include "log.h"

#include "banned.h"

#define QR_MAX_TEXT 1024

/* What qr.c calls, with the types qrencode.h declares. */
static struct {
	bool tried;
	__typeof__(&QRcode_encodeString) encode;
	__typeof__(&QRcode_free) free;
} lib;

/*
 * @name in @handle into the function pointer at @fn. ISO C converts no
 * object pointer to a function pointer; POSIX makes them the same size,
 * so dlsym()'s answer is copied.
 */
static bool
resolve(void *handle, const char *name, void *fn)
{
	void *sym = dlsym(handle, name);

	memcpy(fn, &sym, sizeof(sym));
	return sym != NULL;
}

/* Open libqrencode once; false (and why, with --verbose) when it fails. */
static bool
lib_open(void)
{
	void *handle;

	if (lib.tried)
		return lib.encode && lib.free;
	lib.tried = true;
	if (!(handle = dlopen(CLERK_QRENCODE_SONAME, RTLD_NOW | RTLD_LOCAL))) {
		log_debug("no QR code: %s", dlerror());
		return false;
	}
	if (!resolve(handle, "QRcode_encodeString", &lib.encode) ||
	    !resolve(handle, "QRcode_free", &lib.free)) {
		log_debug("no QR code: %s lacks a function",
		          CLERK_QRENCODE_SONAME);
		lib.encode = NULL;
		lib.free = NULL;
		dlclose(handle);
		return false;
	}
	return true;
}

bool
qr_available(void)
{
	return lib_open();
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
	if (!lib_open())
		return CLERK_ENOTFOUND;
	/* Level L: the largest modules for a given text (screens are clean). */
	qr = lib.encode(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	if (!qr)
		return errno == ENOMEM ? CLERK_ENOMEM : CLERK_EPROTO;
	w = qr->width;
	for (y = -QR_MARGIN; y < w + QR_MARGIN; y += 2) {
		for (x = -QR_MARGIN; x < w + QR_MARGIN; x++)
			fputs(half_block(dark(qr, x, y), dark(qr, x, y + 1)),
			      fp);
		fputc('\n', fp);
	}
	lib.free(qr);
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
