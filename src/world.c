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

/*
 * Someone says they have an identity: port member, or a static ip (-1).
 * The key is a tag (4, 6, or 0 for a MAC), the bridge (a MAC or a
 * link-local address is only one port's within one bridge, and subnets
 * never overlap) and the identity's bytes in network order, so that
 * memcmp sorts and never mixes families or bridges.
 */
#define KEY_LEN	19

struct claim {
	uint8_t key[KEY_LEN];
	long member;
};

/* One IPv4 or IPv6 address (a family's address bytes). */
struct addr {
	bool v6;
	const void *p;		/* struct in_addr or struct in6_addr */
};

static void key_of(uint8_t key[KEY_LEN], uint8_t tag, unsigned bridge,
		   const void *p, size_t len)
{
	memset(key, 0, KEY_LEN);
	key[0] = tag;
	key[1] = (uint8_t)(bridge >> 8);
	key[2] = (uint8_t)bridge;
	memcpy(key + 3, p, len);
}

static void addr_key(uint8_t key[KEY_LEN], unsigned bridge, struct addr a)
{
	key_of(key, a.v6 ? 6 : 4, bridge, a.p, a.v6 ? 16 : 4);
}

static int claim_cmp(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int c = memcmp(x->key, y->key, KEY_LEN);

	if (c)
		return c;
	return (x->member > y->member) - (x->member < y->member);
}

/* The first claim on key in v (sorted), or n. */
static size_t claim_find(const struct claim *v, size_t n, const uint8_t *key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (memcmp(v[mid].key, key, KEY_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether every claim on key is m's (see world_bind). */
static bool trusted(const struct claim *v, size_t n, const uint8_t *key, long m)
{
	for (size_t i = claim_find(v, n, key);
	     i < n && !memcmp(v[i].key, key, KEY_LEN); i++)
		if (v[i].member != m)
			return false;
	return true;
}

/* Address j of member m: its IPv4 addresses, then IPv6, then link-local. */
static size_t member_naddrs(const struct icc_member *m, bool ll)
{
	return m->naddrs + m->naddrs6 + (ll ? m->nll6 : 0);
}

static struct addr member_addr(const struct icc_member *m, size_t j)
{
	if (j < m->naddrs)
		return (struct addr){ false, &m->addrs[j] };
	j -= m->naddrs;
	if (j < m->naddrs6)
		return (struct addr){ true, &m->addrs6[j] };
	return (struct addr){ true, &m->ll6[j - m->naddrs6] };
}

/* Whether m is the container whose static ip is a (not a rival claim). */
static bool is_static_owner(const struct icc_policy *p,
			    const struct icc_member *m, struct addr a)
{
	for (size_t k = 0; k < m->ncontainers; k++) {
		const struct icc_container *ct = &p->containers[m->containers[k]];

		if (ct->ident != ICC_ID_IP)
			continue;
		if (a.v6 ? ct->has_ip6 && !memcmp(&ct->ip6, a.p, 16)
			 : !memcmp(&ct->ip, a.p, 4))
			return true;
	}
	return false;
}

static size_t claims_count(const struct icc_world *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->n; i++)
		n += member_naddrs(&w->v[i], true);
	return n;
}

/* The static ip's claim (-1), if a port claims that address too. */
static void claim_static(struct claim *v, size_t np, size_t *n, unsigned bridge,
			 struct addr a)
{
	uint8_t key[KEY_LEN];
	size_t at;

	addr_key(key, bridge, a);
	at = claim_find(v, np, key);
	/* room for np more: each of the np keys is one static ip's at most */
	if (at == np || memcmp(v[at].key, key, KEY_LEN) || *n == 2 * np)
		return;
	memcpy(v[*n].key, key, KEY_LEN);
	v[(*n)++].member = -1;
}

/*
 * The addresses ports hold (link-local ones too) and the static ips (-1)
 * that one of them holds too; with all, every port's claim, else not the
 * claim of a static container on its own ip. Only port addresses are
 * ever looked up: a static ip no port holds would change no answer, and
 * a policy may have ten thousand of them.
 */
static struct claim *claims_make(const struct icc_policy *p,
				 const struct icc_world *w, bool all, size_t *n)
{
	/* a port's claim matches one static ip at most (check refuses twins) */
	struct claim *v = calloc(2 * claims_count(w) + 1, sizeof(*v));
	size_t np;

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < w->n; i++)
		for (size_t j = 0; j < member_naddrs(&w->v[i], true); j++) {
			struct addr a = member_addr(&w->v[i], j);

			if (!all && is_static_owner(p, &w->v[i], a))
				continue;
			v[*n].member = (long)i;
			addr_key(v[(*n)++].key, w->v[i].bridge, a);
		}
	if (!(np = *n))
		return v;
	qsort(v, np, sizeof(*v), claim_cmp);
	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct icc_container *ct = &p->containers[i];

		if (ct->ident != ICC_ID_IP)
			continue;
		claim_static(v, np, n, ct->bridge, (struct addr){ false, &ct->ip });
		if (ct->has_ip6)
			claim_static(v, np, n, ct->bridge, (struct addr){ true, &ct->ip6 });
	}
	if (*n > np)
		qsort(v, *n, sizeof(*v), claim_cmp);
	return v;
}

