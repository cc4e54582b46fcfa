// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy stage 2: checks across objects. Each object in the model is valid
 * on its own (policy_parse.c made sure); here we look at how they relate.
 * A problem is reported on the later object, naming the earlier one's line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "policy_int.h"

static void check_bridge(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_bridge *b = &p->bridges[i];
	const struct src_bridge *src = &c->sbridges[i];
	char s1[PREFIX_STRLEN], s2[PREFIX_STRLEN];

	for (size_t j = 0; j < i; j++) {
		const struct icc_bridge *o = &p->bridges[j];

		if (!strcmp(o->name, b->name)) {
			policy_err(c, src->name, "bridge %s already declared at line %d",
				   b->name, o->line);
			continue;
		}
		if (prefix_overlap(&o->subnet, &b->subnet))
			policy_err(c, src->subnet, "bridge %s: subnet %s overlaps bridge %s's subnet %s (line %d)",
				   b->name, prefix_str(&b->subnet, s1), o->name,
				   prefix_str(&o->subnet, s2), o->line);
		if (b->has_subnet6 && o->has_subnet6 &&
		    prefix_overlap(&o->subnet6, &b->subnet6))
			policy_err(c, src->subnet6, "bridge %s: subnet %s overlaps bridge %s's subnet %s (line %d)",
				   b->name, prefix_str(&b->subnet6, s1), o->name,
				   prefix_str(&o->subnet6, s2), o->line);
	}
	if (!b->uplink[0])
		return;
	/* Traffic between managed bridges is container traffic, not egress. */
	for (size_t j = 0; j < p->nbridges; j++) {
		if (strcmp(p->bridges[j].name, b->uplink))
			continue;
		policy_err(c, src->uplink, "bridge %s: uplink %s is a bridge managed by this policy",
			   b->name, b->uplink);
		break;
	}
}

/*
 * Duplicates among ten thousand containers are found by sorting, not by
 * comparing each with all before it: twin[i] is the first container
 * before i with an equal key (same class, cmp 0), or NONE.
 */
#define NONE	SIZE_MAX

struct twins {
	size_t *ip4, *ip6, *sel;
};

struct twin_key {
	const struct icc_container *v;
	int (*cmp)(const struct icc_container *, const struct icc_container *);
};

static int twin_cmp(const void *a, const void *b, void *arg)
{
	const struct twin_key *k = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int r = k->cmp(&k->v[i], &k->v[j]);

	if (r)
		return r;
	return i < j ? -1 : i > j;
}

static size_t *find_twins(struct policy_ctx *c,
			  bool (*in)(const struct icc_container *),
			  int (*cmp)(const struct icc_container *,
				     const struct icc_container *))
{
	const struct icc_policy *p = c->p;
	struct twin_key key = { p->containers, cmp };
	size_t *twin = malloc((p->ncontainers + 1) * sizeof(*twin));
	size_t *v = malloc((p->ncontainers + 1) * sizeof(*v)), n = 0;

	if (!twin || !v) {
		free(twin);
		free(v);
		c->oom = true;
		return NULL;
	}
	for (size_t i = 0; i < p->ncontainers; i++) {
		twin[i] = NONE;
		if (in(&p->containers[i]))
			v[n++] = i;
	}
	qsort_r(v, n, sizeof(*v), twin_cmp, &key);
	for (size_t k = 1, first = 0; k < n; k++) {
		if (cmp(&p->containers[v[k]], &p->containers[v[first]]))
			first = k;
		else
			twin[v[k]] = v[first];
	}
	free(v);
	return twin;
}

static bool is_ip4(const struct icc_container *ct)
{
	return ct->ident == ICC_ID_IP;
}

static bool is_ip6(const struct icc_container *ct)
{
	return ct->ident == ICC_ID_IP && ct->has_ip6;
}

static bool is_selector(const struct icc_container *ct)
{
	return ct->ident == ICC_ID_NAME || ct->ident == ICC_ID_LABELS;
}

static int ip4_cmp(const struct icc_container *a, const struct icc_container *b)
{
	uint32_t x = ntohl(a->ip.s_addr), y = ntohl(b->ip.s_addr);

	return x < y ? -1 : x > y;
}

static int ip6_cmp(const struct icc_container *a, const struct icc_container *b)
{
	return memcmp(&a->ip6, &b->ip6, 16);
}

