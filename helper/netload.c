/*
 * Finds and loads the network module (see net.h). It is looked for next
 * to the running program first (the build tree), then in the install
 * directory CLERK_MODULE_DIR.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"
#include "net.h"

#ifndef CLERK_MODULE_DIR
#define CLERK_MODULE_DIR "/usr/local/lib/clerk-credential"
#endif

/* Defined when the network code is linked in (unit and fuzz builds). */
extern const struct net_api clerk_net_api __attribute__((weak));

static int
exe_dir_module(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int w;

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	if (!(slash = strrchr(exe, '/')))
		return -1;
	*slash = '\0';
	w = snprintf(buf, size, "%s/%s", exe, NET_MODULE_NAME);
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

int
net_load(const struct net_api **out)
{
	static const struct net_api *api;
	char path[PATH_MAX];
	void *handle = NULL;
	const struct net_api *t;

	if (!api && &clerk_net_api)
		api = &clerk_net_api;
	if (api) {
		*out = api;
		return 0;
	}
	if (exe_dir_module(path, sizeof(path)) == 0 &&
	    access(path, R_OK) == 0)
		handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(path, sizeof(path), "%s/%s", CLERK_MODULE_DIR,
			 NET_MODULE_NAME);
		handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	}
	if (!handle) {
		log_error("cannot load the network module: %s (reinstall "
			  "clerk-credential)", dlerror());
		return CLERK_EINTERNAL;
	}
	t = dlsym(handle, NET_API_SYMBOL);
	if (!t || t->version != NET_API_VERSION) {
		log_error("the network module %s does not match this program "
			  "(reinstall clerk-credential)", path);
		return CLERK_EINTERNAL;
	}
	log_debug("loaded %s", path);
	api = t;
	*out = api;
	return 0;
}
