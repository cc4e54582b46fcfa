// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Differential libFuzzer harness: src/cfg.c against libconfig itself.
 * Both read the same text; they must agree on accept or refuse, on the
 * error's line and text, and on every setting's name, type, value and
 * source line.  Any difference aborts with both dumps on stderr.
 *
 * Skipped on purpose: inputs with a NUL (policy_load refuses them before
 * parsing), with "@include" (policy_parse refuses them before parsing),
 * and refusals for nesting deeper than CFG_MAX_DEPTH (libconfig's bison
 * stack allows more).
 */
#include <errno.h>
#include <libconfig.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"

static void dump_lc(FILE *f, const config_setting_t *s, int depth)
{
	const char *n = config_setting_name(s);
	int t = config_setting_type(s);

	fprintf(f, "%*s%s@%u t%d", depth * 2, "", n ? n : "-",
		depth ? config_setting_source_line(s) : 0, t);
	switch (t) {
	case CONFIG_TYPE_INT:
		fprintf(f, " %d\n", config_setting_get_int(s));
		break;
	case CONFIG_TYPE_INT64:
		fprintf(f, " %lld\n", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		fprintf(f, " %a\n", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_STRING:
		fprintf(f, " [%s]\n", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_BOOL:
		fprintf(f, " %d\n", config_setting_get_bool(s));
		break;
	default:
		fprintf(f, " n%d\n", config_setting_length(s));
		for (int i = 0; i < config_setting_length(s); i++)
			dump_lc(f, config_setting_get_elem(s, (unsigned)i), depth + 1);
	}
}

/* libconfig's type numbers, for the same dump */
static int lc_type(enum cfg_type t)
{
	static const int map[] = {
		[CFG_NONE] = CONFIG_TYPE_NONE, [CFG_GROUP] = CONFIG_TYPE_GROUP,
		[CFG_INT] = CONFIG_TYPE_INT, [CFG_INT64] = CONFIG_TYPE_INT64,
		[CFG_FLOAT] = CONFIG_TYPE_FLOAT, [CFG_STRING] = CONFIG_TYPE_STRING,
		[CFG_BOOL] = CONFIG_TYPE_BOOL, [CFG_ARRAY] = CONFIG_TYPE_ARRAY,
		[CFG_LIST] = CONFIG_TYPE_LIST,
	};

	return map[t];
}

/*
 * The elements of the root-level list `links` are handed over while the
 * text is read (cfg_parse_stream(), as policy_parse.c reads them): each
 * is dumped then, and the list's dump shows them, so that libconfig's
 * tree checks the streamed elements, their order and lines too.
 */
struct streamed {
	FILE *f;
	char *text;
	size_t len;
	uint32_t n;
};

static struct streamed links;

static void dump_cfg(FILE *f, const struct cfg_node *s, int depth);

static int stream_elem(void *arg, const struct cfg_node *e, uint32_t i,
		       char *from, char *to)
{
	struct streamed *st = arg;

	(void)from;
	(void)to;
	if (i != st->n++)
		abort();
	dump_cfg(st->f, e, 2);
	return 0;
}

static void dump_cfg(FILE *f, const struct cfg_node *s, int depth)
{
	const char *n = cfg_name(s);

	fprintf(f, "%*s%s@%d t%d", depth * 2, "", n ? n : "-", cfg_line(s),
		lc_type(cfg_type(s)));
	if (depth == 1 && n && !strcmp(n, "links") && cfg_type(s) == CFG_LIST) {
		if (cfg_length(s))
			abort();	/* every element went by stream */
		fflush(links.f);
		fprintf(f, " n%u\n%s", links.n, links.text);
		return;
	}
	switch (cfg_type(s)) {
	case CFG_INT:
		fprintf(f, " %d\n", (int)s->v.i);
		break;
	case CFG_INT64:
		fprintf(f, " %lld\n", (long long)s->v.i);
		break;
	case CFG_FLOAT:
		fprintf(f, " %a\n", s->v.f);
		break;
	case CFG_STRING:
		fprintf(f, " [%s]\n", cfg_string(s));
		break;
	case CFG_BOOL:
		fprintf(f, " %d\n", (int)s->v.i);
		break;
	default:
		fprintf(f, " n%d\n", cfg_length(s));
		for (int i = 0; i < cfg_length(s); i++)
			dump_cfg(f, cfg_elem(s, (unsigned)i), depth + 1);
	}
}

static char *dump_libconfig(const char *text)
{
	config_t lc;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	config_init(&lc);
	if (config_read_string(&lc, text))
		dump_lc(f, config_root_setting(&lc), 0);
	else
		fprintf(f, "error %d: %s\n", config_error_line(&lc),
			config_error_text(&lc));
	config_destroy(&lc);
	fclose(f);
	return out;
}

/* NULL if ours refused for depth, which libconfig may accept */
static char *dump_ours(char *text, size_t size)
{
	struct cfg cfg;
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	struct cfg_stream st = { "links", stream_elem, &links, 0 };
	int ret;

	links = (struct streamed){ .f = open_memstream(&links.text, &links.len) };
	if (!links.f)
		abort();
	ret = cfg_parse_stream(&cfg, text, size, &st);
	if (st.n != links.n)
		abort();
	if (ret == -EINVAL && !strcmp(cfg.error_text, "nesting too deep")) {
		cfg_free(&cfg);
		fclose(links.f);
		free(links.text);
		return NULL;
	}
	if (!(f = open_memstream(&out, &len)) || ret == -ENOMEM)
		abort();
	if (!ret)
		dump_cfg(f, &cfg.root, 0);
	else
		fprintf(f, "error %d: %s\n", cfg.error_line, cfg.error_text);
	cfg_free(&cfg);
	fclose(f);
	fclose(links.f);
	free(links.text);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *lc, *ours;

	if (memchr(data, 0, size) || memmem(data, size, "@include", 8))
		return 0;
	if (!(text = malloc(size + 1)))
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	lc = dump_libconfig(text);
	ours = dump_ours(text, size);	/* last: it writes into text */
	if (ours && strcmp(lc, ours)) {
		fprintf(stderr, "libconfig:\n%s--\ncfg.c:\n%s--\n", lc, ours);
		abort();
	}
	free(lc);
	free(ours);
	free(text);
	return 0;
}
