// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Drop log, the socket half: an nfnetlink_log instance for ICC_LOG_GROUP
 * in the caller's network namespace (NFLOG works per namespace, unlike
 * the kernel's syslog logger), with libmnl only.
 *
 * No NFULNL_CFG_CMD_PF_UNBIND/PF_BIND: they choose the namespace's default
 * logger for a family, which only rules without a group use; a rule with
 * `group` names nfnetlink_log itself. Unbinding would take the default
 * logger away from everyone else's `log` rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>

#include <libmnl/libmnl.h>

#include "icc/droplog.h"

#define NL_RCVBUF	(1 << 20)	/* ~4000 messages while we reconcile */
/*
 * One message per netlink packet, sent at once (qthresh 1): a line
 * should appear when the drop happens, and the kernel's rate limit keeps
 * the count small. The timeout (1/100 s) only matters for a batch.
 */
#define NL_BUFSIZ	4096
#define NL_QTHRESH	1
#define NL_TIMEOUT	1

struct droplog {
	struct mnl_socket *nl;
	struct droplog_seen *seen;
	unsigned seq;			/* of our requests */
	bool has_last;
	uint32_t last;			/* NFULA_SEQ of the last message */
	uint64_t gaps;			/* messages lost, as the sequence says */
	droplog_cb cb;
	void *data;
	int64_t now;
	int count;
};

/*
 * The request header for our group: NFULNL_MSG_CONFIG, acked. The whole
 * buffer is zeroed: libmnl leaves the padding after a short attribute as
 * it was, and stray stack bytes would go to the kernel (valgrind).
 */
static struct nlmsghdr *config_put(char *buf, unsigned seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	memset(buf, 0, MNL_SOCKET_BUFFER_SIZE);
	nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = htons(ICC_LOG_GROUP);
	return nlh;
}

/*
 * Sends nlh and waits for its ack. Packets of the group may come first
 * once bound: they are skipped (lost at start, nothing more).
 */
static int config_send(struct droplog *l, const struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned portid = mnl_socket_get_portid(l->nl);
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, NULL, NULL);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -errno : 0;
}

static int bind_group(struct droplog *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = config_put(buf, ++l->seq);
	struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
	int ret;

	mnl_attr_put(nlh, NFULA_CFG_CMD, sizeof(cmd), &cmd);
	ret = config_send(l, nlh);
	/*
	 * Another socket's instance: the kernel says EPERM (EBUSY only when
	 * this socket bound it already). We have CAP_NET_ADMIN, or nothing
	 * else of the daemon would work: EPERM here means "taken".
	 */
	return ret == -EPERM ? -EBUSY : ret;
}

static int set_mode(struct droplog *l)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = config_put(buf, ++l->seq);
	struct nfulnl_msg_config_mode mode = {
		.copy_range = htonl(ICC_DROP_COPY),
		.copy_mode = NFULNL_COPY_PACKET,
	};

	mnl_attr_put(nlh, NFULA_CFG_MODE, sizeof(mode), &mode);
	mnl_attr_put_u32(nlh, NFULA_CFG_NLBUFSIZ, htonl(NL_BUFSIZ));
	mnl_attr_put_u32(nlh, NFULA_CFG_QTHRESH, htonl(NL_QTHRESH));
	mnl_attr_put_u32(nlh, NFULA_CFG_TIMEOUT, htonl(NL_TIMEOUT));
	/* Sequence numbers: their gaps count what ENOBUFS lost. */
	mnl_attr_put_u16(nlh, NFULA_CFG_FLAGS, htons(NFULNL_CFG_F_SEQ));
	return config_send(l, nlh);
}

static void rcvbuf(struct droplog *l)
{
	int fd = mnl_socket_get_fd(l->nl), size = NL_RCVBUF;

	/* FORCE needs CAP_NET_ADMIN, which we have; else take what we get. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int droplog_open(struct droplog **out)
{
	struct droplog *l = calloc(1, sizeof(*l));
	int ret = -ENOMEM, fd;

	if (!l || droplog_seen_new(&l->seen, ICC_DROP_SEEN, ICC_DROP_WINDOW_MS) < 0)
		goto out;
	/* Blocking until configured: each request waits for its ack. */
	l->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!l->nl || mnl_socket_bind(l->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	rcvbuf(l);
	if ((ret = bind_group(l)) < 0 || (ret = set_mode(l)) < 0)
		goto out;
	fd = mnl_socket_get_fd(l->nl);
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	*out = l;
	l = NULL;
	ret = 0;
out:
	droplog_close(l);
	return ret;
}

int droplog_fd(const struct droplog *l)
{
	return mnl_socket_get_fd(l->nl);
}

static void count_gap(struct droplog *l, const struct icc_drop *d)
{
	if (!d->has_seq)
		return;
	if (l->has_last && d->seq != l->last + 1)
		l->gaps += (uint32_t)(d->seq - l->last - 1);
	l->last = d->seq;
	l->has_last = true;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct droplog *l = data;
	struct icc_drop d;
	int ret = droplog_parse(nlh, &d);

	count_gap(l, &d);
	/* Messages that are not ours, or unreadable, are skipped. */
	if (ret == 1) {
		l->count++;
		if (droplog_seen_add(l->seen, &d, l->now))
			l->cb(&d, l->data);
	}
	return MNL_CB_OK;
}

int droplog_read(struct droplog *l, int64_t now_ms, droplog_cb cb, void *data)
{
	static char buf[65536];
	ssize_t n;

	l->cb = cb;
	l->data = data;
	l->now = now_ms;
	l->count = 0;
	/* Bounded: a flood cannot keep the daemon from its other work. */
	for (int i = 0; i < 4096; i++) {
		n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* Lost messages: the next one's sequence number says how many. */
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			return -errno;
		mnl_cb_run(buf, (size_t)n, 0, 0, on_msg, l);
	}
	return l->count;
}

uint64_t droplog_lost(struct droplog *l)
{
	uint64_t n = l->gaps;

	l->gaps = 0;
	return n;
}

void droplog_close(struct droplog *l)
{
	if (!l)
		return;
	if (l->nl)
		mnl_socket_close(l->nl);
	droplog_seen_free(l->seen);
	free(l);
}
