/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ruleset representation shared by compile, print, read, diff and
 * batch. Chains and rules are static (src/ruleset.c): a policy only fills
 * the sets and maps below, so the per-packet cost is one lookup per rule
 * whatever the number of links, and every edit is a set-element change.
 *
 * Elements are packed as the kernel sees them: each field of a
 * concatenation padded to 4 bytes; key, then key_end for interval sets,
 * then the map data. Sets own their element buffers; ruleset_free()
 * releases everything. Out-of-memory returns -ENOMEM.
 */
#ifndef ICC_RULESET_H
#define ICC_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ICC_TABLE		"icc"
#define ICC_TABLE_COMMENT	"managed by icc-policy"

/*
 * Two tables, one transaction: inet icc (stateful filtering, NAT) and
 * bridge icc (stateless per-port anti-spoofing: the bridge family sees
 * each frame with the port it came in on, ARP included).
 */
enum icc_table_id { ICC_TBL_INET, ICC_TBL_BRIDGE, ICC_NTABLES };

struct icc_table_def {
	const char *family;	/* how nft spells it */
	int nfproto;		/* NFPROTO_* */
};

extern const struct icc_table_def icc_table_defs[ICC_NTABLES];
/*
 * Denied new connections are logged through NFLOG to this group (not the
 * kernel's `log`: inside a network namespace that stays silent unless the
 * host-wide net.netfilter.nf_log_all_netns is set, and its static prefix
 * could not name both sides). icc-policyd listens and names them.
 */
#define ICC_LOG_GROUP		2712
#define ICC_LOG_PREFIX		"icc drop "
#define ICC_LOG_RATE		10	/* lines per second, per kind */
#define ICC_LOG_BURST		20

#define ICC_KEY_MAX		64	/* NFT_REG32_COUNT * 4 */
#define ICC_DATA_MAX		32

/* ICC_T_RAW128: 16 bytes read raw from a packet (an ND target address). */
enum icc_dtype { ICC_T_IFNAME, ICC_T_IPV4, ICC_T_PROTO, ICC_T_PORT, ICC_T_ETHER,
		 ICC_T_IPV6, ICC_T_RAW128 };

enum icc_set_id {
	ICC_SET_BRIDGES,	/* managed bridges */
	ICC_SET_LOGGED,		/* bridges whose denied connections are logged */
	ICC_SET_SUBNETS4,	/* bridge . subnet: where a source may come from */
	ICC_SET_SUBNETS6,
	ICC_SET_EGRESS,		/* bridge . uplink: new connections out */
	ICC_SET_MASQ,		/* bridge . uplink: masqueraded */
	ICC_SET_UPLINKS,	/* bridge . uplink: where egress rules lead */
	ICC_SET_LINKS4,		/* src . dst . proto . port (exact ports) */
	ICC_SET_LINKS4R,	/* src . dst . proto . port range */
	ICC_SET_LINKS4ICMP,	/* src . dst: echo request */
	ICC_SET_LINKS4ANY,	/* src . dst: everything */
	ICC_SET_LINKS6,		/* the same four for IPv6 */
	ICC_SET_LINKS6R,
	ICC_SET_LINKS6ICMP,
	ICC_SET_LINKS6ANY,
	ICC_SET_PUBLISHED4,	/* allowed source . container . proto . port */
	ICC_SET_PUBLISHED6,
	ICC_SET_DNAT4,		/* source . host addr . proto . host port : container . port */
	ICC_SET_DNAT6,
	ICC_SET_LOCAL4,		/* loopback addr . proto . host port : container . port */
	ICC_SET_HOST4,		/* bridge . proto . port range: host services allowed */
	ICC_SET_HOST4ICMP,	/* bridges whose containers may ping the host */
	ICC_SET_HOST4ANY,	/* bridges whose containers may reach all of the host */
	ICC_SET_EGRESS4,	/* bridge . uplink . src . dst range . proto . port range */
	ICC_SET_EGRESS4ICMP,	/* bridge . uplink . src . dst range: echo request */
	ICC_SET_EGRESS4ANY,	/* bridge . uplink . src . dst range: everything */
	ICC_SET_EGRESS6,	/* bridge . src . dst range . proto . port range (with @uplinks) */
	ICC_SET_EGRESS6ICMP,
	ICC_SET_EGRESS6ANY,
	/* table bridge icc */
	ICC_SET_PORTS,		/* container ports of managed bridges */
	ICC_SET_PORT_MAC,	/* port . the MAC it may send with */
	ICC_SET_PORT_IP4,	/* port . MAC . an IPv4 address it may send with */
	ICC_SET_PORT_IP6,	/* port . MAC . an IPv6 address it may send with */
	ICC_SET_PORT_ND6,	/* the same, as a neighbour advertisement's target */
	ICC_NSETS
};

