/*
 * Test support for the front doors' tests (tests/unit/commands/): a user
 * in a temporary directory, the command's configuration as main() makes
 * it, and a run with a request on stdin and the answer captured.
 *
 * The user is offline: the file store in the temporary directory, sign-in
 * disabled (interactive off), so a test that finds no token gets the
 * "not signed in" answer and nothing reaches the network; a token is
 * seeded in the runtime cache, as a signed-in user's helper finds it (the
 * memory store has no runtime cache, so it would not do).
 */
#ifndef CLERK_TEST_CMDRUN_H
#define CLERK_TEST_CMDRUN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CMDRUN_ISSUER "https://clerk.example.test"
#define CMDRUN_CLIENT "client_cmdrun"

/*
 * Make the user's HOME and XDG directories under a new temporary
 * directory and point the environment at them, with the issuer, client
 * and host list @hosts (NULL: none); 0 or -1 (cmocka group setup).
 */
int cmdrun_setup(const char *hosts);
/* Remove the temporary directory and what cmdrun_config() made. */
int cmdrun_teardown(void);
/* The temporary directory (the user's HOME). */
const char *cmdrun_home(void);

/*
 * Load a configuration as main() does for a command whose arguments,
 * after the command name, are @args (NULL-terminated); the result is
 * released by the next call or by cmdrun_teardown().
 */
struct config *cmdrun_config(const char *const *args);

/* Put @token, expiring at @expires_at, in the runtime cache of @cfg. */
void cmdrun_seed(const struct config *cfg, const char *token,
                 int64_t expires_at);
/* Empty the runtime cache of @cfg. */
void cmdrun_unseed(const struct config *cfg);

/*
 * Run @fn(@cfg) with @input (NULL: nothing) on stdin; what it wrote on
 * stdout and stderr in *@out and *@err (static buffers of at most 64 KiB,
 * valid until the next call; NULL pointers skip one). Returns what @fn
 * returned.
 */
int cmdrun(int (*fn)(struct config *), struct config *cfg, const char *input,
           const char **out, const char **err);
/* cmdrun() with @len bytes of @input, NUL bytes included. */
int cmdrun_bytes(int (*fn)(struct config *), struct config *cfg,
                 const char *input, size_t len, const char **out,
                 const char **err);

#endif
