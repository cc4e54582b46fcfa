/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How `icc-policy` reaches a running icc-policyd: an abstract unix socket,
 * "@icc-policyd". Abstract names belong to a network namespace, so each
 * namespace has its own daemon and the CLI finds the one that guards the
 * namespace it runs in. Only root may talk to it (SO_PEERCRED checked).
 * One request per connection: "reload\n" or "ping\n"; the answer is
 * "ok\n" and the policy file the daemon enforces, or "error\n" followed
 * by the daemon's reasons, one per line.
 */
#ifndef ICC_CTL_H
#define ICC_CTL_H

#include <stddef.h>
#include <sys/socket.h>

#define ICC_CTL_NAME	"icc-policyd"

/*
 * The daemon's listening socket. Returns an fd or -errno; with
 * -EADDRINUSE, *holder says who holds the name (pid 0 if unknown).
 */
int ctl_listen(struct ucred *holder);
/*
 * Client: sends req and reads the answer into buf (NUL-terminated).
 * Returns 0, -ECONNREFUSED / -ENOENT when no daemon listens here, -EPERM
 * when the name is held by a process not running as root (not ours), or
 * -errno. Waits at most timeout_ms for the answer.
 */
int ctl_request(const char *req, char *buf, size_t len, int timeout_ms);

#endif
