// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * diff and apply share every step up to sending (pfctl -n): load, check,
 * compile, read the live state, compute the difference. apply then sends
 * it as one transaction and sets the kernel knobs the ruleset relies on.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "icc/ctl.h"
#include "icc/plan.h"

struct cmd_plan {
	struct icc_policy *p;
	struct icc_plan plan;
	struct icc_nft *nft;
};

static void cmd_plan_free(struct cmd_plan *cp)
{
	plan_free(&cp->plan);
	nft_close(cp->nft);
	policy_free(cp->p);
}

static int report_diff_error(int ret)
{
	if (ret == -EEXIST)
		fprintf(stderr, "icc-policy: table inet %s or bridge %s exists but "
			"was not made by icc-policy; refusing to touch it\n",
			ICC_TABLE, ICC_TABLE);
	else
		cli_errno("cannot read the live ruleset", ret);
	return 2;
}

/* Everything up to the first read of the kernel; 0, or an exit code. */
static int plan_make(const struct cli *c, struct cmd_plan *cp)
{
	struct icc_diags notes = { 0 }, warn = { 0 }, err = { 0 };
	int ret;

	cp->p = cli_load_policy(c);
	if (!cp->p)
		return 1;
	if ((ret = nft_open(&cp->nft)) < 0) {
		cli_errno("cannot open netlink", ret);
		return 2;
	}
	nft_set_cache(cp->nft, ICC_CACHE_FILE);
	ret = plan_want(&cp->plan, cp->p, NULL, &notes, &warn, &err);
	cli_diags(&notes, c->verbose);
	cli_diags(&warn, true);
	cli_diags(&err, true);
	if (c->verbose > 1)
		world_print(stderr, cp->p, &cp->plan.world);
	if (plan_knob_error(ret))
		return 1;
	if (ret < 0) {
		cli_errno("cannot compute the ruleset", ret);
		return 2;
	}
	ret = plan_diff(&cp->plan, cp->nft);
	if (ret == 0 && c->verbose)
		fprintf(stderr, "icc-policy: live ruleset at generation %u: %s\n",
			cp->plan.live->genid, cp->plan.live->cached ?
			"as our last commit left it (no dump)" : "read from the kernel");
	return ret < 0 ? report_diff_error(ret) : 0;
}

