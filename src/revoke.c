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
#define ICMP_ECHO_REQUEST6	128

/* The flow's source or destination as a key field. */
static void key_flow(struct icc_key *k, const struct icc_flow *f, bool dst)
{
	if (f->v6)
		key_ipv6(k, dst ? f->dst6 : f->src6);
	else
		key_ipv4(k, dst ? f->dst : f->src);
}

/* The IPv4 set of a kind, or its IPv6 twin for an IPv6 flow. */
static const struct icc_set *fam_set(const struct icc_ruleset *rs,
				     enum icc_set_id s4, const struct icc_flow *f)
{
	return &rs->sets[f->v6 ? icc_set_v6(s4) : s4];
}

static bool is_echo(const struct icc_flow *f)
{
	return f->icmp_type == (f->v6 ? ICMP_ECHO_REQUEST6 : ICMP_ECHO_REQUEST);
}

static bool is_icmp(const struct icc_flow *f)
{
	return f->proto == (f->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

/* The bridge whose subnet holds the flow's source (or destination). */
static const uint8_t *bridge_of(const struct icc_ruleset *rs,
				const struct icc_flow *f, bool dst)
{
	const struct icc_set *s = fam_set(rs, ICC_SET_SUBNETS4, f);
	struct icc_key k = { .len = 0 };

	key_flow(&k, f, dst);
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = set_elem(s, i);

		if (in_range(k.b, e + IFNAME_LEN, e + s->key_len + IFNAME_LEN, k.len))
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

/*
 * An egress rule's set, with the bridge (and for IPv4 the uplink) fields
 * left out.
 */
static bool egress_has(const struct icc_set *s, const uint8_t *br,
		       const struct icc_key *k, size_t skip)
{
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
	size_t skip = (f->v6 ? 1 : 2) * IFNAME_LEN;

	if (bridge_of(rs, f, true))
		return false;	/* to another bridge: that is a link's business */
	if (has_bridge(&rs->sets[ICC_SET_EGRESS], br))
		return true;
	key_flow(&pair, f, false);
	key_flow(&pair, f, true);
	if (egress_has(fam_set(rs, ICC_SET_EGRESS4ANY, f), br,
		       &pair, skip))
		return true;
	if (is_icmp(f))
		return is_echo(f) &&
		       egress_has(fam_set(rs, ICC_SET_EGRESS4ICMP, f),
				  br, &pair, skip);
	full = pair;
	key_proto(&full, f->proto);
	key_port(&full, f->dport);
	return egress_has(fam_set(rs, ICC_SET_EGRESS4, f), br,
			  &full, skip);
}

/* To the host itself, through the bridge's host_ports. */
static bool host_allows(const struct icc_ruleset *rs, const struct icc_flow *f,
			const uint8_t *br)
{
	struct icc_key k = { .len = 0 };

	if (has_bridge(&rs->sets[ICC_SET_HOST4ANY], br))
		return true;
	if (is_icmp(f))	/* IPv6 errors and discovery always pass */
		return is_echo(f) ? has_bridge(&rs->sets[ICC_SET_HOST4ICMP], br) : f->v6;
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
	key_flow(&k, f, false);
	key_flow(&k, f, true);
	key_proto(&k, f->proto);
	key_port(&k, f->dport);
	return set_has(fam_set(rs, ICC_SET_PUBLISHED4, f), &k);
}

bool ruleset_flow_allows(const struct icc_ruleset *rs, const struct icc_flow *f)
{
	const uint8_t *br;

	if (published_allows(rs, f) || ruleset_link_allows(rs, f))
		return true;
	if (!(br = bridge_of(rs, f, false)))
		return false;
	return f->to_host ? host_allows(rs, f, br) : egress_allows(rs, f, br);
}

bool ruleset_link_allows(const struct icc_ruleset *rs, const struct icc_flow *f)
{
	struct icc_key pair = { .len = 0 }, full;

	key_flow(&pair, f, false);
	key_flow(&pair, f, true);
	if (set_has(fam_set(rs, ICC_SET_LINKS4ANY, f), &pair))
		return true;
	if (is_icmp(f))
		return is_echo(f) &&
		       set_has(fam_set(rs, ICC_SET_LINKS4ICMP, f), &pair);
	if (f->proto != IPPROTO_TCP && f->proto != IPPROTO_UDP)
		return false;
	full = pair;
	key_proto(&full, f->proto);
	key_port(&full, f->dport);
	return set_has(fam_set(rs, ICC_SET_LINKS4, f), &full) ||
	       set_has(fam_set(rs, ICC_SET_LINKS4R, f), &full);
}
