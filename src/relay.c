// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The [::1] relay of icc-policyd (include/icc/relay.h). The kernel will
 * not route a packet DNATed from ::1 out of a bridge (IPv6 has no
 * route_localnet), so a loopback publish on [::1] is a userland relay,
 * as Docker's userland proxy does: one listener per publish, and for
 * each client a connection (TCP) or a connected socket (UDP) to the
 * container's lowest IPv6 address. Everything is non-blocking, on one
 * epoll of its own that the daemon's loop watches.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "icc/relay.h"

#define BUF_LEN		65536
#define UDP_IDLE_MS	60000	/* a UDP client silent this long is forgotten */
#define UDP_MAX		256	/* UDP clients per publish at once */
#define TCP_MAX		256	/* TCP connections per publish at once */

struct listener;

/* One direction of a TCP connection: bytes read from one end for the other. */
struct pipe {
	char *buf;
	size_t len, off;
	bool eof;		/* the reading end closed; shut the writer once empty */
};

/* What an epoll entry is: a listener, or one end of a connection. */
enum end_kind { END_LISTEN, END_CLIENT, END_UPSTREAM };

struct end {
	enum end_kind kind;
	struct conn *c;		/* END_CLIENT, END_UPSTREAM */
	struct listener *l;	/* END_LISTEN */
};

struct conn {
	struct listener *l;
	int fd[2];		/* client, upstream */
	struct end end[2];
	struct pipe p[2];	/* p[0]: client -> upstream, p[1]: back */
	bool connecting;	/* TCP: the upstream connect is under way */
	struct sockaddr_in6 peer;	/* UDP: the client */
	int64_t last;		/* UDP: last datagram (ms) */
	struct conn *next;
};

struct listener {
	struct relay *r;
	uint8_t proto;
	uint16_t port;			/* on [::1] */
	struct sockaddr_in6 target;
	int fd;
	struct end end;
	struct conn *conns;
	size_t nconns;
	bool paused;			/* out of fds or at TCP_MAX: not accepting */
	bool keep;			/* marked by relay_update */
	struct listener *next;
};

struct relay {
	int epfd;
	struct listener *ls;
};

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int ep(struct relay *r, int op, int fd, uint32_t events, struct end *e)
{
	struct epoll_event ev = { .events = events, .data.ptr = e };

	return epoll_ctl(r->epfd, op, fd, &ev) < 0 ? -errno : 0;
}

int relay_open(struct relay **out)
{
	struct relay *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0) {
		free(r);
		return -errno;
	}
	*out = r;
	return 0;
}

int relay_fd(const struct relay *r)
{
	return r->epfd;
}

static void conn_free(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0 && (c->l->proto == IPPROTO_TCP || i == 1))
			close(c->fd[i]);	/* a UDP client shares the listener */
		free(c->p[i].buf);
	}
	free(c);
}

/* A listener that cannot take a connection now stops being watched
 * (level-triggered, it would wake us forever) until one ends. */
static void listener_pause(struct listener *l, bool pause)
{
	if (l->paused == pause)
		return;
	l->paused = pause;
	ep(l->r, EPOLL_CTL_MOD, l->fd, pause ? 0 : EPOLLIN, &l->end);
}

/* Unlinks and frees c (its fds leave the epoll as they close). */
static void conn_drop(struct conn *c)
{
	struct listener *l = c->l;
	struct conn **pp = &l->conns;

	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	l->nconns--;
	conn_free(c);
	listener_pause(l, false);
}

static void listener_free(struct listener *l)
{
	while (l->conns)
		conn_drop(l->conns);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
}

void relay_close(struct relay *r)
{
	if (!r)
		return;
	while (r->ls) {
		struct listener *l = r->ls;

		r->ls = l->next;
		listener_free(l);
	}
	close(r->epfd);
	free(r);
}

/* ------------------------------------------------------------------ TCP */

/* What each end waits for: to read while its pipe has room, to write
 * while the other pipe has bytes (or a connect to complete). */
static void tcp_arm(struct conn *c)
{
	for (int i = 0; i < 2; i++) {
		uint32_t ev = 0;

		/* nothing is read before the upstream connect completes */
		if (!c->p[i].eof && !c->p[i].len && !c->connecting)
			ev |= EPOLLIN;
		if (c->p[!i].len || (c->connecting && i == 1))
			ev |= EPOLLOUT;
		ep(c->l->r, EPOLL_CTL_MOD, c->fd[i], ev, &c->end[i]);
	}
}

