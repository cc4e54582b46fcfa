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
	bool counted;	/* a counted drop rule: "counter drop" */
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

static void counter(struct rb *b)
{
	rb_add(b, rb_expr(b, "counter"));
}

static void verdict(struct rb *b, int v, const char *chain)
{
	struct nftnl_expr *e;

	if (v == NF_DROP && b->counted)
		counter(b);
	e = rb_expr(b, "immediate");
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

static void only(struct rb *b, uint8_t nfproto)
{
	meta(b, NFT_META_NFPROTO, R1);
	cmp_u8(b, nfproto);
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

/*
 * The register of byte offset off of a concatenation, as the kernel
 * dumps it: a 16-byte register when aligned to one, else a 32-bit one.
 */
static uint32_t reg_at(unsigned off)
{
	return off % 16 ? NFT_REG32_00 + off / 4 : NFT_REG_1 + off / 16;
}

/* ip[6] saddr . ip[6] daddr from byte offset off of the key. */
static void addrs_at(struct rb *b, bool v6, unsigned off)
{
	unsigned n = v6 ? 16 : 4;

	payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 8 : 12, n, reg_at(off));
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, n, reg_at(off + n));
}

/* meta l4proto . th dport at byte offset off. */
static void proto_port_at(struct rb *b, unsigned off, bool interval)
{
	meta(b, NFT_META_L4PROTO, reg_at(off));
	if (interval)
		byteorder_hton(b, reg_at(off));
	payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg_at(off + 4));
}

