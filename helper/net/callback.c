/*
 * See callback.h.
 *
 * MUST: release every copy of a parameter with secret_free(): the code
 * is a secret, and the others come from outside.
 * MUST: compare state in constant time; only the expected state ends the
 * wait, and the issuer is checked before the result is believed, error
 * answers included (RFC 9207 section 2.4).
 * MUST: keep provider text's control characters out of the terminal
 * (page.c escapes it for the page). MUST NOT: log a query or a code; the
 * code leaves only through @out.
 */
#include "callback.h"

#include <string.h>

#include "encode.h"
#include "error.h"
#include "log.h"
#include "oauth.h"
#include "page.h"
#include "util.h"

#include "banned.h"

/* On failure *@out is left untouched. */
int
callback_parse_query(const char *query, struct callback_params *out)
{
	struct callback_params cb = {0};
	int r = 0;

	if (query && ((r = query_get(query, "code", &cb.code)) ||
	              (r = query_get(query, "state", &cb.state)) ||
	              (r = query_get(query, "iss", &cb.iss)) ||
	              (r = query_get(query, "error", &cb.error)) ||
	              (r = query_get(query, "error_description",
	                             &cb.error_description))))
		goto out;
	*out = cb;
	memset(&cb, 0, sizeof(cb));
out:
	callback_params_release(&cb);
	return r;
}

void
callback_params_release(struct callback_params *cb)
{
	secret_free(cb->code);
	secret_free(cb->state);
	secret_free(cb->iss);
	secret_free(cb->error);
	secret_free(cb->error_description);
	memset(cb, 0, sizeof(*cb));
}

/* --- The checks ------------------------------------------------------ */

void
callback_reply_release(struct callback_reply *rep)
{
	strbuf_release(&rep->buf);
	memset(rep, 0, sizeof(*rep));
}

static void
reply_page(struct callback_reply *rep, int status, enum page p)
{
	rep->status = status;
	rep->body = page_body(p);
}

static void
reply_done(struct callback_reply *rep, int result)
{
	rep->done = true;
	rep->result = result;
}

/* The provider answered error=...: show it, log it, hand it out. */
static void
answer_error(struct callback_params *cb, struct callback_reply *rep,
             struct callback_params *out)
{
	bool denied = strcmp(cb->error, "access_denied") == 0;
	char err[80], desc[STR_TEXT_MAX + 4];

	log_error("sign-in %s: %s%s%s%s%s%s",
	          denied ? "refused by the provider"
	                 : "failed: the provider answered",
	          str_printable(cb->error, err, sizeof(err)),
	          cb->error_description ? " (" : "",
	          str_printable_text(cb->error_description, desc),
	          cb->error_description ? ")" : "", denied ? "" : "; ",
	          denied ? ""
	                 : oauth_error_hint(cb->error, cb->error_description));
	rep->status = 200;
	if (!page_error(&rep->buf, cb->error, cb->error_description, denied))
		rep->body = rep->buf.buf;
	/* A code beside an error is not one to use. */
	secret_free(cb->code);
	cb->code = NULL;
	*out = *cb;
	memset(cb, 0, sizeof(*cb));
	reply_done(rep, denied ? CLERK_EDENIED : CLERK_EPROVIDER);
}

/* RFC 9207: 0 when the issuer of the answer is acceptable. */
static int
check_iss(const struct callback_params *cb, const struct callback_expect *want)
{
	char got[200], exp[200];

	if (!cb->iss && want->iss_required) {
		log_error("sign-in answer refused: it carries no issuer, "
		          "though the provider says it sends one (RFC 9207; "
		          "run `clerk-credential login` to try again)");
		return CLERK_EPROVIDER;
	}
	if (cb->iss && want->iss && strcmp(cb->iss, want->iss) != 0) {
		log_error("sign-in answer refused: it comes from issuer %s, "
		          "not %s (check --issuer; another provider may be "
		          "answering)",
		          str_printable(cb->iss, got, sizeof(got)),
		          str_printable(want->iss, exp, sizeof(exp)));
		return CLERK_EPROVIDER;
	}
	return 0;
}

void
callback_answer(const char *query, const struct callback_expect *want,
                bool pasted, struct callback_reply *rep,
                struct callback_params *out)
{
	struct callback_params cb = {0};
	int r;

	memset(rep, 0, sizeof(*rep));
	if (callback_parse_query(query, &cb)) {
		log_warn("ignored a malformed sign-in answer (a parameter "
		         "repeated or badly escaped); still waiting");
		reply_page(rep, 400, PAGE_MALFORMED);
	} else if (!cb.state || !str_ct_equal(cb.state, want->state)) {
		if (!pasted)
			log_warn("ignored a sign-in answer for another "
			         "sign-in (a stale or foreign link); still "
			         "waiting");
		else
			log_warn("that address belongs to another sign-in "
			         "(its state differs): paste the address "
			         "reached from the newest link; still "
			         "waiting");
		reply_page(rep, 400, PAGE_STALE);
	} else if ((r = check_iss(&cb, want))) {
		reply_page(rep, 200, PAGE_ISS);
		reply_done(rep, r);
	} else if (cb.error) {
		answer_error(&cb, rep, out);
	} else if (!cb.code || !*cb.code) {
		log_error("sign-in answer refused: it carries neither a code "
		          "nor an error (run `clerk-credential login` to try "
		          "again)");
		reply_page(rep, 200, PAGE_NO_CODE);
		reply_done(rep, CLERK_EPROTO);
	} else {
		log_debug("sign-in answer received");
		reply_page(rep, 200, PAGE_SUCCESS);
		*out = cb;
		memset(&cb, 0, sizeof(cb));
		reply_done(rep, 0);
	}
	callback_params_release(&cb);
}