/* Same bridge, same kind, and the same name or the same labels. */
static int selector_cmp(const struct icc_container *a,
			const struct icc_container *b)
{
	if (a->bridge != b->bridge)
		return a->bridge < b->bridge ? -1 : 1;
	if (a->ident != b->ident)
		return a->ident < b->ident ? -1 : 1;
	if (a->ident == ICC_ID_NAME)
		return strcmp(a->match, b->match);
	if (a->nlabels != b->nlabels)
		return a->nlabels < b->nlabels ? -1 : 1;
	for (size_t i = 0; i < a->nlabels; i++) {
		int r = strcmp(a->labels[i], b->labels[i]);

		if (r)
			return r;
	}
	return 0;
}

/*
 * Two entries that select the same containers on one bridge would make
 * links to either one apply to both without saying so.
 */
static void check_selector(struct policy_ctx *c, const struct twins *tw,
			   size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_container *ct = &p->containers[i], *o;

	if (tw->sel[i] == NONE)
		return;
	o = &p->containers[tw->sel[i]];
	if (ct->ident == ICC_ID_NAME)
		policy_err(c, c->scontainers[i].ident, "container %s: name %s on bridge %s is already container %s (line %d)",
			   ct->name, ct->match, p->bridges[ct->bridge].name,
			   o->name, o->line);
	else
		policy_err(c, c->scontainers[i].ident, "container %s: the same labels on bridge %s select container %s (line %d)",
			   ct->name, p->bridges[ct->bridge].name,
			   o->name, o->line);
}

/* A static IPv6 address: in the bridge's IPv6 subnet, used once. */
static void check_ip6(struct policy_ctx *c, const struct twins *tw, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_container *ct = &p->containers[i];
	const struct icc_bridge *b = &p->bridges[ct->bridge];
	int line = c->scontainers[i].ip6;
	char ip[ADDR_STRLEN], net[PREFIX_STRLEN];

	addr6_str(&ct->ip6, ip);
	if (!b->has_subnet6) {
		policy_err(c, line, "container %s: ip %s is IPv6 but bridge %s has no IPv6 subnet",
			   ct->name, ip, b->name);
		return;
	}
	prefix_str(&b->subnet6, net);
	if (!prefix6_contains(&b->subnet6, &ct->ip6)) {
		policy_err(c, line, "container %s: ip %s is outside bridge %s's subnet %s",
			   ct->name, ip, b->name, net);
		return;
	}
	if (b->subnet6.len < 128 && !memcmp(&ct->ip6, &b->subnet6.addr6, 16)) {
		policy_err(c, line, "container %s: ip %s is the subnet-router anycast address of bridge %s's subnet %s",
			   ct->name, ip, b->name, net);
		return;
	}
	if (tw->ip6[i] != NONE) {
		const struct icc_container *o = &p->containers[tw->ip6[i]];

		policy_err(c, line, "container %s: ip %s is already used by container %s (line %d)",
			   ct->name, ip, o->name, o->line);
	}
}

static void check_container(struct policy_ctx *c, const struct twins *tw,
			    size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_container *ct = &p->containers[i];
	const struct icc_bridge *b = &p->bridges[ct->bridge];
	int line = c->scontainers[i].ident;
	char ip[ADDR_STRLEN], net[PREFIX_STRLEN];
	const char *what = NULL;

	if (ct->ident != ICC_ID_IP) {
		check_selector(c, tw, i);
		return;
	}
	if (ct->has_ip6)
		check_ip6(c, tw, i);
	/* Texts for the messages only: formatting 10,000 of them costs. */
	if (!prefix_contains(&b->subnet, ct->ip)) {
		addr_str(ct->ip, ip);
		prefix_str(&b->subnet, net);
		policy_err(c, line, "container %s: ip %s is outside bridge %s's subnet %s",
			   ct->name, ip, b->name, net);
		return;
	}
	/* /31 and /32 have no network or broadcast address (RFC 3021). */
	if (b->subnet.len <= 30 && ct->ip.s_addr == b->subnet.addr.s_addr)
		what = "network";
	else if (b->subnet.len <= 30 &&
		 ct->ip.s_addr == prefix_last(&b->subnet).s_addr)
		what = "broadcast";
	if (what) {
		addr_str(ct->ip, ip);
		prefix_str(&b->subnet, net);
		policy_err(c, line, "container %s: ip %s is the %s address of bridge %s's subnet %s",
			   ct->name, ip, what, b->name, net);
		return;
	}
	if (tw->ip4[i] != NONE) {
		const struct icc_container *o = &p->containers[tw->ip4[i]];

		addr_str(ct->ip, ip);
		policy_err(c, line, "container %s: ip %s is already used by container %s (line %d)",
			   ct->name, ip, o->name, o->line);
	}
}

