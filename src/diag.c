// SPDX-License-Identifier: GPL-2.0-or-later
/* Diagnostics: FILE:LINE: message records, collected, sorted, printed. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_int.h"

static int diags_grow(struct icc_diags *d)
{
	size_t cap = d->cap ? d->cap * 2 : 8;
	struct icc_diag *v;

	v = realloc(d->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	d->v = v;
	d->cap = cap;
	return 0;
}

/* vasprintf is a GNU extension; two passes of vsnprintf are not. */
__attribute__((format(printf, 1, 0)))
static char *vformat(const char *fmt, va_list ap)
{
	va_list ap2;
	char *s;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

int diags_vadd(struct icc_diags *d, const char *file, int line,
	       const char *fmt, va_list ap)
{
	struct icc_diag x = { .line = line };

	if (d->n == d->cap && diags_grow(d) < 0)
		return -ENOMEM;
	if (file && !(x.file = strdup(file)))
		return -ENOMEM;
	x.msg = vformat(fmt, ap);
	if (!x.msg) {
		free(x.file);
		return -ENOMEM;
	}
	d->v[d->n++] = x;
	return 0;
}

int diags_move(struct icc_diags *to, struct icc_diags *from, size_t a,
	       size_t b)
{
	for (size_t i = a; i < b; i++) {
		if (to->n == to->cap && diags_grow(to) < 0)
			return -ENOMEM;
		to->v[to->n++] = from->v[i];
		/* from no longer owns it: diags_free(from) skips it */
		from->v[i] = (struct icc_diag){ 0 };
	}
	return 0;
}

int diags_add(struct icc_diags *d, const char *file, int line,
	      const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = diags_vadd(d, file, line, fmt, ap);
	va_end(ap);
	return ret;
}

void diags_free(struct icc_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].msg);
	}
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

static bool same_file(const struct icc_diag *a, const struct icc_diag *b)
{
	if (!a->file || !b->file)
		return a->file == b->file;
	return !strcmp(a->file, b->file);
}

/*
 * Files stay in the order they first appear, each file's lines ascend,
 * and equal lines keep their order. Insertion sort: stable, needs no
 * memory (diags_sort cannot fail), and the input is nearly sorted
 * already, because parsing follows the file.
 */
void diags_sort_from(struct icc_diags *d, size_t from)
{
	for (size_t i = from + 1; i < d->n; i++) {
		struct icc_diag x = d->v[i];
		size_t j = i, end = i;

		/* The sorted part is grouped by file: find x's group. */
		while (end > from && !same_file(&d->v[end - 1], &x))
			end--;
		if (end == from)
			continue;	/* first of its file: stays last */
		for (; j > end; j--)
			d->v[j] = d->v[j - 1];
		while (j > from && same_file(&d->v[j - 1], &x) &&
		       d->v[j - 1].line > x.line) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}

void diags_sort(struct icc_diags *d)
{
	diags_sort_from(d, 0);
}

void diags_print(FILE *f, const struct icc_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct icc_diag *x = &d->v[i];

		if (x->file && x->line > 0)
			fprintf(f, "%s:%d: %s\n", x->file, x->line, x->msg);
		else if (x->file)
			fprintf(f, "%s: %s\n", x->file, x->msg);
		else
			fprintf(f, "%s\n", x->msg);
	}
}