/* ip[6] saddr . ip[6] daddr [. meta l4proto . th dport] */
static void addr_pair(struct rb *b, bool v6)
{
	only(b, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
	addrs_at(b, v6, 0);
}

static void port_key(struct rb *b, bool v6, bool interval)
{
	addr_pair(b, v6);
	proto_port_at(b, v6 ? 32 : 8, interval);
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

static void nat(struct rb *b, uint32_t type, bool ports, bool v6)
{
	struct nftnl_expr *e = rb_expr(b, ports ? "nat" : "masq");
	uint32_t port_reg = v6 ? R2 : R9;

	if (e && ports) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, type);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
		/* what the kernel fills in and dumps when only min is given */
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MAX, R1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MAX, port_reg);
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

/* icmp[v6] type T: the l4proto dependency, then the type byte. */
static void icmp_type(struct rb *b, bool v6, uint8_t type)
{
	meta(b, NFT_META_L4PROTO, R1);
	cmp_u8(b, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
	cmp_u8(b, type);
}

static void accept_if(struct rb *b, enum icc_set_id set)
{
	lookup(b, set, 0, false);
	verdict(b, NF_ACCEPT, NULL);
}

/* iifname . oifname . ip saddr . ip daddr [. meta l4proto . th dport] */
static void egress4_rule(struct rb *b, enum icc_set_id set)
{
	only(b, NFPROTO_IPV4);
	if (set == ICC_SET_EGRESS4ICMP)
		icmp_type(b, false, 8);
	ifname_pair(b);
	addrs_at(b, false, 32);
	if (set == ICC_SET_EGRESS4)
		proto_port_at(b, 40, true);
	accept_if(b, set);
}

/* iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr [...] */
static void egress6_rule(struct rb *b, enum icc_set_id set)
{
	if (set == ICC_SET_EGRESS6ICMP) {
		only(b, NFPROTO_IPV6);
		icmp_type(b, true, 128);
	}
	ifname_pair(b);
	lookup(b, ICC_SET_UPLINKS, 0, false);
	if (set != ICC_SET_EGRESS6ICMP)
		only(b, NFPROTO_IPV6);
	meta(b, NFT_META_IIFNAME, R1);
	addrs_at(b, true, 16);
	if (set == ICC_SET_EGRESS6)
		proto_port_at(b, 48, true);
	accept_if(b, set);
}

static void ct_state_verdict(struct rb *b, uint32_t states, int v)
{
	ct_bits(b, NFT_CT_STATE, states);
	verdict(b, v, NULL);
}

static void link_rule(struct rb *b, enum icc_set_id set, bool v6)
{
	bool icmp = set == ICC_SET_LINKS4ICMP || set == ICC_SET_LINKS6ICMP;
	bool any = set == ICC_SET_LINKS4ANY || set == ICC_SET_LINKS6ANY;

	if (icmp) {
		only(b, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		icmp_type(b, v6, v6 ? 128 : 8);
		addrs_at(b, v6, 0);
	} else if (any) {
		addr_pair(b, v6);
	} else {
		port_key(b, v6, set == ICC_SET_LINKS4R || set == ICC_SET_LINKS6R);
	}
	accept_if(b, set);
}

/* ct status dnat ... @published[46] accept */
static void published_rule(struct rb *b, bool v6)
{
	ct_bits(b, NFT_CT_STATUS, IPS_DST_NAT);
	port_key(b, v6, true);
	accept_if(b, v6 ? ICC_SET_PUBLISHED6 : ICC_SET_PUBLISHED4);
}

/* fib daddr type local meta l4proto P dnat ip[6] to ... map @dnat[46] */
static void dnat_rule(struct rb *b, bool v6, uint8_t proto)
{
	fib_local(b);
	meta(b, NFT_META_L4PROTO, R1);
	cmp_u8(b, proto);
	port_key(b, v6, true);
	lookup(b, v6 ? ICC_SET_DNAT6 : ICC_SET_DNAT4, R1, false);
	nat(b, NFT_NAT_DNAT, true, v6);
}

/* ip daddr 127.0.0.0/8 meta l4proto P dnat ip to ... map @local4 */
static void local_rule(struct rb *b, uint8_t proto)
{
	only(b, NFPROTO_IPV4);
	loopback_byte(b, 16);
	meta(b, NFT_META_L4PROTO, R1);
	cmp_u8(b, proto);
	payload(b, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, R1);
	meta(b, NFT_META_L4PROTO, R9);
	payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, R10);
	lookup(b, ICC_SET_LOCAL4, R1, false);
	nat(b, NFT_NAT_DNAT, true, false);
}

static void jump_if(struct rb *b, uint32_t key, enum icc_set_id set,
		    const char *chain)
{
	meta(b, key, R1);
	lookup(b, set, 0, false);
	verdict(b, NFT_JUMP, chain);
}

/*
 * IFACE @logged limit rate ... log prefix "icc drop KIND " group N: one
 * NFLOG message per denied packet, at most ICC_LOG_RATE a second (with
 * ICC_LOG_BURST at once) per rule, so a flood cannot flood the log.
 */
static void log_if(struct rb *b, uint32_t iface, const char *kind)
{
	char prefix[32];
	struct nftnl_expr *e;

	meta(b, iface, R1);
	lookup(b, ICC_SET_LOGGED, 0, false);
	e = rb_expr(b, "limit");
	if (e) {
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, ICC_LOG_RATE);
		nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, ICC_LOG_BURST);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, 0);
	}
	rb_add(b, e);
	e = rb_expr(b, "log");
	if (e) {
		snprintf(prefix, sizeof(prefix), ICC_LOG_PREFIX "%s ", kind);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, prefix);
		nftnl_expr_set_u16(e, NFTNL_EXPR_LOG_GROUP, ICC_LOG_GROUP);
	}
	rb_add(b, e);
}

