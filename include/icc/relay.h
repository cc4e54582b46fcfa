/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * icc-policyd's relay for publishes on [::1] (src/relay.c): a listener
 * per publish on the host's ::1, each client relayed (TCP, or UDP per
 * client address) to the container's lowest IPv6 address. Library code:
 * nothing printed. Functions return 0 or a negative errno.
 */
#ifndef ICC_RELAY_H
#define ICC_RELAY_H

#include <stddef.h>

#include "icc/compile.h"

struct relay;

int relay_open(struct relay **out);
/* An epoll fd: readable when relay_dispatch() has work. */
int relay_fd(const struct relay *r);
/* Handles one ready event (call again while relay_fd() is readable). */
void relay_dispatch(struct relay *r);
/*
 * Makes the listeners those of p's [::1] publishes whose container has
 * an IPv6 address in bind now (see compile_policy()). A publish that is
 * gone, or whose container is gone or moved, loses its listener or
 * its connections. A port that cannot be listened on is noted in warn.
 * p must outlive the next update.
 */
int relay_update(struct relay *r, const struct icc_policy *p,
		 const struct icc_binding *bind, struct icc_diags *warn);
/*
 * After a reconcile that failed: closes the listeners (and connections)
 * of [::1] publishes p no longer has, keeping the others as they are.
 */
void relay_prune(struct relay *r, const struct icc_policy *p);
void relay_close(struct relay *r);

#endif
