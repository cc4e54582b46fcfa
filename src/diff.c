// SPDX-License-Identifier: GPL-2.0-or-later
/* Live vs desired: fetch, sort, walk (as wireguard-tools' sync_conf). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "icc/diff.h"

static int push(size_t **v, size_t *n, size_t x)
{
	size_t *t;

	if ((*n & (*n - 1)) == 0) {	/* grow at powers of two */
		t = realloc(*v, (*n ? *n * 2 : 1) * sizeof(*t));
		if (!t)
			return -ENOMEM;
		*v = t;
	}
	(*v)[(*n)++] = x;
	return 0;
}

/* Both sides sorted by their bytes: one pass finds adds and deletes. */
static int diff_set(const struct icc_set *w, const struct icc_set *l,
		    struct icc_set_diff *sd)
{
	size_t i = 0, j = 0;
	int ret = 0;

	while (!ret && (i < w->n || j < l->n)) {
		int c = i == w->n ? 1 : j == l->n ? -1 :
			memcmp(set_elem(w, i), set_elem(l, j), w->stride);

		if (c < 0)
			ret = push(&sd->add, &sd->nadd, i++);
		else if (c > 0)
			ret = push(&sd->del, &sd->ndel, j++);
		else
			i++, j++;
	}
	return ret;
}

int diff_compute(const struct icc_ruleset *want, const struct icc_ruleset *live,
		 struct icc_diff *d)
{
	int ret = 0;

	memset(d, 0, sizeof(*d));
	d->want = want;
	d->live = live;
	if (live->present && !live->owned)
		return -EEXIST;
	if (!live->present)
		d->mode = ICC_DIFF_CREATE;
	else if (!live->intact)
		d->mode = ICC_DIFF_REPLACE;
	for (int i = 0; i < ICC_NSETS && !ret; i++)
		ret = diff_set(&want->sets[i], &live->sets[i], &d->sets[i]);
	if (ret)
		diff_free(d);
	return ret;
}

void diff_free(struct icc_diff *d)
{
	for (int i = 0; i < ICC_NSETS; i++) {
		free(d->sets[i].add);
		free(d->sets[i].del);
		d->sets[i] = (struct icc_set_diff){ 0 };
	}
}

size_t diff_count(const struct icc_diff *d)
{
	size_t n = d->mode == ICC_DIFF_ELEMS ? 0 : 1 + d->live->ndrift;

	for (int i = 0; i < ICC_NSETS; i++)
		n += d->sets[i].nadd + d->sets[i].ndel;
	return n;
}

static void print_elems(FILE *f, char sign, const struct icc_set *s,
			const size_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%c element %s %s %s { ", sign,
			icc_table_defs[s->def->table].family, ICC_TABLE, s->def->name);
		set_print_elem(f, s, set_elem(s, idx[i]));
		fputs(" }\n", f);
	}
}

#define FAMILY(def)	icc_table_defs[(def).table].family

/* New tables: every chain and rule, as show prints them. */
static void print_structure(FILE *f)
{
	for (int t = 0; t < ICC_NTABLES; t++)
		fprintf(f, "+ table %s %s\n", icc_table_defs[t].family, ICC_TABLE);
	for (size_t c = 0; c < icc_nchains; c++)
		fprintf(f, "+ chain %s %s %s\n", FAMILY(icc_chain_defs[c]),
			ICC_TABLE, icc_chain_defs[c].name);
	for (int i = 0; i < ICC_NSETS; i++)
		fprintf(f, "+ %s %s %s %s\n", icc_set_defs[i].ndata ? "map" : "set",
			FAMILY(icc_set_defs[i]), ICC_TABLE, icc_set_defs[i].name);
	for (size_t r = 0; r < icc_nrules; r++) {
		const struct icc_chain_def *c = &icc_chain_defs[icc_rule_defs[r].chain];

		fprintf(f, "+ rule %s %s %s %s\n", FAMILY(*c), ICC_TABLE,
			c->name, icc_rule_defs[r].text);
	}
}

