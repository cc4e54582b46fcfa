// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness over the pure stages: parse and check a policy text,
 * print it and load the print back (it must load, to the same text),
 * compile it and print the ruleset. Any crash, leak or sanitizer report
 * is a bug; a policy that is refused must leave nothing allocated.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "icc/compile.h"
#include "icc/policy.h"

static char *print_policy(const struct icc_policy *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		abort();
	policy_print(f, p);
	fclose(f);
	return buf;
}

/* The canonical print of an accepted policy loads, and prints the same. */
static void roundtrip(const struct icc_policy *p)
{
	struct icc_diags d = { 0 };
	struct icc_policy *q = NULL;
	char *t1 = print_policy(p), *t2;

	if (policy_load_string(t1, "print", &q, &d) < 0) {
		fprintf(stderr, "canonical print refused:\n%s\n", t1);
		diags_print(stderr, &d);
		abort();
	}
	t2 = print_policy(q);
	if (strcmp(t1, t2)) {
		fprintf(stderr, "print not stable:\n%s\n---\n%s\n", t1, t2);
		abort();
	}
	free(t1);
	free(t2);
	policy_free(q);
	diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	struct icc_ruleset *rs = NULL;
	char *text = malloc(size + 1);
	FILE *devnull;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (policy_load_string(text, "fuzz.conf", &p, &d) == 0) {
		roundtrip(p);
		if (compile_policy(p, NULL, &rs) == 0 &&
		    (devnull = fopen("/dev/null", "w"))) {
			ruleset_print(devnull, rs);
			fclose(devnull);
		}
		ruleset_free(rs);
		policy_free(p);
	} else if (p) {
		abort();	/* refused, yet a model came back */
	}
	diags_free(&d);
	free(text);
	return 0;
}
