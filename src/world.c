// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * From what discovery saw to the addresses compile uses: one owner per
 * address. Pure: no kernel, no files (tests/unit/test_world.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "icc/discover.h"

/* Someone says they have addr (or a MAC): port member, or a static ip (-1). */
struct claim {
	uint64_t addr;		/* host byte order, for sorting */
	long member;
};

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->member > y->member) - (x->member < y->member);
}

/* The first claim on addr in v (sorted), or n. */
static size_t claim_find(const struct claim *v, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static size_t claims_count(const struct icc_policy *p, const struct icc_world *w)
{
	size_t n = p->ncontainers;

	for (size_t i = 0; i < w->n; i++)
		n += w->v[i].naddrs;
	return n;
}

/* Whether m is the container whose static ip is a (not a rival claim). */
static bool is_static_owner(const struct icc_policy *p,
			    const struct icc_member *m, struct in_addr a)
{
	for (size_t k = 0; k < m->ncontainers; k++) {
		const struct icc_container *ct = &p->containers[m->containers[k]];

		if (ct->ident == ICC_ID_IP && ct->ip.s_addr == a.s_addr)
			return true;
	}
	return false;
}

/*
 * Static ips (-1) and the addresses ports hold; with all, every port's
 * claim, else not the claim of a static container on its own ip.
 */
static struct claim *claims_make(const struct icc_policy *p,
				 const struct icc_world *w, bool all, size_t *n)
{
	struct claim *v = calloc(claims_count(p, w) + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (p->containers[i].ident == ICC_ID_IP)
			v[(*n)++] = (struct claim){ ntohl(p->containers[i].ip.s_addr), -1 };
	for (size_t i = 0; i < w->n; i++)
		for (size_t j = 0; j < w->v[i].naddrs; j++)
			if (all || !is_static_owner(p, &w->v[i], w->v[i].addrs[j]))
				v[(*n)++] = (struct claim){ ntohl(w->v[i].addrs[j].s_addr),
							    (long)i };
	qsort(v, *n, sizeof(*v), claim_cmp);
	return v;
}

/* Whether port m's claim on addr is the only one (see world_bind). */
static bool trusted(const struct claim *v, size_t n, uint64_t addr, long m)
{
	for (size_t i = claim_find(v, n, addr); i < n && v[i].addr == addr; i++)
		if (v[i].member != m)
			return false;
	return true;
}

static int bind_add(struct icc_binding *b, struct in_addr a)
{
	struct in_addr *v;

	for (size_t i = 0; i < b->n; i++)
		if (b->addrs[i].s_addr == a.s_addr)
			return 0;
	v = realloc(b->addrs, (b->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	b->addrs = v;
	b->addrs[b->n++] = a;
	return 0;
}

int in_addr_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

static void distrust(const struct icc_member *m, struct in_addr a,
		     struct icc_diags *warn)
{
	char s[INET_ADDRSTRLEN];

	diags_add(warn, m->ifname, 0, "%s claims %s, which another container "
		  "has too; not trusted for either",
		  m->who[0] ? m->who : "port", inet_ntop(AF_INET, &a, s, sizeof(s)));
}

static int bind_member(const struct icc_policy *p, const struct icc_world *w,
		       size_t i, const struct claim *v, size_t nv,
		       struct icc_binding *b, struct icc_diags *warn)
{
	const struct icc_member *m = &w->v[i];

	for (size_t j = 0; j < m->naddrs; j++) {
		if (is_static_owner(p, m, m->addrs[j]))
			continue;
		if (!trusted(v, nv, ntohl(m->addrs[j].s_addr), (long)i)) {
			distrust(m, m->addrs[j], warn);
			continue;
		}
		/* A static container has its ip and nothing else. */
		for (size_t k = 0; k < m->ncontainers; k++)
			if (p->containers[m->containers[k]].ident != ICC_ID_IP &&
			    bind_add(&b[m->containers[k]], m->addrs[j]) < 0)
				return -ENOMEM;
	}
	return 0;
}

int world_bind(const struct icc_policy *p, const struct icc_world *w,
	       struct icc_binding **out, struct icc_diags *warn)
{
	struct icc_binding *b = calloc(p->ncontainers + 1, sizeof(*b));
	size_t nv;
	struct claim *v = claims_make(p, w, false, &nv);
	int ret = -ENOMEM;

	if (!b || !v)
		goto out;
	for (size_t i = 0; i < p->ncontainers; i++)
		if (p->containers[i].ident == ICC_ID_IP &&
		    bind_add(&b[i], p->containers[i].ip) < 0)
			goto out;
	for (size_t i = 0; i < w->n; i++)
		if ((ret = bind_member(p, w, i, v, nv, b, warn)) < 0)
			goto out;
	for (size_t i = 0; i < p->ncontainers; i++)
		qsort(b[i].addrs, b[i].n, sizeof(*b[i].addrs), in_addr_cmp);
	*out = b;
	b = NULL;
	ret = 0;
out:
	bindings_free(b, p->ncontainers);
	free(v);
	return ret;
}

/*
 * Anti-spoofing: which MAC and addresses port m may send with. An address
 * is bound when m is the only port holding it and it is no container's
 * static ip but m's own; a MAC when no other port has it. Two ports
 * claiming one identity both lose it until one lets go: binding either
 * would let a newcomer take over the other's frames.
 */
static bool port_addr_ok(const struct icc_policy *p, const struct icc_world *w,
			 const struct claim *v, size_t nv, size_t m,
			 struct in_addr a)
{
	uint32_t key = ntohl(a.s_addr);

	for (size_t i = claim_find(v, nv, key); i < nv && v[i].addr == key; i++)
		if (v[i].member >= 0 ? (size_t)v[i].member != m :
		    !is_static_owner(p, &w->v[m], a))
			return false;
	return true;
}

static uint64_t mac_key(const uint8_t *mac)
{
	uint64_t k = 0;

	for (int i = 0; i < 6; i++)
		k = k << 8 | mac[i];
	return k;
}

static struct claim *mac_claims(const struct icc_world *w, size_t *n)
{
	struct claim *v = calloc(w->n + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < w->n; i++)
		if (w->v[i].has_mac)
			v[(*n)++] = (struct claim){ mac_key(w->v[i].mac), (long)i };
	if (v)
		qsort(v, *n, sizeof(*v), claim_cmp);
	return v;
}

static bool port_mac_ok(const struct claim *v, size_t n, const struct icc_member *m,
			size_t i)
{
	return m->has_mac && trusted(v, n, mac_key(m->mac), (long)i);
}

static int port_bind(const struct icc_policy *p, const struct icc_world *w,
		     size_t i, const struct claim *av, size_t na,
		     struct icc_ruleset *rs)
{
	const struct icc_member *m = &w->v[i];
	struct icc_key k = { .len = 0 };
	int ret;

	key_ifname(&k, m->ifname);
	key_ether(&k, m->mac);
	if ((ret = set_add(&rs->sets[ICC_SET_PORT_MAC], &k, NULL, NULL, 0)) < 0)
		return ret;
	for (size_t j = 0; j < m->naddrs && !ret; j++) {
		struct icc_key ka = k;

		if (!port_addr_ok(p, w, av, na, i, m->addrs[j]))
			continue;
		key_ipv4(&ka, m->addrs[j].s_addr);
		ret = set_add(&rs->sets[ICC_SET_PORT_IP4], &ka, NULL, NULL, 0);
	}
	return ret;
}

static void mac_conflict(const struct icc_member *m, struct icc_diags *warn)
{
	diags_add(warn, m->ifname, 0, "%s has MAC %02x:%02x:%02x:%02x:%02x:%02x, "
		  "which another port has too; it may send nothing until one "
		  "changes", m->who[0] ? m->who : "port", m->mac[0], m->mac[1],
		  m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
}

int world_ports(const struct icc_policy *p, const struct icc_world *w,
		struct icc_ruleset *rs, struct icc_diags *warn)
{
	size_t na, nm;
	struct claim *av = claims_make(p, w, true, &na);
	struct claim *mv = mac_claims(w, &nm);
	int ret = av && mv ? 0 : -ENOMEM;

	for (size_t i = 0; i < w->n && !ret; i++) {
		struct icc_key k = { .len = 0 };

		/* Every port is filtered: one with nothing bound sends nothing. */
		key_ifname(&k, w->v[i].ifname);
		ret = set_add(&rs->sets[ICC_SET_PORTS], &k, NULL, NULL, 0);
		if (!ret && port_mac_ok(mv, nm, &w->v[i], i))
			ret = port_bind(p, w, i, av, na, rs);
		else if (!ret && w->v[i].has_mac)
			mac_conflict(&w->v[i], warn);
	}
	for (int s = ICC_SET_PORTS; s <= ICC_SET_PORT_IP4 && !ret; s++)
		ret = set_canonicalize(&rs->sets[s]);
	free(av);
	free(mv);
	return ret;
}

void bindings_free(struct icc_binding *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++)
		free(b[i].addrs);
	free(b);
}

void world_print(FILE *f, const struct icc_policy *p,
		 const struct icc_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct icc_member *m = &w->v[i];
		char s[INET_ADDRSTRLEN];

		fprintf(f, "port %s bridge %s %s", m->ifname,
			p->bridges[m->bridge].name, m->up ? "up" : "down");
		if (m->has_mac)
			fprintf(f, " mac %02x:%02x:%02x:%02x:%02x:%02x", m->mac[0],
				m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
		for (size_t j = 0; j < m->naddrs; j++)
			fprintf(f, " %s", inet_ntop(AF_INET, &m->addrs[j], s, sizeof(s)));
		if (m->who[0])
			fprintf(f, " (%s)", m->who);
		for (size_t j = 0; j < m->ncontainers; j++)
			fprintf(f, "%s%s", j ? "," : " is ",
				p->containers[m->containers[j]].name);
		if (!m->ncontainers)
			fprintf(f, " unknown");
		fprintf(f, "\n");
	}
}
