// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Discovery: ports of managed bridges -> who is behind them and which
 * addresses they have (see include/icc/discover.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <libmnl/libmnl.h>

#include "icc/discover.h"
#include "icc/fileio.h"
#include "icc/sources.h"
#include "rtnl.h"

/* A namespace file we could identify a peer by, and its id in ours. */
struct candidate {
	int fd;			/* held open: the namespace, and so its id, stay ours */
	int nsid;
	const char *name;	/* netns, Docker or LXC container name */
	const struct icc_docker_ctr *docker;
	const struct icc_lxc_ctr *lxc;
	char *path;		/* to open it again (icc-policyd's later events) */
	dev_t dev;		/* the namespace's identity when last seen */
	ino_t ino;
};

struct dctx {
	const struct icc_policy *p;
	struct icc_diags *warn;
	struct mnl_socket *nl;
	struct icc_docker docker;
	struct icc_lxc lxc;
	struct candidate *cand;	/* sorted by nsid once collected */
	size_t ncand, capcand;
	struct rtnl_addrs host;	/* our own addresses: never a container's */
	struct rtnl_addrs6 host6;
	unsigned *named;	/* ICC_ID_NAME containers, sorted by match */
	size_t nnamed;
	bool *lxc_ns;		/* lxc.v[i]'s namespace is a candidate */
	bool wants_ids;		/* some container is named or labelled */
	int *masters;		/* ifindex of each policy bridge (0: none) */
	uint64_t seq;		/* the last icc_member.seq given */
};

/*
 * The id our namespace gives the namespace at path, and an fd that keeps
 * it alive (*fd -1 when there is none). Ids are recycled lowest-first once
 * a namespace dies: holding the fd until discovery ends is what makes the
 * id still mean this namespace when we match ports against it.
 */
static int nsid_of_path(struct dctx *c, const char *path, int *nsid, int *fd)
{
	int ret;

	*nsid = -1;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return errno == ENOENT ? 0 : -errno;
	ret = rtnl_get_nsid(c->nl, *fd, nsid);
	if (ret < 0 || *nsid < 0) {
		close(*fd);
		*fd = -1;
	}
	return ret;
}

static int cand_add(struct dctx *c, const char *path, const char *name,
		    const struct icc_docker_ctr *d, const struct icc_lxc_ctr *x)
{
	struct candidate *v;
	struct stat st;
	char *copy;
	int nsid, fd, ret = nsid_of_path(c, path, &nsid, &fd);

	if (ret < 0) {
		/* Unreadable or not a namespace: say so, keep going. */
		diags_add(c->warn, path, 0, "not usable as a network namespace: %s",
			  strerror(-ret));
		return ret == -ENOMEM ? ret : 0;
	}
	if (nsid < 0)
		return 0;	/* no link of ours reaches into it */
	if (c->ncand == c->capcand) {
		c->capcand = c->capcand ? c->capcand * 2 : 64;
		v = realloc(c->cand, c->capcand * sizeof(*v));
		if (!v) {
			close(fd);
			return -ENOMEM;
		}
		c->cand = v;
	}
	if (fstat(fd, &st) < 0 || !(copy = strdup(path))) {
		ret = errno == ENOMEM ? -ENOMEM : 0;
		close(fd);
		return ret;
	}
	c->cand[c->ncand++] = (struct candidate){ fd, nsid, name, d, x, copy,
						   st.st_dev, st.st_ino };
	return 0;
}

/* The name of an ICC_ID_NAME container called name, or NULL. */
static const char *named_find(const struct dctx *c, const char *name)
{
	size_t lo = 0, hi = c->nnamed;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *m = c->p->containers[c->named[mid]].match;
		int r = strcmp(m, name);

		if (!r)
			return m;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cand_netns(const char *dir, const char *name, void *arg)
{
	struct dctx *c = arg;
	/* the policy's copy: name is readdir's, gone with the next entries */
	const char *match = named_find(c, name);
	char path[4200];

	if (!match)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, match);
	return cand_add(c, path, match, NULL, NULL);
}

/*
 * ip netns names the policy asks for: <paths.netns>/<name>. The folder is
 * read, not probed once per name: a policy may know ten thousand
 * containers of which a thousand run, and this runs on every event.
 */
static int cands_netns(struct dctx *c)
{
	int ret = dir_each(c->p->paths.netns, cand_netns, c);

	if (ret < 0 && ret != -ENOMEM)
		/* Unreadable: say so, keep going (as for one bad entry). */
		ret = diags_add(c->warn, c->p->paths.netns, 0, "cannot read: %s",
				strerror(-ret)) < 0 ? -ENOMEM : 0;
	return ret;
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

/* The first pid in the cgroup folder dir or below it (depth levels). */
static long cgroup_pid(const char *dir, int depth, struct icc_diags *warn)
{
	char path[4200], *text = NULL;
	long pid = 0;
	DIR *dp;
	struct dirent *e;

	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return 0;
	if (file_read_state(path, 1 << 20, true, &text, warn) > 0) {
		pid = strtol(text, NULL, 10);
		free(text);
	}
	/* A container running systemd moves itself into init.scope and
	 * the like: the payload cgroup's own list is then empty. */
	if (pid > 0 || depth == 0 || !(dp = opendir(dir)))
		return pid > 0 ? pid : 0;
	while (pid <= 0 && (e = readdir(dp)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
		    sizeof(path))
			pid = cgroup_pid(path, depth - 1, warn);
	closedir(dp);
	return pid;
}

/*
 * A running LXC container's processes sit in the cgroup
 * <lxc_cgroup>/lxc.payload.<name> (LXC 4 and later on cgroup2); the
 * namespace of the first of them is the container's. Opening another
 * process's namespace needs CAP_SYS_PTRACE: without it we note why and
 * fall back to the host-side veth name the config fixes.
 */
static int cands_lxc(struct dctx *c)
{
	int ret = lxc_scan(c->p->paths.lxc, &c->lxc, c->warn);

	for (size_t i = 0; ret == 0 && i < c->lxc.n; i++) {
		const struct icc_lxc_ctr *x = &c->lxc.v[i];
		char path[4200];
		long pid;

		if ((size_t)snprintf(path, sizeof(path), "%s/lxc.payload.%s",
				     c->p->paths.lxc_cgroup, x->name) >= sizeof(path))
			continue;
		if ((pid = cgroup_pid(path, 3, c->warn)) <= 0)
			continue;	/* stopped: no process in its cgroup */
		snprintf(path, sizeof(path), "/proc/%ld/ns/net", pid);
		ret = cand_add(c, path, x->name, NULL, x);
	}
	return ret;
}

/*
 * Without the container's namespace: the host-side veth name its config
 * fixes (only root on the host names our side). Its declared MAC is not
 * enough: a container can set any MAC on its own side, and would become
 * a stopped container by copying that container's.
 */
static bool lxc_matches(const struct icc_lxc_ctr *x, const char *bridge,
			const struct icc_member *m)
{
	for (size_t i = 0; i < x->nnets; i++) {
		const struct icc_lxc_net *n = &x->nets[i];

		if (!strcmp(n->link, bridge) && n->pair[0] &&
		    !strcmp(n->pair, m->ifname))
			return true;
	}
	return false;
}

static int member_add(struct icc_member *m, unsigned i, const char *kind,
		      const char *name)
{
	unsigned *v;

	for (size_t j = 0; j < m->ncontainers; j++)
		if (m->containers[j] == i)
			return 0;
	v = realloc(m->containers, (m->ncontainers + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	m->containers = v;
	m->containers[m->ncontainers++] = i;
	if (!m->who[0])
		snprintf(m->who, sizeof(m->who), "%s %s", kind, name);
	return 0;
}

/* The containers of the policy named name on m's bridge (binary search). */
static int add_named(struct dctx *c, struct icc_member *m, const char *kind,
		     const char *name)
{
	size_t lo = 0, hi = c->nnamed;
	int ret = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(c->p->containers[c->named[mid]].match, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->nnamed && !ret; lo++) {
		const struct icc_container *ct = &c->p->containers[c->named[lo]];

		if (strcmp(ct->match, name))
			break;
		if (ct->bridge == m->bridge)
			ret = member_add(m, c->named[lo], kind, name);
	}
	return ret;
}

/* The label groups on m's bridge that Docker container d belongs to. */
static int add_grouped(struct dctx *c, struct icc_member *m,
		       const struct icc_docker_ctr *d)
{
	for (size_t i = 0; i < c->p->ncontainers; i++) {
		const struct icc_container *ct = &c->p->containers[i];
		int ret;

		if (ct->ident != ICC_ID_LABELS || ct->bridge != m->bridge ||
		    !docker_has_labels(d, ct->labels, ct->nlabels))
			continue;
		if ((ret = member_add(m, (unsigned)i, "docker", d->name)) < 0)
			return ret;
	}
	return 0;
}

static int uint_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

/*
 * Which policy containers the port m is: the candidates whose namespace
 * is the peer's (sorted by id), then LXC's declared names and MACs for
 * containers whose namespace we could not see.
 */
static int member_identify(struct dctx *c, struct icc_member *m)
{
	const char *bridge = c->p->bridges[m->bridge].name;
	size_t lo = 0, hi = c->ncand;
	int ret = 0;

	while (m->nsid >= 0 && lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->cand[mid].nsid < m->nsid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; m->nsid >= 0 && lo < c->ncand && c->cand[lo].nsid == m->nsid &&
	       !ret; lo++) {
		const struct candidate *k = &c->cand[lo];

		ret = add_named(c, m, k->docker ? "docker" : k->lxc ? "lxc" : "netns",
				k->name);
		if (!ret && k->docker)
			ret = add_grouped(c, m, k->docker);
	}
	for (size_t i = 0; i < c->lxc.n && !ret; i++)
		if (!c->lxc_ns[i] && lxc_matches(&c->lxc.v[i], bridge, m))
			ret = add_named(c, m, "lxc", c->lxc.v[i].name);
	if (m->ncontainers > 1)
		qsort(m->containers, m->ncontainers, sizeof(*m->containers), uint_cmp);
	return ret;
}

static bool host_has(const struct dctx *c, struct in_addr a)
{
	for (size_t i = 0; i < c->host.n; i++)
		if (c->host.v[i].s_addr == a.s_addr)
			return true;
	return false;
}

/*
 * The peer's IPv4 addresses that could be its own on this bridge: inside
 * the bridge's subnet, not the subnet's network or broadcast address, not
 * an address of the host itself (a container claiming the bridge's own
 * address would have published ports DNATed to the host), and at most
 * ICC_PORT_ADDRS of them, lowest first (each one multiplies set elements).
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

		if (prefix_contains(net, a) && !edge && !host_has(c, a))
			as.v[m->naddrs++] = a;
	}
	if (m->naddrs)	/* qsort() wants a base even for no entries */
		qsort(as.v, m->naddrs, sizeof(*as.v), in_addr_cmp);
	if (m->naddrs > ICC_PORT_ADDRS) {
		diags_add(c->warn, m->ifname, 0, "%zu addresses; only the lowest %d are used",
			  m->naddrs, ICC_PORT_ADDRS);
		m->naddrs = ICC_PORT_ADDRS;
	}
	m->addrs = as.v;
	as.v = NULL;
out:
	free(as.v);
	return ret;
}

static bool host_has6(const struct dctx *c, const struct in6_addr *a)
{
	for (size_t i = 0; i < c->host6.n; i++)
		if (!memcmp(&c->host6.v[i], a, sizeof(*a)))
			return true;
	return false;
}

/*
 * The peer's IPv6 addresses: those in the bridge's IPv6 subnet (not the
 * subnet-router anycast, not the host's) name it; link-local ones only
 * bind its port. At most ICC_PORT_ADDRS of each, lowest first.
 */
static int member_addrs6(struct dctx *c, struct icc_member *m)
{
	const struct icc_bridge *b = &c->p->bridges[m->bridge];
	struct rtnl_addrs6 as = { NULL, 0, 0 };
	struct in6_addr *ll;
	int ret = rtnl_dump_addrs6(c->nl, m->nsid, m->peer_ifindex, &as);

	if (ret < 0 || !(ll = calloc(as.n + 1, sizeof(*ll)))) {
		free(as.v);
		return ret < 0 ? ret : -ENOMEM;
	}
	for (size_t i = 0; i < as.n; i++) {
		const struct in6_addr *a = &as.v[i];

		if (IN6_IS_ADDR_LINKLOCAL(a))
			ll[m->nll6++] = *a;
		else if (b->has_subnet6 && prefix6_contains(&b->subnet6, a) &&
			 memcmp(a, &b->subnet6.addr6, sizeof(*a)) && !host_has6(c, a))
			as.v[m->naddrs6++] = *a;
	}
	if (m->naddrs6)	/* as above: as.v is NULL when the dump found none */
		qsort(as.v, m->naddrs6, sizeof(*as.v), in6_addr_cmp);
	qsort(ll, m->nll6, sizeof(*ll), in6_addr_cmp);
	if (m->naddrs6 > ICC_PORT_ADDRS || m->nll6 > ICC_PORT_ADDRS)
		diags_add(c->warn, m->ifname, 0, "more than %d IPv6 addresses; "
			  "only the lowest are used", ICC_PORT_ADDRS);
	m->naddrs6 = m->naddrs6 > ICC_PORT_ADDRS ? ICC_PORT_ADDRS : m->naddrs6;
	m->nll6 = m->nll6 > ICC_PORT_ADDRS ? ICC_PORT_ADDRS : m->nll6;
	m->addrs6 = as.v;
	m->ll6 = ll;
	return 0;
}

/*
 * A port nobody named whose address is a container's static ip is that
 * container's port: known, so not looked for again and again, though its
 * address stays the policy's (world_bind never binds static containers).
 */
static int member_static(struct dctx *c, struct icc_member *m)
{
	for (size_t j = 0; j < m->naddrs; j++)
		for (size_t i = 0; i < c->p->ncontainers; i++) {
			const struct icc_container *ct = &c->p->containers[i];
			int ret;

			if (ct->ident != ICC_ID_IP || ct->bridge != m->bridge ||
			    ct->ip.s_addr != m->addrs[j].s_addr)
				continue;
			if ((ret = member_add(m, (unsigned)i, "static", "ip")) < 0)
				return ret;
		}
	return 0;
}

/* The far end: its MAC (for LXC's hwaddr) and, once identified, addresses. */
static int member_fill(struct dctx *c, struct icc_member *m)
{
	struct rtnl_link peer;
	int ret;

	m->seq = ++c->seq;
	if (m->peer_ifindex > 0 &&
	    rtnl_get_link(c->nl, m->nsid, m->peer_ifindex, &peer) == 0 &&
	    peer.has_mac) {
		memcpy(m->mac, peer.mac, 6);
		m->has_mac = true;
	}
	if ((ret = member_identify(c, m)) < 0)
		return ret;
	/*
	 * Every port's addresses, identified or not: an address that an
	 * unknown port claims too is then trusted for nobody (fail closed).
	 * The peer may vanish while we look: then it has no addresses.
	 */
	ret = member_addrs(c, m);
	if (ret != -ENOMEM)
		ret = member_addrs6(c, m);
	if (ret == -ENOMEM)
		return ret;
	return m->ncontainers ? 0 : member_static(c, m);
}

/* The veth ports of policy bridge b, appended to w. */
static int bridge_ports(struct dctx *c, unsigned b, struct icc_world *w)
{
	struct rtnl_links ls = { NULL, 0, 0 };
	int master = (int)if_nametoindex(c->p->bridges[b].name);
	int ret = master > 0 ? rtnl_dump_ports(c->nl, master, &ls) : 0;
	struct icc_member *v;

	c->masters[b] = master;

	if (ret < 0 || !ls.n)
		goto out;
	ret = -ENOMEM;
	if (!(v = realloc(w->v, (w->n + ls.n) * sizeof(*v))))
		goto out;
	w->v = v;
	ret = 0;
	for (size_t i = 0; i < ls.n && ret == 0; i++) {
		const struct rtnl_link *l = &ls.v[i];
		struct icc_member *m = &w->v[w->n];

		/* The filter is the kernel's: check it did filter. */
		if (!l->veth || l->master != master)
			continue;
		memset(m, 0, sizeof(*m));
		m->ifindex = l->ifindex;
		memcpy(m->ifname, l->ifname, sizeof(m->ifname));
		m->bridge = b;
		m->nsid = l->link_nsid;
		m->peer_ifindex = l->link;
		m->up = l->up;
		w->n++;
		/* Identified or not, anti-spoofing binds its MAC and addresses. */
		ret = member_fill(c, m);
	}
out:
	free(ls.v);
	return ret;
}

/* One dump per managed bridge: other links on the host are not read. */
static int members_collect(struct dctx *c, struct icc_world *w)
{
	int ret = 0;

	if (!(c->masters = calloc(c->p->nbridges + 1, sizeof(*c->masters))))
		return -ENOMEM;
	for (unsigned b = 0; b < c->p->nbridges && ret == 0; b++)
		ret = bridge_ports(c, b, w);
	return ret;
}

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct icc_member *)a)->ifname,
		      ((const struct icc_member *)b)->ifname);
}

