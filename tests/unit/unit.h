/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the unit tests; include after <cmocka.h>. A policy
 * that should load but does not fails the test with its diagnostics.
 */
#ifndef ICC_TEST_UNIT_H
#define ICC_TEST_UNIT_H

#include <stdio.h>
#include <stdlib.h>

#include "icc/compile.h"
#include "icc/policy.h"

#define UNIT_FILE	"t.conf"	/* FILE in every diagnostic */

static inline char *diags_str(const struct icc_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	diags_print(f, d);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static inline struct icc_policy *policy_ok(const char *text)
{
	struct icc_diags d = { 0 };
	struct icc_policy *p = NULL;
	int ret = policy_load_string(text, UNIT_FILE, &p, &d);

	if (ret != 0 || d.n) {
		char *msg = diags_str(&d);

		fail_msg("policy refused (%d):\n%s", ret, msg);
	}
	diags_free(&d);
	return p;
}

/* The ruleset of text, static addresses only. */
static inline struct icc_ruleset *compile_str(const char *text)
{
	struct icc_policy *p = policy_ok(text);
	struct icc_ruleset *rs = NULL;

	assert_int_equal(compile_policy(p, NULL, &rs), 0);
	assert_non_null(rs);
	policy_free(p);
	return rs;
}

#endif
