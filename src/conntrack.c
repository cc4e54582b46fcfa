// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Deleting the conntrack entries of revoked links (libnetfilter_conntrack:
 * one dump, then one delete per entry once the dump is over).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "icc/revoke.h"

struct revoke_ctx {
	const struct icc_ruleset *before, *after;
	const struct icc_host_addrs *host;	/* the host's own addresses */
	struct nf_conntrack **doomed;
	size_t n, cap;
	int err;
};

static bool is_host(const struct revoke_ctx *c, const struct icc_flow *f)
{
	for (size_t i = 0; !f->v6 && i < c->host->n4; i++)
		if (c->host->v4[i].s_addr == f->dst)
			return true;
	for (size_t i = 0; f->v6 && i < c->host->n6; i++)
		if (!memcmp(&c->host->v6[i], f->dst6, 16))
			return true;
	return false;
}

/* The first packet as the forward hook saw it: after DNAT, the reply's source. */
static void flow_of(const struct revoke_ctx *c, const struct nf_conntrack *ct,
		    struct icc_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->v6 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO) == AF_INET6;
	if (f->v6) {
		memcpy(f->src6, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
		memcpy(f->dst6, nfct_get_attr(ct, ATTR_REPL_IPV6_SRC), 16);
	} else {
		f->src = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
		f->dst = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);
	}
	f->proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	f->dport = f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP ?
		   ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC)) : 0;
	f->icmp_type = f->proto == IPPROTO_ICMP || f->proto == IPPROTO_ICMPV6 ?
		       nfct_get_attr_u8(ct, ATTR_ICMP_TYPE) : 0;
	f->to_host = is_host(c, f);
}

static int on_entry(enum nf_conntrack_msg_type type, struct nf_conntrack *ct,
		    void *data)
{
	struct revoke_ctx *c = data;
	struct icc_flow f;

	(void)type;
	flow_of(c, ct, &f);
	if (!ruleset_flow_allows(c->before, &f) || ruleset_flow_allows(c->after, &f))
		return NFCT_CB_CONTINUE;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct nf_conntrack **v = realloc(c->doomed, cap * sizeof(*v));

		if (!v) {
			c->err = -ENOMEM;
			return NFCT_CB_STOP;
		}
		c->doomed = v;
		c->cap = cap;
	}
	if (!(c->doomed[c->n] = nfct_clone(ct))) {
		c->err = -ENOMEM;
		return NFCT_CB_STOP;
	}
	c->n++;
	return NFCT_CB_CONTINUE;
}

/*
 * One handle, kept open: closing a conntrack socket cost about 10 ms
 * here, and a dump per family about 5 ms each, which every removal paid
 * in icc-policyd before its next event could be handled. After any error
 * it is dropped and opened again at the next call.
 */
static struct nfct_handle *kept;

static struct nfct_handle *ct_handle(void)
{
	if (!kept)
		kept = nfct_open(CONNTRACK, 0);
	return kept;
}

static void ct_handle_drop(void)
{
	if (kept)
		nfct_close(kept);
	kept = NULL;
}

/* Every entry of this namespace, both families in one walk of the table. */
static int dump(struct nfct_handle *h, struct revoke_ctx *c)
{
	uint32_t family = AF_UNSPEC;
	int ret = 0;

	nfct_callback_register(h, NFCT_T_ALL, on_entry, c);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0)
		ret = -errno;
	nfct_callback_unregister(h);
	return c->err ? c->err : ret;
}

int ct_revoke(const struct icc_ruleset *before, const struct icc_ruleset *after,
	      const struct icc_host_addrs *host, size_t *n)
{
	struct revoke_ctx c = { .before = before, .after = after, .host = host };
	/* the dump is over before the deletes: one handle serves both */
	struct nfct_handle *h = ct_handle();
	int ret = h ? dump(h, &c) : -errno;

	*n = 0;
	for (size_t i = 0; ret == 0 && i < c.n; i++) {
		/* Gone already (it timed out meanwhile) is as good as deleted. */
		if (nfct_query(h, NFCT_Q_DESTROY, c.doomed[i]) < 0 && errno != ENOENT)
			ret = -errno;
		else
			(*n)++;
	}
	for (size_t i = 0; i < c.n; i++)
		nfct_destroy(c.doomed[i]);
	free(c.doomed);
	if (ret < 0)
		ct_handle_drop();
	return ret;
}
