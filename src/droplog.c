// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drop log, the pure half: one NFLOG message to a struct icc_drop, the
 * canonical line, one line per connection, and who an address is. No
 * socket here (droplog_nl.c): tests/unit/test_droplog.c feeds it crafted
 * messages and its own clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "icc/droplog.h"

/* The kinds a log rule names: ICC_DROP_LINK .. ICC_DROP_HOST. */
static bool logged_kind(int k)
{
	return k >= ICC_DROP_LINK && k <= ICC_DROP_HOST;
}

const char *droplog_kind_name(enum icc_drop_kind kind)
{
	return logged_kind(kind) ? icc_drop_names[kind] : "?";
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NFULA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* A __be32 attribute, or 0 when absent or too short. */
static uint32_t attr_be32(const struct nlattr *a, bool *has)
{
	uint32_t v;

	if (has)
		*has = false;
	if (!a || mnl_attr_get_payload_len(a) < sizeof(v))
		return 0;
	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	if (has)
		*has = true;
	return ntohl(v);
}

/*
 * "icc drop KIND " (the kernel sends the NUL too): 1 and the kind, 0 when
 * the prefix is not ours, -EBADMSG for a KIND we do not know.
 */
static int prefix_kind(const struct nlattr *a, enum icc_drop_kind *kind)
{
	const size_t plen = strlen(ICC_LOG_PREFIX);
	char s[64];
	size_t n;

	if (!a)
		return 0;
	n = mnl_attr_get_payload_len(a);
	n = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
	memcpy(s, mnl_attr_get_payload(a), n);
	s[n] = '\0';
	if (strncmp(s, ICC_LOG_PREFIX, plen))
		return 0;
	for (int k = ICC_DROP_LINK; logged_kind(k); k++) {
		size_t kl = strlen(icc_drop_names[k]);

		if (!strncmp(s + plen, icc_drop_names[k], kl) &&
		    (s[plen + kl] == ' ' || s[plen + kl] == '\0')) {
			*kind = (enum icc_drop_kind)k;
			return 1;
		}
	}
	return -EBADMSG;
}

/* Protocols whose header starts with the source and destination ports. */
static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_DCCP;
}

static bool is_echo(const struct icc_drop *d)
{
	return d->family == AF_INET ? d->icmp_type == 8 || d->icmp_type == 0 :
	       d->icmp_type == 128 || d->icmp_type == 129;
}

static void parse_l4(const uint8_t *p, size_t n, struct icc_drop *d)
{
	bool icmp = d->family == AF_INET ? d->proto == IPPROTO_ICMP :
		    d->proto == IPPROTO_ICMPV6;

	if (n < 4)
		return;
	if (has_ports(d->proto)) {
		d->has_ports = true;
		d->sport = be16_at(p);
		d->dport = be16_at(p + 2);
	} else if (icmp) {
		d->has_icmp = true;
		d->icmp_type = p[0];
		d->icmp_code = p[1];
		if (is_echo(d) && n >= 6)
			d->icmp_id = be16_at(p + 4);
	}
}

/* The IPv4 header; *l4 and *l4len: the transport header, if any. */
static int parse_ip4(const uint8_t *p, size_t n, struct icc_drop *d,
		     size_t *l4)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;

	if (n < 20 || ihl < 20 || ihl > n)
		return -EBADMSG;
	d->family = AF_INET;
	d->proto = p[9];
	memcpy(&d->src.v4, p + 12, 4);
	memcpy(&d->dst.v4, p + 16, 4);
	/* A later fragment carries no transport header. */
	*l4 = be16_at(p + 6) & 0x1fff ? n : ihl;
	return 0;
}

/* IPv6 extension headers that may stand before the transport header. */
static bool is_ext6(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_AH;
}

