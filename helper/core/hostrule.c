/* See hostrule.h. */
#include "hostrule.h"

#include <string.h>

#include "banned.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
port_valid(const char *p, size_t n)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return false;
	for (i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

bool
host_port_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || n > HOST_MAX)
		return false;
	if (s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!strchr("0123456789abcdefABCDEF:.", s[i]))
				return false;
		if (i >= n || i == 1)
			return false;
		i++;
	} else {
		for (; i < n && s[i] != ':'; i++) {
			char c = s[i];

			if (!(c == '.' || c == '-' || is_digit(c) ||
			      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
				return false;
		}
		if (i == 0)
			return false;
	}
	if (i == n)
		return true;
	return s[i] == ':' && port_valid(s + i + 1, n - i - 1);
}
