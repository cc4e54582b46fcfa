// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Policy stage 3: what later stages ask of a checked policy again and
 * again (icc-policyd on every container event), worked out once at load.
 * A policy of 10,000 containers has 100,000 links: a question that scans
 * them costs a tenth of a millisecond or more, every event.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

/* Keeps the earliest policy line among those that need a setting. */
static void need_at(bool *need, int *line, int l)
{
	if (!*need || l < *line)
		*line = l;
	*need = true;
}

/* Forwarding between interfaces: egress, public publishes, links across
 * bridges, egress rules. The model is checked: indexes are in range. */
static void forward_needed(struct icc_policy *p)
{
	const struct icc_container *c = p->containers;
	struct icc_index *x = &p->index;

	for (size_t i = 0; i < p->nbridges; i++)
		if (p->bridges[i].egress)
			need_at(&x->forward, &x->forward_line, p->bridges[i].line);
	for (size_t i = 0; i < p->npublishes; i++)
		if (!policy_is_loopback(p->publishes[i].host_addr))
			need_at(&x->forward, &x->forward_line, p->publishes[i].line);
	for (size_t i = 0; i < p->nlinks; i++)
		if (c[p->links[i].from].bridge != c[p->links[i].to].bridge)
			need_at(&x->forward, &x->forward_line, p->links[i].line);
	for (size_t i = 0; i < p->negress; i++)
		need_at(&x->forward, &x->forward_line, p->egress[i].line);
}

/* forward_needed() for IPv6: only bridges with an IPv6 subnet count. */
static void forward6_needed(struct icc_policy *p)
{
	const struct icc_container *c = p->containers;
	const struct icc_bridge *b = p->bridges;
	struct icc_index *x = &p->index;

	for (size_t i = 0; i < p->nbridges; i++)
		if (b[i].egress && b[i].has_subnet6)
			need_at(&x->forward6, &x->forward6_line, b[i].line);
	for (size_t i = 0; i < p->npublishes; i++)
		if (p->publishes[i].v6 && !publish_is_loopback(&p->publishes[i]))
			need_at(&x->forward6, &x->forward6_line, p->publishes[i].line);
	for (size_t i = 0; i < p->nlinks; i++) {
		unsigned f = c[p->links[i].from].bridge, t = c[p->links[i].to].bridge;

		if (f != t && b[f].has_subnet6 && b[t].has_subnet6)
			need_at(&x->forward6, &x->forward6_line, p->links[i].line);
	}
	for (size_t i = 0; i < p->negress; i++)
		if (p->egress[i].to.v6)
			need_at(&x->forward6, &x->forward6_line, p->egress[i].line);
}

/* Links whose ends' addresses may change: the only ones an event moves. */
static int moving_links(struct icc_policy *p)
{
	struct icc_index *x = &p->index;

	x->moving = malloc((p->nlinks + 1) * sizeof(*x->moving));
	if (!x->moving)
		return -ENOMEM;
	for (size_t i = 0; i < p->nlinks; i++)
		if (p->containers[p->links[i].from].ident != ICC_ID_IP ||
		    p->containers[p->links[i].to].ident != ICC_ID_IP)
			x->moving[x->nmoving++] = i;
	return 0;
}

static int static_cmp(const void *a, const void *b)
{
	const struct icc_static *x = a, *y = b;

	if (x->bridge != y->bridge)
		return x->bridge < y->bridge ? -1 : 1;
	if (x->v6 != y->v6)
		return x->v6 ? 1 : -1;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

static void static_add(struct icc_index *x, unsigned bridge, bool v6,
		       const void *a, size_t i)
{
	struct icc_static *s = &x->statics[x->nstatics++];

	memset(s, 0, sizeof(*s));
	s->bridge = bridge;
	s->v6 = v6;
	memcpy(s->addr, a, v6 ? 16 : 4);
	s->container = (unsigned)i;
}

static int statics(struct icc_policy *p)
{
	struct icc_index *x = &p->index;

	x->statics = malloc((2 * p->ncontainers + 1) * sizeof(*x->statics));
	if (!x->statics)
		return -ENOMEM;
	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct icc_container *ct = &p->containers[i];

		if (ct->ident != ICC_ID_IP)
			continue;
		static_add(x, ct->bridge, false, &ct->ip, i);
		if (ct->has_ip6)
			static_add(x, ct->bridge, true, &ct->ip6, i);
	}
	/* qsort() wants a base even for no entries; there is one */
	qsort(x->statics, x->nstatics, sizeof(*x->statics), static_cmp);
	return 0;
}

long policy_static_find(const struct icc_policy *p, unsigned bridge, bool v6,
			const void *a)
{
	const struct icc_index *x = &p->index;
	struct icc_static key = { .bridge = bridge, .v6 = v6 };
	size_t lo = 0, hi = x->nstatics;

	memcpy(key.addr, a, v6 ? 16 : 4);
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = static_cmp(&x->statics[mid], &key);

		if (!c)
			return x->statics[mid].container;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int policy_index(struct icc_policy *p)
{
	forward_needed(p);
	forward6_needed(p);
	if (moving_links(p) < 0 || statics(p) < 0)
		return -ENOMEM;
	return 0;
}

void policy_index_free(struct icc_policy *p)
{
	free(p->index.moving);
	free(p->index.statics);
	memset(&p->index, 0, sizeof(p->index));
}