static int cand_cmp(const void *a, const void *b)
{
	int x = ((const struct candidate *)a)->nsid;
	int y = ((const struct candidate *)b)->nsid;

	return (x > y) - (x < y);
}

static int named_cmp(const void *a, const void *b, void *arg)
{
	const struct icc_policy *p = arg;

	return strcmp(p->containers[*(const unsigned *)a].match,
		      p->containers[*(const unsigned *)b].match);
}

/* ICC_ID_NAME containers by name: for cands_netns() and add_named(). */
static int named_build(struct dctx *c)
{
	if (!(c->named = calloc(c->p->ncontainers + 1, sizeof(*c->named))))
		return -ENOMEM;
	for (size_t i = 0; i < c->p->ncontainers; i++)
		if (c->p->containers[i].ident == ICC_ID_NAME)
			c->named[c->nnamed++] = (unsigned)i;
	qsort_r(c->named, c->nnamed, sizeof(*c->named), named_cmp,
		(void *)c->p);
	return 0;
}

/* Lookups for member_identify(): O(log n) per port, not O(n). */
static int index_build(struct dctx *c)
{
	if (!(c->lxc_ns = calloc(c->lxc.n + 1, sizeof(*c->lxc_ns))))
		return -ENOMEM;
	for (size_t i = 0; i < c->ncand; i++)
		if (c->cand[i].lxc)
			c->lxc_ns[c->cand[i].lxc - c->lxc.v] = true;
	if (c->ncand)
		qsort(c->cand, c->ncand, sizeof(*c->cand), cand_cmp);
	return 0;
}