/* The rules of chains input and to_host. */
static void host_rule(struct rb *b, enum icc_rule_id id)
{
	switch (id) {
	case R_INPUT_JUMP:
		jump_if(b, NFT_META_IIFNAME, ICC_SET_BRIDGES, "to_host");
		break;
	case R_HOST_ESTABLISHED:
		ct_state_verdict(b, CT_ESTABLISHED_RELATED, NF_ACCEPT);
		break;
	case R_HOST_INVALID:
		ct_state_verdict(b, NF_CT_STATE_INVALID_BIT, NF_DROP);
		break;
	case R_HOST_ICMPV6:	/* icmpv6 type != echo-request accept */
		only(b, NFPROTO_IPV6);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMPV6);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, R1);
		cmp(b, NFT_CMP_NEQ, &(uint8_t){ 128 }, 1);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case R_HOST4:		/* iifname . meta l4proto . th dport @host4 */
		meta(b, NFT_META_IIFNAME, R1);
		proto_port_at(b, 16, true);
		accept_if(b, ICC_SET_HOST4);
		break;
	case R_HOST4ICMP: case R_HOST6ICMP:	/* icmp[v6] type echo-request */
		only(b, id == R_HOST6ICMP ? NFPROTO_IPV6 : NFPROTO_IPV4);
		icmp_type(b, id == R_HOST6ICMP, id == R_HOST6ICMP ? 128 : 8);
		meta(b, NFT_META_IIFNAME, R1);
		accept_if(b, ICC_SET_HOST4ICMP);
		break;
	case R_HOST4ANY:
		meta(b, NFT_META_IIFNAME, R1);
		accept_if(b, ICC_SET_HOST4ANY);
		break;
	case R_HOST_LOG: log_if(b, NFT_META_IIFNAME, "host"); break;
	default:		/* R_HOST_DROP */
		verdict(b, NF_DROP, NULL);
	}
}

static void ether_type(struct rb *b, uint16_t type)
{
	uint8_t be[2] = { type >> 8, type & 0xff };

	payload(b, NFT_PAYLOAD_LL_HEADER, 12, 2, R1);
	cmp(b, NFT_CMP_EQ, be, 2);
}

/* iifname . <6-byte MAC at base+off> [. <n bytes at base2+off2>] */
static void bind_key(struct rb *b, uint32_t base, uint32_t off,
		     uint32_t base2, uint32_t off2, uint32_t n)
{
	meta(b, NFT_META_IIFNAME, R1);
	payload(b, base, off, 6, R2);
	if (n)
		payload(b, base2, off2, n, NFT_REG32_06);
}

/* The anti-spoofing rules of table bridge icc (ARP and IPv4). */
static void port_rule4(struct rb *b, enum icc_rule_id id)
{
	static const uint8_t dhcp[4] = { 0, 68, 0, 67 };
	static const uint32_t any = 0;

	switch (id) {
	case R_PORT_ARP:	/* sender MAC and address bound to the port */
		ether_type(b, ETH_P_ARP);
		bind_key(b, NFT_PAYLOAD_NETWORK_HEADER, 8, NFT_PAYLOAD_NETWORK_HEADER, 14, 4);
		accept_if(b, ICC_SET_PORT_IP4);
		break;
	case R_PORT_ARP_PROBE:	/* arp saddr ip 0.0.0.0, bound sender MAC */
		ether_type(b, ETH_P_ARP);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 14, 4, R1);
		cmp(b, NFT_CMP_EQ, &any, 4);
		bind_key(b, NFT_PAYLOAD_NETWORK_HEADER, 8, 0, 0, 0);
		accept_if(b, ICC_SET_PORT_MAC);
		break;
	case R_PORT_IP4:	/* iifname . ether saddr . ip saddr @port_ip4 */
		ether_type(b, ETH_P_IP);
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
		accept_if(b, ICC_SET_PORT_IP4);
		break;
	default:		/* R_PORT_DHCP: DHCP from 0.0.0.0 */
		ether_type(b, ETH_P_IP);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R1);
		cmp(b, NFT_CMP_EQ, &any, 4);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_UDP);
		payload(b, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 4, R1);
		cmp(b, NFT_CMP_EQ, dhcp, 4);
		verdict(b, NF_ACCEPT, NULL);
	}
}

