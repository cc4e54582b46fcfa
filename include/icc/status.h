/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `icc-policy status` reports beyond the plan (plan.h): the kernel
 * counters of each link, each publish and each kind of drop, whether each
 * managed bridge really hands its bridged traffic to the hooks, and
 * whether an icc-policyd guards this namespace. Library code: nothing
 * printed. Counters are only known while our tables are intact.
 */
#ifndef ICC_STATUS_H
#define ICC_STATUS_H

#include "icc/kernel.h"
#include "icc/plan.h"

/* The counters of one link or publish, summed over its elements. */
struct icc_status_item {
	struct icc_count c;
	size_t nelems;		/* elements the policy makes of it now */
	size_t nlive;		/* of which are live */
};

struct icc_status {
	struct icc_count drops[ICC_NDROPS];
	struct icc_status_item *links;		/* per policy link */
	struct icc_status_item *publishes;	/* per policy publish */
	struct icc_bridge_state *bridges;	/* per policy bridge */
	bool daemon;			/* an icc-policyd answers here */
	char daemon_policy[4096];	/* the file it enforces */
};

/* After plan_want() and plan_diff(). Returns 0 or -errno. */
int status_collect(const struct icc_plan *pl, struct icc_status *st);
void status_free(struct icc_status *st);

/* Whether bridge i's bridged IPv4 and IPv6 traffic reaches our rules. */
bool status_bridge_filtered(const struct icc_status *st, size_t i);

#endif
