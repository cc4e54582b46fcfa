// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Run by tests/check-tsan.sh under ThreadSanitizer: a big policy's links
 * are read by policy_pipe.c's worker thread while the parser reads on.
 * The same text, with a mistake every few hundred links and one link
 * bigger than a batch, is read inline and by the pipe, from a string and
 * from a file (whose pages the worker gives back); the messages and the
 * model must be the same, and TSan must see no race.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icc/policy.h"

extern size_t policy_pipe_min;

static void link_text(FILE *f, int k)
{
	int from = k % 97, to = (k / 97 + from + 1) % 97;

	if (to == from)
		to = (from + 1) % 97;
	if (k % 499 == 7)
		fprintf(f, "  { from = \"c%d\"; to = \"nobody\"; ports = [ \"tcp/%d\" ]; },\n",
			from, k + 1);
	else if (k % 701 == 3)
		fprintf(f, "  { from = \"c%d\"; to = \"c%d\"; ports = [ \"tcp/x\" ]; },\n",
			from, to);
	else if (k % 907 == 5)
		fprintf(f, "  \"no group\",\n");
	else
		fprintf(f, "  { from = \"c%d\"; to = \"c%d\"; ports = [ \"tcp/%d\" ]; },\n",
			from, to, k + 1);
}

static char *policy_text(int nlinks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	fprintf(f, "version = 1;\nbridges = ( { name = \"docker0\"; subnet = "
		"\"10.0.0.0/8\"; uplink = \"eth0\"; } );\nlinks = (\n");
	for (int k = 0; k < nlinks; k++)
		link_text(f, k);
	fprintf(f, "  { from = \"c1\"; to = \"c96\"; ports = [ \"tcp/1\"");
	for (int p = 2; p <= 9000; p++)
		fprintf(f, ", \"tcp/%d\"", p);
	fprintf(f, " ]; }\n);\ncontainers = {\n");
	for (int i = 0; i < 97; i++)
		fprintf(f, "  c%d = { bridge = \"docker0\"; ip = \"10.0.0.%d\"; };\n",
			i, i + 2);
	fprintf(f, "};\n");
	fclose(f);
	return buf;
}

/*
 * What one load says: its messages, then the model or "refused". From a
 * file (path) the worker also gives the text's pages back as it goes.
 */
static char *load(const char *text, const char *path, size_t pipe_min)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		abort();
	policy_pipe_min = pipe_min;
	if (path)
		policy_load(path, &p, &d);
	else
		policy_load_string(text, path, &p, &d);
	diags_print(f, &d);
	fprintf(f, "--\n");
	if (p)
		policy_print(f, p);
	else
		fprintf(f, "refused\n");
	fclose(f);
	diags_free(&d);
	policy_free(p);
	return out;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

/* Read by the pipe from a string, and from a file both ways: as inline. */
static int compare(int n, const char *text, const char *path,
		   const char *inline_)
{
	char *v[3] = { load(text, NULL, 0), load(NULL, path, SIZE_MAX),
		       load(NULL, path, 0) };
	int bad = 0;

	if (strcmp(inline_, v[0]) || strcmp(v[1], v[2])) {
		fprintf(stderr, "%d links: the pipe read otherwise\n", n);
		bad = 1;
	}
	for (int i = 0; i < 3; i++)
		free(v[i]);
	return bad;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc != 2)
		return 2;	/* a scratch file's path */
	for (int n = 20000; n <= 60000; n += 20000) {
		char *text = policy_text(n);
		char *inline_ = load(text, NULL, SIZE_MAX);

		write_text(argv[1], text);
		bad |= compare(n, text, argv[1], inline_);
		if (!strstr(inline_, "unknown container nobody") ||
		    !strstr(inline_, "must be a group")) {
			fprintf(stderr, "%d links: the mistakes were not reported\n", n);
			bad = 1;
		}
		free(inline_);
		free(text);
	}
	return bad;
}
