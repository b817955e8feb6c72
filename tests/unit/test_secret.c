/*
 * Unit tests: secrets are wiped before their memory is freed (contract §13).
 *
 * Linked with -Wl,--wrap=free,--wrap=realloc: every free() and realloc()
 * from the helper's code (and from cJSON, which frees through the json
 * module's hook) passes through the wrappers below, which look for MARKER
 * in the whole block before handing it on (realloc() may move a block and
 * free the old one unwiped, so a secret must never go there). Each case puts
 * MARKER into tokens, codes or verifiers, runs a module's code path over them
 * and checks that no block still held it when it was freed. The first case
 * frees a marked block without wiping, to prove the check sees it.
 *
 * libcurl allocates through the http module's wiping callbacks
 * (curl_global_init_mem), so its buffers are checked too: the refresh
 * case sends and receives tokens over HTTP. Not covered: what GnuTLS
 * allocates and frees itself (TLS records; the test talks plain HTTP).
 */
#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "callback.h"
#include "httpreq.h"
#include "config.h"
#include "discovery.h"
#include "error.h"
#include "fileio.h"
#include "fixture.h"
#include "httpd.h"
#include "json.h"
#include "listener.h"
#include "log.h"
#include "oauth.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#endif
#endif
#ifndef VALGRIND_MAKE_MEM_DEFINED
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#define MARKER "S3cr3t-M4rker-7f1c9a"
#define STATE  "St4te-of-this-sign-in_x"

void __real_free(void *p);
void __wrap_free(void *p);
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

static unsigned long marked_frees;

static void
inspect(void *p)
{
	size_t n;

	if (!p)
		return;
	n = malloc_usable_size(p);
	/* Under valgrind: the block's never-written bytes are scanned too. */
	VALGRIND_MAKE_MEM_DEFINED(p, n);
	if (n >= sizeof(MARKER) - 1 && memmem(p, n, MARKER, sizeof(MARKER) - 1))
		marked_frees++;
}

void
__wrap_free(void *p)
{
	inspect(p);
	__real_free(p);
}

/* realloc() may free the old block unwiped: a secret must never go there. */
void *
__wrap_realloc(void *p, size_t n)
{
	inspect(p);
	return __real_realloc(p, n);
}

static char tmpdir[] = "/tmp/clerk-test-secret-XXXXXX";
static struct config cfg;

static int
setup(void **state)
{
	(void)state;
	log_set_silent(true);
	if (fixture_setup(tmpdir, &cfg))
		return -1;
	str_set(&cfg.issuer, "http://127.0.0.1:1");
	str_set(&cfg.scopes, "openid offline_access");
	cfg.storage = STORAGE_FILE;
	cfg.timeout = 5;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return fixture_teardown(tmpdir, &cfg);
}

static int
reset(void **state)
{
	(void)state;
	marked_frees = 0;
	return 0;
}

/* A token set whose three tokens carry MARKER. */
static void
marked_tokenset(struct tokenset *ts)
{
	tokenset_init(ts);
	assert_int_equal(str_set(&ts->issuer, cfg.issuer), 0);
	assert_int_equal(str_set(&ts->client_id, cfg.client_id), 0);
	assert_int_equal(str_set(&ts->profile, cfg.profile), 0);
	assert_int_equal(str_set_secret(&ts->access_token, "at-" MARKER), 0);
	assert_int_equal(str_set_secret(&ts->refresh_token, "rt-" MARKER), 0);
	assert_int_equal(str_set_secret(&ts->id_token, "id-" MARKER), 0);
	ts->expires_at = 4000000000;
}

