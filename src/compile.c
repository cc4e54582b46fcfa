// SPDX-License-Identifier: GPL-2.0-or-later
/* Policy model -> set elements. Chains and rules are static. */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>

#include "icc/compile.h"

static void ipv4_range(const struct icc_prefix *p, uint32_t *lo, uint32_t *hi)
{
	uint32_t a = ntohl(p->addr.s_addr);
	uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;

	*lo = htonl(a & mask);
	*hi = htonl(a | ~mask);
}

/* The first and last address of p as key fields (either family). */
static void key_range(struct icc_key *lo, struct icc_key *hi,
		      const struct icc_prefix *p)
{
	uint32_t a, z;
	struct in6_addr l6, h6;

	if (!p->v6) {
		ipv4_range(p, &a, &z);
		key_ipv4(lo, a);
		key_ipv4(hi, z);
		return;
	}
	l6 = in6_masked(&p->addr6, p->len);
	h6 = l6;
	for (unsigned i = p->len; i < 128; i++)
		h6.s6_addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
	key_ipv6(lo, &l6);
	key_ipv6(hi, &h6);
}

/* One address of a family as a key field. */
static void key_addr(struct icc_key *k, bool v6, const void *a)
{
	if (v6)
		key_ipv6(k, a);
	else
		key_ipv4(k, ((const struct in_addr *)a)->s_addr);
}

/* The host services a bridge's containers may open connections to. */
static int compile_host(const struct icc_bridge *b, struct icc_ruleset *rs)
{
	for (size_t i = 0; i < b->nhost_ports; i++) {
		const struct icc_port *pt = &b->host_ports[i];
		struct icc_key k = { .len = 0 }, e;

		key_ifname(&k, b->name);
		if (pt->proto == 0 || pt->proto == IPPROTO_ICMP) {
			int ret = set_add(&rs->sets[pt->proto ? ICC_SET_HOST4ICMP :
						  ICC_SET_HOST4ANY], &k, NULL, NULL,
					  pt->line);
			if (ret)
				return ret;
			continue;
		}
		key_proto(&k, pt->proto);
		e = k;
		key_port(&k, pt->lo);
		key_port(&e, pt->hi);
		if (set_add(&rs->sets[ICC_SET_HOST4], &k, &e, NULL, pt->line))
			return -ENOMEM;
	}
	return 0;
}

static int compile_bridges(const struct icc_policy *p, struct icc_ruleset *rs)
{
	for (size_t i = 0; i < p->nbridges; i++) {
		const struct icc_bridge *b = &p->bridges[i];
		struct icc_key k = { .len = 0 }, lo = { .len = 0 }, hi = { .len = 0 };
		int ret;

		key_ifname(&k, b->name);
		if ((ret = set_add(&rs->sets[ICC_SET_BRIDGES], &k, NULL, NULL, b->line)) ||
		    (b->log &&
		     (ret = set_add(&rs->sets[ICC_SET_LOGGED], &k, NULL, NULL, b->line))))
			return ret;
		key_ifname(&lo, b->name);
		key_ifname(&hi, b->name);
		key_range(&lo, &hi, &b->subnet);
		if ((ret = set_add(&rs->sets[ICC_SET_SUBNETS4], &lo, &hi, NULL, b->line)) ||
		    (ret = compile_host(b, rs)))
			return ret;
		lo.len = hi.len = 0;
		key_ifname(&lo, b->name);
		key_ifname(&hi, b->name);
		key_range(&lo, &hi, &b->subnet6);
		if (b->has_subnet6 &&
		    (ret = set_add(&rs->sets[ICC_SET_SUBNETS6], &lo, &hi, NULL, b->line)))
			return ret;
		if (!b->uplink[0])
			continue;
		k.len = 0;
		key_ifname(&k, b->name);
		key_ifname(&k, b->uplink);
		if (b->egress &&
		    (ret = set_add(&rs->sets[ICC_SET_EGRESS], &k, NULL, NULL, b->line)))
			return ret;
		/* Also for egress = false: its per-container egress rules. */
		if (b->masquerade &&
		    (ret = set_add(&rs->sets[ICC_SET_MASQ], &k, NULL, NULL, b->line)))
			return ret;
		if ((ret = set_add(&rs->sets[ICC_SET_UPLINKS], &k, NULL, NULL, b->line)))
			return ret;
	}
	return 0;
}

