// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Discovery: ports of managed bridges -> who is behind them and which
 * addresses they have (see include/icc/discover.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libmnl/libmnl.h>

#include "icc/discover.h"
#include "icc/fileio.h"
#include "icc/sources.h"
#include "rtnl.h"

/* A namespace file we could identify a peer by, and its id in ours. */
struct candidate {
	int nsid;
	const char *name;	/* netns, Docker or LXC container name */
	const struct icc_docker_ctr *docker;
	const struct icc_lxc_ctr *lxc;
};

struct dctx {
	const struct icc_policy *p;
	struct icc_diags *warn;
	struct mnl_socket *nl;
	struct icc_docker docker;
	struct icc_lxc lxc;
	struct candidate *cand;
	size_t ncand;
	bool wants_ids;		/* some container is named or labelled */
};

static int nsid_of_path(struct dctx *c, const char *path, int *nsid)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	*nsid = -1;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = rtnl_get_nsid(c->nl, fd, nsid);
	close(fd);
	return ret;
}

static int cand_add(struct dctx *c, const char *path, const char *name,
		    const struct icc_docker_ctr *d, const struct icc_lxc_ctr *x)
{
	struct candidate *v;
	int nsid, ret = nsid_of_path(c, path, &nsid);

	if (ret < 0) {
		/* Unreadable or not a namespace: say so, keep going. */
		diags_add(c->warn, path, 0, "not usable as a network namespace: %s",
			  strerror(-ret));
		return ret == -ENOMEM ? ret : 0;
	}
	if (nsid < 0)
		return 0;	/* no link of ours reaches into it */
	v = realloc(c->cand, (c->ncand + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->cand = v;
	c->cand[c->ncand++] = (struct candidate){ nsid, name, d, x };
	return 0;
}

/* ip netns names the policy asks for: <paths.netns>/<name>. */
static int cands_netns(struct dctx *c)
{
	for (size_t i = 0; i < c->p->ncontainers; i++) {
		const struct icc_container *ct = &c->p->containers[i];
		char path[4200];
		int ret;

		if (ct->ident != ICC_ID_NAME)
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->p->paths.netns, ct->match);
		if ((ret = cand_add(c, path, ct->match, NULL, NULL)) < 0)
			return ret;
	}
	return 0;
}

/*
 * Docker's SandboxKey is a path under Docker's netns folder as Docker saw
 * it; the policy may say that folder is elsewhere for us (a different
 * mount view, or test fixtures), so only its last component is kept.
 */
static int cands_docker(struct dctx *c)
{
	int ret = docker_scan(c->p->paths.docker, &c->docker, c->warn);

	for (size_t i = 0; ret == 0 && i < c->docker.n; i++) {
		const struct icc_docker_ctr *d = &c->docker.v[i];
		const char *base;
		char path[4200];

		if (!d->running || !d->sandbox_key)
			continue;
		base = strrchr(d->sandbox_key, '/');
		base = base ? base + 1 : d->sandbox_key;
		if (!*base || !strcmp(base, "..") || !strcmp(base, "."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", c->p->paths.docker_netns, base);
		ret = cand_add(c, path, d->name, d, NULL);
	}
	return ret;
}

/*
 * A running LXC container's processes sit in the cgroup
 * <lxc_cgroup>/lxc.payload.<name> (LXC 4 and later on cgroup2); the
 * namespace of the first of them is the container's. Opening another
 * process's namespace needs CAP_SYS_PTRACE: without it we note why and
 * fall back to what the config declares.
 */
static int cands_lxc(struct dctx *c)
{
	int ret = lxc_scan(c->p->paths.lxc, &c->lxc, c->warn);

	for (size_t i = 0; ret == 0 && i < c->lxc.n; i++) {
		const struct icc_lxc_ctr *x = &c->lxc.v[i];
		char path[4200], *text = NULL;
		long pid;

		snprintf(path, sizeof(path), "%s/lxc.payload.%s/cgroup.procs",
			 c->p->paths.lxc_cgroup, x->name);
		ret = file_read_state(path, 1 << 20, true, &text, c->warn);
		if (ret <= 0)
			continue;
		pid = strtol(text, NULL, 10);
		free(text);
		ret = 0;
		if (pid <= 0)
			continue;	/* stopped: an empty cgroup */
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		ret = cand_add(c, path, x->name, NULL, x);
	}
	return ret;
}

static bool lxc_has_ns(const struct dctx *c, const struct icc_lxc_ctr *x)
{
	for (size_t i = 0; i < c->ncand; i++)
		if (c->cand[i].lxc == x)
			return true;
	return false;
}

/*
 * Without the container's namespace: the host-side veth name its config
 * fixes (a container cannot rename our side), else its declared MAC
 * (weaker: a container can change its own MAC).
 */
static bool lxc_matches(const struct icc_lxc_ctr *x, const char *bridge,
			const struct icc_member *m)
{
	for (size_t i = 0; i < x->nnets; i++) {
		const struct icc_lxc_net *n = &x->nets[i];

		if (strcmp(n->link, bridge))
			continue;
		if (n->pair[0] && !strcmp(n->pair, m->ifname))
			return true;
		if (n->has_hwaddr && m->has_mac && !memcmp(n->hwaddr, m->mac, 6))
			return true;
	}
	return false;
}

/* Whether container ct is the one behind m; *who says how we know. */
static bool ident_matches(struct dctx *c, const struct icc_container *ct,
			  const struct icc_member *m, char *who, size_t len)
{
	const char *bridge = c->p->bridges[ct->bridge].name;

	for (size_t i = 0; m->nsid >= 0 && i < c->ncand; i++) {
		const struct candidate *k = &c->cand[i];

		if (k->nsid != m->nsid)
			continue;
		if (ct->ident == ICC_ID_LABELS && k->docker &&
		    docker_has_labels(k->docker, ct->labels, ct->nlabels)) {
			snprintf(who, len, "docker %s", k->docker->name);
			return true;
		}
		if (ct->ident == ICC_ID_NAME && !strcmp(k->name, ct->match)) {
			snprintf(who, len, "%s %s", k->docker ? "docker" :
				 k->lxc ? "lxc" : "netns", k->name);
			return true;
		}
	}
	if (ct->ident != ICC_ID_NAME)
		return false;
	for (size_t i = 0; i < c->lxc.n; i++)
		if (!strcmp(c->lxc.v[i].name, ct->match) &&
		    !lxc_has_ns(c, &c->lxc.v[i]) &&
		    lxc_matches(&c->lxc.v[i], bridge, m)) {
			snprintf(who, len, "lxc %s", ct->match);
			return true;
		}
	return false;
}

static int member_identify(struct dctx *c, struct icc_member *m)
{
	for (size_t i = 0; i < c->p->ncontainers; i++) {
		const struct icc_container *ct = &c->p->containers[i];
		char who[sizeof(m->who)];
		unsigned *v;

		if (ct->ident == ICC_ID_IP || ct->bridge != m->bridge ||
		    !ident_matches(c, ct, m, who, sizeof(who)))
			continue;
		v = realloc(m->containers, (m->ncontainers + 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->containers = v;
		m->containers[m->ncontainers++] = (unsigned)i;
		if (!m->who[0])
			snprintf(m->who, sizeof(m->who), "%s", who);
	}
	return 0;
}

static int addr_cmp(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct in_addr *)a)->s_addr);
	uint32_t y = ntohl(((const struct in_addr *)b)->s_addr);

	return x < y ? -1 : x > y;
}

/*
 * The peer's IPv4 addresses inside its bridge's subnet, without the
 * subnet's network and broadcast addresses: an address the container
 * cannot be reached at on this bridge is not one to trust for it.
 */
static int member_addrs(struct dctx *c, struct icc_member *m)
{
	const struct icc_prefix *net = &c->p->bridges[m->bridge].subnet;
	struct rtnl_addrs as = { NULL, 0, 0 };
	int ret = rtnl_dump_addrs(c->nl, m->nsid, m->peer_ifindex, &as);

	if (ret < 0)
		goto out;
	for (size_t i = 0; i < as.n; i++) {
		struct in_addr a = as.v[i];
		bool edge = net->len <= 30 &&
			    (a.s_addr == net->addr.s_addr ||
			     a.s_addr == prefix_last(net).s_addr);

		if (prefix_contains(net, a) && !edge)
			as.v[m->naddrs++] = a;
	}
	qsort(as.v, m->naddrs, sizeof(*as.v), addr_cmp);
	m->addrs = as.v;
	as.v = NULL;
out:
	free(as.v);
	return ret;
}

/* The far end: its MAC (for LXC's hwaddr) and, once identified, addresses. */
static int member_fill(struct dctx *c, struct icc_member *m)
{
	struct rtnl_link peer;
	int ret;

	if (m->peer_ifindex > 0 &&
	    rtnl_get_link(c->nl, m->nsid, m->peer_ifindex, &peer) == 0 &&
	    peer.has_mac) {
		memcpy(m->mac, peer.mac, 6);
		m->has_mac = true;
	}
	if ((ret = member_identify(c, m)) < 0 || !m->ncontainers)
		return ret;
	/* The peer may vanish while we look: then it has no addresses. */
	ret = member_addrs(c, m);
	return ret == -ENOMEM ? ret : 0;
}

static int bridge_of(const struct icc_policy *p, const struct rtnl_links *ls,
		     int master)
{
	for (size_t i = 0; i < ls->n; i++) {
		if (ls->v[i].ifindex != master)
			continue;
		for (size_t b = 0; b < p->nbridges; b++)
			if (!strcmp(p->bridges[b].name, ls->v[i].ifname))
				return (int)b;
		return -1;
	}
	return -1;
}

static int members_collect(struct dctx *c, struct icc_world *w)
{
	struct rtnl_links ls = { NULL, 0, 0 };
	int ret = rtnl_dump_links(c->nl, -1, &ls);

	if (ret < 0)
		goto out;
	w->v = calloc(ls.n + 1, sizeof(*w->v));
	if (!w->v) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < ls.n && ret == 0; i++) {
		const struct rtnl_link *l = &ls.v[i];
		int b = l->veth && l->master ? bridge_of(c->p, &ls, l->master) : -1;
		struct icc_member *m = &w->v[w->n];

		if (b < 0)
			continue;
		m->ifindex = l->ifindex;
		memcpy(m->ifname, l->ifname, sizeof(m->ifname));
		m->bridge = (unsigned)b;
		m->nsid = l->link_nsid;
		m->peer_ifindex = l->link;
		m->up = l->up;
		w->n++;
		ret = c->wants_ids ? member_fill(c, m) : 0;
	}
out:
	free(ls.v);
	return ret;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct icc_member *)a)->ifname,
		      ((const struct icc_member *)b)->ifname);
}

int discover(const struct icc_policy *p, struct icc_world *w,
	     struct icc_diags *warn)
{
	struct dctx c = { .p = p, .warn = warn };
	int ret;

	memset(w, 0, sizeof(*w));
	for (size_t i = 0; i < p->ncontainers; i++)
		c.wants_ids |= p->containers[i].ident != ICC_ID_IP;
	if ((ret = rtnl_open(&c.nl)) < 0)
		return ret;
	if (c.wants_ids &&
	    ((ret = cands_netns(&c)) < 0 || (ret = cands_docker(&c)) < 0 ||
	     (ret = cands_lxc(&c)) < 0))
		goto out;
	ret = members_collect(&c, w);
	if (ret == 0)
		qsort(w->v, w->n, sizeof(*w->v), member_cmp);
out:
	if (ret < 0)
		world_free(w);
	free(c.cand);
	docker_free(&c.docker);
	lxc_free(&c.lxc);
	mnl_socket_close(c.nl);
	return ret;
}

void world_free(struct icc_world *w)
{
	for (size_t i = 0; w && i < w->n; i++) {
		free(w->v[i].addrs);
		free(w->v[i].containers);
	}
	if (w) {
		free(w->v);
		w->v = NULL;
		w->n = 0;
	}
}