/* Everything discovery learnt, back to nothing (the socket stays). */
static void dctx_clear(struct dctx *c)
{
	for (size_t i = 0; i < c->ncand; i++) {
		if (c->cand[i].fd >= 0)
			close(c->cand[i].fd);
		free(c->cand[i].path);
	}
	free(c->cand);
	free(c->host.v);
	free(c->host6.v);
	free(c->named);
	free(c->lxc_ns);
	free(c->masters);
	docker_free(&c->docker);
	lxc_free(&c->lxc);
	*c = (struct dctx){ .nl = c->nl, .seq = c->seq };
}

/* Candidates' namespaces may die once matching is over. */
static void cands_unpin(struct dctx *c)
{
	for (size_t i = 0; i < c->ncand; i++) {
		if (c->cand[i].fd >= 0)
			close(c->cand[i].fd);
		c->cand[i].fd = -1;
	}
}

/* The whole of it: every candidate, every port of every managed bridge. */
static int discover_all(struct dctx *c, const struct icc_policy *p,
			struct icc_world *w, struct icc_diags *warn)
{
	int ret;

	dctx_clear(c);
	world_free(w);
	c->p = p;
	c->warn = warn;
	for (size_t i = 0; i < p->ncontainers; i++)
		c->wants_ids |= p->containers[i].ident != ICC_ID_IP;
	if (!c->nl && (ret = rtnl_open(&c->nl)) < 0)
		return ret;
	/* Ours: never a container's, and what revocation tells flows to us by. */
	if ((ret = rtnl_dump_addrs(c->nl, -1, 0, &c->host)) < 0 ||
	    (ret = rtnl_dump_addrs6(c->nl, -1, 0, &c->host6)) < 0)
		return ret;
	if (!c->wants_ids ||
	    ((ret = named_build(c)) == 0 &&
	     (ret = cands_netns(c)) == 0 && (ret = cands_docker(c)) == 0 &&
	     (ret = cands_lxc(c)) == 0 && (ret = index_build(c)) == 0))
		ret = members_collect(c, w);
	cands_unpin(c);	/* on every path: fds keep dead namespaces alive */
	if (ret == 0 && w->n)
		qsort(w->v, w->n, sizeof(*w->v), member_cmp);
	return ret;
}

