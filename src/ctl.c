// SPDX-License-Identifier: GPL-2.0-or-later
/* The daemon's control socket (see include/icc/ctl.h). */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "icc/ctl.h"

static socklen_t ctl_addr(struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	/* sun_path[0] = '\0': the abstract namespace, no file to clean up. */
	memcpy(a->sun_path + 1, ICC_CTL_NAME, strlen(ICC_CTL_NAME));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   strlen(ICC_CTL_NAME));
}

/* A connected socket to whoever holds the name, and its credentials. */
static int ctl_connect(struct ucred *cr)
{
	struct sockaddr_un a;
	socklen_t alen = ctl_addr(&a), clen = sizeof(*cr);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&a, alen) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cr, &clen) < 0) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	return fd;
}

int ctl_listen(struct ucred *holder)
{
	struct sockaddr_un a;
	socklen_t len = ctl_addr(&a);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, len) == 0 && listen(fd, 8) == 0)
		return fd;
	ret = -errno;
	close(fd);
	/* Abstract names have no owner: say who took ours. */
	if (ret == -EADDRINUSE && (fd = ctl_connect(holder)) >= 0)
		close(fd);
	return ret;
}

int ctl_request(const char *req, char *buf, size_t len, int timeout_ms)
{
	struct ucred cr;
	struct pollfd pfd = { .fd = ctl_connect(&cr), .events = POLLIN };
	ssize_t n;
	int ret = 0;

	if (pfd.fd < 0)
		return pfd.fd;
	/* Anyone can bind an abstract name: only believe root. */
	if (cr.uid != 0) {
		ret = -EPERM;
		goto out;
	}
	if (send(pfd.fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
		ret = -errno;
		goto out;
	}
	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0) {
		ret = ret ? -errno : -ETIMEDOUT;
		goto out;
	}
	n = recv(pfd.fd, buf, len - 1, 0);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	buf[n] = '\0';
	ret = 0;
out:
	close(pfd.fd);
	return ret;
}
