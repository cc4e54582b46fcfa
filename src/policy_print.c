// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The canonical policy text: every default spelled out where it depends on
 * another setting, empty optional sections left out, one object a line.
 * Loading it gives back the same model (tests/unit/test_policy.c).
 * Names need no escaping: the parser admits no quote or backslash in them.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "policy_int.h"

const char *addr_str(struct in_addr a, char buf[ADDR_STRLEN])
{
	uint32_t ip = ntohl(a.s_addr);

	snprintf(buf, ADDR_STRLEN, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff,
		 (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

const char *addr6_str(const struct in6_addr *a, char buf[ADDR_STRLEN])
{
	return inet_ntop(AF_INET6, a, buf, ADDR_STRLEN);
}

const char *prefix_str(const struct icc_prefix *p, char buf[PREFIX_STRLEN])
{
	char a[ADDR_STRLEN];

	snprintf(buf, PREFIX_STRLEN, "%s/%u", p->v6 ? addr6_str(&p->addr6, a) :
		 addr_str(p->addr, a), p->len);
	return buf;
}

const char *source_str(const struct icc_prefix *p, char buf[PREFIX_STRLEN])
{
	if (p->len == (p->v6 ? 128 : 32))
		return p->v6 ? addr6_str(&p->addr6, buf) : addr_str(p->addr, buf);
	return prefix_str(p, buf);
}

const char *port_str(const struct icc_port *pt, char buf[PORT_STRLEN])
{
	if (pt->proto != IPPROTO_TCP && pt->proto != IPPROTO_UDP)
		snprintf(buf, PORT_STRLEN, "%s", proto_name(pt->proto));
	else if (pt->lo == pt->hi)
		snprintf(buf, PORT_STRLEN, "%s/%u", proto_name(pt->proto), pt->lo);
	else
		snprintf(buf, PORT_STRLEN, "%s/%u-%u", proto_name(pt->proto),
			 pt->lo, pt->hi);
	return buf;
}

const char *host_addr_str(const struct icc_publish *pb, char buf[ADDR_STRLEN])
{
	return pb->v6 ? addr6_str(&pb->host_addr6, buf) : addr_str(pb->host_addr, buf);
}

const char *host_str(const struct icc_publish *pb, char buf[HOST_STRLEN])
{
	char s[ADDR_STRLEN];

	snprintf(buf, HOST_STRLEN, pb->v6 ? "[%s]:%u" : "%s:%u",
		 host_addr_str(pb, s), pb->host_port);
	return buf;
}

static const char *bool_str(bool b)
{
	return b ? "true" : "false";
}

static void print_ports(FILE *f, const char *key, const struct icc_port *v,
			size_t n)
{
	char port[PORT_STRLEN];

	fprintf(f, "%s = [ ", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", port_str(&v[i], port));
	fprintf(f, " ];");
}

static void print_bridge(FILE *f, const struct icc_bridge *b, bool last)
{
	char net[PREFIX_STRLEN], net6[PREFIX_STRLEN];

	if (b->has_subnet6)
		fprintf(f, "  { name = \"%s\"; subnet = [ \"%s\", \"%s\" ];", b->name,
			prefix_str(&b->subnet, net), prefix_str(&b->subnet6, net6));
	else
		fprintf(f, "  { name = \"%s\"; subnet = \"%s\";", b->name,
			prefix_str(&b->subnet, net));
	/* Without an uplink both are false and cannot be set otherwise. */
	if (b->uplink[0])
		fprintf(f, " uplink = \"%s\"; masquerade = %s; egress = %s;",
			b->uplink, bool_str(b->masquerade), bool_str(b->egress));
	if (!b->log)
		fprintf(f, " log = \"none\";");
	if (b->nhost_ports) {
		fprintf(f, " ");
		print_ports(f, "host_ports", b->host_ports, b->nhost_ports);
	}
	fprintf(f, " }%s\n", last ? "" : ",");
}

static void print_link(FILE *f, const struct icc_policy *p,
		       const struct icc_link *l, bool last)
{
	fprintf(f, "  { from = \"%s\"; to = \"%s\"; ",
		p->containers[l->from].name, p->containers[l->to].name);
	print_ports(f, "ports", l->ports, l->nports);
	fprintf(f, " }%s\n", last ? "" : ",");
}

static void print_publish(FILE *f, const struct icc_policy *p,
			  const struct icc_publish *pb, bool last)
{
	struct icc_port pt = { .proto = pb->proto, .lo = pb->port, .hi = pb->port };
	char port[PORT_STRLEN], host[HOST_STRLEN], src[PREFIX_STRLEN];

	fprintf(f, "  { container = \"%s\"; port = \"%s\"; host = \"%s\";",
		p->containers[pb->container].name, port_str(&pt, port),
		host_str(pb, host));
	if (pb->nallow) {
		fprintf(f, " allow_from = [ ");
		for (size_t i = 0; i < pb->nallow; i++)
			fprintf(f, "%s\"%s\"", i ? ", " : "",
				source_str(&pb->allow_from[i], src));
		fprintf(f, " ];");
	}
	fprintf(f, " }%s\n", last ? "" : ",");
}

static void print_container(FILE *f, const struct icc_policy *p,
			    const struct icc_container *ct)
{
	char ip[ADDR_STRLEN], ip6[ADDR_STRLEN];

	fprintf(f, "  %s = { bridge = \"%s\"; ", ct->name,
		p->bridges[ct->bridge].name);
	switch (ct->ident) {
	case ICC_ID_IP:
		if (ct->has_ip6)
			fprintf(f, "ip = [ \"%s\", \"%s\" ];", addr_str(ct->ip, ip),
				addr6_str(&ct->ip6, ip6));
		else
			fprintf(f, "ip = \"%s\";", addr_str(ct->ip, ip));
		break;
	case ICC_ID_NAME:
		fprintf(f, "name = \"%s\";", ct->match);
		break;
	case ICC_ID_LABELS:
		fprintf(f, "labels = [");
		for (size_t i = 0; i < ct->nlabels; i++)
			fprintf(f, "%s \"%s\"", i ? "," : "", ct->labels[i]);
		fprintf(f, " ];");
		break;
	}
	fprintf(f, " };\n");
}

static void print_egress(FILE *f, const struct icc_policy *p,
			 const struct icc_egress *e, bool last)
{
	char to[PREFIX_STRLEN];

	fprintf(f, "  { from = \"%s\"; to = \"%s\"; ",
		p->containers[e->from].name, prefix_str(&e->to, to));
	print_ports(f, "ports", e->ports, e->nports);
	fprintf(f, " }%s\n", last ? "" : ",");
}

/* Only paths that differ from the defaults: a plain policy stays plain. */
static void print_paths(FILE *f, const struct icc_paths *ps)
{
	const char *keys[] = { "netns", "docker", "docker_netns", "lxc",
			       "lxc_cgroup" };
	const char *defs[] = { ICC_NETNS_DIR, ICC_DOCKER_ROOT, ICC_DOCKER_NETNS,
			       ICC_LXC_PATH, ICC_LXC_CGROUP };
	const char *vals[] = { ps->netns, ps->docker, ps->docker_netns, ps->lxc,
			       ps->lxc_cgroup };
	bool open = false;

	for (size_t i = 0; i < 5; i++) {
		if (!vals[i] || !strcmp(vals[i], defs[i]))
			continue;
		if (!open)
			fprintf(f, "discovery = {\n");
		open = true;
		fprintf(f, "  %s = \"%s\";\n", keys[i], vals[i]);
	}
	if (open)
		fprintf(f, "};\n");
}

void policy_print(FILE *f, const struct icc_policy *p)
{

	fprintf(f, "version = %d;\n", p->version);
	fprintf(f, "bridges = (\n");
	for (size_t i = 0; i < p->nbridges; i++)
		print_bridge(f, &p->bridges[i], i + 1 == p->nbridges);
	fprintf(f, ");\n");
	if (p->ncontainers) {
		fprintf(f, "containers = {\n");
		for (size_t i = 0; i < p->ncontainers; i++)
			print_container(f, p, &p->containers[i]);
		fprintf(f, "};\n");
	}
	if (p->nlinks) {
		fprintf(f, "links = (\n");
		for (size_t i = 0; i < p->nlinks; i++)
			print_link(f, p, &p->links[i], i + 1 == p->nlinks);
		fprintf(f, ");\n");
	}
	if (p->npublishes) {
		fprintf(f, "publish = (\n");
		for (size_t i = 0; i < p->npublishes; i++)
			print_publish(f, p, &p->publishes[i], i + 1 == p->npublishes);
		fprintf(f, ");\n");
	}
	if (p->negress) {
		fprintf(f, "egress = (\n");
		for (size_t i = 0; i < p->negress; i++)
			print_egress(f, p, &p->egress[i], i + 1 == p->negress);
		fprintf(f, ");\n");
	}
	print_paths(f, &p->paths);
}
