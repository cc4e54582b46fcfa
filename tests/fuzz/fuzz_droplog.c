// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness over the drop log's parser, printer and de-duplication
 * (src/droplog.c): the input is the attributes of one NFLOG packet
 * message, after its headers, as the kernel would send them to
 * icc-policyd. Any crash or sanitizer report is a bug; the printed line
 * must fit its buffer and be one line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <libmnl/libmnl.h>

#include "icc/droplog.h"

static const char *name_of(int family, const union icc_drop_addr *a, void *data)
{
	(void)data;
	return family == 2 && (a->v4.s_addr & 1) ? "web" : NULL;
}

static const char *ifname_of(uint32_t ifindex, char *buf, void *data)
{
	(void)data;
	if (ifindex % 3 == 0)
		return NULL;
	memcpy(buf, "docker0", 8);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct droplog_seen *seen;
	static int64_t now;
	struct icc_drop_names names = { name_of, ifname_of, NULL };
	char line[512];
	struct icc_drop d;
	uint8_t *buf;
	struct nlmsghdr *nlh;

	if (size > 65000)
		return 0;
	if (!seen && droplog_seen_new(&seen, 8, 1000) < 0)
		abort();
	/* padded as a kernel message in a receive buffer is: libmnl checks
	 * attribute lengths against the aligned end of the message */
	buf = calloc(1, MNL_ALIGN(MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) + size));
	if (!buf)
		abort();
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	memcpy((uint8_t *)nlh + nlh->nlmsg_len, data, size);
	nlh->nlmsg_len += (uint32_t)size;
	if (droplog_parse(nlh, &d) == 1) {
		int n = droplog_format(line, sizeof(line), &d, &names);

		if (n < 0 || strlen(line) >= sizeof(line) || strchr(line, '\n'))
			abort();
		droplog_seen_add(seen, &d, now += 100);
	}
	free(buf);
	return 0;
}
