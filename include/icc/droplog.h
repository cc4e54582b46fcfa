/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drop logging: the rules of table inet icc send what they drop to NFLOG
 * group ICC_LOG_GROUP with the prefix "icc drop KIND " (rate-limited in
 * the kernel); icc-policyd reads them here and writes one line per denied
 * connection with the policy names of both ends.
 *
 * NFLOG rather than the kernel's `log` statement: in a network namespace
 * other than the initial one the kernel's syslog logger is silent unless
 * the global sysctl net.netfilter.nf_log_all_netns is set, and a static
 * prefix cannot name both sides.
 *
 * Library code: nothing printed. Functions return 0 (or a count) or a
 * negative errno; -ENOMEM when out of memory.
 */
#ifndef ICC_DROPLOG_H
#define ICC_DROPLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/netlink.h>

#include "icc/compile.h"
#include "icc/ruleset.h"

#define ICC_DROP_COPY		128	/* bytes of each packet: headers only */
#define ICC_DROP_WINDOW_MS	120000	/* a SYN is retried for about 2 min */
#define ICC_DROP_SEEN		1024	/* connections remembered at most */

/* Which rule dropped it: the KIND of the prefix, ICC_DROP_LINK to _HOST
 * (enum icc_drop_kind and ICC_LOG_* are ruleset.h's). */

/* An IPv4 address is in the first 4 bytes, the rest zero. */
union icc_drop_addr {
	struct in_addr v4;
	struct in6_addr v6;
};

/* One dropped packet, as NFLOG reported it. */
struct icc_drop {
	enum icc_drop_kind kind;
	int family;			/* AF_INET or AF_INET6 */
	union icc_drop_addr src, dst;
	uint8_t proto;			/* IPPROTO_*, after IPv6 extension headers */
	bool has_ports;			/* tcp, udp, udplite, sctp, dccp */
	uint16_t sport, dport;		/* host order */
	bool has_icmp;			/* icmp or icmpv6 */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id;		/* echo request and reply only, else 0 */
	uint32_t indev, outdev;		/* ifindex, 0: none */
	bool has_seq;
	uint32_t seq;			/* NFULA_SEQ: gaps are lost messages */
};

/*
 * Parses one NFLOG message (NFNL_SUBSYS_ULOG, NFULNL_MSG_PACKET). Returns
 * 1 and fills d for one of ours; 0 for a message that is not (another
 * message type, no prefix, a prefix not starting with ICC_LOG_PREFIX);
 * -EBADMSG for ours that cannot be read (an unknown KIND, no payload or a
 * truncated IP header). A transport header cut short leaves has_ports and
 * has_icmp false. has_seq and seq are filled for every packet message of
 * the group, ours or not (the gaps count lost messages).
 */
int droplog_parse(const struct nlmsghdr *nlh, struct icc_drop *d);

const char *droplog_kind_name(enum icc_drop_kind kind);	/* "link", ... */

/*
 * Who an address is, and an interface's name: return NULL when unknown
 * (printed as "?"). buf has ICC_IFNAMSIZ bytes for ifname to fill.
 */
struct icc_drop_names {
	const char *(*addr)(int family, const union icc_drop_addr *a, void *data);
	const char *(*ifname)(uint32_t ifindex, char *buf, void *data);
	void *data;
};

/*
 * The canonical line, into buf (always terminated), e.g.
 *   drop link: web 172.17.0.2:41234 -> db 172.17.0.3:5432 tcp (docker0 -> docker0)
 *   drop link: web [fd00:17::2]:41234 -> ? [fd00:17::9]:22 tcp (docker0 -> docker0)
 *   drop link: web 172.17.0.2 -> db 172.17.0.3 icmp echo-request id 7 (docker0 -> docker0)
 * An interface that is not there (ifindex 0) is "-". names may be NULL.
 * Returns what snprintf() returns.
 */
int droplog_format(char *buf, size_t len, const struct icc_drop *d,
		   const struct icc_drop_names *names);

/*
 * One line per connection: a denied SYN is retransmitted with the same
 * addresses and ports for about two minutes, a UDP client resends. The
 * table remembers at most cap connections (the oldest is forgotten
 * first) for window_ms each; the clock is the caller's (monotonic ms).
 */
struct droplog_seen;
int droplog_seen_new(struct droplog_seen **out, size_t cap, int64_t window_ms);
/* true when d is the first of its connection within the window (and is
 * now remembered), false for a repeat. */
bool droplog_seen_add(struct droplog_seen *s, const struct icc_drop *d,
		      int64_t now_ms);
void droplog_seen_free(struct droplog_seen *s);

/*
 * Who each address is, from a reconcile: every address bound to a policy
 * container names it (several containers on one port: "a,b"). Names are
 * copied: the table outlives the policy. Returns 0 or -ENOMEM.
 */
struct droplog_names;
int droplog_names_new(struct droplog_names **out, const struct icc_policy *p,
		      const struct icc_binding *bind);
/* The name of the container at a, or NULL. */
const char *droplog_names_find(const struct droplog_names *t, int family,
			       const union icc_drop_addr *a);
void droplog_names_free(struct droplog_names *t);

/*
 * The NFLOG socket, bound to ICC_LOG_GROUP in the caller's network
 * namespace, non-blocking. Returns 0, -EBUSY when another socket holds
 * the group (ulogd, say), or another -errno.
 */
struct droplog;
int droplog_open(struct droplog **out);
int droplog_fd(const struct droplog *l);

typedef void (*droplog_cb)(const struct icc_drop *d, void *data);
/*
 * Drains what is queued and calls cb for each new connection (see
 * droplog_seen_add). Returns the number of drops read, or -errno.
 * Messages the kernel could not deliver (ENOBUFS) are counted, not
 * returned as an error: see droplog_lost().
 */
int droplog_read(struct droplog *l, int64_t now_ms, droplog_cb cb, void *data);
/*
 * Messages lost since the last call, and resets the count: the gaps in
 * the kernel's sequence numbers, so a loss (ENOBUFS) is counted once the
 * next message arrives.
 */
uint64_t droplog_lost(struct droplog *l);
void droplog_close(struct droplog *l);

#endif
