// SPDX-License-Identifier: GPL-2.0-or-later
/* Policy model -> set elements. Chains and rules are static. */
#include <errno.h>
#include <netinet/in.h>

#include "icc/compile.h"

static void ipv4_range(const struct icc_prefix *p, uint32_t *lo, uint32_t *hi)
{
	uint32_t a = ntohl(p->addr.s_addr);
	uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;

	*lo = htonl(a & mask);
	*hi = htonl(a | ~mask);
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
		uint32_t a, z;
		int ret;

		key_ifname(&k, b->name);
		if ((ret = set_add(&rs->sets[ICC_SET_BRIDGES], &k, NULL, NULL, b->line)))
			return ret;
		ipv4_range(&b->subnet, &a, &z);
		key_ifname(&lo, b->name);
		key_ipv4(&lo, a);
		key_ifname(&hi, b->name);
		key_ipv4(&hi, z);
		if ((ret = set_add(&rs->sets[ICC_SET_SUBNETS4], &lo, &hi, NULL, b->line)) ||
		    (ret = compile_host(b, rs)))
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
	}
	return 0;
}

/* What compile reads: the policy and where its containers are now. */
struct cctx {
	const struct icc_policy *p;
	const struct icc_binding *bind;
	struct icc_ruleset *rs;
};

/* The addresses of container i (see struct icc_binding). */
static const struct in_addr *addrs_of(const struct cctx *c, unsigned i,
				      size_t *n)
{
	const struct icc_container *ct = &c->p->containers[i];

	if (ct->ident == ICC_ID_IP) {
		*n = 1;
		return &ct->ip;
	}
	*n = c->bind ? c->bind[i].n : 0;
	return c->bind ? c->bind[i].addrs : NULL;
}

static int compile_port(struct cctx *c, struct in_addr src,
			struct in_addr dst, const struct icc_port *pt)
{
	struct icc_ruleset *rs = c->rs;
	struct icc_key k = { .len = 0 }, e;

	key_ipv4(&k, src.s_addr);
	key_ipv4(&k, dst.s_addr);
	switch (pt->proto) {
	case 0:
		return set_add(&rs->sets[ICC_SET_LINKS4ANY], &k, NULL, NULL, pt->line);
	case IPPROTO_ICMP:
		return set_add(&rs->sets[ICC_SET_LINKS4ICMP], &k, NULL, NULL, pt->line);
	}
	key_proto(&k, pt->proto);
	e = k;
	key_port(&k, pt->lo);
	if (pt->lo == pt->hi)
		return set_add(&rs->sets[ICC_SET_LINKS4], &k, NULL, NULL, pt->line);
	key_port(&e, pt->hi);
	return set_add(&rs->sets[ICC_SET_LINKS4R], &k, &e, NULL, pt->line);
}

/* Every address of one side with every address of the other. */
static int compile_link(struct cctx *c, const struct icc_link *l)
{
	size_t nf, nt;
	const struct in_addr *from = addrs_of(c, l->from, &nf);
	const struct in_addr *to = addrs_of(c, l->to, &nt);

	for (size_t a = 0; a < nf; a++)
		for (size_t b = 0; b < nt; b++)
			for (size_t j = 0; j < l->nports; j++) {
				int ret = compile_port(c, from[a], to[b],
						       &l->ports[j]);
				if (ret)
					return ret;
			}
	return 0;
}