/* The world takes copies of our addresses (plan_revoke() reads them). */
static int world_host(struct icc_world *w, const struct dctx *c)
{
	w->host = malloc((c->host.n + 1) * sizeof(*w->host));
	w->host6 = malloc((c->host6.n + 1) * sizeof(*w->host6));
	if (!w->host || !w->host6)
		return -ENOMEM;
	if (c->host.n)	/* memcpy() wants a source even for nothing */
		memcpy(w->host, c->host.v, c->host.n * sizeof(*w->host));
	if (c->host6.n)
		memcpy(w->host6, c->host6.v, c->host6.n * sizeof(*w->host6));
	w->nhost = c->host.n;
	w->nhost6 = c->host6.n;
	return 0;
}

int discover(const struct icc_policy *p, struct icc_world *w,
	     struct icc_diags *warn)
{
	struct dctx c = { 0 };
	int ret;

	memset(w, 0, sizeof(*w));
	ret = discover_all(&c, p, w, warn);
	if (ret == 0)
		ret = world_host(w, &c);
	if (ret < 0)
		world_free(w);
	dctx_clear(&c);
	if (c.nl)
		mnl_socket_close(c.nl);
	return ret;
}

void world_free(struct icc_world *w)
{
	if (w)
		world_claims_free(w);
	if (w && w->borrowed) {
		memset(w, 0, sizeof(*w));
		return;
	}
	for (size_t i = 0; w && i < w->n; i++) {
		free(w->v[i].addrs);
		free(w->v[i].addrs6);
		free(w->v[i].ll6);
		free(w->v[i].containers);
	}
	if (w) {
		free(w->v);
		free(w->host);
		free(w->host6);
		w->v = NULL;
		w->host = NULL;
		w->host6 = NULL;
		w->n = w->nhost = w->nhost6 = 0;
	}
}