/* Moves bytes along pipe i (from fd[i] to fd[!i]); false when done or broken. */
static bool tcp_pump(struct conn *c, int i)
{
	struct pipe *p = &c->p[i];
	ssize_t n;

	if (!p->len && !p->eof) {
		n = read(c->fd[i], p->buf, BUF_LEN);
		if (n == 0)
			p->eof = true;
		else if (n > 0)
			p->len = (size_t)n, p->off = 0;
		else if (errno != EAGAIN && errno != EINTR)
			return false;
	}
	if (p->len) {
		n = send(c->fd[!i], p->buf + p->off, p->len, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return false;
		if (n > 0)
			p->off += (size_t)n, p->len -= (size_t)n;
	}
	if (p->eof && !p->len)
		shutdown(c->fd[!i], SHUT_WR);
	return true;
}

static void tcp_event(struct conn *c, int i, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);
	bool ok = !(events & EPOLLERR);

	if (ok && c->connecting) {
		if (i == 0)
			return;		/* the client waits for the connect */
		/* the container refused or is gone: the client sees a close */
		ok = getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) == 0 && !err;
		c->connecting = false;
	}
	ok = ok && tcp_pump(c, 0) && tcp_pump(c, 1);
	if (!ok || (c->p[0].eof && c->p[1].eof && !c->p[0].len && !c->p[1].len)) {
		conn_drop(c);
		return;
	}
	tcp_arm(c);
}

static struct conn *conn_new(struct listener *l, int client, int upstream)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->l = l;
	c->fd[0] = client;
	c->fd[1] = upstream;
	for (int i = 0; i < 2; i++) {
		c->end[i] = (struct end){ i ? END_UPSTREAM : END_CLIENT, c, l };
		if (l->proto == IPPROTO_TCP && !(c->p[i].buf = malloc(BUF_LEN))) {
			free(c->p[0].buf);
			free(c);
			return NULL;
		}
	}
	c->next = l->conns;
	l->conns = c;
	l->nconns++;
	return c;
}

static void tcp_accept(struct listener *l)
{
	int cl = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), up;
	struct conn *c;

	if (cl < 0) {
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM)
			listener_pause(l, true);
		return;
	}
	if (l->nconns + 1 >= TCP_MAX)
		listener_pause(l, true);	/* this one is the last for now */
	up = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0 || (connect(up, (struct sockaddr *)&l->target, sizeof(l->target)) < 0 &&
		       errno != EINPROGRESS) || !(c = conn_new(l, cl, up))) {
		close(cl);
		if (up >= 0)
			close(up);
		return;
	}
	c->connecting = true;
	if (ep(l->r, EPOLL_CTL_ADD, cl, 0, &c->end[0]) < 0 ||
	    ep(l->r, EPOLL_CTL_ADD, up, 0, &c->end[1]) < 0) {
		conn_drop(c);
		return;
	}
	tcp_arm(c);
}

/* ------------------------------------------------------------------ UDP */

static void udp_expire(struct listener *l, int64_t now)
{
	struct conn *c = l->conns, *next;

	for (; c; c = next) {
		next = c->next;
		if (now - c->last > UDP_IDLE_MS)
			conn_drop(c);
	}
}

static struct conn *udp_session(struct listener *l, const struct sockaddr_in6 *from)
{
	struct conn *c;
	int up;

	for (c = l->conns; c; c = c->next)
		if (!memcmp(&c->peer, from, sizeof(*from)))
			return c;
	if (l->nconns >= UDP_MAX)
		return NULL;
	up = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (up < 0)
		return NULL;
	if (connect(up, (struct sockaddr *)&l->target, sizeof(l->target)) < 0 ||
	    !(c = conn_new(l, l->fd, up))) {
		close(up);
		return NULL;
	}
	c->peer = *from;
	if (ep(l->r, EPOLL_CTL_ADD, up, EPOLLIN, &c->end[1]) < 0) {
		conn_drop(c);
		return NULL;
	}
	return c;
}

static void udp_in(struct listener *l)
{
	char buf[BUF_LEN];
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);
	ssize_t n = recvfrom(l->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
	struct conn *c;

	udp_expire(l, mono_ms());
	if (n < 0 || !(c = udp_session(l, &from)))
		return;
	c->last = mono_ms();
	send(c->fd[1], buf, (size_t)n, 0);
}

static void udp_back(struct conn *c)
{
	char buf[BUF_LEN];
	ssize_t n = recv(c->fd[1], buf, sizeof(buf), 0);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		conn_drop(c);
		return;
	}
	if (n >= 0) {
		c->last = mono_ms();
		sendto(c->l->fd, buf, (size_t)n, 0, (struct sockaddr *)&c->peer,
		       sizeof(c->peer));
	}
}

/* -------------------------------------------------------------- dispatch */

