/*
 * Finds and loads the network module (see net.h). It is looked for next
 * to the running program first (the build tree), then relative to it
 * (a staged install), then in the install directory CLERK_MODULE_DIR.
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
#ifndef CLERK_MODULE_RELDIR
#define CLERK_MODULE_RELDIR ""
#endif

/* Defined when the network code is linked in (unit and fuzz builds). */
extern const struct net_api clerk_net_api __attribute__((weak));

/* The directory of the running program, or -1. */
static int
exe_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	char *slash;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (!(slash = strrchr(buf, '/')))
		return -1;
	*slash = '\0';
	return 0;
}

/*
 * Try, in order: beside the program (the build tree), CLERK_MODULE_RELDIR
 * from the program (a staged or moved install), CLERK_MODULE_DIR.
 */
static void *
module_open(char *path, size_t size)
{
	char dir[PATH_MAX];
	void *handle;
	int w;

	if (exe_dir(dir, sizeof(dir)) == 0) {
		w = snprintf(path, size, "%s/%s", dir, NET_MODULE_NAME);
		if (w > 0 && (size_t)w < size && access(path, R_OK) == 0 &&
		    (handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
			return handle;
		w = snprintf(path, size, "%s/%s/%s", dir, CLERK_MODULE_RELDIR,
		             NET_MODULE_NAME);
		if (CLERK_MODULE_RELDIR[0] && w > 0 && (size_t)w < size &&
		    access(path, R_OK) == 0 &&
		    (handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)))
			return handle;
	}
	snprintf(path, size, "%s/%s", CLERK_MODULE_DIR, NET_MODULE_NAME);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
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
	if (!(handle = module_open(path, sizeof(path)))) {
		log_error("cannot load the network module: %s (reinstall "
		          "clerk-credential)",
		          dlerror());
		return CLERK_EINTERNAL;
	}
	t = dlsym(handle, NET_API_SYMBOL);
	if (!t || t->version != NET_API_VERSION) {
		log_error("the network module %s does not match this program "
		          "(reinstall clerk-credential)",
		          path);
		return CLERK_EINTERNAL;
	}
	log_debug("loaded %s", path);
	api = t;
	*out = api;
	return 0;
}
