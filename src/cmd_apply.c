// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diff and apply share every step up to sending (pfctl -n): load, check,
 * compile, read the live state, compute the difference. apply then sends
 * it as one transaction and sets the kernel knobs the ruleset relies on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "icc/compile.h"
#include "icc/diff.h"
#include "icc/kernel.h"
#include "icc/nft.h"

#define MAX_TRIES 3	/* another process changed the ruleset meanwhile */

struct plan {
	struct icc_policy *p;
	struct icc_ruleset *want, *live;
	struct icc_knobs knobs;
	struct icc_diff diff;
	bool have_diff;
	struct icc_nft *nft;
};

static void plan_free(struct plan *pl)
{
	if (pl->have_diff)
		diff_free(&pl->diff);
	ruleset_free(pl->live);
	ruleset_free(pl->want);
	kernel_knobs_free(&pl->knobs);
	nft_close(pl->nft);
	policy_free(pl->p);
}

static void print_errno(const char *what, int err)
{
	fprintf(stderr, "icc-policy: %s: %s%s\n", what, strerror(-err),
		err == -EPERM ? " (needs CAP_NET_ADMIN)" : "");
}

/* Reads the live state and computes the difference; 0, or an exit code. */
static int plan_diff(struct plan *pl)
{
	int ret;

	if (pl->have_diff)
		diff_free(&pl->diff);
	pl->have_diff = false;
	ruleset_free(pl->live);
	pl->live = NULL;
	ret = nft_read(pl->nft, &pl->live);
	if (ret < 0) {
		print_errno("cannot read the live ruleset", ret);
		return 2;
	}
	ret = diff_compute(pl->want, pl->live, &pl->diff);
	if (ret == -EEXIST) {
		fprintf(stderr, "icc-policy: table inet %s exists but was not "
			"made by icc-policy; refusing to touch it\n", ICC_TABLE);
		return 2;
	}
	if (ret < 0) {
		print_errno("diff", ret);
		return 2;
	}
	pl->have_diff = true;
	return 0;
}

/* Everything up to the first read of the kernel; 0, or an exit code. */
static int plan_make(const struct cli *c, struct plan *pl)
{
	struct icc_diags warn = { 0 }, err = { 0 };
	int ret;

	pl->p = cli_load_policy(c);
	if (!pl->p)
		return 1;
	if ((ret = compile_policy(pl->p, &pl->want)) < 0) {
		print_errno("compile", ret);
		return 2;
	}
	if ((ret = nft_open(&pl->nft)) < 0) {
		print_errno("cannot open netlink", ret);
		return 2;
	}
	ret = kernel_plan(pl->p, &pl->knobs, &warn, &err);
	diags_print(stderr, &warn);
	diags_print(stderr, &err);
	diags_free(&warn);
	diags_free(&err);
	if (ret == -ENOPROTOOPT || ret == -ENOTTY || ret == -EINVAL)
		return 1;
	if (ret < 0) {
		print_errno("cannot read kernel settings", ret);
		return 2;
	}
	return plan_diff(pl);
}

static int run_diff(const struct cli *c, bool quiet_sync)
{
	struct plan pl = { 0 };
	size_t n;
	int ret = plan_make(c, &pl);

	if (ret) {
		plan_free(&pl);
		return 2;
	}
	diff_print(stdout, &pl.diff);
	kernel_knobs_print(stdout, &pl.knobs, "+ ");
	n = diff_count(&pl.diff) + pl.knobs.n;
	if (!n && !quiet_sync)
		printf("in sync: table inet %s matches %s\n", ICC_TABLE, c->config);
	plan_free(&pl);
	return n ? 1 : 0;
}

int cmd_diff(const struct cli *c, int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "icc-policy: diff takes no arguments\n");
		return 2;
	}
	return run_diff(c, false);
}

static int commit(const struct cli *c, struct plan *pl)
{
	struct icc_diags err = { 0 };
	int ret = -ERESTART;

	for (int t = 0; t < MAX_TRIES && ret == -ERESTART; t++) {
		if (t && plan_diff(pl))
			return 2;
		if (c->verbose)
			diff_print(stdout, &pl->diff);
		if (!diff_count(&pl->diff))
			return 0;
		ret = nft_commit(pl->nft, &pl->diff, pl->p->file, &err);
	}
	if (ret == 0) {
		printf("applied %zu change%s to table inet %s\n",
		       diff_count(&pl->diff), diff_count(&pl->diff) == 1 ? "" : "s",
		       ICC_TABLE);
		return 0;
	}
	diags_print(stderr, &err);
	diags_free(&err);
	if (ret == -ERESTART)
		fprintf(stderr, "icc-policy: the ruleset kept changing under us "
			"(%d tries); nothing applied\n", MAX_TRIES);
	else
		print_errno("transaction refused, nothing applied", ret);
	return 1;
}

static int set_knobs(struct plan *pl)
{
	struct icc_diags err = { 0 };
	int ret;

	if (!pl->knobs.n)
		return 0;
	/* after the ruleset: route_localnet only once the guard is live */
	ret = kernel_apply(&pl->knobs, &err);
	diags_print(stderr, &err);
	diags_free(&err);
	if (ret < 0) {
		print_errno("kernel settings", ret);
		return 1;
	}
	kernel_knobs_print(stdout, &pl->knobs, "set ");
	return 0;
}

int cmd_apply(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct plan pl = { 0 };
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "n", opts, NULL)) != -1) {
		if (o != 'n')
			return 2;
		return run_diff(c, false);
	}
	if (optind < argc) {
		fprintf(stderr, "icc-policy: apply: unexpected '%s'\n", argv[optind]);
		return 2;
	}
	ret = plan_make(c, &pl);
	if (!ret)
		ret = commit(c, &pl);
	if (!ret)
		ret = set_knobs(&pl);
	if (!ret && !diff_count(&pl.diff) && !pl.knobs.n)
		printf("in sync: nothing to change\n");
	plan_free(&pl);
	return ret;
}