struct icc_set_def {
	const char *name;
	uint8_t table;		/* enum icc_table_id */
	uint8_t nkey;
	uint8_t key[6];		/* enum icc_dtype */
	uint8_t ndata;
	uint8_t data[2];
	bool interval;		/* concatenated ranges (pipapo) */
	int8_t merge_field;	/* field whose overlapping ranges are merged, or -1 */
	const char *comment;
	const char *typeof_text;	/* declared with typeof (raw fields), or NULL */
	bool counter;		/* each element counts the packets it matched */
};

extern const struct icc_set_def icc_set_defs[ICC_NSETS];
/* The IPv6 twin of an IPv4 set (links4 -> links6, ...); s itself if it has none. */
enum icc_set_id icc_set_v6(enum icc_set_id s);

/* A kernel counter, as read back. */
struct icc_count {
	uint64_t packets, bytes;
};

struct icc_set {
	const struct icc_set_def *def;
	size_t key_len, data_len, stride;
	uint8_t *elems;		/* n * stride bytes */
	int *lines;		/* policy line of each element, 0 if unknown */
	struct icc_count *counts;	/* live counted sets: each element's, or NULL */
	size_t n, cap;
};

/* Static chains and rules, in ruleset.c (text) and nft_build.c (exprs). */
struct icc_chain_def {
	const char *name;
	uint8_t table;		/* enum icc_table_id */
	const char *type;	/* "filter", "nat", or NULL for a regular chain */
	int hook;		/* NF_INET_* (NF_BR_* has the same numbers) */
	int prio;
	const char *prio_text;	/* how nft spells it */
};

/* Every static rule, by what it does (nft_build.c builds each one). */
enum icc_rule_id {
	R_LOOPBACK_GUARD, R_FWD_FROM, R_FWD_TO,
	R_FROM_ESTABLISHED, R_FROM_NS, R_FROM_NA, R_FROM_INVALID,
	R_FROM_SUBNET4, R_FROM_SUBNET6,
	R_LINKS4, R_LINKS4R, R_LINKS4ICMP, R_LINKS4ANY,
	R_LINKS6, R_LINKS6R, R_LINKS6ICMP, R_LINKS6ANY,
	R_FROM_PUBLISHED4, R_FROM_PUBLISHED6, R_EGRESS,
	R_EGRESS4, R_EGRESS4ICMP, R_EGRESS4ANY,
	R_EGRESS6, R_EGRESS6ICMP, R_EGRESS6ANY,
	R_FROM_LOG_LINK, R_FROM_DROP_LINK, R_FROM_LOG, R_FROM_DROP,
	R_TO_ESTABLISHED, R_TO_PUBLISHED4, R_TO_PUBLISHED6, R_TO_LOG, R_TO_DROP,
	R_DNAT4_TCP, R_DNAT4_UDP, R_DNAT6_TCP, R_DNAT6_UDP,
	R_LOCAL4_TCP, R_LOCAL4_UDP, R_MASQ_LOOPBACK, R_MASQ,
	R_INPUT_JUMP, R_HOST_ESTABLISHED, R_HOST_ICMPV6, R_HOST_INVALID,
	R_HOST4, R_HOST4ICMP, R_HOST6ICMP, R_HOST4ANY, R_HOST_LOG, R_HOST_DROP,
	R_BR_JUMP, R_PORT_MAC, R_PORT_ARP, R_PORT_ARP_PROBE, R_PORT_IP4,
	R_PORT_DHCP, R_PORT_RA, R_PORT_DAD6, R_PORT_NA6, R_PORT_IP6, R_PORT_DROP,
};

