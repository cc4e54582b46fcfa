// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The static rules as nf_tables expressions, and sets as kernel objects.
 * Each rule linearizes exactly as nft 1.0.6 does for the text beside it
 * in ruleset.c, so a ruleset loaded by `nft -f` from `show` compares equal.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>	/* before linux/ headers, which clash with it */
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/rtnetlink.h>
#include <linux/if_ether.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "icc/nft.h"

/* Registers as nft allocates them: 16-byte fields in NFT_REG_n, 4-byte
 * fields in 32-bit registers counted from NFT_REG32_00. */
enum { R1 = NFT_REG_1, R2 = NFT_REG_2, R9 = NFT_REG32_01,
       R10 = NFT_REG32_02, R11 = NFT_REG32_03, R13 = NFT_REG32_05 };

struct rb {
	struct nftnl_rule *r;
	bool ids;
	int err;
};

static struct nftnl_expr *rb_expr(struct rb *b, const char *name)
{
	struct nftnl_expr *e = nftnl_expr_alloc(name);

	if (!e)
		b->err = -ENOMEM;
	return e;
}

static void rb_add(struct rb *b, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(b->r, e);
}

static void meta(struct rb *b, uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(b, "meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	rb_add(b, e);
}

static void cmp(struct rb *b, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = rb_expr(b, "cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	rb_add(b, e);
}

static void cmp_u8(struct rb *b, uint8_t v)
{
	cmp(b, NFT_CMP_EQ, &v, 1);
}

static void payload(struct rb *b, uint32_t base, uint32_t off, uint32_t len,
		    uint32_t dreg)
{
	struct nftnl_expr *e = rb_expr(b, "payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	rb_add(b, e);
}

static void lookup(struct rb *b, enum icc_set_id set, int dreg, bool inv)
{
	struct nftnl_expr *e = rb_expr(b, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, R1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, icc_set_defs[set].name);
	if (b->ids)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, ICC_SET_ID(set));
	if (dreg)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, dreg);
	/* the kernel always reports flags: set them so fingerprints match */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, inv ? NFT_LOOKUP_F_INV : 0);
	rb_add(b, e);
}

static void verdict(struct rb *b, int v, const char *chain)
{
	struct nftnl_expr *e = rb_expr(b, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, v);
	if (chain)
		nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	rb_add(b, e);
}

/* ct KEY & mask != 0 */
static void ct_bits(struct rb *b, uint32_t key, uint32_t mask)
{
	struct nftnl_expr *e = rb_expr(b, "ct");
	uint32_t zero = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, R1);
	}
	rb_add(b, e);
	e = rb_expr(b, "bitwise");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, 4);
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, 4);
	}
	rb_add(b, e);
	cmp(b, NFT_CMP_NEQ, &zero, 4);
}

static void ipv4_only(struct rb *b)
{
	meta(b, NFT_META_NFPROTO, R1);
	cmp_u8(b, NFPROTO_IPV4);
}

/* nft converts the 1-byte protocol in interval concatenations. */
static void byteorder_hton(struct rb *b, uint32_t reg)
{
	struct nftnl_expr *e = rb_expr(b, "byteorder");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	}
	rb_add(b, e);
}

/* ip saddr . ip daddr [. meta l4proto . th dport] into R1, R9, R10, R11 */
static void addr_pair(struct rb *b)
{
	ipv4_only(b);
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R9);
}

static void port_key(struct rb *b, bool interval)
{
	addr_pair(b);
	meta(b, NFT_META_L4PROTO, R10);
	if (interval)
		byteorder_hton(b, R10);
	payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R11);
}

static void ifname_pair(struct rb *b)
{
	meta(b, NFT_META_IIFNAME, R1);
	meta(b, NFT_META_OIFNAME, R2);
}

static void loopback_byte(struct rb *b, uint32_t off)
{
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, off, 1, R1);
	cmp_u8(b, 127);
}

static void nat(struct rb *b, uint32_t type, bool ports)
{
	struct nftnl_expr *e = rb_expr(b, ports ? "nat" : "masq");

	if (e && ports) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, R9);
		/* what the kernel fills in and dumps when only min is given */
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, R9);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_MAP_IPS |
				   NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	rb_add(b, e);
}

