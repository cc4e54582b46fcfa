/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nf_tables over netlink: building kernel objects (nft_build.c), reading
 * table inet icc back (nft_read.c), and one batch per transaction
 * (nft_batch.c). Functions return 0 or a negative errno; objects returned
 * by nft_build_* belong to the caller (nftnl_*_free).
 */
#ifndef ICC_NFT_H
#define ICC_NFT_H

#include <stddef.h>
#include <stdint.h>

#include "icc/policy.h"
#include "icc/ruleset.h"

struct nftnl_table;
struct nftnl_chain;
struct nftnl_rule;
struct nftnl_set;

/* Set ids name sets created in the same batch (lookups refer to them). */
#define ICC_SET_ID(i)	((uint32_t)(i) + 1)

struct nftnl_table *nft_build_table(enum icc_table_id tbl);
struct nftnl_chain *nft_build_chain(size_t chain);
/* Rule i of icc_rule_defs; with_ids adds the set ids of a fresh batch. */
struct nftnl_rule *nft_build_rule(size_t i, bool with_ids);
struct nftnl_set *nft_build_set(const struct icc_set *s, uint32_t set_id);
/* Elements idx[0..n) of s (idx NULL: the first n), for NEW/DELSETELEM. */
struct nftnl_set *nft_build_elems(const struct icc_set *s, const size_t *idx,
				  size_t n, uint32_t set_id);
/* How many elements of s fit one message (an attribute is at most 64 KB). */
size_t nft_elems_per_msg(const struct icc_set *s);
/* The expressions of r as text, to compare what the kernel runs. */
int nft_rule_fingerprint(const struct nftnl_rule *r, char **out);

/* A netlink socket to nf_tables. */
struct icc_nft;
int nft_open(struct icc_nft **out);
void nft_close(struct icc_nft *n);

/*
 * Whether nft_read() may answer from what our own last commit (or read)
 * left, while the kernel's generation says nothing has changed since
 * (src/nft_cache.c): OFF always reads the kernel (status wants live
 * counters: a cached copy has none); MEMORY remembers within this
 * process (the daemon); FILE also keeps a file in ICC_CACHE_DIR for the
 * next run (apply, diff).  $ICC_POLICY_CACHE names another folder, or
 * "off" for MEMORY only.
 */
#define ICC_CACHE_DIR	"/run/icc-policy"
enum icc_nft_cache { ICC_CACHE_OFF, ICC_CACHE_MEMORY, ICC_CACHE_FILE };
void nft_set_cache(struct icc_nft *n, enum icc_nft_cache mode);
/*
 * `apply` found nothing to change in live, which it read from the kernel
 * whole: that read, one generation throughout, says what the kernel holds
 * as surely as our own commit would, so it is recorded for the next run
 * as a commit's is (a daemon's commits leave no file: the next CLI run
 * would read the tables whole again, 100,000 elements, every time).
 */
struct icc_ruleset;
void nft_cache_keep(struct icc_nft *n, const struct icc_ruleset *live);

/*
 * Reads table inet icc as it is live: presence, ownership, whether its
 * chains, rules and set types are ours (differences in rs->drift), the
 * elements of our sets, and the generation id. Returns 0 or -errno.
 */
int nft_read(struct icc_nft *n, struct icc_ruleset **out);
/*
 * Asks the generation: 0 when what nft_read() would answer is the
 * remembered copy (nothing but our own commits since), -ESTALE when not.
 */
int nft_cache_current(struct icc_nft *n, uint32_t *genid);

#endif
