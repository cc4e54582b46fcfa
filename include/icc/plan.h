/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One reconcile, shared by `icc-policy diff/apply` and icc-policyd: what
 * the policy wants given the containers running now (discover, bind,
 * compile, kernel knobs), what is live, the difference, one transaction.
 * Library code: nothing printed; problems in diags. Functions return 0 or
 * a negative errno: -EEXIST when table inet icc is not ours, -ENOPROTOOPT
 * / -ENOTTY / -EINVAL from kernel_plan(), -ERESTART when the ruleset kept
 * changing under us.
 */
#ifndef ICC_PLAN_H
#define ICC_PLAN_H

#include <errno.h>
#include <stdbool.h>

#include "icc/compile.h"
#include "icc/diff.h"
#include "icc/discover.h"
#include "icc/kernel.h"
#include "icc/nft.h"

#define ICC_PLAN_TRIES	3	/* another process changed the ruleset meanwhile */

struct icc_plan {
	const struct icc_policy *p;	/* borrowed */
	struct icc_world world;
	struct icc_binding *bind;
	struct icc_ruleset *want, *live;
	struct icc_knobs knobs;
	struct icc_diff diff;
	bool have_diff;
	bool full;			/* discovery looked at everything (disc) */
	bool partial;			/* want is compile_dynamic()'s */
	struct icc_ruleset *before;	/* partial: the last one, borrowed */
	unsigned retries;		/* plan_commit(): reads again after -ERESTART */
};

/*
 * Discovers (with disc's kept state and events when not NULL: icc-policyd),
 * binds and compiles p; reads the knobs it needs. notes gets
 * what discovery saw on the way (unreadable state files, addresses not
 * trusted), warn what the admin should fix (a bridge that does not exist).
 */
int plan_want(struct icc_plan *pl, const struct icc_policy *p,
	      struct icc_disc *disc, struct icc_diags *notes,
	      struct icc_diags *warn, struct icc_diags *err);
/*
 * Whether plan_want() failed only over the kernel settings (reported in
 * err): no br_netfilter, a bridge that is not one, an altname, no
 * nf_call flags. The ruleset was computed all the same.
 */
static inline bool plan_knob_error(int ret)
{
	return ret == -ENOPROTOOPT || ret == -ENOTTY || ret == -EINVAL ||
	       ret == -EOPNOTSUPP;
}

/*
 * icc-policyd between events: want is only compile_dynamic()'s part, and
 * plan_diff_part() diffs it against before, the same part as our last
 * reconcile made it live. That holds only while nothing but our own
 * commits changed the ruleset since (the generation says so): otherwise
 * -ESTALE, and the caller makes the whole plan. plan_commit() then also
 * returns -ESTALE if someone commits in between; plan_revoke() compares
 * the parts (a flow between containers with static ips is in neither).
 */
int plan_want_part(struct icc_plan *pl, const struct icc_policy *p,
		   struct icc_disc *disc, struct icc_diags *notes,
		   struct icc_diags *warn, struct icc_diags *err);
int plan_diff_part(struct icc_plan *pl, struct icc_nft *n,
		   struct icc_ruleset *before);

/* (Re)reads the live table and computes the difference. */
int plan_diff(struct icc_plan *pl, struct icc_nft *n);
/*
 * Sends the difference (if any) as one transaction, re-reading and
 * retrying when the generation moved.
 */
int plan_commit(struct icc_plan *pl, struct icc_nft *n, struct icc_diags *err);
/* Sets the kernel knobs; call after plan_commit(), so that route_localnet
 * is only turned on once the loopback guard is live. */
int plan_knobs(struct icc_plan *pl, struct icc_diags *err);
/*
 * After plan_commit(): deletes the conntrack entries of connections that a
 * link allowed before the commit and none allows now (revoke.h); *n is
 * how many. after: for a partial plan, the whole ruleset as it now is
 * (NULL: the part alone, which may cut a flow the rest still allows).
 */
int plan_revoke(struct icc_plan *pl, const struct icc_ruleset *after,
		size_t *n);
/* Changes the last plan_diff() found, knobs included. */
size_t plan_count(const struct icc_plan *pl);
void plan_free(struct icc_plan *pl);

#endif
