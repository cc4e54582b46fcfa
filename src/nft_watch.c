// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nf_tables change events: every committed transaction ends with an
 * NFT_MSG_NEWGEN naming the generation and the process that made it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>

#include <libmnl/libmnl.h>

#include "daemon.h"

#define WATCH_RCVBUF	(4 << 20)	/* our own big commits echo back here */

struct nft_watch {
	struct mnl_socket *nl;
	pid_t self;
	int foreign;
	struct nft_change last;
};

int nft_watch_open(struct nft_watch **out)
{
	struct nft_watch *w = calloc(1, sizeof(*w));
	int size = WATCH_RCVBUF, ret;

	if (!w)
		return -ENOMEM;
	w->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl || mnl_socket_bind(w->nl, 1 << (NFNLGRP_NFTABLES - 1),
				      MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		nft_watch_close(w);
		return ret;
	}
	/* FORCE needs CAP_NET_ADMIN, which we have; else take what we get. */
	if (setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUFFORCE,
		       &size, sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(w->nl), SOL_SOCKET, SO_RCVBUF,
			   &size, sizeof(size));
	*out = w;
	return 0;
}

int nft_watch_fd(const struct nft_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

static int gen_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, NFTA_GEN_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1] = { NULL };
	struct nft_watch *w = data;
	struct nft_change c = { 0 };

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFT_MSG_NEWGEN)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), gen_attr, tb) < 0)
		return MNL_CB_OK;
	if (tb[NFTA_GEN_ID])
		c.genid = ntohl(mnl_attr_get_u32(tb[NFTA_GEN_ID]));
	if (tb[NFTA_GEN_PROC_PID])
		c.pid = (int)ntohl(mnl_attr_get_u32(tb[NFTA_GEN_PROC_PID]));
	if (tb[NFTA_GEN_PROC_NAME])
		snprintf(c.comm, sizeof(c.comm), "%s",
			 mnl_attr_get_str(tb[NFTA_GEN_PROC_NAME]));
	if (c.pid != w->self) {
		w->foreign = 1;
		w->last = c;
	}
	return MNL_CB_OK;
}

int nft_watch_read(struct nft_watch *w, pid_t self, struct nft_change *c)
{
	static char buf[65536];	/* a notification may exceed a page */
	ssize_t n;

	w->self = self;
	w->foreign = 0;
	for (int i = 0; i < 65536; i++) {
		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0)
			return -errno;
		mnl_cb_run(buf, (size_t)n, 0, 0, on_event, w);
	}
	if (w->foreign)
		*c = w->last;
	return w->foreign;
}

void nft_watch_close(struct nft_watch *w)
{
	if (!w)
		return;
	if (w->nl)
		mnl_socket_close(w->nl);
	free(w);
}
