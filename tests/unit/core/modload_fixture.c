/*
 * Test support for test_modload.c: the smallest module there is, one
 * table whose first member is its version (modload.h), built beside the
 * test program, where module_load() looks first.
 */
struct fixture_api {
	unsigned version;
	const char *name;
};

extern const struct fixture_api clerk_fixture_api;
const struct fixture_api clerk_fixture_api = {7, "fixture"};