static void fib_local(struct rb *b)
{
	struct nftnl_expr *e = rb_expr(b, "fib");
	uint32_t local = RTN_LOCAL;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, R1);
	}
	rb_add(b, e);
	cmp(b, NFT_CMP_EQ, &local, 4);
}

#define CT_ESTABLISHED_RELATED \
	(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED))

/* iifname . oifname . ip saddr . ip daddr [. meta l4proto . th dport] */
static void egress_key(struct rb *b, bool ports)
{
	ifname_pair(b);
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_3);
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG32_09);
	if (!ports)
		return;
	meta(b, NFT_META_L4PROTO, NFT_REG32_10);
	byteorder_hton(b, NFT_REG32_10);
	payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_11);
}

static void egress_rule(struct rb *b, size_t i)
{
	static const enum icc_set_id sets[] = {
		ICC_SET_EGRESS4, ICC_SET_EGRESS4ICMP, ICC_SET_EGRESS4ANY
	};

	ipv4_only(b);
	if (i == 13) {	/* icmp type echo-request */
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMP);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		cmp_u8(b, 8);
	}
	egress_key(b, i == 12);
	lookup(b, sets[i - 12], 0, false);
	verdict(b, NF_ACCEPT, NULL);
}

static void ct_state_verdict(struct rb *b, uint32_t states, int v)
{
	ct_bits(b, NFT_CT_STATE, states);
	verdict(b, v, NULL);
}

static void port_rule(struct rb *b, size_t i);

/* The rules of chains input and to_host (25 on). */
static void host_rule(struct rb *b, size_t i)
{
	switch (i) {
	case 25:	/* iifname @bridges jump to_host */
		meta(b, NFT_META_IIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		verdict(b, NFT_JUMP, "to_host");
		break;
	case 26:	/* ct state established,related accept */
		ct_state_verdict(b, CT_ESTABLISHED_RELATED, NF_ACCEPT);
		break;
	case 27:	/* ct state invalid drop */
		ct_state_verdict(b, NF_CT_STATE_INVALID_BIT, NF_DROP);
		break;
	case 28:	/* meta l4proto ipv6-icmp accept */
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMPV6);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 29:	/* iifname . meta l4proto . th dport @host4 accept */
		meta(b, NFT_META_IIFNAME, R1);
		meta(b, NFT_META_L4PROTO, R2);
		byteorder_hton(b, R2);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R13);
		lookup(b, ICC_SET_HOST4, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 30:	/* icmp type echo-request iifname @host4icmp accept */
		ipv4_only(b);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMP);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		cmp_u8(b, 8);
		meta(b, NFT_META_IIFNAME, R1);
		lookup(b, ICC_SET_HOST4ICMP, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 31:	/* iifname @host4any accept */
		meta(b, NFT_META_IIFNAME, R1);
		lookup(b, ICC_SET_HOST4ANY, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 32:
		verdict(b, NF_DROP, NULL);
		break;
	default:
		port_rule(b, i);
	}
}

static void ether_type(struct rb *b, uint16_t type)
{
	uint8_t be[2] = { type >> 8, type & 0xff };

	payload(b, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	cmp(b, NFT_CMP_EQ, be, 2);
}

/* iifname . <6-byte MAC at base+off> [. <IPv4 at base4+off4>] */
static void bind_key(struct rb *b, uint32_t base, uint32_t off,
		     uint32_t base4, uint32_t off4)
{
	meta(b, NFT_META_IIFNAME, R1);
	payload(b, base, off, 6, R2);
	if (base4 != UINT32_MAX)
		payload(b, base4, off4, 4, NFT_REG32_06);
}

/* The rules of table bridge icc (33 on): what a container port may send. */
static void port_rule(struct rb *b, size_t i)
{
	static const uint8_t dhcp[4] = { 0, 68, 0, 67 };
	static const uint32_t any = 0;

	switch (i) {
	case 33:	/* iifname @ports jump from_port */
		meta(b, NFT_META_IIFNAME, R1);
		lookup(b, ICC_SET_PORTS, 0, false);
		verdict(b, NFT_JUMP, "from_port");
		break;
	case 34:	/* iifname . ether saddr != @port_mac drop */
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, UINT32_MAX, 0);
		lookup(b, ICC_SET_PORT_MAC, 0, true);
		verdict(b, NF_DROP, NULL);
		break;
	case 35:	/* arp: sender MAC and address bound to the port */
		ether_type(b, ETH_P_ARP);
		bind_key(b, NFT_PAYLOAD_NETWORK_HEADER, 8, NFT_PAYLOAD_NETWORK_HEADER, 14);
		lookup(b, ICC_SET_PORT_IP4, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 36:	/* arp probe: arp saddr ip 0.0.0.0, bound sender MAC */
		ether_type(b, ETH_P_ARP);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 14, 4, R1);
		cmp(b, NFT_CMP_EQ, &any, 4);
		bind_key(b, NFT_PAYLOAD_NETWORK_HEADER, 8, UINT32_MAX, 0);
		lookup(b, ICC_SET_PORT_MAC, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 37:	/* ip: iifname . ether saddr . ip saddr @port_ip4 */
		ether_type(b, ETH_P_IP);
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, NFT_PAYLOAD_NETWORK_HEADER, 12);
		lookup(b, ICC_SET_PORT_IP4, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 38:	/* DHCP from 0.0.0.0 */
		ether_type(b, ETH_P_IP);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
		cmp(b, NFT_CMP_EQ, &any, 4);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_UDP);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4, R1);
		cmp(b, NFT_CMP_EQ, dhcp, 4);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 39:	/* router advertisements */
		ether_type(b, ETH_P_IPV6);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMPV6);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		cmp_u8(b, 134);
		verdict(b, NF_DROP, NULL);
		break;
	case 40:
		ether_type(b, ETH_P_IPV6);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 41:
		verdict(b, NF_DROP, NULL);
		break;
	default:
		b->err = -EINVAL;
	}
}