/* What a counted drop rule drops (status and audit report these). */
enum icc_drop_kind {
	ICC_DROP_NONE,
	ICC_DROP_LINK,		/* container to container, no link allows it */
	ICC_DROP_EGRESS,	/* container to elsewhere */
	ICC_DROP_INBOUND,	/* elsewhere to a container, not published */
	ICC_DROP_HOST,		/* container to the host, no host_ports */
	ICC_DROP_INVALID,	/* conntrack state invalid */
	ICC_DROP_SPOOFED,	/* a source outside the bridge's subnet */
	ICC_DROP_LOOPBACK,	/* 127.0.0.0/8 from outside (route_localnet) */
	ICC_DROP_PORT,		/* a frame its port may not send (MAC, ARP, IP, NA, ...) */
	ICC_DROP_RA,		/* a router advertisement from a container */
	ICC_NDROPS
};

extern const char *const icc_drop_names[ICC_NDROPS];
/* What a rule drops and counts ("counter drop"), or ICC_DROP_NONE. */
enum icc_drop_kind icc_rule_drop(enum icc_rule_id id);

struct icc_rule_def {
	unsigned chain;		/* index into icc_chain_defs */
	enum icc_rule_id id;
	const char *text;	/* nft syntax */
};

extern const struct icc_chain_def icc_chain_defs[];
extern const size_t icc_nchains;
extern const struct icc_rule_def icc_rule_defs[];
extern const size_t icc_nrules;

struct icc_ruleset {
	bool has[ICC_NTABLES];	/* live: which of our tables exist */
	bool present;		/* live: any of them exists */
	bool owned;		/* live: each one that exists carries ICC_TABLE_COMMENT */
	bool intact;		/* live: both exist; chains, rules and set types are ours */
	char **drift;		/* live: "-"/"+" lines for structural differences */
	size_t ndrift;
	uint32_t genid;		/* live: generation the state was read at */
	bool cached;		/* live: known from our last commit, not read */
	struct icc_count *rule_counts;	/* live, intact: per icc_rule_defs entry */
	struct icc_set sets[ICC_NSETS];
};

/* A key under construction: fields appended in order, 4-byte padded. */
struct icc_key {
	uint8_t b[ICC_KEY_MAX];
	size_t len;
};

void key_ifname(struct icc_key *k, const char *name);
void key_ipv4(struct icc_key *k, uint32_t addr_be);
void key_proto(struct icc_key *k, uint8_t proto);
void key_port(struct icc_key *k, uint16_t port);
void key_ether(struct icc_key *k, const uint8_t mac[6]);
void key_ipv6(struct icc_key *k, const void *addr16);	/* network order */

size_t dtype_size(enum icc_dtype t);	/* padded size in a concatenation */

/* An empty ruleset with the right set types; NULL on ENOMEM. */
struct icc_ruleset *ruleset_new(void);
void ruleset_free(struct icc_ruleset *rs);
int ruleset_add_drift(struct icc_ruleset *rs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Appends one element (end NULL for non-interval sets, data NULL for sets).
 * Returns 0 or -ENOMEM. */
int set_add(struct icc_set *s, const struct icc_key *key,
	    const struct icc_key *end, const struct icc_key *data, int line);
/* Raw form, for elements read back from the kernel; cnt may be NULL. */
int set_add_raw(struct icc_set *s, const uint8_t *elem, int line,
		const struct icc_count *cnt);
/* The index of the element equal to e in a sorted set, or -1. */
long set_find(const struct icc_set *s, const uint8_t *e);
/* Sorts, merges overlapping ranges in merge_field, drops duplicates.
 * Every set is kept in this canonical order. Returns 0 or -ENOMEM. */
int set_canonicalize(struct icc_set *s);
int ruleset_canonicalize(struct icc_ruleset *rs);
/* Sorts and drops duplicates without merging (live elements as they are). */
int set_sort(struct icc_set *s);

static inline const uint8_t *set_elem(const struct icc_set *s, size_t i)
{
	return s->elems + i * s->stride;
}

/* Printers (nft syntax). */
void ruleset_print(FILE *f, const struct icc_ruleset *rs);
void set_print_elem(FILE *f, const struct icc_set *s, const uint8_t *e);
void set_print_decl(FILE *f, const struct icc_set *s);	/* "type ...; flags ...;" */

#endif
