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
 * An identity a port holds: a tag (4, 6, or 0 for a MAC), the bridge (a
 * MAC or a link-local address is only one port's within one bridge, and
 * subnets never overlap) and the identity's bytes in network order, so
 * that keys never mix families or bridges.
 */
#define KEY_LEN	19

/*
 * Who holds an identity: the first port seen with it, and whether another
 * port has it too. One hash table per reconcile, built in one pass: an
 * event at a thousand running containers must not sort their addresses.
 */
struct claim {
	uint8_t key[KEY_LEN];
	bool used, multi;
	int8_t stat;		/* a static ip too: 1 or 0; -1: not looked up */
	size_t member;
};

struct icc_claims {
	struct claim *v;
	size_t mask;		/* size - 1, a power of two */
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

/* Three words of the key, mixed so that the low bits (the slot) depend
 * on every byte: FNV's do not, and the table's probes ran long. */
static uint64_t key_hash(const uint8_t *key)
{
	uint64_t w[3] = { 0, 0, 0 }, h = 0;

	memcpy(w, key, KEY_LEN);
	for (int i = 0; i < 3; i++) {
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h ^ (h >> 32);
}

static struct claim *claim_slot(struct icc_claims *c, const uint8_t *key)
{
	size_t i;

	for (i = key_hash(key) & c->mask; c->v[i].used && memcmp(c->v[i].key, key, KEY_LEN);
	     i = (i + 1) & c->mask)
		;
	return &c->v[i];
}

static void claim_add(struct icc_claims *c, const uint8_t *key, size_t m)
{
	struct claim *e = claim_slot(c, key);

	if (!e->used) {
		memcpy(e->key, key, KEY_LEN);
		e->used = true;
		e->stat = -1;
		e->member = m;
	} else if (e->member != m) {
		e->multi = true;
	}
}

/* Whether port m, which holds key, is the only port that does. */
static bool alone(struct icc_claims *c, const uint8_t *key, size_t m)
{
	const struct claim *e = claim_slot(c, key);

	return e->used && e->member == m && !e->multi;
}

/* Whether address key (one a port holds) is some container's static ip. */
static bool is_static(const struct icc_policy *p, struct icc_claims *c,
		      const uint8_t *key)
{
	struct claim *e = claim_slot(c, key);

	if (e->stat < 0)
		e->stat = policy_static_find(p, (unsigned)key[1] << 8 | key[2],
					     key[0] == 6, key + 3) >= 0;
	return e->stat > 0;
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

/* Every identity the ports of w hold: addresses (link-local too), MACs. */
static int claims_make(const struct icc_world *w, struct icc_claims *c)
{
	size_t n = 1, size = 16;
	uint8_t key[KEY_LEN];

	for (size_t i = 0; i < w->n; i++)
		n += member_naddrs(&w->v[i], true) + 1;
	while (size < 2 * n)
		size *= 2;
	if (!(c->v = calloc(size, sizeof(*c->v))))
		return -ENOMEM;
	c->mask = size - 1;
	for (size_t i = 0; i < w->n; i++) {
		const struct icc_member *m = &w->v[i];

		for (size_t j = 0; j < member_naddrs(m, true); j++) {
			addr_key(key, m->bridge, member_addr(m, j));
			claim_add(c, key, i);
		}
		if (m->has_mac) {
			key_of(key, 0, m->bridge, m->mac, 6);
			claim_add(c, key, i);
		}
	}
	return 0;
}

/* w's claims, made at the first use and kept with w (world_free()). */
static struct icc_claims *claims_of(struct icc_world *w)
{
	struct icc_claims *c;

	if (w->claims)
		return w->claims;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	if (claims_make(w, c) < 0) {
		free(c);
		return NULL;
	}
	return w->claims = c;
}

void world_claims_free(struct icc_world *w)
{
	if (w->claims)
		free(w->claims->v);
	free(w->claims);
	w->claims = NULL;
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
		       size_t i, struct icc_claims *c,
		       struct icc_binding *b, struct icc_diags *warn)
{
	const struct icc_member *m = &w->v[i];
	uint8_t key[KEY_LEN];

	/* Link-local addresses name no container: links use the subnet's. */
	for (size_t j = 0; j < member_naddrs(m, false); j++) {
		struct addr a = member_addr(m, j);

		if (is_static_owner(p, m, a))
			continue;
		/*
		 * m is not the owner of a static ip it holds: a rival. Else
		 * trusted if no other port holds it.
		 */
		addr_key(key, m->bridge, a);
		if (is_static(p, c, key) || !alone(c, key, i)) {
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

int world_bind(const struct icc_policy *p, struct icc_world *w,
	       struct icc_binding **out, struct icc_diags *warn)
{
	struct icc_binding *b = calloc(p->ncontainers + 1, sizeof(*b));
	struct icc_claims *c = claims_of(w);
	int ret = -ENOMEM;

	if (!b || !c)
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
		if ((ret = bind_member(p, w, i, c, b, warn)) < 0)
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
			 struct icc_claims *c, size_t m, struct addr a)
{
	uint8_t key[KEY_LEN];

	addr_key(key, w->v[m].bridge, a);
	return alone(c, key, m) &&
	       (!is_static(p, c, key) || is_static_owner(p, &w->v[m], a));
}

static bool port_mac_ok(struct icc_claims *c, const struct icc_member *m,
			size_t i)
{
	uint8_t key[KEY_LEN];

	key_of(key, 0, m->bridge, m->mac, 6);
	return m->has_mac && alone(c, key, i);
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
		     size_t i, struct icc_claims *c, struct icc_ruleset *rs)
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

		if (port_addr_ok(p, w, c, i, a))
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

int world_ports(const struct icc_policy *p, struct icc_world *w,
		struct icc_ruleset *rs, struct icc_diags *warn)
{
	struct icc_claims *c = claims_of(w);
	int ret = c ? 0 : -ENOMEM;

	for (size_t i = 0; i < w->n && !ret; i++) {
		struct icc_key k = { .len = 0 };

		/* Every port is filtered: one with nothing bound sends nothing. */
		key_ifname(&k, w->v[i].ifname);
		ret = set_add(&rs->sets[ICC_SET_PORTS], &k, NULL, NULL, 0);
		if (!ret && port_mac_ok(c, &w->v[i], i))
			ret = port_bind(p, w, i, c, rs);
		else if (!ret && w->v[i].has_mac)
			mac_conflict(&w->v[i], warn);
	}
	for (int s = ICC_SET_PORTS; s <= ICC_SET_PORT_ND6 && !ret; s++)
		ret = set_canonicalize(&rs->sets[s]);
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

void member_print(FILE *f, const struct icc_policy *p,
		  const struct icc_member *m)
{
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
}

void world_print(FILE *f, const struct icc_policy *p,
		 const struct icc_world *w)
{
	for (size_t i = 0; i < w->n; i++) {
		member_print(f, p, &w->v[i]);
		fprintf(f, "\n");
	}
}