static void rule_body(struct rb *b, size_t i)
{
	static const char lo[16] = "lo";

	switch (i) {
	case 0:		/* iifname != "lo" ip daddr 127.0.0.0/8 drop */
		meta(b, NFT_META_IIFNAME, R1);
		cmp(b, NFT_CMP_NEQ, lo, sizeof(lo));
		ipv4_only(b);
		loopback_byte(b, 16);
		verdict(b, NF_DROP, NULL);
		break;
	case 1: case 2:	/* iifname/oifname @bridges jump ... */
		meta(b, i == 1 ? NFT_META_IIFNAME : NFT_META_OIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		verdict(b, NFT_JUMP, i == 1 ? "from_bridge" : "to_bridge");
		break;
	case 3: case 16:	/* ct state established,related accept */
		ct_state_verdict(b, CT_ESTABLISHED_RELATED, NF_ACCEPT);
		break;
	case 4:		/* ct state invalid drop */
		ct_state_verdict(b, NF_CT_STATE_INVALID_BIT, NF_DROP);
		break;
	case 5:		/* iifname . ip saddr != @subnets4 drop */
		ipv4_only(b);
		meta(b, NFT_META_IIFNAME, R1);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R2);
		lookup(b, ICC_SET_SUBNETS4, 0, true);
		verdict(b, NF_DROP, NULL);
		break;
	case 6: case 7:	/* links, exact ports and ranges */
		port_key(b, i == 7);
		lookup(b, i == 6 ? ICC_SET_LINKS4 : ICC_SET_LINKS4R, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 8:		/* icmp type echo-request ... @links4icmp accept */
		ipv4_only(b);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMP);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		cmp_u8(b, 8);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R9);
		lookup(b, ICC_SET_LINKS4ICMP, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 9:		/* ip saddr . ip daddr @links4any accept */
		addr_pair(b);
		lookup(b, ICC_SET_LINKS4ANY, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 10: case 17:	/* ct status dnat ... @published4 accept */
		ct_bits(b, NFT_CT_STATUS, IPS_DST_NAT);
		port_key(b, true);
		lookup(b, ICC_SET_PUBLISHED4, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 11:	/* iifname . oifname @egress accept */
		ifname_pair(b);
		lookup(b, ICC_SET_EGRESS, 0, false);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case 12: case 13: case 14:	/* per-container egress */
		egress_rule(b, i);
		break;
	case 15: case 18:
		verdict(b, NF_DROP, NULL);
		break;
	case 19: case 20:	/* fib daddr type local ... map @dnat4 */
		fib_local(b);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, i == 19 ? IPPROTO_TCP : IPPROTO_UDP);
		port_key(b, true);
		lookup(b, ICC_SET_DNAT4, R1, false);
		nat(b, NFT_NAT_DNAT, true);
		break;
	case 21: case 22:	/* ip daddr 127.0.0.0/8 ... map @local4 */
		ipv4_only(b);
		loopback_byte(b, 16);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, i == 21 ? IPPROTO_TCP : IPPROTO_UDP);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1);
		meta(b, NFT_META_L4PROTO, R9);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R10);
		lookup(b, ICC_SET_LOCAL4, R1, false);
		nat(b, NFT_NAT_DNAT, true);
		break;
	case 23:	/* ip saddr 127.0.0.0/8 oifname @bridges masquerade */
		ipv4_only(b);
		loopback_byte(b, 12);
		meta(b, NFT_META_OIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		nat(b, 0, false);
		break;
	case 24:	/* iifname . oifname @masq masquerade */
		ifname_pair(b);
		lookup(b, ICC_SET_MASQ, 0, false);
		nat(b, 0, false);
		break;
	default:
		host_rule(b, i);
	}
}

