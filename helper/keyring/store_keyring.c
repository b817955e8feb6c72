/*
 * See keyring.h (the interface this module implements).
 *
 * MUST: refuse to run without DBUS_SESSION_BUS_ADDRESS (GDBus would
 * otherwise try to autolaunch a bus); bound the probe with a timer on a
 * private main context; hand the secret to libsecret only as a
 * SecretValue (libsecret keeps it in non-pageable memory and wipes it) and
 * wipe our own copy; say so when an unlock prompt was dismissed.
 * MUST NOT: put a token in a label, an attribute or a message.
 */
#include "keyring.h"

#include <libsecret/secret.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

#include "banned.h"

#define KEYRING_MAX_SECRET (1024 * 1024)
#define KEYRING_MAX_ITEMS  10000

static const SecretSchema keyring_schema = {
        .name = KEYRING_SCHEMA,
        .flags = SECRET_SCHEMA_NONE,
        .attributes =
                {
                        {"issuer", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {"client_id", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {"profile", SECRET_SCHEMA_ATTRIBUTE_STRING},
                        {NULL, 0},
                },
};

static int
dismissed(void)
{
	log_error("the keyring is locked and its unlock prompt was dismissed "
	          "(unlock the keyring, e.g. in Seahorse, and try again, or "
	          "use --storage file)");
	return CLERK_EDENIED;
}

/* Report @err (taken) once; the result code for it. */
static int
report(const char *what, GError *err)
{
	if (g_error_matches(err, SECRET_ERROR, SECRET_ERROR_IS_LOCKED)) {
		g_clear_error(&err);
		return dismissed();
	}
	log_error("%s: %s (check the keyring, e.g. in Seahorse, or use "
	          "--storage file)",
	          what, err ? err->message : "unknown error");
	g_clear_error(&err);
	return CLERK_EIO;
}

static int
service_open(SecretService **out)
{
	GError *err = NULL;

	if (!store_session_bus()) {
		log_error("cannot use the keyring: there is no session bus "
		          "(DBUS_SESSION_BUS_ADDRESS is not set; use --storage "
		          "file)");
		return CLERK_EIO;
	}
	*out = secret_service_get_sync(SECRET_SERVICE_OPEN_SESSION, NULL, &err);
	return *out ? 0 : report("cannot open the keyring", err);
}

/* Every item of @cfg's (issuer, client id, profile), as they are. */
static int
items_find(SecretService *svc, const struct config *cfg, GList **out)
{
	GHashTable *attrs;
	GError *err = NULL;

	*out = NULL;
	if (!cfg->issuer || !cfg->client_id || !cfg->profile)
		return 0;
	attrs = secret_attributes_build(&keyring_schema, "issuer", cfg->issuer,
	                                "client_id", cfg->client_id, "profile",
	                                cfg->profile, NULL);
	if (!attrs)
		return CLERK_EPROTO;
	*out = secret_service_search_sync(svc, &keyring_schema, attrs,
	                                  SECRET_SEARCH_ALL, NULL, &err);
	g_hash_table_unref(attrs);
	return err ? report("cannot search the keyring", err) : 0;
}

/* Unlock @item through the Secret Service's prompt when it is locked. */
static int
item_unlock(SecretService *svc, SecretItem *item)
{
	GList one = {item, NULL, NULL};
	GError *err = NULL;
	gint n;

	if (!secret_item_get_locked(item))
		return 0;
	log_debug("keyring: the item is locked; asking for it to be "
	          "unlocked");
	n = secret_service_unlock_sync(svc, &one, NULL, NULL, &err);
	if (err)
		return report("cannot unlock the keyring", err);
	return n > 0 ? 0 : dismissed();
}

static int
item_delete(SecretService *svc, SecretItem *item)
{
	GError *err = NULL;
	int r;

	if ((r = item_unlock(svc, item)))
		return r;
	if (!secret_item_delete_sync(item, NULL, &err))
		return report("cannot delete the keyring item", err);
	return 0;
}

/* The token set in @item, unlocked first. */
static int
item_read(SecretService *svc, SecretItem *item, const char *profile,
          struct tokenset *out)
{
	SecretValue *value = NULL;
	GError *err = NULL;
	const gchar *text = NULL;
	gsize len = 0;
	int r;

	if ((r = item_unlock(svc, item)))
		return r;
	if (!secret_item_load_secret_sync(item, NULL, &err))
		return report("cannot read the keyring", err);
	if ((value = secret_item_get_secret(item)))
		text = secret_value_get(value, &len);
	if (!text || len == 0 || len > KEYRING_MAX_SECRET ||
	    (r = tokenset_from_json(text, len, out))) {
		log_error("the keyring item of profile %s holds no usable "
		          "token set (remove it with `secret-tool clear "
		          "xdg:schema " KEYRING_SCHEMA " profile %s` and "
		          "sign in again)",
		          profile, profile);
		r = CLERK_EPROTO;
	}
	if (value)
		secret_value_unref(value);
	return r;
}

static int
keyring_load(struct store *st, struct tokenset *out)
{
	SecretService *svc = NULL;
	GList *items = NULL;
	int r;

	if ((r = service_open(&svc)) || (r = items_find(svc, st->cfg, &items)))
		goto out;
	if (!items) {
		log_debug("keyring: no item for profile %s", st->cfg->profile);
		r = CLERK_ENOTFOUND;
		goto out;
	}
	r = item_read(svc, items->data, st->cfg->profile, out);
	if (!r)
		log_debug("keyring: tokens read for profile %s",
		          st->cfg->profile);
out:
	g_list_free_full(items, g_object_unref);
	if (svc)
		g_object_unref(svc);
	return r;
}

/* Update the first of @items; drop copies that other tools left. */
static int
item_replace(SecretService *svc, GList *items, SecretValue *value)
{
	GError *err = NULL;
	GList *l;
	int r;

	if ((r = item_unlock(svc, items->data)))
		return r;
	if (!secret_item_set_secret_sync(items->data, value, NULL, &err))
		return report("cannot update the keyring item", err);
	for (l = items->next; l; l = l->next)
		if (item_delete(svc, l->data))
			log_warn("could not remove a second keyring item of "
			         "this profile; continuing");
	return 0;
}

static int
item_create(SecretService *svc, const struct config *cfg, SecretValue *value)
{
	GHashTable *attrs;
	GError *err = NULL;
	gchar *label;
	gboolean ok;

	attrs = secret_attributes_build(&keyring_schema, "issuer", cfg->issuer,
	                                "client_id", cfg->client_id, "profile",
	                                cfg->profile, NULL);
	if (!attrs)
		return CLERK_EPROTO;
	label = g_strdup_printf("Clerk sign-in for %s (%s)", cfg->issuer,
	                        cfg->profile);
	/* Into the default collection, unlocking it through its prompt. */
	ok = secret_service_store_sync(svc, &keyring_schema, attrs,
	                               SECRET_COLLECTION_DEFAULT, label, value,
	                               NULL, &err);
	g_free(label);
	g_hash_table_unref(attrs);
	return ok ? 0 : report("cannot store the tokens in the keyring", err);
}

static int
keyring_save(struct store *st, const struct tokenset *ts)
{
	SecretService *svc = NULL;
	SecretValue *value = NULL;
	GList *items = NULL;
	char *json = NULL;
	int r;

	if (!st->cfg->issuer || !st->cfg->client_id)
		return CLERK_EINTERNAL;
	if ((r = tokenset_to_json(ts, &json)) || (r = service_open(&svc)) ||
	    (r = items_find(svc, st->cfg, &items)))
		goto out;
	value = secret_value_new(json, -1, "text/plain");
	r = items ? item_replace(svc, items, value)
	          : item_create(svc, st->cfg, value);
	if (!r)
		log_debug("keyring: tokens saved for profile %s",
		          st->cfg->profile);
out:
	if (value)
		secret_value_unref(value);
	secret_free(json);
	g_list_free_full(items, g_object_unref);
	if (svc)
		g_object_unref(svc);
	return r;
}

static int
keyring_clear(struct store *st)
{
	SecretService *svc = NULL;
	GList *items = NULL, *l;
	int r;

	if ((r = service_open(&svc)) || (r = items_find(svc, st->cfg, &items)))
		goto out;
	for (l = items; l && !r; l = l->next)
		r = item_delete(svc, l->data);
	if (!r && items)
		log_debug("keyring: tokens removed for profile %s",
		          st->cfg->profile);
out:
	g_list_free_full(items, g_object_unref);
	if (svc)
		g_object_unref(svc);
	return r;
}

/* --- listing ----------------------------------------------------------- */

static int
identity_of(SecretItem *item, struct tokenset *ts)
{
	GHashTable *attrs = secret_item_get_attributes(item);
	int r = CLERK_EPROTO;

	tokenset_init(ts);
	if (!attrs)
		return r;
	if (g_hash_table_lookup(attrs, "issuer") &&
	    g_hash_table_lookup(attrs, "client_id") &&
	    g_hash_table_lookup(attrs, "profile") &&
	    !(r = str_set(&ts->issuer, g_hash_table_lookup(attrs, "issuer"))) &&
	    !(r = str_set(&ts->client_id,
	                  g_hash_table_lookup(attrs, "client_id"))))
		r = str_set(&ts->profile,
		            g_hash_table_lookup(attrs, "profile"));
	g_hash_table_unref(attrs);
	if (r)
		tokenset_release(ts);
	return r;
}

/* Who has a set in the keyring, from each item's attributes (store.h). */
static int
keyring_list(struct store *st, struct tokenset **out, size_t *n)
{
	SecretService *svc = NULL;
	GHashTable *attrs = g_hash_table_new(g_str_hash, g_str_equal);
	GError *err = NULL;
	GList *items = NULL, *l;
	struct tokenset *sets = NULL;
	size_t count = 0;
	int r;

	(void)st;
	if ((r = service_open(&svc)))
		goto out;
	items = secret_service_search_sync(svc, &keyring_schema, attrs,
	                                   SECRET_SEARCH_ALL, NULL, &err);
	if (err) {
		r = report("cannot search the keyring", err);
		goto out;
	}
	if (g_list_length(items) > KEYRING_MAX_ITEMS ||
	    !(sets = calloc(g_list_length(items) + 1, sizeof(*sets)))) {
		r = CLERK_ENOMEM;
		goto out;
	}
	for (l = items; l; l = l->next)
		if (identity_of(l->data, &sets[count]) == 0)
			count++;
	*out = sets;
	*n = count;
	sets = NULL;
out:
	free(sets);
	g_list_free_full(items, g_object_unref);
	g_hash_table_unref(attrs);
	if (svc)
		g_object_unref(svc);
	return r;
}

const struct store_ops store_keyring_ops = {
        .name = "keyring",
        .load = keyring_load,
        .save = keyring_save,
        .clear = keyring_clear,
        .list = keyring_list,
};

/* --- the probe --------------------------------------------------------- */

struct probe {
	GCancellable *cancel;
	GDBusConnection *bus;
	GError *err;
	int timeout_ms;
	bool done;
	bool timed_out;
};

static void
on_reply(GObject *src, GAsyncResult *res, gpointer data)
{
	struct probe *p = data;
	GVariant *v = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res,
	                                            &p->err);

	if (v)
		g_variant_unref(v);
	p->done = true;
}

static void
on_bus(GObject *src, GAsyncResult *res, gpointer data)
{
	struct probe *p = data;

	(void)src;
	if (!(p->bus = g_bus_get_finish(res, &p->err))) {
		p->done = true;
		return;
	}
	/* Any property will do; this one exists on every Secret Service. */
	g_dbus_connection_call(
	        p->bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
	        "org.freedesktop.DBus.Properties", "Get",
	        g_variant_new("(ss)", "org.freedesktop.Secret.Service",
	                      "Collections"),
	        G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, p->timeout_ms,
	        p->cancel, on_reply, p);
}

static gboolean
on_timeout(gpointer data)
{
	struct probe *p = data;

	p->timed_out = true;
	g_cancellable_cancel(p->cancel);
	return G_SOURCE_REMOVE;
}

static char *
probe_why(const struct probe *p)
{
	gchar *remote;
	char *why;

	if (p->timed_out)
		return g_strdup_printf("the session bus or its Secret Service "
		                       "did not answer within %d ms",
		                       p->timeout_ms);
	if (!p->bus)
		return g_strdup_printf("cannot reach the session bus: %s",
		                       p->err->message);
	remote = g_dbus_error_get_remote_error(p->err);
	if (remote && (!strcmp(remote, "org.freedesktop.DBus.Error."
	                               "ServiceUnknown") ||
	               !strcmp(remote, "org.freedesktop.DBus.Error."
	                               "NameHasNoOwner")))
		why = g_strdup("no Secret Service (org.freedesktop.secrets) "
		               "on the session bus");
	else
		why = g_strdup_printf("the Secret Service does not answer: %s",
		                      p->err->message);
	g_free(remote);
	return why;
}

/* g_strdup'd text into a malloc'd string (GLib's allocator may differ). */
static int
take_why(gchar *text, char **why)
{
	int r = str_set(why, text);

	g_free(text);
	return r ? r : CLERK_ENOTFOUND;
}

int
keyring_probe(int timeout_ms, char **why)
{
	struct probe p = {NULL, NULL, NULL, timeout_ms, false, false};
	GMainContext *ctx;
	GSource *timer;
	gchar *text;

	*why = NULL;
	if (!store_session_bus())
		return take_why(g_strdup(KEYRING_NO_BUS), why);
	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	p.cancel = g_cancellable_new();
	timer = g_timeout_source_new((guint)timeout_ms);
	g_source_set_callback(timer, on_timeout, &p, NULL);
	g_source_attach(timer, ctx);
	g_bus_get(G_BUS_TYPE_SESSION, p.cancel, on_bus, &p);
	while (!p.done)
		g_main_context_iteration(ctx, TRUE);
	g_source_destroy(timer);
	g_source_unref(timer);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	text = p.err ? probe_why(&p) : NULL;
	g_clear_error(&p.err);
	g_object_unref(p.cancel);
	if (p.bus)
		g_object_unref(p.bus);
	if (text)
		return take_why(text, why);
	log_debug("keyring: a Secret Service answers on the session bus");
	return 0;
}

const struct keyring_api clerk_keyring_api = {
        .version = KEYRING_API_VERSION,
        .ops = &store_keyring_ops,
        .probe = keyring_probe,
};