/* What compile reads: the policy and where its containers are now. */
struct cctx {
	const struct icc_policy *p;
	const struct icc_binding *bind;
	struct icc_ruleset *rs;
	bool dynamic;		/* only what involves a container without an ip */
};

/* Whether container i's addresses may change: named or labelled. */
static bool moves(const struct cctx *c, unsigned i)
{
	return c->p->containers[i].ident != ICC_ID_IP;
}

/* The addresses of one family a container has (struct icc_binding). */
struct addrs {
	const uint8_t *v;
	size_t n, size;
	bool v6;
};

static const void *addr_at(const struct addrs *a, size_t i)
{
	return a->v + i * a->size;
}

static struct addrs addrs_of(const struct cctx *c, unsigned i, bool v6)
{
	const struct icc_container *ct = &c->p->containers[i];
	const struct icc_binding *b = c->bind ? &c->bind[i] : NULL;
	struct addrs a = { NULL, 0, v6 ? sizeof(struct in6_addr) :
			   sizeof(struct in_addr), v6 };

	if (ct->ident == ICC_ID_IP) {
		a.v = v6 ? (const uint8_t *)&ct->ip6 : (const uint8_t *)&ct->ip;
		a.n = v6 ? ct->has_ip6 : 1;
	} else if (b) {
		a.v = v6 ? (const uint8_t *)b->addrs6 : (const uint8_t *)b->addrs;
		a.n = v6 ? b->n6 : b->n;
	}
	return a;
}

/* The IPv4 set of a kind, or its IPv6 twin. */
static enum icc_set_id fam(enum icc_set_id s, bool v6)
{
	return v6 ? icc_set_v6(s) : s;
}

static int compile_port(struct cctx *c, bool v6, const void *src,
			const void *dst, const struct icc_port *pt)
{
	struct icc_ruleset *rs = c->rs;
	struct icc_key k = { .len = 0 }, e;

	key_addr(&k, v6, src);
	key_addr(&k, v6, dst);
	switch (pt->proto) {
	case 0:
		return set_add(&rs->sets[fam(ICC_SET_LINKS4ANY, v6)], &k, NULL, NULL, pt->line);
	case IPPROTO_ICMP:
		return set_add(&rs->sets[fam(ICC_SET_LINKS4ICMP, v6)], &k, NULL, NULL, pt->line);
	}
	key_proto(&k, pt->proto);
	e = k;
	key_port(&k, pt->lo);
	if (pt->lo == pt->hi)
		return set_add(&rs->sets[fam(ICC_SET_LINKS4, v6)], &k, NULL, NULL, pt->line);
	key_port(&e, pt->hi);
	return set_add(&rs->sets[fam(ICC_SET_LINKS4R, v6)], &k, &e, NULL, pt->line);
}

/* Every address of one side with every address of the other, per family. */
static int compile_link(struct cctx *c, const struct icc_link *l, bool v6)
{
	struct addrs from = addrs_of(c, l->from, v6), to = addrs_of(c, l->to, v6);

	for (size_t a = 0; a < from.n; a++)
		for (size_t b = 0; b < to.n; b++)
			for (size_t j = 0; j < l->nports; j++) {
				int ret = compile_port(c, v6, addr_at(&from, a),
						       addr_at(&to, b), &l->ports[j]);
				if (ret)
					return ret;
			}
	return 0;
}