struct nftnl_rule *nft_build_rule(size_t i, bool with_ids)
{
	struct rb b = { .r = nftnl_rule_alloc(), .ids = with_ids };

	if (!b.r)
		return NULL;
	nftnl_rule_set_u32(b.r, NFTNL_RULE_FAMILY,
			   icc_table_defs[icc_chain_defs[icc_rule_defs[i].chain].table].nfproto);
	nftnl_rule_set_str(b.r, NFTNL_RULE_TABLE, ICC_TABLE);
	nftnl_rule_set_str(b.r, NFTNL_RULE_CHAIN,
			   icc_chain_defs[icc_rule_defs[i].chain].name);
	rule_body(&b, i);
	if (b.err) {
		nftnl_rule_free(b.r);
		return NULL;
	}
	return b.r;
}

struct nftnl_table *nft_build_table(enum icc_table_id tbl)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);

	if (!t || !u ||
	    !nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, ICC_TABLE_COMMENT)) {
		nftnl_table_free(t);
		t = NULL;
		goto out;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, icc_table_defs[tbl].nfproto);
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, ICC_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, 0);
	nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u),
			     nftnl_udata_buf_len(u));
out:
	nftnl_udata_buf_free(u);
	return t;
}

struct nftnl_chain *nft_build_chain(size_t i)
{
	const struct icc_chain_def *d = &icc_chain_defs[i];
	struct nftnl_chain *c = nftnl_chain_alloc();

	if (!c)
		return NULL;
	nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, icc_table_defs[d->table].nfproto);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, ICC_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, d->name);
	if (d->type) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, d->type);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, d->hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, d->prio);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	return c;
}

/* nft's datatype ids, and concatenations of them (6 bits per field). */
static uint32_t dtype_id(const uint8_t *t, unsigned n)
{
	static const uint32_t ids[] = {
		[ICC_T_IFNAME] = 41, [ICC_T_IPV4] = 7,
		[ICC_T_PROTO] = 12, [ICC_T_PORT] = 13, [ICC_T_ETHER] = 9,
	};
	uint32_t id = 0;

	for (unsigned i = 0; i < n; i++)
		id = id << 6 | ids[t[i]];
	return id;
}

/* The userdata nft writes, so `nft list` prints our sets readably. */
static bool set_udata(struct nftnl_udata_buf *u, const struct icc_set_def *d)
{
	struct nftnl_udata *nest;
	bool ok;

	/* byteorder 1 (host) only for a lone ifname; concatenations: 0 */
	ok = nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER,
				 d->nkey == 1 && d->key[0] == ICC_T_IFNAME);
	if (d->ndata)
		ok = ok && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATABYTEORDER, 0);
	for (int k = 0; ok && d->nkey > 1 && k < 1 + (d->ndata > 0); k++) {
		nest = nftnl_udata_nest_start(u, k ? NFTNL_UDATA_SET_DATA_TYPEOF :
						     NFTNL_UDATA_SET_KEY_TYPEOF);
		ok = nest && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, 13) &&
		     nftnl_udata_put(u, NFTNL_UDATA_SET_TYPEOF_DATA, 0, NULL);
		if (nest)
			nftnl_udata_nest_end(u, nest);
	}
	if (d->ndata)
		ok = ok && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_DATA_INTERVAL, 0);
	return ok && nftnl_udata_put_strz(u, NFTNL_UDATA_SET_COMMENT, d->comment);
}

