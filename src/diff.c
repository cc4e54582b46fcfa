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
