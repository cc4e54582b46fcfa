// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ICC_POLICYD_VERIFY=1 (the end-to-end tests set it): after every
 * reconcile that took the short way between events (kept discovery, the
 * dynamic part alone), the same check the long way: the whole plan made
 * from nothing (discovery from scratch, the kernel dumped) must find
 * nothing to change, and the copy of the live ruleset we keep must be
 * the kernel's. Anything else is logged as an error line "verify: ...".
 */
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"
#include "icc/plan.h"

static void log_diff(const struct icc_diff *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	diff_print(f, d);
	fclose(f);
	log_text(LOG_ERR, buf);
	free(buf);
}

/* Our kept copy (nft_read() answers from it) against the kernel's tables. */
static void verify_kept(struct icc_nft *n, const struct icc_ruleset *kernel)
{
	struct icc_ruleset *kept = NULL;
	struct icc_diff dd;

	if (nft_read(n, &kept) < 0 || diff_compute(kept, kernel, &dd) < 0) {
		log_err("verify: cannot read the kept copy of the live ruleset");
		ruleset_free(kept);
		return;
	}
	if (diff_count(&dd)) {
		log_err("verify: the kept copy differs from the kernel by %zu changes",
			diff_count(&dd));
		log_diff(&dd);
	}
	diff_free(&dd);
	ruleset_free(kept);
}

/* Whether the fds have news (events queued since the reconcile); poll()
 * skips an fd of -1. */
static bool news(struct pollfd *f)
{
	return poll(f, 2, 0) > 0;
}

void verify(const struct icc_policy *p, struct icc_nft *n, struct pollfd *quiet)
{
	struct icc_diags notes = { 0 }, warn = { 0 }, err = { 0 };
	struct icc_nft *k = NULL;
	struct icc_plan pl;
	int ret = nft_open(&k);

	if (ret == 0) {
		nft_set_cache(k, ICC_CACHE_OFF);
		ret = plan_want(&pl, p, NULL, &notes, &warn, &err);
		if (ret == 0 || plan_knob_error(ret))
			ret = plan_diff(&pl, k);
	}
	if (news(quiet)) {
		/* events still queued: the next reconcile is checked instead */
	} else if (ret < 0) {
		log_err("verify: cannot make the whole plan: %s", strerror(-ret));
	} else {
		if (diff_count(&pl.diff)) {
			log_err("verify: the whole plan differs from the kernel by %zu changes",
				diff_count(&pl.diff));
			log_diff(&pl.diff);
		}
		verify_kept(n, pl.live);
	}
	if (k)
		plan_free(&pl);
	nft_close(k);
	diags_free(&notes);
	diags_free(&warn);
	diags_free(&err);
}
