/*
 * Unit tests: challenge.c (WWW-Authenticate, RFC 9110 §11.6.1, §11.3)
 * and the authtype rule of gitcmd.c that reads it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "challenge.h"
#include "config.h"
#include "error.h"
#include "gitcmd.h"
#include "gitproto.h"
#include "util.h"

/* "Scheme[token68]{name=value;...}|..." for comparing with a table. */
static char *
describe(const struct challenges *cs)
{
	struct strbuf sb = STRBUF_INIT;
	char *out = NULL;
	size_t i, j;

	for (i = 0; i < cs->n; i++) {
		const struct challenge *c = &cs->items[i];

		strbuf_addf(&sb, "%s%s", i ? "|" : "", c->scheme);
		if (c->token68)
			strbuf_addf(&sb, "[%s]", c->token68);
		if (c->nparams)
			strbuf_adds(&sb, "{");
		for (j = 0; j < c->nparams; j++)
			strbuf_addf(&sb, "%s%s=%s", j ? ";" : "",
			            c->params[j].name, c->params[j].value);
		if (c->nparams)
			strbuf_adds(&sb, "}");
	}
	assert_int_equal(strbuf_detach(&sb, &out), 0);
	return out;
}

static void
test_parse_table(void **state)
{
	static const struct {
		const char *in;
		const char *want; /* NULL: CLERK_EPROTO */
	} cases[] = {
	        {"Basic realm=\"git\"", "Basic{realm=git}"},
	        {"Bearer", "Bearer"},
	        {"Bearer realm=\"example\", error=\"invalid_token\", "
	         "error_description=\"The access token expired\"",
	         "Bearer{realm=example;error=invalid_token;"
	         "error_description=The access token expired}"},
	        {"Basic realm=\"a\", Bearer resource_metadata=\"https://r."
	         "example/.well-known/oauth-protected-resource\", "
	         "scope=\"read write\"",
	         "Basic{realm=a}|Bearer{resource_metadata=https://r.example/"
	         ".well-known/oauth-protected-resource;scope=read write}"},
	        /* RFC 9110's own example: two challenges, escapes. */
	        {"Newauth realm=\"apps\", type=1, title=\"Login to "
	         "\\\"apps\\\"\", Basic realm=\"simple\"",
	         "Newauth{realm=apps;type=1;title=Login to \"apps\"}|"
	         "Basic{realm=simple}"},
	        {"Negotiate YIIabc+/def==", "Negotiate[YIIabc+/def==]"},
	        {"Negotiate abc=, Basic", "Negotiate[abc=]|Basic"},
	        {"Basic, Bearer", "Basic|Bearer"},
	        {" , ,Bearer ,, ", "Bearer"},
	        {"Bearer realm = \"x\" ,scope=a", "Bearer{realm=x;scope=a}"},
	        {"Bearer\trealm=x", "Bearer{realm=x}"},
	        {"Bearer realm=\"\"", "Bearer{realm=}"},
	        {"Bearer realm=\"a\\\\b\"", "Bearer{realm=a\\b}"},
	        {"Bearer realm=\"caf\xc3\xa9\"", "Bearer{realm=caf\xc3\xa9}"},
	        {"BEARER error=invalid_token", "BEARER{error=invalid_token}"},
	        {"", ""},
	        {"Bearer realm=\"x", NULL},
	        {"Bearer realm=\"x\\", NULL},
	        {"Bearer realm=\"a\x01\"", NULL},
	        {"Bearer realm=\"a\nb\"", NULL},
	        {"\"Bearer\"", NULL},
	        {"Bearer realm=x y", NULL},
	        {"Bearer abc def", NULL},
	        /* Not a parameter without a value, but a token68. */
	        {"Bearer realm=", "Bearer[realm=]"},
	        {"Bearer realm=, x=\"", NULL},
	        {"Bearer realm=x,", "Bearer{realm=x}"},
	        {"Bearer realm=\"x\"junk", NULL},
	        {"Bearer\r", NULL},
	        {"Bearer; realm=x", NULL},
	        {"Bearer a==b", NULL},
	        {"=", NULL},
	};
	struct challenges cs = CHALLENGES_INIT;
	size_t i;
	char *got;
	int r;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("challenge: %s\n", cases[i].in);
		r = challenge_parse(&cs, cases[i].in, strlen(cases[i].in));
		if (!cases[i].want) {
			assert_int_equal(r, CLERK_EPROTO);
			assert_int_equal(cs.n, 0);
			continue;
		}
		assert_int_equal(r, 0);
		got = describe(&cs);
		assert_string_equal(got, cases[i].want);
		free(got);
		challenges_release(&cs);
	}
}

static void
test_lookup_any_case(void **state)
{
	static const char hdr[] = "Basic realm=\"r\", bEaReR Error=\"x\"";
	struct challenges cs = CHALLENGES_INIT;
	const struct challenge *c;

	(void)state;
	assert_int_equal(challenge_parse(&cs, hdr, sizeof(hdr) - 1), 0);
	assert_non_null(c = challenges_find(&cs, "Bearer"));
	assert_string_equal(challenge_param(c, "error"), "x");
	assert_null(challenge_param(c, "realm"));
	assert_null(challenges_find(&cs, "Digest"));
	challenges_release(&cs);
}

