// SPDX-License-Identifier: GPL-2.0-or-later
/* flush: remove table inet icc, if it is ours, and nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "icc/ctl.h"
#include "icc/diff.h"
#include "icc/kernel.h"
#include "icc/nft.h"

/*
 * route_localnet without our loopback guard exposes 127.0.0.1 to the
 * bridge (CVE-2020-8558): turn it off on every bridge the live table
 * managed before the guard goes.
 */
static int unguard(const struct icc_ruleset *live)
{
	const struct icc_set *b = &live->sets[ICC_SET_BRIDGES];
	char (*names)[ICC_IFNAMSIZ] = calloc(b->n + 1, ICC_IFNAMSIZ);
	struct icc_knobs changed = { 0 };
	struct icc_diags err = { 0 };
	int ret;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		memcpy(names[i], set_elem(b, i), ICC_IFNAMSIZ - 1);
	ret = kernel_reset_localnet(names, b->n, &changed, &err);
	diags_print(stderr, &err);
	kernel_knobs_print(stdout, &changed, "set ");
	kernel_knobs_free(&changed);
	diags_free(&err);
	free(names);
	return ret;
}

static int flush_once(struct icc_nft *n)
{
	struct icc_ruleset *live = NULL;
	struct icc_diags err = { 0 };
	int ret = nft_read(n, &live);

	if (ret < 0)
		goto out;
	if (!live->present) {
		printf("nothing to flush: no table inet %s or bridge %s\n",
		       ICC_TABLE, ICC_TABLE);
		goto out;
	}
	if (!live->owned) {
		ret = -EEXIST;
		goto out;
	}
	if ((ret = unguard(live)) < 0)
		goto out;
	ret = nft_delete_tables(n, live, &err);
	diags_print(stderr, &err);
	for (int t = 0; !ret && t < ICC_NTABLES; t++)
		if (live->has[t])
			printf("deleted table %s %s\n", icc_table_defs[t].family,
			       ICC_TABLE);
out:
	diags_free(&err);
	ruleset_free(live);
	return ret;
}

int cmd_flush(const struct cli *c, int argc, char **argv)
{
	struct icc_nft *n = NULL;
	char buf[64];
	int ret;

	(void)c;
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "icc-policy: flush takes no arguments\n");
		return 2;
	}
	if (ctl_request("ping\n", buf, sizeof(buf), 2000) == 0) {
		fprintf(stderr, "icc-policy: icc-policyd guards this namespace "
			"and would restore the rules; stop it first\n");
		return 1;
	}
	if ((ret = nft_open(&n)) == 0) {
		ret = -ERESTART;
		for (int t = 0; t < 3 && ret == -ERESTART; t++)
			ret = flush_once(n);
	}
	nft_close(n);
	if (ret == -EEXIST)
		fprintf(stderr, "icc-policy: table inet %s or bridge %s was "
			"not made by icc-policy; leaving both alone\n",
			ICC_TABLE, ICC_TABLE);
	else if (ret < 0)
		fprintf(stderr, "icc-policy: flush: %s%s\n", strerror(-ret),
			ret == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return ret < 0 ? 1 : 0;
}