/* ------------------------------------------------------ icc-policyd */

/*
 * Between two events the daemon keeps what discovery learnt, and an event
 * only makes it look again at the ports it names. What is kept can go
 * stale without an event saying so (a namespace id recycled, a netns name
 * given to another namespace): every kept fact is checked against the
 * kernel where it is used, and any doubt means a full rediscovery.
 */
#define DISC_TOUCHES	256	/* more ports changed than this: look at all */
#define DISC_FULL_MS	60000	/* and at least this often in any case */

struct touch {
	int nsid;		/* -1: our namespace */
	int ifindex;
};

struct icc_disc {
	struct dctx c;
	struct icc_world w;	/* sorted by name, as discover() makes it */
	struct touch t[DISC_TOUCHES];
	size_t nt;
	bool full;		/* the next run looks at everything */
	bool host;		/* our own addresses may have changed */
	const struct icc_policy *p;
	int64_t full_at;	/* CLOCK_MONOTONIC ms of the last full run */
	int self_nsid;		/* the id our namespace gives itself, if any */
};

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

int disc_new(struct icc_disc **out)
{
	struct icc_disc *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	d->full = true;
	*out = d;
	return 0;
}

void disc_free(struct icc_disc *d)
{
	if (!d)
		return;
	dctx_clear(&d->c);
	if (d->c.nl)
		mnl_socket_close(d->c.nl);
	world_free(&d->w);
	free(d);
}

