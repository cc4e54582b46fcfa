/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef ICC_COMPILE_H
#define ICC_COMPILE_H

#include "icc/policy.h"
#include "icc/ruleset.h"

/*
 * The addresses a container has right now. A container with a static ip
 * always has exactly that one; one named by name or labels has what
 * discovery found on its bridge (none while it is not running).
 */
struct icc_binding {
	struct in_addr *addrs;		/* sorted, unique */
	size_t n;
	struct in6_addr *addrs6;	/* the same for IPv6 (global, in the subnet) */
	size_t n6;
	bool borrowed;			/* the policy's own ip: not freed */
};

/*
 * Compiles a checked policy into the ruleset it means: the static chains
 * and rules, with every set filled and canonical. bind[i] holds the
 * addresses of policy container i; bind NULL compiles static addresses
 * only (named containers contribute nothing). A link holds between every
 * address of one side and every address of the other, per family; a
 * publish goes to the container's lowest address of the host address's
 * family ([::1] publishes are icc-policyd's relay, not rules). Returns 0
 * and sets *out, or -ENOMEM.
 */
int compile_policy(const struct icc_policy *p, const struct icc_binding *bind,
		   struct icc_ruleset **out);

/*
 * Only the part of compile_policy() that the addresses of named and
 * labelled containers change: the bridges' own elements, and those of
 * every link, publish and egress rule that involves such a container.
 * The rest (links between containers with static ips, say) is the same
 * whatever runs, and its elements never equal these: an address is
 * bound to one container only, and a discovered one is never a static
 * container's (world_bind()). icc-policyd diffs two of these between
 * events instead of the whole ruleset.
 */
int compile_dynamic(const struct icc_policy *p, const struct icc_binding *bind,
		    struct icc_ruleset **out);

/*
 * The elements of one link (publish false) or one publish (true) alone,
 * as compile_policy() makes them: status sums their counters. Returns 0
 * and sets *out, or -ENOMEM.
 */
int compile_one(const struct icc_policy *p, const struct icc_binding *bind,
		bool publish, size_t i, struct icc_ruleset **out);

#endif
