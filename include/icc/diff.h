/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live vs desired: the operations that make the kernel match the policy.
 * diff and apply share this: apply only sends what diff prints.
 */
#ifndef ICC_DIFF_H
#define ICC_DIFF_H

#include <stdio.h>

#include "icc/nft.h"
#include "icc/ruleset.h"

enum icc_diff_mode {
	ICC_DIFF_ELEMS,		/* table as ours: change set elements only */
	ICC_DIFF_CREATE,	/* no table yet: create everything */
	ICC_DIFF_REPLACE,	/* structure differs: delete and recreate, atomically */
};

struct icc_set_diff {
	size_t *add, nadd;	/* indexes into the desired set */
	size_t *del, ndel;	/* indexes into the live set */
};

struct icc_diff {
	enum icc_diff_mode mode;
	const struct icc_ruleset *want, *live;	/* borrowed */
	struct icc_set_diff sets[ICC_NSETS];
	bool partial;		/* want and live are compile_dynamic()'s */
};

/*
 * Computes what turns live into want (both canonical). Returns 0,
 * -EEXIST when table inet icc exists but is not ours (we never touch it),
 * or -ENOMEM. d must be released with diff_free().
 */
int diff_compute(const struct icc_ruleset *want, const struct icc_ruleset *live,
		 struct icc_diff *d);
void diff_free(struct icc_diff *d);
/*
 * Applies d's element changes to rs, a whole ruleset that d->live is part
 * of (icc-policyd keeps what is live so, between events). Returns 0,
 * -ENOENT / -EEXIST when rs does not hold what d->live says it does
 * (then rs is no longer to be trusted), or -ENOMEM.
 */
int ruleset_patch(struct icc_ruleset *rs, const struct icc_diff *d);
/* Number of changes (a create or replace counts at least one). */
size_t diff_count(const struct icc_diff *d);
/* "+ ..." / "- ..." lines in nft syntax. */
void diff_print(FILE *f, const struct icc_diff *d);

/*
 * Sends d as one transaction, guarded by live->genid: if the ruleset
 * changed since it was read, returns -ERESTART and nothing is changed.
 * What the kernel then holds is remembered (nft_set_cache()): want, or
 * for a partial diff the remembered ruleset with d applied.
 * Kernel errors go into err with the policy line of the failing object
 * where one is known. Returns 0 or -errno.
 */
int nft_commit(struct icc_nft *n, const struct icc_diff *d, const char *file,
	       struct icc_diags *err);

/* Deletes the tables live has (read by nft_read(), ours) in one
 * transaction guarded by live->genid. */
int nft_delete_tables(struct icc_nft *n, const struct icc_ruleset *live,
		      struct icc_diags *err);

#endif
