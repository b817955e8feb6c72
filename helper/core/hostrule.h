/*
 * The host rule: which hosts may receive a token. Every host a request
 * names is checked here before anything else looks at it.
 */
#ifndef CLERK_HOSTRULE_H
#define CLERK_HOSTRULE_H

#include <stdbool.h>
#include <stddef.h>

/* Longest host[:port] accepted: a 253-byte name, ':' and 5 digits. */
#define HOST_MAX 261

/*
 * Is @s (exactly @n bytes) a host the host rule can match: a host name
 * (letters, digits, '.', '-') or an IPv6 literal in brackets, then
 * optionally ':' and a port from 1 to 65535, HOST_MAX bytes at
 * most? Nothing else: no user info, '/', '%', space, NUL or empty port.
 * The one check of every host a request names, for every protocol.
 */
bool host_port_valid(const char *s, size_t n);

#endif
