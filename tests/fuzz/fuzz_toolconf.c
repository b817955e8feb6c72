/*
 * libFuzzer target: what doctor reads of other tools (doctor.c): git's
 * version and helper entries, docker's config.json, kubectl's JSON
 * config view, Cargo's and Terraform's configuration text. The first
 * byte picks the reader, the rest is its text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "doctor.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *hosts[] = {"example.com", "*.corp.example", "127.0.0.1:8080",
                        NULL};

static void
read_as(uint8_t which, const struct config *cfg, char *text, size_t len)
{
	struct strbuf host = STRBUF_INIT;
	struct doctor_docker d;

	switch (which % 6) {
	case 0:
		(void)doctor_git_version(text);
		break;
	case 1:
		(void)doctor_git_stray(cfg, text, &host);
		break;
	case 2:
		(void)doctor_docker_read(cfg, text, len, &d);
		doctor_docker_release(&d);
		break;
	case 3:
		(void)doctor_kube_ours(text, len);
		break;
	case 4:
		(void)doctor_text_names_us(text, "credential-provider");
		break;
	default:
		(void)doctor_text_names_us(text, "credentials_helper");
		break;
	}
	strbuf_release(&host);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char *text;

	if (size < 1)
		return 0;
	log_set_silent(true);
	if (!(text = malloc(size)))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	config_init(&cfg);
	cfg.hosts = hosts;
	cfg.nhosts = 3;
	read_as(data[0], &cfg, text, size - 1);
	cfg.hosts = NULL;
	cfg.nhosts = 0;
	config_release(&cfg);
	free(text);
	return 0;
}