/* The check itself: plain frees and reallocs of marked memory are seen. */
static void
test_unwiped_free_is_seen(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	char *p = strdup("x-" MARKER);
	int i;

	(void)state;
	assert_non_null(p);
	free(p);
	assert_int_equal(marked_frees, 1);
	assert_int_equal(strbuf_adds(&sb, MARKER), 0);
	strbuf_release(&sb);
	assert_int_equal(marked_frees, 2);
	/* A buffer not marked secret grows through realloc(). */
	assert_int_equal(strbuf_adds(&sb, MARKER), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(strbuf_adds(&sb, "0123456789abcdef"), 0);
	assert_true(marked_frees > 2);
	secret_wipe(sb.buf, sb.alloc);
	strbuf_release(&sb);
}

static void
test_secret_free_and_strbuf(void **state)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char *p = strdup(MARKER), *q = NULL;
	int i;

	(void)state;
	assert_non_null(p);
	secret_free(p);
	/* Many reallocations: no old copy may be freed unwiped. */
	for (i = 0; i < 200; i++)
		assert_int_equal(strbuf_adds(&sb, MARKER), 0);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_adds(&sb, MARKER), 0);
	assert_int_equal(strbuf_detach(&sb, &q), 0);
	secret_free(q);
	assert_int_equal(strbuf_addf(&sb, "%s", MARKER), 0);
	strbuf_release(&sb);
	p = NULL;
	assert_int_equal(str_set_secret(&p, MARKER), 0);
	assert_int_equal(str_set_secret(&p, "other " MARKER), 0);
	assert_int_equal(str_set_secret(&p, NULL), 0);
	assert_int_equal(marked_frees, 0);
}

static void
test_tokenset_json(void **state)
{
	struct tokenset ts, back = TOKENSET_INIT, moved = TOKENSET_INIT;
	char *json = NULL;

	(void)state;
	marked_tokenset(&ts);
	assert_int_equal(tokenset_to_json(&ts, &json), 0);
	assert_int_equal(tokenset_from_json(json, strlen(json), &back), 0);
	assert_string_equal(back.refresh_token, ts.refresh_token);
	secret_free(json);
	tokenset_move(&moved, &back);
	tokenset_move(&moved, &ts);
	tokenset_release(&moved);
	tokenset_release(&back);
	tokenset_release(&ts);
	assert_int_equal(marked_frees, 0);
}

static void
test_json_documents(void **state)
{
	static const char doc[] = "{\"access_token\":\"" MARKER "\","
	                          "\"nested\":{\"a\":[\"" MARKER "\"]}}";
	struct json *j = json_parse(doc, strlen(doc)), *copy;
	char *out = NULL;

	(void)state;
	assert_non_null(j);
	assert_non_null(copy = json_dup(j));
	assert_int_equal(json_add_string(copy, "more", MARKER), 0);
	assert_int_equal(json_print(copy, false, &out), 0);
	assert_non_null(strstr(out, MARKER));
	secret_free(out);
	json_remove(copy, "access_token");
	json_free(copy);
	json_free(j);
	assert_int_equal(marked_frees, 0);
}

static void
test_file_store_and_cache(void **state)
{
	struct tokenset ts, back = TOKENSET_INIT;
	struct store *st = NULL;
	char *token = NULL;
	int64_t exp = 0;

	(void)state;
	marked_tokenset(&ts);
	assert_int_equal(store_open(&cfg, &st), 0);
	assert_int_equal(store_save(st, &ts), 0);
	assert_int_equal(store_load(st, &back), 0);
	assert_string_equal(back.access_token, ts.access_token);
	assert_int_equal(cache_write(&cfg, ts.access_token, ts.expires_at), 0);
	assert_int_equal(cache_read(&cfg, &token, &exp), 0);
	assert_string_equal(token, ts.access_token);
	secret_free(token);
	assert_int_equal(cache_drop(&cfg, NULL), 0);
	assert_int_equal(store_clear(st), 0);
	store_close(st);
	tokenset_release(&back);
	tokenset_release(&ts);
	assert_int_equal(marked_frees, 0);
}

static void
test_token_response(void **state)
{
	static const char ok[] =
	        "{\"access_token\":\"at-" MARKER "\",\"token_type\":\"Bearer\","
	        "\"expires_in\":3600,\"refresh_token\":\"rt-" MARKER "\","
	        "\"id_token\":\"id-" MARKER "\",\"scope\":\"openid\"}";
	static const char bad[] = "{\"access_token\":\"" MARKER "\","
	                          "\"token_type\":\"Bearer\","
	                          "\"expires_in\":\"soon\"}";
	struct tokenset ts = TOKENSET_INIT;

	(void)state;
	assert_int_equal(oauth_parse_token_response(200, ok, strlen(ok),
	                                            1700000000, &ts),
	                 0);
	assert_string_equal(ts.refresh_token, "rt-" MARKER);
	/* A refused answer is dropped, wiped too. */
	assert_int_not_equal(oauth_parse_token_response(200, bad, strlen(bad),
	                                                1700000000, &ts),
	                     0);
	tokenset_release(&ts);
	assert_int_equal(marked_frees, 0);
}

