/*
 * See http.h.
 *
 * MUST: verify TLS peer and host; allow only the http and https
 * protocols; follow no redirect; stop reading a body past HTTP_MAX_BODY;
 * keep response bodies in wiped buffers; route every libcurl allocation
 * through allocators that wipe on free, because curl's own copies of the
 * form, the Authorization header and the received bytes hold secrets.
 * MUST NOT: log a body, a form, a bearer token or a header value; ask for
 * compressed answers (no decompression bombs).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* malloc_usable_size */
#endif
#include "http.h"

#include <curl/curl.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "log.h"
#include "util.h"

#include "banned.h"

#ifndef CLERK_VERSION
#error "the build must define CLERK_VERSION"
#endif

#define HTTP_USER_AGENT      "clerk-credential/" CLERK_VERSION
#define HTTP_CONNECT_TIMEOUT 10L
#define HTTP_TIMEOUT         30L
#define HTTP_MAX_URL         8192
#define HTTP_MAX_BEARER      (64 * 1024)
#define HTTP_MAX_RETRY_AFTER (7 * 86400)
#define HTTP_MAX_NOPROXY     (64 * 1024)

/* ca_file, set by http_set_ca_file(); NULL: see ca_choose(). */
static char *ca_file;

/* libcurl allocators that wipe what they free (see the top of the file). */
static void
wipe_free(void *p)
{
	secret_free(p);
}

static void *
wipe_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(n);
	if (n == 0) {
		secret_free(p);
		return NULL;
	}
	old = malloc_usable_size(p);
	if (!(q = malloc(n)))
		return NULL;
	memcpy(q, p, old < n ? old : n);
	secret_free(p);
	return q;
}

static char *
wipe_strdup(const char *s)
{
	return strdup(s);
}

/* Once per process; the program is single-threaded. */
static int
http_global_init(void)
{
	static bool done;
	CURLcode c;

	if (done)
		return 0;
	c = curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wipe_free,
	                         wipe_realloc, wipe_strdup, calloc);
	if (c != CURLE_OK) {
		log_error("http setup failed: %s (libcurl is unusable)",
		          curl_easy_strerror(c));
		return CLERK_EINTERNAL;
	}
	done = true;
	return 0;
}

void
http_response_release(struct http_response *resp)
{
	secret_free(resp->body);
	free(resp->content_type);
	secret_free(resp->location);
	resp->body = NULL;
	resp->content_type = NULL;
	resp->location = NULL;
	resp->date = 0;
	resp->len = 0;
	resp->status = 0;
	resp->retry_after = -1;
}

int
http_set_ca_file(const char *path)
{
	char *copy = NULL;

	if (path && !(copy = strdup(path)))
		return CLERK_ENOMEM;
	free(ca_file);
	ca_file = copy;
	return 0;
}

/* --- URL policy ------------------------------------------------------ */

static bool
host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* A bracketed IPv6 literal: "[" hex, ':' and '.' "]". */
static bool
ipv6_literal_ok(const char *h, size_t n)
{
	size_t i;

	if (n < 4 || h[0] != '[' || h[n - 1] != ']')
		return false;
	for (i = 1; i + 1 < n; i++) {
		char c = h[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == ':' || c == '.'))
			return false;
	}
	return true;
}

static bool
port_ok(const char *p, size_t n)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/*
 * Split the authority "host[:port]" (@a, @n bytes) and check both; on
 * success *@host and *@hostlen delimit the host (brackets included).
 */
static bool
authority_ok(const char *a, size_t n, const char **host, size_t *hostlen)
{
	const char *colon = NULL;
	size_t hn, i;

	if (n == 0 || memchr(a, '@', n) || memchr(a, '%', n))
		return false;
	if (a[0] == '[') {
		const char *end = memchr(a, ']', n);

		if (!end)
			return false;
		hn = (size_t)(end - a) + 1;
		if (!ipv6_literal_ok(a, hn))
			return false;
		if (hn < n && a[hn] != ':')
			return false;
		colon = hn < n ? a + hn : NULL;
	} else {
		colon = memchr(a, ':', n);
		hn = colon ? (size_t)(colon - a) : n;
		for (i = 0; i < hn; i++)
			if (!host_char_ok(a[i]))
				return false;
		if (hn == 0)
			return false;
	}
	if (colon && !port_ok(colon + 1, n - (size_t)(colon + 1 - a)))
		return false;
	*host = a;
	*hostlen = hn;
	return true;
}

