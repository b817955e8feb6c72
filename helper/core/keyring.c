/*
 * See keyring.h: the core's side of the keyring module, finding its
 * table (modload.h does the loading).
 */
#include "keyring.h"

#include <stdlib.h>

#include "error.h"
#include "modload.h"
#include "util.h"

#include "banned.h"

/* Defined when the module's code is linked in (unit and fuzz builds). */
extern const struct keyring_api clerk_keyring_api __attribute__((weak));

int
keyring_module_load(const struct keyring_api **out)
{
	static struct module m = {.file = KEYRING_MODULE_NAME,
	                          .symbol = KEYRING_API_SYMBOL,
	                          .version = KEYRING_API_VERSION,
	                          .what = "keyring module"};
	int r = module_load(&m, &clerk_keyring_api);

	if (r == 0)
		*out = m.table;
	return r;
}

bool
store_session_bus(void)
{
	const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");

	return a && *a && !str_starts_with(a, "autolaunch:");
}
