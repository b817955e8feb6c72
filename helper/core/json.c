/* See json.h. */
#include "json.h"

#include <cjson/cJSON.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

#include "banned.h"

static bool json_wipe = true;

static void
json_wiping_free(void *p)
{
	if (json_wipe)
		secret_free(p);
	else
		free(p);
}

void
json_init(void)
{
	static bool done;
	cJSON_Hooks hooks = {malloc, json_wiping_free};

	if (done)
		return;
	cJSON_InitHooks(&hooks);
	done = true;
}

#define C(n)  ((cJSON *)(n))
#define CC(n) ((const cJSON *)(n))

/*
 * cJSON ends a string at a NUL, so "a\u0000b" would read as "a" here and
 * as all of it elsewhere: refuse a raw NUL (never valid JSON) and the
 * escape "\u0000" anywhere (also where it is only text after an escaped
 * backslash; nothing legitimate sends that).
 */
static bool
has_nul(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	if (memchr(text, '\0', len))
		return true;
	while ((p = memchr(p, '\\', (size_t)(end - p))) && end - p >= 6) {
		if (memcmp(p + 1, "u0000", 5) == 0)
			return true;
		p++;
	}
	return false;
}

/* Does object @obj hold a member name twice? -1: out of memory. */
static int
object_has_duplicate(const cJSON *obj)
{
	const cJSON *m, *o;
	const char **keys;
	size_t n = 0, i;
	int dup = 0;

	for (m = obj->child; m; m = m->next)
		n++;
	if (n <= 16) {
		for (m = obj->child; m; m = m->next)
			for (o = m->next; o; o = o->next)
				if (strcmp(m->string, o->string) == 0)
					return 1;
		return 0;
	}
	if (!(keys = malloc(n * sizeof(*keys))))
		return -1;
	for (i = 0, m = obj->child; m; m = m->next)
		keys[i++] = m->string;
	qsort(keys, n, sizeof(*keys), str_ptr_cmp);
	for (i = 1; i < n && !dup; i++)
		dup = strcmp(keys[i - 1], keys[i]) == 0;
	free(keys);
	return dup;
}

/*
 * Does any object under @node hold a member name twice? Readers differ
 * there (cJSON takes the first, Go and serde the last), so such a
 * document is refused rather than read one way of two. The depth is
 * bounded by cJSON's nesting limit.
 */
static int
has_duplicate(const cJSON *node)
{
	const cJSON *c;
	int r;

	if (cJSON_IsObject(node) && (r = object_has_duplicate(node)))
		return r;
	if (cJSON_IsObject(node) || cJSON_IsArray(node))
		for (c = node->child; c; c = c->next)
			if ((r = has_duplicate(c)))
				return r;
	return 0;
}

