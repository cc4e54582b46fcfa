/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy model: what a policy file says, after parsing and checking.
 *
 * Memory: every object is owned by its struct icc_policy and freed by
 * policy_free(). Out-of-memory is reported as -ENOMEM, never ignored.
 * Library code never prints; problems go into a struct icc_diags.
 */
#ifndef ICC_POLICY_H
#define ICC_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#define ICC_IFNAMSIZ		16	/* IFNAMSIZ: 15 characters and the NUL */
#define ICC_POLICY_VERSION	1

/* One problem found in a policy file: FILE:LINE: msg. line 0 = no line. */
struct icc_diag {
	char *file;
	int line;
	char *msg;
};

struct icc_diags {
	struct icc_diag *v;
	size_t n, cap;
};

/* Appends a formatted diagnostic; returns 0 or -ENOMEM. */
int diags_add(struct icc_diags *d, const char *file, int line,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diags_free(struct icc_diags *d);
/* Sorts by line (stable), so output follows the file. */
void diags_sort(struct icc_diags *d);
void diags_print(FILE *f, const struct icc_diags *d);

/* An IPv4 prefix, or with v6 an IPv6 one (addr6). Host bits are zero. */
struct icc_prefix {
	struct in_addr addr;	/* network byte order */
	struct in6_addr addr6;
	uint8_t len;		/* 0..32, 0..128 for IPv6 */
	bool v6;
};

/*
 * A port specification from a links[].ports list or a publish port.
 * proto is IPPROTO_TCP or IPPROTO_UDP with lo..hi (lo == hi for one port),
 * IPPROTO_ICMP for "icmp" (echo request; ICMPv6 echo request for IPv6),
 * or 0 for "any".
 */
struct icc_port {
	uint8_t proto;
	uint16_t lo, hi;
	int line;
};

struct icc_bridge {
	char name[ICC_IFNAMSIZ];
	struct icc_prefix subnet;	/* IPv4, always there */
	struct icc_prefix subnet6;	/* IPv6, if has_subnet6 */
	bool has_subnet6;
	char uplink[ICC_IFNAMSIZ];	/* "" when the bridge has no uplink */
	bool masquerade;		/* default: true when uplink is set */
	bool egress;			/* default: true when uplink is set */
	bool log;			/* log = "denied" (default) or "none" */
	struct icc_port *host_ports;	/* host services its containers may use */
	size_t nhost_ports;
	int line;
};

/* How a container is recognised on its bridge. */
enum icc_ident {
	ICC_ID_IP,		/* ip = "...": a static address */
	ICC_ID_NAME,		/* name = "...": a netns, Docker or LXC name */
	ICC_ID_LABELS,		/* labels = [ ... ]: every Docker container carrying all */
};

struct icc_container {
	char *name;
	unsigned bridge;		/* index into policy->bridges */
	enum icc_ident ident;
	struct in_addr ip;		/* ICC_ID_IP */
	struct in6_addr ip6;		/* ICC_ID_IP, if has_ip6 */
	bool has_ip6;
	char *match;			/* ICC_ID_NAME */
	char **labels;			/* ICC_ID_LABELS: "key=value", as written */
	size_t nlabels;
	int line;
};

/* Where container state lives on the host (discovery = { ... }). */
struct icc_paths {
	char *netns;			/* ip netns: /run/netns */
	char *docker;			/* Docker's root: /var/lib/docker */
	char *docker_netns;		/* Docker's netns folder: /var/run/docker/netns */
	char *lxc;			/* LXC's lxcpath: /var/lib/lxc */
	char *lxc_cgroup;		/* cgroup2 root holding lxc.payload.NAME */
};

#define ICC_NETNS_DIR		"/run/netns"
#define ICC_DOCKER_ROOT		"/var/lib/docker"
#define ICC_DOCKER_NETNS	"/var/run/docker/netns"
#define ICC_LXC_PATH		"/var/lib/lxc"
#define ICC_LXC_CGROUP		"/sys/fs/cgroup"

/* One-way: containers[from] may open connections to containers[to]. */
struct icc_link {
	unsigned from, to;		/* indexes into policy->containers */
	struct icc_port *ports;		/* in policy->link_ports */
	size_t nports;
	int line;
};

/*
 * One-way, out of the container's bridge's uplink: containers[from] may
 * open connections to addresses in `to` on these ports (bridges with
 * egress = false; the NetworkPolicy egress model).
 */
struct icc_egress {
	unsigned from;			/* index into policy->containers */
	struct icc_prefix to;
	struct icc_port *ports;
	size_t nports;
	int line;
};

struct icc_publish {
	unsigned container;		/* index into policy->containers */
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;			/* the container's port */
	struct in_addr host_addr;	/* 127.0.0.1 when only a port is given */
	struct in6_addr host_addr6;	/* with v6: "[ADDR]:PORT" */
	bool v6;
	uint16_t host_port;
	struct icc_prefix *allow_from;	/* required unless host_addr is loopback */
	size_t nallow;
	int line;
};

/*
 * A static ip, by address: what discovery looks up for every address a
 * port holds, which must not cost a pass over ten thousand containers.
 */
struct icc_static {
	unsigned bridge;
	bool v6;
	uint8_t addr[16];		/* network order; IPv4 in the first 4 */
	unsigned container;
};

/*
 * What icc-policyd asks of the policy on every event, worked out once at
 * load from the lists above, so that an event's cost does not grow with
 * the size of the policy.
 */
struct icc_index {
	bool forward, forward6;		/* IPv4 / IPv6 forwarding is needed ... */
	int forward_line, forward6_line;	/* ... first by this line */
	size_t *moving;			/* links with a named or labelled end */
	size_t nmoving;
	struct icc_static *statics;	/* sorted: policy_static_cmp() */
	size_t nstatics;
};

struct icc_policy {
	char *file;
	int version;
	struct icc_bridge *bridges;
	size_t nbridges;
	struct icc_container *containers;
	size_t ncontainers;
	struct icc_link *links;
	size_t nlinks;
	struct icc_port *link_ports;	/* every link's ports, in link order */
	struct icc_publish *publishes;
	size_t npublishes;
	struct icc_egress *egress;
	size_t negress;
	struct icc_paths paths;		/* always set: defaults filled in */
	struct icc_index index;		/* derived at load: policy_index.c */
};

/*
 * Parses and checks the policy at path. Returns 0 and sets *out on success;
 * -EINVAL when the file has problems (every one is in d, with its line);
 * another negative errno when the file cannot be read (also reported in d).
 */
int policy_load(const char *path, struct icc_policy **out,
		struct icc_diags *d);
/* The same from a string; name is used as FILE in diagnostics. */
int policy_load_string(const char *text, const char *name,
		       struct icc_policy **out, struct icc_diags *d);
void policy_free(struct icc_policy *p);

/* The container with static ip a (4 or 16 bytes) on bridge, or -1. */
long policy_static_find(const struct icc_policy *p, unsigned bridge, bool v6,
			const void *a);

/* Canonical printer: a libconfig policy that loads back to the same model. */
void policy_print(FILE *f, const struct icc_policy *p);

/* Helpers shared by the stages. */
bool policy_is_loopback(struct in_addr a);
/* Whether pb is on a loopback address (127/8 or ::1). */
bool publish_is_loopback(const struct icc_publish *pb);
bool prefix_contains(const struct icc_prefix *p, struct in_addr a);
bool prefix6_contains(const struct icc_prefix *p, const struct in6_addr *a);
/* a with every bit past len cleared. */
struct in6_addr in6_masked(const struct in6_addr *a, unsigned len);
/* The last address of p: its host bits all ones (the broadcast). */
struct in_addr prefix_last(const struct icc_prefix *p);
const char *proto_name(uint8_t proto);	/* "tcp", "udp", "icmp", "any" */

/* Longest text of an address, a prefix, a port spec, a host address:port. */
#define ADDR_STRLEN	46	/* INET6_ADDRSTRLEN */
#define PREFIX_STRLEN	50	/* ADDR "/255": what %u of a uint8_t can take */
#define PORT_STRLEN	20	/* "icmp/65535-65535" by the format's count */
#define HOST_STRLEN	54	/* "[" ADDR "]:65535" */

/* Formatters (policy_print.c): write into buf and return it. */
const char *addr_str(struct in_addr a, char buf[ADDR_STRLEN]);
const char *addr6_str(const struct in6_addr *a, char buf[ADDR_STRLEN]);
const char *prefix_str(const struct icc_prefix *p, char buf[PREFIX_STRLEN]);
/* A prefix as allow_from writes it: a bare address for /32. */
const char *source_str(const struct icc_prefix *p, char buf[PREFIX_STRLEN]);
const char *port_str(const struct icc_port *pt, char buf[PORT_STRLEN]);
/* pb's host as the policy writes it: "a.b.c.d:P" or "[ipv6]:P". */
const char *host_str(const struct icc_publish *pb, char buf[HOST_STRLEN]);
/* pb's host address alone. */
const char *host_addr_str(const struct icc_publish *pb, char buf[ADDR_STRLEN]);

#endif
