// SPDX-License-Identifier: GPL-2.0-or-later
/* show: the ruleset the policy compiles to; touches nothing. */
#include <stdio.h>

#include "cli.h"
#include "icc/compile.h"

int cmd_show(const struct cli *c, int argc, char **argv)
{
	struct icc_ruleset *rs = NULL;
	struct icc_policy *p;
	int ret = 1;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "icc-policy: show takes no arguments\n");
		return 2;
	}
	p = cli_load_policy(c);
	if (!p)
		return 1;
	if (compile_policy(p, NULL, &rs) < 0) {
		fprintf(stderr, "icc-policy: out of memory\n");
		goto out;
	}
	printf("# icc-policy %s: the ruleset %s compiles to\n", PACKAGE_VERSION,
	       c->config);
	ruleset_print(stdout, rs);
	ret = 0;
out:
	ruleset_free(rs);
	policy_free(p);
	return ret;
}
