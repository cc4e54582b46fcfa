// SPDX-License-Identifier: GPL-2.0-or-later
/* Which connections a ruleset's links allow (see include/icc/revoke.h). */
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