void disc_resync(struct icc_disc *d)
{
	d->full = true;
}

void disc_touch(struct icc_disc *d, int nsid, int ifindex, bool addr)
{
	if (nsid == d->self_nsid)
		nsid = -1;
	if (nsid < 0 && addr) {
		d->host = true;
		return;
	}
	for (size_t i = 0; i < d->nt; i++)
		if (d->t[i].nsid == nsid && d->t[i].ifindex == ifindex)
			return;
	if (d->nt == DISC_TOUCHES)
		d->full = true;
	else
		d->t[d->nt++] = (struct touch){ nsid, ifindex };
}

/* The id our namespace has for itself: events from it may carry that. */
static int self_nsid(struct dctx *c)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), nsid = -1;

	if (fd >= 0) {
		rtnl_get_nsid(c->nl, fd, &nsid);
		close(fd);
	}
	return nsid;
}

static int disc_full(struct icc_disc *d, const struct icc_policy *p,
		     struct icc_diags *warn)
{
	int ret = discover_all(&d->c, p, &d->w, warn);

	d->nt = 0;
	d->host = false;
	if (ret < 0)
		return ret;
	d->p = p;
	d->full = false;
	d->full_at = mono_ms();
	d->self_nsid = self_nsid(&d->c);
	return 0;
}

