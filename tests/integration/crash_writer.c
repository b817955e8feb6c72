/*
 * The writer that test_crash.py kills with SIGKILL: it saves two token
 * sets in turn through the file store, as fast as it can, until killed.
 *
 *   crash-writer [clerk-credential options]
 *
 * Issuer, client id, profile and the state dir come from the options and
 * the environment as for clerk-credential; the storage must be "file".
 * After its first save it prints "ready" on stdout.
 *
 * Set N (0 or 1) holds access_token "access-N-" followed by LEN(N) 'a's,
 * refresh_token "refresh-N-" followed by LEN(N) 'r's, id_token "id-N",
 * expires_at 1000000000 + N, with LEN(0) = 16 and LEN(1) = 65536: a torn
 * or mixed file cannot pass for either set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "log.h"
#include "store.h"
#include "tokenset.h"
#include "util.h"

static int
filled(const char *prefix, char fill, size_t n, char **out)
{
	size_t plen = strlen(prefix);
	char *s = malloc(plen + n + 1);

	if (!s)
		return CLERK_ENOMEM;
	memcpy(s, prefix, plen);
	memset(s + plen, fill, n);
	s[plen + n] = '\0';
	*out = s;
	return 0;
}

static int
make_set(const struct config *cfg, int n, struct tokenset *ts)
{
	size_t len = n ? 65536 : 16;
	int r;

	tokenset_init(ts);
	if ((r = str_set(&ts->issuer, cfg->issuer)) ||
	    (r = str_set(&ts->client_id, cfg->client_id)) ||
	    (r = str_set(&ts->profile, cfg->profile)) ||
	    (r = filled(n ? "access-1-" : "access-0-", 'a', len,
	                &ts->access_token)) ||
	    (r = filled(n ? "refresh-1-" : "refresh-0-", 'r', len,
	                &ts->refresh_token)) ||
	    (r = str_set(&ts->id_token, n ? "id-1" : "id-0")))
		return r;
	ts->expires_at = 1000000000 + n;
	return 0;
}

int
main(int argc, char **argv)
{
	struct tokenset sets[2] = {TOKENSET_INIT, TOKENSET_INIT};
	struct store *st = NULL;
	bool help, version, said = false;
	struct config cfg;
	int r, n;

	config_init(&cfg);
	if ((r = config_parse_args(&cfg, argc, argv, &help, &version)) ||
	    (r = config_load(&cfg)) || (r = config_require(&cfg)))
		goto out;
	if (cfg.storage != STORAGE_FILE) {
		log_error("crash-writer needs --storage file");
		r = CLERK_ECONFIG;
		goto out;
	}
	if ((r = make_set(&cfg, 0, &sets[0])) ||
	    (r = make_set(&cfg, 1, &sets[1])) || (r = store_open(&cfg, &st)))
		goto out;
	for (n = 0;; n ^= 1) {
		if ((r = store_save(st, &sets[n])))
			goto out;
		if (!said) {
			printf("ready\n");
			fflush(stdout);
			said = true;
		}
	}
out:
	store_close(st);
	tokenset_release(&sets[0]);
	tokenset_release(&sets[1]);
	config_release(&cfg);
	return r ? 1 : 0;
}