/* The rules of table bridge icc: what a container port may send. */
static void port_rule(struct rb *b, enum icc_rule_id id)
{
	static const uint8_t unspec[16];

	switch (id) {
	case R_BR_JUMP:
		jump_if(b, NFT_META_IIFNAME, ICC_SET_PORTS, "from_port");
		break;
	case R_PORT_MAC:	/* iifname . ether saddr != @port_mac drop */
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, 0, 0, 0);
		lookup(b, ICC_SET_PORT_MAC, 0, true);
		verdict(b, NF_DROP, NULL);
		break;
	case R_PORT_RA:		/* router advertisements */
		ether_type(b, ETH_P_IPV6);
		icmp_type(b, true, 134);
		verdict(b, NF_DROP, NULL);
		break;
	case R_PORT_DAD6:	/* ip6 saddr :: meta l4proto ipv6-icmp */
		ether_type(b, ETH_P_IPV6);
		payload(b, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, R1);
		cmp(b, NFT_CMP_EQ, unspec, 16);
		meta(b, NFT_META_L4PROTO, R1);
		cmp_u8(b, IPPROTO_ICMPV6);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case R_PORT_NA6:	/* the target of an advertisement: @th,64,128 */
		ether_type(b, ETH_P_IPV6);
		icmp_type(b, true, 136);
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, NFT_PAYLOAD_TRANSPORT_HEADER, 8, 16);
		lookup(b, ICC_SET_PORT_ND6, 0, true);
		verdict(b, NF_DROP, NULL);
		break;
	case R_PORT_IP6:	/* iifname . ether saddr . ip6 saddr @port_ip6 */
		ether_type(b, ETH_P_IPV6);
		bind_key(b, NFT_PAYLOAD_LL_HEADER, 6, NFT_PAYLOAD_NETWORK_HEADER, 8, 16);
		accept_if(b, ICC_SET_PORT_IP6);
		break;
	case R_PORT_DROP:
		verdict(b, NF_DROP, NULL);
		break;
	default:
		port_rule4(b, id);
	}
}

