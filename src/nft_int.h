/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the nft_* files (and audit_nft.c): the socket and a request helper. */
#ifndef ICC_NFT_INT_H
#define ICC_NFT_INT_H

#include <stdbool.h>
#include <libmnl/libmnl.h>

struct icc_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	bool stale;	/* a reply was left half read: reopen before the next */
};

/*
 * Sends one request and feeds every reply to cb until done. A request
 * that fails part-way (an interrupted dump: -EINTR) leaves the rest of
 * its answer queued; the socket is then reopened before the next one.
 */
int nft_request(struct icc_nft *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data);
int nft_genid(struct icc_nft *n, uint32_t *genid);

#endif
