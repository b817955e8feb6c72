/*
 * Parsers for what docker, kubectl, Bazel, Terraform and Cargo send
 * (contract §6, §7). Pure functions: no I/O, no logging, so the unit tests and
 * the fuzz targets drive them directly; the commands (protocols.h) turn
 * their CLERK_EPROTO into each protocol's answer.
 *
 * MUST: bound every length before copying; never return a host that the
 * host rule could misread (user info, percent signs, spaces are refused).
 *
 * Example:
 *	struct server_ref s;
 *	if (server_ref_parse("https://registry.example.com/v1/", false,
 *			     &s) == 0)
 *		... s.scheme is "https", s.host is "registry.example.com" ...
 */
#ifndef CLERK_PROTOPARSE_H
#define CLERK_PROTOPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hostrule.h"

/* Longest request any of these protocols sends on stdin. */
#define PROTO_MAX_INPUT (1024 * 1024)

/* Where a request goes, as the host rule needs it. */
struct server_ref {
	char scheme[6];          /* "https" or "http" */
	char host[HOST_MAX + 1]; /* host[:port], lower case */
};

/*
 * Parse a server reference: "host", "host:port", "host/repo",
 * "https://host/v1/", "sparse+https://host/index/", "grpcs://host".
 * Without a scheme (allowed only when !@scheme_required) it is https, as
 * docker assumes. grpcs counts as https and grpc as http; any other scheme,
 * an empty or malformed host, or a bad port is CLERK_EPROTO.
 */
int server_ref_parse(const char *in, bool scheme_required,
                     struct server_ref *out);

/*
 * What docker-credential-helpers make of a get/erase request: the lines
 * of @buf joined without their line ends, then blanks trimmed. Returns
 * the length of the result, written in place at @buf and NUL-terminated
 * (@buf must have room for @len + 1 bytes).
 */
size_t docker_input_join(char *buf, size_t len);

/* docker store's JSON; members absent or empty are NULL. */
struct docker_creds {
	char *server_url;
	char *username;
	char *secret; /* secret */
};

#define DOCKER_CREDS_INIT                                            \
	{                                                            \
		.server_url = NULL, .username = NULL, .secret = NULL \
	}

/* CLERK_EPROTO unless @text is one JSON object with string members. */
int docker_creds_parse(const char *text, size_t len, struct docker_creds *out);
void docker_creds_release(struct docker_creds *c);

/* KUBERNETES_EXEC_INFO: the parts the ExecCredential answer depends on. */
struct exec_info {
	char *api_version; /* NULL when absent */
	char *server;      /* spec.cluster.server, or NULL */
	bool interactive_set;
	bool interactive; /* spec.interactive when set */
};

#define EXEC_INFO_INIT                                                         \
	{                                                                      \
		.api_version = NULL, .server = NULL, .interactive_set = false, \
		.interactive = false                                           \
	}

int exec_info_parse(const char *text, size_t len, struct exec_info *out);
void exec_info_release(struct exec_info *e);

/* The Bazel credential-helper request: {"uri": "..."}. */
int bazel_request_parse(const char *text, size_t len, char **uri);

/* One Cargo credential-provider request (protocol v1). */
struct cargo_request {
	int64_t v;
	char *index_url; /* registry.index-url */
	char *name;      /* registry.name, or NULL */
	char *kind;      /* "get", "login", "logout" or another */
	char *operation; /* get: "read", "publish", ... or NULL */
	char *token;     /* login: the token given, or NULL; secret */
	char **args;     /* the provider's arguments from cargo's config */
	size_t nargs;
	char **headers; /* registry.headers: "Name: value" of the registry's
	                 * answer (WWW-Authenticate among them), or NULL */
	size_t nheaders;
};

/* At most this many arguments in a request's "args". */
#define CARGO_MAX_ARGS 64
/* At most this many registry headers, each of a challenge's size. */
#define CARGO_MAX_HEADERS 32

#define CARGO_REQUEST_INIT                                                  \
	{                                                                   \
		.v = 0, .index_url = NULL, .name = NULL, .kind = NULL,      \
		.operation = NULL, .token = NULL, .args = NULL, .nargs = 0, \
		.headers = NULL, .nheaders = 0                              \
	}

int cargo_request_parse(const char *text, size_t len,
                        struct cargo_request *out);
void cargo_request_release(struct cargo_request *r);

/* Terraform store's JSON object; *@token is its "token", or NULL. */
int tf_store_parse(const char *text, size_t len, char **token);

#endif
