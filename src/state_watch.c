// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Changes to the container managers' state on disk (inotify): Docker
 * writes a container's config.v2.json, with State.Running and its
 * network namespace, after the container's veth and address appear, and
 * a file change makes no netlink event. Watched: Docker's containers
 * folder and each container's folder in it (Docker replaces the file by
 * a rename), LXC's folder and each container's folder.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>

#include "daemon.h"

#define DIR_EVENTS	(IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_CLOSE_WRITE | IN_ONLYDIR)

struct state_watch {
	int fd;
	int top[2];		/* wd of Docker's containers folder, LXC's folder */
	int names[2];		/* wd of the netns folders (state_watch_names) */
};

/* Watches dir/name (a container's folder); a vanished one is no error. */
static void watch_child(struct state_watch *w, const char *dir, const char *name)
{
	char path[4200];

	if (name[0] == '.' ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return;
	inotify_add_watch(w->fd, path, DIR_EVENTS);
}

static int watch_tree(struct state_watch *w, int i, const char *dir)
{
	struct dirent *e;
	DIR *dp;

	w->top[i] = inotify_add_watch(w->fd, dir, DIR_EVENTS);
	if (w->top[i] < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	if (!(dp = opendir(dir)))
		return 0;
	while ((e = readdir(dp)))
		if (e->d_type == DT_DIR)
			watch_child(w, dir, e->d_name);
	closedir(dp);
	return 0;
}

int state_watch_open(struct state_watch **out, const char *docker,
		     const char *lxc)
{
	struct state_watch *w = calloc(1, sizeof(*w));
	char dir[4200];
	int ret;

	if (!w)
		return -ENOMEM;
	w->top[0] = w->top[1] = w->names[0] = w->names[1] = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		ret = -errno;
		free(w);
		return ret;
	}
	snprintf(dir, sizeof(dir), "%s/containers", docker);
	if ((ret = watch_tree(w, 0, dir)) < 0 || (ret = watch_tree(w, 1, lxc)) < 0) {
		state_watch_close(w);
		return ret;
	}
	*out = w;
	return 0;
}

/*
 * The folders of namespace names: a name removed while its namespace
 * lives on makes no netlink event, and kept discovery would go on naming
 * the port by it. Called after every full look: a folder made since (ip
 * netns makes /run/netns on first use) is then watched too.
 */
void state_watch_names(struct state_watch *w, const char *netns,
		       const char *docker_netns)
{
	w->names[0] = inotify_add_watch(w->fd, netns, DIR_EVENTS);
	w->names[1] = inotify_add_watch(w->fd, docker_netns, DIR_EVENTS);
}

/*
 * A name that comes or goes: a new name need not be a new namespace
 * (`ip netns attach NAME PID` names one whose port is known already, and
 * no netlink event says so), so both make a full look.
 */
static bool name_news(const struct state_watch *w, const struct inotify_event *ev)
{
	if (ev->wd < 0 || (ev->wd != w->names[0] && ev->wd != w->names[1]))
		return true;
	return ev->mask & (IN_DELETE | IN_MOVED_FROM | IN_CREATE | IN_MOVED_TO);
}

int state_watch_fd(const struct state_watch *w)
{
	return w->fd;
}

/* A folder made in a watched top folder is a new container: watch it. */
static void on_event(struct state_watch *w, const struct inotify_event *ev,
		     const char *docker, const char *lxc)
{
	char dir[4200];

	if (!(ev->mask & IN_ISDIR) || !(ev->mask & (IN_CREATE | IN_MOVED_TO)) ||
	    !ev->len)
		return;
	if (ev->wd == w->top[0]) {
		snprintf(dir, sizeof(dir), "%s/containers", docker);
		watch_child(w, dir, ev->name);
	} else if (ev->wd == w->top[1]) {
		watch_child(w, lxc, ev->name);
	}
}

int state_watch_read(struct state_watch *w, const char *docker, const char *lxc)
{
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	int events = 0;

	for (int i = 0; i < 1024; i++) {
		ssize_t n = read(w->fd, buf, sizeof(buf));

		if (n < 0)
			return errno == EAGAIN ? events : -errno;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			/* Lost events: the caller rescans everything anyway. */
			if (ev->mask & IN_Q_OVERFLOW)
				events++;
			else
				on_event(w, ev, docker, lxc);
			events += !(ev->mask & IN_IGNORED) && name_news(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	return events;
}

void state_watch_close(struct state_watch *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	free(w);
}
