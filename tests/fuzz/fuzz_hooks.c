/*
 * libFuzzer target: the JSON requests of kubectl (KUBERNETES_EXEC_INFO),
 * Bazel, Cargo and Terraform (protoparse.c), and the host each names.
 */
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "protoparse.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct exec_info e = EXEC_INFO_INIT;
	struct cargo_request q = CARGO_REQUEST_INIT;
	struct server_ref s;
	char *uri = NULL, *token = NULL;

	log_set_silent(true);
	if (exec_info_parse(text, size, &e) == 0 && e.server)
		(void)server_ref_parse(e.server, true, &s);
	exec_info_release(&e);
	if (bazel_request_parse(text, size, &uri) == 0)
		(void)server_ref_parse(uri, true, &s);
	free(uri);
	if (cargo_request_parse(text, size, &q) == 0)
		(void)server_ref_parse(q.index_url, true, &s);
	cargo_request_release(&q);
	if (tf_store_parse(text, size, &token) == 0)
		secret_free(token);
	return 0;
}
