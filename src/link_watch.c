// SPDX-License-Identifier: GPL-2.0-or-later
/* Link and address events with libnl-3 (see daemon.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/msg.h>

#include "daemon.h"

struct link_watch {
	struct nl_sock *sk;
	int events;
};

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct link_watch *w = arg;
	int type = nlmsg_hdr(msg)->nlmsg_type;

	/* Any of these may change who is behind a port or its addresses. */
	if (type == RTM_NEWLINK || type == RTM_DELLINK ||
	    type == RTM_NEWADDR || type == RTM_DELADDR)
		w->events++;
	return NL_OK;
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
	/*
	 * Peer-namespace events carry the namespace id as ancillary data;
	 * libnl only reserves room for it when credentials are passed too.
	 */
	nl_socket_modify_cb(w->sk, NL_CB_VALID, NL_CB_CUSTOM, on_msg, w);
	ret = -ECONNREFUSED;
	if (nl_connect(w->sk, NETLINK_ROUTE) < 0)
		goto fail;
	nl_socket_set_passcred(w->sk, 1);
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

int link_watch_read(struct link_watch *w)
{
	int ret;

	w->events = 0;
	for (int i = 0; i < 4096; i++) {
		ret = nl_recvmsgs_default(w->sk);
		if (ret == -NLE_AGAIN)
			break;
		/* libnl reports the kernel's ENOBUFS as NLE_NOMEM. */
		if (ret == -NLE_NOMEM)
			return -ENOBUFS;
		if (ret < 0)
			return -EIO;
	}
	return w->events;
}

void link_watch_close(struct link_watch *w)
{
	if (!w)
		return;
	nl_socket_free(w->sk);
	free(w);
}
