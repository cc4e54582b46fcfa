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

/* Someone says they have addr: port member, or a static ip (-1). */
struct claim {
	uint32_t addr;		/* host byte order, for sorting */
	long member;
};

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return (x->member > y->member) - (x->member < y->member);
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

static struct claim *claims_make(const struct icc_policy *p,
				 const struct icc_world *w, size_t *n)
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
			if (!is_static_owner(p, &w->v[i], w->v[i].addrs[j]))
				v[(*n)++] = (struct claim){ ntohl(w->v[i].addrs[j].s_addr),
							    (long)i };
	qsort(v, *n, sizeof(*v), claim_cmp);
	return v;
}

/* Whether port m's claim on addr is the only one (see world_bind). */
static bool trusted(const struct claim *v, size_t n, uint32_t addr, long m)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && v[i].addr == addr; i++)
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
	struct claim *v = claims_make(p, w, &nv);
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
