/*
 * The storage backends: one table, one row per store, in the order
 * --help and messages list their names. A new backend is a file with its
 * struct store_ops (store.h) and a row in backends.c; nothing else
 * names it. cfg->storage is a row's index; STORAGE_* (config.h) name the
 * rows that code refers to, and a new row needs no name of its own.
 *
 * A leaf: it includes no header of the core, so that config.c (which
 * takes --storage's names from here) and store.c (which opens the
 * stores) both use it without including each other.
 */
#ifndef CLERK_BACKENDS_H
#define CLERK_BACKENDS_H

#include <stdbool.h>
#include <stddef.h>

struct store_ops;

/* The rows code refers to, by name (cfg->storage holds a row's index). */
enum storage_kind {
	STORAGE_AUTO,
	STORAGE_KEYRING,
	STORAGE_FILE,
	STORAGE_MEMORY,
};

/*
 * A row. A store in the program has @ops; a store found at run time (a
 * module and a service) has @find, which gives its table within
 * @timeout_ms or CLERK_ENOTFOUND, *@why (free() it) saying why (or,
 * found, why it answered), and @fix, what to do when it does not answer.
 * auto has neither: the first store found at run time that answers, else
 * the first store in the program.
 */
struct store_backend {
	const char *name;
	const struct store_ops *ops;
	int (*find)(int timeout_ms, const struct store_ops **ops, char **why);
	const char *fix;
	bool process_only; /* nothing kept beyond the process */
};

extern const struct store_backend store_backends[];
extern const size_t store_nbackends;

/*
 * The name of row @k (--storage's value for it), or NULL past the last
 * row; --help and the option's error list them in this order.
 */
const char *store_backend_name(int k);

/* The stores in the program (store_file.c, store_memory.c). */
extern const struct store_ops store_file_ops;
extern const struct store_ops store_memory_ops;

#endif
