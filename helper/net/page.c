/*
 * See page.h.
 *
 * MUST: HTML-escape every byte of provider text put in a page; keep the
 * page self-contained (the CSP allows inline styles and data: images
 * only): no script, font, image or link that leaves this machine.
 * MUST NOT: put a code, a state or a query in a page.
 */
#include "page.h"

#include <string.h>

#include "error.h"

#include "banned.h"

/*
 * The page the browser shows at the end. Self-contained (the CSP allows
 * nothing but inline styles): no script, font, image or link leaves this
 * machine. Light and dark schemes, and one column that fits a phone.
 */
static const char page_head[] =
        "<!DOCTYPE html>\n"
        "<html lang=\"en\">\n"
        "<head>\n"
        "<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" "
        "content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"color-scheme\" content=\"light dark\">\n"
        "<title>Clerk sign-in</title>\n"
        "<style>\n"
        ":root{color-scheme:light dark;--bg:#f4f5f7;--card:#fff;"
        "--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--ok:#1a7f37;"
        "--bad:#cf222e;--code:#f6f8fa}\n"
        "@media (prefers-color-scheme:dark){:root{--bg:#0d1117;"
        "--card:#161b22;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;"
        "--ok:#3fb950;--bad:#ff7b72;--code:#0d1117}}\n"
        "*{box-sizing:border-box}\n"
        "body{margin:0;min-height:100vh;padding:max(1rem,6vh) 1rem;"
        "background:var(--bg);color:var(--fg);"
        "font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,"
        "sans-serif;-webkit-text-size-adjust:100%}\n"
        "main{max-width:32rem;margin:0 auto;padding:1.5rem;"
        "border:1px solid var(--line);border-radius:12px;"
        "background:var(--card);overflow-wrap:anywhere}\n"
        "h1{display:flex;align-items:center;gap:.6rem;margin:0 0 .75rem;"
        "font-size:1.35rem;line-height:1.25}\n"
        "h1 svg{flex:none;width:2rem;height:2rem}\n"
        "p{margin:.6rem 0}\n"
        ".ok{color:var(--ok)}\n"
        ".bad{color:var(--bad)}\n"
        "h1 span{color:var(--fg)}\n"
        "code{font:.95em ui-monospace,SFMono-Regular,Menlo,monospace}\n"
        ".err{margin:.75rem 0;padding:.6rem .75rem;border:1px solid "
        "var(--line);border-left:4px solid var(--bad);border-radius:6px;"
        "background:var(--code);white-space:pre-wrap}\n"
        "footer{margin-top:1.25rem;color:var(--muted);font-size:.85rem}\n"
        "</style>\n"
        "</head>\n"
        "<body>\n"
        "<main>\n";

static const char page_tail[] =
        "<footer>clerk-credential: this page was served by the helper on "
        "your machine.</footer>\n"
        "</main>\n"
        "</body>\n"
        "</html>\n";

/* The state as a heading with its mark, coloured by .ok or .bad. */
#define ICON_OK                                                              \
	"<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\"><circle cx=\"12\" " \
	"cy=\"12\" r=\"11\" fill=\"currentColor\"/><path d=\"M7 12.5l3.2 "   \
	"3.2L17 9\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.4\" "     \
	"stroke-linecap=\"round\" stroke-linejoin=\"round\"/></svg>"
#define ICON_BAD                                                             \
	"<svg viewBox=\"0 0 24 24\" aria-hidden=\"true\"><circle cx=\"12\" " \
	"cy=\"12\" r=\"11\" fill=\"currentColor\"/><path d=\"M8.5 8.5l7 "    \
	"7m0-7l-7 7\" fill=\"none\" stroke=\"#fff\" stroke-width=\"2.4\" "   \
	"stroke-linecap=\"round\"/></svg>"
#define HEAD_OK(text) "<h1 class=\"ok\">" ICON_OK "<span>" text "</span></h1>\n"
#define HEAD_BAD(text) \
	"<h1 class=\"bad\">" ICON_BAD "<span>" text "</span></h1>\n"

#define BODY_SUCCESS                                              \
	HEAD_OK("Sign-in complete")                               \
	"<p>Signed in. You can close this tab and return to the " \
	"terminal.</p>\n"
#define BODY_STALE                                                     \
	HEAD_BAD("Stale sign-in link")                                 \
	"<p>This sign-in link is stale or not from this helper.</p>\n" \
	"<p>If you are signing in, use the newest link the terminal "  \
	"printed.</p>\n"
