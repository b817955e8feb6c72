/*
 * The keyring store (SPEC 9): token sets in the Secret Service (GNOME
 * Keyring, KeePassXC, KWallet's bridge) through libsecret, the only module
 * that includes libsecret. It is part of the network module, so that the
 * program maps libsecret and GLib only when it must read or write the
 * keyring, never on a cache hit; the core reaches it through net_api.
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

#include <stddef.h>

struct store_ops;
struct tokenset;

#define KEYRING_SCHEMA "com.clerk.credential"

extern const struct store_ops store_keyring_ops;

/*
 * 0 when a Secret Service answers on the session bus within @timeout_ms;
 * else CLERK_ENOTFOUND and *@why (free() it; no secret) says why, without
 * a message on stderr. Never starts a bus: without
 * DBUS_SESSION_BUS_ADDRESS the answer is immediate.
 */
int keyring_probe(int timeout_ms, char **why);

/*
 * Who has a token set in the keyring: one struct tokenset per item of the
 * schema, with issuer, client_id and profile set and no token (no unlock
 * is needed). Release each with tokenset_release(), then free(*@out).
 */
int keyring_list(struct tokenset **out, size_t *n);

#endif