/* Appends a to the binding's list of its family, once. */
static int bind_add(struct icc_binding *b, struct addr a)
{
	void **list = a.v6 ? (void **)&b->addrs6 : (void **)&b->addrs;
	size_t *n = a.v6 ? &b->n6 : &b->n, len = a.v6 ? 16 : 4;
	uint8_t *v = *list;

	for (size_t i = 0; i < *n; i++)
		if (!memcmp(v + i * len, a.p, len))
			return 0;
	v = realloc(v, (*n + 1) * len);
	if (!v)
		return -ENOMEM;
	memcpy(v + (*n)++ * len, a.p, len);
	*list = v;
	return 0;
}

int in_addr_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

int in6_addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct in6_addr));
}

static void distrust(const struct icc_member *m, struct addr a,
		     struct icc_diags *warn)
{
	char s[INET6_ADDRSTRLEN];

	diags_add(warn, m->ifname, 0, "%s claims %s, which another container "
		  "has too; not trusted for either",
		  m->who[0] ? m->who : "port",
		  inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.p, s, sizeof(s)));
}

static int bind_member(const struct icc_policy *p, const struct icc_world *w,
		       size_t i, const struct claim *v, size_t nv,
		       struct icc_binding *b, struct icc_diags *warn)
{
	const struct icc_member *m = &w->v[i];
	uint8_t key[KEY_LEN];

	/* Link-local addresses name no container: links use the subnet's. */
	for (size_t j = 0; j < member_naddrs(m, false); j++) {
		struct addr a = member_addr(m, j);

		if (is_static_owner(p, m, a))
			continue;
		addr_key(key, m->bridge, a);
		if (!trusted(v, nv, key, (long)i)) {
			distrust(m, a, warn);
			continue;
		}
		/* A static container has its ip and nothing else. */
		for (size_t k = 0; k < m->ncontainers; k++)
			if (p->containers[m->containers[k]].ident != ICC_ID_IP &&
			    bind_add(&b[m->containers[k]], a) < 0)
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
	/*
	 * A static container has its ip and nothing else: the policy's own,
	 * lent (read only: bind_add() never touches a static container).
	 */
	for (size_t i = 0; i < p->ncontainers; i++) {
		const struct icc_container *ct = &p->containers[i];

		if (ct->ident == ICC_ID_IP)
			b[i] = (struct icc_binding){ (struct in_addr *)&ct->ip, 1,
						     ct->has_ip6 ? (struct in6_addr *)&ct->ip6 : NULL,
						     ct->has_ip6, true };
	}
	for (size_t i = 0; i < w->n; i++)
		if ((ret = bind_member(p, w, i, v, nv, b, warn)) < 0)
			goto out;
	for (size_t i = 0; i < p->ncontainers; i++) {
		if (b[i].borrowed)
			continue;
		/* qsort() wants a base even for no entries (UBSan) */
		if (b[i].n)
			qsort(b[i].addrs, b[i].n, sizeof(*b[i].addrs), in_addr_cmp);
		if (b[i].n6)
			qsort(b[i].addrs6, b[i].n6, sizeof(*b[i].addrs6), in6_addr_cmp);
	}
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
			 struct addr a)
{
	uint8_t key[KEY_LEN];

