// SPDX-License-Identifier: GPL-2.0-or-later
/* Raw rtnetlink requests for discovery: see rtnl.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "rtnl.h"

#define RTNL_TIMEOUT_S	5

int rtnl_open(struct mnl_socket **out)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	/* A backstop: an answer the kernel never sends stalls us, not for ever. */
	struct timeval tmo = { .tv_sec = RTNL_TIMEOUT_S };
	int one = 1;

	if (!nl)
		return -errno;
	/*
	 * Strict checking: without it the kernel ignores IFA_TARGET_NETNSID
	 * in address dumps and answers for our own namespace instead.
	 */
	if (mnl_socket_setsockopt(nl, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0 ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int ret = -errno;

		mnl_socket_close(nl);
		return ret;
	}
	*out = nl;
	return 0;
}

/* Whether buf holds the end (NLMSG_DONE or an error) of request seq's answer. */
static bool rtnl_ends(const char *buf, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_seq == seq && (nlh->nlmsg_type == NLMSG_DONE ||
					      nlh->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/*
 * After an interrupted dump (the kernel's NLM_F_DUMP_INTR: the links
 * changed while it was dumping) the rest of its replies may still be
 * queued: read them away, or the next request would read them as its
 * answer. The kernel flags NLMSG_DONE itself too, so the end may already
 * be in the buffer libmnl stopped in: then there is nothing left, and a
 * read would wait for ever (icc-policyd hung so, found by
 * bench/event-latency.sh with 1,000 containers).
 */
static void rtnl_drain(struct mnl_socket *nl, char *buf, size_t size,
		       size_t len, uint32_t seq)
{
	for (int i = 0; i < 100000 && !rtnl_ends(buf, len, seq); i++) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, size);

		if (n <= 0)
			return;
		len = (size_t)n;
	}
}

/* Sends nlh and runs cb over every reply until the dump or ACK ends. */
static int rtnl_talk_once(struct mnl_socket *nl, struct nlmsghdr *nlh,
			  mnl_cb_t cb, void *data)
{
	char buf[32768];	/* a dump's multipart replies fill pages of this size */
	unsigned portid = mnl_socket_get_portid(nl);
	static uint32_t next_seq;
	uint32_t seq;
	ssize_t len;
	int ret;

	if (!next_seq)
		next_seq = (uint32_t)time(NULL);
	seq = nlh->nlmsg_seq = next_seq++;
	/* Without a dump's NLMSG_DONE only an ACK says the answer is over. */
	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (len < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)len, seq, portid, cb, data);
	} while (ret > 0);
	if (ret < 0 && errno == EINTR) {
		rtnl_drain(nl, buf, sizeof(buf), (size_t)len, seq);
		return -EINTR;
	}
	return ret < 0 ? -errno : 0;
}

/*
 * An interrupted dump is retried: its answer is incomplete. The callers'
 * callbacks only append, so each one starts over from an emptied list.
 */
#define RTNL_TRIES	4

static int rtnl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh,
		     mnl_cb_t cb, void *data, size_t *count)
{
	int ret = -EINTR;

	for (int t = 0; t < RTNL_TRIES && ret == -EINTR; t++) {
		*count = 0;
		ret = rtnl_talk_once(nl, nlh, cb, data);
	}
	return ret;
}

static int link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int info_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void link_kind(const struct nlattr *linkinfo, struct rtnl_link *l)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = { NULL };
	const char *kind;

	if (!linkinfo || mnl_attr_parse_nested(linkinfo, info_attr, tb) < 0 ||
	    !tb[IFLA_INFO_KIND])
		return;
	kind = mnl_attr_get_str(tb[IFLA_INFO_KIND]);
	l->veth = !strcmp(kind, "veth");
	l->bridge = !strcmp(kind, "bridge");
}

static int link_parse(const struct nlmsghdr *nlh, struct rtnl_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	memset(l, 0, sizeof(*l));
	l->link_nsid = -1;
	l->ifindex = ifi->ifi_index;
	l->up = ifi->ifi_flags & IFF_UP;
	if (mnl_attr_parse(nlh, sizeof(*ifi), link_attr, tb) < 0)
		return -EINVAL;
	if (tb[IFLA_IFNAME])
		snprintf(l->ifname, sizeof(l->ifname), "%s",
			 mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MASTER])
		l->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_LINK])
		l->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	if (tb[IFLA_LINK_NETNSID])
		l->link_nsid = (int)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		l->has_mac = true;
	}
	link_kind(tb[IFLA_LINKINFO], l);
	return 0;
}

