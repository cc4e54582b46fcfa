// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Every table of families ip, ip6 and inet, read over netlink (never by
 * running nft or iptables): whether our loopback guard runs, and which
 * rules of other tables translate destinations on every host address
 * (Docker's DNAT rules, for instance), which publishes ports outside the
 * policy. iptables-legacy tables are not nf_tables: they are only named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "icc/audit.h"
#include "icc/fileio.h"
#include "icc/nft.h"
#include "nft_int.h"

#define GUARD_CHAIN	"raw_pre"

/* ---- one rule: an unrestricted DNAT? ---- */

/* What a 32-bit register slot holds, as far as the classification goes. */
enum reg_kind { K_NONE, K_DADDR, K_L4PROTO, K_DPORT };

struct classify {
	uint32_t family;
	uint8_t reg[32];	/* enum reg_kind per NFT_REG32_* slot */
	bool dnat, restricted;
	struct icc_dnat *d;
};

/* NFT_REG_1..4 are 16 bytes, NFT_REG32_00..15 four: one slot each 4 bytes. */
static int slot_index(uint32_t reg)
{
	if (reg >= NFT_REG_1 && reg <= NFT_REG_4)
		return (int)(reg - NFT_REG_1) * 4;
	if (reg >= NFT_REG32_00 && reg - NFT_REG32_00 < 32)
		return (int)(reg - NFT_REG32_00);
	return -1;
}

static uint8_t *slot(struct classify *c, uint32_t reg)
{
	static uint8_t scratch;
	int i = slot_index(reg);

	scratch = K_NONE;
	return i < 0 ? &scratch : &c->reg[i];
}

static enum reg_kind payload_kind(const struct classify *c,
				  const struct nftnl_expr *e)
{
	uint32_t base = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_BASE);
	uint32_t off = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET);
	uint32_t len = nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN);
	bool v4 = c->family != NFPROTO_IPV6, v6 = c->family != NFPROTO_IPV4;

	if (base == NFT_PAYLOAD_TRANSPORT_HEADER)
		return off == 2 && len == 2 ? K_DPORT : K_NONE;
	if (base != NFT_PAYLOAD_NETWORK_HEADER)
		return K_NONE;
	/* ip daddr (a prefix loads fewer bytes), ip6 daddr, ip protocol */
	if ((v4 && off == 16 && len <= 4) || (v6 && off == 24 && len <= 16))
		return K_DADDR;
	return c->family == NFPROTO_IPV4 && off == 9 && len == 1 ? K_L4PROTO
								 : K_NONE;
}

static void on_cmp(struct classify *c, const struct nftnl_expr *e)
{
	uint32_t op = nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_OP), len = 0;
	const uint8_t *data = nftnl_expr_get(e, NFTNL_EXPR_CMP_DATA, &len);
	uint8_t kind = *slot(c, nftnl_expr_get_u32(e, NFTNL_EXPR_CMP_SREG));

	if (op == NFT_CMP_NEQ || !data)
		return;
	if (kind == K_DADDR)
		c->restricted = true;
	else if (kind == K_L4PROTO && op == NFT_CMP_EQ && len >= 1)
		c->d->proto = data[0];
	else if (kind == K_DPORT && op == NFT_CMP_EQ && len == 2)
		c->d->port = (uint16_t)(data[0] << 8 | data[1]);
	else if (kind == K_DPORT)
		c->d->port_set = true;
}

/* A set or a range on a register: restricts what it holds. */
static void on_match(struct classify *c, uint32_t sreg, bool inverted)
{
	uint8_t kind = *slot(c, sreg);

	if (inverted)
		return;
	if (kind == K_DADDR)
		c->restricted = true;
	else if (kind == K_DPORT)
		c->d->port_set = true;
}

/* A load of len bytes fills len/4 slots (an IPv6 address: four). */
static void set_slots(struct classify *c, uint32_t reg, uint32_t len,
		      enum reg_kind k)
{
	int i = slot_index(reg);

	for (uint32_t n = 0; i >= 0 && n < (len + 3) / 4 && i + n < 32; n++)
		c->reg[i + n] = (uint8_t)k;
}

/*
 * Any expression not understood here may write any register (fib, ct,
 * rt, socket, a map lookup, ...): forget everything, so that a later
 * compare is never taken for a destination restriction. At worst a
 * restricted DNAT is reported; an unrestricted one never passes.
 */
static bool understood(const char *name)
{
	static const char *const known[] = {
		"payload", "meta", "bitwise", "immediate", "counter", "log",
		"limit", "match", "notrack", NULL
	};

	for (const char *const *k = known; *k; k++)
		if (!strcmp(name, *k))
			return true;
	return false;
}

