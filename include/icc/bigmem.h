/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Big buffers straight from mmap, advised as transparent huge pages.
 *
 * On the KVM guests we run on, a first touch of a 4 KB page costs about
 * 20 us (24 MB touched: 100 to 140 ms; with 2 MB pages: 4 ms, measured
 * with the same loop), and reading a policy of 10,000 containers touches
 * some 20 MB: most of `check`'s time was page faults.  Growing moves
 * page mappings (mremap), never copies.
 */
#ifndef ICC_BIGMEM_H
#define ICC_BIGMEM_H

#include <stddef.h>

/* size bytes, zero-filled, or NULL (errno set). Free with big_free(). */
void *big_alloc(size_t size);
/* p (old bytes, or NULL) grown or shrunk to size; NULL and p untouched
 * on failure. */
void *big_realloc(void *p, size_t old, size_t size);
void big_free(void *p, size_t size);
/* p (size bytes, from big_alloc()) will mostly stay small: 4 KB pages. */
void big_small(void *p, size_t size);
/*
 * Gives back the whole huge pages of p (size bytes) inside [from, to):
 * they read as zeros if touched again. Returns the end of what went, or
 * from when nothing did.
 */
char *big_drop(void *p, size_t size, char *from, char *to);
/*
 * Makes malloc's own heap work the same way, for a short-lived process
 * that builds a big policy: one arena, its heap grown now by pad bytes
 * (4 to 32 MB) advised as huge pages, later growth in steps of pad (not
 * advised), and freed memory kept for reuse rather than given back and
 * touched anew. Costs pad of address space and a few MB of resident
 * memory (not for the daemon, whose memory is capped); does nothing
 * under a limit on address space or data, strict overcommit, THP off or
 * AddressSanitizer. At 10,000 containers it took `apply` from 4,683
 * page faults to 176 and from 110 to 68 ms (perf stat -r 15,
 * bench/gen_policy.py 10000 10, nothing changed).
 */
void big_heap(size_t pad);

#endif