static int links_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_links *ls = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (ls->n == ls->cap) {
		size_t cap = ls->cap ? ls->cap * 2 : 16;
		struct rtnl_link *v = realloc(ls->v, cap * sizeof(*v));

		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		ls->v = v;
		ls->cap = cap;
	}
	if (link_parse(nlh, &ls->v[ls->n]) == 0)
		ls->n++;
	return MNL_CB_OK;
}

static struct nlmsghdr *link_request(char *buf, uint16_t flags, int nsid,
				     int ifindex, int master)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (nsid >= 0)
		mnl_attr_put_u32(nlh, IFLA_TARGET_NETNSID, (uint32_t)nsid);
	/* Under strict checking the kernel filters a dump by master. */
	if (master > 0)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return nlh;
}

int rtnl_dump_links(struct mnl_socket *nl, int nsid, struct rtnl_links *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return rtnl_talk(nl, link_request(buf, NLM_F_DUMP, nsid, 0, 0), links_cb,
			 out, &out->n);
}

int rtnl_dump_ports(struct mnl_socket *nl, int master, struct rtnl_links *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];

	return rtnl_talk(nl, link_request(buf, NLM_F_DUMP, -1, 0, master),
			 links_cb, out, &out->n);
}

int rtnl_get_link(struct mnl_socket *nl, int nsid, int ifindex,
		  struct rtnl_link *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rtnl_links ls = { NULL, 0, 0 };
	int ret = rtnl_talk(nl, link_request(buf, 0, nsid, ifindex, 0), links_cb,
			    &ls, &ls.n);

	if (ret == 0 && ls.n == 1)
		*out = ls.v[0];
	else if (ret == 0)
		ret = -ENODEV;
	free(ls.v);
	return ret;
}

struct addr_ctx {
	int ifindex;
	int family;
	void **v;		/* struct in_addr or struct in6_addr */
	size_t *n, *cap;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int addrs_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_ctx *c = data;
	size_t len = c->family == AF_INET6 ? 16 : 4;
	/* IPv4: the local address; IPv6 has only IFA_ADDRESS */
	int attr = c->family == AF_INET6 ? IFA_ADDRESS : IFA_LOCAL;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != c->family ||
	    (c->ifindex && (int)ifa->ifa_index != c->ifindex))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb) < 0 ||
	    !tb[attr] || mnl_attr_get_payload_len(tb[attr]) != len)
		return MNL_CB_OK;
	if (*c->n == *c->cap) {
		size_t cap = *c->cap ? *c->cap * 2 : 4;
		void *v = realloc(*c->v, cap * len);

		if (!v) {
			errno = ENOMEM;
			return MNL_CB_ERROR;
		}
		*c->v = v;
		*c->cap = cap;
	}
	memcpy((uint8_t *)*c->v + (*c->n)++ * len, mnl_attr_get_payload(tb[attr]), len);
	return MNL_CB_OK;
}

static int dump_addrs(struct mnl_socket *nl, int nsid, struct addr_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)c->family;
	ifa->ifa_index = (uint32_t)c->ifindex;	/* a filter under strict checking */
	if (nsid >= 0)
		mnl_attr_put_u32(nlh, IFA_TARGET_NETNSID, (uint32_t)nsid);
	return rtnl_talk(nl, nlh, addrs_cb, c, c->n);
}

int rtnl_dump_addrs(struct mnl_socket *nl, int nsid, int ifindex,
		    struct rtnl_addrs *out)
{
	struct addr_ctx c = { ifindex, AF_INET, (void **)&out->v, &out->n, &out->cap };

	return dump_addrs(nl, nsid, &c);
}

int rtnl_dump_addrs6(struct mnl_socket *nl, int nsid, int ifindex,
		     struct rtnl_addrs6 *out)
{
	struct addr_ctx c = { ifindex, AF_INET6, (void **)&out->v, &out->n, &out->cap };

	return dump_addrs(nl, nsid, &c);
}

static int nsid_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NETNSA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int nsid_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NETNSA_MAX + 1] = { NULL };
	int *nsid = data;

	if (nlh->nlmsg_type != RTM_NEWNSID)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct rtgenmsg), nsid_attr, tb) >= 0 &&
	    tb[NETNSA_NSID])
		*nsid = (int)mnl_attr_get_u32(tb[NETNSA_NSID]);
	return MNL_CB_OK;
}

int rtnl_get_nsid(struct mnl_socket *nl, int fd, int *nsid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;
	size_t none;

	nlh->nlmsg_type = RTM_GETNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)fd);
	*nsid = -1;
	return rtnl_talk(nl, nlh, nsid_cb, nsid, &none);
}