static int parse_ip6(const uint8_t *p, size_t n, struct icc_drop *d,
		     size_t *l4)
{
	size_t off = 40;
	uint8_t nh;

	if (n < 40)
		return -EBADMSG;
	d->family = AF_INET6;
	memcpy(&d->src.v6, p + 8, 16);
	memcpy(&d->dst.v6, p + 24, 16);
	nh = p[6];
	/* At most 8: a chain longer than that is not a connection attempt. */
	for (int i = 0; i < 8 && is_ext6(nh) && off + 8 <= n; i++) {
		size_t len = nh == IPPROTO_FRAGMENT ? 8 :
			     nh == IPPROTO_AH ? ((size_t)p[off + 1] + 2) * 4 :
			     ((size_t)p[off + 1] + 1) * 8;

		if (nh == IPPROTO_FRAGMENT && (be16_at(p + off + 2) & 0xfff8))
			len = n;	/* a later fragment: no transport header */
		nh = p[off];
		off += len;
	}
	d->proto = nh;
	*l4 = is_ext6(nh) || off > n ? n : off;
	return 0;
}

static int parse_payload(const struct nlattr *a, struct icc_drop *d)
{
	const uint8_t *p;
	size_t n, l4 = 0;
	int ret;

	if (!a || mnl_attr_get_payload_len(a) < 1)
		return -EBADMSG;
	p = mnl_attr_get_payload(a);
	n = mnl_attr_get_payload_len(a);
	switch (p[0] >> 4) {
	case 4: ret = parse_ip4(p, n, d, &l4); break;
	case 6: ret = parse_ip6(p, n, d, &l4); break;
	default: return -EBADMSG;
	}
	if (ret == 0)
		parse_l4(p + l4, n - l4, d);
	return ret;
}

int droplog_parse(const struct nlmsghdr *nlh, struct icc_drop *d)
{
	const struct nlattr *tb[NFULA_MAX + 1] = { NULL };
	int ret;

	memset(d, 0, sizeof(*d));
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_ULOG ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != NFULNL_MSG_PACKET ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)))
		return 0;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), attr_cb, tb) < 0)
		return -EBADMSG;
	/* Every message of the group counts for the gaps, ours or not. */
	d->seq = attr_be32(tb[NFULA_SEQ], &d->has_seq);
	if ((ret = prefix_kind(tb[NFULA_PREFIX], &d->kind)) <= 0)
		return ret;
	d->indev = attr_be32(tb[NFULA_IFINDEX_INDEV], NULL);
	d->outdev = attr_be32(tb[NFULA_IFINDEX_OUTDEV], NULL);
	return parse_payload(tb[NFULA_PAYLOAD], d) < 0 ? -EBADMSG : 1;
}

/* ---------------------------------------------------------------- the line */

static const char *proto_str(uint8_t proto, char *buf, size_t len)
{
	static const struct { uint8_t proto; const char *name; } names[] = {
		{ IPPROTO_TCP, "tcp" }, { IPPROTO_UDP, "udp" },
		{ IPPROTO_ICMP, "icmp" }, { IPPROTO_ICMPV6, "icmpv6" },
		{ IPPROTO_UDPLITE, "udplite" }, { IPPROTO_SCTP, "sctp" },
		{ IPPROTO_DCCP, "dccp" }, { IPPROTO_GRE, "gre" },
		{ IPPROTO_ESP, "esp" }, { IPPROTO_AH, "ah" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].proto == proto)
			return names[i].name;
	snprintf(buf, len, "proto %u", proto);
	return buf;
}

/* "NAME ADDR[:PORT]": IPv6 in brackets when a port follows. */
static void end_str(char *buf, size_t len, const struct icc_drop *d,
		    const union icc_drop_addr *a, uint16_t port,
		    const struct icc_drop_names *names)
{
	const char *name = names && names->addr ?
			   names->addr(d->family, a, names->data) : NULL;
	char s[INET6_ADDRSTRLEN];
	bool v6 = d->family == AF_INET6;

	inet_ntop(d->family, a, s, sizeof(s));
	if (d->has_ports)
		snprintf(buf, len, "%s %s%s%s:%u", name ? name : "?", v6 ? "[" : "",
			 s, v6 ? "]" : "", port);
	else
		snprintf(buf, len, "%s %s", name ? name : "?", s);
}

