/* See backends.h. */
#include "backends.h"

#include "error.h"
#include "keyring.h"
#include "util.h"

#include "banned.h"

/*
 * The keyring, when a Secret Service answers within @timeout_ms; *@why
 * (free() it) says why or why not. Without a session bus the answer
 * needs no module: storage=auto and the file store's look for tokens to
 * move then map neither libsecret nor GLib.
 */
static int
keyring_find(int timeout_ms, const struct store_ops **ops, char **why)
{
	const struct keyring_api *kr;
	int r;

	if (!store_session_bus())
		return str_set(why, KEYRING_NO_BUS) ? CLERK_ENOMEM
		                                    : CLERK_ENOTFOUND;
	if ((r = keyring_module_load(&kr)) == 0) {
		if ((r = kr->probe(timeout_ms, why)))
			return r;
		*ops = kr->ops;
		return str_set(why, "a Secret Service answered on the session "
		                    "bus");
	}
	if (str_set(why, "the keyring module cannot be loaded"))
		return CLERK_ENOMEM;
	return r;
}

const struct store_backend store_backends[] = {
        [STORAGE_AUTO] = {.name = "auto"},
        [STORAGE_KEYRING] = {.name = "keyring",
                             .find = keyring_find,
                             .fix = "run a Secret Service such as "
                                    "gnome-keyring-daemon in this session"},
        [STORAGE_FILE] = {.name = "file", .ops = &store_file_ops},
        [STORAGE_MEMORY] = {.name = "memory",
                            .ops = &store_memory_ops,
                            .process_only = true},
};

const size_t store_nbackends = sizeof(store_backends) / sizeof(*store_backends);

const char *
store_backend_name(int k)
{
	return k >= 0 && (size_t)k < store_nbackends ? store_backends[k].name
	                                             : NULL;
}