static bool
host_is_loopback(const char *h, size_t n)
{
	return (n == 9 && memcmp(h, "127.0.0.1", 9) == 0) ||
	       (n == 5 && memcmp(h, "[::1]", 5) == 0) ||
	       (n == 9 && strncasecmp(h, "localhost", 9) == 0);
}

bool
http_url_allowed(const char *url)
{
	const char *p, *auth, *host;
	size_t n, hostlen;
	bool https;

	if (!url)
		return false;
	for (n = 0; url[n]; n++) {
		unsigned char c = (unsigned char)url[n];

		/* No blanks, controls, non-ASCII or '\' (parser confusion). */
		if (n >= HTTP_MAX_URL || c <= 0x20 || c >= 0x7f || c == '\\')
			return false;
	}
	if (str_starts_with(url, "https://"))
		https = true;
	else if (str_starts_with(url, "http://"))
		https = false;
	else
		return false;
	auth = strstr(url, "://") + 3;
	p = auth + strcspn(auth, "/?#");
	if (!authority_ok(auth, (size_t)(p - auth), &host, &hostlen))
		return false;
	return https || host_is_loopback(host, hostlen);
}

/* --- Requests -------------------------------------------------------- */

struct sink {
	struct strbuf body;
	size_t max; /* the largest body taken, at most HTTP_MAX_BODY */
	bool too_big;
	bool nomem;
};

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb; /* curl: size is always 1 */

	if (size != 1 || n > s->max - s->body.len) {
		s->too_big = true;
		return 0; /* aborts the transfer */
	}
	if (strbuf_add(&s->body, data, n)) {
		s->nomem = true;
		return 0;
	}
	return n;
}

/* Retry-After in its delta-seconds form; -1 when absent or a date. */
static long
retry_after(CURL *curl)
{
	struct curl_header *h = NULL;
	CURLHcode hc;
	const char *v;
	int64_t secs;

	hc = curl_easy_header(curl, "Retry-After", 0, CURLH_HEADER, -1, &h);
	if (hc != CURLHE_OK || !h || !h->value)
		return -1;
	v = h->value + strspn(h->value, " \t");
	if (parse_int64(v, 0, HTTP_MAX_RETRY_AFTER, &secs))
		return -1;
	return (long)secs;
}

/* A header's value, when present and under @max bytes. */
static const char *
header_value(CURL *curl, const char *name, size_t max)
{
	struct curl_header *h = NULL;

	if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &h) !=
	            CURLHE_OK ||
	    !h || !h->value || strnlen(h->value, max) >= max)
		return NULL;
	return h->value;
}

/* The Date header (RFC 9110 IMF-fixdate) in Unix seconds; 0 when none. */
static int64_t
date_header(CURL *curl)
{
	const char *v = header_value(curl, "Date", 64);
	time_t t;

	if (!v || (t = curl_getdate(v, NULL)) <= 0)
		return 0;
	return (int64_t)t;
}

/*
 * The CA certificates to trust: ca_file when set, else as curl's tool
 * reads the environment: CURL_CA_BUNDLE, else SSL_CERT_DIR and
 * SSL_CERT_FILE; else libcurl's built-in bundle. For the server and for
 * an https proxy alike.
 */
static void
ca_choose(const char **file, const char **dir)
{
	const char *v;

	*file = *dir = NULL;
	if (ca_file) {
		*file = ca_file;
		return;
	}
	if ((v = getenv("CURL_CA_BUNDLE")) && *v) {
		*file = v;
		return;
	}
	if ((v = getenv("SSL_CERT_DIR")) && *v)
		*dir = v;
	if ((v = getenv("SSL_CERT_FILE")) && *v)
		*file = v;
}