/* The whole refresh exchange over HTTP: request and response bodies. */
static void
test_refresh_exchange(void **state)
{
	static const struct httpd_route routes[] = {
	        {"/oauth/token", 200, "Content-Type: application/json\r\n",
	         "{\"access_token\":\"at2-" MARKER "\",\"token_type\":"
	         "\"Bearer\",\"expires_in\":3600,\"refresh_token\":"
	         "\"rt2-" MARKER "\"}",
	         0, 0},
	        {NULL, 0, NULL, NULL, 0, 0},
	};
	struct oidc_provider op = {0};
	struct tokenset ts;
	char issuer[64], req[4096];
	int port;

	(void)state;
	assert_int_equal(httpd_start(routes, &port), 0);
	snprintf(issuer, sizeof(issuer), "http://127.0.0.1:%d", port);
	assert_int_equal(discovery_fallback(issuer, &op), 0);
	marked_tokenset(&ts);
	assert_int_equal(oauth_refresh(&cfg, &op, &ts), 0);
	httpd_last_request(req, sizeof(req));
	httpd_stop();
	assert_non_null(strstr(req, "rt-" MARKER));
	assert_string_equal(ts.refresh_token, "rt2-" MARKER);
	secret_wipe(req, sizeof(req));
	tokenset_release(&ts);
	oidc_provider_release(&op);
	assert_int_equal(marked_frees, 0);
}

static void
test_callback_parse(void **state)
{
	static const char head[] =
	        "GET /callback?code=c-" MARKER "&state=" STATE
	        " HTTP/1.1\r\nHost: 127.0.0.1:5\r\n\r\n";
	struct http_request req = {0};
	struct callback_params cb = {0};

	(void)state;
	assert_int_equal(http_request_parse(head, strlen(head), &req),
	                 HTTP_PARSE_OK);
	assert_int_equal(callback_parse_query(req.query, &cb), 0);
	assert_string_equal(cb.code, "c-" MARKER);
	callback_params_release(&cb);
	http_request_release(&req);
	assert_int_equal(marked_frees, 0);
}

static int
client_send(int port, const char *text)
{
	struct sockaddr_in sa = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, text, strlen(text), 0),
	                 (ssize_t)strlen(text));
	return fd;
}

/* The real listener: the code arrives in a socket buffer and leaves. */
static void
test_listener_callback(void **state)
{
	struct callback_params cb = {0};
	struct listener *l = NULL;
	char head[256];
	int port, fd, stray;

	(void)state;
	assert_int_equal(listener_open(0, &l, &port), 0);
	snprintf(head, sizeof(head),
	         "GET /callback?code=x-" MARKER "&state=wrong HTTP/1.1\r\n"
	         "Host: 127.0.0.1:%d\r\n\r\n",
	         port);
	stray = client_send(port, head);
	snprintf(head, sizeof(head),
	         "GET /callback?code=c-" MARKER "&state=" STATE " HTTP/1.1\r\n"
	         "Host: 127.0.0.1:%d\r\n\r\n",
	         port);
	fd = client_send(port, head);
	assert_int_equal(listener_wait(l, STATE, NULL, false, 5, &cb), 0);
	listener_close(l);
	close(fd);
	close(stray);
	assert_string_equal(cb.code, "c-" MARKER);
	callback_params_release(&cb);
	secret_wipe(head, sizeof(head));
	assert_int_equal(marked_frees, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup(test_unwiped_free_is_seen, reset),
	        cmocka_unit_test_setup(test_secret_free_and_strbuf, reset),
	        cmocka_unit_test_setup(test_tokenset_json, reset),
	        cmocka_unit_test_setup(test_json_documents, reset),
	        cmocka_unit_test_setup(test_file_store_and_cache, reset),
	        cmocka_unit_test_setup(test_token_response, reset),
	        cmocka_unit_test_setup(test_refresh_exchange, reset),
	        cmocka_unit_test_setup(test_callback_parse, reset),
	        cmocka_unit_test_setup(test_listener_callback, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
