/*
 * Loading the program's modules: shared objects that hold the heavy
 * libraries, opened with dlopen() only when a command needs them, so that
 * a cache hit maps none of them (contract §15). There are two:
 *   clerk-credential-net.so      the provider: libcurl, GnuTLS (net.h)
 *   clerk-credential-keyring.so  the keyring: libsecret, GLib
 *                                (keyring.h)
 * A module exports one table of functions under one name, and resolves
 * the core's symbols from the program (export_dynamic). It is looked for
 * beside the running program (the build tree), then CLERK_MODULE_RELDIR
 * from it (a staged or moved install), then in CLERK_MODULE_DIR.
 *
 * Unit tests and fuzz targets link the modules' code into the program;
 * the loader then takes the table linked in, found through a weak symbol.
 * Callers use net_load() and keyring_module_load(), not module_load().
 */
#ifndef CLERK_MODLOAD_H
#define CLERK_MODLOAD_H

struct module {
	const char *file;   /* "clerk-credential-net.so" */
	const char *symbol; /* the name of the table it exports */
	/* MUST be the first member of the table, an unsigned. */
	unsigned version;
	const char *what;  /* for messages: "network module" */
	const void *table; /* set once loaded */
};

/*
 * Set @m->table, once: to @builtin when it is not NULL (the table linked
 * into this program), else to the table of @m->file, loaded and checked
 * for @m->version. A failure is logged here (CLERK_EINTERNAL).
 */
int module_load(struct module *m, const void *builtin);

#endif