struct json *
json_parse(const char *text, size_t len)
{
	json_init();
	const char *end = NULL;
	cJSON *doc;

	if (!text || len > JSON_MAX_INPUT || has_nul(text, len))
		return NULL;
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!doc)
		return NULL;
	/* One value and nothing after it but white space. */
	while (end && end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (end != text + len || has_duplicate(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return (struct json *)doc;
}

void
json_free(struct json *doc)
{
	cJSON_Delete(C(doc));
}

void
json_free_public(struct json *doc)
{
	json_wipe = false;
	cJSON_Delete(C(doc));
	json_wipe = true;
}

bool
json_is_object(const struct json *node)
{
	return node && cJSON_IsObject(CC(node));
}

bool
json_is_array(const struct json *node)
{
	return node && cJSON_IsArray(CC(node));
}

bool
json_is_string(const struct json *node)
{
	return node && cJSON_IsString(CC(node));
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	if (!json_is_object(obj))
		return NULL;
	return (const struct json *)cJSON_GetObjectItemCaseSensitive(CC(obj),
	                                                             key);
}

const char *
json_get_string(const struct json *obj, const char *key)
{
	return json_string_value(json_get(obj, key));
}

int
json_get_int64(const struct json *obj, const char *key, int64_t *out)
{
	return json_int64_value(json_get(obj, key), out);
}

int
json_int64_value(const struct json *node, int64_t *out)
{
	const cJSON *n = CC(node);
	double d;

	if (!n || !cJSON_IsNumber(n))
		return -1;
	d = n->valuedouble;
	/* NaN fails both range tests; then the cast is defined. */
	if (!(d >= -9.0e15 && d <= 9.0e15) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

int
json_get_bool(const struct json *obj, const char *key, bool *out)
{
	return json_bool_value(json_get(obj, key), out);
}

int
json_bool_value(const struct json *node, bool *out)
{
	const cJSON *n = CC(node);

	if (!n || !cJSON_IsBool(n))
		return -1;
	*out = cJSON_IsTrue(n);
	return 0;
}

size_t
json_array_size(const struct json *arr)
{
	int n;

	if (!json_is_array(arr))
		return 0;
	n = cJSON_GetArraySize(CC(arr));
	return n < 0 ? 0 : (size_t)n;
}

const struct json *
json_array_item(const struct json *arr, size_t i)
{
	if (!json_is_array(arr) || i > (size_t)INT32_MAX)
		return NULL;
	return (const struct json *)cJSON_GetArrayItem(CC(arr), (int)i);
}

const char *
json_string_value(const struct json *node)
{
	if (!json_is_string(node))
		return NULL;
	return CC(node)->valuestring;
}

const struct json *
json_first_member(const struct json *obj)
{
	if (!json_is_object(obj))
		return NULL;
	return (const struct json *)CC(obj)->child;
}

const struct json *
json_next_member(const struct json *member)
{
	return member ? (const struct json *)CC(member)->next : NULL;
}

const char *
json_member_key(const struct json *member)
{
	return member ? CC(member)->string : NULL;
}

const char *
json_type_name(const struct json *node)
{
	const cJSON *n = CC(node);

	if (!n)
		return "nothing";
	if (cJSON_IsString(n))
		return "a string";
	if (cJSON_IsNumber(n))
		return "a number";
	if (cJSON_IsBool(n))
		return "a boolean";
	if (cJSON_IsNull(n))
		return "null";
	if (cJSON_IsArray(n))
		return "an array";
	if (cJSON_IsObject(n))
		return "an object";
	return "invalid";
}

struct json *
json_new_object(void)
{
	json_init();
	return (struct json *)cJSON_CreateObject();
}

struct json *
json_new_array(void)
{
	json_init();
	return (struct json *)cJSON_CreateArray();
}

int
json_add_string(struct json *obj, const char *key, const char *value)
{
	return cJSON_AddStringToObject(C(obj), key, value) ? 0 : CLERK_ENOMEM;
}

int
json_add_int64(struct json *obj, const char *key, int64_t value)
{
	return cJSON_AddNumberToObject(C(obj), key, (double)value)
	               ? 0
	               : CLERK_ENOMEM;
}

int
json_add_bool(struct json *obj, const char *key, bool value)
{
	return cJSON_AddBoolToObject(C(obj), key, value) ? 0 : CLERK_ENOMEM;
}

int
json_add_node(struct json *obj, const char *key, struct json *child)
{
	if (!child)
		return CLERK_ENOMEM;
	if (!cJSON_AddItemToObject(C(obj), key, C(child))) {
		cJSON_Delete(C(child));
		return CLERK_ENOMEM;
	}
	return 0;
}

int
json_array_add_string(struct json *arr, const char *value)
{
	cJSON *s = cJSON_CreateString(value);

	if (!s || !cJSON_AddItemToArray(C(arr), s)) {
		cJSON_Delete(s);
		return CLERK_ENOMEM;
	}
	return 0;
}

int
json_array_add_node(struct json *arr, struct json *child)
{
	if (!child)
		return CLERK_ENOMEM;
	if (!cJSON_AddItemToArray(C(arr), C(child))) {
		cJSON_Delete(C(child));
		return CLERK_ENOMEM;
	}
	return 0;
}

struct json *
json_dup(const struct json *node)
{
	json_init();
	return (struct json *)cJSON_Duplicate(CC(node), 1);
}

void
json_remove(struct json *obj, const char *key)
{
	cJSON_DeleteItemFromObjectCaseSensitive(C(obj), key);
}

int
json_print(const struct json *doc, bool pretty, char **out)
{
	char *s;

	json_init();
	s = pretty ? cJSON_Print(CC(doc)) : cJSON_PrintUnformatted(CC(doc));
	if (!s)
		return CLERK_ENOMEM;
	*out = s;
	return 0;
}
