/* See cache.h. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "fileio.h"
#include "log.h"
#include "paths.h"
#include "util.h"

#include "banned.h"

#define CACHE_MAGIC    "clerk-credential-cache 1"
#define CACHE_MAX_FILE (128 * 1024)

static int
cache_path(const struct config *cfg, int use, char **out)
{
	char *dir = NULL;
	int r;

	if ((r = paths_runtime_dir(&dir, use)) == 0)
		r = config_key_path(cfg, dir, "", ".token", out);
	free(dir);
	return r;
}

/* Next line of @p in place: NUL-terminates it and advances *@p. */
static char *
next_line(char **p)
{
	char *line = *p, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (!nl)
		return NULL;
	*nl = '\0';
	*p = nl + 1;
	return line;
}

int
cache_read(const struct config *cfg, char **token, int64_t *expires_at)
{
	char *path = NULL, *text = NULL, *p, *line[6];
	size_t len, i;
	int64_t exp;
	int r;

	if ((r = cache_path(cfg, PATHS_READ, &path)))
		return r;
	r = file_read_private(path, CACHE_MAX_FILE, &text, &len);
	if (r)
		goto out;
	p = text;
	for (i = 0; i < 6; i++)
		line[i] = next_line(&p);
	r = CLERK_ENOTFOUND;
	if (!line[5] || strcmp(line[0], CACHE_MAGIC) ||
	    strcmp(line[1], cfg->issuer) || strcmp(line[2], cfg->client_id) ||
	    strcmp(line[3], cfg->profile) ||
	    parse_int64(line[4], 0, INT64_MAX, &exp) || !line[5][0]) {
		log_debug("runtime cache %s does not match; ignoring it", path);
		goto out;
	}
	if (!(*token = strdup(line[5]))) {
		r = CLERK_ENOMEM;
		goto out;
	}
	*expires_at = exp;
	r = 0;
out:
	secret_free(text);
	free(path);
	return r;
}

int
cache_write(const struct config *cfg, const char *token, int64_t expires_at)
{
	struct strbuf sb = STRBUF_INIT_SECRET;
	char *path = NULL;
	int r;

	if (strchr(token, '\n') || strchr(cfg->issuer, '\n') ||
	    strchr(cfg->client_id, '\n'))
		return CLERK_EPROTO;
	if ((r = cache_path(cfg, PATHS_CREATE, &path)) ||
	    (r = strbuf_addf(&sb, CACHE_MAGIC "\n%s\n%s\n%s\n%lld\n%s\n",
	                     cfg->issuer, cfg->client_id, cfg->profile,
	                     (long long)expires_at, token)))
		goto out;
	r = file_write_atomic(path, sb.buf, sb.len, 0600);
out:
	strbuf_release(&sb);
	free(path);
	return r;
}

int
cache_drop(const struct config *cfg, const char *only_if)
{
	bool dropped;

	return cache_drop_token(cfg, only_if, &dropped);
}

int
cache_drop_token(const struct config *cfg, const char *only_if, bool *dropped)
{
	char *path = NULL, *cached = NULL;
	int64_t exp;
	int r;

	*dropped = false;
	if (only_if) {
		r = cache_read(cfg, &cached, &exp);
		if (r == CLERK_ENOTFOUND)
			return 0;
		if (r)
			return r;
		if (!str_ct_equal(cached, only_if)) {
			log_debug("erase names an older token; the cached "
			          "one stays");
			secret_free(cached);
			return 0;
		}
		secret_free(cached);
	}
	if ((r = cache_path(cfg, PATHS_READ, &path)))
		return r;
	r = file_remove(path);
	free(path);
	*dropped = r == 0 && only_if != NULL;
	return r;
}
