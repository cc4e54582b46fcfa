// SPDX-License-Identifier: GPL-2.0-or-later
/* One reconcile: see include/icc/plan.h. */
#include <errno.h>
#include <string.h>

#include "icc/plan.h"
#include "icc/revoke.h"

static int want(struct icc_plan *pl, const struct icc_policy *p,
		struct icc_disc *disc, bool part, struct icc_diags *notes,
		struct icc_diags *warn, struct icc_diags *err)
{
	int ret;

	memset(pl, 0, sizeof(*pl));
	pl->p = p;
	pl->partial = part;
	if (disc)
		ret = disc_run(disc, p, &pl->world, &pl->full, notes);
	else
		ret = discover(p, &pl->world, notes);
	if (ret < 0 ||
	    (ret = world_bind(p, &pl->world, &pl->bind, notes)) < 0 ||
	    (ret = (part ? compile_dynamic : compile_policy)(p, pl->bind, &pl->want)) < 0 ||
	    (ret = world_ports(p, &pl->world, pl->want, notes)) < 0)
		return ret;
	/*
	 * The bridges' flags change with an event that names the bridge, and
	 * that makes discovery look at everything: an event that names only
	 * container ports needs no RTM_GETLINK of the bridge under the rtnl
	 * lock. The sysctls change with no event: read at every reconcile.
	 */
	if (part && !pl->full)
		return kernel_plan_procfs(p, &pl->knobs, err);
	return kernel_plan(p, &pl->knobs, warn, err);
}

int plan_want(struct icc_plan *pl, const struct icc_policy *p,
	      struct icc_disc *disc, struct icc_diags *notes,
	      struct icc_diags *warn, struct icc_diags *err)
{
	return want(pl, p, disc, false, notes, warn, err);
}

int plan_want_part(struct icc_plan *pl, const struct icc_policy *p,
		   struct icc_disc *disc, struct icc_diags *notes,
		   struct icc_diags *warn, struct icc_diags *err)
{
	return want(pl, p, disc, true, notes, warn, err);
}

int plan_diff_part(struct icc_plan *pl, struct icc_nft *n,
		   struct icc_ruleset *before)
{
	uint32_t gen;
	int ret = nft_cache_current(n, &gen);

	if (ret < 0)
		return ret;
	/* What our last reconcile made live, as its part: so it still is. */
	before->genid = gen;
	before->present = before->owned = before->intact = true;
	pl->before = before;
	if ((ret = diff_compute(pl->want, before, &pl->diff)) < 0)
		return ret;
	pl->diff.partial = true;
	pl->have_diff = true;
	return 0;
}

int plan_diff(struct icc_plan *pl, struct icc_nft *n)
{
	int ret;

	if (pl->have_diff)
		diff_free(&pl->diff);
	pl->have_diff = false;
	ruleset_free(pl->live);
	pl->live = NULL;
	if ((ret = nft_read(n, &pl->live)) < 0 ||
	    (ret = diff_compute(pl->want, pl->live, &pl->diff)) < 0)
		return ret;
	pl->have_diff = true;
	return 0;
}

int plan_commit(struct icc_plan *pl, struct icc_nft *n, struct icc_diags *err)
{
	int ret = -ERESTART;

	for (int t = 0; t < ICC_PLAN_TRIES && ret == -ERESTART; t++) {
		if (t && pl->partial)
			return -ESTALE;	/* someone committed meanwhile: the whole plan */
		/* Never the stale diff again: what changed is read and diffed anew. */
		if (t) {
			pl->retries++;
			if ((ret = plan_diff(pl, n)) < 0)
				return ret;
		}
		if (!diff_count(&pl->diff)) {
			ret = 0;
			break;
		}
		ret = nft_commit(n, &pl->diff, pl->p->file, err);
	}
	return ret;
}

int plan_knobs(struct icc_plan *pl, struct icc_diags *err)
{
	return pl->knobs.n ? kernel_apply(&pl->knobs, err) : 0;
}

/* Whether the transaction took anything away (adding only allows more). */
static bool plan_removes(const struct icc_plan *pl)
{
	if (pl->diff.mode == ICC_DIFF_REPLACE)
		return true;
	for (size_t i = 0; i < ICC_NSETS; i++)
		if (pl->diff.sets[i].ndel)
			return true;
	return false;
}

int plan_revoke(struct icc_plan *pl, const struct icc_ruleset *after,
		size_t *n)
{
	*n = 0;
	/*
	 * A table that was not there allowed nothing, and a change that only
	 * adds elements ends no connection: no conntrack dump for those (a
	 * container coming up is the common event, and the table can be big).
	 */
	const struct icc_ruleset *live = pl->partial ? pl->before : pl->live;

	if (!live || !live->present || !pl->have_diff ||
	    pl->diff.mode == ICC_DIFF_CREATE || !plan_removes(pl))
		return 0;
	struct icc_host_addrs host = { pl->world.host, pl->world.nhost,
					pl->world.host6, pl->world.nhost6 };

	/*
	 * Partial: what the part allowed before, and the whole does not
	 * after. A flow only the rest allowed was allowed before and after
	 * alike; one the part allowed may be allowed by the rest too (an
	 * allow_from range), which only the whole says.
	 */
	return ct_revoke(live, after && pl->partial ? after : pl->want, &host, n);
}

size_t plan_count(const struct icc_plan *pl)
{
	return (pl->have_diff ? diff_count(&pl->diff) : 0) + pl->knobs.n;
}

void plan_free(struct icc_plan *pl)
{
	if (pl->have_diff)
		diff_free(&pl->diff);
	ruleset_free(pl->live);
	ruleset_free(pl->want);
	kernel_knobs_free(&pl->knobs);
	if (pl->p)
		bindings_free(pl->bind, pl->p->ncontainers);
	world_free(&pl->world);
	memset(pl, 0, sizeof(*pl));
}