static void set_concat_desc(struct nftnl_set *s, const struct icc_set_def *d)
{
	static const uint8_t len[] = {
		[ICC_T_IFNAME] = 16, [ICC_T_IPV4] = 4,
		[ICC_T_PROTO] = 1, [ICC_T_PORT] = 2, [ICC_T_ETHER] = 6,
	};
	uint8_t f[4];

	for (unsigned i = 0; i < d->nkey; i++)
		f[i] = len[d->key[i]];
	nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, f, d->nkey);
}

static struct nftnl_set *set_skeleton(const struct icc_set *is, uint32_t id)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s)
		return NULL;
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, icc_table_defs[is->def->table].nfproto);
	nftnl_set_set_str(s, NFTNL_SET_TABLE, ICC_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, is->def->name);
	if (id)
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	return s;
}

struct nftnl_set *nft_build_set(const struct icc_set *is, uint32_t set_id)
{
	const struct icc_set_def *d = is->def;
	struct nftnl_set *s = set_skeleton(is, set_id);
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(256);
	uint32_t flags = 0;

	if (!s || !u || !set_udata(u, d)) {
		nftnl_set_free(s);
		s = NULL;
		goto out;
	}
	if (d->interval) {
		flags |= NFT_SET_INTERVAL | NFT_SET_CONCAT;
		set_concat_desc(s, d);
	}
	if (d->ndata) {
		flags |= NFT_SET_MAP;
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, dtype_id(d->data, d->ndata));
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, is->data_len);
	}
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, dtype_id(d->key, d->nkey));
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, is->key_len);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u),
			   nftnl_udata_buf_len(u));
out:
	nftnl_udata_buf_free(u);
	return s;
}

static struct nftnl_set_elem *elem_build(const struct icc_set *is,
					 const uint8_t *e)
{
	struct nftnl_set_elem *el = nftnl_set_elem_alloc();
	size_t k = is->key_len;

	if (!el)
		return NULL;
	nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e, k);
	if (is->def->interval) {
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY_END, e + k, k);
		e += k;
	}
	if (is->def->ndata)
		nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA, e + k, is->data_len);
	return el;
}

struct nftnl_set *nft_build_elems(const struct icc_set *is, const size_t *idx,
				  size_t n, uint32_t set_id)
{
	struct nftnl_set *s = set_skeleton(is, set_id);

	for (size_t i = 0; s && i < n; i++) {
		struct nftnl_set_elem *el =
			elem_build(is, set_elem(is, idx ? idx[i] : i));

		if (!el) {
			nftnl_set_free(s);
			return NULL;
		}
		nftnl_set_elem_add(s, el);
	}
	return s;
}

size_t nft_elems_per_msg(const struct icc_set *s)
{
	/* per element: list nest, key nest + value, key_end, data, flags */
	size_t one = 4 + (8 + s->key_len) * (s->def->interval ? 2 : 1) +
		     (s->data_len ? 8 + s->data_len : 0) + 8;

	return 48000 / one;
}

int nft_rule_fingerprint(const struct nftnl_rule *r, char **out)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(r);
	struct nftnl_expr *e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char one[512];
	int ret = -ENOMEM;

	if (!it || !f)
		goto out;
	while ((e = nftnl_expr_iter_next(it))) {
		nftnl_expr_snprintf(one, sizeof(one), e, NFTNL_OUTPUT_DEFAULT, 0);
		fprintf(f, "[ %s %s] ", nftnl_expr_get_str(e, NFTNL_EXPR_NAME), one);
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	if (ret == 0)
		*out = buf;
	else
		free(buf);
	if (it)
		nftnl_expr_iter_destroy(it);
	return ret;
}
