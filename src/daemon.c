// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * icc-policyd's event loop: epoll over link events, nf_tables events,
 * signals and the control socket. Every event only marks the state dirty;
 * once the queues are drained, one reconcile (the same plan as
 * `icc-policy apply`) makes the kernel match, and its transaction carries
 * only the set elements that changed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <systemd/sd-daemon.h>

#include "daemon.h"
#include "log.h"
#include "icc/ctl.h"
#include "icc/droplog.h"
#include "icc/plan.h"
#include "icc/relay.h"

#define RETRY_MS	200	/* after a failed reconcile, doubling ... */
#define RETRY_MAX_MS	5000	/* ... up to this, so a lasting fault is not a log flood */
/*
 * Between two reconciles at least as long as the last one took of our
 * processor: an event is handled at once, but a container that loops on
 * its own addresses can keep our CPU busy half the time at most, whatever
 * the size of the host. Processor time, not wall time: a SIGSTOP in the
 * middle of one (or a machine too busy to run us) once held the next back
 * for as long as we were stopped, seconds of a stale ruleset after a
 * resume. Never more than RETRY_MAX_MS, so even a huge host is looked at
 * that often.
 */
/*
 * While a port on a managed bridge is unknown, look again after this,
 * doubling up to RETRY_MAX_MS: Docker writes a container's state file
 * (State.Running) after its veth and address appear, and a file change
 * makes no netlink event.
 */
#define RESCAN_MS	100

/* A port as logged: its member_print() line, and of which look. */
struct seen {
	char *line;
	uint64_t seq;			/* icc_member.seq */
};

struct daemon {
	const struct daemon_opts *o;
	struct icc_policy *p;
	struct icc_nft *nft;
	struct link_watch *links;
	struct nft_watch *tables;
	struct state_watch *files;	/* NULL when nobody is named */
	struct relay *relay;		/* [::1] publishes */
	struct drop_watch *drops;	/* NULL: drop logging off */
	int epfd, sigfd, ctlfd;
	bool dirty, stop;
	struct nft_change tamper;	/* a foreign change to report, pid 0: none */
	struct seen *seen;		/* the ports of the last reconcile */
	size_t nseen;
	struct timespec since;		/* first event of the pending reconcile */
	int retry_ms;			/* wait before the next try after a failure */
	int64_t not_before;		/* no reconcile before this (monotonic ms) */
	int64_t rescan_at;		/* look again then (0: no port unknown) */
	int rescan_ms;
	size_t unknown;			/* ports nobody in the policy is */
	struct icc_ruleset *last;	/* what our last reconcile made live */
	struct icc_disc *disc;		/* discovery kept between events */
	struct icc_ruleset *dyn;	/* last's compile_dynamic() part, or NULL */
	struct icc_binding *bind;	/* last's addresses (drop log names) */
};

static int watch(struct daemon *d, int fd);
static int files_watch(struct daemon *d);

static double ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t->tv_nsec) / 1e6;
}

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Processor time of this thread in microseconds: what a reconcile cost us
 * (see above). Without the clock, 0: no wait. */
static int64_t cpu_us(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t) < 0)
		return 0;
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void mark_dirty(struct daemon *d)
{
	if (!d->dirty)
		clock_gettime(CLOCK_MONOTONIC, &d->since);
	d->dirty = true;
}

static int load(const char *config, struct icc_policy **out)
{
	struct icc_diags diags = { 0 };
	int ret = policy_load(config, out, &diags);

	diags_sort(&diags);
	log_diags(LOG_ERR, &diags);
	diags_free(&diags);
	return ret;
}

static void seen_free(struct daemon *d)
{
	for (size_t i = 0; i < d->nseen; i++)
		free(d->seen[i].line);
	free(d->seen);
	d->seen = NULL;
	d->nseen = 0;
}

static int seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct seen *)a)->line,
		      ((const struct seen *)b)->line);
}