static int compile_links(struct cctx *c)
{
	for (size_t i = 0; i < c->p->nlinks; i++) {
		int ret = compile_link(c, &c->p->links[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* Container side of a publish: address . port (map data). */
static void publish_target(struct icc_key *k, struct in_addr a,
			   const struct icc_publish *u)
{
	k->len = 0;
	key_ipv4(k, a.s_addr);
	key_port(k, u->port);
}

static int compile_local(struct cctx *c, struct in_addr a,
			 const struct icc_publish *u)
{
	struct icc_key k = { .len = 0 }, d;

	key_ipv4(&k, u->host_addr.s_addr);
	key_proto(&k, u->proto);
	key_port(&k, u->host_port);
	publish_target(&d, a, u);
	return set_add(&c->rs->sets[ICC_SET_LOCAL4], &k, NULL, &d, u->line);
}

/*
 * A public publish: DNAT for allowed sources to the host address (0.0.0.0:
 * any local address, the rule checks fib daddr type local), and the
 * forward-path permission for the same sources to the container's port.
 */
static int compile_public(struct cctx *c, struct in_addr a,
			  const struct icc_publish *u)
{
	struct icc_ruleset *rs = c->rs;
	const struct icc_prefix any = { .len = 0 }, one = { u->host_addr, 32 };
	const struct icc_prefix *host = u->host_addr.s_addr ? &one : &any;
	uint32_t hlo, hhi, slo, shi;
	struct icc_key k, e, d;
	int ret;

	ipv4_range(host, &hlo, &hhi);
	publish_target(&d, a, u);
	for (size_t i = 0; i < u->nallow; i++) {
		ipv4_range(&u->allow_from[i], &slo, &shi);
		k.len = e.len = 0;
		key_ipv4(&k, slo); key_ipv4(&k, hlo);
		key_ipv4(&e, shi); key_ipv4(&e, hhi);
		key_proto(&k, u->proto); key_port(&k, u->host_port);
		key_proto(&e, u->proto); key_port(&e, u->host_port);
		if ((ret = set_add(&rs->sets[ICC_SET_DNAT4], &k, &e, &d, u->line)))
			return ret;
		k.len = e.len = 0;
		key_ipv4(&k, slo); key_ipv4(&e, shi);
		key_ipv4(&k, a.s_addr);
		key_ipv4(&e, a.s_addr);
		key_proto(&k, u->proto); key_port(&k, u->port);
		key_proto(&e, u->proto); key_port(&e, u->port);
		if ((ret = set_add(&rs->sets[ICC_SET_PUBLISHED4], &k, &e, NULL, u->line)))
			return ret;
	}
	return 0;
}

/* One egress rule for one of the container's addresses. */
static int compile_egress_addr(struct cctx *c, const struct icc_egress *e,
			       struct in_addr a)
{
	const struct icc_bridge *b = &c->p->bridges[c->p->containers[e->from].bridge];
	uint32_t lo, hi;

	ipv4_range(&e->to, &lo, &hi);
	for (size_t j = 0; j < e->nports; j++) {
		const struct icc_port *pt = &e->ports[j];
		struct icc_key k = { .len = 0 }, end;
		enum icc_set_id set = pt->proto == 0 ? ICC_SET_EGRESS4ANY :
			pt->proto == IPPROTO_ICMP ? ICC_SET_EGRESS4ICMP : ICC_SET_EGRESS4;
		int ret;

		key_ifname(&k, b->name);
		key_ifname(&k, b->uplink);
		key_ipv4(&k, a.s_addr);
		end = k;
		key_ipv4(&k, lo);
		key_ipv4(&end, hi);
		if (set == ICC_SET_EGRESS4) {
			key_proto(&k, pt->proto);
			key_proto(&end, pt->proto);
			key_port(&k, pt->lo);
			key_port(&end, pt->hi);
		}
		if ((ret = set_add(&c->rs->sets[set], &k, &end, NULL, pt->line)))
			return ret;
	}
	return 0;
}

static int compile_egress(struct cctx *c)
{
	for (size_t i = 0; i < c->p->negress; i++) {
		const struct icc_egress *e = &c->p->egress[i];
		size_t n;
		const struct in_addr *a = addrs_of(c, e->from, &n);

		for (size_t j = 0; j < n; j++) {
			int ret = compile_egress_addr(c, e, a[j]);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* A container that is not running publishes nothing. */
static int compile_publishes(struct cctx *c)
{
	for (size_t i = 0; i < c->p->npublishes; i++) {
		const struct icc_publish *u = &c->p->publishes[i];
		size_t n;
		const struct in_addr *a = addrs_of(c, u->container, &n);
		int ret;

		if (!n)
			continue;
		ret = policy_is_loopback(u->host_addr) ? compile_local(c, a[0], u) :
			compile_public(c, a[0], u);
		if (ret)
			return ret;
	}
	return 0;
}

int compile_policy(const struct icc_policy *p, const struct icc_binding *bind,
		   struct icc_ruleset **out)
{
	struct icc_ruleset *rs = ruleset_new();
	struct cctx c = { p, bind, rs };
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