/* Equal as sets, ignoring IPv6 link-local addresses in b and c. */
static bool addrs6_same(struct in6_addr *a, size_t na, struct in6_addr *b,
			size_t nb)
{
	size_t i = 0, j = 0;

	if (na)
		qsort(a, na, sizeof(*a), in6_addr_cmp);
	if (nb)
		qsort(b, nb, sizeof(*b), in6_addr_cmp);
	for (;; i++, j++) {
		while (i < na && IN6_IS_ADDR_LINKLOCAL(&a[i]))
			i++;
		while (j < nb && IN6_IS_ADDR_LINKLOCAL(&b[j]))
			j++;
		if (i == na || j == nb)
			return i == na && j == nb;
		if (memcmp(&a[i], &b[j], sizeof(*a)))
			return false;
	}
}

/*
 * Our own addresses again. Each port's own link-local address comes and
 * goes with it and matters to no port; any other change may make a
 * port's addresses read otherwise (member_addrs()): then -ESTALE.
 */
static int host_check(struct icc_disc *d)
{
	struct rtnl_addrs h = { NULL, 0, 0 };
	struct rtnl_addrs6 h6 = { NULL, 0, 0 };
	struct dctx *c = &d->c;
	int ret = rtnl_dump_addrs(c->nl, -1, 0, &h);

	if (ret == 0)
		ret = rtnl_dump_addrs6(c->nl, -1, 0, &h6);
	if (ret < 0) {
		free(h.v);
		free(h6.v);
		return ret;
	}
	if (h.n)
		qsort(h.v, h.n, sizeof(*h.v), in_addr_cmp);
	if (c->host.n)
		qsort(c->host.v, c->host.n, sizeof(*h.v), in_addr_cmp);
	if (h.n != c->host.n || (h.n && memcmp(h.v, c->host.v, h.n * sizeof(*h.v))) ||
	    !addrs6_same(h6.v, h6.n, c->host6.v, c->host6.n))
		ret = -ESTALE;
	free(c->host.v);
	free(c->host6.v);
	c->host = h;
	c->host6 = h6;
	return ret;
}

static bool is_master(const struct dctx *c, int ifindex)
{
	for (unsigned b = 0; b < c->p->nbridges; b++)
		if (c->masters[b] == ifindex)
			return true;
	return false;
}

static void member_drop(struct icc_world *w, int ifindex)
{
	for (size_t i = 0; i < w->n; i++) {
		struct icc_member *m = &w->v[i];

		if (m->ifindex != ifindex)
			continue;
		free(m->addrs);
		free(m->addrs6);
		free(m->ll6);
		free(m->containers);
		/* closed up, not swapped: the world stays sorted by name */
		memmove(&w->v[i], &w->v[i + 1], (--w->n - i) * sizeof(*m));
		return;
	}
}

/*
 * Opens again every candidate whose namespace had id nsid: the fds keep
 * those namespaces, and so their ids, ours while the port is matched. A
 * candidate whose namespace is no longer the one we knew, or has another
 * id now, is stale (-ESTALE); so is an id no candidate had, which may be a
 * namespace born since (a full run then looks at every candidate).
 */
static int cands_pin(struct dctx *c, int nsid)
{
	size_t lo = 0, hi = c->ncand, n = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (c->cand[mid].nsid < nsid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c->ncand && c->cand[lo].nsid == nsid; lo++, n++) {
		struct candidate *k = &c->cand[lo];
		struct stat st;
		int now = -1;

		/* /proc/PID: a pid, and then a namespace inode, may be reused */
		if (k->lxc)
			return -ESTALE;
		k->fd = open(k->path, O_RDONLY | O_CLOEXEC);
		if (k->fd < 0 || fstat(k->fd, &st) < 0 || st.st_dev != k->dev ||
		    st.st_ino != k->ino || rtnl_get_nsid(c->nl, k->fd, &now) < 0 ||
		    now != nsid)
			return -ESTALE;
	}
	return n ? 0 : -ESTALE;
}

static unsigned bridge_of(const struct dctx *c, int master)
{
	unsigned b = 0;

	while (b < c->p->nbridges && (master <= 0 || c->masters[b] != master))
		b++;
	return b;
}