/*
 * One stable counting-sort pass of v (n link indexes) by from or to into
 * out: O(links + containers), where qsort took most of check's time.
 */
static int pass_by(const struct icc_policy *p, const size_t *v, size_t *out,
		   bool by_from)
{
	size_t *at = calloc(p->ncontainers + 1, sizeof(*at));

	if (!at)
		return -ENOMEM;
	for (size_t k = 0; k < p->nlinks; k++) {
		const struct icc_link *l = &p->links[v[k]];

		at[(by_from ? l->from : l->to) + 1]++;
	}
	for (size_t i = 1; i <= p->ncontainers; i++)
		at[i] += at[i - 1];
	for (size_t k = 0; k < p->nlinks; k++) {
		const struct icc_link *l = &p->links[v[k]];

		out[at[by_from ? l->from : l->to]++] = v[k];
	}
	free(at);
	return 0;
}

/* v: the links' indexes sorted by (from, to, position). */
static int links_by_pair(const struct icc_policy *p, size_t *v)
{
	size_t *tmp = malloc((p->nlinks + 1) * sizeof(*tmp));
	int ret = -ENOMEM;

	if (!tmp)
		return ret;
	for (size_t i = 0; i < p->nlinks; i++)
		v[i] = i;
	/* Least significant first: stable passes keep position, then to. */
	if ((ret = pass_by(p, v, tmp, false)) == 0)
		ret = pass_by(p, tmp, v, true);
	free(tmp);
	return ret;
}

/*
 * Two links for one pair would be merged silently; say so instead. Sorted
 * by pair (then by position), so that ten thousand containers with ten
 * links each are checked in O(n log n): each later one names the first.
 */
static void check_links(struct policy_ctx *c)
{
	const struct icc_policy *p = c->p;
	size_t *v = malloc((p->nlinks + 1) * sizeof(*v)), first = 0;

	if (!v || links_by_pair(p, v) < 0) {
		free(v);
		c->oom = true;
		return;
	}
	for (size_t k = 0; k < p->nlinks; k++) {
		const struct icc_link *l = &p->links[v[k]], *o = &p->links[v[first]];
		const char *from = p->containers[l->from].name;
		const char *to = p->containers[l->to].name;

		if (l->from == l->to)
			policy_err(c, c->slinks[v[k]].to, "link %s -> %s: a container always reaches itself",
				   from, to);
		else if (k > first && o->from == l->from && o->to == l->to)
			policy_err(c, l->line, "link %s -> %s already declared at line %d",
				   from, to, o->line);
		if (o->from != l->from || o->to != l->to)
			first = k;
	}
	free(v);
}

/* Two publishes collide when one packet could match both DNAT rules. */
static bool same_host(const struct icc_publish *a, const struct icc_publish *b)
{
	return a->v6 == b->v6 && (a->v6 ? !memcmp(&a->host_addr6, &b->host_addr6, 16)
					: a->host_addr.s_addr == b->host_addr.s_addr);
}

static bool host_any(const struct icc_publish *a)
{
	return a->v6 ? IN6_IS_ADDR_UNSPECIFIED(&a->host_addr6)
		     : a->host_addr.s_addr == htonl(INADDR_ANY);
}

static bool publish_collide(const struct icc_publish *a,
			    const struct icc_publish *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port ||
	    a->v6 != b->v6)
		return false;
	return same_host(a, b) || host_any(a) || host_any(b);
}

/* An IPv6 publish needs IPv6 on the container's bridge, and sources of
 * the host address's family. */
static void check_publish_family(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_publish *pb = &p->publishes[i];
	const struct icc_container *ct = &p->containers[pb->container];
	char src[PREFIX_STRLEN];

	if (pb->v6 && !p->bridges[ct->bridge].has_subnet6)
		policy_err(c, c->spublishes[i].host, "publish %s %s/%u: the host address is IPv6 but bridge %s has no IPv6 subnet",
			   ct->name, proto_name(pb->proto), pb->port,
			   p->bridges[ct->bridge].name);
	for (size_t k = 0; k < pb->nallow; k++) {
		if (pb->allow_from[k].v6 == pb->v6)
			continue;
		policy_err(c, c->spublishes[i].allow_from, "publish %s %s/%u: allow_from %s is IPv%c but the host address is IPv%c",
			   ct->name, proto_name(pb->proto), pb->port,
			   source_str(&pb->allow_from[k], src),
			   pb->v6 ? '4' : '6', pb->v6 ? '6' : '4');
		break;
	}
}