/* Both families of one link. */
static int compile_link_both(struct cctx *c, const struct icc_link *l)
{
	int ret = compile_link(c, l, false);

	return ret ? ret : compile_link(c, l, true);
}

static int compile_links(struct cctx *c)
{
	const struct icc_index *x = &c->p->index;
	/* dynamic: only the links an event can move (policy_index.c) */
	size_t n = c->dynamic ? x->nmoving : c->p->nlinks;

	for (size_t i = 0; i < n; i++) {
		const struct icc_link *l = &c->p->links[c->dynamic ? x->moving[i] : i];
		int ret;

		if ((ret = compile_link_both(c, l)))
			return ret;
	}
	return 0;
}

/* Container side of a publish: address . port (map data). */
static void publish_target(struct icc_key *k, bool v6, const void *a,
			   const struct icc_publish *u)
{
	k->len = 0;
	key_addr(k, v6, a);
	key_port(k, u->port);
}

static int compile_local(struct cctx *c, const void *a,
			 const struct icc_publish *u)
{
	struct icc_key k = { .len = 0 }, d;

	key_ipv4(&k, u->host_addr.s_addr);
	key_proto(&k, u->proto);
	key_port(&k, u->host_port);
	publish_target(&d, false, a, u);
	return set_add(&c->rs->sets[ICC_SET_LOCAL4], &k, NULL, &d, u->line);
}

/*
 * A public publish: DNAT for allowed sources to the host address (0.0.0.0:
 * any local address, the rule checks fib daddr type local), and the
 * forward-path permission for the same sources to the container's port.
 */
static int compile_public(struct cctx *c, const void *a,
			  const struct icc_publish *u)
{
	struct icc_ruleset *rs = c->rs;
	struct icc_prefix host = { .addr = u->host_addr, .addr6 = u->host_addr6,
				   .len = u->v6 ? 128 : 32, .v6 = u->v6 };
	struct icc_key k, e, d, hk = { .len = 0 }, he = { .len = 0 };
	int ret;

	if (u->v6 ? IN6_IS_ADDR_UNSPECIFIED(&u->host_addr6) : !u->host_addr.s_addr)
		host.len = 0;
	key_range(&hk, &he, &host);
	publish_target(&d, u->v6, a, u);
	for (size_t i = 0; i < u->nallow; i++) {
		k.len = e.len = 0;
		key_range(&k, &e, &u->allow_from[i]);
		memcpy(k.b + k.len, hk.b, hk.len);
		memcpy(e.b + e.len, he.b, he.len);
		k.len += hk.len;
		e.len += he.len;
		key_proto(&k, u->proto); key_port(&k, u->host_port);
		key_proto(&e, u->proto); key_port(&e, u->host_port);
		if ((ret = set_add(&rs->sets[fam(ICC_SET_DNAT4, u->v6)], &k, &e, &d, u->line)))
			return ret;
		k.len = e.len = 0;
		key_range(&k, &e, &u->allow_from[i]);
		key_addr(&k, u->v6, a);
		key_addr(&e, u->v6, a);
		key_proto(&k, u->proto); key_port(&k, u->port);
		key_proto(&e, u->proto); key_port(&e, u->port);
		if ((ret = set_add(&rs->sets[fam(ICC_SET_PUBLISHED4, u->v6)], &k, &e, NULL, u->line)))
			return ret;
	}
	return 0;
}

/*
 * One egress rule for one of the container's addresses. IPv4 keys carry
 * bridge . uplink; IPv6 ones only the bridge (the rule checks @uplinks).
 */
