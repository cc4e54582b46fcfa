// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Table inet icc as the kernel has it, read back over netlink: what is
 * live, not what we believe we sent. Chains, rules and set types are
 * compared with ours (differences become drift lines); elements of our
 * sets are read into a ruleset for the diff.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "icc/nft.h"
#include "nft_int.h"

struct reader {
	struct icc_nft *n;
	struct icc_ruleset *rs;
	enum icc_table_id tbl;	/* the table being read */
	bool set_ok[ICC_NSETS];
	char **rules[16];	/* fingerprints per chain, in kernel order */
	struct icc_count *counts[16];	/* and their counters' values */
	size_t nrules[16];
	bool chain_seen[16];
	int err;
};

static struct nlmsghdr *req(struct reader *r, char *buf, uint16_t type,
			    uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(buf, type, icc_table_defs[r->tbl].nfproto,
				     flags, ++r->n->seq);
}

#define FAMILY(r)	icc_table_defs[(r)->tbl].family

static int comment_cb(const struct nftnl_udata *a, void *data)
{
	if (nftnl_udata_type(a) == NFTNL_UDATA_TABLE_COMMENT &&
	    nftnl_udata_len(a) == sizeof(ICC_TABLE_COMMENT) &&
	    !memcmp(nftnl_udata_get(a), ICC_TABLE_COMMENT, sizeof(ICC_TABLE_COMMENT)))
		*(bool *)data = true;
	return 0;
}

static int table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reader *r = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len;
	bool ours = false;

	if (!t || nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return MNL_CB_ERROR;
	}
	r->rs->has[r->tbl] = true;
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (ud)
		nftnl_udata_parse(ud, len, comment_cb, &ours);
	if (!ours)
		r->rs->owned = false;
	/* A dormant table has every hook off: as good as deleted. */
	if (nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS) & NFT_TABLE_F_DORMANT)
		ruleset_add_drift(r->rs, "- table %s %s (dormant)", FAMILY(r),
				  ICC_TABLE);
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int read_table(struct reader *r)
{
	char buf[8192] = { 0 };	/* zeroed: no stray stack bytes in padding */
	struct nlmsghdr *nlh = req(r, buf, NFT_MSG_GETTABLE, NLM_F_ACK);
	struct nftnl_table *t = nftnl_table_alloc();
	int ret;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, ICC_TABLE);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = nft_request(r->n, nlh, table_cb, r);
	return ret == -ENOENT ? 0 : ret;
}

static int chain_index(const struct reader *r, const char *name)
{
	for (size_t i = 0; i < icc_nchains; i++)
		if (icc_chain_defs[i].table == r->tbl &&
		    !strcmp(icc_chain_defs[i].name, name))
			return i;
	return -1;
}

static bool chain_matches(const struct nftnl_chain *c, int i)
{
	const struct icc_chain_def *d = &icc_chain_defs[i];

	if (!d->type)
		return !nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM);
	return nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM) &&
	       nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM) == (uint32_t)d->hook &&
	       nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO) == d->prio &&
	       !strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE), d->type) &&
	       nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY) == NF_ACCEPT;
}

static int chain_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reader *r = data;
	struct nftnl_chain *c = nftnl_chain_alloc();
	const char *name;
	int i;

	if (!c || nftnl_chain_nlmsg_parse(nlh, c) < 0) {
		nftnl_chain_free(c);
		return MNL_CB_ERROR;
	}
	/* The kernel does not filter chain dumps by table: skip the others. */
	if (strcmp(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), ICC_TABLE)) {
		nftnl_chain_free(c);
		return MNL_CB_OK;
	}
	name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
	i = chain_index(r, name);
	if (i < 0 || !chain_matches(c, i))
		ruleset_add_drift(r->rs, "- chain %s %s %s (%s)", FAMILY(r),
				  ICC_TABLE, name,
				  i < 0 ? "not ours" : "hook or type changed");
	else
		r->chain_seen[i] = true;
	nftnl_chain_free(c);
	return MNL_CB_OK;
}

static int dump(struct reader *r, uint16_t type, mnl_cb_t cb)
{
	char buf[8192] = { 0 };	/* zeroed: no stray stack bytes in padding */
	struct nlmsghdr *nlh = req(r, buf, type, NLM_F_DUMP);

	/* every dump is filtered by table on the kernel side */
	mnl_attr_put_strz(nlh, type == NFT_MSG_GETSET ? NFTA_SET_TABLE :
			  NFTA_CHAIN_TABLE, ICC_TABLE);
	return nft_request(r->n, nlh, cb, r);
}