/* The rules of chains from_bridge and to_bridge. */
static void bridge_rule(struct rb *b, enum icc_rule_id id)
{
	switch (id) {
	case R_FROM_ESTABLISHED: case R_TO_ESTABLISHED:
		ct_state_verdict(b, CT_ESTABLISHED_RELATED, NF_ACCEPT);
		break;
	case R_FROM_NS: case R_FROM_NA:
		only(b, NFPROTO_IPV6);
		icmp_type(b, true, id == R_FROM_NS ? 135 : 136);
		verdict(b, NF_ACCEPT, NULL);
		break;
	case R_FROM_INVALID:
		ct_state_verdict(b, NF_CT_STATE_INVALID_BIT, NF_DROP);
		break;
	case R_FROM_SUBNET4: case R_FROM_SUBNET6:	/* iifname . ip saddr != @subnets */
		only(b, id == R_FROM_SUBNET6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
		meta(b, NFT_META_IIFNAME, R1);
		if (id == R_FROM_SUBNET6)
			payload(b, NFT_PAYLOAD_NETWORK_HEADER, 8, 16, R2);
		else
			payload(b, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, R2);
		lookup(b, id == R_FROM_SUBNET6 ? ICC_SET_SUBNETS6 : ICC_SET_SUBNETS4, 0, true);
		verdict(b, NF_DROP, NULL);
		break;
	case R_LINKS4: link_rule(b, ICC_SET_LINKS4, false); break;
	case R_LINKS4R: link_rule(b, ICC_SET_LINKS4R, false); break;
	case R_LINKS4ICMP: link_rule(b, ICC_SET_LINKS4ICMP, false); break;
	case R_LINKS4ANY: link_rule(b, ICC_SET_LINKS4ANY, false); break;
	case R_LINKS6: link_rule(b, ICC_SET_LINKS6, true); break;
	case R_LINKS6R: link_rule(b, ICC_SET_LINKS6R, true); break;
	case R_LINKS6ICMP: link_rule(b, ICC_SET_LINKS6ICMP, true); break;
	case R_LINKS6ANY: link_rule(b, ICC_SET_LINKS6ANY, true); break;
	case R_FROM_PUBLISHED4: case R_TO_PUBLISHED4:
		published_rule(b, false);
		break;
	case R_FROM_PUBLISHED6: case R_TO_PUBLISHED6:
		published_rule(b, true);
		break;
	case R_EGRESS:		/* iifname . oifname @egress accept */
		ifname_pair(b);
		accept_if(b, ICC_SET_EGRESS);
		break;
	case R_EGRESS4: egress4_rule(b, ICC_SET_EGRESS4); break;
	case R_EGRESS4ICMP: egress4_rule(b, ICC_SET_EGRESS4ICMP); break;
	case R_EGRESS4ANY: egress4_rule(b, ICC_SET_EGRESS4ANY); break;
	case R_EGRESS6: egress6_rule(b, ICC_SET_EGRESS6); break;
	case R_EGRESS6ICMP: egress6_rule(b, ICC_SET_EGRESS6ICMP); break;
	case R_EGRESS6ANY: egress6_rule(b, ICC_SET_EGRESS6ANY); break;
	case R_FROM_LOG_LINK:	/* oifname @bridges iifname @logged limit ... log ... */
		meta(b, NFT_META_OIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		log_if(b, NFT_META_IIFNAME, "link");
		break;
	case R_FROM_LOG: log_if(b, NFT_META_IIFNAME, "egress"); break;
	case R_TO_LOG: log_if(b, NFT_META_OIFNAME, "inbound"); break;
	case R_FROM_DROP_LINK:	/* oifname @bridges counter drop */
		meta(b, NFT_META_OIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		verdict(b, NF_DROP, NULL);
		break;
	default:		/* R_FROM_DROP, R_TO_DROP */
		verdict(b, NF_DROP, NULL);
	}
}

static void rule_body(struct rb *b, enum icc_rule_id id)
{
	static const char lo[16] = "lo";

	switch (id) {
	case R_LOOPBACK_GUARD:	/* iifname != "lo" ip daddr 127.0.0.0/8 drop */
		meta(b, NFT_META_IIFNAME, R1);
		cmp(b, NFT_CMP_NEQ, lo, sizeof(lo));
		only(b, NFPROTO_IPV4);
		loopback_byte(b, 16);
		verdict(b, NF_DROP, NULL);
		break;
	case R_FWD_FROM:
		jump_if(b, NFT_META_IIFNAME, ICC_SET_BRIDGES, "from_bridge");
		break;
	case R_FWD_TO:
		jump_if(b, NFT_META_OIFNAME, ICC_SET_BRIDGES, "to_bridge");
		break;
	case R_DNAT4_TCP: dnat_rule(b, false, IPPROTO_TCP); break;
	case R_DNAT4_UDP: dnat_rule(b, false, IPPROTO_UDP); break;
	case R_DNAT6_TCP: dnat_rule(b, true, IPPROTO_TCP); break;
	case R_DNAT6_UDP: dnat_rule(b, true, IPPROTO_UDP); break;
	case R_LOCAL4_TCP: local_rule(b, IPPROTO_TCP); break;
	case R_LOCAL4_UDP: local_rule(b, IPPROTO_UDP); break;
	case R_MASQ_LOOPBACK:	/* ip saddr 127.0.0.0/8 oifname @bridges masquerade */
		only(b, NFPROTO_IPV4);
		loopback_byte(b, 12);
		meta(b, NFT_META_OIFNAME, R1);
		lookup(b, ICC_SET_BRIDGES, 0, false);
		nat(b, 0, false, false);
		break;
	case R_MASQ:		/* iifname . oifname @masq masquerade */
		ifname_pair(b);
		lookup(b, ICC_SET_MASQ, 0, false);
		nat(b, 0, false, false);
		break;
	default:
		if (id >= R_BR_JUMP)
			port_rule(b, id);
		else if (id >= R_INPUT_JUMP)
			host_rule(b, id);
		else
			bridge_rule(b, id);
	}
}

struct nftnl_rule *nft_build_rule(size_t i, bool with_ids)
{
	struct rb b = { .r = nftnl_rule_alloc(), .ids = with_ids,
			.counted = icc_rule_drop(icc_rule_defs[i].id) != ICC_DROP_NONE };

	if (!b.r)
		return NULL;
	nftnl_rule_set_u32(b.r, NFTNL_RULE_FAMILY,
			   icc_table_defs[icc_chain_defs[icc_rule_defs[i].chain].table].nfproto);
	nftnl_rule_set_str(b.r, NFTNL_RULE_TABLE, ICC_TABLE);
	nftnl_rule_set_str(b.r, NFTNL_RULE_CHAIN,
			   icc_chain_defs[icc_rule_defs[i].chain].name);
	rule_body(&b, icc_rule_defs[i].id);
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
		[ICC_T_IPV6] = 8, [ICC_T_RAW128] = 4,
	};
	uint32_t id = 0;

	for (unsigned i = 0; i < n; i++)
		id = id << 6 | ids[t[i]];
	return id;
}

/*
 * nft's description of an expression in a typeof set (its netlink_udata:
 * the expression type, then its own attributes in order), so that nft
 * knows the size of a raw field: without it `nft list` cannot even print
 * the set's elements.
 */
enum { UD_EXPR_PAYLOAD = 7, UD_EXPR_META = 9, UD_EXPR_CONCAT = 13,
       UD_PROTO_ETHER = 17, UD_ETHER_SADDR = 2 };

static bool typeof_item(struct nftnl_udata_buf *u, int idx, uint32_t expr,
			const uint32_t *v, int n)
{
	struct nftnl_udata *item = nftnl_udata_nest_start(u, idx), *data;
	bool ok = item && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, expr) &&
		  (data = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_TYPEOF_DATA));

	for (int i = 0; ok && i < n; i++)
		ok = nftnl_udata_put_u32(u, i, v[i]);
	if (ok) {
		nftnl_udata_nest_end(u, data);
		nftnl_udata_nest_end(u, item);
	}
	return ok;
}