static void on_load(struct classify *c, const struct nftnl_expr *e,
		    const char *name)
{
	if (!understood(name))
		memset(c->reg, K_NONE, sizeof(c->reg));
	else if (!strcmp(name, "payload") && nftnl_expr_is_set(e, NFTNL_EXPR_PAYLOAD_DREG))
		set_slots(c, nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_DREG),
			  nftnl_expr_get_u32(e, NFTNL_EXPR_PAYLOAD_LEN),
			  payload_kind(c, e));
	else if (!strcmp(name, "meta") && nftnl_expr_is_set(e, NFTNL_EXPR_META_DREG))
		*slot(c, nftnl_expr_get_u32(e, NFTNL_EXPR_META_DREG)) =
			nftnl_expr_get_u32(e, NFTNL_EXPR_META_KEY) == NFT_META_L4PROTO ?
			K_L4PROTO : K_NONE;
	else if (!strcmp(name, "bitwise"))
		*slot(c, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_DREG)) =
			*slot(c, nftnl_expr_get_u32(e, NFTNL_EXPR_BITWISE_SREG));
	else if (!strcmp(name, "immediate"))
		*slot(c, nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG)) = K_NONE;
}

static int classify_expr(struct nftnl_expr *e, void *data)
{
	struct classify *c = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (!name)
		return 0;
	if (!strcmp(name, "cmp"))
		on_cmp(c, e);
	else if (!strcmp(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG))
		memset(c->reg, K_NONE, sizeof(c->reg));	/* a map: its value is anything */
	else if (!strcmp(name, "lookup"))
		on_match(c, nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_SREG),
			 nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_FLAGS) & NFT_LOOKUP_F_INV);
	else if (!strcmp(name, "range"))
		on_match(c, nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_SREG),
			 nftnl_expr_get_u32(e, NFTNL_EXPR_RANGE_OP) == NFT_RANGE_NEQ);
	else if (!strcmp(name, "nat"))
		c->dnat |= nftnl_expr_get_u32(e, NFTNL_EXPR_NAT_TYPE) == NFT_NAT_DNAT;
	else if (!strcmp(name, "target"))	/* iptables-nft: xt compat */
		c->dnat |= !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_TG_NAME), "DNAT");
	else
		on_load(c, e, name);
	return 0;
}

bool audit_rule_dnat(const struct nftnl_rule *r, struct icc_dnat *d)
{
	struct classify c = { .d = d };

	memset(d, 0, sizeof(*d));
	c.family = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	nftnl_expr_foreach((struct nftnl_rule *)r, classify_expr, &c);
	return c.dnat && !c.restricted;
}

/* ---- the dump ---- */

struct scan {
	struct icc_nft *n;
	struct icc_audit *a;
	char *guard_fp;		/* our guard rule's fingerprint */
	bool table_ok, chain_ok, rule_ok;
	size_t ndnat;
	int err;
};

static bool is_ours(uint32_t family, const char *table)
{
	return family == NFPROTO_INET && !strcmp(table, ICC_TABLE);
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	struct nftnl_table *t = nftnl_table_alloc();

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return MNL_CB_ERROR;
	}
	if (is_ours(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY),
		    nftnl_table_get_str(t, NFTNL_TABLE_NAME)) &&
	    !(nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) & NFT_TABLE_F_DORMANT))
		s->table_ok = true;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	if (is_ours(nftnl_chain_get_u32(c, NFTNL_CHAIN_FAMILY),
		    nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE)) &&
	    !strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), GUARD_CHAIN) &&
	    nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	    nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == NF_INET_PRE_ROUTING)
		s->chain_ok = true;
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int report_dnat(struct scan *s, const struct nftnl_rule *r,
		       const struct icc_dnat *d)
{
	uint32_t fam = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	char subject[600], proto[24], what[64];

	snprintf(subject, sizeof(subject), "%s %s %s",
		 fam == NFPROTO_IPV4 ? "ip" : fam == NFPROTO_IPV6 ? "ip6" : "inet",
		 nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
		 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
	if (!d->proto)
		snprintf(proto, sizeof(proto), "every protocol");
	else if (strcmp(proto_name(d->proto), "?"))
		snprintf(proto, sizeof(proto), "%s", proto_name(d->proto));
	else
		snprintf(proto, sizeof(proto), "protocol %u", d->proto);
	if (d->port)
		snprintf(what, sizeof(what), "%s port %u", proto, d->port);
	else
		snprintf(what, sizeof(what), "%s, %s", proto,
			 d->port_set ? "several ports" : "every port");
	s->ndnat++;
	return audit_add(s->a, AUDIT_FOREIGN_PUBLISH, ICC_AUDIT_FAIL, subject,
			 "publish the port with the policy instead and remove the rule (Docker: \"iptables\": false, or \"ip\": \"127.0.0.1\" in daemon.json)",
			 "DNAT of %s on every host address (rule handle %llu): a port published outside the policy, whose publish and allow_from do not apply to it",
			 what, (unsigned long long)nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE));
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct scan *s = data;
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct icc_dnat d;
	uint32_t fam;
	char *fp = NULL;

	if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
		nftnl_rule_free(r);
		return MNL_CB_ERROR;
	}
	fam = nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY);
	if (is_ours(fam, nftnl_rule_get_str(r, NFTNL_RULE_TABLE))) {
		if (!strcmp(nftnl_rule_get_str(r, NFTNL_RULE_CHAIN), GUARD_CHAIN) &&
		    nft_rule_fingerprint(r, &fp) == 0 && !strcmp(fp, s->guard_fp))
			s->rule_ok = true;
		free(fp);
	} else if ((fam == NFPROTO_IPV4 || fam == NFPROTO_IPV6 ||
		    fam == NFPROTO_INET) && audit_rule_dnat(r, &d) && !s->err) {
		s->err = report_dnat(s, r, &d);
	}
	nftnl_rule_free(r);
	return MNL_CB_OK;
}

