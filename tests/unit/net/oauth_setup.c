/* See oauth_setup.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "oauth_setup.h"
#include "util.h"

int
oauth_setup_start(const struct httpd_route *routes, int *port)
{
	httpd_unset_proxies();
	return httpd_start(routes, port);
}

int
oauth_setup_stop(void **state)
{
	(void)state;
	httpd_stop();
	return 0;
}

void
oauth_setup_endpoint(char **endpoint, int port, const char *path)
{
	char url[128];
	int n = snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);

	assert_true(n > 0 && (size_t)n < sizeof(url));
	assert_int_equal(str_set(endpoint, url), 0);
}
