/* See tmptree.h. */
#include "tmptree.h"

#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb;
	(void)flag;
	(void)f;
	return remove(path);
}

int
tmptree_remove(const char *dir)
{
	return nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}