/* typeof iifname . ether saddr . @th,64,128 (port_nd6, the only one). */
static bool typeof_nd6(struct nftnl_udata_buf *u)
{
	static const uint32_t iif[] = { NFT_META_IIFNAME };
	static const uint32_t esrc[] = { UD_PROTO_ETHER, UD_ETHER_SADDR };
	static const uint32_t raw[] = { 0, 0, NFT_PAYLOAD_TRANSPORT_HEADER, 64, 128 };
	struct nftnl_udata *key = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_KEY_TYPEOF), *data;
	bool ok = key && nftnl_udata_put_u32(u, NFTNL_UDATA_SET_TYPEOF_EXPR, UD_EXPR_CONCAT) &&
		  (data = nftnl_udata_nest_start(u, NFTNL_UDATA_SET_TYPEOF_DATA)) &&
		  typeof_item(u, 0, UD_EXPR_META, iif, 1) &&
		  typeof_item(u, 1, UD_EXPR_PAYLOAD, esrc, 2) &&
		  typeof_item(u, 2, UD_EXPR_PAYLOAD, raw, 5);

	if (ok) {
		nftnl_udata_nest_end(u, data);
		nftnl_udata_nest_end(u, key);
	}
	return ok;
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
	if (d->typeof_text)
		return ok && typeof_nd6(u) &&
		       nftnl_udata_put_strz(u, NFTNL_UDATA_SET_COMMENT, d->comment);
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
		[ICC_T_IPV6] = 16, [ICC_T_RAW128] = 16,
	};
	uint8_t f[6];

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
	if (d->counter) {	/* every element gets its own counter */
		struct nftnl_expr *e = nftnl_expr_alloc("counter");

		if (!e) {
			nftnl_set_free(s);
			s = NULL;
			goto out;
		}
		nftnl_set_add_expr(s, e);
	}
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
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

		/* a counter's values are state, not structure */
		if (!strcmp(name, "counter"))
			one[0] = '\0';
		else
			nftnl_expr_snprintf(one, sizeof(one), e, NFTNL_OUTPUT_DEFAULT, 0);
		fprintf(f, "[ %s %s] ", name, one);
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