/*
 * One event at a time: handling one may free the connection another
 * event points to. The epoll is level-triggered, so the rest wait for
 * the next call.
 */
void relay_dispatch(struct relay *r)
{
	struct epoll_event ev;
	struct end *e;

	if (epoll_wait(r->epfd, &ev, 1, 0) != 1)
		return;
	e = ev.data.ptr;
	if (e->kind == END_LISTEN && e->l->proto == IPPROTO_TCP)
		tcp_accept(e->l);
	else if (e->kind == END_LISTEN)
		udp_in(e->l);
	else if (e->c->l->proto == IPPROTO_UDP)
		udp_back(e->c);
	else
		tcp_event(e->c, e->kind == END_UPSTREAM, ev.events);
}

/* --------------------------------------------------------------- update */

static int listen_on(struct listener *l)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(l->port),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int tcp = l->proto == IPPROTO_TCP, one = 1;

	l->fd = socket(AF_INET6, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l->fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (tcp && listen(l->fd, 128) < 0))
		return -errno;
	l->end = (struct end){ END_LISTEN, NULL, l };
	return ep(l->r, EPOLL_CTL_ADD, l->fd, EPOLLIN, &l->end);
}

static struct listener *listener_find(struct relay *r, uint8_t proto, uint16_t port)
{
	for (struct listener *l = r->ls; l; l = l->next)
		if (l->proto == proto && l->port == port)
			return l;
	return NULL;
}

/* The container's lowest IPv6 address, or NULL when it has none now. */
static const struct in6_addr *target_of(const struct icc_policy *p,
					const struct icc_binding *bind, unsigned i)
{
	const struct icc_container *ct = &p->containers[i];

	if (ct->ident == ICC_ID_IP)
		return ct->has_ip6 ? &ct->ip6 : NULL;
	return bind && bind[i].n6 ? &bind[i].addrs6[0] : NULL;
}

static int relay_one(struct relay *r, const struct icc_policy *p,
		     const struct icc_publish *pb, const struct in6_addr *to,
		     struct icc_diags *warn)
{
	struct listener *l = listener_find(r, pb->proto, pb->host_port);
	struct sockaddr_in6 t = { .sin6_family = AF_INET6, .sin6_port = htons(pb->port),
				  .sin6_addr = *to };
	int ret;

	if (l && memcmp(&l->target, &t, sizeof(t))) {
		/* the container moved: its clients' connections end with it */
		while (l->conns)
			conn_drop(l->conns);
	}
	if (!l) {
		if (!(l = calloc(1, sizeof(*l))))
			return -ENOMEM;
		l->r = r;
		l->proto = pb->proto;
		l->port = pb->host_port;
		if ((ret = listen_on(l)) < 0) {
			diags_add(warn, p->file, pb->line, "cannot listen on [::1]:%u: %s",
				  pb->host_port, strerror(-ret));
			listener_free(l);
			return 0;
		}
		l->next = r->ls;
		r->ls = l;
	}
	l->target = t;
	l->keep = true;
	return 0;
}

static void relay_sweep(struct relay *r);

int relay_update(struct relay *r, const struct icc_policy *p,
		 const struct icc_binding *bind, struct icc_diags *warn)
{
	int ret = 0;

	for (struct listener *l = r->ls; l; l = l->next)
		l->keep = false;
	for (size_t i = 0; i < p->npublishes && ret == 0; i++) {
		const struct icc_publish *pb = &p->publishes[i];
		const struct in6_addr *to;

		if (!pb->v6 || !publish_is_loopback(pb) ||
		    !(to = target_of(p, bind, pb->container)))
			continue;
		ret = relay_one(r, p, pb, to, warn);
	}
	/* Out of memory part-way: keep what runs rather than cut it. */
	for (struct listener *l = r->ls; ret < 0 && l; l = l->next)
		l->keep = true;
	relay_sweep(r);
	return ret;
}

void relay_prune(struct relay *r, const struct icc_policy *p)
{
	for (struct listener *l = r->ls; l; l = l->next) {
		l->keep = false;
		for (size_t i = 0; i < p->npublishes && !l->keep; i++) {
			const struct icc_publish *pb = &p->publishes[i];

			l->keep = pb->v6 && publish_is_loopback(pb) &&
				  pb->proto == l->proto && pb->host_port == l->port;
		}
	}
	relay_sweep(r);
}

/* A publish that is gone, or whose container is: no listener, no
 * connection (revocation holds for the relay too). */
static void relay_sweep(struct relay *r)
{
	struct listener **pp = &r->ls;

	while (*pp) {
		struct listener *l = *pp;

		if (l->keep) {
			pp = &l->next;
			continue;
		}
		*pp = l->next;
		listener_free(l);
	}
}
