/*
 * The other tools' protocols (contract §6, §7) and `configure` (contract §2):
 * one entry point per command of main(), and what they share.
 *
 * Each entry point reads cfg->args from the action on: main() drops the
 * command name, so `clerk-credential docker get` and the alias
 * `docker-credential-clerk get` both arrive with args[0] == "get".
 *
 * MUST (every protocol): route the request to its profile and answer only
 * for hosts of that profile's host list (contract §3, §4)
 * and otherwise give the protocol's own "not found" answer; look at the
 * runtime cache before anything else, so a cache hit never loads the
 * network module; write nothing on stdout but the protocol's answer.
 *
 * Example (a protocol's get):
 *	struct server_ref s;
 *	if (server_ref_parse(url, true, &s) || proto_route(cfg, &s, NULL))
 *		return not_found();
 *	if ((r = config_require(cfg)) ||
 *	    (r = session_token(cfg, &token, &exp)))
 *		return r;
 */
#ifndef CLERK_PROTOCOLS_H
#define CLERK_PROTOCOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "protoparse.h"

struct json;

/* docker get|store|erase|list|version (dockercmd.c). */
int dockercmd_run(struct config *cfg);
/* kubectl: an ExecCredential for KUBERNETES_EXEC_INFO (kubecmd.c). */
int kubecmd_run(struct config *cfg);
/* bazel get (bazelcmd.c). */
int bazelcmd_run(struct config *cfg);
/* terraform get|store|forget HOST (tfcmd.c). */
int tfcmd_run(struct config *cfg);
/* cargo --cargo-plugin: the credential-provider loop (cargocmd.c). */
int cargocmd_run(struct config *cfg);
/* configure|unconfigure git URL | docker REGISTRY (configure.c). */
int configure_run(struct config *cfg);
int unconfigure_run(struct config *cfg);

/* --- shared by the commands (protocmd.c) --- */

struct challenges;

/*
 * Route the request for @s (and the server's challenges @cs, or NULL) to
 * its profile, loading it into @cfg, and apply that profile's host rule
 * (route.h). 0: ours; CLERK_ENOTFOUND: not ours (said at debug level,
 * and how to set a host list when there is none); else an error, said.
 */
int proto_route(struct config *cfg, const struct server_ref *s,
                const struct challenges *cs);

/*
 * The caller tells nothing of a person (docker, Bazel, Terraform, Cargo):
 * with no terminal (none of stdin, stdout, stderr is one and there is no
 * controlling terminal) and no browser ($BROWSER, or a display outside
 * SSH), no sign-in may start (cfg->interactive false), unless the user
 * set interactive. Contract §8.
 */
void proto_background(struct config *cfg);

/*
 * True when @secret is this profile's access token, or the CI token when
 * one is configured (session.h). Never the network.
 */
bool proto_is_ours(const struct config *cfg, const char *secret);

struct tokenset;

/*
 * The stored token set of this profile, without the network; release it
 * with tokenset_release(). CLERK_ENOTFOUND when none is stored (or the
 * profile names no issuer or client id).
 */
int proto_stored_tokens(const struct config *cfg, struct tokenset *ts);

/* True when this profile holds tokens (cached or stored) or a CI token. */
bool proto_signed_in(const struct config *cfg);

/* A short line for a protocol's own error channel about result @r. */
const char *proto_error_text(int r);

/*
 * Read stdin to EOF, at most @max bytes, into a new NUL-terminated buffer
 * (free with secret_free: it may hold a token). CLERK_EPROTO with a
 * message when there is more.
 */
int proto_read_stdin(size_t max, char **out, size_t *len);

/* Print @doc compactly and a newline on stdout. */
int proto_print_json(const struct json *doc);

#endif