static int dump(struct scan *s, uint16_t type, mnl_cb_t cb)
{
	char buf[256] = { 0 };
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, type, NFPROTO_UNSPEC,
						     NLM_F_DUMP, ++s->n->seq);

	return nft_request(s->n, nlh, cb, s);
}

/* The fingerprint of our loopback guard, as nft_read compares rules. */
static int guard_fingerprint(char **fp)
{
	for (size_t j = 0; j < icc_nrules; j++) {
		struct nftnl_rule *r;
		int ret;

		if (icc_rule_defs[j].id != R_LOOPBACK_GUARD)
			continue;
		if (!(r = nft_build_rule(j, false)))
			return -ENOMEM;
		ret = nft_rule_fingerprint(r, fp);
		nftnl_rule_free(r);
		return ret;
	}
	return -ENOENT;
}

/* iptables-legacy tables: x_tables, invisible to nf_tables. */
static int legacy(struct icc_audit *a)
{
	static const char *const files[] = { "/proc/net/ip_tables_names",
					     "/proc/net/ip6_tables_names" };
	int ret = 0;

	for (size_t i = 0; i < 2 && !ret; i++) {
		char *text = NULL;

		if (file_read(files[i], 4096, &text, &(size_t){ 0 }) == 0 && text[0]) {
			for (char *c = text; *c; c++)
				*c = *c == '\n' && c[1] ? ' ' : *c == '\n' ? '\0' : *c;
			ret = audit_add(a, AUDIT_FOREIGN_PUBLISH, ICC_AUDIT_WARN,
					files[i], "iptables-legacy-save shows them; move their rules to nftables (iptables-nft)",
					"iptables-legacy tables (%s) are not nf_tables: their DNAT rules were not inspected",
					text);
		}
		free(text);
	}
	return ret;
}

static int scan_once(struct scan *s)
{
	int ret;

	s->table_ok = s->chain_ok = s->rule_ok = false;
	s->ndnat = 0;
	s->err = 0;
	if ((ret = dump(s, NFT_MSG_GETTABLE, table_cb)) < 0 ||
	    (ret = dump(s, NFT_MSG_GETCHAIN, chain_cb)) < 0 ||
	    (ret = dump(s, NFT_MSG_GETRULE, rule_cb)) < 0)
		return ret;
	return s->err;
}

int audit_nft(struct icc_audit *a, bool *guard_live)
{
	struct scan s = { .a = a };
	size_t n0 = a->n;
	int ret;

	*guard_live = false;
	if ((ret = guard_fingerprint(&s.guard_fp)) < 0 || (ret = nft_open(&s.n)) < 0)
		goto out;
	/* A dump that saw the ruleset change (EINTR) is read again. */
	ret = -EINTR;
	for (int tries = 0; tries < 10 && ret == -EINTR; tries++) {
		audit_truncate(a, n0);
		ret = scan_once(&s);
	}
	if (ret < 0)
		goto out;
	*guard_live = s.table_ok && s.chain_ok && s.rule_ok;
	if (!s.ndnat)
		ret = audit_add(a, AUDIT_FOREIGN_PUBLISH, ICC_AUDIT_PASS, "nf_tables", NULL,
				"no rule of another table translates destinations on every host address");
	if (!ret)
		ret = legacy(a);
out:
	nft_close(s.n);
	free(s.guard_fp);
	return ret;
}
