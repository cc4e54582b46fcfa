// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The netlink socket to nf_tables, requests with their replies, and one
 * batch per transaction: begin (carrying the generation id), every
 * message, end, in one sendmsg; then every ACK drained. The kernel
 * applies all of it or none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/batch.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>

#include "icc/diff.h"
#include "nft_int.h"

static int nft_socket(struct icc_nft *n)
{
	int one = 1;

	n->nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!n->nl || mnl_socket_bind(n->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	/* errors carry the kernel's reason; no copy of the request back */
	mnl_socket_setsockopt(n->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(n->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	n->portid = mnl_socket_get_portid(n->nl);
	n->stale = false;
	return 0;
}

int nft_open(struct icc_nft **out)
{
	struct icc_nft *n = calloc(1, sizeof(*n));
	int ret;

	if (!n)
		return -ENOMEM;
	if ((ret = nft_socket(n)) < 0) {
		nft_close(n);
		return ret;
	}
	n->seq = time(NULL);
	*out = n;
	return 0;
}

/* A fresh socket: nothing of an abandoned answer comes with it. */
static int nft_renew(struct icc_nft *n)
{
	if (!n->stale)
		return 0;
	if (n->nl)
		mnl_socket_close(n->nl);
	n->nl = NULL;
	return nft_socket(n);
}

void nft_close(struct icc_nft *n)
{
	if (!n)
		return;
	if (n->nl)
		mnl_socket_close(n->nl);
	ruleset_free(n->cached);
	free(n);
}

/* The kernel's NLMSGERR_ATTR_MSG of an error, if it sent one. */
static void ext_ack_msg(const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct nlattr *a;

	buf[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	mnl_attr_for_each(a, nlh, sizeof(struct nlmsgerr))
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(buf, len, "%s", mnl_attr_get_str(a));
}

int nft_request(struct icc_nft *n, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static char buf[1 << 16];
	int ret;

	if ((ret = nft_renew(n)) < 0)
		return ret;
	if (mnl_socket_sendto(n->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(n->nl, buf, sizeof(buf));
		if (ret < 0)
			break;
		errno = 0;
		ret = mnl_cb_run(buf, ret, nlh->nlmsg_seq, n->portid, cb, data);
	} while (ret > 0);
	if (ret == 0)
		return 0;
	n->stale = true;
	return errno ? -errno : -EIO;
}

static int gen_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	struct nlattr *a;

	(void)g;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == NFTA_GEN_ID)
			*(uint32_t *)data = ntohl(mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

int nft_genid(struct icc_nft *n, uint32_t *genid)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN,
						     AF_UNSPEC, NLM_F_ACK, ++n->seq);

	return nft_request(n, nlh, gen_cb, genid);
}

/* What each message of a batch was about, to explain a kernel error. */
struct msg_note {
	uint32_t seq;
	const char *what;	/* "table", "set", "chain", "rule", "elements" */
	const char *name;
	int line_lo, line_hi;
};

struct batch {
	struct icc_nft *n;
	struct nftnl_batch *b;
	struct msg_note *notes;
	size_t nnotes, cap;
	const char *page;	/* where the current page starts */
	int err;
};

static struct nlmsghdr *batch_msg(struct batch *t, uint16_t type, int tbl,
				  uint16_t flags, const char *what, const char *name)
{
	struct msg_note *v;

	if (t->nnotes == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		v = realloc(t->notes, t->cap * sizeof(*v));
		if (!v) {
			t->err = -ENOMEM;
			return NULL;
		}
		t->notes = v;
	}
	t->notes[t->nnotes] = (struct msg_note){ ++t->n->seq, what, name, 0, 0 };
	t->nnotes++;
	return nftnl_nlmsg_build_hdr(nftnl_batch_buffer(t->b), type,
				     icc_table_defs[tbl].nfproto,
				     flags | NLM_F_ACK, t->n->seq);
}

#define BATCH_PAGE	(1 << 18)
/*
 * How far one message may run past a page's limit before libnftnl moves
 * to the next page: it must hold the largest message we write (element
 * messages of up to 48000 bytes, nft_elems_per_msg()). With libmnl's
 * default (8 KB) a large element message near the end of a page was
 * written past the buffer: heap corruption from about 10,000 elements.
 */
#define BATCH_OVERRUN	(1 << 16)

/* A page starts zeroed, so that no stray heap bytes (attribute padding)
 * go to the kernel. The current position minus what the page holds is
 * where the page starts: when that moved, libnftnl began a new page. */
static void batch_zero_page(struct batch *t)
{
	char *cur = nftnl_batch_buffer(t->b);
	size_t len = (size_t)nftnl_batch_buffer_len(t->b);

	if (cur - len == t->page)
		return;
	t->page = cur - len;
	memset(cur, 0, BATCH_PAGE + BATCH_OVERRUN - len);
}

static void batch_next(struct batch *t)
{
	if (nftnl_batch_update(t->b) < 0)
		t->err = -ENOMEM;
	else
		batch_zero_page(t);
}

static void batch_table(struct batch *t, uint16_t type, enum icc_table_id tbl)
{
	struct nftnl_table *o = nft_build_table(tbl);
	struct nlmsghdr *nlh = batch_msg(t, type, tbl, NLM_F_CREATE, "table",
					 icc_table_defs[tbl].family);

	if (!o || !nlh) {
		t->err = -ENOMEM;
	} else {
		nftnl_table_nlmsg_build_payload(nlh, o);
		batch_next(t);
	}
	nftnl_table_free(o);
}

static void batch_sets(struct batch *t, const struct icc_ruleset *rs)
{
	for (int i = 0; i < ICC_NSETS && !t->err; i++) {
		struct nftnl_set *o = nft_build_set(&rs->sets[i], ICC_SET_ID(i));
		struct nlmsghdr *nlh = batch_msg(t, NFT_MSG_NEWSET,
						 icc_set_defs[i].table, NLM_F_CREATE,
						 "set", icc_set_defs[i].name);
		if (!o || !nlh) {
			t->err = -ENOMEM;
		} else {
			nftnl_set_nlmsg_build_payload(nlh, o);
			batch_next(t);
		}
		nftnl_set_free(o);
	}
}

static void batch_chains_rules(struct batch *t)
{
	for (size_t i = 0; i < icc_nchains && !t->err; i++) {
		struct nftnl_chain *o = nft_build_chain(i);
		struct nlmsghdr *nlh = batch_msg(t, NFT_MSG_NEWCHAIN,
						 icc_chain_defs[i].table, NLM_F_CREATE,
						 "chain", icc_chain_defs[i].name);
		if (!o || !nlh) {
			t->err = -ENOMEM;
		} else {
			nftnl_chain_nlmsg_build_payload(nlh, o);
			batch_next(t);
		}
		nftnl_chain_free(o);
	}
	for (size_t i = 0; i < icc_nrules && !t->err; i++) {
		struct nftnl_rule *o = nft_build_rule(i, true);
		struct nlmsghdr *nlh = batch_msg(t, NFT_MSG_NEWRULE,
						 icc_chain_defs[icc_rule_defs[i].chain].table,
						 NLM_F_CREATE | NLM_F_APPEND, "rule",
						 icc_rule_defs[i].text);
		if (!o || !nlh) {
			t->err = -ENOMEM;
		} else {
			nftnl_rule_nlmsg_build_payload(nlh, o);
			batch_next(t);
		}
		nftnl_rule_free(o);
	}
}

static void note_lines(struct msg_note *m, const struct icc_set *s,
		       const size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int l = s->lines[idx ? idx[i] : i];

		if (l && (!m->line_lo || l < m->line_lo))
			m->line_lo = l;
		if (l > m->line_hi)
			m->line_hi = l;
	}
}

static void batch_elem_msg(struct batch *t, uint16_t type,
			   const struct icc_set *s, const size_t *idx,
			   size_t m, uint32_t set_id)
{
	struct nlmsghdr *nlh = batch_msg(t, type, s->def->table, NLM_F_CREATE,
					 "elements", s->def->name);
	struct nftnl_set *o;

	if (!nlh)
		return;
	note_lines(&t->notes[t->nnotes - 1], s, idx, m);
	o = nft_build_elems(s, idx, m, set_id);
	if (!o) {
		t->err = -ENOMEM;
		return;
	}
	nftnl_set_elems_nlmsg_build_payload(nlh, o);
	nftnl_set_free(o);
	batch_next(t);
}

/* Elements idx[0..n) (idx NULL: all), in messages small enough for one
 * attribute each, all inside the one batch. */
static void batch_elems(struct batch *t, uint16_t type, const struct icc_set *s,
			const size_t *idx, size_t n, uint32_t set_id)
{
	size_t per = nft_elems_per_msg(s);
	size_t *all = NULL;

	if (!idx && n) {
		all = malloc(n * sizeof(*all));
		if (!all) {
			t->err = -ENOMEM;
			return;
		}
		for (size_t j = 0; j < n; j++)
			all[j] = j;
		idx = all;
	}
	for (size_t i = 0; i < n && !t->err; i += per)
		batch_elem_msg(t, type, s, idx + i, n - i < per ? n - i : per,
			       set_id);
	free(all);
}

static void batch_all_elems(struct batch *t, const struct icc_ruleset *rs,
			    bool ids)
{
	for (int i = 0; i < ICC_NSETS; i++)
		batch_elems(t, NFT_MSG_NEWSETELEM, &rs->sets[i], NULL,
			    rs->sets[i].n, ids ? ICC_SET_ID(i) : 0);
}

/* The tables of ours that exist (a missing one cannot be deleted). */
static void batch_del_tables(struct batch *t, const struct icc_ruleset *live)
{
	for (int i = 0; i < ICC_NTABLES; i++)
		if (live->has[i])
			batch_table(t, NFT_MSG_DELTABLE, i);
}

static void batch_body(struct batch *t, const struct icc_diff *d)
{
	switch (d->mode) {
	case ICC_DIFF_REPLACE:
		batch_del_tables(t, d->live);
		/* fall through */
	case ICC_DIFF_CREATE:
		for (int i = 0; i < ICC_NTABLES; i++)
			batch_table(t, NFT_MSG_NEWTABLE, i);
		batch_sets(t, d->want);
		batch_chains_rules(t);
		batch_all_elems(t, d->want, true);
		break;
	case ICC_DIFF_ELEMS:
		/* deletes first: a changed range must leave before it returns */
		for (int i = 0; i < ICC_NSETS; i++)
			batch_elems(t, NFT_MSG_DELSETELEM, &d->live->sets[i],
				    d->sets[i].del, d->sets[i].ndel, 0);
		for (int i = 0; i < ICC_NSETS; i++)
			batch_elems(t, NFT_MSG_NEWSETELEM, &d->want->sets[i],
				    d->sets[i].add, d->sets[i].nadd, 0);
		break;
	}
}

static void batch_begin(struct batch *t, uint32_t genid)
{
	struct nlmsghdr *nlh = nftnl_batch_begin(nftnl_batch_buffer(t->b),
						 ++t->n->seq);

	/* the kernel refuses the batch with ERESTART if the ruleset moved */
	mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	batch_next(t);
}

static void sockbuf(struct icc_nft *n, int opt, int force, size_t want)
{
	int v = want > (1 << 30) ? 1 << 30 : (int)want;

	if (setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, force, &v, sizeof(v)))
		setsockopt(mnl_socket_get_fd(n->nl), SOL_SOCKET, opt, &v, sizeof(v));
}

static int batch_send(struct batch *t)
{
	size_t iovlen = nftnl_batch_iovec_len(t->b);
	struct iovec *iov = calloc(iovlen, sizeof(*iov));
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa) };
	size_t total = 0;
	ssize_t r;

	if (!iov)
		return -ENOMEM;
	nftnl_batch_iovec(t->b, iov, iovlen);
	for (size_t i = 0; i < iovlen; i++)
		total += iov[i].iov_len;
	sockbuf(t->n, SO_SNDBUF, SO_SNDBUFFORCE, total + 65536);
	/* one ACK per message must fit while we are still sending */
	sockbuf(t->n, SO_RCVBUF, SO_RCVBUFFORCE, t->nnotes * 256 + 65536);
	msg.msg_iov = iov;
	msg.msg_iovlen = iovlen;
	r = sendmsg(mnl_socket_get_fd(t->n->nl), &msg, 0);
	free(iov);
	return r < 0 ? -errno : 0;
}