/* A counter's values (the last counter, there is at most one). */
static int count_cb(struct nftnl_expr *e, void *data)
{
	struct icc_count *c = data;

	if (!strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter")) {
		c->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		c->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static bool rule_append(struct reader *r, int i, char *fp,
			const struct icc_count *c)
{
	char **v = realloc(r->rules[i], (r->nrules[i] + 1) * sizeof(*v));
	struct icc_count *cv;

	if (!v)
		return false;
	r->rules[i] = v;
	cv = realloc(r->counts[i], (r->nrules[i] + 1) * sizeof(*cv));
	if (!cv)
		return false;
	r->counts[i] = cv;
	cv[r->nrules[i]] = *c;
	v[r->nrules[i]++] = fp;
	return true;
}

static int rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reader *r = data;
	struct nftnl_rule *o = nftnl_rule_alloc();
	struct icc_count c = { 0, 0 };
	char *fp = NULL;
	int i;

	if (!o || nftnl_rule_nlmsg_parse(nlh, o) < 0 ||
	    nft_rule_fingerprint(o, &fp) < 0) {
		nftnl_rule_free(o);
		return MNL_CB_ERROR;
	}
	i = strcmp(nftnl_rule_get_str(o, NFTNL_RULE_TABLE), ICC_TABLE) ? -1 :
	    chain_index(r, nftnl_rule_get_str(o, NFTNL_RULE_CHAIN));
	nftnl_expr_foreach(o, count_cb, &c);
	nftnl_rule_free(o);
	if (i < 0) {
		free(fp);
		return MNL_CB_OK;	/* reported with its chain */
	}
	if (!rule_append(r, i, fp, &c)) {
		free(fp);
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* Rule k of chain c as we build it: its fingerprint, index and text. */
static const char *expected_rule(unsigned c, size_t k, char **fp, size_t *idx)
{
	size_t seen = 0;

	*fp = NULL;
	for (size_t j = 0; j < icc_nrules; j++) {
		struct nftnl_rule *o;

		if (icc_rule_defs[j].chain != c || seen++ != k)
			continue;
		o = nft_build_rule(j, false);
		if (o)
			nft_rule_fingerprint(o, fp);
		nftnl_rule_free(o);
		*idx = j;
		return icc_rule_defs[j].text;
	}
	return NULL;
}

/* Position by position: what differs is removed and added again. */
static void compare_chain(struct reader *r, unsigned c)
{
	const char *name = icc_chain_defs[c].name;

	if (!r->chain_seen[c])
		ruleset_add_drift(r->rs, "+ chain %s %s %s", FAMILY(r), ICC_TABLE,
				  name);
	for (size_t k = 0;; k++) {
		char *fp;
		size_t j = 0;
		const char *text = expected_rule(c, k, &fp, &j);
		const char *live = k < r->nrules[c] ? r->rules[c][k] : NULL;

		if (!text && !live)
			break;
		if (text && !fp)
			r->err = -ENOMEM;
		if (text && live && fp && !strcmp(fp, live))
			r->rs->rule_counts[j] = r->counts[c][k];
		else {
			if (live)
				ruleset_add_drift(r->rs, "- rule %s %s %s %s",
						  FAMILY(r), ICC_TABLE, name, live);
			if (text)
				ruleset_add_drift(r->rs, "+ rule %s %s %s %s",
						  FAMILY(r), ICC_TABLE, name, text);
		}
		free(fp);
	}
}

static void compare_rules(struct reader *r)
{
	for (unsigned c = 0; c < icc_nchains; c++)
		if (icc_chain_defs[c].table == r->tbl)
			compare_chain(r, c);
}

static int set_index(const struct reader *r, const char *name)
{
	for (int i = 0; i < ICC_NSETS; i++)
		if (icc_set_defs[i].table == r->tbl &&
		    !strcmp(icc_set_defs[i].name, name))
			return i;
	return -1;
}

static int counter_expr_cb(struct nftnl_expr *e, void *data)
{
	int *n = data;

	*n += strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") ? 100 : 1;
	return 0;
}

/* A counted set has one counter expression; others none. */
static bool set_counts_match(const struct nftnl_set *s, bool counter)
{
	int n = 0;

	nftnl_set_expr_foreach(s, counter_expr_cb, &n);
	return n == (counter ? 1 : 0);
}

/* Our type, or drift: an edited set is replaced, not trusted. */
static bool set_matches(const struct nftnl_set *s, const struct icc_set *want)
{
	struct nftnl_set *ref = nft_build_set(want, 0);
	uint32_t mask = NFT_SET_INTERVAL | NFT_SET_MAP | NFT_SET_CONCAT;
	bool ok;

	if (!ref)
		return false;
	ok = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE) ==
	     nftnl_set_get_u32(ref, NFTNL_SET_KEY_TYPE) &&
	     nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN) == want->key_len &&
	     (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & ~mask) == 0 &&
	     (nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & mask) ==
	     (nftnl_set_get_u32(ref, NFTNL_SET_FLAGS) & mask) &&
	     (!want->data_len ||
	      nftnl_set_get_u32(s, NFTNL_SET_DATA_LEN) == want->data_len) &&
	     set_counts_match(s, want->def->counter);
	nftnl_set_free(ref);
	return ok;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reader *r = data;
	struct nftnl_set *s = nftnl_set_alloc();
	const char *name;
	int i;

	if (!s || nftnl_set_nlmsg_parse(nlh, s) < 0) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	if (strcmp(nftnl_set_get_str(s, NFTNL_SET_TABLE), ICC_TABLE)) {
		nftnl_set_free(s);	/* another table's (the kernel filters these) */
		return MNL_CB_OK;
	}
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	i = set_index(r, name);
	if (i >= 0 && set_matches(s, &r->rs->sets[i]))
		r->set_ok[i] = true;
	else if (!(nftnl_set_get_u32(s, NFTNL_SET_FLAGS) & NFT_SET_ANONYMOUS))
		ruleset_add_drift(r->rs, "- set %s %s %s (%s)", FAMILY(r), ICC_TABLE,
				  name, i < 0 ? "not ours" : "type changed");
	else
		ruleset_add_drift(r->rs, "- anonymous set %s %s %s", FAMILY(r),
				  ICC_TABLE, name);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

/*
 * Set elements are read straight from the netlink attributes into the
 * set: libnftnl's element objects cost about 300 bytes each, which made
 * a dump of 100,000 elements icc-policyd's peak (30 MB of 47).
 */
struct elem_ctx {
	struct reader *r;
	struct icc_set *is;
	int ret;
};

/* The NFTA_DATA_VALUE inside nest, or NULL; *len its length. */
static const void *data_value(const struct nlattr *nest, uint16_t *len)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) == NFTA_DATA_VALUE) {
			*len = mnl_attr_get_payload_len(a);
			return mnl_attr_get_payload(a);
		}
	return NULL;
}

