/*
 * Unit tests of device.c: the device authorization answer, the
 * classification of token answers while polling, and whole flows against
 * the in-process server on 127.0.0.1 (denied, expired, signed in).
 * The real provider's device flow and slow_down timing are covered by
 * tests/integration/test_headless.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "device.h"
#include "discovery.h"
#include "error.h"
#include "httpd.h"
#include "tokenset.h"
#include "util.h"

#define OK_ANSWER                                                         \
	"{\"device_code\":\"dc-secret-123\",\"user_code\":\"WDJB-MJHT\"," \
	"\"verification_uri\":\"https://id.example.test/device\","        \
	"\"verification_uri_complete\":"                                  \
	"\"https://id.example.test/device?user_code=WDJB-MJHT\","         \
	"\"expires_in\":600,\"interval\":3}"

static const struct {
	const char *name;
	long status;
	const char *body;
	int result;
	int interval;    /* expected on success */
	int64_t expires; /* expected on success */
	bool complete;   /* verification_uri_complete kept */
} parse_cases[] = {
        {"full answer", 200, OK_ANSWER, 0, 3, 600, true},
        {"no interval: 5 s, no expiry", 200,
         "{\"device_code\":\"d\",\"user_code\":\"AB CD\","
         "\"verification_uri\":\"https://x.test/d\"}",
         0, 5, 0, false},
        {"Google's verification_url and numeric strings", 200,
         "{\"device_code\":\"d\",\"user_code\":\"ABCD\","
         "\"verification_url\":\"https://x.test/d\","
         "\"expires_in\":\"1800\",\"interval\":\"7\"}",
         0, 7, 1800, false},
        {"interval 0 means the default", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"http://127.0.0.1:9/d\",\"interval\":0}",
         0, 5, 0, false},
        {"error answer", 400,
         "{\"error\":\"unauthorized_client\","
         "\"error_description\":\"device grant off\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"HTTP 500", 500, "oops", CLERK_EPROVIDER, 0, 0, false},
        {"not JSON", 200, "<html>", CLERK_EPROVIDER, 0, 0, false},
        {"no device_code", 200,
         "{\"user_code\":\"A\",\"verification_uri\":\"https://x.test/d\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"device_code with a space", 200,
         "{\"device_code\":\"a b\",\"user_code\":\"A\","
         "\"verification_uri\":\"https://x.test/d\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"user_code with an escape", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\\u001b[2J\","
         "\"verification_uri\":\"https://x.test/d\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"user_code too long", 200,
         "{\"device_code\":\"d\",\"user_code\":"
         "\"0123456789012345678901234567890123456789012345678901234567890"
         "12345\",\"verification_uri\":\"https://x.test/d\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"plain http off loopback", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"http://x.test/d\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"bad complete URI", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"https://x.test/d\","
         "\"verification_uri_complete\":\"javascript:alert(1)\"}",
         CLERK_EPROVIDER, 0, 0, false},
        {"no verification_uri", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\"}", CLERK_EPROVIDER, 0, 0,
         false},
        {"expires_in zero", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"https://x.test/d\",\"expires_in\":0}",
         CLERK_EPROVIDER, 0, 0, false},
        {"interval too long", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"https://x.test/d\",\"interval\":301}",
         CLERK_EPROVIDER, 0, 0, false},
        {"interval a fraction", 200,
         "{\"device_code\":\"d\",\"user_code\":\"A\","
         "\"verification_uri\":\"https://x.test/d\",\"interval\":1.5}",
         CLERK_EPROVIDER, 0, 0, false},
};

static void
test_parse_authorization(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		struct device_auth da = {0};
		const char *body = parse_cases[i].body;
		int r = device_parse_authorization(parse_cases[i].status, body,
		                                   strlen(body), &da);

		if (r != parse_cases[i].result)
			fail_msg("%s: got %d, want %d", parse_cases[i].name, r,
			         parse_cases[i].result);
		if (r) {
			assert_null(da.device_code);
			continue;
		}
		assert_non_null(da.device_code);
		assert_non_null(da.user_code);
		assert_non_null(da.verification_uri);
		assert_int_equal(da.interval, parse_cases[i].interval);
		assert_int_equal(da.expires_in, parse_cases[i].expires);
		assert_int_equal(da.verification_uri_complete != NULL,
		                 parse_cases[i].complete);
		device_auth_release(&da);
	}
}

static const struct {
	long status;
	const char *body;
	enum device_poll want;
} classify_cases[] = {
        {400, "{\"error\":\"authorization_pending\"}", DEVICE_POLL_PENDING},
        {400, "{\"error\":\"slow_down\"}", DEVICE_POLL_SLOW_DOWN},
        {400, "{\"error\":\"access_denied\"}", DEVICE_POLL_DENIED},
        {400, "{\"error\":\"expired_token\"}", DEVICE_POLL_EXPIRED},
        {401, "{\"error\":\"slow_down\"}", DEVICE_POLL_SLOW_DOWN},
        {400, "{\"error\":\"invalid_grant\"}", DEVICE_POLL_DONE},
        {400, "{\"error\":42}", DEVICE_POLL_DONE},
        {400, "not json", DEVICE_POLL_DONE},
        {200, "{\"access_token\":\"t\"}", DEVICE_POLL_DONE},
        /* Only 4xx answers are polling answers. */
        {500, "{\"error\":\"authorization_pending\"}", DEVICE_POLL_DONE},
        {200, "{\"error\":\"slow_down\"}", DEVICE_POLL_DONE},
};