/* m's line; NULL when out of memory (only the log of ports suffers). */
static char *member_line(const struct icc_policy *p, const struct icc_member *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	member_print(f, p, m);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Whether line is the line of port ifname ("port IFNAME ..."). */
static bool line_of_port(const char *line, const char *ifname)
{
	size_t n = strlen(ifname);

	return !strncmp(line + 5, ifname, n) && line[5 + n] == ' ';
}

/*
 * The ports as lines: a port discovery did not look at again since the
 * last reconcile (the same seq) keeps its line, so an event formats only
 * the ports it changed, not the thousand that run. Both lists go by
 * interface name (disc_run()'s order), which is the lines' order too.
 */
static size_t world_lines(const struct daemon *d, const struct icc_plan *pl,
			  struct seen **out)
{
	const struct icc_world *w = &pl->world;
	struct seen *v = calloc(w->n + 1, sizeof(*v));
	size_t n = 0, j = 0;

	for (size_t i = 0; v && i < w->n; i++) {
		const struct icc_member *m = &w->v[i];

		while (j < d->nseen && strcmp(d->seen[j].line + 5, m->ifname) < 0)
			j++;
		if (j < d->nseen && d->seen[j].seq == m->seq &&
		    line_of_port(d->seen[j].line, m->ifname))
			v[n] = d->seen[j];	/* shared until log_ports() */
		else if (!(v[n].line = member_line(pl->p, m)))
			continue;
		v[n++].seq = m->seq;
	}
	for (size_t i = 1; i < n; i++)
		if (strcmp(v[i - 1].line, v[i].line) > 0) {
			qsort(v, n, sizeof(*v), seen_cmp);
			break;
		}
	*out = v;
	return v ? n : 0;
}

/* What came and went since the last reconcile: a merge of sorted lines. */
static void log_ports(struct daemon *d, const struct icc_plan *pl)
{
	struct seen *now = NULL;
	size_t n = world_lines(d, pl, &now), i = 0, j = 0;

	if (!now)
		return;		/* out of memory: the old list stays */
	while (i < d->nseen || j < n) {
		char *a = i < d->nseen ? d->seen[i].line : NULL;
		int c = !a ? 1 : j == n ? -1 :
			a == now[j].line ? 0 : strcmp(a, now[j].line);

		if (c > 0) {
			log_info("+ %s", now[j++].line);
			continue;
		}
		if (c < 0)
			log_info("- %s", a);
		/* a goes, unless the new list shares it */
		if (c < 0 || a != now[j].line)
			free(a);
		j += c == 0;
		i++;
	}
	free(d->seen);
	d->seen = now;
	d->nseen = n;
}

/*
 * Whether the live table differed from what we last made live: a foreign
 * commit (Docker's own rules, say) with our containers changing at the
 * same moment is not tampering with our table.
 */
static bool tampered(const struct daemon *d, const struct icc_plan *pl)
{
	struct icc_diff dd;
	bool changed;

	if (!d->tamper.pid || !d->last || !pl->live)
		return d->tamper.pid != 0;
	if (diff_compute(d->last, pl->live, &dd) < 0)
		return true;
	changed = diff_count(&dd) > 0;
	diff_free(&dd);
	return changed;
}

static void log_result(struct daemon *d, const struct icc_plan *pl, bool tamper)
{
	size_t n = diff_count(&pl->diff);

	if (tamper && n)
		log_warn("tables inet/bridge %s were changed by pid %d (%s); restored them (%zu change%s)",
			 ICC_TABLE, d->tamper.pid, d->tamper.comm, n, n == 1 ? "" : "s");
	else if (n)
		log_info("applied %zu change%s in %.2f ms", n, n == 1 ? "" : "s",
			 ms_since(&d->since));
	if (pl->knobs.n) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		if (!f)
			return;
		kernel_knobs_print(f, &pl->knobs, "set ");
		fclose(f);
		log_text(LOG_INFO, buf);
		free(buf);
	}
}

