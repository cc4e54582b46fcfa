// SPDX-License-Identifier: GPL-2.0-or-later
/* check: validate the policy; every problem as FILE:LINE: message. */
#include <stdio.h>

#include "cli.h"

int cmd_check(const struct cli *c, int argc, char **argv)
{
	struct icc_policy *p;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "icc-policy: check takes no arguments\n");
		return 2;
	}
	p = cli_load_policy(c);
	if (!p)
		return 1;
	if (c->verbose)
		printf("%s: valid: %zu bridges, %zu containers, %zu links, "
		       "%zu publishes\n", c->config, p->nbridges,
		       p->ncontainers, p->nlinks, p->npublishes);
	policy_free(p);
	return 0;
}
