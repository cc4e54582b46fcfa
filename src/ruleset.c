// SPDX-License-Identifier: GPL-2.0-or-later
/* The static part of the ruleset, and set elements in canonical order. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter.h>

#include "icc/ruleset.h"

#define K(...) { __VA_ARGS__ }

const struct icc_set_def icc_set_defs[ICC_NSETS] = {
	[ICC_SET_BRIDGES] = { "bridges", ICC_TBL_INET, 1, K(ICC_T_IFNAME), 0, K(0),
		false, -1, "managed bridges" },
	[ICC_SET_LOGGED] = { "logged", ICC_TBL_INET, 1, K(ICC_T_IFNAME), 0, K(0),
		false, -1, "bridges whose denied connections are logged (NFLOG)" },
	[ICC_SET_SUBNETS4] = { "subnets4", ICC_TBL_INET, 2, K(ICC_T_IFNAME, ICC_T_IPV4),
		0, K(0), true, -1, "the only sources each bridge may forward" },
	[ICC_SET_SUBNETS6] = { "subnets6", ICC_TBL_INET, 2, K(ICC_T_IFNAME, ICC_T_IPV6),
		0, K(0), true, -1, "the only IPv6 sources each bridge may forward" },
	[ICC_SET_EGRESS] = { "egress", ICC_TBL_INET, 2, K(ICC_T_IFNAME, ICC_T_IFNAME),
		0, K(0), false, -1, "bridge . uplink: new connections out" },
	[ICC_SET_MASQ] = { "masq", ICC_TBL_INET, 2, K(ICC_T_IFNAME, ICC_T_IFNAME),
		0, K(0), false, -1, "bridge . uplink: masqueraded" },
	[ICC_SET_UPLINKS] = { "uplinks", ICC_TBL_INET, 2, K(ICC_T_IFNAME, ICC_T_IFNAME),
		0, K(0), false, -1, "bridge . uplink: where IPv6 egress rules lead" },
	[ICC_SET_LINKS4] = { "links4", ICC_TBL_INET, 4,
		K(ICC_T_IPV4, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		false, -1, "links, exact ports (hash: O(1))",
		.counter = true },
	/* Ranges live apart from exact ports: interval sets cost more. */
	[ICC_SET_LINKS4R] = { "links4r", ICC_TBL_INET, 4,
		K(ICC_T_IPV4, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		true, 3, "links, port ranges",
		.counter = true },
	[ICC_SET_LINKS4ICMP] = { "links4icmp", ICC_TBL_INET, 2, K(ICC_T_IPV4, ICC_T_IPV4),
		0, K(0), false, -1, "links allowing echo request",
		.counter = true },
	[ICC_SET_LINKS4ANY] = { "links4any", ICC_TBL_INET, 2, K(ICC_T_IPV4, ICC_T_IPV4),
		0, K(0), false, -1, "links allowing everything",
		.counter = true },
	[ICC_SET_LINKS6] = { "links6", ICC_TBL_INET, 4,
		K(ICC_T_IPV6, ICC_T_IPV6, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		false, -1, "IPv6 links, exact ports",
		.counter = true },
	[ICC_SET_LINKS6R] = { "links6r", ICC_TBL_INET, 4,
		K(ICC_T_IPV6, ICC_T_IPV6, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		true, 3, "IPv6 links, port ranges",
		.counter = true },
	[ICC_SET_LINKS6ICMP] = { "links6icmp", ICC_TBL_INET, 2, K(ICC_T_IPV6, ICC_T_IPV6),
		0, K(0), false, -1, "IPv6 links allowing echo request",
		.counter = true },
	[ICC_SET_LINKS6ANY] = { "links6any", ICC_TBL_INET, 2, K(ICC_T_IPV6, ICC_T_IPV6),
		0, K(0), false, -1, "IPv6 links allowing everything",
		.counter = true },
	[ICC_SET_PUBLISHED4] = { "published4", ICC_TBL_INET, 4,
		K(ICC_T_IPV4, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		true, 0, "published ports: source . container . proto . port" },
	[ICC_SET_PUBLISHED6] = { "published6", ICC_TBL_INET, 4,
		K(ICC_T_IPV6, ICC_T_IPV6, ICC_T_PROTO, ICC_T_PORT), 0, K(0),
		true, 0, "IPv6 published ports: source . container . proto . port" },
	[ICC_SET_DNAT4] = { "dnat4", ICC_TBL_INET, 4,
		K(ICC_T_IPV4, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT),
		2, K(ICC_T_IPV4, ICC_T_PORT), true, 0,
		"public publishes: source . host addr . proto . port",
		.counter = true },
	[ICC_SET_DNAT6] = { "dnat6", ICC_TBL_INET, 4,
		K(ICC_T_IPV6, ICC_T_IPV6, ICC_T_PROTO, ICC_T_PORT),
		2, K(ICC_T_IPV6, ICC_T_PORT), true, 0,
		"public IPv6 publishes: source . host addr . proto . port",
		.counter = true },
	[ICC_SET_LOCAL4] = { "local4", ICC_TBL_INET, 3, K(ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT),
		2, K(ICC_T_IPV4, ICC_T_PORT), false, -1,
		"loopback publishes: host addr . proto . port",
		.counter = true },
	[ICC_SET_HOST4] = { "host4", ICC_TBL_INET, 3, K(ICC_T_IFNAME, ICC_T_PROTO, ICC_T_PORT),
		0, K(0), true, 2, "host services: bridge . proto . port" },
	[ICC_SET_HOST4ICMP] = { "host4icmp", ICC_TBL_INET, 1, K(ICC_T_IFNAME), 0, K(0),
		false, -1, "bridges that may ping the host (IPv4 and IPv6)" },
	[ICC_SET_HOST4ANY] = { "host4any", ICC_TBL_INET, 1, K(ICC_T_IFNAME), 0, K(0),
		false, -1, "bridges that may reach every host service" },
	/* Per-container egress of bridges with egress = false. */
	[ICC_SET_EGRESS4] = { "egress4", ICC_TBL_INET, 6, K(ICC_T_IFNAME, ICC_T_IFNAME,
		ICC_T_IPV4, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT), 0, K(0), true, -1,
		"egress rules: bridge . uplink . container . destination . proto . port" },
	[ICC_SET_EGRESS4ICMP] = { "egress4icmp", ICC_TBL_INET, 4, K(ICC_T_IFNAME, ICC_T_IFNAME,
		ICC_T_IPV4, ICC_T_IPV4), 0, K(0), true, -1,
		"egress rules allowing echo request" },
	[ICC_SET_EGRESS4ANY] = { "egress4any", ICC_TBL_INET, 4, K(ICC_T_IFNAME, ICC_T_IFNAME,
		ICC_T_IPV4, ICC_T_IPV4), 0, K(0), true, -1,
		"egress rules allowing everything" },
	/* Both ifnames and two IPv6 addresses would exceed 64 bytes: the
	 * uplink is checked with @uplinks in the same rule. */
	[ICC_SET_EGRESS6] = { "egress6", ICC_TBL_INET, 5, K(ICC_T_IFNAME,
		ICC_T_IPV6, ICC_T_IPV6, ICC_T_PROTO, ICC_T_PORT), 0, K(0), true, -1,
		"IPv6 egress rules: bridge . container . destination . proto . port" },
	[ICC_SET_EGRESS6ICMP] = { "egress6icmp", ICC_TBL_INET, 3, K(ICC_T_IFNAME,
		ICC_T_IPV6, ICC_T_IPV6), 0, K(0), true, -1,
		"IPv6 egress rules allowing echo request" },
	[ICC_SET_EGRESS6ANY] = { "egress6any", ICC_TBL_INET, 3, K(ICC_T_IFNAME,
		ICC_T_IPV6, ICC_T_IPV6), 0, K(0), true, -1,
		"IPv6 egress rules allowing everything" },
	[ICC_SET_PORTS] = { "ports", ICC_TBL_BRIDGE, 1, K(ICC_T_IFNAME), 0,
		K(0), false, -1, "container ports of managed bridges" },
	[ICC_SET_PORT_MAC] = { "port_mac", ICC_TBL_BRIDGE, 2,
		K(ICC_T_IFNAME, ICC_T_ETHER), 0, K(0), false, -1,
		"port . the MAC its container may send with" },
	[ICC_SET_PORT_IP4] = { "port_ip4", ICC_TBL_BRIDGE, 3,
		K(ICC_T_IFNAME, ICC_T_ETHER, ICC_T_IPV4), 0, K(0), false, -1,
		"port . MAC . an IPv4 address its container may send with" },
	[ICC_SET_PORT_IP6] = { "port_ip6", ICC_TBL_BRIDGE, 3,
		K(ICC_T_IFNAME, ICC_T_ETHER, ICC_T_IPV6), 0, K(0), false, -1,
		"port . MAC . an IPv6 address its container may send with" },
	/* nft 1.0.6 has no icmpv6 taddr: the target is read raw */
	[ICC_SET_PORT_ND6] = { "port_nd6", ICC_TBL_BRIDGE, 3,
		K(ICC_T_IFNAME, ICC_T_ETHER, ICC_T_RAW128), 0, K(0), false, -1,
		"port . MAC . an IPv6 address it may advertise (neighbour discovery)",
		"iifname . ether saddr . @th,64,128" },
};

enum icc_set_id icc_set_v6(enum icc_set_id s)
{
	static const enum icc_set_id six[ICC_NSETS] = {
		[ICC_SET_SUBNETS4] = ICC_SET_SUBNETS6,
		[ICC_SET_LINKS4] = ICC_SET_LINKS6, [ICC_SET_LINKS4R] = ICC_SET_LINKS6R,
		[ICC_SET_LINKS4ICMP] = ICC_SET_LINKS6ICMP,
		[ICC_SET_LINKS4ANY] = ICC_SET_LINKS6ANY,
		[ICC_SET_PUBLISHED4] = ICC_SET_PUBLISHED6, [ICC_SET_DNAT4] = ICC_SET_DNAT6,
		[ICC_SET_EGRESS4] = ICC_SET_EGRESS6,
		[ICC_SET_EGRESS4ICMP] = ICC_SET_EGRESS6ICMP,
		[ICC_SET_EGRESS4ANY] = ICC_SET_EGRESS6ANY,
	};

	return six[s] ? six[s] : s;
}

const struct icc_table_def icc_table_defs[ICC_NTABLES] = {
	[ICC_TBL_INET] = { "inet", NFPROTO_INET },
	[ICC_TBL_BRIDGE] = { "bridge", NFPROTO_BRIDGE },
};

enum { C_RAW_PRE, C_FORWARD, C_FROM_BRIDGE, C_TO_BRIDGE, C_NAT_PRE,
       C_NAT_OUT, C_NAT_POST, C_INPUT, C_TO_HOST, C_BR_PRE, C_FROM_PORT };

/*
 * Priorities: the loopback guard runs in raw (-300), before conntrack and
 * NAT. forward runs at -10, before iptables/Docker at 0: our drop is final
 * for every table, our accept is not, so we can only add restrictions.
 */
const struct icc_chain_def icc_chain_defs[] = {
	[C_RAW_PRE] = { "raw_pre", ICC_TBL_INET, "filter", NF_INET_PRE_ROUTING, -300, "raw" },
	[C_FORWARD] = { "forward", ICC_TBL_INET, "filter", NF_INET_FORWARD, -10, "filter - 10" },
	[C_FROM_BRIDGE] = { "from_bridge", ICC_TBL_INET, NULL, 0, 0, NULL },
	[C_TO_BRIDGE] = { "to_bridge", ICC_TBL_INET, NULL, 0, 0, NULL },
	[C_NAT_PRE] = { "nat_pre", ICC_TBL_INET, "nat", NF_INET_PRE_ROUTING, -100, "dstnat" },
	[C_NAT_OUT] = { "nat_out", ICC_TBL_INET, "nat", NF_INET_LOCAL_OUT, -100, "-100" },
	[C_NAT_POST] = { "nat_post", ICC_TBL_INET, "nat", NF_INET_POST_ROUTING, 100, "srcnat" },
	/* Like forward: before the host's own input rules (0). */
	[C_INPUT] = { "input", ICC_TBL_INET, "filter", NF_INET_LOCAL_IN, -10, "filter - 10" },
	[C_TO_HOST] = { "to_host", ICC_TBL_INET, NULL, 0, 0, NULL },
	/*
	 * Anti-spoofing, in the bridge family: every frame a container port
	 * sends, before the bridge switches it or passes it up to IP.
	 */
	[C_BR_PRE] = { "prerouting", ICC_TBL_BRIDGE, "filter", NF_INET_PRE_ROUTING,
		-200, "filter" },
	[C_FROM_PORT] = { "from_port", ICC_TBL_BRIDGE, NULL, 0, 0, NULL },
};
const size_t icc_nchains = sizeof(icc_chain_defs) / sizeof(icc_chain_defs[0]);

#define PORTKEY "ip saddr . ip daddr . meta l4proto . th dport"
#define PORTKEY6 "ip6 saddr . ip6 daddr . meta l4proto . th dport"
#define STR_(x) #x
#define STR(x) STR_(x)
#define LOG(kind) "limit rate " STR(ICC_LOG_RATE) "/second burst " STR(ICC_LOG_BURST) \
	" packets log prefix \"" ICC_LOG_PREFIX kind " \" group " STR(ICC_LOG_GROUP)

enum icc_drop_kind icc_rule_drop(enum icc_rule_id id)
{
	switch (id) {
	case R_FROM_DROP_LINK: return ICC_DROP_LINK;
	case R_FROM_DROP: return ICC_DROP_EGRESS;
	case R_TO_DROP: return ICC_DROP_INBOUND;
	case R_HOST_DROP: return ICC_DROP_HOST;
	case R_FROM_INVALID: case R_HOST_INVALID: return ICC_DROP_INVALID;
	case R_FROM_SUBNET4: case R_FROM_SUBNET6: return ICC_DROP_SPOOFED;
	case R_LOOPBACK_GUARD: return ICC_DROP_LOOPBACK;
	case R_PORT_MAC: case R_PORT_NA6: case R_PORT_DROP: return ICC_DROP_PORT;
	case R_PORT_RA: return ICC_DROP_RA;
	default: return ICC_DROP_NONE;
	}
}

const char *const icc_drop_names[ICC_NDROPS] = {
	[ICC_DROP_NONE] = "none", [ICC_DROP_LINK] = "link",
	[ICC_DROP_EGRESS] = "egress", [ICC_DROP_INBOUND] = "inbound",
	[ICC_DROP_HOST] = "host", [ICC_DROP_INVALID] = "invalid",
	[ICC_DROP_SPOOFED] = "spoofed", [ICC_DROP_LOOPBACK] = "loopback",
	[ICC_DROP_PORT] = "port", [ICC_DROP_RA] = "router_advert",
};
const struct icc_rule_def icc_rule_defs[] = {
	/* route_localnet makes 127/8 routable from outside: CVE-2020-8558. */
	{ C_RAW_PRE, R_LOOPBACK_GUARD, "iifname != \"lo\" ip daddr 127.0.0.0/8 counter drop" },
	{ C_FORWARD, R_FWD_FROM, "iifname @bridges jump from_bridge" },
	{ C_FORWARD, R_FWD_TO, "oifname @bridges jump to_bridge" },
	{ C_FROM_BRIDGE, R_FROM_ESTABLISHED, "ct state established,related accept" },
	/* Untracked by conntrack (so "invalid"), and IPv6 needs them. */
	{ C_FROM_BRIDGE, R_FROM_NS, "icmpv6 type nd-neighbor-solicit accept" },
	{ C_FROM_BRIDGE, R_FROM_NA, "icmpv6 type nd-neighbor-advert accept" },
	{ C_FROM_BRIDGE, R_FROM_INVALID, "ct state invalid counter drop" },
	{ C_FROM_BRIDGE, R_FROM_SUBNET4, "iifname . ip saddr != @subnets4 counter drop" },
	{ C_FROM_BRIDGE, R_FROM_SUBNET6, "iifname . ip6 saddr != @subnets6 counter drop" },
	{ C_FROM_BRIDGE, R_LINKS4, PORTKEY " @links4 accept" },
	{ C_FROM_BRIDGE, R_LINKS4R, PORTKEY " @links4r accept" },
	{ C_FROM_BRIDGE, R_LINKS4ICMP, "icmp type echo-request ip saddr . ip daddr @links4icmp accept" },
	{ C_FROM_BRIDGE, R_LINKS4ANY, "ip saddr . ip daddr @links4any accept" },
	{ C_FROM_BRIDGE, R_LINKS6, PORTKEY6 " @links6 accept" },
	{ C_FROM_BRIDGE, R_LINKS6R, PORTKEY6 " @links6r accept" },
	{ C_FROM_BRIDGE, R_LINKS6ICMP, "icmpv6 type echo-request ip6 saddr . ip6 daddr @links6icmp accept" },
	{ C_FROM_BRIDGE, R_LINKS6ANY, "ip6 saddr . ip6 daddr @links6any accept" },
	{ C_FROM_BRIDGE, R_FROM_PUBLISHED4, "ct status dnat " PORTKEY " @published4 accept" },
	{ C_FROM_BRIDGE, R_FROM_PUBLISHED6, "ct status dnat " PORTKEY6 " @published6 accept" },
	{ C_FROM_BRIDGE, R_EGRESS, "iifname . oifname @egress accept" },
	{ C_FROM_BRIDGE, R_EGRESS4, "iifname . oifname . " PORTKEY " @egress4 accept" },
	{ C_FROM_BRIDGE, R_EGRESS4ICMP, "icmp type echo-request iifname . oifname . ip saddr . ip daddr @egress4icmp accept" },
	{ C_FROM_BRIDGE, R_EGRESS4ANY, "iifname . oifname . ip saddr . ip daddr @egress4any accept" },
	{ C_FROM_BRIDGE, R_EGRESS6, "iifname . oifname @uplinks iifname . " PORTKEY6 " @egress6 accept" },
	{ C_FROM_BRIDGE, R_EGRESS6ICMP, "icmpv6 type echo-request iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr @egress6icmp accept" },
	{ C_FROM_BRIDGE, R_EGRESS6ANY, "iifname . oifname @uplinks iifname . ip6 saddr . ip6 daddr @egress6any accept" },
	/* Denied: logged (rate-limited, where the bridge says so), counted by kind. */
	{ C_FROM_BRIDGE, R_FROM_LOG_LINK, "oifname @bridges iifname @logged " LOG("link") },
	{ C_FROM_BRIDGE, R_FROM_DROP_LINK, "oifname @bridges counter drop" },
	{ C_FROM_BRIDGE, R_FROM_LOG, "iifname @logged " LOG("egress") },
	{ C_FROM_BRIDGE, R_FROM_DROP, "counter drop" },
	{ C_TO_BRIDGE, R_TO_ESTABLISHED, "ct state established,related accept" },
	{ C_TO_BRIDGE, R_TO_PUBLISHED4, "ct status dnat " PORTKEY " @published4 accept" },
	{ C_TO_BRIDGE, R_TO_PUBLISHED6, "ct status dnat " PORTKEY6 " @published6 accept" },
	{ C_TO_BRIDGE, R_TO_LOG, "oifname @logged " LOG("inbound") },
	{ C_TO_BRIDGE, R_TO_DROP, "counter drop" },
	{ C_NAT_PRE, R_DNAT4_TCP, "fib daddr type local meta l4proto tcp dnat ip to " PORTKEY " map @dnat4" },
	{ C_NAT_PRE, R_DNAT4_UDP, "fib daddr type local meta l4proto udp dnat ip to " PORTKEY " map @dnat4" },
	{ C_NAT_PRE, R_DNAT6_TCP, "fib daddr type local meta l4proto tcp dnat ip6 to " PORTKEY6 " map @dnat6" },
	{ C_NAT_PRE, R_DNAT6_UDP, "fib daddr type local meta l4proto udp dnat ip6 to " PORTKEY6 " map @dnat6" },
	{ C_NAT_OUT, R_LOCAL4_TCP, "ip daddr 127.0.0.0/8 meta l4proto tcp dnat ip to ip daddr . meta l4proto . th dport map @local4" },
	{ C_NAT_OUT, R_LOCAL4_UDP, "ip daddr 127.0.0.0/8 meta l4proto udp dnat ip to ip daddr . meta l4proto . th dport map @local4" },
	/* The host's own 127.0.0.1 connections to a loopback publish. */
	{ C_NAT_POST, R_MASQ_LOOPBACK, "ip saddr 127.0.0.0/8 oifname @bridges masquerade" },
	/* Only towards an uplink: never between two bridges. */
	{ C_NAT_POST, R_MASQ, "iifname . oifname @masq masquerade" },
	/* New connections from containers to the host itself. */
	{ C_INPUT, R_INPUT_JUMP, "iifname @bridges jump to_host" },
	{ C_TO_HOST, R_HOST_ESTABLISHED, "ct state established,related accept" },
	/* IPv6 neighbour and router discovery and errors must reach the
	 * host (conntrack does not track them: before the invalid drop);
	 * echo requests are host_ports' "icmp" like IPv4's. */
	{ C_TO_HOST, R_HOST_ICMPV6, "icmpv6 type != echo-request accept" },
	{ C_TO_HOST, R_HOST_INVALID, "ct state invalid counter drop" },
	{ C_TO_HOST, R_HOST4, "iifname . meta l4proto . th dport @host4 accept" },
	{ C_TO_HOST, R_HOST4ICMP, "icmp type echo-request iifname @host4icmp accept" },
	{ C_TO_HOST, R_HOST6ICMP, "icmpv6 type echo-request iifname @host4icmp accept" },
	{ C_TO_HOST, R_HOST4ANY, "iifname @host4any accept" },
	{ C_TO_HOST, R_HOST_LOG, "iifname @logged " LOG("host") },
	{ C_TO_HOST, R_HOST_DROP, "counter drop" },
	/* table bridge icc: what a port may send, bound by world_ports() */
	{ C_BR_PRE, R_BR_JUMP, "iifname @ports jump from_port" },
	{ C_FROM_PORT, R_PORT_MAC, "iifname . ether saddr != @port_mac counter drop" },
	{ C_FROM_PORT, R_PORT_ARP, "ether type arp iifname . arp saddr ether . arp saddr ip @port_ip4 accept" },
	/* ARP probes (RFC 5227) have no sender address yet */
	{ C_FROM_PORT, R_PORT_ARP_PROBE, "ether type arp arp saddr ip 0.0.0.0 iifname . arp saddr ether @port_mac accept" },
	{ C_FROM_PORT, R_PORT_IP4, "ether type ip iifname . ether saddr . ip saddr @port_ip4 accept" },
	/* DHCP (LXC's dnsmasq): no address before the lease */
	{ C_FROM_PORT, R_PORT_DHCP, "ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 accept" },
	/* a container is never a router */
	{ C_FROM_PORT, R_PORT_RA, "ether type ip6 icmpv6 type nd-router-advert counter drop" },
	/* duplicate address detection: ICMPv6 from :: */
	{ C_FROM_PORT, R_PORT_DAD6, "ether type ip6 ip6 saddr :: meta l4proto ipv6-icmp accept" },
	/* a neighbour advertisement for an address not the port's */
	{ C_FROM_PORT, R_PORT_NA6, "icmpv6 type nd-neighbor-advert iifname . ether saddr . @th,64,128 != @port_nd6 counter drop" },
	{ C_FROM_PORT, R_PORT_IP6, "ether type ip6 iifname . ether saddr . ip6 saddr @port_ip6 accept" },
	/* anything else: other ethertypes, VLAN tags */
	{ C_FROM_PORT, R_PORT_DROP, "counter drop" },
};
const size_t icc_nrules = sizeof(icc_rule_defs) / sizeof(icc_rule_defs[0]);

size_t dtype_size(enum icc_dtype t)
{
	switch (t) {
	case ICC_T_IFNAME: case ICC_T_IPV6: case ICC_T_RAW128:
		return 16;
	case ICC_T_ETHER:
		return 8;
	default:
		return 4;
	}
}

static void key_put(struct icc_key *k, const void *v, size_t len, size_t pad)
{
	if (k->len + pad > ICC_KEY_MAX)
		abort();	/* a set definition bug, not an input error */
	memset(k->b + k->len, 0, pad);
	memcpy(k->b + k->len, v, len);
	k->len += pad;
}

void key_ifname(struct icc_key *k, const char *name)
{
	key_put(k, name, strnlen(name, 15), 16);
}

void key_ipv4(struct icc_key *k, uint32_t addr_be)
{
	key_put(k, &addr_be, 4, 4);
}

void key_proto(struct icc_key *k, uint8_t proto)
{
	key_put(k, &proto, 1, 4);
}

void key_port(struct icc_key *k, uint16_t port)
{
	uint8_t be[2] = { port >> 8, port & 0xff };

	key_put(k, be, 2, 4);
}

void key_ether(struct icc_key *k, const uint8_t mac[6])
{
	key_put(k, mac, 6, 8);
}

void key_ipv6(struct icc_key *k, const void *addr16)
{
	key_put(k, addr16, 16, 16);
}

static void set_init(struct icc_set *s, const struct icc_set_def *def)
{
	memset(s, 0, sizeof(*s));
	s->def = def;
	for (unsigned i = 0; i < def->nkey; i++)
		s->key_len += dtype_size(def->key[i]);
	for (unsigned i = 0; i < def->ndata; i++)
		s->data_len += dtype_size(def->data[i]);
	s->stride = s->key_len * (def->interval ? 2 : 1) + s->data_len;
}

struct icc_ruleset *ruleset_new(void)
{
	struct icc_ruleset *rs = calloc(1, sizeof(*rs));

	if (!rs)
		return NULL;
	for (int i = 0; i < ICC_NSETS; i++)
		set_init(&rs->sets[i], &icc_set_defs[i]);
	return rs;
}

void ruleset_free(struct icc_ruleset *rs)
{
	if (!rs)
		return;
	for (int i = 0; i < ICC_NSETS; i++) {
		free(rs->sets[i].elems);
		free(rs->sets[i].lines);
		free(rs->sets[i].counts);
	}
	free(rs->rule_counts);
	for (size_t i = 0; i < rs->ndrift; i++)
		free(rs->drift[i]);
	free(rs->drift);
	free(rs);
}

int ruleset_add_drift(struct icc_ruleset *rs, const char *fmt, ...)
{
	char **v = realloc(rs->drift, (rs->ndrift + 1) * sizeof(*v));
	va_list ap;
	int r;

	if (!v)
		return -ENOMEM;
	rs->drift = v;
	va_start(ap, fmt);
	r = vasprintf(&v[rs->ndrift], fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	rs->ndrift++;
	return 0;
}

static int set_grow(struct icc_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : 16;
	uint8_t *e;
	int *l;

	if (s->n < s->cap)
		return 0;
	e = realloc(s->elems, cap * s->stride);
	if (!e)
		return -ENOMEM;
	s->elems = e;
	l = realloc(s->lines, cap * sizeof(*l));
	if (!l)
		return -ENOMEM;
	s->lines = l;
	if (s->counts) {
		struct icc_count *c = realloc(s->counts, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		s->counts = c;
	}
	s->cap = cap;
	return 0;
}

int set_add_raw(struct icc_set *s, const uint8_t *elem, int line,
		const struct icc_count *cnt)
{
	if (cnt && !s->counts) {	/* then grown with the rest */
		s->counts = calloc(s->cap ? s->cap : 1, sizeof(*s->counts));
		if (!s->counts)
			return -ENOMEM;
	}
	if (set_grow(s) < 0)
		return -ENOMEM;
	memcpy(s->elems + s->n * s->stride, elem, s->stride);
	if (s->counts)
		s->counts[s->n] = cnt ? *cnt : (struct icc_count){ 0, 0 };
	s->lines[s->n++] = line;
	return 0;
}

long set_find(const struct icc_set *s, const uint8_t *e)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = memcmp(set_elem(s, mid), e, s->stride);

		if (!r)
			return (long)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int set_add(struct icc_set *s, const struct icc_key *key,
	    const struct icc_key *end, const struct icc_key *data, int line)
{
	uint8_t e[ICC_KEY_MAX * 2 + ICC_DATA_MAX] = { 0 };
	size_t off = s->key_len;

	if (key->len != s->key_len || (s->def->interval && !end) ||
	    (data ? data->len : 0) != s->data_len)
		abort();	/* a compiler bug, not an input error */
	memcpy(e, key->b, s->key_len);
	if (s->def->interval) {
		memcpy(e + off, end->b, s->key_len);
		off += s->key_len;
	}
	if (data)
		memcpy(e + off, data->b, s->data_len);
	return set_add_raw(s, e, line, NULL);
}

/* The value of a field as a number, for merging ranges. */
static uint32_t field_value(enum icc_dtype t, const uint8_t *p)
{
	switch (t) {
	case ICC_T_IPV4:
		return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	case ICC_T_PORT:
		return p[0] << 8 | p[1];
	default:
		return p[0];
	}
}

static void field_store(enum icc_dtype t, uint8_t *p, uint32_t v)
{
	if (t == ICC_T_IPV4) {
		p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v;
	} else if (t == ICC_T_PORT) {
		p[0] = v >> 8; p[1] = v;
	} else {
		p[0] = v;
	}
}

struct sort_ctx {
	const struct icc_set *s;
	size_t off, sz;		/* the merge field within the key; sz 0: none */
};

static size_t field_offset(const struct icc_set_def *def, int field)
{
	size_t off = 0;

	for (int i = 0; i < field; i++)
		off += dtype_size(def->key[i]);
	return off;
}

/*
 * Compares everything but the merge field (in key and key_end), then the
 * field's start and end; without a merge field, the whole element.
 */
static int cmp_elem(const void *a, const void *b, void *arg)
{
	const struct sort_ctx *c = arg;
	const struct icc_set *s = c->s;
	const uint8_t *x = set_elem(s, *(const size_t *)a);
	const uint8_t *y = set_elem(s, *(const size_t *)b);
	size_t k = s->key_len, o = c->off, z = c->sz;
	int r;

	if (!z)
		return memcmp(x, y, s->stride);
	if ((r = memcmp(x, y, o)) ||
	    (r = memcmp(x + o + z, y + o + z, k - z)) ||
	    (r = memcmp(x + k + o + z, y + k + o + z, s->stride - k - o - z)) ||
	    (r = memcmp(x + o, y + o, z)))
		return r;
	return memcmp(x + k + o, y + k + o, z);
}

static bool same_but_field(const struct sort_ctx *c, const uint8_t *x,
			   const uint8_t *y)
{
	const struct icc_set *s = c->s;
	size_t k = s->key_len, o = c->off, z = c->sz;

	return !memcmp(x, y, o) &&
	       !memcmp(x + o + z, y + o + z, k - o - z + o) &&
	       !memcmp(x + k + o + z, y + k + o + z, s->stride - k - o - z);
}

/* Puts the elements in the order idx gives, dropping those marked gone. */
static void set_permute(struct icc_set *s, const size_t *idx, size_t n,
			const bool *gone, uint8_t *tmp, int *tmpl,
			struct icc_count *tmpc)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		if (gone && gone[i])
			continue;
		memcpy(tmp + m * s->stride, set_elem(s, idx[i]), s->stride);
		if (s->counts)
			tmpc[m] = s->counts[idx[i]];
		tmpl[m++] = s->lines[idx[i]];
	}
	memcpy(s->elems, tmp, m * s->stride);
	memcpy(s->lines, tmpl, m * sizeof(int));
	if (s->counts)
		memcpy(s->counts, tmpc, m * sizeof(*tmpc));
	s->n = m;
}

static int cmp_at(size_t i, size_t j, struct sort_ctx *c)
{
	return cmp_elem(&i, &j, c);
}

/* Merges the sorted runs src[lo, mid) and src[mid, hi) into dst, stably. */
static void merge_runs(const size_t *src, size_t *dst, size_t lo, size_t mid,
		       size_t hi, struct sort_ctx *c)
{
	size_t i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		dst[k++] = cmp_at(src[j], src[i], c) < 0 ? src[j++] : src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

/*
 * Sorts idx (0 .. n-1) by cmp_elem, stably. Natural merge sort: compile
 * emits elements in policy order, which is mostly ordered already, so the
 * runs are few and long, and sorted input costs n - 1 comparisons.
 */
static int sort_idx(size_t *idx, size_t n, struct sort_ctx *c)
{
	size_t *run = malloc((n + 1) * sizeof(*run)), *tmp = NULL, m = 0;

	if (!run)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		idx[i] = i;
		if (!i || cmp_at(i - 1, i, c) > 0)
			run[m++] = i;
	}
	run[m] = n;
	if (m > 1 && !(tmp = malloc(n * sizeof(*tmp)))) {
		free(run);
		return -ENOMEM;
	}
	for (size_t *src = idx, *dst = tmp; m > 1;) {
		size_t w = 0;

		for (size_t r = 0; r < m; r += 2) {
			size_t hi = r + 2 <= m ? run[r + 2] : n;

			merge_runs(src, dst, run[r], r + 1 < m ? run[r + 1] : hi, hi, c);
			run[w++] = run[r];
		}
		run[w] = n;
		m = w;
		src = dst;
		dst = src == idx ? tmp : idx;
		if (m == 1 && src != idx)
			memcpy(idx, src, n * sizeof(*idx));
	}
	free(tmp);
	free(run);
	return 0;
}

static int sort_pass(struct icc_set *s, struct sort_ctx *c, bool merge)
{
	size_t *idx = malloc(s->n * sizeof(*idx));
	bool *gone = calloc(s->n, sizeof(*gone));
	uint8_t *tmp = malloc(s->n * s->stride);
	int *tmpl = malloc(s->n * sizeof(*tmpl));
	struct icc_count *tmpc = s->counts ? malloc(s->n * sizeof(*tmpc)) : NULL;
	enum icc_dtype t = s->def->key[s->def->merge_field < 0 ? 0 :
					s->def->merge_field];
	size_t last = 0;
	int ret = -ENOMEM;

	if (!idx || !gone || !tmp || !tmpl || (s->counts && !tmpc))
		goto out;
	if (sort_idx(idx, s->n, c) < 0)
		goto out;
	for (size_t i = 1; i < s->n; i++) {
		uint8_t *p = s->elems + idx[last] * s->stride;
		const uint8_t *q = set_elem(s, idx[i]);

		if (!merge) {
			gone[i] = !memcmp(p, q, s->stride);
			if (!gone[i])
				last = i;
			continue;
		}
		if (same_but_field(c, p, q) &&
		    field_value(t, q + c->off) <=
		    (uint64_t)field_value(t, p + s->key_len + c->off) + 1) {
			uint32_t hi = field_value(t, q + s->key_len + c->off);

			if (hi > field_value(t, p + s->key_len + c->off))
				field_store(t, p + s->key_len + c->off, hi);
			gone[i] = true;
		} else {
			last = i;
		}
	}
	set_permute(s, idx, s->n, gone, tmp, tmpl, tmpc);
	ret = 0;
out:
	free(tmpc);
	free(idx);
	free(gone);
	free(tmp);
	free(tmpl);
	return ret;
}

int set_canonicalize(struct icc_set *s)
{
	struct sort_ctx c = { .s = s };
	int ret;

	if (s->n < 2)
		return 0;
	if (s->def->merge_field >= 0) {
		c.off = field_offset(s->def, s->def->merge_field);
		c.sz = dtype_size(s->def->key[s->def->merge_field]);
		ret = sort_pass(s, &c, true);
		if (ret < 0)
			return ret;
		c.off = c.sz = 0;
	}
	return sort_pass(s, &c, false);
}

int set_sort(struct icc_set *s)
{
	struct sort_ctx c = { .s = s };

	return s->n < 2 ? 0 : sort_pass(s, &c, false);
}

int ruleset_canonicalize(struct icc_ruleset *rs)
{
	for (int i = 0; i < ICC_NSETS; i++) {
		int ret = set_canonicalize(&rs->sets[i]);

		if (ret < 0)
			return ret;
	}
	return 0;
}