static int compile_egress_addr(struct cctx *c, const struct icc_egress *e,
			       const void *a)
{
	const struct icc_bridge *b = &c->p->bridges[c->p->containers[e->from].bridge];
	bool v6 = e->to.v6;

	for (size_t j = 0; j < e->nports; j++) {
		const struct icc_port *pt = &e->ports[j];
		struct icc_key k = { .len = 0 }, end;
		enum icc_set_id set = pt->proto == 0 ? ICC_SET_EGRESS4ANY :
			pt->proto == IPPROTO_ICMP ? ICC_SET_EGRESS4ICMP : ICC_SET_EGRESS4;
		int ret;

		key_ifname(&k, b->name);
		if (!v6)
			key_ifname(&k, b->uplink);
		key_addr(&k, v6, a);
		end = k;
		key_range(&k, &end, &e->to);
		if (set == ICC_SET_EGRESS4) {
			key_proto(&k, pt->proto);
			key_proto(&end, pt->proto);
			key_port(&k, pt->lo);
			key_port(&end, pt->hi);
		}
		if ((ret = set_add(&c->rs->sets[fam(set, v6)], &k, &end, NULL, pt->line)))
			return ret;
	}
	return 0;
}

static int compile_egress(struct cctx *c)
{
	for (size_t i = 0; i < c->p->negress; i++) {
		const struct icc_egress *e = &c->p->egress[i];
		struct addrs a = addrs_of(c, e->from, e->to.v6);

		if (c->dynamic && !moves(c, e->from))
			continue;
		for (size_t j = 0; j < a.n; j++) {
			int ret = compile_egress_addr(c, e, addr_at(&a, j));

			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * A container that is not running publishes nothing; [::1] publishes
 * are relayed by icc-policyd (the kernel does not route a DNATed
 * loopback source out of a bridge in IPv6).
 */
static int compile_publish(struct cctx *c, const struct icc_publish *u)
{
	struct addrs a = addrs_of(c, u->container, u->v6);
	bool loop = publish_is_loopback(u);

	if (!a.n || (loop && u->v6))
		return 0;
	return loop ? compile_local(c, addr_at(&a, 0), u) :
		      compile_public(c, addr_at(&a, 0), u);
}

static int compile_publishes(struct cctx *c)
{
	for (size_t i = 0; i < c->p->npublishes; i++) {
		const struct icc_publish *u = &c->p->publishes[i];
		int ret;

		if (c->dynamic && !moves(c, u->container))
			continue;
		if ((ret = compile_publish(c, u)))
			return ret;
	}
	return 0;
}

static int compile_part(const struct icc_policy *p, const struct icc_binding *bind,
			bool dynamic, struct icc_ruleset **out)
{
	struct icc_ruleset *rs = ruleset_new();
	struct cctx c = { p, bind, rs, dynamic };
	int ret = -ENOMEM;

	if (!rs)
		goto out;
	if ((ret = compile_bridges(p, rs)) || (ret = compile_links(&c)) ||
	    (ret = compile_publishes(&c)) || (ret = compile_egress(&c)) ||
	    (ret = ruleset_canonicalize(rs)))
		goto out;
	*out = rs;
	rs = NULL;
out:
	ruleset_free(rs);
	return ret;
}

int compile_policy(const struct icc_policy *p, const struct icc_binding *bind,
		   struct icc_ruleset **out)
{
	return compile_part(p, bind, false, out);
}

int compile_dynamic(const struct icc_policy *p, const struct icc_binding *bind,
		    struct icc_ruleset **out)
{
	return compile_part(p, bind, true, out);
}

int compile_one(const struct icc_policy *p, const struct icc_binding *bind,
		bool publish, size_t i, struct icc_ruleset **out)
{
	struct icc_ruleset *rs = ruleset_new();
	struct cctx c = { p, bind, rs, false };
	int ret = -ENOMEM;

	if (!rs)
		goto out;
	if (publish)
		ret = compile_publish(&c, &p->publishes[i]);
	else
		ret = compile_link_both(&c, &p->links[i]);
	if (ret || (ret = ruleset_canonicalize(rs)))
		goto out;
	*out = rs;
	rs = NULL;
out:
	ruleset_free(rs);
	return ret;
}