void diff_print(FILE *f, const struct icc_diff *d)
{
	if (d->mode == ICC_DIFF_CREATE)
		print_structure(f);
	if (d->mode == ICC_DIFF_REPLACE) {
		fprintf(f, "# tables inet %s and bridge %s differ from ours; they "
			   "are replaced in one transaction\n", ICC_TABLE, ICC_TABLE);
		for (size_t i = 0; i < d->live->ndrift; i++)
			fprintf(f, "%s\n", d->live->drift[i]);
	}
	for (int i = 0; i < ICC_NSETS; i++) {
		print_elems(f, '-', &d->live->sets[i], d->sets[i].del,
			    d->sets[i].ndel);
		print_elems(f, '+', &d->want->sets[i], d->sets[i].add,
			    d->sets[i].nadd);
	}
}

/* Where e is or would go in s (sorted): the first element not below it. */
static size_t lower_bound(const struct icc_set *s, const uint8_t *e)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(set_elem(s, mid), e, s->stride) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Moves elements [from, to) of s by delta places (lines, counts too). */
static void set_shift(struct icc_set *s, size_t from, size_t to, long delta)
{
	size_t n = to - from, at = (size_t)((long)from + delta);

	memmove(s->elems + at * s->stride, s->elems + from * s->stride, n * s->stride);
	memmove(s->lines + at, s->lines + from, n * sizeof(*s->lines));
	if (s->counts)
		memmove(s->counts + at, s->counts + from, n * sizeof(*s->counts));
}

/* Deletes the elements sd->del names (in l) from s, in one pass. */
static int patch_del(struct icc_set *s, const struct icc_set *l,
		     const struct icc_set_diff *sd)
{
	size_t w = 0, prev = 0;	/* where the next run goes, and starts */

	for (size_t k = 0; k < sd->ndel; k++) {
		long at = set_find(s, set_elem(l, sd->del[k]));

		if (at < 0 || (size_t)at < prev)
			return -ENOENT;
		if (w != prev)
			set_shift(s, prev, (size_t)at, (long)w - (long)prev);
		w += (size_t)at - prev;
		prev = (size_t)at + 1;
	}
	if (w != prev)
		set_shift(s, prev, s->n, (long)w - (long)prev);
	s->n -= sd->ndel;
	return 0;
}

/* Inserts the elements sd->add names (in want) into s, in one pass. */
static int patch_add(struct icc_set *s, const struct icc_set *w,
		     const struct icc_set_diff *sd)
{
	size_t m = sd->nadd, hi = s->n, *at;

	if (!m)
		return 0;
	if (!(at = malloc(m * sizeof(*at))))
		return -ENOMEM;
	for (size_t k = 0; k < m; k++) {
		const uint8_t *e = set_elem(w, sd->add[k]);

		at[k] = lower_bound(s, e);
		if (at[k] < s->n && !memcmp(set_elem(s, at[k]), e, s->stride)) {
			free(at);
			return -EEXIST;
		}
	}
	for (size_t k = 0; k < m; k++)
		if (set_add_raw(s, set_elem(w, sd->add[k]), 0, NULL) < 0) {
			free(at);
			return -ENOMEM;	/* s is then no longer sorted: drop it */
		}
	/* Backwards: each run moves once, by the adds that go before it. */
	for (size_t k = m; k-- > 0;) {
		set_shift(s, at[k], hi, (long)k + 1);
		memcpy(s->elems + (at[k] + k) * s->stride, set_elem(w, sd->add[k]),
		       s->stride);
		s->lines[at[k] + k] = w->lines[sd->add[k]];
		if (s->counts)
			s->counts[at[k] + k] = (struct icc_count){ 0, 0 };
		hi = at[k];
	}
	free(at);
	return 0;
}

int ruleset_patch(struct icc_ruleset *rs, const struct icc_diff *d)
{
	int ret = d->mode == ICC_DIFF_ELEMS ? 0 : -EINVAL;

	for (int i = 0; i < ICC_NSETS && !ret; i++) {
		ret = patch_del(&rs->sets[i], &d->live->sets[i], &d->sets[i]);
		if (!ret)
			ret = patch_add(&rs->sets[i], &d->want->sets[i], &d->sets[i]);
	}
	return ret;
}