static const struct msg_note *note_find(const struct batch *t, uint32_t seq)
{
	for (size_t i = 0; i < t->nnotes; i++)
		if (t->notes[i].seq == seq)
			return &t->notes[i];
	return NULL;
}

static void report(const struct batch *t, const struct nlmsghdr *nlh,
		   const char *file, struct icc_diags *err)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct msg_note *m = note_find(t, e->msg.nlmsg_seq);
	char why[256];

	ext_ack_msg(nlh, why, sizeof(why));
	if (!m) {
		diags_add(err, file, 0, "kernel refused the transaction: %s%s%s",
			  strerror(-e->error), why[0] ? ": " : "", why);
	} else if (m->line_lo && m->line_hi != m->line_lo) {
		diags_add(err, file, m->line_lo,
			  "kernel refused %s of %s (policy lines %d-%d): %s%s%s",
			  m->what, m->name, m->line_lo, m->line_hi,
			  strerror(-e->error), why[0] ? ": " : "", why);
	} else {
		diags_add(err, file, m->line_lo, "kernel refused %s %s: %s%s%s",
			  m->what, m->name, strerror(-e->error),
			  why[0] ? ": " : "", why);
	}
}

/* Reads every ACK the batch produced; returns the first error. */
static int batch_drain(struct batch *t, const char *file, struct icc_diags *err)
{
	static char buf[1 << 16];
	int first = 0;
	ssize_t r;

	while ((r = recv(mnl_socket_get_fd(t->n->nl), buf, sizeof(buf),
			 MSG_DONTWAIT)) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = r;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR || !e->error)
				continue;
			if (!first)
				first = e->error;
			if (e->error != -ERESTART)
				report(t, nlh, file, err);
		}
	}
	if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && !first)
		return -errno;	/* ENOBUFS: we cannot know what happened */
	return first;
}

