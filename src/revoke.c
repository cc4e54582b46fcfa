// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Which connections a ruleset allows (see include/icc/revoke.h). A
 * conntrack entry has addresses, protocol and ports but not the
 * interfaces: the bridge of a flow is the one whose subnet holds its
 * source, and the interface fields of a set are matched through that.
 */
#include <string.h>
#include <netinet/in.h>

#include "icc/revoke.h"

#define ICMP_ECHO_REQUEST	8

/* Field by field, lo <= k <= hi (fields are big-endian, 4-byte padded). */
static bool in_range(const uint8_t *k, const uint8_t *lo, const uint8_t *hi,
		     size_t len)
{
	for (size_t o = 0; o < len; o += 4)
		if (memcmp(k + o, lo + o, 4) < 0 || memcmp(k + o, hi + o, 4) > 0)
			return false;
	return true;
}

static bool set_has(const struct icc_set *s, const struct icc_key *k)
{
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);

		if (s->def->interval ? in_range(k->b, e, e + s->key_len, s->key_len) :
		    !memcmp(e, k->b, s->key_len))
			return true;
	}
	return false;
}

#define IFNAME_LEN	16	/* an ifname field in a concatenation */

/* The bridge whose subnet holds a, or NULL. */
static const uint8_t *bridge_of(const struct icc_ruleset *rs, uint32_t a)
{
	const struct icc_set *s = &rs->sets[ICC_SET_SUBNETS4];
	struct icc_key k = { .len = 0 };

	key_ipv4(&k, a);
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);

		if (in_range(k.b, e + IFNAME_LEN, e + s->key_len + IFNAME_LEN, 4))
			return e;
	}
	return NULL;
}

/* An element of s whose first ifname field is br (sets keyed by bridge). */
static bool has_bridge(const struct icc_set *s, const uint8_t *br)
{
	for (size_t i = 0; i < s->n; i++)
		if (!memcmp(set_elem(s, i), br, IFNAME_LEN))
			return true;
	return false;
}

/* An egress rule's set, with the bridge and uplink fields left out. */
static bool egress_has(const struct icc_set *s, const uint8_t *br,
		       const struct icc_key *k)
{
	size_t skip = 2 * IFNAME_LEN;

	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);

		if (!memcmp(e, br, IFNAME_LEN) &&
		    in_range(k->b, e + skip, e + s->key_len + skip, s->key_len - skip))
			return true;
	}
	return false;
}

/* Out of the bridge's uplink: bridge-wide egress or an egress rule. */
static bool egress_allows(const struct icc_ruleset *rs, const struct icc_flow *f,
			  const uint8_t *br)
{
	struct icc_key pair = { .len = 0 }, full;

	if (bridge_of(rs, f->dst))
		return false;	/* to another bridge: that is a link's business */
	if (has_bridge(&rs->sets[ICC_SET_EGRESS], br))
		return true;
	key_ipv4(&pair, f->src);
	key_ipv4(&pair, f->dst);
	if (egress_has(&rs->sets[ICC_SET_EGRESS4ANY], br, &pair))
		return true;
	if (f->proto == IPPROTO_ICMP)
		return f->icmp_type == ICMP_ECHO_REQUEST &&
		       egress_has(&rs->sets[ICC_SET_EGRESS4ICMP], br, &pair);
	full = pair;
	key_proto(&full, f->proto);
	key_port(&full, f->dport);
	return egress_has(&rs->sets[ICC_SET_EGRESS4], br, &full);
}

/* To the host itself, through the bridge's host_ports. */
static bool host_allows(const struct icc_ruleset *rs, const struct icc_flow *f,
			const uint8_t *br)
{
	struct icc_key k = { .len = 0 };

	if (has_bridge(&rs->sets[ICC_SET_HOST4ANY], br))
		return true;
	if (f->proto == IPPROTO_ICMP)
		return f->icmp_type == ICMP_ECHO_REQUEST &&
		       has_bridge(&rs->sets[ICC_SET_HOST4ICMP], br);
	memcpy(k.b, br, IFNAME_LEN);
	k.len = IFNAME_LEN;
	key_proto(&k, f->proto);
	key_port(&k, f->dport);
	return set_has(&rs->sets[ICC_SET_HOST4], &k);
}

/* From outside to a published port (after DNAT: dst is the container). */
static bool published_allows(const struct icc_ruleset *rs,
			     const struct icc_flow *f)
{
	struct icc_key k = { .len = 0 };

	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return false;
	key_ipv4(&k, f->src);
	key_ipv4(&k, f->dst);
	key_proto(&k, f->proto);
	key_port(&k, f->dport);
	return set_has(&rs->sets[ICC_SET_PUBLISHED4], &k);
}

bool ruleset_flow_allows(const struct icc_ruleset *rs, const struct icc_flow *f)
{
	const uint8_t *br;

	if (published_allows(rs, f) || ruleset_link_allows(rs, f))
		return true;
	if (!(br = bridge_of(rs, f->src)))
		return false;
	return f->to_host ? host_allows(rs, f, br) : egress_allows(rs, f, br);
}

bool ruleset_link_allows(const struct icc_ruleset *rs, const struct icc_flow *f)
{
	struct icc_key pair = { .len = 0 }, full;

	key_ipv4(&pair, f->src);
	key_ipv4(&pair, f->dst);
	if (set_has(&rs->sets[ICC_SET_LINKS4ANY], &pair))
		return true;
	if (f->proto == IPPROTO_ICMP)
		return f->icmp_type == ICMP_ECHO_REQUEST &&
		       set_has(&rs->sets[ICC_SET_LINKS4ICMP], &pair);
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return false;
	full = pair;
	key_proto(&full, f->proto);
	key_port(&full, f->dport);
	return set_has(&rs->sets[ICC_SET_LINKS4], &full) ||
	       set_has(&rs->sets[ICC_SET_LINKS4R], &full);
}