static void check_publish(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_publish *pb = &p->publishes[i];
	const struct src_publish *src = &c->spublishes[i];
	const char *name = p->containers[pb->container].name;
	const char *proto = proto_name(pb->proto);
	char addr[ADDR_STRLEN], h1[HOST_STRLEN], h2[HOST_STRLEN];
	bool loop = publish_is_loopback(pb);

	host_addr_str(pb, addr);
	check_publish_family(c, i);
	if (p->containers[pb->container].ident == ICC_ID_LABELS)
		policy_err(c, src->container, "publish %s %s/%u: container %s is a label group; a port is published to one container",
			   name, proto, pb->port, name);
	if (!loop && !pb->nallow)
		policy_err(c, src->host, "publish %s %s/%u: publishing on %s exposes %s:%u to every source; add allow_from",
			   name, proto, pb->port, addr, name, pb->port);
	if (loop && pb->nallow)
		policy_err(c, src->allow_from, "publish %s %s/%u: allow_from has no meaning on loopback address %s; remove it",
			   name, proto, pb->port, addr);
	for (size_t j = 0; j < i; j++) {
		const struct icc_publish *o = &p->publishes[j];

		if (!publish_collide(o, pb))
			continue;
		host_str(pb, h1);
		host_str(o, h2);
		if (same_host(o, pb))
			policy_err(c, src->host, "publish %s %s/%u: %s host %s is already published at line %d",
				   name, proto, pb->port, proto, h1, o->line);
		else
			policy_err(c, src->host, "publish %s %s/%u: %s host %s overlaps %s, published at line %d",
				   name, proto, pb->port, proto, h1, h2, o->line);
		break;
	}
}

/*
 * Egress rules are for bridges that list destinations: with egress = true
 * the bridge already lets every container out, and a rule would say
 * less than it seems. Two rules of one container that overlap in both
 * destination and port would be refused by the kernel's interval set.
 */
static void check_egress(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_egress *e = &p->egress[i];
	const struct icc_container *ct = &p->containers[e->from];
	const struct icc_bridge *b = &p->bridges[ct->bridge];
	int line = c->segress[i].from;

	if (!b->uplink[0]) {
		policy_err(c, line, "egress %s: bridge %s has no uplink to egress through",
			   ct->name, b->name);
		return;
	}
	if (b->egress) {
		policy_err(c, line, "egress %s: bridge %s already lets every container out (egress = true); set egress = false to list destinations",
			   ct->name, b->name);
		return;
	}
	if (e->to.v6 && !b->has_subnet6) {
		policy_err(c, c->segress[i].to, "egress %s: destination is IPv6 but bridge %s has no IPv6 subnet",
			   ct->name, b->name);
		return;
	}
	for (size_t j = 0; j < i; j++) {
		const struct icc_egress *o = &p->egress[j];

		if (o->from != e->from || !prefix_overlap(&o->to, &e->to))
			continue;
		for (size_t a = 0; a < e->nports; a++)
			for (size_t k = 0; k < o->nports; k++) {
				if (!port_overlap(&e->ports[a], &o->ports[k]))
					continue;
				policy_err(c, e->ports[a].line, "egress %s: overlaps the egress at line %d (destination and port)",
					   ct->name, o->line);
				return;
			}
	}
}

void policy_check(struct policy_ctx *c)
{
	struct twins tw = {
		find_twins(c, is_ip4, ip4_cmp),
		find_twins(c, is_ip6, ip6_cmp),
		find_twins(c, is_selector, selector_cmp),
	};

	for (size_t i = 0; i < c->p->nbridges; i++)
		check_bridge(c, i);

	for (size_t i = 0; !c->oom && i < c->p->ncontainers; i++)
		check_container(c, &tw, i);
	free(tw.ip4);
	free(tw.ip6);
	free(tw.sel);
	check_links(c);
	for (size_t i = 0; i < c->p->npublishes; i++)
		check_publish(c, i);
	for (size_t i = 0; i < c->p->negress; i++)
		check_egress(c, i);
}
