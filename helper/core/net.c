/*
 * See net.h: the core's side of the network module, finding its table
 * (modload.h does the loading).
 */
#include "net.h"

#include "modload.h"

#include "banned.h"

/* Defined when the module's code is linked in (unit and fuzz builds). */
extern const struct net_api clerk_net_api __attribute__((weak));

int
net_load(const struct net_api **out)
{
	static struct module m = {.file = NET_MODULE_NAME,
	                          .symbol = NET_API_SYMBOL,
	                          .version = NET_API_VERSION,
	                          .what = "network module"};
	int r = module_load(&m, &clerk_net_api);

	if (r == 0)
		*out = m.table;
	return r;
}
