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

#include "icc/ruleset.h"

/* A connection's first packet, as the forward hook saw it. */
struct icc_flow {
	uint32_t src, dst;	/* network byte order; dst after any DNAT */
	uint8_t proto;
	uint16_t dport;		/* tcp, udp: host byte order */
	uint8_t icmp_type;	/* icmp */
};

/* Whether the link sets of rs let f be opened. Pure. */
bool ruleset_link_allows(const struct icc_ruleset *rs, const struct icc_flow *f);

/*
 * Deletes every IPv4 conntrack entry of the calling namespace that a link
 * of before allowed and no link of after allows; *n is how many. Entries
 * no link ever allowed (egress, published ports, the host's own) are left
 * alone. Returns 0 or -errno (nothing printed).
 */
int ct_revoke(const struct icc_ruleset *before, const struct icc_ruleset *after,
	      size_t *n);

#endif
