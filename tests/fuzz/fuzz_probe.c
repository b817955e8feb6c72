/*
 * libFuzzer target: the answer to doctor's dry authorization request
 * (probe.c): a status, a Location header and an error page. The input is
 * two bytes of status (100-599), then the Location up to the first
 * newline (none when the input has no newline), then the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "net.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_probe p;
	char *buf, *nl, *location = NULL, *body;
	long status;

	if (size < 2)
		return 0;
	log_set_silent(true);
	status = 100 + (long)((data[0] << 8 | data[1]) % 500);
	if (!(buf = malloc(size - 1)))
		return 0;
	memcpy(buf, data + 2, size - 2);
	buf[size - 2] = '\0';
	body = buf;
	if ((nl = memchr(buf, '\n', size - 2))) {
		*nl = '\0';
		location = buf;
		body = nl + 1;
	}
	memset(&p, 0, sizeof(p));
	(void)probe_read_answer(status, location, body,
	                        size - 2 - (size_t)(body - buf), &p);
	free(buf);
	return 0;
}