/* Connections of links or containers that are gone end now. */
static void cut_connections(struct icc_plan *pl, const struct icc_ruleset *after)
{
	size_t n;
	int ret = plan_revoke(pl, after, &n);

	if (ret < 0)
		log_err("cutting the connections of removed links failed: %s",
			strerror(-ret));
	else if (n)
		log_info("cut %zu connection%s the policy no longer allows", n,
			 n == 1 ? "" : "s");
}

/*
 * Between events, only the part of the ruleset that running containers
 * change (compile_dynamic()) is compiled and diffed against the same part
 * of our last reconcile, while the generation says that nobody else
 * committed since. -ESTALE: not possible now, make the whole plan.
 */
static int plan_part(struct daemon *d, struct icc_plan *pl,
		     struct icc_diags *notes, struct icc_diags *warn,
		     struct icc_diags *err)
{
	int ret = plan_want_part(pl, d->p, d->disc, notes, warn, err);

	if (ret == 0)
		ret = plan_diff_part(pl, d->nft, d->dyn);
	if (ret == 0)
		ret = plan_commit(pl, d->nft, err);
	return ret;
}

static int plan_whole(struct daemon *d, struct icc_plan *pl, bool *tamper,
		      struct icc_diags *notes, struct icc_diags *warn,
		      struct icc_diags *err)
{
	int ret = plan_want(pl, d->p, d->disc, notes, warn, err);

	if (ret == 0)
		ret = plan_diff(pl, d->nft);
	if (ret == 0) {
		*tamper = tampered(d, pl);
		ret = plan_commit(pl, d->nft, err);
	}
	return ret;
}

/* After a partial commit: the whole we made live, as it now is. */
static void patch_last(struct daemon *d, const struct icc_plan *pl)
{
	if (d->last && ruleset_patch(d->last, &pl->diff) < 0) {
		ruleset_free(d->last);
		d->last = NULL;
	}
}

/* What the next reconcile compares with: the whole, and its part. */
static void remember(struct daemon *d, struct icc_plan *pl)
{
	struct icc_diags none = { 0 };

	if (pl->partial) {
		ruleset_free(d->dyn);
		d->dyn = pl->want;
		pl->want = NULL;
		return;
	}
	ruleset_free(d->last);
	d->last = pl->want;
	pl->want = NULL;
	ruleset_free(d->dyn);
	d->dyn = NULL;
	if (compile_dynamic(d->p, pl->bind, &d->dyn) < 0 ||
	    world_ports(d->p, &pl->world, d->dyn, &none) < 0) {
		ruleset_free(d->dyn);
		d->dyn = NULL;	/* the whole plan next time too */
	}
	diags_free(&none);
}

/* Before the policy goes: the addresses are counted by its containers. */
static void binds_drop(struct daemon *d)
{
	if (d->drops)
		drop_watch_names(d->drops, NULL, NULL);
	if (d->p)
		bindings_free(d->bind, d->p->ncontainers);
	d->bind = NULL;
}

static void forget(struct daemon *d)
{
	ruleset_free(d->dyn);
	d->dyn = NULL;
	disc_resync(d->disc);	/* look at everything next time */
}

static int plan_run(struct daemon *d, struct icc_plan *pl, bool *tamper,
		    struct icc_diags *notes, struct icc_diags *warn,
		    struct icc_diags *err)
{
	int ret;

	/*
	 * Without the state folders' watch nothing tells us of a renamed
	 * container or a removed netns name: kept identities are not to be
	 * trusted, so every reconcile looks at everything.
	 */
	if (!d->files)
		disc_resync(d->disc);
	ret = d->dyn ? plan_part(d, pl, notes, warn, err) : -ESTALE;

	if (ret == -ESTALE) {
		plan_free(pl);
		diags_free(notes);
		diags_free(warn);
		diags_free(err);
		ret = plan_whole(d, pl, tamper, notes, warn, err);
	}
	if (ret == 0 && pl->full)
		log_debug("looked at every port of the managed bridges");
	return ret;
}

