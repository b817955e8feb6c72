/* See modload.h. */
#include "modload.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "log.h"

#include "banned.h"

#ifndef CLERK_MODULE_DIR
#define CLERK_MODULE_DIR "/usr/local/lib/clerk-credential"
#endif
#ifndef CLERK_MODULE_RELDIR
#define CLERK_MODULE_RELDIR ""
#endif

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

/* @dir/@sub/@file into @path, opened when it is there; else NULL. */
static void *
try_open(char *path, size_t size, const char *dir, const char *sub,
         const char *file)
{
	int w = snprintf(path, size, "%s%s%s/%s", dir, sub[0] ? "/" : "", sub,
	                 file);

	if (w <= 0 || (size_t)w >= size || access(path, R_OK) != 0)
		return NULL;
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

/*
 * Try, in order: beside the program (the build tree), CLERK_MODULE_RELDIR
 * from the program (a staged or moved install), CLERK_MODULE_DIR.
 */
static void *
module_open(const char *file, char *path, size_t size)
{
	char dir[PATH_MAX];
	void *handle;

	if (exe_dir(dir, sizeof(dir)) == 0) {
		if ((handle = try_open(path, size, dir, "", file)))
			return handle;
		if (CLERK_MODULE_RELDIR[0] &&
		    (handle = try_open(path, size, dir, CLERK_MODULE_RELDIR,
		                       file)))
			return handle;
	}
	snprintf(path, size, "%s/%s", CLERK_MODULE_DIR, file);
	return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

int
module_load(struct module *m, const void *builtin)
{
	char path[PATH_MAX];
	const unsigned *t;
	void *handle;

	if (!m->table && builtin)
		m->table = builtin;
	if (m->table)
		return 0;
	if (!(handle = module_open(m->file, path, sizeof(path)))) {
		log_error("cannot load the %s: %s (reinstall clerk-credential)",
		          m->what, dlerror());
		return CLERK_EINTERNAL;
	}
	t = dlsym(handle, m->symbol);
	if (!t || *t != m->version) {
		log_error("the %s %s does not match this program (reinstall "
		          "clerk-credential)",
		          m->what, path);
		return CLERK_EINTERNAL;
	}
	log_debug("loaded %s", path);
	m->table = t;
	return 0;
}