#define BODY_MALFORMED                                                \
	HEAD_BAD("Malformed answer")                                  \
	"<p>This sign-in answer is malformed.</p>\n"                  \
	"<p>If you are signing in, use the newest link the terminal " \
	"printed.</p>\n"
#define BODY_ISS                                                       \
	HEAD_BAD("Sign-in failed")                                     \
	"<p>The answer did not come from the expected provider.</p>\n" \
	"<p>Return to the terminal for details.</p>\n"
#define BODY_NO_CODE                                    \
	HEAD_BAD("Sign-in failed")                      \
	"<p>The provider's answer holds no code.</p>\n" \
	"<p>Return to the terminal for details.</p>\n"
#define BODY_BAD_REQUEST HEAD_BAD("Bad request")
#define BODY_NOT_FOUND   HEAD_BAD("Not found")
#define BODY_METHOD      HEAD_BAD("Method not allowed")
#define BODY_TOO_BIG     HEAD_BAD("Request too large")

const char *
page_body(enum page p)
{
	switch (p) {
	case PAGE_SUCCESS:
		return BODY_SUCCESS;
	case PAGE_STALE:
		return BODY_STALE;
	case PAGE_MALFORMED:
		return BODY_MALFORMED;
	case PAGE_ISS:
		return BODY_ISS;
	case PAGE_NO_CODE:
		return BODY_NO_CODE;
	case PAGE_BAD_REQUEST:
		return BODY_BAD_REQUEST;
	case PAGE_NOT_FOUND:
		return BODY_NOT_FOUND;
	case PAGE_METHOD:
		return BODY_METHOD;
	case PAGE_TOO_BIG:
		return BODY_TOO_BIG;
	}
	return BODY_BAD_REQUEST;
}

static const char *
status_reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	default:
		return "Error";
	}
}

static int
html_escape(struct strbuf *sb, const char *s)
{
	int r = 0;

	for (; *s && !r; s++) {
		switch (*s) {
		case '&':
			r = strbuf_adds(sb, "&amp;");
			break;
		case '<':
			r = strbuf_adds(sb, "&lt;");
			break;
		case '>':
			r = strbuf_adds(sb, "&gt;");
			break;
		case '"':
			r = strbuf_adds(sb, "&quot;");
			break;
		case '\'':
			r = strbuf_adds(sb, "&#39;");
			break;
		default:
			r = strbuf_addch(sb, *s);
			break;
		}
	}
	return r;
}

int
page_error(struct strbuf *sb, const char *error, const char *description,
           bool denied)
{
	if (strbuf_adds(sb, denied ? HEAD_BAD("Sign-in refused")
	                           : HEAD_BAD("Sign-in failed")) ||
	    strbuf_adds(sb, "<p>The provider answered:</p>\n"
	                    "<p class=\"err\"><code>") ||
	    html_escape(sb, error) || strbuf_adds(sb, "</code>") ||
	    (description &&
	     (strbuf_adds(sb, "\n") || html_escape(sb, description))) ||
	    strbuf_adds(sb, "</p>\n<p>Return to the terminal; run "
	                    "<code>clerk-credential login</code> to try "
	                    "again.</p>\n"))
		return CLERK_ENOMEM;
	return 0;
}

int
page_response(struct strbuf *sb, int status, const char *body)
{
	size_t blen = body ? sizeof(page_head) - 1 + strlen(body) +
	                              sizeof(page_tail) - 1
	                   : 0;

	if (strbuf_addf(sb,
	                "HTTP/1.1 %d %s\r\n"
	                "Content-Type: text/html; charset=utf-8\r\n"
	                "Content-Length: %zu\r\n"
	                "Connection: close\r\n"
	                "Cache-Control: no-store\r\n"
	                "Referrer-Policy: no-referrer\r\n"
	                "X-Content-Type-Options: nosniff\r\n"
	                "Content-Security-Policy: default-src 'none'; "
	                "style-src 'unsafe-inline'; img-src data:; "
	                "base-uri 'none'; form-action 'none'; "
	                "frame-ancestors 'none'\r\n"
	                "%s"
	                "\r\n",
	                status, status_reason(status), blen,
	                status == 405 ? "Allow: GET\r\n" : ""))
		return CLERK_ENOMEM;
	if (body && (strbuf_adds(sb, page_head) || strbuf_adds(sb, body) ||
	             strbuf_adds(sb, page_tail)))
		return CLERK_ENOMEM;
	return 0;
}
