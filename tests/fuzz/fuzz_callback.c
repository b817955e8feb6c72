/*
 * libFuzzer target: the loopback listener's request parser and the
 * callback query decoder (httpreq.c, callback.c).
 */
#include <stddef.h>
#include <stdint.h>

#include "callback.h"
#include "httpreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_request req = {0};
	struct callback_params cb = {0};

	if (http_request_parse((const char *)data, size, &req) ==
	            HTTP_PARSE_OK &&
	    req.query)
		(void)callback_parse_query(req.query, &cb);
	callback_params_release(&cb);
	http_request_release(&req);
	return 0;
}