static void
test_classify(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(classify_cases) / sizeof(classify_cases[0]);
	     i++) {
		const char *b = classify_cases[i].body;

		if (device_poll_classify(classify_cases[i].status, b,
		                         strlen(b)) != classify_cases[i].want)
			fail_msg("case %zu (%ld %s)", i,
			         classify_cases[i].status, b);
	}
	assert_int_equal(device_poll_classify(400, NULL, 0), DEVICE_POLL_DONE);
}

/* --- whole flows against the in-process server ------------------- */

#define DEVICE_FAST                                                       \
	"{\"device_code\":\"dc-secret-123\",\"user_code\":\"WDJB-MJHT\"," \
	"\"verification_uri\":\"http://127.0.0.1:9/device\","             \
	"\"expires_in\":%s,\"interval\":1}"

struct flow_case {
	const char *name;
	const char *expires_in;
	int token_status;
	const char *token_body;
	int result;
	int min_requests; /* device authorization + token polls */
};

static const struct flow_case flow_cases[] = {
        {"denied", "30", 400, "{\"error\":\"access_denied\"}", CLERK_EDENIED,
         2},
        {"expired_token", "30", 400, "{\"error\":\"expired_token\"}",
         CLERK_ETIMEOUT, 2},
        {"the code's life runs out", "1", 400,
         "{\"error\":\"authorization_pending\"}", CLERK_ETIMEOUT, 1},
        {"other error", "30", 400, "{\"error\":\"invalid_client\"}",
         CLERK_EPROVIDER, 2},
        {"signed in", "30", 200,
         "{\"access_token\":\"at-1\",\"token_type\":\"Bearer\","
         "\"expires_in\":3600,\"refresh_token\":\"rt-1\"}",
         0, 2},
};

static void
run_flow(const struct flow_case *fc)
{
	char device_body[512], base[64], dev[96], tok[96];
	struct httpd_route routes[3] = {{0}};
	struct oidc_provider op = {0};
	struct tokenset ts = TOKENSET_INIT;
	struct config cfg;
	char req[4096], resource[] = "https://api.example/";
	int port, r;

	snprintf(device_body, sizeof(device_body), DEVICE_FAST, fc->expires_in);
	routes[0] = (struct httpd_route){
	        "/device",   200, "Content-Type: application/json\r\n",
	        device_body, 0,   0};
	routes[1] = (struct httpd_route){"/token",
	                                 fc->token_status,
	                                 "Content-Type: application/json\r\n",
	                                 fc->token_body,
	                                 0,
	                                 0};
	assert_int_equal(httpd_start(routes, &port), 0);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	snprintf(dev, sizeof(dev), "%s/device", base);
	snprintf(tok, sizeof(tok), "%s/token", base);
	op.issuer = base;
	op.token_endpoint = tok;
	op.device_authorization_endpoint = dev;
	config_init(&cfg);
	cfg.issuer = base;
	cfg.client_id = "cid";
	cfg.scopes = "offline_access";
	cfg.timeout = 20;
	cfg.quiet = true;
	/* RFC 8707: every poll names the resource. */
	cfg.resource = resource;

	r = device_signin(&cfg, &op, &ts);
	if (r != fc->result)
		fail_msg("%s: got %d, want %d", fc->name, r, fc->result);
	if (httpd_requests() < fc->min_requests)
		fail_msg("%s: %d requests", fc->name, httpd_requests());
	if (fc->min_requests > 1) {
		/* The last request was a poll, with the device code. */
		httpd_last_request(req, sizeof(req));
		assert_non_null(strstr(req, "POST /token"));
		assert_non_null(strstr(req,
		                       "grant_type=urn%3Aietf%3Aparams%3A"
		                       "oauth%3Agrant-type%3Adevice_code"));
		assert_non_null(strstr(req, "device_code=dc-secret-123"));
		assert_non_null(strstr(req, "client_id=cid"));
		assert_non_null(strstr(req, "&resource=https%3A%2F%2F"
		                            "api.example%2F"));
	}
	if (r == 0) {
		assert_string_equal(ts.access_token, "at-1");
		assert_string_equal(ts.refresh_token, "rt-1");
	} else {
		assert_null(ts.access_token);
	}
	tokenset_release(&ts);
	httpd_stop();
}

static void
test_flows(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flow_cases) / sizeof(flow_cases[0]); i++)
		run_flow(&flow_cases[i]);
}

static void
test_no_device_endpoint(void **state)
{
	struct oidc_provider op = {0};
	struct tokenset ts = TOKENSET_INIT;
	struct config cfg;

	(void)state;
	config_init(&cfg);
	cfg.issuer = "https://id.example.test";
	cfg.client_id = "cid";
	cfg.timeout = 5;
	op.issuer = cfg.issuer;
	op.token_endpoint = "https://id.example.test/token";
	assert_int_equal(device_signin(&cfg, &op, &ts), CLERK_ECONFIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_authorization),
	        cmocka_unit_test(test_classify),
	        cmocka_unit_test(test_flows),
	        cmocka_unit_test(test_no_device_endpoint),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