/* What verify() polls: news there may make it see a newer world than ours. */
static struct pollfd *quiet_fds(struct daemon *d)
{
	static struct pollfd f[2];

	f[0] = (struct pollfd){ .fd = link_watch_fd(d->links), .events = POLLIN };
	f[1] = (struct pollfd){ .fd = d->files ? state_watch_fd(d->files) : -1,
				.events = POLLIN };
	return f;
}

/* Makes the kernel match the policy and the containers running now. */
static int reconcile(struct daemon *d)
{
	struct icc_diags notes = { 0 }, warn = { 0 }, err = { 0 };
	struct icc_plan pl = { 0 };
	bool tamper = false;
	int ret = plan_run(d, &pl, &tamper, &notes, &warn, &err);

	if (ret == 0 && pl.partial)
		patch_last(d, &pl);
	if (ret == 0)
		cut_connections(&pl, d->last);
	if (ret == 0)
		ret = plan_knobs(&pl, &err);
	if (ret == 0)
		ret = relay_update(d->relay, d->p, pl.bind, &warn);
	log_diags(LOG_DEBUG, &notes);
	log_diags(LOG_WARNING, &warn);
	log_diags(LOG_ERR, &err);
	if (ret == 0) {
		log_ports(d, &pl);
		log_result(d, &pl, tamper);

		d->dirty = false;
		d->tamper.pid = 0;
		d->retry_ms = RETRY_MS;
		d->unknown = 0;
		for (size_t i = 0; i < pl.world.n; i++)
			d->unknown += !pl.world.v[i].ncontainers;
		if (d->o->verify && pl.partial)
			verify(d->p, d->nft, quiet_fds(d));
		if (pl.full && d->files)
			state_watch_names(d->files, d->p->paths.netns,
					  d->p->paths.docker_netns);
		remember(d, &pl);
		bindings_free(d->bind, d->p->ncontainers);
		d->bind = pl.bind;
		pl.bind = NULL;
		if (d->drops)
			drop_watch_names(d->drops, d->p, d->bind);
	} else {
		/*
		 * Failed before a diff (discovery interrupted, say): nothing was
		 * sent, what we made live stands, and the next short way checks
		 * the generation anyway. Only look at every port again: the
		 * whole plan would read the whole ruleset, at 10,000 containers
		 * 3 MB more at the daemon's peak.
		 */
		if (pl.have_diff)
			forget(d);
		else
			disc_resync(d->disc);
		/* a publish the policy dropped goes even so */
		relay_prune(d->relay, d->p);
		if (ret == -EEXIST)
			log_err("table inet %s or bridge %s exists but was not made "
				"by icc-policy; not touching it", ICC_TABLE, ICC_TABLE);
		else
			log_err("reconcile failed: %s; retrying in %d ms",
				strerror(-ret), d->retry_ms);
	}
	plan_free(&pl);
	diags_free(&notes);
	diags_free(&warn);
	diags_free(&err);
	return ret;
}

/* SIGHUP or a control request: a bad policy leaves the old one in force. */
static int reload(struct daemon *d)
{
	struct icc_policy *np = NULL;

	sd_notify(0, "RELOADING=1");
	if (load(d->o->config, &np) < 0) {
		log_err("reload refused: %s has problems; the policy in force stays",
			d->o->config);
		sd_notify(0, "READY=1");
		return -EINVAL;
	}
	binds_drop(d);
	policy_free(d->p);
	d->p = np;
	forget(d);
	log_info("reloaded %s", d->o->config);
	if (files_watch(d) < 0)
		log_warn("cannot watch the container state folders; every event now looks at every port");
	mark_dirty(d);
	sd_notify(0, "READY=1");
	return 0;
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			reload(d);
		else
			d->stop = true;
	}
}