/* The last member to its place by name: one move, not a sort per event. */
static void member_place(struct icc_world *w)
{
	struct icc_member last = w->v[w->n - 1];
	size_t lo = 0, hi = w->n - 1;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (strcmp(w->v[mid].ifname, last.ifname) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	memmove(&w->v[lo + 1], &w->v[lo], (w->n - 1 - lo) * sizeof(last));
	w->v[lo] = last;
}

/*
 * Port ifindex as it is now: gone, no port of ours, or looked at again.
 * The link is read after the candidates are pinned: if its peer's
 * namespace id is still the one they have, they are its namespace.
 */
static int port_again(struct icc_disc *d, int ifindex)
{
	struct dctx *c = &d->c;
	struct rtnl_link l, again;
	struct icc_member *v, *m;
	unsigned b;
	int ret;

	member_drop(&d->w, ifindex);
	if (is_master(c, ifindex))
		return -ESTALE;		/* a managed bridge itself changed */
	ret = rtnl_get_link(c->nl, -1, ifindex, &l);
	if (ret == -ENODEV)
		return 0;
	if (ret < 0 || l.bridge)
		return ret < 0 ? ret : -ESTALE;	/* a bridge may be one of ours now */
	if (!l.veth || (b = bridge_of(c, l.master)) == c->p->nbridges)
		return 0;
	if (c->wants_ids && l.link_nsid >= 0) {
		if ((ret = cands_pin(c, l.link_nsid)) < 0)
			return ret;
		if ((ret = rtnl_get_link(c->nl, -1, ifindex, &again)) < 0)
			return ret == -ENODEV ? 0 : ret;
		if (again.link_nsid != l.link_nsid || again.master != l.master ||
		    again.link != l.link)
			return -ESTALE;
		l = again;
	}
	if (!(v = realloc(d->w.v, (d->w.n + 1) * sizeof(*v))))
		return -ENOMEM;
	d->w.v = v;
	m = &v[d->w.n++];
	memset(m, 0, sizeof(*m));
	m->ifindex = l.ifindex;
	memcpy(m->ifname, l.ifname, sizeof(m->ifname));
	m->bridge = b;
	m->nsid = l.link_nsid;
	m->peer_ifindex = l.link;
	m->up = l.up;
	ret = member_fill(c, m);
	member_place(&d->w);
	return ret;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* The ports the events named: in our namespace by ifindex, in a peer's
 * by the namespace id of the ports whose peer lives there. */
static int touched_ports(const struct icc_disc *d, int *v, size_t *out)
{
	size_t n = 0;

	/* v has room for 3 * DISC_TOUCHES: more ports than that, look at all */
	for (size_t i = 0; i < d->nt; i++) {
		if (d->t[i].nsid < 0) {
			if (n == 3 * DISC_TOUCHES)
				return -ESTALE;
			v[n++] = d->t[i].ifindex;
			continue;
		}
		for (size_t j = 0; j < d->w.n; j++) {
			if (d->w.v[j].nsid != d->t[i].nsid)
				continue;
			if (n == 3 * DISC_TOUCHES)
				return -ESTALE;
			v[n++] = d->w.v[j].ifindex;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), int_cmp);
	*out = n;
	return 0;
}

static int disc_events(struct icc_disc *d, struct icc_diags *warn)
{
	int v[3 * DISC_TOUCHES];
	size_t n = 0;
	int ret = self_nsid(&d->c) == d->self_nsid ? 0 : -ESTALE;

	d->c.warn = warn;
	if (ret == 0 && d->host)
		ret = host_check(d);
	if (ret == 0)
		ret = touched_ports(d, v, &n);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (i && v[i] == v[i - 1])
			continue;
		ret = port_again(d, v[i]);
		cands_unpin(&d->c);
	}
	d->nt = 0;
	d->host = false;
	return ret;
}

int disc_run(struct icc_disc *d, const struct icc_policy *p,
	     struct icc_world *w, bool *full, struct icc_diags *warn)
{
	int ret = -ESTALE;

	*full = d->full || p != d->p || mono_ms() - d->full_at >= DISC_FULL_MS;
	if (!*full)
		ret = disc_events(d, warn);
	if (ret == -ESTALE) {
		*full = true;
		ret = disc_full(d, p, warn);
	}
	if (ret < 0) {
		d->full = true;
		return ret;
	}
	*w = d->w;
	w->claims = NULL;	/* the copy's own, freed with it */
	w->borrowed = true;
	w->host = d->c.host.v;
	w->nhost = d->c.host.n;
	w->host6 = d->c.host6.v;
	w->nhost6 = d->c.host6.n;
	return 0;
}
