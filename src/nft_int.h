/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Internal to the nft_* files: the socket and a request helper. */
#ifndef ICC_NFT_INT_H
#define ICC_NFT_INT_H

#include <libmnl/libmnl.h>

struct icc_nft {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
};

/* Sends one request and feeds every reply to cb until done. */
int nft_request(struct icc_nft *n, struct nlmsghdr *nlh, mnl_cb_t cb,
		void *data);
int nft_genid(struct icc_nft *n, uint32_t *genid);

#endif
