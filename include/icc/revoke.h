/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Revocation: a link that is gone must not live on in conntrack. The
 * ruleset lets established traffic pass before any link is looked at, so
 * removing an element stops new connections only; the connections it
 * allowed are deleted from conntrack here, after the transaction.
 */
#ifndef ICC_REVOKE_H
#define ICC_REVOKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "icc/ruleset.h"

/* A connection's first packet, as the forward hook saw it. */
struct icc_flow {
	bool v6;
	uint32_t src, dst;	/* IPv4: network byte order; dst after any DNAT */
	uint8_t src6[16], dst6[16];	/* IPv6: the same */
	uint8_t proto;
	uint16_t dport;		/* tcp, udp: host byte order */
	uint8_t icmp_type;	/* icmp, icmpv6 */
	bool to_host;		/* dst is an address of the host itself */
};

/* Whether the link sets of rs let f be opened. Pure. */
bool ruleset_link_allows(const struct icc_ruleset *rs, const struct icc_flow *f);
/*
 * Whether anything in rs lets f be opened: a link, the bridge's egress
 * (bridge-wide or an egress rule, for a destination on no managed
 * bridge), a published port, or the bridge's host_ports (f->to_host).
 * The bridge of f is the one whose subnet holds its source. Pure.
 */
bool ruleset_flow_allows(const struct icc_ruleset *rs, const struct icc_flow *f);

/*
 * Deletes every conntrack entry (IPv4 and IPv6) of the calling namespace that before
 * allowed (ruleset_flow_allows) and after does not; *n is how many.
 * Entries before never allowed (the host's own, traffic on no managed
 * bridge) are left alone. host and host6 are the host's own addresses,
 * which tell a flow to the host from one through it. Returns 0 or -errno
 * (nothing printed).
 */
struct icc_host_addrs {
	const struct in_addr *v4;
	size_t n4;
	const struct in6_addr *v6;
	size_t n6;
};

int ct_revoke(const struct icc_ruleset *before, const struct icc_ruleset *after,
	      const struct icc_host_addrs *host, size_t *n);

#endif
