/* SPDX-License-Identifier: GPL-2.0-or-later */
/* icc-policyd internals: the event loop and its two kernel watchers. */
#ifndef ICC_DAEMON_H
#define ICC_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon_opts {
	const char *config;
	bool foreground;
	int verbose;
	int rcvbuf;		/* link events receive buffer, bytes (0: default) */
	int ready_fd;		/* write a byte here once started, or -1 */
	bool no_drop_log;	/* --no-drop-log: leave NFLOG group 2712 alone */
	bool verify;		/* $ICC_POLICYD_VERIFY: check short ways the long way */
};

/*
 * src/verify.c: after a short-way reconcile, the long way (logs
 * "verify:"). quiet: two fds (-1: none) that must have nothing to read
 * after the check, or it saw a newer world than the reconcile did.
 */
struct icc_nft;
struct icc_policy;
struct pollfd;
void verify(const struct icc_policy *p, struct icc_nft *n, struct pollfd *quiet);

/* Runs until SIGTERM/SIGINT; returns the process exit code. */
int daemon_run(const struct daemon_opts *o);

/*
 * Link and address events (libnl-3): ports joining or leaving bridges in
 * our namespace, and addresses and links changing in every peer namespace
 * (NETLINK_LISTEN_ALL_NSID), which is where containers get their addresses.
 */
struct link_watch;
int link_watch_open(struct link_watch **out, int rcvbuf);
int link_watch_fd(const struct link_watch *w);
/* Drains what is queued into disc (disc_touch()): the number of messages
 * read, or -ENOBUFS when the kernel dropped some (the caller must resync),
 * or another -errno. */
struct icc_disc;
int link_watch_read(struct link_watch *w, struct icc_disc *disc);
void link_watch_close(struct link_watch *w);

/*
 * Container managers' state files (inotify): Docker's and LXC's folders.
 * Folders that do not exist are not watched (not an error).
 */
struct state_watch;
int state_watch_open(struct state_watch **out, const char *docker,
		     const char *lxc);
int state_watch_fd(const struct state_watch *w);
/* Also the folders of namespace names (idempotent; absent ones skipped). */
void state_watch_names(struct state_watch *w, const char *netns,
		       const char *docker_netns);
/* Drains what is queued: the number of changes seen, or -errno. */
int state_watch_read(struct state_watch *w, const char *docker, const char *lxc);
void state_watch_close(struct state_watch *w);

/* nf_tables change events (NFNLGRP_NFTABLES). */
struct nft_change {
	uint32_t genid;
	int pid;		/* who committed; 0 if the kernel did not say */
	char comm[32];
};

struct nft_watch;
int nft_watch_open(struct nft_watch **out);
int nft_watch_fd(const struct nft_watch *w);
/*
 * Drains what is queued. Returns 1 and fills *c (the last one) when a
 * process other than self committed a change, 0 when only self did or
 * nothing came, -ENOBUFS when events were lost, or -errno.
 */
int nft_watch_read(struct nft_watch *w, pid_t self, struct nft_change *c);
void nft_watch_close(struct nft_watch *w);

/*
 * The drop log (src/drop_watch.c, include/icc/droplog.h): NFLOG group
 * ICC_LOG_GROUP in our namespace. Open returns -EBUSY when another
 * listener holds the group. Read logs one line per denied connection
 * and a warning when messages were lost.
 */
struct icc_binding;
struct icc_policy;
struct drop_watch;
int drop_watch_open(struct drop_watch **out);
int drop_watch_fd(const struct drop_watch *w);
/* now_ms: CLOCK_MONOTONIC, for one line per connection. */
void drop_watch_read(struct drop_watch *w, int64_t now_ms);
/*
 * After a reconcile: who each address is now (bind as compile_policy()'s),
 * looked up when a drop needs it: p and bind are borrowed until the next
 * call. NULL, NULL (before p goes): keep the names already made.
 */
void drop_watch_names(struct drop_watch *w, const struct icc_policy *p,
		      const struct icc_binding *bind);
void drop_watch_close(struct drop_watch *w);

#endif