/* Only root may steer the daemon (the socket is reachable by anyone). */
static bool peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	       cr.uid == 0;
}

/* How long epoll may sleep: until the next reconcile or rescan is due. */
static int sleep_ms(const struct daemon *d, int64_t now)
{
	int64_t due = d->dirty ? d->not_before : d->rescan_at;

	if (!d->dirty && !d->rescan_at)
		return -1;
	return due <= now ? 0 : (int)(due - now);
}

/*
 * After a reconcile that began at cpu_us() cpu0: when the next one may
 * run, and when to look again.
 */
static void schedule(struct daemon *d, int ret, int64_t cpu0)
{
	int64_t now = now_ms(), took = (cpu_us() - cpu0 + 999) / 1000;

	if (ret < 0) {
		d->not_before = now + d->retry_ms;
		d->retry_ms = d->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
			      d->retry_ms * 2;
		return;
	}
	d->not_before = now + (took < RETRY_MAX_MS ? took : RETRY_MAX_MS);
	d->rescan_at = 0;
	if (d->unknown) {
		d->rescan_at = now + d->rescan_ms;
		d->rescan_ms = d->rescan_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS :
			       d->rescan_ms * 2;
	}
}

/* One control request; the answer's first line is "ok" or "error". */
static const char *ctl_answer(struct daemon *d, const char *req)
{
	int64_t cpu0;
	int ret;

	if (!strcmp(req, "ping\n"))
		return "ok\n";
	if (strcmp(req, "reload\n"))
		return "error\nunknown request\n";
	if (reload(d) < 0)
		return "error\nreload refused: the policy has problems; see the daemon's log\n";
	/* Answer only once the reloaded policy is live. */
	cpu0 = cpu_us();
	ret = reconcile(d);
	schedule(d, ret, cpu0);
	return ret < 0 ? "error\nreloaded, but the ruleset could not be made live; see the daemon's log\n" :
	       "ok\n";
}

