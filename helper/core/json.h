/*
 * JSON through cJSON; the only module that includes cJSON.
 *
 * Every cJSON allocation is wiped before it is freed (json_init() installs
 * the hooks), so parsed token responses leave nothing behind.
 * Documents are bounded: json_parse() refuses input over JSON_MAX_INPUT.
 */
#ifndef CLERK_JSON_H
#define CLERK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_INPUT (1024 * 1024)

struct json; /* opaque: a node of a parsed or built document */

/* Install the wiping allocator hooks; idempotent, called by json_parse. */
void json_init(void);

/*
 * Parse @len bytes; NULL when malformed, too large or out of memory, and
 * for what other readers could read another way: a NUL byte or "\u0000"
 * (which would end a string early here), or an object that names a
 * member twice (cJSON takes the first, Go and serde the last).
 */
struct json *json_parse(const char *text, size_t len);
/* Free a whole document (root only), wiping it. NULL is fine. */
void json_free(struct json *doc);
/* Free a document that holds no secret, without wiping (config files). */
void json_free_public(struct json *doc);

bool json_is_object(const struct json *node);
bool json_is_array(const struct json *node);
bool json_is_string(const struct json *node);

/* Member @key of object @obj, or NULL (case-sensitive). */
const struct json *json_get(const struct json *obj, const char *key);
/* The string member @key, or NULL when absent or not a string. */
const char *json_get_string(const struct json *obj, const char *key);
/*
 * The integer member @key: 0, or -1 when absent, not a number, not whole
 * or out of int64 range.
 */
int json_get_int64(const struct json *obj, const char *key, int64_t *out);
/* The boolean member @key: 0, or -1 when absent or not a boolean. */
int json_get_bool(const struct json *obj, const char *key, bool *out);

size_t json_array_size(const struct json *arr);
const struct json *json_array_item(const struct json *arr, size_t i);
/* A string node's value, or NULL. */
const char *json_string_value(const struct json *node);
/* A whole-number node's value: 0, or -1 when not a whole int64. */
int json_int64_value(const struct json *node, int64_t *out);
/* A boolean node's value: 0, or -1 when not a boolean. */
int json_bool_value(const struct json *node, bool *out);

/* Iterate an object: first member, next member, and a member's key. */
const struct json *json_first_member(const struct json *obj);
const struct json *json_next_member(const struct json *member);
const char *json_member_key(const struct json *member);
/* A short name of the node's type, for error messages ("string", ...). */
const char *json_type_name(const struct json *node);

/* Building documents. Each returns 0 or CLERK_ENOMEM. */
struct json *json_new_object(void);
struct json *json_new_array(void);
int json_add_string(struct json *obj, const char *key, const char *value);
int json_add_int64(struct json *obj, const char *key, int64_t value);
int json_add_bool(struct json *obj, const char *key, bool value);
/* Add @child (taken over, also on failure) under @key. */
int json_add_node(struct json *obj, const char *key, struct json *child);
int json_array_add_string(struct json *arr, const char *value);
/* Append @child (taken over, also on failure) to the array @arr. */
int json_array_add_node(struct json *arr, struct json *child);
/* A deep copy of @node, or NULL. */
struct json *json_dup(const struct json *node);
/* Remove and free member @key if present. */
void json_remove(struct json *obj, const char *key);

/* Serialise; the result is freed with secret_free(). */
int json_print(const struct json *doc, bool pretty, char **out);

#endif
