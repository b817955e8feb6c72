/*
 * libFuzzer target: the loopback listener's request-head parser
 * (httpreq.c), on bytes as a socket read hands them over: not
 * NUL-terminated, possibly cut short.
 */
#include <stddef.h>
#include <stdint.h>

#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req = {0};

	(void)http_request_parse((const char *)data, size, &req);
	http_request_release(&req);
	return 0;
}
