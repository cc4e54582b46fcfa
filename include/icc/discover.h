/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Discovery: which container sits behind each port of a managed bridge,
 * and which addresses it has. A port is a veth whose master is a managed
 * bridge; its peer lives in another network namespace, known to us by a
 * namespace id (IFLA_LINK_NETNSID). We learn who that namespace is by
 * asking the kernel for the id of each candidate namespace file (ip netns,
 * Docker's SandboxKey) or, for LXC, by the veth name or MAC its config
 * declares; the peer's MAC and IPv4 addresses are read with
 * IFLA_TARGET_NETNSID / IFA_TARGET_NETNSID dumps (Linux 4.20+), so no
 * setns() is needed. IPv6 addresses are read the same way: those in the
 * bridge's IPv6 subnet name the container, link-local ones only bind its
 * port (anti-spoofing).
 *
 * Library code: nothing printed; notes go into warn. Memory belongs to
 * the struct and is released by world_free(). Functions return 0 or a
 * negative errno (-ENOMEM when out of memory).
 */
#ifndef ICC_DISCOVER_H
#define ICC_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "icc/compile.h"
#include "icc/policy.h"

/* Addresses a port may hold at most; beyond, the lowest are used. */
#define ICC_PORT_ADDRS	16

/* One port of a managed bridge and what is known about its far end. */
struct icc_member {
	int ifindex;			/* the bridge-side veth */
	char ifname[ICC_IFNAMSIZ];
	unsigned bridge;		/* index into policy->bridges */
	int nsid;			/* the peer's namespace id, -1: ours */
	int peer_ifindex;
	uint8_t mac[6];			/* the peer's MAC */
	bool has_mac;
	bool up;			/* the bridge side is up */
	struct in_addr *addrs;		/* peer IPv4 addresses in the subnet */
	size_t naddrs;
	struct in6_addr *addrs6;	/* peer IPv6 addresses in the IPv6 subnet */
	size_t naddrs6;
	struct in6_addr *ll6;		/* peer IPv6 link-local addresses */
	size_t nll6;
	char who[96];			/* "netns web", "docker web 0123abcd..." */
	unsigned *containers;		/* policy containers this port is */
	size_t ncontainers;
	uint64_t seq;			/* new each time discovery fills the port in */
};

struct icc_world {
	struct icc_member *v;
	size_t n;
	struct in_addr *host;		/* the addresses of our own namespace */
	size_t nhost;
	struct in6_addr *host6;
	size_t nhost6;
	bool borrowed;			/* disc_run()'s: world_free() leaves it */
	struct icc_claims *claims;	/* who holds each address: world_bind()'s */
};

/*
 * Looks at the calling process's network namespace and the identity
 * sources in p->paths, and fills w with every port of a managed bridge
 * (identified or not). Returns 0 or -errno.
 */
int discover(const struct icc_policy *p, struct icc_world *w,
	     struct icc_diags *warn);
void world_free(struct icc_world *w);

/*
 * icc-policyd's discovery, kept between events: disc_touch() notes what a
 * link or address event named (nsid -1: our namespace; addr: an address
 * event), and disc_run() looks again only at those ports, checking every
 * kept fact it relies on against the kernel. Anything it cannot account
 * for (a managed bridge changed, our own addresses changed, a namespace
 * no candidate had, a candidate gone stale, too many events, a minute
 * since the last full look, or disc_resync()) makes it discover
 * everything, as discover() does. *full says which it did. w is a view
 * of d's own world, valid until the next call; world_free() on it only
 * forgets it.
 */
struct icc_disc;
int disc_new(struct icc_disc **out);
void disc_free(struct icc_disc *d);
void disc_touch(struct icc_disc *d, int nsid, int ifindex, bool addr);
void disc_resync(struct icc_disc *d);
int disc_run(struct icc_disc *d, const struct icc_policy *p,
	     struct icc_world *w, bool *full, struct icc_diags *warn);

/*
 * Who holds each address and MAC of w: world_bind() or world_ports(),
 * whichever comes first, makes the table and keeps it in w for the other,
 * one table per reconcile. So w must not change after them, nor be used
 * with another policy (the table caches which addresses are static ips),
 * until world_free() or world_claims_free() drops it.
 */
void world_claims_free(struct icc_world *w);

/*
 * The addresses of every policy container (bind[i] for container i), as
 * compile_policy() takes them. An address is trusted for one owner only:
 * a discovered address that is another container's static ip, or that two
 * ports claim at once, is left out (with a note in warn). Release with
 * bindings_free(b, p->ncontainers).
 */
int world_bind(const struct icc_policy *p, struct icc_world *w,
	       struct icc_binding **out, struct icc_diags *warn);
void bindings_free(struct icc_binding *b, size_t n);

/*
 * Anti-spoofing: fills the sets of table bridge icc (ports, port_mac,
 * port_ip4) with every port of w and the MAC and IPv4 addresses it may
 * send with (an identity two ports claim is bound to neither; notes in
 * warn). rs is compile_policy()'s. Returns 0 or -ENOMEM.
 */
int world_ports(const struct icc_policy *p, struct icc_world *w,
		struct icc_ruleset *rs, struct icc_diags *warn);

/* qsort() order of struct in_addr / in6_addr: numeric, lowest first. */
int in_addr_cmp(const void *a, const void *b);
int in6_addr_cmp(const void *a, const void *b);

/* Canonical printer: one line per port, sorted by interface name. */
void world_print(FILE *f, const struct icc_policy *p,
		 const struct icc_world *w);
/* One port's line of world_print(), without its newline. */
void member_print(FILE *f, const struct icc_policy *p,
		  const struct icc_member *m);

#endif
