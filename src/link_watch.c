// SPDX-License-Identifier: GPL-2.0-or-later
/* Link and address events with libnl-3 (see daemon.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>

#include "daemon.h"
#include "icc/discover.h"

struct link_watch {
	struct nl_sock *sk;
};

/* What one message names: the port (or peer) whose facts it changes. */
static void on_msg(struct icc_disc *disc, const struct nlmsghdr *nlh, int nsid)
{
	int type = nlh->nlmsg_type;

	if ((type == RTM_NEWLINK || type == RTM_DELLINK) &&
	    nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
		const struct ifinfomsg *ifi = NLMSG_DATA(nlh);

		disc_touch(disc, nsid, ifi->ifi_index, false);
	} else if ((type == RTM_NEWADDR || type == RTM_DELADDR) &&
		   nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg))) {
		const struct ifaddrmsg *ifa = NLMSG_DATA(nlh);

		disc_touch(disc, nsid, (int)ifa->ifa_index, true);
	}
}

/* The namespace a message comes from: the id the kernel attaches, or ours. */
static int msg_nsid(struct msghdr *msg)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == SOL_NETLINK &&
		    c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int nsid;

			memcpy(&nsid, CMSG_DATA(c), sizeof(nsid));
			return nsid;
		}
	return -1;
}

static int listen_all_nsid(struct nl_sock *sk)
{
	int one = 1;

	if (setsockopt(nl_socket_get_fd(sk), SOL_NETLINK,
		       NETLINK_LISTEN_ALL_NSID, &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

#define LINK_RCVBUF	(4 << 20)	/* every container's namespace talks here */

int link_watch_open(struct link_watch **out, int rcvbuf)
{
	struct link_watch *w = calloc(1, sizeof(*w));
	int ret = -ENOMEM;

	if (rcvbuf <= 0)
		rcvbuf = LINK_RCVBUF;
	if (!w || !(w->sk = nl_socket_alloc()))
		goto fail;
	nl_socket_disable_seq_check(w->sk);
	ret = -ECONNREFUSED;
	if (nl_connect(w->sk, NETLINK_ROUTE) < 0)
		goto fail;
	ret = -EPERM;
	if (nl_socket_add_memberships(w->sk, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
				       RTNLGRP_IPV6_IFADDR, 0) < 0 ||
	    (ret = listen_all_nsid(w->sk)) < 0)
		goto fail;
	nl_socket_set_nonblocking(w->sk);
	/* FORCE: past net.core.rmem_max, which we hold CAP_NET_ADMIN for. */
	if (setsockopt(nl_socket_get_fd(w->sk), SOL_SOCKET, SO_RCVBUFFORCE,
		       &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(nl_socket_get_fd(w->sk), SOL_SOCKET, SO_RCVBUF,
			   &rcvbuf, sizeof(rcvbuf));
	*out = w;
	return 0;
fail:
	link_watch_close(w);
	return ret < 0 ? ret : -ENOMEM;
}

int link_watch_fd(const struct link_watch *w)
{
	return nl_socket_get_fd(w->sk);
}

/*
 * Read with recvmsg(), not libnl: peer-namespace events carry their
 * namespace id as ancillary data, which libnl does not hand on.
 */
int link_watch_read(struct link_watch *w, struct icc_disc *disc)
{
	static char buf[32768];	/* a notification fits in a page or two */
	char ctl[CMSG_SPACE(sizeof(int))];
	int events = 0;

	for (int i = 0; i < 4096; i++) {
		struct sockaddr_nl sa;
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr msg = { &sa, sizeof(sa), &iov, 1, ctl, sizeof(ctl), 0 };
		ssize_t len = recvmsg(nl_socket_get_fd(w->sk), &msg, MSG_DONTWAIT);
		int nsid;

		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0)
			return errno == EAGAIN ? events : -errno;
		/* A lost message, or a lost namespace id, is a lost event. */
		if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			return -ENOBUFS;
		if (sa.nl_pid != 0)
			continue;		/* only the kernel tells us news */
		nsid = msg_nsid(&msg);
		int left = (int)len;

		for (struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		     NLMSG_OK(nlh, left); nlh = NLMSG_NEXT(nlh, left)) {
			on_msg(disc, nlh, nsid);
			events++;
		}
	}
	return events;
}

void link_watch_close(struct link_watch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}