/* Headers add up; a bad one leaves the list as it was. */
static void
test_append_and_bounds(void **state)
{
	struct challenges cs = CHALLENGES_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	(void)state;
	assert_int_equal(challenge_parse(&cs, "Basic", 5), 0);
	assert_int_equal(challenge_parse(&cs, "Bearer x=\"", 10), CLERK_EPROTO);
	assert_int_equal(challenge_parse(&cs, "Bearer x=1", 10), 0);
	assert_int_equal(cs.n, 2);
	assert_string_equal(cs.items[1].scheme, "Bearer");

	/* Too many challenges over all headers. */
	for (i = 2; i < CHALLENGE_MAX_CHALLENGES; i++)
		assert_int_equal(challenge_parse(&cs, "A", 1), 0);
	assert_int_equal(challenge_parse(&cs, "B", 1), CLERK_EPROTO);
	assert_int_equal(cs.n, CHALLENGE_MAX_CHALLENGES);
	challenges_release(&cs);

	/* Too many parameters in one challenge. */
	strbuf_adds(&sb, "Bearer p0=0");
	for (i = 1; i < CHALLENGE_MAX_PARAMS; i++)
		strbuf_addf(&sb, ", p%zu=%zu", i, i);
	assert_int_equal(challenge_parse(&cs, sb.buf, sb.len), 0);
	assert_int_equal(cs.items[0].nparams, CHALLENGE_MAX_PARAMS);
	challenges_release(&cs);
	strbuf_adds(&sb, ", one=more");
	assert_int_equal(challenge_parse(&cs, sb.buf, sb.len), CLERK_EPROTO);
	assert_int_equal(cs.n, 0);

	/* One header over the bound, though well formed. */
	strbuf_reset(&sb);
	strbuf_adds(&sb, "Bearer realm=\"");
	while (sb.len <= CHALLENGE_MAX_HEADER)
		strbuf_addch(&sb, 'a');
	strbuf_addch(&sb, '"');
	assert_int_equal(challenge_parse(&cs, sb.buf, sb.len), CLERK_EPROTO);
	assert_int_equal(cs.n, 0);
	strbuf_release(&sb);
}

/* The length given is the end, whatever follows it. */
static void
test_bounded_by_len(void **state)
{
	static const char hdr[] = "Bearer realm=\"abc\"";
	struct challenges cs = CHALLENGES_INIT;

	(void)state;
	assert_int_equal(challenge_parse(&cs, hdr, 6), 0);
	assert_int_equal(cs.items[0].nparams, 0);
	challenges_release(&cs);
	assert_int_equal(challenge_parse(&cs, hdr, sizeof(hdr) - 2),
	                 CLERK_EPROTO);
	assert_int_equal(cs.n, 0);
}

/* gitcmd_wants_bearer(): git's lines and the setting decide the form. */
static void
test_authtype_rule(void **state)
{
	static const struct {
		enum authtype_kind kind;
		const char *lines;
		bool bearer;
	} cases[] = {
	        /* No capability: always username and password. */
	        {AUTHTYPE_AUTO, "host=h\n", false},
	        {AUTHTYPE_BEARER, "host=h\n", false},
	        {AUTHTYPE_BEARER, "wwwauth[]=Bearer\n", false},
	        /* The capability and no challenge: Bearer, as before. */
	        {AUTHTYPE_AUTO, "capability[]=authtype\n", true},
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Basic realm=\"git\"\n",
	         false},
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Basic realm=\"git\"\n"
	         "wwwauth[]=Bearer realm=\"git\"\n",
	         true},
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Basic realm=\"a\", "
	         "bearer\n",
	         true},
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Negotiate abc==\n", false},
	        /* A challenge that does not parse tells nothing. */
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Basic realm=\"x\n", true},
	        /* An empty wwwauth[] empties the list, as in git. */
	        {AUTHTYPE_AUTO,
	         "capability[]=authtype\nwwwauth[]=Basic\nwwwauth[]=\n", true},
	        {AUTHTYPE_BEARER,
	         "capability[]=authtype\nwwwauth[]=Basic realm=\"git\"\n",
	         true},
	        {AUTHTYPE_BASIC, "capability[]=authtype\n", false},
	        {AUTHTYPE_BASIC, "capability[]=authtype\nwwwauth[]=Bearer\n",
	         false},
	};
	struct credential c = CREDENTIAL_INIT;
	struct config cfg;
	size_t i, used;
	bool done;

	(void)state;
	config_init(&cfg);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("authtype %d: %s", (int)cases[i].kind,
		              cases[i].lines);
		cfg.authtype = cases[i].kind;
		assert_int_equal(credential_parse(cases[i].lines,
		                                  strlen(cases[i].lines), true,
		                                  &c, &used, &done),
		                 0);
		assert_int_equal(gitcmd_wants_bearer(&cfg, &c),
		                 cases[i].bearer);
		credential_release(&c);
	}
	config_release(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_table),
	        cmocka_unit_test(test_lookup_any_case),
	        cmocka_unit_test(test_append_and_bounds),
	        cmocka_unit_test(test_bounded_by_len),
	        cmocka_unit_test(test_authtype_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