	addr_key(key, w->v[m].bridge, a);
	for (size_t i = claim_find(v, nv, key);
	     i < nv && !memcmp(v[i].key, key, KEY_LEN); i++)
		if (v[i].member >= 0 ? (size_t)v[i].member != m :
		    !is_static_owner(p, &w->v[m], a))
			return false;
	return true;
}

static struct claim *mac_claims(const struct icc_world *w, size_t *n)
{
	struct claim *v = calloc(w->n + 1, sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < w->n; i++) {
		if (!w->v[i].has_mac)
			continue;
		key_of(v[*n].key, 0, w->v[i].bridge, w->v[i].mac, 6);
		v[(*n)++].member = (long)i;
	}
	if (v)
		qsort(v, *n, sizeof(*v), claim_cmp);
	return v;
}

static bool port_mac_ok(const struct claim *v, size_t n, const struct icc_member *m,
			size_t i)
{
	uint8_t key[KEY_LEN];

	key_of(key, 0, m->bridge, m->mac, 6);
	return m->has_mac && trusted(v, n, key, (long)i);
}

/* port . MAC . address: in port_ip4, or in port_ip6 and port_nd6. */
static int port_addr_add(struct icc_ruleset *rs, const struct icc_key *k,
			 struct addr a)
{
	struct icc_key ka = *k;
	int ret;

	if (!a.v6) {
		key_ipv4(&ka, ((const struct in_addr *)a.p)->s_addr);
		return set_add(&rs->sets[ICC_SET_PORT_IP4], &ka, NULL, NULL, 0);
	}
	key_ipv6(&ka, a.p);
	ret = set_add(&rs->sets[ICC_SET_PORT_IP6], &ka, NULL, NULL, 0);
	return ret ? ret : set_add(&rs->sets[ICC_SET_PORT_ND6], &ka, NULL, NULL, 0);
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
	for (size_t j = 0; j < member_naddrs(m, true) && !ret; j++) {
		struct addr a = member_addr(m, j);

		if (port_addr_ok(p, w, av, na, i, a))
			ret = port_addr_add(rs, &k, a);
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
	for (int s = ICC_SET_PORTS; s <= ICC_SET_PORT_ND6 && !ret; s++)
		ret = set_canonicalize(&rs->sets[s]);
	free(av);
	free(mv);
	return ret;
}

void bindings_free(struct icc_binding *b, size_t n)
{
	for (size_t i = 0; b && i < n; i++) {
		if (b[i].borrowed)
			continue;
		free(b[i].addrs);
		free(b[i].addrs6);
	}
	free(b);
}

void world_print(FILE *f, const struct icc_policy *p,
		 const struct icc_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		const struct icc_member *m = &w->v[i];
		char s[INET6_ADDRSTRLEN];

		fprintf(f, "port %s bridge %s %s", m->ifname,
			p->bridges[m->bridge].name, m->up ? "up" : "down");
		if (m->has_mac)
			fprintf(f, " mac %02x:%02x:%02x:%02x:%02x:%02x", m->mac[0],
				m->mac[1], m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
		for (size_t j = 0; j < member_naddrs(m, true); j++) {
			struct addr a = member_addr(m, j);

			fprintf(f, " %s", inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.p,
						    s, sizeof(s)));
		}
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