static void on_ctl(struct daemon *d)
{
	char req[64], out[4200];
	const char *ans;
	ssize_t n;
	int fd;

	while ((fd = accept4(d->ctlfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		/* Only root may steer us; others are dropped before they can
		 * make us wait for their request. */
		struct timeval tv = { 0, 200000 };

		if (!peer_is_root(fd)) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		n = recv(fd, req, sizeof(req) - 1, 0);
		req[n > 0 ? n : 0] = '\0';
		ans = ctl_answer(d, req);
		snprintf(out, sizeof(out), "%s%s\n", ans,
			 strcmp(ans, "ok\n") ? "" : d->o->config);
		send(fd, out, strlen(out), MSG_NOSIGNAL);
		close(fd);
	}
}

static void on_links(struct daemon *d)
{
	int ret = link_watch_read(d->links, d->disc);

	if (ret == -ENOBUFS)
		log_warn("link events were lost (receive buffer full); full resync");
	else if (ret < 0)
		log_err("link events: %s", strerror(-ret));
	if (ret < 0)
		disc_resync(d->disc);
	if (ret != 0) {
		mark_dirty(d);
		d->rescan_ms = RESCAN_MS;	/* something moved: look soon */
	}
}

static void on_tables(struct daemon *d)
{
	struct nft_change c;
	int ret = nft_watch_read(d->tables, getpid(), &c);

	if (ret < 0) {
		if (ret != -ENOBUFS)
			log_err("nf_tables events: %s", strerror(-ret));
		mark_dirty(d);	/* cannot tell who: check */
		return;
	}
	if (ret == 0)
		return;
	log_debug("ruleset generation %u committed by pid %d (%s)", c.genid,
		  c.pid, c.comm);
	/*
	 * `icc-policy apply` changed the rules: the admin applying an edited
	 * policy, which we adopt by reloading the file rather than undo. A
	 * process that only calls itself that gains nothing: the file is
	 * still what we enforce.
	 */
	if (!strcmp(c.comm, "icc-policy")) {
		log_info("icc-policy (pid %d) changed the ruleset; reloading the policy",
			 c.pid);
		reload(d);
	} else {
		d->tamper = c;
	}
	mark_dirty(d);
}

static void on_files(struct daemon *d)
{
	int ret = state_watch_read(d->files, d->p->paths.docker, d->p->paths.lxc);

	if (ret < 0)
		log_err("state file events: %s", strerror(-ret));
	if (ret == 0)
		return;
	log_debug("container state files changed");
	disc_resync(d->disc);	/* no event says which container */
	mark_dirty(d);
	d->rescan_ms = RESCAN_MS;
}

/*
 * The state folders of the policy in force. A reload may name others:
 * the watch is made again. Without named containers nothing is watched.
 */
static int files_watch(struct daemon *d)
{
	bool named = false;
	int ret;

	for (size_t i = 0; i < d->p->ncontainers; i++)
		named |= d->p->containers[i].ident != ICC_ID_IP;
	if (d->files)
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, state_watch_fd(d->files), NULL);
	state_watch_close(d->files);
	d->files = NULL;
	if (!named)
		return 0;
	if ((ret = state_watch_open(&d->files, d->p->paths.docker, d->p->paths.lxc)) < 0)
		return ret;
	return watch(d, state_watch_fd(d->files));
}

static int watch(struct daemon *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* Not fatal: the firewall works the same without its log. */
static void drops_open(struct daemon *d)
{
	int ret;

	if (d->o->no_drop_log)
		return;
	ret = drop_watch_open(&d->drops);
	if (ret == -EBUSY)
		log_warn("NFLOG group %d is held by another listener (ulogd?); "
			 "drops are not logged", ICC_LOG_GROUP);
	else if (ret < 0)
		log_warn("cannot listen to NFLOG group %d: %s; drops are not logged",
			 ICC_LOG_GROUP, strerror(-ret));
	if (ret == 0 && watch(d, drop_watch_fd(d->drops)) < 0) {
		log_warn("cannot watch the drop log: %s; drops are not logged",
			 strerror(errno));
		drop_watch_close(d->drops);
		d->drops = NULL;
	}
}

static int open_all(struct daemon *d)
{
	struct ucred holder = { 0, 0, 0 };
	sigset_t mask;
	int ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->epfd < 0)
		return -errno;
	/* Watch first, then reconcile: nothing happens unseen in between. */
	if ((ret = disc_new(&d->disc)) < 0 ||
	    (ret = link_watch_open(&d->links, d->o->rcvbuf)) < 0 ||
	    (ret = nft_watch_open(&d->tables)) < 0 ||
	    (ret = nft_open(&d->nft)) < 0 || (ret = relay_open(&d->relay)) < 0)
		return ret;
	/* A reconcile per event: no dump while nobody else has committed. */
	nft_set_cache(d->nft, ICC_CACHE_MEMORY);
	d->ctlfd = ctl_listen(&holder);
	if (d->ctlfd == -EADDRINUSE && holder.pid && holder.uid != 0)
		log_err("@%s is held by pid %d of uid %u, not by root: refusing to start",
			ICC_CTL_NAME, holder.pid, holder.uid);
	if (d->ctlfd < 0)
		return d->ctlfd == -EADDRINUSE ? -EALREADY : d->ctlfd;
	if ((ret = watch(d, d->sigfd)) < 0 || (ret = watch(d, d->ctlfd)) < 0 ||
	    (ret = watch(d, link_watch_fd(d->links))) < 0 ||
	    (ret = watch(d, nft_watch_fd(d->tables))) < 0 ||
	    (ret = watch(d, relay_fd(d->relay))) < 0 ||
	    (ret = files_watch(d)) < 0)
		return ret;
	drops_open(d);
	return 0;
}

static void close_all(struct daemon *d)
{
	link_watch_close(d->links);
	nft_watch_close(d->tables);
	state_watch_close(d->files);
	relay_close(d->relay);
	drop_watch_close(d->drops);
	d->drops = NULL;
	nft_close(d->nft);
	disc_free(d->disc);
	if (d->ctlfd >= 0)
		close(d->ctlfd);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->epfd >= 0)
		close(d->epfd);
	binds_drop(d);
	policy_free(d->p);
	ruleset_free(d->last);
	ruleset_free(d->dyn);
	seen_free(d);
}

