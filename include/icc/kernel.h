/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel settings outside nftables that enforcement depends on:
 *  - each managed bridge passes bridged IPv4/IPv6 traffic to the netfilter
 *    hooks (IFLA_BR_NF_CALL_IPTABLES / _IP6TABLES), or isolation is a lie;
 *  - net.ipv4.ip_forward when containers route off their bridge, and
 *    net.ipv6.conf.all.forwarding for bridges with an IPv6 subnet (first
 *    accept_ra = 2 on their uplink where it was 1: forwarding would make
 *    the host drop the router advertisements its own IPv6 route may come
 *    from);
 *  - net.ipv4.conf.BRIDGE.route_localnet for 127.0.0.1 publishing (only
 *    ever turned on after the loopback guard rule is live).
 * All of it acts on the network namespace of the calling process.
 * Library code: nothing is printed; problems go into diags (line = policy
 * line of the bridge where one exists).
 */
#ifndef ICC_KERNEL_H
#define ICC_KERNEL_H

#include <stdbool.h>

#include "icc/policy.h"

enum icc_knob_kind {
	ICC_KNOB_BR_NF_CALL_IPTABLES,	/* target: bridge name */
	ICC_KNOB_BR_NF_CALL_IP6TABLES,	/* target: bridge name */
	ICC_KNOB_IP_FORWARD,		/* target: "" */
	ICC_KNOB_ROUTE_LOCALNET,	/* target: interface name */
	ICC_KNOB_IP6_FORWARD,		/* target: "" (conf/all/forwarding) */
	ICC_KNOB_ACCEPT_RA,		/* target: uplink: 1 -> 2 before forwarding */
};

struct icc_knob {
	enum icc_knob_kind kind;
	char target[ICC_IFNAMSIZ];
	int from, to;			/* live value, wanted value */
	int line;			/* policy line that needs it, or 0 */
};

struct icc_knobs {
	struct icc_knob *v;
	size_t n, cap;
};

/*
 * Reads the live settings and lists those that differ from what the
 * policy needs (only differences go into out). Bridges named in the
 * policy but absent from the namespace get a warning in warn (nothing to
 * set yet). Returns 0; -ENOPROTOOPT when bridged traffic cannot reach the
 * netfilter hooks at all (no br_netfilter: /proc/sys/net/bridge absent),
 * -ENOTTY when a policy bridge name exists but is not a bridge (both with
 * a diag in err), or another negative errno on failure.
 */
int kernel_plan(const struct icc_policy *p, struct icc_knobs *out,
		struct icc_diags *warn, struct icc_diags *err);
/*
 * kernel_plan() without the bridges' own flags, which take an rtnetlink
 * request under the kernel's rtnl lock: only the settings under /proc
 * (a bridge counts as present when its IPv4 settings are there).
 * icc-policyd's path between events, which reads the flags only when an
 * event names a bridge.
 */
int kernel_plan_procfs(const struct icc_policy *p, struct icc_knobs *out,
		       struct icc_diags *err);

/* What decides whether a bridge's bridged traffic reaches the inet hooks. */
struct icc_bridge_state {
	bool exists, is_bridge;
	bool br_netfilter;	/* the module is loaded (net/bridge sysctls exist) */
	bool nf_call4, nf_call6;	/* bridged IPv4 / IPv6 passed to the hooks */
};

/* Reads it for the bridge called name (st zeroed if absent). 0 or -errno. */
int kernel_bridge_state(const char *name, struct icc_bridge_state *st);

/* Sets every knob in k to its wanted value. Returns 0 or -errno. */
int kernel_apply(const struct icc_knobs *k, struct icc_diags *err);

/*
 * For flush: route_localnet back to 0 on the given interfaces where it is
 * 1 (without our loopback guard it would expose 127.0.0.1, CVE-2020-8558).
 * Changed knobs are appended to changed. Returns 0 or -errno.
 */
int kernel_reset_localnet(char (*ifnames)[ICC_IFNAMSIZ], size_t n,
			  struct icc_knobs *changed, struct icc_diags *err);

/* Reads an integer sysctl (a /proc/sys path). Returns 0 or -errno. */
int kernel_sysctl_read(const char *path, int *val);

/* One line per knob: "<sign>sysctl net.ipv4.ip_forward = 1" and
 * "<sign>bridge docker0 nf_call_iptables = 1" (sign '+' for diff). */
void kernel_knobs_print(FILE *f, const struct icc_knobs *k, const char *sign);
void kernel_knobs_free(struct icc_knobs *k);

#endif