/* A failure of TLS itself: the peer, its name or its protocol refused. */
static bool
tls_failure(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

static int
curl_failure(CURLcode c, const struct sink *s, const char *method,
             const char *url, const char *errbuf)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(c);
	const char *cafile, *cadir;

	if (s->nomem || c == CURLE_OUT_OF_MEMORY) {
		log_error("%s %s failed: out of memory", method, url);
		return CLERK_ENOMEM;
	}
	if (s->too_big || c == CURLE_FILESIZE_EXCEEDED) {
		log_error("%s %s failed: the answer is over %zu bytes "
		          "(check the issuer URL)",
		          method, url, s->max);
		return CLERK_EPROTO;
	}
	if (c == CURLE_URL_MALFORMAT || c == CURLE_UNSUPPORTED_PROTOCOL) {
		log_error("%s %s failed: %s (check the issuer URL)", method,
		          url, why);
		return CLERK_ECONFIG;
	}
	if (c == CURLE_SSL_CACERT_BADFILE) {
		ca_choose(&cafile, &cadir);
		log_error(
		        "%s %s failed: cannot use the CA certificates in %s%s%s "
		        "(check ca_file, CURL_CA_BUNDLE, SSL_CERT_FILE and "
		        "SSL_CERT_DIR)",
		        method, url, cafile ? cafile : "",
		        cafile && cadir ? " and " : "", cadir ? cadir : "");
		return CLERK_ECONFIG;
	}
	if (tls_failure(c)) {
		log_error("TLS with %s failed: %s (if a company proxy or a "
		          "private CA is in the way, set ca_file or "
		          "CURL_CA_BUNDLE to its CA certificate; see "
		          "clerk-credential(1))",
		          url, why);
		return CLERK_ETLS;
	}
	log_error("cannot reach %s: %s (check the network and the issuer "
	          "URL)",
	          url, why);
	return CLERK_ENET;
}

/*
 * The hosts that never go through a proxy: the user's no_proxy (or
 * NO_PROXY), then loopback, which libcurl would otherwise send to the
 * proxy. CURLOPT_NOPROXY replaces the variable, so it must carry it.
 */
static int
noproxy_build(struct strbuf *sb)
{
	const char *user = getenv("no_proxy");

	if (!user || !*user)
		user = getenv("NO_PROXY");
	if (user && strnlen(user, HTTP_MAX_NOPROXY + 1) > HTTP_MAX_NOPROXY) {
		log_error("no_proxy is longer than %d bytes (shorten it)",
		          HTTP_MAX_NOPROXY);
		return CLERK_ECONFIG;
	}
	/* "*" alone means every host; it takes nothing beside it. */
	if (user && strcmp(user, "*") == 0)
		return strbuf_adds(sb, user);
	if (user && *user && (strbuf_adds(sb, user) || strbuf_addch(sb, ',')))
		return CLERK_ENOMEM;
	return strbuf_adds(sb, "localhost,127.0.0.1,::1");
}

static int
set_options(CURL *curl, const char *url, struct curl_slist *headers,
            struct sink *sink, char *errbuf, const char *noproxy)
{
	const char *cafile, *cadir;
	CURLcode c = CURLE_OK;

#define SET(opt, val)                                         \
	do {                                                  \
		if (c == CURLE_OK)                            \
			c = curl_easy_setopt(curl, opt, val); \
	} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SET(CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT);
	SET(CURLOPT_TIMEOUT, HTTP_TIMEOUT);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink->max);
	SET(CURLOPT_USERAGENT, HTTP_USER_AGENT);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_NOPROXY, noproxy);
	ca_choose(&cafile, &cadir);
	if (cafile) {
		SET(CURLOPT_CAINFO, cafile);
		SET(CURLOPT_PROXY_CAINFO, cafile);
	}
	if (cadir) {
		SET(CURLOPT_CAPATH, cadir);
		SET(CURLOPT_PROXY_CAPATH, cadir);
	}
	if (cafile || cadir)
		log_debug("http: trusting the CA certificates in %s%s%s",
		          cafile ? cafile : "", cafile && cadir ? " and " : "",
		          cadir ? cadir : "");
#undef SET
	if (c != CURLE_OK) {
		log_error("http setup failed: %s", curl_easy_strerror(c));
		return CLERK_EINTERNAL;
	}
	return 0;
}

/* Collect status, headers and body into @out after a completed request. */
static int
take_response(CURL *curl, struct sink *sink, struct http_response *out)
{
	struct http_response resp = HTTP_RESPONSE_INIT;
	const char *loc;
	char *ctype = NULL;
	int r;

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK)
		ctype = NULL;
	if (ctype &&
	    !(resp.content_type = str_ndup(ctype, strnlen(ctype, 256))))
		return CLERK_ENOMEM;
	resp.retry_after = retry_after(curl);
	resp.date = date_header(curl);
	if ((loc = header_value(curl, "Location", 8192)) &&
	    !(resp.location = str_ndup(loc, strlen(loc)))) {
		http_response_release(&resp);
		return CLERK_ENOMEM;
	}
	resp.len = sink->body.len;
	/* Adding nothing still allocates and NUL-terminates an empty body. */
	if ((r = strbuf_add(&sink->body, "", 0)) ||
	    (r = strbuf_detach(&sink->body, &resp.body))) {
		http_response_release(&resp);
		return r;
	}
	http_response_release(out);
	*out = resp;
	return 0;
}