/* A counter expression's values into c (other expressions: nothing). */
static void expr_count(const struct nlattr *expr, struct icc_count *c)
{
	const struct nlattr *a, *name = NULL, *data = NULL;

	mnl_attr_for_each_nested(a, expr) {
		if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
			name = a;
		else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
			data = a;
	}
	if (!name || !data || mnl_attr_validate(name, MNL_TYPE_NUL_STRING) < 0 ||
	    strcmp(mnl_attr_get_str(name), "counter"))
		return;
	mnl_attr_for_each_nested(a, data) {
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			continue;
		if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS)
			c->packets = be64toh(mnl_attr_get_u64(a));
		else if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES)
			c->bytes = be64toh(mnl_attr_get_u64(a));
	}
}

/* One kernel element (an NFTA_LIST_ELEM), packed as struct icc_set stores it. */
struct kelem {
	const void *k, *e, *d;
	uint16_t klen, elen, dlen;
	struct icc_count c;
};

static void kelem_parse(const struct nlattr *el, struct kelem *x)
{
	const struct nlattr *a, *b;

	memset(x, 0, sizeof(*x));
	mnl_attr_for_each_nested(a, el) {
		switch (mnl_attr_get_type(a)) {
		case NFTA_SET_ELEM_KEY:
			x->k = data_value(a, &x->klen);
			break;
		case NFTA_SET_ELEM_KEY_END:
			x->e = data_value(a, &x->elen);
			break;
		case NFTA_SET_ELEM_DATA:
			x->d = data_value(a, &x->dlen);
			break;
		case NFTA_SET_ELEM_EXPR:	/* one expression */
			expr_count(a, &x->c);
			break;
		case NFTA_SET_ELEM_EXPRESSIONS:	/* several */
			mnl_attr_for_each_nested(b, a)
				expr_count(b, &x->c);
			break;
		}
	}
}

static bool kelem_pack(const struct icc_set *is, const struct kelem *x,
		       uint8_t *out)
{
	size_t off = is->key_len;

	if (!x->k || x->klen != is->key_len ||
	    (is->def->interval && (!x->e || x->elen != x->klen)) ||
	    (is->data_len && (!x->d || x->dlen != is->data_len)))
		return false;
	memcpy(out, x->k, x->klen);
	if (is->def->interval) {
		memcpy(out + off, x->e, x->elen);
		off += x->elen;
	}
	if (is->data_len)
		memcpy(out + off, x->d, x->dlen);
	return true;
}

static int elem_add(struct elem_ctx *ec, const struct nlattr *el)
{
	uint8_t packed[ICC_KEY_MAX * 2 + ICC_DATA_MAX];
	struct icc_set *is = ec->is;
	struct kelem x;

	kelem_parse(el, &x);
	if (kelem_pack(is, &x, packed))
		return set_add_raw(is, packed, 0, is->def->counter ? &x.c : NULL);
	return ruleset_add_drift(ec->r->rs, "- element %s %s %s (malformed)",
				 FAMILY(ec->r), ICC_TABLE, is->def->name);
}

