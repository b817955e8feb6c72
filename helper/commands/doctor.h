/*
 * `doctor`: check the set-up, print each problem with its fix (contract
 * §17). Exit 0 only when every check passed.
 */
#ifndef CLERK_DOCTOR_H
#define CLERK_DOCTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "util.h"

int doctor_run(struct config *cfg);

/*
 * The readers of other tools' configurations, apart from reading files
 * and running programs so that they can be tested and fuzzed: text in,
 * result out. "Ours" means naming this helper (the word "clerk").
 */

/* `git --version`'s output ("git version 2.39.5") as major * 1000 +
 * minor, or -1 when it names no version. */
long doctor_git_version(const char *text);

/*
 * `git config --get-regexp '^credential\..+\.helper$'`'s output @text
 * (lines "credential.URL.helper VALUE"; split in place): true when a
 * VALUE of ours without --host of its own is set for a URL whose host
 * @cfg's host list does not allow; that host in @host ("*." as
 * "doctor.").
 */
bool doctor_git_stray(const struct config *cfg, char *text,
                      struct strbuf *host);

/* What docker's config.json says of this helper. */
struct doctor_docker {
	bool object; /* the text is a JSON object */
	char *stray; /* a credHelpers registry of ours not in the host
	                list, or NULL */
	size_t ours; /* listed hosts (the first 16) using this helper:
	                credsStore or credHelpers */
};

/* Read docker's config.json @text of @len bytes; 0 or CLERK_ENOMEM.
 * Free @out with doctor_docker_release() either way. */
int doctor_docker_read(const struct config *cfg, const char *text, size_t len,
                       struct doctor_docker *out);
void doctor_docker_release(struct doctor_docker *d);

/* True when `kubectl config view -o json`'s @text has a user whose exec
 * command is ours. */
bool doctor_kube_ours(const char *text, size_t len);

/* True when a line of @text (split in place) that is no '#' comment
 * holds @key and names this helper: Cargo's credential-provider,
 * Terraform's credentials_helper. */
bool doctor_text_names_us(char *text, const char *key);

#endif