/*
 * One request: GET when @form is NULL, else POST of @form; an answer over
 * @max bytes is refused. @headers is taken over. http_global_init() has
 * run (curl_slist_append allocates).
 */
static int
perform(const char *method, const char *url, const char *form,
        struct curl_slist *headers, size_t max, struct http_response *out)
{
	struct sink sink = {STRBUF_INIT_SECRET, max, false, false};
	struct strbuf noproxy = STRBUF_INIT;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *curl = NULL;
	CURLcode c;
	int r;

	if ((r = noproxy_build(&noproxy)))
		goto out;
	if (!(curl = curl_easy_init())) {
		r = CLERK_ENOMEM;
		goto out;
	}
	if ((r = set_options(curl, url, headers, &sink, errbuf, noproxy.buf)))
		goto out;
	if (form &&
	    (curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
	                      (curl_off_t)strlen(form)) != CURLE_OK ||
	     curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form) != CURLE_OK)) {
		r = CLERK_EINTERNAL;
		goto out;
	}
	log_debug("http: %s %s", method, url);
	if ((c = curl_easy_perform(curl)) != CURLE_OK) {
		r = curl_failure(c, &sink, method, url, errbuf);
		goto out;
	}
	if ((r = take_response(curl, &sink, out)))
		goto out;
	log_debug("http: %s %s: status %ld", method, url, out->status);
out:
	curl_easy_cleanup(curl);
	curl_slist_free_all(headers);
	strbuf_release(&sink.body);
	strbuf_release(&noproxy);
	return r;
}

static int
check_url(const char *url)
{
	char shown[201];

	if (http_url_allowed(url))
		return 0;
	log_error("refusing to contact %s: only https URLs are allowed, "
	          "or http on 127.0.0.1, [::1] or localhost (check the "
	          "issuer URL)",
	          url ? str_printable(url, shown, sizeof(shown)) : "(none)");
	return CLERK_ECONFIG;
}

/* Append @line to *@list; false when out of memory. */
static bool
add_header(struct curl_slist **list, const char *line)
{
	struct curl_slist *l = curl_slist_append(*list, line);

	if (!l)
		return false;
	*list = l;
	return true;
}

int
http_post_form(const char *url, const char *form, struct http_response *out)
{
	struct curl_slist *h = NULL;
	int r;

	if ((r = check_url(url)))
		return r;
	if (!form)
		return CLERK_EINTERNAL;
	if ((r = http_global_init()))
		return r;
	if (!add_header(&h, "Accept: application/json") ||
	    !add_header(&h,
	                "Content-Type: application/x-www-form-urlencoded") ||
	    !add_header(&h, "Expect:")) {
		curl_slist_free_all(h);
		return CLERK_ENOMEM;
	}
	return perform("POST", url, form, h, HTTP_MAX_BODY, out);
}

static bool
bearer_ok(const char *b)
{
	size_t n;

	for (n = 0; b[n]; n++)
		if (n >= HTTP_MAX_BEARER || (unsigned char)b[n] <= 0x20 ||
		    (unsigned char)b[n] >= 0x7f)
			return false;
	return n > 0;
}

/* A GET with @bearer (or none) of an answer up to @max bytes. */
static int
get(const char *url, const char *bearer, size_t max, struct http_response *out)
{
	struct strbuf auth = STRBUF_INIT_SECRET;
	struct curl_slist *h = NULL;
	int r;

	if ((r = check_url(url)))
		return r;
	if (bearer && !bearer_ok(bearer)) {
		log_error("refusing to send a malformed access token to %s "
		          "(sign in again)",
		          url);
		return CLERK_EPROTO;
	}
	if ((r = http_global_init()))
		return r;
	r = CLERK_ENOMEM;
	if (!add_header(&h, "Accept: application/json"))
		goto out;
	if (bearer && (strbuf_addf(&auth, "Authorization: Bearer %s", bearer) ||
	               !add_header(&h, auth.buf)))
		goto out;
	r = perform("GET", url, NULL, h, max, out);
	h = NULL; /* taken over */
out:
	curl_slist_free_all(h);
	strbuf_release(&auth);
	return r;
}

int
http_get(const char *url, const char *bearer, struct http_response *out)
{
	return get(url, bearer, HTTP_MAX_BODY, out);
}

int
http_get_limited(const char *url, size_t max, struct http_response *out)
{
	return get(url, NULL, max < HTTP_MAX_BODY ? max : HTTP_MAX_BODY, out);
}
