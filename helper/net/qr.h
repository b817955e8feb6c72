/*
 * A QR code in the terminal, for the device flow's verification URL
 * (contract §8): encoded by libqrencode (the meson feature "qrencode"; a
 * build without it prints no code), drawn here with Unicode half blocks,
 * two rows of modules per line, as `qrencode -t UTF8` draws it: light
 * modules are drawn (in the terminal's foreground colour), dark ones are
 * left blank, with a quiet zone of QR_MARGIN modules. Phone cameras read
 * it on dark and on light terminals alike.
 */
#ifndef CLERK_QR_H
#define CLERK_QR_H

#include <stdbool.h>
#include <stdio.h>

#define QR_MARGIN 2

/*
 * True when a QR code can be drawn: this build has libqrencode and the
 * library loads (the first call opens it; see qr.c).
 */
bool qr_available(void);

/*
 * Draw @text (at most 1024 bytes) as a QR code on @fp. 0; CLERK_ENOTFOUND
 * (no message) in a build without libqrencode or when it cannot be
 * loaded; CLERK_EPROTO when the text does not fit or cannot be encoded;
 * CLERK_ENOMEM.
 */
int qr_print(FILE *fp, const char *text);

#endif