static void l4_str(char *buf, size_t len, const struct icc_drop *d)
{
	char pb[16];
	const char *proto = proto_str(d->proto, pb, sizeof(pb));
	bool request = d->icmp_type == (d->family == AF_INET ? 8 : 128);

	if (!d->has_icmp)
		snprintf(buf, len, "%s", proto);
	else if (is_echo(d))
		snprintf(buf, len, "%s %s id %u", proto,
			 request ? "echo-request" : "echo-reply", d->icmp_id);
	else
		snprintf(buf, len, "%s type %u code %u", proto, d->icmp_type,
			 d->icmp_code);
}

static const char *dev_str(uint32_t ifindex, char *buf,
			   const struct icc_drop_names *names)
{
	const char *s;

	if (!ifindex)
		return "-";
	s = names && names->ifname ? names->ifname(ifindex, buf, names->data) : NULL;
	return s ? s : "?";
}

int droplog_format(char *buf, size_t len, const struct icc_drop *d,
		   const struct icc_drop_names *names)
{
	char src[160], dst[160], l4[48], in[ICC_IFNAMSIZ], out[ICC_IFNAMSIZ];

	end_str(src, sizeof(src), d, &d->src, d->sport, names);
	end_str(dst, sizeof(dst), d, &d->dst, d->dport, names);
	l4_str(l4, sizeof(l4), d);
	return snprintf(buf, len, "drop %s: %s -> %s %s (%s -> %s)",
			droplog_kind_name(d->kind), src, dst, l4,
			dev_str(d->indev, in, names), dev_str(d->outdev, out, names));
}

/* ---------------------------------------------------------------- one line per connection */

/* What makes a connection, compared with memcmp: no implicit padding. */
struct seen_key {
	uint8_t kind, family, proto, icmp_type, icmp_code, zero[3];
	uint16_t sport, dport;		/* ICMP: the echo id, 0 */
	union icc_drop_addr src, dst;
};

struct seen_entry {
	struct seen_key key;
	int64_t t;
};

/* A ring in the order seen: the next slot holds the oldest. */
struct droplog_seen {
	struct seen_entry *v;
	size_t cap, n, next;
	int64_t window;
};

int droplog_seen_new(struct droplog_seen **out, size_t cap, int64_t window_ms)
{
	struct droplog_seen *s = calloc(1, sizeof(*s));

	if (!s || !cap || !(s->v = calloc(cap, sizeof(*s->v)))) {
		free(s);
		return -ENOMEM;
	}
	s->cap = cap;
	s->window = window_ms;
	*out = s;
	return 0;
}

static void seen_key_of(struct seen_key *k, const struct icc_drop *d)
{
	memset(k, 0, sizeof(*k));
	k->kind = (uint8_t)d->kind;
	k->family = (uint8_t)d->family;
	k->proto = d->proto;
	k->src = d->src;
	k->dst = d->dst;
	k->sport = d->has_ports ? d->sport : d->icmp_id;
	k->dport = d->has_ports ? d->dport : 0;
	k->icmp_type = d->icmp_type;
	k->icmp_code = d->icmp_code;
}

/*
 * A repeat does not renew its entry: a client that keeps sending from one
 * port for ever is reported again once per window.
 */
bool droplog_seen_add(struct droplog_seen *s, const struct icc_drop *d,
		      int64_t now_ms)
{
	struct seen_key k;

	seen_key_of(&k, d);
	for (size_t i = 0; i < s->n; i++)
		if (now_ms - s->v[i].t < s->window &&
		    !memcmp(&s->v[i].key, &k, sizeof(k)))
			return false;
	memcpy(&s->v[s->next].key, &k, sizeof(k));
	s->v[s->next].t = now_ms;
	s->next = (s->next + 1) % s->cap;
	if (s->n < s->cap)
		s->n++;
	return true;
}

