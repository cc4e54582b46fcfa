// SPDX-License-Identifier: GPL-2.0-or-later
/* Big buffers from mmap, 2 MB-aligned, as huge pages: see icc/bigmem.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* mremap */
#endif
#include <stdint.h>
#include <sys/mman.h>

#include "icc/bigmem.h"

#define HUGE_PAGE	(2u << 20)

static size_t round_up(size_t n)
{
	return (n + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
}

void *big_alloc(size_t size)
{
	size_t len = round_up(size ? size : 1);
	uint8_t *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t head;

	if (p == MAP_FAILED)
		return NULL;
	/* Huge pages need 2 MB-aligned addresses: trim both ends to fit. */
	head = round_up((uintptr_t)p) - (uintptr_t)p;
	if (head)
		munmap(p, head);
	munmap(p + head + len, HUGE_PAGE - head);
	p += head;
	/* Only advice: without THP the pages are simply small. */
	(void)madvise(p, len, MADV_HUGEPAGE);
	return p;
}

void *big_realloc(void *p, size_t old, size_t size)
{
	void *q;

	if (!p)
		return big_alloc(size);
	if (round_up(size) == round_up(old))
		return p;
	/* The pages move with their contents: nothing is copied. */
	q = mremap(p, round_up(old), round_up(size), MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return NULL;
	(void)madvise(q, round_up(size), MADV_HUGEPAGE);
	return q;
}

void big_small(void *p, size_t size)
{
	(void)madvise(p, round_up(size ? size : 1), MADV_NOHUGEPAGE);
}

char *big_drop(void *p, size_t size, char *from, char *to)
{
	uintptr_t a = round_up((uintptr_t)from);
	uintptr_t b = (uintptr_t)to & ~(uintptr_t)(HUGE_PAGE - 1);
	uintptr_t end = (uintptr_t)p + round_up(size ? size : 1);

	if (b > end)
		b = end;
	if (a < (uintptr_t)p || a >= b)
		return from;
	(void)madvise((void *)a, b - a, MADV_DONTNEED);
	return (char *)b;
}

void big_free(void *p, size_t size)
{
	if (p)
		munmap(p, round_up(size ? size : 1));
}