static int elem_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_ctx *ec = data;
	const struct nlattr *a, *el;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, a) {
			if (mnl_attr_get_type(el) != NFTA_LIST_ELEM)
				continue;
			if ((ec->ret = elem_add(ec, el)) < 0)
				return MNL_CB_ERROR;
		}
	}
	return MNL_CB_OK;
}

static int read_elems(struct reader *r, int i)
{
	char buf[8192] = { 0 };	/* zeroed: no stray stack bytes in padding */
	struct elem_ctx ec = { r, &r->rs->sets[i], 0 };
	struct nlmsghdr *nlh = req(r, buf, NFT_MSG_GETSETELEM, NLM_F_DUMP);
	int ret;

	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, ICC_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, ec.is->def->name);
	ret = nft_request(r->n, nlh, elem_cb, &ec);
	return ec.ret < 0 ? ec.ret : ret;
}

static void reader_free(struct reader *r)
{
	for (size_t c = 0; c < 16; c++) {
		for (size_t k = 0; k < r->nrules[c]; k++)
			free(r->rules[c][k]);
		free(r->rules[c]);
		free(r->counts[c]);
	}
}

static int read_structure(struct reader *r)
{
	int ret;

	if ((ret = dump(r, NFT_MSG_GETCHAIN, chain_cb)) ||
	    (ret = dump(r, NFT_MSG_GETRULE, rule_cb)) ||
	    (ret = dump(r, NFT_MSG_GETSET, set_cb)))
		return ret;
	compare_rules(r);
	for (int i = 0; i < ICC_NSETS; i++) {
		if (icc_set_defs[i].table != r->tbl)
			continue;
		if (!r->set_ok[i]) {
			ruleset_add_drift(r->rs, "+ set %s %s %s", FAMILY(r),
					  ICC_TABLE, icc_set_defs[i].name);
			continue;
		}
		if ((ret = read_elems(r, i)))
			return ret;
	}
	return r->err;
}

/*
 * Both tables: which exist and are ours, then (only if every one that
 * exists is ours) their structure and elements. One missing while the
 * other is there is drift: both are made again.
 */
static int read_tables(struct reader *r)
{
	int ret = 0;

	r->rs->owned = true;
	for (r->tbl = 0; r->tbl < ICC_NTABLES && !ret; r->tbl++)
		ret = read_table(r);
	for (int t = 0; t < ICC_NTABLES; t++)
		r->rs->present |= r->rs->has[t];
	if (ret || !r->rs->present || !r->rs->owned)
		return ret;
	for (r->tbl = 0; r->tbl < ICC_NTABLES && !ret; r->tbl++) {
		if (r->rs->has[r->tbl])
			ret = read_structure(r);
		else
			ret = ruleset_add_drift(r->rs, "+ table %s %s", FAMILY(r),
						ICC_TABLE);
	}
	return ret;
}

/* One consistent read: the generation must not move while we read. */
static int read_once(struct icc_nft *n, struct icc_ruleset **out)
{
	struct reader r = { .n = n, .rs = ruleset_new() };
	uint32_t gen2 = 0;
	int ret = -ENOMEM;

	if (!r.rs || !(r.rs->rule_counts = calloc(icc_nrules, sizeof(struct icc_count))))
		goto out;
	if ((ret = nft_genid(n, &r.rs->genid)) || (ret = read_tables(&r)))
		goto out;
	r.rs->intact = r.rs->ndrift == 0;
	for (int i = 0; i < ICC_NSETS; i++)
		if ((ret = set_sort(&r.rs->sets[i])))
			goto out;
	if ((ret = nft_genid(n, &gen2)))
		goto out;
	ret = gen2 == r.rs->genid ? 0 : -EAGAIN;
	if (!ret) {
		*out = r.rs;
		r.rs = NULL;
	}
out:
	reader_free(&r);
	ruleset_free(r.rs);
	return ret;
}

int nft_read(struct icc_nft *n, struct icc_ruleset **out)
{
	uint32_t gen;
	int ret = -EAGAIN;

	if (n->cache != ICC_CACHE_OFF) {
		if ((ret = nft_genid(n, &gen)) < 0)
			return ret;
		if (nft_cache_get(n, gen, out) == 0)
			return 0;
		ret = -EAGAIN;
	}

	/* A dump that saw the ruleset change (EINTR) is read again too. */
	for (int tries = 0; tries < 10 && ret == -EAGAIN; tries++) {
		ret = read_once(n, out);
		if (ret == -EINTR)
			ret = -EAGAIN;
	}
	/* Only whole tables of ours are kept (intact alone holds for none). */
	if (ret == 0 && (*out)->present && (*out)->owned && (*out)->intact)
		nft_cache_put(n, (*out)->genid, *out, false);
	return ret;
}
