/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Raw rtnetlink queries for discovery (libmnl): link and address dumps of
 * our namespace or of a peer namespace by id, and namespace ids of
 * namespace files. Internal to src/discover.c and src/rtnl.c.
 */
#ifndef ICC_RTNL_H
#define ICC_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include "icc/policy.h"

struct mnl_socket;

struct rtnl_link {
	int ifindex;
	char ifname[ICC_IFNAMSIZ];
	int master;		/* 0: none */
	int link;		/* IFLA_LINK: the veth peer's ifindex */
	int link_nsid;		/* IFLA_LINK_NETNSID, -1 when absent */
	bool veth, bridge, up;
	uint8_t mac[6];
	bool has_mac;
};

struct rtnl_links {
	struct rtnl_link *v;
	size_t n, cap;
};

struct rtnl_addrs {
	struct in_addr *v;
	size_t n, cap;
};

struct rtnl_addrs6 {
	struct in6_addr *v;
	size_t n, cap;
};

int rtnl_open(struct mnl_socket **out);
/* Every link of namespace nsid (-1: ours). */
int rtnl_dump_links(struct mnl_socket *nl, int nsid, struct rtnl_links *out);
/* The links of our namespace whose master is the link master. */
int rtnl_dump_ports(struct mnl_socket *nl, int master, struct rtnl_links *out);
/* One link of namespace nsid by index. -ENODEV when it is gone. */
int rtnl_get_link(struct mnl_socket *nl, int nsid, int ifindex,
		  struct rtnl_link *out);
/* The IPv4 addresses of ifindex (0: of every link) in namespace nsid
 * (-1: ours). */
int rtnl_dump_addrs(struct mnl_socket *nl, int nsid, int ifindex,
		    struct rtnl_addrs *out);
/* The same for IPv6 (link-local addresses included). */
int rtnl_dump_addrs6(struct mnl_socket *nl, int nsid, int ifindex,
		     struct rtnl_addrs6 *out);
/*
 * The id our namespace gives the namespace behind fd (an open nsfs file)
 * in *nsid: >= 0, or -1 when it has none (no link of ours reaches into
 * it). Returns 0 or -errno.
 */
int rtnl_get_nsid(struct mnl_socket *nl, int fd, int *nsid);

#endif
