// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Kernel settings outside nftables: the per-bridge br_netfilter flags over
 * rtnetlink (libmnl), ip_forward and route_localnet through /proc/sys.
 * Everything acts on the network namespace of the calling process; the
 * sysctls under /proc/sys/net (bridge included) are per namespace.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>

#include "icc/kernel.h"

#define SYSCTL_BRIDGE	"/proc/sys/net/bridge"
#define SYSCTL_FORWARD	"/proc/sys/net/ipv4/ip_forward"
#define SYSCTL_FORWARD6	"/proc/sys/net/ipv6/conf/all/forwarding"
#define RTNL_BUFSIZE	32768	/* one RTM_NEWLINK of a bridge, stats skipped */

/* One NETLINK_ROUTE socket for a whole plan or apply. */
struct rtnl {
	struct mnl_socket *nl;
	unsigned int portid, seq;
	char buf[RTNL_BUFSIZE];
};

/* What RTM_GETLINK tells about one interface; -1: attribute absent. */
struct link_info {
	int ifindex;
	char name[ICC_IFNAMSIZ];
	bool is_bridge;
	int nf4, nf6;
};

struct attrs {
	const struct nlattr **tb;
	uint16_t max;
};

static const char *knob_flag(enum icc_knob_kind kind)
{
	return kind == ICC_KNOB_BR_NF_CALL_IPTABLES ? "nf_call_iptables"
						     : "nf_call_ip6tables";
}

static bool knob_is_bridge(const struct icc_knob *k)
{
	return k->kind == ICC_KNOB_BR_NF_CALL_IPTABLES ||
	       k->kind == ICC_KNOB_BR_NF_CALL_IP6TABLES;
}

/* The kernel's dev_valid_name(): also keeps names safe in /proc paths. */
static bool ifname_valid(const char *s)
{
	size_t len = strnlen(s, ICC_IFNAMSIZ);

	if (len == 0 || len >= ICC_IFNAMSIZ)
		return false;
	if (!strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || *s == ' ' ||
		    (*s >= '\t' && *s <= '\r'))
			return false;
	return true;
}

static int knobs_add(struct icc_knobs *k, enum icc_knob_kind kind,
		     const char *target, int from, int to, int line)
{
	struct icc_knob *x;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 8;

		x = reallocarray(k->v, cap, sizeof(*x));
		if (!x)
			return -ENOMEM;
		k->v = x;
		k->cap = cap;
	}
	x = &k->v[k->n++];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	snprintf(x->target, sizeof(x->target), "%s", target);
	x->from = from;
	x->to = to;
	x->line = line;
	return 0;
}

/* ---- /proc/sys ---- */

static int localnet_path(const char *ifname, char *buf, size_t len)
{
	if (!ifname_valid(ifname))
		return -EINVAL;
	snprintf(buf, len, "/proc/sys/net/ipv4/conf/%s/route_localnet",
		 ifname);
	return 0;
}

static int sysctl_read(const char *path, int *val)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd, ret = -EINVAL;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (end == buf || errno || (*end && *end != '\n') ||
	    v < -1000000 || v > 1000000)
		goto out;
	*val = (int)v;
	ret = 0;
out:
	close(fd);
	return ret;
}

