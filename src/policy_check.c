// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy stage 2: checks across objects. Each object in the model is valid
 * on its own (policy_parse.c made sure); here we look at how they relate.
 * A problem is reported on the later object, naming the earlier one's line.
 */
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

static bool labels_equal(const struct icc_container *a,
			 const struct icc_container *b)
{
	if (a->nlabels != b->nlabels)
		return false;
	for (size_t i = 0; i < a->nlabels; i++)
		if (strcmp(a->labels[i], b->labels[i]))
			return false;
	return true;
}

/*
 * Two entries that select the same containers on one bridge would make
 * links to either one apply to both without saying so.
 */
static void check_selector(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_container *ct = &p->containers[i];

	for (size_t j = 0; j < i; j++) {
		const struct icc_container *o = &p->containers[j];

		if (o->ident != ct->ident || o->bridge != ct->bridge)
			continue;
		if (ct->ident == ICC_ID_NAME && !strcmp(o->match, ct->match))
			policy_err(c, c->scontainers[i].ident, "container %s: name %s on bridge %s is already container %s (line %d)",
				   ct->name, ct->match, p->bridges[ct->bridge].name,
				   o->name, o->line);
		else if (ct->ident == ICC_ID_LABELS && labels_equal(o, ct))
			policy_err(c, c->scontainers[i].ident, "container %s: the same labels on bridge %s select container %s (line %d)",
				   ct->name, p->bridges[ct->bridge].name,
				   o->name, o->line);
		else
			continue;
		break;
	}
}

static void check_container(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_container *ct = &p->containers[i];
	const struct icc_bridge *b = &p->bridges[ct->bridge];
	int line = c->scontainers[i].ident;
	char ip[ADDR_STRLEN], net[PREFIX_STRLEN];
	const char *what = NULL;

	if (ct->ident != ICC_ID_IP) {
		check_selector(c, i);
		return;
	}
	addr_str(ct->ip, ip);
	prefix_str(&b->subnet, net);
	if (!prefix_contains(&b->subnet, ct->ip)) {
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
		policy_err(c, line, "container %s: ip %s is the %s address of bridge %s's subnet %s",
			   ct->name, ip, what, b->name, net);
		return;
	}
	for (size_t j = 0; j < i; j++) {
		const struct icc_container *o = &p->containers[j];

		if (o->ident != ICC_ID_IP || o->ip.s_addr != ct->ip.s_addr)
			continue;
		policy_err(c, line, "container %s: ip %s is already used by container %s (line %d)",
			   ct->name, ip, o->name, o->line);
		break;
	}
}

static void check_link(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_link *l = &p->links[i];
	const char *from = p->containers[l->from].name;
	const char *to = p->containers[l->to].name;

	if (l->from == l->to) {
		policy_err(c, c->slinks[i].to, "link %s -> %s: a container always reaches itself",
			   from, to);
		return;
	}
	/* Two links for one pair would be merged silently; say so instead. */
	for (size_t j = 0; j < i; j++) {
		const struct icc_link *o = &p->links[j];

		if (o->from != l->from || o->to != l->to)
			continue;
		policy_err(c, l->line, "link %s -> %s already declared at line %d",
			   from, to, o->line);
		break;
	}
}

/* Two publishes collide when one packet could match both DNAT rules. */
static bool publish_collide(const struct icc_publish *a,
			    const struct icc_publish *b)
{
	if (a->proto != b->proto || a->host_port != b->host_port)
		return false;
	return a->host_addr.s_addr == b->host_addr.s_addr ||
	       a->host_addr.s_addr == htonl(INADDR_ANY) ||
	       b->host_addr.s_addr == htonl(INADDR_ANY);
}

static void check_publish(struct policy_ctx *c, size_t i)
{
	const struct icc_policy *p = c->p;
	const struct icc_publish *pb = &p->publishes[i];
	const struct src_publish *src = &c->spublishes[i];
	const char *name = p->containers[pb->container].name;
	const char *proto = proto_name(pb->proto);
	char addr[ADDR_STRLEN], h1[HOST_STRLEN], h2[HOST_STRLEN];
	bool loop = policy_is_loopback(pb->host_addr);

	addr_str(pb->host_addr, addr);
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
		host_str(pb->host_addr, pb->host_port, h1);
		host_str(o->host_addr, o->host_port, h2);
		if (o->host_addr.s_addr == pb->host_addr.s_addr)
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
	for (size_t i = 0; i < c->p->nbridges; i++)
		check_bridge(c, i);
	for (size_t i = 0; i < c->p->ncontainers; i++)
		check_container(c, i);
	for (size_t i = 0; i < c->p->nlinks; i++)
		check_link(c, i);
	for (size_t i = 0; i < c->p->npublishes; i++)
		check_publish(c, i);
	for (size_t i = 0; i < c->p->negress; i++)
		check_egress(c, i);
}
