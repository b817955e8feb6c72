/*
 * The keyring store (contract §10): token sets in the Secret Service (GNOME
 * Keyring, KeePassXC, KWallet's bridge) through libsecret, the only module
 * that includes libsecret. It is a module of its own,
 * clerk-credential-keyring.so (modload.h), so that the program maps
 * libsecret and GLib only when it must read, write or look in the
 * keyring: never on a cache hit, and not on a refresh of tokens kept in
 * a file. The core reaches it through struct keyring_api (keyring.c).
 *
 * One item per (issuer, client id, profile): schema com.clerk.credential,
 * attributes "issuer", "client_id" and "profile", the label
 * "Clerk sign-in for <issuer> (<profile>)", and the token set's JSON
 * (tokenset_to_json) as the secret. To see the items:
 *	secret-tool search --all xdg:schema com.clerk.credential
 *
 * A locked collection is unlocked through the Secret Service's prompt; a
 * dismissed prompt is CLERK_EDENIED with a message that says so.
 */
#ifndef CLERK_STORE_KEYRING_H
#define CLERK_STORE_KEYRING_H

#include <stdbool.h>

struct store_ops;

#define KEYRING_SCHEMA "com.clerk.credential"
/* Why there is no keyring without a session bus (store_session_bus()). */
#define KEYRING_NO_BUS "no session bus: DBUS_SESSION_BUS_ADDRESS is not set"

extern const struct store_ops store_keyring_ops;

/*
 * True when DBUS_SESSION_BUS_ADDRESS names a session bus. Without one
 * there is no keyring, and nothing may start a bus (GDBus would try to
 * autolaunch one): the keyring is then not looked for.
 */
bool store_session_bus(void);

/*
 * 0 when a Secret Service answers on the session bus within @timeout_ms;
 * else CLERK_ENOTFOUND and *@why (free() it; no secret) says why, without
 * a message on stderr. Never starts a bus: without
 * DBUS_SESSION_BUS_ADDRESS the answer is immediate.
 */
int keyring_probe(int timeout_ms, char **why);

/* The module's table; the core loads it with keyring_module_load(). */
#define KEYRING_API_VERSION 2

struct keyring_api {
	unsigned version; /* KEYRING_API_VERSION, first (modload.h) */
	/*
	 * The keyring store (store_keyring_ops). Its list gives one set per
	 * item of the schema, read from the item's attributes: no unlock is
	 * needed.
	 */
	const struct store_ops *ops;
	/* A Secret Service answers within @timeout_ms? (keyring_probe()) */
	int (*probe)(int timeout_ms, char **why);
};

extern const struct keyring_api clerk_keyring_api;
#define KEYRING_API_SYMBOL  "clerk_keyring_api"
#define KEYRING_MODULE_NAME "clerk-credential-keyring.so"

/* Load the module (once) and return its table (keyring.c). */
int keyring_module_load(const struct keyring_api **out);

#endif
