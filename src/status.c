// SPDX-License-Identifier: GPL-2.0-or-later
/* Counters and state for `icc-policy status`: see include/icc/status.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icc/ctl.h"
#include "icc/status.h"

/* Adds the live counters of every element of one's counted sets. */
static void sum_item(const struct icc_ruleset *one, const struct icc_ruleset *live,
		     struct icc_status_item *it)
{
	for (int s = 0; s < ICC_NSETS; s++) {
		const struct icc_set *w = &one->sets[s], *l = &live->sets[s];

		if (!w->def->counter)
			continue;
		for (size_t i = 0; i < w->n; i++) {
			long k = set_find(l, set_elem(w, i));

			it->nelems++;
			if (k < 0)
				continue;
			it->nlive++;
			if (l->counts) {
				it->c.packets += l->counts[k].packets;
				it->c.bytes += l->counts[k].bytes;
			}
		}
	}
}

static int sum_items(const struct icc_plan *pl, bool publish,
		     struct icc_status_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct icc_ruleset *one;
		int ret = compile_one(pl->p, pl->bind, publish, i, &one);

		if (ret)
			return ret;
		if (pl->live)
			sum_item(one, pl->live, &v[i]);
		ruleset_free(one);
	}
	return 0;
}

static void sum_drops(const struct icc_ruleset *live, struct icc_count *d)
{
	if (!live || !live->intact || !live->rule_counts)
		return;
	for (size_t i = 0; i < icc_nrules; i++) {
		enum icc_drop_kind k = icc_rule_drop(icc_rule_defs[i].id);

		d[k].packets += live->rule_counts[i].packets;
		d[k].bytes += live->rule_counts[i].bytes;
	}
}

/* "ok\n<file>\n" from a daemon listening in this namespace. */
static void ask_daemon(struct icc_status *st)
{
	char ans[4400];
	const char *path;

	if (ctl_request("ping\n", ans, sizeof(ans), 5000) < 0 ||
	    strncmp(ans, "ok\n", 3))
		return;
	st->daemon = true;
	path = ans + 3;
	snprintf(st->daemon_policy, sizeof(st->daemon_policy), "%.*s",
		 (int)strcspn(path, "\n"), path);
}

int status_collect(const struct icc_plan *pl, struct icc_status *st)
{
	const struct icc_policy *p = pl->p;
	int ret;

	memset(st, 0, sizeof(*st));
	st->links = calloc(p->nlinks + 1, sizeof(*st->links));
	st->publishes = calloc(p->npublishes + 1, sizeof(*st->publishes));
	st->bridges = calloc(p->nbridges + 1, sizeof(*st->bridges));
	if (!st->links || !st->publishes || !st->bridges)
		return -ENOMEM;
	for (size_t i = 0; i < p->nbridges; i++)
		if ((ret = kernel_bridge_state(p->bridges[i].name, &st->bridges[i])) < 0)
			return ret;
	if ((ret = sum_items(pl, false, st->links, p->nlinks)) ||
	    (ret = sum_items(pl, true, st->publishes, p->npublishes)))
		return ret;
	sum_drops(pl->live, st->drops);
	ask_daemon(st);
	return 0;
}

bool status_bridge_filtered(const struct icc_status *st, size_t i)
{
	const struct icc_bridge_state *b = &st->bridges[i];

	/* IPv6 too without an IPv6 subnet: link-local works between ports. */
	return b->exists && b->is_bridge && b->br_netfilter && b->nf_call4 &&
	       b->nf_call6;
}

void status_free(struct icc_status *st)
{
	free(st->links);
	free(st->publishes);
	free(st->bridges);
	memset(st, 0, sizeof(*st));
}
