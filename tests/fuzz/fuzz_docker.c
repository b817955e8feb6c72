/*
 * libFuzzer target: what docker hands a credential helper (protoparse.c):
 * the server URL of get/erase, joined and trimmed as docker's helpers do,
 * then split into scheme and host; and store's credentials JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "protoparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct docker_creds c = DOCKER_CREDS_INIT;
	struct server_ref s;
	char *buf;

	log_set_silent(true);
	if (!(buf = malloc(size + 1)))
		return 0;
	memcpy(buf, data, size);
	(void)docker_input_join(buf, size);
	(void)server_ref_parse(buf, false, &s);
	(void)server_ref_parse(buf, true, &s);
	free(buf);
	if (docker_creds_parse((const char *)data, size, &c) == 0 &&
	    c.server_url)
		(void)server_ref_parse(c.server_url, false, &s);
	docker_creds_release(&c);
	return 0;
}