static int run_diff(const struct cli *c, bool quiet_sync)
{
	struct cmd_plan cp = { 0 };
	size_t n;
	int ret = plan_make(c, &cp);

	if (ret) {
		cmd_plan_free(&cp);
		return 2;
	}
	diff_print(stdout, &cp.plan.diff);
	kernel_knobs_print(stdout, &cp.plan.knobs, "+ ");
	n = plan_count(&cp.plan);
	if (!n && !quiet_sync)
		printf("in sync: tables inet %s and bridge %s match %s\n",
		       ICC_TABLE, ICC_TABLE, c->config);
	cmd_plan_free(&cp);
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

/* The kernel cannot DNAT from ::1 to a bridge: icc-policyd relays those. */
static void relay_note(const struct icc_policy *p)
{
	for (size_t i = 0; i < p->npublishes; i++) {
		const struct icc_publish *pb = &p->publishes[i];

		if (pb->v6 && publish_is_loopback(pb))
			fprintf(stderr, "%s:%d: note: publish %s %s/%u on [::1]:%u is "
				"relayed by icc-policyd; without it nothing listens "
				"there\n", p->file, pb->line,
				p->containers[pb->container].name,
				proto_name(pb->proto), pb->port, pb->host_port);
	}
}

/* Connections of links that are gone end now, not when they go idle. */
static int cut_connections(struct icc_plan *pl)
{
	size_t n;
	int ret = plan_revoke(pl, NULL, &n);

	if (ret < 0) {
		cli_errno("the ruleset is live, but cutting the connections of "
			    "removed links failed", ret);
		return 1;
	}
	if (n)
		printf("cut %zu connection%s the policy no longer allows\n", n,
		       n == 1 ? "" : "s");
	return 0;
}

static int commit(const struct cli *c, struct cmd_plan *cp)
{
	struct icc_plan *pl = &cp->plan;
	struct icc_diags err = { 0 };
	int ret;

	if (c->verbose)
		diff_print(stdout, &pl->diff);
	ret = plan_commit(pl, cp->nft, &err);
	diags_print(stderr, &err);
	diags_free(&err);
	if (c->verbose && pl->retries)
		fprintf(stderr, "icc-policy: the ruleset changed after it was read; "
			"read it again and sent a new diff (%u time%s)\n",
			pl->retries, pl->retries == 1 ? "" : "s");
	if (ret == -ERESTART) {
		fprintf(stderr, "icc-policy: the ruleset kept changing under us "
			"(%d tries); nothing applied\n", ICC_PLAN_TRIES);
		return 1;
	}
	if (ret == -EEXIST)
		return report_diff_error(ret);
	if (ret < 0) {
		cli_errno("transaction refused, nothing applied", ret);
		return 1;
	}
	if (diff_count(&pl->diff))
		printf("applied %zu change%s to tables inet %s and bridge %s\n",
		       diff_count(&pl->diff), diff_count(&pl->diff) == 1 ? "" : "s",
		       ICC_TABLE, ICC_TABLE);
	if ((ret = cut_connections(pl)))
		return ret;
	ret = plan_knobs(pl, &err);
	diags_print(stderr, &err);
	diags_free(&err);
	if (ret < 0) {
		cli_errno("kernel settings", ret);
		return 1;
	}
	kernel_knobs_print(stdout, &pl->knobs, "set ");
	relay_note(pl->p);
	return 0;
}

/* Whether a and b name the same file. */
static bool same_file(const char *a, const char *b)
{
	char *ra = realpath(a, NULL), *rb = realpath(b, NULL);
	bool same = ra && rb && !strcmp(ra, rb);

	free(ra);
	free(rb);
	return same;
}

/*
 * A daemon guarding this namespace reloads the policy too; otherwise it
 * would keep enforcing the one it loaded at start. It enforces its own
 * file: if that is not ours, it has just undone what we applied.
 */
static int tell_daemon(const struct cli *c, size_t named)
{
	char ans[4400], *path;
	int ret = ctl_request("reload\n", ans, sizeof(ans), 30000);

	/* Nobody follows named containers now: their addresses will age. */
	if ((ret == -ECONNREFUSED || ret == -ENOENT) && named)
		fprintf(stderr, "icc-policy: note: %zu container%s named, not "
			"addressed; without icc-policyd their addresses are those "
			"found now\n", named, named == 1 ? " is" : "s are");
	if (ret == -ECONNREFUSED || ret == -ENOENT)
		return 0;
	if (ret == -EPERM) {
		fprintf(stderr, "icc-policy: @icc-policyd is held by a process not "
			"running as root; not an icc-policyd, ignored\n");
		return 1;
	}
	if (ret < 0) {
		cli_errno("icc-policyd did not answer", ret);
		return 1;
	}
	path = ans + strcspn(ans, "\n") + 1;
	if (strncmp(ans, "ok\n", 3)) {
		fprintf(stderr, "icc-policy: icc-policyd: %s", path);
		return 1;
	}
	path[strcspn(path, "\n")] = '\0';
	if (!same_file(path, c->config)) {
		fprintf(stderr, "icc-policy: icc-policyd enforces %s, not %s: it "
			"has put its own policy back\n", path, c->config);
		return 1;
	}
	printf("icc-policyd reloaded the policy\n");
	return 0;
}

int cmd_apply(const struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_plan cp = { 0 };
	size_t named = 0;
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
	ret = plan_make(c, &cp);
	if (!ret && !diff_count(&cp.plan.diff))
		nft_cache_keep(cp.nft, cp.plan.live);
	if (!ret && !plan_count(&cp.plan))
		printf("in sync: nothing to change\n");
	else if (!ret)
		ret = commit(c, &cp);
	for (size_t i = 0; cp.p && i < cp.p->ncontainers; i++)
		named += cp.p->containers[i].ident != ICC_ID_IP;
	cmd_plan_free(&cp);
	return ret ? ret : tell_daemon(c, named);
}
