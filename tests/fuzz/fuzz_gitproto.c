/* libFuzzer target: the git credential protocol reader (gitproto.c). */
#include <stddef.h>
#include <stdint.h>

#include "gitproto.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct credential c = CREDENTIAL_INIT;
	struct strbuf out = STRBUF_INIT;
	size_t used = 0;
	bool done = false;

	log_set_silent(true);
	/* As a stream that may continue, then as the whole input. */
	(void)credential_parse((const char *)data, size, false, &c, &used,
	                       &done);
	credential_release(&c);
	if (credential_parse((const char *)data, size, true, &c, &used,
	                     &done) == 0) {
		if (c.host)
			(void)credential_emit(&out, "host", c.host);
		if (c.password)
			(void)credential_emit(&out, "password", c.password);
	}
	strbuf_release(&out);
	credential_release(&c);
	return 0;
}