void droplog_seen_free(struct droplog_seen *s)
{
	if (!s)
		return;
	free(s->v);
	free(s);
}

/* ---------------------------------------------------------------- who an address is */

struct name_entry {
	int family;
	union icc_drop_addr a;
	char *name;		/* NULL while building: see names_join */
	size_t ct;		/* the policy container, while building */
};

struct droplog_names {
	struct name_entry *v;
	size_t n;
};

static int name_cmp(const void *x, const void *y)
{
	const struct name_entry *a = x, *b = y;
	int c = (a->family > b->family) - (a->family < b->family);

	return c ? c : memcmp(&a->a, &b->a, sizeof(a->a));
}

/* By address, then container: the order names are joined in. */
static int name_ct_cmp(const void *x, const void *y)
{
	const struct name_entry *a = x, *b = y;
	int c = name_cmp(x, y);

	return c ? c : (a->ct > b->ct) - (a->ct < b->ct);
}

/* Zeroed first: addresses are compared with memcmp. */
static void name_put(struct name_entry *e, int family, const void *a, size_t ct)
{
	memset(e, 0, sizeof(*e));
	e->family = family;
	memcpy(&e->a, a, family == AF_INET ? 4 : 16);
	e->ct = ct;
}

static size_t names_collect(struct name_entry *v, const struct icc_policy *p,
			    const struct icc_binding *bind)
{
	size_t n = 0;

	for (size_t i = 0; i < p->ncontainers; i++) {
		for (size_t j = 0; j < bind[i].n; j++)
			name_put(&v[n++], AF_INET, &bind[i].addrs[j], i);
		for (size_t j = 0; j < bind[i].n6; j++)
			name_put(&v[n++], AF_INET6, &bind[i].addrs6[j], i);
	}
	return n;
}

/* v[i..] with the same address as v[i]: the names joined with ','. */
static char *names_join(const struct name_entry *v, size_t n, size_t i,
			const struct icc_policy *p, size_t *used)
{
	size_t len = 0, k;
	char *s;

	for (k = i; k < n && !name_cmp(&v[i], &v[k]); k++)
		len += strlen(p->containers[v[k].ct].name) + 1;
	*used = k - i;
	if (!(s = malloc(len + 1)))
		return NULL;
	s[0] = '\0';
	for (k = i; k < i + *used; k++) {
		if (k > i)
			strcat(s, ",");
		strcat(s, p->containers[v[k].ct].name);
	}
	return s;
}

int droplog_names_new(struct droplog_names **out, const struct icc_policy *p,
		      const struct icc_binding *bind)
{
	struct droplog_names *t = calloc(1, sizeof(*t));
	size_t total = 0, n, used;

	for (size_t i = 0; bind && i < p->ncontainers; i++)
		total += bind[i].n + bind[i].n6;
	if (!t || !(t->v = calloc(total + 1, sizeof(*t->v))))
		goto oom;
	n = bind ? names_collect(t->v, p, bind) : 0;
	qsort(t->v, n, sizeof(*t->v), name_ct_cmp);
	for (size_t i = 0; i < n; i += used) {
		char *s = names_join(t->v, n, i, p, &used);

		if (!s)
			goto oom;
		t->v[t->n] = t->v[i];
		t->v[t->n++].name = s;
	}
	*out = t;
	return 0;
oom:
	droplog_names_free(t);
	return -ENOMEM;
}

const char *droplog_names_find(const struct droplog_names *t, int family,
			       const union icc_drop_addr *a)
{
	struct name_entry key = { .family = family, .a = *a };
	const struct name_entry *e;

	if (!t)
		return NULL;
	e = bsearch(&key, t->v, t->n, sizeof(*t->v), name_cmp);
	return e ? e->name : NULL;
}

void droplog_names_free(struct droplog_names *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
}
