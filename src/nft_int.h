/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the nft_* files (and audit_nft.c): the socket and a request helper. */
#ifndef ICC_NFT_INT_H
#define ICC_NFT_INT_H

#include <stdbool.h>
#include <libmnl/libmnl.h>

#include "icc/nft.h"

struct icc_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool stale;	/* a reply was left half read: reopen before the next */
	enum icc_nft_cache cache;	/* see nft_set_cache() */
	uint64_t cookie;		/* the netns's SO_NETNS_COOKIE, 0 unknown */
	struct icc_ruleset *cached;	/* the live ruleset at cached_gen, or NULL */
	uint32_t cached_gen;
};

/*
 * nft_cache.c: nft_cache_get() gives a copy of the live ruleset as it is
 * at generation genid, if that is known (0), or -ENOENT.  nft_cache_put()
 * says what it is at genid (a copy is kept; rs NULL forgets): committed
 * when our own commit made it so, which alone also writes the file.
 */
int nft_cache_get(struct icc_nft *n, uint32_t genid, struct icc_ruleset **out);
/* After a commit that moved the generation from was to now: remember what
 * d made live (a partial d patches the copy in memory, or forgets it). */
struct icc_diff;
void nft_cache_commit(struct icc_nft *n, uint32_t was, uint32_t now,
		      const struct icc_diff *d);
void nft_cache_put(struct icc_nft *n, uint32_t genid,
		   const struct icc_ruleset *rs, bool committed);

/*
 * Sends one request and feeds every reply to cb until done. A request
 * that fails part-way (an interrupted dump: -EINTR) leaves the rest of
 * its answer queued; the socket is then reopened before the next one.
 */
int nft_request(struct icc_nft *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data);
int nft_genid(struct icc_nft *n, uint32_t *genid);

#endif
