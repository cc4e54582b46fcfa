// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * icc-policyd's drop log: what table inet icc drops, one line per denied
 * connection (include/icc/droplog.h), with the names the last reconcile
 * bound to each address. Daemon code: this one writes to the log.
 *
 * LOG_NOTICE: a drop is the policy doing its job, not a fault of the
 * daemon (its warnings are for what the admin must fix, and are copied to
 * the terminal while it starts), but it is what an admin looks for when a
 * link is missing or something probes: `journalctl -p notice` shows the
 * drops without the routine information about ports coming and going.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>

#include "daemon.h"
#include "log.h"
#include "icc/droplog.h"

struct drop_watch {
	struct droplog *l;
	struct droplog_names *names;	/* NULL until the first reconcile */
	const struct icc_policy *p;	/* the last reconcile's, if names lag */
	const struct icc_binding *bind;
};

int drop_watch_open(struct drop_watch **out)
{
	struct drop_watch *w = calloc(1, sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	if ((ret = droplog_open(&w->l)) < 0) {
		free(w);
		return ret;
	}
	*out = w;
	return 0;
}

int drop_watch_fd(const struct drop_watch *w)
{
	return droplog_fd(w->l);
}

/*
 * Who each address is, made again when a drop first needs it after a
 * reconcile: not for every event (ten thousand names take milliseconds).
 * Out of memory: the names of an earlier reconcile serve a while longer.
 */
static void names_fresh(struct drop_watch *w)
{
	struct droplog_names *t;

	if (!w->p || droplog_names_new(&t, w->p, w->bind) < 0)
		return;
	droplog_names_free(w->names);
	w->names = t;
	w->p = NULL;
	w->bind = NULL;
}

static const char *addr_name(int family, const union icc_drop_addr *a, void *data)
{
	struct drop_watch *w = data;

	names_fresh(w);
	return droplog_names_find(w->names, family, a);
}

/* Our namespace's interfaces: the daemon runs where the rules are. */
static const char *dev_name(uint32_t ifindex, char *buf, void *data)
{
	(void)data;
	return if_indextoname(ifindex, buf);
}

static void on_drop(const struct icc_drop *d, void *data)
{
	const struct icc_drop_names names = { addr_name, dev_name, data };
	char line[512];

	droplog_format(line, sizeof(line), d, &names);
	log_msg(LOG_NOTICE, "%s", line);
}

void drop_watch_read(struct drop_watch *w, int64_t now_ms)
{
	int ret = droplog_read(w->l, now_ms, on_drop, w);
	uint64_t lost = droplog_lost(w->l);

	if (ret < 0)
		log_err("drop log: %s", strerror(-ret));
	if (lost)
		log_warn("drop log: %llu message%s lost (receive buffer full)",
			 (unsigned long long)lost, lost == 1 ? "" : "s");
}

void drop_watch_names(struct drop_watch *w, const struct icc_policy *p,
		      const struct icc_binding *bind)
{
	w->p = p;
	w->bind = bind;
}

void drop_watch_close(struct drop_watch *w)
{
	if (!w)
		return;
	droplog_close(w->l);
	droplog_names_free(w->names);
	free(w);
}
