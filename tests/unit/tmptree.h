/* Test support: a test's temporary directory, removed with all it holds. */
#ifndef CLERK_TEST_TMPTREE_H
#define CLERK_TEST_TMPTREE_H

/* Remove @dir and everything below it (symbolic links not followed). */
int tmptree_remove(const char *dir);

#endif