static void dispatch(struct daemon *d, int fd)
{
	if (fd == d->sigfd)
		on_signal(d);
	else if (fd == d->ctlfd)
		on_ctl(d);
	else if (fd == link_watch_fd(d->links))
		on_links(d);
	else if (d->files && fd == state_watch_fd(d->files))
		on_files(d);
	else if (fd == relay_fd(d->relay))
		relay_dispatch(d->relay);
	else if (d->drops && fd == drop_watch_fd(d->drops))
		drop_watch_read(d->drops, now_ms());
	else
		on_tables(d);
}

static void loop(struct daemon *d)
{
	struct epoll_event ev[8];

	while (!d->stop) {
		int64_t now = now_ms();
		int n = epoll_wait(d->epfd, ev, 8, sleep_ms(d, now));

		if (n < 0 && errno != EINTR) {
			log_err("epoll: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch(d, ev[i].data.fd);
		now = now_ms();
		if (!d->dirty && d->rescan_at && now >= d->rescan_at) {
			disc_resync(d->disc);	/* state files say who, late */
			mark_dirty(d);
		}
		/* Only once every queue is empty: one reconcile per burst. */
		if (d->dirty && !d->stop && now >= d->not_before) {
			int64_t cpu0 = cpu_us();

			schedule(d, reconcile(d), cpu0);
		}
	}
}

/* Tells the parent that forked us (see icc-policyd.c) that we run. */
static void ready(const struct daemon_opts *o)
{
	int null;

	if (o->ready_fd < 0)
		return;
	if (write(o->ready_fd, "1", 1) < 0)
		log_warn("cannot tell the parent we started: %s", strerror(errno));
	close(o->ready_fd);
	log_detach();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

int daemon_run(const struct daemon_opts *o)
{
	struct daemon d = { .o = o, .epfd = -1, .sigfd = -1, .ctlfd = -1,
			    .retry_ms = RETRY_MS, .rescan_ms = RESCAN_MS };
	int64_t cpu0;
	int ret;

	log_open("icc-policyd", o->foreground, o->verbose);
	if (load(o->config, &d.p) < 0) {
		log_err("%s has problems; not starting", o->config);
		return 1;
	}
	ret = open_all(&d);
	if (ret == -EALREADY)
		log_err("another icc-policyd already guards this network namespace");
	else if (ret < 0)
		log_err("cannot start: %s", strerror(-ret));
	if (ret < 0) {
		close_all(&d);
		return 1;
	}
	mark_dirty(&d);
	cpu0 = cpu_us();
	ret = reconcile(&d);
	/* Other failures are retried in the loop; this one is not ours to fix. */
	if (ret == -EEXIST) {
		close_all(&d);
		return 1;
	}
	schedule(&d, ret, cpu0);
	/*
	 * That reconcile made the whole ruleset: no event caused it, and the
	 * events that queued meanwhile (our own bridge flags among them) are
	 * handled at once, not after as long again.
	 */
	if (ret == 0)
		d.not_before = 0;
	log_info("started: policy %s, %zu bridge%s, %zu container%s, drop log %s",
		 o->config, d.p->nbridges, d.p->nbridges == 1 ? "" : "s",
		 d.p->ncontainers, d.p->ncontainers == 1 ? "" : "s",
		 d.drops ? "on" : "off");
	sd_notify(0, "READY=1");
	ready(o);
	loop(&d);
	sd_notify(0, "STOPPING=1");
	log_info("stopping; the rules stay in force");
	close_all(&d);
	return 0;
}