static int batch_run(struct icc_nft *n, uint32_t genid, const char *file,
		     struct icc_diags *err, void (*fill)(struct batch *, const void *),
		     const void *arg)
{
	struct batch t = { .n = n };
	int ret;

	t.b = nftnl_batch_alloc(BATCH_PAGE, BATCH_OVERRUN);
	if (!t.b)
		return -ENOMEM;
	/*
	 * Every page starts zeroed (batch_zero_page()): libmnl before 1.0.5
	 * leaves the padding after an attribute as it finds it.
	 */
	t.page = nftnl_batch_buffer(t.b);
	memset(nftnl_batch_buffer(t.b), 0, BATCH_PAGE + BATCH_OVERRUN);
	batch_begin(&t, genid);
	fill(&t, arg);
	nftnl_batch_end(nftnl_batch_buffer(t.b), ++n->seq);
	batch_next(&t);
	ret = t.err;
	if (!ret)
		ret = batch_send(&t);
	if (!ret)
		ret = batch_drain(&t, file, err);
	nftnl_batch_free(t.b);
	free(t.notes);
	return ret;
}

static void fill_diff(struct batch *t, const void *arg)
{
	batch_body(t, arg);
}

int nft_commit(struct icc_nft *n, const struct icc_diff *d, const char *file,
	       struct icc_diags *err)
{
	uint32_t genid = d->live->genid, now;
	int ret = batch_run(n, genid, file, err, fill_diff, d);

	/*
	 * The batch was refused unless the generation was genid. A commit
	 * that changed anything moved it to the next (never 0), and then the
	 * kernel holds want; a commit of nothing but no-ops leaves it, and
	 * then we know nothing new. Asked, not assumed.
	 */
	if (ret == 0 && genid && nft_genid(n, &now) == 0 &&
	    now == (genid + 1 ? genid + 1 : 1))
		nft_cache_commit(n, genid, now, d);
	else if (ret == 0)
		nft_cache_put(n, 0, NULL, false);
	return ret;
}

static void fill_delete(struct batch *t, const void *arg)
{
	batch_del_tables(t, arg);
}

int nft_delete_tables(struct icc_nft *n, const struct icc_ruleset *live,
		      struct icc_diags *err)
{
	return batch_run(n, live->genid, NULL, err, fill_delete, live);
}