static int sysctl_write(const char *path, int val)
{
	char buf[16];
	int fd, len, ret = 0;

	len = snprintf(buf, sizeof(buf), "%d\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	errno = 0;
	if (write(fd, buf, (size_t)len) != len)
		ret = errno ? -errno : -EIO;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

/* ---- rtnetlink ---- */

static int rtnl_open(struct rtnl *r)
{
	r->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!r->nl)
		return -errno;
	if (mnl_socket_bind(r->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	r->portid = mnl_socket_get_portid(r->nl);
	r->seq = (unsigned int)time(NULL);
	return 0;
}

static void rtnl_close(struct rtnl *r)
{
	if (r && r->nl)
		mnl_socket_close(r->nl);
}

/* Sends one request with NLM_F_ACK and reads replies up to the ack. */
static int rtnl_talk(struct rtnl *r, struct nlmsghdr *nlh, mnl_cb_t cb,
		     void *data)
{
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++r->seq;
	if (mnl_socket_sendto(r->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(r->nl, r->buf, sizeof(r->buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(r->buf, (size_t)n, nlh->nlmsg_seq, r->portid,
				 cb, data);
		if (ret < 0)
			return errno ? -errno : -EPROTO;
	} while (ret != MNL_CB_STOP);
	return 0;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int attr_u8(const struct nlattr *a)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -1;
	return mnl_attr_get_u8(a);
}

static void link_parse_info(const struct nlattr *info, struct link_info *li)
{
	const struct nlattr *tb[IFLA_INFO_MAX + 1] = { NULL };
	const struct nlattr *br[IFLA_BR_MAX + 1] = { NULL };
	struct attrs ti = { tb, IFLA_INFO_MAX }, tbr = { br, IFLA_BR_MAX };

	mnl_attr_parse_nested(info, attr_cb, &ti);
	if (!tb[IFLA_INFO_KIND] ||
	    mnl_attr_validate(tb[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) < 0 ||
	    strcmp(mnl_attr_get_str(tb[IFLA_INFO_KIND]), "bridge"))
		return;
	li->is_bridge = true;
	if (!tb[IFLA_INFO_DATA])
		return;
	mnl_attr_parse_nested(tb[IFLA_INFO_DATA], attr_cb, &tbr);
	li->nf4 = attr_u8(br[IFLA_BR_NF_CALL_IPTABLES]);
	li->nf6 = attr_u8(br[IFLA_BR_NF_CALL_IP6TABLES]);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct attrs t = { tb, IFLA_MAX };
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link_info *li = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifm), attr_cb, &t) < 0)
		return MNL_CB_ERROR;
	li->ifindex = ifm->ifi_index;
	if (tb[IFLA_IFNAME] &&
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(li->name, sizeof(li->name), "%s",
			 mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_LINKINFO])
		link_parse_info(tb[IFLA_LINKINFO], li);
	return MNL_CB_OK;
}

/* RTM_GETLINK by name. Returns 0, -ENODEV when absent, or -errno. */
static int link_get(struct rtnl *r, const char *name, struct link_info *li)
{
	char req[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifm;

	memset(li, 0, sizeof(*li));
	li->nf4 = li->nf6 = -1;
	nlh->nlmsg_type = RTM_GETLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	return rtnl_talk(r, nlh, link_cb, li);
}

static int link_set_flag(struct rtnl *r, int ifindex,
			 enum icc_knob_kind kind, int val)
{
	char req[256] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nlattr *info, *data;
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u8(nlh, kind == ICC_KNOB_BR_NF_CALL_IPTABLES ?
			IFLA_BR_NF_CALL_IPTABLES : IFLA_BR_NF_CALL_IP6TABLES,
			(uint8_t)val);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return rtnl_talk(r, nlh, NULL, NULL);
}

/* ---- plan ---- */

/*
 * With forwarding on, an interface with accept_ra = 1 ignores router
 * advertisements: the uplinks of IPv6 bridges go to 2 first, so that a
 * host configured by SLAAC keeps its default route.
 */
static int plan_accept_ra(const struct icc_policy *p, struct icc_knobs *out,
			  struct icc_diags *err)
{
	for (size_t i = 0; i < p->nbridges; i++) {
		const struct icc_bridge *b = &p->bridges[i];
		char path[96];
		int val, ret;

		if (!b->uplink[0] || !b->has_subnet6 || !ifname_valid(b->uplink))
			continue;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra",
			 b->uplink);
		ret = sysctl_read(path, &val);
		if (ret == -ENOENT)
			continue;	/* no such uplink (yet): nothing to keep */
		if (ret < 0) {
			diags_add(err, p->file, b->line, "cannot read %s: %s", path,
				  strerror(-ret));
			return ret;
		}
		if (val == 1 && (ret = knobs_add(out, ICC_KNOB_ACCEPT_RA, b->uplink,
						 1, 2, b->line)) < 0)
			return ret;
	}
	return 0;
}

/* Keeps the earliest policy line among those that need a setting. */
static void need_at(bool *need, int *line, int l)
{
	if (!*need || l < *line)
		*line = l;
	*need = true;
}

static bool localnet_needed(const struct icc_policy *p, size_t br, int *line)
{
	bool need = false;

	for (size_t i = 0; i < p->npublishes; i++) {
		const struct icc_publish *pub = &p->publishes[i];

		if (policy_is_loopback(pub->host_addr) &&
		    p->containers[pub->container].bridge == br)
			need_at(&need, line, pub->line);
	}
	return need;
}

static int plan_sysctl(const struct icc_policy *p, const char *path,
		       enum icc_knob_kind kind, const char *target, int line,
		       struct icc_knobs *out, struct icc_diags *err)
{
	int ret, val;

	ret = sysctl_read(path, &val);
	if (ret < 0) {
		diags_add(err, p->file, line, "cannot read %s: %s", path,
			  strerror(-ret));
		return ret;
	}
	if (val != 0)
		return 0;
	return knobs_add(out, kind, target, val, 1, line);
}

/*
 * One policy bridge: *present tells whether it exists. Returns 0, -ENOTTY
 * or -EINVAL (both with a diag; the caller goes on with the next bridge),
 * or another -errno.
 */
static int plan_bridge(struct rtnl *r, const struct icc_policy *p,
		       const struct icc_bridge *b, bool *present,
		       struct icc_knobs *out, struct icc_diags *warn,
		       struct icc_diags *err)
{
	struct link_info li;
	int ret;

	*present = false;
	if (!ifname_valid(b->name)) {
		diags_add(err, p->file, b->line, "bridge \"%s\": invalid interface name",
			  b->name);
		return -EINVAL;
	}
	ret = link_get(r, b->name, &li);
	if (ret == -ENODEV)
		return diags_add(warn, p->file, b->line,
				 "bridge %s does not exist yet; its traffic is filtered once it appears with nf_call_iptables set",
				 b->name);
	if (ret < 0) {
		diags_add(err, p->file, b->line, "bridge %s: cannot read its settings: %s",
			  b->name, strerror(-ret));
		return ret;
	}
	if (!li.is_bridge) {
		diags_add(err, p->file, b->line, "%s exists but is not a bridge",
			  b->name);
		return -ENOTTY;
	}
	if (strcmp(li.name, b->name)) {
		/* nft's iifname matches the name, never an altname */
		diags_add(err, p->file, b->line, "%s is an alternative name of bridge %s: use its name",
			  b->name, li.name);
		return -EINVAL;
	}
	*present = true;
	if (li.nf4 < 0 || li.nf6 < 0) {
		diags_add(err, p->file, b->line, "bridge %s: the kernel does not report nf_call_iptables (built without CONFIG_BRIDGE_NETFILTER?)",
			  b->name);
		return -EOPNOTSUPP;
	}
	if (li.nf4 == 0 &&
	    (ret = knobs_add(out, ICC_KNOB_BR_NF_CALL_IPTABLES, b->name, 0, 1,
			     b->line)) < 0)
		return ret;
	if (li.nf6 == 0)
		return knobs_add(out, ICC_KNOB_BR_NF_CALL_IP6TABLES, b->name, 0,
				 1, b->line);
	return 0;
}

/* Every bridge, all problems reported: returns the first soft error. */
static int plan_bridges(const struct icc_policy *p, bool *present,
			struct icc_knobs *out, struct icc_diags *warn,
			struct icc_diags *err)
{
	struct rtnl *r;
	int ret, soft = 0;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = rtnl_open(r);
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < p->nbridges; i++) {
		ret = plan_bridge(r, p, &p->bridges[i], &present[i], out, warn,
				  err);
		if (ret == -ENOTTY || ret == -EINVAL) {
			soft = soft ? soft : ret;
			ret = 0;
		} else if (ret < 0) {
			goto out;
		}
	}
	ret = soft;
out:
	rtnl_close(r);
	free(r);
	return ret;
}

/*
 * The bridge's own flag, or the namespace-wide sysctl: the kernel passes
 * bridged traffic to the hooks when either is on.
 */
static bool nf_call(int flag, const char *sysctl)
{
	char path[96];
	int v = 0;

	snprintf(path, sizeof(path), SYSCTL_BRIDGE "/%s", sysctl);
	return flag == 1 || (sysctl_read(path, &v) == 0 && v == 1);
}

int kernel_bridge_state(const char *name, struct icc_bridge_state *st)
{
	struct rtnl *r = calloc(1, sizeof(*r));
	struct link_info li;
	int ret;

	memset(st, 0, sizeof(*st));
	st->br_netfilter = access(SYSCTL_BRIDGE, F_OK) == 0;
	if (!r)
		return -ENOMEM;
	ret = rtnl_open(r);
	if (!ret && ifname_valid(name))
		ret = link_get(r, name, &li);
	else if (!ret)
		ret = -ENODEV;
	rtnl_close(r);
	free(r);
	if (ret == -ENODEV)
		return 0;
	if (ret < 0)
		return ret;
	st->exists = true;
	st->is_bridge = li.is_bridge && !strcmp(li.name, name);
	st->nf_call4 = st->br_netfilter && nf_call(li.nf4, "bridge-nf-call-iptables");
	st->nf_call6 = st->br_netfilter && nf_call(li.nf6, "bridge-nf-call-ip6tables");
	return 0;
}

/* Without br_netfilter bridged packets never reach the inet hooks. */
static int plan_br_netfilter(const struct icc_policy *p, const bool *present,
			     struct icc_diags *err)
{
	int ret = 0;

	if (access(SYSCTL_BRIDGE, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	for (size_t i = 0; i < p->nbridges; i++) {
		if (!present[i])
			continue;
		diags_add(err, p->file, p->bridges[i].line,
			  "bridged traffic on %s would bypass the firewall: br_netfilter is not loaded (modprobe br_netfilter)",
			  p->bridges[i].name);
		ret = -ENOPROTOOPT;
	}
	return ret;
}

static int plan_localnet(const struct icc_policy *p, const bool *present,
			 struct icc_knobs *out, struct icc_diags *err)
{
	char path[96];
	int ret, line = 0;

	for (size_t i = 0; i < p->nbridges; i++) {
		const char *name = p->bridges[i].name;

		if (!present[i] || !localnet_needed(p, i, &line))
			continue;
		ret = localnet_path(name, path, sizeof(path));
		if (ret == 0)
			ret = plan_sysctl(p, path, ICC_KNOB_ROUTE_LOCALNET, name,
					  line, out, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The knobs under /proc: br_netfilter there, forwarding, accept_ra, route_localnet. */
static int plan_procfs(const struct icc_policy *p, const bool *present,
		       struct icc_knobs *out, struct icc_diags *err)
{
	int ret = plan_br_netfilter(p, present, err);

	if (ret < 0)
		return ret;
	if (p->index.forward &&
	    (ret = plan_sysctl(p, SYSCTL_FORWARD, ICC_KNOB_IP_FORWARD, "",
			       p->index.forward_line, out, err)) < 0)
		return ret;
	if (p->index.forward6 &&
	    ((ret = plan_accept_ra(p, out, err)) < 0 ||
	     (ret = plan_sysctl(p, SYSCTL_FORWARD6, ICC_KNOB_IP6_FORWARD, "",
				p->index.forward6_line, out, err)) < 0))
		return ret;
	return plan_localnet(p, present, out, err);
}

/* Without the rtnetlink read: a bridge is there if its name has IPv4 settings. */
static void bridges_in_procfs(const struct icc_policy *p, bool *present)
{
	char path[96];

	for (size_t i = 0; i < p->nbridges; i++)
		present[i] = localnet_path(p->bridges[i].name, path, sizeof(path)) == 0 &&
			     access(path, F_OK) == 0;
}

/* flags: read the bridges' own flags too (rtnetlink), or only /proc. */
static int plan_knobs(const struct icc_policy *p, bool flags,
		      struct icc_knobs *out, struct icc_diags *warn,
		      struct icc_diags *err)
{
	size_t n0 = out->n;
	bool *present;
	int ret = -ENOMEM;

	present = calloc(p->nbridges + 1, sizeof(*present));
	if (!present)
		goto out;
	ret = 0;
	if (flags && p->nbridges)
		ret = plan_bridges(p, present, out, warn, err);
	else
		bridges_in_procfs(p, present);
	if (ret < 0 && ret != -ENOTTY && ret != -EINVAL)
		goto out;
	if (ret < 0)
		plan_br_netfilter(p, present, err);	/* its diag too */
	else
		ret = plan_procfs(p, present, out, err);
out:
	if (ret < 0)
		out->n = n0;
	free(present);
	return ret;
}

int kernel_plan(const struct icc_policy *p, struct icc_knobs *out,
		struct icc_diags *warn, struct icc_diags *err)
{
	return plan_knobs(p, true, out, warn, err);
}

int kernel_plan_procfs(const struct icc_policy *p, struct icc_knobs *out,
		       struct icc_diags *err)
{
	return plan_knobs(p, false, out, NULL, err);
}

/* ---- apply ---- */

static int apply_bridge(struct rtnl *r, const struct icc_knob *k,
			struct icc_diags *err)
{
	const char *flag = knob_flag(k->kind);
	struct link_info li;
	int ret, now = -1;

	ret = link_get(r, k->target, &li);
	if (ret == 0 && !li.is_bridge)
		ret = -ENOTTY;
	if (ret == 0)
		ret = link_set_flag(r, li.ifindex, k->kind, k->to);
	if (ret == 0)
		ret = link_get(r, k->target, &li);
	if (ret < 0) {
		diags_add(err, NULL, k->line, "bridge %s: cannot set %s: %s",
			  k->target, flag, strerror(-ret));
		return ret;
	}
	now = k->kind == ICC_KNOB_BR_NF_CALL_IPTABLES ? li.nf4 : li.nf6;
	if (now != k->to) {
		diags_add(err, NULL, k->line, "bridge %s: %s = %d did not stick (reads %d)",
			  k->target, flag, k->to, now);
		return -EIO;
	}
	return 0;
}

/* Writes a sysctl and reads it back. */
static int sysctl_set(const char *path, int val, int line,
		      struct icc_diags *err)
{
	int ret, now = -1;

	ret = sysctl_write(path, val);
	if (ret == 0)
		ret = sysctl_read(path, &now);
	if (ret < 0) {
		diags_add(err, NULL, line, "cannot set %s to %d: %s", path, val,
			  strerror(-ret));
		return ret;
	}
	if (now != val) {
		diags_add(err, NULL, line, "%s = %d did not stick (reads %d)",
			  path, val, now);
		return -EIO;
	}
	return 0;
}

static int apply_sysctl(const struct icc_knob *k, struct icc_diags *err)
{
	char path[96];

	if (k->kind == ICC_KNOB_IP_FORWARD)
		return sysctl_set(SYSCTL_FORWARD, k->to, k->line, err);
	if (k->kind == ICC_KNOB_IP6_FORWARD)
		return sysctl_set(SYSCTL_FORWARD6, k->to, k->line, err);
	if (k->kind == ICC_KNOB_ACCEPT_RA) {
		if (!ifname_valid(k->target))
			return -EINVAL;
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/accept_ra",
			 k->target);
		return sysctl_set(path, k->to, k->line, err);
	}
	if (localnet_path(k->target, path, sizeof(path)) < 0) {
		diags_add(err, NULL, k->line, "\"%s\": invalid interface name",
			  k->target);
		return -EINVAL;
	}
	return sysctl_set(path, k->to, k->line, err);
}

/* Stops at the first knob that cannot be set. */
int kernel_apply(const struct icc_knobs *k, struct icc_diags *err)
{
	struct rtnl *r = NULL;
	int ret = 0;

	for (size_t i = 0; i < k->n && ret == 0; i++) {
		if (!knob_is_bridge(&k->v[i])) {
			ret = apply_sysctl(&k->v[i], err);
			continue;
		}
		if (!r && !(r = calloc(1, sizeof(*r)))) {
			ret = -ENOMEM;
			goto out;
		}
		if (!r->nl && (ret = rtnl_open(r)) < 0)
			goto out;
		ret = apply_bridge(r, &k->v[i], err);
	}
out:
	rtnl_close(r);
	free(r);
	return ret;
}

/* ---- flush ---- */

static int reset_one(const char *ifname, struct icc_knobs *changed,
		     struct icc_diags *err)
{
	char path[96];
	int ret, val;

	if (localnet_path(ifname, path, sizeof(path)) < 0) {
		diags_add(err, NULL, 0, "\"%s\": invalid interface name", ifname);
		return -EINVAL;
	}
	ret = sysctl_read(path, &val);
	if (ret == -ENOENT)	/* interface gone: nothing to expose */
		return 0;
	if (ret < 0) {
		diags_add(err, NULL, 0, "cannot read %s: %s", path,
			  strerror(-ret));
		return ret;
	}
	if (val == 0)
		return 0;
	ret = sysctl_set(path, 0, 0, err);
	if (ret < 0)
		return ret;
	return knobs_add(changed, ICC_KNOB_ROUTE_LOCALNET, ifname, val, 0, 0);
}

int kernel_reset_localnet(char (*ifnames)[ICC_IFNAMSIZ], size_t n,
			  struct icc_knobs *changed, struct icc_diags *err)
{
	int ret = 0;

	for (size_t i = 0; i < n && ret == 0; i++)
		ret = reset_one(ifnames[i], changed, err);
	return ret;
}

int kernel_sysctl_read(const char *path, int *val)
{
	return sysctl_read(path, val);
}

/* ---- print, free ---- */

void kernel_knobs_print(FILE *f, const struct icc_knobs *k, const char *sign)
{
	if (!sign)
		sign = "";
	for (size_t i = 0; i < k->n; i++) {
		const struct icc_knob *x = &k->v[i];

		switch (x->kind) {
		case ICC_KNOB_IP_FORWARD:
			fprintf(f, "%ssysctl net.ipv4.ip_forward = %d\n", sign,
				x->to);
			break;
		case ICC_KNOB_ROUTE_LOCALNET:
			fprintf(f, "%ssysctl net.ipv4.conf.%s.route_localnet = %d\n",
				sign, x->target, x->to);
			break;
		case ICC_KNOB_IP6_FORWARD:
			fprintf(f, "%ssysctl net.ipv6.conf.all.forwarding = %d\n",
				sign, x->to);
			break;
		case ICC_KNOB_ACCEPT_RA:
			fprintf(f, "%ssysctl net.ipv6.conf.%s.accept_ra = %d\n",
				sign, x->target, x->to);
			break;
		case ICC_KNOB_BR_NF_CALL_IPTABLES:
		case ICC_KNOB_BR_NF_CALL_IP6TABLES:
			fprintf(f, "%sbridge %s %s = %d\n", sign, x->target,
				knob_flag(x->kind), x->to);
			break;
		}
	}
}

void kernel_knobs_free(struct icc_knobs *k)
{
	if (!k)
		return;
	free(k->v);
	k->v = NULL;
	k->n = k->cap = 0;
}
