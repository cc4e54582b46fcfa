// SPDX-License-Identifier: GPL-2.0-or-later
/* Big buffers from mmap, 2 MB-aligned, as huge pages: see icc/bigmem.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* mremap */
#endif
#include <fcntl.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "icc/bigmem.h"

#define HUGE_PAGE	(2u << 20)
#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25	/* Linux 6.1; glibc 2.36 lacks the name */
#endif

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

static bool limited(int resource)
{
	struct rlimit r;

	return getrlimit(resource, &r) == 0 && r.rlim_cur != RLIM_INFINITY;
}

/* Whether the file (a sysfs or procfs value) holds text. No malloc: the
 * heap is not set up yet. */
static bool file_has(const char *path, const char *text)
{
	char buf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return strstr(buf, text);
}

/* Where growing the heap by a pad up front would cost more than faults. */
static bool heap_keep(size_t pad)
{
	bool asan = false;	/* not glibc's malloc: the pad is only shadow writes */

#if defined(__SANITIZE_ADDRESS__)
	asan = true;
#endif
	/*
	 * Under a limit on address space or data (ulimit -v, prlimit), or
	 * with strict overcommit, the pad is what makes malloc fail (its
	 * fallback mmap asks for it too); with huge pages off, it buys
	 * little.
	 */
	return asan || pad < 4 * HUGE_PAGE || pad > (32u << 20) ||
	       limited(RLIMIT_AS) || limited(RLIMIT_DATA) ||
	       file_has("/proc/sys/vm/overcommit_memory", "2") ||
	       file_has(THP_ENABLED, "[never]");
}

void big_heap(size_t pad)
{
	uintptr_t base, from, to;
	void *volatile p;	/* or the compiler drops malloc and free */

	/* 32 MB is glibc's most for the threshold (64-bit): under it, pad. */
	if (heap_keep(pad) || mallopt(M_MMAP_THRESHOLD, (int)pad) != 1)
		return;
	/* A second arena (the parser's worker thread) would be touched anew. */
	mallopt(M_ARENA_MAX, 1);
	mallopt(M_TRIM_THRESHOLD, (int)(4 * pad));
	/*
	 * Where glibc's malloc has no heap yet, start it on a huge page: its
	 * first allocations would otherwise land in small pages below the
	 * first 2 MB boundary. (A break moved by others is allowed for.)
	 */
	base = (uintptr_t)sbrk(0);
	if (base != (uintptr_t)-1 && !mallinfo2().arena &&
	    sbrk((intptr_t)(round_up(base) - base)) != (void *)-1)
		base = (uintptr_t)sbrk(0);
	/*
	 * Grow the heap by about pad now, and with no pad, so that malloc's
	 * only writes are at its start and at the very end, before the
	 * advice. Where malloc is not glibc's (valgrind) the break does not
	 * move and nothing is advised.
	 */
	mallopt(M_TOP_PAD, 0);
	p = malloc(pad - HUGE_PAGE);	/* under M_MMAP_THRESHOLD */
	to = (uintptr_t)sbrk(0) & ~(uintptr_t)(HUGE_PAGE - 1);
	free(p);
	mallopt(M_TOP_PAD, (int)pad);
	from = round_up(base);
	if (base == (uintptr_t)-1 || to <= from)
		return;
	(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
	/*
	 * A new heap's first huge page holds malloc's first header, written
	 * before the advice: small pages unless made whole now. (With THP
	 * always, that first touch was a huge page already.)
	 */
	if (file_has(THP_ENABLED, "[madvise]"))
		(void)madvise((void *)from, HUGE_PAGE, MADV_COLLAPSE);
}
